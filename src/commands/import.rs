//! `hutch import`

use std::io::IsTerminal;

use crate::cli::ImportArgs;
use crate::error::{Context, Result};
use crate::image::import::{self, ImportOptions};
use crate::output::out;

pub fn run(a: ImportArgs) -> Result<i32> {
    // Everything the user gave is checked before the store is touched.
    import::config_from_changes(&a.change)?;
    let name = a
        .name
        .as_deref()
        .map(crate::image::tag::normalize_new_name)
        .transpose()?;
    let input = if a.file.starts_with("http://") || a.file.starts_with("https://") {
        import::Input::Url(a.file.clone())
    } else if a.file == "-" {
        if std::io::stdin().is_terminal() {
            crate::bail!("cannot read from terminal, use command-line redirection");
        }
        import::Input::Reader(Box::new(std::io::stdin()))
    } else {
        import::Input::Reader(Box::new(
            std::fs::File::open(&a.file).ctx(|| format!("opening {}", a.file))?,
        ))
    };
    let what = if a.file == "-" { "stdin" } else { a.file.as_str() };
    let id = import::import(
        input,
        what,
        &ImportOptions {
            changes: a.change.clone(),
            message: a.message.clone(),
            name,
        },
    )?;
    let _ = a.quiet;
    out(&format!("{id}\n"));
    Ok(0)
}
