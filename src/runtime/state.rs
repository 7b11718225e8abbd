//! Container state: live (pid + start time, in the runtime dir, gone after a reboot) and
//! persistent (started/finished/exit code, in the store). Both written by sys::fs::write_atomic.
//! A container is running only while its recorded pid is alive with the recorded start time.

use serde::{Deserialize, Serialize};

use crate::error::{Context, Result};
use crate::store::containers::{ContainerRecord, Outcome};
use crate::store::Store;
use crate::sys::process;

/// Where a running container's processes are.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Live {
    pub pid: i32,
    pub start_time: u64,
    /// The monitor (-d) or the foreground hutch that waits for it.
    pub monitor_pid: i32,
    pub monitor_start: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Created,
    Running { pid: i32 },
    Exited { code: i32 },
}

impl Status {
    pub fn word(&self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Running { .. } => "running",
            Status::Exited { .. } => "exited",
        }
    }
}

pub fn write_live(id: &str, live: &Live) -> Result<()> {
    let dir = crate::paths::live_dir();
    if !dir.is_dir() {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .ctx(|| format!("creating {}", dir.display()))?;
    }
    let path = crate::paths::live_file(id);
    // The runtime dir is a tmpfs, gone with a crash of the machine: nothing to fsync for.
    crate::sys::fs::replace_atomic(&path, &serde_json::to_vec(live).expect("json"), 0o600)
        .ctx(|| format!("writing {}", path.display()))
}

pub fn read_live(id: &str) -> Option<Live> {
    serde_json::from_slice(&std::fs::read(crate::paths::live_file(id)).ok()?).ok()
}

/// Whether the container's recorded process runs and has not exited (a zombie nobody reaped
/// yet, say of a foreground `hutch run` killed, does not count).
pub fn alive_now(id: &str) -> bool {
    read_live(id)
        .and_then(|l| open_process(&l))
        .is_some_and(|fd| !wait_exit(&fd, std::time::Duration::ZERO))
}

/// Whether the container's recorded process is alive now (no waiting, no locks: for completion).
pub fn running_now(id: &str) -> bool {
    read_live(id).is_some_and(|l| process::is_same_process(l.pid, l.start_time))
}

/// `stop` is waiting for the container to exit: `<id>.stopping` next to its live file holds the
/// stopping process (pid and start time), so `inspect` says "stopping" meanwhile, as Podman's.
pub fn mark_stopping(id: &str, on: bool) {
    let f = crate::paths::live_file(id).with_extension("stopping");
    if on {
        let me = std::process::id() as i32;
        let _ = std::fs::write(&f, format!("{me} {}", process::start_time(me).unwrap_or(0)));
    } else {
        let _ = std::fs::remove_file(&f);
    }
}

/// Whether a `stop` of the container is under way (its process alive).
pub fn is_stopping(id: &str) -> bool {
    let Ok(t) = std::fs::read_to_string(crate::paths::live_file(id).with_extension("stopping")) else {
        return false;
    };
    let mut w = t.split_whitespace().map(|x| x.parse::<u64>().ok());
    match (w.next().flatten(), w.next().flatten()) {
        (Some(pid), Some(start)) => process::is_same_process(pid as i32, start),
        _ => false,
    }
}

pub fn remove_live(id: &str) {
    let _ = std::fs::remove_file(crate::paths::live_file(id));
    let _ = std::fs::remove_file(crate::paths::live_file(id).with_extension("pid"));
    let _ = std::fs::remove_file(crate::paths::live_file(id).with_extension("stopping"));
}

/// Records a container's life for `ps`, `wait` and `inspect`: its live file and start time when
/// its command has started, its exit code when it has ended. The one recorder for the
/// foreground `run`/`start -a` and the monitor of `-d`; whoever holds it waits for the container.
pub struct Recorder<'a> {
    store: &'a Store,
    id: String,
    outcome: Outcome,
    /// The record outlives the container (no --rm): its exit is written durably.
    kept: bool,
}

impl<'a> Recorder<'a> {
    /// `started` exec'd its command and this process will reap it. The start record is not
    /// fsynced: a crash of the machine takes the container with it.
    pub fn started(store: &'a Store, id: &str, kept: bool, started: &super::Started) -> Result<Recorder<'a>> {
        Recorder::started_again(store, id, kept, started, 0)
    }

    /// As `started`, for the `restart_count`th start by the container's restart policy.
    pub fn started_again(
        store: &'a Store,
        id: &str,
        kept: bool,
        started: &super::Started,
        restart_count: u32,
    ) -> Result<Recorder<'a>> {
        let me = std::process::id() as i32;
        let live = Live {
            pid: started.child.pid.as_raw(),
            start_time: started.start_time,
            monitor_pid: me,
            monitor_start: process::start_time(me).unwrap_or(0),
        };
        let outcome = Outcome {
            started_at: now_nanos(),
            restart_count,
            ..Default::default()
        };
        write_live(id, &live)?;
        crate::fault::point("after:write-live");
        store.write_outcome(id, &outcome, false)?;
        Ok(Recorder {
            store,
            id: id.to_string(),
            outcome,
            kept,
        })
    }

    /// The container exited with `code` (its helper already stopped).
    pub fn exited(mut self, code: i32) {
        self.outcome.finished_at = now_nanos();
        self.outcome.exit_code = Some(code);
        let _ = self.store.write_outcome(&self.id, &self.outcome, self.kept);
        crate::fault::point("after:record-exit");
        remove_live(&self.id);
    }
}

/// `stop` and `kill` mark the container stopped by its user before they signal it, so that its
/// monitor does not start it again (Podman's StoppedByUser); a start by hand clears the mark.
/// On the runtime tmpfs: gone with a reboot, as every monitor is.
fn stopped_mark(id: &str) -> std::path::PathBuf {
    crate::paths::live_file(id).with_extension("stopped")
}

pub fn mark_stopped_by_user(id: &str) {
    let dir = crate::paths::live_dir();
    if !dir.is_dir() {
        use std::os::unix::fs::DirBuilderExt;
        let _ = std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&dir);
    }
    let _ = std::fs::write(stopped_mark(id), b"");
}

pub fn clear_stopped_by_user(id: &str) {
    let _ = std::fs::remove_file(stopped_mark(id));
}

/// Held while a container is being started (by hand, or again by its monitor's restart
/// policy), so that two starts never run one container twice.
pub fn start_lock(id: &str) -> Result<crate::sys::lock::FileLock> {
    let dir = crate::paths::live_dir();
    if !dir.is_dir() {
        use std::os::unix::fs::DirBuilderExt;
        let _ = std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&dir);
    }
    crate::sys::lock::FileLock::exclusive(&crate::paths::live_file(id).with_extension("lock"))
}

pub fn stopped_by_user(id: &str) -> bool {
    stopped_mark(id).exists()
}

pub fn now_nanos() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0)
}

/// The container's status, reconciled: a live record whose process is gone (or a runtime dir
/// that vanished with a reboot) means exited.
pub fn status(store: &Store, rec: &ContainerRecord) -> (Status, Outcome, Option<Live>) {
    let mut outcome = store.read_outcome(&rec.id);
    let live = read_live(&rec.id);
    if let Some(l) = &live {
        if process::is_same_process(l.pid, l.start_time) {
            return (Status::Running { pid: l.pid }, outcome, live);
        }
        // Just exited: its monitor (or foreground hutch) records the code within moments.
        outcome = wait_recorded(store, &rec.id, l, std::time::Duration::from_secs(2));
    }
    if let Some(code) = outcome.exit_code {
        return (Status::Exited { code }, outcome, live);
    }
    if outcome.started_at > 0 {
        // Started, but nobody recorded an exit: the process died with its monitor, or the
        // machine rebooted.
        return (Status::Exited { code: -1 }, outcome, live);
    }
    (Status::Created, outcome, live)
}

/// Once the container's process is gone, wait (at most `max`) for its monitor to record the exit
/// code, unless the monitor is gone too. Returns the outcome as it then is.
pub fn wait_recorded(store: &Store, id: &str, live: &Live, max: std::time::Duration) -> Outcome {
    let deadline = std::time::Instant::now() + max;
    let mut outcome = store.read_outcome(id);
    while outcome.exit_code.is_none()
        && process::is_same_process(live.monitor_pid, live.monitor_start)
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(2));
        outcome = store.read_outcome(id);
    }
    outcome
}

/// A pidfd for the container's process, only if it is still the process we started.
pub fn open_process(live: &Live) -> Option<std::os::fd::OwnedFd> {
    let fd = process::pidfd_open(nix::unistd::Pid::from_raw(live.pid)).ok()?;
    // Checked after opening: the pidfd now pins this exact process.
    process::is_same_process(live.pid, live.start_time).then_some(fd)
}

/// Wait until the process behind `pidfd` has exited, at most `timeout`. True if it exited.
pub fn wait_exit(pidfd: &std::os::fd::OwnedFd, timeout: std::time::Duration) -> bool {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    use std::os::fd::AsFd;
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let ms = PollTimeout::try_from(left.as_millis().min(i32::MAX as u128) as i32).unwrap_or(PollTimeout::MAX);
        let mut fds = [PollFd::new(pidfd.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, ms) {
            Ok(n) if n > 0 => return true,
            Ok(_) => return false,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return false,
        }
    }
}
