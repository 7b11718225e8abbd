//! Renaming a container: its record only (the name is how users and `container:NAME` networks
//! find it; its id, hostname and files stay).

use crate::error::Result;
use crate::store::Store;

/// Give the container `what` the name `new`; an error if the name is invalid or taken.
pub fn rename(store: &Store, what: &str, new: &str) -> Result<()> {
    super::validate_name(new)?;
    let lock = store.lock_containers()?;
    let mut idx = store.load_containers()?;
    let n = idx.resolve(what)?;
    if idx.containers[n].name == new {
        return Ok(());
    }
    let id = idx.containers[n].id.clone();
    let taken = match idx.containers.iter().find(|c| c.name == new) {
        Some(other) => Some(other.short_id().to_string()),
        None => match store.reserve_name(new, &id, &lock, true)? {
            crate::store::Reservation::Taken(o) => Some(o[..12].to_string()),
            _ => None,
        },
    };
    if let Some(other) = taken {
        crate::bail!(
            "the container name \"{new}\" is already in use by {other}: remove that container or choose another name"
        );
    }
    let old = std::mem::replace(&mut idx.containers[n].name, new.to_string());
    if let Err(e) = store.save_containers(&idx, &lock) {
        store.release_name(new, &id);
        return Err(e);
    }
    store.release_name(&old, &id);
    crate::events::of("rename", &idx.containers[n]);
    Ok(())
}
