//! `top` and `pod top`: the processes of running containers, read from /proc as the host sees
//! them (every process in the container's pid namespace), described with Podman's (psgo's)
//! descriptors: user, pid, ppid, pcpu, etime, tty, time, args, comm, …. Pids, users and groups
//! are the container's (its pid namespace, its id map and /etc/passwd); hpid, huser and hgroup
//! the host's.

use std::collections::{BTreeMap, HashMap};

use crate::error::Result;

/// Podman's default: `user pid ppid pcpu etime tty time args`.
pub const DEFAULT: [&str; 8] = ["user", "pid", "ppid", "pcpu", "etime", "tty", "time", "args"];

/// Every descriptor hutch knows, with its header (psgo's words).
pub const DESCRIPTORS: [(&str, &str); 27] = [
    ("pcpu", "%CPU"),
    ("group", "GROUP"),
    ("groups", "GROUPS"),
    ("ppid", "PPID"),
    ("user", "USER"),
    ("args", "COMMAND"),
    ("comm", "COMMAND"),
    ("rgroup", "RGROUP"),
    ("nice", "NI"),
    ("pid", "PID"),
    ("pgid", "PGID"),
    ("etime", "ELAPSED"),
    ("ruser", "RUSER"),
    ("time", "TIME"),
    ("tty", "TTY"),
    ("vsz", "VSZ"),
    ("capamb", "AMBIENT CAPS"),
    ("capinh", "INHERITED CAPS"),
    ("capprm", "PERMITTED CAPS"),
    ("capeff", "EFFECTIVE CAPS"),
    ("capbnd", "BOUNDING CAPS"),
    ("seccomp", "SECCOMP"),
    ("hpid", "HPID"),
    ("huser", "HUSER"),
    ("hgroup", "HGROUP"),
    ("rss", "RSS"),
    ("state", "STATE"),
];

/// ps(1)'s AIX format codes psgo also takes (`%C` = pcpu, …).
const CODES: [(&str, &str); 16] = [
    ("%C", "pcpu"),
    ("%G", "group"),
    ("%P", "ppid"),
    ("%U", "user"),
    ("%a", "args"),
    ("%c", "comm"),
    ("%g", "rgroup"),
    ("%n", "nice"),
    ("%p", "pid"),
    ("%r", "pgid"),
    ("%t", "etime"),
    ("%u", "ruser"),
    ("%x", "time"),
    ("%y", "tty"),
    ("%z", "vsz"),
    ("%%", "%"),
];

/// The descriptors asked for (`huser,user`, `pid user`, `-o pid,comm`…), normalised; Err with
/// the first one hutch does not know (the caller may hand the words to the container's ps).
pub fn descriptors(words: &[String]) -> std::result::Result<Vec<String>, String> {
    let mut out = Vec::new();
    for w in words {
        for d in w.split(',').map(str::trim).filter(|d| !d.is_empty()) {
            let d = CODES.iter().find(|(c, _)| *c == d).map(|(_, n)| *n).unwrap_or(d);
            if d == "stime" || DESCRIPTORS.iter().any(|(n, _)| *n == d) {
                out.push(d.to_string());
            } else {
                return Err(d.to_string());
            }
        }
    }
    if out.is_empty() {
        out = DEFAULT.iter().map(|s| s.to_string()).collect();
    }
    Ok(out)
}

pub fn header(d: &str) -> &'static str {
    if d == "stime" {
        return "STIME";
    }
    DESCRIPTORS
        .iter()
        .find(|(n, _)| *n == d)
        .map(|(_, h)| *h)
        .unwrap_or("?")
}

/// Go's `time.Duration` text (`2.474275496s`, `1m2.5s`, `1h0m0s`, `10ms`, `0s`).
pub fn go_duration(nanos: u128) -> String {
    if nanos == 0 {
        return "0s".into();
    }
    let frac = |v: u128, unit: u128, digits: usize| -> String {
        let whole = v / unit;
        let rest = v % unit;
        if rest == 0 {
            whole.to_string()
        } else {
            let f = format!("{rest:0digits$}");
            format!("{whole}.{}", f.trim_end_matches('0'))
        }
    };
    if nanos < 1_000 {
        return format!("{nanos}ns");
    }
    if nanos < 1_000_000 {
        return format!("{}µs", frac(nanos, 1_000, 3));
    }
    if nanos < 1_000_000_000 {
        return format!("{}ms", frac(nanos, 1_000_000, 6));
    }
    let secs_part = nanos % 60_000_000_000;
    let mins = nanos / 60_000_000_000;
    let s = format!("{}s", frac(secs_part, 1_000_000_000, 9));
    if mins == 0 {
        return s;
    }
    let (h, m) = (mins / 60, mins % 60);
    if h == 0 {
        format!("{m}m{s}")
    } else {
        format!("{h}h{m}m{s}")
    }
}

/// Linux's user-visible clock tick (USER_HZ), 100 on every architecture hutch runs on.
const TICKS: u128 = 100;

/// One process, as /proc shows it to the host.
#[derive(Debug, Clone, Default)]
pub struct Proc {
    pub hpid: i32,
    /// Pid and parent in the container's pid namespace (0: the parent is outside it).
    pub pid: i32,
    pub ppid: i32,
    pub pgid: i32,
    /// Real and effective ids as the host sees them.
    pub uids: [u32; 2],
    pub gids: [u32; 2],
    pub groups: Vec<u32>,
    pub comm: String,
    pub args: Vec<String>,
    pub state: String,
    pub nice: String,
    pub tty_nr: u64,
    /// utime + stime, in clock ticks.
    pub cpu_ticks: u128,
    /// Start after boot, in clock ticks.
    pub start_ticks: u128,
    pub vsz_kib: u64,
    pub rss_kib: String,
    pub caps: [String; 5],
    pub seccomp: String,
}

fn parse_proc(hpid: i32) -> Option<(Proc, i32, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{hpid}/status")).ok()?;
    let stat = std::fs::read_to_string(format!("/proc/{hpid}/stat")).ok()?;
    let cmdline = std::fs::read(format!("/proc/{hpid}/cmdline")).unwrap_or_default();
    let close = stat.rfind(')')?;
    let comm = stat[stat.find('(')? + 1..close].to_string();
    let f: Vec<&str> = stat[close + 2..].split(' ').collect();
    let field = |n: usize| f.get(n).copied().unwrap_or("0");
    let mut p = Proc {
        hpid,
        comm,
        state: field(0).to_string(),
        pgid: field(2).parse().unwrap_or(0),
        tty_nr: field(4).parse().unwrap_or(0),
        cpu_ticks: field(11).parse::<u128>().unwrap_or(0) + field(12).parse::<u128>().unwrap_or(0),
        nice: field(16).to_string(),
        start_ticks: field(19).parse().unwrap_or(0),
        vsz_kib: field(20).parse::<u64>().unwrap_or(0) / 1024,
        rss_kib: "0".into(),
        ..Default::default()
    };
    let host_ppid: i32 = field(1).parse().unwrap_or(0);
    let mut ns_pid = hpid;
    for line in status.lines() {
        let Some((k, v)) = line.split_once(':') else { continue };
        let v = v.trim();
        let nums = || {
            v.split_whitespace()
                .filter_map(|x| x.parse::<u32>().ok())
                .collect::<Vec<_>>()
        };
        match k {
            "Uid" => {
                let n = nums();
                p.uids = [n.first().copied().unwrap_or(0), n.get(1).copied().unwrap_or(0)];
            }
            "Gid" => {
                let n = nums();
                p.gids = [n.first().copied().unwrap_or(0), n.get(1).copied().unwrap_or(0)];
            }
            "Groups" => p.groups = nums(),
            "NSpid" => ns_pid = v.split_whitespace().last().and_then(|x| x.parse().ok()).unwrap_or(hpid),
            "VmRSS" => p.rss_kib = v.trim_end_matches(" kB").trim().to_string(),
            "CapAmb" => p.caps[0] = v.to_string(),
            "CapInh" => p.caps[1] = v.to_string(),
            "CapPrm" => p.caps[2] = v.to_string(),
            "CapEff" => p.caps[3] = v.to_string(),
            "CapBnd" => p.caps[4] = v.to_string(),
            "Seccomp" => {
                p.seccomp = match v {
                    "0" => "disabled",
                    "1" => "strict",
                    "2" => "filter",
                    _ => "?",
                }
                .to_string()
            }
            _ => {}
        }
    }
    p.args = cmdline
        .split(|b| *b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    // cmdline ends with a NUL: Podman shows the empty last word as a trailing space.
    p.pid = ns_pid;
    Some((p, host_ppid, pid_ns(hpid)?))
}

fn pid_ns(hpid: i32) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(format!("/proc/{hpid}/ns/pid")).ok().map(|m| m.ino())
}

/// The processes in the pid namespace of `init` (a container's first process, host pid), in
/// pid order.
pub fn processes(init: i32) -> Result<Vec<Proc>> {
    let Some(ns) = pid_ns(init) else {
        crate::bail!("reading the processes of pid {init}: it is gone");
    };
    let mut found: Vec<(Proc, i32)> = Vec::new();
    let rd = std::fs::read_dir("/proc").map_err(|e| crate::err!("reading /proc: {e}"))?;
    for e in rd.flatten() {
        let Some(hpid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        if pid_ns(hpid) != Some(ns) {
            continue;
        }
        if let Some((p, host_ppid, pns)) = parse_proc(hpid) {
            if pns == ns {
                found.push((p, host_ppid));
            }
        }
    }
    let ns_of: HashMap<i32, i32> = found.iter().map(|(p, _)| (p.hpid, p.pid)).collect();
    let mut out: Vec<Proc> = found
        .into_iter()
        .map(|(mut p, host_ppid)| {
            p.ppid = ns_of.get(&host_ppid).copied().unwrap_or(0);
            p.pgid = ns_of.get(&p.pgid).copied().unwrap_or(0);
            p
        })
        .collect();
    out.sort_by_key(|p| p.pid);
    Ok(out)
}

/// How a container's ids and names are shown: its id maps (inside, outside, count) and the
/// names in its /etc/passwd and /etc/group.
#[derive(Debug, Default)]
pub struct Names {
    pub uid_map: Vec<(u32, u32, u32)>,
    pub gid_map: Vec<(u32, u32, u32)>,
    pub users: BTreeMap<u32, String>,
    pub groups: BTreeMap<u32, String>,
}

fn read_map(path: &str) -> Vec<(u32, u32, u32)> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let n: Vec<u32> = l.split_whitespace().filter_map(|x| x.parse().ok()).collect();
            (n.len() == 3).then(|| (n[0], n[1], n[2]))
        })
        .collect()
}

fn read_names(path: &str) -> BTreeMap<u32, String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            Some((f.get(2)?.parse().ok()?, f[0].to_string()))
        })
        .collect()
}

impl Names {
    /// The maps and names of the container whose first process is `init` (host pid).
    pub fn of(init: i32) -> Names {
        Names {
            uid_map: read_map(&format!("/proc/{init}/uid_map")),
            gid_map: read_map(&format!("/proc/{init}/gid_map")),
            users: read_names(&format!("/proc/{init}/root/etc/passwd")),
            groups: read_names(&format!("/proc/{init}/root/etc/group")),
        }
    }

    fn inside(map: &[(u32, u32, u32)], host: u32) -> Option<u32> {
        map.iter()
            .find(|(_, out, n)| host >= *out && host - out < *n)
            .map(|(inn, out, _)| inn + (host - out))
    }

    pub fn user(&self, host: u32) -> String {
        match Self::inside(&self.uid_map, host) {
            Some(u) => self.users.get(&u).cloned().unwrap_or_else(|| u.to_string()),
            None => "?".into(),
        }
    }

    pub fn group(&self, host: u32) -> String {
        match Self::inside(&self.gid_map, host) {
            Some(g) => self.groups.get(&g).cloned().unwrap_or_else(|| g.to_string()),
            None => "?".into(),
        }
    }
}

/// Capability names of a /proc status mask, psgo's way: `full`, `none` or a sorted list.
fn caps(mask: &str) -> String {
    let Ok(m) = u64::from_str_radix(mask, 16) else {
        return "?".into();
    };
    let last = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .unwrap_or(40);
    let full = if last >= 63 { u64::MAX } else { (1u64 << (last + 1)) - 1 };
    if m == full {
        return "full".into();
    }
    let mut names: Vec<String> = (0..64)
        .filter(|b| m & (1u64 << b) != 0)
        .map(|b| {
            crate::spec::caps::NAMES
                .get(b as usize)
                .map(|n| n.trim_start_matches("CAP_").to_string())
                .unwrap_or_else(|| b.to_string())
        })
        .collect();
    if names.is_empty() {
        return "none".into();
    }
    names.sort();
    names.join(",")
}

/// Seconds since boot, now.
fn uptime_ticks() -> u128 {
    let text = std::fs::read_to_string("/proc/uptime").unwrap_or_default();
    let secs: f64 = text
        .split_whitespace()
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.0);
    (secs * TICKS as f64) as u128
}

fn boot_time() -> i64 {
    std::fs::read_to_string("/proc/stat")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("btime ").and_then(|v| v.trim().parse().ok()))
        .unwrap_or(0)
}

/// One row: the value of each descriptor for `p`.
pub fn row(p: &Proc, names: &Names, descriptors: &[String]) -> Vec<String> {
    let now = uptime_ticks();
    let elapsed_ticks = now.saturating_sub(p.start_ticks);
    let ns_per_tick = 1_000_000_000 / TICKS;
    descriptors
        .iter()
        .map(|d| match d.as_str() {
            "pcpu" => {
                let e = elapsed_ticks.max(1) as f64;
                format!("{:.3}", 100.0 * p.cpu_ticks as f64 / e)
            }
            "group" => names.group(p.gids[1]),
            "groups" => p.groups.iter().map(|g| names.group(*g)).collect::<Vec<_>>().join(","),
            "rgroup" => names.group(p.gids[0]),
            "user" => names.user(p.uids[1]),
            "ruser" => names.user(p.uids[0]),
            "ppid" => p.ppid.to_string(),
            "pid" => p.pid.to_string(),
            "pgid" => p.pgid.to_string(),
            "args" => {
                if p.args.first().is_none_or(|a| a.is_empty()) {
                    format!("[{}]", p.comm)
                } else {
                    p.args.join(" ")
                }
            }
            "comm" => p.comm.clone(),
            "nice" => p.nice.clone(),
            // Go's Duration of the elapsed time, to the tick here (psgo's has nanoseconds of
            // noise from its own clock).
            "etime" => go_duration(elapsed_ticks * ns_per_tick),
            "time" => go_duration(p.cpu_ticks * ns_per_tick),
            "tty" => {
                if p.tty_nr == 0 {
                    "?".into()
                } else {
                    let major = (p.tty_nr >> 8) & 0xfff;
                    let minor = (p.tty_nr & 0xff) | ((p.tty_nr >> 12) & 0xfff00);
                    if (136..=143).contains(&major) {
                        format!("pts/{}", (major - 136) * 256 + minor)
                    } else {
                        "?".into()
                    }
                }
            }
            "vsz" => p.vsz_kib.to_string(),
            "rss" => p.rss_kib.clone(),
            "state" => p.state.clone(),
            "capamb" => caps(&p.caps[0]),
            "capinh" => caps(&p.caps[1]),
            "capprm" => caps(&p.caps[2]),
            "capeff" => caps(&p.caps[3]),
            "capbnd" => caps(&p.caps[4]),
            "seccomp" => p.seccomp.clone(),
            "hpid" => p.hpid.to_string(),
            "huser" => p.uids[1].to_string(),
            "hgroup" => p.gids[1].to_string(),
            "stime" => crate::output::format_time(boot_time() + (p.start_ticks / TICKS) as i64),
            _ => "?".into(),
        })
        .collect()
}

/// Podman's table: columns at least 12 wide, 2 spaces of padding (Go's tabwriter).
pub fn table(headers: &[String], rows: &[Vec<String>]) -> String {
    let n = headers.len();
    let mut widths = vec![0usize; n];
    for r in std::iter::once(headers).chain(rows.iter().map(|r| &r[..])) {
        for (i, c) in r.iter().enumerate().take(n) {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in std::iter::once(headers).chain(rows.iter().map(|r| &r[..])) {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate().take(n) {
            if i + 1 == n {
                line.push_str(c);
            } else {
                let w = (widths[i] + 2).max(12);
                line.push_str(&format!("{c:<w$}"));
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(go_duration(0), "0s");
        assert_eq!(go_duration(10_000_000), "10ms");
        assert_eq!(go_duration(2_474_275_496), "2.474275496s");
        assert_eq!(go_duration(62_500_000_000), "1m2.5s");
        assert_eq!(go_duration(3_600_000_000_000), "1h0m0s");
        assert_eq!(go_duration(1_500), "1.5µs");
    }

    #[test]
    fn descriptor_words() {
        let w = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(descriptors(&[]).unwrap(), w(&DEFAULT));
        assert_eq!(descriptors(&w(&["huser,user"])).unwrap(), w(&["huser", "user"]));
        assert_eq!(descriptors(&w(&["pid", "%C"])).unwrap(), w(&["pid", "pcpu"]));
        assert_eq!(descriptors(&w(&["-ef"])).unwrap_err(), "-ef");
        assert_eq!(header("etime"), "ELAPSED");
        let t = table(&w(&["USER", "PID", "COMMAND"]), &[w(&["root", "1", "sleep 2000 "])]);
        assert_eq!(
            t,
            "USER        PID         COMMAND\nroot        1           sleep 2000 \n"
        );
    }

    #[test]
    fn ids_through_the_map() {
        let n = Names {
            uid_map: vec![(0, 1000, 1), (1, 200000, 65536)],
            users: [(0, "root".to_string()), (100, "app".to_string())]
                .into_iter()
                .collect(),
            ..Default::default()
        };
        assert_eq!(n.user(1000), "root");
        assert_eq!(n.user(200099), "app");
        assert_eq!(n.user(200000), "1");
        assert_eq!(n.user(5), "?");
    }
}
