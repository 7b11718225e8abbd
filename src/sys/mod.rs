//! Thin safe wrappers over the syscalls hutch needs that nix does not wrap, one file per
//! family. The only `unsafe` outside tests, each block with a `SAFETY:` comment. Never prints.

pub mod caps;
pub mod fd;
pub mod fs;
pub mod lock;
pub mod memory;
pub mod mount;
pub mod nfqueue;
pub mod nft;
pub mod ns;
pub mod process;
pub mod pty;
pub mod route;
