//! The claim policy (AUDIT H6): a solver claims only a task it can finish, and says why it
//! refuses one. Claiming locks the task's stake, and a task not committed in its solve window
//! loses it to the submitter, so a submitter that sets a window no machine meets (or a model no
//! machine holds) would take the stake of every solver that claims blindly.
//!
//! A task is weighed once — what needs no measurement first, then a few of its steps measured
//! on this node's backend, off the node's tick —: the whole
//! run, with a margin, must fit the solve window; a recomputation of the run (every segment
//! challenged at once: each game's per-step states are due within the game's clock) must fit
//! one game's clock; the task must fit the memory the node gives one task; its stake must be at
//! most the node's limit; and its pay, less every verifier's fee, at least the node's price
//! for the measured training time.

use std::fmt;
use std::time::{Duration, Instant};

use alloy::primitives::U256;
use poai_common::engine::Backend;
use poai_node::Loaded;

/// What a solver takes on.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The most stake it locks behind one task (wei).
    pub max_stake: U256,
    /// How many times the measured training time the solve window, and a game's clock, must
    /// hold (the machine may be busier than when it measured; steps vary).
    pub margin: f64,
    /// Time a task takes on top of its steps: loading, the last checkpoint's write, the
    /// commit's transaction.
    pub overhead: Duration,
    /// The memory it gives one task (bytes).
    pub memory: u64,
    /// The least it takes per second of measured training, net of verifier fees (wei).
    pub min_price: U256,
}

/// A task, as the policy weighs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    pub steps: u64,
    /// Seconds to commit once claimed.
    pub solve_within: u64,
    /// Seconds the solver has for all its moves in one game.
    pub clock: u64,
    pub stake: U256,
    /// The payment less every sampled verifier's fee: what the solver is paid.
    pub pay: U256,
    /// Bytes the task holds in memory (see [`memory`]).
    pub memory: u64,
}

/// Why a task is not claimed.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// Its stake is above what the node locks behind one task.
    Stake { stake: U256, limit: U256 },
    /// It does not fit the memory the node gives one task.
    Memory { need: u64, have: u64 },
    /// Its run, with the margin, does not fit the solve window (seconds).
    Slow { need: f64, window: u64 },
    /// A recomputation of its run, with the margin, does not fit one game's clock (seconds).
    SlowToAnswer { need: f64, clock: u64 },
    /// It pays less than the node's price for its training time.
    Underpaid { pay: U256, least: U256 },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Stake { stake, limit } => {
                write!(
                    f,
                    "its stake {stake} wei is above this node's limit {limit} wei"
                )
            }
            Refusal::Memory { need, have } => write!(
                f,
                "it needs {} MiB, this node gives a task {} MiB",
                need >> 20,
                have >> 20
            ),
            Refusal::Slow { need, window } => write!(
                f,
                "its run needs {need:.1} s with the margin, the solve window is {window} s"
            ),
            Refusal::SlowToAnswer { need, clock } => write!(
                f,
                "recomputing its run for challenges needs {need:.1} s with the margin, a game's \
                 clock is {clock} s"
            ),
            Refusal::Underpaid { pay, least } => write!(
                f,
                "it pays {pay} wei net of fees, this node's price for its training is {least} wei"
            ),
        }
    }
}

/// Whether a task `offer`ed at `step` seconds a step is one this node can finish, and is paid
/// enough for.
pub fn decide(policy: &Policy, offer: &Offer, step: Duration) -> Result<(), Refusal> {
    if offer.stake > policy.max_stake {
        return Err(Refusal::Stake {
            stake: offer.stake,
            limit: policy.max_stake,
        });
    }
    if offer.memory > policy.memory {
        return Err(Refusal::Memory {
            need: offer.memory,
            have: policy.memory,
        });
    }
    let train = step.as_secs_f64() * offer.steps as f64;
    let need = train * policy.margin + policy.overhead.as_secs_f64();
    if need > offer.solve_within as f64 {
        return Err(Refusal::Slow {
            need,
            window: offer.solve_within,
        });
    }
    let answer = train * policy.margin;
    if answer > offer.clock as f64 {
        return Err(Refusal::SlowToAnswer {
            need: answer,
            clock: offer.clock,
        });
    }
    let least = policy.min_price * U256::from(train.ceil() as u64);
    if offer.pay < least {
        return Err(Refusal::Underpaid {
            pay: offer.pay,
            least,
        });
    }
    Ok(())
}

/// How long a task's measured steps may take before they alone show its run too slow for
/// `offer` (one step's share of the solve window left after the overhead, over the margin),
/// for [`measure_step`] to stop at.
pub fn step_limit(policy: &Policy, offer: &Offer) -> Duration {
    let window = (offer.solve_within as f64 - policy.overhead.as_secs_f64()).max(0.0);
    let per_step = window / policy.margin.max(1.0) / offer.steps.max(1) as f64;
    Duration::from_secs_f64(per_step * MEASURED_STEPS as f64)
}

/// Steps [`measure_step`] times (after one to warm up).
pub const MEASURED_STEPS: u64 = 4;

/// Bytes task `task` holds in memory while it trains or answers: its data set, and one step's
/// every slot (the state among them) twice over (the backend's working copies).
pub fn memory(task: &Loaded) -> eyre::Result<u64> {
    let elements = |rows: u32, cols: u32| u64::from(rows) * u64::from(cols);
    let dataset = elements(task.dataset.rows(), task.dataset.cols());
    let slots: u64 = task
        .program
        .validate()?
        .iter()
        .map(|s| elements(s.rows, s.cols))
        .sum();
    Ok(4 * (dataset + 2 * slots))
}

/// Seconds one step of `task` takes on `backend`: the mean of a few steps from the initial
/// state, after one that warms the backend up (its first run compiles kernels). Measuring stops
/// once the steps measured alone take `limit` ([`step_limit`]: the task is then too slow).
pub fn measure_step(task: &Loaded, backend: Backend, limit: Duration) -> eyre::Result<Duration> {
    let engine = task.engine(backend)?;
    let mut state = engine.upload(&task.spec.training.initial_state())?;
    state = engine.step(state, 0).0;
    let n = task.commitments.steps.clamp(1, MEASURED_STEPS);
    let start = Instant::now();
    let mut done = 0u32;
    for t in 1..=n {
        state = engine.step(state, t).0;
        done += 1;
        if start.elapsed() > limit {
            break;
        }
    }
    // The backend may run asynchronously: the state is read back before the clock stops.
    engine.download(state)?;
    Ok(start.elapsed() / done)
}

/// The memory this machine has available now (bytes), from `/proc/meminfo`; none where that
/// cannot be read.
pub fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy {
            max_stake: U256::from(100u64),
            margin: 2.0,
            overhead: Duration::from_secs(10),
            memory: 1 << 30,
            min_price: U256::from(3u64),
        }
    }

    /// 1 000 steps of 10 ms: 10 s of training.
    fn offer() -> Offer {
        Offer {
            steps: 1_000,
            solve_within: 30,
            clock: 20,
            stake: U256::from(100u64),
            pay: U256::from(30u64),
            memory: 1 << 30,
        }
    }

    const STEP: Duration = Duration::from_millis(10);

    #[test]
    fn h6_a_task_it_can_finish_at_its_price_is_claimed() {
        assert_eq!(decide(&policy(), &offer(), STEP), Ok(()));
    }

    #[test]
    fn h6_a_solve_window_shorter_than_the_run_with_its_margin_is_refused() {
        let o = Offer {
            solve_within: 29,
            ..offer()
        };
        assert_eq!(
            decide(&policy(), &o, STEP),
            Err(Refusal::Slow {
                need: 30.0,
                window: 29
            })
        );
    }

    #[test]
    fn h6_a_run_that_cannot_be_recomputed_within_a_games_clock_is_refused() {
        let o = Offer {
            clock: 19,
            ..offer()
        };
        assert_eq!(
            decide(&policy(), &o, STEP),
            Err(Refusal::SlowToAnswer {
                need: 20.0,
                clock: 19
            })
        );
    }

    #[test]
    fn h6_a_stake_above_the_limit_a_model_above_the_memory_and_an_underpaid_task_are_refused() {
        let o = Offer {
            stake: U256::from(101u64),
            ..offer()
        };
        assert!(matches!(
            decide(&policy(), &o, STEP),
            Err(Refusal::Stake { .. })
        ));
        let o = Offer {
            memory: (1 << 30) + 1,
            ..offer()
        };
        assert!(matches!(
            decide(&policy(), &o, STEP),
            Err(Refusal::Memory { .. })
        ));
        let o = Offer {
            pay: U256::from(29u64),
            ..offer()
        };
        assert_eq!(
            decide(&policy(), &o, STEP),
            Err(Refusal::Underpaid {
                pay: U256::from(29u64),
                least: U256::from(30u64)
            })
        );
    }

    #[test]
    fn measuring_stops_where_the_steps_alone_show_the_run_too_slow() {
        // (30 s − 10 s overhead) / margin 2 / 1 000 steps = 10 ms a step, four steps measured.
        assert_eq!(step_limit(&policy(), &offer()), Duration::from_millis(40));
        let step = step_limit(&policy(), &offer()) / MEASURED_STEPS as u32;
        assert_eq!(decide(&policy(), &offer(), step), Ok(()));
        assert!(matches!(
            decide(&policy(), &offer(), step + Duration::from_micros(1)),
            Err(Refusal::Slow { .. })
        ));
    }

    #[test]
    fn every_refusal_says_why() {
        let r = Refusal::Slow {
            need: 30.0,
            window: 29,
        };
        assert_eq!(
            r.to_string(),
            "its run needs 30.0 s with the margin, the solve window is 29 s"
        );
    }
}
