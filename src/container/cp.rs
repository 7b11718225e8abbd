//! `cp`: copy between a container and the host (or a tar stream on stdin/stdout).
//!
//! The container side runs in a forked worker whose root directory *is* the container's root
//! file system, so every path in it (symlinks with absolute targets, `..`) is resolved by the
//! kernel inside the container and can never reach a host path:
//! - running container: the worker joins its user and mount namespaces through its pidfd (as
//!   `exec` does), so it sees what the container sees, volumes included;
//! - stopped container: the worker enters the store's user namespace and a mount namespace of
//!   its own, mounts the container's overlay (its layers and upper directory, as `start` does)
//!   and chroots into it; the kernel does copy-up and whiteouts, exactly as when it runs.
//!
//! Between the worker and hutch goes a tar stream over a pipe; hutch reads and writes host files
//! as the user, never inside the user namespace. Files copied in belong to the container's root,
//! or with `-a` to the ids the host ids map to in the container.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

use crate::error::{Context, Result};
use crate::runtime::state::{self, Status};
use crate::runtime::userns;
use crate::spec::UsernsMode;
use crate::store::containers::ContainerRecord;
use crate::store::Store;

/// One side of a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Side {
    Host(PathBuf),
    /// `-`: a tar stream on stdin (source) or stdout (destination).
    Stream,
    Container {
        name: String,
        path: String,
    },
}

/// `CTR:PATH` when the part before the first `:` is a plain name (no `/`); `-`; else a host path
/// (write `./a:b` for a host file with a colon).
pub fn parse_side(s: &str) -> Side {
    if s == "-" {
        return Side::Stream;
    }
    match s.split_once(':') {
        Some((n, p)) if !n.is_empty() && !n.contains('/') => Side::Container {
            name: n.to_string(),
            path: p.to_string(),
        },
        _ => Side::Host(PathBuf::from(s)),
    }
}

/// What the worker in the container does.
enum Job {
    /// Write `path` as a tar (its top entry named after its last component, or `.` for `DIR/.`:
    /// the directory's contents). Relative paths start at `cwd`, the container's workdir.
    Out { path: String, cwd: String },
    /// Extract the tar into `path`. `top`: the stream's top entry name (none for a stream from
    /// stdin, which must go into an existing directory). `ids`: (container, host, count) maps
    /// to turn host owners into container ones (-a with host files), or `keep` to keep the
    /// stream's owners (-a with a stream), or neither: everything to root.
    In {
        path: String,
        cwd: String,
        top: Option<OsString>,
        owners: Owners,
        overwrite: bool,
        /// The source is a directory (known for a host source): it cannot go onto a file.
        src_dir: bool,
    },
}

#[derive(Clone)]
enum Owners {
    /// The container's user (USER[:GROUP] as in its spec, resolved in its /etc/passwd and
    /// /etc/group; root when empty): Podman's default (`--archive=true`).
    User(String),
    /// Every entry to this uid and gid (the resolved `User`).
    Fixed(u64, u64),
    Keep,
    Map(Vec<(u64, u64, u64)>, Vec<(u64, u64, u64)>),
}

fn map_id(v: &[(u64, u64, u64)], id: u64) -> u64 {
    v.iter()
        .find(|(_, h, n)| id >= *h && id < h + n)
        .map(|(c, h, _)| c + (id - h))
        .unwrap_or(0)
}

/// The path's components, `..` and `.` dropped the way they resolve at the root (the worker's
/// root is the container's, so this only affects the name given to the top entry).
fn last_name(path: &str) -> OsString {
    if path == "." || path.ends_with("/.") {
        return OsString::from(".");
    }
    let mut v: Vec<&OsStr> = Vec::new();
    for c in Path::new(path).components() {
        match c {
            Component::Normal(n) => v.push(n),
            Component::ParentDir => {
                v.pop();
            }
            _ => {}
        }
    }
    v.last()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| OsString::from("."))
}

/// Entry path components, refusing anything that could leave the destination.
fn clean(p: &Path) -> Result<Vec<OsString>> {
    let mut v = Vec::new();
    for c in p.components() {
        match c {
            Component::Normal(n) => v.push(n.to_os_string()),
            Component::CurDir => {}
            _ => crate::bail!("tar entry {} leaves the destination", p.display()),
        }
    }
    Ok(v)
}

/// Extract `input` under `base`, the top entry renamed to `rename` when given. Parents of an
/// entry must be real directories (no symlink on the way, so nothing lands outside `base`).
/// `owners`: None leaves owners alone (host side); Some sets them as told (container side).
/// `overwrite`: a directory may be replaced with a non-directory and the other way round (else
/// Podman's "file exists" error).
fn extract(
    input: impl Read,
    base: &Path,
    rename: Option<(&OsStr, &OsStr)>,
    owners: Option<&Owners>,
    overwrite: bool,
) -> Result<()> {
    // As Podman names them: the container's path, or the path under the host destination.
    let shown = |rel: &Path| -> String {
        if owners.is_some() {
            base.join(rel).display().to_string()
        } else {
            Path::new("/").join(rel).display().to_string()
        }
    };
    let exists = |rel: &Path, what: &str| -> crate::error::Error {
        crate::err!(
            "copying: error creating \"{}\": replacing {what}: file exists (use --overwrite)",
            shown(rel)
        )
    };
    let mut ar = tar::Archive::new(input);
    let rewrite = |p: &Path| -> Result<PathBuf> {
        let mut v = clean(p)?;
        if let (Some((from, to)), Some(first)) = (rename, v.first_mut()) {
            if first == from {
                *first = to.to_os_string();
            }
        }
        Ok(v.iter().collect())
    };
    let mut dir_modes: Vec<(PathBuf, u32)> = Vec::new();
    for e in ar.entries().map_err(|e| crate::err!("reading the tar stream: {e}"))? {
        let mut e = e.map_err(|e| crate::err!("reading the tar stream: {e}"))?;
        let raw = e
            .path()
            .map_err(|x| crate::err!("reading the tar stream: {x}"))?
            .into_owned();
        let rel = rewrite(&raw)?;
        let target = base.join(&rel);
        // No symlink between base and the entry.
        let mut at = base.to_path_buf();
        let n = rel.components().count();
        for (i, c) in rel.components().enumerate() {
            if i + 1 == n {
                break;
            }
            at.push(c);
            match fs::symlink_metadata(&at) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => crate::bail!("{}: not a directory", at.display()),
                Err(_) => fs::create_dir(&at).ctx(|| format!("creating {}", at.display()))?,
            }
        }
        let h = e.header().clone();
        let kind = h.entry_type();
        let mode = h.mode().unwrap_or(0o644) & 0o7777;
        if kind.is_hard_link() {
            let link = e
                .link_name()
                .map_err(|x| crate::err!("reading the tar stream: {x}"))?
                .ok_or_else(|| crate::err!("hard link without a target"))?;
            let src = base.join(rewrite(&link)?);
            let _ = fs::remove_file(&target);
            fs::hard_link(&src, &target).ctx(|| format!("linking {}", target.display()))?;
            continue;
        }
        if kind.is_dir() && target.is_dir() {
            // An existing directory: keep it (its owner too, when it is the destination).
            if !rel.as_os_str().is_empty() {
                dir_modes.push((target.clone(), mode));
            }
        } else {
            e.set_preserve_permissions(true);
            e.set_preserve_mtime(true);
            e.set_unpack_xattrs(false);
            if let Ok(m) = fs::symlink_metadata(&target) {
                if !kind.is_dir() && m.is_dir() {
                    if !overwrite {
                        return Err(exists(&rel, "a directory with a file"));
                    }
                    fs::remove_dir_all(&target).ctx(|| format!("removing {}", target.display()))?;
                } else if kind.is_dir() {
                    // Not a directory (else the branch above): a file or a link.
                    if !overwrite {
                        return Err(exists(&rel, "a file with a directory"));
                    }
                    fs::remove_file(&target).ctx(|| format!("removing {}", target.display()))?;
                } else {
                    let _ = fs::remove_file(&target);
                }
            }
            if kind.is_dir() {
                // Writable until the end, when its own mode is set (a read-only directory
                // would refuse what the stream puts in it).
                fs::create_dir(&target).ctx(|| format!("creating {}", target.display()))?;
                dir_modes.push((target.clone(), mode));
            } else {
                e.unpack(&target)
                    .map_err(|x| crate::err!("writing {}: {x}", target.display()))?;
            }
        }
        if rel.as_os_str().is_empty() {
            continue; // the destination directory itself
        }
        if let Some(o) = owners {
            let (uid, gid) = match o {
                Owners::User(_) => unreachable!("resolved before extracting"),
                Owners::Fixed(u, g) => (*u, *g),
                Owners::Keep => (h.uid().unwrap_or(0), h.gid().unwrap_or(0)),
                Owners::Map(u, g) => (map_id(u, h.uid().unwrap_or(0)), map_id(g, h.gid().unwrap_or(0))),
            };
            std::os::unix::fs::lchown(&target, Some(uid as u32), Some(gid as u32))
                .map_err(|x| crate::err!("setting the owner of {}: {x}", target.display()))?;
            // chown drops setuid/setgid bits: set the mode again.
            if !kind.is_symlink() && !kind.is_dir() {
                fs::set_permissions(&target, fs::Permissions::from_mode(mode))
                    .ctx(|| format!("setting the mode of {}", target.display()))?;
            }
        }
    }
    for (d, m) in dir_modes.into_iter().rev() {
        let _ = fs::set_permissions(&d, fs::Permissions::from_mode(m));
    }
    // Read what follows the end-of-archive blocks (tar's padding to a whole record), so the
    // writer does not meet a closed pipe.
    let _ = std::io::copy(&mut ar.into_inner(), &mut std::io::sink());
    Ok(())
}

/// Write `src` (not following a symlink it is, nor any below it) as a tar named `top`.
fn write_tar(src: &Path, top: &OsStr, out: impl Write) -> Result<()> {
    let mut b = tar::Builder::new(out);
    b.follow_symlinks(false);
    b.mode(tar::HeaderMode::Complete);
    let md = fs::symlink_metadata(src).ctx(|| format!("reading {}", src.display()))?;
    let name = Path::new(top);
    let r = if md.is_dir() {
        b.append_dir_all(name, src)
    } else {
        b.append_path_with_name(src, name)
    };
    r.map_err(|e| crate::err!("copying {}: {e}", src.display()))?;
    b.finish().map_err(|e| crate::err!("writing the tar stream: {e}"))?;
    Ok(())
}

/// A path in the container: relative ones start at `cwd` (the container's workdir, as Podman).
fn in_container(cwd: &str, path: &str) -> PathBuf {
    if path.starts_with('/') {
        PathBuf::from(path)
    } else {
        Path::new("/").join(cwd.trim_start_matches('/')).join(path)
    }
}

/// In the worker (its root is the container's): do the job over `data`. `name`: the container
/// as the user named it, for messages.
fn work(job: &Job, data: OwnedFd, name: &str) -> Result<()> {
    match job {
        Job::Out { path, cwd } => {
            let abs = in_container(cwd, path);
            // Symlinks resolve against the worker's root: the container's.
            // Podman's words: scripts look for "could not be found on container".
            let real = fs::canonicalize(&abs).map_err(|_| {
                crate::err!("\"{path}\" could not be found on container {name}: no such file or directory")
            })?;
            let w = std::io::BufWriter::with_capacity(1 << 20, fs::File::from(data));
            write_tar(&real, &last_name(path), w)
        }
        Job::In {
            path,
            cwd,
            top,
            owners,
            overwrite,
            src_dir,
        } => {
            let mut abs = in_container(cwd, path);
            let owners = match owners {
                Owners::User(u) if u.is_empty() => Owners::Fixed(0, 0),
                Owners::User(u) => {
                    let x = crate::runtime::user::resolve(u, "/etc/passwd", "/etc/group")?;
                    Owners::Fixed(x.uid as u64, x.gid as u64)
                }
                o => o.clone(),
            };
            let input = std::io::BufReader::with_capacity(1 << 20, fs::File::from(data));
            let missing =
                || crate::err!("\"{path}\" could not be found on container {name}: no such file or directory");
            if top.is_none() && !fs::metadata(&abs).map(|m| m.is_dir()).unwrap_or(false) {
                crate::bail!("destination must be a directory when copying from stdin");
            }
            // A destination that is a dangling symbolic link is followed, as Podman does: the
            // file is created where it points (inside the container: the worker's root is its).
            for _ in 0..40 {
                match (fs::symlink_metadata(&abs), fs::metadata(&abs)) {
                    (Ok(l), Err(_)) if l.file_type().is_symlink() && !path.ends_with('/') => {
                        let t = fs::read_link(&abs).map_err(|_| missing())?;
                        abs = abs.parent().unwrap_or(Path::new("/")).join(t);
                    }
                    _ => break,
                }
            }
            match fs::metadata(&abs) {
                Ok(m) if m.is_dir() => extract(input, &abs, None, Some(&owners), *overwrite),
                Ok(_) if *src_dir => crate::bail!("destination must be a directory when copying a directory"),
                _ if path.ends_with('/') => Err(missing()),
                _ => {
                    let parent = abs.parent().unwrap_or(Path::new("/"));
                    let to = last_name(&abs.to_string_lossy());
                    if !fs::metadata(parent).map(|m| m.is_dir()).unwrap_or(false) {
                        return Err(missing());
                    }
                    let from = top.clone().expect("checked");
                    // Resolve the parent now (symlinks inside the container), then extract there.
                    let parent = fs::canonicalize(parent).map_err(|_| missing())?;
                    if from == "." {
                        // DIR/. to a new path: the path becomes a directory with DIR's contents.
                        let d = parent.join(&to);
                        fs::create_dir(&d).ctx(|| format!("creating {}", d.display()))?;
                        return extract(input, &d, None, Some(&owners), *overwrite);
                    }
                    extract(input, &parent, Some((&from, &to)), Some(&owners), *overwrite)
                }
            }
        }
    }
}

/// A stopped container's volumes and bind mounts, mounted on its file system at `merged` as
/// they are when it runs (parents first), so a copy into or out of them reaches them. Mount
/// points are made inside the container's root (symlinks resolved in it), as its start does.
fn mount_volumes(store: &Store, rec: &ContainerRecord, merged: &Path) -> Result<()> {
    use crate::spec::MountKind;
    let mut mounts: Vec<_> = rec
        .spec
        .mounts
        .iter()
        .filter(|m| m.kind != MountKind::Tmpfs && !m.source.is_empty())
        .collect();
    mounts.sort_by_key(|m| Path::new(&m.destination).components().count());
    if mounts.is_empty() {
        return Ok(());
    }
    let root = nix::fcntl::open(
        merged,
        nix::fcntl::OFlag::O_PATH | nix::fcntl::OFlag::O_DIRECTORY | nix::fcntl::OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )
    .map_err(|e| crate::err!("opening the container's root: {}", e.desc()))?;
    for m in mounts {
        let src = match m.kind {
            MountKind::Volume => crate::volume::data_path(store, &m.source),
            _ => PathBuf::from(&m.source),
        };
        let Ok(md) = fs::metadata(&src) else { continue };
        let dest = Path::new(&m.destination);
        // A mount point made here is taken away after the copy (`unmount_volumes`), so a
        // volume mounted inside another does not leave a directory in it.
        let made = crate::sys::mount::open_in_root(&root, dest).is_err();
        let target = if md.is_dir() {
            crate::sys::mount::mkdir_all_in_root(&root, dest, 0o755)
        } else {
            crate::sys::mount::touch_in_root(&root, dest)
        }
        .map_err(|e| crate::err!("making the mount point {}: {}", m.destination, e.desc()))?;
        crate::sys::mount::bind(&src, &target, true)
            .map_err(|e| crate::err!("mounting {} on {}: {}", src.display(), m.destination, e.desc()))?;
        MOUNTED.with(|v| v.borrow_mut().push((PathBuf::from(&m.destination), made)));
    }
    Ok(())
}

thread_local! {
    /// In the worker: the mounts `mount_volumes` made (container path, mount point made by it).
    static MOUNTED: std::cell::RefCell<Vec<(PathBuf, bool)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// In the worker, after the copy (its root is the container's): unmount what `mount_volumes`
/// mounted, innermost first, and remove the mount points it made.
fn unmount_volumes() {
    let v = MOUNTED.with(|v| std::mem::take(&mut *v.borrow_mut()));
    for (dest, made) in v.into_iter().rev() {
        let _ = nix::mount::umount2(&dest, nix::mount::MntFlags::MNT_DETACH);
        if made {
            let _ = fs::remove_dir(&dest).or_else(|_| fs::remove_file(&dest));
        }
    }
}

/// Make the worker's root the container's root file system.
/// `keep_id_lowers`: a stopped keep-id container's lower dirs (bottom first), mounted in a user
/// namespace mapped as the container's.
pub(crate) fn enter_container(
    store: &Store,
    rec: &ContainerRecord,
    pidfd: Option<&OwnedFd>,
    keep_id_lowers: Option<&[String]>,
) -> Result<()> {
    enter(store, rec, pidfd, keep_id_lowers, false)
}

/// `enter_container`; `volumes`: a stopped container's volumes and bind mounts are mounted
/// too (`cp`), as when it runs.
fn enter(
    store: &Store,
    rec: &ContainerRecord,
    pidfd: Option<&OwnedFd>,
    keep_id_lowers: Option<&[String]>,
    volumes: bool,
) -> Result<()> {
    use nix::sched::CloneFlags as F;
    match pidfd {
        Some(fd) => {
            let mut flags = F::CLONE_NEWNS;
            if userns::plan().needs_userns() {
                flags |= F::CLONE_NEWUSER;
            }
            nix::sched::setns(fd.as_fd(), flags)
                .map_err(|e| crate::err!("joining the container's namespaces: {}", e.desc()))?;
            // In a --uidmap container that leaves your id out, we are no id of its own (the
            // overflow id), which no file can be created as: become its root (the files are
            // chowned afterwards).
            if !rec.spec.uidmap.is_empty() && nix::unistd::getuid().as_raw() != 0 {
                let root = (nix::unistd::Gid::from_raw(0), nix::unistd::Uid::from_raw(0));
                let _ = nix::unistd::setresgid(root.0, root.0, root.0);
                let _ = nix::unistd::setresuid(root.1, root.1, root.1);
            }
        }
        None => {
            match keep_id_lowers {
                Some(_) => userns::enter_keep_id()?,
                None => {
                    userns::enter()?;
                }
            }
            nix::sched::unshare(F::CLONE_NEWNS).map_err(|e| crate::err!("creating a mount namespace: {}", e.desc()))?;
            crate::sys::mount::make_rprivate_root().map_err(|e| crate::err!("making mounts private: {}", e.desc()))?;
            nix::unistd::chdir(store.base()).ctx(|| format!("entering {}", store.base().display()))?;
            let cdir = format!("containers/{}", rec.id);
            let mut lower: Vec<String> = match keep_id_lowers {
                Some(l) => l.iter().rev().cloned().collect(),
                None => rec.layers.iter().rev().map(|l| Store::layer_rel(l)).collect(),
            };
            crate::container::dedup_layers(&mut lower);
            let data = format!(
                "lowerdir={},upperdir={cdir}/upper,workdir={cdir}/work,userxattr",
                lower.join(":")
            );
            crate::sys::mount::mount_overlay(Path::new(&format!("{cdir}/merged")), &data).map_err(|e| {
                crate::err!(
                    "mounting the file system of container {} to copy: {} (start the container and copy again)",
                    rec.name,
                    e.desc()
                )
            })?;
            if volumes {
                mount_volumes(store, rec, Path::new(&format!("{cdir}/merged")))?;
            }
            nix::unistd::chroot(format!("{cdir}/merged").as_str())
                .map_err(|e| crate::err!("entering the container's root: {}", e.desc()))?;
        }
    }
    nix::unistd::chdir("/").map_err(|e| crate::err!("entering the container's root: {}", e.desc()))?;
    Ok(())
}

/// A container opened for copying: a pidfd when it runs (the worker joins it), else for a
/// keep-id container its re-owned layers (made at its first start, or now), so the worker can
/// mount its file system as the container sees it.
struct Opened {
    rec: ContainerRecord,
    /// As the user named it, for messages.
    name: String,
    pidfd: Option<OwnedFd>,
    keep_id_lowers: Option<Vec<String>>,
}

/// `into`: something is to be copied into it.
fn open_container(store: &Store, name: &str, into: bool) -> Result<Opened> {
    let idx = store.load_containers()?;
    let rec = idx.containers[idx.resolve(name)?].clone();
    let (st, _, live) = state::status(store, &rec);
    let pidfd = match st {
        Status::Running { .. } => live.as_ref().and_then(state::open_process),
        _ => None,
    };
    if pidfd.is_none() && into && rec.spec.id_map_copy() {
        crate::bail!(
            "copying into stopped container {} (made with --uidmap/--gidmap) is not supported: start it first",
            rec.name
        );
    }
    let keep_id_lowers = if pidfd.is_none() && rec.spec.keep_id_copy() {
        Some(crate::container::prepare_keep_id(store, &rec, &userns::plan())?)
    } else {
        None
    };
    Ok(Opened {
        rec,
        name: name.to_string(),
        pidfd,
        keep_id_lowers,
    })
}

/// Fork a worker whose root is the container's, doing `job` over `data`; `close`: descriptors
/// the worker must not keep (the other ends of its pipes). Returns its pid and the read end of
/// its error channel, for `finish`.
fn spawn_worker(store: &Store, c: &Opened, job: &Job, data: OwnedFd, close: &[&OwnedFd]) -> Result<(i32, OwnedFd)> {
    use std::os::fd::AsRawFd;
    let (err_r, err_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| crate::err!("pipe: {e}"))?;
    match crate::sys::process::fork_tied().map_err(|e| crate::err!("fork: {e}"))? {
        None => {
            for fd in close {
                let _ = nix::unistd::close(fd.as_raw_fd());
            }
            drop(err_r);
            let r = enter(store, &c.rec, c.pidfd.as_ref(), c.keep_id_lowers.as_deref(), true)
                .and_then(|_| work(job, data, &c.name));
            unmount_volumes();
            let code = match r {
                Ok(()) => 0,
                Err(e) => {
                    let _ = nix::unistd::write(&err_w, e.message.as_bytes());
                    1
                }
            };
            crate::sys::process::exit_now(code)
        }
        Some(pid) => Ok((pid, err_r)),
    }
}

/// A tar stream from stdin (plain, gzip or zstd, as Podman detects) to the worker, checked to be
/// a tar before anything is sent.
fn send_stdin(mut w: fs::File) -> Result<()> {
    let stdin = std::io::stdin();
    let mut r = crate::archive::decompress(stdin.lock()).map_err(|e| crate::err!("reading stdin: {e}"))?;
    let mut head = vec![0u8; 512];
    let mut n = 0;
    while n < head.len() {
        match r.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(_) => crate::bail!("source must be a (compressed) tar archive when copying from stdin"),
        }
    }
    let is_tar = n == 512 && (&head[257..262] == b"ustar" || tar_checksum_ok(&head));
    if !is_tar {
        crate::bail!("source must be a (compressed) tar archive when copying from stdin");
    }
    w.write_all(&head)
        .and_then(|_| std::io::copy(&mut r, &mut w).map(drop))
        .map_err(|e| crate::err!("sending the tar stream: {e}"))
}

/// A tar header's checksum (old tars have no ustar magic).
fn tar_checksum_ok(h: &[u8]) -> bool {
    let want = std::str::from_utf8(&h[148..156])
        .ok()
        .and_then(|x| u32::from_str_radix(x.trim_matches(|c: char| c == '\0' || c == ' '), 8).ok());
    let sum: u32 = h
        .iter()
        .enumerate()
        .map(|(i, &b)| if (148..156).contains(&i) { 32 } else { b as u32 })
        .sum();
    want == Some(sum)
}

/// Wait for a worker; its error message when it failed.
fn finish(pid: i32, err_r: OwnedFd) -> Result<()> {
    crate::sys::process::reap_worker(pid, &err_r)
        .map_err(|f| crate::err!("{}", f.message_or(|st| format!("copying: the worker failed ({st})"))))
}

/// How `cp` copies.
pub struct CpOptions {
    /// Podman's `--archive` (see `cp`).
    pub chown: bool,
    /// Replace a directory with a file and the other way round.
    pub overwrite: bool,
    /// SIGSTOP a running container's main process meanwhile.
    pub pause: bool,
}

/// Copy `src` to `dst`. `chown` (Podman's `--archive`, the default): what is copied into a
/// container belongs to the container's user (its USER, root when none); without it owners are
/// kept: a host file's mapped through the container's id map, a stream's or another
/// container's as they are.
pub fn cp(src: &str, dst: &str, opts: &CpOptions) -> Result<()> {
    let chown = opts.chown;
    let (s, d) = (parse_side(src), parse_side(dst));
    if s == Side::Stream && d == Side::Stream {
        crate::bail!("SRC and DEST cannot both be -");
    }
    if !matches!(s, Side::Container { .. }) && !matches!(d, Side::Container { .. }) {
        crate::bail!("one of SRC and DEST must be CONTAINER:PATH");
    }
    let store = Store::open()?;
    let in_owners = |c: &Opened, from_host: bool| {
        if chown {
            Owners::User(c.rec.spec.user.clone())
        } else if from_host {
            let plan = userns::plan();
            let (u, g) = match crate::container::custom_id_map(&c.rec.spec, &plan) {
                Ok(Some((u, g))) => (u, g),
                _ => userns::map_triples(&plan, c.rec.spec.userns == UsernsMode::KeepId),
            };
            Owners::Map(u, g)
        } else {
            Owners::Keep
        }
    };

    // Container to container: one worker in each, a tar stream between them.
    if let (Side::Container { name: a, path: pa }, Side::Container { name: b, path: pb }) = (&s, &d) {
        let (ca, cb) = (open_container(&store, a, false)?, open_container(&store, b, true)?);
        let out = Job::Out {
            path: pa.clone(),
            cwd: ca.rec.spec.workdir.clone(),
        };
        let inn = Job::In {
            path: pb.clone(),
            cwd: cb.rec.spec.workdir.clone(),
            top: Some(last_name(pa)),
            owners: in_owners(&cb, false),
            overwrite: opts.overwrite,
            src_dir: false,
        };
        // `--pause`: the main processes stopped until these are dropped.
        let _pa = if opts.pause && ca.pidfd.is_some() {
            crate::container::pause_main(&store, &ca.rec)?
        } else {
            None
        };
        let _pb = if opts.pause && cb.pidfd.is_some() && cb.rec.id != ca.rec.id {
            crate::container::pause_main(&store, &cb.rec)?
        } else {
            None
        };
        let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| crate::err!("pipe: {e}"))?;
        let wa = spawn_worker(
            &store,
            &ca,
            &out,
            w.try_clone().map_err(|e| crate::err!("dup: {e}"))?,
            &[&r],
        )?;
        drop(w);
        let wb = spawn_worker(&store, &cb, &inn, r, &[])?;
        let ra = finish(wa.0, wa.1);
        let rb = finish(wb.0, wb.1);
        return ra.and(rb);
    }

    let job_in = matches!(d, Side::Container { .. });
    let ctr = match (&s, &d) {
        (Side::Container { name, .. }, _) | (_, Side::Container { name, .. }) => name.clone(),
        _ => unreachable!(),
    };
    let c = open_container(&store, &ctr, job_in)?;
    // `--pause`: the main process stopped until this is dropped.
    let _paused = if opts.pause && c.pidfd.is_some() {
        crate::container::pause_main(&store, &c.rec)?
    } else {
        None
    };

    // Host side checks first, before any worker starts.
    let (job, host_src, host_dst) = if job_in {
        let Side::Container { path, .. } = &d else {
            unreachable!()
        };
        let (top, owners, host_src) = match &s {
            Side::Stream => (None, in_owners(&c, false), None),
            Side::Host(p) => {
                if fs::symlink_metadata(p).is_err() {
                    crate::bail!("\"{}\" could not be found on the host", p.display());
                }
                (
                    Some(last_name(&p.to_string_lossy())),
                    in_owners(&c, true),
                    Some(p.clone()),
                )
            }
            Side::Container { .. } => unreachable!(),
        };
        (
            Job::In {
                path: path.clone(),
                cwd: c.rec.spec.workdir.clone(),
                top,
                owners,
                overwrite: opts.overwrite,
                src_dir: host_src.as_ref().is_some_and(|p| p.is_dir()),
            },
            host_src,
            None,
        )
    } else {
        let Side::Container { path, .. } = &s else {
            unreachable!()
        };
        let host_dst = match &d {
            Side::Host(p) => {
                let parent = p
                    .parent()
                    .filter(|x| !x.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                if !p.is_dir() && !parent.is_dir() {
                    crate::bail!(
                        "\"{}\" could not be found on the host: no such directory",
                        parent.display()
                    );
                }
                if let Ok(m) = fs::metadata(p) {
                    if !m.is_dir() && !m.is_file() {
                        crate::bail!(
                            "invalid destination: \"{}\" must be a directory or a regular file",
                            p.display()
                        );
                    }
                }
                Some(p.clone())
            }
            _ => None,
        };
        (
            Job::Out {
                path: path.clone(),
                cwd: c.rec.spec.workdir.clone(),
            },
            None,
            host_dst,
        )
    };

    let (data_r, data_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| crate::err!("pipe: {e}"))?;
    let (pid, err_r) = if job_in {
        spawn_worker(
            &store,
            &c,
            &job,
            data_r.try_clone().map_err(|e| crate::err!("dup: {e}"))?,
            &[&data_w],
        )?
    } else {
        spawn_worker(
            &store,
            &c,
            &job,
            data_w.try_clone().map_err(|e| crate::err!("dup: {e}"))?,
            &[&data_r],
        )?
    };
    // A cp killed here takes its worker with it (fork_tied), mid-copy.
    crate::fault::point("after:start-cp-worker");
    let mine = if job_in {
        drop(data_r);
        let w = fs::File::from(data_w);
        match &host_src {
            Some(p) => write_tar(
                p,
                &last_name(&p.to_string_lossy()),
                std::io::BufWriter::with_capacity(1 << 20, w),
            ),
            None => send_stdin(w),
        }
    } else {
        drop(data_w);
        let r = std::io::BufReader::with_capacity(1 << 20, fs::File::from(data_r));
        match &host_dst {
            None => {
                let mut r = r;
                let stdout = std::io::stdout();
                let mut o = stdout.lock();
                std::io::copy(&mut r, &mut o)
                    .map(drop)
                    .and_then(|_| o.flush())
                    .map_err(|e| crate::err!("writing the tar stream: {e}"))
            }
            Some(p) => {
                let Side::Container { path, .. } = &s else {
                    unreachable!()
                };
                let top = last_name(path);
                // The first header says whether the source is a directory: one cannot go onto
                // an existing file.
                let mut r = r;
                let mut head = Vec::with_capacity(512);
                let _ = (&mut r).take(512).read_to_end(&mut head);
                let src_dir = head.len() == 512 && head[156] == b'5';
                let r = std::io::Cursor::new(head).chain(r);
                if src_dir && p.exists() && !p.is_dir() {
                    // Read the rest, so the worker is not stopped by a closed pipe.
                    let _ = std::io::copy(&mut { r }, &mut std::io::sink());
                    finish(pid, err_r)?;
                    crate::bail!("destination must be a directory when copying a directory");
                }
                if p.is_dir() {
                    extract(r, p, None, None, opts.overwrite)
                } else if top == "." {
                    // DIR/. to a new path: a directory with DIR's contents.
                    fs::create_dir(p)
                        .ctx(|| format!("creating {}", p.display()))
                        .and_then(|_| extract(r, p, None, None, opts.overwrite))
                } else {
                    let parent = p
                        .parent()
                        .filter(|x| !x.as_os_str().is_empty())
                        .unwrap_or(Path::new("."));
                    let to = p.file_name().map(|n| n.to_os_string()).unwrap_or_else(|| top.clone());
                    extract(r, parent, Some((&top, &to)), None, opts.overwrite)
                }
            }
        }
    };
    finish(pid, err_r)?;
    mine
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sides() {
        assert_eq!(
            parse_side("web:/etc"),
            Side::Container {
                name: "web".into(),
                path: "/etc".into()
            }
        );
        assert_eq!(parse_side("-"), Side::Stream);
        assert_eq!(parse_side("./a:b"), Side::Host("./a:b".into()));
        assert_eq!(parse_side("/x/y"), Side::Host("/x/y".into()));
        assert_eq!(last_name("/a/b/../c/"), "c");
        assert_eq!(last_name("/../.."), ".");
        assert_eq!(map_id(&[(0, 1000, 1), (1, 100000, 65536)], 100999), 1000);
        assert_eq!(map_id(&[(0, 1000, 1)], 1000), 0);
    }
}
