// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Merkle} from "../commit/Merkle.sol";
import {State} from "../commit/State.sol";
import {Tensor} from "../commit/Tensor.sol";
import {IMarket, NO_SEGMENT, Task, Win} from "../market/Types.sol";
import {Court} from "./Court.sol";
import {Dispute} from "./Dispute.sol";

/// @title Availability
/// @notice Openings on demand (DESIGN §6 (2)): every commitment the game rests on can be forced
/// open on chain by someone who was given nothing off chain. With the task's bond, anyone asks
/// the solver for
/// - `Leaf`: leaf `i` of `resultRoot` (a checkpoint's state hash, with its path);
/// - `Steps`: a segment's per-step state hashes (answered by `Dispute.postSteps`, which every
///   game on the segment then shares);
/// - `State`: a committed state hash's tensor hashes (as many as the committed layout says);
/// - `Row`: row `r` of a committed tensor (its header and the row with its path), where a row
///   past the end is answered by the header alone ("no such row"), so every request can be
///   answered by an honest solver (AUDIT C1); a request past the end opens the header;
/// - `Data`: entries `[from, to)` of a committed list — a state's tensors or a posted trace's
///   slots — whole: every entry's hash, each asked-for entry's header and its values, so a
///   challenger that was served nothing off chain can rebuild what it needs to re-execute and
///   to prove (a range over `MAX_DATA_BYTES` or `MAX_DATA_ROWS` is answered by its headers, and
///   is then asked for in narrower ranges or by rows).
/// The solver answers within `moveWindow` (a segment's steps within the game's clock); anyone
/// else may answer too, since every answer is checked against what the solver committed (only
/// the solver's is paid its gas): a verifier whose pass named a segment index answers for the
/// data it vouched for, and an unanswered opening of it faults that segment (`Market.fault`: the
/// named passes are burned at settlement). The
/// challenge window stays open at least a move window past an answer to a request made in it
/// (review 5, 1: a cheater answering at the last second must not leave its requester without
/// time to challenge); the bond is then held by the market until the task resolves: the
/// answer's gas to the solver and the rest burned when it finalizes, all of it back to the
/// requester when it is convicted (review 5, 2: withholding off chain earns a solver nothing).
/// Unanswered, the task is convicted as if proven wrong (with the bounded timeout reward: a solver cannot buy a
/// cheap conviction of itself with a request it leaves unanswered, AUDIT H1). Requests are taken
/// while the challenge window is open, and after it only against segments under dispute (AUDIT
/// M5); the bond is at least the market's `minBond`.
contract Availability is Court {
    enum Kind {
        None,
        Leaf,
        Steps,
        State,
        Row,
        Data
    }

    /// @notice The most values (in bytes) and rows one `Data` answer carries: its gas grows with
    /// both (a row root a row), so an answer at both caps stays near 5 M gas, calldata included
    /// (docs/BENCHMARKS.md), and an honest solver can always answer within a block. Past either,
    /// the headers answer.
    uint256 public constant MAX_DATA_BYTES = 64 * 1024;
    uint256 public constant MAX_DATA_ROWS = 1024;

    /// @notice An answered opening pays the solver its gas out of the bond (the rest is burned
    /// when the task finalizes: `IMarket.holdBond`), priced at most at the block's base fee plus
    /// this tip, so a solver that builds its own block cannot price its answers up to the bond.
    uint256 public constant MAX_TIP = 2 gwei;
    /// @notice An answer's gas the contract does not measure: the bond's bookkeeping in the
    /// market after the measurement, as if its slots were written before (the market adds what
    /// a first write costs more: `Market.holdBond`), less the refunds of its counters going to
    /// zero. An answer sent as a transaction of its own (by an account without code) is also
    /// paid the transaction's `TX_GAS` and its calldata at 16 gas a byte, for as many bytes as
    /// the answer's arguments take encoded, and no more (review 5, 2: bytes appended, or
    /// arguments an answer ignores, are not paid for; an answer from a contract, which can send
    /// many in one transaction from one copy of its calldata, is paid its execution only).
    uint256 public constant ANSWER_OVERHEAD_GAS = 29_000;
    uint256 public constant TX_GAS = 21_000;
    /// @notice A `Steps` request is answered by `Dispute.postSteps`, whose gas this contract
    /// does not see: the first request closed on a segment is paid this much plus
    /// `STEPS_GAS_PER_STATE` a state hash (the line through the measured 149 k at k = 10 and
    /// 2.23 M at k = 1 024, a little over the 300 k at k = 100: docs/BENCHMARKS.md); the others
    /// on the same segment, which the same post answered, only the gas of their `answerSteps`.
    uint256 public constant STEPS_GAS = 127_000;
    uint256 public constant STEPS_GAS_PER_STATE = 2_050;

    /// @notice Requests open at once on a task that take its `challengeBond`:
    /// `FREE_REQUESTS + FREE_GAMES · (k + 1)`, room for the per-step states of `FREE_GAMES`
    /// games against a solver that serves nothing off chain (each game's challenger may have to
    /// open all `k + 1` of them to pick its step) besides other demands. Past them, the bond a
    /// new request takes doubles every `BOND_DOUBLING` more open at once (review 5, 5). Bonds pay
    /// for an answer's gas, not for room in blocks: with a flat bond, enough requests at once
    /// could ask an honest solver for more answers than blocks hold before their deadlines.
    /// Priced this way (as Optimism's fault dispute game prices deep moves), holding `free + 8m`
    /// open costs about `free + 16 · 2^m` bonds, so what an honest solver owes at once past
    /// what the game itself may need grows with the log of what a flood can spend
    /// (docs/PROTOCOL.md §9).
    uint256 public constant FREE_REQUESTS = 32;
    uint256 public constant FREE_GAMES = 2;
    uint256 public constant BOND_DOUBLING = 8;
    /// @notice Past this many doublings a request is refused (its bond would be over
    /// `2^64` bonds).
    uint256 public constant MAX_DOUBLINGS = 64;
    /// @notice Openings of a segment's data open at once that a named verifier must answer in
    /// half a move window when the solver withholds them (unpaid: only the solver's answers are
    /// paid): an unanswered one made while more were open faults nothing, so a flood cannot
    /// burn an honest verifier that holds every answer (review of openings by anyone, 1).
    uint256 public constant MAX_NAMED_OPENINGS = 16;

    /// @notice Where a requested state or tensor is committed: a state (the task's initial
    /// state; checkpoint `index`, a leaf of `resultRoot`; or per-step state `index` of
    /// `segment`, a leaf of its posted steps root) and, for a tensor, its place `tensor` in that
    /// state; or slot `index` of the trace posted for `step` of `segment`.
    enum Source {
        None,
        Init,
        Checkpoint,
        StepState,
        TraceSlot
    }

    struct Where {
        Source source;
        uint64 segment;
        uint64 step;
        uint256 index;
        bytes32 stateHash;
        /// The state's (or the slot's) path into its root.
        bytes32[] siblings;
        /// The committed layout, for the state's tensor count.
        bytes layout;
        uint256 tensor;
        bytes32[] tensorSiblings;
    }

    struct Request {
        uint256 task;
        address requester;
        /// Whose data it opens: a checkpoint (`Checkpoint`, `at` its index: a `Leaf` request
        /// too), the initial state (`Init`), or segment `at`'s per-step states (`StepState`: a
        /// `Steps` request too) or traces (`TraceSlot`). An unanswered opening of data a pass
        /// named faults that segment (`requestTimeout`).
        Source source;
        uint64 at;
        /// How many openings of the same segment's data were open when it was made: past
        /// `MAX_NAMED_OPENINGS`, it faults nothing.
        uint16 rank;
        uint256 bond;
        uint64 order;
        Kind kind;
        /// The state (`State`) or tensor (`Row`) asked for.
        bytes32 subject;
        /// The leaf, segment or row asked for.
        uint256 index;
        /// A state's tensor count (a `Data` request's list length).
        uint32 count;
        /// The end of a `Data` request's range (its start is `index`).
        uint32 end;
        /// The segment of the requester's own game this opening serves (its order is that
        /// game's), or `NO_SEGMENT`.
        uint64 segment;
        uint64 deadline;
        bool open;
    }

    /// @notice Where a `Row` request's tensor (or a `Data` request's list) is committed, as its
    /// request proved it: the solver finds the tensor from this, whoever made the request (an
    /// account or a contract).
    struct Located {
        Source source;
        uint64 segment;
        uint64 step;
        /// The state's leaf (checkpoint or per-step state) or the trace slot.
        uint256 index;
        bytes32 stateHash;
        /// The tensor's place in the state.
        uint256 tensor;
    }

    Dispute public immutable dispute;

    mapping(uint256 => Request) internal _requests;
    mapping(uint256 => Located) internal _located;
    uint256 public requestCount;
    /// @notice Requests open on each task (see `bondFor`).
    mapping(uint256 => uint256) public openRequests;
    /// @dev `gasleft()` when the answer being made started (see `metered`).
    uint256 private transient _answerGasStart;
    /// @notice Openings of each segment's data open now (a checkpoint's count for both the
    /// segments it ends and starts).
    mapping(uint256 => mapping(uint64 => uint256)) public openingsOf;
    /// @dev Whether a `Steps` request on (task, segment) was paid the posted steps' gas.
    mapping(bytes32 => bool) internal _stepsPaid;

    event Requested(
        uint256 indexed request, uint256 indexed task, Kind kind, bytes32 subject, uint256 index
    );
    /// @notice Leaf `index` of the task's `resultRoot` opened, with its path: a checker that was
    /// served no checkpoint list names the checkpoint from this in its next request.
    event LeafOpened(
        uint256 indexed request,
        uint256 indexed task,
        uint256 index,
        bytes32 state,
        bytes32[] siblings
    );
    event StateOpened(uint256 indexed request, bytes32 indexed state, bytes32[] tensors);
    event RowServed(uint256 indexed request, bytes32 indexed tensor, uint256 row, bytes data);
    /// @notice The row asked for is past the tensor's end; the header answers.
    event NoSuchRow(uint256 indexed request, bytes32 indexed tensor, Tensor.Header header);
    /// @notice Entries `from..from + headers.length` of the list `subject` (a state hash or a
    /// trace root) opened whole: their headers and their values, row-major, one after the other
    /// (none when they are over `MAX_DATA_BYTES`: the headers answer).
    event DataOpened(
        uint256 indexed request,
        bytes32 indexed subject,
        uint256 from,
        Tensor.Header[] headers,
        bytes data
    );
    event Answered(uint256 indexed request);
    event RequestTimedOut(uint256 indexed request);

    error NoSuchRequest(uint256 id);
    error RequestClosed(uint256 id);
    error BadSource();
    /// @notice What was asked for is already on chain.
    error AlreadyOpen();
    error NoSuchLeaf(uint256 index, uint256 leaves);
    error WrongCount(uint256 expected, uint256 got);
    error NotPosted(uint64 segment);
    error WrongState(bytes32 expected, bytes32 got);
    error BadRange(uint256 from, uint256 to, uint256 count);
    /// @notice A `Data` answer's values are not as long as its headers say.
    error DataLength(uint256 expected, uint256 got);
    /// @notice So many requests are open on the task that a new one's bond would be over
    /// `2^MAX_DOUBLINGS` bonds.
    error Flooded(uint256 task, uint256 open);

    constructor(IMarket market_, Dispute dispute_, uint64 moveWindow_) Court(market_, moveWindow_) {
        dispute = dispute_;
    }

    /// @dev Measures an answer's gas from here to `_close`.
    modifier metered() {
        _answerGasStart = gasleft();
        _;
    }

    /// @notice The least bond a new request on `taskId` takes now: the task's `challengeBond`
    /// while fewer than `freeRequests(taskId)` are open, doubled every `BOND_DOUBLING` open
    /// past them.
    function bondFor(uint256 taskId) external view returns (uint256) {
        return _bondFor(taskId, market.task(taskId));
    }

    /// @notice How many requests may be open on `taskId` at once at its `challengeBond`.
    function freeRequests(uint256 taskId) external view returns (uint256) {
        return _free(market.task(taskId));
    }

    function _free(Task memory k) internal pure returns (uint256) {
        return FREE_REQUESTS + FREE_GAMES * (uint256(k.commitments.interval) + 1);
    }

    function _bondFor(uint256 taskId, Task memory k) internal view returns (uint256) {
        uint256 open = openRequests[taskId];
        uint256 free = _free(k);
        if (open < free) return k.terms.challengeBond;
        uint256 doublings = (open - free) / BOND_DOUBLING + 1;
        if (doublings > MAX_DOUBLINGS) revert Flooded(taskId, open);
        return k.terms.challengeBond << doublings;
    }

    function request(uint256 id) external view returns (Request memory) {
        return _request(id);
    }

    /// @notice Where a `Row` request's tensor is committed.
    function located(uint256 id) external view returns (Located memory) {
        _request(id);
        return _located[id];
    }

    /// @notice Asks for leaf `index` of the task's `resultRoot`.
    function requestLeaf(uint256 taskId, uint256 index) external payable returns (uint256) {
        Task memory k = _open(taskId, NO_SEGMENT);
        uint256 leaves = _segments(k) + 1;
        if (index >= leaves) revert NoSuchLeaf(index, leaves);
        return _new(taskId, Kind.Leaf, 0, index, 0, NO_SEGMENT, Source.Checkpoint, uint64(index));
    }

    /// @notice Asks for segment `segment`'s per-step state hashes.
    function requestSteps(uint256 taskId, uint64 segment) external payable returns (uint256) {
        Task memory k = _open(taskId, segment);
        if (segment >= _segments(k)) revert NoSuchLeaf(segment, _segments(k));
        if (dispute.stepsPostedAt(taskId, segment) != 0) revert AlreadyOpen();
        return _new(taskId, Kind.Steps, 0, segment, 0, segment, Source.StepState, segment);
    }

    /// @notice Asks for the tensor hashes of a committed state.
    function requestState(uint256 taskId, Where calldata w) external payable returns (uint256) {
        Task memory k = _open(taskId, _segmentOf(w));
        if (w.source == Source.TraceSlot) revert BadSource();
        _stateCommitted(taskId, k, w);
        (uint256 count,) = _layout(k, w.layout, 0);
        return
            _new(taskId, Kind.State, w.stateHash, 0, uint32(count), _segmentOf(w), w.source, _at(w));
    }

    /// @notice Asks for row `row` of a committed tensor (any row: one past the end is answered
    /// by the header).
    function requestRow(uint256 taskId, bytes32 tensorHash, uint256 row, Where calldata w)
        external
        payable
        returns (uint256 id)
    {
        Task memory k = _open(taskId, _segmentOf(w));
        if (w.source == Source.TraceSlot) {
            Merkle.check(
                _trace(taskId, w),
                k.commitments.slots,
                w.index,
                Merkle.leafHash32(tensorHash),
                w.siblings
            );
        } else {
            _stateCommitted(taskId, k, w);
            (uint256 count,) = _layout(k, w.layout, 0);
            State.checkTensor(w.stateHash, count, w.tensor, tensorHash, w.tensorSiblings);
        }
        id = _new(taskId, Kind.Row, tensorHash, row, 0, _segmentOf(w), w.source, _at(w));
        _locate(id, w);
    }

    /// @notice Asks for entries `[from, to)` of a committed list, whole: a state's tensors
    /// (`w` names the state as for `requestState`) or the slots of a posted trace (`w.source`
    /// is `TraceSlot`, with its segment and step).
    function requestData(uint256 taskId, Where calldata w, uint32 from, uint32 to)
        external
        payable
        returns (uint256 id)
    {
        Task memory k = _open(taskId, _segmentOf(w));
        bytes32 subject;
        uint256 count;
        if (w.source == Source.TraceSlot) {
            subject = _trace(taskId, w);
            count = k.commitments.slots;
        } else {
            _stateCommitted(taskId, k, w);
            (count,) = _layout(k, w.layout, 0);
            subject = w.stateHash;
        }
        if (from >= to || to > count) revert BadRange(from, to, count);
        id = _new(taskId, Kind.Data, subject, from, uint32(count), _segmentOf(w), w.source, _at(w));
        _requests[id].end = to;
        _locate(id, w);
    }

    /// @notice An answer to a `Leaf` request: the state hash and its path.
    function answerLeaf(uint256 id, bytes32 stateHash, bytes32[] calldata siblings)
        external
        metered
    {
        (Request storage r, Task memory k) = _answer(id, Kind.Leaf);
        Merkle.check(
            k.resultRoot, _segments(k) + 1, r.index, Merkle.leafHash32(stateHash), siblings
        );
        emit LeafOpened(id, r.task, r.index, stateHash, siblings);
        _close(id, r, k, 4 + 32 * (4 + siblings.length));
    }

    /// @notice Closes a `Steps` request whose segment's steps the solver has posted
    /// (`Dispute.postSteps`) before the request's deadline. Anyone may close it (a cheater that
    /// posts its steps but leaves its own requests open would keep a flood's price up for a
    /// game's clock); only the solver's close is paid its own gas.
    function answerSteps(uint256 id) external metered {
        Request storage r = _request(id);
        if (!r.open || r.kind != Kind.Steps) revert RequestClosed(id);
        if (block.timestamp > r.deadline) revert MoveTooLate(id, r.deadline);
        if (dispute.stepsPostedAt(r.task, uint64(r.index)) == 0) revert NotPosted(uint64(r.index));
        Task memory k = market.task(r.task);
        _close(id, r, k, msg.sender == k.solver ? 4 + 32 : 0);
    }

    /// @notice An answer to a `State` request: the state's tensor hashes in order.
    function answerState(uint256 id, bytes32[] calldata tensors) external metered {
        (Request storage r, Task memory k) = _answer(id, Kind.State);
        if (tensors.length != r.count) revert WrongCount(r.count, tensors.length);
        bytes32 got = State.hash(tensors);
        if (got != r.subject) revert WrongState(r.subject, got);
        emit StateOpened(id, r.subject, tensors);
        _close(id, r, k, 4 + 32 * (3 + tensors.length));
    }

    /// @notice An answer to a `Row` request: the tensor's header, and the row with its
    /// path unless the row is past the end (then `data` and `siblings` are ignored).
    function answerRow(
        uint256 id,
        Tensor.Header calldata header,
        bytes calldata data,
        bytes32[] calldata siblings
    ) external metered {
        (Request storage r, Task memory k) = _answer(id, Kind.Row);
        if (r.index >= header.rows) {
            Tensor.check(header, r.subject);
            emit NoSuchRow(id, r.subject, header);
            // The row and its path are ignored: the header alone answers.
            _close(id, r, k, 4 + 32 * 9);
        } else {
            Tensor.checkRow(header, r.subject, r.index, data, siblings);
            emit RowServed(id, r.subject, r.index, data);
            _close(id, r, k, 4 + 32 * (9 + siblings.length) + _padded(data.length));
        }
    }

    /// @notice An answer to a `Data` request: the hash of every entry of the list (the
    /// list's commitment is checked from them), the header of each asked-for entry, and their
    /// values one after the other — or none, when the asked-for entries hold more than
    /// `MAX_DATA_BYTES` or `MAX_DATA_ROWS` (the headers then show it).
    function answerData(
        uint256 id,
        bytes32[] calldata hashes,
        Tensor.Header[] calldata headers,
        bytes calldata data
    ) external metered {
        (Request storage r, Task memory k) = _answer(id, Kind.Data);
        if (hashes.length != r.count) revert WrongCount(r.count, hashes.length);
        bytes32 got = _located[id].source == Source.TraceSlot
            ? Merkle.rootOfHashes(hashes)
            : State.hash(hashes);
        if (got != r.subject) revert WrongState(r.subject, got);
        if (headers.length != r.end - r.index) {
            revert WrongCount(r.end - r.index, headers.length);
        }
        _checkValues(hashes[r.index:r.end], headers, data);
        emit DataOpened(id, r.subject, r.index, headers, data);
        _close(id, r, k, 4 + 32 * (7 + hashes.length + 4 * headers.length) + _padded(data.length));
    }

    /// @dev Each header hashes to its entry, and `data` holds their values whole (rebuilding
    /// each `rowsRoot`) — or nothing, when they are over `MAX_DATA_BYTES` or `MAX_DATA_ROWS`.
    function _checkValues(
        bytes32[] calldata hashes,
        Tensor.Header[] calldata headers,
        bytes calldata data
    ) internal view {
        uint256 total;
        uint256 rows;
        for (uint256 i; i < headers.length; ++i) {
            Tensor.check(headers[i], hashes[i]);
            total += uint256(headers[i].rows) * headers[i].cols * 4;
            rows += headers[i].rows;
        }
        if (total > MAX_DATA_BYTES || rows > MAX_DATA_ROWS) {
            if (data.length != 0) revert DataLength(0, data.length);
            return;
        }
        if (data.length != total) revert DataLength(total, data.length);
        uint256 at;
        for (uint256 i; i < headers.length; ++i) {
            Tensor.Header calldata h = headers[i];
            uint256 size = uint256(h.rows) * h.cols * 4;
            bytes32 root = Tensor.rowsRoot(data[at:at + size], h.rows, h.cols);
            if (root != h.rowsRoot) revert Tensor.HashMismatch(h.rowsRoot, root);
            at += size;
        }
    }

    /// @notice Closes a request after its deadline: answered in time (a `Steps` request is
    /// answered by the segment's posted steps), its bond is held as for any answer; otherwise
    /// the task is convicted with the requester as challenger.
    function requestTimeout(uint256 id) external {
        Request storage r = _request(id);
        if (!r.open) revert RequestClosed(id);
        if (block.timestamp <= r.deadline) revert NotTimedOut(id, r.deadline);
        if (r.kind == Kind.Steps) {
            uint64 at = dispute.stepsPostedAt(r.task, uint64(r.index));
            if (at != 0 && at <= r.deadline) {
                _close(id, r, market.task(r.task), 0);
                return;
            }
        }
        r.open = false;
        openRequests[r.task]--;
        _count(r.task, r.source, r.at, false);
        emit RequestTimedOut(id);
        if (r.rank < MAX_NAMED_OPENINGS) _faultNamed(r);
        market.convict(r.task, r.requester, r.bond, r.order, r.segment, Win.Unavailable);
    }

    /// @dev The segments whose named index holds the data a request opens (`source`, `at`):
    /// a checkpoint ends one segment and starts the next (one past the last is never named);
    /// `hi < lo` for none.
    function _segmentsOf(Source source, uint64 at) internal pure returns (uint64 lo, uint64 hi) {
        if (source == Source.Checkpoint) return (at > 0 ? at - 1 : 0, at);
        if (source == Source.Init) return (0, 0);
        if (source == Source.StepState || source == Source.TraceSlot) return (at, at);
        return (1, 0);
    }

    /// @dev Counts an opening of that data in (`open`) or out; returns how many were open
    /// before it, on the busier of its segments.
    function _count(uint256 taskId, Source source, uint64 at, bool open)
        internal
        returns (uint256 before)
    {
        (uint64 lo, uint64 hi) = _segmentsOf(source, at);
        for (uint64 j = lo; j <= hi; j++) {
            uint256 n = openingsOf[taskId][j];
            if (n > before) before = n;
            openingsOf[taskId][j] = open ? n + 1 : n - 1;
        }
    }

    /// @dev Faults the segments whose named index holds the data request `r` opened, for the
    /// passes named in time to answer it themselves (half a move window before its deadline):
    /// a named pass answers for the data it vouched for, as the solver does, so a solver that
    /// posts a named trace's hashes and withholds their values does not spare the pass. An
    /// opening left overdue before a naming burns no later pass (as a game: F1), and each
    /// pass is held to its own naming time.
    function _faultNamed(Request storage r) internal {
        (uint64 lo, uint64 hi) = _segmentsOf(r.source, r.at);
        for (uint64 j = lo; j <= hi; j++) {
            market.fault(r.task, j, r.deadline - moveWindow / 2);
        }
    }

    /// @dev The root of the trace `w` names (posted, or the request reverts).
    function _trace(uint256 taskId, Where calldata w) internal view returns (bytes32 root) {
        root = dispute.traceRoot(taskId, w.segment, w.step);
        if (root == 0) revert NotPosted(w.segment);
    }

    /// @dev Keeps where request `id`'s subject is committed, for the solver to find it.
    function _locate(uint256 id, Where calldata w) internal {
        _located[id] = Located({
            source: w.source,
            segment: w.segment,
            step: w.step,
            index: w.index,
            stateHash: w.stateHash,
            tensor: w.tensor
        });
    }

    /// @dev The task, if a request about `segment` may be made now (during the challenge
    /// window, or after it about a segment with an open game) with at least the bond it takes.
    function _open(uint256 taskId, uint64 segment) internal view returns (Task memory k) {
        k = _live(taskId);
        if (block.timestamp > k.deadline) {
            if (segment == NO_SEGMENT || dispute.openOn(taskId, segment) == 0) {
                revert TooLate(taskId, k.deadline);
            }
        }
        // At least the price (more is held as the request's bond): a request raced by another
        // that moved the price does not fail for sending what it read a moment before.
        uint256 bond = _bondFor(taskId, k);
        if (msg.value < bond) revert WrongBond(bond, msg.value);
    }

    /// @dev Where in the run the data `w` names is: a checkpoint's index, or a segment.
    function _at(Where calldata w) internal pure returns (uint64) {
        return w.source == Source.Checkpoint ? uint64(w.index) : w.segment;
    }

    /// @dev The segment a request is about, if it is one under dispute (per-step states and
    /// trace slots); `NO_SEGMENT` for the task's initial state and its checkpoints.
    function _segmentOf(Where calldata w) internal pure returns (uint64) {
        return w.source == Source.StepState || w.source == Source.TraceSlot ? w.segment : NO_SEGMENT;
    }

    /// @dev Reverts unless `w.stateHash` is committed where `w` says.
    function _stateCommitted(uint256 taskId, Task memory k, Where calldata w) internal view {
        bytes32 leaf = Merkle.leafHash32(w.stateHash);
        if (w.source == Source.Init) {
            if (w.stateHash != k.commitments.initStateHash) {
                revert WrongState(k.commitments.initStateHash, w.stateHash);
            }
        } else if (w.source == Source.Checkpoint) {
            Merkle.check(k.resultRoot, _segments(k) + 1, w.index, leaf, w.siblings);
        } else if (w.source == Source.StepState) {
            bytes32 root = dispute.stepsRoot(taskId, w.segment);
            if (root == 0) revert NotPosted(w.segment);
            Merkle.check(root, k.commitments.interval + 1, w.index, leaf, w.siblings);
        } else {
            revert BadSource();
        }
    }

    /// @dev A new request; one about a segment on which the requester has a game of its own
    /// takes that game's order and segment (a challenger demanding what its game needs ranks as
    /// its game does).
    function _new(
        uint256 taskId,
        Kind kind,
        bytes32 subject,
        uint256 index,
        uint32 count,
        uint64 segment,
        Source source,
        uint64 at
    ) internal returns (uint256 id) {
        uint64 order = market.openCase{value: msg.value}(taskId, msg.sender, NO_SEGMENT);
        uint64 game = segment == NO_SEGMENT ? 0 : dispute.orderOf(taskId, segment, msg.sender);
        if (game != 0) order = game;
        else segment = NO_SEGMENT;
        id = ++requestCount;
        openRequests[taskId]++;
        uint256 rank = _count(taskId, source, at, true);
        _requests[id] = Request({
            task: taskId,
            requester: msg.sender,
            source: source,
            at: at,
            rank: uint16(rank < type(uint16).max ? rank : type(uint16).max),
            bond: msg.value,
            order: order,
            kind: kind,
            subject: subject,
            index: index,
            count: count,
            end: 0,
            segment: segment,
            deadline: uint64(block.timestamp) + (kind == Kind.Steps ? _stepsTime() : moveWindow),
            open: true
        });
        emit Requested(id, taskId, kind, subject, index);
    }

    /// @dev A segment's steps are due in the time a game gives the solver for them (its clock,
    /// at least `moveWindow`), not faster: a request must not shorten what the game allows
    /// (demanding every segment's steps at once asks the solver to recompute the whole run).
    function _stepsTime() internal view returns (uint64) {
        uint64 c = dispute.clock();
        return c > moveWindow ? c : moveWindow;
    }

    function _answer(uint256 id, Kind kind)
        internal
        view
        returns (Request storage r, Task memory k)
    {
        r = _request(id);
        if (!r.open || r.kind != kind) revert RequestClosed(id);
        k = market.task(r.task);
        if (block.timestamp > r.deadline) revert MoveTooLate(id, r.deadline);
    }

    /// @dev An answered request: closed, the challenge window kept open a move window past
    /// the answer (review 5, 1: see `IMarket.extendWindow`), and its bond held with the
    /// answer's gas marked the solver's (review 5, 2): measured from the answer's start (`size`
    /// is its arguments' encoded length; zero for a `Steps` request closed by `requestTimeout`
    /// or by anyone but the solver, which the solver did not send), and, for the first `Steps` request closed on a segment,
    /// the posted steps' estimated gas. A `Steps` request's window runs from when it closes: one
    /// posted in time but closed by `requestTimeout` after its deadline still leaves its
    /// requester a move window.
    function _close(uint256 id, Request storage r, Task memory k, uint256 size) internal {
        // Anyone may answer (the answer is checked against what the solver committed): the
        // solver's answer is paid its gas when the task finalizes; a verifier whose pass named
        // the opened data is paid its answer's gas at once out of the bond (`IMarket.holdBond`:
        // review of the guard, 3); anyone else's is paid nothing (a front-runner of either
        // gains nothing). A `Steps` request closed by `requestTimeout` was answered by the
        // posted steps, the solver's gas.
        address answerer = k.solver;
        if (msg.sender != k.solver) {
            (uint64 lo, uint64 hi) = _segmentsOf(r.source, r.at);
            if (size != 0 && lo <= hi && market.namedBy(r.task, msg.sender, lo, hi)) {
                answerer = msg.sender;
            } else {
                size = 0;
            }
        }
        r.open = false;
        openRequests[r.task]--;
        _count(r.task, r.source, r.at, false);
        emit Answered(id);
        uint256 gas;
        uint64 asked = r.deadline - moveWindow;
        if (r.kind == Kind.Steps) {
            asked = r.deadline - _stepsTime();
            bytes32 key = keccak256(abi.encode(r.task, r.index));
            if (!_stepsPaid[key]) {
                _stepsPaid[key] = true;
                gas = STEPS_GAS + STEPS_GAS_PER_STATE * (k.commitments.interval + 1);
            }
        }
        market.extendWindow(r.task, asked, uint64(block.timestamp) + moveWindow);
        if (size != 0) {
            gas += _answerGasStart - gasleft() + ANSWER_OVERHEAD_GAS;
            // solhint-disable-next-line avoid-tx-origin
            if (msg.sender == tx.origin && msg.sender.code.length == 0) {
                gas += TX_GAS + 16 * (msg.data.length < size ? msg.data.length : size);
            }
        }
        uint256 price = block.basefee + MAX_TIP;
        if (tx.gasprice < price) price = tx.gasprice;
        // (Nothing to pay: a `Steps` request closed by another's `requestTimeout` after the
        // first on its segment.)
        if (gas == 0) price = 0;
        market.holdBond(r.task, r.requester, answerer, r.bond, gas, price);
    }

    /// @dev `n` rounded up to whole words, as ABI encoding pads a `bytes`.
    function _padded(uint256 n) internal pure returns (uint256) {
        return (n + 31) / 32 * 32;
    }

    function _request(uint256 id) internal view returns (Request storage r) {
        r = _requests[id];
        if (r.task == 0) revert NoSuchRequest(id);
    }
}
