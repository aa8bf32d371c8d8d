//! A whole dispute game on a real anvil, played from Rust through the contract bindings as the
//! nodes will play it: a task committed by a solver that raised its learning rate in segment 1
//! (real executor traces, `poai_common::vectors::game`), challenged, narrowed move by move to one
//! op, proven, and slashed.

use alloy::network::EthereumWallet;
use alloy::primitives::{B256, U256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use poai_common::chain::bindings::dispute::Dispute;
use poai_common::chain::bindings::market::Market;
use poai_common::chain::bindings::market::Market::{self as Tasks};
use poai_common::chain::bindings::op_prover::OpProver::judgeOpCall;
use poai_common::chain::{self};
use poai_common::merkle;
use poai_common::prove;
use poai_common::vectors::game;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cheating_solver_is_slashed_through_the_whole_game_on_anvil() {
    let g = game::game_file();
    let anvil = chain::start_anvil(chain::default_anvil()).expect("anvil from npm");
    let connect = |i: usize| {
        let signer: PrivateKeySigner = anvil.keys()[i].clone().into();
        ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer))
            .connect_http(anvil.endpoint_url())
    };
    let (submitter, solver, challenger) = (connect(0), connect(1), connect(2));
    let deployed = poai_node::chain::deploy(
        &submitter,
        &poai_node::chain::Settings {
            unbonding: 3600,
            move_window: 600,
            clock: 1800,
            min_bond: U256::ZERO,
            min_verifier_stake: U256::ZERO,
        },
    )
    .await
    .expect("deployed");
    let market = Market::new(deployed.market, &submitter);
    let as_solver = Market::new(deployed.market, &solver);
    let solver_moves = Dispute::new(deployed.dispute, &solver);
    let as_challenger = Dispute::new(deployed.dispute, &challenger);

    let eth = |x: u64| U256::from(x) * U256::from(10u64).pow(U256::from(18));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let commitments = Tasks::Commitments {
        programRoot: B256::from(g.program_root),
        datasetHash: B256::from(g.dataset_hash),
        initStateHash: B256::from(g.cheat.checkpoints[0]),
        seed: B256::from(g.seed),
        layoutHash: B256::from(sha(&g.layout)),
        specHash: B256::ZERO,
        steps: g.steps,
        interval: g.interval,
        ops: g.ops,
        slots: g.slots,
        batch: g.batch,
        class: 0,
    };
    let terms = Tasks::Terms {
        solverStake: eth(10),
        challengeBond: eth(1),
        verifierStake: U256::ZERO,
        verifierFee: U256::ZERO,
        samples: 0,
        claimBy: now + 36_000,
        solveWithin: 36_000,
        challengeWithin: 36_000,
    };
    let submit = market.submitTask(commitments, terms).value(eth(3));
    mined(&submitter, submit.into_transaction_request(), "submitted").await;
    let task = U256::from(1);

    // The solver stakes, claims, and commits its (cheating) checkpoints.
    let result_root = merkle::root_of_payloads(&g.cheat.checkpoints).expect("checkpoints");
    for call in [
        as_solver
            .deposit(1) // Stakes.Role.Solver
            .value(eth(10))
            .into_transaction_request(),
        as_solver.claim(task).into_transaction_request(),
        as_solver
            .commitResult(task, B256::from(result_root))
            .into_transaction_request(),
    ] {
        mined(&solver, call, "solver's move").await;
    }

    // A whistleblower challenges segment 1; the game narrows it to one step and one op.
    let challenge = as_challenger.challenge(task, g.segment).value(eth(1));
    mined(
        &challenger,
        challenge.into_transaction_request(),
        "challenged",
    )
    .await;
    let id = U256::from(1);
    let (first, last) = prove::ends(&g.cheat.checkpoints, g.segment).expect("ends");
    let hashes = |xs: &[merkle::Hash]| xs.iter().map(|h| B256::from(*h)).collect::<Vec<_>>();
    let moves = [
        (
            &solver,
            solver_moves
                .postSteps(
                    task,
                    g.segment,
                    hashes(&g.cheat.segment_states),
                    first,
                    last,
                )
                .into_transaction_request(),
        ),
        (
            &challenger,
            as_challenger
                .pickStep(id, g.step)
                .into_transaction_request(),
        ),
        (
            &solver,
            solver_moves
                .postTrace(
                    task,
                    g.segment,
                    g.step,
                    hashes(&g.cheat.trace_slots),
                    Vec::new(),
                )
                .into_transaction_request(),
        ),
    ];
    for (who, call) in moves {
        mined(who, call, "a move").await;
    }
    let call = judgeOpCall::abi_decode(&g.cheat.op_call).expect("an op proof");
    let prove_op = as_challenger.proveOp(id, prove::op_blob(&call).into());
    mined(
        &challenger,
        prove_op.into_transaction_request(),
        "fraud proven",
    )
    .await;

    let t = market.task(task).call().await.expect("task");
    assert_eq!(t.status, 6, "Status.Slashed");
    let bond_back = market
        .balanceOf(anvil.addresses()[2])
        .call()
        .await
        .expect("balance");
    assert_eq!(bond_back, eth(1), "the bond back at once");
    // The stake is split once the challenge window has closed: the bounty to the prover.
    submitter
        .raw_request::<_, serde_json::Value>("evm_increaseTime".into(), (36_001u64,))
        .await
        .expect("time passes");
    mined(
        &submitter,
        market.settle(task).into_transaction_request(),
        "settled",
    )
    .await;
    let won = market
        .balanceOf(anvil.addresses()[2])
        .call()
        .await
        .expect("balance");
    assert_eq!(won, eth(1) + eth(5), "bond and bounty");
}

/// Sends `tx` from `who` and asserts that it was mined and succeeded.
async fn mined<P: Provider>(who: &P, tx: TransactionRequest, what: &str) {
    let receipt = who
        .send_transaction(tx)
        .await
        .expect("sent")
        .get_receipt()
        .await
        .expect("mined");
    assert!(receipt.status(), "{what}");
}

fn sha(bytes: &[u8]) -> merkle::Hash {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}
