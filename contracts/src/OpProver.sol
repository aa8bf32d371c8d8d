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

    /// @notice Whether a loaded row differs from the data set row the batch rule names.
    function provesLoadFraud(
        OpProof.Step calldata step,
        OpProof.Op calldata op,
        OpProof.Data calldata data,
        OpProof.Slot calldata output,
        OpProof.RowRoot calldata loaded,
        OpProof.RowRoot calldata source
    ) external view returns (bool) {
        return OpProof.judgeLoad(step, op, data, output, loaded, source);
    }

    /// @notice Whether a state slot of the trace differs from the committed state's tensor.
    function provesLinkFraud(
        OpProof.Step calldata step,
        OpProof.StateTensor calldata tensor,
        bool next,
        uint256 nextSlot,
        OpProof.Slot calldata slot
    ) external view returns (bool) {
        return OpProof.judgeLink(step, tensor, next, nextSlot, slot);
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
