//! The containers' configuration files hutch shares with Podman: registries.conf (which
//! registries are insecure), auth.json (credentials) and certs.d (extra CAs).

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
}

/// What registries.conf says about one registry.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RegistryPolicy {
    pub insecure: bool,
    pub blocked: bool,
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
            let mut v: Vec<PathBuf> = rd.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "conf")).collect();
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

/// Parse registries.conf text and say what applies to `name` (`registry/repo`).
pub fn policy_from(text: &str, file: &Path, name: &str) -> Result<Option<RegistryPolicy>> {
    let f: RegistriesFile = toml::from_str(text).ctx(|| format!("parsing {}", file.display()))?;
    let mut best: Option<(usize, RegistryPolicy)> = None;
    for e in &f.registry {
        let Some(prefix) = e.prefix.as_ref().or(e.location.as_ref()) else { continue };
        let prefix = prefix.trim_end_matches('/');
        let matches = name == prefix || name.starts_with(&format!("{prefix}/"));
        if matches && best.as_ref().is_none_or(|(l, _)| prefix.len() > *l) {
            best = Some((prefix.len(), RegistryPolicy { insecure: e.insecure, blocked: e.blocked }));
        }
    }
    if best.is_none() {
        let registry = name.split('/').next().unwrap_or(name);
        if let Some(v1) = f.registries.and_then(|r| r.insecure) {
            if v1.registries.iter().any(|r| r == registry) {
                best = Some((registry.len(), RegistryPolicy { insecure: true, blocked: false }));
            }
        }
    }
    Ok(best.map(|b| b.1))
}

/// The policy for `registry/repo` from the first file that mentions it.
pub fn registry_policy(name: &str) -> Result<RegistryPolicy> {
    for file in registries_conf_files() {
        let Ok(text) = std::fs::read_to_string(&file) else { continue };
        if let Some(p) = policy_from(&text, &file, name)? {
            return Ok(p);
        }
    }
    Ok(RegistryPolicy::default())
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
    let k = key.strip_prefix("https://").or_else(|| key.strip_prefix("http://")).unwrap_or(key);
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
    Some(Credentials { username: u.into(), password: p.into() })
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
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if let Some(d) = path.parent() {
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(d).ctx(|| format!("creating {}", d.display()))?;
    }
    let tmp = path.with_extension(format!("tmp-{}", crate::store::random_hex(4)));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .ctx(|| format!("writing {}", tmp.display()))?;
    let data = serde_json::to_vec_pretty(doc).expect("json");
    let r = f.write_all(&data).and_then(|_| f.write_all(b"\n")).and_then(|_| f.sync_all());
    if let Err(e) = r.and_then(|_| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        crate::bail!("writing {}: {e}", path.display());
    }
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
    let Some(auths) = doc.get_mut("auths").and_then(|a| a.as_object_mut()) else { return Ok(false) };
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
            let mut v: Vec<PathBuf> = rd.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "crt")).collect();
            v.sort();
            out.extend(v);
        }
    }
    out
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
        assert_eq!(policy_from(t, f, "127.0.0.1:5000/fixtures/basic").unwrap().unwrap().insecure, true);
        assert!(policy_from(t, f, "127.0.0.1:50001/x").unwrap().is_none());
        assert!(policy_from(t, f, "example.com/blocked/x").unwrap().unwrap().blocked);
        assert!(policy_from(t, f, "example.com/other").unwrap().is_none());
        let v1 = "[registries.insecure]\nregistries = ['myreg:5000']\n";
        assert!(policy_from(v1, f, "myreg:5000/a/b").unwrap().unwrap().insecure);
        assert!(policy_from("not = [toml", f, "x/y").is_err());
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
        assert_eq!(credentials_from(&t, "docker.io/library/alpine").unwrap().username, "hub");
        let c = credentials_from(&t, "reg:5000/other/x").unwrap();
        assert_eq!((c.username.as_str(), c.password.as_str()), ("u", "p:with:colons"));
        assert_eq!(credentials_from(&t, "reg:5000/team/app").unwrap().username, "team");
        assert!(credentials_from(&t, "elsewhere/x").is_none());
        assert_eq!(normalize_auth_key("http://host:5000/"), "host:5000");
    }

    #[test]
    fn auth_json_roundtrip() {
        let d = std::env::temp_dir().join(format!("hutch-auth-{}", crate::store::random_hex(4)));
        let p = d.join("containers/auth.json");
        let c = Credentials { username: "a".into(), password: "b".into() };
        store_credentials(&p, "reg:1", &c).unwrap();
        store_credentials(&p, "reg:2", &c).unwrap();
        assert_eq!(credentials_from(&std::fs::read_to_string(&p).unwrap(), "reg:1/x"), Some(c.clone()));
        assert!(remove_credentials(&p, Some("reg:1")).unwrap());
        assert!(!remove_credentials(&p, Some("reg:1")).unwrap());
        assert!(credentials_from(&std::fs::read_to_string(&p).unwrap(), "reg:2/x").is_some());
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        std::fs::remove_dir_all(&d).unwrap();
    }
}
