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
