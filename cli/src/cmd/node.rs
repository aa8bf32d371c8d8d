//! `poai solver`, `poai verifier`, `poai whistleblower`: a role's node, with the options every
//! node shares.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use alloy::primitives::U256;
use poai_common::engine::Backend;
use poai_node::{Config, Node};

use super::ChainArgs;

#[derive(Debug, Clone, clap::Args)]
pub(crate) struct NodeArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
    /// Where the node keeps its identity, blobs and state (reused on restart).
    #[arg(long, env = "POAI_DATA_DIR")]
    pub data_dir: PathBuf,
    /// libp2p listen address.
    #[arg(long, env = "POAI_LISTEN", default_value = "/ip4/127.0.0.1/tcp/0")]
    pub listen: libp2p::Multiaddr,
    /// Bootstrap peers, `/ip4/…/tcp/…/p2p/<peer id>` (repeatable).
    #[arg(long = "peer", env = "POAI_PEERS", value_delimiter = ',')]
    pub peers: Vec<libp2p::Multiaddr>,
    /// The HTTP API's address (`/health`, `/metrics`, `/status`, `/blobs`).
    #[arg(long, env = "POAI_API", default_value = "127.0.0.1:0")]
    pub api: SocketAddr,
    /// How often the node reads the chain, in milliseconds.
    #[arg(long, env = "POAI_POLL_MS", default_value_t = 300)]
    pub poll_ms: u64,
    /// The backend: flex (CPU), or wgpu / wgpu-cpu with the `wgpu` feature.
    #[arg(long, env = "POAI_BACKEND", default_value = "flex")]
    pub backend: Backend,
}

impl NodeArgs {
    async fn start(&self, role: &'static str) -> eyre::Result<std::sync::Arc<Node>> {
        Node::start(Config {
            role,
            rpc: self.chain.rpc.clone(),
            key: self.chain.key.clone(),
            market: self.chain.market,
            data_dir: self.data_dir.clone(),
            listen: self.listen.clone(),
            peers: self.peers.clone(),
            api: self.api,
            poll: Duration::from_millis(self.poll_ms),
        })
        .await
    }
}

#[derive(Debug, clap::Args)]
pub(crate) struct SolverArgs {
    #[command(flatten)]
    node: NodeArgs,
    /// Solver stake to keep deposited, in ether.
    #[arg(long, default_value_t = 100.0)]
    stake: f64,
    /// Cheat, to watch it caught: skip-steps, learning-rate, swap-data, bf16,
    /// replay-checkpoint, random-weights, withhold-checkpoints, withhold-while-playing,
    /// junk-roots, on-chain-only, mis-shaped-trace, padded-result-list, nan-weights.
    #[arg(long, env = "POAI_CHEAT")]
    cheat: Option<poai_solver::Cheat>,
    /// Abort right after this many checkpoints (a crash, to test resuming).
    #[arg(long, hide = true)]
    crash_after_checkpoints: Option<usize>,
    /// The most stake to lock behind one task, in ether.
    #[arg(long, env = "POAI_MAX_TASK_STAKE", default_value_t = 100.0)]
    max_task_stake: f64,
    /// How many times its measured training time a task's solve window (and a game's clock,
    /// for a recomputation of the run) must hold.
    #[arg(long, env = "POAI_CLAIM_MARGIN", default_value_t = 2.0)]
    claim_margin: f64,
    /// Seconds a task takes beyond its steps (loading, the commit).
    #[arg(long, env = "POAI_TASK_OVERHEAD", default_value_t = 10)]
    task_overhead: u64,
    /// Memory to give one task, in MiB [default: what the machine has available at start].
    #[arg(long, env = "POAI_TASK_MEMORY_MIB")]
    task_memory_mib: Option<u64>,
    /// The least pay per hour of measured training, net of verifier fees, in ether.
    #[arg(long, env = "POAI_MIN_PRICE", default_value_t = 0.0)]
    min_price_per_hour: f64,
}

pub(crate) async fn solver(args: SolverArgs) -> eyre::Result<()> {
    if !(args.claim_margin >= 1.0 && args.claim_margin.is_finite()) {
        eyre::bail!(
            "--claim-margin must be at least 1, got {}",
            args.claim_margin
        );
    }
    let node = args.node.start("solver").await?;
    let opts = poai_solver::Options {
        backend: args.node.backend,
        stake: poai_node::chain::eth(args.stake),
        cheat: args.cheat,
        policy: poai_solver::claim::Policy {
            max_stake: poai_node::chain::eth(args.max_task_stake),
            margin: args.claim_margin,
            overhead: Duration::from_secs(args.task_overhead),
            memory: match args.task_memory_mib {
                Some(mib) => mib << 20,
                None => poai_solver::claim::available_memory().unwrap_or(u64::MAX),
            },
            min_price: poai_node::chain::eth(args.min_price_per_hour) / U256::from(3600u64),
        },
        crash_after: args.crash_after_checkpoints,
    };
    poai_solver::Solver::new(node, opts)?.run().await
}

#[derive(Debug, clap::Args)]
pub(crate) struct VerifierArgs {
    #[command(flatten)]
    node: NodeArgs,
    /// Verifier stake to keep deposited, in ether.
    #[arg(long, default_value_t = 10.0)]
    stake: f64,
    /// Tier 1's tolerance τ.
    #[arg(long, default_value_t = poai_common::tolerance::DEFAULT_TAU)]
    tau: f64,
    /// Attest pass without checking (a lazy verifier, to watch it lose its stake).
    #[arg(long)]
    lazy: bool,
}

pub(crate) async fn verifier(args: VerifierArgs) -> eyre::Result<()> {
    let node = args.node.start("verifier").await?;
    let opts = poai_verifier::Options {
        backend: args.node.backend,
        stake: poai_node::chain::eth(args.stake),
        tau: args.tau,
        lazy: args.lazy,
    };
    poai_verifier::Verifier::new(node, opts).run().await
}

#[derive(Debug, clap::Args)]
pub(crate) struct WhistleblowerArgs {
    #[command(flatten)]
    node: NodeArgs,
    /// Tier 1's tolerance τ.
    #[arg(long, default_value_t = poai_common::tolerance::DEFAULT_TAU)]
    tau: f64,
    /// Challenge a segment even when it passes (to watch a false alarm lose its bond).
    #[arg(long)]
    false_alarm: bool,
}

pub(crate) async fn whistleblower(args: WhistleblowerArgs) -> eyre::Result<()> {
    let node = args.node.start("whistleblower").await?;
    let opts = poai_whistleblower::Options {
        backend: args.node.backend,
        tau: args.tau,
        false_alarm: args.false_alarm,
    };
    poai_whistleblower::Whistleblower::new(node, opts)?
        .run()
        .await
}
