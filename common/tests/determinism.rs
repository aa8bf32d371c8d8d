//! Self-determinism (DESIGN §4): a solver re-running a step from its checkpoint on its own
//! machine reproduces the state hash bit for bit — on the CPU whatever its thread count.

use std::process::Command;

use poai_common::engine::{self, Backend, Engine};
use poai_common::program::mlp;
use poai_common::run::{Schedule, TrainingTask};

mod support;

/// A model wide enough that flex splits its matrix products over threads (≥ 192³ flops).
fn task() -> TrainingTask {
    TrainingTask {
        model: mlp::Config {
            input: 64,
            hidden: vec![512],
            classes: 10,
        },
        sgd: mlp::Sgd {
            lr: 0.02,
            momentum: 0.9,
            batch: 256,
        },
        seed: [5; 32],
        init_seed: 8,
        schedule: Schedule::new(4, 4).expect("valid"),
    }
}

fn final_hash(backend: Backend) -> String {
    let data = support::digits().0;
    let task = task();
    let engine = Engine::new(
        backend,
        task.model.training(task.sgd),
        Some(&data.tensor),
        task.seed,
    )
    .expect("valid");
    let mut state = engine.upload(&task.initial_state()).expect("fits");
    for t in 0..task.schedule.steps {
        state = engine.step(state, t).0;
    }
    hex::encode(engine::state_hash(
        &engine.download(state).expect("readback"),
    ))
}

/// Run by `cpu_state_hashes_do_not_depend_on_the_thread_count` in a child process.
#[test]
#[ignore = "a child of cpu_state_hashes_do_not_depend_on_the_thread_count"]
fn child_prints_the_state_hash() {
    println!("STATE_HASH={}", final_hash(Backend::Flex));
}

fn hash_with_threads(threads: &str) -> String {
    let out = Command::new(std::env::current_exe().expect("the test binary"))
        .args([
            "--exact",
            "child_prints_the_state_hash",
            "--ignored",
            "--nocapture",
        ])
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .expect("the child runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("STATE_HASH="))
        .unwrap_or_else(|| panic!("no hash in {stdout}"))
        .to_owned()
}

#[test]
fn cpu_state_hashes_do_not_depend_on_the_thread_count() {
    let one = hash_with_threads("1");
    let two = hash_with_threads("2");
    assert_eq!(one, two);
    assert_eq!(
        one,
        final_hash(Backend::Flex),
        "and a re-run in this process agrees"
    );
}

#[cfg(feature = "wgpu")]
#[test]
fn wgpu_state_hashes_reproduce_bit_for_bit() {
    assert_eq!(final_hash(Backend::WgpuCpu), final_hash(Backend::WgpuCpu));
}
