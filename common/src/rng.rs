//! SplitMix64: a small generator with a fixed algorithm, so that everything seeded with it
//! (initial weights, test vectors) is the same on every machine and in every version.

#[derive(Debug, Clone)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Uniform in `[-1, 1)`, from the top 24 bits (exact in f32).
    pub fn symmetric_unit(&mut self) -> f32 {
        let top = (self.next_u64() >> 40) as u32; // 24 bits
        top as f32 / (1u32 << 23) as f32 - 1.0
    }
}
