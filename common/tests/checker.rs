//! The tier-2 checker against real traces: every op of an honest step passes, values moved past
//! the bound fail, and every way of cheating makes some op of the step fail.

use poai_common::check::{Class, Reason, Step};
use poai_common::engine::{Backend, Engine, Trace};
use poai_common::program::{Op, Program, Shape, mlp};
use poai_common::run::{Schedule, TrainingTask};
use poai_common::tensor::Tensor;

mod support;

fn train_set() -> Tensor {
    support::digits().0.tensor
}

fn task() -> TrainingTask {
    TrainingTask {
        model: mlp::Config {
            input: 64,
            hidden: vec![32],
            classes: 10,
        },
        sgd: mlp::Sgd {
            lr: 0.05,
            momentum: 0.9,
            batch: 16,
        },
        seed: [3; 32],
        init_seed: 11,
        schedule: Schedule::new(10, 10).expect("valid"),
    }
}

/// The ops (index, name) with at least one rejected value, checking every value of every op.
fn rejected_ops(
    program: &Program,
    trace: &Trace,
    data: &Tensor,
    seed: &[u8; 32],
    class: Class,
) -> Vec<(usize, &'static str)> {
    let step = Step {
        program,
        slots: &trace.slots,
        dataset: Some(data),
        seed,
        step: trace.step,
        class,
    };
    step.validate().expect("the trace fits the program");
    let mut rejected = Vec::new();
    for (i, op) in program.ops.iter().enumerate() {
        let out = &trace.slots[program.output_slot(i) as usize];
        let bad = (0..out.rows()).any(|r| {
            (0..out.cols()).any(|c| !step.check_recorded(i, r, c).expect("in range").accepted)
        });
        if bad {
            rejected.push((i, op.name()));
        }
    }
    rejected
}

/// An honest trace of step `t` after `t` honest steps, with the state it started from.
fn honest(engine: &Engine, t: u64) -> (Vec<Tensor>, Trace) {
    let task = task();
    let mut state = engine.upload(&task.initial_state()).expect("state fits");
    for s in 0..t {
        state = engine.step(state, s).0;
    }
    let state = engine.download(state).expect("readback");
    let trace = engine.trace(&state, t).expect("trace");
    (state, trace)
}

fn engine(program: Program, data: &Tensor) -> Engine {
    Engine::new(Backend::Flex, program, Some(data), task().seed).expect("valid")
}

#[test]
fn every_op_of_honest_steps_passes() {
    let data = train_set();
    let task = task();
    let program = task.model.training(task.sgd);
    let e = engine(program.clone(), &data);
    for t in [0, 3, 9] {
        let (_, trace) = honest(&e, t);
        assert_eq!(
            rejected_ops(&program, &trace, &data, &task.seed, Class::Fp32),
            vec![],
            "step {t}"
        );
    }
}

/// The next f32 from `x` away from (`away`) or towards `target`.
fn step_f32(x: f32, towards: f64) -> f32 {
    let bits = x.to_bits() as i64;
    let up = f64::from(x) < towards;
    let next = if (x >= 0.0) == up { bits + 1 } else { bits - 1 };
    f32::from_bits(next as u32)
}

/// The f32 nearest `target` on the side of `exact` (inside) or beyond it (outside).
fn f32_at(target: f64, exact: f64, inside: bool) -> f32 {
    let mut x = target as f32;
    let beyond = |x: f32| (f64::from(x) - exact).abs() > (target - exact).abs();
    if inside {
        while beyond(x) {
            x = step_f32(x, exact);
        }
    } else {
        while !beyond(x) {
            x = step_f32(x, 2.0 * target - exact);
        }
    }
    x
}

/// A one-op program over two state slots, run honestly on flex; returns its check of the output
/// at (0, 0) for claims at `exact ± factor·bound`.
fn edge_of_bound(op: Op, a: Vec<f32>, b: Vec<f32>, shape_b: Shape) -> Vec<(f64, bool)> {
    let shape_a = Shape::new(1, a.len() as u32);
    let program = Program {
        state: vec![shape_a, shape_b],
        dataset_cols: 0,
        ops: vec![op],
        next_state: vec![0, 1],
        outputs: vec![2],
    };
    let e = Engine::new(Backend::Flex, program.clone(), None, [0; 32]).expect("valid");
    let state = [
        Tensor::new(1, a.len(), a).expect("shape"),
        Tensor::new(shape_b.rows as usize, shape_b.cols as usize, b).expect("shape"),
    ];
    let trace = e.trace(&state, 0).expect("trace");
    let step = Step {
        program: &program,
        slots: &trace.slots,
        dataset: None,
        seed: &[0; 32],
        step: 0,
        class: Class::Fp32,
    };
    let honest = step.check_recorded(0, 0, 0).expect("in range");
    assert!(
        honest.accepted,
        "{op:?}: honest output rejected: {honest:?}"
    );
    let exact = honest.exact;
    let mut out = Vec::new();
    for (factor, inside) in [(0.999, true), (1.001, false)] {
        // The softmax's interval is not symmetric: each side is judged against its own edge.
        for (sign, bound) in [(1.0, honest.above), (-1.0, honest.below)] {
            assert!(bound > 0.0, "{op:?}: {honest:?}");
            let target = exact + sign * factor * bound;
            let claim = f32_at(target, exact, inside);
            let distance = (f64::from(claim) - exact).abs() / bound;
            assert!(
                (0.998..=1.002).contains(&distance),
                "{op:?}: no f32 near {factor}×bound (got {distance}×)"
            );
            out.push((
                factor,
                step.check(0, 0, 0, claim).expect("in range").accepted,
            ));
        }
    }
    out
}

#[test]
fn claims_at_999_thousandths_of_the_bound_pass_and_at_1001_fail() {
    // Inputs with cancellation, so the bound spans many ulps of the result.
    let big = 4096.0f32;
    let n = 64;
    let a: Vec<f32> = (0..n)
        .map(|i| {
            if i % 2 == 0 {
                big + i as f32 / 7.0
            } else {
                -big
            }
        })
        .collect();
    let ones = vec![1.0f32; n];
    let cases = [
        (
            Op::MatmulNt { a: 0, b: 1 },
            a.clone(),
            ones.clone(),
            Shape::new(1, n as u32),
        ),
        (
            Op::RowSum { input: 0 },
            a.clone(),
            vec![0.0],
            Shape::new(1, 1),
        ),
        (
            Op::AddBias { input: 0, bias: 1 },
            vec![1000.3],
            vec![-1000.0],
            Shape::new(1, 1),
        ),
        (
            Op::Momentum {
                velocity: 0,
                grad: 1,
                momentum: 0.9,
            },
            vec![1000.0],
            vec![-899.7],
            Shape::new(1, 1),
        ),
        (
            Op::SgdUpdate {
                param: 0,
                velocity: 1,
                lr: 0.5,
            },
            vec![500.2],
            vec![1000.0],
            Shape::new(1, 1),
        ),
        (
            Op::SoftmaxXentGrad {
                logits: 0,
                labels: 1,
                scale: 1.0,
            },
            // Many classes widen the sum's error bound (γ_C) to thousands of ulps of the result.
            (0..4096).map(|i| (i % 13) as f32 / 4.0 - 1.5).collect(),
            vec![2.0],
            Shape::new(1, 1),
        ),
    ];
    for (op, a, b, shape_b) in cases {
        for (factor, accepted) in edge_of_bound(op, a, b, shape_b) {
            assert_eq!(accepted, factor < 1.0, "{op:?} at {factor}×bound");
        }
    }
}

#[test]
fn exact_ops_accept_the_value_and_refuse_the_next_float() {
    let data = train_set();
    let task = task();
    let program = task.model.training(task.sgd);
    let e = engine(program.clone(), &data);
    let (_, trace) = honest(&e, 2);
    let step = Step {
        program: &program,
        slots: &trace.slots,
        dataset: Some(&data),
        seed: &task.seed,
        step: 2,
        class: Class::Fp32,
    };
    for (i, op) in program.ops.iter().enumerate() {
        if !matches!(
            op,
            Op::LoadRows { .. }
                | Op::SliceCols { .. }
                | Op::Transpose { .. }
                | Op::Relu { .. }
                | Op::ReluGrad { .. }
        ) {
            continue;
        }
        let out = &trace.slots[program.output_slot(i) as usize];
        let (r, c) = (0..out.rows())
            .flat_map(|r| (0..out.cols()).map(move |c| (r, c)))
            .find(|&(r, c)| out.row(r).expect("row")[c as usize] != 0.0)
            .expect("a non-zero value");
        let v = out.row(r).expect("row")[c as usize];
        assert!(step.check(i, r, c, v).expect("in range").accepted);
        let next = f32::from_bits(v.to_bits() + 1);
        let verdict = step.check(i, r, c, next).expect("in range");
        assert_eq!(
            (verdict.accepted, verdict.reason),
            (false, Reason::OutsideBound),
            "{}",
            op.name()
        );
    }
}

fn assert_caught(what: &str, rejected: &[(usize, &str)], expect_any_of: &[&str]) {
    assert!(!rejected.is_empty(), "{what}: no op rejected the cheat");
    assert!(
        rejected
            .iter()
            .any(|(_, name)| expect_any_of.contains(name)),
        "{what}: rejected {rejected:?}, expected one of {expect_any_of:?}"
    );
}

/// Replaces the trace's next-state slots with `state`: what a solver that claims `state` as the
/// step's result must post.
fn claim_next_state(program: &Program, trace: &mut Trace, state: &[Tensor]) {
    for (&slot, t) in program.next_state.iter().zip(state) {
        trace.slots[slot as usize] = t.clone();
    }
}

#[test]
fn every_cheat_makes_some_op_of_the_step_fail() {
    let data = train_set();
    let task = task();
    let program = task.model.training(task.sgd);
    let honest_engine = engine(program.clone(), &data);
    let t = 4;
    let (state, honest_trace) = honest(&honest_engine, t);
    let check = |trace: &Trace| rejected_ops(&program, trace, &data, &task.seed, Class::Fp32);

    // The learning rate times 1.01.
    let fast = task.model.training(mlp::Sgd {
        lr: task.sgd.lr * 1.01,
        ..task.sgd
    });
    let trace = engine(fast, &data).trace(&state, t).expect("trace");
    assert_caught("lr × 1.01", &check(&trace), &["sgd_update"]);

    // A swapped data row: the batch's first row replaced by another example.
    let first = poai_common::batch::row_index(&task.seed, t, 0, data.rows());
    let other = (first + 1) % data.rows();
    let mut rows: Vec<Vec<f32>> = (0..data.rows())
        .map(|r| data.row(r).expect("row").to_vec())
        .collect();
    rows.swap(first as usize, other as usize);
    let swapped = Tensor::from_rows(&rows).expect("same shape");
    let trace = engine(program.clone(), &swapped)
        .trace(&state, t)
        .expect("trace");
    assert_caught("a swapped data row", &check(&trace), &["load_rows"]);

    // bf16-rounded matrix products in an fp32 task.
    let trace = engine(program.clone(), &data)
        .with_precision(Class::Bf16)
        .trace(&state, t)
        .expect("trace");
    assert_caught("bf16 matmuls", &check(&trace), &["matmul_nt"]);

    // A skipped step: the state after the step is the state before it.
    let mut trace = honest_trace.clone();
    claim_next_state(&program, &mut trace, &state);
    assert_caught(
        "a skipped step",
        &check(&trace),
        &["momentum", "sgd_update"],
    );

    // A replayed checkpoint: the state after the step is an old one.
    let (old, _) = honest(&honest_engine, 1);
    let mut trace = honest_trace.clone();
    claim_next_state(&program, &mut trace, &old);
    assert_caught(
        "a replayed checkpoint",
        &check(&trace),
        &["momentum", "sgd_update"],
    );

    // And the honest trace itself passes.
    assert_eq!(check(&honest_trace), vec![]);
}

#[test]
fn honest_tf32_and_bf16_steps_pass_under_their_own_class() {
    let data = train_set();
    let task = task();
    let program = task.model.training(task.sgd);
    let (state, _) = honest(&engine(program.clone(), &data), 2);
    for class in [Class::Tf32, Class::Bf16] {
        let trace = engine(program.clone(), &data)
            .with_precision(class)
            .trace(&state, 2)
            .expect("trace");
        let rejected = rejected_ops(&program, &trace, &data, &task.seed, class);
        assert_eq!(rejected, vec![], "{class:?}");
    }
}

#[test]
fn a_trace_of_the_wrong_shape_is_refused() {
    let data = train_set();
    let task = task();
    let program = task.model.training(task.sgd);
    let (_, mut trace) = honest(&engine(program.clone(), &data), 0);
    trace.slots.pop();
    let step = Step {
        program: &program,
        slots: &trace.slots,
        dataset: Some(&data),
        seed: &task.seed,
        step: 0,
        class: Class::Fp32,
    };
    assert!(step.validate().is_err());
}
