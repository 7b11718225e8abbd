//! `hutch manifest create|add|annotate|inspect|push|rm`

use crate::cli::{CompressionArg, ManifestCommand, PushFormatArg};
use crate::error::{Context, Result};
use crate::image::manifest;
use crate::image::push::{Compression, ManifestFormat, PushOptions, Target};
use crate::output::{out, Progress};

pub fn run(c: ManifestCommand) -> Result<i32> {
    match c {
        ManifestCommand::Create(a) => {
            let opts = super::pull::registry_options(&a.registry)?;
            let name = manifest::create(&a.list, &a.images, a.amend, &opts)?;
            out(&format!("{name}\n"));
        }
        ManifestCommand::Add(a) => {
            let opts = super::pull::registry_options(&a.registry)?;
            manifest::add(&a.list, &a.image, a.platform.as_deref(), &opts)?
        }
        ManifestCommand::Annotate(a) => manifest::annotate(
            &a.list,
            &a.image,
            &manifest::Annotation {
                annotations: a.annotation.clone(),
                arch: a.arch.clone(),
                os: a.os.clone(),
                os_version: a.os_version.clone(),
                variant: a.variant.clone(),
            },
        )?,
        ManifestCommand::Inspect(a) => out(&format!("{}\n", manifest::inspect(&a.list)?)),
        ManifestCommand::Rm(a) => manifest::remove(&a.lists)?,
        ManifestCommand::Push(a) => {
            let dest = match Target::parse(&a.destination)? {
                Target::Registry(r) => r,
                _ => crate::bail!("{}: manifest lists are pushed to registries only", a.destination),
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
                level: None,
                retry: a.retry.saturating_add(1),
            };
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
            let digest = manifest::push_list(&a.list, &dest, &opts, &progress)?;
            if let Some(f) = &a.digestfile {
                std::fs::write(f, &digest).ctx(|| format!("writing {}", f.display()))?;
            }
            out(&format!("{digest}\n"));
        }
    }
    Ok(0)
}
