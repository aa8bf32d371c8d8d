//! The differential vectors in `contracts/test/vectors/`: fresh, right, and fragile.
//!
//! The forge tests (`contracts/test/Vectors.t.sol`) check the same files from the Solidity side.

use std::path::PathBuf;

use poai_common::merkle::{self, Hash};
use poai_common::tensor::Tensor;
use poai_common::vectors::{self, BatchFile, MerkleFile, OK, StateFile, TensorFile};
use poai_common::{batch, state};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(vectors::DIR)
}

fn read<T: serde::de::DeserializeOwned>(name: &str) -> T {
    let path = dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// Calls `check` once per byte of `field`, with that byte flipped, and asserts every call fails.
fn each_flip<T: Clone>(
    case: &T,
    what: &str,
    field: fn(&mut T) -> &mut [u8],
    check: impl Fn(&T) -> bool,
) {
    let len = field(&mut case.clone()).len();
    for i in 0..len {
        let mut flipped = case.clone();
        field(&mut flipped)[i] ^= 0x01;
        assert!(!check(&flipped), "{what}: flipping byte {i} still passes");
    }
}

/// Every file byte for byte, but those traced on flex where this machine's flex kernels round
/// differently from the writer's (`flex.json` tells). There, `ops.json` is still re-judged by
/// the Rust checker (`ops_vectors_hold_…`) and every file by the contracts (forge); but a drift
/// of the Rust prover or game from what the files recorded shows only on a machine whose flex
/// rounds as the writer's, as the one that regenerates them does.
#[test]
fn checked_in_vectors_are_what_the_generator_writes() {
    let generated = vectors::generate();
    let on_disk = |name: &str| std::fs::read_to_string(dir().join(name)).unwrap_or_default();
    let flex = generated
        .iter()
        .find(|(name, _)| *name == "flex.json")
        .expect("flex.json is generated");
    let same_flex = on_disk("flex.json") == flex.1;
    if !same_flex {
        eprintln!(
            "this machine's flex kernels round differently from those that wrote the vectors: \
             {:?} are not compared byte for byte",
            vectors::FLEX_TRACED
        );
    }
    for (name, text) in &generated {
        if !same_flex && vectors::FLEX_TRACED.contains(name) {
            continue;
        }
        assert!(
            on_disk(name) == *text,
            "{} is stale: run `scripts/vectors`",
            dir().join(name).display()
        );
    }
}

#[test]
fn merkle_vectors_hold_and_any_flipped_byte_breaks_them() {
    let file: MerkleFile = read("merkle.json");
    assert!(
        file.proofs.iter().any(|p| p.expect != OK),
        "must-fail cases are present"
    );
    for tree in &file.trees {
        assert_eq!(
            merkle::Tree::from_payloads(&tree.payloads).map(|t| t.root()),
            Ok(tree.root)
        );
        assert_eq!(
            merkle::root_of_payloads(&tree.payloads),
            Ok(tree.root),
            "{}",
            tree.name
        );
        let root_of = |payloads: &[Vec<u8>]| merkle::root_of_payloads(payloads).ok();
        for (i, payload) in tree.payloads.iter().enumerate() {
            for j in 0..payload.len() {
                let mut payloads = tree.payloads.clone();
                payloads[i][j] ^= 1;
                assert_ne!(
                    root_of(&payloads),
                    Some(tree.root),
                    "{}: payload {i} byte {j}",
                    tree.name
                );
            }
        }
    }
    for case in &file.proofs {
        assert_eq!(vectors::merkle_verdict(case), case.expect, "{}", case.name);
        if case.expect != OK {
            continue;
        }
        let ok = |c: &vectors::ProofCase| vectors::merkle_verdict(c) == OK;
        each_flip(case, &case.name, |c| &mut c.root, ok);
        each_flip(case, &case.name, |c| &mut c.payload, ok);
        for s in 0..case.siblings.len() {
            let mut c = case.clone();
            for b in 0..32 {
                c.siblings[s][b] ^= 1;
                assert!(!ok(&c), "{}: sibling {s} byte {b}", case.name);
                c.siblings[s][b] ^= 1;
            }
        }
        let mut c = case.clone();
        c.index ^= 1;
        assert!(
            c.leaf_count == 1 || !ok(&c),
            "{}: another index passes",
            case.name
        );
    }
}

#[test]
fn tensor_vectors_hold_and_any_flipped_byte_breaks_them() {
    let file: TensorFile = read("tensor.json");
    let commit = |case: &vectors::TensorCase| {
        let values = case
            .data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
            .collect();
        Tensor::new(case.rows as usize, case.cols as usize, values)
            .expect("valid shape")
            .commit()
    };
    for case in &file.tensors {
        let c = commit(case);
        assert_eq!(c.row_roots, case.row_roots, "{}", case.name);
        assert_eq!(c.header.rows_root, case.rows_root, "{}", case.name);
        assert_eq!(c.hash, case.tensor_hash, "{}", case.name);
        each_flip(
            case,
            &case.name,
            |c| &mut c.data,
            |c| commit(c).hash == case.tensor_hash,
        );
    }
    assert!(file.row_proofs.iter().any(|p| p.expect != OK));
    for case in &file.row_proofs {
        assert_eq!(vectors::row_verdict(case), case.expect, "{}", case.name);
        if case.expect != OK {
            continue;
        }
        let ok = |c: &vectors::RowProofCase| vectors::row_verdict(c) == OK;
        each_flip(case, &case.name, |c| &mut c.row_bytes, ok);
        each_flip(case, &case.name, |c| &mut c.tensor_hash, ok);
        each_flip(case, &case.name, |c| &mut c.rows_root, ok);
        each_flip(case, &case.name, |c| c.siblings.as_flattened_mut(), ok);
    }
    assert!(file.value_proofs.iter().any(|p| p.expect != OK));
    for case in &file.value_proofs {
        assert_eq!(vectors::value_verdict(case), case.expect, "{}", case.name);
        if case.expect != OK {
            continue;
        }
        let ok = |c: &vectors::ValueProofCase| vectors::value_verdict(c) == OK;
        each_flip(case, &case.name, |c| &mut c.chunk, ok);
        each_flip(case, &case.name, |c| &mut c.tensor_hash, ok);
        each_flip(
            case,
            &case.name,
            |c| c.chunk_siblings.as_flattened_mut(),
            ok,
        );
        each_flip(case, &case.name, |c| c.row_siblings.as_flattened_mut(), ok);
    }
}

#[test]
fn state_vectors_hold_and_any_flipped_byte_breaks_them() {
    let file: StateFile = read("state.json");
    for case in &file.states {
        assert_eq!(
            state::state_hash(&case.tensor_hashes),
            Ok(case.state_hash),
            "{}",
            case.name
        );
        each_flip(
            case,
            &case.name,
            |c| c.tensor_hashes.as_flattened_mut(),
            |c| state::state_hash(&c.tensor_hashes) == Ok(case.state_hash),
        );
    }
    for case in &file.tensor_proofs {
        assert_eq!(vectors::state_verdict(case), case.expect, "{}", case.name);
        if case.expect != OK {
            continue;
        }
        let ok = |c: &vectors::StateProofCase| vectors::state_verdict(c) == OK;
        each_flip(case, &case.name, |c| &mut c.state_hash, ok);
        each_flip(case, &case.name, |c| &mut c.tensor_hash, ok);
        each_flip(case, &case.name, |c| c.siblings.as_flattened_mut(), ok);
    }
}

#[test]
fn batch_vectors_hold_and_any_flipped_byte_breaks_them() {
    let file: BatchFile = read("batch.json");
    let holds = |c: &vectors::BatchCase| {
        let digest: Hash = batch::digest(&c.seed, c.step, c.r);
        digest == c.digest && batch::row_index(&c.seed, c.step, c.r, c.n) == c.row
    };
    for case in &file.rows {
        assert!(holds(case), "{}", case.name);
        each_flip(case, &case.name, |c| &mut c.seed, holds);
        each_flip(case, &case.name, |c| &mut c.digest, holds);
        let mut c = case.clone();
        c.step ^= 1;
        assert!(!holds(&c), "{}: another step", case.name);
        let mut c = case.clone();
        c.r ^= 1;
        assert!(!holds(&c), "{}: another row of the batch", case.name);
    }
}

#[test]
fn ops_vectors_hold_the_checkers_verdicts_and_honest_traces_pass() {
    for name in ["ops.json", "ops_wgpu.json"] {
        let file: vectors::ops::OpsFile = read(name);
        let all = vectors::ops::all(&file);
        assert!(all.len() > 100, "{name}: {} claims", all.len());
        for (case, question, claim) in &all {
            let got = question.judge(f32::from_bits(claim.claim)).reason;
            assert_eq!(
                got, claim.reason,
                "{name}: {case}: claim {:#x}",
                claim.claim
            );
        }
        // The first claim of a trace's case is the value the backend computed.
        let traces = all.iter().filter(|(case, _, _)| case.contains(" op "));
        let mut seen = 0;
        for (case, question, _) in traces {
            let first = file
                .dots
                .iter()
                .map(|c| (&c.name, c.claims[0]))
                .chain(file.softmaxes.iter().map(|c| (&c.name, c.claims[0])))
                .chain(file.exacts.iter().map(|c| (&c.name, c.claims[0])))
                .find(|(n, _)| *n == case)
                .expect("the case exists")
                .1;
            assert!(
                question.judge(f32::from_bits(first.claim)).accepted,
                "{name}: {case}: the honest value is rejected"
            );
            seen += 1;
        }
        assert!(seen > 50, "{name}: {seen} trace claims");
    }
}
