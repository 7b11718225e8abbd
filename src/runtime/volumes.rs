//! Volume work the container's first process does before pivot_root, as the container's root
//! (so owners are the ids the container sees): filling a new volume (or a tmpfs) with the
//! image's content at its mount point, and handing a volume to the container's user (`U`).

use std::collections::HashMap;
use std::fs;
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;

use nix::sys::stat::{utimensat, Mode, SFlag, UtimensatFlags};
use nix::sys::time::TimeSpec;

/// Whether directory `p` has no entries.
pub fn is_empty_dir(p: &Path) -> bool {
    fs::read_dir(p).map(|mut r| r.next().is_none()).unwrap_or(false)
}

/// Copy the tree under `from` into the existing directory `to`: files, directories, symlinks,
/// fifos and device nodes, hard links as links, with their owners, modes and times; with
/// `root_attrs`, `to` itself takes `from`'s owner, mode and times (a volume, as Docker's; a
/// tmpfs keeps its own mode=). Symlinks are copied, never followed.
pub fn copy_tree(from: &Path, to: &Path, root_attrs: bool) -> io::Result<()> {
    // `from` and `to` may be /proc/self/fd/N links: follow them for the directories' own
    // attributes.
    let md = fs::metadata(from)?;
    let mut links = HashMap::new();
    copy_dir(from, to, &mut links)?;
    if !root_attrs {
        return Ok(());
    }
    // `to` may be a /proc/self/fd/N link: follow it (a no-follow call would act on the link).
    std::os::unix::fs::chown(to, Some(md.uid()), Some(md.gid()))?;
    fs::set_permissions(to, fs::Permissions::from_mode(md.mode() & 0o7777))?;
    let at = TimeSpec::new(md.atime(), md.atime_nsec());
    let mt = TimeSpec::new(md.mtime(), md.mtime_nsec());
    utimensat(nix::fcntl::AT_FDCWD, to, &at, &mt, UtimensatFlags::FollowSymlink).map_err(io::Error::from)
}

fn copy_dir(from: &Path, to: &Path, links: &mut HashMap<(u64, u64), std::path::PathBuf>) -> io::Result<()> {
    for e in fs::read_dir(from)? {
        let e = e?;
        let (src, dst) = (e.path(), to.join(e.file_name()));
        let md = fs::symlink_metadata(&src)?;
        let ft = md.file_type();
        if !ft.is_dir() && md.nlink() > 1 {
            if let Some(first) = links.get(&(md.dev(), md.ino())) {
                fs::hard_link(first, &dst)?;
                continue;
            }
            links.insert((md.dev(), md.ino()), dst.clone());
        }
        if ft.is_dir() {
            fs::create_dir(&dst)?;
            copy_dir(&src, &dst, links)?;
        } else if ft.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&src)?, &dst)?;
        } else if ft.is_file() {
            fs::copy(&src, &dst)?;
        } else if ft.is_fifo() || ft.is_char_device() || ft.is_block_device() {
            let kind = if ft.is_fifo() {
                SFlag::S_IFIFO
            } else if ft.is_char_device() {
                SFlag::S_IFCHR
            } else {
                SFlag::S_IFBLK
            };
            // Device nodes cannot be made in a user namespace: left out, as overlay's copy-up
            // would fail on them too.
            if nix::sys::stat::mknod(&dst, kind, Mode::from_bits_truncate(md.mode() & 0o7777), md.rdev()).is_err() {
                continue;
            }
        } else {
            continue; // sockets
        }
        attrs(&dst, &md)?;
    }
    Ok(())
}

/// Owner, mode (not for symlinks) and times of `md` onto `p`.
fn attrs(p: &Path, md: &fs::Metadata) -> io::Result<()> {
    std::os::unix::fs::lchown(p, Some(md.uid()), Some(md.gid()))?;
    if !md.file_type().is_symlink() {
        fs::set_permissions(p, fs::Permissions::from_mode(md.mode() & 0o7777))?;
    }
    let at = TimeSpec::new(md.atime(), md.atime_nsec());
    let mt = TimeSpec::new(md.mtime(), md.mtime_nsec());
    utimensat(nix::fcntl::AT_FDCWD, p, &at, &mt, UtimensatFlags::NoFollowSymlink).map_err(io::Error::from)
}

/// Give everything under `p` (and `p`) to uid:gid, never following symlinks.
/// `p` itself may be a /proc/self/fd/N link (followed); nothing below it is followed.
pub fn chown_tree(p: &Path, uid: u32, gid: u32) -> io::Result<()> {
    std::os::unix::fs::chown(p, Some(uid), Some(gid))?;
    chown_below(p, uid, gid)
}

fn chown_below(dir: &Path, uid: u32, gid: u32) -> io::Result<()> {
    for e in fs::read_dir(dir)? {
        let p = e?.path();
        std::os::unix::fs::lchown(&p, Some(uid), Some(gid))?;
        if fs::symlink_metadata(&p)?.is_dir() {
            chown_below(&p, uid, gid)?;
        }
    }
    Ok(())
}
