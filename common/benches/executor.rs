//! The executor against burn's own autodiff training of the same MLP (same backend, data, initial
//! weights and optimizer), the cost of checkpointing every k = 100 steps, and a 784-512-512-10
//! MLP for the record (docs/BENCHMARKS.md): `cargo bench -p poai-common --bench executor`.

use std::hint::black_box;
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

fn executor(task: &TrainingTask, data: &Tensor, steps: u64) -> f64 {
    let engine = task.engine(Backend::Flex, data).expect("valid");
    let mut state = engine.upload(&task.initial_state()).expect("fits");
    let start = Instant::now();
    for t in 0..steps {
        state = engine.step(state, t).0;
    }
    black_box(engine.download(state).expect("readback"));
    steps as f64 / start.elapsed().as_secs_f64()
}

fn with_checkpoints(task: &TrainingTask, data: &Tensor, dir: &Path) -> f64 {
    let engine = task.engine(Backend::Flex, data).expect("valid");
    let _ = std::fs::remove_dir_all(dir);
    let store = Checkpoints::open(dir).expect("store");
    let start = Instant::now();
    black_box(
        run::train(
            &engine,
            &task.initial_state(),
            task.schedule,
            &store,
            |_| {},
        )
        .expect("trains"),
    );
    task.schedule.steps as f64 / start.elapsed().as_secs_f64()
}

const RUNS: usize = 7;

/// Runs the three contenders interleaved, so that drift in the machine's speed hits each alike.
/// Speed is the best run; the checkpoint overhead is the median over runs of the ratio of a
/// checkpointed run to the plain run just before it, which a single lucky run cannot skew.
fn compare(label: &str, task: &TrainingTask, data: &Tensor, dir: &Path) {
    let steps = task.schedule.steps;
    let (mut ours, mut theirs) = (0.0f64, 0.0f64);
    let mut overheads = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let plain = executor(task, data, steps);
        ours = ours.max(plain);
        theirs = theirs.max(burn_autodiff(task, data, steps));
        overheads.push(plain / with_checkpoints(task, data, dir) - 1.0);
    }
    overheads.sort_by(f64::total_cmp);
    let median = overheads[RUNS / 2];
    println!("{label}, {steps} steps:");
    println!("  burn autodiff + Sgd:        {theirs:9.1} steps/s");
    println!(
        "  PoAI executor:              {ours:9.1} steps/s  = {:.2} of burn",
        ours / theirs
    );
    println!(
        "  with checkpoints (k = 100): {:.1}% overhead (median; runs from {:.1}% to {:.1}%)",
        median * 100.0,
        overheads[0] * 100.0,
        overheads[RUNS - 1] * 100.0
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
        "flex backend; runs interleaved, best of {RUNS} for speed, median of the {RUNS} paired \
         runs for overhead"
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

    // Where a checkpoint's time goes, one 784-512-512-10 state at a time.
    let state = big.initial_state();
    let bytes: usize = state.iter().map(|t| 4 * t.data().len()).sum();
    let store_dir = dir.join("parts");
    let _ = std::fs::remove_dir_all(&store_dir);
    let store = Checkpoints::open(&store_dir).expect("store");
    let (mut hash, mut write, mut sync) = (f64::MAX, f64::MAX, f64::MAX);
    let mut buffer = run::WriteBuffer::default();
    for i in 0..RUNS {
        // A new state each time, so that every write is a real one.
        let mut s = state.clone();
        let mut first = s[0].data().to_vec();
        first[0] = i as f32;
        s[0] = Tensor::new(s[0].rows() as usize, s[0].cols() as usize, first).expect("same shape");
        let start = Instant::now();
        black_box(poai_common::engine::state_hash(&s));
        hash = hash.min(start.elapsed().as_secs_f64());
        let start = Instant::now();
        let h = store.put_unsynced_with(&s, &mut buffer).expect("written");
        write = write.min(start.elapsed().as_secs_f64() - hash);
        let start = Instant::now();
        store.sync(&[h]).expect("synced");
        sync = sync.min(start.elapsed().as_secs_f64());
    }
    println!(
        "  one checkpoint of {:.2} MB: hash {:.1} ms ({:.0} MB/s), write {:.1} ms, fsync {:.1} ms",
        bytes as f64 / 1e6,
        hash * 1e3,
        bytes as f64 / hash / 1e6,
        write * 1e3,
        sync * 1e3
    );
}
