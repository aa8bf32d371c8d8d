//! Training runs on the real digits data set through burn: accuracy, checkpoints, result roots,
//! per-step states and traces that reproduce them.

use std::path::PathBuf;

use poai_common::blob;
use poai_common::dataset::Dataset;
use poai_common::engine::{self, Backend, DeviceTensor, Engine};
use poai_common::merkle::Hash;
use poai_common::program::mlp;
use poai_common::run::{self, Checkpoints, Schedule, TrainingTask};
use poai_common::state;
use poai_common::tensor::Tensor;

mod support;
use support::digits;

fn task(steps: u64, interval: u64) -> TrainingTask {
    TrainingTask {
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
        seed: [7; 32],
        init_seed: 42,
        schedule: Schedule::new(steps, interval).expect("valid schedule"),
    }
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("poai-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Accuracy of the parameters on a data set, through the inference program.
fn accuracy(model: &mlp::Config, params: &[Tensor], data: &Dataset) -> f64 {
    let n = data.examples();
    let engine = Engine::new(
        Backend::Flex,
        model.inference(n),
        Some(&data.tensor),
        [0; 32],
    )
    .expect("inference program");
    let (_, outputs) = engine.step(engine.upload(params).expect("params fit"), 0);
    let logits = engine.download(outputs).expect("readback").remove(0);
    let correct = (0..n)
        .filter(|&r| {
            let row = logits.row(r).expect("row");
            let predicted = (0..row.len())
                .max_by(|&a, &b| row[a].total_cmp(&row[b]))
                .expect("classes");
            let label = data.tensor.row(r).expect("row")[64];
            predicted as f32 == label
        })
        .count();
    correct as f64 / f64::from(n)
}

#[test]
fn mlp_trained_on_digits_reaches_90_percent_on_held_out_examples() {
    let (train, test) = digits();
    let task = task(3000, 100);
    let engine = task
        .engine(Backend::Flex, &train.tensor)
        .expect("training program");
    let store = Checkpoints::open(tempdir("accuracy")).expect("store");
    let init = task.initial_state();
    let params = task.model.param_shapes().len();
    let before = accuracy(&task.model, &init[..params], &test);
    let run = run::train(&engine, &init, task.schedule, &store, |_| {}).expect("trains");
    let after = accuracy(&task.model, &run.final_state[..params], &test);
    eprintln!("held-out accuracy: {before:.3} before, {after:.3} after 3000 steps");
    assert!(before < 0.3, "an untrained model guesses ({before})");
    assert!(after >= 0.90, "trained accuracy {after} < 0.90");
}

#[test]
fn checkpoints_result_root_and_per_step_states_agree() {
    let (train, _) = digits();
    let task = task(40, 10);
    let engine = task
        .engine(Backend::Flex, &train.tensor)
        .expect("training program");
    let store = Checkpoints::open(tempdir("checkpoints")).expect("store");
    store.save_task(&task).expect("task saved");
    let init = task.initial_state();
    let run = run::train(&engine, &init, task.schedule, &store, |_| {}).expect("trains");

    assert_eq!(run.checkpoints.len(), 5, "s_0, s_10, s_20, s_30, s_40");
    assert_eq!(run.checkpoints[0], engine::state_hash(&init));
    assert_eq!(run.checkpoints[4], engine::state_hash(&run.final_state));
    assert_eq!(
        run.result_root,
        state::result_root(&run.checkpoints).expect("non-empty")
    );
    for h in &run.checkpoints {
        let loaded = store.get(h).expect("stored");
        assert_eq!(engine::state_hash(&loaded), *h);
    }

    // Per-step states of segment 2, re-run from its checkpoint, end at the next checkpoint.
    let steps = run::segment_states(&engine, &store, &run.checkpoints, task.schedule, 2)
        .expect("segment 2");
    assert_eq!(steps.len(), 11);
    assert_eq!(steps[0], run.checkpoints[2]);
    assert_eq!(steps[10], run.checkpoints[3]);
    assert!(
        steps.windows(2).all(|w| w[0] != w[1]),
        "every step changes the state"
    );

    // The trace of step 23 holds the state before it and the state after it.
    let before = run::state_at(&engine, &store, &run.checkpoints, task.schedule, 23).expect("s_23");
    assert_eq!(engine::state_hash(&before), steps[3]);
    let trace = engine.trace(&before, 23).expect("trace");
    let next: Vec<Tensor> = engine
        .program()
        .next_state
        .iter()
        .map(|&s| trace.slots[s as usize].clone())
        .collect();
    assert_eq!(engine::state_hash(&next), steps[4]);
    assert_eq!(trace.root, state::trace_root(&trace.hashes).expect("slots"));
}

/// `run::train_from` with the honest program (the loop a solver trains with).
fn train_from<E: From<run::Error> + Send>(
    engine: &Engine,
    task: &TrainingTask,
    store: &Checkpoints,
    start: run::Start,
    on_step: impl FnMut(u64),
    progress: run::Progress<impl FnMut(&[Hash]) -> Result<(), E> + Send>,
) -> Result<(Vec<Hash>, Vec<DeviceTensor>), E> {
    let step = |s, t| Ok(engine.step(s, t).0);
    run::train_from(task.schedule, store, start, step, on_step, progress)
}

/// A new run from the task's initial state.
fn new_run(engine: &Engine, task: &TrainingTask) -> run::Start {
    run::Start {
        done: Vec::new(),
        state: engine.upload(&task.initial_state()).expect("fits"),
    }
}

/// A run that resumes from its last durable checkpoint (after a crash) continues the same
/// computation: the same checkpoints, the same result root, the same final state.
#[test]
fn a_run_resumed_from_a_checkpoint_ends_where_an_unbroken_run_ends() {
    let (train, _) = digits();
    let task = task(60, 10);
    let engine = task.engine(Backend::Flex, &train.tensor).expect("program");
    let first = Checkpoints::open(tempdir("unbroken")).expect("store");
    let unbroken = run::train(
        &engine,
        &task.initial_state(),
        task.schedule,
        &first,
        |_| {},
    )
    .expect("trains");

    let store = Checkpoints::open(tempdir("resumed")).expect("store");
    // The first three checkpoints survived the crash.
    let mut done = Vec::new();
    for h in &unbroken.checkpoints[..3] {
        done.push(store.put(&first.get(h).expect("stored")).expect("put"));
    }
    let mut steps = Vec::new();
    let start = run::Start {
        state: engine
            .upload(&store.get(&done[2]).expect("s_20"))
            .expect("fits"),
        done,
    };
    let progress = run::Progress {
        every: run::REPORT_EVERY,
        report: |_: &[_]| Ok::<(), run::Error>(()),
    };
    let (checkpoints, state) =
        train_from(&engine, &task, &store, start, |t| steps.push(t), progress).expect("resumes");
    assert_eq!(steps, (21..=60).collect::<Vec<_>>(), "steps 20..60 only");
    assert_eq!(checkpoints, unbroken.checkpoints);
    assert_eq!(
        engine.download(state).expect("readback"),
        unbroken.final_state
    );
}

/// Progress reports name only stored checkpoints, in order, each report extending the last;
/// with no wait allowed, each checkpoint is reported on its own, and the last report holds the
/// whole run.
#[test]
fn progress_reports_every_durable_checkpoint_in_order() {
    let (train, _) = digits();
    let task = task(50, 10);
    let engine = task.engine(Backend::Flex, &train.tensor).expect("program");
    let store = Checkpoints::open(tempdir("progress")).expect("store");
    let mut reports: Vec<Vec<_>> = Vec::new();
    let progress = run::Progress {
        every: std::time::Duration::ZERO,
        report: |hashes: &[_]| {
            for h in hashes {
                store.get(h)?;
            }
            reports.push(hashes.to_vec());
            Ok::<(), run::Error>(())
        },
    };
    let start = new_run(&engine, &task);
    let (checkpoints, _) =
        train_from(&engine, &task, &store, start, |_| {}, progress).expect("trains");
    assert_eq!(reports.len(), 6, "s_0 … s_50, one report each");
    for (i, r) in reports.iter().enumerate() {
        assert_eq!(r[..], checkpoints[..=i]);
    }
}

/// A report that fails (the caller could not record its progress) stops the run with that
/// error; training does not go on unrecorded.
#[test]
fn a_failed_progress_report_stops_the_run() {
    let (train, _) = digits();
    let task = task(1000, 10);
    let engine = task.engine(Backend::Flex, &train.tensor).expect("program");
    let store = Checkpoints::open(tempdir("report-fails")).expect("store");
    /// The caller's error: its own, or the run's.
    #[derive(Debug)]
    enum Failed {
        Recording(usize),
        Run(#[allow(dead_code)] run::Error),
    }
    impl From<run::Error> for Failed {
        fn from(e: run::Error) -> Self {
            Failed::Run(e)
        }
    }
    let mut last = 0;
    let progress = run::Progress {
        every: std::time::Duration::ZERO,
        report: |hashes: &[_]| {
            if hashes.len() == 3 {
                return Err(Failed::Recording(hashes.len()));
            }
            Ok(())
        },
    };
    let start = new_run(&engine, &task);
    let err = train_from(&engine, &task, &store, start, |t| last = t, progress).expect_err("stops");
    assert!(matches!(err, Failed::Recording(3)), "{err:?}");
    assert!(last < 1000, "training stopped early (at step {last})");
}

/// A resumed run cannot claim more checkpoints than its schedule has.
#[test]
fn a_run_resumed_past_its_end_is_refused() {
    let (train, _) = digits();
    let task = task(20, 10);
    let engine = task.engine(Backend::Flex, &train.tensor).expect("program");
    let store = Checkpoints::open(tempdir("past-end")).expect("store");
    let start = run::Start {
        done: vec![[1; 32]; 4],
        state: engine.upload(&task.initial_state()).expect("fits"),
    };
    let progress = run::Progress {
        every: run::REPORT_EVERY,
        report: |_: &[_]| Ok::<(), run::Error>(()),
    };
    let err = train_from(&engine, &task, &store, start, |_| {}, progress).expect_err("refused");
    assert!(
        matches!(
            err,
            run::Error::NoSegment {
                segment: 3,
                segments: 2
            }
        ),
        "{err}"
    );
}

/// A run keeps its small checkpoints in one pack, not a file each, and every one of them loads
/// by its hash.
#[test]
fn a_run_packs_its_small_checkpoints_into_one_file() {
    let (_, run, pack) = packed_run(200, "packed");
    let dir = pack.parent().expect("the store");
    let names: Vec<String> = std::fs::read_dir(dir)
        .expect("listed")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 1, "only the pack: {names:?}");
    // A store opened afresh (another process: a node serving them) finds them too.
    let other = Checkpoints::open(dir).expect("store");
    for h in &run.checkpoints {
        assert_eq!(engine::state_hash(&other.get(h).expect("packed")), *h);
        assert_eq!(
            other
                .bytes(h)
                .map(|b| blob::name(blob::Kind::State, &b).ok()),
            Some(Some(*h))
        );
    }
}

/// A run of `steps` steps (k = 10) of the digits MLP into a new store named `name`, and the
/// pack its checkpoints went into.
fn packed_run(steps: u64, name: &str) -> (TrainingTask, run::Run, PathBuf) {
    packed_run_in(steps, tempdir(name))
}

/// [`packed_run`] into the new store `dir`.
fn packed_run_in(steps: u64, dir: PathBuf) -> (TrainingTask, run::Run, PathBuf) {
    let (train, _) = digits();
    let task = task(steps, 10);
    let engine = task.engine(Backend::Flex, &train.tensor).expect("program");
    let _ = std::fs::remove_dir_all(&dir);
    let store = Checkpoints::open(&dir).expect("store");
    let run = run::train(
        &engine,
        &task.initial_state(),
        task.schedule,
        &store,
        |_| {},
    )
    .expect("trains");
    let pack = std::fs::read_dir(&dir)
        .expect("listed")
        .map(|e| e.expect("entry").path())
        .find(|p| p.extension().is_some_and(|e| e == "pack"))
        .expect("a pack");
    (task, run, pack)
}

/// On tmpfs (which may refuse direct I/O) a run packs its checkpoints as well.
#[cfg(target_os = "linux")]
#[test]
fn a_run_packs_its_checkpoints_on_tmpfs_too() {
    let dir = PathBuf::from("/dev/shm").join(format!("poai-test-pack-{}", std::process::id()));
    let (_, run, _) = packed_run_in(100, dir.clone());
    let other = Checkpoints::open(&dir).expect("store");
    for h in &run.checkpoints {
        assert_eq!(engine::state_hash(&other.get(h).expect("packed")), *h);
    }
    std::fs::remove_dir_all(&dir).expect("removed");
}

/// A pack cut short (a crash while it was written) still yields every state written whole
/// before the cut, and never a wrong one: past the cut a state is missing or reported corrupt.
#[test]
fn a_pack_cut_short_yields_the_states_before_the_cut_and_no_wrong_one() {
    let (task, run, pack) = packed_run(100, "cut");
    let bytes = std::fs::read(&pack).expect("pack");
    let record = poai_common::pack::HEADER + blob::encode_tensors(&task.initial_state()).len();
    for cut in [
        0,
        1,
        poai_common::pack::HEADER - 1,
        poai_common::pack::HEADER,
        poai_common::pack::HEADER + 1,
        record - 1,
        record,
        record + 5000,
        5 * record + 17,
        bytes.len(),
    ] {
        let cut_dir = tempdir(&format!("cut-{cut}"));
        std::fs::create_dir_all(&cut_dir).expect("dir");
        std::fs::write(cut_dir.join("run.pack"), &bytes[..cut.min(bytes.len())]).expect("cut");
        let cut_store = Checkpoints::open(&cut_dir).expect("store");
        for (i, h) in run.checkpoints.iter().enumerate() {
            let whole = (i + 1) * record <= cut;
            match cut_store.get(h) {
                Ok(state) => {
                    assert!(whole, "record {i} loads from a cut at {cut}");
                    assert_eq!(engine::state_hash(&state), *h);
                }
                Err(e) => assert!(!whole, "record {i} is whole before {cut}: {e}"),
            }
        }
        let _ = std::fs::remove_dir_all(&cut_dir);
    }
}

/// A damaged record is reported, not returned.
#[test]
fn a_damaged_record_in_a_pack_is_refused() {
    let (_, run, pack) = packed_run(20, "damaged");
    let dir = pack.parent().expect("the store");
    let mut bytes = std::fs::read(&pack).expect("pack");
    // One value of the first state, well inside its tensors.
    bytes[poai_common::pack::HEADER + 1000] ^= 0x40;
    std::fs::write(&pack, &bytes).expect("damaged");
    let err = Checkpoints::open(dir)
        .expect("store")
        .get(&run.checkpoints[0])
        .expect_err("refused");
    assert!(matches!(err, run::Error::Corrupt { .. }), "{err}");
    assert!(
        Checkpoints::open(dir)
            .expect("store")
            .get(&run.checkpoints[1])
            .is_ok()
    );
}

/// A record header that does not check (a length torn or damaged) ends the look into a pack:
/// the records before it load, the ones from it on are missing, none is misread.
#[test]
fn a_pack_is_read_up_to_a_header_that_does_not_check() {
    let (task, run, pack) = packed_run(30, "torn-header");
    let record = poai_common::pack::HEADER + blob::encode_tensors(&task.initial_state()).len();
    let mut bytes = std::fs::read(&pack).expect("pack");
    // The low byte of record 1's length: 8 magic and 32 hash bytes into it.
    bytes[record + 40] ^= 0x08;
    std::fs::write(&pack, &bytes).expect("damaged");
    let store = Checkpoints::open(pack.parent().expect("the store")).expect("store");
    assert!(store.get(&run.checkpoints[0]).is_ok());
    for h in &run.checkpoints[1..] {
        assert!(
            matches!(store.get(h), Err(run::Error::Missing(_))),
            "past the torn header"
        );
    }
}

#[test]
fn a_corrupt_checkpoint_is_refused() {
    let store = Checkpoints::open(tempdir("corrupt")).expect("store");
    let state = task(10, 10).initial_state();
    let hash = store.put(&state).expect("stored");
    let path = store.dir().join(format!("{}.state", hex::encode(hash)));
    let mut bytes = std::fs::read(&path).expect("written");
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&path, bytes).expect("rewritten");
    assert!(matches!(store.get(&hash), Err(run::Error::Corrupt { .. })));
    assert!(matches!(store.get(&[0; 32]), Err(run::Error::Missing(_))));
}

#[test]
fn bad_input_is_refused_before_any_work() {
    let (train, _) = digits();
    let task = task(10, 10);
    let program = task.model.training(task.sgd);
    // A data set with a NaN.
    let mut values = train.tensor.data().to_vec();
    values[65 * 3 + 5] = f32::NAN;
    let poisoned = Tensor::new(train.examples() as usize, 65, values).expect("shape");
    assert!(matches!(
        Engine::new(Backend::Flex, program.clone(), Some(&poisoned), task.seed),
        Err(engine::Error::NonFiniteDataset { row: 3, col: 5, .. })
    ));
    // A data set of the wrong width.
    let narrow = Tensor::new(2, 64, vec![0.0; 128]).expect("shape");
    assert!(matches!(
        Engine::new(Backend::Flex, program.clone(), Some(&narrow), task.seed),
        Err(engine::Error::DatasetColumns {
            expected: 65,
            got: 64
        })
    ));
    // A state of the wrong shape.
    let engine = Engine::new(Backend::Flex, program, Some(&train.tensor), task.seed).expect("ok");
    let mut state = task.initial_state();
    state[0] = Tensor::new(32, 63, vec![0.0; 32 * 63]).expect("shape");
    assert!(matches!(
        engine.upload(&state),
        Err(engine::Error::StateShape { index: 0, .. })
    ));
    // A schedule whose interval does not divide the steps.
    assert!(matches!(
        Schedule::new(10, 3),
        Err(run::Error::Schedule { .. })
    ));
}

/// A checkpoint is written from whole pages of a reused buffer: a big one straight to the disk
/// where the file system takes direct I/O, a small one (and any, where direct I/O is refused)
/// through the page cache. On ext4 and on tmpfs alike the file is exactly the state's blob, not
/// the pages the write used.
#[test]
fn a_checkpoint_is_exactly_its_blob_with_and_without_direct_io() {
    let small = task(10, 10).initial_state();
    // 1.2 MB with a length that is no multiple of a page: written directly where allowed.
    let values: Vec<f32> = (0..1000 * 301).map(|i| (i as f32 * 0.37).sin()).collect();
    let mut big = vec![Tensor::new(1000, 301, values).expect("shape")];
    big.extend(small.iter().cloned());
    let mut dirs = vec![tempdir("direct")];
    if cfg!(target_os = "linux") {
        dirs.push(PathBuf::from("/dev/shm").join(format!("poai-test-shm-{}", std::process::id())));
    }
    for dir in dirs {
        let store = Checkpoints::open(&dir).expect("store");
        let mut buffer = run::WriteBuffer::default();
        // Big, small, then big again through one buffer, so that reuse is covered both ways.
        let shorter = big[..2].to_vec();
        for state in [&big, &small, &shorter] {
            let hash = store.put_unsynced_with(state, &mut buffer).expect("stored");
            store.sync(&[hash]).expect("synced");
            let path = store.dir().join(format!("{}.state", hex::encode(hash)));
            let bytes = std::fs::read(&path).expect("written");
            assert_eq!(bytes, blob::encode_tensors(state), "{}", dir.display());
            assert_eq!(&store.get(&hash).expect("loads"), state);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
