// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {CourtFixture} from "./utils/Court.sol";
import {Market} from "../src/market/Market.sol";
import {Tasks} from "../src/market/Tasks.sol";
import {NO_SEGMENT, Role, Status, Task} from "../src/market/Types.sol";
import {Court} from "../src/court/Court.sol";
import {Dispute} from "../src/court/Dispute.sol";
import {Availability} from "../src/court/Availability.sol";
import {Merkle} from "../src/commit/Merkle.sol";
import {Tensor} from "../src/commit/Tensor.sol";
import {Verdict} from "../src/prover/Verdict.sol";

/// @notice The dispute game (DESIGN §6) on synthetic commitments: every move, the chess clocks,
/// the moves a solver shares between games, and how a conviction is settled by the market (the
/// game with real prover inputs from the Rust executor is `GameVectorsTest`). Tests named
/// `test_<finding>_…` each check a rule that AUDIT.md's finding broke.
contract DisputeTest is CourtFixture {
    uint256 internal constant AWAIT_STEPS = uint256(Dispute.Phase.AwaitSteps);
    uint256 internal constant AWAIT_PICK = uint256(Dispute.Phase.AwaitPick);
    uint256 internal constant AWAIT_TRACE = uint256(Dispute.Phase.AwaitTrace);
    uint256 internal constant AWAIT_PROOF = uint256(Dispute.Phase.AwaitProof);
    uint256 internal constant CHALLENGER_WON = uint256(Dispute.Phase.ChallengerWon);
    uint256 internal constant SOLVER_WON = uint256(Dispute.Phase.SolverWon);

    /// @dev A game on segment `j` played by an honest challenger up to its proof against a
    /// cheat's trace of step `s`; returns the link proof.
    function _toProof(uint256 id, uint64 j, uint64 s) internal returns (Dispute.Link memory) {
        _postSteps(j);
        _pick(dispute.game(id).challenger, id, s);
        bytes32[] memory slots = _cheatSlots(j, s);
        _postTrace(j, s, slots);
        return _link(j, s, slots, _cheatHeader());
    }

    // ------------------------------------------------------------------ challenge

    /// @notice A challenge's bond is held by the market (the game holds no wei), and an open
    /// game blocks finalization.
    function test_aChallengeHoldsTheBondInTheMarketAndBlocksFinalization() public {
        uint256 before = address(market).balance;
        uint256 id = _challenge(challenger, 2);
        Dispute.Game memory g = dispute.game(id);
        vm.assertEq(uint256(g.phase), AWAIT_STEPS, "solver to move");
        vm.assertEq(g.bond, BOND, "bond");
        vm.assertEq(g.order, 1, "first case");
        vm.assertEq(g.solverClock, CLOCK, "solver's clock");
        vm.assertEq(g.challengerClock, CLOCK, "challenger's clock");
        vm.assertEq(market.task(taskId).openCases, 1, "open");
        vm.assertEq(dispute.openOn(taskId, 2), 1, "open on the segment");
        vm.assertEq(address(market).balance - before, BOND, "the market holds the bond");
        _afterWindow();
        vm.expectRevert(abi.encodeWithSelector(Tasks.OpenCases.selector, taskId, 1));
        market.finalize(taskId);
        _solvent();
    }

    /// @notice A challenge needs the task's bond, a segment of the task and the window.
    function test_challengesNeedTheBondASegmentAndTheWindow() public {
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Tasks.WrongBond.selector, BOND, BOND - 1));
        dispute.challenge{value: BOND - 1}(taskId, 0);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Dispute.NoSuchSegment.selector, 4, 4));
        dispute.challenge{value: BOND}(taskId, 4);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Tasks.NoSuchTask.selector, 7));
        dispute.challenge{value: BOND}(7, 0);
        _afterWindow();
        vm.prank(challenger);
        vm.expectPartialRevert(Court.TooLate.selector);
        dispute.challenge{value: BOND}(taskId, 0);
    }

    // ------------------------------------------------------------------ moves

    /// @notice The moves run in turn, by the right side, with the segment's own checkpoints.
    function test_theMovesRunInTurnAndCheckTheSegmentsEnds() public {
        uint256 id = _challenge(challenger, 1);
        bytes32[] memory states = _states(1);
        bytes32[] memory result = _leaves(checkpoints);
        bytes32[] memory first = _proof(result, 1);
        bytes32[] memory last = _proof(result, 2);
        bytes32[] memory wrong = _proof(result, 3);
        // Only the solver posts, and only the segment's own checkpoints.
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Court.NotTheSolver.selector, taskId, solver));
        dispute.postSteps(taskId, 1, states, first, last);
        vm.prank(solver);
        vm.expectPartialRevert(Merkle.RootMismatch.selector);
        dispute.postSteps(taskId, 1, states, first, wrong);
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(Dispute.NoSuchSegment.selector, 4, 4));
        dispute.postSteps(taskId, 4, states, first, last);
        vm.prank(solver);
        dispute.postSteps(taskId, 1, states, first, last);
        vm.assertEq(_phase(id), AWAIT_PICK, "challenger to pick");
        vm.assertEq(dispute.stepsRoot(taskId, 1), _root(_leaves(states)), "root of the states");
        // The challenger picks a step inside the segment; only the challenger picks.
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(Dispute.NotYourMove.selector, id, challenger));
        dispute.pickStep(id, 3);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Dispute.NoSuchStep.selector, K, K));
        dispute.pickStep(id, K);
        _pick(challenger, id, 3);
        vm.assertEq(_phase(id), AWAIT_TRACE, "solver to post the trace");
        bytes32[] memory slots = _slots(1, 3);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Court.NotTheSolver.selector, taskId, solver));
        dispute.postTrace(taskId, 1, 3, slots, new bytes32[](0));
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(Dispute.NotPosted.selector, 2));
        dispute.postTrace(taskId, 2, 3, slots, new bytes32[](0));
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(Dispute.NoSuchStep.selector, K, K));
        dispute.postTrace(taskId, 1, K, slots, new bytes32[](0));
        _postTrace(1, 3, slots);
        Dispute.Game memory g = dispute.game(id);
        vm.assertEq(uint256(g.phase), AWAIT_PROOF, "challenger to prove");
        vm.assertEq(g.step, 3, "step");
        vm.assertEq(dispute.traceRoot(taskId, 1, 3), _root(_leaves(slots)), "root of the slots");
        // A move out of turn.
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Dispute.WrongPhase.selector, id, g.phase));
        dispute.pickStep(id, 4);
    }

    /// @notice A move after its turn's deadline reverts, and a shared post made after a game's
    /// deadline does not answer that game.
    function test_aLateMoveDoesNotCount() public {
        uint256 id = _challenge(challenger, 0);
        vm.warp(block.timestamp + CLOCK + 1);
        _postSteps(0);
        vm.assertEq(_phase(id), AWAIT_STEPS, "too late for this game");
        dispute.timeout(id);
        vm.assertEq(uint256(_status(taskId)), uint256(Status.Slashed), "convicted");
        // A late pick reverts.
        uint256 other = _challenge(second, 0);
        vm.warp(block.timestamp + CLOCK + 1);
        vm.prank(second);
        vm.expectPartialRevert(Court.MoveTooLate.selector);
        dispute.pickStep(other, 0);
    }

    // ------------------------------------------------------------------ outcomes

    /// @notice A silent solver is convicted at once (bond back, escrow to the submitter); after
    /// the window the market pays the game's challenger the bounty: a game won by the solver's
    /// silence ranks for it like a proof.
    function test_aSilentSolverIsConvictedAndSettledAfterTheWindow() public {
        uint256 id = _challenge(challenger, 0);
        vm.expectPartialRevert(Court.NotTimedOut.selector);
        dispute.timeout(id);
        vm.warp(block.timestamp + CLOCK + 1);
        dispute.timeout(id);
        vm.assertEq(_phase(id), CHALLENGER_WON, "challenger won");
        vm.assertEq(uint256(_status(taskId)), uint256(Status.Slashed), "convicted");
        vm.assertEq(market.balanceOf(challenger), BOND, "bond back");
        vm.assertEq(market.balanceOf(submitter), PAY, "escrow back");
        vm.assertEq(market.stakeOf(solver, Role.Solver).locked, 0, "stake seized");
        vm.assertEq(market.conviction(taskId).pot, STAKE, "into the pot");
        // Nothing moves twice, and the pot waits for the window.
        vm.expectPartialRevert(Dispute.WrongPhase.selector);
        dispute.timeout(id);
        vm.expectRevert(abi.encodeWithSelector(Market.NotSettleable.selector, taskId));
        market.settle(taskId);
        vm.expectPartialRevert(Tasks.WrongStatus.selector);
        market.finalize(taskId);
        _afterWindow();
        uint256 burned = BURN.balance;
        market.settle(taskId);
        vm.assertEq(market.balanceOf(challenger), BOND + STAKE / 2, "bond and bounty");
        vm.assertEq(market.balanceOf(submitter), PAY + STAKE * 3 / 10, "submitter's share");
        vm.assertEq(BURN.balance - burned, STAKE / 5, "the rest burned");
        vm.expectRevert(abi.encodeWithSelector(Market.NotSettleable.selector, taskId));
        market.settle(taskId);
        _solvent();
    }

    /// @notice A challenger silent after the steps loses its bond to the solver, which is paid.
    function test_aSilentChallengerLosesItsBond() public {
        uint256 id = _challenge(challenger, 2);
        _postSteps(2);
        vm.warp(block.timestamp + CLOCK + 1);
        dispute.timeout(id);
        vm.assertEq(_phase(id), SOLVER_WON, "solver won");
        vm.assertEq(market.balanceOf(solver), BOND, "bond to the solver");
        vm.assertEq(market.task(taskId).openCases, 0, "closed");
        vm.assertEq(dispute.openOn(taskId, 2), 0, "none open on the segment");
        _afterWindow();
        market.finalize(taskId);
        vm.assertEq(market.balanceOf(solver), BOND + PAY, "and paid");
        _solvent();
    }

    /// @notice A challenger that cannot prove the honest trace wrong loses its bond; its proof
    /// reverts.
    function test_aChallengerThatCannotProveLosesItsBond() public {
        uint256 id = _challenge(challenger, 1);
        _postSteps(1);
        _pick(challenger, id, 3);
        bytes32[] memory slots = _slots(1, 3);
        _postTrace(1, 3, slots);
        Dispute.Link memory link = _link(1, 3, slots, _header(1 * K + 4, 0));
        vm.prank(challenger);
        vm.expectRevert(
            abi.encodeWithSelector(Dispute.NoFraud.selector, Verdict.Reason.WithinBound)
        );
        dispute.proveLink(id, link);
        // A layout other than the committed one proves nothing either.
        link.layout = abi.encode(TENSORS, new uint32[](3));
        vm.prank(challenger);
        vm.expectPartialRevert(Court.LayoutMismatch.selector);
        dispute.proveLink(id, link);
        vm.warp(block.timestamp + CLOCK + 1);
        dispute.timeout(id);
        vm.assertEq(_phase(id), SOLVER_WON, "solver won");
        vm.assertEq(market.balanceOf(solver), BOND, "bond to the solver");
        _solvent();
    }

    /// @notice A solver silent after the pick is convicted.
    function test_aSolverSilentAfterThePickIsConvicted() public {
        uint256 id = _challenge(challenger, 1);
        _postSteps(1);
        _pick(challenger, id, 0);
        vm.warp(block.timestamp + CLOCK + 1);
        dispute.timeout(id);
        vm.assertEq(_phase(id), CHALLENGER_WON, "challenger won");
        vm.assertEq(uint256(_status(taskId)), uint256(Status.Slashed), "convicted");
        _solvent();
    }

    /// @notice A proven fraud convicts at once; after the window the prover gets bond + 50 %,
    /// the submitter escrow + 30 %, the rest is burned.
    function test_aProvenFraudPaysBondAndBounty() public {
        uint256 id = _challenge(challenger, 1);
        Dispute.Link memory link = _toProof(id, 1, 6);
        _proveLink(challenger, id, link);
        vm.assertEq(_phase(id), CHALLENGER_WON, "challenger won");
        vm.assertEq(uint256(_status(taskId)), uint256(Status.Slashed), "convicted");
        vm.assertEq(market.conviction(taskId).prover, challenger, "in line for the bounty");
        vm.expectPartialRevert(Dispute.WrongPhase.selector);
        _proveLink(challenger, id, link);
        _afterWindow();
        uint256 burned = BURN.balance;
        market.settle(taskId);
        vm.assertEq(market.balanceOf(challenger), BOND + STAKE / 2, "bond and bounty");
        vm.assertEq(market.balanceOf(submitter), PAY + STAKE * 3 / 10, "escrow and share");
        vm.assertEq(BURN.balance - burned, STAKE / 5, "burned");
        _solvent();
    }

    /// @notice After a conviction other games play on (and block the settlement), new
    /// challenges are taken until the window closes, and a game whose challenger runs out of
    /// time after the conviction ends with its bond back (`Ended`: a convicted solver has no
    /// claim to it).
    function test_otherGamesPlayOnAfterAConviction() public {
        uint256 first = _challenge(challenger, 1);
        uint256 other = _challenge(second, 3);
        Dispute.Link memory link = _toProof(first, 1, 2);
        _proveLink(challenger, first, link);
        vm.assertEq(uint256(_status(taskId)), uint256(Status.Slashed), "convicted");
        uint256 late = _challenge(second, 0);
        vm.assertEq(market.task(taskId).openCases, 2, "two still open");
        _postSteps(3);
        _postSteps(0);
        vm.assertEq(_phase(other), AWAIT_PICK, "the other game plays on");
        vm.assertEq(_phase(late), AWAIT_PICK, "and the late one");
        _afterWindow();
        vm.prank(second);
        vm.expectPartialRevert(Court.TooLate.selector);
        dispute.challenge{value: BOND}(taskId, 2);
        vm.expectRevert(abi.encodeWithSelector(Market.NotSettleable.selector, taskId));
        market.settle(taskId);
        dispute.timeout(other);
        dispute.timeout(late);
        vm.assertEq(_phase(other), uint256(Dispute.Phase.Ended), "ended");
        vm.assertEq(market.balanceOf(second), 2 * BOND, "bonds back");
        vm.assertEq(market.balanceOf(solver), 0, "nothing to the convicted solver");
        market.settle(taskId);
        vm.assertEq(market.balanceOf(challenger), BOND + STAKE / 2, "bond and bounty");
        // Nor after the settlement.
        vm.expectPartialRevert(Court.TooLate.selector);
        dispute.challenge{value: BOND}(taskId, 2);
        _solvent();
    }

    /// @notice A challenger whose turn ran out before the task was convicted lost its game
    /// then: a conviction by another case afterwards does not give its bond back (only a
    /// challenger still within its turn when the task was convicted ends with its bond back).
    function test_aChallengerOutOfTimeBeforeTheConvictionLosesItsBond() public {
        uint256 t0 = block.timestamp;
        uint256 idle = _challenge(challenger, 2);
        _postSteps(2);
        vm.assertEq(dispute.game(idle).deadline, t0 + CLOCK, "the idle challenger's turn");
        vm.warp(t0 + 1 hours);
        uint256 silent = _challenge(second, 1);
        vm.warp(t0 + 2 hours);
        uint256 inTime = _challenge(sybil, 2);
        vm.assertEq(_phase(inTime), AWAIT_PICK, "steps already posted");
        // The idle challenger's turn is over; then the silent solver's game convicts.
        vm.warp(t0 + 1 hours + CLOCK + 1);
        dispute.timeout(silent);
        vm.assertEq(market.convictedAt(taskId), block.timestamp, "convicted now");
        vm.assertTrue(market.convictedAt(taskId) > dispute.game(idle).deadline, "after its turn");
        dispute.timeout(idle);
        vm.assertEq(_phase(idle), SOLVER_WON, "lost before the conviction");
        vm.assertEq(market.balanceOf(solver), BOND, "its bond to the solver");
        // A challenger whose turn was still running at the conviction gets its bond back.
        vm.assertTrue(market.convictedAt(taskId) <= dispute.game(inTime).deadline, "in its turn");
        vm.warp(t0 + 2 hours + CLOCK + 1);
        dispute.timeout(inTime);
        vm.assertEq(_phase(inTime), uint256(Dispute.Phase.Ended), "ended");
        vm.assertEq(market.balanceOf(sybil), BOND, "its bond back");
        _afterWindow();
        market.settle(taskId);
        vm.assertEq(market.balanceOf(second), BOND + STAKE / 2, "the silent game's bounty");
        vm.assertEq(market.balanceOf(challenger), 0, "nothing to the idle challenger");
        _solvent();
    }

    /// @notice Any stake splits exactly: bounty, submitter's share and the burned rest add up.
    function testFuzz_aConvictionSplitsAnyStakeExactly(uint96 stake) public {
        Task memory k = market.task(taskId);
        // A stake at least twice the bond (AUDIT H3 (d)), odd ones too.
        vm.assume(stake >= 2 * k.terms.challengeBond);
        k.terms.solverStake = stake;
        k.terms.claimBy = uint64(block.timestamp) + HOUR;
        vm.deal(solver, uint256(stake));
        vm.prank(submitter);
        uint256 id = market.submitTask{value: PAY}(k.commitments, k.terms);
        vm.startPrank(solver);
        market.deposit{value: stake}(Role.Solver);
        market.claim(id);
        market.commitResult(id, k.resultRoot);
        vm.stopPrank();
        taskId = id;
        uint256 game = _challenge(challenger, 1);
        _proveLink(challenger, game, _toProof(game, 1, 5));
        vm.warp(block.timestamp + WINDOW + 1);
        uint256 burned = BURN.balance;
        market.settle(id);
        uint256 bounty = uint256(stake) / 2;
        uint256 share = uint256(stake) * 3 / 10;
        vm.assertEq(market.balanceOf(challenger), BOND + bounty, "bounty");
        vm.assertEq(market.balanceOf(submitter), PAY + share, "share");
        vm.assertEq(BURN.balance - burned, uint256(stake) - bounty - share, "burned");
        _solvent();
    }

    // ------------------------------------------------------------------ shared moves

    /// @notice One `postSteps` answers every game on the segment, before or after it opened;
    /// a second post of the same segment reverts; a game opened after the post starts with the
    /// challenger to move and the solver's clock untouched.
    function test_stepsArePostedOnceForEveryGameOnTheSegment() public {
        uint256 a = _challenge(challenger, 1);
        vm.warp(block.timestamp + 10 minutes);
        uint256 b = _challenge(second, 1);
        vm.warp(block.timestamp + 20 minutes);
        _postSteps(1);
        vm.assertEq(dispute.stepsPostedAt(taskId, 1), block.timestamp, "posted");
        Dispute.Game memory ga = dispute.game(a);
        Dispute.Game memory gb = dispute.game(b);
        vm.assertEq(uint256(ga.phase), AWAIT_PICK, "a moves on");
        vm.assertEq(uint256(gb.phase), AWAIT_PICK, "b moves on");
        vm.assertEq(ga.solverClock, CLOCK - 30 minutes, "a charged from its start");
        vm.assertEq(gb.solverClock, CLOCK - 20 minutes, "b charged from its start");
        vm.assertEq(ga.deadline, block.timestamp + CLOCK, "a's challenger has its clock");
        bytes32[] memory states = _states(1);
        bytes32[] memory result = _leaves(checkpoints);
        bytes32[] memory first = _proof(result, 1);
        bytes32[] memory last = _proof(result, 2);
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(Dispute.AlreadyPosted.selector, 1, 0));
        dispute.postSteps(taskId, 1, states, first, last);
        vm.warp(block.timestamp + 1 hours);
        uint256 c = _challenge(sybil, 1);
        Dispute.Game memory gc = dispute.game(c);
        vm.assertEq(uint256(gc.phase), AWAIT_PICK, "c starts with the challenger to move");
        vm.assertEq(gc.solverClock, CLOCK, "the solver spent nothing on c");
        // The stored game catches up when it is next moved.
        _pick(second, b, 4);
        vm.assertEq(_phase(b), AWAIT_TRACE, "b picked");
    }

    /// @notice One `postTrace` answers every game that picks that step, whenever it picks it.
    function test_aTraceIsPostedOnceForEveryGameThatPicksTheStep() public {
        uint256 a = _challenge(challenger, 2);
        uint256 b = _challenge(second, 2);
        _postSteps(2);
        _pick(challenger, a, 7);
        bytes32[] memory slots = _slots(2, 7);
        _postTrace(2, 7, slots);
        vm.assertEq(_phase(a), AWAIT_PROOF, "a to prove");
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(Dispute.AlreadyPosted.selector, 2, 7));
        dispute.postTrace(taskId, 2, 7, slots, new bytes32[](0));
        vm.warp(block.timestamp + 30 minutes);
        _pick(second, b, 7);
        Dispute.Game memory gb = dispute.game(b);
        vm.assertEq(uint256(gb.phase), AWAIT_PROOF, "b to prove at once");
        vm.assertEq(gb.deadline, block.timestamp + gb.challengerClock, "b's challenger moves");
        uint256 c = _challenge(sybil, 2);
        _pick(sybil, c, 1);
        vm.assertEq(dispute.traceRoot(taskId, 2, 1), bytes32(0), "another step: not posted");
    }

    /// @notice A shared post after one game's deadline does not save that game, and still
    /// answers a later game whose turn it is in time for.
    function test_aSharedPostAnswersOnlyTheGamesItIsInTimeFor() public {
        uint256 early = _challenge(challenger, 1);
        vm.warp(block.timestamp + CLOCK - 10 minutes);
        uint256 later = _challenge(second, 1);
        vm.warp(block.timestamp + 20 minutes);
        _postSteps(1);
        vm.assertEq(_phase(early), AWAIT_STEPS, "too late for the early game");
        vm.assertEq(_phase(later), AWAIT_PICK, "in time for the later one");
        dispute.timeout(early);
        vm.assertEq(uint256(_status(taskId)), uint256(Status.Slashed), "convicted");
    }

    // ------------------------------------------------------------------ AUDIT C2

    /// @notice C2: the steps root is the contract's own over the k + 1 hashes posted, so a junk
    /// root cannot be posted; too few or too many hashes revert.
    function test_C2_postStepsMustCarryTheKPlusOneHashes() public {
        _challenge(challenger, 1);
        bytes32[] memory result = _leaves(checkpoints);
        bytes32[] memory first = _proof(result, 1);
        bytes32[] memory last = _proof(result, 2);
        bytes32[] memory all = _states(1);
        bytes32[] memory few = new bytes32[](K);
        bytes32[] memory many = new bytes32[](K + 2);
        for (uint256 i = 0; i < K; i++) {
            few[i] = all[i];
            many[i] = all[i];
        }
        few[K - 1] = all[K];
        many[K] = keccak256("extra");
        many[K + 1] = all[K];
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(Dispute.WrongCount.selector, K + 1, K));
        dispute.postSteps(taskId, 1, few, first, last);
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(Dispute.WrongCount.selector, K + 1, K + 2));
        dispute.postSteps(taskId, 1, many, first, last);
        bytes32[] memory none = new bytes32[](0);
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(Dispute.WrongCount.selector, K + 1, 0));
        dispute.postSteps(taskId, 1, none, first, last);
        _postSteps(1);
        vm.assertEq(dispute.stepsRoot(taskId, 1), _root(_leaves(all)), "the contract's root");
    }

    /// @notice C2: the trace root is the contract's own over every slot's hash; a wrong count
    /// reverts.
    function test_C2_postTraceMustCarryEverySlotHash() public {
        uint256 id = _challenge(challenger, 1);
        _postSteps(1);
        _pick(challenger, id, 2);
        bytes32[] memory all = _slots(1, 2);
        bytes32[] memory few = new bytes32[](SLOTS - 1);
        bytes32[] memory many = new bytes32[](SLOTS + 1);
        for (uint256 i = 0; i < SLOTS - 1; i++) {
            few[i] = all[i];
            many[i] = all[i];
        }
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(Dispute.WrongCount.selector, SLOTS, SLOTS - 1));
        dispute.postTrace(taskId, 1, 2, few, new bytes32[](0));
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(Dispute.WrongCount.selector, SLOTS, SLOTS + 1));
        dispute.postTrace(taskId, 1, 2, many, new bytes32[](0));
        vm.assertEq(_phase(id), AWAIT_TRACE, "still the solver's move");
        _postTrace(1, 2, all);
        vm.assertEq(dispute.traceRoot(taskId, 1, 2), _root(_leaves(all)), "the contract's root");
    }

    /// @notice C2: a solver that committed junk state hashes (no preimage) can still post them
    /// as steps, but the challenger forces one open through an Availability `State` request;
    /// no answer exists, so the solver is convicted. The request is about the challenger's own
    /// game's segment, so it ranks as that game: the challenger earns the bounty.
    function test_C2_aSolverWithJunkStatesLosesThroughAStateRequest() public {
        bytes32[] memory junk = new bytes32[](STEPS / K + 1);
        junk[0] = _state(0);
        for (uint256 i = 1; i < junk.length; i++) {
            junk[i] = keccak256(abi.encode("junk checkpoint", i));
        }
        taskId = _task(junk);
        uint256 id = _challenge(challenger, 1);
        bytes32[] memory states = new bytes32[](K + 1);
        for (uint256 i = 1; i < K; i++) {
            states[i] = keccak256(abi.encode("junk state", i));
        }
        states[0] = junk[1];
        states[K] = junk[2];
        _postSteps(1, states, junk);
        vm.assertEq(_phase(id), AWAIT_PICK, "junk steps are well-formed");
        // Given nothing off chain, the challenger asks for the state after step 4.
        Availability.Where memory w;
        w.source = Availability.Source.StepState;
        w.segment = 1;
        w.index = 4;
        w.stateHash = states[4];
        w.siblings = _proof(_leaves(states), 4);
        w.layout = layout;
        vm.prank(challenger);
        uint256 r = availability.requestState{value: BOND}(taskId, w);
        vm.assertEq(availability.request(r).order, dispute.game(id).order, "its game's order");
        vm.assertEq(availability.request(r).segment, 1, "and segment");
        // No list of tensor hashes opens a junk state.
        bytes32[] memory guess = _tensors(14);
        vm.prank(solver);
        vm.expectPartialRevert(Availability.WrongState.selector);
        availability.answerState(r, guess);
        bytes32[] memory short = new bytes32[](TENSORS - 1);
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(Availability.WrongCount.selector, TENSORS, 3));
        availability.answerState(r, short);
        vm.warp(block.timestamp + MOVE + 1);
        availability.requestTimeout(r);
        vm.assertEq(uint256(_status(taskId)), uint256(Status.Slashed), "convicted");
        vm.assertEq(market.balanceOf(challenger), BOND, "request's bond back");
        vm.assertEq(market.conviction(taskId).prover, challenger, "in line for the bounty");
        // The game plays on; the junk solver gives up on it too.
        _pick(challenger, id, 4);
        vm.warp(block.timestamp + CLOCK + 1);
        dispute.timeout(id);
        _afterWindow();
        market.settle(taskId);
        vm.assertEq(market.balanceOf(challenger), 2 * BOND + STAKE / 2, "bonds and bounty");
        vm.assertEq(market.balanceOf(submitter), PAY + STAKE * 3 / 10, "escrow and share");
        _solvent();
    }

    // ------------------------------------------------------------------ AUDIT H1

    /// @notice H1: the solver's sybil request, left unanswered, convicts the task but does not
    /// take the bounty from the honest challenger whose game proves the fraud; the sybil gets
    /// its bond back and nothing more.
    function test_H1_anUnansweredSybilRequestDoesNotTakeTheBounty() public {
        uint256 id = _challenge(challenger, 1);
        _postSteps(1);
        vm.prank(sybil);
        uint256 r = availability.requestLeaf{value: BOND}(taskId, 2);
        _pick(challenger, id, 8);
        bytes32[] memory slots = _cheatSlots(1, 8);
        Dispute.Link memory link = _link(1, 8, slots, _cheatHeader());
        vm.warp(block.timestamp + MOVE + 1);
        availability.requestTimeout(r);
        vm.assertEq(uint256(_status(taskId)), uint256(Status.Slashed), "self-convicted");
        // Convicted, the solver still answers the honest game, which proves the fraud.
        _postTrace(1, 8, slots);
        _proveLink(challenger, id, link);
        _afterWindow();
        market.settle(taskId);
        vm.assertEq(market.balanceOf(challenger), BOND + STAKE / 2, "honest: bond and bounty");
        vm.assertEq(market.balanceOf(sybil), BOND, "sybil: its bond only");
        vm.assertEq(market.balanceOf(submitter), PAY + STAKE * 3 / 10, "escrow and share");
        _solvent();
    }

    /// @notice H1: with no proof, an unanswered request earns only the timeout reward (10 %),
    /// so convicting oneself through a sybil request keeps at most 10 % of the stake.
    function test_H1_anUnansweredRequestEarnsOnlyTheTimeoutReward() public {
        vm.prank(sybil);
        uint256 r = availability.requestLeaf{value: BOND}(taskId, 2);
        vm.warp(block.timestamp + MOVE + 1);
        availability.requestTimeout(r);
        _afterWindow();
        uint256 burned = BURN.balance;
        market.settle(taskId);
        vm.assertEq(market.balanceOf(sybil), BOND + STAKE / 10, "bond and timeout reward");
        vm.assertEq(BURN.balance - burned, STAKE * 6 / 10, "most of the stake burned");
        _solvent();
    }

    /// @notice H1: a self-game opened after the honest game and played to a proof first (in one
    /// block) does not take the bounty: the earliest-opened proof does.
    function test_H1_aFasterSelfGameOpenedLaterDoesNotTakeTheBounty() public {
        uint256 honest = _challenge(challenger, 1);
        vm.roll(block.number + 1);
        uint256 self = _challenge(sybil, 1);
        _postSteps(1);
        _pick(sybil, self, 5);
        bytes32[] memory slots = _cheatSlots(1, 5);
        _postTrace(1, 5, slots);
        Dispute.Link memory link = _link(1, 5, slots, _cheatHeader());
        _proveLink(sybil, self, link);
        vm.assertEq(market.conviction(taskId).prover, sybil, "first proof in line");
        // The honest challenger proves later, with its earlier-opened game.
        vm.warp(block.timestamp + 2 hours);
        _pick(challenger, honest, 5);
        _proveLink(challenger, honest, link);
        vm.assertEq(market.conviction(taskId).prover, challenger, "the earlier game ranks first");
        _afterWindow();
        market.settle(taskId);
        vm.assertEq(market.balanceOf(challenger), BOND + STAKE / 2, "honest: bond and bounty");
        vm.assertEq(market.balanceOf(sybil), BOND, "self: its bond only");
        _solvent();
    }

    /// @notice H1: games won by the solver's silence rank for the bounty by the order their
    /// games opened in, not by when they convicted: the later game timed out first, but the
    /// earlier one takes the bounty.
    function test_H1_aTimeoutWinRanksByItsGamesOrderNotByWhenItConvicts() public {
        uint256 early = _challenge(challenger, 0);
        uint256 later = _challenge(sybil, 1);
        vm.warp(block.timestamp + CLOCK + 1);
        dispute.timeout(later);
        vm.assertEq(market.conviction(taskId).prover, sybil, "the first to convict in line");
        dispute.timeout(early);
        vm.assertEq(market.conviction(taskId).prover, challenger, "the earlier game ranks first");
        vm.assertEq(market.conviction(taskId).timeoutWinner, address(0), "no request about none");
        _afterWindow();
        market.settle(taskId);
        vm.assertEq(market.balanceOf(challenger), BOND + STAKE / 2, "earlier game: bounty");
        vm.assertEq(market.balanceOf(sybil), BOND, "later game: its bond");
        _solvent();
    }

    /// @notice H1: a solver silent in an honest challenger's earlier game, hoping to route the
    /// bounty to a sybil that proves the fraud at once in a later game, loses the bounty to the
    /// honest game: its timeout ranks before the later proof.
    function test_H1_aSolverSilentInAnEarlierGameLosesTheBountyToIt() public {
        uint256 honest = _challenge(challenger, 0);
        vm.warp(block.timestamp + 10 minutes);
        uint256 self = _challenge(sybil, 1);
        Dispute.Link memory link = _toProof(self, 1, 3);
        _proveLink(sybil, self, link);
        vm.assertEq(market.conviction(taskId).prover, sybil, "the proof convicts first");
        vm.warp(block.timestamp + CLOCK);
        dispute.timeout(honest);
        vm.assertEq(_phase(honest), CHALLENGER_WON, "the silent game is won");
        vm.assertEq(market.conviction(taskId).prover, challenger, "and ranks first");
        _afterWindow();
        market.settle(taskId);
        vm.assertEq(market.balanceOf(challenger), BOND + STAKE / 2, "honest: bond and bounty");
        vm.assertEq(market.balanceOf(sybil), BOND, "sybil: its bond only");
        vm.assertEq(market.balanceOf(submitter), PAY + STAKE * 3 / 10, "escrow and share");
        _solvent();
    }

    /// @notice H1: a challenger's demand for what its game needs (an opening about its game's
    /// segment) ranks as its game. The honest challenger opens its game first; the solver's
    /// sybil then asks for a leaf (about no game of its own) and the solver leaves it
    /// unanswered, convicting itself first; the honest challenger's own demand is left
    /// unanswered too, and takes the bounty by its game's order, while the sybil gets its bond
    /// back only. A request about a segment on which the requester has no game ranks as no game;
    /// answered, its bond goes back to its requester once the task is convicted.
    function test_H1_aChallengersDemandRanksAsItsGame() public {
        uint256 id = _challenge(challenger, 1);
        _postSteps(1);
        vm.prank(sybil);
        uint256 self = availability.requestLeaf{value: BOND}(taskId, 2);
        vm.warp(block.timestamp + 10 minutes);
        Availability.Where memory w;
        w.source = Availability.Source.StepState;
        w.segment = 1;
        w.index = 4;
        w.stateHash = _state(K + 4);
        w.siblings = _proof(_leaves(_states(1)), 4);
        w.layout = layout;
        vm.prank(challenger);
        uint256 demand = availability.requestState{value: BOND}(taskId, w);
        Availability.Request memory q = availability.request(demand);
        vm.assertEq(q.order, dispute.game(id).order, "the game's order");
        vm.assertEq(q.segment, 1, "the game's segment");
        // Another's request about the same segment is about no game of its own.
        vm.prank(second);
        uint256 stranger = availability.requestState{value: BOND}(taskId, w);
        vm.assertEq(availability.request(stranger).segment, NO_SEGMENT, "about no game");
        vm.assertTrue(availability.request(stranger).order > q.order, "its own order");
        bytes32[] memory tensors = _tensors(K + 4);
        vm.prank(solver);
        availability.answerState(stranger, tensors);
        // The sybil's request convicts first; the honest demand times out later.
        vm.warp(block.timestamp + MOVE - 10 minutes + 1);
        availability.requestTimeout(self);
        vm.assertEq(uint256(_status(taskId)), uint256(Status.Slashed), "self-convicted");
        vm.assertEq(market.conviction(taskId).timeoutWinner, sybil, "in line for 10 % only");
        vm.warp(block.timestamp + 10 minutes);
        availability.requestTimeout(demand);
        vm.assertEq(market.conviction(taskId).prover, challenger, "the demand ranks as its game");
        // The game itself ends with the challenger's bond back (convicted in its time).
        vm.warp(block.timestamp + CLOCK);
        dispute.timeout(id);
        vm.assertEq(_phase(id), uint256(Dispute.Phase.Ended), "ended");
        _afterWindow();
        market.settle(taskId);
        vm.assertEq(market.balanceOf(challenger), 2 * BOND + STAKE / 2, "honest: bonds, bounty");
        vm.assertEq(market.balanceOf(sybil), BOND, "sybil: its bond only");
        // The stranger's answered request: its bond held, never the convicted solver's, and
        // reclaimed by the stranger (review E).
        vm.assertEq(market.balanceOf(second), 0, "the answered stranger's bond is held");
        vm.assertEq(market.balanceOf(solver), 0, "nothing to the convicted solver");
        vm.prank(second);
        market.reclaim(taskId);
        vm.assertEq(market.balanceOf(second), BOND, "reclaimed");
        _solvent();
    }

    // ------------------------------------------------------------------ segment indexes

    function _signed(uint256 key, uint64 j, bytes32[] memory states, bytes32[] memory traceRoots)
        internal
        view
        returns (Dispute.Signed memory)
    {
        return _signedIndex(key, taskId, j, states, traceRoots);
    }

    /// @dev The honest trace roots of segment `j`, with step `bad`'s replaced by a cheat's.
    function _traceRoots(uint64 j, uint64 bad) internal view returns (bytes32[] memory t) {
        t = new bytes32[](K);
        for (uint64 s = 0; s < K; s++) {
            t[s] = _root(_leaves(s == bad ? _cheatSlots(j, s) : _slots(j, s)));
        }
    }

    /// @notice Issue 14 (the review of segment indexes, C1): a solver serves a signed index
    /// whose trace of step 6 has a fault, so every checker challenges and picks step 6; in the
    /// game it posts the honest trace, which proves nothing. The challenger proves that the
    /// solver signed another trace root for that step than it posted, and wins.
    function test_aSolverThatPostsAnotherTraceThanItSignedIsConvicted() public {
        bytes32[] memory roots = _traceRoots(1, 6);
        Dispute.Signed memory signed = _signed(SOLVER_KEY, 1, _states(1), roots);
        uint256 id = _challenge(challenger, 1);
        _postSteps(1);
        _pick(challenger, id, 6);
        _postTrace(1, 6, _slots(1, 6));
        bytes32[] memory path = _proof(_leaves(roots), 6);
        vm.prank(challenger);
        dispute.proveEquivocation(id, signed, roots[6], path);
        vm.assertEq(_phase(id), CHALLENGER_WON, "equivocation proven");
        vm.assertEq(uint256(_status(taskId)), uint256(Status.Slashed), "convicted");
        _solvent();
    }

    /// @notice Posted per-step states other than the signed ones are equivocation too, whatever
    /// step was picked.
    function test_aSolverThatPostsOtherStatesThanItSignedIsConvicted() public {
        bytes32[] memory states = _states(1);
        states[4] = keccak256("served off chain");
        bytes32[] memory roots = _traceRoots(1, K);
        Dispute.Signed memory signed = _signed(SOLVER_KEY, 1, states, roots);
        uint256 id = _challenge(challenger, 1);
        _postSteps(1);
        _pick(challenger, id, 0);
        _postTrace(1, 0, _slots(1, 0));
        vm.prank(challenger);
        dispute.proveEquivocation(id, signed, bytes32(0), new bytes32[](0));
        vm.assertEq(_phase(id), CHALLENGER_WON, "equivocation proven");
    }

    /// @notice An honest solver posts what it signed: no equivocation is provable, with the
    /// right path or a made-up leaf; nor with an index someone else signed, or the solver's
    /// signature re-encoded (a high `s`, another `v`).
    function test_anHonestSolversIndexProvesNoEquivocation() public {
        bytes32[] memory roots = _traceRoots(1, K);
        Dispute.Signed memory signed = _signed(SOLVER_KEY, 1, _states(1), roots);
        uint256 id = _challenge(challenger, 1);
        _postSteps(1);
        _pick(challenger, id, 6);
        _postTrace(1, 6, _slots(1, 6));
        bytes32[] memory path = _proof(_leaves(roots), 6);
        vm.prank(challenger);
        vm.expectPartialRevert(Dispute.NoFraud.selector);
        dispute.proveEquivocation(id, signed, roots[6], path);
        vm.prank(challenger);
        vm.expectPartialRevert(Merkle.RootMismatch.selector);
        dispute.proveEquivocation(id, signed, keccak256("made up"), path);
        Dispute.Signed memory other = _signed(0xBAD, 1, _states(1), _traceRoots(1, 6));
        vm.prank(challenger);
        vm.expectRevert(Dispute.NotSignedBySolver.selector);
        dispute.proveEquivocation(id, other, roots[6], path);
        // The same signature with s' = n − s and v flipped recovers the same key: refused.
        bytes memory sig = signed.signature;
        uint256 n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
        bytes32 s;
        assembly {
            s := mload(add(sig, 64))
        }
        Dispute.Signed memory flipped = Dispute.Signed(
            signed.statesRoot,
            signed.tracesRoot,
            abi.encodePacked(
                bytes32(_r(sig)),
                bytes32(n - uint256(s)),
                uint8(sig[64]) == 27 ? uint8(28) : uint8(27)
            )
        );
        vm.prank(challenger);
        vm.expectRevert(Dispute.NotSignedBySolver.selector);
        dispute.proveEquivocation(id, flipped, bytes32(0), new bytes32[](0));
        vm.assertEq(_phase(id), AWAIT_PROOF, "still the challenger's move");
    }

    function _r(bytes memory sig) internal pure returns (bytes32 r) {
        assembly {
            r := mload(add(sig, 32))
        }
    }

    // ------------------------------------------------------------------ property 3

    /// @notice Property 3 as it can hold (docs/THREAT_MODEL.md, "Property 3 and sybils"): a
    /// cheater that keeps sybil games open from the start, ahead of any honest one, and makes
    /// them win as soon as an honest challenger comes, takes the bounty back through them. It
    /// cannot take more: whatever number of sybil games it opened, and in whatever order they
    /// and the honest game prove, the convicted solver and its sybils together lose the payment
    /// and the other half of the stake (30% to the submitter, 20% burned), and the honest
    /// prover gets its whole bond back. (No rule can pay every prover the bounty from one stake:
    /// the contract cannot tell a sybil's game from an honest one that opened first.)
    function test_property3_sybilGamesOpenedFirstStillCostTheCheaterPaymentAndHalfItsStake()
        public
    {
        uint256 a = _challenge(sybil, 1);
        uint256 b = _challenge(sybil, 0);
        vm.warp(block.timestamp + 30 minutes);
        uint256 honest = _challenge(challenger, 1);
        // The honest challenger's game goes first to its proof; the sybil's earlier game on the
        // same segment proves at once after it, as do its other games (here by the solver's
        // silence).
        Dispute.Link memory link = _toProof(honest, 1, 6);
        _proveLink(challenger, honest, link);
        _pick(sybil, a, 6);
        _proveLink(sybil, a, link);
        vm.warp(block.timestamp + CLOCK + 1);
        dispute.timeout(b);
        vm.assertEq(market.conviction(taskId).prover, sybil, "the earliest game won ranks first");
        _afterWindow();
        uint256 burned = BURN.balance;
        market.settle(taskId);
        vm.assertEq(market.balanceOf(challenger), BOND, "honest prover: its whole bond");
        uint256 cheater = market.balanceOf(solver) + market.balanceOf(sybil);
        vm.assertEq(cheater, 2 * BOND + STAKE / 2, "cheater: its sybils' bonds and the bounty");
        vm.assertEq(market.stakeOf(solver, Role.Solver).locked, 0, "the stake is gone");
        vm.assertEq(market.balanceOf(submitter), PAY + STAKE * 3 / 10, "payment back and 30%");
        vm.assertEq(BURN.balance - burned, STAKE / 5, "20% burned");
        _solvent();
    }

    // ------------------------------------------------------------------ AUDIT H5

    /// @notice H5: segment 0's steps must start at the task's `initStateHash`; a solver that
    /// trained from other weights cannot post its steps at all, and is convicted.
    function test_H5_segmentZeroMustStartAtTheInitialState() public {
        bytes32[] memory points = new bytes32[](STEPS / K + 1);
        points[0] = keccak256("backdoored weights");
        for (uint256 i = 1; i < points.length; i++) {
            points[i] = checkpoints[i];
        }
        taskId = _task(points);
        uint256 id = _challenge(challenger, 0);
        bytes32[] memory states = _states(0);
        bytes32[] memory result = _leaves(points);
        bytes32[] memory first = _proof(result, 0);
        bytes32[] memory last = _proof(result, 1);
        // Its own start reverts …
        bytes32 init = _state(0);
        states[0] = points[0];
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(Dispute.InitMismatch.selector, init, points[0]));
        dispute.postSteps(taskId, 0, states, first, last);
        // … and the committed start is not its checkpoint 0.
        states[0] = init;
        vm.prank(solver);
        vm.expectPartialRevert(Merkle.RootMismatch.selector);
        dispute.postSteps(taskId, 0, states, first, last);
        vm.warp(block.timestamp + CLOCK + 1);
        dispute.timeout(id);
        vm.assertEq(uint256(_status(taskId)), uint256(Status.Slashed), "convicted");
        // Later segments are unaffected.
        _postSteps(1, _states(1), points);
        vm.assertEq(dispute.stepsPostedAt(taskId, 1), block.timestamp, "segment 1 posts");
    }

    // ------------------------------------------------------------------ AUDIT H7

    /// @notice H7: 50 challenges of one segment opened in one block are all answered by one
    /// `postSteps` (and one `postTrace` per distinct step picked); the honest solver keeps
    /// every bond and is paid.
    function test_H7_fiftyChallengesAreAnsweredByOnePost() public {
        uint256 n = 50;
        uint256[] memory ids = new uint256[](n);
        for (uint256 i = 0; i < n; i++) {
            address who = address(uint160(0x1000 + i));
            vm.deal(who, BOND);
            ids[i] = _challenge(who, 2);
        }
        vm.assertEq(dispute.openOn(taskId, 2), n, "fifty open");
        _postSteps(2);
        for (uint256 i = 0; i < n; i++) {
            vm.assertEq(_phase(ids[i]), AWAIT_PICK, "every game answered");
            _pick(address(uint160(0x1000 + i)), ids[i], uint64(i % K));
        }
        for (uint64 s = 0; s < K; s++) {
            _postTrace(2, s, _slots(2, s));
        }
        vm.warp(block.timestamp + CLOCK + 1);
        for (uint256 i = 0; i < n; i++) {
            vm.assertEq(_phase(ids[i]), AWAIT_PROOF, "every trace answered");
            dispute.timeout(ids[i]);
        }
        vm.assertEq(uint256(_status(taskId)), uint256(Status.Committed), "never convicted");
        vm.assertEq(market.balanceOf(solver), n * BOND, "every bond to the solver");
        _afterWindow();
        market.finalize(taskId);
        vm.assertEq(market.balanceOf(solver), n * BOND + PAY, "and paid");
        _solvent();
    }

    // ------------------------------------------------------------------ AUDIT M6

    /// @notice Review 3 (property 2): a challenger served nothing off chain opens what each
    /// move needs on chain, and the cheater answers each opening at the last second of its
    /// `moveWindow`; a challenger turn lasts at least `2 · moveWindow`, so the challenger still
    /// moves in time however little of its clock is left (here 5 min of demands, an answer at
    /// the last second, 55 min of re-execution, then the trace demanded 12 s into its turn).
    function test_review3_aLastSecondOpeningLeavesTheChallengerItsMove() public {
        uint64 j = 2;
        uint64 s = 3;
        uint256 game = _challenge(challenger, j);
        _postSteps(j);
        vm.warp(block.timestamp + 5 minutes);
        Availability.Where memory w;
        w.source = Availability.Source.StepState;
        w.segment = j;
        w.index = s + 1;
        w.stateHash = _state(j * K + s + 1);
        w.siblings = _proof(_leaves(_states(j)), s + 1);
        w.layout = layout;
        vm.prank(challenger);
        uint256 id = availability.requestState{value: BOND}(taskId, w);
        vm.warp(availability.request(id).deadline);
        bytes32[] memory opened = _tensors(j * K + s + 1);
        vm.prank(solver);
        availability.answerState(id, opened);
        vm.warp(block.timestamp + 55 minutes);
        _pick(challenger, game, s);
        bytes32[] memory slots = _cheatSlots(j, s);
        (Tensor.Header memory h, bytes memory values) = _realTensor(2, 3, 5);
        slots[5] = Tensor.hash(h);
        _postTrace(j, s, slots);
        uint64 deadline = dispute.game(game).deadline;
        vm.assertTrue(deadline >= block.timestamp + 2 * MOVE, "a challenger turn: 2 windows");
        vm.warp(block.timestamp + 12);
        Availability.Where memory t;
        t.source = Availability.Source.TraceSlot;
        t.segment = j;
        t.step = s;
        vm.prank(challenger);
        uint256 open = availability.requestData{value: BOND}(taskId, t, 5, 6);
        vm.assertTrue(
            availability.request(open).deadline < deadline, "the opening is due in the turn"
        );
        vm.warp(availability.request(open).deadline);
        Tensor.Header[] memory headers = new Tensor.Header[](1);
        headers[0] = h;
        vm.prank(solver);
        availability.answerData(open, slots, headers, values);
        Dispute.Link memory link = _link(j, s, slots, _cheatHeader());
        vm.prank(challenger);
        dispute.proveLink(game, link);
        vm.assertEq(_phase(game), CHALLENGER_WON, "proven in time");
    }

    /// @notice M6: each side has a chess clock: a side that spent its clock on one turn gets
    /// only `moveWindow` for the next, so last-second moves cannot stretch a game beyond
    /// `clock + 2·moveWindow` per side.
    function test_M6_aSideThatSpentItsClockGetsOnlyTheMoveWindow() public {
        uint256 t0 = block.timestamp;
        uint256 id = _challenge(challenger, 1);
        vm.assertEq(dispute.game(id).deadline, t0 + CLOCK, "first turn: the whole clock");
        vm.warp(t0 + CLOCK);
        _postSteps(1);
        Dispute.Game memory g = dispute.game(id);
        vm.assertEq(g.solverClock, 0, "solver's clock spent");
        vm.assertEq(g.deadline, t0 + 2 * CLOCK, "challenger: its whole clock");
        vm.warp(t0 + 2 * CLOCK);
        _pick(challenger, id, 1);
        g = dispute.game(id);
        vm.assertEq(g.challengerClock, 0, "challenger's clock spent");
        vm.assertEq(g.deadline, t0 + 2 * CLOCK + MOVE, "solver: only the move window");
        // One second late is too late.
        vm.warp(t0 + 2 * CLOCK + MOVE + 1);
        _postTrace(1, 1, _slots(1, 1));
        vm.assertEq(_phase(id), AWAIT_TRACE, "late trace does not count");
        dispute.timeout(id);
        vm.assertEq(uint256(_status(taskId)), uint256(Status.Slashed), "convicted");
    }

    /// @notice M6: however the two sides time their moves, each side spends at most
    /// `clock + 2·moveWindow` of the game, which ends by `2·(clock + 2·moveWindow)`.
    function testFuzz_M6_noGameOutlivesItsClocks(uint64 d1, uint64 d2, uint64 d3) public {
        uint256 t0 = block.timestamp;
        uint256 id = _challenge(challenger, 1);
        // Each move at any time within its turn.
        Dispute.Game memory g = dispute.game(id);
        vm.warp(t0 + d1 % (g.deadline - t0 + 1));
        uint256 t1 = block.timestamp;
        _postSteps(1);
        g = dispute.game(id);
        vm.warp(t1 + d2 % (g.deadline - t1 + 1));
        uint256 t2 = block.timestamp;
        _pick(challenger, id, 1);
        g = dispute.game(id);
        vm.warp(t2 + d3 % (g.deadline - t2 + 1));
        uint256 t3 = block.timestamp;
        _postTrace(1, 1, _slots(1, 1));
        g = dispute.game(id);
        vm.assertEq(uint256(g.phase), AWAIT_PROOF, "played to the proof");
        uint256 t4 = g.deadline;
        vm.assertTrue((t1 - t0) + (t3 - t2) <= CLOCK + 2 * MOVE, "solver's time bounded");
        vm.assertTrue((t2 - t1) + (t4 - t3) <= CLOCK + 2 * MOVE, "challenger's time bounded");
        vm.assertTrue(t4 - t0 <= 2 * (CLOCK + 2 * MOVE), "the game bounded");
        vm.warp(t4 + 1);
        dispute.timeout(id);
        vm.assertEq(_phase(id), SOLVER_WON, "ended");
    }
}
