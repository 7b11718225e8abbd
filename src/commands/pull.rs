//! `hutch pull`

use crate::cli::{PullArgs, RegistryArgs};
use crate::config::Credentials;
use crate::error::Result;
use crate::image::pull::{self, PullOptions};
use crate::output::{note, out, Progress};
use crate::reference::ImageRef;
use crate::registry::{Platform, RegistryOptions};

/// `--creds user[:pass]` and the rest of the registry flags.
pub(crate) fn registry_options(a: &RegistryArgs) -> Result<RegistryOptions> {
    let creds = match &a.creds {
        None => None,
        Some(c) => {
            let (u, p) = c.split_once(':').unwrap_or((c.as_str(), ""));
            if u.is_empty() {
                crate::bail!("--creds: empty username");
            }
            Some(Credentials {
                username: u.into(),
                password: p.into(),
            })
        }
    };
    Ok(RegistryOptions {
        tls_verify: a.tls_verify,
        authfile: a.authfile.clone(),
        creds,
    })
}

/// `pull docker-archive:PATH` / `oci-archive:PATH` / `oci:DIR`: the archive or layout's
/// image(s) stored as `load` stores them, their ids printed, one `pull` event without an id
/// (Podman's).
fn pull_archive(a: &PullArgs, transport: &str, path: &str) -> Result<i32> {
    if path.is_empty() {
        crate::bail!("{}: no path after {transport}:", a.image);
    }
    let p = std::path::Path::new(path);
    if std::fs::symlink_metadata(p).is_err() {
        // PATH:REFERENCE (the reference may hold ':' too): the first prefix that exists.
        match path
            .match_indices(':')
            .map(|(i, _)| (&path[..i], &path[i + 1..]))
            .find(|(file, _)| std::fs::symlink_metadata(file).is_ok())
        {
            Some((_, r)) => crate::bail!(
                "{}: choosing the image {r:?} of an archive is not supported: pull the archive alone (it must hold one image, or load it with hutch load)",
                a.image
            ),
            None => crate::bail!("{}: {path}: no such file or directory", a.image),
        }
    }
    let is_dir = p.is_dir();
    if (transport == "oci") != is_dir {
        crate::bail!(
            "{}: {path} is {}",
            a.image,
            if is_dir {
                "a directory (use oci:DIR)"
            } else {
                "not a directory (oci: names an OCI layout directory)"
            }
        );
    }
    let report = crate::image::load::load(
        crate::image::load::Source::File(p.to_path_buf()),
        &Progress::new(a.quiet),
    )?;
    let ids: Vec<String> = report
        .names
        .iter()
        .map(|n| super::image_id(n).unwrap_or_else(|| n.trim_start_matches("sha256:").to_string()))
        .collect();
    // As Podman's (and `load`'s): named by the source, without an image id (it may hold several).
    crate::events::image("pull", "", &a.image);
    let mut seen = std::collections::HashSet::new();
    out(&ids
        .iter()
        .filter(|i| seen.insert(i.to_string()))
        .map(|i| format!("{i}\n"))
        .collect::<String>());
    Ok(0)
}

pub fn run(a: PullArgs) -> Result<i32> {
    for t in ["docker-archive", "oci-archive", "oci"] {
        if let Some(path) = a.image.strip_prefix(t).and_then(|r| r.strip_prefix(':')) {
            return pull_archive(&a, t, path);
        }
    }
    // Validate everything before touching the store.
    let image = ImageRef::parse(&a.image)?;
    let mut platform = match &a.platform {
        Some(p) => Platform::parse(p)?,
        None => Platform::host(),
    };
    if let Some(arch) = &a.arch {
        platform.arch = arch.clone();
    }
    if let Some(os) = &a.os {
        platform.os = os.clone();
    }
    if a.variant.is_some() {
        platform.variant = a.variant.clone();
    }
    let opts = PullOptions {
        registry: registry_options(&a.registry)?,
        platform,
    };

    let progress = Progress::new(a.quiet);
    let report = pull::pull_to_store(&image, &opts, &progress)?;
    // The reference as it was given, as Podman's event.
    crate::events::image("pull", report.image_id.trim_start_matches("sha256:"), &a.image);
    if report.skipped_devices > 0 {
        note(&format!(
            "{image}: skipped {} device node(s): they cannot be created without privileges",
            report.skipped_devices
        ));
    }
    out(&format!("{}\n", report.image_id));
    Ok(0)
}
