//! The build's work inside the store's user namespace, each in a forked worker so the builder
//! itself stays in the host's namespaces (it starts RUN containers): copying a stream into a
//! step container's root (mounted as `cp` mounts a stopped container, the worker chrooted into
//! it, so destinations and `--chown` names resolve inside the image), reading files out of an
//! earlier stage's root (`COPY --from`), and turning a step container's upper directory into a
//! stored layer (as `commit` does, minus the mount points the runtime created).

use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::archive::{self, Ownership};
use crate::error::{Context, Result};
use crate::runtime::userns;
use crate::store::containers::ContainerRecord;
use crate::store::Store;

/// Where a COPY stream goes in the container.
pub struct Dest {
    /// Container-absolute destination.
    pub path: String,
    /// The destination is a directory (created when missing); else a single file's name, or
    /// an existing directory.
    pub dir: bool,
    /// `--chown=USER[:GROUP]`, resolved with the image's /etc/passwd and /etc/group.
    pub chown: Option<String>,
    /// Keep the stream's owners (COPY --from, ADD of an archive) when there is no --chown.
    pub keep_owners: bool,
}

/// Fork a worker that runs `job` in the container's mounted root (chrooted), fed by `feed`
/// writing into the pipe. The worker's error comes back.
fn in_container_root(
    store: &Store,
    rec: &ContainerRecord,
    job: impl FnOnce(fs::File) -> Result<()>,
    feed: impl FnOnce(fs::File) -> Result<()>,
    to_worker: bool,
) -> Result<()> {
    let (data_r, data_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| crate::err!("pipe: {e}"))?;
    let (err_r, err_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| crate::err!("pipe: {e}"))?;
    let pid = match crate::sys::process::fork().map_err(|e| crate::err!("fork: {e}"))? {
        None => {
            drop(err_r);
            let data = if to_worker {
                drop(data_w);
                data_r
            } else {
                drop(data_r);
                data_w
            };
            nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o022));
            let code = match enter_root(store, rec).and_then(|_| job(fs::File::from(data))) {
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
    let mine = if to_worker {
        drop(data_r);
        feed(fs::File::from(data_w))
    } else {
        drop(data_w);
        feed(fs::File::from(data_r))
    };
    let msg = crate::sys::fd::read_to_eof(&err_r);
    let st = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(pid), None);
    if !matches!(st, Ok(nix::sys::wait::WaitStatus::Exited(_, 0))) {
        let m = String::from_utf8_lossy(&msg);
        crate::bail!(
            "{}",
            if m.is_empty() {
                format!("the copy worker failed ({st:?})")
            } else {
                m.into_owned()
            }
        );
    }
    mine
}

/// Make this (forked) worker's root the container's root file system: its overlay mounted as
/// `cp` mounts a stopped container's, or, for an image with no layer yet (`FROM scratch`), its
/// upper directory itself.
fn enter_root(store: &Store, rec: &ContainerRecord) -> Result<()> {
    if !rec.layers.is_empty() {
        return crate::container::cp::enter_container(store, rec, None, None);
    }
    userns::enter()?;
    let upper = store.container_dir(&rec.id).join("upper");
    nix::unistd::chroot(&upper).map_err(|e| crate::err!("entering {}: {}", upper.display(), e.desc()))?;
    nix::unistd::chdir("/").map_err(|e| crate::err!("entering the image's root: {}", e.desc()))?;
    Ok(())
}

/// `name` or number in an /etc/passwd- or /etc/group-style file: (id, primary gid).
fn lookup(file: &str, name: &str) -> Option<(u32, u32)> {
    let text = fs::read_to_string(file).ok()?;
    for l in text.lines() {
        let f: Vec<&str> = l.split(':').collect();
        if f.len() >= 3 && f[0] == name {
            let id = f[2].parse().ok()?;
            let g = f.get(3).and_then(|g| g.parse().ok()).unwrap_or(id);
            return Some((id, g));
        }
    }
    None
}

/// `USER[:GROUP]` -> ids, names looked up in the (chrooted) image's files.
fn resolve_chown(spec: &str) -> Result<(u32, u32)> {
    let (u, g) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let (uid, primary) = match u.parse::<u32>() {
        Ok(n) => (n, n),
        Err(_) => lookup("/etc/passwd", u)
            .ok_or_else(|| crate::err!("--chown={spec}: no user {u} in the image's /etc/passwd"))?,
    };
    let gid = match g {
        None => primary,
        Some(g) => match g.parse::<u32>() {
            Ok(n) => n,
            Err(_) => {
                lookup("/etc/group", g)
                    .ok_or_else(|| crate::err!("--chown={spec}: no group {g} in the image's /etc/group"))?
                    .0
            }
        },
    };
    Ok((uid, gid))
}

/// In the worker: extract the stream at `dest`.
fn extract(input: impl Read, dest: &Dest) -> Result<()> {
    let owner = dest.chown.as_deref().map(resolve_chown).transpose()?;
    let abs = PathBuf::from(&dest.path);
    // Missing directories on the way are created 0755, owned by --chown's ids (else root), as
    // buildah does.
    let mk = |p: &Path| -> Result<()> {
        let mut missing = Vec::new();
        let mut cur = Some(p);
        while let Some(c) = cur {
            if fs::metadata(c).is_ok() {
                break;
            }
            missing.push(c.to_path_buf());
            cur = c.parent();
        }
        fs::create_dir_all(p).ctx(|| format!("creating {} in the image", p.display()))?;
        if let Some((u, g)) = owner {
            for m in missing {
                std::os::unix::fs::lchown(&m, Some(u), Some(g))
                    .ctx(|| format!("setting the owner of {}", m.display()))?;
            }
        }
        Ok(())
    };
    let (base, rename) = if dest.dir || dest.path.ends_with('/') {
        mk(&abs)?;
        (abs.clone(), None)
    } else if fs::metadata(&abs).map(|m| m.is_dir()).unwrap_or(false) {
        (abs.clone(), None)
    } else {
        let parent = abs.parent().unwrap_or(Path::new("/")).to_path_buf();
        mk(&parent)?;
        (parent, abs.file_name().map(|n| n.to_os_string()))
    };
    let base = fs::canonicalize(&base).ctx(|| format!("resolving {} in the image", base.display()))?;
    let mut ar = tar::Archive::new(input);
    let mut dirs: Vec<(PathBuf, u32)> = Vec::new();
    for e in ar.entries().map_err(|e| crate::err!("reading the copy stream: {e}"))? {
        let mut e = e.map_err(|e| crate::err!("reading the copy stream: {e}"))?;
        let raw = e
            .path()
            .map_err(|x| crate::err!("reading the copy stream: {x}"))?
            .into_owned();
        let mut rel = PathBuf::new();
        for (i, c) in raw.components().enumerate() {
            match c {
                std::path::Component::Normal(n) => {
                    if i == 0 {
                        if let Some(r) = &rename {
                            rel.push(r);
                            continue;
                        }
                    }
                    rel.push(n)
                }
                std::path::Component::CurDir => {}
                _ => crate::bail!("copy stream entry {} leaves the destination", raw.display()),
            }
        }
        if rel.as_os_str().is_empty() {
            // The stream's own root (an archive's `./`): the destination directory takes its
            // owner and mode.
            let h = e.header();
            if h.entry_type().is_dir() && dest.keep_owners {
                let (uid, gid) = owner.unwrap_or((h.uid().unwrap_or(0) as u32, h.gid().unwrap_or(0) as u32));
                std::os::unix::fs::lchown(&base, Some(uid), Some(gid))
                    .ctx(|| format!("setting the owner of {}", base.display()))?;
                dirs.push((base.clone(), h.mode().unwrap_or(0o755) & 0o7777));
            }
            continue;
        }
        let target = base.join(&rel);
        if let Some(p) = target.parent() {
            if !p.is_dir() {
                mk(p)?;
            }
        }
        let h = e.header().clone();
        let kind = h.entry_type();
        let mode = h.mode().unwrap_or(0o644) & 0o7777;
        let (uid, gid) = owner.unwrap_or(if dest.keep_owners {
            (h.uid().unwrap_or(0) as u32, h.gid().unwrap_or(0) as u32)
        } else {
            (0, 0)
        });
        let existing = fs::symlink_metadata(&target).ok();
        if kind.is_dir() {
            match existing {
                Some(m) if m.is_dir() => {}
                Some(_) => {
                    fs::remove_file(&target).ctx(|| format!("replacing {}", target.display()))?;
                    fs::create_dir(&target).ctx(|| format!("creating {}", target.display()))?;
                }
                None => fs::create_dir(&target).ctx(|| format!("creating {}", target.display()))?,
            }
            dirs.push((target.clone(), mode));
        } else {
            if let Some(m) = existing {
                if m.is_dir() {
                    crate::bail!("cannot replace directory {} with a file", rel.display());
                }
                fs::remove_file(&target).ctx(|| format!("replacing {}", target.display()))?;
            }
            if kind.is_hard_link() {
                let link = e
                    .link_name()
                    .map_err(|x| crate::err!("reading the copy stream: {x}"))?
                    .ok_or_else(|| crate::err!("hard link without a target"))?;
                let mut lrel = PathBuf::new();
                for (i, c) in link.components().enumerate() {
                    if let std::path::Component::Normal(n) = c {
                        match (&rename, i) {
                            (Some(r), 0) => lrel.push(r),
                            _ => lrel.push(n),
                        }
                    }
                }
                fs::hard_link(base.join(&lrel), &target).ctx(|| format!("linking {}", target.display()))?;
                continue;
            }
            e.set_preserve_permissions(true);
            e.set_preserve_mtime(true);
            e.set_unpack_xattrs(false);
            e.unpack(&target)
                .map_err(|x| crate::err!("writing {}: {x}", target.display()))?;
        }
        std::os::unix::fs::lchown(&target, Some(uid), Some(gid))
            .map_err(|x| crate::err!("setting the owner of {}: {x}", target.display()))?;
        if !kind.is_symlink() && !kind.is_dir() {
            fs::set_permissions(&target, fs::Permissions::from_mode(mode))
                .ctx(|| format!("setting the mode of {}", target.display()))?;
        }
    }
    for (d, m) in dirs.into_iter().rev() {
        fs::set_permissions(&d, fs::Permissions::from_mode(m))
            .ctx(|| format!("setting the mode of {}", d.display()))?;
    }
    Ok(())
}

/// Copy the tar that `feed` writes into container `rec`'s root at `dest`.
pub fn copy_in(
    store: &Store,
    rec: &ContainerRecord,
    dest: &Dest,
    feed: impl FnOnce(fs::File) -> Result<()>,
) -> Result<()> {
    in_container_root(
        store,
        rec,
        |data| {
            let mut r = std::io::BufReader::with_capacity(1 << 20, data);
            let res = extract(&mut r, dest);
            // Read what is left so the sender never meets a closed pipe.
            let _ = std::io::copy(&mut r, &mut std::io::sink());
            res
        },
        |w| {
            let r = feed(w);
            r
        },
        true,
    )
}

/// Make directory `path` (WORKDIR) in the container's root.
pub fn mkdir(store: &Store, rec: &ContainerRecord, path: &str) -> Result<()> {
    in_container_root(
        store,
        rec,
        |_| fs::create_dir_all(path).ctx(|| format!("creating WORKDIR {path}")),
        |_| Ok(()),
        true,
    )
}

/// Read `sources` (container paths, globs allowed) out of container `rec`'s root as a tar
/// (owners as the image has them) into `out`; returns whether the destination must be a
/// directory (several sources, a glob, a directory).
pub fn copy_out(store: &Store, rec: &ContainerRecord, sources: &[String], out: &Path) -> Result<bool> {
    let srcs = sources.to_vec();
    let mut many_flag = false;
    in_container_root(
        store,
        rec,
        move |data| {
            // A first byte says whether the destination must be a directory, then the tar.
            let mut tarbuf: Vec<u8> = Vec::new();
            let mut many = srcs.len() > 1;
            {
                let mut b = tar::Builder::new(&mut tarbuf);
                b.follow_symlinks(false);
                b.mode(tar::HeaderMode::Complete);
                for s in &srcs {
                    let pat = super::context::clean_rel(s);
                    let matches: Vec<String> = if super::context::has_glob(&pat) {
                        many = true;
                        glob_root(&pat)
                    } else {
                        vec![pat.clone()]
                    };
                    if matches.is_empty() {
                        crate::bail!("COPY --from source {s}: no file matches");
                    }
                    for m in matches {
                        let p = Path::new("/").join(&m);
                        let real = fs::canonicalize(&p)
                            .map_err(|_| crate::err!("COPY --from source {s}: no such file or directory"))?;
                        let md = fs::metadata(&real).ctx(|| format!("COPY --from source {s}"))?;
                        let r = if md.is_dir() {
                            many = true;
                            append_dir_contents(&mut b, &real, Path::new(""))
                        } else {
                            let name = Path::new(&m).file_name().map(PathBuf::from).unwrap_or_default();
                            b.append_path_with_name(&real, &name)
                        };
                        r.map_err(|e| crate::err!("COPY --from source {s}: {e}"))?;
                    }
                }
                b.finish().map_err(|e| crate::err!("COPY --from: {e}"))?;
            }
            let mut w = data;
            std::io::Write::write_all(&mut w, if many { b"M" } else { b"S" })
                .and_then(|_| std::io::Write::write_all(&mut w, &tarbuf))
                .map_err(|e| crate::err!("COPY --from: sending the files: {e}"))
        },
        |mut r| {
            let mut first = [0u8; 1];
            r.read_exact(&mut first).map_err(|e| crate::err!("COPY --from: {e}"))?;
            many_flag = first[0] == b'M';
            let mut f = fs::File::create(out).ctx(|| format!("creating {}", out.display()))?;
            std::io::copy(&mut r, &mut f).ctx(|| format!("writing {}", out.display()))?;
            Ok(())
        },
        false,
    )?;
    Ok(many_flag)
}

fn append_dir_contents<W: std::io::Write>(b: &mut tar::Builder<W>, dir: &Path, rel: &Path) -> std::io::Result<()> {
    let mut names: Vec<std::ffi::OsString> = fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    names.sort();
    for n in names {
        let p = dir.join(&n);
        let r = rel.join(&n);
        let md = fs::symlink_metadata(&p)?;
        b.append_path_with_name(&p, &r)?;
        if md.is_dir() {
            append_dir_contents(b, &p, &r)?;
        }
    }
    Ok(())
}

/// Glob `pat` (relative, `/`-separated) against the (chrooted) root.
fn glob_root(pat: &str) -> Vec<String> {
    let mut cur = vec![String::new()];
    for c in pat.split('/') {
        let mut next = Vec::new();
        for base in &cur {
            let dir = Path::new("/").join(base);
            let join = |n: &str| {
                if base.is_empty() {
                    n.to_string()
                } else {
                    format!("{base}/{n}")
                }
            };
            if !super::context::has_glob(c) {
                if fs::symlink_metadata(dir.join(c)).is_ok() {
                    next.push(join(c));
                }
                continue;
            }
            let Ok(rd) = fs::read_dir(&dir) else { continue };
            let mut names: Vec<String> = rd
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            for n in names.iter().filter(|n| super::context::pmatch(c, n, false)) {
                next.push(join(n));
            }
        }
        cur = next;
    }
    cur
}

/// The stored layer made of container `rec`'s upper directory: (diff_id, size). `stubs`:
/// container paths the runtime or the build's mounts created as mount points, dropped from
/// the layer when they are empty and not in the image below.
pub fn commit_upper(store: &Store, rec: &ContainerRecord, stubs: &[String]) -> Result<(String, u64)> {
    let result = store.temp("build-result")?;
    let result_path = result.path.clone();
    userns::in_store_namespace("committing the step", || {
        let mapping = userns::enter()?;
        let own = Ownership {
            keep: mapping.keeps_ownership(),
            uid_span: mapping.uid_span(),
            gid_span: mapping.gid_span(),
        };
        let upper = store.container_dir(&rec.id).join("upper");
        for s in stubs {
            let rel = s.trim_start_matches('/');
            if rel.is_empty() {
                continue;
            }
            let in_lower = rec
                .layers
                .iter()
                .any(|l| fs::symlink_metadata(store.base().join(Store::layer_rel(l)).join(rel)).is_ok());
            if in_lower {
                continue;
            }
            let p = upper.join(rel);
            match fs::symlink_metadata(&p) {
                Ok(m) if m.is_file() && m.len() == 0 => {
                    let _ = fs::remove_file(&p);
                }
                Ok(m) if m.is_dir() => {
                    let _ = fs::remove_dir(&p); // only when empty
                }
                _ => {}
            }
        }
        let tmp = store.temp("build-layer")?;
        fs::create_dir(&tmp.path).ctx(|| format!("creating {}", tmp.path.display()))?;
        let tar_path = tmp.path.join("layer.tar");
        {
            let f = fs::File::create(&tar_path).ctx(|| format!("creating {}", tar_path.display()))?;
            let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
            crate::container::export::write_upper_layer(store, mapping, rec, &mut w, false)?;
            std::io::Write::flush(&mut w).map_err(|e| crate::err!("writing {}: {e}", tar_path.display()))?;
        }
        let diff = tmp.path.join("diff");
        fs::create_dir(&diff).ctx(|| format!("creating {}", diff.display()))?;
        let f = fs::File::open(&tar_path).ctx(|| format!("opening {}", tar_path.display()))?;
        let ex = archive::extract_layer(std::io::BufReader::with_capacity(1 << 20, f), &diff, own)?;
        fs::remove_file(&tar_path).ctx(|| format!("removing {}", tar_path.display()))?;
        let (_, lock) = crate::image::pull::commit_extracted_layer(store, tmp, &ex)?;
        drop(lock);
        fs::write(&result_path, format!("{} {}", ex.diff_id, ex.size))
            .ctx(|| format!("writing {}", result_path.display()))?;
        Ok(())
    })?;
    let text = fs::read_to_string(&result.path).ctx(|| format!("reading {}", result.path.display()))?;
    let _ = fs::remove_file(&result.path);
    let (d, s) = text
        .split_once(' ')
        .ok_or_else(|| crate::err!("committing the step: no result"))?;
    Ok((d.to_string(), s.parse().unwrap_or(0)))
}
