//! `image sign`: Podman's "simple signing" of images in a registry. The signature is a GnuPG
//! signed message (made by the `gpg` program, with the user's keyring) whose payload names the
//! image (`docker-reference`) and its manifest digest; it is written to
//! `DIR/REPOSITORY@sha256=HEX/signature-N` (the first N free), the layout containers/image reads
//! from a lookaside signature store.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::json;

use crate::error::{Context, Result};
use crate::reference::ImageRef;
use crate::registry::{self, Platform, RegistryOptions};

/// The signature's payload (containers/image's "atomic container signature").
pub fn payload(reference: &str, digest: &str, timestamp: i64) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "critical": {
            "identity": { "docker-reference": reference },
            "image": { "docker-manifest-digest": digest },
            "type": "atomic container signature",
        },
        "optional": {
            "creator": format!("hutch {}", env!("CARGO_PKG_VERSION")),
            "timestamp": timestamp,
        },
    }))
    .expect("json")
}

/// Where the signature of `repository` at `digest` goes under `dir`.
pub fn signature_dir(dir: &Path, repository: &str, digest: &str) -> PathBuf {
    dir.join(format!("{repository}@{}", digest.replacen(':', "=", 1)))
}

/// Sign `image` (a registry reference) with GnuPG key `key` into `dir`; returns the file written.
pub fn sign(image: &ImageRef, key: &str, dir: &Path, opts: &RegistryOptions) -> Result<PathBuf> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ctx(|| "starting the network runtime")?;
    let r = rt.block_on(async { registry::open(image, opts, &Platform::host()).await.map(|(_, r)| r) });
    rt.shutdown_background();
    let resolved = r?;
    let reference = image.tagged().unwrap_or_else(|| format!("{}:latest", image.name()));
    let body = payload(&reference, &resolved.manifest_digest, crate::output::now_secs());

    let mut child = Command::new("gpg")
        .args([
            "--batch",
            "--no-tty",
            "--yes",
            "--sign",
            "--local-user",
            key,
            "--output",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| crate::err!("running gpg to sign with {key}: {e} (is GnuPG installed?)"))?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(&body)
        .map_err(|e| crate::err!("sending the payload to gpg: {e}"))?;
    let out = child.wait_with_output().map_err(|e| crate::err!("running gpg: {e}"))?;
    if !out.status.success() || out.stdout.is_empty() {
        let why = String::from_utf8_lossy(&out.stderr);
        let why = why
            .lines()
            .filter(|l| !l.trim().is_empty())
            .last()
            .unwrap_or("no signature made");
        crate::bail!(
            "signing {reference} with key {key}: gpg: {}",
            why.trim().trim_start_matches("gpg: ")
        );
    }

    let sdir = signature_dir(dir, &image.repository, &resolved.manifest_digest);
    std::fs::create_dir_all(&sdir).ctx(|| format!("creating {}", sdir.display()))?;
    for n in 1.. {
        let p = sdir.join(format!("signature-{n}"));
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&p) {
            Ok(mut f) => {
                f.write_all(&out.stdout)
                    .and_then(|_| f.sync_all())
                    .ctx(|| format!("writing {}", p.display()))?;
                return Ok(p);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(crate::err!("creating {}: {e}", p.display())),
        }
    }
    unreachable!()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_and_payload() {
        assert_eq!(
            signature_dir(Path::new("/s"), "libpod/testimage", "sha256:ab"),
            PathBuf::from("/s/libpod/testimage@sha256=ab")
        );
        let v: serde_json::Value = serde_json::from_slice(&payload("r/x:1", "sha256:ab", 5)).unwrap();
        assert_eq!(v["critical"]["type"], "atomic container signature");
        assert_eq!(v["critical"]["identity"]["docker-reference"], "r/x:1");
        assert_eq!(v["critical"]["image"]["docker-manifest-digest"], "sha256:ab");
        assert_eq!(v["optional"]["timestamp"], 5);
    }
}
