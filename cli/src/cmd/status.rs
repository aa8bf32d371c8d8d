//! `poai status`: what the market holds — every task with its samples, attestations and games,
//! and the money of the accounts asked about.

use alloy::primitives::{Address, U256};
use alloy::providers::{Provider, ProviderBuilder};
use poai_common::chain::bindings::dispute::Dispute;
use poai_common::chain::bindings::market::Market::{self, MarketInstance};
use poai_node::chain::ether;
use poai_node::challenge::phase;
use poai_node::status;
use serde_json::{Value, json};

use super::hex0x;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[arg(long, env = "POAI_RPC", default_value = "http://127.0.0.1:8545")]
    rpc: String,
    #[arg(long, env = "POAI_MARKET")]
    market: Address,
    /// Accounts whose credits and stakes to show (repeatable).
    #[arg(long = "account", value_delimiter = ',')]
    accounts: Vec<Address>,
}

/// The market's tasks and games, and the named accounts' money.
pub(crate) async fn report<P: Provider>(
    market: &MarketInstance<P>,
    accounts: &[(String, Address)],
) -> eyre::Result<Value> {
    let mut tasks = Vec::new();
    let count: u64 = market.taskCount().call().await?.to();
    let dispute = Dispute::new(market.dispute().call().await?, market.provider());
    let games_count: u64 = dispute.gameCount().call().await?.to();
    let mut games = Vec::new();
    for id in 1..=games_count {
        let g = dispute.game(U256::from(id)).call().await?;
        games.push(json!({
            "game": id, "task": g.task.to::<u64>(), "challenger": g.challenger.to_string(),
            "segment": g.segment, "phase": phase::name(g.phase), "step": g.step,
        }));
    }
    for id in 1..=count {
        let t = market.task(U256::from(id)).call().await?;
        let samples: Vec<Value> = market
            .samplesOf(U256::from(id))
            .call()
            .await?
            .iter()
            .map(|s| {
                let attest = ["none", "pass", "fail", "pass proven wrong"]
                    .get(s.attest as usize)
                    .copied()
                    .unwrap_or("?");
                json!({
                    "segment": s.segment,
                    "verifier": s.verifier.to_string(),
                    "attest": attest,
                    // Whether the pass named the solver's segment index it checked op by op.
                    "named": !s.checked.is_zero(),
                    "distance": ether(s.distance),
                })
            })
            .collect();
        let conviction = market.conviction(U256::from(id)).call().await?;
        tasks.push(json!({
            "task": id,
            "status": status::name(t.status),
            // A convicted task's stake is split once its cases end and its window closes.
            "settled": t.status != status::SLASHED || conviction.settled,
            // Who is in line for the bounty (a proof), or else the timeout reward.
            "prover": (!conviction.prover.is_zero()).then(|| conviction.prover.to_string()),
            "timeoutWinner": (!conviction.timeoutWinner.is_zero())
                .then(|| conviction.timeoutWinner.to_string()),
            "openCases": t.openCases,
            "submitter": t.submitter.to_string(),
            "solver": t.solver.to_string(),
            "payment": ether(t.payment),
            "steps": t.commitments.steps,
            "interval": t.commitments.interval,
            "resultRoot": hex0x(&t.resultRoot.0),
            "samples": samples,
        }));
    }
    let mut money = Vec::new();
    for (name, a) in accounts {
        let stake = |role| market.stakeOf(*a, role);
        let (solver, verifier) = (stake(1).call().await?, stake(2).call().await?);
        money.push(json!({
            "name": name,
            "address": a.to_string(),
            "credit": ether(market.balanceOf(*a).call().await?),
            "solverStake": { "free": ether(solver.free), "locked": ether(solver.locked) },
            "verifierStake": { "free": ether(verifier.free), "locked": ether(verifier.locked) },
            "wallet": ether(market.provider().get_balance(*a).await?),
        }));
    }
    Ok(
        json!({ "market": market.address().to_string(), "tasks": tasks, "games": games, "accounts": money }),
    )
}

pub(crate) async fn run(args: Args, json_out: bool) -> eyre::Result<()> {
    let provider = ProviderBuilder::new().connect_http(args.rpc.parse()?);
    let market = Market::new(args.market, provider);
    let accounts: Vec<(String, Address)> =
        args.accounts.iter().map(|a| (a.to_string(), *a)).collect();
    let r = report(&market, &accounts).await?;
    if json_out {
        println!("{r:#}");
    } else {
        print(&r);
    }
    Ok(())
}

/// The report as text.
pub(crate) fn print(r: &Value) {
    for t in r["tasks"].as_array().into_iter().flatten() {
        println!(
            "task {}  {}  {} steps (k = {})  payment {} ETH  result {}",
            t["task"],
            t["status"].as_str().unwrap_or_default(),
            t["steps"],
            t["interval"],
            t["payment"],
            t["resultRoot"].as_str().unwrap_or_default()
        );
        for s in t["samples"].as_array().into_iter().flatten() {
            println!(
                "  sample  segment {:>3}  verifier {}  {}  distance {:.3e}",
                s["segment"],
                s["verifier"].as_str().unwrap_or_default(),
                s["attest"].as_str().unwrap_or_default(),
                s["distance"].as_f64().unwrap_or_default()
            );
        }
        for g in r["games"].as_array().into_iter().flatten() {
            if g["task"] == t["task"] {
                println!(
                    "  game {}  segment {}  step {}  challenger {}  {}",
                    g["game"],
                    g["segment"],
                    g["step"],
                    g["challenger"].as_str().unwrap_or_default(),
                    g["phase"].as_str().unwrap_or_default()
                );
            }
        }
    }
    for a in r["accounts"].as_array().into_iter().flatten() {
        println!(
            "{:<16} credit {:>9.4} ETH  solver stake {}/{}  verifier stake {}/{} (free/locked)",
            a["name"].as_str().unwrap_or_default(),
            a["credit"].as_f64().unwrap_or_default(),
            a["solverStake"]["free"],
            a["solverStake"]["locked"],
            a["verifierStake"]["free"],
            a["verifierStake"]["locked"]
        );
    }
}
