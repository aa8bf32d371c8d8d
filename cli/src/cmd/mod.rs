use alloy::primitives::Address;

pub(crate) mod calibrate;
pub(crate) mod dataset;
pub(crate) mod demo;
pub(crate) mod devnet;
pub(crate) mod digits;
pub(crate) mod node;
pub(crate) mod status;
pub(crate) mod strangers;
pub(crate) mod submit;
pub(crate) mod train;
pub(crate) mod withdraw;

/// Who signs and where: the options every command that sends transactions shares.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ChainArgs {
    /// The chain's JSON-RPC endpoint.
    #[arg(long, env = "POAI_RPC", default_value = "http://127.0.0.1:8545")]
    pub rpc: String,
    /// The account's private key (hex).
    #[arg(long, env = "POAI_KEY")]
    pub key: String,
    /// The market contract.
    #[arg(long, env = "POAI_MARKET")]
    pub market: Address,
}

/// Log format on stderr.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum LogFormat {
    Text,
    Json,
}

/// Logs go to stderr (stdout carries results), filtered by `RUST_LOG`, `info` by default.
pub(crate) fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

pub(crate) fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}
