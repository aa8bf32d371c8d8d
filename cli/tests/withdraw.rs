//! Getting money out, through the `poai` binary on a real anvil: free stake is asked back,
//! stays put through the market's unbonding delay, and then reaches the account's wallet; what
//! is not free, or not a positive amount, is refused with a clear error and moves nothing.

use std::process::{Command, Output};

use alloy::network::EthereumWallet;
use alloy::primitives::{Address, U256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use poai_common::chain;
use poai_common::chain::bindings::market::Market;
use serde_json::Value;

const DELAY: u64 = 3600;
const SOLVER: u8 = 1;

fn poai(rpc: &str, key: &str, market: Address, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_poai"))
        .arg("--json")
        .args(args)
        .args(["--rpc", rpc, "--key", key, "--market", &market.to_string()])
        .env("RUST_LOG", "warn")
        .output()
        .expect("poai runs")
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "poai failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

fn ether(x: u64) -> U256 {
    U256::from(x) * U256::from(10u64).pow(U256::from(18))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unbonded_stake_reaches_the_wallet_after_the_delay_and_not_before() {
    let anvil = chain::start_anvil(chain::default_anvil()).expect("anvil from npm");
    let rpc = anvil.endpoint();
    let signer: PrivateKeySigner = anvil.keys()[1].clone().into();
    let me = signer.address();
    let key = format!("0x{}", hex::encode(anvil.keys()[1].to_bytes()));
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(anvil.endpoint_url());
    let deployed = poai_node::chain::deploy(
        &provider,
        &poai_node::chain::Settings {
            unbonding: DELAY,
            move_window: 600,
            clock: 1800,
            min_bond: U256::ZERO,
            min_verifier_stake: U256::ZERO,
        },
    )
    .await
    .expect("deployed");
    let market = Market::new(deployed.market, &provider);
    let at = deployed.market;
    market
        .deposit(SOLVER)
        .value(ether(10))
        .send()
        .await
        .expect("sent")
        .get_receipt()
        .await
        .expect("deposited");

    // Refused, and nothing moves: more than is free, and amounts that are not positive.
    for (amount, says) in [
        ("11", "only 10 ether"),
        ("0", "positive"),
        ("-1", "positive"),
        ("NaN", "positive"),
    ] {
        let out = poai(
            &rpc,
            &key,
            at,
            &["unbond", "--role", "solver", "--amount", amount],
        );
        assert!(!out.status.success(), "--amount {amount} is refused");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "--amount {amount}: {err}");
    }
    let stake = market.stakeOf(me, SOLVER).call().await.expect("stake");
    assert_eq!((stake.free, stake.unbonding), (ether(10), U256::ZERO));

    let out = json(&poai(
        &rpc,
        &key,
        at,
        &["unbond", "--role", "solver", "--amount", "4"],
    ));
    assert_eq!(out["unbonding"], 4.0, "{out:#}");
    assert_eq!(out["free"], 6.0, "{out:#}");

    // Before the delay: nothing leaves.
    let out = json(&poai(&rpc, &key, at, &["withdraw"]));
    assert_eq!(out["withdrawn"], 0.0, "{out:#}");
    assert_eq!(out["stillUnbonding"]["solver"], 4.0, "{out:#}");
    assert_eq!(
        market
            .stakeOf(me, SOLVER)
            .call()
            .await
            .expect("stake")
            .unbonding,
        ether(4)
    );

    provider
        .raw_request::<_, Value>("evm_increaseTime".into(), [DELAY + 1])
        .await
        .expect("time passes");
    provider
        .raw_request::<_, Value>("evm_mine".into(), ())
        .await
        .expect("a block");

    let before = provider.get_balance(me).await.expect("balance");
    let out = json(&poai(&rpc, &key, at, &["withdraw"]));
    assert_eq!(out["unbonded"]["solver"], 4.0, "{out:#}");
    assert_eq!(out["withdrawn"], 4.0, "{out:#}");
    let after = provider.get_balance(me).await.expect("balance");
    let gained = after - before;
    assert!(
        gained > ether(4) - ether(1) / U256::from(100) && gained <= ether(4),
        "the wallet gains 4 ether less gas: {gained}"
    );
    assert_eq!(
        market.balanceOf(me).call().await.expect("credit"),
        U256::ZERO
    );
    let stake = market.stakeOf(me, SOLVER).call().await.expect("stake");
    assert_eq!((stake.free, stake.unbonding), (ether(6), U256::ZERO));

    // Again: nothing to do, said plainly.
    let out = json(&poai(&rpc, &key, at, &["withdraw"]));
    assert_eq!(out["withdrawn"], 0.0, "{out:#}");
    assert_eq!(out["said"][0], "nothing to withdraw", "{out:#}");
}
