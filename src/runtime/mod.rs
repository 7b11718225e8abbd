//! The only code that forks or enters namespaces; synchronous (no tokio runtime is alive here).
//!
//! One clone3 creates the container's first process in new user, mount, pid, uts, ipc and net
//! namespaces (crun's way: no second fork, no re-exec). The parent writes the id maps with
//! newuidmap/newgidmap (status checked), says "go" over one SEQPACKET socketpair, and then reads
//! that socket until it closes on execve (success) or carries an error line (125/126/127) or the
//! pty master (for -t).

pub mod caps;
pub mod child;
pub mod choice;
pub mod dns;
pub mod exec;
pub mod monitor;
pub mod net;
pub mod portfwd;
pub mod rootfs;
pub mod seccomp;
pub mod seed;
pub mod session;
pub mod sharednet;
pub mod state;
pub mod sync;
pub mod user;
pub mod userns;
pub mod volumes;

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::spec::Spec;
use crate::sys::process::{self, Child, Forked};
pub use sync::{error_line, parse_error_line, Channel, Collected, Msg};
use userns::Mapping;

/// A resolved volume: host source (a path that exists) and container destination.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Volume {
    /// Empty for a tmpfs.
    pub source: PathBuf,
    pub destination: String,
    pub read_only: bool,
    /// Fill the (empty) source with what the image has at the destination first, owners and
    /// modes kept (a volume's first mount; a tmpfs's tmpcopyup).
    #[serde(default)]
    pub copy_up: bool,
    /// `U`: hand the content to the container's user.
    #[serde(default)]
    pub chown: bool,
    /// A named volume's first mount: its top directory takes the owner and mode of the
    /// image's directory there, else the container user's ownership (Podman's NeedsChown).
    #[serde(default)]
    pub first_mount: bool,
    /// Mount a new tmpfs instead of binding `source`.
    #[serde(default)]
    pub tmpfs: Option<Tmpfs>,
    /// -v …:noexec,nosuid,nodev: flags the bind mount gets.
    #[serde(default)]
    pub noexec: bool,
    #[serde(default)]
    pub nosuid: bool,
    #[serde(default)]
    pub nodev: bool,
}

/// A tmpfs mount's flags and data (size=, mode=, …).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Tmpfs {
    pub data: String,
    pub noexec: bool,
    pub nosuid: bool,
    pub nodev: bool,
}

/// Everything the child needs, prepared before clone so the child only does syscalls.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Plan {
    pub id: String,
    pub store_root: PathBuf,
    pub container_dir: PathBuf,
    /// Layer directories relative to the store root, top first (overlay's lowerdir order).
    pub lower: Vec<String>,
    pub spec: Spec,
    pub mapping: Mapping,
    pub new_userns: bool,
    pub can_setgroups: bool,
    pub gid5_mapped: bool,
    pub seccomp: Option<seccomp::Filter>,
    pub volumes: Vec<Volume>,
    pub fuse_overlay: bool,
    /// keep-id with fuse-overlayfs: its `uidmapping=…,gidmapping=…` options.
    #[serde(default)]
    pub fuse_idmap: Option<String>,
    /// --uidmap/--gidmap: the container's maps as newuidmap/newgidmap lines (else `mapping`'s).
    #[serde(default)]
    pub id_map: Option<(Vec<(u64, u64, u64)>, Vec<(u64, u64, u64)>)>,
    /// --network ns:PATH or container:NAME: the network namespace to join.
    #[serde(default)]
    pub join_netns: Option<PathBuf>,
    /// A pod's other shared namespaces ("ipc", "uts", "pid" and the infra's /proc/PID/ns/
    /// file), joined with the network namespace instead of new ones; with "user" when the pod
    /// does not share its network (the container lives in the infra's user namespace, where it
    /// may join the others, with a network namespace of its own), and "shm" (the infra's mount
    /// namespace) when it shares ipc: the container mounts the infra's /dev/shm, so a file one
    /// member writes there the others see.
    #[serde(default)]
    pub join_other: Vec<(String, PathBuf)>,
    /// --userns=keep-id: the invoking user, for the container's /etc/passwd and /etc/group.
    #[serde(default)]
    pub keep_id_user: Option<HostUser>,
    /// --hostuser: host users whose passwd entries go into the container's /etc/passwd.
    #[serde(default)]
    pub host_users: Vec<HostUser>,
    /// --network NAME[,NAME2]: those networks, resolved.
    #[serde(default)]
    pub networks: Vec<crate::spec::network::Network>,
    /// The container's name (its DNS name on its networks).
    #[serde(default)]
    pub container_name: String,
    /// The image as it was asked for (for events).
    #[serde(default)]
    pub image_name: String,
}

impl Plan {
    /// A container with maps of its own (which do not map you, so its root cannot reach the
    /// store): its root file system is mounted in a user namespace mapped as the store's
    /// (`rootfs::mount_in_store_frame`: fuse-overlayfs shifting the ids, or overlay on
    /// re-owned copies) and its own user namespace is a child of that one
    /// (`spawn_under_store`, or the shared network's helper). One that joins another map
    /// container's user namespace (`--network ns:`/`container:`) has it mounted in that
    /// namespace's parent (`spawn_joined`). Not for a pod's member.
    pub fn rootfs_from_store(&self) -> bool {
        self.new_userns && self.id_map.is_some() && self.spec.pod.is_none()
    }
}

/// The invoking user's entries on the host (name, ids, home, shell; their group's name).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct HostUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub group: String,
    pub home: String,
    pub shell: String,
}

impl HostUser {
    /// The calling user's passwd entry (None when the host has none).
    pub fn current() -> Option<HostUser> {
        Self::from_entry(nix::unistd::User::from_uid(nix::unistd::getuid()).ok().flatten()?)
    }

    /// A host user by name, else by uid (`--hostuser`); an error (exit 126, the container
    /// cannot start) when the host has no such user.
    pub fn lookup(who: &str) -> Result<HostUser> {
        let by_name = nix::unistd::User::from_name(who).ok().flatten();
        let u = by_name.or_else(|| {
            who.parse::<u32>()
                .ok()
                .and_then(|n| nix::unistd::User::from_uid(n.into()).ok().flatten())
        });
        u.and_then(Self::from_entry).ok_or_else(|| {
            crate::err!("--hostuser {who}: no such user on the host").classed(crate::error::Class::CannotInvoke)
        })
    }

    fn from_entry(u: nix::unistd::User) -> Option<HostUser> {
        let group = nix::unistd::Group::from_gid(u.gid)
            .ok()
            .flatten()
            .map(|g| g.name)
            .unwrap_or_else(|| u.name.clone());
        Some(HostUser {
            name: u.name,
            uid: u.uid.as_raw(),
            gid: u.gid.as_raw(),
            group,
            home: u.dir.to_string_lossy().into_owned(),
            shell: u.shell.to_string_lossy().into_owned(),
        })
    }
}

/// How the container's stdio is connected. Never the caller's own descriptors: a container
/// user could not reopen them (/dev/stdout) without their owner changing, and the caller's
/// terminal is no business of the container's.
pub enum StdioMode {
    /// A pty from the container's devpts; the master comes back to the parent.
    Tty,
    /// Pipes whose other ends the foreground session or the monitor holds (or /dev/null);
    /// stdin is /dev/null when None.
    Pipes {
        stdin: Option<OwnedFd>,
        out: OwnedFd,
        err: OwnedFd,
    },
}

/// A container process that has exec'd its command.
pub struct Started {
    pub child: Child,
    pub start_time: u64,
    pub tty: Option<OwnedFd>,
    /// The network helper: dropping it (once the container is gone) stops and reaps it.
    pub net: Option<net::Helper>,
    /// The container's mount namespace, opened before it ran anything: while this is open, the
    /// container's exit does not tear the namespace down (unmount its overlay, /dev, /proc…,
    /// and wait for RCU grace periods) before its parent sees the exit. Whoever holds the
    /// last descriptor pays for that teardown when closing it: a foreground `run --rm` hands it
    /// to its detached cleanup (`container::lifecycle::remove_exited`); others drop it once the
    /// container has exited. None when the process shares hutch's mount namespace.
    pub mnt_ns: Option<OwnedFd>,
    /// On networks: the connection to the shared namespace's hutch-netns, which detaches the
    /// container (and frees its published ports) when it closes; dropped with `net`, before
    /// the exit is recorded, so a `start` after `stop` finds the ports free.
    pub shared: Option<OwnedFd>,
}

/// Open `pid`'s mount namespace (see `Started::mnt_ns`); None when it cannot be opened (the
/// process is gone), which only loses the early exit.
pub(crate) fn hold_mnt_ns(pid: nix::unistd::Pid) -> Option<OwnedFd> {
    crate::sys::ns::open(pid, "mnt").ok()
}

/// Namespaces for a new container.
fn clone_flags(plan: &Plan) -> libc::c_ulong {
    let mut f = libc::CLONE_NEWNS | libc::CLONE_NEWPID | libc::CLONE_NEWUTS | libc::CLONE_NEWIPC;
    if plan.spec.network != crate::spec::network::Mode::Host {
        f |= libc::CLONE_NEWNET;
    }
    if plan.new_userns {
        f |= libc::CLONE_NEWUSER;
    }
    f as libc::c_ulong
}

/// Create the container process; returns once it has exec'd the command (or failed).
pub fn spawn(plan: &Plan, stdio: &StdioMode) -> Result<Started> {
    if let Some(path) = &plan.join_netns {
        return spawn_joined(plan, stdio, path);
    }
    if matches!(plan.spec.network, crate::spec::network::Mode::Bridge(_)) {
        return sharednet::spawn(plan, stdio);
    }
    if let Some(user) = pod_userns(plan) {
        return spawn_in_pod(plan, stdio, user);
    }
    if plan.rootfs_from_store() {
        return spawn_under_store(plan, stdio);
    }
    // Bound before anything runs, so the ports listen once the container is up (kept across
    // the clone only for hutch's forwarder; the child closes them when it execs).
    let listeners = net::bind_ports(&plan.spec.ports, net::forwards_tcp(plan))?;
    let routes = net::early_routes(plan);
    // A user namespace made early by `run` (see `seed`), its maps written meanwhile.
    let seeded = if plan.new_userns && plan.id_map.is_none() && plan.spec.userns != crate::spec::UsernsMode::KeepId {
        let (u, g) = userns::map_triples(&plan.mapping, false);
        seed::take(&u, &g)
    } else {
        None
    };
    crate::output::trace("clone");
    let (parent, child_end) = Channel::pair()?;
    let cloned = |e: nix::errno::Errno| {
        crate::err!("creating the container's namespaces: {e} (are unprivileged user namespaces enabled? see `sysctl user.max_user_namespaces`)")
    };
    let child = match &seeded {
        Some(ns) => {
            let own_end = parent.as_fd().as_raw_fd();
            let mut flags = clone_flags(plan) & !(libc::CLONE_NEWUSER as libc::c_ulong);
            // The seed's network, UTS and IPC namespaces, where the container needs new ones.
            let mut others = Vec::new();
            for (fd, flag) in &ns.others {
                if flags & *flag as libc::c_ulong != 0 {
                    flags &= !(*flag as libc::c_ulong);
                    others.push(fd.as_fd());
                }
            }
            process::clone3_in_userns(ns.user.as_fd(), &others, flags, move || {
                // SAFETY: our copy of the parent's end, which must not keep our "go" from EOF.
                unsafe { libc::close(own_end) };
                child::main(plan, child_end, stdio, routes)
            })
            .map_err(cloned)?
        }
        None => {
            let child = match process::clone3(clone_flags(plan)).map_err(cloned)? {
                Forked::Child => {
                    drop(parent);
                    child::main(plan, child_end, stdio, routes)
                }
                Forked::Parent(c) => c,
            };
            drop(child_end);
            child
        }
    };
    let fail = |child: &Child, e: Error| -> Error {
        let _ = process::pidfd_send_signal(&child.pidfd, nix::sys::signal::Signal::SIGKILL);
        let _ = nix::sys::wait::waitpid(child.pid, Some(nix::sys::wait::WaitPidFlag::__WALL));
        e
    };
    if plan.new_userns && seeded.is_none() {
        let written = match &plan.id_map {
            Some((u, g)) => userns::write_triples(child.pid.as_raw(), u, g),
            None => userns::write_maps(
                child.pid.as_raw(),
                &plan.mapping,
                plan.spec.userns == crate::spec::UsernsMode::KeepId,
            ),
        };
        if let Err(e) = written {
            return Err(fail(&child, e));
        }
    }
    crate::output::trace("maps written");
    // Before "go": the container may have exited (and its namespace gone) by the time it exec'd.
    let mnt_ns = hold_mnt_ns(child.pid);
    // The helper attaches to the namespaces (pasta takes ~15 ms, longer than anything else
    // here) while the child sets up its mounts; the child execs the command on a second "go"
    // (the helper is ready) or, without published ports, once it sees its default routes.
    // (Starting the helper before the maps are written gained nothing on 2 cores.)
    let starting = match net::start(plan, child.pid.as_raw(), listeners) {
        Ok(s) => s,
        Err(e) => return Err(fail(&child, e)),
    };
    go_with_helper(parent, child, starting, mnt_ns)
}

/// The container's first process is waiting for its first "go", its network helper (if any)
/// starting: "go", then follow both until the process has exec'd (or failed). `mnt_ns`: its
/// mount namespace, held (see `Started::mnt_ns`); else one a helper sends after the pid.
fn go_with_helper(
    parent: Channel,
    child: Child,
    starting: Option<net::Starting>,
    mnt_ns: Option<OwnedFd>,
) -> Result<Started> {
    let start_time = process::start_time(child.pid.as_raw()).unwrap_or(0);
    parent.go();
    let (got, helper) = match starting {
        None => (parent.collect(), None),
        Some(s) => match with_helper(&parent, s) {
            Ok(x) => x,
            Err(e) => {
                let _ = process::pidfd_send_signal(&child.pidfd, nix::sys::signal::Signal::SIGKILL);
                // The child's own failure, if it had one, explains more than the helper's.
                let got = parent.collect();
                let _ = nix::sys::wait::waitpid(child.pid, Some(nix::sys::wait::WaitPidFlag::__WALL));
                return Err(got.result.err().unwrap_or(e));
            }
        },
    };
    if let Err(e) = got.result {
        let _ = nix::sys::wait::waitpid(child.pid, Some(nix::sys::wait::WaitPidFlag::__WALL));
        return Err(e);
    }
    crate::output::trace("exec'd");
    Ok(Started {
        child,
        start_time,
        tty: got.tty,
        net: helper,
        mnt_ns: mnt_ns.or(got.mnt_ns),
        shared: None,
    })
}

/// --network ns:PATH / container:NAME. Entering a network namespace needs CAP_SYS_ADMIN in
/// the user namespace that owns it, so the container's first process lives in that user
/// namespace (rootless: one of the user's own, such as another container's, with the same id
/// maps) instead of a new one: a short-lived helper enters it and the network namespace, and
/// clones the process with new mount, pid, uts and ipc namespaces as hutch's child
/// (CLONE_PARENT), the way `exec` starts its processes.
fn spawn_joined(plan: &Plan, stdio: &StdioMode, path: &std::path::Path) -> Result<Started> {
    use nix::fcntl::OFlag;
    let what = format!("--network {}", plan.spec.network);
    let netns = nix::fcntl::open(path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, nix::sys::stat::Mode::empty())
        .map_err(|e| crate::err!("{what}: {}: {}", path.display(), e.desc()))?;
    if crate::sys::ns::ns_type(&netns) != Ok(libc::CLONE_NEWNET) {
        crate::bail!("{what}: {} is not a network namespace", path.display());
    }
    let own =
        crate::sys::ns::open("self", "user").map_err(|e| crate::err!("opening /proc/self/ns/user: {}", e.desc()))?;
    let userns = if plan.new_userns {
        let owner = crate::sys::ns::ns_owner(&netns)
            .map_err(|e| crate::err!("{what}: finding the user namespace that owns it: {}", e.desc()))?;
        if crate::sys::ns::same_ns(&own, &owner) {
            crate::bail!("{what}: it belongs to the host's user namespace, where a rootless container cannot join it (use --network host to share the host's network)");
        }
        Some(owner)
    } else {
        None
    };
    // A container with maps of its own joins another such one's user namespace, a child of one
    // mapped as the store's: its root file system is mounted there first.
    let frame = match &userns {
        Some(owner) if plan.rootfs_from_store() => {
            let parent = crate::sys::ns::ns_parent(owner)
                .map_err(|e| crate::err!("{what}: finding the parent of its user namespace: {}", e.desc()))?;
            if crate::sys::ns::same_ns(&own, &parent) {
                crate::bail!("{what}: its user namespace has hutch's default id maps, and this container has maps of its own (--uidmap, --gidmap or --userns): give both the same maps");
            }
            Some(parent)
        }
        _ => None,
    };
    drop(own);
    let vanished = format!("{what}: the helper that joins the namespace exited without starting the container");
    // No id maps to write: the container's first process may go at once.
    exec::via_helper(
        |sync| match join_main(plan, sync, stdio, Joined { frame, userns, netns }, &what) {},
        true,
        "the container",
        &vanished,
    )
}

/// What `spawn_joined`'s helper enters: the network namespace, the user namespace that owns
/// it (unless the container shares hutch's) and that one's parent, mapped as the store's,
/// where a container with maps of its own has its root file system mounted.
struct Joined {
    frame: Option<OwnedFd>,
    userns: Option<OwnedFd>,
    netns: OwnedFd,
}

/// The helper of `spawn_joined`; never returns.
fn join_main(plan: &Plan, sync: Channel, stdio: &StdioMode, ns: Joined, what: &str) -> child::Never {
    use nix::sched::CloneFlags;
    let fail = |msg: String| -> ! {
        sync.send_error(125, &msg);
        process::exit_now(1)
    };
    let Joined { frame, userns, netns } = ns;
    if let Some(f) = &frame {
        if let Err(e) = nix::sched::setns(f, CloneFlags::CLONE_NEWUSER) {
            fail(format!(
                "{what}: entering the parent of its user namespace: {}",
                e.desc()
            ));
        }
        if let Err(m) = rootfs::mount_in_store_frame(plan) {
            fail(format!("{what}: {m}"))
        }
    }
    if let Some(u) = &userns {
        if let Err(e) = nix::sched::setns(u, CloneFlags::CLONE_NEWUSER) {
            fail(format!("{what}: it belongs to a user namespace hutch cannot enter ({}): rootless, only network namespaces made in one of your user namespaces, such as another container's, can be joined", e.desc()));
        }
        if let Err(m) = check_maps(plan, what, frame.is_some()) {
            fail(m)
        }
    }
    drop(frame);
    if let Err(e) = nix::sched::setns(&netns, CloneFlags::CLONE_NEWNET) {
        fail(format!("{what}: joining it: {}", e.desc()));
    }
    drop(netns);
    drop(userns);
    let flags = match join_pod_namespaces(plan) {
        Ok(f) => f,
        Err(m) => fail(m),
    };
    exec::clone_parent(sync, flags, "creating the container's namespaces", |sync| {
        child::main(plan, sync, stdio, None)
    })
}

/// In a helper that entered another container's user namespace: the store's files are owned
/// for hutch's id maps, so that namespace must map ids the same; an error line if not.
/// `store_frame`: its parent is mapped as the store's (the maps read are in store ids).
fn check_maps(plan: &Plan, what: &str, store_frame: bool) -> std::result::Result<(), String> {
    let want = match &plan.id_map {
        Some((u, g)) if store_frame => userns::store_frame_maps(&plan.mapping, u, g)
            .map(|m| m.0)
            .unwrap_or_default(),
        Some((u, _)) => u.clone(),
        None => userns::map_triples(&plan.mapping, plan.spec.userns == crate::spec::UsernsMode::KeepId).0,
    };
    let have: Vec<(u64, u64, u64)> = std::fs::read_to_string("/proc/self/uid_map")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let v: Vec<u64> = l.split_whitespace().filter_map(|x| x.parse().ok()).collect();
            (v.len() == 3).then(|| (v[0], v[1], v[2]))
        })
        .collect();
    if have != want {
        return Err(format!(
            "{what}: its user namespace maps ids differently from this container's ({have:?}, not {want:?}): give both the same --uidmap/--gidmap or --userns"
        ));
    }
    Ok(())
}

/// In a helper inside the pod's user namespace: join the pod's ipc, uts and pid namespaces
/// (`plan.join_other`); returns the namespaces the container still gets new ones of (mount
/// always, pid, uts and ipc unless joined), or an error line.
pub(super) fn join_pod_namespaces(plan: &Plan) -> std::result::Result<libc::c_int, String> {
    use nix::sched::CloneFlags;
    let mut flags = libc::CLONE_NEWNS | libc::CLONE_NEWPID | libc::CLONE_NEWUTS | libc::CLONE_NEWIPC;
    for (kind, path) in &plan.join_other {
        let (own, nsflag) = match kind.as_str() {
            "ipc" => (libc::CLONE_NEWIPC, CloneFlags::CLONE_NEWIPC),
            "uts" => (libc::CLONE_NEWUTS, CloneFlags::CLONE_NEWUTS),
            "pid" => (libc::CLONE_NEWPID, CloneFlags::CLONE_NEWPID),
            _ => continue,
        };
        nix::fcntl::open(
            path,
            nix::fcntl::OFlag::O_RDONLY | nix::fcntl::OFlag::O_CLOEXEC,
            nix::sys::stat::Mode::empty(),
        )
        .and_then(|fd| nix::sched::setns(&fd, nsflag))
        .map_err(|e| format!("joining the pod's {kind} namespace ({}): {}", path.display(), e.desc()))?;
        flags &= !own;
    }
    Ok(flags)
}

/// A pod member whose pod does not share its network: the infra's user namespace to live in.
pub(super) fn pod_userns(plan: &Plan) -> Option<&std::path::Path> {
    plan.join_other
        .iter()
        .find(|(k, _)| k == "user")
        .map(|(_, p)| p.as_path())
}

/// A container in a pod that shares ipc, uts or pid but not its network: a short-lived helper
/// enters the infra's user namespace and those namespaces, makes the container's network
/// namespace there (unless `--network host`), hands it to hutch and clones the container's
/// first process as hutch's child (as `spawn_joined`). hutch then starts the network helper
/// for that namespace as for a lone container, says "go" and waits for the exec.
fn spawn_in_pod(plan: &Plan, stdio: &StdioMode, user: &std::path::Path) -> Result<Started> {
    use nix::fcntl::OFlag;
    let listeners = net::bind_ports(&plan.spec.ports, net::forwards_tcp(plan))?;
    let routes = net::early_routes(plan);
    let userns = nix::fcntl::open(user, OFlag::O_RDONLY | OFlag::O_CLOEXEC, nix::sys::stat::Mode::empty())
        .map_err(|e| crate::err!("opening the pod's user namespace ({}): {}", user.display(), e.desc()))?;
    let (parent, helper) = exec::fork_helper(
        |sync| match pod_member_main(plan, sync, stdio, userns, routes) {},
        "the container",
    )?;
    // Before any "go" only the helper speaks: the network namespace (an fd), then the pid.
    let (child, netns) = helper_child(
        &parent,
        helper,
        "the helper that joins the pod's namespaces exited without starting the container",
    )?;
    let starting = match netns {
        Some(ns) => net::start_in(plan, ns, listeners),
        None => Ok(None),
    };
    go_unless_failed(parent, child, starting)
}

/// After `exec::fork_helper`: the helper's messages until the container's pid (the network
/// namespace, an fd, may come first), the helper reaped. `vanished`: the error when it exits
/// without a pid or an error of its own.
fn helper_child(parent: &Channel, helper: i32, vanished: &str) -> Result<(Child, Option<OwnedFd>)> {
    let mut netns = None;
    let got = loop {
        match parent.recv() {
            Msg::Fd(fd) => netns = Some(fd),
            Msg::Pid(pid, pidfd) => break Ok((pid, pidfd)),
            Msg::MntNs(_) => continue,
            Msg::Error(code, msg) => break Err(Error::with_code(code, msg)),
            Msg::Eof => break Err(crate::err!("{vanished}")),
        }
    };
    let _ = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(helper), None);
    let (pid, pidfd) = got?;
    Ok((
        Child {
            pid: nix::unistd::Pid::from_raw(pid),
            pidfd,
        },
        netns,
    ))
}

/// A helper-started container's network helper starting (or not): "go" and follow both until
/// the exec, or the container killed when the network helper could not start.
fn go_unless_failed(parent: Channel, child: Child, starting: Result<Option<net::Starting>>) -> Result<Started> {
    match starting {
        // The helper's MntNs message, after the pid, is collected with the child's.
        Ok(s) => go_with_helper(parent, child, s, None),
        Err(e) => {
            let _ = process::pidfd_send_signal(&child.pidfd, nix::sys::signal::Signal::SIGKILL);
            let _ = nix::sys::wait::waitpid(child.pid, Some(nix::sys::wait::WaitPidFlag::__WALL));
            Err(e)
        }
    }
}

/// A container with maps of its own (`Plan::rootfs_from_store`), as Podman structures it: a short-lived helper enters a user namespace mapped as the store's
/// (every store id is itself there), mounts the root file system there, makes the container's
/// user namespace a child of it (writing its maps itself: no newuidmap) and clones the
/// container's first process into it as hutch's child (as `spawn_in_pod`). Nothing of the
/// store, your own id included, is mapped into the container.
fn spawn_under_store(plan: &Plan, stdio: &StdioMode) -> Result<Started> {
    let listeners = net::bind_ports(&plan.spec.ports, net::forwards_tcp(plan))?;
    let routes = net::early_routes(plan);
    let (parent, helper) = exec::fork_helper(
        |sync| match under_store_main(plan, sync, stdio, routes) {},
        "the container",
    )?;
    let (child, _) = helper_child(
        &parent,
        helper,
        "the helper that mounts the container's root file system exited without starting it",
    )?;
    let starting = net::start(plan, child.pid.as_raw(), listeners);
    go_unless_failed(parent, child, starting)
}

/// The helper of `spawn_under_store`; never returns.
fn under_store_main(
    plan: &Plan,
    sync: Channel,
    stdio: &StdioMode,
    routes: Option<crate::sys::route::Want>,
) -> child::Never {
    let fail = |msg: String| -> ! {
        sync.send_error(125, &msg);
        process::exit_now(1)
    };
    if let Err(e) = userns::enter_store_frame(&plan.mapping) {
        fail(e.message)
    }
    if let Err(m) = rootfs::mount_in_store_frame(plan) {
        fail(m)
    }
    if let Some(map) = &plan.id_map {
        if let Err(e) = userns::unshare_nested(&plan.mapping, map) {
            fail(e.message)
        }
    }
    let flags = clone_flags(plan) & !(libc::CLONE_NEWUSER as libc::c_ulong);
    exec::clone_parent(
        sync,
        flags as libc::c_int,
        "creating the container's namespaces",
        |sync| child::main(plan, sync, stdio, routes),
    )
}

/// The helper of `spawn_in_pod`; never returns.
fn pod_member_main(
    plan: &Plan,
    sync: Channel,
    stdio: &StdioMode,
    userns: OwnedFd,
    routes: Option<crate::sys::route::Want>,
) -> child::Never {
    use nix::sched::CloneFlags;
    let fail = |msg: String| -> ! {
        sync.send_error(125, &msg);
        process::exit_now(1)
    };
    if plan.new_userns {
        if let Err(e) = nix::sched::setns(&userns, CloneFlags::CLONE_NEWUSER) {
            fail(format!("entering the pod's user namespace: {}", e.desc()));
        }
        if let Err(m) = check_maps(plan, "the pod's infra container", false) {
            fail(m)
        }
    }
    drop(userns);
    let flags = match join_pod_namespaces(plan) {
        Ok(f) => f,
        Err(m) => fail(m),
    };
    if plan.spec.network != crate::spec::network::Mode::Host {
        let made =
            nix::sched::unshare(CloneFlags::CLONE_NEWNET).and_then(|()| crate::sys::ns::open("thread-self", "net"));
        match made {
            Ok(ns) => sync.send_fd(&ns),
            Err(e) => fail(format!("creating the container's network namespace: {}", e.desc())),
        }
    }
    exec::clone_parent(sync, flags, "creating the container's namespaces", |sync| {
        child::main(plan, sync, stdio, routes)
    })
}

/// Follow the child and the network helper until the child has exec'd (or failed): "go" to
/// the child once the helper is ready, unless the child went ahead on seeing its routes.
fn with_helper(parent: &Channel, mut s: net::Starting) -> Result<(Collected, Option<net::Helper>)> {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    let timeout = std::time::Duration::from_secs(10);
    let deadline = std::time::Instant::now() + timeout;
    let mut got = Collected {
        tty: None,
        started: None,
        mnt_ns: None,
        result: Ok(()),
    };
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            crate::bail!("{} did not get ready within {} s", s.name(), timeout.as_secs());
        }
        let [a, b] = s.poll_fds();
        let mut fds = [PollFd::new(parent.as_fd(), PollFlags::POLLIN), a, b];
        match poll(&mut fds, PollTimeout::try_from(left).unwrap_or(PollTimeout::MAX)) {
            Err(nix::errno::Errno::EINTR) | Ok(0) => continue,
            Err(e) => crate::bail!("waiting for the container and {}: {e}", s.name()),
            Ok(_) => {}
        }
        let (child_said, helper_said) = (
            fds[0].any().unwrap_or(false),
            fds[1].any().unwrap_or(false) || fds[2].any().unwrap_or(false),
        );
        if helper_said && s.check()? {
            crate::output::trace("network ready");
            let h = s.ready()?;
            parent.go();
            while !parent.collect_one(&mut got) {}
            return Ok((got, Some(h)));
        }
        if child_said && parent.collect_one(&mut got) {
            if got.result.is_err() {
                return Ok((got, None));
            }
            // Exec'd on seeing its routes, before the helper finished starting.
            return Ok((got, Some(s.detach())));
        }
    }
}

/// Exit code of a wait status: the code, or 128 + signal.
pub fn exit_code(status: nix::sys::wait::WaitStatus) -> Option<i32> {
    use nix::sys::wait::WaitStatus;
    match status {
        WaitStatus::Exited(_, c) => Some(c),
        WaitStatus::Signaled(_, s, _) => Some(128 + s as i32),
        _ => None,
    }
}
