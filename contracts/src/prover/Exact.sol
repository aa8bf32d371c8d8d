// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Float} from "./Float.sol";
import {Verdict} from "./Verdict.sol";

/// @title Exact
/// @notice Ops that move or select data (load, slice, transpose, ReLU and its gradient) must
/// give one of their honest values exactly, as real numbers (±0 alike); the alternatives are
/// what a flushed subnormal input gives (PROTOCOL §7).
library Exact {
    /// @notice Judges `claim` against `values` (f32 bits; `values[0]` the value), unless one of
    /// `inputs` is NaN or infinite.
    function judge(uint256[] memory values, uint256[] memory inputs, uint256 claim)
        internal
        pure
        returns (Verdict.Reason)
    {
        for (uint256 i = 0; i < inputs.length; i++) {
            if (!Float.isFinite(inputs[i])) return Verdict.Reason.NonFiniteInput;
        }
        if (!Float.isFinite(claim)) return Verdict.Reason.NonFiniteClaim;
        for (uint256 i = 0; i < values.length; i++) {
            if (Float.equal(values[i], claim)) return Verdict.Reason.WithinBound;
        }
        return Verdict.Reason.OutsideBound;
    }
}
