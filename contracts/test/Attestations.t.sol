// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Test} from "./utils/Test.sol";
import {Market} from "../src/market/Market.sol";
import {OpProver} from "../src/OpProver.sol";
import {Attestations} from "../src/market/Attestations.sol";
import {Stakes} from "../src/market/Stakes.sol";
import {Tasks} from "../src/market/Tasks.sol";

/// @notice Sampling from the block after the commit, attestations, and their settlement: fees
/// on finalization, and a lazy verifier's stake to the challenger when its segment is proven a
/// fraud.
contract AttestationsTest is Test {
    Market internal market;
    address internal submitter = address(0x5B);
    address internal solver = address(0x50);
    address internal challenger = address(0xC1);
    address[3] internal vs = [address(0xF1), address(0xF2), address(0xF3)];

    uint64 internal constant HOUR = 1 hours;
    uint256 internal constant PAY = 3 ether;
    uint256 internal constant STAKE = 10 ether;
    uint256 internal constant VSTAKE = 2 ether;
    uint256 internal constant FEE = 0.1 ether;
    uint256 internal taskId;

    function setUp() public {
        vm.warp(1_000_000);
        vm.roll(100);
        market = new Market(7 days, HOUR, new OpProver());
        vm.deal(submitter, 100 ether);
        vm.deal(solver, 100 ether);
        vm.deal(challenger, 100 ether);
        for (uint256 i = 0; i < 3; i++) {
            vm.deal(vs[i], 100 ether);
            vm.startPrank(vs[i]);
            market.deposit{value: 10 ether}(Stakes.Role.Verifier);
            market.registerVerifier();
            vm.stopPrank();
        }
        Tasks.Commitments memory c;
        c.programRoot = keccak256("program");
        c.datasetHash = keccak256("data");
        c.initStateHash = keccak256("init");
        c.steps = 40;
        c.interval = 10;
        c.ops = 28;
        c.slots = 32;
        c.batch = 8;
        Tasks.Terms memory t = Tasks.Terms({
            solverStake: STAKE,
            challengeBond: 1 ether,
            verifierStake: VSTAKE,
            verifierFee: FEE,
            samples: 3,
            claimBy: uint64(block.timestamp) + HOUR,
            solveWithin: 10 * HOUR,
            challengeWithin: 5 * HOUR
        });
        vm.prank(submitter);
        taskId = market.submitTask{value: PAY}(c, t);
        vm.startPrank(solver);
        market.deposit{value: STAKE}(Stakes.Role.Solver);
        market.claim(taskId);
        market.commitResult(taskId, keccak256("result"));
        vm.stopPrank();
    }

    function _sampled() internal returns (Attestations.Sample[] memory s) {
        vm.roll(block.number + 2);
        market.sample(taskId);
        s = market.samplesOf(taskId);
    }

    function test_registrationNeedsVerifierStakeOnce() public {
        vm.prank(solver);
        vm.expectRevert(Attestations.NoVerifierStake.selector);
        market.registerVerifier();
        vm.prank(vs[0]);
        vm.expectRevert(Attestations.AlreadyRegistered.selector);
        market.registerVerifier();
        vm.assertEq(market.verifiers(2), vs[2], "three, in order");
    }

    function test_samplingWaitsForTheBlockAfterTheCommitAndHappensOnce() public {
        vm.expectPartialRevert(Attestations.TooSoonToSample.selector);
        market.sample(taskId);
        Attestations.Sample[] memory s = _sampled();
        vm.assertEq(s.length, 3, "three samples");
        for (uint256 i = 0; i < s.length; i++) {
            vm.assertTrue(s[i].segment < 4, "a segment of the task");
            vm.assertTrue(market.registered(s[i].verifier), "a registered verifier");
        }
        vm.expectRevert(abi.encodeWithSelector(Attestations.AlreadySampled.selector, taskId));
        market.sample(taskId);
    }

    function test_onlyTheAssignedVerifierAttestsOnceAndLocksItsStake() public {
        Attestations.Sample[] memory s = _sampled();
        address other = s[0].verifier == vs[0] ? vs[1] : vs[0];
        vm.prank(other);
        vm.expectPartialRevert(Attestations.NotAssigned.selector);
        market.attest(taskId, 0, true, 0);
        uint256 freeBefore = market.stakeOf(s[0].verifier, Stakes.Role.Verifier).free;
        vm.prank(s[0].verifier);
        market.attest(taskId, 0, true, 1e12);
        Stakes.Stake memory st = market.stakeOf(s[0].verifier, Stakes.Role.Verifier);
        vm.assertEq(freeBefore - st.free, VSTAKE, "locked");
        vm.prank(s[0].verifier);
        vm.expectRevert(abi.encodeWithSelector(Attestations.AlreadyAttested.selector, taskId, 0));
        market.attest(taskId, 0, false, 0);
        vm.prank(s[0].verifier);
        vm.expectRevert(abi.encodeWithSelector(Attestations.NoSuchSample.selector, taskId, 3));
        market.attest(taskId, 3, true, 0);
        vm.warp(block.timestamp + 5 * HOUR + 1);
        vm.prank(s[1].verifier);
        vm.expectPartialRevert(Tasks.TooLate.selector);
        market.attest(taskId, 1, true, 0);
    }

    function test_finalizationPaysTheAttestingVerifiersOutOfThePayment() public {
        Attestations.Sample[] memory s = _sampled();
        vm.prank(s[0].verifier);
        market.attest(taskId, 0, true, 0);
        vm.prank(s[1].verifier);
        market.attest(taskId, 1, false, 5e16);
        vm.warp(block.timestamp + 5 * HOUR + 1);
        market.finalize(taskId);
        vm.assertEq(market.balanceOf(solver), PAY - 2 * FEE, "the payment less two fees");
        uint256 paid;
        for (uint256 i = 0; i < 3; i++) {
            paid += market.balanceOf(vs[i]);
            vm.assertEq(market.stakeOf(vs[i], Stakes.Role.Verifier).locked, 0, "unlocked");
        }
        vm.assertEq(paid, 2 * FEE, "two fees");
        vm.assertEq(address(market).balance, market.liabilities(), "solvent");
    }

    function test_aVerifierThatPassedAFraudulentSegmentLosesItsStakeToTheChallenger() public {
        Attestations.Sample[] memory s = _sampled();
        // Every assigned verifier attests pass without checking.
        for (uint256 i = 0; i < s.length; i++) {
            vm.prank(s[i].verifier);
            market.attest(taskId, i, true, 0);
        }
        // A whistleblower challenges sample 0's segment; the solver cannot answer.
        vm.prank(challenger);
        uint256 game = market.challenge{value: 1 ether}(taskId, s[0].segment);
        vm.warp(block.timestamp + HOUR + 1);
        market.timeout(game);
        uint256 lazy;
        for (uint256 i = 0; i < s.length; i++) {
            if (s[i].segment == s[0].segment) lazy++;
        }
        vm.assertEq(
            market.balanceOf(challenger),
            1 ether + STAKE / 2 + lazy * VSTAKE,
            "bond, bounty and the lazy verifiers' stakes"
        );
        for (uint256 i = 0; i < s.length; i++) {
            vm.assertEq(market.stakeOf(s[i].verifier, Stakes.Role.Verifier).locked, 0, "settled");
        }
        vm.assertEq(address(market).balance, market.liabilities(), "solvent");
    }

    function test_noVerifiersNoSamples() public {
        Market fresh = new Market(7 days, HOUR, new OpProver());
        Tasks.Task memory k = market.task(taskId);
        vm.prank(submitter);
        uint256 id = fresh.submitTask{value: PAY}(k.commitments, _terms());
        vm.startPrank(solver);
        fresh.deposit{value: STAKE}(Stakes.Role.Solver);
        fresh.claim(id);
        fresh.commitResult(id, keccak256("result"));
        vm.stopPrank();
        vm.roll(block.number + 2);
        fresh.sample(id);
        vm.assertEq(fresh.samplesOf(id).length, 0, "none");
    }

    function _terms() internal view returns (Tasks.Terms memory t) {
        t = market.task(taskId).terms;
        t.claimBy = uint64(block.timestamp) + HOUR;
    }

    function test_feesMustLeaveThePaymentSomething() public {
        Tasks.Task memory k = market.task(taskId);
        Tasks.Terms memory t = _terms();
        t.verifierFee = 1 ether;
        vm.prank(submitter);
        vm.expectPartialRevert(Tasks.BadTerms.selector);
        market.submitTask{value: 3 ether}(k.commitments, t);
    }
}
