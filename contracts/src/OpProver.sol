// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Tensor} from "./commit/Tensor.sol";
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

    /// @notice `judgeOp` with the challenger's parts as one blob, `abi.encode(Op, Row[], Value)`:
    /// the form the game passes on, so that the market carries no decoder for them.
    function judgeOpProof(OpProof.Step calldata step, bytes calldata proof)
        external
        view
        returns (Verdict.Reason)
    {
        (OpProof.Op memory op, OpProof.Row[] memory inputs, OpProof.Value memory output) =
            abi.decode(proof, (OpProof.Op, OpProof.Row[], OpProof.Value));
        return OpProof.judge(step, op, inputs, output);
    }

    /// @notice `provesLoadFraud` with the task's data fixed by the caller and the challenger's
    /// parts as one blob, `abi.encode(Op, Tensor.Header dataset, Slot output, RowRoot loaded,
    /// RowRoot source)`.
    function provesLoadFraudProof(
        OpProof.Step calldata step,
        bytes32 datasetHash,
        bytes32 seed,
        uint64 t,
        bytes calldata proof
    ) external view returns (bool) {
        (
            OpProof.Op memory op,
            Tensor.Header memory dataset,
            OpProof.Slot memory output,
            OpProof.RowRoot memory loaded,
            OpProof.RowRoot memory source
        ) = abi.decode(
            proof, (OpProof.Op, Tensor.Header, OpProof.Slot, OpProof.RowRoot, OpProof.RowRoot)
        );
        OpProof.Data memory data =
            OpProof.Data({datasetHash: datasetHash, header: dataset, seed: seed, step: t});
        return OpProof.judgeLoad(step, op, data, output, loaded, source);
    }

    /// @notice `provesLinkFraud` with the state fixed by the caller and the challenger's parts as
    /// one blob, `abi.encode(bytes32 tensorHash, bytes32[] tensorInState, Slot slot)`.
    function provesLinkFraudProof(
        OpProof.Step calldata step,
        bytes32 stateHash,
        uint256 tensorCount,
        uint256 index,
        bool next,
        uint256 nextSlot,
        bytes calldata proof
    ) external view returns (bool) {
        (bytes32 tensorHash, bytes32[] memory siblings, OpProof.Slot memory slot) =
            abi.decode(proof, (bytes32, bytes32[], OpProof.Slot));
        OpProof.StateTensor memory t = OpProof.StateTensor({
            stateHash: stateHash,
            tensorCount: tensorCount,
            index: index,
            tensorHash: tensorHash,
            siblings: siblings
        });
        return OpProof.judgeLink(step, t, next, nextSlot, slot);
    }

    /// @notice Reverts unless `data` is row `row` of the tensor `tensorHash` commits to (for the
    /// market's data-availability answers, so that it need not carry the row hashing itself).
    function checkRow(
        Tensor.Header calldata header,
        bytes32 tensorHash,
        uint256 row,
        bytes calldata data,
        bytes32[] calldata siblings
    ) external view {
        Tensor.checkRow(header, tensorHash, row, data, siblings);
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
