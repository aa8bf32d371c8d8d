// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Tasks} from "./Tasks.sol";

/// @title Attestations
/// @notice Sampling and tier-1 attestations (DESIGN §1, steps 4–5): once the result is
/// committed, the hash of the block after the commit — which nobody knew while training — picks
/// the segments to verify and, among the registered verifiers, who verifies each. An assigned
/// verifier attests pass or fail (with the distance it measured), locking its verifier stake
/// until the task settles: paid its fee when the task finalizes, and its stake lost to the
/// challenger if it attested *pass* for a segment later proven fraudulent.
abstract contract Attestations is Tasks {
    enum Attest {
        None,
        Pass,
        Fail
    }

    struct Sample {
        uint64 segment;
        address verifier;
        Attest attest;
        /// The tier-1 distance the verifier measured, as 1e18 fixed point.
        uint256 distance;
    }

    /// @notice Verifiers that sampling may assign (each with verifier stake when it registered).
    address[] public verifiers;
    mapping(address => bool) public registered;
    mapping(uint256 => Sample[]) internal _samples;
    mapping(uint256 => bool) public sampled;

    event VerifierRegistered(address indexed verifier);
    event Sampled(uint256 indexed task, uint256 index, uint64 segment, address indexed verifier);
    /// @notice The task's samples are drawn (perhaps none, with no verifier registered).
    event SamplingDone(uint256 indexed task, bytes32 seed, uint256 samples);
    event Attested(
        uint256 indexed task, uint256 index, address indexed verifier, bool pass, uint256 distance
    );
    event VerifierSlashed(
        uint256 indexed task, address indexed verifier, address indexed to, uint256 amount
    );

    error AlreadyRegistered();
    error NoVerifierStake();
    error NotSampledYet(uint256 task);
    error AlreadySampled(uint256 task);
    error TooSoonToSample(uint256 task, uint64 afterBlock);
    error NotAssigned(uint256 task, uint256 index, address verifier);
    error AlreadyAttested(uint256 task, uint256 index);
    error NoSuchSample(uint256 task, uint256 index);

    function samplesOf(uint256 id) external view returns (Sample[] memory) {
        return _samples[id];
    }

    /// @notice Adds the caller to the verifiers that sampling assigns; it must hold free
    /// verifier stake (each attestation locks the task's verifier stake from it).
    function registerVerifier() external nonReentrant {
        if (registered[msg.sender]) revert AlreadyRegistered();
        if (_stakes[msg.sender][Role.Verifier].free == 0) revert NoVerifierStake();
        registered[msg.sender] = true;
        verifiers.push(msg.sender);
        emit VerifierRegistered(msg.sender);
    }

    /// @notice Draws the task's samples from the hash of the block after its commit. Anyone may
    /// call it once that block exists; after 256 blocks that hash is gone and the latest one
    /// stands in (a weaker source, which the nodes avoid by sampling at once).
    function sample(uint256 id) external nonReentrant {
        Task storage k = _task(id);
        _expect(id, k, Status.Committed);
        if (sampled[id]) revert AlreadySampled(id);
        if (block.number <= uint256(k.committedBlock) + 1) {
            revert TooSoonToSample(id, k.committedBlock + 1);
        }
        bytes32 seed = blockhash(k.committedBlock + 1);
        if (seed == 0) seed = blockhash(block.number - 1);
        seed = keccak256(abi.encode(seed, id, k.resultRoot));
        sampled[id] = true;
        uint256 n = verifiers.length;
        emit SamplingDone(id, seed, n == 0 ? 0 : k.terms.samples);
        if (n == 0) return;
        uint64 segments = k.commitments.steps / k.commitments.interval;
        for (uint256 i = 0; i < k.terms.samples; i++) {
            uint64 segment = uint64(uint256(keccak256(abi.encode(seed, "segment", i))) % segments);
            address v = verifiers[uint256(keccak256(abi.encode(seed, "verifier", i))) % n];
            _samples[id].push(
                Sample({segment: segment, verifier: v, attest: Attest.None, distance: 0})
            );
            emit Sampled(id, i, segment, v);
        }
    }

    /// @notice The assigned verifier's tier-1 verdict on sample `index`, before the challenge
    /// window closes; locks the task's verifier stake until the task settles.
    function attest(uint256 id, uint256 index, bool pass, uint256 distance) external nonReentrant {
        Task storage k = _task(id);
        _expect(id, k, Status.Committed);
        if (block.timestamp > k.deadline) revert TooLate(id, k.deadline);
        if (index >= _samples[id].length) revert NoSuchSample(id, index);
        Sample storage s = _samples[id][index];
        if (msg.sender != s.verifier) revert NotAssigned(id, index, s.verifier);
        if (s.attest != Attest.None) revert AlreadyAttested(id, index);
        _lock(msg.sender, Role.Verifier, k.terms.verifierStake);
        s.attest = pass ? Attest.Pass : Attest.Fail;
        s.distance = distance;
        emit Attested(id, index, msg.sender, pass, distance);
    }

    /// @dev Unlocks or slashes every attestation's stake; pays fees when the task finalizes.
    function _settleVerifiers(
        uint256 id,
        Task storage k,
        bool fraud,
        uint64 segment,
        address challenger
    ) internal override returns (uint256 fees) {
        Sample[] storage all = _samples[id];
        uint256 stake = k.terms.verifierStake;
        for (uint256 i = 0; i < all.length; i++) {
            Sample storage s = all[i];
            if (s.attest == Attest.None) continue;
            if (fraud && s.attest == Attest.Pass && s.segment == segment) {
                _slashLocked(s.verifier, Role.Verifier, stake);
                _credit(challenger, stake);
                emit VerifierSlashed(id, s.verifier, challenger, stake);
            } else {
                _unlock(s.verifier, Role.Verifier, stake);
                if (!fraud) {
                    _credit(s.verifier, k.terms.verifierFee);
                    fees += k.terms.verifierFee;
                }
            }
        }
    }
}
