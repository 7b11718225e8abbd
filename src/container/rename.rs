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
    if let Some(other) = idx.containers.iter().find(|c| c.name == new) {
        crate::bail!(
            "the container name \"{new}\" is already in use by {}: remove that container or choose another name",
            other.short_id()
        );
    }
    idx.containers[n].name = new.to_string();
    store.save_containers(&idx, &lock)?;
    crate::events::of("rename", &idx.containers[n]);
    Ok(())
}
