//! `poai train`: run a training task as a solver does — checkpoints on disk, the result root —
//! and report held-out accuracy.

use std::path::PathBuf;
use std::time::Instant;

use poai_common::engine::{self, Backend, Engine};
use poai_common::run::{self, Checkpoints};
use poai_common::tensor::Tensor;
use serde_json::json;

use super::digits::TaskArgs;
use super::hex0x;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    task: TaskArgs,
    /// The backend: flex (CPU), or wgpu / wgpu-cpu with the `wgpu` feature.
    #[arg(long, env = "POAI_BACKEND", default_value = "flex")]
    backend: Backend,
    /// Where checkpoints go.
    #[arg(long, env = "POAI_CHECKPOINTS", default_value = "poai-checkpoints")]
    out: PathBuf,
}

pub(crate) fn run(args: Args, json_out: bool) -> eyre::Result<()> {
    let (train, held_out, task) = args.task.load()?;
    let engine = task.engine(args.backend, &train.tensor)?;
    let program_root = engine.program().root()?;
    let store = Checkpoints::open(&args.out)?;
    store.save_task(&task)?;
    let init = task.initial_state();
    let params = task.model.param_shapes().len();
    let before = accuracy(&task, &init[..params], &held_out.tensor)?;
    let start = Instant::now();
    let steps = task.schedule.steps;
    let every = (steps / 10).max(1);
    let result = run::train(&engine, &init, task.schedule, &store, |t| {
        if t % every == 0 {
            tracing::info!(step = t, of = steps, "training");
        }
    })?;
    let seconds = start.elapsed().as_secs_f64();
    let after = accuracy(&task, &result.final_state[..params], &held_out.tensor)?;
    let out = json!({
        "task": task,
        "backend": args.backend,
        "programRoot": hex0x(&program_root),
        "datasetHash": hex0x(&train.tensor.commit().hash),
        "initStateHash": hex0x(&result.checkpoints[0]),
        "checkpoints": result.checkpoints.iter().map(|h| hex0x(h)).collect::<Vec<_>>(),
        "resultRoot": hex0x(&result.result_root),
        "checkpointDir": store.dir().display().to_string(),
        "heldOutAccuracy": { "before": before, "after": after },
        "seconds": seconds,
        "stepsPerSecond": steps as f64 / seconds,
    });
    if json_out {
        println!("{out:#}");
        return Ok(());
    }
    println!("programRoot    {}", hex0x(&program_root));
    println!(
        "datasetHash    {}",
        out["datasetHash"].as_str().unwrap_or_default()
    );
    println!("initStateHash  {}", hex0x(&result.checkpoints[0]));
    println!(
        "resultRoot     {}  ({} checkpoints in {})",
        hex0x(&result.result_root),
        result.checkpoints.len(),
        store.dir().display()
    );
    println!(
        "trained        {steps} steps in {seconds:.2} s ({:.0} steps/s) on {:?}",
        steps as f64 / seconds,
        args.backend
    );
    println!(
        "held-out       {:.1}% before, {:.1}% after",
        before * 100.0,
        after * 100.0
    );
    Ok(())
}

/// Held-out accuracy through the inference program.
pub(crate) fn accuracy(
    task: &run::TrainingTask,
    params: &[Tensor],
    data: &Tensor,
) -> eyre::Result<f64> {
    let n = data.rows();
    let engine = Engine::new(Backend::Flex, task.model.inference(n), Some(data), [0; 32])?;
    let (_, mut outputs) = engine.step(engine.upload(params)?, 0);
    let logits = engine::download(outputs.remove(0))?;
    let label = data.cols() as usize - 1;
    let mut correct = 0u32;
    for r in 0..n {
        let row = logits.row(r)?;
        let predicted = (0..row.len())
            .max_by(|&a, &b| row[a].total_cmp(&row[b]))
            .unwrap_or(0);
        if predicted as f32 == data.row(r)?[label] {
            correct += 1;
        }
    }
    Ok(f64::from(correct) / f64::from(n))
}
