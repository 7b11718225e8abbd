//! The build context on the host: `.containerignore`/`.dockerignore` with Docker's pattern rules
//! (Go `filepath.Match` plus `**`, `!` exceptions, the last matching pattern wins, a pattern
//! matching a parent directory excludes what is in it), COPY/ADD source resolution (globs,
//! symlinks resolved as if the context were `/`, never out of it), content digests for the
//! layer cache, and the tar stream a COPY sends to the worker. Ignored files are never read.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Context, Result};

/// Go's `filepath.Match` on `/`-separated names; with `double_star`, a `**` component also
/// matches any number of directories (Docker's ignore files).
pub fn pmatch(pat: &str, name: &str, double_star: bool) -> bool {
    fn go(p: &[char], n: &[char], ds: bool) -> bool {
        let mut pi = 0;
        let mut ni = 0;
        while pi < p.len() {
            match p[pi] {
                '*' => {
                    let dbl = ds && pi + 1 < p.len() && p[pi + 1] == '*';
                    if dbl {
                        let mut rest = pi + 2;
                        // `**/` also matches no directory at all.
                        if rest < p.len() && p[rest] == '/' {
                            if go(&p[rest + 1..], &n[ni..], ds) {
                                return true;
                            }
                            rest += 1;
                        }
                        let _ = rest;
                        for k in ni..=n.len() {
                            if go(&p[pi + 2..], &n[k..], ds) {
                                return true;
                            }
                        }
                        return false;
                    }
                    for k in ni..=n.len() {
                        if go(&p[pi + 1..], &n[k..], ds) {
                            return true;
                        }
                        if k < n.len() && n[k] == '/' {
                            break;
                        }
                    }
                    return false;
                }
                '?' => {
                    if ni >= n.len() || n[ni] == '/' {
                        return false;
                    }
                    pi += 1;
                    ni += 1;
                }
                '[' => {
                    if ni >= n.len() || n[ni] == '/' {
                        return false;
                    }
                    let c = n[ni];
                    let mut j = pi + 1;
                    let neg = j < p.len() && (p[j] == '^' || p[j] == '!');
                    if neg {
                        j += 1;
                    }
                    let mut hit = false;
                    let mut first = true;
                    while j < p.len() && (first || p[j] != ']') {
                        first = false;
                        let mut lo = p[j];
                        if lo == '\\' && j + 1 < p.len() {
                            j += 1;
                            lo = p[j];
                        }
                        let mut hi = lo;
                        if j + 2 < p.len() && p[j + 1] == '-' && p[j + 2] != ']' {
                            hi = p[j + 2];
                            j += 2;
                        }
                        if lo <= c && c <= hi {
                            hit = true;
                        }
                        j += 1;
                    }
                    if j >= p.len() || hit == neg {
                        return false;
                    }
                    pi = j + 1;
                    ni += 1;
                }
                '\\' if pi + 1 < p.len() => {
                    if ni >= n.len() || n[ni] != p[pi + 1] {
                        return false;
                    }
                    pi += 2;
                    ni += 1;
                }
                c => {
                    if ni >= n.len() || n[ni] != c {
                        return false;
                    }
                    pi += 1;
                    ni += 1;
                }
            }
        }
        ni == n.len()
    }
    let p: Vec<char> = pat.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go(&p, &n, double_star)
}

pub fn has_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Lexically clean a `/`-separated relative path (`a/./b/../c` -> `a/c`); `..` stops at the top.
pub fn clean_rel(p: &str) -> String {
    let mut v: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                v.pop();
            }
            c => v.push(c),
        }
    }
    v.join("/")
}

/// An ignore file's patterns.
#[derive(Debug, Default, Clone)]
pub struct Ignore {
    pats: Vec<(bool, String)>,
}

impl Ignore {
    pub fn parse(text: &str) -> Ignore {
        let mut pats = Vec::new();
        for l in text.lines() {
            let l = l.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            let (neg, p) = match l.strip_prefix('!') {
                Some(r) => (true, r.trim()),
                None => (false, l),
            };
            let p = clean_rel(p);
            if p.is_empty() {
                continue;
            }
            pats.push((neg, p));
        }
        Ignore { pats }
    }

    /// Read `.containerignore`, else `.dockerignore`, in `dir` (none: nothing ignored).
    pub fn load(dir: &Path) -> Result<Ignore> {
        for n in [".containerignore", ".dockerignore"] {
            let p = dir.join(n);
            match fs::read_to_string(&p) {
                Ok(t) => return Ok(Ignore::parse(&t)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => crate::bail!("reading {}: {e}", p.display()),
            }
        }
        Ok(Ignore::default())
    }

    /// Whether an excluded directory `dir` is listed at all, for `!` patterns to let in
    /// something under it: only when an exception pattern starts with `dir/` literally, as
    /// Docker's and Podman's context walks decide (so `!*/keep` lets nothing in from under an
    /// excluded directory). An excluded directory no exception names is never opened (it
    /// may be huge or unreadable).
    pub fn may_reinclude_under(&self, dir: &str) -> bool {
        let d = format!("{dir}/");
        self.pats.iter().any(|(n, p)| *n && format!("{p}/").starts_with(&d))
    }

    /// Whether `rel` (cleaned, relative to the context) is excluded.
    pub fn excluded(&self, rel: &str) -> bool {
        if rel.is_empty() {
            return false;
        }
        let mut out = false;
        let parts: Vec<&str> = rel.split('/').collect();
        for (neg, p) in &self.pats {
            let mut hit = pmatch(p, rel, true);
            if !hit {
                // A pattern matching a parent directory matches what is in it.
                for k in 1..parts.len() {
                    if pmatch(p, &parts[..k].join("/"), true) {
                        hit = true;
                        break;
                    }
                }
            }
            if hit {
                out = !neg;
            }
        }
        out
    }
}

/// What a COPY puts where: `dest` is relative to the destination directory.
#[derive(Debug, Clone)]
pub struct Entry {
    pub dest: String,
    pub src: PathBuf,
    pub md: fs::Metadata,
    /// An excluded directory copied only as the parent of something a `!` pattern lets in:
    /// made 0755 in the image, as Docker and Podman make it, not with the context's mode.
    pub implicit: bool,
}

impl Entry {
    pub fn new(dest: String, src: PathBuf, md: fs::Metadata) -> Entry {
        Entry {
            dest,
            src,
            md,
            implicit: false,
        }
    }

    /// The permission bits the copy gets (before --chmod).
    pub fn perm(&self) -> u32 {
        if self.implicit {
            0o755
        } else {
            self.md.mode() & 0o7777
        }
    }
}

/// The context, its ignore rules, and where symlinks may lead (nowhere out of `root`).
pub struct Ctx {
    pub root: PathBuf,
    pub ignore: Ignore,
    /// Content digests of the context's files known from earlier builds.
    pub hashes: std::cell::RefCell<HashCache>,
}

/// What a file's content digest was computed for: when all of it is unchanged, the file is
/// taken as unchanged and not read again (as git's index does; the digest, never the stat
/// data, stays the layer cache's key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime_ns: i128,
    ctime_ns: i128,
}

impl Stamp {
    fn of(md: &fs::Metadata) -> Stamp {
        Stamp {
            dev: md.dev(),
            ino: md.ino(),
            size: md.len(),
            mtime_ns: md.mtime() as i128 * 1_000_000_000 + md.mtime_nsec() as i128,
            ctime_ns: md.ctime() as i128 * 1_000_000_000 + md.ctime_nsec() as i128,
        }
    }
}

/// The content digests of a context's files by path, kept between builds in a file of the
/// store's build cache (`build-cache/context-hashes/<digest of the context's path>`).
#[derive(Debug, Default)]
pub struct HashCache {
    file: Option<PathBuf>,
    /// `known` was read from `file` (only when a digest is not found among `sums`).
    loaded: bool,
    known: std::collections::HashMap<Vec<u8>, (Stamp, [u8; 32])>,
    changed: bool,
    /// Whole COPY sources: the digest of their names, modes and stamps -> their content
    /// digest, newest first (`FILE.sums`): an unchanged source tree is one lookup.
    sums: Vec<(String, String)>,
    sums_changed: bool,
    /// When this build started (ns): files changed since then, or just before (within the
    /// file system's timestamp granularity), are not remembered, so that a write racing the
    /// hashing is never missed.
    started_ns: i128,
}

impl HashCache {
    /// The cache for context `root`, kept under `dir`; an unreadable or corrupt file is an
    /// empty cache.
    pub fn open(dir: &Path, root: &Path) -> HashCache {
        let file = dir.join(crate::digest::sha256_hex(root.as_os_str().as_encoded_bytes()));
        let sums = fs::read_to_string(file.with_extension("sums"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once(' '))
            .filter(|(k, v)| k.len() == 64 && v.len() == 64)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as i128)
            .unwrap_or(0);
        HashCache {
            file: Some(file),
            started_ns: now,
            sums,
            ..Default::default()
        }
    }

    /// Read the per-file digests (once).
    fn load(&mut self) {
        if self.loaded {
            return;
        }
        self.loaded = true;
        let Some(file) = &self.file else { return };
        let mut known = std::collections::HashMap::new();
        if let Ok(text) = fs::read(file) {
            for line in text.split(|b| *b == b'\n') {
                let mut f = line.splitn(7, |b| *b == b' ');
                let mut num = || -> Option<i128> { std::str::from_utf8(f.next()?).ok()?.parse().ok() };
                let (Some(dev), Some(ino), Some(size), Some(m), Some(c)) = (num(), num(), num(), num(), num()) else {
                    continue;
                };
                let (Some(h), Some(path)) = (f.next(), f.next()) else {
                    continue;
                };
                let mut d = [0u8; 32];
                if hex::decode_to_slice(h, &mut d).is_err() {
                    continue;
                }
                let stamp = Stamp {
                    dev: dev as u64,
                    ino: ino as u64,
                    size: size as u64,
                    mtime_ns: m,
                    ctime_ns: c,
                };
                known.insert(path.to_vec(), (stamp, d));
            }
        }
        self.known = known;
    }

    /// The content digest of `entries` when their names, modes and stamps are those of an
    /// earlier build; else None and the key to remember it under (when all are settled).
    fn sum(&self, entries: &[Entry]) -> (Option<String>, Option<String>) {
        let mut h = Sha256::new();
        let mut settled = true;
        for e in entries {
            let s = Stamp::of(&e.md);
            settled &= s.ctime_ns.max(s.mtime_ns) < self.started_ns - 2_000_000_000;
            h.update(e.dest.as_bytes());
            h.update(
                format!(
                    "\0{:o} {} {} {} {} {} {}\0",
                    e.md.mode(),
                    e.implicit,
                    s.dev,
                    s.ino,
                    s.size,
                    s.mtime_ns,
                    s.ctime_ns
                )
                .as_bytes(),
            );
            h.update(e.src.as_os_str().as_encoded_bytes());
            h.update([1]);
        }
        let key = hex::encode(h.finalize());
        match self.sums.iter().find(|(k, _)| *k == key) {
            Some((_, d)) => (Some(d.clone()), None),
            None => (None, settled.then_some(key)),
        }
    }

    fn put_sum(&mut self, key: String, digest: String) {
        self.sums.insert(0, (key, digest));
        self.sums.truncate(64);
        self.sums_changed = true;
    }

    /// The sha256 of file `p`'s content, read only when its stamp changed.
    fn content(&mut self, p: &Path, md: &fs::Metadata, buf: &mut [u8]) -> Result<[u8; 32]> {
        self.load();
        let key = p.as_os_str().as_encoded_bytes();
        let stamp = Stamp::of(md);
        if let Some((s, d)) = self.known.get(key) {
            if *s == stamp {
                return Ok(*d);
            }
        }
        let mut h = Sha256::new();
        let mut f = fs::File::open(p).ctx(|| format!("reading {}", p.display()))?;
        let mut n_all = 0u64;
        loop {
            let n = f.read(buf).ctx(|| format!("reading {}", p.display()))?;
            if n == 0 {
                break;
            }
            n_all += n as u64;
            h.update(&buf[..n]);
        }
        let d: [u8; 32] = h.finalize().into();
        // Remembered only when nothing changed while it was read, and not just before the
        // build began.
        let settled = n_all == stamp.size
            && fs::metadata(p).map(|m| Stamp::of(&m) == stamp).unwrap_or(false)
            && stamp.ctime_ns.max(stamp.mtime_ns) < self.started_ns - 2_000_000_000;
        if settled && !key.contains(&b'\n') {
            self.known.insert(key.to_vec(), (stamp, d));
            self.changed = true;
        }
        Ok(d)
    }

    /// Keep what was learnt (best effort: the cache only saves reads).
    pub fn save(&mut self) {
        let Some(file) = &self.file else { return };
        if let Some(dir) = file.parent() {
            if self.sums_changed || self.changed {
                let _ = fs::create_dir_all(dir);
            }
        }
        if self.sums_changed {
            let text: String = self.sums.iter().map(|(k, v)| format!("{k} {v}\n")).collect();
            let _ = crate::sys::fs::replace_atomic(&file.with_extension("sums"), text.as_bytes(), 0o600);
            self.sums_changed = false;
        }
        if !self.changed {
            return;
        }
        let mut out = Vec::with_capacity(self.known.len() * 160);
        for (path, (s, d)) in &self.known {
            out.extend_from_slice(
                format!(
                    "{} {} {} {} {} {} ",
                    s.dev,
                    s.ino,
                    s.size,
                    s.mtime_ns,
                    s.ctime_ns,
                    hex::encode(d)
                )
                .as_bytes(),
            );
            out.extend_from_slice(path);
            out.push(b'\n');
        }
        if let Some(dir) = file.parent() {
            let _ = fs::create_dir_all(dir);
        }
        let _ = crate::sys::fs::replace_atomic(file, &out, 0o600);
        self.changed = false;
    }
}

impl Ctx {
    /// Resolve `rel` inside the context with symlinks followed as if the context were `/`.
    /// Returns the context-relative path (cleaned) of what is there, or None.
    pub fn resolve(&self, rel: &str) -> Option<String> {
        let mut todo: std::collections::VecDeque<String> = clean_rel(rel)
            .split('/')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        let mut done: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(c) = todo.pop_front() {
            if c == ".." {
                done.pop();
                continue;
            }
            let p = self.root.join(done.join("/")).join(&c);
            let md = fs::symlink_metadata(&p).ok()?;
            // Only the last component may be a non-directory; symlinks are followed here (the
            // top-level source), inside the context.
            if md.file_type().is_symlink() {
                hops += 1;
                if hops > 40 {
                    return None;
                }
                let t = fs::read_link(&p).ok()?;
                let t = t.to_string_lossy().to_string();
                if t.starts_with('/') {
                    done.clear();
                }
                for x in t.split('/').rev() {
                    if !x.is_empty() && x != "." {
                        todo.push_front(x.to_string());
                    }
                }
                continue;
            }
            if !todo.is_empty() && !md.is_dir() {
                return None;
            }
            done.push(c);
        }
        Some(done.join("/"))
    }

    /// Context-relative paths matching `pattern` (Go's filepath.Match per component), not
    /// ignored.
    fn glob(&self, pattern: &str) -> Vec<String> {
        let pat = clean_rel(pattern);
        let comps: Vec<&str> = pat.split('/').collect();
        let mut cur = vec![String::new()];
        for (i, c) in comps.iter().enumerate() {
            let mut next = Vec::new();
            for base in &cur {
                let dir = self.root.join(base);
                if !has_glob(c) {
                    let rel = if base.is_empty() {
                        c.to_string()
                    } else {
                        format!("{base}/{c}")
                    };
                    if fs::symlink_metadata(self.root.join(&rel)).is_ok() {
                        next.push(rel);
                    }
                    continue;
                }
                let Ok(rd) = fs::read_dir(&dir) else { continue };
                let mut names: Vec<String> = rd
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect();
                names.sort();
                for n in names {
                    if pmatch(c, &n, false) {
                        let rel = if base.is_empty() { n } else { format!("{base}/{n}") };
                        if i + 1 < comps.len() && !self.root.join(&rel).is_dir() {
                            continue;
                        }
                        next.push(rel);
                    }
                }
            }
            cur = next;
        }
        cur.into_iter()
            .filter(|r| !self.ignore.excluded(r) || self.ignore.may_reinclude_under(r))
            .collect()
    }

    /// The entries for COPY `sources` (context-relative, already expanded). `dir_dest`: the
    /// destination is a directory (ends with `/`, several sources, a glob, a directory source).
    /// Returns the entries and whether the destination must be a directory.
    pub fn sources(&self, sources: &[String]) -> Result<(Vec<Entry>, bool)> {
        let mut out = Vec::new();
        let mut many = sources.len() > 1;
        // A glob matching nothing is no error when another source matches something (as
        // Docker's and Podman's builds).
        let mut unmatched = None;
        let mut matched = 0;
        for s in sources {
            let matches = if has_glob(s) {
                many = true;
                let m = self.glob(s);
                if m.is_empty() {
                    unmatched.get_or_insert_with(|| s.clone());
                    continue;
                }
                m
            } else {
                vec![clean_rel(s)]
            };
            matched += matches.len();
            for m in matches {
                if self.ignore.excluded(&m) {
                    // An excluded directory that `!` patterns let something in from: that.
                    let dir = self.resolve(&m).filter(|r| self.root.join(r).is_dir());
                    if let Some(real) = dir.filter(|_| self.ignore.may_reinclude_under(&m)) {
                        let before = out.len();
                        self.walk(&real, "", &mut out)?;
                        if out.len() > before {
                            many = true;
                            continue;
                        }
                    }
                    crate::bail!("COPY/ADD source {s}: no such file or directory in the build context (or excluded by .containerignore/.dockerignore)");
                }
                let real = self.resolve(&m).ok_or_else(|| {
                    crate::err!("COPY/ADD source {s}: no such file or directory in the build context")
                })?;
                let p = self.root.join(&real);
                let md = fs::metadata(&p).ctx(|| format!("COPY/ADD source {s}"))?;
                if md.is_dir() {
                    many = true;
                    self.walk(&real, "", &mut out)?;
                } else {
                    let name = Path::new(&m)
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    out.push(Entry::new(name, p, md));
                }
            }
        }
        if let (0, Some(s)) = (matched, unmatched) {
            crate::bail!("COPY/ADD source {s}: no file in the build context matches");
        }
        // A file two sources name (`a.txt` and `?.txt`) is copied once, where the last puts it.
        let mut seen = std::collections::HashSet::new();
        let mut keep: Vec<bool> = out
            .iter()
            .rev()
            .map(|e| e.md.is_dir() || seen.insert(e.dest.clone()))
            .collect();
        keep.reverse();
        let mut k = keep.into_iter();
        out.retain(|_| k.next().unwrap_or(true));
        Ok((out, many))
    }

    /// The contents of context directory `rel` as entries under `dest` (symlinks kept).
    /// The names are listed first (types from the directory entries, no stat), then every
    /// entry is stat'ed relative to its directory's descriptor, on several threads for a large
    /// tree: a cached rebuild's work is mostly this walk, and path lookups from `/` for each
    /// file cost as much as the stat itself.
    fn walk(&self, rel: &str, dest: &str, out: &mut Vec<Entry>) -> Result<()> {
        let mut found = Vec::new();
        self.list(rel, dest, &mut found, &mut 0)?;
        let stat = |f: &Found| -> Result<fs::Metadata> {
            match &f.de {
                Some(de) => de.metadata(),
                None => fs::symlink_metadata(&f.src),
            }
            .ctx(|| format!("reading {}", f.src.display()))
        };
        let threads = if found.len() >= 1024 {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
                .clamp(2, 4)
        } else {
            1
        };
        let mds: Vec<Result<fs::Metadata>> = if threads == 1 {
            found.iter().map(stat).collect()
        } else {
            let chunk = found.len().div_ceil(threads);
            std::thread::scope(|sc| {
                let hs: Vec<_> = found
                    .chunks(chunk)
                    .map(|c| sc.spawn(move || c.iter().map(stat).collect::<Vec<_>>()))
                    .collect();
                hs.into_iter()
                    .flat_map(|h| {
                        h.join()
                            .unwrap_or_else(|_| vec![Err(crate::err!("reading the build context: a thread failed"))])
                    })
                    .collect()
            })
        };
        out.reserve(found.len());
        for (f, md) in found.into_iter().zip(mds) {
            out.push(Entry {
                dest: f.dest,
                src: f.src,
                md: md?,
                implicit: f.implicit,
            });
        }
        Ok(())
    }

    /// The names under context directory `rel`, sorted, depth first (see `walk`). The
    /// directory entries (each holding its directory open) are kept for the first
    /// `KEEP_OPEN` directories only (`open` counts them); the others are stat'ed by path.
    fn list(&self, rel: &str, dest: &str, out: &mut Vec<Found>, open: &mut usize) -> Result<()> {
        const KEEP_OPEN: usize = 256;
        let dir = self.root.join(rel);
        let keep = *open < KEEP_OPEN;
        *open += 1;
        let mut des: Vec<(std::ffi::OsString, fs::DirEntry)> = Vec::new();
        for e in fs::read_dir(&dir).ctx(|| format!("reading {}", dir.display()))? {
            let e = e.ctx(|| format!("reading {}", dir.display()))?;
            des.push((e.file_name(), e));
        }
        des.sort_by(|a, b| a.0.cmp(&b.0));
        for (n, de) in des {
            let n = n.to_string_lossy().into_owned();
            let crel = if rel.is_empty() {
                n.clone()
            } else {
                format!("{rel}/{n}")
            };
            let cdest = if dest.is_empty() {
                n.clone()
            } else {
                format!("{dest}/{n}")
            };
            let p = self.root.join(&crel);
            let is_dir = de.file_type().ctx(|| format!("reading {}", p.display()))?.is_dir();
            let de = keep.then_some(de);
            if self.ignore.excluded(&crel) {
                // Something under an excluded directory may be let in again by a `!` pattern.
                if is_dir && self.ignore.may_reinclude_under(&crel) {
                    let before = out.len();
                    self.list(&crel, &cdest, out, open)?;
                    if out.len() > before {
                        out.insert(
                            before,
                            Found {
                                dest: cdest,
                                src: p,
                                de,
                                implicit: true,
                            },
                        );
                    }
                }
                continue;
            }
            out.push(Found {
                dest: cdest.clone(),
                src: p,
                de,
                implicit: false,
            });
            if is_dir {
                self.list(&crel, &cdest, out, open)?;
            }
        }
        Ok(())
    }
}

/// An entry found by `Ctx::list`, not yet stat'ed.
struct Found {
    dest: String,
    src: PathBuf,
    de: Option<fs::DirEntry>,
    implicit: bool,
}

impl Ctx {
    /// Content digest of entries (names, types, modes, link targets, file contents): the layer
    /// cache's key for a COPY/ADD. mtime is not part of it (a touched, unchanged file still
    /// hits). The contents of files unchanged since an earlier build come from the hash cache
    /// instead of being read again.
    pub fn digest(&self, entries: &[Entry]) -> Result<String> {
        let mut c = self.hashes.borrow_mut();
        let (known, key) = c.sum(entries);
        if let Some(d) = known {
            return Ok(d);
        }
        let d = digest_with(entries, &mut c)?;
        if let Some(k) = key {
            c.put_sum(k, d.clone());
        }
        Ok(d)
    }
}

fn digest_with(entries: &[Entry], cache: &mut HashCache) -> Result<String> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    for e in entries {
        let ft = e.md.file_type();
        h.update(e.dest.as_bytes());
        h.update([0]);
        h.update(format!("{:o}\0", e.md.mode() & !0o7777 | e.perm()).as_bytes());
        if ft.is_symlink() {
            let t = fs::read_link(&e.src).ctx(|| format!("reading {}", e.src.display()))?;
            h.update(t.as_os_str().as_encoded_bytes());
        } else if ft.is_file() {
            h.update(cache.content(&e.src, &e.md, &mut buf)?);
        }
        h.update([1]);
    }
    Ok(hex::encode(h.finalize()))
}

/// How files get their owner and mode in the destination.
#[derive(Debug, Clone, Copy, Default)]
pub struct Attrs {
    /// --chmod: the mode of every file and directory copied.
    pub chmod: Option<u32>,
}

/// Write `entries` as a tar (owners 0:0; the worker applies --chown), modes from the files
/// or `--chmod`, mtimes kept.
pub fn write_tar(entries: &[Entry], attrs: Attrs, out: impl Write) -> Result<()> {
    let mut b = tar::Builder::new(out);
    let mut links: std::collections::HashMap<(u64, u64), String> = std::collections::HashMap::new();
    for e in entries {
        let ft = e.md.file_type();
        let mut h = tar::Header::new_gnu();
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(e.md.mtime().max(0) as u64);
        let mode = attrs.chmod.unwrap_or(e.perm());
        h.set_mode(mode);
        let werr = |x: std::io::Error| crate::err!("copying {}: {x}", e.src.display());
        if ft.is_dir() {
            h.set_entry_type(tar::EntryType::Directory);
            h.set_size(0);
            b.append_data(&mut h, &e.dest, std::io::empty()).map_err(werr)?;
        } else if ft.is_symlink() {
            let t = fs::read_link(&e.src).ctx(|| format!("reading {}", e.src.display()))?;
            h.set_entry_type(tar::EntryType::Symlink);
            h.set_size(0);
            h.set_mode(0o777);
            b.append_link(&mut h, &e.dest, &t).map_err(werr)?;
        } else if ft.is_file() {
            if e.md.nlink() > 1 {
                if let Some(first) = links.get(&(e.md.dev(), e.md.ino())) {
                    h.set_entry_type(tar::EntryType::Link);
                    h.set_size(0);
                    b.append_link(&mut h, &e.dest, first).map_err(werr)?;
                    continue;
                }
                links.insert((e.md.dev(), e.md.ino()), e.dest.clone());
            }
            let f = fs::File::open(&e.src).ctx(|| format!("reading {}", e.src.display()))?;
            h.set_entry_type(tar::EntryType::Regular);
            h.set_size(e.md.len());
            b.append_data(&mut h, &e.dest, f).map_err(werr)?;
        } else {
            // Sockets, FIFOs and devices in a context are skipped, as Docker does.
            continue;
        }
    }
    b.finish().map_err(|e| crate::err!("writing the copy stream: {e}"))?;
    Ok(())
}

/// Extract a context given as a tar on stdin into `dir` (refusing entries that leave it). When
/// stdin holds no tar but text, that is the Containerfile (returned), with an empty context.
pub fn unpack_stdin(dir: &Path) -> Result<Option<String>> {
    let bad = |e: std::io::Error| crate::err!("reading the context from stdin: {e}");
    let mut input = crate::archive::decompress(std::io::BufReader::new(std::io::stdin().lock())).map_err(bad)?;
    let mut head = Vec::with_capacity(512);
    (&mut input).take(512).read_to_end(&mut head).map_err(bad)?;
    if head.len() == 512 && head.iter().all(|b| *b == 0) {
        return Ok(None); // an empty tar
    }
    let is_tar = head.len() == 512
        && tar::Header::from_byte_slice(&head).cksum().is_ok_and(|c| {
            let mut h = head.clone();
            h[148..156].fill(b' ');
            c == h.iter().map(|b| *b as u32).sum::<u32>()
        });
    if !is_tar {
        input.read_to_end(&mut head).map_err(bad)?;
        return match String::from_utf8(head) {
            Ok(t) if !t.trim().is_empty() => Ok(Some(t)),
            _ => Err(crate::err!(
                "reading the context from stdin: neither a tar nor a Containerfile"
            )),
        };
    }
    let input = std::io::Cursor::new(head).chain(input);
    let mut ar = tar::Archive::new(input);
    ar.set_preserve_permissions(true);
    ar.set_overwrite(true);
    for e in ar
        .entries()
        .map_err(|e| crate::err!("reading the context from stdin: {e}"))?
    {
        let mut e = e.map_err(|e| crate::err!("reading the context from stdin: {e}"))?;
        let p = e
            .path()
            .map_err(|x| crate::err!("reading the context from stdin: {x}"))?
            .into_owned();
        if p.components()
            .any(|c| matches!(c, Component::ParentDir | Component::RootDir))
        {
            crate::bail!("the context on stdin has an entry that leaves it: {}", p.display());
        }
        if !e
            .unpack_in(dir)
            .map_err(|x| crate::err!("unpacking the context: {}: {x}", p.display()))?
        {
            crate::bail!("the context on stdin has an entry that leaves it: {}", p.display());
        }
    }
    // Directories extracted without write permission would block the temp dir's removal.
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_match() {
        assert!(pmatch("*.txt", "a.txt", false));
        assert!(!pmatch("*.txt", "d/a.txt", false));
        assert!(pmatch("d/*.txt", "d/a.txt", false));
        assert!(pmatch("a?c", "abc", false));
        assert!(pmatch("[a-c]x", "bx", false));
        assert!(!pmatch("[^a-c]x", "bx", false));
        assert!(pmatch("**/*.go", "a/b/c.go", true));
        assert!(pmatch("**/*.go", "c.go", true));
        assert!(pmatch("a/**", "a/b/c", true));
        assert!(pmatch("a/**/z", "a/z", true));
        assert!(!pmatch("**/*.go", "a/b/c.rs", true));
    }

    #[test]
    fn exceptions_reach_only_their_directories() {
        let i = Ignore::parse("secret\ncache\n!cache/keep.txt\n");
        assert!(i.may_reinclude_under("cache"));
        assert!(!i.may_reinclude_under("secret"));
        assert!(!i.may_reinclude_under("cach"));
        // Podman's 070-build "COPY with ignore": `!*/sub1*` names no directory.
        let i = Ignore::parse("test*\n!test2*\nsubdir1\nsubdir2\n!*/sub1*\n!subdir1/sub3*\n");
        assert!(i.may_reinclude_under("subdir1"));
        assert!(!i.may_reinclude_under("subdir2"));
        let i = Ignore::parse("*\n!src/a/keep\n");
        assert!(i.may_reinclude_under("src") && i.may_reinclude_under("src/a"));
        assert!(!i.may_reinclude_under("src/b"));
    }

    #[test]
    fn ignore_rules() {
        let i = Ignore::parse("# c\n*.log\n/build\n!build/keep\ndocs/**/*.md\n!docs/README.md\n");
        assert!(i.excluded("a.log"));
        assert!(!i.excluded("d/a.log"));
        assert!(i.excluded("build"));
        assert!(i.excluded("build/x"));
        assert!(!i.excluded("build/keep"));
        assert!(i.excluded("docs/a/b.md"));
        assert!(i.excluded("docs/b.md"));
        assert!(!i.excluded("docs/README.md"));
        assert!(!i.excluded("src/main.rs"));
        assert_eq!(clean_rel("./a/./b/../c/"), "a/c");
    }
}
