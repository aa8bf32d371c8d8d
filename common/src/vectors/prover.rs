//! Differential vectors for the op proof (`OpProver.judgeOp`): whole proofs from real traces,
//! as the calldata a node sends, each with the verdict the Rust checker gives the value. They
//! hold honest values, values forged into a re-committed trace, the values real cheats
//! produce (bf16 matrix products in an fp32 task, lr × 1.01), an output of the wrong shape, and
//! one-op programs sized for the gas table (matrix products of rows of 64 to 4096 values).

use serde::{Deserialize, Serialize};

use crate::check::{Class, Reason, Step};
use crate::engine::{Backend, Engine, Trace};
use crate::program::{Op, Program, Shape, mlp};
use crate::prove::{self, Committed};
use crate::rng::SplitMix64;
use crate::tensor::Tensor;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProverFile {
    pub cases: Vec<ProofCase>,
    /// `OpProver.provesLoadFraud` calls.
    pub loads: Vec<FraudCase>,
    /// `OpProver.provesLinkFraud` calls.
    pub links: Vec<FraudCase>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FraudCase {
    pub name: String,
    #[serde(with = "crate::serde_hex::bytes")]
    pub calldata: Vec<u8>,
    /// Whether the proof proves fraud.
    pub fraud: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProofCase {
    pub name: String,
    /// `OpProver.judgeOp(step, op, inputs, output)`, ABI-encoded.
    #[serde(with = "crate::serde_hex::bytes")]
    pub calldata: Vec<u8>,
    /// The contract's `Verdict.Reason`, by Rust's name (`check::Reason`, or `wrong_shape`).
    pub reason: String,
}

fn reason_name(r: Reason) -> String {
    serde_json::to_value(r)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .expect("reasons serialize as strings")
}

struct Collector {
    cases: Vec<ProofCase>,
}

impl Collector {
    /// The proof of value `(row, col)` of op `op` in `trace`, with Rust's verdict on it.
    fn add(&mut self, name: &str, program: &Program, trace: &Trace, class: Class, op: usize) {
        let out = &trace.slots[program.output_slot(op) as usize];
        let (row, col) = (out.rows() - 1, out.cols() - 1);
        self.add_at(name, program, trace, class, op, row, col);
    }

    #[allow(clippy::too_many_arguments)]
    fn add_at(
        &mut self,
        name: &str,
        program: &Program,
        trace: &Trace,
        class: Class,
        op: usize,
        row: u32,
        col: u32,
    ) {
        let step = Step {
            program,
            slots: &trace.slots,
            dataset: None,
            seed: &[0; 32],
            step: trace.step,
            class,
        };
        // Rust refuses a trace of the wrong shape before judging; the contract finds it fraud.
        let reason = match step.validate() {
            Err(_) => "wrong_shape".to_string(),
            Ok(()) => reason_name(
                step.check(op, row, col, value(trace, program, op, row, col))
                    .expect("in range")
                    .reason,
            ),
        };
        let committed = Committed::new(program, trace).expect("a trace commits");
        let call = committed
            .op_proof(class, op, row, col)
            .expect("the op is in the program");
        self.cases.push(ProofCase {
            name: name.to_string(),
            calldata: prove::calldata(&call),
            reason,
        });
    }
}

fn value(trace: &Trace, program: &Program, op: usize, row: u32, col: u32) -> f32 {
    let t = &trace.slots[program.output_slot(op) as usize];
    t.data()[(row * t.cols() + col) as usize]
}

/// `trace` with value `(row, col)` of op `op`'s output replaced.
fn forged(trace: &Trace, program: &Program, op: usize, f: impl Fn(f32) -> f32) -> Trace {
    let mut t = trace.clone();
    let slot = program.output_slot(op) as usize;
    let s = &t.slots[slot];
    let (rows, cols) = (s.rows(), s.cols());
    let mut data = s.data().to_vec();
    let i = ((rows - 1) * cols + cols - 1) as usize;
    data[i] = f(data[i]);
    t.slots[slot] = Tensor::new(rows as usize, cols as usize, data).expect("same shape");
    t
}

/// A training step of a small MLP on synthetic data, two steps in, on flex.
/// The task's program, data set and the state at step 2's start and end (honest), and the
/// trace of step 2 by a solver that ran it with `lr` and `class` on `data` (the task's data
/// set unless `swap` exchanges two of its rows).
struct Run {
    program: Program,
    data: Tensor,
    start: Vec<Tensor>,
    end: Vec<Tensor>,
    trace: Trace,
}

const SEED: [u8; 32] = [9; 32];

fn training_run(lr: f32, class: Class, swap: Option<(u32, u32)>) -> Run {
    let (rows, model, sgd) = super::small_task(0x0050_524f_5645, 64); // "PROVE"
    let data = Tensor::from_rows(&rows).expect("rectangular");
    let mut used = rows.clone();
    if let Some((x, y)) = swap {
        used.swap(x as usize, y as usize);
    }
    let used = Tensor::from_rows(&used).expect("rectangular");
    let honest = model.training(sgd);
    let program = model.training(mlp::Sgd { lr, ..sgd });
    let engine = Engine::new(Backend::Flex, honest.clone(), Some(&data), SEED).expect("valid");
    let mut state = model.initial_state(5);
    for t in 0..2 {
        let trace = engine.trace(&state, t).expect("runs");
        state = honest
            .next_state
            .iter()
            .map(|&s| trace.slots[s as usize].clone())
            .collect();
    }
    let end = {
        let t = engine.trace(&state, 2).expect("runs");
        honest
            .next_state
            .iter()
            .map(|&s| t.slots[s as usize].clone())
            .collect()
    };
    let run = Engine::new(Backend::Flex, program.clone(), Some(&used), SEED)
        .expect("valid")
        .with_precision(class);
    Run {
        trace: run.trace(&state, 2).expect("runs"),
        program: honest,
        data,
        start: state,
        end,
    }
}

/// A program of one op over state slots of the given shapes, traced on flex.
fn one_op(shapes: &[Shape], op: Op, values: impl Fn(usize, usize) -> f32) -> (Program, Trace) {
    let program = Program {
        state: shapes.to_vec(),
        dataset_cols: 0,
        ops: vec![op],
        next_state: (0..shapes.len() as u32).collect(),
        outputs: vec![shapes.len() as u32],
    };
    let state: Vec<Tensor> = shapes
        .iter()
        .enumerate()
        .map(|(s, sh)| {
            let n = (sh.rows * sh.cols) as usize;
            Tensor::new(
                sh.rows as usize,
                sh.cols as usize,
                (0..n).map(|i| values(s, i)).collect(),
            )
            .expect("shape")
        })
        .collect();
    let trace = Engine::new(Backend::Flex, program.clone(), None, [0; 32])
        .expect("valid")
        .trace(&state, 0)
        .expect("runs");
    (program, trace)
}

pub fn prover_file() -> ProverFile {
    let mut c = Collector { cases: Vec::new() };
    let Run {
        program,
        trace,
        data,
        start,
        end,
    } = training_run(0.05, Class::Fp32, None);
    for (op, o) in program.ops.iter().enumerate() {
        if matches!(o, Op::LoadRows { .. }) {
            continue;
        }
        c.add(
            &format!("honest {} (op {op})", o.name()),
            &program,
            &trace,
            Class::Fp32,
            op,
        );
        let nudged = forged(&trace, &program, op, |v| {
            if v == 0.0 { 1e-3 } else { v * 1.001 }
        });
        c.add(
            &format!("forged {} (op {op})", o.name()),
            &program,
            &nudged,
            Class::Fp32,
            op,
        );
    }
    // Real cheats: the first value each makes an op reject.
    let bf16 = training_run(0.05, Class::Bf16, None).trace;
    let fast = training_run(0.05 * 1.01, Class::Fp32, None).trace;
    let honest_program = program.clone();
    for (what, trace, program, kind) in [
        (
            "bf16 matmul in an fp32 task",
            &bf16,
            &honest_program,
            "matmul_nt",
        ),
        ("lr × 1.01", &fast, &honest_program, "sgd_update"),
    ] {
        let step = Step {
            program,
            slots: &trace.slots,
            dataset: None,
            seed: &[0; 32],
            step: trace.step,
            class: Class::Fp32,
        };
        let found = program.ops.iter().enumerate().find_map(|(op, o)| {
            if o.name() != kind {
                return None;
            }
            let out = &trace.slots[program.output_slot(op) as usize];
            (0..out.rows()).find_map(|r| {
                (0..out.cols())
                    .find(|&col| !step.check_recorded(op, r, col).expect("in range").accepted)
                    .map(|col| (op, r, col))
            })
        });
        let (op, r, col) = found.expect("the cheat is caught by the checker");
        c.add_at(what, program, trace, Class::Fp32, op, r, col);
    }
    // The output of the wrong shape: a solver that commits a wider tensor for an op's output.
    let op = program
        .ops
        .iter()
        .position(|o| matches!(o, Op::Relu { .. }))
        .expect("an MLP has a ReLU");
    let mut wide = trace.clone();
    let slot = program.output_slot(op) as usize;
    let t = &wide.slots[slot];
    let mut rows: Vec<Vec<f32>> = (0..t.rows())
        .map(|r| t.row(r).expect("row").to_vec())
        .collect();
    for r in &mut rows {
        r.push(0.0);
    }
    wide.slots[slot] = Tensor::from_rows(&rows).expect("rectangular");
    c.add_at(
        "an output of the wrong shape",
        &program,
        &wide,
        Class::Fp32,
        op,
        0,
        0,
    );

    // The gas table: each a fraud proof of a value moved just past its bound's reach.
    let mut rng = SplitMix64(0x0047_4153); // "GAS"
    let mut values: Vec<f32> = (0..2 * 4096).map(|_| rng.symmetric_unit()).collect();
    values.push(0.0);
    for n in [64u32, 256, 1024, 4096] {
        let (p, t) = one_op(
            &[Shape::new(1, n), Shape::new(1, n)],
            Op::MatmulNt { a: 0, b: 1 },
            |s, i| values[s * 4096 + i],
        );
        let t = forged(&t, &p, 0, |v| v + 1.0);
        c.add(&format!("gas: matmul_nt of {n}"), &p, &t, Class::Fp32, 0);
    }
    let (p, t) = one_op(
        &[Shape::new(1, 10), Shape::new(1, 1)],
        Op::SoftmaxXentGrad {
            logits: 0,
            labels: 1,
            scale: 1.0 / 32.0,
        },
        |s, i| if s == 0 { values[i] * 4.0 } else { 3.0 },
    );
    let t = forged(&t, &p, 0, |v| v * 1.01);
    c.add("gas: softmax_xent_grad of 10", &p, &t, Class::Fp32, 0);
    // AUDIT M4: the widest softmax a spec allows (`spec::MAX_CLASSES`) must be provable within
    // one transaction's gas.
    let classes = crate::spec::MAX_CLASSES;
    let (p, t) = one_op(
        &[Shape::new(1, classes), Shape::new(1, 1)],
        Op::SoftmaxXentGrad {
            logits: 0,
            labels: 1,
            scale: 1.0 / 32.0,
        },
        |s, i| if s == 0 { values[i] * 4.0 } else { 3.0 },
    );
    let t = forged(&t, &p, 0, |v| v * 1.01);
    c.add(
        &format!("gas: softmax_xent_grad of {classes}"),
        &p,
        &t,
        Class::Fp32,
        0,
    );
    let (p, t) = one_op(
        &[Shape::new(1, 64), Shape::new(1, 64)],
        Op::Momentum {
            velocity: 0,
            grad: 1,
            momentum: 0.9,
        },
        |s, i| values[s * 4096 + i],
    );
    let t = forged(&t, &p, 0, |v| v * 1.01);
    c.add("gas: momentum of rows of 64", &p, &t, Class::Fp32, 0);
    // Data proofs: honest loads, and a solver that trained on a data set with two rows swapped.
    let committed = Committed::new(&program, &trace).expect("commits");
    let mut loads = Vec::new();
    let load = |committed: &Committed<'_>, row: u32| {
        prove::calldata(
            &committed
                .load_proof(&data, &SEED, 2, 0, row)
                .expect("op 0 loads"),
        )
    };
    for row in [0, 7] {
        loads.push(FraudCase {
            name: format!("honest load of batch row {row}"),
            calldata: load(&committed, row),
            fraud: false,
        });
    }
    let first = crate::batch::row_index(&SEED, 2, 0, data.rows());
    let swapped = training_run(0.05, Class::Fp32, Some((first, (first + 1) % data.rows()))).trace;
    let cheat = Committed::new(&program, &swapped).expect("commits");
    let loaded = swapped.slots[program.output_slot(0) as usize]
        .row(0)
        .expect("row");
    assert_ne!(
        loaded,
        data.row(first).expect("row"),
        "the cheat loads another row"
    );
    loads.push(FraudCase {
        name: "a swapped data row".into(),
        calldata: load(&cheat, 0),
        fraud: true,
    });
    // Link proofs: the trace against the committed states, honest and replayed.
    let mut links = Vec::new();
    for (name, state, next, fraud) in [
        ("the start state's first tensor", &start, false, false),
        ("the next state's first tensor", &end, true, false),
        (
            "a replayed checkpoint as the next state",
            &start,
            true,
            true,
        ),
        ("an old state as the start state", &end, false, true),
    ] {
        let slot = if next { program.next_state[0] } else { 0 };
        let differs = trace.slots[slot as usize].commit().hash != state[0].commit().hash;
        assert_eq!(differs, fraud, "{name}");
        links.push(FraudCase {
            name: name.into(),
            calldata: prove::calldata(
                &committed
                    .link_proof(state, next, 0)
                    .expect("tensor 0 exists"),
            ),
            fraud,
        });
    }
    ProverFile {
        cases: c.cases,
        loads,
        links,
    }
}
