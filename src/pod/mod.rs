//! The pod engine: a pod is a record (store::pods) and an infra container whose only process is
//! hutch's own pause program (`pause.S`, 440 bytes, no libc): it holds the namespaces the pod's
//! containers share (network by default, plus ipc, uts and pid as asked) and the pod's published
//! ports, whose network helper (pasta or slirp4netns) is the infra container's. Members join the
//! infra's namespaces as `--network container:` does (`runtime::spawn_joined`).
//! Commands call these; output stays in commands.

use std::collections::BTreeMap;

use crate::container::{self, Status};
use crate::error::{Context, Result};
use crate::spec::RunOptions;
use crate::store::containers::ContainerRecord;
use crate::store::pods::{ExitPolicy, PodIndex, PodRecord};
use crate::store::Store;

/// The pause program (x86_64), assembled from `pause.S`:
/// `as pause.S -o pause.o && ld -static -nostdlib -N --build-id=none -z noseparate-code -s pause.o -o pause.bin`.
/// It sleeps in pause(2) and exits 0 on SIGTERM, SIGINT or SIGHUP.
const PAUSE: &[u8] = include_bytes!("pause.bin");

/// The infra containers' image, made locally from `PAUSE` the first time a pod needs it. Its
/// name follows Podman's for its own local pause image, `localhost/podman-pause:VERSION-BUILT`
/// (`hutch version --format '{{.Server.Version}}-{{.Server.Built}}'`), so scripts that list,
/// keep or remove the infra image by that name (`rmi localhost/podman-pause:…`) work as with
/// Podman; its content is hutch's pause program.
pub fn pause_image() -> String {
    format!("localhost/podman-pause:{}-{}", env!("CARGO_PKG_VERSION"), crate::BUILT)
}

/// Namespaces a pod may share.
pub const SHAREABLE: &[&str] = &["net", "ipc", "uts", "pid"];

/// What `pod create` (and `run --pod new:`, `kube play`) asks for.
#[derive(Debug, Clone, Default)]
pub struct PodOptions {
    pub name: Option<String>,
    /// --share values as given (comma lists); empty: the default, net,ipc,uts.
    pub share: Vec<String>,
    pub hostname: Option<String>,
    pub infra: bool,
    pub labels: Vec<String>,
    pub replace: bool,
    pub kube_file: Option<String>,
    /// --infra-image (default: hutch's pause image), pulled when missing.
    pub infra_image: Option<String>,
    /// --infra-name (default: `<pod-id-12>-infra`).
    pub infra_name: Option<String>,
    /// --infra-command: the infra container's entrypoint.
    pub infra_command: Option<String>,
    /// The command line, recorded for `generate systemd --new`.
    pub create_command: Vec<String>,
    /// --exit-policy (kube play: stop).
    pub exit_policy: ExitPolicy,
    /// kube play --service-container: the service container's id.
    pub service: Option<String>,
}

/// The namespaces `share` asks for, checked.
pub fn parse_share(share: &[String], infra: bool) -> Result<Vec<String>> {
    if share.is_empty() {
        return Ok(if infra {
            vec!["net".into(), "ipc".into(), "uts".into()]
        } else {
            vec![]
        });
    }
    let mut out: Vec<String> = Vec::new();
    // `+NS`: the default set and NS (Podman's syntax).
    if infra
        && share
            .iter()
            .flat_map(|s| s.split(','))
            .any(|s| s.trim().starts_with('+'))
    {
        out.extend(["net", "ipc", "uts"].map(String::from));
    }
    for s in share.iter().flat_map(|s| s.split(',')) {
        let s = s.trim();
        let s = s.strip_prefix('+').unwrap_or(s);
        match s {
            "" | "none" => {}
            "cgroup" => {} // hutch makes no cgroups: nothing to share.
            _ if SHAREABLE.contains(&s) => {
                if !out.iter().any(|o| o == s) {
                    out.push(s.to_string())
                }
            }
            // Podman's words (its system tests look for them), named by the option.
            _ => crate::bail!(
                "--share {s}: invalid kernel namespace to share: {s}. Options are: cgroup, ipc, net, pid, uts or none"
            ),
        }
    }
    if !out.is_empty() && !infra {
        crate::bail!(
            "--share {}: sharing namespaces needs the infra container (drop --infra=false)",
            out.join(",")
        );
    }
    Ok(out)
}

fn validate_name(n: &str) -> Result<()> {
    let ok = n.len() <= 128
        && n.bytes().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && n.bytes().all(|c| c.is_ascii_alphanumeric() || b"_.-".contains(&c));
    if !ok {
        crate::bail!("pod name {n}: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*");
    }
    Ok(())
}

/// Make the pause image when the store lacks it: a one-layer image imported by a child
/// `hutch import` (which enters the store's user namespace, so this process does not).
pub fn ensure_pause_image(store: &Store) -> Result<()> {
    if store.load_images()?.resolve(&pause_image()).is_ok() {
        return Ok(());
    }
    if std::env::consts::ARCH != "x86_64" {
        crate::bail!(
            "pods need hutch's pause program, which exists for x86_64 only (this is {})",
            std::env::consts::ARCH
        );
    }
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |path: &str, mode: u32, data: &[u8], dir: bool| -> std::io::Result<()> {
        let mut h = tar::Header::new_ustar();
        h.set_mode(mode);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(0);
        h.set_size(if dir { 0 } else { data.len() as u64 });
        h.set_entry_type(if dir {
            tar::EntryType::Directory
        } else {
            tar::EntryType::Regular
        });
        b.append_data(&mut h, path, data)
    };
    let build = (|| -> std::io::Result<()> {
        for d in ["dev", "etc", "proc", "run", "sys", "tmp"] {
            add(d, if d == "tmp" { 0o1777 } else { 0o755 }, &[], true)?;
        }
        add("etc/passwd", 0o644, b"root:x:0:0:root:/:/pause\n", false)?;
        add("etc/group", 0o644, b"root:x:0:\n", false)?;
        add("pause", 0o755, PAUSE, false)?;
        Ok(())
    })();
    build.ctx(|| "building the pause image's layer")?;
    let data = b.into_inner().ctx(|| "building the pause image's layer")?;
    let mut child = std::process::Command::new("/proc/self/exe")
        .args([
            "import",
            "-c",
            "ENTRYPOINT [\"/pause\"]",
            "-c",
            "STOPSIGNAL SIGTERM",
            "-",
        ])
        .arg(pause_image())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .ctx(|| "running hutch import for the pause image")?;
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("piped");
        stdin
            .write_all(&data)
            .ctx(|| "feeding the pause image to hutch import")?;
    }
    let st = child.wait().ctx(|| "running hutch import for the pause image")?;
    if !st.success() {
        crate::bail!("making the pause image {} failed (see above)", pause_image());
    }
    Ok(())
}

/// The infra image asked for, pulled when missing, in a child `hutch pull` whose error is
/// reported in Podman's words (the image source could not be opened).
fn pull_infra_image(store: &Store, img: &str) -> Result<()> {
    if store.load_images()?.resolve(img).is_ok() {
        return Ok(());
    }
    if let Err(e) = crate::reference::ImageRef::parse(img) {
        crate::bail!("--infra-image {img}: {e}");
    }
    let out = std::process::Command::new("/proc/self/exe")
        .args(["pull", "--quiet", "--", img])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .output()
        .ctx(|| "running hutch pull for the infra image")?;
    if !out.status.success() {
        let text = String::from_utf8_lossy(&out.stderr);
        let why = text
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix("Error: "))
            .unwrap_or(text.trim());
        crate::bail!("infra image {img}: initializing source docker://{img}: {why}");
    }
    Ok(())
}

/// Create a pod (and its infra container, from `infra`, the options the command layer built
/// for it: network mode, ports, host name). Nothing is left when this fails.
pub fn create(store: &Store, o: &PodOptions, infra: Option<RunOptions>) -> Result<PodRecord> {
    if let Some(n) = &o.name {
        validate_name(n)?;
    }
    let share = parse_share(&o.share, o.infra)?;
    let mut labels = BTreeMap::new();
    for l in &o.labels {
        let (k, v) = l.split_once('=').unwrap_or((l, ""));
        if k.is_empty() {
            crate::bail!("--label {l}: empty key");
        }
        labels.insert(k.to_string(), v.to_string());
    }
    // --infra-image, else containers.conf's [engine] infra_image, else hutch's pause image.
    let asked_image = match &o.infra_image {
        Some(i) => Some(i.clone()),
        None if o.infra => crate::config::ContainersConf::load()?.infra_image,
        None => None,
    };
    if o.infra && asked_image.is_none() {
        ensure_pause_image(store)?;
    }
    // Another image (pulled when missing, as Podman's) is found before the pods are locked.
    let infra_image = match (asked_image, o.infra) {
        (Some(img), true) => {
            pull_infra_image(store, &img)?;
            img
        }
        _ => pause_image(),
    };
    if let Some(n) = &o.infra_name {
        if store.load_containers()?.containers.iter().any(|c| &c.name == n) {
            crate::bail!(
                "the container name \"{n}\" is already in use: remove that container or choose another --infra-name"
            );
        }
    }
    let lock = store.lock_pods()?;
    let mut idx = store.load_pods()?;
    if let Some(n) = &o.name {
        if let Some(old) = idx.pods.iter().find(|p| &p.name == n).cloned() {
            if !o.replace {
                return Err(crate::err!(
                    "the pod name \"{n}\" is already in use by {}: remove that pod or choose another name (or use --replace)",
                    old.short_id()
                ));
            }
            drop(lock);
            remove_in_child(&old)?;
            return create(
                store,
                &PodOptions {
                    replace: false,
                    ..o.clone()
                },
                infra,
            );
        }
    }
    let id = crate::digest::random_hex(32);
    let name = match &o.name {
        Some(n) => n.clone(),
        None => crate::store::containers::generate_name(|n| idx.name_taken(n)),
    };
    let hostname = o.hostname.clone().unwrap_or_else(|| name.clone());
    let mut rec = PodRecord {
        id: id.clone(),
        name,
        created: crate::output::now_secs(),
        share,
        hostname: hostname.clone(),
        infra: None,
        labels,
        kube_file: o.kube_file.clone(),
        create_command: o.create_command.clone(),
        exit_policy: o.exit_policy,
        service: o.service.clone(),
    };
    if o.infra {
        let mut ro = infra.unwrap_or_default();
        ro.pod = Some(id.clone());
        if rec.shares("uts") {
            ro.hostname = Some(hostname);
        }
        if let Some(c) = &o.infra_command {
            ro.entrypoint = Some(c.clone());
            ro.command = vec![];
        }
        let pull = crate::image::ImplicitPull {
            policy: crate::spec::PullPolicy::Never,
            quiet: true,
            platform: None,
            args: vec![],
        };
        let infra_name = o.infra_name.clone().unwrap_or_else(|| format!("{}-infra", &id[..12]));
        let infra = container::create(store, &infra_image, &ro, Some(&infra_name), &pull)?;
        rec.infra = Some(infra.id.clone());
    }
    idx.pods.push(rec.clone());
    if let Err(e) = store.save_pods(&idx, &lock) {
        if let Some(i) = &rec.infra {
            if let Some(c) = store.load_containers()?.containers.iter().find(|c| &c.id == i) {
                let _ = container::remove(store, c, true);
            }
        }
        return Err(e);
    }
    Ok(rec)
}

/// The pod's containers, infra first.
pub fn containers(store: &Store, pod: &PodRecord) -> Result<Vec<ContainerRecord>> {
    let idx = store.load_containers()?;
    let mut v: Vec<ContainerRecord> = idx
        .containers
        .iter()
        .filter(|c| c.spec.pod.as_deref() == Some(pod.id.as_str()))
        .cloned()
        .collect();
    v.sort_by_key(|c| (Some(&c.id) != pod.infra.as_ref(), c.created));
    Ok(v)
}

/// Podman's pod status from its containers' (infra included): Created, Running, Degraded,
/// Exited (all stopped) or Stopped (some stopped, the others created).
pub fn status(store: &Store, pod: &PodRecord) -> Result<&'static str> {
    let cs = containers(store, pod)?;
    let (mut running, mut stopped) = (0, 0);
    for c in &cs {
        match container::status(store, c).0 {
            Status::Running { .. } => running += 1,
            Status::Exited { .. } => stopped += 1,
            Status::Created => {}
        }
    }
    Ok(if cs.is_empty() {
        "Created"
    } else if running == cs.len() {
        "Running"
    } else if running > 0 {
        "Degraded"
    } else if stopped == cs.len() {
        "Exited"
    } else if stopped > 0 {
        "Stopped"
    } else {
        "Created"
    })
}

/// For a member about to start: the infra container started when it is not running, and the
/// namespaces to join besides the network (kind, /proc/PID/ns/KIND). None for the infra itself
/// or a pod without one.
pub fn prepare_member(store: &Store, rec: &ContainerRecord) -> Result<Option<Vec<(String, std::path::PathBuf)>>> {
    let Some(pod_id) = &rec.spec.pod else {
        return Ok(None);
    };
    // The infra itself (started from here too) has nothing to prepare.
    if store
        .load_pods()?
        .pods
        .iter()
        .any(|p| &p.id == pod_id && p.infra.as_ref().is_none_or(|i| i == &rec.id))
    {
        return Ok(None);
    }
    // Held while the infra starts, so two members starting at once start it once.
    let _lock = store.lock_pods()?;
    let idx = store.load_pods()?;
    let Some(pod) = idx.pods.iter().find(|p| &p.id == pod_id) else {
        crate::bail!("container {}: its pod no longer exists", rec.name);
    };
    let Some(infra_id) = &pod.infra else {
        return Ok(None);
    };
    if infra_id == &rec.id {
        return Ok(None);
    }
    let cidx = store.load_containers()?;
    let Some(infra) = cidx.containers.iter().find(|c| &c.id == infra_id) else {
        crate::bail!(
            "pod {}: its infra container is gone: remove the pod (pod rm -f) and create it again",
            pod.name
        );
    };
    let pid = match container::status(store, infra).0 {
        Status::Running { pid } => pid,
        _ => {
            container::start_detached(store, infra)
                .map_err(|e| crate::err!("pod {}: starting its infra container: {}", pod.name, e.message))?;
            match container::status(store, infra).0 {
                Status::Running { pid } => pid,
                _ => crate::bail!("pod {}: its infra container exited at once", pod.name),
            }
        }
    };
    let ns = |n: &str| std::path::PathBuf::from(format!("/proc/{pid}/ns/{n}"));
    let mut join: Vec<_> = pod
        .share
        .iter()
        .filter(|s| *s != "net")
        .map(|s| (s.clone(), ns(s)))
        .collect();
    // A member that does not join the infra's network namespace (the pod does not share it,
    // or shares the host's, which a rootless container cannot join but is in anyway) joins
    // the others from the infra's user namespace, with a network of its own.
    let joins_net = matches!(&rec.spec.network, crate::spec::network::Mode::Container(id) if id == infra_id);
    if !joins_net && !join.is_empty() {
        join.push(("user".into(), ns("user")));
    }
    if pod.shares("ipc") {
        join.push(("shm".into(), ns("mnt")));
    }
    Ok(Some(join))
}

/// Start the pod: its infra, then the members that are not running. Per-container errors are
/// collected; the first one is returned after all were tried.
pub fn start(store: &Store, pod: &PodRecord) -> Result<()> {
    let mut first = None;
    // kube play's service container first, as Podman's.
    let service = pod.service.as_ref().and_then(|s| {
        store
            .load_containers()
            .ok()
            .and_then(|i| i.containers.into_iter().find(|c| &c.id == s))
    });
    for c in service.into_iter().chain(containers(store, pod)?) {
        if let Status::Running { .. } = container::status(store, &c).0 {
            continue;
        }
        if let Err(e) = container::start_detached(store, &c) {
            first.get_or_insert(crate::err!("pod {}: starting {}: {}", pod.name, c.name, e.message));
        }
    }
    first.map_or(Ok(()), Err)
}

/// Stop the members (stop signal, SIGKILL after `timeout` or each one's own), then the infra.
pub fn stop(store: &Store, pod: &PodRecord, timeout: Option<u32>) -> Result<()> {
    let cs = containers(store, pod)?;
    let (infra, members): (Vec<_>, Vec<_>) = cs.into_iter().partition(|c| Some(&c.id) == pod.infra.as_ref());
    std::thread::scope(|s| {
        for c in &members {
            s.spawn(move || container::stop(store, c, timeout.unwrap_or(c.spec.stop_timeout)));
        }
    });
    for c in &infra {
        container::stop(store, c, timeout.unwrap_or(c.spec.stop_timeout))?;
    }
    stop_idle_service(store, pod);
    Ok(())
}

/// The pods whose service container (`kube play --service-container`) `id` is.
pub fn service_of(store: &Store, id: &str) -> Vec<PodRecord> {
    let pods = store.load_pods().map(|i| i.pods).unwrap_or_default();
    pods.into_iter().filter(|p| p.service.as_deref() == Some(id)).collect()
}

/// The pod's service container is stopped once no container of any pod it serves runs
/// (Podman's rule: its exit tracks the pods).
fn stop_idle_service(store: &Store, pod: &PodRecord) {
    let Some(sid) = &pod.service else { return };
    let running = |p: &PodRecord| {
        containers(store, p).is_ok_and(|cs| {
            cs.iter()
                .any(|c| matches!(container::status(store, c).0, Status::Running { .. }))
        })
    };
    if service_of(store, sid).iter().any(running) {
        return;
    }
    if let Ok(idx) = store.load_containers() {
        if let Some(c) = idx.containers.iter().find(|c| &c.id == sid) {
            let _ = container::stop(store, c, c.spec.stop_timeout);
        }
    }
}

/// A member's monitor, after its container exited for good: with `--exit-policy stop`, the
/// infra container is stopped once no other member runs (the pod then shows as Exited).
pub fn member_exited(store: &Store, pod_id: &str, member: &str) {
    let Ok(idx) = store.load_pods() else { return };
    let Some(pod) = idx.pods.iter().find(|p| p.id == pod_id) else {
        return;
    };
    infra_after_member(store, pod, member);
    stop_idle_service(store, pod);
}

fn infra_after_member(store: &Store, pod: &PodRecord, member: &str) {
    if pod.exit_policy != ExitPolicy::Stop || pod.infra.as_deref().is_none_or(|i| i == member) {
        return;
    }
    let Ok(cs) = containers(store, pod) else { return };
    let (infra, members): (Vec<_>, Vec<_>) = cs.into_iter().partition(|c| Some(&c.id) == pod.infra.as_ref());
    if members
        .iter()
        .any(|c| c.id != member && matches!(container::status(store, c).0, Status::Running { .. }))
    {
        return;
    }
    for c in &infra {
        let _ = container::stop(store, c, c.spec.stop_timeout);
    }
}

/// Send `sig` to every running container of the pod (members first).
pub fn kill(store: &Store, pod: &PodRecord, sig: i32) -> Result<usize> {
    let mut n = 0;
    let mut cs = containers(store, pod)?;
    let first = usize::from(pod.infra.is_some() && !cs.is_empty());
    cs.rotate_left(first);
    for c in &cs {
        if let Status::Running { .. } = container::status(store, c).0 {
            container::kill(store, c, sig)?;
            n += 1;
        }
    }
    if n == 0 {
        crate::bail!("pod {}: no container is running", pod.name);
    }
    Ok(n)
}

/// Remove the pod and its containers; without `force`, refused while one runs.
pub fn remove(store: &Store, pod: &PodRecord, force: bool) -> Result<()> {
    let lock = store.lock_pods()?;
    let mut idx = store.load_pods()?;
    remove_locked(store, &mut idx, pod, force)?;
    store.save_pods(&idx, &lock)
}

fn remove_locked(store: &Store, idx: &mut PodIndex, pod: &PodRecord, force: bool) -> Result<()> {
    let cs = containers(store, pod)?;
    if !force {
        // The infra alone running is no reason to refuse (Podman's rule): it is stopped below.
        if let Some(c) = cs
            .iter()
            .filter(|c| Some(&c.id) != pod.infra.as_ref())
            .find(|c| matches!(container::status(store, c).0, Status::Running { .. }))
        {
            return Err(crate::err!(
                "pod {} has running containers ({}): stop it first or use pod rm -f",
                pod.name,
                c.name
            )
            .classed(crate::error::Class::InUse));
        }
    }
    // Members first: the infra holds their network.
    for c in cs.iter().rev() {
        container::ensure_stopped(store, c, true)?;
    }
    for c in cs.iter().rev() {
        container::remove(store, c, true)?;
    }
    let d = store.pod_dir(&pod.id);
    if d.exists() && std::fs::remove_dir_all(&d).is_err() {
        // emptyDir files a container wrote as another uid go from its user namespace.
        crate::store::make_writable(&d);
        if std::fs::remove_dir_all(&d).is_err() {
            container::enter_userns()?;
            store.discard_dir(&d)?;
        }
    }
    idx.pods.retain(|p| p.id != pod.id);
    // Its service container goes with the last pod it serves.
    if let Some(sid) = &pod.service {
        if !idx.pods.iter().any(|p| p.service.as_ref() == Some(sid)) {
            if let Some(c) = store.load_containers()?.containers.iter().find(|c| &c.id == sid) {
                container::ensure_stopped(store, c, true)?;
                container::remove(store, c, true)?;
            }
        }
    }
    Ok(())
}

/// `hutch pod rm -f POD` in a child: removal may enter the store's user namespace (files of
/// other uids), after which this process could no longer start containers.
/// The child dies with this process (a killed `kube down` leaves nothing running).
pub fn remove_in_child(pod: &PodRecord) -> Result<()> {
    let mut cmd = std::process::Command::new("/proc/self/exe");
    cmd.args(["pod", "rm", "-f", &pod.id])
        .stdout(std::process::Stdio::null());
    crate::sys::process::pre_exec_tie(&mut cmd, Vec::new());
    let st = cmd.status().ctx(|| "running hutch pod rm")?;
    if !st.success() {
        crate::bail!("removing the pod {} failed (see above)", pod.name);
    }
    Ok(())
}

/// The pod whose infra container `id` is, if any (for `rm`, which leaves infra containers to
/// `pod rm`).
pub fn infra_of(store: &Store, id: &str) -> Option<PodRecord> {
    store
        .load_pods()
        .ok()?
        .pods
        .into_iter()
        .find(|p| p.infra.as_deref() == Some(id))
}

/// `pod inspect`'s JSON, Podman's field names.
pub fn inspect_json(store: &Store, pod: &PodRecord) -> Result<serde_json::Value> {
    let cs = containers(store, pod)?;
    let infra = pod.infra.as_ref().and_then(|i| cs.iter().find(|c| &c.id == i).cloned());
    let ports: serde_json::Map<String, serde_json::Value> = infra
        .iter()
        .flat_map(|c| c.spec.ports.iter())
        .flat_map(|p| {
            p.pairs().map(move |(h, c)| {
                (
                    format!("{c}/{}", p.protocol),
                    serde_json::json!([{ "HostIp": p.host_ip, "HostPort": h.to_string() }]),
                )
            })
        })
        .collect();
    Ok(serde_json::json!({
        "Id": pod.id,
        "Name": pod.name,
        "Created": crate::output::format_time(pod.created),
        "State": status(store, pod)?,
        "Hostname": pod.hostname,
        "Labels": pod.labels,
        "CreateInfra": pod.infra.is_some(),
        "ExitPolicy": pod.exit_policy.word(),
        "InfraContainerID": pod.infra.clone().unwrap_or_default(),
        "InfraConfig": infra.as_ref().map(|c| serde_json::json!({
            "PortBindings": ports,
            "HostNetwork": c.spec.network == crate::spec::network::Mode::Host,
            "NetworkOptions": serde_json::Value::Null,
            "Networks": [c.spec.network.name()],
        })),
        "SharedNamespaces": pod.share,
        "NumContainers": cs.len(),
        "Containers": cs.iter().map(|c| serde_json::json!({
            "Id": c.id,
            "Name": c.name,
            "State": container::status(store, c).0.word(),
        })).collect::<Vec<_>>(),
    }))
}
