//! The image engine: pull (`pull`), remove (`remove`), prune (`prune`) and name (`tag`)
//! images in the store, and find the image a container needs, pulling it when allowed.

pub mod commit;
pub mod import;
pub mod load;
pub mod manifest;
pub mod prune;
pub mod pull;
pub mod push;
pub mod remove;
pub mod save;
pub mod sign;
pub mod tag;

use crate::error::{Context, Error, Result};
use crate::spec::PullPolicy;
use crate::store::{ImageRecord, Store};

/// How `run` and `create` get their image: the pull policy, and what the child `hutch pull`
/// is told (the platform, --tls-verify, --authfile, --creds).
#[derive(Debug, Clone)]
pub struct ImplicitPull {
    pub policy: PullPolicy,
    pub quiet: bool,
    /// The platform asked for; a local image of another one does not count as present.
    pub platform: Option<crate::registry::Platform>,
    /// Registry flags passed on to `hutch pull`.
    pub args: Vec<std::ffi::OsString>,
}

/// Find the image the user named, pulling it (in a child `hutch pull`, so that no tokio runtime
/// or user namespace is left in this process) when missing and the policy allows.
pub fn find_or_pull(store: &Store, name: &str, pull: &ImplicitPull) -> Result<ImageRecord> {
    // docker-archive:FILE and oci-archive:FILE (as Podman's run and create): loaded first, in a
    // child `hutch load` (its progress lines on stderr), then the image it loaded is used.
    if let Some(file) = name
        .strip_prefix("docker-archive:")
        .or_else(|| name.strip_prefix("oci-archive:"))
    {
        if !std::path::Path::new(file).is_file() {
            crate::bail!("{name}: no such archive file {file}");
        }
        let mut cmd = std::process::Command::new("/proc/self/exe");
        cmd.args(["load", "-i", file]);
        if pull.quiet {
            cmd.arg("--quiet");
        }
        let out = cmd
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::inherit())
            .output()
            .ctx(|| "running hutch load")?;
        if !out.status.success() {
            // `hutch load` already said what went wrong.
            return Err(Error::new(String::new()));
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let loaded = text
            .lines()
            .find_map(|l| l.strip_prefix("Loaded image: "))
            .ok_or_else(|| crate::err!("{name}: the archive held no image"))?;
        let idx = store.load_images()?;
        let n = idx.resolve(loaded.trim_start_matches("sha256:"))?;
        return Ok(idx.images[n].clone());
    }
    let idx = store.load_images()?;
    let found = idx.resolve(name);
    // Another platform's image under this name is not the one asked for.
    let other_platform = match (&found, &pull.platform) {
        (Ok(n), Some(p)) => {
            let config: serde_json::Value = store
                .read_blob(&format!("sha256:{}", idx.images[*n].id))
                .ok()
                .and_then(|c| serde_json::from_slice(&c).ok())
                .unwrap_or_default();
            (!p.matches(&config)).then(|| format!("{}/{}", idx.images[*n].os, idx.images[*n].architecture))
        }
        _ => None,
    };
    if let (Ok(n), false, None) = (&found, pull.policy == PullPolicy::Always, &other_platform) {
        return Ok(idx.images[*n].clone());
    }
    if pull.policy == PullPolicy::Never {
        if let (Some(have), Some(p)) = (&other_platform, &pull.platform) {
            crate::bail!("{name}: the local image is for {have}, not {p}, and --pull=never forbids pulling");
        }
        return Err(found.err().unwrap_or_else(|| crate::err!("{name}: image not known")));
    }
    if let Err(e) = crate::reference::ImageRef::parse(name) {
        crate::bail!("{name}: {e}");
    }
    // The child pull says "Trying to pull REF..." (as Podman's run and create do), and shows
    // progress bars on a terminal.
    let mut cmd = std::process::Command::new("/proc/self/exe");
    cmd.arg("pull");
    if pull.quiet {
        cmd.arg("--quiet");
    }
    if let Some(p) = &pull.platform {
        cmd.arg(format!("--platform={p}"));
    }
    cmd.args(&pull.args);
    cmd.arg("--").arg(name).stdout(std::process::Stdio::null());
    let status = cmd.status().ctx(|| "running hutch pull")?;
    if !status.success() {
        // `hutch pull` already said what went wrong.
        return Err(Error::new(String::new()));
    }
    let idx = store.load_images()?;
    let n = idx.resolve(name)?;
    Ok(idx.images[n].clone())
}
