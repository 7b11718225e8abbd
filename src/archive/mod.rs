//! Layer tar (gzip, zstd or plain) -> a directory, safely: refuses `..` and absolute paths,
//! never follows a symlink inside the layer (every parent is opened with openat2
//! RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS), turns whiteouts into overlay whiteouts, and hashes the
//! uncompressed stream so the caller can check the diff_id.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use nix::errno::Errno;
use nix::fcntl::{openat, AtFlags, OFlag};
use nix::sys::stat::{fchmod, fchmodat, futimens, mkdirat, utimensat, FchmodatFlags, Mode, UtimensatFlags};
use nix::sys::time::TimeSpec;
use nix::unistd::{fchown, fchownat, linkat, symlinkat, unlinkat, Gid, Uid, UnlinkatFlags};
use sha2::{Digest, Sha256};
use tar::EntryType;

pub mod pargz;
pub mod split;

use crate::error::{Error, Result};
use crate::sys::fs::{mkfifo_at, mknod_whiteout, open_dir_beneath, set_xattr};

/// Overlay's opaque-directory marker for rootless (userxattr) mounts.
pub const OPAQUE_XATTR: &str = "user.overlay.opaque";
const WHITEOUT_PREFIX: &str = ".wh.";
const OPAQUE_MARKER: &str = ".wh..wh..opq";

/// How file ownership from the tar is applied.
#[derive(Debug, Clone, Copy)]
pub struct Ownership {
    /// Apply the tar's uid/gid (false: everything stays owned by whoever extracts).
    pub keep: bool,
    /// Ids at or above these cannot be represented in the current user namespace.
    pub uid_span: u64,
    pub gid_span: u64,
}

/// What an extraction produced.
#[derive(Debug)]
pub struct Extracted {
    /// `sha256:<hex>` of the uncompressed tar stream.
    pub diff_id: String,
    /// Uncompressed size in bytes.
    pub size: u64,
    /// Device nodes that could not be created without privileges.
    pub skipped_devices: u64,
    /// The stream's tar-split record (`split`), to rebuild the exact stream from the files.
    pub tar_split: Vec<u8>,
    /// The permission bits of the layer's root entry (`./`), when it has one: a container's
    /// root directory has the mode of the topmost layer that says.
    pub root_mode: Option<u32>,
}

/// Reads through, hashing and counting.
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    /// Drain what is left, then return `(sha256:<hex>, bytes)`.
    pub fn finish(mut self) -> io::Result<(String, u64)> {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = self.read(&mut buf)?;
            if n == 0 {
                break;
            }
        }
        Ok((format!("sha256:{}", hex::encode(self.hasher.finalize())), self.count))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

/// Pick the decompressor by magic bytes (registries are not always right about media types).
pub fn decompress<'a, R: Read + 'a>(r: R) -> io::Result<Box<dyn Read + 'a>> {
    let mut br = BufReader::with_capacity(256 * 1024, r);
    let head = br.fill_buf()?;
    Ok(if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::bufread::MultiGzDecoder::new(br))
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Box::new(zstd::stream::read::Decoder::with_buffer(br)?)
    } else {
        Box::new(br)
    })
}

/// A path from a tar entry, split into safe components: no absolute paths, no `..`.
pub fn clean_path(raw: &[u8]) -> std::result::Result<Vec<&OsStr>, String> {
    if raw.first() == Some(&b'/') {
        return Err("absolute path".into());
    }
    let mut out = Vec::new();
    for comp in raw.split(|b| *b == b'/') {
        match comp {
            b"" | b"." => continue,
            b".." => return Err("path contains \"..\"".into()),
            c => out.push(OsStr::from_bytes(c)),
        }
    }
    Ok(out)
}

fn join(comps: &[&OsStr]) -> PathBuf {
    comps.iter().collect()
}

struct Extractor {
    root: OwnedFd,
    own: Ownership,
    /// Parent directories already opened, by relative path.
    dirs: HashMap<PathBuf, OwnedFd>,
    dir_times: Vec<(PathBuf, i64)>,
    buf: Vec<u8>,
    skipped_devices: u64,
    rec: split::Shared,
    root_mode: Option<u32>,
}

fn entry_err(path: &[u8], what: impl std::fmt::Display) -> Error {
    crate::err!("refusing layer entry \"{}\": {what}", String::from_utf8_lossy(path))
}

/// A system call failed on an entry (not a refusal: the disk may be full, say).
fn write_err(path: &[u8], what: impl std::fmt::Display) -> Error {
    crate::err!("extracting layer entry \"{}\": {what}", String::from_utf8_lossy(path))
}

impl Extractor {
    /// The directory `rel` (created if missing), opened without following any symlink.
    fn dir(&mut self, rel: &[&OsStr]) -> std::result::Result<&OwnedFd, String> {
        let key = join(rel);
        if !self.dirs.contains_key(&key) {
            let fd = match open_dir_beneath(&self.root, &key) {
                Ok(fd) => fd,
                Err(Errno::ENOENT) => {
                    let mut cur = open_dir_beneath(&self.root, Path::new("")).map_err(|e| e.to_string())?;
                    for c in rel {
                        match mkdirat(&cur, *c, Mode::from_bits_truncate(0o755)) {
                            Ok(()) | Err(Errno::EEXIST) => {}
                            Err(e) => return Err(format!("creating directory {}: {e}", c.to_string_lossy())),
                        }
                        cur = open_dir_beneath(&cur, Path::new(c)).map_err(|e| match e {
                            Errno::ELOOP | Errno::EXDEV => format!("{} is a symlink", c.to_string_lossy()),
                            Errno::ENOTDIR => format!("{} is not a directory", c.to_string_lossy()),
                            e => e.to_string(),
                        })?;
                    }
                    cur
                }
                Err(Errno::ELOOP) | Err(Errno::EXDEV) => return Err("a parent directory is a symlink".into()),
                Err(Errno::ENOTDIR) => return Err("a parent is not a directory".into()),
                Err(e) => return Err(e.to_string()),
            };
            self.dirs.insert(key.clone(), fd);
        }
        Ok(&self.dirs[&key])
    }

    fn ids(&self, uid: u64, gid: u64, path: &[u8]) -> Result<Option<(Uid, Gid)>> {
        if !self.own.keep {
            return Ok(None);
        }
        if uid >= self.own.uid_span || gid >= self.own.gid_span {
            return Err(crate::err!(
                "layer entry \"{}\" is owned by {uid}:{gid}, beyond the {} uids / {} gids your /etc/subuid and /etc/subgid ranges provide",
                String::from_utf8_lossy(path),
                self.own.uid_span,
                self.own.gid_span
            ));
        }
        Ok(Some((Uid::from_raw(uid as u32), Gid::from_raw(gid as u32))))
    }

    /// Make room for a new non-directory entry: a previous entry of the same name goes.
    fn clear(parent: &OwnedFd, name: &OsStr) {
        if unlinkat(parent, name, UnlinkatFlags::NoRemoveDir) == Err(Errno::EISDIR) {
            let _ = unlinkat(parent, name, UnlinkatFlags::RemoveDir);
        }
    }

    fn entry<R: Read>(&mut self, mut e: tar::Entry<'_, R>) -> Result<()> {
        let raw = e.path_bytes().into_owned();
        let comps = clean_path(&raw).map_err(|w| entry_err(&raw, w))?;
        let Some((name, parent_comps)) = comps.split_last() else {
            // The layer root itself: only its mode is kept, for the container's root.
            if e.header().entry_type() == EntryType::Directory {
                self.root_mode = Some(e.header().mode().unwrap_or(0o755) & 0o7777);
            }
            return Ok(());
        };
        let name = *name;
        let h = e.header();
        let kind = h.entry_type();
        let mode = h.mode().unwrap_or(0o644) & 0o7777;
        let uid = h.uid().unwrap_or(0);
        let gid = h.gid().unwrap_or(0);
        let mtime = h.mtime().unwrap_or(0) as i64;
        let ids = self.ids(uid, gid, &raw)?;
        let ts = TimeSpec::new(mtime, 0);
        let name_b = name.as_bytes();

        let parent = self.dir(parent_comps).map_err(|w| entry_err(&raw, w))?;
        let parent = parent.try_clone().map_err(|e| entry_err(&raw, e))?;
        // ELOOP and EXDEV come from openat2 refusing a symlink or a way out of the layer.
        let io = |what: &str, e: Errno| {
            if matches!(e, Errno::ELOOP | Errno::EXDEV) {
                entry_err(&raw, format!("{what}: {e}"))
            } else {
                write_err(&raw, format!("{what}: {e}"))
            }
        };

        // Whiteouts.
        if name_b == OPAQUE_MARKER.as_bytes() {
            set_xattr(&parent, OPAQUE_XATTR, b"y").map_err(|e| io("marking directory opaque", e))?;
            return Ok(());
        }
        if let Some(hidden) = name_b.strip_prefix(WHITEOUT_PREFIX.as_bytes()) {
            let hidden = OsStr::from_bytes(hidden);
            if hidden.is_empty() || hidden.as_bytes().contains(&b'/') {
                return Err(entry_err(&raw, "bad whiteout name"));
            }
            Self::clear(&parent, hidden);
            mknod_whiteout(&parent, Path::new(hidden)).map_err(|e| io("creating whiteout", e))?;
            return Ok(());
        }

        match kind {
            EntryType::Directory => {
                match mkdirat(&parent, name, Mode::from_bits_truncate(0o700)) {
                    Ok(()) => {}
                    Err(Errno::EEXIST) => {
                        if open_dir_beneath(&parent, Path::new(name)).is_err() {
                            Self::clear(&parent, name);
                            mkdirat(&parent, name, Mode::from_bits_truncate(0o700)).map_err(|e| io("mkdir", e))?;
                        }
                    }
                    Err(e) => return Err(io("mkdir", e)),
                }
                let d = open_dir_beneath(&parent, Path::new(name)).map_err(|e| io("opening directory", e))?;
                if let Some((u, g)) = ids {
                    fchownat(&d, "", Some(u), Some(g), AtFlags::AT_EMPTY_PATH).map_err(|e| io("chown", e))?;
                }
                fchmodat(
                    &parent,
                    name,
                    Mode::from_bits_truncate(mode),
                    FchmodatFlags::FollowSymlink,
                )
                .map_err(|e| io("chmod", e))?;
                let mut rel = join(parent_comps);
                rel.push(name);
                self.dir_times.push((rel, mtime));
            }
            EntryType::Regular | EntryType::Continuous => {
                Self::clear(&parent, name);
                let fd = openat(
                    &parent,
                    name,
                    OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_WRONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
                    Mode::from_bits_truncate(0o600),
                )
                .map_err(|e| io("create", e))?;
                let mut f = File::from(fd);
                let mut rel = join(parent_comps);
                rel.push(name);
                self.rec.borrow_mut().file(rel.as_os_str().as_bytes(), e.size());
                loop {
                    let n = e
                        .read(&mut self.buf)
                        .map_err(|x| entry_err(&raw, format!("reading layer: {x}")))?;
                    if n == 0 {
                        break;
                    }
                    f.write_all(&self.buf[..n])
                        .map_err(|x| write_err(&raw, format!("writing: {x}")))?;
                }
                if !self.rec.borrow().file_done() {
                    return Err(entry_err(&raw, "content shorter than its header says"));
                }
                if let Some((u, g)) = ids {
                    fchown(&f, Some(u), Some(g)).map_err(|e| io("chown", e))?;
                }
                fchmod(&f, Mode::from_bits_truncate(mode)).map_err(|e| io("chmod", e))?;
                futimens(&f, &ts, &ts).map_err(|e| io("set times", e))?;
            }
            EntryType::Symlink => {
                let target = e
                    .link_name_bytes()
                    .ok_or_else(|| entry_err(&raw, "symlink without target"))?
                    .into_owned();
                Self::clear(&parent, name);
                symlinkat(OsStr::from_bytes(&target), &parent, name).map_err(|e| io("symlink", e))?;
                if let Some((u, g)) = ids {
                    fchownat(&parent, name, Some(u), Some(g), AtFlags::AT_SYMLINK_NOFOLLOW)
                        .map_err(|e| io("chown", e))?;
                }
                utimensat(&parent, name, &ts, &ts, UtimensatFlags::NoFollowSymlink).map_err(|e| io("set times", e))?;
            }
            EntryType::Link => {
                let target = e
                    .link_name_bytes()
                    .ok_or_else(|| entry_err(&raw, "hard link without target"))?
                    .into_owned();
                let tcomps = clean_path(&target).map_err(|w| entry_err(&raw, format!("hard link target: {w}")))?;
                let Some((tname, tparent)) = tcomps.split_last() else {
                    return Err(entry_err(&raw, "hard link to the layer root"));
                };
                let tname = *tname;
                let tdir = open_dir_beneath(&self.root, &join(tparent))
                    .map_err(|e| entry_err(&raw, format!("hard link target directory: {e}")))?;
                Self::clear(&parent, name);
                linkat(&tdir, tname, &parent, name, AtFlags::empty()).map_err(|e| io("hard link", e))?;
            }
            EntryType::Fifo => {
                Self::clear(&parent, name);
                mkfifo_at(&parent, Path::new(name), mode).map_err(|e| io("mkfifo", e))?;
                if let Some((u, g)) = ids {
                    fchownat(&parent, name, Some(u), Some(g), AtFlags::AT_SYMLINK_NOFOLLOW)
                        .map_err(|e| io("chown", e))?;
                }
            }
            EntryType::Char | EntryType::Block => {
                let (maj, min) = (h.device_major().ok().flatten(), h.device_minor().ok().flatten());
                if kind == EntryType::Char && maj == Some(0) && min == Some(0) {
                    // Already an overlay-style whiteout.
                    Self::clear(&parent, name);
                    mknod_whiteout(&parent, Path::new(name)).map_err(|e| io("creating whiteout", e))?;
                } else {
                    self.skipped_devices += 1;
                }
            }
            // PAX/GNU headers are consumed by the tar crate; anything else is metadata we skip.
            _ => {}
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        for (rel, mtime) in std::mem::take(&mut self.dir_times).into_iter().rev() {
            let ts = TimeSpec::new(mtime, 0);
            if let Ok(pfd) = open_dir_beneath(&self.root, rel.parent().unwrap_or(Path::new(""))) {
                if let Some(n) = rel.file_name() {
                    let _ = utimensat(&pfd, n, &ts, &ts, UtimensatFlags::NoFollowSymlink);
                }
            }
        }
        Ok(())
    }
}

/// Extract a (possibly compressed) layer stream into the existing directory `dest`.
pub fn extract_layer<R: Read>(stream: R, dest: &Path, own: Ownership) -> Result<Extracted> {
    let root = crate::sys::fs::open_dir(dest).map_err(|e| crate::err!("opening {}: {e}", dest.display()))?;
    let reader = decompress(stream).map_err(|e| crate::err!("reading layer: {e}"))?;
    let hashing = HashingReader::new(reader);
    let rec = split::Shared::default();
    let mut archive = tar::Archive::new(split::SplitReader {
        inner: hashing,
        rec: rec.clone(),
    });
    let mut ex = Extractor {
        root,
        own,
        dirs: HashMap::new(),
        dir_times: Vec::new(),
        buf: vec![0u8; 256 * 1024],
        skipped_devices: 0,
        rec: rec.clone(),
        root_mode: None,
    };
    for entry in archive.entries().map_err(|e| crate::err!("reading layer: {e}"))? {
        let entry = entry.map_err(|e| crate::err!("reading layer: {e}"))?;
        ex.entry(entry)?;
    }
    ex.finish()?;
    // What follows the end of the archive (padding) is part of the stream, and of the record.
    let mut rest = archive.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(|e| crate::err!("reading layer: {e}"))?;
    let split::SplitReader {
        inner: hashing,
        rec: rest_rec,
    } = rest;
    drop(rest_rec);
    let (diff_id, size) = hashing.finish().map_err(|e| crate::err!("reading layer: {e}"))?;
    let (ex_skipped, root_mode) = (ex.skipped_devices, ex.root_mode);
    drop(ex);
    let tar_split = Rc::try_unwrap(rec)
        .map_err(|_| crate::err!("tar-split record still shared"))?
        .into_inner()
        .finish()
        .map_err(|e| crate::err!("compressing the layer's tar-split record: {e}"))?;
    Ok(Extracted {
        diff_id,
        size,
        skipped_devices: ex_skipped,
        tar_split,
        root_mode,
    })
}

/// A `Write` that hands its bytes to another thread in chunks (`record_layer`).
struct ChunkWriter {
    tx: std::sync::mpsc::SyncSender<Vec<u8>>,
    buf: Vec<u8>,
}

impl Write for ChunkWriter {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(b);
        if self.buf.len() >= 256 * 1024 {
            self.flush()?;
        }
        Ok(b.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(256 * 1024));
            self.tx
                .send(chunk)
                .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the layer reader stopped"))?;
        }
        Ok(())
    }
}

/// The reading end of `ChunkWriter`.
struct ChunkReader {
    rx: std::sync::mpsc::Receiver<Vec<u8>>,
    cur: Vec<u8>,
    pos: usize,
}

impl Read for ChunkReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.cur.len() {
            match self.rx.recv() {
                Ok(c) => {
                    self.cur = c;
                    self.pos = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.cur.len() - self.pos);
        out[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// The diff_id, size and tar-split record of the layer tar that `produce` writes, for files
/// that are already where the layer directory will be (a build step's directory, which becomes
/// the layer as it is): nothing is extracted and no file is written. The record is the one
/// `extract_layer` would make of the same stream, so the stream can be rebuilt from the
/// directory. `produce` runs on a thread of its own while this one reads.
pub fn record_layer(produce: impl FnOnce(&mut dyn Write) -> Result<()> + Send) -> Result<Extracted> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(8);
    std::thread::scope(|s| {
        let writer = s.spawn(move || {
            let mut w = ChunkWriter {
                tx,
                buf: Vec::with_capacity(256 * 1024),
            };
            produce(&mut w).and_then(|_| w.flush().map_err(|e| crate::err!("writing the layer: {e}")))
        });
        let read = (|| -> Result<Extracted> {
            let hashing = HashingReader::new(ChunkReader {
                rx,
                cur: Vec::new(),
                pos: 0,
            });
            let rec = split::Shared::default();
            let mut archive = tar::Archive::new(split::SplitReader {
                inner: hashing,
                rec: rec.clone(),
            });
            let mut root_mode = None;
            for entry in archive.entries().map_err(|e| crate::err!("reading layer: {e}"))? {
                let mut e = entry.map_err(|e| crate::err!("reading layer: {e}"))?;
                let raw = e.path_bytes().into_owned();
                let comps = clean_path(&raw).map_err(|w| entry_err(&raw, w))?;
                let kind = e.header().entry_type();
                let Some((name, _)) = comps.split_last() else {
                    if kind == EntryType::Directory {
                        root_mode = Some(e.header().mode().unwrap_or(0o755) & 0o7777);
                    }
                    continue;
                };
                let nb = name.as_bytes();
                if nb == OPAQUE_MARKER.as_bytes() || nb.starts_with(WHITEOUT_PREFIX.as_bytes()) {
                    continue;
                }
                if matches!(kind, EntryType::Regular | EntryType::Continuous) {
                    rec.borrow_mut().file(join(&comps).as_os_str().as_bytes(), e.size());
                    io::copy(&mut e, &mut io::sink()).map_err(|x| entry_err(&raw, format!("reading layer: {x}")))?;
                    if !rec.borrow().file_done() {
                        return Err(entry_err(&raw, "content shorter than its header says"));
                    }
                }
            }
            let mut rest = archive.into_inner();
            io::copy(&mut rest, &mut io::sink()).map_err(|e| crate::err!("reading layer: {e}"))?;
            let split::SplitReader {
                inner: hashing,
                rec: r2,
            } = rest;
            drop(r2);
            let (diff_id, size) = hashing.finish().map_err(|e| crate::err!("reading layer: {e}"))?;
            let tar_split = Rc::try_unwrap(rec)
                .map_err(|_| crate::err!("tar-split record still shared"))?
                .into_inner()
                .finish()
                .map_err(|e| crate::err!("compressing the layer's tar-split record: {e}"))?;
            Ok(Extracted {
                diff_id,
                size,
                skipped_devices: 0,
                tar_split,
                root_mode,
            })
        })();
        // The writer's own error explains a stream cut short.
        let w = writer
            .join()
            .map_err(|_| crate::err!("writing the layer: the writer thread panicked"))?;
        w?;
        read
    })
}

/// A layer tar made entry by entry while its files are written elsewhere (a build's COPY): only
/// hashed and recorded (tar-split), never stored. Headers are made as `tar::Builder` makes
/// them (GNU, long names as GNU long-name entries).
pub struct LayerTar {
    hasher: Sha256,
    size: u64,
    rec: split::Recorder,
    scratch: tar::Builder<Vec<u8>>,
}

impl Default for LayerTar {
    fn default() -> Self {
        LayerTar {
            hasher: Sha256::new(),
            size: 0,
            rec: split::Recorder::default(),
            scratch: tar::Builder::new(Vec::new()),
        }
    }
}

fn layer_header(kind: EntryType, mode: u32, uid: u32, gid: u32, mtime: i64, size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_uid(uid as u64);
    h.set_gid(gid as u64);
    h.set_mtime(mtime.max(0) as u64);
    h.set_size(size);
    h
}

impl LayerTar {
    fn bytes(&mut self, b: &[u8]) {
        self.hasher.update(b);
        self.size += b.len() as u64;
        self.rec.feed(b);
    }

    /// What the scratch builder wrote (the header, and a long-name entry before it).
    fn flush_scratch(&mut self) {
        let v = std::mem::take(self.scratch.get_mut());
        self.bytes(&v);
    }

    fn werr(path: &Path, e: io::Error) -> Error {
        crate::err!("recording layer entry {}: {e}", path.display())
    }

    /// A directory (`path` relative to the layer, no trailing slash).
    pub fn dir(&mut self, path: &Path, mode: u32, uid: u32, gid: u32, mtime: i64) -> Result<()> {
        let mut h = layer_header(EntryType::Directory, mode, uid, gid, mtime, 0);
        let mut name = path.as_os_str().to_os_string();
        name.push("/");
        self.scratch
            .append_data(&mut h, Path::new(&name), io::empty())
            .map_err(|e| Self::werr(path, e))?;
        self.flush_scratch();
        Ok(())
    }

    /// A symlink.
    pub fn symlink(&mut self, path: &Path, target: &Path, uid: u32, gid: u32, mtime: i64) -> Result<()> {
        let mut h = layer_header(EntryType::Symlink, 0o777, uid, gid, mtime, 0);
        self.scratch
            .append_link(&mut h, path, target)
            .map_err(|e| Self::werr(path, e))?;
        self.flush_scratch();
        Ok(())
    }

    /// A hard link to `target` (relative to the layer), which came earlier.
    pub fn hard_link(&mut self, path: &Path, target: &Path, mode: u32, uid: u32, gid: u32, mtime: i64) -> Result<()> {
        let mut h = layer_header(EntryType::Link, mode, uid, gid, mtime, 0);
        self.scratch
            .append_link(&mut h, path, target)
            .map_err(|e| Self::werr(path, e))?;
        self.flush_scratch();
        Ok(())
    }

    /// A regular file of `size` bytes: its content follows through `data` calls, exactly
    /// `size` bytes, then `end_file`.
    pub fn file(&mut self, path: &Path, size: u64, mode: u32, uid: u32, gid: u32, mtime: i64) -> Result<()> {
        let mut h = layer_header(EntryType::Regular, mode, uid, gid, mtime, size);
        self.scratch
            .append_data(&mut h, path, io::empty())
            .map_err(|e| Self::werr(path, e))?;
        self.flush_scratch();
        self.rec.file(path.as_os_str().as_bytes(), size);
        Ok(())
    }

    pub fn data(&mut self, b: &[u8]) {
        self.bytes(b);
    }

    /// The padding after a file of `size` bytes.
    pub fn end_file(&mut self, size: u64) {
        let rem = (512 - size % 512) % 512;
        self.bytes(&[0u8; 512][..rem as usize]);
    }

    /// The end of the archive (two zero blocks, as `tar::Builder::finish`), and the layer's
    /// diff_id, size and tar-split record.
    pub fn finish(mut self) -> Result<Extracted> {
        self.bytes(&[0u8; 1024]);
        let diff_id = format!("sha256:{}", hex::encode(self.hasher.finalize()));
        let tar_split = self
            .rec
            .finish()
            .map_err(|e| crate::err!("compressing the layer's tar-split record: {e}"))?;
        Ok(Extracted {
            diff_id,
            size: self.size,
            skipped_devices: 0,
            tar_split,
            root_mode: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_tar_rebuilds_from_the_files() {
        let dir = tmpdir("layertar");
        std::fs::create_dir_all(dir.join("d")).unwrap();
        std::fs::write(dir.join("d/f"), b"hello").unwrap();
        let long = format!("d/{}", "n".repeat(150));
        std::fs::write(dir.join(&long), b"abc").unwrap();
        let mut lt = LayerTar::default();
        lt.dir(Path::new("d"), 0o755, 0, 0, 1_700_000_000).unwrap();
        lt.file(Path::new("d/f"), 5, 0o644, 1, 2, 1_700_000_000).unwrap();
        lt.data(b"hel");
        lt.data(b"lo");
        lt.end_file(5);
        lt.file(Path::new(&long), 3, 0o600, 0, 0, 1).unwrap();
        lt.data(b"abc");
        lt.end_file(3);
        lt.symlink(Path::new("d/s"), Path::new("f"), 0, 0, 1).unwrap();
        lt.hard_link(Path::new("d/h"), Path::new("d/f"), 0o644, 1, 2, 1)
            .unwrap();
        let ex = lt.finish().unwrap();
        let mut out = Vec::new();
        let got = split::Rebuilt::open(&ex.tar_split)
            .unwrap()
            .write_to(&dir, &mut out)
            .unwrap();
        assert_eq!(got, ex.diff_id);
        assert_eq!(out.len() as u64, ex.size);
        // The stream is a tar a layer extraction accepts, with the same digest.
        let d2 = tmpdir("layertar2");
        let ex2 = extract_layer(&out[..], &d2, NO_CHOWN).unwrap();
        assert_eq!(ex2.diff_id, ex.diff_id);
        assert_eq!(std::fs::read(d2.join(&long)).unwrap(), b"abc");
        std::fs::remove_dir_all(&dir).unwrap();
        std::fs::remove_dir_all(&d2).unwrap();
    }

    #[test]
    fn record_layer_matches_extract_layer() {
        let data = tar_with(|b| {
            let mut h = header(EntryType::Directory, 0, 0o755);
            b.append_data(&mut h, "d/", io::empty()).unwrap();
            let mut h = header(EntryType::Regular, 5, 0o644);
            b.append_data(&mut h, "d/f", &b"hello"[..]).unwrap();
            let long = format!("d/{}", "n".repeat(150));
            let mut h = header(EntryType::Regular, 3, 0o644);
            b.append_data(&mut h, &long, &b"abc"[..]).unwrap();
            let mut h = header(EntryType::Regular, 0, 0o644);
            b.append_data(&mut h, "d/.wh.gone", io::empty()).unwrap();
            let mut h = header(EntryType::Symlink, 0, 0o777);
            b.append_link(&mut h, "d/s", "f").unwrap();
        });
        let dir = tmpdir("record");
        let ex = extract_layer(&data[..], &dir, NO_CHOWN).unwrap();
        let d2 = data.clone();
        let rec = record_layer(move |w| {
            w.write_all(&d2).unwrap();
            Ok(())
        })
        .unwrap();
        assert_eq!(rec.diff_id, ex.diff_id);
        assert_eq!(rec.size, ex.size);
        assert_eq!(
            zstd::decode_all(&rec.tar_split[..]).unwrap(),
            zstd::decode_all(&ex.tar_split[..]).unwrap()
        );
        let mut out = Vec::new();
        split::Rebuilt::open(&rec.tar_split)
            .unwrap()
            .write_to(&dir, &mut out)
            .unwrap();
        assert_eq!(out, data);
        assert!(record_layer(|_| Err(crate::err!("boom"))).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn clean_path_rules() {
        let c = |s: &str| {
            clean_path(s.as_bytes()).map(|v| v.iter().map(|x| x.to_string_lossy().into_owned()).collect::<Vec<_>>())
        };
        assert_eq!(c("./a/b/").unwrap(), vec!["a", "b"]);
        assert_eq!(c("a//./b").unwrap(), vec!["a", "b"]);
        assert!(c("./").unwrap().is_empty());
        assert!(c("/etc/passwd").is_err());
        assert!(c("../x").is_err());
        assert!(c("a/../../x").is_err());
        assert!(c("a/..").is_err());
        assert_eq!(c("a/..b/c..").unwrap(), vec!["a", "..b", "c.."]);
    }

    fn tar_with(build: impl FnOnce(&mut tar::Builder<Vec<u8>>)) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        build(&mut b);
        b.into_inner().unwrap()
    }

    fn header(kind: EntryType, size: u64, mode: u32) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_size(size);
        h.set_mode(mode);
        h.set_mtime(1_700_000_000);
        h
    }

    fn tmpdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("hutch-archive-test-{tag}-{}", crate::digest::random_hex(6)));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    const NO_CHOWN: Ownership = Ownership {
        keep: false,
        uid_span: 1,
        gid_span: 1,
    };

    #[test]
    fn extracts_files_links_and_whiteouts_and_hashes() {
        let data = tar_with(|b| {
            let mut h = header(EntryType::Directory, 0, 0o755);
            b.append_data(&mut h, "d/", io::empty()).unwrap();
            let mut h = header(EntryType::Regular, 5, 0o4755);
            b.append_data(&mut h, "d/f", &b"hello"[..]).unwrap();
            let mut h = header(EntryType::Symlink, 0, 0o777);
            b.append_link(&mut h, "d/s", "f").unwrap();
            let mut h = header(EntryType::Link, 0, 0o644);
            b.append_link(&mut h, "d/h", "d/f").unwrap();
            let mut h = header(EntryType::Regular, 0, 0o644);
            b.append_data(&mut h, "d/.wh.gone", io::empty()).unwrap();
            let mut h = header(EntryType::Regular, 0, 0o644);
            b.append_data(&mut h, "new/deep/file", io::empty()).unwrap();
        });
        let want = format!("sha256:{}", crate::digest::sha256_hex(&data));
        let dir = tmpdir("ok");
        let ex = extract_layer(&data[..], &dir, NO_CHOWN).unwrap();
        assert_eq!(ex.diff_id, want);
        assert_eq!(ex.size, data.len() as u64);
        use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
        assert_eq!(std::fs::read(dir.join("d/f")).unwrap(), b"hello");
        assert_eq!(
            std::fs::metadata(dir.join("d/f")).unwrap().permissions().mode() & 0o7777,
            0o4755
        );
        assert_eq!(std::fs::read_link(dir.join("d/s")).unwrap(), Path::new("f"));
        assert_eq!(
            std::fs::metadata(dir.join("d/h")).unwrap().ino(),
            std::fs::metadata(dir.join("d/f")).unwrap().ino()
        );
        let wh = std::fs::symlink_metadata(dir.join("d/gone")).unwrap();
        assert!(wh.file_type().is_char_device() && wh.rdev() == 0);
        assert!(dir.join("new/deep/file").exists());
        assert_eq!(std::fs::metadata(dir.join("d")).unwrap().mtime(), 1_700_000_000);
        assert_eq!(ex.root_mode, None, "no root entry");
        std::fs::remove_dir_all(&dir).unwrap();
        // A root entry (`./`) only tells the mode of the container's root.
        let data = tar_with(|b| {
            let mut h = header(EntryType::Directory, 0, 0o751);
            b.append_data(&mut h, "./", io::empty()).unwrap();
        });
        let dir = tmpdir("root");
        assert_eq!(extract_layer(&data[..], &dir, NO_CHOWN).unwrap().root_mode, Some(0o751));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn tar_split_rebuilds_the_exact_stream() {
        let data = tar_with(|b| {
            let mut h = header(EntryType::Directory, 0, 0o755);
            b.append_data(&mut h, "d/", io::empty()).unwrap();
            let mut h = header(EntryType::Regular, 5, 0o644);
            b.append_data(&mut h, "d/f", &b"hello"[..]).unwrap();
            let long = format!("d/{}", "n".repeat(150));
            let mut h = header(EntryType::Regular, 700, 0o600);
            b.append_data(&mut h, &long, &[7u8; 700][..]).unwrap();
            let mut h = header(EntryType::Regular, 0, 0o644);
            b.append_data(&mut h, "d/.wh.gone", io::empty()).unwrap();
            let mut h = header(EntryType::Link, 0, 0o644);
            b.append_link(&mut h, "d/h", "d/f").unwrap();
        });
        let mut data = data;
        data.extend_from_slice(&[0u8; 4096]); // extra padding after the end blocks, as some tools write
        let dir = tmpdir("split");
        let ex = extract_layer(&data[..], &dir, NO_CHOWN).unwrap();
        let rebuilt = split::Rebuilt::open(&ex.tar_split).unwrap();
        assert_eq!(rebuilt.len(), data.len() as u64);
        let mut out = Vec::new();
        assert_eq!(rebuilt.write_to(&dir, &mut out).unwrap(), ex.diff_id);
        assert_eq!(out, data);
        assert!(ex.tar_split.len() < data.len());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn gzip_and_zstd_give_the_same_diff_id() {
        let data = tar_with(|b| {
            let mut h = header(EntryType::Regular, 3, 0o644);
            b.append_data(&mut h, "x", &b"abc"[..]).unwrap();
        });
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&data).unwrap();
        let gz = gz.finish().unwrap();
        let zs = zstd::encode_all(&data[..], 3).unwrap();
        let want = format!("sha256:{}", crate::digest::sha256_hex(&data));
        for (tag, blob) in [("gz", gz), ("zst", zs)] {
            let dir = tmpdir(tag);
            assert_eq!(extract_layer(&blob[..], &dir, NO_CHOWN).unwrap().diff_id, want);
            assert_eq!(std::fs::read(dir.join("x")).unwrap(), b"abc");
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    /// Raw tar headers let us write names the tar crate's builder refuses.
    fn raw_entry(name: &str, kind: EntryType, link: &str, body: &[u8]) -> Vec<u8> {
        let mut h = header(kind, body.len() as u64, 0o644);
        h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        h.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
        h.set_cksum();
        let mut out = h.as_bytes().to_vec();
        out.extend_from_slice(body);
        out.resize(out.len().div_ceil(512) * 512, 0);
        out
    }

    #[test]
    fn refuses_escapes() {
        let outside = tmpdir("outside");
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("dotdot", raw_entry("../../escape", EntryType::Regular, "", b"x")),
            ("abs", raw_entry("/tmp/escape-abs", EntryType::Regular, "", b"x")),
            ("symlink-parent", {
                let mut v = raw_entry("esc", EntryType::Symlink, outside.to_str().unwrap(), b"");
                v.extend(raw_entry("esc/pwned", EntryType::Regular, "", b"x"));
                v
            }),
            (
                "hardlink-out",
                raw_entry("h", EntryType::Link, "../../../../etc/passwd", b""),
            ),
            ("hardlink-abs", raw_entry("h", EntryType::Link, "/etc/passwd", b"")),
            ("hardlink-via-symlink", {
                let mut v = raw_entry("s", EntryType::Symlink, "/etc", b"");
                v.extend(raw_entry("h", EntryType::Link, "s/passwd", b""));
                v
            }),
        ];
        for (tag, mut data) in cases {
            data.extend_from_slice(&[0u8; 1024]);
            let dir = tmpdir(tag);
            let err = extract_layer(&data[..], &dir, NO_CHOWN).unwrap_err().to_string();
            assert!(err.starts_with("refusing layer entry"), "{tag}: {err}");
            assert!(!outside.join("pwned").exists(), "{tag} escaped");
            std::fs::remove_dir_all(&dir).unwrap();
        }
        std::fs::remove_dir_all(&outside).unwrap();
    }
}
