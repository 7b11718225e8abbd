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

/// The store's volumes, by name: the recorded ones (volume::, store::volumes), and directories
/// under volumes/ without a record (an older hutch's, or a crashed create's), which count and
/// prune alike.
pub fn list(store: &Store, sizes: bool) -> Vec<Volume> {
    let mut out = Vec::new();
    let size = |name: &str| {
        if sizes {
            crate::system::usage::du(&store.volume_data(name))
        } else {
            0
        }
    };
    let recorded = store.load_volumes().unwrap_or_default();
    for v in &recorded.volumes {
        out.push(Volume {
            name: v.name.clone(),
            size: size(&v.name),
            created: (v.created / 1_000_000_000) as i64,
        });
    }
    if let Ok(rd) = std::fs::read_dir(store.volumes_dir()) {
        for e in rd.flatten() {
            let Ok(m) = e.metadata() else { continue };
            let name = e.file_name().to_string_lossy().into_owned();
            if !m.is_dir() || recorded.find(&name).is_some() {
                continue;
            }
            use std::os::unix::fs::MetadataExt;
            out.push(Volume {
                size: size(&name),
                name,
                created: m.mtime(),
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Remove every volume not in `used` for which `keep` says no; returns the removed ones (with
/// their sizes). Records go first (under volumes.lock, so a concurrent `run` that takes one
/// waits, and a crash leaves an unrecorded directory), then the directories. Files owned by a
/// container's other users need the store's user namespace: the caller has entered it.
pub fn prune_unused(store: &Store, used: &HashSet<String>, keep: impl Fn(&Volume) -> bool) -> Result<Vec<Volume>> {
    let lock = store.lock_volumes()?;
    let gone: Vec<Volume> = list(store, true)
        .into_iter()
        .filter(|v| !used.contains(&v.name) && !keep(v))
        .collect();
    let mut idx = store.load_volumes()?;
    let before = idx.volumes.len();
    idx.volumes.retain(|r| !gone.iter().any(|v| v.name == r.name));
    if idx.volumes.len() != before {
        store.save_volumes(&idx, &lock)?;
    }
    drop(lock);
    for v in &gone {
        let dir = store.volumes_dir().join(&v.name);
        if dir.exists() {
            store.discard_dir(&dir)?;
        }
    }
    Ok(gone)
}
