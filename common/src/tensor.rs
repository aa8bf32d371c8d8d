//! Tensors and their commitments, DESIGN §3 (normative).
//!
//! A tensor is a row-major matrix of little-endian f32 (a vector is one row). Each row is cut into
//! 32-byte chunks of 8 values, the last one zero-padded; a row's root is the Merkle tree over its
//! chunks, `rowsRoot` the tree over the row roots, and
//! `tensorHash = sha256(0x02 ‖ dtype:u8 ‖ rows:u32 ‖ cols:u32 ‖ rowsRoot)` with big-endian
//! integers. One row is proven by its raw bytes and one path; one value by its chunk and two.
//! `contracts/src/commit/Tensor.sol` checks the same proofs.

use serde::{Deserialize, Serialize};

use crate::merkle::{self, Hash, HexHash, Proof};

/// The only element type of v1: IEEE-754 binary32. Zero is never a valid dtype.
pub const DTYPE_F32: u8 = 1;
/// Domain separator of tensor hashes.
pub const TENSOR_PREFIX: u8 = 0x02;
/// Bytes in a row chunk, a Merkle leaf payload.
pub const CHUNK_BYTES: usize = 32;
/// f32 values in a chunk.
pub const VALUES_PER_CHUNK: usize = CHUNK_BYTES / 4;

/// What can be wrong with a tensor or a proof about one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("a tensor has at least one row and one column, not {rows}×{cols}")]
    EmptyShape { rows: u64, cols: u64 },
    #[error("a {rows}×{cols} tensor has {expected} values, not {got}")]
    LengthMismatch {
        rows: u32,
        cols: u32,
        expected: u64,
        got: usize,
    },
    #[error("a tensor dimension is at most {max}, not {got}", max = u32::MAX)]
    TooLarge { got: u64 },
    #[error("row {row} has {got} values where the first row has {expected}")]
    RaggedRows {
        row: usize,
        expected: usize,
        got: usize,
    },
    #[error("a row is a non-empty whole number of f32 values, not {len} bytes")]
    RowBytes { len: usize },
    #[error("the row has {got} bytes, the tensor's rows have {expected}")]
    RowLength { expected: u64, got: usize },
    #[error("dtype {0} is not valid (v1 knows only 1 = f32)")]
    BadDtype(u8),
    #[error("row {row} is outside a tensor of {rows} rows")]
    RowOutOfRange { row: u64, rows: u32 },
    #[error("column {col} is outside a tensor of {cols} columns")]
    ColOutOfRange { col: u64, cols: u32 },
    #[error("the last chunk of a row is zero-padded past its last value")]
    NonZeroPadding,
    #[error("the header hashes to {got}, not to the committed tensor hash {expected}")]
    HashMismatch { expected: HexHash, got: HexHash },
    #[error(transparent)]
    Merkle(#[from] merkle::Error),
}

impl Error {
    /// The name of the Solidity custom error that rejects the same input.
    pub fn name(&self) -> &'static str {
        match self {
            Self::EmptyShape { .. } => "EmptyShape",
            Self::LengthMismatch { .. } => "LengthMismatch",
            Self::TooLarge { .. } => "TooLarge",
            Self::RaggedRows { .. } => "RaggedRows",
            Self::RowBytes { .. } => "RowBytes",
            Self::RowLength { .. } => "RowLength",
            Self::BadDtype(_) => "BadDtype",
            Self::RowOutOfRange { .. } => "RowOutOfRange",
            Self::ColOutOfRange { .. } => "ColOutOfRange",
            Self::NonZeroPadding => "NonZeroPadding",
            Self::HashMismatch { .. } => "HashMismatch",
            Self::Merkle(e) => e.name(),
        }
    }
}

/// A row-major f32 matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    rows: u32,
    cols: u32,
    data: Vec<f32>,
}

impl Tensor {
    /// A `rows × cols` tensor from its values in row-major order.
    pub fn new(rows: usize, cols: usize, data: Vec<f32>) -> Result<Self, Error> {
        if rows == 0 || cols == 0 {
            return Err(Error::EmptyShape {
                rows: rows as u64,
                cols: cols as u64,
            });
        }
        let rows32 = u32::try_from(rows).map_err(|_| Error::TooLarge { got: rows as u64 })?;
        let cols32 = u32::try_from(cols).map_err(|_| Error::TooLarge { got: cols as u64 })?;
        let expected = rows as u64 * cols as u64;
        if data.len() as u64 != expected {
            return Err(Error::LengthMismatch {
                rows: rows32,
                cols: cols32,
                expected,
                got: data.len(),
            });
        }
        Ok(Self {
            rows: rows32,
            cols: cols32,
            data,
        })
    }

    /// A tensor from its rows, which must all have the same length.
    pub fn from_rows<R: AsRef<[f32]>>(rows: &[R]) -> Result<Self, Error> {
        let cols = rows.first().map_or(0, |r| r.as_ref().len());
        let mut data = Vec::with_capacity(rows.len() * cols);
        for (i, row) in rows.iter().enumerate() {
            let row = row.as_ref();
            if row.len() != cols {
                return Err(Error::RaggedRows {
                    row: i,
                    expected: cols,
                    got: row.len(),
                });
            }
            data.extend_from_slice(row);
        }
        Self::new(rows.len(), cols, data)
    }

    /// A vector: a tensor of one row.
    pub fn vector(values: Vec<f32>) -> Result<Self, Error> {
        Self::new(1, values.len(), values)
    }

    pub fn rows(&self) -> u32 {
        self.rows
    }

    pub fn cols(&self) -> u32 {
        self.cols
    }

    pub fn data(&self) -> &[f32] {
        &self.data
    }

    pub fn row(&self, r: u32) -> Result<&[f32], Error> {
        if r >= self.rows {
            return Err(Error::RowOutOfRange {
                row: r.into(),
                rows: self.rows,
            });
        }
        let c = self.cols as usize;
        Ok(&self.data[r as usize * c..(r as usize + 1) * c])
    }

    /// Row `r` in its canonical encoding: little-endian f32.
    pub fn row_bytes(&self, r: u32) -> Result<Vec<u8>, Error> {
        Ok(self.row(r)?.iter().flat_map(|v| v.to_le_bytes()).collect())
    }

    /// The commitment, hashing rows on every available core, as many as the tensor is worth:
    /// starting a thread costs about as much as hashing a few thousand values, and a small
    /// tensor (a bias, a small model's checkpoint) is hashed where it is.
    pub fn commit(&self) -> Commitment {
        let worth = self.data.len() / VALUES_PER_THREAD;
        // Asking for the cores reads cgroup files: only a tensor that could use them asks.
        let threads = match worth {
            0 | 1 => 1,
            _ => worth.min(std::thread::available_parallelism().map_or(1, |n| n.get())),
        };
        self.commit_with_threads(threads)
    }

    /// The commitment, hashing rows on `threads` threads (at least one; one is the calling
    /// thread).
    pub fn commit_with_threads(&self, threads: usize) -> Commitment {
        let cols = self.cols as usize;
        let mut row_roots = vec![merkle::ZERO; self.rows as usize];
        let threads = threads.clamp(1, row_roots.len());
        let per_thread = row_roots.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let mut blocks = row_roots
                .chunks_mut(per_thread)
                .zip(self.data.chunks(per_thread * cols));
            let here = blocks.next().expect("a tensor has at least one row");
            for (roots, values) in blocks {
                scope.spawn(move || row_roots_of(roots, values, cols));
            }
            row_roots_of(here.0, here.1, cols);
        });
        let rows_root =
            merkle::root(&row_leaves(&row_roots)).expect("a tensor has at least one row");
        let header = Header {
            dtype: DTYPE_F32,
            rows: self.rows,
            cols: self.cols,
            rows_root,
        };
        Commitment {
            hash: header.hash(),
            header,
            row_roots,
        }
    }

    /// The proof of value `(r, c)`: its chunk, the chunk's path to the row root and the row's path
    /// to `rowsRoot`.
    pub fn value_proof(
        &self,
        commitment: &Commitment,
        r: u32,
        c: u32,
    ) -> Result<ValueProof, Error> {
        if c >= self.cols {
            return Err(Error::ColOutOfRange {
                col: c.into(),
                cols: self.cols,
            });
        }
        let row = self.row(r)?;
        let chunks: Vec<Hash> = row.chunks(VALUES_PER_CHUNK).map(chunk_leaf).collect();
        let chunk_index = c as usize / VALUES_PER_CHUNK;
        let chunk_proof = merkle::Tree::from_leaves(&chunks)?.proof(chunk_index as u64)?;
        let end = row.len().min((chunk_index + 1) * VALUES_PER_CHUNK);
        Ok(ValueProof {
            row: r,
            col: c,
            chunk: chunk_bytes(&row[chunk_index * VALUES_PER_CHUNK..end]),
            chunk_siblings: chunk_proof.siblings,
            row_siblings: commitment.row_proof(r)?.siblings,
        })
    }
}

/// Chunks hashed together when committing to a tensor (64 KiB of leaf hashes).
const LEAVES_PER_BLOCK: usize = 2048;

/// Values worth a thread of their own when committing (256 KiB).
const VALUES_PER_THREAD: usize = 1 << 16;

/// The roots of the rows in `values`, `cols` values each, into `roots`. Rows are hashed a block
/// at a time: each level of a block's row trees is one batch for the vector SHA-256, and the
/// block stays in cache.
fn row_roots_of(roots: &mut [Hash], values: &[f32], cols: usize) {
    let per_row = cols.div_ceil(VALUES_PER_CHUNK);
    let rows_per_block = (LEAVES_PER_BLOCK / per_row).max(1);
    // Only a row with a partial last chunk pads its chunks into bytes here.
    let mut chunks = Vec::new();
    let mut leaves = Vec::with_capacity(rows_per_block * per_row);
    for (roots, rows) in roots
        .chunks_mut(rows_per_block)
        .zip(values.chunks(rows_per_block * cols))
    {
        leaves.resize(rows.len() / cols * per_row, merkle::ZERO);
        if cols.is_multiple_of(VALUES_PER_CHUNK) {
            // Whole chunks only: rows lie back to back and no chunk straddles two.
            merkle::value_leaf_hashes(rows, &mut leaves);
        } else {
            chunks.clear();
            for row in rows.chunks_exact(cols) {
                chunks.extend(row.chunks(VALUES_PER_CHUNK).map(chunk_bytes));
            }
            merkle::leaf_hashes(&chunks, &mut leaves);
        }
        merkle::roots_in_place(&mut leaves, per_row).expect("a row has a chunk");
        roots.copy_from_slice(&leaves);
    }
}

/// The leaves of `rowsRoot`: each row root leaf-hashed like any 32-byte payload (DESIGN §3).
fn row_leaves(row_roots: &[Hash]) -> Vec<Hash> {
    let mut leaves = vec![merkle::ZERO; row_roots.len()];
    merkle::leaf_hashes(row_roots, &mut leaves);
    leaves
}

/// The leaf of a chunk of up to 8 values.
fn chunk_leaf(values: &[f32]) -> Hash {
    merkle::leaf_hash(&chunk_bytes(values))
}

/// Up to 8 values as one zero-padded 32-byte chunk.
fn chunk_bytes(values: &[f32]) -> [u8; CHUNK_BYTES] {
    let mut bytes = [0u8; CHUNK_BYTES];
    for (v, out) in values.iter().zip(bytes.chunks_exact_mut(4)) {
        out.copy_from_slice(&v.to_le_bytes());
    }
    bytes
}

/// The root of one row, from its raw little-endian bytes.
pub fn row_root(row: &[u8]) -> Result<Hash, Error> {
    if row.is_empty() || !row.len().is_multiple_of(4) {
        return Err(Error::RowBytes { len: row.len() });
    }
    let chunks: Vec<Hash> = row
        .chunks(CHUNK_BYTES)
        .map(|chunk| {
            let mut padded = [0u8; CHUNK_BYTES];
            padded[..chunk.len()].copy_from_slice(chunk);
            padded
        })
        .collect();
    let mut leaves = vec![merkle::ZERO; chunks.len()];
    merkle::leaf_hashes(&chunks, &mut leaves);
    Ok(merkle::root(&leaves)?)
}

/// Everything `tensorHash` commits to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    pub dtype: u8,
    pub rows: u32,
    pub cols: u32,
    #[serde(with = "crate::serde_hex::hash")]
    pub rows_root: Hash,
}

impl Header {
    /// `sha256(0x02 ‖ dtype ‖ rows ‖ cols ‖ rowsRoot)`.
    pub fn hash(&self) -> Hash {
        let mut preimage = Vec::with_capacity(1 + 1 + 4 + 4 + 32);
        preimage.push(TENSOR_PREFIX);
        preimage.push(self.dtype);
        preimage.extend_from_slice(&self.rows.to_be_bytes());
        preimage.extend_from_slice(&self.cols.to_be_bytes());
        preimage.extend_from_slice(&self.rows_root);
        crate::sha::digest(&preimage)
    }

    /// Checks that this header is what `tensor_hash` commits to, and that it is a valid one.
    pub fn check(&self, tensor_hash: &Hash) -> Result<(), Error> {
        if self.dtype != DTYPE_F32 {
            return Err(Error::BadDtype(self.dtype));
        }
        if self.rows == 0 || self.cols == 0 {
            return Err(Error::EmptyShape {
                rows: self.rows.into(),
                cols: self.cols.into(),
            });
        }
        let got = self.hash();
        if &got != tensor_hash {
            return Err(Error::HashMismatch {
                expected: HexHash(*tensor_hash),
                got: HexHash(got),
            });
        }
        Ok(())
    }

    fn chunks_per_row(&self) -> u64 {
        u64::from(self.cols).div_ceil(VALUES_PER_CHUNK as u64)
    }

    /// Checks that `row` (raw bytes) is row `proof.index` of the tensor `tensor_hash` commits to.
    pub fn verify_row(&self, tensor_hash: &Hash, row: &[u8], proof: &Proof) -> Result<(), Error> {
        self.check(tensor_hash)?;
        let expected = u64::from(self.cols) * 4;
        if row.len() as u64 != expected {
            return Err(Error::RowLength {
                expected,
                got: row.len(),
            });
        }
        proof.verify(
            &self.rows_root,
            self.rows.into(),
            &merkle::leaf_hash(&row_root(row)?),
        )?;
        Ok(())
    }

    /// Checks a value proof against the tensor `tensor_hash` commits to and returns the value.
    pub fn verify_value(&self, tensor_hash: &Hash, proof: &ValueProof) -> Result<f32, Error> {
        self.check(tensor_hash)?;
        if proof.col >= self.cols {
            return Err(Error::ColOutOfRange {
                col: proof.col.into(),
                cols: self.cols,
            });
        }
        let chunks = self.chunks_per_row();
        let chunk_index = u64::from(proof.col) / VALUES_PER_CHUNK as u64;
        if chunk_index == chunks - 1 {
            let used = (self.cols as usize - (chunks as usize - 1) * VALUES_PER_CHUNK) * 4;
            if proof.chunk[used..].iter().any(|&b| b != 0) {
                return Err(Error::NonZeroPadding);
            }
        }
        let chunk_proof = Proof {
            index: chunk_index,
            siblings: proof.chunk_siblings.clone(),
        };
        let row_root = chunk_proof.root_from(chunks, &merkle::leaf_hash(&proof.chunk))?;
        let row_proof = Proof {
            index: proof.row.into(),
            siblings: proof.row_siblings.clone(),
        };
        row_proof.verify(
            &self.rows_root,
            self.rows.into(),
            &merkle::leaf_hash(&row_root),
        )?;
        let at = (proof.col as usize % VALUES_PER_CHUNK) * 4;
        let bytes: [u8; 4] = proof.chunk[at..at + 4]
            .try_into()
            .expect("4 bytes inside a 32-byte chunk");
        Ok(f32::from_le_bytes(bytes))
    }
}

/// A tensor's commitment, with the row roots kept for proofs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commitment {
    pub header: Header,
    pub row_roots: Vec<Hash>,
    /// `tensorHash`.
    pub hash: Hash,
}

impl Commitment {
    /// The path of row `r` to `rowsRoot`.
    pub fn row_proof(&self, r: u32) -> Result<Proof, Error> {
        if r >= self.header.rows {
            return Err(Error::RowOutOfRange {
                row: r.into(),
                rows: self.header.rows,
            });
        }
        Ok(merkle::Tree::from_leaves(&row_leaves(&self.row_roots))?.proof(r.into())?)
    }
}

/// One value of a tensor with what proves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValueProof {
    pub row: u32,
    pub col: u32,
    #[serde(with = "crate::serde_hex::hash")]
    pub chunk: [u8; CHUNK_BYTES],
    /// The chunk's path to its row root; the chunk's index is `col / 8`.
    #[serde(with = "crate::serde_hex::hashes")]
    pub chunk_siblings: Vec<Hash>,
    /// The row root's path to `rowsRoot`; its index is `row`.
    #[serde(with = "crate::serde_hex::hashes")]
    pub row_siblings: Vec<Hash>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(rows: usize, cols: usize) -> Tensor {
        let data = (0..rows * cols).map(|i| i as f32 * 0.5 - 3.0).collect();
        Tensor::new(rows, cols, data).expect("valid shape")
    }

    #[test]
    fn tensor_hash_is_prefix_dtype_shape_and_rows_root_big_endian() {
        let t = sample(2, 3);
        let c = t.commit();
        let mut pre = vec![0x02, 0x01, 0, 0, 0, 2, 0, 0, 0, 3];
        pre.extend_from_slice(&c.header.rows_root);
        assert_eq!(c.hash, crate::sha::digest(&pre));
    }

    #[test]
    fn row_root_is_the_tree_over_zero_padded_chunks() {
        let t = sample(1, 9);
        let bytes = t.row_bytes(0).expect("row 0");
        let mut second = [0u8; 32];
        second[..4].copy_from_slice(&bytes[32..]);
        let expected = merkle::node_hash(
            &merkle::leaf_hash(&bytes[..32]),
            &merkle::leaf_hash(&second),
        );
        assert_eq!(row_root(&bytes), Ok(expected));
        assert_eq!(t.commit().row_roots[0], expected);
    }

    #[test]
    fn thread_count_does_not_change_the_commitment() {
        let t = sample(37, 19);
        let one = t.commit_with_threads(1);
        for threads in [2, 3, 8, 64] {
            assert_eq!(t.commit_with_threads(threads), one);
        }
    }

    #[test]
    fn every_row_and_value_proof_verifies() {
        for (rows, cols) in [(1, 1), (1, 8), (3, 9), (5, 17)] {
            let t = sample(rows, cols);
            let c = t.commit();
            for r in 0..rows as u32 {
                let proof = c.row_proof(r).expect("in range");
                c.header
                    .verify_row(&c.hash, &t.row_bytes(r).expect("in range"), &proof)
                    .expect("honest row");
                for col in 0..cols as u32 {
                    let vp = t.value_proof(&c, r, col).expect("in range");
                    let v = c.header.verify_value(&c.hash, &vp).expect("honest value");
                    assert_eq!(v.to_bits(), t.row(r).expect("row")[col as usize].to_bits());
                }
            }
        }
    }

    #[test]
    fn bad_shapes_are_rejected() {
        assert!(matches!(
            Tensor::new(0, 3, vec![]),
            Err(Error::EmptyShape { .. })
        ));
        assert!(matches!(
            Tensor::new(2, 3, vec![0.0; 5]),
            Err(Error::LengthMismatch {
                expected: 6,
                got: 5,
                ..
            })
        ));
        assert!(matches!(
            Tensor::from_rows(&[vec![1.0, 2.0], vec![3.0]]),
            Err(Error::RaggedRows {
                row: 1,
                expected: 2,
                got: 1
            })
        ));
        assert_eq!(row_root(&[0u8; 5]), Err(Error::RowBytes { len: 5 }));
        assert_eq!(row_root(&[]), Err(Error::RowBytes { len: 0 }));
    }

    #[test]
    fn a_row_of_the_wrong_length_is_rejected() {
        let t = sample(2, 9);
        let c = t.commit();
        let proof = c.row_proof(1).expect("in range");
        let mut row = t.row_bytes(1).expect("in range");
        row.extend_from_slice(&[0; 4]);
        assert!(matches!(
            c.header.verify_row(&c.hash, &row, &proof),
            Err(Error::RowLength {
                expected: 36,
                got: 40
            })
        ));
    }

    #[test]
    fn header_with_dtype_zero_is_rejected() {
        let mut c = sample(1, 1).commit();
        c.header.dtype = 0;
        assert_eq!(c.header.check(&c.header.hash()), Err(Error::BadDtype(0)));
    }

    #[test]
    fn value_proof_with_nonzero_padding_is_rejected() {
        let t = sample(1, 9);
        let c = t.commit();
        let mut vp = t.value_proof(&c, 0, 8).expect("in range");
        vp.chunk[31] = 1;
        assert_eq!(
            c.header.verify_value(&c.hash, &vp),
            Err(Error::NonZeroPadding)
        );
    }
}
