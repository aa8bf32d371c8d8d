// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Merkle} from "../commit/Merkle.sol";
import {SegmentIndex} from "../commit/SegmentIndex.sol";
import {OpProver} from "../OpProver.sol";
import {OpProof} from "../prover/OpProof.sol";
import {Verdict} from "../prover/Verdict.sol";
import {IDispute, IMarket, Task, Win} from "../market/Types.sol";
import {Court} from "./Court.sol";

/// @title Dispute
/// @notice The dispute game of DESIGN §6 (normative), one per challenge of a committed task's
/// segment. The solver's moves are shared by every game that needs them (AUDIT H7): it posts a
/// segment's `k + 1` per-step state hashes once (`postSteps`; the contract computes their root),
/// and a step's slot hashes once (`postTrace`; the contract computes the trace root), and each
/// game on that segment or step moves on as soon as they are posted. The challenger picks a step
/// (`pickStep`) and proves one op, load or link of its trace wrong (`proveOp`, `proveLoad`,
/// `proveLink`). Each side has a chess clock (`clock` seconds in all, every solver turn at least
/// `moveWindow` and every challenger turn at least `2 · moveWindow`, room for an opening); a side whose time runs out loses the game (`timeout`). Every hash the game
/// checks is posted in calldata here or can be opened by the `Availability` court.
contract Dispute is Court, IDispute {
    /// @notice Whose move it is, or how the game ended. `None` is never a game's.
    enum Phase {
        None,
        AwaitSteps,
        AwaitPick,
        AwaitTrace,
        AwaitProof,
        ChallengerWon,
        SolverWon,
        /// The challenger's turn ran out after another case convicted the task: the bond goes
        /// back (a convicted solver has no claim to it, and data it withholds may be what
        /// stopped the challenger).
        Ended
    }

    struct Game {
        uint256 task;
        address challenger;
        uint256 bond;
        /// The case's rank in the market (for the bounty).
        uint64 order;
        uint64 segment;
        Phase phase;
        /// The picked step's offset in the segment (`0 ≤ step < k`).
        uint64 step;
        /// When the current turn began, and each side's time left.
        uint64 turnStart;
        uint64 solverClock;
        uint64 challengerClock;
        /// The end of the current turn.
        uint64 deadline;
    }

    /// @notice A root the solver posted, and when.
    struct Posted {
        bytes32 root;
        uint64 at;
    }

    /// @notice Seconds each side has for all its moves in one game. Every solver turn lasts at
    /// least `moveWindow`, every challenger turn at least `2 · moveWindow`: a challenger served
    /// nothing off chain may first have to open on chain what its move needs, and the solver
    /// may answer that opening at the last second of its own `moveWindow`.
    uint64 public immutable clock;
    /// @notice The one-op prover the game asks.
    OpProver public immutable prover;

    mapping(uint256 => Game) internal _games;
    uint256 public gameCount;
    mapping(uint256 => mapping(uint64 => Posted)) internal _steps;
    mapping(bytes32 => Posted) internal _traces;
    /// @notice Open games per task and segment.
    mapping(uint256 => mapping(uint64 => uint32)) public openOn;
    /// @notice The traces root of the segment index a *pass* named for a segment (zero: none
    /// named). From the naming on, the segment's posted data is that index: its per-step states
    /// were posted by the naming, and a trace of it is posted only as the named one (by anyone
    /// who holds it), so every game on the segment is a game on the data the pass vouched for.
    mapping(uint256 => mapping(uint64 => bytes32)) public namedTraces;
    /// @dev Traces posted per task and segment (a naming checks them against its trace roots).
    mapping(uint256 => mapping(uint64 => uint64)) internal _tracesPosted;
    /// @dev A challenger's earliest game on a segment of a task that was open when its next
    /// game there opened (its demands take that game's order while it is open).
    mapping(bytes32 => uint256) internal _firstGame;

    event Challenged(
        uint256 indexed game, uint256 indexed task, address indexed challenger, uint64 segment
    );
    /// @notice A segment's per-step state hashes, posted once for every game on it.
    event StepsPosted(uint256 indexed task, uint64 indexed segment, bytes32 root, bytes32[] states);
    event StepPicked(uint256 indexed game, uint64 step);
    /// @notice A step's slot hashes, posted once for every game that picked it.
    event TracePosted(
        uint256 indexed task, uint64 indexed segment, uint64 step, bytes32 root, bytes32[] slots
    );
    event FraudProven(uint256 indexed game, uint256 indexed task, Win how);
    /// @notice Pass `index` named the solver's signed index (`statesRoot`, the trace roots, the
    /// solver's `signature`) of `segment` as checked (`namePass`): anyone can build the path of a
    /// named trace from it (`postTrace`), and it is the solver's signed answer
    /// (`proveEquivocation`).
    event PassNamed(
        uint256 indexed task,
        uint64 indexed segment,
        uint256 index,
        address verifier,
        bytes32 statesRoot,
        bytes32[] traceRoots,
        bytes signature
    );
    event GameEnded(uint256 indexed game, Phase outcome);

    error NoSuchGame(uint256 id);
    error WrongPhase(uint256 game, Phase phase);
    error NotYourMove(uint256 game, address expected);
    error NoSuchSegment(uint64 segment, uint64 segments);
    error NoSuchStep(uint64 step, uint64 interval);
    error AlreadyPosted(uint64 segment, uint64 step);
    error NotPosted(uint64 segment);
    /// @notice A list of hashes whose length is not the one the task commits.
    error WrongCount(uint256 expected, uint256 got);
    /// @notice Segment 0 starts elsewhere than the task's initial state (AUDIT H5).
    error InitMismatch(bytes32 expected, bytes32 got);
    error NoFraud(Verdict.Reason reason);
    /// @notice An equivocation proof's or a named pass's index is not signed by the task's
    /// solver for that segment.
    error NotSignedBySolver();
    /// @notice A named index that is not the segment's posted data (its per-step states, a
    /// posted trace, or the index an earlier pass named): the solver signed two indexes of the
    /// segment, which `proveEquivocation` convicts.
    error NotThePostedIndex(uint64 segment);
    /// @notice A pass is named only on a task no case has convicted yet (the fee is paid only on
    /// a finalized task; a conviction may rest on data withheld before the naming).
    error AlreadyConvicted(uint256 task);

    constructor(IMarket market_, OpProver prover_, uint64 moveWindow_, uint64 clock_)
        Court(market_, moveWindow_)
    {
        prover = prover_;
        clock = clock_;
    }

    /// @notice The game as it stands now (a turn the solver already answered by a shared post
    /// has passed to the challenger).
    function game(uint256 id) external view returns (Game memory) {
        Game storage g = _games[id];
        if (g.phase == Phase.None) revert NoSuchGame(id);
        return _synced(g);
    }

    /// @inheritdoc IDispute
    function orderOf(uint256 taskId, uint64 segment, address challenger)
        external
        view
        returns (uint64)
    {
        uint256 id = _firstGame[keccak256(abi.encode(taskId, segment, challenger))];
        return _open(id) ? _games[id].order : 0;
    }

    /// @dev Whether game `id` exists and has not ended.
    function _open(uint256 id) internal view returns (bool) {
        Phase p = _games[id].phase;
        return p != Phase.None && uint8(p) <= uint8(Phase.AwaitProof);
    }

    /// @inheritdoc IDispute
    function stepsRoot(uint256 taskId, uint64 segment) external view returns (bytes32) {
        return _steps[taskId][segment].root;
    }

    /// @notice When the solver posted a segment's per-step states (0: not yet).
    function stepsPostedAt(uint256 taskId, uint64 segment) external view returns (uint64) {
        return _steps[taskId][segment].at;
    }

    /// @inheritdoc IDispute
    function traceRoot(uint256 taskId, uint64 segment, uint64 step)
        external
        view
        returns (bytes32)
    {
        return _traces[_key(taskId, segment, step)].root;
    }

    /// @notice Challenges segment `segment` of a committed task, with the task's bond (held by
    /// the market). Open until the task's challenge window closes, also after a conviction.
    function challenge(uint256 taskId, uint64 segment) external payable returns (uint256 id) {
        Task memory k = _live(taskId);
        if (block.timestamp > k.deadline) revert TooLate(taskId, k.deadline);
        uint64 segments = _segments(k);
        if (segment >= segments) revert NoSuchSegment(segment, segments);
        if (msg.value != k.terms.challengeBond) {
            revert WrongBond(k.terms.challengeBond, msg.value);
        }
        uint64 order = market.openCase{value: msg.value}(taskId, msg.sender, segment);
        id = ++gameCount;
        Game storage g = _games[id];
        g.task = taskId;
        g.challenger = msg.sender;
        g.bond = msg.value;
        g.order = order;
        g.segment = segment;
        g.phase = Phase.AwaitSteps;
        g.turnStart = uint64(block.timestamp);
        g.solverClock = clock;
        g.challengerClock = clock;
        g.deadline = _deadline(g.turnStart, clock, moveWindow);
        openOn[taskId][segment]++;
        bytes32 first = keccak256(abi.encode(taskId, segment, msg.sender));
        if (!_open(_firstGame[first])) _firstGame[first] = id;
        emit Challenged(id, taskId, msg.sender, segment);
    }

    /// @notice Move 1, for every game on `segment`: the segment's `k + 1` per-step state hashes,
    /// whose first and last are checkpoints `segment` and `segment + 1` of `resultRoot` (with
    /// their paths into it); segment 0 starts at the task's `initStateHash`. (A named pass posts
    /// them first when it names the solver's signed index: `namePass`.)
    function postSteps(
        uint256 taskId,
        uint64 segment,
        bytes32[] calldata states,
        bytes32[] calldata firstInResult,
        bytes32[] calldata lastInResult
    ) external {
        Task memory k = _live(taskId);
        if (msg.sender != k.solver) revert NotTheSolver(taskId, k.solver);
        if (_steps[taskId][segment].at != 0) revert AlreadyPosted(segment, 0);
        bytes32 root = _stepsRoot(k, segment, states, firstInResult, lastInResult);
        _postSteps(taskId, segment, root, states);
    }

    /// @dev The root of a segment's per-step state hashes, checked to run from checkpoint
    /// `segment` to checkpoint `segment + 1` of `resultRoot` (segment 0 from `initStateHash`).
    function _stepsRoot(
        Task memory k,
        uint64 segment,
        bytes32[] calldata states,
        bytes32[] calldata firstInResult,
        bytes32[] calldata lastInResult
    ) internal view returns (bytes32) {
        uint64 segments = _segments(k);
        if (segment >= segments) revert NoSuchSegment(segment, segments);
        uint256 n = k.commitments.interval + 1;
        if (states.length != n) revert WrongCount(n, states.length);
        if (segment == 0 && states[0] != k.commitments.initStateHash) {
            revert InitMismatch(k.commitments.initStateHash, states[0]);
        }
        bytes32[] memory leaves = _leaves(states);
        Merkle.check(k.resultRoot, segments + 1, segment, leaves[0], firstInResult);
        Merkle.check(k.resultRoot, segments + 1, segment + 1, leaves[n - 1], lastInResult);
        return Merkle.root(leaves);
    }

    function _postSteps(uint256 taskId, uint64 segment, bytes32 root, bytes32[] calldata states)
        internal
    {
        _steps[taskId][segment] = Posted({root: root, at: uint64(block.timestamp)});
        emit StepsPosted(taskId, segment, root, states);
    }

    /// @notice Move 2: the step the challenger says is wrong (offset in the segment).
    function pickStep(uint256 id, uint64 step) external {
        (Game storage g, Task memory k) = _move(id, Phase.AwaitPick, false);
        if (step >= k.commitments.interval) revert NoSuchStep(step, k.commitments.interval);
        g.step = step;
        _pass(g, Phase.AwaitTrace);
        emit StepPicked(id, step);
    }

    /// @notice Move 3, for every game that picked step `step` of `segment`: the tensor hashes
    /// of every slot of that step, in slot order (the contract computes the trace root). On a
    /// segment a pass named, the trace must be leaf `step` of the named traces root
    /// (`inNamed`, its path) and anyone may post it: the named verifier answers for the data it
    /// vouched for when the solver withholds it (a game that times out on it burns the pass).
    function postTrace(
        uint256 taskId,
        uint64 segment,
        uint64 step,
        bytes32[] calldata slots,
        bytes32[] calldata inNamed
    ) external {
        Task memory k = _live(taskId);
        if (_steps[taskId][segment].at == 0) revert NotPosted(segment);
        if (step >= k.commitments.interval) revert NoSuchStep(step, k.commitments.interval);
        bytes32 key = _key(taskId, segment, step);
        if (_traces[key].at != 0) revert AlreadyPosted(segment, step);
        if (slots.length != k.commitments.slots) {
            revert WrongCount(k.commitments.slots, slots.length);
        }
        bytes32 root = Merkle.root(_leaves(slots));
        bytes32 named = namedTraces[taskId][segment];
        if (named != 0) {
            Merkle.check(named, k.commitments.interval, step, Merkle.leafHash32(root), inNamed);
        } else if (msg.sender != k.solver) {
            revert NotTheSolver(taskId, k.solver);
        }
        _traces[key] = Posted({root: root, at: uint64(block.timestamp)});
        _tracesPosted[taskId][segment]++;
        emit TracePosted(taskId, segment, step, root, slots);
    }

    /// @notice Move 4, an op proof: one output value of one op outside its bound. `proof` is
    /// `abi.encode(OpProof.Op, OpProof.Row[], OpProof.Value)` (see `OpProver.judgeOpProof`).
    function proveOp(uint256 id, bytes calldata proof) external {
        (Game storage g, Task memory k) = _move(id, Phase.AwaitProof, false);
        Verdict.Reason r = prover.judgeOpProof(_step(g, k), proof);
        if (!Verdict.proves(r)) revert NoFraud(r);
        _challengerWins(id, g, Win.Op);
    }

    /// @notice Move 4, a data proof: a loaded row that is not the batch rule's data set row.
    /// `proof` is `abi.encode(OpProof.Op, Tensor.Header dataset, OpProof.Slot output,
    /// OpProof.RowRoot loaded, OpProof.RowRoot source)` (see `OpProver.provesLoadFraudProof`).
    function proveLoad(uint256 id, bytes calldata proof) external {
        (Game storage g, Task memory k) = _move(id, Phase.AwaitProof, false);
        uint64 t = g.segment * k.commitments.interval + g.step;
        if (!prover.provesLoadFraudProof(
                _step(g, k), k.commitments.datasetHash, k.commitments.seed, t, proof
            )) revert NoFraud(Verdict.Reason.WithinBound);
        _challengerWins(id, g, Win.Data);
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
    function proveLink(uint256 id, Link calldata link) external {
        (Game storage g, Task memory k) = _move(id, Phase.AwaitProof, false);
        (uint256 tensorCount, uint256 nextSlot) = _layout(k, link.layout, link.index);
        Merkle.check(
            _steps[g.task][g.segment].root,
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
        _challengerWins(id, g, Win.Link);
    }

    /// @notice A solver's signed segment index, as nodes serve it off chain (docs/PROTOCOL.md
    /// §10, "Segment indexes"): the roots over the segment's `k + 1` per-step state hashes and
    /// over its `k` trace roots, signed (`r ‖ s ‖ v`, `v` 27 or 28, low `s`) as an EIP-191
    /// message over `keccak256(abi.encode(keccak256("poai/segment/1"), market, task, segment,
    /// resultRoot, statesRoot, tracesRoot))`.
    struct Signed {
        bytes32 statesRoot;
        bytes32 tracesRoot;
        bytes signature;
    }

    /// @notice Move 4, an equivocation proof: the solver signed an index of the game's segment
    /// whose per-step states are not the ones it posted, or whose trace root at the picked step
    /// (`signedTrace`, at `traceInTraces` in `tracesRoot`) is not the trace it posted. Checkers
    /// judge every op of a segment on what the solver served off chain; without this a solver
    /// could serve a faulty trace, draw challenges, post an honest one and take the bonds.
    function proveEquivocation(
        uint256 id,
        Signed calldata signed,
        bytes32 signedTrace,
        bytes32[] calldata traceInTraces
    ) external {
        (Game storage g, Task memory k) = _move(id, Phase.AwaitProof, false);
        bytes32 digest = SegmentIndex.digest(
            address(market), g.task, g.segment, k.resultRoot, signed.statesRoot, signed.tracesRoot
        );
        if (SegmentIndex.signer(digest, signed.signature) != k.solver) revert NotSignedBySolver();
        if (signed.statesRoot == _steps[g.task][g.segment].root) {
            Merkle.check(
                signed.tracesRoot,
                k.commitments.interval,
                g.step,
                Merkle.leafHash32(signedTrace),
                traceInTraces
            );
            if (signedTrace == _traces[_key(g.task, g.segment, g.step)].root) {
                revert NoFraud(Verdict.Reason.WithinBound);
            }
        }
        _challengerWins(id, g, Win.Equivocation);
    }

    /// @notice A solver's signed segment index as a pass names it: the segment's `k + 1`
    /// per-step state hashes with the paths of the first and last into `resultRoot`, its `k`
    /// trace roots and the solver's signature of the two roots.
    struct Named {
        bytes32[] states;
        bytes32[] firstInResult;
        bytes32[] lastInResult;
        bytes32[] traceRoots;
        bytes signature;
    }

    /// @notice Names, for the caller's *pass* `index` of a task's segment `segment`, the
    /// solver's signed segment index the verifier checked op by op. The index becomes the
    /// segment's posted data: its per-step states are posted now (or must be the ones posted),
    /// every trace posted on the segment must be its trace of that step, and a later naming on
    /// the segment must name the same index. So every game on the segment is played on the data
    /// the pass vouched for, and its verdict is the pass's: a proof of a step, or a timeout the
    /// named data was owed in, burns the pass at settlement (`Market.settle`); the named verifier
    /// may post a trace the solver withholds (`postTrace`). The trace roots are published in
    /// `PassNamed` so that anyone can build a named trace's path. Once, while the task is not
    /// convicted and a quarter of the window is left (`Market.namePass`); the pass is then paid
    /// if the task finalizes.
    function namePass(uint256 taskId, uint256 index, uint64 segment, Named calldata n) external {
        Task memory k = _live(taskId);
        if (market.convictedAt(taskId) != 0) revert AlreadyConvicted(taskId);
        if (n.traceRoots.length != k.commitments.interval) {
            revert WrongCount(k.commitments.interval, n.traceRoots.length);
        }
        bytes32 statesRoot = _stepsRoot(k, segment, n.states, n.firstInResult, n.lastInResult);
        bytes32 tracesRoot = Merkle.root(_leaves(n.traceRoots));
        bytes32 digest = SegmentIndex.digest(
            address(market), taskId, segment, k.resultRoot, statesRoot, tracesRoot
        );
        if (SegmentIndex.signer(digest, n.signature) != k.solver) revert NotSignedBySolver();
        Posted storage posted = _steps[taskId][segment];
        if (posted.at == 0) _postSteps(taskId, segment, statesRoot, n.states);
        else if (posted.root != statesRoot) revert NotThePostedIndex(segment);
        bytes32 named = namedTraces[taskId][segment];
        if (named == 0) {
            if (_tracesPosted[taskId][segment] != 0) {
                for (uint64 s = 0; s < n.traceRoots.length; s++) {
                    bytes32 root = _traces[_key(taskId, segment, s)].root;
                    if (root != 0 && root != n.traceRoots[s]) revert NotThePostedIndex(segment);
                }
            }
            namedTraces[taskId][segment] = tracesRoot;
        } else if (named != tracesRoot) {
            revert NotThePostedIndex(segment);
        }
        market.namePass(
            taskId, index, msg.sender, segment, keccak256(abi.encode(statesRoot, tracesRoot))
        );
        emit PassNamed(taskId, segment, index, msg.sender, statesRoot, n.traceRoots, n.signature);
    }

    /// @notice Decides a game whose mover's time ran out: a silent solver loses the task, a
    /// silent challenger its bond (unless the task is already convicted: then it ends and the
    /// bond goes back).
    function timeout(uint256 id) external {
        Game storage g = _sync(id);
        if (uint8(g.phase) > uint8(Phase.AwaitProof)) revert WrongPhase(id, g.phase);
        if (block.timestamp <= g.deadline) revert NotTimedOut(id, g.deadline);
        if (g.phase == Phase.AwaitSteps || g.phase == Phase.AwaitTrace) {
            // The passes named in time to post the trace themselves (half a move window before
            // the turn's end): a game left overdue before a naming burns no later pass (review
            // of the binding, F1), and a game at its steps none (a naming posts them).
            market.fault(g.task, g.segment, g.deadline - moveWindow / 2);
            _challengerWins(id, g, Win.Timeout);
        } else {
            Task memory k = market.task(g.task);
            // Convicted before the challenger's time ran out (not merely before this call).
            uint64 at = market.convictedAt(g.task);
            bool convicted = at != 0 && at <= g.deadline;
            g.phase = convicted ? Phase.Ended : Phase.SolverWon;
            openOn[g.task][g.segment]--;
            market.closeCase(g.task, convicted ? g.challenger : k.solver, g.bond);
            emit GameEnded(id, g.phase);
        }
    }

    /// @dev The game brought up to date and stored.
    function _sync(uint256 id) internal returns (Game storage g) {
        g = _games[id];
        if (g.phase == Phase.None) revert NoSuchGame(id);
        Game memory s = _synced(g);
        if (s.phase != g.phase) {
            g.phase = s.phase;
            g.turnStart = s.turnStart;
            g.solverClock = s.solverClock;
            g.deadline = s.deadline;
        }
    }

    /// @dev A solver's turn already answered by a shared post, in time for this game, has
    /// passed to the challenger at the later of the post and the turn's start.
    function _synced(Game storage stored) internal view returns (Game memory g) {
        g = stored;
        Posted memory p;
        if (g.phase == Phase.AwaitSteps) p = _steps[g.task][g.segment];
        else if (g.phase == Phase.AwaitTrace) p = _traces[_key(g.task, g.segment, g.step)];
        else return g;
        if (p.at == 0 || p.at > g.deadline) return g;
        uint64 at = p.at > g.turnStart ? p.at : g.turnStart;
        g.solverClock = _left(g.solverClock, at - g.turnStart);
        g.turnStart = at;
        g.phase = Phase(uint8(g.phase) + 1);
        g.deadline = _deadline(at, g.challengerClock, 2 * moveWindow);
    }

    /// @dev The game in `phase` now, the right mover, in time.
    function _move(uint256 id, Phase phase, bool solverMoves)
        internal
        returns (Game storage g, Task memory k)
    {
        g = _sync(id);
        if (g.phase != phase) revert WrongPhase(id, g.phase);
        k = _live(g.task);
        address mover = solverMoves ? k.solver : g.challenger;
        if (msg.sender != mover) revert NotYourMove(id, mover);
        if (block.timestamp > g.deadline) revert MoveTooLate(id, g.deadline);
    }

    /// @dev The challenger moved: its clock is charged, the turn passes to the solver (and on at
    /// once if the solver's answer is already posted).
    function _pass(Game storage g, Phase next) internal {
        uint64 now_ = uint64(block.timestamp);
        g.challengerClock = _left(g.challengerClock, now_ - g.turnStart);
        g.turnStart = now_;
        g.phase = next;
        g.deadline = _deadline(now_, g.solverClock, moveWindow);
        Game memory s = _synced(g);
        if (s.phase != next) {
            g.phase = s.phase;
            g.deadline = s.deadline;
        }
    }

    function _left(uint64 clock_, uint64 used) internal pure returns (uint64) {
        return used >= clock_ ? 0 : clock_ - used;
    }

    /// @dev A turn lasts what the mover has left, and at least `least` (`moveWindow` for the
    /// solver, `2 · moveWindow` for the challenger): each side's total time is bounded, by
    /// `clock + 2·moveWindow` for the solver and `clock + 4·moveWindow` for the challenger (two
    /// turns each).
    function _deadline(uint64 start, uint64 left, uint64 least) internal pure returns (uint64) {
        return start + (left > least ? left : least);
    }

    function _key(uint256 taskId, uint64 segment, uint64 step) internal pure returns (bytes32) {
        return keccak256(abi.encode(taskId, segment, step));
    }

    function _leaves(bytes32[] calldata hashes) internal view returns (bytes32[] memory l) {
        l = new bytes32[](hashes.length);
        for (uint256 i = 0; i < l.length; i++) {
            l[i] = Merkle.leafHash32(hashes[i]);
        }
    }

    /// @dev The disputed step as the prover sees it.
    function _step(Game storage g, Task memory k) internal view returns (OpProof.Step memory) {
        return OpProof.Step({
            programRoot: k.commitments.programRoot,
            ops: k.commitments.ops,
            traceRoot: _traces[_key(g.task, g.segment, g.step)].root,
            slots: k.commitments.slots,
            class: k.commitments.class
        });
    }

    function _challengerWins(uint256 id, Game storage g, Win how) internal {
        g.phase = Phase.ChallengerWon;
        openOn[g.task][g.segment]--;
        // A proof on the segment's posted data faults it (a timeout decides in `timeout`; an
        // equivocation is no verdict on the posted data).
        if (how == Win.Op || how == Win.Data || how == Win.Link) {
            market.fault(g.task, g.segment, uint64(block.timestamp));
        }
        emit FraudProven(id, g.task, how);
        market.convict(g.task, g.challenger, g.bond, g.order, g.segment, how);
    }
}
