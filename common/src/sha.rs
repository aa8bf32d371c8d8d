//! SHA-256 of the short, fixed-shape messages that commitments hash by the million.
//!
//! A 32-byte chunk leaf (`0x00 ‖ chunk`, 33 bytes) is one compression and an inner node
//! (`0x01 ‖ left ‖ right`, 65 bytes) two; building their padded blocks here and calling the
//! compression function directly skips the streaming buffer of `Digest`.
//!
//! Commitments hash whole levels of a tree at a time ([`leaves`], [`nodes`]). The messages of a
//! level are independent, so on a CPU with AVX-512 [`x16`] compresses sixteen of them at once,
//! one per 32-bit lane: about twice the throughput of the SHA extensions, whose round
//! instruction is throughput-bound (interleaving several SHA-NI streams was measured and gained
//! nothing; docs/BENCHMARKS.md). Elsewhere, and for the remainder of a level, messages go one at
//! a time through `sha2` (SHA-NI where present). Tests hold every function to
//! `sha2::Sha256::digest`.

use sha2::{Digest, Sha256};

type Hash = [u8; 32];
type Block = [u8; 64];

const IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// Messages compressed together by the vector path.
const LANES: usize = 16;

/// Plain SHA-256.
pub(crate) fn digest(data: &[u8]) -> Hash {
    Sha256::digest(data).into()
}

/// `sha256(prefix ‖ data)`.
pub(crate) fn prefixed(prefix: u8, data: &[u8]) -> Hash {
    if let Ok(data) = data.try_into() {
        return finish(&[prefixed_block(prefix, data)]);
    }
    Sha256::new()
        .chain_update([prefix])
        .chain_update(data)
        .finalize()
        .into()
}

/// `sha256(0x01 ‖ left ‖ right)`.
pub(crate) fn node(left: &Hash, right: &Hash) -> Hash {
    finish(&node_blocks(left, right))
}

/// `out[i] = sha256(prefix ‖ payloads[i])` for every `i`.
///
/// # Panics
/// If `out` and `payloads` differ in length.
pub(crate) fn leaves(prefix: u8, payloads: &[Hash], out: &mut [Hash]) {
    batch::<_, LANES>(
        payloads,
        out,
        |group| x16::prefixed(prefix, &lanes::<8>(group.as_flattened())),
        |payload| finish(&[prefixed_block(prefix, &payload[0])]),
    );
}

/// `out[i] = sha256(prefix ‖ le_bytes(values[8i..8i + 8]))` for every `i`: the leaves of 32-byte
/// chunks of f32 values.
///
/// # Panics
/// If `values` is not eight times as long as `out`.
pub(crate) fn value_leaves(prefix: u8, values: &[f32], out: &mut [Hash]) {
    batch::<_, { 8 * LANES }>(
        values,
        out,
        |group| {
            // The big-endian word of a value's little-endian bytes is its bits byte-swapped.
            let mut words = [[0u32; LANES]; 8];
            for (lane, chunk) in group.as_chunks::<8>().0.iter().enumerate() {
                for (j, v) in chunk.iter().enumerate() {
                    words[j][lane] = v.to_bits().swap_bytes();
                }
            }
            x16::prefixed(prefix, &words)
        },
        |chunk| {
            let mut bytes = [0u8; 32];
            for (v, b) in chunk.iter().zip(bytes.as_chunks_mut::<4>().0) {
                *b = v.to_le_bytes();
            }
            finish(&[prefixed_block(prefix, &bytes)])
        },
    );
}

/// `out[i] = sha256(0x01 ‖ pairs[2i] ‖ pairs[2i+1])` for every `i`: one level of a tree.
///
/// # Panics
/// If `pairs` is not twice as long as `out`.
pub(crate) fn nodes(pairs: &[Hash], out: &mut [Hash]) {
    batch::<_, { 2 * LANES }>(
        pairs,
        out,
        |group| x16::prefixed(0x01, &lanes::<16>(group.as_flattened())),
        |pair| node(&pair[0], &pair[1]),
    );
}

/// One digest per `GROUP / LANES` inputs: [`LANES`] digests at a time by `vector` where the CPU
/// has [`x16`], and one at a time by `single` elsewhere and for the remainder.
///
/// # Panics
/// If `inputs` is not `GROUP / LANES` times as long as `out`.
fn batch<T, const GROUP: usize>(
    inputs: &[T],
    out: &mut [Hash],
    vector: impl Fn(&[T; GROUP]) -> [Hash; LANES],
    single: impl Fn(&[T]) -> Hash,
) {
    let per_digest = GROUP / LANES;
    assert_eq!(
        inputs.len(),
        per_digest * out.len(),
        "one digest per {per_digest} inputs"
    );
    let mut done = 0;
    if x16::available() {
        let (groups, _) = inputs.as_chunks::<GROUP>();
        for (group, digests) in groups.iter().zip(out.as_chunks_mut::<LANES>().0) {
            *digests = vector(group);
        }
        done = groups.len() * LANES;
    }
    for (input, digest) in inputs[per_digest * done..]
        .chunks_exact(per_digest)
        .zip(&mut out[done..])
    {
        *digest = single(input);
    }
}

/// Lane `l` of `words[j]` is big-endian word `j` of `data[4·WORDS·l..4·WORDS·(l+1)]`: sixteen
/// messages' data as [`x16`] takes it.
fn lanes<const WORDS: usize>(data: &[u8]) -> [[u32; LANES]; WORDS] {
    assert_eq!(data.len(), LANES * 4 * WORDS, "one message per lane");
    let mut words = [[0u32; LANES]; WORDS];
    for (lane, message) in data.chunks_exact(4 * WORDS).enumerate() {
        for (j, word) in message.as_chunks::<4>().0.iter().enumerate() {
            words[j][lane] = u32::from_be_bytes(*word);
        }
    }
    words
}

fn prefixed_block(prefix: u8, data: &Hash) -> Block {
    let mut block = [0u8; 64];
    block[0] = prefix;
    block[1..33].copy_from_slice(data);
    block[33] = 0x80;
    block[56..].copy_from_slice(&(33u64 * 8).to_be_bytes());
    block
}

fn node_blocks(left: &Hash, right: &Hash) -> [Block; 2] {
    let mut blocks = [[0u8; 64]; 2];
    blocks[0][0] = 0x01;
    blocks[0][1..33].copy_from_slice(left);
    blocks[0][33..].copy_from_slice(&right[..31]);
    blocks[1][0] = right[31];
    blocks[1][1] = 0x80;
    blocks[1][56..].copy_from_slice(&(65u64 * 8).to_be_bytes());
    blocks
}

/// The digest of a message already padded into `N` blocks.
fn finish<const N: usize>(blocks: &[Block; N]) -> Hash {
    let mut state = IV;
    let blocks = blocks.map(Into::into);
    sha2::compress256(&mut state, &blocks);
    let mut out = [0u8; 32];
    for (word, bytes) in state.iter().zip(out.chunks_exact_mut(4)) {
        bytes.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// SHA-256 of [`LANES`] messages at once on AVX-512, one message per 32-bit lane.
#[cfg(target_arch = "x86_64")]
mod x16 {
    use std::arch::x86_64::*;

    use super::{Hash, IV, LANES};

    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];

    /// Whether this CPU has AVX-512 (checked once, then cached by `std`).
    pub(super) fn available() -> bool {
        is_x86_feature_detected!("avx512f")
    }

    /// The digests of the [`LANES`] messages `prefix ‖ data`, where lane `l` of `words[j]` is
    /// big-endian word `j` of message `l`'s data: leaves (`WORDS` = 8) and inner nodes (16).
    ///
    /// # Panics
    /// If the CPU lacks AVX-512: callers check [`available`] first.
    pub(super) fn prefixed<const WORDS: usize>(
        prefix: u8,
        words: &[[u32; LANES]; WORDS],
    ) -> [Hash; LANES] {
        assert!(available(), "AVX-512 checked by the caller");
        // SAFETY: `compress` needs exactly the feature just checked, and has no other
        // precondition.
        #[allow(unsafe_code)]
        unsafe {
            compress(prefix, words)
        }
    }

    #[target_feature(enable = "avx512f")]
    fn load(lanes: &[u32; LANES]) -> __m512i {
        // SAFETY: the reference covers the 64 bytes read; the load needs no alignment.
        #[allow(unsafe_code)]
        unsafe {
            _mm512_loadu_si512(lanes.as_ptr().cast())
        }
    }

    #[target_feature(enable = "avx512f")]
    fn store(v: __m512i) -> [u32; LANES] {
        let mut lanes = [0u32; LANES];
        // SAFETY: the array covers the 64 bytes written; the store needs no alignment.
        #[allow(unsafe_code)]
        unsafe {
            _mm512_storeu_si512(lanes.as_mut_ptr().cast(), v)
        };
        lanes
    }

    #[target_feature(enable = "avx512f")]
    fn xor3(a: __m512i, b: __m512i, c: __m512i) -> __m512i {
        _mm512_ternarylogic_epi32::<0x96>(a, b, c)
    }

    /// SHA-256 of `prefix ‖ data`, where lane `l` of `data[j]` is word `j` of message `l`'s data.
    #[target_feature(enable = "avx512f")]
    fn compress<const WORDS: usize>(prefix: u8, data: &[[u32; LANES]; WORDS]) -> [Hash; LANES] {
        let add = |a, b| _mm512_add_epi32(a, b);
        let splat = |word: u32| _mm512_set1_epi32(word as i32);
        // The data shifted right by the prefix byte, then the padding: `0x80`, zeros and the
        // length in bits, in one block (leaves: 33 bytes) or two (nodes: 65 bytes).
        let data = data.each_ref().map(|lanes| load(lanes));
        let bytes = 1 + 4 * WORDS;
        let blocks = (bytes + 1 + 8).div_ceil(64);
        let mut message = [splat(0); 32];
        for (t, word) in message.iter_mut().enumerate().take(WORDS + 1) {
            let high = match t {
                0 => splat(u32::from(prefix) << 24),
                _ => _mm512_slli_epi32::<24>(data[t - 1]),
            };
            let low = match data.get(t) {
                Some(&d) => _mm512_srli_epi32::<8>(d),
                None => splat(0x0080_0000),
            };
            *word = _mm512_or_si512(high, low);
        }
        message[16 * blocks - 1] = splat(8 * bytes as u32);

        let mut state = IV.map(splat);
        for block in message.as_chunks::<16>().0.iter().take(blocks) {
            let mut w = *block;
            let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = state;
            // Round `t` uses message word `t mod 16` of the ring `w`; sixteen rounds are spelled
            // out so that every ring index is a constant and the ring stays in registers.
            macro_rules! round {
                ($t:expr, $i:expr, $schedule:expr) => {{
                    if $schedule {
                        // W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16].
                        let (w2, w15) = (w[($i + 14) % 16], w[($i + 1) % 16]);
                        let s0 = xor3(
                            _mm512_ror_epi32::<7>(w15),
                            _mm512_ror_epi32::<18>(w15),
                            _mm512_srli_epi32::<3>(w15),
                        );
                        let s1 = xor3(
                            _mm512_ror_epi32::<17>(w2),
                            _mm512_ror_epi32::<19>(w2),
                            _mm512_srli_epi32::<10>(w2),
                        );
                        w[$i] = add(add(w[$i], s0), add(w[($i + 9) % 16], s1));
                    }
                    let sigma1 = xor3(
                        _mm512_ror_epi32::<6>(e),
                        _mm512_ror_epi32::<11>(e),
                        _mm512_ror_epi32::<25>(e),
                    );
                    let ch = _mm512_ternarylogic_epi32::<0xca>(e, f, g);
                    let t1 = add(add(h, sigma1), add(ch, add(w[$i], splat(K[$t]))));
                    let sigma0 = xor3(
                        _mm512_ror_epi32::<2>(a),
                        _mm512_ror_epi32::<13>(a),
                        _mm512_ror_epi32::<22>(a),
                    );
                    let maj = _mm512_ternarylogic_epi32::<0xe8>(a, b, c);
                    (h, g, f, e, d, c, b, a) =
                        (g, f, e, add(d, t1), c, b, a, add(t1, add(sigma0, maj)));
                }};
            }
            macro_rules! sixteen {
                ($r:expr, $schedule:expr) => {
                    sixteen!(@ $r, $schedule; 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)
                };
                (@ $r:expr, $schedule:expr; $($i:literal)*) => {
                    $( round!(16 * $r + $i, $i, $schedule); )*
                };
            }
            sixteen!(0, false);
            for r in 1..4 {
                sixteen!(r, true);
            }
            for (s, v) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
                *s = add(*s, v);
            }
        }
        let words = state.map(|v| store(v));
        std::array::from_fn(|lane| {
            let mut out = [0u8; 32];
            for (word, bytes) in words.iter().zip(out.chunks_exact_mut(4)) {
                bytes.copy_from_slice(&word[lane].to_be_bytes());
            }
            out
        })
    }
}

/// Without x86's AVX-512 every message takes the `sha2` path.
#[cfg(not(target_arch = "x86_64"))]
mod x16 {
    use super::{Hash, LANES};

    pub(super) fn available() -> bool {
        false
    }

    pub(super) fn prefixed<const WORDS: usize>(_: u8, _: &[[u32; LANES]; WORDS]) -> [Hash; LANES] {
        unreachable!("never available")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(seed: u8) -> Hash {
        std::array::from_fn(|i| seed.wrapping_mul(31).wrapping_add(i as u8))
    }

    #[test]
    fn fixed_shape_hashes_equal_plain_sha256() {
        for seed in 0u8..=255 {
            let a = sample(seed);
            let b: Hash = std::array::from_fn(|i| seed ^ (i as u8).wrapping_mul(7));
            assert_eq!(prefixed(0, &a), digest(&[&[0u8][..], &a].concat()));
            assert_eq!(prefixed(2, &b), digest(&[&[2u8][..], &b].concat()));
            assert_eq!(node(&a, &b), digest(&[&[1u8][..], &a, &b].concat()));
        }
        assert_eq!(prefixed(0, b"short"), digest(b"\x00short"));
    }

    /// Every batch length around the lane count, so that both the vector groups and the
    /// remainder are held to plain SHA-256.
    #[test]
    fn batched_hashes_equal_plain_sha256_for_every_length() {
        for n in 0..3 * LANES + 2 {
            let payloads: Vec<Hash> = (0..2 * n).map(|i| sample(i as u8)).collect();
            let mut out = vec![[0u8; 32]; n];
            leaves(0x00, &payloads[..n], &mut out);
            for (p, d) in payloads.iter().zip(&out) {
                assert_eq!(*d, digest(&[&[0u8][..], p].concat()));
            }
            leaves(0x02, &payloads[..n], &mut out);
            for (p, d) in payloads.iter().zip(&out) {
                assert_eq!(*d, digest(&[&[2u8][..], p].concat()));
            }
            nodes(&payloads, &mut out);
            for (pair, d) in payloads.chunks_exact(2).zip(&out) {
                assert_eq!(*d, digest(&[&[1u8][..], &pair[0], &pair[1]].concat()));
            }
            let values: Vec<f32> = (0..8 * n).map(|i| (i as f32 * 0.731).sin() * 1e3).collect();
            value_leaves(0x00, &values, &mut out);
            for (chunk, d) in values.chunks_exact(8).zip(&out) {
                let bytes: Vec<u8> = chunk.iter().flat_map(|v| v.to_le_bytes()).collect();
                assert_eq!(*d, digest(&[&[0u8][..], &bytes].concat()));
            }
        }
    }
}
