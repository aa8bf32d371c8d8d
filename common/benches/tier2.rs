//! What tier 2 on every op of a segment costs (issue 14; docs/BENCHMARKS.md), against tier 1 on
//! the same segment, in the same run: `cargo bench -p poai-common --bench tier2`.
//!
//! For one segment of k = 100 steps of the digits task (MLP 64-64-10, batch 32, flex backend):
//! - tier 1: the checker re-runs the k steps (what a verifier did before);
//! - serving: the solver recomputes the k per-step states and traces from its checkpoint (what
//!   it does once per segment index asked for);
//! - tier 2: the checker runs the contract's decision (`dispute::find_fault`) on every op of
//!   every step of the served traces.

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use poai_common::check::Class;
use poai_common::dataset::Dataset;
use poai_common::dispute::{self, Served};
use poai_common::engine::Backend;
use poai_common::program::mlp;
use poai_common::run::{Schedule, TrainingTask};
use poai_common::tensor::Tensor;

const K: u64 = 100;
const ROUNDS: usize = 5;

fn best(xs: &[f64]) -> f64 {
    xs.iter().copied().fold(f64::INFINITY, f64::min)
}

fn main() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/digits.csv.gz");
    let digits = Dataset::load(&path)
        .expect("digits")
        .scale_features(1.0 / 16.0)
        .tensor;
    let task = TrainingTask {
        model: mlp::Config {
            input: 64,
            hidden: vec![64],
            classes: 10,
        },
        sgd: mlp::Sgd {
            lr: 0.05,
            momentum: 0.9,
            batch: 32,
        },
        seed: [1; 32],
        init_seed: 42,
        schedule: Schedule::new(10 * K, K).expect("valid"),
    };
    let engine = task.engine(Backend::Flex, &digits).expect("valid");
    let program = engine.program().clone();
    // The segment starting at step 5k, from an honest checkpoint.
    let segment = 5;
    let mut state = engine.upload(&task.initial_state()).expect("fits");
    for t in 0..segment * K {
        state = engine.step(state, t).0;
    }
    let start = engine.download(state).expect("readback");

    let (mut tier1, mut serve, mut tier2) = (Vec::new(), Vec::new(), Vec::new());
    let mut checked_values = 0usize;
    for _ in 0..ROUNDS {
        let clock = Instant::now();
        let mut s = engine.upload(&start).expect("fits");
        for t in segment * K..(segment + 1) * K {
            s = engine.step(s, t).0;
        }
        black_box(engine.download(s).expect("readback"));
        tier1.push(clock.elapsed().as_secs_f64());

        let clock = Instant::now();
        let mut states: Vec<Vec<Tensor>> = vec![start.clone()];
        let mut traces = Vec::new();
        for t in segment * K..(segment + 1) * K {
            let here = states.last().expect("a state");
            traces.push(engine.trace(here, t).expect("traced").slots);
            let next = engine.step(engine.upload(here).expect("fits"), t).0;
            states.push(engine.download(next).expect("readback"));
        }
        serve.push(clock.elapsed().as_secs_f64());

        let clock = Instant::now();
        checked_values = 0;
        for (i, slots) in traces.iter().enumerate() {
            let served = Served {
                program: &program,
                dataset: &digits,
                seed: &task.seed,
                class: Class::Fp32,
                step: segment * K + i as u64,
                slots,
                start: &states[i],
                next: &states[i + 1],
            };
            let fault = dispute::find_fault(&served).expect("a trace of the program");
            assert_eq!(fault, None, "an honest step has no provable fault");
            checked_values += slots.iter().map(|t| t.data().len()).sum::<usize>();
        }
        tier2.push(clock.elapsed().as_secs_f64());
    }
    let (t1, sv, t2) = (best(&tier1), best(&serve), best(&tier2));
    println!("one segment, k = {K}, MLP 64-64-10 batch 32, flex; best of {ROUNDS}");
    println!("tier 1 (re-run k steps):            {:>8.1} ms", t1 * 1e3);
    println!(
        "serving (k states + k traces):      {:>8.1} ms  ({:.1}× tier 1)",
        sv * 1e3,
        sv / t1
    );
    println!(
        "tier 2 (every op of k steps):       {:>8.1} ms  ({:.1}× tier 1; {checked_values} slot values)",
        t2 * 1e3,
        t2 / t1
    );
}
