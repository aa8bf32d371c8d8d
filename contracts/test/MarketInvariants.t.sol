// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Test, Vm} from "./utils/Test.sol";
import {Market} from "../src/market/Market.sol";
import {OpProver} from "../src/OpProver.sol";
import {Tasks} from "../src/market/Tasks.sol";
import {Attestations} from "../src/market/Attestations.sol";
import {Stakes} from "../src/market/Stakes.sol";

/// @notice Random sequences of every market action by a few actors, with ghost accounting kept
/// outside the contract (contracts/PROPERTIES.md lists what must hold after every one).
contract MarketHandler {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    Market public market;
    address[3] internal actors = [address(0xA1), address(0xA2), address(0xA3)];

    /// Wei sent into and out of the market (withdrawn or burned), seen from outside.
    uint256 public ghostIn;
    uint256 public ghostOut;
    /// How often each task paid out (finalize or refund), and the status it settled in.
    mapping(uint256 => uint256) public payouts;
    mapping(uint256 => Tasks.Status) public settledAs;
    uint256 public settledCount;

    constructor(Market m) {
        market = m;
        for (uint256 i = 0; i < 3; i++) {
            vm.deal(actors[i], 1_000_000 ether);
            vm.deal(address(this), 1_000_000 ether);
        }
    }

    function _actor(uint256 seed) internal view returns (address) {
        return actors[seed % 3];
    }

    function _taskId(uint256 seed) internal view returns (uint256) {
        uint256 n = market.taskCount();
        return n == 0 ? 1 : 1 + seed % n;
    }

    function deposit(uint256 who, bool verifier, uint256 amount) external {
        amount = 1 + amount % 20 ether;
        vm.prank(_actor(who));
        market.deposit{value: amount}(verifier ? Stakes.Role.Verifier : Stakes.Role.Solver);
        ghostIn += amount;
    }

    function submit(uint256 who, uint256 payment, uint256 stake) external {
        payment = 1 + payment % 10 ether;
        Tasks.Commitments memory c;
        c.programRoot = bytes32(uint256(1));
        c.datasetHash = bytes32(uint256(2));
        c.initStateHash = bytes32(uint256(3));
        c.steps = 100;
        c.interval = 10;
        c.ops = 4;
        c.slots = 6;
        c.batch = 8;
        Tasks.Terms memory t = Tasks.Terms({
            solverStake: 1 + stake % 10 ether,
            challengeBond: 0.5 ether,
            verifierStake: 2 ether,
            verifierFee: 0.1 ether,
            samples: 2,
            claimBy: uint64(block.timestamp) + 1 hours,
            solveWithin: 2 hours,
            challengeWithin: 1 hours
        });
        vm.prank(_actor(who));
        market.submitTask{value: payment}(c, t);
        ghostIn += payment;
    }

    function claim(uint256 who, uint256 task) external {
        // The id first: reading it is a call, which would use up the prank.
        uint256 id = _taskId(task);
        vm.prank(_actor(who));
        try market.claim(id) {} catch {}
    }

    function commit(uint256 task, bytes32 root) external {
        if (market.taskCount() == 0) return;
        uint256 id = _taskId(task);
        address solver = market.task(id).solver;
        vm.prank(solver);
        try market.commitResult(id, root) {} catch {}
    }

    function finalize(uint256 task) external {
        uint256 id = _taskId(task);
        try market.finalize(id) {
            _settled(id);
        } catch {}
    }

    function refund(uint256 task) external {
        uint256 id = _taskId(task);
        try market.refund(id) {
            _settled(id);
        } catch {}
    }

    function _settled(uint256 id) internal {
        payouts[id]++;
        settledAs[id] = market.task(id).status;
        settledCount++;
    }

    function challenge(uint256 who, uint256 task, uint64 segment) external {
        if (market.taskCount() == 0) return;
        uint256 id = _taskId(task);
        address a = _actor(who);
        vm.prank(a);
        try market.challenge{value: 0.5 ether}(id, segment % 11) {
            ghostIn += 0.5 ether;
        } catch {}
    }

    function timeout(uint256 game) external {
        uint256 n = market.gameCount();
        if (n == 0) return;
        uint256 id = 1 + game % n;
        uint256 task = market.game(id).task;
        uint256 burned = address(0xdEaD).balance;
        try market.timeout(id) {
            if (market.task(task).status == Tasks.Status.Slashed) _settled(task);
            // The burned part of a slash leaves the market too.
            ghostOut += address(0xdEaD).balance - burned;
        } catch {}
    }

    function endGame(uint256 game) external {
        uint256 n = market.gameCount();
        if (n == 0) return;
        try market.endGame(1 + game % n) {} catch {}
    }

    function registerVerifier(uint256 who) external {
        vm.prank(_actor(who));
        try market.registerVerifier() {} catch {}
    }

    function sample(uint256 task) external {
        if (market.taskCount() == 0) return;
        uint256 id = _taskId(task);
        vm.roll(block.number + 2);
        try market.sample(id) {} catch {}
    }

    function attest(uint256 task, uint256 index, bool pass) external {
        if (market.taskCount() == 0) return;
        uint256 id = _taskId(task);
        Attestations.Sample[] memory s = market.samplesOf(id);
        if (s.length == 0) return;
        index %= s.length;
        vm.prank(s[index].verifier);
        try market.attest(id, index, pass, 0) {} catch {}
    }

    function startUnbonding(uint256 who, bool verifier, uint256 amount) external {
        vm.prank(_actor(who));
        try market.startUnbonding(
            verifier ? Stakes.Role.Verifier : Stakes.Role.Solver, 1 + amount % 20 ether
        ) {}
            catch {}
    }

    function finishUnbonding(uint256 who, bool verifier) external {
        vm.prank(_actor(who));
        try market.finishUnbonding(verifier ? Stakes.Role.Verifier : Stakes.Role.Solver) {} catch {}
    }

    function withdraw(uint256 who) external {
        address a = _actor(who);
        uint256 owed = market.balanceOf(a);
        vm.prank(a);
        try market.withdraw() {
            ghostOut += owed;
        } catch {}
    }

    function wait(uint256 seconds_) external {
        vm.warp(block.timestamp + seconds_ % 3 days);
    }
}

contract MarketInvariantsTest is Test {
    Market internal market;
    MarketHandler internal handler;

    function setUp() public {
        vm.warp(1_000_000);
        market = new Market(1 days, 1 hours, new OpProver());
        handler = new MarketHandler(market);
    }

    function targetContracts() public view returns (address[] memory t) {
        t = new address[](1);
        t[0] = address(handler);
    }

    /// @notice Solvency: the contract holds exactly its stakes, escrows and balances.
    function invariant_solvency() public view {
        vm.assertEq(address(market).balance, market.liabilities(), "balance = liabilities");
    }

    /// @notice Nothing appears or vanishes: what came in minus what went out is what is held.
    function invariant_conservation() public view {
        vm.assertEq(
            address(market).balance, handler.ghostIn() - handler.ghostOut(), "in - out = held"
        );
    }

    /// @notice No task pays out twice, and a settled task stays as it settled.
    function invariant_noDoublePayoutAndSettledTasksStaySettled() public view {
        uint256 n = market.taskCount();
        for (uint256 id = 1; id <= n; id++) {
            vm.assertTrue(handler.payouts(id) <= 1, "at most one payout");
            if (handler.payouts(id) == 1) {
                vm.assertEq(
                    uint256(market.task(id).status), uint256(handler.settledAs(id)), "settled"
                );
            }
        }
    }
}

contract MarketHandlerTest is Test {
    function test_theHandlerReachesSettlement() public {
        vm.warp(1_000_000);
        Market market = new Market(1 days, 1 hours, new OpProver());
        MarketHandler h = new MarketHandler(market);
        h.deposit(0, false, 5 ether);
        h.submit(1, 1 ether, 1 ether);
        h.claim(0, 0);
        h.commit(0, keccak256("root"));
        h.wait(2 days);
        h.finalize(0);
        vm.assertEq(h.settledCount(), 1, "settled");
    }
}
