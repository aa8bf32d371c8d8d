//! The node's local pieces: the blob store checks what it keeps and serves, durable state
//! survives a reopen, metrics render in the Prometheus text format.

use poai_common::blob::{self, Kind};
use poai_common::tensor::Tensor;
use poai_node::durable::Durable;
use poai_node::metrics::Metrics;
use poai_node::net::Source;
use poai_node::store::Store;

fn dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("poai-node-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn the_store_names_blobs_by_their_commitment_and_serves_them_unless_withholding() {
    let store = Store::open(dir("store")).expect("opens");
    let state = vec![
        Tensor::new(2, 2, vec![1.0, 2.0, 3.0, 4.0]).expect("2×2"),
        Tensor::vector(vec![0.5]).expect("1"),
    ];
    let bytes = blob::encode_tensors(&state);
    let hash = store.put(Kind::State, &bytes).expect("a state");
    assert_eq!(hash, poai_common::engine::state_hash(&state));
    // The same file training writes: the checkpoint store reads it back.
    let checkpoints = store.checkpoints().expect("the state dir");
    assert_eq!(checkpoints.get(&hash).expect("a checkpoint"), state);
    assert_eq!(store.get(Kind::State, &hash), Some(bytes.clone()));
    assert_eq!(store.get(Kind::Trace, &hash), None, "kinds are separate");

    // Bytes that are not a blob of the kind are refused, not stored.
    assert!(store.put(Kind::Dataset, &bytes).is_err(), "two tensors");
    assert!(store.put(Kind::State, &bytes[..bytes.len() - 1]).is_err());

    let spec = store
        .put(Kind::Spec, b"{}")
        .expect("any bytes are a spec blob");
    store.withhold();
    assert_eq!(
        store.get(Kind::State, &hash),
        None,
        "a withholding node serves no state"
    );
    assert!(
        store.get(Kind::Spec, &spec).is_some(),
        "but still the task's spec"
    );
    assert!(
        store.read(Kind::State, &hash).is_some(),
        "and keeps it for itself"
    );
}

/// Two tasks of one node fetch the same blob at once (a verifier checking two segments
/// fetches the checkpoint list twice): every put succeeds, the blob is whole, and no temporary
/// file is left. With one temporary name per blob the second rename found it gone.
#[test]
fn the_same_blob_put_from_many_threads_at_once_is_stored_once_whole() {
    let store = Store::open(dir("racing")).expect("opens");
    let bytes = blob::encode_hashes(&[[7; 32]; 1000]);
    let hash = blob::name(Kind::Hashes, &bytes).expect("a hash list");
    for _ in 0..20 {
        let _ = std::fs::remove_dir_all(store.root().join(Kind::Hashes.name()));
        std::fs::create_dir_all(store.root().join(Kind::Hashes.name())).expect("dir");
        let barrier = std::sync::Barrier::new(8);
        let results: Vec<_> = std::thread::scope(|s| {
            let puts: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        barrier.wait();
                        store.put_fetched(Kind::Hashes, &hash, &bytes)
                    })
                })
                .collect();
            puts.into_iter()
                .map(|p| p.join().expect("no panic"))
                .collect()
        });
        for r in results {
            r.expect("every put succeeds");
        }
        assert_eq!(store.read(Kind::Hashes, &hash), Some(bytes.clone()));
        let names: Vec<_> = std::fs::read_dir(store.root().join(Kind::Hashes.name()))
            .expect("listed")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names.len(), 1, "only the blob: {names:?}");
    }
}

/// States that training packed into one file are served like states in files of their own,
/// and withheld like them.
#[test]
fn the_store_serves_states_from_a_pack() {
    let store = Store::open(dir("packed")).expect("opens");
    let states: Vec<Vec<Tensor>> = (0..5)
        .map(|i| vec![Tensor::new(3, 2, vec![i as f32; 6]).expect("3×2")])
        .collect();
    let state_dir = store.root().join(Kind::State.name());
    let mut pack = poai_common::pack::Writer::create(&state_dir).expect("a pack");
    for s in &states {
        pack.append(&poai_common::engine::state_hash(s), s)
            .expect("appended");
    }
    pack.flush().expect("written");
    for s in &states {
        let hash = poai_common::engine::state_hash(s);
        assert!(store.has(Kind::State, &hash));
        assert_eq!(store.get(Kind::State, &hash), Some(blob::encode_tensors(s)));
        assert_eq!(
            &store
                .checkpoints()
                .expect("states")
                .get(&hash)
                .expect("loads"),
            s
        );
    }
    assert_eq!(store.get(Kind::State, &[9; 32]), None, "nothing else");
    store.withhold();
    let first = poai_common::engine::state_hash(&states[0]);
    assert_eq!(store.get(Kind::State, &first), None, "withheld");
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, PartialEq)]
struct Counter {
    n: u64,
}

#[test]
fn durable_state_survives_a_reopen_and_a_corrupt_file_is_an_error() {
    let d = dir("durable");
    std::fs::create_dir_all(&d).expect("a dir");
    let path = d.join("state.json");
    let s: Durable<Counter> = Durable::open(&path).expect("a new state");
    assert_eq!(s.get(), Counter { n: 0 });
    s.update(|c| c.n = 7).expect("written");
    drop(s);
    let again: Durable<Counter> = Durable::open(&path).expect("reopened");
    assert_eq!(again.get(), Counter { n: 7 });
    std::fs::write(&path, b"{ not json").expect("written");
    assert!(Durable::<Counter>::open(&path).is_err());
}

#[test]
fn metrics_render_as_prometheus_text() {
    let m = Metrics::default();
    m.inc("poai_steps_trained", "training steps run", 2.0);
    m.inc("poai_steps_trained", "training steps run", 3.0);
    m.set("poai_blobs_served", "blob requests answered", 4.0);
    let text = m.render();
    assert!(
        text.contains("# TYPE poai_steps_trained counter\npoai_steps_trained 5\n"),
        "{text}"
    );
    assert!(
        text.contains("# TYPE poai_blobs_served gauge\npoai_blobs_served 4\n"),
        "{text}"
    );
    assert!(
        text.contains("# HELP poai_steps_trained training steps run\n"),
        "{text}"
    );
}
