// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Dot} from "./prover/Dot.sol";
import {Exact} from "./prover/Exact.sol";
import {Softmax} from "./prover/Softmax.sol";
import {Verdict} from "./prover/Verdict.sol";

/// @title OpChecker
/// @notice The tier-2 judgements of the one-op prover behind external calls, without proofs: a
/// node can ask through `eth_call` whether the contract would find a claimed value outside its
/// bound before it spends a transaction on the proof. Values are f32 bits; rows are packed
/// little-endian f32.
contract OpChecker {
    function version() external pure returns (string memory) {
        return "poai-ops/1";
    }

    function judgeDot(bytes calldata a, bytes calldata b, uint8 class, uint32 claim)
        external
        pure
        returns (Verdict.Reason)
    {
        return Dot.judge(a, b, class, claim);
    }

    function judgeSoftmax(bytes calldata z, uint32 label, uint32 j, uint32 scale, uint32 claim)
        external
        pure
        returns (Verdict.Reason)
    {
        return Softmax.judge(z, label, j, scale, claim);
    }

    function judgeExact(uint256[] calldata values, uint256[] calldata inputs, uint32 claim)
        external
        pure
        returns (Verdict.Reason)
    {
        return Exact.judge(values, inputs, claim);
    }
}
