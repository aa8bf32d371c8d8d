// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Batch} from "../commit/Batch.sol";
import {Merkle} from "../commit/Merkle.sol";
import {State} from "../commit/State.sol";
import {Tensor} from "../commit/Tensor.sol";
import {Dot} from "./Dot.sol";
import {Exact} from "./Exact.sol";
import {Float} from "./Float.sol";
import {Softmax} from "./Softmax.sol";
import {Verdict} from "./Verdict.sol";

/// @title OpProof
/// @notice Move 4 of the game, the op proof (DESIGN §6): one op of a step's program (proven into
/// `programRoot`), the input rows it reads and one output value (each proven into the step's
/// `traceRoot`), judged by the tier-2 bound (PROTOCOL §7). It returns the verdict on the claimed
/// value; `Verdict.proves` says whether that is fraud. A malformed proof reverts with a named
/// error and proves nothing.
library OpProof {
    /// @notice Op kinds of the v1 set (`program::kind`).
    uint8 internal constant LOAD_ROWS = 1;
    uint8 internal constant SLICE_COLS = 2;
    uint8 internal constant MATMUL_NT = 3;
    uint8 internal constant TRANSPOSE = 4;
    uint8 internal constant ADD_BIAS = 5;
    uint8 internal constant RELU = 6;
    uint8 internal constant RELU_GRAD = 7;
    uint8 internal constant SOFTMAX_XENT_GRAD = 8;
    uint8 internal constant ROW_SUM = 9;
    uint8 internal constant MOMENTUM = 10;
    uint8 internal constant SGD_UPDATE = 11;

    uint256 private constant ONE = 0x3f800000; // 1.0f

    /// @notice An op as the program commits to it (`program::Descriptor`, ABI-encoded).
    struct Descriptor {
        uint8 kind;
        uint32[] inputs;
        uint32 output;
        uint32 rows;
        uint32 cols;
        uint32[] attrs;
    }

    /// @notice What the task and the game fix: the program (its root and op count), the trace
    /// of the disputed step (its root and slot count), and the precision class.
    struct Step {
        bytes32 programRoot;
        uint256 ops;
        bytes32 traceRoot;
        uint256 slots;
        uint8 class;
    }

    /// @notice Op `index`: its ABI-encoded descriptor and the path into `programRoot`.
    struct Op {
        uint256 index;
        bytes descriptor;
        bytes32[] siblings;
    }

    /// @notice A slot's tensor: its header (which hashes to the tensor hash) and the path of that
    /// hash into `traceRoot`.
    struct Slot {
        uint256 slot;
        Tensor.Header header;
        bytes32[] siblings;
    }

    /// @notice One row of a slot's tensor, raw, with its path into the tensor's `rowsRoot`.
    struct Row {
        Slot tensor;
        uint256 row;
        bytes data;
        bytes32[] siblings;
    }

    /// @notice One value of a slot's tensor: its chunk, with the paths to the row root and on
    /// into `rowsRoot`.
    struct Value {
        Slot tensor;
        uint256 row;
        uint256 col;
        bytes32 chunk;
        bytes32[] chunkSiblings;
        bytes32[] rowSiblings;
    }

    /// @notice The task's data set (`datasetHash` commits to the header) and where in the run the
    /// step is: what the batch rule needs.
    struct Data {
        bytes32 datasetHash;
        Tensor.Header header;
        bytes32 seed;
        uint64 step;
    }

    /// @notice A row root with its path into a tensor's `rowsRoot`.
    struct RowRoot {
        uint256 row;
        bytes32 root;
        bytes32[] siblings;
    }

    /// @notice A tensor of a state: its hash and its path into the state hash (`tensorCount`
    /// tensors).
    struct StateTensor {
        bytes32 stateHash;
        uint256 tensorCount;
        uint256 index;
        bytes32 tensorHash;
        bytes32[] siblings;
    }

    /// @notice A data proof names an op that is not a load.
    error NotALoad(uint8 kind);
    /// @notice The data set's rows are not as wide as the load's output.
    error DatasetShape(uint256 cols, uint256 expected);
    /// @notice The proof names another data set row than the batch rule does.
    error WrongSourceRow(uint256 expected, uint256 got);
    /// @notice A link proof names another trace slot than the state tensor's.
    error WrongLinkSlot(uint256 expected, uint256 got);

    /// @notice The op reads another slot than the proof gives, or another row.
    error WrongInput(
        uint256 input, uint256 expectedSlot, uint256 gotSlot, uint256 expectedRow, uint256 gotRow
    );
    error InputCount(uint256 expected, uint256 got);
    /// @notice The proof's output is not the op's output slot.
    error WrongOutput(uint256 expected, uint256 got);
    /// @notice The inputs' shapes do not fit the op: the fault, if any, lies where they were made.
    error InputShape(uint256 input, uint256 rows, uint256 cols);
    /// @notice Loads are proven by a data proof, which compares whole rows.
    error UseDataProof();
    error UnknownKind(uint8 kind);

    /// @notice Judges the claimed output value of op `op` of `step`.
    function judge(Step memory step, Op memory op, Row[] memory inputs, Value memory output)
        internal
        view
        returns (Verdict.Reason)
    {
        Merkle.check(
            step.programRoot, step.ops, op.index, Merkle.leafHash(op.descriptor), op.siblings
        );
        Descriptor memory d = abi.decode(op.descriptor, (Descriptor));
        if (d.kind == LOAD_ROWS) revert UseDataProof();
        if (output.tensor.slot != d.output) revert WrongOutput(d.output, output.tensor.slot);
        // The output must be the f32 tensor of the descriptor's shape; anything else is fraud.
        _inTrace(step, output.tensor);
        Tensor.Header memory h = output.tensor.header;
        if (h.dtype != Tensor.DTYPE_F32 || h.rows != d.rows || h.cols != d.cols) {
            return Verdict.Reason.WrongShape;
        }
        uint256 claim = Tensor.checkValue(
            h,
            Tensor.hash(h),
            output.row,
            output.col,
            output.chunk,
            output.chunkSiblings,
            output.rowSiblings
        );
        _checkInputs(step, d, inputs, output.row, output.col);
        return _judge(d, inputs, output.row, output.col, step.class, claim);
    }

    /// @notice The data proof (DESIGN §6): row `loaded.row` of the load op's output differs from
    /// the data set row the batch rule names for it. Returns whether that is so (fraud); a wrong
    /// shape of the output is fraud too.
    function judgeLoad(
        Step memory step,
        Op memory op,
        Data memory data,
        Slot memory output,
        RowRoot memory loaded,
        RowRoot memory source
    ) internal view returns (bool) {
        Merkle.check(
            step.programRoot, step.ops, op.index, Merkle.leafHash(op.descriptor), op.siblings
        );
        Descriptor memory d = abi.decode(op.descriptor, (Descriptor));
        if (d.kind != LOAD_ROWS) revert NotALoad(d.kind);
        if (output.slot != d.output) revert WrongOutput(d.output, output.slot);
        _inTrace(step, output);
        Tensor.Header memory h = output.header;
        if (h.dtype != Tensor.DTYPE_F32 || h.rows != d.rows || h.cols != d.cols) return true;
        Tensor.check(data.header, data.datasetHash);
        if (data.header.cols != d.cols) revert DatasetShape(data.header.cols, d.cols);
        Merkle.check(
            h.rowsRoot, h.rows, loaded.row, Merkle.leafHash32(loaded.root), loaded.siblings
        );
        uint256 n = data.header.rows;
        uint256 expected = d.attrs[1] != 0
            ? (uint256(data.step) * d.attrs[0] + loaded.row) % n
            : Batch.rowIndex(data.seed, data.step, uint32(loaded.row), n);
        if (source.row != expected) revert WrongSourceRow(expected, source.row);
        Merkle.check(
            data.header.rowsRoot, n, source.row, Merkle.leafHash32(source.root), source.siblings
        );
        return loaded.root != source.root;
    }

    /// @notice The link proof (DESIGN §6): trace slot `slot.slot` differs from the state tensor
    /// it must equal — tensor `k` of the state at the step's start is slot `k`; tensor `k` of
    /// the state after it is the slot the program's next-state list names, `nextSlot` (the
    /// caller vouches for it: the game takes it from the task's committed layout). Returns
    /// whether they differ (fraud).
    function judgeLink(
        Step memory step,
        StateTensor memory tensor,
        bool next,
        uint256 nextSlot,
        Slot memory slot
    ) internal view returns (bool) {
        State.checkTensor(
            tensor.stateHash, tensor.tensorCount, tensor.index, tensor.tensorHash, tensor.siblings
        );
        uint256 expected = next ? nextSlot : tensor.index;
        if (slot.slot != expected) revert WrongLinkSlot(expected, slot.slot);
        _inTrace(step, slot);
        return Tensor.hash(slot.header) != tensor.tensorHash;
    }

    /// @dev Reverts unless the slot's tensor hash is leaf `slot` of `traceRoot`.
    function _inTrace(Step memory step, Slot memory s) private view {
        Merkle.check(
            step.traceRoot, step.slots, s.slot, Merkle.leafHash32(Tensor.hash(s.header)), s.siblings
        );
    }

    /// @dev The slot and row each input of the op at value (r, c) must be.
    function _reads(Descriptor memory d, uint256 i, uint256 r, uint256 c)
        private
        pure
        returns (uint256 row)
    {
        uint8 k = d.kind;
        if (k == MATMUL_NT) return i == 0 ? r : c;
        if (k == TRANSPOSE || k == ROW_SUM) return c;
        if (k == ADD_BIAS) return i == 0 ? r : 0;
        return r;
    }

    function _checkInputs(
        Step memory step,
        Descriptor memory d,
        Row[] memory inputs,
        uint256 r,
        uint256 c
    ) private view {
        if (inputs.length != d.inputs.length) {
            revert InputCount(d.inputs.length, inputs.length);
        }
        for (uint256 i = 0; i < inputs.length; i++) {
            Row memory x = inputs[i];
            uint256 row = _reads(d, i, r, c);
            if (x.tensor.slot != d.inputs[i] || x.row != row) {
                revert WrongInput(i, d.inputs[i], x.tensor.slot, row, x.row);
            }
            _inTrace(step, x.tensor);
            Tensor.checkRow(
                x.tensor.header, Tensor.hash(x.tensor.header), x.row, x.data, x.siblings
            );
        }
    }

    /// @dev Value `col` of an input row, after checking it is there.
    function _at(Row[] memory inputs, uint256 i, uint256 col) private pure returns (uint256) {
        Tensor.Header memory h = inputs[i].tensor.header;
        if (col >= h.cols) revert InputShape(i, h.rows, h.cols);
        return Float.at(inputs[i].data, col);
    }

    function _judge(
        Descriptor memory d,
        Row[] memory x,
        uint256 r,
        uint256 c,
        uint8 class,
        uint256 claim
    ) private pure returns (Verdict.Reason) {
        uint8 k = d.kind;
        if (k == MATMUL_NT) {
            if (x[0].data.length != x[1].data.length) {
                revert InputShape(1, x[1].tensor.header.rows, x[1].tensor.header.cols);
            }
            return Dot.judge(x[0].data, x[1].data, class, claim);
        }
        if (k == SLICE_COLS) return _exact1(_at(x, 0, d.attrs[0] + c), claim);
        if (k == TRANSPOSE) return _exact1(_at(x, 0, r), claim);
        if (k == RELU) {
            uint256 v = _at(x, 0, c);
            bool flushable = Float.positive(v) && Float.isSubnormal(v);
            return _exact(Float.positive(v) ? v : 0, flushable, v, v, claim);
        }
        if (k == RELU_GRAD) {
            uint256 g = _at(x, 0, c);
            uint256 p = _at(x, 1, c);
            bool flushable = (Float.positive(p) && Float.isSubnormal(p)) || Float.isSubnormal(g);
            return _exact(Float.positive(p) ? g : 0, flushable, g, p, claim);
        }
        if (k == SOFTMAX_XENT_GRAD) {
            return Softmax.judge(x[0].data, _at(x, 1, 0), c, d.attrs[0], claim);
        }
        if (k == ROW_SUM) {
            uint256 n = x[0].data.length / 4;
            bytes memory ones = new bytes(n * 4);
            for (uint256 i = 0; i < n; i++) {
                ones[4 * i + 2] = 0x80;
                ones[4 * i + 3] = 0x3f;
            }
            return Dot.judge(x[0].data, ones, Dot.FP32, claim);
        }
        if (k == ADD_BIAS) return _dot2(_at(x, 0, c), ONE, _at(x, 1, c), ONE, claim);
        if (k == MOMENTUM) return _dot2(d.attrs[0], _at(x, 0, c), ONE, _at(x, 1, c), claim);
        if (k == SGD_UPDATE) {
            return _dot2(ONE, _at(x, 0, c), d.attrs[0] ^ 0x80000000, _at(x, 1, c), claim);
        }
        revert UnknownKind(k);
    }

    function _dot2(uint256 a0, uint256 b0, uint256 a1, uint256 b1, uint256 claim)
        private
        pure
        returns (Verdict.Reason)
    {
        uint256[] memory a = new uint256[](2);
        uint256[] memory b = new uint256[](2);
        (a[0], b[0], a[1], b[1]) = (a0, b0, a1, b1);
        return Dot.judgeTerms(a, b, Dot.FP32, claim);
    }

    function _exact1(uint256 v, uint256 claim) private pure returns (Verdict.Reason) {
        return _exact(v, false, v, v, claim);
    }

    /// @dev The value exactly, or 0 too where a flushed subnormal may give it.
    function _exact(uint256 value, bool flushable, uint256 in0, uint256 in1, uint256 claim)
        private
        pure
        returns (Verdict.Reason)
    {
        uint256[] memory values = new uint256[](flushable ? 2 : 1);
        values[0] = value;
        uint256[] memory ins = new uint256[](2);
        (ins[0], ins[1]) = (in0, in1);
        return Exact.judge(values, ins, claim);
    }
}
