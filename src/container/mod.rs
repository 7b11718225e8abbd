//! The container engine: create a container from an image and options (here), start it
//! (`start`), stop, kill, wait for and remove it (`lifecycle`), run more processes in it
//! (`exec`). Commands call these; output stays in commands.

pub mod cp;
pub mod diff;
mod exec;
pub mod export;
mod lifecycle;
pub mod rename;
mod start;
pub mod top;

/// A container's state as `ps`, `inspect` and the lifecycle verbs see it.
pub use crate::runtime::state::{is_stopping, running_now, status, Status};
pub use exec::{exec, ExecOptions};
pub use lifecycle::{ensure_stopped, ensure_stopped_within, enter_userns, kill, pause_main, remove, stop, wait};
pub use start::{run_foreground, start_detached};

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::error::{Context, Error, Result};
use crate::runtime::userns::{self, Mapping};
use crate::runtime::{self, Plan, Volume};
use crate::spec::network::Mode;
use crate::spec::{ImageConfig, MountKind, MountSpec, RunOptions, Seccomp, Spec, UsernsMode};
use crate::store::containers::ContainerRecord;
use crate::store::{Reservation, Store};

/// Create the container: validate everything, then write its directory and record. Nothing is
/// left on disk when this fails.
pub fn create(
    store: &Store,
    image_name: &str,
    opts: &RunOptions,
    name: Option<&str>,
    pull: &crate::image::ImplicitPull,
) -> Result<ContainerRecord> {
    if let Some(n) = name {
        validate_name(n)?;
    }
    let img = crate::image::find_or_pull(store, image_name, pull)?;
    let config: serde_json::Value = serde_json::from_slice(&store.read_blob(&format!("sha256:{}", img.id))?)
        .map_err(|e| crate::err!("image {}: stored config is not valid JSON: {e}", img.short_id()))?;
    let id = crate::digest::random_hex(32);
    let host_env = |k: &str| std::env::var(k).ok();
    let mut spec = crate::spec::build(&ImageConfig::from_json(&config), opts, &id, &host_env)?;
    if spec.userns == UsernsMode::KeepId {
        let m = keep_id_mapping()?;
        if spec.keep_id_uid.is_some() || spec.keep_id_gid.is_some() {
            keep_id_maps(&mut spec, &m);
        } else {
            spec.idmap_method = userns::keep_id_method()?.name().to_string();
        }
    }
    if spec.userns == UsernsMode::NoMap {
        // Container ids 0.. are the subordinate ids (store ids 1..), never the user's own.
        let m = userns::plan();
        if !matches!(m, Mapping::Full { .. }) {
            crate::bail!("--userns nomap needs a subordinate id range for your user (see /etc/subuid and /etc/subgid)");
        }
        let entry = |span: u64| crate::spec::IdMapEntry {
            container: 0,
            host: 1,
            size: (span - 1) as u32,
            host_level: false,
        };
        spec.uidmap = vec![entry(m.uid_span())];
        spec.gidmap = vec![entry(m.gid_span())];
    }
    let auto_size = match spec.userns {
        UsernsMode::Auto => Some(match spec.userns_size {
            Some(n) => n,
            None => crate::spec::auto_userns_size(
                &image_file(store, &img.layers, &["etc", "passwd"]).unwrap_or_default(),
                &image_file(store, &img.layers, &["etc", "group"]).unwrap_or_default(),
            ),
        }),
        _ => None,
    };
    if !spec.uidmap.is_empty() {
        resolve_id_maps(&mut spec)?;
    }
    if let Seccomp::Profile(p) = &spec.seccomp {
        if !Path::new(p).is_file() {
            crate::bail!("--security-opt seccomp={p}: no such file");
        }
    }
    let mut volumes_from = Vec::new();
    for v in &opts.volumes_from {
        let (ctr, mode) = match v.rsplit_once(':') {
            Some((c, m @ ("ro" | "rw"))) => (c, Some(m == "ro")),
            Some((_, m)) if !m.is_empty() && !m.contains('/') => {
                crate::bail!("--volumes-from {v}: unknown option {m} (use ro or rw)")
            }
            _ => (v.as_str(), None),
        };
        if ctr.is_empty() {
            crate::bail!("--volumes-from {v}: no container named");
        }
        volumes_from.push((v.clone(), ctr.to_string(), mode));
    }
    for m in &spec.mounts {
        if m.kind == MountKind::Bind && std::fs::metadata(&m.source).is_err() {
            crate::bail!("-v {}:{}: source {} does not exist", m.source, m.destination, m.source);
        }
    }
    let mode = spec.network.clone();
    if let Mode::Ns(p) = &mode {
        if let Err(e) = std::fs::metadata(p) {
            let why = if e.kind() == std::io::ErrorKind::NotFound {
                "no such file".to_string()
            } else {
                e.to_string()
            };
            crate::bail!("--network ns:{p}: {why}");
        }
    }
    runtime::net::helper_path(&mode)?;
    let networks = crate::network::resolve_mode(store, &mode)?;
    if mode == Mode::Bridge(vec![]) {
        crate::bail!(
            "--network {}: expected the name of a network",
            crate::spec::network::NO_NETWORK
        );
    }
    if let Mode::Bridge(_) = &mode {
        if crate::paths::find_in_path("pasta").is_none() {
            crate::bail!(
                "--network {}: networks need pasta, which is not installed (install the passt package)",
                mode.name()
            );
        }
        if let Some(ip) = &spec.static_ip {
            let n = &networks[0];
            let a: std::net::Ipv4Addr = ip.parse().map_err(|_| crate::err!("--ip {ip}: not an IPv4 address"))?;
            if !n.cidr().is_host(a) || a == n.gateway() {
                crate::bail!("--ip {ip}: not a free address of network {} ({})", n.name, n.cidr());
            }
        }
    }
    for p in spec.ports.iter_mut().filter(|p| p.host_port == 0) {
        p.host_port = runtime::net::free_port(&p.host_ip, p.protocol)?;
    }
    let (own_addr, host_addr) = match &mode {
        Mode::Bridge(_) => (None, runtime::net::addresses(&Mode::Pasta).1),
        m => runtime::net::addresses(m),
    };
    // slirp4netns's outbound interfaces exist (checked again when it starts).
    if let Mode::Slirp4netns(o) = &mode {
        runtime::net::slirp_outbound(o)?;
    }
    // containers.conf names host.containers.internal's address (or that it has none).
    let host_addr = match opts.host_containers_internal_ip.as_deref() {
        Some("none") => None,
        Some(ip) => Some(ip.to_string()),
        None => host_addr,
    };
    let mut extra_hosts = Vec::new();
    for h in &spec.add_hosts {
        extra_hosts.push(crate::spec::network::parse_add_host(h, host_addr.as_deref())?);
    }
    let base_hosts = match opts.base_hosts_file.as_deref() {
        None => None,
        Some("none") => Some(String::new()),
        Some("image") => Some(
            image_file(store, &img.layers, &["etc", "hosts"])
                .ctx(|| "containers.conf base_hosts_file = \"image\": reading the image's /etc/hosts")?,
        ),
        Some(path) => {
            Some(std::fs::read_to_string(path).ctx(|| format!("containers.conf base_hosts_file = \"{path}\""))?)
        }
    };
    // The directory is made under containers.lock, so that `system check` (which holds it)
    // never takes the directory of a container being created for a leftover. Creates hold it
    // shared: the name is reserved by a link made at once or not at all (`reserve_name`), so
    // they need not wait for each other; it is held exclusively (as rm, rmi, prune and check
    // do) when this create must see the others (an auto range, a static address, names on
    // networks with name service: not the default one, which has none) or take over a stale
    // reservation.
    let named_on = |n: &&crate::spec::network::Network| n.dns_enabled;
    let mut exclusive = auto_size.is_some() || spec.static_ip.is_some() || networks.iter().any(|n| named_on(&n));
    let mut tries = 0u32;
    let (lock, name) = 'locked: loop {
        let lock = if exclusive {
            store.lock_containers()?
        } else {
            store.lock_containers_shared()?
        };
        match name {
            Some(n) => match store.reserve_name(n, &id, &lock, exclusive)? {
                Reservation::Ours => break 'locked (lock, n.to_string()),
                Reservation::Taken(other) => crate::bail!(
                    "the container name \"{n}\" is already in use by {}: remove that container or choose another name",
                    &other[..12]
                ),
                Reservation::NeedsExclusive | Reservation::Pending => {}
            },
            None => loop {
                // A name taken: the next try has a number, so names never run out.
                let n = crate::store::containers::generated_name(tries);
                tries += 1;
                match store.reserve_name(&n, &id, &lock, exclusive)? {
                    Reservation::Ours => break 'locked (lock, n),
                    // A generated name another start has just reserved (or a stale link):
                    // another name, rather than waiting for the exclusive lock.
                    Reservation::Taken(_) | Reservation::Pending => continue,
                    Reservation::NeedsExclusive => break,
                }
            },
        }
        drop(lock);
        exclusive = true;
    };
    let cdir = store.container_dir(&id);
    let cleanup = |e: Error| {
        let _ = std::fs::remove_dir_all(&cdir);
        store.release_name(&name, &id);
        e
    };
    for sub in ["upper", "work", "merged", "userdata"] {
        std::fs::create_dir_all(cdir.join(sub))
            .ctx(|| format!("creating {}", cdir.join(sub).display()))
            .map_err(cleanup)?;
    }
    crate::fault::point("after:create-dir");
    // The upper dir's attributes are the container's `/`: the image's root mode, not the umask's.
    let root_mode = crate::store::layers::root_mode(&store.load_layers().map_err(cleanup)?, &img.layers);
    std::fs::set_permissions(cdir.join("upper"), std::fs::Permissions::from_mode(root_mode))
        .ctx(|| format!("setting the mode of {}", cdir.join("upper").display()))
        .map_err(cleanup)?;
    // Every record is read only when this create needs the others (an auto range, a static
    // address, container:NAME, --volumes-from): the name is checked by its reservation, so a
    // create's time under the lock does not grow with the number of containers.
    let needs_idx = auto_size.is_some()
        || spec.static_ip.is_some()
        || matches!(mode, Mode::Container(_))
        || !volumes_from.is_empty();
    let idx = if needs_idx {
        store.load_containers().map_err(cleanup)?
    } else {
        Default::default()
    };
    if let Some(size) = auto_size {
        // Under containers.lock: two auto containers created at once get different ranges.
        auto_id_range(&mut spec, &idx, size).map_err(cleanup)?;
    }
    if !spec.uidmap.is_empty() {
        spec.idmap_method = id_map_method(&spec).map_err(cleanup)?;
    }
    // rmi and prune decide under containers.lock, which we hold: the image is still there now
    // or was removed before we took it.
    if !store
        .load_images()
        .map_err(cleanup)?
        .images
        .iter()
        .any(|i| i.id == img.id)
    {
        return Err(cleanup(crate::err!(
            "image {} was removed while the container was being created: run the command again",
            image_name
        )));
    }
    if !networks.is_empty() {
        let named: Vec<_> = networks.iter().filter(named_on).cloned().collect();
        crate::network::check_names(store, &named, &id, &name, &spec.network_aliases).map_err(cleanup)?;
        if let Some(ip) = &spec.static_ip {
            let first = &networks[0].name;
            if let Some(o) = idx.containers.iter().find(|c| {
                c.spec.static_ip.as_ref() == Some(ip)
                    && matches!(&c.spec.network, Mode::Bridge(v) if v.first() == Some(first))
            }) {
                return Err(cleanup(crate::err!(
                    "--ip {ip}: already the address of container {} on network {first}",
                    o.name
                )));
            }
        }
    }
    // container:NAME is kept as the other container's id; it shares that one's resolv.conf.
    let mut resolv_from = None;
    let mut hosts_from = None;
    if let Mode::Container(c) = &mode {
        let i = idx
            .resolve(c)
            .map_err(|e| cleanup(crate::err!("--network container:{c}: {}", e.message)))?;
        let target = &idx.containers[i].id;
        spec.network = Mode::Container(target.clone());
        resolv_from = Some(store.container_dir(target).join("userdata/resolv.conf"));
        hosts_from = Some(store.container_dir(target).join("userdata/hosts"));
    }
    // --volumes-from: the other containers' volumes and bind mounts, where this one mounts
    // nothing of its own (Podman's rule), read-only or not as there unless :ro/:rw says.
    for (given, ctr, ro) in &volumes_from {
        let i = idx
            .resolve(ctr)
            .map_err(|e| cleanup(crate::err!("--volumes-from {given}: {}", e.message)))?;
        for m in idx.containers[i].spec.mounts.clone() {
            if m.kind == MountKind::Tmpfs
                || (m.kind == MountKind::Volume && m.source.is_empty())
                || spec.mounts.iter().any(|x| x.destination == m.destination)
            {
                continue;
            }
            spec.mounts.push(MountSpec {
                read_only: ro.unwrap_or(m.read_only),
                chown: false,
                ..m
            });
        }
    }
    // Volumes: a name not yet in the store is created, as Podman does; `-v /path` gets a new
    // anonymous volume (named like Podman's, 64 hex digits) that `rm -v` removes.
    let mut wanted = Vec::new();
    for m in spec.mounts.iter_mut().filter(|m| m.kind == MountKind::Volume) {
        let anonymous = m.source.is_empty();
        if anonymous {
            m.source = crate::digest::random_hex(32);
        }
        wanted.push((m.source.clone(), anonymous));
    }
    copy_secrets(store, &cdir, &mut spec).map_err(cleanup)?;
    let made = crate::volume::ensure_for_container(store, &wanted).map_err(cleanup)?;
    let cleanup = |e: Error| {
        if !made.is_empty() {
            let _ = crate::volume::discard_new(store, &made);
        }
        cleanup(e)
    };
    let rec = ContainerRecord {
        id: id.clone(),
        name: name.clone(),
        image: img.id.clone(),
        image_name: name_as_given(&img.names, image_name),
        layers: img.layers.clone(),
        created: crate::output::now_secs(),
        created_ns: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i128),
        spec,
    };
    let net = NetFacts {
        mode,
        own_addr,
        host_addr,
        extra_hosts,
        resolv_from,
        hosts_from,
        base_hosts,
        networks,
    };
    write_userdata(&cdir, &rec.spec, &rec.name, &net).map_err(cleanup)?;
    write_file(&cdir.join("userdata/containerenv"), &containerenv(store, &rec)).map_err(cleanup)?;
    crate::fault::point("after:write-userdata");
    store
        .add_container(&rec, lock, !rec.spec.auto_remove)
        .map_err(cleanup)?;
    crate::events::of("create", &rec);
    Ok(rec)
}

/// The image's name that the user's words mean (as Podman records it: the name asked for, of an
/// image with several); its first name when they gave an id.
fn name_as_given(names: &[String], given: &str) -> String {
    let tagged = match given.rsplit_once(':') {
        Some((_, t)) if !t.contains('/') => given.to_string(),
        _ => format!("{given}:latest"),
    };
    names
        .iter()
        .find(|n| **n == given || **n == tagged)
        .or_else(|| names.iter().find(|n| n.ends_with(&format!("/{tagged}"))))
        .or_else(|| names.first())
        .cloned()
        .unwrap_or_else(|| given.to_string())
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
    /// And its /etc/hosts.
    hosts_from: Option<PathBuf>,
    /// containers.conf base_hosts_file's content, when set.
    base_hosts: Option<String>,
    /// --network NAME…: those networks.
    networks: Vec<crate::spec::network::Network>,
}

/// The text of the file `rel` (components below the root) in the image made of `layers`
/// (bottom first), as overlay would show it: the top-most layer that has it, unless a layer
/// above deletes it or hides its directory (whiteout, opaque directory). Empty when the image
/// has no such regular file.
fn image_file(store: &Store, layers: &[String], rel: &[&str]) -> Result<String> {
    let (name, dirs) = rel.split_last().expect("a file name");
    for id in layers.iter().rev() {
        let mut p = store.layer_dir(id).join("diff");
        let (mut present, mut opaque) = (true, false);
        for d in dirs {
            p.push(d);
            match std::fs::symlink_metadata(&p) {
                Ok(m) if m.is_dir() => {
                    opaque |= crate::sys::fs::get_xattr(&p, crate::archive::OPAQUE_XATTR).is_ok_and(|v| v == b"y")
                }
                // A whiteout, a file or a symlink in place of the directory hides it.
                Ok(_) => return Ok(String::new()),
                Err(_) => {
                    present = false;
                    break;
                }
            }
        }
        if present && std::fs::symlink_metadata(p.join(name)).is_ok() {
            return read_regular(&p.join(name));
        }
        if opaque {
            break;
        }
    }
    Ok(String::new())
}

fn read_regular(f: &Path) -> Result<String> {
    match std::fs::symlink_metadata(f) {
        Ok(m) if m.is_file() => std::fs::read_to_string(f).ctx(|| format!("reading {}", f.display())),
        _ => Ok(String::new()),
    }
}

/// /etc/hosts, /etc/hostname and /etc/resolv.conf for the container.
fn write_userdata(cdir: &Path, spec: &Spec, name: &str, net: &NetFacts) -> Result<()> {
    let ud = cdir.join("userdata");
    let host_hosts = if net.mode == Mode::Host {
        std::fs::read_to_string("/etc/hosts").unwrap_or_default()
    } else {
        String::new()
    };
    let shared_hosts = net.hosts_from.as_ref().and_then(|f| std::fs::read_to_string(f).ok());
    let hosts = crate::spec::network::hosts(&crate::spec::network::HostsInput {
        mode: &net.mode,
        hostname: &spec.hostname,
        name,
        own_addr: net.own_addr.as_deref(),
        host_addr: net.host_addr.as_deref(),
        extra: &net.extra_hosts,
        host_hosts: &host_hosts,
        base: net.base_hosts.as_deref(),
        shared: shared_hosts.as_deref(),
    });
    let resolv = match &net.resolv_from {
        Some(f) if spec.dns.servers.is_empty() && spec.dns.search.is_empty() && spec.dns.options.is_empty() => {
            std::fs::read_to_string(f).unwrap_or_default()
        }
        _ if !net.networks.is_empty() => crate::spec::network::bridge_resolv_conf(
            &std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default(),
            &net.networks,
            &spec.dns,
        ),
        _ => crate::spec::network::resolv_conf(
            &std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default(),
            &net.mode,
            &spec.dns,
        ),
    };
    for (f, content) in [
        ("hosts", hosts),
        ("hostname", format!("{}\n", spec.hostname)),
        ("resolv.conf", resolv),
    ] {
        write_file(&ud.join(f), &content)?;
    }
    Ok(())
}

/// A file the container reads through a bind mount: 0644 whatever the umask, so its users
/// other than root can read it too.
fn write_file(p: &Path, content: &str) -> Result<()> {
    std::fs::write(p, content).ctx(|| format!("writing {}", p.display()))?;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o644))
        .ctx(|| format!("setting the mode of {}", p.display()))
}

/// /run/.containerenv, which tells programs they run in a container, in Podman's format: as
/// with Podman, the engine, name, id, image and rootless lines only for --privileged
/// containers (toolbox and distrobox run theirs so), and `graphRootMounted=1` when the store
/// is one of its volumes.
fn containerenv(store: &Store, rec: &ContainerRecord) -> String {
    let q = |v: &str| format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""));
    let mut out = String::new();
    if rec.spec.privileged {
        out = format!(
            "engine={}\nname={}\nid={}\nimage={}\nimageid={}\nrootless={}\n",
            q(&format!("hutch-{}", env!("CARGO_PKG_VERSION"))),
            q(&rec.name),
            q(&rec.id),
            q(&rec.image_name),
            q(&rec.image),
            u8::from(!nix::unistd::getuid().is_root()),
        );
    }
    let same = |a: &Path, b: &Path| a.canonicalize().ok().is_some_and(|a| Some(a) == b.canonicalize().ok());
    if rec
        .spec
        .mounts
        .iter()
        .any(|m| m.kind == MountKind::Bind && same(Path::new(&m.source), store.base()))
    {
        out.push_str("graphRootMounted=1\n");
    }
    out
}

/// The seccomp filter and id-mapping facts an `exec` into `rec` needs.
fn privileges(rec: &ContainerRecord) -> Result<(Option<runtime::seccomp::Filter>, bool, bool)> {
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
    let copy_up = crate::volume::take_copy_up(store, rec)?;
    let vols = if rec.spec.mounts.iter().any(|m| m.kind == MountKind::Volume) {
        store.load_volumes()?
    } else {
        Default::default()
    };
    for m in &rec.spec.mounts {
        let mut tmpfs = None;
        let source = match m.kind {
            MountKind::Bind => PathBuf::from(&m.source),
            MountKind::Tmpfs => {
                let t = crate::spec::tmpfs_options(&m.options)
                    .map_err(|e| crate::err!("tmpfs on {}: {e}", m.destination))?;
                tmpfs = Some(runtime::Tmpfs {
                    data: t.data,
                    noexec: t.noexec,
                    nosuid: t.nosuid,
                    nodev: t.nodev,
                });
                PathBuf::new()
            }
            MountKind::Volume => {
                // Containers an older hutch created have anonymous volumes without a name.
                let name = if m.source.is_empty() {
                    format!("anon-{}-{}", &rec.id[..12], crate::digest::random_hex(4))
                } else {
                    m.source.clone()
                };
                let v = vols.find(&name);
                if let Some(data) = v.and_then(|v| v.tmpfs_data()) {
                    // A tmpfs volume: a new tmpfs in the container's mount namespace.
                    tmpfs = Some(runtime::Tmpfs {
                        data: data.to_string(),
                        noexec: false,
                        nosuid: false,
                        nodev: false,
                    });
                    PathBuf::new()
                } else if let Some(dev) = v.and_then(|v| v.bind_device()) {
                    PathBuf::from(dev)
                } else {
                    let d = store.volume_data(&name);
                    if !d.is_dir() {
                        std::fs::create_dir_all(&d).ctx(|| format!("creating volume {name}"))?;
                    }
                    d
                }
            }
        };
        volumes.push(Volume {
            source,
            destination: m.destination.clone(),
            read_only: m.read_only,
            copy_up: match m.kind {
                MountKind::Volume => copy_up.copy.contains(&m.source),
                MountKind::Tmpfs => crate::spec::tmpfs_options(&m.options).is_ok_and(|t| t.copy_up),
                MountKind::Bind => false,
            },
            chown: m.chown,
            first_mount: m.kind == MountKind::Volume && copy_up.chown.contains(&m.source),
            noexec: m.kind != MountKind::Tmpfs && m.options.split(',').any(|f| f == "noexec"),
            nosuid: m.kind != MountKind::Tmpfs && m.options.split(',').any(|f| f == "nosuid"),
            nodev: m.kind != MountKind::Tmpfs && m.options.split(',').any(|f| f == "nodev"),
            tmpfs,
        });
    }
    // --secret: the copies made at create, a read-only file each, or environment variables
    // (in the plan only: `inspect` does not show them).
    let mut spec = rec.spec.clone();
    for (i, s) in rec.spec.secrets.iter().enumerate() {
        let source = store.container_dir(&rec.id).join("secrets").join(i.to_string());
        match &s.env {
            Some(var) => {
                let data = std::fs::read(&source).ctx(|| format!("secret {}: reading {}", s.name, source.display()))?;
                let value = String::from_utf8(data)
                    .map_err(|_| crate::err!("secret {}: type=env needs text (the secret is not UTF-8)", s.name))?;
                crate::spec::add_env(&mut spec.env, std::iter::once(&format!("{var}={value}")), &|_| None)?;
            }
            None => volumes.push(Volume {
                source,
                destination: s.target.clone(),
                read_only: true,
                copy_up: false,
                chown: false,
                first_mount: false,
                // A secret is data: nothing on it runs, as on Podman's secret mounts.
                noexec: true,
                nosuid: true,
                nodev: true,
                tmpfs: None,
            }),
        }
    }
    // devpts gets gid=5 (tty) only when that gid exists in the container.
    let gid5 = mapping.gid_span() > 5;
    let (new_userns, can_setgroups) = (mapping.needs_userns(), mapping.can_setgroups());
    let keep_id = rec.spec.userns == UsernsMode::KeepId;
    let id_map = custom_id_map(&rec.spec, &mapping)?;
    if id_map.is_some() {
        hand_new_volumes_to_root(rec, &mapping, &volumes)?;
    }
    let mut lower: Vec<String> = if rec.spec.keep_id_copy() {
        prepare_keep_id(store, rec, &mapping)?
    } else if id_map.is_some() && rec.spec.id_map_copy() {
        prepare_id_map(store, rec, &mapping)?
    } else {
        rec.layers.iter().map(|l| Store::layer_rel(l)).collect()
    };
    lower.reverse();
    let fuse_idmap = match &id_map {
        _ if rec.spec.keep_id_fuse() => Some(userns::fuse_idmap_options(&mapping).ok_or_else(|| {
            crate::err!("--userns=keep-id needs a subordinate id range for your user (see /etc/subuid and /etc/subgid)")
        })?),
        Some((u, g)) if rec.spec.idmap_fuse() => Some(userns::fuse_store_options(&mapping, u, g).ok_or_else(|| {
            crate::err!(
                "the container's id maps need a subordinate id range for your user (see /etc/subuid and /etc/subgid)"
            )
        })?),
        _ => None,
    };
    dedup_layers(&mut lower);
    // A pod's member: the infra started if need be, and its other shared namespaces.
    let join_other = crate::pod::prepare_member(store, rec)?.unwrap_or_default();
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
        spec,
        mapping,
        new_userns,
        can_setgroups,
        gid5_mapped: gid5,
        seccomp,
        volumes,
        fuse_overlay: rec.spec.idmap_fuse() || std::env::var_os("HUTCH_OVERLAY").is_some_and(|v| v == "fuse-overlayfs"),
        fuse_idmap,
        id_map,
        join_netns,
        join_other,
        keep_id_user: if keep_id {
            runtime::HostUser::current().map(|u| runtime::HostUser {
                uid: rec.spec.keep_id_uid.unwrap_or(u.uid),
                gid: rec.spec.keep_id_gid.unwrap_or(u.gid),
                ..u
            })
        } else {
            None
        },
        host_users: rec
            .spec
            .host_users
            .iter()
            .map(|u| runtime::HostUser::lookup(u))
            .collect::<Result<Vec<_>>>()?,
        networks: crate::network::resolve_mode(store, &rec.spec.network)?,
        container_name: rec.name.clone(),
        image_name: rec.image_name.clone(),
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
        _ => crate::bail!(
            "--network container:{0}: container {0} is not running: start it first",
            target.name
        ),
    }
}

/// --secret: each secret's content copied into the container's directory (`secrets/<index>`,
/// 0700 directory), so the container keeps it when the secret is removed or replaced.
fn copy_secrets(store: &Store, cdir: &Path, spec: &mut Spec) -> Result<()> {
    if spec.secrets.is_empty() {
        return Ok(());
    }
    let idx = store.load_secrets()?;
    let dir = cdir.join("secrets");
    std::fs::create_dir(&dir).ctx(|| format!("creating {}", dir.display()))?;
    for (i, s) in spec.secrets.iter_mut().enumerate() {
        let Some(rec) = idx.find(&s.name) else {
            crate::bail!(
                "--secret {}: no secret with name or id {:?}: no such secret",
                s.name,
                s.name
            );
        };
        let data = std::fs::read(store.secret_data(&rec.id))
            .ctx(|| format!("--secret {}: reading the secret's data", s.name))?;
        let mode = if s.env.is_some() { 0o400 } else { s.mode };
        let path = dir.join(i.to_string());
        crate::sys::fs::write_atomic(&path, &data, mode).ctx(|| format!("writing {}", path.display()))?;
        s.id = rec.id.clone();
    }
    Ok(())
}

/// --userns=auto: the lowest range of `size` subordinate ids (the same for uids and gids) that
/// no other auto container of the store maps, as the container's ids 0..size.
fn auto_id_range(spec: &mut Spec, idx: &crate::store::containers::ContainerIndex, size: u32) -> Result<()> {
    let m = userns::plan();
    if !matches!(m, Mapping::Full { .. }) {
        crate::bail!("--userns auto needs a subordinate id range for your user (see /etc/subuid and /etc/subgid)");
    }
    let span = m.uid_span().min(m.gid_span());
    let used: Vec<(u64, u64)> = idx
        .containers
        .iter()
        .filter(|c| c.spec.userns == UsernsMode::Auto)
        .flat_map(|c| c.spec.uidmap.iter().chain(c.spec.gidmap.iter()))
        .map(|e| (e.host as u64, e.size as u64))
        .collect();
    let Some(start) = crate::spec::free_id_range(&used, size as u64, span) else {
        crate::bail!(
            "--userns auto: no free range of {size} ids is left in your {} subordinate ids (other --userns=auto containers hold them; remove some, or ask for less with auto:size=N)",
            span - 1
        );
    };
    let entry = crate::spec::IdMapEntry {
        container: 0,
        host: start as u32,
        size,
        host_level: false,
    };
    spec.uidmap = vec![entry];
    spec.gidmap = vec![entry];
    resolve_id_maps(spec)
}

/// keep-id:uid=N,gid=M as maps of the container's own, as Podman's: your id is N (M) inside,
/// your subordinate ids fill 0..N and what follows it. An id not given keeps yours, as plain
/// keep-id does.
fn keep_id_maps(spec: &mut Spec, m: &Mapping) {
    let Mapping::Full { uid, gid, .. } = *m else {
        return;
    };
    let entries = |target: u32, span: u64| {
        let e = |container: u32, host: u64, size: u64| crate::spec::IdMapEntry {
            container,
            host: host as u32,
            size: size as u32,
            host_level: false,
        };
        let t = target as u64;
        let below = t.min(span - 1);
        let mut v = Vec::new();
        if below > 0 {
            v.push(e(0, 1, below));
        }
        v.push(e(target, 0, 1));
        if t + 1 < span {
            v.push(e(target + 1, t + 1, span - 1 - t));
        }
        v
    };
    spec.uidmap = entries(spec.keep_id_uid.unwrap_or(uid), m.uid_span());
    spec.gidmap = entries(spec.keep_id_gid.unwrap_or(gid), m.gid_span());
}

/// The user's mapping, for keep-id: it needs subordinate ids, and is rootless only (as
/// Podman's).
fn keep_id_mapping() -> Result<Mapping> {
    match userns::plan() {
        m @ Mapping::Full { .. } => Ok(m),
        Mapping::HostRoot => crate::bail!("--userns keep-id is only supported rootless"),
        Mapping::Single { .. } => crate::bail!(
            "--userns keep-id needs a subordinate id range for your user (see /etc/subuid and /etc/subgid)"
        ),
    }
}

/// How a container with maps of its own sees the image's owners: fuse-overlayfs when keep-id's
/// method is (`HUTCH_KEEPID_METHOD`, else what is installed), mounted in the store's
/// namespace, which sees every store id (`userns::fuse_store_options`): any map, `auto`
/// ranges above the image's ids too. Else re-owned copies, as for a container that joins
/// another's user namespace (a pod's, `--network ns:`/`container:`), which the store's
/// namespace cannot be the parent of.
fn id_map_method(spec: &Spec) -> Result<String> {
    let mapping = userns::plan();
    let joins = spec.pod.is_some() || matches!(spec.network, Mode::Ns(_) | Mode::Container(_));
    if !joins && userns::keep_id_method()? == userns::KeepIdMethod::FuseOverlayfs {
        if let Some((u, g)) = custom_id_map(spec, &mapping)? {
            if userns::fuse_store_options(&mapping, &u, &g).is_some() {
                return Ok(userns::KeepIdMethod::FuseOverlayfs.name().to_string());
            }
        }
    }
    Ok(userns::KeepIdMethod::Copy.name().to_string())
}

/// --uidmap/--gidmap at create: the user's ranges must exist and hold every host id named;
/// `@HOST` entries become ids of the store's namespace.
fn resolve_id_maps(spec: &mut Spec) -> Result<()> {
    let Mapping::Full {
        uid,
        gid,
        subuids,
        subgids,
    } = userns::plan()
    else {
        crate::bail!("--uidmap/--gidmap need a subordinate id range for your user (see /etc/subuid and /etc/subgid)");
    };
    spec.uidmap = userns::resolve_host_level("--uidmap", &spec.uidmap, uid, &subuids)?;
    spec.gidmap = userns::resolve_host_level("--gidmap", &spec.gidmap, gid, &subgids)?;
    userns::custom_triples("--uidmap", &spec.uidmap, uid, &subuids)?;
    userns::custom_triples("--gidmap", &spec.gidmap, gid, &subgids)?;
    Ok(())
}

/// A --uidmap/--gidmap container's maps as newuidmap/newgidmap lines; None for the others.
pub(crate) fn custom_id_map(
    spec: &Spec,
    mapping: &Mapping,
) -> Result<Option<(Vec<(u64, u64, u64)>, Vec<(u64, u64, u64)>)>> {
    if spec.uidmap.is_empty() {
        return Ok(None);
    }
    let Mapping::Full {
        uid,
        gid,
        subuids,
        subgids,
    } = mapping
    else {
        crate::bail!("--uidmap/--gidmap need a subordinate id range for your user (see /etc/subuid and /etc/subgid)");
    };
    // Nothing more: your own id is mapped only where the map names it (host id 0). The
    // container's first process reaches the store before it becomes the container's root
    // (`runtime::child`), and fuse-overlayfs shifts the ids from the store's namespace.
    Ok(Some((
        userns::custom_triples("--uidmap", &spec.uidmap, *uid, subuids)?,
        userns::custom_triples("--gidmap", &spec.gidmap, *gid, subgids)?,
    )))
}

/// A container with maps of its own does not map you: the volumes it mounts for the first
/// time (yours, empty) are handed to its root first, in the store's namespace, so that it can
/// give them the image's owner and copy the image's files in (`runtime::child`), as it could
/// in a default container.
fn hand_new_volumes_to_root(rec: &ContainerRecord, mapping: &Mapping, volumes: &[Volume]) -> Result<()> {
    let new: Vec<&Path> = volumes
        .iter()
        .filter(|v| v.tmpfs.is_none() && (v.first_mount || v.copy_up))
        .map(|v| v.source.as_path())
        .collect();
    if new.is_empty() {
        return Ok(());
    }
    let nu = first_unmapped(&rec.spec.uidmap, mapping.uid_span());
    let ng = first_unmapped(&rec.spec.gidmap, mapping.gid_span());
    let (uid, gid) = (
        store_id_of(&rec.spec.uidmap, 0, nu),
        store_id_of(&rec.spec.gidmap, 0, ng),
    );
    userns::in_store_namespace("handing a new volume to the container's root", || {
        for p in &new {
            std::os::unix::fs::lchown(p, Some(uid), Some(gid))
                .ctx(|| format!("handing {} to the container's root", p.display()))?;
        }
        Ok(())
    })
}

/// The store id (the id in the store's namespace) a file of container id `x` has under these
/// entries; ids the map leaves out get `unmapped`, a store id outside the map (the container
/// sees it as the overflow id, nobody).
fn store_id_of(entries: &[crate::spec::IdMapEntry], x: u32, unmapped: u32) -> u32 {
    entries
        .iter()
        .find(|e| x >= e.container && x - e.container < e.size)
        .map_or(unmapped, |e| e.host + (x - e.container))
}

/// The lowest subordinate store id (1..`span`) no entry maps, else 0 (your own id).
fn first_unmapped(entries: &[crate::spec::IdMapEntry], span: u64) -> u32 {
    let covered = |s: u64| {
        entries
            .iter()
            .any(|e| s >= e.host as u64 && s < e.host as u64 + e.size as u64)
    };
    (1..span).find(|&s| !covered(s)).unwrap_or(0) as u32
}

/// --uidmap/--gidmap with the copy method: re-owned copies of the image's layers for that map,
/// so the image's owners are the same ids inside, as with Podman (made once per map, in the
/// store's namespace), and the upper dir handed to the container's root. The fallback when
/// fuse-overlayfs cannot shift the map (`id_map_method`). Returns the lower dirs, bottom first.
fn prepare_id_map(store: &Store, rec: &ContainerRecord, mapping: &Mapping) -> Result<Vec<String>> {
    let key = serde_json::to_string(&(&rec.spec.uidmap, &rec.spec.gidmap)).expect("json");
    let tag = format!("idmap-{}", &crate::digest::sha256_hex(key.as_bytes())[..16]);
    let cdir = store.container_dir(&rec.id);
    let (u, g) = (&rec.spec.uidmap, &rec.spec.gidmap);
    let (nu, ng) = (
        first_unmapped(u, mapping.uid_span()),
        first_unmapped(g, mapping.gid_span()),
    );
    userns::in_store_namespace("preparing the image for --uidmap/--gidmap", || {
        for l in &rec.layers {
            crate::store::keepid::ensure_with(store, l, &tag, &|x| store_id_of(u, x, nu), &|x| store_id_of(g, x, ng))?;
        }
        for d in ["upper", "work"] {
            std::os::unix::fs::lchown(cdir.join(d), Some(store_id_of(u, 0, nu)), Some(store_id_of(g, 0, ng)))
                .ctx(|| format!("handing {d} to the container's root"))?;
        }
        Ok(())
    })?;
    Ok(rec
        .layers
        .iter()
        .map(|l| crate::store::keepid::rel_dir(l, &tag))
        .collect())
}

/// --userns=keep-id: re-owned copies of the image's layers (made once, in a child that enters
/// the store's user namespace), and the container's upper dir handed to its root. Returns the
/// lower dirs, bottom first.
pub(crate) fn prepare_keep_id(store: &Store, rec: &ContainerRecord, mapping: &Mapping) -> Result<Vec<String>> {
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
            std::os::unix::fs::lchown(cdir.join(d), Some(root), Some(root))
                .ctx(|| format!("handing {d} to the container's root"))?;
        }
        Ok(())
    })?;
    Ok(rec
        .layers
        .iter()
        .map(|l| crate::store::keepid::rel_dir(l, &tag))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_file_is_what_overlay_would_show() {
        let root = std::env::temp_dir().join(format!("hutch-imgfile-{}", crate::digest::random_hex(4)));
        let store = Store::reopen(root.clone());
        let layer = |id: &str, files: &[(&str, Option<&str>)]| {
            for (rel, content) in files {
                let p = store.layer_dir(id).join("diff").join(rel);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                match content {
                    Some(c) => std::fs::write(&p, c).unwrap(),
                    None => std::fs::create_dir_all(&p).unwrap(),
                }
            }
        };
        layer("a", &[("etc/hosts", Some("A\n"))]);
        layer("b", &[("etc/other", Some(""))]);
        layer("c", &[("etc/hosts", Some("C\n"))]);
        layer("d", &[("etc", Some("a file hides the directory"))]);
        layer("e", &[("etc", None)]);
        crate::sys::fs::set_xattr(
            crate::sys::fs::open_any(&store.layer_dir("e").join("diff/etc")).unwrap(),
            crate::archive::OPAQUE_XATTR,
            b"y",
        )
        .unwrap();
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let f = |v: &[&str]| image_file(&store, &ids(v), &["etc", "hosts"]).unwrap();
        assert_eq!(f(&["a"]), "A\n");
        assert_eq!(f(&["a", "b"]), "A\n");
        assert_eq!(f(&["a", "b", "c"]), "C\n");
        assert_eq!(f(&["a", "d"]), "");
        assert_eq!(f(&["a", "e"]), "", "an opaque /etc hides the lower layers' files");
        assert_eq!(f(&["b"]), "");
        std::fs::remove_dir_all(&root).unwrap();
    }
}

/// Drop the lower occurrences of a layer an image lists twice (a layer's id is its diff_id, so
/// two steps that changed the same files the same way, in the same second, share one), keeping
/// the topmost: overlayfs refuses the same directory twice, and the lower copy is hidden by the
/// upper one anyway (the same names). `lower` is top first.
pub(crate) fn dedup_layers(lower: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    lower.retain(|l| seen.insert(l.clone()));
}
