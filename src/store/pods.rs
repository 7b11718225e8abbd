//! Pod records: a pod's name, the namespaces its containers share, its infra container (the
//! pause process that holds those namespaces and the published ports) and its labels. Which
//! containers belong to a pod is in each container's spec (`Spec::pod`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::Result;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct PodIndex {
    #[serde(default)]
    pub pods: Vec<PodRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PodRecord {
    pub id: String,
    pub name: String,
    /// Seconds since the epoch.
    pub created: i64,
    /// Namespaces the containers share with the infra container: net, ipc, uts, pid.
    pub share: Vec<String>,
    pub hostname: String,
    /// The infra container's id (None with --infra=false).
    pub infra: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// What made it: "kube play FILE" records the file, so `kube down` finds its pods.
    #[serde(default)]
    pub kube_file: Option<String>,
    /// The `hutch pod create` command line that made it (for `generate systemd --new`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub create_command: Vec<String>,
    /// What happens when the pod's last container (besides the infra) exits.
    #[serde(default, skip_serializing_if = "ExitPolicy::is_continue")]
    pub exit_policy: ExitPolicy,
    /// `kube play --service-container`: the id of the service container the pod shares with
    /// the file's other pods (started with them, stopped once none runs, removed with the last).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
}

/// `pod create --exit-policy`: Podman's two policies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExitPolicy {
    /// The infra container keeps running (the pod shows as Degraded).
    #[default]
    Continue,
    /// The infra container is stopped (the pod shows as Exited).
    Stop,
}

impl ExitPolicy {
    pub fn parse(s: &str) -> Result<ExitPolicy> {
        match s {
            "continue" => Ok(ExitPolicy::Continue),
            "stop" => Ok(ExitPolicy::Stop),
            // Podman's words.
            _ => crate::bail!(
                "--exit-policy {s}: running pod create option: invalid pod exit policy: \"{s}\" (use continue or stop)"
            ),
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            ExitPolicy::Continue => "continue",
            ExitPolicy::Stop => "stop",
        }
    }

    fn is_continue(&self) -> bool {
        *self == ExitPolicy::Continue
    }
}

impl PodRecord {
    pub fn short_id(&self) -> &str {
        &self.id[..12]
    }

    pub fn shares(&self, ns: &str) -> bool {
        self.share.iter().any(|s| s == ns)
    }
}

impl PodIndex {
    /// Find by full or unique-prefix id, or exact name.
    pub fn resolve(&self, what: &str) -> Result<usize> {
        if let Some(n) = self.pods.iter().position(|p| p.name == what || p.id == what) {
            return Ok(n);
        }
        if what.len() >= 3 && what.bytes().all(|b| b.is_ascii_hexdigit()) {
            let hits: Vec<usize> = self
                .pods
                .iter()
                .enumerate()
                .filter(|(_, p)| p.id.starts_with(what))
                .map(|(n, _)| n)
                .collect();
            match hits.len() {
                1 => return Ok(hits[0]),
                n if n > 1 => crate::bail!("{what}: short id is ambiguous: matches {n} pods"),
                _ => {}
            }
        }
        Err(crate::err!("no pod with name or ID \"{what}\" found: no such pod")
            .classed(crate::error::Class::NoSuchObject))
    }

    pub fn name_taken(&self, name: &str) -> bool {
        self.pods.iter().any(|p| p.name == name)
    }
}
