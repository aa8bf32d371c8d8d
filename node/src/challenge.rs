//! The challenger's side of the dispute game (DESIGN §6), played by verifiers and
//! whistleblowers alike: challenge a segment with the task's bond, pick the step
//! ([`dispute::pick_step`] on the solver's served per-step states), prove the fault in the
//! posted trace ([`dispute::find_fault`]), and claim a timeout when the solver stops moving.
//! Everything it reads from the solver is fetched by the name the solver committed on chain.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use alloy::primitives::{B256, U256};
use eyre::{WrapErr, eyre};
use poai_common::blob::{self, Kind};
use poai_common::chain::bindings::availability::Availability;
use poai_common::chain::bindings::dispute::Dispute;
use poai_common::check::Class;
use poai_common::dispute::{self, Proof, Served};
use poai_common::engine::Backend;
use poai_common::segment::Index;
use poai_common::tensor::Tensor;

use crate::{Loaded, Node, opened};

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
    /// `(task, list, from, to)` of the ranges demanded on chain, so nothing is demanded twice.
    demanded: Mutex<HashSet<(u64, poai_common::Hash, u32, u32)>>,
    /// Faults found by tier 2 on a segment's served steps ([`crate::ops`]), by `(task,
    /// segment)`: the step and the per-step state hashes it was found on. A game on the segment
    /// whose posted steps are these picks that step.
    faults: Mutex<HashMap<(u64, u64), FaultyStep>>,
    /// The batch of others' overdue requests being closed ([`Self::close_requests`]).
    closing: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// A step tier 2 found faulty (its offset in the segment) and the solver's signed index it was
/// found on.
type FaultyStep = (u64, Index);

/// The most checkpoints of one task a checker demands on chain before it decides (review of
/// F2: each demand is a bond that a solver which serves nothing off chain, yet answers on chain,
/// keeps; a solver that withholds one checkpoint to steer a check is met, one that withholds
/// them all is challenged as before).
pub const MAX_DEMANDS: usize = 2;

/// The most leaves of one task's `resultRoot` a checker demands on chain when the solver serves
/// no checkpoint list (property 2: a checker given nothing off chain can still name every
/// checkpoint; each leaf is a bond, back whole if the task is convicted).
pub const MAX_LEAF_DEMANDS: usize = 16;

/// A `demanded` key's last field for a leaf of `resultRoot` (ranges of lists use `from..to`).
const LEAF: u32 = u32::MAX;

/// The most overdue requests of others a checker closes a tick (review of today's fixes, 3).
pub const MAX_OTHERS_CLOSED: usize = 16;

/// The `moved` key's phase for a task this node settled (game phases are below it).
const SETTLED: u8 = 201;

/// `Availability.Source`, as the contract numbers it.
pub mod source {
    pub const INIT: u8 = 1;
    pub const CHECKPOINT: u8 = 2;
    pub const STEP_STATE: u8 = 3;
    pub const TRACE_SLOT: u8 = 4;
}

impl Challenger {
    pub fn new(backend: Backend) -> Self {
        Self {
            backend,
            moved: Default::default(),
            demanded: Default::default(),
            faults: Default::default(),
            closing: Default::default(),
        }
    }

    /// Remembers that step `step` of `segment` of `task`, served behind the solver's signed
    /// `index`, has a provable fault, or is where the solver's posted data departs from that
    /// index: a game on the segment picks it, and proves equivocation if the solver posts (or
    /// posted) other states or another trace than it signed.
    pub fn found_fault(&self, task: u64, segment: u64, step: u64, index: Index) {
        self.faults
            .lock()
            .expect("not poisoned")
            .insert((task, segment), (step, index));
    }

    /// What tier 2 found in `segment` of `task`: a fault is remembered for the game (its step
    /// returned), an unserved segment logged.
    pub fn judged(&self, task: u64, segment: u64, found: crate::ops::OpCheck) -> Option<u64> {
        use crate::ops::OpCheck;
        match found {
            OpCheck::Fault { step, fault, index } => {
                tracing::info!(task, segment, step, ?fault, "tier 2 finds a provable fault");
                self.found_fault(task, segment, step, *index);
                Some(step)
            }
            OpCheck::Clean(_) => None,
            OpCheck::Unserved(why) => {
                tracing::warn!(
                    task,
                    segment,
                    why,
                    "tier 2 not run: the solver did not serve"
                );
                None
            }
        }
    }

    /// The solver's signed index of `segment` of `task` that tier 2 found a fault in.
    fn signed_index(&self, task: u64, segment: u64) -> Option<(u64, Index)> {
        self.faults
            .lock()
            .expect("not poisoned")
            .get(&(task, segment))
            .cloned()
    }

    /// Challenges `segment` of `task`, bonding the task's challenge bond; returns the game.
    pub async fn challenge(&self, node: &Node, task: &Loaded, segment: u64) -> eyre::Result<u64> {
        let t = node.chain.market.task(U256::from(task.id)).call().await?;
        let call = node
            .chain
            .dispute
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
            .decoded_log::<Dispute::Challenged>()
            .map(|l| l.data.game.to::<u64>())
            .ok_or_else(|| eyre!("no Challenged event in the receipt"))?;
        node.metrics
            .inc("poai_challenges", "challenges this node opened", 1.0);
        tracing::info!(task = task.id, segment, game, "challenged");
        Ok(game)
    }

    /// Closes every request past its deadline, this node's and others' alike: an unanswered
    /// one convicts the task. Left open, another's overdue opening would also keep counting
    /// towards the openings of a named segment's data that can fault it
    /// (`MAX_NAMED_OPENINGS`), a cheap shield for a lazy pass (review of the guard, 2). This
    /// node's own are closed here, one by one (a failure is retried next tick); others', at most
    /// [`MAX_OTHERS_CLOSED`] a tick, all at once on a task of their own, so that a flood of
    /// overdue requests never holds up this node's own moves (review of today's fixes, 3).
    pub async fn close_requests(&self, node: &Arc<Node>) -> eyre::Result<()> {
        let a = &node.chain.availability;
        let count: u64 = a.requestCount().call().await?.to();
        let now = node.chain.now().await?;
        // Others' are read and sent only when no earlier batch is in flight; one that failed is
        // still open, and read again for the next batch (review of the final fixes, 3).
        let idle = self
            .closing
            .lock()
            .expect("not poisoned")
            .as_ref()
            .is_none_or(|j| j.is_finished());
        let mut others = Vec::new();
        let mut first = Ok(());
        for id in 1..=count {
            let r = match a.request(U256::from(id)).call().await {
                Ok(r) => r,
                Err(e) => {
                    first = first.and(Err(e.into()));
                    continue;
                }
            };
            let mine = r.requester == node.chain.address;
            if !r.open {
                // A conviction this node's opening won (or helped) is settled by it too (review
                // 5, 3): its reward and the bonds of its answered openings are paid then.
                if mine && let Err(e) = self.settle(node, r.task).await {
                    tracing::warn!(request = id, error = %format!("{e:#}"), "settling failed; retrying");
                }
                continue;
            }
            if now <= r.deadline {
                continue;
            }
            if !mine {
                if idle && others.len() < MAX_OTHERS_CLOSED {
                    others.push(id);
                }
                continue;
            }
            if !self.first_time(u64::MAX - id, 0) {
                continue;
            }
            let sent = node
                .chain
                .send(
                    a.requestTimeout(U256::from(id)).into_transaction_request(),
                    format!("request {id}: unanswered"),
                )
                .await;
            match sent {
                Ok(_) => tracing::warn!(
                    request = id,
                    task = r.task.to::<u64>(),
                    "the solver did not answer; the task is convicted"
                ),
                Err(e) => {
                    self.moved
                        .lock()
                        .expect("not poisoned")
                        .remove(&(u64::MAX - id, 0));
                    first = first.and(Err(e.into()));
                }
            }
        }
        if !others.is_empty() {
            let node = node.clone();
            let batch = tokio::spawn(async move {
                let closes = others.iter().map(|&id| {
                    let call = node.chain.availability.requestTimeout(U256::from(id));
                    let what = format!("request {id} (another's): its time ran out");
                    let node = &node;
                    async move {
                        (
                            id,
                            node.chain.send(call.into_transaction_request(), what).await,
                        )
                    }
                });
                for (id, sent) in libp2p::futures::future::join_all(closes).await {
                    match sent {
                        Ok(_) => tracing::info!(request = id, "closed another's overdue request"),
                        Err(e) => {
                            tracing::debug!(request = id, error = %e, "another's request not closed")
                        }
                    }
                }
            });
            *self.closing.lock().expect("not poisoned") = Some(batch);
        }
        first
    }

    /// Takes the next move in every open game this node started.
    pub async fn advance_all(&self, node: &Arc<Node>) -> eyre::Result<Vec<serde_json::Value>> {
        if let Err(e) = self.close_requests(node).await {
            tracing::warn!(error = %format!("{e:#}"), "closing requests failed; retrying");
        }
        let count: u64 = node.chain.dispute.gameCount().call().await?.to();
        let mut games = Vec::new();
        for id in 1..=count {
            let g = node.chain.dispute.game(U256::from(id)).call().await?;
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

    /// Splits the stake of a task this node's game or opening convicted, once the task's window
    /// has closed and its cases have ended (the bounty, or a timeout's reward, is paid then; the
    /// named passes of a segment a game faulted are burned), and takes back the bonds of its
    /// openings the convicted solver answered.
    async fn settle(&self, node: &Node, task: U256) -> eyre::Result<()> {
        let market = &node.chain.market;
        let t = market.task(task).call().await?;
        // Keyed by task, apart from the games' moves (phases below 200).
        let key = (task.to::<u64>(), SETTLED);
        if t.status != crate::status::SLASHED
            || t.openCases != 0
            || node.chain.now().await? <= t.deadline
            || self.moved.lock().expect("not poisoned").contains(&key)
        {
            return Ok(());
        }
        let conviction = market.conviction(task).call().await?;
        if !conviction.settled {
            if let Err(e) = node
                .chain
                .send(
                    market.settle(task).into_transaction_request(),
                    format!("settle task {task}"),
                )
                .await
            {
                // Someone else may have settled it in the meantime: read again next tick.
                return Err(e.into());
            }
            tracing::info!(task = task.to::<u64>(), "settled: the stake is split");
        }
        if market.heldFor(task, node.chain.address).call().await? > U256::ZERO {
            node.chain
                .send(
                    market.reclaim(task).into_transaction_request(),
                    format!("task {task}: reclaim answered openings' bonds"),
                )
                .await?;
        }
        self.moved.lock().expect("not poisoned").insert(key);
        Ok(())
    }

    /// The list `subject` whole — a state (`kind` `State`, its tensors) or a trace (`Trace`,
    /// its slots) — from this node's store or its peers, or as the solver opened it on chain
    /// (then kept in the store, checked against its name). When entries are still missing, asks
    /// the solver on chain for them (once; ranges planned from the program's `shapes` to fit
    /// one answer) and returns `None`: the solver must open them or lose the task (AUDIT C2).
    #[allow(clippy::too_many_arguments)]
    async fn whole(
        &self,
        node: &Node,
        task: &Loaded,
        task_id: U256,
        kind: Kind,
        subject: poai_common::Hash,
        shapes: &[poai_common::program::Shape],
        w: Availability::Where,
    ) -> eyre::Result<Option<Vec<Tensor>>> {
        if kind == Kind::State && subject == task.commitments.init_state_hash {
            return Ok(Some(task.spec.training.initial_state()));
        }
        // A list of another length than the program's proves nothing (no link or op proof can
        // name an entry the layout does not have): what the chain opens, counted by the layout,
        // decides (the solver cannot open it, and is convicted).
        let counted = |list: Vec<Tensor>| (list.len() == shapes.len()).then_some(list);
        if let Some(bytes) = node.store.read(kind, &subject)
            && let Some(list) = counted(blob::decode_tensors(&bytes)?)
        {
            return Ok(Some(list));
        }
        // What the chain opened already is read before the network is asked: a solver whose
        // peer never answers costs each fetch its whole timeout.
        let mut opened = opened::entries(node, subject).await?;
        if opened.len() < shapes.len() {
            if let Ok(bytes) = node.blob(kind, subject).await
                && let Some(list) = counted(blob::decode_tensors(&bytes)?)
            {
                return Ok(Some(list));
            }
            opened = opened::entries(node, subject).await?;
        }
        let values = |i: usize| match opened.get(&i) {
            Some(opened::Entry::Values(t)) => Some(t.clone()),
            _ => None,
        };
        if let Some(list) = (0..shapes.len())
            .map(values)
            .collect::<Option<Vec<Tensor>>>()
        {
            let name = node.store.put(kind, &blob::encode_tensors(&list))?;
            if name != subject {
                eyre::bail!("what the chain opened is not {}", crate::hex0x(&subject));
            }
            tracing::info!(task = task.id, %kind, list = %crate::hex0x(&subject), "rebuilt from its opening on chain");
            return Ok(Some(list));
        }
        // Plan by the shapes answers showed where they showed them (a range answered by its
        // headers is asked for again in parts that fit), else by the program's.
        let shapes: Vec<(u32, u32)> = shapes
            .iter()
            .enumerate()
            .map(|(i, s)| match opened.get(&i) {
                Some(opened::Entry::Header { rows, cols }) => (*rows, *cols),
                _ => (s.rows, s.cols),
            })
            .collect();
        let a = &node.chain.availability;
        let caps = opened::Caps {
            bytes: a.MAX_DATA_BYTES().call().await?.saturating_to(),
            rows: a.MAX_DATA_ROWS().call().await?.saturating_to(),
        };
        let missing: Vec<usize> = (0..shapes.len()).filter(|&i| values(i).is_none()).collect();
        for (from, to) in opened::ranges(&missing, &shapes, caps) {
            let key = (task.id, subject, from, to);
            if !self.demanded.lock().expect("not poisoned").insert(key) {
                if to == from + 1
                    && matches!(
                        opened.get(&(from as usize)),
                        Some(opened::Entry::Header { .. })
                    )
                {
                    tracing::warn!(
                        task = task.id,
                        entry = from,
                        "an entry too large to open whole; only row openings reach it (not asked for yet)"
                    );
                }
                continue;
            }
            let call = a.requestData(task_id, w.clone(), from, to);
            let what = format!(
                "task {}: open {kind} {} entries {from}..{to} on chain",
                task.id,
                crate::hex0x(&subject)
            );
            if let Err(e) = self
                .demand(node, task_id, call.into_transaction_request(), what)
                .await
            {
                self.demanded.lock().expect("not poisoned").remove(&key);
                return Err(e);
            }
        }
        Ok(None)
    }

    /// Checkpoints `indices` (each known to `cps`), each from this node's store, its peers or
    /// what the solver opened on chain. Those still missing are demanded on chain (whole, once
    /// each) and `false` is returned: ask again once the solver had its time to answer. A checker
    /// must not pass over a checkpoint it cannot fetch, or the solver steers it by what it
    /// withholds (review 4, F2).
    async fn open_checkpoints(
        &self,
        node: &Node,
        task: &Loaded,
        cps: &Checkpoints,
        indices: &[u64],
    ) -> eyre::Result<bool> {
        let wanted = indices.iter().map(|&i| async move {
            let (hash, siblings) = cps
                .leaf(i)
                .ok_or_else(|| eyre!("checkpoint {i} of task {} is not known", task.id))?;
            let w = Availability::Where {
                source: source::CHECKPOINT,
                index: U256::from(i),
                stateHash: hash.into(),
                siblings: siblings.iter().map(|h| (*h).into()).collect(),
                layout: task.program.layout().into(),
                ..where_nothing()
            };
            let task_id = U256::from(task.id);
            self.whole(
                node,
                task,
                task_id,
                Kind::State,
                hash,
                &task.program.state,
                w,
            )
            .await
        });
        let found = libp2p::futures::future::join_all(wanted).await;
        let mut open = true;
        for state in found {
            open &= state?.is_some();
        }
        Ok(open)
    }

    /// Leaves `indices` of the task's `resultRoot` that `cps` does not know (the solver served
    /// no checkpoint list), demanded on chain with `requestLeaf` (once each) and waited for as
    /// [`Self::await_checkpoints`] waits: `true` once `cps` knows them all. `false` without a
    /// demand when more than [`MAX_LEAF_DEMANDS`] are missing.
    async fn await_leaves(
        &self,
        node: &Node,
        task: &Loaded,
        result_root: poai_common::Hash,
        cps: &mut Checkpoints,
        indices: &[u64],
        paths: bool,
    ) -> eyre::Result<bool> {
        let missing = cps.missing(indices, paths);
        if missing.is_empty() {
            return Ok(true);
        }
        if too_many(task, &missing, MAX_LEAF_DEMANDS, "checkpoint hashes") {
            return Ok(false);
        }
        let task_id = U256::from(task.id);
        for &i in &missing {
            let key = (task.id, result_root, i as u32, LEAF);
            if !self.demanded.lock().expect("not poisoned").insert(key) {
                continue;
            }
            let call = node.chain.availability.requestLeaf(task_id, U256::from(i));
            let what = format!("task {}: open leaf {i} of its result on chain", task.id);
            if let Err(e) = self
                .demand(node, task_id, call.into_transaction_request(), what)
                .await
            {
                self.demanded.lock().expect("not poisoned").remove(&key);
                return Err(e);
            }
        }
        let give_up = give_up_at(node, task.id).await?;
        loop {
            cps.read_opened(node, task.id).await?;
            if cps.missing(indices, paths).is_empty() {
                return Ok(true);
            }
            if !still_waiting(node, task.id, give_up).await? {
                return Ok(false);
            }
        }
    }

    /// The paths into `resultRoot` of checkpoints `indices` a naming proves, leaves demanded on
    /// chain where the solver served no list (as [`Self::await_checkpoints`] demands them):
    /// `true` once every one is known with its path.
    pub async fn await_paths(
        &self,
        node: &Node,
        task: &Loaded,
        result_root: poai_common::Hash,
        cps: &mut Checkpoints,
        indices: &[u64],
    ) -> eyre::Result<bool> {
        self.await_leaves(node, task, result_root, cps, indices, true)
            .await
    }

    /// Checkpoints `indices`, with those nobody serves demanded on chain and waited for
    /// ([`Self::open_checkpoints`]), their hashes first when the solver served no checkpoint
    /// list ([`Self::await_leaves`]): `true` once every one is open. `false` without a demand
    /// when more than [`MAX_DEMANDS`] states are missing (each demand costs a bond when a solver
    /// that withholds off chain answers it on chain: the caller falls back to what it did
    /// without them); `false` too once the task is no longer committed, or when the solver's
    /// time to answer has passed ([`give_up_at`]). A checkpoint still missing then (one too
    /// large to open whole reaches only row openings) is the caller's to work around, as an
    /// unavailable one.
    pub async fn await_checkpoints(
        &self,
        node: &Node,
        task: &Loaded,
        result_root: poai_common::Hash,
        cps: &mut Checkpoints,
        indices: &[u64],
    ) -> eyre::Result<bool> {
        match self
            .await_leaves(node, task, result_root, cps, indices, false)
            .await
        {
            Ok(true) => {}
            Ok(false) => return Ok(false),
            // (A failed demand, or an RPC that will not search the logs: the caller goes on
            // without them, as when they are not answered.)
            Err(e) => {
                tracing::warn!(task = task.id, error = %format!("{e:#}"), "checkpoint hashes not opened");
                return Ok(false);
            }
        }
        // What this node has or its peers serve (the first checkpoint is the task's own).
        let served = libp2p::futures::future::join_all(indices.iter().map(|&i| {
            let hash = cps.get(i);
            async move {
                match hash {
                    _ if i == 0 => true,
                    Some(h) => node.blob(Kind::State, h).await.is_ok(),
                    None => false,
                }
            }
        }))
        .await;
        let missing: Vec<u64> = indices
            .iter()
            .zip(served)
            .filter(|(_, served)| !served)
            .map(|(&i, _)| i)
            .collect();
        if missing.is_empty() {
            return Ok(true);
        }
        if too_many(task, &missing, MAX_DEMANDS, "checkpoints") {
            return Ok(false);
        }
        let mut give_up = None;
        loop {
            match self.open_checkpoints(node, task, cps, &missing).await {
                Ok(true) => return Ok(true),
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(task = task.id, error = %format!("{e:#}"), "checkpoints not opened");
                    return Ok(false);
                }
            }
            // From when the demands are out: the first call may wait on a silent peer.
            let give_up = match give_up {
                Some(at) => at,
                None => *give_up.insert(give_up_at(node, task.id).await?),
            };
            if !still_waiting(node, task.id, give_up).await? {
                return Ok(false);
            }
        }
    }

    /// Sends a demand with the bond a request on the task takes now: the task's, or more while
    /// a flood of requests is open on it (docs/PROTOCOL.md §9).
    async fn demand(
        &self,
        node: &Node,
        task_id: U256,
        tx: alloy::rpc::types::TransactionRequest,
        what: String,
    ) -> eyre::Result<()> {
        // The price is read again when another request moved it between the read and the send
        // (the contract takes what is sent if it is at least the price).
        let mut attempt = 0;
        loop {
            let bond = node.chain.availability.bondFor(task_id).call().await?;
            match node.chain.send(tx.clone().value(bond), what.clone()).await {
                Ok(_) => {
                    tracing::warn!(task = task_id.to::<u64>(), %what, %bond, "demanded unavailable data on chain");
                    return Ok(());
                }
                Err(crate::chain::Error::Rejected { reason, .. })
                    if reason.contains("WrongBond") && attempt < 3 =>
                {
                    attempt += 1;
                    tracing::info!(%what, %bond, "the request's price moved; reading it again");
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn first_time(&self, id: u64, phase: u8) -> bool {
        self.moved.lock().expect("not poisoned").insert((id, phase))
    }

    async fn advance(&self, node: &Arc<Node>, id: u64, g: &Dispute::Game) -> eyre::Result<()> {
        let dispute = &node.chain.dispute;
        if matches!(g.phase, phase::CHALLENGER_WON | phase::ENDED) {
            return self.settle(node, g.task).await;
        }
        if !(phase::AWAIT_STEPS..=phase::AWAIT_PROOF).contains(&g.phase) {
            return Ok(());
        }
        let task_id = g.task.to::<u64>();
        // A game plays on after another case convicted the task: a proof still earns the
        // bounty, if it is the best one (docs/PROTOCOL.md §9).
        let solver_moves = matches!(g.phase, phase::AWAIT_STEPS | phase::AWAIT_TRACE);
        if solver_moves {
            if node.chain.now().await? > g.deadline && self.first_time(id, 100 + g.phase) {
                node.chain
                    .send(
                        dispute.timeout(U256::from(id)).into_transaction_request(),
                        format!("game {id}: the solver missed its move"),
                    )
                    .await?;
                tracing::info!(game = id, "the solver timed out");
            }
            return Ok(());
        }
        // The challenger's turn. Once another case convicted the task, a turn that runs out
        // ends the game with the bond returned: claim it.
        let t = node.chain.market.task(g.task).call().await?;
        if t.status == crate::status::SLASHED
            && node.chain.now().await? > g.deadline
            && self.first_time(id, phase::ENDED)
        {
            node.chain
                .send(
                    dispute.timeout(U256::from(id)).into_transaction_request(),
                    format!("game {id}: end it, the task is convicted"),
                )
                .await?;
            return Ok(());
        }
        if !self.first_time(id, g.phase) {
            return Ok(());
        }
        let task = node.task(task_id).await?;
        let hashes = steps_posted(node, task_id, g.segment).await?;
        let signed = self.signed_index(task_id, g.segment);
        // The step remembered with the solver's signed index: the faulty one, or any, when the
        // posted per-step states are not the signed ones (the equivocation is proven at any).
        let known = signed.as_ref().map(|(step, _)| *step);
        if let (phase::AWAIT_PICK, Some(step)) = (g.phase, known) {
            tracing::info!(game = id, step, "picking the step tier 2 found faulty");
            node.chain
                .send(
                    dispute
                        .pickStep(U256::from(id), step)
                        .into_transaction_request(),
                    format!("game {id}: pick step {step}"),
                )
                .await?;
            return Ok(());
        }
        if g.phase == phase::AWAIT_PICK {
            let shapes = &task.program.state;
            let tree = poai_common::merkle::Tree::from_payloads(&hashes)?;
            let mut states = Vec::with_capacity(hashes.len());
            let mut missing = 0;
            // Every per-step state at once: fetches that wait on a silent peer wait together.
            let wheres = hashes
                .iter()
                .enumerate()
                .map(|(i, h)| Ok(step_state(&task, g, *h, &tree.proof(i as u64)?.siblings, i)))
                .collect::<eyre::Result<Vec<_>>>()?;
            let found = libp2p::futures::future::join_all(
                hashes
                    .iter()
                    .zip(wheres)
                    .map(|(h, w)| self.whole(node, &task, g.task, Kind::State, *h, shapes, w)),
            )
            .await;
            for state in found {
                match state? {
                    Some(state) => states.push(state),
                    None => missing += 1,
                }
            }
            if missing > 0 {
                eyre::bail!("{missing} per-step states are unavailable; asked on chain");
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
                    dispute
                        .pickStep(U256::from(id), pick.step)
                        .into_transaction_request(),
                    format!("game {id}: pick step {}", pick.step),
                )
                .await?;
            return Ok(());
        }
        // Move 4: the proof. First, whether the solver posted other states or another trace than
        // it signed in the index tier 2 judged (review of segment indexes, C1).
        let trace_root = dispute.traceRoot(g.task, g.segment, g.step).call().await?.0;
        if let Some((_, index)) = &signed
            && (index.states != hashes || index.traces.get(g.step as usize) != Some(&trace_root))
        {
            let tree = poai_common::merkle::Tree::from_payloads(&index.traces)?;
            let path = tree.proof(g.step)?.siblings;
            let signed = Dispute::Signed {
                statesRoot: B256::from(poai_common::merkle::root_of_payloads(&index.states)?),
                tracesRoot: B256::from(tree.root()),
                signature: index.signature.to_vec().into(),
            };
            let leaf = index
                .traces
                .get(g.step as usize)
                .copied()
                .unwrap_or_default();
            let call = dispute.proveEquivocation(
                U256::from(id),
                signed,
                B256::from(leaf),
                path.iter().map(|h| B256::from(*h)).collect(),
            );
            node.chain
                .send(
                    call.into_transaction_request(),
                    format!("game {id}: prove the solver posted other than it signed"),
                )
                .await
                .wrap_err("the equivocation proof")?;
            node.metrics
                .inc("poai_frauds_proven", "fraud proofs this node won", 1.0);
            tracing::info!(game = id, "equivocation proven; the solver is slashed");
            return Ok(());
        }
        let offset = g.step as usize;
        let tree = poai_common::merkle::Tree::from_payloads(&hashes)?;
        let mut pair = Vec::with_capacity(2);
        for i in [offset, offset + 1] {
            let w = step_state(&task, g, hashes[i], &tree.proof(i as u64)?.siblings, i);
            let state = self.whole(
                node,
                &task,
                g.task,
                Kind::State,
                hashes[i],
                &task.program.state,
                w,
            );
            pair.push(state.await?);
        }
        let shapes = task.program.validate()?;
        let w = Availability::Where {
            source: source::TRACE_SLOT,
            segment: g.segment,
            step: g.step,
            ..where_nothing()
        };
        let slots = self
            .whole(node, &task, g.task, Kind::Trace, trace_root, &shapes, w)
            .await?;
        let (Some(slots), Some(next), Some(start)) =
            (slots, pair.pop().flatten(), pair.pop().flatten())
        else {
            eyre::bail!("the step's states or trace are unavailable; asked on chain");
        };
        let offset = g.step;
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
            Proof::Op(b) => dispute
                .proveOp(U256::from(id), b.into())
                .into_transaction_request(),
            Proof::Load(b) => dispute
                .proveLoad(U256::from(id), b.into())
                .into_transaction_request(),
            Proof::Link(l) => dispute
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

/// Where per-step state `index` (hash `state`, path `siblings`) of the game's segment is
/// committed, for an opening.
fn step_state(
    task: &Loaded,
    g: &Dispute::Game,
    state: poai_common::Hash,
    siblings: &[poai_common::Hash],
    index: usize,
) -> Availability::Where {
    Availability::Where {
        source: source::STEP_STATE,
        segment: g.segment,
        index: U256::from(index),
        stateHash: state.into(),
        siblings: siblings.iter().map(|h| (*h).into()).collect(),
        layout: task.program.layout().into(),
        ..where_nothing()
    }
}

fn where_nothing() -> Availability::Where {
    Availability::Where {
        source: 0,
        segment: 0,
        step: 0,
        index: U256::ZERO,
        stateHash: Default::default(),
        siblings: Vec::new(),
        layout: Default::default(),
        tensor: U256::ZERO,
        tensorSiblings: Vec::new(),
    }
}

/// The logs of event `E` of the dispute contract for `segment` of `task` (both indexed).
async fn posted<E: alloy::sol_types::SolEvent>(
    node: &Node,
    task: u64,
    segment: u64,
) -> eyre::Result<Vec<E>> {
    use alloy::primitives::B256;
    use alloy::providers::Provider;
    use alloy::rpc::types::Filter;
    // Nothing about a task is logged before its result was committed: the query starts there
    // (a provider may cap a query's range of blocks).
    let committed = node
        .chain
        .market
        .task(U256::from(task))
        .call()
        .await?
        .committedBlock;
    let filter = Filter::new()
        .address(*node.chain.dispute.address())
        .event_signature(E::SIGNATURE_HASH)
        .topic1(B256::from(U256::from(task)))
        .topic2(B256::from(U256::from(segment)))
        .from_block(committed);
    let logs = node.chain.provider.get_logs(&filter).await?;
    logs.iter()
        .map(|l| Ok(l.log_decode::<E>()?.inner.data))
        .collect()
}

/// The trace roots of the segment index a *pass* named for `segment` of `task` (the segment's
/// posted data from then on: `Dispute.namePass`), from the `PassNamed` log whose roots are the
/// named ones; `None` when no pass named one.
pub async fn named_roots(
    node: &Node,
    task: u64,
    segment: u64,
) -> eyre::Result<Option<Vec<poai_common::Hash>>> {
    let named = node
        .chain
        .dispute
        .namedTraces(U256::from(task), segment)
        .call()
        .await?;
    if named.is_zero() {
        return Ok(None);
    }
    for n in posted::<Dispute::PassNamed>(node, task, segment).await? {
        let roots: Vec<poai_common::Hash> = n.traceRoots.iter().map(|h| h.0).collect();
        if poai_common::merkle::root_of_payloads(&roots)? == named.0 {
            return Ok(Some(roots));
        }
    }
    eyre::bail!("no PassNamed log of task {task} segment {segment} has the named roots")
}

/// The path a trace of `step` posted on `segment` of `task` carries (`Dispute.postTrace`):
/// its root's among the named trace roots, or none when no pass named the segment.
pub async fn named_path(
    node: &Node,
    task: u64,
    segment: u64,
    step: u64,
) -> eyre::Result<Vec<alloy::primitives::B256>> {
    match named_roots(node, task, segment).await? {
        Some(roots) => path_among(&roots, step),
        None => Ok(Vec::new()),
    }
}

/// The path of trace root `step` among a segment's trace `roots`.
pub fn path_among(
    roots: &[poai_common::Hash],
    step: u64,
) -> eyre::Result<Vec<alloy::primitives::B256>> {
    let tree = poai_common::merkle::Tree::from_payloads(roots)?;
    Ok(tree
        .proof(step)?
        .siblings
        .into_iter()
        .map(alloy::primitives::B256::from)
        .collect())
}

/// The per-step state hashes of `segment` of `task`, as the solver posted them on chain
/// (`Dispute.StepsPosted`): the challenger needs nothing off chain to know them.
pub async fn steps_posted(
    node: &Node,
    task: u64,
    segment: u64,
) -> eyre::Result<Vec<poai_common::Hash>> {
    let posted = posted::<Dispute::StepsPosted>(node, task, segment).await?;
    let first = posted
        .first()
        .ok_or_else(|| eyre!("segment {segment} of task {task} has no posted steps"))?;
    Ok(first.states.iter().map(|h| h.0).collect())
}

/// The slot hashes of the trace the solver posted for `step` of `segment` of `task`
/// (`Dispute.TracePosted`).
pub async fn traces_posted(
    node: &Node,
    task: u64,
    segment: u64,
    step: u64,
) -> eyre::Result<Vec<poai_common::Hash>> {
    posted::<Dispute::TracePosted>(node, task, segment)
        .await?
        .into_iter()
        .find(|t| t.step == step)
        .map(|t| t.slots.iter().map(|h| h.0).collect())
        .ok_or_else(|| eyre!("step {step} of segment {segment} of task {task} has no posted trace"))
}

/// Whether more than `cap` of a task's `what` are missing to demand them all on chain (logged).
fn too_many(task: &Loaded, missing: &[u64], cap: usize, what: &str) -> bool {
    let over = missing.len() > cap;
    if over {
        tracing::warn!(
            task = task.id,
            missing = missing.len(),
            "too many {what} nobody serves to demand them all on chain"
        );
    }
    over
}

/// Whether a checker waiting for its demands' answers goes on waiting: the task still committed
/// and `give_up` not passed; then it sleeps a second before looking again.
async fn still_waiting(node: &Node, task: u64, give_up: u64) -> eyre::Result<bool> {
    let t = node.chain.market.task(U256::from(task)).call().await?;
    if t.status != crate::status::COMMITTED || node.chain.now().await? > give_up {
        return Ok(false);
    }
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    Ok(true)
}

/// When a checker stops waiting for the answers to demands it makes now: demands made in the
/// window as committed may wait a move window (and 5 s): an answer keeps the window open a move
/// window past it, for the check and the challenge (review 5, 1); later ones (the window already
/// extended) stop with a quarter of what is left.
async fn give_up_at(node: &Node, task: u64) -> eyre::Result<u64> {
    let id = U256::from(task);
    let window: u64 = node.chain.availability.moveWindow().call().await?;
    let end: u64 = node.chain.market.committedEnd(id).call().await?;
    let deadline = node.chain.market.task(id).call().await?.deadline;
    let now = node.chain.now().await?;
    if now <= end {
        return Ok(now + window + 5);
    }
    let reserve = deadline.saturating_sub(now) / 4;
    Ok((now + window + 5).min(deadline.saturating_sub(reserve)))
}

/// A task's committed checkpoint hashes as a checker knows them, each with its path into
/// `resultRoot`: every leaf of the list the solver served, or, when it served none, the leaves
/// opened on chain (`Availability.LeafOpened`), which a checker demands for the checkpoints it
/// needs ([`Challenger::await_checkpoints`]).
#[derive(Debug, Clone, Default)]
pub struct Checkpoints {
    /// `T/k + 1`: the leaves `resultRoot` commits.
    leaves: u64,
    known: BTreeMap<u64, (poai_common::Hash, Vec<poai_common::Hash>)>,
}

impl Checkpoints {
    /// The committed leaves of the list the solver served (`list`, whose root is `root`), each
    /// with its path as committed; `None` when the list is not the committed one.
    pub fn from_list(
        list: Vec<poai_common::Hash>,
        root: poai_common::Hash,
        leaves: u64,
    ) -> eyre::Result<Option<Self>> {
        // Paths from the list as committed: a list padded at the same depth has other siblings
        // than its committed leaves alone (AUDIT H3 (b)).
        let tree = poai_common::merkle::Tree::from_payloads(&list)?;
        if tree.root() != root {
            return Ok(None);
        }
        let Some(committed) = committed_leaves(list, leaves) else {
            return Ok(None);
        };
        let mut known = BTreeMap::new();
        for (i, hash) in committed.into_iter().enumerate() {
            known.insert(i as u64, (hash, tree.proof(i as u64)?.siblings));
        }
        Ok(Some(Self { leaves, known }))
    }

    /// `T/k + 1`: the leaves `resultRoot` commits.
    pub fn leaves(&self) -> u64 {
        self.leaves
    }

    /// Checkpoint `i`'s state hash, if known.
    pub fn get(&self, i: u64) -> Option<poai_common::Hash> {
        self.known.get(&i).map(|(hash, _)| *hash)
    }

    /// Checkpoint `i`'s state hash and its path into `resultRoot`, if known.
    pub fn leaf(&self, i: u64) -> Option<(poai_common::Hash, &[poai_common::Hash])> {
        self.known
            .get(&i)
            .map(|(hash, path)| (*hash, path.as_slice()))
    }

    /// Which of `indices` are not known, or (`paths`) not known with their path into
    /// `resultRoot`: checkpoint 0 is known as the initial state without its path when no list
    /// is served, which only a naming of segment 0 needs (review of the guard, 6).
    pub fn missing(&self, indices: &[u64], paths: bool) -> Vec<u64> {
        let depth = paths && self.leaves > 1;
        indices
            .iter()
            .copied()
            .filter(|i| {
                self.known
                    .get(i)
                    .is_none_or(|(_, path)| depth && path.is_empty())
            })
            .collect()
    }

    /// Adds the leaves of task `task` opened on chain so far.
    async fn read_opened(&mut self, node: &Node, task: u64) -> eyre::Result<()> {
        use alloy::primitives::B256;
        use alloy::providers::Provider;
        use alloy::rpc::types::Filter;
        use alloy::sol_types::SolEvent;
        let filter = Filter::new()
            .address(*node.chain.availability.address())
            .event_signature(Availability::LeafOpened::SIGNATURE_HASH)
            .topic2(B256::from(U256::from(task)))
            .from_block(0);
        for log in node.chain.provider.get_logs(&filter).await? {
            let l = log.log_decode::<Availability::LeafOpened>()?.inner.data;
            let i: u64 = l.index.saturating_to();
            if i < self.leaves && self.missing(&[i], true) == [i] {
                let path = l.siblings.iter().map(|h| h.0).collect();
                self.known.insert(i, (l.state.0, path));
            }
        }
        Ok(())
    }
}

/// The solver's checkpoint hashes of a task: the committed `T/k + 1` leaves of the list it
/// serves (the `hashes` blob named by `resultRoot`), or, when nobody serves it (or it is not
/// the committed one), the leaves opened on chain so far (logged).
pub async fn checkpoints(
    node: &Node,
    task: &Loaded,
    result_root: poai_common::Hash,
) -> eyre::Result<Checkpoints> {
    let leaves = task.segments() + 1;
    match node.blob(Kind::Hashes, result_root).await {
        Ok(bytes) => {
            let list = blob::decode_hashes(&bytes)?;
            if let Some(cps) = Checkpoints::from_list(list, result_root, leaves)? {
                return Ok(cps);
            }
            tracing::warn!(
                task = task.id,
                "the solver's checkpoint list is not the committed one"
            );
        }
        Err(e) => {
            tracing::warn!(task = task.id, error = %e, "the solver's checkpoint list is unavailable");
        }
    }
    // Checkpoint 0 is the task's initial state (a root that commits another is convicted by the
    // first game on segment 0): known, though without its path until it is opened (a naming of
    // segment 0 demands it).
    let init = task.commitments.init_state_hash;
    let mut cps = Checkpoints {
        leaves,
        known: BTreeMap::from([(0, (init, Vec::new()))]),
    };
    if let Err(e) = cps.read_opened(node, task.id).await {
        tracing::warn!(task = task.id, error = %format!("{e:#}"), "the leaves opened on chain are unreadable");
    }
    Ok(cps)
}

/// The committed leaves of a checkpoint list: the first `leaves` of a list at least that long
/// whose tree has the same depth (the contract checks paths by depth and index, so a list
/// padded with more leaves at that depth commits the same first ones: AUDIT H3 (b)); `None`
/// for a list too short or of another depth.
pub fn committed_leaves(
    mut list: Vec<poai_common::Hash>,
    leaves: u64,
) -> Option<Vec<poai_common::Hash>> {
    let n = list.len() as u64;
    if n < leaves || n.next_power_of_two() != leaves.next_power_of_two() {
        return None;
    }
    list.truncate(leaves as usize);
    Some(list)
}

/// Tier 1's verdict on one segment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Checked {
    /// The worst distance (infinite if a checkpoint cannot be fetched or is malformed).
    pub distance: f64,
    pub pass: bool,
    /// The segment starts from a state nothing can be proven from (a NaN or an infinity, or
    /// another shape than the program's), or the checker's own run from its start stopped being
    /// finite: the fault, if any, may lie before it ([`origin`]).
    pub look_back: bool,
}

/// Tier 1 on one segment: re-runs it from the solver's checkpoint `j` on `backend` and compares
/// with checkpoint `j + 1` (the start is judged before the end is fetched). A segment that
/// starts from a state no op can be proven from passes: the fault, if any, is in the segment
/// that made that state.
pub async fn check_segment(
    node: &Node,
    task: &Arc<Loaded>,
    checkpoints: &Checkpoints,
    segment: u64,
    backend: Backend,
    tau: f64,
) -> eyre::Result<Checked> {
    let unavailable = Checked {
        distance: f64::INFINITY,
        pass: false,
        look_back: false,
    };
    let fetch =
        async |i: u64| -> Option<Vec<Tensor>> { node.state(checkpoints.get(i)?).await.ok() };
    let Some(start) = fetch(segment).await else {
        tracing::warn!(
            task = task.id,
            segment,
            "the solver's start checkpoint is unavailable"
        );
        return Ok(unavailable);
    };
    if !usable(task, &start) {
        tracing::info!(
            task = task.id,
            segment,
            "starts from a non-finite or mis-shaped state: nothing to prove here"
        );
        return Ok(Checked {
            distance: 0.0,
            pass: true,
            look_back: true,
        });
    }
    let Some(end) = fetch(segment + 1).await else {
        tracing::warn!(
            task = task.id,
            segment,
            "the solver's end checkpoint is unavailable"
        );
        return Ok(unavailable);
    };
    let t = task.clone();
    let (distance, diverged) = tokio::task::spawn_blocking(move || -> eyre::Result<(f64, bool)> {
        let engine = t.engine(backend)?;
        let k = t.commitments.interval;
        let mut state = engine.upload(&start)?;
        for s in segment * k..(segment + 1) * k {
            state = engine.step(state, s).0;
        }
        let own = engine.download(state)?;
        let distance = poai_common::tolerance::Comparison::new(&end, &own, tau).worst();
        Ok((distance, !finite(&own)))
    })
    .await??;
    Ok(Checked {
        distance,
        pass: distance <= tau,
        look_back: diverged,
    })
}

/// Whether every value of a state is finite.
pub fn finite(state: &[Tensor]) -> bool {
    state.iter().all(|t| t.data().iter().all(|v| v.is_finite()))
}

/// Whether a state can start a step anything is provable from: finite, and of the program's
/// tensor count and shapes.
pub fn usable(task: &Loaded, state: &[Tensor]) -> bool {
    let shapes = &task.program.state;
    state.len() == shapes.len()
        && state
            .iter()
            .zip(shapes)
            .all(|(t, s)| t.rows() == s.rows && t.cols() == s.cols)
        && finite(state)
}

/// The segment to check in place of `segment` when [`Checked::look_back`] says the fault may
/// lie before it (AUDIT H3 (c)): the latest segment before it that starts from a usable
/// checkpoint, scanning back. Checkpoints nobody serves are demanded on chain (all at once) and
/// waited for, not passed over: a solver that withholds the right one would steer the check to
/// an earlier, honest segment (review 4, F2); one still missing after the solver's time to
/// answer is passed over. `None` for segment 0.
pub async fn origin(
    challenger: &Challenger,
    node: &Node,
    task: &Loaded,
    result_root: poai_common::Hash,
    checkpoints: &mut Checkpoints,
    segment: u64,
) -> eyre::Result<Option<u64>> {
    let before: Vec<u64> = (0..segment).collect();
    challenger
        .await_checkpoints(node, task, result_root, checkpoints, &before)
        .await?;
    for i in (0..segment).rev() {
        if let Some(hash) = checkpoints.get(i)
            && let Ok(state) = node.state(hash).await
            && usable(task, &state)
        {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::committed_leaves;

    /// AUDIT H3 (b): a list padded at the same depth is read by its committed leaves; a shorter
    /// one, or one of another depth, has none.
    #[test]
    fn a_padded_checkpoint_list_is_read_by_its_committed_leaves() {
        let list = |n: u8| (0..n).map(|i| [i; 32]).collect::<Vec<_>>();
        assert_eq!(committed_leaves(list(11), 11), Some(list(11)));
        assert_eq!(committed_leaves(list(16), 11), Some(list(11)));
        assert_eq!(committed_leaves(list(13), 11), Some(list(11)));
        assert_eq!(committed_leaves(list(10), 11), None);
        assert_eq!(committed_leaves(list(17), 11), None);
        assert_eq!(committed_leaves(list(1), 1), Some(list(1)));
        assert_eq!(committed_leaves(list(2), 1), None);
    }
}
