//! A node's local state, kept in one JSON file and rewritten whole (temporary file, `fsync`,
//! rename, `fsync` of the directory) on every change, so a node killed at any moment restarts
//! from its last decision.

use std::path::PathBuf;
use std::sync::Mutex;

use serde::Serialize;
use serde::de::DeserializeOwned;

#[derive(Debug)]
pub struct Durable<T> {
    path: PathBuf,
    value: Mutex<T>,
}

impl<T: Serialize + DeserializeOwned + Default + Clone> Durable<T> {
    /// Loads the state at `path`, or starts from the default if there is none.
    pub fn open(path: impl Into<PathBuf>) -> eyre::Result<Self> {
        let path = path.into();
        let value = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| eyre::eyre!("{} is not this node's state: {e}", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => T::default(),
            Err(e) => return Err(eyre::eyre!("{}: {e}", path.display())),
        };
        Ok(Self {
            path,
            value: Mutex::new(value),
        })
    }

    pub fn get(&self) -> T {
        self.value.lock().expect("not poisoned").clone()
    }

    /// Changes the state and makes the change durable before returning.
    pub fn update<R>(&self, f: impl FnOnce(&mut T) -> R) -> eyre::Result<R> {
        let mut guard = self.value.lock().expect("not poisoned");
        let out = f(&mut guard);
        let bytes = serde_json::to_vec_pretty(&*guard)?;
        let tmp = self.path.with_extension("tmp");
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &self.path)?;
        // The rename is durable once the directory is.
        if let Some(dir) = self.path.parent() {
            let dir = if dir.as_os_str().is_empty() {
                std::path::Path::new(".")
            } else {
                dir
            };
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(out)
    }
}
