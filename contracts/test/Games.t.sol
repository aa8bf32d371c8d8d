// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Test} from "./utils/Test.sol";
import {Trees} from "./utils/Trees.sol";
import {Market} from "../src/market/Market.sol";
import {OpProver} from "../src/OpProver.sol";
import {Games} from "../src/market/Games.sol";
import {Stakes} from "../src/market/Stakes.sol";
import {Tasks} from "../src/market/Tasks.sol";
import {Merkle} from "../src/commit/Merkle.sol";

/// @notice The dispute game's moves, deadlines and settlements on synthetic commitments (the
/// game with real prover inputs from the Rust executor is `GameVectorsTest`).
contract GamesTest is Test, Trees {
    Market internal market;
    address internal submitter = address(0x5B);
    address internal solver = address(0x50);
    address internal challenger = address(0xC1);
    address internal second = address(0xC2);

    uint64 internal constant HOUR = 1 hours;
    uint256 internal constant PAY = 3 ether;
    uint256 internal constant STAKE = 10 ether;
    uint256 internal constant BOND = 1 ether;
    uint64 internal constant STEPS = 40;
    uint64 internal constant K = 10;

    bytes32[] internal checkpoints;
    uint256 internal taskId;

    function setUp() public {
        vm.warp(1_000_000);
        market = new Market(7 days, HOUR, new OpProver());
        for (uint256 i = 0; i < 4; i++) {
            address a = [submitter, solver, challenger, second][i];
            vm.deal(a, 100 ether);
        }
        for (uint256 i = 0; i <= STEPS / K; i++) {
            checkpoints.push(keccak256(abi.encode("checkpoint", i)));
        }
        Tasks.Commitments memory c;
        c.programRoot = keccak256("program");
        c.datasetHash = keccak256("data");
        c.initStateHash = checkpoints[0];
        c.seed = keccak256("seed");
        c.layoutHash = sha256(abi.encode(uint32(4), new uint32[](4)));
        c.steps = STEPS;
        c.interval = K;
        c.ops = 28;
        c.slots = 32;
        c.batch = 8;
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
        taskId = market.submitTask{value: PAY}(c, t);
        vm.startPrank(solver);
        market.deposit{value: STAKE}(Stakes.Role.Solver);
        market.claim(taskId);
        market.commitResult(taskId, _root(_leaves(checkpoints)));
        vm.stopPrank();
    }

    /// @dev Per-step states of segment `j`: its checkpoints at the ends, made-up states between.
    function _steps(uint64 j) internal view returns (bytes32[] memory s) {
        s = new bytes32[](K + 1);
        s[0] = checkpoints[j];
        for (uint256 i = 1; i < K; i++) {
            s[i] = keccak256(abi.encode("state", j, i));
        }
        s[K] = checkpoints[j + 1];
    }

    function _ends(uint64 j, bytes32[] memory steps) internal view returns (Games.Ends memory e) {
        bytes32[] memory result = _leaves(checkpoints);
        bytes32[] memory perStep = _leaves(steps);
        e.first = steps[0];
        e.firstInResult = _proof(result, j);
        e.firstInSteps = _proof(perStep, 0);
        e.last = steps[K];
        e.lastInResult = _proof(result, j + 1);
        e.lastInSteps = _proof(perStep, K);
    }

    function _challenge(address who, uint64 j) internal returns (uint256 id) {
        vm.prank(who);
        id = market.challenge{value: BOND}(taskId, j);
    }

    function _toProof(uint256 id, uint64 j) internal {
        // Arguments first: hashing calls the precompile, which would use up the prank.
        bytes32[] memory steps = _steps(j);
        Games.Ends memory ends = _ends(j, steps);
        bytes32 root = _root(_leaves(steps));
        vm.prank(solver);
        market.postSteps(id, root, ends);
        vm.prank(challenger);
        market.pickStep(id, 3);
        vm.prank(solver);
        market.postTrace(id, keccak256("trace"));
    }

    function _solvent() internal view {
        vm.assertEq(address(market).balance, market.liabilities(), "solvent");
    }

    // ------------------------------------------------------------------ challenge

    function test_aChallengeTakesTheBondAndBlocksFinalization() public {
        uint256 id = _challenge(challenger, 2);
        Games.Game memory g = market.game(id);
        vm.assertEq(uint256(g.phase), uint256(Games.Phase.AwaitSteps), "solver to move");
        vm.assertEq(g.bond, BOND, "bond");
        vm.assertEq(market.task(taskId).openGames, 1, "open");
        vm.warp(block.timestamp + 5 * HOUR + 1);
        vm.expectRevert(abi.encodeWithSelector(Tasks.OpenGames.selector, taskId, 1));
        market.finalize(taskId);
        _solvent();
    }

    function test_challengesNeedTheBondASegmentAndTheWindow() public {
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Games.WrongBond.selector, BOND, BOND - 1));
        market.challenge{value: BOND - 1}(taskId, 0);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Games.NoSuchSegment.selector, 4, 4));
        market.challenge{value: BOND}(taskId, 4);
        vm.warp(block.timestamp + 5 * HOUR + 1);
        vm.prank(challenger);
        vm.expectPartialRevert(Tasks.TooLate.selector);
        market.challenge{value: BOND}(taskId, 0);
    }

    // ------------------------------------------------------------------ moves

    function test_theMovesRunInTurnAndCheckTheSegmentsEnds() public {
        uint256 id = _challenge(challenger, 1);
        bytes32[] memory steps = _steps(1);
        Games.Ends memory ends = _ends(1, steps);
        bytes32 root = _root(_leaves(steps));
        // Only the solver posts, and only the segment's own checkpoints.
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Games.NotYourMove.selector, id, solver));
        market.postSteps(id, root, ends);
        Games.Ends memory wrong = _ends(2, _steps(2));
        vm.prank(solver);
        vm.expectPartialRevert(Merkle.RootMismatch.selector);
        market.postSteps(id, root, wrong);
        vm.prank(solver);
        market.postSteps(id, root, ends);
        // The challenger picks a step inside the segment.
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Games.NoSuchStep.selector, K, K));
        market.pickStep(id, K);
        vm.prank(challenger);
        market.pickStep(id, 3);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Games.NotYourMove.selector, id, solver));
        market.postTrace(id, keccak256("trace"));
        vm.prank(solver);
        market.postTrace(id, keccak256("trace"));
        Games.Game memory g = market.game(id);
        vm.assertEq(uint256(g.phase), uint256(Games.Phase.AwaitProof), "challenger to prove");
        vm.assertEq(g.step, 3, "step");
        vm.assertEq(g.stepsRoot, root, "steps root");
    }

    function test_aLateMoveReverts() public {
        uint256 id = _challenge(challenger, 0);
        vm.warp(block.timestamp + HOUR + 1);
        bytes32[] memory steps = _steps(0);
        Games.Ends memory ends = _ends(0, steps);
        bytes32 root = _root(_leaves(steps));
        vm.prank(solver);
        vm.expectPartialRevert(Games.MoveTooLate.selector);
        market.postSteps(id, root, ends);
    }

    // ------------------------------------------------------------------ timeouts and settlement

    function test_aSilentSolverIsSlashed() public {
        uint256 id = _challenge(challenger, 0);
        vm.expectPartialRevert(Games.NotTimedOut.selector);
        market.timeout(id);
        vm.warp(block.timestamp + HOUR + 1);
        uint256 burnedBefore = address(0xdEaD).balance;
        market.timeout(id);
        vm.assertEq(uint256(market.task(taskId).status), uint256(Tasks.Status.Slashed), "slashed");
        vm.assertEq(market.balanceOf(challenger), BOND + STAKE / 2, "bond and bounty");
        vm.assertEq(market.balanceOf(submitter), PAY + STAKE * 3 / 10, "escrow and share");
        vm.assertEq(address(0xdEaD).balance - burnedBefore, STAKE / 5, "burned");
        vm.assertEq(market.stakeOf(solver, Stakes.Role.Solver).locked, 0, "stake gone");
        // Nothing moves twice.
        vm.expectPartialRevert(Games.WrongPhase.selector);
        market.timeout(id);
        vm.expectPartialRevert(Tasks.WrongStatus.selector);
        market.finalize(taskId);
        _solvent();
    }

    function test_aSilentChallengerLosesItsBond() public {
        uint256 id = _challenge(challenger, 2);
        bytes32[] memory steps = _steps(2);
        Games.Ends memory ends = _ends(2, steps);
        bytes32 root = _root(_leaves(steps));
        vm.prank(solver);
        market.postSteps(id, root, ends);
        vm.warp(block.timestamp + HOUR + 1);
        market.timeout(id);
        vm.assertEq(market.balanceOf(solver), BOND, "bond to the solver");
        vm.assertEq(market.task(taskId).openGames, 0, "closed");
        vm.warp(block.timestamp + 5 * HOUR);
        market.finalize(taskId);
        vm.assertEq(market.balanceOf(solver), BOND + PAY, "and paid");
        _solvent();
    }

    function test_aChallengerThatCannotProveLosesItsBond() public {
        uint256 id = _challenge(challenger, 1);
        _toProof(id, 1);
        vm.warp(block.timestamp + HOUR + 1);
        market.timeout(id);
        vm.assertEq(uint256(market.game(id).phase), uint256(Games.Phase.SolverWon), "solver won");
        vm.assertEq(market.balanceOf(solver), BOND, "bond to the solver");
        _solvent();
    }

    function test_aSolverSilentAfterThePickIsSlashed() public {
        uint256 id = _challenge(challenger, 1);
        bytes32[] memory steps = _steps(1);
        Games.Ends memory ends = _ends(1, steps);
        bytes32 root = _root(_leaves(steps));
        vm.prank(solver);
        market.postSteps(id, root, ends);
        vm.prank(challenger);
        market.pickStep(id, 0);
        vm.warp(block.timestamp + HOUR + 1);
        market.timeout(id);
        vm.assertEq(uint256(market.task(taskId).status), uint256(Tasks.Status.Slashed), "slashed");
        _solvent();
    }

    function test_otherGamesEndWithoutLossOnceTheTaskIsSlashed() public {
        uint256 first = _challenge(challenger, 0);
        uint256 other = _challenge(second, 3);
        vm.expectRevert(abi.encodeWithSelector(Games.TaskStillOpen.selector, taskId));
        market.endGame(other);
        vm.warp(block.timestamp + HOUR + 1);
        market.timeout(first);
        // The second challenger's game cannot go on, and its bond comes back whole.
        bytes32[] memory steps = _steps(3);
        Games.Ends memory ends = _ends(3, steps);
        bytes32 root = _root(_leaves(steps));
        vm.prank(solver);
        vm.expectPartialRevert(Games.WrongPhase.selector);
        market.postSteps(first, root, ends);
        vm.expectPartialRevert(Tasks.WrongStatus.selector);
        market.timeout(other);
        market.endGame(other);
        vm.assertEq(market.balanceOf(second), BOND, "bond back");
        vm.assertEq(market.task(taskId).openGames, 0, "all closed");
        vm.expectPartialRevert(Games.WrongPhase.selector);
        market.endGame(other);
        _solvent();
    }

    function test_aProofThatProvesNothingReverts() public {
        uint256 id = _challenge(challenger, 1);
        _toProof(id, 1);
        Games.Link memory link;
        link.layout = abi.encode(uint32(4), new uint32[](3));
        vm.prank(challenger);
        vm.expectPartialRevert(Games.LayoutMismatch.selector);
        market.proveLink(id, link);
    }

    /// @notice Any stake splits exactly: bounty, submitter's share and the burned rest add up.
    function testFuzz_theSlashSplitsAnyStakeExactly(uint96 stake) public {
        vm.assume(stake > 0);
        Tasks.Task memory k = market.task(taskId);
        Tasks.Terms memory t = k.terms;
        t.solverStake = stake;
        t.claimBy = uint64(block.timestamp) + HOUR;
        vm.deal(solver, uint256(stake));
        vm.prank(submitter);
        uint256 id = market.submitTask{value: PAY}(k.commitments, t);
        bytes32 root = k.resultRoot;
        vm.startPrank(solver);
        market.deposit{value: stake}(Stakes.Role.Solver);
        market.claim(id);
        market.commitResult(id, root);
        vm.stopPrank();
        vm.prank(challenger);
        uint256 game = market.challenge{value: BOND}(id, 0);
        vm.warp(block.timestamp + HOUR + 1);
        uint256 burned = address(0xdEaD).balance;
        market.timeout(game);
        uint256 bounty = uint256(stake) / 2;
        uint256 share = uint256(stake) * 3 / 10;
        vm.assertEq(market.balanceOf(challenger), BOND + bounty, "bounty");
        vm.assertEq(market.balanceOf(submitter), PAY + share, "share");
        vm.assertEq(address(0xdEaD).balance - burned, uint256(stake) - bounty - share, "burned");
        vm.assertEq(address(market).balance, market.liabilities(), "solvent");
    }
}
