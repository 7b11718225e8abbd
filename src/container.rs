//! The container engine: create a container from an image and options, start it (foreground or
//! under a monitor), stop, kill and remove it. Commands call these; output stays in commands.

use std::path::{Path, PathBuf};

use crate::error::{Context, Error, Result};
use crate::runtime::state::{self, Status};
use crate::runtime::{self, Plan, StdioMode, Volume};
use crate::spec::network::Mode;
use crate::spec::{ImageConfig, MountKind, PullPolicy, RunOptions, Seccomp, Spec, UsernsMode};
use crate::store::containers::{ContainerRecord, Outcome};
use crate::store::Store;
use crate::runtime::userns::{self, Mapping};

/// Find the image the user named, pulling it (in a child `hutch pull`, so that no tokio runtime
/// or user namespace is left in this process) when missing and the policy allows.
pub fn find_or_pull_image(store: &Store, name: &str, policy: PullPolicy, quiet: bool) -> Result<crate::store::ImageRecord> {
    let idx = store.load_images()?;
    let found = idx.resolve(name);
    if let (Ok(n), false) = (&found, policy == PullPolicy::Always) {
        return Ok(idx.images[*n].clone());
    }
    if policy == PullPolicy::Never {
        return Err(found.err().unwrap_or_else(|| crate::err!("{name}: image not known")));
    }
    if let Err(e) = crate::reference::ImageRef::parse(name) {
        crate::bail!("{name}: {e}");
    }
    let mut cmd = std::process::Command::new("/proc/self/exe");
    cmd.arg("pull");
    if quiet {
        cmd.arg("--quiet");
    }
    cmd.arg(name).stdout(std::process::Stdio::null());
    let status = cmd.status().ctx(|| "running hutch pull")?;
    if !status.success() {
        // `hutch pull` already said what went wrong.
        return Err(Error::new(String::new()));
    }
    let idx = store.load_images()?;
    let n = idx.resolve(name)?;
    Ok(idx.images[n].clone())
}

/// Create the container: validate everything, then write its directory and record. Nothing is
/// left on disk when this fails.
pub fn create(store: &Store, image_name: &str, opts: &RunOptions, name: Option<&str>, policy: PullPolicy, quiet: bool) -> Result<ContainerRecord> {
    if let Some(n) = name {
        validate_name(n)?;
    }
    let img = find_or_pull_image(store, image_name, policy, quiet)?;
    let config: serde_json::Value = serde_json::from_slice(&store.read_blob(&format!("sha256:{}", img.id))?)
        .map_err(|e| crate::err!("image {}: stored config is not valid JSON: {e}", img.short_id()))?;
    let id = crate::digest::random_hex(32);
    let host_env = |k: &str| std::env::var(k).ok();
    let mut spec = crate::spec::build(&ImageConfig::from_json(&config), opts, &id, &host_env)?;
    if let Seccomp::Profile(p) = &spec.seccomp {
        if !Path::new(p).is_file() {
            crate::bail!("--security-opt seccomp={p}: no such file");
        }
    }
    for m in &spec.mounts {
        if m.kind == MountKind::Bind && std::fs::metadata(&m.source).is_err() {
            crate::bail!("-v {}:{}: source {} does not exist", m.source, m.destination, m.source);
        }
    }
    let mode = spec.network.clone();
    if let Mode::Ns(p) = &mode {
        if let Err(e) = std::fs::metadata(p) {
            let why = if e.kind() == std::io::ErrorKind::NotFound { "no such file".to_string() } else { e.to_string() };
            crate::bail!("--network ns:{p}: {why}");
        }
    }
    runtime::net::helper_path(&mode)?;
    for p in spec.ports.iter_mut().filter(|p| p.host_port == 0) {
        p.host_port = runtime::net::free_port(&p.host_ip, p.protocol)?;
    }
    let (own_addr, host_addr) = runtime::net::addresses(&mode);
    let mut extra_hosts = Vec::new();
    for h in &spec.add_hosts {
        extra_hosts.push(crate::spec::network::parse_add_host(h, host_addr.as_deref())?);
    }
    let cdir = store.container_dir(&id);
    for sub in ["upper", "work", "merged", "userdata"] {
        std::fs::create_dir_all(cdir.join(sub)).ctx(|| format!("creating {}", cdir.join(sub).display()))?;
    }
    let cleanup = |e: Error| {
        let _ = std::fs::remove_dir_all(&cdir);
        e
    };
    let lock = store.lock_containers().map_err(cleanup)?;
    let mut idx = store.load_containers().map_err(cleanup)?;
    let name = match name {
        Some(n) if idx.name_taken(n) => {
            return Err(cleanup(crate::err!(
                "the container name \"{n}\" is already in use by {}: remove that container or choose another name",
                idx.containers.iter().find(|c| c.name == n).map(|c| c.short_id().to_string()).unwrap_or_default()
            )))
        }
        Some(n) => n.to_string(),
        None => crate::store::containers::generate_name(|n| idx.name_taken(n)),
    };
    // container:NAME is kept as the other container's id; it shares that one's resolv.conf.
    let mut resolv_from = None;
    if let Mode::Container(c) = &mode {
        let i = idx.resolve(c).map_err(|e| cleanup(crate::err!("--network container:{c}: {}", e.message)))?;
        let target = &idx.containers[i].id;
        spec.network = Mode::Container(target.clone());
        resolv_from = Some(store.container_dir(target).join("userdata/resolv.conf"));
    }
    let rec = ContainerRecord {
        id: id.clone(),
        name,
        image: img.id.clone(),
        image_name: img.names.first().cloned().unwrap_or_else(|| image_name.to_string()),
        layers: img.layers.clone(),
        created: crate::output::now_secs(),
        spec,
    };
    let net = NetFacts { mode, own_addr, host_addr, extra_hosts, resolv_from };
    write_userdata(&cdir, &rec.spec, &rec.name, &net).map_err(cleanup)?;
    idx.containers.push(rec.clone());
    store.save_containers(&idx, &lock).map_err(cleanup)?;
    Ok(rec)
}

fn validate_name(n: &str) -> Result<()> {
    let ok = n.len() <= 128
        && n.bytes().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && n.bytes().all(|c| c.is_ascii_alphanumeric() || b"_.-".contains(&c));
    if !ok {
        crate::bail!("--name {n}: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*");
    }
    Ok(())
}

/// What the container's /etc/hosts needs to know about its network.
struct NetFacts {
    mode: Mode,
    own_addr: Option<String>,
    host_addr: Option<String>,
    extra_hosts: Vec<(String, String)>,
    /// Another container's resolv.conf to start from (--network container:NAME).
    resolv_from: Option<PathBuf>,
}

/// /etc/hosts, /etc/hostname and /etc/resolv.conf for the container.
fn write_userdata(cdir: &Path, spec: &Spec, name: &str, net: &NetFacts) -> Result<()> {
    let ud = cdir.join("userdata");
    let host_hosts = if net.mode == Mode::Host { std::fs::read_to_string("/etc/hosts").unwrap_or_default() } else { String::new() };
    let hosts = crate::spec::network::hosts(&crate::spec::network::HostsInput {
        mode: &net.mode,
        hostname: &spec.hostname,
        name,
        own_addr: net.own_addr.as_deref(),
        host_addr: net.host_addr.as_deref(),
        extra: &net.extra_hosts,
        host_hosts: &host_hosts,
    });
    let resolv = match &net.resolv_from {
        Some(f) if spec.dns.servers.is_empty() && spec.dns.search.is_empty() && spec.dns.options.is_empty() => std::fs::read_to_string(f).unwrap_or_default(),
        _ => crate::spec::network::resolv_conf(&std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default(), &net.mode, &spec.dns),
    };
    for (f, content) in [("hosts", hosts), ("hostname", format!("{}\n", spec.hostname)), ("resolv.conf", resolv)] {
        std::fs::write(ud.join(f), content).ctx(|| format!("writing {}", ud.join(f).display()))?;
    }
    Ok(())
}

/// The seccomp filter and id-mapping facts an `exec` into `rec` needs.
pub fn privileges(rec: &ContainerRecord) -> Result<(Option<runtime::seccomp::Filter>, bool, bool)> {
    let mapping = userns::plan();
    let seccomp = runtime::seccomp::compile(&seccomp_source(&rec.spec.seccomp), &rec.spec.caps)?;
    Ok((seccomp, mapping.needs_userns(), mapping.can_setgroups()))
}

fn seccomp_source(s: &Seccomp) -> runtime::seccomp::Source {
    match s {
        Seccomp::Default => runtime::seccomp::Source::Default,
        Seccomp::Unconfined => runtime::seccomp::Source::Unconfined,
        Seccomp::Profile(p) => runtime::seccomp::Source::File(PathBuf::from(p)),
    }
}

/// Everything needed to start `rec`; resolves volumes (creating named ones) and seccomp.
pub fn plan(store: &Store, rec: &ContainerRecord) -> Result<Plan> {
    let mapping = userns::plan();
    if let Mapping::Single { why, .. } = &mapping {
        userns::notice_single(why);
    }
    let seccomp = runtime::seccomp::compile(&seccomp_source(&rec.spec.seccomp), &rec.spec.caps)?;
    let mut volumes = Vec::new();
    for m in &rec.spec.mounts {
        let source = if m.kind == MountKind::Bind {
            PathBuf::from(&m.source)
        } else {
            let name = if m.source.is_empty() { format!("anon-{}-{}", &rec.id[..12], crate::digest::random_hex(4)) } else { m.source.clone() };
            let d = store.volume_data(&name);
            std::fs::create_dir_all(&d).ctx(|| format!("creating volume {name}"))?;
            d
        };
        volumes.push(Volume { source, destination: m.destination.clone(), read_only: m.read_only });
    }
    // devpts gets gid=5 (tty) only when that gid exists in the container.
    let gid5 = mapping.gid_span() > 5;
    let (new_userns, can_setgroups) = (mapping.needs_userns(), mapping.can_setgroups());
    let keep_id = rec.spec.userns == UsernsMode::KeepId;
    let mut lower: Vec<String> = if keep_id {
        prepare_keep_id(store, rec, &mapping)?
    } else {
        rec.layers.iter().map(|l| Store::layer_rel(l)).collect()
    };
    lower.reverse();
    let join_netns = match &rec.spec.network {
        Mode::Ns(p) => Some(PathBuf::from(p)),
        Mode::Container(id) => Some(netns_of(store, id, &rec.spec.network.name())?),
        _ => None,
    };
    Ok(Plan {
        id: rec.id.clone(),
        store_root: store.base().to_path_buf(),
        container_dir: store.container_dir(&rec.id),
        lower,
        spec: rec.spec.clone(),
        mapping,
        new_userns,
        can_setgroups,
        gid5_mapped: gid5,
        seccomp,
        volumes,
        fuse_overlay: std::env::var_os("HUTCH_OVERLAY").is_some_and(|v| v == "fuse-overlayfs"),
        join_netns,
    })
}

/// --network container:ID: the network namespace of that container's running process.
fn netns_of(store: &Store, id: &str, what: &str) -> Result<PathBuf> {
    let idx = store.load_containers()?;
    let Some(target) = idx.containers.iter().find(|c| c.id == id) else {
        crate::bail!("--network {what}: that container no longer exists");
    };
    match runtime::state::status(store, target).0 {
        runtime::state::Status::Running { pid } => Ok(PathBuf::from(format!("/proc/{pid}/ns/net"))),
        _ => crate::bail!("--network container:{0}: container {0} is not running: start it first", target.name),
    }
}

/// --userns=keep-id: re-owned copies of the image's layers (made once, in a child that enters
/// the store's user namespace), and the container's upper dir handed to its root. Returns the
/// lower dirs, bottom first.
fn prepare_keep_id(store: &Store, rec: &ContainerRecord, mapping: &Mapping) -> Result<Vec<String>> {
    let Mapping::Full { uid, .. } = mapping else {
        crate::bail!("--userns=keep-id needs a subordinate id range for your user (see /etc/subuid and /etc/subgid)");
    };
    let own = *uid;
    let tag = format!("keepid-{own}");
    let cdir = store.container_dir(&rec.id);
    userns::in_store_namespace("preparing the image for --userns=keep-id", || {
        for l in &rec.layers {
            crate::store::keepid::ensure(store, l, &tag, &|x| userns::keep_id_store_id(x, own))?;
        }
        let root = userns::keep_id_store_id(0, own);
        for d in ["upper", "work"] {
            std::os::unix::fs::lchown(cdir.join(d), Some(root), Some(root)).ctx(|| format!("handing {d} to the container's root"))?;
        }
        Ok(())
    })?;
    Ok(rec.layers.iter().map(|l| crate::store::keepid::rel_dir(l, &tag)).collect())
}

/// Run in the foreground: stdio connected, signals forwarded; removed afterwards with --rm.
/// Returns the exit code.
pub fn run_foreground(store: &Store, rec: &ContainerRecord) -> Result<i32> {
    crate::output::trace("created");
    let plan = plan(store, rec)?;
    crate::output::trace("planned");
    let signals = runtime::session::block_signals();
    let stdio = if rec.spec.tty { StdioMode::Tty } else { StdioMode::Inherit { stdin: rec.spec.interactive } };
    let mut started = runtime::spawn(&plan, &stdio)?;
    let me = std::process::id() as i32;
    let live = state::Live {
        pid: started.child.pid.as_raw(),
        start_time: started.start_time,
        monitor_pid: me,
        monitor_start: crate::sys::process::start_time(me).unwrap_or(0),
    };
    let mut outcome = Outcome { started_at: state::now_nanos(), ..Default::default() };
    state::write_live(&rec.id, &live)?;
    store.write_outcome(&rec.id, &outcome)?;
    crate::output::trace("state written");
    let code = runtime::session::run(&started, signals, rec.spec.interactive);
    drop(started.net.take());
    crate::output::trace("exited");
    outcome.finished_at = state::now_nanos();
    outcome.exit_code = Some(code);
    let _ = store.write_outcome(&rec.id, &outcome);
    state::remove_live(&rec.id);
    if rec.spec.auto_remove {
        remove(store, rec, true)?;
        crate::output::trace("removed");
    }
    Ok(code)
}

/// Start under a monitor and return once the container runs.
pub fn start_detached(store: &Store, rec: &ContainerRecord) -> Result<()> {
    let plan = plan(store, rec)?;
    runtime::monitor::start_detached(&plan)
}

/// Send `sig` to a running container; error if it is not running.
pub fn kill(store: &Store, rec: &ContainerRecord, sig: i32) -> Result<()> {
    let (st, _, live) = state::status(store, rec);
    let pidfd = match (st, live.as_ref().and_then(state::open_process)) {
        (Status::Running { .. }, Some(fd)) => fd,
        _ => crate::bail!("container {} is not running", rec.name),
    };
    let sig = nix::sys::signal::Signal::try_from(sig).map_err(|_| crate::err!("invalid signal {sig}"))?;
    crate::sys::process::pidfd_send_signal(&pidfd, sig).map_err(|e| crate::err!("signalling container {}: {e}", rec.name))
}

/// Stop: the stop signal, then SIGKILL after `timeout` seconds; waits until its exit is recorded.
pub fn stop(store: &Store, rec: &ContainerRecord, timeout: u32) -> Result<()> {
    let sig = nix::sys::signal::Signal::try_from(rec.spec.stop_signal).unwrap_or(nix::sys::signal::Signal::SIGTERM);
    terminate(store, rec, sig, timeout);
    Ok(())
}

/// If the container runs: send `first`, SIGKILL after `grace` seconds, and wait (bounded) for the
/// exit and for its monitor to record it.
fn terminate(store: &Store, rec: &ContainerRecord, first: nix::sys::signal::Signal, grace: u32) {
    let (st, _, live) = state::status(store, rec);
    let (Status::Running { .. }, Some(live)) = (st, live) else { return };
    let Some(pidfd) = state::open_process(&live) else { return };
    let _ = crate::sys::process::pidfd_send_signal(&pidfd, first);
    if !state::wait_exit(&pidfd, std::time::Duration::from_secs(grace as u64)) {
        let _ = crate::sys::process::pidfd_send_signal(&pidfd, nix::sys::signal::Signal::SIGKILL);
        state::wait_exit(&pidfd, std::time::Duration::from_secs(10));
    }
    state::wait_recorded(store, &rec.id, &live, std::time::Duration::from_secs(5));
}

/// Wait for a container to exit; returns its exit code.
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
            Status::Created => {
                // Not started yet (or starting): poll.
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        }
    }
}

/// Make sure a container is not running before removal: error without `force`, SIGKILL with it.
/// Must run before `enter_userns` (only the host user may signal the container's processes).
pub fn ensure_stopped(store: &Store, rec: &ContainerRecord, force: bool) -> Result<()> {
    if let Status::Running { .. } = state::status(store, rec).0 {
        if !force {
            crate::bail!("container {} is running: stop it first or use rm -f", rec.name);
        }
        terminate(store, rec, nix::sys::signal::Signal::SIGKILL, 10);
    }
    Ok(())
}

/// Remove a stopped container: record first (under the lock), then its directory. Call
/// `enter_userns` before, to delete files the container created as other uids.
pub fn remove(store: &Store, rec: &ContainerRecord, volumes: bool) -> Result<()> {
    let lock = store.lock_containers()?;
    let mut idx = store.load_containers()?;
    let Some(n) = idx.containers.iter().position(|c| c.id == rec.id) else {
        // Removed meanwhile by someone else (e.g. its --rm monitor).
        return Ok(());
    };
    idx.containers.remove(n);
    store.save_containers(&idx, &lock)?;
    drop(lock);
    crate::output::trace("record removed");
    state::remove_live(&rec.id);
    let d = store.container_dir(&rec.id);
    // Usually everything in it is the user's own; only files the container created as other
    // uids need the user namespace (whose setup costs a few milliseconds) to go.
    if d.exists() && std::fs::remove_dir_all(&d).is_err() {
        // overlay leaves work/work mode 000: owned by us, so give us access back first.
        crate::store::make_writable(&d);
        if std::fs::remove_dir_all(&d).is_err() {
            enter_userns()?;
            store.discard_dir(&d)?;
        }
    }
    if volumes {
        let vroot = store.volumes_dir();
        if let Ok(rd) = std::fs::read_dir(&vroot) {
            for e in rd.flatten() {
                if e.file_name().to_string_lossy().starts_with(&format!("anon-{}-", &rec.id[..12])) {
                    let _ = store.discard_dir(&e.path());
                }
            }
        }
    }
    Ok(())
}

/// Enter the store's user namespace (to delete files owned by subordinate ids).
pub fn enter_userns() -> Result<()> {
    userns::enter().map(drop)
}
