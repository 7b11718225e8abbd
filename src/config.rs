//! The containers' configuration files hutch shares with Podman: registries.conf (which
//! registries are insecure), auth.json (credentials), certs.d (extra CAs) and containers.conf
//! (the defaults of new containers).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine;
use serde::Deserialize;

use crate::error::{Context, Result};

// ---------- registries.conf ----------

#[derive(Debug, Default, Deserialize)]
struct RegistriesFile {
    #[serde(default)]
    registry: Vec<RegistryEntry>,
    /// v1 format: `[registries.insecure] registries = [...]`
    #[serde(default)]
    registries: Option<V1Registries>,
}

#[derive(Debug, Default, Deserialize)]
struct V1Registries {
    #[serde(default)]
    insecure: Option<V1List>,
}

#[derive(Debug, Default, Deserialize)]
struct V1List {
    #[serde(default)]
    registries: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct RegistryEntry {
    #[serde(default)]
    prefix: Option<String>,
    #[serde(default)]
    location: Option<String>,
    #[serde(default)]
    insecure: bool,
    #[serde(default)]
    blocked: bool,
    #[serde(default, rename = "mirror-by-digest-only")]
    mirror_by_digest_only: bool,
    #[serde(default)]
    mirror: Vec<MirrorEntry>,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct MirrorEntry {
    location: String,
    #[serde(default)]
    insecure: bool,
    /// "all" (the default), "digest-only" or "tag-only".
    #[serde(default, rename = "pull-from-mirror")]
    pull_from_mirror: Option<String>,
}

/// What registries.conf says about one registry.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RegistryPolicy {
    pub insecure: bool,
    pub blocked: bool,
}

/// One place an image can be pulled from: a mirror, or the (possibly rewritten) location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullSource {
    /// The reference to ask that registry for.
    pub reference: String,
    pub insecure: bool,
    pub mirror: bool,
}

/// registries.conf files in precedence order: CONTAINERS_REGISTRIES_CONF alone when set, else
/// the user's file, then the system one; each followed by its `.d` drop-ins.
fn registries_conf_files() -> Vec<PathBuf> {
    if let Some(p) = std::env::var_os("CONTAINERS_REGISTRIES_CONF") {
        return vec![PathBuf::from(p)];
    }
    let mut files = Vec::new();
    let mut add = |base: PathBuf| {
        let d = base.with_extension("conf.d");
        if let Ok(rd) = std::fs::read_dir(&d) {
            let mut v: Vec<PathBuf> = rd
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "conf"))
                .collect();
            v.sort();
            v.reverse();
            files.extend(v);
        }
        files.push(base);
    };
    if let Some(c) = crate::paths::config_home() {
        add(c.join("containers/registries.conf"));
    }
    add(PathBuf::from("/etc/containers/registries.conf"));
    files
}

/// How much of `reference` (`host/path[:tag][@digest]`) the registries.conf `prefix` matches, as
/// containers-registries.conf(5) says: the whole prefix followed by the end, `/`, `:` or `@`;
/// `*.example.com` matches hosts under example.com.
fn prefix_match(reference: &str, prefix: &str) -> Option<usize> {
    if let Some(domain) = prefix.strip_prefix("*.") {
        let host_end = reference.find('/').unwrap_or(reference.len());
        let host = &reference[..host_end];
        return host.ends_with(&format!(".{domain}")).then_some(host_end);
    }
    let prefix = prefix.trim_end_matches('/');
    let rest = reference.strip_prefix(prefix)?;
    // After a bare host, a ':' starts a port: example.com does not match example.com:5000/x.
    let after: &[char] = if prefix.contains('/') { &['/', ':', '@'] } else { &['/'] };
    (rest.is_empty() || rest.starts_with(after)).then_some(prefix.len())
}

/// The `[[registry]]` entry with the longest prefix matching `reference`, and the matched length.
fn best_entry<'a>(f: &'a RegistriesFile, reference: &str) -> Option<(&'a RegistryEntry, usize, &'a str)> {
    let mut best: Option<(&RegistryEntry, usize, &str)> = None;
    for e in &f.registry {
        let Some(prefix) = e.prefix.as_deref().or(e.location.as_deref()) else {
            continue;
        };
        if let Some(n) = prefix_match(reference, prefix) {
            if best.is_none_or(|(_, _, p)| prefix.len() > p.len()) {
                best = Some((e, n, prefix));
            }
        }
    }
    best
}

/// Parse registries.conf text and say what applies to `name` (`registry/repo`).
pub fn policy_from(text: &str, file: &Path, name: &str) -> Result<Option<RegistryPolicy>> {
    let f: RegistriesFile = toml::from_str(text).ctx(|| format!("parsing {}", file.display()))?;
    let mut best = best_entry(&f, name).map(|(e, n, _)| {
        (
            n,
            RegistryPolicy {
                insecure: e.insecure,
                blocked: e.blocked,
            },
        )
    });
    if best.is_none() {
        let registry = name.split('/').next().unwrap_or(name);
        if let Some(v1) = f.registries.and_then(|r| r.insecure) {
            if v1.registries.iter().any(|r| r == registry) {
                best = Some((
                    registry.len(),
                    RegistryPolicy {
                        insecure: true,
                        blocked: false,
                    },
                ));
            }
        }
    }
    Ok(best.map(|b| b.1))
}

/// The policy for `registry/repo` from the first file that mentions it.
pub fn registry_policy(name: &str) -> Result<RegistryPolicy> {
    for file in registries_conf_files() {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        if let Some(p) = policy_from(&text, &file, name)? {
            return Ok(p);
        }
    }
    Ok(RegistryPolicy::default())
}

/// Where to pull `reference` (normalised, `host/path:tag` or `…@digest`) from, in order, by
/// registries.conf text: the matching `[[registry]]`'s mirrors first (those its
/// `mirror-by-digest-only` or their `pull-from-mirror` allow for this reference), then its
/// `location` (the prefix rewritten to it). None when no v2 entry matches.
pub fn sources_from(text: &str, file: &Path, reference: &str) -> Result<Option<Vec<PullSource>>> {
    let f: RegistriesFile = toml::from_str(text).ctx(|| format!("parsing {}", file.display()))?;
    let Some((e, n, prefix)) = best_entry(&f, reference) else {
        return Ok(None);
    };
    if e.blocked {
        crate::bail!(
            "{reference}: registry blocked by {} ([[registry]] prefix \"{prefix}\")",
            file.display()
        );
    }
    let rest = &reference[n..];
    let by_digest = reference.contains('@');
    let rewrite = |location: &str, what: &str| -> Result<String> {
        let r = format!("{}{rest}", location.trim_end_matches('/'));
        crate::reference::ImageRef::parse(&r)
            .map(|i| i.to_string())
            .map_err(|err| {
                crate::err!(
                    "{}: [[registry]] prefix \"{prefix}\": {what} \"{location}\" gives {}",
                    file.display(),
                    err.message
                )
            })
    };
    let mut out = Vec::new();
    for m in &e.mirror {
        let wanted = match m.pull_from_mirror.as_deref().unwrap_or("all") {
            _ if e.mirror_by_digest_only => by_digest,
            "all" | "" => true,
            "digest-only" => by_digest,
            "tag-only" => !by_digest,
            other => crate::bail!(
                "{}: [[registry.mirror]] {}: pull-from-mirror = \"{other}\" (use all, digest-only or tag-only)",
                file.display(),
                m.location
            ),
        };
        if wanted {
            out.push(PullSource {
                reference: rewrite(&m.location, "mirror location")?,
                insecure: m.insecure,
                mirror: true,
            });
        }
    }
    let primary = match &e.location {
        Some(l) if !l.is_empty() && !prefix.starts_with("*.") => rewrite(l, "location")?,
        _ => reference.to_string(),
    };
    out.push(PullSource {
        reference: primary,
        insecure: e.insecure,
        mirror: false,
    });
    Ok(Some(out))
}

/// Where to pull `reference` from: by the first registries.conf file with a `[[registry]]` for
/// it, else the reference itself (insecure when a v1 `[registries.insecure]` list names it).
pub fn pull_sources(image: &crate::reference::ImageRef) -> Result<Vec<PullSource>> {
    let reference = image.to_string();
    for file in registries_conf_files() {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        if let Some(s) = sources_from(&text, &file, &reference)? {
            return Ok(s);
        }
    }
    Ok(vec![PullSource {
        reference,
        insecure: registry_policy(&image.name())?.insecure,
        mirror: false,
    }])
}

/// The registries.conf files that exist, and the keys they set that hutch does not use
/// (`unqualified-search-registries`, `[aliases]`, …), for `hutch info`.
pub fn registries_conf_report() -> (Vec<PathBuf>, Vec<String>) {
    const REGISTRY_KEYS: &[&str] = &[
        "prefix",
        "location",
        "insecure",
        "blocked",
        "mirror-by-digest-only",
        "mirror",
    ];
    const MIRROR_KEYS: &[&str] = &["location", "insecure", "pull-from-mirror"];
    let (mut files, mut ignored) = (Vec::new(), Vec::new());
    let mut note = |k: String| {
        if !ignored.contains(&k) {
            ignored.push(k);
        }
    };
    for file in registries_conf_files() {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        files.push(file);
        let Ok(t) = text.parse::<toml::Table>() else { continue };
        for (k, v) in &t {
            match (k.as_str(), v) {
                ("registry", toml::Value::Array(entries)) => {
                    for e in entries.iter().filter_map(|e| e.as_table()) {
                        for (rk, rv) in e {
                            if !REGISTRY_KEYS.contains(&rk.as_str()) {
                                note(format!("registry.{rk}"));
                            } else if rk == "mirror" {
                                for m in rv.as_array().into_iter().flatten().filter_map(|m| m.as_table()) {
                                    m.keys()
                                        .filter(|mk| !MIRROR_KEYS.contains(&mk.as_str()))
                                        .for_each(|mk| note(format!("registry.mirror.{mk}")));
                                }
                            }
                        }
                    }
                }
                ("registries", toml::Value::Table(v1)) => {
                    v1.keys()
                        .filter(|x| *x != "insecure")
                        .for_each(|x| note(format!("registries.{x}")));
                }
                _ => note(k.clone()),
            }
        }
    }
    (files, ignored)
}

// ---------- auth.json ----------

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

/// Where `login` writes: --authfile, REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json
/// (or $XDG_CONFIG_HOME/containers/auth.json when there is no usable runtime dir).
pub fn auth_file_for_write(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("REGISTRY_AUTH_FILE") {
        return Ok(PathBuf::from(p));
    }
    if let Some(r) = crate::paths::xdg_runtime_dir() {
        return Ok(r.join("containers/auth.json"));
    }
    crate::paths::config_home()
        .map(|c| c.join("containers/auth.json"))
        .ctx(|| "no place for auth.json: set XDG_RUNTIME_DIR, XDG_CONFIG_HOME or HOME")
}

/// Files credentials are read from, in order.
pub fn auth_files_for_read(explicit: Option<&Path>) -> Vec<PathBuf> {
    if let Some(p) = explicit {
        return vec![p.to_path_buf()];
    }
    if let Some(p) = std::env::var_os("REGISTRY_AUTH_FILE") {
        return vec![PathBuf::from(p)];
    }
    let mut v = Vec::new();
    if let Some(r) = crate::paths::xdg_runtime_dir() {
        v.push(r.join("containers/auth.json"));
    }
    if let Some(c) = crate::paths::config_home() {
        v.push(c.join("containers/auth.json"));
    }
    if let Some(h) = crate::paths::home() {
        v.push(h.join(".docker/config.json"));
    }
    v
}

/// `https://index.docker.io/v1/` -> `docker.io`; `http://host:5000/` -> `host:5000`.
pub fn normalize_auth_key(key: &str) -> String {
    let k = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let k = k.trim_end_matches('/');
    let k = k.strip_suffix("/v1").or_else(|| k.strip_suffix("/v2")).unwrap_or(k);
    match k {
        "index.docker.io" | "registry-1.docker.io" => "docker.io".into(),
        _ => k.to_string(),
    }
}

fn decode_auth(entry: &serde_json::Value) -> Option<Credentials> {
    let enc = entry.get("auth")?.as_str()?;
    let raw = base64::engine::general_purpose::STANDARD.decode(enc.trim()).ok()?;
    let s = String::from_utf8(raw).ok()?;
    let (u, p) = s.split_once(':')?;
    Some(Credentials {
        username: u.into(),
        password: p.into(),
    })
}

/// Look `name` (`registry/ns/repo`) up in one auth.json text: the most specific key wins.
pub fn credentials_from(text: &str, name: &str) -> Option<Credentials> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let auths = v.get("auths")?.as_object()?;
    let keyed: BTreeMap<String, &serde_json::Value> = auths.iter().map(|(k, v)| (normalize_auth_key(k), v)).collect();
    let mut cand = name;
    loop {
        if let Some(c) = keyed.get(cand).and_then(|e| decode_auth(e)) {
            return Some(c);
        }
        cand = cand.rsplit_once('/')?.0;
    }
}

/// Credentials for `name` from the first auth file that has some.
pub fn find_credentials(name: &str, explicit: Option<&Path>) -> Result<Option<Credentials>> {
    for f in auth_files_for_read(explicit) {
        match std::fs::read_to_string(&f) {
            Ok(text) => {
                if serde_json::from_str::<serde_json::Value>(&text).is_err() {
                    crate::bail!("{} is not valid JSON", f.display());
                }
                if let Some(c) = credentials_from(&text, name) {
                    return Ok(Some(c));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => crate::bail!("reading {}: {e}", f.display()),
        }
    }
    Ok(None)
}

fn load_auth_doc(path: &Path) -> Result<serde_json::Value> {
    match std::fs::read_to_string(path) {
        Ok(t) => serde_json::from_str(&t).ctx(|| format!("{} is not valid JSON", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(serde_json::json!({"auths": {}})),
        Err(e) => Err(crate::err!("reading {}: {e}", path.display())),
    }
}

fn save_auth_doc(path: &Path, doc: &serde_json::Value) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if let Some(d) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(d)
            .ctx(|| format!("creating {}", d.display()))?;
    }
    let mut data = serde_json::to_vec_pretty(doc).expect("json");
    data.push(b'\n');
    crate::fault::point("before:write-auth");
    crate::sys::fs::write_atomic(path, &data, 0o600).ctx(|| format!("writing {}", path.display()))?;
    crate::fault::point("after:write-auth");
    Ok(())
}

/// Store credentials for `key` (a registry, or registry/namespace) the way Podman does.
pub fn store_credentials(path: &Path, key: &str, c: &Credentials) -> Result<()> {
    let mut doc = load_auth_doc(path)?;
    let enc = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", c.username, c.password));
    if !doc.get("auths").is_some_and(|a| a.is_object()) {
        doc["auths"] = serde_json::json!({});
    }
    doc["auths"][key] = serde_json::json!({ "auth": enc });
    save_auth_doc(path, &doc)
}

/// Remove credentials for `key` (or all with `None`). Returns whether anything was removed.
pub fn remove_credentials(path: &Path, key: Option<&str>) -> Result<bool> {
    let mut doc = load_auth_doc(path)?;
    let Some(auths) = doc.get_mut("auths").and_then(|a| a.as_object_mut()) else {
        return Ok(false);
    };
    let removed = match key {
        None => {
            let any = !auths.is_empty();
            auths.clear();
            any
        }
        Some(k) => {
            let before = auths.len();
            auths.retain(|name, _| normalize_auth_key(name) != k);
            before != auths.len()
        }
    };
    if removed {
        save_auth_doc(path, &doc)?;
    }
    Ok(removed)
}

// ---------- certs.d ----------

/// PEM files of extra CAs for `registry` from certs.d directories (Podman's and Docker's).
pub fn registry_ca_files(registry: &str) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(c) = crate::paths::config_home() {
        dirs.push(c.join("containers/certs.d").join(registry));
    }
    dirs.push(Path::new("/etc/containers/certs.d").join(registry));
    dirs.push(Path::new("/etc/docker/certs.d").join(registry));
    let mut out = Vec::new();
    for d in dirs {
        if let Ok(rd) = std::fs::read_dir(&d) {
            let mut v: Vec<PathBuf> = rd
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "crt"))
                .collect();
            v.sort();
            out.extend(v);
        }
    }
    out
}

// ---------- containers.conf ----------

/// The parts of one containers.conf file hutch uses; every other key is ignored.
#[derive(Debug, Default, Deserialize)]
struct ContainersConfFile {
    #[serde(default)]
    containers: ConfContainers,
    #[serde(default)]
    network: ConfNetwork,
    #[serde(default)]
    engine: ConfEngine,
}

#[derive(Debug, Default, Deserialize)]
struct ConfEngine {
    events_logger: Option<String>,
    events_logfile_path: Option<String>,
    /// Bytes, or a number with a k/m/g suffix ("1m"); a TOML integer is taken too.
    events_logfile_max_size: Option<toml::Value>,
    /// bind, tmpfs or ignore: what run does with an image's VOLUMEs.
    image_volume_mode: Option<String>,
    /// The pods' infra image instead of hutch's pause image.
    infra_image: Option<String>,
    /// slirp4netns's options (`allow_host_loopback=true`, …) for every container on it.
    network_cmd_options: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
struct ConfContainers {
    default_capabilities: Option<Vec<String>>,
    log_size_max: Option<i64>,
    env: Option<Vec<String>>,
    dns_servers: Option<Vec<String>>,
    dns_searches: Option<Vec<String>>,
    dns_options: Option<Vec<String>>,
    /// A file on the host, "image", "none" or "" (hutch's default).
    base_hosts_file: Option<String>,
    /// "" or "host" (the default: the user's subordinate ids), or "keep-id".
    userns: Option<String>,
    /// "private", "bridge", "host", "none", "pasta" or "slirp4netns".
    netns: Option<String>,
    /// An IANA zone name or "local".
    tz: Option<String>,
    /// Whether the caller's proxy variables go into containers (--http-proxy's default).
    http_proxy: Option<bool>,
    /// The address /etc/hosts gives host.containers.internal ("none": no such line).
    host_containers_internal_ip: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct ConfNetwork {
    default_rootless_network_cmd: Option<String>,
}

/// The containers.conf keys hutch uses; `hutch info` lists the others the files set.
const USED_KEYS: &[&str] = &[
    "containers.default_capabilities",
    "containers.log_size_max",
    "containers.env",
    "containers.dns_servers",
    "containers.dns_searches",
    "containers.dns_options",
    "containers.base_hosts_file",
    "containers.userns",
    "containers.netns",
    "containers.tz",
    "containers.http_proxy",
    "containers.host_containers_internal_ip",
    "network.default_rootless_network_cmd",
    "engine.events_logger",
    "engine.events_logfile_path",
    "engine.events_logfile_max_size",
    "engine.image_volume_mode",
    "engine.infra_image",
    "engine.network_cmd_options",
];

/// The effective containers.conf settings and where each came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainersConf {
    /// The files read, in order (later ones override earlier ones, key by key).
    pub files: Vec<PathBuf>,
    /// `[containers] netns` ("private", "host", "none", "pasta" or "slirp4netns") and the file
    /// that set it.
    #[serde(skip)]
    pub netns: Option<(String, PathBuf)>,
    /// `[network] default_rootless_network_cmd` (pasta or slirp4netns) and the file that set it.
    #[serde(skip)]
    pub network_cmd: Option<(String, PathBuf)>,
    /// Capabilities a container starts from (CAP_ names); None means Podman's default set.
    pub default_capabilities: Option<Vec<String>>,
    /// Bytes a detached container's log may reach before it is truncated; -1 = unlimited.
    pub log_size_max: i64,
    /// KEY=VALUE set in every container (under the image's and -e's values).
    pub env: Vec<String>,
    /// DNS servers when --dns is absent.
    pub dns_servers: Vec<String>,
    /// Search domains when --dns-search is absent.
    pub dns_searches: Vec<String>,
    /// resolv.conf options when --dns-option is absent.
    pub dns_options: Vec<String>,
    /// What a container's /etc/hosts starts from: a host file, "image" (the image's
    /// /etc/hosts) or "none"; None: hutch's default (nothing, or the host's with --network host).
    pub base_hosts_file: Option<String>,
    /// The user namespace mode without --userns: None (the user's subordinate ids), "keep-id",
    /// "nomap" or "auto[:size=N]".
    pub userns: Option<String>,
    /// Keys the files set that hutch does not use (`table.key`), for `hutch info`.
    pub ignored_keys: Vec<String>,
    /// Time zone of new containers: an IANA name (`Europe/Berlin`) or `local` (the host's).
    pub tz: Option<String>,
    /// `[containers] http_proxy`: --http-proxy's default (None: true).
    pub http_proxy: Option<bool>,
    /// `[containers] host_containers_internal_ip`: host.containers.internal's address in
    /// /etc/hosts instead of the one hutch picks ("none": no such line).
    pub host_containers_internal_ip: Option<String>,
    /// `[engine] events_logger`: file, journald or none (hutch writes the file for journald).
    pub events_logger: Option<String>,
    /// `[engine] image_volume_mode`: bind, tmpfs or ignore (None: bind).
    pub image_volume_mode: Option<String>,
    /// `[engine] events_logfile_path`: the event log instead of `<runtime dir>/events/events.log`.
    pub events_logfile_path: Option<PathBuf>,
    /// `[engine] events_logfile_max_size` in bytes (0: no limit).
    pub events_logfile_max_size: Option<u64>,
    /// `[engine] infra_image`: the pods' infra image without --infra-image (None: hutch's
    /// pause image, made locally).
    pub infra_image: Option<String>,
    /// `[engine] network_cmd_options`: slirp4netns's options (OPT=VALUE) for every container
    /// on slirp4netns, before its own `--network slirp4netns:` ones (which win), as Podman's.
    pub network_cmd_options: Vec<String>,
}

/// containers.conf files in the order they apply, as Podman reads them: CONTAINERS_CONF alone
/// when set; else /usr/share/containers, /etc/containers and $XDG_CONFIG_HOME/containers (each
/// `containers.conf` then its `containers.conf.d/*.conf`), then hutch's own
/// $XDG_CONFIG_HOME/hutch/containers.conf; CONTAINERS_CONF_OVERRIDE last. Files that do not
/// exist are skipped, except the ones named by the environment.
pub fn containers_conf_files() -> Vec<(PathBuf, bool)> {
    let mut files = Vec::new();
    let mut add = |base: PathBuf| {
        files.push((base.clone(), false));
        if let Ok(rd) = std::fs::read_dir(base.with_extension("conf.d")) {
            let mut v: Vec<PathBuf> = rd
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "conf"))
                .collect();
            v.sort();
            files.extend(v.into_iter().map(|p| (p, false)));
        }
    };
    match std::env::var_os("CONTAINERS_CONF").filter(|v| !v.is_empty()) {
        Some(p) => files.push((PathBuf::from(p), true)),
        None => {
            add(PathBuf::from("/usr/share/containers/containers.conf"));
            add(PathBuf::from("/etc/containers/containers.conf"));
            if let Some(c) = crate::paths::config_home() {
                add(c.join("containers/containers.conf"));
                files.push((c.join("hutch/containers.conf"), false));
            }
        }
    }
    if let Some(p) = std::env::var_os("CONTAINERS_CONF_OVERRIDE").filter(|v| !v.is_empty()) {
        files.push((PathBuf::from(p), true));
    }
    files
}

/// "file:LINE:COL: message" for a TOML error, on one line.
fn toml_error(file: &Path, text: &str, e: &toml::de::Error) -> crate::error::Error {
    let msg = e
        .message()
        .lines()
        .next()
        .unwrap_or("invalid TOML")
        .trim_end_matches('.');
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
            crate::err!("{}:{line}:{col}: {msg}", file.display())
        }
        None => crate::err!("{}: {msg}", file.display()),
    }
}

/// The host file for time zone `tz` (`local` = the host's /etc/localtime) and the zone's name.
pub fn zoneinfo(tz: &str) -> Result<(PathBuf, String)> {
    let zones = Path::new("/usr/share/zoneinfo");
    if tz == "local" {
        let target = std::fs::canonicalize("/etc/localtime").ctx(|| "tz = local: reading /etc/localtime")?;
        let name = target
            .strip_prefix(zones)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| "UTC".into());
        return Ok((target, name));
    }
    let file = zones.join(tz);
    if !file.is_file() {
        crate::bail!("tz = {tz}: no such time zone ({} does not exist)", file.display());
    }
    Ok((file, tz.to_string()))
}

impl ContainersConf {
    /// The network mode for a container without --network, and the file that chose it: `netns`
    /// ("private": `default_rootless_network_cmd` if set, else "private", a namespace of the
    /// container's own), else `default_rootless_network_cmd` alone (a helper per container, as
    /// before the default network became the default); None = hutch's own choice (the
    /// default network).
    pub fn network(&self) -> Option<(&str, &Path)> {
        let cmd = self.network_cmd.as_ref().map(|(m, f)| (m.as_str(), f.as_path()));
        match &self.netns {
            Some((ns, file)) if ns == "private" => cmd.or(Some((ns, file))),
            Some((ns, file)) if !ns.is_empty() => Some((ns, file)),
            _ => cmd,
        }
    }

    /// Apply one file's text on top of what earlier files said.
    pub fn apply(&mut self, file: &Path, text: &str) -> Result<()> {
        let f: ContainersConfFile = toml::from_str(text).map_err(|e| toml_error(file, text, &e))?;
        let bad = |key: &str, what: String| crate::err!("{}: {key}: {what}", file.display());
        let c = f.containers;
        if let Some(caps) = c.default_capabilities {
            let mut set = Vec::new();
            for cap in &caps {
                let n = crate::spec::caps::normalize(cap).map_err(|e| bad("default_capabilities", e.message))?;
                if n == "ALL" {
                    set = crate::spec::caps::NAMES.iter().map(|s| s.to_string()).collect();
                } else if !set.contains(&n) {
                    set.push(n);
                }
            }
            self.default_capabilities = Some(set);
        }
        if let Some(n) = c.log_size_max {
            if n < -1 || n == 0 {
                return Err(bad(
                    "log_size_max",
                    format!("{n} is not a size in bytes (use a positive number, or -1 for no limit)"),
                ));
            }
            self.log_size_max = n;
        }
        if let Some(env) = c.env {
            for e in &env {
                if e.split('=').next().is_none_or(str::is_empty) || !e.contains('=') {
                    return Err(bad("env", format!("\"{e}\" is not KEY=VALUE")));
                }
            }
            self.env = env;
        }
        if let Some(d) = c.dns_servers {
            for s in &d {
                if s.parse::<std::net::IpAddr>().is_err() {
                    return Err(bad("dns_servers", format!("\"{s}\" is not an IP address")));
                }
            }
            self.dns_servers = d;
        }
        for (key, list, dest) in [
            ("dns_searches", c.dns_searches, &mut self.dns_searches),
            ("dns_options", c.dns_options, &mut self.dns_options),
        ] {
            if let Some(l) = list {
                if let Some(bad_item) = l.iter().find(|x| x.is_empty() || x.contains(char::is_whitespace)) {
                    return Err(bad(key, format!("{bad_item:?} is not a single word")));
                }
                *dest = l;
            }
        }
        if let Some(h) = c.http_proxy {
            self.http_proxy = Some(h);
        }
        if let Some(ip) = c.host_containers_internal_ip {
            match ip.as_str() {
                "" => self.host_containers_internal_ip = None,
                "none" => self.host_containers_internal_ip = Some(ip),
                a if a.parse::<std::net::IpAddr>().is_ok() => self.host_containers_internal_ip = Some(ip),
                _ => {
                    return Err(bad(
                        "host_containers_internal_ip",
                        format!("\"{ip}\" is neither an IP address nor none"),
                    ))
                }
            }
        }
        if let Some(b) = c.base_hosts_file {
            match b.as_str() {
                "" => self.base_hosts_file = None,
                "image" | "none" => self.base_hosts_file = Some(b),
                p if p.starts_with('/') => self.base_hosts_file = Some(b),
                _ => {
                    return Err(bad(
                        "base_hosts_file",
                        format!("\"{b}\" is neither an absolute path nor image or none"),
                    ))
                }
            }
        }
        if let Some(u) = c.userns {
            match u.as_str() {
                "" | "host" => self.userns = None,
                "keep-id" | "nomap" => self.userns = Some(u),
                a if a == "auto" || a.starts_with("auto:") || a.starts_with("keep-id:") => match crate::spec::parse_userns(Some(a)) {
                    Ok(_) => self.userns = Some(u),
                    Err(e) => return Err(bad("userns", e.message)),
                },
                _ => {
                    return Err(bad(
                        "userns",
                        format!(
                        "\"{u}\" is not a mode hutch supports (keep-id[:uid=N,gid=M], auto[:size=N], nomap, or host for the default)"
                    ),
                    ))
                }
            }
        }
        if let Some(tz) = c.tz {
            let ok = tz.split('/').all(|p| {
                !p.is_empty()
                    && p != "."
                    && p != ".."
                    && p.bytes().all(|b| b.is_ascii_alphanumeric() || b"_+-".contains(&b))
            });
            match tz.as_str() {
                "" => self.tz = None,
                _ if ok => self.tz = Some(tz),
                _ => {
                    return Err(bad(
                        "tz",
                        format!("\"{tz}\" is not a time zone name (like Europe/Berlin, or local)"),
                    ))
                }
            }
        }
        if let Some(cmd) = f.network.default_rootless_network_cmd {
            match cmd.as_str() {
                "" => self.network_cmd = None,
                "pasta" | "slirp4netns" => self.network_cmd = Some((cmd, file.to_path_buf())),
                _ => {
                    return Err(bad(
                        "default_rootless_network_cmd",
                        format!("\"{cmd}\" is neither pasta nor slirp4netns"),
                    ))
                }
            }
        }
        if let Some(ns) = c.netns {
            match ns.as_str() {
                "" | "private" | "pasta" | "slirp4netns" | "host" | "none" | "bridge" => {
                    self.netns = Some((ns, file.to_path_buf()))
                }
                _ => {
                    return Err(bad(
                        "netns",
                        format!(
                        "\"{ns}\" is not a network mode hutch knows (private, pasta, slirp4netns, bridge, host, none)"
                    ),
                    ))
                }
            }
        }
        let e = f.engine;
        if let Some(m) = e.image_volume_mode {
            match m.as_str() {
                "bind" | "tmpfs" | "ignore" => self.image_volume_mode = Some(m),
                _ => {
                    return Err(bad(
                        "image_volume_mode",
                        format!("\"{m}\" is not an image volume mode (bind, tmpfs, ignore)"),
                    ))
                }
            }
        }
        if let Some(l) = e.events_logger {
            match l.as_str() {
                "file" | "journald" | "none" => self.events_logger = Some(l),
                _ => {
                    return Err(bad(
                        "events_logger",
                        format!("\"{l}\" is not an events backend (file, journald, none)"),
                    ))
                }
            }
        }
        if let Some(i) = e.infra_image.filter(|i| !i.is_empty()) {
            self.infra_image = Some(i);
        }
        if let Some(o) = e.network_cmd_options {
            if !o.is_empty() {
                crate::spec::network::SlirpOpts::parse_as(&o.join(","), "")
                    .map_err(|e| bad("network_cmd_options", e.message))?;
            }
            self.network_cmd_options = o;
        }
        if let Some(p) = e.events_logfile_path {
            if !p.is_empty() {
                self.events_logfile_path = Some(PathBuf::from(p));
            }
        }
        if let Some(v) = e.events_logfile_max_size {
            let n = match &v {
                toml::Value::Integer(n) if *n >= 0 => Some(*n as u64),
                toml::Value::String(s) => crate::events::parse_size(s),
                _ => None,
            };
            match n {
                Some(n) => self.events_logfile_max_size = Some(n),
                None => {
                    return Err(bad(
                        "events_logfile_max_size",
                        format!("{v} is not a size (bytes, or a number with k, m or g)"),
                    ))
                }
            }
        }
        if let Ok(t) = text.parse::<toml::Table>() {
            for (table, keys) in &t {
                let Some(keys) = keys.as_table() else { continue };
                for k in keys.keys() {
                    let name = format!("{table}.{k}");
                    if !USED_KEYS.contains(&name.as_str()) && !self.ignored_keys.contains(&name) {
                        self.ignored_keys.push(name);
                    }
                }
            }
        }
        self.files.push(file.to_path_buf());
        Ok(())
    }

    /// Read every containers.conf that applies. A file named by CONTAINERS_CONF or
    /// CONTAINERS_CONF_OVERRIDE must exist; a malformed file is an error naming it.
    /// The files are read each time, but parsed again only when they differ from the last
    /// load's (a `run` loads it twice: its options and the event log's place).
    pub fn load() -> Result<ContainersConf> {
        type Texts = Vec<(PathBuf, Option<String>)>;
        static LAST: std::sync::Mutex<Option<(Texts, ContainersConf)>> = std::sync::Mutex::new(None);
        let mut texts: Texts = Vec::new();
        for (file, required) in containers_conf_files() {
            match std::fs::read_to_string(&file) {
                Ok(text) => texts.push((file, Some(text))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => texts.push((file, None)),
                Err(e) => crate::bail!("reading {}: {e}", file.display()),
            }
        }
        let mut last = LAST.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((t, conf)) = last.as_ref() {
            if *t == texts {
                return Ok(conf.clone());
            }
        }
        let mut conf = ContainersConf {
            log_size_max: -1,
            ..Default::default()
        };
        for (file, text) in &texts {
            if let Some(text) = text {
                conf.apply(file, text)?;
            }
        }
        *last = Some((texts, conf.clone()));
        Ok(conf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registries_conf_v2_and_v1() {
        let t = r#"
unqualified-search-registries = ["docker.io"]
[[registry]]
location = "127.0.0.1:5000"
insecure = true
[[registry]]
prefix = "example.com/blocked"
location = "example.com/blocked"
blocked = true
"#;
        let f = Path::new("x");
        assert_eq!(
            policy_from(t, f, "127.0.0.1:5000/fixtures/basic")
                .unwrap()
                .unwrap()
                .insecure,
            true
        );
        assert!(policy_from(t, f, "127.0.0.1:50001/x").unwrap().is_none());
        assert!(policy_from(t, f, "example.com/blocked/x").unwrap().unwrap().blocked);
        assert!(policy_from(t, f, "example.com/other").unwrap().is_none());
        let v1 = "[registries.insecure]\nregistries = ['myreg:5000']\n";
        assert!(policy_from(v1, f, "myreg:5000/a/b").unwrap().unwrap().insecure);
        assert!(policy_from("not = [toml", f, "x/y").is_err());
    }

    #[test]
    fn registries_conf_rewrites_and_mirrors() {
        let t = r#"
[[registry]]
prefix = "example.com/team"
location = "127.0.0.1:5000/fixtures"
insecure = true
[[registry.mirror]]
location = "mirror.example:5000/team"
[[registry.mirror]]
location = "digests.example/team"
insecure = true
pull-from-mirror = "digest-only"

[[registry]]
location = "docker.io"
mirror-by-digest-only = true
[[registry.mirror]]
location = "hub-mirror.example"

[[registry]]
prefix = "*.internal.example"
blocked = false
insecure = true
[[registry.mirror]]
location = "cache.example/internal"

[[registry]]
location = "blocked.example"
blocked = true
"#;
        let f = Path::new("/r.conf");
        let src = |r: &str| {
            sources_from(t, f, r).unwrap().map(|v| {
                v.into_iter()
                    .map(|s| (s.reference, s.insecure, s.mirror))
                    .collect::<Vec<_>>()
            })
        };
        let s = |r: &str, i: bool, m: bool| (r.to_string(), i, m);
        assert_eq!(
            src("example.com/team/basic:v1"),
            Some(vec![
                s("mirror.example:5000/team/basic:v1", false, true),
                s("127.0.0.1:5000/fixtures/basic:v1", true, false)
            ])
        );
        let d = format!("sha256:{}", "a".repeat(64));
        assert_eq!(src(&format!("example.com/team/basic@{d}")).unwrap().len(), 3);
        // Not a prefix at a path boundary, nor a host with a port.
        assert_eq!(src("example.com/teamwork/x:latest"), None);
        assert_eq!(src("docker.io:5000/x:latest"), None);
        // mirror-by-digest-only.
        assert_eq!(
            src("docker.io/library/alpine:latest"),
            Some(vec![s("docker.io/library/alpine:latest", false, false)])
        );
        assert_eq!(
            src(&format!("docker.io/library/alpine@{d}")).unwrap()[0],
            s(&format!("hub-mirror.example/library/alpine@{d}"), false, true)
        );
        // Wildcards: mirrors and insecure apply, no rewrite.
        assert_eq!(
            src("a.internal.example/app/x:1"),
            Some(vec![
                s("cache.example/internal/app/x:1", false, true),
                s("a.internal.example/app/x:1", true, false)
            ])
        );
        assert!(sources_from(t, f, "blocked.example/x:1")
            .unwrap_err()
            .message
            .contains("blocked by /r.conf"));
        let bad = "[[registry]]\nprefix = \"a.example\"\nlocation = \"Bad Location\"\n";
        assert!(sources_from(bad, f, "a.example/x:1")
            .unwrap_err()
            .message
            .starts_with("/r.conf: [[registry]] prefix \"a.example\": location"));
        let bad = "[[registry]]\nlocation = \"a.example\"\n[[registry.mirror]]\nlocation = \"m.example\"\npull-from-mirror = \"sometimes\"\n";
        assert!(sources_from(bad, f, "a.example/x:1")
            .unwrap_err()
            .message
            .contains("pull-from-mirror = \"sometimes\""));
    }

    fn conf(files: &[(&str, &str)]) -> Result<ContainersConf> {
        let mut c = ContainersConf {
            log_size_max: -1,
            ..Default::default()
        };
        for (name, text) in files {
            c.apply(Path::new(name), text)?;
        }
        Ok(c)
    }

    #[test]
    fn network_cmd_options_checked_and_layered() {
        let c = conf(&[
            ("/a", "[engine]\nnetwork_cmd_options = [\"mtu=1400\"]\n"),
            (
                "/b",
                "[engine]\nnetwork_cmd_options = [\"allow_host_loopback=true\", \"cidr=10.5.0.0/24\"]\n",
            ),
        ])
        .unwrap();
        assert_eq!(c.network_cmd_options, ["allow_host_loopback=true", "cidr=10.5.0.0/24"]);
        let e = conf(&[("/c", "[engine]\nnetwork_cmd_options = [\"bogus=1\"]\n")]).unwrap_err();
        assert!(
            e.message
                .starts_with("/c: network_cmd_options: unknown option \"bogus\""),
            "{}",
            e.message
        );
        assert!(conf(&[("/d", "[engine]\nnetwork_cmd_options = []\n")])
            .unwrap()
            .network_cmd_options
            .is_empty());
    }

    #[test]
    fn containers_conf_layers_and_checks() {
        let system = r#"
[containers]
default_capabilities = ["CHOWN", "kill", "CAP_NET_RAW"]
log_size_max = -1
netns = "private"
default_sysctls = ["net.ipv4.ping_group_range=0 0"]
[engine]
events_logger = "file"
[engine.runtimes]
crun = ["/usr/bin/crun"]
[machine]
"#;
        let user = "[network]\ndefault_rootless_network_cmd = \"slirp4netns\"\n[containers]\nlog_size_max = 4096\nenv = [\"A=1\", \"B=x=y\"]\n";
        let own = "[containers]\ndns_servers = [\"192.0.2.53\"]\nnetns = \"none\"\n";
        let c = conf(&[("/sys.conf", system), ("/user.conf", user), ("/own.conf", own)]).unwrap();
        assert_eq!(
            c.default_capabilities.as_deref(),
            Some(&["CAP_CHOWN".to_string(), "CAP_KILL".into(), "CAP_NET_RAW".into()][..])
        );
        assert_eq!(c.log_size_max, 4096);
        assert_eq!(c.env, ["A=1", "B=x=y"]);
        assert_eq!(c.dns_servers, ["192.0.2.53"]);
        assert_eq!(
            conf(&[("/a", "[containers]\ntz = \"America/Argentina/Buenos_Aires\"\n")])
                .unwrap()
                .tz
                .as_deref(),
            Some("America/Argentina/Buenos_Aires")
        );
        assert_eq!(
            conf(&[
                ("/a", "[containers]\ntz = \"local\"\n"),
                ("/b", "[containers]\ntz = \"\"\n")
            ])
            .unwrap()
            .tz,
            None
        );
        assert_eq!(c.network(), Some(("none", Path::new("/own.conf"))));
        assert_eq!(
            c.files,
            [Path::new("/sys.conf"), Path::new("/user.conf"), Path::new("/own.conf")]
        );
        // Later files override key by key; an empty file changes nothing.
        let c = conf(&[("/a", user), ("/b", ""), ("/c", "[containers]\nlog_size_max = -1\n")]).unwrap();
        assert_eq!(
            (c.log_size_max, c.network(), c.env.len()),
            (-1, Some(("slirp4netns", Path::new("/a"))), 2)
        );
        // netns = "private" leaves the choice to default_rootless_network_cmd, in any file.
        let c = conf(&[
            ("/a", "[containers]\nnetns = \"host\"\n"),
            ("/b", user),
            ("/c", "[containers]\nnetns = \"private\"\n"),
        ])
        .unwrap();
        assert_eq!(c.network(), Some(("slirp4netns", Path::new("/b"))));
        // "private" alone: a namespace of the container's own (not the default network).
        assert_eq!(
            conf(&[("/a", "[containers]\nnetns = \"private\"\n")])
                .unwrap()
                .network(),
            Some(("private", Path::new("/a")))
        );
        assert_eq!(conf(&[("/a", "")]).unwrap().network(), None);
        assert_eq!(
            conf(&[("/a", "[containers]\nnetns = \"host\"\n"), ("/b", user)])
                .unwrap()
                .network(),
            Some(("host", Path::new("/a")))
        );
        // Bad files name themselves, the line, and the key.
        for (text, needle) in [
            ("[containers\n", "/bad.conf:1:"),
            ("[containers]\nlog_size_max = \"big\"\n", "/bad.conf:2:"),
            (
                "[containers]\nlog_size_max = 0\n",
                "/bad.conf: log_size_max: 0 is not a size",
            ),
            (
                "[containers]\ndefault_capabilities = [\"BOGUS\"]\n",
                "/bad.conf: default_capabilities: unknown capability \"BOGUS\"",
            ),
            (
                "[containers]\nenv = [\"NOVALUE\"]\n",
                "/bad.conf: env: \"NOVALUE\" is not KEY=VALUE",
            ),
            (
                "[containers]\ndns_servers = [\"dns.example\"]\n",
                "/bad.conf: dns_servers: \"dns.example\"",
            ),
            (
                "[network]\ndefault_rootless_network_cmd = \"bridge\"\n",
                "/bad.conf: default_rootless_network_cmd: \"bridge\"",
            ),
            ("[containers]\nnetns = \"slirp\"\n", "/bad.conf: netns: \"slirp\""),
            (
                "[containers]\ntz = \"../../etc/passwd\"\n",
                "/bad.conf: tz: \"../../etc/passwd\"",
            ),
        ] {
            let e = conf(&[("/bad.conf", text)]).unwrap_err().to_string();
            assert!(e.starts_with(needle) && !e.contains('\n'), "{text:?}: {e}");
        }
    }

    #[test]
    fn auth_json_lookup() {
        let enc = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let t = serde_json::json!({"auths": {
            "https://index.docker.io/v1/": {"auth": enc("hub:pw")},
            "reg:5000": {"auth": enc("u:p:with:colons")},
            "reg:5000/team": {"auth": enc("team:tp")},
        }})
        .to_string();
        assert_eq!(
            credentials_from(&t, "docker.io/library/alpine").unwrap().username,
            "hub"
        );
        let c = credentials_from(&t, "reg:5000/other/x").unwrap();
        assert_eq!((c.username.as_str(), c.password.as_str()), ("u", "p:with:colons"));
        assert_eq!(credentials_from(&t, "reg:5000/team/app").unwrap().username, "team");
        assert!(credentials_from(&t, "elsewhere/x").is_none());
        assert_eq!(normalize_auth_key("http://host:5000/"), "host:5000");
    }

    #[test]
    fn auth_json_roundtrip() {
        let d = std::env::temp_dir().join(format!("hutch-auth-{}", crate::digest::random_hex(4)));
        let p = d.join("containers/auth.json");
        let c = Credentials {
            username: "a".into(),
            password: "b".into(),
        };
        store_credentials(&p, "reg:1", &c).unwrap();
        store_credentials(&p, "reg:2", &c).unwrap();
        assert_eq!(
            credentials_from(&std::fs::read_to_string(&p).unwrap(), "reg:1/x"),
            Some(c.clone())
        );
        assert!(remove_credentials(&p, Some("reg:1")).unwrap());
        assert!(!remove_credentials(&p, Some("reg:1")).unwrap());
        assert!(credentials_from(&std::fs::read_to_string(&p).unwrap(), "reg:2/x").is_some());
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        std::fs::remove_dir_all(&d).unwrap();
    }
}
