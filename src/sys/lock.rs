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

impl FileLock {
    /// The lock's descriptor, to share with a child process (which then holds the lock as
    /// long as its copy is open, whatever becomes of this process).
    pub fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        use std::os::fd::AsFd;
        self._lock.as_fd()
    }

    /// The lock as a plain descriptor, to hand to a child process (`inheritable`: without
    /// FD_CLOEXEC): a flock belongs to the open file, so it is held until every descriptor of
    /// it is closed, by whichever processes hold them. Closing one never unlocks the others'
    /// (dropping a FileLock would: it unlocks explicitly).
    pub fn into_fd(self, inheritable: bool) -> nix::Result<std::os::fd::OwnedFd> {
        use std::os::fd::{AsRawFd, FromRawFd};
        let raw = self._lock.as_raw_fd();
        if let Some(f) = RELEASED.get() {
            f(&self.path, self.waited, self.taken.elapsed());
        }
        std::mem::forget(self);
        // SAFETY: the Flock (and its File) was forgotten just above without closing its fd,
        // which nothing else owns: it is ours to own from here on.
        let fd = unsafe { std::os::fd::OwnedFd::from_raw_fd(raw) };
        let flags = if inheritable {
            nix::fcntl::FdFlag::empty()
        } else {
            nix::fcntl::FdFlag::FD_CLOEXEC
        };
        nix::fcntl::fcntl(&fd, nix::fcntl::FcntlArg::F_SETFD(flags))?;
        Ok(fd)
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
        Self::take_or(path, on_wait, FlockArg::LockExclusiveNonblock, FlockArg::LockExclusive)
    }

    /// Take the lock as a reader: shared with other readers, excluding writers; when a writer
    /// holds it, call `on_wait` once, then wait for it.
    pub fn shared_or(path: &Path, on_wait: impl FnOnce()) -> Result<FileLock> {
        Self::take_or(path, on_wait, FlockArg::LockSharedNonblock, FlockArg::LockShared)
    }

    /// Open and lock `path`, then check that the file locked is still the one the path names:
    /// lock files of temporary entries and layer work are removed by their owner or by a sweep
    /// (which locks them first), and a lock taken on a file unlinked between our open and our
    /// flock would guard nothing (another process could create and lock a new file under the
    /// same name). In that case, try again on whatever the path names now.
    fn take_or(path: &Path, on_wait: impl FnOnce(), nonblock: FlockArg, block: FlockArg) -> Result<FileLock> {
        let asked = Instant::now();
        let mut on_wait = Some(on_wait);
        loop {
            let file = open(path)?;
            let lock = match Flock::lock(file, nonblock) {
                Ok(l) => l,
                Err((f, Errno::EWOULDBLOCK)) => {
                    if let Some(w) = on_wait.take() {
                        w();
                    }
                    Flock::lock(f, block).map_err(|(_, e)| crate::err!("locking {}: {e}", path.display()))?
                }
                Err((_, e)) => return Err(crate::err!("locking {}: {e}", path.display())),
            };
            if still_named(&lock, path) {
                return Ok(FileLock::new(lock, path, asked));
            }
        }
    }

    /// Take the lock only if nobody holds it.
    pub fn try_exclusive(path: &Path) -> Result<Option<FileLock>> {
        let asked = Instant::now();
        loop {
            let file = open(path)?;
            match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
                Ok(l) if still_named(&l, path) => return Ok(Some(FileLock::new(l, path, asked))),
                Ok(_) => continue,
                Err((_, Errno::EWOULDBLOCK)) => return Ok(None),
                Err((_, e)) => return Err(crate::err!("locking {}: {e}", path.display())),
            }
        }
    }
}

/// What `FileLock::try_existing` found.
pub enum Existing {
    /// Taken: nobody held it.
    Taken(FileLock),
    /// Another process holds it.
    Busy,
    /// No such lock file (its owner removed it as it finished).
    Gone,
}

impl FileLock {
    /// Take an existing lock file's lock if nobody holds it, never creating the file: for
    /// readers of other processes' lock files (`system check`), which must not leave a new
    /// lock file behind when its owner has just removed it.
    pub fn try_existing(path: &Path) -> Result<Existing> {
        let asked = Instant::now();
        let file = match OpenOptions::new().read(true).custom_flags(libc::O_CLOEXEC).open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Existing::Gone),
            Err(e) => return Err(crate::err!("opening lock file {}: {e}", path.display())),
        };
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(l) if still_named(&l, path) => Ok(Existing::Taken(FileLock::new(l, path, asked))),
            Ok(_) => Ok(Existing::Gone),
            Err((_, Errno::EWOULDBLOCK)) => Ok(Existing::Busy),
            Err((_, e)) => Err(crate::err!("locking {}: {e}", path.display())),
        }
    }
}

/// Whether `path` still names the file `lock` holds (same device and inode).
fn still_named(lock: &Flock<File>, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (lock.metadata(), std::fs::metadata(path)) {
        (Ok(held), Ok(named)) => held.dev() == named.dev() && held.ino() == named.ino(),
        _ => false,
    }
}
