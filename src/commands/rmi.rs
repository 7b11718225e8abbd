//! `hutch rmi` / `hutch image rm`: per item; a missing image fails only that item.

use crate::cli::RmiArgs;
use crate::error::Result;
use crate::image::remove;
use crate::output::{error, out};
use crate::store::Store;

pub fn run(a: RmiArgs) -> Result<i32> {
    let store = Store::open()?;
    let r = remove::remove(&store, &a.images, a.all, a.force)?;
    for (_, msg) in &r.failures {
        error(msg);
    }
    out(&r.report);
    Ok(if r.failures.is_empty() { 0 } else { 125 })
}
