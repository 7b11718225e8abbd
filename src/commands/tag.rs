//! `hutch tag`

use crate::cli::TagArgs;
use crate::error::Result;
use crate::store::Store;

pub fn run(a: TagArgs) -> Result<i32> {
    // Names are checked before the store is opened.
    for t in &a.targets {
        crate::image::tag::normalize_new_name(t)?;
    }
    let store = Store::open()?;
    crate::image::tag::tag(&store, &a.image, &a.targets)?;
    Ok(0)
}
