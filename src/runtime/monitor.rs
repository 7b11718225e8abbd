//! The per-container monitor for detached containers: a forked, session-leading process that
//! owns the container (its parent), writes its output to the log with timestamps, records its
//! exit code, and removes it when it was run with --rm. It holds only the container's pipes
//! (or pty master), the log file and the pidfd.

use std::fs::File;
use std::io::Write;
use std::os::fd::{AsFd, OwnedFd};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use super::state::{self, Recorder};
use super::{Plan, StdioMode};
use crate::error::Result;
use crate::store::Store;
use crate::sys::process;

/// Start the container under a new monitor; returns when it runs (or failed to start).
pub fn start_detached(plan: &Plan, start_lock: &crate::sys::lock::FileLock) -> Result<()> {
    // --log-driver none: the output is read and dropped.
    let log_path = if plan.spec.logged() {
        plan.container_dir.join("ctr.log")
    } else {
        std::path::PathBuf::from("/dev/null")
    };
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|e| crate::err!("opening log {}: {e}", log_path.display()))?;
    let (report_r, report_w) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| crate::err!("pipe: {e}"))?;
    // SAFETY-relevant invariant: hutch has no other threads here (no tokio runtime on this path).
    match fork_monitor()? {
        None => {
            drop(report_r);
            // A fresh process image keeps the monitor small: a fork would carry the CLI's
            // heap and stack for the container's whole life.
            let e = exec_monitor(plan, &log, &report_w, start_lock.as_fd());
            let code = report_error(report_w, 125, &format!("starting the container monitor: {e}"));
            process::exit_now(code)
        }
        Some(_pid) => {
            drop(report_w);
            crate::fault::point("after:monitor-forked");
            let buf = crate::sys::fd::read_to_eof(&report_r);
            let text = String::from_utf8_lossy(&buf);
            if text == "OK" {
                return Ok(());
            }
            Err(super::parse_error_line(&text)
                .unwrap_or_else(|| crate::err!("the container monitor exited before the container started")))
        }
    }
}

/// File descriptors the exec'd monitor finds: the plan (JSON), the report pipe, the log, the
/// container's start lock (held until the start is recorded).
const PLAN_FD: i32 = 3;
const REPORT_FD: i32 = 4;
const LOG_FD: i32 = 5;
const LOCK_FD: i32 = 6;

fn exec_monitor(plan: &Plan, log: &File, report: &OwnedFd, lock: std::os::fd::BorrowedFd) -> String {
    let json = match serde_json::to_vec(plan) {
        Ok(j) => j,
        Err(e) => return e.to_string(),
    };
    let memfd = match nix::sys::memfd::memfd_create(c"hutch-plan", nix::sys::memfd::MFdFlags::empty()) {
        Ok(f) => f,
        Err(e) => return format!("memfd_create: {e}"),
    };
    let mut f = File::from(memfd);
    if let Err(e) = f.write_all(&json).and_then(|()| std::io::Seek::rewind(&mut f)) {
        return e.to_string();
    }
    // Move the three fds into place without clobbering each other, then drop CLOEXEC on them.
    let fds = [
        (f.as_fd(), PLAN_FD),
        (report.as_fd(), REPORT_FD),
        (log.as_fd(), LOG_FD),
        (lock, LOCK_FD),
    ];
    let mut tmp = Vec::new();
    for (fd, _) in fds {
        match nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_DUPFD_CLOEXEC(100)) {
            Ok(t) => tmp.push(t),
            Err(e) => return format!("dup: {e}"),
        }
    }
    for (t, (_, want)) in tmp.iter().zip(fds) {
        if let Err(e) = crate::sys::fd::dup_onto(*t, want) {
            return format!("dup2: {e}");
        }
    }
    use std::os::unix::process::CommandExt;
    // --runtime: that hutch binary runs the monitor (and, through it, the container).
    let exe = plan.spec.oci_runtime.as_deref().unwrap_or("/proc/self/exe");
    let e = std::process::Command::new(exe).arg("__monitor").exec();
    e.to_string()
}

/// Entry of `hutch __monitor` (exec'd by `start_detached`): read the plan and run the monitor.
pub fn exec_main() -> i32 {
    // These fds were put in place for us by exec_monitor and nothing else owns them.
    let (plan_file, report, log) = (
        File::from(crate::sys::fd::adopt_fd(PLAN_FD)),
        crate::sys::fd::adopt_fd(REPORT_FD),
        File::from(crate::sys::fd::adopt_fd(LOG_FD)),
    );
    // Close-on-exec again, or the network helper would inherit them (and the report pipe would
    // never reach EOF for the waiting CLI).
    for fd in [plan_file.as_fd(), report.as_fd(), log.as_fd()] {
        let _ = nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC));
    }
    let plan: Plan = match serde_json::from_reader(std::io::BufReader::new(plan_file)) {
        Ok(p) => p,
        Err(e) => return report_error(report, 125, &format!("the container monitor got a bad plan: {e}")),
    };
    let store = Store::reopen(plan.store_root.clone());
    monitor_main(&store, &plan, log, report, inherited_lock(&plan.id))
}

/// The start lock `exec_monitor` handed over (at LOCK_FD, if that is the container's lock file).
fn inherited_lock(id: &str) -> Option<OwnedFd> {
    let at = std::fs::read_link(format!("/proc/self/fd/{LOCK_FD}")).ok()?;
    if at != crate::paths::live_file(id).with_extension("lock") {
        return None;
    }
    let fd = crate::sys::fd::adopt_fd(LOCK_FD);
    let _ = nix::fcntl::fcntl(&fd, nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC));
    Some(fd)
}

fn fork_monitor() -> Result<Option<i32>> {
    match crate::sys::process::fork() {
        Ok(None) => Ok(None),
        Ok(Some(pid)) => Ok(Some(pid)),
        Err(e) => Err(crate::err!("forking the container monitor: {e}")),
    }
}

/// The container's pipes (None with a tty) and the stdio the container gets.
fn container_stdio(tty: bool) -> std::result::Result<(Option<(OwnedFd, OwnedFd)>, StdioMode), String> {
    if tty {
        return Ok((None, StdioMode::Tty));
    }
    let (or, ow) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| format!("pipe: {e}"))?;
    let (er, ew) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| format!("pipe: {e}"))?;
    Ok((
        Some((or, er)),
        StdioMode::Pipes {
            stdin: None,
            out: ow,
            err: ew,
        },
    ))
}

/// `handed`: the start lock of the `start` that exec'd this monitor, released once this first
/// start is recorded (or failed).
fn monitor_main(store: &Store, plan: &Plan, log: File, report: OwnedFd, mut handed: Option<OwnedFd>) -> i32 {
    let _ = nix::unistd::setsid();
    process::set_name("hutch-monitor");
    let mut report = Some(report);
    let mut logger = None;
    let mut restarts = 0u32;
    // With a restart policy, the start after an exit happens under the container's start lock,
    // after checking that nobody stopped, removed or started the container meanwhile.
    let mut start_lock = None;
    loop {
        let (pipes, stdio) = match container_stdio(plan.spec.tty) {
            Ok(p) => p,
            Err(e) => return fail_start(&mut report, 125, &e),
        };
        let mut started = match super::spawn(plan, &stdio) {
            Ok(s) => s,
            Err(e) => return fail_start(&mut report, e.exit_code(), &e.message),
        };
        drop(stdio);
        crate::fault::pause("monitor:spawned");
        // Its namespace goes with the process: a restart must not find the last run's overlay
        // still mounted on the same upper directory.
        drop(started.mnt_ns.take());
        let recorder = match Recorder::started_again(store, &plan.id, !plan.spec.auto_remove, &started, restarts) {
            Ok(r) => r,
            Err(e) => {
                let _ = process::pidfd_send_signal(&started.child.pidfd, nix::sys::signal::Signal::SIGKILL);
                return fail_start(&mut report, 125, &e.message);
            }
        };
        drop(start_lock.take());
        drop(handed.take());
        let began = std::time::Instant::now();
        // The monitor's pid, for systemd's PIDFile= (`generate systemd`): in the runtime dir
        // (again at each restart: the exit removed it), and where --conmon-pidfile asks.
        // Written before "OK", so it exists when `start` returns.
        let me = format!("{}\n", std::process::id());
        let _ = std::fs::write(crate::paths::live_file(&plan.id).with_extension("pid"), &me);
        if let Some(report) = report.take() {
            if let Some(f) = &plan.spec.monitor_pidfile {
                if let Err(e) = std::fs::write(f, &me) {
                    let _ = process::pidfd_send_signal(&started.child.pidfd, nix::sys::signal::Signal::SIGKILL);
                    return report_error(report, 125, &format!("--conmon-pidfile {f}: {e}"));
                }
            }
            let _ = nix::unistd::write(&report, b"OK");
            drop(report);
            // Detach from the caller's terminal and streams.
            if let Ok(null) = nix::fcntl::open("/dev/null", nix::fcntl::OFlag::O_RDWR, nix::sys::stat::Mode::empty()) {
                use std::os::fd::AsRawFd;
                for fd in 0..3 {
                    let _ = crate::sys::fd::dup_onto(null.as_raw_fd(), fd);
                }
            }
            release_memory();
        }
        let logger = logger.get_or_insert_with(|| Logger::new(log.try_clone().expect("dup"), plan.spec.log_size_max));
        let sources: Vec<(OwnedFd, usize)> = match (pipes, started.tty.as_ref()) {
            (Some((o, e)), _) => vec![(o, 0), (e, 1)],
            (None, Some(m)) => vec![(m.try_clone().expect("dup"), 0)],
            (None, None) => vec![],
        };
        let deadline = (plan.spec.timeout > 0)
            .then(|| std::time::Instant::now() + std::time::Duration::from_secs(plan.spec.timeout.into()));
        let timed_out = relay(&started, sources, logger, deadline);
        let code = super::session::reap(&started.child);
        // Killed for --timeout: -1, as Podman's conmon records it.
        let code = if timed_out { -1 } else { code };
        // The network helper goes with the container, before its exit is recorded.
        if let Some(h) = started.net.take() {
            h.stop();
        }
        drop(started);
        // Before the exit is recorded: whoever waits for that record (stop, wait) comes after it.
        // Under its current name (it may have been renamed while it ran).
        let name = store
            .load_containers()
            .ok()
            .and_then(|i| i.containers.iter().find(|c| c.id == plan.id).map(|c| c.name.clone()))
            .unwrap_or_else(|| plan.container_name.clone());
        crate::events::died(&plan.id, &name, &plan.image_name, &plan.spec.labels, code);
        recorder.exited(code);
        let ran = began.elapsed().as_millis() as u64;
        match restart_due(store, plan, code, restarts, ran) {
            Some(lock) => {
                start_lock = Some(lock);
                restarts += 1;
            }
            None => break,
        }
    }
    if let Some(pod) = &plan.spec.pod {
        crate::pod::member_exited(store, pod, &plan.id);
    }
    if plan.spec.auto_remove {
        crate::fault::point("before:auto-remove");
        use std::os::unix::process::CommandExt;
        let _ = std::process::Command::new("/proc/self/exe")
            .args(["rm", "-f", "-v", &plan.id])
            .exec();
    }
    0
}

/// The first start failed: tell the waiting CLI. A restart that failed has nobody to tell: the
/// container stays exited (its last exit recorded).
fn fail_start(report: &mut Option<OwnedFd>, code: i32, msg: &str) -> i32 {
    match report.take() {
        Some(r) => report_error(r, code, msg),
        None => 0,
    }
}

/// Copy the container's output into the log until it has exited and its pipes are drained.
/// With a `deadline` (--timeout), the container is killed when it passes: returns whether it was.
fn relay(
    started: &super::Started,
    mut sources: Vec<(OwnedFd, usize)>,
    logger: &mut Logger,
    deadline: Option<std::time::Instant>,
) -> bool {
    let mut buf = vec![0u8; 16 * 1024];
    let mut exited = false;
    let mut timed_out = false;
    while !sources.is_empty() || !exited {
        let mut fds: Vec<PollFd> = sources
            .iter()
            .map(|(fd, _)| PollFd::new(fd.as_fd(), PollFlags::POLLIN))
            .collect();
        if !exited {
            fds.push(PollFd::new(started.child.pidfd.as_fd(), PollFlags::POLLIN));
        }
        // Once the container is gone, drain what is buffered without blocking forever on a
        // pipe some stray process keeps open.
        let timeout = if exited {
            PollTimeout::from(200u16)
        } else {
            super::session::poll_until(deadline.filter(|_| !timed_out))
        };
        match poll(&mut fds, timeout) {
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => break,
            Ok(0) if !exited => {
                if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
                    timed_out = true;
                    let _ =
                        crate::sys::process::pidfd_send_signal(&started.child.pidfd, nix::sys::signal::Signal::SIGKILL);
                }
                continue;
            }
            Ok(0) => break,
            Ok(_) => {}
        }
        let ready: Vec<bool> = fds.iter().map(|f| f.revents().is_some_and(|r| !r.is_empty())).collect();
        drop(fds);
        if !exited && ready[sources.len()] {
            exited = true;
        }
        let mut closed = Vec::new();
        for (i, (fd, stream)) in sources.iter().enumerate() {
            if !ready[i] {
                continue;
            }
            match nix::unistd::read(fd, &mut buf) {
                Ok(0) | Err(_) => closed.push(i),
                Ok(n) => logger.write(*stream, &buf[..n]),
            }
        }
        for i in closed.into_iter().rev() {
            sources.remove(i);
        }
    }
    timed_out
}

/// After an exit with `code`: whether the restart policy starts the container again. If so,
/// waits its backoff (checking every 50 ms that nobody stopped, removed or started it), and
/// returns the container's start lock, held until the new start is recorded.
fn restart_due(
    store: &Store,
    plan: &Plan,
    code: i32,
    restarts: u32,
    ran_ms: u64,
) -> Option<crate::sys::lock::FileLock> {
    let policy = &plan.spec.restart;
    let still_wanted = || {
        !state::stopped_by_user(&plan.id)
            && !state::running_now(&plan.id)
            && store
                .load_containers()
                .is_ok_and(|idx| idx.containers.iter().any(|c| c.id == plan.id))
    };
    if !policy.should_restart(code, restarts, state::stopped_by_user(&plan.id)) {
        return None;
    }
    let until = std::time::Instant::now()
        + std::time::Duration::from_millis(crate::spec::restart::backoff_ms(restarts, ran_ms));
    loop {
        if !still_wanted() {
            return None;
        }
        let left = until.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            break;
        }
        std::thread::sleep(left.min(std::time::Duration::from_millis(50)));
    }
    let lock = state::start_lock(&plan.id).ok()?;
    still_wanted().then_some(lock)
}

fn report_error(report: OwnedFd, code: i32, msg: &str) -> i32 {
    let _ = nix::unistd::write(&report, super::error_line(code, msg).as_bytes());
    1
}

/// Give the heap the CLI used back to the system: the monitor lives as long as the container.
fn release_memory() {
    crate::sys::memory::trim_heap();
    crate::sys::memory::release_unused_stack();
}

/// k8s-file log lines: `TIMESTAMP STREAM F|P TEXT` (P = partial line, continued by the next).
/// With a size limit (containers.conf log_size_max) the log starts over, as with conmon, when
/// the next records would take it past the limit. The foreground `run`/`start -a` writes the same
/// log (session.rs).
pub struct Logger {
    /// Opened for appending, so writes follow a truncation.
    file: File,
    max: Option<u64>,
    written: u64,
}

const STREAMS: [&str; 2] = ["stdout", "stderr"];

impl Logger {
    pub fn new(file: File, max: Option<u64>) -> Logger {
        let written = file.metadata().map(|m| m.len()).unwrap_or(0);
        Logger { file, max, written }
    }

    /// Complete lines become F records; a trailing piece without newline is written at once
    /// as a P record (continued by the next record), as conmon does.
    pub fn write(&mut self, stream: usize, data: &[u8]) {
        let ts = timestamp();
        let mut out = Vec::new();
        let mut rest = data;
        while !rest.is_empty() {
            let (piece, tag, next) = match rest.iter().position(|b| *b == b'\n') {
                Some(nl) => (&rest[..nl], "F", &rest[nl + 1..]),
                None => (rest, "P", &rest[rest.len()..]),
            };
            let head = format!("{ts} {} {tag} ", STREAMS[stream]);
            let len = (head.len() + piece.len() + 1) as u64;
            // The record would take the log past its limit: the log starts over (what this
            // chunk had before it would be gone with the truncation anyway).
            if self.max.is_some_and(|max| self.written + out.len() as u64 + len > max) && self.file.set_len(0).is_ok() {
                self.written = 0;
                out.clear();
            }
            out.extend_from_slice(head.as_bytes());
            out.extend_from_slice(piece);
            out.push(b'\n');
            rest = next;
        }
        if self.file.write_all(&out).is_ok() {
            self.written += out.len() as u64;
        }
    }
}

/// RFC 3339 with nanoseconds, UTC.
pub fn timestamp() -> String {
    crate::output::format_nanos(state::now_nanos())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_file(name: &str) -> (std::path::PathBuf, File) {
        let p = std::env::temp_dir().join(format!("hutch-log-{name}-{}", crate::digest::random_hex(4)));
        let f = std::fs::OpenOptions::new().create(true).append(true).open(&p).unwrap();
        (p, f)
    }

    #[test]
    fn log_starts_over_at_its_size_limit() {
        let (p, f) = log_file("max");
        let mut l = Logger::new(f, Some(200));
        let record = timestamp().len() + " stdout F ".len() + "line 0\n".len();
        for i in 0..10 {
            l.write(0, format!("line {i}\n").as_bytes());
            assert!(std::fs::metadata(&p).unwrap().len() <= 200);
        }
        // 200 bytes hold `per` records: the log started over after each full batch.
        let per = 200 / record;
        let text = std::fs::read_to_string(&p).unwrap();
        let first = 9 / per * per;
        assert!(
            text.lines()
                .next()
                .unwrap()
                .ends_with(&format!("stdout F line {first}")),
            "{text}"
        );
        assert!(text.ends_with("stdout F line 9\n"), "{text}");
        // One chunk of many lines is limited record by record.
        let (r, f) = log_file("chunk");
        let mut l = Logger::new(f, Some(200));
        l.write(
            0,
            "line 0\nline 1\nline 2\nline 3\nline 4\nline 5\nline 6\nline 7\nline 8\nline 9\n".as_bytes(),
        );
        let strip = |t: &str| {
            t.lines()
                .map(|l| l.split_once(' ').unwrap().1.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(&std::fs::read_to_string(&r).unwrap()), strip(&text));
        std::fs::remove_file(r).unwrap();
        // Without a limit it only grows; a reopened log counts what is already there.
        let f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
        let before = std::fs::metadata(&p).unwrap().len();
        let mut l = Logger::new(f, Some(before + 1));
        l.write(1, b"x\n");
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(
            (text.lines().count(), text.ends_with(" stderr F x\n")),
            (1, true),
            "{text}"
        );
        let (q, f) = log_file("unlimited");
        let mut l = Logger::new(f, None);
        for _ in 0..100 {
            l.write(0, b"0123456789\n");
        }
        assert_eq!(std::fs::read_to_string(&q).unwrap().lines().count(), 100);
        std::fs::remove_file(p).unwrap();
        std::fs::remove_file(q).unwrap();
    }
}
