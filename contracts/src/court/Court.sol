// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {IMarket, Status, Task} from "../market/Types.sol";

/// @title Court
/// @notice What the two courts share: the market they report to (which holds their bonds: a
/// court holds no wei), the move window, a task's context and its committed layout.
abstract contract Court {
    /// @notice The market whose tasks this court judges.
    IMarket public immutable market;
    /// @notice Seconds a party has to answer a request, and the least time any move is given.
    uint64 public immutable moveWindow;

    error WrongStatus(uint256 task, Status status);
    error NotTheSolver(uint256 task, address solver);
    error MoveTooLate(uint256 id, uint64 deadline);
    error NotTimedOut(uint256 id, uint64 deadline);
    error TooLate(uint256 task, uint64 deadline);
    error LayoutMismatch(bytes32 expected, bytes32 got);
    /// @notice The value sent is not the bond the court asks.
    error WrongBond(uint256 expected, uint256 got);

    constructor(IMarket market_, uint64 moveWindow_) {
        market = market_;
        moveWindow = moveWindow_;
    }

    /// @dev A task whose result is committed and whose stake is not yet split: cases on it are
    /// live (a convicted task's cases play on until they end).
    function _live(uint256 taskId) internal view returns (Task memory k) {
        k = market.task(taskId);
        if (k.status != Status.Committed && k.status != Status.Slashed) {
            revert WrongStatus(taskId, k.status);
        }
    }

    /// @dev The state's tensor count and the next-state slot of tensor `index`, from the layout
    /// the task committed to (`abi.encode(uint32 stateTensors, uint32[] nextState)`).
    function _layout(Task memory k, bytes calldata layout, uint256 index)
        internal
        pure
        returns (uint256 tensorCount, uint256 nextSlot)
    {
        bytes32 got = sha256(layout);
        if (got != k.commitments.layoutHash) revert LayoutMismatch(k.commitments.layoutHash, got);
        (uint32 stateTensors, uint32[] memory nextState) = abi.decode(layout, (uint32, uint32[]));
        tensorCount = stateTensors;
        nextSlot = index < nextState.length ? nextState[index] : 0;
    }

    function _segments(Task memory k) internal pure returns (uint64) {
        return k.commitments.steps / k.commitments.interval;
    }
}
