//! Tar-split: what a layer's tar stream had besides its files' contents (headers, padding, the
//! end blocks, byte for byte), recorded while the layer is extracted, so that the exact stream,
//! and with it the layer's diff_id, can be rebuilt later from the extracted directory (`save`).
//!
//! Format (zstd-compressed as a whole): records `b'R' u32le len, bytes` (raw stream bytes) and
//! `b'F' u64le size, u32le path_len, path` (the next `size` bytes are the content of the regular
//! file at `path`, relative to the layer directory).

use std::cell::RefCell;
use std::ffi::OsStr;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::rc::Rc;

use nix::fcntl::{openat, OFlag};
use nix::sys::stat::Mode;
use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::sys::fs::open_dir_beneath;

/// The recording side, shared between the reader under the tar parser and the extractor.
pub struct Recorder {
    /// Compressed as it goes: a layer of many small files has megabytes of headers.
    out: zstd::stream::write::Encoder<'static, Vec<u8>>,
    pending: Vec<u8>,
    /// Content bytes of the current file still to pass through unrecorded.
    skipping: u64,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder {
            out: zstd::stream::write::Encoder::new(Vec::new(), 3).expect("zstd encoder"),
            pending: Vec::new(),
            skipping: 0,
        }
    }
}

impl Recorder {
    /// Writes into a Vec cannot fail.
    fn put(&mut self, b: &[u8]) {
        self.out.write_all(b).expect("writing to memory");
    }

    fn flush_raw(&mut self) {
        if !self.pending.is_empty() {
            let pending = std::mem::take(&mut self.pending);
            for chunk in pending.chunks(u32::MAX as usize) {
                self.put(b"R");
                self.put(&(chunk.len() as u32).to_le_bytes());
                self.put(chunk);
            }
        }
    }

    /// The next `size` bytes read are the content of the file `path`.
    pub fn file(&mut self, path: &[u8], size: u64) {
        self.flush_raw();
        self.put(b"F");
        self.put(&size.to_le_bytes());
        self.put(&(path.len() as u32).to_le_bytes());
        self.put(path);
        self.skipping = size;
    }

    /// Bytes of the stream, in order: the current file's content (see `file`) passes
    /// unrecorded, the rest is recorded.
    pub fn feed(&mut self, b: &[u8]) {
        let skip = (self.skipping.min(b.len() as u64)) as usize;
        self.skipping -= skip as u64;
        self.pending.extend_from_slice(&b[skip..]);
        if self.pending.len() > 1 << 20 {
            self.flush_raw();
        }
    }

    /// True when the current file's content has been read in full.
    pub fn file_done(&self) -> bool {
        self.skipping == 0
    }

    /// The recording, compressed.
    pub fn finish(mut self) -> io::Result<Vec<u8>> {
        self.flush_raw();
        self.out.finish()
    }
}

pub type Shared = Rc<RefCell<Recorder>>;

/// Reads through, recording every byte that is not file content.
pub struct SplitReader<R> {
    pub inner: R,
    pub rec: Shared,
}

impl<R: Read> Read for SplitReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut r = self.rec.borrow_mut();
        let skip = (r.skipping.min(n as u64)) as usize;
        r.skipping -= skip as u64;
        r.pending.extend_from_slice(&buf[skip..n]);
        if r.pending.len() > 1 << 20 {
            r.flush_raw();
        }
        Ok(n)
    }
}

/// Walk the records of a decompressed stream: `raw(reader, len)` must consume exactly `len`
/// bytes; `file(path, size)` gets each file.
fn walk(
    compressed: &[u8],
    raw: &mut dyn FnMut(&mut dyn Read, u64) -> Result<()>,
    file: &mut dyn FnMut(&[u8], u64) -> Result<()>,
) -> Result<()> {
    let bad = |e: io::Error| crate::err!("layer tar-split record is corrupt: {e}");
    let mut r = io::BufReader::new(zstd::stream::read::Decoder::new(compressed).map_err(bad)?);
    loop {
        let mut tag = [0u8; 1];
        if r.read(&mut tag).map_err(bad)? == 0 {
            return Ok(());
        }
        match tag[0] {
            b'R' => {
                let mut l = [0u8; 4];
                r.read_exact(&mut l).map_err(bad)?;
                let len = u32::from_le_bytes(l) as u64;
                let mut part = (&mut r).take(len);
                raw(&mut part, len)?;
                if part.limit() != 0 {
                    return Err(crate::err!(
                        "layer tar-split record is corrupt: a raw record is cut short"
                    ));
                }
            }
            b'F' => {
                let mut sz = [0u8; 8];
                r.read_exact(&mut sz).map_err(bad)?;
                let mut l = [0u8; 4];
                r.read_exact(&mut l).map_err(bad)?;
                let mut path = vec![0u8; u32::from_le_bytes(l) as usize];
                r.read_exact(&mut path).map_err(bad)?;
                file(&path, u64::from_le_bytes(sz))?;
            }
            t => return Err(crate::err!("layer tar-split record is corrupt: unknown record {t}")),
        }
    }
}

/// A layer stream to rebuild: its length is known before it is written. Read as a stream
/// (twice: once for the length, once to write), never held decompressed in memory.
pub struct Rebuilt {
    compressed: Vec<u8>,
    len: u64,
}

impl Rebuilt {
    /// Read the compressed recording and check it.
    pub fn open(compressed: &[u8]) -> Result<Rebuilt> {
        let len = std::cell::Cell::new(0u64);
        walk(
            compressed,
            &mut |r, n| {
                let got =
                    io::copy(r, &mut io::sink()).map_err(|e| crate::err!("layer tar-split record is corrupt: {e}"))?;
                if got != n {
                    crate::bail!("layer tar-split record is corrupt: it is cut short");
                }
                len.set(len.get() + n);
                Ok(())
            },
            &mut |_, n| {
                len.set(len.get() + n);
                Ok(())
            },
        )?;
        let len = len.get();
        Ok(Rebuilt {
            compressed: compressed.to_vec(),
            len,
        })
    }

    /// Length of the tar stream.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Write the tar stream, taking file contents from `root` (without following symlinks);
    /// returns `sha256:<hex>` of what was written.
    pub fn write_to(&self, root: &Path, out: &mut dyn Write) -> Result<String> {
        let rootfd = crate::sys::fs::open_dir(root).map_err(|e| crate::err!("opening {}: {e}", root.display()))?;
        let mut files = Vec::new();
        walk(
            &self.compressed,
            &mut |r, _| {
                io::copy(r, &mut io::sink()).map_err(|e| crate::err!("layer tar-split record is corrupt: {e}"))?;
                Ok(())
            },
            &mut |path, size| {
                files.push((path.to_vec(), size));
                Ok(())
            },
        )?;
        let ahead = ReadAhead::new(files);
        std::thread::scope(|s| {
            for _ in 0..AHEAD_THREADS.min(ahead.files.len()) {
                s.spawn(|| ahead.run(&rootfd));
            }
            let r = self.write_files(&rootfd, out, &|| ahead.consumed_one());
            ahead.stop();
            r
        })
    }

    fn write_files(&self, rootfd: &std::os::fd::OwnedFd, out: &mut dyn Write, file_done: &dyn Fn()) -> Result<String> {
        let h = std::cell::RefCell::new(Sha256::new());
        let out = std::cell::RefCell::new(out);
        let mut buf = vec![0u8; 256 * 1024];
        let werr = |e: io::Error| crate::err!("writing: {e}");
        let mut copy = |r: &mut dyn Read, what: &dyn Fn(String) -> crate::error::Error| -> Result<u64> {
            let mut n_all = 0u64;
            loop {
                let n = r.read(&mut buf).map_err(|e| what(e.to_string()))?;
                if n == 0 {
                    return Ok(n_all);
                }
                h.borrow_mut().update(&buf[..n]);
                out.borrow_mut().write_all(&buf[..n]).map_err(werr)?;
                n_all += n as u64;
            }
        };
        let copy = std::cell::RefCell::new(&mut copy);
        walk(
            &self.compressed,
            &mut |r, _| (copy.borrow_mut())(r, &|e| crate::err!("layer tar-split record is corrupt: {e}")).map(drop),
            &mut |path, size| {
                let p = Path::new(OsStr::from_bytes(path));
                let gone = |e: String| crate::err!("layer file {}: {e}", p.display());
                let parent =
                    open_dir_beneath(rootfd, p.parent().unwrap_or(Path::new(""))).map_err(|e| gone(e.to_string()))?;
                let name = p.file_name().ok_or_else(|| gone("no name".into()))?;
                let fd = openat(
                    &parent,
                    name,
                    OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
                    Mode::empty(),
                )
                .map_err(|e| gone(e.to_string()))?;
                let mut f = std::fs::File::from(fd).take(size);
                let got = (copy.borrow_mut())(&mut f, &gone)?;
                if got != size {
                    return Err(gone(format!("shorter than the {size} bytes the layer had")));
                }
                file_done();
                Ok(())
            },
        )?;
        let digest = h.into_inner().finalize();
        Ok(format!("sha256:{}", hex::encode(digest)))
    }
}

/// Threads that read a layer's files ahead of its rebuild.
const AHEAD_THREADS: usize = 4;
/// How far ahead of the rebuild they go, in files and in bytes.
const AHEAD_FILES: usize = 256;
const AHEAD_BYTES: u64 = 64 << 20;

/// Read-ahead of the files a rebuild is about to read, in its order: on a cold page cache a
/// layer of thousands of small files is read one file (and one disk round trip) at a time,
/// so a few threads open the next files (beneath the layer's root, refusing symlinks) and ask
/// the kernel to start reading them, staying at most `AHEAD_FILES` files and `AHEAD_BYTES`
/// bytes ahead. Only a hint: the rebuild reads and checks every byte itself.
struct ReadAhead {
    files: Vec<(Vec<u8>, u64)>,
    /// Bytes of the files before each one.
    before: Vec<u64>,
    next: std::sync::atomic::AtomicUsize,
    /// Files the rebuild has read, and whether it is over.
    state: std::sync::Mutex<(usize, bool)>,
    cv: std::sync::Condvar,
}

impl ReadAhead {
    fn new(files: Vec<(Vec<u8>, u64)>) -> ReadAhead {
        let mut before = Vec::with_capacity(files.len());
        let mut sum = 0u64;
        for (_, n) in &files {
            before.push(sum);
            sum += n;
        }
        ReadAhead {
            files,
            before,
            next: std::sync::atomic::AtomicUsize::new(0),
            state: std::sync::Mutex::new((0, false)),
            cv: std::sync::Condvar::new(),
        }
    }

    fn run(&self, rootfd: &std::os::fd::OwnedFd) {
        use std::sync::atomic::Ordering;
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            if i >= self.files.len() {
                return;
            }
            let Ok(mut st) = self.state.lock() else { return };
            while !st.1 && i > st.0 && (i >= st.0 + AHEAD_FILES || self.before[i] - self.before[st.0] >= AHEAD_BYTES) {
                st = match self.cv.wait(st) {
                    Ok(g) => g,
                    Err(_) => return,
                };
            }
            if st.1 {
                return;
            }
            let behind = i < st.0;
            drop(st);
            if behind {
                continue; // the rebuild read it already
            }
            let (path, size) = &self.files[i];
            if *size > 0 {
                let _ = crate::sys::fs::prefetch_beneath(rootfd, Path::new(OsStr::from_bytes(path)), *size);
            }
        }
    }

    fn consumed_one(&self) {
        if let Ok(mut st) = self.state.lock() {
            st.0 += 1;
        }
        self.cv.notify_all();
    }

    fn stop(&self) {
        if let Ok(mut st) = self.state.lock() {
            st.1 = true;
        }
        self.cv.notify_all();
    }
}
