// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Test} from "./Test.sol";
import {Trees} from "./Trees.sol";
import {Market} from "../../src/market/Market.sol";
import {Dispute} from "../../src/court/Dispute.sol";
import {Availability} from "../../src/court/Availability.sol";
import {OpProver} from "../../src/OpProver.sol";
import {OpProof} from "../../src/prover/OpProof.sol";
import {Commitments, Role, Status, Terms} from "../../src/market/Types.sol";
import {Merkle} from "../../src/commit/Merkle.sol";
import {State} from "../../src/commit/State.sol";
import {Tensor} from "../../src/commit/Tensor.sol";

/// @notice A market wired to its two courts (as `script/Deploy.s.sol` wires them) and a task on
/// synthetic but well-formed commitments: every state is a real state hash over `TENSORS`
/// tensor hashes, every trace slot a real tensor hash, so link proofs and state openings work.
/// Global step `t`'s state is `_state(t)`; the solver's honest trace of step `t` holds the state
/// at `t` in slots `0..TENSORS-1` and the state at `t + 1` in the layout's next-state slots.
abstract contract CourtFixture is Test, Trees {
    Market internal market;
    Dispute internal dispute;
    Availability internal availability;

    address internal submitter = address(0x5B);
    /// The solver's key: it signs segment indexes (`Dispute.proveEquivocation`).
    uint256 internal constant SOLVER_KEY = 0x50;
    address internal solver = vm.addr(SOLVER_KEY);
    address internal challenger = address(0xC1);
    address internal second = address(0xC2);
    address internal sybil = address(0x5E);

    uint64 internal constant HOUR = 1 hours;
    /// The least time a move is given, and the time to answer a request.
    uint64 internal constant MOVE = 1 hours;
    /// Each side's time in one game.
    uint64 internal constant CLOCK = 3 hours;
    uint64 internal constant WINDOW = 12 hours;
    uint256 internal constant MIN_BOND = 0.01 ether;
    uint256 internal constant PAY = 3 ether;
    uint256 internal constant STAKE = 10 ether;
    uint256 internal constant BOND = 1 ether;
    uint64 internal constant STEPS = 40;
    uint64 internal constant K = 10;
    uint32 internal constant TENSORS = 4;
    uint32 internal constant OPS = 28;
    uint32 internal constant SLOTS = 32;
    address internal constant BURN = address(0xdEaD);

    bytes internal layout;
    bytes32[] internal checkpoints;
    uint256 internal taskId;
    uint64 internal committedAt;

    function setUp() public virtual {
        vm.warp(1_000_000);
        market = new Market(7 days, MIN_BOND, 1 ether);
        dispute = new Dispute(market, new OpProver(), MOVE, CLOCK);
        availability = new Availability(market, dispute, MOVE);
        market.wire(address(dispute), address(availability));
        address[5] memory who = [submitter, solver, challenger, second, sybil];
        for (uint256 i = 0; i < who.length; i++) {
            vm.deal(who[i], 1000 ether);
        }
        uint32[] memory next = new uint32[](TENSORS);
        for (uint32 m = 0; m < TENSORS; m++) {
            next[m] = SLOTS - TENSORS + m;
        }
        layout = abi.encode(TENSORS, next);
        for (uint64 j = 0; j <= STEPS / K; j++) {
            checkpoints.push(_state(j * K));
        }
        taskId = _task(checkpoints);
    }

    // ------------------------------------------------------------------ commitments

    function _commitments() internal view returns (Commitments memory c) {
        c.programRoot = keccak256("program");
        c.datasetHash = keccak256("data");
        c.initStateHash = _state(0);
        c.seed = keccak256("seed");
        c.layoutHash = sha256(layout);
        c.steps = STEPS;
        c.interval = K;
        c.ops = OPS;
        c.slots = SLOTS;
        c.batch = 8;
    }

    function _terms() internal view returns (Terms memory t) {
        t.solverStake = STAKE;
        t.challengeBond = BOND;
        t.claimBy = uint64(block.timestamp) + HOUR;
        t.solveWithin = 10 * HOUR;
        t.challengeWithin = WINDOW;
    }

    /// @dev A task submitted, claimed and committed by the solver over `points` (its
    /// checkpoint state hashes, which a junk solver need not be able to open).
    function _task(bytes32[] memory points) internal returns (uint256 id) {
        Commitments memory c = _commitments();
        Terms memory t = _terms();
        bytes32 root = _root(_leaves(points));
        vm.prank(submitter);
        id = market.submitTask{value: PAY}(c, t);
        vm.startPrank(solver);
        market.deposit{value: STAKE}(Role.Solver);
        market.claim(id);
        market.commitResult(id, root);
        vm.stopPrank();
        committedAt = uint64(block.timestamp);
    }

    function _header(uint256 t, uint256 m) internal pure returns (Tensor.Header memory) {
        return Tensor.Header(1, 1, 1, keccak256(abi.encode("state", t, m)));
    }

    /// @dev A real `rows × cols` tensor of made-up finite values: its header and its bytes
    /// (row-major, little-endian), as a solver opens it whole.
    function _realTensor(uint256 rows, uint256 cols, uint256 seed)
        internal
        view
        returns (Tensor.Header memory h, bytes memory data)
    {
        data = new bytes(rows * cols * 4);
        for (uint256 i; i < data.length; i += 4) {
            // Small positive floats: an exponent byte of 0x3f, the rest from the seed.
            bytes32 r = keccak256(abi.encode(seed, i));
            data[i] = r[0];
            data[i + 1] = r[1];
            data[i + 2] = bytes1(uint8(r[2]) | 0x80);
            data[i + 3] = 0x3f;
        }
        bytes32[] memory leaves = new bytes32[](rows);
        for (uint256 i; i < rows; ++i) {
            bytes memory row = new bytes(cols * 4);
            for (uint256 b; b < row.length; ++b) {
                row[b] = data[i * cols * 4 + b];
            }
            leaves[i] = Merkle.leafHash32(Tensor.rowRoot(row));
        }
        h = Tensor.Header(1, uint32(rows), uint32(cols), Merkle.root(leaves));
    }

    /// @dev The tensor hashes of the state after `t` steps.
    function _tensors(uint256 t) internal pure returns (bytes32[] memory h) {
        h = new bytes32[](TENSORS);
        for (uint256 m = 0; m < TENSORS; m++) {
            h[m] = Tensor.hash(_header(t, m));
        }
    }

    function _state(uint256 t) internal view returns (bytes32) {
        return State.hash(_tensors(t));
    }

    /// @dev Segment `j`'s `k + 1` per-step state hashes.
    function _states(uint64 j) internal view returns (bytes32[] memory s) {
        s = new bytes32[](K + 1);
        for (uint256 i = 0; i <= K; i++) {
            s[i] = _state(j * K + i);
        }
    }

    /// @dev The honest trace's slot hashes of step `s` of segment `j`.
    function _slots(uint64 j, uint64 s) internal pure returns (bytes32[] memory h) {
        uint256 t = j * K + s;
        h = new bytes32[](SLOTS);
        bytes32[] memory start = _tensors(t);
        bytes32[] memory end = _tensors(t + 1);
        for (uint256 i = 0; i < SLOTS; i++) {
            h[i] = Tensor.hash(Tensor.Header(1, 1, 1, keccak256(abi.encode("slot", t, i))));
        }
        for (uint256 m = 0; m < TENSORS; m++) {
            h[m] = start[m];
            h[SLOTS - TENSORS + m] = end[m];
        }
    }

    /// @dev The header a cheating solver's trace holds where the state after the step belongs.
    function _cheatHeader() internal pure returns (Tensor.Header memory) {
        return Tensor.Header(1, 1, 1, keccak256("cheat"));
    }

    /// @dev A cheat's trace of step `s` of segment `j`: the step's end state is not what its
    /// ops computed (its first next-state slot holds another tensor).
    function _cheatSlots(uint64 j, uint64 s) internal pure returns (bytes32[] memory h) {
        h = _slots(j, s);
        h[SLOTS - TENSORS] = Tensor.hash(_cheatHeader());
    }

    // ------------------------------------------------------------------ segment indexes

    /// @dev The solver's signed index of segment `j` of `task` over `states` and `traceRoots`,
    /// signed with `key` (as `poai_common::segment::Index` signs it).
    function _signedIndex(
        uint256 key,
        uint256 task,
        uint64 j,
        bytes32[] memory states,
        bytes32[] memory traceRoots
    ) internal view returns (Dispute.Signed memory signed) {
        signed.statesRoot = _root(_leaves(states));
        signed.tracesRoot = _root(_leaves(traceRoots));
        bytes32 digest = keccak256(
            abi.encode(
                keccak256("poai/segment/1"),
                address(market),
                task,
                j,
                market.task(task).resultRoot,
                signed.statesRoot,
                signed.tracesRoot
            )
        );
        bytes32 message = keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", digest));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, message);
        signed.signature = abi.encodePacked(r, s, v);
    }

    // ------------------------------------------------------------------ moves

    function _challenge(address who, uint64 j) internal returns (uint256 id) {
        vm.prank(who);
        id = dispute.challenge{value: BOND}(taskId, j);
    }

    /// @dev The solver's `postSteps` of segment `j`, from `states` and `points`' tree.
    function _postSteps(uint64 j, bytes32[] memory states, bytes32[] memory points) internal {
        // Arguments first: hashing calls the precompile, which would use up the prank.
        bytes32[] memory result = _leaves(points);
        bytes32[] memory first = _proof(result, j);
        bytes32[] memory last = _proof(result, j + 1);
        vm.prank(solver);
        dispute.postSteps(taskId, j, states, first, last);
    }

    function _postSteps(uint64 j) internal {
        bytes32[] memory states = _states(j);
        _postSteps(j, states, checkpoints);
    }

    function _pick(address who, uint256 id, uint64 s) internal {
        vm.prank(who);
        dispute.pickStep(id, s);
    }

    function _postTrace(uint64 j, uint64 s, bytes32[] memory slots) internal {
        vm.prank(solver);
        dispute.postTrace(taskId, j, s, slots, new bytes32[](0));
    }

    /// @dev A link proof that `slots`' first next-state slot (holding `header`) is not the
    /// first tensor of the state the solver posted after step `s` of segment `j`.
    function _link(uint64 j, uint64 s, bytes32[] memory slots, Tensor.Header memory header)
        internal
        view
        returns (Dispute.Link memory link)
    {
        uint256 t = j * K + s;
        bytes32[] memory end = _tensors(t + 1);
        link.layout = layout;
        link.next = true;
        link.stateHash = _state(t + 1);
        link.stateInSteps = _proof(_leaves(_states(j)), s + 1);
        link.index = 0;
        link.proof = abi.encode(
            end[0],
            _proof(_leaves(end), 0),
            OpProof.Slot({
                slot: SLOTS - TENSORS,
                header: header,
                siblings: _proof(_leaves(slots), SLOTS - TENSORS)
            })
        );
    }

    function _proveLink(address who, uint256 id, Dispute.Link memory link) internal {
        vm.prank(who);
        dispute.proveLink(id, link);
    }

    // ------------------------------------------------------------------ checks

    function _status(uint256 id) internal view returns (Status) {
        return market.task(id).status;
    }

    function _phase(uint256 id) internal view returns (uint256) {
        return uint256(dispute.game(id).phase);
    }

    function _solvent() internal view {
        vm.assertEq(address(market).balance, market.liabilities(), "solvent");
        vm.assertEq(address(dispute).balance, 0, "the game holds no wei");
        vm.assertEq(address(availability).balance, 0, "availability holds no wei");
    }

    /// @dev Past the challenge window.
    function _afterWindow() internal {
        vm.warp(committedAt + WINDOW + 1);
    }
}
