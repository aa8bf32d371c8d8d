//! Packs: the small checkpoints of one run in one file, so that a run pays the file system for
//! one file, not one per checkpoint (for a 64-64-10 model, creating a file per checkpoint was
//! most of what checkpointing still cost; docs/BENCHMARKS.md).
//!
//! A pack is a sequence of records `MAGIC ‖ state hash ‖ length: u64 LE ‖ check ‖ blob` (the
//! blob is the state file's bytes, `blob::encode_tensors`; `check` is the first 8 bytes of
//! `sha256(state hash ‖ length)`). It describes itself: readers index it by reading the record
//! headers, and a pack cut short by a crash still yields every record written whole before the
//! cut. A header that does not check (the zeros past the last record, or a page read while it
//! was being written) ends a reader's look; it looks again later. Readers check every state
//! against its hash, as for state files, so a torn or damaged record is never a wrong state.
//!
//! The writer appends records to a page-aligned buffer and writes it out a megabyte at a time
//! with `O_DIRECT` where the file system allows (the page cache would cost fresh pages for data
//! not read again soon), and whatever it holds when asked to ([`Writer::flush`], before a
//! checkpoint is reported durable). Its last, partial page is written padded with zeros and
//! written again, whole, next time; readers stop at the zeros.

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::blob;
use crate::merkle::Hash;
use crate::tensor::Tensor;

/// The first bytes of every record.
pub const MAGIC: [u8; 8] = *b"poaipck1";
/// Magic, hash, length and check.
pub const HEADER: usize = 8 + 32 + 8 + 8;
/// The file name extension of a pack.
pub const EXTENSION: &str = "pack";

/// The unit of direct I/O.
const PAGE: usize = 4096;
/// How much the writer gathers before it writes.
const CHUNK: usize = 1 << 20;

/// Appends states to a new pack.
#[derive(Debug)]
pub struct Writer {
    path: PathBuf,
    file: File,
    direct: bool,
    /// Page-aligned storage: `buf[start..start + len]` is what is not yet written whole, and it
    /// belongs at `at` in the file (a page boundary).
    buf: Vec<u8>,
    start: usize,
    len: usize,
    at: u64,
}

impl Writer {
    /// Creates a new pack in `dir`, named uniquely for this run.
    pub fn create(dir: &Path) -> std::io::Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path = dir.join(format!("run-{nanos}-{}.{EXTENSION}", std::process::id()));
        let (file, direct) = match open(&path, true) {
            Ok(file) => (file, true),
            Err(_) => (open(&path, false)?, false),
        };
        let mut buf = vec![0; 2 * CHUNK + 2 * PAGE];
        let start = buf.as_mut_ptr().align_offset(PAGE);
        Ok(Self {
            path,
            file,
            direct,
            buf,
            start,
            len: 0,
            at: 0,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether a state of `encoded_len` bytes belongs in a pack: below a megabyte (bigger ones
    /// are written as files of their own, with `O_DIRECT`, at no more cost per byte).
    pub fn takes(encoded_len: usize) -> bool {
        encoded_len < CHUNK
    }

    /// Appends the state with hash `hash` (which the caller computed). Writes a megabyte out
    /// once it has gathered one.
    pub fn append(&mut self, hash: &Hash, state: &[Tensor]) -> std::io::Result<()> {
        let len = blob::encoded_len(state);
        assert!(Self::takes(len), "a pack takes states below {CHUNK} bytes");
        let record = &mut self.buf[self.start + self.len..][..HEADER + len];
        record[..8].copy_from_slice(&MAGIC);
        record[8..40].copy_from_slice(hash);
        record[40..48].copy_from_slice(&(len as u64).to_le_bytes());
        record[48..HEADER].copy_from_slice(&check(hash, len as u64));
        blob::encode_tensors_into(state, &mut record[HEADER..]);
        self.len += HEADER + len;
        if self.len >= CHUNK {
            self.write(false)?;
        }
        Ok(())
    }

    /// Writes out everything gathered (the last page padded with zeros), so that a `sync` of the
    /// file system makes every appended state durable.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.write(true)
    }

    /// Writes the whole pages gathered, and with `partial` the last one too, padded.
    fn write(&mut self, partial: bool) -> std::io::Result<()> {
        let whole = self.len / PAGE * PAGE;
        let end = if partial {
            self.len.next_multiple_of(PAGE)
        } else {
            whole
        };
        if end == 0 {
            return Ok(());
        }
        if end > self.len {
            self.buf[self.start + self.len..self.start + end].fill(0);
        }
        let pages = &self.buf[self.start..self.start + end];
        if let Err(e) = self.file.write_all_at(pages, self.at) {
            // Some file systems open with O_DIRECT but refuse the writes: go through the page
            // cache from here on.
            if !self.direct {
                return Err(e);
            }
            self.file = open(&self.path, false)?;
            self.direct = false;
            self.file.write_all_at(pages, self.at)?;
        }
        // The partial page stays at the front, to be written again, whole, later.
        self.buf
            .copy_within(self.start + whole..self.start + self.len, self.start);
        self.at += whole as u64;
        self.len -= whole;
        Ok(())
    }
}

fn open(path: &Path, direct: bool) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(target_os = "linux")]
    if direct {
        options.custom_flags(libc::O_DIRECT);
    }
    #[cfg(not(target_os = "linux"))]
    if direct {
        return Err(std::io::ErrorKind::Unsupported.into());
    }
    options.open(path)
}

/// Where a packed state is.
#[derive(Debug, Clone)]
pub struct Location {
    pub pack: Arc<PathBuf>,
    /// Of the blob, past the record header.
    pub offset: u64,
    pub len: u64,
}

/// The records of the packs in a directory, read as far as they go.
#[derive(Debug, Default)]
pub struct Index {
    states: HashMap<Hash, Location>,
    /// How far each pack has been read.
    read: HashMap<PathBuf, u64>,
}

impl Index {
    /// Forgets where the state `hash` is, and how far its pack was read, so that the next look
    /// reads the pack again from its start (after a read of it did not check: a page read while
    /// the writer rewrote it).
    pub fn forget(&mut self, hash: &Hash) {
        if let Some(at) = self.states.remove(hash) {
            self.read.remove(at.pack.as_ref());
        }
    }

    /// Where the state `hash` is, reading any packs (and parts of packs) written since the last
    /// look if it is not known yet.
    pub fn find(&mut self, dir: &Path, hash: &Hash) -> Option<Location> {
        if let Some(at) = self.states.get(hash) {
            return Some(at.clone());
        }
        self.refresh(dir);
        self.states.get(hash).cloned()
    }

    fn refresh(&mut self, dir: &Path) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for path in entries.filter_map(|e| Some(e.ok()?.path())) {
            if path.extension().is_some_and(|e| e == EXTENSION) {
                self.scan(path);
            }
        }
    }

    /// Reads the record headers of `path` from where the last look stopped to the first record
    /// that is not whole.
    fn scan(&mut self, path: PathBuf) {
        let Ok(file) = File::open(&path) else {
            return;
        };
        let Ok(size) = file.metadata().map(|m| m.len()) else {
            return;
        };
        let pack = Arc::new(path);
        let mut at = self.read.get(pack.as_ref()).copied().unwrap_or(0);
        let mut header = [0u8; HEADER];
        while at + HEADER as u64 <= size
            && file.read_exact_at(&mut header, at).is_ok()
            && header[..8] == MAGIC
        {
            let hash: Hash = header[8..40].try_into().expect("32 bytes");
            let len = u64::from_le_bytes(header[40..48].try_into().expect("8 bytes"));
            let offset = at + HEADER as u64;
            if header[48..] != check(&hash, len) || len > size || offset + len > size {
                break;
            }
            self.states.entry(hash).or_insert(Location {
                pack: pack.clone(),
                offset,
                len,
            });
            at = offset + len;
        }
        self.read.insert(pack.as_ref().clone(), at);
    }
}

/// What a record header holds to show it was read whole: the first 8 bytes of
/// `sha256(hash ‖ len)`.
fn check(hash: &Hash, len: u64) -> [u8; 8] {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(hash);
    h.update(len.to_le_bytes());
    h.finalize()[..8].try_into().expect("8 bytes")
}

/// The blob at `at`.
pub fn read(at: &Location) -> std::io::Result<Vec<u8>> {
    let file = File::open(at.pack.as_ref())?;
    let mut bytes = vec![0; at.len as usize];
    file.read_exact_at(&mut bytes, at.offset)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(i: usize, values: usize) -> Vec<Tensor> {
        let v = (0..values).map(|j| (i * values + j) as f32).collect();
        vec![Tensor::new(1, values, v).expect("a row")]
    }

    fn hash(i: usize) -> Hash {
        let mut h = [0; 32];
        h[..8].copy_from_slice(&(i as u64).to_le_bytes());
        h
    }

    /// Records of every size, across megabyte writes and flushes of partial pages that are
    /// written again later, through direct I/O and through the page cache: each reads back as
    /// it was appended.
    #[test]
    fn every_record_reads_back_across_chunks_and_flushes() {
        for direct in [true, false] {
            let dir =
                std::env::temp_dir().join(format!("poai-pack-{direct}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("dir");
            let mut w = Writer::create(&dir).expect("a pack");
            if !direct {
                w.file = open(&w.path, false).expect("buffered");
                w.direct = false;
            }
            // From a few values to just under a megabyte.
            let sizes: Vec<usize> = (0..40)
                .map(|i| 1 + (i * 7919) % ((CHUNK - 64) / 4))
                .collect();
            let mut index = Index::default();
            for (i, &n) in sizes.iter().enumerate() {
                w.append(&hash(i), &state(i, n)).expect("appended");
                if i % 7 == 3 {
                    w.flush().expect("flushed");
                    // What a reader sees meanwhile: every record so far.
                    assert!(
                        index.find(&dir, &hash(i)).is_some(),
                        "record {i} after a flush"
                    );
                }
            }
            w.flush().expect("flushed");
            for (i, &n) in sizes.iter().enumerate() {
                let at = index.find(&dir, &hash(i)).expect("indexed");
                let bytes = read(&at).expect("read");
                assert_eq!(
                    bytes,
                    blob::encode_tensors(&state(i, n)),
                    "record {i} ({direct})"
                );
            }
            assert!(index.find(&dir, &hash(999)).is_none());
            std::fs::remove_dir_all(&dir).expect("removed");
        }
    }
}
