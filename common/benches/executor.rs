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

const RUNS: usize = 5;

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
    println!("flex backend; runs interleaved, best of {RUNS}; {steps} steps a run");

    // Interleaved, so that drift in the machine's speed hits every contender alike.
    let dir = std::env::temp_dir().join("poai-bench-checkpoints");
    let (mut ours, mut theirs, mut checkpointed) = (0.0f64, 0.0f64, 0.0f64);
    for _ in 0..RUNS {
        ours = ours.max(executor(&task, &digits, steps));
        theirs = theirs.max(burn_autodiff(&task, &digits, steps));
        checkpointed = checkpointed.max(with_checkpoints(&task, &digits, &dir));
    }
    println!("MLP 64-64-10, batch 32, digits:");
    println!("  burn autodiff + Sgd:        {theirs:9.0} steps/s");
    println!(
        "  PoAI executor:              {ours:9.0} steps/s  = {:.2} of burn",
        ours / theirs
    );
    println!(
        "  with checkpoints (k = 100): {checkpointed:9.0} steps/s  = {:.1}% overhead",
        (ours / checkpointed - 1.0) * 100.0
    );

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
        schedule: Schedule::new(300, 100).expect("valid"),
        ..task
    };
    let (mut ours, mut theirs, mut checkpointed) = (0.0f64, 0.0f64, 0.0f64);
    for _ in 0..RUNS {
        ours = ours.max(executor(&big, &wide, 300));
        theirs = theirs.max(burn_autodiff(&big, &wide, 300));
        checkpointed = checkpointed.max(with_checkpoints(&big, &wide, &dir));
    }
    println!("MLP 784-512-512-10, batch 64, synthetic data, 300 steps:");
    println!("  burn autodiff + Sgd:        {theirs:9.1} steps/s");
    println!(
        "  PoAI executor:              {ours:9.1} steps/s  = {:.2} of burn",
        ours / theirs
    );
    println!(
        "  with checkpoints (k = 100): {checkpointed:9.1} steps/s  = {:.1}% overhead",
        (ours / checkpointed - 1.0) * 100.0
    );
}
