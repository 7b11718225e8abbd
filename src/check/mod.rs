//! `system check`: verify every invariant of the store and, with `repair`, remove what cannot be
//! trusted. Holds containers.lock, images.lock and layers.lock (in that order) for the whole
//! check, so what it sees is what every writer committed: a writer holds images.lock from
//! storing an image's blobs to recording it, and a layer's work lock from committing the
//! layer to recording its image (such a layer is "in progress", not garbage).
//! Runs inside the store's user namespace, so files owned by subordinate ids can be read and
//! removed. Never removes a volume, nor an image whose parts are all present and intact.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Context, Result};
use crate::store::{ContainerIndex, ImageIndex, ImageRecord, LayerIndex, Store};
use crate::sys::lock::FileLock;

pub struct CheckOptions {
    pub repair: bool,
    /// Skip hashing layer contents (blobs, which are small, are still hashed).
    pub quick: bool,
}

/// One thing wrong: the object, what is wrong with it, and what it affects.
#[derive(Debug, Clone)]
pub struct Problem {
    pub object: String,
    pub issue: String,
    pub affects: String,
    fix: Fix,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Fix {
    /// Delete a file or directory tree (debris, a corrupt blob, a stale live file).
    Remove(PathBuf),
    /// Drop an image record (its layers and blobs go with it unless something else uses them).
    DropImage(String),
    /// Drop a layer record and its directory.
    DropLayer(String),
    /// Drop a container record, its directory and its live file.
    DropContainer(String),
    /// Move a corrupt index aside (`<file>.corrupt-<time>`) and rebuild what can be rebuilt.
    Index(PathBuf),
    /// Record an exit for a container whose monitor died (exit status unknown).
    MarkExited(String),
    /// Nothing hutch may do (e.g. a container process alive without its monitor).
    Manual(String),
}

pub struct Report {
    pub store: PathBuf,
    pub problems: Vec<Problem>,
    /// What `repair` did, one line each.
    pub repaired: Vec<String>,
    /// Problems left after a repair (re-checked).
    pub remaining: Vec<Problem>,
    pub counts: Counts,
}

#[derive(Default, Debug)]
pub struct Counts {
    pub images: usize,
    pub layers: usize,
    pub layers_hashed: usize,
    pub blobs: usize,
    pub containers: usize,
}

/// Check (and repair) the user's store.
pub fn check(opts: &CheckOptions) -> Result<Report> {
    let root = crate::paths::data_dir()?;
    // The runtime dir is found before entering the user namespace (where we are uid 0).
    let live_dir = crate::paths::live_dir();
    let Some(_) = Store::open_existing(&root) else {
        return Ok(Report {
            store: root,
            problems: vec![],
            repaired: vec![],
            remaining: vec![],
            counts: Counts::default(),
        });
    };
    crate::runtime::userns::enter()?;
    let store = Store::open_at(root.clone())?;
    let _c = store.lock_containers()?;
    let _i = store.lock_images()?;
    let _l = store.lock_layers()?;
    // Last, as a secret's writers take it alone (`secret create` writes the data, then the index).
    let _s = store.lock_secrets()?;
    let (problems, counts) = scan(&store, &live_dir, opts.quick)?;
    let mut report = Report {
        store: root,
        problems,
        repaired: vec![],
        remaining: vec![],
        counts,
    };
    if opts.repair && !report.problems.is_empty() {
        let held = [&_c, &_i, &_l];
        report.repaired = repair_indices(&store, &report.problems, held)?;
        // A rebuilt index changes what is referenced: decide the rest on a fresh scan.
        let problems = if report.repaired.is_empty() {
            report.problems.clone()
        } else {
            scan(&store, &live_dir, opts.quick)?.0
        };
        report.repaired.extend(repair(&store, &live_dir, &problems, held)?);
        report.remaining = scan(&store, &live_dir, opts.quick)?.0;
    }
    Ok(report)
}

fn p(object: impl Into<String>, issue: impl Into<String>, affects: impl Into<String>, fix: Fix) -> Problem {
    Problem {
        object: object.into(),
        issue: issue.into(),
        affects: affects.into(),
        fix,
    }
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

fn short(s: &str) -> &str {
    &s[..s.len().min(12)]
}

/// Read an index; a corrupt one is a problem (and an empty index stands in for it).
fn read_index<T: serde::de::DeserializeOwned + Default>(path: &Path, out: &mut Vec<Problem>, affects: &str) -> T {
    try_read_index(path, out, affects, Fix::Index(path.to_path_buf())).unwrap_or_default()
}

/// Read an index: a missing one is empty; one that cannot be read or does not parse is a
/// problem (`corrupt` is how to mend the latter) and gives `None`.
fn try_read_index<T: serde::de::DeserializeOwned + Default>(
    path: &Path,
    out: &mut Vec<Problem>,
    affects: &str,
    corrupt: Fix,
) -> Option<T> {
    match fs::read(path) {
        Ok(d) => match serde_json::from_slice(&d) {
            Ok(v) => Some(v),
            Err(e) => {
                out.push(p(
                    path.display().to_string(),
                    format!("index does not parse: {e}"),
                    affects,
                    corrupt,
                ));
                None
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(T::default()),
        Err(e) => {
            out.push(p(
                path.display().to_string(),
                format!("cannot be read: {e}"),
                affects,
                Fix::Manual("check the file's permissions".into()),
            ));
            None
        }
    }
}

/// `.NAME.PID-N.tmp` files `write_atomic` leaves when killed, in `dir`: debris when their
/// writer is gone (an index's writer holds its lock, which we hold too).
fn temp_files(dir: &Path, out: &mut Vec<Problem>) {
    temp_files_in(dir, false, out)
}

/// As `temp_files`; `locked`: the check holds the lock every writer in `dir` holds.
fn temp_files_in(dir: &Path, locked: bool, out: &mut Vec<Problem>) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let n = e.file_name().to_string_lossy().to_string();
        if n.starts_with('.') && n.ends_with(".tmp") {
            let pid: Option<i32> = n
                .trim_end_matches(".tmp")
                .rsplit_once('.')
                .and_then(|(_, t)| t.split('-').next())
                .and_then(|p| p.parse().ok());
            let alive = pid.is_some_and(|p| crate::sys::process::start_time(p).is_some());
            let locked_dir = locked
                || ["images", "layers", "containers"]
                    .iter()
                    .any(|d| dir.file_name().is_some_and(|f| f == *d));
            if !alive || locked_dir {
                out.push(p(
                    e.path().display().to_string(),
                    "half-written file left by an interrupted write",
                    "nothing (debris)",
                    Fix::Remove(e.path()),
                ));
            }
        }
    }
}

fn scan(store: &Store, live_dir: &Path, quick: bool) -> Result<(Vec<Problem>, Counts)> {
    let base = store.base().to_path_buf();
    let mut out = Vec::new();
    let mut counts = Counts::default();
    let images: ImageIndex = read_index(&base.join("images/images.json"), &mut out, "every image");
    let layers: LayerIndex = read_index(&base.join("layers/layers.json"), &mut out, "every layer");
    let mut containers: ContainerIndex =
        read_index(&base.join("containers/containers.json"), &mut out, "every container");
    // Records in their containers' directories; one torn by a crash during a create that never
    // returned is left out, so its directory shows as debris below.
    let listed: HashSet<String> = containers.containers.iter().map(|c| c.id.clone()).collect();
    containers
        .containers
        .extend(store.container_files().into_iter().filter(|c| !listed.contains(&c.id)));
    counts.images = images.images.len();
    counts.layers = layers.layers.len();
    counts.containers = containers.containers.len();

    // tmp/: entries whose lock is free are left by an interrupted command.
    let tmp = base.join("tmp");
    if let Ok(rd) = fs::read_dir(&tmp) {
        let entries: Vec<_> = rd.flatten().collect();
        let names: HashSet<String> = entries
            .iter()
            .map(|e| e.file_name().to_string_lossy().to_string())
            .collect();
        for e in &entries {
            let n = e.file_name().to_string_lossy().to_string();
            let (entry, lock) = match n.strip_suffix(".lock") {
                Some(b) => (b.to_string(), n.clone()),
                None if names.contains(&format!("{n}.lock")) => continue,
                None => (n.clone(), String::new()),
            };
            // Held: in use. Gone: its owner finished between our listing and now (a `--rm`
            // container's directory is deleted by a detached child while the next command runs).
            let _held = if lock.is_empty() {
                None
            } else {
                match crate::sys::lock::FileLock::try_existing(&tmp.join(&lock)) {
                    Ok(crate::sys::lock::Existing::Taken(l)) => Some(l),
                    Ok(crate::sys::lock::Existing::Busy | crate::sys::lock::Existing::Gone) => continue,
                    Err(_) => None,
                }
            };
            let path = tmp.join(&entry);
            if lock.is_empty() && !path.exists() {
                continue;
            }
            out.push(p(
                path.display().to_string(),
                "left in tmp/ by an interrupted command",
                "nothing (debris)",
                Fix::Remove(if lock.is_empty() { path } else { tmp.join(&lock) }),
            ));
        }
    }
    for d in ["images", "layers", "containers"] {
        temp_files(&base.join(d), &mut out);
    }

    // Blobs: named by their digest, content hashing to it.
    let mut blobs = HashSet::new();
    if let Ok(rd) = fs::read_dir(base.join("blobs/sha256")) {
        for e in rd.flatten() {
            let n = e.file_name().to_string_lossy().to_string();
            counts.blobs += 1;
            let ok = is_hex64(&n) && fs::read(e.path()).is_ok_and(|d| crate::digest::sha256_hex(&d) == n);
            if ok {
                blobs.insert(n);
            } else {
                out.push(p(
                    format!("blob {}", short(&n)),
                    "content does not match its digest",
                    "the images that use it",
                    Fix::Remove(e.path()),
                ));
            }
        }
    }

    // Layers: a record per directory, a directory per record, content matching the diff_id.
    let mut bad_layers: HashSet<String> = HashSet::new();
    for l in &layers.layers {
        let dir = store.layer_dir(&l.id);
        if !is_hex64(&l.id) {
            out.push(p(
                format!("layer record {:?}", l.id),
                "is not a layer id",
                "nothing",
                Fix::DropLayer(l.id.clone()),
            ));
            bad_layers.insert(l.id.clone());
            continue;
        }
        if !dir.join("diff").is_dir() {
            out.push(p(
                format!("layer {}", short(&l.id)),
                format!("its directory {} is missing", dir.join("diff").display()),
                "the images and containers that use it",
                Fix::DropLayer(l.id.clone()),
            ));
            bad_layers.insert(l.id.clone());
            continue;
        }
        if let Ok(rd) = fs::read_dir(&dir) {
            for e in rd.flatten() {
                let n = e.file_name().to_string_lossy().to_string();
                if (n.starts_with("keepid-") || n.starts_with("idmap-")) && !e.path().join("diff").is_dir() {
                    out.push(p(
                        e.path().display().to_string(),
                        "incomplete keep-id or --uidmap copy of the layer",
                        "nothing (debris; made again when needed)",
                        Fix::Remove(e.path()),
                    ));
                }
            }
        }
        if !quick {
            if let Some(split) = store.read_tar_split(&l.id) {
                counts.layers_hashed += 1;
                let got = crate::archive::split::Rebuilt::open(&split)
                    .and_then(|r| r.write_to(&dir.join("diff"), &mut std::io::sink()));
                match got {
                    Ok(d) if d == format!("sha256:{}", l.id) => {}
                    Ok(d) => {
                        out.push(p(
                            format!("layer {}", short(&l.id)),
                            format!("content changed: it now hashes to {}", short(&d[7..])),
                            "the images and containers that use it",
                            Fix::DropLayer(l.id.clone()),
                        ));
                        bad_layers.insert(l.id.clone());
                    }
                    Err(e) => {
                        out.push(p(
                            format!("layer {}", short(&l.id)),
                            format!("content cannot be verified: {e}"),
                            "the images and containers that use it",
                            Fix::DropLayer(l.id.clone()),
                        ));
                        bad_layers.insert(l.id.clone());
                    }
                }
            }
        }
    }
    if let Ok(rd) = fs::read_dir(base.join("layers")) {
        for e in rd.flatten() {
            let n = e.file_name().to_string_lossy().to_string();
            if is_hex64(&n) && e.path().is_dir() && layers.get(&n).is_none() {
                out.push(p(
                    format!("layer directory {}", short(&n)),
                    "has no record (left by an interrupted pull or removal)",
                    "nothing (debris)",
                    Fix::Remove(e.path()),
                ));
            }
        }
    }

    // Images: config and manifest blobs present, layers complete and matching the config.
    let mut bad_images = HashSet::new();
    for img in &images.images {
        let who = format!(
            "image {} ({})",
            img.names.first().map(String::as_str).unwrap_or("<none>"),
            short(&img.id)
        );
        let mut issues = Vec::new();
        if !is_hex64(&img.id) {
            issues.push("its id is not a sha256 digest".to_string());
        } else if !blobs.contains(&img.id) {
            issues.push(format!("its config blob {} is missing or corrupt", short(&img.id)));
        } else if let Ok(cfg) = store.read_blob(&format!("sha256:{}", img.id)) {
            let diff_ids: Vec<String> = serde_json::from_slice::<serde_json::Value>(&cfg)
                .ok()
                .and_then(|v| v.pointer("/rootfs/diff_ids").cloned())
                .and_then(|v| v.as_array().cloned())
                .unwrap_or_default()
                .iter()
                .filter_map(|d| d.as_str().map(|s| s.trim_start_matches("sha256:").to_string()))
                .collect();
            if diff_ids != img.layers {
                issues.push("its layer list does not match its config's rootfs.diff_ids".to_string());
            }
        }
        let md = img.manifest_digest.trim_start_matches("sha256:");
        if !blobs.contains(md) {
            issues.push(format!("its manifest blob {} is missing or corrupt", short(md)));
        }
        for l in &img.layers {
            if layers.get(l).is_none() {
                issues.push(format!("its layer {} is not in the store", short(l)));
            } else if bad_layers.contains(l) {
                issues.push(format!("its layer {} is damaged", short(l)));
            }
        }
        for issue in issues {
            out.push(p(
                who.clone(),
                issue,
                format!("{who} and its containers"),
                Fix::DropImage(img.id.clone()),
            ));
            bad_images.insert(img.id.clone());
        }
    }

    // Containers: image and layers present, directory complete; state files readable.
    let image_ids: HashSet<&str> = images.images.iter().map(|i| i.id.as_str()).collect();
    let mut ctr_ids = HashSet::new();
    for c in &containers.containers {
        ctr_ids.insert(c.id.clone());
        let who = format!("container {} ({})", c.name, short(&c.id));
        if store.is_orphan_build_step(c) {
            out.push(p(
                who.clone(),
                "a step container of a build that was interrupted",
                "nothing (debris; the next build removes it too)",
                Fix::DropContainer(c.id.clone()),
            ));
            continue;
        }
        let mut issues = Vec::new();
        if !image_ids.contains(c.image.as_str()) {
            issues.push(format!("its image {} is not in the store", short(&c.image)));
        }
        for l in &c.layers {
            if layers.get(l).is_none() || bad_layers.contains(l) {
                issues.push(format!("its layer {} is missing or damaged", short(l)));
            }
        }
        let dir = store.container_dir(&c.id);
        for sub in ["upper", "work", "userdata"] {
            if !dir.join(sub).is_dir() {
                issues.push(format!("{} is missing", dir.join(sub).display()));
            }
        }
        for issue in issues {
            out.push(p(who.clone(), issue, who.clone(), Fix::DropContainer(c.id.clone())));
        }
        let state = dir.join("state.json");
        if let Ok(d) = fs::read(&state) {
            if serde_json::from_slice::<crate::store::Outcome>(&d).is_err() {
                out.push(p(
                    state.display().to_string(),
                    "does not parse",
                    format!("{who}'s exit status"),
                    Fix::Remove(state.clone()),
                ));
            }
        }
        // Live state against the processes.
        let lf = live_dir.join(format!("{}.json", c.id));
        if let Ok(d) = fs::read(&lf) {
            match serde_json::from_slice::<crate::runtime::state::Live>(&d) {
                Err(_) => out.push(p(
                    lf.display().to_string(),
                    "does not parse",
                    who.clone(),
                    Fix::Remove(lf.clone()),
                )),
                Ok(live) => {
                    let mon = alive(live.monitor_pid, live.monitor_start);
                    let mut ctr = alive(live.pid, live.start_time);
                    // A container whose monitor has just died is being killed with it
                    // (PR_SET_PDEATHSIG): give it a moment to go.
                    let t = std::time::Instant::now();
                    while ctr && !mon && t.elapsed() < std::time::Duration::from_secs(2) {
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        ctr = alive(live.pid, live.start_time);
                    }
                    if ctr && !mon {
                        out.push(p(
                            who.clone(),
                            format!(
                                "its process {} runs without its monitor (output and exit status are not recorded)",
                                live.pid
                            ),
                            who.clone(),
                            Fix::Manual(format!("hutch stop {}", c.name)),
                        ));
                    } else if !ctr && !mon {
                        out.push(p(
                            who.clone(),
                            "its monitor was killed before recording the exit",
                            format!("{who}'s exit status (unknown)"),
                            Fix::MarkExited(c.id.clone()),
                        ));
                    }
                }
            }
        }
    }
    if let Ok(rd) = fs::read_dir(base.join("containers")) {
        for e in rd.flatten() {
            let n = e.file_name().to_string_lossy().to_string();
            if is_hex64(&n) && !ctr_ids.contains(&n) {
                out.push(p(
                    format!("container directory {}", short(&n)),
                    "has no record (left by an interrupted create or rm)",
                    "nothing (debris)",
                    Fix::Remove(e.path()),
                ));
            }
        }
    }
    if let Ok(rd) = fs::read_dir(live_dir) {
        for e in rd.flatten() {
            let n = e.file_name().to_string_lossy().to_string();
            if let Some(id) = n.strip_suffix(".json") {
                if is_hex64(id) && !ctr_ids.contains(id) {
                    out.push(p(
                        e.path().display().to_string(),
                        "live state of a container that does not exist",
                        "nothing (debris)",
                        Fix::Remove(e.path()),
                    ));
                }
            }
        }
        temp_files(live_dir, &mut out);
    }

    secrets(store, &mut out);

    // Unreferenced: layers no image or container uses (and nobody is storing), blobs no image
    // refers to. The build cache keeps its steps' configs and their layers (until a prune).
    let (cache_blobs, cache_layers) = store.build_cache_refs();
    let mut used: HashSet<&str> = images
        .images
        .iter()
        .flat_map(|i| i.layers.iter().map(String::as_str))
        .collect();
    used.extend(
        containers
            .containers
            .iter()
            .flat_map(|c| c.layers.iter().map(String::as_str)),
    );
    used.extend(cache_layers.iter().map(String::as_str));
    for l in &layers.layers {
        if !used.contains(l.id.as_str()) && !bad_layers.contains(&l.id) && !store.layer_busy(&l.id) {
            out.push(p(
                format!("layer {}", short(&l.id)),
                "no image or container uses it (left by an interrupted pull, load or removal)",
                "nothing (reclaimable space)",
                Fix::DropLayer(l.id.clone()),
            ));
        }
    }
    let referenced: HashSet<String> = images.referenced_blobs();
    let mut extra: HashSet<String> = HashSet::new();
    if let Ok(d) = fs::read(base.join("manifest-lists.json")) {
        // Manifest lists keep their index blobs: anything they mention counts as referenced.
        let s = String::from_utf8_lossy(&d);
        for part in s.split("sha256:").skip(1) {
            extra.insert(part.chars().take(64).collect());
        }
    }
    for b in &blobs {
        let kept = cache_blobs.contains(b) || manifest_of_cached(&base, b, &cache_blobs);
        if !referenced.contains(b) && !extra.contains(b) && !kept {
            out.push(p(
                format!("blob {}", short(b)),
                "no image refers to it (left by an interrupted pull or removal)",
                "nothing (reclaimable space)",
                Fix::Remove(base.join("blobs/sha256").join(b)),
            ));
        }
    }
    Ok((out, counts))
}

/// The secret index parses, each secret's data file is there, and no data file is left without
/// a secret (a `secret create` killed between writing its data and saving the index). Runs under
/// the secrets' lock. A secret is never removed: one without data is for the user to re-create,
/// and with an index that does not parse, the data files are not swept.
fn secrets(store: &Store, out: &mut Vec<Problem>) {
    let dir = store.secrets_dir();
    let index = dir.join("secrets.json");
    let fix = Fix::Manual(format!(
        "restore it from a backup, or move it aside and create the secrets again (their data is in {})",
        dir.join("data").display()
    ));
    let Some(idx) = try_read_index::<crate::store::secrets::SecretIndex>(&index, out, "every secret", fix) else {
        return;
    };
    temp_files_in(&dir, true, out);
    temp_files_in(&dir.join("data"), true, out);
    let ids: HashSet<&str> = idx.secrets.iter().map(|s| s.id.as_str()).collect();
    for s in &idx.secrets {
        if fs::symlink_metadata(store.secret_data(&s.id)).is_err() {
            out.push(p(
                format!("secret {}", s.name),
                "its data file is missing",
                format!("secret {} (containers made with it keep their copy)", s.name),
                Fix::Manual(format!("hutch secret create --replace {} FILE", s.name)),
            ));
        }
    }
    let Ok(rd) = fs::read_dir(dir.join("data")) else { return };
    for e in rd.flatten() {
        let n = e.file_name().to_string_lossy().to_string();
        if !n.starts_with('.') && !ids.contains(n.as_str()) {
            out.push(p(
                format!("secret data {n}"),
                "no secret has it (left by an interrupted secret create or rm)",
                "nothing (debris)",
                Fix::Remove(e.path()),
            ));
        }
    }
}

fn remove_path(store: &Store, path: &Path) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => store.discard_dir(path),
        Ok(_) => {
            fs::remove_file(path).ctx(|| format!("removing {}", path.display()))?;
            // A tmp/ lock file goes with its entry.
            if let Some(base) = path.to_str().and_then(|s| s.strip_suffix(".lock")) {
                let b = Path::new(base);
                if b.exists() {
                    remove_path(store, b)?;
                }
            }
            Ok(())
        }
        Err(_) => Ok(()),
    }
}

/// Corrupt indices: moved aside (kept for a post-mortem), rebuilt where possible.
fn repair_indices(store: &Store, problems: &[Problem], held: [&FileLock; 3]) -> Result<Vec<String>> {
    let [_, held_i, held_l] = held;
    let mut done = Vec::new();
    let mut seen = HashSet::new();
    for pr in problems {
        if let Fix::Index(path) = &pr.fix {
            if !seen.insert(pr.fix.clone()) {
                continue;
            }
            let aside = path.with_extension(format!("json.corrupt-{}", crate::output::now_secs()));
            fs::rename(path, &aside).ctx(|| format!("moving {} aside", path.display()))?;
            done.push(format!(
                "moved the corrupt {} aside to {}",
                path.display(),
                aside.display()
            ));
            if path.ends_with("layers/layers.json") {
                let n = rebuild_layers(store, held_l)?;
                done.push(format!("rebuilt {} from the {n} layer directories", path.display()));
            }
            if path.ends_with("images/images.json") {
                let n = rebuild_images(store, held_i)?;
                done.push(format!(
                    "rebuilt {} from the {n} complete images found in blobs/ (names come back from the containers that use them; others are <none>: tag them again)",
                    path.display()
                ));
            }
        }
    }
    Ok(done)
}

/// `held`: containers.lock, images.lock and layers.lock, taken by `check`.
fn repair(store: &Store, live_dir: &Path, problems: &[Problem], held: [&FileLock; 3]) -> Result<Vec<String>> {
    let [held_c, held_i, held_l] = held;
    let base = store.base().to_path_buf();
    let mut done = Vec::new();
    let mut seen = HashSet::new();
    let mut images: ImageIndex = store.load_images().unwrap_or_default();
    let mut layers: LayerIndex = store.load_layers().unwrap_or_default();
    let mut containers: ContainerIndex = store.load_containers().unwrap_or_default();
    let before_ids: Vec<String> = containers.containers.iter().map(|c| c.id.clone()).collect();
    let (mut ci, mut ii, mut li) = (false, false, false);
    let mut drop_layer_dirs = Vec::new();
    for pr in problems {
        if !seen.insert(pr.fix.clone()) {
            continue;
        }
        match &pr.fix {
            Fix::DropImage(id) => {
                if let Some(n) = images.images.iter().position(|i| &i.id == id) {
                    images.images.remove(n);
                    ii = true;
                    done.push(format!("removed {}: {}", pr.object, pr.issue));
                }
            }
            Fix::DropLayer(id) => {
                if let Some(n) = layers.layers.iter().position(|l| &l.id == id) {
                    layers.layers.remove(n);
                    li = true;
                    drop_layer_dirs.push(id.clone());
                    done.push(format!("removed {}: {}", pr.object, pr.issue));
                }
            }
            Fix::DropContainer(id) => {
                if let Some(n) = containers.containers.iter().position(|c| &c.id == id) {
                    containers.containers.remove(n);
                    ci = true;
                    done.push(format!("removed {}: {}", pr.object, pr.issue));
                }
            }
            _ => {}
        }
    }
    // Images that used a dropped layer, containers whose image or layers went: cascade.
    loop {
        let layer_ids: HashSet<&str> = layers.layers.iter().map(|l| l.id.as_str()).collect();
        let before = (images.images.len(), containers.containers.len());
        images.images.retain(|i| {
            let keep = i.layers.iter().all(|l| layer_ids.contains(l.as_str()));
            if !keep {
                done.push(format!("removed image {}: a layer of it was removed", short(&i.id)));
            }
            keep
        });
        let image_ids: HashSet<&str> = images.images.iter().map(|i| i.id.as_str()).collect();
        containers.containers.retain(|c| {
            let keep = image_ids.contains(c.image.as_str()) && c.layers.iter().all(|l| layer_ids.contains(l.as_str()));
            if !keep {
                done.push(format!(
                    "removed container {} ({}): its image or a layer of it was removed",
                    c.name,
                    short(&c.id)
                ));
            }
            keep
        });
        if (images.images.len(), containers.containers.len()) == before {
            break;
        }
        ii |= images.images.len() != before.0;
        ci |= containers.containers.len() != before.1;
    }
    // Records first (a crash after this leaves only debris the next check removes).
    if ci {
        store.save_containers(&containers, held_c)?;
    }
    if ii {
        store.save_images(&images, held_i)?;
    }
    if li {
        store.save_layers(&layers, held_l)?;
    }
    let ctr_ids: HashSet<&str> = containers.containers.iter().map(|c| c.id.as_str()).collect();
    // The directories and live files of every container removed above (asked for, or taken
    // with its image).
    for id in before_ids.iter().filter(|id| !ctr_ids.contains(id.as_str())) {
        let _ = fs::remove_file(live_dir.join(format!("{id}.json")));
        let d = store.container_dir(id);
        if d.exists() {
            remove_path(store, &d)?;
        }
    }
    for id in drop_layer_dirs {
        let d = store.layer_dir(&id);
        if d.exists() {
            remove_path(store, &d)?;
        }
    }
    for pr in problems {
        match &pr.fix {
            Fix::Remove(path) => {
                if fs::symlink_metadata(path).is_ok() {
                    remove_path(store, path)?;
                    done.push(format!("removed {}: {}", pr.object, pr.issue));
                }
            }
            Fix::MarkExited(id) if ctr_ids.contains(id.as_str()) => {
                let mut o = store.read_outcome(id);
                if o.finished_at == 0 {
                    o.finished_at = crate::runtime::state::now_nanos();
                }
                store.write_outcome(id, &o, true)?;
                let _ = fs::remove_file(live_dir.join(format!("{id}.json")));
                done.push(format!(
                    "marked {} exited (exit status unknown): {}",
                    pr.object, pr.issue
                ));
            }
            _ => {}
        }
    }
    // What the removals left unreferenced (layers of removed images, their blobs); not what
    // the build cache keeps, which `check` does not count as debris either.
    let (cache_blobs, cache_layers) = store.build_cache_refs();
    let used: HashSet<String> = images
        .images
        .iter()
        .flat_map(|i| i.layers.iter().cloned())
        .chain(containers.containers.iter().flat_map(|c| c.layers.iter().cloned()))
        .chain(cache_layers)
        .collect();
    let mut layers = store.load_layers()?;
    let gone: Vec<String> = layers
        .layers
        .iter()
        .filter(|l| !used.contains(&l.id) && !store.layer_busy(&l.id))
        .map(|l| l.id.clone())
        .collect();
    if !gone.is_empty() {
        layers.layers.retain(|l| !gone.contains(&l.id));
        store.save_layers(&layers, held_l)?;
        for id in &gone {
            remove_path(store, &store.layer_dir(id))?;
            done.push(format!(
                "removed layer {}: no image or container uses it any more",
                short(id)
            ));
        }
    }
    let referenced: HashSet<String> = images.referenced_blobs();
    if ii {
        if let Ok(rd) = fs::read_dir(base.join("blobs/sha256")) {
            for e in rd.flatten() {
                let n = e.file_name().to_string_lossy().to_string();
                let kept = cache_blobs.contains(&n) || manifest_of_cached(&base, &n, &cache_blobs);
                if !referenced.contains(&n) && !kept {
                    let _ = fs::remove_file(e.path());
                    done.push(format!("removed blob {}: no image refers to it any more", short(&n)));
                }
            }
        }
    }
    Ok(done)
}

/// layers.json from the layer directories: what a pull would have recorded, minus the
/// compressed digests (a push recomputes them).
fn rebuild_layers(store: &Store, held: &FileLock) -> Result<usize> {
    let mut idx = LayerIndex::default();
    let dir = store.base().join("layers");
    for e in fs::read_dir(&dir)
        .ctx(|| format!("reading {}", dir.display()))?
        .flatten()
    {
        let n = e.file_name().to_string_lossy().to_string();
        if is_hex64(&n) && e.path().join("diff").is_dir() {
            let size = du(&e.path().join("diff"));
            idx.layers.push(crate::store::LayerRecord {
                id: n,
                compressed: vec![],
                size,
                root_mode: None,
            });
        }
    }
    let n = idx.layers.len();
    store.save_layers(&idx, held)?;
    Ok(n)
}

fn du(p: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let Ok(m) = fs::symlink_metadata(p) else { return 0 };
    if m.is_dir() {
        fs::read_dir(p)
            .map(|rd| rd.flatten().map(|e| du(&e.path())).sum())
            .unwrap_or(0)
    } else {
        m.size()
    }
}

/// images.json from the manifests in blobs/: every manifest whose config and layers are all in
/// the store becomes an image again. Names are those the containers recorded for it.
fn rebuild_images(store: &Store, held: &FileLock) -> Result<usize> {
    let layers = store.load_layers().unwrap_or_default();
    let containers: ContainerIndex = store.load_containers().unwrap_or_default();
    let mut idx = ImageIndex::default();
    let dir = store.base().join("blobs/sha256");
    for e in fs::read_dir(&dir)
        .ctx(|| format!("reading {}", dir.display()))?
        .flatten()
    {
        let n = e.file_name().to_string_lossy().to_string();
        let Ok(data) = fs::read(e.path()) else { continue };
        if !is_hex64(&n) || crate::digest::sha256_hex(&data) != n {
            continue;
        }
        let Ok(m) = serde_json::from_slice::<serde_json::Value>(&data) else {
            continue;
        };
        let Some(cfg_digest) = m.pointer("/config/digest").and_then(|v| v.as_str()) else {
            continue;
        };
        let cfg_hex = cfg_digest.trim_start_matches("sha256:").to_string();
        let Ok(cfg) = store.read_blob(cfg_digest) else { continue };
        if !is_hex64(&cfg_hex)
            || crate::digest::sha256_hex(&cfg) != cfg_hex
            || idx.images.iter().any(|i| i.id == cfg_hex)
        {
            continue;
        }
        let Ok(c) = serde_json::from_slice::<serde_json::Value>(&cfg) else {
            continue;
        };
        let ids: Vec<String> = c
            .pointer("/rootfs/diff_ids")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|d| d.as_str().map(|s| s.trim_start_matches("sha256:").to_string()))
                    .collect()
            })
            .unwrap_or_default();
        if ids.is_empty() || !ids.iter().all(|l| layers.get(l).is_some()) {
            continue;
        }
        let mut names: Vec<String> = Vec::new();
        for ctr in containers.containers.iter().filter(|ctr| ctr.image == cfg_hex) {
            if ctr.image_name.contains(':') && !names.contains(&ctr.image_name) {
                names.push(ctr.image_name.clone());
            }
        }
        let s = |k: &str| c.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
        idx.images.push(ImageRecord {
            names_history: Vec::new(),
            id: cfg_hex,
            names,
            digests: vec![],
            manifest_digest: format!("sha256:{n}"),
            size: ids.iter().filter_map(|l| layers.get(l)).map(|l| l.size).sum(),
            layers: ids,
            created: c.get("created").and_then(|v| v.as_str()).map(String::from),
            architecture: s("architecture"),
            os: s("os"),
            pulled: crate::output::now_secs().max(0) as u64,
        });
    }
    let n = idx.images.len();
    store.save_images(&idx, held)?;
    Ok(n)
}

/// `pid` is the process that started at `start` and has not exited (a zombie has).
fn alive(pid: i32, start: u64) -> bool {
    if !crate::sys::process::is_same_process(pid, start) {
        return false;
    }
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat
        .rfind(')')
        .and_then(|i| stat[i + 1..].split_whitespace().next())
        .unwrap_or("");
    !matches!(state, "Z" | "X" | "x")
}

/// Whether blob `b` is the manifest of an intermediate image of a build (recorded for a step
/// container, then forgotten) whose config the build cache keeps.
fn manifest_of_cached(base: &Path, b: &str, cache_blobs: &HashSet<String>) -> bool {
    let p = base.join("blobs/sha256").join(b);
    if cache_blobs.is_empty() || fs::metadata(&p).map_or(true, |m| m.len() > 1 << 20) {
        return false;
    }
    crate::store::manifest_config_hex(&p).is_some_and(|d| cache_blobs.contains(&d))
}
