//! The README's demo, run for real: the `poai` binary commits to the digits data set, starts
//! anvil, deploys the checker and has it judge honest and tampered rows.

use std::process::Command;

#[test]
fn demo_proves_a_batch_on_chain_and_rejects_tampered_rows() {
    let out = Command::new(env!("CARGO_BIN_EXE_poai"))
        .args(["--json", "demo", "--batch", "6", "--seed", "0x01"])
        .env("RUST_LOG", "warn")
        .output()
        .expect("poai runs");
    assert!(
        out.status.success(),
        "poai demo failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");

    // The commitment is the one Rust computes for the file, not a constant.
    let dataset = poai_common::dataset::Dataset::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/digits.csv.gz"),
    )
    .expect("the digits data set loads");
    let expected = format!("0x{}", hex::encode(dataset.tensor.commit().hash));
    assert_eq!(summary["dataset"]["datasetHash"], expected.as_str());
    assert_eq!(summary["dataset"]["examples"], 1797);

    let rows = summary["batch"]["rows"].as_array().expect("batch rows");
    let seed = {
        let mut s = [0u8; 32];
        s[31] = 1;
        s
    };
    let picked = poai_common::batch::rows(&seed, 0, 6, 1797);
    assert_eq!(rows.len(), 6);
    for (row, want) in rows.iter().zip(picked) {
        assert_eq!(row["datasetRow"], want);
        assert!(row["gas"].as_u64().expect("gas") > 21_000);
    }

    let cheats = summary["cheats"].as_array().expect("cheats");
    assert_eq!(cheats.len(), 2);
    for c in cheats {
        let reason = c["rejected"].as_str().expect("a reason");
        assert!(reason.starts_with("RootMismatch"), "{c}");
    }

    // The fraud proof: the deployed prover finds the lr × 1.01 trace a fraud, the honest one not.
    let fraud = &summary["fraudProof"];
    assert_eq!(fraud["kind"], "sgd_update", "{fraud}");
    let proofs = fraud["proofs"].as_array().expect("proofs");
    assert_eq!(proofs.len(), 2);
    assert_eq!(proofs[0]["trace"], "honest");
    assert_eq!(proofs[0]["fraud"], false);
    assert_eq!(proofs[1]["fraud"], true);
}
