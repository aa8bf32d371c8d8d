// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Test} from "./utils/Test.sol";
import {Trees} from "./utils/Trees.sol";
import {Market} from "../src/market/Market.sol";
import {OpProver} from "../src/OpProver.sol";
import {Attestations} from "../src/market/Attestations.sol";
import {Stakes} from "../src/market/Stakes.sol";
import {Tasks} from "../src/market/Tasks.sol";
import {Commitments, NO_SEGMENT, Role, Status, Terms, Win} from "../src/market/Types.sol";
import {Dispute} from "../src/court/Dispute.sol";
import {Availability} from "../src/court/Availability.sol";
import {OpProof} from "../src/prover/OpProof.sol";
import {State} from "../src/commit/State.sol";
import {Tensor} from "../src/commit/Tensor.sol";
import {Merkle} from "../src/commit/Merkle.sol";
import {Court} from "../src/court/Court.sol";

/// @notice The cheatcodes these tests need beyond `Test`'s.
interface VmRandao {
    function prevrandao(uint256 value) external;
}

/// @notice Sampling (from the commit's successor's hash and the sampling block's RANDAO value,
/// AUDIT M1), attestations and the verifier economics of docs/PROTOCOL.md §9: the stake locked
/// at sampling, fees for a *pass* on a task that finalizes, a *fail* that counts only when backed
/// by the verifier's own challenge (AUDIT H2), no-shows burned and re-sampled (a replacement
/// always with half a window left, review D), stake-less verifiers dropped from the set when drawn
/// (review F), and a named *pass* bound to the segment index it named: naming makes it the
/// segment's posted data, so it is burned when a game faults the segment (a proof, or a trace
/// nobody posted), and a solver can play no other data there (C3, and no shield index).
/// A sampled verifier's win ranks for the bounty by its game's order like anyone's (review A).
/// Convictions come from the real courts (a game or a request the solver leaves unanswered), or
/// from the test contract wired as a court.
contract AttestationsTest is Test, Trees {
    VmRandao internal constant rvm =
        VmRandao(address(uint160(uint256(keccak256("hevm cheat code")))));

    Market internal market;
    Dispute internal dispute;
    Availability internal availability;
    address internal submitter = address(0x5B);
    uint256 internal constant SOLVER_KEY = 0x50;
    address internal solver = vm.addr(SOLVER_KEY);
    address internal challenger = address(0xC1);
    address internal burn = address(0xdEaD);
    address[3] internal vs = [address(0xF1), address(0xF2), address(0xF3)];

    uint64 internal constant HOUR = 1 hours;
    uint64 internal constant WINDOW = 5 * HOUR;
    uint256 internal constant PAY = 3 ether;
    uint256 internal constant STAKE = 10 ether;
    uint256 internal constant BOND = 1 ether;
    uint256 internal constant VSTAKE = 0.5 ether;
    uint256 internal constant VMIN = 1 ether;
    uint256 internal constant FEE = 0.1 ether;
    uint256 internal constant SEGMENTS = 4;
    uint32 internal constant TENSORS = 2;
    uint32 internal constant SLOTS = 32;

    /// The committed state layout: two tensors a state, the next state in the last two slots.
    bytes internal layout;
    /// The challenge window of the tasks `_task` submits.
    uint64 internal window = WINDOW;

    /// The solver's checkpoints: leaf `i` of `resultRoot` (checkpoint 0 is the initial state).
    bytes32[] internal checkpoints;
    uint256 internal taskId;
    /// The segments `_sampled` drew for `taskId`, and its result root (for `_sig`).
    uint64[] internal drawn;
    bytes32 internal committedRoot;

    function setUp() public {
        vm.warp(1_000_000);
        vm.roll(100);
        market = new Market(7 days, 0.01 ether, VMIN);
        dispute = new Dispute(market, new OpProver(), HOUR, 3 * HOUR);
        availability = new Availability(market, dispute, HOUR);
        market.wire(address(dispute), address(availability));
        for (uint256 i = 0; i <= SEGMENTS; i++) {
            checkpoints.push(i == 0 ? keccak256("init") : keccak256(abi.encode("checkpoint", i)));
        }
        uint32[] memory next = new uint32[](TENSORS);
        for (uint32 m = 0; m < TENSORS; m++) {
            next[m] = SLOTS - TENSORS + m;
        }
        layout = abi.encode(TENSORS, next);
        vm.deal(submitter, 1000 ether);
        vm.deal(solver, 1000 ether);
        vm.deal(challenger, 100 ether);
        for (uint256 i = 0; i < 3; i++) {
            vm.deal(vs[i], 100 ether);
            vm.startPrank(vs[i]);
            market.deposit{value: 10 ether}(Role.Verifier);
            market.registerVerifier();
            vm.stopPrank();
        }
        taskId = _task(market, submitter, solver);
    }

    function _commitments() internal view returns (Commitments memory c) {
        c.programRoot = keccak256("program");
        c.datasetHash = keccak256("data");
        c.initStateHash = checkpoints[0];
        c.layoutHash = sha256(layout);
        c.steps = uint64(2 * SEGMENTS);
        c.interval = 2;
        c.ops = 28;
        c.slots = SLOTS;
        c.batch = 8;
    }

    function _terms() internal view returns (Terms memory) {
        return Terms({
            solverStake: STAKE,
            challengeBond: BOND,
            verifierStake: VSTAKE,
            verifierFee: FEE,
            samples: 3,
            claimBy: uint64(block.timestamp) + HOUR,
            solveWithin: 10 * HOUR,
            challengeWithin: window
        });
    }

    /// @dev A task of `m` submitted by `from`, claimed and committed by `by`.
    function _task(Market m, address from, address by) internal returns (uint256 id) {
        // Arguments first: hashing the layout calls the precompile, which would use the prank.
        Commitments memory c = _commitments();
        Terms memory t = _terms();
        vm.prank(from);
        id = m.submitTask{value: PAY}(c, t);
        vm.startPrank(by);
        m.deposit{value: STAKE}(Role.Solver);
        m.claim(id);
        m.commitResult(id, _root(_leaves(checkpoints)));
        vm.stopPrank();
    }

    function _sampled() internal returns (Attestations.Sample[] memory s) {
        vm.roll(block.number + 2);
        market.sample(taskId);
        s = market.samplesOf(taskId);
        delete drawn;
        for (uint256 i = 0; i < s.length; i++) {
            drawn.push(s[i].segment);
        }
        committedRoot = market.task(taskId).resultRoot;
    }

    /// @dev The tensors of the per-step state the solver posts inside `segment` (after its
    /// first step): made up after the attestations, so nothing a verifier checked.
    function _midTensors(uint64 segment) internal pure returns (bytes32[] memory t) {
        t = new bytes32[](TENSORS);
        for (uint256 m = 0; m < TENSORS; m++) {
            t[m] = Tensor.hash(Tensor.Header(1, 1, 1, keccak256(abi.encode("mid", segment, m))));
        }
    }

    /// @dev The per-step states the solver posts for `segment`: its two checkpoints, which the
    /// sampled verifiers checked, and a made-up state between them.
    function _steps(uint64 segment) internal view returns (bytes32[] memory states) {
        states = new bytes32[](3);
        states[0] = checkpoints[segment];
        states[1] = State.hash(_midTensors(segment));
        states[2] = checkpoints[segment + 1];
    }

    function _slotHeader(uint64 segment, uint256 i) internal pure returns (Tensor.Header memory) {
        return Tensor.Header(1, 1, 1, keccak256(abi.encode("slot", segment, i)));
    }

    /// @dev The slot hashes of the trace the solver posts for step 0 of `segment`: its
    /// next-state slots hold no tensor of the made-up state after the step.
    function _trace(uint64 segment) internal pure returns (bytes32[] memory slots) {
        slots = new bytes32[](SLOTS);
        for (uint256 i = 0; i < SLOTS; i++) {
            slots[i] = Tensor.hash(_slotHeader(segment, i));
        }
    }

    /// @dev The solver's move 1 on `segment`: its per-step states, between its checkpoints.
    function _postSteps(uint64 segment) internal {
        bytes32[] memory states = _steps(segment);
        bytes32[] memory leaves = _leaves(checkpoints);
        bytes32[] memory first = _proof(leaves, segment);
        bytes32[] memory last = _proof(leaves, segment + 1);
        vm.prank(solver);
        dispute.postSteps(taskId, segment, states, first, last);
    }

    /// @dev Game `game` of `who` on `segment` played to a link proof at step 0: the solver posts
    /// its steps and trace (once for every game), and the trace's first next-state slot is not
    /// the first tensor of the state it posted after the step.
    function _proveLink(address who, uint256 game, uint64 segment) internal {
        if (dispute.stepsPostedAt(taskId, segment) == 0) _postSteps(segment);
        vm.prank(who);
        dispute.pickStep(game, 0);
        bytes32[] memory slots = _trace(segment);
        if (dispute.traceRoot(taskId, segment, 0) == 0) {
            (,, bytes32[] memory path) = _index(segment, true);
            if (dispute.namedTraces(taskId, segment) == 0) path = new bytes32[](0);
            vm.prank(solver);
            dispute.postTrace(taskId, segment, 0, slots, path);
        }
        bytes32[] memory states = _steps(segment);
        bytes32[] memory mid = _midTensors(segment);
        Dispute.Link memory link;
        link.layout = layout;
        link.next = true;
        link.stateHash = states[1];
        link.stateInSteps = _proof(_leaves(states), 1);
        link.index = 0;
        link.proof = abi.encode(
            mid[0],
            _proof(_leaves(mid), 0),
            OpProof.Slot({
                slot: SLOTS - TENSORS,
                header: _slotHeader(segment, SLOTS - TENSORS),
                siblings: _proof(_leaves(slots), SLOTS - TENSORS)
            })
        );
        vm.prank(who);
        dispute.proveLink(game, link);
        vm.assertEq(
            uint256(dispute.game(game).phase), uint256(Dispute.Phase.ChallengerWon), "proven"
        );
    }

    /// @dev The solver's signature of index (`statesRoot`, `tracesRoot`) of sample `index`'s
    /// segment of task `taskId` (what a *pass* must carry to name it), from the samples and root
    /// cached when drawn: no call, so a `prank` before the attestation is not spent here.
    function _sig(Market, uint256, uint256 index, bytes32 statesRoot, bytes32 tracesRoot)
        internal
        view
        returns (bytes memory)
    {
        if (index >= drawn.length) return "";
        bytes32 digest = keccak256(
            abi.encode(
                keccak256("poai/segment/1"),
                address(market),
                taskId,
                drawn[index],
                committedRoot,
                statesRoot,
                tracesRoot
            )
        );
        bytes32 message = keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", digest));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(SOLVER_KEY, message);
        return abi.encodePacked(r, s, v);
    }

    /// @dev `who`'s pass `i` names the solver's index of its segment (`_index(segment, true)`).
    function _name(address who, uint256 i) internal {
        (, bytes32[] memory traces,) = _index(drawn[i], true);
        _name(who, i, _steps(drawn[i]), traces, "");
    }

    /// @dev Index (`states`, `traces`) of sample `i`'s segment as a pass names it, signed by the
    /// solver (or carrying `sig` when one is given).
    function _named(uint256 i, bytes32[] memory states, bytes32[] memory traces, bytes memory sig)
        internal
        view
        returns (Dispute.Named memory n)
    {
        if (sig.length == 0) {
            sig = _sig(market, taskId, i, _root(_leaves(states)), _root(_leaves(traces)));
        }
        bytes32[] memory leaves = _leaves(checkpoints);
        n = Dispute.Named({
            states: states,
            firstInResult: _proof(leaves, drawn[i]),
            lastInResult: _proof(leaves, drawn[i] + 1),
            traceRoots: traces,
            signature: sig
        });
    }

    /// @dev `who`'s pass `i` names index (`states`, `traces`), signed by the solver (or
    /// carrying `sig` when one is given).
    function _name(
        address who,
        uint256 i,
        bytes32[] memory states,
        bytes32[] memory traces,
        bytes memory sig
    ) internal {
        Dispute.Named memory n = _named(i, states, traces, sig);
        vm.prank(who);
        dispute.namePass(taskId, i, drawn[i], n);
    }

    /// @dev Settles the convicted task after checking that only the solver's stake is burned
    /// (less the `reward` and the submitter's 30%) and that every verifier keeps its whole stake.
    function _settleKeepingEveryVerifierStake(uint256 reward) internal {
        uint256 burned = burn.balance;
        market.settle(taskId);
        vm.assertEq(burn.balance - burned, STAKE - reward - STAKE * 3 / 10, "only the solver's");
        for (uint256 i = 0; i < 3; i++) {
            vm.assertEq(market.stakeOf(vs[i], Role.Verifier).free, 10 ether, "stake kept");
        }
    }

    /// @dev How many verifiers the set holds.
    function _verifierCount(Market m) internal view returns (uint256 n) {
        while (true) {
            try m.verifiers(n) returns (address) {
                n++;
            } catch {
                return n;
            }
        }
    }

    function _locked(address v) internal view returns (uint256) {
        return market.stakeOf(v, Role.Verifier).locked;
    }

    function _solvent() internal view {
        vm.assertEq(address(market).balance, market.liabilities(), "solvent");
        vm.assertEq(address(dispute).balance, 0, "the game holds nothing");
        vm.assertEq(address(availability).balance, 0, "availability holds nothing");
    }

    /// @dev A market wired to this test contract as both courts, with its own sampled task.
    function _courtMarket() internal returns (Market m, uint256 id) {
        m = new Market(7 days, 0.01 ether, VMIN);
        m.wire(address(this), address(this));
        vm.deal(address(this), 100 ether);
        for (uint256 i = 0; i < 3; i++) {
            vm.startPrank(vs[i]);
            m.deposit{value: 10 ether}(Role.Verifier);
            m.registerVerifier();
            vm.stopPrank();
        }
        id = _task(m, submitter, solver);
        vm.roll(block.number + 2);
        m.sample(id);
    }

    // ------------------------------------------------------------------ registration

    function test_registrationNeedsVerifierStakeOnce() public {
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(Attestations.NoVerifierStake.selector, 0, VMIN));
        market.registerVerifier();
        vm.prank(vs[0]);
        vm.expectRevert(Attestations.AlreadyRegistered.selector);
        market.registerVerifier();
        vm.assertEq(market.verifiers(2), vs[2], "three, in order");
    }

    /// @notice AUDIT H2: registering took 1 wei, so sybils absorbed the samples; it now takes
    /// `minVerifierStake` of free verifier stake (solver stake does not count).
    function test_H2_aVerifierCannotRegisterWithLessThanTheMinimumStake() public {
        address sybil = address(0x5151);
        vm.deal(sybil, 10 ether);
        vm.startPrank(sybil);
        market.deposit{value: 1}(Role.Verifier);
        vm.expectRevert(abi.encodeWithSelector(Attestations.NoVerifierStake.selector, 1, VMIN));
        market.registerVerifier();
        market.deposit{value: VMIN}(Role.Solver);
        vm.expectRevert(abi.encodeWithSelector(Attestations.NoVerifierStake.selector, 1, VMIN));
        market.registerVerifier();
        market.deposit{value: VMIN - 2}(Role.Verifier);
        vm.expectRevert(
            abi.encodeWithSelector(Attestations.NoVerifierStake.selector, VMIN - 1, VMIN)
        );
        market.registerVerifier();
        market.deposit{value: 1}(Role.Verifier);
        market.registerVerifier();
        vm.stopPrank();
        vm.assertTrue(market.registered(sybil), "registered with the minimum");
    }

    // ------------------------------------------------------------------ sampling

    function test_samplingWaitsForTheBlockAfterTheCommitAndHappensOnce() public {
        vm.roll(block.number + 1);
        vm.expectPartialRevert(Attestations.TooSoonToSample.selector);
        market.sample(taskId);
        Attestations.Sample[] memory s = _sampled();
        vm.assertEq(s.length, 3, "three samples");
        for (uint256 i = 0; i < s.length; i++) {
            vm.assertTrue(s[i].segment < SEGMENTS, "a segment of the task");
            vm.assertTrue(market.registered(s[i].verifier), "a registered verifier");
        }
        vm.expectRevert(abi.encodeWithSelector(Attestations.AlreadySampled.selector, taskId));
        market.sample(taskId);
    }

    /// @notice Sampling closes halfway through the window: an assigned verifier always has
    /// half the window to attest. (Without it, whoever sampled last-second and finalized at
    /// once burned every assigned verifier as a no-show and kept their fees for the solver.)
    function test_samplingClosesHalfwayThroughTheWindow() public {
        vm.roll(block.number + 2);
        vm.warp(block.timestamp + WINDOW / 2 + 1);
        vm.expectPartialRevert(Tasks.TooLate.selector);
        market.sample(taskId);
        vm.warp(block.timestamp - 1);
        market.sample(taskId);
        vm.assertEq(market.samplesOf(taskId).length, 3, "sampled at the last moment allowed");
    }

    /// @notice AUDIT H2: the solver may register as a verifier, but is never assigned to its
    /// own task, whatever the randomness; with nobody else registered, nothing is sampled.
    function test_H2_theSolverIsNeverSampledAsItsOwnVerifier(uint256 randao) public {
        rvm.prevrandao(randao);
        Market m = new Market(7 days, 0.01 ether, VMIN);
        vm.startPrank(solver);
        m.deposit{value: 50 ether}(Role.Verifier);
        m.registerVerifier();
        vm.stopPrank();
        // Only the solver is registered: nobody is eligible.
        uint256 alone = _task(m, submitter, solver);
        vm.roll(block.number + 2);
        m.sample(alone);
        vm.assertEq(m.samplesOf(alone).length, 0, "the solver is not its own verifier");
        vm.startPrank(vs[0]);
        m.deposit{value: 10 ether}(Role.Verifier);
        m.registerVerifier();
        vm.stopPrank();
        uint256 shared = _task(m, submitter, solver);
        vm.roll(block.number + 2);
        m.sample(shared);
        Attestations.Sample[] memory s = m.samplesOf(shared);
        // Each sample draws up to `DRAWS` times among two: all draws hit the solver with
        // chance 2^-8, and then that sample is dropped rather than given to the solver.
        vm.assertTrue(s.length >= 1, "the other verifier is found");
        for (uint256 i = 0; i < s.length; i++) {
            vm.assertEq(s[i].verifier, vs[0], "never the solver");
        }
        vm.assertEq(m.stakeOf(solver, Role.Verifier).locked, 0, "the solver locks nothing");
    }

    /// @notice AUDIT H2: the assigned verifier's stake is locked when it is sampled, not when
    /// it attests: it cannot unbond it to dodge an assignment, and staying silent costs it.
    function test_H2_theStakeIsLockedAtSampling() public {
        uint256[3] memory free;
        for (uint256 i = 0; i < 3; i++) {
            free[i] = market.stakeOf(vs[i], Role.Verifier).free;
        }
        Attestations.Sample[] memory s = _sampled();
        for (uint256 i = 0; i < 3; i++) {
            uint256 n;
            for (uint256 j = 0; j < s.length; j++) {
                if (s[j].verifier == vs[i]) n++;
            }
            vm.assertEq(_locked(vs[i]), n * VSTAKE, "locked before attesting");
            vm.assertEq(market.stakeOf(vs[i], Role.Verifier).free, free[i] - n * VSTAKE, "free");
        }
        address v = s[0].verifier;
        uint256 all = market.stakeOf(v, Role.Verifier).free + _locked(v);
        vm.prank(v);
        vm.expectPartialRevert(Stakes.InsufficientStake.selector);
        market.startUnbonding(Role.Verifier, all);
    }

    /// @notice A registered verifier without the task's verifier stake free is skipped.
    function test_aVerifierWithoutFreeStakeIsNotSampled() public {
        for (uint256 i = 0; i < 2; i++) {
            vm.prank(vs[i]);
            market.startUnbonding(Role.Verifier, 10 ether - 1);
        }
        Attestations.Sample[] memory s = _sampled();
        for (uint256 i = 0; i < s.length; i++) {
            vm.assertEq(s[i].verifier, vs[2], "only the one with free stake");
        }
    }

    function test_noVerifiersNoSamples() public {
        Market fresh = new Market(7 days, 0.01 ether, VMIN);
        uint256 id = _task(fresh, submitter, solver);
        vm.roll(block.number + 2);
        fresh.sample(id);
        vm.assertEq(fresh.samplesOf(id).length, 0, "none");
        vm.warp(block.timestamp + WINDOW + 1);
        fresh.finalize(id);
        vm.assertEq(fresh.balanceOf(solver), PAY - 3 * FEE, "the payment less every fee");
        vm.assertEq(fresh.balanceOf(submitter), 3 * FEE, "no verifier: the fees back");
    }

    /// @notice Review F: a verifier that registered with the minimum and took its stake out
    /// again stayed in the set, absorbing draws (each sample gives up after `DRAWS`), so a
    /// crowd of stake-less sybils could leave tasks unsampled. A drawn verifier whose stake
    /// (free and locked) is below `minVerifierStake` now leaves the set; the staked ones stay,
    /// and a sybil that stakes again may register again.
    function test_review_F_stakelessVerifiersLeaveTheSetWhenDrawn() public {
        address[] memory sybils = new address[](12);
        for (uint256 i = 0; i < sybils.length; i++) {
            sybils[i] = address(uint160(0x5100 + i));
            vm.deal(sybils[i], 10 ether);
            vm.startPrank(sybils[i]);
            market.deposit{value: VMIN}(Role.Verifier);
            market.registerVerifier();
            market.startUnbonding(Role.Verifier, VMIN);
            vm.stopPrank();
        }
        vm.assertEq(_verifierCount(market), 15, "registered, then unbonded");
        for (uint256 i = 0; i < 3; i++) {
            vm.prank(vs[i]);
            market.deposit{value: 50 ether}(Role.Verifier);
        }
        // Tasks are sampled until every stake-less verifier has been drawn.
        uint256 tasks;
        while (_verifierCount(market) > 3 && tasks < 30) {
            taskId = _task(market, submitter, solver);
            Attestations.Sample[] memory s = _sampled();
            for (uint256 i = 0; i < s.length; i++) {
                vm.assertTrue(
                    s[i].verifier == vs[0] || s[i].verifier == vs[1] || s[i].verifier == vs[2],
                    "only staked verifiers sampled"
                );
            }
            tasks++;
        }
        vm.assertEq(_verifierCount(market), 3, "the stake-less verifiers left the set");
        for (uint256 i = 0; i < sybils.length; i++) {
            vm.assertFalse(market.registered(sybils[i]), "deregistered");
        }
        for (uint256 i = 0; i < 3; i++) {
            vm.assertTrue(market.registered(vs[i]), "the staked ones stay");
        }
        vm.startPrank(sybils[0]);
        market.deposit{value: VMIN}(Role.Verifier);
        market.registerVerifier();
        vm.stopPrank();
        vm.assertEq(_verifierCount(market), 4, "staked again, registered again");
        _solvent();
    }

    // ------------------------------------------------------------------ AUDIT M1: the seed

    /// @dev Three markets with the same task (same id, root and commit block), so only what
    /// the sampling block contributes can tell their seeds apart.
    function _twins() internal returns (Market[3] memory m) {
        for (uint256 i = 0; i < 3; i++) {
            m[i] = new Market(7 days, 0.01 ether, VMIN);
        }
        for (uint256 i = 0; i < 3; i++) {
            vm.assertEq(_task(m[i], submitter, solver), 1, "same id");
        }
    }

    /// @notice AUDIT M1: the seed was the hash of the commit's successor alone, which its
    /// builder grinds; it now mixes in the sampling block's RANDAO value: two values give two
    /// seeds for the same blocks, and the same value the same seed.
    function test_M1_theSeedDependsOnPrevrandao() public {
        Market[3] memory m = _twins();
        vm.roll(block.number + 2);
        rvm.prevrandao(uint256(keccak256("randao a")));
        m[0].sample(1);
        m[2].sample(1);
        rvm.prevrandao(uint256(keccak256("randao b")));
        m[1].sample(1);
        vm.assertTrue(m[0].seedOf(1) != m[1].seedOf(1), "another RANDAO, another seed");
        vm.assertEq(m[0].seedOf(1), m[2].seedOf(1), "the same RANDAO, the same seed");
        uint64 b = m[0].task(1).committedBlock;
        vm.assertEq(
            m[1].seedOf(1),
            keccak256(
                abi.encode(
                    blockhash(b + 1),
                    uint256(keccak256("randao b")),
                    uint256(1),
                    _root(_leaves(checkpoints))
                )
            ),
            "the documented seed"
        );
    }

    /// @notice AUDIT M1: once the commit's successor is out of `blockhash`'s reach (256
    /// blocks), sampling still works, and its seed is defined: the zero hash with the RANDAO
    /// value, so the late caller does not choose a hash.
    function test_M1_samplingAfter256BlocksStillWorks() public {
        uint64 b = market.task(taskId).committedBlock;
        vm.roll(b + 300);
        rvm.prevrandao(42);
        market.sample(taskId);
        Attestations.Sample[] memory s = market.samplesOf(taskId);
        vm.assertEq(s.length, 3, "sampled");
        vm.assertEq(
            market.seedOf(taskId),
            keccak256(abi.encode(bytes32(0), uint256(42), taskId, _root(_leaves(checkpoints)))),
            "zero hash and RANDAO"
        );
        for (uint256 i = 0; i < s.length; i++) {
            vm.assertTrue(s[i].segment < SEGMENTS, "a segment");
            vm.assertEq(
                s[i].segment,
                uint64(
                    uint256(keccak256(abi.encode(market.seedOf(taskId), "segment", i))) % SEGMENTS
                ),
                "drawn from the seed"
            );
        }
    }

    // ------------------------------------------------------------------ attestations

    function test_onlyTheAssignedVerifierAttestsOnceInTheWindow() public {
        Attestations.Sample[] memory s = _sampled();
        address other = s[0].verifier == vs[0] ? vs[1] : vs[0];
        vm.prank(other);
        vm.expectPartialRevert(Attestations.NotAssigned.selector);
        market.attest(taskId, 0, true, 0);
        vm.prank(s[0].verifier);
        market.attest(taskId, 0, true, 1e12);
        _name(s[0].verifier, 0);
        vm.prank(s[0].verifier);
        vm.expectRevert(abi.encodeWithSelector(Attestations.AlreadyAttested.selector, taskId, 0));
        market.attest(taskId, 0, false, 0);
        vm.prank(s[0].verifier);
        vm.expectRevert(abi.encodeWithSelector(Attestations.NoSuchSample.selector, taskId, 3));
        market.attest(taskId, 3, true, 0);
        vm.warp(block.timestamp + WINDOW + 1);
        vm.prank(s[1].verifier);
        vm.expectPartialRevert(Tasks.TooLate.selector);
        market.attest(taskId, 1, true, 0);
    }

    /// @notice A *pass* on a task that finalizes earns the fee out of the payment and its stake
    /// back: solver + fees = payment.
    function test_finalizationPaysThePassingVerifiersOutOfThePayment() public {
        Attestations.Sample[] memory s = _sampled();
        _passAndNameAll(s);
        vm.warp(block.timestamp + WINDOW + 1);
        market.finalize(taskId);
        vm.assertEq(market.balanceOf(solver), PAY - 3 * FEE, "the payment less three fees");
        uint256 paid;
        for (uint256 i = 0; i < 3; i++) {
            paid += market.balanceOf(vs[i]);
            vm.assertEq(_locked(vs[i]), 0, "unlocked");
            vm.assertEq(market.stakeOf(vs[i], Role.Verifier).free, 10 ether, "all stake back");
        }
        vm.assertEq(paid, 3 * FEE, "three fees");
        _solvent();
    }

    /// @notice AUDIT H2: a *fail* was paid the fee and risked nothing. Unbacked by the
    /// verifier's own challenge, it is now burned at finalization and earns no fee.
    function test_H2_aFailWithoutAChallengeIsBurnedNotPaid() public {
        Attestations.Sample[] memory s = _sampled();
        vm.prank(s[0].verifier);
        market.attest(taskId, 0, false, 5e16);
        for (uint256 i = 1; i < s.length; i++) {
            vm.prank(s[i].verifier);
            market.attest(taskId, i, true, 0);
            _name(s[i].verifier, i);
        }
        vm.warp(block.timestamp + WINDOW + 1);
        uint256 burned = burn.balance;
        market.finalize(taskId);
        vm.assertEq(burn.balance - burned, VSTAKE, "the fail's stake burned");
        vm.assertEq(market.balanceOf(solver), PAY - 3 * FEE, "the payment less every fee");
        vm.assertEq(market.balanceOf(submitter), FEE, "the fail's fee back to the submitter");
        uint256 fees;
        uint256 stakes;
        for (uint256 i = 0; i < 3; i++) {
            fees += market.balanceOf(vs[i]);
            stakes += market.stakeOf(vs[i], Role.Verifier).free;
            vm.assertEq(_locked(vs[i]), 0, "settled");
        }
        vm.assertEq(fees, 2 * FEE, "no fee for the fail");
        vm.assertEq(stakes, 30 ether - VSTAKE, "one stake less");
        _solvent();
    }

    /// @notice AUDIT H2: a *fail* backed by the verifier's own challenge of its segment, opened
    /// after attesting, keeps its stake even when the challenge loses (no fee: the bond pays
    /// the solver); a challenge opened before attesting backs nothing.
    function test_H2_aFailBackedByItsOwnChallengeKeepsItsStake() public {
        Attestations.Sample[] memory s = _sampled();
        address v = s[0].verifier;
        uint64 seg = s[0].segment;
        // A challenge opened before the fail does not back it ...
        vm.prank(v);
        uint256 early = dispute.challenge{value: BOND}(taskId, seg == 0 ? 1 : 0);
        for (uint256 i = 0; i < s.length; i++) {
            vm.prank(s[i].verifier);
            market.attest(taskId, i, i != 0, 0);
            if (i != 0) _name(s[i].verifier, i);
        }
        // ... one of another segment does not, and one of its segment after the fail does.
        vm.prank(v);
        uint256 game = dispute.challenge{value: BOND}(taskId, seg);
        vm.assertTrue(market.samplesOf(taskId)[0].backed, "backed");
        // The solver answers both (a naming may have posted the steps); the verifier does not go
        // on and loses its bonds.
        if (dispute.stepsPostedAt(taskId, seg) == 0) _postSteps(seg);
        if (dispute.stepsPostedAt(taskId, seg == 0 ? 1 : 0) == 0) _postSteps(seg == 0 ? 1 : 0);
        vm.warp(block.timestamp + 3 * HOUR + 1);
        dispute.timeout(game);
        dispute.timeout(early);
        vm.warp(block.timestamp + WINDOW);
        uint256 burned = burn.balance;
        uint256 free = market.stakeOf(v, Role.Verifier).free;
        market.finalize(taskId);
        vm.assertEq(burn.balance, burned, "nothing burned");
        vm.assertEq(_locked(v), 0, "unlocked");
        uint256 passesOfV;
        for (uint256 i = 1; i < s.length; i++) {
            if (s[i].verifier == v) passesOfV++;
        }
        vm.assertEq(
            market.stakeOf(v, Role.Verifier).free,
            free + (1 + passesOfV) * VSTAKE,
            "the backed fail's stake back"
        );
        vm.assertEq(market.balanceOf(v), passesOfV * FEE, "no fee for the fail");
        vm.assertEq(market.balanceOf(solver), 2 * BOND + PAY - 3 * FEE, "bonds and payment");
        vm.assertEq(market.balanceOf(submitter), FEE, "the fail's fee back to the submitter");
        _solvent();
    }

    // ------------------------------------------------------------------ no-shows

    /// @dev A task with an odd window (`WINDOW + 1` seconds), sampled at its commit: its no-shows
    /// may be re-sampled at exactly one second, `_resampleAt()`, half a window after sampling and
    /// still half a window before the end (with an even window, never: PROPERTIES.md V5).
    function _oddWindowTask() internal returns (Attestations.Sample[] memory s) {
        window = WINDOW + 1;
        taskId = _task(market, submitter, solver);
        s = _sampled();
    }

    function _resampleAt() internal view returns (uint64) {
        return market.task(taskId).deadline - window / 2;
    }

    /// @notice AUDIT H2: staying silent cost nothing. A no-show is now burned when anyone
    /// re-samples it after half the window (another verifier, not the solver, takes the
    /// segment and locks its stake), and a no-show left to the end is burned at finalization.
    function test_H2_aNoShowIsBurnedAndResampled() public {
        Attestations.Sample[] memory s = _oddWindowTask();
        address lazy = s[0].verifier;
        vm.expectPartialRevert(Attestations.TooSoonToResample.selector);
        market.resample(taskId, 0);
        vm.warp(_resampleAt());
        uint256 lockedBefore = _locked(lazy);
        uint256 burned = burn.balance;
        market.resample(taskId, 0);
        Attestations.Sample memory r = market.samplesOf(taskId)[0];
        vm.assertEq(burn.balance - burned, VSTAKE, "the no-show's stake burned");
        vm.assertTrue(r.verifier != lazy && r.verifier != address(0), "another verifier");
        vm.assertTrue(r.verifier != solver, "not the solver");
        vm.assertEq(r.segment, s[0].segment, "the same segment");
        vm.assertEq(
            _locked(lazy), lockedBefore - VSTAKE, "one stake less locked (maybe more samples)"
        );
        vm.assertTrue(
            market.task(taskId).deadline - block.timestamp >= window / 2,
            "the replacement has half a window"
        );
        // The replacement attests; the other two samples stay silent to the end.
        vm.prank(r.verifier);
        market.attest(taskId, 0, true, 0);
        _name(r.verifier, 0);
        vm.prank(lazy);
        vm.expectPartialRevert(Attestations.NotAssigned.selector);
        market.attest(taskId, 0, true, 0);
        vm.warp(block.timestamp + window);
        burned = burn.balance;
        market.finalize(taskId);
        vm.assertEq(burn.balance - burned, 2 * VSTAKE, "the silent ones burned at the end");
        vm.assertEq(market.balanceOf(solver), PAY - 3 * FEE, "the payment less every fee");
        vm.assertEq(market.balanceOf(submitter), 2 * FEE, "the fees nobody earned");
        vm.assertEq(market.balanceOf(r.verifier), FEE, "to the replacement");
        _solvent();
    }

    /// @notice Review D: a re-sample late in the window burned the silent verifier and drew a
    /// replacement with too little time to attest, which finalization then burned as a no-show.
    /// `resample` is now refused once less than half the window is left (`TooLate`), so a
    /// replacement always has half a window; the silent verifier stays assigned and is burned
    /// at finalization.
    function test_review_D_noResampleWithLessThanAQuarterWindowLeft() public {
        Attestations.Sample[] memory s = _sampled();
        for (uint256 i = 1; i < s.length; i++) {
            vm.prank(s[i].verifier);
            market.attest(taskId, i, true, 0);
            _name(s[i].verifier, i);
        }
        uint64 deadline = market.task(taskId).deadline;
        uint64 last = deadline - WINDOW / 4;
        // The no-show's quarter window since sampling is over, but less than a quarter is left
        // ...
        vm.warp(last + 1);
        vm.assertTrue(block.timestamp > market.sampledAt(taskId) + WINDOW / 4, "no-show's time up");
        vm.expectRevert(abi.encodeWithSelector(Tasks.TooLate.selector, taskId, last));
        market.resample(taskId, 0);
        // ... nor at the window's last second, which would leave the replacement none.
        vm.warp(deadline);
        vm.expectRevert(abi.encodeWithSelector(Tasks.TooLate.selector, taskId, last));
        market.resample(taskId, 0);
        vm.assertEq(market.samplesOf(taskId)[0].verifier, s[0].verifier, "still assigned");
        vm.warp(deadline + 1);
        uint256 burned = burn.balance;
        market.finalize(taskId);
        vm.assertEq(burn.balance - burned, VSTAKE, "the silent verifier burned at the end");
        vm.assertEq(market.balanceOf(solver), PAY - 3 * FEE, "the payment less every fee");
        vm.assertEq(market.balanceOf(submitter), FEE, "the no-show's fee back");
        _solvent();
    }

    /// @notice Only a silent sample is re-sampled: after an attestation, never.
    function test_anAttestedSampleIsNotResampled() public {
        Attestations.Sample[] memory s = _sampled();
        vm.prank(s[0].verifier);
        market.attest(taskId, 0, true, 0);
        _name(s[0].verifier, 0);
        vm.warp(block.timestamp + WINDOW / 2 + 1);
        vm.expectRevert(abi.encodeWithSelector(Attestations.AlreadyAttested.selector, taskId, 0));
        market.resample(taskId, 0);
    }

    /// @notice A replacement gets its own time to attest: re-sampling it in the same block
    /// (which burned one honest verifier after another) is refused.
    function test_aReplacementIsNotResampledAtOnce() public {
        _oddWindowTask();
        vm.warp(_resampleAt());
        market.resample(taskId, 0);
        address replacement = market.samplesOf(taskId)[0].verifier;
        uint256 locked = _locked(replacement);
        vm.expectPartialRevert(Attestations.TooSoonToResample.selector);
        market.resample(taskId, 0);
        vm.assertEq(_locked(replacement), locked, "still assigned");
    }

    // ------------------------------------------------------------------ AUDIT C3: framing

    /// @notice C3: a proof burns no pass that did not vouch for the proven data. The solver
    /// posts a made-up state inside a segment nobody named, and its sybil proves a link fraud
    /// against it: the solver convicts itself (its sybil's bounty is half of its own seized
    /// stake), and every pass (unnamed on the proven segment, named on another) keeps its whole
    /// stake (no fee: the task is convicted). No pass is named once the task is convicted.
    function test_C3_aProofBurnsNoPassThatDidNotNameItsSegment() public {
        address sybil = _sybil();
        Attestations.Sample[] memory s = _sampled();
        uint64 seg = s[0].segment;
        for (uint256 i = 0; i < s.length; i++) {
            vm.prank(s[i].verifier);
            market.attest(taskId, i, true, 0);
            if (s[i].segment != seg) _name(s[i].verifier, i);
        }
        vm.prank(sybil);
        uint256 game = dispute.challenge{value: BOND}(taskId, seg);
        _proveLink(sybil, game, seg);
        vm.assertEq(uint256(market.task(taskId).status), uint256(Status.Slashed), "convicted");
        vm.assertGt(market.faultedUntil(taskId, seg), 0, "the segment faulted");
        (, bytes32[] memory traces,) = _index(seg, true);
        Dispute.Named memory n = _named(0, _steps(seg), traces, "");
        vm.prank(s[0].verifier);
        vm.expectRevert(abi.encodeWithSelector(Dispute.AlreadyConvicted.selector, taskId));
        dispute.namePass(taskId, 0, seg, n);
        vm.warp(block.timestamp + WINDOW + 1);
        _settleKeepingEveryVerifierStake(STAKE / 2);
        for (uint256 i = 0; i < 3; i++) {
            vm.assertEq(market.balanceOf(vs[i]), 0, "no fee on a convicted task");
        }
        vm.assertEq(market.balanceOf(sybil), BOND + STAKE / 2, "the sybil: bond and half of it");
        vm.assertEq(market.balanceOf(submitter), PAY + STAKE * 3 / 10, "escrow and share");
        _solvent();
    }

    /// @dev The solver's sybil, funded to challenge.
    function _sybil() internal returns (address sybil) {
        sybil = address(0x5E);
        vm.deal(sybil, 100 ether);
    }

    /// @dev Settles the convicted task (its bounty half the solver's stake) and checks that the
    /// burn took the solver's stake less the bounty and the submitter's share, and the stake of
    /// every pass on `segment` (all named in the tests that use this); returns how many.
    function _settleBurningThePassesOf(Attestations.Sample[] memory s, uint64 segment)
        internal
        returns (uint256 lazy)
    {
        uint256 burned = burn.balance;
        market.settle(taskId);
        lazy = _on(s, segment);
        vm.assertEq(
            burn.balance - burned,
            lazy * VSTAKE + STAKE - STAKE / 2 - STAKE * 3 / 10,
            "the lazy passes and the solver's stake"
        );
    }

    /// @dev `SLOTS` made-up slot hashes of a trace of `segment`, told apart by `tag`.
    function _slots(uint64 segment, string memory tag)
        internal
        pure
        returns (bytes32[] memory slots)
    {
        slots = new bytes32[](SLOTS);
        for (uint256 i = 0; i < SLOTS; i++) {
            slots[i] = Tensor.hash(Tensor.Header(1, 1, 1, keccak256(abi.encode(tag, segment, i))));
        }
    }

    /// @dev A segment index the solver signs for `segment`: the per-step states it posts
    /// (`_steps`), the trace of step 0 that `_proveLink` convicts (`faithful`) or another one
    /// (`_slots(segment, "honest")`), and step 1's trace `_slots(segment, "step 1")`; and the
    /// path of step 0's root among the trace roots.
    function _index(uint64 segment, bool faithful)
        internal
        view
        returns (bytes32 statesRoot, bytes32[] memory traces, bytes32[] memory path)
    {
        statesRoot = _root(_leaves(_steps(segment)));
        traces = new bytes32[](2);
        traces[0] = _root(_leaves(faithful ? _trace(segment) : _slots(segment, "honest")));
        traces[1] = _root(_leaves(_slots(segment, "step 1")));
        path = _proof(_leaves(traces), 0);
    }

    /// @dev How many samples drew `segment`.
    function _on(Attestations.Sample[] memory s, uint64 segment) internal pure returns (uint256 n) {
        for (uint256 i = 0; i < s.length; i++) {
            if (s[i].segment == segment) n++;
        }
    }

    /// @notice Property 4 (issue 13): a *pass* names the segment index it checked op by op and
    /// is held to it. A lazy verifier names the solver's index without checking it; naming
    /// posts its per-step states, so the game on the segment is played on exactly that data,
    /// and a link proof convicts step 0 of it after the window closed. Every pass that named
    /// the segment is burned at settlement, with no further move; the passes of other segments
    /// keep their stakes.
    function test_property4_aPassOfTheDataAProofConvictsIsBurned() public {
        Attestations.Sample[] memory s = _sampled();
        uint64 seg = s[0].segment;
        _passAndNameAll(s);
        vm.assertEq(
            dispute.stepsRoot(taskId, seg), _root(_leaves(_steps(seg))), "the naming posted"
        );
        (, bytes32[] memory traces,) = _index(seg, true);
        vm.assertEq(dispute.namedTraces(taskId, seg), _root(_leaves(traces)), "traces named");
        // Challenged in the window's last hour, proven after it closed.
        vm.warp(market.task(taskId).deadline - HOUR / 2);
        vm.prank(challenger);
        uint256 game = dispute.challenge{value: BOND}(taskId, seg);
        vm.warp(block.timestamp + HOUR);
        _proveLink(challenger, game, seg);
        uint256 lazy = _settleBurningThePassesOf(s, seg);
        uint256 stakes;
        for (uint256 i = 0; i < 3; i++) {
            stakes += market.stakeOf(vs[i], Role.Verifier).free;
            vm.assertEq(_locked(vs[i]), 0, "settled");
            Attestations.Attest a = market.samplesOf(taskId)[i].attest;
            vm.assertEq(
                uint256(a),
                uint256(s[i].segment == seg ? Attestations.Attest.Wrong : Attestations.Attest.Pass),
                "burned iff it named the proven segment"
            );
        }
        vm.assertEq(stakes, 30 ether - lazy * VSTAKE, "only the lazy passes' stakes");
        _solvent();
    }

    /// @notice C3 with segment indexes, and no shield index: once a pass named an index, the
    /// solver can play no other data on that segment (its steps were posted by the naming, and
    /// a trace it posts must be the named one), and anyone who holds a named trace may post it.
    /// Here the verifier checked an honest trace at step 0; the solver withholds it in a game
    /// and cannot post the faulty one it signed for others; the verifier posts the honest
    /// trace, and the challenger, with nothing to prove, loses its bond. The other index the
    /// solver signed convicts it of equivocation, which faults no segment: every pass keeps its
    /// stake.
    function test_C3_aSolverPlaysNoOtherDataThanTheNamedIndex() public {
        address sybil = _sybil();
        Attestations.Sample[] memory s = _sampled();
        uint64 seg = s[0].segment;
        (, bytes32[] memory honest,) = _index(seg, false);
        bytes32[] memory states = _steps(seg);
        for (uint256 i = 0; i < s.length; i++) {
            vm.prank(s[i].verifier);
            market.attest(taskId, i, true, 0);
            if (s[i].segment == seg) _name(s[i].verifier, i, states, honest, "");
        }
        vm.prank(challenger);
        uint256 game = dispute.challenge{value: BOND}(taskId, seg);
        _solverCannotRepost(seg, states);
        vm.prank(challenger);
        dispute.pickStep(game, 0);
        _verifierPostsTheWithheldTrace(s[0].verifier, seg, honest);
        vm.assertEq(uint256(dispute.game(game).phase), uint256(Dispute.Phase.AwaitProof), "on");
        vm.warp(dispute.game(game).deadline + 1);
        dispute.timeout(game);
        vm.assertEq(uint256(dispute.game(game).phase), uint256(Dispute.Phase.SolverWon), "won");
        // The solver's other signed index (the faulty trace at step 0) is an equivocation.
        _proveOtherIndex(sybil, seg);
        vm.assertEq(uint256(market.task(taskId).status), uint256(Status.Slashed), "convicted");
        vm.assertEq(market.faultedUntil(taskId, seg), 0, "an equivocation faults no segment");
        vm.warp(market.task(taskId).deadline + 1);
        _settleKeepingEveryVerifierStake(STAKE / 2);
        vm.assertEq(market.balanceOf(sybil), BOND + STAKE / 2, "the equivocation's prover");
        _solvent();
    }

    /// @dev The solver cannot post other steps than the named ones on `segment`, nor the faulty
    /// trace of step 0 it signed for others.
    function _solverCannotRepost(uint64 segment, bytes32[] memory states) internal {
        bytes32[] memory leaves = _leaves(checkpoints);
        bytes32[] memory first = _proof(leaves, segment);
        bytes32[] memory last = _proof(leaves, segment + 1);
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(Dispute.AlreadyPosted.selector, segment, 0));
        dispute.postSteps(taskId, segment, states, first, last);
        (,, bytes32[] memory faithfulPath) = _index(segment, true);
        bytes32[] memory faulty = _trace(segment);
        vm.prank(solver);
        vm.expectPartialRevert(Merkle.RootMismatch.selector);
        dispute.postTrace(taskId, segment, 0, faulty, faithfulPath);
    }

    /// @dev `verifier` posts the honest trace of step 0 of `segment` it named (`honest`: the
    /// named trace roots).
    function _verifierPostsTheWithheldTrace(
        address verifier,
        uint64 segment,
        bytes32[] memory honest
    ) internal {
        bytes32[] memory slots = _slots(segment, "honest");
        bytes32[] memory path = _proof(_leaves(honest), 0);
        vm.prank(verifier);
        dispute.postTrace(taskId, segment, 0, slots, path);
    }

    /// @dev `who` challenges `segment`, picks step 0 and proves the solver signed an index
    /// whose trace there (`_index(segment, true)`) is not the posted one.
    function _proveOtherIndex(address who, uint64 segment) internal {
        (bytes32 statesRoot, bytes32[] memory signed, bytes32[] memory path) = _index(segment, true);
        bytes32 tracesRoot = _root(_leaves(signed));
        Dispute.Signed memory other = Dispute.Signed({
            statesRoot: statesRoot,
            tracesRoot: tracesRoot,
            signature: _sig(market, taskId, 0, statesRoot, tracesRoot)
        });
        bytes32 faultyRoot = _root(_leaves(_trace(segment)));
        vm.prank(who);
        uint256 game = dispute.challenge{value: BOND}(taskId, segment);
        vm.prank(who);
        dispute.pickStep(game, 0);
        vm.prank(who);
        dispute.proveEquivocation(game, other, faultyRoot, path);
    }

    /// @notice Property 4, the shield index closed: a lazy verifier named the solver's index
    /// without holding it; the solver, convicted anyway, withholds the trace of the faulty step
    /// so that no proof is ever made. Nobody posts the named trace, the game times out, the
    /// segment faults, and every pass that named it is burned at settlement.
    function test_property4_aNamedTraceNobodyPostsBurnsThePass() public {
        Attestations.Sample[] memory s = _sampled();
        uint64 seg = s[0].segment;
        _passAndNameAll(s);
        vm.prank(challenger);
        uint256 game = dispute.challenge{value: BOND}(taskId, seg);
        vm.prank(challenger);
        dispute.pickStep(game, 0);
        vm.warp(dispute.game(game).deadline + 1);
        dispute.timeout(game);
        vm.assertGt(market.faultedUntil(taskId, seg), 0, "the withheld trace faults the segment");
        vm.warp(market.task(taskId).deadline + 1);
        _settleBurningThePassesOf(s, seg);
        vm.assertEq(market.balanceOf(challenger), BOND + STAKE / 2, "bond and bounty");
        _solvent();
    }

    /// @notice Review of the binding, F1: a game its solver and a sybil challenger leave overdue
    /// and un-timed-out, waiting for an honest verifier to name the segment (which posts its
    /// steps too late for that game), does not fault the segment when it is finally timed out:
    /// the named pass keeps its stake. A game at a trace faults it only when the named verifier
    /// had half a move window to post the trace itself (`test_property4_aNamedTraceNobodyPosts
    /// BurnsThePass`).
    function test_F1_aGameLeftOverdueBeforeANamingDoesNotBurnIt() public {
        address sybil = _sybil();
        Attestations.Sample[] memory s = _sampled();
        uint64 seg = s[0].segment;
        vm.prank(sybil);
        uint256 game = dispute.challenge{value: BOND}(taskId, seg);
        vm.warp(dispute.game(game).deadline + 1);
        _passAndNameAll(s);
        dispute.timeout(game);
        vm.assertEq(uint256(market.task(taskId).status), uint256(Status.Slashed), "convicted");
        vm.assertLt(
            market.faultedUntil(taskId, seg),
            market.samplesOf(taskId)[0].namedAt,
            "the overdue game covers no later naming"
        );
        vm.warp(market.task(taskId).deadline + 1);
        _settleKeepingEveryVerifierStake(STAKE / 2);
        _solvent();
    }

    /// @dev Per-step state 1 of `segment` (posted by a naming or by the solver), as a request
    /// names it.
    function _midState(uint64 segment) internal view returns (Availability.Where memory w) {
        bytes32[] memory states = _steps(segment);
        w.source = Availability.Source.StepState;
        w.segment = segment;
        w.index = 1;
        w.stateHash = states[1];
        w.siblings = _proof(_leaves(states), 1);
        w.layout = layout;
    }

    /// @dev Every sampled verifier attests *pass* and names the solver's index of its segment.
    function _passAndNameAll(Attestations.Sample[] memory s) internal {
        for (uint256 i = 0; i < s.length; i++) {
            vm.prank(s[i].verifier);
            market.attest(taskId, i, true, 0);
            _name(s[i].verifier, i);
        }
    }

    /// @notice Property 4, the rest of the shield: a solver, convicted either way, leaves a
    /// challenger's on-chain opening of the named data unanswered (here a per-step state's
    /// tensors) instead of playing on. The named pass answers for what it vouched for: the
    /// lazy verifier, which does not hold it, lets the opening time out, the segment faults,
    /// and every pass that named it is burned.
    function test_property4_anOpeningOfNamedDataNobodyAnswersBurnsThePass() public {
        Attestations.Sample[] memory s = _sampled();
        uint64 seg = s[0].segment;
        _passAndNameAll(s);
        Availability.Where memory w = _midState(seg);
        vm.prank(challenger);
        uint256 r = availability.requestState{value: BOND}(taskId, w);
        vm.warp(block.timestamp + HOUR + 1);
        availability.requestTimeout(r);
        vm.assertGt(
            market.faultedUntil(taskId, seg), 0, "the unanswered opening faults the segment"
        );
        vm.warp(market.task(taskId).deadline + 1);
        uint256 burned = burn.balance;
        market.settle(taskId);
        // The timeout reward is a tenth of the stake, not the bounty.
        vm.assertEq(
            burn.balance - burned,
            _on(s, seg) * VSTAKE + STAKE - STAKE / 10 - STAKE * 3 / 10,
            "the lazy passes and the solver's stake"
        );
        _solvent();
    }

    /// @notice ... and an honest named verifier answers the opening the solver withholds from
    /// the data it checked: the request closes (unpaid), the solver is not convicted by it, and
    /// the pass is paid when the task finalizes.
    function test_property4_theNamedVerifierAnswersAnOpeningOfItsData() public {
        Attestations.Sample[] memory s = _sampled();
        uint64 seg = s[0].segment;
        _passAndNameAll(s);
        Availability.Where memory w = _midState(seg);
        vm.prank(challenger);
        uint256 r = availability.requestState{value: BOND}(taskId, w);
        bytes32[] memory tensors = _midTensors(seg);
        vm.prank(s[0].verifier);
        availability.answerState(r, tensors);
        vm.assertFalse(availability.request(r).open, "answered");
        vm.warp(market.task(taskId).deadline + 1);
        market.finalize(taskId);
        uint256 fees;
        for (uint256 i = 0; i < 3; i++) {
            fees += market.balanceOf(vs[i]);
            vm.assertEq(market.stakeOf(vs[i], Role.Verifier).free, 10 ether, "stakes whole");
        }
        vm.assertEq(fees, 3 * FEE, "every named pass paid");
        _solvent();
    }

    /// @notice Review of the guard, 3: a named verifier answers the openings of its data the
    /// solver withholds, and a cheater reopening them as each is answered made it pay every
    /// answer's gas for nothing. A verifier whose pass named the opened data is paid its answer's
    /// gas at once, out of the request's bond (at most the bond), none of it the solver's; anyone
    /// else's answer is paid nothing (review of today's fixes, 4: a front-runner of the solver's
    /// or the named verifier's answer gains nothing).
    function test_review_guard3_aNamedVerifiersAnswerIsPaidItsGasOutOfTheBond() public {
        Attestations.Sample[] memory s = _sampled();
        uint64 seg = s[0].segment;
        _passAndNameAll(s);
        Availability.Where memory w = _midState(seg);
        bytes32[] memory tensors = _midTensors(seg);
        vm.prank(challenger);
        uint256 r = availability.requestState{value: BOND}(taskId, w);
        vm.prank(challenger);
        uint256 other = availability.requestState{value: availability.bondFor(taskId)}(taskId, w);
        uint256 liabilities = market.liabilities();
        vm.fee(1 gwei);
        vm.txGasPrice(2 gwei);
        vm.prank(s[0].verifier, s[0].verifier);
        availability.answerState(r, tensors);
        uint256 paid = market.balanceOf(s[0].verifier);
        vm.assertGt(paid, 30_000 * uint256(2 gwei), "the named verifier is paid its answer's gas");
        vm.assertTrue(paid <= BOND, "out of the bond, at most all of it");
        vm.assertEq(market.answerGasOf(taskId), 0, "none of it the solver's");
        vm.assertEq(market.liabilities(), liabilities, "the bond split, not created");
        address stranger = address(0xF00D);
        vm.prank(stranger, stranger);
        availability.answerState(other, tensors);
        vm.assertFalse(availability.request(other).open, "a stranger's answer closes it");
        vm.assertEq(market.balanceOf(stranger), 0, "and is paid nothing");
        vm.txGasPrice(0);
        _solvent();
    }

    /// @notice Review of openings by anyone, 1: a flood of openings of a named segment's data
    /// that the solver (convicted either way) leaves unanswered cannot burn an honest verifier:
    /// it answers the first `MAX_NAMED_OPENINGS` open at once from what it checked, and an
    /// unanswered opening made while that many were open faults nothing.
    function test_review_openings1_aFloodOfOpeningsCannotBurnAnHonestVerifier() public {
        address sybil = _sybil();
        Attestations.Sample[] memory s = _sampled();
        uint64 seg = s[0].segment;
        _passAndNameAll(s);
        Availability.Where memory w = _midState(seg);
        uint256 cap = availability.MAX_NAMED_OPENINGS();
        uint256[] memory ids = new uint256[](cap + 1);
        for (uint256 i = 0; i <= cap; i++) {
            uint256 bond = availability.bondFor(taskId);
            vm.prank(sybil);
            ids[i] = availability.requestState{value: bond}(taskId, w);
        }
        bytes32[] memory tensors = _midTensors(seg);
        for (uint256 i = 0; i < cap; i++) {
            vm.prank(s[0].verifier);
            availability.answerState(ids[i], tensors);
        }
        vm.warp(block.timestamp + HOUR + 1);
        availability.requestTimeout(ids[cap]);
        vm.assertEq(uint256(market.task(taskId).status), uint256(Status.Slashed), "convicted");
        vm.assertEq(market.faultedUntil(taskId, seg), 0, "the flood's tail faults nothing");
        vm.warp(market.task(taskId).deadline + 1);
        _settleKeepingEveryVerifierStake(STAKE / 10);
        _solvent();
    }

    /// @dev Two samples whose segments share a checkpoint (the same segment, or neighbours),
    /// and that checkpoint.
    function _neighbours(Attestations.Sample[] memory s)
        internal
        pure
        returns (uint256 early, uint256 late, uint64 checkpoint)
    {
        for (uint256 i = 0; i < s.length; i++) {
            for (uint256 j = i + 1; j < s.length; j++) {
                uint64 a = s[i].segment;
                uint64 b = s[j].segment;
                if (a == b) return (i, j, a);
                if (a + 1 == b || b + 1 == a) return (i, j, a > b ? a : b);
            }
        }
        revert("no two samples share a checkpoint");
    }

    /// @notice Review of openings by anyone, 2: each pass is held to its own naming time. Of
    /// two passes whose segments share a checkpoint, one named before an opening of that
    /// checkpoint's state and one named less than half a move window before it was due: when
    /// the solver leaves it unanswered, only the first (which had time to answer it) is burned.
    function test_review_openings2_aPassIsHeldToItsOwnNamingTime() public {
        Attestations.Sample[] memory s = _sampled();
        (uint256 early, uint256 late, uint64 c) = _neighbours(s);
        for (uint256 i = 0; i < s.length; i++) {
            vm.prank(s[i].verifier);
            market.attest(taskId, i, true, 0);
        }
        _name(s[early].verifier, early);
        Availability.Where memory w;
        w.source = Availability.Source.Checkpoint;
        w.index = c;
        w.stateHash = checkpoints[c];
        w.siblings = _proof(_leaves(checkpoints), c);
        w.layout = layout;
        vm.prank(challenger);
        uint256 r = availability.requestState{value: BOND}(taskId, w);
        vm.warp(block.timestamp + HOUR * 3 / 4);
        _name(s[late].verifier, late);
        vm.warp(block.timestamp + HOUR / 4 + 1);
        availability.requestTimeout(r);
        vm.warp(market.task(taskId).deadline + 1);
        market.settle(taskId);
        Attestations.Sample[] memory after_ = market.samplesOf(taskId);
        vm.assertEq(
            uint256(after_[early].attest), uint256(Attestations.Attest.Wrong), "had time: burned"
        );
        vm.assertEq(
            uint256(after_[late].attest), uint256(Attestations.Attest.Pass), "had none: kept"
        );
        _solvent();
    }

    /// @notice F1 for openings: an opening of a segment's per-step state the solver leaves
    /// overdue and un-timed-out until an honest verifier names the segment does not fault it.
    function test_F1_anOpeningLeftOverdueBeforeANamingDoesNotBurnIt() public {
        Attestations.Sample[] memory s = _sampled();
        uint64 seg = s[0].segment;
        _postSteps(seg);
        Availability.Where memory w = _midState(seg);
        vm.prank(challenger);
        uint256 r = availability.requestState{value: BOND}(taskId, w);
        vm.warp(block.timestamp + HOUR + 1);
        _passAndNameAll(s);
        availability.requestTimeout(r);
        vm.assertLt(
            market.faultedUntil(taskId, seg),
            market.samplesOf(taskId)[0].namedAt,
            "the overdue opening covers no later naming"
        );
        vm.warp(market.task(taskId).deadline + 1);
        _settleKeepingEveryVerifierStake(STAKE / 10);
        _solvent();
    }

    /// @notice A verifier attests *pass* on tier 1 in time not to be re-sampled, and names the
    /// index once tier 2 has checked it: once, only its own sample, only a pass that named
    /// none, only its sample's segment, and only while a quarter of the window is left (review
    /// of pass liability, H1: a pass named at the last second, when no challenge can follow,
    /// would ride on others' checks with no risk); the named pass is then paid.
    function test_aPassNamesItsIndexWhileAQuarterOfTheWindowIsLeft() public {
        Attestations.Sample[] memory s = _sampled();
        address v = s[0].verifier;
        vm.prank(v);
        market.attest(taskId, 0, true, 0);
        vm.prank(s[1].verifier);
        market.attest(taskId, 1, false, 1e17);
        (bytes32 statesRoot0, bytes32[] memory traces0,) = _index(s[0].segment, true);
        Dispute.Named memory n = _named(0, _steps(s[0].segment), traces0, "");
        address other = v == vs[0] ? vs[1] : vs[0];
        vm.prank(other);
        vm.expectPartialRevert(Attestations.NotAssigned.selector);
        dispute.namePass(taskId, 0, s[0].segment, n);
        (, bytes32[] memory traces1,) = _index(s[1].segment, true);
        Dispute.Named memory n1 = _named(1, _steps(s[1].segment), traces1, "");
        vm.prank(s[1].verifier);
        vm.expectRevert(abi.encodeWithSelector(Attestations.AlreadyAttested.selector, taskId, 1));
        dispute.namePass(taskId, 1, s[1].segment, n1);
        vm.prank(v);
        dispute.namePass(taskId, 0, s[0].segment, n);
        vm.assertTrue(
            market.samplesOf(taskId)[0].checked
                == keccak256(abi.encode(statesRoot0, _root(_leaves(traces0)))),
            "named"
        );
        vm.prank(v);
        vm.expectRevert(abi.encodeWithSelector(Attestations.AlreadyAttested.selector, taskId, 0));
        dispute.namePass(taskId, 0, s[0].segment, n);
        vm.prank(s[2].verifier);
        market.attest(taskId, 2, true, 0);
        uint64 last = market.task(taskId).deadline - WINDOW / 4;
        vm.warp(last + 1);
        (, bytes32[] memory traces2,) = _index(s[2].segment, true);
        Dispute.Named memory n2 = _named(2, _steps(s[2].segment), traces2, "");
        vm.prank(s[2].verifier);
        vm.expectRevert(abi.encodeWithSelector(Tasks.TooLate.selector, taskId, last));
        dispute.namePass(taskId, 2, s[2].segment, n2);
        vm.warp(block.timestamp + WINDOW);
        market.finalize(taskId);
        vm.assertEq(market.balanceOf(submitter), 2 * FEE, "the unbacked fail's and unnamed fees");
        uint256 fees;
        for (uint256 i = 0; i < 3; i++) {
            fees += market.balanceOf(vs[i]);
        }
        vm.assertEq(fees, FEE, "one fee, for the named pass");
        _solvent();
    }

    /// @notice Property 4: a *pass* names only an index the task's solver signed for the
    /// sample's segment, whose per-step states run between the segment's committed checkpoints,
    /// with all `k` of its trace roots (published, so anyone can build a named trace's path);
    /// made-up roots would earn the fee with nothing to hold the pass to. A signature by another
    /// key, for another segment, re-encoded with a high `s`, a list of another length, or
    /// states that end elsewhere are refused.
    function test_property4_aPassNamesOnlyAnIndexItsSolverSigned() public {
        Attestations.Sample[] memory s = _sampled();
        address v = s[0].verifier;
        uint64 seg = s[0].segment;
        vm.prank(v);
        market.attest(taskId, 0, true, 0);
        (bytes32 statesRoot, bytes32[] memory traces,) = _index(seg, true);
        bytes32[] memory states = _steps(seg);
        bytes[3] memory bad = _badSignatures(seg, statesRoot, _root(_leaves(traces)));
        for (uint256 i = 0; i < 3; i++) {
            Dispute.Named memory b = _named(0, states, traces, bad[i]);
            vm.prank(v);
            vm.expectRevert(Dispute.NotSignedBySolver.selector);
            dispute.namePass(taskId, 0, seg, b);
        }
        bytes32[] memory three = new bytes32[](3);
        Dispute.Named memory n = _named(0, states, three, "");
        vm.prank(v);
        vm.expectRevert(abi.encodeWithSelector(Dispute.WrongCount.selector, 2, 3));
        dispute.namePass(taskId, 0, seg, n);
        bytes32[] memory elsewhere = _steps(seg);
        elsewhere[2] = keccak256("elsewhere");
        n = _named(0, elsewhere, traces, "");
        vm.prank(v);
        vm.expectPartialRevert(Merkle.RootMismatch.selector);
        dispute.namePass(taskId, 0, seg, n);
        _name(v, 0);
    }

    /// @dev Signatures of index (`statesRoot`, `tracesRoot`) of sample 0's `segment` that a
    /// pass may not name: by another key, re-encoded with a high `s`, and the solver's for
    /// another segment.
    function _badSignatures(uint64 segment, bytes32 statesRoot, bytes32 tracesRoot)
        internal
        returns (bytes[3] memory bad)
    {
        bytes32 digest = keccak256(
            abi.encode(
                keccak256("poai/segment/1"),
                address(market),
                taskId,
                segment,
                committedRoot,
                statesRoot,
                tracesRoot
            )
        );
        bytes32 message = keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", digest));
        (uint8 v, bytes32 r, bytes32 w) = vm.sign(0xBAD, message);
        bad[0] = abi.encodePacked(r, w, v);
        (v, r, w) = vm.sign(SOLVER_KEY, message);
        bad[1] = abi.encodePacked(
            r,
            bytes32(
                0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141 - uint256(w)
            ),
            v == 27 ? uint8(28) : uint8(27)
        );
        drawn[0] = segment + 1;
        bad[2] = _sig(market, taskId, 0, statesRoot, tracesRoot);
        drawn[0] = segment;
    }

    /// @notice A named index is the segment's posted data, whichever came first: a pass cannot
    /// name per-step states other than the posted ones, nor a trace root other than one posted
    /// at that step (the solver signed two indexes: an equivocation); once named, a stranger may
    /// post a named trace (with its path) and nothing else, and on a segment nobody named only
    /// the solver posts.
    function test_property4_aNamedIndexIsTheSegmentsPostedData() public {
        Attestations.Sample[] memory s = _sampled();
        address v = s[0].verifier;
        uint64 seg = s[0].segment;
        vm.prank(v);
        market.attest(taskId, 0, true, 0);
        _postSteps(seg);
        bytes32[] memory otherStates = _steps(seg);
        otherStates[1] = keccak256("another state");
        (, bytes32[] memory traces,) = _index(seg, true);
        Dispute.Named memory n = _named(0, otherStates, traces, "");
        vm.prank(v);
        vm.expectRevert(abi.encodeWithSelector(Dispute.NotThePostedIndex.selector, seg));
        dispute.namePass(taskId, 0, seg, n);
        bytes32[] memory none = new bytes32[](0);
        bytes32[] memory faulty = _trace(seg);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Court.NotTheSolver.selector, taskId, solver));
        dispute.postTrace(taskId, seg, 0, faulty, none);
        vm.prank(solver);
        dispute.postTrace(taskId, seg, 0, faulty, none);
        (, bytes32[] memory honest,) = _index(seg, false);
        n = _named(0, _steps(seg), honest, "");
        vm.prank(v);
        vm.expectRevert(abi.encodeWithSelector(Dispute.NotThePostedIndex.selector, seg));
        dispute.namePass(taskId, 0, seg, n);
        _name(v, 0);
        bytes32[] memory step1 = _slots(seg, "step 1");
        bytes32[] memory path = _proof(_leaves(traces), 1);
        vm.prank(challenger);
        vm.expectPartialRevert(Merkle.RootMismatch.selector);
        dispute.postTrace(taskId, seg, 1, faulty, path);
        vm.prank(challenger);
        dispute.postTrace(taskId, seg, 1, step1, path);
        vm.assertEq(dispute.traceRoot(taskId, seg, 1), traces[1], "a stranger posted it");
    }

    /// @notice Property 4: only a *pass* that names a segment index (and so is liable for it)
    /// earns the fee; one that names none gets its stake back and no fee, which goes back to
    /// the submitter (a solver gains nothing by serving no index).
    function test_property4_aPassThatNamesNoIndexEarnsNoFee() public {
        Attestations.Sample[] memory s = _sampled();
        vm.prank(s[0].verifier);
        market.attest(taskId, 0, true, 0);
        for (uint256 i = 1; i < s.length; i++) {
            vm.prank(s[i].verifier);
            market.attest(taskId, i, true, 0);
            _name(s[i].verifier, i);
        }
        vm.warp(block.timestamp + WINDOW + 1);
        market.finalize(taskId);
        vm.assertEq(market.balanceOf(solver), PAY - 3 * FEE, "the payment less every fee");
        vm.assertEq(market.balanceOf(submitter), FEE, "the unnamed pass's fee back");
        uint256 fees;
        for (uint256 i = 0; i < 3; i++) {
            fees += market.balanceOf(vs[i]);
            vm.assertEq(market.stakeOf(vs[i], Role.Verifier).free, 10 ether, "stakes back");
        }
        vm.assertEq(fees, 2 * FEE, "two fees, for the two named passes");
        _solvent();
    }

    /// @notice DESIGN §6 (4): a pass that named nothing vouched for nothing. A solver silent in
    /// a game on a segment its verifiers passed without naming an index (both in the game and on
    /// the steps its challenger demanded for it) is convicted, and the passes are unlocked, not
    /// burned.
    function test_property4_aSilentSolverDoesNotCostUnnamedPassesTheirStake() public {
        Attestations.Sample[] memory s = _sampled();
        for (uint256 i = 0; i < s.length; i++) {
            vm.prank(s[i].verifier);
            market.attest(taskId, i, true, 0);
        }
        uint64 seg = s[0].segment;
        vm.prank(challenger);
        uint256 game = dispute.challenge{value: BOND}(taskId, seg);
        vm.prank(challenger);
        uint256 r = availability.requestSteps{value: BOND}(taskId, seg);
        vm.assertEq(availability.request(r).segment, seg, "the demand ranks as its game");
        // Steps are due in the game's clock (3 h here).
        vm.warp(block.timestamp + 3 * HOUR + 1);
        availability.requestTimeout(r);
        vm.assertEq(uint256(market.task(taskId).status), uint256(Status.Slashed), "convicted");
        vm.warp(block.timestamp + HOUR);
        dispute.timeout(game);
        vm.assertEq(
            uint256(dispute.game(game).phase), uint256(Dispute.Phase.ChallengerWon), "timeout"
        );
        vm.warp(block.timestamp + WINDOW);
        uint256 burned = burn.balance;
        market.settle(taskId);
        vm.assertEq(
            burn.balance - burned, STAKE - STAKE / 2 - STAKE * 3 / 10, "only the solver's stake"
        );
        for (uint256 i = 0; i < 3; i++) {
            vm.assertEq(market.stakeOf(vs[i], Role.Verifier).free, 10 ether, "stakes back");
            vm.assertEq(_locked(vs[i]), 0, "unlocked");
            vm.assertEq(market.balanceOf(vs[i]), 0, "no fee on a convicted task");
        }
        vm.assertEq(market.balanceOf(challenger), 2 * BOND + STAKE / 2, "bonds and bounty");
        _solvent();
    }

    /// @notice Review A: a sampled verifier's backed challenge of its own segment ranks for the
    /// bounty by its game's order, like anyone's (it ranked first before): the earlier stranger's
    /// proof keeps the bounty; the verifier gets its bond back and its backed *fail* unlocked.
    function test_aSampledVerifiersWinRanksByItsGamesOrderLikeAnyOther() public {
        (Market m, uint256 id) = _courtMarket();
        Attestations.Sample[] memory s = m.samplesOf(id);
        address v = s[0].verifier;
        uint64 first = m.openCase{value: BOND}(id, challenger, s[0].segment);
        vm.prank(v);
        m.attest(id, 0, false, 1e17);
        uint64 second = m.openCase{value: BOND}(id, v, s[0].segment);
        vm.assertTrue(m.samplesOf(id)[0].backed, "backed");
        m.convict(id, v, BOND, second, s[0].segment, Win.Op);
        vm.assertEq(m.conviction(id).prover, v, "the first win in line");
        m.convict(id, challenger, BOND, first, s[0].segment, Win.Op);
        vm.assertEq(m.conviction(id).prover, challenger, "the earlier game ranks first");
        vm.warp(block.timestamp + WINDOW + 1);
        m.settle(id);
        vm.assertEq(m.balanceOf(challenger), BOND + STAKE / 2, "the earlier game: the bounty");
        vm.assertEq(m.balanceOf(v), BOND, "the sampled verifier: its bond");
        vm.assertEq(_locked(v), 0, "unlocked");
        vm.assertEq(address(m).balance, m.liabilities(), "solvent");
    }

    /// @notice Review A: a sampled verifier's win ranked before every other case, so a solver's
    /// sybil drawn for a segment could attest *fail*, challenge the segment after an honest
    /// challenger and prove the same fraud, and take the bounty from the honest game's earlier
    /// proof. The earliest-opened game won now takes the bounty, sampled or not: the honest
    /// challenger keeps it, and the sybil gets its bond and stake back only.
    function test_review_A_aSampledSybilDoesNotTakeTheBountyFromAnEarlierProof() public {
        Attestations.Sample[] memory s = _sampled();
        address sybil = s[0].verifier;
        uint64 seg = s[0].segment;
        vm.prank(challenger);
        uint256 honest = dispute.challenge{value: BOND}(taskId, seg);
        _proveLink(challenger, honest, seg);
        vm.assertEq(market.conviction(taskId).prover, challenger, "the honest proof in line");
        // The sampled sybil attests fail, backs it with its own game and proves the fraud too.
        vm.prank(sybil);
        market.attest(taskId, 0, false, 1e17);
        vm.prank(sybil);
        uint256 self = dispute.challenge{value: BOND}(taskId, seg);
        vm.assertTrue(market.samplesOf(taskId)[0].backed, "its fail is backed");
        _proveLink(sybil, self, seg);
        vm.assertEq(market.conviction(taskId).prover, challenger, "the earlier game keeps it");
        for (uint256 i = 1; i < s.length; i++) {
            vm.prank(s[i].verifier);
            market.attest(taskId, i, true, 0);
        }
        vm.warp(block.timestamp + WINDOW + 1);
        market.settle(taskId);
        vm.assertEq(market.balanceOf(challenger), BOND + STAKE / 2, "honest: bond and bounty");
        vm.assertEq(market.balanceOf(sybil), BOND, "sampled sybil: its bond only");
        vm.assertEq(market.stakeOf(sybil, Role.Verifier).free, 10 ether, "its stake back");
        vm.assertEq(_locked(sybil), 0, "unlocked");
        _solvent();
    }

    /// @notice A sampled verifier that had not yet attested when another case convicted the
    /// task (here an availability request the solver left unanswered, within the first hour)
    /// may still attest until the window closes, and is not burned as a no-show.
    function test_aConvictionDoesNotCutTheVerifiersWindowShort() public {
        Attestations.Sample[] memory s = _sampled();
        vm.prank(challenger);
        uint256 r = availability.requestLeaf{value: BOND}(taskId, 0);
        vm.warp(block.timestamp + HOUR + 1);
        availability.requestTimeout(r);
        vm.assertEq(uint256(market.task(taskId).status), uint256(Status.Slashed), "convicted");
        for (uint256 i = 0; i < s.length; i++) {
            vm.prank(s[i].verifier);
            market.attest(taskId, i, true, 0);
        }
        vm.warp(block.timestamp + WINDOW);
        _settleKeepingEveryVerifierStake(STAKE / 10);
        _solvent();
    }

    function test_feesMustLeaveThePaymentSomething() public {
        Terms memory t = _terms();
        t.verifierFee = 1 ether;
        Commitments memory c = _commitments();
        vm.prank(submitter);
        vm.expectRevert(
            abi.encodeWithSelector(Tasks.BadTerms.selector, Tasks.TermRule.FeesExceedPayment)
        );
        market.submitTask{value: 3 ether}(c, t);
    }
}
