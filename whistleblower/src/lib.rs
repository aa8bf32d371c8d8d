//! The PoAI whistleblower node: re-checks committed tasks, segments that verifiers passed
//! first, then every other; on a segment that fails tier 1 it challenges, finds the faulty step
//! and op from the solver's served states and trace with the tier-2 checker, proves it, and
//! collects the bounty — with the stake of any verifier that passed the segment.
//!
//! It waits for a task's attestations before it looks (until half the challenge window is gone),
//! so that a verifier that passed a bad segment without checking is the one it catches. It
//! challenges on a tier-1 failure of its own re-execution, never on anyone's vote; τ is
//! calibrated far above honest cross-hardware drift (docs/BENCHMARKS.md).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use alloy::primitives::U256;
use poai_common::engine::Backend;
use poai_node::challenge::{self, Challenger};
use poai_node::durable::Durable;
use poai_node::ops;
use poai_node::{Node, status};
use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;

#[derive(Debug, Clone)]
pub struct Options {
    pub backend: Backend,
    pub tau: f64,
    /// Challenge the first segment looked at even when it passes (a whistleblower with a broken
    /// checker, to watch a false alarm lose its bond).
    pub false_alarm: bool,
}

/// Tasks already checked, kept across restarts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Checked {
    tasks: BTreeSet<u64>,
}

pub struct Whistleblower {
    node: Arc<Node>,
    opts: Options,
    challenger: Arc<Challenger>,
    checked: Arc<Durable<Checked>>,
    checking: HashMap<u64, JoinHandle<eyre::Result<()>>>,
}

impl std::fmt::Debug for Whistleblower {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Whistleblower")
            .field("opts", &self.opts)
            .finish()
    }
}

impl Whistleblower {
    pub fn new(node: Arc<Node>, opts: Options) -> eyre::Result<Self> {
        let checked = Arc::new(Durable::open(node.data_dir.join("whistleblower.json"))?);
        Ok(Self {
            challenger: Arc::new(Challenger::new(opts.backend)),
            node,
            opts,
            checked,
            checking: HashMap::new(),
        })
    }

    pub async fn run(self) -> eyre::Result<()> {
        poai_node::run(self).await
    }

    async fn reconcile(&mut self) -> eyre::Result<()> {
        let node = self.node.clone();
        let m = &node.chain.market;
        let now = node.chain.now().await?;
        self.checking.retain(|_, j| !j.is_finished());
        let done = self.checked.get().tasks;
        let count: u64 = m.taskCount().call().await?.to();
        for id in 1..=count {
            if done.contains(&id) || self.checking.contains_key(&id) {
                continue;
            }
            let t = m.task(U256::from(id)).call().await?;
            if t.status != status::COMMITTED || t.solver == node.chain.address {
                continue;
            }
            let samples = m.samplesOf(U256::from(id)).call().await?;
            let attested =
                m.sampled(U256::from(id)).call().await? && samples.iter().all(|s| s.attest != 0);
            let half = t.deadline.saturating_sub(t.terms.challengeWithin / 2);
            if !attested && now < half {
                continue;
            }
            // Segments a verifier passed come first: a lazy pass is the costliest lie.
            let mut order: Vec<u64> = samples
                .iter()
                .filter(|s| s.attest == 1)
                .map(|s| s.segment)
                .collect();
            let segments = t.commitments.steps / t.commitments.interval;
            let rest: Vec<u64> = (0..segments).filter(|s| !order.contains(s)).collect();
            order.extend(rest);
            let (node, opts, challenger, checked) = (
                node.clone(),
                self.opts.clone(),
                self.challenger.clone(),
                self.checked.clone(),
            );
            let root = t.resultRoot.0;
            self.checking.insert(
                id,
                tokio::spawn(async move {
                    check_task(&node, &opts, &challenger, id, root, &order).await?;
                    checked.update(|c| c.tasks.insert(id))?;
                    Ok(())
                }),
            );
        }
        let games = self.challenger.advance_all(&node).await?;
        node.set_status(serde_json::json!({
            "checked": self.checked.get().tasks,
            "games": games,
        }));
        Ok(())
    }
}

impl poai_node::Role for Whistleblower {
    const NAME: &'static str = "whistleblower";

    fn node(&self) -> &Node {
        &self.node
    }

    async fn tick(&mut self) -> eyre::Result<()> {
        self.reconcile().await
    }
}

/// Checks the task's segments in `order`; challenges the first that fails.
async fn check_task(
    node: &Arc<Node>,
    opts: &Options,
    challenger: &Challenger,
    id: u64,
    result_root: poai_common::Hash,
    order: &[u64],
) -> eyre::Result<()> {
    let task = node.task(id).await?;
    let mut cps = challenge::checkpoints(node, &task, result_root).await?;
    // Every checkpoint first, from peers or opened on chain (their hashes too, when the solver
    // serves no checkpoint list): a segment is judged on its data, not challenged blind because
    // its solver withholds a checkpoint off chain and answers on chain (it would draw the
    // challenge to an honest segment and away from the fault: review 4, F2). All at once, so
    // the solver's answers take one move window, not one per segment; what is still missing
    // after that is unavailable, as before.
    if !opts.false_alarm {
        let all: Vec<u64> = (0..cps.leaves()).collect();
        // A conviction meanwhile (an opening nobody answered) does not end the check: a game
        // still ranks for the bounty, where the opening earns only the timeout reward, and on a
        // convicted task a challenger whose turn runs out gets its bond back.
        challenger
            .await_checkpoints(node, &task, result_root, &mut cps, &all)
            .await?;
    }
    for &segment in order {
        let (distance, pass) = if opts.false_alarm {
            (0.0, false)
        } else {
            // Every segment is checked, so one that starts from an unusable state needs no
            // look back: the segment before it is checked in its turn. One whose checkpoints
            // are still unavailable fails.
            let c = challenge::check_segment(node, &task, &cps, segment, opts.backend, opts.tau)
                .await?;
            (c.distance, c.pass)
        };
        node.metrics
            .inc("poai_segments_checked", "segments re-executed", 1.0);
        if !pass {
            tracing::info!(task = id, segment, distance, "segment fails tier 1");
            challenger.challenge(node, &task, segment).await?;
            return Ok(());
        }
    }
    if opts.false_alarm {
        return Ok(());
    }
    // Every segment passes tier 1: tier 2 on every op of each, all at once (the solver builds
    // each index when first asked), and a challenge of the first that has a provable fault, with
    // the faulty step remembered for the pick.
    let budget = ops::time_to_challenge(node, id).await?;
    let checks = ops::check_all(node, &task, result_root, &cps, order, budget).await;
    for (&segment, found) in order.iter().zip(checks) {
        if challenger.judged(id, segment, found?).is_some() {
            challenger.challenge(node, &task, segment).await?;
            return Ok(());
        }
    }
    tracing::info!(
        task = id,
        segments = order.len(),
        "every segment passes tiers 1 and 2"
    );
    Ok(())
}
