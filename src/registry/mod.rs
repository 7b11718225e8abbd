//! Registry access through oci-client: TLS policy, credentials, platform choice, manifests and
//! verified blob streams, bounded retries. Knows nothing of the store layout.

use std::path::PathBuf;
use std::time::Duration;

use futures_util::stream::BoxStream;
use oci_client::client::{Certificate, CertificateEncoding, ClientConfig, ClientProtocol};
use oci_client::errors::{DigestError, OciDistributionError};
use oci_client::manifest::OciDescriptor;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, RegistryOperation};
use serde_json::Value;

use crate::config::{self, Credentials};
use crate::error::{Context, Error, Result};
use crate::reference::ImageRef;

mod push;
pub mod url;

pub const MT_OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const MT_OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const MT_DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const MT_DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const ACCEPT: &[&str] = &[MT_OCI_INDEX, MT_OCI_MANIFEST, MT_DOCKER_LIST, MT_DOCKER_MANIFEST];
const MAX_ATTEMPTS: u32 = 5;

/// os/arch[/variant]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub arch: String,
    pub variant: Option<String>,
}

impl Platform {
    pub fn host() -> Platform {
        let arch = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "powerpc64" => "ppc64le",
            "arm" => "arm",
            other => other,
        };
        Platform {
            os: "linux".into(),
            arch: arch.into(),
            variant: None,
        }
    }

    pub fn parse(s: &str) -> Result<Platform> {
        let parts: Vec<&str> = s.split('/').collect();
        match parts.as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => Ok(Platform {
                os: os.to_string(),
                arch: arch.to_string(),
                variant: None,
            }),
            [os, arch, v] if !os.is_empty() && !arch.is_empty() && !v.is_empty() => Ok(Platform {
                os: os.to_string(),
                arch: arch.to_string(),
                variant: Some(v.to_string()),
            }),
            _ => Err(crate::err!(
                "invalid platform \"{s}\": expected os/arch[/variant], e.g. linux/arm64"
            )),
        }
    }

    /// Whether a manifest list entry's platform (or an image config: same keys) is this one.
    pub fn matches(&self, p: &Value) -> bool {
        let os = p.get("os").and_then(Value::as_str).unwrap_or("");
        let arch = p.get("architecture").and_then(Value::as_str).unwrap_or("");
        let variant = p.get("variant").and_then(Value::as_str);
        os == self.os
            && arch == self.arch
            && match (&self.variant, variant) {
                (None, _) => true,
                (Some(want), Some(have)) => want == have,
                // arm64 images usually leave out the implied v8.
                (Some(want), None) => self.arch == "arm64" && want == "v8",
            }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.arch)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// How to reach a registry.
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    /// `--tls-verify`: None = follow registries.conf.
    pub tls_verify: Option<bool>,
    pub authfile: Option<PathBuf>,
    pub creds: Option<Credentials>,
}

/// A connection to one repository, authenticated.
#[derive(Clone)]
pub struct Session {
    client: std::sync::Arc<Client>,
    auth: RegistryAuth,
    reference: oci_client::Reference,
    image: ImageRef,
    had_creds: bool,
}

/// A manifest chosen for this platform, with its config.
pub struct Resolved {
    pub manifest: Vec<u8>,
    pub manifest_digest: String,
    pub config: Vec<u8>,
    pub config_digest: String,
    pub layers: Vec<LayerDesc>,
}

#[derive(Debug, Clone)]
pub struct LayerDesc {
    pub digest: String,
    pub size: u64,
    pub media_type: String,
}

/// One-line description of an error chain.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s.replace('\n', " ")
}

fn envelope_codes(e: &OciDistributionError) -> Vec<String> {
    match e {
        OciDistributionError::RegistryError { envelope, .. } => {
            envelope.errors.iter().map(|x| format!("{:?}", x.code)).collect()
        }
        _ => vec![],
    }
}

/// An HTTP 401/403 that came back as a plain status rather than an auth challenge.
fn denied_status(e: &OciDistributionError) -> bool {
    match e {
        OciDistributionError::RequestError(r) => matches!(r.status().map(|s| s.as_u16()), Some(401 | 403)),
        OciDistributionError::ServerError { code, .. } => matches!(code, 401 | 403),
        _ => false,
    }
}

fn looks_like_tls(c: &str) -> bool {
    c.contains("certificate")
        || c.contains("InvalidContentType")
        || c.contains("CorruptMessage")
        || c.to_lowercase().contains("tls")
}

/// How long to wait before trying again, or None when the error is final (401/403/404, digests).
fn retry_after(e: &OciDistributionError, attempt: u32) -> Option<Duration> {
    let backoff = Duration::from_millis(250 << attempt.min(4));
    match e {
        OciDistributionError::ServerError { code, .. } if *code == 429 => Some(Duration::from_secs(1).max(backoff)),
        OciDistributionError::ServerError { code, .. } if matches!(code, 500 | 502 | 503 | 504) => Some(backoff),
        OciDistributionError::RegistryError { .. } if envelope_codes(e).iter().any(|c| c == "Toomanyrequests") => {
            Some(Duration::from_secs(1).max(backoff))
        }
        OciDistributionError::RequestError(r) if r.status().is_some_and(|s| s.as_u16() == 429) => {
            Some(Duration::from_secs(1).max(backoff))
        }
        OciDistributionError::RequestError(r)
            if r.status().is_some_and(|s| matches!(s.as_u16(), 500 | 502 | 503 | 504)) =>
        {
            Some(backoff)
        }
        OciDistributionError::RequestError(r)
            if r.is_connect() || r.is_timeout() || r.is_request() || r.is_body() || r.is_decode() =>
        {
            // A refused connection will not heal in a second, nor a TLS handshake that failed;
            // a reset or a timeout may.
            let c = chain(r);
            if looks_like_tls(&c) {
                return None;
            }
            let refused = c.contains("Connection refused");
            (!refused || attempt == 0).then_some(backoff)
        }
        OciDistributionError::IoError(_) => Some(backoff),
        _ => None,
    }
}

/// Is this stream error worth downloading the blob again for?
pub fn stream_error_is_transient(e: &std::io::Error) -> bool {
    e.get_ref().and_then(|i| i.downcast_ref::<DigestError>()).is_none()
}

/// Connect to where `image` is pulled from and fetch its manifest for `platform`: the mirrors
/// registries.conf gives for it first, in order, then its location (the prefix rewritten, or
/// the image's own registry). A mirror that fails is passed over; when the location fails too,
/// its error says which mirrors were tried.
pub async fn open(image: &ImageRef, opts: &RegistryOptions, platform: &Platform) -> Result<(Session, Resolved)> {
    let sources = config::pull_sources(image)?;
    let mut passed = Vec::new();
    for src in &sources {
        let target = ImageRef::parse(&src.reference)?;
        let r = match Session::connect(&target, opts, src.insecure).await {
            Ok(s) => s.resolve(platform).await.map(|r| (s, r)),
            Err(e) => Err(e),
        };
        match r {
            Ok(v) => return Ok(v),
            Err(e) if src.mirror => passed.push(format!("{target}: {}", e.message)),
            Err(mut e) => {
                if target != *image {
                    e.message = format!("{image} (from {target}): {}", e.message);
                }
                if !passed.is_empty() {
                    e.message = format!("{} (mirrors tried first: {})", e.message, passed.join("; "));
                }
                return Err(e);
            }
        }
    }
    Err(crate::err!("{image}: registries.conf gives no place to pull it from"))
}

impl Session {
    /// Connect to the registry of `image`, choosing HTTPS/HTTP and credentials as Podman does;
    /// `insecure`: what registries.conf says (`--tls-verify` wins).
    pub async fn connect(image: &ImageRef, opts: &RegistryOptions, insecure: bool) -> Result<Session> {
        Session::connect_op(image, opts, insecure, RegistryOperation::Pull).await
    }

    /// `connect` for `op`: a push session also holds a pull token (HEAD of blobs) and uploads
    /// blobs in one PUT each.
    async fn connect_op(
        image: &ImageRef,
        opts: &RegistryOptions,
        insecure: bool,
        op: RegistryOperation,
    ) -> Result<Session> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let insecure = match opts.tls_verify {
            Some(v) => !v,
            None => insecure,
        };
        let creds = match &opts.creds {
            Some(c) => Some(c.clone()),
            None => config::find_credentials(&image.name(), opts.authfile.as_deref())?,
        };
        let had_creds = creds.is_some();
        let auth = match creds {
            Some(c) => RegistryAuth::Basic(c.username, c.password),
            None => RegistryAuth::Anonymous,
        };
        let reference = image.to_oci();
        let mut protocols = vec![ClientProtocol::Https];
        if insecure {
            protocols.push(ClientProtocol::Http);
        }
        let mut last = None;
        for protocol in protocols {
            let mut cc = client_config(&image.registry, protocol.clone(), insecure);
            cc.use_monolithic_push = op == RegistryOperation::Push;
            let client = Client::new(cc);
            let s = Session {
                client: std::sync::Arc::new(client),
                auth: auth.clone(),
                reference: reference.clone(),
                image: image.clone(),
                had_creds,
            };
            match s
                .retry("contacting the registry", || s.client.auth(&s.reference, &s.auth, op))
                .await
            {
                Ok(_) if op == RegistryOperation::Push => {
                    s.retry("contacting the registry", || {
                        s.client.auth(&s.reference, &s.auth, RegistryOperation::Pull)
                    })
                    .await?;
                    return Ok(s);
                }
                Ok(_) => return Ok(s),
                // Only fall back to plain HTTP when HTTPS could not even be spoken.
                Err(e) if insecure && protocol == ClientProtocol::Https => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| crate::err!("cannot reach registry {}", image.registry)))
    }

    async fn retry<T, F, Fut>(&self, what: &str, mut f: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = std::result::Result<T, OciDistributionError>>,
    {
        let mut attempt = 0;
        loop {
            match f().await {
                Ok(v) => return Ok(v),
                Err(e) => match retry_after(&e, attempt) {
                    Some(d) if attempt + 1 < MAX_ATTEMPTS => {
                        attempt += 1;
                        tokio::time::sleep(d).await;
                    }
                    _ => return Err(self.describe(what, e)),
                },
            }
        }
    }

    /// Turn a client error into one line that says what failed and what to do.
    pub fn describe(&self, what: &str, e: OciDistributionError) -> Error {
        let reg = &self.image.registry;
        let img = &self.image;
        let codes = envelope_codes(&e);
        match &e {
            OciDistributionError::UnauthorizedError { .. } if self.had_creds => {
                crate::err!("{what} for {img}: invalid username or password for registry {reg}")
            }
            OciDistributionError::UnauthorizedError { .. } => {
                crate::err!("{what} for {img}: registry {reg} requires authentication: run `hutch login {reg}`")
            }
            OciDistributionError::AuthenticationFailure(m) => {
                let m = m.trim().replace('\n', " ");
                if self.had_creds {
                    crate::err!("{what} for {img}: authentication to registry {reg} failed (invalid username or password?): {m}")
                } else {
                    crate::err!(
                        "{what} for {img}: registry {reg} requires authentication: run `hutch login {reg}` ({m})"
                    )
                }
            }
            OciDistributionError::ImageManifestNotFoundError(_) => {
                crate::err!("{img}: manifest unknown: image not found in registry {reg}")
            }
            OciDistributionError::RegistryError { .. }
                if codes.iter().any(|c| c == "ManifestUnknown" || c == "NameUnknown") =>
            {
                crate::err!("{img}: manifest unknown: image not found in registry {reg}")
            }
            OciDistributionError::RegistryError { .. }
                if codes.iter().any(|c| c == "Denied" || c == "Unauthorized") =>
            {
                crate::err!("{what} for {img}: access denied by registry {reg}")
            }
            OciDistributionError::RequestError(_) | OciDistributionError::ServerError { .. } if denied_status(&e) => {
                if self.had_creds {
                    crate::err!("{what} for {img}: access denied by registry {reg} (invalid username or password?)")
                } else {
                    crate::err!("{what} for {img}: registry {reg} requires authentication: run `hutch login {reg}` or pass --creds")
                }
            }
            OciDistributionError::ServerError { code: 404, .. } => {
                crate::err!("{img}: image not found in registry {reg}")
            }
            OciDistributionError::ServerError { code, .. } => {
                crate::err!("{what} for {img}: registry {reg} answered HTTP {code}")
            }
            OciDistributionError::RequestError(r) => {
                let c = chain(r);
                if looks_like_tls(&c) {
                    crate::err!(
                        "{what}: cannot reach registry {reg} over HTTPS ({c}); for a plain-HTTP or self-signed registry use --tls-verify=false or mark it insecure in registries.conf"
                    )
                } else {
                    crate::err!("{what}: cannot reach registry {reg}: {c}")
                }
            }
            OciDistributionError::DigestError(d) => crate::err!("{what} for {img}: digest mismatch: {d}"),
            _ => crate::err!("{what} for {img}: {}", chain(&e)),
        }
    }

    async fn manifest_raw(&self, reference: &oci_client::Reference) -> Result<(Vec<u8>, String)> {
        let (bytes, _) = self
            .retry("fetching manifest", || {
                self.client.pull_manifest_raw(reference, &self.auth, ACCEPT)
            })
            .await?;
        let digest = format!("sha256:{}", crate::digest::sha256_hex(&bytes));
        if let Some(want) = reference.digest() {
            if want != digest {
                crate::bail!(
                    "digest mismatch for manifest {want} of {}: content hashes to {digest}",
                    self.image
                );
            }
        }
        Ok((bytes.to_vec(), digest))
    }

    /// Fetch the manifest (following an index to `platform`) and the image config.
    pub async fn resolve(&self, platform: &Platform) -> Result<Resolved> {
        let (mut bytes, mut digest) = self.manifest_raw(&self.reference).await?;
        let mut doc: Value = serde_json::from_slice(&bytes)
            .map_err(|e| crate::err!("manifest of {} is not valid JSON: {e}", self.image))?;
        if let Some(d) = choose_from_index(&self.image.to_string(), &doc, platform)? {
            let r = self.reference.clone_with_digest(d.to_string());
            (bytes, digest) = self.manifest_raw(&r).await?;
            doc = serde_json::from_slice(&bytes)
                .map_err(|e| crate::err!("manifest of {} is not valid JSON: {e}", self.image))?;
        }
        if doc.get("schemaVersion").and_then(Value::as_u64) == Some(1) {
            crate::bail!("{}: Docker schema 1 manifests are not supported", self.image);
        }
        let (config, layers) = manifest_descs(&self.image.to_string(), &doc)?;
        if config.size > 64 << 20 {
            crate::bail!("{}: config blob of {} bytes is too large", self.image, config.size);
        }
        let cdesc = oci_desc(&config);
        let cfg = self
            .retry("fetching config", || async {
                let mut buf = Vec::new();
                self.client
                    .pull_blob(&self.reference, &cdesc, &mut buf)
                    .await
                    .map(|_| buf)
            })
            .await?;
        Ok(Resolved {
            manifest: bytes,
            manifest_digest: digest,
            config: cfg,
            config_digest: config.digest,
            layers,
        })
    }

    /// A stream of the blob's bytes; the stream fails at its end when the digest does not match.
    pub async fn blob_stream(&self, layer: &LayerDesc) -> Result<BoxStream<'static, std::io::Result<bytes::Bytes>>> {
        let d = oci_desc(layer);
        let s = self
            .retry(&format!("fetching blob {}", layer.digest), || {
                self.client.pull_blob_stream(&self.reference, &d)
            })
            .await?;
        Ok(s.stream)
    }
}

fn oci_desc(d: &LayerDesc) -> OciDescriptor {
    OciDescriptor {
        media_type: d.media_type.clone(),
        digest: d.digest.clone(),
        size: d.size as i64,
        ..Default::default()
    }
}

fn client_config(registry: &str, protocol: ClientProtocol, insecure: bool) -> ClientConfig {
    let extra_root_certificates = config::registry_ca_files(registry)
        .into_iter()
        .filter_map(|p| std::fs::read(p).ok())
        .map(|data| Certificate {
            encoding: CertificateEncoding::Pem,
            data,
        })
        .collect();
    ClientConfig {
        protocol,
        accept_invalid_certificates: insecure,
        extra_root_certificates,
        platform_resolver: None,
        connect_timeout: Some(Duration::from_secs(30)),
        read_timeout: Some(Duration::from_secs(120)),
        user_agent: concat!("hutch/", env!("CARGO_PKG_VERSION")),
        max_concurrent_download: 4,
        ..Default::default()
    }
}

/// `verify_login` from synchronous code: a runtime lives only for the call.
pub fn check_login(registry: &str, creds: &Credentials, tls_verify: Option<bool>) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ctx(|| "starting the network runtime")?;
    rt.block_on(verify_login(registry, creds, tls_verify))
}

/// Check credentials against a registry's /v2/ endpoint (Basic, or the Bearer token dance).
pub async fn verify_login(registry: &str, creds: &Credentials, tls_verify: Option<bool>) -> Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let policy = config::registry_policy(registry)?;
    let insecure = tls_verify.map(|v| !v).unwrap_or(policy.insecure);
    let mut builder = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(30))
        .timeout(Duration::from_secs(60))
        .user_agent(concat!("hutch/", env!("CARGO_PKG_VERSION")));
    if insecure {
        builder = builder.danger_accept_invalid_certs(true);
    }
    for p in config::registry_ca_files(registry) {
        if let Some(c) = std::fs::read(&p)
            .ok()
            .and_then(|d| reqwest::Certificate::from_pem(&d).ok())
        {
            builder = builder.add_root_certificate(c);
        }
    }
    let client = builder
        .build()
        .map_err(|e| crate::err!("creating HTTP client: {}", chain(&e)))?;
    let host = if registry == "docker.io" {
        "registry-1.docker.io"
    } else {
        registry
    };
    let mut schemes = vec!["https"];
    if insecure {
        schemes.push("http");
    }
    let mut last = String::new();
    for scheme in schemes {
        let url = format!("{scheme}://{host}/v2/");
        let resp = match client.get(&url).send().await {
            Ok(r) => r,
            Err(e) => {
                last = chain(&e);
                continue;
            }
        };
        if resp.status().is_success() {
            return Ok(());
        }
        if resp.status() != reqwest::StatusCode::UNAUTHORIZED {
            crate::bail!("logging in to {registry}: {url} answered HTTP {}", resp.status());
        }
        let challenge = resp
            .headers()
            .get(reqwest::header::WWW_AUTHENTICATE)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("")
            .to_string();
        let ok = if challenge.to_ascii_lowercase().starts_with("bearer") {
            let realm = challenge_param(&challenge, "realm")
                .ok_or_else(|| crate::err!("logging in to {registry}: bearer challenge without realm"))?;
            let mut req = client.get(&realm).basic_auth(&creds.username, Some(&creds.password));
            if let Some(service) = challenge_param(&challenge, "service") {
                req = req.query(&[("service", service)]);
            }
            let r = req
                .send()
                .await
                .map_err(|e| crate::err!("logging in to {registry}: token server: {}", chain(&e)))?;
            r.status().is_success()
        } else {
            let r = client
                .get(&url)
                .basic_auth(&creds.username, Some(&creds.password))
                .send()
                .await
                .map_err(|e| crate::err!("logging in to {registry}: {}", chain(&e)))?;
            r.status().is_success()
        };
        if ok {
            return Ok(());
        }
        crate::bail!("logging in to {registry}: invalid username or password");
    }
    if last.contains("certificate") || last.to_lowercase().contains("tls") {
        crate::bail!("cannot reach registry {registry} over HTTPS ({last}); for a plain-HTTP or self-signed registry use --tls-verify=false");
    }
    crate::bail!("cannot reach registry {registry}: {last}")
}

fn challenge_param(h: &str, key: &str) -> Option<String> {
    let rest = h.split_once(' ')?.1;
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        if k.eq_ignore_ascii_case(key) {
            return Some(v.trim_matches('"').to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms() {
        let p = Platform::parse("linux/arm64/v8").unwrap();
        assert!(p.matches(&serde_json::json!({"os": "linux", "architecture": "arm64"})));
        assert!(!p.matches(&serde_json::json!({"os": "linux", "architecture": "amd64"})));
        assert!(Platform::parse("linux").is_err());
        assert!(Platform::parse("linux/").is_err());
        assert_eq!(Platform::parse("linux/amd64").unwrap().to_string(), "linux/amd64");
    }

    #[test]
    fn challenge_params() {
        let h = r#"Bearer realm="http://127.0.0.1:5002/token",service="hutch-test""#;
        assert_eq!(challenge_param(h, "realm").unwrap(), "http://127.0.0.1:5002/token");
        assert_eq!(challenge_param(h, "service").unwrap(), "hutch-test");
    }
}

/// The digest of the manifest for `platform` when `doc` is an image index or manifest list;
/// None when it is a manifest. `image` names the image in errors.
pub fn choose_from_index(image: &str, doc: &Value, platform: &Platform) -> Result<Option<String>> {
    if doc.get("manifests").is_none() {
        return Ok(None);
    }
    let entries = doc["manifests"].as_array().cloned().unwrap_or_default();
    let chosen = entries
        .iter()
        .find(|m| m.get("platform").is_some_and(|p| platform.matches(p)));
    let Some(chosen) = chosen else {
        let avail: Vec<String> = entries
            .iter()
            .filter_map(|m| m.get("platform"))
            .map(|p| {
                let mut s = format!(
                    "{}/{}",
                    p["os"].as_str().unwrap_or("?"),
                    p["architecture"].as_str().unwrap_or("?")
                );
                if let Some(v) = p.get("variant").and_then(Value::as_str) {
                    s.push('/');
                    s.push_str(v);
                }
                s
            })
            .collect();
        crate::bail!(
            "{image}: no image for platform {platform}; available: {}",
            avail.join(", ")
        );
    };
    let d = chosen["digest"]
        .as_str()
        .ok_or_else(|| crate::err!("{image}: index entry without a digest"))?;
    crate::reference::validate_digest(d).map_err(|w| crate::err!("{image}: index entry: {w}"))?;
    Ok(Some(d.to_string()))
}

/// The config and layer descriptors of the image manifest `doc` (digests validated; encrypted,
/// foreign and non-distributable layers refused). `image` names the image in errors.
pub fn manifest_descs(image: &str, doc: &Value) -> Result<(LayerDesc, Vec<LayerDesc>)> {
    let desc = |v: &Value, what: &str| -> Result<LayerDesc> {
        let digest = v
            .get("digest")
            .and_then(Value::as_str)
            .ok_or_else(|| crate::err!("{image}: {what} without a digest"))?;
        crate::reference::validate_digest(digest).map_err(|w| crate::err!("{image}: {what}: {w}"))?;
        Ok(LayerDesc {
            digest: digest.to_string(),
            size: v.get("size").and_then(Value::as_u64).unwrap_or(0),
            media_type: v.get("mediaType").and_then(Value::as_str).unwrap_or("").to_string(),
        })
    };
    let config = desc(
        doc.get("config")
            .ok_or_else(|| crate::err!("{image}: manifest has no config"))?,
        "config",
    )?;
    let mut layers = Vec::new();
    for l in doc.get("layers").and_then(Value::as_array).cloned().unwrap_or_default() {
        let d = desc(&l, "layer")?;
        if d.media_type.contains("encrypted")
            || d.media_type.contains("foreign")
            || d.media_type.contains("nondistributable")
        {
            crate::bail!(
                "{image}: layer {} has unsupported media type {}",
                d.digest,
                d.media_type
            );
        }
        layers.push(d);
    }
    Ok((config, layers))
}
