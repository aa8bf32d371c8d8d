// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Test} from "./utils/Test.sol";
import {OpProver} from "../src/OpProver.sol";
import {Merkle} from "../src/commit/Merkle.sol";
import {Tensor} from "../src/commit/Tensor.sol";
import {OpProof} from "../src/prover/OpProof.sol";
import {Verdict} from "../src/prover/Verdict.sol";

/// @notice Whole op proofs from real traces (`contracts/test/vectors/prover.json`, written by
/// `poai-vectors` as the calldata a node sends): the contract gives each the verdict Rust gives
/// the value, malformed proofs revert with named errors, and the gas of a proof per op.
contract OpProverTest is Test {
    OpProver internal prover;
    string internal json;
    uint256 internal cases;

    function setUp() public {
        prover = new OpProver();
        json = vm.readFile(string.concat(vm.projectRoot(), "/test/vectors/prover.json"));
        cases = lengthOf(json, "cases");
    }

    function _name(Verdict.Reason r) internal pure returns (string memory) {
        if (r == Verdict.Reason.WithinBound) return "within_bound";
        if (r == Verdict.Reason.NonFiniteInput) return "non_finite_input";
        if (r == Verdict.Reason.MayOverflow) return "may_overflow";
        if (r == Verdict.Reason.NonFiniteClaim) return "non_finite_claim";
        if (r == Verdict.Reason.OutsideBound) return "outside_bound";
        return "wrong_shape";
    }

    function _case(uint256 i)
        internal
        view
        returns (string memory name, bytes memory data, string memory reason)
    {
        name = vm.parseJsonString(json, _key(i, "name"));
        data = vm.parseJsonBytes(json, _key(i, "calldata"));
        reason = vm.parseJsonString(json, _key(i, "reason"));
    }

    function _key(uint256 i, string memory field) internal pure returns (string memory) {
        return string.concat(at("cases", i), ".", field);
    }

    function _call(bytes memory data) internal view returns (Verdict.Reason) {
        (bool ok, bytes memory ret) = address(prover).staticcall(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        return abi.decode(ret, (Verdict.Reason));
    }

    function test_everyProofGetsRustsVerdict() public view {
        vm.assertTrue(cases > 50, "cases");
        uint256 frauds;
        for (uint256 i = 0; i < cases; i++) {
            (string memory name, bytes memory data, string memory want) = _case(i);
            Verdict.Reason got = _call(data);
            vm.assertEq(_name(got), want, name);
            if (Verdict.proves(got)) frauds++;
        }
        vm.assertTrue(frauds > 20, "frauds proven");
    }

    /// @dev Every data and link proof of the vectors gets Rust's answer.
    function test_dataAndLinkProofsGetRustsAnswer() public view {
        string[2] memory kinds = ["loads", "links"];
        uint256 proven;
        for (uint256 k = 0; k < 2; k++) {
            uint256 n = lengthOf(json, kinds[k]);
            vm.assertTrue(n >= 3, kinds[k]);
            for (uint256 i = 0; i < n; i++) {
                string memory p = at(kinds[k], i);
                bytes memory data = vm.parseJsonBytes(json, string.concat(p, ".calldata"));
                bool want = vm.parseJsonBool(json, string.concat(p, ".fraud"));
                (bool ok, bytes memory ret) = address(prover).staticcall(data);
                vm.assertTrue(ok, vm.parseJsonString(json, string.concat(p, ".name")));
                bool got = abi.decode(ret, (bool));
                vm.assertEq(
                    got ? 1 : 0, want ? 1 : 0, vm.parseJsonString(json, string.concat(p, ".name"))
                );
                if (got) proven++;
            }
        }
        vm.assertTrue(proven >= 3, "frauds proven");
    }

    function decodeLoad(bytes calldata data)
        external
        pure
        returns (
            OpProof.Step memory,
            OpProof.Op memory,
            OpProof.Data memory,
            OpProof.Slot memory,
            OpProof.RowRoot memory,
            OpProof.RowRoot memory
        )
    {
        return abi.decode(
            data[4:],
            (OpProof.Step, OpProof.Op, OpProof.Data, OpProof.Slot, OpProof.RowRoot, OpProof.RowRoot)
        );
    }

    function test_aDataProofOfAnotherSourceRowReverts() public {
        bytes memory data = vm.parseJsonBytes(json, string.concat(at("loads", 2), ".calldata"));
        (
            OpProof.Step memory s,
            OpProof.Op memory o,
            OpProof.Data memory d,
            OpProof.Slot memory out,
            OpProof.RowRoot memory loaded,
            OpProof.RowRoot memory source
        ) = this.decodeLoad(data);
        vm.assertTrue(prover.provesLoadFraud(s, o, d, out, loaded, source), "as given");
        source.row = (source.row + 1) % d.header.rows;
        vm.expectPartialRevert(OpProof.WrongSourceRow.selector);
        prover.provesLoadFraud(s, o, d, out, loaded, source);
    }

    function test_aDataProofOfAnotherOpReverts() public {
        bytes memory data = vm.parseJsonBytes(json, string.concat(at("loads", 0), ".calldata"));
        (
            OpProof.Step memory s,
            OpProof.Op memory o,
            OpProof.Data memory d,
            OpProof.Slot memory out,
            OpProof.RowRoot memory loaded,
            OpProof.RowRoot memory source
        ) = this.decodeLoad(data);
        (, OpProof.Op memory matmul,,) = _find("honest matmul_nt");
        vm.expectRevert(abi.encodeWithSelector(OpProof.NotALoad.selector, OpProof.MATMUL_NT));
        prover.provesLoadFraud(s, matmul, d, out, loaded, source);
        o.index = 0;
    }

    /// @dev The parts of a proof, from its calldata.
    function decode(bytes calldata data)
        external
        pure
        returns (OpProof.Step memory, OpProof.Op memory, OpProof.Row[] memory, OpProof.Value memory)
    {
        return abi.decode(data[4:], (OpProof.Step, OpProof.Op, OpProof.Row[], OpProof.Value));
    }

    /// @dev The first case whose name starts with `prefix`, decoded.
    function _find(string memory prefix)
        internal
        view
        returns (
            OpProof.Step memory s,
            OpProof.Op memory o,
            OpProof.Row[] memory x,
            OpProof.Value memory v
        )
    {
        for (uint256 i = 0; i < cases; i++) {
            (string memory name, bytes memory data,) = _case(i);
            if (_startsWith(name, prefix)) return this.decode(data);
        }
        revert("no such case");
    }

    function _startsWith(string memory s, string memory prefix) internal pure returns (bool) {
        bytes memory a = bytes(s);
        bytes memory b = bytes(prefix);
        if (a.length < b.length) return false;
        for (uint256 i = 0; i < b.length; i++) {
            if (a[i] != b[i]) return false;
        }
        return true;
    }

    function test_theDecodedForgedMatmulProvesFraud() public view {
        (
            OpProof.Step memory s,
            OpProof.Op memory o,
            OpProof.Row[] memory x,
            OpProof.Value memory v
        ) = _find("forged matmul_nt");
        vm.assertTrue(prover.provesFraud(s, o, x, v), "forged value proven");
        (s, o, x, v) = _find("honest matmul_nt");
        vm.assertFalse(prover.provesFraud(s, o, x, v), "honest value stands");
    }

    function test_opProofOfTheWrongDepthReverts() public {
        (
            OpProof.Step memory s,
            OpProof.Op memory o,
            OpProof.Row[] memory x,
            OpProof.Value memory v
        ) = _find("forged matmul_nt");
        bytes32[] memory shorter = new bytes32[](o.siblings.length - 1);
        for (uint256 i = 0; i < shorter.length; i++) {
            shorter[i] = o.siblings[i];
        }
        o.siblings = shorter;
        vm.expectRevert(
            abi.encodeWithSelector(
                Merkle.WrongDepth.selector, s.ops, shorter.length + 1, shorter.length
            )
        );
        prover.judgeOp(s, o, x, v);
    }

    function test_anOpProvenAtTheWrongPositionReverts() public {
        (
            OpProof.Step memory s,
            OpProof.Op memory o,
            OpProof.Row[] memory x,
            OpProof.Value memory v
        ) = _find("forged matmul_nt");
        o.index += 1;
        vm.expectPartialRevert(Merkle.RootMismatch.selector);
        prover.judgeOp(s, o, x, v);
        o.index = s.ops;
        vm.expectRevert(abi.encodeWithSelector(Merkle.IndexOutOfRange.selector, s.ops, s.ops));
        prover.judgeOp(s, o, x, v);
    }

    function test_aTamperedDescriptorReverts() public {
        (
            OpProof.Step memory s,
            OpProof.Op memory o,
            OpProof.Row[] memory x,
            OpProof.Value memory v
        ) = _find("forged matmul_nt");
        o.descriptor[31] = bytes1(uint8(o.descriptor[31]) ^ 1);
        vm.expectPartialRevert(Merkle.RootMismatch.selector);
        prover.judgeOp(s, o, x, v);
    }

    function test_aTruncatedRowReverts() public {
        (
            OpProof.Step memory s,
            OpProof.Op memory o,
            OpProof.Row[] memory x,
            OpProof.Value memory v
        ) = _find("forged matmul_nt");
        bytes memory row = x[0].data;
        assembly ("memory-safe") {
            mstore(row, sub(mload(row), 4))
        }
        vm.expectRevert(
            abi.encodeWithSelector(Tensor.RowLength.selector, row.length + 4, row.length)
        );
        prover.judgeOp(s, o, x, v);
    }

    function test_inputsOfOtherSlotsOrRowsRevert() public {
        (
            OpProof.Step memory s,
            OpProof.Op memory o,
            OpProof.Row[] memory x,
            OpProof.Value memory v
        ) = _find("forged matmul_nt");
        (x[0], x[1]) = (x[1], x[0]);
        vm.expectPartialRevert(OpProof.WrongInput.selector);
        prover.judgeOp(s, o, x, v);
        (x[0], x[1]) = (x[1], x[0]);
        x[0].row += 1;
        vm.expectPartialRevert(OpProof.WrongInput.selector);
        prover.judgeOp(s, o, x, v);
        x[0].row -= 1;
        OpProof.Row[] memory one = new OpProof.Row[](1);
        one[0] = x[0];
        vm.expectRevert(abi.encodeWithSelector(OpProof.InputCount.selector, 2, 1));
        prover.judgeOp(s, o, one, v);
    }

    function test_anOutputOfAnotherSlotReverts() public {
        (
            OpProof.Step memory s,
            OpProof.Op memory o,
            OpProof.Row[] memory x,
            OpProof.Value memory v
        ) = _find("forged matmul_nt");
        uint256 slot = v.tensor.slot;
        v.tensor.slot = x[0].tensor.slot;
        vm.expectRevert(
            abi.encodeWithSelector(OpProof.WrongOutput.selector, slot, x[0].tensor.slot)
        );
        prover.judgeOp(s, o, x, v);
    }

    function test_aProofIntoAnotherTraceReverts() public {
        (
            OpProof.Step memory s,
            OpProof.Op memory o,
            OpProof.Row[] memory x,
            OpProof.Value memory v
        ) = _find("forged matmul_nt");
        s.traceRoot = bytes32(uint256(s.traceRoot) ^ 1);
        vm.expectPartialRevert(Merkle.RootMismatch.selector);
        prover.judgeOp(s, o, x, v);
    }

    /// @notice The gas of each one-op fraud proof (the call to `OpProver.judgeOp`, cold, from a
    /// frame of its own so that the test's memory costs nothing), beside its calldata floor.
    function test_gasOfAProofPerOp() public {
        uint256 found;
        for (uint256 i = 0; i < cases; i++) {
            (string memory name, bytes memory data,) = _case(i);
            if (!_startsWith(name, "gas: ")) continue;
            this.measure(name, data);
            found++;
        }
        vm.assertEq(found, 7, "gas cases");
    }

    /// @notice AUDIT M4: a softmax proof at the spec's class cap (256, `spec::MAX_CLASSES`)
    /// proves its fraud within a transaction's 10 M gas, calldata included; above the cap, a
    /// cheater could alter the op where no proof fits a block.
    function test_M4_aSoftmaxProofAtTheClassCapFitsATransaction() public {
        for (uint256 i = 0; i < cases; i++) {
            (string memory name, bytes memory data,) = _case(i);
            if (keccak256(bytes(name)) != keccak256("gas: softmax_xent_grad of 256")) continue;
            uint256 before = gasleft();
            (bool ok, bytes memory ret) = address(prover).staticcall(data);
            uint256 used = before - gasleft();
            vm.assertTrue(ok && Verdict.proves(abi.decode(ret, (Verdict.Reason))), "proves");
            vm.assertTrue(used + 21_000 + data.length * 16 < 10_000_000, "fits a transaction");
            return;
        }
        revert("no softmax vector at the class cap: regenerate the vectors");
    }

    function measure(string calldata name, bytes calldata data) external {
        bytes memory d = data;
        vm.startSnapshotGas(name);
        (bool ok, bytes memory ret) = address(prover).staticcall(d);
        vm.stopSnapshotGas();
        vm.assertTrue(ok, name);
        vm.assertTrue(Verdict.proves(abi.decode(ret, (Verdict.Reason))), name);
        vm.snapshotValue(string.concat(name, " (calldata floor, bytes x 16)"), d.length * 16);
    }
}
