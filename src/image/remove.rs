//! Removing images (`rmi`): by name (only that name goes while the image has others) or by id;
//! containers that use an image are refused, or removed with `force`. The index is written
//! before any layer goes, so no image ever points at a missing layer.

use crate::error::Result;
use crate::runtime::userns;
use crate::store::Store;

/// Why one of the images asked for was not removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// No such image (`force` makes it no failure).
    Missing,
    /// A container uses it (and `force` was not given).
    InUse,
    /// Anything else (e.g. an id with several names, without `force`).
    Refused,
}

/// What `remove` did: the `Untagged:`/`Deleted:` lines, and each item that failed.
pub struct Removal {
    pub report: String,
    pub failures: Vec<(Failure, String)>,
}

/// Remove the images `wanted` names (every image with `all`).
pub fn remove(store: &Store, wanted: &[String], all: bool, force: bool) -> Result<Removal> {
    let mut failures = Vec::new();
    // Containers that use the images: refused without force; with it stopped now (only the
    // host user may signal them) and removed below, inside the user namespace.
    let containers = store.load_containers()?;
    let images = store.load_images()?;
    let mut doomed = Vec::new();
    let mut refused = std::collections::HashSet::new();
    let wanted: Vec<String> = if all {
        images.images.iter().map(|i| i.id.clone()).collect()
    } else {
        wanted.to_vec()
    };
    for what in &wanted {
        let Ok(n) = images.resolve(what) else { continue };
        let id = &images.images[n].id;
        let users: Vec<_> = containers.containers.iter().filter(|c| &c.image == id).collect();
        if users.is_empty() {
            continue;
        }
        if !force {
            failures.push((
                Failure::InUse,
                format!(
                    "image {what} is in use by container {}: remove the container first or use rmi -f",
                    users.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
                ),
            ));
            refused.insert(what.clone());
            continue;
        }
        for c in users {
            crate::container::ensure_stopped(store, c, true)?;
            doomed.push(c.clone());
        }
    }
    userns::enter()?;
    for c in &doomed {
        crate::container::remove(store, c, true)?;
    }
    store.sweep()?;
    // containers.lock first (the store's lock order), held to the end: a container created
    // since the check above must not lose its image.
    let _containers = store.lock_containers()?;
    let users_now = store.load_containers()?;
    let lock = store.lock_images()?;
    let mut idx = store.load_images()?;
    let mut targets: Vec<String> = wanted.iter().filter(|w| !refused.contains(*w)).cloned().collect();
    targets.retain(|what| {
        let Ok(n) = idx.resolve(what) else { return true };
        let id = &idx.images[n].id;
        let users: Vec<&str> = users_now
            .containers
            .iter()
            .filter(|c| &c.image == id)
            .map(|c| c.name.as_str())
            .collect();
        if users.is_empty() {
            return true;
        }
        failures.push((
            Failure::InUse,
            format!(
                "image {what} is in use by container {}: remove the container first or use rmi -f",
                users.join(", ")
            ),
        ));
        false
    });
    let mut report = String::new();
    // (status, image id, name) for the event log, written once the index is.
    let mut evs: Vec<(&str, String, String)> = Vec::new();
    for what in &targets {
        let n = match idx.resolve(what) {
            Ok(n) => n,
            Err(e) if e.class == crate::error::Class::NoSuchObject && !what.contains('@') => {
                // A manifest list of that name: rmi removes it, as Podman's does.
                match crate::image::manifest::remove_locked(store, what)? {
                    Some(full) => report.push_str(&format!("Untagged: {full}\n")),
                    // As Podman: with force, an image that does not exist is no error.
                    None if force => {}
                    None => failures.push((Failure::Missing, e.message)),
                }
                continue;
            }
            // As Podman: with force, an image that does not exist is no error.
            Err(e) if force && e.class == crate::error::Class::NoSuchObject => continue,
            Err(e) => {
                let why = if e.class == crate::error::Class::NoSuchObject {
                    Failure::Missing
                } else {
                    Failure::Refused
                };
                failures.push((why, e.message));
                continue;
            }
        };
        let img = &mut idx.images[n];
        // Asked for by a digest reference (REPO@sha256:…) while it has names: only that
        // reference goes (Podman: "Untagged: REPO@sha256:…"), the image and its tags stay.
        if !all && what.contains('@') && !img.names.is_empty() {
            let d = img
                .digests
                .iter()
                .find(|d| *d == what || d.ends_with(&format!("/{what}")))
                .cloned();
            if let Some(d) = d {
                img.digests.retain(|x| *x != d);
                report.push_str(&format!("Untagged: {what}\n"));
                continue;
            }
        }
        // Asked for by one of its names while it has others: only that name goes.
        let by_name = crate::reference::ImageRef::parse(what).ok().and_then(|r| {
            let full = r.tagged()?;
            img.names
                .iter()
                .find(|x| {
                    **x == full || x.ends_with(&format!("/{}", what)) || x.ends_with(&format!("/{}:latest", what))
                })
                .cloned()
        });
        let by_id = img.id.starts_with(what.trim_start_matches("sha256:"));
        if !by_id && !all && img.names.len() > 1 {
            if let Some(name) = by_name {
                img.names.retain(|x| *x != name);
                report.push_str(&format!("Untagged: {name}\n"));
                evs.push(("untag", img.id.clone(), name));
                continue;
            }
        }
        if by_id && !all && !force && img.names.len() > 1 {
            failures.push((
                Failure::Refused,
                format!(
                    "unable to delete image {} by ID with more than one tag ({}): use -f to remove it",
                    img.short_id(),
                    img.names.join(", ")
                ),
            ));
            continue;
        }
        for name in &img.names {
            report.push_str(&format!("Untagged: {name}\n"));
            evs.push(("untag", img.id.clone(), name.clone()));
        }
        report.push_str(&format!("Deleted: {}\n", img.id));
        evs.push(("remove", img.id.clone(), img.id.clone()));
        idx.images.remove(n);
    }
    store.save_images(&idx, &lock)?;
    for (status, id, name) in &evs {
        crate::events::image(status, id, name);
    }
    store.collect_garbage(&idx, &lock, true)?;
    Ok(Removal { report, failures })
}
