// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Merkle} from "../../src/commit/Merkle.sol";

/// @notice Building §1 trees and their paths in tests, independently of `Merkle.rootFrom`.
abstract contract Trees {
    function _leaves(bytes32[] memory payloads) internal view returns (bytes32[] memory l) {
        l = new bytes32[](payloads.length);
        for (uint256 i = 0; i < l.length; i++) {
            l[i] = Merkle.leafHash32(payloads[i]);
        }
    }

    function _root(bytes32[] memory leaves) internal view returns (bytes32) {
        return Merkle.root(leaves);
    }

    /// @dev The path of leaf `index`: the tree padded with zero leaves, siblings bottom up.
    function _proof(bytes32[] memory leaves, uint256 index)
        internal
        view
        returns (bytes32[] memory siblings)
    {
        uint256 width = 1;
        uint256 depth = 0;
        while (width < leaves.length) {
            width <<= 1;
            depth++;
        }
        bytes32[] memory level = new bytes32[](width);
        for (uint256 i = 0; i < leaves.length; i++) {
            level[i] = leaves[i];
        }
        siblings = new bytes32[](depth);
        for (uint256 d = 0; d < depth; d++) {
            siblings[d] = level[index ^ 1];
            bytes32[] memory up = new bytes32[](level.length / 2);
            for (uint256 i = 0; i < up.length; i++) {
                up[i] = Merkle.nodeHash(level[2 * i], level[2 * i + 1]);
            }
            level = up;
            index >>= 1;
        }
    }
}
