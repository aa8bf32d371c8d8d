// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Merkle} from "./Merkle.sol";

/// @title Tensor
/// @notice Tensor commitments of DESIGN §3 (normative), as `poai_common::tensor` computes them.
/// A tensor is a row-major matrix of little-endian f32. A row's root is the Merkle tree over its
/// 32-byte chunks (8 values, the last zero-padded); `rowsRoot` is the tree over the row roots;
/// `tensorHash = sha256(0x02 ‖ dtype:u8 ‖ rows:u32 ‖ cols:u32 ‖ rowsRoot)`, big-endian.
/// Checks run in the same order as in Rust, so both sides name the same first failure.
library Tensor {
    /// @notice v1's only element type, IEEE-754 binary32. Zero is never valid.
    uint8 internal constant DTYPE_F32 = 1;
    uint256 internal constant VALUES_PER_CHUNK = 8;

    error BadDtype(uint8 dtype);
    error EmptyShape(uint256 rows, uint256 cols);
    /// @notice A row is a non-empty whole number of f32 values.
    error RowBytes(uint256 len);
    error RowLength(uint256 expected, uint256 got);
    error ColOutOfRange(uint256 col, uint256 cols);
    /// @notice The last chunk of a row is zero past its last value.
    error NonZeroPadding();
    error HashMismatch(bytes32 expected, bytes32 got);

    /// @notice Everything a tensor hash commits to.
    struct Header {
        uint8 dtype;
        uint32 rows;
        uint32 cols;
        bytes32 rowsRoot;
    }

    /// @notice `sha256(0x02 ‖ dtype ‖ rows ‖ cols ‖ rowsRoot)`.
    function hash(Header memory h) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x02), h.dtype, h.rows, h.cols, h.rowsRoot));
    }

    /// @notice Reverts unless `h` is a valid header and `tensorHash` commits to it.
    function check(Header memory h, bytes32 tensorHash) internal pure {
        if (h.dtype != DTYPE_F32) revert BadDtype(h.dtype);
        if (h.rows == 0 || h.cols == 0) revert EmptyShape(h.rows, h.cols);
        bytes32 got = hash(h);
        if (got != tensorHash) revert HashMismatch(tensorHash, got);
    }

    /// @notice The root of one row from its raw little-endian bytes.
    function rowRoot(bytes memory row) internal view returns (bytes32) {
        uint256 len = row.length;
        if (len == 0 || len % 4 != 0) revert RowBytes(len);
        uint256 chunks = (len + 31) / 32;
        uint256 width = 1;
        while (width < chunks) width <<= 1;
        uint256 buf = Merkle.allocate(width);
        assembly ("memory-safe") {
            // Leaf i = sha256(0x00 ‖ chunk i), hashed from scratch space past the free memory
            // pointer into slot i of buf; the last chunk keeps only the row's bytes.
            let scratch := mload(0x40)
            let data := add(row, 0x20)
            for { let i := 0 } lt(i, chunks) { i := add(i, 1) } {
                let chunk := mload(add(data, mul(i, 0x20)))
                let used := sub(len, mul(i, 0x20))
                if lt(used, 32) { chunk := and(chunk, not(shr(mul(8, used), not(0)))) }
                mstore8(scratch, 0x00)
                mstore(add(scratch, 1), chunk)
                if iszero(staticcall(gas(), 0x02, scratch, 33, add(buf, mul(i, 0x20)), 0x20)) {
                    revert(0, 0)
                }
            }
            // Padding leaves: fresh memory may hold old scratch.
            for { let i := chunks } lt(i, width) { i := add(i, 1) } {
                mstore(add(buf, mul(i, 0x20)), 0)
            }
        }
        return Merkle.reduce(buf, width);
    }

    /// @notice The `rowsRoot` of a whole `rows × cols` tensor from its raw little-endian bytes
    /// (row-major). Memory used for each row is reused for the next.
    function rowsRoot(bytes calldata data, uint256 rows, uint256 cols)
        internal
        view
        returns (bytes32 root)
    {
        uint256 width = cols * 4;
        if (data.length != rows * width) revert RowLength(rows * width, data.length);
        bytes32[] memory leaves = new bytes32[](rows);
        uint256 mark;
        assembly ("memory-safe") {
            mark := mload(0x40)
        }
        for (uint256 i; i < rows; ++i) {
            leaves[i] = Merkle.leafHash32(rowRoot(data[i * width:(i + 1) * width]));
            // Nothing allocated for this row is read again.
            assembly ("memory-safe") {
                mstore(0x40, mark)
            }
        }
        root = Merkle.root(leaves);
    }

    /// @notice Reverts unless `rowBytes` is row `row` of the tensor that `tensorHash` commits to.
    function checkRow(
        Header memory h,
        bytes32 tensorHash,
        uint256 row,
        bytes memory rowBytes,
        bytes32[] memory siblings
    ) internal view {
        check(h, tensorHash);
        uint256 expected = uint256(h.cols) * 4;
        if (rowBytes.length != expected) revert RowLength(expected, rowBytes.length);
        Merkle.check(h.rowsRoot, h.rows, row, Merkle.leafHash32(rowRoot(rowBytes)), siblings);
    }

    /// @notice Checks that `chunk` holds value `(row, col)` of the tensor `tensorHash` commits
    /// to, and returns that value's f32 bits.
    function checkValue(
        Header memory h,
        bytes32 tensorHash,
        uint256 row,
        uint256 col,
        bytes32 chunk,
        bytes32[] memory chunkSiblings,
        bytes32[] memory rowSiblings
    ) internal view returns (uint32 bits) {
        check(h, tensorHash);
        if (col >= h.cols) revert ColOutOfRange(col, h.cols);
        uint256 chunks = (uint256(h.cols) + VALUES_PER_CHUNK - 1) / VALUES_PER_CHUNK;
        uint256 chunkIndex = col / VALUES_PER_CHUNK;
        if (chunkIndex == chunks - 1) {
            uint256 used = (uint256(h.cols) - (chunks - 1) * VALUES_PER_CHUNK) * 4;
            if (used < 32 && uint256(chunk) << (8 * used) != 0) revert NonZeroPadding();
        }
        bytes32 root = Merkle.rootFrom(chunks, chunkIndex, Merkle.leafHash32(chunk), chunkSiblings);
        Merkle.check(h.rowsRoot, h.rows, row, Merkle.leafHash32(root), rowSiblings);
        return f32At(chunk, col % VALUES_PER_CHUNK);
    }

    /// @notice The bits of value `i` (0..7) of a chunk: four little-endian bytes.
    function f32At(bytes32 chunk, uint256 i) internal pure returns (uint32) {
        uint32 le = uint32(uint256(chunk) >> (224 - 32 * i));
        return (le >> 24) | ((le >> 8) & 0xff00) | ((le << 8) & 0xff0000) | (le << 24);
    }
}
