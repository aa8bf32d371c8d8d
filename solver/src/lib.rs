//! The PoAI solver node: claims tasks it can run, trains them (a checkpoint every `k` steps,
//! each made durable before it is recorded, so a killed solver resumes from its last one),
//! commits the Merkle root over the checkpoint state hashes, serves its checkpoints, answers
//! every move of a dispute from its own recomputation (per-step states and traces rebuilt bit
//! for bit from its checkpoints), claims timeouts of silent challengers, and finalizes its
//! tasks when their challenge window closes.
//!
//! It decides nothing the contract decides (sampling, verdicts, payouts): it acts on what the
//! chain says, each tick (see `poai_node`).

mod answer;
pub mod behaviour;
pub mod claim;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::{B256, U256};
use eyre::WrapErr;
use poai_common::blob::{self, Kind};
use poai_common::engine::{self, Backend};
use poai_common::merkle::Hash;
use poai_common::segment::{Index, Question};
use poai_common::{prove, run, state};
use poai_node::challenge::phase;
use poai_node::durable::Durable;
use poai_node::{Loaded, Node, hex0x, status};
use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;

pub use behaviour::{Behaviour, Cheat};

/// Seconds before an opening is due that the `late-answers` cheat answers it.
const LATE: u64 = 5;

#[derive(Debug, Clone)]
pub struct Options {
    pub backend: Backend,
    /// Solver stake to keep deposited (wei).
    pub stake: U256,
    pub cheat: Option<Cheat>,
    /// What it claims (AUDIT H6).
    pub policy: claim::Policy,
    /// Abort the process right after this many checkpoints are recorded (a crash, for the
    /// restart test and `poai devnet --restart-solver`).
    pub crash_after: Option<usize>,
}

/// What the solver has done, kept across restarts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Progress {
    tasks: BTreeMap<u64, TaskProgress>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct TaskProgress {
    /// Checkpoint state hashes so far (`s_0, s_k, …`), each on disk before it is listed.
    checkpoints: Vec<String>,
    committed: bool,
}

/// The checkpoints recorded for task `id` so far (none if it was never started).
fn recorded(progress: &Durable<Progress>, id: u64) -> eyre::Result<Vec<Hash>> {
    let unhex = |s: &String| -> eyre::Result<Hash> {
        hex::decode(s.trim_start_matches("0x"))?
            .try_into()
            .map_err(|_| eyre::eyre!("a hash is 32 bytes"))
    };
    progress.get().tasks.get(&id).map_or(Ok(Vec::new()), |p| {
        p.checkpoints.iter().map(unhex).collect()
    })
}

pub struct Solver {
    node: Arc<Node>,
    opts: Options,
    progress: Arc<Durable<Progress>>,
    training: HashMap<u64, JoinHandle<eyre::Result<Vec<Hash>>>>,
    answering: HashMap<Job, JoinHandle<eyre::Result<()>>>,
    /// The names of the segment indexes of this solver's committed tasks: `(task, segment)`.
    indexes: HashMap<Hash, (u64, u64)>,
    /// The committed tasks whose index names are in `indexes`.
    indexed: std::collections::HashSet<u64>,
    /// The open tasks weighed for a claim, and whether they are claimable.
    weighed: HashMap<u64, bool>,
    /// The open tasks whose steps are being measured for a claim (one at a time).
    measuring: HashMap<u64, JoinHandle<eyre::Result<Duration>>>,
    /// How many times each task's measurement failed.
    failed_measures: HashMap<u64, u32>,
}

/// Times a task's steps may fail to run before it is refused.
const MEASURE_TRIES: u32 = 3;

/// What the solver owes on chain, each sent once at a time: a segment's per-step states, a
/// step's trace (both shared by every game that needs them), a timeout to claim, a request to
/// answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Job {
    Steps {
        task: u64,
        segment: u64,
    },
    Trace {
        task: u64,
        segment: u64,
        step: u64,
    },
    Timeout {
        game: u64,
    },
    Request {
        id: u64,
    },
    Close {
        id: u64,
    },
    /// Off chain: a segment's signed index, its per-step states and traces, built when a
    /// checker first asks for it.
    Index {
        task: u64,
        segment: u64,
    },
}

impl std::fmt::Debug for Solver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Solver").field("opts", &self.opts).finish()
    }
}

impl Solver {
    pub fn new(node: Arc<Node>, opts: Options) -> eyre::Result<Self> {
        let progress = Arc::new(Durable::open(node.data_dir.join("solver.json"))?);
        if opts.cheat.is_some_and(Cheat::hides) {
            node.store.withhold();
        }
        Ok(Self {
            node,
            opts,
            progress,
            training: HashMap::new(),
            answering: HashMap::new(),
            indexes: HashMap::new(),
            indexed: Default::default(),
            weighed: HashMap::new(),
            measuring: HashMap::new(),
            failed_measures: HashMap::new(),
        })
    }

    /// Keeps the stake deposited, then runs until the process ends.
    pub async fn run(self) -> eyre::Result<()> {
        self.node.ensure_stake(1, self.opts.stake).await?;
        poai_node::run(self).await
    }

    async fn reconcile(&mut self) -> eyre::Result<()> {
        let node = self.node.clone();
        let m = &node.chain.market;
        let me = node.chain.address;
        let now = node.chain.now().await?;
        let count: u64 = m.taskCount().call().await?.to();
        let mut view = Vec::new();
        for id in 1..=count {
            let t = m.task(U256::from(id)).call().await?;
            let ours = t.solver == me;
            match t.status {
                status::OPEN if now <= t.deadline => {
                    let Ok(task) = node.task(id).await else {
                        continue; // not loadable (yet): nobody serves its spec, or it lies
                    };
                    let free = m.stakeOf(me, 1).call().await?.free;
                    if free < t.terms.solverStake || !self.claimable(&t, task.clone()).await? {
                        continue;
                    }
                    let call = m.claim(U256::from(id));
                    match node
                        .chain
                        .send(call.into_transaction_request(), format!("claim task {id}"))
                        .await
                    {
                        Ok(_) => {
                            node.metrics.inc("poai_tasks_claimed", "tasks claimed", 1.0);
                            tracing::info!(task = id, steps = task.commitments.steps, "claimed");
                        }
                        Err(e) => tracing::info!(task = id, error = %e, "not claimed"),
                    }
                }
                status::CLAIMED if ours => self.train_or_commit(id).await?,
                status::COMMITTED if ours => {
                    if self.opts.cheat == Some(Cheat::WithholdCheckpoints) {
                        continue;
                    }
                    // Its segments' index names, once a task (up to 2^20 segments).
                    if self.indexed.insert(id) {
                        for segment in 0..t.commitments.steps / t.commitments.interval.max(1) {
                            let q = Question {
                                market: *m.address(),
                                task: id,
                                result_root: t.resultRoot.0,
                                segment,
                            };
                            self.indexes.insert(q.name(), (id, segment));
                        }
                    }
                    self.answer_games(id).await?;
                    if !self.opts.cheat.is_some_and(Cheat::withholds) {
                        self.answer_requests(id, now).await?;
                    }
                    if now > t.deadline && t.openCases == 0 {
                        node.chain
                            .send(
                                m.finalize(U256::from(id)).into_transaction_request(),
                                format!("finalize task {id}"),
                            )
                            .await?;
                        node.metrics.inc("poai_tasks_finalized", "tasks paid", 1.0);
                        tracing::info!(task = id, "finalized: paid");
                    }
                }
                _ => {}
            }
            if ours {
                let p = self.progress.get();
                let done = p.tasks.get(&id).map_or(0, |p| p.checkpoints.len());
                view.push(serde_json::json!({
                    "task": id, "status": t.status, "checkpoints": done,
                    "resultRoot": hex0x(&t.resultRoot.0),
                }));
            }
        }
        // The segment indexes checkers asked for, of this solver's tasks (a name it does not
        // know is someone else's, or made up).
        for name in node.store.take_wanted() {
            if let Some(&(task, segment)) = self.indexes.get(&name) {
                self.spawn(Job::Index { task, segment });
            }
        }
        node.set_status(serde_json::json!({ "tasks": view, "cheat": self.opts.cheat }));
        Ok(())
    }

    /// Whether task `t` (loaded as `task`) is one this solver can finish and is paid enough
    /// for (`claim::decide`), weighed once a task and never on the tick: what needs no
    /// measurement (stake, memory, pay, a window shorter than the overhead) first, then a few
    /// of its steps measured on a blocking thread (stopped once they alone outlast the window);
    /// `false` until the measurement is in. A refusal, or a task whose steps do not run here
    /// (a data set with NaN, a program the backend refuses), is logged with its reason and
    /// remembered (review of today's fixes, 1 and 2: a failing or slow measurement held up
    /// every other task's moves).
    async fn claimable(
        &mut self,
        t: &poai_common::chain::bindings::market::Market::Task,
        task: Arc<Loaded>,
    ) -> eyre::Result<bool> {
        let id = task.id;
        if let Some(&ok) = self.weighed.get(&id) {
            return Ok(ok);
        }
        let memory = match claim::memory(&task) {
            Ok(m) => m,
            Err(e) => return Ok(self.weigh(id, Err(format!("its program is invalid: {e:#}")))),
        };
        let fees = t.terms.verifierFee * U256::from(t.terms.samples);
        let offer = claim::Offer {
            steps: t.commitments.steps,
            solve_within: t.terms.solveWithin,
            clock: self.node.chain.dispute.clock().call().await?,
            stake: t.terms.solverStake,
            pay: t.payment.saturating_sub(fees),
            memory,
        };
        let policy = &self.opts.policy;
        let Some(job) = self.measuring.remove(&id) else {
            if let Err(why) = claim::decide(policy, &offer, Duration::ZERO) {
                return Ok(self.weigh(id, Err(why.to_string())));
            }
            // One measurement at a time, and none while this solver trains (review of the final
            // fixes, 1: a flood of heavy tasks would take the memory and cores a claimed task
            // needs); stopped once its steps alone show the run too slow.
            self.measuring.retain(|_, j| !j.is_finished());
            if !self.measuring.is_empty() || !self.training.is_empty() {
                return Ok(false);
            }
            let (backend, limit) = (self.opts.backend, claim::step_limit(policy, &offer));
            let job =
                tokio::task::spawn_blocking(move || claim::measure_step(&task, backend, limit));
            self.measuring.insert(id, job);
            return Ok(false);
        };
        if !job.is_finished() {
            self.measuring.insert(id, job);
            return Ok(false);
        }
        let decided = match job.await {
            Ok(Ok(step)) => {
                tracing::info!(task = id, step = ?step, "measured a step");
                claim::decide(policy, &offer, step).map_err(|why| why.to_string())
            }
            // A failure may be this machine's for the moment (its memory, its device): tried
            // again a few times before the task is refused for good (review of the final
            // fixes, 2).
            Ok(Err(e)) => {
                let failed = self.failed_measures.entry(id).or_default();
                *failed += 1;
                if *failed < MEASURE_TRIES {
                    tracing::warn!(task = id, error = %format!("{e:#}"), "its steps failed to run; measuring again");
                    return Ok(false);
                }
                Err(format!("its steps do not run here: {e:#}"))
            }
            Err(e) => Err(format!("its measurement failed: {e}")),
        };
        Ok(self.weigh(id, decided))
    }

    /// Remembers whether task `id` is claimable, logging why not.
    fn weigh(&mut self, id: u64, decided: Result<(), String>) -> bool {
        match &decided {
            Ok(()) => tracing::info!(task = id, "claimable"),
            Err(why) => {
                self.node.metrics.inc(
                    "poai_claims_refused",
                    "tasks this solver would not claim",
                    1.0,
                );
                tracing::info!(task = id, reason = %why, "not claimed");
            }
        }
        self.weighed.insert(id, decided.is_ok());
        decided.is_ok()
    }

    async fn train_or_commit(&mut self, id: u64) -> eyre::Result<()> {
        let node = self.node.clone();
        if let Some(job) = self.training.get(&id) {
            if !job.is_finished() {
                return Ok(());
            }
            let job = self.training.remove(&id).expect("present");
            let mut checkpoints = job.await??;
            if self.opts.cheat == Some(Cheat::PaddedResultList) {
                // Made-up leaves up to the padded width: the tree's depth, so the committed
                // leaves' paths, stay the same.
                let (n, width) = (checkpoints.len(), checkpoints.len().next_power_of_two());
                checkpoints.extend((n..width).map(|i| Cheat::junk("padding", id, i as u64)));
                record(&self.progress, id, &checkpoints)?;
            }
            if matches!(
                self.opts.cheat,
                Some(Cheat::SteerLookBack | Cheat::LateAnswers)
            ) {
                // The last finite checkpoint: the start of the segment that made the NaN.
                let segments = checkpoints.len() - 1;
                node.store.withhold_one(checkpoints[segments / 2]);
            }
            let root = state::result_root(&checkpoints)?;
            if self.opts.cheat == Some(Cheat::WithholdList) {
                node.store.withhold_one(root);
            }
            node.store
                .put(Kind::Hashes, &blob::encode_hashes(&checkpoints))?;
            let call = node
                .chain
                .market
                .commitResult(U256::from(id), B256::from(root));
            node.chain
                .send(call.into_transaction_request(), format!("commit task {id}"))
                .await?;
            self.progress
                .update(|p| p.tasks.entry(id).or_default().committed = true)?;
            let _ = node.net.announce(Kind::Hashes, root).await;
            node.metrics
                .inc("poai_results_committed", "results committed", 1.0);
            tracing::info!(task = id, result_root = %hex0x(&root), "committed");
            if self.opts.cheat == Some(Cheat::PreemptNaming) {
                preempt_naming(&node, id, &checkpoints).await?;
            }
            return Ok(());
        }
        let task = node.task(id).await?;
        let done = recorded(&self.progress, id)?;
        if !done.is_empty() {
            tracing::info!(task = id, checkpoints = done.len(), "resuming training");
        }
        let (node2, opts, progress) = (node.clone(), self.opts.clone(), self.progress.clone());
        let job = tokio::task::spawn_blocking(move || train(&node2, &task, &opts, &progress, done));
        self.training.insert(id, job);
        Ok(())
    }

    /// Answers the moves the solver owes in the task's games, soonest deadline first, each
    /// computed on a blocking thread: a segment's per-step states and a step's trace are posted
    /// once for every game that needs them. Claims the timeout of a challenger that stopped
    /// moving.
    async fn answer_games(&mut self, id: u64) -> eyre::Result<()> {
        let node = self.node.clone();
        let d = &node.chain.dispute;
        self.answering.retain(|_, j| !j.is_finished());
        let count: u64 = d.gameCount().call().await?.to();
        let now = node.chain.now().await?;
        let mut owed = Vec::new();
        for g_id in 1..=count {
            let g = d.game(U256::from(g_id)).call().await?;
            if g.task != U256::from(id) {
                continue;
            }
            let job = match g.phase {
                phase::AWAIT_STEPS if d.stepsPostedAt(g.task, g.segment).call().await? == 0 => {
                    Job::Steps {
                        task: id,
                        segment: g.segment,
                    }
                }
                phase::AWAIT_TRACE
                    if !matches!(
                        self.opts.cheat,
                        Some(Cheat::WithholdTrace | Cheat::FrameVerifier)
                    ) && d
                        .traceRoot(g.task, g.segment, g.step)
                        .call()
                        .await?
                        .is_zero() =>
                {
                    Job::Trace {
                        task: id,
                        segment: g.segment,
                        step: g.step,
                    }
                }
                phase::AWAIT_PICK | phase::AWAIT_PROOF if now > g.deadline => {
                    Job::Timeout { game: g_id }
                }
                _ => continue,
            };
            owed.push((g.deadline, job));
        }
        owed.sort();
        for (_, job) in owed {
            self.spawn(job);
        }
        Ok(())
    }

    /// Answers every open availability request of the task (AUDIT C1: a request nobody
    /// answers convicts the task), soonest deadline first.
    async fn answer_requests(&mut self, id: u64, now: u64) -> eyre::Result<()> {
        let a = &self.node.chain.availability;
        let count: u64 = a.requestCount().call().await?.to();
        let mut owed = Vec::new();
        for r_id in 1..=count {
            let r = a.request(U256::from(r_id)).call().await?;
            if r.task != U256::from(id) || !r.open {
                continue;
            }
            if r.deadline < now {
                // A steps request answered in time by the posted steps, but not closed yet:
                // close it, or it holds up finalization. (Its index is a segment.)
                if r.kind == poai_node::answer::kind::STEPS {
                    let posted = self
                        .node
                        .chain
                        .dispute
                        .stepsPostedAt(r.task, r.index.saturating_to::<u64>())
                        .call()
                        .await?;
                    if posted != 0 && posted <= r.deadline {
                        owed.push((r.deadline, Job::Close { id: r_id }));
                    }
                }
                continue;
            }
            // A late answerer waits until the last seconds before the answer is due.
            if self.opts.cheat == Some(Cheat::LateAnswers) && r.deadline > now + LATE {
                continue;
            }
            owed.push((r.deadline, Job::Request { id: r_id }));
        }
        owed.sort();
        for (_, job) in owed {
            self.spawn(job);
        }
        Ok(())
    }

    fn spawn(&mut self, job: Job) {
        if self.answering.contains_key(&job) {
            return;
        }
        let (node, opts, progress) = (self.node.clone(), self.opts.clone(), self.progress.clone());
        let handle = tokio::spawn(async move {
            let r = owe(&node, &opts, &progress, job).await;
            if let Err(e) = &r {
                tracing::warn!(?job, error = %format!("{e:#}"), "answer failed; retrying");
            }
            r
        });
        self.answering.insert(job, handle);
    }
}

impl poai_node::Role for Solver {
    const NAME: &'static str = "solver";

    fn node(&self) -> &Node {
        &self.node
    }

    async fn tick(&mut self) -> eyre::Result<()> {
        self.reconcile().await
    }
}

/// Trains task `task` from its last durable checkpoint; returns every checkpoint hash.
///
/// Checkpoints are hashed and written by `run::train_from`'s writer thread while training goes
/// on; every [`run::REPORT_EVERY`] the ones written are made durable and recorded in the
/// solver's progress, so a restarted solver resumes from the last recorded one. (With
/// `crash_after` set, each is recorded as soon as it is written, so the crash test stops at an
/// exact checkpoint.)
fn train(
    node: &Node,
    task: &Loaded,
    opts: &Options,
    progress: &Durable<Progress>,
    done: Vec<Hash>,
) -> eyre::Result<Vec<Hash>> {
    if opts.cheat == Some(Cheat::JunkRoots) {
        let junk: Vec<Hash> = (0..=task.segments())
            .map(|i| Cheat::junk("checkpoint", task.id, i))
            .collect();
        record(progress, task.id, &junk)?;
        return Ok(junk);
    }
    let store = node.store.checkpoints()?;
    let behaviour = Behaviour::new(task, opts.backend, opts.cheat)?;
    let steps = task.commitments.steps;
    let start = match done.last() {
        Some(h) => store.get(h).wrap_err("the last recorded checkpoint")?,
        None => task.spec.training.initial_state(),
    };
    let start = run::Start {
        state: behaviour.upload(&start)?,
        done,
    };
    let mut recorded = start.done.len();
    let progress = run::Progress {
        every: match opts.crash_after {
            Some(_) => Duration::ZERO,
            None => run::REPORT_EVERY,
        },
        report: |hashes: &[Hash]| -> eyre::Result<()> {
            record(progress, task.id, hashes)?;
            node.metrics.inc(
                "poai_checkpoints",
                "checkpoints written",
                (hashes.len() - recorded) as f64,
            );
            recorded = hashes.len();
            if opts.crash_after.is_some_and(|n| hashes.len() >= n) {
                tracing::error!(checkpoints = hashes.len(), "crashing, as told");
                std::process::abort();
            }
            Ok(())
        },
    };
    let bar = Bar::new(steps);
    let schedule = run::Schedule::new(steps, task.commitments.interval)?;
    let (checkpoints, _) = run::train_from(
        schedule,
        &store,
        start,
        |state, t| behaviour.step(state, t),
        |t| {
            node.metrics
                .inc("poai_steps_trained", "training steps run", 1.0);
            bar.tick(t);
        },
        progress,
    )?;
    Ok(checkpoints)
}

fn record(progress: &Durable<Progress>, id: u64, done: &[Hash]) -> eyre::Result<()> {
    progress.update(|p| {
        p.tasks.entry(id).or_default().checkpoints = done.iter().map(hex0x).collect();
    })
}

/// Progress on stderr: a line every tenth of the run.
struct Bar {
    steps: u64,
    every: u64,
}

impl Bar {
    fn new(steps: u64) -> Self {
        Self {
            steps,
            every: (steps / 10).max(1),
        }
    }

    fn tick(&self, t: u64) {
        if t.is_multiple_of(self.every) || t == self.steps {
            let filled = (20 * t / self.steps) as usize;
            tracing::info!(
                "training [{}{}] {t}/{}",
                "#".repeat(filled),
                "-".repeat(20 - filled),
                self.steps
            );
        }
    }
}

/// Sends what `job` owes.
async fn owe(
    node: &Arc<Node>,
    opts: &Options,
    progress: &Durable<Progress>,
    job: Job,
) -> eyre::Result<()> {
    match job {
        Job::Steps { task, segment } => post_steps(node, opts, progress, task, segment).await,
        Job::Trace {
            task,
            segment,
            step,
        } => post_trace(node, opts, task, segment, step).await,
        Job::Timeout { game } => {
            node.chain
                .send(
                    node.chain
                        .dispute
                        .timeout(U256::from(game))
                        .into_transaction_request(),
                    format!("game {game}: the challenger missed its move"),
                )
                .await?;
            Ok(())
        }
        Job::Request { id } => answer::request(node, opts, progress, id).await,
        Job::Index { task, segment } => serve_index(node, opts, progress, task, segment).await,
        Job::Close { id } => {
            node.chain
                .send(
                    node.chain
                        .availability
                        .requestTimeout(U256::from(id))
                        .into_transaction_request(),
                    format!("request {id}: answered by the posted steps; close it"),
                )
                .await?;
            Ok(())
        }
    }
}

/// `PreemptNaming`: on every segment, per-step states other than the ones it signs (made up
/// between the right ends), posted before any pass can name the signed index.
async fn preempt_naming(node: &Arc<Node>, task_id: u64, checkpoints: &[Hash]) -> eyre::Result<()> {
    let task = node.task(task_id).await?;
    let k = task.commitments.interval;
    for segment in 0..task.segments() {
        let mut states = vec![B256::from(checkpoints[segment as usize])];
        states.extend((1..k).map(|i| B256::from(Cheat::junk("preempt", segment, i))));
        states.push(B256::from(checkpoints[segment as usize + 1]));
        let (first, last) = prove::ends(checkpoints, segment)?;
        let call = node
            .chain
            .dispute
            .postSteps(U256::from(task_id), segment, states, first, last);
        node.chain
            .send(
                call.into_transaction_request(),
                format!("task {task_id}: other steps of segment {segment} than it signs"),
            )
            .await?;
    }
    tracing::info!(task = task_id, "posted other per-step states than it signs");
    Ok(())
}

/// Move 1, for every game on `segment`: the segment's per-step state hashes, recomputed from the
/// solver's own checkpoint, each state stored (and served) before the hashes are posted.
async fn post_steps(
    node: &Arc<Node>,
    opts: &Options,
    progress: &Durable<Progress>,
    task_id: u64,
    segment: u64,
) -> eyre::Result<()> {
    let task = node.task(task_id).await?;
    let checkpoints = recorded(progress, task_id)?;
    if checkpoints.is_empty() {
        eyre::bail!("no record of task {task_id}");
    }
    // What it signed, if it served the segment's index; else recomputed. (An honest solver
    // recomputes bit for bit, but never posting other than it signed is the rule that
    // `proveEquivocation` enforces, so it is kept here by construction.)
    let states = match stored_index(node, task_id, segment).await? {
        Some(index) => index.states,
        None => segment_states(node, opts, &task, &checkpoints, segment).await?,
    };
    let (first, last) = prove::ends(&checkpoints, segment)?;
    let hashes: Vec<B256> = states.iter().map(|h| B256::from(*h)).collect();
    let call = node
        .chain
        .dispute
        .postSteps(U256::from(task_id), segment, hashes, first, last);
    node.chain
        .send(
            call.into_transaction_request(),
            format!("task {task_id}: post the steps of segment {segment}"),
        )
        .await?;
    tracing::info!(
        task = task_id,
        segment,
        "posted the segment's per-step states"
    );
    Ok(())
}

/// The `k + 1` per-step state hashes of `segment`, recomputed from checkpoint `segment` and
/// stored (with the list, as a `hashes` blob named by its root).
async fn segment_states(
    node: &Arc<Node>,
    opts: &Options,
    task: &Arc<Loaded>,
    checkpoints: &[Hash],
    segment: u64,
) -> eyre::Result<Vec<Hash>> {
    let (node2, opts2, t) = (node.clone(), opts.clone(), task.clone());
    let start = checkpoints[segment as usize];
    let k = task.commitments.interval;
    if opts.cheat == Some(Cheat::JunkRoots) {
        let mut states = vec![start];
        states.extend((1..k).map(|i| Cheat::junk("state", segment, i)));
        states.push(checkpoints[segment as usize + 1]);
        return Ok(states);
    }
    tokio::task::spawn_blocking(move || -> eyre::Result<Vec<Hash>> {
        let behaviour = Behaviour::new(&t, opts2.backend, opts2.cheat)?;
        let store = node2.store.checkpoints()?;
        let mut state = store.get(&start)?;
        let mut hashes = vec![engine::state_hash(&state)];
        for s in segment * k..(segment + 1) * k {
            state = behaviour.download(behaviour.step(behaviour.upload(&state)?, s)?)?;
            hashes.push(store.put_unsynced(&state)?);
        }
        node2
            .store
            .put(Kind::Hashes, &blob::encode_hashes(&hashes))?;
        Ok(hashes)
    })
    .await?
}

/// Builds, signs and serves the index of `segment` of task `task_id` ([`poai_common::segment`]):
/// its per-step states and the trace of each step, recomputed from the solver's own checkpoint
/// exactly as it would post them in a game, so a checker can check every op with tier 2.
async fn serve_index(
    node: &Arc<Node>,
    opts: &Options,
    progress: &Durable<Progress>,
    task_id: u64,
    segment: u64,
) -> eyre::Result<()> {
    let task = node.task(task_id).await?;
    let question = question(node, task_id, segment).await?;
    if node.store.has(Kind::Segment, &question.name()) {
        return Ok(());
    }
    let checkpoints = recorded(progress, task_id)?;
    let start = *checkpoints
        .get(segment as usize)
        .ok_or_else(|| eyre::eyre!("no checkpoint {segment} of task {task_id}"))?;
    let (node2, opts2, t) = (node.clone(), opts.clone(), task.clone());
    let k = task.commitments.interval;
    let (states, traces) =
        tokio::task::spawn_blocking(move || -> eyre::Result<(Vec<Hash>, Vec<Hash>)> {
            let behaviour = Behaviour::new(&t, opts2.backend, opts2.cheat)?;
            let store = node2.store.checkpoints()?;
            let mut state = store.get(&start)?;
            let (mut states, mut traces) = (vec![start], Vec::new());
            for s in segment * k..(segment + 1) * k {
                let trace = behaviour.served_trace(&state, s)?;
                node2
                    .store
                    .put(Kind::Trace, &blob::encode_tensors(&trace.slots))?;
                traces.push(trace.root);
                state = behaviour.download(behaviour.step(behaviour.upload(&state)?, s)?)?;
                states.push(store.put_unsynced(&state)?);
            }
            Ok((states, traces))
        })
        .await??;
    let end = checkpoints.get(segment as usize + 1);
    if states.last() != end {
        eyre::bail!(
            "segment {segment} of task {task_id} does not end at its checkpoint; not signed"
        );
    }
    let digest = Index::digest(&question, &states, &traces)?;
    let index = Index {
        signature: node.chain.sign(digest)?,
        question,
        states,
        traces,
    };
    node.store.put(Kind::Segment, &index.encode())?;
    let _ = node.net.announce(Kind::Segment, question.name()).await;
    tracing::info!(
        task = task_id,
        segment,
        "serving the segment's index, states and traces"
    );
    Ok(())
}

/// What a segment index of task `task_id` answers, as the chain has the task.
async fn question(node: &Node, task_id: u64, segment: u64) -> eyre::Result<Question> {
    let t = node.chain.market.task(U256::from(task_id)).call().await?;
    Ok(Question {
        market: *node.chain.market.address(),
        task: task_id,
        result_root: t.resultRoot.0,
        segment,
    })
}

/// The index of `segment` of task `task_id` this solver signed and stored, if any.
async fn stored_index(node: &Node, task_id: u64, segment: u64) -> eyre::Result<Option<Index>> {
    let question = question(node, task_id, segment).await?;
    Ok(node
        .store
        .read(Kind::Segment, &question.name())
        .and_then(|bytes| Index::decode(&bytes).ok()))
}

/// Move 3, for every game that picked `step` of `segment`: the step's slot hashes, from the
/// trace recomputed from the per-step state the solver posted, stored (and served) first.
async fn post_trace(
    node: &Arc<Node>,
    opts: &Options,
    task_id: u64,
    segment: u64,
    step: u64,
) -> eyre::Result<()> {
    let task = node.task(task_id).await?;
    // The per-step hashes as this solver stored them when it posted them (named by the steps
    // root), else as the chain's event has them.
    let root = node
        .chain
        .dispute
        .stepsRoot(U256::from(task_id), segment)
        .call()
        .await?;
    let states = match node.store.read(Kind::Hashes, &root.0) {
        Some(bytes) => blob::decode_hashes(&bytes)?,
        None => poai_node::challenge::steps_posted(node, task_id, segment).await?,
    };
    let start = states[step as usize];
    let (node2, opts2, t) = (node.clone(), opts.clone(), task.clone());
    let k = task.commitments.interval;
    let junk = opts.cheat == Some(Cheat::JunkRoots);
    // The trace it signed in the segment's index, if it served one with these states.
    let signed = stored_index(node, task_id, segment)
        .await?
        .filter(|_| opts.cheat != Some(Cheat::BaitIndex)) // it posts another than it signed
        .filter(|index| index.states == states)
        .and_then(|index| index.traces.get(step as usize).copied())
        .and_then(|root| node.store.read(Kind::Trace, &root));
    let slots = tokio::task::spawn_blocking(move || -> eyre::Result<Vec<Hash>> {
        if let Some(bytes) = signed {
            let slots = blob::decode_tensors(&bytes)?;
            return Ok(slots.iter().map(|s| s.commit().hash).collect());
        }
        if junk {
            let n = t.program.state.len() + t.program.ops.len();
            return Ok((0..n as u64)
                .map(|i| Cheat::junk("slot", step, i))
                .collect());
        }
        let behaviour = Behaviour::new(&t, opts2.backend, opts2.cheat)?;
        let state = node2.store.checkpoints()?.get(&start)?;
        let trace = behaviour.trace(&state, segment * k + step)?;
        node2
            .store
            .put(Kind::Trace, &blob::encode_tensors(&trace.slots))?;
        Ok(trace.slots.iter().map(|s| s.commit().hash).collect())
    })
    .await??;
    let root = state::trace_root(&slots)?;
    let hashes: Vec<B256> = slots.iter().map(|h| B256::from(*h)).collect();
    // On a segment a pass named, the trace is the named one, with its path among the roots.
    let path = poai_node::challenge::named_path(node, task_id, segment, step).await?;
    let call = node
        .chain
        .dispute
        .postTrace(U256::from(task_id), segment, step, hashes, path);
    node.chain
        .send(
            call.into_transaction_request(),
            format!("task {task_id}: post the trace of step {step} of segment {segment}"),
        )
        .await?;
    tracing::info!(task = task_id, segment, step, trace_root = %hex0x(&root), "posted the step's trace");
    Ok(())
}
