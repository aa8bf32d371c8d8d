//! The digits training task the commands default to (data/digits.csv.gz, features scaled to
//! 0..1, the first 1500 examples to train on and the last 297 held out).

use std::path::PathBuf;

use eyre::WrapErr;
use poai_common::dataset::Dataset;
use poai_common::program::mlp;
use poai_common::run::{Schedule, TrainingTask};

/// Examples trained on; the rest are held out.
pub(crate) const TRAIN: u32 = 1500;

#[derive(Debug, Clone, clap::Args)]
pub(crate) struct TaskArgs {
    /// The data set [default: this checkout's data/digits.csv.gz].
    #[arg(long, env = "POAI_DATA")]
    pub data: Option<PathBuf>,
    /// Training steps T.
    #[arg(long, env = "POAI_STEPS", default_value_t = 3000)]
    pub steps: u64,
    /// Checkpoint interval k.
    #[arg(long, env = "POAI_INTERVAL", default_value_t = 100)]
    pub interval: u64,
    /// Hidden layer widths, comma-separated.
    #[arg(long, env = "POAI_HIDDEN", value_delimiter = ',', default_value = "64")]
    pub hidden: Vec<u32>,
    #[arg(long, env = "POAI_LR", default_value_t = 0.05)]
    pub lr: f32,
    #[arg(long, env = "POAI_MOMENTUM", default_value_t = 0.9)]
    pub momentum: f32,
    #[arg(long, env = "POAI_BATCH", default_value_t = 32)]
    pub batch: u32,
    /// The seed of the initial weights.
    #[arg(long, env = "POAI_INIT_SEED", default_value_t = 42)]
    pub init_seed: u64,
}

impl TaskArgs {
    /// The training and held-out sets, and the task.
    pub(crate) fn load(&self) -> eyre::Result<(Dataset, Dataset, TrainingTask)> {
        let path = self.data.clone().unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/digits.csv.gz")
        });
        let all = Dataset::load(&path)
            .wrap_err_with(|| format!("loading the data set {}", path.display()))?;
        let max = all
            .tensor
            .data()
            .chunks_exact(all.tensor.cols() as usize)
            .flat_map(|row| row[..row.len() - 1].iter().copied())
            .fold(0.0f32, f32::max);
        // Scale features to at most 1 by a power of two, so the scaling is exact.
        let scale = if max > 1.0 {
            1.0 / max.log2().ceil().exp2()
        } else {
            1.0
        };
        let (train, held_out) = all
            .scale_features(scale)
            .split(TRAIN.min(all.examples() - 1))?;
        let task = TrainingTask {
            model: mlp::Config {
                input: all.features,
                hidden: self.hidden.clone(),
                classes: all.classes,
            },
            sgd: mlp::Sgd {
                lr: self.lr,
                momentum: self.momentum,
                batch: self.batch,
            },
            seed: poai_common::merkle::leaf_hash(b"poai digits task"),
            init_seed: self.init_seed,
            schedule: Schedule::new(self.steps, self.interval)?,
        };
        Ok((train, held_out, task))
    }
}
