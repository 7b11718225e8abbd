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
    rec: Option<&ContainerRecord>,
    job: impl FnOnce(fs::File) -> Result<()>,
    feed: impl FnOnce(fs::File) -> Result<()>,
    to_worker: bool,
) -> Result<()> {
    let (data_r, data_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| crate::err!("pipe: {e}"))?;
    let (err_r, err_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| crate::err!("pipe: {e}"))?;
    let pid = match crate::sys::process::fork_tied().map_err(|e| crate::err!("fork: {e}"))? {
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
            let entered = match rec {
                Some(rec) => enter_root(store, rec),
                None => userns::enter().map(drop),
            };
            let code = match entered.and_then(|_| job(fs::File::from(data))) {
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
    if let Err(f) = crate::sys::process::reap_worker(pid, &err_r) {
        crate::bail!("{}", f.message_or(|st| format!("the copy worker failed ({st})")));
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
    lookup_in(&fs::read_to_string(file).ok()?, name)
}

fn lookup_in(text: &str, name: &str) -> Option<(u32, u32)> {
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
    resolve_chown_with(spec, &|n| lookup("/etc/passwd", n), &|n| lookup("/etc/group", n))
}

type Lookup<'a> = &'a dyn Fn(&str) -> Option<(u32, u32)>;

fn resolve_chown_with(spec: &str, passwd: Lookup, group: Lookup) -> Result<(u32, u32)> {
    let (u, g) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let (uid, primary) = match u.parse::<u32>() {
        Ok(n) => (n, n),
        Err(_) => passwd(u).ok_or_else(|| crate::err!("--chown={spec}: no user {u} in the image's /etc/passwd"))?,
    };
    let gid = match g {
        None => primary,
        Some(g) => match g.parse::<u32>() {
            Ok(n) => n,
            Err(_) => {
                group(g)
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
    // buildah does; a symlink on the way is followed, and the directories a dangling one
    // names are made.
    let mk = |p: &Path| -> Result<()> {
        let mut made = Vec::new();
        mkdir_following(p, &mut made, 0)?;
        if let Some((u, g)) = owner {
            for m in made {
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
    // The destination directory becomes the root, as Docker's and buildah's copies make it:
    // symlinks in what is copied (an archive's `dir -> ..`) resolve inside it.
    nix::unistd::chroot(&base).map_err(|e| crate::err!("entering {}: {}", base.display(), e.desc()))?;
    nix::unistd::chdir("/").map_err(|e| crate::err!("entering {}: {}", base.display(), e.desc()))?;
    let base = PathBuf::from("/");
    let mut ar = tar::Archive::new(input);
    let mut dirs: Vec<(PathBuf, u32)> = Vec::new();
    for e in ar.entries().map_err(|e| crate::err!("reading the copy stream: {e}"))? {
        let mut e = e.map_err(|e| crate::err!("reading the copy stream: {e}"))?;
        if matches!(
            e.header().entry_type(),
            tar::EntryType::XGlobalHeader | tar::EntryType::XHeader
        ) {
            // pax headers (a global one, say, as `git archive` writes) are not files; but, as
            // Docker's and buildah's extraction, the directory their name is in is made.
            let name = String::from_utf8_lossy(&e.header().path_bytes()).into_owned();
            let parent = super::context::clean_rel(name.rsplit_once('/').map(|(d, _)| d).unwrap_or(""));
            let p = base.join(&parent);
            if !parent.is_empty() && fs::symlink_metadata(&p).is_err() {
                mk(&p)?;
            }
            continue;
        }
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
                // A directory, even with files in it, is replaced as any other file (as Docker
                // and Podman do).
                if m.is_dir() {
                    fs::remove_dir_all(&target).ctx(|| format!("replacing {}", target.display()))?;
                } else {
                    fs::remove_file(&target).ctx(|| format!("replacing {}", target.display()))?;
                }
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
        // (Unless a later entry replaced it.)
        if fs::symlink_metadata(&d).is_ok_and(|md| md.is_dir()) {
            fs::set_permissions(&d, fs::Permissions::from_mode(m))
                .ctx(|| format!("setting the mode of {}", d.display()))?;
        }
    }
    Ok(())
}

/// `mkdir -p p` in the (chrooted) image, following symlinks on the way: a dangling one gets
/// the directories it names made (as Docker and Podman do for `ADD . /link/sub/`). The
/// directories made are added to `made`.
fn mkdir_following(p: &Path, made: &mut Vec<PathBuf>, depth: usize) -> Result<()> {
    if depth > 40 {
        crate::bail!(
            "creating {} in the image: too many levels of symbolic links",
            p.display()
        );
    }
    let mut cur = PathBuf::from("/");
    for c in p.components() {
        match c {
            std::path::Component::Normal(n) => cur.push(n),
            std::path::Component::ParentDir => {
                cur.pop();
                continue;
            }
            _ => continue,
        }
        match fs::symlink_metadata(&cur) {
            Ok(m) if m.is_dir() => {}
            Ok(m) if m.file_type().is_symlink() => match fs::metadata(&cur) {
                Ok(t) if t.is_dir() => {}
                Ok(_) => crate::bail!(
                    "creating {} in the image: {} is not a directory",
                    p.display(),
                    cur.display()
                ),
                Err(_) => {
                    let t = fs::read_link(&cur).ctx(|| format!("reading {}", cur.display()))?;
                    let t = cur.parent().unwrap_or(Path::new("/")).join(t);
                    mkdir_following(&t, made, depth + 1)?;
                }
            },
            Ok(_) => crate::bail!(
                "creating {} in the image: {} is not a directory",
                p.display(),
                cur.display()
            ),
            Err(_) => {
                fs::create_dir(&cur).ctx(|| format!("creating {} in the image", cur.display()))?;
                made.push(cur.clone());
            }
        }
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
        Some(rec),
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
        Some(rec),
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
        Some(rec),
        move |data| {
            // A first byte says whether the destination must be a directory, then the tar.
            let mut tarbuf: Vec<u8> = Vec::new();
            let mut many = srcs.len() > 1;
            {
                let mut b = tar::Builder::new(&mut tarbuf);
                b.follow_symlinks(false);
                b.mode(tar::HeaderMode::Complete);
                let mut links = Links::new();
                // A glob matching nothing is no error when another source matches something.
                let mut unmatched = None;
                let mut matched = 0;
                for s in &srcs {
                    let pat = super::context::clean_rel(s);
                    let matches: Vec<String> = if super::context::has_glob(&pat) {
                        many = true;
                        glob_root(&pat)
                    } else {
                        vec![pat.clone()]
                    };
                    if matches.is_empty() {
                        unmatched.get_or_insert(s);
                        continue;
                    }
                    matched += matches.len();
                    for m in matches {
                        let p = Path::new("/").join(&m);
                        let real = fs::canonicalize(&p)
                            .map_err(|_| crate::err!("COPY --from source {s}: no such file or directory"))?;
                        let md = fs::metadata(&real).ctx(|| format!("COPY --from source {s}"))?;
                        let r = if md.is_dir() {
                            many = true;
                            append_dir_contents(&mut b, &real, Path::new(""), &mut links)
                        } else {
                            let name = Path::new(&m).file_name().map(PathBuf::from).unwrap_or_default();
                            append_entry(&mut b, &real, &name, &md, &mut links)
                        };
                        r.map_err(|e| crate::err!("COPY --from source {s}: {e}"))?;
                    }
                }
                if let (0, Some(s)) = (matched, unmatched) {
                    crate::bail!("COPY --from source {s}: no file matches");
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

/// Files with several names already put in a COPY --from stream: (device, inode) -> the
/// name they went in under, so their other names go in as hard links to it (as Docker and
/// Podman keep them).
type Links = std::collections::HashMap<(u64, u64), PathBuf>;

fn append_entry<W: std::io::Write>(
    b: &mut tar::Builder<W>,
    p: &Path,
    name: &Path,
    md: &fs::Metadata,
    links: &mut Links,
) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    if md.is_file() && md.nlink() > 1 {
        if let Some(first) = links.get(&(md.dev(), md.ino())) {
            let mut h = tar::Header::new_gnu();
            h.set_metadata_in_mode(md, tar::HeaderMode::Complete);
            h.set_entry_type(tar::EntryType::Link);
            h.set_size(0);
            return b.append_link(&mut h, name, first);
        }
        links.insert((md.dev(), md.ino()), name.to_path_buf());
    }
    b.append_path_with_name(p, name)
}

fn append_dir_contents<W: std::io::Write>(
    b: &mut tar::Builder<W>,
    dir: &Path,
    rel: &Path,
    links: &mut Links,
) -> std::io::Result<()> {
    let mut names: Vec<std::ffi::OsString> = fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    names.sort();
    for n in names {
        let p = dir.join(&n);
        let r = rel.join(&n);
        let md = fs::symlink_metadata(&p)?;
        append_entry(b, &p, &r, &md, links)?;
        if md.is_dir() {
            append_dir_contents(b, &p, &r, links)?;
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

/// Run `work` in the store's user namespace (a forked child); its `diff_id size` result (or
/// an empty string for "not done") comes back through a file.
fn layer_job(store: &Store, what: &str, work: impl FnOnce(&Path) -> Result<()>) -> Result<Option<(String, u64)>> {
    let result = store.temp("build-result")?;
    let result_path = result.path.clone();
    userns::in_store_namespace(what, || work(&result_path))?;
    // No file: the work chose not to make a layer.
    let text = fs::read_to_string(&result.path).unwrap_or_default();
    let _ = fs::remove_file(&result.path);
    if text.is_empty() {
        return Ok(None);
    }
    let (d, s) = text.split_once(' ').ok_or_else(|| crate::err!("{what}: no result"))?;
    Ok(Some((d.to_string(), s.parse().unwrap_or(0))))
}

/// Record directory `tmp`/diff as it is (its tar stream hashed and its tar-split record made
/// from the files, nothing copied), then store it as a layer; writes `diff_id size` to
/// `result`.
fn store_dir_as_layer(store: &Store, tmp: crate::store::TempEntry, result: &Path, hold: &Path) -> Result<()> {
    let diff = tmp.path.join("diff");
    let d2 = diff.clone();
    let ex = archive::record_layer(move |w| crate::container::export::write_dir_layer(&d2, None, None, Vec::new(), w))?;
    commit_held(store, tmp, &ex, result, hold)
}

/// Store the layer extracted into `tmp`/diff, add it to the build's hold `hold` before its
/// work lock goes (so no garbage collection can take it before the build records an image of
/// it), and write `diff_id size` to `result`.
fn commit_held(
    store: &Store,
    tmp: crate::store::TempEntry,
    ex: &archive::Extracted,
    result: &Path,
    hold: &Path,
) -> Result<()> {
    let (id, lock) = crate::image::pull::commit_extracted_layer(store, tmp, ex)?;
    store.hold_new(hold, &id)?;
    drop(lock);
    fs::write(result, format!("{} {}", ex.diff_id, ex.size)).ctx(|| format!("writing {}", result.display()))
}

/// Make a step's upper directory, moved out of its container, what an extraction of its tar
/// would have made: overlay's own bookkeeping attributes (origin, impure, redirect…; not the
/// opaque marker, which the tar carries) and sockets (which a tar cannot carry) go, and the
/// root is a plain 0755 directory.
fn normalize_upper(dir: &Path) -> Result<()> {
    use std::os::unix::fs::FileTypeExt;
    fn strip(p: &Path) -> Result<()> {
        let names = crate::sys::fs::list_xattrs(p).unwrap_or_default();
        for n in names {
            if n.starts_with(b"user.overlay.") && n != archive::OPAQUE_XATTR.as_bytes() {
                crate::sys::fs::remove_xattr(p, &n)
                    .map_err(|e| crate::err!("clearing {} of {}: {e}", String::from_utf8_lossy(&n), p.display()))?;
            }
        }
        Ok(())
    }
    fn walk(d: &Path) -> Result<()> {
        for e in fs::read_dir(d).ctx(|| format!("reading {}", d.display()))? {
            let e = e.ctx(|| format!("reading {}", d.display()))?;
            let ft = e.file_type().ctx(|| format!("reading {}", e.path().display()))?;
            let p = e.path();
            if ft.is_socket() {
                fs::remove_file(&p).ctx(|| format!("removing {}", p.display()))?;
            } else if ft.is_dir() {
                strip(&p)?;
                walk(&p)?;
            } else if ft.is_file() {
                strip(&p)?;
            }
        }
        Ok(())
    }
    strip(dir)?;
    walk(dir)?;
    std::os::unix::fs::lchown(dir, Some(0), Some(0)).ctx(|| format!("setting the owner of {}", dir.display()))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).ctx(|| format!("setting the mode of {}", dir.display()))
}

/// The stored layer made of container `rec`'s upper directory: (diff_id, size). `stubs`:
/// container paths the runtime or the build's mounts created as mount points, dropped from
/// the layer when they are empty and not in the image below. The upper directory itself
/// becomes the layer (moved, not copied; the container is removed afterwards): its tar stream
/// is only hashed and recorded, never written.
pub fn commit_upper(store: &Store, rec: &ContainerRecord, stubs: &[String], hold: &Path) -> Result<(String, u64)> {
    let r = layer_job(store, "committing the step", |result_path| {
        let mapping = userns::enter()?;
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
        let diff = tmp.path.join("diff");
        if crate::container::export::keep_id_owner(mapping, rec).is_some() {
            // Owners stored for keep-id differ from the container's: through a tar.
            let own = Ownership {
                keep: mapping.keeps_ownership(),
                uid_span: mapping.uid_span(),
                gid_span: mapping.gid_span(),
            };
            let tar_path = tmp.path.join("layer.tar");
            {
                let f = fs::File::create(&tar_path).ctx(|| format!("creating {}", tar_path.display()))?;
                let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
                crate::container::export::write_upper_layer(store, mapping, rec, &mut w, false)?;
                std::io::Write::flush(&mut w).map_err(|e| crate::err!("writing {}: {e}", tar_path.display()))?;
            }
            fs::create_dir(&diff).ctx(|| format!("creating {}", diff.display()))?;
            let f = fs::File::open(&tar_path).ctx(|| format!("opening {}", tar_path.display()))?;
            let ex = archive::extract_layer(std::io::BufReader::with_capacity(1 << 20, f), &diff, own)?;
            fs::remove_file(&tar_path).ctx(|| format!("removing {}", tar_path.display()))?;
            return commit_held(store, tmp, &ex, result_path, hold);
        }
        fs::create_dir(&diff).ctx(|| format!("creating {}", diff.display()))?;
        if upper.is_dir() {
            // One atomic exchange, not a move: the step container keeps an (empty) upper
            // directory whatever moment a kill comes, so it is never left without one.
            nix::fcntl::renameat2(
                nix::fcntl::AT_FDCWD,
                &upper,
                nix::fcntl::AT_FDCWD,
                &diff,
                nix::fcntl::RenameFlags::RENAME_EXCHANGE,
            )
            .map_err(|e| crate::err!("moving {} into {}: {}", upper.display(), diff.display(), e.desc()))?;
            crate::fault::point("after:take-upper");
            normalize_upper(&diff)?;
        }
        store_dir_as_layer(store, tmp, result_path, hold)
    })?;
    r.ok_or_else(|| crate::err!("committing the step: no result"))
}

/// What a path is in an image, its layers merged as overlayfs merges them.
enum InImage {
    Missing,
    /// A directory: its metadata (the topmost layer's).
    Dir(fs::Metadata),
    /// A file, a symlink or anything else: its metadata, and the layer that has it.
    Other(fs::Metadata, usize),
}

/// An image's layers (diff directories, top first), looked up without mounting them.
struct ImageView {
    layers: Vec<PathBuf>,
    /// Directories resolved so far: the layers contributing to each (None: not a directory).
    dirs: std::collections::HashMap<PathBuf, Option<std::rc::Rc<Vec<usize>>>>,
}

fn is_whiteout(md: &fs::Metadata) -> bool {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    md.file_type().is_char_device() && md.rdev() == 0
}

fn has_opaque_mark(p: &Path) -> bool {
    crate::sys::fs::get_xattr(p, archive::OPAQUE_XATTR).is_ok_and(|v| v == b"y")
        || fs::symlink_metadata(p.join(".wh..wh..opq")).is_ok()
}

impl ImageView {
    fn new(store: &Store, layer_ids: &[String]) -> ImageView {
        ImageView {
            layers: layer_ids
                .iter()
                .rev()
                .map(|l| store.layer_dir(l).join("diff"))
                .collect(),
            dirs: Default::default(),
        }
    }

    /// What is at `rel` in layer `i`: Some(metadata), a whiteout (Some(None)), or nothing.
    fn at(&self, i: usize, rel: &Path) -> Option<Option<fs::Metadata>> {
        let p = self.layers[i].join(rel);
        match fs::symlink_metadata(&p) {
            Ok(m) if is_whiteout(&m) => Some(None),
            Ok(m) => Some(Some(m)),
            Err(_) => {
                let mut wh = std::ffi::OsString::from(".wh.");
                wh.push(rel.file_name().unwrap_or_default());
                let whp = self.layers[i].join(rel.parent().unwrap_or(Path::new(""))).join(wh);
                fs::symlink_metadata(whp).is_ok().then_some(None)
            }
        }
    }

    /// The layers that directory `rel` is merged from (top first), or None when it is not a
    /// directory in the image.
    fn dir_layers(&mut self, rel: &Path) -> Option<std::rc::Rc<Vec<usize>>> {
        if let Some(v) = self.dirs.get(rel) {
            return v.clone();
        }
        let r = if rel.as_os_str().is_empty() {
            let mut v = Vec::new();
            for i in 0..self.layers.len() {
                if self.layers[i].is_dir() {
                    v.push(i);
                }
            }
            Some(std::rc::Rc::new(v))
        } else {
            let parent = self.dir_layers(rel.parent().unwrap_or(Path::new("")));
            parent.and_then(|pl| {
                let mut v = Vec::new();
                for &i in pl.iter() {
                    match self.at(i, rel) {
                        None => continue,
                        Some(Some(m)) if m.is_dir() => {
                            v.push(i);
                            if has_opaque_mark(&self.layers[i].join(rel)) {
                                break;
                            }
                        }
                        Some(_) => break,
                    }
                }
                (!v.is_empty()).then(|| std::rc::Rc::new(v))
            })
        };
        self.dirs.insert(rel.to_path_buf(), r.clone());
        r
    }

    fn lookup(&mut self, rel: &Path) -> InImage {
        if rel.as_os_str().is_empty() {
            return match fs::symlink_metadata(self.layers.first().map(PathBuf::as_path).unwrap_or(Path::new("/"))) {
                Ok(m) => InImage::Dir(m),
                Err(_) => InImage::Missing,
            };
        }
        let Some(pl) = self.dir_layers(rel.parent().unwrap_or(Path::new(""))) else {
            return InImage::Missing;
        };
        for &i in pl.iter() {
            match self.at(i, rel) {
                None => continue,
                Some(None) => return InImage::Missing,
                Some(Some(m)) if m.is_dir() => return InImage::Dir(m),
                Some(Some(m)) => return InImage::Other(m, i),
            }
        }
        InImage::Missing
    }

    /// The contents of regular file `rel` in the image, when it is one.
    fn read(&mut self, rel: &str) -> Option<String> {
        match self.lookup(Path::new(rel)) {
            InImage::Other(m, i) if m.is_file() => fs::read_to_string(self.layers[i].join(rel)).ok(),
            _ => None,
        }
    }
}

/// What a direct COPY writes.
pub enum Item<'a> {
    /// A file, directory or symlink of the context, read by the worker itself.
    Ctx(&'a super::context::Entry),
    /// Given contents (a heredoc): name, bytes, mode, mtime.
    Data(&'a str, &'a [u8], u32, i64),
}

/// Copy `items` into a new layer on top of `layers` (the image's, bottom first) without a
/// step container: the worker reads the context's files itself and writes them once, straight
/// into the layer's directory (several threads creating the files), with the directories on
/// the way copied up from the image as overlayfs would; the layer's tar stream is hashed and
/// recorded as the files go, never written. `chmod`: --chmod. No items: only the destination
/// directory (WORKDIR). Returns None when the destination needs the image mounted (a symlink
/// on the way, a file where a directory goes…): then copy with `copy_in` and `commit_upper`.
pub fn copy_direct(
    store: &Store,
    layers: &[String],
    dest: &Dest,
    items: &[Item],
    chmod: Option<u32>,
    hold: &Path,
) -> Result<Option<(String, u64)>> {
    layer_job(store, "copying", |result_path| {
        let tmp = store.temp("build-layer")?;
        fs::create_dir(&tmp.path).ctx(|| format!("creating {}", tmp.path.display()))?;
        let diff = tmp.path.join("diff");
        fs::create_dir(&diff).ctx(|| format!("creating {}", diff.display()))?;
        fs::set_permissions(&diff, fs::Permissions::from_mode(0o755))
            .ctx(|| format!("setting the mode of {}", diff.display()))?;
        let mut view = ImageView::new(store, layers);
        let mut lt = archive::LayerTar::default();
        if !write_direct(dest, &mut view, &diff, items, chmod, &mut lt)? {
            return Ok(()); // a conflict: no result
        }
        let ex = lt.finish()?;
        commit_held(store, tmp, &ex, result_path, hold)
    })
}

/// A file for the writer threads: (directory, name, contents, mode, uid, gid, mtime).
type FileJob = (
    std::sync::Arc<std::os::fd::OwnedFd>,
    std::ffi::OsString,
    Vec<u8>,
    u32,
    u32,
    u32,
    i64,
);

/// Create one file in the layer.
fn write_file(job: &FileJob) -> Result<()> {
    use nix::sys::stat::{fchmod, futimens, Mode};
    let (dir, name, data, mode, uid, gid, mtime) = job;
    let fd = nix::fcntl::openat(
        &**dir,
        name.as_os_str(),
        nix::fcntl::OFlag::O_CREAT
            | nix::fcntl::OFlag::O_EXCL
            | nix::fcntl::OFlag::O_WRONLY
            | nix::fcntl::OFlag::O_NOFOLLOW
            | nix::fcntl::OFlag::O_CLOEXEC,
        Mode::from_bits_truncate(0o600),
    )
    .map_err(|e| crate::err!("creating {}: {e}", name.to_string_lossy()))?;
    let mut f = fs::File::from(fd);
    std::io::Write::write_all(&mut f, data).map_err(|e| crate::err!("writing {}: {e}", name.to_string_lossy()))?;
    nix::unistd::fchown(
        &f,
        Some(nix::unistd::Uid::from_raw(*uid)),
        Some(nix::unistd::Gid::from_raw(*gid)),
    )
    .map_err(|e| crate::err!("setting the owner of {}: {e}", name.to_string_lossy()))?;
    fchmod(&f, Mode::from_bits_truncate(*mode))
        .map_err(|e| crate::err!("setting the mode of {}: {e}", name.to_string_lossy()))?;
    let ts = nix::sys::time::TimeSpec::new(*mtime, 0);
    futimens(&f, &ts, &ts).map_err(|e| crate::err!("setting the times of {}: {e}", name.to_string_lossy()))?;
    Ok(())
}

/// The directories of the layer being written, opened once.
struct LayerDirs<'a> {
    diff: &'a Path,
    fds: std::collections::HashMap<PathBuf, std::sync::Arc<std::os::fd::OwnedFd>>,
    /// Owner of directories created where the image has none.
    owner: Option<(u32, u32)>,
    now: i64,
}

impl LayerDirs<'_> {
    /// Directory `rel` in the layer, created (with its parents) when missing: copied up from
    /// the image where it has it (mode and owner), else 0755 owned by --chown's ids (or root).
    fn get(
        &mut self,
        rel: &Path,
        view: &mut ImageView,
        lt: &mut archive::LayerTar,
    ) -> Result<std::sync::Arc<std::os::fd::OwnedFd>> {
        use std::os::unix::fs::MetadataExt;
        if let Some(fd) = self.fds.get(rel) {
            return Ok(fd.clone());
        }
        let fd = if rel.as_os_str().is_empty() {
            crate::sys::fs::open_dir(self.diff).map_err(|e| crate::err!("opening {}: {e}", self.diff.display()))?
        } else {
            let parent = self.get(rel.parent().unwrap_or(Path::new("")), view, lt)?;
            let name = rel.file_name().unwrap_or_default();
            let (mode, uid, gid) = match view.lookup(rel) {
                InImage::Dir(m) => (m.mode() & 0o7777, m.uid(), m.gid()),
                _ => {
                    let (u, g) = self.owner.unwrap_or((0, 0));
                    (0o755, u, g)
                }
            };
            make_dir(&parent, name, mode, uid, gid)
                .map_err(|e| crate::err!("creating {} in the layer: {e}", rel.display()))?;
            lt.dir(rel, mode, uid, gid, self.now)?;
            crate::sys::fs::open_dir_beneath(parent.as_ref(), Path::new(name))
                .map_err(|e| crate::err!("opening {} in the layer: {e}", rel.display()))?
        };
        let fd = std::sync::Arc::new(fd);
        self.fds.insert(rel.to_path_buf(), fd.clone());
        Ok(fd)
    }
}

fn make_dir(parent: &std::os::fd::OwnedFd, name: &std::ffi::OsStr, mode: u32, uid: u32, gid: u32) -> nix::Result<()> {
    use nix::sys::stat::{fchmodat, mkdirat, FchmodatFlags, Mode};
    match mkdirat(parent, name, Mode::from_bits_truncate(0o700)) {
        Ok(()) | Err(nix::errno::Errno::EEXIST) => {}
        Err(e) => return Err(e),
    }
    nix::unistd::fchownat(
        parent,
        name,
        Some(nix::unistd::Uid::from_raw(uid)),
        Some(nix::unistd::Gid::from_raw(gid)),
        nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
    )?;
    fchmodat(
        parent,
        name,
        Mode::from_bits_truncate(mode),
        FchmodatFlags::FollowSymlink,
    )
}

/// In the worker: write `items` into layer directory `diff`, the image seen through `view`,
/// recording the layer's tar in `lt`. Ok(false): a conflict (see `copy_direct`).
fn write_direct(
    dest: &Dest,
    view: &mut ImageView,
    diff: &Path,
    items: &[Item],
    chmod: Option<u32>,
    lt: &mut archive::LayerTar,
) -> Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let owner = match &dest.chown {
        None => None,
        Some(spec) => {
            let passwd = view.read("etc/passwd");
            let group = view.read("etc/group");
            if (passwd.is_none() && fs_has_name(spec, 0)) || (group.is_none() && fs_has_name(spec, 1)) {
                // No plain /etc/passwd (or /etc/group) file to read: let the mounted image say.
                return Ok(false);
            }
            let pl = |n: &str| passwd.as_deref().and_then(|t| lookup_in(t, n));
            let gl = |n: &str| group.as_deref().and_then(|t| lookup_in(t, n));
            Some(resolve_chown_with(spec, &pl, &gl)?)
        }
    };
    let abs = PathBuf::from(super::context::clean_rel(&dest.path));
    let comps: Vec<PathBuf> = {
        let mut v = Vec::new();
        let mut cur = PathBuf::new();
        for c in abs.components() {
            cur.push(c);
            v.push(cur.clone());
        }
        v
    };
    let mut kinds = Vec::new();
    for c in &comps {
        let k = view.lookup(c);
        let stop = !matches!(k, InImage::Dir(_));
        kinds.push(k);
        if stop {
            break;
        }
    }
    // Every component but the last must be a directory or missing.
    for k in kinds.iter().take(comps.len().saturating_sub(1)) {
        if let InImage::Other(..) = k {
            return Ok(false);
        }
    }
    let last = if comps.is_empty() {
        None
    } else {
        kinds.get(comps.len() - 1)
    };
    let last_is_dir = comps.is_empty() || matches!(last, Some(InImage::Dir(_)));
    // The destination directory (`base`) and, for a single file, its new name.
    let (base, rename): (PathBuf, Option<std::ffi::OsString>) = if dest.dir || dest.path.ends_with('/') || last_is_dir {
        if let Some(InImage::Other(..)) = last {
            return Ok(false);
        }
        (abs.clone(), None)
    } else {
        if let Some(InImage::Other(m, _)) = last {
            if !m.is_file() {
                return Ok(false);
            }
        }
        (
            abs.parent().unwrap_or(Path::new("")).to_path_buf(),
            abs.file_name().map(|n| n.to_os_string()),
        )
    };
    let now = crate::output::now_secs();
    let mut dirs = LayerDirs {
        diff,
        fds: Default::default(),
        owner,
        now,
    };
    dirs.get(&base, view, lt)?;
    if items.is_empty() {
        return Ok(true);
    }
    // Files go to writer threads (file creation waits on the file system's journal; several at
    // once keep it busy) while this thread reads, checks and records them in order.
    let (tx, rx) = std::sync::mpsc::sync_channel::<FileJob>(256);
    let rx = std::sync::Mutex::new(rx);
    let failed: std::sync::Mutex<Option<crate::error::Error>> = std::sync::Mutex::new(None);
    let mut links: std::collections::HashMap<(u64, u64), PathBuf> = Default::default();
    let mut hard: Vec<(PathBuf, PathBuf)> = Vec::new();
    let ok = std::thread::scope(|s| -> Result<bool> {
        for _ in 0..4 {
            s.spawn(|| loop {
                let job = match rx.lock() {
                    Ok(r) => r.recv(),
                    Err(_) => return,
                };
                let Ok(job) = job else { return };
                if let Err(e) = write_file(&job) {
                    if let Ok(mut f) = failed.lock() {
                        f.get_or_insert(e);
                    }
                }
            });
        }
        let r = (|| -> Result<bool> {
            let mut buf = Vec::new();
            for item in items {
                let (dest_name, uid_gid) = match item {
                    Item::Ctx(e) => (e.dest.as_str(), owner.unwrap_or((0, 0))),
                    Item::Data(n, ..) => (*n, owner.unwrap_or((0, 0))),
                };
                let (uid, gid) = uid_gid;
                let mut rel = PathBuf::new();
                for (i, c) in Path::new(dest_name).components().enumerate() {
                    match c {
                        std::path::Component::Normal(n) => match (&rename, i) {
                            (Some(r), 0) => rel.push(r),
                            _ => rel.push(n),
                        },
                        std::path::Component::CurDir => {}
                        _ => crate::bail!("copy entry {dest_name} leaves the destination"),
                    }
                }
                if rel.as_os_str().is_empty() {
                    continue;
                }
                let img_rel = base.join(&rel);
                let name = img_rel.file_name().unwrap_or_default().to_os_string();
                let is_dir = matches!(item, Item::Ctx(e) if e.md.is_dir());
                match (view.lookup(&img_rel), is_dir) {
                    (InImage::Other(..), true) | (InImage::Dir(_), false) => return Ok(false),
                    _ => {}
                }
                let parent = dirs.get(img_rel.parent().unwrap_or(Path::new("")), view, lt)?;
                match item {
                    Item::Data(_, data, mode, mtime) => {
                        lt.file(&img_rel, data.len() as u64, *mode, uid, gid, *mtime)?;
                        lt.data(data);
                        lt.end_file(data.len() as u64);
                        let _ = tx.send((parent, name, data.to_vec(), *mode, uid, gid, *mtime));
                    }
                    Item::Ctx(e) => {
                        let ft = e.md.file_type();
                        let mtime = e.md.mtime();
                        let mode = chmod.unwrap_or(e.perm());
                        if ft.is_dir() {
                            if dirs.fds.contains_key(&img_rel) {
                                continue;
                            }
                            make_dir(&parent, &name, mode, uid, gid)
                                .map_err(|x| crate::err!("creating {} in the layer: {x}", img_rel.display()))?;
                            lt.dir(&img_rel, mode, uid, gid, mtime)?;
                            let fd = crate::sys::fs::open_dir_beneath(parent.as_ref(), Path::new(&name))
                                .map_err(|x| crate::err!("opening {} in the layer: {x}", img_rel.display()))?;
                            dirs.fds.insert(img_rel.clone(), std::sync::Arc::new(fd));
                        } else if ft.is_symlink() {
                            let t = fs::read_link(&e.src).ctx(|| format!("reading {}", e.src.display()))?;
                            nix::unistd::symlinkat(t.as_path(), &*parent, name.as_os_str())
                                .map_err(|x| crate::err!("creating {} in the layer: {x}", img_rel.display()))?;
                            nix::unistd::fchownat(
                                &*parent,
                                name.as_os_str(),
                                Some(nix::unistd::Uid::from_raw(uid)),
                                Some(nix::unistd::Gid::from_raw(gid)),
                                nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
                            )
                            .map_err(|x| crate::err!("setting the owner of {}: {x}", img_rel.display()))?;
                            let ts = nix::sys::time::TimeSpec::new(mtime, 0);
                            nix::sys::stat::utimensat(
                                &*parent,
                                name.as_os_str(),
                                &ts,
                                &ts,
                                nix::sys::stat::UtimensatFlags::NoFollowSymlink,
                            )
                            .map_err(|x| crate::err!("setting the times of {}: {x}", img_rel.display()))?;
                            lt.symlink(&img_rel, &t, uid, gid, mtime)?;
                        } else if ft.is_file() {
                            if e.md.nlink() > 1 {
                                if let Some(first) = links.get(&(e.md.dev(), e.md.ino())) {
                                    lt.hard_link(&img_rel, first, mode, uid, gid, mtime)?;
                                    hard.push((first.clone(), img_rel.clone()));
                                    continue;
                                }
                                links.insert((e.md.dev(), e.md.ino()), img_rel.clone());
                            }
                            let mut f = fs::File::open(&e.src).ctx(|| format!("reading {}", e.src.display()))?;
                            let size = e.md.len();
                            buf.clear();
                            std::io::Read::read_to_end(&mut (&mut f).take(size), &mut buf)
                                .ctx(|| format!("reading {}", e.src.display()))?;
                            if (buf.len() as u64) < size {
                                crate::bail!("{}: changed while it was copied", e.src.display());
                            }
                            lt.file(&img_rel, size, mode, uid, gid, mtime)?;
                            lt.data(&buf);
                            lt.end_file(size);
                            let _ = tx.send((parent, name, std::mem::take(&mut buf), mode, uid, gid, mtime));
                        }
                        // Sockets, FIFOs and devices of a context are skipped, as Docker does.
                    }
                }
            }
            Ok(true)
        })();
        drop(tx);
        r
    })?;
    if let Some(e) = failed.into_inner().ok().flatten() {
        return Err(e);
    }
    if !ok {
        return Ok(false);
    }
    for (first, link) in hard {
        fs::hard_link(diff.join(&first), diff.join(&link)).ctx(|| format!("linking {}", link.display()))?;
    }
    Ok(true)
}

/// Whether `--chown=spec` names a user (`which` 0) or a group (1) by name, not number.
fn fs_has_name(spec: &str, which: usize) -> bool {
    let (u, g) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    match which {
        0 => u.parse::<u32>().is_err(),
        _ => g.is_some_and(|g| g.parse::<u32>().is_err()),
    }
}

/// One layer made of `layers` (bottom first) merged as overlayfs would stack them, for
/// `--squash`: what a higher layer deletes (whiteouts) or hides (opaque directories, or a
/// directory over a deleted or replaced name) stays deleted or hidden in the result, so it can
/// sit on the image's own layers. Files are hard links to the layers' (which never change).
pub fn squash_layers(store: &Store, layers: &[String], hold: &Path) -> Result<(String, u64)> {
    let r = layer_job(store, "squashing the layers", |result_path| {
        let tmp = store.temp("build-layer")?;
        fs::create_dir(&tmp.path).ctx(|| format!("creating {}", tmp.path.display()))?;
        let acc = tmp.path.join("diff");
        fs::create_dir(&acc).ctx(|| format!("creating {}", acc.display()))?;
        fs::set_permissions(&acc, fs::Permissions::from_mode(0o755))
            .ctx(|| format!("setting the mode of {}", acc.display()))?;
        for l in layers {
            apply_layer(&store.layer_dir(l).join("diff"), &acc, Path::new(""))?;
        }
        store_dir_as_layer(store, tmp, result_path, hold)
    })?;
    r.ok_or_else(|| crate::err!("squashing the layers: no result"))
}

fn remove_any(p: &Path) -> Result<()> {
    match fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(p).ctx(|| format!("removing {}", p.display())),
        Ok(_) => fs::remove_file(p).ctx(|| format!("removing {}", p.display())),
        Err(_) => Ok(()),
    }
}

/// Lay directory `rel` of layer `src` over the same directory of `acc`.
fn apply_layer(src: &Path, acc: &Path, rel: &Path) -> Result<()> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let d = src.join(rel);
    let mut names: Vec<std::ffi::OsString> = Vec::new();
    for e in fs::read_dir(&d).ctx(|| format!("reading {}", d.display()))? {
        names.push(e.ctx(|| format!("reading {}", d.display()))?.file_name());
    }
    names.sort();
    for n in names {
        let r = rel.join(&n);
        let sp = src.join(&r);
        let ap = acc.join(&r);
        let md = fs::symlink_metadata(&sp).ctx(|| format!("reading {}", sp.display()))?;
        let ft = md.file_type();
        let chown = |p: &Path| {
            std::os::unix::fs::lchown(p, Some(md.uid()), Some(md.gid()))
                .ctx(|| format!("setting the owner of {}", p.display()))
        };
        if ft.is_dir() {
            let before = fs::symlink_metadata(&ap).ok();
            let opaque = has_opaque_mark(&sp);
            // A directory over something this squash deleted or replaced hides what the
            // image has there: opaque.
            let hide = opaque || before.as_ref().is_some_and(|m| !m.is_dir());
            if before.as_ref().is_some_and(|m| !m.is_dir()) || opaque {
                remove_any(&ap)?;
            }
            if fs::symlink_metadata(&ap).is_err() {
                fs::create_dir(&ap).ctx(|| format!("creating {}", ap.display()))?;
            }
            chown(&ap)?;
            fs::set_permissions(&ap, fs::Permissions::from_mode(md.mode() & 0o7777))
                .ctx(|| format!("setting the mode of {}", ap.display()))?;
            if hide {
                let fd = crate::sys::fs::open_dir(&ap).map_err(|e| crate::err!("opening {}: {e}", ap.display()))?;
                crate::sys::fs::set_xattr(&fd, archive::OPAQUE_XATTR, b"y")
                    .map_err(|e| crate::err!("marking {} opaque: {e}", ap.display()))?;
            }
            apply_layer(src, acc, &r)?;
            continue;
        }
        remove_any(&ap)?;
        if is_whiteout(&md) {
            let parent = crate::sys::fs::open_dir(ap.parent().unwrap_or(acc))
                .map_err(|e| crate::err!("opening {}: {e}", ap.display()))?;
            crate::sys::fs::mknod_whiteout(&parent, Path::new(&n))
                .map_err(|e| crate::err!("creating whiteout {}: {e}", ap.display()))?;
        } else if ft.is_symlink() {
            let t = fs::read_link(&sp).ctx(|| format!("reading {}", sp.display()))?;
            std::os::unix::fs::symlink(&t, &ap).ctx(|| format!("creating {}", ap.display()))?;
            chown(&ap)?;
        } else if ft.is_file() {
            fs::hard_link(&sp, &ap).ctx(|| format!("linking {}", ap.display()))?;
        } else if ft.is_fifo() {
            let parent = crate::sys::fs::open_dir(ap.parent().unwrap_or(acc))
                .map_err(|e| crate::err!("opening {}: {e}", ap.display()))?;
            crate::sys::fs::mkfifo_at(&parent, Path::new(&n), md.mode() & 0o7777)
                .map_err(|e| crate::err!("creating {}: {e}", ap.display()))?;
            chown(&ap)?;
        }
    }
    Ok(())
}
