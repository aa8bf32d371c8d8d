// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Test} from "./utils/Test.sol";
import {Trees} from "./utils/Trees.sol";
import {Market} from "../src/market/Market.sol";
import {OpProver} from "../src/OpProver.sol";
import {Availability} from "../src/market/Availability.sol";
import {Games} from "../src/market/Games.sol";
import {Stakes} from "../src/market/Stakes.sol";
import {Tasks} from "../src/market/Tasks.sol";
import {Merkle} from "../src/commit/Merkle.sol";
import {State} from "../src/commit/State.sol";
import {Tensor} from "../src/commit/Tensor.sol";

/// @notice Data availability: a row of a committed checkpoint tensor, asked for on chain, must
/// be served in time or the solver loses the task.
contract AvailabilityTest is Test, Trees {
    Market internal market;
    address internal submitter = address(0x5B);
    address internal solver = address(0x50);
    address internal asker = address(0xA5);
    uint64 internal constant HOUR = 1 hours;
    uint256 internal constant BOND = 1 ether;

    bytes internal row0 = hex"0000803f00000040"; // [1.0, 2.0]
    bytes internal row1 = hex"0000404000008040"; // [3.0, 4.0]
    Tensor.Header internal header;
    bytes32 internal tensorHash;
    bytes32[] internal tensorHashes;
    bytes32[] internal checkpoints;
    bytes internal layout;
    uint256 internal taskId;

    function setUp() public {
        vm.warp(1_000_000);
        market = new Market(7 days, HOUR, new OpProver());
        vm.deal(submitter, 100 ether);
        vm.deal(solver, 100 ether);
        vm.deal(asker, 100 ether);
        bytes32[] memory rows = new bytes32[](2);
        rows[0] = Merkle.leafHash32(Tensor.rowRoot(row0));
        rows[1] = Merkle.leafHash32(Tensor.rowRoot(row1));
        header = Tensor.Header(1, 2, 2, Merkle.root(rows));
        tensorHash = Tensor.hash(header);
        tensorHashes.push(keccak256("weights"));
        tensorHashes.push(tensorHash);
        checkpoints.push(keccak256("s0"));
        checkpoints.push(State.hash(tensorHashes));
        checkpoints.push(keccak256("s2"));
        layout = abi.encode(uint32(2), new uint32[](2));
        Tasks.Commitments memory c;
        c.programRoot = keccak256("program");
        c.datasetHash = keccak256("data");
        c.initStateHash = checkpoints[0];
        c.layoutHash = sha256(layout);
        c.steps = 20;
        c.interval = 10;
        c.ops = 28;
        c.slots = 32;
        c.batch = 8;
        Tasks.Terms memory t;
        t.solverStake = 10 ether;
        t.challengeBond = BOND;
        t.claimBy = uint64(block.timestamp) + HOUR;
        t.solveWithin = 10 * HOUR;
        t.challengeWithin = 5 * HOUR;
        vm.prank(submitter);
        taskId = market.submitTask{value: 3 ether}(c, t);
        bytes32 resultRoot = _root(_leaves(checkpoints));
        vm.startPrank(solver);
        market.deposit{value: 10 ether}(Stakes.Role.Solver);
        market.claim(taskId);
        market.commitResult(taskId, resultRoot);
        vm.stopPrank();
    }

    function _where() internal view returns (Availability.Where memory w) {
        w.source = Availability.Source.Checkpoint;
        w.index = 1;
        w.stateHash = checkpoints[1];
        w.stateSiblings = _proof(_leaves(checkpoints), 1);
        w.layout = layout;
        w.tensor = 1;
        w.tensorSiblings = _proof(_leaves(tensorHashes), 1);
    }

    function _ask(uint256 row) internal returns (uint256 id) {
        Availability.Where memory w = _where();
        vm.prank(asker);
        id = market.requestRow{value: BOND}(taskId, tensorHash, row, w);
    }

    function test_anAnsweredRequestPaysTheSolverForItsGas() public {
        uint256 id = _ask(1);
        vm.assertEq(market.task(taskId).openGames, 1, "blocks finalization");
        bytes32[] memory rows = new bytes32[](2);
        rows[0] = Merkle.leafHash32(Tensor.rowRoot(row0));
        rows[1] = Merkle.leafHash32(Tensor.rowRoot(row1));
        bytes32[] memory siblings = _proof(rows, 1);
        Tensor.Header memory h = header;
        // A wrong row does not answer it.
        vm.prank(solver);
        vm.expectPartialRevert(Merkle.RootMismatch.selector);
        market.answerRow(id, h, row0, siblings);
        vm.prank(solver);
        market.answerRow(id, h, row1, siblings);
        vm.assertEq(market.balanceOf(solver), BOND, "bond to the solver");
        vm.assertEq(market.task(taskId).openGames, 0, "closed");
        vm.expectRevert(abi.encodeWithSelector(Availability.RequestClosed.selector, id));
        market.requestTimeout(id);
        vm.assertEq(address(market).balance, market.liabilities(), "solvent");
    }

    function test_anUnansweredRequestSlashesTheSolver() public {
        uint256 id = _ask(0);
        vm.expectPartialRevert(Games.NotTimedOut.selector);
        market.requestTimeout(id);
        vm.warp(block.timestamp + HOUR + 1);
        market.requestTimeout(id);
        vm.assertEq(uint256(market.task(taskId).status), uint256(Tasks.Status.Slashed), "slashed");
        vm.assertEq(market.balanceOf(asker), BOND + 5 ether, "bond and bounty");
        vm.assertEq(address(market).balance, market.liabilities(), "solvent");
    }

    function test_onlyCommittedTensorsCanBeAskedFor() public {
        Availability.Where memory w = _where();
        vm.prank(asker);
        vm.expectPartialRevert(State.StateMismatch.selector);
        market.requestRow{value: BOND}(taskId, keccak256("not committed"), 0, w);
        w.source = Availability.Source.None;
        vm.prank(asker);
        vm.expectRevert(Availability.BadSource.selector);
        market.requestRow{value: BOND}(taskId, tensorHash, 0, w);
    }
}
