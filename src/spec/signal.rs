//! Signal names and numbers (Linux, x86 and arm numbering), as `kill -s`, `--stop-signal` and
//! an image's StopSignal name them. Pure.

use crate::error::Result;

pub const SIGNALS: &[(&str, i32)] = &[
    ("HUP", 1),
    ("INT", 2),
    ("QUIT", 3),
    ("ILL", 4),
    ("TRAP", 5),
    ("ABRT", 6),
    ("BUS", 7),
    ("FPE", 8),
    ("KILL", 9),
    ("USR1", 10),
    ("SEGV", 11),
    ("USR2", 12),
    ("PIPE", 13),
    ("ALRM", 14),
    ("TERM", 15),
    ("STKFLT", 16),
    ("CHLD", 17),
    ("CONT", 18),
    ("STOP", 19),
    ("TSTP", 20),
    ("TTIN", 21),
    ("TTOU", 22),
    ("URG", 23),
    ("XCPU", 24),
    ("XFSZ", 25),
    ("VTALRM", 26),
    ("PROF", 27),
    ("WINCH", 28),
    ("IO", 29),
    ("PWR", 30),
    ("SYS", 31),
];

/// `SIGTERM`, `TERM`, `term`, `15` -> 15.
pub fn parse_signal(s: &str) -> Result<i32> {
    // As Podman: a leading dash is dropped (`-s -9`), numbers are 1 to 64, and real-time
    // signals have their names (RTMIN, RTMIN+3, RTMAX-1).
    let t = s.trim();
    let t = t.strip_prefix('-').unwrap_or(t);
    if let Ok(n) = t.parse::<i64>() {
        if (1..=64).contains(&n) {
            return Ok(n as i32);
        }
        if n != 0 {
            crate::bail!("valid signals are 1 through 64");
        }
    }
    let up0 = t.to_ascii_uppercase();
    let rt = up0.strip_prefix("SIG").unwrap_or(&up0);
    let rt_num = if rt == "RTMIN" {
        Some(34)
    } else if rt == "RTMAX" {
        Some(64)
    } else if let Some(k) = rt.strip_prefix("RTMIN+").and_then(|k| k.parse::<i32>().ok()) {
        Some(34 + k)
    } else {
        rt.strip_prefix("RTMAX-")
            .and_then(|k| k.parse::<i32>().ok())
            .map(|k| 64 - k)
    };
    if let Some(n) = rt_num.filter(|n| (34..=64).contains(n)) {
        return Ok(n);
    }
    let up = t.to_ascii_uppercase();
    let name = up.strip_prefix("SIG").unwrap_or(&up);
    SIGNALS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| *v)
        .ok_or_else(|| crate::err!("invalid signal: {t}"))
}
