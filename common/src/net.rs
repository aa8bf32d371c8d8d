//! The peer-to-peer side shared by every node: blobs by hash over libp2p request-response
//! (DESIGN §8), on TCP with noise and yamux. A node runs one [`EventLoop`] that owns the swarm
//! and answers requests from its [`Source`]; the rest of the node talks to it through a cloned
//! [`Client`] (the rust-libp2p file-sharing example's shape: commands with a oneshot reply,
//! over a bounded channel). Every blob fetched is checked against its hash by the caller's
//! [`Source::check`] before it is handed back.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use libp2p::futures::StreamExt;
use libp2p::request_response::{self, OutboundRequestId, ProtocolSupport, cbor};
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId, StreamProtocol, Swarm, noise, tcp, yamux};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use crate::merkle::{Hash, HexHash};

/// The protocol name of blob requests.
pub const PROTOCOL: &str = "/poai/blobs/1";
/// The largest blob served (a checkpoint of a large model is tens of MiB).
pub const MAX_BLOB: u64 = 256 << 20;
/// Commands waiting for the event loop; senders wait when it is full.
const COMMANDS: usize = 64;

/// A request: the blob with this hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request(#[serde(with = "crate::serde_hex::hash")] pub Hash);

/// An answer: the blob's bytes, or that the peer does not have it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Response {
    Found(#[serde(with = "serde_bytes")] Vec<u8>),
    Missing,
}

/// Where a node's blobs come from, and how a fetched one is checked.
pub trait Source: Send + Sync + 'static {
    /// The blob with this hash, if this node has it.
    fn get(&self, hash: &Hash) -> Option<Vec<u8>>;
    /// Whether `bytes` is the blob with this hash.
    fn check(&self, hash: &Hash, bytes: &[u8]) -> bool;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("building the swarm: {0}")]
    Build(String),
    #[error("listening on {addr}: {reason}")]
    Listen { addr: Multiaddr, reason: String },
    #[error("peer {peer} does not have blob {hash}")]
    Missing { peer: PeerId, hash: HexHash },
    #[error("peer {peer} sent bytes that are not blob {hash}")]
    Corrupt { peer: PeerId, hash: HexHash },
    #[error("request to {peer} failed: {reason}")]
    Failed { peer: PeerId, reason: String },
    #[error("the network event loop has stopped")]
    Stopped,
}

type Behaviour = cbor::Behaviour<Request, Response>;

enum Command {
    Listen {
        addr: Multiaddr,
        reply: oneshot::Sender<Result<Multiaddr, Error>>,
    },
    Fetch {
        peer: PeerId,
        addr: Multiaddr,
        hash: Hash,
        reply: oneshot::Sender<Result<Vec<u8>, Error>>,
    },
}

/// A handle on a node's network; cheap to clone.
#[derive(Clone)]
pub struct Client {
    commands: mpsc::Sender<Command>,
    peer_id: PeerId,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("peer_id", &self.peer_id)
            .finish()
    }
}

/// A fetch waiting for its answer: the blob's hash and where the result goes.
type Pending = (PeerId, Hash, oneshot::Sender<Result<Vec<u8>, Error>>);

/// The task that owns the swarm. Run it with [`EventLoop::run`] on the tokio runtime.
pub struct EventLoop {
    swarm: Swarm<Behaviour>,
    commands: mpsc::Receiver<Command>,
    source: Arc<dyn Source>,
    listening: Option<(Multiaddr, oneshot::Sender<Result<Multiaddr, Error>>)>,
    pending: HashMap<OutboundRequestId, Pending>,
}

impl std::fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventLoop")
            .field("peer_id", self.swarm.local_peer_id())
            .field("pending", &self.pending.len())
            .finish()
    }
}

/// A new node identity, its client and its event loop.
pub fn new(source: Arc<dyn Source>) -> Result<(Client, EventLoop), Error> {
    let codec = cbor::codec::Codec::default()
        .set_request_size_maximum(1 << 10)
        .set_response_size_maximum(MAX_BLOB + (1 << 10));
    let swarm = libp2p::SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|e| Error::Build(e.to_string()))?
        .with_behaviour(|_| {
            request_response::Behaviour::with_codec(
                codec,
                [(StreamProtocol::new(PROTOCOL), ProtocolSupport::Full)],
                request_response::Config::default().with_request_timeout(Duration::from_secs(120)),
            )
        })
        .map_err(|e| Error::Build(e.to_string()))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(60)))
        .build();
    let (tx, rx) = mpsc::channel(COMMANDS);
    let peer_id = *swarm.local_peer_id();
    Ok((
        Client {
            commands: tx,
            peer_id,
        },
        EventLoop {
            swarm,
            commands: rx,
            source,
            listening: None,
            pending: HashMap::new(),
        },
    ))
}

impl Client {
    pub fn peer_id(&self) -> PeerId {
        self.peer_id
    }

    /// Starts listening on `addr` (e.g. `/ip4/127.0.0.1/tcp/0`); returns the address bound.
    pub async fn listen(&self, addr: Multiaddr) -> Result<Multiaddr, Error> {
        let (reply, rx) = oneshot::channel();
        self.send(Command::Listen { addr, reply }).await?;
        rx.await.map_err(|_| Error::Stopped)?
    }

    /// Fetches the blob with `hash` from `peer` at `addr`, checked against its hash.
    pub async fn fetch(&self, peer: PeerId, addr: Multiaddr, hash: Hash) -> Result<Vec<u8>, Error> {
        let (reply, rx) = oneshot::channel();
        self.send(Command::Fetch {
            peer,
            addr,
            hash,
            reply,
        })
        .await?;
        rx.await.map_err(|_| Error::Stopped)?
    }

    async fn send(&self, command: Command) -> Result<(), Error> {
        self.commands
            .send(command)
            .await
            .map_err(|_| Error::Stopped)
    }
}

impl EventLoop {
    /// Runs until every [`Client`] is dropped.
    pub async fn run(mut self) {
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_event(event),
                command = self.commands.recv() => match command {
                    Some(c) => self.on_command(c),
                    None => return,
                },
            }
        }
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Listen { addr, reply } => match self.swarm.listen_on(addr.clone()) {
                Ok(_) => self.listening = Some((addr, reply)),
                Err(e) => {
                    let _ = reply.send(Err(Error::Listen {
                        addr,
                        reason: e.to_string(),
                    }));
                }
            },
            Command::Fetch {
                peer,
                addr,
                hash,
                reply,
            } => {
                self.swarm.add_peer_address(peer, addr);
                let id = self
                    .swarm
                    .behaviour_mut()
                    .send_request(&peer, Request(hash));
                self.pending.insert(id, (peer, hash, reply));
            }
        }
    }

    fn on_event(&mut self, event: SwarmEvent<request_response::Event<Request, Response>>) {
        match event {
            SwarmEvent::NewListenAddr { address, .. } => {
                if let Some((_, reply)) = self.listening.take() {
                    let _ = reply.send(Ok(address));
                }
            }
            SwarmEvent::Behaviour(request_response::Event::Message { peer, message, .. }) => {
                match message {
                    request_response::Message::Request {
                        request, channel, ..
                    } => {
                        let response = match self.source.get(&request.0) {
                            Some(bytes) => Response::Found(bytes),
                            None => Response::Missing,
                        };
                        // A peer that hung up no longer wants the answer.
                        let _ = self.swarm.behaviour_mut().send_response(channel, response);
                    }
                    request_response::Message::Response {
                        request_id,
                        response,
                    } => {
                        if let Some((_, hash, reply)) = self.pending.remove(&request_id) {
                            let result = match response {
                                Response::Found(bytes) if self.source.check(&hash, &bytes) => {
                                    Ok(bytes)
                                }
                                Response::Found(_) => Err(Error::Corrupt {
                                    peer,
                                    hash: HexHash(hash),
                                }),
                                Response::Missing => Err(Error::Missing {
                                    peer,
                                    hash: HexHash(hash),
                                }),
                            };
                            let _ = reply.send(result);
                        }
                    }
                }
            }
            SwarmEvent::Behaviour(request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            }) => {
                if let Some((_, _, reply)) = self.pending.remove(&request_id) {
                    let _ = reply.send(Err(Error::Failed {
                        peer,
                        reason: error.to_string(),
                    }));
                }
            }
            _ => {}
        }
    }
}
