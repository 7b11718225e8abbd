//! `export`: a container's file system as one tar, as the container sees it, without running
//! it: the image's layers and the container's upper directory merged the way overlayfs merges
//! them (the topmost entry of a name wins, whiteouts hide lower ones, opaque directories hide
//! everything below them). Read inside the store's user namespace, where file owners are the
//! ids the container sees (keep-id containers' upper files are mapped back).

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::archive::OPAQUE_XATTR;
use crate::error::{Context, Result};
use crate::runtime::userns::Mapping;
use crate::spec::IdMapEntry;
use crate::store::Store;

/// One layer of the view, top first.
struct Layer {
    root: PathBuf,
    /// Maps the owner ids stored in this layer to the container's.
    keep_id_owner: Option<u32>,
    /// --uidmap/--gidmap: the container's maps (store ids -> container ids), for its upper dir.
    id_map: Option<(Vec<IdMapEntry>, Vec<IdMapEntry>)>,
}

/// The container id of store id `s` under --uidmap/--gidmap entries; ids the map leaves out
/// are the overflow id (65534, nobody), as the container sees them.
fn from_store_id(entries: &[IdMapEntry], s: u32) -> u32 {
    entries
        .iter()
        .find(|e| s >= e.host && s - e.host < e.size)
        .map_or(65534, |e| e.container + (s - e.host))
}

/// A --uidmap/--gidmap container's maps, for its upper dir's owners (None when fuse-overlayfs
/// shifted them: its upper dir holds the image's ids, as a default container's).
fn id_map_of(rec: &crate::store::containers::ContainerRecord) -> Option<(Vec<IdMapEntry>, Vec<IdMapEntry>)> {
    rec.spec
        .id_map_copy()
        .then(|| (rec.spec.uidmap.clone(), rec.spec.gidmap.clone()))
}

fn is_whiteout(md: &fs::Metadata) -> bool {
    md.file_type().is_char_device() && md.rdev() == 0
}

fn is_opaque(dir: &Path) -> bool {
    crate::sys::fs::get_xattr(dir, OPAQUE_XATTR)
        .map(|v| v == b"y")
        .unwrap_or(false)
        || dir.join(".wh..wh..opq").exists()
}

/// What is at `rel` in one layer.
enum At {
    Nothing,
    Dir {
        opaque: bool,
    },
    /// A file, a whiteout or anything else that hides lower layers.
    Other,
}

fn at(layer: &Path, rel: &Path) -> At {
    let p = layer.join(rel);
    match fs::symlink_metadata(&p) {
        Ok(m) if m.is_dir() => At::Dir { opaque: is_opaque(&p) },
        Ok(_) => At::Other,
        Err(_) => {
            let name = rel.file_name().map(|n| n.as_bytes().to_vec()).unwrap_or_default();
            let mut wh = b".wh.".to_vec();
            wh.extend_from_slice(&name);
            let whp = layer
                .join(rel.parent().unwrap_or(Path::new("")))
                .join(std::ffi::OsStr::from_bytes(&wh));
            if fs::symlink_metadata(whp).is_ok() {
                At::Other
            } else {
                At::Nothing
            }
        }
    }
}

struct Writer<'a> {
    tar: tar::Builder<&'a mut dyn Write>,
    links: HashMap<(u64, u64), PathBuf>,
    /// Paths of the upper directory left out (the runtime's empty mount points, for commit).
    skip: Vec<PathBuf>,
}

fn to_container_id(id: u32, keep_id_owner: Option<u32>) -> u32 {
    // Inverse of runtime::userns::keep_id_store_id.
    match keep_id_owner {
        None => id,
        Some(own) if id == 0 => own,
        Some(own) if id <= own => id - 1,
        Some(_) => id,
    }
}

impl Writer<'_> {
    fn werr(rel: &Path, e: std::io::Error) -> crate::error::Error {
        crate::err!("exporting {}: {e}", rel.display())
    }

    fn entry(&mut self, layer: &Layer, rel: &Path, md: &fs::Metadata) -> Result<()> {
        let path = layer.root.join(rel);
        let mut h = tar::Header::new_gnu();
        h.set_mode(md.mode() & 0o7777);
        let (uid, gid) = match &layer.id_map {
            Some((u, g)) => (from_store_id(u, md.uid()), from_store_id(g, md.gid())),
            None => (
                to_container_id(md.uid(), layer.keep_id_owner),
                to_container_id(md.gid(), layer.keep_id_owner),
            ),
        };
        h.set_uid(uid as u64);
        h.set_gid(gid as u64);
        h.set_mtime(md.mtime().max(0) as u64);
        h.set_size(0);
        let ft = md.file_type();
        let t = &mut self.tar;
        if ft.is_dir() {
            h.set_entry_type(tar::EntryType::Directory);
            let mut name = rel.as_os_str().to_os_string();
            name.push("/");
            t.append_data(&mut h, Path::new(&name), std::io::empty())
                .map_err(|e| Self::werr(rel, e))
        } else if ft.is_symlink() {
            h.set_entry_type(tar::EntryType::Symlink);
            let target = fs::read_link(&path).ctx(|| format!("reading link {}", rel.display()))?;
            t.append_link(&mut h, rel, &target).map_err(|e| Self::werr(rel, e))
        } else if ft.is_file() {
            if md.nlink() > 1 {
                if let Some(first) = self.links.get(&(md.dev(), md.ino())) {
                    h.set_entry_type(tar::EntryType::Link);
                    let first = first.clone();
                    return t.append_link(&mut h, rel, &first).map_err(|e| Self::werr(rel, e));
                }
                self.links.insert((md.dev(), md.ino()), rel.to_path_buf());
            }
            h.set_entry_type(tar::EntryType::Regular);
            let f = fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&path)
                .ctx(|| format!("reading {}", rel.display()))?;
            let size = f.metadata().ctx(|| format!("reading {}", rel.display()))?.len();
            h.set_size(size);
            // A file growing while it is read (a running container) is cut at its size here.
            t.append_data(&mut h, rel, std::io::Read::take(f, size))
                .map_err(|e| Self::werr(rel, e))
        } else if ft.is_fifo() || ft.is_char_device() || ft.is_block_device() {
            h.set_entry_type(if ft.is_fifo() {
                tar::EntryType::Fifo
            } else if ft.is_char_device() {
                tar::EntryType::Char
            } else {
                tar::EntryType::Block
            });
            if !ft.is_fifo() {
                let _ = h.set_device_major(nix::sys::stat::major(md.rdev()) as u32);
                let _ = h.set_device_minor(nix::sys::stat::minor(md.rdev()) as u32);
            }
            t.append_data(&mut h, rel, std::io::empty())
                .map_err(|e| Self::werr(rel, e))
        } else {
            Ok(()) // sockets are not kept in tars
        }
    }

    /// The merged directory `rel`, which the layers `dirs` (indices into `layers`, top first,
    /// already cut at the first opaque one) contribute to.
    fn dir(&mut self, layers: &[Layer], dirs: &[usize], rel: &Path) -> Result<()> {
        let mut names: BTreeMap<OsString, Option<usize>> = BTreeMap::new();
        for &i in dirs {
            let d = layers[i].root.join(rel);
            let rd = fs::read_dir(&d).ctx(|| format!("reading {}", d.display()))?;
            for e in rd {
                let e = e.ctx(|| format!("reading {}", d.display()))?;
                let name = e.file_name();
                let b = name.as_bytes();
                if b == b".wh..wh..opq" {
                    continue;
                }
                if let Some(hidden) = b.strip_prefix(b".wh.") {
                    names
                        .entry(OsString::from(std::ffi::OsStr::from_bytes(hidden)))
                        .or_insert(None);
                    continue;
                }
                let md = e.metadata().ctx(|| format!("reading {}", e.path().display()))?;
                names
                    .entry(name)
                    .or_insert(if is_whiteout(&md) { None } else { Some(i) });
            }
        }
        for (name, top) in names {
            let Some(top) = top else { continue };
            let crel = rel.join(&name);
            let md =
                fs::symlink_metadata(layers[top].root.join(&crel)).ctx(|| format!("reading {}", crel.display()))?;
            self.entry(&layers[top], &crel, &md)?;
            if md.is_dir() {
                let mut sub = Vec::new();
                for j in dirs.iter().copied().filter(|&j| j >= top) {
                    match at(&layers[j].root, &crel) {
                        At::Dir { opaque } => {
                            sub.push(j);
                            if opaque {
                                break;
                            }
                        }
                        At::Other => break,
                        At::Nothing => {}
                    }
                }
                self.dir(layers, &sub, &crel)?;
            }
        }
        Ok(())
    }
}

/// Whether container `rec` keeps the user's id as its own (keep-id): then its upper directory
/// holds store ids that `to_container_id` maps back.
/// `mapping`: as planned outside the namespace (inside it, our uid reads 0).
pub(crate) fn keep_id_owner(mapping: &Mapping, rec: &crate::store::containers::ContainerRecord) -> Option<u32> {
    match mapping {
        Mapping::Full { uid, .. } if rec.spec.keep_id_copy() => Some(*uid),
        _ => None,
    }
}

/// Write the container's upper directory as an OCI layer tar (`commit`): overlay whiteouts
/// (0/0 character devices) become `.wh.NAME` entries, opaque directories get a
/// `.wh..wh..opq` entry, owners are the ids the container sees. Call inside the store's
/// user namespace. `skip_placeholders`: leave out the runtime's empty mount points (`commit`;
/// a build step keeps them, as buildah does, and removes its own stubs itself).
pub(crate) fn write_upper_layer(
    store: &Store,
    mapping: &Mapping,
    rec: &crate::store::containers::ContainerRecord,
    out: &mut dyn Write,
    skip_placeholders: bool,
) -> Result<()> {
    let root = store.container_dir(&rec.id).join("upper");
    let skip = if skip_placeholders {
        let lowers: Vec<PathBuf> = rec
            .layers
            .iter()
            .rev()
            .map(|l| store.layer_dir(l).join("diff"))
            .collect();
        crate::container::diff::runtime_placeholders(&root, &lowers)
    } else {
        Vec::new()
    };
    write_dir_layer(&root, keep_id_owner(mapping, rec), id_map_of(rec), skip, out)
}

/// Write directory `root`, in overlay's upper-directory format, as an OCI layer tar, the way
/// `write_upper_layer` does (a build step's layer directory, recorded as it is). `skip`: paths
/// left out.
pub(crate) fn write_dir_layer(
    root: &Path,
    keep_id_owner: Option<u32>,
    id_map: Option<(Vec<IdMapEntry>, Vec<IdMapEntry>)>,
    skip: Vec<PathBuf>,
    out: &mut dyn Write,
) -> Result<()> {
    let layer = Layer {
        root: root.to_path_buf(),
        keep_id_owner,
        id_map,
    };
    let mut w = Writer {
        tar: tar::Builder::new(out),
        links: HashMap::new(),
        skip,
    };
    w.tar.mode(tar::HeaderMode::Complete);
    if layer.root.is_dir() {
        w.upper_dir(&layer, Path::new(""))?;
    }
    w.tar.finish().map_err(|e| crate::err!("writing the layer: {e}"))?;
    Ok(())
}

impl Writer<'_> {
    fn marker(&mut self, rel: &Path) -> Result<()> {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(0);
        h.set_size(0);
        h.set_mtime(0);
        self.tar
            .append_data(&mut h, rel, std::io::empty())
            .map_err(|e| Self::werr(rel, e))
    }

    fn upper_dir(&mut self, layer: &Layer, rel: &Path) -> Result<()> {
        let d = layer.root.join(rel);
        if !rel.as_os_str().is_empty() && is_opaque(&d) {
            self.marker(&rel.join(".wh..wh..opq"))?;
        }
        let mut names: Vec<OsString> = Vec::new();
        for e in fs::read_dir(&d).ctx(|| format!("reading {}", d.display()))? {
            names.push(e.ctx(|| format!("reading {}", d.display()))?.file_name());
        }
        names.sort();
        for name in names {
            if name.as_bytes() == b".wh..wh..opq" {
                continue; // written above, once
            }
            let crel = rel.join(&name);
            if self.skip.contains(&crel) {
                continue;
            }
            let md = match fs::symlink_metadata(layer.root.join(&crel)) {
                Ok(m) => m,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue, // deleted meanwhile (running)
                Err(e) => return Err(crate::err!("reading {}: {e}", crel.display())),
            };
            if is_whiteout(&md) {
                let mut wh = OsString::from(".wh.");
                wh.push(&name);
                self.marker(&rel.join(wh))?;
                continue;
            }
            self.entry(layer, &crel, &md)?;
            if md.is_dir() {
                self.upper_dir(layer, &crel)?;
            }
        }
        Ok(())
    }
}

/// Write the file system of container `what` as a tar to `out`.
fn write_tar(store: &Store, mapping: &Mapping, what: &str, out: &mut dyn Write) -> Result<()> {
    let idx = store.load_containers()?;
    let rec = idx.containers[idx.resolve(what)?].clone();
    let keep = keep_id_owner(mapping, &rec);
    let mut layers = vec![Layer {
        root: store.container_dir(&rec.id).join("upper"),
        keep_id_owner: keep,
        id_map: id_map_of(&rec),
    }];
    for l in rec.layers.iter().rev() {
        layers.push(Layer {
            root: store.layer_dir(l).join("diff"),
            keep_id_owner: None,
            id_map: None,
        });
    }
    let mut dirs = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        if l.root.is_dir() {
            dirs.push(i);
            if is_opaque(&l.root) {
                break;
            }
        }
    }
    let mut w = Writer {
        tar: tar::Builder::new(out),
        links: HashMap::new(),
        skip: Vec::new(),
    };
    w.tar.mode(tar::HeaderMode::Complete);
    w.dir(&layers, &dirs, Path::new(""))?;
    w.tar.finish().map_err(|e| crate::err!("writing the tar: {e}"))?;
    Ok(())
}

/// Export container `what` to `dest` (a file, written next to it and renamed, or stdout), from
/// inside the store's user namespace.
pub fn export(what: &str, dest: Option<&Path>) -> Result<()> {
    // The mapping as planned outside the namespace (inside it, our uid reads 0).
    let mapping = crate::runtime::userns::enter()?;
    let store = Store::open()?;
    // As a reader until the tar is written (lock order: containers, then images): a
    // concurrent rm or rmi waits rather than removing what is being read.
    let _containers = store.lock_containers_shared()?;
    let _images = store.lock_images_shared()?;
    match dest {
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
            write_tar(&store, mapping, what, &mut w)?;
            w.flush().map_err(|e| crate::err!("writing the tar: {e}"))
        }
        Some(file) => {
            let parent = file
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let name = file
                .file_name()
                .ok_or_else(|| crate::err!("{}: not a file name", file.display()))?;
            let tmp = parent.join(format!(
                ".{}.hutch-tmp-{}",
                name.to_string_lossy(),
                crate::digest::random_hex(6)
            ));
            let f = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
                .ctx(|| format!("creating {}", tmp.display()))?;
            let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
            let r = write_tar(&store, mapping, what, &mut w)
                .and_then(|_| w.flush().map_err(|e| crate::err!("writing {}: {e}", tmp.display())));
            drop(w);
            if r.is_err() {
                let _ = fs::remove_file(&tmp);
                return r;
            }
            fs::rename(&tmp, file).ctx(|| format!("writing {}", file.display()))
        }
    }
}
