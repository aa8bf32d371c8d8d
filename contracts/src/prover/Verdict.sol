// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

/// @title Verdict
/// @notice Why a claimed output value was accepted or rejected (PROTOCOL §7), in the order of
/// `poai_common::check::Reason`. Only `NonFiniteClaim` and `OutsideBound` prove fraud.
library Verdict {
    enum Reason {
        /// Within the bound.
        WithinBound,
        /// Rule 1: an input the value depends on is NaN or infinite.
        NonFiniteInput,
        /// Rule 2: some order of the computation may overflow.
        MayOverflow,
        /// Rule 3: the claim is NaN or infinite where the honest value is finite.
        NonFiniteClaim,
        /// Outside the bound.
        OutsideBound,
        /// The op's output is not the f32 tensor of the shape its descriptor states (a trace
        /// of the wrong shape; Rust refuses it before judging any value).
        WrongShape
    }

    /// @notice Whether the verdict proves fraud.
    function proves(Reason r) internal pure returns (bool) {
        return r == Reason.NonFiniteClaim || r == Reason.OutsideBound || r == Reason.WrongShape;
    }
}
