//! Pseudo-terminals: unlocking a master and raw mode for the user's terminal.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use nix::errno::Errno;
use nix::sys::termios::{self, SetArg, Termios};

/// Unlock the slave side of a pty master and return its number (the N of /dev/pts/N).
pub fn unlock_and_number(master: impl AsFd) -> nix::Result<u32> {
    let fd = master.as_fd().as_raw_fd();
    let unlock: libc::c_int = 0;
    // SAFETY: TIOCSPTLCK reads an int through the pointer.
    Errno::result(unsafe { libc::ioctl(fd, libc::TIOCSPTLCK, &unlock as *const libc::c_int) })?;
    let mut n: libc::c_uint = 0;
    // SAFETY: TIOCGPTN writes an unsigned int through the pointer.
    Errno::result(unsafe { libc::ioctl(fd, libc::TIOCGPTN, &mut n as *mut libc::c_uint) })?;
    Ok(n)
}

/// A terminal's echo turned off until this is dropped (for typing a password).
pub struct EchoOff<'a> {
    fd: BorrowedFd<'a>,
    saved: Termios,
}

impl<'a> EchoOff<'a> {
    pub fn enter(fd: BorrowedFd<'a>) -> Option<EchoOff<'a>> {
        let saved = termios::tcgetattr(fd).ok()?;
        let mut quiet = saved.clone();
        quiet.local_flags.remove(termios::LocalFlags::ECHO);
        termios::tcsetattr(fd, SetArg::TCSANOW, &quiet).ok()?;
        Some(EchoOff { fd, saved })
    }
}

impl Drop for EchoOff<'_> {
    fn drop(&mut self) {
        let _ = termios::tcsetattr(self.fd, SetArg::TCSANOW, &self.saved);
    }
}

/// The user's terminal in raw mode until this is dropped.
pub struct RawMode {
    fd: i32,
    saved: Termios,
}

impl RawMode {
    pub fn enter(fd: BorrowedFd<'_>) -> Option<RawMode> {
        let saved = termios::tcgetattr(fd).ok()?;
        let mut raw = saved.clone();
        termios::cfmakeraw(&mut raw);
        termios::tcsetattr(fd, SetArg::TCSANOW, &raw).ok()?;
        Some(RawMode {
            fd: fd.as_raw_fd(),
            saved,
        })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        // SAFETY: the fd is one of our standard streams, open for the life of the process.
        let fd = unsafe { BorrowedFd::borrow_raw(self.fd) };
        let _ = termios::tcsetattr(fd, SetArg::TCSANOW, &self.saved);
    }
}

/// Make the calling process a session leader with `fd` (a tty) as its controlling terminal.
pub fn set_controlling_tty(fd: RawFd) -> nix::Result<()> {
    nix::unistd::setsid()?;
    // SAFETY: ioctl with an integer argument on a valid fd.
    Errno::result(unsafe { libc::ioctl(fd, libc::TIOCSCTTY, 0) }).map(drop)
}

/// Set the window size of a terminal.
pub fn set_winsize(fd: RawFd, ws: &libc::winsize) -> nix::Result<()> {
    // SAFETY: valid pointer to a winsize.
    Errno::result(unsafe { libc::ioctl(fd, libc::TIOCSWINSZ, ws as *const libc::winsize) }).map(drop)
}

/// The window size of a terminal.
pub fn get_winsize(fd: RawFd) -> Option<libc::winsize> {
    // SAFETY: winsize is plain data; ioctl fills it.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointer.
    let r = unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws as *mut libc::winsize) };
    (r == 0).then_some(ws)
}
