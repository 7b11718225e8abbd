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
    /// Made for the shared network namespace's cold start (`start_for_shared`), not for a
    /// container of its own.
    shared: bool,
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

impl Seed {
    /// One of its holder's namespaces (`ns`: user, net, uts, ipc), opened.
    fn open(&self, ns: &str) -> nix::Result<OwnedFd> {
        crate::sys::ns::open(self.holder.pid, ns)
    }
}

/// Start a seed whose maps are `mapping`'s default (not keep-id) ones. Best effort: without
/// one, `spawn` does as before. Call it single-threaded, once.
pub fn start(mapping: &super::userns::Mapping) {
    start_with(
        mapping,
        libc::CLONE_NEWNET | libc::CLONE_NEWUTS | libc::CLONE_NEWIPC,
        false,
    )
}

/// Start a seed for the shared network namespace (`sharednet`), when a run on a network will
/// probably bring it up: its user namespace, mapped as the store's, and a network namespace it
/// owns become hutch-netns's (`take_for_shared`), so that no newuidmap and newgidmap run after
/// the parse, and the kernel's making of that network namespace is not waited for either.
pub fn start_for_shared(mapping: &super::userns::Mapping) {
    start_with(mapping, libc::CLONE_NEWNET, true)
}

fn start_with(mapping: &super::userns::Mapping, others: libc::c_int, shared: bool) {
    if !matches!(mapping, super::userns::Mapping::Full { .. }) {
        return;
    }
    let Ok(holder) = UsernsHolder::start_with(others) else {
        return;
    };
    let maps = super::userns::map_triples(mapping, false);
    let Ok(helpers) = super::userns::spawn_newidmap(holder.pid.as_raw(), &maps.0, &maps.1) else {
        return;
    };
    crate::output::trace("seed: user namespace made, its maps being written");
    *SEED.lock().unwrap_or_else(|p| p.into_inner()) = Some(Seed {
        holder,
        shared,
        maps,
        helpers,
    });
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

/// Whether the seed started is one for the shared network namespace (`start_for_shared`).
pub fn started_for_shared() -> bool {
    SEED.lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
        .is_some_and(|s| s.shared)
}

/// A seed's user and network namespaces handed to the shared network namespace's start
/// (`take_for_shared`), its maps possibly still being written: `wait` before anything runs in
/// it that needs them (a container); nothing else there does (hutch-netns and pasta have every
/// capability in it, mapped or not).
pub struct ForShared {
    pub user: OwnedFd,
    pub net: OwnedFd,
    /// Its holder lives (newuidmap and newgidmap write to its /proc files) until they are
    /// done: dropped, the seed waits for them, then ends the holder.
    seed: Seed,
}

impl ForShared {
    /// Wait for its maps (newuidmap's or newgidmap's error, if one failed).
    pub fn wait(&mut self) -> crate::error::Result<()> {
        super::userns::wait_newidmap(std::mem::take(&mut self.seed.helpers))
    }

    /// Its namespaces, the seed's holder ended (call `wait` first: the maps are then written).
    pub fn into_fds(self) -> (OwnedFd, OwnedFd) {
        (self.user, self.net)
    }
}

/// The seed's user and network namespaces for the shared network namespace, if there is a
/// seed whose maps are `u` and `g` and it made its network namespace; its maps not waited
/// for. None: no such seed (then it is ended).
pub fn take_for_shared(u: &[(u64, u64, u64)], g: &[(u64, u64, u64)]) -> Option<ForShared> {
    let mut seed = SEED.lock().unwrap_or_else(|p| p.into_inner()).take()?;
    if seed.maps.0 != u || seed.maps.1 != g || !seed.holder.ready() {
        return None;
    }
    let (user, net) = (seed.open("user").ok()?, seed.open("net").ok()?);
    crate::output::trace("seed: handed to the shared network namespace");
    Some(ForShared { user, net, seed })
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
    // (Whether it made its other namespaces: asked before `open` borrows it.)
    let ready = seed.holder.ready();
    let open = |ns: &str| seed.open(ns);
    let userns = waited.and_then(|()| open("user").map_err(|e| crate::err!("opening its user namespace: {e}")));
    // Its other namespaces, all or none (then the container makes its own).
    let others = if ready {
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
