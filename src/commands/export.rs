//! `hutch export`

use std::io::IsTerminal;

use crate::cli::ExportArgs;
use crate::error::Result;

pub fn run(a: ExportArgs) -> Result<i32> {
    if a.output.is_none() && std::io::stdout().is_terminal() {
        crate::bail!("refusing to export to terminal. Use -o flag or redirect");
    }
    crate::container::export::export(&a.container, a.output.as_deref())?;
    Ok(0)
}
