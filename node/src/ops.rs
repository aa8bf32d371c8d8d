//! Tier 2 on every op of a segment (issue 14, point 1): a checker fetches the solver's signed
//! index of the segment ([`poai_common::segment`]), its per-step states and its traces, and runs
//! the contract's own decision ([`dispute::find_fault`]) on each step. Tier 1 compares whole
//! states against a tolerance `τ` and misses a fraud that moves the state less (a step computed
//! in tf32 in an fp32 task moves it by about 1e-4); tier 2 bounds every op's output rigorously,
//! so any step the contract would convict is found, and the game picks it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy::primitives::U256;
use poai_common::blob::{self, Kind};
use poai_common::check::Class;
use poai_common::dispute::{self, Fault, Served};
use poai_common::merkle::Hash;
use poai_common::segment::{Index, Question};
use poai_common::tensor::Tensor;

use crate::challenge::Checkpoints;
use crate::{Loaded, Node};

/// What tier 2 found in a segment.
#[derive(Debug, Clone, PartialEq)]
pub enum OpCheck {
    /// Step `step` (offset in the segment) has a fault the contract convicts, in what the
    /// solver served behind its signed `index` (which it must post in a game, or be convicted
    /// of equivocation).
    Fault {
        step: u64,
        fault: Fault,
        index: Box<Index>,
    },
    /// Every op of every step is within its bound and every link holds, in what the solver
    /// served behind its signed `index` (the one a *pass* names).
    Clean(Box<Index>),
    /// The solver did not serve the segment's index, states or traces in time (why).
    Unserved(String),
}

/// Peers' blobs fetched at once for one segment (a segment is `2k + 1` blobs; asking for all of
/// them at once overruns a peer's inbound streams).
const PARALLEL: usize = 8;

/// Checks every op of every step of `segment` of `task` with tier 2, on what the solver served,
/// asking again (a solver builds an index when first asked; a peer at capacity drops a request)
/// until `budget` has passed.
pub async fn check(
    node: &Node,
    task: &Arc<Loaded>,
    result_root: Hash,
    checkpoints: &Checkpoints,
    segment: u64,
    budget: Duration,
) -> eyre::Result<OpCheck> {
    let until = Instant::now() + budget;
    match index(node, task, result_root, checkpoints, segment, until).await? {
        Ok(index) => served(node, task, segment, index, until).await,
        Err(why) => Ok(OpCheck::Unserved(why)),
    }
}

/// [`check`] on each of `segments`: their indexes asked for at once (a solver builds each when
/// first asked, so asking for all together costs one wait, not one a segment), then each
/// segment's steps fetched and checked in turn.
pub async fn check_all(
    node: &Node,
    task: &Arc<Loaded>,
    result_root: Hash,
    checkpoints: &Checkpoints,
    segments: &[u64],
    budget: Duration,
) -> Vec<eyre::Result<OpCheck>> {
    let until = Instant::now() + budget;
    let indexes = libp2p::futures::future::join_all(
        segments
            .iter()
            .map(|&segment| index(node, task, result_root, checkpoints, segment, until)),
    )
    .await;
    let mut out = Vec::with_capacity(segments.len());
    for (&segment, found) in segments.iter().zip(indexes) {
        out.push(match found {
            Ok(Ok(index)) => served(node, task, segment, index, until).await,
            Ok(Err(why)) => Ok(OpCheck::Unserved(why)),
            Err(e) => Err(e),
        });
    }
    out
}

/// The solver's signed index of the segment, asked for until `until`; `Err(why)` when it was
/// not served in time.
pub async fn index(
    node: &Node,
    task: &Arc<Loaded>,
    result_root: Hash,
    checkpoints: &Checkpoints,
    segment: u64,
    until: Instant,
) -> eyre::Result<Result<Index, String>> {
    let (Some(first), Some(last)) = (checkpoints.get(segment), checkpoints.get(segment + 1)) else {
        return Ok(Err("the segment's checkpoints are unknown".into()));
    };
    let solver = node
        .chain
        .market
        .task(U256::from(task.id))
        .call()
        .await?
        .solver;
    let question = Question {
        market: *node.chain.market.address(),
        task: task.id,
        result_root,
        segment,
    };
    let index = retry(until, || {
        node.segment_index(&question, solver, &first, &last)
    })
    .await;
    Ok(index.map_err(|e| format!("the index: {e:#}")))
}

/// Tier 2 on the steps `index` names, fetched (`PARALLEL` at a time, asked again until
/// `until`) and checked on a blocking thread.
async fn served(
    node: &Node,
    task: &Arc<Loaded>,
    segment: u64,
    index: Index,
    until: Instant,
) -> eyre::Result<OpCheck> {
    use libp2p::futures::{StreamExt, TryStreamExt};
    let k = task.commitments.interval;
    if index.traces.len() as u64 != k || index.states.len() as u64 != k + 1 {
        // Signed by the solver, with the committed ends, and the wrong length: the game's
        // `postSteps` refuses such a list (and a pass naming it could never be held to it), so
        // nothing is learned here; tier 1 decides.
        return Ok(OpCheck::Unserved(format!(
            "an index of {} states and {} steps for k = {k}",
            index.states.len(),
            index.traces.len()
        )));
    }
    let fetch = async |kind: Kind, hashes: &[Hash]| -> eyre::Result<Vec<Vec<Tensor>>> {
        libp2p::futures::stream::iter(hashes.iter().copied())
            .map(|h| retry(until, move || node.blob(kind, h)))
            .buffered(PARALLEL)
            .and_then(|bytes| async move { Ok(blob::decode_tensors(&bytes)?) })
            .try_collect()
            .await
    };
    let states = match fetch(Kind::State, &index.states).await {
        Ok(states) => states,
        Err(e) => return Ok(OpCheck::Unserved(format!("the per-step states: {e:#}"))),
    };
    let traces = match fetch(Kind::Trace, &index.traces).await {
        Ok(traces) => traces,
        Err(e) => return Ok(OpCheck::Unserved(format!("the traces: {e:#}"))),
    };
    let t = task.clone();
    let found =
        tokio::task::spawn_blocking(move || first_fault(&t, segment, &states, &traces)).await?;
    Ok(match found {
        Ok(Some((step, fault))) => OpCheck::Fault {
            step,
            fault,
            index: Box::new(index),
        },
        Ok(None) => OpCheck::Clean(Box::new(index)),
        Err(why) => OpCheck::Unserved(why),
    })
}

/// `attempt` until it succeeds or `until` passes (a second between tries), each try cut off at
/// `until`.
async fn retry<T, F, Fut>(until: Instant, attempt: F) -> eyre::Result<T>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = eyre::Result<T>>,
{
    loop {
        let left = until.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, attempt()).await {
            Ok(Ok(v)) => return Ok(v),
            Ok(Err(e)) if Instant::now() + Duration::from_secs(1) >= until => return Err(e),
            Ok(Err(_)) => tokio::time::sleep(Duration::from_secs(1)).await,
            Err(_) => eyre::bail!("not in time"),
        }
    }
}

/// The first step of the segment (offset, fault) the contract would convict, as
/// [`dispute::find_fault`] decides it on each step's served trace and states; `Err` names a step
/// it cannot judge (a state or trace that does not fit the program), which ends the check: what
/// comes after it is not evidence either way.
pub fn first_fault(
    task: &Loaded,
    segment: u64,
    states: &[Vec<Tensor>],
    traces: &[Vec<Tensor>],
) -> Result<Option<(u64, Fault)>, String> {
    let k = task.commitments.interval;
    let class = Class::from_code(task.commitments.class).unwrap_or_default();
    for (i, slots) in traces.iter().enumerate() {
        let (Some(start), Some(next)) = (states.get(i), states.get(i + 1)) else {
            return Err(format!("no states around step {i}"));
        };
        let served = Served {
            program: &task.program,
            dataset: &task.dataset,
            seed: &task.spec.training.seed,
            class,
            step: segment * k + i as u64,
            slots,
            start,
            next,
        };
        match dispute::find_fault(&served) {
            Ok(Some(fault)) => return Ok(Some((i as u64, fault))),
            Ok(None) => {}
            Err(e) => return Err(format!("step {i} cannot be judged: {e}")),
        }
    }
    Ok(None)
}

/// How long a check of task `id` may take and still leave time to challenge what it finds:
/// until the challenge window closes, less a move window.
pub async fn time_to_challenge(node: &Node, id: u64) -> eyre::Result<Duration> {
    let t = node.chain.market.task(U256::from(id)).call().await?;
    let window: u64 = node.chain.availability.moveWindow().call().await?;
    let until = t.deadline.saturating_sub(window);
    Ok(Duration::from_secs(
        until.saturating_sub(node.chain.now().await?),
    ))
}
