//! `hutch save`

use std::io::IsTerminal;

use crate::cli::{SaveArgs, SaveFormatArg};
use crate::error::Result;
use crate::image::save::{self, Destination, SaveFormat};

pub fn run(a: SaveArgs) -> Result<i32> {
    let format = match a.format {
        SaveFormatArg::DockerArchive => SaveFormat::DockerArchive,
        SaveFormatArg::OciArchive => SaveFormat::OciArchive,
        SaveFormatArg::OciDir => SaveFormat::OciDir,
    };
    let dest = match &a.output {
        Some(p) => Destination::Path(p.clone()),
        None if format == SaveFormat::OciDir => crate::bail!("--format oci-dir needs an output directory (-o DIR)"),
        None if std::io::stdout().is_terminal() => {
            crate::bail!("refusing to save to terminal. Use -o flag or redirect")
        }
        None => Destination::Stdout,
    };
    if a.multi_image_archive && format != SaveFormat::DockerArchive {
        crate::bail!("--multi-image-archive (-m) is only supported with --format docker-archive");
    }
    save::save_images(&a.images, a.multi_image_archive, format, &dest)?;
    let to = a.output.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
    for i in &a.images {
        crate::events::image("save", &super::image_id(i).unwrap_or_default(), &to);
    }
    Ok(0)
}
