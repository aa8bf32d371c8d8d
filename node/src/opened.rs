//! What the solver opened on chain (`Availability.DataOpened`): the entries of a state or a trace
//! read back into tensors, and the ranges a challenger asks for so that each answer fits one
//! transaction. A challenger that was served nothing off chain rebuilds from these what it needs
//! to re-execute and to prove (DESIGN §6 (2)).

use std::collections::BTreeMap;

use alloy::primitives::B256;
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use eyre::eyre;
use poai_common::Hash;
use poai_common::chain::bindings::availability::Availability;
use poai_common::tensor::Tensor;

use crate::Node;

/// Every entry of list `subject` (a state hash or a trace root) opened on chain so far, by its
/// place in the list: the tensor, or `None` where only its header was opened (it is over the
/// contract's cap).
pub async fn entries(node: &Node, subject: Hash) -> eyre::Result<BTreeMap<usize, Option<Tensor>>> {
    let filter = Filter::new()
        .address(*node.chain.availability.address())
        .event_signature(Availability::DataOpened::SIGNATURE_HASH)
        .topic2(B256::from(subject))
        .from_block(0);
    let mut entries = BTreeMap::new();
    for log in node.chain.provider.get_logs(&filter).await? {
        let e = log.log_decode::<Availability::DataOpened>()?.inner.data;
        let from = e.from.saturating_to::<usize>();
        let mut at = 0usize;
        for (i, h) in e.headers.iter().enumerate() {
            if e.data.is_empty() {
                entries.entry(from + i).or_insert(None);
                continue;
            }
            let (rows, cols) = (h.rows as usize, h.cols as usize);
            let bytes = e.data.get(at..at + rows * cols * 4).ok_or_else(|| {
                eyre!(
                    "an opening of {} is shorter than its headers",
                    crate::hex0x(&subject)
                )
            })?;
            at += bytes.len();
            let values = bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            entries.insert(from + i, Some(Tensor::new(rows, cols, values)?));
        }
    }
    Ok(entries)
}

/// Ranges `[from, to)` that cover the `missing` entries (in order) of a list whose entries are
/// expected to be `sizes` bytes: consecutive entries grouped while they fit `max` bytes; an
/// entry larger than `max` alone (its answer is its header).
pub fn ranges(missing: &[usize], sizes: &[usize], max: usize) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    let mut bytes = 0usize;
    for &i in missing {
        let size = sizes.get(i).copied().unwrap_or(usize::MAX);
        match out.last_mut() {
            Some((_, to)) if *to as usize == i && bytes.saturating_add(size) <= max => {
                *to += 1;
                bytes += size;
            }
            _ => {
                out.push((i as u32, i as u32 + 1));
                bytes = size;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::ranges;

    #[test]
    fn ranges_group_consecutive_entries_that_fit_one_answer() {
        // Entries 0..6 of 10, 20, 30, 100, 5 and 5 bytes; at most 60 bytes an answer.
        let sizes = [10, 20, 30, 100, 5, 5];
        assert_eq!(
            ranges(&[0, 1, 2, 3, 4, 5], &sizes, 60),
            [(0, 3), (3, 4), (4, 6)]
        );
        // A gap starts a new range; an entry over the cap stands alone.
        assert_eq!(
            ranges(&[0, 2, 3, 5], &sizes, 60),
            [(0, 1), (2, 3), (3, 4), (5, 6)]
        );
        assert_eq!(ranges(&[], &sizes, 60), []);
        // Entries past the expected shapes (a cheat's longer list) each stand alone.
        assert_eq!(ranges(&[6, 7], &sizes, 60), [(6, 7), (7, 8)]);
    }
}
