//! `hutch unshare [CMD…]`: a shell or CMD as root in the store's user namespace.

use crate::cli::UnshareArgs;
use crate::error::Result;

pub fn run(a: UnshareArgs) -> Result<i32> {
    crate::system::unshare::exec(&a.command)
}
