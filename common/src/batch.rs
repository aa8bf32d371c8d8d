//! The batch rule, DESIGN §3 (normative): row `r` of step `t`'s batch is dataset row
//! `uint256(sha256(seed:bytes32 ‖ t:u64 ‖ r:u32)) mod N`, big-endian, `t` counting from 0 over the
//! whole task. The contract computes the same, so a load op is checked against the data set.

use crate::merkle::Hash;

/// `sha256(seed ‖ t ‖ r)`: the 256-bit number whose remainder picks the row.
pub fn digest(seed: &Hash, step: u64, r: u32) -> Hash {
    let mut preimage = [0u8; 32 + 8 + 4];
    preimage[..32].copy_from_slice(seed);
    preimage[32..40].copy_from_slice(&step.to_be_bytes());
    preimage[40..].copy_from_slice(&r.to_be_bytes());
    crate::sha::digest(&preimage)
}

/// The data set row that row `r` of step `step`'s batch loads, from a data set of `n` rows.
///
/// # Panics
/// If `n` is zero: a data set has at least one row (the tensor rules reject an empty one).
pub fn row_index(seed: &Hash, step: u64, r: u32, n: u32) -> u32 {
    assert!(n > 0, "a data set has at least one row");
    let d = digest(seed, step, r);
    // A 256-bit big-endian number modulo n, one byte at a time (Horner); n < 2^32 keeps every
    // intermediate below 2^40.
    let rem = d
        .iter()
        .fold(0u64, |acc, &b| ((acc << 8) | u64::from(b)) % u64::from(n));
    u32::try_from(rem).expect("a remainder modulo a u32 fits a u32")
}

/// The data set rows of step `step`'s whole batch.
pub fn rows(seed: &Hash, step: u64, batch: u32, n: u32) -> Vec<u32> {
    (0..batch).map(|r| row_index(seed, step, r, n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_index_is_the_big_endian_digest_modulo_n() {
        let seed = [7u8; 32];
        let d = digest(&seed, 3, 5);
        // Reference: the low 128 bits and the high 128 bits, combined with u128 arithmetic.
        let hi = u128::from_be_bytes(d[..16].try_into().expect("16 bytes"));
        let lo = u128::from_be_bytes(d[16..].try_into().expect("16 bytes"));
        for n in [1u32, 2, 10, 1797, u32::MAX] {
            let n128 = u128::from(n);
            let two64 = (1u128 << 64) % n128;
            let two128 = (two64 * two64) % n128;
            let expected = ((hi % n128) * two128 + lo % n128) % n128;
            assert_eq!(u128::from(row_index(&seed, 3, 5, n)), expected, "n={n}");
        }
    }

    #[test]
    fn preimage_is_seed_then_step_u64_then_row_u32_big_endian() {
        let seed = [9u8; 32];
        let mut pre = seed.to_vec();
        pre.extend_from_slice(&[0, 0, 0, 0, 0, 0, 1, 2]);
        pre.extend_from_slice(&[0, 0, 0, 3]);
        assert_eq!(digest(&seed, 0x0102, 3), crate::sha::digest(&pre));
    }
}
