//! The chain client of a node: an alloy provider with the node's key, the bindings of the
//! market and its two courts (read from the market),
//! and one way to send a transaction — pipelined per node (one nonce sequence, no send waiting
//! on another's receipt), retried on transport errors, and a revert named by the contract's own
//! error.

use std::time::Duration;

use alloy::network::EthereumWallet;
use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use alloy::transports::RpcError;
use poai_common::chain::bindings::availability::Availability::{
    self, AvailabilityErrors, AvailabilityInstance,
};
use poai_common::chain::bindings::dispute::Dispute::{self, DisputeErrors, DisputeInstance};
use poai_common::chain::bindings::market::Market::{self, MarketErrors, MarketInstance};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{what}: the market refused it: {reason}")]
    Rejected { what: String, reason: String },
    #[error("{what}: transaction {tx} reverted")]
    Reverted { what: String, tx: String },
    #[error("{what}: {reason} (after {attempts} attempts)")]
    Transport {
        what: String,
        reason: String,
        attempts: u32,
    },
    #[error("the key is not a secp256k1 private key: {0}")]
    Key(String),
    #[error("reading the chain: {0}")]
    Read(String),
}

/// The longest one RPC request may take.
const RPC_TIMEOUT: Duration = Duration::from_secs(20);

/// The attempts a transaction gets before the node gives up on it.
const ATTEMPTS: u32 = 5;

#[derive(Debug, Clone)]
pub struct Chain {
    pub provider: DynProvider,
    pub market: MarketInstance<DynProvider>,
    /// The market's two courts, as the market names them.
    pub dispute: DisputeInstance<DynProvider>,
    pub availability: AvailabilityInstance<DynProvider>,
    pub address: Address,
    /// The node's key, for what it signs off chain (a solver's segment indexes).
    signer: PrivateKeySigner,
    /// The next nonce to send with (`None`: read it from the chain).
    nonce: std::sync::Arc<tokio::sync::Mutex<Option<u64>>>,
}

impl Chain {
    pub async fn connect(rpc: &str, key: &str, market: Address) -> Result<Self, Error> {
        let signer: PrivateKeySigner = key.parse().map_err(|e| Error::Key(format!("{e}")))?;
        let address = signer.address();
        let url = rpc
            .parse()
            .map_err(|e| Error::Read(format!("rpc url {rpc}: {e}")))?;
        // Every call to the RPC gives up after `RPC_TIMEOUT`: a request the node never answers
        // must not hold a tick or an answer forever (the caller retries).
        let http = alloy::transports::http::reqwest::Client::builder()
            .timeout(RPC_TIMEOUT)
            .build()
            .map_err(|e| Error::Read(format!("an HTTP client: {e}")))?;
        // `send` sets every nonce itself (its own count, read afresh from the chain after any
        // failure), so a transaction refused at gas estimation never leaves a gap.
        let provider = ProviderBuilder::new()
            .disable_recommended_fillers()
            .with_gas_estimation()
            .with_simple_nonce_management()
            .fetch_chain_id()
            .wallet(EthereumWallet::from(signer.clone()))
            .connect_reqwest(http, url)
            .erased();
        let market = Market::new(market, provider.clone());
        let read = |e: alloy::contract::Error| Error::Read(format!("the market's courts: {e}"));
        let dispute = Dispute::new(
            market.dispute().call().await.map_err(read)?,
            provider.clone(),
        );
        let availability = Availability::new(
            market.availability().call().await.map_err(read)?,
            provider.clone(),
        );
        Ok(Self {
            provider,
            market,
            dispute,
            availability,
            address,
            signer,
            nonce: Default::default(),
        })
    }

    /// This node's signature of `digest` as an EIP-191 message (`r ‖ s ‖ v`), what a contract
    /// recovers with `ecrecover` over `toEthSignedMessageHash(digest)`.
    pub fn sign(&self, digest: alloy::primitives::B256) -> Result<[u8; 65], Error> {
        use alloy::signers::SignerSync;
        Ok(self
            .signer
            .sign_message_sync(digest.as_slice())
            .map_err(|e| Error::Key(e.to_string()))?
            .as_bytes())
    }

    /// The latest block's timestamp: the clock every deadline is measured by.
    pub async fn now(&self) -> Result<u64, Error> {
        let block = self
            .provider
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await
            .map_err(|e| Error::Read(e.to_string()))?
            .ok_or_else(|| Error::Read("no latest block".into()))?;
        Ok(block.header.timestamp)
    }

    /// Sends `tx` and waits for its receipt. A revert is an error naming the contract's custom
    /// error; transport failures are retried with backoff.
    ///
    /// Sending is pipelined: the nonce is taken and the transaction handed to the node under a
    /// lock, and the receipt awaited outside it, so a node's transactions go out back to back
    /// (the next is never held up by the previous one's receipt; AUDIT H7). The nonce is the
    /// node's own count, read from the chain's pending count whenever a send failed (a
    /// transaction refused at estimation takes no nonce).
    pub async fn send(
        &self,
        tx: TransactionRequest,
        what: impl Into<String>,
    ) -> Result<TransactionReceipt, Error> {
        let what = what.into();
        let mut last = String::new();
        for attempt in 1..=ATTEMPTS {
            // The gas limit is the estimate and a margin: what a call costs depends on the state
            // it finds (a slot another transaction emptied costs 20 000 to write again) and on
            // its price (an answer's gas is paid out of its bond, a write an estimate at no
            // price skips), and a transaction that runs out reverts.
            let tx = match tx.gas {
                Some(_) => tx.clone(),
                None => match self
                    .provider
                    .estimate_gas(tx.clone().from(self.address))
                    .await
                {
                    Ok(gas) => tx.clone().gas_limit(gas + gas / 5 + GAS_MARGIN),
                    Err(e) => match refused(e) {
                        Refused::Rejected(reason) => return Err(Error::Rejected { what, reason }),
                        Refused::Retry(e) => {
                            last = e;
                            tracing::warn!(%what, attempt, error = %last, "estimate failed; retrying");
                            tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
                            continue;
                        }
                    },
                },
            };
            let sent = {
                let mut next = self.nonce.lock().await;
                let nonce = match *next {
                    Some(n) => n,
                    None => self
                        .provider
                        .get_transaction_count(self.address)
                        .pending()
                        .await
                        .map_err(|e| Error::Read(format!("the nonce: {e}")))?,
                };
                let sent = self
                    .provider
                    .send_transaction(tx.clone().nonce(nonce))
                    .await;
                *next = sent.is_ok().then_some(nonce + 1);
                sent
            };
            match sent {
                Ok(pending) => {
                    // The transaction holds its nonce: it is never sent again under another
                    // (that would duplicate it, and leave the stuck nonce blocking every later
                    // one); its receipt is waited for.
                    let hash = *pending.tx_hash();
                    let mut receipt = pending
                        .with_timeout(Some(Duration::from_secs(60)))
                        .get_receipt()
                        .await
                        .ok();
                    for _ in 1..ATTEMPTS {
                        if receipt.is_some() {
                            break;
                        }
                        tokio::time::sleep(Duration::from_secs(12)).await;
                        receipt = self
                            .provider
                            .get_transaction_receipt(hash)
                            .await
                            .ok()
                            .flatten();
                    }
                    return match receipt {
                        Some(r) if r.status() => Ok(r),
                        Some(r) => Err(Error::Reverted {
                            what,
                            tx: r.transaction_hash.to_string(),
                        }),
                        None => Err(Error::Transport {
                            what,
                            reason: format!("transaction {hash} not mined (fees are not bumped)"),
                            attempts: 1,
                        }),
                    };
                }
                Err(e) => match refused(e) {
                    Refused::Rejected(reason) => return Err(Error::Rejected { what, reason }),
                    Refused::Retry(e) => last = e,
                },
            }
            tracing::warn!(%what, attempt, error = %last, "transaction failed; retrying");
            tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
        }
        Err(Error::Transport {
            what,
            reason: last,
            attempts: ATTEMPTS,
        })
    }

    /// The node's credit in the market (what `withdraw` would pay).
    pub async fn credit(&self) -> Result<U256, Error> {
        self.market
            .balanceOf(self.address)
            .call()
            .await
            .map_err(|e| Error::Read(e.to_string()))
    }
}

/// Gas added to every estimate, with a fifth of it (see [`Chain::send`]).
const GAS_MARGIN: u64 = 60_000;

/// What a refused call or send means: the contract reverted (with the custom error it named,
/// when it is one of the market's or its courts'), or something to retry.
enum Refused {
    Rejected(String),
    Retry(String),
}

fn refused(e: RpcError<alloy::transports::TransportErrorKind>) -> Refused {
    let RpcError::ErrorResp(payload) = e else {
        return Refused::Retry(e.to_string());
    };
    let named = payload
        .as_decoded_interface_error::<MarketErrors>()
        .map(|e| format!("{e:?}"))
        .or_else(|| {
            payload
                .as_decoded_interface_error::<DisputeErrors>()
                .map(|e| format!("{e:?}"))
        })
        .or_else(|| {
            payload
                .as_decoded_interface_error::<AvailabilityErrors>()
                .map(|e| format!("{e:?}"))
        });
    if let Some(reason) = named {
        return Refused::Rejected(reason);
    }
    if payload.as_revert_data().is_some() || payload.message.contains("revert") {
        return Refused::Rejected(payload.message.to_string());
    }
    Refused::Retry(payload.to_string())
}

/// Ether as wei.
pub fn eth(x: f64) -> U256 {
    U256::from((x * 1e9).round() as u128) * U256::from(1_000_000_000u64)
}

/// Wei as ether, to the gwei (for display).
pub fn ether(wei: U256) -> f64 {
    let gwei: u128 = (wei / U256::from(1_000_000_000u64)).to();
    gwei as f64 / 1e9
}

/// What a deployment fixes (the constructor arguments `Deploy.s.sol` takes from the environment).
#[derive(Debug, Clone)]
pub struct Settings {
    pub unbonding: u64,
    /// The least time a move is given, and the time to answer a request (seconds).
    pub move_window: u64,
    /// Each side's time in one game (seconds).
    pub clock: u64,
    pub min_bond: U256,
    pub min_verifier_stake: U256,
}

/// The addresses of one deployment.
#[derive(Debug, Clone, Copy)]
pub struct Deployed {
    pub market: Address,
    pub dispute: Address,
    pub availability: Address,
    pub prover: Address,
}

/// Deploys the one-op prover, the market and its two courts, and wires them, as
/// `Deploy.s.sol` does (for the devnet and tests, which run without forge scripts).
pub async fn deploy<P: Provider>(provider: &P, s: &Settings) -> Result<Deployed, Error> {
    use poai_common::chain::bindings::op_prover::OpProver;
    let fail =
        |what: &str, e: alloy::contract::Error| Error::Read(format!("deploying {what}: {e}"));
    let prover = *OpProver::deploy(provider)
        .await
        .map_err(|e| fail("OpProver", e))?
        .address();
    let market = Market::deploy(provider, s.unbonding, s.min_bond, s.min_verifier_stake)
        .await
        .map_err(|e| fail("Market", e))?;
    let dispute = *Dispute::deploy(provider, *market.address(), prover, s.move_window, s.clock)
        .await
        .map_err(|e| fail("Dispute", e))?
        .address();
    let availability = *Availability::deploy(provider, *market.address(), dispute, s.move_window)
        .await
        .map_err(|e| fail("Availability", e))?
        .address();
    market
        .wire(dispute, availability)
        .send()
        .await
        .map_err(|e| fail("the wiring", e))?
        .get_receipt()
        .await
        .map_err(|e| Error::Read(format!("wiring the market: {e}")))?;
    Ok(Deployed {
        market: *market.address(),
        dispute,
        availability,
        prover,
    })
}
