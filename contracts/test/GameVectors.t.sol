// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Test} from "./utils/Test.sol";
import {Trees} from "./utils/Trees.sol";
import {Market} from "../src/market/Market.sol";
import {OpProver} from "../src/OpProver.sol";
import {Merkle} from "../src/commit/Merkle.sol";
import {Games} from "../src/market/Games.sol";
import {Stakes} from "../src/market/Stakes.sol";
import {Tasks} from "../src/market/Tasks.sol";
import {OpProof} from "../src/prover/OpProof.sol";
import {Verdict} from "../src/prover/Verdict.sol";

/// @notice Whole games with real prover inputs from the Rust executor
/// (`contracts/test/vectors/game.json`): a solver that raised its learning rate in segment 1 is
/// slashed through every move, and a false alarm against an honest solver loses its bond.
contract GameVectorsTest is Test, Trees {
    Market internal market;
    string internal json;
    address internal submitter = address(0x5B);
    address internal solver = address(0x50);
    address internal challenger = address(0xC1);

    uint256 internal constant PAY = 3 ether;
    uint256 internal constant STAKE = 10 ether;
    uint256 internal constant BOND = 1 ether;
    uint64 internal constant HOUR = 1 hours;

    function setUp() public {
        vm.warp(1_000_000);
        market = new Market(7 days, HOUR, new OpProver());
        json = vm.readFile(string.concat(vm.projectRoot(), "/test/vectors/game.json"));
        vm.deal(submitter, 100 ether);
        vm.deal(solver, 100 ether);
        vm.deal(challenger, 100 ether);
    }

    function _hashes(string memory key) internal view returns (bytes32[] memory) {
        return vm.parseJsonBytes32Array(json, key);
    }

    /// @dev A task with the vectors' commitments, claimed and committed by the solver with the
    /// given side's checkpoints.
    function _committedTask(string memory side) internal returns (uint256 id) {
        bytes32[] memory checkpoints = _hashes(string.concat(".", side, ".checkpoints"));
        Tasks.Commitments memory c;
        c.programRoot = vm.parseJsonBytes32(json, ".programRoot");
        c.datasetHash = vm.parseJsonBytes32(json, ".datasetHash");
        c.initStateHash = checkpoints[0];
        c.seed = vm.parseJsonBytes32(json, ".seed");
        c.layoutHash = sha256(vm.parseJsonBytes(json, ".layout"));
        c.steps = uint64(vm.parseJsonUint(json, ".steps"));
        c.interval = uint64(vm.parseJsonUint(json, ".interval"));
        c.ops = uint32(vm.parseJsonUint(json, ".ops"));
        c.slots = uint32(vm.parseJsonUint(json, ".slots"));
        c.batch = uint32(vm.parseJsonUint(json, ".batch"));
        Tasks.Terms memory t = Tasks.Terms({
            solverStake: STAKE,
            challengeBond: BOND,
            verifierStake: 2 ether,
            verifierFee: 0.1 ether,
            samples: 2,
            claimBy: uint64(block.timestamp) + HOUR,
            solveWithin: 10 * HOUR,
            challengeWithin: 5 * HOUR
        });
        vm.prank(submitter);
        id = market.submitTask{value: PAY}(c, t);
        bytes32 resultRoot = _root(_leaves(checkpoints));
        vm.startPrank(solver);
        market.deposit{value: STAKE}(Stakes.Role.Solver);
        market.claim(id);
        market.commitResult(id, resultRoot);
        vm.stopPrank();
    }

    /// @dev Moves 1–3 of a challenge of the vectors' segment, as `side`'s solver plays them.
    function _playToProof(uint256 task, string memory side) internal returns (uint256 id) {
        uint64 segment = uint64(vm.parseJsonUint(json, ".segment"));
        vm.prank(challenger);
        id = market.challenge{value: BOND}(task, segment);
        bytes32[] memory checkpoints = _hashes(string.concat(".", side, ".checkpoints"));
        bytes32[] memory states = _hashes(string.concat(".", side, ".segmentStates"));
        bytes32[] memory result = _leaves(checkpoints);
        bytes32[] memory perStep = _leaves(states);
        Games.Ends memory ends = Games.Ends({
            first: states[0],
            firstInResult: _proof(result, segment),
            firstInSteps: _proof(perStep, 0),
            last: states[states.length - 1],
            lastInResult: _proof(result, segment + 1),
            lastInSteps: _proof(perStep, states.length - 1)
        });
        bytes32 stepsRoot = _root(perStep);
        vm.prank(solver);
        market.postSteps(id, stepsRoot, ends);
        vm.prank(challenger);
        market.pickStep(id, uint64(vm.parseJsonUint(json, ".step")));
        bytes32 traceRoot = vm.parseJsonBytes32(json, string.concat(".", side, ".traceRoot"));
        vm.prank(solver);
        market.postTrace(id, traceRoot);
    }

    function decode(bytes calldata data)
        external
        pure
        returns (OpProof.Step memory, OpProof.Op memory, OpProof.Row[] memory, OpProof.Value memory)
    {
        return abi.decode(data[4:], (OpProof.Step, OpProof.Op, OpProof.Row[], OpProof.Value));
    }

    function test_aCheatingSolverIsSlashedThroughTheWholeGame() public {
        uint256 task = _committedTask("cheat");
        uint256 id = _playToProof(task, "cheat");
        (, OpProof.Op memory op, OpProof.Row[] memory inputs, OpProof.Value memory output) =
            this.decode(vm.parseJsonBytes(json, ".cheat.opCall"));
        uint256 burned = address(0xdEaD).balance;
        vm.prank(challenger);
        market.proveOp(id, abi.encode(op, inputs, output));
        vm.assertEq(uint256(market.task(task).status), uint256(Tasks.Status.Slashed), "slashed");
        vm.assertEq(
            uint256(market.game(id).phase), uint256(Games.Phase.ChallengerWon), "challenger won"
        );
        vm.assertEq(market.balanceOf(challenger), BOND + STAKE / 2, "bond and bounty");
        vm.assertEq(market.balanceOf(submitter), PAY + STAKE * 3 / 10, "escrow and share");
        vm.assertEq(address(0xdEaD).balance - burned, STAKE / 5, "burned");
        vm.assertEq(address(market).balance, market.liabilities(), "solvent");
    }

    function test_aFalseAlarmLosesItsBond() public {
        uint256 task = _committedTask("honest");
        uint256 id = _playToProof(task, "honest");
        (, OpProof.Op memory op, OpProof.Row[] memory inputs, OpProof.Value memory output) =
            this.decode(vm.parseJsonBytes(json, ".honest.opCall"));
        // The honest value of the same op proves nothing.
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Games.NoFraud.selector, Verdict.Reason.WithinBound));
        market.proveOp(id, abi.encode(op, inputs, output));
        // Nor does the cheat's proof against the honest trace.
        (, op, inputs, output) = this.decode(vm.parseJsonBytes(json, ".cheat.opCall"));
        vm.prank(challenger);
        vm.expectPartialRevert(Merkle.RootMismatch.selector);
        market.proveOp(id, abi.encode(op, inputs, output));
        vm.warp(block.timestamp + HOUR + 1);
        market.timeout(id);
        vm.assertEq(market.balanceOf(solver), BOND, "the bond to the solver");
        vm.warp(block.timestamp + 5 * HOUR);
        market.finalize(task);
        vm.assertEq(market.balanceOf(solver), BOND + PAY, "and the payment");
        vm.assertEq(address(market).balance, market.liabilities(), "solvent");
    }
}
