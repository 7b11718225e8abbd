//! `hutch image sign`

use crate::cli::SignArgs;
use crate::error::Result;
use crate::reference::ImageRef;

pub fn run(a: SignArgs) -> Result<i32> {
    let opts = super::pull::registry_options(&a.registry)?;
    // Every reference checked before anything is signed.
    let mut images = Vec::new();
    for i in &a.images {
        let r = i.strip_prefix("docker://").unwrap_or(i);
        if let Some((t, _)) = r
            .split_once(':')
            .filter(|(t, _)| ["oci", "oci-archive", "docker-archive", "dir", "containers-storage"].contains(t))
        {
            crate::bail!("{i}: only docker:// (registry) images can be signed, not {t}:");
        }
        images.push(ImageRef::parse(r)?);
    }
    let dir = match &a.directory {
        Some(d) => d.clone(),
        None => std::env::var_os("XDG_DATA_HOME")
            .filter(|d| !d.is_empty())
            .map(std::path::PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".local/share")))
            .ok_or_else(|| crate::err!("cannot find your data directory: set HOME or use --directory"))?
            .join("containers/sigstore"),
    };
    for img in &images {
        crate::image::sign::sign(img, &a.sign_by, &dir, &opts)?;
    }
    Ok(0)
}
