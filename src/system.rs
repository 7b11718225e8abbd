//! Facts about the host for `info` (and the `system` verbs): kernel, rootless id mappings,
//! helpers found on PATH, cgroup layout and whether resource limits can be enforced.

pub mod prune;
pub mod reset;
pub mod unshare;
pub mod usage;
pub mod volumes;

use serde_json::{json, Value};

use crate::runtime::userns::{self, Mapping};

fn which(name: &str) -> Option<String> {
    crate::paths::find_in_path(name).map(|p| p.display().to_string())
}

fn map_json(v: &[(u64, u64, u64)]) -> Value {
    v.iter()
        .map(|(c, h, n)| json!({"container_id": c, "host_id": h, "size": n}))
        .collect()
}

/// cgroup layout and whether resource limits can be enforced for this user.
fn cgroups() -> Value {
    let unified_root = std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists();
    let hybrid = std::path::Path::new("/sys/fs/cgroup/unified").is_dir();
    let (mode, controllers) = if unified_root {
        // Controllers delegated to our own cgroup are the ones a rootless container can use.
        let own = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
        let rel = own
            .lines()
            .find_map(|l| l.strip_prefix("0::"))
            .unwrap_or("/")
            .to_string();
        let c = std::fs::read_to_string(format!("/sys/fs/cgroup{rel}/cgroup.controllers")).unwrap_or_default();
        ("v2", c.split_whitespace().map(String::from).collect::<Vec<_>>())
    } else if hybrid {
        ("hybrid (v1 + v2)", vec![])
    } else {
        ("v1", vec![])
    };
    let limits = ["memory", "cpu", "pids"]
        .iter()
        .all(|c| controllers.iter().any(|x| x == c));
    json!({
        "mode": mode,
        "controllers": controllers,
        "resourceLimits": if limits {
            "available".to_string()
        } else {
            format!("not available: no memory/cpu/pids controllers delegated to this user on cgroup {mode}; --memory, --cpus and --pids-limit cannot be enforced")
        },
    })
}

fn ranges(m: &Mapping) -> Value {
    match m {
        Mapping::HostRoot => json!({"mode": "host root (no user namespace needed)"}),
        Mapping::Full {
            uid,
            gid,
            subuids,
            subgids,
        } => json!({
            "mode": "subordinate ids",
            "uidmap": map_json(&userns::stacked(*uid, subuids)),
            "gidmap": map_json(&userns::stacked(*gid, subgids)),
        }),
        Mapping::Single { uid, gid, why } => json!({
            "mode": "single uid",
            "uidmap": [{"container_id": 0, "host_id": uid, "size": 1}],
            "gidmap": [{"container_id": 0, "host_id": gid, "size": 1}],
            "why": why,
        }),
    }
}

/// The `host` section of `info`.
pub fn host_facts() -> Value {
    let uts = nix::sys::utsname::uname().ok();
    let kernel = uts
        .as_ref()
        .map(|u| u.release().to_string_lossy().into_owned())
        .unwrap_or_default();
    json!({
        "arch": crate::registry::Platform::host().arch,
        "os": "linux",
        "kernel": kernel,
        "rootless": !nix::unistd::geteuid().is_root(),
        "cgroups": cgroups(),
        "idMappings": ranges(&userns::plan()),
        "newuidmap": which("newuidmap"),
        "newgidmap": which("newgidmap"),
        "pasta": which("pasta"),
        "slirp4netns": which("slirp4netns"),
        "fuseOverlayfs": which("fuse-overlayfs"),
    })
}

/// How new `--userns=keep-id` containers get the image's owners: "fuse-overlayfs" (ids
/// shifted on the fly, nothing copied) or "copy" (re-owned copies of the layers).
pub fn keep_id_method() -> String {
    match crate::runtime::userns::keep_id_method() {
        Ok(m) => m.name().to_string(),
        Err(e) => format!("error: {e}"),
    }
}

/// Whether memory/cpu/pids limits could be enforced here: "available" or why not.
pub fn resource_limits() -> String {
    cgroups()["resourceLimits"].as_str().unwrap_or_default().to_string()
}

/// `/etc/os-release`'s ID, VERSION_ID and VERSION_CODENAME, as Podman's `host.distribution`.
fn distribution() -> Value {
    let text = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    let get = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .map(|v| v.trim_matches('"').to_string())
            .unwrap_or_default()
    };
    json!({"distribution": get("ID"), "version": get("VERSION_ID"), "codename": get("VERSION_CODENAME")})
}

/// A `/proc/meminfo` value in bytes.
fn meminfo(key: &str) -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}:")))
        .and_then(|v| v.split_whitespace().next().and_then(|n| n.parse::<u64>().ok()))
        .unwrap_or(0)
        * 1024
}

/// The fields of Podman's `info` `host` section that scripts read (`{{.Host.OCIRuntime.Name}}`,
/// `{{.Host.NetworkBackend}}`, `{{.Host.CgroupsVersion}}`…), with hutch's own answers: hutch is
/// its own OCI runtime, logs are k8s-file, cgroups are not managed through systemd.
pub fn podman_host_fields(default_network: &str) -> Value {
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let cg = cgroups();
    let version = if cg["mode"] == "v2" { "v2" } else { "v1" };
    let hostname = nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_default();
    let uptime = std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse::<f64>().ok()))
        .unwrap_or(0.0);
    let caps: Vec<String> = crate::spec::caps::DEFAULT.iter().map(|c| c.to_string()).collect();
    let ver = env!("CARGO_PKG_VERSION");
    json!({
        // hutch's builder is hutch's own (src/build/): its version is hutch's.
        "buildahVersion": ver,
        "cgroupManager": "cgroupfs",
        "cgroupVersion": version,
        "cgroupControllers": cg["controllers"],
        // Podman's container monitor is conmon; hutch's is hutch itself (`hutch __monitor`).
        "conmon": {
            "package": format!("hutch {ver} (its own container monitor, no conmon)"),
            "path": exe.clone(),
            "version": format!("hutch version {ver}"),
        },
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "distribution": distribution(),
        "eventLogger": "file",
        "hostname": hostname,
        "logDriver": "k8s-file",
        "memFree": meminfo("MemAvailable"),
        "memTotal": meminfo("MemTotal"),
        "swapFree": meminfo("SwapFree"),
        "swapTotal": meminfo("SwapTotal"),
        "networkBackend": default_network,
        "os": "linux",
        "ociRuntime": {
            "name": "hutch",
            "package": format!("hutch {ver}"),
            "path": exe,
            "version": format!("hutch version {ver}"),
        },
        "security": {
            "apparmorEnabled": false,
            "capabilities": caps.join(","),
            "rootless": !nix::unistd::geteuid().is_root(),
            "seccompEnabled": true,
            "seccompProfilePath": "",
            "selinuxEnabled": false,
        },
        "uptime": format!("{}h {}m {}s", (uptime as u64) / 3600, (uptime as u64) % 3600 / 60, (uptime as u64) % 60),
    })
}
