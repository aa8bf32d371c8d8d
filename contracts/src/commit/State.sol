// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Merkle} from "./Merkle.sol";

/// @title State
/// @notice State hashes of DESIGN §3 (normative): `stateHash = sha256(0x03 ‖ root)` over the
/// leaf-hashed tensor hashes of the state, in order (parameters, then optimizer buffers).
library State {
    /// @notice The tensor leads to another state than the committed one.
    error StateMismatch(bytes32 expected, bytes32 got);

    /// @notice `sha256(0x03 ‖ root)`.
    function fromRoot(bytes32 root) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x03), root));
    }

    /// @notice The state hash of the ordered tensor hashes.
    function hash(bytes32[] memory tensorHashes) internal view returns (bytes32) {
        return fromRoot(Merkle.rootOfHashes(tensorHashes));
    }

    /// @notice Reverts unless `tensorHash` is tensor `index` of `tensorCount` in `stateHash`.
    function checkTensor(
        bytes32 stateHash,
        uint256 tensorCount,
        uint256 index,
        bytes32 tensorHash,
        bytes32[] memory siblings
    ) internal view {
        bytes32 root = Merkle.rootFrom(tensorCount, index, Merkle.leafHash32(tensorHash), siblings);
        bytes32 got = fromRoot(root);
        if (got != stateHash) revert StateMismatch(stateHash, got);
    }
}
