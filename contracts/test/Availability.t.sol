// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {CourtFixture} from "./utils/Court.sol";
import {Market} from "../src/market/Market.sol";
import {Tasks} from "../src/market/Tasks.sol";
import {Commitments, Status, Terms} from "../src/market/Types.sol";
import {Court} from "../src/court/Court.sol";
import {Availability} from "../src/court/Availability.sol";
import {Merkle} from "../src/commit/Merkle.sol";
import {State} from "../src/commit/State.sol";
import {Tensor} from "../src/commit/Tensor.sol";

/// @notice Openings on demand (DESIGN §6 (2)): every kind of request (a leaf of `resultRoot`, a
/// segment's per-step states, a state's tensor hashes, a row of a tensor) answered in time has its
/// bond held by the market until the task resolves (the answer's gas the solver's and the rest
/// burned when it finalizes, back to the requester when it is convicted); unanswered it convicts
/// the task. Tests named
/// `test_<finding>_…` each check a rule that AUDIT.md's finding (or the review of the courts,
/// `test_review_<attack>_…`) broke.
contract AvailabilityTest is CourtFixture {
    address internal asker = address(0xA5);

    bytes internal row0 = hex"0000803f00000040"; // [1.0, 2.0]
    bytes internal row1 = hex"0000404000008040"; // [3.0, 4.0]
    bytes32[] internal rowLeaves;
    Tensor.Header internal header;
    bytes32 internal tensorHash;
    /// Checkpoint 1's tensors: a real 2×2 tensor first.
    bytes32[] internal tensors1;

    function setUp() public override {
        super.setUp();
        vm.deal(asker, 1000 ether);
        rowLeaves.push(Merkle.leafHash32(Tensor.rowRoot(row0)));
        rowLeaves.push(Merkle.leafHash32(Tensor.rowRoot(row1)));
        header = Tensor.Header(1, 2, 2, Merkle.root(rowLeaves));
        tensorHash = Tensor.hash(header);
        bytes32[] memory rest = _tensors(K);
        tensors1.push(tensorHash);
        for (uint256 m = 1; m < TENSORS; m++) {
            tensors1.push(rest[m]);
        }
        // Segments 0 and 1 end and start at this checkpoint; the tests use segments 2 and 3.
        checkpoints[1] = State.hash(tensors1);
        taskId = _task(checkpoints);
    }

    function _checkpoint(uint256 index) internal view returns (Availability.Where memory w) {
        w.source = Availability.Source.Checkpoint;
        w.index = index;
        w.stateHash = checkpoints[index];
        w.siblings = _proof(_leaves(checkpoints), index);
        w.layout = layout;
    }

    /// @dev Tensor 0 of checkpoint 1: the real 2×2 tensor.
    function _where() internal view returns (Availability.Where memory w) {
        w = _checkpoint(1);
        w.tensor = 0;
        w.tensorSiblings = _proof(_leaves(tensors1), 0);
    }

    function _askRow(uint256 row) internal returns (uint256 id) {
        Availability.Where memory w = _where();
        vm.prank(asker);
        id = availability.requestRow{value: BOND}(taskId, tensorHash, row, w);
    }

    function _answerRow(uint256 id, uint256 row) internal {
        bytes memory data = row == 0 ? row0 : row == 1 ? row1 : bytes("");
        bytes32[] memory siblings = row < 2 ? _proof(rowLeaves, row) : new bytes32[](0);
        vm.prank(solver);
        availability.answerRow(id, header, data, siblings);
    }

    function _open(uint256 id) internal view returns (bool) {
        return availability.request(id).open;
    }

    /// @dev The request closed with its bond held by the market (credited to nobody until the
    /// task resolves), the task unharmed.
    function _answered(uint256 id) internal view {
        vm.assertFalse(_open(id), "closed");
        vm.assertEq(market.balanceOf(solver), 0, "held, not yet the solver's");
        vm.assertEq(market.balanceOf(asker), 0, "nor the requester's");
        vm.assertEq(market.task(taskId).openCases, 0, "no case open");
        vm.assertEq(uint256(_status(taskId)), uint256(Status.Committed), "not convicted");
        _solvent();
    }

    /// @dev The request timed out: the task convicted, the asker in line for the timeout
    /// reward only (and paid it at settlement).
    function _convicted(uint256 id) internal {
        uint64 deadline = availability.request(id).deadline;
        if (block.timestamp <= deadline) {
            vm.expectRevert(abi.encodeWithSelector(Court.NotTimedOut.selector, id, deadline));
            availability.requestTimeout(id);
            vm.warp(deadline + 1);
        }
        availability.requestTimeout(id);
        vm.assertEq(uint256(_status(taskId)), uint256(Status.Slashed), "convicted");
        vm.assertEq(market.conviction(taskId).timeoutWinner, asker, "timeout winner");
        vm.assertEq(market.conviction(taskId).prover, address(0), "no prover");
        vm.expectRevert(abi.encodeWithSelector(Availability.RequestClosed.selector, id));
        availability.requestTimeout(id);
        _afterWindow();
        market.settle(taskId);
        vm.assertEq(market.balanceOf(asker), BOND + STAKE / 10, "bond and timeout reward");
        vm.assertEq(market.balanceOf(submitter), PAY + STAKE * 3 / 10, "escrow and share");
        _solvent();
    }

    // ------------------------------------------------------------------ Leaf

    /// @notice A leaf of `resultRoot` is answered with the state hash and its path.
    function test_aLeafRequestIsAnsweredWithItsPath() public {
        vm.prank(asker);
        vm.expectRevert(abi.encodeWithSelector(Availability.NoSuchLeaf.selector, 5, 5));
        availability.requestLeaf{value: BOND}(taskId, 5);
        vm.prank(asker);
        uint256 id = availability.requestLeaf{value: BOND}(taskId, 3);
        vm.assertEq(market.task(taskId).openCases, 1, "blocks finalization");
        bytes32[] memory siblings = _proof(_leaves(checkpoints), 3);
        bytes32 wrong = checkpoints[2];
        bytes32 right = checkpoints[3];
        vm.prank(solver);
        vm.expectPartialRevert(Merkle.RootMismatch.selector);
        availability.answerLeaf(id, wrong, siblings);
        // The leaf is logged with its path: a checker served no list names it from this.
        vm.expectEmit();
        emit Availability.LeafOpened(id, taskId, 3, right, siblings);
        vm.prank(solver);
        availability.answerLeaf(id, right, siblings);
        _answered(id);
        vm.expectRevert(abi.encodeWithSelector(Availability.RequestClosed.selector, id));
        availability.requestTimeout(id);
        _afterWindow();
        market.finalize(taskId);
        vm.assertEq(
            market.balanceOf(solver), PAY, "and paid (its answer's gas: priced at zero here)"
        );
    }

    /// @notice An unanswered leaf request convicts.
    function test_anUnansweredLeafRequestConvicts() public {
        vm.prank(asker);
        uint256 id = availability.requestLeaf{value: BOND}(taskId, 2);
        _convicted(id);
    }

    // ------------------------------------------------------------------ Steps

    /// @notice A segment's per-step states are answered by `Dispute.postSteps`; the request
    /// closes (its bond held for the task's end) once the deadline passes; nobody asks for steps
    /// already posted.
    function test_aStepsRequestIsAnsweredByPostSteps() public {
        vm.prank(asker);
        uint256 id = availability.requestSteps{value: BOND}(taskId, 2);
        // A segment's steps are due in the game's clock, not the move window.
        vm.warp(block.timestamp + CLOCK);
        _postSteps(2);
        vm.prank(asker);
        vm.expectRevert(Availability.AlreadyOpen.selector);
        availability.requestSteps{value: BOND}(taskId, 2);
        vm.expectPartialRevert(Court.NotTimedOut.selector);
        availability.requestTimeout(id);
        vm.warp(block.timestamp + 1);
        availability.requestTimeout(id);
        _answered(id);
        vm.prank(asker);
        vm.expectRevert(abi.encodeWithSelector(Availability.NoSuchLeaf.selector, 4, 4));
        availability.requestSteps{value: BOND}(taskId, 4);
    }

    /// @notice Steps posted after the request's deadline do not answer it: it convicts.
    function test_anUnansweredStepsRequestConvicts() public {
        vm.prank(asker);
        uint256 id = availability.requestSteps{value: BOND}(taskId, 3);
        vm.warp(block.timestamp + CLOCK + 1);
        _postSteps(3);
        _convicted(id);
    }

    // ------------------------------------------------------------------ State

    /// @notice A committed state is opened with as many tensor hashes as the layout says.
    function test_aStateRequestIsAnsweredWithItsTensorHashes() public {
        Availability.Where memory w = _checkpoint(1);
        vm.prank(asker);
        uint256 id = availability.requestState{value: BOND}(taskId, w);
        vm.assertEq(availability.request(id).count, TENSORS, "count from the layout");
        bytes32[] memory tensors = tensors1;
        bytes32[] memory wrong = _tensors(K);
        bytes32[] memory short = new bytes32[](TENSORS - 1);
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(Availability.WrongCount.selector, TENSORS, 3));
        availability.answerState(id, short);
        vm.prank(solver);
        vm.expectPartialRevert(Availability.WrongState.selector);
        availability.answerState(id, wrong);
        vm.prank(solver);
        availability.answerState(id, tensors);
        _answered(id);
        // The initial state, and a per-step state once posted, can be asked for too.
        w.source = Availability.Source.Init;
        w.stateHash = checkpoints[0];
        vm.prank(asker);
        id = availability.requestState{value: BOND}(taskId, w);
        bytes32[] memory init = _tensors(0);
        vm.prank(solver);
        availability.answerState(id, init);
        _postSteps(2);
        w.source = Availability.Source.StepState;
        w.segment = 2;
        w.index = 4;
        w.stateHash = _state(2 * K + 4);
        w.siblings = _proof(_leaves(_states(2)), 4);
        vm.prank(asker);
        id = availability.requestState{value: BOND}(taskId, w);
        bytes32[] memory step = _tensors(2 * K + 4);
        vm.prank(solver);
        availability.answerState(id, step);
        _answered(id);
    }

    /// @notice An unanswered state request convicts.
    function test_anUnansweredStateRequestConvicts() public {
        Availability.Where memory w = _checkpoint(3);
        vm.prank(asker);
        uint256 id = availability.requestState{value: BOND}(taskId, w);
        _convicted(id);
    }

    // ------------------------------------------------------------------ Row

    /// @notice A row is answered with the tensor's header, the row and its path.
    function test_aRowRequestIsAnsweredWithTheRow() public {
        uint256 id = _askRow(1);
        bytes32[] memory siblings = _proof(rowLeaves, 1);
        Tensor.Header memory h = header;
        bytes memory r0 = row0;
        vm.prank(solver);
        vm.expectPartialRevert(Merkle.RootMismatch.selector);
        availability.answerRow(id, h, r0, siblings);
        _answerRow(id, 1);
        _answered(id);
    }

    /// @notice A row of a trace slot, once the trace is posted, can be asked for and answered.
    function test_aTraceSlotsRowCanBeAskedFor() public {
        uint256 game = _challenge(challenger, 2);
        _postSteps(2);
        _pick(challenger, game, 3);
        bytes32[] memory slots = _slots(2, 3);
        slots[5] = tensorHash;
        _postTrace(2, 3, slots);
        Availability.Where memory w;
        w.source = Availability.Source.TraceSlot;
        w.segment = 2;
        w.step = 3;
        w.index = 5;
        w.siblings = _proof(_leaves(slots), 5);
        vm.prank(asker);
        uint256 id = availability.requestRow{value: BOND}(taskId, tensorHash, 0, w);
        _answerRow(id, 0);
        vm.assertFalse(_open(id), "answered");
        vm.assertEq(market.balanceOf(solver), 0, "the bond held until the task resolves");
        // Another step's trace is not posted.
        w.step = 4;
        vm.prank(asker);
        vm.expectRevert(abi.encodeWithSelector(Availability.NotPosted.selector, 2));
        availability.requestRow{value: BOND}(taskId, tensorHash, 0, w);
    }

    /// @notice An unanswered row request convicts.
    function test_anUnansweredRowRequestConvicts() public {
        _convicted(_askRow(0));
    }

    /// @notice Only what the task committed can be asked for, from a source that exists.
    function test_onlyCommittedThingsCanBeAskedFor() public {
        Availability.Where memory w = _where();
        bytes32 other = keccak256("not committed");
        vm.prank(asker);
        vm.expectPartialRevert(State.StateMismatch.selector);
        availability.requestRow{value: BOND}(taskId, other, 0, w);
        w.stateHash = other;
        vm.prank(asker);
        vm.expectPartialRevert(Merkle.RootMismatch.selector);
        availability.requestState{value: BOND}(taskId, w);
        w = _where();
        w.layout = abi.encode(uint32(2), new uint32[](2));
        vm.prank(asker);
        vm.expectPartialRevert(Court.LayoutMismatch.selector);
        availability.requestState{value: BOND}(taskId, w);
        w = _where();
        w.source = Availability.Source.None;
        vm.prank(asker);
        vm.expectRevert(Availability.BadSource.selector);
        availability.requestRow{value: BOND}(taskId, tensorHash, 0, w);
        w.source = Availability.Source.TraceSlot;
        vm.prank(asker);
        vm.expectRevert(Availability.BadSource.selector);
        availability.requestState{value: BOND}(taskId, w);
        w.source = Availability.Source.Init;
        vm.prank(asker);
        vm.expectPartialRevert(Availability.WrongState.selector);
        availability.requestState{value: BOND}(taskId, w);
        w.source = Availability.Source.StepState;
        w.segment = 3;
        vm.prank(asker);
        vm.expectRevert(abi.encodeWithSelector(Availability.NotPosted.selector, 3));
        availability.requestState{value: BOND}(taskId, w);
    }

    /// @notice Answers come in time, to the kind of request asked, checked against what the
    /// solver committed; anyone may send one (a verifier answers for the data its pass named),
    /// and only the solver's is paid its gas.
    function test_answersAreCheckedAndInTimeWhoeverSendsThem() public {
        vm.prank(asker);
        uint256 leaf = availability.requestLeaf{value: BOND}(taskId, 3);
        uint256 id = _askRow(0);
        bytes32[] memory siblings = _proof(rowLeaves, 0);
        Tensor.Header memory h = header;
        bytes memory r0 = row0;
        bytes memory r1 = row1;
        vm.prank(asker);
        vm.expectPartialRevert(Merkle.RootMismatch.selector);
        availability.answerRow(id, h, r1, siblings);
        uint256 other = _askRow(1);
        bytes32[] memory siblings1 = _proof(rowLeaves, 1);
        vm.prank(asker);
        availability.answerRow(other, h, r1, siblings1);
        vm.assertFalse(availability.request(other).open, "a stranger's answer closes it");
        vm.assertEq(market.answerGasOf(taskId), 0, "and marks no gas the solver's");
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(Availability.RequestClosed.selector, leaf));
        availability.answerRow(leaf, h, r0, siblings);
        vm.expectRevert(abi.encodeWithSelector(Availability.NoSuchRequest.selector, 9));
        availability.request(9);
        vm.warp(block.timestamp + MOVE + 1);
        vm.prank(solver);
        vm.expectPartialRevert(Court.MoveTooLate.selector);
        availability.answerRow(id, h, r0, siblings);
    }

    // ------------------------------------------------------------------ review E

    function _requestLeaf(address who, uint256 index) internal returns (uint256 id) {
        vm.prank(who);
        id = availability.requestLeaf{value: BOND}(taskId, index);
    }

    function _answerLeaf(uint256 id) internal {
        uint256 index = availability.request(id).index;
        bytes32[] memory siblings = _proof(_leaves(checkpoints), index);
        vm.prank(solver);
        availability.answerLeaf(id, checkpoints[index], siblings);
    }

    /// @notice Review E: an answered opening's bond went to the solver at once, so a cheater
    /// that serves nothing off chain could farm the bonds of the openings it forces everyone to
    /// make and answer on chain. The market now holds it until the task resolves: an honest
    /// solver's task finalizes and the solver gets every answer's gas then, the rest burned (a
    /// steps request answered by `postSteps` too; review 5, 2); a task convicted, its requesters reclaim theirs, and the
    /// convicted cheater never gets them (nor at settlement).
    function test_review_E_answeredOpeningBondsAreHeldUntilTheTaskResolves() public {
        uint256 liabilities = market.liabilities();
        _answerLeaf(_requestLeaf(asker, 3));
        vm.prank(asker);
        uint256 steps = availability.requestSteps{value: BOND}(taskId, 2);
        _postSteps(2);
        vm.warp(block.timestamp + CLOCK + 1);
        availability.requestTimeout(steps);
        _answered(steps);
        vm.assertEq(market.liabilities() - liabilities, 2 * BOND, "held by the market");
        vm.prank(asker);
        vm.expectRevert(abi.encodeWithSelector(Market.NotSettleable.selector, taskId));
        market.reclaim(taskId);
        _afterWindow();
        market.finalize(taskId);
        vm.assertEq(market.balanceOf(solver), PAY, "paid, the held bonds burned (review 5, 2)");
        vm.prank(asker);
        vm.expectRevert(abi.encodeWithSelector(Market.NotSettleable.selector, taskId));
        market.reclaim(taskId);
        // A cheat answers two openings, then leaves a third unanswered and is convicted.
        uint256 paid = market.balanceOf(solver);
        taskId = _task(checkpoints);
        _answerLeaf(_requestLeaf(asker, 1));
        _answerLeaf(_requestLeaf(second, 2));
        uint256 last = _requestLeaf(challenger, 4);
        vm.warp(block.timestamp + MOVE + 1);
        availability.requestTimeout(last);
        vm.assertEq(uint256(_status(taskId)), uint256(Status.Slashed), "convicted");
        vm.assertEq(market.balanceOf(challenger), BOND, "the unanswered one's bond back");
        vm.assertEq(market.heldFor(taskId, asker), BOND, "the asker's answered bond held");
        vm.assertEq(market.heldFor(taskId, challenger), 0, "nothing held for the unanswered one");
        vm.prank(solver);
        market.reclaim(taskId);
        vm.assertEq(market.balanceOf(solver), paid, "nothing held for the cheat");
        vm.prank(asker);
        market.reclaim(taskId);
        vm.prank(second);
        market.reclaim(taskId);
        vm.assertEq(market.balanceOf(asker), BOND, "the asker's bond back");
        vm.assertEq(market.balanceOf(second), BOND, "the other requester's too");
        vm.assertEq(market.heldFor(taskId, asker), 0, "reclaimed");
        vm.prank(asker);
        market.reclaim(taskId);
        vm.assertEq(market.balanceOf(asker), BOND, "once");
        _afterWindow();
        market.settle(taskId);
        vm.assertEq(market.balanceOf(solver), paid, "the cheat never gets them");
        vm.assertEq(market.balanceOf(challenger), BOND + STAKE / 10, "bond and timeout reward");
        _solvent();
    }

    // ------------------------------------------------------------------ review 5

    /// @notice Review 5, 1: an opening asked for in the window's last move window and answered
    /// at its last second left its requester no time to use it, so a cheater that answered every
    /// demand at the last second escaped the challenge the demand was for. An answer now keeps
    /// the window open a move window after it (for challenges, attestations and requests); only
    /// answers to openings asked for before the window first closed extend it, so it grows by
    /// two move windows at most, and sampling keeps the window as committed.
    function test_review5_aLateAnswerLeavesAMoveWindowToChallenge() public {
        uint64 end = committedAt + WINDOW;
        vm.warp(end);
        uint256 id = _requestLeaf(asker, 3);
        vm.warp(end + MOVE);
        _answerLeaf(id);
        vm.assertEq(market.task(taskId).deadline, end + 2 * MOVE, "a move window after the answer");
        // An opening asked for after the window first closed extends nothing.
        vm.warp(end + MOVE + 1);
        uint256 late = _requestLeaf(second, 1);
        vm.warp(end + 2 * MOVE);
        _answerLeaf(late);
        vm.assertEq(market.task(taskId).deadline, end + 2 * MOVE, "not extended again");
        vm.roll(block.number + 100);
        vm.expectRevert(abi.encodeWithSelector(Tasks.TooLate.selector, taskId, end - WINDOW / 2));
        market.sample(taskId);
        vm.expectRevert(abi.encodeWithSelector(Tasks.TooEarly.selector, taskId, end + 2 * MOVE));
        market.finalize(taskId);
        uint256 game = _challenge(asker, 2);
        vm.assertEq(dispute.game(game).challenger, asker, "challenged with what it opened");
        vm.warp(end + 2 * MOVE + 1);
        vm.prank(second);
        vm.expectRevert(abi.encodeWithSelector(Court.TooLate.selector, taskId, end + 2 * MOVE));
        dispute.challenge{value: BOND}(taskId, 3);
        _solvent();
    }

    /// @notice Review 5, 1, for a `Steps` request (found by the review of the fix): one asked
    /// for at the window's end is due a game's clock later; a solver that posts the steps in time
    /// but never closes the request left nothing to extend the window until `requestTimeout`
    /// closed it, and then a move window from the post, long past. The window now runs a move
    /// window from the close. And one post answers every `Steps` request on its segment, so its
    /// estimated gas is paid once, not once a request (review 5, 2).
    function test_review5_aStepsRequestClosedLateStillLeavesAMoveWindow() public {
        uint64 end = committedAt + WINDOW;
        vm.warp(end);
        vm.prank(asker);
        uint256 id = availability.requestSteps{value: BOND}(taskId, 2);
        vm.prank(second);
        uint256 again = availability.requestSteps{value: BOND}(taskId, 2);
        vm.warp(end + 1);
        _postSteps(2);
        vm.warp(end + CLOCK + 1);
        vm.fee(0);
        vm.txGasPrice(1);
        vm.prank(asker);
        availability.requestTimeout(id);
        availability.requestTimeout(again);
        vm.assertEq(
            market.task(taskId).deadline, end + CLOCK + 1 + MOVE, "a move window from the close"
        );
        uint256 paid = availability.STEPS_GAS() + availability.STEPS_GAS_PER_STATE() * (K + 1) + 4
            * market.FIRST_WRITE_GAS();
        vm.assertEq(market.answerGasOf(taskId), paid, "the post's gas paid once");
        vm.warp(end + CLOCK + 1 + MOVE);
        uint256 game = _challenge(asker, 2);
        vm.assertEq(dispute.game(game).challenger, asker, "challenged with what it opened");
        _solvent();
    }

    /// @notice Review 5, 2: an answered opening's bond was the solver's when its task finalized,
    /// so an honest solver earned a bond for every checker it made ask on chain for what it did
    /// not serve off chain. Now the answer's gas is the solver's (priced at most at the base fee
    /// plus `MAX_TIP`, so a solver that builds its own block cannot price it up to the bond) and
    /// the rest is burned: a flood of requests still costs its bonds, and withholding earns
    /// nothing.
    function test_review5_anAnsweredOpeningPaysTheSolverItsGasNotTheBond() public {
        vm.fee(10 gwei);
        vm.txGasPrice(11 gwei);
        _answerLeaf(_requestLeaf(asker, 3));
        // A solver that sets its own price high is paid at the base fee plus the tip.
        uint256 id = _requestLeaf(asker, 1);
        vm.txGasPrice(1000 gwei);
        _answerLeaf(id);
        _afterWindow();
        uint256 burned = BURN.balance;
        market.finalize(taskId);
        uint256 gas = market.balanceOf(solver) - PAY;
        // Sent from the test, not as transactions of their own, the answers are paid their
        // execution and bookkeeping (GasTest checks a transaction's whole cost is paid).
        vm.assertGt(gas, 2 * 50_000 * 11 gwei, "each answer's gas");
        vm.assertLt(gas, 2 * 400_000 * 12 gwei, "not the bonds, nor a price the solver set");
        vm.assertEq(BURN.balance - burned, 2 * BOND - gas, "the rest burned");
        vm.assertEq(market.balanceOf(asker), 0, "the requester's bonds spent");
        _solvent();
    }

    // ------------------------------------------------------------------ review 5, 5

    /// @dev Asks for leaf `index` with the bond a request takes now.
    function _requestLeafPriced(uint256 index) internal returns (uint256 id) {
        uint256 bond = availability.bondFor(taskId);
        vm.prank(asker);
        id = availability.requestLeaf{value: bond}(taskId, index);
    }

    /// @notice Review 5, 5: bonds paid for an answer's gas, not for room in blocks, so a flood of
    /// requests at a flat bond could ask an honest solver for more answers than blocks hold
    /// before their deadlines. Past `freeRequests` open on a task (room for two games' per-step
    /// states besides 32 others), a new request's bond doubles every `BOND_DOUBLING` more;
    /// answered, they close and the price falls back. A game's bond stays the task's.
    function test_review5_aFloodOfRequestsPaysDoublingBonds() public {
        uint256 free = availability.freeRequests(taskId);
        vm.assertEq(free, 32 + 2 * (K + 1), "32 and two games' per-step states");
        uint256 step = availability.BOND_DOUBLING();
        uint256[] memory ids = new uint256[](free + 2 * step);
        for (uint256 i; i < free; i++) {
            vm.assertEq(availability.bondFor(taskId), BOND, "the task's bond while few are open");
            ids[i] = _requestLeafPriced(i % (STEPS / K + 1));
        }
        vm.assertEq(availability.bondFor(taskId), 2 * BOND, "doubled past the free ones");
        vm.prank(asker);
        vm.expectRevert(abi.encodeWithSelector(Court.WrongBond.selector, 2 * BOND, BOND));
        availability.requestLeaf{value: BOND}(taskId, 0);
        for (uint256 i = free; i < free + 2 * step; i++) {
            uint256 want = i < free + step ? 2 * BOND : 4 * BOND;
            vm.assertEq(availability.bondFor(taskId), want, "doubles every BOND_DOUBLING open");
            ids[i] = _requestLeafPriced(i % (STEPS / K + 1));
            vm.assertEq(availability.request(ids[i]).bond, want, "the request holds its bond");
        }
        vm.assertEq(availability.openRequests(taskId), free + 2 * step, "all open");
        vm.assertEq(availability.bondFor(taskId), 8 * BOND, "three doublings");
        // A game's bond is the task's, whatever is open.
        vm.prank(asker);
        vm.expectRevert(abi.encodeWithSelector(Court.WrongBond.selector, BOND, 8 * BOND));
        dispute.challenge{value: 8 * BOND}(taskId, 2);
        _challenge(asker, 2);
        // Answered, they close, and the price falls back.
        for (uint256 i; i < ids.length; i++) {
            _answerLeaf(ids[i]);
        }
        vm.assertEq(availability.openRequests(taskId), 0, "all answered");
        vm.assertEq(availability.bondFor(taskId), BOND, "the task's bond again");
        vm.assertEq(uint256(_status(taskId)), uint256(Status.Committed), "not convicted");
        _solvent();
    }

    /// @notice Review 5, 5: what a flood holds open past the free requests grows with the log of
    /// what it spends (`free + 8m` open cost about `free + 16 · 2^m` bonds), and a request is
    /// refused before its bond could overflow; the honest solver answers every one of them and
    /// is not convicted.
    function test_review5_whatAFloodHoldsOpenGrowsWithTheLogOfItsBudget() public {
        uint256 free = availability.freeRequests(taskId);
        vm.assertEq(free, 54, "the fixture's k = 10");
        uint256 budget = 1000 * BOND;
        uint256 spent;
        uint256 n;
        uint256[] memory ids = new uint256[](200);
        while (spent + availability.bondFor(taskId) <= budget) {
            spent += availability.bondFor(taskId);
            ids[n] = _requestLeafPriced(n % (STEPS / K + 1));
            n++;
        }
        // 54 at 1, 8 each at 2, 4, 8, 16 and 32 (550 bonds), then 7 at 64.
        vm.assertEq(n, 101, "a thousand bonds hold 101 open");
        vm.assertEq(spent, 550 * BOND + 7 * 64 * BOND, "what they cost");
        for (uint256 i; i < n; i++) {
            _answerLeaf(ids[i]);
        }
        vm.assertEq(uint256(_status(taskId)), uint256(Status.Committed), "not convicted");
        // Past `MAX_DOUBLINGS`, refused.
        vm.deal(asker, type(uint256).max / 2);
        uint256 open;
        while (true) {
            try availability.bondFor(taskId) returns (uint256 bond) {
                vm.prank(asker);
                availability.requestLeaf{value: bond}(taskId, 0);
                open++;
            } catch (bytes memory e) {
                vm.assertEq(
                    e,
                    abi.encodeWithSelector(Availability.Flooded.selector, taskId, open),
                    "refused, not overflowed"
                );
                break;
            }
        }
        vm.assertEq(open, free + 8 * 64, "refused once a bond would be over 2^64 bonds");
    }

    /// @notice Review of review 5, 5: a request sent with more than the price (read before
    /// another request moved it) is taken, and holds what it sent; with less it is refused.
    function test_review5_aRequestRacedPastThePriceIsTakenWithWhatItSent() public {
        vm.prank(asker);
        vm.expectRevert(abi.encodeWithSelector(Court.WrongBond.selector, BOND, BOND - 1));
        availability.requestLeaf{value: BOND - 1}(taskId, 1);
        vm.prank(asker);
        uint256 id = availability.requestLeaf{value: 2 * BOND}(taskId, 1);
        vm.assertEq(availability.request(id).bond, 2 * BOND, "holds what it sent");
        _answerLeaf(id);
        _afterWindow();
        uint256 burned = BURN.balance;
        market.finalize(taskId);
        vm.assertEq(BURN.balance - burned, 2 * BOND, "held as sent (burned: its gas is unpriced)");
        _solvent();
    }

    /// @notice Review of review 5, 5: a cheater that posts a segment's steps but leaves its own
    /// `Steps` requests open would keep a flood's price up for a game's clock. Anyone may close
    /// a posted one; only the solver's own close is paid its gas, and the post's gas is paid
    /// once.
    function test_review5_anyoneClosesAPostedStepsRequest() public {
        vm.prank(asker);
        uint256 first = availability.requestSteps{value: BOND}(taskId, 2);
        vm.prank(asker);
        uint256 second = availability.requestSteps{value: BOND}(taskId, 2);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Availability.NotPosted.selector, 2));
        availability.answerSteps(first);
        _postSteps(2);
        vm.fee(1 gwei);
        vm.txGasPrice(1 gwei);
        vm.prank(challenger);
        availability.answerSteps(first);
        uint256 posted = market.answerGasOf(taskId);
        uint256 k1 = K + 1;
        vm.assertEq(
            posted,
            (availability.STEPS_GAS() + availability.STEPS_GAS_PER_STATE() * k1 + 4 * 17_100)
                * 1 gwei,
            "the post's estimate and the bond's first writes, not the closer's gas"
        );
        vm.prank(challenger);
        availability.answerSteps(second);
        vm.assertEq(market.answerGasOf(taskId), posted, "the post paid once; the closer nothing");
        vm.assertEq(availability.openRequests(taskId), 0, "both closed");
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Availability.RequestClosed.selector, second));
        availability.answerSteps(second);
        vm.txGasPrice(0);
        vm.fee(0);
    }

    // ------------------------------------------------------------------ AUDIT C1

    /// @notice C1: a row past the tensor's end (one past, or far past) is answered by the
    /// header alone; the honest solver is paid its gas from the bond (at finalization) and
    /// nothing is slashed.
    function test_C1_aRowPastTheEndIsAnsweredByTheHeader() public {
        uint256 onePast = _askRow(2);
        uint256 farPast = _askRow(7);
        // A header that is not the tensor's answers nothing.
        Tensor.Header memory forged = header;
        forged.rows = 8;
        vm.prank(solver);
        vm.expectPartialRevert(Tensor.HashMismatch.selector);
        availability.answerRow(farPast, forged, "", new bytes32[](0));
        _answerRow(onePast, 2);
        _answerRow(farPast, 7);
        _answered(farPast);
        vm.assertFalse(_open(onePast), "closed too");
        _afterWindow();
        market.finalize(taskId);
        vm.assertEq(market.balanceOf(solver), PAY, "paid; the answers' gas is priced at zero here");
    }

    /// @notice Review 2, finding 1: a row request made by a contract (a Safe, a batch) names its
    /// tensor as well as one made by an account: the market keeps where the request proved it
    /// committed, so the solver need not decode anyone's calldata to find it.
    function test_review2_aRowRequestFromAContractIsLocated() public {
        RowAsker relay = new RowAsker();
        vm.deal(address(relay), BOND);
        Availability.Where memory w = _where();
        uint256 id = relay.ask{value: BOND}(availability, taskId, tensorHash, 1, w);
        Availability.Located memory at = availability.located(id);
        vm.assertEq(uint256(at.source), uint256(Availability.Source.Checkpoint), "source");
        vm.assertEq(at.index, 1, "checkpoint 1");
        vm.assertEq(at.stateHash, checkpoints[1], "its state");
        vm.assertEq(at.tensor, 0, "tensor 0");
        _answerRow(id, 1);
        _answered(id);
    }

    /// @notice Review 2, finding 2: a segment's steps are due in the game's clock, not the move
    /// window: demanding every segment's steps at once cannot shorten what a game would allow.
    function test_review2_stepsAreDueInTheGamesClock() public {
        vm.prank(asker);
        uint256 id = availability.requestSteps{value: BOND}(taskId, 2);
        vm.assertEq(
            availability.request(id).deadline, uint64(block.timestamp) + CLOCK, "the game's clock"
        );
        vm.warp(block.timestamp + MOVE + 1);
        vm.expectPartialRevert(Court.NotTimedOut.selector);
        availability.requestTimeout(id);
    }

    /// @notice C1: whatever row is asked for, the honest solver can answer it.
    function testFuzz_C1_anyRowRequestCanBeAnswered(uint256 row) public {
        uint256 id = _askRow(row);
        _answerRow(id, row);
        _answered(id);
    }

    /// @notice C1: a request nobody answers convicts, past the end or not.
    function test_C1_aRowRequestNobodyAnswersConvicts() public {
        _convicted(_askRow(7));
    }

    // ------------------------------------------------------------------ AUDIT M5

    /// @notice M5: after the challenge window, requests are taken only about segments with an
    /// open game; the game's end closes that door too.
    function test_M5_afterTheWindowOnlySegmentsUnderDispute() public {
        vm.warp(committedAt + WINDOW - 1);
        uint256 game = _challenge(challenger, 2);
        _afterWindow();
        vm.prank(asker);
        vm.expectPartialRevert(Court.TooLate.selector);
        availability.requestLeaf{value: BOND}(taskId, 1);
        Availability.Where memory w = _checkpoint(2);
        vm.prank(asker);
        vm.expectPartialRevert(Court.TooLate.selector);
        availability.requestState{value: BOND}(taskId, w);
        vm.prank(asker);
        vm.expectPartialRevert(Court.TooLate.selector);
        availability.requestSteps{value: BOND}(taskId, 3);
        // The disputed segment's steps and states can still be forced open.
        vm.prank(asker);
        uint256 steps = availability.requestSteps{value: BOND}(taskId, 2);
        _postSteps(2);
        w.source = Availability.Source.StepState;
        w.segment = 2;
        w.index = 4;
        w.stateHash = _state(2 * K + 4);
        w.siblings = _proof(_leaves(_states(2)), 4);
        vm.prank(asker);
        uint256 state = availability.requestState{value: BOND}(taskId, w);
        bytes32[] memory tensors = _tensors(2 * K + 4);
        vm.prank(solver);
        availability.answerState(state, tensors);
        // Once the game is over, so are requests about its segment.
        vm.warp(block.timestamp + CLOCK + 1);
        dispute.timeout(game);
        availability.requestTimeout(steps);
        vm.prank(asker);
        vm.expectPartialRevert(Court.TooLate.selector);
        availability.requestState{value: BOND}(taskId, w);
        market.finalize(taskId);
        vm.assertEq(market.balanceOf(solver), BOND + PAY, "the game's bond and the payment");
        _solvent();
    }

    /// @notice M5: a request's bond is the task's, and a task's bond is at least the market's
    /// `minBond` (it covers the solver's gas to answer).
    function test_M5_aRequestCostsAtLeastTheMinimumBond() public {
        vm.prank(asker);
        vm.expectRevert(abi.encodeWithSelector(Court.WrongBond.selector, BOND, BOND - 1));
        availability.requestLeaf{value: BOND - 1}(taskId, 1);
        Commitments memory c = _commitments();
        Terms memory t = _terms();
        t.challengeBond = MIN_BOND - 1;
        vm.prank(submitter);
        vm.expectRevert(
            abi.encodeWithSelector(Tasks.BadTerms.selector, Tasks.TermRule.ChallengeBond)
        );
        market.submitTask{value: PAY}(c, t);
    }

    // ------------------------------------------------------------------ Data

    /// @dev Checkpoint 2 of a new task as a state of real tensors (a 2×2, a 3×5, a 1×9 and a
    /// 4×8), so it can be opened whole; returns the task, the tensors' hashes, headers and
    /// bytes.
    function _realCheckpoint()
        internal
        returns (
            uint256 id,
            bytes32[] memory hashes,
            Tensor.Header[] memory headers,
            bytes[] memory values
        )
    {
        uint8[2][4] memory shapes = [[2, 2], [3, 5], [1, 9], [4, 8]];
        hashes = new bytes32[](TENSORS);
        headers = new Tensor.Header[](TENSORS);
        values = new bytes[](TENSORS);
        for (uint256 m; m < TENSORS; ++m) {
            (headers[m], values[m]) = _realTensor(shapes[m][0], shapes[m][1], m);
            hashes[m] = Tensor.hash(headers[m]);
        }
        checkpoints[2] = State.hash(hashes);
        id = _task(checkpoints);
    }

    function _askData(uint256 id, uint32 from, uint32 to) internal returns (uint256) {
        Availability.Where memory w = _checkpoint(2);
        vm.prank(asker);
        return availability.requestData{value: BOND}(id, w, from, to);
    }

    function _slice(Tensor.Header[] memory h, uint256 from, uint256 to)
        internal
        pure
        returns (Tensor.Header[] memory s)
    {
        s = new Tensor.Header[](to - from);
        for (uint256 i = from; i < to; ++i) {
            s[i - from] = h[i];
        }
    }

    /// @notice AUDIT C2 (property 2): a state nobody serves off chain is opened on chain whole,
    /// every value of every tensor checked against the committed state hash, so a challenger
    /// that was given nothing can re-execute from it; a wrong byte, a short answer, another
    /// state's hashes or the wrong number of headers are refused.
    function test_C2_aStateIsOpenedWholeOnChain() public {
        (uint256 task, bytes32[] memory hashes, Tensor.Header[] memory headers, bytes[] memory v) =
            _realCheckpoint();
        taskId = task;
        uint256 id = _askData(task, 0, TENSORS);
        vm.assertEq(uint256(availability.request(id).kind), uint256(Availability.Kind.Data), "kind");
        bytes memory all = bytes.concat(v[0], v[1], v[2], v[3]);
        bytes memory wrong = bytes.concat(v[0], v[1], v[2], v[3]);
        wrong[20] = bytes1(uint8(wrong[20]) ^ 1);
        vm.startPrank(solver);
        vm.expectPartialRevert(Tensor.HashMismatch.selector);
        availability.answerData(id, hashes, headers, wrong);
        vm.expectRevert(abi.encodeWithSelector(Availability.DataLength.selector, all.length, 4));
        availability.answerData(id, hashes, headers, hex"00000000");
        bytes32[] memory other = _tensors(K);
        vm.expectPartialRevert(Availability.WrongState.selector);
        availability.answerData(id, other, headers, all);
        vm.expectRevert(abi.encodeWithSelector(Availability.WrongCount.selector, TENSORS, 3));
        availability.answerData(id, hashes, _slice(headers, 0, 3), all);
        vm.expectEmit();
        emit Availability.DataOpened(id, checkpoints[2], 0, headers, all);
        availability.answerData(id, hashes, headers, all);
        vm.stopPrank();
        _answered(id);
        // A range: tensors 1 and 2 only.
        id = _askData(task, 1, 3);
        bytes memory some = bytes.concat(v[1], v[2]);
        vm.prank(solver);
        availability.answerData(id, hashes, _slice(headers, 1, 3), some);
        _answered(id);
    }

    /// @notice A range must be a non-empty part of the list.
    function test_aDataRangeIsPartOfTheList() public {
        (uint256 task,,,) = _realCheckpoint();
        Availability.Where memory w = _checkpoint(2);
        vm.startPrank(asker);
        vm.expectRevert(abi.encodeWithSelector(Availability.BadRange.selector, 2, 2, TENSORS));
        availability.requestData{value: BOND}(task, w, 2, 2);
        vm.expectRevert(
            abi.encodeWithSelector(Availability.BadRange.selector, 0, TENSORS + 1, TENSORS)
        );
        availability.requestData{value: BOND}(task, w, 0, TENSORS + 1);
        vm.stopPrank();
    }

    /// @notice AUDIT C1 for whole openings: an honest solver can answer any range, however large
    /// its tensors: over `MAX_DATA_BYTES`, the headers answer (and show the requester to ask
    /// for narrower ranges or rows); values sent with them are refused.
    function test_C1_aRangeTooLargeToOpenIsAnsweredByItsHeaders() public {
        bytes32[] memory hashes = _tensors(K);
        Tensor.Header[] memory headers = new Tensor.Header[](TENSORS);
        for (uint256 m; m < TENSORS; ++m) {
            headers[m] = _header(K, m);
        }
        // Tensor 1 is 256 × 256 values (256 KiB).
        headers[1] = Tensor.Header(1, 256, 256, keccak256("large"));
        hashes[1] = Tensor.hash(headers[1]);
        checkpoints[2] = State.hash(hashes);
        taskId = _task(checkpoints);
        uint256 id = _askData(taskId, 1, 2);
        vm.startPrank(solver);
        vm.expectRevert(abi.encodeWithSelector(Availability.DataLength.selector, 0, 4));
        availability.answerData(id, hashes, _slice(headers, 1, 2), hex"00000000");
        availability.answerData(id, hashes, _slice(headers, 1, 2), "");
        vm.stopPrank();
        _answered(id);
        // More rows than `MAX_DATA_ROWS` (a column of 1 025 values, 4 KiB): the header answers.
        headers[2] = Tensor.Header(1, 1025, 1, keccak256("a long column"));
        hashes[2] = Tensor.hash(headers[2]);
        checkpoints[2] = State.hash(hashes);
        taskId = _task(checkpoints);
        id = _askData(taskId, 2, 3);
        vm.prank(solver);
        availability.answerData(id, hashes, _slice(headers, 2, 3), "");
        _answered(id);
    }

    /// @notice The slots of a posted trace can be opened whole, checked against its root.
    function test_C2_aTraceIsOpenedWholeOnChain() public {
        uint256 game = _challenge(challenger, 2);
        _postSteps(2);
        _pick(challenger, game, 3);
        bytes32[] memory slots = _slots(2, 3);
        (Tensor.Header memory h, bytes memory v) = _realTensor(3, 7, 99);
        slots[5] = Tensor.hash(h);
        _postTrace(2, 3, slots);
        Availability.Where memory w;
        w.source = Availability.Source.TraceSlot;
        w.segment = 2;
        w.step = 3;
        vm.prank(asker);
        uint256 id = availability.requestData{value: BOND}(taskId, w, 5, 6);
        vm.assertEq(availability.request(id).subject, dispute.traceRoot(taskId, 2, 3), "subject");
        Tensor.Header[] memory headers = new Tensor.Header[](1);
        headers[0] = h;
        vm.prank(solver);
        availability.answerData(id, slots, headers, v);
        vm.assertFalse(_open(id), "answered");
        // Another step's trace is not posted.
        w.step = 4;
        vm.prank(asker);
        vm.expectRevert(abi.encodeWithSelector(Availability.NotPosted.selector, 2));
        availability.requestData{value: BOND}(taskId, w, 0, 1);
    }

    /// @notice An unanswered whole opening convicts (AUDIT C2: a cheater that answers the game
    /// but serves nothing cannot stall a challenger that asks on chain).
    function test_C2_anUnansweredDataRequestConvicts() public {
        (uint256 task,,,) = _realCheckpoint();
        taskId = task;
        _convicted(_askData(task, 0, TENSORS));
    }
}

/// @notice A contract that asks for a row on chain (as a Safe or a batch would).
contract RowAsker {
    function ask(
        Availability availability,
        uint256 task,
        bytes32 tensorHash,
        uint256 row,
        Availability.Where calldata w
    ) external payable returns (uint256) {
        return availability.requestRow{value: msg.value}(task, tensorHash, row, w);
    }
}
