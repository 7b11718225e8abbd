//! A foreground container (or exec) session: forward signals, proxy the pty (raw mode, window
//! size, Ctrl-C/Ctrl-D as bytes), and return the exit code.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};

use super::monitor::Logger;
use super::Started;
use crate::sys::process;
use crate::sys::pty::RawMode;

const FORWARDED: &[Signal] = &[
    Signal::SIGINT,
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
    Signal::SIGWINCH,
];

/// Block the signals we forward, before the container is cloned (the child unblocks them), so
/// none is lost or kills hutch between clone and the loop.
pub fn block_signals() -> SigSet {
    let mut set = SigSet::empty();
    for s in FORWARDED {
        set.add(*s);
    }
    let _ = nix::sys::signal::sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set), None);
    set
}

/// The foreground session's ends of the pipes a process without a terminal gets as its stdio
/// (hutch's own descriptors never go into the container, as with Podman's conmon).
pub struct Relay {
    /// Where hutch's stdin goes (with -i).
    stdin: Option<OwnedFd>,
    out: OwnedFd,
    /// None when stdout and stderr share one pipe.
    err: Option<OwnedFd>,
    /// Whether the process's stdout and stderr are shown (`run --attach`); both are logged.
    show: [bool; 2],
}

impl Relay {
    /// `run --attach`: show only these of the process's stdout and stderr.
    pub fn show(&mut self, out: bool, err: bool) {
        self.show = [out, err];
    }
}

/// Pipes for a foreground process without a terminal: its ends (to hand to `spawn`, and to drop
/// once it runs) and the session's. When hutch's stdout and stderr are one file (a terminal,
/// `>log 2>&1`), the process gets one pipe for both, so their output keeps its order.
pub fn pipes(stdin: bool) -> crate::error::Result<(super::StdioMode, Relay)> {
    pipes_split(stdin, false)
}

/// `pipes`; with `split`, stdout and stderr get a pipe each even when hutch's are one file
/// (`run --attach` shows one of them).
pub fn pipes_split(stdin: bool, split: bool) -> crate::error::Result<(super::StdioMode, Relay)> {
    let pipe = || nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| crate::err!("creating a pipe: {e}"));
    let id = |fd: BorrowedFd<'_>| nix::sys::stat::fstat(fd).ok().map(|s| (s.st_dev, s.st_ino));
    let (o, e) = (std::io::stdout(), std::io::stderr());
    let shared = !split && id(o.as_fd()).is_some_and(|x| Some(x) == id(e.as_fd()));
    let (out_r, out_w) = pipe()?;
    let (err_r, err_w) = if shared {
        (None, out_w.try_clone().map_err(|e| crate::err!("dup: {e}"))?)
    } else {
        let (r, w) = pipe()?;
        (Some(r), w)
    };
    let (in_r, in_w) = if stdin {
        let (r, w) = pipe()?;
        // Written only when poll says there is room: a process that does not read its stdin
        // must not stop hutch from relaying its output.
        let _ = nix::fcntl::fcntl(&w, nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK));
        (Some(r), Some(w))
    } else {
        (None, None)
    };
    Ok((
        super::StdioMode::Pipes {
            stdin: in_r,
            out: out_w,
            err: err_w,
        },
        Relay {
            stdin: in_w,
            out: out_r,
            err: err_r,
            show: [true, true],
        },
    ))
}

/// Run until the process exits; returns its exit code (128+N for a signal). Its output (the pty
/// master's, or the `relay` pipes') goes to hutch's stdout and stderr, and to the container's
/// `log` when there is one (conmon does this for Podman, attached or not; a pty's output, or one
/// pipe shared by stdout and stderr, is logged as stdout); hutch's stdin goes to it when
/// `attach_stdin`.
pub fn run(
    started: &Started,
    signals: SigSet,
    attach_stdin: bool,
    relay: Option<Relay>,
    mut log: Option<Logger>,
    deadline: Option<std::time::Instant>,
) -> i32 {
    let mut timed_out = false;
    let sfd = SignalFd::with_flags(&signals, SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK).ok();
    let (stdin_handle, stdout_handle, stderr_handle) = (std::io::stdin(), std::io::stdout(), std::io::stderr());
    let (stdin, stdout, stderr) = (stdin_handle.as_fd(), stdout_handle.as_fd(), stderr_handle.as_fd());
    let master = started.tty.as_ref();
    let _raw = match master {
        Some(m) => {
            if let Some(ws) = crate::sys::pty::get_winsize(0) {
                let _ = crate::sys::pty::set_winsize(m.as_raw_fd(), &ws);
            }
            if attach_stdin {
                RawMode::enter(stdin)
            } else {
                None
            }
        }
        None => None,
    };
    // (what the process writes, where it goes, its stream in the log); where hutch's stdin goes.
    let mut outputs: Vec<(OwnedFd, Option<BorrowedFd<'_>>, usize)> = Vec::new();
    let mut input: Option<OwnedFd> = None;
    match (master, relay) {
        (Some(m), _) => {
            if let Ok(d) = m.try_clone() {
                outputs.push((d, Some(stdout), 0));
            }
            if attach_stdin {
                input = m.try_clone().ok();
            }
        }
        (None, Some(r)) => {
            outputs.push((r.out, Some(stdout).filter(|_| r.show[0]), 0));
            if let Some(e) = r.err {
                outputs.push((e, Some(stderr).filter(|_| r.show[1]), 1));
            }
            input = r.stdin.filter(|_| attach_stdin);
        }
        (None, None) => {}
    }
    let mut stdin_open = input.is_some();
    // Read from stdin, not yet taken by the process.
    let mut pending: Vec<u8> = Vec::new();
    let mut exited = false;
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        // The pty stays open with the process; a stdin pipe closes once hutch's stdin has ended
        // and everything read from it went through (the process then reads EOF).
        if master.is_none() && !stdin_open && pending.is_empty() {
            input = None;
        }
        if exited && outputs.is_empty() {
            break;
        }
        let mut fds = Vec::new();
        if !exited {
            fds.push(PollFd::new(started.child.pidfd.as_fd(), PollFlags::POLLIN));
        }
        let si = fds.len();
        if let Some(s) = &sfd {
            fds.push(PollFd::new(s.as_fd(), PollFlags::POLLIN));
        }
        let oi = fds.len();
        for (fd, _, _) in &outputs {
            fds.push(PollFd::new(fd.as_fd(), PollFlags::POLLIN));
        }
        let ii = fds.len();
        let want_stdin = stdin_open && pending.is_empty() && !exited;
        if want_stdin {
            fds.push(PollFd::new(stdin, PollFlags::POLLIN));
        }
        let wi = fds.len();
        let want_room = !pending.is_empty() && !exited;
        if let (true, Some(i)) = (want_room, &input) {
            fds.push(PollFd::new(i.as_fd(), PollFlags::POLLOUT));
        }
        // Once the process is gone, drain what is buffered without waiting for ever on a pipe
        // that some process it left behind keeps open.
        let timeout = if exited {
            PollTimeout::from(200u16)
        } else {
            poll_until(deadline.filter(|_| !timed_out))
        };
        match poll(&mut fds, timeout) {
            Err(nix::errno::Errno::EINTR) => continue,
            Ok(0) if !exited => {
                // --timeout: the container has run its time.
                if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
                    timed_out = true;
                    let _ = process::pidfd_send_signal(&started.child.pidfd, Signal::SIGKILL);
                }
                continue;
            }
            Err(_) | Ok(0) => break,
            Ok(_) => {}
        }
        let ready = |i: usize| fds.get(i).and_then(|f| f.revents()).is_some_and(|r| !r.is_empty());
        let now_exited = !exited && ready(0);
        let sig_ready = sfd.is_some() && ready(si);
        let outs_ready: Vec<bool> = (0..outputs.len()).map(|k| ready(oi + k)).collect();
        let stdin_ready = want_stdin && ready(ii);
        let room = want_room && input.is_some() && ready(wi);
        drop(fds);
        if sig_ready {
            while let Ok(Some(info)) = sfd.as_ref().expect("signalfd").read_signal() {
                let Ok(sig) = Signal::try_from(info.ssi_signo as i32) else {
                    continue;
                };
                if sig == Signal::SIGWINCH {
                    if let (Some(m), Some(ws)) = (master, crate::sys::pty::get_winsize(0)) {
                        let _ = crate::sys::pty::set_winsize(m.as_raw_fd(), &ws);
                    }
                    continue;
                }
                if !exited {
                    let _ = process::pidfd_send_signal(&started.child.pidfd, sig);
                }
            }
        }
        let mut closed = Vec::new();
        for (k, (fd, to, stream)) in outputs.iter().enumerate() {
            if !outs_ready[k] {
                continue;
            }
            match nix::unistd::read(fd, &mut buf) {
                Err(nix::errno::Errno::EINTR) | Err(nix::errno::Errno::EAGAIN) => {}
                Ok(0) | Err(_) => closed.push(k),
                // Nobody reads hutch's output any more: closing the pipe tells the process
                // (EPIPE/SIGPIPE), as if it wrote to hutch's stdout itself.
                Ok(n) => {
                    if let Some(l) = log.as_mut() {
                        l.write(*stream, &buf[..n]);
                    }
                    if to.is_some_and(|to| !write_all(to, &buf[..n])) {
                        closed.push(k);
                    }
                }
            }
        }
        for k in closed.into_iter().rev() {
            outputs.remove(k);
        }
        if stdin_ready {
            match nix::unistd::read(stdin, &mut buf) {
                Err(nix::errno::Errno::EINTR) | Err(nix::errno::Errno::EAGAIN) => {}
                Ok(0) | Err(_) => stdin_open = false,
                Ok(n) => pending.extend_from_slice(&buf[..n]),
            }
        }
        if room {
            match nix::unistd::write(input.as_ref().expect("input"), &pending) {
                Ok(n) => {
                    pending.drain(..n);
                }
                Err(nix::errno::Errno::EINTR) | Err(nix::errno::Errno::EAGAIN) => {}
                // The process closed its stdin.
                Err(_) => {
                    pending.clear();
                    stdin_open = false;
                    input = None;
                }
            }
        }
        if now_exited {
            exited = true;
            if master.is_some() {
                // A pty's master reads EIO only once every holder of the slave is gone; what
                // it still holds is read now, without waiting.
                for (fd, _, _) in &outputs {
                    let _ = nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK));
                }
            }
        }
    }
    drop(input);
    let code = reap(&started.child);
    // Killed for --timeout: -1, as Podman's conmon records it.
    if timed_out {
        -1
    } else {
        code
    }
}

/// How long poll may wait: until `deadline` (at least 1 ms), or for ever without one.
pub fn poll_until(deadline: Option<std::time::Instant>) -> PollTimeout {
    match deadline {
        None => PollTimeout::NONE,
        Some(d) => {
            let ms = d
                .saturating_duration_since(std::time::Instant::now())
                .as_millis()
                .max(1);
            PollTimeout::try_from(ms.min(i32::MAX as u128) as i32).unwrap_or(PollTimeout::MAX)
        }
    }
}

/// Wait for the child and turn its status into an exit code.
pub fn reap(child: &process::Child) -> i32 {
    loop {
        match nix::sys::wait::waitpid(child.pid, Some(nix::sys::wait::WaitPidFlag::__WALL)) {
            Ok(st) => {
                if let Some(c) = super::exit_code(st) {
                    return c;
                }
            }
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return 255,
        }
    }
}

/// Write everything; false when the other end is gone.
fn write_all(fd: BorrowedFd<'_>, mut data: &[u8]) -> bool {
    while !data.is_empty() {
        match nix::unistd::write(fd, data) {
            Ok(n) => data = &data[n..],
            Err(nix::errno::Errno::EINTR) | Err(nix::errno::Errno::EAGAIN) => continue,
            Err(_) => return false,
        }
    }
    true
}
