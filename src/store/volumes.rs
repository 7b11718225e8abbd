//! Volume records (`volumes/volumes.json`, under `volumes/volumes.lock`): a volume is listed
//! only once its directory `volumes/<name>/_data` is complete and its record written, so a
//! crash while creating one never shows a half volume (an unrecorded directory is adopted,
//! content kept, by the next create of that name).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct VolumeIndex {
    #[serde(default)]
    pub volumes: Vec<VolumeRecord>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct VolumeRecord {
    pub name: String,
    /// Always "local".
    pub driver: String,
    /// Nanoseconds since the epoch.
    pub created: i128,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// Made for a container's `-v /path` (removed with it by `rm -v`).
    #[serde(default)]
    pub anonymous: bool,
    /// Not mounted yet: the first container that mounts it fills it with the image's content at
    /// the mount point (when it is empty), as Podman's NeedsCopyUp.
    #[serde(default)]
    pub needs_copy_up: bool,
    /// A container has mounted it (Podman's NeedsChown is true until then).
    #[serde(default)]
    pub mounted: bool,
    /// Owner asked with `--opt o=uid=N,gid=N` (container ids).
    #[serde(default)]
    pub uid: Option<u32>,
    #[serde(default)]
    pub gid: Option<u32>,
}

impl VolumeRecord {
    /// `-o type=bind,device=DIR`: the host directory that holds the volume's files.
    pub fn bind_device(&self) -> Option<&str> {
        (self.options.get("type").map(String::as_str) == Some("bind"))
            .then(|| self.options.get("device").map(String::as_str))
            .flatten()
    }

    /// `-o type=tmpfs`: tmpfs's own options (o=size=…,mode=…), mounted in each container
    /// that uses the volume.
    pub fn tmpfs_data(&self) -> Option<&str> {
        (self.options.get("type").map(String::as_str) == Some("tmpfs"))
            .then(|| self.options.get("o").map(String::as_str).unwrap_or(""))
    }
}

impl VolumeIndex {
    pub fn find(&self, name: &str) -> Option<&VolumeRecord> {
        self.volumes.iter().find(|v| v.name == name)
    }

    pub fn position(&self, name: &str) -> Option<usize> {
        self.volumes.iter().position(|v| v.name == name)
    }
}
