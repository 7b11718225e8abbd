//! Local manifest lists (`hutch manifest …`): an OCI image index per list name, made of images
//! in the store (each with its platform) or in a registry (`docker://REF`: its manifest is
//! fetched and kept, its blobs are copied at push, mounted when the registry is the same), kept
//! in `manifest-lists.json` next to the image records, and pushed as one reference: every
//! image by digest, then the index under the tag.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::error::Result;
use crate::image::push::{self, PushOptions};
use crate::output::Progress;
use crate::reference::ImageRef;
use crate::registry::{RegistryOptions, Session, MT_OCI_INDEX};
use crate::store::{ImageRecord, Store};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    /// The image id (config digest hex).
    image: String,
    /// The manifest digest the index lists for it.
    digest: String,
    size: usize,
    media_type: String,
    platform: Value,
    /// A registry's image: where it is (`REGISTRY/REPOSITORY`), its manifest as fetched (the
    /// exact bytes), and the --tls-verify it was added with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    remote: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    manifest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tls_verify: Option<bool>,
    /// `manifest annotate --annotation`s.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    annotations: serde_json::Map<String, Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct List {
    name: String,
    entries: Vec<Entry>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Lists {
    #[serde(default)]
    lists: Vec<List>,
}

fn lists_path(store: &Store) -> std::path::PathBuf {
    store.base().join("manifest-lists.json")
}

fn load(store: &Store) -> Result<Lists> {
    let p = lists_path(store);
    match std::fs::read(&p) {
        Ok(b) => serde_json::from_slice(&b).map_err(|e| crate::err!("{}: {e}", p.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Lists::default()),
        Err(e) => Err(crate::err!("reading {}: {e}", p.display())),
    }
}

fn save(store: &Store, l: &Lists) -> Result<()> {
    let p = lists_path(store);
    crate::fault::point("before:save-manifest-lists");
    crate::sys::fs::replace_atomic(&p, &serde_json::to_vec_pretty(l).expect("json"), 0o600)
        .map_err(|e| crate::err!("writing {}: {e}", p.display()))?;
    crate::fault::point("after:save-manifest-lists");
    Ok(())
}

/// The index entry for a local image: its stored manifest when it still describes it, else the
/// OCI manifest a push would make (its digest is then fixed at push time).
fn entry_for(store: &Store, img: &ImageRecord) -> Result<Entry> {
    let config: Value = serde_json::from_slice(&store.read_blob(&format!("sha256:{}", img.id))?)
        .map_err(|e| crate::err!("image {}: config is not valid JSON: {e}", img.short_id()))?;
    let mut platform = json!({
        "architecture": config.get("architecture").and_then(Value::as_str).unwrap_or(&img.architecture),
        "os": config.get("os").and_then(Value::as_str).unwrap_or(&img.os),
    });
    if let Some(v) = config.get("variant").and_then(Value::as_str) {
        platform["variant"] = json!(v);
    }
    let (digest, size, media_type) = push::stored_manifest_digest(store, img)
        .unwrap_or_else(|| (String::new(), 0, crate::registry::MT_OCI_MANIFEST.to_string()));
    Ok(Entry {
        image: img.id.clone(),
        digest,
        size,
        media_type,
        platform,
        remote: None,
        manifest: None,
        tls_verify: None,
        annotations: Default::default(),
    })
}

/// The platform an image config states.
fn platform_of(config: &Value) -> Value {
    let mut p = json!({
        "architecture": config.get("architecture").and_then(Value::as_str).unwrap_or(""),
        "os": config.get("os").and_then(Value::as_str).unwrap_or(""),
    });
    if let Some(v) = config.get("variant").and_then(Value::as_str) {
        p["variant"] = json!(v);
    }
    p
}

/// The index entry for `docker://REF`: its manifest (for `platform` when REF is an index) and
/// config are fetched, no layer. Call inside the store's user namespace (it starts a runtime).
fn remote_entry(reference: &str, platform: &crate::registry::Platform, opts: &RegistryOptions) -> Result<Entry> {
    let image = ImageRef::parse(reference)?;
    let rt = push::runtime()?;
    let r = rt.block_on(crate::registry::open(&image, opts, platform));
    rt.shutdown_background();
    let (_, res) = r?;
    let doc: Value = serde_json::from_slice(&res.manifest)
        .map_err(|e| crate::err!("{reference}: manifest is not valid JSON: {e}"))?;
    let media_type = match doc.get("mediaType").and_then(Value::as_str) {
        Some(m) => m.to_string(),
        None if doc
            .pointer("/config/mediaType")
            .and_then(Value::as_str)
            .is_some_and(|m| m.contains("docker")) =>
        {
            crate::registry::MT_DOCKER_MANIFEST.to_string()
        }
        None => crate::registry::MT_OCI_MANIFEST.to_string(),
    };
    let config: Value = serde_json::from_slice(&res.config)
        .map_err(|e| crate::err!("{reference}: image config is not valid JSON: {e}"))?;
    let manifest =
        String::from_utf8(res.manifest.clone()).map_err(|_| crate::err!("{reference}: manifest is not UTF-8 JSON"))?;
    Ok(Entry {
        image: res.config_digest.trim_start_matches("sha256:").to_string(),
        digest: res.manifest_digest.clone(),
        size: res.manifest.len(),
        media_type,
        platform: platform_of(&config),
        remote: Some(format!("{}/{}", image.registry, image.repository)),
        manifest: Some(manifest),
        tls_verify: opts.tls_verify,
        annotations: Default::default(),
    })
}

fn find<'a>(lists: &'a mut Lists, name: &str) -> Result<&'a mut List> {
    let full = crate::image::tag::normalize_new_name(name)?;
    lists
        .lists
        .iter_mut()
        .find(|l| l.name == full)
        .ok_or_else(|| crate::err!("{name}: no such manifest list"))
}

fn with_store<T>(f: impl FnOnce(&Store) -> Result<T>) -> Result<T> {
    crate::runtime::userns::enter()?;
    let store = Store::open()?;
    let _lock = store.lock_images()?;
    f(&store)
}

/// `manifest create [--amend] LIST [IMAGE…]`; returns the list's name.
pub fn create(name: &str, images: &[String], amend: bool, opts: &RegistryOptions) -> Result<String> {
    let full = crate::image::tag::normalize_new_name(name)?;
    with_store(|store| {
        let mut lists = load(store)?;
        let exists = lists.lists.iter().any(|l| l.name == full);
        if exists && !amend {
            crate::bail!("{name}: a manifest list with this name already exists (--amend adds to it)");
        }
        let mut list = match lists.lists.iter().position(|l| l.name == full) {
            Some(i) => lists.lists.remove(i),
            None => List {
                name: full.clone(),
                entries: vec![],
            },
        };
        let host = crate::registry::Platform::host();
        for what in images {
            add_one(store, &mut list, what, &host, opts)?;
        }
        lists.lists.push(list);
        save(store, &lists)?;
        Ok(full)
    })
}

fn add_entry(list: &mut List, e: Entry) {
    // One image per platform, as Podman: a new one replaces the old.
    list.entries.retain(|x| x.image != e.image && x.platform != e.platform);
    list.entries.push(e);
}

/// Add `what`: `docker://REF` from its registry, else a local image.
fn add_one(
    store: &Store,
    list: &mut List,
    what: &str,
    platform: &crate::registry::Platform,
    opts: &RegistryOptions,
) -> Result<()> {
    let e = match what.strip_prefix("docker://") {
        Some(r) => remote_entry(r, platform, opts)?,
        None => {
            let idx = store.load_images()?;
            entry_for(store, &idx.images[idx.resolve(what)?])?
        }
    };
    add_entry(list, e);
    Ok(())
}

/// `manifest add [--platform P] LIST IMAGE`
pub fn add(name: &str, image: &str, platform: Option<&str>, opts: &RegistryOptions) -> Result<()> {
    let platform = match platform {
        Some(p) => crate::registry::Platform::parse(p)?,
        None => crate::registry::Platform::host(),
    };
    with_store(|store| {
        let mut lists = load(store)?;
        add_one(store, find(&mut lists, name)?, image, &platform, opts)?;
        save(store, &lists)
    })
}

/// What `manifest annotate` changes.
pub struct Annotation {
    pub annotations: Vec<String>,
    pub arch: Option<String>,
    pub os: Option<String>,
    pub os_version: Option<String>,
    pub variant: Option<String>,
}

/// `manifest annotate LIST IMAGE`: IMAGE is the entry's manifest digest, its docker://REF as
/// added, or a local image.
pub fn annotate(name: &str, image: &str, a: &Annotation) -> Result<()> {
    let mut kv = Vec::new();
    for x in &a.annotations {
        match x.split_once('=') {
            Some((k, v)) if !k.is_empty() => kv.push((k.to_string(), v.to_string())),
            _ => crate::bail!("--annotation {x}: expected KEY=VALUE"),
        }
    }
    with_store(|store| {
        let mut lists = load(store)?;
        let list = find(&mut lists, name)?;
        let local = if image.starts_with("sha256:") || image.starts_with("docker://") {
            None
        } else {
            let idx = store.load_images()?;
            idx.resolve(image).ok().map(|i| idx.images[i].id.clone())
        };
        let remote = image.strip_prefix("docker://").and_then(|r| ImageRef::parse(r).ok());
        let e = list
            .entries
            .iter_mut()
            .find(|e| {
                (!e.digest.is_empty() && e.digest == image)
                    || local.as_deref() == Some(e.image.as_str())
                    || remote.as_ref().is_some_and(|r| {
                        e.remote.as_deref() == Some(format!("{}/{}", r.registry, r.repository).as_str())
                    })
            })
            .ok_or_else(|| crate::err!("{image}: not in manifest list {name}"))?;
        let set = |p: &mut Value, k: &str, v: &Option<String>| {
            if let Some(v) = v {
                p[k] = json!(v);
            }
        };
        set(&mut e.platform, "architecture", &a.arch);
        set(&mut e.platform, "os", &a.os);
        set(&mut e.platform, "os.version", &a.os_version);
        set(&mut e.platform, "variant", &a.variant);
        for (k, v) in kv {
            e.annotations.insert(k, json!(v));
        }
        save(store, &lists)
    })
}

/// `manifest rm LIST…` (the lists only, not their images).
pub fn remove(names: &[String]) -> Result<()> {
    with_store(|store| {
        let mut lists = load(store)?;
        for n in names {
            let full = find(&mut lists, n)?.name.clone();
            lists.lists.retain(|l| l.name != full);
        }
        save(store, &lists)
    })
}

/// `rmi NAME` of a manifest list (as Podman's): the list goes, not its images. The caller holds
/// the images lock. Its full name, or None when there is no such list.
pub fn remove_locked(store: &Store, name: &str) -> Result<Option<String>> {
    let mut lists = load(store)?;
    let Ok(full) = find(&mut lists, name).map(|l| l.name.clone()) else {
        return Ok(None);
    };
    lists.lists.retain(|l| l.name != full);
    save(store, &lists)?;
    Ok(Some(full))
}

fn descriptor(digest: &str, size: usize, media_type: &str, e: &Entry) -> Value {
    let mut d = json!({ "mediaType": media_type, "digest": digest, "size": size, "platform": e.platform });
    if !e.annotations.is_empty() {
        d["annotations"] = Value::Object(e.annotations.clone());
    }
    d
}

fn index_json(ms: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec_pretty(&json!({ "schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": ms })).expect("json")
}

/// `manifest inspect LIST`: the index as it stands locally.
pub fn inspect(name: &str) -> Result<String> {
    with_store(|store| {
        let mut lists = load(store)?;
        let l = find(&mut lists, name)?;
        let ms: Vec<Value> = l
            .entries
            .iter()
            .map(|e| descriptor(&e.digest, e.size, &e.media_type, e))
            .collect();
        Ok(String::from_utf8(index_json(ms)).expect("utf8"))
    })
}

/// `manifest push LIST DEST`: each image by digest into DEST's repository, then the index
/// under DEST's tag. Returns the index digest.
pub fn push_list(name: &str, dest: &ImageRef, opts: &PushOptions, progress: &Progress) -> Result<String> {
    opts.check()?;
    if dest.digest.is_some() {
        crate::bail!("{dest}: cannot push to a digest reference; give a tag");
    }
    crate::runtime::userns::enter()?;
    let store = Arc::new(Store::open()?);
    let (list, idx) = {
        let _lock = store.lock_images()?;
        let mut lists = load(&store)?;
        (find(&mut lists, name)?.clone(), store.load_images()?)
    };
    if list.entries.is_empty() {
        crate::bail!("{name}: the manifest list is empty: add images with `hutch manifest add`");
    }
    let mut imgs = Vec::new();
    for e in &list.entries {
        if e.manifest.is_some() {
            imgs.push((None, e.clone()));
            continue;
        }
        let img = idx
            .images
            .iter()
            .find(|i| i.id == e.image)
            .cloned()
            .ok_or_else(|| crate::err!("{name}: image {} of the list is no longer in the store", &e.image[..12]))?;
        imgs.push((Some(img), e.clone()));
    }
    let rt = push::runtime()?;
    let r = rt.block_on(async {
        let session = Session::connect_push(dest, &opts.registry).await?;
        let mut ms = Vec::new();
        for (img, e) in &imgs {
            match img {
                Some(img) => {
                    let (bytes, mt) = push::send_blobs(&store, img, &session, dest, opts, progress).await?;
                    let d = session.put_manifest(&bytes, &mt, Some(())).await?;
                    ms.push(descriptor(&d, bytes.len(), &mt, e));
                }
                None => {
                    copy_remote(&session, dest, e, opts, progress).await?;
                    ms.push(descriptor(&e.digest, e.size, &e.media_type, e));
                }
            }
        }
        let index = index_json(ms);
        progress.message("Writing manifest list to image destination");
        session.put_manifest(&index, MT_OCI_INDEX, None).await
    });
    rt.shutdown_background();
    let digest = r?;
    Ok(digest)
}

/// Send a registry's image of the list to `dest`: its blobs (those `dest` lacks: mounted from
/// the same registry, else streamed from the source, checked against their digests), then its
/// manifest as fetched, by digest.
async fn copy_remote(
    session: &Session,
    dest: &ImageRef,
    e: &Entry,
    opts: &PushOptions,
    progress: &Progress,
) -> Result<()> {
    let remote = e.remote.as_deref().unwrap_or_default();
    let bytes = e.manifest.as_deref().unwrap_or_default().as_bytes();
    let doc: Value = serde_json::from_slice(bytes).map_err(|err| crate::err!("{remote}: manifest: {err}"))?;
    let mut blobs = Vec::new();
    for d in std::iter::once(doc.get("config")).chain(
        doc.get("layers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(Some),
    ) {
        let d = d.ok_or_else(|| crate::err!("{remote}: manifest has no config"))?;
        let digest = d
            .get("digest")
            .and_then(Value::as_str)
            .ok_or_else(|| crate::err!("{remote}: descriptor without a digest"))?;
        crate::reference::validate_digest(digest).map_err(|w| crate::err!("{remote}: {w}"))?;
        blobs.push(crate::registry::LayerDesc {
            digest: digest.to_string(),
            size: d.get("size").and_then(Value::as_u64).unwrap_or(0),
            media_type: d.get("mediaType").and_then(Value::as_str).unwrap_or("").to_string(),
        });
    }
    let src = ImageRef::parse(&format!("{remote}@{}", e.digest))?;
    let mut source: Option<Session> = None;
    for b in &blobs {
        if session.has_blob(&b.digest).await? {
            continue;
        }
        if src.registry == dest.registry
            && src.repository != dest.repository
            && session.mount(&src.repository, &b.digest).await
        {
            continue;
        }
        if source.is_none() {
            let ropts = RegistryOptions {
                tls_verify: e.tls_verify,
                authfile: opts.registry.authfile.clone(),
                creds: None,
            };
            let insecure = crate::config::registry_policy(&src.name())?.insecure;
            source = Some(Session::connect(&src, &ropts, insecure).await?);
        }
        let s = source.as_ref().expect("connected");
        progress.message(&format!("Copying blob {} from {remote}", &b.digest[7..19]));
        let stream = s.blob_stream(b).await?;
        let (got, _) = session.upload_stream(stream, 1).await.map_err(|(err, _)| err)?;
        if got != b.digest {
            crate::bail!("copying blob {} from {remote}: the registry received {got}", b.digest);
        }
    }
    let d = session.put_manifest(bytes, &e.media_type, Some(())).await?;
    if d != e.digest {
        crate::bail!(
            "{remote}: manifest digest changed on the way ({d} instead of {})",
            e.digest
        );
    }
    Ok(())
}
