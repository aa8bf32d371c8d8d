//! The content-addressed blob store on disk: `<root>/<kind>/<name>`, states as
//! `<root>/state/<state hash>.state` or in packs beside them — the same files `run::Checkpoints`
//! writes, so a solver's checkpoints are served as they land. Every blob is checked against its
//! name when it is put; files are written to a temporary name of their own and renamed.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use poai_common::blob::{self, Kind};
use poai_common::merkle::Hash;
use poai_common::run::{self, Checkpoints};

use crate::net::Source;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Blob(#[from] blob::Error),
    #[error(transparent)]
    Run(#[from] run::Error),
}

#[derive(Debug)]
pub struct Store {
    root: PathBuf,
    /// The states, shared with training (which packs small ones, see `poai_common::pack`).
    states: Checkpoints,
    /// Serve nothing of a task's computation (a solver that withholds its data).
    withhold: AtomicBool,
    /// Blobs not to serve (a solver that withholds one state).
    withheld: std::sync::Mutex<std::collections::HashSet<Hash>>,
    /// Segment indexes peers asked for that this node does not have (a solver builds the ones
    /// of its tasks on demand: [`Store::take_wanted`]).
    wanted: std::sync::Mutex<std::collections::HashSet<Hash>>,
}

/// Segment indexes remembered as wanted at most (a flood of made-up names is dropped).
const WANTED: usize = 4096;

impl Store {
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, Error> {
        let root = root.into();
        for kind in Kind::ALL {
            let dir = root.join(kind.name());
            std::fs::create_dir_all(&dir).map_err(|source| Error::Io { path: dir, source })?;
        }
        Ok(Self {
            states: Checkpoints::open(root.join(Kind::State.name()))?,
            root,
            withhold: AtomicBool::new(false),
            withheld: Default::default(),
            wanted: Default::default(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The states, as training writes and reads them.
    pub fn checkpoints(&self) -> Result<Checkpoints, Error> {
        Ok(self.states.clone())
    }

    fn path(&self, kind: Kind, hash: &Hash) -> PathBuf {
        let dir = self.root.join(kind.name());
        match kind {
            Kind::State => dir.join(format!("{}.state", hex::encode(hash))),
            _ => dir.join(hex::encode(hash)),
        }
    }

    /// Stores a blob after computing its name; returns the name.
    pub fn put(&self, kind: Kind, bytes: &[u8]) -> Result<Hash, Error> {
        let hash = blob::name(kind, bytes)?;
        self.write(kind, &hash, bytes)?;
        Ok(hash)
    }

    /// Stores a blob fetched by `net::Client::fetch`, which checked it against `hash` already.
    pub fn put_fetched(&self, kind: Kind, hash: &Hash, bytes: &[u8]) -> Result<(), Error> {
        self.write(kind, hash, bytes)
    }

    fn write(&self, kind: Kind, hash: &Hash, bytes: &[u8]) -> Result<(), Error> {
        let path = self.path(kind, hash);
        if path.exists() {
            return Ok(());
        }
        // A temporary name of this write's own: two tasks of a node that fetch the same blob at
        // once (a verifier checking two segments) must not share one, or one rename finds it
        // gone. Renaming over the blob the other wrote is harmless: the bytes are the same.
        static WRITES: AtomicU64 = AtomicU64::new(0);
        let tmp = path.with_extension(format!(
            "{}.{}.tmp",
            std::process::id(),
            WRITES.fetch_add(1, Ordering::Relaxed)
        ));
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| Error::Io { path, source }
        };
        std::fs::write(&tmp, bytes).map_err(io(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(io(&path))
    }

    /// The blob, if stored (whether or not this node serves it).
    pub fn read(&self, kind: Kind, hash: &Hash) -> Option<Vec<u8>> {
        match std::fs::read(self.path(kind, hash)) {
            Ok(bytes) => Some(bytes),
            // A state training packed with others.
            Err(_) if kind == Kind::State => self.states.bytes(hash),
            Err(_) => None,
        }
    }

    pub fn has(&self, kind: Kind, hash: &Hash) -> bool {
        match kind {
            Kind::State => self.states.contains(hash),
            _ => self.path(kind, hash).exists(),
        }
    }

    /// Stop serving states, per-step lists and traces.
    pub fn withhold(&self) {
        self.withhold.store(true, Ordering::Relaxed);
    }

    /// The segment indexes peers asked for and this node did not have, since the last call.
    pub fn take_wanted(&self) -> Vec<Hash> {
        self.wanted.lock().expect("not poisoned").drain().collect()
    }

    /// Stop serving one blob.
    pub fn withhold_one(&self, hash: Hash) {
        self.withheld.lock().expect("not poisoned").insert(hash);
    }
}

impl Source for Store {
    fn get(&self, kind: Kind, hash: &Hash) -> Option<Vec<u8>> {
        if self.withhold.load(Ordering::Relaxed) && !matches!(kind, Kind::Spec | Kind::Dataset) {
            return None;
        }
        if self.withheld.lock().expect("not poisoned").contains(hash) {
            return None;
        }
        let found = self.read(kind, hash);
        if found.is_none() && kind == Kind::Segment {
            let mut wanted = self.wanted.lock().expect("not poisoned");
            if wanted.len() < WANTED {
                wanted.insert(*hash);
            }
        }
        found
    }
}
