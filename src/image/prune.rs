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
    store.collect_garbage(&idx, &lock)?;
    Ok(removed)
}
