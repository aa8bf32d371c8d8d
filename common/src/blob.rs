//! What nodes exchange, and how a receiver knows it got what it asked for (DESIGN §8). Every
//! blob is named by a hash the task or game already committed to, so a blob from an untrusted
//! peer is checked by recomputing that commitment from its bytes:
//!
//! | kind | bytes | named by |
//! | --- | --- | --- |
//! | `Spec` | the task spec's JSON | `sha256(bytes)` = `specHash` |
//! | `Dataset` | one tensor | its tensor hash = `datasetHash` |
//! | `State` | the state's tensors | `stateHash` (checkpoints, per-step states) |
//! | `Hashes` | state hashes, 32 bytes each | their Merkle root: `resultRoot` over the checkpoints, or a game's steps root over a segment's per-step states |
//! | `Trace` | every slot of one step | `traceRoot` |
//! | `Segment` | a segment's signed index ([`crate::segment`]) | the question it answers (market, task, result root, segment); accepted only once the signature is the task's solver's |
//!
//! Tensors travel in one format (the checkpoint file's): magic, tensor count, then each tensor's
//! rows, columns and little-endian `f32` values.

use serde::{Deserialize, Serialize};

use crate::merkle::{self, Hash};
use crate::state;
use crate::tensor::Tensor;

/// What a blob is, which says how its name is computed from its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Spec,
    Dataset,
    State,
    Hashes,
    Trace,
    Segment,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Spec,
        Kind::Dataset,
        Kind::State,
        Kind::Hashes,
        Kind::Trace,
        Kind::Segment,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Spec => "spec",
            Kind::Dataset => "dataset",
            Kind::State => "state",
            Kind::Hashes => "hashes",
            Kind::Trace => "trace",
            Kind::Segment => "segment",
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                format!("no blob kind {s:?} (spec, dataset, state, hashes, trace, segment)")
            })
    }
}

/// The largest blob a node stores or serves: a checkpoint of a large model is tens of MiB.
pub const MAX_BLOB: usize = 256 << 20;

const MAGIC: &[u8; 8] = b"POAIST01";

/// Why bytes are not a blob.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("{got} bytes is more than a blob may have ({MAX_BLOB})")]
    TooLarge { got: usize },
    #[error("not a PoAI tensor blob: {0}")]
    Malformed(String),
    #[error("the bytes are not {kind} {hash}")]
    WrongHash { kind: Kind, hash: merkle::HexHash },
}

/// Tensors in the blob format.
pub fn encode_tensors(tensors: &[Tensor]) -> Vec<u8> {
    let mut bytes = vec![0; encoded_len(tensors)];
    encode_tensors_into(tensors, &mut bytes);
    bytes
}

/// The length of `tensors` in the blob format.
pub fn encoded_len(tensors: &[Tensor]) -> usize {
    MAGIC.len()
        + 4
        + tensors
            .iter()
            .map(|t| 8 + 4 * t.data().len())
            .sum::<usize>()
}

/// Writes `tensors` in the blob format into `out`, which is [`encoded_len`] bytes long: the one
/// copy a checkpoint writer makes.
///
/// # Panics
/// If `out` has another length.
pub fn encode_tensors_into(tensors: &[Tensor], out: &mut [u8]) {
    assert_eq!(out.len(), encoded_len(tensors), "room for exactly the blob");
    fn next<'a>(rest: &mut &'a mut [u8], n: usize) -> &'a mut [u8] {
        let (head, tail) = std::mem::take(rest).split_at_mut(n);
        *rest = tail;
        head
    }
    let mut rest = out;
    next(&mut rest, MAGIC.len()).copy_from_slice(MAGIC);
    next(&mut rest, 4).copy_from_slice(&(tensors.len() as u32).to_le_bytes());
    for t in tensors {
        next(&mut rest, 4).copy_from_slice(&t.rows().to_le_bytes());
        next(&mut rest, 4).copy_from_slice(&t.cols().to_le_bytes());
        let values = next(&mut rest, 4 * t.data().len());
        for (out, v) in values.as_chunks_mut::<4>().0.iter_mut().zip(t.data()) {
            *out = v.to_le_bytes();
        }
    }
}

/// Tensors from the blob format; every byte must belong to them.
pub fn decode_tensors(bytes: &[u8]) -> Result<Vec<Tensor>, Error> {
    let bad = |why: &str| Error::Malformed(why.into());
    let mut rest = bytes
        .strip_prefix(MAGIC.as_slice())
        .ok_or_else(|| bad("no magic"))?;
    fn take<'a>(rest: &mut &'a [u8], n: usize) -> Result<&'a [u8], Error> {
        if rest.len() < n {
            return Err(Error::Malformed("truncated".into()));
        }
        let (head, tail) = rest.split_at(n);
        *rest = tail;
        Ok(head)
    }
    let word = |b: &[u8]| u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize;
    let count = word(take(&mut rest, 4)?);
    let mut tensors = Vec::with_capacity(count.min(1 << 16));
    for _ in 0..count {
        let rows = word(take(&mut rest, 4)?);
        let cols = word(take(&mut rest, 4)?);
        let len = rows
            .checked_mul(cols)
            .and_then(|n| n.checked_mul(4))
            .ok_or_else(|| bad("a tensor's size overflows"))?;
        let values = take(&mut rest, len)?
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
            .collect();
        tensors.push(Tensor::new(rows, cols, values).map_err(|e| bad(&e.to_string()))?);
    }
    if !rest.is_empty() {
        return Err(bad("trailing bytes"));
    }
    Ok(tensors)
}

/// State hashes in the `Hashes` format.
pub fn encode_hashes(hashes: &[Hash]) -> Vec<u8> {
    hashes.concat()
}

pub fn decode_hashes(bytes: &[u8]) -> Result<Vec<Hash>, Error> {
    if bytes.is_empty() || !bytes.len().is_multiple_of(32) {
        return Err(Error::Malformed(format!(
            "{} bytes is not a list of hashes",
            bytes.len()
        )));
    }
    Ok(bytes
        .chunks_exact(32)
        .map(|c| c.try_into().expect("32 bytes"))
        .collect())
}

/// The name `bytes` have as a blob of `kind`.
pub fn name(kind: Kind, bytes: &[u8]) -> Result<Hash, Error> {
    if bytes.len() > MAX_BLOB {
        return Err(Error::TooLarge { got: bytes.len() });
    }
    let hashes = |bytes| -> Result<Vec<Hash>, Error> {
        Ok(decode_tensors(bytes)?
            .iter()
            .map(|t| t.commit().hash)
            .collect())
    };
    let tree = |e: merkle::Error| Error::Malformed(e.to_string());
    match kind {
        Kind::Spec => Ok(crate::sha::digest(bytes)),
        Kind::Dataset => match hashes(bytes)?.as_slice() {
            [one] => Ok(*one),
            other => Err(Error::Malformed(format!(
                "a data set is one tensor, not {}",
                other.len()
            ))),
        },
        Kind::State => state::state_hash(&hashes(bytes)?).map_err(tree),
        Kind::Hashes => merkle::root_of_payloads(&decode_hashes(bytes)?).map_err(tree),
        Kind::Trace => state::trace_root(&hashes(bytes)?).map_err(tree),
        Kind::Segment => Ok(crate::segment::Index::decode(bytes)
            .map_err(|e| Error::Malformed(e.to_string()))?
            .question
            .name()),
    }
}

/// Checks that `bytes` are the blob `kind` `hash`.
pub fn check(kind: Kind, hash: &Hash, bytes: &[u8]) -> Result<(), Error> {
    if name(kind, bytes)? == *hash {
        Ok(())
    } else {
        Err(Error::WrongHash {
            kind,
            hash: merkle::HexHash(*hash),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine;

    fn tensors() -> Vec<Tensor> {
        vec![
            Tensor::new(2, 3, vec![1.0, -2.0, 3.5, 0.0, f32::MIN_POSITIVE, 7.0]).expect("2×3"),
            Tensor::vector(vec![0.25]).expect("1"),
        ]
    }

    #[test]
    fn each_kind_is_named_by_the_commitment_of_its_contents() {
        let t = tensors();
        let bytes = encode_tensors(&t);
        assert_eq!(decode_tensors(&bytes).expect("decodes"), t);
        assert_eq!(name(Kind::State, &bytes), Ok(engine::state_hash(&t)));
        let hashes: Vec<Hash> = t.iter().map(|t| t.commit().hash).collect();
        assert_eq!(
            name(Kind::Trace, &bytes),
            Ok(state::trace_root(&hashes).expect("root"))
        );
        let one = encode_tensors(&t[..1]);
        assert_eq!(name(Kind::Dataset, &one), Ok(t[0].commit().hash));
        assert!(matches!(
            name(Kind::Dataset, &bytes),
            Err(Error::Malformed(_))
        ));
        let list = encode_hashes(&hashes);
        assert_eq!(decode_hashes(&list).expect("decodes"), hashes);
        assert_eq!(
            name(Kind::Hashes, &list),
            Ok(merkle::root_of_payloads(&hashes).expect("root"))
        );
        assert_eq!(name(Kind::Spec, b"{}"), Ok(crate::sha::digest(b"{}")));
    }

    #[test]
    fn a_changed_byte_is_another_blob_or_no_blob() {
        let bytes = encode_tensors(&tensors());
        let hash = name(Kind::State, &bytes).expect("a state");
        for i in 0..bytes.len() {
            let mut forged = bytes.clone();
            forged[i] ^= 0x10;
            assert!(check(Kind::State, &hash, &forged).is_err(), "byte {i}");
        }
        assert!(check(Kind::State, &hash, &bytes[..bytes.len() - 1]).is_err());
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(check(Kind::State, &hash, &longer).is_err());
    }

    #[test]
    fn malformed_blobs_are_errors_not_panics() {
        for bytes in [
            &b""[..],
            b"POAIST01",
            b"POAIST01\x01\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff",
        ] {
            assert!(decode_tensors(bytes).is_err());
        }
        assert!(decode_hashes(&[0; 33]).is_err());
        assert!(decode_hashes(&[]).is_err());
        let huge = vec![0u8; MAX_BLOB + 1];
        assert_eq!(
            name(Kind::Spec, &huge),
            Err(Error::TooLarge { got: MAX_BLOB + 1 })
        );
    }
}
