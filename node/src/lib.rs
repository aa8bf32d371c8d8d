//! PoAI's node runtime, shared by the solver, verifier and whistleblower (DESIGN §8): a chain
//! client ([`chain`]), a libp2p swarm ([`net`]), a content-addressed blob store on disk
//! ([`store`]), an HTTP API ([`api`]), durable local state ([`durable`]), metrics, loading a
//! task from its on-chain commitments and the blobs they name ([`Node::task`]), and the
//! challenger's side of the dispute game ([`challenge`]), which verifiers and whistleblowers
//! both play.
//!
//! Nodes reconcile rather than react: each tick a role reads the contract's state of every task
//! and game it cares about and takes the next step the state calls for. A step already taken
//! is visible on chain, so a node that restarts (or misses an event) simply carries on.

pub mod answer;
pub mod api;
pub mod chain;
pub mod challenge;
pub mod durable;
pub mod metrics;
pub mod net;
pub mod opened;
pub mod ops;
pub mod store;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use alloy::primitives::{Address, U256};
use eyre::{WrapErr, eyre};
use libp2p::{Multiaddr, identity};
use poai_common::blob::{self, Kind};
use poai_common::engine::{Backend, Engine};
use poai_common::merkle::Hash;
use poai_common::program::Program;
use poai_common::segment::{Index, Question};
use poai_common::spec::{Commitments, TaskSpec};
use poai_common::tensor::Tensor;

pub use chain::Chain;
/// The futures combinators the roles run concurrent sends and fetches with.
pub use libp2p::futures;
pub use store::Store;

/// `Tasks.Status`, as the market numbers it.
/// The longest a node waits for a state, checkpoint list or trace from its peers.
pub const FETCH: Duration = Duration::from_secs(60);

pub mod status {
    pub const OPEN: u8 = 1;
    pub const CLAIMED: u8 = 2;
    pub const COMMITTED: u8 = 3;
    pub const FINALIZED: u8 = 4;
    pub const REFUNDED: u8 = 5;
    pub const SLASHED: u8 = 6;

    pub fn name(s: u8) -> &'static str {
        match s {
            OPEN => "open",
            CLAIMED => "claimed",
            COMMITTED => "committed",
            FINALIZED => "finalized",
            REFUNDED => "refunded",
            SLASHED => "slashed",
            _ => "none",
        }
    }
}

/// What every node is started with.
#[derive(Debug, Clone)]
pub struct Config {
    pub role: &'static str,
    /// The chain's JSON-RPC endpoint.
    pub rpc: String,
    /// The node's private key (hex).
    pub key: String,
    pub market: Address,
    /// Where the node keeps its identity, blobs and state.
    pub data_dir: PathBuf,
    /// The libp2p listen address.
    pub listen: Multiaddr,
    /// Bootstrap peers (`/ip4/…/tcp/…/p2p/<peer id>`).
    pub peers: Vec<Multiaddr>,
    /// The HTTP API's address.
    pub api: SocketAddr,
    /// How often the node reads the chain.
    pub poll: Duration,
}

/// A task as a node works on it: its spec and data set, checked against the chain.
#[derive(Debug)]
pub struct Loaded {
    pub id: u64,
    pub spec: TaskSpec,
    pub dataset: Tensor,
    pub commitments: Commitments,
    pub program: Program,
}

impl Loaded {
    /// The task's step program on `backend`.
    pub fn engine(&self, backend: Backend) -> eyre::Result<Engine> {
        Ok(Engine::new(
            backend,
            self.program.clone(),
            Some(&self.dataset),
            self.spec.training.seed,
        )?)
    }

    pub fn segments(&self) -> u64 {
        self.commitments.steps / self.commitments.interval
    }
}

#[derive(Debug)]
pub struct Node {
    pub role: &'static str,
    pub chain: Chain,
    pub net: net::Client,
    pub store: Arc<Store>,
    pub metrics: metrics::Metrics,
    /// The role's view of its work, served by `GET /status`.
    pub status: RwLock<serde_json::Value>,
    pub served: Arc<AtomicU64>,
    pub listen: Multiaddr,
    pub api: OnceLock<SocketAddr>,
    pub data_dir: PathBuf,
    pub poll: Duration,
    tasks: Mutex<HashMap<u64, Arc<Loaded>>>,
}

impl Node {
    /// Opens the node's directory, joins the network, connects to the chain and serves the API.
    /// Writes `node.json` (peer address, API address, account) into the data directory.
    pub async fn start(config: Config) -> eyre::Result<Arc<Node>> {
        std::fs::create_dir_all(&config.data_dir)
            .wrap_err_with(|| format!("creating {}", config.data_dir.display()))?;
        let store = Arc::new(Store::open(config.data_dir.join("blobs"))?);
        let keypair = identity_at(&config.data_dir.join("identity.key"))?;
        let (net, event_loop) = net::with_identity(store.clone(), keypair)?;
        let served = event_loop.served();
        tokio::spawn(event_loop.run());
        let listen = net.listen(config.listen.clone()).await?;
        let listen = listen.with(libp2p::multiaddr::Protocol::P2p(net.peer_id()));
        for peer in &config.peers {
            let mut tries = 0;
            loop {
                match net.dial(peer.clone()).await {
                    Ok(()) => break,
                    Err(e) if tries < 40 => {
                        tries += 1;
                        tracing::debug!(%peer, error = %e, "bootstrap peer not up yet");
                        tokio::time::sleep(Duration::from_millis(250)).await;
                    }
                    Err(e) => {
                        tracing::warn!(%peer, error = %e, "bootstrap peer unreachable");
                        break;
                    }
                }
            }
        }
        let chain = Chain::connect(&config.rpc, &config.key, config.market).await?;
        let node = Arc::new(Node {
            role: config.role,
            chain,
            net,
            store,
            metrics: Default::default(),
            status: RwLock::new(serde_json::Value::Null),
            served,
            listen,
            api: OnceLock::new(),
            data_dir: config.data_dir.clone(),
            poll: config.poll,
            tasks: Default::default(),
        });
        let api = api::serve(node.clone(), config.api).await?;
        let _ = node.api.set(api);
        let about = serde_json::json!({
            "role": node.role,
            "peer": node.listen.to_string(),
            "api": format!("http://{api}"),
            "address": node.chain.address.to_string(),
        });
        std::fs::write(
            config.data_dir.join("node.json"),
            serde_json::to_vec_pretty(&about)?,
        )?;
        tracing::info!(role = node.role, peer = %node.listen, %api, address = %node.chain.address, "node up");
        Ok(node)
    }

    /// A blob from this node's store, or else from the network (then stored). A fetch of a
    /// task's computation (a state, a checkpoint list, a trace) gives up after [`FETCH`]: a
    /// solver whose peer accepts requests and never answers must not hold a checker past its
    /// deadlines (AUDIT M2); what it withholds is then demanded on chain.
    pub async fn blob(&self, kind: Kind, hash: Hash) -> eyre::Result<Vec<u8>> {
        if let Some(bytes) = self.store.read(kind, &hash) {
            return Ok(bytes);
        }
        let fetch = self.net.fetch(kind, hash);
        let bytes = if matches!(kind, Kind::Spec | Kind::Dataset) {
            fetch.await?
        } else {
            tokio::time::timeout(FETCH, fetch)
                .await
                .map_err(|_| eyre!("{kind} {} not fetched within {FETCH:?}", hex0x(&hash)))??
        };
        // The bytes are fetched and checked against their name: a failure to keep them (a full
        // disk) is this node's, not the peer's, and must not read as the blob being unavailable.
        if let Err(e) = self.store.put_fetched(kind, &hash, &bytes) {
            tracing::warn!(error = %e, "a fetched blob could not be stored");
        }
        self.metrics
            .inc("poai_blobs_fetched", "blobs fetched from peers", 1.0);
        Ok(bytes)
    }

    /// A state by its hash.
    pub async fn state(&self, hash: Hash) -> eyre::Result<Vec<Tensor>> {
        Ok(blob::decode_tensors(&self.blob(Kind::State, hash).await?)?)
    }

    /// The solver's signed index of a segment ([`poai_common::segment`]), from this node's
    /// store or its peers, taken only when `solver` signed it and its ends are the committed
    /// checkpoints `first` and `last` (a relaying peer's forgery is passed over). One attempt,
    /// of at most [`FETCH`]: a solver builds an index when first asked, so callers ask again.
    pub async fn segment_index(
        &self,
        question: &Question,
        solver: Address,
        first: &Hash,
        last: &Hash,
    ) -> eyre::Result<Index> {
        let name = question.name();
        let accept = |bytes: &[u8]| -> eyre::Result<Index> {
            let index = Index::decode(bytes)?;
            index.check(question, solver, first, last)?;
            Ok(index)
        };
        if let Some(index) = self
            .store
            .read(Kind::Segment, &name)
            .and_then(|b| accept(&b).ok())
        {
            return Ok(index);
        }
        let fetch = self
            .net
            .fetch_accepted(Kind::Segment, name, |b| accept(b).is_ok());
        let bytes = tokio::time::timeout(FETCH, fetch)
            .await
            .map_err(|_| eyre!("the index of {question} not fetched within {FETCH:?}"))??;
        let index = accept(&bytes)?;
        if let Err(e) = self.store.put_fetched(Kind::Segment, &name, &bytes) {
            tracing::warn!(error = %e, "a fetched segment index could not be stored");
        }
        Ok(index)
    }

    /// Task `id`, loaded from the blobs its commitments name and checked against them: a task
    /// whose commitments are not its spec's is an error, and no node works on it.
    pub async fn task(&self, id: u64) -> eyre::Result<Arc<Loaded>> {
        if let Some(t) = self.tasks.lock().expect("not poisoned").get(&id) {
            return Ok(t.clone());
        }
        let onchain = self
            .chain
            .market
            .task(U256::from(id))
            .call()
            .await
            .wrap_err_with(|| format!("reading task {id}"))?;
        let commitments = Commitments::from_sol(&onchain.commitments);
        let spec_bytes = self.blob(Kind::Spec, commitments.spec_hash).await?;
        let spec = TaskSpec::from_bytes(&spec_bytes)?;
        let dataset = blob::decode_tensors(&self.blob(Kind::Dataset, spec.dataset).await?)?
            .pop()
            .ok_or_else(|| eyre!("an empty data set"))?;
        let derived = spec.commitments(commitments.spec_hash, &dataset)?;
        if derived != commitments {
            return Err(eyre!(
                "task {id}'s on-chain commitments are not the ones its spec gives"
            ));
        }
        let program = spec.training.model.training(spec.training.sgd);
        let loaded = Arc::new(Loaded {
            id,
            spec,
            dataset,
            commitments,
            program,
        });
        self.tasks
            .lock()
            .expect("not poisoned")
            .insert(id, loaded.clone());
        Ok(loaded)
    }

    /// Tops the account's free stake in `role` (`Stakes.Role`: 1 solver, 2 verifier) up to
    /// `amount`.
    pub async fn ensure_stake(&self, role: u8, amount: U256) -> eyre::Result<()> {
        let m = &self.chain.market;
        let free = m.stakeOf(self.chain.address, role).call().await?.free;
        if free < amount {
            let call = m.deposit(role).value(amount - free);
            self.chain
                .send(
                    call.into_transaction_request(),
                    format!("deposit stake (role {role})"),
                )
                .await?;
        }
        Ok(())
    }

    pub fn set_status(&self, value: serde_json::Value) {
        *self.status.write().expect("not poisoned") = value;
    }
}

/// A role's work: one reconciliation against the chain per tick.
pub trait Role {
    const NAME: &'static str;
    fn node(&self) -> &Node;
    /// Reads the state the role cares about and takes the next steps it calls for.
    fn tick(&mut self) -> impl std::future::Future<Output = eyre::Result<()>>;
}

/// Runs a role until the process ends; a failed tick is logged and retried on the next one.
pub async fn run<R: Role>(mut role: R) -> eyre::Result<()> {
    loop {
        if let Err(e) = role.tick().await {
            tracing::warn!(role = R::NAME, error = %format!("{e:#}"), "tick failed");
        }
        tokio::time::sleep(role.node().poll).await;
    }
}

/// The node's libp2p identity, created on first start and kept, so its peer id survives
/// restarts.
fn identity_at(path: &std::path::Path) -> eyre::Result<identity::Keypair> {
    if let Ok(bytes) = std::fs::read(path) {
        return identity::Keypair::from_protobuf_encoding(&bytes)
            .map_err(|e| eyre!("{} is not a libp2p key: {e}", path.display()));
    }
    let key = identity::Keypair::generate_ed25519();
    std::fs::write(path, key.to_protobuf_encoding()?)?;
    Ok(key)
}

/// `0x…` hex of a hash.
pub fn hex0x(h: &Hash) -> String {
    format!("0x{}", hex::encode(h))
}
