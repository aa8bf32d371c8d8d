//! The demo so far: a real data set committed in Rust, a real contract on a real anvil, the
//! batch rule computed on both sides, honest row proofs accepted and tampered ones rejected; then
//! a real training step on the data set by an honest solver and by one that changed the learning
//! rate, and the one-op fraud proof that the deployed prover accepts for the cheat and refuses for
//! the honest trace. (`poai devnet` takes its place once the nodes exist.)

use std::path::PathBuf;

use alloy::primitives::{B256, Bytes, U256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use eyre::{WrapErr, ensure};
use poai_common::chain::bindings::op_prover::OpProver;
use poai_common::chain::{self, bindings::CommitmentChecker, bindings::Tensor as SolTensor};
use poai_common::check::{self, Class};
use poai_common::dataset::Dataset;
use poai_common::engine::Backend;
use poai_common::program::mlp;
use poai_common::prove::{self, Committed};
use poai_common::run::{Schedule, TrainingTask};
use poai_common::tensor;
use poai_common::{batch, merkle};
use serde_json::json;

use super::hex0x;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The data set to commit to [default: this checkout's data/digits.csv.gz].
    #[arg(long, env = "POAI_DEMO_DATA")]
    data: Option<PathBuf>,
    /// The anvil binary [default: the one `npm ci --prefix contracts` installs here].
    #[arg(long, env = "POAI_ANVIL")]
    anvil: Option<PathBuf>,
    /// The task seed that the batch rule draws rows with.
    #[arg(long, env = "POAI_DEMO_SEED", default_value = "0x5eed")]
    seed: String,
    /// The training step whose batch is proven.
    #[arg(long, default_value_t = 0)]
    step: u64,
    /// Rows in the batch.
    #[arg(long, default_value_t = 4)]
    batch: u32,
}

fn default_data() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/digits.csv.gz");
    path.canonicalize().unwrap_or(path)
}

/// A 32-byte seed from hex, left-padded with zeros.
fn parse_seed(s: &str) -> eyre::Result<merkle::Hash> {
    let digits = s.strip_prefix("0x").unwrap_or(s);
    let bytes = hex::decode(digits).wrap_err("the seed is not hex")?;
    ensure!(bytes.len() <= 32, "the seed is more than 32 bytes");
    let mut seed = [0u8; 32];
    seed[32 - bytes.len()..].copy_from_slice(&bytes);
    Ok(seed)
}

pub(crate) async fn run(args: Args, json: bool) -> eyre::Result<()> {
    let seed = parse_seed(&args.seed)?;
    let data = args.data.clone().unwrap_or_else(default_data);
    let dataset = Dataset::load(&data)
        .wrap_err_with(|| format!("loading the data set {}", data.display()))?;
    let commitment = dataset.tensor.commit();
    let n = dataset.examples();
    tracing::info!(examples = n, dataset_hash = %hex0x(&commitment.hash), "committed to the data set");

    let anvil = chain::start_anvil(args.anvil.clone().unwrap_or_else(chain::default_anvil))?;
    let signer: PrivateKeySigner = anvil.keys()[0].clone().into();
    let provider = ProviderBuilder::new()
        .wallet(signer)
        .connect_http(anvil.endpoint_url());
    let checker = CommitmentChecker::deploy(&provider)
        .await
        .wrap_err("deploying CommitmentChecker")?;
    let chain_id = provider.get_chain_id().await?;
    let version = checker.version().call().await?;
    tracing::info!(address = %checker.address(), chain_id, %version, "deployed the checker on anvil");

    let header = SolTensor::Header {
        dtype: commitment.header.dtype,
        rows: commitment.header.rows,
        cols: commitment.header.cols,
        rowsRoot: B256::from(commitment.header.rows_root),
    };
    let dataset_hash = B256::from(commitment.hash);
    let check_row = |row: u32, bytes: Vec<u8>, siblings: Vec<merkle::Hash>| {
        checker.checkRow(
            header.clone(),
            dataset_hash,
            U256::from(row),
            Bytes::from(bytes),
            siblings.into_iter().map(B256::from).collect(),
        )
    };

    let mut rows_out = Vec::new();
    let picked = batch::rows(&seed, args.step, args.batch, n);
    for (r, &row) in picked.iter().enumerate() {
        let on_chain = checker
            .batchRow(B256::from(seed), args.step, r as u32, U256::from(n))
            .call()
            .await?;
        ensure!(
            on_chain == U256::from(row),
            "the contract's batch rule picked row {on_chain}, Rust picked {row}"
        );
        let proof = commitment.row_proof(row)?;
        let bytes = dataset.tensor.row_bytes(row)?;
        let call = check_row(row, bytes, proof.siblings);
        call.call()
            .await
            .wrap_err("an honest row proof was rejected")?;
        let gas = call.estimate_gas().await?;
        let class = dataset.tensor.row(row)?.last().map_or(0, |c| *c as u32);
        rows_out.push(json!({ "batchRow": r, "datasetRow": row, "class": class, "gas": gas }));
    }

    // Two ways a cheating solver might feed its step other data than the task names.
    let honest = picked[0];
    let other = (honest + 1) % n;
    let mut cheats = Vec::new();
    let swapped = check_row(
        honest,
        dataset.tensor.row_bytes(other)?,
        commitment.row_proof(honest)?.siblings,
    );
    cheats.push((
        format!("row {other} presented as row {honest} (swapped data)"),
        swapped.call().await.err(),
    ));
    let mut edited = dataset.tensor.row_bytes(honest)?;
    let pixel = dataset.tensor.row(honest)?[20];
    edited[4 * 20..4 * 21].copy_from_slice(&(pixel + 1.0).to_le_bytes());
    let edited_call = check_row(honest, edited, commitment.row_proof(honest)?.siblings);
    cheats.push((
        format!(
            "row {honest} with pixel 20 changed from {pixel} to {}",
            pixel + 1.0
        ),
        edited_call.call().await.err(),
    ));
    let mut cheats_out = Vec::new();
    for (what, err) in &cheats {
        let reason = err
            .as_ref()
            .map(|e| chain::revert_reason(e).unwrap_or_else(|| e.to_string()));
        ensure!(reason.is_some(), "the contract accepted: {what}");
        cheats_out.push(json!({ "cheat": what, "rejected": reason }));
    }

    let fraud = fraud_proof(&provider, &dataset, seed).await?;

    let summary = json!({
        "dataset": {
            "path": data.display().to_string(),
            "examples": n,
            "features": dataset.features,
            "classes": dataset.classes,
            "rowsRoot": hex0x(&commitment.header.rows_root),
            "datasetHash": hex0x(&commitment.hash),
        },
        "chain": { "endpoint": anvil.endpoint(), "chainId": chain_id, "checker": checker.address().to_string(), "version": version },
        "batch": { "seed": hex0x(&seed), "step": args.step, "rows": rows_out },
        "cheats": cheats_out,
        "fraudProof": fraud,
    });
    if json {
        println!("{summary:#}");
        return Ok(());
    }
    println!(
        "data set     {} — {} examples × {} features, {} classes",
        data.display(),
        n,
        dataset.features,
        dataset.classes
    );
    println!("datasetHash  {}", hex0x(&commitment.hash));
    println!(
        "rowsRoot     {}  ({} rows of {} values, {})",
        hex0x(&commitment.header.rows_root),
        commitment.header.rows,
        commitment.header.cols,
        describe(&commitment.header)
    );
    println!(
        "checker      {} ({version}) on anvil, chain {chain_id}",
        checker.address()
    );
    println!(
        "batch        step {} of seed {}: the contract and Rust pick the same rows",
        args.step,
        hex0x(&seed)
    );
    for r in &rows_out {
        println!(
            "  batch row {}  dataset row {:>4} (class {})  proof accepted on chain, {} gas",
            r["batchRow"], r["datasetRow"], r["class"], r["gas"]
        );
    }
    println!("tampering");
    for c in &cheats_out {
        println!(
            "  {}: rejected, {}",
            c["cheat"].as_str().unwrap_or_default(),
            c["rejected"].as_str().unwrap_or_default()
        );
    }
    println!(
        "fraud proof  one training step of an MLP {} on the batch rule's rows; a solver that ran it with lr × 1.01",
        fraud["model"].as_str().unwrap_or_default()
    );
    println!(
        "  the checker finds op {} ({}) value ({}, {}) outside its bound",
        fraud["op"],
        fraud["kind"].as_str().unwrap_or_default(),
        fraud["row"],
        fraud["col"]
    );
    for p in fraud["proofs"].as_array().into_iter().flatten() {
        println!(
            "  {:<10} trace: OpProver says fraud = {}  ({} calldata bytes, {} gas)",
            p["trace"].as_str().unwrap_or_default(),
            p["fraud"],
            p["calldataBytes"],
            p["gas"]
        );
    }
    Ok(())
}

fn describe(h: &tensor::Header) -> String {
    let chunks = u64::from(h.cols).div_ceil(tensor::VALUES_PER_CHUNK as u64);
    format!("{chunks} chunks a row")
}

/// One training step of the digits MLP by an honest solver and by one that trained with the
/// learning rate × 1.01; the op the checker finds wrong in the cheat's trace, proven to the
/// deployed `OpProver` from both traces.
async fn fraud_proof<P: alloy::providers::Provider>(
    provider: &P,
    dataset: &Dataset,
    seed: merkle::Hash,
) -> eyre::Result<serde_json::Value> {
    let data = dataset.scale_features(1.0 / 16.0).tensor;
    let task = TrainingTask {
        model: mlp::Config {
            input: dataset.features,
            hidden: vec![64],
            classes: dataset.classes,
        },
        sgd: mlp::Sgd {
            lr: 0.05,
            momentum: 0.9,
            batch: 32,
        },
        seed,
        init_seed: 42,
        schedule: Schedule::new(1, 1)?,
    };
    let cheat = TrainingTask {
        sgd: mlp::Sgd {
            lr: task.sgd.lr * 1.01,
            ..task.sgd
        },
        ..task.clone()
    };
    let program = task.model.training(task.sgd);
    let init = task.initial_state();
    let honest = task.engine(Backend::Flex, &data)?.trace(&init, 0)?;
    let cheated = cheat.engine(Backend::Flex, &data)?.trace(&init, 0)?;
    let step = check::Step {
        program: &program,
        slots: &cheated.slots,
        dataset: Some(&data),
        seed: &seed,
        step: 0,
        class: Class::Fp32,
    };
    let mut found = None;
    'ops: for op in 0..program.ops.len() {
        let out = &cheated.slots[program.output_slot(op) as usize];
        for r in 0..out.rows() {
            for c in 0..out.cols() {
                if !step.check_recorded(op, r, c)?.accepted {
                    found = Some((op, r, c));
                    break 'ops;
                }
            }
        }
    }
    let (op, row, col) = found.ok_or_else(|| eyre::eyre!("the checker missed lr × 1.01"))?;
    let prover = OpProver::deploy(provider)
        .await
        .wrap_err("deploying OpProver")?;
    let mut proofs = Vec::new();
    for (name, trace, expect) in [("honest", &honest, false), ("lr × 1.01", &cheated, true)] {
        let call = Committed::new(&program, trace)?.op_proof(Class::Fp32, op, row, col)?;
        let bytes = prove::calldata(&call).len();
        let judged = prover.provesFraud(call.step, call.op, call.inputs, call.output);
        let fraud = judged
            .call()
            .await
            .wrap_err("the prover refused a well-formed proof")?;
        ensure!(
            fraud == expect,
            "OpProver says fraud = {fraud} for the {name} trace"
        );
        let gas = judged.estimate_gas().await?;
        proofs.push(json!({ "trace": name, "fraud": fraud, "calldataBytes": bytes, "gas": gas }));
    }
    Ok(json!({
        "model": format!("{}-64-{}", dataset.features, dataset.classes),
        "op": op,
        "kind": program.ops[op].name(),
        "row": row,
        "col": col,
        "prover": prover.address().to_string(),
        "proofs": proofs,
    }))
}
