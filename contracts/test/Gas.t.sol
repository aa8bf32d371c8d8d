// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Test} from "./utils/Test.sol";
import {CourtFixture} from "./utils/Court.sol";
import {CommitmentChecker} from "../src/CommitmentChecker.sol";
import {Attestations} from "../src/market/Attestations.sol";
import {Market} from "../src/market/Market.sol";
import {Commitments, Role, Terms} from "../src/market/Types.sol";
import {Availability} from "../src/court/Availability.sol";
import {Dispute} from "../src/court/Dispute.sol";
import {Merkle} from "../src/commit/Merkle.sol";
import {OpProof} from "../src/prover/OpProof.sol";
import {State} from "../src/commit/State.sol";
import {Tensor} from "../src/commit/Tensor.sol";
import {COSTLIEST_ANSWER_GAS, DEFAULT_MIN_BOND, REFERENCE_GAS_PRICE} from "../script/Deploy.s.sol";

/// @notice Cheatcodes the court's gas figures use beyond `Test`'s.
interface GasVm {
    /// @notice Marks an account and its storage cold, as at the start of a transaction.
    function cool(address target) external;
}

/// @notice Gas of the commitment checks, recorded by `forge test --mc GasTest` into
/// `snapshots/GasTest.json` (docs/BENCHMARKS.md). `library/…` is the library call inside a
/// contract; `external/…` a call to CommitmentChecker, with its calldata decoding.
contract GasTest is Test {
    CommitmentChecker internal checker;
    bytes32[] internal siblings20;
    bytes32 internal leaf20;
    bytes32 internal root20;
    uint256 internal constant INDEX20 = 0xa5a5a;
    bytes internal row1024;

    function setUp() public {
        checker = new CommitmentChecker();
        leaf20 = Merkle.leafHash32(keccak256("leaf"));
        for (uint256 i; i < 20; ++i) {
            siblings20.push(keccak256(abi.encode("sibling", i)));
        }
        root20 = Merkle.rootFrom(1 << 20, INDEX20, leaf20, siblings20);
        row1024 = new bytes(4096);
        for (uint256 i; i < 4096; ++i) {
            row1024[i] = bytes1(uint8(uint256(keccak256(abi.encode(i)))));
        }
    }

    function test_gas_depth20Proof() public {
        // Storage is read before measuring: the figures are the check's own.
        bytes32[] memory siblings = siblings20;
        (bytes32 root, bytes32 leaf) = (root20, leaf20);
        bytes memory payload = abi.encodePacked(keccak256("leaf"));
        CommitmentChecker c = checker;
        vm.startSnapshotGas("library/merkleCheck_depth20");
        Merkle.check(root, 1 << 20, INDEX20, leaf, siblings);
        vm.stopSnapshotGas();
        vm.startSnapshotGas("external/checkMerkle_depth20");
        c.checkMerkle(root, 1 << 20, INDEX20, payload, siblings);
        vm.stopSnapshotGas();
    }

    function test_gas_rowRoot1024Values() public {
        bytes memory row = row1024;
        CommitmentChecker c = checker;
        vm.startSnapshotGas("library/rowRoot_1024values");
        bytes32 root = Tensor.rowRoot(row);
        vm.stopSnapshotGas();
        vm.startSnapshotGas("external/rowRoot_1024values");
        bytes32 again = c.rowRoot(row);
        vm.stopSnapshotGas();
        vm.assertEq(root, again, "same root");
    }
}

/// @notice Gas of every move of the dispute game, of every availability request and answer,
/// and of the market's settlement, recorded by `forge test --mc CourtGasTest` into
/// `snapshots/CourtGasTest.json` (docs/BENCHMARKS.md). `<court>/<call>` is one transaction's
/// execution (the call's gas as its caller sees it, with the three contracts' storage cold as at
/// the start of a transaction); `… (calldata floor, bytes x 16)` its calldata at 16 gas a byte;
/// `tx/…` adds both and the 21 000 base, or the EIP-7623 floor (40 gas a byte) when that is more:
/// an upper bound on what the transaction costs. `side/…` sums one side's transactions in a whole
/// dispute (AUDIT H7: the target is 1.5 M gas a side at k = 100, and no transaction above 10 M).
/// The op proofs' own gas is `OpProverTest`'s.
contract CourtGasTest is CourtFixture {
    GasVm internal constant gasVm = GasVm(address(uint160(uint256(keccak256("hevm cheat code")))));
    bytes internal row1024;

    /// A task whose checkpoint 1 holds a 1 × 1024 tensor (rows asked for), and one at k = 100.
    uint256 internal wideTask;
    uint256 internal task100;
    bytes32[] internal wideTensors;
    bytes32[] internal wideCheckpoints;
    Tensor.Header internal wide;
    uint64 internal constant K100 = 100;

    uint256 internal solverTotal;
    uint256 internal challengerTotal;

    function setUp() public override {
        super.setUp();
        row1024 = new bytes(4096);
        for (uint256 i; i < 4096; ++i) {
            row1024[i] = bytes1(uint8(uint256(keccak256(abi.encode(i)))));
        }
        // A 1 × 1024 tensor as tensor 0 of checkpoint 1 of a second task.
        bytes32[] memory rows = new bytes32[](1);
        rows[0] = Merkle.leafHash32(Tensor.rowRoot(row1024));
        wide = Tensor.Header(1, 1, 1024, Merkle.root(rows));
        bytes32[] memory rest = _tensors(K);
        wideTensors.push(Tensor.hash(wide));
        for (uint256 m = 1; m < TENSORS; m++) {
            wideTensors.push(rest[m]);
        }
        wideCheckpoints = checkpoints;
        wideCheckpoints[1] = State.hash(wideTensors);
        wideTask = _task(wideCheckpoints);
        // A task at k = 100: two segments of 100 steps.
        Commitments memory c = _commitments();
        c.steps = 2 * K100;
        c.interval = K100;
        Terms memory t = _terms();
        bytes32 root = _root(_leaves(_points100()));
        task100 = _committed(c, t, root);
    }

    /// @dev A task with these commitments and terms, submitted, claimed and committed to `root`
    /// by the solver.
    function _committed(Commitments memory c, Terms memory t, bytes32 root)
        internal
        returns (uint256 task)
    {
        vm.prank(submitter);
        task = market.submitTask{value: PAY}(c, t);
        vm.startPrank(solver);
        market.deposit{value: STAKE}(Role.Solver);
        market.claim(task);
        market.commitResult(task, root);
        vm.stopPrank();
    }

    function _points100() internal view returns (bytes32[] memory p) {
        p = new bytes32[](3);
        for (uint256 j = 0; j < 3; j++) {
            p[j] = _state(j * K100);
        }
    }

    function _states100(uint64 j) internal view returns (bytes32[] memory s) {
        s = new bytes32[](K100 + 1);
        for (uint256 i = 0; i <= K100; i++) {
            s[i] = _state(j * K100 + i);
        }
    }

    /// @dev Sends `data` to `target` from `who` with `value` as one transaction would (the
    /// courts' and the market's storage cold), records its gas as `name` and its upper-bound
    /// cost as `tx/<name>`; returns what it returned and that cost.
    function _call(
        string memory name,
        address who,
        address target,
        uint256 value,
        bytes memory data
    ) internal returns (bytes memory ret, uint256 cost) {
        gasVm.cool(address(market));
        gasVm.cool(address(dispute));
        gasVm.cool(address(availability));
        gasVm.cool(address(dispute.prover()));
        bool ok;
        uint256 gas;
        (ok, ret, gas) = this.measure(who, target, value, data);
        vm.assertTrue(ok, name);
        vm.snapshotValue(name, gas);
        uint256 calldataGas = data.length * 16;
        uint256 floor = data.length * 40;
        cost = 21_000 + (gas + calldataGas > floor ? gas + calldataGas : floor);
        vm.snapshotValue(string.concat(name, " (calldata floor, bytes x 16)"), calldataGas);
        vm.snapshotValue(string.concat("tx/", name), cost);
        vm.assertTrue(cost <= 10_000_000, "every transaction under 10 M gas");
    }

    /// @dev The gas of one call sent by `who` as its own transaction (`who` is also
    /// `tx.origin`), measured from a frame of its own: in the caller's frame, the memory the
    /// test built before would make copying a large calldata for the call cost more than a
    /// transaction does (half a million gas for 64 KiB).
    function measure(address who, address target, uint256 value, bytes calldata data)
        external
        returns (bool ok, bytes memory ret, uint256 gas)
    {
        vm.prank(who, who);
        uint256 before = gasleft();
        (ok, ret) = target.call{value: value}(data);
        gas = before - gasleft();
    }

    /// @dev A move of the game, recorded as `dispute/<move>_<tag>` and added to its side.
    function _move(string memory move, address who, uint256 value, bytes memory data)
        internal
        returns (bytes memory ret)
    {
        uint256 cost;
        (ret, cost) =
            _call(string.concat("dispute/", move, "_", tag), who, address(dispute), value, data);
        if (who == solver) solverTotal += cost;
        else challengerTotal += cost;
    }

    /// @dev A request (with the bond) or an answer, recorded as `availability/<name>`.
    function _ask(string memory name, address who, bytes memory data)
        internal
        returns (uint256 id)
    {
        uint256 value = who == challenger ? BOND : 0;
        (bytes memory ret,) =
            _call(string.concat("availability/", name), who, address(availability), value, data);
        if (ret.length == 32) id = abi.decode(ret, (uint256));
    }

    string internal tag;

    /// @dev A whole dispute of segment 1 of `task` (interval `k`, its per-step `states` and
    /// checkpoints `points`) to a link proof.
    function _dispute(uint256 task, uint64 k, bytes32[] memory states, bytes32[] memory points)
        internal
    {
        uint64 s = k / 2;
        bytes memory data = abi.encodeCall(Dispute.challenge, (task, 1));
        uint256 id = abi.decode(_move("challenge", challenger, BOND, data), (uint256));
        bytes32[] memory result = _leaves(points);
        data = abi.encodeCall(
            Dispute.postSteps, (task, 1, states, _proof(result, 1), _proof(result, 2))
        );
        _move("postSteps", solver, 0, data);
        _move("pickStep", challenger, 0, abi.encodeCall(Dispute.pickStep, (id, s)));
        bytes32[] memory slots = _trace(k + s);
        _move(
            "postTrace",
            solver,
            0,
            abi.encodeCall(Dispute.postTrace, (task, 1, s, slots, new bytes32[](0)))
        );
        Dispute.Link memory link = _linkOf(k + s, states, s, slots);
        _move("proveLink", challenger, 0, abi.encodeCall(Dispute.proveLink, (id, link)));
    }

    /// @dev The cheat's trace of global step `t`: its end state is not the posted one.
    function _trace(uint256 t) internal pure returns (bytes32[] memory slots) {
        slots = _slots(0, 0);
        bytes32[] memory start = _tensors(t);
        bytes32[] memory end = _tensors(t + 1);
        for (uint256 m = 0; m < TENSORS; m++) {
            slots[m] = start[m];
            slots[SLOTS - TENSORS + m] = end[m];
        }
        slots[SLOTS - TENSORS] = Tensor.hash(_cheatHeader());
    }

    function _linkOf(uint256 t, bytes32[] memory states, uint64 s, bytes32[] memory slots)
        internal
        view
        returns (Dispute.Link memory link)
    {
        bytes32[] memory end = _tensors(t + 1);
        link.layout = layout;
        link.next = true;
        link.stateHash = states[s + 1];
        link.stateInSteps = _proof(_leaves(states), s + 1);
        link.proof = abi.encode(
            end[0],
            _proof(_leaves(end), 0),
            OpProof.Slot(SLOTS - TENSORS, _cheatHeader(), _proof(_leaves(slots), SLOTS - TENSORS))
        );
    }

    // ------------------------------------------------------------------ the game

    /// @notice Every move of a dispute at k = 10 (its first conviction included), and the
    /// market's settlement.
    function test_gas_disputeAtK10() public {
        tag = "k10";
        _dispute(taskId, K, _states(1), checkpoints);
        vm.snapshotValue("side/solver_k10", solverTotal);
        vm.snapshotValue("side/challenger_k10_link", challengerTotal);
        _afterWindow();
        _call(
            "market/settle", submitter, address(market), 0, abi.encodeCall(Market.settle, (taskId))
        );
    }

    /// @notice Every move of a dispute at k = 100 (101 per-step hashes posted), and each side's
    /// whole dispute.
    function test_gas_disputeAtK100() public {
        tag = "k100";
        _dispute(task100, K100, _states100(1), _points100());
        vm.snapshotValue("side/solver_k100", solverTotal);
        vm.snapshotValue("side/challenger_k100_link", challengerTotal);
        vm.assertTrue(solverTotal <= 1_500_000, "solver under 1.5 M");
        vm.assertTrue(challengerTotal <= 1_500_000, "challenger under 1.5 M");
    }

    /// @notice An equivocation proof at k = 100: the solver posted another trace of the picked
    /// step than the one its signed segment index names (a path of depth 7 into the trace roots).
    function test_gas_equivocationAtK100() public {
        tag = "k100";
        uint64 s = K100 / 2;
        bytes32[] memory states = _states100(1);
        bytes memory data = abi.encodeCall(Dispute.challenge, (task100, 1));
        uint256 id = abi.decode(_move("challenge", challenger, BOND, data), (uint256));
        bytes32[] memory result = _leaves(_points100());
        data = abi.encodeCall(
            Dispute.postSteps, (task100, 1, states, _proof(result, 1), _proof(result, 2))
        );
        _move("postSteps", solver, 0, data);
        _move("pickStep", challenger, 0, abi.encodeCall(Dispute.pickStep, (id, s)));
        bytes32[] memory slots = _trace(K100 + s);
        _move(
            "postTrace",
            solver,
            0,
            abi.encodeCall(Dispute.postTrace, (task100, 1, s, slots, new bytes32[](0)))
        );
        bytes32[] memory roots = new bytes32[](K100);
        for (uint256 i = 0; i < K100; i++) {
            roots[i] = keccak256(abi.encode("signed trace", i));
        }
        Dispute.Signed memory signed = _signedIndex(SOLVER_KEY, task100, 1, states, roots);
        data = abi.encodeCall(
            Dispute.proveEquivocation, (id, signed, roots[s], _proof(_leaves(roots), s))
        );
        _move("proveEquivocation", challenger, 0, data);
        vm.assertEq(uint256(dispute.game(id).phase), uint256(Dispute.Phase.ChallengerWon), "won");
    }

    /// @notice A verifier's side at k = 100 (property 4): an attestation; the naming of the
    /// signed index it checked (its 101 per-step states posted for every game on the segment,
    /// its 100 trace roots in calldata and a log, the roots recomputed, the signature
    /// recovered); a named trace posted with its path; and a settlement that burns the pass a
    /// link proof faulted.
    function test_gas_attestationsAndNamedPassesAtK100() public {
        tag = "k100";
        address verifier = address(0xF1);
        vm.deal(verifier, 100 ether);
        vm.startPrank(verifier);
        market.deposit{value: 10 ether}(Role.Verifier);
        market.registerVerifier();
        vm.stopPrank();
        Commitments memory c = _commitments();
        c.steps = 2 * K100;
        c.interval = K100;
        Terms memory t = _terms();
        t.samples = 16;
        t.verifierStake = 0.1 ether;
        t.verifierFee = 0.01 ether;
        bytes32 root = _root(_leaves(_points100()));
        uint256 task = _committed(c, t, root);
        vm.roll(block.number + 2);
        market.sample(task);
        uint256 sample = _sampleOf(task, 1);
        bytes32[] memory states = _states100(1);
        // The index's trace at step 50 is the one the solver will post (and the link proof
        // convicts).
        uint64 step = K100 / 2;
        bytes32[] memory slots = _trace(K100 + step);
        bytes32[] memory roots = _roots100(_root(_leaves(slots)), step);
        bytes memory data = abi.encodeCall(Attestations.attest, (task, sample, true, 0));
        _call("market/attest", verifier, address(market), 0, data);
        data = abi.encodeCall(Dispute.namePass, (task, sample, 1, _named100(task, states, roots)));
        _call("dispute/namePass_k100", verifier, address(dispute), 0, data);
        vm.prank(challenger);
        uint256 id = dispute.challenge{value: BOND}(task, 1);
        vm.prank(challenger);
        dispute.pickStep(id, step);
        data =
            abi.encodeCall(Dispute.postTrace, (task, 1, step, slots, _proof(_leaves(roots), step)));
        _call("dispute/postTrace_named_k100", solver, address(dispute), 0, data);
        Dispute.Link memory link = _linkOf(K100 + step, states, step, slots);
        vm.prank(challenger);
        dispute.proveLink(id, link);
        vm.warp(market.task(task).deadline + 1);
        data = abi.encodeCall(Market.settle, (task));
        _call("market/settle_burnsANamedPass", sybil, address(market), 0, data);
        vm.assertEq(
            uint256(market.samplesOf(task)[sample].attest),
            uint256(Attestations.Attest.Wrong),
            "burned"
        );
    }

    /// @dev The first sample of `segment` of `task`.
    function _sampleOf(uint256 task, uint64 segment) internal view returns (uint256) {
        Attestations.Sample[] memory s = market.samplesOf(task);
        for (uint256 i = 0; i < s.length; i++) {
            if (s[i].segment == segment) return i;
        }
        revert("no sample of the segment");
    }

    /// @dev 100 made-up trace roots, `at` root `step`.
    function _roots100(bytes32 at, uint64 step) internal pure returns (bytes32[] memory roots) {
        roots = new bytes32[](K100);
        for (uint256 i = 0; i < K100; i++) {
            roots[i] = keccak256(abi.encode("trace", i));
        }
        roots[step] = at;
    }

    /// @dev Segment 1's index (`states`, `roots`) of `task` as a pass names it, signed.
    function _named100(uint256 task, bytes32[] memory states, bytes32[] memory roots)
        internal
        returns (Dispute.Named memory)
    {
        Dispute.Signed memory signed = _signedIndex(SOLVER_KEY, task, 1, states, roots);
        bytes32[] memory result = _leaves(_points100());
        return Dispute.Named({
            states: states,
            firstInResult: _proof(result, 1),
            lastInResult: _proof(result, 2),
            traceRoots: roots,
            signature: signed.signature
        });
    }

    /// @notice The two timeouts: a silent solver convicted, a silent challenger's bond paid.
    function test_gas_timeouts() public {
        uint256 silentSolver = _challenge(challenger, 0);
        uint256 silentChallenger = _challenge(second, 2);
        _postSteps(2);
        vm.warp(block.timestamp + CLOCK + 1);
        bytes memory data = abi.encodeCall(Dispute.timeout, (silentChallenger));
        _call("dispute/timeout_solverWins", sybil, address(dispute), 0, data);
        data = abi.encodeCall(Dispute.timeout, (silentSolver));
        _call("dispute/timeout_convicts", sybil, address(dispute), 0, data);
    }

    /// @notice Review B: the two moves whose lists grow with the task's sizes, at the caps
    /// `submitTask` allows (`MAX_INTERVAL + 1` per-step state hashes, `MAX_SLOTS` slot hashes),
    /// each fit one transaction.
    function test_gas_movesAtTheSizeCaps() public {
        uint64 k = market.MAX_INTERVAL();
        uint32 width = market.MAX_SLOTS();
        Commitments memory c = _commitments();
        c.steps = 2 * k;
        c.interval = k;
        c.slots = width;
        Terms memory t = _terms();
        bytes32[] memory points = new bytes32[](3);
        for (uint256 j = 0; j < 3; j++) {
            points[j] = _state(j * k);
        }
        bytes32[] memory result = _leaves(points);
        bytes32 root = _root(result);
        uint256 task = _committed(c, t, root);
        vm.prank(challenger);
        uint256 id = dispute.challenge{value: BOND}(task, 1);
        bytes32[] memory states = new bytes32[](k + 1);
        for (uint256 i = 0; i <= k; i++) {
            states[i] = _state(k + i);
        }
        bytes memory data = abi.encodeCall(
            Dispute.postSteps, (task, 1, states, _proof(result, 1), _proof(result, 2))
        );
        _call("dispute/postSteps_k1024", solver, address(dispute), 0, data);
        _pick(challenger, id, 0);
        bytes32[] memory slots = new bytes32[](width);
        for (uint256 i = 0; i < width; i++) {
            slots[i] = keccak256(abi.encode("slot", i));
        }
        data = abi.encodeCall(Dispute.postTrace, (task, 1, 0, slots, new bytes32[](0)));
        _call("dispute/postTrace_slots1024", solver, address(dispute), 0, data);
        vm.assertEq(
            uint256(dispute.game(id).phase), uint256(Dispute.Phase.AwaitProof), "both posted"
        );
    }

    // ------------------------------------------------------------------ availability

    function _where1() internal view returns (Availability.Where memory w) {
        w.source = Availability.Source.Checkpoint;
        w.index = 1;
        w.stateHash = wideCheckpoints[1];
        w.siblings = _proof(_leaves(wideCheckpoints), 1);
        w.layout = layout;
    }

    /// @notice A leaf request and its answer; a steps request answered by `postSteps`.
    function test_gas_leafAndStepsRequests() public {
        uint256 id = _ask(
            "requestLeaf", challenger, abi.encodeCall(Availability.requestLeaf, (wideTask, 1))
        );
        bytes32 leaf = wideCheckpoints[1];
        bytes32[] memory siblings = _proof(_leaves(wideCheckpoints), 1);
        _ask("answerLeaf", solver, abi.encodeCall(Availability.answerLeaf, (id, leaf, siblings)));
        id = _ask(
            "requestSteps", challenger, abi.encodeCall(Availability.requestSteps, (wideTask, 2))
        );
        bytes32[] memory states = _states(2);
        bytes32[] memory result = _leaves(wideCheckpoints);
        bytes32[] memory first = _proof(result, 2);
        bytes32[] memory last = _proof(result, 3);
        vm.prank(solver);
        dispute.postSteps(wideTask, 2, states, first, last);
        vm.warp(block.timestamp + CLOCK + 1);
        _ask("requestTimeout_answered", sybil, abi.encodeCall(Availability.requestTimeout, (id)));
    }

    /// @notice A state request (4 tensors) and its answer.
    function test_gas_stateRequest() public {
        Availability.Where memory w = _where1();
        uint256 id = _ask(
            "requestState", challenger, abi.encodeCall(Availability.requestState, (wideTask, w))
        );
        bytes32[] memory tensors = wideTensors;
        _ask("answerState", solver, abi.encodeCall(Availability.answerState, (id, tensors)));
    }

    /// @notice A whole opening at both caps: tensor 0 of a checkpoint, 1 024 × 16 values
    /// (`MAX_DATA_ROWS` rows, `MAX_DATA_BYTES` bytes: a row root a row is what costs most),
    /// asked for and answered with every value.
    function test_gas_dataRequestAtTheCap() public {
        (, bytes memory answer) = _dataAtTheCap();
        (, uint256 cost) = _call(
            "availability/answerData_1024rows_64KiB", solver, address(availability), 0, answer
        );
        _costliestAnswer = cost;
    }

    /// @dev A task whose checkpoint 1 holds a 1 024 × 16 tensor, a request for it whole, and the
    /// answer's calldata.
    function _dataAtTheCap() internal returns (uint256 task, bytes memory answer) {
        (Tensor.Header memory h, bytes memory values) = _realTensor(1024, 16, 7);
        vm.assertEq(values.length, availability.MAX_DATA_BYTES(), "at the cap");
        bytes32[] memory hashes = _tensors(K);
        hashes[0] = Tensor.hash(h);
        bytes32[] memory points = checkpoints;
        points[1] = State.hash(hashes);
        task = _task(points);
        Availability.Where memory w;
        w.source = Availability.Source.Checkpoint;
        w.index = 1;
        w.stateHash = points[1];
        w.siblings = _proof(_leaves(points), 1);
        w.layout = layout;
        uint256 id = _ask(
            "requestData", challenger, abi.encodeCall(Availability.requestData, (task, w, 0, 1))
        );
        Tensor.Header[] memory headers = new Tensor.Header[](1);
        headers[0] = h;
        answer = abi.encodeCall(Availability.answerData, (id, hashes, headers, values));
    }

    uint256 internal _costliestAnswer;

    /// @dev Sends answer `data` (as `_call` measures it) at 1 wei a unit of gas and checks the
    /// gas it is paid against its transaction's cost, within 5%.
    function _paid(string memory name, uint256 task, bytes memory data) internal {
        vm.fee(0);
        vm.txGasPrice(1);
        uint256 before = market.answerGasOf(task);
        (, uint256 cost) =
            _call(string.concat("paid/", name), solver, address(availability), 0, data);
        // The measured call is cold (2 600) where a transaction's is paid by its 21 000.
        cost -= 2600;
        uint256 paid = market.answerGasOf(task) - before;
        vm.snapshotValue(string.concat("paid/", name, " (gas paid)"), paid);
        vm.assertGt(paid * 100, cost * 95, string.concat(name, ": paid at least 95% of its gas"));
        vm.assertLt(paid * 100, cost * 105, string.concat(name, ": paid at most 105% of it"));
    }

    /// @notice Review 5, 2: an answered opening pays the solver its gas, not its bond. What an
    /// answer is paid — measured by the answer itself, with what the market's bookkeeping costs
    /// — is its transaction's own cost (before the refunds of the courts' and the market's
    /// counters going to zero, up to 14 400, which the answer is not paid) within 5%: the first
    /// answer on a task (whose bond slots are written first), a second one, a state's tensor
    /// hashes, a whole opening at the caps, and an answer with bytes appended to its calldata
    /// (which are not paid for).
    function test_review5_anAnswerIsPaidItsOwnGas() public {
        bytes32[] memory result = _leaves(wideCheckpoints);
        for (uint256 i = 1; i <= 2; i++) {
            uint256 id = _ask(
                "requestLeaf", challenger, abi.encodeCall(Availability.requestLeaf, (wideTask, i))
            );
            bytes32[] memory siblings = _proof(result, i);
            _paid(
                i == 1 ? "answerLeaf_first" : "answerLeaf_second",
                wideTask,
                abi.encodeCall(Availability.answerLeaf, (id, wideCheckpoints[i], siblings))
            );
        }
        Availability.Where memory w = _where1();
        uint256 state = _ask(
            "requestState", challenger, abi.encodeCall(Availability.requestState, (wideTask, w))
        );
        bytes32[] memory tensors = wideTensors;
        _paid("answerState", wideTask, abi.encodeCall(Availability.answerState, (state, tensors)));
        // Appended bytes cost the solver gas, but are not paid for.
        uint256 id = _ask(
            "requestLeaf", challenger, abi.encodeCall(Availability.requestLeaf, (wideTask, 3))
        );
        bytes32[] memory path = _proof(result, 3);
        bytes memory padded = bytes.concat(
            abi.encodeCall(Availability.answerLeaf, (id, wideCheckpoints[3], path)),
            new bytes(32 * 1024)
        );
        uint256 before = market.answerGasOf(wideTask);
        vm.prank(solver, solver);
        (bool ok,) = address(availability).call(padded);
        vm.assertTrue(ok, "a padded answer is an answer");
        vm.assertLt(market.answerGasOf(wideTask) - before, 100_000, "its padding is not paid");
        (uint256 task, bytes memory answer) = _dataAtTheCap();
        _paid("answerData_1024rows_64KiB", task, answer);
    }

    /// @notice Review 3, L1: a range can be asked for again after it was opened, and each answer
    /// must be sent. The protocol-minimum bond (held and paid to the solver when its task
    /// finalizes) must pay for the costliest answer, so that repeating requests costs the
    /// requester, not an honest solver. Fails if an answer outgrows `COSTLIEST_ANSWER_GAS`.
    function test_L1_theDefaultMinBondPaysForTheCostliestAnswer() public {
        test_gas_dataRequestAtTheCap();
        vm.assertTrue(_costliestAnswer > 4_500_000, "the data answer at the caps was measured");
        vm.assertTrue(_costliestAnswer <= COSTLIEST_ANSWER_GAS, "an answer outgrew its bond");
        vm.assertEq(DEFAULT_MIN_BOND, 0.165 ether, "the default bond");
        vm.assertTrue(
            DEFAULT_MIN_BOND >= _costliestAnswer * REFERENCE_GAS_PRICE, "the bond pays the answer"
        );
    }

    function _requestRow(uint256 row) internal returns (uint256) {
        Availability.Where memory w = _where1();
        w.tensorSiblings = _proof(_leaves(wideTensors), 0);
        bytes32 tensorHash = wideTensors[0];
        return _ask(
            "requestRow",
            challenger,
            abi.encodeCall(Availability.requestRow, (wideTask, tensorHash, row, w))
        );
    }

    /// @notice A row request, answered with a 1024-value row, and one past the end answered by
    /// the header.
    function test_gas_rowRequests() public {
        uint256 id = _requestRow(0);
        Tensor.Header memory h = wide;
        bytes memory row = row1024;
        bytes32[] memory none = new bytes32[](0);
        bytes memory data = abi.encodeCall(Availability.answerRow, (id, h, row, none));
        _ask("answerRow_1024values", solver, data);
        id = _requestRow(1);
        data = abi.encodeCall(Availability.answerRow, (id, h, "", none));
        _ask("answerRow_noSuchRow", solver, data);
    }

    /// @notice An unanswered request convicts the task.
    function test_gas_unansweredRequest() public {
        vm.prank(challenger);
        uint256 id = availability.requestLeaf{value: BOND}(wideTask, 3);
        vm.warp(block.timestamp + MOVE + 1);
        _ask("requestTimeout_convicts", sybil, abi.encodeCall(Availability.requestTimeout, (id)));
    }
}
