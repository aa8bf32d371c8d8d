//! Step programs, DESIGN §3–4: straight-line programs over tensor slots.
//!
//! Slots `0..S-1` hold the state at the start of a step (parameters, then optimizer buffers);
//! every op writes one new slot, in order, so slot `S + i` is op `i`'s output and no slot is ever
//! written twice. Every slot is a matrix (a vector is one row), and every op reads its inputs by
//! whole rows, so one output value is proven with a few row proofs. A program lists which slots
//! hold the state after the step (`next_state`) and, for inference, which hold the outputs.
//!
//! Each op has an ABI-encoded descriptor ([`Descriptor`], the same bytes as Solidity's
//! `abi.encode`); `programRoot` is the Merkle tree over them.

use alloy::sol_types::SolValue;
use serde::{Deserialize, Serialize};

use crate::merkle::{self, Hash};

/// A slot index.
pub type Slot = u32;

/// The largest dimension of a slot: dot products stay within what the checkers size for.
pub const MAX_DIM: u32 = 1 << 20;

/// The shape of a slot: `rows × cols`, both at least one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Shape {
    pub rows: u32,
    pub cols: u32,
}

impl Shape {
    pub const fn new(rows: u32, cols: u32) -> Self {
        Self { rows, cols }
    }

    pub fn len(&self) -> usize {
        self.rows as usize * self.cols as usize
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0 || self.cols == 0
    }
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}×{}", self.rows, self.cols)
    }
}

/// One op of the v1 set (an MLP classifier trained by SGD with momentum).
///
/// The semantics of each op are exact real-number formulas; an implementation computes them in
/// f32 in any order, and the tier-2 checker accepts its result within the op's rigorous bound
/// (docs/PROTOCOL.md derives each).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// `out[r] = dataset[row(r)]`, `out` being `batch × dataset.cols`. `row(r)` is the batch rule
    /// of DESIGN §3 (`sequential: false`) or `(step·batch + r) mod N` (`sequential: true`, for
    /// inference over a whole data set).
    LoadRows { batch: u32, sequential: bool },
    /// `out[i][j] = input[i][start + j]` for `j < len`.
    SliceCols { input: Slot, start: u32, len: u32 },
    /// `out[i][j] = Σ_k a[i][k]·b[j][k]`: `C = A·Bᵀ`, both read by rows.
    MatmulNt { a: Slot, b: Slot },
    /// `out[i][j] = input[j][i]`.
    Transpose { input: Slot },
    /// `out[i][j] = input[i][j] + bias[0][j]`.
    AddBias { input: Slot, bias: Slot },
    /// `out = max(input, 0)`.
    Relu { input: Slot },
    /// `out = grad` where `pre > 0`, else `0`.
    ReluGrad { grad: Slot, pre: Slot },
    /// `out[i][j] = (softmax(logits[i])[j] − [j = labels[i][0]])·scale`: the gradient of the mean
    /// softmax cross-entropy when `scale = 1/batch`.
    SoftmaxXentGrad {
        logits: Slot,
        labels: Slot,
        scale: f32,
    },
    /// `out[0][i] = Σ_j input[i][j]`.
    RowSum { input: Slot },
    /// `out = momentum·velocity + grad` (SGD with momentum, no dampening).
    Momentum {
        velocity: Slot,
        grad: Slot,
        momentum: f32,
    },
    /// `out = param − lr·velocity`.
    SgdUpdate {
        param: Slot,
        velocity: Slot,
        lr: f32,
    },
}

/// Op kinds, as descriptors number them.
pub mod kind {
    pub const LOAD_ROWS: u8 = 1;
    pub const SLICE_COLS: u8 = 2;
    pub const MATMUL_NT: u8 = 3;
    pub const TRANSPOSE: u8 = 4;
    pub const ADD_BIAS: u8 = 5;
    pub const RELU: u8 = 6;
    pub const RELU_GRAD: u8 = 7;
    pub const SOFTMAX_XENT_GRAD: u8 = 8;
    pub const ROW_SUM: u8 = 9;
    pub const MOMENTUM: u8 = 10;
    pub const SGD_UPDATE: u8 = 11;
}

alloy::sol! {
    /// An op as the contract reads it: its kind, input slots, output slot and shape, and its
    /// attributes (integers, or f32 constants as their bits).
    #[derive(Debug, PartialEq, Eq)]
    struct Descriptor {
        uint8 kind;
        uint32[] inputs;
        uint32 output;
        uint32 rows;
        uint32 cols;
        uint32[] attrs;
    }
}

impl Op {
    pub fn kind(&self) -> u8 {
        match self {
            Op::LoadRows { .. } => kind::LOAD_ROWS,
            Op::SliceCols { .. } => kind::SLICE_COLS,
            Op::MatmulNt { .. } => kind::MATMUL_NT,
            Op::Transpose { .. } => kind::TRANSPOSE,
            Op::AddBias { .. } => kind::ADD_BIAS,
            Op::Relu { .. } => kind::RELU,
            Op::ReluGrad { .. } => kind::RELU_GRAD,
            Op::SoftmaxXentGrad { .. } => kind::SOFTMAX_XENT_GRAD,
            Op::RowSum { .. } => kind::ROW_SUM,
            Op::Momentum { .. } => kind::MOMENTUM,
            Op::SgdUpdate { .. } => kind::SGD_UPDATE,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Op::LoadRows { .. } => "load_rows",
            Op::SliceCols { .. } => "slice_cols",
            Op::MatmulNt { .. } => "matmul_nt",
            Op::Transpose { .. } => "transpose",
            Op::AddBias { .. } => "add_bias",
            Op::Relu { .. } => "relu",
            Op::ReluGrad { .. } => "relu_grad",
            Op::SoftmaxXentGrad { .. } => "softmax_xent_grad",
            Op::RowSum { .. } => "row_sum",
            Op::Momentum { .. } => "momentum",
            Op::SgdUpdate { .. } => "sgd_update",
        }
    }

    /// The slots the op reads, in descriptor order.
    pub fn inputs(&self) -> Vec<Slot> {
        match *self {
            Op::LoadRows { .. } => vec![],
            Op::SliceCols { input, .. }
            | Op::Transpose { input }
            | Op::Relu { input }
            | Op::RowSum { input } => vec![input],
            Op::MatmulNt { a, b } => vec![a, b],
            Op::AddBias { input, bias } => vec![input, bias],
            Op::ReluGrad { grad, pre } => vec![grad, pre],
            Op::SoftmaxXentGrad { logits, labels, .. } => vec![logits, labels],
            Op::Momentum { velocity, grad, .. } => vec![velocity, grad],
            Op::SgdUpdate {
                param, velocity, ..
            } => vec![param, velocity],
        }
    }

    fn attrs(&self) -> Vec<u32> {
        match *self {
            Op::LoadRows { batch, sequential } => vec![batch, u32::from(sequential)],
            Op::SliceCols { start, len, .. } => vec![start, len],
            Op::SoftmaxXentGrad { scale, .. } => vec![scale.to_bits()],
            Op::Momentum { momentum, .. } => vec![momentum.to_bits()],
            Op::SgdUpdate { lr, .. } => vec![lr.to_bits()],
            _ => vec![],
        }
    }

    /// The output shape, given the input shapes, or why they don't fit.
    fn output_shape(&self, shapes: &[Shape], dataset_cols: u32) -> Result<Shape, String> {
        let s = |slot: Slot| shapes[slot as usize];
        match *self {
            Op::LoadRows { batch, .. } => Ok(Shape::new(batch, dataset_cols)),
            Op::SliceCols { input, start, len } => {
                let i = s(input);
                if len == 0 || u64::from(start) + u64::from(len) > u64::from(i.cols) {
                    return Err(format!(
                        "columns {start}..{} of a {i} input",
                        u64::from(start) + u64::from(len)
                    ));
                }
                Ok(Shape::new(i.rows, len))
            }
            Op::MatmulNt { a, b } => {
                let (a, b) = (s(a), s(b));
                if a.cols != b.cols {
                    return Err(format!("A·Bᵀ of a {a} A and a {b} B"));
                }
                Ok(Shape::new(a.rows, b.rows))
            }
            Op::Transpose { input } => Ok(Shape::new(s(input).cols, s(input).rows)),
            Op::AddBias { input, bias } => {
                let (i, b) = (s(input), s(bias));
                if b != Shape::new(1, i.cols) {
                    return Err(format!("a {b} bias for a {i} input"));
                }
                Ok(i)
            }
            Op::Relu { input } => Ok(s(input)),
            Op::ReluGrad { grad, pre }
            | Op::Momentum {
                velocity: pre,
                grad,
                ..
            } => {
                if s(grad) != s(pre) {
                    return Err(format!("a {} and a {} operand", s(grad), s(pre)));
                }
                Ok(s(grad))
            }
            Op::SgdUpdate {
                param, velocity, ..
            } => {
                if s(param) != s(velocity) {
                    return Err(format!(
                        "a {} parameter and a {} velocity",
                        s(param),
                        s(velocity)
                    ));
                }
                Ok(s(param))
            }
            Op::SoftmaxXentGrad { logits, labels, .. } => {
                let (l, y) = (s(logits), s(labels));
                if y != Shape::new(l.rows, 1) {
                    return Err(format!("{y} labels for {l} logits"));
                }
                Ok(l)
            }
            Op::RowSum { input } => Ok(Shape::new(1, s(input).rows)),
        }
    }

    fn constants(&self) -> Vec<f32> {
        match *self {
            Op::SoftmaxXentGrad { scale, .. } => vec![scale],
            Op::Momentum { momentum, .. } => vec![momentum],
            Op::SgdUpdate { lr, .. } => vec![lr],
            _ => vec![],
        }
    }
}

/// Why a program is not well formed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("a program has at least one state slot and one op")]
    Empty,
    #[error("state slot {slot} has the empty shape {shape}")]
    EmptyShape { slot: Slot, shape: Shape },
    #[error("op {op} ({name}) reads slot {slot}, which is not written before it")]
    UndefinedSlot {
        op: usize,
        name: &'static str,
        slot: Slot,
    },
    #[error("op {op} ({name}): {why}")]
    ShapeMismatch {
        op: usize,
        name: &'static str,
        why: String,
    },
    #[error("op {op} ({name}) has a constant that is not finite")]
    NonFiniteConstant { op: usize, name: &'static str },
    #[error("slot {slot} is {shape}: dimensions are at most {MAX_DIM}")]
    TooLarge { slot: Slot, shape: Shape },
    #[error("op {op} ({name}) has an empty output ({shape})")]
    EmptyOutput {
        op: usize,
        name: &'static str,
        shape: Shape,
    },
    #[error("the next state lists {got} slots for a state of {expected}")]
    NextStateLength { expected: usize, got: usize },
    #[error("next-state slot {slot} ({got}) does not have state slot {index}'s shape ({expected})")]
    NextStateShape {
        index: usize,
        slot: Slot,
        expected: Shape,
        got: Shape,
    },
    #[error("slot {slot} is not a slot of this program ({slots} slots)")]
    NoSuchSlot { slot: Slot, slots: usize },
    #[error("the program loads rows but its data set has {0} columns")]
    NoDataset(u32),
}

/// A step program and the shapes of all its slots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Program {
    /// The shapes of the state slots `0..S-1`.
    pub state: Vec<Shape>,
    /// Columns of the data set that `LoadRows` reads (0 if the program loads nothing).
    pub dataset_cols: u32,
    /// Op `i` writes slot `state.len() + i`.
    pub ops: Vec<Op>,
    /// The slots that hold the state after the step, one per state slot (the state itself for
    /// inference).
    pub next_state: Vec<Slot>,
    /// The slots an inference step emits.
    pub outputs: Vec<Slot>,
}

impl Program {
    /// Checks that the slots line up and returns every slot's shape.
    pub fn validate(&self) -> Result<Vec<Shape>, Error> {
        if self.state.is_empty() || self.ops.is_empty() {
            return Err(Error::Empty);
        }
        let mut shapes = Vec::with_capacity(self.state.len() + self.ops.len());
        for (slot, &shape) in self.state.iter().enumerate() {
            if shape.is_empty() {
                return Err(Error::EmptyShape {
                    slot: slot as Slot,
                    shape,
                });
            }
            shapes.push(shape);
        }
        for (i, op) in self.ops.iter().enumerate() {
            let name = op.name();
            for slot in op.inputs() {
                if slot as usize >= shapes.len() {
                    return Err(Error::UndefinedSlot { op: i, name, slot });
                }
            }
            if matches!(op, Op::LoadRows { .. }) && self.dataset_cols == 0 {
                return Err(Error::NoDataset(0));
            }
            if op.constants().iter().any(|c| !c.is_finite()) {
                return Err(Error::NonFiniteConstant { op: i, name });
            }
            let shape = op
                .output_shape(&shapes, self.dataset_cols)
                .map_err(|why| Error::ShapeMismatch { op: i, name, why })?;
            if shape.is_empty() {
                return Err(Error::EmptyOutput { op: i, name, shape });
            }
            shapes.push(shape);
        }
        if let Some((slot, &shape)) = shapes
            .iter()
            .enumerate()
            .find(|(_, s)| s.rows > MAX_DIM || s.cols > MAX_DIM)
        {
            return Err(Error::TooLarge {
                slot: slot as Slot,
                shape,
            });
        }
        if self.next_state.len() != self.state.len() {
            return Err(Error::NextStateLength {
                expected: self.state.len(),
                got: self.next_state.len(),
            });
        }
        for &slot in self.next_state.iter().chain(&self.outputs) {
            if slot as usize >= shapes.len() {
                return Err(Error::NoSuchSlot {
                    slot,
                    slots: shapes.len(),
                });
            }
        }
        for (index, (&slot, &expected)) in self.next_state.iter().zip(&self.state).enumerate() {
            let got = shapes[slot as usize];
            if got != expected {
                return Err(Error::NextStateShape {
                    index,
                    slot,
                    expected,
                    got,
                });
            }
        }
        Ok(shapes)
    }

    /// The slot op `i` writes.
    pub fn output_slot(&self, op: usize) -> Slot {
        (self.state.len() + op) as Slot
    }

    /// Every op's descriptor. The program must be valid.
    pub fn descriptors(&self) -> Result<Vec<Descriptor>, Error> {
        let shapes = self.validate()?;
        Ok(self
            .ops
            .iter()
            .enumerate()
            .map(|(i, op)| {
                let output = self.output_slot(i);
                let shape = shapes[output as usize];
                Descriptor {
                    kind: op.kind(),
                    inputs: op.inputs(),
                    output,
                    rows: shape.rows,
                    cols: shape.cols,
                    attrs: op.attrs(),
                }
            })
            .collect())
    }

    /// The state layout the game reads for link proofs: `abi.encode(uint32 stateTensors,
    /// uint32[] nextState)` (PROTOCOL §3).
    pub fn layout(&self) -> Vec<u8> {
        (self.state.len() as u32, self.next_state.clone()).abi_encode_params()
    }

    /// `layoutHash = sha256(layout)`.
    pub fn layout_hash(&self) -> Hash {
        use sha2::Digest;
        sha2::Sha256::digest(self.layout()).into()
    }

    /// `programRoot`: the Merkle tree over the ABI-encoded descriptors.
    pub fn root(&self) -> Result<Hash, Error> {
        let encoded: Vec<Vec<u8>> = self
            .descriptors()?
            .iter()
            .map(SolValue::abi_encode)
            .collect();
        Ok(merkle::root_of_payloads(&encoded).expect("a valid program has at least one op"))
    }
}

/// Builders of the v1 programs: MLP classifiers, trained by SGD with momentum.
pub mod mlp {
    use serde::{Deserialize, Serialize};

    use super::{Op, Program, Shape, Slot};
    use crate::rng::SplitMix64;
    use crate::tensor::Tensor;

    /// The model: `input → hidden… → classes`, ReLU between layers, softmax cross-entropy.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct Config {
        pub input: u32,
        pub hidden: Vec<u32>,
        pub classes: u32,
    }

    /// SGD with momentum (PyTorch's form, no dampening): `v ← μ·v + g`, `w ← w − lr·v`.
    #[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
    pub struct Sgd {
        pub lr: f32,
        pub momentum: f32,
        pub batch: u32,
    }

    impl Default for Sgd {
        fn default() -> Self {
            Self {
                lr: 0.05,
                momentum: 0.9,
                batch: 32,
            }
        }
    }

    impl Config {
        /// Initial parameters from a seed: weights uniform in `±1/√fan_in`, biases zero.
        pub fn init_params(&self, seed: u64) -> Vec<Tensor> {
            let mut rng = SplitMix64(seed);
            self.param_shapes()
                .into_iter()
                .map(|shape| {
                    let limit = if shape.rows == 1 {
                        0.0
                    } else {
                        1.0 / (shape.cols as f32).sqrt()
                    };
                    let values = (0..shape.len())
                        .map(|_| rng.symmetric_unit() * limit)
                        .collect();
                    Tensor::new(shape.rows as usize, shape.cols as usize, values)
                        .expect("parameter shapes are never empty")
                })
                .collect()
        }

        /// The state a training program starts from: the parameters of `init_params(seed)`,
        /// then a zero velocity for each.
        pub fn initial_state(&self, seed: u64) -> Vec<Tensor> {
            let mut state = self.init_params(seed);
            let velocities: Vec<Tensor> = state
                .iter()
                .map(|t| {
                    Tensor::new(
                        t.rows() as usize,
                        t.cols() as usize,
                        vec![0.0; t.data().len()],
                    )
                    .expect("the shape of an existing tensor")
                })
                .collect();
            state.extend(velocities);
            state
        }

        /// Layer widths `[input, hidden…, classes]`.
        pub fn widths(&self) -> Vec<u32> {
            let mut w = vec![self.input];
            w.extend(&self.hidden);
            w.push(self.classes);
            w
        }

        /// The parameter shapes, in state order: `W_0 (out×in), b_0 (1×out), W_1, b_1, …`.
        pub fn param_shapes(&self) -> Vec<Shape> {
            self.widths()
                .windows(2)
                .flat_map(|w| [Shape::new(w[1], w[0]), Shape::new(1, w[1])])
                .collect()
        }

        /// One training step: load a batch, forward, softmax cross-entropy gradient, backward,
        /// momentum and SGD updates. The state is the parameters, then one velocity each.
        pub fn training(&self, sgd: Sgd) -> Program {
            let params = self.param_shapes();
            let mut state = params.clone();
            state.extend(&params);
            let mut b = Builder::new(state, self.input + 1);
            let layers = params.len() / 2;
            let data = b.push(Op::LoadRows {
                batch: sgd.batch,
                sequential: false,
            });
            let (x, labels) = b.split(data, self.input);
            let (hs, pres) = b.forward(x, layers);
            let scale = 1.0 / sgd.batch as f32;
            let mut d_pre = b.push(Op::SoftmaxXentGrad {
                logits: pres[layers - 1],
                labels,
                scale,
            });
            let mut grads: Vec<Slot> = vec![0; params.len()];
            for l in (0..layers).rev() {
                let d_t = b.push(Op::Transpose { input: d_pre });
                let h_t = b.push(Op::Transpose { input: hs[l] });
                grads[2 * l] = b.push(Op::MatmulNt { a: d_t, b: h_t });
                grads[2 * l + 1] = b.push(Op::RowSum { input: d_t });
                if l > 0 {
                    let w_t = b.push(Op::Transpose {
                        input: (2 * l) as Slot,
                    });
                    let d_h = b.push(Op::MatmulNt { a: d_pre, b: w_t });
                    d_pre = b.push(Op::ReluGrad {
                        grad: d_h,
                        pre: pres[l - 1],
                    });
                }
            }
            let n = params.len() as Slot;
            let mut next = vec![0; 2 * params.len()];
            for (p, &g) in grads.iter().enumerate() {
                let p = p as Slot;
                let v = b.push(Op::Momentum {
                    velocity: n + p,
                    grad: g,
                    momentum: sgd.momentum,
                });
                let w = b.push(Op::SgdUpdate {
                    param: p,
                    velocity: v,
                    lr: sgd.lr,
                });
                next[p as usize] = w;
                next[(n + p) as usize] = v;
            }
            b.finish(next, vec![])
        }

        /// One inference step over `batch` consecutive data set rows: the state (parameters only)
        /// is unchanged and the logits are emitted.
        pub fn inference(&self, batch: u32) -> Program {
            let params = self.param_shapes();
            let mut b = Builder::new(params.clone(), self.input + 1);
            let data = b.push(Op::LoadRows {
                batch,
                sequential: true,
            });
            let (x, _) = b.split(data, self.input);
            let (_, pres) = b.forward(x, params.len() / 2);
            let logits = pres[pres.len() - 1];
            b.finish((0..params.len() as Slot).collect(), vec![logits])
        }
    }

    struct Builder {
        program: Program,
    }

    impl Builder {
        fn new(state: Vec<Shape>, dataset_cols: u32) -> Self {
            Self {
                program: Program {
                    state,
                    dataset_cols,
                    ops: Vec::new(),
                    next_state: Vec::new(),
                    outputs: Vec::new(),
                },
            }
        }

        fn push(&mut self, op: Op) -> Slot {
            self.program.ops.push(op);
            self.program.output_slot(self.program.ops.len() - 1)
        }

        /// Features (the first `features` columns) and labels (the last) of loaded rows.
        fn split(&mut self, data: Slot, features: u32) -> (Slot, Slot) {
            let x = self.push(Op::SliceCols {
                input: data,
                start: 0,
                len: features,
            });
            let y = self.push(Op::SliceCols {
                input: data,
                start: features,
                len: 1,
            });
            (x, y)
        }

        /// The forward pass: each layer's input `h_l` and pre-activation `pre_l`.
        fn forward(&mut self, x: Slot, layers: usize) -> (Vec<Slot>, Vec<Slot>) {
            let mut hs = vec![x];
            let mut pres = Vec::new();
            for l in 0..layers {
                let z = self.push(Op::MatmulNt {
                    a: hs[l],
                    b: (2 * l) as Slot,
                });
                let pre = self.push(Op::AddBias {
                    input: z,
                    bias: (2 * l + 1) as Slot,
                });
                pres.push(pre);
                if l + 1 < layers {
                    hs.push(self.push(Op::Relu { input: pre }));
                }
            }
            (hs, pres)
        }

        fn finish(mut self, next_state: Vec<Slot>, outputs: Vec<Slot>) -> Program {
            self.program.next_state = next_state;
            self.program.outputs = outputs;
            self.program
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digits() -> mlp::Config {
        mlp::Config {
            input: 64,
            hidden: vec![32],
            classes: 10,
        }
    }

    #[test]
    fn built_programs_are_valid_and_keep_the_state_shapes() {
        for hidden in [vec![], vec![16], vec![32, 16]] {
            let cfg = mlp::Config { hidden, ..digits() };
            let train = cfg.training(mlp::Sgd::default());
            let shapes = train.validate().expect("valid training program");
            assert_eq!(train.state.len(), 2 * cfg.param_shapes().len());
            for (slot, shape) in train.next_state.iter().zip(&train.state) {
                assert_eq!(shapes[*slot as usize], *shape);
            }
            let infer = cfg.inference(100);
            let shapes = infer.validate().expect("valid inference program");
            assert_eq!(shapes[infer.outputs[0] as usize], Shape::new(100, 10));
        }
    }

    #[test]
    fn the_layout_is_the_abi_encoding_of_the_state_count_and_next_state_slots() {
        let program = mlp::Config {
            input: 4,
            hidden: vec![3],
            classes: 2,
        }
        .training(mlp::Sgd {
            lr: 0.1,
            momentum: 0.9,
            batch: 2,
        });
        let bytes = program.layout();
        let word = |i: usize| alloy::primitives::U256::from_be_slice(&bytes[32 * i..32 * i + 32]);
        let n = program.next_state.len();
        assert_eq!(bytes.len(), 32 * (3 + n));
        assert_eq!(word(0), alloy::primitives::U256::from(program.state.len()));
        assert_eq!(word(1), alloy::primitives::U256::from(0x40));
        assert_eq!(word(2), alloy::primitives::U256::from(n));
        for (i, &slot) in program.next_state.iter().enumerate() {
            assert_eq!(word(3 + i), alloy::primitives::U256::from(slot));
        }
        use sha2::Digest;
        assert_eq!(
            program.layout_hash(),
            <[u8; 32]>::from(sha2::Sha256::digest(&bytes))
        );
    }

    #[test]
    fn descriptors_are_the_abi_encoding_of_kind_inputs_output_shape_attrs() {
        let p = digits().training(mlp::Sgd::default());
        let d = &p.descriptors().expect("valid")[0];
        assert_eq!(d.kind, kind::LOAD_ROWS);
        assert_eq!((d.rows, d.cols), (32, 65));
        let bytes = d.abi_encode();
        // A dynamic tuple: an offset word, then kind, the inputs offset, output, rows, cols,
        // the attrs offset, then the two arrays.
        assert_eq!(bytes[31], 0x20);
        assert_eq!(bytes[63], kind::LOAD_ROWS);
        assert_eq!(Descriptor::abi_decode(&bytes).expect("round trip"), *d);
    }

    #[test]
    fn program_root_changes_with_any_hyper_parameter() {
        let base = digits().training(mlp::Sgd::default());
        let lr = digits().training(mlp::Sgd {
            lr: 0.0501,
            ..mlp::Sgd::default()
        });
        let batch = digits().training(mlp::Sgd {
            batch: 31,
            ..mlp::Sgd::default()
        });
        let root = base.root().expect("valid");
        assert_ne!(root, lr.root().expect("valid"));
        assert_ne!(root, batch.root().expect("valid"));
    }

    #[test]
    fn slots_that_do_not_line_up_are_rejected() {
        let mut p = digits().training(mlp::Sgd::default());
        p.ops[3] = Op::MatmulNt { a: 999, b: 0 };
        assert!(matches!(
            p.validate(),
            Err(Error::UndefinedSlot {
                op: 3,
                slot: 999,
                ..
            })
        ));

        let mut p = digits().training(mlp::Sgd::default());
        let x = p.output_slot(1);
        p.ops[3] = Op::MatmulNt { a: x, b: 2 }; // features (64) against W_1's 32 columns
        assert!(matches!(
            p.validate(),
            Err(Error::ShapeMismatch { op: 3, .. })
        ));

        let mut p = digits().training(mlp::Sgd::default());
        p.next_state.pop();
        assert!(matches!(p.validate(), Err(Error::NextStateLength { .. })));

        let mut p = digits().training(mlp::Sgd::default());
        p.next_state.swap(0, 1);
        assert!(matches!(p.validate(), Err(Error::NextStateShape { .. })));

        let p = digits().training(mlp::Sgd {
            lr: f32::NAN,
            ..mlp::Sgd::default()
        });
        assert!(matches!(p.validate(), Err(Error::NonFiniteConstant { .. })));
    }
}
