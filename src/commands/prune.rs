//! `hutch image prune`: dangling images (all unused ones with -a), then unused layers and blobs.

use crate::cli::PruneArgs;
use crate::error::Result;
use crate::output::out;
use crate::store::Store;
use crate::runtime::userns;

pub fn run(a: PruneArgs) -> Result<i32> {
    userns::enter()?;
    let store = Store::open()?;
    store.sweep()?;
    let lock = store.lock_images()?;
    let mut idx = store.load_images()?;
    let mut report = String::new();
    idx.images.retain(|i| {
        let remove = a.all || i.names.is_empty();
        if remove {
            report.push_str(&i.id);
            report.push('\n');
        }
        !remove
    });
    store.save_images(&idx, &lock)?;
    store.collect_garbage(&idx, &lock)?;
    drop(lock);
    out(&report);
    Ok(0)
}
