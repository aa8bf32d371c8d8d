//! The solver's answers to availability requests (DESIGN §6 (2)): whatever it committed, it
//! opens on demand ([`poai_node::answer`]) — a leaf of `resultRoot` from the checkpoints it
//! recorded, and a segment's per-step states by posting them (`postSteps`) first.

use std::sync::Arc;

use alloy::primitives::U256;
use eyre::eyre;
use poai_common::merkle;
use poai_node::Node;
use poai_node::answer::{self, kind};
use poai_node::durable::Durable;

use crate::{Options, Progress, post_steps, recorded};

/// Answers request `id`.
pub(crate) async fn request(
    node: &Arc<Node>,
    opts: &Options,
    progress: &Durable<Progress>,
    id: u64,
) -> eyre::Result<()> {
    let r = node
        .chain
        .availability
        .request(U256::from(id))
        .call()
        .await?;
    let task = r.task.to::<u64>();
    if r.kind == kind::STEPS {
        let segment = r.index.to::<u64>();
        let posted = node
            .chain
            .dispute
            .stepsPostedAt(r.task, segment)
            .call()
            .await?;
        if posted == 0 {
            post_steps(node, opts, progress, task, segment).await?;
        }
    }
    let leaf = |index: u64| -> eyre::Result<_> {
        let checkpoints = recorded(progress, task)?;
        let hash = *checkpoints
            .get(index as usize)
            .ok_or_else(|| eyre!("no checkpoint {index} of task {task}"))?;
        let proof = merkle::Tree::from_payloads(&checkpoints)?.proof(index)?;
        Ok((hash, proof.siblings))
    };
    let tx = answer::answer(node, id, &r, leaf).await?;
    node.chain
        .send(tx, format!("request {id} of task {task}"))
        .await?;
    tracing::info!(
        request = id,
        task,
        kind = r.kind,
        "answered an availability request"
    );
    Ok(())
}
