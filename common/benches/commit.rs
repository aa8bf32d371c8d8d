//! Committing to a 64 MiB tensor against plain SHA-256 over the same bytes on one core, in the
//! same run (docs/BENCHMARKS.md): `cargo bench -p poai-common --bench commit`.
//!
//! The commitment hashes every 32-byte chunk as its own leaf (one SHA-256 compression per 32
//! bytes) and then every inner node (two compressions per node, about one node per leaf), while
//! plain SHA-256 compresses once per 64 bytes: the format does six times the compressions, so
//! one core can reach at most about 1/6 of plain SHA-256. The ratio to that ceiling is printed.

use std::hint::black_box;
use std::time::{Duration, Instant};

use poai_common::tensor::Tensor;
use sha2::{Digest, Sha256};

const ROWS: usize = 4096;
const COLS: usize = 4096; // 4096 × 4096 × 4 bytes = 64 MiB
const RUNS: usize = 5;

fn best<T>(mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..RUNS {
        let start = Instant::now();
        let v = black_box(f());
        best = best.min(start.elapsed());
        out = Some(v);
    }
    (best, out.expect("RUNS > 0"))
}

fn main() {
    let data: Vec<f32> = (0..ROWS * COLS)
        .map(|i| (i as f32 * 0.618_034).sin())
        .collect();
    let bytes: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
    let tensor = Tensor::new(ROWS, COLS, data).expect("valid shape");
    let mib = bytes.len() as f64 / (1024.0 * 1024.0);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());

    let (plain, _) = best(|| Sha256::digest(&bytes));
    let (one, c1) = best(|| tensor.commit_with_threads(1));
    let (all, call) = best(|| tensor.commit_with_threads(threads));
    assert_eq!(c1, call, "the thread count never changes a commitment");

    let rate = |d: Duration| mib / d.as_secs_f64();
    let ceiling = 1.0 / 6.0;
    println!("64 MiB tensor ({ROWS}x{COLS} f32), best of {RUNS} runs");
    println!("plain SHA-256, 1 core:        {:8.1} MiB/s", rate(plain));
    for (label, d) in [("commit, 1 thread:", one), ("commit, all threads:", all)] {
        let ratio = rate(d) / rate(plain);
        println!(
            "{label:<29} {:8.1} MiB/s  = {ratio:.3} of plain SHA-256 ({:.2} of the format's 1-core ceiling of 1/6)",
            rate(d),
            ratio / ceiling,
        );
    }
    println!("threads available: {threads}");
    println!("tensorHash: 0x{}", hex::encode(c1.hash));
}
