// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

/// @title Batch
/// @notice The batch rule of DESIGN §3 (normative): row `r` of step `t`'s batch is data set row
/// `uint256(sha256(seed ‖ t:u64 ‖ r:u32)) mod N`, big-endian, `t` counting from 0 over the task.
library Batch {
    /// @notice A data set has at least one row.
    error EmptyDataset();

    /// @notice `sha256(seed ‖ step ‖ r)`.
    function digest(bytes32 seed, uint64 step, uint32 r) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(seed, step, r));
    }

    /// @notice The data set row that row `r` of step `step`'s batch loads, of `n` rows.
    function rowIndex(bytes32 seed, uint64 step, uint32 r, uint256 n)
        internal
        pure
        returns (uint256)
    {
        if (n == 0) revert EmptyDataset();
        return uint256(digest(seed, step, r)) % n;
    }
}
