// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {OpProof} from "./prover/OpProof.sol";
import {Verdict} from "./prover/Verdict.sol";

/// @title OpProver
/// @notice The one-op proof (DESIGN §6, move 4) behind an external call, with the commitments
/// given by the caller: a stateless contract a node can ask through `eth_call` whether its proof
/// holds and proves fraud before the game contract (which supplies the commitments from its
/// storage) acts on it.
contract OpProver {
    function version() external pure returns (string memory) {
        return "poai-op-prover/1";
    }

    /// @notice The verdict on the claimed value; reverts with a named error on a malformed proof.
    function judgeOp(
        OpProof.Step calldata step,
        OpProof.Op calldata op,
        OpProof.Row[] calldata inputs,
        OpProof.Value calldata output
    ) external view returns (Verdict.Reason) {
        return OpProof.judge(step, op, inputs, output);
    }

    /// @notice Whether the proof proves the value a fraud.
    function provesFraud(
        OpProof.Step calldata step,
        OpProof.Op calldata op,
        OpProof.Row[] calldata inputs,
        OpProof.Value calldata output
    ) external view returns (bool) {
        return Verdict.proves(OpProof.judge(step, op, inputs, output));
    }
}
