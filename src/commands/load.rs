//! `hutch load`

use std::io::IsTerminal;

use crate::cli::LoadArgs;
use crate::error::Result;
use crate::image::load::{self, Source};
use crate::output::{out, Progress};

pub fn run(a: LoadArgs) -> Result<i32> {
    let source = match &a.input {
        Some(p)
            if p.to_str()
                .is_some_and(|u| u.starts_with("http://") || u.starts_with("https://")) =>
        {
            Source::Url(p.to_string_lossy().into_owned())
        }
        Some(p) => Source::File(p.clone()),
        None if std::io::stdin().is_terminal() => {
            crate::bail!("cannot read from terminal, use command-line redirection or the --input flag")
        }
        None => Source::Stdin,
    };
    let report = load::load(source, &Progress::new(a.quiet))?;
    // As Podman's: the archive, without an image id (it may hold several).
    let from = a.input.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
    crate::events::image("loadfromarchive", "", &from);
    for n in &report.names {
        out(&format!("Loaded image: {n}\n"));
    }
    Ok(0)
}
