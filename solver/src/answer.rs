//! Answers to availability requests (DESIGN §6 (2)): whatever the solver committed, it opens on
//! demand — a leaf of `resultRoot`, a segment's per-step states, a state's tensor hashes, a row of
//! any committed tensor (a row past the end answered by the header), a range of a state's tensors
//! or a trace's slots whole (headers only past the contract's cap). Each answer is built from
//! the solver's own store and checked against the hash the chain holds before it is sent.

use std::sync::Arc;

use alloy::primitives::{B256, U256};
use eyre::{WrapErr, eyre};
use poai_common::blob::{self, Kind};
use poai_common::chain::bindings::availability::Availability;
use poai_common::chain::bindings::availability::Tensor::Header;
use poai_common::merkle::{self, Hash};
use poai_common::tensor::Tensor;
use poai_node::Node;
use poai_node::challenge::source;
use poai_node::durable::Durable;

use crate::{Options, Progress, post_steps, recorded};

/// `Availability.Kind`, as the contract numbers it.
pub(crate) mod kind {
    pub(crate) const LEAF: u8 = 1;
    pub(crate) const STEPS: u8 = 2;
    pub(crate) const STATE: u8 = 3;
    pub(crate) const ROW: u8 = 4;
    pub(crate) const DATA: u8 = 5;
}

/// Answers request `id`.
pub(crate) async fn request(
    node: &Arc<Node>,
    opts: &Options,
    progress: &Durable<Progress>,
    id: u64,
) -> eyre::Result<()> {
    let a = &node.chain.availability;
    let r = a.request(U256::from(id)).call().await?;
    let task = r.task.to::<u64>();
    let what = format!("request {id} of task {task}");
    let tx = match r.kind {
        kind::LEAF => {
            let checkpoints = recorded(progress, task)?;
            let index = r.index.to::<u64>();
            let leaf = *checkpoints
                .get(index as usize)
                .ok_or_else(|| eyre!("no checkpoint {index} of task {task}"))?;
            let proof = merkle::Tree::from_payloads(&checkpoints)?.proof(index)?;
            a.answerLeaf(U256::from(id), B256::from(leaf), b256s(&proof.siblings))
                .into_transaction_request()
        }
        kind::STEPS => {
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
            a.answerSteps(U256::from(id)).into_transaction_request()
        }
        kind::STATE => {
            let state = state(node, task, &r.subject.0).await?;
            let hashes: Vec<B256> = state.iter().map(|t| B256::from(t.commit().hash)).collect();
            a.answerState(U256::from(id), hashes)
                .into_transaction_request()
        }
        kind::DATA => {
            let list = located_list(node, task, &a.located(U256::from(id)).call().await?).await?;
            let commits: Vec<_> = list.iter().map(Tensor::commit).collect();
            let hashes: Vec<B256> = commits.iter().map(|c| B256::from(c.hash)).collect();
            let (from, to) = (r.index.saturating_to::<usize>(), r.end as usize);
            let part = list.get(from..to).ok_or_else(|| {
                eyre!(
                    "request {id} asks for entries {from}..{to} of {}",
                    list.len()
                )
            })?;
            let headers = commits[from..to].iter().map(header).collect();
            let max_bytes: usize = a.MAX_DATA_BYTES().call().await?.saturating_to();
            let max_rows: usize = a.MAX_DATA_ROWS().call().await?.saturating_to();
            let size: usize = part.iter().map(|t| t.data().len() * 4).sum();
            let rows: usize = part.iter().map(|t| t.rows() as usize).sum();
            // Past a cap, the headers answer (the requester asks for less, or for rows).
            let data: Vec<u8> = if size > max_bytes || rows > max_rows {
                Vec::new()
            } else {
                part.iter()
                    .flat_map(|t| t.data().iter().flat_map(|v| v.to_le_bytes()))
                    .collect()
            };
            a.answerData(U256::from(id), hashes, headers, data.into())
                .into_transaction_request()
        }
        kind::ROW => {
            let tensor = requested_tensor(node, id, task).await?;
            let c = tensor.commit();
            if c.hash != r.subject.0 {
                eyre::bail!("the tensor found for request {id} is not the one asked for");
            }
            let header = header(&c);
            let (data, siblings) = match u32::try_from(r.index) {
                Ok(row) if row < c.header.rows => {
                    (tensor.row_bytes(row)?, b256s(&c.row_proof(row)?.siblings))
                }
                // Past the end: the header answers.
                _ => (Vec::new(), Vec::new()),
            };
            a.answerRow(U256::from(id), header, data.into(), siblings)
                .into_transaction_request()
        }
        other => eyre::bail!("request {id} has an unknown kind {other}"),
    };
    node.chain.send(tx, what).await?;
    tracing::info!(
        request = id,
        task,
        kind = r.kind,
        "answered an availability request"
    );
    Ok(())
}

/// A state the solver holds: a checkpoint or a per-step state it stored, or the task's initial
/// state.
async fn state(node: &Arc<Node>, task: u64, hash: &Hash) -> eyre::Result<Vec<Tensor>> {
    let loaded = node.task(task).await?;
    if *hash == loaded.commitments.init_state_hash {
        return Ok(loaded.spec.training.initial_state());
    }
    node.store
        .checkpoints()?
        .get(hash)
        .wrap_err_with(|| format!("state {} is not stored", poai_node::hex0x(hash)))
}

/// The list a `Row` or `Data` request is about, found where the request proved it committed (`w`,
/// as the market keeps it with the request, whoever made it: an account or a contract): the
/// slots of a posted trace, or a state's tensors.
async fn located_list(
    node: &Arc<Node>,
    task: u64,
    w: &Availability::Located,
) -> eyre::Result<Vec<Tensor>> {
    if w.source == source::TRACE_SLOT {
        let root = node
            .chain
            .dispute
            .traceRoot(U256::from(task), w.segment, w.step)
            .call()
            .await?;
        let bytes = node
            .store
            .read(Kind::Trace, &root.0)
            .ok_or_else(|| eyre!("the trace of step {} is not stored", w.step))?;
        return Ok(blob::decode_tensors(&bytes)?);
    }
    state(node, task, &w.stateHash.0).await
}

/// The tensor a `Row` request names.
async fn requested_tensor(node: &Arc<Node>, id: u64, task: u64) -> eyre::Result<Tensor> {
    let w = node
        .chain
        .availability
        .located(U256::from(id))
        .call()
        .await?;
    let at = if w.source == source::TRACE_SLOT {
        w.index
    } else {
        w.tensor
    };
    located_list(node, task, &w)
        .await?
        .into_iter()
        .nth(at.saturating_to::<usize>())
        .ok_or_else(|| eyre!("request {id} names entry {at}, which the list does not have"))
}

/// A tensor's header as the contract takes it, from its commitment.
fn header(c: &poai_common::tensor::Commitment) -> Header {
    Header {
        dtype: c.header.dtype,
        rows: c.header.rows,
        cols: c.header.cols,
        rowsRoot: B256::from(c.header.rows_root),
    }
}

fn b256s(xs: &[Hash]) -> Vec<B256> {
    xs.iter().map(|h| B256::from(*h)).collect()
}
