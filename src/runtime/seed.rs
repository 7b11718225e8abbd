//! The container's user namespace, made as soon as `run` knows it will need one (before the
//! container's record and plan): newuidmap and newgidmap, whose execs take about 2 ms even side
//! by side, write its id maps while hutch creates the container, instead of between the
//! container's clone and its first step. `runtime::spawn` then clones the container into it
//! (`process::clone3_in_userns`) if its maps are the ones the container needs; else the seed is
//! ended unused and the container gets a user namespace of its own as before.
//!
//! The seed also makes the container's network, UTS and IPC namespaces (`run` seeds only
//! `--network none` containers, whose network namespace is a new, empty one): the kernel's
//! setting up of a network namespace (its loopback device, sysctl tables, every protocol's
//! per-namespace state) takes 0.3-0.4 ms, which the seed spends on its own time, not between
//! the container's clone and its start.
//!
//! The seed holds nothing on disk: a process that waits on a pipe whose only other end is
//! ours, so it ends with us however we end. `run` starts it before its arguments are parsed
//! (`early`), when they look like a seedable run, so that the helpers' execs overlap the parse.

use std::os::fd::OwnedFd;
use std::sync::Mutex;

use crate::sys::process::UsernsHolder;

type Triples = Vec<(u64, u64, u64)>;

struct Seed {
    holder: UsernsHolder,
    /// What newuidmap and newgidmap were asked to write.
    maps: (Triples, Triples),
    helpers: Vec<super::userns::IdMapHelper>,
}

impl Drop for Seed {
    fn drop(&mut self) {
        // Unused (or taken): its helpers are reaped, then the holder ends.
        let _ = super::userns::wait_newidmap(std::mem::take(&mut self.helpers));
    }
}

static SEED: Mutex<Option<Seed>> = Mutex::new(None);

/// Start a seed whose maps are `mapping`'s default (not keep-id) ones. Best effort: without
/// one, `spawn` does as before. Call it single-threaded, once.
pub fn start(mapping: &super::userns::Mapping) {
    if !matches!(mapping, super::userns::Mapping::Full { .. }) {
        return;
    }
    let others = libc::CLONE_NEWNET | libc::CLONE_NEWUTS | libc::CLONE_NEWIPC;
    let Ok(holder) = UsernsHolder::start_with(others) else {
        return;
    };
    let maps = super::userns::map_triples(mapping, false);
    let Ok(helpers) = super::userns::spawn_newidmap(holder.pid.as_raw(), &maps.0, &maps.1) else {
        return;
    };
    crate::output::trace("seed: user namespace made, its maps being written");
    *SEED.lock().unwrap_or_else(|p| p.into_inner()) = Some(Seed { holder, maps, helpers });
}

/// A seed's namespaces, for a container to be cloned into.
pub struct Namespaces {
    pub user: OwnedFd,
    /// The network, UTS and IPC namespaces it made (owned by `user`), each with its CLONE_NEW*
    /// flag; empty when it could not make them.
    pub others: Vec<(OwnedFd, libc::c_int)>,
}

/// Whether a seed was started (and not yet taken or ended).
pub fn started() -> bool {
    SEED.lock().unwrap_or_else(|p| p.into_inner()).is_some()
}

/// The seed's namespaces, if there is a seed and its maps are `u` and `g`, once they are
/// written. None: no seed, or not these maps, or it failed (newuidmap or newgidmap did, or the
/// holder was killed): the seed is ended and the container gets a user namespace of its own,
/// whose maps' errors, if any, are reported.
pub fn take(u: &[(u64, u64, u64)], g: &[(u64, u64, u64)]) -> Option<Namespaces> {
    let mut seed = SEED.lock().unwrap_or_else(|p| p.into_inner()).take()?;
    if seed.maps.0 != u || seed.maps.1 != g {
        return None;
    }
    let waited = super::userns::wait_newidmap(std::mem::take(&mut seed.helpers));
    let pid = seed.holder.pid;
    let open = |ns: &str| {
        nix::fcntl::open(
            format!("/proc/{pid}/ns/{ns}").as_str(),
            nix::fcntl::OFlag::O_RDONLY | nix::fcntl::OFlag::O_CLOEXEC,
            nix::sys::stat::Mode::empty(),
        )
    };
    let userns = waited.and_then(|()| open("user").map_err(|e| crate::err!("opening its user namespace: {e}")));
    // Its other namespaces, all or none (then the container makes its own).
    let others = if seed.holder.ready() {
        [
            ("net", libc::CLONE_NEWNET),
            ("uts", libc::CLONE_NEWUTS),
            ("ipc", libc::CLONE_NEWIPC),
        ]
        .into_iter()
        .map(|(ns, flag)| open(ns).map(|fd| (fd, flag)))
        .collect::<nix::Result<Vec<_>>>()
        .unwrap_or_default()
    } else {
        Vec::new()
    };
    match userns {
        Ok(user) => {
            crate::output::trace("seed: maps written");
            Some(Namespaces { user, others })
        }
        Err(e) => {
            crate::output::trace(&format!("seed: not used: {}", e.message));
            None
        }
    }
    // (The holder ends here: the descriptor keeps the namespace.)
}

/// End an unused seed (`run` calls it once the container is gone).
pub fn discard() {
    drop(SEED.lock().unwrap_or_else(|p| p.into_inner()).take());
}
