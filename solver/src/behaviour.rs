//! How a solver computes a step: honestly, or as one of the cheats the end-to-end tests and the
//! devnet's `--cheat` flag play. A cheat is a solver that runs the same machinery with one thing
//! changed, exactly as a real one would cut a corner, and that answers the dispute game from
//! its own (cheating) computation — the game must catch it from there.

use poai_common::check::Class;
use poai_common::engine::{self, DeviceTensor, Engine, Trace};
use poai_common::rng::SplitMix64;
use poai_common::tensor::Tensor;

use poai_node::Loaded;

/// The ways a solver cheats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cheat {
    /// Skips every other step (the state does not change).
    SkipSteps,
    /// Trains with the learning rate × 1.01.
    LearningRate,
    /// Trains on a data set with rows swapped (every 7th row replaced by its neighbour).
    SwapData,
    /// Rounds the inputs of every matrix product to bf16 in an fp32 task.
    Bf16,
    /// Replays the initial checkpoint in the middle of the run, as if the steps before had not
    /// happened.
    ReplayCheckpoint,
    /// Replaces the weights with random ones in the middle of the run.
    RandomWeights,
    /// Commits, then serves none of its checkpoints and answers no challenge.
    WithholdCheckpoints,
    /// Trains honestly and plays every move of the game from its own computation, but serves
    /// none of its states or traces, off chain or on.
    WithholdWhilePlaying,
    /// Computes nothing: commits a root over made-up state hashes, and answers the game with
    /// made-up per-step and slot hashes.
    JunkRoots,
    /// Skips every other step (as `SkipSteps`) and serves nothing off chain, but plays every
    /// move and answers every opening on chain: a challenger has only what the chain gives it.
    OnChainOnly,
    /// Skips every other step (as `SkipSteps`) and, challenged, posts a trace in which an op's
    /// output is one column wider than the program says (AUDIT H4).
    MisShapedTrace,
    /// Trains honestly, but commits `resultRoot` over its checkpoints and made-up leaves after
    /// them, as many as keep the tree's depth (AUDIT H3 (b)): the committed leaves are right,
    /// and checkers must read them, not call the list unavailable.
    PaddedResultList,
    /// Replaces the state with NaN in the middle of the run: every later segment starts from a
    /// state no op fed by it can be proven from, so only the segment that made it shows the
    /// fault (AUDIT H3 (c): checkers must look there).
    NanWeights,
    /// Plants NaN as `NanWeights` does and withholds off chain (answering every opening on
    /// chain) the last finite checkpoint, the start of the segment that made the NaN: a checker
    /// that passes over what it cannot fetch looks back to an earlier, honest segment, or
    /// challenges one blind (review 4, F2).
    SteerLookBack,
    /// Steers as `SteerLookBack` does and answers every opening on chain only in the last
    /// seconds before it is due: a checker that gave up waiting, or a window that closed before
    /// the answer could be used, would let it escape (review 5, 1).
    LateAnswers,
    /// Plants NaN as `NanWeights` does and serves no checkpoint list off chain (its states, and
    /// every opening on chain, it does serve): a checker that cannot name the checkpoints
    /// challenges blind, or not at all (property 2: it must open `resultRoot`'s leaves on
    /// chain).
    WithholdList,
    /// Computes the matrix products of one step mid-run in tf32 (inputs rounded to 10-bit
    /// mantissas, as tensor cores do) in an fp32 task, and every other step honestly: the
    /// smallest corner cut that saves work. The state moves by about 1e-4, far below tier 1's
    /// `τ`, so only tier 2 on every op of the segment sees it (issue 14).
    Tf32Step,
    /// Trains honestly, but serves a segment index whose trace of one step mid-run has a fault
    /// (computed in tf32), so that every checker challenges and picks that step; in the game it
    /// posts the honest trace, which proves nothing, to take the challengers' bonds (review of
    /// segment indexes, C1). It has signed two answers to one question: `proveEquivocation`.
    BaitIndex,
    /// Trains with the learning rate × 1.01 (as `LearningRate`) and serves its segment indexes,
    /// so a lazy verifier names one, but never posts the trace of a step a game picks: convicted
    /// either way, it would spare that pass a proof (the shield of the second review of pass
    /// liability, N1). The named index is the segment's posted data, so the game's timeout
    /// faults the segment all the same.
    WithholdTrace,
    /// Trains honestly and serves everything off chain, but never posts the trace of a step a
    /// game picks: with a false alarm on a segment a verifier passed, it would frame that
    /// verifier, whose pass a timeout on the named data burns (property 4). The named verifier
    /// answers for the data it vouched for and posts the trace itself; the false alarm loses.
    FrameVerifier,
    /// Trains honestly and serves its signed segment indexes, but posts other per-step states
    /// (made up between the right ends) on every segment as soon as it commits, before any pass
    /// can name an index: no pass could name the index it checked, and none would be paid (review
    /// of the binding, F2). The named data must be the posted data, so a verifier refused a
    /// naming challenges and proves the equivocation.
    PreemptNaming,
}

impl Cheat {
    pub const ALL: [Cheat; 21] = [
        Cheat::SkipSteps,
        Cheat::LearningRate,
        Cheat::SwapData,
        Cheat::Bf16,
        Cheat::ReplayCheckpoint,
        Cheat::RandomWeights,
        Cheat::WithholdCheckpoints,
        Cheat::WithholdWhilePlaying,
        Cheat::JunkRoots,
        Cheat::OnChainOnly,
        Cheat::MisShapedTrace,
        Cheat::PaddedResultList,
        Cheat::NanWeights,
        Cheat::SteerLookBack,
        Cheat::LateAnswers,
        Cheat::WithholdList,
        Cheat::Tf32Step,
        Cheat::BaitIndex,
        Cheat::WithholdTrace,
        Cheat::FrameVerifier,
        Cheat::PreemptNaming,
    ];

    /// Whether this solver serves nothing, off chain or on.
    pub fn withholds(self) -> bool {
        matches!(
            self,
            Cheat::WithholdCheckpoints | Cheat::WithholdWhilePlaying | Cheat::JunkRoots
        )
    }

    /// Whether this solver serves nothing off chain (whatever it answers on chain).
    pub fn hides(self) -> bool {
        self.withholds() || self == Cheat::OnChainOnly
    }

    /// A made-up hash, the `i`th of `what`, for a solver that computes nothing.
    pub fn junk(what: &str, i: u64, j: u64) -> poai_common::merkle::Hash {
        use sha2::Digest;
        sha2::Sha256::new()
            .chain_update(what)
            .chain_update(i.to_be_bytes())
            .chain_update(j.to_be_bytes())
            .finalize()
            .into()
    }

    pub fn name(self) -> &'static str {
        match self {
            Cheat::SkipSteps => "skip-steps",
            Cheat::LearningRate => "learning-rate",
            Cheat::SwapData => "swap-data",
            Cheat::Bf16 => "bf16",
            Cheat::ReplayCheckpoint => "replay-checkpoint",
            Cheat::RandomWeights => "random-weights",
            Cheat::WithholdCheckpoints => "withhold-checkpoints",
            Cheat::WithholdWhilePlaying => "withhold-while-playing",
            Cheat::JunkRoots => "junk-roots",
            Cheat::OnChainOnly => "on-chain-only",
            Cheat::MisShapedTrace => "mis-shaped-trace",
            Cheat::PaddedResultList => "padded-result-list",
            Cheat::NanWeights => "nan-weights",
            Cheat::SteerLookBack => "steer-look-back",
            Cheat::LateAnswers => "late-answers",
            Cheat::WithholdList => "withhold-list",
            Cheat::Tf32Step => "tf32-step",
            Cheat::BaitIndex => "bait-index",
            Cheat::WithholdTrace => "withhold-trace",
            Cheat::FrameVerifier => "frame-verifier",
            Cheat::PreemptNaming => "preempt-naming",
        }
    }
}

impl std::str::FromStr for Cheat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cheat::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Cheat::ALL.iter().map(|c| c.name()).collect();
                format!("no cheat {s:?}; one of {}", names.join(", "))
            })
    }
}

/// A task's step function as this solver runs it.
#[derive(Debug)]
pub struct Behaviour {
    honest: Engine,
    /// The engine the cheat trains with (the honest one for cheats that change the state).
    engine: Option<Engine>,
    cheat: Option<Cheat>,
    /// The engine of the one step `tf32-step` cuts short.
    once: Option<Engine>,
    /// The engine of the one trace `bait-index` serves faulty.
    bait: Option<Engine>,
    /// The step that a state-changing cheat replaces.
    at: u64,
    init: Vec<Tensor>,
}

impl Behaviour {
    pub fn new(
        task: &Loaded,
        backend: engine::Backend,
        cheat: Option<Cheat>,
    ) -> eyre::Result<Self> {
        let honest = task.engine(backend)?;
        let seed = task.spec.training.seed;
        let engine = match cheat {
            Some(Cheat::LearningRate | Cheat::WithholdTrace) => {
                let mut sgd = task.spec.training.sgd;
                sgd.lr *= 1.01;
                Some(Engine::new(
                    backend,
                    task.spec.training.model.training(sgd),
                    Some(&task.dataset),
                    seed,
                )?)
            }
            Some(Cheat::SwapData) => {
                let d = &task.dataset;
                let cols = d.cols() as usize;
                let mut data = d.data().to_vec();
                for r in (0..d.rows() as usize - 1).step_by(7) {
                    data.copy_within((r + 1) * cols..(r + 2) * cols, r * cols);
                }
                let swapped = Tensor::new(d.rows() as usize, cols, data)?;
                Some(Engine::new(
                    backend,
                    task.program.clone(),
                    Some(&swapped),
                    seed,
                )?)
            }
            Some(Cheat::Bf16) => Some(task.engine(backend)?.with_precision(Class::Bf16)),
            _ => None,
        };
        let tf32 =
            || -> eyre::Result<Engine> { Ok(task.engine(backend)?.with_precision(Class::Tf32)) };
        let once = match cheat {
            Some(Cheat::Tf32Step) => Some(tf32()?),
            _ => None,
        };
        let bait = match cheat {
            Some(Cheat::BaitIndex) => Some(tf32()?),
            _ => None,
        };
        let k = task.commitments.interval;
        let at = task.segments() / 2 * k + k / 2;
        Ok(Self {
            honest,
            engine,
            cheat,
            once,
            bait,
            at,
            init: task.spec.training.initial_state(),
        })
    }

    pub fn engine(&self) -> &Engine {
        self.engine.as_ref().unwrap_or(&self.honest)
    }

    /// Step `t` from `state`, as this solver computes it.
    pub fn step(&self, state: Vec<DeviceTensor>, t: u64) -> eyre::Result<Vec<DeviceTensor>> {
        Ok(match self.cheat {
            Some(Cheat::SkipSteps | Cheat::OnChainOnly | Cheat::MisShapedTrace) if t % 2 == 1 => {
                state
            }
            Some(Cheat::ReplayCheckpoint) if t == self.at => self.honest.upload(&self.init)?,
            Some(Cheat::RandomWeights) if t == self.at => {
                let mut rng = SplitMix64(t);
                let random: Vec<Tensor> = self
                    .init
                    .iter()
                    .map(|x| {
                        let v = (0..x.data().len()).map(|_| rng.symmetric_unit()).collect();
                        Tensor::new(x.rows() as usize, x.cols() as usize, v)
                    })
                    .collect::<Result<_, _>>()?;
                self.honest.upload(&random)?
            }
            Some(
                Cheat::NanWeights | Cheat::SteerLookBack | Cheat::LateAnswers | Cheat::WithholdList,
            ) if t == self.at => {
                let nan: Vec<Tensor> = self
                    .init
                    .iter()
                    .map(|x| {
                        let v = vec![f32::NAN; x.data().len()];
                        Tensor::new(x.rows() as usize, x.cols() as usize, v)
                    })
                    .collect::<Result<_, _>>()?;
                self.honest.upload(&nan)?
            }
            _ => self.engine_of(t).step(state, t).0,
        })
    }

    /// The engine step `t` runs on.
    fn engine_of(&self, t: u64) -> &Engine {
        match &self.once {
            Some(once) if t == self.at => once,
            _ => self.engine(),
        }
    }

    /// The trace of step `t` from `state`, as this solver posts it when challenged.
    pub fn trace(&self, state: &[Tensor], t: u64) -> eyre::Result<Trace> {
        let mut trace = self.engine_of(t).trace(state, t)?;
        if self.cheat == Some(Cheat::MisShapedTrace) {
            // The first op that is not a load writes one column more.
            let program = self.honest.program();
            let op = program
                .ops
                .iter()
                .position(|o| !matches!(o, poai_common::program::Op::LoadRows { .. }))
                .ok_or_else(|| eyre::eyre!("a program of loads only"))?;
            let at = program.output_slot(op) as usize;
            let slot = &mut trace.slots[at];
            let rows = (0..slot.rows())
                .map(|r| {
                    let mut row = slot.row(r)?.to_vec();
                    row.push(0.0);
                    Ok(row)
                })
                .collect::<Result<Vec<_>, poai_common::tensor::Error>>()?;
            *slot = Tensor::from_rows(&rows)?;
            trace.hashes[at] = slot.commit().hash;
            trace.root = poai_common::state::trace_root(&trace.hashes)?;
        }
        Ok(trace)
    }

    /// The trace of step `t` as this solver serves it off chain, behind its segment index.
    pub fn served_trace(&self, state: &[Tensor], t: u64) -> eyre::Result<Trace> {
        match &self.bait {
            Some(bait) if t == self.at => Ok(bait.trace(state, t)?),
            _ => self.trace(state, t),
        }
    }

    pub fn upload(&self, state: &[Tensor]) -> eyre::Result<Vec<DeviceTensor>> {
        Ok(self.honest.upload(state)?)
    }

    pub fn download(&self, state: Vec<DeviceTensor>) -> eyre::Result<Vec<Tensor>> {
        Ok(self.honest.download(state)?)
    }
}
