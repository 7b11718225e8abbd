//! Named fault points for the fault-injection tests (tests/faults.rs). Compiled in always and
//! free when `HUTCH_FAULT` is unset (one environment lookup per process):
//!
//! - `HUTCH_FAULT=after:commit-layer` (any point's name, optionally `#N` for its N-th pass, 1
//!   by default) kills this process with SIGKILL when it reaches that point, as `kill -9` would;
//! - `HUTCH_FAULT=list:FILE` appends `NAME#N` to FILE at every point passed, so a test can
//!   enumerate the points a verb goes through and then kill it at each one.
//!
//! - `HUTCH_FAULT_DELAY=NAME=MS` makes the delay point NAME (`pause`, never killed at nor
//!   listed) sleep MS milliseconds, to widen a race window a test then hits on purpose;
//!   `HUTCH_FAULT_DELAY=NAME=@PATH` makes it wait until PATH exists (at most 30 s), so a test
//!   can hold a step until something else has happened.
//!
//! The variables are inherited by the processes hutch starts (a child `hutch pull`, the monitor),
//! so their points count too, each process counting its own passes.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Mutex, OnceLock};

enum Mode {
    Off,
    Kill { name: String, nth: u32 },
    List(std::path::PathBuf),
}

fn mode() -> &'static Mode {
    static MODE: OnceLock<Mode> = OnceLock::new();
    MODE.get_or_init(|| match std::env::var("HUTCH_FAULT") {
        Ok(v) if v.starts_with("list:") => Mode::List(v["list:".len()..].into()),
        Ok(v) if !v.is_empty() => {
            let (name, nth) = match v.rsplit_once('#') {
                Some((n, k)) => (n.to_string(), k.parse().unwrap_or(1)),
                None => (v, 1),
            };
            Mode::Kill { name, nth }
        }
        _ => Mode::Off,
    })
}

fn passes(name: &str) -> u32 {
    static SEEN: OnceLock<Mutex<HashMap<String, u32>>> = OnceLock::new();
    let mut m = SEEN
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    let n = m.entry(name.to_string()).or_insert(0);
    *n += 1;
    *n
}

/// The fault point `name` (`before:STEP` or `after:STEP`).
pub fn point(name: &str) {
    match mode() {
        Mode::Off => {}
        Mode::Kill { name: want, nth } => {
            if want == name && passes(name) == *nth {
                crate::sys::process::kill_self();
            }
        }
        Mode::List(file) => {
            let n = passes(name);
            if let Ok(mut f) = std::fs::OpenOptions::new().append(true).create(true).open(file) {
                let _ = writeln!(f, "{name}#{n}");
            }
        }
    }
}

/// What `HUTCH_FAULT_DELAY` names: the point, and MS or @PATH.
fn delay() -> Option<&'static (String, String)> {
    static DELAY: OnceLock<Option<(String, String)>> = OnceLock::new();
    DELAY
        .get_or_init(|| {
            let v = std::env::var("HUTCH_FAULT_DELAY").ok()?;
            let (n, what) = v.rsplit_once('=')?;
            Some((n.to_string(), what.to_string()))
        })
        .as_ref()
}

/// Whether the delay point `name` is the one `HUTCH_FAULT_DELAY` names.
pub fn armed(name: &str) -> bool {
    delay().is_some_and(|(n, _)| n == name)
}

/// The delay point `name`: sleeps as long as `HUTCH_FAULT_DELAY=NAME=MS` says, or waits
/// until the file `HUTCH_FAULT_DELAY=NAME=@PATH` names exists (false when it did not within
/// 30 s); else nothing.
pub fn pause(name: &str) -> bool {
    let Some((n, what)) = delay() else { return true };
    if n != name {
        return true;
    }
    if let Some(path) = what.strip_prefix('@') {
        let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !std::path::Path::new(path).exists() {
            if std::time::Instant::now() > until {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    } else if let Ok(ms) = what.parse() {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
    true
}
