//! The task spec: what a submitter publishes (as a `Spec` blob) and the chain names by
//! `specHash`. From a spec and its data set every node derives the same commitments; a task whose
//! on-chain commitments are not the ones its spec gives is not run, verified or disputed by any
//! node (it could only ever be disputed against the wrong program).

use serde::{Deserialize, Serialize};

use crate::chain::bindings::market::Market as Tasks;
use crate::check::Class;
use crate::merkle::Hash;
use crate::run::TrainingTask;
use crate::tensor::Tensor;

/// The version of the spec format this code reads.
pub const VERSION: u32 = 1;

/// Limits a node applies before it builds anything from a spec.
pub const MAX_WIDTH: u32 = 8192;
/// Classes at most (AUDIT M4): a softmax op's proof recomputes `exp` for every class, about
/// 20 k gas each (docs/BENCHMARKS.md), so 256 classes keep the proof near 5 M gas, under the
/// 10 M a single transaction may take and far under a 30 M block. (The widest matrix product,
/// 8 192 terms, is about 7 M with its calldata.)
pub const MAX_CLASSES: u32 = 256;
pub const MAX_LAYERS: usize = 8;
pub const MAX_BATCH: u32 = 8192;
pub const MAX_STEPS: u64 = 100_000_000;
pub const MAX_SEGMENTS: u64 = 1 << 20;
/// Steps a segment may have at most: `postSteps` carries `k + 1` state hashes in one transaction
/// (about 2.2 M gas at 1 024; the market refuses more).
pub const MAX_INTERVAL: u64 = 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaskSpec {
    pub version: u32,
    pub training: TrainingTask,
    /// The data set's tensor hash (`datasetHash`; the `Dataset` blob).
    #[serde(with = "crate::serde_hex::hash")]
    pub dataset: Hash,
    pub class: Class,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    #[error("the spec is not valid JSON for a task spec: {0}")]
    Json(String),
    #[error("spec version {0} is not one this node reads ({VERSION})")]
    Version(u32),
    #[error("the spec is out of bounds: {0}")]
    Bounds(String),
    #[error("the data set has {got} columns; the model needs {expected} (features and a label)")]
    DatasetColumns { expected: u32, got: u32 },
    #[error("the data set's hash is not the one the spec names")]
    DatasetHash,
    #[error(transparent)]
    Program(#[from] crate::program::Error),
}

/// What the chain holds of a task (`Tasks.Commitments`), as Rust values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Commitments {
    pub program_root: Hash,
    pub dataset_hash: Hash,
    pub init_state_hash: Hash,
    pub seed: Hash,
    pub layout_hash: Hash,
    pub spec_hash: Hash,
    pub steps: u64,
    pub interval: u64,
    pub ops: u32,
    pub slots: u32,
    pub batch: u32,
    pub class: u8,
}

impl TaskSpec {
    pub fn new(training: TrainingTask, dataset: Hash, class: Class) -> Self {
        Self {
            version: VERSION,
            training,
            dataset,
            class,
        }
    }

    /// The spec's bytes, as published; `specHash` is their SHA-256.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a spec serializes")
    }

    /// Reads and bounds-checks a published spec.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let spec: Self = serde_json::from_slice(bytes).map_err(|e| Error::Json(e.to_string()))?;
        spec.validate()?;
        Ok(spec)
    }

    /// The bounds a node checks before it allocates anything for the task.
    pub fn validate(&self) -> Result<(), Error> {
        if self.version != VERSION {
            return Err(Error::Version(self.version));
        }
        let t = &self.training;
        let bounds = |what: String| Err(Error::Bounds(what));
        let widths = t.model.widths();
        if t.model.hidden.len() > MAX_LAYERS {
            return bounds(format!("{} hidden layers", t.model.hidden.len()));
        }
        if let Some(w) = widths.iter().find(|&&w| w == 0 || w > MAX_WIDTH) {
            return bounds(format!("a layer of width {w} (1 to {MAX_WIDTH})"));
        }
        if t.model.classes < 2 || t.model.classes > MAX_CLASSES {
            return bounds(format!("{} classes (2 to {MAX_CLASSES})", t.model.classes));
        }
        let s = &t.sgd;
        if !(s.lr.is_finite() && s.lr > 0.0 && (0.0..1.0).contains(&s.momentum)) {
            return bounds(format!("lr {} and momentum {}", s.lr, s.momentum));
        }
        if s.batch == 0 || s.batch > MAX_BATCH {
            return bounds(format!("batch {} (1 to {MAX_BATCH})", s.batch));
        }
        let sched = t.schedule;
        if sched.interval == 0
            || sched.steps == 0
            || !sched.steps.is_multiple_of(sched.interval)
            || sched.steps > MAX_STEPS
            || sched.steps / sched.interval > MAX_SEGMENTS
            || sched.interval > MAX_INTERVAL
        {
            return bounds(format!(
                "T = {} and k = {} (k must divide T; T ≤ {MAX_STEPS}; T/k ≤ {MAX_SEGMENTS}; \
                 k ≤ {MAX_INTERVAL})",
                sched.steps, sched.interval
            ));
        }
        Ok(())
    }

    /// The commitments a task of this spec (published as `spec_hash`) must carry on chain.
    pub fn commitments(&self, spec_hash: Hash, dataset: &Tensor) -> Result<Commitments, Error> {
        self.validate()?;
        let t = &self.training;
        let program = t.model.training(t.sgd);
        if dataset.cols() != program.dataset_cols {
            return Err(Error::DatasetColumns {
                expected: program.dataset_cols,
                got: dataset.cols(),
            });
        }
        let dataset_hash = dataset.commit().hash;
        if dataset_hash != self.dataset {
            return Err(Error::DatasetHash);
        }
        Ok(Commitments {
            program_root: program.root()?,
            dataset_hash,
            init_state_hash: crate::engine::state_hash(&t.initial_state()),
            seed: t.seed,
            layout_hash: program.layout_hash(),
            spec_hash,
            steps: t.schedule.steps,
            interval: t.schedule.interval,
            ops: program.ops.len() as u32,
            slots: (program.state.len() + program.ops.len()) as u32,
            batch: t.sgd.batch,
            class: self.class.code(),
        })
    }
}

impl Commitments {
    pub fn to_sol(&self) -> Tasks::Commitments {
        use alloy::primitives::B256;
        Tasks::Commitments {
            programRoot: B256::from(self.program_root),
            datasetHash: B256::from(self.dataset_hash),
            initStateHash: B256::from(self.init_state_hash),
            seed: B256::from(self.seed),
            layoutHash: B256::from(self.layout_hash),
            specHash: B256::from(self.spec_hash),
            steps: self.steps,
            interval: self.interval,
            ops: self.ops,
            slots: self.slots,
            batch: self.batch,
            class: self.class,
        }
    }

    pub fn from_sol(c: &Tasks::Commitments) -> Self {
        Self {
            program_root: c.programRoot.0,
            dataset_hash: c.datasetHash.0,
            init_state_hash: c.initStateHash.0,
            seed: c.seed.0,
            layout_hash: c.layoutHash.0,
            spec_hash: c.specHash.0,
            steps: c.steps,
            interval: c.interval,
            ops: c.ops,
            slots: c.slots,
            batch: c.batch,
            class: c.class,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::mlp;
    use crate::run::Schedule;

    fn spec(data: &Tensor) -> TaskSpec {
        TaskSpec::new(
            TrainingTask {
                model: mlp::Config {
                    input: data.cols() - 1,
                    hidden: vec![8],
                    classes: 3,
                },
                sgd: mlp::Sgd {
                    lr: 0.1,
                    momentum: 0.9,
                    batch: 4,
                },
                seed: [7; 32],
                init_seed: 1,
                schedule: Schedule::new(8, 2).expect("valid"),
            },
            data.commit().hash,
            Class::Fp32,
        )
    }

    fn data() -> Tensor {
        Tensor::from_rows(&[[0.5, 0.25, 1.0], [0.0, 1.0, 2.0], [1.0, 0.0, 0.0]]).expect("3×3")
    }

    #[test]
    fn a_spec_round_trips_through_its_published_bytes() {
        let s = spec(&data());
        assert_eq!(TaskSpec::from_bytes(&s.to_bytes()), Ok(s));
    }

    #[test]
    fn commitments_follow_the_spec_and_its_data_set() {
        let d = data();
        let s = spec(&d);
        let c = s.commitments([9; 32], &d).expect("commits");
        let program = s.training.model.training(s.training.sgd);
        assert_eq!(c.program_root, program.root().expect("valid"));
        assert_eq!((c.steps, c.interval, c.batch, c.class), (8, 2, 4, 0));
        assert_eq!(Commitments::from_sol(&c.to_sol()), c);
        let mut other = d.data().to_vec();
        other[0] = 0.75;
        let other = Tensor::new(3, 3, other).expect("3×3");
        assert_eq!(s.commitments([9; 32], &other), Err(Error::DatasetHash));
        let narrow = Tensor::from_rows(&[[0.5, 1.0]]).expect("1×2");
        assert!(matches!(
            s.commitments([9; 32], &narrow),
            Err(Error::DatasetColumns { .. })
        ));
    }

    #[test]
    fn malformed_and_out_of_bounds_specs_are_named_errors() {
        let d = data();
        assert!(matches!(TaskSpec::from_bytes(b"{"), Err(Error::Json(_))));
        assert!(matches!(
            TaskSpec::from_bytes(br#"{"version":1}"#),
            Err(Error::Json(_))
        ));
        let mut s = spec(&d);
        s.version = 2;
        assert_eq!(TaskSpec::from_bytes(&s.to_bytes()), Err(Error::Version(2)));
        // JSON has no NaN or infinity: such a spec cannot even be published.
        let mut nan = spec(&d);
        nan.training.sgd.lr = f32::NAN;
        assert!(matches!(
            TaskSpec::from_bytes(&nan.to_bytes()),
            Err(Error::Json(_))
        ));
        assert!(matches!(nan.validate(), Err(Error::Bounds(_))));
        for edit in [
            |s: &mut TaskSpec| s.training.sgd.lr = -0.5,
            |s: &mut TaskSpec| s.training.sgd.batch = 0,
            |s: &mut TaskSpec| s.training.model.hidden = vec![1 << 20],
            |s: &mut TaskSpec| s.training.model.classes = 1,
            // AUDIT M4: a softmax too wide to prove within a transaction's gas.
            |s: &mut TaskSpec| s.training.model.classes = MAX_CLASSES + 1,
            |s: &mut TaskSpec| s.training.schedule.interval = 3,
            // A segment too long for `postSteps` to carry in one transaction.
            |s: &mut TaskSpec| {
                s.training.schedule.steps = 2 * (MAX_INTERVAL + 1);
                s.training.schedule.interval = MAX_INTERVAL + 1;
            },
            |s: &mut TaskSpec| s.training.schedule.steps = 0,
        ] {
            let mut s = spec(&d);
            edit(&mut s);
            assert!(
                matches!(TaskSpec::from_bytes(&s.to_bytes()), Err(Error::Bounds(_))),
                "{s:?}"
            );
        }
    }
}
