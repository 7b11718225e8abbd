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
    Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP, Signal::SIGQUIT, Signal::SIGUSR1, Signal::SIGUSR2, Signal::SIGWINCH,
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

/// A foreground container's output, copied to the container's log on its way to the caller
/// (conmon does this for Podman, attached or not): without a tty, the read ends of the
/// container's stdout and stderr pipes; with one, the pty's output is logged as stdout.
#[derive(Default)]
pub struct Tee {
    pub pipes: Option<(OwnedFd, OwnedFd)>,
    pub log: Option<Logger>,
}

/// Run until the process exits; returns its exit code (128+N for a signal).
pub fn run(started: &Started, signals: SigSet, attach_stdin: bool, tee: Tee) -> i32 {
    let sfd = SignalFd::with_flags(&signals, SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK).ok();
    let (stdin_handle, stdout_handle, stderr_handle) = (std::io::stdin(), std::io::stdout(), std::io::stderr());
    let (stdin, stdout) = (stdin_handle.as_fd(), stdout_handle.as_fd());
    let ours = [stdout, stderr_handle.as_fd()];
    let mut log = tee.log;
    let mut pipes: Vec<(OwnedFd, usize)> = match tee.pipes {
        Some((out, err)) => vec![(out, 0), (err, 1)],
        None => vec![],
    };
    let master = started.tty.as_ref();
    let _raw = match master {
        Some(m) => {
            if let Some(ws) = crate::sys::pty::get_winsize(0) {
                let _ = crate::sys::pty::set_winsize(m.as_raw_fd(), &ws);
            }
            if attach_stdin { RawMode::enter(stdin) } else { None }
        }
        None => None,
    };
    let mut stdin_open = attach_stdin && master.is_some();
    let mut master_open = master.is_some();
    let mut exited = false;
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        let mut fds = vec![];
        if !exited {
            fds.push(PollFd::new(started.child.pidfd.as_fd(), PollFlags::POLLIN));
        }
        let gi = fds.len();
        if let Some(s) = &sfd {
            fds.push(PollFd::new(s.as_fd(), PollFlags::POLLIN));
        }
        let mi = fds.len();
        if let (true, Some(m)) = (master_open, master) {
            fds.push(PollFd::new(m.as_fd(), PollFlags::POLLIN));
        }
        let si = fds.len();
        if stdin_open {
            fds.push(PollFd::new(stdin, PollFlags::POLLIN));
        }
        let pi = fds.len();
        fds.extend(pipes.iter().map(|(p, _)| PollFd::new(p.as_fd(), PollFlags::POLLIN)));
        // Once the container is gone, drain its pipes without blocking for ever on one that
        // some stray process keeps open.
        let timeout = if exited { PollTimeout::from(200u16) } else { PollTimeout::NONE };
        match poll(&mut fds, timeout) {
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) | Ok(0) => break,
            Ok(_) => {}
        }
        let ready = |i: usize| fds.get(i).and_then(|f| f.revents()).is_some_and(|r| !r.is_empty());
        let exited_now = !exited && ready(0);
        let sig_ready = sfd.is_some() && ready(gi);
        let master_ready = master_open && ready(mi);
        let stdin_ready = stdin_open && ready(si);
        let pipes_ready: Vec<bool> = (0..pipes.len()).map(|i| ready(pi + i)).collect();
        drop(fds);
        if sig_ready {
            while let Ok(Some(info)) = sfd.as_ref().expect("signalfd").read_signal() {
                let Ok(sig) = Signal::try_from(info.ssi_signo as i32) else { continue };
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
        if master_ready {
            match nix::unistd::read(master.expect("master"), &mut buf) {
                Ok(0) | Err(_) => master_open = false,
                Ok(n) => {
                    write_all(stdout, &buf[..n]);
                    if let Some(l) = log.as_mut() {
                        l.write(0, &buf[..n]);
                    }
                }
            }
        }
        if stdin_ready {
            match nix::unistd::read(stdin, &mut buf) {
                Ok(0) | Err(_) => stdin_open = false,
                Ok(n) => {
                    write_all(master.expect("master").as_fd(), &buf[..n]);
                }
            }
        }
        let mut closed = Vec::new();
        for (i, (fd, stream)) in pipes.iter().enumerate() {
            if !pipes_ready[i] {
                continue;
            }
            match nix::unistd::read(fd, &mut buf) {
                Ok(0) | Err(_) => closed.push(i),
                Ok(n) => {
                    if let Some(l) = log.as_mut() {
                        l.write(*stream, &buf[..n]);
                    }
                    // Our own output is gone (`| head`): closing the pipe tells the container
                    // (EPIPE, SIGPIPE), as when it wrote there itself.
                    if !write_all(ours[*stream], &buf[..n]) {
                        closed.push(i);
                    }
                }
            }
        }
        for i in closed.into_iter().rev() {
            pipes.remove(i);
        }
        exited |= exited_now;
        if exited && (master.is_some() || pipes.is_empty()) {
            break;
        }
    }
    // Drain what the pty still holds.
    if let (true, Some(m)) = (master_open, master) {
        let _ = nix::fcntl::fcntl(m, nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK));
        while let Ok(n) = nix::unistd::read(m, &mut buf) {
            if n == 0 {
                break;
            }
            write_all(stdout, &buf[..n]);
            if let Some(l) = log.as_mut() {
                l.write(0, &buf[..n]);
            }
        }
    }
    reap(&started.child)
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

/// Write everything; false when the other side is gone.
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
