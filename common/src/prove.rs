//! Fraud proofs as the contract checks them (DESIGN §6, move 4): from a step's program and
//! trace, the op proof of one output value — the op's descriptor and path into `programRoot`,
//! the input rows it reads and the value, each with its paths into the step's `traceRoot`.
//! The types are the contract's own (`chain::bindings::OpProver`), so what this builds is what
//! a node sends.

use alloy::primitives::FixedBytes;
use alloy::sol_types::{SolCall, SolValue};

use crate::chain::bindings::op_prover::OpProver::{
    judgeOpCall, provesLinkFraudCall, provesLoadFraudCall,
};
use crate::chain::bindings::op_prover::{OpProof, Tensor as SolTensor};
use crate::check::Class;
use crate::engine::Trace;
use crate::merkle::{self, Hash};
use crate::program::{Op, Program, Slot};
use crate::state;
use crate::tensor::{self, Tensor};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("op {op} is not an op of the program ({ops} ops)")]
    NoSuchOp { op: usize, ops: usize },
    #[error("loads are proven by a data proof")]
    Load,
    #[error("op {0} is not a load")]
    NotALoad(usize),
    #[error("the state has no tensor {index} ({count} tensors)")]
    NoSuchTensor { index: usize, count: usize },
    #[error(transparent)]
    Program(#[from] crate::program::Error),
    #[error(transparent)]
    Tensor(#[from] tensor::Error),
    #[error(transparent)]
    Merkle(#[from] merkle::Error),
}

/// The row of input `i` that op `o` reads for its output value `(r, c)` (the contract's
/// `OpProof._reads`; `check::Step::question` reads the same values).
pub fn input_row(o: &Op, i: usize, r: u32, c: u32) -> u32 {
    match o {
        Op::MatmulNt { .. } => {
            if i == 0 {
                r
            } else {
                c
            }
        }
        Op::Transpose { .. } | Op::RowSum { .. } => c,
        Op::AddBias { .. } => {
            if i == 0 {
                r
            } else {
                0
            }
        }
        _ => r,
    }
}

/// The data set row that row `row` of a load op (`batch` rows, `sequential` or by the batch
/// rule) must hold at step `step`, of a data set of `n` rows.
pub fn load_source(batch: u32, sequential: bool, seed: &Hash, step: u64, row: u32, n: u32) -> u32 {
    if sequential {
        ((step * u64::from(batch) + u64::from(row)) % u64::from(n)) as u32
    } else {
        crate::batch::row_index(seed, step, row, n)
    }
}

fn h(x: &Hash) -> FixedBytes<32> {
    FixedBytes(*x)
}

fn hs(xs: &[Hash]) -> Vec<FixedBytes<32>> {
    xs.iter().map(h).collect()
}

fn header(t: &tensor::Header) -> SolTensor::Header {
    SolTensor::Header {
        dtype: t.dtype,
        rows: t.rows,
        cols: t.cols,
        rowsRoot: h(&t.rows_root),
    }
}

/// A step's trace, committed: every slot's commitment and the tree over their hashes.
#[derive(Debug)]
pub struct Committed<'a> {
    program: &'a Program,
    slots: &'a [Tensor],
    commitments: Vec<tensor::Commitment>,
    tree: merkle::Tree,
}

impl<'a> Committed<'a> {
    pub fn new(program: &'a Program, trace: &'a Trace) -> Result<Self, Error> {
        Self::of_slots(program, &trace.slots)
    }

    /// A step's slots as served (a trace without its hashes), committed.
    pub fn of_slots(program: &'a Program, slots: &'a [Tensor]) -> Result<Self, Error> {
        let commitments: Vec<tensor::Commitment> = slots.iter().map(Tensor::commit).collect();
        let hashes: Vec<Hash> = commitments.iter().map(|c| c.hash).collect();
        let tree = merkle::Tree::from_payloads(&hashes)?;
        Ok(Self {
            program,
            slots,
            commitments,
            tree,
        })
    }

    /// `traceRoot`.
    pub fn root(&self) -> Hash {
        self.tree.root()
    }

    fn slot(&self, slot: Slot) -> Result<OpProof::Slot, Error> {
        let proof = self.tree.proof(u64::from(slot))?;
        Ok(OpProof::Slot {
            slot: alloy::primitives::U256::from(slot),
            header: header(&self.commitments[slot as usize].header),
            siblings: hs(&proof.siblings),
        })
    }

    fn row(&self, slot: Slot, row: u32) -> Result<OpProof::Row, Error> {
        let c = &self.commitments[slot as usize];
        Ok(OpProof::Row {
            tensor: self.slot(slot)?,
            row: alloy::primitives::U256::from(row),
            data: self.slots[slot as usize].row_bytes(row)?.into(),
            siblings: hs(&c.row_proof(row)?.siblings),
        })
    }

    fn value(&self, slot: Slot, row: u32, col: u32) -> Result<OpProof::Value, Error> {
        let p =
            self.slots[slot as usize].value_proof(&self.commitments[slot as usize], row, col)?;
        Ok(OpProof::Value {
            tensor: self.slot(slot)?,
            row: alloy::primitives::U256::from(row),
            col: alloy::primitives::U256::from(col),
            chunk: FixedBytes(p.chunk),
            chunkSiblings: hs(&p.chunk_siblings),
            rowSiblings: hs(&p.row_siblings),
        })
    }

    fn op_leaf(&self, op: usize) -> Result<(OpProof::Step, OpProof::Op), Error> {
        let descriptors: Vec<Vec<u8>> = self
            .program
            .descriptors()?
            .iter()
            .map(SolValue::abi_encode)
            .collect();
        let tree = merkle::Tree::from_payloads(&descriptors)?;
        Ok((
            OpProof::Step {
                programRoot: h(&tree.root()),
                ops: alloy::primitives::U256::from(self.program.ops.len()),
                traceRoot: h(&self.root()),
                slots: alloy::primitives::U256::from(self.slots.len()),
                class: Class::Fp32.code(),
            },
            OpProof::Op {
                index: alloy::primitives::U256::from(op),
                descriptor: descriptors[op].clone().into(),
                siblings: hs(&tree.proof(op as u64)?.siblings),
            },
        ))
    }

    /// The data proof of row `row` of load op `op`'s output against the data set row the batch
    /// rule names for step `step`, as the call to `OpProver.provesLoadFraud`.
    pub fn load_proof(
        &self,
        dataset: &Tensor,
        seed: &Hash,
        step: u64,
        op: usize,
        row: u32,
    ) -> Result<provesLoadFraudCall, Error> {
        let ops = self.program.ops.len();
        let o = self
            .program
            .ops
            .get(op)
            .ok_or(Error::NoSuchOp { op, ops })?;
        let Op::LoadRows { batch, sequential } = *o else {
            return Err(Error::NotALoad(op));
        };
        let (s, leaf) = self.op_leaf(op)?;
        let out_slot = self.program.output_slot(op);
        let out = &self.commitments[out_slot as usize];
        let data = dataset.commit();
        let n = dataset.rows();
        let source = load_source(batch, sequential, seed, step, row, n);
        Ok(provesLoadFraudCall {
            step: s,
            op: leaf,
            data: OpProof::Data {
                datasetHash: h(&data.hash),
                header: header(&data.header),
                seed: FixedBytes(*seed),
                step,
            },
            output: self.slot(out_slot)?,
            loaded: OpProof::RowRoot {
                row: alloy::primitives::U256::from(row),
                root: h(&out.row_roots[row as usize]),
                siblings: hs(&out.row_proof(row)?.siblings),
            },
            source: OpProof::RowRoot {
                row: alloy::primitives::U256::from(source),
                root: h(&data.row_roots[source as usize]),
                siblings: hs(&data.row_proof(source)?.siblings),
            },
        })
    }

    /// The link proof of tensor `k` of `state` (the committed state at the step's start, or
    /// with `next` after it) against the trace slot that must hold it, as the call to
    /// `OpProver.provesLinkFraud`.
    pub fn link_proof(
        &self,
        state: &[Tensor],
        next: bool,
        k: usize,
    ) -> Result<provesLinkFraudCall, Error> {
        let count = state.len();
        if k >= count || k >= self.program.next_state.len() {
            return Err(Error::NoSuchTensor { index: k, count });
        }
        let hashes: Vec<Hash> = state.iter().map(|t| t.commit().hash).collect();
        let state_hash = state::state_hash(&hashes)?;
        let next_slot = self.program.next_state[k];
        let slot = if next { next_slot } else { k as Slot };
        let (s, _) = self.op_leaf(0)?;
        Ok(provesLinkFraudCall {
            step: s,
            tensor: OpProof::StateTensor {
                stateHash: h(&state_hash),
                tensorCount: alloy::primitives::U256::from(count),
                index: alloy::primitives::U256::from(k),
                tensorHash: h(&hashes[k]),
                siblings: hs(&state::tensor_proof(&hashes, k as u64)?.siblings),
            },
            next,
            nextSlot: alloy::primitives::U256::from(next_slot),
            slot: self.slot(slot)?,
        })
    }

    /// The op proof of value `(row, col)` of op `op`'s output, as the call to
    /// `OpProver.judgeOp`.
    pub fn op_proof(
        &self,
        class: Class,
        op: usize,
        row: u32,
        col: u32,
    ) -> Result<judgeOpCall, Error> {
        let ops = self.program.ops.len();
        let o = self
            .program
            .ops
            .get(op)
            .ok_or(Error::NoSuchOp { op, ops })?;
        if matches!(o, Op::LoadRows { .. }) {
            return Err(Error::Load);
        }
        let (mut step, op_leaf) = self.op_leaf(op)?;
        step.class = class.code();
        let inputs = o
            .inputs()
            .iter()
            .enumerate()
            .map(|(i, &slot)| self.row(slot, input_row(o, i, row, col)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(judgeOpCall {
            step,
            op: op_leaf,
            inputs,
            output: self.value(self.program.output_slot(op), row, col)?,
        })
    }
}

/// The paths `Dispute.postSteps` (move 1) takes with a segment's per-step state hashes: those
/// of checkpoints `segment` and `segment + 1` into `resultRoot` (the tree over `checkpoints`).
pub fn ends(
    checkpoints: &[Hash],
    segment: u64,
) -> Result<(Vec<FixedBytes<32>>, Vec<FixedBytes<32>>), Error> {
    let result = merkle::Tree::from_payloads(checkpoints)?;
    Ok((
        hs(&result.proof(segment)?.siblings),
        hs(&result.proof(segment + 1)?.siblings),
    ))
}

/// An op proof as `Dispute.proveOp` takes it: `abi.encode(Op, Row[], Value)`.
pub fn op_blob(call: &judgeOpCall) -> Vec<u8> {
    (call.op.clone(), call.inputs.clone(), call.output.clone()).abi_encode_params()
}

/// A data proof as `Dispute.proveLoad` takes it: `abi.encode(Op, Tensor.Header, Slot, RowRoot,
/// RowRoot)`.
pub fn load_blob(call: &provesLoadFraudCall) -> Vec<u8> {
    (
        call.op.clone(),
        call.data.header.clone(),
        call.output.clone(),
        call.loaded.clone(),
        call.source.clone(),
    )
        .abi_encode_params()
}

/// A link proof as `Dispute.proveLink` takes it: the layout, the state's place in the game's
/// steps root (`states`, the segment's per-step state hashes; `step` the picked offset), and
/// `abi.encode(bytes32 tensorHash, bytes32[] tensorInState, Slot slot)`.
pub fn link_move(
    call: &provesLinkFraudCall,
    layout: Vec<u8>,
    states: &[Hash],
    step: u64,
) -> Result<crate::chain::bindings::dispute::Dispute::Link, Error> {
    let leaf = step + u64::from(call.next);
    let steps = merkle::Tree::from_payloads(states)?;
    Ok(crate::chain::bindings::dispute::Dispute::Link {
        layout: layout.into(),
        next: call.next,
        stateHash: call.tensor.stateHash,
        stateInSteps: hs(&steps.proof(leaf)?.siblings),
        index: call.tensor.index,
        proof: (
            call.tensor.tensorHash,
            call.tensor.siblings.clone(),
            call.slot.clone(),
        )
            .abi_encode_params()
            .into(),
    })
}

/// The calldata of a proof, as a node sends it.
pub fn calldata<C: SolCall>(call: &C) -> Vec<u8> {
    call.abi_encode()
}

/// The contract's name for the verdict it returns (`Verdict.Reason`).
pub fn reason_name(reason: u8) -> &'static str {
    match reason {
        0 => "within_bound",
        1 => "non_finite_input",
        2 => "may_overflow",
        3 => "non_finite_claim",
        4 => "outside_bound",
        5 => "wrong_shape",
        _ => "unknown",
    }
}
