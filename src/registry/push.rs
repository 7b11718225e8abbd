//! The registry side of a push: a session allowed to push, blob checks (HEAD), cross-repository
//! mounts, uploads of a file in one PUT (retried from the start on faults) and raw manifests.

use std::path::Path;
use std::time::Duration;

use futures_util::StreamExt;
use oci_client::errors::OciDistributionError;
use oci_client::RegistryOperation;

use super::{retry_after, RegistryOptions, Session};
use crate::error::Result;
use crate::reference::ImageRef;

impl Session {
    /// A session on `image`'s repository with push and pull rights.
    pub async fn connect_push(image: &ImageRef, opts: &RegistryOptions) -> Result<Session> {
        let policy = crate::config::registry_policy(&image.name())?;
        if policy.blocked {
            crate::bail!("registry {} is blocked in registries.conf", image.registry);
        }
        Session::connect_op(image, opts, policy.insecure, RegistryOperation::Push).await
    }

    /// Whether the repository has the blob `digest` (HEAD).
    pub async fn has_blob(&self, digest: &str) -> Result<bool> {
        self.retry(&format!("checking blob {digest}"), || {
            self.client.blob_exists(&self.reference, digest)
        })
        .await
    }

    /// Mount `digest` from repository `from` of the same registry; false when the registry
    /// would not (it then answers 202 and expects an upload, which hutch does not start).
    pub async fn mount(&self, from: &str, digest: &str) -> bool {
        let source = oci_client::Reference::with_tag(self.image.registry.clone(), from.to_string(), "latest".into());
        // The token of the destination covers only its own repository: ask for one that can
        // read the source too (bearer registries); Basic and anonymous need nothing more.
        let _ = self.client.auth(&source, &self.auth, RegistryOperation::Pull).await;
        self.client.mount_blob(&self.reference, &source, digest).await.is_ok()
    }

    /// Upload the file `path` (`size` bytes, hashing to `digest`) as a blob, trying `attempts`
    /// times in all when the connection or the registry fails on the way. `on_bytes` sees each
    /// chunk sent (progress) and `on_restart` each new attempt.
    pub async fn upload_file(
        &self,
        path: &Path,
        size: u64,
        digest: &str,
        attempts: u32,
        on_bytes: std::sync::Arc<dyn Fn(u64) + Send + Sync>,
        on_restart: &(dyn Fn() + Send + Sync),
    ) -> Result<()> {
        let mut attempt = 0;
        loop {
            on_restart();
            let file = tokio::fs::File::open(path)
                .await
                .map_err(|e| crate::err!("reading {}: {e}", path.display()))?;
            let cb = on_bytes.clone();
            let stream = tokio_util_like::reader_stream(file).map(move |r| {
                if let Ok(b) = &r {
                    cb(b.len() as u64);
                }
                r.map_err(OciDistributionError::IoError)
            });
            match self
                .client
                .push_blob_stream(&self.reference, stream, digest, Some(size))
                .await
            {
                Ok(_) => return Ok(()),
                Err(e) => {
                    attempt += 1;
                    let again = retry_after(&e, attempt.min(4))
                        .or_else(|| upload_fault(&e).then(|| Duration::from_millis(300)));
                    match again {
                        Some(d) if attempt < attempts.max(1) => tokio::time::sleep(d).await,
                        _ => return Err(self.describe(&format!("uploading blob {digest}"), e)),
                    }
                }
            }
        }
    }

    /// Upload a blob whose bytes are made while it is sent (a layer compressed on the way):
    /// the upload session is opened, `stream` goes up in PATCHes of at most 4 MiB as it comes,
    /// and the session is closed with the digest computed on the way (PUT `?digest=`). Returns
    /// the digest and size the registry accepted. One attempt: a fault means making the bytes
    /// again, which only the caller can do; the error says whether another attempt may help.
    /// `attempt` (1 for the first) sets the wait advised before the next.
    pub async fn upload_stream<S>(
        &self,
        stream: S,
        attempt: u32,
    ) -> std::result::Result<(String, u64), (crate::error::Error, Option<Duration>)>
    where
        S: futures_util::Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static,
    {
        let stream = stream.map(|r| r.map_err(OciDistributionError::IoError));
        match self.client.push_blob_stream_chunked(&self.reference, stream).await {
            Ok(r) => Ok((r.blob_digest, r.size)),
            Err(e) => {
                let again =
                    retry_after(&e, attempt.min(4)).or_else(|| upload_fault(&e).then(|| Duration::from_millis(300)));
                Err((self.describe("uploading blob", e), again))
            }
        }
    }

    /// PUT the manifest bytes as they are under the session's tag, or by their digest when
    /// `by_digest` (an image of a manifest list); returns their digest.
    pub async fn put_manifest(&self, bytes: &[u8], media_type: &str, by_digest: Option<()>) -> Result<String> {
        let ct: reqwest::header::HeaderValue = media_type
            .parse()
            .map_err(|_| crate::err!("invalid media type {media_type}"))?;
        let body = bytes::Bytes::copy_from_slice(bytes);
        let digest = format!("sha256:{}", crate::digest::sha256_hex(bytes));
        let r = match by_digest {
            Some(()) => self.reference.clone_with_digest(digest.clone()),
            None => self.reference.clone(),
        };
        self.retry("writing manifest", || {
            self.client.push_manifest_raw(&r, body.clone(), ct.clone())
        })
        .await?;
        Ok(digest)
    }
}

/// A fault worth a new attempt while uploading: a reset connection or a body cut short.
fn upload_fault(e: &OciDistributionError) -> bool {
    match e {
        OciDistributionError::RequestError(r) => r.is_request() || r.is_body() || r.is_connect() || r.is_timeout(),
        OciDistributionError::ServerError { code, .. } => *code >= 500,
        OciDistributionError::IoError(_) => true,
        _ => false,
    }
}

/// A stream of a file's bytes in 256 KiB chunks.
mod tokio_util_like {
    use futures_util::stream::{self, Stream};
    use tokio::io::AsyncReadExt;

    pub fn reader_stream(file: tokio::fs::File) -> impl Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static {
        stream::unfold(Some(file), |state| async move {
            let mut f = state?;
            let mut buf = vec![0u8; 256 * 1024];
            match f.read(&mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok(bytes::Bytes::from(buf)), Some(f)))
                }
                Err(e) => Some((Err(e), None)),
            }
        })
    }
}
