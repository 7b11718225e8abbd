//! `push`: an image from the store -> a registry, or a local layout/archive. Layers are rebuilt
//! byte for byte from their files and tar-split records and compressed deterministically, so
//! the same image always gives the same blobs and manifest. An image hutch pulled keeps its
//! stored manifest (same digest) when the destination has, or can mount, its original blobs.
//! Blobs the destination has (HEAD) are not sent again; compressed digests are remembered in
//! `push-cache.json` so that a second push neither compresses nor uploads anything.

use std::io::Write;

use futures_util::StreamExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::archive::split::Rebuilt;
use crate::error::{Context, Result};
use crate::output::Progress;
use crate::reference::ImageRef;
use crate::registry::{RegistryOptions, Session, MT_DOCKER_MANIFEST, MT_OCI_MANIFEST};
use crate::store::{ImageRecord, Store};

/// Layers compressed and uploaded at once.
const PARALLEL: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestFormat {
    Oci,
    V2s2,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    Gzip,
    Zstd,
}

impl Compression {
    /// Podman's defaults (its `--compression-level` documentation: gzip 5, zstd 3).
    fn default_level(self) -> i32 {
        match self {
            Compression::Gzip => 5,
            Compression::Zstd => 3,
        }
    }
    fn valid_levels(self) -> std::ops::RangeInclusive<i32> {
        match self {
            Compression::Gzip => 0..=9,
            Compression::Zstd => 1..=20,
        }
    }
}

pub struct PushOptions {
    pub registry: RegistryOptions,
    pub format: Option<ManifestFormat>,
    pub compression: Option<Compression>,
    pub level: Option<i32>,
    /// Attempts per blob upload in all.
    pub retry: u32,
}

impl PushOptions {
    /// Check the combination before anything is read or sent.
    pub fn check(&self) -> Result<()> {
        let c = self.compression.unwrap_or(Compression::Gzip);
        if let Some(l) = self.level {
            if !c.valid_levels().contains(&l) {
                let r = c.valid_levels();
                crate::bail!(
                    "--compression-level {l}: out of range for {c:?} ({}..{})",
                    r.start(),
                    r.end()
                );
            }
        }
        if self.format == Some(ManifestFormat::V2s2) && self.compression == Some(Compression::Zstd) {
            crate::bail!(
                "--compression-format zstd cannot be used with --format v2s2 (Docker manifests know only gzip layers)"
            );
        }
        Ok(())
    }
}

/// Where `push` sends an image, as Podman and skopeo name transports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Registry(ImageRef),
    OciDir(PathBuf, Option<String>),
    OciArchive(PathBuf, Option<String>),
    DockerArchive(PathBuf, Option<String>),
    Dir(PathBuf),
}

/// `PATH[:REF]`: as containers/image splits it, at the first ':'.
fn path_and_ref(s: &str) -> (PathBuf, Option<String>) {
    match s.split_once(':') {
        Some((p, r)) if !p.is_empty() && !r.is_empty() => (PathBuf::from(p), Some(r.to_string())),
        _ => (PathBuf::from(s), None),
    }
}

impl Target {
    pub fn parse(s: &str) -> Result<Target> {
        let need = |rest: &str, t: &str| -> Result<()> {
            if rest.is_empty() {
                crate::bail!("invalid destination \"{s}\": {t}: needs a path");
            }
            Ok(())
        };
        if let Some(r) = s.strip_prefix("docker://") {
            return Ok(Target::Registry(ImageRef::parse(r)?));
        }
        if let Some(r) = s.strip_prefix("oci-archive:") {
            need(r, "oci-archive")?;
            let (p, t) = path_and_ref(r);
            return Ok(Target::OciArchive(p, t));
        }
        if let Some(r) = s.strip_prefix("oci:") {
            need(r, "oci")?;
            let (p, t) = path_and_ref(r);
            return Ok(Target::OciDir(p, t));
        }
        if let Some(r) = s.strip_prefix("docker-archive:") {
            need(r, "docker-archive")?;
            let (p, t) = path_and_ref(r);
            if let Some(t) = &t {
                ImageRef::parse(t)?;
            }
            return Ok(Target::DockerArchive(p, t));
        }
        if let Some(r) = s.strip_prefix("dir:") {
            need(r, "dir")?;
            return Ok(Target::Dir(PathBuf::from(r)));
        }
        for t in ["containers-storage:", "docker-daemon:", "ostree:", "sif:"] {
            if s.starts_with(t) {
                crate::bail!(
                    "invalid destination \"{s}\": transport {} is not supported",
                    t.trim_end_matches(':')
                );
            }
        }
        Ok(Target::Registry(ImageRef::parse(s)?))
    }
}

/// A compressed layer blob hutch made (or pulled) and where its content came from.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CachedBlob {
    diff_id: String,
    digest: String,
    size: u64,
    compression: Compression,
    level: i32,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct BlobCache {
    #[serde(default)]
    blobs: Vec<CachedBlob>,
}

fn cache_path(store: &Store) -> PathBuf {
    store.base().join("push-cache.json")
}

fn load_cache(store: &Store) -> BlobCache {
    std::fs::read(cache_path(store))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Remember `new` blobs (a cache: losing an entry to a concurrent push only costs a compression).
fn save_cache(store: &Store, new: Vec<CachedBlob>) {
    if new.is_empty() {
        return;
    }
    let mut c = load_cache(store);
    for b in new {
        if !c.blobs.iter().any(|x| x.digest == b.digest) {
            c.blobs.push(b);
        }
    }
    let _ = crate::sys::fs::replace_atomic(&cache_path(store), &serde_json::to_vec(&c).expect("json"), 0o600);
}

/// A descriptor as it goes into a manifest.
#[derive(Debug, Clone)]
struct Desc {
    digest: String,
    size: u64,
    compression: Compression,
}

/// The stored manifest of a pulled image, when it still describes the image's layers.
struct StoredManifest {
    bytes: Vec<u8>,
    media_type: String,
    layers: Vec<Desc>,
}

pub(crate) fn stored_manifest_digest(store: &Store, img: &ImageRecord) -> Option<(String, usize, String)> {
    stored_manifest(store, img).map(|m| (img.manifest_digest.clone(), m.bytes.len(), m.media_type))
}

fn stored_manifest(store: &Store, img: &ImageRecord) -> Option<StoredManifest> {
    if img.manifest_digest.is_empty() {
        return None;
    }
    let bytes = store.read_blob(&img.manifest_digest).ok()?;
    let doc: Value = serde_json::from_slice(&bytes).ok()?;
    if doc.pointer("/config/digest").and_then(Value::as_str) != Some(&format!("sha256:{}", img.id)) {
        return None;
    }
    let media_type = match doc.get("mediaType").and_then(Value::as_str) {
        Some(m) => m.to_string(),
        None if doc
            .pointer("/config/mediaType")
            .and_then(Value::as_str)
            .is_some_and(|m| m.contains("docker")) =>
        {
            MT_DOCKER_MANIFEST.into()
        }
        None => MT_OCI_MANIFEST.into(),
    };
    let mut layers = Vec::new();
    for l in doc.get("layers")?.as_array()? {
        let mt = l.get("mediaType")?.as_str()?;
        let compression = if mt.ends_with("gzip") {
            Compression::Gzip
        } else if mt.ends_with("zstd") {
            Compression::Zstd
        } else {
            return None; // uncompressed or foreign layers: make fresh blobs
        };
        layers.push(Desc {
            digest: l.get("digest")?.as_str()?.to_string(),
            size: l.get("size")?.as_u64()?,
            compression,
        });
    }
    (layers.len() == img.layers.len()).then_some(StoredManifest {
        bytes,
        media_type,
        layers,
    })
}

/// A writer that hashes and counts what goes through it.
struct Hashing<W> {
    inner: W,
    h: Sha256,
    n: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.h.update(&buf[..n]);
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A writer that reports how many bytes went through it.
struct Counting<'a, W> {
    inner: W,
    seen: &'a (dyn Fn(u64) + Sync),
}

impl<W: Write> Write for Counting<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        (self.seen)(n as u64);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Rebuild layer `id` and compress it into `out` (gzip or zstd on every CPU, deterministically);
/// `seen` learns the layer's length, then the uncompressed bytes as they go.
/// The layer is checked against its diff_id before `before_end` is called and the last bytes
/// reach `out` (a stream being uploaded fails rather than ends when the store's copy was
/// changed). Returns the blob's digest and size.
fn compress_layer(
    store: &Store,
    id: &str,
    c: Compression,
    level: i32,
    out: &mut dyn Write,
    length: &dyn Fn(u64),
    seen: &(dyn Fn(u64) + Sync),
) -> Result<(String, u64)> {
    let split = store.read_tar_split(id).ok_or_else(|| {
        crate::err!("layer sha256:{id} was stored by an older hutch without its tar-split record; pull the image again to push it")
    })?;
    let rebuilt = Rebuilt::open(&split)?;
    length(rebuilt.len());
    let root = store.layer_dir(id).join("diff");
    // Hold back the end: it is only written once the layer is known to be right.
    let mut held = HoldLast {
        inner: out,
        tail: Vec::new(),
    };
    let mut hw = Hashing {
        inner: &mut held,
        h: Sha256::new(),
        n: 0,
    };
    let werr = |e: std::io::Error| crate::err!("compressing layer sha256:{id}: {e}");
    let diff = match c {
        Compression::Gzip => {
            let mut enc = Counting {
                inner: crate::archive::pargz::ParGzWriter::new(&mut hw, level as u32),
                seen,
            };
            let d = rebuilt.write_to(&root, &mut enc)?;
            enc.inner.finish().map_err(werr)?;
            d
        }
        Compression::Zstd => {
            // On every CPU: zstd's output with one or more workers does not depend on their
            // number (zstd -T1, -T2, -T4, -T8 give the same bytes), unlike its single-threaded
            // mode's; so never 0 workers, and the blob depends only on the layer and the level.
            let mut z = zstd::Encoder::new(&mut hw, level).map_err(werr)?;
            let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
            z.multithread(workers as u32).map_err(werr)?;
            let mut enc = Counting { inner: z, seen };
            let d = rebuilt.write_to(&root, &mut enc)?;
            enc.inner.finish().map_err(werr)?;
            d
        }
    };
    let (h, n) = (hw.h.finalize(), hw.n);
    if diff != format!("sha256:{id}") {
        crate::bail!(
            "layer sha256:{id} could not be rebuilt from its files (it hashes to {diff}); the store's copy was changed"
        );
    }
    held.inner.write_all(&held.tail).map_err(werr)?;
    held.inner.flush().map_err(werr)?;
    Ok((format!("sha256:{}", hex::encode(h)), n))
}

/// A writer that keeps the last bytes written back (the gzip trailer fits in them).
struct HoldLast<'a> {
    inner: &'a mut dyn Write,
    tail: Vec<u8>,
}

impl Write for HoldLast<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        const KEEP: usize = 64;
        if buf.len() >= KEEP {
            self.inner.write_all(&self.tail)?;
            self.tail.clear();
            let cut = buf.len() - KEEP;
            self.inner.write_all(&buf[..cut])?;
            self.tail.extend_from_slice(&buf[cut..]);
        } else {
            self.tail.extend_from_slice(buf);
            if self.tail.len() > KEEP {
                let cut = self.tail.len() - KEEP;
                self.inner.write_all(&self.tail[..cut])?;
                self.tail.drain(..cut);
            }
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The writing end of an upload: a blob of up to `HOLD` bytes is kept whole (its digest is
/// then known before anything is sent, and a registry that has it is not sent it again);
/// beyond that, bytes go to the upload as they come, in pieces of 4 MiB (one PATCH each). A
/// closed upload shows as a broken pipe.
struct UploadSink {
    tx: tokio::sync::mpsc::Sender<std::io::Result<bytes::Bytes>>,
    buf: Vec<u8>,
    streaming: bool,
}

const PIECE: usize = 4 << 20;
const HOLD: usize = 8 << 20;

impl UploadSink {
    fn send(&mut self, n: usize) -> std::io::Result<()> {
        let rest = self.buf.split_off(n.min(self.buf.len()));
        let piece = std::mem::replace(&mut self.buf, rest);
        if piece.is_empty() {
            return Ok(());
        }
        self.tx
            .blocking_send(Ok(bytes::Bytes::from(piece)))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the upload stopped"))
    }

    /// The whole blob, when it was small enough to be kept.
    fn into_whole(self) -> Option<Vec<u8>> {
        (!self.streaming).then_some(self.buf)
    }
}

impl Write for UploadSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(buf);
        if !self.streaming && self.buf.len() > HOLD {
            self.streaming = true;
        }
        while self.streaming && self.buf.len() >= PIECE {
            self.send(PIECE)?;
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        if self.streaming {
            self.send(self.buf.len())?;
        }
        Ok(())
    }
}

fn manifest_bytes(
    format: ManifestFormat,
    config_digest: &str,
    config_size: usize,
    layers: &[Desc],
) -> (Vec<u8>, &'static str) {
    let (mt, cfg_mt) = match format {
        ManifestFormat::Oci => (MT_OCI_MANIFEST, "application/vnd.oci.image.config.v1+json"),
        ManifestFormat::V2s2 => (MT_DOCKER_MANIFEST, "application/vnd.docker.container.image.v1+json"),
    };
    let ls: Vec<Value> = layers
        .iter()
        .map(|d| {
            let lmt = match (format, d.compression) {
                (ManifestFormat::Oci, Compression::Gzip) => "application/vnd.oci.image.layer.v1.tar+gzip",
                (ManifestFormat::Oci, Compression::Zstd) => "application/vnd.oci.image.layer.v1.tar+zstd",
                (ManifestFormat::V2s2, _) => "application/vnd.docker.image.rootfs.diff.tar.gzip",
            };
            json!({ "mediaType": lmt, "digest": d.digest, "size": d.size })
        })
        .collect();
    let doc = json!({
        "schemaVersion": 2,
        "mediaType": mt,
        "config": { "mediaType": cfg_mt, "digest": config_digest, "size": config_size },
        "layers": ls,
    });
    (serde_json::to_vec_pretty(&doc).expect("json"), mt)
}

fn format_of(media_type: &str) -> ManifestFormat {
    if media_type == MT_DOCKER_MANIFEST {
        ManifestFormat::V2s2
    } else {
        ManifestFormat::Oci
    }
}

/// Resolve `what` in the user's store (inside its user namespace) and push it to `target`.
/// Returns the manifest digest written.
pub fn push_image(what: &str, target: &Target, opts: &PushOptions, progress: &Progress) -> Result<String> {
    opts.check()?;
    crate::output::trace("push: start");
    crate::runtime::userns::enter()?;
    crate::output::trace("push: in the user namespace");
    let store = Arc::new(Store::open()?);
    let idx = store.load_images()?;
    let img = idx.images[idx.resolve(what)?].clone();
    crate::output::trace("push: image resolved");
    match target {
        Target::Registry(r) => {
            let rt = runtime()?;
            let res = rt.block_on(push_registry(store.clone(), &img, r, opts, progress));
            rt.shutdown_background();
            let digest = res?;
            remember_digest(&store, &img.id, &format!("{}@{digest}", r.name()));
            Ok(digest)
        }
        Target::Dir(dir) => push_dir(&store, &img, dir, opts),
        Target::OciDir(p, tag) | Target::OciArchive(p, tag) | Target::DockerArchive(p, tag) => {
            use crate::image::save::{save, Destination, SaveFormat, SaveItem};
            let (format, names) = match target {
                Target::OciDir(..) => (SaveFormat::OciDir, tag.iter().cloned().collect()),
                Target::OciArchive(..) => (SaveFormat::OciArchive, tag.iter().cloned().collect()),
                _ => {
                    let n = match tag {
                        Some(t) => Some(crate::image::tag::normalize_new_name(t)?),
                        None => img
                            .names
                            .iter()
                            .find(|n| n.ends_with(what) || what.ends_with(n.as_str()))
                            .cloned()
                            .or(img.names.first().cloned()),
                    };
                    (SaveFormat::DockerArchive, n.into_iter().collect())
                }
            };
            save(
                &store,
                &[SaveItem {
                    image: img.clone(),
                    names,
                }],
                format,
                &Destination::Path(p.clone()),
            )?;
            Ok(img.manifest_digest.clone())
        }
    }
}

/// Record where the image was pushed, so that a later push to the same registry can mount its
/// blobs from there.
pub(crate) fn remember_digest(store: &Store, id: &str, digest_ref: &str) {
    let Ok(lock) = store.lock_images() else { return };
    let Ok(mut idx) = store.load_images() else { return };
    if let Some(img) = idx.images.iter_mut().find(|i| i.id == id) {
        if !img.digests.iter().any(|d| d == digest_ref) {
            img.digests.push(digest_ref.to_string());
            let _ = store.save_images(&idx, &lock);
        }
    }
}

/// `dir:DIR`, skopeo's directory transport: every blob as a file named by its hex digest,
/// `manifest.json` and `version`.
fn push_dir(store: &Store, img: &ImageRecord, dir: &Path, opts: &PushOptions) -> Result<String> {
    if dir.exists() && std::fs::read_dir(dir).map(|mut d| d.next().is_some()).unwrap_or(true) {
        crate::bail!("{}: already exists and is not an empty directory", dir.display());
    }
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !parent.is_dir() {
        crate::bail!("{}: no such directory", parent.display());
    }
    let name = dir
        .file_name()
        .ok_or_else(|| crate::err!("{}: not a directory name", dir.display()))?;
    let tmp = parent.join(format!(
        ".{}.hutch-tmp-{}",
        name.to_string_lossy(),
        crate::digest::random_hex(6)
    ));
    std::fs::create_dir(&tmp).ctx(|| format!("creating {}", tmp.display()))?;
    let r = (|| -> Result<String> {
        let c = opts.compression.unwrap_or(Compression::Gzip);
        let level = opts.level.unwrap_or(c.default_level());
        let mut layers = Vec::new();
        for id in &img.layers {
            let part = tmp.join("layer.partial");
            let f = std::fs::File::create(&part).ctx(|| format!("creating {}", part.display()))?;
            let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
            let (digest, size) = compress_layer(store, id, c, level, &mut w, &|_| {}, &|_| {})?;
            drop(w);
            std::fs::rename(&part, tmp.join(&digest[7..])).ctx(|| format!("writing into {}", tmp.display()))?;
            layers.push(Desc {
                digest,
                size,
                compression: c,
            });
        }
        let config = store.read_blob(&format!("sha256:{}", img.id))?;
        std::fs::write(tmp.join(&img.id), &config).ctx(|| format!("writing into {}", tmp.display()))?;
        let (m, _) = manifest_bytes(
            opts.format.unwrap_or(ManifestFormat::Oci),
            &format!("sha256:{}", img.id),
            config.len(),
            &layers,
        );
        std::fs::write(tmp.join("manifest.json"), &m).ctx(|| format!("writing into {}", tmp.display()))?;
        std::fs::write(tmp.join("version"), "Directory Transport Version: 1.1\n")
            .ctx(|| format!("writing into {}", tmp.display()))?;
        Ok(format!("sha256:{}", crate::digest::sha256_hex(&m)))
    })();
    match r {
        Ok(d) => {
            if dir.exists() {
                std::fs::remove_dir(dir).ctx(|| format!("replacing {}", dir.display()))?;
            }
            std::fs::rename(&tmp, dir).ctx(|| format!("moving the directory into {}", dir.display()))?;
            Ok(d)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            Err(e)
        }
    }
}

/// What became of one layer.
enum Placed {
    Present(Desc),
    Uploaded(Desc, Option<CachedBlob>),
}

async fn push_registry(
    store: Arc<Store>,
    img: &ImageRecord,
    dest: &ImageRef,
    opts: &PushOptions,
    progress: &Progress,
) -> Result<String> {
    if dest.digest.is_some() {
        crate::bail!("{dest}: cannot push to a digest reference; give a tag");
    }
    let session = Session::connect_push(dest, &opts.registry).await?;
    crate::output::trace("push: session open");
    let (bytes, mt) = send_blobs(&store, img, &session, dest, opts, progress).await?;
    crate::output::trace("push: blobs placed");
    progress.message("Writing manifest to image destination");
    let d = session.put_manifest(&bytes, &mt, None).await;
    crate::output::trace("push: manifest written");
    d
}

/// A runtime for pushing from synchronous code (gone when it is dropped).
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(PARALLEL + 2)
        .enable_all()
        .build()
        .ctx(|| "starting the network runtime")
}

/// Make sure the destination has every blob of `img` (layers and config); returns the manifest
/// to put and its media type.
pub(crate) async fn send_blobs(
    store: &Arc<Store>,
    img: &ImageRecord,
    session: &Session,
    dest: &ImageRef,
    opts: &PushOptions,
    progress: &Progress,
) -> Result<(Vec<u8>, String)> {
    let store = store.clone();
    progress.message("Getting image source signatures");
    let stored = stored_manifest(&store, img);
    // Repositories of the same registry the image's blobs are known to be in.
    let sources: Vec<String> = img
        .digests
        .iter()
        .filter_map(|d| d.split_once('@'))
        .filter_map(|(n, _)| ImageRef::parse(n).ok())
        .filter(|r| r.registry == dest.registry && r.repository != dest.repository)
        .map(|r| r.repository)
        .collect();
    let want_c = opts.compression;
    let cache = load_cache(&store);

    // Whether the registry has the config blob, asked while the layers are placed.
    let config_digest = format!("sha256:{}", img.id);
    let config_check = {
        let (session, d) = (session.clone(), config_digest.clone());
        tokio::spawn(async move { session.has_blob(&d).await })
    };
    let sem = Arc::new(tokio::sync::Semaphore::new(PARALLEL));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, id) in img.layers.iter().enumerate() {
        // Blobs known to hold this layer, in the compression asked for: the stored manifest's
        // first (its digest is the image's), then the ones hutch made before.
        let mut cands: Vec<(Desc, bool)> = Vec::new();
        if let Some(s) = &stored {
            if want_c.is_none_or(|c| c == s.layers[i].compression) && opts.level.is_none() {
                cands.push((s.layers[i].clone(), true));
            }
        }
        let c = want_c.unwrap_or(Compression::Gzip);
        let level = opts.level.unwrap_or(c.default_level());
        for b in cache
            .blobs
            .iter()
            .filter(|b| b.diff_id == *id && b.compression == c && b.level == level)
        {
            cands.push((
                Desc {
                    digest: b.digest.clone(),
                    size: b.size,
                    compression: c,
                },
                false,
            ));
        }
        let (store, session, sources, sem, id) =
            (store.clone(), session.clone(), sources.clone(), sem.clone(), id.clone());
        let retry = opts.retry;
        let bar = progress.bar(&format!("sha256:{id}"), 0);
        let progress_line = progress.clone_line();
        tasks.spawn(async move {
            let _permit = sem.acquire_owned().await.expect("semaphore");
            let r = place_layer(&store, &session, &id, cands, &sources, c, level, retry, &bar).await;
            match &r {
                Ok(Placed::Present(d)) => {
                    bar.clear();
                    progress_line(&format!("Copying blob {} skipped: already exists", short(&d.digest)));
                }
                Ok(Placed::Uploaded(..)) => bar.finish("done"),
                Err(_) => bar.finish("failed"),
            }
            (i, r)
        });
    }
    let mut placed: Vec<Option<Placed>> = (0..img.layers.len()).map(|_| None).collect();
    while let Some(j) = tasks.join_next().await {
        let (i, r) = j.map_err(|e| crate::err!("layer task failed: {e}"))?;
        match r {
            Ok(p) => placed[i] = Some(p),
            Err(e) => {
                tasks.abort_all();
                while tasks.join_next().await.is_some() {}
                return Err(e);
            }
        }
    }
    let placed: Vec<Placed> = placed.into_iter().map(|p| p.expect("every layer placed")).collect();
    crate::output::trace("push: layers placed");
    save_cache(
        &store,
        placed
            .iter()
            .filter_map(|p| {
                if let Placed::Uploaded(_, c) = p {
                    c.clone()
                } else {
                    None
                }
            })
            .collect(),
    );
    let descs: Vec<Desc> = placed
        .into_iter()
        .map(|p| match p {
            Placed::Present(d) | Placed::Uploaded(d, _) => d,
        })
        .collect();

    // The config blob as stored: its digest is the image id.
    let config_path = store.blob_path(&config_digest)?;
    let config_size = std::fs::metadata(&config_path)
        .ctx(|| format!("reading {}", config_path.display()))?
        .len();
    let mut have_config = config_check
        .await
        .map_err(|e| crate::err!("checking blob {config_digest}: {e}"))??;
    for src in &sources {
        if !have_config {
            have_config = session.mount(src, &config_digest).await;
        }
    }
    if have_config {
        progress.message(&format!(
            "Copying config {} skipped: already exists",
            short(&config_digest)
        ));
    } else {
        session
            .upload_file(
                &config_path,
                config_size,
                &config_digest,
                opts.retry,
                Arc::new(|_| {}),
                &|| {},
            )
            .await?;
        progress.message(&format!("Copying config {} done", short(&config_digest)));
    }

    // The stored manifest when every layer is its blob and the format is the one asked for.
    let reuse = stored.filter(|s| {
        opts.format.is_none_or(|f| f == format_of(&s.media_type))
            && s.layers.iter().zip(&descs).all(|(a, b)| a.digest == b.digest)
    });
    let (bytes, mt) = match reuse {
        Some(s) => (s.bytes, s.media_type),
        None => {
            let format = opts
                .format
                .or(stored_format(&store, img))
                .unwrap_or(ManifestFormat::Oci);
            let (b, mt) = manifest_bytes(format, &config_digest, config_size as usize, &descs);
            (b, mt.to_string())
        }
    };
    Ok((bytes, mt))
}

fn stored_format(store: &Store, img: &ImageRecord) -> Option<ManifestFormat> {
    let b = store.read_blob(&img.manifest_digest).ok()?;
    let doc: Value = serde_json::from_slice(&b).ok()?;
    doc.get("mediaType").and_then(Value::as_str).map(format_of)
}

fn short(d: &str) -> &str {
    let h = d.strip_prefix("sha256:").unwrap_or(d);
    &h[..h.len().min(12)]
}

#[allow(clippy::too_many_arguments)]
async fn place_layer(
    store: &Arc<Store>,
    session: &Session,
    id: &str,
    cands: Vec<(Desc, bool)>,
    sources: &[String],
    c: Compression,
    level: i32,
    retry: u32,
    bar: &crate::output::Bar,
) -> Result<Placed> {
    // Ask for every candidate at once; the first present in order wins.
    let present = futures_util::future::join_all(cands.iter().map(|(d, _)| session.has_blob(&d.digest))).await;
    for ((d, _), p) in cands.iter().zip(present) {
        if p? {
            return Ok(Placed::Present(d.clone()));
        }
    }
    for (d, from_manifest) in &cands {
        if *from_manifest {
            for src in sources {
                if session.mount(src, &d.digest).await {
                    return Ok(Placed::Present(d.clone()));
                }
            }
        }
    }
    // Make the blob while it is sent: rebuild, compress and upload at once; the digest is
    // known at the end, when the upload is closed with it. A fault starts the layer again.
    let mut attempt = 0;
    loop {
        attempt += 1;
        bar.reset();
        let (tx, mut rx) = tokio::sync::mpsc::channel::<std::io::Result<bytes::Bytes>>(2);
        let (s2, id2, b2, b3, tx2) = (store.clone(), id.to_string(), bar.clone(), bar.clone(), tx.clone());
        let made = tokio::task::spawn_blocking(move || {
            let mut sink = UploadSink {
                tx,
                buf: Vec::new(),
                streaming: false,
            };
            let r = compress_layer(&s2, &id2, c, level, &mut sink, &|n| b2.set_length(n), &|n| b3.inc(n));
            if let Err(e) = &r {
                // Fail the upload rather than let it end with a blob cut short.
                let _ = tx2.blocking_send(Err(std::io::Error::other(e.message.clone())));
            }
            r.map(|(d, n)| (d, n, sink.into_whole()))
        });
        // Nothing comes through the channel for a blob kept whole: it is known complete first.
        let first = rx.recv().await;
        let (up, made) = match first {
            None => {
                let (digest, size, whole) = made.await.map_err(|e| crate::err!("compressing layer: {e}"))??;
                let whole = whole.unwrap_or_default();
                let desc = Desc {
                    digest: digest.clone(),
                    size,
                    compression: c,
                };
                let cached = CachedBlob {
                    diff_id: id.to_string(),
                    digest: digest.clone(),
                    size,
                    compression: c,
                    level,
                };
                if session.has_blob(&digest).await? {
                    save_cache(store, vec![cached]);
                    return Ok(Placed::Present(desc));
                }
                bar.set_length(size);
                bar.reset();
                let body = bytes::Bytes::from(whole);
                let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(body)]);
                let up = session.upload_stream(stream, attempt).await;
                (up, Ok((digest, size)))
            }
            Some(item) => {
                let stream = futures_util::stream::once(async move { item })
                    .chain(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)));
                let up = session.upload_stream(stream, attempt).await;
                let made = made
                    .await
                    .map_err(|e| crate::err!("compressing layer: {e}"))?
                    .map(|(d, n, _)| (d, n));
                (up, made)
            }
        };
        match (up, made) {
            (Ok((digest, size)), Ok((d2, n2))) => {
                if digest != d2 || size != n2 {
                    crate::bail!("uploading layer sha256:{id}: the registry received {digest} ({size} bytes), hutch sent {d2} ({n2} bytes)");
                }
                let desc = Desc {
                    digest: digest.clone(),
                    size,
                    compression: c,
                };
                let cached = CachedBlob {
                    diff_id: id.to_string(),
                    digest,
                    size,
                    compression: c,
                    level,
                };
                return Ok(Placed::Uploaded(desc, Some(cached)));
            }
            // The layer could not be made: final (unless it stopped because the upload did).
            (_, Err(e)) if !e.message.contains("the upload stopped") => return Err(e),
            (Err((e, again)), _) => match again {
                Some(wait) if attempt < retry.max(1) => tokio::time::sleep(wait).await,
                _ => return Err(e),
            },
            (Ok(_), Err(e)) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(
            Target::parse("oci:/tmp/x:v1").unwrap(),
            Target::OciDir("/tmp/x".into(), Some("v1".into()))
        );
        assert_eq!(
            Target::parse("oci:/tmp/x").unwrap(),
            Target::OciDir("/tmp/x".into(), None)
        );
        assert_eq!(Target::parse("dir:/tmp/d").unwrap(), Target::Dir("/tmp/d".into()));
        assert!(
            matches!(Target::parse("docker://127.0.0.1:5000/a/b:c").unwrap(), Target::Registry(r) if r.repository == "a/b")
        );
        assert!(
            matches!(Target::parse("127.0.0.1:5000/a/b").unwrap(), Target::Registry(r) if r.tag.as_deref() == Some("latest"))
        );
        assert!(Target::parse("oci:").is_err());
        assert_eq!(
            Target::parse("docker-archive:/t/a.tar:foo/bar:1").unwrap(),
            Target::DockerArchive("/t/a.tar".into(), Some("foo/bar:1".into()))
        );
        assert!(Target::parse("containers-storage:x").is_err());
    }

    #[test]
    fn gzip_is_deterministic() {
        let data = vec![7u8; 100_000];
        let z = |l| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(l));
            e.write_all(&data).unwrap();
            e.finish().unwrap()
        };
        assert_eq!(z(6), z(6));
    }
}
