//! Mounts and path resolution inside a container's root: every target is opened with
//! `openat2(RESOLVE_IN_ROOT)` and mounted through `/proc/self/fd/N`, so a symlink in an image
//! (`/dev -> /host/dev`, a WORKDIR or volume target pointing out) can never reach a host path.

use std::ffi::OsStr;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Component, Path, PathBuf};

use super::fs::openat2;
use nix::errno::Errno;
use nix::fcntl::{OFlag, OpenHow, ResolveFlag};
use nix::mount::{mount, MsFlags};
use nix::sys::stat::{mkdirat, Mode};

/// `/proc/self/fd/N` for an fd: the name a mount call uses to reach an opened object.
pub fn fd_path(fd: impl AsFd) -> PathBuf {
    PathBuf::from(format!("/proc/self/fd/{}", fd.as_fd().as_raw_fd()))
}

fn in_root(flags: OFlag) -> OpenHow {
    OpenHow::new()
        .flags(flags | OFlag::O_CLOEXEC)
        .resolve(ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_MAGICLINKS)
}

fn rel(p: &Path) -> PathBuf {
    let r: PathBuf = p.components().filter(|c| matches!(c, Component::Normal(_))).collect();
    if r.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        r
    }
}

/// Open `path` (container-absolute or relative) inside `root`, symlinks resolved as if `root`
/// were `/`. Returns an `O_PATH` fd.
pub fn open_in_root(root: impl AsFd, path: &Path) -> nix::Result<OwnedFd> {
    openat2(root, &rel(path), in_root(OFlag::O_PATH))
}

/// Open the regular file at `path` inside `root` (symlinks resolved as if `root` were `/`) for
/// reading or, with `append`, for appending. Never blocks on a FIFO or device: those are
/// refused with EINVAL.
pub fn open_file_in_root(root: impl AsFd, path: &Path, append: bool) -> nix::Result<std::fs::File> {
    let mode = if append {
        OFlag::O_WRONLY | OFlag::O_APPEND
    } else {
        OFlag::O_RDONLY
    };
    let fd = openat2(root, &rel(path), in_root(mode | OFlag::O_NONBLOCK | OFlag::O_NOCTTY))?;
    if nix::sys::stat::fstat(&fd)?.st_mode & libc::S_IFMT != libc::S_IFREG {
        return Err(Errno::EINVAL);
    }
    nix::fcntl::fcntl(&fd, nix::fcntl::FcntlArg::F_SETFL(mode))?;
    Ok(std::fs::File::from(fd))
}

/// `mkdir -p` inside `root`; returns an `O_PATH` fd of the directory. Symlinks on the way,
/// dangling ones included, are followed as if `root` were `/` (absolute targets restart at
/// `root`, `..` stops at it), so the directories are always created inside `root`.
pub fn mkdir_all_in_root(root: impl AsFd, path: &Path, mode: u32) -> nix::Result<OwnedFd> {
    use nix::fcntl::AtFlags;
    use std::collections::VecDeque;
    use std::ffi::OsString;
    let root = root.as_fd();
    let beneath = || {
        OpenHow::new()
            .flags(OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC)
            .resolve(ResolveFlag::RESOLVE_BENEATH | ResolveFlag::RESOLVE_NO_SYMLINKS)
    };
    let split = |p: &Path| -> Vec<OsString> {
        p.components()
            .filter_map(|c| match c {
                Component::Normal(n) => Some(n.to_os_string()),
                Component::ParentDir => Some(OsString::from("..")),
                _ => None,
            })
            .collect()
    };
    let mut todo: VecDeque<OsString> = split(path).into();
    let mut done = PathBuf::new();
    let mut links = 0;
    while let Some(c) = todo.pop_front() {
        if c == ".." {
            done.pop();
            continue;
        }
        let parent = openat2(root, &done.join("."), beneath())?;
        match nix::sys::stat::fstatat(&parent, c.as_os_str(), AtFlags::AT_SYMLINK_NOFOLLOW) {
            Ok(st) if st.st_mode & libc::S_IFMT == libc::S_IFLNK => {
                links += 1;
                if links > 40 {
                    return Err(Errno::ELOOP);
                }
                let target = nix::fcntl::readlinkat(&parent, c.as_os_str())?;
                let target = Path::new(&target);
                if target.is_absolute() {
                    done = PathBuf::new();
                }
                for t in split(target).into_iter().rev() {
                    todo.push_front(t);
                }
            }
            Ok(st) if st.st_mode & libc::S_IFMT == libc::S_IFDIR => done.push(&c),
            Ok(_) => return Err(Errno::ENOTDIR),
            Err(Errno::ENOENT) => {
                match mkdirat(&parent, c.as_os_str(), Mode::from_bits_truncate(mode)) {
                    Ok(()) | Err(Errno::EEXIST) => {}
                    Err(e) => return Err(e),
                }
                todo.push_front(c);
            }
            Err(e) => return Err(e),
        }
    }
    openat2(root, &done.join("."), beneath())
}

/// `path` relative to the container's root, `..` kept (openat2 and `mkdir_all_in_root` stop
/// it at the root).
fn container_rel(p: &Path) -> PathBuf {
    p.components()
        .filter(|c| matches!(c, Component::Normal(_) | Component::ParentDir))
        .collect()
}

/// Create an empty file at `path` inside `root` if nothing is there (parents too); returns an
/// `O_PATH` fd of what is there. A dangling symlink on the way or at the end (an image's
/// `/etc/resolv.conf -> ../run/systemd/resolve/stub-resolv.conf`) is followed as if `root`
/// were `/`, and the file is created where it points, always inside `root`.
pub fn touch_in_root(root: impl AsFd, path: &Path) -> nix::Result<OwnedFd> {
    let root = root.as_fd();
    // Container-absolute, `..` kept: a link's relative target resolves against the link's
    // directory the way the kernel does (through symlinked parents), and stops at `root`.
    let mut path = container_rel(path);
    for _ in 0..40 {
        match openat2(root, &path, in_root(OFlag::O_PATH)) {
            Err(Errno::ENOENT) => {}
            other => return other,
        }
        let name = match path.components().next_back() {
            Some(Component::Normal(n)) => n.to_os_string(),
            _ => return Err(Errno::ENOENT),
        };
        let parent = path.parent().unwrap_or(Path::new("")).to_path_buf();
        let dir = mkdir_all_in_root(root, &parent, 0o755)?;
        let dir = nix::fcntl::openat(&dir, ".", OFlag::O_DIRECTORY | OFlag::O_CLOEXEC, Mode::empty())?;
        let how = OpenHow::new()
            .flags(OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_WRONLY | OFlag::O_CLOEXEC | OFlag::O_NOFOLLOW)
            .mode(Mode::from_bits_truncate(0o644))
            .resolve(ResolveFlag::RESOLVE_BENEATH | ResolveFlag::RESOLVE_NO_SYMLINKS);
        match openat2(&dir, name.as_os_str(), how) {
            Ok(f) => {
                drop(f);
                return nix::fcntl::openat(
                    &dir,
                    name.as_os_str(),
                    OFlag::O_PATH | OFlag::O_CLOEXEC | OFlag::O_NOFOLLOW,
                    Mode::empty(),
                );
            }
            Err(Errno::EEXIST) => {}
            Err(e) => return Err(e),
        }
        // Something is there after all: a dangling symlink. Follow it by hand.
        let target = match nix::fcntl::readlinkat(&dir, name.as_os_str()) {
            Ok(t) => PathBuf::from(t),
            Err(Errno::EINVAL) => continue, // not a link (created meanwhile): open it
            Err(e) => return Err(e),
        };
        let base = if target.is_absolute() { PathBuf::new() } else { parent };
        path = base.join(container_rel(&target));
        if path.as_os_str().is_empty() {
            path = PathBuf::from(".");
        }
    }
    Err(Errno::ELOOP)
}

/// Whether an `O_PATH` fd is a directory.
pub fn is_dir(fd: impl AsFd) -> bool {
    nix::sys::stat::fstat(fd)
        .map(|s| s.st_mode & libc::S_IFMT == libc::S_IFDIR)
        .unwrap_or(false)
}

/// Mount a file system of type `fstype` on the object `target` refers to.
pub fn mount_fs(fstype: &str, target: impl AsFd, flags: MsFlags, data: Option<&str>) -> nix::Result<()> {
    mount(Some(fstype), &fd_path(target), Some(fstype), flags, data)
}

/// Bind-mount `source` (a host path or `/proc/self/fd/N`) onto `target`.
pub fn bind(source: &Path, target: impl AsFd, recursive: bool) -> nix::Result<()> {
    let flags = if recursive {
        MsFlags::MS_BIND | MsFlags::MS_REC
    } else {
        MsFlags::MS_BIND
    };
    mount(Some(source), &fd_path(target), None::<&str>, flags, None::<&str>)
}

/// Make the mount at `target` read-only, keeping the flags the kernel locked on it (a user
/// namespace may not clear nosuid/nodev/noexec it inherited).
pub fn remount_ro(target: impl AsFd) -> nix::Result<()> {
    remount_with(target, MsFlags::MS_RDONLY)
}

/// Remount the bind mount at `target` with `extra` flags (MS_RDONLY, MS_NOEXEC, …) added to
/// those it has (the locked ones of a mount from a parent user namespace must stay).
pub fn remount_with(target: impl AsFd, extra: MsFlags) -> nix::Result<()> {
    let p = fd_path(&target);
    let st = nix::sys::statvfs::fstatvfs(&target)?;
    use nix::sys::statvfs::FsFlags;
    let mut flags = MsFlags::MS_REMOUNT | MsFlags::MS_BIND | extra;
    let f = st.flags();
    for (have, want) in [
        (FsFlags::ST_NOSUID, MsFlags::MS_NOSUID),
        (FsFlags::ST_NODEV, MsFlags::MS_NODEV),
        (FsFlags::ST_NOEXEC, MsFlags::MS_NOEXEC),
        (FsFlags::ST_NOATIME, MsFlags::MS_NOATIME),
        (FsFlags::ST_NODIRATIME, MsFlags::MS_NODIRATIME),
        (FsFlags::ST_RELATIME, MsFlags::MS_RELATIME),
        (FsFlags::ST_RDONLY, MsFlags::MS_RDONLY),
    ] {
        if f.contains(have) {
            flags |= want;
        }
    }
    mount(None::<&str>, &p, None::<&str>, flags, None::<&str>)
}

/// `mount --make-rprivate /`.
pub fn make_rprivate_root() -> nix::Result<()> {
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
}

/// Mount overlay at `target` with `data` (paths in it relative to the current directory).
pub fn mount_overlay(target: &Path, data: &str) -> nix::Result<()> {
    mount(Some("overlay"), target, Some("overlay"), MsFlags::empty(), Some(data))
}

/// Swap the root to the directory `rootfd` refers to and detach the old one.
pub fn pivot_into(rootfd: impl AsFd) -> nix::Result<()> {
    nix::unistd::fchdir(rootfd.as_fd())?;
    nix::unistd::pivot_root(".", ".")?;
    nix::mount::umount2(".", nix::mount::MntFlags::MNT_DETACH)?;
    nix::unistd::chdir("/")
}

/// Create a symlink `name` -> `target` in the directory `dir` (an fd on a fresh tmpfs).
pub fn symlink_at(target: &str, dir: impl AsFd, name: &str) -> nix::Result<()> {
    nix::unistd::symlinkat(target, dir.as_fd(), OsStr::new(name))
}

/// Create an empty regular file `name` in `dir` and return an `O_PATH` fd to it.
pub fn create_file_at(dir: impl AsFd, name: &str) -> nix::Result<OwnedFd> {
    let f = nix::fcntl::openat(
        dir.as_fd(),
        name,
        OFlag::O_CREAT | OFlag::O_WRONLY | OFlag::O_CLOEXEC | OFlag::O_NOFOLLOW,
        Mode::from_bits_truncate(0o644),
    )?;
    drop(f);
    nix::fcntl::openat(
        dir.as_fd(),
        name,
        OFlag::O_PATH | OFlag::O_CLOEXEC | OFlag::O_NOFOLLOW,
        Mode::empty(),
    )
}

/// Create a directory `name` in `dir` and return an `O_PATH` fd to it.
pub fn mkdir_at(dir: impl AsFd, name: &str, mode: u32) -> nix::Result<OwnedFd> {
    match mkdirat(dir.as_fd(), name, Mode::from_bits_truncate(mode)) {
        Ok(()) | Err(Errno::EEXIST) => {}
        Err(e) => return Err(e),
    }
    nix::fcntl::openat(
        dir.as_fd(),
        name,
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC | OFlag::O_NOFOLLOW,
        Mode::empty(),
    )
}

/// Attach on `target` a copy of the mount at `path` as the mount namespace `mntns` sees it (a
/// pod's /dev/shm, which its infra container holds): the calling thread enters that namespace,
/// clones the mount there (`open_tree(OPEN_TREE_CLONE)`: a detached copy, usable from any
/// namespace), comes back to its own (and its working directory) and moves the copy onto
/// `target` (`move_mount`). Needs CAP_SYS_ADMIN in the user namespace owning `mntns`, and a
/// single-threaded caller with a file system context of its own (a container's first process).
pub fn attach_from_namespace(mntns: &Path, path: &Path, target: impl AsFd) -> nix::Result<()> {
    use nix::sched::{setns, CloneFlags};
    let open = |p: &Path| nix::fcntl::open(p, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty());
    let own = open(Path::new("/proc/thread-self/ns/mnt"))?;
    let cwd = open(Path::new("."))?;
    let theirs = open(mntns)?;
    setns(&theirs, CloneFlags::CLONE_NEWNS)?;
    let cpath = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).map_err(|_| Errno::EINVAL)?;
    // SAFETY: a path string that lives across the call; the result is a new fd we own.
    let tree = Errno::result(unsafe {
        libc::syscall(
            libc::SYS_open_tree,
            libc::AT_FDCWD,
            cpath.as_ptr(),
            (libc::OPEN_TREE_CLONE | libc::OPEN_TREE_CLOEXEC) as libc::c_uint,
        )
    })
    .map(|fd| super::fd::adopt_fd(fd as i32));
    // Back home whatever open_tree said (entering our own namespace again cannot be refused).
    setns(&own, CloneFlags::CLONE_NEWNS)?;
    nix::unistd::fchdir(&cwd)?;
    let tree = tree?;
    let empty = c"";
    // SAFETY: valid fds and a static empty path.
    Errno::result(unsafe {
        libc::syscall(
            libc::SYS_move_mount,
            tree.as_raw_fd(),
            empty.as_ptr(),
            target.as_fd().as_raw_fd(),
            empty.as_ptr(),
            libc::MOVE_MOUNT_F_EMPTY_PATH | libc::MOVE_MOUNT_T_EMPTY_PATH,
        )
    })
    .map(drop)
}
