//! `poai`: one binary for every role. Subcommands parse their arguments here and run in
//! [`cmd`]; the work itself lives in the library crates.

use clap::{Parser, Subcommand};

mod cmd;

#[derive(Debug, Parser)]
#[command(
    name = "poai",
    version,
    about = "Proof of AI: verifiable ML compute from untrusted GPUs"
)]
struct Cli {
    /// Print results as JSON on stdout.
    #[arg(long, global = true, env = "POAI_JSON")]
    json: bool,
    /// Log format on stderr: `text` or `json`.
    #[arg(
        long = "log.format",
        global = true,
        env = "POAI_LOG_FORMAT",
        default_value = "text"
    )]
    log_format: cmd::LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Commit to data sets and prove their rows.
    #[command(subcommand)]
    Dataset(cmd::dataset::Command),
    /// Commit to a real data set, deploy the checker on a local anvil, and have the contract
    /// accept honest row proofs and reject tampered ones.
    Demo(cmd::demo::Args),
    /// Train a task as a solver does: checkpoints every k steps, the result root, held-out
    /// accuracy.
    Train(cmd::train::Args),
    /// Measure honest drift between two backends and propose tier 1's tolerance τ.
    Calibrate(cmd::calibrate::Args),
    /// A whole network on this machine: anvil, the contracts, a solver, two verifiers and a
    /// whistleblower as separate processes over libp2p, and a digits task from submit to
    /// settlement.
    Devnet(cmd::devnet::Args),
    /// Publish a digits training task and escrow its payment.
    Submit(cmd::submit::Args),
    /// Run a solver node.
    Solver(cmd::node::SolverArgs),
    /// Run a verifier node.
    Verifier(cmd::node::VerifierArgs),
    /// Run a whistleblower node.
    Whistleblower(cmd::node::WhistleblowerArgs),
    /// Show the market's tasks, games and accounts.
    Status(cmd::status::Args),
    /// Ask for free stake back; it can be withdrawn after the market's unbonding delay.
    Unbond(cmd::withdraw::UnbondArgs),
    /// Credit every stake whose unbonding delay has passed, and send the account its credit.
    Withdraw(cmd::withdraw::WithdrawArgs),
}

#[tokio::main]
async fn main() -> eyre::Result<()> {
    let cli = Cli::parse();
    cmd::init_logging(cli.log_format);
    match cli.command {
        Command::Dataset(c) => cmd::dataset::run(c, cli.json),
        Command::Demo(args) => cmd::demo::run(args, cli.json).await,
        Command::Train(args) => cmd::train::run(args, cli.json),
        Command::Calibrate(args) => cmd::calibrate::run(args, cli.json),
        Command::Devnet(args) => cmd::devnet::run(args, cli.json).await,
        Command::Submit(args) => cmd::submit::run(args, cli.json).await,
        Command::Solver(args) => cmd::node::solver(args).await,
        Command::Verifier(args) => cmd::node::verifier(args).await,
        Command::Whistleblower(args) => cmd::node::whistleblower(args).await,
        Command::Status(args) => cmd::status::run(args, cli.json).await,
        Command::Unbond(args) => cmd::withdraw::unbond(args, cli.json).await,
        Command::Withdraw(args) => cmd::withdraw::withdraw(args, cli.json).await,
    }
}
