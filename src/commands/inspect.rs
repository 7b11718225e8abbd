//! `hutch inspect` / `hutch image inspect`: Podman's JSON shape.

use serde_json::{json, Value};

use crate::cli::InspectArgs;
use crate::error::Result;
use crate::format::Format;
use crate::output::{error, out};
use crate::spec::{MountKind, Seccomp};
use crate::store::{ImageRecord, Store};

pub(crate) fn image_json(store: &Store, img: &ImageRecord) -> Result<Value> {
    let config: Value = serde_json::from_slice(&store.read_blob(&format!("sha256:{}", img.id))?)
        .map_err(|e| crate::err!("image {}: stored config is not valid JSON: {e}", img.short_id()))?;
    let manifest: Value = store
        .read_blob(&img.manifest_digest)
        .ok()
        .and_then(|m| serde_json::from_slice(&m).ok())
        .unwrap_or(Value::Null);
    let cfg = config.get("config").cloned().unwrap_or_else(|| json!({}));
    Ok(json!({
        "Id": img.id,
        "Digest": img.manifest_digest,
        "RepoTags": img.names,
        "RepoDigests": img.digests,
        "Parent": "",
        "Comment": config.get("comment").cloned().unwrap_or(Value::String(String::new())),
        "Created": img.created,
        "Config": cfg,
        "Version": config.get("docker_version").cloned().unwrap_or(Value::String(String::new())),
        "Author": config.get("author").cloned().unwrap_or(Value::String(String::new())),
        "Architecture": img.architecture,
        "Os": img.os,
        "Variant": config.get("variant").cloned().unwrap_or(Value::Null),
        "Size": img.size,
        "VirtualSize": img.size,
        "Labels": cfg.get("Labels").cloned().unwrap_or(Value::Null),
        "Annotations": manifest.get("annotations").cloned().unwrap_or_else(|| json!({})),
        "ManifestType": manifest.get("mediaType").cloned().unwrap_or(Value::Null),
        "RootFS": {
            "Type": "layers",
            "Layers": img.layers.iter().map(|l| format!("sha256:{l}")).collect::<Vec<_>>(),
        },
        "History": config.get("history").cloned().unwrap_or_else(|| json!([])),
        "NamesHistory": img.names_history,
    }))
}

fn container_json(store: &Store, c: &crate::store::containers::ContainerRecord) -> Value {
    use crate::container::Status;
    use crate::output::format_nanos;
    let (st, o, live) = crate::container::status(store, c);
    let (pid, code) = match st {
        Status::Running { pid } => (pid, 0),
        Status::Exited { code } => (0, code),
        Status::Created => (0, 0),
    };
    let t = |n: i128| {
        if n > 0 {
            format_nanos(n)
        } else {
            "0001-01-01T00:00:00Z".to_string()
        }
    };
    let args = c.spec.args();
    let s = &c.spec;
    let mounts: Vec<Value> = s
        .mounts
        .iter()
        .map(|m| {
            json!({
                "Type": m.kind.name(),
                "Name": if m.kind == MountKind::Volume { m.source.clone() } else { String::new() },
                // As Podman: a volume's Source is its directory on the host.
                "Source": if m.kind == MountKind::Volume && !m.source.is_empty() {
                    crate::volume::data_path(store, &m.source).display().to_string()
                } else {
                    m.source.clone()
                },
                "Destination": m.destination,
                "Driver": if m.kind == MountKind::Volume { "local" } else { "" },
                "Mode": "",
                "Options": if m.kind == MountKind::Bind { vec!["rbind"] } else { vec![] },
                "RW": !m.read_only,
                "Propagation": if m.kind == MountKind::Bind { "rprivate" } else { "" },
            })
        })
        .collect();
    let defaults = crate::spec::caps::DEFAULT;
    let mut security_opt = vec![];
    if s.seccomp != Seccomp::Default {
        security_opt.push(format!("seccomp={}", s.seccomp));
    }
    if s.no_new_privileges {
        security_opt.push("no-new-privileges".to_string());
    }
    let state = json!({
        // `stop` waiting for the container to exit: "stopping", as Podman's.
        "Status": if matches!(st, Status::Running { .. }) && crate::container::is_stopping(&c.id) { "stopping" } else { st.word() },
        "Running": matches!(st, Status::Running { .. }),
        "Paused": false,
        "Restarting": false,
        "OOMKilled": false,
        "Dead": false,
        "Pid": pid,
        // The pid of the process that watches the container (hutch's monitor for -d, the
        // foreground hutch otherwise), as Podman's conmon pid; 0 when not running.
        "ConmonPid": if pid != 0 { live.as_ref().map(|l| l.monitor_pid).unwrap_or(0) } else { 0 },
        "ExitCode": code,
        "Error": "",
        "StartedAt": t(o.started_at),
        "FinishedAt": t(o.finished_at),
    });
    let config = json!({
        "Hostname": s.hostname,
        "User": s.user,
        "Env": s.env,
        "Cmd": s.cmd,
        "Entrypoint": s.entrypoint,
        "WorkingDir": s.workdir,
        "Labels": s.labels,
        "Annotations": s.annotations,
        "StopSignal": s.stop_signal,
        "StopTimeout": s.stop_timeout,
        "Tty": s.tty,
        "OpenStdin": s.interactive,
        "Image": c.image_name,
    });
    json!({
        "Id": c.id,
        "Created": format_nanos(c.created as i128 * 1_000_000_000),
        "Path": args.first().cloned().unwrap_or_default(),
        "Args": args.iter().skip(1).collect::<Vec<_>>(),
        "State": state,
        "Image": c.image,
        "ImageName": c.image_name,
        // The manifest digest of the image it was created from (empty once that is gone).
        "ImageDigest": store
            .load_images()
            .ok()
            .and_then(|idx| idx.images.iter().find(|i| i.id == c.image).map(|i| i.manifest_digest.clone()))
            .unwrap_or_default(),
        "Rootfs": "",
        "Name": c.name,
        // kube play --service-container's container.
        "IsService": !crate::pod::service_of(store, &c.id).is_empty(),
        "RestartCount": o.restart_count,
        "Driver": "overlay",
        // The OCI runtime: hutch itself, or the hutch binary named by --runtime.
        "OCIRuntime": s.oci_runtime.as_deref().unwrap_or("hutch"),
        "Mounts": mounts,
        "Config": config,
        "HostConfig": {
            "Binds": s.mounts.iter().map(|m| format!("{}:{}:{}", m.source, m.destination, if m.read_only { "ro" } else { "rw" })).collect::<Vec<_>>(),
            // As Podman's: "bridge" for a network's (the default network, `podman`, too), and
            // slirp4netns without its options.
            "NetworkMode": match &s.network {
                crate::spec::network::Mode::Bridge(_) => "bridge".to_string(),
                other => other.kind(),
            },
            "Privileged": s.privileged,
            "ReadonlyRootfs": s.read_only,
            "CapAdd": s.caps.iter().filter(|c| !defaults.contains(&c.as_str())).collect::<Vec<_>>(),
            "CapDrop": defaults.iter().filter(|d| !s.caps.iter().any(|c| c == *d)).collect::<Vec<_>>(),
            "SecurityOpt": security_opt,
            "AutoRemove": s.auto_remove,
            "RestartPolicy": {
                "Name": s.restart.name,
                "MaximumRetryCount": s.restart.retries,
            },
            "UsernsMode": s.userns_shown(),
            "GroupAdd": s.group_add,
            "PortBindings": port_bindings(s),
            "Dns": s.dns.servers,
            "DnsSearch": s.dns.search,
            "DnsOptions": s.dns.options,
            "ExtraHosts": s.add_hosts,
            "LogConfig": {
                "Type": s.log_driver.as_deref().unwrap_or("k8s-file"),
                "Path": if s.logged() { store.container_dir(&c.id).join("ctr.log").display().to_string() } else { String::new() },
                // Podman's notation (decimal units, 4 significant digits); 0B = no limit.
                "Size": human_size(s.log_size_max.unwrap_or(0)),
            },
        },
        "EffectiveCaps": s.caps,
        "NetworkSettings": {
            "Ports": port_bindings(s),
            "Networks": networks(store, c, pid != 0),
        },
    })
}

/// `{"NAME": {"IPAddress": …, "Gateway": …, "IPPrefixLen": …, "Aliases": […]}}` for a
/// container on user networks (the addresses of its running instance), as Podman.
fn networks(store: &Store, c: &crate::store::containers::ContainerRecord, running: bool) -> Value {
    let crate::spec::network::Mode::Bridge(names) = &c.spec.network else {
        return json!({});
    };
    let nets = crate::network::list(store).unwrap_or_default();
    let got: Value = if running {
        std::fs::read(store.container_dir(&c.id).join("userdata/networks.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Value::Null)
    } else {
        Value::Null
    };
    let mut map = serde_json::Map::new();
    for (i, n) in names.iter().enumerate() {
        let def = nets.iter().find(|x| &x.name == n);
        let ip = got["ips"][i].as_str().unwrap_or("");
        // Podman lists the container's short id among its aliases on every network.
        let mut aliases = c.spec.network_aliases.clone();
        if !ip.is_empty() {
            aliases.push(c.id.chars().take(12).collect());
        }
        map.insert(
            n.clone(),
            json!({
                "NetworkID": n,
                "IPAddress": ip,
                "Gateway": if ip.is_empty() { String::new() } else { def.map(|d| d.gateway().to_string()).unwrap_or_default() },
                "IPPrefixLen": if ip.is_empty() { 0 } else { def.map(|d| d.cidr().prefix).unwrap_or(0) },
                "MacAddress": got["macs"][i].as_str().unwrap_or(""),
                "Aliases": aliases,
            }),
        );
    }
    Value::Object(map)
}

/// `{"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}`, one key per container port, as Podman.
fn port_bindings(s: &crate::spec::Spec) -> Value {
    let mut map = serde_json::Map::new();
    for p in &s.ports {
        for (h, c) in p.pairs() {
            let e = map.entry(format!("{c}/{}", p.protocol)).or_insert_with(|| json!([]));
            if let Some(a) = e.as_array_mut() {
                a.push(json!({"HostIp": p.host_ip, "HostPort": h.to_string()}));
            }
        }
    }
    Value::Object(map)
}

/// A size as Podman (go-units' HumanSize) shows it: decimal units, 4 significant digits,
/// no trailing zeros: 3011000 -> 3.011MB, 2000 -> 2kB, 0 -> 0B.
pub(crate) fn human_size(n: u64) -> String {
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1000.0 && i < UNITS.len() - 1 {
        v /= 1000.0;
        i += 1;
    }
    // 4 significant digits of a value below 1000: as many decimals as the integer part leaves.
    let int_digits = if v < 1.0 { 1 } else { (v.log10().floor() as usize) + 1 };
    let mut t = format!("{:.*}", 4usize.saturating_sub(int_digits), v);
    if t.contains('.') {
        t = t.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    // Rounding up may reach the next unit (999.95 kB -> 1000 kB): Go's %g says 1000kB too.
    format!("{t}{}", UNITS[i])
}

/// What `inspect` may find: `hutch inspect` looks at containers, then images.
#[derive(PartialEq, Eq)]
pub enum Kind {
    Any,
    Image,
    Container,
}

pub fn run(a: InspectArgs, kind: Kind) -> Result<i32> {
    // A bad template is the one error, before any object is looked up.
    if let Format::Template { tmpl, .. } = Format::parse(a.format.as_deref()) {
        crate::format::Compiled::new(&tmpl)?;
    }
    if a.latest && !a.images.is_empty() {
        // Podman's words.
        crate::bail!("--latest and containers cannot be used together");
    }
    if a.latest && kind == Kind::Image {
        crate::bail!("image inspect has no --latest (it names containers)");
    }
    let store = Store::open()?;
    let idx = store.load_images()?;
    let containers = store.load_containers()?;
    let mut items = Vec::new();
    let mut failed = false;
    // --latest: the container created last, by its full id.
    let latest: Vec<String> = if a.latest {
        vec![super::latest_container(&store)?]
    } else {
        Vec::new()
    };
    for what in if a.latest { &latest } else { &a.images } {
        if kind != Kind::Image {
            match containers.resolve(what) {
                Ok(n) => {
                    items.push(container_json(&store, &containers.containers[n]));
                    continue;
                }
                Err(e) if kind == Kind::Container => {
                    error(&format!("inspecting object: {}", e.message));
                    failed = true;
                    continue;
                }
                Err(_) => {}
            }
        }
        let found = idx.resolve(what).map_err(|e| {
            if kind == Kind::Any {
                crate::err!("no such object: \"{what}\"")
            } else {
                e
            }
        });
        match found.and_then(|n| image_json(&store, &idx.images[n])) {
            Ok(v) => items.push(v),
            Err(e) => {
                error(&format!("inspecting object: {}", e.message));
                failed = true;
            }
        }
    }
    let text = match Format::parse(a.format.as_deref()) {
        Format::Table | Format::Json => serde_json::to_string_pretty(&items).expect("json") + "\n",
        Format::Template { tmpl, header } => {
            // Podman's field is ID, which its templates also answer as {{.Id}}: both work.
            let items: Vec<Value> = items
                .iter()
                .cloned()
                .map(|mut v| {
                    if let Some(id) = v.get("Id").cloned() {
                        v["ID"] = id;
                    }
                    v
                })
                .collect();
            crate::format::render(&tmpl, header, &items)?
        }
    };
    if !(failed && items.is_empty()) || a.format.is_none() {
        out(&text);
    }
    Ok(if failed { 125 } else { 0 })
}

#[cfg(test)]
mod tests {
    #[test]
    fn human_size_as_podman() {
        use super::human_size;
        assert_eq!(human_size(0), "0B");
        assert_eq!(human_size(999), "999B");
        assert_eq!(human_size(2000), "2kB");
        assert_eq!(human_size(3_011_000), "3.011MB");
        assert_eq!(human_size(5_010_000), "5.01MB");
        assert_eq!(human_size(1_234_567), "1.235MB");
        assert_eq!(human_size(10_000_000_000), "10GB");
    }
}
