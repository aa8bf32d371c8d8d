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

/// An entry of a list as opened on chain.
#[derive(Debug, Clone)]
pub enum Entry {
    /// Opened whole.
    Values(Tensor),
    /// Only its header was opened (its range was over the contract's caps): its shape.
    Header { rows: u32, cols: u32 },
}

/// Every entry of list `subject` (a state hash or a trace root) opened on chain so far, by its
/// place in the list (an entry opened whole once stays so).
pub async fn entries(node: &Node, subject: Hash) -> eyre::Result<BTreeMap<usize, Entry>> {
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
                entries.entry(from + i).or_insert(Entry::Header {
                    rows: h.rows,
                    cols: h.cols,
                });
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
            entries.insert(from + i, Entry::Values(Tensor::new(rows, cols, values)?));
        }
    }
    Ok(entries)
}

/// The contract's caps on one whole answer: bytes of values and rows.
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    pub bytes: u64,
    pub rows: u64,
}

/// Ranges `[from, to)` that cover the `missing` entries (in order) of a list whose entries have
/// the `shapes` `(rows, cols)` (the program's, or the header an answer showed): consecutive
/// entries grouped while they fit the caps; an entry over them alone (its answer is its header).
pub fn ranges(missing: &[usize], shapes: &[(u32, u32)], caps: Caps) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    let (mut bytes, mut rows) = (0u64, 0u64);
    for &i in missing {
        let (r, c) = shapes.get(i).copied().unwrap_or((u32::MAX, u32::MAX));
        let size = u64::from(r).saturating_mul(u64::from(c)).saturating_mul(4);
        match out.last_mut() {
            Some((_, to))
                if *to as usize == i
                    && bytes.saturating_add(size) <= caps.bytes
                    && rows.saturating_add(u64::from(r)) <= caps.rows =>
            {
                *to += 1;
                bytes += size;
                rows += u64::from(r);
            }
            _ => {
                out.push((i as u32, i as u32 + 1));
                (bytes, rows) = (size, u64::from(r));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{Caps, ranges};

    #[test]
    fn ranges_group_consecutive_entries_that_fit_one_answer() {
        // Entries of 4, 8, 12, 40, 4 and 4 bytes, one row each; at most 24 bytes an answer.
        let shapes = [(1, 1), (1, 2), (1, 3), (1, 10), (1, 1), (1, 1)];
        let caps = Caps {
            bytes: 24,
            rows: 100,
        };
        assert_eq!(
            ranges(&[0, 1, 2, 3, 4, 5], &shapes, caps),
            [(0, 3), (3, 4), (4, 6)]
        );
        // A gap starts a new range; an entry over the cap stands alone.
        assert_eq!(
            ranges(&[0, 2, 3, 5], &shapes, caps),
            [(0, 1), (2, 3), (3, 4), (5, 6)]
        );
        assert_eq!(ranges(&[], &shapes, caps), []);
        // Entries past the expected shapes (a cheat's longer list) each stand alone.
        assert_eq!(ranges(&[6, 7], &shapes, caps), [(6, 7), (7, 8)]);
        // The row cap counts too: columns of 3 rows, at most 6 rows an answer.
        let columns = [(3, 1); 5];
        let caps = Caps {
            bytes: 1000,
            rows: 6,
        };
        assert_eq!(
            ranges(&[0, 1, 2, 3, 4], &columns, caps),
            [(0, 2), (2, 4), (4, 5)]
        );
    }
}
