//! `hutch rmi` / `hutch image rm`: per item; a missing image fails only that item.

use crate::cli::RmiArgs;
use crate::error::Result;
use crate::image::remove::{self, Failure};
use crate::output::{error, out};
use crate::store::Store;

pub fn run(a: RmiArgs) -> Result<i32> {
    let store = Store::open()?;
    let mut r = remove::remove(&store, &a.images, a.all, a.force)?;
    if a.ignore {
        r.failures.retain(|(f, _)| *f != Failure::Missing);
    }
    for (_, msg) in &r.failures {
        error(msg);
    }
    out(&r.report);
    // podman-rmi(1)'s exit status: 2 when an image is in use by a container, else 1 when
    // images did not exist and nothing else failed, else 125 for any other failure.
    let has = |f: Failure| r.failures.iter().any(|(x, _)| *x == f);
    Ok(if r.failures.is_empty() {
        0
    } else if has(Failure::InUse) {
        2
    } else if !has(Failure::Refused) {
        1
    } else {
        125
    })
}
