//! `hutch logs`: the monitor's k8s-file log, stdout lines to stdout and stderr lines to stderr.

use std::io::{BufRead, Seek, Write};

use crate::cli::LogsArgs;
use crate::container::Status;
use crate::error::Result;
use crate::store::Store;

struct Line {
    ts: String,
    stderr: bool,
    text: Vec<u8>,
}

/// Parse complete log records from `data`; P (partial) records join the next one of the same
/// stream.
fn parse(data: &[u8], pending: &mut [Option<Line>; 2], out: &mut Vec<Line>) {
    for raw in data.split(|b| *b == b'\n') {
        if raw.is_empty() {
            continue;
        }
        let mut parts = raw.splitn(4, |b| *b == b' ');
        let (Some(ts), Some(stream), Some(tag)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let text = parts.next().unwrap_or_default();
        let slot = &mut pending[usize::from(stream == b"stderr")];
        let line = slot.get_or_insert_with(|| Line {
            ts: String::from_utf8_lossy(ts).into(),
            stderr: stream == b"stderr",
            text: vec![],
        });
        line.text.extend_from_slice(text);
        if tag == b"F" {
            line.text.push(b'\n');
            out.push(slot.take().expect("pending"));
        }
    }
}

/// A time as `--since`/`--until` take it: unix seconds (fractions allowed), RFC 3339, or a Go
/// duration back from now; in seconds since the epoch.
pub(crate) fn time_arg(flag: &str, v: &str) -> Result<f64> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    if let Ok(n) = v.parse::<f64>() {
        return Ok(n);
    }
    if let Some(t) = ts_secs(v) {
        return Ok(t);
    }
    if let Some(d) = crate::spec::filter::duration_secs(v) {
        return Ok(now - d as f64);
    }
    crate::bail!("--{flag} {v:?}: expected a unix time, an RFC 3339 time or a duration such as 10m")
}

/// A log record's RFC 3339 time with its fraction, in seconds since the epoch.
fn ts_secs(ts: &str) -> Option<f64> {
    let whole = crate::output::parse_rfc3339(ts)? as f64;
    let frac = ts
        .get(19..)
        .and_then(|r| r.strip_prefix('.'))
        .map(|r| r.chars().take_while(|c| c.is_ascii_digit()).collect::<String>())
        .filter(|d| !d.is_empty())
        .and_then(|d| format!("0.{d}").parse::<f64>().ok())
        .unwrap_or(0.0);
    Some(whole + frac)
}

/// The lines within [since, until).
fn window(lines: &mut Vec<Line>, since: Option<f64>, until: Option<f64>) {
    if since.is_none() && until.is_none() {
        return;
    }
    lines.retain(|l| {
        let t = ts_secs(&l.ts).unwrap_or(0.0);
        since.is_none_or(|s| t >= s) && until.is_none_or(|u| t < u)
    });
}

/// Write lines out; `prefix` (the short id when several containers are shown, as Podman's) goes
/// before each.
fn emit(lines: &[Line], timestamps: bool, prefix: &str) {
    let (mut o, mut e) = (std::io::stdout().lock(), std::io::stderr().lock());
    for l in lines {
        let w: &mut dyn Write = if l.stderr { &mut e } else { &mut o };
        let r = if timestamps {
            w.write_all(format!("{prefix}{} ", l.ts).as_bytes())
                .and_then(|()| w.write_all(&l.text))
        } else if !prefix.is_empty() {
            w.write_all(prefix.as_bytes()).and_then(|()| w.write_all(&l.text))
        } else {
            w.write_all(&l.text)
        };
        if r.is_err() {
            std::process::exit(0);
        }
    }
    let _ = o.flush();
}

pub fn run(a: LogsArgs) -> Result<i32> {
    let since = a.since.as_deref().map(|v| time_arg("since", v)).transpose()?;
    let until = a.until.as_deref().map(|v| time_arg("until", v)).transpose()?;
    let store = Store::open()?;
    let idx = store.load_containers()?;
    // Every name is checked before anything is printed.
    let mut recs = Vec::new();
    for what in std::iter::once(&a.container).chain(&a.more) {
        recs.push(idx.containers[idx.resolve(what)?].clone());
    }
    // Several containers: each line starts with the container's short id, as Podman's; followed
    // together, their lines interleave as they come.
    let multi = recs.len() > 1;
    let prefix = |rec: &crate::store::containers::ContainerRecord| {
        if multi {
            format!("{} ", rec.short_id())
        } else {
            String::new()
        }
    };
    if a.follow && multi {
        let results: Vec<Result<i32>> = std::thread::scope(|s| {
            let hs: Vec<_> = recs
                .into_iter()
                .map(|rec| {
                    let (a, store, p) = (&a, &store, prefix(&rec));
                    s.spawn(move || one(a, store, rec, since, until, &p))
                })
                .collect();
            hs.into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Err(crate::err!("following a log failed"))))
                .collect()
        });
        for r in results {
            r?;
        }
        return Ok(0);
    }
    for rec in recs {
        let p = prefix(&rec);
        one(&a, &store, rec, since, until, &p)?;
    }
    Ok(0)
}

fn one(
    a: &LogsArgs,
    store: &Store,
    rec: crate::store::containers::ContainerRecord,
    since: Option<f64>,
    until: Option<f64>,
    prefix: &str,
) -> Result<i32> {
    if let Some(d) = rec.spec.log_driver.as_deref().filter(|_| !rec.spec.logged()) {
        crate::bail!("this container is using the '{d}' log driver, cannot read logs");
    }
    let path = store.container_dir(&rec.id).join("ctr.log");
    let mut pending: [Option<Line>; 2] = [None, None];
    let mut lines = Vec::new();
    let mut offset = 0u64;
    if let Ok(data) = std::fs::read(&path) {
        // Only complete records; a record being written is picked up when following.
        let end = data.iter().rposition(|b| *b == b'\n').map(|p| p + 1).unwrap_or(0);
        parse(&data[..end], &mut pending, &mut lines);
        offset = end as u64;
    }
    window(&mut lines, since, until);
    if let Some(n) = a.tail {
        let skip = lines.len().saturating_sub(n);
        lines.drain(..skip);
    }
    emit(&lines, a.timestamps, prefix);
    if !a.follow {
        let mut rest: Vec<Line> = pending.into_iter().flatten().collect();
        window(&mut rest, since, until);
        emit(&rest, a.timestamps, prefix);
        return Ok(0);
    }
    loop {
        let running = matches!(crate::container::status(&store, &rec).0, Status::Running { .. });
        if let Ok(mut f) = std::fs::File::open(&path) {
            // The monitor truncated the log at its size limit (log_size_max): read it anew.
            if f.metadata().is_ok_and(|m| m.len() < offset) {
                offset = 0;
                pending = [None, None];
            }
            let _ = f.seek(std::io::SeekFrom::Start(offset));
            let mut r = std::io::BufReader::new(f);
            let mut chunk = Vec::new();
            while let Ok(n) = r.read_until(b'\n', &mut chunk) {
                if n == 0 || !chunk.ends_with(b"\n") {
                    break;
                }
                offset += n as u64;
                let mut out = Vec::new();
                parse(&chunk, &mut pending, &mut out);
                window(&mut out, since, until);
                emit(&out, a.timestamps, prefix);
                chunk.clear();
            }
        }
        if !running {
            let mut rest: Vec<Line> = pending.into_iter().flatten().collect();
            window(&mut rest, since, until);
            emit(&rest, a.timestamps, prefix);
            return Ok(0);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
