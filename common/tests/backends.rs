//! CPU (flex) against wgpu (on lavapipe here): honest traces from either pass every op of the
//! tier-2 checker, honest segments pass tier 1 at the default τ, and a changed learning rate
//! does not.
#![cfg(feature = "wgpu")]

use poai_common::check::{Class, Step};
use poai_common::engine::{Backend, Engine};
use poai_common::program::mlp;
use poai_common::run::{Schedule, TrainingTask};
use poai_common::tensor::Tensor;
use poai_common::tolerance::{Comparison, DEFAULT_TAU};

mod support;

fn data() -> Tensor {
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
            batch: 32,
        },
        seed: [9; 32],
        init_seed: 4,
        schedule: Schedule::new(40, 10).expect("valid"),
    }
}

fn engine(backend: Backend, sgd: mlp::Sgd, data: &Tensor) -> Engine {
    let task = task();
    Engine::new(backend, task.model.training(sgd), Some(data), task.seed).expect("valid")
}

fn run(engine: &Engine, from: &[Tensor], steps: std::ops::Range<u64>) -> Vec<Tensor> {
    let mut state = engine.upload(from).expect("fits");
    for t in steps {
        state = engine.step(state, t).0;
    }
    engine.download(state).expect("readback")
}

#[test]
fn every_op_of_an_honest_wgpu_step_passes_the_checker() {
    let data = data();
    let task = task();
    let cpu = engine(Backend::Flex, task.sgd, &data);
    let gpu = engine(Backend::WgpuCpu, task.sgd, &data);
    let state = run(&cpu, &task.initial_state(), 0..5);
    let trace = gpu.trace(&state, 5).expect("wgpu trace");
    let program = gpu.program();
    let step = Step {
        program,
        slots: &trace.slots,
        dataset: Some(&data),
        seed: &task.seed,
        step: 5,
        class: Class::Fp32,
    };
    step.validate().expect("fits");
    let mut checked = 0;
    for (i, op) in program.ops.iter().enumerate() {
        let out = &trace.slots[program.output_slot(i) as usize];
        for r in 0..out.rows() {
            for c in 0..out.cols() {
                let v = step.check_recorded(i, r, c).expect("in range");
                assert!(v.accepted, "op {i} ({}) at ({r},{c}): {v:?}", op.name());
                checked += 1;
            }
        }
    }
    assert!(checked > 10_000);
}

#[test]
fn honest_cpu_and_wgpu_segments_pass_tier_one_and_a_faster_learning_rate_does_not() {
    let data = data();
    let task = task();
    let k = task.schedule.interval;
    let cpu = engine(Backend::Flex, task.sgd, &data);
    let gpu = engine(Backend::WgpuCpu, task.sgd, &data);
    let cheat = engine(
        Backend::Flex,
        mlp::Sgd {
            lr: task.sgd.lr * 1.05,
            ..task.sgd
        },
        &data,
    );
    let mut checkpoint = task.initial_state();
    for j in 0..task.schedule.segments() {
        let steps = j * k..(j + 1) * k;
        let solver = run(&cpu, &checkpoint, steps.clone());
        let verifier = run(&gpu, &checkpoint, steps.clone());
        let honest = Comparison::new(&solver, &verifier, DEFAULT_TAU);
        assert!(
            honest.passes(),
            "segment {j}: honest drift {}",
            honest.worst()
        );
        let cheated = run(&cheat, &checkpoint, steps);
        let caught = Comparison::new(&cheated, &verifier, DEFAULT_TAU);
        assert!(
            !caught.passes(),
            "segment {j}: lr × 1.05 within τ ({})",
            caught.worst()
        );
        eprintln!(
            "segment {j}: honest drift {:.2e}, lr × 1.05 at {:.2e}",
            honest.worst(),
            caught.worst()
        );
        checkpoint = solver;
    }
}

/// The challenger's pick takes the earliest step whose update differs by more than
/// `dispute::CLEARLY_WRONG` (0.1 of the update); an honest step re-run on the other backend must
/// stay far below it, or an honest cross-backend challenger would pick an honest step. Over 200
/// steps of the digits task, the solver on the CPU and the challenger on wgpu.
#[test]
fn an_honest_steps_update_across_backends_is_far_from_clearly_wrong() {
    let data = data();
    let task = task();
    let cpu = engine(Backend::Flex, task.sgd, &data);
    let gpu = engine(Backend::WgpuCpu, task.sgd, &data);
    let mut state = task.initial_state();
    let mut worst = 0.0f64;
    for t in 0..200 {
        let theirs = run(&cpu, &state, t..t + 1);
        let own = run(&gpu, &state, t..t + 1);
        let d = poai_common::dispute::update_distance(&state, &own, &theirs);
        worst = worst.max(d);
        state = theirs;
    }
    eprintln!("worst honest update distance across backends over 200 steps: {worst:.3e}");
    assert!(
        worst < poai_common::dispute::CLEARLY_WRONG / 100.0,
        "honest drift {worst} too near the pick's threshold"
    );
}
