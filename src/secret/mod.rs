//! Secrets: small pieces of data (passwords, keys) kept in the store apart from images and
//! containers, and handed to containers by `run --secret` as a read-only file (default
//! `/run/secrets/NAME`) or an environment variable, as Podman's `file` driver. The container
//! gets a copy made at create, so removing or replacing the secret later does not change a
//! container made with it.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::error::{Class, Context, Result};
use crate::store::secrets::SecretRecord;
use crate::store::Store;

/// Podman's limit on a secret's size.
pub const MAX_SIZE: usize = 512_000;

/// A secret's name: Podman's rule (a letter or digit first, then letters, digits, `_.-`; at
/// most 253 characters).
pub fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 253
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    if !ok {
        crate::bail!(
            "secret name {name:?}: invalid (letters, digits, _ . -, starting with a letter or digit, at most 253)"
        );
    }
    Ok(())
}

pub struct CreateOptions {
    pub name: String,
    pub data: Vec<u8>,
    pub driver: Option<String>,
    pub labels: Vec<String>,
    /// --replace: an existing secret of that name is replaced (its id changes).
    pub replace: bool,
}

fn now_nanos() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0)
}

/// Store a new secret; returns its record.
pub fn create(store: &Store, o: CreateOptions) -> Result<SecretRecord> {
    validate_name(&o.name)?;
    match o.driver.as_deref() {
        None | Some("file") => {}
        Some(d) => crate::bail!("--driver {d}: unsupported secret driver (hutch has file)"),
    }
    if o.data.is_empty() {
        crate::bail!("secret {}: no data (the file or stdin was empty)", o.name);
    }
    if o.data.len() > MAX_SIZE {
        crate::bail!(
            "secret {}: {} bytes is more than the {MAX_SIZE} a secret may hold",
            o.name,
            o.data.len()
        );
    }
    let mut labels = BTreeMap::new();
    for l in &o.labels {
        let (k, v) = l.split_once('=').unwrap_or((l, ""));
        if k.is_empty() {
            crate::bail!("--label {l}: empty key");
        }
        labels.insert(k.to_string(), v.to_string());
    }
    let lock = store.lock_secrets()?;
    let mut idx = store.load_secrets()?;
    let old = idx.secrets.iter().position(|s| s.name == o.name);
    if old.is_some() && !o.replace {
        crate::bail!(
            "secret name {:?} is already in use: remove it first, or use --replace",
            o.name
        );
    }
    let rec = SecretRecord {
        id: crate::digest::random_hex(13)[..25].to_string(),
        name: o.name.clone(),
        driver: "file".into(),
        created: now_nanos(),
        labels,
    };
    let path = store.secret_data(&rec.id);
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path.parent().expect("data dir"))
        .ctx(|| format!("creating {}", store.secrets_dir().join("data").display()))?;
    crate::sys::fs::write_atomic(&path, &o.data, 0o600).ctx(|| format!("writing {}", path.display()))?;
    crate::fault::point("after:write-secret-data");
    let replaced = old.map(|i| idx.secrets.remove(i));
    idx.secrets.push(rec.clone());
    if let Err(e) = store.save_secrets(&idx, &lock) {
        let _ = std::fs::remove_file(&path);
        return Err(e);
    }
    if let Some(r) = replaced {
        let _ = std::fs::remove_file(store.secret_data(&r.id));
    }
    Ok(rec)
}

use std::os::unix::fs::DirBuilderExt;

/// A secret by name, id or unique id prefix.
pub fn find(store: &Store, what: &str) -> Result<SecretRecord> {
    store
        .load_secrets()?
        .find(what)
        .cloned()
        .ok_or_else(|| crate::err!("no secret with name or id {what:?}: no such secret").classed(Class::NoSuchObject))
}

/// Every secret, oldest first.
pub fn list(store: &Store) -> Result<Vec<SecretRecord>> {
    let mut v = store.load_secrets()?.secrets;
    v.sort_by_key(|s| s.created);
    Ok(v)
}

/// Remove a secret (containers made with it keep their copy); returns its id.
pub fn remove(store: &Store, what: &str) -> Result<String> {
    let lock = store.lock_secrets()?;
    let mut idx = store.load_secrets()?;
    let Some(rec) = idx.find(what).cloned() else {
        return Err(crate::err!("no secret with name or id {what:?}: no such secret").classed(Class::NoSuchObject));
    };
    idx.secrets.retain(|s| s.id != rec.id);
    store.save_secrets(&idx, &lock)?;
    let _ = std::fs::remove_file(store.secret_data(&rec.id));
    Ok(rec.id)
}

/// Podman's `secret inspect` JSON.
pub fn inspect_json(store: &Store, s: &SecretRecord) -> Value {
    let created = crate::output::format_nanos(s.created);
    json!({
        "ID": s.id,
        "CreatedAt": created,
        "UpdatedAt": created,
        "Spec": {
            "Name": s.name,
            "Driver": {
                "Name": s.driver,
                "Options": { "path": store.secrets_dir().display().to_string() },
            },
            "Labels": s.labels,
        },
        // Templates of `secret ls` (Podman's field names there).
        "Name": s.name,
        "Driver": s.driver,
        "CreatedAgo": crate::output::human_ago((s.created / 1_000_000_000) as i64),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(validate_name("a.b-c_1").is_ok());
        assert!(validate_name("-a").is_err() && validate_name("a/b").is_err() && validate_name("").is_err());
    }
}
