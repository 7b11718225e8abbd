//! `hutch rmi` / `hutch image rm`: per item; a missing image fails only that item.

use crate::cli::RmiArgs;
use crate::error::Result;
use crate::output::{error, out};
use crate::store::Store;
use crate::runtime::userns;

pub fn run(a: RmiArgs) -> Result<i32> {
    let store = Store::open()?;
    // Containers that use the images: refused without -f; with -f stopped now (only the host
    // user may signal them) and removed below, inside the user namespace.
    let containers = store.load_containers()?;
    let images = store.load_images()?;
    let mut doomed = Vec::new();
    let mut refused = std::collections::HashSet::new();
    let wanted: Vec<String> = if a.all { images.images.iter().map(|i| i.id.clone()).collect() } else { a.images.clone() };
    for what in &wanted {
        let Ok(n) = images.resolve(what) else { continue };
        let id = &images.images[n].id;
        let users: Vec<_> = containers.containers.iter().filter(|c| &c.image == id).collect();
        if users.is_empty() {
            continue;
        }
        if !a.force {
            error(&format!(
                "image {what} is in use by container {}: remove the container first or use rmi -f",
                users.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
            ));
            refused.insert(what.clone());
            continue;
        }
        for c in users {
            crate::container::ensure_stopped(&store, c, true)?;
            doomed.push(c.clone());
        }
    }
    userns::enter()?;
    for c in &doomed {
        crate::container::remove(&store, c, true)?;
    }
    store.sweep()?;
    let lock = store.lock_images()?;
    let mut idx = store.load_images()?;
    let targets: Vec<String> = wanted.iter().filter(|w| !refused.contains(*w)).cloned().collect();
    let mut failed = !refused.is_empty();
    let mut report = String::new();
    for what in &targets {
        let n = match idx.resolve(what) {
            Ok(n) => n,
            Err(e) => {
                error(&e.message);
                failed = true;
                continue;
            }
        };
        let img = &mut idx.images[n];
        // Asked for by one of its names while it has others: only that name goes.
        let by_name = crate::reference::ImageRef::parse(what).ok().and_then(|r| {
            let full = r.tagged()?;
            img.names.iter().find(|x| **x == full || x.ends_with(&format!("/{}", what)) || x.ends_with(&format!("/{}:latest", what))).cloned()
        });
        let by_id = img.id.starts_with(what.trim_start_matches("sha256:"));
        if !by_id && !a.all && img.names.len() > 1 {
            if let Some(name) = by_name {
                img.names.retain(|x| *x != name);
                report.push_str(&format!("Untagged: {name}\n"));
                continue;
            }
        }
        if by_id && !a.all && !a.force && img.names.len() > 1 {
            error(&format!(
                "unable to delete image {} by ID with more than one tag ({}): use -f to remove it",
                img.short_id(),
                img.names.join(", ")
            ));
            failed = true;
            continue;
        }
        for name in &img.names {
            report.push_str(&format!("Untagged: {name}\n"));
        }
        report.push_str(&format!("Deleted: {}\n", img.id));
        idx.images.remove(n);
    }
    // The index is written before any layer goes, so no image ever points at a missing layer.
    store.save_images(&idx, &lock)?;
    store.collect_garbage(&idx, &lock)?;
    drop(lock);
    out(&report);
    Ok(if failed { 125 } else { 0 })
}
