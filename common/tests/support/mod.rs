//! What the integration tests share: the digits data set as the tasks use it.

use std::path::Path;

use poai_common::dataset::Dataset;

/// data/digits.csv.gz with its pixel counts 0..16 scaled to 0..1 (exact: a power of two), split
/// into the first 1500 examples (training) and the last 297 (held out).
pub(crate) fn digits() -> (Dataset, Dataset) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/digits.csv.gz");
    let all = Dataset::load(&path).expect("digits loads");
    all.scale_features(1.0 / 16.0)
        .split(1500)
        .expect("1500 + 297")
}
