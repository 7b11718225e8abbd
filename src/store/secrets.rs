//! Secret records (`secrets/secrets.json`, under `secrets/secrets.lock`) and their data
//! (`secrets/data/<id>`, 0600): a secret is listed only once its data file is written, and its
//! data file goes after its record, so a crash never lists a secret without data.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct SecretIndex {
    #[serde(default)]
    pub secrets: Vec<SecretRecord>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SecretRecord {
    /// 25 hex digits, as Podman's.
    pub id: String,
    pub name: String,
    /// Always "file".
    pub driver: String,
    /// Nanoseconds since the epoch.
    pub created: i128,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

impl SecretIndex {
    /// A secret by name, full id or unique id prefix.
    pub fn find(&self, what: &str) -> Option<&SecretRecord> {
        if let Some(s) = self.secrets.iter().find(|s| s.name == what || s.id == what) {
            return Some(s);
        }
        let mut m = self
            .secrets
            .iter()
            .filter(|s| !what.is_empty() && s.id.starts_with(what));
        match (m.next(), m.next()) {
            (Some(s), None) => Some(s),
            _ => None,
        }
    }
}
