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
    /// Write `path` as a tar (its top entry named after its last component).
    Out { path: String },
    /// Extract the tar into `path`. `top`: the stream's top entry name (none for a stream from
    /// stdin, which must go into an existing directory). `ids`: (container, host, count) maps
    /// to turn host owners into container ones (-a with host files), or `keep` to keep the
    /// stream's owners (-a with a stream), or neither: everything to root.
    In {
        path: String,
        top: Option<OsString>,
        owners: Owners,
    },
}

#[derive(Clone)]
enum Owners {
    Root,
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
fn extract(input: impl Read, base: &Path, rename: Option<(&OsStr, &OsStr)>, owners: Option<&Owners>) -> Result<()> {
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
            if !kind.is_dir() {
                if let Ok(m) = fs::symlink_metadata(&target) {
                    if m.is_dir() {
                        crate::bail!("cannot overwrite directory {} with a non-directory", target.display());
                    }
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
                Owners::Root => (0, 0),
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

/// In the worker (its root is the container's): do the job over `data`.
fn work(job: &Job, data: OwnedFd) -> Result<()> {
    match job {
        Job::Out { path } => {
            let abs = Path::new("/").join(path);
            // Symlinks resolve against the worker's root: the container's.
            // Podman's words: scripts look for "could not be found on container".
            let real = fs::canonicalize(&abs)
                .map_err(|_| crate::err!("\"{path}\" could not be found on container: no such file or directory"))?;
            let w = std::io::BufWriter::with_capacity(1 << 20, fs::File::from(data));
            write_tar(&real, &last_name(path), w)
        }
        Job::In { path, top, owners } => {
            let abs = Path::new("/").join(path);
            let input = std::io::BufReader::with_capacity(1 << 20, fs::File::from(data));
            match fs::metadata(&abs) {
                Ok(m) if m.is_dir() => extract(input, &abs, None, Some(owners)),
                _ if path.ends_with('/') || top.is_none() => crate::bail!("{path}: no such directory in the container"),
                _ => {
                    let parent = abs.parent().unwrap_or(Path::new("/"));
                    let to = last_name(path);
                    if !fs::metadata(parent).map(|m| m.is_dir()).unwrap_or(false) {
                        crate::bail!("{}: no such directory in the container", parent.display());
                    }
                    let from = top.clone().expect("checked");
                    // Resolve the parent now (symlinks inside the container), then extract there.
                    let parent = fs::canonicalize(parent)
                        .ctx(|| format!("{}: no such directory in the container", parent.display()))?;
                    extract(input, &parent, Some((&from, &to)), Some(owners))
                }
            }
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
    use nix::sched::CloneFlags as F;
    match pidfd {
        Some(fd) => {
            let mut flags = F::CLONE_NEWNS;
            if userns::plan().needs_userns() {
                flags |= F::CLONE_NEWUSER;
            }
            nix::sched::setns(fd.as_fd(), flags)
                .map_err(|e| crate::err!("joining the container's namespaces: {}", e.desc()))?;
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
            nix::unistd::chroot(format!("{cdir}/merged").as_str())
                .map_err(|e| crate::err!("entering the container's root: {}", e.desc()))?;
        }
    }
    nix::unistd::chdir("/").map_err(|e| crate::err!("entering the container's root: {}", e.desc()))?;
    Ok(())
}

/// Copy `src` to `dst`; `archive`: keep owners (mapped) rather than the container's root.
pub fn cp(src: &str, dst: &str, archive: bool) -> Result<()> {
    let (s, d) = (parse_side(src), parse_side(dst));
    let (ctr, job_in) = match (&s, &d) {
        (Side::Container { .. }, Side::Container { .. }) => {
            crate::bail!("copying between containers is not supported: copy to the host first")
        }
        (Side::Container { name, .. }, _) => (name.clone(), false),
        (_, Side::Container { name, .. }) => (name.clone(), true),
        _ => crate::bail!("one of SRC and DEST must be CONTAINER:PATH"),
    };
    if s == Side::Stream && d == Side::Stream {
        crate::bail!("SRC and DEST cannot both be -");
    }
    let store = Store::open()?;
    let idx = store.load_containers()?;
    let rec = idx.containers[idx.resolve(&ctr)?].clone();
    let (st, _, live) = state::status(&store, &rec);
    let pidfd = match st {
        Status::Running { .. } => live.as_ref().and_then(state::open_process),
        _ => None,
    };
    // A stopped keep-id container: its re-owned layers (made at its first start, or now), so
    // the worker can mount its file system as the container sees it.
    let keep_id_lowers = if pidfd.is_none() && rec.spec.userns == UsernsMode::KeepId {
        Some(crate::container::prepare_keep_id(&store, &rec, &userns::plan())?)
    } else {
        None
    };

    // Host side checks first, before any worker starts.
    let (job, host_src, host_dst) = if job_in {
        let Side::Container { path, .. } = &d else {
            unreachable!()
        };
        let (top, owners, host_src) = match &s {
            Side::Stream => (None, if archive { Owners::Keep } else { Owners::Root }, None),
            Side::Host(p) => {
                fs::symlink_metadata(p).ctx(|| format!("{}", p.display()))?;
                let owners = if archive {
                    let (u, g) = userns::map_triples(&userns::plan(), rec.spec.userns == UsernsMode::KeepId);
                    Owners::Map(u, g)
                } else {
                    Owners::Root
                };
                (Some(last_name(&p.to_string_lossy())), owners, Some(p.clone()))
            }
            Side::Container { .. } => unreachable!(),
        };
        (
            Job::In {
                path: path.clone(),
                top,
                owners,
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
                    crate::bail!("{}: no such directory", parent.display());
                }
                Some(p.clone())
            }
            _ => None,
        };
        (Job::Out { path: path.clone() }, None, host_dst)
    };

    let (data_r, data_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| crate::err!("pipe: {e}"))?;
    let (err_r, err_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| crate::err!("pipe: {e}"))?;
    let pid = match crate::sys::process::fork().map_err(|e| crate::err!("fork: {e}"))? {
        None => {
            drop(err_r);
            let data = if job_in {
                drop(data_w);
                data_r
            } else {
                drop(data_r);
                data_w
            };
            let code = match enter_container(&store, &rec, pidfd.as_ref(), keep_id_lowers.as_deref())
                .and_then(|_| work(&job, data))
            {
                Ok(()) => 0,
                Err(e) => {
                    let _ = nix::unistd::write(&err_w, e.message.as_bytes());
                    1
                }
            };
            crate::sys::process::exit_now(code)
        }
        Some(pid) => pid,
    };
    drop(err_w);
    let mine = if job_in {
        drop(data_r);
        let w = fs::File::from(data_w);
        match (&host_src, &s) {
            (Some(p), _) => write_tar(
                p,
                &last_name(&p.to_string_lossy()),
                std::io::BufWriter::with_capacity(1 << 20, w),
            ),
            (None, _) => std::io::copy(&mut std::io::stdin().lock(), &mut { w })
                .map(drop)
                .map_err(|e| crate::err!("sending the tar stream: {e}")),
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
                if p.is_dir() {
                    extract(r, p, None, None)
                } else {
                    let parent = p
                        .parent()
                        .filter(|x| !x.as_os_str().is_empty())
                        .unwrap_or(Path::new("."));
                    let to = p.file_name().map(|n| n.to_os_string()).unwrap_or_else(|| top.clone());
                    extract(r, parent, Some((&top, &to)), None)
                }
            }
        }
    };
    let msg = crate::sys::fd::read_to_eof(&err_r);
    let st = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(pid), None);
    if !matches!(st, Ok(nix::sys::wait::WaitStatus::Exited(_, 0))) {
        let m = String::from_utf8_lossy(&msg);
        crate::bail!(
            "{}",
            if m.is_empty() {
                format!("copying: the worker failed ({st:?})")
            } else {
                m.into_owned()
            }
        );
    }
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
