//! The peer-to-peer side of a node (DESIGN §8): libp2p on TCP with noise and yamux, and three
//! behaviours —
//!
//! - request-response (`/poai/blobs/1`, CBOR): blobs by kind and hash; every blob fetched is
//!   checked against its name ([`poai_common::blob::check`]) before it is handed back, so a peer
//!   can withhold but never forge;
//! - gossipsub (topic `poai/announce/1`): nodes announce the blobs they can serve, and a fetch
//!   asks the announcers first;
//! - identify: peers learn each other's listen addresses, so a node that restarts is found
//!   again.
//!
//! A node runs one [`EventLoop`] that owns the swarm; the rest of it talks to the loop through a
//! cloned [`Client`] (commands with a oneshot reply over a bounded channel, the shape of
//! rust-libp2p's file-sharing example).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use libp2p::futures::StreamExt;
use libp2p::request_response::{self, OutboundRequestId, ProtocolSupport, cbor};
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{
    Multiaddr, PeerId, StreamProtocol, Swarm, gossipsub, identify, identity, noise, tcp, yamux,
};
use poai_common::blob::{self, Kind};
use poai_common::merkle::{Hash, HexHash};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

/// The protocol name of blob requests.
pub const PROTOCOL: &str = "/poai/blobs/1";
/// The gossipsub topic of announcements.
pub const TOPIC: &str = "poai/announce/1";
/// Commands waiting for the event loop; senders wait when it is full.
const COMMANDS: usize = 64;
/// Peers asked for one blob at once.
pub const PARALLEL: usize = 32;

/// A request: the blob of this kind with this name.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    pub kind: Kind,
    #[serde(with = "hash_bytes")]
    pub hash: Hash,
}

/// An answer: the blob's bytes, or that the peer does not have it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Response {
    Found(#[serde(with = "serde_bytes")] Vec<u8>),
    Missing,
}

/// What nodes gossip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Announcement {
    /// The sender serves this blob.
    Have {
        kind: Kind,
        #[serde(with = "hash_bytes")]
        hash: Hash,
    },
}

/// Where a node's blobs come from.
pub trait Source: Send + Sync + 'static {
    /// The blob of this kind and name, if this node has it (and is willing to serve it).
    fn get(&self, kind: Kind, hash: &Hash) -> Option<Vec<u8>>;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("building the swarm: {0}")]
    Build(String),
    #[error("listening on {addr}: {reason}")]
    Listen { addr: Multiaddr, reason: String },
    #[error("dialing {addr}: {reason}")]
    Dial { addr: Multiaddr, reason: String },
    #[error("peer {peer} does not have {kind} {hash}")]
    Missing {
        peer: PeerId,
        kind: Kind,
        hash: HexHash,
    },
    #[error("no connected peer has {kind} {hash} ({asked} asked)")]
    Unavailable {
        kind: Kind,
        hash: HexHash,
        asked: usize,
    },
    #[error("peer {peer} sent bytes that are not {kind} {hash}: {why}")]
    Corrupt {
        peer: PeerId,
        kind: Kind,
        hash: HexHash,
        why: Box<blob::Error>,
    },
    #[error("request to {peer} failed: {reason}")]
    Failed { peer: PeerId, reason: String },
    #[error("the network event loop has stopped")]
    Stopped,
}

#[derive(NetworkBehaviour)]
struct Behaviour {
    blobs: cbor::Behaviour<Request, Response>,
    gossip: gossipsub::Behaviour,
    identify: identify::Behaviour,
}

enum Command {
    Listen {
        addr: Multiaddr,
        reply: oneshot::Sender<Result<Multiaddr, Error>>,
    },
    Dial {
        addr: Multiaddr,
        reply: oneshot::Sender<Result<(), Error>>,
    },
    Fetch {
        peer: PeerId,
        request: Request,
        reply: oneshot::Sender<Result<Vec<u8>, Error>>,
    },
    /// Announcers of the blob first, then every other connected peer.
    Candidates {
        kind: Kind,
        hash: Hash,
        reply: oneshot::Sender<Vec<PeerId>>,
    },
    Announce(Announcement),
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

type Pending = (PeerId, Request, oneshot::Sender<Result<Vec<u8>, Error>>);

/// The task that owns the swarm. Run it with [`EventLoop::run`] on the tokio runtime.
pub struct EventLoop {
    swarm: Swarm<Behaviour>,
    commands: mpsc::Receiver<Command>,
    source: Arc<dyn Source>,
    topic: gossipsub::IdentTopic,
    listening: Option<oneshot::Sender<Result<Multiaddr, Error>>>,
    dialing: HashMap<libp2p::swarm::ConnectionId, oneshot::Sender<Result<(), Error>>>,
    pending: HashMap<OutboundRequestId, Pending>,
    providers: HashMap<(Kind, Hash), HashSet<PeerId>>,
    connected: HashSet<PeerId>,
    served: Arc<std::sync::atomic::AtomicU64>,
}

impl std::fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventLoop")
            .field("peer_id", self.swarm.local_peer_id())
            .field("pending", &self.pending.len())
            .finish()
    }
}

/// A node with a new random identity.
pub fn new(source: Arc<dyn Source>) -> Result<(Client, EventLoop), Error> {
    with_identity(source, identity::Keypair::generate_ed25519())
}

/// A node with this identity, its client and its event loop.
pub fn with_identity(
    source: Arc<dyn Source>,
    keypair: identity::Keypair,
) -> Result<(Client, EventLoop), Error> {
    let build = |e: &dyn std::fmt::Display| Error::Build(e.to_string());
    let codec = cbor::codec::Codec::default()
        .set_request_size_maximum(1 << 10)
        .set_response_size_maximum(blob::MAX_BLOB as u64 + (1 << 10));
    let gossip_config = gossipsub::ConfigBuilder::default()
        .heartbeat_interval(Duration::from_millis(500))
        .validation_mode(gossipsub::ValidationMode::Strict)
        .max_transmit_size(4 << 10)
        .build()
        .map_err(|e| build(&e))?;
    let mut swarm = libp2p::SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|e| build(&e))?
        .with_behaviour(|key| {
            Ok(Behaviour {
                blobs: request_response::Behaviour::with_codec(
                    codec,
                    [(StreamProtocol::new(PROTOCOL), ProtocolSupport::Full)],
                    request_response::Config::default()
                        .with_request_timeout(Duration::from_secs(120)),
                ),
                gossip: gossipsub::Behaviour::new(
                    gossipsub::MessageAuthenticity::Signed(key.clone()),
                    gossip_config,
                )?,
                identify: identify::Behaviour::new(identify::Config::new(
                    "/poai/1".into(),
                    key.public(),
                )),
            })
        })
        .map_err(|e| build(&e))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(3600)))
        .build();
    let topic = gossipsub::IdentTopic::new(TOPIC);
    swarm
        .behaviour_mut()
        .gossip
        .subscribe(&topic)
        .map_err(|e| build(&e))?;
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
            topic,
            listening: None,
            dialing: HashMap::new(),
            pending: HashMap::new(),
            providers: HashMap::new(),
            connected: HashSet::new(),
            served: Arc::default(),
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

    /// Connects to a peer (a bootstrap address, `/ip4/…/tcp/…/p2p/<id>`); returns once the
    /// connection is up.
    pub async fn dial(&self, addr: Multiaddr) -> Result<(), Error> {
        let (reply, rx) = oneshot::channel();
        self.send(Command::Dial { addr, reply }).await?;
        rx.await.map_err(|_| Error::Stopped)?
    }

    /// Fetches a blob from one peer, checked against its name.
    pub async fn fetch_from(&self, peer: PeerId, kind: Kind, hash: Hash) -> Result<Vec<u8>, Error> {
        let (reply, rx) = oneshot::channel();
        let request = Request { kind, hash };
        self.send(Command::Fetch {
            peer,
            request,
            reply,
        })
        .await?;
        rx.await.map_err(|_| Error::Stopped)?
    }

    /// Fetches a blob from whoever has it: up to [`PARALLEL`] candidates at once (the peers that
    /// announced it first, then every other connected peer), the first checked answer wins. A
    /// silent peer (one that announces what it never serves, and never answers) holds up no
    /// fetch while another peer has the blob (AUDIT M2).
    pub async fn fetch(&self, kind: Kind, hash: Hash) -> Result<Vec<u8>, Error> {
        self.fetch_accepted(kind, hash, |_| true).await
    }

    /// [`Client::fetch`], taking only an answer that `accept` takes too: a blob named by the
    /// question it answers (a segment index) is checked against the chain by its receiver, and
    /// a peer's forged answer must not end the search for the solver's.
    pub async fn fetch_accepted(
        &self,
        kind: Kind,
        hash: Hash,
        accept: impl Fn(&[u8]) -> bool,
    ) -> Result<Vec<u8>, Error> {
        use libp2p::futures::stream::FuturesUnordered;
        let (reply, rx) = oneshot::channel();
        self.send(Command::Candidates { kind, hash, reply }).await?;
        let peers = rx.await.map_err(|_| Error::Stopped)?;
        let asked = peers.len();
        let mut rest = peers.into_iter();
        let mut pending = FuturesUnordered::new();
        loop {
            while pending.len() < PARALLEL {
                let Some(peer) = rest.next() else { break };
                pending.push(async move { (peer, self.fetch_from(peer, kind, hash).await) });
            }
            match pending.next().await {
                None => break,
                Some((_, Ok(bytes))) if accept(&bytes) => return Ok(bytes),
                Some((peer, Ok(_))) => {
                    tracing::debug!(%peer, %kind, "an answer the receiver does not accept")
                }
                Some((_, Err(Error::Stopped))) => return Err(Error::Stopped),
                Some((peer, Err(e))) => {
                    tracing::debug!(%peer, %kind, error = %e, "fetch failed")
                }
            }
        }
        Err(Error::Unavailable {
            kind,
            hash: HexHash(hash),
            asked,
        })
    }

    /// Tells the network this node serves a blob.
    pub async fn announce(&self, kind: Kind, hash: Hash) -> Result<(), Error> {
        self.send(Command::Announce(Announcement::Have { kind, hash }))
            .await
    }

    async fn send(&self, command: Command) -> Result<(), Error> {
        self.commands
            .send(command)
            .await
            .map_err(|_| Error::Stopped)
    }
}

impl EventLoop {
    /// A counter of the blob requests this node answered with a blob.
    pub fn served(&self) -> Arc<std::sync::atomic::AtomicU64> {
        self.served.clone()
    }

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
                Ok(_) => self.listening = Some(reply),
                Err(e) => {
                    let _ = reply.send(Err(Error::Listen {
                        addr,
                        reason: e.to_string(),
                    }));
                }
            },
            Command::Dial { addr, reply } => {
                let opts = libp2p::swarm::dial_opts::DialOpts::from(addr.clone());
                let id = opts.connection_id();
                match self.swarm.dial(opts) {
                    Ok(()) => {
                        self.dialing.insert(id, reply);
                    }
                    Err(e) => {
                        let _ = reply.send(Err(Error::Dial {
                            addr,
                            reason: e.to_string(),
                        }));
                    }
                }
            }
            Command::Fetch {
                peer,
                request,
                reply,
            } => {
                let id = self
                    .swarm
                    .behaviour_mut()
                    .blobs
                    .send_request(&peer, request.clone());
                self.pending.insert(id, (peer, request, reply));
            }
            Command::Candidates { kind, hash, reply } => {
                let announced = self.providers.get(&(kind, hash));
                let mut peers: Vec<PeerId> = announced
                    .into_iter()
                    .flatten()
                    .filter(|p| self.connected.contains(p))
                    .copied()
                    .collect();
                peers.extend(
                    self.connected
                        .iter()
                        .filter(|p| !announced.is_some_and(|a| a.contains(p))),
                );
                let _ = reply.send(peers);
            }
            Command::Announce(a) => {
                let bytes = serde_json::to_vec(&a).expect("an announcement serializes");
                let topic = self.topic.clone();
                // With no peer yet nobody hears it; peers still find the blob by asking.
                if let Err(e) = self.swarm.behaviour_mut().gossip.publish(topic, bytes) {
                    tracing::debug!(error = %e, "announcement not published");
                }
            }
        }
    }

    fn on_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::NewListenAddr { address, .. } => {
                if let Some(reply) = self.listening.take() {
                    let _ = reply.send(Ok(address));
                }
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                connection_id,
                ..
            } => {
                self.connected.insert(peer_id);
                if let Some(reply) = self.dialing.remove(&connection_id) {
                    let _ = reply.send(Ok(()));
                }
            }
            SwarmEvent::OutgoingConnectionError {
                connection_id,
                error,
                ..
            } => {
                if let Some(reply) = self.dialing.remove(&connection_id) {
                    let _ = reply.send(Err(Error::Dial {
                        addr: Multiaddr::empty(),
                        reason: error.to_string(),
                    }));
                }
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => {
                self.connected.remove(&peer_id);
            }
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) => {
                for addr in info.listen_addrs {
                    self.swarm.add_peer_address(peer_id, addr);
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Gossip(gossipsub::Event::Message {
                message,
                ..
            })) => {
                let Some(from) = message.source else { return };
                match serde_json::from_slice::<Announcement>(&message.data) {
                    Ok(Announcement::Have { kind, hash }) => {
                        self.providers.entry((kind, hash)).or_default().insert(from);
                    }
                    Err(e) => tracing::debug!(%from, error = %e, "unreadable announcement"),
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Blobs(event)) => self.on_blobs(event),
            _ => {}
        }
    }

    fn on_blobs(&mut self, event: request_response::Event<Request, Response>) {
        match event {
            request_response::Event::Message { peer, message, .. } => match message {
                request_response::Message::Request {
                    request, channel, ..
                } => {
                    let response = match self.source.get(request.kind, &request.hash) {
                        Some(bytes) => {
                            self.served
                                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            Response::Found(bytes)
                        }
                        None => Response::Missing,
                    };
                    // A peer that hung up no longer wants the answer.
                    let _ = self
                        .swarm
                        .behaviour_mut()
                        .blobs
                        .send_response(channel, response);
                }
                request_response::Message::Response {
                    request_id,
                    response,
                } => {
                    if let Some((_, request, reply)) = self.pending.remove(&request_id) {
                        let (kind, hash) = (request.kind, HexHash(request.hash));
                        let result = match response {
                            Response::Found(bytes) => {
                                match blob::check(kind, &request.hash, &bytes) {
                                    Ok(()) => Ok(bytes),
                                    Err(why) => Err(Error::Corrupt {
                                        peer,
                                        kind,
                                        hash,
                                        why: Box::new(why),
                                    }),
                                }
                            }
                            Response::Missing => Err(Error::Missing { peer, kind, hash }),
                        };
                        let _ = reply.send(result);
                    }
                }
            },
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
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

mod hash_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let v: serde_bytes::ByteBuf = Deserialize::deserialize(d)?;
        v.as_ref()
            .try_into()
            .map_err(|_| serde::de::Error::custom("a hash is 32 bytes"))
    }
}
