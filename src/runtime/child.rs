//! The container's first process, between clone and execve: mounts (runtime/rootfs.rs),
//! pivot_root, hostname, user, capabilities, seccomp, and finally execve. Errors go back to the parent over the sync socket
//! as one line with an exit class; success is the socket closing on exec (it is CLOEXEC).

use std::ffi::CString;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::mount::MsFlags;

use super::{rootfs, Channel, Plan, StdioMode};
use crate::spec::network::Mode;
use crate::sys::mount::{self as m, fd_path};
use crate::sys::process;

/// A failure in the child: exit class (125/126/127) and message.
pub struct Fail(pub i32, pub String);

pub(super) trait Ctx<T> {
    fn at(self, what: &str) -> Result<T, Fail>;
}
impl<T> Ctx<T> for nix::Result<T> {
    fn at(self, what: &str) -> Result<T, Fail> {
        self.map_err(|e| Fail(125, format!("{what}: {}", e.desc())))
    }
}

/// Runs in the cloned child; never returns.
///
/// `routes`: with a network helper, exec as soon as these default routes exist in the
/// container's network namespace (the helper configured the interface) rather than when the
/// parent says the helper is ready.
pub fn main(plan: &Plan, sync: Channel, stdio: &StdioMode, routes: Option<crate::sys::route::Want>) -> ! {
    // Wait for the parent to write our id maps (or to give up: EOF). Until then /proc/PID must
    // stay ours for the parent to write uid_map; afterwards nothing may open /proc/PID/exe.
    if !sync.wait_go() {
        process::exit_now(1);
    }
    let _ = nix::sys::prctl::set_dumpable(false);
    let r = setup_and_exec(plan, &sync, stdio, routes);
    let Fail(code, msg) = match r {
        Ok(never) => match never {},
        Err(f) => f,
    };
    sync.send_error(code, &msg);
    process::exit_now(1)
}

pub enum Never {}

fn setup_and_exec(
    plan: &Plan,
    sync: &Channel,
    stdio: &StdioMode,
    routes: Option<crate::sys::route::Want>,
) -> Result<Never, Fail> {
    let spec = &plan.spec;
    // Podman's umask, not the caller's: what setup creates in the container (/run, mount
    // points, a keep-id home) and what the command creates.
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o022));
    // A container with maps of its own does not map you: its root cannot reach the store
    // (yours, 0700). It mounts and opens what it needs from there first, still as you.
    let store_first = plan.new_userns && plan.id_map.is_some();
    if plan.new_userns && !store_first {
        become_root()?;
    }
    crate::output::trace("child go");
    m::make_rprivate_root().at("making / private")?;
    let merged = plan.container_dir.join("merged");
    if plan.rootfs_from_store() {
        // Mounted by the parent namespace, and so locked here, which pivot_root refuses: a
        // bind of it onto itself is this namespace's own.
        let t = crate::sys::fs::open_dir(&merged).at("opening the container root")?;
        m::bind(&merged, &t, true).at("binding the container root")?;
    } else {
        rootfs::mount_rootfs(plan, &merged)?;
    }
    crate::output::trace("overlay mounted");
    let root = crate::sys::fs::open_dir(&merged).at("opening the container root")?;
    let mut sources = open_sources(plan);
    if store_first {
        become_root()?;
    }
    if plan.spec.network != Mode::Host {
        crate::sys::route::loopback_up().at("bringing up lo")?;
    }
    rootfs::mount_proc_sys(plan, &root)?;
    crate::output::trace("proc+sys");
    rootfs::mount_dev(plan, &root)?;
    crate::output::trace("dev");
    if !spec.privileged {
        rootfs::mask_paths(&root)?;
    }
    for ((_, target), src) in USERDATA.iter().zip(std::mem::take(&mut sources.userdata)) {
        let src = src.at(&format!("opening the container's {target}"))?;
        let t = m::touch_in_root(&root, Path::new(target)).at(&format!("creating {target} in the container"))?;
        m::bind(&fd_path(&src), &t, false).at(&format!("mounting {target}"))?;
    }
    let io_at = |what: String| move |e: std::io::Error| Fail(125, format!("{what}: {e}"));
    for (v, src) in plan.volumes.iter().zip(std::mem::take(&mut sources.volumes)) {
        if let Some(t) = &v.tmpfs {
            let below = m::mkdir_all_in_root(&root, Path::new(&v.destination), 0o755)
                .at(&format!("creating mount point {} in the container", v.destination))?;
            let mut flags = MsFlags::empty();
            for (on, f) in [
                (t.noexec, MsFlags::MS_NOEXEC),
                (t.nosuid, MsFlags::MS_NOSUID),
                (t.nodev, MsFlags::MS_NODEV),
            ] {
                if on {
                    flags |= f;
                }
            }
            let data = (!t.data.is_empty()).then_some(t.data.as_str());
            m::mount_fs("tmpfs", &below, flags, data).at(&format!("mounting tmpfs on {}", v.destination))?;
            let top = m::open_in_root(&root, Path::new(&v.destination)).at("reopening the tmpfs")?;
            if v.copy_up {
                super::volumes::copy_tree(&fd_path(&below), &fd_path(&top), false)
                    .map_err(io_at(format!("copying the image's {} into its tmpfs", v.destination)))?;
            }
            if v.read_only {
                m::remount_ro(&top).at(&format!("making {} read-only", v.destination))?;
            }
            continue;
        }
        let src = src.at(&format!("opening volume source {}", v.source.display()))?;
        let image_dir = v.first_mount && m::open_in_root(&root, Path::new(&v.destination)).is_ok_and(|d| m::is_dir(&d));
        let t = if m::is_dir(&src) {
            m::mkdir_all_in_root(&root, Path::new(&v.destination), 0o755)
        } else {
            m::touch_in_root(&root, Path::new(&v.destination))
        }
        .at(&format!("creating mount point {} in the container", v.destination))?;
        // A new volume takes what the image has there (Docker's and Podman's rule): only when
        // the volume is empty and the image's is a directory.
        if v.copy_up && m::is_dir(&src) && m::is_dir(&t) && super::volumes::is_empty_dir(&fd_path(&src)) {
            super::volumes::copy_tree(&fd_path(&t), &fd_path(&src), true)
                .map_err(io_at(format!("copying the image's {} into its volume", v.destination)))?;
        }
        if v.first_mount && m::is_dir(&src) {
            let (uid, gid, mode) = if image_dir {
                let st = nix::sys::stat::fstat(&t).map_err(|e| Fail(125, format!("{}: {e}", v.destination)))?;
                (st.st_uid, st.st_gid, Some(st.st_mode & 0o7777))
            } else {
                let u = container_user(&root, spec)?;
                (u.uid, u.gid, None)
            };
            let what = |e: nix::Error| Fail(125, format!("handing volume {} to {uid}:{gid}: {e}", v.destination));
            // (src is an O_PATH descriptor: changed through its /proc/self/fd path.)
            let p = fd_path(&src);
            nix::unistd::chown(&p, Some(uid.into()), Some(gid.into())).map_err(what)?;
            if let Some(mode) = mode {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode))
                    .map_err(|e| Fail(125, format!("setting the mode of volume {}: {e}", v.destination)))?;
            }
        }
        if v.chown {
            let u = container_user(&root, spec)?;
            // As Podman's: content already the user's (by the top's owner) is left alone, so
            // what was changed inside it since the first start stays changed.
            let st = nix::sys::stat::fstat(&src).map_err(|e| Fail(125, format!("{}: {e}", v.destination)))?;
            if (st.st_uid, st.st_gid) != (u.uid, u.gid) {
                super::volumes::chown_tree(&fd_path(&src), u.uid, u.gid)
                    .map_err(io_at(format!("handing {} to {}:{}", v.destination, u.uid, u.gid)))?;
            }
        }
        m::bind(&fd_path(&src), &t, true).at(&format!("mounting {} on {}", v.source.display(), v.destination))?;
        let mut extra = MsFlags::empty();
        for (on, f) in [
            (v.read_only, MsFlags::MS_RDONLY),
            (v.noexec, MsFlags::MS_NOEXEC),
            (v.nosuid, MsFlags::MS_NOSUID),
            (v.nodev, MsFlags::MS_NODEV),
        ] {
            if on {
                extra |= f;
            }
        }
        if !extra.is_empty() {
            let t = m::open_in_root(&root, Path::new(&v.destination)).at("reopening volume")?;
            m::remount_with(&t, extra).at(&format!("setting the mount flags of {}", v.destination))?;
        }
    }
    if spec.read_only {
        for d in ["/tmp", "/var/tmp", "/run"] {
            if spec.mounts.iter().any(|x| x.destination == d) {
                continue;
            }
            let t = m::mkdir_all_in_root(&root, Path::new(d), 0o1777).at(&format!("creating {d}"))?;
            m::mount_fs("tmpfs", &t, MsFlags::MS_NOSUID | MsFlags::MS_NODEV, Some("mode=1777"))
                .at(&format!("mounting tmpfs on {d}"))?;
        }
    }
    if let Some(u) = &plan.keep_id_user {
        add_user(&root, u)?;
    }
    for u in &plan.host_users {
        add_host_user(&root, u)?;
    }
    // After the tmpfs on /run of a read-only container, which would hide it; not into a volume
    // on /run, as with Podman. (Containers created before hutch wrote the file have none.)
    if let Some(containerenv) = sources.containerenv.take().filter(|_| {
        !plan
            .volumes
            .iter()
            .any(|v| v.destination == "/run" || v.destination == "/run/.containerenv")
    }) {
        let t = m::touch_in_root(&root, Path::new("/run/.containerenv"))
            .at("creating /run/.containerenv in the container")?;
        m::bind(&fd_path(&containerenv), &t, false).at("mounting /run/.containerenv")?;
    }
    if spec.read_only {
        m::remount_ro(&root).at("making the root file system read-only")?;
    }
    // Terminal: a pty from the container's own devpts, master handed to the parent.
    let tty_slave = if let StdioMode::Tty = stdio {
        Some(open_pty(&root, sync)?)
    } else {
        None
    };
    crate::output::trace("mounts done");
    m::pivot_into(&root).at("pivot_root into the container root")?;
    crate::output::trace("pivoted");
    drop(root);
    nix::unistd::sethostname(&spec.hostname).at("setting the host name")?;
    if spec.network.has_helper() && !wait_network(sync, routes) {
        // The parent gave up (the network helper failed): nothing to report.
        process::exit_now(1);
    }
    if !net_gate_passed() {
        process::exit_now(1);
    }
    crate::output::trace("network up");
    exec_in_container(&Privs::of(plan), &ExecParams::from_spec(spec), tty_slave, stdio, sync)
}

/// A container on the shared network is cloned before it is attached (`sharednet::join_main`)
/// and sets itself up meanwhile: its last step before the exec waits here for that helper's
/// go (its network is configured and usable); EOF, the helper gone, ends it.
pub static NET_GATE: std::sync::OnceLock<Channel> = std::sync::OnceLock::new();

fn net_gate_passed() -> bool {
    NET_GATE.get().is_none_or(|g| g.wait_go())
}

fn become_root() -> Result<(), Fail> {
    nix::unistd::setresgid(0.into(), 0.into(), 0.into()).at("setgid 0 in the user namespace")?;
    nix::unistd::setresuid(0.into(), 0.into(), 0.into()).at("setuid 0 in the user namespace")?;
    Ok(())
}

/// The container's files in the store that it mounts, by name, and where.
const USERDATA: [(&str, &str); 3] = [
    ("hosts", "/etc/hosts"),
    ("hostname", "/etc/hostname"),
    ("resolv.conf", "/etc/resolv.conf"),
];

/// What the container's mounts come from, opened (O_PATH) before its first process becomes
/// the container's root, who may not reach them (`store_first`); errors are reported where
/// each is mounted.
struct Sources {
    userdata: Vec<nix::Result<OwnedFd>>,
    /// /run/.containerenv's (older containers have none).
    containerenv: Option<OwnedFd>,
    /// One per `plan.volumes` (a tmpfs's is unused).
    volumes: Vec<nix::Result<OwnedFd>>,
}

fn open_sources(plan: &Plan) -> Sources {
    let userdata = plan.container_dir.join("userdata");
    Sources {
        userdata: USERDATA
            .iter()
            .map(|(f, _)| crate::sys::fs::open_any(&userdata.join(f)))
            .collect(),
        containerenv: crate::sys::fs::open_any(&userdata.join("containerenv")).ok(),
        volumes: plan
            .volumes
            .iter()
            .map(|v| match v.tmpfs {
                Some(_) => Err(Errno::ENOENT),
                None => crate::sys::fs::open_any(&v.source),
            })
            .collect(),
    }
}

/// --hostuser: the host user's passwd entry (name, ids, gecos-less, home, shell as on the host)
/// appended to the container's /etc/passwd unless it has that name already, as Podman does.
/// The container's user and group ids, from its /etc/passwd and /etc/group.
fn container_user(root: &OwnedFd, spec: &crate::spec::Spec) -> Result<crate::runtime::user::ExecUser, Fail> {
    let read = |f: &str| {
        use std::io::Read;
        let mut s = String::new();
        if let Ok(mut file) = m::open_file_in_root(root, Path::new(f), false) {
            let _ = file.read_to_string(&mut s);
        }
        s
    };
    crate::runtime::user::resolve(&spec.user, &read("/etc/passwd"), &read("/etc/group"))
        .map_err(|e| Fail(125, e.message))
}

fn add_host_user(root: &OwnedFd, u: &crate::runtime::HostUser) -> Result<(), Fail> {
    use std::io::{Read, Write};
    let mut passwd = String::new();
    if let Ok(mut file) = m::open_file_in_root(root, Path::new("/etc/passwd"), false) {
        let _ = file.read_to_string(&mut passwd);
    }
    if passwd.lines().any(|l| l.split(':').next() == Some(u.name.as_str())) {
        return Ok(());
    }
    let what = |e: Errno| {
        Fail(
            125,
            format!("adding {} to /etc/passwd in the container: {}", u.name, e.desc()),
        )
    };
    m::touch_in_root(root, Path::new("/etc/passwd")).map_err(what)?;
    let mut file = m::open_file_in_root(root, Path::new("/etc/passwd"), true).map_err(what)?;
    let sep = if passwd.is_empty() || passwd.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    file.write_all(format!("{sep}{}:x:{}:{}::{}:{}\n", u.name, u.uid, u.gid, u.home, u.shell).as_bytes())
        .map_err(|e| what(Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO))))
}

/// --userns=keep-id: the invoking user gets a name, a group and a home in the container, as
/// with Podman: an /etc/passwd entry (name, uid, gid, home, and shell when the image has
/// that shell, else /bin/sh) and an /etc/group entry, appended to the container's own files
/// (the overlay copies them up: the image's layers stay as they are) when the image has no
/// entry for the uid / gid, and the home directory, made and handed to the user if missing.
fn add_user(root: &OwnedFd, u: &crate::runtime::HostUser) -> Result<(), Fail> {
    use std::io::{Read, Write};
    let read = |f: &str| {
        let mut s = String::new();
        if let Ok(mut file) = m::open_file_in_root(root, Path::new(f), false) {
            let _ = file.read_to_string(&mut s);
        }
        s
    };
    let has_id = |content: &str, id: u32| {
        content
            .lines()
            .any(|l| l.split(':').nth(2).and_then(|x| x.parse::<u32>().ok()) == Some(id))
    };
    let append = |f: &str, content: &str, line: String| -> Result<(), Fail> {
        let what = |e: Errno| Fail(125, format!("adding {} to {f} in the container: {}", u.name, e.desc()));
        m::touch_in_root(root, Path::new(f)).map_err(what)?;
        let mut file = m::open_file_in_root(root, Path::new(f), true).map_err(what)?;
        let sep = if content.is_empty() || content.ends_with('\n') {
            ""
        } else {
            "\n"
        };
        file.write_all(format!("{sep}{line}\n").as_bytes())
            .map_err(|e| what(Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO))))
    };
    let passwd = read("/etc/passwd");
    if !has_id(&passwd, u.uid) {
        let shell = if m::open_in_root(root, Path::new(&u.shell)).is_ok() {
            u.shell.as_str()
        } else {
            "/bin/sh"
        };
        append(
            "/etc/passwd",
            &passwd,
            format!("{}:*:{}:{}::{}:{shell}", u.name, u.uid, u.gid, u.home),
        )?;
        if matches!(m::open_in_root(root, Path::new(&u.home)), Err(Errno::ENOENT)) {
            let home = m::mkdir_all_in_root(root, Path::new(&u.home), 0o755)
                .at(&format!("creating {} in the container", u.home))?;
            nix::unistd::fchownat(
                &home,
                "",
                Some(u.uid.into()),
                Some(u.gid.into()),
                nix::fcntl::AtFlags::AT_EMPTY_PATH,
            )
            .at(&format!("handing {} to {}", u.home, u.name))?;
        }
    }
    let group = read("/etc/group");
    if !has_id(&group, u.gid) {
        append("/etc/group", &group, format!("{}:x:{}:{}", u.group, u.gid, u.name))?;
    }
    Ok(())
}

/// Wait for the parent's "go" (the helper is ready), or, with `routes`, for those default
/// routes to appear, whichever comes first; false when the parent gave up.
fn wait_network(sync: &Channel, routes: Option<crate::sys::route::Want>) -> bool {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    use std::os::fd::AsFd;
    let Some(mut watch) = routes.and_then(|w| crate::sys::route::RouteWatch::open(w).ok()) else {
        return sync.wait_go();
    };
    loop {
        let mut fds = [
            PollFd::new(sync.as_fd(), PollFlags::POLLIN),
            PollFd::new(watch.as_fd(), PollFlags::POLLIN),
        ];
        match poll(&mut fds, PollTimeout::NONE) {
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return sync.wait_go(),
            Ok(_) => {}
        }
        if fds[0].any().unwrap_or(false) {
            return sync.wait_go();
        }
        match watch.read() {
            Ok(true) => return true,
            Ok(false) => {}
            Err(_) => return sync.wait_go(),
        }
    }
}

/// The parts of a plan that decide how privileges are dropped.
pub struct Privs<'a> {
    pub seccomp: Option<&'a crate::runtime::seccomp::Filter>,
    pub new_userns: bool,
    pub can_setgroups: bool,
    /// SIGKILL when the parent dies: the container's first process (its parent, the CLI or
    /// the monitor, is what records its exit and runs its network helper); not an exec.
    pub die_with_parent: bool,
}

impl<'a> Privs<'a> {
    pub fn of(plan: &'a Plan) -> Privs<'a> {
        Privs {
            seccomp: plan.seccomp.as_ref(),
            new_userns: plan.new_userns,
            can_setgroups: plan.can_setgroups,
            die_with_parent: true,
        }
    }
}

/// What to run and as whom: the container's main process, or an `exec`.
pub struct ExecParams {
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub user: String,
    pub workdir: String,
    pub caps: Vec<String>,
    pub no_new_privileges: bool,
    pub create_workdir: bool,
    /// --preserve-fds: fds 3 to 3+N-1 stay open across the exec.
    pub preserve_fds: u32,
    /// The container's --group-add: more supplementary groups, or `keep-groups`.
    pub group_add: Vec<String>,
    /// The container's --ulimit values, set just before the exec.
    pub ulimits: Vec<crate::spec::ulimit::Ulimit>,
}

impl ExecParams {
    pub fn from_spec(spec: &crate::spec::Spec) -> ExecParams {
        ExecParams {
            args: spec.args(),
            env: spec.env.clone(),
            user: spec.user.clone(),
            workdir: spec.workdir.clone(),
            caps: spec.caps.clone(),
            no_new_privileges: spec.no_new_privileges,
            create_workdir: true,
            preserve_fds: spec.preserve_fds,
            group_add: spec.group_add.clone(),
            ulimits: spec.ulimits.clone(),
        }
    }
}

/// After the root is the container's: user, workdir, stdio, capabilities, seccomp, execve.
pub fn exec_in_container(
    plan: &Privs,
    p: &ExecParams,
    tty_slave: Option<OwnedFd>,
    stdio: &StdioMode,
    sync: &Channel,
) -> Result<Never, Fail> {
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o022));
    let read = |f: &str| std::fs::read_to_string(f).unwrap_or_default();
    let user = crate::runtime::user::resolve(&p.user, &read("/etc/passwd"), &read("/etc/group"))
        .map_err(|e| Fail(125, e.message))?;
    if p.create_workdir && nix::unistd::chdir(p.workdir.as_str()) == Err(Errno::ENOENT) {
        let root = crate::sys::fs::open_dir(Path::new("/")).at("opening /")?;
        m::mkdir_all_in_root(&root, Path::new(&p.workdir), 0o755).at(&format!("creating workdir {}", p.workdir))?;
    }
    nix::unistd::chdir(p.workdir.as_str()).map_err(|e| Fail(125, format!("workdir {}: {}", p.workdir, e.desc())))?;
    // Stdio.
    match (stdio, &tty_slave) {
        (StdioMode::Tty, Some(slave)) => {
            crate::sys::pty::set_controlling_tty(slave.as_raw_fd()).at("setting the controlling terminal")?;
            for fd in 0..3 {
                crate::sys::fd::dup_onto(slave.as_raw_fd(), fd).at("connecting the terminal")?;
            }
        }
        (StdioMode::Pipes { stdin, out, err }, _) => {
            // A session of its own: without a terminal of its own, the terminal hutch runs in
            // must not be the container's /dev/tty.
            let _ = nix::unistd::setsid();
            match stdin {
                Some(i) => crate::sys::fd::dup_onto(i.as_raw_fd(), 0).at("connecting stdin")?,
                None => {
                    let null = nix::fcntl::open(
                        "/dev/null",
                        nix::fcntl::OFlag::O_RDONLY | nix::fcntl::OFlag::O_CLOEXEC,
                        nix::sys::stat::Mode::empty(),
                    )
                    .at("opening /dev/null")?;
                    crate::sys::fd::dup_onto(null.as_raw_fd(), 0).at("connecting stdin")?;
                }
            }
            crate::sys::fd::dup_onto(out.as_raw_fd(), 1).at("connecting stdout")?;
            crate::sys::fd::dup_onto(err.as_raw_fd(), 2).at("connecting stderr")?;
        }
        (StdioMode::Tty, None) => return Err(Fail(125, "no terminal for the process".into())),
    }
    drop(tty_slave);
    hand_stdio_to(user.uid, matches!(stdio, StdioMode::Tty));
    let mut env = p.env.clone();
    if !env.iter().any(|e| e.starts_with("HOME=")) {
        env.push(format!("HOME={}", user.home));
    }
    let path_env = env
        .iter()
        .rev()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or(&crate::spec::DEFAULT_PATH[5..])
        .to_string();
    let argv: Vec<CString> = p
        .args
        .iter()
        .map(|a| CString::new(a.as_bytes()))
        .collect::<Result<_, _>>()
        .map_err(|_| Fail(125, "argument contains a NUL byte".into()))?;
    let envp: Vec<CString> = env.iter().filter_map(|e| CString::new(e.as_bytes()).ok()).collect();
    let candidates = candidates(&p.args[0], &path_env);
    set_ulimits(&p.ulimits)?;
    crate::output::trace("user and stdio set");
    // Privileges, last: bounding set, no_new_privs, seccomp, ids, capabilities.
    let mask = crate::spec::caps::mask(&p.caps);
    if p.no_new_privileges {
        nix::sys::prctl::set_no_new_privs().at("setting no_new_privs")?;
    }
    if plan.new_userns || nix::unistd::getuid().is_root() {
        crate::runtime::caps::drop_bounding(mask).at("dropping capabilities from the bounding set")?;
    }
    // Seccomp before the switch of ids: it needs CAP_SYS_ADMIN unless no_new_privs is set.
    if let Some(f) = plan.seccomp {
        f.load().at("loading the seccomp filter")?;
        crate::output::trace("seccomp loaded");
    }
    // --group-add keep-groups: the groups the caller has stay (no setgroups), as crun's
    // keep_original_groups; other values add to the user's groups.
    let keep_groups = p.group_add.iter().any(|g| g == "keep-groups");
    let mut groups = user.groups.clone();
    for g in p.group_add.iter().filter(|g| *g != "keep-groups") {
        let gid = match g.parse::<u32>() {
            Ok(n) => n,
            Err(_) => crate::runtime::user::group_id(g, &read("/etc/group")).ok_or_else(|| {
                Fail(
                    125,
                    format!("--group-add {g}: no such group in the container's /etc/group"),
                )
            })?,
        };
        if !groups.contains(&gid) {
            groups.push(gid);
        }
    }
    if plan.can_setgroups && !keep_groups {
        nix::unistd::setgroups(
            &groups
                .iter()
                .map(|g| nix::unistd::Gid::from_raw(*g))
                .collect::<Vec<_>>(),
        )
        .at("setting supplementary groups")?;
    }
    let unmapped = |e: Errno| {
        if e == Errno::EINVAL {
            Fail(125, format!(
                "user {} ({}:{}) is not mapped in the container's user namespace: without a subordinate id range only root exists",
                p.user, user.uid, user.gid
            ))
        } else {
            Fail(
                125,
                format!("switching to user {} ({}:{}): {}", p.user, user.uid, user.gid, e.desc()),
            )
        }
    };
    nix::unistd::setresgid(user.gid.into(), user.gid.into(), user.gid.into()).map_err(unmapped)?;
    nix::unistd::setresuid(user.uid.into(), user.uid.into(), user.uid.into()).map_err(unmapped)?;
    if user.uid == 0 {
        crate::runtime::caps::set_caps(mask).at("setting capabilities")?;
    }
    if plan.die_with_parent {
        // After the last change of credentials (which would clear it). The parent (CLI or
        // monitor) waits on our socket until execve, so it is alive here.
        let _ = process::die_with_parent();
    }
    crate::output::trace("privileges dropped");
    reset_signals();
    // --preserve-fds N: the caller's fds 3 to 3+N-1 stay open (hutch opened its own above them).
    crate::sys::fd::cloexec_from(3 + p.preserve_fds).at("closing inherited file descriptors")?;
    let mut last = Errno::ENOENT;
    for c in &candidates {
        let Ok(path) = CString::new(c.as_os_str().as_encoded_bytes()) else {
            continue;
        };
        let e = process::execve(&path, &argv, &envp);
        match e {
            Errno::ENOENT | Errno::ENOTDIR => {}
            e => {
                last = e;
                if p.args[0].contains('/') || e != Errno::EACCES {
                    break;
                }
            }
        }
    }
    let name = &p.args[0];
    let _ = sync;
    Err(exec_failure(name, last))
}

/// The stdio hutch made for the process (its pipes, the container's own pty) goes to the user
/// the process runs as, as runc does, so that user can reopen it: /dev/stdout, /dev/stderr and
/// /dev/stdin are /proc/self/fd/N, and opening those checks the pipe's or the pty's owner and
/// mode. /dev/null (a host device) stays as it is. Best effort: what cannot be handed over
/// (an owner not mapped here) stays usable through the descriptors themselves.
fn hand_stdio_to(uid: u32, tty: bool) {
    use std::os::fd::AsFd;
    let (i, o, e) = (std::io::stdin(), std::io::stdout(), std::io::stderr());
    for fd in [i.as_fd(), o.as_fd(), e.as_fd()] {
        let Ok(st) = nix::sys::stat::fstat(fd) else { continue };
        let kind = st.st_mode & libc::S_IFMT;
        if st.st_uid != uid && (kind == libc::S_IFIFO || (tty && kind == libc::S_IFCHR)) {
            let _ = nix::unistd::fchown(fd, Some(uid.into()), None);
        }
    }
}

fn exec_failure(name: &str, last: Errno) -> Fail {
    match last {
        Errno::ENOENT if name.contains('/') => Fail(127, format!("{name}: no such file or directory")),
        Errno::ENOENT => Fail(127, format!("{name}: executable file not found in $PATH")),
        Errno::EACCES => Fail(126, format!("exec {name}: permission denied")),
        e => Fail(126, format!("{name}: cannot execute: {}", e.desc())),
    }
}

fn candidates(cmd: &str, path: &str) -> Vec<PathBuf> {
    if cmd.contains('/') {
        return vec![PathBuf::from(cmd)];
    }
    path.split(':')
        .filter(|d| !d.is_empty())
        .map(|d| Path::new(d).join(cmd))
        .collect()
}

fn reset_signals() {
    use nix::sys::signal::Signal;
    process::reset_signals(&[
        Signal::SIGPIPE,
        Signal::SIGINT,
        Signal::SIGTERM,
        Signal::SIGHUP,
        Signal::SIGQUIT,
        Signal::SIGCHLD,
        Signal::SIGWINCH,
        Signal::SIGTSTP,
        Signal::SIGTTIN,
        Signal::SIGTTOU,
    ]);
}

pub fn open_pty(root: &OwnedFd, sync: &Channel) -> Result<OwnedFd, Fail> {
    use nix::fcntl::OFlag;
    let ptmx = m::open_in_root(root, Path::new("/dev/pts/ptmx")).at("finding /dev/pts/ptmx")?;
    let master = nix::fcntl::open(
        &fd_path(&ptmx),
        OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )
    .at("opening /dev/pts/ptmx")?;
    // SAFETY-free: unlockpt/ptsname through ioctls on the master.
    let n = crate::sys::pty::unlock_and_number(&master).at("unlocking the pty")?;
    let pts = m::open_in_root(root, Path::new("/dev/pts")).at("finding /dev/pts")?;
    let slave = nix::fcntl::openat(
        &pts,
        n.to_string().as_str(),
        OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )
    .at("opening the pty")?;
    sync.send_fd(&master);
    Ok(slave)
}

/// --ulimit: each limit set with setrlimit, in the container's process before its exec.
fn set_ulimits(limits: &[crate::spec::ulimit::Ulimit]) -> Result<(), Fail> {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    for u in limits {
        let r = match u.name.as_str() {
            "as" => Resource::RLIMIT_AS,
            "core" => Resource::RLIMIT_CORE,
            "cpu" => Resource::RLIMIT_CPU,
            "data" => Resource::RLIMIT_DATA,
            "fsize" => Resource::RLIMIT_FSIZE,
            "locks" => Resource::RLIMIT_LOCKS,
            "memlock" => Resource::RLIMIT_MEMLOCK,
            "msgqueue" => Resource::RLIMIT_MSGQUEUE,
            "nice" => Resource::RLIMIT_NICE,
            "nofile" => Resource::RLIMIT_NOFILE,
            "nproc" => Resource::RLIMIT_NPROC,
            "rss" => Resource::RLIMIT_RSS,
            "rtprio" => Resource::RLIMIT_RTPRIO,
            "rttime" => Resource::RLIMIT_RTTIME,
            "sigpending" => Resource::RLIMIT_SIGPENDING,
            "stack" => Resource::RLIMIT_STACK,
            other => return Err(Fail(125, format!("--ulimit {other}: unknown limit"))),
        };
        if let Err(e) = setrlimit(r, u.soft, u.hard) {
            let show = |v: u64| {
                if v == crate::spec::ulimit::UNLIMITED {
                    "unlimited".to_string()
                } else {
                    v.to_string()
                }
            };
            let now = getrlimit(r).map(|(_, h)| show(h)).unwrap_or_default();
            return Err(Fail(
                126,
                format!(
                    "--ulimit {}={}:{}: cannot set the limit: {} (the hard limit here is {now}, which only root can raise)",
                    u.name,
                    show(u.soft),
                    show(u.hard),
                    e.desc()
                ),
            ));
        }
    }
    Ok(())
}
