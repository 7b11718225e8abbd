//! The volumes `system df` counts and `system prune --volumes` removes. Everything the system
//! verbs know of volumes goes through `list` and `prune_unused`, so that a volume engine
//! (named volumes with their own records) only has to be plugged in here.

use std::collections::HashSet;

use crate::error::Result;
use crate::store::Store;

pub struct Volume {
    pub name: String,
    /// Bytes in its data (0 when not measured).
    pub size: u64,
    /// Seconds since the epoch (the directory's mtime).
    pub created: i64,
}

/// The store's volumes (`volumes/<name>/`), by name.
pub fn list(store: &Store, sizes: bool) -> Vec<Volume> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(store.volumes_dir()) else {
        return out;
    };
    for e in rd.flatten() {
        let Ok(m) = e.metadata() else { continue };
        if !m.is_dir() {
            continue;
        }
        let name = e.file_name().to_string_lossy().into_owned();
        let size = if sizes {
            crate::system::usage::du(&store.volume_data(&name))
        } else {
            0
        };
        use std::os::unix::fs::MetadataExt;
        out.push(Volume {
            name,
            size,
            created: m.mtime(),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Remove every volume not in `used` for which `keep` says no; returns the removed ones (with
/// their sizes). Files owned by a container's other users need the store's user namespace:
/// the caller has entered it.
pub fn prune_unused(store: &Store, used: &HashSet<String>, keep: impl Fn(&Volume) -> bool) -> Result<Vec<Volume>> {
    let mut removed = Vec::new();
    for v in list(store, true) {
        if used.contains(&v.name) || keep(&v) {
            continue;
        }
        store.discard_dir(&store.volumes_dir().join(&v.name))?;
        removed.push(v);
    }
    Ok(removed)
}
