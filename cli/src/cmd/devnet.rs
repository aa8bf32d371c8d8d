//! `poai devnet`, the README's demo: a whole PoAI network on this machine. It starts anvil
//! (Foundry from npm), deploys `OpProver` and `Market`, starts one solver, two verifiers (the
//! second on wgpu when the binary has it and a Vulkan driver is present, so tolerance across
//! backends is exercised) and one whistleblower as separate `poai` processes that find each
//! other over libp2p on 127.0.0.1, submits a digits training task, and reports what happened:
//! the task, the commit, the attestations, any dispute, the settlement and the balances.
//!
//! Flags make a participant misbehave, so a person can watch it caught: `--cheat` (the solver),
//! `--lazy-verifier`, `--false-alarm` (the whistleblower), `--restart-solver` (crashed in the
//! middle of training and started again).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use alloy::network::EthereumWallet;
use alloy::node_bindings::Anvil;
use alloy::primitives::Address;
use alloy::providers::ProviderBuilder;
use alloy::signers::local::PrivateKeySigner;
use eyre::{WrapErr, bail};
use poai_common::chain::bindings::market::Market;
use poai_node::chain::eth;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

use super::digits::TaskArgs;
use super::submit::{self, Terms};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// anvil [default: this checkout's contracts/node_modules/.bin/anvil].
    #[arg(long, env = "POAI_ANVIL")]
    anvil: Option<PathBuf>,
    /// Where the nodes keep their data and logs [default: a new directory under the system's
    /// temporary directory].
    #[arg(long)]
    dir: Option<PathBuf>,
    /// The solver cheats this way.
    #[arg(long)]
    cheat: Option<poai_solver::Cheat>,
    /// The first verifier attests pass without checking; the second is not started.
    #[arg(long)]
    lazy_verifier: bool,
    /// The whistleblower challenges a segment that passes.
    #[arg(long)]
    false_alarm: bool,
    /// Crash the solver in the middle of training (it aborts after its third checkpoint) and
    /// start it again.
    #[arg(long)]
    restart_solver: bool,
    /// A stranger asks the solver on chain for a row of the initial state and for the row past
    /// its end, once the result is committed (both must be answered).
    #[arg(long)]
    stranger_requests: bool,
    /// A griefer opens this many challenges of the committed task at once.
    #[arg(long, default_value_t = 0)]
    mass_challenges: u64,
    /// Seconds each party has for a move of the dispute game.
    #[arg(long, default_value_t = 20)]
    move_window: u64,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 900)]
    timeout: u64,
    #[command(flatten)]
    task: TaskArgs,
    #[command(flatten)]
    terms: Terms,
}

/// The dev accounts' roles (anvil's well-known keys, each funded with 10 000 ETH).
const SUBMITTER: usize = 0;
const SOLVER: usize = 1;
const VERIFIER_A: usize = 2;
const VERIFIER_B: usize = 3;
const WHISTLEBLOWER: usize = 4;
const STRANGER: usize = 5;
const GRIEFER: usize = 6;

struct Proc {
    name: &'static str,
    dir: PathBuf,
    child: Child,
}

fn spawn(name: &'static str, args: Vec<String>, dir: &Path) -> eyre::Result<Proc> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(format!("{name}.log")))?;
    let child = Command::new(std::env::current_exe()?)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .wrap_err_with(|| format!("starting the {name}"))?;
    Ok(Proc {
        name,
        dir: dir.join(name),
        child,
    })
}

/// Waits for a node's `node.json`.
async fn about(p: &mut Proc) -> eyre::Result<Value> {
    let path = p.dir.join("node.json");
    let start = Instant::now();
    loop {
        if let Ok(bytes) = std::fs::read(&path)
            && let Ok(v) = serde_json::from_slice::<Value>(&bytes)
        {
            return Ok(v);
        }
        if let Some(status) = p.child.try_wait()? {
            bail!("the {} exited ({status}) before it was up", p.name);
        }
        if start.elapsed() > Duration::from_secs(120) {
            bail!("the {} did not come up", p.name);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn vulkan_present() -> bool {
    ["/usr/share/vulkan/icd.d", "/etc/vulkan/icd.d"]
        .iter()
        .any(|d| std::fs::read_dir(d).is_ok_and(|mut entries| entries.next().is_some()))
}

pub(crate) async fn run(args: Args, json_out: bool) -> eyre::Result<()> {
    let started = Instant::now();
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("poai-devnet-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir)?;
    let anvil_path = args
        .anvil
        .clone()
        .unwrap_or_else(poai_common::chain::default_anvil);
    if !anvil_path.exists() {
        bail!(
            "anvil is not at {}: run `npm ci --prefix contracts`",
            anvil_path.display()
        );
    }
    let anvil = Anvil::new()
        .path(anvil_path)
        .block_time(1)
        .try_spawn()
        .wrap_err("starting anvil")?;
    let rpc = anvil.endpoint();
    let keys: Vec<String> = anvil
        .keys()
        .iter()
        .map(|k| format!("0x{}", hex::encode(k.to_bytes())))
        .collect();
    let addr = |i: usize| anvil.addresses()[i];

    let signer: PrivateKeySigner = keys[SUBMITTER].parse()?;
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(anvil.endpoint_url());
    let deployed = poai_node::chain::deploy(
        &provider,
        &poai_node::chain::Settings {
            unbonding: 3600,
            move_window: args.move_window,
            // Each side's clock in a game: the least the game allows (each of a challenger's two
            // moves may wait a move window for an opening on chain).
            clock: 3 * args.move_window,
            // The deploy script's default (`DEFAULT_MIN_BOND`): the costliest answer's gas at
            // 30 gwei.
            min_bond: eth(0.165),
            min_verifier_stake: eth(1.0),
        },
    )
    .await?;
    let m = deployed.market;
    let market = Market::new(m, &provider);
    say(
        json_out,
        format!(
            "anvil at {rpc}; Market {m}, Dispute {}, Availability {}, OpProver {}",
            deployed.dispute, deployed.availability, deployed.prover
        ),
    );

    let common = |i: usize, name: &str| -> Vec<String> {
        vec![
            "--rpc".into(),
            rpc.clone(),
            "--key".into(),
            keys[i].clone(),
            "--market".into(),
            m.to_string(),
            "--data-dir".into(),
            dir.join(name).display().to_string(),
        ]
    };
    let mut solver_args = vec!["solver".to_string()];
    solver_args.extend(common(SOLVER, "solver"));
    if let Some(c) = args.cheat {
        solver_args.extend(["--cheat".into(), c.name().into()]);
    }
    let solver_base = solver_args.clone();
    if args.restart_solver {
        // A real crash of a real process: it aborts right after its third durable checkpoint.
        solver_args.extend(["--crash-after-checkpoints".into(), "3".into()]);
    }
    let mut solver = spawn("solver", solver_args, &dir)?;
    let solver_about = about(&mut solver).await?;
    let peer = solver_about["peer"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let solver_api = solver_about["api"].as_str().unwrap_or_default().to_string();

    let second_backend = if cfg!(feature = "wgpu") && vulkan_present() {
        "wgpu-cpu"
    } else {
        "flex"
    };
    let mut others = Vec::new();
    let with_peer = |mut a: Vec<String>| {
        a.extend(["--peer".into(), peer.clone()]);
        a
    };
    let mut v_a = vec!["verifier".to_string()];
    v_a.extend(common(VERIFIER_A, "verifier-a"));
    if args.lazy_verifier {
        v_a.push("--lazy".into());
    }
    others.push(spawn("verifier-a", with_peer(v_a), &dir)?);
    if !args.lazy_verifier {
        let mut v_b = vec!["verifier".to_string()];
        v_b.extend(common(VERIFIER_B, "verifier-b"));
        v_b.extend(["--backend".into(), second_backend.into()]);
        others.push(spawn("verifier-b", with_peer(v_b), &dir)?);
    }
    let mut w = vec!["whistleblower".to_string()];
    w.extend(common(WHISTLEBLOWER, "whistleblower"));
    if args.false_alarm {
        w.push("--false-alarm".into());
    }
    others.push(spawn("whistleblower", with_peer(w), &dir)?);
    let mut apis = vec![("solver".to_string(), solver_api.clone())];
    for p in &mut others {
        let a = about(p).await?;
        apis.push((
            p.name.to_string(),
            a["api"].as_str().unwrap_or_default().to_string(),
        ));
    }
    // Sampling assigns registered verifiers only: wait until they are.
    let verifiers: Vec<Address> = if args.lazy_verifier {
        vec![addr(VERIFIER_A)]
    } else {
        vec![addr(VERIFIER_A), addr(VERIFIER_B)]
    };
    for v in &verifiers {
        let start = Instant::now();
        while !market.registered(*v).call().await? {
            if start.elapsed() > Duration::from_secs(120) {
                bail!("verifier {v} did not register");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    say(
        json_out,
        format!(
            "nodes up: solver{}, {} verifier(s) (second on {second_backend}), whistleblower{}; logs in {}",
            args.cheat
                .map(|c| format!(" (cheat: {})", c.name()))
                .unwrap_or_default(),
            verifiers.len(),
            if args.false_alarm {
                " (false alarm)"
            } else {
                ""
            },
            dir.display()
        ),
    );

    let submit_args = submit::Args {
        chain: super::ChainArgs {
            rpc: rpc.clone(),
            key: keys[SUBMITTER].clone(),
            market: m,
        },
        node: solver_api.clone(),
        task: args.task.clone(),
        terms: args.terms.clone(),
    };
    let (task, submitted) = submit::submit(&submit_args).await?;
    say(
        json_out,
        format!(
            "task {task} submitted: {} steps, k = {}, spec {}",
            submitted["steps"],
            submitted["interval"],
            submitted["specHash"].as_str().unwrap_or_default()
        ),
    );

    let names: Vec<(String, Address)> = [
        ("submitter", SUBMITTER),
        ("solver", SOLVER),
        ("verifier-a", VERIFIER_A),
        ("verifier-b", VERIFIER_B),
        ("whistleblower", WHISTLEBLOWER),
        ("stranger", STRANGER),
        ("griefer", GRIEFER),
    ]
    .into_iter()
    .map(|(n, i)| (n.to_string(), addr(i)))
    .collect();
    let mut strangers: Option<Value> = None;
    let mut seen = std::collections::BTreeSet::new();
    let mut restarted = None;
    let mut refunded = false;
    let deadline = Instant::now() + Duration::from_secs(args.timeout);
    let report = loop {
        let r = super::status::report(&market, &names).await?;
        for line in events(&r) {
            if seen.insert(line.clone()) {
                say(json_out, line);
            }
        }
        let t = &r["tasks"][0];
        if t["status"] == "committed" && strangers.is_none() {
            strangers = Some(strangers_act(&args, &rpc, &keys, m, task).await?);
            say(
                json_out,
                format!("strangers acted: {}", strangers.as_ref().expect("set")),
            );
        }
        if t["status"] == "open" && !refunded {
            // Nobody claimed it in time (a solver refuses a task it cannot finish): the
            // submitter takes its escrow back.
            let k = market
                .task(alloy::primitives::U256::from(task))
                .call()
                .await?;
            let now = alloy::providers::Provider::get_block_by_number(
                &provider,
                alloy::eips::BlockNumberOrTag::Latest,
            )
            .await?
            .ok_or_else(|| eyre::eyre!("no latest block"))?
            .header
            .timestamp;
            if now > k.deadline {
                // A provider of its own: `submit` sent from this key under its own nonces.
                let signer: PrivateKeySigner = keys[SUBMITTER].parse()?;
                let fresh = ProviderBuilder::new()
                    .wallet(EthereumWallet::from(signer))
                    .connect_http(rpc.parse()?);
                Market::new(m, &fresh)
                    .refund(alloy::primitives::U256::from(task))
                    .send()
                    .await?
                    .get_receipt()
                    .await?;
                refunded = true;
                say(
                    json_out,
                    format!("nobody claimed task {task} in time: its escrow refunded"),
                );
            }
        }
        let settled = matches!(
            t["status"].as_str(),
            Some("finalized" | "slashed" | "refunded")
        ) && t["settled"] == true;
        let games_open = r["games"].as_array().into_iter().flatten().any(|g| {
            g["phase"]
                .as_str()
                .is_some_and(|p| p.starts_with("awaiting"))
        });
        if settled && !games_open {
            break r;
        }
        if args.restart_solver
            && restarted.is_none()
            && let Some(status) = solver.child.try_wait()?
        {
            let n = recorded_checkpoints(&solver.dir, task);
            say(
                json_out,
                format!("the solver crashed ({status}) after {n} checkpoints; restarting it"),
            );
            solver = spawn("solver", solver_base.clone(), &dir)?;
            restarted = Some(n);
        }
        for p in others.iter_mut().chain(std::iter::once(&mut solver)) {
            if let Some(status) = p.child.try_wait()? {
                bail!(
                    "the {} exited ({status}); see {}/{}.log",
                    p.name,
                    dir.display(),
                    p.name
                );
            }
        }
        if Instant::now() > deadline {
            bail!(
                "the task was not settled within {} s; logs in {}",
                args.timeout,
                dir.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    // What each node says of itself over HTTP, before they stop.
    let mut nodes = serde_json::Map::new();
    for (name, api) in &apis {
        let get = async |path: &str| -> Option<String> {
            reqwest::get(format!("{api}{path}"))
                .await
                .ok()?
                .text()
                .await
                .ok()
        };
        nodes.insert(
            name.clone(),
            json!({ "health": get("/health").await, "metrics": get("/metrics").await }),
        );
    }
    let timeline = timeline(&provider, &[m, deployed.dispute, deployed.availability]).await?;
    let dispute = dispute_cost(&timeline);
    let settlement = settlement_time(&timeline);
    let summary = json!({
        "task": task,
        "submitted": submitted,
        "report": report,
        "timeline": timeline,
        "nodes": nodes,
        "dispute": dispute,
        "settlement": settlement,
        "restartedAfterCheckpoints": restarted,
        "strangers": strangers,
        "seconds": started.elapsed().as_secs_f64(),
        "logs": dir.display().to_string(),
    });
    if json_out {
        println!("{summary:#}");
    } else {
        println!();
        super::status::print(&report);
        if !dispute.is_null() {
            println!(
                "dispute      challenge to slash in {} s (block time); challenger {} tx, {} gas; solver {} tx, {} gas",
                dispute["seconds"],
                dispute["challengerTxs"],
                dispute["challengerGas"],
                dispute["solverTxs"],
                dispute["solverGas"]
            );
        }
        println!("settled in {:.1} s", started.elapsed().as_secs_f64());
    }
    drop(anvil);
    Ok(())
}

/// How many checkpoints the solver recorded for `task` (its durable `solver.json`).
fn recorded_checkpoints(solver_dir: &Path, task: u64) -> u64 {
    std::fs::read(solver_dir.join("solver.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|v| {
            v["tasks"][task.to_string()]["checkpoints"]
                .as_array()
                .map(Vec::len)
        })
        .unwrap_or(0) as u64
}

fn say(json_out: bool, line: String) {
    if json_out {
        eprintln!("{line}");
    } else {
        println!("{line}");
    }
}

/// One line per fact of the report, so the watch loop prints each once, as it happens.
fn events(r: &Value) -> Vec<String> {
    let mut out = Vec::new();
    // Accounts by name where the report knows them.
    let who = |a: &Value| -> String {
        let a = a.as_str().unwrap_or_default();
        r["accounts"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|x| x["address"] == a)
            .and_then(|x| x["name"].as_str())
            .map_or_else(|| a.to_string(), str::to_string)
    };
    for t in r["tasks"].as_array().into_iter().flatten() {
        let id = &t["task"];
        let status = t["status"].as_str().unwrap_or_default();
        if status != "open" {
            out.push(format!("task {id}: {status}"));
        }
        for s in t["samples"].as_array().into_iter().flatten() {
            out.push(format!(
                "task {id}: segment {} sampled for {}",
                s["segment"],
                who(&s["verifier"])
            ));
            if s["attest"] != "none" {
                out.push(format!(
                    "task {id}: {} attests {} on segment {} (distance {:.2e})",
                    who(&s["verifier"]),
                    s["attest"].as_str().unwrap_or_default(),
                    s["segment"],
                    s["distance"].as_f64().unwrap_or_default()
                ));
            }
        }
    }
    for g in r["games"].as_array().into_iter().flatten() {
        out.push(format!(
            "game {} ({} against task {}, segment {}): {}{}",
            g["game"],
            who(&g["challenger"]),
            g["task"],
            g["segment"],
            g["phase"].as_str().unwrap_or_default(),
            if g["phase"] == "awaiting trace" || g["phase"] == "awaiting proof" {
                format!(" (step {})", g["step"])
            } else {
                String::new()
            }
        ));
    }
    out
}

/// What the devnet's strangers do once the task is committed (`--stranger-requests`,
/// `--mass-challenges`).
async fn strangers_act(
    args: &Args,
    rpc: &str,
    keys: &[String],
    market: Address,
    task: u64,
) -> eyre::Result<Value> {
    let mut done = json!({});
    if args.stranger_requests {
        let (_, _, training) = args.task.load()?;
        let layout = training.model.training(training.sgd).layout();
        let ids = super::strangers::request_rows(
            rpc,
            &keys[STRANGER],
            market,
            task,
            &training.initial_state(),
            layout,
        )
        .await?;
        done["requests"] = json!(ids);
    }
    if args.mass_challenges > 0 {
        let games = super::strangers::mass_challenge(
            rpc,
            &keys[GRIEFER],
            market,
            task,
            args.mass_challenges,
        )
        .await?;
        done["challenges"] = json!(games);
    }
    Ok(done)
}

/// Every event of the market and its courts in the run, in order: block time, event,
/// transaction, sender, gas.
async fn timeline<P: alloy::providers::Provider>(
    provider: &P,
    contracts: &[Address],
) -> eyre::Result<Vec<Value>> {
    use alloy::rpc::types::Filter;
    use alloy::sol_types::SolEvent;
    use poai_common::chain::bindings::availability::Availability as A;
    use poai_common::chain::bindings::dispute::Dispute as D;
    use poai_common::chain::bindings::market::Market as M;
    let names = [
        (M::TaskSubmitted::SIGNATURE_HASH, "TaskSubmitted"),
        (M::TaskClaimed::SIGNATURE_HASH, "TaskClaimed"),
        (M::ResultCommitted::SIGNATURE_HASH, "ResultCommitted"),
        (M::SamplingDone::SIGNATURE_HASH, "SamplingDone"),
        (M::Attested::SIGNATURE_HASH, "Attested"),
        (D::Challenged::SIGNATURE_HASH, "Challenged"),
        (D::StepsPosted::SIGNATURE_HASH, "StepsPosted"),
        (D::StepPicked::SIGNATURE_HASH, "StepPicked"),
        (D::TracePosted::SIGNATURE_HASH, "TracePosted"),
        (D::FraudProven::SIGNATURE_HASH, "FraudProven"),
        (D::GameEnded::SIGNATURE_HASH, "GameEnded"),
        (A::Requested::SIGNATURE_HASH, "Requested"),
        (A::LeafOpened::SIGNATURE_HASH, "LeafOpened"),
        (A::DataOpened::SIGNATURE_HASH, "DataOpened"),
        (A::Answered::SIGNATURE_HASH, "Answered"),
        (A::RequestTimedOut::SIGNATURE_HASH, "RequestTimedOut"),
        (M::WindowExtended::SIGNATURE_HASH, "WindowExtended"),
        (M::Convicted::SIGNATURE_HASH, "Convicted"),
        (M::Settled::SIGNATURE_HASH, "Settled"),
        (M::TaskFinalized::SIGNATURE_HASH, "TaskFinalized"),
    ];
    let logs = provider
        .get_logs(&Filter::new().address(contracts.to_vec()).from_block(0))
        .await?;
    let mut out = Vec::new();
    for log in logs {
        let Some(&(_, name)) = log
            .topic0()
            .and_then(|t| names.iter().find(|(h, _)| h == t))
        else {
            continue;
        };
        let tx = log.transaction_hash.unwrap_or_default();
        let receipt = provider.get_transaction_receipt(tx).await?;
        let block = provider
            .get_block_by_number(log.block_number.unwrap_or_default().into())
            .await?;
        out.push(json!({
            "event": name,
            "time": block.map(|b| b.header.timestamp),
            "block": log.block_number,
            "tx": tx.to_string(),
            "from": receipt.as_ref().map(|r| r.from.to_string()),
            "gas": receipt.as_ref().map(|r| r.gas_used),
            // The first indexed argument: the task or the game.
            "id": log.topics().get(1).map(|t| alloy::primitives::U256::from_be_bytes(t.0).to::<u64>()),
        }));
    }
    Ok(out)
}

/// The cost of the game that slashed the task: seconds from its challenge to the proof (block
/// time) and each side's transactions and gas.
fn dispute_cost(timeline: &[Value]) -> Value {
    let Some(proven) = timeline.iter().find(|e| e["event"] == "FraudProven") else {
        return Value::Null;
    };
    let game = &proven["id"];
    let of_game: Vec<&Value> = timeline
        .iter()
        .filter(|e| match e["event"].as_str() {
            Some("Challenged" | "StepPicked" | "FraudProven") => e["id"] == *game,
            // Posted once per segment or step for every game (indexed by the task); the
            // devnet runs one task.
            Some("StepsPosted" | "TracePosted") => true,
            _ => false,
        })
        .collect();
    let challenged = of_game.iter().find(|e| e["event"] == "Challenged");
    let challenger = challenged.map(|e| e["from"].clone()).unwrap_or_default();
    let (mut ctx, mut cgas, mut stx, mut sgas) = (0, 0u64, 0, 0u64);
    for e in &of_game {
        let gas = e["gas"].as_u64().unwrap_or_default();
        if e["from"] == challenger {
            ctx += 1;
            cgas += gas;
        } else {
            stx += 1;
            sgas += gas;
        }
    }
    json!({
        "game": game,
        "seconds": challenged.map(|c| proven["time"].as_u64().unwrap_or_default().saturating_sub(c["time"].as_u64().unwrap_or_default())),
        "challengerTxs": ctx,
        "challengerGas": cgas,
        "solverTxs": stx,
        "solverGas": sgas,
    })
}

/// Seconds from the commit to the settlement (block time).
fn settlement_time(timeline: &[Value]) -> Value {
    let at = |name: &str| {
        timeline
            .iter()
            .find(|e| e["event"] == name)
            .and_then(|e| e["time"].as_u64())
    };
    let settled = at("TaskFinalized").or(at("Convicted"));
    match (at("ResultCommitted"), settled) {
        (Some(c), Some(s)) => json!({ "commitToSettlement": s.saturating_sub(c) }),
        _ => Value::Null,
    }
}
