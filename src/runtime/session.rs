//! A foreground container (or exec) session: forward signals, proxy the pty (raw mode, window
//! size, Ctrl-C/Ctrl-D as bytes), and return the exit code.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};

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

/// Run until the process exits; returns its exit code (128+N for a signal).
pub fn run(started: &Started, signals: SigSet, attach_stdin: bool) -> i32 {
    let sfd = SignalFd::with_flags(&signals, SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK).ok();
    let (stdin_handle, stdout_handle) = (std::io::stdin(), std::io::stdout());
    let (stdin, stdout) = (stdin_handle.as_fd(), stdout_handle.as_fd());
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
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        let mut fds = vec![PollFd::new(started.child.pidfd.as_fd(), PollFlags::POLLIN)];
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
        match poll(&mut fds, PollTimeout::NONE) {
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => break,
            Ok(_) => {}
        }
        let ready = |i: usize| fds.get(i).and_then(|f| f.revents()).is_some_and(|r| !r.is_empty());
        let exited = ready(0);
        let sig_ready = sfd.is_some() && ready(1);
        let master_ready = master_open && ready(mi);
        let stdin_ready = stdin_open && ready(si);
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
                let _ = process::pidfd_send_signal(&started.child.pidfd, sig);
            }
        }
        if master_ready {
            match nix::unistd::read(master.expect("master"), &mut buf) {
                Ok(0) | Err(_) => master_open = false,
                Ok(n) => write_all(stdout, &buf[..n]),
            }
        }
        if stdin_ready {
            match nix::unistd::read(stdin, &mut buf) {
                Ok(0) | Err(_) => stdin_open = false,
                Ok(n) => write_all(master.expect("master").as_fd(), &buf[..n]),
            }
        }
        if exited {
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

fn write_all(fd: BorrowedFd<'_>, mut data: &[u8]) {
    while !data.is_empty() {
        match nix::unistd::write(fd, data) {
            Ok(n) => data = &data[n..],
            Err(nix::errno::Errno::EINTR) | Err(nix::errno::Errno::EAGAIN) => continue,
            Err(_) => return,
        }
    }
}
