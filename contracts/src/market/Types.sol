// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

/// @title Types
/// @notice What the market and its two courts (the dispute game and data availability) share:
/// the task's status, commitments and terms, how a case against a solver was won, and the
/// narrow interface through which a court opens, closes and wins cases. The market holds every
/// wei; the courts hold none (docs/ARCHITECTURE.md, "Contracts").

/// @notice A task's phase. `None` is never a task's.
enum Status {
    None,
    Open,
    Claimed,
    Committed,
    Finalized,
    Refunded,
    /// Convicted: the solver's stake is seized. Cases still open play on, and the stake is
    /// split (`Market.settle`) once they have all ended and the challenge window has closed.
    Slashed
}

/// @notice The two kinds of stake. `None` is never valid.
enum Role {
    None,
    Solver,
    Verifier
}

/// @notice How a case against the solver was won: a proof (`Op`, `Data`, `Link`), the solver's
/// silence in a game (`Timeout`), or an unanswered opening (`Unavailable`). Every win in a game,
/// and an unanswered opening that a challenger demanded for its own game, ranks for the bounty
/// by the age of that game; an opening about no game of its requester's earns only the bounded
/// timeout reward, since leaving one's own request unanswered is the cheapest way to convict
/// oneself (AUDIT H1).
enum Win {
    Op,
    Data,
    Link,
    Timeout,
    Unavailable,
    /// The solver signed a segment index (per-step states, trace roots) other than what it
    /// posted in the game (`Dispute.proveEquivocation`).
    Equivocation
}

/// @notice What a task commits to (DESIGN §3): the program (its root, op and slot counts, and
/// `layoutHash` over its state layout), the data set, the initial state, the batch rule's seed,
/// `T`, `k`, the batch size, the precision class, and the full spec's hash.
struct Commitments {
    bytes32 programRoot;
    bytes32 datasetHash;
    bytes32 initStateHash;
    bytes32 seed;
    bytes32 layoutHash;
    bytes32 specHash;
    uint64 steps;
    uint64 interval;
    uint32 ops;
    uint32 slots;
    uint32 batch;
    uint8 class;
}

/// @notice The deal: the solver's stake, what a challenger bonds, what each sampled verifier
/// locks and earns, how many segments are sampled, and the task's deadlines (seconds).
struct Terms {
    uint256 solverStake;
    uint256 challengeBond;
    uint256 verifierStake;
    uint256 verifierFee;
    uint32 samples;
    uint64 claimBy;
    uint64 solveWithin;
    uint64 challengeWithin;
}

struct Task {
    Commitments commitments;
    Terms terms;
    address submitter;
    address solver;
    uint256 payment;
    Status status;
    /// The current phase's deadline: claim, commit or challenge.
    uint64 deadline;
    /// The block of `commitResult`, after which sampling's randomness is drawn.
    uint64 committedBlock;
    bytes32 resultRoot;
    /// Games and availability requests not yet decided; the task cannot settle while any is.
    uint32 openCases;
}

// A segment number that names no segment (a case about no one segment).
uint64 constant NO_SEGMENT = type(uint64).max;

/// @notice What a court may ask of the market. Only the two courts wired at deployment may call
/// the state-changing functions.
interface IMarket {
    function task(uint256 id) external view returns (Task memory);

    /// @notice Holds `msg.value` (the bond the court asks, at least the task's) for a new case
    /// by `challenger` about `segment` (`NO_SEGMENT` for none); returns the case's rank (cases
    /// are ranked by when they opened, across both courts).
    function openCase(uint256 id, address challenger, uint64 segment)
        external
        payable
        returns (uint64 order);

    /// @notice A case ended without a conviction: its bond goes to `to`.
    function closeCase(uint256 id, address to, uint256 bond) external;

    /// @notice An opening was answered: its bond is held until the task resolves. Finalized,
    /// the answer's gas (`gas` as the court measured it, plus what the bond's first writes cost
    /// here, at `price` a unit; at most the bond) is the solver's and the rest is burned;
    /// convicted, all of it goes back to `requester`. So a cheater that serves nothing
    /// off chain cannot farm the bonds of the openings it forces (review E), and an honest
    /// solver earns nothing by withholding off chain what it must then answer on chain (review
    /// 5, 2), while a flood of requests still costs its bonds. An answer by another than the
    /// solver (`answerer`: a verifier whose pass named the opened data, answering for what it
    /// vouched for; the court pays no one else) is paid its gas now, out of the bond, whatever
    /// the task's end, and the rest is held with none of it the solver's (review of the guard,
    /// 3: an opening reopened as each is answered costs its requester every answer it forces).
    function holdBond(
        uint256 id,
        address requester,
        address answerer,
        uint256 bond,
        uint256 gas,
        uint256 price
    ) external;

    /// @notice An opening asked for at `askedAt` was answered: the challenge window stays open
    /// until `until` (a move window after the answer) if it was asked for before the window, as
    /// committed, closed (review 5, 1: a last-second answer must leave time to use it).
    function extendWindow(uint256 id, uint64 askedAt, uint64 until) external;

    /// @notice Pass `index` of task `id` by `verifier` names the segment index `checked`
    /// (`keccak256(abi.encode(statesRoot, tracesRoot))`) of `segment`, which the court checked
    /// its solver signed and made the segment's posted data: the pass is then paid on a
    /// finalized task, and burned on a convicted one whose games faulted that segment.
    function namePass(uint256 id, uint256 index, address verifier, uint64 segment, bytes32 checked)
        external;

    /// @notice A verdict on segment `segment`'s posted data (a proof, or the solver's silence
    /// on a trace or an opening): the passes that named it at or before `namedBy` (every one
    /// for a proof; for a silence, those that had half a move window to answer it themselves)
    /// are burned at settlement.
    function fault(uint256 id, uint64 segment, uint64 namedBy) external;

    /// @notice When the task was convicted (zero: not convicted).
    function convictedAt(uint256 id) external view returns (uint64);

    /// @notice Whether `verifier` holds a *pass* of task `id` that named a segment in
    /// `lo..=hi` (an answer of that data by it is paid its gas out of the request's bond).
    function namedBy(uint256 id, address verifier, uint64 lo, uint64 hi)
        external
        view
        returns (bool);

    /// @notice A case won against the solver: its bond back to the challenger, the task
    /// convicted if it was not yet, and the case ranked for the bounty (DESIGN §6 (3)) by
    /// `order`; `segment` is the segment it proved wrong, or `NO_SEGMENT`.
    function convict(
        uint256 id,
        address challenger,
        uint256 bond,
        uint64 order,
        uint64 segment,
        Win how
    ) external;
}

/// @notice The court's view of a game, for the availability court (requests after the window
/// are allowed only against segments under dispute).
interface IDispute {
    /// @notice The order of `challenger`'s earliest open game on `segment` of `task` (zero:
    /// none open).
    function orderOf(uint256 task, uint64 segment, address challenger)
        external
        view
        returns (uint64);

    function openOn(uint256 task, uint64 segment) external view returns (uint32);
    function stepsRoot(uint256 task, uint64 segment) external view returns (bytes32);
    function traceRoot(uint256 task, uint64 segment, uint64 step) external view returns (bytes32);
}
