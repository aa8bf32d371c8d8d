// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Test} from "./utils/Test.sol";
import {Market} from "../src/market/Market.sol";
import {OpProver} from "../src/OpProver.sol";
import {Tasks} from "../src/market/Tasks.sol";
import {Stakes} from "../src/market/Stakes.sol";

/// @notice Every transition of a task and of a stake, and every deadline, of `Market`.
contract MarketTest is Test {
    Market internal market;
    address internal submitter = address(0x5B);
    address internal solver = address(0x50);
    address internal other = address(0x07);

    uint64 internal constant DAY = 1 days;
    uint256 internal constant PAY = 3 ether;
    uint256 internal constant STAKE = 5 ether;

    function setUp() public {
        vm.warp(1_000_000);
        market = new Market(7 * DAY, DAY, new OpProver());
        vm.deal(submitter, 100 ether);
        vm.deal(solver, 100 ether);
        vm.deal(other, 100 ether);
    }

    function _commitments() internal pure returns (Tasks.Commitments memory c) {
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

    function _terms() internal view returns (Tasks.Terms memory t) {
        t.solverStake = STAKE;
        t.challengeBond = 1 ether;
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
        market.deposit{value: STAKE}(Stakes.Role.Solver);
        vm.prank(solver);
        market.claim(id);
    }

    function _committed() internal returns (uint256 id) {
        id = _claimed();
        vm.prank(solver);
        market.commitResult(id, keccak256("result"));
    }

    function _solvent() internal view {
        vm.assertEq(address(market).balance, market.liabilities(), "solvent");
    }

    /// @notice EIP-170: a chain refuses contracts over 24 KiB (anvil included).
    function test_theMarketFitsTheCodeSizeLimit() public view {
        vm.assertTrue(address(market).code.length <= 24_576, "Market under 24 KiB");
        vm.assertTrue(address(market.prover()).code.length <= 24_576, "OpProver under 24 KiB");
    }

    // ------------------------------------------------------------------ submit

    function test_submitEscrowsThePayment() public {
        uint256 id = _submit();
        vm.assertEq(id, 1, "ids start at 1");
        Tasks.Task memory k = market.task(id);
        vm.assertEq(uint256(k.status), uint256(Tasks.Status.Open), "open");
        vm.assertEq(k.payment, PAY, "payment");
        vm.assertEq(k.submitter, submitter, "submitter");
        vm.assertEq(address(market).balance, PAY, "escrowed");
        _solvent();
    }

    function test_submitWithoutPaymentReverts() public {
        Tasks.Commitments memory c = _commitments();
        Tasks.Terms memory t = _terms();
        vm.expectRevert(Tasks.NoPayment.selector);
        market.submitTask(c, t);
    }

    function test_submitWithBadCommitmentsReverts() public {
        Tasks.Terms memory t = _terms();
        Tasks.Commitments memory c = _commitments();
        c.steps = 3050; // not a multiple of k
        vm.expectPartialRevert(Tasks.BadCommitments.selector);
        market.submitTask{value: 1}(c, t);
        c = _commitments();
        c.slots = c.ops;
        vm.expectPartialRevert(Tasks.BadCommitments.selector);
        market.submitTask{value: 1}(c, t);
        c = _commitments();
        c.class = 3;
        vm.expectPartialRevert(Tasks.BadCommitments.selector);
        market.submitTask{value: 1}(c, t);
        c = _commitments();
        c.programRoot = 0;
        vm.expectPartialRevert(Tasks.BadCommitments.selector);
        market.submitTask{value: 1}(c, t);
        c = _commitments();
        c.batch = 0;
        vm.expectPartialRevert(Tasks.BadCommitments.selector);
        market.submitTask{value: 1}(c, t);
    }

    function test_submitWithBadTermsReverts() public {
        Tasks.Commitments memory c = _commitments();
        Tasks.Terms memory t = _terms();
        t.claimBy = uint64(block.timestamp);
        vm.expectPartialRevert(Tasks.BadTerms.selector);
        market.submitTask{value: 1}(c, t);
        t = _terms();
        t.solverStake = 0;
        vm.expectPartialRevert(Tasks.BadTerms.selector);
        market.submitTask{value: 1}(c, t);
        t = _terms();
        t.challengeWithin = 0;
        vm.expectPartialRevert(Tasks.BadTerms.selector);
        market.submitTask{value: 1}(c, t);
    }

    function test_anUnknownTaskReverts() public {
        vm.expectRevert(abi.encodeWithSelector(Tasks.NoSuchTask.selector, 9));
        market.claim(9);
    }

    // ------------------------------------------------------------------ claim

    function test_claimLocksTheSolversStake() public {
        uint256 id = _claimed();
        Stakes.Stake memory s = market.stakeOf(solver, Stakes.Role.Solver);
        vm.assertEq(s.locked, STAKE, "locked");
        vm.assertEq(s.free, 0, "free");
        Tasks.Task memory k = market.task(id);
        vm.assertEq(k.solver, solver, "solver");
        vm.assertEq(uint256(k.status), uint256(Tasks.Status.Claimed), "claimed");
        vm.assertEq(k.deadline, block.timestamp + 2 * DAY, "commit deadline");
        _solvent();
    }

    function test_claimWithoutEnoughStakeReverts() public {
        uint256 id = _submit();
        vm.prank(solver);
        market.deposit{value: STAKE - 1}(Stakes.Role.Solver);
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(Stakes.InsufficientStake.selector, STAKE - 1, STAKE));
        market.claim(id);
    }

    function test_verifierStakeDoesNotClaim() public {
        uint256 id = _submit();
        vm.prank(solver);
        market.deposit{value: STAKE}(Stakes.Role.Verifier);
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(Stakes.InsufficientStake.selector, 0, STAKE));
        market.claim(id);
    }

    function test_claimAfterTheClaimDeadlineReverts() public {
        uint256 id = _submit();
        vm.prank(solver);
        market.deposit{value: STAKE}(Stakes.Role.Solver);
        vm.warp(block.timestamp + DAY + 1);
        vm.prank(solver);
        vm.expectPartialRevert(Tasks.TooLate.selector);
        market.claim(id);
    }

    function test_aClaimedTaskCannotBeClaimedAgain() public {
        uint256 id = _claimed();
        vm.prank(other);
        market.deposit{value: STAKE}(Stakes.Role.Solver);
        vm.prank(other);
        vm.expectRevert(
            abi.encodeWithSelector(Tasks.WrongStatus.selector, id, Tasks.Status.Claimed)
        );
        market.claim(id);
    }

    // ------------------------------------------------------------------ commit

    function test_commitRecordsTheResultAndOpensTheChallengeWindow() public {
        uint256 id = _claimed();
        vm.roll(77);
        vm.prank(solver);
        market.commitResult(id, keccak256("result"));
        Tasks.Task memory k = market.task(id);
        vm.assertEq(uint256(k.status), uint256(Tasks.Status.Committed), "committed");
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
        Stakes.Stake memory s = market.stakeOf(solver, Stakes.Role.Solver);
        vm.assertEq(s.free, STAKE, "freed");
        vm.assertEq(s.locked, 0, "unlocked");
        vm.expectRevert(
            abi.encodeWithSelector(Tasks.WrongStatus.selector, id, Tasks.Status.Finalized)
        );
        market.finalize(id);
        _solvent();
    }

    // ------------------------------------------------------------------ refund

    function test_anUnclaimedTaskIsRefundedAfterTheClaimDeadline() public {
        uint256 id = _submit();
        vm.expectPartialRevert(Tasks.TooEarly.selector);
        market.refund(id);
        vm.warp(block.timestamp + DAY + 1);
        market.refund(id);
        vm.assertEq(market.balanceOf(submitter), PAY, "refunded");
        vm.expectRevert(
            abi.encodeWithSelector(Tasks.WrongStatus.selector, id, Tasks.Status.Refunded)
        );
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
        vm.assertEq(market.stakeOf(solver, Stakes.Role.Solver).locked, 0, "slashed");
        _solvent();
    }

    function test_aCommittedTaskIsNotRefunded() public {
        uint256 id = _committed();
        vm.warp(block.timestamp + 10 * DAY);
        vm.expectRevert(
            abi.encodeWithSelector(Tasks.WrongStatus.selector, id, Tasks.Status.Committed)
        );
        market.refund(id);
    }

    // ------------------------------------------------------------------ stakes

    function test_unbondingWaitsForTheDelay() public {
        vm.startPrank(solver);
        market.deposit{value: STAKE}(Stakes.Role.Solver);
        market.startUnbonding(Stakes.Role.Solver, 2 ether);
        vm.expectPartialRevert(Stakes.StillUnbonding.selector);
        market.finishUnbonding(Stakes.Role.Solver);
        vm.warp(block.timestamp + 7 * DAY);
        market.finishUnbonding(Stakes.Role.Solver);
        vm.assertEq(market.balanceOf(solver), 2 ether, "credited");
        uint256 before = solver.balance;
        market.withdraw();
        vm.assertEq(solver.balance, before + 2 ether, "sent");
        vm.expectRevert(Stakes.NothingToWithdraw.selector);
        market.withdraw();
        vm.stopPrank();
        vm.assertEq(market.stakeOf(solver, Stakes.Role.Solver).free, 3 ether, "rest stays");
        _solvent();
    }

    function test_lockedStakeCannotUnbond() public {
        _claimed();
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(Stakes.InsufficientStake.selector, 0, 1));
        market.startUnbonding(Stakes.Role.Solver, 1);
    }

    function test_badRolesAndZeroDepositsRevert() public {
        vm.prank(solver);
        vm.expectRevert(Stakes.BadRole.selector);
        market.deposit{value: 1}(Stakes.Role.None);
        vm.prank(solver);
        vm.expectRevert(Stakes.ZeroAmount.selector);
        market.deposit(Stakes.Role.Solver);
    }

    /// @notice The whole honest life of a task leaves the contract empty once everyone withdrew.
    function test_everythingSettledAndWithdrawnLeavesNothing() public {
        uint256 id = _committed();
        vm.warp(block.timestamp + DAY + 1);
        market.finalize(id);
        vm.startPrank(solver);
        market.startUnbonding(Stakes.Role.Solver, STAKE);
        vm.warp(block.timestamp + 7 * DAY);
        market.finishUnbonding(Stakes.Role.Solver);
        market.withdraw();
        vm.stopPrank();
        vm.assertEq(address(market).balance, 0, "empty");
        vm.assertEq(market.liabilities(), 0, "no liabilities");
    }

    // ------------------------------------------------------------------ reentrancy

    function test_withdrawCannotBeReentered() public {
        Reenterer attacker = new Reenterer(market);
        vm.deal(address(attacker), 10 ether);
        attacker.depositAndUnbond(1 ether, 7 * DAY);
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
        market.deposit{value: deposited}(Stakes.Role.Solver);
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
        if (ok) vm.assertEq(market.stakeOf(solver, Stakes.Role.Solver).locked, STAKE, "locked");
        _solvent();
    }

    /// @notice Whatever the payment and the stake, an honest task pays the solver its payment
    /// and leaves the contract empty once everyone withdrew.
    function testFuzz_anHonestTaskPaysExactlyAndLeavesNothing(uint96 pay, uint96 stake) public {
        vm.assume(pay > 0 && stake > 0);
        vm.deal(submitter, uint256(pay));
        vm.deal(solver, uint256(stake));
        Tasks.Terms memory t = _terms();
        t.solverStake = stake;
        vm.prank(submitter);
        uint256 id = market.submitTask{value: pay}(_commitments(), t);
        vm.startPrank(solver);
        market.deposit{value: stake}(Stakes.Role.Solver);
        market.claim(id);
        market.commitResult(id, keccak256("result"));
        vm.warp(block.timestamp + DAY + 1);
        market.finalize(id);
        vm.assertEq(market.balanceOf(solver), pay, "paid");
        market.startUnbonding(Stakes.Role.Solver, stake);
        vm.warp(block.timestamp + 7 * DAY);
        market.finishUnbonding(Stakes.Role.Solver);
        market.withdraw();
        vm.stopPrank();
        vm.assertEq(solver.balance, uint256(pay) + stake, "all back");
        vm.assertEq(address(market).balance, 0, "empty");
    }
}

/// @notice Re-enters `withdraw` from the payout it receives.
contract Reenterer {
    Market internal market;

    constructor(Market m) {
        market = m;
    }

    function depositAndUnbond(uint256 amount, uint64) external {
        market.deposit{value: amount}(Stakes.Role.Verifier);
        market.startUnbonding(Stakes.Role.Verifier, amount);
    }

    function finish() external {
        market.finishUnbonding(Stakes.Role.Verifier);
    }

    function attack() external {
        market.withdraw();
    }

    receive() external payable {
        market.withdraw();
    }
}
