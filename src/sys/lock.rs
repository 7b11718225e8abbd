//! `flock` on separate lock files. Never prints: a caller that wants to say it is waiting
//! passes `on_wait`.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

use crate::error::{Context, Result};

/// An exclusive (or shared) lock, released on drop (or when the process dies).
#[derive(Debug)]
pub struct FileLock {
    _lock: Flock<File>,
    path: PathBuf,
    taken: Instant,
    waited: Duration,
}

impl FileLock {
    fn new(lock: Flock<File>, path: &Path, asked: Instant) -> FileLock {
        let taken = Instant::now();
        FileLock {
            _lock: lock,
            path: path.to_path_buf(),
            taken,
            waited: taken - asked,
        }
    }
}

/// What `on_release` registered: told each lock's path, how long taking it waited and how long
/// it was then held, as it is released.
static RELEASED: OnceLock<fn(&Path, Duration, Duration)> = OnceLock::new();

/// Have `f` told of every lock this process releases (for tracing lock waits).
pub fn on_release(f: fn(&Path, Duration, Duration)) {
    let _ = RELEASED.set(f);
}

impl Drop for FileLock {
    fn drop(&mut self) {
        if let Some(f) = RELEASED.get() {
            f(&self.path, self.waited, self.taken.elapsed());
        }
    }
}

fn open(path: &Path) -> Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_CLOEXEC)
        .open(path)
        .ctx(|| format!("opening lock file {}", path.display()))
}

impl FileLock {
    /// Take the lock, waiting for it if another hutch holds it.
    pub fn exclusive(path: &Path) -> Result<FileLock> {
        Self::exclusive_or(path, || {})
    }

    /// Take the lock; when another process holds it, call `on_wait` once, then wait for it.
    pub fn exclusive_or(path: &Path, on_wait: impl FnOnce()) -> Result<FileLock> {
        let asked = Instant::now();
        let file = open(path)?;
        let file = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(l) => return Ok(FileLock::new(l, path, asked)),
            Err((f, Errno::EWOULDBLOCK)) => f,
            Err((_, e)) => return Err(crate::err!("locking {}: {e}", path.display())),
        };
        on_wait();
        let lock = Flock::lock(file, FlockArg::LockExclusive)
            .map_err(|(_, e)| crate::err!("locking {}: {e}", path.display()))?;
        Ok(FileLock::new(lock, path, asked))
    }

    /// Take the lock as a reader: shared with other readers, excluding writers; when a writer
    /// holds it, call `on_wait` once, then wait for it.
    pub fn shared_or(path: &Path, on_wait: impl FnOnce()) -> Result<FileLock> {
        let asked = Instant::now();
        let file = open(path)?;
        let file = match Flock::lock(file, FlockArg::LockSharedNonblock) {
            Ok(l) => return Ok(FileLock::new(l, path, asked)),
            Err((f, Errno::EWOULDBLOCK)) => f,
            Err((_, e)) => return Err(crate::err!("locking {}: {e}", path.display())),
        };
        on_wait();
        let lock =
            Flock::lock(file, FlockArg::LockShared).map_err(|(_, e)| crate::err!("locking {}: {e}", path.display()))?;
        Ok(FileLock::new(lock, path, asked))
    }

    /// Take the lock only if nobody holds it.
    pub fn try_exclusive(path: &Path) -> Result<Option<FileLock>> {
        let asked = Instant::now();
        let file = open(path)?;
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(l) => Ok(Some(FileLock::new(l, path, asked))),
            Err((_, Errno::EWOULDBLOCK)) => Ok(None),
            Err((_, e)) => Err(crate::err!("locking {}: {e}", path.display())),
        }
    }
}
