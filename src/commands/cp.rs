//! `hutch cp`

use std::io::IsTerminal;

use crate::cli::CpArgs;
use crate::container::cp::{self, CpOptions, Side};
use crate::error::Result;

pub fn run(a: CpArgs) -> Result<i32> {
    if cp::parse_side(&a.src) == Side::Stream && std::io::stdin().is_terminal() {
        crate::bail!("cannot read a tar stream from a terminal: redirect stdin");
    }
    if cp::parse_side(&a.dest) == Side::Stream && std::io::stdout().is_terminal() {
        crate::bail!("refusing to write a tar stream to a terminal: redirect stdout");
    }
    let opts = CpOptions {
        chown: a.archive,
        overwrite: a.overwrite,
        pause: a.pause,
    };
    cp::cp(&a.src, &a.dest, &opts)?;
    let _ = a.quiet;
    Ok(0)
}
