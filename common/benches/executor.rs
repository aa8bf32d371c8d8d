//! The executor against burn's own autodiff training of the same MLP (same backend, data, initial
//! weights and optimizer), the cost of checkpointing every k = 100 steps, and a 784-512-512-10
//! MLP for the record (docs/BENCHMARKS.md): `cargo bench -p poai-common --bench executor`.

use std::hint::black_box;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use burn::module::{Module, Param};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::{Linear, LinearConfig};
use burn::optim::momentum::MomentumConfig;
use burn::optim::{GradientsParams, SgdConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Int, TensorData};
use poai_common::batch;
use poai_common::dataset::Dataset;
use poai_common::engine::Backend;
use poai_common::program::mlp;
use poai_common::run::{self, Checkpoints, Schedule, TrainingTask};
use poai_common::tensor::Tensor;

type T2 = burn::tensor::Tensor<2>;

#[derive(Module, Debug)]
struct Mlp {
    layers: Vec<Linear>,
}

impl Mlp {
    /// burn's Linear holds `W` as `[in, out]`; ours is `[out, in]`.
    fn from_params(params: &[Tensor], device: &Device) -> Self {
        let layers = params
            .chunks(2)
            .map(|wb| {
                let (w, b) = (&wb[0], &wb[1]);
                let mut linear =
                    LinearConfig::new(w.cols() as usize, w.rows() as usize).init(device);
                let weight = T2::from_data(
                    TensorData::new(w.data().to_vec(), [w.rows() as usize, w.cols() as usize]),
                    device,
                )
                .transpose();
                linear.weight = Param::from_tensor(weight);
                linear.bias = Some(Param::from_tensor(burn::tensor::Tensor::<1>::from_data(
                    TensorData::new(b.data().to_vec(), [b.cols() as usize]),
                    device,
                )));
                linear
            })
            .collect();
        Self { layers }
    }

    fn forward(&self, mut x: T2) -> T2 {
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            x = layer.forward(x);
            if i < last {
                x = relu(x);
            }
        }
        x
    }
}

/// Steps per second of burn's own training loop: autodiff, `CrossEntropyLoss`, `Sgd` with
/// momentum and no dampening (the update our program computes).
fn burn_autodiff(task: &TrainingTask, data: &Tensor, steps: u64) -> f64 {
    let device = Device::flex().autodiff();
    let params = task.model.init_params(task.init_seed);
    let mut model = Mlp::from_params(&params, &device);
    let mut optim = SgdConfig::new()
        .with_momentum(Some(
            MomentumConfig::new()
                .with_momentum(f64::from(task.sgd.momentum))
                .with_dampening(0.0),
        ))
        .init();
    let features = task.model.input as usize;
    let rows = data.rows();
    let table = T2::from_data(
        TensorData::new(data.data().to_vec(), [rows as usize, data.cols() as usize]),
        &device,
    );
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    let start = Instant::now();
    for t in 0..steps {
        let idx: Vec<i64> = batch::rows(&task.seed, t, task.sgd.batch, rows)
            .into_iter()
            .map(i64::from)
            .collect();
        let index = burn::tensor::Tensor::<1, Int>::from_data(
            TensorData::new(idx, [task.sgd.batch as usize]),
            &device,
        );
        let batch = table.clone().select(0, index);
        let b = task.sgd.batch as usize;
        let x = batch.clone().slice([0..b, 0..features]);
        let y = batch
            .slice([0..b, features..features + 1])
            .reshape([b])
            .int();
        let loss = loss_fn.forward(model.forward(x), y);
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(f64::from(task.sgd.lr), model, grads);
    }
    // Read the weights back so all work is done.
    black_box(model.layers[0].weight.val().into_data());
    steps as f64 / start.elapsed().as_secs_f64()
}

/// CPU time of the whole process (every thread, user and system), in seconds.
fn process_cpu() -> f64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

/// A run's wall-clock and CPU seconds.
struct Cost {
    wall: f64,
    cpu: f64,
}

fn measure(f: impl FnOnce()) -> Cost {
    let (start, cpu) = (Instant::now(), process_cpu());
    f();
    Cost {
        wall: start.elapsed().as_secs_f64(),
        cpu: process_cpu() - cpu,
    }
}

fn executor(task: &TrainingTask, data: &Tensor, steps: u64) -> Cost {
    let engine = task.engine(Backend::Flex, data).expect("valid");
    let mut state = engine.upload(&task.initial_state()).expect("fits");
    measure(|| {
        for t in 0..steps {
            state = engine.step(state, t).0;
        }
        black_box(engine.download(state).expect("readback"));
    })
}

/// Training with checkpoints as a solver keeps them: `run::train_from` with the solver's
/// progress reports, each making the checkpoints so far durable and recording their hashes
/// in a progress file (written whole: temporary file, `fsync`, rename), as the solver does.
fn with_checkpoints(task: &TrainingTask, data: &Tensor, dir: &Path) -> Cost {
    let engine = task.engine(Backend::Flex, data).expect("valid");
    let store = Checkpoints::open(dir).expect("store");
    let record = |hashes: &[[u8; 32]]| -> Result<(), run::Error> {
        let list: Vec<String> = hashes.iter().map(hex::encode).collect();
        let tmp = dir.join("progress.tmp");
        let mut f = std::fs::File::create(&tmp).expect("progress");
        f.write_all(&serde_json::to_vec(&list).expect("json"))
            .expect("written");
        f.sync_all().expect("synced");
        std::fs::rename(&tmp, dir.join("progress.json")).expect("renamed");
        Ok(())
    };
    let cost = measure(|| {
        let start = run::Start {
            done: Vec::new(),
            state: engine.upload(&task.initial_state()).expect("fits"),
        };
        let progress = run::Progress {
            every: run::REPORT_EVERY,
            report: record,
        };
        let (checkpoints, state) = run::train_from(
            task.schedule,
            &store,
            start,
            |state, t| Ok::<_, run::Error>(engine.step(state, t).0),
            |_| {},
            progress,
        )
        .expect("trains");
        black_box((checkpoints, engine.download(state).expect("readback")));
    });
    // Delete the run's checkpoints so that the next run writes them again, and wait until the
    // file system has done so: deleting files costs it work in the background (freeing blocks,
    // committing the journal) that must not land in the next measured run.
    std::fs::remove_dir_all(dir).expect("deleted");
    let parent = std::fs::File::open(dir.parent().expect("a temporary dir")).expect("parent");
    rustix::fs::syncfs(parent).expect("synced");
    cost
}

const RUNS: usize = 9;

fn median(mut xs: Vec<f64>) -> (f64, f64, f64) {
    xs.sort_by(f64::total_cmp);
    (xs[xs.len() / 2], xs[0], xs[xs.len() - 1])
}

/// Runs the contenders interleaved, so that drift in the machine's speed hits each alike: each
/// round is a plain run of our executor, the same run with checkpoints, burn's, and a second
/// plain run. Speed is the best run. The checkpoint overhead is given two ways: the best
/// checkpointed run against the best plain run, which the slow outliers of this VM cannot skew,
/// and the median over rounds of the checkpointed run against the plain run just before it
/// (in wall-clock time, and in CPU time of the whole process, which says what checkpointing
/// costs a solver whose cores are all busy), which a single lucky run cannot skew. The second
/// plain run, measured against the first the same two ways, is the noise floor: what the same
/// estimators report when nothing differs.
fn compare(label: &str, task: &TrainingTask, data: &Tensor, dir: &Path) {
    let steps = task.schedule.steps;
    let (mut plain_best, mut again_best, mut checkpointed_best) = (f64::MAX, f64::MAX, f64::MAX);
    let mut theirs = 0.0f64;
    let (mut wall, mut cpu, mut noise) = (Vec::new(), Vec::new(), Vec::new());
    // What an earlier bench left behind; every run after writes all its checkpoints.
    let _ = std::fs::remove_dir_all(dir);
    for _ in 0..RUNS {
        let plain = executor(task, data, steps);
        let checkpointed = with_checkpoints(task, data, dir);
        theirs = theirs.max(burn_autodiff(task, data, steps));
        let again = executor(task, data, steps);
        plain_best = plain_best.min(plain.wall);
        again_best = again_best.min(again.wall);
        checkpointed_best = checkpointed_best.min(checkpointed.wall);
        wall.push(checkpointed.wall / plain.wall - 1.0);
        cpu.push(checkpointed.cpu / plain.cpu - 1.0);
        noise.push(again.wall / plain.wall - 1.0);
    }
    let ours = steps as f64 / plain_best.min(again_best);
    println!("{label}, {steps} steps:");
    println!("  burn autodiff + Sgd:        {theirs:9.1} steps/s");
    println!(
        "  PoAI executor:              {ours:9.1} steps/s  = {:.2} of burn",
        ours / theirs
    );
    let lines = [
        (
            "with checkpoints (k = 100), wall-clock",
            checkpointed_best / plain_best - 1.0,
            wall,
        ),
        (
            "noise floor (plain against plain)",
            again_best / plain_best - 1.0,
            noise,
        ),
    ];
    for (what, best, pairs) in lines {
        let (median, low, high) = median(pairs);
        println!(
            "  {what}: best against best {:.1}%; median of pairs {:.1}% (from {:.1}% to {:.1}%)",
            best * 100.0,
            median * 100.0,
            low * 100.0,
            high * 100.0
        );
    }
    let (median, low, high) = median(cpu);
    println!(
        "  with checkpoints (k = 100), CPU time: median of pairs {:.1}% (from {:.1}% to {:.1}%)",
        median * 100.0,
        low * 100.0,
        high * 100.0
    );
}

/// Enough steps for ten checkpoints, so the initial state's does not dominate.
const BIG_STEPS: u64 = 1000;

fn main() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/digits.csv.gz");
    let digits = Dataset::load(&path)
        .expect("digits")
        .scale_features(1.0 / 16.0)
        .tensor;
    let steps = 20_000;
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
        schedule: Schedule::new(steps, 100).expect("valid"),
    };
    println!(
        "flex backend; {RUNS} rounds of plain, checkpointed, burn and plain runs; best run for speed"
    );
    let dir = std::env::temp_dir().join("poai-bench-checkpoints");
    compare("MLP 64-64-10, batch 32, digits", &task, &digits, &dir);

    // 784-512-512-10 on synthetic data (no MNIST here): 2000 rows of 784 features and a class.
    let mut rng = poai_common::rng::SplitMix64(7);
    let rows: Vec<Vec<f32>> = (0..2000)
        .map(|_| {
            let mut r: Vec<f32> = (0..784)
                .map(|_| (rng.symmetric_unit() + 1.0) / 2.0)
                .collect();
            r.push(rng.below(10) as f32);
            r
        })
        .collect();
    let wide = Tensor::from_rows(&rows).expect("rectangular");
    let big = TrainingTask {
        model: mlp::Config {
            input: 784,
            hidden: vec![512, 512],
            classes: 10,
        },
        sgd: mlp::Sgd {
            lr: 0.01,
            momentum: 0.9,
            batch: 64,
        },
        schedule: Schedule::new(BIG_STEPS, 100).expect("valid"),
        ..task
    };
    compare(
        "MLP 784-512-512-10, batch 64, synthetic data",
        &big,
        &wide,
        &dir,
    );

    // Where a checkpoint's time goes, one 784-512-512-10 state at a time, as the writer thread
    // spends it: reading the state back from the device, hashing it (on every core), encoding
    // and writing it, and the one `syncfs` a run ends with. Best of RUNS, wall and CPU.
    let state = big.initial_state();
    let bytes: usize = state.iter().map(|t| 4 * t.data().len()).sum();
    let engine = big.engine(Backend::Flex, &wide).expect("valid");
    let store_dir = dir.join("parts");
    let _ = std::fs::remove_dir_all(&store_dir);
    let store = Checkpoints::open(&store_dir).expect("store");
    let mut best = [(); 4].map(|()| Cost {
        wall: f64::MAX,
        cpu: f64::MAX,
    });
    let mut buffer = run::WriteBuffer::default();
    for i in 0..RUNS {
        // A new state each time, so that every write is a real one.
        let mut s = state.clone();
        let mut first = s[0].data().to_vec();
        first[0] = i as f32;
        s[0] = Tensor::new(s[0].rows() as usize, s[0].cols() as usize, first).expect("same shape");
        let on_device = engine.upload(&s).expect("fits");
        // Training still holds the state it hands over, so reading it back is a copy.
        let held = on_device.clone();
        let mut read = Vec::new();
        let mut hash = [0; 32];
        let parts = [
            measure(|| read = poai_common::engine::download_state(on_device).expect("readback")),
            measure(|| hash = poai_common::engine::state_hash(&read)),
            measure(|| {
                store
                    .put_unsynced_with(&read, &mut buffer)
                    .expect("written");
            }),
            measure(|| store.sync(&[hash]).expect("synced")),
        ];
        drop(held);
        for (best, part) in best.iter_mut().zip(parts) {
            best.wall = best.wall.min(part.wall);
            best.cpu = best.cpu.min(part.cpu);
        }
    }
    // `put` hashes again before it writes.
    let [read, hash, put, sync] = best;
    let (write_wall, write_cpu) = (put.wall - hash.wall, (put.cpu - hash.cpu).max(0.0));
    println!(
        "  one checkpoint of {:.2} MB, ms wall / CPU: read back {:.1} / {:.1}, hash {:.1} / {:.1} \
         ({:.0} MB/s), encode and write {:.1} / {:.1}, syncfs {:.1} / {:.1}",
        bytes as f64 / 1e6,
        read.wall * 1e3,
        read.cpu * 1e3,
        hash.wall * 1e3,
        hash.cpu * 1e3,
        bytes as f64 / hash.wall / 1e6,
        write_wall * 1e3,
        write_cpu * 1e3,
        sync.wall * 1e3,
        sync.cpu * 1e3,
    );
}
