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

pub fn run(a: PullArgs) -> Result<i32> {
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
