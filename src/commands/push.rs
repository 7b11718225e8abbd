//! `hutch push`

use crate::cli::{CompressionArg, PushArgs, PushFormatArg};
use crate::error::{Context, Result};
use crate::image::push::{self, Compression, ManifestFormat, PushOptions, Target};
use crate::output::Progress;

pub fn run(a: PushArgs) -> Result<i32> {
    // Validate everything before touching the store or the network.
    let target = match &a.destination {
        Some(d) => Target::parse(d)?,
        None => {
            let t = Target::parse(&a.image)?;
            if let Target::Registry(r) = &t {
                if r.registry == "localhost" {
                    crate::bail!(
                        "{}: a localhost/ name has no registry to push to: give a DESTINATION",
                        a.image
                    );
                }
            }
            t
        }
    };
    let opts = PushOptions {
        registry: super::pull::registry_options(&a.registry)?,
        format: a.format.map(|f| match f {
            PushFormatArg::Oci => ManifestFormat::Oci,
            PushFormatArg::V2s2 => ManifestFormat::V2s2,
        }),
        compression: a.compression_format.map(|c| match c {
            CompressionArg::Gzip => Compression::Gzip,
            CompressionArg::Zstd => Compression::Zstd,
        }),
        level: a.compression_level,
        retry: a.retry.saturating_add(1),
    };
    opts.check()?;
    if let Some(f) = &a.digestfile {
        let parent = f
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        if !parent.is_dir() {
            crate::bail!("--digestfile {}: no such directory {}", f.display(), parent.display());
        }
    }
    let progress = Progress::new(a.quiet);
    let digest = push::push_image(&a.image, &target, &opts, &progress)?;
    let dest = a.destination.clone().unwrap_or_else(|| a.image.clone());
    crate::events::image("push", &super::image_id(&a.image).unwrap_or_default(), &dest);
    if let Some(f) = &a.digestfile {
        std::fs::write(f, &digest).ctx(|| format!("writing {}", f.display()))?;
    }
    Ok(0)
}
