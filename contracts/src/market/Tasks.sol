// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Stakes} from "./Stakes.sol";
import {Commitments, Role, Status, Task, Terms} from "./Types.sol";

/// @title Tasks
/// @notice Tasks and their money (DESIGN §1): a submitter escrows the payment with the task's
/// commitments (§3); a solver claims it by locking stake, commits its `resultRoot` before its
/// deadline, and is paid when the challenge window closes. Nobody claiming, or a solver missing
/// its deadline, returns the escrow (and the late solver's stake) to the submitter. Every phase
/// has a deadline; every state change an event. (Sampling, attestations and the dispute game
/// build on this state machine: see docs/PROTOCOL.md §9.)
abstract contract Tasks is Stakes {
    string public constant VERSION = "poai-market/2";
    /// @notice The largest precision class (0 fp32, 1 tf32, 2 bf16).
    uint8 public constant MAX_CLASS = 2;
    /// @notice The most segments a task may have sampled (settlement loops over them).
    uint32 public constant MAX_SAMPLES = 16;
    /// @notice The most steps a segment may have, and slots a step: every list a move carries
    /// (`postSteps`' `k + 1` state hashes, `postTrace`'s slot hashes) must fit one transaction
    /// (about 2.2 M gas at 1 024; AUDIT review of the courts, attack B).
    uint64 public constant MAX_INTERVAL = 1024;
    uint32 public constant MAX_SLOTS = 1024;

    mapping(uint256 => Task) internal _tasks;
    /// @notice Tasks submitted so far; ids run from 1.
    uint256 public taskCount;
    uint256 internal _totalEscrow;

    event TaskSubmitted(
        uint256 indexed id, address indexed submitter, uint256 payment, bytes32 specHash
    );
    event TaskClaimed(uint256 indexed id, address indexed solver, uint64 commitBy);
    event ResultCommitted(
        uint256 indexed id, address indexed solver, bytes32 resultRoot, uint64 challengeUntil
    );
    /// @notice An opening answered late kept the challenge window open until `challengeUntil`.
    event WindowExtended(uint256 indexed id, uint64 challengeUntil);
    event TaskFinalized(uint256 indexed id, address indexed solver, uint256 paid);
    event TaskRefunded(uint256 indexed id, address indexed submitter, uint256 refunded);

    error NoPayment();
    error WrongBond(uint256 expected, uint256 got);
    /// @notice Which rule of `submitTask` the commitments break.
    enum CommitmentRule {
        StepsMultipleOfInterval,
        SlotsExceedOps,
        Batch,
        Class,
        Roots,
        Sizes
    }
    /// @notice Which rule of `submitTask` the terms break.
    enum TermRule {
        SolverStake,
        ChallengeBond,
        Samples,
        VerifierStake,
        FeesExceedPayment,
        ClaimByPast,
        Windows
    }

    error BadCommitments(CommitmentRule rule);
    error BadTerms(TermRule rule);
    error NoSuchTask(uint256 id);
    error WrongStatus(uint256 id, Status status);
    error TooLate(uint256 id, uint64 deadline);
    error TooEarly(uint256 id, uint64 deadline);
    error NotTheSolver(uint256 id, address solver);
    error EmptyResult();
    error OpenCases(uint256 id, uint32 open);

    /// @notice The least bond a task may ask of a challenger or requester: it must cover the
    /// solver's gas to answer a request or a move (AUDIT M5), set at deployment for the chain.
    uint256 public immutable minBond;

    constructor(uint64 unbondingDelay_, uint256 minBond_) Stakes(unbondingDelay_) {
        minBond = minBond_;
    }

    function version() external pure returns (string memory) {
        return VERSION;
    }

    function task(uint256 id) public view virtual returns (Task memory) {
        return _task(id);
    }

    /// @notice Escrows the value sent as the payment for a task with these commitments and terms.
    function submitTask(Commitments calldata c, Terms calldata t)
        external
        payable
        nonReentrant
        returns (uint256 id)
    {
        if (msg.value == 0) revert NoPayment();
        if (c.steps == 0 || c.interval == 0 || c.steps % c.interval != 0) {
            revert BadCommitments(CommitmentRule.StepsMultipleOfInterval);
        }
        if (c.ops == 0 || c.slots <= c.ops) revert BadCommitments(CommitmentRule.SlotsExceedOps);
        if (c.interval > MAX_INTERVAL || c.slots > MAX_SLOTS) {
            revert BadCommitments(CommitmentRule.Sizes);
        }
        if (c.batch == 0) revert BadCommitments(CommitmentRule.Batch);
        if (c.class > MAX_CLASS) revert BadCommitments(CommitmentRule.Class);
        if (c.programRoot == 0 || c.datasetHash == 0 || c.initStateHash == 0) {
            revert BadCommitments(CommitmentRule.Roots);
        }
        if (t.solverStake == 0) revert BadTerms(TermRule.SolverStake);
        // At least the minimum (it pays the solver's gas to answer), at most half the stake, the
        // bounty a proof earns (AUDIT H3 (d): a bond no checker would risk shields a cheat).
        if (
            t.challengeBond == 0 || t.challengeBond < minBond || t.challengeBond > t.solverStake / 2
        ) {
            revert BadTerms(TermRule.ChallengeBond);
        }
        if (t.samples > MAX_SAMPLES) revert BadTerms(TermRule.Samples);
        if (t.samples != 0 && t.verifierStake == 0) revert BadTerms(TermRule.VerifierStake);
        if (uint256(t.samples) * t.verifierFee >= msg.value) {
            revert BadTerms(TermRule.FeesExceedPayment);
        }
        if (t.claimBy <= block.timestamp) revert BadTerms(TermRule.ClaimByPast);
        if (t.solveWithin == 0 || t.challengeWithin == 0) revert BadTerms(TermRule.Windows);
        id = ++taskCount;
        Task storage k = _tasks[id];
        k.commitments = c;
        k.terms = t;
        k.submitter = msg.sender;
        k.payment = msg.value;
        k.status = Status.Open;
        k.deadline = t.claimBy;
        _totalEscrow += msg.value;
        emit TaskSubmitted(id, msg.sender, msg.value, c.specHash);
    }

    /// @notice Claims an open task for the caller, locking the task's solver stake.
    function claim(uint256 id) external nonReentrant {
        Task storage k = _task(id);
        _expect(id, k, Status.Open);
        if (block.timestamp > k.deadline) revert TooLate(id, k.deadline);
        _lock(msg.sender, Role.Solver, k.terms.solverStake);
        k.solver = msg.sender;
        k.status = Status.Claimed;
        k.deadline = uint64(block.timestamp) + k.terms.solveWithin;
        emit TaskClaimed(id, msg.sender, k.deadline);
    }

    /// @notice The solver's result: the root over its checkpoint state hashes.
    function commitResult(uint256 id, bytes32 resultRoot) external nonReentrant {
        Task storage k = _task(id);
        _expect(id, k, Status.Claimed);
        if (msg.sender != k.solver) revert NotTheSolver(id, k.solver);
        if (block.timestamp > k.deadline) revert TooLate(id, k.deadline);
        if (resultRoot == 0) revert EmptyResult();
        k.resultRoot = resultRoot;
        k.committedBlock = uint64(block.number);
        k.status = Status.Committed;
        k.deadline = uint64(block.timestamp) + k.terms.challengeWithin;
        emit ResultCommitted(id, msg.sender, resultRoot, k.deadline);
    }

    /// @notice After the challenge window: pays the solver and frees its stake.
    function finalize(uint256 id) external nonReentrant {
        Task storage k = _task(id);
        _expect(id, k, Status.Committed);
        if (block.timestamp <= k.deadline) revert TooEarly(id, k.deadline);
        if (k.openCases != 0) revert OpenCases(id, k.openCases);
        k.status = Status.Finalized;
        _totalEscrow -= k.payment;
        // The verifiers' fees come out of the payment, and the solver gets the rest whatever the
        // verifiers did; a fee no verifier earned (a no-show, a fail, a pass that named no
        // segment index, a sample never drawn) goes back to the submitter, so a solver gains
        // nothing by what keeps a verifier from earning it.
        uint256 fees = uint256(k.terms.samples) * k.terms.verifierFee;
        uint256 paid = k.payment - fees;
        uint256 unearned = fees - _settleVerifiers(id, k, false);
        // Of the bonds of answered openings, the solver gets its gas; the rest is burned, so
        // withholding off chain what it must then answer on chain earns it nothing.
        uint256 held = _heldOf[id];
        uint256 gas = _gasOf[id];
        _heldOf[id] = 0;
        _gasOf[id] = 0;
        _totalHeld -= held;
        _credit(k.solver, gas);
        _unlock(k.solver, Role.Solver, k.terms.solverStake);
        _credit(k.solver, paid);
        _credit(k.submitter, unearned);
        emit TaskFinalized(id, k.solver, paid);
        _burn(held - gas);
    }

    /// @notice Returns the escrow to the submitter when nobody claimed the task in time, or the
    /// solver missed its deadline (whose stake then goes to the submitter too).
    function refund(uint256 id) external nonReentrant {
        Task storage k = _task(id);
        if (k.status != Status.Open && k.status != Status.Claimed) {
            revert WrongStatus(id, k.status);
        }
        if (block.timestamp <= k.deadline) revert TooEarly(id, k.deadline);
        uint256 refunded = k.payment;
        _totalEscrow -= refunded;
        if (k.status == Status.Claimed) {
            _slashLocked(k.solver, Role.Solver, k.terms.solverStake);
            refunded += k.terms.solverStake;
        }
        k.status = Status.Refunded;
        _credit(k.submitter, refunded);
        emit TaskRefunded(id, k.submitter, refunded);
    }

    /// @notice Every wei the contract should hold: stakes, escrows, balances, the bonds of open
    /// cases, the bonds of answered openings held, and the seized stakes of convicted tasks not
    /// yet split.
    function liabilities() public view returns (uint256) {
        return _totalStaked + _totalEscrow + _totalBalances + _totalBonds + _totalPots + _totalHeld;
    }

    /// @dev Bonds of open cases (games and availability requests).
    uint256 internal _totalBonds;
    /// @dev Stakes seized from convicted solvers, until `settle` splits them.
    uint256 internal _totalPots;
    /// @dev Bonds of answered openings, held until the task resolves: the answers' gas to the
    /// solver and the rest burned when it finalizes, back to their requesters when it is
    /// convicted.
    uint256 internal _totalHeld;
    mapping(uint256 => uint256) internal _heldOf;
    mapping(uint256 => mapping(address => uint256)) internal _heldFor;
    /// @dev Of a task's held bonds, what answering them cost the solver in gas: the solver's
    /// when the task finalizes (the rest is burned then).
    mapping(uint256 => uint256) internal _gasOf;
    /// @dev A task's challenge window as committed, kept when a late answer first extends it
    /// (zero: never extended; `deadline` is the committed end).
    mapping(uint256 => uint64) internal _committedEnd;

    /// @dev Where the challenge window closed as committed, whatever answers extended since.
    function _windowEnd(uint256 id, Task storage k) internal view returns (uint64) {
        uint64 end = _committedEnd[id];
        return end == 0 ? k.deadline : end;
    }

    /// @dev Settles the task's samples when it finalizes (`convicted` false) or when a
    /// convicted task's stake is split; returns the fees it paid out of the escrow.
    function _settleVerifiers(uint256 id, Task storage k, bool convicted)
        internal
        virtual
        returns (uint256 fees);

    function _task(uint256 id) internal view returns (Task storage k) {
        k = _tasks[id];
        if (k.status == Status.None) revert NoSuchTask(id);
    }

    function _expect(uint256 id, Task storage k, Status status) internal view {
        if (k.status != status) revert WrongStatus(id, k.status);
    }
}
