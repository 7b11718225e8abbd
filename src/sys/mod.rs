//! Thin safe wrappers over the syscalls hutch needs that nix does not wrap. The only `unsafe`.

pub mod caps;
pub mod fd;
pub mod fs;
pub mod lock;
pub mod memory;
pub mod mount;
pub mod ns;
pub mod process;
pub mod pty;
pub mod route;
