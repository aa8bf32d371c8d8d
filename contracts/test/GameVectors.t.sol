// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Test} from "./utils/Test.sol";
import {Trees} from "./utils/Trees.sol";
import {Market} from "../src/market/Market.sol";
import {Dispute} from "../src/court/Dispute.sol";
import {Availability} from "../src/court/Availability.sol";
import {OpProver} from "../src/OpProver.sol";
import {Commitments, Role, Status, Terms} from "../src/market/Types.sol";
import {Merkle} from "../src/commit/Merkle.sol";
import {OpProof} from "../src/prover/OpProof.sol";
import {Verdict} from "../src/prover/Verdict.sol";

/// @notice Whole games with real prover inputs from the Rust executor
/// (`contracts/test/vectors/game.json`): a solver that raised its learning rate in segment 1 is
/// convicted through every move and the market pays the prover its bond and the bounty; a false
/// alarm against an honest solver loses its bond. The solver posts the per-step state hashes and
/// the picked step's slot hashes themselves (`segmentStates`, `traceSlots`), and the contract
/// computes both roots (AUDIT C2); the trace root it computes must be the executor's.
contract GameVectorsTest is Test, Trees {
    Market internal market;
    Dispute internal dispute;
    string internal json;
    address internal submitter = address(0x5B);
    address internal solver = address(0x50);
    address internal challenger = address(0xC1);

    uint256 internal constant PAY = 3 ether;
    uint256 internal constant STAKE = 10 ether;
    uint256 internal constant BOND = 1 ether;
    uint64 internal constant HOUR = 1 hours;
    uint64 internal constant WINDOW = 5 hours;

    function setUp() public {
        vm.warp(1_000_000);
        market = new Market(7 days, 0.01 ether, 1 ether);
        dispute = new Dispute(market, new OpProver(), HOUR, 3 * HOUR);
        Availability availability = new Availability(market, dispute, HOUR);
        market.wire(address(dispute), address(availability));
        json = vm.readFile(string.concat(vm.projectRoot(), "/test/vectors/game.json"));
        vm.deal(submitter, 100 ether);
        vm.deal(solver, 100 ether);
        vm.deal(challenger, 100 ether);
    }

    function _hashes(string memory key) internal view returns (bytes32[] memory) {
        return vm.parseJsonBytes32Array(json, key);
    }

    /// @dev A task with the vectors' commitments, claimed and committed by the solver with the
    /// given side's checkpoints (whose first is the task's initial state).
    function _committedTask(string memory side) internal returns (uint256 id) {
        bytes32[] memory checkpoints = _hashes(string.concat(".", side, ".checkpoints"));
        Commitments memory c;
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
        Terms memory t;
        t.solverStake = STAKE;
        t.challengeBond = BOND;
        t.claimBy = uint64(block.timestamp) + HOUR;
        t.solveWithin = 10 * HOUR;
        t.challengeWithin = WINDOW;
        vm.prank(submitter);
        id = market.submitTask{value: PAY}(c, t);
        bytes32 resultRoot = _root(_leaves(checkpoints));
        vm.startPrank(solver);
        market.deposit{value: STAKE}(Role.Solver);
        market.claim(id);
        market.commitResult(id, resultRoot);
        vm.stopPrank();
    }

    /// @dev The side's slot hashes of the picked step; the Rust vectors must carry them.
    function _traceSlots(string memory side) internal view returns (bytes32[] memory) {
        string memory key = string.concat(".", side, ".traceSlots");
        if (!vm.keyExistsJson(json, key)) {
            revert(
                "game.json has no traceSlots: regenerate them (cargo run -p poai-common --bin poai-vectors)"
            );
        }
        return _hashes(key);
    }

    /// @dev Moves 1–3 of a challenge of the vectors' segment, as `side`'s solver plays them.
    function _playToProof(uint256 task, string memory side) internal returns (uint256 id) {
        uint64 segment = uint64(vm.parseJsonUint(json, ".segment"));
        uint64 step = uint64(vm.parseJsonUint(json, ".step"));
        vm.prank(challenger);
        id = dispute.challenge{value: BOND}(task, segment);
        bytes32[] memory checkpoints = _hashes(string.concat(".", side, ".checkpoints"));
        bytes32[] memory states = _hashes(string.concat(".", side, ".segmentStates"));
        bytes32[] memory slots = _traceSlots(side);
        bytes32[] memory result = _leaves(checkpoints);
        bytes32[] memory first = _proof(result, segment);
        bytes32[] memory last = _proof(result, segment + 1);
        vm.prank(solver);
        dispute.postSteps(task, segment, states, first, last);
        vm.prank(challenger);
        dispute.pickStep(id, step);
        vm.prank(solver);
        dispute.postTrace(task, segment, step, slots, new bytes32[](0));
        vm.assertEq(
            dispute.traceRoot(task, segment, step),
            vm.parseJsonBytes32(json, string.concat(".", side, ".traceRoot")),
            "the contract's trace root is the executor's"
        );
        vm.assertEq(uint256(dispute.game(id).phase), uint256(Dispute.Phase.AwaitProof), "to prove");
    }

    function decode(bytes calldata data)
        external
        pure
        returns (OpProof.Step memory, OpProof.Op memory, OpProof.Row[] memory, OpProof.Value memory)
    {
        return abi.decode(data[4:], (OpProof.Step, OpProof.Op, OpProof.Row[], OpProof.Value));
    }

    /// @dev The op proof of the side's `opCall`, as the game takes it.
    function _opProof(string memory side) internal view returns (bytes memory) {
        (, OpProof.Op memory op, OpProof.Row[] memory inputs, OpProof.Value memory output) =
            this.decode(vm.parseJsonBytes(json, string.concat(".", side, ".opCall")));
        return abi.encode(op, inputs, output);
    }

    /// @notice The vectors' checkpoint 0 is the task's initial state, so segment 0's steps post
    /// (AUDIT H5), and the segments' ends are the committed checkpoints.
    function test_theVectorsStartAtTheInitialState() public {
        uint256 task = _committedTask("cheat");
        bytes32[] memory checkpoints = _hashes(".cheat.checkpoints");
        bytes32[] memory states = _hashes(".cheat.segmentStates");
        uint64 segment = uint64(vm.parseJsonUint(json, ".segment"));
        vm.assertEq(states[0], checkpoints[segment], "segment starts at its checkpoint");
        vm.assertEq(states[states.length - 1], checkpoints[segment + 1], "and ends at the next one");
        vm.assertEq(market.task(task).commitments.initStateHash, checkpoints[0], "init");
    }

    /// @notice The cheat is convicted by its op proof through the whole game; after the window
    /// the prover is paid its bond and the bounty, the submitter its escrow and share.
    function test_aCheatingSolverIsConvictedThroughTheWholeGame() public {
        uint256 task = _committedTask("cheat");
        uint256 id = _playToProof(task, "cheat");
        bytes memory proof = _opProof("cheat");
        vm.prank(challenger);
        dispute.proveOp(id, proof);
        vm.assertEq(uint256(market.task(task).status), uint256(Status.Slashed), "convicted");
        vm.assertEq(
            uint256(dispute.game(id).phase), uint256(Dispute.Phase.ChallengerWon), "challenger won"
        );
        vm.warp(block.timestamp + WINDOW + 1);
        uint256 burned = address(0xdEaD).balance;
        market.settle(task);
        vm.assertEq(market.balanceOf(challenger), BOND + STAKE / 2, "bond and bounty");
        vm.assertEq(market.balanceOf(submitter), PAY + STAKE * 3 / 10, "escrow and share");
        vm.assertEq(address(0xdEaD).balance - burned, STAKE / 5, "burned");
        vm.assertEq(address(market).balance, market.liabilities(), "solvent");
    }

    /// @notice A false alarm against the honest solver proves nothing and loses its bond.
    function test_aFalseAlarmLosesItsBond() public {
        uint256 task = _committedTask("honest");
        uint256 id = _playToProof(task, "honest");
        bytes memory honest = _opProof("honest");
        bytes memory cheat = _opProof("cheat");
        // The honest value of the same op proves nothing.
        vm.prank(challenger);
        vm.expectRevert(
            abi.encodeWithSelector(Dispute.NoFraud.selector, Verdict.Reason.WithinBound)
        );
        dispute.proveOp(id, honest);
        // Nor does the cheat's proof against the honest trace.
        vm.prank(challenger);
        vm.expectPartialRevert(Merkle.RootMismatch.selector);
        dispute.proveOp(id, cheat);
        vm.warp(block.timestamp + 3 * HOUR + 1);
        dispute.timeout(id);
        vm.assertEq(market.balanceOf(solver), BOND, "the bond to the solver");
        vm.warp(block.timestamp + WINDOW);
        market.finalize(task);
        vm.assertEq(market.balanceOf(solver), BOND + PAY, "and the payment");
        vm.assertEq(address(market).balance, market.liabilities(), "solvent");
    }
}
