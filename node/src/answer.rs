//! Answers to availability requests (DESIGN §6 (2)) from what this node holds: a leaf of
//! `resultRoot`, a state's tensor hashes, a row of any committed tensor (a row past the end
//! answered by the header), a range of a state's tensors or a trace's slots whole (headers only
//! past the contract's caps). Anyone may answer, since the contract checks every answer against
//! what the solver committed: the solver answers for its task, and a verifier for the data its
//! *pass* named (an unanswered opening of it faults the segment and burns the pass).

use alloy::primitives::{B256, U256};
use alloy::rpc::types::TransactionRequest;
use eyre::{WrapErr, eyre};
use poai_common::blob::{self, Kind};
use poai_common::chain::bindings::availability::Availability;
use poai_common::chain::bindings::availability::Tensor::Header;
use poai_common::merkle::Hash;
use poai_common::tensor::Tensor;

use crate::Node;
use crate::challenge::source;

/// `Availability.Kind`, as the contract numbers it.
pub mod kind {
    pub const LEAF: u8 = 1;
    pub const STEPS: u8 = 2;
    pub const STATE: u8 = 3;
    pub const ROW: u8 = 4;
    pub const DATA: u8 = 5;
}

/// The answer to request `id` (`r`), built from this node's store and checked against the hash
/// the chain holds; `leaf(i)` gives checkpoint `i`'s hash and its path into `resultRoot`. A
/// `Steps` request is closed (`answerSteps`): its segment's steps must be posted already.
pub async fn answer(
    node: &Node,
    id: u64,
    r: &Availability::Request,
    leaf: impl FnOnce(u64) -> eyre::Result<(Hash, Vec<Hash>)>,
) -> eyre::Result<TransactionRequest> {
    let a = &node.chain.availability;
    let task = r.task.to::<u64>();
    Ok(match r.kind {
        kind::LEAF => {
            let (hash, siblings) = leaf(r.index.to::<u64>())?;
            a.answerLeaf(U256::from(id), B256::from(hash), b256s(&siblings))
                .into_transaction_request()
        }
        kind::STEPS => a.answerSteps(U256::from(id)).into_transaction_request(),
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
    })
}

/// A state this node holds (a checkpoint or a per-step state it stored or fetched), or the
/// task's initial state.
async fn state(node: &Node, task: u64, hash: &Hash) -> eyre::Result<Vec<Tensor>> {
    let loaded = node.task(task).await?;
    if *hash == loaded.commitments.init_state_hash {
        return Ok(loaded.spec.training.initial_state());
    }
    node.store
        .checkpoints()?
        .get(hash)
        .wrap_err_with(|| format!("state {} is not stored", crate::hex0x(hash)))
}

/// The list a `Row` or `Data` request is about, found where the request proved it committed (`w`,
/// as the market keeps it with the request, whoever made it: an account or a contract): the
/// slots of a posted trace, or a state's tensors.
async fn located_list(
    node: &Node,
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
async fn requested_tensor(node: &Node, id: u64, task: u64) -> eyre::Result<Tensor> {
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
