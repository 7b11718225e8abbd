//! User namespaces: reading /etc/subuid and /etc/subgid, and entering a namespace mapped with them
//! through newuidmap/newgidmap (exit status checked, stderr in the error).

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use nix::sched::{unshare, CloneFlags};
use nix::unistd::{getgid, getuid, User};

use crate::error::{Context, Result};

/// One line of /etc/subuid: `count` ids from `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IdRange {
    pub start: u32,
    pub count: u32,
}

/// How the namespace we run in maps ids.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Mapping {
    /// Real root: no user namespace needed, ownership kept as is.
    HostRoot,
    /// Our uid/gid -> 0 and the subordinate ranges -> 1..: image ownership is kept.
    Full { uid: u32, gid: u32, subuids: Vec<IdRange>, subgids: Vec<IdRange> },
    /// Only our own uid/gid -> 0: every file ends up owned by the user.
    Single { uid: u32, gid: u32, why: String },
}

impl Mapping {
    /// Whether files can be given the uids/gids an image asks for.
    pub fn keeps_ownership(&self) -> bool {
        !matches!(self, Mapping::Single { .. })
    }

    /// Whether containers get a user namespace of their own (not when hutch runs as real root).
    pub fn needs_userns(&self) -> bool {
        !matches!(self, Mapping::HostRoot)
    }

    /// Whether setgroups is allowed in the namespace (a single-uid map must deny it).
    pub fn can_setgroups(&self) -> bool {
        !matches!(self, Mapping::Single { .. })
    }

    /// The highest container uid+1 that maps to something.
    pub fn uid_span(&self) -> u64 {
        match self {
            Mapping::HostRoot => u32::MAX as u64,
            Mapping::Full { subuids, .. } => 1 + subuids.iter().map(|r| r.count as u64).sum::<u64>(),
            Mapping::Single { .. } => 1,
        }
    }

    pub fn gid_span(&self) -> u64 {
        match self {
            Mapping::HostRoot => u32::MAX as u64,
            Mapping::Full { subgids, .. } => 1 + subgids.iter().map(|r| r.count as u64).sum::<u64>(),
            Mapping::Single { .. } => 1,
        }
    }
}

/// Parse /etc/subuid-style content for the user named `user` (or given by numeric `uid`).
pub fn parse_subid(content: &str, user: &str, uid: u32) -> Vec<IdRange> {
    let uid_s = uid.to_string();
    content
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                return None;
            }
            let mut f = line.split(':');
            let (who, start, count) = (f.next()?, f.next()?, f.next()?);
            if who != user && who != uid_s {
                return None;
            }
            let start = start.trim().parse().ok()?;
            let count: u32 = count.trim().parse().ok()?;
            (count > 0).then_some(IdRange { start, count })
        })
        .collect()
}

/// The default id map as (container id, host id, count) lines: our own id -> 0, then each
/// range stacked from container id 1.
pub fn stacked(own: u32, ranges: &[IdRange]) -> Vec<(u64, u64, u64)> {
    let mut v = vec![(0, own as u64, 1)];
    let mut next = 1u64;
    for r in ranges {
        v.push((next, r.start as u64, r.count as u64));
        next += r.count as u64;
    }
    v
}

/// `stacked` as newuidmap/newgidmap arguments.
pub fn map_args(own: u32, ranges: &[IdRange]) -> Vec<String> {
    triple_args(&stacked(own, ranges))
}

/// (container, host, count) lines as newuidmap/newgidmap arguments.
pub fn triple_args(v: &[(u64, u64, u64)]) -> Vec<String> {
    v.iter().flat_map(|(a, b, c)| [a.to_string(), b.to_string(), c.to_string()]).collect()
}

/// A program on $PATH (or the usual directories when PATH is unset).
pub fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin".into());
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

static CURRENT: OnceLock<Mapping> = OnceLock::new();
static NOTICED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Say once per invocation that only a single uid is mapped, and why.
pub fn notice_single(why: &str) {
    if !NOTICED.swap(true, std::sync::atomic::Ordering::Relaxed) {
        crate::output::note(&format!("using a single-uid mapping: {why}"));
    }
}

/// The mapping `enter` would set up, without entering anything.
pub fn plan() -> Mapping {
    let (uid, gid) = (getuid().as_raw(), getgid().as_raw());
    if uid == 0 {
        return Mapping::HostRoot;
    }
    let name = User::from_uid(getuid()).ok().flatten().map(|u| u.name).unwrap_or_else(|| uid.to_string());
    let read = |p: &str| std::fs::read_to_string(p).map(|c| parse_subid(&c, &name, uid)).unwrap_or_default();
    let (subuids, subgids) = (read("/etc/subuid"), read("/etc/subgid"));
    if subuids.is_empty() || subgids.is_empty() {
        let which = if subuids.is_empty() { "/etc/subuid" } else { "/etc/subgid" };
        return Mapping::Single {
            uid,
            gid,
            why: format!(
                "no range for user {name} in {which}; add one with `usermod --add-subuids 100000-165535 --add-subgids 100000-165535 {name}`"
            ),
        };
    }
    if find_in_path("newuidmap").is_none() || find_in_path("newgidmap").is_none() {
        return Mapping::Single { uid, gid, why: "newuidmap/newgidmap not found; install the uidmap package".into() };
    }
    Mapping::Full { uid, gid, subuids, subgids }
}

/// Move this (single-threaded) process into a new user namespace mapped with the user's
/// subordinate ids, so that files can be created with any id the image asks for.
/// Must be called before any thread is started.
pub fn enter() -> Result<&'static Mapping> {
    if let Some(m) = CURRENT.get() {
        return Ok(m);
    }
    let mapping = plan();
    match &mapping {
        Mapping::HostRoot => {}
        Mapping::Full { uid, gid, subuids, subgids } => enter_full(*uid, *gid, subuids, subgids)?,
        Mapping::Single { uid, gid, why } => {
            notice_single(why);
            enter_single(*uid, *gid)?
        }
    }
    Ok(CURRENT.get_or_init(|| mapping))
}

fn enter_full(uid: u32, gid: u32, subuids: &[IdRange], subgids: &[IdRange]) -> Result<()> {
    let pid = std::process::id().to_string();
    // The helper is started before unshare so that it runs in our parent namespace, as
    // newuidmap requires; it waits for a line on stdin that says we have unshared.
    let script = r#"read -r _ || exit 3
newuidmap $0 $1 || exit 1
newgidmap $0 $2 || exit 2"#;
    let mut child = Command::new("/bin/sh")
        .arg("-c")
        .arg(script)
        .arg(&pid)
        .arg(map_args(uid, subuids).join(" "))
        .arg(map_args(gid, subgids).join(" "))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .ctx(|| "starting newuidmap")?;
    let unshared = unshare(CloneFlags::CLONE_NEWUSER);
    let mut stdin = child.stdin.take().expect("piped stdin");
    if unshared.is_ok() {
        let _ = stdin.write_all(b"go\n");
    }
    drop(stdin);
    let mut stderr = String::new();
    let _ = child.stderr.take().expect("piped stderr").read_to_string(&mut stderr);
    let status = child.wait().ctx(|| "waiting for newuidmap")?;
    unshared.map_err(|e| crate::err!("cannot create a user namespace: {e} (is kernel.unprivileged_userns_clone or user.max_user_namespaces 0?)"))?;
    let stderr = stderr.trim().replace('\n', "; ");
    match status.code() {
        Some(0) => Ok(()),
        Some(1) => Err(crate::err!("newuidmap failed: {stderr}")),
        Some(2) => Err(crate::err!("newgidmap failed: {stderr}")),
        _ => Err(crate::err!("mapping user namespace ids failed ({status}): {stderr}")),
    }
}

fn enter_single(uid: u32, gid: u32) -> Result<()> {
    unshare(CloneFlags::CLONE_NEWUSER).map_err(|e| crate::err!("cannot create a user namespace: {e}"))?;
    let write = |p: &str, s: String| std::fs::write(p, s).ctx(|| format!("writing {p}"));
    write("/proc/self/setgroups", "deny".into())?;
    write("/proc/self/uid_map", format!("0 {uid} 1\n"))?;
    write("/proc/self/gid_map", format!("0 {gid} 1\n"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_subid_by_name_and_uid() {
        let c = "# comment\nalice:100000:65536\nbob:200000:1000\n1001:300000:10\nalice:500000:5\nbad line\ncarol:1:0\n";
        assert_eq!(
            parse_subid(c, "alice", 1000),
            vec![IdRange { start: 100000, count: 65536 }, IdRange { start: 500000, count: 5 }]
        );
        assert_eq!(parse_subid(c, "dave", 1001), vec![IdRange { start: 300000, count: 10 }]);
        assert!(parse_subid(c, "carol", 5).is_empty());
    }

    #[test]
    fn stacks_ranges_after_own_id() {
        let r = [IdRange { start: 100000, count: 65536 }, IdRange { start: 500000, count: 5 }];
        assert_eq!(map_args(1000, &r).join(" "), "0 1000 1 1 100000 65536 65537 500000 5");
    }
}
