//! Namespace file descriptors: their type, the user namespace that owns them, a user
//! namespace's parent.

use std::os::fd::{AsRawFd, OwnedFd};

use super::fd::adopt_fd;

use nix::errno::Errno;

/// Process `pid`'s namespace of kind `kind` (user, net, mnt…): /proc/PID/ns/KIND, opened.
pub fn open(pid: impl std::fmt::Display, kind: &str) -> nix::Result<OwnedFd> {
    nix::fcntl::open(
        format!("/proc/{pid}/ns/{kind}").as_str(),
        nix::fcntl::OFlag::O_RDONLY | nix::fcntl::OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )
}

/// The type (CLONE_NEW*) of the namespace behind `fd` (ioctl NS_GET_NSTYPE).
pub fn ns_type(fd: &OwnedFd) -> nix::Result<i32> {
    // SAFETY: an argument-less ioctl on a valid fd.
    Errno::result(unsafe { libc::ioctl(fd.as_raw_fd(), 0xb703) })
}

/// The user namespace that owns the namespace behind `fd` (ioctl NS_GET_USERNS).
pub fn ns_owner(fd: &OwnedFd) -> nix::Result<OwnedFd> {
    // SAFETY: as above; the result is a new fd we own.
    Errno::result(unsafe { libc::ioctl(fd.as_raw_fd(), 0xb701) }).map(adopt_fd)
}

/// The parent of the user namespace behind `fd` (ioctl NS_GET_PARENT).
pub fn ns_parent(fd: &OwnedFd) -> nix::Result<OwnedFd> {
    // SAFETY: as above; the result is a new fd we own.
    Errno::result(unsafe { libc::ioctl(fd.as_raw_fd(), 0xb702) }).map(adopt_fd)
}

/// Whether two fds name the same namespace.
pub fn same_ns(a: &OwnedFd, b: &OwnedFd) -> bool {
    let id = |f: &OwnedFd| nix::sys::stat::fstat(f).map(|s| (s.st_dev, s.st_ino)).ok();
    id(a).is_some() && id(a) == id(b)
}
