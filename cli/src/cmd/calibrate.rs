//! `poai calibrate`: measure honest drift between two backends over many segments of the digits
//! task and propose tier 1's `τ`.

use poai_common::engine::Backend;
use poai_common::tolerance::DEFAULT_TAU;
use poai_verifier::calibrate::calibrate;
use serde_json::json;

use super::digits::TaskArgs;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    task: TaskArgs,
    /// The solver's backend.
    #[arg(long, env = "POAI_SOLVER_BACKEND", default_value = "flex")]
    solver: Backend,
    /// The verifier's backend (wgpu / wgpu-cpu need the `wgpu` feature).
    #[arg(long, env = "POAI_VERIFIER_BACKEND", default_value = "flex")]
    verifier: Backend,
    /// The proposed τ is the largest drift seen times this.
    #[arg(long, default_value_t = 100.0)]
    margin: f64,
}

pub(crate) fn run(args: Args, json_out: bool) -> eyre::Result<()> {
    let (train, _, task) = args.task.load()?;
    let solver = task.engine(args.solver, &train.tensor)?;
    let verifier = task.engine(args.verifier, &train.tensor)?;
    let c = calibrate(
        &solver,
        &verifier,
        &task.initial_state(),
        task.schedule,
        args.margin,
        |j, d| {
            tracing::info!(segment = j, drift = d, "segment re-executed");
        },
    )?;
    if json_out {
        println!(
            "{:#}",
            json!({ "solver": args.solver, "verifier": args.verifier, "calibration": c, "defaultTau": DEFAULT_TAU })
        );
        return Ok(());
    }
    let mean = c.drift.iter().sum::<f64>() / c.drift.len() as f64;
    println!(
        "backends       solver {:?}, verifier {:?}",
        args.solver, args.verifier
    );
    println!(
        "segments       {} of {} steps",
        c.segments, c.steps_per_segment
    );
    println!(
        "drift          max {:.3e}, mean {mean:.3e} (relative L2, worst tensor)",
        c.max_drift
    );
    println!("proposed τ     {:.0e} (max × {})", c.proposed_tau, c.margin);
    println!("default τ      {DEFAULT_TAU:.0e}");
    Ok(())
}
