//! `system reset`: stop every container hutch knows to be running, then remove the store and
//! the runtime directory, whatever state they are in. Nothing here trusts the store's indices:
//! running containers are found through the runtime dir's live files (pid + start time), and
//! the store goes as a whole, inside its user namespace so that files owned by subordinate ids
//! go too.

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::runtime::state;
use crate::runtime::userns;
use crate::sys::process;

/// What the store's directory holds when hutch made it (any one of them is enough).
const STORE_ENTRIES: &[&str] = &["blobs", "layers", "images", "containers", "volumes", "tmp"];
/// What the runtime directory holds when hutch made it.
const RUNTIME_ENTRIES: &[&str] = &["containers", "net", "seccomp"];

pub struct Report {
    /// Containers that were running and got SIGKILL.
    pub stopped: usize,
    /// Directories removed.
    pub removed: Vec<PathBuf>,
}

/// Whether removing `dir` as a whole is safe: hutch's own default location, an empty or missing
/// directory, or one that holds what hutch puts there.
fn is_ours(dir: &Path, given: bool, entries: &[&str]) -> bool {
    if !given {
        return true;
    }
    match std::fs::read_dir(dir) {
        Err(_) => true,
        Ok(mut rd) => {
            let empty = rd.next().is_none();
            empty || entries.iter().any(|e| dir.join(e).exists())
        }
    }
}

/// SIGKILL every container (and its monitor) the runtime dir lists as live; waits for them.
fn kill_live() -> usize {
    let Ok(rd) = std::fs::read_dir(crate::paths::live_dir()) else {
        return 0;
    };
    let mut waiting = Vec::new();
    let mut containers = 0;
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(id) = name.strip_suffix(".json") else { continue };
        let Some(live) = state::read_live(id) else { continue };
        let Some(ctr) = state::open_process(&live) else {
            continue;
        };
        crate::output::debug(&format!("killing container {id} (pid {})", live.pid));
        // The monitor first, so it does not record the exit into a store being removed.
        if live.monitor_pid > 0 && live.monitor_pid != std::process::id() as i32 {
            if let Ok(m) = process::pidfd_open(nix::unistd::Pid::from_raw(live.monitor_pid)) {
                if process::is_same_process(live.monitor_pid, live.monitor_start) {
                    let _ = process::pidfd_send_signal(&m, nix::sys::signal::Signal::SIGKILL);
                    waiting.push(m);
                }
            }
        }
        let _ = process::pidfd_send_signal(&ctr, nix::sys::signal::Signal::SIGKILL);
        waiting.push(ctr);
        containers += 1;
    }
    for fd in &waiting {
        state::wait_exit(fd, std::time::Duration::from_secs(10));
    }
    containers
}

/// Stop everything and remove the store and runtime directories.
pub fn reset() -> Result<Report> {
    let store = crate::paths::data_dir()?;
    let run = crate::paths::runtime_dir();
    let store_given = std::env::var_os(crate::paths::ROOT_VAR).is_some();
    if !is_ours(&store, store_given, STORE_ENTRIES) {
        crate::bail!(
            "{} does not look like a hutch store (none of {} in it): not removing it",
            store.display(),
            STORE_ENTRIES.join(", ")
        );
    }
    let run_ours = is_ours(&run, crate::paths::runtime_dir_given(), RUNTIME_ENTRIES);
    let stopped = kill_live();
    crate::fault::point("after:reset-stop");
    let mut targets = vec![store.clone()];
    if run_ours {
        targets.push(run.clone());
    } else {
        crate::output::note(&format!(
            "{} does not look like hutch's runtime directory: left alone",
            run.display()
        ));
    }
    let targets: Vec<PathBuf> = targets.into_iter().filter(|p| p.symlink_metadata().is_ok()).collect();
    if targets.is_empty() {
        return Ok(Report {
            stopped,
            removed: vec![],
        });
    }
    // Plain removal first (everything may well be ours); what is left needs the namespace.
    let left: Vec<PathBuf> = targets
        .iter()
        .filter(|p| {
            crate::store::make_writable(p);
            let failed = remove(p).is_err();
            crate::fault::point("after:reset-remove");
            failed
        })
        .cloned()
        .collect();
    if !left.is_empty() {
        let todo = left.clone();
        userns::in_store_namespace("removing the store", move || {
            for p in &todo {
                crate::store::make_writable(p);
                remove(p).map_err(|e| crate::err!("removing {}: {e}", p.display()))?;
            }
            Ok(())
        })?;
    }
    Ok(Report {
        stopped,
        removed: targets,
    })
}

fn remove(p: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(p),
        Ok(_) => std::fs::remove_file(p),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}
