// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {CourtFixture} from "./utils/Court.sol";
import {Status} from "../src/market/Types.sol";
import {Court} from "../src/court/Court.sol";
import {Dispute} from "../src/court/Dispute.sol";
import {Availability} from "../src/court/Availability.sol";
import {Merkle} from "../src/commit/Merkle.sol";
import {State} from "../src/commit/State.sol";
import {Tensor} from "../src/commit/Tensor.sol";

/// @notice Review experiments for `Kind.Data` (not part of the suite's claims).
contract ReviewDataTest is CourtFixture {
    address internal asker = address(0xA5);

    event log_named_uint(string key, uint256 val);

    function setUp() public override {
        super.setUp();
        vm.deal(asker, 1000 ether);
    }

    /// @dev A new task whose checkpoint 1 holds `hashes`; returns where that state is committed.
    function _taskWith(bytes32[] memory hashes) internal returns (Availability.Where memory w) {
        checkpoints[1] = State.hash(hashes);
        taskId = _task(checkpoints);
        w.source = Availability.Source.Checkpoint;
        w.index = 1;
        w.stateHash = checkpoints[1];
        w.siblings = _proof(_leaves(checkpoints), 1);
        w.layout = layout;
    }

    function _one(Tensor.Header memory h) internal pure returns (Tensor.Header[] memory a) {
        a = new Tensor.Header[](1);
        a[0] = h;
    }

    function _gasOfAnswer(uint256 rows, uint256 cols) internal returns (uint256 used) {
        (Tensor.Header memory h, bytes memory v) = _realTensor(rows, cols, 7);
        bytes32[] memory hashes = _tensors(K);
        hashes[0] = Tensor.hash(h);
        Availability.Where memory w = _taskWith(hashes);
        vm.prank(asker);
        uint256 id = availability.requestData{value: BOND}(taskId, w, 0, 1);
        Tensor.Header[] memory headers = _one(h);
        vm.prank(solver);
        uint256 g = gasleft();
        availability.answerData(id, hashes, headers, v);
        used = g - gasleft();
    }

    /// @notice The gas snapshot measures the cheapest shape at the cap (128 × 128). A column
    /// tensor at the cap (16384 × 1, e.g. a [batch, 1] slot or two [8192, 1]) costs far more:
    /// one row root, one copy and one leaf per 4 bytes, then a 16384-leaf tree.
    function test_review_gasOfDataAnswerDependsOnShape() public {
        uint256 square = _gasOfAnswer(128, 128);
        uint256 column = _gasOfAnswer(16384, 1);
        uint256 labels = _gasOfAnswer(8192, 1);
        uint256 logits = _gasOfAnswer(8192, 2);
        emit log_named_uint("answerData 8192x1 (labels, batch 8192) execution gas", labels);
        emit log_named_uint("answerData 8192x2 (logits, 2 classes) execution gas", logits);
        emit log_named_uint("answerData 128x128 execution gas", square);
        emit log_named_uint("answerData 16384x1 execution gas", column);
        // Calldata floor (EIP-7623) for 64 KiB of mostly non-zero bytes: about 2.6 M more.
        vm.assertTrue(column > 3 * square, "a column costs several times the measured cap");
    }

    /// @notice A cheater commits a state whose tensor 1 is a made-up 1 × 2^20 header (a
    /// `rowsRoot` it cannot open). A `Data` answer over a range holding it is headers only:
    /// the contract never checks the made-up tensor, and the real, small tensors 0, 2 and 3 of
    /// the same range are not opened either. The Rust challenger (`whole`) records all four as
    /// header-only, never asks again (they are not "missing") and never asks for rows: stuck.
    /// Only a `Row` request (which the cheater cannot answer) would convict.
    function test_review_fakeOversizedHeaderHidesTheWholeRange() public {
        bytes32[] memory hashes = _tensors(K);
        Tensor.Header[] memory headers = new Tensor.Header[](TENSORS);
        for (uint256 m; m < TENSORS; ++m) {
            headers[m] = _header(K, m);
        }
        headers[1] = Tensor.Header(1, 1, 1 << 20, keccak256("made up, never computed"));
        hashes[1] = Tensor.hash(headers[1]);
        Availability.Where memory w = _taskWith(hashes);
        vm.prank(asker);
        uint256 id = availability.requestData{value: BOND}(taskId, w, 0, TENSORS);
        vm.warp(block.timestamp + MOVE); // the last second
        vm.prank(solver);
        availability.answerData(id, hashes, headers, "");
        vm.assertFalse(availability.request(id).open, "answered by headers alone");
        vm.assertEq(uint256(_status(taskId)), uint256(Status.Committed), "not convicted");
        // What would convict: a row of the made-up tensor, which no answer can open.
        w.tensor = 1;
        w.tensorSiblings = _proof(_leaves(hashes), 1);
        vm.prank(asker);
        uint256 row = availability.requestRow{value: BOND}(taskId, hashes[1], 0, w);
        vm.warp(block.timestamp + MOVE + 1);
        availability.requestTimeout(row);
        vm.assertEq(uint256(_status(taskId)), uint256(Status.Slashed), "a row request convicts");
    }

    /// @notice Nothing stops the same range being asked for again after it is opened: every
    /// repeat must be answered (full gas) within `moveWindow` (each with the task's bond, which
    /// the solver keeps when it finalizes).
    function test_review_theSameRangeCanBeDemandedAgainAndAgain() public {
        (Tensor.Header memory h, bytes memory v) = _realTensor(128, 128, 7);
        bytes32[] memory hashes = _tensors(K);
        hashes[0] = Tensor.hash(h);
        Availability.Where memory w = _taskWith(hashes);
        Tensor.Header[] memory headers = _one(h);
        for (uint256 i; i < 3; ++i) {
            vm.prank(asker);
            uint256 id = availability.requestData{value: BOND}(taskId, w, 0, 1);
            vm.prank(solver);
            availability.answerData(id, hashes, headers, v);
        }
        // One left unanswered still convicts, though the data is on chain three times.
        vm.prank(asker);
        uint256 last = availability.requestData{value: BOND}(taskId, w, 0, 1);
        vm.warp(block.timestamp + MOVE + 1);
        availability.requestTimeout(last);
        vm.assertEq(uint256(_status(taskId)), uint256(Status.Slashed), "convicted");
    }

    /// @notice clock = 3 · moveWindow (the constructor's least, and the devnet's setting) does
    /// not cover two last-second openings once the challenger's own latency and compute exceed
    /// one move window in all: here 5 min to send its demands, 55 min to re-execute the segment
    /// and pick, 12 s to demand the trace. The turn's deadline is `max(left, moveWindow)` after it
    /// starts, but the opening's is `moveWindow` after the demand: the cheat answers after the
    /// game's deadline, and wins a game whose trace is provably wrong.
    function test_review_lastSecondOpeningsOutrunAThreeWindowClock() public {
        uint64 j = 2;
        uint64 s = 3;
        uint256 game = _challenge(challenger, j);
        _postSteps(j);
        // Turn 1: the challenger demands the per-step state after step s (5 min of demands).
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
        vm.warp(availability.request(id).deadline); // answered at the last second
        bytes32[] memory opened = _tensors(j * K + s + 1);
        vm.prank(solver);
        availability.answerState(id, opened);
        vm.warp(block.timestamp + 55 minutes);
        _pick(challenger, game, s);
        // The cheat posts its trace at once; slot 5 is a real tensor the challenger must open.
        bytes32[] memory slots = _cheatSlots(j, s);
        (Tensor.Header memory h, bytes memory v) = _realTensor(2, 3, 5);
        slots[5] = Tensor.hash(h);
        _postTrace(j, s, slots);
        uint64 gameDeadline = dispute.game(game).deadline;
        vm.warp(block.timestamp + 12);
        Availability.Where memory t;
        t.source = Availability.Source.TraceSlot;
        t.segment = j;
        t.step = s;
        vm.prank(challenger);
        uint256 open = availability.requestData{value: BOND}(taskId, t, 5, 6);
        vm.assertTrue(availability.request(open).deadline > gameDeadline, "opening due after turn");
        vm.warp(availability.request(open).deadline);
        vm.prank(solver);
        availability.answerData(open, slots, _one(h), v);
        // The challenger has its data, and a valid link proof, but no time.
        Dispute.Link memory link = _link(j, s, slots, _cheatHeader());
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Court.MoveTooLate.selector, game, gameDeadline));
        dispute.proveLink(game, link);
        dispute.timeout(game);
        vm.assertEq(_phase(game), uint256(Dispute.Phase.SolverWon), "the cheat won");
    }

    /// @notice The free-pointer reset in `Tensor.rowsRoot`: rows of one width, then a tensor of
    /// a narrower width over the same reused memory; every single flipped byte is refused and
    /// the honest bytes pass (no stale memory reaches a row root).
    function test_review_rowsRootReuseDetectsEveryByte() public {
        (Tensor.Header memory a, bytes memory va) = _realTensor(3, 9, 1);
        (Tensor.Header memory b, bytes memory vb) = _realTensor(2, 3, 2);
        bytes32[] memory hashes = _tensors(K);
        hashes[0] = Tensor.hash(a);
        hashes[1] = Tensor.hash(b);
        Availability.Where memory w = _taskWith(hashes);
        Tensor.Header[] memory headers = new Tensor.Header[](2);
        headers[0] = a;
        headers[1] = b;
        bytes memory all = bytes.concat(va, vb);
        vm.prank(asker);
        uint256 id = availability.requestData{value: BOND}(taskId, w, 0, 2);
        for (uint256 i; i < all.length; ++i) {
            bytes memory bad = bytes.concat(all);
            bad[i] = bytes1(uint8(bad[i]) ^ 0x01);
            vm.prank(solver);
            vm.expectPartialRevert(Tensor.HashMismatch.selector);
            availability.answerData(id, hashes, headers, bad);
        }
        vm.prank(solver);
        availability.answerData(id, hashes, headers, all);
        vm.assertFalse(availability.request(id).open, "answered");
    }
}
