//! Image records and how a user's words ("basic", "a1b2c3", "host/x:tag") find one.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::reference::ImageRef;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ImageIndex {
    #[serde(default)]
    pub images: Vec<ImageRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImageRecord {
    /// Config digest hex: the image id.
    pub id: String,
    /// `registry/repo:tag` names.
    #[serde(default)]
    pub names: Vec<String>,
    /// `registry/repo@sha256:…` manifest digests.
    #[serde(default)]
    pub digests: Vec<String>,
    pub manifest_digest: String,
    /// Layer ids (diff_id hex), bottom first.
    pub layers: Vec<String>,
    #[serde(default)]
    pub created: Option<String>,
    /// Sum of uncompressed layer sizes.
    pub size: u64,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub os: String,
    /// When it was pulled (seconds since the epoch).
    #[serde(default)]
    pub pulled: u64,
    /// Every name the image has had, most recent first (Podman's NamesHistory: `images
    /// --format '{{.History}}'`), kept by `ImageIndex::update_names_history` at each save.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names_history: Vec<String>,
}

impl ImageRecord {
    pub fn short_id(&self) -> &str {
        &self.id[..12]
    }
}

impl ImageIndex {
    /// Find the image a user means, Podman's way: full or short id (unique prefix), a fully
    /// qualified name, or a name whose repository ends with what was given (`fixtures/basic`
    /// finds `127.0.0.1:5000/fixtures/basic:latest`). Returns the index.
    pub fn resolve(&self, what: &str) -> Result<usize> {
        let not_found = || crate::err!("{what}: image not known").classed(crate::error::Class::NoSuchObject);
        let hexpart = what.strip_prefix("sha256:").unwrap_or(what);
        if !hexpart.is_empty() && hexpart.len() <= 64 && hexpart.bytes().all(|b| b.is_ascii_hexdigit()) {
            let hits: Vec<usize> = self
                .images
                .iter()
                .enumerate()
                .filter(|(_, i)| i.id.starts_with(hexpart))
                .map(|(n, _)| n)
                .collect();
            match hits.len() {
                1 => return Ok(hits[0]),
                n if n > 1 => crate::bail!("{what}: short id is ambiguous: matches {n} images"),
                _ => {}
            }
        }
        // Digest references: name@sha256:…
        if what.contains('@') {
            let r = ImageRef::parse(what).map_err(|_| not_found())?;
            let want = format!("{}@{}", r.name(), r.digest.as_deref().unwrap_or_default());
            return self
                .images
                .iter()
                .position(|i| i.digests.contains(&want))
                .ok_or_else(not_found);
        }
        let parsed = ImageRef::parse(what).map_err(|_| not_found())?;
        if let Some(full) = parsed.tagged() {
            if let Some(n) = self.images.iter().position(|i| i.names.contains(&full)) {
                return Ok(n);
            }
        }
        // Short names: match the tail of the repository, on a path boundary.
        let tag = parsed.tag.clone().unwrap_or_else(|| "latest".into());
        let given = what
            .rsplit_once(':')
            .filter(|(_, t)| !t.contains('/'))
            .map(|(n, _)| n)
            .unwrap_or(what);
        let mut hits = Vec::new();
        for (n, img) in self.images.iter().enumerate() {
            for name in &img.names {
                let Some((repo, t)) = name.rsplit_once(':') else {
                    continue;
                };
                if t == tag && (repo.ends_with(&format!("/{given}")) || repo == given) {
                    hits.push((n, name.clone()));
                }
            }
        }
        hits.dedup_by_key(|h| h.0);
        match hits.len() {
            0 => Err(not_found()),
            1 => Ok(hits[0].0),
            _ => Err(crate::err!(
                "{what}: short name is ambiguous: {}",
                hits.iter().map(|h| h.1.as_str()).collect::<Vec<_>>().join(", ")
            )),
        }
    }

    /// containers/storage's rule, applied to every image when the index is written: each current
    /// name, in order, moves to the front of the history (so the history is the names, last
    /// given first, then the names it had before); idempotent while the names stay the same.
    pub fn update_names_history(&mut self) {
        for img in &mut self.images {
            for n in &img.names {
                img.names_history.retain(|h| h != n);
                img.names_history.insert(0, n.clone());
            }
        }
    }

    /// Give `name` to image `idx`, taking it away from any other image (which may become dangling).
    pub fn add_name(&mut self, idx: usize, name: &str) {
        for (n, img) in self.images.iter_mut().enumerate() {
            if n != idx {
                img.names.retain(|x| x != name);
            }
        }
        if !self.images[idx].names.iter().any(|x| x == name) {
            self.images[idx].names.push(name.to_string());
        }
    }

    /// Layer ids used by any image.
    pub fn used_layers(&self) -> std::collections::HashSet<String> {
        self.images.iter().flat_map(|i| i.layers.iter().cloned()).collect()
    }

    /// Blobs the images refer to by name: their configs (ids) and manifests (hex, without
    /// `sha256:`).
    pub fn referenced_blobs(&self) -> std::collections::HashSet<String> {
        self.images
            .iter()
            .flat_map(|i| {
                [
                    i.id.clone(),
                    i.manifest_digest.trim_start_matches("sha256:").to_string(),
                ]
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn img(id: char, names: &[&str]) -> ImageRecord {
        ImageRecord {
            names_history: Vec::new(),
            id: id.to_string().repeat(64),
            names: names.iter().map(|s| s.to_string()).collect(),
            digests: vec![],
            manifest_digest: String::new(),
            layers: vec![],
            created: None,
            size: 0,
            architecture: "amd64".into(),
            os: "linux".into(),
            pulled: 0,
        }
    }

    #[test]
    fn resolves_ids_names_and_short_names() {
        let idx = ImageIndex {
            images: vec![
                img(
                    'a',
                    &[
                        "127.0.0.1:5000/fixtures/basic:latest",
                        "127.0.0.1:5000/fixtures/basic:v1",
                    ],
                ),
                img(
                    'b',
                    &["127.0.0.1:5000/fixtures/multi:latest", "docker.io/library/basic:old"],
                ),
            ],
        };
        assert_eq!(idx.resolve("aaaa").unwrap(), 0);
        assert_eq!(idx.resolve(&format!("sha256:{}", "b".repeat(64))).unwrap(), 1);
        assert_eq!(idx.resolve("127.0.0.1:5000/fixtures/basic").unwrap(), 0);
        assert_eq!(idx.resolve("fixtures/basic:v1").unwrap(), 0);
        assert_eq!(idx.resolve("basic").unwrap(), 0);
        assert_eq!(idx.resolve("basic:old").unwrap(), 1);
        assert_eq!(idx.resolve("multi").unwrap(), 1);
        assert!(idx.resolve("asic").is_err());
        assert!(idx
            .resolve("nothere")
            .unwrap_err()
            .to_string()
            .contains("nothere: image not known"));
    }

    #[test]
    fn moving_a_name_leaves_the_old_image_dangling() {
        let mut idx = ImageIndex {
            images: vec![img('a', &["r/x:latest"]), img('b', &[])],
        };
        idx.add_name(1, "r/x:latest");
        assert!(idx.images[0].names.is_empty());
        assert_eq!(idx.images[1].names, vec!["r/x:latest"]);
    }
}
