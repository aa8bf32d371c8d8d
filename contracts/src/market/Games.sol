// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Merkle} from "../commit/Merkle.sol";
import {OpProver} from "../OpProver.sol";
import {OpProof} from "../prover/OpProof.sol";
import {Verdict} from "../prover/Verdict.sol";
import {Attestations} from "./Attestations.sol";

/// @title Games
/// @notice The dispute game of DESIGN §6 (normative), one per challenge of a committed task's
/// segment: the solver posts the root over the segment's per-step state hashes (`postSteps`),
/// the challenger picks a step (`pickStep`), the solver posts that step's trace root
/// (`postTrace`), and the challenger proves one op, load or link of it wrong (`proveOp`,
/// `proveLoad`, `proveLink`, through `OpProof`). Every move has a deadline; whoever misses one
/// loses (`timeout`). The first proven fraud slashes the task; the task's other games then end
/// with their bonds returned (`endGame`).
abstract contract Games is Attestations {
    /// @notice Whose move it is, or how the game ended. `None` is never a game's.
    enum Phase {
        None,
        AwaitSteps,
        AwaitPick,
        AwaitTrace,
        AwaitProof,
        ChallengerWon,
        SolverWon,
        Ended
    }

    struct Game {
        uint256 task;
        address challenger;
        uint256 bond;
        uint64 segment;
        Phase phase;
        uint64 deadline;
        bytes32 stepsRoot;
        /// The picked step's offset in the segment (`0 ≤ step < k`).
        uint64 step;
        bytes32 traceRoot;
    }

    /// @notice How a slashed stake is split: the challenger's bounty and the submitter's share,
    /// in basis points; the rest is burned (DESIGN §6: so a solver cannot profit from
    /// challenging itself).
    uint256 public constant BOUNTY_BPS = 5000;
    uint256 public constant SUBMITTER_BPS = 3000;
    address internal constant BURN = address(0xdEaD);

    /// @notice Seconds each party has for its move.
    uint64 public immutable moveWindow;
    /// @notice The one-op prover the game asks (a contract of its own: with the prover's
    /// arithmetic inlined, the market would pass EIP-170's 24 KiB code limit).
    OpProver public immutable prover;

    mapping(uint256 => Game) internal _games;
    uint256 public gameCount;

    event Challenged(
        uint256 indexed game, uint256 indexed task, address indexed challenger, uint64 segment
    );
    event StepsPosted(uint256 indexed game, bytes32 stepsRoot);
    event StepPicked(uint256 indexed game, uint64 step);
    event TracePosted(uint256 indexed game, bytes32 traceRoot);
    /// @notice How a game was won.
    enum Win {
        Op,
        Data,
        Link,
        Timeout,
        Unavailable
    }

    event FraudProven(uint256 indexed game, uint256 indexed task, Win how);
    event GameTimedOut(uint256 indexed game, Phase phase);
    event GameEnded(uint256 indexed game, Phase outcome);
    event Slashed(
        uint256 indexed task, address indexed solver, uint256 bounty, uint256 refund, uint256 burned
    );

    error NoSuchGame(uint256 id);
    error WrongPhase(uint256 game, Phase phase);
    error NotYourMove(uint256 game, address expected);
    error MoveTooLate(uint256 game, uint64 deadline);
    error NotTimedOut(uint256 game, uint64 deadline);
    error WrongBond(uint256 expected, uint256 got);
    error NoSuchSegment(uint64 segment, uint64 segments);
    error NoSuchStep(uint64 step, uint64 interval);
    error EmptyRoot();
    error NoFraud(Verdict.Reason reason);
    error LayoutMismatch(bytes32 expected, bytes32 got);
    error TaskStillOpen(uint256 task);

    constructor(uint64 moveWindow_, OpProver prover_) {
        moveWindow = moveWindow_;
        prover = prover_;
    }

    function game(uint256 id) external view returns (Game memory) {
        return _game(id);
    }

    /// @notice Challenges segment `segment` of a committed task, with the task's bond.
    function challenge(uint256 taskId, uint64 segment)
        external
        payable
        nonReentrant
        returns (uint256 id)
    {
        Task storage k = _task(taskId);
        _expect(taskId, k, Status.Committed);
        if (block.timestamp > k.deadline) revert TooLate(taskId, k.deadline);
        if (msg.value != k.terms.challengeBond) revert WrongBond(k.terms.challengeBond, msg.value);
        uint64 segments = k.commitments.steps / k.commitments.interval;
        if (segment >= segments) revert NoSuchSegment(segment, segments);
        id = ++gameCount;
        Game storage g = _games[id];
        g.task = taskId;
        g.challenger = msg.sender;
        g.bond = msg.value;
        g.segment = segment;
        g.phase = Phase.AwaitSteps;
        g.deadline = uint64(block.timestamp) + moveWindow;
        k.openGames++;
        _totalBonds += msg.value;
        emit Challenged(id, taskId, msg.sender, segment);
    }

    /// @notice The segment's ends in move 1: checkpoints `j` and `j + 1` with their paths into
    /// `resultRoot` and into the steps root (leaves 0 and `k`).
    struct Ends {
        bytes32 first;
        bytes32[] firstInResult;
        bytes32[] firstInSteps;
        bytes32 last;
        bytes32[] lastInResult;
        bytes32[] lastInSteps;
    }

    /// @notice Move 1: the root over the segment's `k + 1` per-step state hashes, whose first
    /// and last leaves are checkpoints `j` and `j + 1` of `resultRoot`.
    function postSteps(uint256 id, bytes32 stepsRoot, Ends calldata ends) external nonReentrant {
        (Game storage g, Task storage k) = _move(id, Phase.AwaitSteps, true);
        if (stepsRoot == 0) revert EmptyRoot();
        _checkEnds(k, g.segment, stepsRoot, ends);
        g.stepsRoot = stepsRoot;
        _next(g, Phase.AwaitPick);
        emit StepsPosted(id, stepsRoot);
    }

    function _checkEnds(Task storage k, uint64 segment, bytes32 stepsRoot, Ends calldata e)
        internal
        view
    {
        uint256 checkpoints = k.commitments.steps / k.commitments.interval + 1;
        uint256 perStep = k.commitments.interval + 1;
        bytes32 first = Merkle.leafHash32(e.first);
        bytes32 last = Merkle.leafHash32(e.last);
        Merkle.check(k.resultRoot, checkpoints, segment, first, e.firstInResult);
        Merkle.check(stepsRoot, perStep, 0, first, e.firstInSteps);
        Merkle.check(k.resultRoot, checkpoints, segment + 1, last, e.lastInResult);
        Merkle.check(stepsRoot, perStep, perStep - 1, last, e.lastInSteps);
    }

    /// @notice Move 2: the step the challenger says is wrong (offset in the segment).
    function pickStep(uint256 id, uint64 step) external nonReentrant {
        (Game storage g, Task storage k) = _move(id, Phase.AwaitPick, false);
        if (step >= k.commitments.interval) revert NoSuchStep(step, k.commitments.interval);
        g.step = step;
        _next(g, Phase.AwaitTrace);
        emit StepPicked(id, step);
    }

    /// @notice Move 3: the picked step's trace root.
    function postTrace(uint256 id, bytes32 traceRoot) external nonReentrant {
        (Game storage g,) = _move(id, Phase.AwaitTrace, true);
        if (traceRoot == 0) revert EmptyRoot();
        g.traceRoot = traceRoot;
        _next(g, Phase.AwaitProof);
        emit TracePosted(id, traceRoot);
    }

    /// @notice Move 4, an op proof: one output value of one op outside its bound. `proof` is
    /// `abi.encode(OpProof.Op, OpProof.Row[], OpProof.Value)` (see `OpProver.judgeOpProof`).
    function proveOp(uint256 id, bytes calldata proof) external nonReentrant {
        (Game storage g, Task storage k) = _move(id, Phase.AwaitProof, false);
        Verdict.Reason r = prover.judgeOpProof(_step(g, k), proof);
        if (!Verdict.proves(r)) revert NoFraud(r);
        _challengerWins(id, g, k, Win.Op);
    }

    /// @notice Move 4, a data proof: a loaded row that is not the batch rule's data set row.
    /// `proof` is `abi.encode(OpProof.Op, Tensor.Header dataset, OpProof.Slot output,
    /// OpProof.RowRoot loaded, OpProof.RowRoot source)` (see `OpProver.provesLoadFraudProof`).
    function proveLoad(uint256 id, bytes calldata proof) external nonReentrant {
        (Game storage g, Task storage k) = _move(id, Phase.AwaitProof, false);
        uint64 t = g.segment * k.commitments.interval + g.step;
        if (!prover.provesLoadFraudProof(
                _step(g, k), k.commitments.datasetHash, k.commitments.seed, t, proof
            )) revert NoFraud(Verdict.Reason.WithinBound);
        _challengerWins(id, g, k, Win.Data);
    }

    /// @notice A link proof's parts: `layout` is `abi.encode(uint32 stateTensors, uint32[]
    /// nextState)`, whose SHA-256 the task committed as `layoutHash`; the state hash is leaf
    /// `step` (`next` false: the step's start) or `step + 1` (its end) of the steps root; `proof`
    /// is `abi.encode(bytes32 tensorHash, bytes32[] tensorInState, OpProof.Slot slot)`: tensor
    /// `index` of that state and the trace slot that must hold it.
    struct Link {
        bytes layout;
        bool next;
        bytes32 stateHash;
        bytes32[] stateInSteps;
        uint256 index;
        bytes proof;
    }

    /// @notice Move 4, a link proof: a state slot of the trace that is not the state the solver
    /// posted for the step's start or end.
    function proveLink(uint256 id, Link calldata link) external nonReentrant {
        (Game storage g, Task storage k) = _move(id, Phase.AwaitProof, false);
        (uint256 tensorCount, uint256 nextSlot) = _layout(k, link.layout, link.index);
        Merkle.check(
            g.stepsRoot,
            k.commitments.interval + 1,
            g.step + (link.next ? 1 : 0),
            Merkle.leafHash32(link.stateHash),
            link.stateInSteps
        );
        if (!prover.provesLinkFraudProof(
                _step(g, k),
                link.stateHash,
                tensorCount,
                link.index,
                link.next,
                nextSlot,
                link.proof
            )) revert NoFraud(Verdict.Reason.WithinBound);
        _challengerWins(id, g, k, Win.Link);
    }

    /// @dev The state's tensor count and the next-state slot of tensor `index`, from the layout
    /// the task committed to.
    function _layout(Task storage k, bytes calldata layout, uint256 index)
        internal
        view
        returns (uint256 tensorCount, uint256 nextSlot)
    {
        bytes32 got = sha256(layout);
        if (got != k.commitments.layoutHash) revert LayoutMismatch(k.commitments.layoutHash, got);
        (uint32 stateTensors, uint32[] memory nextState) = abi.decode(layout, (uint32, uint32[]));
        tensorCount = stateTensors;
        nextSlot = index < nextState.length ? nextState[index] : 0;
    }

    /// @notice Decides a game whose mover missed its deadline: a silent solver loses the task, a
    /// silent challenger its bond.
    function timeout(uint256 id) external nonReentrant {
        Game storage g = _game(id);
        Task storage k = _tasks[g.task];
        if (g.phase == Phase.None || uint8(g.phase) > uint8(Phase.AwaitProof)) {
            revert WrongPhase(id, g.phase);
        }
        if (k.status != Status.Committed) revert WrongStatus(g.task, k.status);
        if (block.timestamp <= g.deadline) revert NotTimedOut(id, g.deadline);
        emit GameTimedOut(id, g.phase);
        if (g.phase == Phase.AwaitSteps || g.phase == Phase.AwaitTrace) {
            _challengerWins(id, g, k, Win.Timeout);
        } else {
            _solverWins(id, g, k);
        }
    }

    /// @notice Ends an open game of a task that another game slashed: the bond goes back.
    function endGame(uint256 id) external nonReentrant {
        Game storage g = _game(id);
        if (g.phase == Phase.None || uint8(g.phase) > uint8(Phase.AwaitProof)) {
            revert WrongPhase(id, g.phase);
        }
        Task storage k = _tasks[g.task];
        if (k.status != Status.Slashed) revert TaskStillOpen(g.task);
        g.phase = Phase.Ended;
        k.openGames--;
        _totalBonds -= g.bond;
        _credit(g.challenger, g.bond);
        emit GameEnded(id, Phase.Ended);
    }

    function _game(uint256 id) internal view returns (Game storage g) {
        g = _games[id];
        if (g.phase == Phase.None) revert NoSuchGame(id);
    }

    /// @dev The game in `phase`, its task still committed, the right mover, in time.
    function _move(uint256 id, Phase phase, bool solverMoves)
        internal
        view
        returns (Game storage g, Task storage k)
    {
        g = _game(id);
        if (g.phase != phase) revert WrongPhase(id, g.phase);
        k = _tasks[g.task];
        if (k.status != Status.Committed) revert WrongStatus(g.task, k.status);
        address mover = solverMoves ? k.solver : g.challenger;
        if (msg.sender != mover) revert NotYourMove(id, mover);
        if (block.timestamp > g.deadline) revert MoveTooLate(id, g.deadline);
    }

    function _next(Game storage g, Phase phase) internal {
        g.phase = phase;
        g.deadline = uint64(block.timestamp) + moveWindow;
    }

    /// @dev The disputed step as the prover sees it.
    function _step(Game storage g, Task storage k) internal view returns (OpProof.Step memory) {
        return OpProof.Step({
            programRoot: k.commitments.programRoot,
            ops: k.commitments.ops,
            traceRoot: g.traceRoot,
            slots: k.commitments.slots,
            class: k.commitments.class
        });
    }

    /// @dev Fraud in a game: the game is won, the task slashed.
    function _challengerWins(uint256 id, Game storage g, Task storage k, Win how) internal {
        g.phase = Phase.ChallengerWon;
        emit FraudProven(id, g.task, how);
        _slash(g.task, k, g.challenger, g.bond, g.segment);
    }

    /// @dev The solver's locked stake pays the bounty and the submitter's share, the rest is
    /// burned; the escrow returns to the submitter, the bond to the challenger; verifiers that
    /// passed `segment` lose their stake to the challenger.
    function _slash(
        uint256 taskId,
        Task storage k,
        address challenger,
        uint256 bond,
        uint64 segment
    ) internal {
        k.openGames--;
        k.status = Status.Slashed;
        uint256 stake = k.terms.solverStake;
        _slashLocked(k.solver, Role.Solver, stake);
        uint256 bounty = stake * BOUNTY_BPS / 10_000;
        uint256 share = stake * SUBMITTER_BPS / 10_000;
        uint256 burned = stake - bounty - share;
        _totalEscrow -= k.payment;
        _totalBonds -= bond;
        _settleVerifiers(taskId, k, true, segment, challenger);
        _credit(challenger, bond + bounty);
        _credit(k.submitter, k.payment + share);
        emit Slashed(taskId, k.solver, bounty, k.payment + share, burned);
        (bool ok,) = BURN.call{value: burned}("");
        if (!ok) revert TransferFailed();
    }

    /// @dev A failed challenge: its bond goes to the solver.
    function _solverWins(uint256 id, Game storage g, Task storage k) internal {
        g.phase = Phase.SolverWon;
        k.openGames--;
        _totalBonds -= g.bond;
        _credit(k.solver, g.bond);
        emit GameEnded(id, Phase.SolverWon);
    }
}
