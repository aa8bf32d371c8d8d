// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Merkle} from "../commit/Merkle.sol";
import {State} from "../commit/State.sol";
import {Tensor} from "../commit/Tensor.sol";
import {Games} from "./Games.sol";

/// @title Availability
/// @notice Data availability (DESIGN §6): anyone who cannot get a row of a committed tensor off
/// chain asks for it on chain, with the task's challenge bond; the solver must post the row with
/// its proof before the move window closes, or lose the task as if proven wrong. A committed
/// tensor is one of a checkpoint's state (a leaf of `resultRoot`), one of a per-step state of a
/// game (a leaf of its steps root), or a slot of a game's trace (a leaf of its trace root). An
/// answered request's bond goes to the solver, for the gas of answering.
abstract contract Availability is Games {
    /// @notice Where the requested tensor is committed.
    enum Source {
        None,
        Checkpoint,
        StepState,
        TraceSlot
    }

    /// @notice The request's proof that the tensor is committed: for states, the state hash
    /// (leaf `index` of `resultRoot`, or of game `game`'s steps root) and the tensor's place in
    /// it (`layout` gives the tensor count, as in a link proof); for a trace slot, the slot
    /// (`index`) of game `game`'s trace root.
    struct Where {
        Source source;
        uint256 game;
        uint256 index;
        bytes32 stateHash;
        bytes32[] stateSiblings;
        bytes layout;
        uint256 tensor;
        bytes32[] tensorSiblings;
    }

    struct Request {
        uint256 task;
        address requester;
        uint256 bond;
        bytes32 tensorHash;
        uint256 row;
        uint64 deadline;
        bool open;
    }

    mapping(uint256 => Request) internal _requests;
    uint256 public requestCount;

    event RowRequested(
        uint256 indexed request, uint256 indexed task, bytes32 tensorHash, uint256 row
    );
    event RowServed(uint256 indexed request, bytes32 tensorHash, uint256 row, bytes data);
    event RequestTimedOut(uint256 indexed request);

    error NoSuchRequest(uint256 id);
    error RequestClosed(uint256 id);
    error BadSource();
    error WrongGame(uint256 game, uint256 task);

    /// @notice Asks the solver of a committed task for row `row` of a committed tensor.
    function requestRow(uint256 taskId, bytes32 tensorHash, uint256 row, Where calldata w)
        external
        payable
        nonReentrant
        returns (uint256 id)
    {
        Task storage k = _task(taskId);
        _expect(taskId, k, Status.Committed);
        if (block.timestamp > k.deadline && k.openGames == 0) revert TooLate(taskId, k.deadline);
        if (msg.value != k.terms.challengeBond) revert WrongBond(k.terms.challengeBond, msg.value);
        _committed(taskId, k, tensorHash, w);
        id = ++requestCount;
        _requests[id] = Request({
            task: taskId,
            requester: msg.sender,
            bond: msg.value,
            tensorHash: tensorHash,
            row: row,
            deadline: uint64(block.timestamp) + moveWindow,
            open: true
        });
        k.openGames++;
        _totalBonds += msg.value;
        emit RowRequested(id, taskId, tensorHash, row);
    }

    /// @notice The solver's answer: the tensor's header and the row with its path.
    function answerRow(
        uint256 id,
        Tensor.Header calldata header,
        bytes calldata data,
        bytes32[] calldata siblings
    ) external nonReentrant {
        Request storage r = _open(id);
        Task storage k = _tasks[r.task];
        if (msg.sender != k.solver) revert NotTheSolver(r.task, k.solver);
        if (block.timestamp > r.deadline) revert MoveTooLate(id, r.deadline);
        prover.checkRow(header, r.tensorHash, r.row, data, siblings);
        r.open = false;
        k.openGames--;
        _totalBonds -= r.bond;
        _credit(k.solver, r.bond);
        emit RowServed(id, r.tensorHash, r.row, data);
    }

    /// @notice An unanswered request after its deadline: the solver loses the task, as if proven
    /// wrong; the requester is the challenger. A request of a task already settled otherwise
    /// returns its bond.
    function requestTimeout(uint256 id) external nonReentrant {
        Request storage r = _open(id);
        Task storage k = _tasks[r.task];
        r.open = false;
        emit RequestTimedOut(id);
        if (k.status != Status.Committed) {
            k.openGames--;
            _totalBonds -= r.bond;
            _credit(r.requester, r.bond);
            return;
        }
        if (block.timestamp <= r.deadline) revert NotTimedOut(id, r.deadline);
        _slash(r.task, k, r.requester, r.bond, type(uint64).max);
    }

    function _open(uint256 id) internal view returns (Request storage r) {
        r = _requests[id];
        if (r.task == 0) revert NoSuchRequest(id);
        if (!r.open) revert RequestClosed(id);
    }

    /// @dev Reverts unless `tensorHash` is committed where `w` says.
    function _committed(uint256 taskId, Task storage k, bytes32 tensorHash, Where calldata w)
        internal
        view
    {
        if (w.source == Source.TraceSlot) {
            Game storage g = _gameOf(taskId, w.game);
            Merkle.check(
                g.traceRoot,
                k.commitments.slots,
                w.index,
                Merkle.leafHash32(tensorHash),
                w.stateSiblings
            );
            return;
        }
        if (w.source == Source.Checkpoint) {
            Merkle.check(
                k.resultRoot,
                k.commitments.steps / k.commitments.interval + 1,
                w.index,
                Merkle.leafHash32(w.stateHash),
                w.stateSiblings
            );
        } else if (w.source == Source.StepState) {
            Game storage g = _gameOf(taskId, w.game);
            Merkle.check(
                g.stepsRoot,
                k.commitments.interval + 1,
                w.index,
                Merkle.leafHash32(w.stateHash),
                w.stateSiblings
            );
        } else {
            revert BadSource();
        }
        (uint256 tensorCount,) = _layout(k, w.layout, 0);
        State.checkTensor(w.stateHash, tensorCount, w.tensor, tensorHash, w.tensorSiblings);
    }

    function _gameOf(uint256 taskId, uint256 id) internal view returns (Game storage g) {
        g = _game(id);
        if (g.task != taskId) revert WrongGame(id, taskId);
    }
}
