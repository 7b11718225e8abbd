//! The image engine: pull (`pull`), remove (`remove`), prune (`prune`) and name (`tag`)
//! images in the store, and find the image a container needs, pulling it when allowed.

pub mod commit;
pub mod import;
pub mod prune;
pub mod pull;
pub mod push;
pub mod remove;
pub mod save;
pub mod load;
pub mod manifest;
pub mod tag;

use crate::error::{Context, Error, Result};
use crate::spec::PullPolicy;
use crate::store::{ImageRecord, Store};

/// Find the image the user named, pulling it (in a child `hutch pull`, so that no tokio runtime
/// or user namespace is left in this process) when missing and the policy allows.
pub fn find_or_pull(store: &Store, name: &str, policy: PullPolicy, quiet: bool) -> Result<ImageRecord> {
    let idx = store.load_images()?;
    let found = idx.resolve(name);
    if let (Ok(n), false) = (&found, policy == PullPolicy::Always) {
        return Ok(idx.images[*n].clone());
    }
    if policy == PullPolicy::Never {
        return Err(found.err().unwrap_or_else(|| crate::err!("{name}: image not known")));
    }
    if let Err(e) = crate::reference::ImageRef::parse(name) {
        crate::bail!("{name}: {e}");
    }
    let mut cmd = std::process::Command::new("/proc/self/exe");
    cmd.arg("pull");
    if quiet {
        cmd.arg("--quiet");
    }
    cmd.arg(name).stdout(std::process::Stdio::null());
    let status = cmd.status().ctx(|| "running hutch pull")?;
    if !status.success() {
        // `hutch pull` already said what went wrong.
        return Err(Error::new(String::new()));
    }
    let idx = store.load_images()?;
    let n = idx.resolve(name)?;
    Ok(idx.images[n].clone())
}

