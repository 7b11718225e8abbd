//! The pull path: manifest -> missing layers downloaded in parallel, hashed, decompressed and
//! extracted while streaming -> diff_ids checked -> blobs and image record written last.
//! A tokio runtime lives only inside `pull` and is gone before it returns.

use std::io::Read;
use std::sync::Arc;

use futures_util::StreamExt;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::archive::{self, Ownership};
use crate::error::{Context, Result};
use crate::output::Progress;
use crate::reference::ImageRef;
use crate::registry::{self, LayerDesc, Platform, RegistryOptions, Session};
use crate::runtime::userns::Mapping;
use crate::store::{self, ImageRecord, LayerRecord, Store};

/// Layers downloaded at once.
const PARALLEL_LAYERS: usize = 4;

pub struct PullOptions {
    pub registry: RegistryOptions,
    pub platform: Platform,
}

pub struct PullReport {
    pub image_id: String,
    pub skipped_devices: u64,
}

/// Pull `image` into the user's store: enter the store's user namespace (so files keep their
/// image owners), sweep what crashed pulls left, pull.
/// A disk that fills up on the way is reported as such (`out_of_space`).
pub fn pull_to_store(image: &ImageRef, opts: &PullOptions, progress: &Progress) -> Result<PullReport> {
    let mapping = crate::runtime::userns::enter()?;
    let root = crate::paths::data_dir()?;
    let missing = std::sync::Mutex::new(None);
    // Called once the pull is over and its temporary entries are gone, so the free space
    // reported is what is left.
    let full = |e| {
        out_of_space(
            e,
            &root,
            &format!("pulling {image}"),
            *missing.lock().unwrap_or_else(|p| p.into_inner()),
        )
    };
    let store = Arc::new(Store::open_at(root.clone()).map_err(&full)?);
    store.sweep().map_err(&full)?;
    pull(&store, image, opts, mapping, progress, &missing).map_err(&full)
}

/// How much lower than the caller's the priority of a pull's threads is (nice 0 -> 10).
const BACKGROUND_NICE: i32 = 10;

/// Pull `image` into `store`. The caller has entered the store's user namespace (`mapping`);
/// `missing` gets the number and compressed size of the layers the store lacks.
pub fn pull(
    store: &Arc<Store>,
    image: &ImageRef,
    opts: &PullOptions,
    mapping: &Mapping,
    progress: &Progress,
    missing: &std::sync::Mutex<Option<(usize, u64)>>,
) -> Result<PullReport> {
    // The pull's threads (network, decompression, hashing, extraction) are background work:
    // readers started meanwhile (`images`, `ps`) get a CPU before them (benches/readers.sh).
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(PARALLEL_LAYERS + 2)
        .on_thread_start(|| crate::sys::process::background_thread(BACKGROUND_NICE))
        .enable_all()
        .build()
        .ctx(|| "starting the network runtime")?;
    let own = Ownership {
        keep: mapping.keeps_ownership(),
        uid_span: mapping.uid_span(),
        gid_span: mapping.gid_span(),
    };
    let r = rt.block_on(pull_async(store.clone(), image, opts, own, progress, missing));
    rt.shutdown_background();
    r
}

/// Is this error the file system running out of room (ENOSPC) or the user out of quota (EDQUOT)?
fn is_out_of_space(msg: &str) -> Option<&'static str> {
    if msg.contains("(os error 28)") || msg.contains("ENOSPC") {
        Some("the disk is full")
    } else if msg.contains("(os error 122)") || msg.contains("EDQUOT") {
        Some("the disk quota is exhausted")
    } else {
        None
    }
}

/// Say plainly that the disk holding the store `root` is full (or the quota used up), where,
/// and what `what` needed if known (`missing`: the layers it had to fetch, their compressed
/// size); other errors pass through unchanged.
pub fn out_of_space(
    e: crate::error::Error,
    root: &std::path::Path,
    what: &str,
    missing: Option<(usize, u64)>,
) -> crate::error::Error {
    let Some(full) = is_out_of_space(&e.message) else {
        return e;
    };
    let size = crate::output::human_size;
    let fs = match crate::sys::fs::space_of(root) {
        Some(s) => format!(
            " (the {}file system mounted at {}: {} in all, {} free)",
            if s.fs_type.is_empty() {
                String::new()
            } else {
                format!("{} ", s.fs_type)
            },
            s.mount_point.display(),
            size(s.total),
            size(s.avail)
        ),
        None => String::new(),
    };
    let need = match missing {
        Some((n, bytes)) if n > 0 => {
            format!(
                "; the image needs more than {} (its {n} missing layer{}, compressed)",
                size(bytes),
                if n == 1 { "" } else { "s" }
            )
        }
        _ => String::new(),
    };
    crate::err!(
        "{what}: {full}: no space left for the store in {}{fs}{need}",
        root.display()
    )
}

async fn pull_async(
    store: Arc<Store>,
    image: &ImageRef,
    opts: &PullOptions,
    own: Ownership,
    progress: &Progress,
    missing_size: &std::sync::Mutex<Option<(usize, u64)>>,
) -> Result<PullReport> {
    progress.headline(&format!("Trying to pull {image}..."));
    let (session, resolved) = registry::open(image, &opts.registry, &opts.platform).await?;
    let config: Value = serde_json::from_slice(&resolved.config)
        .map_err(|e| crate::err!("{image}: image config is not valid JSON: {e}"))?;
    let diff_ids: Vec<String> = config
        .pointer("/rootfs/diff_ids")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect())
        .unwrap_or_default();
    if diff_ids.len() != resolved.layers.len() {
        crate::bail!(
            "{image}: the config lists {} diff_ids but the manifest has {} layers",
            diff_ids.len(),
            resolved.layers.len()
        );
    }
    for d in &diff_ids {
        crate::reference::validate_digest(d).map_err(|w| crate::err!("{image}: config rootfs.diff_ids: {w}"))?;
    }
    let layer_ids: Vec<String> = diff_ids.iter().map(|d| d[7..].to_string()).collect();

    // Take the work lock of every layer not in the store yet before fetching any, in one order
    // (the ids sorted) that every pull follows: a pull holds them until its layers are committed
    // together, so taking each as its fetch starts let two pulls needing the same layers wait
    // for each other for ever. Once they are ours, the layers still missing are ours to fetch.
    let present = store.load_layers()?;
    let mut missing: Vec<String> = layer_ids
        .iter()
        .filter(|id| present.get(id).is_none())
        .cloned()
        .collect();
    missing.sort();
    missing.dedup();
    let s = store.clone();
    let mut work_locks: std::collections::HashMap<String, crate::sys::lock::FileLock> =
        tokio::task::spawn_blocking(move || {
            missing
                .into_iter()
                .map(|id| s.lock_layer_work(&id).map(|l| (id, l)))
                .collect::<Result<_>>()
        })
        .await
        .map_err(|e| crate::err!("{e}"))??;
    let present = store.load_layers()?;
    {
        let mut seen = std::collections::HashSet::new();
        let todo: Vec<&LayerDesc> = resolved
            .layers
            .iter()
            .zip(&layer_ids)
            .filter(|(_, id)| present.get(id).is_none() && seen.insert(*id))
            .map(|(d, _)| d)
            .collect();
        *missing_size.lock().unwrap_or_else(|p| p.into_inner()) = Some((todo.len(), todo.iter().map(|d| d.size).sum()));
    }
    let mut tasks = tokio::task::JoinSet::new();
    let sem = Arc::new(tokio::sync::Semaphore::new(PARALLEL_LAYERS));
    let mut skipped_devices = 0;
    let mut sizes = vec![0u64; layer_ids.len()];
    for (i, (desc, diff_id)) in resolved.layers.iter().zip(&diff_ids).enumerate() {
        if let Some(rec) = present.get(&layer_ids[i]) {
            sizes[i] = rec.size;
            progress.done_line(&desc.digest, "already exists");
            continue;
        }
        // A layer the image lists twice is fetched once (its size is filled in below).
        let Some(work_lock) = work_locks.remove(&layer_ids[i]) else {
            continue;
        };
        let (store, session, desc, diff_id, sem) = (
            store.clone(),
            session.clone(),
            desc.clone(),
            diff_id.clone(),
            sem.clone(),
        );
        let bar = progress.bar(&desc.digest, desc.size);
        tasks.spawn(async move {
            let _permit = sem.acquire_owned().await.expect("semaphore");
            let r = fetch_layer(&store, &session, &desc, &diff_id, own, &bar, work_lock).await;
            bar.finish(if r.is_ok() { "done" } else { "failed" });
            (i, r)
        });
    }
    // Layers others committed while we waited for their locks.
    drop(work_locks);
    let mut ready = Vec::new();
    let mut work_locks = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (i, r) = joined.map_err(|e| crate::err!("layer task failed: {e}"))?;
        match r {
            Ok(f) => {
                for (j, id) in layer_ids.iter().enumerate() {
                    if *id == layer_ids[i] {
                        sizes[j] = f.rec.size;
                    }
                }
                skipped_devices += f.skipped_devices;
                ready.push((f.tmp, f.rec));
                work_locks.push(f.work_lock);
            }
            Err(mut e) => {
                e.message = format!("pulling {image}: {}", e.message);
                tasks.abort_all();
                while tasks.join_next().await.is_some() {}
                return Err(e);
            }
        }
    }

    progress.message("Writing manifest to image destination");
    crate::fault::point("after:fetch-layers");
    let s2 = store.clone();
    tokio::task::spawn_blocking(move || commit_layers(&s2, ready))
        .await
        .map_err(|e| crate::err!("{e}"))??;
    let id = crate::digest::digest_hex(&resolved.config_digest)?.to_string();
    let record = ImageRecord {
        names_history: Vec::new(),
        id: id.clone(),
        names: image.tagged().into_iter().collect(),
        digests: vec![format!("{}@{}", image.name(), resolved.manifest_digest)],
        manifest_digest: resolved.manifest_digest.clone(),
        layers: layer_ids,
        created: config.get("created").and_then(Value::as_str).map(String::from),
        size: sizes.iter().sum(),
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
    let store2 = store.clone();
    crate::fault::point("before:record-image");
    let blobs = [
        (resolved.config_digest.clone(), resolved.config.clone()),
        (resolved.manifest_digest.clone(), resolved.manifest.clone()),
    ];
    tokio::task::spawn_blocking(move || record_image(&store2, record, &blobs))
        .await
        .map_err(|e| crate::err!("{e}"))??;
    // Held until the image is recorded: `system check` and garbage collection leave alone an
    // unreferenced layer whose work lock is taken (it is about to be referenced).
    drop(work_locks);
    Ok(PullReport {
        image_id: id,
        skipped_devices,
    })
}

/// Store the image's blobs (config, manifest: `(digest, content)`) and add or merge its record;
/// names move to this image from any other. Both happen under images.lock, so that whoever
/// holds it (garbage collection, `system check`) never sees blobs without their image. Fails,
/// storing nothing, when a layer of the image went meanwhile (a concurrent rmi, prune or
/// `system check --repair` removed it after this command found it).
pub(crate) fn record_image(store: &Store, record: ImageRecord, blobs: &[(String, Vec<u8>)]) -> Result<()> {
    let lock = store.lock_images()?;
    let layers = store.load_layers()?;
    if let Some(gone) = record
        .layers
        .iter()
        .find(|l| layers.get(l).is_none() || !store.layer_dir(l).join("diff").is_dir())
    {
        return Err(crate::err!(
            "layer {} was removed while the image was being stored (by a concurrent rmi, prune or system check --repair): run the command again",
            &gone[..gone.len().min(12)]
        ));
    }
    let mut idx = store.load_images()?;
    // An image already stored keeps its manifest: another manifest of it (a load's, say) would
    // be a blob nothing refers to.
    let kept_manifest = idx
        .images
        .iter()
        .find(|i| i.id == record.id)
        .map(|i| i.manifest_digest.clone());
    for (digest, data) in blobs {
        let unreferenced = kept_manifest
            .as_ref()
            .is_some_and(|m| m != digest && *digest != format!("sha256:{}", record.id));
        if !unreferenced {
            store.write_blob(digest, data)?;
        }
    }
    let n = match idx.images.iter().position(|i| i.id == record.id) {
        Some(n) => {
            let img = &mut idx.images[n];
            for d in &record.digests {
                if !img.digests.contains(d) {
                    img.digests.push(d.clone());
                }
            }
            img.pulled = record.pulled;
            n
        }
        None => {
            let mut r = record.clone();
            r.names.clear();
            idx.images.push(r);
            idx.images.len() - 1
        }
    };
    for name in &record.names {
        idx.add_name(n, name);
    }
    store.save_images(&idx, &lock)
}

/// A blocking reader over chunks sent by the download task.
struct ChannelReader {
    rx: mpsc::Receiver<std::io::Result<bytes::Bytes>>,
    cur: bytes::Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.cur.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(b)) => self.cur = b,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.cur.len());
        buf[..n].copy_from_slice(&self.cur[..n]);
        self.cur = self.cur.slice(n..);
        Ok(n)
    }
}

/// Download, verify and extract one layer for the store; `work_lock` (its layer's, held
/// until the layer is committed) keeps concurrent pulls from extracting it too.
async fn fetch_layer(
    store: &Arc<Store>,
    session: &Session,
    desc: &LayerDesc,
    diff_id: &str,
    own: Ownership,
    bar: &crate::output::Bar,
    work_lock: crate::sys::lock::FileLock,
) -> Result<Fetched> {
    let id = diff_id[7..].to_string();
    let mut attempt = 0;
    loop {
        attempt += 1;
        bar.reset();
        let tmp = store.temp(&format!("layer-{}", &id[..12]))?;
        std::fs::create_dir(&tmp.path).ctx(|| format!("creating {}", tmp.path.display()))?;
        let diff_dir = tmp.path.join("diff");
        std::fs::create_dir(&diff_dir).ctx(|| format!("creating {}", diff_dir.display()))?;
        let mut stream = session.blob_stream(desc).await?;
        let (tx, rx) = mpsc::channel(32);
        let dd = diff_dir.clone();
        let extractor = tokio::task::spawn_blocking(move || {
            archive::extract_layer(
                ChannelReader {
                    rx,
                    cur: bytes::Bytes::new(),
                },
                &dd,
                own,
            )
        });
        let mut received: u64 = 0;
        let mut net_err: Option<std::io::Error> = None;
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(b) => {
                    received += b.len() as u64;
                    bar.inc(b.len() as u64);
                    if desc.size > 0 && received > desc.size {
                        let e = std::io::Error::other(format!(
                            "blob {} is larger than the {} bytes its descriptor says",
                            desc.digest, desc.size
                        ));
                        let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
                        net_err = Some(e);
                        break;
                    }
                    if tx.send(Ok(b)).await.is_err() {
                        break; // the extractor stopped; its error says why
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
                    net_err = Some(e);
                    break;
                }
            }
        }
        drop(tx);
        let extracted = extractor
            .await
            .map_err(|e| crate::err!("extracting layer {}: {e}", desc.digest))?;
        if let Some(e) = net_err {
            let transient = registry::stream_error_is_transient(&e) && !e.to_string().contains("is larger than");
            if transient && attempt < 4 {
                tokio::time::sleep(std::time::Duration::from_millis(300 * attempt)).await;
                continue;
            }
            if !registry::stream_error_is_transient(&e) {
                crate::bail!("digest mismatch for layer {}: {e}", desc.digest);
            }
            crate::bail!("downloading layer {}: {e}", desc.digest);
        }
        let ex = extracted.map_err(|e| crate::err!("layer {}: {e}", desc.digest))?;
        if ex.diff_id != diff_id {
            crate::bail!(
                "layer {}: diff_id mismatch: the image config says {diff_id}, the content is {}",
                desc.digest,
                ex.diff_id
            );
        }
        if desc.size > 0 && received != desc.size {
            crate::bail!(
                "layer {}: size mismatch: expected {} bytes, got {received}",
                desc.digest,
                desc.size
            );
        }
        store.write_tar_split(&tmp.path, &ex.tar_split)?;
        let rec = LayerRecord {
            id: id.clone(),
            compressed: vec![desc.digest.clone()],
            size: ex.size,
            root_mode: ex.root_mode,
        };
        return Ok(Fetched {
            rec,
            skipped_devices: ex.skipped_devices,
            tmp,
            work_lock,
        });
    }
}

/// A layer ready for the store: extracted and verified in tmp/, with the lock that keeps other
/// pulls from extracting it too.
struct Fetched {
    rec: LayerRecord,
    skipped_devices: u64,
    tmp: store::TempEntry,
    work_lock: crate::sys::lock::FileLock,
}

/// Store one layer extracted into `tmp`/diff (`commit`, `import`, a build step): its tar-split
/// record beside it, then the layer moved into place and recorded. Returns the layer id and its
/// work lock, which keeps garbage collection off the layer until the caller has recorded the
/// image that uses it.
pub(crate) fn commit_extracted_layer(
    store: &Store,
    tmp: store::TempEntry,
    ex: &crate::archive::Extracted,
) -> Result<(String, crate::sys::lock::FileLock)> {
    store.write_tar_split(&tmp.path, &ex.tar_split)?;
    let id = ex.diff_id[7..].to_string();
    let lock = store.lock_layer_work(&id)?;
    let record = LayerRecord {
        id: id.clone(),
        compressed: vec![],
        size: ex.size,
        root_mode: ex.root_mode,
    };
    commit_layers(store, vec![(tmp, record)])?;
    Ok((id, lock))
}

/// Sync the extracted files once (a single syncfs, not one per layer: syncs stall each other's
/// file creation in the journal), then move the layers into place and record them, under
/// layers.lock.
pub(crate) fn commit_layers(store: &Store, layers: Vec<(store::TempEntry, LayerRecord)>) -> Result<()> {
    if layers.is_empty() {
        return Ok(());
    }
    store.sync_fs()?;
    crate::fault::point("after:sync");
    let lock = store.lock_layers()?;
    let mut idx = store.load_layers()?;
    for (tmp, rec) in layers {
        let target = store.layer_dir(&rec.id);
        if idx.get(&rec.id).is_none() {
            if target.exists() {
                store.discard_dir(&target)?;
            }
            std::fs::rename(&tmp.path, &target).ctx(|| format!("moving layer into {}", target.display()))?;
            crate::fault::point("after:commit-layer");
            idx.upsert(rec);
        }
    }
    store.save_layers(&idx, &lock)
}
