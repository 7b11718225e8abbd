//! Layer records: one per extracted layer, id = the layer's diff_id hex.

use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct LayerIndex {
    #[serde(default)]
    pub layers: Vec<LayerRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LayerRecord {
    /// diff_id hex (sha256 of the uncompressed tar).
    pub id: String,
    /// Digests of the compressed blobs this layer was extracted from.
    #[serde(default)]
    pub compressed: Vec<String>,
    /// Uncompressed size in bytes.
    pub size: u64,
    /// Permission bits of the layer's root entry, if it has one (see `root_mode`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_mode: Option<u32>,
}

/// The mode of a container's root directory (its upper dir's, which overlay shows as `/`): that
/// of the topmost of `layers` (bottom first) whose tar has a root entry, else 0555, the mode
/// containers/storage gives a root no layer describes (Podman's containers show the same).
pub fn root_mode(idx: &LayerIndex, layers: &[String]) -> u32 {
    layers
        .iter()
        .rev()
        .find_map(|l| idx.get(l).and_then(|r| r.root_mode))
        .unwrap_or(0o555)
}

impl LayerIndex {
    pub fn get(&self, id: &str) -> Option<&LayerRecord> {
        self.layers.iter().find(|l| l.id == id)
    }

    /// Insert or merge a record (a second blob for the same content adds its digest).
    pub fn upsert(&mut self, rec: LayerRecord) {
        match self.layers.iter_mut().find(|l| l.id == rec.id) {
            Some(l) => {
                for c in rec.compressed {
                    if !l.compressed.contains(&c) {
                        l.compressed.push(c);
                    }
                }
            }
            None => self.layers.push(rec),
        }
    }
}
