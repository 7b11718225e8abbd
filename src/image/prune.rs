//! Pruning: dangling images (every image with `all`) that no container uses, then the layers and
//! blobs no image uses.

use crate::error::Result;
use crate::runtime::userns;
use crate::store::Store;

/// Remove the images; returns their ids.
pub fn prune(all: bool) -> Result<Vec<String>> {
    userns::enter()?;
    let store = Store::open()?;
    store.sweep()?;
    // containers.lock first (the store's lock order): no container can take an image to use
    // while we decide; an image a container uses is never pruned (as with Podman).
    let _containers = store.lock_containers()?;
    let in_use: std::collections::HashSet<String> = store
        .load_containers()?
        .containers
        .into_iter()
        .map(|c| c.image)
        .collect();
    let lock = store.lock_images()?;
    let mut idx = store.load_images()?;
    let mut removed = Vec::new();
    idx.images.retain(|i| {
        let remove = (all || i.names.is_empty()) && !in_use.contains(&i.id);
        if remove {
            removed.push(i.id.clone());
        }
        !remove
    });
    store.save_images(&idx, &lock)?;
    store.collect_garbage(&idx, &lock, false)?;
    Ok(removed)
}

/// `--build-cache`: the build's cache (step results, RUN --mount=type=cache directories, the
/// context hash cache) removed; returns the bytes it held. A build running meanwhile only
/// misses the cache.
pub fn prune_build_cache() -> Result<u64> {
    userns::enter()?;
    let store = Store::open()?;
    let dir = store.base().join("build-cache");
    if !dir.exists() {
        return Ok(0);
    }
    let size = crate::system::usage::du(&dir);
    // Moved into tmp/ first, so a concurrent build never sees half of it.
    let tmp = store.temp("build-cache-pruned")?;
    std::fs::rename(&dir, &tmp.path).map_err(|e| crate::err!("removing {}: {e}", dir.display()))?;
    crate::store::make_writable(&tmp.path);
    std::fs::remove_dir_all(&tmp.path).map_err(|e| crate::err!("removing {}: {e}", tmp.path.display()))?;
    Ok(size)
}
