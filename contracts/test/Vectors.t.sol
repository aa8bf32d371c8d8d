// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Test} from "./utils/Test.sol";
import {CommitmentChecker} from "../src/CommitmentChecker.sol";
import {Batch} from "../src/commit/Batch.sol";
import {Merkle} from "../src/commit/Merkle.sol";
import {State} from "../src/commit/State.sol";
import {Tensor} from "../src/commit/Tensor.sol";

/// @notice The differential vectors that Rust writes (`poai-vectors`) and checks too: every case
/// gets the verdict Rust gave it, and flipping any byte of a passing case makes it fail.
contract VectorsTest is Test {
    CommitmentChecker internal checker;

    function setUp() public {
        checker = new CommitmentChecker();
    }

    function _read(string memory name) internal view returns (string memory) {
        return vm.readFile(string.concat(vm.projectRoot(), "/test/vectors/", name));
    }

    function _key(string memory array, uint256 i, string memory field)
        internal
        pure
        returns (string memory)
    {
        return string.concat(at(array, i), ".", field);
    }

    /// @dev The name both sides give a failure, from its custom error's selector.
    function _nameOf(bytes memory revertData) internal pure returns (string memory) {
        bytes4 s = selectorOf(revertData);
        if (s == Merkle.EmptyTree.selector) return "EmptyTree";
        if (s == Merkle.TooManyLeaves.selector) return "TooManyLeaves";
        if (s == Merkle.IndexOutOfRange.selector) return "IndexOutOfRange";
        if (s == Merkle.WrongDepth.selector) return "WrongDepth";
        if (s == Merkle.RootMismatch.selector) return "RootMismatch";
        if (s == Tensor.BadDtype.selector) return "BadDtype";
        if (s == Tensor.EmptyShape.selector) return "EmptyShape";
        if (s == Tensor.RowBytes.selector) return "RowBytes";
        if (s == Tensor.RowLength.selector) return "RowLength";
        if (s == Tensor.ColOutOfRange.selector) return "ColOutOfRange";
        if (s == Tensor.NonZeroPadding.selector) return "NonZeroPadding";
        if (s == Tensor.HashMismatch.selector) return "HashMismatch";
        if (s == State.StateMismatch.selector) return "StateMismatch";
        return "unknown revert";
    }

    // ---------------------------------------------------------------- Merkle

    struct ProofCase {
        string name;
        uint256 leafCount;
        bytes32 root;
        uint256 index;
        bytes payload;
        bytes32[] siblings;
        string expect;
    }

    function _proofCase(string memory json, uint256 i) internal pure returns (ProofCase memory c) {
        c.name = vm.parseJsonString(json, _key("proofs", i, "name"));
        c.leafCount = vm.parseJsonUint(json, _key("proofs", i, "leafCount"));
        c.root = vm.parseJsonBytes32(json, _key("proofs", i, "root"));
        c.index = vm.parseJsonUint(json, _key("proofs", i, "index"));
        c.payload = vm.parseJsonBytes(json, _key("proofs", i, "payload"));
        c.siblings = vm.parseJsonBytes32Array(json, _key("proofs", i, "siblings"));
        c.expect = vm.parseJsonString(json, _key("proofs", i, "expect"));
    }

    function _verdict(ProofCase memory c) internal view returns (string memory) {
        try checker.checkMerkle(c.root, c.leafCount, c.index, c.payload, c.siblings) {
            return "ok";
        } catch (bytes memory reason) {
            return _nameOf(reason);
        }
    }

    function test_merkleTrees_haveTheirRoots() public view {
        string memory json = _read("merkle.json");
        uint256 n = lengthOf(json, "trees");
        vm.assertTrue(n > 0, "no tree vectors");
        for (uint256 i; i < n; ++i) {
            string memory name = vm.parseJsonString(json, _key("trees", i, "name"));
            bytes32 root = vm.parseJsonBytes32(json, _key("trees", i, "root"));
            uint256 count = lengthOf(json, string.concat(at("trees", i), ".payloads"));
            bytes[] memory payloads = new bytes[](count);
            for (uint256 j; j < count; ++j) {
                payloads[j] =
                    vm.parseJsonBytes(json, string.concat(at("trees", i), at("payloads", j)));
            }
            vm.assertEq(checker.merkleRoot(payloads), root, name);
        }
    }

    function test_merkleProofs_getRustsVerdict() public view {
        string memory json = _read("merkle.json");
        uint256 n = lengthOf(json, "proofs");
        uint256 failing;
        for (uint256 i; i < n; ++i) {
            ProofCase memory c = _proofCase(json, i);
            vm.assertEq(_verdict(c), c.expect, c.name);
            if (keccak256(bytes(c.expect)) != keccak256("ok")) ++failing;
        }
        vm.assertTrue(n > 0 && failing > 0, "both passing and failing proofs are present");
    }

    function test_merkleProofs_failWithAnyByteFlipped() public view {
        string memory json = _read("merkle.json");
        uint256 n = lengthOf(json, "proofs");
        for (uint256 i; i < n; ++i) {
            ProofCase memory c = _proofCase(json, i);
            if (keccak256(bytes(c.expect)) != keccak256("ok")) continue;
            for (uint256 b; b < 32; ++b) {
                c.root ^= bytes32(uint256(1) << (8 * b));
                vm.assertFalse(_isOk(c), string.concat(c.name, ": root byte flipped"));
                c.root ^= bytes32(uint256(1) << (8 * b));
            }
            for (uint256 b; b < c.payload.length; ++b) {
                c.payload[b] ^= 0x01;
                vm.assertFalse(_isOk(c), string.concat(c.name, ": payload byte flipped"));
                c.payload[b] ^= 0x01;
            }
            for (uint256 s; s < c.siblings.length; ++s) {
                for (uint256 b; b < 32; ++b) {
                    c.siblings[s] ^= bytes32(uint256(1) << (8 * b));
                    vm.assertFalse(_isOk(c), string.concat(c.name, ": sibling byte flipped"));
                    c.siblings[s] ^= bytes32(uint256(1) << (8 * b));
                }
            }
        }
    }

    function _isOk(ProofCase memory c) internal view returns (bool) {
        return keccak256(bytes(_verdict(c))) == keccak256("ok");
    }

    // ---------------------------------------------------------------- Tensors

    function _header(string memory json, string memory array, uint256 i)
        internal
        pure
        returns (Tensor.Header memory h)
    {
        h.dtype = uint8(vm.parseJsonUint(json, _key(array, i, "dtype")));
        h.rows = uint32(vm.parseJsonUint(json, _key(array, i, "rows")));
        h.cols = uint32(vm.parseJsonUint(json, _key(array, i, "cols")));
        h.rowsRoot = vm.parseJsonBytes32(json, _key(array, i, "rowsRoot"));
    }

    function test_tensors_haveTheirRowRootsAndHash() public view {
        string memory json = _read("tensor.json");
        uint256 n = lengthOf(json, "tensors");
        vm.assertTrue(n > 0, "no tensor vectors");
        for (uint256 i; i < n; ++i) {
            string memory name = vm.parseJsonString(json, _key("tensors", i, "name"));
            Tensor.Header memory h = _header(json, "tensors", i);
            bytes memory data = vm.parseJsonBytes(json, _key("tensors", i, "data"));
            bytes32[] memory rowRoots =
                vm.parseJsonBytes32Array(json, _key("tensors", i, "rowRoots"));
            uint256 rowLen = uint256(h.cols) * 4;
            vm.assertEq(data.length, rowLen * h.rows, name);
            bytes32[] memory leaves = new bytes32[](h.rows);
            for (uint256 r; r < h.rows; ++r) {
                bytes memory row = _slice(data, r * rowLen, rowLen);
                bytes32 root = checker.rowRoot(row);
                vm.assertEq(root, rowRoots[r], name);
                leaves[r] = Merkle.leafHash32(root);
                // Flipping any byte of the row changes its root.
                for (uint256 b; b < rowLen; ++b) {
                    row[b] ^= 0x01;
                    vm.assertTrue(checker.rowRoot(row) != root, string.concat(name, ": flip"));
                    row[b] ^= 0x01;
                }
            }
            vm.assertEq(Merkle.root(leaves), h.rowsRoot, name);
            vm.assertEq(
                checker.tensorHash(h),
                vm.parseJsonBytes32(json, _key("tensors", i, "tensorHash")),
                name
            );
        }
    }

    struct RowCase {
        string name;
        Tensor.Header h;
        bytes32 tensorHash;
        uint256 row;
        bytes rowBytes;
        bytes32[] siblings;
        string expect;
    }

    function _rowCase(string memory json, uint256 i) internal pure returns (RowCase memory c) {
        c.name = vm.parseJsonString(json, _key("rowProofs", i, "name"));
        c.h = _header(json, "rowProofs", i);
        c.tensorHash = vm.parseJsonBytes32(json, _key("rowProofs", i, "tensorHash"));
        c.row = vm.parseJsonUint(json, _key("rowProofs", i, "row"));
        c.rowBytes = vm.parseJsonBytes(json, _key("rowProofs", i, "rowBytes"));
        c.siblings = vm.parseJsonBytes32Array(json, _key("rowProofs", i, "siblings"));
        c.expect = vm.parseJsonString(json, _key("rowProofs", i, "expect"));
    }

    function _rowVerdict(RowCase memory c) internal view returns (string memory) {
        try checker.checkRow(c.h, c.tensorHash, c.row, c.rowBytes, c.siblings) {
            return "ok";
        } catch (bytes memory reason) {
            return _nameOf(reason);
        }
    }

    function _rowOk(RowCase memory c) internal view returns (bool) {
        return keccak256(bytes(_rowVerdict(c))) == keccak256("ok");
    }

    function test_rowProofs_getRustsVerdict_andFailWithAnyByteFlipped() public view {
        string memory json = _read("tensor.json");
        uint256 n = lengthOf(json, "rowProofs");
        vm.assertTrue(n > 0, "no row proofs");
        for (uint256 i; i < n; ++i) {
            RowCase memory c = _rowCase(json, i);
            vm.assertEq(_rowVerdict(c), c.expect, c.name);
            if (keccak256(bytes(c.expect)) != keccak256("ok")) continue;
            for (uint256 b; b < c.rowBytes.length; ++b) {
                c.rowBytes[b] ^= 0x01;
                vm.assertFalse(_rowOk(c), string.concat(c.name, ": row byte flipped"));
                c.rowBytes[b] ^= 0x01;
            }
            for (uint256 b; b < 32; ++b) {
                bytes32 bit = bytes32(uint256(1) << (8 * b));
                c.tensorHash ^= bit;
                vm.assertFalse(_rowOk(c), string.concat(c.name, ": tensor hash flipped"));
                c.tensorHash ^= bit;
                c.h.rowsRoot ^= bit;
                vm.assertFalse(_rowOk(c), string.concat(c.name, ": rows root flipped"));
                c.h.rowsRoot ^= bit;
                for (uint256 s; s < c.siblings.length; ++s) {
                    c.siblings[s] ^= bit;
                    vm.assertFalse(_rowOk(c), string.concat(c.name, ": sibling flipped"));
                    c.siblings[s] ^= bit;
                }
            }
        }
    }

    struct ValueCase {
        string name;
        Tensor.Header h;
        bytes32 tensorHash;
        uint256 row;
        uint256 col;
        bytes32 chunk;
        bytes32[] chunkSiblings;
        bytes32[] rowSiblings;
        uint256 valueBits;
        string expect;
    }

    function _valueCase(string memory json, uint256 i) internal pure returns (ValueCase memory c) {
        c.name = vm.parseJsonString(json, _key("valueProofs", i, "name"));
        c.h = _header(json, "valueProofs", i);
        c.tensorHash = vm.parseJsonBytes32(json, _key("valueProofs", i, "tensorHash"));
        c.row = vm.parseJsonUint(json, _key("valueProofs", i, "row"));
        c.col = vm.parseJsonUint(json, _key("valueProofs", i, "col"));
        c.chunk = vm.parseJsonBytes32(json, _key("valueProofs", i, "chunk"));
        c.chunkSiblings = vm.parseJsonBytes32Array(json, _key("valueProofs", i, "chunkSiblings"));
        c.rowSiblings = vm.parseJsonBytes32Array(json, _key("valueProofs", i, "rowSiblings"));
        c.valueBits = vm.parseJsonUint(json, _key("valueProofs", i, "valueBits"));
        c.expect = vm.parseJsonString(json, _key("valueProofs", i, "expect"));
    }

    function _valueVerdict(ValueCase memory c) internal view returns (string memory) {
        try checker.checkValue(
            c.h, c.tensorHash, c.row, c.col, c.chunk, c.chunkSiblings, c.rowSiblings
        ) returns (
            uint32 bits
        ) {
            return bits == c.valueBits ? "ok" : "ValueMismatch";
        } catch (bytes memory reason) {
            return _nameOf(reason);
        }
    }

    function _valueOk(ValueCase memory c) internal view returns (bool) {
        return keccak256(bytes(_valueVerdict(c))) == keccak256("ok");
    }

    function test_valueProofs_getRustsVerdict_andFailWithAnyByteFlipped() public view {
        string memory json = _read("tensor.json");
        uint256 n = lengthOf(json, "valueProofs");
        vm.assertTrue(n > 0, "no value proofs");
        for (uint256 i; i < n; ++i) {
            ValueCase memory c = _valueCase(json, i);
            vm.assertEq(_valueVerdict(c), c.expect, c.name);
            if (keccak256(bytes(c.expect)) != keccak256("ok")) continue;
            for (uint256 b; b < 32; ++b) {
                bytes32 bit = bytes32(uint256(1) << (8 * b));
                c.chunk ^= bit;
                vm.assertFalse(_valueOk(c), string.concat(c.name, ": chunk flipped"));
                c.chunk ^= bit;
                c.tensorHash ^= bit;
                vm.assertFalse(_valueOk(c), string.concat(c.name, ": tensor hash flipped"));
                c.tensorHash ^= bit;
                for (uint256 s; s < c.chunkSiblings.length; ++s) {
                    c.chunkSiblings[s] ^= bit;
                    vm.assertFalse(_valueOk(c), string.concat(c.name, ": chunk sibling flipped"));
                    c.chunkSiblings[s] ^= bit;
                }
                for (uint256 s; s < c.rowSiblings.length; ++s) {
                    c.rowSiblings[s] ^= bit;
                    vm.assertFalse(_valueOk(c), string.concat(c.name, ": row sibling flipped"));
                    c.rowSiblings[s] ^= bit;
                }
            }
        }
    }

    // ---------------------------------------------------------------- States

    function test_states_haveTheirHashes_andFailWithAnyByteFlipped() public view {
        string memory json = _read("state.json");
        uint256 n = lengthOf(json, "states");
        vm.assertTrue(n > 0, "no state vectors");
        for (uint256 i; i < n; ++i) {
            string memory name = vm.parseJsonString(json, _key("states", i, "name"));
            bytes32[] memory hashes =
                vm.parseJsonBytes32Array(json, _key("states", i, "tensorHashes"));
            bytes32 expected = vm.parseJsonBytes32(json, _key("states", i, "stateHash"));
            vm.assertEq(checker.stateHash(hashes), expected, name);
            for (uint256 t; t < hashes.length; ++t) {
                for (uint256 b; b < 32; ++b) {
                    hashes[t] ^= bytes32(uint256(1) << (8 * b));
                    vm.assertTrue(checker.stateHash(hashes) != expected, name);
                    hashes[t] ^= bytes32(uint256(1) << (8 * b));
                }
            }
        }
    }

    struct StateProofCase {
        string name;
        bytes32 stateHash;
        uint256 tensorCount;
        uint256 index;
        bytes32 tensorHash;
        bytes32[] siblings;
        string expect;
    }

    function _stateCase(string memory json, uint256 i)
        internal
        pure
        returns (StateProofCase memory c)
    {
        c.name = vm.parseJsonString(json, _key("tensorProofs", i, "name"));
        c.stateHash = vm.parseJsonBytes32(json, _key("tensorProofs", i, "stateHash"));
        c.tensorCount = vm.parseJsonUint(json, _key("tensorProofs", i, "tensorCount"));
        c.index = vm.parseJsonUint(json, _key("tensorProofs", i, "index"));
        c.tensorHash = vm.parseJsonBytes32(json, _key("tensorProofs", i, "tensorHash"));
        c.siblings = vm.parseJsonBytes32Array(json, _key("tensorProofs", i, "siblings"));
        c.expect = vm.parseJsonString(json, _key("tensorProofs", i, "expect"));
    }

    function _stateVerdict(StateProofCase memory c) internal view returns (string memory) {
        try checker.checkStateTensor(
            c.stateHash, c.tensorCount, c.index, c.tensorHash, c.siblings
        ) {
            return "ok";
        } catch (bytes memory reason) {
            return _nameOf(reason);
        }
    }

    function _stateOk(StateProofCase memory c) internal view returns (bool) {
        return keccak256(bytes(_stateVerdict(c))) == keccak256("ok");
    }

    function test_stateProofs_getRustsVerdict_andFailWithAnyByteFlipped() public view {
        string memory json = _read("state.json");
        uint256 n = lengthOf(json, "tensorProofs");
        vm.assertTrue(n > 0, "no state proofs");
        for (uint256 i; i < n; ++i) {
            StateProofCase memory c = _stateCase(json, i);
            vm.assertEq(_stateVerdict(c), c.expect, c.name);
            if (keccak256(bytes(c.expect)) != keccak256("ok")) continue;
            for (uint256 b; b < 32; ++b) {
                bytes32 bit = bytes32(uint256(1) << (8 * b));
                c.stateHash ^= bit;
                vm.assertFalse(_stateOk(c), string.concat(c.name, ": state hash flipped"));
                c.stateHash ^= bit;
                c.tensorHash ^= bit;
                vm.assertFalse(_stateOk(c), string.concat(c.name, ": tensor hash flipped"));
                c.tensorHash ^= bit;
                for (uint256 s; s < c.siblings.length; ++s) {
                    c.siblings[s] ^= bit;
                    vm.assertFalse(_stateOk(c), string.concat(c.name, ": sibling flipped"));
                    c.siblings[s] ^= bit;
                }
            }
        }
    }

    // ---------------------------------------------------------------- Batches

    function test_batchRows_matchRust_andFailWithAnyByteFlipped() public view {
        string memory json = _read("batch.json");
        uint256 n = lengthOf(json, "rows");
        vm.assertTrue(n > 0, "no batch vectors");
        for (uint256 i; i < n; ++i) {
            string memory name = vm.parseJsonString(json, _key("rows", i, "name"));
            bytes32 seed = vm.parseJsonBytes32(json, _key("rows", i, "seed"));
            uint64 step = uint64(vm.parseJsonUint(json, _key("rows", i, "step")));
            uint32 r = uint32(vm.parseJsonUint(json, _key("rows", i, "r")));
            uint256 rows = vm.parseJsonUint(json, _key("rows", i, "n"));
            bytes32 digest = vm.parseJsonBytes32(json, _key("rows", i, "digest"));
            vm.assertEq(Batch.digest(seed, step, r), digest, name);
            vm.assertEq(
                checker.batchRow(seed, step, r, rows),
                vm.parseJsonUint(json, _key("rows", i, "row")),
                name
            );
            for (uint256 b; b < 32; ++b) {
                bytes32 bit = bytes32(uint256(1) << (8 * b));
                vm.assertTrue(Batch.digest(seed ^ bit, step, r) != digest, name);
            }
            vm.assertTrue(Batch.digest(seed, step ^ 1, r) != digest, name);
            vm.assertTrue(Batch.digest(seed, step, r ^ 1) != digest, name);
        }
    }

    function _slice(bytes memory data, uint256 start, uint256 len)
        internal
        pure
        returns (bytes memory out)
    {
        out = new bytes(len);
        for (uint256 i; i < len; ++i) {
            out[i] = data[start + i];
        }
    }
}
