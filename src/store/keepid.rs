//! Re-owned copies of layers for containers whose user namespace maps ids differently from the
//! store's (`--userns=keep-id`): same content, every owner passed through a function. Made once
//! per (layer, mapping) beside the layer, in tmp/ first and renamed into place, so a crash leaves
//! only sweepable debris. Runs inside the store's user namespace (both id ranges visible there).

use std::collections::HashMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Context, Result};
use crate::store::Store;

/// `layers/<id>/<tag>/diff`, relative to the store root.
pub fn rel_dir(layer: &str, tag: &str) -> String {
    format!("layers/{layer}/{tag}/diff")
}

/// Make sure the re-owned copy of `layer` exists; `map` takes a store id to the id to store.
pub fn ensure(store: &Store, layer: &str, tag: &str, map: &dyn Fn(u32) -> u32) -> Result<()> {
    ensure_with(store, layer, tag, map, map)
}

/// `ensure` with a map for uids and another for gids (--uidmap/--gidmap).
pub fn ensure_with(
    store: &Store,
    layer: &str,
    tag: &str,
    umap: &dyn Fn(u32) -> u32,
    gmap: &dyn Fn(u32) -> u32,
) -> Result<()> {
    let target = store.base().join(rel_dir(layer, tag));
    if target.is_dir() {
        return Ok(());
    }
    let _work = store.lock_layer_work(&format!("{layer}-{tag}"))?;
    if target.is_dir() {
        return Ok(());
    }
    let src = store.layer_dir(layer).join("diff");
    let tmp = store.temp("idmap")?;
    std::fs::create_dir(&tmp.path).ctx(|| format!("creating {}", tmp.path.display()))?;
    let mut links = HashMap::new();
    copy_tree(&src, &tmp.path.join("diff"), (umap, gmap), &mut links)
        .map_err(|e| crate::err!("re-owning layer {}: {e}", &layer[..12]))?;
    let parent = target.parent().expect("tag dir");
    std::fs::rename(tmp.path.join("diff"), &target)
        .or_else(|_| std::fs::create_dir_all(parent).and_then(|()| std::fs::rename(tmp.path.join("diff"), &target)))
        .ctx(|| format!("storing {}", target.display()))?;
    Ok(())
}

fn lchown(p: &Path, uid: u32, gid: u32) -> std::io::Result<()> {
    std::os::unix::fs::lchown(p, Some(uid), Some(gid))
}

fn copy_tree(
    src: &Path,
    dst: &Path,
    map: (&dyn Fn(u32) -> u32, &dyn Fn(u32) -> u32),
    links: &mut HashMap<(u64, u64), PathBuf>,
) -> std::io::Result<()> {
    let md = std::fs::symlink_metadata(src)?;
    let ft = md.file_type();
    let (uid, gid) = (map.0(md.uid()), map.1(md.gid()));
    use std::os::unix::fs::FileTypeExt;
    if ft.is_dir() {
        std::fs::create_dir(dst)?;
        for e in std::fs::read_dir(src)? {
            let e = e?;
            copy_tree(&e.path(), &dst.join(e.file_name()), map, links)?;
        }
        if let Ok(v) = crate::sys::fs::get_xattr(src, "user.overlay.opaque") {
            xattr_set(dst, "user.overlay.opaque", &v)?;
        }
    } else if ft.is_symlink() {
        std::os::unix::fs::symlink(std::fs::read_link(src)?, dst)?;
        return lchown(dst, uid, gid);
    } else if ft.is_file() {
        let key = (md.dev(), md.ino());
        if md.nlink() > 1 {
            if let Some(first) = links.get(&key) {
                return std::fs::hard_link(first, dst);
            }
            links.insert(key, dst.to_path_buf());
        }
        std::fs::copy(src, dst)?;
    } else if ft.is_char_device() && md.rdev() == 0 {
        crate::sys::fs::mknod_whiteout(
            crate::sys::fs::open_dir(dst.parent().expect("parent"))?,
            Path::new(dst.file_name().expect("name")),
        )?;
    } else if ft.is_fifo() {
        crate::sys::fs::mkfifo_at(
            crate::sys::fs::open_dir(dst.parent().expect("parent"))?,
            Path::new(dst.file_name().expect("name")),
            0o600,
        )?;
    } else {
        return Ok(());
    }
    lchown(dst, uid, gid)?;
    // chown clears setuid/setgid: put the mode back afterwards.
    std::fs::set_permissions(dst, std::fs::Permissions::from_mode(md.mode() & 0o7777))
}

fn xattr_set(p: &Path, name: &str, v: &[u8]) -> std::io::Result<()> {
    let fd = crate::sys::fs::open_dir(p)?;
    crate::sys::fs::set_xattr(&fd, name, v).map_err(std::io::Error::from)
}
