//! User namespaces, all in one place: the id-map policy (/etc/subuid and /etc/subgid, the
//! default stacked map, keep-id), the one newuidmap/newgidmap runner (both run at once, exit
//! status checked, stderr kept), and entering the store's namespace (this process, or a forked
//! child that runs some work there). The keep-id copy of layers is `store::keepid`.

use std::os::fd::AsFd;
use std::sync::OnceLock;

use nix::sched::{unshare, CloneFlags};
use nix::unistd::{getgid, getuid, User};

use crate::error::{Context, Result};
use crate::paths::find_in_path;

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
    Full {
        uid: u32,
        gid: u32,
        subuids: Vec<IdRange>,
        subgids: Vec<IdRange>,
    },
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

pub fn map_triples(mapping: &Mapping, keep_id: bool) -> (Vec<(u64, u64, u64)>, Vec<(u64, u64, u64)>) {
    match mapping {
        Mapping::HostRoot => (vec![(0, 0, u32::MAX as u64)], vec![(0, 0, u32::MAX as u64)]),
        Mapping::Single { uid, gid, .. } => (vec![(0, *uid as u64, 1)], vec![(0, *gid as u64, 1)]),
        Mapping::Full {
            uid,
            gid,
            subuids,
            subgids,
        } => {
            let f = |own: u32, ranges: &[IdRange]| -> Vec<(u64, u64, u64)> {
                if keep_id {
                    keep_id_map(own, ranges)
                } else {
                    stacked(own, ranges)
                }
            };
            (f(*uid, subuids), f(*gid, subgids))
        }
    }
}

/// --userns=keep-id: the user's own id is the same id inside; the subordinate ids fill 0..own
/// and what follows it.
pub fn keep_id_map(own: u32, ranges: &[IdRange]) -> Vec<(u64, u64, u64)> {
    let own = own as u64;
    let mut v = vec![(own, own, 1)];
    let mut next = 0u64;
    for r in ranges {
        let (mut start, mut count) = (r.start as u64, r.count as u64);
        while count > 0 {
            if next == own {
                next += 1;
            }
            let n = if next < own { count.min(own - next) } else { count };
            v.push((next, start, n));
            next += n;
            start += n;
            count -= n;
        }
    }
    v.sort();
    v
}

/// Under keep-id, the id (in the store's default namespace, where container ids equal their
/// default-mapping ids) that a file owned by container id `x` must have on disk.
pub fn keep_id_store_id(x: u32, own: u32) -> u32 {
    use std::cmp::Ordering::*;
    match x.cmp(&own) {
        Less => x + 1,
        Equal => 0,
        Greater => x,
    }
}

/// How keep-id containers see the image's owners. `FuseOverlayfs`: fuse-overlayfs, mounted in
/// the container's user namespace, shifts ids on the fly (`uidmapping=`/`gidmapping=`): nothing
/// is copied. `Copy`: a re-owned copy of every layer (`store::keepid`), made once per layer.
/// This kernel gives an unprivileged user nothing cheaper (README, "keep-id"): an idmapped
/// mount of the store's ext4 needs CAP_SYS_ADMIN in the initial namespace (EPERM), overlayfs
/// refuses to be idmapped (EINVAL), and `metacopy=on` is refused with `userxattr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepIdMethod {
    FuseOverlayfs,
    Copy,
}

impl KeepIdMethod {
    pub fn name(self) -> &'static str {
        match self {
            KeepIdMethod::FuseOverlayfs => "fuse-overlayfs",
            KeepIdMethod::Copy => "copy",
        }
    }
}

/// The method new keep-id containers get: `HUTCH_KEEPID_METHOD` (copy or fuse-overlayfs) when
/// set, else fuse-overlayfs when it is installed and /dev/fuse opens, else the copy.
pub fn keep_id_method() -> Result<KeepIdMethod> {
    match std::env::var("HUTCH_KEEPID_METHOD").ok().as_deref() {
        Some("copy") => return Ok(KeepIdMethod::Copy),
        Some("fuse-overlayfs") => return Ok(KeepIdMethod::FuseOverlayfs),
        None | Some("") => {}
        Some(other) => crate::bail!("HUTCH_KEEPID_METHOD={other}: unknown method (use copy or fuse-overlayfs)"),
    }
    let fuse_ok = find_in_path("fuse-overlayfs").is_some()
        && std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/fuse")
            .is_ok();
    Ok(if fuse_ok {
        KeepIdMethod::FuseOverlayfs
    } else {
        KeepIdMethod::Copy
    })
}

/// A container's id map (container id, host id, count) restated against the store's default
/// map: (container id, store id, count), store id being the id the file has in the store (the
/// image's own id). Host ids the store does not map are left out.
pub fn in_store_frame(map: &[(u64, u64, u64)], store: &[(u64, u64, u64)]) -> Vec<(u64, u64, u64)> {
    let mut v = Vec::new();
    for &(c, h, n) in map {
        for &(s0, h0, m) in store {
            let (lo, hi) = (h.max(h0), (h + n).min(h0 + m));
            if lo < hi {
                v.push((c + (lo - h), s0 + (lo - h0), hi - lo));
            }
        }
    }
    v.sort();
    v
}

/// fuse-overlayfs's `uidmapping=…,gidmapping=…` for a keep-id container: run in the
/// container's namespace, it sees a file of store id s as the container id c that maps to it,
/// and must show it as s (the image's owner), so each entry is `c:s:n` (fuse-overlayfs reads
/// ON-DISK:SHOWN:COUNT, both as ids of its own namespace). None without subordinate ids.
pub fn fuse_idmap_options(mapping: &Mapping) -> Option<String> {
    let (u, g) = map_triples(mapping, true);
    fuse_custom_options(mapping, &u, &g)
}

/// fuse-overlayfs's options for a container with these maps (container id, host id, count),
/// as for keep-id: the image's owner s is shown as s. None when fuse-overlayfs cannot show the
/// image as a re-owned copy would, mounted in the container's namespace: a container id c
/// whose store id c the namespace does not map (the file would read as the overflow id, as
/// with `--userns=auto`'s ranges above the image's ids), or, while some store id is left out
/// (its files read as the overflow id, 65534), 65534 shown as another container id.
pub fn fuse_custom_options(mapping: &Mapping, u: &[(u64, u64, u64)], g: &[(u64, u64, u64)]) -> Option<String> {
    let Mapping::Full {
        uid,
        gid,
        subuids,
        subgids,
    } = mapping
    else {
        return None;
    };
    let one = |map: &[(u64, u64, u64)], own: u32, ranges: &[IdRange]| -> Option<String> {
        let store = stacked(own, ranges);
        let span: u64 = store.iter().map(|t| t.2).sum();
        let frame = in_store_frame(map, &store);
        let shown = |x: u64| frame.iter().any(|&(_, s, n)| x >= s && x < s + n);
        // The container ids that name image owners: those below the store's span.
        for &(c, _, n) in map {
            let hi = (c + n).min(span);
            if (c..hi).any(|x| !shown(x)) {
                return None;
            }
        }
        // A file of a store id the namespace leaves out reads as the overflow id (65534), which
        // fuse-overlayfs shows as the store id of container id 65534: nobody still, unless
        // that store id is itself a container id.
        let all_seen = frame.iter().map(|t| t.2).sum::<u64>() >= span;
        let of_overflow = frame
            .iter()
            .find(|&&(c, _, n)| (c..c + n).contains(&65534))
            .map(|&(c, s, _)| s + (65534 - c));
        let in_domain = |x: u64| map.iter().any(|&(c, _, n)| x >= c && x < (c + n).min(span));
        if !all_seen && of_overflow.is_some_and(in_domain) {
            return None;
        }
        Some(
            frame
                .iter()
                .map(|(c, s, n)| format!("{c}:{s}:{n}"))
                .collect::<Vec<_>>()
                .join(":"),
        )
    };
    Some(format!(
        "uidmapping={},gidmapping={}",
        one(u, *uid, subuids)?,
        one(g, *gid, subgids)?
    ))
}

/// fuse-overlayfs's options for a container with maps of its own (container id, host id,
/// count), mounted in the store's namespace, which sees every store id as itself: the
/// container's user namespace is a child of that one (`runtime::spawn_under_store`), mapped
/// from its ids (the store's frame), so an image owner k is shown as the store-frame id that
/// the container sees as k: each entry is `c:s:n` (ON-DISK:SHOWN:COUNT). Any map the store's
/// ids hold can be shifted this way, `auto` ranges above the image's ids too, and nothing of
/// the store (your own id included) is mapped into the container. Image owners the map leaves
/// out are shown as the overflow id, which the container sees as nobody unless its map holds
/// store id 65534. None without subordinate ids.
pub fn fuse_store_options(mapping: &Mapping, u: &[(u64, u64, u64)], g: &[(u64, u64, u64)]) -> Option<String> {
    let (su, sg) = store_frame_maps(mapping, u, g)?;
    let line = |v: &Triples| {
        v.iter()
            .map(|(c, s, n)| format!("{c}:{s}:{n}"))
            .collect::<Vec<_>>()
            .join(":")
    };
    Some(format!("uidmapping={},gidmapping={}", line(&su), line(&sg)))
}

/// Id-map lines: (container id, host or parent id, count).
pub type Triples = Vec<(u64, u64, u64)>;

/// A uid map and a gid map (container id, host id, count) restated in the store's frame
/// (`in_store_frame` against the default stacked maps); None without subordinate ids.
pub fn store_frame_maps(mapping: &Mapping, u: &[(u64, u64, u64)], g: &[(u64, u64, u64)]) -> Option<(Triples, Triples)> {
    let Mapping::Full {
        uid,
        gid,
        subuids,
        subgids,
    } = mapping
    else {
        return None;
    };
    Some((
        in_store_frame(u, &stacked(*uid, subuids)),
        in_store_frame(g, &stacked(*gid, subgids)),
    ))
}

/// --uidmap/--gidmap entries (host ids in the store's frame: 0 the user, 1.. the subordinate
/// ids) as (container id, host id, count) lines for newuidmap/newgidmap; an entry whose host
/// ids the store does not map is an error naming it.
pub fn custom_triples(
    flag: &str,
    entries: &[crate::spec::IdMapEntry],
    own: u32,
    ranges: &[IdRange],
) -> Result<Vec<(u64, u64, u64)>> {
    let store = stacked(own, ranges);
    let span: u64 = store.iter().map(|t| t.2).sum();
    let mut v = Vec::new();
    for e in entries {
        let (h, n) = (e.host as u64, e.size as u64);
        if h + n > span {
            crate::bail!(
                "{flag} {}:{}:{}: host ids {h}-{} are not in your user namespace (0-{}: 0 is you, 1-{} your subordinate ids)",
                e.container, e.host, e.size, h + n - 1, span - 1, span - 1
            );
        }
        for &(s0, k0, m) in &store {
            let (lo, hi) = (h.max(s0), (h + n).min(s0 + m));
            if lo < hi {
                v.push((e.container as u64 + (lo - h), k0 + (lo - s0), hi - lo));
            }
        }
    }
    v.sort();
    Ok(v)
}

/// `@HOST` entries turned into the store's frame (host id -> store id); others as they are.
pub fn resolve_host_level(
    flag: &str,
    entries: &[crate::spec::IdMapEntry],
    own: u32,
    ranges: &[IdRange],
) -> Result<Vec<crate::spec::IdMapEntry>> {
    let store = stacked(own, ranges);
    entries
        .iter()
        .map(|e| {
            if !e.host_level {
                return Ok(*e);
            }
            let (h, n) = (e.host as u64, e.size as u64);
            store
                .iter()
                .find(|&&(_, k0, m)| h >= k0 && h + n <= k0 + m)
                .map(|&(s0, k0, _)| crate::spec::IdMapEntry {
                    host: (s0 + h - k0) as u32,
                    host_level: false,
                    ..*e
                })
                .ok_or_else(|| {
                    crate::err!(
                        "{flag} {}:@{}:{}: host ids {h}-{} are not all yours (your uid, or one range of your subordinate ids)",
                        e.container, e.host, e.size, h + n - 1
                    )
                })
        })
        .collect()
}

/// newuidmap and newgidmap, at the same time, exit status checked, their stderr in the error.
fn run_newidmap(pid: i32, u: &[(u64, u64, u64)], g: &[(u64, u64, u64)]) -> Result<()> {
    wait_newidmap(spawn_newidmap(pid, u, g)?)
}

/// A running newuidmap or newgidmap (`spawn_newidmap`).
pub struct IdMapHelper {
    tool: &'static str,
    process: crate::sys::process::Spawned,
    stderr: std::os::fd::OwnedFd,
}

/// Start newuidmap and newgidmap for `pid` without waiting for either (`wait_newidmap` checks
/// them): both execs (a setuid program's, about 1 ms each) run beside us and each other.
pub fn spawn_newidmap(pid: i32, u: &[(u64, u64, u64)], g: &[(u64, u64, u64)]) -> Result<Vec<IdMapHelper>> {
    use nix::fcntl::OFlag;
    use std::os::fd::AsRawFd;
    let null = nix::fcntl::open(
        "/dev/null",
        OFlag::O_RDWR | OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )
    .map_err(|e| crate::err!("opening /dev/null: {e}"))?;
    let mut helpers = Vec::new();
    for (tool, v) in [("newuidmap", u), ("newgidmap", g)] {
        let path = crate::paths::find_in_path(tool)
            .ok_or_else(|| crate::err!("running {tool}: not found (install the uidmap package)"))?;
        let (r, w) = nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(|e| crate::err!("pipe: {e}"))?;
        let mut argv = vec![path.to_string_lossy().into_owned(), pid.to_string()];
        argv.extend(triple_args(v));
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let process = crate::sys::process::spawn_exec(&argv, [null.as_raw_fd(), null.as_raw_fd(), w.as_raw_fd()])
            .map_err(|e| crate::err!("running {tool}: {e}"));
        match process {
            Ok(process) => helpers.push(IdMapHelper {
                tool,
                process,
                stderr: r,
            }),
            Err(e) => {
                // The one already started is reaped.
                let _ = wait_newidmap(helpers);
                return Err(e);
            }
        }
    }
    Ok(helpers)
}

/// Wait for `spawn_newidmap`'s helpers, every one (none left unreaped): an error with the
/// first failure's stderr.
pub fn wait_newidmap(helpers: Vec<IdMapHelper>) -> Result<()> {
    let mut failed = None;
    for h in helpers {
        let said = crate::sys::fd::read_to_eof(&h.stderr);
        let st = loop {
            match nix::sys::wait::waitpid(h.process.pid, None) {
                Err(nix::errno::Errno::EINTR) => continue,
                other => break other,
            }
        };
        let e = match st {
            Ok(nix::sys::wait::WaitStatus::Exited(_, 0)) => continue,
            Ok(nix::sys::wait::WaitStatus::Exited(_, 127)) if said.is_empty() => {
                crate::err!(
                    "running {}: it could not be executed (install the uidmap package)",
                    h.tool
                )
            }
            Ok(st) => crate::err!(
                "{} failed ({}): {}",
                h.tool,
                exit_words(st),
                String::from_utf8_lossy(&said).trim().replace('\n', "; ")
            ),
            Err(e) => crate::err!("waiting for {}: {e}", h.tool),
        };
        failed.get_or_insert(e);
    }
    failed.map_or(Ok(()), Err)
}

/// A wait status as std's ExitStatus shows it ("exit status: 1", "signal: 9 (SIGKILL)").
fn exit_words(st: nix::sys::wait::WaitStatus) -> String {
    match st {
        nix::sys::wait::WaitStatus::Exited(_, c) => format!("exit status: {c}"),
        nix::sys::wait::WaitStatus::Signaled(_, s, _) => format!("signal: {} ({s})", s as i32),
        other => format!("{other:?}"),
    }
}

/// Write `pid`'s maps from explicit (container, host, count) lines (--uidmap/--gidmap).
pub fn write_triples(pid: i32, u: &[(u64, u64, u64)], g: &[(u64, u64, u64)]) -> Result<()> {
    run_newidmap(pid, u, g)
}

/// (container, host, count) lines as newuidmap/newgidmap arguments.
fn triple_args(v: &[(u64, u64, u64)]) -> Vec<String> {
    v.iter()
        .flat_map(|(a, b, c)| [a.to_string(), b.to_string(), c.to_string()])
        .collect()
}

/// `write_maps` begun: newuidmap and newgidmap running beside the caller for a full mapping
/// (`wait_newidmap` ends it), any other written at once.
pub fn begin_maps(pid: i32, mapping: &Mapping, keep_id: bool) -> Result<Vec<IdMapHelper>> {
    match mapping {
        Mapping::Full { .. } => {
            let (u, g) = map_triples(mapping, keep_id);
            spawn_newidmap(pid, &u, &g)
        }
        _ => write_maps(pid, mapping, keep_id).map(|_| Vec::new()),
    }
}

/// Write `pid`'s uid and gid maps for `mapping` (keep-id or the default stacked map):
/// newuidmap and newgidmap run at the same time for a full map, /proc writes for a single uid.
pub fn write_maps(pid: i32, mapping: &Mapping, keep_id: bool) -> Result<()> {
    let (u, g) = map_triples(mapping, keep_id);
    match mapping {
        Mapping::Full { .. } => run_newidmap(pid, &u, &g),
        Mapping::Single { uid, gid, .. } => {
            let w = |f: &str, s: String| {
                std::fs::write(format!("/proc/{pid}/{f}"), s).map_err(|e| crate::err!("writing /proc/{pid}/{f}: {e}"))
            };
            w("setgroups", "deny".into())?;
            w("uid_map", format!("0 {uid} 1\n"))?;
            w("gid_map", format!("0 {gid} 1\n"))
        }
        Mapping::HostRoot => Ok(()),
    }
}

static CURRENT: OnceLock<Mapping> = OnceLock::new();
static NOTICED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Say once per invocation that only a single uid is mapped, and why.
pub fn notice_single(why: &str) {
    if !NOTICED.swap(true, std::sync::atomic::Ordering::Relaxed) {
        crate::output::note(&format!("using a single-uid mapping: {why}"));
    }
}

/// The mapping `enter` would set up, without entering anything. Worked out once per process
/// and ids (a `run` needs it three times: the seed, the create, the start), from the user's
/// name (NSS), /etc/subuid, /etc/subgid and the helpers found.
pub fn plan() -> Mapping {
    static PLANNED: std::sync::Mutex<Option<(u32, u32, Mapping)>> = std::sync::Mutex::new(None);
    let (uid, gid) = (getuid().as_raw(), getgid().as_raw());
    if uid == 0 {
        return Mapping::HostRoot;
    }
    let mut planned = PLANNED.lock().unwrap_or_else(|p| p.into_inner());
    match &*planned {
        Some((u, g, m)) if (*u, *g) == (uid, gid) => m.clone(),
        _ => {
            let m = plan_for(uid, gid);
            *planned = Some((uid, gid, m.clone()));
            m
        }
    }
}

fn plan_for(uid: u32, gid: u32) -> Mapping {
    let name = User::from_uid(nix::unistd::Uid::from_raw(uid))
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_else(|| uid.to_string());
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .map(|c| parse_subid(&c, &name, uid))
            .unwrap_or_default()
    };
    let (subuids, subgids) = (read("/etc/subuid"), read("/etc/subgid"));
    if subuids.is_empty() || subgids.is_empty() {
        let which = if subuids.is_empty() {
            "/etc/subuid"
        } else {
            "/etc/subgid"
        };
        return Mapping::Single {
            uid,
            gid,
            why: format!(
                "no range for user {name} in {which}; add one with `usermod --add-subuids 100000-165535 --add-subgids 100000-165535 {name}`"
            ),
        };
    }
    if find_in_path("newuidmap").is_none() || find_in_path("newgidmap").is_none() {
        return Mapping::Single {
            uid,
            gid,
            why: "newuidmap/newgidmap not found; install the uidmap package".into(),
        };
    }
    Mapping::Full {
        uid,
        gid,
        subuids,
        subgids,
    }
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
        Mapping::Full { .. } => enter_full(&mapping)?,
        Mapping::Single { uid, gid, why } => {
            notice_single(why);
            enter_single(*uid, *gid)?
        }
    }
    Ok(CURRENT.get_or_init(|| mapping))
}

/// Enter a new user namespace mapped as a `--userns=keep-id` container's (the user's uid is
/// itself inside): for work on a stopped keep-id container's files (cp). Not the store's
/// namespace: `enter` must not be called after it.
pub fn enter_keep_id() -> Result<()> {
    let mapping = plan();
    match &mapping {
        Mapping::Full { .. } => enter_full_with(&mapping, true),
        _ => crate::bail!(
            "--userns=keep-id needs a subordinate id range for your user (see /etc/subuid and /etc/subgid)"
        ),
    }
}

/// Unshare our user namespace and have a forked helper, still in the parent namespace as
/// newuidmap requires, write our maps with `write_maps` once we have unshared.
/// A container whose ids are not mapped as the store's namespace maps them (keep-id on
/// networks, --uidmap/--gidmap, --userns auto): from inside a namespace mapped as the store's
/// (the shared network namespace's, or `runtime::spawn_under_store`'s, with its
/// capabilities), move into a child user namespace mapped with the container's own
/// map, `host` (container id, host id, count), restated in the parent's ids (the store's frame,
/// `stacked`: the parent is mapped as the store's namespace). A forked child left in the
/// parent writes the maps to /proc itself (it has CAP_SETUID and CAP_SETGID there): no
/// newuidmap. The container's network namespace, made after this, is owned by the child
/// namespace, where hutch-netns (in the parent) still has every capability.
pub fn unshare_nested(mapping: &Mapping, host: &(Vec<(u64, u64, u64)>, Vec<(u64, u64, u64)>)) -> Result<()> {
    let Some((u, g)) = store_frame_maps(mapping, &host.0, &host.1) else {
        crate::bail!(
            "a container's own id map needs a subordinate id range for your user (see /etc/subuid and /etc/subgid)"
        );
    };
    // A process that is not dumpable has /proc files owned by the root of its user namespace,
    // or by the host's root while that namespace maps no ids yet: the writer could not open
    // them. Nothing else runs in the new namespace meanwhile.
    let dumpable = nix::sys::prctl::get_dumpable().unwrap_or(false);
    let _ = nix::sys::prctl::set_dumpable(true);
    let r = unshare_mapped(|pid| {
        for (file, v) in [("uid_map", &u), ("gid_map", &g)] {
            let text: String = v.iter().map(|(c, p, n)| format!("{c} {p} {n}\n")).collect();
            std::fs::write(format!("/proc/{pid}/{file}"), text).map_err(|e| {
                crate::err!("writing the container's {file} in the shared network namespace's user namespace: {e}")
            })?;
        }
        Ok(())
    });
    let _ = nix::sys::prctl::set_dumpable(dumpable);
    r
}

/// In a forked helper: move into a new user namespace mapped as the store's (the default
/// stacked map, newuidmap and newgidmap writing it), where every store id is itself. Not
/// `enter` (its record of the namespace entered is this process's memory, shared with the
/// caller's before the fork).
pub fn enter_store_frame(mapping: &Mapping) -> Result<()> {
    // newuidmap checks the owner of /proc/PID, which is root's while we are not dumpable.
    let dumpable = nix::sys::prctl::get_dumpable().unwrap_or(false);
    let _ = nix::sys::prctl::set_dumpable(true);
    let r = enter_full(mapping);
    let _ = nix::sys::prctl::set_dumpable(dumpable);
    r
}

fn enter_full(mapping: &Mapping) -> Result<()> {
    enter_full_with(mapping, false)
}

fn enter_full_with(mapping: &Mapping, keep_id: bool) -> Result<()> {
    unshare_mapped(|me| write_maps(me, mapping, keep_id))
}

/// Move this (single-threaded) process into a new user namespace whose maps `write` writes
/// from a forked child left in the current one (a process inside can map only its own id).
fn unshare_mapped(write: impl FnOnce(i32) -> Result<()>) -> Result<()> {
    use crate::sys::process;
    let me = std::process::id() as i32;
    let (go_r, go_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| crate::err!("pipe: {e}"))?;
    let (res_r, res_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| crate::err!("pipe: {e}"))?;
    let Some(helper) = process::fork().map_err(|e| crate::err!("fork: {e}"))? else {
        drop((go_w, res_r));
        let mut b = [0u8; 1];
        if !matches!(nix::unistd::read(&go_r, &mut b), Ok(1)) {
            process::exit_now(3);
        }
        match write(me) {
            Ok(()) => process::exit_now(0),
            Err(e) => {
                let _ = nix::unistd::write(&res_w, e.message.as_bytes());
                process::exit_now(1)
            }
        }
    };
    drop((go_r, res_w));
    let unshared = unshare(CloneFlags::CLONE_NEWUSER);
    if unshared.is_ok() {
        let _ = nix::unistd::write(&go_w, b"G");
    }
    drop(go_w);
    let said = String::from_utf8_lossy(&crate::sys::fd::read_to_eof(res_r.as_fd())).into_owned();
    let st = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(helper), None);
    unshared.map_err(|e| {
        crate::err!(
            "cannot create a user namespace: {e} (is kernel.unprivileged_userns_clone or user.max_user_namespaces 0?)"
        )
    })?;
    match st {
        Ok(nix::sys::wait::WaitStatus::Exited(_, 0)) => Ok(()),
        _ if !said.is_empty() => Err(crate::err!("{said}")),
        other => Err(crate::err!("mapping user namespace ids failed ({other:?})")),
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

/// Run `work` in a forked child that enters the store's user namespace (so it can create and
/// chown files as any mapped id), leaving this process where it is. Its error comes back.
pub fn in_store_namespace(what: &str, work: impl FnOnce() -> Result<()>) -> Result<()> {
    crate::sys::process::run_worker(|| enter().and_then(|_| work()).map_err(|e| e.message))
        .map_err(|m| crate::err!("{m}"))?
        .map_err(|f| crate::err!("{what}: {}", f.message_or(|_| "the helper failed".into())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_subid_by_name_and_uid() {
        let c = "# comment\nalice:100000:65536\nbob:200000:1000\n1001:300000:10\nalice:500000:5\nbad line\ncarol:1:0\n";
        assert_eq!(
            parse_subid(c, "alice", 1000),
            vec![
                IdRange {
                    start: 100000,
                    count: 65536
                },
                IdRange {
                    start: 500000,
                    count: 5
                }
            ]
        );
        assert_eq!(
            parse_subid(c, "dave", 1001),
            vec![IdRange {
                start: 300000,
                count: 10
            }]
        );
        assert!(parse_subid(c, "carol", 5).is_empty());
    }

    #[test]
    fn stacks_ranges_after_own_id() {
        let r = [
            IdRange {
                start: 100000,
                count: 65536,
            },
            IdRange {
                start: 500000,
                count: 5,
            },
        ];
        assert_eq!(
            stacked(1000, &r),
            vec![(0, 1000, 1), (1, 100000, 65536), (65537, 500000, 5)]
        );
    }

    /// The test user's mapping: 4711, 65536 subordinate ids from 200000.
    fn test_user() -> Mapping {
        let r = vec![IdRange {
            start: 200000,
            count: 65536,
        }];
        Mapping::Full {
            uid: 4711,
            gid: 4711,
            subuids: r.clone(),
            subgids: r,
        }
    }

    #[test]
    fn fuse_overlayfs_shifts_maps_whose_image_ids_the_namespace_sees() {
        let m = test_user();
        let own = (u32::MAX as u64 - 1, 4711, 1);
        // --uidmap 0:1:1000: your id (the image's root) sits at the top; shown as 0.
        let u = vec![(0, 200000, 1000), own];
        assert_eq!(
            fuse_custom_options(&m, &u, &u).unwrap(),
            "uidmapping=0:1:1000:4294967294:0:1,gidmapping=0:1:1000:4294967294:0:1"
        );
        // keep-id's own map gives keep-id's options.
        let (ku, kg) = map_triples(&m, true);
        assert_eq!(fuse_custom_options(&m, &ku, &kg), fuse_idmap_options(&m));
        // An auto range above the image's ids: the namespace does not see them.
        let auto = vec![(0, 201024, 1024), own];
        assert_eq!(fuse_custom_options(&m, &auto, &auto), None);
        // auto's 65535 ids from the first subordinate id: the one store id left out reads as
        // 65534, shown as 65535, which is no container id: nobody, as with a copy.
        let auto = vec![(0, 200000, 65535), own];
        assert!(fuse_custom_options(&m, &auto, &auto).is_some());
        // Store id 1 left out, and 65534 shown as a container id (65535): the copy.
        let gap = vec![(0, 4711, 1), (1, 200001, 65535)];
        assert_eq!(fuse_custom_options(&m, &gap, &gap), None);
        // No subordinate ids: nothing to shift with.
        let single = Mapping::Single {
            uid: 4711,
            gid: 4711,
            why: String::new(),
        };
        assert_eq!(fuse_custom_options(&single, &u, &u), None);
    }

    #[test]
    fn fuse_overlayfs_in_the_stores_namespace_shows_the_images_owners_through_any_map() {
        let m = test_user();
        // --uidmap 0:1:1000: the image's root (store id 0) is shown as store id 1, which the
        // container sees as its root; nothing maps your own id.
        let u = vec![(0, 200000, 1000)];
        assert_eq!(
            fuse_store_options(&m, &u, &u).unwrap(),
            "uidmapping=0:1:1000,gidmapping=0:1:1000"
        );
        // An auto range above the image's ids, and two ranges swapped.
        let auto = vec![(0, 202000, 1024)];
        assert_eq!(
            fuse_store_options(&m, &auto, &auto).unwrap(),
            "uidmapping=0:2001:1024,gidmapping=0:2001:1024"
        );
        let two = vec![(0, 201000, 1000), (1000, 200000, 1000)];
        assert_eq!(
            fuse_store_options(&m, &two, &two).unwrap(),
            "uidmapping=0:1001:1000:1000:1:1000,gidmapping=0:1001:1000:1000:1:1000"
        );
        let single = Mapping::Single {
            uid: 4711,
            gid: 4711,
            why: String::new(),
        };
        assert_eq!(fuse_store_options(&single, &u, &u), None);
    }

    #[test]
    fn maps_own_id_to_root_then_ranges() {
        let r = [IdRange {
            start: 200000,
            count: 65536,
        }];
        let m = Mapping::Full {
            uid: 4711,
            gid: 4711,
            subuids: r.to_vec(),
            subgids: r.to_vec(),
        };
        let (u, _) = map_triples(&m, false);
        assert_eq!(u, vec![(0, 4711, 1), (1, 200000, 65536)]);
        let (u, _) = map_triples(&m, true);
        assert_eq!(u, vec![(0, 200000, 4711), (4711, 4711, 1), (4712, 204711, 60825)]);
        // Container id -> store id: under keep-id container 0 is host 200000 = store id 1.
        let ranges = [IdRange {
            start: 200000,
            count: 65536,
        }];
        let fr = in_store_frame(&keep_id_map(4711, &ranges), &stacked(4711, &ranges));
        assert_eq!(fr, vec![(0, 1, 4711), (4711, 0, 1), (4712, 4712, 65536 - 4711)]);
        for (c, s, n) in &fr {
            for i in 0..*n {
                assert_eq!(keep_id_store_id((c + i) as u32, 4711) as u64, s + i);
            }
        }
        assert_eq!(keep_id_store_id(0, 4711), 1);
        assert_eq!(keep_id_store_id(4711, 4711), 0);
        assert_eq!(keep_id_store_id(4712, 4711), 4712);
    }
}
