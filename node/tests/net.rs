//! Blobs by kind and hash between real libp2p nodes on 127.0.0.1 (TCP, noise, yamux): fetched
//! from whoever has them, checked against their name.

use std::collections::HashMap;
use std::sync::Arc;

use poai_common::blob::Kind;
use poai_common::merkle::Hash;
use poai_node::net::{self, Error, Source};
use sha2::{Digest, Sha256};

/// Blobs addressed by their SHA-256; `lie` serves other bytes than asked for.
struct Store {
    blobs: HashMap<Hash, Vec<u8>>,
    lie: bool,
}

/// A peer that never answers: its event loop blocks in the first `get`.
struct Silent;

impl Source for Silent {
    fn get(&self, _kind: Kind, _hash: &Hash) -> Option<Vec<u8>> {
        std::thread::sleep(std::time::Duration::from_secs(3600));
        None
    }
}

impl Source for Store {
    fn get(&self, _kind: Kind, hash: &Hash) -> Option<Vec<u8>> {
        let mut bytes = self.blobs.get(hash)?.clone();
        if self.lie {
            bytes[0] ^= 1;
        }
        Some(bytes)
    }
}

fn store(blobs: &[Vec<u8>], lie: bool) -> Arc<Store> {
    Arc::new(Store {
        blobs: blobs
            .iter()
            .map(|b| (<[u8; 32]>::from(Sha256::digest(b)), b.clone()))
            .collect(),
        lie,
    })
}

async fn node(source: Arc<Store>) -> (net::Client, libp2p::Multiaddr) {
    let (client, event_loop) = net::new(source).expect("a swarm");
    tokio::spawn(event_loop.run());
    let addr = client
        .listen("/ip4/127.0.0.1/tcp/0".parse().expect("an address"))
        .await
        .expect("listening");
    (client, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blob_crosses_the_network_checked_and_a_missing_or_forged_one_is_an_error() {
    let blob: Vec<u8> = (0..3_000_000u32).map(|i| (i * 31 % 251) as u8).collect();
    let hash: Hash = Sha256::digest(&blob).into();
    let (server, server_addr) = node(store(std::slice::from_ref(&blob), false)).await;
    let (client, _) = node(store(&[], false)).await;

    client
        .dial(with_peer(&server_addr, &server))
        .await
        .expect("connected");
    let got = client.fetch(Kind::Spec, hash).await.expect("the blob");
    assert_eq!(got, blob);

    let missing = client
        .fetch_from(server.peer_id(), Kind::Spec, [7; 32])
        .await
        .expect_err("no such blob");
    assert!(matches!(missing, Error::Missing { .. }), "{missing}");
    let nobody = client
        .fetch(Kind::Spec, [7; 32])
        .await
        .expect_err("no such blob anywhere");
    assert!(
        matches!(nobody, Error::Unavailable { asked: 1, .. }),
        "{nobody}"
    );

    // A peer that serves other bytes under the hash is caught by the check.
    let (liar, liar_addr) = node(store(std::slice::from_ref(&blob), true)).await;
    client
        .dial(with_peer(&liar_addr, &liar))
        .await
        .expect("connected");
    let forged = client
        .fetch_from(liar.peer_id(), Kind::Spec, hash)
        .await
        .expect_err("forged bytes");
    assert!(matches!(forged, Error::Corrupt { .. }), "{forged}");
    // Asking everyone still finds the honest copy.
    assert_eq!(
        client
            .fetch(Kind::Spec, hash)
            .await
            .expect("from the honest peer"),
        blob
    );
}

fn with_peer(addr: &libp2p::Multiaddr, node: &net::Client) -> libp2p::Multiaddr {
    addr.clone()
        .with(libp2p::multiaddr::Protocol::P2p(node.peer_id()))
}

/// AUDIT M2: a peer that announces a blob and then never answers holds up no fetch while another
/// peer has it. It is asked first (announcers are); the fetch must not wait out its 120 s
/// request timeout. (The bound below is far above a local fetch and far below that timeout.)
#[test]
fn a_silent_announcer_does_not_hold_up_a_fetch() {
    let blob: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 253) as u8).collect();
    let hash: Hash = Sha256::digest(&blob).into();
    // The silent peer runs on a runtime of its own: its event loop will block.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().expect("a runtime");
        rt.block_on(async move {
            let (client, event_loop) = net::new(Arc::new(Silent)).expect("a swarm");
            tokio::spawn(event_loop.run());
            let addr = client
                .listen("/ip4/127.0.0.1/tcp/0".parse().expect("an address"))
                .await
                .expect("listening");
            tx.send((client.clone(), addr)).expect("sent");
            std::future::pending::<()>().await;
        });
    });
    let (silent, silent_addr) = rx.recv().expect("the silent peer");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async move {
        let (honest, honest_addr) = node(store(std::slice::from_ref(&blob), false)).await;
        let (client, _) = node(store(&[], false)).await;
        client
            .dial(with_peer(&silent_addr, &silent))
            .await
            .expect("connected");
        client
            .dial(with_peer(&honest_addr, &honest))
            .await
            .expect("connected");
        // The silent peer claims the blob, so it is among the first asked.
        silent.announce(Kind::Spec, hash).await.expect("announced");
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        let got = tokio::time::timeout(
            std::time::Duration::from_secs(60),
            client.fetch(Kind::Spec, hash),
        )
        .await
        .expect("not held up by the silent peer")
        .expect("the blob");
        assert_eq!(got, blob);
    });
}
