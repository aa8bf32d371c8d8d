// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Test, Vm} from "./utils/Test.sol";
import {Trees} from "./utils/Trees.sol";
import {Market} from "../src/market/Market.sol";
import {OpProver} from "../src/OpProver.sol";
import {Attestations} from "../src/market/Attestations.sol";
import {Stakes} from "../src/market/Stakes.sol";
import {Commitments, Role, Status, Task, Terms} from "../src/market/Types.sol";
import {Dispute} from "../src/court/Dispute.sol";
import {Availability} from "../src/court/Availability.sol";
import {State} from "../src/commit/State.sol";
import {Tensor} from "../src/commit/Tensor.sol";

/// @notice Random sequences of every market and court action, with ghost accounting kept outside
/// the contracts (contracts/PROPERTIES.md lists what must hold after every one). The actors:
/// - `honest`, a solver whose commitments open: synthetic states and tensors (made-up rows, real
///   §3 trees and headers), from which it answers every request and move *before any time
///   passes* (`wait` serves first), which is what "in time" means here;
/// - `lazy`, a solver that commits a junk root and never answers, so convictions happen;
/// - `flaky`, a solver whose commitments open like `honest`'s but that answers leaf requests
///   only (never a move, a steps, state or row request), so convicted tasks have answered
///   openings whose bonds the market holds (review E);
/// - `eve`, an adversary who submits, requests any leaf, state or row (in range or past the
///   tensor's end) of any committed state or trace slot, challenges, picks steps, times out
///   whatever it can and reclaims held bonds; the sampled verifiers attest at random and are
///   re-sampled.
/// Nobody proves an op (the synthetic trace is not a real computation): the honest-solver
/// property covers availability and liveness, the ways AUDIT C1, H1, H7 and M5 slashed an
/// honest solver. The handler also checks every payout of a held bond as it happens.
contract MarketHandler is Trees {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    Market public market;
    Dispute public dispute;
    Availability public availability;

    // Solvers sign segment indexes (a *pass* names only one its solver signed): keyed accounts.
    address public immutable honest = vm.addr(0x4011);
    address public immutable lazy = vm.addr(0x1A2);
    address public immutable flaky = vm.addr(0xF1A);
    address public immutable eve = vm.addr(0xE7E);
    address public constant sam = address(0x5A3);
    address internal constant BURN = address(0xdEaD);
    address[3] internal verifiers = [address(0xF1), address(0xF2), address(0xF3)];

    uint64 internal constant INTERVAL = 2;
    uint64 internal constant SEGMENTS = 2;
    uint32 internal constant SLOTS = 3;
    uint256 internal constant MAX_TASKS = 8;
    /// The one state layout: two tensors per state, no next-state slots.
    bytes public layout = abi.encode(uint32(2), new uint32[](0));
    bytes32 internal constant INIT = keccak256("init state");

    /// Wei sent into the market (deposits, payments, bonds) and withdrawn from it, seen from
    /// outside; burns are `0x…dEaD`'s balance above where it started.
    uint256 public ghostIn;
    uint256 public ghostWithdrawn;
    uint256 public burnedBefore;
    /// How each task ended (finalize, refund or settle), and how often.
    mapping(uint256 => uint256) public endings;
    mapping(uint256 => Status) public endedAs;
    /// The honest solver's deposits, and every answer or move of its that failed.
    uint256 public honestDeposited;
    uint256 public honestFailures;
    bytes public lastFailure;
    /// Requests for a row past the tensor's end that the honest solver answered (coverage).
    uint256 public pastEndAnswered;
    /// Coverage: honest tasks committed, rows asked for past the end, timeouts that convicted.
    uint256 public honestTasks;
    uint256 public pastEndRequested;
    uint256 public timeoutsWon;
    /// Review E: the bonds of answered openings, held until their task resolves, as the handler
    /// saw them held (by task; by task and requester), all ever held (coverage), those
    /// reclaimed, and every payout that did not match: a finalized task's solver not credited
    /// exactly its payment less the fees plus the held bonds, a convicted solver credited
    /// anything at settlement, a reclaim other than the requester's held bonds of a convicted
    /// task.
    mapping(uint256 => uint256) public heldOf;
    mapping(uint256 => mapping(address => uint256)) public heldFor;
    uint256 public heldTotal;
    uint256 public reclaimed;
    uint256 public payoutMismatches;
    /// Requests made by `flood`.
    uint256 public flooded;
    /// A negative control for the tests: the honest solver skips rows past the end (as it
    /// would have to if `answerRow` refused them).
    bool public immutable skipPastEnd;

    /// What the honest solver can open: a state's label by its hash, a tensor's by its hash.
    mapping(bytes32 => bytes32) internal _stateLabel;
    mapping(bytes32 => bytes32) internal _tensorLabel;

    constructor(Market m, Dispute d, Availability a, bool skipPastEnd_) {
        skipPastEnd = skipPastEnd_;
        market = m;
        dispute = d;
        availability = a;
        burnedBefore = BURN.balance;
        vm.deal(honest, 1_000_000 ether);
        vm.deal(lazy, 1_000_000 ether);
        vm.deal(flaky, 1_000_000 ether);
        vm.deal(eve, 1_000_000 ether);
        vm.deal(sam, 1_000_000 ether);
        for (uint256 i = 0; i < 3; i++) {
            vm.deal(verifiers[i], 1_000_000 ether);
            vm.startPrank(verifiers[i]);
            m.deposit{value: 5 ether}(Role.Verifier);
            if (!m.registered(verifiers[i])) m.registerVerifier();
            vm.stopPrank();
            ghostIn += 5 ether;
        }
    }

    // ------------------------------------------------------------------ synthetic data

    /// @dev A tensor: 2 or 3 rows of three made-up f32 values each.
    function _header(bytes32 label) internal view returns (Tensor.Header memory h) {
        h.dtype = 1;
        h.rows = uint32(2 + uint256(label) % 2);
        h.cols = 3;
        h.rowsRoot = _root(_rowLeaves(label, h.rows));
    }

    function _row(bytes32 label, uint256 r) internal pure returns (bytes memory) {
        return abi.encodePacked(bytes12(keccak256(abi.encode(label, r))));
    }

    function _rowLeaves(bytes32 label, uint256 rows) internal view returns (bytes32[] memory l) {
        bytes32[] memory roots = new bytes32[](rows);
        for (uint256 r = 0; r < rows; r++) {
            roots[r] = Tensor.rowRoot(_row(label, r));
        }
        l = _leaves(roots);
    }

    function _tensorHash(bytes32 label) internal returns (bytes32 h) {
        h = Tensor.hash(_header(label));
        _tensorLabel[h] = label;
    }

    function _tensors(bytes32 stateLabel) internal returns (bytes32[] memory t) {
        t = new bytes32[](2);
        for (uint256 i = 0; i < 2; i++) {
            t[i] = _tensorHash(keccak256(abi.encode(stateLabel, i)));
        }
    }

    function _stateHash(bytes32 label) internal returns (bytes32 h) {
        h = State.hash(_tensors(label));
        _stateLabel[h] = label;
    }

    function _checkpoint(uint256 id, uint256 c) internal pure returns (bytes32) {
        return c == 0 ? INIT : keccak256(abi.encode(id, "checkpoint", c));
    }

    /// @dev Per-step state `i` of `segment`: its ends are the segment's checkpoints.
    function _stepState(uint256 id, uint64 segment, uint256 i) internal pure returns (bytes32) {
        if (i == 0) return _checkpoint(id, segment);
        if (i == INTERVAL) return _checkpoint(id, segment + 1);
        return keccak256(abi.encode(id, "step", segment, i));
    }

    function _checkpointLeaves(uint256 id) internal returns (bytes32[] memory) {
        bytes32[] memory s = new bytes32[](SEGMENTS + 1);
        for (uint256 c = 0; c <= SEGMENTS; c++) {
            s[c] = _stateHash(_checkpoint(id, c));
        }
        return _leaves(s);
    }

    function _steps(uint256 id, uint64 segment) internal returns (bytes32[] memory s) {
        s = new bytes32[](INTERVAL + 1);
        for (uint256 i = 0; i <= INTERVAL; i++) {
            s[i] = _stateHash(_stepState(id, segment, i));
        }
    }

    function _slots(uint256 id, uint64 segment, uint64 step) internal returns (bytes32[] memory s) {
        s = new bytes32[](SLOTS);
        for (uint256 j = 0; j < SLOTS; j++) {
            s[j] = _tensorHash(keccak256(abi.encode(id, "slot", segment, step, j)));
        }
    }

    // ------------------------------------------------------------------ helpers

    function _taskId(uint256 seed) internal view returns (uint256) {
        uint256 n = market.taskCount();
        return n == 0 ? 0 : 1 + seed % n;
    }

    /// @dev The first open task from `seed`'s, or 0.
    function _openTask(uint256 seed) internal view returns (uint256) {
        uint256 n = market.taskCount();
        for (uint256 i = 0; i < n; i++) {
            uint256 id = 1 + (seed % n + i) % n;
            if (market.task(id).status == Status.Open) return id;
        }
        return 0;
    }

    function _solverOf(uint256 id) internal view returns (address) {
        return id == 0 ? address(0) : market.task(id).solver;
    }

    function _failed(bytes memory reason) internal {
        honestFailures++;
        lastFailure = reason;
    }

    function _ended(uint256 id) internal {
        endings[id]++;
        endedAs[id] = market.task(id).status;
    }

    /// @dev Whether `solver` answers request `q` (its commitments open): the honest solver
    /// every request, the flaky one leaf requests only.
    function _serves(address solver, Availability.Request memory q) internal view returns (bool) {
        return solver == honest || (solver == flaky && q.kind == Availability.Kind.Leaf);
    }

    /// @dev Request `q` was answered: the market holds its bond.
    function _hold(Availability.Request memory q) internal {
        heldOf[q.task] += q.bond;
        heldFor[q.task][q.requester] += q.bond;
        heldTotal += q.bond;
    }

    /// @dev The verifier stakes a task's finalization burns: every sample still assigned but
    /// a *pass* or a backed *fail*.
    function _forfeits(uint256 id, Task memory k) internal view returns (uint256 burned) {
        Attestations.Sample[] memory s = market.samplesOf(id);
        for (uint256 i = 0; i < s.length; i++) {
            bool keeps = s[i].attest == Attestations.Attest.Pass
                || (s[i].attest == Attestations.Attest.Fail && s[i].backed);
            if (s[i].verifier != address(0) && !keeps) burned += k.terms.verifierStake;
        }
    }

    /// @dev The fees a task's finalization pays: one per *pass* of a sample still assigned that
    /// named a segment index.
    function _fees(uint256 id, Task memory k) internal view returns (uint256 fees) {
        Attestations.Sample[] memory s = market.samplesOf(id);
        for (uint256 i = 0; i < s.length; i++) {
            if (
                s[i].verifier != address(0) && s[i].attest == Attestations.Attest.Pass
                    && s[i].checked != 0
            ) {
                fees += k.terms.verifierFee;
            }
        }
    }

    // ------------------------------------------------------------------ tasks

    function submit(bool byEve, uint256 pay, uint256 stake, uint8 samples, bool bigBond) external {
        if (market.taskCount() >= MAX_TASKS) return;
        pay = 0.1 ether + pay % 5 ether;
        Commitments memory c;
        c.programRoot = keccak256("program");
        c.datasetHash = keccak256("data");
        c.initStateHash = _stateHash(INIT);
        c.layoutHash = sha256(layout);
        c.steps = INTERVAL * SEGMENTS;
        c.interval = INTERVAL;
        c.ops = SLOTS - 1;
        c.slots = SLOTS;
        c.batch = 8;
        Terms memory t = Terms({
            solverStake: 5 ether + stake % 5 ether,
            challengeBond: bigBond ? 0.5 ether : market.minBond(),
            verifierStake: 0.5 ether,
            verifierFee: 0.01 ether,
            samples: samples % 3,
            claimBy: uint64(block.timestamp) + 1 hours,
            solveWithin: 2 hours,
            challengeWithin: 3 hours
        });
        vm.prank(byEve ? eve : sam);
        market.submitTask{value: pay}(c, t);
        ghostIn += pay;
    }

    /// @notice The honest solver claims and commits at once (it never misses its deadline).
    function claimHonest(uint256 task) external {
        uint256 stake = _claimOpening(honest, task);
        honestDeposited += stake;
    }

    /// @notice The flaky solver claims and commits the same openable root at once.
    function claimFlaky(uint256 task) external {
        _claimOpening(flaky, task);
    }

    /// @dev `who` deposits the stake of the first open task from `task`'s, claims it and
    /// commits the root of its openable checkpoints; returns the stake it deposited.
    function _claimOpening(address who, uint256 task) internal returns (uint256 stake) {
        uint256 id = _openTask(task);
        if (id == 0) return 0;
        stake = market.task(id).terms.solverStake;
        bytes32 root = _root(_checkpointLeaves(id));
        vm.startPrank(who);
        market.deposit{value: stake}(Role.Solver);
        try market.claim(id) {
            market.commitResult(id, root);
            if (who == honest) honestTasks++;
        } catch {}
        vm.stopPrank();
        ghostIn += stake;
    }

    /// @notice The lazy solver claims, maybe commits junk, and never answers anything.
    function claimLazy(uint256 task, bool commit) external {
        uint256 id = _openTask(task);
        if (id == 0) return;
        uint256 stake = market.task(id).terms.solverStake;
        vm.startPrank(lazy);
        market.deposit{value: stake}(Role.Solver);
        try market.claim(id) {
            if (commit) market.commitResult(id, keccak256(abi.encode("junk", id)));
        } catch {}
        vm.stopPrank();
        ghostIn += stake;
    }

    /// @notice Finalizes a task; its solver must be credited exactly the payment less every
    /// sample's fee plus its answers' gas (at most the held bonds), the submitter the fees no
    /// verifier earned, and the rest of the held bonds of its answered openings burned (review
    /// 5, 2).
    function finalize(uint256 task) external {
        uint256 id = _taskId(task);
        if (id == 0) return;
        Task memory k = market.task(id);
        uint256 before = market.balanceOf(k.solver);
        uint256 submitterBefore = market.balanceOf(k.submitter);
        uint256 burned = BURN.balance;
        uint256 gas = market.answerGasOf(id);
        uint256 allFees = uint256(k.terms.samples) * k.terms.verifierFee;
        uint256 owed = k.status == Status.Committed ? k.payment - allFees + gas : 0;
        uint256 refunded = k.status == Status.Committed ? allFees - _fees(id, k) : 0;
        uint256 forfeits = _forfeits(id, k);
        try market.finalize(id) {
            _ended(id);
            // Checked only of a task that finalizes: a convicted one keeps its answers' gas
            // on the books, but its requesters reclaim their bonds whole (CI found the check
            // made before the call counting a convicted task's).
            if (gas > heldOf[id]) payoutMismatches++;
            if (k.submitter == k.solver) {
                if (market.balanceOf(k.solver) - before != owed + refunded) payoutMismatches++;
            } else {
                if (market.balanceOf(k.solver) - before != owed) payoutMismatches++;
                if (market.balanceOf(k.submitter) - submitterBefore != refunded) {
                    payoutMismatches++;
                }
            }
            if (BURN.balance - burned + gas != heldOf[id] + forfeits) payoutMismatches++;
            heldOf[id] = 0;
        } catch {}
    }

    function refund(uint256 task) external {
        uint256 id = _taskId(task);
        if (id == 0) return;
        try market.refund(id) {
            _ended(id);
        } catch {}
    }

    /// @notice Settles a convicted task; its solver is credited nothing (no held bond either).
    function settle(uint256 task) external {
        uint256 id = _taskId(task);
        if (id == 0) return;
        address solver = market.task(id).solver;
        uint256 before = market.balanceOf(solver);
        try market.settle(id) {
            _ended(id);
            if (market.balanceOf(solver) != before) payoutMismatches++;
        } catch {}
    }

    /// @notice Eve, or a solver, reclaims its held bonds of every task: exactly the bonds of its
    /// answered openings of each convicted task, and never of another.
    function reclaim(uint256 who) external {
        address[3] memory all = [eve, flaky, honest];
        address a = all[who % 3];
        uint256 n = market.taskCount();
        for (uint256 id = 1; id <= n; id++) {
            bool convicted = market.task(id).status == Status.Slashed;
            uint256 before = market.balanceOf(a);
            vm.prank(a);
            try market.reclaim(id) {
                uint256 got = market.balanceOf(a) - before;
                if (!convicted || got != heldFor[id][a]) {
                    payoutMismatches++;
                    continue;
                }
                reclaimed += got;
                heldOf[id] -= got;
                heldFor[id][a] = 0;
            } catch {
                if (convicted) payoutMismatches++;
            }
        }
    }

    // ------------------------------------------------------------------ the honest solver

    /// @notice The honest solver answers every open request on its tasks and makes every move
    /// its games wait for.
    function serve() public {
        uint256 n = availability.requestCount();
        for (uint256 r = 1; r <= n; r++) {
            _answer(r);
        }
        uint256 g = dispute.gameCount();
        for (uint256 i = 1; i <= g; i++) {
            _move(i);
        }
    }

    /// @dev Answers are priced (the solver is paid their gas out of the bonds), some above the
    /// base fee plus the tip the court pays at most; nothing else is (a price left set would
    /// charge the fuzzer's next senders for gas).
    function _answer(uint256 id) internal {
        vm.fee(1 gwei);
        vm.txGasPrice((1 + id % 4) * 1 gwei);
        _answerPriced(id);
        vm.txGasPrice(0);
        vm.fee(0);
    }

    function _answerPriced(uint256 id) internal {
        Availability.Request memory q = availability.request(id);
        address by = _solverOf(q.task);
        if (!q.open || !_serves(by, q)) return;
        if (q.kind == Availability.Kind.Steps) {
            if (dispute.stepsPostedAt(q.task, uint64(q.index)) == 0) {
                _postSteps(q.task, uint64(q.index));
            }
            return;
        }
        if (block.timestamp > q.deadline) return; // counted by the invariant as a slash
        if (q.kind == Availability.Kind.Leaf) {
            bytes32[] memory leaves = _checkpointLeaves(q.task);
            bytes32 state = _stateHash(_checkpoint(q.task, q.index));
            bytes32[] memory path = _proof(leaves, q.index);
            vm.prank(by);
            try availability.answerLeaf(id, state, path) {
                _hold(q);
            } catch (bytes memory e) {
                _failed(e);
            }
        } else if (q.kind == Availability.Kind.State) {
            bytes32[] memory tensors = _tensors(_stateLabel[q.subject]);
            vm.prank(by);
            try availability.answerState(id, tensors) {
                _hold(q);
            } catch (bytes memory e) {
                _failed(e);
            }
        } else {
            bytes32 label = _tensorLabel[q.subject];
            Tensor.Header memory h = _header(label);
            bytes memory data;
            bytes32[] memory path;
            if (q.index < h.rows) {
                data = _row(label, q.index);
                path = _proof(_rowLeaves(label, h.rows), q.index);
            } else {
                if (skipPastEnd) return;
                pastEndAnswered++;
            }
            vm.prank(by);
            try availability.answerRow(id, h, data, path) {
                _hold(q);
            } catch (bytes memory e) {
                _failed(e);
            }
        }
    }

    function _move(uint256 id) internal {
        Dispute.Game memory g = dispute.game(id);
        if (_solverOf(g.task) != honest) return;
        if (g.phase == Dispute.Phase.AwaitSteps) {
            _postSteps(g.task, g.segment);
        } else if (g.phase == Dispute.Phase.AwaitTrace) {
            bytes32[] memory slots = _slots(g.task, g.segment, g.step);
            // On a named segment, its trace's path among the named roots (the honest solver
            // signs only its own index).
            bytes32[] memory path;
            if (dispute.namedTraces(g.task, g.segment) != 0) {
                path = _proof(_leaves(_traceRoots(g.task, g.segment)), g.step);
            }
            vm.prank(honest);
            try dispute.postTrace(g.task, g.segment, g.step, slots, path) {}
            catch (bytes memory e) {
                _failed(e);
            }
        }
    }

    function _postSteps(uint256 id, uint64 segment) internal {
        bytes32[] memory states = _steps(id, segment);
        bytes32[] memory leaves = _checkpointLeaves(id);
        bytes32[] memory first = _proof(leaves, segment);
        bytes32[] memory last = _proof(leaves, segment + 1);
        vm.prank(honest);
        try dispute.postSteps(id, segment, states, first, last) {}
        catch (bytes memory e) {
            _failed(e);
        }
    }

    // ------------------------------------------------------------------ the adversary

    function _bond(uint256 id) internal view returns (uint256) {
        return market.task(id).terms.challengeBond;
    }

    /// @dev The bond a request takes now (more in a flood: review 5, 5).
    function _requestBond(uint256 id) internal view returns (uint256) {
        return availability.bondFor(id);
    }

    function requestLeaf(uint256 task, uint256 index) external {
        uint256 id = _taskId(task);
        if (id == 0) return;
        uint256 bond = _requestBond(id);
        vm.prank(eve);
        try availability.requestLeaf{value: bond}(id, index % (SEGMENTS + 2)) {
            ghostIn += bond;
        } catch {}
    }

    /// @notice Eve floods a task with leaf requests, each at the price `bondFor` reads then
    /// (past the free ones, doubling bonds: review 5, 5), until the count or her money runs out.
    function flood(uint256 task, uint256 n, uint256 index) external {
        uint256 id = _taskId(task);
        if (id == 0) return;
        n = 1 + n % 24;
        for (uint256 i; i < n; i++) {
            uint256 bond;
            try availability.bondFor(id) returns (uint256 b) {
                bond = b;
            } catch {
                return;
            }
            if (bond > eve.balance) return;
            vm.prank(eve);
            try availability.requestLeaf{value: bond}(
                id, (index % (SEGMENTS + 1) + i) % (SEGMENTS + 1)
            ) {
                ghostIn += bond;
                flooded++;
            } catch {
                return;
            }
        }
    }

    function requestSteps(uint256 task, uint64 segment) external {
        uint256 id = _taskId(task);
        if (id == 0) return;
        uint256 bond = _requestBond(id);
        vm.prank(eve);
        try availability.requestSteps{value: bond}(id, segment % (SEGMENTS + 1)) {
            ghostIn += bond;
        } catch {}
    }

    /// @dev Where a state is committed, chosen by `sel`: the initial state (any task), a
    /// checkpoint or a posted per-step state (the honest solver's tasks, whose data is public).
    function _where(uint256 id, uint256 sel)
        internal
        returns (bool ok, Availability.Where memory w, bytes32 label)
    {
        w.layout = layout;
        uint256 kind = sel % 3;
        if (kind == 0) {
            w.source = Availability.Source.Init;
            label = INIT;
        } else if (_solverOf(id) != honest && _solverOf(id) != flaky) {
            return (false, w, 0);
        } else if (kind == 1) {
            w.source = Availability.Source.Checkpoint;
            w.index = (sel / 3) % (SEGMENTS + 1);
            label = _checkpoint(id, w.index);
            w.siblings = _proof(_checkpointLeaves(id), w.index);
        } else {
            w.source = Availability.Source.StepState;
            w.segment = uint64((sel / 3) % SEGMENTS);
            if (dispute.stepsRoot(id, w.segment) == 0) return (false, w, 0);
            w.index = (sel / 6) % (INTERVAL + 1);
            label = _stepState(id, w.segment, w.index);
            w.siblings = _proof(_leaves(_steps(id, w.segment)), w.index);
        }
        w.stateHash = _stateHash(label);
        ok = true;
    }

    function requestState(uint256 task, uint256 sel) external {
        uint256 id = _taskId(task);
        if (id == 0) return;
        (bool ok, Availability.Where memory w,) = _where(id, sel);
        if (!ok) return;
        uint256 bond = _requestBond(id);
        vm.prank(eve);
        try availability.requestState{value: bond}(id, w) {
            ghostIn += bond;
        } catch {}
    }

    /// @notice Any row, in range or up to three past the end, of a tensor of a committed state
    /// or of a posted trace slot.
    function requestRow(uint256 task, uint256 sel, bool slot, uint256 row) external {
        uint256 id = _taskId(task);
        if (id == 0) return;
        Availability.Where memory w;
        bytes32 tensor;
        if (slot) {
            w.source = Availability.Source.TraceSlot;
            w.segment = uint64(sel % SEGMENTS);
            w.step = uint64((sel / 2) % INTERVAL);
            if (dispute.traceRoot(id, w.segment, w.step) == 0) return;
            w.index = (sel / 4) % SLOTS;
            bytes32[] memory slots = _slots(id, w.segment, w.step);
            tensor = slots[w.index];
            w.siblings = _proof(_leaves(slots), w.index);
        } else {
            bool ok;
            bytes32 label;
            (ok, w, label) = _where(id, sel);
            if (!ok) return;
            w.tensor = (sel / 18) % 2;
            bytes32[] memory tensors = _tensors(label);
            tensor = tensors[w.tensor];
            w.tensorSiblings = _proof(_leaves(tensors), w.tensor);
        }
        uint256 bond = _requestBond(id);
        vm.prank(eve);
        try availability.requestRow{value: bond}(id, tensor, row % 6, w) {
            ghostIn += bond;
            if (row % 6 >= _header(_tensorLabel[tensor]).rows) pastEndRequested++;
        } catch {}
    }

    function challenge(uint256 task, uint64 segment) external {
        uint256 id = _taskId(task);
        if (id == 0) return;
        uint256 bond = _bond(id);
        vm.prank(eve);
        try dispute.challenge{value: bond}(id, segment % (SEGMENTS + 1)) {
            ghostIn += bond;
        } catch {}
    }

    function pickStep(uint256 game, uint64 step) external {
        uint256 n = dispute.gameCount();
        if (n == 0) return;
        vm.prank(eve);
        try dispute.pickStep(1 + game % n, step % (INTERVAL + 1)) {} catch {}
    }

    /// @notice Anyone times out every game and request that it can.
    function timeouts() external {
        uint256 n = dispute.gameCount();
        for (uint256 id = 1; id <= n; id++) {
            try dispute.timeout(id) {} catch {}
        }
        n = availability.requestCount();
        for (uint256 id = 1; id <= n; id++) {
            Availability.Request memory q = availability.request(id);
            bool was = market.task(q.task).status == Status.Slashed;
            uint256 before = market.balanceOf(q.requester);
            try availability.requestTimeout(id) {
                // A conviction credits the requester its bond at once; an answered `Steps`
                // request credits nobody: its bond is held.
                if (market.balanceOf(q.requester) == before) _hold(q);
                if (!was && market.task(q.task).status == Status.Slashed) timeoutsWon++;
            } catch {}
        }
    }

    // ------------------------------------------------------------------ verifiers

    function depositVerifier(uint256 who, uint256 amount) external {
        amount = 1 + amount % 5 ether;
        vm.prank(verifiers[who % 3]);
        market.deposit{value: amount}(Role.Verifier);
        ghostIn += amount;
    }

    function sample(uint256 task) external {
        uint256 id = _taskId(task);
        if (id == 0) return;
        vm.roll(block.number + 2);
        try market.sample(id) {} catch {}
    }

    /// @dev The private key of a solver account.
    function _keyOf(address solver) internal view returns (uint256) {
        if (solver == honest) return 0x4011;
        if (solver == lazy) return 0x1A2;
        if (solver == flaky) return 0xF1A;
        return 0xE7E;
    }

    /// @dev The trace roots of `segment` of task `id`, as its solver posts them.
    function _traceRoots(uint256 id, uint64 segment) internal returns (bytes32[] memory roots) {
        roots = new bytes32[](INTERVAL);
        for (uint64 i = 0; i < INTERVAL; i++) {
            roots[i] = _root(_leaves(_slots(id, segment, i)));
        }
    }

    /// @dev The segment index of sample `index` of task `id` as a pass names it: its solver's
    /// (`variant` 0), the same with a forged signature (1), or one with made-up trace roots
    /// that its solver signed (2: a second index, which an honest solver never signs).
    function _index(uint256 id, Attestations.Sample memory s, uint256 variant)
        internal
        returns (Dispute.Named memory n)
    {
        Task memory k = market.task(id);
        n.states = _steps(id, s.segment);
        n.traceRoots = _traceRoots(id, s.segment);
        if (variant == 2) n.traceRoots[0] = keccak256(abi.encode("another trace", id));
        bytes32[] memory leaves = _checkpointLeaves(id);
        n.firstInResult = _proof(leaves, s.segment);
        n.lastInResult = _proof(leaves, s.segment + 1);
        bytes32 digest = keccak256(
            abi.encode(
                keccak256("poai/segment/1"),
                address(market),
                id,
                s.segment,
                k.resultRoot,
                _root(_leaves(n.states)),
                _root(_leaves(n.traceRoots))
            )
        );
        bytes32 message = keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", digest));
        (uint8 v, bytes32 r, bytes32 w) = vm.sign(variant == 1 ? 0xBAD : _keyOf(k.solver), message);
        n.signature = abi.encodePacked(r, w, v);
    }

    /// @notice A sampled verifier attests.
    function attest(uint256 task, uint256 index, bool pass) external {
        uint256 id = _taskId(task);
        if (id == 0) return;
        Attestations.Sample[] memory s = market.samplesOf(id);
        if (s.length == 0) return;
        index %= s.length;
        vm.prank(s[index].verifier);
        try market.attest(id, index, pass, 0) {} catch {}
    }

    /// @notice A sampled verifier names, after its *pass*, the index it checked, a forged one,
    /// or a second index its (dishonest) solver signed.
    function namePass(uint256 task, uint256 index, uint8 variant) external {
        uint256 id = _taskId(task);
        if (id == 0) return;
        Attestations.Sample[] memory s = market.samplesOf(id);
        if (s.length == 0) return;
        index %= s.length;
        variant %= 3;
        if (variant == 2 && market.task(id).solver == honest) variant = 0;
        Dispute.Named memory n = _index(id, s[index], variant);
        vm.prank(s[index].verifier);
        try dispute.namePass(id, index, s[index].segment, n) {} catch {}
    }

    /// @notice A sampled verifier that attested *fail* challenges its segment (backing it).
    function challengeAsVerifier(uint256 task, uint256 index) external {
        uint256 id = _taskId(task);
        if (id == 0) return;
        Attestations.Sample[] memory s = market.samplesOf(id);
        if (s.length == 0) return;
        index %= s.length;
        uint256 bond = _bond(id);
        vm.prank(s[index].verifier);
        try dispute.challenge{value: bond}(id, s[index].segment) {
            ghostIn += bond;
        } catch {}
    }

    function resample(uint256 task, uint256 index) external {
        uint256 id = _taskId(task);
        if (id == 0) return;
        try market.resample(id, index % 3) {} catch {}
    }

    // ------------------------------------------------------------------ money and time

    function withdraw(uint256 who) external {
        address[8] memory all =
            [honest, lazy, flaky, eve, sam, verifiers[0], verifiers[1], verifiers[2]];
        address a = all[who % 8];
        uint256 owed = market.balanceOf(a);
        vm.prank(a);
        try market.withdraw() {
            ghostWithdrawn += owed;
        } catch {}
    }

    function unbond(uint256 who, uint256 amount) external {
        address v = verifiers[who % 3];
        vm.startPrank(v);
        try market.startUnbonding(Role.Verifier, 1 + amount % 2 ether) {} catch {}
        try market.finishUnbonding(Role.Verifier) {} catch {}
        vm.stopPrank();
    }

    /// @notice Time passes, but only after the honest solver has answered everything open.
    function wait(uint256 seconds_) public {
        serve();
        vm.warp(block.timestamp + 1 + seconds_ % 2 hours);
        vm.roll(block.number + 1);
    }
}

contract MarketInvariantsTest is Test {
    Market internal market;
    Dispute internal dispute;
    Availability internal availability;
    MarketHandler internal handler;

    function setUp() public {
        vm.warp(1_000_000);
        vm.roll(100);
        market = new Market(1 days, 0.01 ether, 1 ether);
        dispute = new Dispute(market, new OpProver(), 1 hours, 3 hours);
        availability = new Availability(market, dispute, 1 hours);
        market.wire(address(dispute), address(availability));
        handler = new MarketHandler(market, dispute, availability, false);
    }

    function targetContracts() public view returns (address[] memory t) {
        t = new address[](1);
        t[0] = address(handler);
    }

    /// @notice Solvency: the market holds exactly its liabilities (stakes, escrows, balances,
    /// open bonds, unsplit pots), and the courts hold nothing.
    function invariant_solvency() public view {
        vm.assertEq(address(market).balance, market.liabilities(), "balance = liabilities");
        vm.assertEq(address(dispute).balance, 0, "the game holds no wei");
        vm.assertEq(address(availability).balance, 0, "availability holds no wei");
    }

    /// @notice Conservation: what came in, less what was withdrawn and burned, is what is held.
    function invariant_conservation() public view {
        uint256 burned = address(0xdEaD).balance - handler.burnedBefore();
        vm.assertEq(
            address(market).balance + handler.ghostWithdrawn() + burned,
            handler.ghostIn(),
            "in = held + withdrawn + burned"
        );
    }

    /// @notice No task ends twice (finalize, refund or settle), and an ended task stays as it
    /// ended; a settled conviction is marked settled and owes no pot.
    function invariant_noDoublePayoutOrSettle() public view {
        uint256 n = market.taskCount();
        for (uint256 id = 1; id <= n; id++) {
            vm.assertTrue(handler.endings(id) <= 1, "ends at most once");
            if (handler.endings(id) == 1) {
                Status s = market.task(id).status;
                vm.assertEq(uint256(s), uint256(handler.endedAs(id)), "stays as it ended");
                if (s == Status.Slashed) {
                    vm.assertTrue(market.conviction(id).settled, "settled");
                }
            }
        }
    }

    /// @notice Review E: an answered opening's bond is held until its task resolves. The
    /// handler checks every payout as it happens: a finalized task's solver gets exactly its
    /// payment less the fees plus its answers' gas and the rest of the held bonds is burned
    /// (review 5, 2), a convicted solver
    /// gets nothing at settlement, and a reclaim gives exactly the caller's held bonds of a
    /// convicted task; the market still owes every bond held and not yet paid out.
    function invariant_answeredBondsAreHeldUntilTheTaskResolves() public view {
        vm.assertEq(handler.payoutMismatches(), 0, "every held bond paid as the task resolved");
        uint256 held;
        uint256 n = market.taskCount();
        for (uint256 id = 1; id <= n; id++) {
            held += handler.heldOf(id);
            if (market.task(id).status == Status.Finalized) {
                vm.assertEq(handler.heldOf(id), 0, "a finalized task holds nothing");
            } else if (market.task(id).status == Status.Slashed) {
                // `heldFor` shows what a requester can reclaim: only of a convicted task.
                vm.assertEq(
                    market.heldFor(id, handler.eve()),
                    handler.heldFor(id, handler.eve()),
                    "the requester's held bonds, as answered"
                );
            } else {
                vm.assertEq(market.heldFor(id, handler.eve()), 0, "nothing to reclaim yet");
            }
        }
        vm.assertTrue(market.liabilities() >= held, "held bonds are owed");
    }

    /// forge-config: default.invariant.depth = 128
    /// @notice The key property: a solver that answers every request and move in time is never
    /// slashed, whatever rows (in range or past the end) and challenges the adversary asks for;
    /// none of its answers is refused, and its stake is whole.
    function invariant_anHonestSolverIsNeverSlashed() public view {
        vm.assertEq(handler.honestFailures(), 0, "every honest answer accepted");
        uint256 n = market.taskCount();
        for (uint256 id = 1; id <= n; id++) {
            Task memory k = market.task(id);
            if (k.solver != handler.honest()) continue;
            vm.assertTrue(k.status != Status.Slashed, "not convicted");
            vm.assertTrue(k.status != Status.Refunded, "not refunded");
        }
        Stakes.Stake memory s = market.stakeOf(handler.honest(), Role.Solver);
        vm.assertEq(s.free + s.locked + s.unbonding, handler.honestDeposited(), "stake whole");
    }
}

/// @notice Fixed sequences through the handler: it reaches what the invariants are about, and
/// the honest-solver property can fail.
contract MarketHandlerTest is Test {
    Market internal market;
    Dispute internal dispute;
    Availability internal availability;
    MarketHandler internal h;

    function setUp() public {
        vm.warp(1_000_000);
        vm.roll(100);
        market = new Market(1 days, 0.01 ether, 1 ether);
        dispute = new Dispute(market, new OpProver(), 1 hours, 3 hours);
        availability = new Availability(market, dispute, 1 hours);
        market.wire(address(dispute), address(availability));
        h = new MarketHandler(market, dispute, availability, false);
    }

    /// @dev An honest task with a request for row 4 (past the end of every tensor) of tensor
    /// 0 of checkpoint 1, a challenge and a picked step, run to the end of the window.
    function _pastEndScenario() internal returns (uint256 id) {
        h.submit(false, 1 ether, 1 ether, 2, false);
        id = 1;
        h.claimHonest(0);
        // sel 4: checkpoint 1 (4 % 3 = 1, 4 / 3 = 1), its tensor 0; row 4 of 2 or 3.
        h.requestRow(0, 4, false, 4);
        h.challenge(0, 1);
        h.wait(0);
        h.pickStep(0, 1);
        h.wait(0);
        // sel 3: slot 0 of the trace of segment 1, step 1; row 5 of 2 or 3.
        h.requestRow(0, 3, true, 5);
        h.sample(0);
        for (uint256 i = 0; i < 6; i++) {
            h.wait(1 hours);
            h.timeouts();
        }
    }

    function test_anHonestSolverAnswersRowsPastTheEndAndIsNotSlashed() public {
        uint256 id = _pastEndScenario();
        vm.assertEq(availability.requestCount(), 2, "two row requests");
        vm.assertEq(h.pastEndAnswered(), 2, "both past the end, both answered by the header");
        vm.assertEq(h.honestFailures(), 0, "no answer refused");
        vm.assertEq(market.task(id).openCases, 0, "all closed");
        vm.assertEq(h.heldOf(id), 2 * market.minBond(), "both bonds held");
        vm.assertGt(market.answerGasOf(id), 0, "their gas the solver's");
        h.finalize(0);
        vm.assertEq(uint256(market.task(id).status), uint256(Status.Finalized), "finalized");
        vm.assertEq(h.payoutMismatches(), 0, "the answers' gas paid to the solver, the rest burned");
        vm.assertEq(h.endings(id), 1, "ended once");
        vm.assertEq(address(market).balance, market.liabilities(), "solvent");
    }

    /// @notice The negative control: had the honest solver been unable to answer a row past
    /// the end (the old `answerRow`), the request would convict it, which is what
    /// `invariant_anHonestSolverIsNeverSlashed` looks for.
    function test_theHonestSolverPropertyCanFail() public {
        h = new MarketHandler(market, dispute, availability, true);
        uint256 id = _pastEndScenario();
        vm.assertEq(uint256(market.task(id).status), uint256(Status.Slashed), "convicted");
    }

    /// @notice Review E through the handler: a solver that answers only leaf requests has
    /// their bonds held; convicted by a state request it leaves unanswered, it gets none of
    /// them, and the requester reclaims them once.
    function test_aConvictedSolversHeldBondsGoBackToTheRequester() public {
        h.submit(false, 1 ether, 1 ether, 0, false);
        h.claimFlaky(0);
        h.requestLeaf(0, 1);
        h.requestLeaf(0, 2);
        h.wait(0);
        uint256 bond = market.minBond();
        vm.assertEq(h.heldOf(1), 2 * bond, "both leaves answered, their bonds held");
        vm.assertEq(market.balanceOf(h.flaky()), 0, "not the solver's yet");
        // sel 1: checkpoint 0, which the flaky solver does not open.
        h.requestState(0, 1);
        h.wait(1 hours);
        h.timeouts();
        vm.assertEq(uint256(market.task(1).status), uint256(Status.Slashed), "convicted");
        h.reclaim(1);
        h.reclaim(0);
        h.reclaim(0);
        vm.assertEq(h.reclaimed(), 2 * bond, "the requester's held bonds, once");
        for (uint256 i = 0; i < 3; i++) {
            h.wait(1 hours);
        }
        h.settle(0);
        vm.assertEq(h.endings(1), 1, "settled");
        vm.assertEq(market.balanceOf(h.flaky()), 0, "the convicted solver gets none");
        vm.assertEq(h.payoutMismatches(), 0, "every payout as expected");
        vm.assertEq(address(market).balance, market.liabilities(), "solvent");
    }

    /// @notice CI's shrunk sequence: a request made after the conviction and answered (at a
    /// price) puts gas on the task's books, but a convicted task never finalizes: the
    /// requester reclaims the bond whole and no payout is counted wrong.
    function test_aRequestAnsweredAfterConvictionIsReclaimedWhole() public {
        h.submit(false, 1 ether, 1 ether, 0, false);
        h.claimFlaky(0);
        h.requestState(0, 1); // checkpoint 0, which the flaky solver does not open
        h.wait(1 hours);
        h.timeouts();
        vm.assertEq(uint256(market.task(1).status), uint256(Status.Slashed), "convicted");
        h.requestLeaf(0, 1);
        h.serve();
        vm.assertGt(market.answerGasOf(1), 0, "the answer's gas on the books");
        h.reclaim(0);
        vm.assertEq(h.reclaimed(), market.minBond(), "the bond back whole");
        h.finalize(0);
        vm.assertEq(h.endings(1), 0, "a convicted task does not finalize");
        vm.assertEq(h.payoutMismatches(), 0, "every payout as expected");
        vm.assertEq(address(market).balance, market.liabilities(), "solvent");
    }

    /// @notice Review 5, 5 through the handler: a flood past the free requests pays doubling
    /// bonds, the honest solver answers every one in time and is not slashed, and the task
    /// finalizes with the flood's bonds burned but its answers' gas.
    function test_aFloodPastTheFreeRequestsIsAnsweredAndTheHonestSolverPaid() public {
        h.submit(false, 1 ether, 1 ether, 0, false);
        h.claimHonest(0);
        uint256 free = availability.freeRequests(1);
        for (uint256 i; i < 3; i++) {
            h.flood(0, 23, i);
        }
        vm.assertEq(h.flooded(), 72, "three floods of 24");
        vm.assertGt(72, free, "past the free ones");
        vm.assertGt(availability.bondFor(1), market.task(1).terms.challengeBond, "doubled");
        h.wait(0);
        vm.assertEq(availability.openRequests(1), 0, "every one answered");
        vm.assertEq(h.honestFailures(), 0, "no answer refused");
        for (uint256 i = 0; i < 4; i++) {
            h.wait(1 hours);
        }
        h.finalize(0);
        vm.assertEq(uint256(market.task(1).status), uint256(Status.Finalized), "paid");
        vm.assertEq(h.payoutMismatches(), 0, "the answers' gas paid, the rest burned");
        vm.assertEq(address(market).balance, market.liabilities(), "solvent");
    }

    /// @notice A lazy solver's task is convicted and settles once, and everything balances.
    function test_theHandlerReachesConvictionAndSettlement() public {
        h.submit(true, 1 ether, 1 ether, 0, false);
        h.claimLazy(0, true);
        h.requestLeaf(0, 1);
        h.wait(1 hours);
        h.wait(1 hours);
        h.timeouts();
        vm.assertEq(uint256(market.task(1).status), uint256(Status.Slashed), "convicted");
        for (uint256 i = 0; i < 3; i++) {
            h.wait(1 hours);
        }
        h.settle(0);
        h.settle(0);
        vm.assertEq(h.endings(1), 1, "settled once");
        h.withdraw(2);
        vm.assertEq(address(market).balance, market.liabilities(), "solvent");
        vm.assertEq(
            address(market).balance + h.ghostWithdrawn() + address(0xdEaD).balance,
            h.ghostIn(),
            "conserved"
        );
    }
}
