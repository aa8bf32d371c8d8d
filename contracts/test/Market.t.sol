// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Test} from "./utils/Test.sol";
import {Market} from "../src/market/Market.sol";
import {Tasks} from "../src/market/Tasks.sol";
import {Stakes} from "../src/market/Stakes.sol";
import {Commitments, NO_SEGMENT, Role, Status, Task, Terms, Win} from "../src/market/Types.sol";

/// @notice Every transition of a task and of a stake, every deadline, and the money of the
/// cases the courts open, of `Market`. The test contract is wired as both courts, so it opens,
/// closes and wins cases itself (the real courts' rules are `DisputeTest`'s and
/// `AvailabilityTest`'s).
contract MarketTest is Test {
    Market internal market;
    address internal submitter = address(0x5B);
    address internal solver = address(0x50);
    address internal other = address(0x07);
    address internal burn = address(0xdEaD);

    uint64 internal constant DAY = 1 days;
    uint256 internal constant PAY = 3 ether;
    uint256 internal constant STAKE = 5 ether;
    uint256 internal constant BOND = 1 ether;
    uint256 internal constant MIN_BOND = 0.01 ether;

    function setUp() public {
        vm.warp(1_000_000);
        market = new Market(7 * DAY, MIN_BOND, 1 ether);
        market.wire(address(this), address(this));
        vm.deal(address(this), 100 ether);
        vm.deal(submitter, 100 ether);
        vm.deal(solver, 100 ether);
        vm.deal(other, 100 ether);
    }

    function _commitments() internal pure returns (Commitments memory c) {
        c.programRoot = keccak256("program");
        c.datasetHash = keccak256("data");
        c.initStateHash = keccak256("init");
        c.seed = keccak256("seed");
        c.layoutHash = keccak256("layout");
        c.specHash = keccak256("spec");
        c.steps = 3000;
        c.interval = 100;
        c.ops = 28;
        c.slots = 34;
        c.batch = 32;
        c.class = 0;
    }

    function _terms() internal view returns (Terms memory t) {
        t.solverStake = STAKE;
        t.challengeBond = BOND;
        t.claimBy = uint64(block.timestamp) + DAY;
        t.solveWithin = 2 * DAY;
        t.challengeWithin = DAY;
    }

    function _submit() internal returns (uint256 id) {
        vm.prank(submitter);
        id = market.submitTask{value: PAY}(_commitments(), _terms());
    }

    function _claimed() internal returns (uint256 id) {
        id = _submit();
        vm.prank(solver);
        market.deposit{value: STAKE}(Role.Solver);
        vm.prank(solver);
        market.claim(id);
    }

    function _committed() internal returns (uint256 id) {
        id = _claimed();
        vm.prank(solver);
        market.commitResult(id, keccak256("result"));
    }

    function _status(uint256 id) internal view returns (uint256) {
        return uint256(market.task(id).status);
    }

    function _solvent() internal view {
        vm.assertEq(address(market).balance, market.liabilities(), "solvent");
    }

    /// @notice EIP-170: a chain refuses contracts over 24 KiB (anvil included).
    function test_theMarketFitsTheCodeSizeLimit() public view {
        vm.assertTrue(address(market).code.length <= 24_576, "Market under 24 KiB");
    }

    function test_versionIsTheSecondMarket() public view {
        vm.assertEq(market.version(), "poai-market/2", "version");
    }

    // ------------------------------------------------------------------ wiring

    /// @notice The courts are wired once, by the deployer; nobody else opens or wins cases.
    function test_wiringHappensOnceByTheDeployer() public {
        vm.expectRevert(Market.AlreadyWired.selector);
        market.wire(other, other);
        Market fresh = new Market(DAY, MIN_BOND, 1 ether);
        vm.prank(other);
        vm.expectRevert(Market.AlreadyWired.selector);
        fresh.wire(other, other);
        fresh.wire(address(1), address(2));
        vm.assertEq(fresh.dispute(), address(1), "dispute");
        vm.assertEq(fresh.availability(), address(2), "availability");
    }

    function test_onlyACourtOpensClosesAndConvicts() public {
        uint256 id = _committed();
        vm.startPrank(other);
        vm.expectRevert(abi.encodeWithSelector(Market.NotACourt.selector, other));
        market.openCase{value: BOND}(id, other, 0);
        vm.expectRevert(abi.encodeWithSelector(Market.NotACourt.selector, other));
        market.closeCase(id, other, 0);
        vm.expectRevert(abi.encodeWithSelector(Market.NotACourt.selector, other));
        market.holdBond(id, other, other, 0, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(Market.NotACourt.selector, other));
        market.convict(id, other, 0, 1, 0, Win.Op);
        vm.stopPrank();
    }

    // ------------------------------------------------------------------ submit

    function test_submitEscrowsThePayment() public {
        uint256 id = _submit();
        vm.assertEq(id, 1, "ids start at 1");
        Task memory k = market.task(id);
        vm.assertEq(uint256(k.status), uint256(Status.Open), "open");
        vm.assertEq(k.payment, PAY, "payment");
        vm.assertEq(k.submitter, submitter, "submitter");
        vm.assertEq(address(market).balance, PAY, "escrowed");
        _solvent();
    }

    function test_submitWithoutPaymentReverts() public {
        Commitments memory c = _commitments();
        Terms memory t = _terms();
        vm.expectRevert(Tasks.NoPayment.selector);
        market.submitTask(c, t);
    }

    function _expectBadCommitments(Commitments memory c, Tasks.CommitmentRule rule) internal {
        Terms memory t = _terms();
        vm.expectRevert(abi.encodeWithSelector(Tasks.BadCommitments.selector, rule));
        market.submitTask{value: 1}(c, t);
    }

    function test_submitWithBadCommitmentsReverts() public {
        Commitments memory c = _commitments();
        c.steps = 3050; // not a multiple of k
        _expectBadCommitments(c, Tasks.CommitmentRule.StepsMultipleOfInterval);
        c = _commitments();
        c.slots = c.ops;
        _expectBadCommitments(c, Tasks.CommitmentRule.SlotsExceedOps);
        c = _commitments();
        c.class = 3;
        _expectBadCommitments(c, Tasks.CommitmentRule.Class);
        c = _commitments();
        c.programRoot = 0;
        _expectBadCommitments(c, Tasks.CommitmentRule.Roots);
        c = _commitments();
        c.batch = 0;
        _expectBadCommitments(c, Tasks.CommitmentRule.Batch);
    }

    function _expectBadTerms(Terms memory t, Tasks.TermRule rule) internal {
        Commitments memory c = _commitments();
        vm.expectRevert(abi.encodeWithSelector(Tasks.BadTerms.selector, rule));
        market.submitTask{value: 1 ether}(c, t);
    }

    function test_submitWithBadTermsReverts() public {
        Terms memory t = _terms();
        t.claimBy = uint64(block.timestamp);
        _expectBadTerms(t, Tasks.TermRule.ClaimByPast);
        t = _terms();
        t.solverStake = 0;
        _expectBadTerms(t, Tasks.TermRule.SolverStake);
        t = _terms();
        t.challengeWithin = 0;
        _expectBadTerms(t, Tasks.TermRule.Windows);
        t = _terms();
        t.samples = 17;
        _expectBadTerms(t, Tasks.TermRule.Samples);
        t = _terms();
        t.samples = 1;
        _expectBadTerms(t, Tasks.TermRule.VerifierStake);
        t = _terms();
        t.samples = 2;
        t.verifierStake = 0.5 ether;
        t.verifierFee = 0.5 ether;
        _expectBadTerms(t, Tasks.TermRule.FeesExceedPayment);
    }

    /// @notice Review C: a conviction no longer burns the passes of its segment, so the verifier
    /// stakes a task puts at risk are no longer capped by the burned share of the solver's stake
    /// (the `MIN_BURN_BPS` rule is gone): any verifier stake the submitter asks for is accepted.
    function test_C3_verifierStakesAreNotCappedByTheSolverStake() public {
        Terms memory t = _terms();
        t.samples = 16;
        t.verifierStake = STAKE;
        vm.prank(submitter);
        uint256 id = market.submitTask{value: PAY}(_commitments(), t);
        vm.assertEq(market.task(id).terms.verifierStake, STAKE, "sixteen solver stakes at risk");
        _solvent();
    }

    /// @notice Review B: every list a move carries must fit one transaction: `postSteps`' `k + 1`
    /// state hashes and `postTrace`'s slot hashes (about 2.2 M gas at 1 024, `CourtGasTest`).
    /// An interval above `MAX_INTERVAL` or slots above `MAX_SLOTS` (1 024 each) is refused
    /// with `BadCommitments(Sizes)`; exactly the caps are accepted.
    function test_review_B_intervalsAndSlotsBeyondATransactionAreRefused() public {
        vm.assertEq(market.MAX_INTERVAL(), 1024, "interval cap");
        vm.assertEq(market.MAX_SLOTS(), 1024, "slots cap");
        Commitments memory c = _commitments();
        c.interval = 1025;
        c.steps = 2 * 1025;
        _expectBadCommitments(c, Tasks.CommitmentRule.Sizes);
        c = _commitments();
        c.slots = 1025;
        _expectBadCommitments(c, Tasks.CommitmentRule.Sizes);
        c = _commitments();
        c.interval = type(uint64).max;
        c.steps = type(uint64).max;
        _expectBadCommitments(c, Tasks.CommitmentRule.Sizes);
        c.interval = 1024;
        c.steps = 3 * 1024;
        c.slots = 1024;
        Terms memory t = _terms();
        vm.prank(submitter);
        uint256 id = market.submitTask{value: PAY}(c, t);
        vm.assertEq(market.task(id).commitments.interval, 1024, "the interval cap is accepted");
        vm.assertEq(market.task(id).commitments.slots, 1024, "the slots cap is accepted");
        _solvent();
    }

    /// @notice AUDIT M5: the submitter cannot set a 1-wei bond, which would make a request (and
    /// the calldata of its answer) nearly free to a griefer: the bond is at least `minBond`,
    /// and exactly `minBond` is accepted.
    function test_M5_theChallengeBondIsAtLeastTheMinimum() public {
        vm.assertEq(market.minBond(), MIN_BOND, "min bond");
        Terms memory t = _terms();
        t.challengeBond = 1;
        _expectBadTerms(t, Tasks.TermRule.ChallengeBond);
        t.challengeBond = MIN_BOND - 1;
        _expectBadTerms(t, Tasks.TermRule.ChallengeBond);
        t.challengeBond = 0;
        _expectBadTerms(t, Tasks.TermRule.ChallengeBond);
        t.challengeBond = MIN_BOND;
        vm.prank(submitter);
        uint256 id = market.submitTask{value: PAY}(_commitments(), t);
        vm.assertEq(market.task(id).terms.challengeBond, MIN_BOND, "the minimum is enough");
    }

    /// @notice AUDIT H3 (d): a task naming a bond no checker would risk (more than the bounty a
    /// proof earns, half the solver's stake) shields a cheat; such terms are refused.
    function test_H3d_theChallengeBondIsAtMostTheBounty() public {
        Terms memory t = _terms();
        t.challengeBond = t.solverStake / 2 + 1;
        _expectBadTerms(t, Tasks.TermRule.ChallengeBond);
        t.challengeBond = t.solverStake / 2;
        vm.prank(submitter);
        uint256 id = market.submitTask{value: PAY}(_commitments(), t);
        vm.assertEq(market.task(id).terms.challengeBond, t.solverStake / 2, "the bounty is enough");
    }

    function test_anUnknownTaskReverts() public {
        vm.expectRevert(abi.encodeWithSelector(Tasks.NoSuchTask.selector, 9));
        market.claim(9);
    }

    // ------------------------------------------------------------------ claim

    function test_claimLocksTheSolversStake() public {
        uint256 id = _claimed();
        Stakes.Stake memory s = market.stakeOf(solver, Role.Solver);
        vm.assertEq(s.locked, STAKE, "locked");
        vm.assertEq(s.free, 0, "free");
        Task memory k = market.task(id);
        vm.assertEq(k.solver, solver, "solver");
        vm.assertEq(uint256(k.status), uint256(Status.Claimed), "claimed");
        vm.assertEq(k.deadline, block.timestamp + 2 * DAY, "commit deadline");
        _solvent();
    }

    function test_claimWithoutEnoughStakeReverts() public {
        uint256 id = _submit();
        vm.prank(solver);
        market.deposit{value: STAKE - 1}(Role.Solver);
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(Stakes.InsufficientStake.selector, STAKE - 1, STAKE));
        market.claim(id);
    }

    function test_verifierStakeDoesNotClaim() public {
        uint256 id = _submit();
        vm.prank(solver);
        market.deposit{value: STAKE}(Role.Verifier);
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(Stakes.InsufficientStake.selector, 0, STAKE));
        market.claim(id);
    }

    function test_claimAfterTheClaimDeadlineReverts() public {
        uint256 id = _submit();
        vm.prank(solver);
        market.deposit{value: STAKE}(Role.Solver);
        vm.warp(block.timestamp + DAY + 1);
        vm.prank(solver);
        vm.expectPartialRevert(Tasks.TooLate.selector);
        market.claim(id);
    }

    function test_aClaimedTaskCannotBeClaimedAgain() public {
        uint256 id = _claimed();
        vm.prank(other);
        market.deposit{value: STAKE}(Role.Solver);
        vm.prank(other);
        vm.expectRevert(abi.encodeWithSelector(Tasks.WrongStatus.selector, id, Status.Claimed));
        market.claim(id);
    }

    // ------------------------------------------------------------------ commit

    function test_commitRecordsTheResultAndOpensTheChallengeWindow() public {
        uint256 id = _claimed();
        vm.roll(77);
        vm.prank(solver);
        market.commitResult(id, keccak256("result"));
        Task memory k = market.task(id);
        vm.assertEq(uint256(k.status), uint256(Status.Committed), "committed");
        vm.assertEq(k.resultRoot, keccak256("result"), "root");
        vm.assertEq(k.committedBlock, 77, "block");
        vm.assertEq(k.deadline, block.timestamp + DAY, "challenge window");
    }

    function test_onlyTheSolverCommits() public {
        uint256 id = _claimed();
        vm.prank(other);
        vm.expectRevert(abi.encodeWithSelector(Tasks.NotTheSolver.selector, id, solver));
        market.commitResult(id, keccak256("result"));
    }

    function test_anEmptyResultReverts() public {
        uint256 id = _claimed();
        vm.prank(solver);
        vm.expectRevert(Tasks.EmptyResult.selector);
        market.commitResult(id, 0);
    }

    function test_aLateCommitReverts() public {
        uint256 id = _claimed();
        vm.warp(block.timestamp + 2 * DAY + 1);
        vm.prank(solver);
        vm.expectPartialRevert(Tasks.TooLate.selector);
        market.commitResult(id, keccak256("result"));
    }

    // ------------------------------------------------------------------ finalize

    function test_finalizeBeforeTheWindowClosesReverts() public {
        uint256 id = _committed();
        vm.warp(block.timestamp + DAY);
        vm.expectPartialRevert(Tasks.TooEarly.selector);
        market.finalize(id);
    }

    function test_finalizePaysTheSolverAndFreesItsStake() public {
        uint256 id = _committed();
        vm.warp(block.timestamp + DAY + 1);
        market.finalize(id);
        vm.assertEq(market.balanceOf(solver), PAY, "paid");
        Stakes.Stake memory s = market.stakeOf(solver, Role.Solver);
        vm.assertEq(s.free, STAKE, "freed");
        vm.assertEq(s.locked, 0, "unlocked");
        vm.expectRevert(abi.encodeWithSelector(Tasks.WrongStatus.selector, id, Status.Finalized));
        market.finalize(id);
        _solvent();
    }

    // ------------------------------------------------------------------ cases

    /// @notice A case holds its bond in the market (never in the court) and blocks
    /// finalization until it ends; the bond must be the task's.
    function test_anOpenCaseHoldsItsBondAndBlocksFinalization() public {
        uint256 id = _committed();
        vm.expectRevert(abi.encodeWithSelector(Tasks.WrongBond.selector, BOND, BOND - 1));
        market.openCase{value: BOND - 1}(id, other, 0);
        uint64 order = market.openCase{value: BOND}(id, other, 0);
        vm.assertEq(order, 1, "first case");
        vm.assertEq(market.task(id).openCases, 1, "open");
        vm.assertEq(market.liabilities(), PAY + STAKE + BOND, "the bond is a liability");
        _solvent();
        vm.warp(block.timestamp + DAY + 1);
        vm.expectRevert(abi.encodeWithSelector(Tasks.OpenCases.selector, id, 1));
        market.finalize(id);
        market.closeCase(id, solver, BOND);
        vm.assertEq(market.balanceOf(solver), BOND, "bond to whom the court says");
        market.finalize(id);
        vm.assertEq(market.balanceOf(solver), BOND + PAY, "then paid");
        _solvent();
    }

    /// @notice Review 5, 2: an answer's gas is paid out of its own bond, never more: a solver
    /// that priced its answer over the bond gets the bond and nothing of the others'.
    function test_anAnswersGasIsPaidAtMostItsBond() public {
        uint256 id = _committed();
        market.openCase{value: BOND}(id, other, NO_SEGMENT);
        market.holdBond(id, other, solver, BOND, 10 ** 30, 1);
        market.openCase{value: BOND}(id, submitter, NO_SEGMENT);
        market.holdBond(id, submitter, solver, BOND, 0, 0);
        vm.assertEq(market.answerGasOf(id), BOND, "capped at the bond");
        uint256 burned = burn.balance;
        vm.warp(block.timestamp + DAY + 1);
        market.finalize(id);
        vm.assertEq(market.balanceOf(solver), BOND + PAY, "one bond and the payment");
        vm.assertEq(burn.balance - burned, BOND, "the other bond burned");
        _solvent();
    }

    /// @notice Review E, the market's side: `holdBond` closes a case whose opening was answered
    /// and holds its bond (a liability credited to nobody) until the task resolves: at
    /// finalization the answer's gas is the solver's and the rest is burned (review 5, 2: the
    /// whole bond was the solver's, so withholding off chain paid); after a conviction it is
    /// all its requester's, by `reclaim`, once.
    function test_anAnsweredOpeningsBondIsHeldUntilTheTaskResolves() public {
        uint256 id = _committed();
        // At a price of 1 wei a unit of gas, with the four first writes of the bond's slots.
        uint256 gas = 0.1 ether - 4 * market.FIRST_WRITE_GAS();
        market.openCase{value: BOND}(id, other, NO_SEGMENT);
        market.holdBond(id, other, solver, BOND, gas, 1);
        vm.assertEq(market.task(id).openCases, 0, "closed");
        vm.assertEq(market.balanceOf(solver) + market.balanceOf(other), 0, "credited to nobody");
        vm.assertEq(market.liabilities(), PAY + STAKE + BOND, "held");
        _solvent();
        vm.prank(other);
        vm.expectRevert(abi.encodeWithSelector(Market.NotSettleable.selector, id));
        market.reclaim(id);
        vm.warp(block.timestamp + DAY + 1);
        uint256 burned = burn.balance;
        market.finalize(id);
        vm.assertEq(
            market.balanceOf(solver), 0.1 ether + PAY, "its gas the solver's at finalization"
        );
        vm.assertEq(burn.balance - burned, BOND - 0.1 ether, "the rest burned");
        vm.prank(other);
        vm.expectRevert(abi.encodeWithSelector(Market.NotSettleable.selector, id));
        market.reclaim(id);
        // A convicted task's held bonds go back to their requesters, never to the solver.
        uint256 k = _committed();
        market.openCase{value: BOND}(k, other, NO_SEGMENT);
        market.holdBond(k, other, solver, BOND, gas, 1);
        uint64 c = market.openCase{value: BOND}(k, submitter, 0);
        market.convict(k, submitter, BOND, c, 0, Win.Timeout);
        vm.prank(solver);
        market.reclaim(k);
        vm.assertEq(market.balanceOf(solver), 0.1 ether + PAY, "nothing held for the solver");
        vm.prank(other);
        market.reclaim(k);
        vm.assertEq(market.balanceOf(other), BOND, "back to the requester");
        vm.prank(other);
        market.reclaim(k);
        vm.assertEq(market.balanceOf(other), BOND, "once");
        vm.warp(block.timestamp + DAY + 1);
        market.settle(k);
        vm.assertEq(market.balanceOf(solver), 0.1 ether + PAY, "the convicted solver gets none");
        _solvent();
    }

    function test_casesAreOnlyOpenedOnCommittedTasks() public {
        uint256 id = _claimed();
        vm.expectRevert(abi.encodeWithSelector(Tasks.WrongStatus.selector, id, Status.Claimed));
        market.openCase{value: BOND}(id, other, 0);
    }

    /// @notice DESIGN §6 (3): a proof convicts the task: the escrow returns to the submitter at
    /// once, the stake is seized into the pot, and after the window the pot splits 50% to the
    /// prover, 30% to the submitter, the rest burned; a task settles once.
    function test_aProofConvictsAndThePotSplitsAfterTheWindow() public {
        uint256 id = _committed();
        uint64 order = market.openCase{value: BOND}(id, other, 3);
        market.convict(id, other, BOND, order, 3, Win.Op);
        vm.assertEq(_status(id), uint256(Status.Slashed), "convicted");
        vm.assertEq(market.balanceOf(submitter), PAY, "escrow back at once");
        vm.assertEq(market.balanceOf(other), BOND, "bond back at once");
        vm.assertEq(market.conviction(id).pot, STAKE, "the pot");
        vm.assertEq(market.stakeOf(solver, Role.Solver).locked, 0, "seized");
        _solvent();
        vm.expectRevert(abi.encodeWithSelector(Market.NotSettleable.selector, id));
        market.settle(id);
        vm.warp(block.timestamp + DAY + 1);
        uint256 burned = burn.balance;
        market.settle(id);
        vm.assertEq(market.balanceOf(other), BOND + STAKE / 2, "bounty");
        vm.assertEq(market.balanceOf(submitter), PAY + STAKE * 3 / 10, "submitter's share");
        vm.assertEq(burn.balance - burned, STAKE - STAKE / 2 - STAKE * 3 / 10, "burned");
        vm.assertEq(
            market.liabilities(),
            market.balanceOf(other) + market.balanceOf(submitter),
            "nothing owed but balances"
        );
        _solvent();
        vm.expectRevert(abi.encodeWithSelector(Market.NotSettleable.selector, id));
        market.settle(id);
        vm.expectRevert(abi.encodeWithSelector(Tasks.WrongStatus.selector, id, Status.Slashed));
        market.finalize(id);
    }

    /// @notice AUDIT H1: every win in a game (a proof, or the solver's silence) and every
    /// request a challenger demanded for its game rank for the bounty by the game's order; a
    /// self-request about no game, though it convicts first, earns at most the bounded timeout
    /// reward, and a later game's win cannot take the bounty from an earlier game's proof.
    function test_aSelfRequestEarnsAtMostTheTimeoutRewardAndAnEarlierProofTheBounty() public {
        uint256 id = _committed();
        uint64 first = market.openCase{value: BOND}(id, other, 1);
        uint64 second = market.openCase{value: BOND}(id, solver, NO_SEGMENT);
        // The solver's own unanswered request convicts it first ...
        market.convict(id, solver, BOND, second, NO_SEGMENT, Win.Unavailable);
        // ... but cases still open play on, and a new one may open within the window.
        uint64 third = market.openCase{value: BOND}(id, submitter, 2);
        market.convict(id, submitter, BOND, third, 2, Win.Timeout);
        vm.assertEq(market.conviction(id).timeoutWinner, solver, "earliest request");
        vm.assertEq(market.conviction(id).prover, submitter, "the game won by timeout ranks");
        vm.warp(block.timestamp + DAY + 1);
        vm.expectRevert(abi.encodeWithSelector(Market.NotSettleable.selector, id));
        market.settle(id);
        market.convict(id, other, BOND, first, 1, Win.Data);
        vm.assertEq(market.conviction(id).prover, other, "the earlier game ranks first");
        market.settle(id);
        vm.assertEq(market.balanceOf(other), BOND + STAKE / 2, "the earlier proof's bounty");
        vm.assertEq(market.balanceOf(solver), BOND, "the self-request earns nothing");
        vm.assertEq(market.balanceOf(submitter), PAY + BOND + STAKE * 3 / 10, "its bond, share");
        _solvent();
    }

    /// @notice A game won by the solver's silence ranks for the bounty (50%) by its order,
    /// before an earlier-opened request about no game, which convicted first.
    function test_aGameWonByTimeoutTakesTheBountyOverARequestAboutNoGame() public {
        uint256 id = _committed();
        uint64 a = market.openCase{value: BOND}(id, other, NO_SEGMENT);
        uint64 b = market.openCase{value: BOND}(id, submitter, 0);
        market.convict(id, other, BOND, a, NO_SEGMENT, Win.Unavailable);
        market.convict(id, submitter, BOND, b, 0, Win.Timeout);
        vm.warp(block.timestamp + DAY + 1);
        uint256 burned = burn.balance;
        market.settle(id);
        vm.assertEq(market.balanceOf(submitter), PAY + BOND + STAKE / 2 + STAKE * 3 / 10, "bounty");
        vm.assertEq(market.balanceOf(other), BOND, "the request about no game: its bond");
        vm.assertEq(burn.balance - burned, STAKE - STAKE / 2 - STAKE * 3 / 10, "the rest burned");
        _solvent();
    }

    /// @notice With no win in a game, the earliest-opened request about no game (by order, not
    /// by when it convicted) gets the bounded timeout reward, 10%.
    function test_withoutAWinInAGameTheEarliestRequestGetsTenPercent() public {
        uint256 id = _committed();
        uint64 a = market.openCase{value: BOND}(id, other, NO_SEGMENT);
        uint64 b = market.openCase{value: BOND}(id, submitter, NO_SEGMENT);
        market.convict(id, submitter, BOND, b, NO_SEGMENT, Win.Unavailable);
        market.convict(id, other, BOND, a, NO_SEGMENT, Win.Unavailable);
        vm.assertEq(market.conviction(id).prover, address(0), "nobody in line for the bounty");
        vm.warp(block.timestamp + DAY + 1);
        uint256 burned = burn.balance;
        market.settle(id);
        vm.assertEq(market.balanceOf(other), BOND + STAKE / 10, "earliest by order, not by time");
        vm.assertEq(market.balanceOf(submitter), PAY + BOND + STAKE * 3 / 10, "share");
        vm.assertEq(burn.balance - burned, STAKE - STAKE / 10 - STAKE * 3 / 10, "the rest burned");
        _solvent();
    }

    /// @notice After a convicted task settles, no case opens on it.
    function test_noCaseOpensOnASettledTask() public {
        uint256 id = _committed();
        uint64 a = market.openCase{value: BOND}(id, other, 0);
        market.convict(id, other, BOND, a, 0, Win.Op);
        vm.warp(block.timestamp + DAY + 1);
        market.settle(id);
        vm.expectPartialRevert(Tasks.WrongStatus.selector);
        market.openCase{value: BOND}(id, other, 0);
    }

    // ------------------------------------------------------------------ refund

    function test_anUnclaimedTaskIsRefundedAfterTheClaimDeadline() public {
        uint256 id = _submit();
        vm.expectPartialRevert(Tasks.TooEarly.selector);
        market.refund(id);
        vm.warp(block.timestamp + DAY + 1);
        market.refund(id);
        vm.assertEq(market.balanceOf(submitter), PAY, "refunded");
        vm.expectRevert(abi.encodeWithSelector(Tasks.WrongStatus.selector, id, Status.Refunded));
        market.refund(id);
        _solvent();
    }

    function test_aSolverThatMissesItsDeadlineLosesItsStakeToTheSubmitter() public {
        uint256 id = _claimed();
        vm.warp(block.timestamp + 2 * DAY);
        vm.expectPartialRevert(Tasks.TooEarly.selector);
        market.refund(id);
        vm.warp(block.timestamp + 1);
        market.refund(id);
        vm.assertEq(market.balanceOf(submitter), PAY + STAKE, "escrow and stake");
        vm.assertEq(market.stakeOf(solver, Role.Solver).locked, 0, "slashed");
        _solvent();
    }

    function test_aCommittedTaskIsNotRefunded() public {
        uint256 id = _committed();
        vm.warp(block.timestamp + 10 * DAY);
        vm.expectRevert(abi.encodeWithSelector(Tasks.WrongStatus.selector, id, Status.Committed));
        market.refund(id);
    }

    // ------------------------------------------------------------------ stakes

    function test_unbondingWaitsForTheDelay() public {
        vm.startPrank(solver);
        market.deposit{value: STAKE}(Role.Solver);
        market.startUnbonding(Role.Solver, 2 ether);
        vm.expectPartialRevert(Stakes.StillUnbonding.selector);
        market.finishUnbonding(Role.Solver);
        vm.warp(block.timestamp + 7 * DAY);
        market.finishUnbonding(Role.Solver);
        vm.assertEq(market.balanceOf(solver), 2 ether, "credited");
        uint256 before = solver.balance;
        market.withdraw();
        vm.assertEq(solver.balance, before + 2 ether, "sent");
        vm.expectRevert(Stakes.NothingToWithdraw.selector);
        market.withdraw();
        vm.stopPrank();
        vm.assertEq(market.stakeOf(solver, Role.Solver).free, 3 ether, "rest stays");
        _solvent();
    }

    function test_lockedStakeCannotUnbond() public {
        _claimed();
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(Stakes.InsufficientStake.selector, 0, 1));
        market.startUnbonding(Role.Solver, 1);
    }

    function test_badRolesAndZeroDepositsRevert() public {
        vm.prank(solver);
        vm.expectRevert(Stakes.BadRole.selector);
        market.deposit{value: 1}(Role.None);
        vm.prank(solver);
        vm.expectRevert(Stakes.ZeroAmount.selector);
        market.deposit(Role.Solver);
    }

    /// @notice The whole honest life of a task leaves the contract empty once everyone withdrew.
    function test_everythingSettledAndWithdrawnLeavesNothing() public {
        uint256 id = _committed();
        vm.warp(block.timestamp + DAY + 1);
        market.finalize(id);
        vm.startPrank(solver);
        market.startUnbonding(Role.Solver, STAKE);
        vm.warp(block.timestamp + 7 * DAY);
        market.finishUnbonding(Role.Solver);
        market.withdraw();
        vm.stopPrank();
        vm.assertEq(address(market).balance, 0, "empty");
        vm.assertEq(market.liabilities(), 0, "no liabilities");
    }

    // ------------------------------------------------------------------ reentrancy

    function test_withdrawCannotBeReentered() public {
        Reenterer attacker = new Reenterer(market);
        vm.deal(address(attacker), 10 ether);
        attacker.depositAndUnbond(1 ether);
        vm.warp(block.timestamp + 7 * DAY);
        attacker.finish();
        uint256 held = address(market).balance;
        // The attacker's receive() calls withdraw again: the inner call hits the lock, the
        // transfer fails, and nothing moves.
        vm.expectRevert(Stakes.TransferFailed.selector);
        attacker.attack();
        vm.assertEq(address(market).balance, held, "nothing left");
        vm.assertEq(market.balanceOf(address(attacker)), 1 ether, "still owed");
        _solvent();
    }

    // ------------------------------------------------------------------ fuzz

    /// @notice A claim succeeds exactly when the solver's free stake covers the task's, and
    /// exactly until `claimBy`.
    function testFuzz_claimNeedsTheStakeAndTheTime(uint96 deposited, uint32 waited) public {
        vm.assume(deposited > 0);
        uint256 id = _submit();
        vm.deal(solver, uint256(deposited) + 1 ether);
        vm.prank(solver);
        market.deposit{value: deposited}(Role.Solver);
        vm.warp(block.timestamp + waited);
        bool ok = deposited >= STAKE && waited <= DAY;
        vm.prank(solver);
        if (!ok) {
            vm.expectPartialRevert(
                deposited < STAKE && waited <= DAY
                    ? Stakes.InsufficientStake.selector
                    : Tasks.TooLate.selector
            );
        }
        market.claim(id);
        if (ok) vm.assertEq(market.stakeOf(solver, Role.Solver).locked, STAKE, "locked");
        _solvent();
    }

    /// @notice Whatever the payment and the stake, an honest task pays the solver its payment
    /// and leaves the contract empty once everyone withdrew.
    function testFuzz_anHonestTaskPaysExactlyAndLeavesNothing(uint96 pay, uint96 stake) public {
        vm.assume(pay > 0);
        vm.deal(submitter, uint256(pay));
        vm.deal(solver, uint256(stake));
        Terms memory t = _terms();
        // A stake at least twice the bond (AUDIT H3 (d)), odd ones too.
        vm.assume(stake >= 2 * t.challengeBond);
        t.solverStake = stake;
        vm.prank(submitter);
        uint256 id = market.submitTask{value: pay}(_commitments(), t);
        vm.startPrank(solver);
        market.deposit{value: stake}(Role.Solver);
        market.claim(id);
        market.commitResult(id, keccak256("result"));
        vm.warp(block.timestamp + DAY + 1);
        market.finalize(id);
        vm.assertEq(market.balanceOf(solver), pay, "paid");
        market.startUnbonding(Role.Solver, stake);
        vm.warp(block.timestamp + 7 * DAY);
        market.finishUnbonding(Role.Solver);
        market.withdraw();
        vm.stopPrank();
        vm.assertEq(solver.balance, uint256(pay) + stake, "all back");
        vm.assertEq(address(market).balance, 0, "empty");
    }

    /// @notice Whatever the stake, a conviction's pot splits exactly: bounty (a win in a game:
    /// a proof or a timeout) or timeout reward (a request about no game) + share + burn is the
    /// stake, and the market owes nothing of it afterwards.
    function testFuzz_thePotSplitsAnyStakeExactly(uint96 stake, uint8 how) public {
        Win win = Win(how % 5);
        bool inAGame = win != Win.Unavailable;
        vm.deal(solver, uint256(stake));
        Terms memory t = _terms();
        // A stake at least twice the bond (AUDIT H3 (d)), odd ones too.
        vm.assume(stake >= 2 * t.challengeBond);
        t.solverStake = stake;
        vm.prank(submitter);
        uint256 id = market.submitTask{value: PAY}(_commitments(), t);
        vm.startPrank(solver);
        market.deposit{value: stake}(Role.Solver);
        market.claim(id);
        market.commitResult(id, keccak256("result"));
        vm.stopPrank();
        uint64 segment = inAGame ? 0 : NO_SEGMENT;
        uint64 order = market.openCase{value: BOND}(id, other, segment);
        market.convict(id, other, BOND, order, segment, win);
        vm.warp(block.timestamp + DAY + 1);
        uint256 burned = burn.balance;
        market.settle(id);
        uint256 reward = market.balanceOf(other) - BOND;
        uint256 share = market.balanceOf(submitter) - PAY;
        vm.assertEq(reward, uint256(stake) * (inAGame ? 5000 : 1000) / 10_000, "reward");
        vm.assertEq(share, uint256(stake) * 3000 / 10_000, "share");
        vm.assertEq(reward + share + burn.balance - burned, stake, "exact");
        vm.assertEq(
            market.liabilities(),
            market.balanceOf(other) + market.balanceOf(submitter),
            "nothing owed but balances"
        );
        _solvent();
    }
}

/// @notice Re-enters `withdraw` from the payout it receives.
contract Reenterer {
    Market internal market;

    constructor(Market m) {
        market = m;
    }

    function depositAndUnbond(uint256 amount) external {
        market.deposit{value: amount}(Role.Verifier);
        market.startUnbonding(Role.Verifier, amount);
    }

    function finish() external {
        market.finishUnbonding(Role.Verifier);
    }

    function attack() external {
        market.withdraw();
    }

    receive() external payable {
        market.withdraw();
    }
}
