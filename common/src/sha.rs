//! SHA-256 of the short, fixed-shape messages that commitments hash by the million.
//!
//! A 32-byte chunk leaf (`0x00 ‖ chunk`, 33 bytes) is one compression and an inner node
//! (`0x01 ‖ left ‖ right`, 65 bytes) two; building their padded blocks here and calling the
//! compression function directly skips the streaming buffer of `Digest`. Tests hold every
//! function to `sha2::Sha256::digest`.

use sha2::{Digest, Sha256};

type Hash = [u8; 32];

const IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// Plain SHA-256.
pub(crate) fn digest(data: &[u8]) -> Hash {
    Sha256::digest(data).into()
}

/// `sha256(prefix ‖ data)`.
pub(crate) fn prefixed(prefix: u8, data: &[u8]) -> Hash {
    if data.len() == 32 {
        let mut block = [0u8; 64];
        block[0] = prefix;
        block[1..33].copy_from_slice(data);
        block[33] = 0x80;
        block[56..].copy_from_slice(&(33u64 * 8).to_be_bytes());
        return finish(&[block]);
    }
    Sha256::new()
        .chain_update([prefix])
        .chain_update(data)
        .finalize()
        .into()
}

/// `sha256(0x01 ‖ left ‖ right)`.
pub(crate) fn node(left: &Hash, right: &Hash) -> Hash {
    let mut blocks = [[0u8; 64]; 2];
    blocks[0][0] = 0x01;
    blocks[0][1..33].copy_from_slice(left);
    blocks[0][33..].copy_from_slice(&right[..31]);
    blocks[1][0] = right[31];
    blocks[1][1] = 0x80;
    blocks[1][56..].copy_from_slice(&(65u64 * 8).to_be_bytes());
    finish(&blocks)
}

fn finish<const N: usize>(blocks: &[[u8; 64]; N]) -> Hash {
    let mut state = IV;
    let blocks = blocks.map(Into::into);
    sha2::compress256(&mut state, &blocks);
    let mut out = [0u8; 32];
    for (word, bytes) in state.iter().zip(out.chunks_exact_mut(4)) {
        bytes.copy_from_slice(&word.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_shape_hashes_equal_plain_sha256() {
        for seed in 0u8..=255 {
            let a: Hash = std::array::from_fn(|i| seed.wrapping_mul(31).wrapping_add(i as u8));
            let b: Hash = std::array::from_fn(|i| seed ^ (i as u8).wrapping_mul(7));
            assert_eq!(prefixed(0, &a), digest(&[&[0u8][..], &a].concat()));
            assert_eq!(prefixed(2, &b), digest(&[&[2u8][..], &b].concat()));
            assert_eq!(node(&a, &b), digest(&[&[1u8][..], &a, &b].concat()));
        }
        assert_eq!(prefixed(0, b"short"), digest(b"\x00short"));
    }
}
