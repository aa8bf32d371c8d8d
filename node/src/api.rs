//! The node's HTTP API (axum): `GET /health`, `GET /metrics` (Prometheus text), `GET /status`
//! (the role's view of its tasks and games, JSON), `GET /blobs/{kind}/{hash}` (what the node
//! serves over libp2p, for people and scripts), and `POST /blobs/{kind}` (a submitter hands a
//! spec or data set to the network: checked, stored, announced).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use poai_common::blob::{self, Kind};

use crate::Node;

pub async fn serve(node: Arc<Node>, addr: SocketAddr) -> eyre::Result<SocketAddr> {
    let app = Router::new()
        .route("/health", get(|| async { "ok\n" }))
        .route("/metrics", get(metrics))
        .route("/status", get(status))
        .route("/blobs/{kind}/{hash}", get(get_blob))
        .route("/blobs/{kind}", axum::routing::post(post_blob))
        .layer(DefaultBodyLimit::max(blob::MAX_BLOB))
        .with_state(node);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the HTTP API stopped");
        }
    });
    Ok(bound)
}

async fn metrics(State(node): State<Arc<Node>>) -> Response {
    node.metrics.set(
        "poai_blobs_served",
        "blob requests answered over libp2p",
        node.served.load(std::sync::atomic::Ordering::Relaxed) as f64,
    );
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        node.metrics.render(),
    )
        .into_response()
}

async fn status(State(node): State<Arc<Node>>) -> Response {
    let role = node.status.read().expect("not poisoned").clone();
    axum::Json(serde_json::json!({
        "role": node.role,
        "address": node.chain.address.to_string(),
        "peerId": node.net.peer_id().to_string(),
        "listen": node.listen.to_string(),
        "market": node.chain.market.address().to_string(),
        "state": role,
    }))
    .into_response()
}

fn bad(status: StatusCode, why: impl std::fmt::Display) -> Response {
    (status, format!("{why}\n")).into_response()
}

async fn get_blob(
    State(node): State<Arc<Node>>,
    Path((kind, hash)): Path<(String, String)>,
) -> Response {
    let kind: Kind = match kind.parse() {
        Ok(k) => k,
        Err(e) => return bad(StatusCode::BAD_REQUEST, e),
    };
    let hash = match hex::decode(hash.trim_start_matches("0x"))
        .ok()
        .and_then(|h| <[u8; 32]>::try_from(h).ok())
    {
        Some(h) => h,
        None => return bad(StatusCode::BAD_REQUEST, "a hash is 32 bytes of hex"),
    };
    match crate::net::Source::get(&*node.store, kind, &hash) {
        Some(bytes) => bytes.into_response(),
        None => bad(
            StatusCode::NOT_FOUND,
            format!("no {kind} 0x{}", hex::encode(hash)),
        ),
    }
}

async fn post_blob(
    State(node): State<Arc<Node>>,
    Path(kind): Path<String>,
    body: Bytes,
) -> Response {
    let kind: Kind = match kind.parse() {
        Ok(k) => k,
        Err(e) => return bad(StatusCode::BAD_REQUEST, e),
    };
    if !matches!(kind, Kind::Spec | Kind::Dataset) {
        return bad(
            StatusCode::BAD_REQUEST,
            "only specs and data sets are submitted; nodes compute the rest",
        );
    }
    if kind == Kind::Spec
        && let Err(e) = poai_common::spec::TaskSpec::from_bytes(&body)
    {
        return bad(StatusCode::UNPROCESSABLE_ENTITY, e);
    }
    match node.store.put(kind, &body) {
        Ok(hash) => {
            let _ = node.net.announce(kind, hash).await;
            axum::Json(
                serde_json::json!({ "kind": kind, "hash": format!("0x{}", hex::encode(hash)) }),
            )
            .into_response()
        }
        Err(e) => bad(StatusCode::UNPROCESSABLE_ENTITY, e),
    }
}
