//! The verifier node: keeps verifier stake and registration; samples committed tasks as soon as
//! the block after the commit exists (anyone may, the first call wins); re-executes each segment
//! it is assigned from the solver's checkpoint on its own backend and attests pass or fail with
//! the distance measured; on a failure it challenges the segment and plays the game.
//!
//! A *pass* is attested on tier 1 (in time not to be re-sampled), then names the solver's signed
//! segment index once tier 2 has checked every op of it (`Dispute.namePass`, while a quarter of
//! the window is left): only a named pass earns the fee, and it is held to the index it named,
//! which becomes the segment's posted data. A game on the segment that faults it (a proof, or a
//! trace nobody posts) burns the pass, so the verifier keeps the traces it checked and posts a
//! named trace the solver withholds (`guard`).
//!
//! `lazy` makes a verifier that attests pass without checking, naming the solver's index to be
//! paid (the end-to-end tests show the pass burned once a game faults that index).

use std::collections::HashMap;
use std::sync::Arc;

use alloy::primitives::{B256, U256};
use poai_common::chain::bindings::availability::Availability;
use poai_common::engine::Backend;
use poai_common::segment::Index;
use poai_node::answer;
use poai_node::challenge::{self, Challenger};
use poai_node::ops;
use poai_node::{Node, status};
use tokio::task::JoinHandle;

/// Seconds a naming keeps for its own transaction before the naming closes.
const NAMING_MARGIN: u64 = 5;

/// `Stakes.Role.Verifier`.
const VERIFIER: u8 = 2;

#[derive(Debug, Clone)]
pub struct Options {
    pub backend: Backend,
    /// Verifier stake to keep deposited (wei).
    pub stake: U256,
    /// Tier 1's tolerance.
    pub tau: f64,
    pub lazy: bool,
}

pub struct Verifier {
    node: Arc<Node>,
    opts: Options,
    challenger: Arc<Challenger>,
    checking: HashMap<(u64, u64), JoinHandle<eyre::Result<()>>>,
    /// Named segments (task, segment) whose games are being watched for a withheld trace.
    guarding: HashMap<(u64, u64), JoinHandle<eyre::Result<()>>>,
    /// The no-shows re-sampled: (task, sample, the verifier replaced).
    resampled: std::collections::HashSet<(u64, usize, alloy::primitives::Address)>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("opts", &self.opts)
            .finish()
    }
}

/// A distance as the 1e18 fixed point `attest` takes (capped, so infinity fits).
pub fn fixed(distance: f64) -> U256 {
    let capped = if distance.is_finite() {
        distance.min(1e9)
    } else {
        1e9
    };
    U256::from((capped * 1e18) as u128)
}

impl Verifier {
    pub fn new(node: Arc<Node>, opts: Options) -> Self {
        let challenger = Arc::new(Challenger::new(opts.backend));
        Self {
            node,
            opts,
            challenger,
            checking: HashMap::new(),
            guarding: HashMap::new(),
            resampled: Default::default(),
        }
    }

    /// Keeps the stake deposited and the registration, then runs until the process ends.
    pub async fn run(self) -> eyre::Result<()> {
        self.register().await?;
        poai_node::run(self).await
    }

    async fn register(&self) -> eyre::Result<()> {
        let (chain, m) = (&self.node.chain, &self.node.chain.market);
        self.node.ensure_stake(VERIFIER, self.opts.stake).await?;
        if !m.registered(chain.address).call().await? {
            chain
                .send(m.registerVerifier().into_transaction_request(), "register")
                .await?;
        }
        Ok(())
    }

    async fn reconcile(&mut self) -> eyre::Result<()> {
        let node = self.node.clone();
        let m = &node.chain.market;
        let me = node.chain.address;
        self.checking.retain(|_, j| !j.is_finished());
        self.guarding.retain(|_, j| !j.is_finished());
        let count: u64 = m.taskCount().call().await?.to();
        let block = alloy::providers::Provider::get_block_number(&node.chain.provider).await?;
        let mut view = Vec::new();
        for id in 1..=count {
            let t = m.task(U256::from(id)).call().await?;
            if t.status == status::SLASHED && !m.conviction(U256::from(id)).call().await?.settled {
                // Games on a named segment play on after a conviction, until settlement.
                let samples = m.samplesOf(U256::from(id)).call().await?;
                self.guard_named(id, &samples);
                continue;
            }
            if t.status != status::COMMITTED {
                continue;
            }
            if !m.sampled(U256::from(id)).call().await? {
                if block > t.committedBlock + 1 {
                    let call = m.sample(U256::from(id));
                    if let Err(e) = node
                        .chain
                        .send(call.into_transaction_request(), format!("sample task {id}"))
                        .await
                    {
                        tracing::debug!(task = id, error = %e, "not sampled by us");
                    }
                }
                continue;
            }
            let samples = m.samplesOf(U256::from(id)).call().await?;
            self.guard_named(id, &samples);
            self.resample_no_shows(id, &t, &samples).await;
            for (index, s) in samples.iter().enumerate() {
                if s.verifier != me {
                    continue;
                }
                view.push(serde_json::json!({
                    "task": id, "sample": index, "segment": s.segment, "attest": s.attest,
                }));
                let key = (id, index as u64);
                if s.attest != 0 || self.checking.contains_key(&key) {
                    continue;
                }
                let (node, opts, challenger) =
                    (node.clone(), self.opts.clone(), self.challenger.clone());
                let segment = s.segment;
                let root = t.resultRoot.0;
                let job = tokio::spawn(async move {
                    verify(&node, &opts, &challenger, id, index, segment, root).await
                });
                self.checking.insert(key, job);
            }
        }
        let games = self.challenger.advance_all(&node).await?;
        node.set_status(
            serde_json::json!({ "samples": view, "games": games, "lazy": self.opts.lazy }),
        );
        Ok(())
    }
}

impl Verifier {
    /// Re-samples, at the first moment the market allows, every sample of task `id` (`t`) whose
    /// verifier (another) has not attested a quarter of the window after it was drawn: a re-draw
    /// left to whoever calls it would let a cheater's helper call it only in a block whose
    /// randomness draws its sybil (review of the guard, 5). Once per drawn verifier; a call the
    /// market refuses (too soon after an earlier re-sample, too late) is tried again next tick.
    async fn resample_no_shows(
        &mut self,
        id: u64,
        t: &poai_common::chain::bindings::market::Market::Task,
        samples: &[poai_common::chain::bindings::market::Attestations::Sample],
    ) {
        let node = self.node.clone();
        let m = &node.chain.market;
        let (Ok(now), Ok(sampled)) = (
            node.chain.now().await,
            m.sampledAt(U256::from(id)).call().await,
        ) else {
            return;
        };
        let quarter = t.terms.challengeWithin / 4;
        if now <= sampled + quarter || now > t.deadline - quarter {
            return;
        }
        for (index, s) in samples.iter().enumerate() {
            let no_show = s.attest == 0 && !s.verifier.is_zero();
            if !no_show || s.verifier == node.chain.address {
                continue;
            }
            if !self.resampled.insert((id, index, s.verifier)) {
                continue;
            }
            let call = m.resample(U256::from(id), U256::from(index));
            match node
                .chain
                .send(
                    call.into_transaction_request(),
                    format!("task {id}: re-sample no-show {index}"),
                )
                .await
            {
                Ok(_) => {
                    tracing::info!(task = id, sample = index, no_show = %s.verifier, "re-sampled a verifier that did not attest")
                }
                Err(e) => {
                    self.resampled.remove(&(id, index, s.verifier));
                    tracing::debug!(task = id, sample = index, error = %e, "not re-sampled");
                }
            }
        }
    }

    /// Watches (`guard`) every segment of task `id` (its `samples`) this verifier's *pass* named.
    fn guard_named(
        &mut self,
        id: u64,
        samples: &[poai_common::chain::bindings::market::Attestations::Sample],
    ) {
        let node = self.node.clone();
        for s in samples {
            // A named *pass* of this verifier's.
            if s.verifier != node.chain.address || s.attest != 1 || s.checked.is_zero() {
                continue;
            }
            let key = (id, s.segment);
            if self.guarding.contains_key(&key) {
                continue;
            }
            let (n, segment) = (node.clone(), s.segment);
            let job = tokio::spawn(async move {
                let r = guard(&n, id, segment).await;
                if let Err(e) = &r {
                    tracing::warn!(task = id, segment, error = %format!("{e:#}"), "guarding a named segment failed; again next tick");
                }
                r
            });
            self.guarding.insert(key, job);
        }
    }
}

/// Answers for named `segment` of task `id` what the solver has not half a move window into its
/// turn, from the data this verifier checked (property 4: a named pass answers for the data it
/// vouched for; a game or an opening that times out on it faults the segment and burns the
/// pass): every trace a game waits for, and every opening of the segment's data (its per-step
/// states, its traces, its two checkpoints). All are sent at once (the node pipelines its
/// transactions), each step's trace once however many games wait for it: many games picking
/// many steps in one block must not outrun the guard (review of the guard, 1). A posted trace
/// serves every game on its step, so what the guard can be made to post is at most the
/// segment's `k` traces. The first failure is returned after all were tried.
async fn guard(node: &Node, id: u64, segment: u64) -> eyre::Result<()> {
    let window = node.chain.dispute.moveWindow().call().await?;
    let now = node.chain.now().await?;
    let count: u64 = node.chain.dispute.gameCount().call().await?.to();
    let mut steps = std::collections::BTreeSet::new();
    for g_id in 1..=count {
        let g = node.chain.dispute.game(U256::from(g_id)).call().await?;
        if g.task == U256::from(id)
            && g.segment == segment
            && g.phase == challenge::phase::AWAIT_TRACE
            && now >= g.turnStart + window / 2
            && now <= g.deadline
        {
            steps.insert(g.step);
        }
    }
    let a = &node.chain.availability;
    let steps_time = node.chain.dispute.clock().call().await?.max(window);
    let count: u64 = a.requestCount().call().await?.to();
    let mut openings = Vec::new();
    for r_id in 1..=count {
        let r = a.request(U256::from(r_id)).call().await?;
        let due = if r.kind == answer::kind::STEPS {
            steps_time
        } else {
            window
        };
        if r.task == U256::from(id)
            && r.open
            && now <= r.deadline
            && now >= r.deadline - due + window / 2
            && opens_named(&r, segment)
        {
            openings.push((r_id, r));
        }
    }
    let posts = steps
        .into_iter()
        .map(|step| post_named_trace(node, id, segment, step));
    let answers = openings
        .iter()
        .map(|(r_id, r)| answer_opening(node, id, *r_id, r));
    let (posted, answered) = tokio::join!(
        poai_node::futures::future::join_all(posts),
        poai_node::futures::future::join_all(answers)
    );
    posted.into_iter().chain(answered).collect()
}

/// Whether request `r` opens data of named `segment`'s index: its per-step states or traces,
/// or one of its two checkpoints (checkpoint 0 is the initial state).
fn opens_named(r: &Availability::Request, segment: u64) -> bool {
    match r.source {
        challenge::source::INIT => segment == 0,
        challenge::source::CHECKPOINT => r.at == segment || r.at == segment + 1,
        challenge::source::STEP_STATE | challenge::source::TRACE_SLOT => r.at == segment,
        _ => false,
    }
}

/// Posts the named trace of `step` of `segment` from the traces this verifier checked.
async fn post_named_trace(node: &Node, id: u64, segment: u64, step: u64) -> eyre::Result<()> {
    let roots = challenge::named_roots(node, id, segment)
        .await?
        .ok_or_else(|| eyre::eyre!("segment {segment} of task {id} is not named"))?;
    let root = roots
        .get(step as usize)
        .ok_or_else(|| eyre::eyre!("no named trace of step {step}"))?;
    let bytes = node
        .store
        .read(poai_common::blob::Kind::Trace, root)
        .ok_or_else(|| eyre::eyre!("the named trace of step {step} is not held"))?;
    let slots: Vec<B256> = poai_common::blob::decode_tensors(&bytes)?
        .iter()
        .map(|t| B256::from(t.commit().hash))
        .collect();
    let path = challenge::path_among(&roots, step)?;
    let call = node
        .chain
        .dispute
        .postTrace(U256::from(id), segment, step, slots, path);
    node.chain
        .send(
            call.into_transaction_request(),
            format!("task {id}: the named trace of step {step} of segment {segment}"),
        )
        .await?;
    tracing::info!(
        task = id,
        segment,
        step,
        "posted a named trace the solver withheld"
    );
    Ok(())
}

/// Answers opening `r_id` (`r`) of the named data from what this verifier holds (a leaf of
/// `resultRoot` from the checkpoint list it checked against).
async fn answer_opening(
    node: &Node,
    id: u64,
    r_id: u64,
    r: &Availability::Request,
) -> eyre::Result<()> {
    let cps = if r.kind == answer::kind::LEAF {
        let task = node.task(id).await?;
        let root = node
            .chain
            .market
            .task(U256::from(id))
            .call()
            .await?
            .resultRoot;
        Some(challenge::checkpoints(node, &task, root.0).await?)
    } else {
        None
    };
    let leaf = |i: u64| -> eyre::Result<_> {
        let (hash, path) = cps
            .as_ref()
            .and_then(|c| c.leaf(i))
            .ok_or_else(|| eyre::eyre!("checkpoint {i}'s path is unknown"))?;
        Ok((hash, path.to_vec()))
    };
    let tx = answer::answer(node, r_id, r, leaf).await?;
    node.chain
        .send(tx, format!("task {id}: request {r_id} of the named data"))
        .await?;
    tracing::info!(
        task = id,
        request = r_id,
        "answered an opening of the named data the solver withheld"
    );
    Ok(())
}

impl poai_node::Role for Verifier {
    const NAME: &'static str = "verifier";

    fn node(&self) -> &Node {
        &self.node
    }

    async fn tick(&mut self) -> eyre::Result<()> {
        self.reconcile().await
    }
}

async fn verify(
    node: &Arc<Node>,
    opts: &Options,
    challenger: &Challenger,
    id: u64,
    index: usize,
    segment: u64,
    result_root: poai_common::Hash,
) -> eyre::Result<()> {
    let m = &node.chain.market;
    let mut later = None;
    // The solver's signed index this verifier checked op by op, named by its *pass* (which is
    // then paid, and burned if a proof convicts a step of it).
    let mut named: Option<Box<Index>> = None;
    let checked = if opts.lazy {
        // A lazy verifier that wants the fee names the solver's index without checking it (as
        // an honest one does once tier 2 has checked it).
        let task = node.task(id).await?;
        let cps = challenge::checkpoints(node, &task, result_root).await?;
        let budget = ops::time_to_challenge(node, id).await?;
        let n = node.clone();
        later = Some(tokio::spawn(async move {
            let until = std::time::Instant::now() + budget;
            Ok(
                match ops::index(&n, &task, result_root, &cps, segment, until).await? {
                    Ok(index) => ops::OpCheck::Clean(Box::new(index)),
                    Err(why) => ops::OpCheck::Unserved(why),
                },
            )
        }));
        challenge::Checked {
            distance: 0.0,
            pass: true,
            look_back: false,
        }
    } else {
        let task = node.task(id).await?;
        let mut cps = challenge::checkpoints(node, &task, result_root).await?;
        // What the solver does not serve is demanded on chain when the answers (two rounds:
        // the checkpoints' hashes, then their states) can come before this verifier may be
        // re-sampled, and waited for no longer than that; otherwise, or when the demands fail,
        // its segment is unavailable (AUDIT H3 (a)).
        if let Some(budget) = time_to_open(node, id).await? {
            let ends = [segment, segment + 1];
            let wait = challenger.await_checkpoints(node, &task, result_root, &mut cps, &ends);
            match tokio::time::timeout(budget, wait).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    tracing::warn!(task = id, error = %format!("{e:#}"), "checkpoints not opened")
                }
                Err(_) => tracing::warn!(task = id, "no time left to wait for the openings"),
            }
        }
        let mut checked =
            challenge::check_segment(node, &task, &cps, segment, opts.backend, opts.tau).await?;
        if checked.pass && !checked.look_back {
            // Tier 2 on every op of the segment (issue 14): before attesting while the time
            // before a re-sample allows, else after, challenging what it finds.
            let (n, t, c) = (node.clone(), task.clone(), cps.clone());
            let total = ops::time_to_challenge(node, id).await?;
            let mut job =
                tokio::spawn(
                    async move { ops::check(&n, &t, result_root, &c, segment, total).await },
                );
            match tokio::time::timeout(time_to_attest(node, id).await?, &mut job).await {
                Ok(found) => {
                    let found = found??;
                    if let ops::OpCheck::Clean(index) = &found {
                        named = Some(index.clone());
                    }
                    if let Some(step) = challenger.judged(id, segment, found) {
                        tracing::info!(
                            task = id,
                            segment,
                            step,
                            "tier 2 finds a fault tier 1 passed"
                        );
                        checked.pass = false;
                    }
                }
                Err(_) => later = Some(job),
            }
        }
        checked
    };
    let (distance, pass) = (checked.distance, checked.pass);
    let call = m.attest(U256::from(id), U256::from(index), pass, fixed(distance));
    node.chain
        .send(
            call.into_transaction_request(),
            format!("attest task {id} sample {index}"),
        )
        .await?;
    node.metrics
        .inc("poai_attestations", "attestations sent", 1.0);
    tracing::info!(task = id, segment, pass, distance, "attested");
    let task = node.task(id).await?;
    if !pass {
        challenger.challenge(node, &task, segment).await?;
        return Ok(());
    }
    if let Some(checked) = named {
        name_pass(node, challenger, &task, index, segment, &checked).await;
    }
    if let Some(job) = later {
        let found = job.await??;
        if let ops::OpCheck::Clean(checked) = &found {
            // Checked op by op after the pass: name the index now (the fee, and the liability).
            name_pass(node, challenger, &task, index, segment, checked).await;
        }
        if let Some(step) = challenger.judged(id, segment, found) {
            tracing::info!(
                task = id,
                segment,
                step,
                "tier 2 finds a fault after the attestation"
            );
            challenger.challenge(node, &task, segment).await?;
            return Ok(());
        }
    }
    if !checked.look_back {
        return Ok(());
    }
    // The segment starts from a state nothing is provable from, or the verifier's own run
    // diverged: the fault, if any, is before it. Check the latest segment that starts from a
    // usable state too, and challenge it if it fails.
    let mut cps = challenge::checkpoints(node, &task, result_root).await?;
    if let Some(origin) =
        challenge::origin(challenger, node, &task, result_root, &mut cps, segment).await?
    {
        let c = challenge::check_segment(node, &task, &cps, origin, opts.backend, opts.tau).await?;
        tracing::info!(
            task = id,
            segment,
            origin,
            distance = c.distance,
            pass = c.pass,
            "checked where the state stopped being usable"
        );
        if !c.pass {
            challenger.challenge(node, &task, origin).await?;
        }
    }
    Ok(())
}

/// Names, for pass `index` of `task`, the solver's signed index of `segment` this verifier
/// checked op by op (`Dispute.namePass`: the pass is then paid, and held to it; its per-step
/// states are posted with it, their ends' paths into `resultRoot` from the checkpoints), while
/// the task is not convicted and a quarter of the window is left; later, the pass stands unpaid.
/// If the solver posted other data on the segment than the index it signed, no pass can name
/// that index (`NotThePostedIndex`): the verifier challenges the segment instead, to prove the
/// equivocation (review of the binding, F2: a solver would otherwise keep every honest pass
/// unnamed, and unpaid, by posting first).
async fn name_pass(
    node: &Node,
    challenger: &Challenger,
    task: &poai_node::Loaded,
    index: usize,
    segment: u64,
    checked: &Index,
) {
    let id = task.id;
    if challenged_equivocation(node, challenger, task, segment, checked).await {
        return;
    }
    let named = async {
        let t = node.chain.market.task(U256::from(id)).call().await?;
        let last = t.deadline - t.terms.challengeWithin / 4;
        if node.chain.now().await? >= last {
            eyre::bail!("less than a quarter of the window is left");
        }
        let mut cps = challenge::checkpoints(node, task, t.resultRoot.0).await?;
        let ends = [segment, segment + 1];
        if !cps.missing(&ends, true).is_empty() {
            // No list served: the ends' paths opened on chain (checkpoint 0's too), if an
            // answer (a move window) and the naming can still come before the naming closes.
            let window = node.chain.dispute.moveWindow().call().await?;
            let left = last.saturating_sub(node.chain.now().await? + NAMING_MARGIN);
            if left <= window {
                eyre::bail!("no time left to open the checkpoints' paths before the naming closes");
            }
            let wait = challenger.await_paths(node, task, t.resultRoot.0, &mut cps, &ends);
            let _ = tokio::time::timeout(std::time::Duration::from_secs(left), wait).await;
        }
        let path = |i: u64| -> eyre::Result<Vec<B256>> {
            let (_, path) = cps
                .leaf(i)
                .ok_or_else(|| eyre::eyre!("checkpoint {i}'s path is unknown"))?;
            Ok(path.iter().map(|h| B256::from(*h)).collect())
        };
        let b256s = |l: &[poai_common::Hash]| l.iter().map(|h| B256::from(*h)).collect();
        let call = node.chain.dispute.namePass(
            U256::from(id),
            U256::from(index),
            segment,
            poai_common::chain::bindings::dispute::Dispute::Named {
                states: b256s(&checked.states),
                firstInResult: path(segment)?,
                lastInResult: path(segment + 1)?,
                traceRoots: b256s(&checked.traces),
                signature: checked.signature.to_vec().into(),
            },
        );
        node.chain
            .send(
                call.into_transaction_request(),
                format!("task {id} sample {index}: name the checked index"),
            )
            .await?;
        eyre::Ok(())
    };
    match named.await {
        Ok(()) => tracing::info!(task = id, segment, "named the index tier 2 checked"),
        // Other data posted between the look and the naming (a front-run: review of the
        // guard, 4) refused it: look again.
        Err(e) if challenged_equivocation(node, challenger, task, segment, checked).await => {
            tracing::warn!(task = id, segment, error = %format!("{e:#}"), "the naming refused")
        }
        Err(e) => tracing::warn!(
            task = id,
            segment,
            error = %format!("{e:#}"),
            "the index not named; the pass stands unpaid"
        ),
    }
}

/// Whether the solver posted other data on `segment` of `task` than the index it signed and
/// served (`checked`), in which case the segment is challenged to prove the equivocation.
async fn challenged_equivocation(
    node: &Node,
    challenger: &Challenger,
    task: &poai_node::Loaded,
    segment: u64,
    checked: &Index,
) -> bool {
    let id = task.id;
    match equivocated(node, id, segment, checked).await {
        Ok(None) => false,
        Ok(Some(step)) => {
            tracing::warn!(
                task = id,
                segment,
                step,
                "the solver posted other data than the index it signed; challenging to prove it"
            );
            challenger.found_fault(id, segment, step, checked.clone());
            if let Err(e) = challenger.challenge(node, task, segment).await {
                tracing::warn!(task = id, segment, error = %format!("{e:#}"), "the equivocation not challenged");
            }
            true
        }
        Err(e) => {
            tracing::warn!(task = id, segment, error = %format!("{e:#}"), "the posted data not read");
            false
        }
    }
}

/// Where the solver's posted data of `segment` of task `id` is not the index it signed and
/// served this verifier (`checked`): the step a game on the segment picks to prove that it
/// signed two (`proveEquivocation`; any step, when the per-step states differ). None while it
/// posted nothing else: its per-step states, the traces it posted, and the index a pass named.
async fn equivocated(
    node: &Node,
    id: u64,
    segment: u64,
    checked: &Index,
) -> eyre::Result<Option<u64>> {
    let d = &node.chain.dispute;
    let posted = d.stepsRoot(U256::from(id), segment).call().await?;
    if !posted.is_zero() && posted.0 != poai_common::merkle::root_of_payloads(&checked.states)? {
        return Ok(Some(0));
    }
    if let Some(roots) = challenge::named_roots(node, id, segment).await?
        && let Some(step) = roots.iter().zip(&checked.traces).position(|(a, b)| a != b)
    {
        return Ok(Some(step as u64));
    }
    for (step, ours) in checked.traces.iter().enumerate() {
        let root = d
            .traceRoot(U256::from(id), segment, step as u64)
            .call()
            .await?;
        if !root.is_zero() && root.0 != *ours {
            return Ok(Some(step as u64));
        }
    }
    Ok(None)
}

/// How long this verifier may check before it attests: until a quarter of the window after
/// sampling (when it may be re-sampled), less a margin for the attestation.
async fn time_to_attest(node: &Node, id: u64) -> eyre::Result<std::time::Duration> {
    let m = &node.chain.market;
    let t = m.task(U256::from(id)).call().await?;
    let sampled: u64 = m.sampledAt(U256::from(id)).call().await?;
    let window: u64 = node.chain.availability.moveWindow().call().await?;
    let resample = sampled + t.terms.challengeWithin / 4;
    let deadline = resample.saturating_sub(5 + window / 4);
    Ok(std::time::Duration::from_secs(
        deadline.saturating_sub(node.chain.now().await?),
    ))
}

/// How long this verifier may wait for demands made now, if two rounds of answers (a move
/// window each, and 5 s) fit before this task's samples may be re-sampled, a quarter of the
/// window after sampling, with a margin for the re-execution and the attestation: a verifier
/// that waits longer is burned as a no-show. (A replacement is given a quarter from its own
/// draw, later: this errs on the side of not waiting.)
async fn time_to_open(node: &Node, id: u64) -> eyre::Result<Option<std::time::Duration>> {
    let m = &node.chain.market;
    let t = m.task(U256::from(id)).call().await?;
    let sampled: u64 = m.sampledAt(U256::from(id)).call().await?;
    let window: u64 = node.chain.availability.moveWindow().call().await?;
    let now = node.chain.now().await?;
    let resample = sampled + t.terms.challengeWithin / 4;
    let margin = 30 + window / 4;
    Ok((now + 2 * (window + 5) + margin < resample)
        .then(|| std::time::Duration::from_secs(resample - margin - now)))
}
