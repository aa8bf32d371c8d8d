//! A whole dispute game from real executions (`contracts/test/GameVectors.t.sol` plays it):
//! a digits-shaped MLP task of `T = 4` steps with `k = 2`, run by an honest solver and by one
//! that raised the learning rate by 1% from step 2 on. For segment 1 of each: the checkpoints,
//! the per-step state hashes, the trace root of the segment's first step, and the op proof of
//! the value the checker finds wrong in the cheat's trace (and of the same value in the honest
//! trace, which proves nothing).

use serde::{Deserialize, Serialize};

use crate::check::{Class, Step};
use crate::engine::{self, Backend, Engine, Trace};
use crate::merkle::Hash;
use crate::program::{Program, mlp};
use crate::prove::{self, Committed};
use crate::tensor::Tensor;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GameFile {
    #[serde(with = "crate::serde_hex::hash")]
    pub program_root: Hash,
    #[serde(with = "crate::serde_hex::hash")]
    pub dataset_hash: Hash,
    #[serde(with = "crate::serde_hex::hash")]
    pub seed: Hash,
    /// `abi.encode(uint32 stateTensors, uint32[] nextState)`.
    #[serde(with = "crate::serde_hex::bytes")]
    pub layout: Vec<u8>,
    pub steps: u64,
    pub interval: u64,
    pub ops: u32,
    pub slots: u32,
    pub batch: u32,
    /// The challenged segment, and the step picked in it (offset).
    pub segment: u64,
    pub step: u64,
    pub honest: Solver,
    pub cheat: Solver,
}

/// What one solver posts and serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Solver {
    #[serde(with = "crate::serde_hex::hashes")]
    pub checkpoints: Vec<Hash>,
    #[serde(with = "crate::serde_hex::hashes")]
    pub segment_states: Vec<Hash>,
    #[serde(with = "crate::serde_hex::hash")]
    pub trace_root: Hash,
    /// The picked step's slot tensor hashes, as `Dispute.postTrace` takes them.
    #[serde(with = "crate::serde_hex::hashes")]
    pub trace_slots: Vec<Hash>,
    /// `OpProver.judgeOp(…)` of the disputed value in this solver's trace.
    #[serde(with = "crate::serde_hex::bytes")]
    pub op_call: Vec<u8>,
}

const T: u64 = 4;
const K: u64 = 2;
const SEED: Hash = [0x60; 32];

/// Every state `s_0 … s_T` and the trace of every step, with `lr × 1.01` from `cheat_from` on.
fn run(
    model: &mlp::Config,
    sgd: mlp::Sgd,
    data: &Tensor,
    cheat_from: u64,
) -> (Vec<Vec<Tensor>>, Vec<Trace>) {
    let honest = model.training(sgd);
    let cheat = model.training(mlp::Sgd {
        lr: sgd.lr * 1.01,
        ..sgd
    });
    let engines = [
        Engine::new(Backend::Flex, honest.clone(), Some(data), SEED).expect("valid"),
        Engine::new(Backend::Flex, cheat, Some(data), SEED).expect("valid"),
    ];
    let mut state = model.initial_state(17);
    let mut states = vec![state.clone()];
    let mut traces = Vec::new();
    for t in 0..T {
        let engine = &engines[usize::from(t >= cheat_from)];
        let trace = engine.trace(&state, t).expect("runs");
        state = honest
            .next_state
            .iter()
            .map(|&s| trace.slots[s as usize].clone())
            .collect();
        states.push(state.clone());
        traces.push(trace);
    }
    (states, traces)
}

pub fn game_file() -> GameFile {
    let (rows, model, sgd) = super::small_task(0x4741_4d45, 48); // "GAME"
    let data = Tensor::from_rows(&rows).expect("rectangular");
    let program: Program = model.training(sgd);
    let (segment, offset) = (1u64, 0u64);
    let t = segment * K + offset;
    let (honest_states, honest_traces) = run(&model, sgd, &data, u64::MAX);
    let (cheat_states, cheat_traces) = run(&model, sgd, &data, K);
    // The value the checker finds wrong in the cheat's step t.
    let step = Step {
        program: &program,
        slots: &cheat_traces[t as usize].slots,
        dataset: Some(&data),
        seed: &SEED,
        step: t,
        class: Class::Fp32,
    };
    let (op, row, col) = (0..program.ops.len())
        .find_map(|op| {
            let out = &cheat_traces[t as usize].slots[program.output_slot(op) as usize];
            (0..out.rows()).find_map(|r| {
                (0..out.cols())
                    .find(|&c| !step.check_recorded(op, r, c).expect("in range").accepted)
                    .map(|c| (op, r, c))
            })
        })
        .expect("the checker catches lr × 1.01");
    let solver = |states: &[Vec<Tensor>], traces: &[Trace]| {
        let hashes: Vec<Hash> = states.iter().map(|s| engine::state_hash(s)).collect();
        let committed = Committed::new(&program, &traces[t as usize]).expect("commits");
        Solver {
            checkpoints: hashes.iter().step_by(K as usize).copied().collect(),
            segment_states: hashes[(segment * K) as usize..=((segment + 1) * K) as usize].to_vec(),
            trace_root: committed.root(),
            trace_slots: traces[t as usize]
                .slots
                .iter()
                .map(|s| s.commit().hash)
                .collect(),
            op_call: prove::calldata(
                &committed
                    .op_proof(Class::Fp32, op, row, col)
                    .expect("the op is in the program"),
            ),
        }
    };
    let layout = program.layout();
    GameFile {
        program_root: program.root().expect("valid"),
        dataset_hash: data.commit().hash,
        seed: SEED,
        layout,
        steps: T,
        interval: K,
        ops: program.ops.len() as u32,
        slots: (program.state.len() + program.ops.len()) as u32,
        batch: sgd.batch,
        segment,
        step: offset,
        honest: solver(&honest_states, &honest_traces),
        cheat: solver(&cheat_states, &cheat_traces),
    }
}
