pub(crate) mod calibrate;
pub(crate) mod dataset;
pub(crate) mod demo;
pub(crate) mod devnet;
pub(crate) mod digits;
pub(crate) mod node;
pub(crate) mod status;
pub(crate) mod submit;
pub(crate) mod train;

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
