//! `hutch image prune`: dangling images (all unused ones with -a), then unused layers and blobs.

use crate::cli::PruneArgs;
use crate::error::Result;
use crate::output::out;

pub fn run(a: PruneArgs) -> Result<i32> {
    let removed = crate::image::prune::prune(a.all)?;
    out(&removed.iter().map(|id| format!("{id}\n")).collect::<String>());
    if a.build_cache {
        crate::image::prune::prune_build_cache()?;
    }
    Ok(0)
}
