//! The volume engine: named volumes (`hutch volume …`) and the volumes containers mount. Each
//! verb takes plain options and returns what happened; output stays in commands. The store
//! (store::volumes) owns the records; this module decides what they mean: which container
//! uses a volume, when one may go, what an export contains.
//!
//! A volume is `volumes/<name>/_data` plus its record. It is made in tmp/ and renamed into
//! place before its record is written (under volumes.lock), so a crash never lists a half one;
//! it is renamed into tmp/ after its record is gone before its files are deleted.

use std::io::{Read, Write};

use serde_json::{json, Value};

use crate::error::{Class, Context, Result};
use crate::spec::MountKind;
use crate::store::containers::{ContainerIndex, ContainerRecord};
use crate::store::{Store, VolumeIndex, VolumeRecord};

/// `volume create`'s options.
#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    pub name: Option<String>,
    /// KEY=VALUE (or KEY).
    pub labels: Vec<String>,
    /// KEY=VALUE driver options.
    pub opts: Vec<String>,
    pub driver: Option<String>,
    /// An existing volume of that name is no error (its record is returned).
    pub ignore: bool,
}

/// A new record from `o` (validated), not yet on disk.
pub fn new_record(o: &CreateOptions) -> Result<VolumeRecord> {
    let name = match &o.name {
        Some(n) => {
            crate::spec::validate_volume_name(n).map_err(|e| crate::err!("volume create: {e}"))?;
            n.clone()
        }
        None => crate::digest::random_hex(32),
    };
    match o.driver.as_deref() {
        None | Some("local") => {}
        Some(d) => crate::bail!("volume create --driver {d}: unknown driver (hutch has only \"local\")"),
    }
    let mut rec = VolumeRecord {
        name,
        driver: "local".into(),
        created: now_nanos(),
        needs_copy_up: true,
        ..Default::default()
    };
    for l in &o.labels {
        let (k, v) = l.split_once('=').unwrap_or((l, ""));
        if k.is_empty() {
            crate::bail!("volume create --label {l}: empty key");
        }
        rec.labels.insert(k.to_string(), v.to_string());
    }
    // type=bind|tmpfs first: what the other options mean depends on it.
    let ty = o
        .opts
        .iter()
        .rev()
        .find_map(|opt| opt.strip_prefix("type="))
        .unwrap_or("");
    match ty {
        "" => {}
        "bind" | "tmpfs" => {
            rec.options.insert("type".into(), ty.into());
        }
        _ => crate::bail!(
            "volume create --opt type={ty}: volumes that mount a file system need root; rootless, hutch's are directories, bind (with device=DIR) or tmpfs"
        ),
    }
    for opt in &o.opts {
        let (k, v) = opt.split_once('=').unwrap_or((opt, ""));
        match k {
            "type" => continue,
            "device" if ty == "bind" => {
                // Podman's words.
                let meta = std::fs::metadata(v).map_err(|e| {
                    let why = nix::errno::Errno::from_raw(e.raw_os_error().unwrap_or(0)).desc().to_lowercase();
                    crate::err!("invalid volume option device for driver 'local': stat {v}: {why}")
                })?;
                if !meta.is_dir() {
                    crate::bail!("invalid volume option device for driver 'local': {v} is not a directory");
                }
                let abs: std::path::PathBuf = std::path::absolute(v)
                    .ctx(|| format!("volume create --opt {opt}"))?
                    .components()
                    .collect();
                rec.options.insert("device".into(), abs.display().to_string());
                continue;
            }
            // device=tmpfs (Podman's spelling) names no file system to mount.
            "device" if ty == "tmpfs" => {}
            "o" if ty == "bind" => {
                for part in v.split(',').filter(|p| !p.is_empty()) {
                    if !["bind", "rbind"].contains(&part) {
                        crate::bail!("volume create --opt {opt}: mount option {part} is not supported on a bind volume (use o=bind)");
                    }
                }
            }
            "o" if ty == "tmpfs" => {
                let t = crate::spec::tmpfs_options(v).map_err(|e| crate::err!("volume create --opt {opt}: {e}"))?;
                if t.read_only || !t.noexec || !t.nosuid || !t.nodev || !t.copy_up {
                    crate::bail!("volume create --opt {opt}: only tmpfs's own options (size=, mode=, uid=, gid=, nr_inodes=) are supported");
                }
            }
            "o" => {
                for part in v.split(',').filter(|p| !p.is_empty()) {
                    let id = |s: &str| {
                        s.parse::<u32>()
                            .map_err(|_| crate::err!("volume create --opt {opt}: {part}: not a numeric id"))
                    };
                    match part.split_once('=') {
                        Some(("uid", n)) => rec.uid = Some(id(n)?),
                        Some(("gid", n)) => rec.gid = Some(id(n)?),
                        _ => crate::bail!(
                            "volume create --opt {opt}: mount option {part} is not supported rootless (use uid=N,gid=N)"
                        ),
                    }
                }
            }
            "nocopy" if v.is_empty() || v == "true" => rec.needs_copy_up = false,
            "copy" if v.is_empty() || v == "true" => rec.needs_copy_up = true,
            "device" => crate::bail!("volume create --opt {opt}: device= needs type=bind (a directory) or type=tmpfs"),
            "size" | "inodes" => crate::bail!(
                "volume create --opt {opt}: volumes that mount a file system need root; hutch's are directories"
            ),
            _ => crate::bail!("volume create --opt {opt}: unknown option {k} (use o=uid=N,gid=N, nocopy, or type=bind with device=DIR, or type=tmpfs)"),
        }
        rec.options.insert(k.to_string(), v.to_string());
    }
    if ty == "bind" && rec.bind_device().is_none() {
        crate::bail!(
            "volume create --opt type=bind: device=DIR is needed (the directory that holds the volume's files)"
        );
    }
    Ok(rec)
}

/// Where a volume's files are: its device for a bind volume, else `volumes/<name>/_data`.
pub fn data_path(store: &Store, name: &str) -> std::path::PathBuf {
    store
        .load_volumes()
        .ok()
        .and_then(|idx| {
            idx.find(name)
                .and_then(|v| v.bind_device().map(std::path::PathBuf::from))
        })
        .unwrap_or_else(|| store.volume_data(name))
}

/// Whether the directory has no entries (an unreadable one counts as not empty).
fn is_empty_dir(p: &std::path::Path) -> bool {
    std::fs::read_dir(p).is_ok_and(|mut d| d.next().is_none())
}

fn now_nanos() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or_default()
}

/// `volume create`: the new (or, with `ignore`, the existing) volume.
pub fn create(store: &Store, o: &CreateOptions) -> Result<VolumeRecord> {
    let rec = new_record(o)?;
    let lock = store.lock_volumes()?;
    let mut idx = store.load_volumes()?;
    if let Some(old) = idx.find(&rec.name) {
        if o.ignore {
            return Ok(old.clone());
        }
        crate::bail!("volume with name {} already exists: volume already exists", rec.name);
    }
    materialize(store, &rec)?;
    idx.volumes.push(rec.clone());
    store.save_volumes(&idx, &lock)?;
    Ok(rec)
}

/// Make `volumes/<name>/_data` (in tmp/, then renamed into place). A directory left there
/// without a record (a crash before the record was written, or an older hutch's volume) is
/// taken over as it is. The caller holds volumes.lock.
fn materialize(store: &Store, rec: &VolumeRecord) -> Result<()> {
    let dir = store.volume_dir(&rec.name);
    if store.volume_data(&rec.name).is_dir() {
        return Ok(());
    }
    let tmp = store.temp("volume")?;
    let data = tmp.path.join("_data");
    std::fs::create_dir_all(&data).ctx(|| format!("creating {}", data.display()))?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755))
            .ctx(|| format!("setting the mode of {}", data.display()))?;
    }
    if rec.uid.is_some() || rec.gid.is_some() {
        let (uid, gid) = (rec.uid, rec.gid);
        let d = data.clone();
        crate::runtime::userns::in_store_namespace(&format!("volume {}: setting its owner", rec.name), move || {
            std::os::unix::fs::lchown(&d, uid, gid).ctx(|| {
                format!(
                    "giving {} to {}:{} (ids the user namespace maps?)",
                    d.display(),
                    uid.map(|u| u.to_string()).unwrap_or_default(),
                    gid.map(|g| g.to_string()).unwrap_or_default()
                )
            })
        })?;
    }
    std::fs::create_dir_all(store.volumes_dir()).ctx(|| "creating the volumes directory")?;
    if dir.exists() {
        // An unrecorded directory without _data: debris.
        store.discard_dir(&dir)?;
    }
    std::fs::rename(&tmp.path, &dir).ctx(|| format!("creating {}", dir.display()))?;
    crate::fault::point("after:create-volume-dir");
    crate::sys::fs::sync_dir(&store.volumes_dir()).ctx(|| "syncing the volumes directory")?;
    Ok(())
}

/// What a container asks of a volume at create: `-v NAME:/dst` (created when missing, as
/// Podman does) or `-v /dst` (a new anonymous volume). Returns the names it created, to undo
/// them when the container cannot be created after all. Call with containers.lock held.
pub fn ensure_for_container(store: &Store, names: &[(String, bool)]) -> Result<Vec<String>> {
    if names.is_empty() {
        return Ok(vec![]);
    }
    let lock = store.lock_volumes()?;
    let mut idx = store.load_volumes()?;
    let mut created = Vec::new();
    for (name, anonymous) in names {
        if idx.find(name).is_some() {
            continue;
        }
        let rec = VolumeRecord {
            name: name.clone(),
            driver: "local".into(),
            created: now_nanos(),
            anonymous: *anonymous,
            needs_copy_up: true,
            ..Default::default()
        };
        materialize(store, &rec)?;
        idx.volumes.push(rec);
        created.push(name.clone());
    }
    if !created.is_empty() {
        store.save_volumes(&idx, &lock)?;
    }
    Ok(created)
}

/// The containers whose mounts use volume `name`.
pub fn users<'a>(containers: &'a ContainerIndex, name: &str) -> Vec<&'a ContainerRecord> {
    containers
        .containers
        .iter()
        .filter(|c| {
            c.spec
                .mounts
                .iter()
                .any(|m| m.kind == MountKind::Volume && m.source == name)
        })
        .collect()
}

/// What a start does to its named volumes first (`take_copy_up`).
#[derive(Debug, Default)]
pub struct FirstUse {
    /// Volumes to fill with the image's content at the mount point (NeedsCopyUp).
    pub copy: Vec<String>,
    /// Volumes mounted for the first time (NeedsChown): their top directory takes the
    /// container user's ownership (or the image directory's owner and mode), as Podman's.
    pub chown: Vec<String>,
}

/// Which of `rec`'s volumes need the image's content copied in at this start (empty ones
/// whose NeedsCopyUp is set, unless the mount says nocopy), and which are mounted for the
/// first time. Records both, as Podman does.
pub fn take_copy_up(store: &Store, rec: &ContainerRecord) -> Result<FirstUse> {
    let wanted: Vec<&str> = rec
        .spec
        .mounts
        .iter()
        .filter(|m| m.kind == MountKind::Volume && !m.source.is_empty())
        .map(|m| m.source.as_str())
        .collect();
    if wanted.is_empty() {
        return Ok(FirstUse::default());
    }
    let lock = store.lock_volumes()?;
    let mut idx = store.load_volumes()?;
    let mut out = FirstUse::default();
    let mut changed = false;
    for v in idx.volumes.iter_mut() {
        let Some(m) = rec
            .spec
            .mounts
            .iter()
            .find(|m| m.kind == MountKind::Volume && m.source == v.name)
        else {
            continue;
        };
        if !v.mounted {
            v.mounted = true;
            changed = true;
            // Not a bind volume's directory: that is the user's own, left as it is.
            if v.bind_device().is_none() && v.tmpfs_data().is_none() {
                out.chown.push(v.name.clone());
            }
        }
        if !v.needs_copy_up {
            continue;
        }
        // As Podman's: the image's content is copied into an empty volume (the flag stays
        // until something was copied: an empty image directory leaves it set); a volume
        // that has files is never copied into.
        let data = v
            .bind_device()
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| store.volume_data(&v.name));
        if m.nocopy || !is_empty_dir(&data) {
            v.needs_copy_up = false;
            changed = true;
        } else {
            out.copy.push(v.name.clone());
        }
    }
    if changed {
        store.save_volumes(&idx, &lock)?;
    }
    Ok(out)
}

/// Delete a volume whose record is already gone: its directory goes to tmp/ at once (a
/// rename), then its files, from inside the store's user namespace when the container left
/// files of other ids (what fails stays in tmp/ for the next sweep).
fn delete_dir(store: &Store, name: &str) -> Result<()> {
    let dir = store.volume_dir(name);
    if !dir.exists() {
        return Ok(());
    }
    let trash = store.temp("trash")?;
    std::fs::rename(&dir, &trash.path).ctx(|| format!("removing {}", dir.display()))?;
    crate::fault::point("after:discard-volume-dir");
    if std::fs::remove_dir_all(&trash.path).is_err() {
        crate::store::make_writable(&trash.path);
        if std::fs::remove_dir_all(&trash.path).is_err() {
            let p = trash.path.clone();
            let _ = crate::runtime::userns::in_store_namespace("removing a volume's files", move || {
                crate::store::make_writable(&p);
                std::fs::remove_dir_all(&p).ctx(|| format!("removing {}", p.display()))
            });
        }
    }
    drop(trash);
    Ok(())
}

/// `volume rm`: remove volume `name`. One used by a container is refused (class InUse)
/// unless `force`, which removes those containers first (stopping running ones), as Podman.
pub fn remove(store: &Store, name: &str, force: bool) -> Result<()> {
    remove_within(store, name, force, None)
}

/// `remove`, running users given `grace` seconds (`volume rm -f -t S`) before SIGKILL.
pub fn remove_within(store: &Store, name: &str, force: bool, grace: Option<u32>) -> Result<()> {
    if force {
        let idx = store.load_containers()?;
        for c in users(&idx, name) {
            match grace {
                Some(_) => crate::container::ensure_stopped_within(store, c, true, grace)?,
                None => crate::container::ensure_stopped(store, c, true)?,
            }
            crate::container::remove(store, c, false)?;
        }
    }
    let clock = store.lock_containers()?;
    let containers = store.load_containers()?;
    let lock = store.lock_volumes()?;
    let mut idx = store.load_volumes()?;
    let Some(n) = idx.position(name) else {
        return Err(crate::err!("no volume with name \"{name}\" found: no such volume").classed(Class::NoSuchObject));
    };
    let using = users(&containers, name);
    if !using.is_empty() {
        return Err(crate::err!(
            "volume {name} is being used by the following container(s): {}: volume is being used",
            using.iter().map(|c| c.id.as_str()).collect::<Vec<_>>().join(", ")
        )
        .classed(Class::InUse));
    }
    idx.volumes.remove(n);
    store.save_volumes(&idx, &lock)?;
    drop((lock, clock));
    delete_dir(store, name)
}

/// After container `rec` was removed (`rm -v`): its anonymous volumes that no other container
/// uses go too.
pub fn remove_anonymous_of(store: &Store, rec: &ContainerRecord) -> Result<()> {
    let names: Vec<&str> = rec
        .spec
        .mounts
        .iter()
        .filter(|m| m.kind == MountKind::Volume && !m.source.is_empty())
        .map(|m| m.source.as_str())
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    let clock = store.lock_containers()?;
    let containers = store.load_containers()?;
    let lock = store.lock_volumes()?;
    let mut idx = store.load_volumes()?;
    let gone: Vec<String> = idx
        .volumes
        .iter()
        .filter(|v| v.anonymous && names.contains(&v.name.as_str()) && users(&containers, &v.name).is_empty())
        .map(|v| v.name.clone())
        .collect();
    if gone.is_empty() {
        return Ok(());
    }
    idx.volumes.retain(|v| !gone.contains(&v.name));
    store.save_volumes(&idx, &lock)?;
    drop((lock, clock));
    for n in &gone {
        delete_dir(store, n)?;
    }
    Ok(())
}

/// A `--filter` of `volume ls` / `volume prune`.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// The name contains this (Podman matches a regular expression; plain names behave alike).
    Name(String),
    /// KEY, or KEY=VALUE.
    Label(String, Option<String>),
    /// label!=KEY[=VALUE] (prune).
    NotLabel(String, Option<String>),
    Dangling(bool),
    Driver(String),
    /// Created before this many seconds since the epoch.
    Until(i64),
}

impl Filter {
    pub fn parse(s: &str) -> Result<Filter> {
        let kv = |v: &str| match v.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (v.to_string(), None),
        };
        if let Some(v) = s.strip_prefix("label!=") {
            let (k, v) = kv(v);
            return Ok(Filter::NotLabel(k, v));
        }
        let Some((k, v)) = s.split_once('=') else {
            crate::bail!("--filter {s}: expected KEY=VALUE (name, label, dangling, driver, until)");
        };
        Ok(match k {
            "name" => Filter::Name(v.to_string()),
            "label" => {
                let (k, v) = kv(v);
                Filter::Label(k, v)
            }
            "dangling" => match v {
                "true" | "1" => Filter::Dangling(true),
                "false" | "0" => Filter::Dangling(false),
                _ => crate::bail!("--filter {s}: dangling takes true or false"),
            },
            "driver" => Filter::Driver(v.to_string()),
            "until" => Filter::Until(parse_until(v).ok_or_else(|| {
                crate::err!(
                    "--filter {s}: until takes a time (RFC 3339, seconds since the epoch) or a duration (10m, 2h)"
                )
            })?),
            _ => crate::bail!("--filter {s}: unknown filter {k} (use name, label, dangling, driver or until)"),
        })
    }

    fn matches(&self, v: &VolumeRecord, containers: &ContainerIndex) -> bool {
        let label = |k: &str, want: &Option<String>| match (v.labels.get(k), want) {
            (Some(_), None) => true,
            (Some(have), Some(w)) => have == w,
            (None, _) => false,
        };
        match self {
            // Podman's: a regular expression searched in the name.
            Filter::Name(n) => crate::spec::filter::name_matches(&v.name, n),
            Filter::Label(k, w) => label(k, w),
            Filter::NotLabel(k, w) => !label(k, w),
            Filter::Dangling(d) => users(containers, &v.name).is_empty() == *d,
            Filter::Driver(d) => &v.driver == d,
            Filter::Until(t) => (v.created / 1_000_000_000) as i64 <= *t,
        }
    }
}

fn parse_until(v: &str) -> Option<i64> {
    if let Ok(n) = v.parse::<i64>() {
        return Some(n);
    }
    if let Some(t) = crate::output::parse_rfc3339(v) {
        return Some(t);
    }
    let (num, unit) = v.split_at(v.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = num.parse().ok()?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return None,
    };
    Some(crate::output::now_secs() - secs)
}

/// The volumes matching every filter (filters of one key are alternatives, as Podman's),
/// oldest first.
pub fn list(store: &Store, filters: &[Filter]) -> Result<Vec<VolumeRecord>> {
    let idx = store.load_volumes()?;
    let containers = store.load_containers()?;
    let key = |f: &Filter| match f {
        Filter::Name(_) => 0,
        Filter::Label(..) => 1,
        Filter::NotLabel(..) => 2,
        Filter::Dangling(_) => 3,
        Filter::Driver(_) => 4,
        Filter::Until(_) => 5,
    };
    let mut out: Vec<VolumeRecord> = idx
        .volumes
        .into_iter()
        .filter(|v| {
            (0..6).all(|k| {
                let fs: Vec<&Filter> = filters.iter().filter(|f| key(f) == k).collect();
                // label filters must all hold (Podman ANDs labels); the others are alternatives.
                if k == 1 || k == 2 {
                    fs.iter().all(|f| f.matches(v, &containers))
                } else {
                    fs.is_empty() || fs.iter().any(|f| f.matches(v, &containers))
                }
            })
        })
        .collect();
    out.sort_by_key(|v| v.created);
    Ok(out)
}

/// `volume prune`: remove the volumes no container uses that match `filters`; their names.
pub fn prune(store: &Store, filters: &[Filter]) -> Result<Vec<String>> {
    let mut f = filters.to_vec();
    f.push(Filter::Dangling(true));
    let mut removed = Vec::new();
    for v in list(store, &f)? {
        match remove(store, &v.name, false) {
            Ok(()) => removed.push(v.name),
            // Taken by a container meanwhile, or removed by someone else: not ours to prune.
            Err(e) if matches!(e.class, Class::InUse | Class::NoSuchObject) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(removed)
}

/// Podman's `volume inspect` JSON for one volume.
pub fn inspect_json(store: &Store, v: &VolumeRecord, containers: &ContainerIndex) -> Value {
    let mut j = json!({
        "Name": v.name,
        "Driver": v.driver,
        "Mountpoint": v.bind_device().map(String::from).unwrap_or_else(|| store.volume_data(&v.name).display().to_string()),
        "CreatedAt": crate::output::format_nanos(v.created),
        "Labels": v.labels,
        "Scope": "local",
        "Options": v.options,
        "MountCount": 0,
        // Until the image's content was copied in (an empty volume keeps waiting for it).
        "NeedsCopyUp": v.needs_copy_up
            && v.tmpfs_data().is_none()
            && is_empty_dir(&v.bind_device().map(std::path::PathBuf::from).unwrap_or_else(|| store.volume_data(&v.name))),
        // Until a container first mounted it.
        "NeedsChown": v.needs_copy_up && !v.mounted,
        "Anonymous": v.anonymous,
        "Containers": users(containers, &v.name).iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
    });
    if let Some(u) = v.uid {
        j["UID"] = json!(u);
    }
    if let Some(g) = v.gid {
        j["GID"] = json!(g);
    }
    j
}

/// Look a volume up by exact name (NoSuchObject when missing).
pub fn find(store: &Store, name: &str) -> Result<VolumeRecord> {
    let idx: VolumeIndex = store.load_volumes()?;
    idx.find(name)
        .cloned()
        .ok_or_else(|| crate::err!("no volume with name \"{name}\" found: no such volume").classed(Class::NoSuchObject))
}

/// `volume export`: the volume's content as a tar, owners as containers see them (read from
/// inside the store's user namespace, which this process enters), to `out`.
pub fn export(name: &str, out: &mut dyn Write) -> Result<()> {
    crate::runtime::userns::enter()?;
    let store = Store::open()?;
    find(&store, name)?;
    let data = data_path(&store, name);
    let mut tar = tar::Builder::new(out);
    tar.mode(tar::HeaderMode::Complete);
    tar.follow_symlinks(false);
    tar.append_dir_all(".", &data)
        .map_err(|e| crate::err!("volume export {name}: {e}"))?;
    tar.finish()
        .map_err(|e| crate::err!("volume export {name}: writing the tar: {e}"))?;
    Ok(())
}

/// `volume import`: unpack a tar (plain or compressed) into the volume, over what it holds,
/// owners kept (within the store's user namespace, which this process enters).
pub fn import(name: &str, input: Box<dyn Read>) -> Result<()> {
    let mapping = crate::runtime::userns::enter()?;
    let store = Store::open()?;
    find(&store, name)?;
    let own = crate::archive::Ownership {
        keep: mapping.keeps_ownership(),
        uid_span: mapping.uid_span(),
        gid_span: mapping.gid_span(),
    };
    // The tar is read to its end once before anything is unpacked, so a truncated or corrupt
    // one changes nothing in the volume.
    let mut input = input;
    let tmp = store.temp("volume-import")?;
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&tmp.path)
        .ctx(|| format!("creating {}", tmp.path.display()))?;
    std::io::copy(&mut input, &mut f).map_err(|e| crate::err!("volume import {name}: reading the tar: {e}"))?;
    let reopen = || std::fs::File::open(&tmp.path).ctx(|| format!("reading {}", tmp.path.display()));
    {
        let r = crate::archive::decompress(reopen()?).map_err(|e| crate::err!("volume import {name}: {e}"))?;
        let mut ar = tar::Archive::new(r);
        let mut n = 0;
        for e in ar
            .entries()
            .map_err(|e| crate::err!("volume import {name}: not a tar: {e}"))?
        {
            let mut e = e.map_err(|e| crate::err!("volume import {name}: not a valid tar: {e}"))?;
            std::io::copy(&mut e, &mut std::io::sink())
                .map_err(|e| crate::err!("volume import {name}: the tar is truncated: {e}"))?;
            n += 1;
        }
        if n == 0 {
            crate::bail!("volume import {name}: the input is not a tar (no entries)");
        }
    }
    crate::archive::extract_layer(reopen()?, &data_path(&store, name), own)
        .map_err(|e| crate::err!("volume import {name}: {e}"))?;
    Ok(())
}

/// Undo `ensure_for_container` for a container that could not be created: the volumes it
/// made go again (if no container took them meanwhile).
pub fn discard_new(store: &Store, names: &[String]) -> Result<()> {
    let lock = store.lock_volumes()?;
    let mut idx = store.load_volumes()?;
    idx.volumes.retain(|v| !names.contains(&v.name));
    store.save_volumes(&idx, &lock)?;
    drop(lock);
    for n in names {
        delete_dir(store, n)?;
    }
    Ok(())
}
