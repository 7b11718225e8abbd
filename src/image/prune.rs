//! Pruning: dangling images (every image with `all`), then the layers and blobs no image uses.

use crate::error::Result;
use crate::runtime::userns;
use crate::store::Store;

/// Remove the images; returns their ids.
pub fn prune(all: bool) -> Result<Vec<String>> {
    userns::enter()?;
    let store = Store::open()?;
    store.sweep()?;
    let lock = store.lock_images()?;
    let mut idx = store.load_images()?;
    let mut removed = Vec::new();
    idx.images.retain(|i| {
        let remove = all || i.names.is_empty();
        if remove {
            removed.push(i.id.clone());
        }
        !remove
    });
    store.save_images(&idx, &lock)?;
    store.collect_garbage(&idx, &lock)?;
    Ok(removed)
}
