//! The challenger's side of the dispute game (DESIGN §6), played by verifiers and
//! whistleblowers alike: challenge a segment with the task's bond, pick the step
//! ([`dispute::pick_step`] on the solver's served per-step states), prove the fault in the
//! posted trace ([`dispute::find_fault`]), and claim a timeout when the solver stops moving.
//! Everything it reads from the solver is fetched by the name the solver committed on chain.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use alloy::primitives::U256;
use eyre::{WrapErr, eyre};
use poai_common::blob::{self, Kind};
use poai_common::chain::bindings::market::Games;
use poai_common::check::Class;
use poai_common::dispute::{self, Proof, Served};
use poai_common::engine::Backend;
use poai_common::tensor::Tensor;

use crate::{Loaded, Node};

/// The game's phases, as `Games.Phase` numbers them.
pub mod phase {
    pub const AWAIT_STEPS: u8 = 1;
    pub const AWAIT_PICK: u8 = 2;
    pub const AWAIT_TRACE: u8 = 3;
    pub const AWAIT_PROOF: u8 = 4;
    pub const CHALLENGER_WON: u8 = 5;
    pub const SOLVER_WON: u8 = 6;
    pub const ENDED: u8 = 7;

    pub fn name(p: u8) -> &'static str {
        match p {
            AWAIT_STEPS => "awaiting steps",
            AWAIT_PICK => "awaiting pick",
            AWAIT_TRACE => "awaiting trace",
            AWAIT_PROOF => "awaiting proof",
            CHALLENGER_WON => "challenger won",
            SOLVER_WON => "solver won",
            ENDED => "ended",
            _ => "none",
        }
    }
}

#[derive(Debug)]
pub struct Challenger {
    backend: Backend,
    /// `(game, phase)` of moves sent or in flight, so none is sent twice.
    moved: Mutex<HashSet<(u64, u8)>>,
}

impl Challenger {
    pub fn new(backend: Backend) -> Self {
        Self {
            backend,
            moved: Default::default(),
        }
    }

    /// Challenges `segment` of `task`, bonding the task's challenge bond; returns the game.
    pub async fn challenge(&self, node: &Node, task: &Loaded, segment: u64) -> eyre::Result<u64> {
        let t = node.chain.market.task(U256::from(task.id)).call().await?;
        let call = node
            .chain
            .market
            .challenge(U256::from(task.id), segment)
            .value(t.terms.challengeBond);
        let receipt = node
            .chain
            .send(
                call.into_transaction_request(),
                format!("challenge task {} segment {segment}", task.id),
            )
            .await?;
        let game = receipt
            .decoded_log::<poai_common::chain::bindings::market::Market::Challenged>()
            .map(|l| l.data.game.to::<u64>())
            .ok_or_else(|| eyre!("no Challenged event in the receipt"))?;
        node.metrics
            .inc("poai_challenges", "challenges this node opened", 1.0);
        tracing::info!(task = task.id, segment, game, "challenged");
        Ok(game)
    }

    /// Takes the next move in every open game this node started.
    pub async fn advance_all(&self, node: &Arc<Node>) -> eyre::Result<Vec<serde_json::Value>> {
        let count: u64 = node.chain.market.gameCount().call().await?.to();
        let mut games = Vec::new();
        for id in 1..=count {
            let g = node.chain.market.game(U256::from(id)).call().await?;
            if g.challenger != node.chain.address {
                continue;
            }
            games.push(serde_json::json!({
                "game": id,
                "task": g.task.to::<u64>(),
                "segment": g.segment,
                "phase": phase::name(g.phase),
                "step": g.step,
            }));
            if let Err(e) = self.advance(node, id, &g).await {
                tracing::warn!(game = id, error = %format!("{e:#}"), "move failed; retrying");
                self.moved
                    .lock()
                    .expect("not poisoned")
                    .remove(&(id, g.phase));
            }
        }
        Ok(games)
    }

    fn first_time(&self, id: u64, phase: u8) -> bool {
        self.moved.lock().expect("not poisoned").insert((id, phase))
    }

    async fn advance(&self, node: &Arc<Node>, id: u64, g: &Games::Game) -> eyre::Result<()> {
        let market = &node.chain.market;
        if !(phase::AWAIT_STEPS..=phase::AWAIT_PROOF).contains(&g.phase) {
            return Ok(());
        }
        let task_id = g.task.to::<u64>();
        let status = market.task(g.task).call().await?.status;
        if status == crate::status::SLASHED {
            if self.first_time(id, phase::ENDED) {
                node.chain
                    .send(
                        market.endGame(U256::from(id)).into_transaction_request(),
                        format!("end game {id}"),
                    )
                    .await?;
            }
            return Ok(());
        }
        let solver_moves = matches!(g.phase, phase::AWAIT_STEPS | phase::AWAIT_TRACE);
        if solver_moves {
            if node.chain.now().await? > g.deadline && self.first_time(id, 100 + g.phase) {
                node.chain
                    .send(
                        market.timeout(U256::from(id)).into_transaction_request(),
                        format!("game {id}: the solver missed its move"),
                    )
                    .await?;
                tracing::info!(game = id, "the solver timed out");
            }
            return Ok(());
        }
        if !self.first_time(id, g.phase) {
            return Ok(());
        }
        let task = node.task(task_id).await?;
        let hashes = blob::decode_hashes(&node.blob(Kind::Hashes, g.stepsRoot.0).await?)?;
        if g.phase == phase::AWAIT_PICK {
            let mut states = Vec::with_capacity(hashes.len());
            for h in &hashes {
                states.push(node.state(*h).await?);
            }
            let (backend, t, segment) = (self.backend, task.clone(), g.segment);
            let pick = tokio::task::spawn_blocking(move || -> eyre::Result<dispute::Pick> {
                let engine = t.engine(backend)?;
                Ok(dispute::pick_step(
                    &engine,
                    &states,
                    t.commitments.interval,
                    segment,
                )?)
            })
            .await??;
            tracing::info!(
                game = id,
                step = pick.step,
                distance = pick.distance,
                "picking the step"
            );
            node.chain
                .send(
                    market
                        .pickStep(U256::from(id), pick.step)
                        .into_transaction_request(),
                    format!("game {id}: pick step {}", pick.step),
                )
                .await?;
            return Ok(());
        }
        // Move 4: the proof.
        let offset = g.step;
        let start = node.state(hashes[offset as usize]).await?;
        let next = node.state(hashes[offset as usize + 1]).await?;
        let slots = blob::decode_tensors(&node.blob(Kind::Trace, g.traceRoot.0).await?)?;
        let t = task.clone();
        let number = g.segment * task.commitments.interval + offset;
        let found = tokio::task::spawn_blocking(move || -> eyre::Result<Option<Proof>> {
            let served = Served {
                program: &t.program,
                dataset: &t.dataset,
                seed: &t.spec.training.seed,
                class: Class::from_code(t.commitments.class).unwrap_or_default(),
                step: number,
                slots: &slots,
                start: &start,
                next: &next,
            };
            match dispute::find_fault(&served)? {
                None => Ok(None),
                Some(fault) => {
                    tracing::info!(?fault, step = number, "found the fault");
                    Ok(Some(fault.proof(&served, &hashes, offset)?))
                }
            }
        })
        .await??;
        let Some(proof) = found else {
            tracing::warn!(
                game = id,
                "no provable fault in the posted trace; the bond is lost"
            );
            return Ok(());
        };
        let what = format!("game {id}: prove fraud");
        let tx = match proof {
            Proof::Op(b) => market
                .proveOp(U256::from(id), b.into())
                .into_transaction_request(),
            Proof::Load(b) => market
                .proveLoad(U256::from(id), b.into())
                .into_transaction_request(),
            Proof::Link(l) => market
                .proveLink(U256::from(id), l)
                .into_transaction_request(),
        };
        let receipt = node.chain.send(tx, what).await.wrap_err("the proof")?;
        node.metrics
            .inc("poai_frauds_proven", "fraud proofs this node won", 1.0);
        tracing::info!(
            game = id,
            gas = receipt.gas_used,
            "fraud proven; the solver is slashed"
        );
        Ok(())
    }
}

/// The solver's checkpoint list of a task (the `hashes` blob named by `resultRoot`), or `None`
/// (logged) when nobody serves it or it does not have `T/k + 1` entries.
pub async fn checkpoints(
    node: &Node,
    task: &Loaded,
    result_root: poai_common::Hash,
) -> eyre::Result<Option<Vec<poai_common::Hash>>> {
    let list = match node.blob(Kind::Hashes, result_root).await {
        Ok(bytes) => blob::decode_hashes(&bytes)?,
        Err(e) => {
            tracing::warn!(task = task.id, error = %e, "the solver's checkpoint list is unavailable");
            return Ok(None);
        }
    };
    Ok((list.len() as u64 == task.segments() + 1).then_some(list))
}

/// Tier 1 on one segment: re-runs it from the solver's checkpoint `j` on `backend` and compares
/// with checkpoint `j + 1`. Returns the worst distance (infinite if a checkpoint cannot be
/// fetched or is malformed) and whether it passes `tau`.
pub async fn check_segment(
    node: &Node,
    task: &Arc<Loaded>,
    checkpoints: &[poai_common::Hash],
    segment: u64,
    backend: Backend,
    tau: f64,
) -> eyre::Result<(f64, bool)> {
    let fetch = async |i: usize| -> Option<Vec<Tensor>> { node.state(checkpoints[i]).await.ok() };
    let (Some(start), Some(end)) = (
        fetch(segment as usize).await,
        fetch(segment as usize + 1).await,
    ) else {
        tracing::warn!(
            task = task.id,
            segment,
            "the solver's checkpoints are unavailable"
        );
        return Ok((f64::INFINITY, false));
    };
    let t = task.clone();
    let distance = tokio::task::spawn_blocking(move || -> eyre::Result<f64> {
        let engine = t.engine(backend)?;
        if engine.check_state(&start).is_err() {
            return Ok(f64::INFINITY);
        }
        let k = t.commitments.interval;
        let mut state = engine.upload(&start)?;
        for s in segment * k..(segment + 1) * k {
            state = engine.step(state, s).0;
        }
        let own = engine.download(state)?;
        Ok(poai_common::tolerance::Comparison::new(&end, &own, tau).worst())
    })
    .await??;
    Ok((distance, distance <= tau))
}
