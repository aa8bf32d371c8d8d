//! Blob transfer over libp2p on loopback (request-response on TCP + noise + yamux, the fetched
//! blob checked against its name) against a plain TCP copy of the same bytes in the same run,
//! with and without the same SHA-256 check. `cargo bench -p poai-node --bench transfer`.

use std::sync::Arc;
use std::time::Instant;

use poai_common::blob::Kind;
use poai_common::merkle::Hash;
use poai_node::net::{self, Source};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct One(Hash, Vec<u8>);

impl Source for One {
    fn get(&self, _: Kind, hash: &Hash) -> Option<Vec<u8>> {
        (*hash == self.0).then(|| self.1.clone())
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    const RUNS: usize = 7;
    for mib in [1usize, 16, 64] {
        let bytes: Vec<u8> = (0..mib << 20).map(|i| (i * 31 % 251) as u8).collect();
        let hash: Hash = Sha256::digest(&bytes).into();
        let server_source = Arc::new(One(hash, bytes.clone()));
        let (server, server_loop) = net::new(server_source).expect("a swarm");
        tokio::spawn(server_loop.run());
        let addr = server
            .listen("/ip4/127.0.0.1/tcp/0".parse().expect("an address"))
            .await
            .expect("listening");
        let (client, client_loop) = net::new(Arc::new(One([0; 32], Vec::new()))).expect("a swarm");
        tokio::spawn(client_loop.run());
        client
            .dial(addr.with(libp2p::multiaddr::Protocol::P2p(server.peer_id())))
            .await
            .expect("connected");

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let tcp_addr = listener.local_addr().expect("bound");
        let payload = bytes.clone();
        tokio::spawn(async move {
            loop {
                let (mut s, _) = listener.accept().await.expect("accepted");
                let p = payload.clone();
                tokio::spawn(async move {
                    let _ = s.write_all(&p).await;
                });
            }
        });

        let (mut p2p, mut tcp, mut tcp_sha) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..RUNS {
            let t = Instant::now();
            let got = client.fetch(Kind::Spec, hash).await.expect("the blob");
            p2p.push(t.elapsed().as_secs_f64());
            assert_eq!(got.len(), bytes.len());

            let t = Instant::now();
            let mut s = tokio::net::TcpStream::connect(tcp_addr)
                .await
                .expect("connected");
            let mut got = Vec::with_capacity(bytes.len());
            s.read_to_end(&mut got).await.expect("read");
            tcp.push(t.elapsed().as_secs_f64());
            assert_eq!(got.len(), bytes.len());
            let h: Hash = Sha256::digest(&got).into();
            assert_eq!(h, hash);
            tcp_sha.push(t.elapsed().as_secs_f64());
        }
        let mbs = |s: f64| mib as f64 / s;
        let (p, t, ts) = (median(p2p), median(tcp), median(tcp_sha));
        println!(
            "{mib:>3} MiB  libp2p {:>7.1} ms ({:>6.0} MiB/s)  tcp {:>7.1} ms ({:>6.0} MiB/s)  tcp+sha256 {:>7.1} ms ({:>6.0} MiB/s)  libp2p/tcp+sha256 {:.2}",
            p * 1e3,
            mbs(p),
            t * 1e3,
            mbs(t),
            ts * 1e3,
            mbs(ts),
            p / ts
        );
    }
}
