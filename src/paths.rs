//! Every path hutch uses outside the store, and nothing else: XDG directories with their
//! fallbacks, and the whole runtime-dir layout (`$XDG_RUNTIME_DIR/hutch/…`). The store's own
//! layout belongs to `store::Store`.

use std::path::PathBuf;

use crate::error::{Context, Result};

/// The environment variables that carry `--root` and `--runroot` (set by `use_dirs` from the
/// global options, so that every hutch this one starts, the monitor of a `-d` container
/// included, uses the same store and runtime dir; a user may set them too).
pub const ROOT_VAR: &str = "HUTCH_ROOT";
pub const RUNROOT_VAR: &str = "HUTCH_RUNROOT";

/// Make `root` and `runroot` (made absolute against the current directory) the store and
/// runtime dirs of this process and of every hutch it starts. Called once at start-up, before
/// any thread exists.
pub fn use_dirs(root: Option<&std::path::Path>, runroot: Option<&std::path::Path>) -> Result<()> {
    for (var, dir, flag) in [(ROOT_VAR, root, "--root"), (RUNROOT_VAR, runroot, "--runroot")] {
        let Some(dir) = dir else { continue };
        if dir.as_os_str().is_empty() {
            crate::bail!("{flag}: the directory must not be empty");
        }
        let abs = std::path::absolute(dir).ctx(|| format!("{flag} {}", dir.display()))?;
        std::env::set_var(var, abs);
    }
    Ok(())
}

/// Where the persistent store lives: `--root` (`$HUTCH_ROOT`), else `$XDG_DATA_HOME/hutch`
/// (default `~/.local/share/hutch`).
pub fn data_dir() -> Result<PathBuf> {
    if let Some(p) = env_dir(ROOT_VAR) {
        return Ok(p);
    }
    if let Some(p) = env_dir("XDG_DATA_HOME") {
        return Ok(p.join("hutch"));
    }
    let base = directories::BaseDirs::new().ctx(|| "cannot find your home directory: set HOME or XDG_DATA_HOME")?;
    Ok(base.data_dir().join("hutch"))
}

/// `$XDG_CONFIG_HOME` (default `~/.config`).
pub fn config_home() -> Option<PathBuf> {
    env_dir("XDG_CONFIG_HOME").or_else(|| directories::BaseDirs::new().map(|b| b.config_dir().to_path_buf()))
}

/// `$XDG_RUNTIME_DIR` when set and usable (an absolute, existing, writable directory).
pub fn xdg_runtime_dir() -> Option<PathBuf> {
    let p = env_dir("XDG_RUNTIME_DIR")?;
    let usable = nix::unistd::access(&p, nix::unistd::AccessFlags::W_OK | nix::unistd::AccessFlags::X_OK).is_ok();
    usable.then_some(p)
}

/// Whether the runtime dir was given (`--runroot` or `$HUTCH_RUNROOT`).
pub fn runtime_dir_given() -> bool {
    env_dir(RUNROOT_VAR).is_some()
}

/// Live state: `--runroot` (`$HUTCH_RUNROOT`), else `$XDG_RUNTIME_DIR/hutch`, or
/// `/tmp/hutch-$UID` when that is unset or unusable.
pub fn runtime_dir() -> PathBuf {
    if let Some(p) = env_dir(RUNROOT_VAR) {
        return p;
    }
    match xdg_runtime_dir() {
        Some(p) => p.join("hutch"),
        None => PathBuf::from(format!("/tmp/hutch-{}", nix::unistd::getuid())),
    }
}

/// The event log's default place: `<runtime dir>/events/events.log`.
pub fn events_log() -> PathBuf {
    runtime_dir().join("events").join("events.log")
}

/// Live files of running containers: `<runtime dir>/containers/<id>.json`.
pub fn live_dir() -> PathBuf {
    runtime_dir().join("containers")
}

pub fn live_file(id: &str) -> PathBuf {
    live_dir().join(format!("{id}.json"))
}

/// Network helpers' pid files and sockets: `<runtime dir>/net`.
pub fn net_dir() -> PathBuf {
    runtime_dir().join("net")
}

/// Compiled seccomp filters: `<runtime dir>/seccomp/<key>.bpf`.
pub fn seccomp_cache_dir() -> PathBuf {
    runtime_dir().join("seccomp")
}

/// The user's home directory.
pub fn home() -> Option<PathBuf> {
    env_dir("HOME").or_else(|| directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf()))
}

fn env_dir(name: &str) -> Option<PathBuf> {
    let v = std::env::var_os(name)?;
    let p = PathBuf::from(v);
    p.is_absolute().then_some(p)
}

/// A program on $PATH (or the usual directories when PATH is unset).
pub fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin".into());
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

/// A system tool (iptables-restore): in PATH, else in the sbin directories an unprivileged
/// user's PATH often lacks.
pub fn find_tool(name: &str) -> Option<PathBuf> {
    find_in_path(name).or_else(|| {
        ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
            .iter()
            .map(|d| std::path::Path::new(d).join(name))
            .find(|p| p.is_file())
    })
}
