//! State, program, trace and result commitments, DESIGN §3 (normative).
//!
//! Each is a Merkle tree of [`crate::merkle`] over 32-byte payloads (tensor hashes, state
//! hashes) or op descriptors, leaf-hashed like any payload. A state adds its own prefix:
//! `stateHash = sha256(0x03 ‖ root over the tensor hashes)`, so a state hash is never mistaken
//! for a tree root.

use crate::merkle::{self, Hash, Proof};

/// Domain separator of state hashes.
pub const STATE_PREFIX: u8 = 0x03;

/// `stateHash` of the ordered state tensors (parameters, then optimizer buffers).
pub fn state_hash(tensor_hashes: &[Hash]) -> Result<Hash, merkle::Error> {
    Ok(from_root(&merkle::root_of_payloads(tensor_hashes)?))
}

/// `sha256(0x03 ‖ root)`.
pub fn from_root(root: &Hash) -> Hash {
    crate::sha::prefixed(STATE_PREFIX, root)
}

/// The state hash that `tensor_hash`, at `proof.index` among `tensor_count` state tensors, leads
/// to: how a contract ties one tensor to a committed state.
pub fn state_hash_from_proof(
    tensor_hash: &Hash,
    tensor_count: u64,
    proof: &Proof,
) -> Result<Hash, merkle::Error> {
    let root = proof.root_from(tensor_count, &merkle::leaf_hash(tensor_hash))?;
    Ok(from_root(&root))
}

/// The proof of state tensor `index` among `tensor_hashes`.
pub fn tensor_proof(tensor_hashes: &[Hash], index: u64) -> Result<Proof, merkle::Error> {
    merkle::Tree::from_payloads(tensor_hashes)?.proof(index)
}

/// `programRoot`: the tree over the ABI-encoded op descriptors.
pub fn program_root<D: AsRef<[u8]>>(descriptors: &[D]) -> Result<Hash, merkle::Error> {
    merkle::root_of_payloads(descriptors)
}

/// `traceRoot`: the tree over every slot's tensor hash, in slot order.
pub fn trace_root(slot_hashes: &[Hash]) -> Result<Hash, merkle::Error> {
    merkle::root_of_payloads(slot_hashes)
}

/// `resultRoot`: the tree over the checkpoint state hashes `s_0, s_k, …, s_T`.
pub fn result_root(checkpoint_hashes: &[Hash]) -> Result<Hash, merkle::Error> {
    merkle::root_of_payloads(checkpoint_hashes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_hash_is_prefixed_root_over_leaf_hashed_tensor_hashes() {
        let hashes = [[1u8; 32], [2u8; 32], [3u8; 32]];
        let root = merkle::root(&hashes.map(|h| merkle::leaf_hash(&h))).expect("non-empty");
        let expected = crate::sha::digest(&[&[STATE_PREFIX][..], &root].concat());
        assert_eq!(state_hash(&hashes), Ok(expected));
        assert_ne!(state_hash(&hashes), Ok(root));
    }

    #[test]
    fn every_state_tensor_proves_into_the_state_hash() {
        let hashes: Vec<Hash> = (0..5u8).map(|i| [i; 32]).collect();
        let s = state_hash(&hashes).expect("non-empty");
        for (i, h) in hashes.iter().enumerate() {
            let proof = tensor_proof(&hashes, i as u64).expect("in range");
            assert_eq!(state_hash_from_proof(h, 5, &proof), Ok(s));
        }
    }

    #[test]
    fn an_empty_state_is_rejected() {
        assert_eq!(state_hash(&[]), Err(merkle::Error::EmptyTree));
    }
}
