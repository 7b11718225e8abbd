//! `unshare`: become root in the store's user namespace (your uid as root, your subordinate
//! ids as the other users, as layers and containers see them) and run a command there.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;

use crate::error::{Class, Result};
use crate::runtime::userns;

/// Replace this process by `command` (default `$SHELL`, else /bin/sh) inside the namespace;
/// returns only on failure.
pub fn exec(command: &[OsString]) -> Result<i32> {
    let (program, args) = match command.split_first() {
        Some((p, a)) => (p.clone(), a.to_vec()),
        None => (
            std::env::var_os("SHELL")
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "/bin/sh".into()),
            vec![],
        ),
    };
    let graph = crate::paths::data_dir()?;
    let run = crate::paths::runtime_dir();
    userns::enter()?;
    let e = std::process::Command::new(&program)
        .args(&args)
        .env("CONTAINERS_GRAPHROOT", &graph)
        .env("CONTAINERS_RUNROOT", &run)
        .exec();
    let name = program.to_string_lossy();
    Err(match e.kind() {
        std::io::ErrorKind::NotFound => {
            crate::err!("{name}: executable file not found in $PATH: no such file or directory")
                .classed(Class::NotFound)
        }
        _ => crate::err!("{name}: cannot run it: {e}").classed(Class::CannotInvoke),
    })
}
