// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Test} from "./utils/Test.sol";
import {CommitmentChecker} from "../src/CommitmentChecker.sol";
import {Batch} from "../src/commit/Batch.sol";
import {Merkle} from "../src/commit/Merkle.sol";
import {Tensor} from "../src/commit/Tensor.sol";

/// @notice Unit and fuzz tests of the commitment libraries against plain-Solidity references
/// (`abi.encodePacked` and `sha256`, no assembly), and their named errors.
contract CommitmentsTest is Test {
    CommitmentChecker internal checker;

    function setUp() public {
        checker = new CommitmentChecker();
    }

    // ------------------------------------------------------------ references

    function _refLeaf(bytes memory payload) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x00), payload));
    }

    function _refNode(bytes32 l, bytes32 r) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x01), l, r));
    }

    /// @dev The root of leaves[lo..lo+width), `width` a power of two, zeros past the end.
    function _refRoot(bytes32[] memory leaves, uint256 lo, uint256 width)
        internal
        pure
        returns (bytes32)
    {
        if (width == 1) return lo < leaves.length ? leaves[lo] : bytes32(0);
        uint256 half = width / 2;
        return _refNode(_refRoot(leaves, lo, half), _refRoot(leaves, lo + half, half));
    }

    function _width(uint256 n) internal pure returns (uint256 w) {
        w = 1;
        while (w < n) w <<= 1;
    }

    /// @dev The siblings of leaf `index`, bottom up, by the reference.
    function _refProof(bytes32[] memory leaves, uint256 index)
        internal
        pure
        returns (bytes32[] memory siblings)
    {
        uint256 width = _width(leaves.length);
        uint256 d;
        while ((uint256(1) << d) < width) ++d;
        siblings = new bytes32[](d);
        for (uint256 level; level < d; ++level) {
            uint256 size = uint256(1) << level;
            uint256 siblingStart = ((index >> level) ^ 1) * size;
            siblings[level] = _refRoot(leaves, siblingStart, size);
        }
    }

    function _leaves(uint256 seed, uint256 n) internal pure returns (bytes32[] memory leaves) {
        leaves = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            leaves[i] = _refLeaf(abi.encodePacked(seed, i));
        }
    }

    // ------------------------------------------------------------ hashing

    function testFuzz_leafHash_matchesReference(bytes memory payload) public view {
        vm.assertEq(Merkle.leafHash(payload), _refLeaf(payload), "leafHash");
    }

    function testFuzz_leafHash32_matchesReference(bytes32 payload) public view {
        vm.assertEq(Merkle.leafHash32(payload), _refLeaf(abi.encodePacked(payload)), "leafHash32");
    }

    function testFuzz_nodeHash_matchesReference(bytes32 l, bytes32 r) public view {
        vm.assertEq(Merkle.nodeHash(l, r), _refNode(l, r), "nodeHash");
    }

    function test_leafAndNodeHashes_areDomainSeparated() public view {
        bytes32 l = keccak256("l");
        bytes32 r = keccak256("r");
        vm.assertTrue(Merkle.nodeHash(l, r) != Merkle.leafHash(abi.encodePacked(l, r)), "prefix");
    }

    // ------------------------------------------------------------ trees and proofs

    function test_depth_isCeilLog2() public pure {
        vm.assertEq(Merkle.depth(1), 0, "1");
        vm.assertEq(Merkle.depth(2), 1, "2");
        vm.assertEq(Merkle.depth(3), 2, "3");
        vm.assertEq(Merkle.depth(1024), 10, "1024");
        vm.assertEq(Merkle.depth(1025), 11, "1025");
        vm.assertEq(Merkle.depth(1 << 40), 40, "max");
    }

    function test_emptyTree_reverts() public {
        vm.expectRevert(Merkle.EmptyTree.selector);
        checker.merkleRoot(new bytes[](0));
        vm.expectRevert(Merkle.EmptyTree.selector);
        checker.merkleRootFrom(0, 0, "", new bytes32[](0));
    }

    function test_tooManyLeaves_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Merkle.TooManyLeaves.selector, (1 << 40) + 1));
        checker.merkleRootFrom((1 << 40) + 1, 0, "", new bytes32[](41));
    }

    function testFuzz_rootAndEveryProof_matchReference(uint256 seed, uint256 n, uint256 index)
        public
        view
    {
        n = 1 + (n % 70);
        index %= n;
        bytes32[] memory leaves = _leaves(seed, n);
        bytes32 root = _refRoot(leaves, 0, _width(n));
        vm.assertEq(Merkle.root(leaves), root, "root");
        bytes32[] memory siblings = _refProof(leaves, index);
        vm.assertEq(Merkle.rootFrom(n, index, leaves[index], siblings), root, "rootFrom");
        Merkle.check(root, n, index, leaves[index], siblings);
    }

    function testFuzz_proofOfWrongDepth_reverts(uint256 seed, uint256 n, bool longer) public {
        n = 2 + (n % 70);
        bytes32[] memory leaves = _leaves(seed, n);
        bytes32[] memory honest = _refProof(leaves, 0);
        bytes32[] memory siblings = new bytes32[](longer ? honest.length + 1 : honest.length - 1);
        for (uint256 i; i < siblings.length && i < honest.length; ++i) {
            siblings[i] = honest[i];
        }
        vm.expectRevert(
            abi.encodeWithSelector(Merkle.WrongDepth.selector, n, honest.length, siblings.length)
        );
        checker.merkleRootFrom(n, 0, "", siblings);
    }

    function testFuzz_indexPastTheLastLeaf_reverts(uint256 n, uint256 index) public {
        n = 1 + (n % 70);
        index = n + (index % 200);
        vm.expectRevert(abi.encodeWithSelector(Merkle.IndexOutOfRange.selector, index, n));
        checker.merkleRootFrom(n, index, "", new bytes32[](Merkle.depth(n)));
    }

    function testFuzz_proofAtAnotherIndex_doesNotVerify(
        uint256 seed,
        uint256 n,
        uint256 i,
        uint256 j
    ) public view {
        n = 2 + (n % 70);
        i %= n;
        j %= n;
        vm.assume(i != j);
        bytes32[] memory leaves = _leaves(seed, n);
        bytes32 root = _refRoot(leaves, 0, _width(n));
        vm.assertTrue(
            Merkle.rootFrom(n, j, leaves[i], _refProof(leaves, i)) != root, "moved proof verifies"
        );
    }

    // ------------------------------------------------------------ tensors

    function _refRowRoot(bytes memory row) internal pure returns (bytes32) {
        uint256 chunks = (row.length + 31) / 32;
        bytes32[] memory leaves = new bytes32[](chunks);
        for (uint256 c; c < chunks; ++c) {
            bytes memory chunk = new bytes(32);
            for (uint256 b; b < 32 && 32 * c + b < row.length; ++b) {
                chunk[b] = row[32 * c + b];
            }
            leaves[c] = _refLeaf(chunk);
        }
        return _refRoot(leaves, 0, _width(chunks));
    }

    function testFuzz_rowRoot_matchesReference(bytes memory row) public view {
        vm.assume(row.length > 0);
        assembly ("memory-safe") {
            // Keep a whole number of f32 values.
            mstore(row, sub(mload(row), mod(mload(row), 4)))
        }
        vm.assume(row.length > 0);
        vm.assertEq(Tensor.rowRoot(row), _refRowRoot(row), "rowRoot");
    }

    function test_rowOfNoValuesOrPartialValues_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Tensor.RowBytes.selector, 0));
        checker.rowRoot("");
        vm.expectRevert(abi.encodeWithSelector(Tensor.RowBytes.selector, 6));
        checker.rowRoot(hex"000000000000");
    }

    function testFuzz_f32At_readsLittleEndianValues(bytes32 chunk, uint256 i) public pure {
        i %= 8;
        uint32 expected;
        for (uint256 b; b < 4; ++b) {
            // forge-lint: disable-next-line(unsafe-typecast)
            expected |= uint32(uint8(chunk[4 * i + b])) << uint32(8 * b);
        }
        vm.assertEq(Tensor.f32At(chunk, i), expected, "f32At");
    }

    function testFuzz_tensorHash_isPrefixDtypeShapeRowsRoot(uint32 rows, uint32 cols, bytes32 root)
        public
        pure
    {
        Tensor.Header memory h = Tensor.Header(1, rows, cols, root);
        bytes memory pre = abi.encodePacked(hex"0201", bytes4(rows), bytes4(cols), root);
        vm.assertEq(Tensor.hash(h), sha256(pre), "tensorHash");
    }

    function test_headerWithDtypeZeroOrNoRows_reverts() public {
        // (The hashes are taken first: the sha256 precompile is a call expectRevert would watch.)
        Tensor.Header memory h = Tensor.Header(0, 1, 1, bytes32(0));
        bytes32 th = Tensor.hash(h);
        vm.expectRevert(abi.encodeWithSelector(Tensor.BadDtype.selector, 0));
        checker.checkRow(h, th, 0, hex"00000000", new bytes32[](0));
        h = Tensor.Header(1, 0, 1, bytes32(0));
        th = Tensor.hash(h);
        vm.expectRevert(abi.encodeWithSelector(Tensor.EmptyShape.selector, 0, 1));
        checker.checkRow(h, th, 0, hex"00000000", new bytes32[](0));
    }

    function testFuzz_singleRowTensor_checksItsRowAndValues(bytes memory row, uint256 col)
        public
        view
    {
        uint256 len = row.length - row.length % 4;
        vm.assume(len > 0 && len <= 512);
        assembly ("memory-safe") {
            mstore(row, len)
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        uint32 cols = uint32(len / 4);
        Tensor.Header memory h = Tensor.Header(1, 1, cols, Merkle.leafHash32(Tensor.rowRoot(row)));
        bytes32 th = Tensor.hash(h);
        checker.checkRow(h, th, 0, row, new bytes32[](0));
        col %= cols;
        uint256 chunkIndex = col / 8;
        uint256 chunks = (uint256(cols) + 7) / 8;
        bytes32[] memory leaves = new bytes32[](chunks);
        bytes32 chunk;
        for (uint256 c; c < chunks; ++c) {
            bytes memory piece = new bytes(32);
            for (uint256 b; b < 32 && 32 * c + b < len; ++b) {
                piece[b] = row[32 * c + b];
            }
            leaves[c] = _refLeaf(piece);
            // forge-lint: disable-next-line(unsafe-typecast)
            if (c == chunkIndex) chunk = bytes32(piece);
        }
        uint32 bits = checker.checkValue(
            h, th, 0, col, chunk, _refProof(leaves, chunkIndex), new bytes32[](0)
        );
        uint32 expected;
        for (uint256 b; b < 4; ++b) {
            // forge-lint: disable-next-line(unsafe-typecast)
            expected |= uint32(uint8(row[4 * col + b])) << uint32(8 * b);
        }
        vm.assertEq(bits, expected, "value");
    }

    // ------------------------------------------------------------ batches

    function testFuzz_batchRow_isBigEndianDigestModN(bytes32 seed, uint64 step, uint32 r, uint256 n)
        public
        pure
    {
        vm.assume(n > 0);
        uint256 d = uint256(sha256(abi.encodePacked(seed, step, r)));
        vm.assertEq(Batch.rowIndex(seed, step, r, n), d % n, "row");
    }

    function test_batchRowOfEmptyDataset_reverts() public {
        vm.expectRevert(Batch.EmptyDataset.selector);
        checker.batchRow(bytes32(0), 0, 0, 0);
    }
}
