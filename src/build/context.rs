//! The build context on the host: `.containerignore`/`.dockerignore` with Docker's pattern rules
//! (Go `filepath.Match` plus `**`, `!` exceptions, the last matching pattern wins, a pattern
//! matching a parent directory excludes what is in it), COPY/ADD source resolution (globs,
//! symlinks resolved as if the context were `/`, never out of it), content digests for the
//! layer cache, and the tar stream a COPY sends to the worker. Ignored files are never read.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
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

    pub fn has_exceptions(&self) -> bool {
        self.pats.iter().any(|(n, _)| *n)
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
}

/// The context, its ignore rules, and where symlinks may lead (nowhere out of `root`).
pub struct Ctx {
    pub root: PathBuf,
    pub ignore: Ignore,
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
        cur.into_iter().filter(|r| !self.ignore.excluded(r)).collect()
    }

    /// The entries for COPY `sources` (context-relative, already expanded). `dir_dest`: the
    /// destination is a directory (ends with `/`, several sources, a glob, a directory source).
    /// Returns the entries and whether the destination must be a directory.
    pub fn sources(&self, sources: &[String]) -> Result<(Vec<Entry>, bool)> {
        let mut out = Vec::new();
        let mut many = sources.len() > 1;
        for s in sources {
            let matches = if has_glob(s) {
                many = true;
                let m = self.glob(s);
                if m.is_empty() {
                    crate::bail!("COPY/ADD source {s}: no file in the build context matches");
                }
                m
            } else {
                vec![clean_rel(s)]
            };
            for m in matches {
                if self.ignore.excluded(&m) {
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
                    out.push(Entry { dest: name, src: p, md });
                }
            }
        }
        Ok((out, many))
    }

    /// The contents of context directory `rel` as entries under `dest` (symlinks kept).
    fn walk(&self, rel: &str, dest: &str, out: &mut Vec<Entry>) -> Result<()> {
        let dir = self.root.join(rel);
        let mut names: Vec<std::ffi::OsString> = Vec::new();
        for e in fs::read_dir(&dir).ctx(|| format!("reading {}", dir.display()))? {
            names.push(e.ctx(|| format!("reading {}", dir.display()))?.file_name());
        }
        names.sort();
        for n in names {
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
            let md = fs::symlink_metadata(&p).ctx(|| format!("reading {}", p.display()))?;
            if self.ignore.excluded(&crel) {
                // Something under an excluded directory may be let in again by a `!` pattern.
                if md.is_dir() && self.ignore.has_exceptions() {
                    let before = out.len();
                    self.walk(&crel, &cdest, out)?;
                    if out.len() > before {
                        out.insert(
                            before,
                            Entry {
                                dest: cdest,
                                src: p,
                                md,
                            },
                        );
                    }
                }
                continue;
            }
            let is_dir = md.is_dir();
            out.push(Entry {
                dest: cdest.clone(),
                src: p,
                md,
            });
            if is_dir {
                self.walk(&crel, &cdest, out)?;
            }
        }
        Ok(())
    }
}

/// Content digest of entries (names, types, modes, link targets, file contents): the layer
/// cache's key for a COPY/ADD. mtime is not part of it (a touched, unchanged file still hits).
pub fn digest(entries: &[Entry]) -> Result<String> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    for e in entries {
        let ft = e.md.file_type();
        h.update(e.dest.as_bytes());
        h.update([0]);
        h.update(format!("{:o}\0", e.md.mode()).as_bytes());
        if ft.is_symlink() {
            let t = fs::read_link(&e.src).ctx(|| format!("reading {}", e.src.display()))?;
            h.update(t.as_os_str().as_encoded_bytes());
        } else if ft.is_file() {
            let mut f = fs::File::open(&e.src).ctx(|| format!("reading {}", e.src.display()))?;
            loop {
                let n = f.read(&mut buf).ctx(|| format!("reading {}", e.src.display()))?;
                if n == 0 {
                    break;
                }
                h.update(&buf[..n]);
            }
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
        let mode = attrs.chmod.unwrap_or(e.md.permissions().mode() & 0o7777);
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

/// Extract a context given as a tar on stdin into `dir` (refusing entries that leave it).
pub fn unpack_stdin(dir: &Path) -> Result<()> {
    let input = crate::archive::decompress(std::io::BufReader::new(std::io::stdin().lock()))
        .map_err(|e| crate::err!("reading the context from stdin: {e}"))?;
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
    Ok(())
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
        assert!(i.has_exceptions());
        assert_eq!(clean_rel("./a/./b/../c/"), "a/c");
    }
}
