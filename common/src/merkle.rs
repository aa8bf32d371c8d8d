//! Binary Merkle trees of DESIGN §3 (normative).
//!
//! Leaves are `sha256(0x00 ‖ payload)`, inner nodes `sha256(0x01 ‖ left ‖ right)`. The list of
//! leaf hashes is padded with `bytes32(0)` to the next power of two, so every proof has exactly
//! `ceil(log2 n)` siblings and bit `i` of the leaf index says on which side the node at level `i`
//! sits (set: it is a right child). A tree of one leaf has that leaf's hash as its root. No tree
//! is empty. `contracts/src/commit/Merkle.sol` verifies the same proofs.
//!
//! Trees are built with `rs_merkle` over [`Sha256`], a hasher that applies the node prefix; leaves
//! are hashed here, with their prefix, before they reach it. [`root`] computes a root without
//! keeping the tree (the hot path of tensor commitments); tests tie the two together.

use serde::{Deserialize, Serialize};

use crate::sha;

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// The padding leaf.
pub const ZERO: Hash = [0; 32];

/// Domain separator of leaves.
pub const LEAF_PREFIX: u8 = 0x00;
/// Domain separator of inner nodes.
pub const NODE_PREFIX: u8 = 0x01;

/// The most leaves a tree may have: indices must fit the `u64` of the on-chain encoding, and a
/// proof longer than 64 siblings could never be checked.
pub const MAX_LEAVES: u64 = 1 << 40;

/// What can be wrong with a tree or a proof.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("a Merkle tree needs at least one leaf")]
    EmptyTree,
    #[error("{leaf_count} leaves is more than a tree may hold ({MAX_LEAVES})")]
    TooManyLeaves { leaf_count: u64 },
    #[error("leaf index {index} is outside a tree of {leaf_count} leaves")]
    IndexOutOfRange { index: u64, leaf_count: u64 },
    #[error("a proof in a tree of {leaf_count} leaves has {expected} siblings, this one has {got}")]
    WrongDepth {
        leaf_count: u64,
        expected: u32,
        got: usize,
    },
    #[error("the proof leads to root {got}, not to the committed root {expected}")]
    RootMismatch { expected: HexHash, got: HexHash },
}

impl Error {
    /// The name of the Solidity custom error that rejects the same input.
    pub fn name(&self) -> &'static str {
        match self {
            Self::EmptyTree => "EmptyTree",
            Self::TooManyLeaves { .. } => "TooManyLeaves",
            Self::IndexOutOfRange { .. } => "IndexOutOfRange",
            Self::WrongDepth { .. } => "WrongDepth",
            Self::RootMismatch { .. } => "RootMismatch",
        }
    }
}

/// A hash shown as `0x…` hex in messages.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HexHash(pub Hash);

impl std::fmt::Display for HexHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "0x{}", hex::encode(self.0))
    }
}

impl std::fmt::Debug for HexHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// `sha256(0x00 ‖ payload)`.
pub fn leaf_hash(payload: &[u8]) -> Hash {
    sha::prefixed(LEAF_PREFIX, payload)
}

/// `sha256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    sha::node(left, right)
}

/// The number of siblings in a proof for a tree of `leaf_count` leaves: `ceil(log2 n)`.
pub fn depth(leaf_count: u64) -> Result<u32, Error> {
    check_count(leaf_count)?;
    Ok(leaf_count.next_power_of_two().trailing_zeros())
}

fn check_count(leaf_count: u64) -> Result<(), Error> {
    match leaf_count {
        0 => Err(Error::EmptyTree),
        n if n > MAX_LEAVES => Err(Error::TooManyLeaves { leaf_count: n }),
        _ => Ok(()),
    }
}

/// The root over already-hashed leaves, without keeping the tree.
pub fn root(leaves: &[Hash]) -> Result<Hash, Error> {
    Ok(roots(leaves, leaves.len())?[0])
}

/// `out[i] = leaf_hash(payloads[i])` for 32-byte payloads, hashed several at a time.
///
/// # Panics
/// If `out` and `payloads` differ in length.
pub fn leaf_hashes(payloads: &[Hash], out: &mut [Hash]) {
    sha::leaves(LEAF_PREFIX, payloads, out);
}

/// The roots of trees of `per_tree` leaves each, whose already-hashed leaves lie one tree after
/// another in `leaves`: the hot path of tensor commitments, where every row of a tensor is such
/// a tree.
///
/// All trees are built together, a level at a time, so that each level of all of them is one
/// batch of independent nodes for [`sha::nodes`]. Padding is never stored: past the last real
/// entry, a level of any tree holds only roots of all-padding subtrees, which are equal, so a
/// tree whose level has an odd count is given one such root to pair with, and nodes over
/// padding alone are never hashed (a row of 98 chunks pads to 128 leaves, a quarter of its
/// nodes).
///
/// # Panics
/// If `leaves` does not hold a whole number of trees.
pub fn roots(leaves: &[Hash], per_tree: usize) -> Result<Vec<Hash>, Error> {
    let mut level = leaves.to_vec();
    roots_in_place(&mut level, per_tree)?;
    Ok(level)
}

/// [`roots`], with the leaves in `level`, which is left holding the roots: the caller's buffer is
/// the first level, not a copy of it.
///
/// # Panics
/// If `level` does not hold a whole number of trees.
pub fn roots_in_place(level: &mut Vec<Hash>, per_tree: usize) -> Result<(), Error> {
    check_count(per_tree as u64)?;
    assert!(
        level.len().is_multiple_of(per_tree),
        "{} leaves are not trees of {per_tree}",
        level.len()
    );
    let mut next = Vec::with_capacity(level.len() / 2 + 1);
    // Entries of each tree on this level, and the root of an all-padding subtree on it.
    let mut real = per_tree;
    let mut padding = ZERO;
    for _ in 0..depth(per_tree as u64)? {
        if real % 2 == 1 {
            *level = level
                .chunks_exact(real)
                .flat_map(|tree| tree.iter().copied().chain([padding]))
                .collect();
            real += 1;
        }
        next.resize(level.len() / 2, ZERO);
        sha::nodes(level, &mut next);
        std::mem::swap(level, &mut next);
        real /= 2;
        padding = node_hash(&padding, &padding);
    }
    Ok(())
}

/// `out[i]` is the leaf hash of the 32-byte chunk `values[8i..8i + 8]` in little-endian bytes:
/// tensor chunks hashed straight from the values, with no copy into bytes.
///
/// # Panics
/// If `values` is not eight times as long as `out`.
pub(crate) fn value_leaf_hashes(values: &[f32], out: &mut [Hash]) {
    sha::value_leaves(LEAF_PREFIX, values, out);
}

/// The root of the tree over `payloads`, each leaf-hashed.
pub fn root_of_payloads<P: AsRef<[u8]>>(payloads: &[P]) -> Result<Hash, Error> {
    let leaves: Vec<Hash> = payloads.iter().map(|p| leaf_hash(p.as_ref())).collect();
    root(&leaves)
}

/// The node hasher `rs_merkle` builds with: inner nodes carry [`NODE_PREFIX`].
///
/// `rs_merkle` promotes an odd last node unchanged; [`Tree`] pads to a power of two first, so
/// that never happens and every level pairs up.
#[derive(Debug, Clone, Copy)]
pub struct Sha256;

impl rs_merkle::Hasher for Sha256 {
    type Hash = Hash;

    fn hash(data: &[u8]) -> Hash {
        sha::digest(data)
    }

    fn concat_and_hash(left: &Hash, right: Option<&Hash>) -> Hash {
        match right {
            Some(right) => node_hash(left, right),
            None => *left,
        }
    }
}

/// A whole tree, kept so that proofs can be cut from it.
pub struct Tree {
    inner: rs_merkle::MerkleTree<Sha256>,
    leaf_count: u64,
}

impl std::fmt::Debug for Tree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tree")
            .field("leaf_count", &self.leaf_count)
            .field("root", &HexHash(self.root()))
            .finish()
    }
}

impl Tree {
    /// The tree over already-hashed leaves.
    pub fn from_leaves(leaves: &[Hash]) -> Result<Self, Error> {
        let leaf_count = leaves.len() as u64;
        check_count(leaf_count)?;
        let mut padded = leaves.to_vec();
        padded.resize(leaves.len().next_power_of_two(), ZERO);
        Ok(Self {
            inner: rs_merkle::MerkleTree::from_leaves(&padded),
            leaf_count,
        })
    }

    /// The tree over `payloads`, each leaf-hashed.
    pub fn from_payloads<P: AsRef<[u8]>>(payloads: &[P]) -> Result<Self, Error> {
        let leaves: Vec<Hash> = payloads.iter().map(|p| leaf_hash(p.as_ref())).collect();
        Self::from_leaves(&leaves)
    }

    pub fn root(&self) -> Hash {
        self.inner
            .root()
            .expect("a tree is never empty: the constructors reject zero leaves")
    }

    pub fn leaf_count(&self) -> u64 {
        self.leaf_count
    }

    /// The proof of leaf `index`.
    pub fn proof(&self, index: u64) -> Result<Proof, Error> {
        if index >= self.leaf_count {
            return Err(Error::IndexOutOfRange {
                index,
                leaf_count: self.leaf_count,
            });
        }
        let index_usize = usize::try_from(index).expect("index < leaf_count, which fits memory");
        let siblings = self.inner.proof(&[index_usize]).proof_hashes().to_vec();
        debug_assert_eq!(siblings.len() as u32, depth(self.leaf_count).unwrap_or(0));
        Ok(Proof { index, siblings })
    }
}

/// A single-leaf proof: the leaf's index and its siblings from the bottom up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    pub index: u64,
    #[serde(with = "crate::serde_hex::hashes")]
    pub siblings: Vec<Hash>,
}

impl Proof {
    /// The root that this proof and `leaf` lead to, in a tree of `leaf_count` leaves.
    ///
    /// The leaf count comes from the verifier's side (what was committed), never from the proof:
    /// a proof of the wrong depth or an index past the last leaf is rejected.
    pub fn root_from(&self, leaf_count: u64, leaf: &Hash) -> Result<Hash, Error> {
        let expected = depth(leaf_count)?;
        if self.index >= leaf_count {
            return Err(Error::IndexOutOfRange {
                index: self.index,
                leaf_count,
            });
        }
        if self.siblings.len() != expected as usize {
            return Err(Error::WrongDepth {
                leaf_count,
                expected,
                got: self.siblings.len(),
            });
        }
        let mut node = *leaf;
        for (level, sibling) in self.siblings.iter().enumerate() {
            node = if (self.index >> level) & 1 == 1 {
                node_hash(sibling, &node)
            } else {
                node_hash(&node, sibling)
            };
        }
        Ok(node)
    }

    /// Checks that `leaf` sits at this proof's index under `root`.
    pub fn verify(&self, root: &Hash, leaf_count: u64, leaf: &Hash) -> Result<(), Error> {
        let got = self.root_from(leaf_count, leaf)?;
        if &got == root {
            Ok(())
        } else {
            Err(Error::RootMismatch {
                expected: HexHash(*root),
                got: HexHash(got),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payloads(n: usize) -> Vec<Vec<u8>> {
        (0..n)
            .map(|i| format!("payload {i}").into_bytes())
            .collect()
    }

    #[test]
    fn one_leaf_root_is_the_leaf_hash() {
        let tree = Tree::from_payloads(&[b"only"]).expect("one leaf");
        assert_eq!(tree.root(), leaf_hash(b"only"));
        let proof = tree.proof(0).expect("index 0");
        assert!(proof.siblings.is_empty());
        proof
            .verify(&tree.root(), 1, &leaf_hash(b"only"))
            .expect("valid");
    }

    #[test]
    fn leaves_and_nodes_are_domain_separated() {
        let (a, b) = (leaf_hash(b"a"), leaf_hash(b"b"));
        let mut concat = a.to_vec();
        concat.extend_from_slice(&b);
        assert_ne!(node_hash(&a, &b), leaf_hash(&concat));
        assert_eq!(
            node_hash(&a, &b),
            sha::digest(&[&[1u8][..], &concat].concat())
        );
    }

    #[test]
    fn padding_is_zero_leaves_to_the_next_power_of_two() {
        let p = payloads(3);
        let l: Vec<Hash> = p.iter().map(|x| leaf_hash(x)).collect();
        let expected = node_hash(&node_hash(&l[0], &l[1]), &node_hash(&l[2], &ZERO));
        assert_eq!(root_of_payloads(&p).expect("3 leaves"), expected);
        assert_eq!(Tree::from_payloads(&p).expect("3 leaves").root(), expected);
    }

    #[test]
    fn rs_merkle_tree_and_fast_root_agree_and_every_proof_verifies() {
        for n in [
            1usize, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 33, 65, 98, 100, 129, 257,
        ] {
            let p = payloads(n);
            let tree = Tree::from_payloads(&p).expect("non-empty");
            assert_eq!(
                tree.root(),
                root_of_payloads(&p).expect("non-empty"),
                "n={n}"
            );
            for (i, payload) in p.iter().enumerate() {
                let proof = tree.proof(i as u64).expect("in range");
                assert_eq!(proof.siblings.len() as u32, depth(n as u64).expect("n>0"));
                proof
                    .verify(&tree.root(), n as u64, &leaf_hash(payload))
                    .expect("honest proof");
            }
        }
    }

    #[test]
    fn depth_is_ceil_log2() {
        let cases = [
            (1, 0),
            (2, 1),
            (3, 2),
            (4, 2),
            (5, 3),
            (1024, 10),
            (1025, 11),
        ];
        for (n, d) in cases {
            assert_eq!(depth(n), Ok(d), "n={n}");
        }
        assert_eq!(depth(0), Err(Error::EmptyTree));
    }

    #[test]
    fn empty_tree_is_rejected() {
        assert_eq!(root(&[]).err(), Some(Error::EmptyTree));
        assert!(matches!(Tree::from_leaves(&[]), Err(Error::EmptyTree)));
    }

    #[test]
    fn proof_of_wrong_depth_is_rejected() {
        let p = payloads(5);
        let tree = Tree::from_payloads(&p).expect("non-empty");
        let mut proof = tree.proof(2).expect("in range");
        let leaf = leaf_hash(&p[2]);
        proof.siblings.push(ZERO);
        assert!(matches!(
            proof.verify(&tree.root(), 5, &leaf),
            Err(Error::WrongDepth {
                expected: 3,
                got: 4,
                ..
            })
        ));
        proof.siblings.truncate(2);
        assert!(matches!(
            proof.verify(&tree.root(), 5, &leaf),
            Err(Error::WrongDepth {
                expected: 3,
                got: 2,
                ..
            })
        ));
    }

    #[test]
    fn proof_of_index_past_the_last_leaf_is_rejected() {
        let p = payloads(5);
        let tree = Tree::from_payloads(&p).expect("non-empty");
        assert!(matches!(tree.proof(5), Err(Error::IndexOutOfRange { .. })));
        let mut proof = tree.proof(4).expect("in range");
        proof.index = 6; // a padding slot of the 8-leaf padded tree
        assert!(matches!(
            proof.verify(&tree.root(), 5, &leaf_hash(&p[4])),
            Err(Error::IndexOutOfRange {
                index: 6,
                leaf_count: 5
            })
        ));
    }

    #[test]
    fn proof_at_another_index_does_not_verify() {
        let p = payloads(8);
        let tree = Tree::from_payloads(&p).expect("non-empty");
        let mut proof = tree.proof(3).expect("in range");
        proof.index = 2;
        assert!(matches!(
            proof.verify(&tree.root(), 8, &leaf_hash(&p[3])),
            Err(Error::RootMismatch { .. })
        ));
    }
}
