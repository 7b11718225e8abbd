//! `hutch commit`

use crate::cli::CommitArgs;
use crate::error::Result;
use crate::image::commit::{self, CommitOptions};
use crate::output::out;
use crate::store::Store;

pub fn run(a: CommitArgs) -> Result<i32> {
    // Everything the user gave is checked before the store is touched.
    crate::image::import::config_from_changes(&a.change)?;
    let name = a
        .image
        .as_deref()
        .map(crate::image::tag::normalize_new_name)
        .transpose()?;
    let opts = CommitOptions {
        author: a.author,
        message: a.message,
        changes: a.change,
        name,
        docker: a.format == "docker",
    };
    // Paused as the host user (before the engine enters the store's user namespace); resumed
    // when `paused` is dropped, whatever the outcome.
    let paused = if a.pause {
        let store = Store::open()?;
        let idx = store.load_containers()?;
        let rec = idx.containers[idx.resolve(&a.container)?].clone();
        crate::container::pause_main(&store, &rec)?
    } else {
        None
    };
    let id = commit::commit(&a.container, &opts);
    drop(paused);
    let _ = a.quiet;
    out(&format!("{}\n", id?));
    Ok(0)
}
