//! Training runs, DESIGN §1 step 3: `T` steps from an initial state, a checkpoint every `k`
//! steps kept on disk (content-addressed by state hash, the task's hyper-parameters beside them),
//! `resultRoot` over the checkpoint state hashes, and per-step state hashes of any segment on
//! demand by re-running it from its checkpoint.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::blob;
use crate::engine::{self, DeviceTensor, Engine};
use crate::merkle::{Hash, HexHash};
use crate::pack;
use crate::program::mlp;
use crate::state;
use crate::tensor::Tensor;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("checkpoint {path} is corrupt: {why}")]
    Corrupt { path: PathBuf, why: String },
    #[error("no checkpoint with state hash {0}")]
    Missing(HexHash),
    #[error(
        "a run has T ≥ 1 steps and a checkpoint interval k ≥ 1 that divides T; not T={steps}, k={interval}"
    )]
    Schedule { steps: u64, interval: u64 },
    #[error("segment {segment} is not one of the run's {segments}")]
    NoSegment { segment: u64, segments: u64 },
    #[error(transparent)]
    Engine(#[from] engine::Error),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_owned(),
        source,
    }
}

/// `T` steps with a checkpoint every `k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub steps: u64,
    pub interval: u64,
}

impl Schedule {
    pub fn new(steps: u64, interval: u64) -> Result<Self, Error> {
        if steps == 0 || interval == 0 || !steps.is_multiple_of(interval) {
            return Err(Error::Schedule { steps, interval });
        }
        Ok(Self { steps, interval })
    }

    /// Segments `T / k`; there are one more checkpoints.
    pub fn segments(&self) -> u64 {
        self.steps / self.interval
    }
}

/// The hyper-parameters of a training task: everything needed to re-run it, saved beside its
/// checkpoints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingTask {
    pub model: mlp::Config,
    pub sgd: mlp::Sgd,
    /// The batch-rule seed.
    #[serde(with = "crate::serde_hex::hash")]
    pub seed: Hash,
    /// The seed of the initial weights.
    pub init_seed: u64,
    pub schedule: Schedule,
}

impl TrainingTask {
    /// The task's training program, ready to run on `backend` over `dataset`.
    pub fn engine(
        &self,
        backend: engine::Backend,
        dataset: &Tensor,
    ) -> Result<Engine, engine::Error> {
        Engine::new(
            backend,
            self.model.training(self.sgd),
            Some(dataset),
            self.seed,
        )
    }

    /// The initial state: parameters from `init_seed`, zero velocities.
    pub fn initial_state(&self) -> Vec<Tensor> {
        self.model.initial_state(self.init_seed)
    }
}

/// A content-addressed store of states on disk: `<dir>/<state hash>.state`.
///
/// A run keeps its small checkpoints in packs beside them (`<dir>/*.pack`, see [`pack`]); a
/// state is found in either, and clones of a store share what they know of the packs.
#[derive(Debug, Clone)]
pub struct Checkpoints {
    dir: PathBuf,
    packs: Arc<Mutex<pack::Index>>,
}

impl Checkpoints {
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, Error> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        Ok(Self {
            dir,
            packs: Arc::default(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, hash: &Hash) -> PathBuf {
        self.dir.join(format!("{}.state", hex::encode(hash)))
    }

    /// Stores a state (once), durably, and returns its state hash.
    pub fn put(&self, state: &[Tensor]) -> Result<Hash, Error> {
        let hash = self.put_unsynced(state)?;
        self.sync(&[hash])?;
        Ok(hash)
    }

    /// Stores a state (once) without waiting for the disk, and returns its state hash. Until
    /// [`Checkpoints::sync`] returns, a crash may leave the file empty or short; [`Checkpoints::get`]
    /// then reports it as corrupt instead of returning a wrong state.
    pub fn put_unsynced(&self, state: &[Tensor]) -> Result<Hash, Error> {
        self.put_unsynced_with(state, &mut WriteBuffer::default())
    }

    /// [`Checkpoints::put_unsynced`], encoding into `buffer`, which a writer keeps from one state
    /// to the next.
    ///
    /// Where the file system allows it (Linux) the file is written with `O_DIRECT`,
    /// straight from the buffer to the disk: the page cache would cost a copy and fresh pages
    /// for every checkpoint, more CPU than everything else a checkpoint takes but hashing
    /// (docs/BENCHMARKS.md), and a checkpoint is not read again soon.
    pub fn put_unsynced_with(
        &self,
        state: &[Tensor],
        buffer: &mut WriteBuffer,
    ) -> Result<Hash, Error> {
        let hash = engine::state_hash(state);
        self.write_file(&hash, state, buffer)?;
        Ok(hash)
    }

    /// Writes `state`, whose hash is `hash`, as a file of its own (unless there is one).
    fn write_file(
        &self,
        hash: &Hash,
        state: &[Tensor],
        buffer: &mut WriteBuffer,
    ) -> Result<(), Error> {
        let path = self.path(hash);
        if path.exists() {
            return Ok(());
        }
        let len = blob::encoded_len(state);
        let pages = buffer.pages(len);
        blob::encode_tensors_into(state, &mut pages[..len]);
        create_whole(&path, pages, len).map_err(io(&path))
    }

    /// Waits until the states with these hashes, and their names, are on disk. One call for a
    /// whole run costs far less than one per checkpoint: the disk writes them back meanwhile,
    /// and on Linux one `syncfs` replaces a flush per file.
    pub fn sync(&self, hashes: &[Hash]) -> Result<(), Error> {
        let dir = std::fs::File::open(&self.dir).map_err(io(&self.dir))?;
        #[cfg(target_os = "linux")]
        {
            let _ = hashes;
            rustix::fs::syncfs(&dir).map_err(|e| io(&self.dir)(e.into()))
        }
        #[cfg(not(target_os = "linux"))]
        {
            // Each state's own file, if it has one, and every pack.
            let packs = std::fs::read_dir(&self.dir)
                .map_err(io(&self.dir))?
                .filter_map(|e| Some(e.ok()?.path()))
                .filter(|p| p.extension().is_some_and(|e| e == pack::EXTENSION));
            let files = hashes.iter().map(|h| self.path(h)).filter(|p| p.exists());
            for path in files.chain(packs) {
                std::fs::File::open(&path)
                    .and_then(|f| f.sync_all())
                    .map_err(io(&path))?;
            }
            dir.sync_all().map_err(io(&self.dir))
        }
    }

    /// Loads the state with this hash, from its own file or a pack, checking that it still
    /// hashes to it.
    pub fn get(&self, hash: &Hash) -> Result<Vec<Tensor>, Error> {
        Ok(self.load(hash)?.1)
    }

    /// The state file's bytes of the state with this hash, checked against it, if this store
    /// holds it whole (what a node serves).
    pub fn bytes(&self, hash: &Hash) -> Option<Vec<u8>> {
        self.load(hash).ok().map(|(bytes, _)| bytes)
    }

    /// Whether this store holds the state with this hash, in its own file or in a pack (not
    /// checked: [`Checkpoints::get`] checks).
    pub fn contains(&self, hash: &Hash) -> bool {
        self.path(hash).exists()
            || self
                .packs
                .lock()
                .expect("not poisoned")
                .find(&self.dir, hash)
                .is_some()
    }

    /// The bytes and the state with this hash, checked.
    fn load(&self, hash: &Hash) -> Result<(Vec<u8>, Vec<Tensor>), Error> {
        let mut path = self.path(hash);
        let mut packed = false;
        let mut bytes = Vec::new();
        match std::fs::File::open(&path) {
            Ok(mut f) => {
                f.read_to_end(&mut bytes).map_err(io(&path))?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let found = self
                    .packs
                    .lock()
                    .expect("not poisoned")
                    .find(&self.dir, hash);
                let Some(at) = found else {
                    return Err(Error::Missing(HexHash(*hash)));
                };
                path = at.pack.as_ref().clone();
                packed = true;
                bytes = pack::read(&at).map_err(io(&path))?;
            }
            Err(e) => return Err(io(&path)(e)),
        };
        let corrupt = |why: &str| {
            if packed {
                // Read again next time: a damaged record stays damaged, a torn read does not.
                self.packs.lock().expect("not poisoned").forget(hash);
            }
            Error::Corrupt {
                path: path.clone(),
                why: why.into(),
            }
        };
        let state = blob::decode_tensors(&bytes).map_err(|e| corrupt(&e.to_string()))?;
        if engine::state_hash(&state) != *hash {
            return Err(corrupt("its contents do not hash to its name"));
        }
        Ok((bytes, state))
    }

    /// Saves the task beside the checkpoints (`task.json`).
    pub fn save_task(&self, task: &TrainingTask) -> Result<(), Error> {
        let path = self.dir.join("task.json");
        let text = serde_json::to_string_pretty(task).expect("a task serializes");
        std::fs::write(&path, text).map_err(io(&path))
    }
}

/// The unit of direct I/O: buffers, offsets and lengths are multiples of it.
const PAGE: usize = 4096;

/// A page-aligned buffer that a checkpoint writer reuses.
#[derive(Debug, Default)]
pub struct WriteBuffer(Vec<u8>);

impl WriteBuffer {
    /// Whole pages, starting at a page boundary, to hold `len` bytes; past `len` they are zero.
    fn pages(&mut self, len: usize) -> &mut [u8] {
        let padded = len.next_multiple_of(PAGE);
        if self.0.len() < padded + PAGE {
            self.0.resize(padded + PAGE, 0);
        }
        let start = self.0.as_ptr().align_offset(PAGE);
        let pages = &mut self.0[start..start + padded];
        pages[len..].fill(0);
        pages
    }
}

/// The smallest checkpoint written with direct I/O. A direct write is a round trip to the disk
/// (on a VM, an exit to the host and an interrupt back) for every file; below about a megabyte
/// that costs more than the page cache it saves.
const DIRECT_MIN: usize = 1 << 20;

/// Creates the file `path` holding the first `len` bytes of `pages`, whole: its name appears only
/// once all of it is written, so nobody (a running solver, a node serving it) ever reads half a
/// checkpoint under its name.
///
/// On Linux the file is written unnamed (`O_TMPFILE`) and then linked in: one new directory
/// entry where a temporary name and a rename take two directory changes, which on ext4 cost a
/// small model's checkpoint more than writing it (docs/BENCHMARKS.md). A big one is written with
/// `O_DIRECT`, straight from the buffer. Elsewhere, or where the file system refuses either, it
/// is written through the page cache under a temporary name that is then renamed.
fn create_whole(path: &Path, pages: &[u8], len: usize) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        if len >= DIRECT_MIN && unnamed::create(path, pages, len, true) {
            return Ok(());
        }
        if unnamed::create(path, &pages[..len], len, false) {
            return Ok(());
        }
    }
    create_renamed(path, &pages[..len])
}

/// Creates `path` holding `bytes` by writing a temporary name and renaming it: the way every
/// file system can.
fn create_renamed(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

#[cfg(target_os = "linux")]
mod unnamed {
    use std::io::Write;
    use std::os::fd::AsRawFd;
    use std::path::Path;

    use rustix::fs::{AtFlags, CWD, Mode, OFlags};
    use rustix::io::Errno;

    /// Writes `bytes` to a new unnamed file in `path`'s directory (with `O_DIRECT` if `direct`:
    /// then `bytes` are whole pages of which the first `len` count), cuts it to `len` and links
    /// it in as `path`. Whether it did: on any failure — a file system without unnamed or
    /// direct files, no `/proc` to link by, a container that forbids the link, a full disk —
    /// the caller writes the file another way, which reports a failure that is real.
    pub(super) fn create(path: &Path, bytes: &[u8], len: usize, direct: bool) -> bool {
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut flags = OFlags::TMPFILE | OFlags::WRONLY | OFlags::CLOEXEC;
        if direct {
            flags |= OFlags::DIRECT;
        }
        let Ok(fd) = rustix::fs::open(dir, flags, Mode::from_raw_mode(0o644)) else {
            return false;
        };
        let mut file = std::fs::File::from(fd);
        if file.write_all(bytes).is_err()
            || (bytes.len() != len && file.set_len(len as u64).is_err())
        {
            return false;
        }
        if !direct {
            // Start writing it back now, on this thread (the writer's, which yields to
            // training), rather than leave it dirty for the kernel's flusher threads, which do
            // not yield, and for the `syncfs` a run ends with, which training waits for: for
            // 201 checkpoints of 38 KB that wait drops from ~8 ms to ~1 ms. Pages already clean
            // leave the cache; a checkpoint is not read again soon. Advice only: a failure
            // changes nothing that is written.
            let _ = rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::DontNeed);
        }
        let proc = format!("/proc/self/fd/{}", file.as_raw_fd());
        // `EEXIST`: another writer stored the same state (same hash, same bytes) first.
        matches!(
            rustix::fs::linkat(CWD, proc.as_str(), CWD, path, AtFlags::SYMLINK_FOLLOW),
            Ok(()) | Err(Errno::EXIST)
        )
    }
}

/// The most memory that checkpoints waiting to be written may hold.
pub const QUEUE_BYTES: usize = 256 << 20;

/// What a finished run commits to.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// `s_0, s_k, …, s_T`.
    pub checkpoints: Vec<Hash>,
    /// `resultRoot`.
    pub result_root: Hash,
    pub final_state: Vec<Tensor>,
}

/// Runs `schedule.steps` steps from `init`, storing a checkpoint every `k` steps (and the
/// initial state). `on_step(t)` is called after each step. Every checkpoint is on disk when
/// `train` returns, so a solver may commit to the result root at once. This is [`train_from`]
/// for a new run of the honest program that reports nothing on the way.
pub fn train(
    engine: &Engine,
    init: &[Tensor],
    schedule: Schedule,
    store: &Checkpoints,
    on_step: impl FnMut(u64),
) -> Result<Run, Error> {
    let start = Start {
        done: Vec::new(),
        state: engine.upload(init)?,
    };
    let progress = Progress {
        every: Duration::MAX,
        report: |_: &[Hash]| Ok::<(), Error>(()),
    };
    let (checkpoints, state) = train_from(
        schedule,
        store,
        start,
        |state, t| Ok(engine.step(state, t).0),
        on_step,
        progress,
    )?;
    let final_state = engine.download(state)?;
    let result_root = state::result_root(&checkpoints).expect("a run has at least one checkpoint");
    Ok(Run {
        checkpoints,
        result_root,
        final_state,
    })
}

/// Where a run starts.
#[derive(Debug)]
pub struct Start {
    /// The checkpoints already durable, `s_0, s_k, …, s_jk`, when a run resumes after a crash;
    /// empty for a new run.
    pub done: Vec<Hash>,
    /// The state at step `jk` (a new run: the initial state, which becomes `s_0`), on the device
    /// it trains on.
    pub state: Vec<DeviceTensor>,
}

/// How a run reports checkpoints as they become durable, so that a caller can record how far it
/// got and resume from there after a crash.
#[derive(Debug)]
pub struct Progress<F> {
    /// The longest a written checkpoint waits before it is made durable and reported:
    /// [`Duration::ZERO`] makes each one durable and reports it before the next is written;
    /// [`REPORT_EVERY`] costs a solver one `syncfs` a second.
    pub every: Duration,
    /// Called on the writer thread with the hashes of every checkpoint durable so far
    /// (`s_0, s_k, …`), in order. An error stops the run and is returned.
    pub report: F,
}

/// How often a solver makes its checkpoints durable and records its progress: a crash loses at
/// most the last second of checkpoints (and the steps since them).
pub const REPORT_EVERY: Duration = Duration::from_secs(1);

/// Runs the steps `jk .. T` of `schedule` from `start` with `step` (the program's step function,
/// or a cheat's), storing a checkpoint every `k` steps, and returns every checkpoint hash
/// (`s_0, …, s_T`) and the final state. `on_step(t)` is called after each step.
///
/// Checkpoints are read back, hashed and written on a thread of their own while training goes
/// on, so the step loop only pays for handing over the state's tensors. The queue between them
/// holds at most [`QUEUE_BYTES`] of states (and 1 to 16 of them), enough to ride out a slow
/// disk. The writer makes them durable and reports them as `progress` asks, and makes all of
/// them durable before this returns.
pub fn train_from<E>(
    schedule: Schedule,
    store: &Checkpoints,
    start: Start,
    mut step: impl FnMut(Vec<DeviceTensor>, u64) -> Result<Vec<DeviceTensor>, E>,
    mut on_step: impl FnMut(u64),
    progress: Progress<impl FnMut(&[Hash]) -> Result<(), E> + Send>,
) -> Result<(Vec<Hash>, Vec<DeviceTensor>), E>
where
    E: From<Error> + Send,
{
    let Start { done, mut state } = start;
    let segments = schedule.segments();
    let resumed = done.len() as u64;
    if resumed > segments + 1 {
        return Err(Error::NoSegment {
            segment: resumed - 1,
            segments,
        }
        .into());
    }
    let state_bytes: usize = state.iter().map(|t| 4 * t.shape().num_elements()).sum();
    let depth = (QUEUE_BYTES / state_bytes.max(1)).clamp(1, 16);
    let (to_writer, queue) = std::sync::mpsc::sync_channel::<Vec<DeviceTensor>>(depth);
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || write_checkpoints(store, done, queue, progress));
        let trained = (|| -> Result<Vec<DeviceTensor>, E> {
            if resumed == 0 {
                // A closed queue means the writer failed; its error is reported below.
                let _ = to_writer.send(state.clone());
            }
            let first = resumed.saturating_sub(1) * schedule.interval;
            for t in first..schedule.steps {
                state = step(state, t)?;
                if (t + 1) % schedule.interval == 0 && to_writer.send(state.clone()).is_err() {
                    break;
                }
                on_step(t + 1);
            }
            Ok(state)
        })();
        drop(to_writer);
        let checkpoints = writer
            .join()
            .expect("the checkpoint writer does not panic")?;
        Ok((checkpoints, trained?))
    })
}

/// The writer thread of [`train_from`]: stores each state it is handed, after the checkpoints
/// `done` already stored, and makes them durable and reports them as `progress` asks.
fn write_checkpoints<E: From<Error>>(
    store: &Checkpoints,
    done: Vec<Hash>,
    queue: std::sync::mpsc::Receiver<Vec<DeviceTensor>>,
    progress: Progress<impl FnMut(&[Hash]) -> Result<(), E>>,
) -> Result<Vec<Hash>, E> {
    use std::sync::mpsc::RecvTimeoutError;
    yield_to_training();
    let mut w = Writer {
        store,
        buffer: WriteBuffer::default(),
        packed: None,
        durable: done.len(),
        hashes: done,
        since: Instant::now(),
        progress,
    };
    loop {
        let next = if w.hashes.len() > w.durable {
            let wait = w.progress.every.saturating_sub(w.since.elapsed());
            match queue.recv_timeout(wait) {
                Ok(state) => Some(state),
                Err(RecvTimeoutError::Timeout) => {
                    w.report()?;
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => None,
            }
        } else {
            queue.recv().ok()
        };
        let Some(state) = next else { break };
        w.put(state)?;
        if w.since.elapsed() >= w.progress.every {
            w.report()?;
        }
    }
    if w.hashes.len() > w.durable {
        w.report()?;
    }
    Ok(w.hashes)
}

/// What the writer thread keeps from one checkpoint to the next.
struct Writer<'a, F> {
    store: &'a Checkpoints,
    buffer: WriteBuffer,
    /// This run's pack, once it has a small state.
    packed: Option<pack::Writer>,
    hashes: Vec<Hash>,
    /// How many of `hashes` are durable and reported.
    durable: usize,
    /// When they were.
    since: Instant,
    progress: Progress<F>,
}

impl<F> Writer<'_, F> {
    /// Stores one state: in the run's pack if it is small, as a file of its own if not.
    fn put(&mut self, state: Vec<DeviceTensor>) -> Result<(), Error> {
        let state = engine::download_state(state)?;
        let hash = engine::state_hash(&state);
        if pack::Writer::takes(blob::encoded_len(&state)) {
            let dir = &self.store.dir;
            let p = match &mut self.packed {
                Some(p) => p,
                None => self
                    .packed
                    .insert(pack::Writer::create(dir).map_err(io(dir))?),
            };
            p.append(&hash, &state).map_err(io(p.path()))?;
        } else {
            self.store.write_file(&hash, &state, &mut self.buffer)?;
        }
        self.hashes.push(hash);
        Ok(())
    }

    /// Makes every state stored so far durable and reports them.
    fn report<E: From<Error>>(&mut self) -> Result<(), E>
    where
        F: FnMut(&[Hash]) -> Result<(), E>,
    {
        if let Some(p) = &mut self.packed {
            p.flush().map_err(io(p.path()))?;
        }
        self.store.sync(&self.hashes[self.durable..])?;
        (self.progress.report)(&self.hashes)?;
        self.durable = self.hashes.len();
        self.since = Instant::now();
        Ok(())
    }
}

/// Puts the calling thread in Linux's `SCHED_IDLE` class, so that the checkpoint writer runs
/// only where a core would otherwise idle and gives way at once when a backend worker wakes:
/// stalling one worker would stall its whole parallel op. A backlog is bounded by the queue
/// (when it is full, training waits and the writer catches up). Where the class is refused the
/// thread asks for `nice` 19, and failing that runs at the normal priority.
fn yield_to_training() {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: `sched_setscheduler` reads the one `sched_param` passed, which lives across
        // the call; pid 0 is the calling thread.
        #[allow(unsafe_code)]
        let refused = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) } != 0;
        if refused {
            let _ = rustix::process::setpriority_process(Some(rustix::thread::gettid()), 19);
        }
    }
}

/// The `k + 1` per-step state hashes of segment `j` (`s_{jk}, …, s_{(j+1)k}`), recomputed from
/// checkpoint `j`.
pub fn segment_states(
    engine: &Engine,
    store: &Checkpoints,
    checkpoints: &[Hash],
    schedule: Schedule,
    segment: u64,
) -> Result<Vec<Hash>, Error> {
    let segments = schedule.segments();
    if segment >= segments {
        return Err(Error::NoSegment { segment, segments });
    }
    let start = store.get(&checkpoints[segment as usize])?;
    let mut hashes = vec![checkpoints[segment as usize]];
    let mut state = engine.upload(&start)?;
    for t in segment * schedule.interval..(segment + 1) * schedule.interval {
        state = engine.step(state, t).0;
        hashes.push(engine::state_hash(&engine.download(state.clone())?));
    }
    Ok(hashes)
}

/// The state at the start of step `step`, re-run from the checkpoint before it.
pub fn state_at(
    engine: &Engine,
    store: &Checkpoints,
    checkpoints: &[Hash],
    schedule: Schedule,
    step: u64,
) -> Result<Vec<Tensor>, Error> {
    let segment = (step / schedule.interval).min(schedule.segments() - 1);
    let mut state = engine.upload(&store.get(&checkpoints[segment as usize])?)?;
    for t in segment * schedule.interval..step {
        state = engine.step(state, t).0;
    }
    Ok(engine.download(state)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The way a checkpoint is written where unnamed files are refused: whole under its name,
    /// with no temporary file left behind. (The tests in `tests/training.rs` take the unnamed
    /// ways, direct and through the page cache.)
    #[test]
    fn a_file_created_by_rename_is_whole_and_leaves_no_temporary() {
        let dir = std::env::temp_dir().join(format!("poai-renamed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("x.state");
        create_renamed(&path, b"whole").expect("written");
        assert_eq!(std::fs::read(&path).expect("read"), b"whole");
        let names: Vec<_> = std::fs::read_dir(&dir)
            .expect("listed")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["x.state"]);
        std::fs::remove_dir_all(&dir).expect("removed");
    }
}
