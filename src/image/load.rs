//! `load`: a docker-archive (`docker save`, `podman save`, Docker 25's OCI-flavoured one) or an
//! oci-archive, plain or gzip/zstd-compressed, from a file or stdin -> images in the store.
//! Every blob is checked against its digest and every layer against its diff_id; layers are
//! extracted in tmp/ inside the store's user namespace and committed like pulled ones, the
//! image record last, so a truncated or corrupt archive stores nothing.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::archive::{self, HashingReader, Ownership};
use crate::error::{Context, Result};
use crate::output::Progress;
use crate::store::{self, ImageRecord, LayerRecord, Store};

pub enum Source {
    File(PathBuf),
    Stdin,
    /// An http(s) URL: downloaded into the store's tmp/ first.
    Url(String),
}

pub struct LoadReport {
    /// Names of the loaded images (`sha256:<id>` for one without a name).
    pub names: Vec<String>,
}

/// Where each member of the archive lies: (offset, size) in the archive's tar, or a file
/// (offset 0) under the directory of an OCI layout or unpacked archive.
struct Members {
    file: PathBuf,
    is_dir: bool,
    files: HashMap<String, (u64, u64)>,
    links: HashMap<String, String>,
}

fn norm(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out.join("/")
}

impl Members {
    fn index(file: &Path) -> Result<Members> {
        let f = File::open(file).ctx(|| format!("opening {}", file.display()))?;
        let total = f.metadata().ctx(|| format!("reading {}", file.display()))?.len();
        let mut ar = tar::Archive::new(std::io::BufReader::new(f));
        let mut files = HashMap::new();
        let mut links = HashMap::new();
        let bad = |e: std::io::Error| {
            crate::err!("payload does not match any of the supported image formats: the archive is not a readable tar (truncated or corrupt?): {e}")
        };
        for e in ar.entries().map_err(bad)? {
            let e = e.map_err(bad)?;
            let name = norm(&String::from_utf8_lossy(&e.path_bytes()));
            let kind = e.header().entry_type();
            if kind.is_file() {
                let (off, size) = (e.raw_file_position(), e.size());
                if off + size > total {
                    crate::bail!(
                        "the archive is truncated: {name} needs {size} bytes, {} are left",
                        total.saturating_sub(off)
                    );
                }
                files.insert(name, (off, size));
            } else if kind.is_symlink() || kind.is_hard_link() {
                let target = String::from_utf8_lossy(&e.link_name_bytes().unwrap_or_default()).into_owned();
                let target = if kind.is_symlink() {
                    let dir = name.rsplit_once('/').map(|x| x.0).unwrap_or("");
                    norm(&format!("{dir}/{target}"))
                } else {
                    norm(&target)
                };
                links.insert(name, target);
            }
        }
        Ok(Members {
            file: file.to_path_buf(),
            is_dir: false,
            files,
            links,
        })
    }

    /// The regular files under `dir` (an OCI layout directory, as `save --format oci-dir` or
    /// skopeo's `oci:` write it); symlinks are not followed.
    fn index_dir(dir: &Path) -> Result<Members> {
        let mut files = HashMap::new();
        let mut todo = vec![(dir.to_path_buf(), String::new())];
        while let Some((d, rel)) = todo.pop() {
            for e in std::fs::read_dir(&d).ctx(|| format!("reading {}", d.display()))? {
                let e = e.ctx(|| format!("reading {}", d.display()))?;
                let name = e.file_name().to_string_lossy().into_owned();
                let r = if rel.is_empty() { name } else { format!("{rel}/{name}") };
                let md = std::fs::symlink_metadata(e.path()).ctx(|| format!("reading {}", e.path().display()))?;
                if md.is_dir() {
                    if files.len() < 1_000_000 {
                        todo.push((e.path(), r));
                    }
                } else if md.is_file() {
                    files.insert(r, (0, md.len()));
                }
            }
        }
        Ok(Members {
            file: dir.to_path_buf(),
            is_dir: true,
            files,
            links: HashMap::new(),
        })
    }

    fn locate(&self, name: &str) -> Option<(u64, u64)> {
        let mut n = norm(name);
        for _ in 0..16 {
            if let Some(x) = self.files.get(&n) {
                return Some(*x);
            }
            n = self.links.get(&n)?.clone();
        }
        None
    }

    fn has(&self, name: &str) -> bool {
        self.locate(name).is_some()
    }

    fn open(&self, name: &str) -> Result<std::io::Take<File>> {
        let (off, size) = self
            .locate(name)
            .ok_or_else(|| crate::err!("the archive has no {name}"))?;
        if self.is_dir {
            let p = self.file.join(norm(name));
            let f = std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&p)
                .ctx(|| format!("opening {}", p.display()))?;
            return Ok(f.take(size));
        }
        let mut f = File::open(&self.file).ctx(|| format!("opening {}", self.file.display()))?;
        f.seek(SeekFrom::Start(off))
            .ctx(|| format!("reading {}", self.file.display()))?;
        Ok(f.take(size))
    }

    fn read(&self, name: &str, limit: u64) -> Result<Vec<u8>> {
        let (_, size) = self
            .locate(name)
            .ok_or_else(|| crate::err!("the archive has no {name}"))?;
        if size > limit {
            crate::bail!("{name} in the archive is too large ({size} bytes)");
        }
        let mut v = Vec::with_capacity(size as usize);
        self.open(name)?
            .read_to_end(&mut v)
            .ctx(|| format!("reading {name} from the archive"))?;
        Ok(v)
    }
}

/// One layer as the archive has it.
struct LayerSrc {
    member: String,
    /// `sha256:…` the member must hash to (OCI blobs), if known.
    blob_digest: Option<String>,
    diff_id: String,
}

/// One image as the archive describes it.
struct ImageSrc {
    config: Vec<u8>,
    config_digest: String,
    layers: Vec<LayerSrc>,
    names: Vec<String>,
    /// The manifest bytes (OCI) to keep, or none (docker-archive: one is made).
    manifest: Option<Vec<u8>>,
}

const META_LIMIT: u64 = 16 << 20;

fn sha(data: &[u8]) -> String {
    format!("sha256:{}", crate::digest::sha256_hex(data))
}

fn hex_in(name: &str) -> Option<&str> {
    let base = name.rsplit('/').next().unwrap_or(name);
    let base = base.strip_suffix(".json").unwrap_or(base);
    (base.len() == 64 && base.bytes().all(|b| b.is_ascii_hexdigit())).then_some(base)
}

fn diff_ids(config: &[u8], what: &str) -> Result<Vec<String>> {
    let v: Value =
        serde_json::from_slice(config).map_err(|e| crate::err!("{what}: image config is not valid JSON: {e}"))?;
    let ids: Vec<String> = v
        .pointer("/rootfs/diff_ids")
        .and_then(Value::as_array)
        .ok_or_else(|| crate::err!("{what}: image config has no rootfs.diff_ids"))?
        .iter()
        .map(|x| {
            x.as_str()
                .map(String::from)
                .ok_or_else(|| crate::err!("{what}: bad diff_id"))
        })
        .collect::<Result<_>>()?;
    for d in &ids {
        crate::reference::validate_digest(d).map_err(|w| crate::err!("{what}: rootfs.diff_ids: {w}"))?;
    }
    Ok(ids)
}

/// A name from an archive (`busybox:latest`, `localhost/app:1`) in the store's full form.
fn full_name(n: &str) -> Option<String> {
    crate::reference::ImageRef::parse(n).ok().and_then(|r| r.tagged())
}

fn docker_images(m: &Members) -> Result<Vec<ImageSrc>> {
    let manifest: Value = serde_json::from_slice(&m.read("manifest.json", META_LIMIT)?)
        .map_err(|e| crate::err!("the archive's manifest.json is not valid JSON: {e}"))?;
    let entries = manifest
        .as_array()
        .ok_or_else(|| crate::err!("the archive's manifest.json is not a list"))?;
    let mut out = Vec::new();
    for e in entries {
        let cfg_name = e
            .get("Config")
            .and_then(Value::as_str)
            .ok_or_else(|| crate::err!("manifest.json: an entry has no Config"))?;
        let config = m.read(cfg_name, META_LIMIT)?;
        let config_digest = sha(&config);
        if let Some(h) = hex_in(cfg_name) {
            if config_digest[7..] != *h {
                crate::bail!("digest mismatch for {cfg_name} in the archive: content hashes to {config_digest}");
            }
        }
        let ids = diff_ids(&config, cfg_name)?;
        let layers: Vec<&str> = e
            .get("Layers")
            .and_then(Value::as_array)
            .ok_or_else(|| crate::err!("manifest.json: {cfg_name} has no Layers"))?
            .iter()
            .map(|l| l.as_str().ok_or_else(|| crate::err!("manifest.json: bad layer entry")))
            .collect::<Result<_>>()?;
        if layers.len() != ids.len() {
            crate::bail!(
                "{cfg_name}: the config lists {} diff_ids but manifest.json {} layers",
                ids.len(),
                layers.len()
            );
        }
        let names = e
            .get("RepoTags")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).filter_map(full_name).collect())
            .unwrap_or_default();
        out.push(ImageSrc {
            config,
            config_digest,
            layers: layers
                .iter()
                .zip(ids)
                .map(|(l, d)| LayerSrc {
                    member: l.to_string(),
                    // Docker 25's archives keep layers as blobs/sha256/<digest>.
                    blob_digest: l
                        .starts_with("blobs/sha256/")
                        .then(|| hex_in(l).map(|h| format!("sha256:{h}")))
                        .flatten(),
                    diff_id: d,
                })
                .collect(),
            names,
            manifest: None,
        });
    }
    Ok(out)
}

fn blob_member(digest: &str) -> Result<String> {
    Ok(format!("blobs/sha256/{}", crate::digest::digest_hex(digest)?))
}

fn verified_blob(m: &Members, desc: &Value, what: &str) -> Result<(Vec<u8>, String)> {
    let digest = desc
        .get("digest")
        .and_then(Value::as_str)
        .ok_or_else(|| crate::err!("{what}: descriptor without digest"))?;
    let data = m.read(&blob_member(digest)?, META_LIMIT)?;
    if sha(&data) != digest {
        crate::bail!(
            "digest mismatch for {what} {digest} in the archive: content hashes to {}",
            sha(&data)
        );
    }
    Ok((data, digest.to_string()))
}

fn oci_images(m: &Members) -> Result<Vec<ImageSrc>> {
    let index: Value = serde_json::from_slice(&m.read("index.json", META_LIMIT)?)
        .map_err(|e| crate::err!("the archive's index.json is not valid JSON: {e}"))?;
    let mut out: Vec<ImageSrc> = Vec::new();
    let descs = index
        .get("manifests")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for d in descs {
        let ann = d.get("annotations");
        let name = ann
            .and_then(|a| {
                a.get("io.containerd.image.name")
                    .or_else(|| a.get("org.opencontainers.image.ref.name"))
            })
            .and_then(Value::as_str)
            .filter(|n| n.contains('/') || n.contains(':'))
            .and_then(full_name);
        let (mut bytes, mut digest) = verified_blob(m, &d, "manifest")?;
        let mut mv: Value =
            serde_json::from_slice(&bytes).map_err(|e| crate::err!("manifest {digest} is not valid JSON: {e}"))?;
        if mv.get("manifests").is_some() {
            // An index: take this machine's platform, else the first.
            let list = mv["manifests"].as_array().cloned().unwrap_or_default();
            let arch = crate::registry::Platform::host().arch;
            let pick = list
                .iter()
                .find(|x| x.pointer("/platform/architecture").and_then(Value::as_str) == Some(arch.as_str()))
                .or(list.first())
                .ok_or_else(|| crate::err!("image index {digest} is empty"))?
                .clone();
            (bytes, digest) = verified_blob(m, &pick, "manifest")?;
            mv = serde_json::from_slice(&bytes).map_err(|e| crate::err!("manifest {digest} is not valid JSON: {e}"))?;
        }
        if let Some(existing) = out.iter_mut().find(|i| i.manifest.as_deref() == Some(&bytes[..])) {
            existing.names.extend(name);
            continue;
        }
        let cdesc = mv
            .get("config")
            .ok_or_else(|| crate::err!("manifest {digest} has no config"))?;
        let (config, config_digest) = verified_blob(m, cdesc, "config")?;
        let ids = diff_ids(&config, &config_digest)?;
        let ls = mv.get("layers").and_then(Value::as_array).cloned().unwrap_or_default();
        if ls.len() != ids.len() {
            crate::bail!(
                "manifest {digest}: {} layers but the config lists {} diff_ids",
                ls.len(),
                ids.len()
            );
        }
        let layers = ls
            .iter()
            .zip(ids)
            .map(|(l, d)| {
                let dg = l
                    .get("digest")
                    .and_then(Value::as_str)
                    .ok_or_else(|| crate::err!("manifest {digest}: layer without digest"))?;
                Ok(LayerSrc {
                    member: blob_member(dg)?,
                    blob_digest: Some(dg.to_string()),
                    diff_id: d,
                })
            })
            .collect::<Result<_>>()?;
        out.push(ImageSrc {
            config,
            config_digest,
            layers,
            names: name.into_iter().collect(),
            manifest: Some(bytes),
        });
    }
    if out.is_empty() {
        crate::bail!("the archive's index.json lists no images");
    }
    Ok(out)
}

/// A docker v2s2 manifest for an image loaded from a docker-archive (uncompressed layers).
fn docker_manifest(config: &[u8], config_digest: &str, layers: &[(String, u64)]) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": { "mediaType": "application/vnd.docker.container.image.v1+json", "size": config.len(), "digest": config_digest },
        "layers": layers.iter().map(|(d, s)| json!({ "mediaType": "application/vnd.docker.image.rootfs.diff.tar", "size": s, "digest": d })).collect::<Vec<_>>(),
    }))
    .expect("json")
}

/// Copy (decompressing) a stream into a file in the store's tmp/.
fn spool(store: &Store, input: impl Read) -> Result<(store::TempEntry, PathBuf)> {
    let tmp = store.temp("load")?;
    let mut r = archive::decompress(input).map_err(|e| crate::err!("reading the archive: {e}"))?;
    let mut f = File::create(&tmp.path).ctx(|| format!("creating {}", tmp.path.display()))?;
    std::io::copy(&mut r, &mut f).map_err(|e| crate::err!("reading the archive: {e}"))?;
    let p = tmp.path.clone();
    Ok((tmp, p))
}

fn is_compressed(path: &Path) -> Result<bool> {
    let mut head = [0u8; 4];
    let mut f = File::open(path).ctx(|| format!("opening {}", path.display()))?;
    let n = f.read(&mut head).ctx(|| format!("reading {}", path.display()))?;
    Ok(head[..n].starts_with(&[0x1f, 0x8b]) || head[..n].starts_with(&[0x28, 0xb5, 0x2f, 0xfd]))
}

/// Extract layer `l` of the archive into a fresh tmp/ entry and check it.
fn extract_one(
    store: &Store,
    m: &Members,
    id: &str,
    l: &LayerSrc,
    own: Ownership,
) -> Result<(store::TempEntry, LayerRecord)> {
    let tmp = store.temp(&format!("layer-{}", &id[..12]))?;
    std::fs::create_dir(&tmp.path).ctx(|| format!("creating {}", tmp.path.display()))?;
    let diff_dir = tmp.path.join("diff");
    std::fs::create_dir(&diff_dir).ctx(|| format!("creating {}", diff_dir.display()))?;
    // A blob that is the layer tar itself (its digest is the diff_id, or unknown: a
    // docker-archive's) is checked by the diff_id alone; a compressed one is hashed too.
    let hash_blob = l.blob_digest.as_ref().is_some_and(|d| *d != l.diff_id);
    let ex = if hash_blob {
        let mut blob = HashingReader::new(m.open(&l.member)?);
        let ex =
            archive::extract_layer(&mut blob, &diff_dir, own).map_err(|e| crate::err!("layer {}: {e}", l.member))?;
        let (blob_digest, _) = blob
            .finish()
            .map_err(|e| crate::err!("reading layer {}: {e}", l.member))?;
        if let Some(want) = &l.blob_digest {
            if *want != blob_digest {
                crate::bail!("digest mismatch for layer {want} in the archive: content hashes to {blob_digest}");
            }
        }
        ex
    } else {
        let mut r = m.open(&l.member)?;
        let ex = archive::extract_layer(&mut r, &diff_dir, own).map_err(|e| crate::err!("layer {}: {e}", l.member))?;
        // What the tar's end leaves (it must be read: the member is the whole blob).
        std::io::copy(&mut r, &mut std::io::sink()).map_err(|e| crate::err!("reading layer {}: {e}", l.member))?;
        ex
    };
    if ex.diff_id != l.diff_id {
        if let Some(want) = l.blob_digest.as_ref().filter(|d| **d == l.diff_id) {
            crate::bail!(
                "digest mismatch for layer {want} in the archive: content hashes to {}",
                ex.diff_id
            );
        }
        crate::bail!(
            "layer {}: diff_id mismatch: the image config says {}, the content is {}",
            l.member,
            l.diff_id,
            ex.diff_id
        );
    }
    store.write_tar_split(&tmp.path, &ex.tar_split)?;
    Ok((
        tmp,
        LayerRecord {
            id: id.to_string(),
            compressed: vec![],
            size: ex.size,
            root_mode: ex.root_mode,
        },
    ))
}

/// Load the archive into the user's store, from inside the store's user namespace.
pub fn load(source: Source, progress: &Progress) -> Result<LoadReport> {
    if let Source::File(p) = &source {
        File::open(p).ctx(|| format!("opening {}", p.display()))?;
    }
    let mapping = crate::runtime::userns::enter()?;
    let own = Ownership {
        keep: mapping.keeps_ownership(),
        uid_span: mapping.uid_span(),
        gid_span: mapping.gid_span(),
    };
    let store = Store::open()?;
    store.sweep()?;
    let (_spooled, path) = match source {
        Source::File(p) if p.is_dir() => (None, p),
        Source::File(p) if !is_compressed(&p)? => (None, p),
        Source::File(p) => {
            let (t, path) = spool(&store, File::open(&p).ctx(|| format!("opening {}", p.display()))?)?;
            (Some(t), path)
        }
        Source::Stdin => {
            let (t, path) = spool(&store, std::io::stdin().lock())?;
            (Some(t), path)
        }
        Source::Url(url) => {
            let t = store.temp("load-download")?;
            let mut f = File::create(&t.path).ctx(|| format!("creating {}", t.path.display()))?;
            crate::registry::url::download(&url, &mut std::io::BufWriter::new(&mut f))?;
            drop(f);
            if is_compressed(&t.path)? {
                let r = spool(
                    &store,
                    File::open(&t.path).ctx(|| format!("reading {}", t.path.display()))?,
                );
                let _ = std::fs::remove_file(&t.path);
                let (t2, path) = r?;
                (Some(t2), path)
            } else {
                let p = t.path.clone();
                (Some(t), p)
            }
        }
    };
    let m = if path.is_dir() {
        Members::index_dir(&path)?
    } else {
        Members::index(&path)?
    };
    let images = if m.has("manifest.json") {
        docker_images(&m)?
    } else if m.has("index.json") {
        oci_images(&m)?
    } else {
        crate::bail!("not a docker-archive, oci-archive or OCI layout: it has neither manifest.json nor index.json");
    };

    // Layers the store lacks: lock them all in one order (as pull does), then extract.
    let present = store.load_layers()?;
    let mut missing: Vec<String> = images
        .iter()
        .flat_map(|i| i.layers.iter().map(|l| l.diff_id[7..].to_string()))
        .filter(|id| present.get(id).is_none())
        .collect();
    missing.sort();
    missing.dedup();
    let _locks = missing
        .iter()
        .map(|id| store.lock_layer_work(id))
        .collect::<Result<Vec<_>>>()?;
    let present = store.load_layers()?;
    // Podman's lines (on stderr, unless quiet), which scripts look for.
    progress.headline("Getting image source signatures");
    let mut sizes: HashMap<String, u64> = HashMap::new();
    // The layers to extract, each once, in the archive's order.
    let mut jobs: Vec<(String, &LayerSrc)> = Vec::new();
    for img in &images {
        for l in &img.layers {
            let id = l.diff_id[7..].to_string();
            if let Some(r) = present.get(&id) {
                progress.headline(&format!("Copying blob {} skipped: already exists", &id[..12]));
                sizes.insert(id, r.size);
                continue;
            }
            if jobs.iter().any(|(j, _)| *j == id) {
                continue;
            }
            progress.headline(&format!("Copying blob {}", &id[..12]));
            jobs.push((id, l));
        }
    }
    // Extracted on a few threads at once (each reads its own part of the archive); the first
    // failure in archive order is the one reported, and every temporary directory goes.
    let results: Vec<std::sync::Mutex<Option<Result<(store::TempEntry, LayerRecord)>>>> =
        jobs.iter().map(|_| std::sync::Mutex::new(None)).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(2, 4)
        .min(jobs.len());
    std::thread::scope(|sc| {
        for _ in 0..workers {
            sc.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((id, l)) = jobs.get(i) else { return };
                let r = extract_one(&store, &m, id, l, own);
                let failed = r.is_err();
                *results[i].lock().expect("result slot") = Some(r);
                if failed {
                    // Leave the rest: the load fails anyway.
                    next.store(jobs.len(), std::sync::atomic::Ordering::Relaxed);
                    return;
                }
            });
        }
    });
    let mut ready = Vec::new();
    for slot in results {
        match slot.into_inner().expect("result slot") {
            Some(Ok((tmp, rec))) => {
                sizes.insert(rec.id.clone(), rec.size);
                ready.push((tmp, rec));
            }
            Some(Err(e)) => return Err(e),
            None => crate::bail!("loading the archive stopped early"),
        }
    }
    crate::image::pull::commit_layers(&store, ready)?;

    let mut names = Vec::new();
    for img in images {
        let layer_ids: Vec<String> = img.layers.iter().map(|l| l.diff_id[7..].to_string()).collect();
        let manifest = img.manifest.clone().unwrap_or_else(|| {
            let ls: Vec<(String, u64)> = layer_ids.iter().map(|id| (format!("sha256:{id}"), sizes[id])).collect();
            docker_manifest(&img.config, &img.config_digest, &ls)
        });
        let manifest_digest = sha(&manifest);
        let blobs = [
            (img.config_digest.clone(), img.config.clone()),
            (manifest_digest.clone(), manifest.clone()),
        ];
        let config: Value = serde_json::from_slice(&img.config).unwrap_or(Value::Null);
        let id = img.config_digest[7..].to_string();
        let mut uniq: Vec<String> = Vec::new();
        for n in img.names {
            if !uniq.contains(&n) {
                uniq.push(n);
            }
        }
        let record = ImageRecord {
            names_history: Vec::new(),
            id: id.clone(),
            names: uniq.clone(),
            digests: vec![],
            manifest_digest,
            size: layer_ids.iter().map(|i| sizes[i]).sum(),
            layers: layer_ids,
            created: config.get("created").and_then(Value::as_str).map(String::from),
            architecture: config
                .get("architecture")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            os: config.get("os").and_then(Value::as_str).unwrap_or("").to_string(),
            pulled: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
        };
        progress.headline(&format!("Copying config {} done", &id[..12]));
        progress.headline("Writing manifest to image destination");
        crate::image::pull::record_image(&store, record, &blobs)?;
        progress.headline("Storing signatures");
        if uniq.is_empty() {
            names.push(format!("sha256:{id}"));
        }
        names.extend(uniq);
    }
    drop(_locks);
    Ok(LoadReport { names })
}
