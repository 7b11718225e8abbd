//! Local manifest lists (`hutch manifest …`): an OCI image index per list name, made of images
//! in the store (each with its platform), kept in `manifest-lists.json` next to the image
//! records, and pushed as one reference: every image by digest, then the index under the tag.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::error::Result;
use crate::image::push::{self, PushOptions};
use crate::output::Progress;
use crate::reference::ImageRef;
use crate::registry::{Session, MT_OCI_INDEX};
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
    crate::sys::fs::replace_atomic(&p, &serde_json::to_vec_pretty(l).expect("json"), 0o600)
        .map_err(|e| crate::err!("writing {}: {e}", p.display()))
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

/// `manifest create LIST [IMAGE…]`; returns the list's name.
pub fn create(name: &str, images: &[String]) -> Result<String> {
    let full = crate::image::tag::normalize_new_name(name)?;
    with_store(|store| {
        let mut lists = load(store)?;
        if lists.lists.iter().any(|l| l.name == full) {
            crate::bail!("{name}: a manifest list with this name already exists");
        }
        let idx = store.load_images()?;
        let mut list = List {
            name: full.clone(),
            entries: vec![],
        };
        for what in images {
            add_entry(store, &mut list, &idx.images[idx.resolve(what)?])?;
        }
        lists.lists.push(list);
        save(store, &lists)?;
        Ok(full)
    })
}

fn add_entry(store: &Store, list: &mut List, img: &ImageRecord) -> Result<()> {
    let e = entry_for(store, img)?;
    // One image per platform, as Podman: a new one replaces the old.
    list.entries.retain(|x| x.image != e.image && x.platform != e.platform);
    list.entries.push(e);
    Ok(())
}

/// `manifest add LIST IMAGE`
pub fn add(name: &str, image: &str) -> Result<()> {
    with_store(|store| {
        let mut lists = load(store)?;
        let idx = store.load_images()?;
        let img = idx.images[idx.resolve(image)?].clone();
        add_entry(store, find(&mut lists, name)?, &img)?;
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

fn index_json(entries: &[(String, usize, String, Value)]) -> Vec<u8> {
    let ms: Vec<Value> = entries
        .iter()
        .map(|(d, size, mt, p)| json!({ "mediaType": mt, "digest": d, "size": size, "platform": p }))
        .collect();
    serde_json::to_vec_pretty(&json!({ "schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": ms })).expect("json")
}

/// `manifest inspect LIST`: the index as it stands locally.
pub fn inspect(name: &str) -> Result<String> {
    with_store(|store| {
        let mut lists = load(store)?;
        let l = find(&mut lists, name)?;
        let e: Vec<_> = l
            .entries
            .iter()
            .map(|e| (e.digest.clone(), e.size, e.media_type.clone(), e.platform.clone()))
            .collect();
        Ok(String::from_utf8(index_json(&e)).expect("utf8"))
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
        let img = idx
            .images
            .iter()
            .find(|i| i.id == e.image)
            .cloned()
            .ok_or_else(|| crate::err!("{name}: image {} of the list is no longer in the store", &e.image[..12]))?;
        imgs.push((img, e.platform.clone()));
    }
    let rt = push::runtime()?;
    let r = rt.block_on(async {
        let session = Session::connect_push(dest, &opts.registry).await?;
        let mut entries = Vec::new();
        for (img, platform) in &imgs {
            let (bytes, mt) = push::send_blobs(&store, img, &session, dest, opts, progress).await?;
            let d = session.put_manifest(&bytes, &mt, Some(())).await?;
            entries.push((d, bytes.len(), mt, platform.clone()));
        }
        let index = index_json(&entries);
        progress.message("Writing manifest list to image destination");
        session.put_manifest(&index, MT_OCI_INDEX, None).await
    });
    rt.shutdown_background();
    let digest = r?;
    Ok(digest)
}
