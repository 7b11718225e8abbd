//! File-system calls through directory fds that never follow a symlink.

use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::{OFlag, OpenHow, ResolveFlag};
use nix::sys::stat::{mknodat, Mode, SFlag};

/// Resolution that stays below the directory and follows no symlink at all.
fn beneath() -> ResolveFlag {
    ResolveFlag::RESOLVE_BENEATH | ResolveFlag::RESOLVE_NO_SYMLINKS | ResolveFlag::RESOLVE_NO_MAGICLINKS
}

/// openat2(2), retried on EAGAIN: with RESOLVE_IN_ROOT or RESOLVE_BENEATH the kernel gives up
/// with EAGAIN when a rename or mount happened anywhere on the system during the lookup, which
/// on a busy machine (other containers starting) is not rare.
pub fn openat2<P: ?Sized + nix::NixPath, Fd: AsFd>(dirfd: Fd, path: &P, how: OpenHow) -> nix::Result<OwnedFd> {
    let mut tries = 0;
    loop {
        match nix::fcntl::openat2(dirfd.as_fd(), path, how) {
            Err(nix::errno::Errno::EAGAIN) if tries < 1000 => tries += 1,
            r => return r,
        }
    }
}

/// Open the directory `rel` below `root` (an `O_PATH` fd), refusing symlinks and `..` escapes.
pub fn open_dir_beneath(root: impl AsFd, rel: &Path) -> nix::Result<OwnedFd> {
    let rel: &Path = if rel.as_os_str().is_empty() {
        Path::new(".")
    } else {
        rel
    };
    let how = OpenHow::new()
        .flags(OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC)
        .resolve(beneath());
    openat2(root, rel, how)
}

/// Ask the kernel to start reading the regular file `rel` below `root` into the page cache
/// (`POSIX_FADV_WILLNEED`: the reads are queued, not waited for), refusing symlinks and `..`
/// escapes like `open_dir_beneath`. Only a hint: errors are the caller's to ignore.
pub fn prefetch_beneath(root: impl AsFd, rel: &Path, len: u64) -> nix::Result<()> {
    let how = OpenHow::new()
        .flags(OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK)
        .resolve(beneath());
    let fd = openat2(root, rel, how)?;
    let len = libc::off_t::try_from(len).unwrap_or(0);
    // SAFETY: fd is an open descriptor owned here; the call only reads its arguments.
    let r = unsafe { libc::posix_fadvise(fd.as_raw_fd(), 0, len, libc::POSIX_FADV_WILLNEED) };
    if r != 0 {
        return Err(Errno::from_raw(r));
    }
    Ok(())
}

/// Open a directory by absolute path (following symlinks in the path given by the user).
pub fn open_dir(path: &Path) -> nix::Result<OwnedFd> {
    nix::fcntl::open(
        path,
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
}

/// Create an overlay whiteout (a 0:0 character device) named `name` in `dir`.
/// Allowed without CAP_MKNOD since Linux 5.8.
pub fn mknod_whiteout(dir: impl AsFd, name: &Path) -> nix::Result<()> {
    mknodat(dir, name, SFlag::S_IFCHR, Mode::empty(), 0)
}

/// Create a fifo named `name` in `dir`.
pub fn mkfifo_at(dir: impl AsFd, name: &Path, mode: u32) -> nix::Result<()> {
    mknodat(dir, name, SFlag::S_IFIFO, Mode::from_bits_truncate(mode), 0)
}

/// Set an extended attribute on the object `fd` refers to (an `O_PATH` fd is fine: goes through
/// /proc/self/fd, never following a symlink in the rootfs).
pub fn set_xattr(fd: impl AsFd, name: &str, value: &[u8]) -> nix::Result<()> {
    let path = CString::new(format!("/proc/self/fd/{}", fd.as_fd().as_raw_fd())).map_err(|_| Errno::EINVAL)?;
    let name = CString::new(name).map_err(|_| Errno::EINVAL)?;
    // SAFETY: both pointers are valid NUL-terminated strings and value is a valid slice for the call.
    let r = unsafe { libc::setxattr(path.as_ptr(), name.as_ptr(), value.as_ptr().cast(), value.len(), 0) };
    Errno::result(r).map(drop)
}

/// fsync a directory so a rename into it survives a crash.
pub fn sync_dir(path: &Path) -> std::io::Result<()> {
    std::fs::File::open(path)?.sync_all()
}

/// Open any object by host path as an `O_PATH` fd (following symlinks the user gave).
pub fn open_any(path: &Path) -> nix::Result<OwnedFd> {
    nix::fcntl::open(path, OFlag::O_PATH | OFlag::O_CLOEXEC, Mode::empty())
}

/// Read an extended attribute of `path` itself (not following a final symlink).
pub fn get_xattr(path: &Path, name: &str) -> std::io::Result<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt;
    let p = CString::new(path.as_os_str().as_bytes())?;
    let name = CString::new(name)?;
    let mut buf = vec![0u8; 256];
    // SAFETY: valid NUL-terminated strings and a writable buffer of the length given.
    let n = unsafe { libc::lgetxattr(p.as_ptr(), name.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        return Err(std::io::Error::last_os_error());
    }
    buf.truncate(n as usize);
    Ok(buf)
}

/// The names of the extended attributes of `path` itself (not following a final symlink).
pub fn list_xattrs(path: &Path) -> std::io::Result<Vec<Vec<u8>>> {
    use std::os::unix::ffi::OsStrExt;
    let p = CString::new(path.as_os_str().as_bytes())?;
    let mut buf = vec![0u8; 1024];
    loop {
        // SAFETY: a valid NUL-terminated string and a writable buffer of the length given.
        let n = unsafe { libc::llistxattr(p.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
        if n >= 0 {
            buf.truncate(n as usize);
            return Ok(buf
                .split(|b| *b == 0)
                .filter(|n| !n.is_empty())
                .map(<[u8]>::to_vec)
                .collect());
        }
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::ERANGE) || buf.len() >= 1 << 20 {
            return Err(e);
        }
        buf.resize(buf.len() * 4, 0);
    }
}

/// Remove the extended attribute `name` of `path` itself (not following a final symlink).
pub fn remove_xattr(path: &Path, name: &[u8]) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let p = CString::new(path.as_os_str().as_bytes())?;
    let name = CString::new(name)?;
    // SAFETY: both are valid NUL-terminated strings.
    let r = unsafe { libc::lremovexattr(p.as_ptr(), name.as_ptr()) };
    if r < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Write `data` to `path` so that readers (and a crash) see the old or the new content, never a
/// torn one: a temp file in the same directory (created with `mode`), fsync, rename over
/// `path`, fsync of the directory. The one writer of every durable file hutch keeps.
pub fn write_atomic(path: &Path, data: &[u8], mode: u32) -> std::io::Result<()> {
    write_replacing(path, data, mode, true)
}

/// `write_atomic` without the fsyncs, for files a crash may lose harmlessly (live state on the
/// runtime tmpfs, the start record of a container that dies with the crash): readers still
/// never see a torn file.
pub fn replace_atomic(path: &Path, data: &[u8], mode: u32) -> std::io::Result<()> {
    write_replacing(path, data, mode, false)
}

/// `write_atomic` without the fsync of the directory, for a change a crash may undo harmlessly
/// (a `--rm` container's record coming or going in the containers index): the new content is
/// on disk before it replaces the old, so a crash leaves the old or the new file whole (never a
/// torn or empty one, and every earlier durable change kept), but may undo the replacement.
pub fn write_atomic_undoable(path: &Path, data: &[u8], mode: u32) -> std::io::Result<()> {
    write_replacing_with(path, data, mode, true, false)
}

fn write_replacing(path: &Path, data: &[u8], mode: u32, durable: bool) -> std::io::Result<()> {
    write_replacing_with(path, data, mode, durable, durable)
}

fn write_replacing_with(
    path: &Path,
    data: &[u8],
    mode: u32,
    sync_file: bool,
    sync_dir_after: bool,
) -> std::io::Result<()> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
    let tmp = dir.join(format!(
        ".{}.{}-{}.tmp",
        name.to_string_lossy(),
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let r = write_new(&tmp, data, mode, sync_file).and_then(|()| std::fs::rename(&tmp, path));
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r?;
    if sync_dir_after {
        sync_dir(dir)?;
    }
    Ok(())
}

/// Create `path` (which must not exist) with `mode`, write `data` and fsync it.
pub fn write_synced(path: &Path, data: &[u8], mode: u32) -> std::io::Result<()> {
    write_new(path, data, mode, true)
}

fn write_new(path: &Path, data: &[u8], mode: u32, sync: bool) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(libc::O_CLOEXEC)
        .open(path)?;
    f.write_all(data)?;
    if sync {
        f.sync_all()?;
    }
    Ok(())
}

/// The file system a path is on: where it is mounted, its type, its size and what is free.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Space {
    pub mount_point: std::path::PathBuf,
    pub fs_type: String,
    pub total: u64,
    /// Bytes an unprivileged user may still write.
    pub avail: u64,
}

/// The file system holding `path` (statvfs, and the mount in /proc/self/mountinfo with the same
/// device whose mount point is the longest prefix of the path).
pub fn space_of(path: &Path) -> Option<Space> {
    use std::os::unix::fs::MetadataExt;
    // The nearest directory that exists (the store may not have been created yet).
    let path = path.ancestors().find_map(|p| std::fs::canonicalize(p).ok())?;
    let vfs = nix::sys::statvfs::statvfs(&path).ok()?;
    let dev = std::fs::metadata(&path).ok()?.dev();
    let dev = format!("{}:{}", libc::major(dev), libc::minor(dev));
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let (mount_point, fs_type) =
        mount_of(&info, &path, &dev).unwrap_or_else(|| (std::path::PathBuf::from("/"), String::new()));
    let frsize = vfs.fragment_size() as u64;
    Some(Space {
        mount_point,
        fs_type,
        total: vfs.blocks() as u64 * frsize,
        avail: vfs.blocks_available() as u64 * frsize,
    })
}

/// The mount point and type of the mount in `mountinfo` that holds `path` on device `dev`
/// ("MAJOR:MINOR").
fn mount_of(mountinfo: &str, path: &Path, dev: &str) -> Option<(std::path::PathBuf, String)> {
    // Mount points escape space, tab, newline and backslash as \ooo.
    let unescape = |s: &str| {
        let b = s.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'\\' && i + 3 < b.len() && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c)) {
                out.push((b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0'));
                i += 4;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        std::path::PathBuf::from(<std::ffi::OsString as std::os::unix::ffi::OsStringExt>::from_vec(out))
    };
    let mut best: Option<(std::path::PathBuf, String)> = None;
    for line in mountinfo.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        let Some(sep) = f.iter().position(|x| *x == "-") else {
            continue;
        };
        if f.len() < 5 || f[2] != dev || sep + 1 >= f.len() {
            continue;
        }
        let mp = unescape(f[4]);
        if path.starts_with(&mp)
            && best
                .as_ref()
                .is_none_or(|(b, _)| mp.as_os_str().len() >= b.as_os_str().len())
        {
            best = Some((mp, f[sep + 1].to_string()));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_of_picks_the_longest_mount_point_on_the_device() {
        let info = "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n\
                    30 22 0:40 / /var/tmp/a\\040b rw shared:5 - tmpfs tmpfs rw,size=1024k\n\
                    31 22 8:1 /srv /var/tmp/bind rw - ext4 /dev/sda1 rw\n";
        let p = |s: &str| std::path::PathBuf::from(s);
        assert_eq!(
            mount_of(info, Path::new("/var/tmp/a b/data/hutch"), "0:40"),
            Some((p("/var/tmp/a b"), "tmpfs".into()))
        );
        assert_eq!(
            mount_of(info, Path::new("/var/tmp/bind/x"), "8:1"),
            Some((p("/var/tmp/bind"), "ext4".into()))
        );
        assert_eq!(
            mount_of(info, Path::new("/home/u"), "8:1"),
            Some((p("/"), "ext4".into()))
        );
        assert_eq!(mount_of(info, Path::new("/home/u"), "9:9"), None);
        let s = space_of(Path::new("/")).unwrap();
        assert!(s.total > 0 && s.avail <= s.total, "{s:?}");
    }
}
