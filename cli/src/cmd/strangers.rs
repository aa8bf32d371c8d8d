//! What strangers do to a task in `poai devnet`, as a real one would with nothing but the chain
//! and the published spec: ask the solver on chain for rows of a committed tensor (one in range,
//! one past the end: both must be answerable, AUDIT C1), or open many challenges at once against
//! an honest solver (they must all be answered, AUDIT H7). Neither may cost an honest solver
//! anything: each bond ends up the solver's.

use alloy::network::EthereumWallet;
use alloy::primitives::{Address, B256, U256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use poai_common::chain::bindings::availability::Availability;
use poai_common::chain::bindings::dispute::Dispute;
use poai_common::chain::bindings::market::Market;
use poai_common::tensor::Tensor;
use poai_node::challenge::source;

/// Asks for row 0 and for the row past the end of the initial state's first tensor (which is
/// public: it follows from the spec), proving it committed as the task's `initStateHash`.
pub(crate) async fn request_rows(
    rpc: &str,
    key: &str,
    market: Address,
    task: u64,
    init: &[Tensor],
    layout: Vec<u8>,
) -> eyre::Result<Vec<u64>> {
    let signer: PrivateKeySigner = key.parse()?;
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(rpc.parse()?);
    let market = Market::new(market, &provider);
    let availability = Availability::new(market.availability().call().await?, &provider);
    let hashes: Vec<_> = init.iter().map(|t| t.commit().hash).collect();
    let state = poai_common::state::state_hash(&hashes)?;
    let path = poai_common::state::tensor_proof(&hashes, 0)?;
    let mut ids = Vec::new();
    for row in [0, u64::from(init[0].rows())] {
        let w = Availability::Where {
            source: source::INIT,
            segment: 0,
            step: 0,
            index: U256::ZERO,
            stateHash: B256::from(state),
            siblings: Vec::new(),
            layout: layout.clone().into(),
            tensor: U256::ZERO,
            tensorSiblings: path.siblings.iter().map(|h| B256::from(*h)).collect(),
        };
        let bond = availability.bondFor(U256::from(task)).call().await?;
        let receipt = availability
            .requestRow(U256::from(task), B256::from(hashes[0]), U256::from(row), w)
            .value(bond)
            .send()
            .await?
            .get_receipt()
            .await?;
        let id = receipt
            .decoded_log::<Availability::Requested>()
            .map(|l| l.data.request.to::<u64>())
            .ok_or_else(|| eyre::eyre!("no Requested event"))?;
        ids.push(id);
    }
    Ok(ids)
}

/// Opens `n` challenges of the task's segments (round robin) without waiting for one before
/// sending the next, so they land in the same block or two; returns the games.
pub(crate) async fn mass_challenge(
    rpc: &str,
    key: &str,
    market: Address,
    task: u64,
    n: u64,
) -> eyre::Result<Vec<u64>> {
    let signer: PrivateKeySigner = key.parse()?;
    let me = signer.address();
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(rpc.parse()?);
    let market = Market::new(market, &provider);
    let dispute = Dispute::new(market.dispute().call().await?, &provider);
    let t = market.task(U256::from(task)).call().await?;
    let segments = t.commitments.steps / t.commitments.interval;
    let nonce = provider.get_transaction_count(me).await?;
    let mut pending = Vec::new();
    for i in 0..n {
        pending.push(
            dispute
                .challenge(U256::from(task), i % segments)
                .value(t.terms.challengeBond)
                .nonce(nonce + i)
                .gas(1_000_000)
                .send()
                .await?,
        );
    }
    let mut games = Vec::new();
    for p in pending {
        let receipt = p.get_receipt().await?;
        if let Some(l) = receipt.decoded_log::<Dispute::Challenged>() {
            games.push(l.data.game.to::<u64>());
        }
    }
    Ok(games)
}
