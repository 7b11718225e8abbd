//! Deterministic parallel gzip, as pigz makes it: the input is cut into 1 MiB chunks, each
//! chunk is deflated on its own (on a pool of one thread per CPU) with the 32 KiB before it as
//! the dictionary and ends with a sync flush, and the pieces are joined into one deflate stream
//! in one gzip member. The output depends only on the input and the level, never on the number
//! of threads or the timing, so the same layer always gives the same blob (and digest).
//!
//! A chunk whose bytes are spread almost evenly (random or already compressed data, measured
//! with integer arithmetic, hence deterministic) is stored rather than searched for matches
//! that are not there: the costliest and most useless part of gzip on such data.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};

use flate2::{Compress, Compression, Crc, FlushCompress, Status};

/// Input bytes per chunk (the unit of parallel work).
const CHUNK: usize = 1 << 20;
/// Deflate's window: the dictionary handed from one chunk to the next.
const DICT: usize = 32 << 10;

type Job = Box<dyn FnOnce() + Send>;

/// The compression threads, shared by every writer of the process (one per CPU).
fn pool() -> &'static Mutex<mpsc::Sender<Job>> {
    static POOL: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    POOL.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let n = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        for i in 0..n {
            let rx = rx.clone();
            let _ = std::thread::Builder::new()
                .name(format!("gzip-{i}"))
                .spawn(move || loop {
                    let job = match rx.lock() {
                        Ok(r) => r.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(j) => j(),
                        Err(_) => return,
                    }
                });
        }
        Mutex::new(tx)
    })
}

fn threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
}

/// Whether `data` looks incompressible: its byte histogram is nearly flat (the collision
/// count sum(c^2) within 3% of a uniform one's).
fn incompressible(data: &[u8]) -> bool {
    if data.len() < 4096 {
        return false;
    }
    let mut h = [0u64; 256];
    for &b in data {
        h[b as usize] += 1;
    }
    let n = data.len() as u128;
    let sq: u128 = h.iter().map(|&c| (c as u128) * (c as u128)).sum();
    // Uniform: sum(c^2) ~ n^2/256 + n.
    sq * 256 * 100 < (n * n + 256 * n) * 103
}

/// Deflate one chunk (raw deflate, no header): with the dictionary, ending in a sync flush, or
/// in the final block when `last`.
fn deflate_chunk(data: &[u8], dict: &[u8], level: u32, last: bool) -> io::Result<Vec<u8>> {
    let level = if level > 0 && incompressible(data) { 0 } else { level };
    let mut c = Compress::new(Compression::new(level), false);
    if level > 0 && !dict.is_empty() {
        c.set_dictionary(dict).map_err(io::Error::other)?;
    }
    let flush = if last {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    let mut out = Vec::with_capacity(data.len() + data.len() / 8 + 1024);
    loop {
        let done_in = c.total_in() as usize;
        let st = c
            .compress_vec(&data[done_in..], &mut out, flush)
            .map_err(io::Error::other)?;
        let consumed = c.total_in() as usize == data.len();
        match st {
            Status::StreamEnd => break,
            _ if !last && consumed && out.len() < out.capacity() => break,
            _ => out.reserve(64 << 10),
        }
    }
    Ok(out)
}

type Pending = mpsc::Receiver<io::Result<(Vec<u8>, Crc)>>;

/// A gzip writer that compresses on every CPU; `finish` writes the end and returns the inner
/// writer. Chunks are written to `out` in order as they are done.
pub struct ParGzWriter<W: Write> {
    out: Option<W>,
    level: u32,
    buf: Vec<u8>,
    dict: Vec<u8>,
    pending: VecDeque<Pending>,
    crc: Crc,
    started: bool,
    finished: bool,
}

impl<W: Write> ParGzWriter<W> {
    pub fn new(out: W, level: u32) -> ParGzWriter<W> {
        ParGzWriter {
            out: Some(out),
            level: level.min(9),
            buf: Vec::with_capacity(CHUNK),
            dict: Vec::new(),
            pending: VecDeque::new(),
            crc: Crc::new(),
            started: false,
            finished: false,
        }
    }

    fn out(&mut self) -> &mut W {
        self.out.as_mut().expect("writer present until finished")
    }

    fn header(&mut self) -> io::Result<()> {
        if !self.started {
            self.started = true;
            // ID, CM=deflate, no flags, MTIME 0, XFL 0, OS unknown: the same bytes every time.
            let xfl = match self.level {
                9 => 2,
                1 => 4,
                _ => 0,
            };
            self.out().write_all(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 255])?;
        }
        Ok(())
    }

    /// Write the oldest pending chunk once it is compressed.
    fn drain_one(&mut self) -> io::Result<()> {
        let Some(rx) = self.pending.pop_front() else {
            return Ok(());
        };
        let (bytes, crc) = rx
            .recv()
            .map_err(|_| io::Error::other("a compression thread stopped"))??;
        self.crc.combine(&crc);
        self.header()?;
        self.out().write_all(&bytes)
    }

    fn dispatch(&mut self, last: bool) -> io::Result<()> {
        let data = std::mem::replace(&mut self.buf, if last { Vec::new() } else { Vec::with_capacity(CHUNK) });
        let dict = std::mem::take(&mut self.dict);
        if !last {
            self.dict = data[data.len().saturating_sub(DICT)..].to_vec();
        }
        let level = self.level;
        let (tx, rx) = mpsc::channel();
        let job: Job = Box::new(move || {
            let mut crc = Crc::new();
            crc.update(&data);
            let _ = tx.send(deflate_chunk(&data, &dict, level, last).map(|b| (b, crc)));
        });
        pool()
            .lock()
            .map_err(|_| io::Error::other("compression pool poisoned"))?
            .send(job)
            .map_err(|_| io::Error::other("compression pool stopped"))?;
        self.pending.push_back(rx);
        while self.pending.len() > 2 * threads() {
            self.drain_one()?;
        }
        Ok(())
    }

    /// Compress what is left, write the gzip trailer and return the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.dispatch(true)?;
        while !self.pending.is_empty() {
            self.drain_one()?;
        }
        self.header()?;
        let (sum, amount) = (self.crc.sum(), self.crc.amount());
        let out = self.out();
        out.write_all(&sum.to_le_bytes())?;
        out.write_all(&amount.to_le_bytes())?;
        out.flush()?;
        self.finished = true;
        Ok(self.out.take().expect("writer present"))
    }
}

impl<W: Write> Write for ParGzWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = data.len().min(CHUNK - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() == CHUNK {
            self.dispatch(false)?;
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn gz(data: &[u8], level: u32) -> Vec<u8> {
        let mut w = ParGzWriter::new(Vec::new(), level);
        // Odd write sizes: chunking must not depend on them.
        for piece in data.chunks(77_777) {
            w.write_all(piece).unwrap();
        }
        w.finish().unwrap()
    }

    fn sample() -> Vec<u8> {
        let mut v = Vec::new();
        let mut x: u64 = 7;
        for i in 0..3_500_000u64 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            if (i / 500_000) % 2 == 0 {
                v.extend_from_slice(format!("line {} of text {}\n", i % 1000, x % 13).as_bytes());
            } else {
                v.push((x >> 33) as u8);
            }
        }
        v
    }

    #[test]
    fn round_trips_and_is_deterministic() {
        let data = sample();
        for level in [0, 1, 6, 9] {
            let a = gz(&data, level);
            assert_eq!(a, gz(&data, level));
            let mut back = Vec::new();
            flate2::read::GzDecoder::new(&a[..]).read_to_end(&mut back).unwrap();
            assert!(back == data, "level {level}");
        }
        let empty = gz(b"", 6);
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&empty[..]).read_to_end(&mut back).unwrap();
        assert!(back.is_empty());
    }

    #[test]
    fn random_chunks_are_stored() {
        let mut x: u64 = 1;
        let data: Vec<u8> = (0..CHUNK)
            .map(|_| {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (x >> 33) as u8
            })
            .collect();
        assert!(incompressible(&data));
        assert!(!incompressible(&vec![b'a'; CHUNK]));
        assert!(!incompressible(sample()[..CHUNK].as_ref()));
    }
}
