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
#[derive(Default)]
pub struct Recorder {
    out: Vec<u8>,
    pending: Vec<u8>,
    /// Content bytes of the current file still to pass through unrecorded.
    skipping: u64,
}

impl Recorder {
    fn flush_raw(&mut self) {
        if !self.pending.is_empty() {
            for chunk in self.pending.chunks(u32::MAX as usize) {
                self.out.push(b'R');
                self.out.extend_from_slice(&(chunk.len() as u32).to_le_bytes());
                self.out.extend_from_slice(chunk);
            }
            self.pending.clear();
        }
    }

    /// The next `size` bytes read are the content of the file `path`.
    pub fn file(&mut self, path: &[u8], size: u64) {
        self.flush_raw();
        self.out.push(b'F');
        self.out.extend_from_slice(&size.to_le_bytes());
        self.out.extend_from_slice(&(path.len() as u32).to_le_bytes());
        self.out.extend_from_slice(path);
        self.skipping = size;
    }

    /// True when the current file's content has been read in full.
    pub fn file_done(&self) -> bool {
        self.skipping == 0
    }

    /// The recording, compressed.
    pub fn finish(mut self) -> io::Result<Vec<u8>> {
        self.flush_raw();
        zstd::encode_all(&self.out[..], 3)
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
        Ok(n)
    }
}

enum Rec<'a> {
    Raw(&'a [u8]),
    File(&'a [u8], u64),
}

fn parse(data: &[u8]) -> Result<Vec<Rec<'_>>> {
    let bad = || crate::err!("layer tar-split record is corrupt");
    let mut out = Vec::new();
    let mut i = 0;
    let take = |i: &mut usize, n: usize| -> Result<&[u8]> {
        let s = data.get(*i..*i + n).ok_or_else(bad)?;
        *i += n;
        Ok(s)
    };
    while i < data.len() {
        let tag = take(&mut i, 1)?[0];
        match tag {
            b'R' => {
                let len = u32::from_le_bytes(take(&mut i, 4)?.try_into().expect("4")) as usize;
                out.push(Rec::Raw(take(&mut i, len)?));
            }
            b'F' => {
                let size = u64::from_le_bytes(take(&mut i, 8)?.try_into().expect("8"));
                let len = u32::from_le_bytes(take(&mut i, 4)?.try_into().expect("4")) as usize;
                out.push(Rec::File(take(&mut i, len)?, size));
            }
            _ => return Err(bad()),
        }
    }
    Ok(out)
}

/// A rebuilt layer stream: its length is known before it is written.
pub struct Rebuilt {
    data: Vec<u8>,
}

impl Rebuilt {
    /// Read the compressed recording.
    pub fn open(compressed: &[u8]) -> Result<Rebuilt> {
        let data = zstd::decode_all(compressed).map_err(|e| crate::err!("layer tar-split record is corrupt: {e}"))?;
        parse(&data)?;
        Ok(Rebuilt { data })
    }

    /// Length of the tar stream.
    pub fn len(&self) -> u64 {
        parse(&self.data).expect("checked").iter().map(|r| match r {
            Rec::Raw(b) => b.len() as u64,
            Rec::File(_, n) => *n,
        }).sum()
    }

    /// Write the tar stream, taking file contents from `root` (without following symlinks);
    /// returns `sha256:<hex>` of what was written.
    pub fn write_to(&self, root: &Path, out: &mut dyn Write) -> Result<String> {
        let rootfd = crate::sys::fs::open_dir(root).map_err(|e| crate::err!("opening {}: {e}", root.display()))?;
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 256 * 1024];
        let werr = |e: io::Error| crate::err!("writing: {e}");
        for r in parse(&self.data)? {
            match r {
                Rec::Raw(b) => {
                    h.update(b);
                    out.write_all(b).map_err(werr)?;
                }
                Rec::File(path, size) => {
                    let p = Path::new(OsStr::from_bytes(path));
                    let gone = |e: String| crate::err!("layer file {}: {e}", p.display());
                    let parent = open_dir_beneath(&rootfd, p.parent().unwrap_or(Path::new(""))).map_err(|e| gone(e.to_string()))?;
                    let name = p.file_name().ok_or_else(|| gone("no name".into()))?;
                    let fd = openat(&parent, name, OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC, Mode::empty())
                        .map_err(|e| gone(e.to_string()))?;
                    let mut f = std::fs::File::from(fd).take(size);
                    let mut left = size;
                    loop {
                        let n = f.read(&mut buf).map_err(|e| gone(e.to_string()))?;
                        if n == 0 {
                            break;
                        }
                        h.update(&buf[..n]);
                        out.write_all(&buf[..n]).map_err(werr)?;
                        left -= n as u64;
                    }
                    if left != 0 {
                        return Err(gone(format!("shorter than the {size} bytes the layer had")));
                    }
                }
            }
        }
        Ok(format!("sha256:{}", hex::encode(h.finalize())))
    }
}
