//! Differential test vectors: the commitments of this crate, written as JSON for the forge tests
//! in `contracts/test/` and read back by this crate's own tests, so that Rust and Solidity are
//! held to the same answers — including the inputs that must fail, each with the name of the
//! error both sides must give.
//!
//! Generation is deterministic (a fixed-seed generator): the checked-in files are exactly what
//! [`generate`] returns, and a test fails when they are stale.

use serde::{Deserialize, Serialize};

pub mod game;
pub mod ops;
pub mod prover;

use crate::merkle::{self, Hash};
use crate::rng::SplitMix64;
use crate::tensor::{self, Header, Tensor};
use crate::{batch, state};

/// Where the vectors live, relative to the workspace root.
pub const DIR: &str = "contracts/test/vectors";

/// The verdict of a vector that must pass.
pub const OK: &str = "ok";

/// Merkle trees and single-leaf proofs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MerkleFile {
    pub trees: Vec<TreeCase>,
    pub proofs: Vec<ProofCase>,
}

/// A whole tree: its payloads and its root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TreeCase {
    pub name: String,
    #[serde(with = "hex_list")]
    pub payloads: Vec<Vec<u8>>,
    #[serde(with = "crate::serde_hex::hash")]
    pub root: Hash,
}

/// One leaf's proof against a root, and the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProofCase {
    pub name: String,
    pub leaf_count: u64,
    #[serde(with = "crate::serde_hex::hash")]
    pub root: Hash,
    pub index: u64,
    #[serde(with = "crate::serde_hex::bytes")]
    pub payload: Vec<u8>,
    #[serde(with = "crate::serde_hex::hashes")]
    pub siblings: Vec<Hash>,
    pub expect: String,
}

/// Tensors, row proofs and value proofs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TensorFile {
    pub tensors: Vec<TensorCase>,
    pub row_proofs: Vec<RowProofCase>,
    pub value_proofs: Vec<ValueProofCase>,
}

/// A whole tensor: its bytes, row roots, header and hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TensorCase {
    pub name: String,
    pub dtype: u8,
    pub rows: u32,
    pub cols: u32,
    /// Every row's raw bytes, concatenated.
    #[serde(with = "crate::serde_hex::bytes")]
    pub data: Vec<u8>,
    #[serde(with = "crate::serde_hex::hashes")]
    pub row_roots: Vec<Hash>,
    #[serde(with = "crate::serde_hex::hash")]
    pub rows_root: Hash,
    #[serde(with = "crate::serde_hex::hash")]
    pub tensor_hash: Hash,
}

/// A row of a committed tensor, its proof, and the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RowProofCase {
    pub name: String,
    #[serde(with = "crate::serde_hex::hash")]
    pub tensor_hash: Hash,
    pub dtype: u8,
    pub rows: u32,
    pub cols: u32,
    #[serde(with = "crate::serde_hex::hash")]
    pub rows_root: Hash,
    pub row: u64,
    #[serde(with = "crate::serde_hex::bytes")]
    pub row_bytes: Vec<u8>,
    #[serde(with = "crate::serde_hex::hashes")]
    pub siblings: Vec<Hash>,
    pub expect: String,
}

/// A value of a committed tensor, its proof, and the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValueProofCase {
    pub name: String,
    #[serde(with = "crate::serde_hex::hash")]
    pub tensor_hash: Hash,
    pub dtype: u8,
    pub rows: u32,
    pub cols: u32,
    #[serde(with = "crate::serde_hex::hash")]
    pub rows_root: Hash,
    pub row: u32,
    pub col: u32,
    #[serde(with = "crate::serde_hex::hash")]
    pub chunk: Hash,
    #[serde(with = "crate::serde_hex::hashes")]
    pub chunk_siblings: Vec<Hash>,
    #[serde(with = "crate::serde_hex::hashes")]
    pub row_siblings: Vec<Hash>,
    /// The proven value's f32 bits (meaningful when `expect` is `ok`).
    pub value_bits: u32,
    pub expect: String,
}

/// State hashes and proofs of one tensor into a state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateFile {
    pub states: Vec<StateCase>,
    pub tensor_proofs: Vec<StateProofCase>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateCase {
    pub name: String,
    #[serde(with = "crate::serde_hex::hashes")]
    pub tensor_hashes: Vec<Hash>,
    #[serde(with = "crate::serde_hex::hash")]
    pub state_hash: Hash,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateProofCase {
    pub name: String,
    #[serde(with = "crate::serde_hex::hash")]
    pub state_hash: Hash,
    pub tensor_count: u64,
    pub index: u64,
    #[serde(with = "crate::serde_hex::hash")]
    pub tensor_hash: Hash,
    #[serde(with = "crate::serde_hex::hashes")]
    pub siblings: Vec<Hash>,
    pub expect: String,
}

/// The batch rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchFile {
    pub rows: Vec<BatchCase>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchCase {
    pub name: String,
    #[serde(with = "crate::serde_hex::hash")]
    pub seed: Hash,
    pub step: u64,
    pub r: u32,
    pub n: u32,
    #[serde(with = "crate::serde_hex::hash")]
    pub digest: Hash,
    pub row: u32,
}

/// Every vector file: its name under [`DIR`] and its JSON text.
pub fn generate() -> Vec<(&'static str, String)> {
    let mut rng = Rng(SplitMix64(0x504f_4149_5645_4354)); // "POAIVECT"
    let files = [
        ("merkle.json", to_json(&merkle_file(&mut rng))),
        ("tensor.json", to_json(&tensor_file(&mut rng))),
        ("state.json", to_json(&state_file(&mut rng))),
        ("batch.json", to_json(&batch_file(&mut rng))),
        ("ops.json", to_json(&ops::ops_file())),
        ("prover.json", to_json(&prover::prover_file())),
        ("game.json", to_json(&game::game_file())),
        ("flex.json", to_json(&flex_file())),
    ];
    files.into()
}

/// The files traced on the flex backend, whose bytes depend on the machine's CPU kernels (the
/// matrix products pick their blocking and instructions at run time, so two machines can round
/// a traced value one ulp apart), and `flex.json`, which tells whether this machine's flex
/// rounds as the one that wrote them.
pub const FLEX_TRACED: [&str; 4] = ["ops.json", "prover.json", "game.json", "flex.json"];

/// This machine's flex backend, fingerprinted: the trace root of one step of a small task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlexFile {
    pub comment: String,
    #[serde(with = "crate::serde_hex::hash")]
    pub trace_root: Hash,
}

pub fn flex_file() -> FlexFile {
    use crate::engine::{Backend, Engine};
    let (rows, model, sgd) = small_task(0x0054_5241_4345, 64); // "TRACE", as ops.json's
    let data = Tensor::from_rows(&rows).expect("rectangular");
    let engine =
        Engine::new(Backend::Flex, model.training(sgd), Some(&data), [7u8; 32]).expect("valid");
    let trace = engine.trace(&model.initial_state(3), 0).expect("runs");
    FlexFile {
        comment: "The trace root of one flex step on the machine that wrote these vectors: where \
                  another machine's differs, its flex kernels round differently, and the files \
                  traced on flex are checked by their verdicts there, not byte for byte."
            .into(),
        trace_root: trace.root,
    }
}

/// The vector files that need the wgpu backend (see [`ops::ops_wgpu_file`]).
#[cfg(feature = "wgpu")]
pub fn generate_wgpu() -> Vec<(&'static str, String)> {
    vec![("ops_wgpu.json", to_json(&ops::ops_wgpu_file()))]
}

/// The small task the op, prover and game vectors trace: `n` rows of 16 features in ±1 and a
/// class `i mod 10`, drawn from `seed`; an MLP 16-32-10 trained by SGD with momentum 0.9.
fn small_task(
    seed: u64,
    n: usize,
) -> (
    Vec<Vec<f32>>,
    crate::program::mlp::Config,
    crate::program::mlp::Sgd,
) {
    let mut rng = SplitMix64(seed);
    let rows = (0..n)
        .map(|i| {
            let mut r: Vec<f32> = (0..16).map(|_| rng.symmetric_unit()).collect();
            r.push((i % 10) as f32);
            r
        })
        .collect();
    let model = crate::program::mlp::Config {
        input: 16,
        hidden: vec![32],
        classes: 10,
    };
    let sgd = crate::program::mlp::Sgd {
        lr: 0.05,
        momentum: 0.9,
        batch: 8,
    };
    (rows, model, sgd)
}

fn to_json<T: Serialize>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("vectors serialize");
    text.push('\n');
    text
}

/// The verdict of a Merkle proof, as both sides name it.
pub fn merkle_verdict(case: &ProofCase) -> String {
    let proof = merkle::Proof {
        index: case.index,
        siblings: case.siblings.clone(),
    };
    verdict(proof.verify(
        &case.root,
        case.leaf_count,
        &merkle::leaf_hash(&case.payload),
    ))
}

/// The verdict of a row proof.
pub fn row_verdict(case: &RowProofCase) -> String {
    let proof = merkle::Proof {
        index: case.row,
        siblings: case.siblings.clone(),
    };
    verdict(
        header(case.dtype, case.rows, case.cols, case.rows_root).verify_row(
            &case.tensor_hash,
            &case.row_bytes,
            &proof,
        ),
    )
}

/// The verdict of a value proof: `ok` only if the value is the one claimed.
pub fn value_verdict(case: &ValueProofCase) -> String {
    let proof = tensor::ValueProof {
        row: case.row,
        col: case.col,
        chunk: case.chunk,
        chunk_siblings: case.chunk_siblings.clone(),
        row_siblings: case.row_siblings.clone(),
    };
    match header(case.dtype, case.rows, case.cols, case.rows_root)
        .verify_value(&case.tensor_hash, &proof)
    {
        Ok(v) if v.to_bits() == case.value_bits => OK.into(),
        Ok(_) => "ValueMismatch".into(),
        Err(e) => e.name().into(),
    }
}

/// The verdict of a proof of one tensor into a state hash.
pub fn state_verdict(case: &StateProofCase) -> String {
    let proof = merkle::Proof {
        index: case.index,
        siblings: case.siblings.clone(),
    };
    match state::state_hash_from_proof(&case.tensor_hash, case.tensor_count, &proof) {
        Ok(h) if h == case.state_hash => OK.into(),
        Ok(_) => "StateMismatch".into(),
        Err(e) => e.name().into(),
    }
}

fn header(dtype: u8, rows: u32, cols: u32, rows_root: Hash) -> Header {
    Header {
        dtype,
        rows,
        cols,
        rows_root,
    }
}

fn verdict<E: Named>(result: Result<(), E>) -> String {
    match result {
        Ok(()) => OK.into(),
        Err(e) => e.error_name().into(),
    }
}

trait Named {
    fn error_name(&self) -> &'static str;
}

impl Named for merkle::Error {
    fn error_name(&self) -> &'static str {
        self.name()
    }
}

impl Named for tensor::Error {
    fn error_name(&self) -> &'static str {
        self.name()
    }
}

fn merkle_file(rng: &mut Rng) -> MerkleFile {
    let mut trees = Vec::new();
    let mut proofs = Vec::new();
    let mut sizes = vec![1usize, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33];
    sizes.extend((0..4).map(|_| 1 + rng.below(100) as usize));
    for n in sizes {
        // Payloads of every kind a tree holds: empty, 32-byte hashes, longer descriptors.
        let payloads: Vec<Vec<u8>> = (0..n)
            .map(|i| match i % 4 {
                0 => rng.bytes(32),
                1 => {
                    let len = rng.below(100) as usize;
                    rng.bytes(len)
                }
                2 => Vec::new(),
                _ => rng.bytes(64),
            })
            .collect();
        let tree = merkle::Tree::from_payloads(&payloads).expect("n > 0");
        let root = tree.root();
        trees.push(TreeCase {
            name: format!("{n} leaves"),
            payloads: payloads.clone(),
            root,
        });
        let mut picks = vec![0, n - 1, rng.below(n as u64) as usize];
        picks.dedup();
        for i in picks {
            let proof = tree.proof(i as u64).expect("in range");
            proofs.push(ProofCase {
                name: format!("leaf {i} of {n}"),
                leaf_count: n as u64,
                root,
                index: i as u64,
                payload: payloads[i].clone(),
                siblings: proof.siblings,
                expect: OK.into(),
            });
        }
    }
    // Proofs that must fail, each derived from an honest one.
    let honest = proofs
        .iter()
        .find(|p| p.leaf_count == 5 && p.index == 4)
        .expect("the 5-leaf tree's last leaf")
        .clone();
    let mut bad = Vec::new();
    let mut push = |name: &str, f: &dyn Fn(&mut ProofCase)| {
        let mut case = honest.clone();
        case.name = name.into();
        f(&mut case);
        bad.push(case);
    };
    push("one sibling too many", &|c| c.siblings.push(merkle::ZERO));
    push("one sibling too few", &|c| {
        c.siblings.pop();
    });
    push("index in the padding", &|c| c.index = 6);
    push("index past the padded tree", &|c| c.index = 8);
    push("index of another leaf", &|c| c.index = 0);
    push("flipped sibling", &|c| c.siblings[1][7] ^= 0x20);
    push("another payload", &|c| c.payload.push(0));
    push("leaf count of a smaller tree", &|c| c.leaf_count = 4);
    push("leaf count of a deeper tree", &|c| c.leaf_count = 9);
    push("empty tree", &|c| c.leaf_count = 0);
    push("one-leaf tree with a sibling", &|c| c.leaf_count = 1);
    for mut case in bad {
        case.expect = merkle_verdict(&case);
        assert_ne!(case.expect, OK, "{} must fail", case.name);
        proofs.push(case);
    }
    for p in &mut proofs {
        p.expect = merkle_verdict(p);
    }
    MerkleFile { trees, proofs }
}

fn tensor_file(rng: &mut Rng) -> TensorFile {
    let mut shapes = vec![
        (1usize, 1usize),
        (1, 8),
        (1, 9),
        (3, 1),
        (3, 8),
        (5, 9),
        (2, 1024),
    ];
    shapes.extend((0..4).map(|_| (1 + rng.below(12) as usize, 1 + rng.below(70) as usize)));
    let mut tensors = Vec::new();
    let mut row_proofs = Vec::new();
    let mut value_proofs = Vec::new();
    for (i, &(rows, cols)) in shapes.iter().enumerate() {
        // Any bit pattern is committable, NaN and infinities included; make some of each.
        let data: Vec<f32> = (0..rows * cols)
            .map(|j| match (i + j) % 11 {
                0 => f32::NAN,
                1 => f32::NEG_INFINITY,
                2 => f32::from_bits(1), // the smallest subnormal
                3 => -0.0,
                _ => f32::from_bits(rng.next() as u32),
            })
            .collect();
        let t = Tensor::new(rows, cols, data).expect("valid shape");
        let c = t.commit();
        tensors.push(TensorCase {
            name: format!("{rows}x{cols}"),
            dtype: c.header.dtype,
            rows: c.header.rows,
            cols: c.header.cols,
            data: (0..t.rows())
                .flat_map(|r| t.row_bytes(r).expect("in range"))
                .collect(),
            row_roots: c.row_roots.clone(),
            rows_root: c.header.rows_root,
            tensor_hash: c.hash,
        });
        let mut picks = vec![0u32, t.rows() - 1];
        picks.dedup();
        for r in picks {
            row_proofs.push(RowProofCase {
                name: format!("row {r} of {rows}x{cols}"),
                tensor_hash: c.hash,
                dtype: c.header.dtype,
                rows: c.header.rows,
                cols: c.header.cols,
                rows_root: c.header.rows_root,
                row: r.into(),
                row_bytes: t.row_bytes(r).expect("in range"),
                siblings: c.row_proof(r).expect("in range").siblings,
                expect: OK.into(),
            });
            let mut cols_picked = vec![0u32, t.cols() - 1, rng.below(cols as u64) as u32];
            cols_picked.dedup();
            for col in cols_picked {
                let vp = t.value_proof(&c, r, col).expect("in range");
                value_proofs.push(ValueProofCase {
                    name: format!("value ({r},{col}) of {rows}x{cols}"),
                    tensor_hash: c.hash,
                    dtype: c.header.dtype,
                    rows: c.header.rows,
                    cols: c.header.cols,
                    rows_root: c.header.rows_root,
                    row: r,
                    col,
                    chunk: vp.chunk,
                    chunk_siblings: vp.chunk_siblings,
                    row_siblings: vp.row_siblings,
                    value_bits: t.row(r).expect("in range")[col as usize].to_bits(),
                    expect: OK.into(),
                });
            }
        }
    }
    let honest_row = row_proofs
        .iter()
        .find(|p| p.rows == 5 && p.cols == 9 && p.row == 4)
        .expect("the 5x9 tensor's last row")
        .clone();
    let mut bad_rows = Vec::new();
    let mut push = |name: &str, f: &dyn Fn(&mut RowProofCase)| {
        let mut case = honest_row.clone();
        case.name = name.into();
        f(&mut case);
        bad_rows.push(case);
    };
    push("truncated row", &|c| c.row_bytes.truncate(32));
    push("row with an extra value", &|c| c.row_bytes.extend([0; 4]));
    push("row with a changed value", &|c| c.row_bytes[33] ^= 1);
    push("another row's index", &|c| c.row = 3);
    push("row past the last", &|c| c.row = 5);
    push("proof one level short", &|c| {
        c.siblings.pop();
    });
    push("header of another shape", &|c| c.cols = 8);
    push("header of another tensor", &|c| c.rows_root[0] ^= 1);
    push("dtype zero, rehashed", &|c| {
        c.dtype = 0;
        c.tensor_hash = header(0, c.rows, c.cols, c.rows_root).hash();
    });
    push("zero rows, rehashed", &|c| {
        c.rows = 0;
        c.tensor_hash = header(c.dtype, 0, c.cols, c.rows_root).hash();
    });
    for mut case in bad_rows {
        case.expect = row_verdict(&case);
        assert_ne!(case.expect, OK, "{} must fail", case.name);
        row_proofs.push(case);
    }
    let honest_value = value_proofs
        .iter()
        .find(|p| p.rows == 5 && p.cols == 9 && p.row == 4 && p.col == 8)
        .expect("the 5x9 tensor's last value")
        .clone();
    let mut bad_values = Vec::new();
    let mut push = |name: &str, f: &dyn Fn(&mut ValueProofCase)| {
        let mut case = honest_value.clone();
        case.name = name.into();
        f(&mut case);
        bad_values.push(case);
    };
    push("column past the last", &|c| c.col = 9);
    push("non-zero padding", &|c| c.chunk[31] = 1);
    push("another value claimed", &|c| c.value_bits ^= 1);
    push("changed chunk", &|c| c.chunk[0] ^= 1);
    push("another column in the chunk", &|c| c.col = 0);
    push("row past the last", &|c| c.row = 5);
    push("chunk proof one level long", &|c| {
        c.chunk_siblings.push(merkle::ZERO)
    });
    for mut case in bad_values {
        case.expect = value_verdict(&case);
        assert_ne!(case.expect, OK, "{} must fail", case.name);
        value_proofs.push(case);
    }
    for p in &mut row_proofs {
        p.expect = row_verdict(p);
    }
    for p in &mut value_proofs {
        p.expect = value_verdict(p);
    }
    TensorFile {
        tensors,
        row_proofs,
        value_proofs,
    }
}

fn state_file(rng: &mut Rng) -> StateFile {
    let mut states = Vec::new();
    let mut tensor_proofs = Vec::new();
    for n in [1usize, 2, 3, 6, 9] {
        let hashes: Vec<Hash> = (0..n).map(|_| rng.hash()).collect();
        let state_hash = state::state_hash(&hashes).expect("n > 0");
        states.push(StateCase {
            name: format!("{n} tensors"),
            tensor_hashes: hashes.clone(),
            state_hash,
        });
        let mut picks = vec![0, n - 1];
        picks.dedup();
        for i in picks {
            tensor_proofs.push(StateProofCase {
                name: format!("tensor {i} of {n}"),
                state_hash,
                tensor_count: n as u64,
                index: i as u64,
                tensor_hash: hashes[i],
                siblings: state::tensor_proof(&hashes, i as u64)
                    .expect("in range")
                    .siblings,
                expect: OK.into(),
            });
        }
    }
    let honest = tensor_proofs
        .iter()
        .find(|p| p.tensor_count == 6 && p.index == 5)
        .expect("the 6-tensor state's last tensor")
        .clone();
    let bad: [Mutation<'_, StateProofCase>; 4] = [
        ("another tensor", &|c| c.tensor_hash[31] ^= 1),
        ("another index", &|c| c.index = 4),
        ("index past the last", &|c| c.index = 6),
        ("proof one level long", &|c| c.siblings.push(merkle::ZERO)),
    ];
    for (name, f) in bad {
        let mut case = honest.clone();
        case.name = name.into();
        f(&mut case);
        case.expect = state_verdict(&case);
        assert_ne!(case.expect, OK, "{name} must fail");
        tensor_proofs.push(case);
    }
    StateFile {
        states,
        tensor_proofs,
    }
}

fn batch_file(rng: &mut Rng) -> BatchFile {
    let mut cases = vec![
        (merkle::ZERO, 0u64, 0u32, 1u32),
        ([0xff; 32], u64::MAX, u32::MAX, u32::MAX),
        (rng.hash(), 0, 0, 1797),
        (rng.hash(), 99, 63, 1797),
        (rng.hash(), 1 << 40, 7, 150),
    ];
    cases.extend((0..8).map(|_| {
        (
            rng.hash(),
            rng.next(),
            rng.next() as u32,
            1 + rng.below(u64::from(u32::MAX)) as u32,
        )
    }));
    let rows = cases
        .into_iter()
        .map(|(seed, step, r, n)| BatchCase {
            name: format!("step {step} row {r} of {n}"),
            seed,
            step,
            r,
            n,
            digest: batch::digest(&seed, step, r),
            row: batch::row_index(&seed, step, r, n),
        })
        .collect();
    BatchFile { rows }
}

/// A named change that turns an honest case into one that must fail.
type Mutation<'a, T> = (&'a str, &'a dyn Fn(&mut T));

/// The vectors' generator: [`SplitMix64`] with byte helpers.
struct Rng(SplitMix64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0.below(n)
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }

    fn hash(&mut self) -> Hash {
        std::array::from_fn(|_| self.next() as u8)
    }
}

mod hex_list {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|b| crate::serde_hex::encode(b)))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|s| crate::serde_hex::decode(s).map_err(serde::de::Error::custom))
            .collect()
    }
}
