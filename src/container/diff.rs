//! `diff`: what a layer (a container's upper directory, or an image's top layer) changes in
//! the file system below it, as Podman lists it: A (added), C (changed: it exists below, and
//! directories that hold a change count), D (deleted: a whiteout, or what an opaque directory
//! hides), sorted by path. Read inside the store's user namespace.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use crate::error::{Context, Result};
use crate::store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Added,
    Changed,
    Deleted,
}

impl Kind {
    pub fn letter(self) -> char {
        match self {
            Kind::Added => 'A',
            Kind::Changed => 'C',
            Kind::Deleted => 'D',
        }
    }
}

fn is_whiteout(md: &fs::Metadata) -> bool {
    md.file_type().is_char_device() && md.rdev() == 0
}

fn is_opaque(dir: &Path) -> bool {
    crate::sys::fs::get_xattr(dir, crate::archive::OPAQUE_XATTR)
        .map(|v| v == b"y")
        .unwrap_or(false)
        || dir.join(".wh..wh..opq").exists()
}

/// Paths the runtime mounts over (and so may create, empty, in a container's upper directory):
/// as Podman, `diff` (of a container or an image) does not list them, and `commit` leaves out the empty
/// placeholders (see `runtime_placeholders`).
pub(crate) const RUNTIME_PATHS: &[&str] = &[
    "/dev",
    "/etc/hostname",
    "/etc/hosts",
    "/etc/mtab",
    "/etc/resolv.conf",
    "/proc",
    "/run",
    "/run/.containerenv",
    "/run/notify",
    "/run/secrets",
    "/sys",
];

/// The runtime's mount points in `upper` that the image did not have and that hold nothing
/// (an empty file, or a directory empty but for other placeholders), relative to the root,
/// deepest first: what `commit` leaves out of the new layer.
pub(crate) fn runtime_placeholders(upper: &Path, lowers: &[PathBuf]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    let mut paths: Vec<&str> = RUNTIME_PATHS.to_vec();
    paths.sort_by_key(|p| std::cmp::Reverse(p.matches('/').count()));
    for p in paths {
        let rel = Path::new(&p[1..]);
        let Ok(md) = fs::symlink_metadata(upper.join(rel)) else {
            continue;
        };
        if lower_has(lowers, rel) {
            continue;
        }
        let empty = if md.is_file() {
            md.len() == 0
        } else if md.is_dir() {
            !is_opaque(&upper.join(rel))
                && fs::read_dir(upper.join(rel))
                    .map(|d| d.flatten().all(|e| out.contains(&rel.join(e.file_name()))))
                    .unwrap_or(false)
        } else {
            false
        };
        if empty {
            out.push(rel.to_path_buf());
        }
    }
    out
}

/// Whether `rel` exists in the merged view of `lowers` (top first).
fn lower_has(lowers: &[PathBuf], rel: &Path) -> bool {
    for l in lowers {
        let p = l.join(rel);
        if let Ok(md) = fs::symlink_metadata(&p) {
            return !is_whiteout(&md);
        }
        if let Some(name) = rel.file_name() {
            let mut wh = OsString::from(".wh.");
            wh.push(name);
            if fs::symlink_metadata(l.join(rel.parent().unwrap_or(Path::new(""))).join(wh)).is_ok() {
                return false;
            }
        }
        // An opaque directory on the way hides the layers below.
        let mut a = rel.parent();
        while let Some(d) = a.filter(|d| !d.as_os_str().is_empty()) {
            if l.join(d).is_dir() && is_opaque(&l.join(d)) {
                return false;
            }
            a = d.parent();
        }
    }
    false
}

/// The names directory `rel` has in the merged view of `lowers`.
fn lower_names(lowers: &[PathBuf], rel: &Path) -> Vec<OsString> {
    let mut names = std::collections::BTreeSet::new();
    for l in lowers {
        let d = l.join(rel);
        if let Ok(rd) = fs::read_dir(&d) {
            for e in rd.flatten() {
                let n = e.file_name();
                if !n.as_bytes().starts_with(b".wh.") && lower_has(lowers, &rel.join(&n)) {
                    names.insert(n);
                }
            }
            if is_opaque(&d) {
                break;
            }
        }
    }
    names.into_iter().collect()
}

fn walk(top: &Path, lowers: &[PathBuf], rel: &Path, out: &mut BTreeMap<Vec<u8>, Kind>) -> Result<()> {
    let d = top.join(rel);
    let abs = |r: &Path| {
        let mut v = b"/".to_vec();
        v.extend_from_slice(r.as_os_str().as_bytes());
        v
    };
    for e in fs::read_dir(&d).ctx(|| format!("reading {}", d.display()))? {
        let e = e.ctx(|| format!("reading {}", d.display()))?;
        let name = e.file_name();
        let b = name.as_bytes();
        if b == b".wh..wh..opq" {
            continue;
        }
        if let Some(hidden) = b.strip_prefix(b".wh.") {
            let r = rel.join(OsString::from_vec(hidden.to_vec()));
            if lower_has(lowers, &r) {
                out.insert(abs(&r), Kind::Deleted);
            }
            continue;
        }
        let md = match fs::symlink_metadata(e.path()) {
            Ok(m) => m,
            Err(_) => continue, // gone meanwhile (a running container)
        };
        let r = rel.join(&name);
        if is_whiteout(&md) {
            if lower_has(lowers, &r) {
                out.insert(abs(&r), Kind::Deleted);
            }
            continue;
        }
        let existed = lower_has(lowers, &r);
        out.insert(abs(&r), if existed { Kind::Changed } else { Kind::Added });
        if md.is_dir() {
            if existed && is_opaque(&e.path()) {
                // Everything below that is not in the upper directory is gone.
                for n in lower_names(lowers, &r) {
                    if fs::symlink_metadata(e.path().join(&n)).is_err() {
                        out.insert(abs(&r.join(&n)), Kind::Deleted);
                    }
                }
                walk(top, &[], &r, out)?;
            } else if existed {
                walk(top, lowers, &r, out)?;
            } else {
                walk(top, &[], &r, out)?;
            }
        }
    }
    Ok(())
}

/// Changes of layer directory `top` against `lowers` (top first).
pub(crate) fn changes(top: &Path, lowers: &[PathBuf]) -> Result<Vec<(Kind, String)>> {
    let mut out = BTreeMap::new();
    if top.is_dir() {
        walk(top, lowers, Path::new(""), &mut out)?;
    }
    Ok(out
        .into_iter()
        .map(|(p, k)| (k, String::from_utf8_lossy(&p).into_owned()))
        .collect())
}

/// `hutch diff CTR|IMAGE`: a container against its image (containers are looked up first, as
/// Podman does), or an image's top layer against the layers below it.
pub fn diff(what: &str) -> Result<Vec<(Kind, String)>> {
    crate::runtime::userns::enter()?;
    let store = Store::open()?;
    let cidx = store.load_containers()?;
    if let Ok(n) = cidx.resolve(what) {
        let rec = &cidx.containers[n];
        let lowers: Vec<PathBuf> = rec
            .layers
            .iter()
            .rev()
            .map(|l| store.layer_dir(l).join("diff"))
            .collect();
        let mut c = changes(&store.container_dir(&rec.id).join("upper"), &lowers)?;
        c.retain(|(_, p)| !RUNTIME_PATHS.contains(&p.as_str()));
        return Ok(c);
    }
    let iidx = store.load_images()?;
    let n = iidx
        .resolve(what)
        .map_err(|_| crate::err!("{what}: no such container or image"))?;
    let layers = &iidx.images[n].layers;
    let Some((top, below)) = layers.split_last() else {
        return Ok(vec![]);
    };
    let lowers: Vec<PathBuf> = below.iter().rev().map(|l| store.layer_dir(l).join("diff")).collect();
    let mut c = changes(&store.layer_dir(top).join("diff"), &lowers)?;
    c.retain(|(_, p)| !RUNTIME_PATHS.contains(&p.as_str()));
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_changed_deleted_and_opaque() {
        let root = std::env::temp_dir().join(format!("hutch-diff-test-{}", crate::digest::random_hex(6)));
        let (low, up) = (root.join("low"), root.join("up"));
        for d in [
            "low/etc",
            "low/gone",
            "low/opq/sub",
            "low/keep",
            "up/etc",
            "up/new",
            "up/opq",
        ] {
            fs::create_dir_all(root.join(d)).unwrap();
        }
        for f in [
            "low/etc/a",
            "low/etc/b",
            "low/gone/x",
            "low/opq/old",
            "low/keep/k",
            "up/etc/a",
            "up/new/f",
            "up/opq/fresh",
            "up/.wh.gone",
            "up/etc/.wh.b",
        ] {
            fs::write(root.join(f), "x").unwrap();
        }
        fs::write(root.join("up/opq/.wh..wh..opq"), "").unwrap();
        let got: Vec<String> = changes(&up, &[low])
            .unwrap()
            .iter()
            .map(|(k, p)| format!("{} {p}", k.letter()))
            .collect();
        assert_eq!(
            got,
            [
                "C /etc",
                "C /etc/a",
                "D /etc/b",
                "D /gone",
                "A /new",
                "A /new/f",
                "C /opq",
                "A /opq/fresh",
                "D /opq/old",
                "D /opq/sub"
            ]
        );
        fs::remove_dir_all(&root).unwrap();
    }
}
