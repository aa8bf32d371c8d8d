// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

/// @title Merkle
/// @notice Binary Merkle trees of DESIGN §3 (normative), as `poai_common::merkle` builds them.
/// Leaves are `sha256(0x00 ‖ payload)`, inner nodes `sha256(0x01 ‖ left ‖ right)`; leaf hashes
/// are padded with `bytes32(0)` to the next power of two, so a proof has exactly
/// `ceil(log2 n)` siblings and bit `i` of the index set means the node at level `i` is a right
/// child. The leaf count always comes from what was committed, never from the prover.
library Merkle {
    /// @notice A tree has at least one leaf.
    error EmptyTree();
    /// @notice More leaves than a tree may hold (2^40), so a proof could never be checked.
    error TooManyLeaves(uint256 leafCount);
    /// @notice The index is not a leaf of the tree (it may point into the padding).
    error IndexOutOfRange(uint256 index, uint256 leafCount);
    /// @notice A proof in a tree of `leafCount` leaves has exactly `expected` siblings.
    error WrongDepth(uint256 leafCount, uint256 expected, uint256 got);
    /// @notice The proof leads to another root than the committed one.
    error RootMismatch(bytes32 expected, bytes32 got);

    uint256 internal constant MAX_LEAVES = 1 << 40;

    /// @notice `sha256(0x00 ‖ payload)`.
    function leafHash(bytes memory payload) internal view returns (bytes32 h) {
        assembly ("memory-safe") {
            // Scratch space past the free memory pointer: 0x00, then the payload.
            let len := mload(payload)
            let p := mload(0x40)
            mstore8(p, 0x00)
            mcopy(add(p, 1), add(payload, 0x20), len)
            if iszero(staticcall(gas(), 0x02, p, add(len, 1), 0x00, 0x20)) {
                revert(0, 0)
            }
            h := mload(0x00)
        }
    }

    /// @notice `sha256(0x00 ‖ payload)` of a 32-byte payload (a hash, or a row chunk).
    function leafHash32(bytes32 payload) internal view returns (bytes32 h) {
        assembly ("memory-safe") {
            // Scratch space past the free memory pointer: 0x00 ‖ payload, 33 bytes.
            let p := mload(0x40)
            mstore8(p, 0x00)
            mstore(add(p, 1), payload)
            if iszero(staticcall(gas(), 0x02, p, 33, 0x00, 0x20)) { revert(0, 0) }
            h := mload(0x00)
        }
    }

    /// @notice `sha256(0x01 ‖ left ‖ right)`.
    function nodeHash(bytes32 left, bytes32 right) internal view returns (bytes32 h) {
        assembly ("memory-safe") {
            // Scratch space past the free memory pointer: 0x01 ‖ left ‖ right, 65 bytes.
            let p := mload(0x40)
            mstore8(p, 0x01)
            mstore(add(p, 1), left)
            mstore(add(p, 33), right)
            if iszero(staticcall(gas(), 0x02, p, 65, 0x00, 0x20)) { revert(0, 0) }
            h := mload(0x00)
        }
    }

    /// @notice The number of siblings in a proof for `leafCount` leaves: `ceil(log2 n)`.
    function depth(uint256 leafCount) internal pure returns (uint256 d) {
        if (leafCount == 0) revert EmptyTree();
        if (leafCount > MAX_LEAVES) revert TooManyLeaves(leafCount);
        while ((uint256(1) << d) < leafCount) {
            // d < 41 by the bound above.
            unchecked {
                ++d;
            }
        }
    }

    /// @notice The root that `leaf` at `index` and `siblings` lead to in a tree of `leafCount`.
    /// Reverts on a malformed proof: no tree, an index past the last leaf, the wrong depth.
    function rootFrom(uint256 leafCount, uint256 index, bytes32 leaf, bytes32[] memory siblings)
        internal
        view
        returns (bytes32 node)
    {
        uint256 d = depth(leafCount);
        if (index >= leafCount) revert IndexOutOfRange(index, leafCount);
        if (siblings.length != d) revert WrongDepth(leafCount, d, siblings.length);
        assembly ("memory-safe") {
            // Climb from the leaf: bit i of the index puts the node on the right at level i.
            // Each step hashes 0x01 ‖ left ‖ right from scratch space past the free pointer.
            let scratch := mload(0x40)
            let sib := add(siblings, 0x20)
            node := leaf
            for { let i := 0 } lt(i, d) { i := add(i, 1) } {
                let s := mload(add(sib, mul(i, 0x20)))
                mstore8(scratch, 0x01)
                switch and(shr(i, index), 1)
                case 0 {
                    mstore(add(scratch, 1), node)
                    mstore(add(scratch, 33), s)
                }
                default {
                    mstore(add(scratch, 1), s)
                    mstore(add(scratch, 33), node)
                }
                if iszero(staticcall(gas(), 0x02, scratch, 65, 0x00, 0x20)) {
                    revert(0, 0)
                }
                node := mload(0x00)
            }
        }
    }

    /// @notice Reverts unless `leaf` sits at `index` of the tree of `leafCount` leaves whose root
    /// is `committed`.
    function check(
        bytes32 committed,
        uint256 leafCount,
        uint256 index,
        bytes32 leaf,
        bytes32[] memory siblings
    ) internal view {
        bytes32 got = rootFrom(leafCount, index, leaf, siblings);
        if (got != committed) revert RootMismatch(committed, got);
    }

    /// @notice The root over already-hashed leaves. Overwrites nothing the caller holds.
    function root(bytes32[] memory leaves) internal view returns (bytes32) {
        uint256 n = leaves.length;
        if (n == 0) revert EmptyTree();
        if (n > MAX_LEAVES) revert TooManyLeaves(n);
        uint256 width = 1;
        while (width < n) width <<= 1;
        uint256 buf = allocate(width);
        assembly ("memory-safe") {
            // The leaves, then zeros up to the padded width (fresh memory may hold old scratch).
            mcopy(buf, add(leaves, 0x20), mul(n, 0x20))
            for { let i := n } lt(i, width) { i := add(i, 1) } { mstore(add(buf, mul(i, 0x20)), 0) }
        }
        return reduce(buf, width);
    }

    /// @notice Reserves `words` 32-byte words of memory and returns their address.
    function allocate(uint256 words) internal pure returns (uint256 buf) {
        assembly ("memory-safe") {
            buf := mload(0x40)
            mstore(0x40, add(buf, mul(words, 0x20)))
        }
    }

    /// @notice Reduces the `width` (a power of two) leaf hashes at `buf` to their root, in place.
    function reduce(uint256 buf, uint256 width) internal view returns (bytes32 r) {
        assembly ("memory-safe") {
            // Each node is hashed from scratch space past the free memory pointer
            // (0x01 ‖ left ‖ right) into the slot of its level's index: slot i of the level
            // above overwrites slot i, which has already been read (i ≤ 2i).
            let scratch := mload(0x40)
            for {} gt(width, 1) {} {
                width := shr(1, width)
                for { let i := 0 } lt(i, width) { i := add(i, 1) } {
                    let pair := add(buf, mul(i, 0x40))
                    mstore8(scratch, 0x01)
                    mstore(add(scratch, 1), mload(pair))
                    mstore(add(scratch, 33), mload(add(pair, 0x20)))
                    if iszero(staticcall(gas(), 0x02, scratch, 65, add(buf, mul(i, 0x20)), 0x20)) {
                        revert(0, 0)
                    }
                }
            }
            r := mload(buf)
        }
    }

    /// @notice The root of the tree over 32-byte `payloads` (tensor, state or row hashes), each
    /// leaf-hashed.
    function rootOfHashes(bytes32[] memory payloads) internal view returns (bytes32) {
        bytes32[] memory leaves = new bytes32[](payloads.length);
        for (uint256 i; i < payloads.length; ++i) {
            leaves[i] = leafHash32(payloads[i]);
        }
        return root(leaves);
    }

    /// @notice The root of the tree over `payloads`, each leaf-hashed.
    function rootOfPayloads(bytes[] memory payloads) internal view returns (bytes32) {
        bytes32[] memory leaves = new bytes32[](payloads.length);
        for (uint256 i; i < payloads.length; ++i) {
            leaves[i] = leafHash(payloads[i]);
        }
        return root(leaves);
    }
}
