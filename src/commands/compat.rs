//! `hutch untag`, `hutch rename`, `hutch container exists`: small verbs Podman scripts use.

use crate::cli::{ContainerExistsArgs, CtrVerbs, RenameArgs, UntagArgs};
use crate::error::Result;
use crate::store::Store;

pub fn untag(a: UntagArgs) -> Result<i32> {
    let store = Store::open()?;
    crate::image::tag::untag(&store, &a.image, &a.names)?;
    Ok(0)
}

pub fn ctr_verbs(c: CtrVerbs) -> Result<i32> {
    match c {
        CtrVerbs::Rename(a) => rename(a),
    }
}

fn rename(a: RenameArgs) -> Result<i32> {
    let store = Store::open()?;
    crate::container::rename::rename(&store, &a.container, &a.name)?;
    Ok(0)
}

/// 0 when the container exists, 1 when not (as podman-container-exists(1)), without output.
pub fn container_exists(a: ContainerExistsArgs) -> Result<i32> {
    let Some(store) = Store::open_existing(&crate::paths::data_dir()?) else {
        return Ok(1);
    };
    let idx = store.load_containers()?;
    Ok(if idx.resolve(&a.container).is_ok() { 0 } else { 1 })
}
