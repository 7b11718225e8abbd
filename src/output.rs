//! The only writer to stdout and stderr: notes, tables, JSON, progress bars.
//! stdout is data, stderr is talk; progress bars only on a terminal.

use std::io::{IsTerminal, Write};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A one-line note on stderr (`hutch: …`).
pub fn note(msg: &str) {
    if level() < Level::Warn {
        return;
    }
    let _ = writeln!(std::io::stderr(), "hutch: {msg}");
}

/// A warning line on stderr as it is (no `hutch:` prefix: Podman's words scripts look for).
pub fn warn(msg: &str) {
    if level() < Level::Warn {
        return;
    }
    let _ = writeln!(std::io::stderr(), "{msg}");
}

/// Print the error line.
pub fn error(msg: &str) {
    let _ = writeln!(std::io::stderr(), "Error: {msg}");
}

static NOOUT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `--noout`: `out` writes nothing from now on.
pub fn set_noout() {
    NOOUT.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Write data to stdout; a closed pipe (`| head`) ends the program quietly.
pub fn out(s: &str) {
    if NOOUT.load(std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    let mut o = std::io::stdout().lock();
    if o.write_all(s.as_bytes()).and_then(|_| o.flush()).is_err() {
        std::process::exit(0);
    }
}

/// Progress for a pull: bars on a terminal, nothing otherwise.
pub struct Progress {
    multi: Option<MultiProgress>,
    /// Not quiet, stderr not a terminal: `headline`s are plain lines.
    plain: bool,
}

/// One layer's bar (a no-op when not on a terminal).
#[derive(Clone)]
pub struct Bar(Option<ProgressBar>);

impl Progress {
    pub fn new(quiet: bool) -> Progress {
        let show = !quiet && std::io::stderr().is_terminal();
        Progress {
            multi: show.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10))),
            plain: !quiet && !show,
        }
    }

    /// A line scripts look for (Podman's "Trying to pull REF..."): printed on stderr unless
    /// quiet, on a terminal or not.
    pub fn headline(&self, msg: &str) {
        if self.plain {
            eprintln!("{msg}");
        } else {
            self.message(msg);
        }
    }

    pub fn message(&self, msg: &str) {
        if let Some(m) = &self.multi {
            let _ = m.println(msg);
        }
    }

    /// `message` for a task that outlives a borrow of this Progress.
    pub fn clone_line(&self) -> impl Fn(&str) + Send + Sync + 'static {
        let m = self.multi.clone();
        move |msg: &str| {
            if let Some(m) = &m {
                let _ = m.println(msg);
            }
        }
    }

    pub fn done_line(&self, digest: &str, what: &str) {
        self.message(&format!("Copying blob {} {what}", short_digest(digest)));
    }

    pub fn bar(&self, digest: &str, size: u64) -> Bar {
        let Some(m) = &self.multi else { return Bar(None) };
        let pb = m.add(ProgressBar::new(size));
        pb.set_style(
            ProgressStyle::with_template(
                "Copying blob {prefix} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {msg}",
            )
            .expect("template")
            .progress_chars("=> "),
        );
        pb.set_prefix(short_digest(digest).to_string());
        Bar(Some(pb))
    }
}

impl Bar {
    pub fn inc(&self, n: u64) {
        if let Some(b) = &self.0 {
            b.inc(n);
        }
    }

    pub fn set_length(&self, n: u64) {
        if let Some(b) = &self.0 {
            b.set_length(n);
        }
    }

    /// Take the bar off the screen.
    pub fn clear(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }

    pub fn reset(&self) {
        if let Some(b) = &self.0 {
            b.reset();
        }
    }

    pub fn finish(&self, msg: &'static str) {
        if let Some(b) = &self.0 {
            b.finish_with_message(msg);
        }
    }
}

fn short_digest(d: &str) -> &str {
    let hex = d.strip_prefix("sha256:").unwrap_or(d);
    &hex[..hex.len().min(12)]
}

/// Podman's sizes: SI units with three significant digits ("4.37 MB").
pub fn human_size(n: u64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u < units.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        let s = if v >= 100.0 {
            format!("{v:.0}")
        } else if v >= 10.0 {
            format!("{v:.1}")
        } else {
            format!("{v:.2}")
        };
        // Go's %.3g, as Podman prints sizes: no trailing zeros ("4.1 kB", "2 MB").
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        };
        format!("{s} {}", units[u])
    }
}

/// "3 days ago", from seconds since the epoch.
pub fn human_ago(then: i64) -> String {
    format!("{} ago", human_duration(now_secs() - then))
}

pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A duration in words, the way Podman/Docker print one ("3 seconds", "About a minute").
pub fn human_duration(secs: i64) -> String {
    let d = secs.max(0);
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    match d {
        0 => "Less than a second".into(),
        1..=59 => plural(d, "second"),
        60..=119 => "About a minute".into(),
        120..=3599 => plural(d / 60, "minute"),
        3600..=7199 => "About an hour".into(),
        7200..=172_799 => plural(d / 3600, "hour"),
        172_800..=1_209_599 => plural(d / 86_400, "day"),
        1_209_600..=5_183_999 => plural(d / 604_800, "week"),
        5_184_000..=63_071_999 => plural(d / 2_592_000, "month"),
        _ => plural(d / 31_536_000, "year"),
    }
}

/// Parse RFC 3339 ("2024-01-02T03:04:05.123Z" or with an offset) to seconds since the epoch.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d, h, mi, se) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    let mut rest = &s[19..];
    if let Some(r) = rest.strip_prefix('.') {
        rest = r.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let offset = match rest {
        "Z" | "z" | "" => 0,
        r if r.len() == 6 => {
            let sign = if r.starts_with('-') { -1 } else { 1 };
            sign * (r[1..3].parse::<i64>().ok()? * 3600 + r[4..6].parse::<i64>().ok()? * 60)
        }
        _ => return None,
    };
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = if y2 >= 0 { y2 } else { y2 - 399 } / 400;
    let yoe = y2 - era * 400;
    let doy = (153 * (if mo > 2 { mo - 3 } else { mo + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + se - offset)
}

/// Print rows as left-aligned columns separated by at least two spaces (like Podman).
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut w: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{:<width$}  ", c, width = w[i]));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(headers.to_vec());
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(4_370_000), "4.37 MB");
        assert_eq!(human_size(157_286_400), "157 MB");
        assert_eq!(human_size(12_345), "12.3 kB");
        assert_eq!(human_size(4_096), "4.1 kB");
        assert_eq!(human_size(2_000_000), "2 MB");
    }

    #[test]
    fn rfc3339() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2024-01-02T03:04:05Z"), Some(1_704_164_645));
        assert_eq!(parse_rfc3339("2024-01-02T03:04:05.999999999Z"), Some(1_704_164_645));
        assert_eq!(parse_rfc3339("2024-01-02T04:04:05+01:00"), Some(1_704_164_645));
        assert_eq!(parse_rfc3339("garbage"), None);
    }
}

/// RFC 3339 with nanoseconds, UTC (`2024-01-02T03:04:05.000000006Z`).
pub fn format_nanos(n: i128) -> String {
    let secs = (n / 1_000_000_000) as i64;
    let nanos = (n % 1_000_000_000) as u32;
    // format_time gives "YYYY-MM-DD HH:MM:SS +0000 UTC".
    let base = crate::output::format_time(secs);
    format!("{}T{}.{nanos:09}Z", &base[..10], &base[11..19])
}

/// Seconds since the epoch -> "2024-01-02 03:04:05 +0000 UTC" (Go's default time format).
pub fn format_time(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} +0000 UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[test]
fn formats_time() {
    assert_eq!(format_time(1_704_164_645), "2024-01-02 03:04:05 +0000 UTC");
    assert_eq!(format_time(0), "1970-01-01 00:00:00 +0000 UTC");
}

/// How much hutch says on stderr besides its errors: `--log-level` (carried to the hutch
/// processes this one starts by `$HUTCH_LOG_LEVEL`); `HUTCH_TRACE` set means debug.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Error = 0,
    Warn = 1,
    Info = 2,
    Debug = 3,
    Trace = 4,
}

/// The variable that carries `--log-level` to child hutch processes (the monitor, `pull`).
pub const LEVEL_VAR: &str = "HUTCH_LOG_LEVEL";

static LEVEL: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(u8::MAX);

fn parse_level(s: &str) -> Option<Level> {
    Some(match s {
        "error" => Level::Error,
        "warn" | "warning" => Level::Warn,
        "info" => Level::Info,
        "debug" => Level::Debug,
        "trace" => Level::Trace,
        _ => return None,
    })
}

/// The current level (from the environment until `set_level` is called).
pub fn level() -> Level {
    use std::sync::atomic::Ordering;
    let l = match LEVEL.load(Ordering::Relaxed) {
        0 => Level::Error,
        1 => Level::Warn,
        2 => Level::Info,
        3 => Level::Debug,
        4 => Level::Trace,
        _ => {
            let l = std::env::var(LEVEL_VAR)
                .ok()
                .and_then(|v| parse_level(&v))
                .or_else(|| std::env::var_os("HUTCH_TRACE").map(|_| Level::Debug))
                .unwrap_or(Level::Warn);
            LEVEL.store(l as u8, Ordering::Relaxed);
            l
        }
    };
    l
}

/// Set the level from `--log-level` for this process and the hutch processes it starts. Called
/// at start-up, before any thread exists.
pub fn set_level(name: &str) {
    if let Some(l) = parse_level(name) {
        LEVEL.store(l as u8, std::sync::atomic::Ordering::Relaxed);
        std::env::set_var(LEVEL_VAR, name);
    }
}

fn started() -> std::time::Instant {
    use std::sync::OnceLock;
    static START: OnceLock<std::time::Instant> = OnceLock::new();
    *START.get_or_init(std::time::Instant::now)
}

/// At `--log-level debug` (or with HUTCH_TRACE set), print a step of the command with the
/// microseconds since the process started and its pid to stderr.
pub fn debug(msg: &str) {
    if level() >= Level::Debug {
        let _ = writeln!(
            std::io::stderr(),
            "debug {:>7} us [{}] {msg}",
            started().elapsed().as_micros(),
            std::process::id()
        );
    }
}

/// A step of the start path (the timings HUTCH_TRACE always printed): `debug`.
pub fn trace(label: &str) {
    started();
    debug(label);
}

/// Ask on the controlling terminal (`Username: `), without echo when `secret`; the answer
/// without its line end.
pub fn prompt(label: &str, secret: bool) -> crate::error::Result<String> {
    use crate::error::Context;
    use std::io::{BufRead, Write};
    use std::os::fd::AsFd;
    let what = label.to_lowercase();
    let mut tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .ctx(|| format!("no terminal to ask for the {what}: pass it as a flag"))?;
    write!(tty, "{label}: ").ctx(|| "writing to the terminal")?;
    let _ = tty.flush();
    let mut line = String::new();
    let r = {
        let echo_off = if secret {
            crate::sys::pty::EchoOff::enter(tty.as_fd())
        } else {
            None
        };
        let r = std::io::BufReader::new(&tty).read_line(&mut line);
        if echo_off.is_some() {
            drop(echo_off);
            let _ = writeln!(&tty);
        }
        r
    };
    r.ctx(|| format!("reading the {what}"))?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}
