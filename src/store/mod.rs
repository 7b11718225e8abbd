//! Sole owner of the on-disk store and its layout (no other module builds a path inside it):
//! locks, durable writes (`sys::fs::write_atomic`), blobs, layers, images, containers,
//! volumes. Never forks, mounts or touches the network.
//!
//! ```text
//! $XDG_DATA_HOME/hutch/        0700
//!   blobs/sha256/<hex>          manifests and configs, written only by rename after verification
//!   layers/<id>/diff            extracted layers (id = diff_id hex); layers.json + layers.lock
//!   layers/<id>/tar-split.zst   the layer tar's headers and padding, to rebuild it (`save`)
//!   layers/<id>/keepid-<uid>/   re-owned copies for --userns=keep-id (store::keepid), when
//!   layers/<id>/idmap-<hash>/   or for a container's own map: fuse-overlayfs cannot shift it
//!   images/images.json          image records; images.lock
//!   containers/<id>/record.json a container's record; containers.lock
//!   containers/containers.json  records of containers an older hutch created
//!   containers/<id>/            upper, work, merged, userdata/, ctr.log, state.json (outcome)
//!   pods/pods.json              pod records; pods.lock (taken before containers.lock)
//!   pods/<id>/                  a pod's files: kube play's configmaps/, secrets/, emptydir/
//!   volumes/<name>/_data        named and anonymous volumes; volumes.json + volumes.lock
//!   tmp/<name> + <name>.lock    work in progress, owned by whoever holds the lock; swept at open
//! ```
//! Lock order: containers.lock, then volumes.lock, then images.lock, then layers.lock. A layer is extracted in
//! tmp/ and renamed into layers/ under layers.lock together with its record, so a crash leaves
//! only tmp/ debris.

pub mod containers;
pub mod images;
pub mod keepid;
pub mod layers;
pub mod pods;
pub mod secrets;
pub mod volumes;

use std::fs;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use serde::{de::DeserializeOwned, Serialize};

use crate::digest::{digest_hex, random_hex, sha256_hex};
use crate::error::{Context, Result};
use crate::sys::lock::FileLock;

pub use containers::{ContainerIndex, Outcome};
pub use images::{ImageIndex, ImageRecord};
pub use layers::{LayerIndex, LayerRecord};
pub use volumes::{VolumeIndex, VolumeRecord};

/// An opened store.
pub struct Store {
    root: PathBuf,
}

/// A unique, locked entry under tmp/ (a file or a directory), removed on drop unless kept.
pub struct TempEntry {
    pub path: PathBuf,
    lock_path: PathBuf,
    _lock: FileLock,
}

impl Drop for TempEntry {
    fn drop(&mut self) {
        remove_any(&self.path);
        let _ = fs::remove_file(&self.lock_path);
    }
}

fn remove_any(p: &Path) {
    match fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => {
            let _ = fs::remove_dir_all(p);
        }
        Ok(_) => {
            let _ = fs::remove_file(p);
        }
        Err(_) => {}
    }
}

fn append_hold(hold: &Path, ids: &[String]) -> Result<()> {
    use std::io::Write;
    let mut text = String::new();
    for id in ids {
        text.push_str(id);
        text.push('\n');
    }
    // One write of whole lines with O_APPEND: the builder and its forked stage builders add to
    // the same file.
    fs::OpenOptions::new()
        .append(true)
        .open(hold)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .ctx(|| format!("holding layers in {}", hold.display()))
}

fn mkdir(p: &Path) -> Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(p)
        .ctx(|| format!("creating {}", p.display()))
}

impl Store {
    /// Open (creating if needed) the store at the default location.
    pub fn open() -> Result<Store> {
        Self::open_at(crate::paths::data_dir()?)
    }

    /// The store at `root` if it exists; never creates anything.
    pub fn open_existing(root: &Path) -> Option<Store> {
        root.join("images").is_dir().then(|| Store {
            root: root.to_path_buf(),
        })
    }

    /// The store a parent hutch opened at `base` (the monitor gets it in the container's plan):
    /// no checks, no creation.
    pub fn reopen(base: PathBuf) -> Store {
        Store { root: base }
    }

    pub fn open_at(root: PathBuf) -> Result<Store> {
        crate::output::debug(&format!("store {}", root.display()));
        if !root.exists() {
            mkdir(&root)?;
        }
        for sub in ["blobs/sha256", "layers", "images", "tmp"] {
            let p = root.join(sub);
            if !p.exists() {
                mkdir(&p)?;
            }
        }
        Ok(Store { root })
    }

    pub fn blob_path(&self, digest: &str) -> Result<PathBuf> {
        Ok(self.root.join("blobs/sha256").join(digest_hex(digest)?))
    }

    pub fn read_blob(&self, digest: &str) -> Result<Vec<u8>> {
        let p = self.blob_path(digest)?;
        fs::read(&p).ctx(|| format!("reading blob {digest} from {}", p.display()))
    }

    /// Store `data` as the blob `digest` after checking that it hashes to it.
    pub fn write_blob(&self, digest: &str, data: &[u8]) -> Result<()> {
        let target = self.blob_path(digest)?;
        let actual = format!("sha256:{}", sha256_hex(data));
        if actual != digest {
            crate::bail!("digest mismatch for blob {digest}: content hashes to {actual}");
        }
        if target.exists() {
            return Ok(());
        }
        let tmp = self.temp("blob")?;
        crate::sys::fs::write_synced(&tmp.path, data, 0o600).ctx(|| format!("writing {}", tmp.path.display()))?;
        fs::rename(&tmp.path, &target).ctx(|| format!("storing blob {}", target.display()))?;
        crate::fault::point("after:write-blob");
        Ok(())
    }

    /// A fresh locked entry `tmp/<prefix>-<random>` (not yet created on disk: the caller does).
    pub fn temp(&self, prefix: &str) -> Result<TempEntry> {
        let name = format!("{prefix}-{}", random_hex(8));
        let path = self.root.join("tmp").join(&name);
        let lock_path = self.root.join("tmp").join(format!("{name}.lock"));
        let lock = FileLock::exclusive(&lock_path)?;
        Ok(TempEntry {
            path,
            lock_path,
            _lock: lock,
        })
    }

    /// Label of a build's step containers: the name of the tmp/ entry whose lock the build
    /// (and its forked stage builders) hold while it runs.
    pub const BUILD_STEP_LABEL: &'static str = "io.hutch.build-step";

    /// Whether `c` is a step container of a build that is no longer running (killed before it
    /// could remove it): nothing else refers to it, and its upper directory may be half-taken.
    pub fn is_orphan_build_step(&self, c: &containers::ContainerRecord) -> bool {
        let Some(owner) = c.spec.labels.get(Self::BUILD_STEP_LABEL) else {
            return false;
        };
        if owner.contains('/') || owner.is_empty() {
            return true;
        }
        let lock = self.root.join("tmp").join(format!("{owner}.lock"));
        !matches!(FileLock::try_existing(&lock), Ok(crate::sys::lock::Existing::Busy))
    }

    pub fn lock_images(&self) -> Result<FileLock> {
        wait_lock(&self.root.join("images/images.lock"))
    }

    /// images.lock as a reader (save, export): images and their layers stay while it is held;
    /// writers (rmi, prune, tag, pull's record) wait. Never held while taking it exclusively.
    pub fn lock_images_shared(&self) -> Result<FileLock> {
        let path = self.root.join("images/images.lock");
        FileLock::shared_or(&path, || {
            crate::output::note(&format!("waiting for lock on {}", path.display()))
        })
    }

    pub fn lock_layers(&self) -> Result<FileLock> {
        wait_lock(&self.root.join("layers/layers.lock"))
    }

    /// Whether a pull, load, import or commit holds this layer's work lock now, or a running
    /// build holds the layer (`hold_layers`). The work lock is looked at first: a build's
    /// worker adds the layer it stored to the build's hold before it lets the work lock go.
    pub fn layer_busy(&self, id: &str) -> bool {
        let p = self.root.join("layers").join(format!("{id}.lock"));
        (p.exists() && matches!(FileLock::try_exclusive(&p), Ok(None))) || self.held_by_a_build(id)
    }

    /// A hold on layers for a build: the file `tmp/layer-hold-<random>` lists the ids of the
    /// layers the build uses that no image records yet (its base, its steps' layers, the
    /// cache's), one a line. It counts while its lock is held: by the builder, and the
    /// processes it forks, which share that lock.
    pub fn hold_layers(&self) -> Result<TempEntry> {
        let t = self.temp("layer-hold")?;
        fs::write(&t.path, "").ctx(|| format!("creating {}", t.path.display()))?;
        Ok(t)
    }

    /// Add stored layers `ids` to the hold file `hold`; Ok(false), adding nothing, when one of
    /// them is not stored (any more). Under layers.lock, where garbage collection decides.
    pub fn hold(&self, hold: &Path, ids: &[String]) -> Result<bool> {
        let _lock = self.lock_layers()?;
        let idx = self.load_layers()?;
        if ids
            .iter()
            .any(|id| idx.get(id).is_none() || !self.layer_dir(id).join("diff").is_dir())
        {
            return Ok(false);
        }
        append_hold(hold, ids)?;
        Ok(true)
    }

    /// Add layer `id`, which the caller has just stored and whose work lock it still holds,
    /// to the hold file `hold`.
    pub fn hold_new(&self, hold: &Path, id: &str) -> Result<()> {
        append_hold(hold, &[id.to_string()])
    }

    fn held_by_a_build(&self, id: &str) -> bool {
        let tmp = self.root.join("tmp");
        let Ok(rd) = fs::read_dir(&tmp) else { return false };
        for e in rd.flatten() {
            let n = e.file_name();
            let n = n.to_string_lossy();
            if !n.starts_with("layer-hold-") || n.ends_with(".lock") {
                continue;
            }
            let lock = tmp.join(format!("{n}.lock"));
            if !matches!(FileLock::try_existing(&lock), Ok(crate::sys::lock::Existing::Busy)) {
                continue;
            }
            if fs::read_to_string(e.path()).is_ok_and(|t| t.lines().any(|l| l == id)) {
                return true;
            }
        }
        false
    }

    /// Lock held while one layer is being extracted, so that concurrent pulls extract it once.
    pub fn lock_layer_work(&self, id: &str) -> Result<FileLock> {
        wait_lock(&self.root.join("layers").join(format!("{id}.lock")))
    }

    pub fn load_images(&self) -> Result<ImageIndex> {
        read_index(&self.root.join("images/images.json"))
    }

    /// Write the image index. The caller holds `lock_images`.
    pub fn save_images(&self, idx: &ImageIndex, _held: &FileLock) -> Result<()> {
        crate::fault::point("before:save-images");
        let with_history;
        let idx = if idx
            .images
            .iter()
            .all(|i| i.names.iter().rev().eq(i.names_history.iter().take(i.names.len())))
        {
            idx
        } else {
            let mut copy = ImageIndex {
                images: idx.images.clone(),
            };
            copy.update_names_history();
            with_history = copy;
            &with_history
        };
        write_index(&self.root.join("images/images.json"), idx)?;
        crate::fault::point("after:save-images");
        Ok(())
    }

    pub fn load_layers(&self) -> Result<LayerIndex> {
        read_index(&self.root.join("layers/layers.json"))
    }

    /// Write the layer index. The caller holds `lock_layers`.
    pub fn save_layers(&self, idx: &LayerIndex, _held: &FileLock) -> Result<()> {
        crate::fault::point("before:save-layers");
        write_index(&self.root.join("layers/layers.json"), idx)?;
        crate::fault::point("after:save-layers");
        Ok(())
    }

    /// Lock held while the container index changes (taken before images.lock when both are).
    pub fn lock_containers(&self) -> Result<FileLock> {
        let dir = self.root.join("containers");
        if !dir.is_dir() {
            mkdir(&dir)?;
        }
        wait_lock(&dir.join("containers.lock"))
    }

    /// containers.lock as a reader (export): containers stay while it is held; rm waits.
    pub fn lock_containers_shared(&self) -> Result<FileLock> {
        let dir = self.root.join("containers");
        if !dir.is_dir() {
            mkdir(&dir)?;
        }
        let path = dir.join("containers.lock");
        trace_locks();
        FileLock::shared_or(&path, || {
            crate::output::note(&format!("waiting for lock on {}", path.display()))
        })
    }

    /// Every container record: those in containers.json (containers created before records had
    /// files of their own, and any a repair put there), then those in containers/<id>/record.json,
    /// oldest first. A record file that does not parse is one a crash tore while its create was
    /// not yet durable (the create never returned): left out, its directory is debris for
    /// `system check`.
    pub fn load_containers(&self) -> Result<ContainerIndex> {
        let mut idx: ContainerIndex = read_index(&self.root.join("containers/containers.json"))?;
        let known: std::collections::HashSet<String> = idx.containers.iter().map(|c| c.id.clone()).collect();
        idx.containers
            .extend(self.container_files().into_iter().filter(|c| !known.contains(&c.id)));
        Ok(idx)
    }

    /// The records in containers/<id>/record.json, oldest first.
    pub fn container_files(&self) -> Vec<containers::ContainerRecord> {
        let mut recs = Vec::new();
        let Ok(rd) = fs::read_dir(self.root.join("containers")) else {
            return Vec::new();
        };
        for e in rd.flatten() {
            let n = e.file_name();
            let Some(id) = n.to_str().filter(|n| is_hex64(n)) else {
                continue;
            };
            let path = e.path().join(containers::RECORD_FILE);
            let Ok(data) = fs::read(&path) else {
                continue;
            };
            match serde_json::from_slice::<containers::ContainerRecord>(&data) {
                Ok(r) if r.id == id => recs.push(r),
                _ => crate::output::debug(&format!("{}: torn or foreign record, left out", path.display())),
            }
        }
        recs.sort_by(|a, b| (a.created, a.created_ns, &a.id).cmp(&(b.created, b.created_ns, &b.id)));
        recs
    }

    /// Add a new container's record as containers/<id>/record.json (the directory was made
    /// under `held`, which the caller took before checking the name is free). Only the rename
    /// happens under the lock: the record is not fsynced before it, so concurrent creates do not
    /// queue behind each other's journal commits. Then, with the lock released, when `durable`,
    /// the file and the directories are synced before this returns. A crash before that may
    /// leave the record missing or empty: the create had not returned, the record is left out
    /// (`container_files`) and `system check` removes the directory. A `--rm` container is not
    /// `durable` (a crash ends it anyway).
    pub fn add_container(&self, rec: &containers::ContainerRecord, held: FileLock, durable: bool) -> Result<()> {
        let cdir = self.container_dir(&rec.id);
        let path = cdir.join(containers::RECORD_FILE);
        let data = serde_json::to_vec_pretty(rec).ctx(|| format!("encoding {}", path.display()))?;
        crate::fault::point("before:add-container-record");
        crate::sys::fs::replace_atomic(&path, &data, 0o600).ctx(|| format!("writing {}", path.display()))?;
        crate::output::debug(&format!("wrote {}", path.display()));
        crate::fault::point("after:add-container-record");
        drop(held);
        if durable {
            let sync = || -> std::io::Result<()> {
                fs::File::open(&path)?.sync_all()?;
                crate::sys::fs::sync_dir(&cdir)?;
                crate::sys::fs::sync_dir(&self.root.join("containers"))
            };
            sync().ctx(|| format!("syncing {}", path.display()))?;
            crate::fault::point("after:sync-container-record");
        }
        Ok(())
    }

    /// Reserve the container name `name` for the container `id`, under containers.lock
    /// (`held`; `exclusive` when held so). A reservation is the symbolic link
    /// containers/names/<name> -> <id>, made with one symlinkat that fails when the name is
    /// taken: a create checks its name without reading every record, and creates holding the
    /// lock shared cannot both get one name. A link whose container has no whole record (a
    /// create or a removal cut short) is stale: taken over under the exclusive lock only
    /// (`NeedsExclusive` otherwise), as is the first reservation in a store that has no
    /// names/ yet (an older hutch's), which links the names of all its containers at once.
    /// (A link is metadata only: never torn, and on disk with the journal commit that syncs
    /// the record written after it.)
    pub fn reserve_name(&self, name: &str, id: &str, _held: &FileLock, exclusive: bool) -> Result<Reservation> {
        let dir = self.root.join("containers").join(NAMES_DIR);
        if !dir.is_dir() {
            if !exclusive {
                return Ok(Reservation::NeedsExclusive);
            }
            self.link_all_names(&dir)?;
        }
        let link = dir.join(name);
        match std::os::unix::fs::symlink(id, &link) {
            Ok(()) => return Ok(Reservation::Ours),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => crate::bail!("reserving the container name {name}: {e}"),
        }
        let other = fs::read_link(&link)
            .map(|t| t.to_string_lossy().into_owned())
            .unwrap_or_default();
        if other == id {
            return Ok(Reservation::Ours);
        }
        if is_hex64(&other) && self.has_container_record(&other) {
            return Ok(Reservation::Taken(other));
        }
        if !exclusive {
            return Ok(Reservation::Pending);
        }
        crate::output::debug(&format!("{}: stale (no container {other}), taken over", link.display()));
        let tmp = dir.join(format!(".{name}.{}", random_hex(4)));
        std::os::unix::fs::symlink(id, &tmp)
            .and_then(|()| fs::rename(&tmp, &link))
            .ctx(|| format!("reserving the container name {name}"))?;
        Ok(Reservation::Ours)
    }

    /// Give up `id`'s reservation of `name` (under containers.lock), if it has it.
    pub fn release_name(&self, name: &str, id: &str) {
        let link = self.root.join("containers").join(NAMES_DIR).join(name);
        if fs::read_link(&link).is_ok_and(|t| t.as_os_str() == id) {
            let _ = fs::remove_file(&link);
        }
    }

    /// Whether container `id` has a whole record (its own file or in containers.json).
    fn has_container_record(&self, id: &str) -> bool {
        let own = fs::read(self.container_dir(id).join(containers::RECORD_FILE))
            .ok()
            .and_then(|d| serde_json::from_slice::<containers::ContainerRecord>(&d).ok());
        if own.is_some_and(|r| r.id == id) {
            return true;
        }
        read_index::<ContainerIndex>(&self.root.join("containers/containers.json"))
            .is_ok_and(|idx| idx.containers.iter().any(|c| c.id == id))
    }

    /// names/ for a store that has none: a link per container, made aside and renamed into place.
    fn link_all_names(&self, dir: &Path) -> Result<()> {
        let idx = self.load_containers()?;
        let tmp = dir.with_extension(format!("new-{}", random_hex(4)));
        let made = (|| -> std::io::Result<()> {
            fs::create_dir(&tmp)?;
            for c in &idx.containers {
                std::os::unix::fs::symlink(&c.id, tmp.join(&c.name))?;
            }
            fs::rename(&tmp, dir)
        })();
        if let Err(e) = made {
            let _ = fs::remove_dir_all(&tmp);
            // Made meanwhile by someone who did not hold the lock cannot happen; made by an
            // earlier call of ours: fine.
            if !dir.is_dir() {
                crate::bail!("creating {}: {e}", dir.display());
            }
        }
        Ok(())
    }

    /// Remove the container's own record file (containers/<id>/record.json), under `held`,
    /// released at once; when `durable`, the directory is synced after that. False (and the
    /// lock released) when the container has no record file: its record is in containers.json,
    /// or gone already.
    pub fn remove_container_file(&self, id: &str, name: &str, held: FileLock, durable: bool) -> Result<bool> {
        let cdir = self.container_dir(id);
        let path = cdir.join(containers::RECORD_FILE);
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(crate::err!("removing {}: {e}", path.display())),
        }
        crate::output::debug(&format!("removed {}", path.display()));
        crate::fault::point("after:remove-container-record");
        // After the record: a crash between the two leaves a stale reservation, which the next
        // create of that name takes over.
        self.release_name(name, id);
        drop(held);
        if durable {
            crate::sys::fs::sync_dir(&cdir).ctx(|| format!("syncing {}", cdir.display()))?;
        }
        Ok(true)
    }

    /// Write the container index. The caller holds `lock_containers`.
    pub fn save_containers(&self, idx: &ContainerIndex, _held: &FileLock) -> Result<()> {
        let dirs = self.write_containers(idx)?;
        sync_dirs(&dirs)
    }

    /// `save_containers` for a change a crash may undo harmlessly: a `--rm` container added or
    /// removed (a crash ends it anyway). Whatever is rewritten is synced before it replaces the
    /// old file, so every other record stays as durable as ever; only the directories are not
    /// synced (no journal commit on a `--rm` container's removal).
    pub fn save_containers_undoable(&self, idx: &ContainerIndex, _held: &FileLock) -> Result<()> {
        self.write_containers(idx).map(|_| ())
    }

    /// Bring the records on disk to `idx`, each where it lives: record files are rewritten
    /// where they changed and removed for containers no longer in `idx`; the others are
    /// containers.json, rewritten only when it changes. New files are synced before the rename;
    /// returns the directories whose entries changed (to sync for durability).
    fn write_containers(&self, idx: &ContainerIndex) -> Result<Vec<PathBuf>> {
        crate::fault::point("before:save-containers");
        let dir = self.root.join("containers");
        let mut on_disk: std::collections::HashSet<String> = std::collections::HashSet::new();
        if let Ok(rd) = fs::read_dir(&dir) {
            for e in rd.flatten() {
                if let Some(n) = e.file_name().to_str().filter(|n| is_hex64(n)) {
                    if e.path().join(containers::RECORD_FILE).exists() {
                        on_disk.insert(n.to_string());
                    }
                }
            }
        }
        let mut dirs = Vec::new();
        let mut legacy = ContainerIndex::default();
        let mut kept = std::collections::HashSet::new();
        for rec in &idx.containers {
            if !on_disk.contains(&rec.id) {
                legacy.containers.push(rec.clone());
                continue;
            }
            kept.insert(rec.id.clone());
            let cdir = self.container_dir(&rec.id);
            let path = cdir.join(containers::RECORD_FILE);
            let data = serde_json::to_vec_pretty(rec).ctx(|| format!("encoding {}", path.display()))?;
            if fs::read(&path).ok().as_deref() != Some(&data[..]) {
                crate::sys::fs::write_atomic_undoable(&path, &data, 0o600)
                    .ctx(|| format!("writing {}", path.display()))?;
                crate::output::debug(&format!("wrote {}", path.display()));
                dirs.push(cdir);
            }
        }
        for id in on_disk.iter().filter(|id| !kept.contains(*id)) {
            let cdir = self.container_dir(id);
            let path = cdir.join(containers::RECORD_FILE);
            fs::remove_file(&path).ctx(|| format!("removing {}", path.display()))?;
            crate::output::debug(&format!("removed {}", path.display()));
            crate::fault::point("after:remove-container-record");
            dirs.push(cdir);
        }
        let path = dir.join("containers.json");
        let data = serde_json::to_vec_pretty(&legacy).ctx(|| format!("encoding {}", path.display()))?;
        let current = fs::read(&path).ok();
        let unchanged = match &current {
            Some(c) => *c == data,
            None => legacy.containers.is_empty(),
        };
        if !unchanged {
            crate::sys::fs::write_atomic_undoable(&path, &data, 0o600).ctx(|| format!("writing {}", path.display()))?;
            crate::output::debug(&format!("wrote {}", path.display()));
            dirs.push(dir);
        }
        crate::fault::point("after:save-containers");
        Ok(dirs)
    }

    /// Lock held while the pod index changes (taken before containers.lock when both are).
    pub fn lock_pods(&self) -> Result<FileLock> {
        let dir = self.root.join("pods");
        if !dir.is_dir() {
            mkdir(&dir)?;
        }
        wait_lock(&dir.join("pods.lock"))
    }

    pub fn load_pods(&self) -> Result<pods::PodIndex> {
        read_index(&self.root.join("pods/pods.json"))
    }

    /// Write the pod index. The caller holds `lock_pods`.
    pub fn save_pods(&self, idx: &pods::PodIndex, _held: &FileLock) -> Result<()> {
        crate::fault::point("before:save-pods");
        write_index(&self.root.join("pods/pods.json"), idx)?;
        crate::fault::point("after:save-pods");
        Ok(())
    }

    /// pods/<id>: a pod's own files (kube play's ConfigMap and Secret files, emptyDir volumes).
    pub fn pod_dir(&self, id: &str) -> PathBuf {
        self.root.join("pods").join(id)
    }

    /// containers/<id>: upper, work, merged, userdata, ctr.log, state.json.
    pub fn container_dir(&self, id: &str) -> PathBuf {
        self.root.join("containers").join(id)
    }

    /// containers/<id>/state.json: when the container started and finished, its exit code.
    fn outcome_file(&self, id: &str) -> PathBuf {
        self.container_dir(id).join("state.json")
    }

    /// The container's recorded outcome (default when never started or unreadable).
    pub fn read_outcome(&self, id: &str) -> Outcome {
        fs::read(self.outcome_file(id))
            .ok()
            .and_then(|d| serde_json::from_slice(&d).ok())
            .unwrap_or_default()
    }

    /// Record the outcome; `durable` (fsynced) for what must survive a crash of the machine.
    pub fn write_outcome(&self, id: &str, o: &Outcome, durable: bool) -> Result<()> {
        let path = self.outcome_file(id);
        let data = serde_json::to_vec(o).expect("json");
        let r = if durable {
            crate::sys::fs::write_atomic(&path, &data, 0o600)
        } else {
            crate::sys::fs::replace_atomic(&path, &data, 0o600)
        };
        r.ctx(|| format!("writing {}", path.display()))
    }

    /// volumes/<name>/_data: a named (or anonymous) volume's content.
    pub fn volume_data(&self, name: &str) -> PathBuf {
        self.volumes_dir().join(name).join("_data")
    }

    /// blobs/sha256: manifests and configs.
    pub fn blobs_dir(&self) -> PathBuf {
        self.root.join("blobs/sha256")
    }

    pub fn volumes_dir(&self) -> PathBuf {
        self.root.join("volumes")
    }

    /// volumes/<name>: the volume's directory (its `_data` is what containers mount).
    pub fn volume_dir(&self, name: &str) -> PathBuf {
        self.volumes_dir().join(name)
    }

    /// secrets/: the secret index and the secrets' data (`data/<id>`).
    pub fn secrets_dir(&self) -> PathBuf {
        self.root.join("secrets")
    }

    /// secrets/data/<id>: a secret's content.
    pub fn secret_data(&self, id: &str) -> PathBuf {
        self.secrets_dir().join("data").join(id)
    }

    /// Lock held while the secret index changes (after containers.lock when both are taken).
    pub fn lock_secrets(&self) -> Result<FileLock> {
        let dir = self.secrets_dir();
        if !dir.is_dir() {
            mkdir(&dir)?;
        }
        wait_lock(&dir.join("secrets.lock"))
    }

    pub fn load_secrets(&self) -> Result<secrets::SecretIndex> {
        read_index(&self.secrets_dir().join("secrets.json"))
    }

    /// Write the secret index. The caller holds `lock_secrets`.
    pub fn save_secrets(&self, idx: &secrets::SecretIndex, _held: &FileLock) -> Result<()> {
        crate::fault::point("before:save-secrets");
        write_index(&self.secrets_dir().join("secrets.json"), idx)?;
        crate::fault::point("after:save-secrets");
        Ok(())
    }

    /// Lock held while the volume index changes (after containers.lock when both are taken).
    pub fn lock_volumes(&self) -> Result<FileLock> {
        let dir = self.volumes_dir();
        if !dir.is_dir() {
            mkdir(&dir)?;
        }
        wait_lock(&dir.join("volumes.lock"))
    }

    pub fn load_volumes(&self) -> Result<VolumeIndex> {
        read_index(&self.volumes_dir().join("volumes.json"))
    }

    /// Write the volume index. The caller holds `lock_volumes`.
    pub fn save_volumes(&self, idx: &VolumeIndex, _held: &FileLock) -> Result<()> {
        crate::fault::point("before:save-volumes");
        write_index(&self.volumes_dir().join("volumes.json"), idx)?;
        crate::fault::point("after:save-volumes");
        Ok(())
    }

    /// The store's directory, only as the base the overlay's relative lowerdirs (`layer_rel`)
    /// are resolved from: the child chdirs here so that long layer lists fit in one mount call.
    pub fn base(&self) -> &Path {
        &self.root
    }

    /// `layers/<id>/diff` relative to `base()`.
    pub fn layer_rel(id: &str) -> String {
        format!("layers/{id}/diff")
    }

    /// Flush everything written to the store's file system (one syncfs).
    pub fn sync_fs(&self) -> Result<()> {
        let f = fs::File::open(&self.root).ctx(|| format!("opening {}", self.root.display()))?;
        nix::unistd::syncfs(&f).ctx(|| "syncing the store's file system")
    }

    pub fn layer_dir(&self, id: &str) -> PathBuf {
        self.root.join("layers").join(id)
    }

    /// Write a layer's tar-split record into its directory being built in tmp/ (`layer_tmp`,
    /// the directory that becomes `layers/<id>`); synced with the layer at commit.
    pub fn write_tar_split(&self, layer_tmp: &Path, data: &[u8]) -> Result<()> {
        let p = layer_tmp.join("tar-split.zst");
        fs::write(&p, data).ctx(|| format!("writing {}", p.display()))
    }

    /// A layer's tar-split record (`archive::split`), absent for layers an older hutch stored.
    pub fn read_tar_split(&self, id: &str) -> Option<Vec<u8>> {
        fs::read(self.layer_dir(id).join("tar-split.zst")).ok()
    }

    /// Remove what crashed or killed invocations left behind: unlocked tmp/ entries and layer
    /// directories that have no record. Needs the store's user namespace to delete files owned
    /// by subordinate ids.
    pub fn sweep(&self) -> Result<()> {
        let tmp = self.root.join("tmp");
        let entries: Vec<_> = fs::read_dir(&tmp)
            .ctx(|| format!("reading {}", tmp.display()))?
            .flatten()
            .collect();
        let names: std::collections::HashSet<_> = entries.iter().map(|e| e.file_name()).collect();
        for e in &entries {
            let name = e.file_name();
            let name_s = name.to_string_lossy();
            if let Some(base) = name_s.strip_suffix(".lock") {
                if let Some(_l) = FileLock::try_exclusive(&e.path())? {
                    remove_any(&tmp.join(base));
                    crate::fault::point("after:sweep-entry");
                    let _ = fs::remove_file(e.path());
                }
            } else if !names.contains(std::ffi::OsStr::new(&format!("{name_s}.lock"))) {
                // No lock file: its owner already finished cleaning up its lock, or never made one.
                remove_any(&e.path());
            }
        }
        let layers_lock = self.lock_layers()?;
        let idx = self.load_layers()?;
        let known: std::collections::HashSet<&str> = idx.layers.iter().map(|l| l.id.as_str()).collect();
        for e in fs::read_dir(self.root.join("layers"))
            .ctx(|| "reading layers directory")?
            .flatten()
        {
            let n = e.file_name();
            let n = n.to_string_lossy();
            if n.len() == 64 && e.path().is_dir() && !known.contains(n.as_ref()) {
                self.discard_dir(&e.path())?;
            }
        }
        drop(layers_lock);
        Ok(())
    }

    /// Remove layers no image uses and blobs no image refers to. The caller holds images.lock and
    /// passes the image index as it now stands. With `keep_build_cache` (an `rmi`), what the
    /// build cache refers to stays, so that removing one image does not make every other
    /// image's next build start cold; `image prune` and `system prune` pass false. Returns
    /// (layers removed, blobs removed).
    pub fn collect_garbage(
        &self,
        images: &ImageIndex,
        _held: &FileLock,
        keep_build_cache: bool,
    ) -> Result<(usize, usize)> {
        let (cache_blobs, cache_layers) = if keep_build_cache {
            self.build_cache_refs()
        } else {
            Default::default()
        };
        let used = images.used_layers();
        let dropped = self.drop_layers(|id| !used.contains(id) && !cache_layers.contains(id))?;
        let mut referenced = images.referenced_blobs();
        referenced.extend(cache_blobs);
        let mut blobs = 0;
        let dir = self.root.join("blobs/sha256");
        for e in fs::read_dir(&dir)
            .ctx(|| format!("reading {}", dir.display()))?
            .flatten()
        {
            if !referenced.contains(e.file_name().to_string_lossy().as_ref()) {
                fs::remove_file(e.path()).ctx(|| format!("removing {}", e.path().display()))?;
                crate::fault::point("after:remove-blob");
                blobs += 1;
            }
        }
        Ok((dropped, blobs))
    }

    /// Remove the layers `unused` says no image uses, but for those being stored now (a layer
    /// whose work lock is held is being stored by a pull, load, import, commit or build that
    /// records its image next: not garbage). Records go first: a crash afterwards leaves
    /// unrecorded directories, which the sweep removes. Returns how many went.
    fn drop_layers(&self, unused: impl Fn(&str) -> bool) -> Result<usize> {
        let lock = self.lock_layers()?;
        let mut idx = self.load_layers()?;
        let (drop_, keep): (Vec<LayerRecord>, Vec<LayerRecord>) = idx
            .layers
            .drain(..)
            .partition(|l| unused(&l.id) && !self.layer_busy(&l.id));
        idx.layers = keep;
        if !drop_.is_empty() {
            self.save_layers(&idx, &lock)?;
        }
        for l in &drop_ {
            let dir = self.layer_dir(&l.id);
            if dir.exists() {
                self.discard_dir(&dir)?;
            }
            let _ = fs::remove_file(self.root.join("layers").join(format!("{}.lock", l.id)));
        }
        Ok(drop_.len())
    }

    /// Of `blobs` and `layers` (what a build without a cache wrote for its intermediate
    /// images), remove those no image in `images` (saved, under `_held`, images.lock) and
    /// nothing in the build cache refers to.
    pub fn drop_unreferenced(
        &self,
        images: &ImageIndex,
        _held: &FileLock,
        blobs: &std::collections::HashSet<String>,
        layers: &std::collections::HashSet<String>,
    ) -> Result<()> {
        let (cache_blobs, cache_layers) = self.build_cache_refs();
        let used = images.used_layers();
        self.drop_layers(|id| layers.contains(id) && !used.contains(id) && !cache_layers.contains(id))?;
        let referenced = images.referenced_blobs();
        let dir = self.root.join("blobs/sha256");
        let mut gone = std::collections::HashSet::new();
        for b in blobs {
            if is_hex64(b) && !referenced.contains(b.as_str()) && !cache_blobs.contains(b) {
                remove_blob_file(&dir.join(b))?;
                gone.insert(b.as_str());
            }
        }
        // The manifests of forgotten intermediate images whose configs went.
        if !gone.is_empty() {
            for e in fs::read_dir(&dir)
                .ctx(|| format!("reading {}", dir.display()))?
                .flatten()
            {
                let n = e.file_name().to_string_lossy().into_owned();
                if referenced.contains(n.as_str()) || e.metadata().map_or(true, |m| m.len() > 1 << 16) {
                    continue;
                }
                let config = manifest_config_hex(&e.path());
                if config.is_some_and(|c| gone.contains(c.as_str())) {
                    remove_blob_file(&e.path())?;
                }
            }
        }
        Ok(())
    }

    /// What the build cache (`build-cache/<key>`: a step's config digest) keeps: the config blobs
    /// it names that exist, and the layers those configs list. They are no debris: the next build
    /// of the same steps reuses them; `image prune` and `system prune` remove them.
    pub fn build_cache_refs(&self) -> (std::collections::HashSet<String>, std::collections::HashSet<String>) {
        let base = &self.root;
        let (mut blobs, mut layers) = (std::collections::HashSet::new(), std::collections::HashSet::new());
        let Ok(rd) = fs::read_dir(base.join("build-cache")) else {
            return (blobs, layers);
        };
        for e in rd.flatten() {
            if !is_hex64(&e.file_name().to_string_lossy()) {
                continue;
            }
            let Ok(d) = fs::read_to_string(e.path()) else { continue };
            let d = d.trim().trim_start_matches("sha256:");
            if !is_hex64(d) {
                continue;
            }
            let Ok(raw) = fs::read(base.join("blobs/sha256").join(d)) else {
                continue;
            };
            blobs.insert(d.to_string());
            if let Ok(cfg) = serde_json::from_slice::<serde_json::Value>(&raw) {
                if let Some(ids) = cfg["rootfs"]["diff_ids"].as_array() {
                    layers.extend(
                        ids.iter()
                            .filter_map(|v| v.as_str())
                            .map(|v| v.trim_start_matches("sha256:").to_string()),
                    );
                }
            }
        }
        (blobs, layers)
    }

    /// Remove a directory tree atomically from the store's point of view: rename it into tmp/
    /// first, then delete it (a crash in between leaves sweepable debris, never a half layer).
    pub fn discard_dir(&self, dir: &Path) -> Result<()> {
        let trash = self.temp("trash")?;
        fs::rename(dir, &trash.path).ctx(|| format!("removing {}", dir.display()))?;
        crate::fault::point("after:discard-rename");
        make_writable(&trash.path);
        drop(trash);
        Ok(())
    }
}

/// The config digest (hex, without `sha256:`) that the manifest blob at `p` names, if it is one.
pub fn manifest_config_hex(p: &Path) -> Option<String> {
    fs::read(p)
        .ok()
        .and_then(|raw| serde_json::from_slice::<serde_json::Value>(&raw).ok())
        .and_then(|m| {
            m["config"]["digest"]
                .as_str()
                .map(|d| d.trim_start_matches("sha256:").to_string())
        })
}

fn remove_blob_file(p: &Path) -> Result<()> {
    match fs::remove_file(p) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(crate::err!("removing {}: {e}", p.display())),
        _ => Ok(()),
    }
}

/// Without CAP_DAC_OVERRIDE over the files (no user namespace), read-only directories inside a
/// layer would stop `remove_dir_all`; give the owner write permission back first.
pub fn make_writable(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(m) = fs::symlink_metadata(p) {
        if m.is_dir() {
            let mode = m.permissions().mode();
            if mode & 0o700 != 0o700 {
                let _ = fs::set_permissions(p, fs::Permissions::from_mode(mode | 0o700));
            }
            if let Ok(rd) = fs::read_dir(p) {
                for e in rd.flatten() {
                    make_writable(&e.path());
                }
            }
        }
    }
}

/// A store lock; says once that it waits when another hutch holds it.
/// With debug output, every lock says how long it waited and was held when released.
fn trace_locks() {
    if crate::output::level() >= crate::output::Level::Debug {
        crate::sys::lock::on_release(|p, waited, held| {
            crate::output::debug(&format!(
                "unlocked {}: waited {} us, held {} us",
                p.display(),
                waited.as_micros(),
                held.as_micros()
            ))
        });
    }
}

fn wait_lock(path: &Path) -> Result<FileLock> {
    trace_locks();
    let l = FileLock::exclusive_or(path, || {
        crate::output::note(&format!("waiting for lock on {}", path.display()))
    })?;
    crate::output::debug(&format!("locked {}", path.display()));
    Ok(l)
}

fn sync_dirs(dirs: &[PathBuf]) -> Result<()> {
    for d in dirs {
        crate::sys::fs::sync_dir(d).ctx(|| format!("syncing {}", d.display()))?;
    }
    Ok(())
}

/// containers/names/: the container names' reservations (`Store::reserve_name`).
const NAMES_DIR: &str = "names";

/// What `Store::reserve_name` found.
pub enum Reservation {
    /// The name is the container's now.
    Ours,
    /// The container with this id has it.
    Taken(String),
    /// Only the holder of the exclusive lock may go on (no names/ yet).
    NeedsExclusive,
    /// Another container's link without a whole record: a create still under way, or a stale
    /// link, which only the holder of the exclusive lock may take over.
    Pending,
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn read_index<T: DeserializeOwned + Default>(path: &Path) -> Result<T> {
    crate::output::debug(&format!("reading {}", path.display()));
    match fs::read(path) {
        Ok(data) => serde_json::from_slice(&data).ctx(|| format!("store index {} is corrupt", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(e) => Err(crate::err!("reading {}: {e}", path.display())),
    }
}

/// One durable write (temp + fsync + rename + fsync of the directory): a reader sees the old or
/// the new index, never a torn one.
fn write_index<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let data = serde_json::to_vec_pretty(value).ctx(|| format!("encoding {}", path.display()))?;
    crate::sys::fs::write_atomic(path, &data, 0o600).ctx(|| format!("writing {}", path.display()))?;
    crate::output::debug(&format!("wrote {}", path.display()));
    Ok(())
}
