//! `poai submit`: publishes a digits training task — the data set and the spec handed to a
//! node's API, which checks, stores and announces them — and escrows its payment on chain with
//! the commitments derived from them.

use alloy::network::EthereumWallet;
use alloy::providers::{Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use eyre::{WrapErr, bail};
use poai_common::blob::{self, Kind};
use poai_common::chain::bindings::market::Market;
use poai_common::chain::bindings::market::Market::{self as Tasks};
use poai_common::check::Class;
use poai_common::spec::TaskSpec;
use poai_node::chain::eth;
use serde_json::json;

use super::ChainArgs;
use super::digits::TaskArgs;
use super::hex0x;

#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Terms {
    /// Payment escrowed, in ether.
    #[arg(long, default_value_t = 5.0)]
    pub payment: f64,
    /// The solver's stake, in ether.
    #[arg(long, default_value_t = 10.0)]
    pub solver_stake: f64,
    /// A challenger's bond, in ether.
    #[arg(long, default_value_t = 1.0)]
    pub bond: f64,
    /// Each sampled verifier's stake and fee, in ether (a *pass* earns the fee only when it
    /// names the segment index it checked; a pass of data a proof convicts loses the stake).
    #[arg(long, default_value_t = 1.0)]
    pub verifier_stake: f64,
    #[arg(long, default_value_t = 0.1)]
    pub verifier_fee: f64,
    /// Segments sampled for verification.
    #[arg(long, default_value_t = 2)]
    pub samples: u32,
    /// Seconds to claim, to solve once claimed, and to challenge once committed.
    #[arg(long, default_value_t = 600)]
    pub claim_within: u64,
    #[arg(long, default_value_t = 600)]
    pub solve_within: u64,
    #[arg(long, default_value_t = 60)]
    pub challenge_within: u64,
}

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub chain: ChainArgs,
    /// A node's HTTP API to hand the spec and data set to.
    #[arg(long, env = "POAI_NODE", default_value = "http://127.0.0.1:7000")]
    pub node: String,
    #[command(flatten)]
    pub task: TaskArgs,
    #[command(flatten)]
    pub terms: Terms,
}

/// Posts a blob to a node's API; returns its name.
async fn post(node: &str, kind: Kind, bytes: Vec<u8>) -> eyre::Result<[u8; 32]> {
    let expected = blob::name(kind, &bytes)?;
    let url = format!("{}/blobs/{kind}", node.trim_end_matches('/'));
    let response = reqwest::Client::new()
        .post(&url)
        .body(bytes)
        .send()
        .await
        .wrap_err_with(|| format!("POST {url}"))?;
    let status = response.status();
    let text = response.text().await?;
    if !status.is_success() {
        bail!("{url}: {status}: {}", text.trim());
    }
    let got: serde_json::Value = serde_json::from_str(&text)?;
    if got["hash"].as_str() != Some(hex0x(&expected).as_str()) {
        bail!("{url} stored the {kind} under another name: {got}");
    }
    Ok(expected)
}

/// Publishes the task and submits it; returns the task id and a summary.
pub(crate) async fn submit(args: &Args) -> eyre::Result<(u64, serde_json::Value)> {
    let (train, _held_out, task) = args.task.load()?;
    let dataset = blob::encode_tensors(std::slice::from_ref(&train.tensor));
    let dataset_hash = post(&args.node, Kind::Dataset, dataset).await?;
    let spec = TaskSpec::new(task, dataset_hash, Class::Fp32);
    let bytes = spec.to_bytes();
    let spec_hash = post(&args.node, Kind::Spec, bytes).await?;
    let c = spec.commitments(spec_hash, &train.tensor)?;

    let signer: PrivateKeySigner = args.chain.key.parse().wrap_err("the submitter's key")?;
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(args.chain.rpc.parse()?);
    let market = Market::new(args.chain.market, &provider);
    let now = provider
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .await?
        .ok_or_else(|| eyre::eyre!("no latest block"))?
        .header
        .timestamp;
    let t = &args.terms;
    let terms = Tasks::Terms {
        solverStake: eth(t.solver_stake),
        challengeBond: eth(t.bond),
        verifierStake: eth(t.verifier_stake),
        verifierFee: eth(t.verifier_fee),
        samples: t.samples,
        claimBy: now + t.claim_within,
        solveWithin: t.solve_within,
        challengeWithin: t.challenge_within,
    };
    let receipt = market
        .submitTask(c.to_sol(), terms)
        .value(eth(t.payment))
        .send()
        .await
        .map_err(|e| {
            eyre::eyre!(
                "submitTask: {}",
                poai_common::chain::revert_reason(&e).unwrap_or_else(|| e.to_string())
            )
        })?
        .get_receipt()
        .await?;
    let id = receipt
        .decoded_log::<Market::TaskSubmitted>()
        .map(|l| l.data.id.to::<u64>())
        .ok_or_else(|| eyre::eyre!("no TaskSubmitted event"))?;
    let summary = json!({
        "task": id,
        "specHash": hex0x(&spec_hash),
        "datasetHash": hex0x(&dataset_hash),
        "programRoot": hex0x(&c.program_root),
        "initStateHash": hex0x(&c.init_state_hash),
        "steps": c.steps,
        "interval": c.interval,
        "payment": eth(t.payment).to_string(),
        "tx": receipt.transaction_hash.to_string(),
    });
    Ok((id, summary))
}

pub(crate) async fn run(args: Args, json_out: bool) -> eyre::Result<()> {
    let (id, summary) = submit(&args).await?;
    if json_out {
        println!("{summary:#}");
    } else {
        println!(
            "task {id} submitted: {} steps, k = {}, spec {}",
            summary["steps"],
            summary["interval"],
            summary["specHash"].as_str().unwrap_or_default()
        );
    }
    Ok(())
}
