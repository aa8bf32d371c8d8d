// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Attestations} from "./Attestations.sol";
import {Tasks} from "./Tasks.sol";
import {IMarket, NO_SEGMENT, Role, Status, Task, Win} from "./Types.sol";

/// @title Market
/// @notice The PoAI market: stakes (`Stakes`), tasks with their escrow and deadlines (`Tasks`),
/// sampling and attestations (`Attestations`), and the money of every case that the two courts
/// (`Dispute`, the game; `Availability`, openings on demand) open against a solver. It is the
/// only contract that holds wei, so solvency is one equation (`liabilities`).
///
/// A case won against the solver *convicts* the task: its stake is seized into the task's pot
/// and the escrow goes back to the submitter. Cases still open play on, and new challenges are
/// taken until the challenge window closes; then `settle` splits the pot (DESIGN §6 (3)):
/// - the bounty (`BOUNTY_BPS`) to the earliest-opened game won (by a proof, the solver's
///   silence, or an opening the challenger demanded for it); so neither a later self-challenge
///   nor a self-request can take it from an honest challenger that was there first (AUDIT H1);
/// - with no such win, a bounded reward (`TIMEOUT_BPS`) to the earliest unanswered opening;
/// - the submitter's share (`SUBMITTER_BPS`); the rest is burned, so convicting oneself never
///   pays.
contract Market is IMarket, Attestations {
    uint256 public constant BOUNTY_BPS = 5000;
    uint256 public constant TIMEOUT_BPS = 1000;
    uint256 public constant SUBMITTER_BPS = 3000;
    /// @notice What writing a storage slot first costs more than rewriting it (20 000 against
    /// 2 900): added to an answer's gas for each of the bond's slots it writes first.
    uint256 public constant FIRST_WRITE_GAS = 17_100;

    /// @notice A convicted task's pot and who is in line for it.
    struct Conviction {
        uint256 pot;
        /// The earliest-opened game won so far (its order) and its challenger.
        uint64 proofRank;
        address prover;
        /// The earliest unanswered opening about no game of its requester's.
        uint64 timeoutOrder;
        address timeoutWinner;
        /// When the first case convicted the task.
        uint64 at;
        bool settled;
    }

    /// @notice The courts, wired once by the deployer.
    address public dispute;
    address public availability;
    address private _wirer;

    /// @notice Cases opened so far, across both courts (a case's order ranks it).
    uint64 public caseCount;
    mapping(uint256 => Conviction) internal _convictions;

    event Wired(address dispute, address availability);
    event CaseOpened(uint256 indexed task, uint64 order, address indexed challenger);
    event Convicted(uint256 indexed task, address indexed challenger, Win how, uint64 segment);
    event Settled(
        uint256 indexed task,
        address indexed winner,
        uint256 reward,
        uint256 submitterShare,
        uint256 burned
    );

    error NotACourt(address caller);
    error AlreadyWired();
    error NotSettleable(uint256 task);

    constructor(uint64 unbondingDelay_, uint256 minBond_, uint256 minVerifierStake_)
        Tasks(unbondingDelay_, minBond_)
        Attestations(minVerifierStake_)
    {
        _wirer = msg.sender;
    }

    /// @notice Names the two courts; once, by the deployer.
    function wire(address dispute_, address availability_) external {
        if (msg.sender != _wirer || dispute != address(0)) revert AlreadyWired();
        dispute = dispute_;
        availability = availability_;
        delete _wirer;
        emit Wired(dispute_, availability_);
    }

    modifier onlyCourt() {
        if (msg.sender != dispute && msg.sender != availability) revert NotACourt(msg.sender);
        _;
    }

    function task(uint256 id) public view override(IMarket, Tasks) returns (Task memory) {
        return Tasks.task(id);
    }

    function conviction(uint256 id) external view returns (Conviction memory) {
        return _convictions[id];
    }

    /// @inheritdoc IMarket
    function convictedAt(uint256 id) external view returns (uint64) {
        return _convictions[id].at;
    }

    /// @inheritdoc IMarket
    function namedBy(uint256 id, address verifier, uint64 lo, uint64 hi)
        external
        view
        returns (bool)
    {
        Sample[] storage all = _samples[id];
        for (uint256 i = 0; i < all.length; i++) {
            Sample storage s = all[i];
            if (s.verifier == verifier && s.checked != 0 && s.segment >= lo && s.segment <= hi) {
                return true;
            }
        }
        return false;
    }

    /// @inheritdoc IMarket
    function openCase(uint256 id, address challenger, uint64 segment)
        external
        payable
        onlyCourt
        nonReentrant
        returns (uint64 order)
    {
        Task storage k = _task(id);
        if (k.status != Status.Committed && k.status != Status.Slashed) {
            revert WrongStatus(id, k.status);
        }
        if (_convictions[id].settled) revert WrongStatus(id, k.status);
        // The court prices the bond: the task's for a game, more for a request in a flood.
        if (msg.value < k.terms.challengeBond) revert WrongBond(k.terms.challengeBond, msg.value);
        order = ++caseCount;
        k.openCases++;
        _totalBonds += msg.value;
        if (segment != NO_SEGMENT) _back(id, challenger, segment);
        emit CaseOpened(id, order, challenger);
    }

    /// @inheritdoc IMarket
    function closeCase(uint256 id, address to, uint256 bond) external onlyCourt nonReentrant {
        Task storage k = _task(id);
        k.openCases--;
        _totalBonds -= bond;
        _credit(to, bond);
    }

    /// @inheritdoc IMarket
    function holdBond(
        uint256 id,
        address requester,
        address answerer,
        uint256 bond,
        uint256 gas,
        uint256 price
    ) external onlyCourt nonReentrant {
        Task storage k = _task(id);
        k.openCases--;
        _totalBonds -= bond;
        if (answerer != k.solver) {
            uint256 paid = gas * price;
            if (paid > bond) paid = bond;
            _credit(answerer, paid);
            bond -= paid;
            gas = 0;
            price = 0;
        }
        // The court measured the bookkeeping below as if every slot were written before.
        if (_totalHeld == 0) gas += FIRST_WRITE_GAS;
        if (_heldOf[id] == 0) gas += FIRST_WRITE_GAS;
        if (_heldFor[id][requester] == 0) gas += FIRST_WRITE_GAS;
        if (_gasOf[id] == 0) gas += FIRST_WRITE_GAS;
        uint256 fee = gas * price;
        _totalHeld += bond;
        _heldOf[id] += bond;
        _heldFor[id][requester] += bond;
        _gasOf[id] += fee < bond ? fee : bond;
    }

    /// @notice Of task `id`'s held bonds, what is its solver's gas (paid at finalization).
    function answerGasOf(uint256 id) external view returns (uint256) {
        return _gasOf[id];
    }

    /// @notice Where task `id`'s challenge window closed as committed: an opening asked for
    /// until then and answered late keeps the window open a move window past its answer.
    function committedEnd(uint256 id) external view returns (uint64) {
        return _windowEnd(id, _task(id));
    }

    /// @inheritdoc IMarket
    function extendWindow(uint256 id, uint64 askedAt, uint64 until) external onlyCourt {
        Task storage k = _task(id);
        if (k.status != Status.Committed && k.status != Status.Slashed) return;
        if (askedAt > _windowEnd(id, k) || until <= k.deadline) return;
        if (_committedEnd[id] == 0) _committedEnd[id] = k.deadline;
        k.deadline = until;
        emit WindowExtended(id, until);
    }

    /// @notice The bonds of `requester`'s answered openings of a task that it can reclaim (the
    /// task convicted); zero otherwise (a finalized task paid them to its solver).
    function heldFor(uint256 id, address requester) external view returns (uint256) {
        return _tasks[id].status == Status.Slashed ? _heldFor[id][requester] : 0;
    }

    /// @notice The bonds of the caller's answered openings of a convicted task, back.
    function reclaim(uint256 id) external nonReentrant {
        if (_task(id).status != Status.Slashed) revert NotSettleable(id);
        uint256 amount = _heldFor[id][msg.sender];
        _heldFor[id][msg.sender] = 0;
        _heldOf[id] -= amount;
        _totalHeld -= amount;
        _credit(msg.sender, amount);
    }

    /// @inheritdoc IMarket
    function convict(
        uint256 id,
        address challenger,
        uint256 bond,
        uint64 order,
        uint64 segment,
        Win how
    ) external onlyCourt nonReentrant {
        Task storage k = _task(id);
        Conviction storage c = _convictions[id];
        k.openCases--;
        _totalBonds -= bond;
        _credit(challenger, bond);
        if (k.status == Status.Committed) {
            k.status = Status.Slashed;
            uint256 stake = k.terms.solverStake;
            _slashLocked(k.solver, Role.Solver, stake);
            c.pot = stake;
            _totalPots += stake;
            c.proofRank = type(uint64).max;
            c.timeoutOrder = type(uint64).max;
            c.at = uint64(block.timestamp);
            _totalEscrow -= k.payment;
            _credit(k.submitter, k.payment);
        }
        emit Convicted(id, challenger, how, segment);
        if (segment == NO_SEGMENT) {
            // An unanswered opening about no game of its requester's.
            if (order < c.timeoutOrder) {
                c.timeoutOrder = order;
                c.timeoutWinner = challenger;
            }
            return;
        }
        if (order < c.proofRank) {
            c.proofRank = order;
            c.prover = challenger;
        }
    }

    /// @inheritdoc IMarket
    function fault(uint256 id, uint64 segment, uint64 namedBy) external onlyCourt {
        if (namedBy > faultedUntil[id][segment]) faultedUntil[id][segment] = namedBy;
    }

    /// @inheritdoc IMarket
    function namePass(uint256 id, uint256 index, address verifier, uint64 segment, bytes32 checked)
        external
        onlyCourt
        nonReentrant
    {
        _name(id, index, verifier, segment, checked);
    }

    /// @notice Splits a convicted task's pot once its cases have all ended and its challenge
    /// window has closed; settles its samples (a named pass of a faulted segment is burned).
    function settle(uint256 id) external nonReentrant {
        Task storage k = _task(id);
        Conviction storage c = _convictions[id];
        if (
            k.status != Status.Slashed || c.settled || k.openCases != 0
                || block.timestamp <= k.deadline
        ) revert NotSettleable(id);
        c.settled = true;
        uint256 pot = c.pot;
        _totalPots -= pot;
        address winner = c.prover;
        uint256 reward;
        if (winner != address(0)) {
            reward = pot * BOUNTY_BPS / 10_000;
        } else if (c.timeoutWinner != address(0)) {
            winner = c.timeoutWinner;
            reward = pot * TIMEOUT_BPS / 10_000;
        }
        uint256 share = pot * SUBMITTER_BPS / 10_000;
        uint256 burned = pot - reward - share;
        _settleVerifiers(id, k, true);
        _credit(winner, reward);
        _credit(k.submitter, share);
        emit Settled(id, winner, reward, share, burned);
        _burn(burned);
    }
}
