//! File descriptors: close-on-exec for all, dup onto, read to the end, adopt a raw fd.

use std::os::fd::{AsFd, FromRawFd, OwnedFd, RawFd};

use nix::errno::Errno;

/// Mark every fd from `from` upwards close-on-exec, so nothing of hutch leaks into a container.
pub fn cloexec_from(from: u32) -> nix::Result<()> {
    // SAFETY: integer arguments only.
    let r = unsafe { libc::syscall(libc::SYS_close_range, from, u32::MAX, libc::CLOSE_RANGE_CLOEXEC) };
    Errno::result(r).map(drop)
}

/// Replace fd `to` with `from`.
pub fn dup_onto(from: RawFd, to: RawFd) -> nix::Result<()> {
    // SAFETY: dup2 on raw fds; `to` is one of 0/1/2 which we mean to replace.
    Errno::result(unsafe { libc::dup2(from, to) }).map(drop)
}

/// Everything a pipe delivers until its last writer closes it (or an error).
pub fn read_to_eof(fd: impl AsFd) -> Vec<u8> {
    let mut out = Vec::new();
    let mut chunk = [0u8; 4096];
    while let Ok(n) = nix::unistd::read(fd.as_fd(), &mut chunk) {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&chunk[..n]);
    }
    out
}

/// Take ownership of a raw fd that was handed to this process (inherited across exec at a
/// known number, or received with SCM_RIGHTS) and that nothing else owns.
pub fn adopt_fd(fd: RawFd) -> OwnedFd {
    // SAFETY: by contract the fd is open and owned by nobody else in this process.
    unsafe { OwnedFd::from_raw_fd(fd) }
}
