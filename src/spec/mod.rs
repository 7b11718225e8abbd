//! What a container is asked to be: image config + run options -> `Spec`, with the rules as
//! data in its submodules (network model, capabilities, signals) and every value with a fixed
//! set of forms an enum. Pure: no file system, no syscalls, so every rule here is unit-tested.
//!
//! hutch keeps its own small spec rather than a full OCI runtime spec: it is both what the
//! runtime consumes and what `inspect` shows, and it is what the record on disk holds.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Result;

pub mod caps;
pub mod changes;
pub mod filter;
pub mod network;
pub mod restart;
pub mod secret;
pub mod signal;
pub mod systemd;
pub mod ulimit;

pub const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// What every container starts from, under containers.conf's env and the image's (Podman's
/// built-in defaults, with hutch's name in the marker).
pub const DEFAULT_ENV: [&str; 3] = [DEFAULT_PATH, "TERM=xterm", "container=hutch"];

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Spec {
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    pub workdir: String,
    /// USER[:GROUP] as given (or the image's), resolved in the container's /etc/passwd at start.
    pub user: String,
    pub hostname: String,
    pub tty: bool,
    pub interactive: bool,
    pub mounts: Vec<MountSpec>,
    pub read_only: bool,
    pub caps: Vec<String>,
    pub privileged: bool,
    pub seccomp: Seccomp,
    pub no_new_privileges: bool,
    pub network: network::Mode,
    /// Published ports (-p, -P); host port 0 until create picks a free one.
    #[serde(default)]
    pub ports: Vec<crate::spec::network::PortMapping>,
    /// --dns, --dns-search, --dns-option.
    #[serde(default)]
    pub dns: crate::spec::network::Dns,
    /// --add-host entries as given (NAME:IP).
    #[serde(default)]
    pub add_hosts: Vec<String>,
    /// --network-alias: more names the container answers to on its networks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network_aliases: Vec<String>,
    /// --ip: its address on its first network (else the first free one at start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub static_ip: Option<String>,
    pub userns: UsernsMode,
    /// How a keep-id or --uidmap/--gidmap container sees the image's owners, chosen at create:
    /// "fuse-overlayfs" (ids shifted on the fly) or "copy" (re-owned copies of the layers;
    /// also older records, "").
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub idmap_method: String,
    /// --userns=keep-id:uid=N,gid=M: the ids your own uid and gid have inside (resolved at
    /// create into `uidmap`/`gidmap`); None for plain keep-id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_id_uid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_id_gid: Option<u32>,
    /// --uidmap/--gidmap: the container's own id maps (host ids counted in the store's
    /// namespace: 0 is the user, 1.. the subordinate ids); empty for the default or keep-id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uidmap: Vec<IdMapEntry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gidmap: Vec<IdMapEntry>,
    /// --userns=auto:size=N (None: from the image's /etc/passwd and /etc/group).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userns_size: Option<u32>,
    pub auto_remove: bool,
    pub stop_signal: i32,
    pub stop_timeout: u32,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// --annotation KEY=VALUE (and a kube pod's annotations): shown in inspect's
    /// Config.Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Bytes the detached container's log may reach before the monitor truncates it
    /// (containers.conf log_size_max); None = no limit.
    #[serde(default)]
    pub log_size_max: Option<u64>,
    /// The id of the pod the container belongs to (`--pod`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
    /// --conmon-pidfile: where the monitor of a detached start writes its pid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitor_pidfile: Option<String>,
    /// The command line that created the container (`generate systemd --new` replays it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub create_command: Vec<String>,
    /// --log-driver: None = k8s-file; "none" or "passthrough": no log is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_driver: Option<String>,
    /// --preserve-fds: fds 3 to 3+N-1 of the caller pass into the container.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub preserve_fds: u32,
    /// --group-add: more supplementary groups (gids or names), or `keep-groups` alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_add: Vec<String>,
    /// --secret: the secrets copied into the container at create.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<secret::SecretUse>,
    /// --attach: the streams a foreground run shows (empty: all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attach: Vec<String>,
    /// --restart: when the monitor starts the container again after it exits.
    #[serde(default, skip_serializing_if = "restart_is_none")]
    pub restart: restart::RestartPolicy,
    /// --hostuser: host users (names or uids) whose passwd entries the container gets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub host_users: Vec<String>,
    /// --timeout: seconds a start may run before the container is killed (0: no limit).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub timeout: u32,
    /// --runtime: the hutch binary that runs the container's monitor (None: this one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oci_runtime: Option<String>,
    /// --ulimit: the resource limits the container's processes start with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ulimits: Vec<ulimit::Ulimit>,
}

/// --group-add values: gids or group names (resolved in the container at start), or
/// `keep-groups` alone (Podman's rule and wording).
pub fn check_group_add(groups: &[String]) -> Result<Vec<String>> {
    for g in groups {
        if g.is_empty() || g.contains(':') || g.contains(char::is_whitespace) {
            crate::bail!("--group-add {g:?}: not a group name or gid");
        }
    }
    if groups.len() > 1 && groups.iter().any(|g| g == "keep-groups") {
        crate::bail!("the '--group-add keep-groups' option is not allowed with any other --group-add options");
    }
    Ok(groups.to_vec())
}

/// --secret values; a file's target may not be another mount's destination nor another
/// secret's, an environment variable is given once.
fn parse_secrets(given: &[String], mounts: &[MountSpec]) -> Result<Vec<secret::SecretUse>> {
    let mut v: Vec<secret::SecretUse> = Vec::new();
    for g in given {
        let u = secret::parse_use(g)?;
        let clash = match &u.env {
            Some(e) => v.iter().any(|x| x.env.as_ref() == Some(e)),
            None => {
                mounts.iter().any(|m| m.destination == u.target)
                    || v.iter().any(|x| x.env.is_none() && x.target == u.target)
            }
        };
        if clash {
            crate::bail!(
                "--secret {g}: {} is already given",
                u.env.as_deref().unwrap_or(&u.target)
            );
        }
        v.push(u);
    }
    Ok(v)
}

/// The largest `--userns=auto` range (Podman's limit).
pub const AUTO_USERNS_MAX: u32 = 65536;
/// The smallest range `--userns=auto` gives without `size=` (Podman's).
pub const AUTO_USERNS_MIN: u32 = 1024;

/// `keep-id:uid=N,gid=M`'s ids (None for one not given).
pub type KeepIdIds = (Option<u32>, Option<u32>);

/// `--userns` (or containers.conf `userns`): the mode and, for `auto:size=N`, the size.
pub fn parse_userns(v: Option<&str>) -> Result<(UsernsMode, Option<u32>)> {
    parse_userns_ids(v).map(|(m, n, _)| (m, n))
}

/// `parse_userns`, with `keep-id:uid=N,gid=M`'s ids.
pub fn parse_userns_ids(v: Option<&str>) -> Result<(UsernsMode, Option<u32>, KeepIdIds)> {
    if let Some(a) = v.and_then(|a| a.strip_prefix("keep-id:")) {
        let mut ids: KeepIdIds = (None, None);
        for opt in a.split(',') {
            let id = |n: &str| {
                n.parse::<u32>()
                    .ok()
                    .filter(|&n| n < u32::MAX - 1)
                    .ok_or_else(|| crate::err!("--userns keep-id:{a}: {opt}: not a user or group id"))
            };
            match opt.split_once('=') {
                Some(("uid", n)) => ids.0 = Some(id(n)?),
                Some(("gid", n)) => ids.1 = Some(id(n)?),
                _ => crate::bail!("--userns keep-id:{a}: unknown option {opt:?} (use keep-id:uid=N,gid=M)"),
            }
        }
        return Ok((UsernsMode::KeepId, None, ids));
    }
    let (m, n) = match v {
        None | Some("") | Some("host") => (UsernsMode::Default, None),
        Some("keep-id") => (UsernsMode::KeepId, None),
        Some("nomap") => (UsernsMode::NoMap, None),
        Some("auto") => (UsernsMode::Auto, None),
        Some(a) if a.starts_with("auto:") => {
            let mut size = None;
            for opt in a["auto:".len()..].split(',') {
                match opt.split_once('=') {
                    Some(("size", n)) => match n.parse::<u32>() {
                        Ok(n) if (1..=AUTO_USERNS_MAX).contains(&n) => size = Some(n),
                        _ => crate::bail!("--userns {a}: size={n} is not a number of ids from 1 to {AUTO_USERNS_MAX}"),
                    },
                    Some((k @ ("uidmapping" | "gidmapping"), _)) => {
                        crate::bail!("--userns {a}: {k} is not supported by hutch (use size=N)")
                    }
                    _ => crate::bail!("--userns {a}: unknown option {opt:?} (use auto:size=N)"),
                }
            }
            (UsernsMode::Auto, size)
        }
        Some(other) => {
            crate::bail!("--userns {other}: unsupported mode (use keep-id[:uid=N,gid=M], auto[:size=N] or nomap, or leave it out)")
        }
    };
    Ok((m, n, (None, None)))
}

/// The size `--userns=auto` gives a container without `size=`: one more than the largest id
/// the image's /etc/passwd and /etc/group name, at least AUTO_USERNS_MIN (as Podman's).
pub fn auto_userns_size(passwd: &str, group: &str) -> u32 {
    let ids = passwd
        .lines()
        .flat_map(|l| {
            l.split(':')
                .skip(2)
                .take(2)
                .filter_map(|f| f.parse::<u32>().ok())
                .collect::<Vec<_>>()
        })
        .chain(group.lines().filter_map(|l| l.split(':').nth(2)?.parse::<u32>().ok()));
    ids.filter(|&i| i < AUTO_USERNS_MAX)
        .map(|i| i + 1)
        .max()
        .unwrap_or(0)
        .max(AUTO_USERNS_MIN)
}

/// The lowest start s >= 1 such that `s..s+size` is below `span` and overlaps none of `used`
/// (host ranges as (start, size)); None when no such range is left.
pub fn free_id_range(used: &[(u64, u64)], size: u64, span: u64) -> Option<u64> {
    let mut s = 1u64;
    loop {
        if s + size > span {
            return None;
        }
        match used
            .iter()
            .filter(|&&(a, n)| a < s + size && s < a + n)
            .map(|&(a, n)| a + n)
            .max()
        {
            Some(end) => s = end,
            None => return Some(s),
        }
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Spec {
    /// Whether the container's output goes to its k8s-file log.
    pub fn logged(&self) -> bool {
        self.log_driver.as_deref().is_none_or(|d| d == "k8s-file")
    }
}

/// One --uidmap/--gidmap entry: container ids `container..container+size` are host ids
/// `host..host+size`, counted in the user's namespace as Podman's rootless maps are (0 is the
/// user, 1.. the subordinate ids), or, with `@HOST`, real host ids (`host_level`; create turns
/// them into the former).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdMapEntry {
    pub container: u32,
    pub host: u32,
    pub size: u32,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub host_level: bool,
}

/// Parse one `CONTAINER:HOST:SIZE` (`HOST` may be `@HOST`).
pub fn parse_idmap(flag: &str, v: &str) -> Result<IdMapEntry> {
    let bad = |why: &str| crate::err!("{flag} {v}: {why} (use CONTAINER:HOST:SIZE, e.g. 0:1:1000)");
    if v.starts_with('+') {
        return Err(bad("the + form is not supported"));
    }
    let f: Vec<&str> = v.split(':').collect();
    if f.len() != 3 {
        return Err(bad("three numbers expected"));
    }
    let (host_level, host) = match f[1].strip_prefix('@') {
        Some(h) => (true, h),
        None => (false, f[1]),
    };
    let num = |x: &str, what: &str| -> Result<u32> {
        if x.is_empty() || !x.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(&format!("{what} is not a number")));
        }
        x.parse().map_err(|_| bad(&format!("{what} is too large")))
    };
    let e = IdMapEntry {
        container: num(f[0], "CONTAINER")?,
        host: num(host, "HOST")?,
        size: num(f[2], "SIZE")?,
        host_level,
    };
    if e.size == 0 {
        return Err(bad("SIZE must be at least 1"));
    }
    // Container ids stop below u32::MAX - 1, where your own id goes when the map leaves it out.
    if e.container.checked_add(e.size - 1).is_none_or(|x| x >= u32::MAX - 1) || e.host.checked_add(e.size - 1).is_none()
    {
        return Err(bad("the range goes past the largest id"));
    }
    Ok(e)
}

/// --uidmap and --gidmap: each given alone applies to both, as with Podman; container ranges
/// (and host ranges) of one map must not overlap.
pub fn parse_idmaps(uid: &[String], gid: &[String]) -> Result<(Vec<IdMapEntry>, Vec<IdMapEntry>)> {
    let parse = |flag: &str, v: &[String]| -> Result<Vec<IdMapEntry>> {
        let m = v.iter().map(|x| parse_idmap(flag, x)).collect::<Result<Vec<_>>>()?;
        for (i, a) in m.iter().enumerate() {
            for b in &m[..i] {
                let over = |x: u32, y: u32| x < y.saturating_add(b.size) && y < x.saturating_add(a.size);
                if over(a.container, b.container) {
                    crate::bail!(
                        "{flag} {}:{}:{}: container ids overlap another {flag}",
                        a.container,
                        a.host,
                        a.size
                    );
                }
                if a.host_level == b.host_level && over(a.host, b.host) {
                    crate::bail!(
                        "{flag} {}:{}:{}: host ids overlap another {flag}",
                        a.container,
                        a.host,
                        a.size
                    );
                }
            }
        }
        Ok(m)
    };
    let (u, g) = (parse("--uidmap", uid)?, parse("--gidmap", gid)?);
    Ok(match (u.is_empty(), g.is_empty()) {
        (false, true) => (u.clone(), u),
        (true, false) => (g.clone(), g),
        _ => (u, g),
    })
}

fn restart_is_none(p: &restart::RestartPolicy) -> bool {
    *p == restart::RestartPolicy::default()
}

impl Spec {
    /// The argv the container runs.
    pub fn args(&self) -> Vec<String> {
        self.entrypoint.iter().chain(self.cmd.iter()).cloned().collect()
    }

    #[cfg(test)]
    pub fn env_value(&self, key: &str) -> Option<&str> {
        self.env
            .iter()
            .rev()
            .find_map(|e| e.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MountSpec {
    pub kind: MountKind,
    /// Host path (bind) or volume name (empty in records of older hutch: anonymous).
    pub source: String,
    pub destination: String,
    pub read_only: bool,
    /// `U`: the content is handed to the container's user (through the id map) at start.
    #[serde(default, skip_serializing_if = "is_false")]
    pub chown: bool,
    /// `nocopy`: a new volume is not filled with the image's content.
    #[serde(default, skip_serializing_if = "is_false")]
    pub nocopy: bool,
    /// tmpfs: its options as given (`size=64m,mode=1777,noexec,…`), checked by `tmpfs_options`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub options: String,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Which seccomp filter a container gets. Stored as "default", "unconfined" or the path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Seccomp {
    /// hutch's built-in profile (Podman's).
    #[default]
    Default,
    Unconfined,
    /// A containers/moby JSON profile at this host path.
    Profile(String),
}

impl From<String> for Seccomp {
    fn from(s: String) -> Seccomp {
        match s.as_str() {
            "default" => Seccomp::Default,
            "unconfined" => Seccomp::Unconfined,
            _ => Seccomp::Profile(s),
        }
    }
}

impl From<Seccomp> for String {
    fn from(s: Seccomp) -> String {
        s.to_string()
    }
}

impl std::fmt::Display for Seccomp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Seccomp::Default => f.write_str("default"),
            Seccomp::Unconfined => f.write_str("unconfined"),
            Seccomp::Profile(p) => f.write_str(p),
        }
    }
}

/// How the container's user namespace maps ids. Stored as "" or "keep-id".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum UsernsMode {
    /// The user's id is root inside, the subordinate ids follow.
    #[default]
    #[serde(rename = "")]
    Default,
    /// The user's id is the same id inside (--userns=keep-id).
    #[serde(rename = "keep-id")]
    KeepId,
    /// --userns=auto: a range of the subordinate ids no other auto container has (resolved
    /// at create into `uidmap`/`gidmap`); the user's own id is not mapped.
    #[serde(rename = "auto")]
    Auto,
    /// --userns=nomap: the subordinate ids only (0 is the first one), not the user's own id
    /// (resolved at create into `uidmap`/`gidmap`).
    #[serde(rename = "nomap")]
    NoMap,
}

impl Spec {
    /// A plain keep-id container whose layers are re-owned copies (its upper dir holds ids of
    /// the keep-id map); a fuse-overlayfs one stores ids as a default container does.
    pub fn keep_id_copy(&self) -> bool {
        self.userns == UsernsMode::KeepId && self.uidmap.is_empty() && !self.idmap_fuse()
    }

    /// A plain keep-id container mounted by fuse-overlayfs with its ids shifted on the fly.
    pub fn keep_id_fuse(&self) -> bool {
        self.userns == UsernsMode::KeepId && self.uidmap.is_empty() && self.idmap_fuse()
    }

    /// A container with maps of its own (--uidmap/--gidmap, keep-id:uid=,gid=, auto, nomap)
    /// whose layers are re-owned copies for them: its upper dir holds its own host ids.
    pub fn id_map_copy(&self) -> bool {
        !self.uidmap.is_empty() && !self.idmap_fuse()
    }

    /// `inspect`'s HostConfig.UsernsMode, as Podman 4.3 shows it: "private" for a user
    /// namespace mapped otherwise than the default (keep-id, with or without uid=/gid=, auto,
    /// nomap, --uidmap/--gidmap), else "" (`--userns host` too).
    pub fn userns_shown(&self) -> &'static str {
        if self.userns != UsernsMode::Default || !self.uidmap.is_empty() {
            "private"
        } else {
            ""
        }
    }

    /// Mounted by fuse-overlayfs with the ids shifted on the fly (keep-id or maps of its own):
    /// its upper dir holds the image's ids, as a default container's does.
    pub fn idmap_fuse(&self) -> bool {
        self.idmap_method == "fuse-overlayfs"
    }
}

impl UsernsMode {
    /// The mode's name in messages ("" for the default).
    pub fn name(self) -> &'static str {
        match self {
            UsernsMode::Default => "",
            UsernsMode::KeepId => "keep-id",
            UsernsMode::Auto => "auto",
            UsernsMode::NoMap => "nomap",
        }
    }
}

/// What a mount's source is. Stored as "bind", "volume" or "tmpfs".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MountKind {
    /// A host path.
    #[default]
    Bind,
    /// A named (or anonymous) volume in the store.
    Volume,
    /// A new tmpfs (--tmpfs, --mount type=tmpfs).
    Tmpfs,
}

impl MountKind {
    pub fn name(self) -> &'static str {
        match self {
            MountKind::Bind => "bind",
            MountKind::Volume => "volume",
            MountKind::Tmpfs => "tmpfs",
        }
    }
}

/// When `run` and `create` pull the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullPolicy {
    /// Only when it is not in the store (the default).
    Missing,
    Always,
    Never,
}

impl PullPolicy {
    pub fn parse(s: &str) -> Result<PullPolicy> {
        match s {
            "missing" => Ok(PullPolicy::Missing),
            "always" => Ok(PullPolicy::Always),
            "never" => Ok(PullPolicy::Never),
            other => crate::bail!("--pull {other}: unknown policy (use missing, always or never)"),
        }
    }
}

/// The parts of an image config `run` uses.
#[derive(Debug, Clone, Default)]
pub struct ImageConfig {
    pub env: Vec<String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub workdir: String,
    pub user: String,
    pub stop_signal: String,
    pub labels: BTreeMap<String, String>,
    /// ExposedPorts as (port, protocol), for -P.
    pub exposed: Vec<(u16, network::Protocol)>,
    /// The image's VOLUMEs (destinations).
    pub volumes: Vec<String>,
}

impl ImageConfig {
    /// From the image config JSON (`{"config": {...}}`).
    pub fn from_json(v: &Value) -> ImageConfig {
        let c = v.get("config").cloned().unwrap_or(Value::Null);
        let strs = |k: &str| -> Vec<String> {
            c.get(k)
                .and_then(|x| x.as_array())
                .map(|a| a.iter().filter_map(|s| s.as_str().map(String::from)).collect())
                .unwrap_or_default()
        };
        let s = |k: &str| c.get(k).and_then(|x| x.as_str()).unwrap_or_default().to_string();
        ImageConfig {
            env: strs("Env"),
            entrypoint: strs("Entrypoint"),
            cmd: strs("Cmd"),
            workdir: s("WorkingDir"),
            user: s("User"),
            stop_signal: s("StopSignal"),
            labels: c
                .get("Labels")
                .and_then(|l| l.as_object())
                .map(|o| {
                    o.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                        .collect()
                })
                .unwrap_or_default(),
            exposed: crate::spec::network::exposed_ports(v),
            volumes: c
                .get("Volumes")
                .and_then(|l| l.as_object())
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default(),
        }
    }
}

/// Run options after validation of their syntax (the CLI's words, no file system yet).
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// --log-driver (None: k8s-file).
    pub log_driver: Option<String>,
    /// --preserve-fds.
    pub preserve_fds: u32,
    /// --group-add values as given.
    pub group_add: Vec<String>,
    /// --secret values as given.
    pub secrets: Vec<String>,
    /// --attach.
    pub attach: Vec<String>,
    pub entrypoint: Option<String>,
    pub command: Vec<String>,
    /// -e values, in order; `KEY` alone takes the value from `host_env`.
    pub env: Vec<String>,
    /// Lines of --env-file files, in order.
    pub env_file_lines: Vec<String>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    pub hostname: Option<String>,
    pub tty: bool,
    pub interactive: bool,
    pub volumes: Vec<String>,
    /// --mount values as given (Docker's syntax).
    pub mounts: Vec<String>,
    /// --tmpfs values as given.
    pub tmpfs: Vec<String>,
    /// --volumes-from CTR[:ro|rw] as given (resolved at create, against the container index).
    pub volumes_from: Vec<String>,
    /// --image-volume (or containers.conf's image_volume_mode): bind (an anonymous volume on
    /// each of the image's VOLUMEs), tmpfs, or ignore. None: bind.
    pub image_volume: Option<String>,
    /// --conmon-pidfile.
    pub monitor_pidfile: Option<String>,
    /// hutch's own command line (kept in the record for `generate systemd --new`).
    pub create_command: Vec<String>,
    pub read_only: bool,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub privileged: bool,
    pub security_opt: Vec<String>,
    /// A network mode name (the command layer fills in the default).
    pub network: String,
    /// -p values as given.
    pub publish: Vec<String>,
    /// -P: publish every port the image exposes.
    pub publish_all: bool,
    pub dns: crate::spec::network::Dns,
    pub add_hosts: Vec<String>,
    /// --network-alias values.
    pub network_aliases: Vec<String>,
    /// --ip.
    pub ip: Option<String>,
    /// containers.conf base_hosts_file: a host file, "image" or "none" (None: hutch's default).
    pub base_hosts_file: Option<String>,
    /// containers.conf host_containers_internal_ip: an address, or "none" (no such line).
    pub host_containers_internal_ip: Option<String>,
    pub userns: Option<String>,
    /// --uidmap and --gidmap values as given (CONTAINER:HOST:SIZE).
    pub uidmap: Vec<String>,
    pub gidmap: Vec<String>,
    /// The invoking user's uid and gid (keep-id runs as them by default).
    pub host_ids: Option<(u32, u32)>,
    pub auto_remove: bool,
    pub stop_signal: Option<String>,
    pub stop_timeout: Option<u32>,
    pub labels: Vec<String>,
    /// --annotation values as given (KEY=VALUE).
    pub annotations: Vec<String>,
    /// containers.conf default_capabilities: the set to start from instead of Podman's.
    pub default_caps: Option<Vec<String>>,
    /// containers.conf env: KEY=VALUE under the image's and the user's values.
    pub default_env: Vec<String>,
    /// The caller's variables put over the image's env and under --env-file's and -e's, as
    /// Podman does: --env-host's whole environment, or --http-proxy's proxy variables.
    pub caller_env: Vec<String>,
    /// containers.conf log_size_max (None = no limit).
    pub log_size_max: Option<u64>,
    /// containers.conf tz: the zone's name and its host zoneinfo file, which becomes the
    /// container's /etc/localtime (TZ is set too, as Podman does).
    pub tz: Option<(String, String)>,
    /// The pod's id (`--pod`, resolved by the command layer).
    pub pod: Option<String>,
    /// --restart as given.
    pub restart: Option<String>,
    /// --hostuser values as given.
    pub host_users: Vec<String>,
    /// --timeout in seconds (0: none).
    pub timeout: u32,
    /// --runtime, resolved to a hutch binary's path by the command layer.
    pub oci_runtime: Option<String>,
    /// --ulimit values as given.
    pub ulimits: Vec<String>,
    /// A build's RUN step: of Podman's defaults only PATH (Podman's and Docker's builders set
    /// no TERM and no `container=` for RUN).
    pub build_step: bool,
}

/// Combine the image's defaults with the options, Docker's way.
pub fn build(img: &ImageConfig, o: &RunOptions, id: &str, host_env: &dyn Fn(&str) -> Option<String>) -> Result<Spec> {
    let restart = match &o.restart {
        Some(v) => restart::RestartPolicy::parse(v)?,
        None => restart::RestartPolicy::default(),
    };
    if o.auto_remove && restart.restarts() {
        crate::bail!("the --rm option conflicts with --restart, when the restartPolicy is not \"\" and \"no\"");
    }
    let (entrypoint, cmd) = match &o.entrypoint {
        Some(ep) => {
            let ep = if ep.trim_start().starts_with('[') {
                serde_json::from_str::<Vec<String>>(ep)
                    .map_err(|e| crate::err!("--entrypoint {ep}: not a JSON array of strings: {e}"))?
            } else if ep.is_empty() {
                vec![]
            } else {
                vec![ep.clone()]
            };
            (ep, o.command.clone())
        }
        None => (
            img.entrypoint.clone(),
            if o.command.is_empty() {
                img.cmd.clone()
            } else {
                o.command.clone()
            },
        ),
    };
    if entrypoint.is_empty() && cmd.is_empty() {
        crate::bail!("no command specified: the image has no Entrypoint or Cmd; give one after the image name");
    }
    // Podman's order: its own defaults (PATH, TERM=xterm, the container= marker), then
    // containers.conf's env, then the image's, then the caller's (--env-host, --http-proxy),
    // then (below) --env-file and -e.
    let mut env: Vec<String> = Vec::new();
    let defaults = if o.build_step {
        &DEFAULT_ENV[..1]
    } else {
        &DEFAULT_ENV[..]
    };
    for e in defaults
        .iter()
        .map(|e| e.to_string())
        .chain(o.default_env.iter().cloned())
        .chain(img.env.iter().cloned())
        .chain(o.caller_env.iter().cloned())
    {
        set_env(&mut env, e);
    }
    if let Some((zone, _)) = &o.tz {
        set_env(&mut env, format!("TZ={zone}"));
    }
    add_env(&mut env, o.env_file_lines.iter().chain(o.env.iter()), host_env)?;
    let hostname = o.hostname.clone().unwrap_or_else(|| id[..12].to_string());
    validate_hostname(&hostname)?;
    if !env.iter().any(|e| e.starts_with("HOSTNAME=")) {
        env.push(format!("HOSTNAME={hostname}"));
    }
    let workdir = o.workdir.clone().unwrap_or_else(|| {
        if img.workdir.is_empty() {
            "/".into()
        } else {
            img.workdir.clone()
        }
    });
    if !workdir.starts_with('/') {
        crate::bail!("--workdir {workdir}: must be an absolute path");
    }
    let (mut seccomp, nnp) = security_opts(&o.security_opt)?;
    if o.privileged && seccomp == Seccomp::Default {
        seccomp = Seccomp::Unconfined;
    }
    let caps = caps::resolve(o.privileged, o.default_caps.as_deref(), &o.cap_add, &o.cap_drop)?;
    let mut mounts = Vec::new();
    let given = o
        .volumes
        .iter()
        .map(|v| (format!("-v {v}"), parse_volume(v)))
        .chain(o.mounts.iter().map(|v| (format!("--mount {v}"), parse_mount(v))))
        .chain(o.tmpfs.iter().map(|v| (format!("--tmpfs {v}"), parse_tmpfs(v))));
    for (_, m) in given {
        let m = m?;
        if let Some(i) = mounts.iter().position(|x: &MountSpec| x.destination == m.destination) {
            // The same mount twice is one mount (Podman's rule); another on its place is an error.
            if mounts[i] == m {
                continue;
            }
            // (Podman's words, which scripts match whole.)
            crate::bail!("{}: duplicate mount destination", m.destination);
        }
        mounts.push(m);
    }
    // The image's VOLUMEs where nothing else is mounted: Podman's image_volume_mode.
    let mode = o.image_volume.as_deref().unwrap_or("bind");
    for d in &img.volumes {
        if !d.starts_with('/') || mode == "ignore" {
            continue;
        }
        let destination = normalize_abs(d);
        if destination == "/" || mounts.iter().any(|m| m.destination == destination) {
            continue;
        }
        mounts.push(match mode {
            "bind" => MountSpec {
                kind: MountKind::Volume,
                destination,
                ..Default::default()
            },
            "tmpfs" => MountSpec {
                kind: MountKind::Tmpfs,
                destination,
                options: "rw,nosuid,nodev".into(),
                ..Default::default()
            },
            other => crate::bail!("--image-volume {other}: unknown mode (use bind, tmpfs or ignore)"),
        });
    }
    if let Some((_, file)) = &o.tz {
        if !mounts.iter().any(|m| m.destination == "/etc/localtime") {
            mounts.push(MountSpec {
                kind: MountKind::Bind,
                source: file.clone(),
                destination: "/etc/localtime".into(),
                read_only: true,
                ..Default::default()
            });
        }
    }
    let (userns, userns_size, (keep_id_uid, keep_id_gid)) = parse_userns_ids(o.userns.as_deref())?;
    let (uidmap, gidmap) = parse_idmaps(&o.uidmap, &o.gidmap)?;
    if !uidmap.is_empty() && userns != UsernsMode::Default {
        crate::bail!(
            "--uidmap/--gidmap and --userns {} cannot be used together",
            userns.name()
        );
    }
    let stop_signal = signal::parse_signal(o.stop_signal.as_deref().unwrap_or(if img.stop_signal.is_empty() {
        "SIGTERM"
    } else {
        &img.stop_signal
    }))?;
    let mut labels = img.labels.clone();
    for l in &o.labels {
        let (k, v) = l.split_once('=').unwrap_or((l, ""));
        if k.is_empty() {
            crate::bail!("--label {l}: empty key");
        }
        labels.insert(k.to_string(), v.to_string());
    }
    let mut annotations = BTreeMap::new();
    for a in &o.annotations {
        match a.split_once('=') {
            Some((k, v)) if !k.is_empty() => annotations.insert(k.to_string(), v.to_string()),
            _ => crate::bail!("--annotation {a}: expected KEY=VALUE"),
        };
    }
    let mode = crate::spec::network::Mode::parse(if o.network.is_empty() { "none" } else { &o.network })?;
    let mut ports: Vec<crate::spec::network::PortMapping> = Vec::new();
    for p in &o.publish {
        ports.push(crate::spec::network::parse_publish(p)?);
    }
    if o.publish_all {
        for (port, proto) in &img.exposed {
            let covered = ports
                .iter()
                .any(|m| &m.protocol == proto && m.pairs().any(|(_, c)| c == *port));
            if !covered {
                ports.push(crate::spec::network::PortMapping {
                    host_ip: String::new(),
                    host_port: 0,
                    container_port: *port,
                    range: 1,
                    protocol: *proto,
                });
            }
        }
    }
    let bridge = matches!(mode, crate::spec::network::Mode::Bridge(_));
    if !bridge && (!o.network_aliases.is_empty() || o.ip.is_some()) {
        let what = match &o.ip {
            Some(ip) => format!("--ip {ip}"),
            None => format!("--network-alias {}", o.network_aliases[0]),
        };
        crate::bail!(
            "{what}: needs a network of `hutch network ls` (--network {} has none)",
            mode.name()
        );
    }
    for a in &o.network_aliases {
        if !crate::spec::network::valid_network_name(a) {
            crate::bail!("--network-alias {a}: not a valid name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)");
        }
    }
    if let Some(ip) = &o.ip {
        if ip.parse::<std::net::Ipv4Addr>().is_err() {
            crate::bail!("--ip {ip}: not an IPv4 address");
        }
    }
    if !ports.is_empty() && !mode.has_helper() && !bridge {
        let what = o
            .publish
            .first()
            .map(|p| format!("-p {p}"))
            .unwrap_or_else(|| "-P".into());
        crate::bail!(
            "{what}: --network {} has no connection to publish ports through (use pasta or slirp4netns)",
            mode.name()
        );
    }
    for h in &o.add_hosts {
        crate::spec::network::parse_add_host(h, Some("127.0.0.1"))?;
    }
    for d in &o.dns.servers {
        if d.parse::<std::net::IpAddr>().is_err() {
            crate::bail!("--dns {d}: not an IP address");
        }
    }
    let secrets = parse_secrets(&o.secrets, &mounts)?;
    Ok(Spec {
        entrypoint,
        cmd,
        env,
        workdir: normalize_abs(&workdir),
        user: match (&o.user, userns, o.host_ids) {
            (Some(u), _, _) => u.clone(),
            (None, UsernsMode::KeepId, Some((uid, gid))) => {
                format!("{}:{}", keep_id_uid.unwrap_or(uid), keep_id_gid.unwrap_or(gid))
            }
            (None, _, _) => img.user.clone(),
        },
        hostname,
        tty: o.tty,
        interactive: o.interactive,
        mounts,
        read_only: o.read_only,
        caps,
        privileged: o.privileged,
        seccomp,
        no_new_privileges: nnp,
        network: mode,
        ports,
        dns: o.dns.clone(),
        add_hosts: o.add_hosts.clone(),
        network_aliases: o.network_aliases.clone(),
        static_ip: o.ip.clone(),
        userns,
        idmap_method: String::new(),
        keep_id_uid,
        keep_id_gid,
        uidmap,
        gidmap,
        userns_size,
        auto_remove: o.auto_remove,
        stop_signal,
        stop_timeout: o.stop_timeout.unwrap_or(10),
        labels,
        annotations,
        log_size_max: o.log_size_max,
        pod: o.pod.clone(),
        monitor_pidfile: o.monitor_pidfile.clone(),
        create_command: o.create_command.clone(),
        log_driver: o.log_driver.clone(),
        preserve_fds: o.preserve_fds,
        group_add: check_group_add(&o.group_add)?,
        secrets,
        attach: o.attach.clone(),
        restart,
        host_users: o.host_users.clone(),
        timeout: o.timeout,
        oci_runtime: o.oci_runtime.clone(),
        ulimits: ulimit::parse_all(&o.ulimits)?,
    })
}

/// --security-opt values (`run`, `create`, `build`): the seccomp filter and no_new_privs.
pub fn security_opts(given: &[String]) -> Result<(Seccomp, bool)> {
    let mut seccomp = Seccomp::Default;
    let mut nnp = false;
    for opt in given {
        match opt.split_once(['=', ':']) {
            Some(("seccomp", v)) if !v.is_empty() => seccomp = Seccomp::from(v.to_string()),
            _ if opt == "no-new-privileges" || opt == "no-new-privileges=true" || opt == "no-new-privileges:true" => {
                nnp = true
            }
            _ if opt == "no-new-privileges=false" || opt == "no-new-privileges:false" => nnp = false,
            Some(("label", _)) | Some(("apparmor", _)) | Some(("mask", _)) | Some(("unmask", _)) => {
                crate::bail!("--security-opt {opt}: not supported by hutch")
            }
            _ => crate::bail!(
                "--security-opt {opt}: unknown option (use seccomp=unconfined|PROFILE.json or no-new-privileges)"
            ),
        }
    }
    Ok((seccomp, nnp))
}

/// Set `KEY=VALUE` in `env`, replacing an earlier value of the same key (programs read the
/// first match, so a key must appear once).
pub fn set_env(env: &mut Vec<String>, kv: String) {
    let key = kv.split('=').next().unwrap_or_default().to_string();
    env.retain(|e| e.split('=').next() != Some(key.as_str()));
    env.push(kv);
}

/// Apply -e / --env-file entries in order: `KEY=VALUE`, or `KEY` to copy it from `host_env`
/// (left out when unset there); blank lines and `#` comments are skipped.
pub fn add_env<'a>(
    env: &mut Vec<String>,
    entries: impl Iterator<Item = &'a String>,
    host_env: &dyn Fn(&str) -> Option<String>,
) -> Result<()> {
    for e in entries {
        let e = e.trim_start();
        if e.is_empty() || e.starts_with('#') {
            continue;
        }
        match e.split_once('=') {
            Some((k, _)) if k.is_empty() => crate::bail!("invalid environment variable \"{e}\": empty name"),
            Some(_) => set_env(env, e.to_string()),
            None => {
                if let Some(v) = host_env(e) {
                    set_env(env, format!("{e}={v}"));
                }
            }
        }
    }
    Ok(())
}

fn normalize_abs(p: &str) -> String {
    let parts: Vec<&str> = p.split('/').filter(|c| !c.is_empty() && *c != ".").collect();
    format!("/{}", parts.join("/"))
}

fn validate_hostname(h: &str) -> Result<()> {
    let ok = !h.is_empty()
        && h.len() <= 64
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
    if !ok {
        crate::bail!("--hostname {h}: not a valid host name");
    }
    Ok(())
}

/// `-v SRC:DST[:OPTS]`, `-v NAME:DST`, `-v DST` (anonymous volume).
pub fn parse_volume(v: &str) -> Result<MountSpec> {
    let parts: Vec<&str> = v.split(':').collect();
    let (src, dst, opts) = match parts.as_slice() {
        [dst] => ("", *dst, ""),
        [src, dst] => (*src, *dst, ""),
        [src, dst, opts] => (*src, *dst, *opts),
        _ => crate::bail!("-v {v}: expected SOURCE:DESTINATION[:OPTIONS]"),
    };
    if !dst.starts_with('/') {
        crate::bail!("-v {v}: destination {dst} must be an absolute path");
    }
    if normalize_abs(dst) == "/" {
        crate::bail!("-v {v}: cannot mount over /");
    }
    let (mut read_only, mut chown, mut nocopy) = (false, false, false);
    let mut flags: Vec<&str> = Vec::new();
    for o in opts.split(',').filter(|o| !o.is_empty()) {
        match o {
            "ro" => read_only = true,
            "rw" => read_only = false,
            "U" => chown = true,
            "nocopy" => nocopy = true,
            "copy" => nocopy = false,
            // SELinux labels: accepted, nothing to relabel without SELinux.
            "z" | "Z" => {}
            "rbind" | "bind" | "private" | "rprivate" => {}
            // Mount flags of the bind mount: the last of each pair wins.
            "noexec" | "nosuid" | "nodev" | "exec" | "suid" | "dev" => {
                let base = o.trim_start_matches("no");
                flags.retain(|f| f.trim_start_matches("no") != base);
                if o.starts_with("no") {
                    flags.push(o);
                }
            }
            _ => crate::bail!(
                "-v {v}: unknown option {o} (use ro, rw, U, z, Z, nocopy, noexec, nosuid, nodev, exec, suid, dev)"
            ),
        }
    }
    let (kind, source) = if src.is_empty() {
        (MountKind::Volume, String::new())
    } else if src.starts_with('/') {
        (MountKind::Bind, src.to_string())
    } else if src.starts_with('.') {
        crate::bail!("-v {v}: source {src} must be an absolute path or a volume name")
    } else {
        validate_volume_name(src).map_err(|e| crate::err!("-v {v}: {e}"))?;
        (MountKind::Volume, src.to_string())
    };
    if nocopy && kind == MountKind::Bind {
        crate::bail!("-v {v}: nocopy applies to volumes, not to bind mounts");
    }
    Ok(MountSpec {
        kind,
        source,
        destination: normalize_abs(dst),
        read_only,
        chown,
        nocopy,
        // Bind and volume mounts keep their mount flags here (noexec,nosuid,nodev).
        options: flags.join(","),
    })
}

/// `--mount type=volume|bind|tmpfs,source=…,target=…[,ro][,…]`, Docker's syntax.
pub fn parse_mount(v: &str) -> Result<MountSpec> {
    let bad = |why: String| crate::err!("--mount {v}: {why}");
    let mut kind = None;
    let (mut source, mut target) = (None::<String>, None::<String>);
    let mut m = MountSpec::default();
    let mut tmpfs_opts: Vec<String> = Vec::new();
    let flag = |val: Option<&str>, key: &str| -> Result<bool> {
        match val {
            None | Some("true") | Some("1") => Ok(true),
            Some("false") | Some("0") => Ok(false),
            Some(x) => Err(bad(format!("{key}={x}: expected true or false"))),
        }
    };
    for part in v.split(',').filter(|p| !p.is_empty()) {
        let (k, val) = match part.split_once('=') {
            Some((k, x)) => (k, Some(x)),
            None => (part, None),
        };
        let need = |what: &str| -> Result<String> {
            val.filter(|x| !x.is_empty())
                .map(String::from)
                .ok_or_else(|| bad(format!("{k} needs a value ({what})")))
        };
        match k {
            "type" => {
                kind = Some(match val {
                    Some("bind") => MountKind::Bind,
                    Some("volume") => MountKind::Volume,
                    Some("tmpfs") => MountKind::Tmpfs,
                    other => {
                        return Err(bad(format!(
                            "type {}: unsupported (use bind, volume or tmpfs)",
                            other.unwrap_or_default()
                        )))
                    }
                })
            }
            "source" | "src" => source = Some(need("a path or a volume name")?),
            "target" | "destination" | "dst" => target = Some(need("a path in the container")?),
            "ro" | "readonly" => m.read_only = flag(val, k)?,
            "rw" => m.read_only = !flag(val, k)?,
            "U" | "chown" => m.chown = flag(val, k)?,
            "volume-nocopy" | "nocopy" => m.nocopy = flag(val, k)?,
            "z" | "Z" | "relabel" => {}
            "bind-propagation" => match val {
                Some("private" | "rprivate") => {}
                _ => return Err(bad(format!("{part}: only private propagation is supported rootless"))),
            },
            "bind-nonrecursive" => {
                if flag(val, k)? {
                    return Err(bad(format!("{part}: hutch's bind mounts are recursive")));
                }
            }
            "tmpfs-size" => tmpfs_opts.push(format!("size={}", need("a size such as 64m")?)),
            "tmpfs-mode" => {
                let x = need("an octal mode")?;
                if u32::from_str_radix(&x, 8).is_err() {
                    return Err(bad(format!("tmpfs-mode={x}: not an octal mode")));
                }
                tmpfs_opts.push(format!("mode={x}"));
            }
            "tmpcopyup" | "notmpcopyup" | "noexec" | "exec" | "nosuid" | "suid" | "nodev" | "dev" => {
                tmpfs_opts.push(k.to_string())
            }
            _ => return Err(bad(format!("unknown option {k}"))),
        }
    }
    let Some(kind) = kind else {
        return Err(bad("type is required (bind, volume or tmpfs)".into()));
    };
    let Some(dst) = target else {
        return Err(bad("target is required".into()));
    };
    if !dst.starts_with('/') || normalize_abs(&dst) == "/" {
        return Err(bad(format!("target {dst} must be an absolute path other than /")));
    }
    m.kind = kind;
    m.destination = normalize_abs(&dst);
    if !tmpfs_opts.is_empty() && kind != MountKind::Tmpfs {
        return Err(bad(format!("{} applies to type=tmpfs only", tmpfs_opts[0])));
    }
    match kind {
        MountKind::Bind => {
            let Some(src) = source else {
                return Err(bad("type=bind needs a source".into()));
            };
            if !src.starts_with('/') {
                return Err(bad(format!("source {src} must be an absolute path")));
            }
            if m.nocopy {
                return Err(bad("volume-nocopy applies to volumes".into()));
            }
            m.source = src;
        }
        MountKind::Volume => {
            if let Some(src) = source {
                validate_volume_name(&src).map_err(bad)?;
                m.source = src;
            }
        }
        MountKind::Tmpfs => {
            if source.is_some() {
                return Err(bad("type=tmpfs takes no source".into()));
            }
            let mut opts = vec!["rw".to_string(), "noexec".into(), "nosuid".into(), "nodev".into()];
            opts.extend(tmpfs_opts);
            if m.read_only {
                opts.push("ro".into());
            }
            m.options = opts.join(",");
            tmpfs_options(&m.options).map_err(bad)?;
        }
    }
    Ok(m)
}

/// `--tmpfs /path[:OPTIONS]` (options as mount(8)'s for tmpfs; as Podman, noexec, nosuid and
/// nodev unless exec, suid or dev say otherwise, and the image's content at that path copied
/// in unless notmpcopyup).
pub fn parse_tmpfs(v: &str) -> Result<MountSpec> {
    let (dst, opts) = v.split_once(':').unwrap_or((v, ""));
    if !dst.starts_with('/') || normalize_abs(dst) == "/" {
        crate::bail!("--tmpfs {v}: {dst} must be an absolute path other than /");
    }
    let options = if opts.is_empty() {
        "rw,noexec,nosuid,nodev".to_string()
    } else {
        opts.to_string()
    };
    let t = tmpfs_options(&options).map_err(|e| crate::err!("--tmpfs {v}: {e}"))?;
    Ok(MountSpec {
        kind: MountKind::Tmpfs,
        destination: normalize_abs(dst),
        read_only: t.read_only,
        options,
        ..Default::default()
    })
}

/// A tmpfs's options split into mount flags and the file system's own data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TmpfsOptions {
    pub read_only: bool,
    pub noexec: bool,
    pub nosuid: bool,
    pub nodev: bool,
    /// Copy the image's content at the mount point in (Podman's tmpcopyup, its default).
    pub copy_up: bool,
    /// size=, mode=, uid=, gid=, nr_inodes=, nr_blocks=: tmpfs's own options.
    pub data: String,
}

pub fn tmpfs_options(s: &str) -> std::result::Result<TmpfsOptions, String> {
    // Podman's defaults, which options given only override (exec, suid, dev).
    let mut t = TmpfsOptions {
        copy_up: true,
        noexec: true,
        nosuid: true,
        nodev: true,
        ..Default::default()
    };
    let mut data = Vec::new();
    for o in s.split(',').filter(|o| !o.is_empty()) {
        match o.split_once('=') {
            None => match o {
                "ro" => t.read_only = true,
                "rw" => t.read_only = false,
                "noexec" => t.noexec = true,
                "exec" => t.noexec = false,
                "nosuid" => t.nosuid = true,
                "suid" => t.nosuid = false,
                "nodev" => t.nodev = true,
                "dev" => t.nodev = false,
                "tmpcopyup" => t.copy_up = true,
                "notmpcopyup" => t.copy_up = false,
                _ => return Err(format!("unknown tmpfs option {o}")),
            },
            Some((k @ ("size" | "nr_blocks" | "nr_inodes"), x)) => {
                let digits = x.trim_end_matches(['k', 'K', 'm', 'M', 'g', 'G', '%']);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(format!("{k}={x}: not a size (such as 64m, 1g, 50%)"));
                }
                data.push(o.to_string());
            }
            Some(("mode", x)) => {
                if u32::from_str_radix(x, 8).map_or(true, |m| m > 0o7777) {
                    return Err(format!("mode={x}: not an octal mode"));
                }
                data.push(o.to_string());
            }
            Some((k @ ("uid" | "gid"), x)) => {
                if x.parse::<u32>().is_err() {
                    return Err(format!("{k}={x}: not a numeric id"));
                }
                data.push(o.to_string());
            }
            Some((k, _)) => return Err(format!("unknown tmpfs option {k}")),
        }
    }
    t.data = data.join(",");
    Ok(t)
}

pub fn validate_volume_name(n: &str) -> std::result::Result<(), String> {
    let mut b = n.bytes();
    let first_ok = b.next().is_some_and(|c| c.is_ascii_alphanumeric());
    if first_ok && n.len() <= 128 && n.bytes().all(|c| c.is_ascii_alphanumeric() || b"_.-".contains(&c)) {
        Ok(())
    } else {
        Err(format!(
            "\"{n}\" is not a valid volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_id_takes_podmans_uid_and_gid_options() {
        assert_eq!(
            parse_userns_ids(Some("keep-id:uid=1000,gid=100")).unwrap(),
            (UsernsMode::KeepId, None, (Some(1000), Some(100)))
        );
        assert_eq!(
            parse_userns_ids(Some("keep-id:uid=0")).unwrap(),
            (UsernsMode::KeepId, None, (Some(0), None))
        );
        assert_eq!(
            parse_userns_ids(Some("keep-id")).unwrap(),
            (UsernsMode::KeepId, None, (None, None))
        );
        for (bad, needle) in [
            ("keep-id:uid=x", "uid=x: not a user or group id"),
            ("keep-id:gid=4294967295", "not a user or group id"),
            ("keep-id:size=5", "unknown option \"size=5\""),
            ("keep-id:", "unknown option"),
        ] {
            let e = parse_userns_ids(Some(bad)).unwrap_err().message;
            assert!(e.contains(needle), "{bad}: {e}");
        }
    }

    #[test]
    fn idmaps_parse_as_podmans() {
        let e = parse_idmap("--uidmap", "0:1:1000").unwrap();
        assert_eq!((e.container, e.host, e.size, e.host_level), (0, 1, 1000, false));
        assert!(parse_idmap("--uidmap", "0:@4711:1").unwrap().host_level);
        for bad in [
            "0:1",
            "0:1:0",
            "a:1:2",
            "0:1:2:3",
            "+0:1:2",
            "4294967295:0:2",
            "-1:0:1",
            "",
        ] {
            assert!(parse_idmap("--uidmap", bad).is_err(), "{bad}");
        }
        let (u, g) = parse_idmaps(&["0:1:10".into()], &[]).unwrap();
        assert_eq!(u, g);
        assert!(parse_idmaps(&["0:1:10".into(), "5:100:10".into()], &[]).is_err());
        assert!(parse_idmaps(&["0:1:10".into(), "100:5:10".into()], &[]).is_err());
        assert!(parse_idmaps(&["0:1:10".into(), "10:11:10".into()], &[]).is_ok());
    }

    fn img() -> ImageConfig {
        ImageConfig {
            env: vec!["PATH=/bin".into(), "A=1".into()],
            entrypoint: vec!["/ep".into()],
            cmd: vec!["c1".into(), "c2".into()],
            workdir: "/w".into(),
            user: "tester".into(),
            ..Default::default()
        }
    }
    const ID: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn entrypoint_and_cmd_like_docker() {
        let none = |_: &str| None;
        let s = build(&img(), &RunOptions::default(), ID, &none).unwrap();
        assert_eq!(s.args(), ["/ep", "c1", "c2"]);
        let o = RunOptions {
            command: vec!["x".into()],
            ..Default::default()
        };
        assert_eq!(build(&img(), &o, ID, &none).unwrap().args(), ["/ep", "x"]);
        let o = RunOptions {
            entrypoint: Some("/bin/sh".into()),
            ..Default::default()
        };
        assert_eq!(build(&img(), &o, ID, &none).unwrap().args(), ["/bin/sh"]);
        let o = RunOptions {
            entrypoint: Some(r#"["/bin/sh","-c"]"#.into()),
            command: vec!["id".into()],
            ..Default::default()
        };
        assert_eq!(build(&img(), &o, ID, &none).unwrap().args(), ["/bin/sh", "-c", "id"]);
        let empty = ImageConfig::default();
        assert!(build(&empty, &RunOptions::default(), ID, &none)
            .unwrap_err()
            .to_string()
            .contains("no command"));
    }

    #[test]
    fn env_order_and_defaults() {
        let host = |k: &str| (k == "HOSTVAR").then(|| "hv".to_string());
        let o = RunOptions {
            env: vec!["A=2".into(), "HOSTVAR".into(), "MISSING".into()],
            env_file_lines: vec!["# c".into(), "B=3".into(), "A=0".into()],
            hostname: Some("box".into()),
            ..Default::default()
        };
        let s = build(&img(), &o, ID, &host).unwrap();
        assert_eq!(s.env_value("A"), Some("2"));
        assert_eq!(s.env_value("B"), Some("3"));
        assert_eq!(s.env_value("HOSTVAR"), Some("hv"));
        assert_eq!(s.env_value("MISSING"), None);
        assert_eq!(s.env_value("PATH"), Some("/bin"));
        assert_eq!(s.env_value("HOSTNAME"), Some("box"));
        assert_eq!(s.workdir, "/w");
        assert_eq!(s.user, "tester");
        let s = build(
            &ImageConfig {
                cmd: vec!["x".into()],
                ..Default::default()
            },
            &RunOptions::default(),
            ID,
            &host,
        )
        .unwrap();
        assert_eq!(s.env_value("PATH"), Some(&DEFAULT_PATH[5..]));
        assert_eq!(s.hostname, "0123456789ab");
        assert_eq!(s.caps.len(), 11);
        assert_eq!(s.seccomp, Seccomp::Default);
    }

    #[test]
    fn podman_default_env_under_conf_image_and_user() {
        let none = |_: &str| None;
        let s = build(&img(), &RunOptions::default(), ID, &none).unwrap();
        assert_eq!(
            (s.env_value("TERM"), s.env_value("container"), s.env_value("HOSTNAME")),
            (Some("xterm"), Some("hutch"), Some("0123456789ab"))
        );
        // containers.conf over the defaults, the image over containers.conf, -e over all.
        let image = ImageConfig {
            env: vec!["TERM=dumb".into(), "container=oci".into(), "HOSTNAME=img".into()],
            ..img()
        };
        let o = RunOptions {
            default_env: vec!["TERM=vt100".into()],
            ..Default::default()
        };
        let s = build(&image, &o, ID, &none).unwrap();
        assert_eq!(
            (s.env_value("TERM"), s.env_value("container"), s.env_value("HOSTNAME")),
            (Some("dumb"), Some("oci"), Some("img"))
        );
        let s = build(&img(), &o, ID, &none).unwrap();
        assert_eq!(s.env_value("TERM"), Some("vt100"));
        let o = RunOptions {
            env: vec!["TERM=linux".into(), "container=x".into(), "HOSTNAME=h".into()],
            tty: true,
            ..Default::default()
        };
        let s = build(&image, &o, ID, &none).unwrap();
        assert_eq!(
            (s.env_value("TERM"), s.env_value("container"), s.env_value("HOSTNAME")),
            (Some("linux"), Some("x"), Some("h"))
        );
        // One entry per key.
        assert_eq!(s.env.iter().filter(|e| e.starts_with("TERM=")).count(), 1);
        // The caller's (--env-host, --http-proxy) over the image's, under --env-file's and -e's.
        let o = RunOptions {
            caller_env: vec![
                "TERM=host".into(),
                "http_proxy=http://caller:1".into(),
                "HOSTNAME=c".into(),
            ],
            env_file_lines: vec!["HOSTNAME=file".into()],
            ..Default::default()
        };
        let s = build(&image, &o, ID, &none).unwrap();
        assert_eq!(
            (s.env_value("TERM"), s.env_value("http_proxy"), s.env_value("HOSTNAME")),
            (Some("host"), Some("http://caller:1"), Some("file"))
        );
    }

    #[test]
    fn containers_conf_defaults() {
        let none = |_: &str| None;
        let o = RunOptions {
            default_caps: Some(vec!["CAP_CHOWN".into(), "CAP_NET_RAW".into()]),
            default_env: vec!["A=conf".into(), "ONLY=conf".into(), "PATH=/conf".into()],
            env: vec!["ONLY=user".into()],
            cap_drop: vec!["net_raw".into()],
            cap_add: vec!["kill".into()],
            log_size_max: Some(8192),
            ..Default::default()
        };
        let s = build(&img(), &o, ID, &none).unwrap();
        // The image's values beat containers.conf's, -e beats both.
        assert_eq!(
            (s.env_value("A"), s.env_value("ONLY"), s.env_value("PATH")),
            (Some("1"), Some("user"), Some("/bin"))
        );
        assert_eq!(s.caps, ["CAP_CHOWN", "CAP_KILL"]);
        assert_eq!(s.log_size_max, Some(8192));
        let t = RunOptions {
            tz: Some(("Asia/Tokyo".into(), "/usr/share/zoneinfo/Asia/Tokyo".into())),
            ..Default::default()
        };
        let s = build(&img(), &t, ID, &none).unwrap();
        assert_eq!(s.env_value("TZ"), Some("Asia/Tokyo"));
        assert_eq!(
            s.mounts,
            [MountSpec {
                kind: MountKind::Bind,
                source: "/usr/share/zoneinfo/Asia/Tokyo".into(),
                destination: "/etc/localtime".into(),
                read_only: true,
                ..Default::default()
            }]
        );
        let t2 = RunOptions {
            tz: t.tz.clone(),
            env: vec!["TZ=UTC".into()],
            volumes: vec!["/h:/etc/localtime:ro".into()],
            ..Default::default()
        };
        let s = build(&img(), &t2, ID, &none).unwrap();
        assert_eq!(s.env_value("TZ"), Some("UTC"), "-e beats tz");
        assert_eq!(
            (s.mounts.len(), s.mounts[0].source.as_str()),
            (1, "/h"),
            "a -v on /etc/localtime beats tz"
        );
        // An image without PATH gets containers.conf's, not the built-in one.
        let s = build(
            &ImageConfig {
                cmd: vec!["x".into()],
                ..Default::default()
            },
            &o,
            ID,
            &none,
        )
        .unwrap();
        assert_eq!(s.env_value("PATH"), Some("/conf"));
    }

    #[test]
    fn volumes() {
        assert_eq!(
            parse_volume("/h:/c/:ro").unwrap(),
            MountSpec {
                kind: MountKind::Bind,
                source: "/h".into(),
                destination: "/c".into(),
                read_only: true,
                ..Default::default()
            }
        );
        assert_eq!(parse_volume("data:/d").unwrap().kind, MountKind::Volume);
        assert_eq!(parse_volume("/anon").unwrap().source, "");
        assert!(parse_volume("rel/x:/d").is_err());
        assert!(parse_volume("./x:/d").is_err());
        assert!(parse_volume("/h:rel").is_err());
        assert!(parse_volume("/h:/d:bogus").is_err());
        assert!(parse_volume("/h:/").is_err());
        assert!(parse_volume("bad name:/d").is_err());
        let v = parse_volume("data:/d:U,z,Z,nocopy,ro").unwrap();
        assert_eq!((v.chown, v.nocopy, v.read_only), (true, true, true));
        assert!(parse_volume("/h:/d:nocopy").is_err());
    }

    #[test]
    fn mounts_and_tmpfs() {
        let m = parse_mount("type=volume,source=data,target=/d,readonly").unwrap();
        assert_eq!(
            (m.kind, m.source.as_str(), m.destination.as_str(), m.read_only),
            (MountKind::Volume, "data", "/d", true)
        );
        let m = parse_mount("type=bind,src=/h,dst=/c/,ro=false").unwrap();
        assert_eq!(
            (m.kind, m.source.as_str(), m.destination.as_str(), m.read_only),
            (MountKind::Bind, "/h", "/c", false)
        );
        let m = parse_mount("type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=700").unwrap();
        assert_eq!(m.kind, MountKind::Tmpfs);
        let t = tmpfs_options(&m.options).unwrap();
        assert_eq!((t.noexec, t.data.as_str()), (true, "size=1m,mode=700"));
        assert_eq!(parse_mount("type=volume,target=/anon").unwrap().source, "");
        for bad in [
            "source=x,target=/d",
            "type=nfs,target=/d",
            "type=bind,target=/d",
            "type=bind,source=rel,target=/d",
            "type=volume,source=x",
            "type=volume,source=x,target=/d,bogus=1",
            "type=tmpfs,source=x,target=/d",
            "type=bind,source=/h,target=/d,tmpfs-size=1m",
            "type=tmpfs,target=/d,tmpfs-mode=999",
        ] {
            assert!(parse_mount(bad).is_err(), "{bad}");
        }
        let t = parse_tmpfs("/run/x").unwrap();
        assert_eq!(
            (t.kind, t.options.as_str()),
            (MountKind::Tmpfs, "rw,noexec,nosuid,nodev")
        );
        let t = parse_tmpfs("/x:ro,size=2m,notmpcopyup").unwrap();
        assert!(t.read_only);
        assert!(!tmpfs_options(&t.options).unwrap().copy_up);
        assert!(parse_tmpfs("rel").is_err());
        assert!(parse_tmpfs("/x:size=lots").is_err());
        assert!(parse_tmpfs("/x:bogus").is_err());
    }

    #[test]
    fn security_opts_and_signals() {
        let none = |_: &str| None;
        let o = RunOptions {
            security_opt: vec!["seccomp=unconfined".into(), "no-new-privileges".into()],
            ..Default::default()
        };
        let s = build(&img(), &o, ID, &none).unwrap();
        assert_eq!((&s.seccomp, s.no_new_privileges), (&Seccomp::Unconfined, true));
        let o = RunOptions {
            security_opt: vec!["bogus".into()],
            ..Default::default()
        };
        assert!(build(&img(), &o, ID, &none).unwrap_err().to_string().contains("bogus"));
        assert_eq!(signal::parse_signal("SIGKILL").unwrap(), 9);
        assert_eq!(signal::parse_signal("term").unwrap(), 15);
        assert_eq!(signal::parse_signal("10").unwrap(), 10);
        assert!(signal::parse_signal("FOO").is_err());
        let o = RunOptions {
            privileged: true,
            ..Default::default()
        };
        assert_eq!(build(&img(), &o, ID, &none).unwrap().seccomp, Seccomp::Unconfined);
    }
}
