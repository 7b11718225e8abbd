//! Stopping, signalling, waiting for and removing containers.

use crate::error::Result;
use crate::runtime::state::{self, Status};
use crate::runtime::userns;
use crate::store::containers::ContainerRecord;
use crate::store::Store;
use std::os::fd::OwnedFd;

/// Send `sig` to a running container; error if it is not running.
pub fn kill(store: &Store, rec: &ContainerRecord, sig: i32) -> Result<()> {
    let (st, _, live) = state::status(store, rec);
    let pidfd = match (st, live.as_ref().and_then(state::open_process)) {
        (Status::Running { .. }, Some(fd)) => fd,
        _ => crate::bail!("container {} is not running", rec.name),
    };
    if !(1..=64).contains(&sig) {
        crate::bail!("valid signals are 1 through 64");
    }
    // As Podman: a container killed by its user is not started again by its restart policy.
    state::mark_stopped_by_user(&rec.id);
    crate::sys::process::pidfd_send_signal_raw(&pidfd, sig)
        .map_err(|e| crate::err!("signalling container {}: {e}", rec.name))?;
    crate::events::of("kill", rec);
    Ok(())
}

/// Stop: the stop signal, then SIGKILL after `timeout` seconds; waits until its exit is recorded.
pub fn stop(store: &Store, rec: &ContainerRecord, timeout: u32) -> Result<()> {
    let sig = nix::sys::signal::Signal::try_from(rec.spec.stop_signal).unwrap_or(nix::sys::signal::Signal::SIGTERM);
    let running = matches!(state::status(store, rec).0, Status::Running { .. });
    if running {
        state::mark_stopping(&rec.id, true);
    }
    terminate(store, rec, sig, timeout);
    if running {
        state::mark_stopping(&rec.id, false);
        crate::events::of("stop", rec);
    }
    Ok(())
}

/// If the container runs: send `first`, SIGKILL after `grace` seconds, and wait (bounded) for the
/// exit and for its monitor to record it.
fn terminate(store: &Store, rec: &ContainerRecord, first: nix::sys::signal::Signal, grace: u32) {
    // Before anything else: its monitor must not start it again (nor, waiting to restart it,
    // start it later).
    state::mark_stopped_by_user(&rec.id);
    let (st, _, live) = state::status(store, rec);
    let (Status::Running { .. }, Some(live)) = (st, live) else {
        return;
    };
    let Some(pidfd) = state::open_process(&live) else {
        return;
    };
    let _ = crate::sys::process::pidfd_send_signal(&pidfd, first);
    crate::fault::point("after:stop-signal");
    if !state::wait_exit(&pidfd, std::time::Duration::from_secs(grace as u64)) {
        // With -t 0 the SIGKILL is what was asked for: nothing to say.
        if first != nix::sys::signal::Signal::SIGKILL && grace > 0 {
            // Podman's words, which users (and scripts) look for.
            crate::output::note(&format!(
                "StopSignal {first:?} failed to stop container {} in {grace} seconds, resorting to SIGKILL",
                rec.name
            ));
        }
        let _ = crate::sys::process::pidfd_send_signal(&pidfd, nix::sys::signal::Signal::SIGKILL);
        state::wait_exit(&pidfd, std::time::Duration::from_secs(10));
    }
    state::wait_recorded(store, &rec.id, &live, std::time::Duration::from_secs(5));
}

/// Wait for a container to exit; returns its exit code. A container that was never started
/// has nothing to wait for: 0 at once, as Podman answers.
pub fn wait(store: &Store, rec: &ContainerRecord) -> Result<i32> {
    loop {
        let (st, _, live) = state::status(store, rec);
        match st {
            Status::Running { .. } => {
                let live = live.expect("running means a live record");
                if let Some(fd) = state::open_process(&live) {
                    state::wait_exit(&fd, std::time::Duration::from_secs(3600));
                }
                state::wait_recorded(store, &rec.id, &live, std::time::Duration::from_secs(5));
            }
            Status::Exited { code } => return Ok(code),
            Status::Created => return Ok(0),
        }
    }
}

/// Make sure a container is not running before removal: error without `force`, SIGKILL with it.
/// Must run before `enter_userns` (only the host user may signal the container's processes).
pub fn ensure_stopped(store: &Store, rec: &ContainerRecord, force: bool) -> Result<()> {
    ensure_stopped_within(store, rec, force, None)
}

/// As `ensure_stopped`; with `grace`, `force` sends the container's stop signal first and
/// SIGKILL only after `grace` seconds (`rm -f -t N`).
pub fn ensure_stopped_within(store: &Store, rec: &ContainerRecord, force: bool, grace: Option<u32>) -> Result<()> {
    // A start under way (a monitor that has not yet recorded its container, even if the `start`
    // or `run -d` that began it was killed) ends first: else the container would be removed
    // from under it and run on, unknown.
    drop(state::start_lock(&rec.id));
    if let Status::Running { .. } = state::status(store, rec).0 {
        if !force {
            return Err(
                // Podman's wording (scripts match "container state improper").
                crate::err!(
                    "cannot remove container {} as it is running - running or paused containers cannot be removed without force: container state improper",
                    rec.id
                )
                    .classed(crate::error::Class::InUse),
            );
        }
        match grace {
            Some(g) if g > 0 => stop(store, rec, g)?,
            _ => terminate(store, rec, nix::sys::signal::Signal::SIGKILL, 10),
        }
    }
    crate::fault::pause("rm:checked");
    Ok(())
}

/// Remove a stopped container: record first (under the lock), then its directory. Call
/// `enter_userns` before, to delete files the container created as other uids.
pub fn remove(store: &Store, rec: &ContainerRecord, volumes: bool) -> Result<()> {
    remove_with(store, rec, volumes, None)
}

/// `--rm` of a foreground container that has exited: as `remove`, but its directory, once its
/// record and live state are gone and it has been moved into tmp/ (so that nothing lists the
/// container, its name is free and `system check` finds no leftover when hutch returns), is
/// deleted by a detached child while hutch reports the exit status. `held`: the container's
/// mount namespace (`runtime::Started::mnt_ns`), whose teardown that child does too.
pub fn remove_exited(store: &Store, rec: &ContainerRecord, held: Option<OwnedFd>) -> Result<()> {
    remove_with(store, rec, true, Some(held))
}

/// `detached`: delete the directory in a detached child (`delete_detached`), with the
/// container's mount namespace if held.
fn remove_with(store: &Store, rec: &ContainerRecord, volumes: bool, detached: Option<Option<OwnedFd>>) -> Result<()> {
    // No start of it meanwhile (one under way is recorded first): a container started since
    // `ensure_stopped` looked is refused, not removed from under its monitor. (A foreground
    // `--rm` removes its own exited container: nothing else starts it.)
    let _start = if detached.is_none() {
        let start = state::start_lock(&rec.id)?;
        if state::alive_now(&rec.id) {
            return Err(crate::err!(
                "cannot remove container {} as it was started meanwhile: container state improper",
                rec.id
            )
            .classed(crate::error::Class::InUse));
        }
        Some(start)
    } else {
        None
    };
    let lock = store.lock_containers()?;
    // A record of its own (containers/<id>/record.json): removed alone, without reading the
    // others, so that the lock is held for one unlink however many containers there are.
    if !store.remove_container_file(&rec.id, &rec.name, lock, !rec.spec.auto_remove)? {
        let lock = store.lock_containers()?;
        let mut idx = store.load_containers()?;
        let Some(n) = idx.containers.iter().position(|c| c.id == rec.id) else {
            // Removed meanwhile by someone else (e.g. its --rm monitor).
            return Ok(());
        };
        let name = idx.containers.remove(n).name;
        // An older hutch's record (containers.json): its name is given up once it is gone.
        if rec.spec.auto_remove {
            store.save_containers_undoable(&idx, &lock)?;
        } else {
            store.save_containers(&idx, &lock)?;
        }
        store.release_name(&name, &rec.id);
        drop(lock);
    }
    crate::output::trace("record removed");
    crate::events::of("remove", rec);
    state::remove_live(&rec.id);
    state::clear_stopped_by_user(&rec.id);
    let _ = std::fs::remove_file(crate::paths::live_file(&rec.id).with_extension("lock"));
    crate::fault::point("after:remove-live");
    let d = store.container_dir(&rec.id);
    let gone = match detached {
        // (The namespace, if held, is closed either way before the directory goes.)
        Some(held) if d.exists() => delete_detached(store, &d, held),
        _ => false,
    };
    if d.exists() && !gone {
        delete_dir(store, &d)?;
    }
    if volumes {
        crate::volume::remove_anonymous_of(store, rec)?;
        let vroot = store.volumes_dir();
        if let Ok(rd) = std::fs::read_dir(&vroot) {
            for e in rd.flatten() {
                if e.file_name()
                    .to_string_lossy()
                    .starts_with(&format!("anon-{}-", &rec.id[..12]))
                {
                    let _ = store.discard_dir(&e.path());
                }
            }
        }
    }
    Ok(())
}

/// Delete a container's directory.
fn delete_dir(store: &Store, d: &std::path::Path) -> Result<()> {
    // Usually everything in it is the user's own; only files the container created as other
    // uids need the user namespace (whose setup costs a few milliseconds) to go. overlay leaves
    // work/work mode 000 (ours): its access back first, so that one pass removes everything.
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(d.join("work/work"), std::fs::Permissions::from_mode(0o700));
    }
    if std::fs::remove_dir_all(d).is_err() {
        // Other directories the container made without our access.
        crate::store::make_writable(d);
        if std::fs::remove_dir_all(d).is_err() {
            enter_userns()?;
            store.discard_dir(d)?;
        }
    }
    Ok(())
}

/// Move `dir` into tmp/ now and delete it there in a detached child (its own session, stdio on
/// /dev/null, so that nobody waiting for hutch's output or exit waits for it), which holds the
/// entry's lock until it is gone: a concurrent sweep or `system check` leaves it alone, and a
/// child killed half-way leaves debris that the next sweep removes. False when `dir` could not
/// be moved (the caller deletes it in place). `held`, the container's mount namespace, is
/// closed last by that child, which so pays for its teardown (before deleting: its overlay is
/// unmounted first); closed here when there is no child.
fn delete_detached(store: &Store, dir: &std::path::Path, held: Option<OwnedFd>) -> bool {
    let Ok(trash) = store.temp("trash") else {
        return false;
    };
    if std::fs::rename(dir, &trash.path).is_err() {
        return false;
    }
    crate::fault::point("after:discard-rename");
    // Closed by this process once its own descriptor of `held` is: the child's is then the last.
    let handover = held
        .as_ref()
        .and_then(|_| nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).ok());
    match crate::sys::process::fork() {
        Ok(None) => {
            let _ = crate::sys::process::detach_from_caller();
            if let Some((r, w)) = handover {
                drop(w);
                let _ = nix::unistd::read(&r, &mut [0u8; 1]);
                crate::fault::point("before:release-namespace");
            }
            drop(held);
            let path = trash.path.clone();
            if delete_dir(store, &path).is_ok() {
                // Its lock file goes too (the entry is already gone).
                drop(trash);
            }
            crate::sys::process::exit_now(0)
        }
        Ok(Some(_)) => {
            drop(held);
            drop(handover);
            // The child holds the lock (the same open file) and removes the entry and its lock
            // file: this process only closes its descriptor when it exits.
            std::mem::forget(trash);
            true
        }
        Err(_) => {
            drop(held);
            let path = trash.path.clone();
            let _ = delete_dir(store, &path);
            true
        }
    }
}

/// Enter the store's user namespace (to delete files owned by subordinate ids).
pub fn enter_userns() -> Result<()> {
    userns::enter().map(drop)
}

/// A running container's main process, stopped with SIGSTOP (`commit --pause`) until this is
/// dropped, which sends SIGCONT. Only that process: without a cgroup freezer, processes it
/// started keep running.
pub struct Paused(std::os::fd::OwnedFd);

impl Drop for Paused {
    fn drop(&mut self) {
        let _ = crate::sys::process::pidfd_send_signal(&self.0, nix::sys::signal::Signal::SIGCONT);
    }
}

/// Stop a running container's main process; None when the container is not running.
pub fn pause_main(store: &Store, rec: &ContainerRecord) -> Result<Option<Paused>> {
    let (st, _, live) = state::status(store, rec);
    let pidfd = match (st, live.as_ref().and_then(state::open_process)) {
        (Status::Running { .. }, Some(fd)) => fd,
        _ => return Ok(None),
    };
    crate::sys::process::pidfd_send_signal(&pidfd, nix::sys::signal::Signal::SIGSTOP)
        .map_err(|e| crate::err!("pausing container {}: {e}", rec.name))?;
    Ok(Some(Paused(pidfd)))
}
