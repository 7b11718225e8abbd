//! The channel between hutch and the processes it clones (the container's first process,
//! exec helpers, the port forwarder's connector): "go", one error line with its exit class,
//! and file descriptors passed with SCM_RIGHTS. Success is the child's end closing on execve.

use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use nix::sys::socket::{
    recvmsg, sendmsg, socketpair, AddressFamily, ControlMessage, ControlMessageOwned, MsgFlags, SockFlag, SockType,
};

use crate::error::{Error, Result};

/// The parent/child channel: one SEQPACKET socketpair carrying "go", error lines, and fds
/// (a pty master, a started process's pidfd).
pub struct Channel {
    pub(super) fd: OwnedFd,
}

pub enum Msg {
    Fd(OwnedFd),
    /// A process started on our behalf: its pid and pidfd.
    Pid(i32, OwnedFd),
    /// That process's mount namespace.
    MntNs(OwnedFd),
    Error(i32, String),
    Eof,
}

impl AsFd for Channel {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl Channel {
    pub fn pair() -> Result<(Channel, Channel)> {
        let (a, b) = socketpair(AddressFamily::Unix, SockType::SeqPacket, None, SockFlag::SOCK_CLOEXEC)
            .map_err(|e| crate::err!("creating a socket pair: {e}"))?;
        Ok((Channel { fd: a }, Channel { fd: b }))
    }

    /// Child: block until the parent says go; false when the parent went away.
    pub fn wait_go(&self) -> bool {
        let mut b = [0u8; 1];
        matches!(nix::unistd::read(&self.fd, &mut b), Ok(1))
    }

    pub fn go(&self) {
        // The child may have exec'd already (closing its end): no SIGPIPE for that.
        let _ = nix::sys::socket::send(self.fd.as_raw_fd(), b"G", MsgFlags::MSG_NOSIGNAL);
    }

    pub fn send_error(&self, code: i32, msg: &str) {
        let _ = nix::unistd::write(&self.fd, error_line(code, msg).as_bytes());
    }

    /// One message: `text` with `fd` (SCM_RIGHTS).
    fn send_with_fd(&self, text: &[u8], fd: &OwnedFd) {
        let fds = [fd.as_raw_fd()];
        let cmsg = [ControlMessage::ScmRights(&fds)];
        let _ = sendmsg::<()>(
            self.fd.as_raw_fd(),
            &[IoSlice::new(text)],
            &cmsg,
            MsgFlags::empty(),
            None,
        );
    }

    pub fn send_fd(&self, fd: &OwnedFd) {
        self.send_with_fd(b"T", fd);
    }

    /// A started process's mount namespace (see `runtime::Started::mnt_ns`), after its pid.
    pub fn send_mnt_ns(&self, fd: &OwnedFd) {
        self.send_with_fd(b"N", fd);
    }

    pub fn send_pid(&self, pid: i32, pidfd: &OwnedFd) {
        self.send_with_fd(format!("P{pid}").as_bytes(), pidfd);
    }

    pub fn recv(&self) -> Msg {
        let mut buf = vec![0u8; 4096];
        let mut space = nix::cmsg_space!([RawFd; 1]);
        let mut iov = [IoSliceMut::new(&mut buf)];
        let r = match recvmsg::<()>(
            self.fd.as_raw_fd(),
            &mut iov,
            Some(&mut space),
            MsgFlags::MSG_CMSG_CLOEXEC,
        ) {
            Ok(r) => r,
            Err(nix::errno::Errno::EINTR) => return self.recv(),
            // The other end exited with our "go" unread (a `via_helper` helper that never waits
            // for it): the kernel reports that once, before the messages it had sent us.
            Err(nix::errno::Errno::ECONNRESET) => return self.recv(),
            Err(_) => return Msg::Eof,
        };
        let mut got_fd = None;
        if let Ok(cmsgs) = r.cmsgs() {
            for c in cmsgs {
                if let ControlMessageOwned::ScmRights(fds) = c {
                    // The kernel just installed these fds for us.
                    got_fd = fds.first().map(|f| crate::sys::fd::adopt_fd(*f));
                }
            }
        }
        let n = r.bytes;
        if n == 0 {
            return Msg::Eof;
        }
        if let Some(fd) = got_fd {
            if buf[0] == b'P' {
                let pid = String::from_utf8_lossy(&buf[1..n]).parse().unwrap_or(0);
                return Msg::Pid(pid, fd);
            }
            if buf[..n] == *b"N" {
                return Msg::MntNs(fd);
            }
            return Msg::Fd(fd);
        }
        let text = String::from_utf8_lossy(&buf[..n]);
        match parse_error_line(&text) {
            Some(e) => Msg::Error(e.exit_code(), e.message),
            None => Msg::Error(125, format!("unexpected message from the container process: {text}")),
        }
    }

    /// Parent: read until the child execs (EOF) or reports an error, keeping the pty master and
    /// the pid + pidfd of a process started on our behalf, whichever were sent.
    pub fn collect(&self) -> Collected {
        let mut c = Collected {
            tty: None,
            started: None,
            mnt_ns: None,
            result: Ok(()),
        };
        while !self.collect_one(&mut c) {}
        c
    }

    /// Take one message into `c`; true when it was the last (exec'd, or an error).
    pub(super) fn collect_one(&self, c: &mut Collected) -> bool {
        match self.recv() {
            Msg::Fd(f) => c.tty = Some(f),
            Msg::Pid(pid, fd) => c.started = Some((pid, fd)),
            Msg::MntNs(fd) => c.mnt_ns = Some(fd),
            Msg::Error(code, msg) => {
                c.result = Err(Error::with_code(code, msg));
                return true;
            }
            Msg::Eof => return true,
        }
        false
    }
}

/// What the other end of a `Channel` sent before it exec'd or failed.
pub struct Collected {
    pub tty: Option<OwnedFd>,
    pub started: Option<(i32, OwnedFd)>,
    pub mnt_ns: Option<OwnedFd>,
    pub result: Result<()>,
}

/// A failure as one line on a pipe or socket: `E<exit code> <message>`.
pub fn error_line(code: i32, msg: &str) -> String {
    format!("E{code} {msg}")
}

/// The error an `error_line` carries, if `text` is one.
pub fn parse_error_line(text: &str) -> Option<Error> {
    let (code, msg) = text.strip_prefix('E')?.split_once(' ')?;
    Some(Error::with_code(code.parse().unwrap_or(125), msg))
}
