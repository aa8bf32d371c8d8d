// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Tasks} from "./Tasks.sol";
import {Role, Status, Task} from "./Types.sol";
import {Stakes} from "./Stakes.sol";

/// @title Attestations
/// @notice Sampling and tier-1 attestations (DESIGN §1, steps 4–5). Once the result is committed,
/// randomness nobody knew while training picks the segments to verify and, among the registered
/// verifiers, who verifies each; the assigned verifier's stake is locked at once. What a verifier
/// earns follows from what it attested and what became of the task (docs/PROTOCOL.md §9):
///
/// - *pass*: its stake back, and the fee when the task finalizes if the pass names the solver's
///   signed segment index it checked op by op (`Dispute.namePass`, before any conviction and
///   while a quarter of the window is left: docs/PROTOCOL.md §9–§10); a pass that names none is
///   paid nothing (its fee goes back to the submitter, so a solver that serves no index gains
///   nothing by it). Naming makes the index the segment's posted data, so a game on the segment
///   is a game on what the pass vouched for: a named pass is burned when a game faulted its
///   segment (an op, load or link proof, or a timeout on data the named verifier could have
///   posted itself). An honest verifier named data it checked with the contract's own decision
///   and holds it, so no proof or withholding burns it (C3); a lazy one cannot be shielded by a
///   solver that signs it a second index (the second naming is refused, or it is the data
///   played on);
/// - *fail*: only when backed by a challenge of that segment by the same verifier; an unbacked
///   *fail* on a task that finalizes is burned (AUDIT H2: a *fail* is not free money); a backed
///   one is unlocked (its game ranks for the bounty by its order, like any other);
/// - silence: the stake is burned, and a quarter of the window after sampling anyone may
///   re-sample.
abstract contract Attestations is Tasks {
    enum Attest {
        None,
        Pass,
        Fail,
        /// A named *pass* of a segment a game faulted, burned at settlement.
        Wrong
    }

    struct Sample {
        uint64 segment;
        address verifier;
        Attest attest;
        /// The verifier challenged this segment after attesting *fail*.
        bool backed;
        /// The tier-1 distance the verifier measured, as 1e18 fixed point.
        uint256 distance;
        /// `keccak256(abi.encode(statesRoot, tracesRoot))` of the signed segment index a *pass*
        /// names as checked op by op (zero: none named).
        bytes32 checked;
        /// When the pass named it.
        uint64 namedAt;
    }

    /// @notice Blocks after the commit's before sampling may draw: the commit's successor's hash
    /// is part of the seed.
    uint64 public constant SAMPLE_DELAY = 2;
    /// @notice Draws per sample to find an eligible verifier (not the solver, with the stake).
    uint256 public constant DRAWS = 8;

    /// @notice The least free verifier stake a verifier registers with (AUDIT H2: no 1-wei
    /// sybils).
    uint256 public immutable minVerifierStake;

    /// @notice Verifiers that sampling may assign.
    address[] public verifiers;
    mapping(address => bool) public registered;
    mapping(uint256 => Sample[]) internal _samples;
    mapping(uint256 => bool) public sampled;
    /// @notice Per segment of a task, the latest naming time a fault of its posted data (the
    /// index a pass named there, if one did) covers: a named pass of the segment named at or
    /// before it is burned at settlement (zero: no fault). A proof covers every naming before
    /// it; the solver's silence on a trace or an opening covers the namings that left their
    /// verifier half a move window to answer it (`Market.fault`).
    mapping(uint256 => mapping(uint64 => uint64)) public faultedUntil;
    mapping(uint256 => bytes32) public seedOf;
    mapping(uint256 => uint64) public sampledAt;
    /// @dev When sample `index` of a task was last re-sampled: its replacement gets its own
    /// quarter of the window before it can be re-sampled (without it, anyone could burn one freshly
    /// drawn verifier after another in a single block).
    mapping(uint256 => mapping(uint256 => uint64)) internal _resampledAt;

    event VerifierRegistered(address indexed verifier);
    /// @notice A verifier left the set: its stake fell below the minimum.
    event VerifierDeregistered(address indexed verifier);
    event Sampled(uint256 indexed task, uint256 index, uint64 segment, address indexed verifier);
    /// @notice The task's samples are drawn (perhaps fewer than asked, with too few eligible
    /// verifiers).
    event SamplingDone(uint256 indexed task, bytes32 seed, uint256 samples);
    event Attested(
        uint256 indexed task, uint256 index, address indexed verifier, bool pass, uint256 distance
    );
    /// @notice A game faulted the segment pass `index` named the index of: its stake is burned.
    event PassProvenWrong(uint256 indexed task, uint256 index, address indexed verifier);
    event Resampled(uint256 indexed task, uint256 index, address indexed from, address to);
    event VerifierSlashed(uint256 indexed task, address indexed verifier, uint256 amount);

    error AlreadyRegistered();
    error NoVerifierStake(uint256 free, uint256 needed);
    error AlreadySampled(uint256 task);
    error TooSoonToSample(uint256 task, uint64 fromBlock);
    error NotAssigned(uint256 task, uint256 index, address verifier);
    error AlreadyAttested(uint256 task, uint256 index);
    error NoSuchSample(uint256 task, uint256 index);
    error TooSoonToResample(uint256 task, uint64 at);

    constructor(uint256 minVerifierStake_) {
        minVerifierStake = minVerifierStake_;
    }

    function samplesOf(uint256 id) external view returns (Sample[] memory) {
        return _samples[id];
    }

    /// @notice Adds the caller to the verifiers that sampling assigns; it must hold at least
    /// `minVerifierStake` of free verifier stake.
    function registerVerifier() external nonReentrant {
        if (registered[msg.sender]) revert AlreadyRegistered();
        uint256 free = _stakes[msg.sender][Role.Verifier].free;
        if (free == 0 || free < minVerifierStake) revert NoVerifierStake(free, minVerifierStake);
        registered[msg.sender] = true;
        verifiers.push(msg.sender);
        emit VerifierRegistered(msg.sender);
    }

    /// @notice Draws the task's samples and locks each assigned verifier's stake. The seed mixes
    /// the commit's successor's hash (zero once out of reach, after 256 blocks) with the RANDAO
    /// value of the block that samples, which that block's builder cannot choose (AUDIT M1;
    /// the residual bias is in docs/THREAT_MODEL.md).
    function sample(uint256 id) external nonReentrant {
        Task storage k = _task(id);
        _expect(id, k, Status.Committed);
        if (sampled[id]) revert AlreadySampled(id);
        uint64 from = k.committedBlock + SAMPLE_DELAY;
        if (block.number < from) revert TooSoonToSample(id, from);
        // Sampling closes halfway through the challenge window, so that an assigned verifier
        // always has half the window to attest: a `sample` at the window's end followed by
        // `finalize` would burn every assigned verifier as a no-show and keep their fees.
        // (Of the window as committed: answers that extend it do not move sampling.)
        uint64 until = _windowEnd(id, k) - k.terms.challengeWithin / 2;
        if (block.timestamp > until) revert TooLate(id, until);
        bytes32 seed = keccak256(
            abi.encode(blockhash(k.committedBlock + 1), block.prevrandao, id, k.resultRoot)
        );
        sampled[id] = true;
        seedOf[id] = seed;
        sampledAt[id] = uint64(block.timestamp);
        uint64 segments = k.commitments.steps / k.commitments.interval;
        for (uint256 i = 0; i < k.terms.samples; i++) {
            address v = _draw(k, keccak256(abi.encode(seed, "verifier", i)), address(0));
            if (v == address(0)) continue;
            uint64 segment = uint64(uint256(keccak256(abi.encode(seed, "segment", i))) % segments);
            _lock(v, Role.Verifier, k.terms.verifierStake);
            emit Sampled(id, _samples[id].length, segment, v);
            _samples[id].push(
                Sample({
                    segment: segment,
                    verifier: v,
                    attest: Attest.None,
                    backed: false,
                    distance: 0,
                    checked: bytes32(0),
                    namedAt: 0
                })
            );
        }
        emit SamplingDone(id, seed, _samples[id].length);
    }

    /// @dev A registered verifier other than the solver and `not`, with the task's verifier stake
    /// free, or zero after `DRAWS` tries. A drawn verifier whose stake (free and locked) fell
    /// below `minVerifierStake` leaves the set (swapped with the last), so verifiers that took
    /// their stake out cannot absorb the draws.
    function _draw(Task storage k, bytes32 seed, address not) internal returns (address) {
        for (uint256 t = 0; t < DRAWS; t++) {
            uint256 n = verifiers.length;
            if (n == 0) return address(0);
            uint256 at = uint256(keccak256(abi.encode(seed, t))) % n;
            address v = verifiers[at];
            Stake storage st = _stakes[v][Role.Verifier];
            if (st.free + st.locked < minVerifierStake || st.free + st.locked == 0) {
                verifiers[at] = verifiers[n - 1];
                verifiers.pop();
                registered[v] = false;
                emit VerifierDeregistered(v);
                continue;
            }
            if (v == k.solver || v == not) continue;
            if (st.free < k.terms.verifierStake) continue;
            return v;
        }
        return address(0);
    }

    /// @notice The assigned verifier's verdict on sample `index`, before the challenge window
    /// closes. A *fail* must be backed by the verifier's own challenge of the segment. A *pass*
    /// names the solver's signed segment index it checked op by op through the dispute court
    /// (`Dispute.namePass`, which checks the signature and publishes the index's trace roots),
    /// to be paid and held to it.
    /// A task convicted early stays open to attestations until the window closes: its silent
    /// samples are burned at settlement, so they must keep the time they were given.
    function attest(uint256 id, uint256 index, bool pass, uint256 distance) external nonReentrant {
        (, Sample storage s) = _assigned(id, index, msg.sender);
        if (s.attest != Attest.None) revert AlreadyAttested(id, index);
        s.attest = pass ? Attest.Pass : Attest.Fail;
        s.distance = distance;
        emit Attested(id, index, msg.sender, pass, distance);
    }

    /// @dev Task `id` and its sample `index`, whose verifier is `verifier`, while the task takes
    /// attestations (committed, or convicted early, until the window closes).
    function _assigned(uint256 id, uint256 index, address verifier)
        internal
        view
        returns (Task storage k, Sample storage s)
    {
        k = _task(id);
        if (k.status != Status.Committed && k.status != Status.Slashed) {
            revert WrongStatus(id, k.status);
        }
        if (block.timestamp > k.deadline) revert TooLate(id, k.deadline);
        s = _sample(id, index);
        if (verifier != s.verifier) revert NotAssigned(id, index, s.verifier);
    }

    /// @dev Pass `index` of `verifier` on `segment` names index `checked` (the court checked
    /// the solver's signature): once, a *pass* that named none, while at least a quarter of the
    /// window is left for challenges (a pass named at the last second would ride on the checks
    /// of others with no risk left: review of pass liability, H1).
    function _name(uint256 id, uint256 index, address verifier, uint64 segment, bytes32 checked)
        internal
    {
        (Task storage k, Sample storage s) = _assigned(id, index, verifier);
        uint64 last = k.deadline - k.terms.challengeWithin / 4;
        if (block.timestamp > last) revert TooLate(id, last);
        if (s.attest != Attest.Pass || s.checked != 0 || s.segment != segment) {
            revert AlreadyAttested(id, index);
        }
        s.checked = checked;
        s.namedAt = uint64(block.timestamp);
    }

    /// @notice Replaces a verifier that has not attested a quarter of the window after it was
    /// drawn: its stake is burned and another is drawn (from randomness of this block, for the
    /// same segment), while a quarter of the window is left.
    function resample(uint256 id, uint256 index) external nonReentrant {
        Task storage k = _task(id);
        _expect(id, k, Status.Committed);
        if (block.timestamp > k.deadline) revert TooLate(id, k.deadline);
        Sample storage s = _sample(id, index);
        if (s.attest != Attest.None || s.verifier == address(0)) revert AlreadyAttested(id, index);
        uint64 from = sampledAt[id];
        if (_resampledAt[id][index] > from) from = _resampledAt[id][index];
        uint64 at = from + k.terms.challengeWithin / 4;
        if (block.timestamp <= at) revert TooSoonToResample(id, at);
        // A replacement gets a quarter of the window to attest, or it is not drawn at all: a
        // re-sample at the window's last second would burn an honest replacement as a no-show.
        // (Sampling closes halfway through the window, so a no-show's quarter and its
        // replacement's always fit.)
        uint64 last = k.deadline - k.terms.challengeWithin / 4;
        if (block.timestamp > last) revert TooLate(id, last);
        _resampledAt[id][index] = uint64(block.timestamp);
        address old = s.verifier;
        _forfeit(id, old, k.terms.verifierStake);
        address v =
            _draw(k, keccak256(abi.encode(seedOf[id], "resample", index, block.prevrandao)), old);
        s.verifier = v;
        if (v != address(0)) _lock(v, Role.Verifier, k.terms.verifierStake);
        emit Resampled(id, index, old, v);
    }

    function _sample(uint256 id, uint256 index) internal view returns (Sample storage) {
        if (index >= _samples[id].length) revert NoSuchSample(id, index);
        return _samples[id][index];
    }

    /// @dev Marks the *fail* attestations of `segment` by `challenger` as backed.
    function _back(uint256 id, address challenger, uint64 segment) internal {
        Sample[] storage all = _samples[id];
        for (uint256 i = 0; i < all.length; i++) {
            Sample storage s = all[i];
            if (s.verifier == challenger && s.segment == segment && s.attest == Attest.Fail) {
                s.backed = true;
            }
        }
    }

    function _forfeit(uint256 id, address verifier, uint256 stake) internal {
        _slashLocked(verifier, Role.Verifier, stake);
        _burn(stake);
        emit VerifierSlashed(id, verifier, stake);
    }

    /// @dev Unlocks, pays or burns every sample's stake (see the contract's notice).
    function _settleVerifiers(uint256 id, Task storage k, bool convicted)
        internal
        override
        returns (uint256 fees)
    {
        Sample[] storage all = _samples[id];
        uint256 stake = k.terms.verifierStake;
        for (uint256 i = 0; i < all.length; i++) {
            Sample storage s = all[i];
            if (s.verifier == address(0)) continue;
            if (
                convicted && s.attest == Attest.Pass && s.checked != 0
                    && s.namedAt <= faultedUntil[id][s.segment]
            ) {
                s.attest = Attest.Wrong;
                emit PassProvenWrong(id, i, s.verifier);
            }
            bool keeps =
                s.attest == Attest.Pass || (s.attest == Attest.Fail && (convicted || s.backed));
            if (!keeps) {
                _forfeit(id, s.verifier, stake);
                continue;
            }
            _unlock(s.verifier, Role.Verifier, stake);
            if (!convicted && s.attest == Attest.Pass && s.checked != 0) {
                _credit(s.verifier, k.terms.verifierFee);
                fees += k.terms.verifierFee;
            }
        }
    }
}
