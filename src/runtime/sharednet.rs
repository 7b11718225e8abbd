//! The user's shared network namespace, which carries every container on a user-defined
//! network (`--network NAME`), as Podman's rootless network namespace does:
//!
//! - one process, `hutch-netns`, lives in a user namespace of its own (mapped as containers'
//!   are) and in a network namespace made in it, holding a bridge per network in use; it
//!   creates each container's veth pair and configures it (rtnetlink, `sys::route`: no
//!   process on the start path), answers DNS for the networks'
//!   names on their gateways (forwarding the rest to the host's resolver through a socket
//!   made on the host's side), and forwards the containers' published TCP and UDP ports from
//!   host sockets handed to it;
//! - one pasta gives that namespace its way out (the bridges are NATed behind it; iptables
//!   keeps networks apart and `--internal` ones in), started by `hutch-netns-lo` (its
//!   host-side half) when the first packet to the outside arrives (`Keeper::want_pasta`): a
//!   container that sends nothing out costs no pasta, nor waits behind pasta's start-up.
//!
//! It starts with the first container that needs it (`hutch __netns` sets it up and exits),
//! and goes away with the last: each container's starter (its monitor, or a foreground `hutch
//! run`) keeps a connection to it open, and `network connect` hands it the container's pidfd;
//! with neither left it takes the lock, makes sure nobody is connecting, and exits, killing
//! pasta. No daemon, no API beyond that socket. Starting it is serialized with a file lock in
//! the runtime directory; a helper found dead (kill -9) is replaced, and the run says so.
//!
//! Containers on the networks live in that user namespace (their own network, mount, pid, uts
//! and ipc namespaces inside it), like `--network container:`: a short-lived helper enters it,
//! makes the container's network namespace, gets its interfaces from hutch-netns, and clones
//! the container process. A container whose ids are mapped otherwise (keep-id, --uidmap,
//! --userns auto) gets a user namespace of its own inside that one first (`userns::
//! unshare_nested`), which then owns its network namespace: hutch-netns, in the parent, keeps
//! every capability there.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, UdpSocket};
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use nix::sys::socket::{
    self as sock, AddressFamily, ControlMessage, ControlMessageOwned, MsgFlags, SockFlag, SockType,
};
use serde::{Deserialize, Serialize};

use super::{child, exec, Channel, Plan, Started, StdioMode};
use crate::error::{Context, Result};
use crate::spec::network::{Network, PortMapping, Protocol};
use crate::sys::nft::{Match, Target};
use crate::sys::process;

fn lock_path() -> PathBuf {
    crate::paths::net_dir().join("shared.lock")
}
fn sock_path() -> PathBuf {
    crate::paths::net_dir().join("shared.sock")
}
fn state_path() -> PathBuf {
    crate::paths::net_dir().join("shared.json")
}
fn log_path() -> PathBuf {
    crate::paths::net_dir().join("shared.log")
}
fn pasta_pid_path() -> PathBuf {
    crate::paths::net_dir().join("shared-pasta.pid")
}

/// Who runs the shared namespace: hutch-netns and its pasta, each by pid and start time.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SharedState {
    pub pid: i32,
    pub start_time: u64,
    pub pasta_pid: i32,
    pub pasta_start_time: u64,
}

fn read_state() -> Option<SharedState> {
    serde_json::from_slice(&std::fs::read(state_path()).ok()?).ok()
}

fn write_state(s: &SharedState) -> Result<()> {
    crate::sys::fs::replace_atomic(&state_path(), &serde_json::to_vec(s).expect("json"), 0o600)
        .ctx(|| format!("writing {}", state_path().display()))
}

/// A system tool (iptables-restore), also where an unprivileged PATH lacks sbin.
fn tool(name: &str) -> Result<PathBuf> {
    if let Some(p) = crate::paths::find_tool(name) {
        return Ok(p);
    }
    let pkg = match name {
        "ip" => "iproute2",
        "iptables-restore" => "iptables",
        n => n,
    };
    crate::bail!("networks need {name}, which is not installed (install the {pkg} package)")
}

// ---- messages: one JSON object per SEQPACKET message, with fds alongside ----

fn send_msg(fd: &OwnedFd, v: &serde_json::Value, fds: &[RawFd]) -> nix::Result<()> {
    let data = serde_json::to_vec(v).expect("json");
    let iov = [std::io::IoSlice::new(&data)];
    let cmsg = [ControlMessage::ScmRights(fds)];
    let c: &[ControlMessage] = if fds.is_empty() { &[] } else { &cmsg };
    sock::sendmsg::<()>(fd.as_raw_fd(), &iov, c, MsgFlags::MSG_NOSIGNAL, None).map(drop)
}

/// One message; None at EOF (or on an error).
fn recv_msg(fd: RawFd) -> Option<(serde_json::Value, Vec<OwnedFd>)> {
    let mut buf = vec![0u8; 65536];
    let mut space = nix::cmsg_space!([RawFd; 64]);
    let mut iov = [std::io::IoSliceMut::new(&mut buf)];
    let r = loop {
        match sock::recvmsg::<()>(fd, &mut iov, Some(&mut space), MsgFlags::MSG_CMSG_CLOEXEC) {
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return None,
            Ok(r) => break r,
        }
    };
    let mut fds = Vec::new();
    if let Ok(cmsgs) = r.cmsgs() {
        for c in cmsgs {
            if let ControlMessageOwned::ScmRights(v) = c {
                // The kernel just installed these fds for us.
                fds.extend(v.into_iter().map(crate::sys::fd::adopt_fd));
            }
        }
    }
    let n = r.bytes;
    if n == 0 {
        return None;
    }
    let v = serde_json::from_slice(&buf[..n]).ok()?;
    Some((v, fds))
}

fn seqpacket() -> Result<OwnedFd> {
    sock::socket(AddressFamily::Unix, SockType::SeqPacket, SockFlag::SOCK_CLOEXEC, None)
        .map_err(|e| crate::err!("creating a socket: {e}"))
}

fn connect_sock() -> nix::Result<OwnedFd> {
    let s = sock::socket(AddressFamily::Unix, SockType::SeqPacket, SockFlag::SOCK_CLOEXEC, None)?;
    sock::connect(s.as_raw_fd(), &sock::UnixAddr::new(&sock_path())?)?;
    Ok(s)
}

/// Ask and wait for the reply (`{"error": …}` becomes an error).
fn request(conn: &OwnedFd, v: &serde_json::Value, fds: &[RawFd]) -> Result<serde_json::Value> {
    ask(conn, v, fds)?;
    answer(conn)
}

/// Send a request (`answer` waits for its reply).
fn ask(conn: &OwnedFd, v: &serde_json::Value, fds: &[RawFd]) -> Result<()> {
    send_msg(conn, v, fds).map_err(|e| crate::err!("talking to the shared network helper: {e}"))
}

/// The reply to the request sent last (`{"error": …}` becomes an error).
fn answer(conn: &OwnedFd) -> Result<serde_json::Value> {
    let tv = nix::sys::time::TimeVal::new(60, 0);
    let _ = sock::setsockopt(conn, sock::sockopt::ReceiveTimeout, &tv);
    let (reply, _) = recv_msg(conn.as_raw_fd()).ok_or_else(|| {
        crate::err!(
            "the shared network helper did not answer (see {})",
            log_path().display()
        )
    })?;
    if let Some(e) = reply.get("error").and_then(|e| e.as_str()) {
        crate::bail!("{e}");
    }
    Ok(reply)
}

// ---- the starter's side ----

/// A shared namespace this start is bringing up: hutch-netns already serves (the container
/// can be attached), while `hutch __netns` finishes: it writes the state (and, where there is
/// no hutch-netns-lo to start pasta when it is first needed, starts pasta first).
/// `wait_usable` before the container execs, in that last case only (the attach's answer
/// says "wait"): once pasta has configured the namespace's interface and default route, as a
/// container's own pasta lets it. `hutch __netns` holds the starters' lock (handed to it)
/// until the state is written, so no other start reads a namespace without its state, and
/// this start does not wait for that.
pub struct Cold {
    /// `hutch __netns` (forked or exec'd): reaped on drop if it has exited (it leaves its own
    /// child at once), else once the run is over (`discard_early`: one started early runs on
    /// until "ready"), never waited for.
    pid: i32,
    out: OwnedFd,
    ready: bool,
    /// The early seed's user and network namespaces, which hutch-netns was given
    /// (`seed::take_for_shared`), their maps still being written until `finish` waits.
    seeded: Option<super::seed::ForShared>,
    /// Those namespaces once mapped (`finish`): the container joins this user namespace, and
    /// its helper watches pasta's route in this network namespace (hutch-netns may not have
    /// entered them yet, so not through /proc/PID/ns).
    ns: Option<(OwnedFd, OwnedFd)>,
    /// `pid` leaves its own child at once (`netns_main`'s `leave`): waited for on drop.
    leaves: bool,
    /// The starter's connection to hutch-netns (`start_shared`), until `finish` takes it.
    conn: Option<OwnedFd>,
}

impl Cold {
    /// Read `hutch __netns`'s stdout up to `word` ("up": hutch-netns listens; "ready": pasta
    /// runs and the state is written); false at its end without it.
    fn read_to(&mut self, word: &str, seen: &mut String) -> bool {
        loop {
            if seen.lines().any(|l| l == word) {
                return true;
            }
            let mut b = [0u8; 64];
            match nix::unistd::read(&self.out, &mut b) {
                Err(nix::errno::Errno::EINTR) => continue,
                Ok(n) if n > 0 => seen.push_str(&String::from_utf8_lossy(&b[..n])),
                _ => return false,
            }
        }
    }

    /// Wait until pasta runs (from the container's helper, a fork of the starter: it only
    /// reads the pipe); the error says what `hutch __netns` said.
    pub fn wait(&mut self) -> Result<()> {
        if self.ready {
            return Ok(());
        }
        let mut seen = String::new();
        if self.read_to("ready", &mut seen) {
            self.ready = true;
            return Ok(());
        }
        crate::bail!("starting the shared network namespace failed: {}", netns_said())
    }

    /// Wait until the shared namespace has its IPv4 default route (`watch`, opened in that
    /// namespace: pasta configured its interface), or pasta is ready; without `watch`, until
    /// ready. The error says what `hutch __netns` said.
    pub fn wait_usable(&mut self, watch: Option<&mut crate::sys::route::RouteWatch>) -> Result<()> {
        use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
        let Some(w) = watch else { return self.wait() };
        let mut seen = String::new();
        while !self.ready {
            if w.read().unwrap_or(false) {
                return Ok(());
            }
            let (said, routed) = {
                let mut fds = [
                    PollFd::new(self.out.as_fd(), PollFlags::POLLIN),
                    PollFd::new(w.as_fd(), PollFlags::POLLIN),
                ];
                match poll(&mut fds, PollTimeout::NONE) {
                    Err(nix::errno::Errno::EINTR) => continue,
                    Err(e) => crate::bail!("waiting for the shared network namespace: {e}"),
                    Ok(_) => {}
                }
                (fds[0].any().unwrap_or(false), fds[1].any().unwrap_or(false))
            };
            if said {
                let mut b = [0u8; 64];
                match nix::unistd::read(&self.out, &mut b) {
                    Err(nix::errno::Errno::EINTR) => continue,
                    Ok(n) if n > 0 => {
                        seen.push_str(&String::from_utf8_lossy(&b[..n]));
                        self.ready = seen.lines().any(|l| l == "ready");
                    }
                    _ => crate::bail!("starting the shared network namespace failed: {}", netns_said()),
                }
            } else if !routed {
                continue;
            }
        }
        Ok(())
    }
}

impl Drop for Cold {
    fn drop(&mut self) {
        if self.leaves {
            let _ = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(self.pid), None);
        } else {
            reap_or_defer(self.pid);
        }
    }
}

/// `hutch __netns` processes this start forked that had not exited when their `Cold` went
/// (they end after pasta is up, which the container does not wait for).
static UNREAPED: std::sync::Mutex<Vec<i32>> = std::sync::Mutex::new(Vec::new());

/// Reap `pid` if it has exited, else leave it for `reap_deferred` (or, at this process's exit,
/// for init): waiting here would hold a start up until pasta is up.
fn reap_or_defer(pid: i32) {
    use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
    if let Ok(WaitStatus::StillAlive) = waitpid(nix::unistd::Pid::from_raw(pid), Some(WaitPidFlag::WNOHANG)) {
        UNREAPED.lock().unwrap_or_else(|p| p.into_inner()).push(pid);
    }
}

/// Reap those of `UNREAPED` that have exited meanwhile.
fn reap_deferred() {
    let pids = std::mem::take(&mut *UNREAPED.lock().unwrap_or_else(|p| p.into_inner()));
    for pid in pids {
        reap_or_defer(pid);
    }
}

/// What `hutch __netns` wrote to its log, on one line.
fn netns_said() -> String {
    let said = super::net::log_lines(&log_path());
    if said.is_empty() {
        "it exited without a word".into()
    } else {
        said
    }
}

/// Make sure the shared namespace runs (starting it, or recovering it or its dead pasta), and
/// connect to it; returns the connection, hutch-netns's pid and, when this start brought it
/// up, its `Cold`.
pub fn ensure() -> Result<(OwnedFd, i32, Option<Cold>)> {
    match begin(false)? {
        Begun::Up(conn, pid) => Ok((conn, pid, None)),
        Begun::Starting(cold) => finish(cold),
    }
}

/// Whether the shared namespace looks up (its socket exists): a guess, for `run`'s early seed.
pub fn running() -> bool {
    sock_path().exists()
}

/// What `begin` found or started.
enum Begun {
    /// Running: the connection and hutch-netns's pid.
    Up(OwnedFd, i32),
    /// Being brought up by this start (`finish`).
    Starting(Cold),
}

/// A start begun early (`prestart`), taken by the container's `spawn`.
static EARLY: std::sync::Mutex<Option<Begun>> = std::sync::Mutex::new(None);

/// Bring the shared namespace up now, while the container is created (`run` calls it right
/// after parsing, for a container on a network, in the foreground): on a cold start its
/// helper's own start-up (clone, id maps, bridge, firewall rules, pasta) overlaps the
/// container's create instead of following it. Best effort: `spawn` starts it as before if
/// this did not. Called single-threaded (the helper is forked).
pub fn prestart() {
    if let Ok(b) = begin(true) {
        crate::output::trace("shared network: started early");
        *EARLY.lock().unwrap_or_else(|p| p.into_inner()) = Some(b);
    }
}

/// Lock, then connect to the running namespace, or recover it, or start it (handing the lock
/// to `hutch __netns`). `early`: for `prestart`, whose `run` reaps a forked `hutch __netns`
/// once it is over (`discard_early`), so that helper need not fork again to leave it.
fn begin(early: bool) -> Result<Begun> {
    let dir = crate::paths::net_dir();
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .ctx(|| format!("creating {}", dir.display()))?;
    }
    let lock = crate::sys::lock::FileLock::exclusive(&lock_path())?;
    let st = read_state();
    if let Some(st) = &st {
        if process::is_same_process(st.pid, st.start_time) {
            if let Ok(conn) = connect_sock() {
                // (No pasta yet: hutch-netns starts one when it needs it, `Keeper::want_pasta`.)
                if st.pasta_pid != 0 && !process::is_same_process(st.pasta_pid, st.pasta_start_time) {
                    crate::output::note(&format!(
                        "warning: the shared network namespace's pasta (pid {}) was gone: started it again",
                        st.pasta_pid
                    ));
                    let (pid, start) = start_pasta(st.pid)?;
                    let st = SharedState {
                        pasta_pid: pid,
                        pasta_start_time: start,
                        ..st.clone()
                    };
                    write_state(&st)?;
                    tell_state(Some(&conn), &st);
                }
                // (A seed made for a cold start is not needed: end it now.)
                if super::seed::started_for_shared() {
                    super::seed::discard();
                }
                return Ok(Begun::Up(conn, st.pid));
            }
        }
        // It died without cleaning up (killed): its pasta goes too, and a new one starts.
        crate::output::note(&format!(
            "warning: the shared network helper (hutch-netns, pid {}) was gone: started a new one (containers attached to the old one lost their network)",
            st.pid
        ));
        if process::is_same_process(st.pasta_pid, st.pasta_start_time) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(st.pasta_pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = std::fs::remove_file(state_path());
    }
    // `hutch __netns` holds the lock from here on.
    Ok(Begun::Starting(start_shared(lock, seeded(), early)?))
}

/// The early seed's namespaces for a cold start (`seed::start_for_shared`), if there is one
/// mapped as this namespace must be.
fn seeded() -> Option<super::seed::ForShared> {
    let mapping = super::userns::plan();
    if !matches!(mapping, super::userns::Mapping::Full { .. }) {
        return None;
    }
    let (u, g) = super::userns::map_triples(&mapping, false);
    super::seed::take_for_shared(&u, &g)
}

/// Wait until the hutch-netns being started listens, and connect.
fn finish(mut cold: Cold) -> Result<(OwnedFd, i32, Option<Cold>)> {
    let mut seen = String::new();
    if !cold.read_to("up", &mut seen) {
        drop(cold);
        crate::bail!("starting the shared network namespace failed: {}", netns_said());
    }
    cold.ready = seen.lines().any(|l| l == "ready");
    crate::output::trace("shared network: hutch-netns up");
    let pid: i32 = seen
        .lines()
        .find_map(|l| l.strip_prefix("pid ").and_then(|p| p.parse().ok()))
        .ok_or_else(|| crate::err!("the shared network helper did not say its pid"))?;
    // The seed's maps, written since the run began: hutch-netns serves meanwhile, but the
    // container needs them. Failed: hutch-netns goes (so `hutch __netns` does, releasing the
    // lock) and the error is the maps'.
    if let Some(mut seeded) = cold.seeded.take() {
        if let Err(e) = seeded.wait() {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
            return Err(e);
        }
        cold.ns = Some(seeded.into_fds());
        crate::output::trace("shared network: the seed's maps written");
    }
    let conn = match cold.conn.take() {
        Some(c) => c,
        None => connect_sock().map_err(|e| crate::err!("connecting to the shared network helper: {e}"))?,
    };
    Ok((conn, pid, Some(cold)))
}

/// The shared namespace for `spawn`: the one `prestart` began, else `ensure`'s. A connection
/// made early under the starters' lock keeps hutch-netns serving; a start begun early whose
/// pasta is already running (a long create) no longer holds that lock, so hutch-netns may be
/// going (nothing attached): `ensure` then connects under the lock, or starts it again.
fn ensure_for_spawn() -> Result<(OwnedFd, i32, Option<Cold>)> {
    let early = EARLY.lock().unwrap_or_else(|p| p.into_inner()).take();
    match early {
        None => ensure(),
        Some(Begun::Up(conn, pid)) => Ok((conn, pid, None)),
        // Connected from its start (`start_shared`): hutch-netns has not gone meanwhile.
        Some(Begun::Starting(cold)) => finish(cold),
    }
}

/// End a start begun early that no container took (`run` calls it once the container is gone):
/// its connection closes, so hutch-netns, with nothing attached, goes.
pub fn discard_early() {
    drop(EARLY.lock().unwrap_or_else(|p| p.into_inner()).take());
    reap_deferred();
}

/// The variable that tells `hutch __netns` which descriptor holds the starters' lock.
const LOCK_FD_VAR: &str = "HUTCH_NETNS_LOCK_FD";
/// The variable that tells `hutch __netns` which descriptor is its starter's connection.
const CONN_FD_VAR: &str = "HUTCH_NETNS_CONN_FD";

/// Start `hutch __netns`, which sets the namespace up, says "pid N" and "up" on its stdout
/// once hutch-netns listens, starts its pasta, writes the state, says "ready" and exits. It
/// is handed the starters' lock (a descriptor of the same open file: the lock is its until it
/// exits). A single-threaded caller forks it (`netns_main` runs in the child), which saves the
/// exec of this binary and its start-up; else it is exec'd. It leaves its parent at once (a
/// fork of its own), so the caller neither waits for it nor reaps it late, unless `early`
/// (`prestart`: a forked one runs on in that child, reaped by `Cold` or `discard_early`).
fn start_shared(lock: crate::sys::lock::FileLock, seeded: Option<super::seed::ForShared>, early: bool) -> Result<Cold> {
    let log = std::fs::File::create(log_path()).ctx(|| format!("creating {}", log_path().display()))?;
    let lock = lock
        .into_fd(true)
        .map_err(|e| crate::err!("handing the shared network lock over: {e}"))?;
    // The starter's connection, made now: hutch-netns has it from its first moment, so it never
    // sees itself unused (and goes) between releasing the starters' lock and the starter's
    // connecting.
    let (conn, theirs) = sock::socketpair(AddressFamily::Unix, SockType::SeqPacket, None, SockFlag::SOCK_CLOEXEC)
        .map_err(|e| crate::err!("starting the shared network helper: {e}"))?;
    if single_threaded() {
        let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
            .map_err(|e| crate::err!("starting the shared network helper: {e}"))?;
        match process::fork().map_err(|e| crate::err!("starting the shared network helper: {e}"))? {
            Some(pid) => {
                drop(w);
                drop(lock);
                drop(theirs);
                return Ok(Cold {
                    pid,
                    out: r,
                    ready: false,
                    seeded,
                    ns: None,
                    leaves: !early,
                    conn: Some(conn),
                });
            }
            None => {
                let keep: Vec<RawFd> = std::iter::once(theirs.as_raw_fd())
                    .chain(seeded.iter().flat_map(|s| [s.user.as_raw_fd(), s.net.as_raw_fd()]))
                    .collect();
                let (lock, kept) = forked_stdio(w.as_raw_fd(), log.as_raw_fd(), lock.as_raw_fd(), &keep);
                let mut kept = kept.into_iter();
                let first = kept.next();
                let ns = kept.next().zip(kept.next());
                process::exit_now(netns_main(lock, ns, !early, first))
            }
        }
    }
    nix::fcntl::fcntl(&theirs, nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::empty()))
        .map_err(|e| crate::err!("starting the shared network helper: {e}"))?;
    let mut cmd = std::process::Command::new("/proc/self/exe");
    cmd.arg("__netns")
        .env(LOCK_FD_VAR, lock.as_raw_fd().to_string())
        .env(CONN_FD_VAR, theirs.as_raw_fd().to_string())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(log);
    process::pre_exec_setsid(&mut cmd);
    let mut child = cmd
        .spawn()
        .map_err(|e| crate::err!("starting the shared network helper: {e}"))?;
    drop(lock);
    drop(theirs);
    // (An exec'd helper is not handed the seed's namespaces: it makes its own.)
    drop(seeded);
    let out = OwnedFd::from(child.stdout.take().expect("piped stdout"));
    Ok(Cold {
        pid: child.id() as i32,
        out,
        ready: false,
        seeded: None,
        ns: None,
        leaves: true,
        conn: Some(conn),
    })
}

/// Whether this process has one thread (a fork then copies all of it that runs).
fn single_threaded() -> bool {
    std::fs::read_dir("/proc/self/task")
        .map(|d| d.count() == 1)
        .unwrap_or(false)
}

/// In the forked `hutch __netns`: what an exec would have given it. stdin /dev/null, stdout
/// the pipe `out`, stderr the log, the lock at fd 3 (close-on-exec), every other descriptor
/// of the starter closed (its locks and sockets are not the helper's to keep) but `keep`
/// (moved to 4, 5, ..., close-on-exec), signals as a fresh process has them, its own session.
/// Returns the lock and the kept descriptors.
fn forked_stdio(out: RawFd, log: RawFd, lock: RawFd, keep: &[RawFd]) -> (Option<OwnedFd>, Vec<OwnedFd>) {
    let first_free = 4 + keep.len() as RawFd;
    // SAFETY: raw descriptor and signal calls in a fresh single-threaded child; the fds moved
    // above the ones they are moved to first, so no dup2 overwrites one still to be moved.
    unsafe {
        let high = |fd: RawFd| libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 10 + first_free);
        let (out, log, lock) = (high(out), high(log), high(lock));
        let keep: Vec<RawFd> = keep.iter().map(|&fd| high(fd)).collect();
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC);
        if out < 0 || log < 0 || lock < 0 || null < 0 || keep.iter().any(|&fd| fd < 0) {
            libc::_exit(1);
        }
        libc::dup2(null, 0);
        libc::dup2(out, 1);
        libc::dup2(log, 2);
        libc::dup3(lock, 3, libc::O_CLOEXEC);
        for (i, &fd) in keep.iter().enumerate() {
            libc::dup3(fd, 4 + i as RawFd, libc::O_CLOEXEC);
        }
        if libc::syscall(libc::SYS_close_range, first_free as u32, u32::MAX, 0u32) != 0 {
            for fd in first_free..1024 {
                libc::close(fd);
            }
        }
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut none);
        libc::sigprocmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
        for sig in 1..32 {
            if sig != libc::SIGKILL && sig != libc::SIGSTOP && sig != libc::SIGPIPE {
                libc::signal(sig, libc::SIG_DFL);
            }
        }
        libc::setsid();
    }
    let kept = (4..first_free).map(crate::sys::fd::adopt_fd).collect();
    (Some(crate::sys::fd::adopt_fd(3)), kept)
}

/// Start pasta for the namespace of hutch-netns `pid`: it daemonizes once the namespace's
/// interface is configured. Returns its pid and start time.
fn start_pasta(pid: i32) -> Result<(i32, u64)> {
    pasta_started(spawn_pasta(pid)?)
}

fn pasta_path() -> Result<PathBuf> {
    crate::paths::find_in_path("pasta")
        .ok_or_else(|| crate::err!("networks need pasta, which is not installed (install the passt package)"))
}

/// pasta for hutch-netns `pid`'s namespace, started (`pasta_started` waits for it). It may
/// start before that user namespace is mapped: joining it gives pasta every capability there.
fn spawn_pasta(pid: i32) -> Result<std::process::Child> {
    let pasta = pasta_path()?;
    let _ = std::fs::remove_file(pasta_pid_path());
    std::process::Command::new(&pasta)
        .args(["--config-net", "--quiet", "--pid"])
        .arg(pasta_pid_path())
        .args(["--dns-forward", crate::spec::network::PASTA_DNS])
        .args(["-t", "none", "-u", "none", "-T", "none", "-U", "none"])
        // The networks are IPv4 only: no IPv6 set-up to wait for at start.
        .arg("-4")
        .args([
            "--userns",
            &format!("/proc/{pid}/ns/user"),
            "--netns",
            &format!("/proc/{pid}/ns/net"),
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| crate::err!("running {}: {e}", pasta.display()))
}

/// The shared namespace's pasta being started: at once, or, when the tests' delay point
/// `netns:pasta` is armed (`HUTCH_FAULT_DELAY=netns:pasta=MS` or `=@PATH`), from a thread
/// once the delay is over, while hutch-netns already serves: a way out that comes late.
enum PastaSpawn {
    Now(Result<std::process::Child>),
    Later(std::thread::JoinHandle<Result<std::process::Child>>),
}

impl PastaSpawn {
    fn new(pid: i32) -> PastaSpawn {
        if !crate::fault::armed("netns:pasta") {
            return PastaSpawn::Now(spawn_pasta(pid));
        }
        PastaSpawn::Later(std::thread::spawn(move || {
            if !crate::fault::pause("netns:pasta") {
                crate::bail!("pasta was not started: the delay point netns:pasta timed out");
            }
            spawn_pasta(pid)
        }))
    }

    fn child(self) -> Result<std::process::Child> {
        match self {
            PastaSpawn::Now(r) => r,
            PastaSpawn::Later(t) => t.join().unwrap_or_else(|_| Err(crate::err!("starting pasta panicked"))),
        }
    }
}

/// Wait until pasta (`spawn_pasta`) has daemonized; its daemon's pid and start time.
fn pasta_started(child: std::process::Child) -> Result<(i32, u64)> {
    let pidfile = pasta_pid_path();
    let out = child
        .wait_with_output()
        .map_err(|e| crate::err!("running pasta: {e}"))?;
    if !out.status.success() {
        crate::bail!(
            "pasta for the shared network namespace failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .filter(|l| !l.trim().is_empty() && !l.contains("syslog"))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    let ppid: i32 = std::fs::read_to_string(&pidfile)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| crate::err!("pasta wrote no pid to {}", pidfile.display()))?;
    let _ = std::fs::remove_file(&pidfile);
    Ok((ppid, process::start_time(ppid).unwrap_or(0)))
}

/// Start a container on its networks (see the module's doc).
pub fn spawn(plan: &Plan, stdio: &StdioMode) -> Result<Started> {
    let nets = &plan.networks;
    // Empty: a container disconnected from its last network starts with only lo, in the
    // shared namespace (`network connect` gives it an interface), as Podman's does.
    // Host sockets for the published ports, bound before anything starts (a port in use is
    // refused now); hutch-netns forwards them.
    let ports = bind_published(plan)?;
    crate::output::trace("shared network: ports bound");
    let (conn, pid, mut cold) = ensure_for_spawn()?;
    crate::output::trace("shared network: connected");
    let userns = if plan.new_userns {
        Some(match cold.as_ref().and_then(|c| c.ns.as_ref()) {
            // The seed's, which hutch-netns may not have entered yet.
            Some((user, _)) => user
                .try_clone()
                .map_err(|e| crate::err!("opening the shared network namespace's user namespace: {e}"))?,
            None => crate::sys::ns::open(pid, "user")
                .map_err(|e| crate::err!("opening the shared network namespace's user namespace: {e}"))?,
        })
    } else {
        None
    };
    // A pod's namespaces can be joined only from the pod's user namespace: its infra must be
    // on a shared network too.
    if let (Some(u), Some(pod)) = (&userns, super::pod_userns(plan)) {
        let infra = nix::fcntl::open(
            pod,
            nix::fcntl::OFlag::O_RDONLY | nix::fcntl::OFlag::O_CLOEXEC,
            nix::sys::stat::Mode::empty(),
        )
        .ok();
        if !infra.is_some_and(|i| crate::sys::ns::same_ns(&i, u)) {
            crate::bail!(
                "--network {}: the pod's infra container is not on a shared network, whose user namespace a member on one must share with it (create the pod with --network {})",
                plan.spec.network,
                plan.spec.network
            );
        }
    }
    let req = serde_json::json!({
        "op": "attach",
        "id": plan.id,
        "name": plan.container_name,
        "aliases": plan.spec.network_aliases,
        "networks": nets,
        "ip": plan.spec.static_ip,
        "ports": ports.iter().map(|(_, c, p)| serde_json::json!({"port": c, "proto": p})).collect::<Vec<_>>(),
    });
    let vanished = format!(
        "--network {}: the helper that joins the shared network namespace exited without starting the container",
        plan.spec.network
    );
    let started = exec::via_helper(
        |sync| match join_main(plan, sync, stdio, userns, &conn, &req, &ports, cold.as_mut(), pid) {},
        true,
        "the container",
        &vanished,
    )?;
    drop(ports);
    drop(cold);
    // The connection stays open as long as the container runs (`Started::shared`, closed by
    // its monitor or the foreground `run` before the exit is recorded): hutch-netns forgets
    // the container when it closes.
    let mut started = started;
    started.shared = Some(conn);
    Ok(started)
}

/// Bind the published ports; a port still held by hutch-netns for a container that has just
/// stopped (its connection closed, not yet seen) is asked for once (`settle`) and tried again.
fn bind_published(plan: &Plan) -> Result<Vec<(OwnedFd, u16, Protocol)>> {
    let bind = || -> Result<Vec<(OwnedFd, u16, Protocol)>> {
        let mut ports: Vec<(OwnedFd, u16, Protocol)> = Vec::new();
        for (l, ctr) in super::net::bind_ports(&plan.spec.ports, true)? {
            ports.push((OwnedFd::from(l), ctr, Protocol::Tcp));
        }
        for p in plan.spec.ports.iter().filter(|p| p.protocol == Protocol::Udp) {
            for (h, c) in p.pairs() {
                ports.push((OwnedFd::from(bind_udp(p, h)?), c, Protocol::Udp));
            }
        }
        Ok(ports)
    };
    match bind() {
        Err(e) if e.message.contains("is already in use") => {
            let Ok(conn) = connect_sock() else { return Err(e) };
            request(&conn, &serde_json::json!({"op": "settle"}), &[])?;
            drop(conn);
            bind()
        }
        r => r,
    }
}

fn bind_udp(p: &PortMapping, host: u16) -> Result<UdpSocket> {
    let ip: std::net::IpAddr = if p.host_ip.is_empty() {
        Ipv4Addr::UNSPECIFIED.into()
    } else {
        p.host_ip
            .parse()
            .map_err(|_| crate::err!("-p {}: bad address", p.display()))?
    };
    UdpSocket::bind(SocketAddr::new(ip, host)).map_err(|e| {
        let why = if e.kind() == std::io::ErrorKind::AddrInUse {
            "is already in use".to_string()
        } else {
            format!("cannot be bound: {e}")
        };
        let low = if host < 1024 && e.kind() == std::io::ErrorKind::PermissionDenied {
            " (ports below 1024 need `sysctl net.ipv4.ip_unprivileged_port_start`)"
        } else {
            ""
        };
        crate::err!("-p {}: host port {ip}:{host}/udp {why}{low}", p.display())
    })
}

/// The helper: into the shared user namespace, a new network namespace, its interfaces from
/// hutch-netns, /etc/hosts with the container's address, then the container process.
fn join_main(
    plan: &Plan,
    sync: Channel,
    stdio: &StdioMode,
    userns: Option<OwnedFd>,
    conn: &OwnedFd,
    req: &serde_json::Value,
    ports: &[(OwnedFd, u16, Protocol)],
    cold: Option<&mut Cold>,
    shared_pid: i32,
) -> child::Never {
    use nix::sched::CloneFlags;
    let what = format!("--network {}", plan.spec.network);
    fn fail_on(sync: &Channel, msg: String) -> ! {
        sync.send_error(125, &msg);
        process::exit_now(1)
    }
    let fail = |msg: String| -> ! { fail_on(&sync, msg) };
    if let Some(u) = &userns {
        if let Err(e) = nix::sched::setns(u, CloneFlags::CLONE_NEWUSER) {
            fail(format!(
                "{what}: entering the shared network namespace's user namespace: {}",
                e.desc()
            ));
        }
    }
    drop(userns);
    // A namespace this start brings up: its routing table watched from inside (this process
    // may enter it now, from its user namespace), to go on once pasta has configured it.
    let mut watch = cold
        .as_ref()
        .and_then(|c| shared_route_watch(c.ns.as_ref().map(|n| &n.1), shared_pid));
    // A member of a pod that does not share its network: the pod's ipc, uts and pid.
    let flags = match super::join_pod_namespaces(plan) {
        Ok(f) => f,
        Err(m) => fail(m),
    };
    // A container mapped otherwise (keep-id, --uidmap, --userns auto): a user namespace of its
    // own inside the shared one, which its network namespace then belongs to.
    if let Some(map) = own_id_map(plan) {
        // Its root file system: mounted here, where every store id is itself.
        if plan.rootfs_from_store() {
            if let Err(m) = super::rootfs::mount_in_store_frame(plan) {
                fail(format!("{what}: {m}"));
            }
        }
        if let Err(e) = super::userns::unshare_nested(&plan.mapping, &map) {
            fail(format!("{what}: {}", e.message));
        }
    }
    if let Err(e) = nix::sched::unshare(CloneFlags::CLONE_NEWNET) {
        fail(format!(
            "{what}: creating the container's network namespace: {}",
            e.desc()
        ));
    }
    let netns = match crate::sys::ns::open("thread-self", "net") {
        Ok(f) => f,
        Err(e) => fail(format!(
            "{what}: opening the container's network namespace: {}",
            e.desc()
        )),
    };
    let mut fds = vec![netns.as_raw_fd()];
    fds.extend(ports.iter().map(|(f, _, _)| f.as_raw_fd()));
    // The attach now: hutch-netns makes the veths while the container is cloned.
    if let Err(e) = ask(conn, req, &fds) {
        fail(format!("{what}: {}", e.message));
    }
    crate::output::trace("shared network: attach asked");
    // The container now: it sets itself up (mounts, pivot) while hutch-netns attaches it, and
    // waits at its gate (`child::NET_GATE`) for this helper's go just before its exec.
    let (gate, child_gate) = match Channel::pair() {
        Ok(p) => p,
        Err(e) => fail(format!("{what}: {}", e.message)),
    };
    let gate_fd = gate.as_fd().as_raw_fd();
    let _ = child::NET_GATE.set(child_gate);
    let sync = exec::clone_sibling(sync, flags, "creating the container's namespaces", |sync| {
        // The helper's end only: closed (the helper failed or was killed), it ends the container.
        let _ = nix::unistd::close(gate_fd);
        child::main(plan, sync, stdio, None)
    });
    let reply = match answer(conn) {
        Ok(r) => r,
        Err(e) => fail_on(&sync, format!("{what}: {}", e.message)),
    };
    crate::output::trace("shared network: attached (veths, addresses, routes)");
    drop(netns);
    let ips: Vec<&str> = reply
        .get("ips")
        .and_then(|v| v.as_array())
        .map(|v| v.iter().filter_map(|x| x.as_str()).collect())
        .unwrap_or_default();
    if !ips.is_empty() {
        let hosts = plan.container_dir.join("userdata/hosts");
        if let Ok(text) = std::fs::read_to_string(&hosts) {
            let _ = std::fs::write(&hosts, own_addresses(&text, &plan.spec.hostname, &ips));
        }
        let _ = std::fs::write(plan.container_dir.join("userdata/networks.json"), reply.to_string());
    }
    crate::output::trace("shared network: /etc/hosts written");
    // A namespace this start brought up: the command runs at once when hutch-netns holds
    // its packets to the outside until the way out is up (see `Hold`), else once pasta has
    // configured the namespace.
    if let Some(c) = cold {
        match reply.get("way_out").and_then(|w| w.as_str()) {
            Some("held") => crate::output::trace("shared network: its outgoing packets held until its pasta is up"),
            Some("up") => crate::output::trace("shared network: its pasta is up"),
            _ => {
                if let Err(e) = c.wait_usable(watch.as_mut()) {
                    fail_on(&sync, format!("{what}: {}", e.message));
                }
                crate::output::trace("shared network: its pasta has configured it");
            }
        }
    }
    drop(watch);
    gate.go();
    process::exit_now(0)
}

/// A watch of the default route in hutch-netns's (`pid`) network namespace (`netns`, when the
/// starter has it): this process enters it (it is in its user namespace) and opens the watch's
/// socket there; None when it cannot (the caller then waits for pasta to be ready).
fn shared_route_watch(netns: Option<&OwnedFd>, pid: i32) -> Option<crate::sys::route::RouteWatch> {
    let opened;
    let ns = match netns {
        Some(ns) => ns,
        None => {
            opened = crate::sys::ns::open(pid, "net").ok()?;
            &opened
        }
    };
    nix::sched::setns(ns, nix::sched::CloneFlags::CLONE_NEWNET).ok()?;
    crate::sys::route::RouteWatch::open(crate::sys::route::Want { v4: true, v6: false }).ok()
}

/// The container's own id map (host ids), when it is not the shared namespace's (the default
/// stacked map): keep-id, --uidmap/--gidmap, --userns auto.
fn own_id_map(plan: &Plan) -> Option<(Vec<(u64, u64, u64)>, Vec<(u64, u64, u64)>)> {
    if !plan.new_userns {
        return None;
    }
    match &plan.id_map {
        Some(m) => Some(m.clone()),
        None if plan.spec.userns == crate::spec::UsernsMode::KeepId => {
            Some(super::userns::map_triples(&plan.mapping, true))
        }
        None => None,
    }
}

/// /etc/hosts with the container's own lines (those naming its host name after the localhost
/// lines: a base file's lines come before those and stay) one per address in `ips`, as Podman
/// writes them, in their place; 127.0.1.1 when there is none.
pub fn own_addresses(hosts: &str, hostname: &str, ips: &[&str]) -> String {
    let ips = if ips.is_empty() { &["127.0.1.1"][..] } else { ips };
    let mut out = String::new();
    let second = |l: &str| l.split_whitespace().nth(1).map(String::from);
    let ours_from = hosts
        .lines()
        .collect::<Vec<_>>()
        .iter()
        .rposition(|l| !l.starts_with('#') && second(l).as_deref() == Some("localhost"))
        .map_or(0, |i| i + 1);
    let mut done = false;
    for (n, l) in hosts.lines().enumerate() {
        let mut f = l.split_whitespace();
        let addr = f.next();
        if n >= ours_from && addr.is_some() && !l.starts_with('#') && f.next() == Some(hostname) {
            // The first of them becomes the lines of `ips`; the others go.
            if !done {
                let names = l
                    .split_once(char::is_whitespace)
                    .map(|x| x.1.trim_start())
                    .unwrap_or("");
                for ip in ips {
                    out.push_str(&format!("{ip}\t{names}\n"));
                }
            }
            done = true;
        } else {
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

/// `network connect` of a running container (`pid` its process); hutch-netns's reply (its
/// `ips` and `macs` on the network).
pub fn connect_running(
    rec: &crate::store::containers::ContainerRecord,
    pid: i32,
    net: &Network,
    aliases: &[String],
) -> Result<serde_json::Value> {
    let netns = crate::sys::ns::open(pid, "net")
        .map_err(|e| crate::err!("container {}: opening its network namespace: {e}", rec.name))?;
    let (conn, _, cold) = ensure()?;
    if let Some(mut c) = cold {
        c.wait()?;
    }
    let reply = request(
        &conn,
        &serde_json::json!({
            "op": "connect", "id": rec.id, "name": rec.name, "aliases": aliases,
            "networks": [net], "pid": pid,
        }),
        &[netns.as_raw_fd()],
    )
    .map_err(|e| crate::err!("network connect {} {}: {}", net.name, rec.name, e.message))?;
    Ok(reply)
}

/// `network disconnect` of a running container (`pid` its process: hutch-netns gives it a
/// default route through another network when the one that carried it goes).
pub fn disconnect_running(
    rec: &crate::store::containers::ContainerRecord,
    pid: Option<i32>,
    net: &Network,
) -> Result<()> {
    let Ok(conn) = connect_sock() else {
        // No shared namespace: nothing is attached anywhere.
        return Ok(());
    };
    let netns = pid.and_then(|p| crate::sys::ns::open(p, "net").ok());
    let fds: Vec<RawFd> = netns.iter().map(|f| f.as_raw_fd()).collect();
    match request(
        &conn,
        &serde_json::json!({"op": "disconnect", "id": rec.id, "network": net.name}),
        &fds,
    ) {
        // Its record says it is (the caller checked): a disconnect killed after this step and
        // before it saved the record. Only the record is left to change.
        Err(e) if e.message.contains("is not attached to network") => Ok(()),
        Err(e) => Err(crate::err!(
            "network disconnect {} {}: {}",
            net.name,
            rec.name,
            e.message
        )),
        Ok(_) => Ok(()),
    }
}

/// `network reload` of a running container on networks: its networks' firewall rules and its
/// published ports' reply rules made again in the shared namespace.
pub fn reload_running(rec: &crate::store::containers::ContainerRecord) -> Result<()> {
    let conn = connect_sock().map_err(|_| {
        crate::err!(
            "container {}: the shared network namespace is not running (its network is gone: restart the container)",
            rec.name
        )
    })?;
    request(&conn, &serde_json::json!({"op": "reload", "id": rec.id}), &[])
        .map_err(|e| crate::err!("network reload {}: {}", rec.name, e.message))?;
    Ok(())
}

/// A network's firewall rules, appended to the shared namespace's `filter` FORWARD chain
/// (whose policy is DROP: each bridge's own traffic passes, and, unless it is internal, its
/// traffic to and from the way out) and `nat` POSTROUTING (its subnet masqueraded behind
/// pasta's address): (table, chain, matches, target), in iptables-nft's order of matches.
fn forward_spec(net: &Network) -> Vec<(&'static str, &'static str, Vec<Match>, Target)> {
    let br = || net.network_interface.clone();
    let ours = || "podman+".to_string();
    let mut v = vec![(
        "filter",
        "FORWARD",
        vec![Match::InIf(br(), false), Match::OutIf(br(), false)],
        Target::Accept,
    )];
    if !net.internal {
        let cidr = net.cidr();
        v.push((
            "filter",
            "FORWARD",
            vec![Match::InIf(br(), false), Match::OutIf(ours(), true)],
            Target::Accept,
        ));
        v.push((
            "filter",
            "FORWARD",
            vec![Match::InIf(ours(), true), Match::OutIf(br(), false)],
            Target::Accept,
        ));
        v.push((
            "nat",
            "POSTROUTING",
            vec![Match::OutIf(br(), true), Match::Source(cidr.addr, cidr.prefix)],
            Target::Masquerade,
        ));
        // TCP to the host's loopback: to hutch-netns's forwarder (once it listens).
        if let Some((gw, port)) = HOST_LOOPBACK.get() {
            v.push((
                "nat",
                "PREROUTING",
                vec![Match::InIf(br(), false), Match::Dest(*gw, 32), Match::Proto(6)],
                Target::Redirect(*port),
            ));
        }
    }
    v
}

/// `forward_spec` as iptables-restore lines: (filter's, nat's).
fn forward_rules(net: &Network) -> (String, String) {
    let (mut filter, mut nat) = (String::new(), String::new());
    for (table, chain, matches, target) in forward_spec(net) {
        let mut line = format!("-A {chain}");
        for m in matches {
            let (opt, arg, neg) = match m {
                Match::InIf(n, neg) => ("-i", n, neg),
                Match::OutIf(n, neg) => ("-o", n, neg),
                Match::Source(a, p) => ("-s", format!("{a}/{p}"), false),
                Match::Dest(a, p) => ("-d", format!("{a}/{p}"), false),
                Match::NotDest(a, p) => ("-d", format!("{a}/{p}"), true),
                Match::Proto(p) => ("-p", if p == 6 { "tcp".into() } else { p.to_string() }, false),
                Match::SPort(p) => ("--sport", p.to_string(), false),
            };
            line.push_str(&format!(" {}{opt} {arg}", if neg { "! " } else { "" }));
        }
        line.push_str(&match target {
            Target::Accept => " -j ACCEPT\n".to_string(),
            Target::Masquerade => " -j MASQUERADE\n".to_string(),
            Target::Redirect(port) => format!(" -j REDIRECT --to-ports {port}\n"),
            Target::Queue(num) => format!(" -j NFQUEUE --queue-num {num} --queue-bypass\n"),
        });
        if table == "nat" {
            nat.push_str(&line)
        } else {
            filter.push_str(&line)
        }
    }
    (filter, nat)
}

/// `forward_spec` as one nf_tables batch (the tables and base chains made if missing, FORWARD's
/// policy DROP), as `iptables-restore --noflush` with `:FORWARD DROP` would make them.
fn forward_batch(net: &Network) -> crate::sys::nft::Batch {
    use crate::sys::nft::{Batch, Hook};
    let mut b = Batch::new();
    b.table("filter")
        .base_chain("filter", "FORWARD", Hook::Forward, false)
        .table("nat")
        .base_chain("nat", "POSTROUTING", Hook::PostRouting, true);
    let spec = forward_spec(net);
    if spec.iter().any(|(_, chain, _, _)| *chain == "PREROUTING") {
        b.base_chain("nat", "PREROUTING", Hook::PreRouting, true);
    }
    for (table, chain, matches, target) in spec {
        b.rule(table, chain, &matches, target);
    }
    b
}

// ---- `hutch __netns`: set up, start pasta, leave hutch-netns running ----

/// Entry of `hutch __netns` exec'd (by `ensure`, which hands it the starters' lock).
pub fn exec_main() -> i32 {
    let lock = std::env::var(LOCK_FD_VAR)
        .ok()
        .and_then(|v| v.parse::<RawFd>().ok())
        .map(crate::sys::fd::adopt_fd);
    let first = std::env::var(CONN_FD_VAR)
        .ok()
        .and_then(|v| v.parse::<RawFd>().ok())
        .map(crate::sys::fd::adopt_fd);
    // Not for pasta, nor anything else this runs.
    for fd in lock.iter().chain(first.iter()) {
        let _ = nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC));
    }
    netns_main(lock, None, true, first)
}

/// `hutch __netns`, exec'd or forked (`start_shared`), holding the starters' `lock`; `ns`: the
/// user and network namespaces (mapped, or being mapped by the starter) hutch-netns is to
/// enter, else it makes its own. `leave`: fork, the parent exiting at once (its starter reaps
/// it now, not when pasta is up); else the starter reaps it without waiting for it (`Cold`).
fn netns_main(lock: Option<OwnedFd>, ns: Option<(OwnedFd, OwnedFd)>, leave: bool, first: Option<OwnedFd>) -> i32 {
    // One connection per attached container stays open (it detaches the container when it
    // closes), so the soft limit on descriptors (1024 by default) would stop accepting at a few
    // hundred containers: raise it to the hard limit, as Podman does for itself.
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        if soft < hard {
            let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
        }
    }
    if leave {
        match process::fork() {
            Ok(Some(_)) => process::exit_now(0),
            Ok(None) => {}
            Err(e) => {
                eprintln!("fork: {e}");
                return 1;
            }
        }
    }
    match setup(lock, ns, first) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{}", e.message);
            1
        }
    }
}

/// `first`: the starter's connection (`start_shared`), served as if accepted.
fn setup(lock: Option<OwnedFd>, ns: Option<(OwnedFd, OwnedFd)>, first: Option<OwnedFd>) -> Result<()> {
    crate::output::trace("hutch __netns: setting up");
    let path = sock_path();
    let _ = std::fs::remove_file(&path);
    let listener = seqpacket()?;
    sock::bind(
        listener.as_raw_fd(),
        &sock::UnixAddr::new(&path).map_err(|e| crate::err!("{e}"))?,
    )
    .map_err(|e| crate::err!("binding {}: {e}", path.display()))?;
    sock::listen(&listener, sock::Backlog::new(1024).unwrap_or(sock::Backlog::MAXCONN))
        .map_err(|e| crate::err!("listening on {}: {e}", path.display()))?;
    // DNS questions the networks' responder does not answer go to the host's resolver from
    // the host's side, so a loopback one (127.0.0.53) works too.
    let upstream = UdpSocket::bind("0.0.0.0:0").ctx(|| "binding the DNS forwarder's socket")?;
    let iptables = tool("iptables-restore")?;
    let mapping = super::userns::plan();
    let (parent, child_end) = Channel::pair()?;
    let host_lo = host_loopback_pair();
    // pasta, the namespace's way out, is started by hutch-netns-lo when hutch-netns first
    // needs it (`Keeper::want_pasta`): a container that never sends a packet out costs no
    // pasta, nor does its start wait behind pasta's own (tens of milliseconds of CPU). Without
    // hutch-netns-lo (no default route on the host), `hutch __netns` starts it now.
    let lazy = host_lo.is_some();
    if lazy {
        pasta_path()?;
    }
    crate::output::trace("hutch __netns: listening");
    // Its user namespace only: it makes its network namespace itself (the kernel's set-up of a
    // network namespace takes milliseconds) while its maps are written here. Or, given the
    // seed's namespaces (`ns`), it enters them.
    let flags = if ns.is_some() {
        0
    } else {
        libc::CLONE_NEWUSER as libc::c_ulong
    };
    let forked = process::clone3(flags).map_err(|e| crate::err!("creating the shared network namespace: {e}"))?;
    let k = match forked {
        process::Forked::Child => {
            drop(parent);
            // The starters' lock stays with `hutch __netns` alone.
            drop(lock);
            let seeded = ns.is_some();
            if let Some((user, net)) = ns {
                enter_seeded(&user, &net);
                // "Entered": /proc/PID/ns/net is the namespace to start pasta in.
                child_end.go();
            } else {
                // All capabilities in its new user namespace, mapped or not yet.
                if let Err(e) = nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET) {
                    child_end_error(&format!("creating the shared network namespace: {e}"));
                    process::exit_now(1);
                }
                // "Made": /proc/PID/ns/net is the namespace to attach to and start pasta in.
                child_end.go();
                if !child_end.wait_go() {
                    process::exit_now(1);
                }
            }
            process::set_name("hutch-netns");
            let _ = nix::unistd::setsid();
            // Not the starter's pipe: it sees its end when `hutch __netns` exits.
            if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
                let _ = nix::unistd::dup2_stdout(&null);
            }
            // Its maps are written and its network namespace exists: starters may attach now
            // (their requests wait in the socket's queue while it sets itself up), and pasta
            // may start. (In the seed's: once it is set up and the maps are there, below.)
            if !seeded {
                child_end.go();
            }
            let host_side = host_lo.map(|(maker, theirs, gw)| {
                drop(theirs);
                let maker = host_side_told(maker);
                host_loopback_serve(maker.clone(), gw);
                maker
            });
            let set_up = Keeper::new(listener, upstream, iptables, host_side).and_then(|mut k| {
                k.conns.extend(first);
                if seeded {
                    seed_mapped()?;
                    child_end.go();
                }
                Ok(k)
            });
            drop(child_end);
            match set_up.and_then(|k| k.serve()) {
                Ok(()) => process::exit_now(0),
                Err(e) => {
                    child_end_error(&e.message);
                    process::exit_now(1)
                }
            }
        }
        process::Forked::Parent(c) => c,
    };
    drop(child_end);
    drop(listener);
    drop(first);
    let kill = |e: crate::error::Error| {
        let _ = process::pidfd_send_signal(&k.pidfd, nix::sys::signal::Signal::SIGKILL);
        let _ = nix::sys::wait::waitpid(k.pid, None);
        let _ = std::fs::remove_file(sock_path());
        e
    };
    if let Some((ours, theirs, _)) = host_lo {
        drop(ours);
        if !fork_host_side(theirs) {
            return Err(kill(crate::err!("starting hutch-netns-lo: fork failed")));
        }
    }
    crate::output::trace("hutch-netns cloned");
    if ns.is_some() {
        // Up at once: the starter attaches its container once the maps it waits for are
        // written (its request queued until hutch-netns serves), pasta starts meanwhile, as
        // soon as hutch-netns has entered its namespaces (pasta cannot open them by our
        // descriptors' /proc paths).
        say(&format!("pid {}\nup\n", k.pid.as_raw()));
        if !parent.wait_go() {
            return Err(kill(crate::err!("the shared network namespace could not be entered")));
        }
        let k_start = process::start_time(k.pid.as_raw()).unwrap_or(0);
        let (ppid, pstart) = if lazy {
            (0, 0)
        } else {
            PastaSpawn::new(k.pid.as_raw())
                .child()
                .and_then(pasta_started)
                .map_err(kill)?
        };
        return recorded(&parent, (k.pid.as_raw(), k_start), (ppid, pstart), lock, &kill);
    }
    // Its maps (newuidmap and newgidmap run) while it makes its network namespace; then pasta
    // starts in that namespace while the maps are finished.
    let maps = if mapping.needs_userns() {
        super::userns::begin_maps(k.pid.as_raw(), &mapping, false).map_err(kill)?
    } else {
        Vec::new()
    };
    let made = parent.wait_go();
    crate::output::trace("hutch-netns's network namespace made");
    let pasta = if made && !lazy {
        Some(PastaSpawn::new(k.pid.as_raw()))
    } else {
        None
    };
    let mapped = super::userns::wait_newidmap(maps);
    crate::output::trace("hutch-netns's maps written");
    // pasta, if it started, is waited for on every way out: its daemon is then known (killed
    // on failure with hutch-netns, or kept).
    let pasta_up = |pasta: Option<PastaSpawn>| pasta.map(|p| p.child().and_then(pasta_started));
    let fail = |e: crate::error::Error, pasta: Option<PastaSpawn>| {
        if let Some(Ok((ppid, _))) = pasta_up(pasta) {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(ppid), nix::sys::signal::Signal::SIGKILL);
        }
        kill(e)
    };
    if !made {
        return Err(fail(
            crate::err!("the shared network namespace could not be made"),
            pasta,
        ));
    }
    if let Err(e) = mapped {
        return Err(fail(e, pasta));
    }
    parent.go();
    let k_start = process::start_time(k.pid.as_raw()).unwrap_or(0);
    // Its namespaces exist and are mapped: the starter attaches its container (its request
    // waits in the socket's queue until hutch-netns serves) while pasta starts (see `Cold`),
    // neither waiting for hutch-netns to be scheduled first.
    say(&format!("pid {}\nup\n", k.pid.as_raw()));
    let (ppid, pstart) = match pasta_up(pasta) {
        Some(Ok(p)) => p,
        Some(Err(e)) => return Err(kill(e)),
        None if lazy => (0, 0),
        None => return Err(kill(crate::err!("pasta did not start"))),
    };
    recorded(&parent, (k.pid.as_raw(), k_start), (ppid, pstart), lock, &kill)
}

/// Once hutch-netns (`netns`: pid and start time) says it is set up and its pasta (`pasta`)
/// runs: the state written, hutch-netns told, "ready", the starters' lock released. Else
/// both are killed.
fn recorded(
    parent: &Channel,
    netns: (i32, u64),
    pasta: (i32, u64),
    lock: Option<OwnedFd>,
    kill: &dyn Fn(crate::error::Error) -> crate::error::Error,
) -> Result<()> {
    let (ppid, pstart) = pasta;
    if !parent.wait_go() {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(ppid), nix::sys::signal::Signal::SIGKILL);
        return Err(kill(crate::err!("the shared network namespace could not be set up")));
    }
    let st = SharedState {
        pid: netns.0,
        start_time: netns.1,
        pasta_pid: ppid,
        pasta_start_time: pstart,
    };
    crate::fault::pause("netns:before-state");
    if let Err(e) = write_state(&st) {
        // (Its runtime directory removed meanwhile, say: hutch-netns may already have gone
        // without knowing this pasta.)
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(ppid), nix::sys::signal::Signal::SIGKILL);
        return Err(kill(e));
    }
    // (With no pasta yet, there is nothing to tell: hutch-netns starts its own, `want_pasta`.)
    if ppid != 0 {
        tell_state(None, &st);
    }
    say("ready\n");
    drop(lock);
    Ok(())
}

/// In hutch-netns, first: into the seed's user namespace and its network namespace (`setup`
/// with `ns`), made and being mapped by the starter; it has every capability there, mapped or
/// not yet. A failure ends it (its starter's attach then fails, `hutch __netns` says why).
fn enter_seeded(user: &OwnedFd, net: &OwnedFd) {
    use nix::sched::CloneFlags;
    let entered = nix::sched::setns(user, CloneFlags::CLONE_NEWUSER)
        .and_then(|()| nix::sched::setns(net, CloneFlags::CLONE_NEWNET));
    if let Err(e) = entered {
        child_end_error(&format!("entering the shared network namespace: {e}"));
        process::exit_now(1);
    }
}

/// In hutch-netns, in the seed's user namespace: wait until its maps are written (by its
/// starter's newuidmap and newgidmap; that starter attaches nothing before), so that a
/// namespace never mapped (its starter killed before the maps were written, say) is never
/// recorded: `hutch __netns` then fails, and the next start makes a new one.
fn seed_mapped() -> Result<()> {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let mapped = ["/proc/self/uid_map", "/proc/self/gid_map"]
            .iter()
            .all(|m| std::fs::read_to_string(m).is_ok_and(|t| !t.trim().is_empty()));
        if mapped {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            crate::bail!("the shared network namespace's user namespace was never mapped");
        }
        std::thread::sleep(Duration::from_micros(500));
    }
}

/// Tell hutch-netns who its pasta is (on `conn`, else on a connection of its own).
fn tell_state(conn: Option<&OwnedFd>, st: &SharedState) {
    let own = match conn {
        Some(_) => None,
        None => connect_sock().ok(),
    };
    if let Some(c) = conn.or(own.as_ref()) {
        let _ = request(c, &serde_json::json!({"op": "state", "state": st}), &[]);
    }
}

/// A line to the starter (`Cold`), on stdout.
fn say(what: &str) {
    // Straight to fd 1: a forked helper's std stdout may hold its starter's unwritten output.
    let _ = nix::unistd::write(std::io::stdout(), what.as_bytes());
}

fn child_end_error(msg: &str) {
    eprintln!("hutch-netns: {msg}");
}

// ---- hutch-netns ----

struct Link {
    net: String,
    veth: String,
    ifname: String,
    ip: Ipv4Addr,
    mac: String,
}

/// One attachment: a container's interfaces, names and ports, alive while its connection is
/// open (or, from `network connect`, while its process lives).
struct Entry {
    id: String,
    name: String,
    aliases: Vec<String>,
    links: Vec<Link>,
    conn: Option<RawFd>,
    pidfd: Option<OwnedFd>,
    stop: Arc<AtomicBool>,
    port_fds: Vec<Arc<OwnedFd>>,
    /// Its published ports' forwarders (each holds its host socket until it returns).
    forwarders: Vec<std::thread::JoinHandle<()>>,
    /// The policy rules sending its published ports' replies to hutch-netns (bridge, address,
    /// protocol, port), removed when it goes (bridge "": parked while the container is on no
    /// network, `retarget`).
    rules: Vec<(String, Ipv4Addr, u8, u16)>,
    /// The address its published ports are forwarded to (`PortTarget`).
    target: Arc<AtomicU32>,
}

/// The routing table whose default route is local, and the priority of the rules using it:
/// the replies of a container's published port go to hutch-netns's transparent sockets.
const REPLY_TABLE: u32 = 2000;

/// The MTU of the bridges and veths: pasta's own (its tap device's, 65520). With Ethernet's
/// 1500, Debian 12's pasta (2023-03) collapses under a stream of 1460-byte segments
/// (container -> host loopback measured 0.06 Gbit/s with thousands of retransmissions; the
/// same pasta carries 2-3 Gbit/s of large segments), and fewer, larger packets cost less on
/// the bridge too. Only the namespace sees it: what leaves goes through pasta's sockets.
const LINK_MTU: u32 = 65520;
const REPLY_RULE_PRIO: u32 = 1000;

struct Bridge {
    net: Network,
    dns: Option<UdpSocket>,
}

struct Pending {
    id: u16,
    client: SocketAddr,
    bridge: String,
    at: std::time::Instant,
}

struct Keeper {
    listener: OwnedFd,
    upstream: UdpSocket,
    resolver: Option<SocketAddr>,
    /// iptables-restore (`network reload`, and where nf_tables over netlink failed).
    iptables: PathBuf,
    /// nf_tables over netlink, in this namespace: a new bridge's rules, in-process.
    nft: Option<crate::sys::nft::Nft>,
    /// rtnetlink in this namespace, and the namespace itself (to come back to after
    /// configuring a container's).
    nl: crate::sys::route::Netlink,
    home: OwnedFd,
    conns: Vec<OwnedFd>,
    entries: Vec<Entry>,
    bridges: BTreeMap<String, Bridge>,
    /// iptables-restore runs still setting a new bridge's rules (`settle_rules`).
    rules_pending: BTreeMap<String, std::process::Child>,
    pending: BTreeMap<u16, Pending>,
    next_txid: u16,
    /// The state `hutch __netns` wrote (this process's pid and its pasta's), as last read:
    /// its pasta is still known when the file is gone.
    state: Option<SharedState>,
    /// The address each network gave last (`free_ip`).
    last_ip: BTreeMap<String, Ipv4Addr>,
    /// Whether the namespace's way out (pasta) is up, and its containers' outgoing packets
    /// held meanwhile (`Hold`).
    way_out: WayOut,
    /// The queue of a hold just ended, still read for a moment (`Hold::end`).
    lingering: Option<(crate::sys::nfqueue::Queue, std::time::Instant)>,
    /// hutch-netns-lo's end (shared with the loopback relays), which starts pasta for it.
    host_side: Option<Arc<std::sync::Mutex<OwnedFd>>>,
    /// This namespace's pasta, as far as this process starts it.
    pasta: Pasta,
}

/// The shared namespace's pasta, which hutch-netns has hutch-netns-lo start (`want_pasta`)
/// when the first packet to the outside is held (or at once, when nothing can be held).
enum Pasta {
    /// Not started: no container has sent anything out yet.
    Idle,
    /// Being started by a thread, whose result comes on the channel (and a byte on the pipe,
    /// which `serve` polls).
    Starting(
        std::sync::mpsc::Receiver<std::result::Result<(i32, u64), String>>,
        OwnedFd,
    ),
    /// Started: by this process, or by `hutch __netns` (there is no hutch-netns-lo), or by a
    /// starter replacing a dead one.
    Started,
}

/// The nfnetlink queue (of the shared namespace, so any number) a cold namespace's
/// containers' outgoing packets wait in.
const HOLD_QUEUE: u16 = 4711;

/// Whether the shared namespace's way out is up.
enum WayOut {
    /// Not yet: its containers' packets to the outside are held (the container need not
    /// wait for pasta).
    Held(Hold),
    /// Up: pasta's default route is there (or pasta said it is ready).
    Up,
    /// Not known here: a cold start's container waits for pasta itself, as before the hold
    /// (`HUTCH_NET_HOLD=0`, or the queue could not be set up).
    Unknown,
}

/// A cold shared namespace's containers' packets to the outside, held in the kernel until its
/// pasta has configured the way out, so that a container can run before then without its
/// first packets failing (no route yet) or being lost: a rule in the `raw` table's
/// PREROUTING (before connection tracking, NAT and routing decide anything) sends packets
/// from each bridge to anything outside its own subnet to an nfnetlink queue
/// (`NFQUEUE --queue-bypass`: with no listener they would go on as before). Once pasta's
/// default route appears the rule goes and every queued packet is let go on: from the next
/// hook, as if it had just arrived (tracked, masqueraded, routed through pasta). hutch-netns's
/// own DNS forwarder needs no hold: its upstream socket is in the host's network namespace.
struct Hold {
    queue: crate::sys::nfqueue::Queue,
    /// Routes in the shared namespace: pasta's default route ends the hold.
    watch: crate::sys::route::RouteWatch,
    /// The networks whose bridges' packets are held.
    networks: std::collections::BTreeSet<String>,
}

impl Hold {
    /// Begin holding in a fresh namespace (hutch-netns, before its first bridge), unless
    /// `HUTCH_NET_HOLD=0` or what it needs is missing (`in_process`: nf_tables over netlink);
    /// the trace says which.
    fn begin(in_process: bool) -> WayOut {
        let why = if std::env::var("HUTCH_NET_HOLD").as_deref() == Ok("0") {
            "HUTCH_NET_HOLD=0".to_string()
        } else if !in_process {
            "no in-process firewall rules".to_string()
        } else {
            let want = crate::sys::route::Want { v4: true, v6: false };
            match (
                crate::sys::route::RouteWatch::open(want),
                crate::sys::nfqueue::Queue::bind(HOLD_QUEUE),
            ) {
                (Ok(mut watch), Ok(queue)) => {
                    if watch.read().unwrap_or(false) {
                        return WayOut::Up;
                    }
                    crate::output::trace("outgoing packets held until pasta is up (nfnetlink queue)");
                    return WayOut::Held(Hold {
                        queue,
                        watch,
                        networks: Default::default(),
                    });
                }
                (Err(e), _) => format!("watching the routes: {e}"),
                (_, Err(e)) => format!("binding nfnetlink queue {HOLD_QUEUE}: {e}"),
            }
        };
        crate::output::trace(&format!(
            "outgoing packets not held ({why}): a cold start's container waits for pasta"
        ));
        WayOut::Unknown
    }

    /// The rule holding network `net`'s packets to the outside (an internal network has no
    /// way out: nothing to hold), in `raw` PREROUTING, as `iptables -t raw -A PREROUTING -i BR
    /// ! -d SUBNET -j NFQUEUE --queue-num N --queue-bypass` writes it.
    fn rule(net: &Network) -> crate::sys::nft::Batch {
        use crate::sys::nft::{Batch, Hook, Match, Target};
        let cidr = net.cidr();
        let mut b = Batch::new();
        b.table("raw").base_chain("raw", "PREROUTING", Hook::Raw, true);
        // TCP to the host's loopback goes through hutch-netns's own forwarder, not pasta: not
        // held (nor is pasta started for it).
        if let Some((gw, _)) = HOST_LOOPBACK.get() {
            b.rule(
                "raw",
                "PREROUTING",
                &[
                    Match::InIf(net.network_interface.clone(), false),
                    Match::Dest(*gw, 32),
                    Match::Proto(6),
                ],
                Target::Accept,
            );
        }
        b.rule(
            "raw",
            "PREROUTING",
            &[
                Match::InIf(net.network_interface.clone(), false),
                Match::NotDest(cidr.addr, cidr.prefix),
            ],
            Target::Queue(HOLD_QUEUE),
        );
        b
    }
}

impl Keeper {
    fn new(
        listener: OwnedFd,
        upstream: UdpSocket,
        iptables: PathBuf,
        host_side: Option<Arc<std::sync::Mutex<OwnedFd>>>,
    ) -> Result<Keeper> {
        let resolver = std::fs::read_to_string("/etc/resolv.conf")
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.strip_prefix("nameserver"))
            .find_map(|a| a.trim().parse::<Ipv4Addr>().ok())
            .map(|a| SocketAddr::V4(SocketAddrV4::new(a, 53)));
        let nl = crate::sys::route::Netlink::open().map_err(|e| crate::err!("opening rtnetlink: {e}"))?;
        let home = crate::sys::ns::open("thread-self", "net")
            .map_err(|e| crate::err!("opening the shared network namespace: {e}"))?;
        let mut k = Keeper {
            listener,
            upstream,
            resolver,
            iptables,
            // HUTCH_FIREWALL=iptables-restore: always the fallback (tests use it).
            nft: match std::env::var("HUTCH_FIREWALL").as_deref() {
                Ok("iptables-restore") => None,
                _ => crate::sys::nft::Nft::open().ok(),
            },
            nl,
            home,
            conns: Vec::new(),
            entries: Vec::new(),
            bridges: BTreeMap::new(),
            rules_pending: BTreeMap::new(),
            pending: BTreeMap::new(),
            next_txid: 1,
            state: None,
            last_ip: BTreeMap::new(),
            way_out: WayOut::Unknown,
            lingering: None,
            pasta: if host_side.is_some() {
                Pasta::Idle
            } else {
                Pasta::Started
            },
            host_side,
        };
        std::fs::write("/proc/sys/net/ipv4/ip_forward", "1").ctx(|| "enabling forwarding in the shared namespace")?;
        let lo = crate::sys::route::if_index("lo").map_err(|e| crate::err!("the shared namespace's lo: {e}"))?;
        k.nl.link_up(lo)
            .map_err(|e| crate::err!("bringing up the shared namespace's lo: {e}"))?;
        k.nl.add_local_default4(lo, REPLY_TABLE)
            .map_err(|e| crate::err!("adding the published ports' reply route: {e}"))?;
        // The default network's bridge and rules ahead of its first container (most containers
        // are on it): iptables-restore, the longest step of a first attach, runs while the
        // starter connects. Made again if the first request describes it otherwise; a failure
        // is met again (and reported) by its first container.
        k.way_out = Hold::begin(k.nft.is_some());
        // Nothing can be held: the way out before any container is answered (each waits for
        // it, as before the hold).
        if matches!(k.way_out, WayOut::Unknown) && matches!(k.pasta, Pasta::Idle) {
            k.want_pasta();
            let Pasta::Starting(rx, _) = &k.pasta else {
                crate::bail!("starting pasta for the shared network namespace failed")
            };
            let started = rx
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| Err("it did not start within 30 s".to_string()));
            k.pasta_started(started).map_err(|e| crate::err!("{e}"))?;
            k.way_out = WayOut::Up;
        }
        let _ = k.bridge(&crate::spec::network::default_network(""));
        Ok(k)
    }

    /// Have hutch-netns-lo start this namespace's pasta, once (from a thread: pasta takes tens
    /// of milliseconds to start, and this process serves meanwhile); the state file then
    /// names it (`record_pasta`).
    fn want_pasta(&mut self) {
        if !matches!(self.pasta, Pasta::Idle) {
            return;
        }
        let Some(maker) = self.host_side.clone() else { return };
        let Ok((wake_r, wake_w)) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC) else {
            return;
        };
        let (tx, rx) = std::sync::mpsc::channel();
        crate::output::trace("pasta wanted: hutch-netns-lo starts it");
        std::thread::spawn(move || {
            let r = pasta_from_host_side(&maker);
            let _ = tx.send(r.clone());
            let _ = nix::unistd::write(&wake_w, b"p");
            if let Ok((pid, start)) = r {
                record_pasta(pid, start);
            }
        });
        self.pasta = Pasta::Starting(rx, wake_r);
    }

    /// On every turn of `serve`: a pasta start's result, if it came.
    fn poll_pasta(&mut self) {
        let Pasta::Starting(rx, _) = &self.pasta else { return };
        let r = match rx.try_recv() {
            Ok(r) => r,
            Err(std::sync::mpsc::TryRecvError::Empty) => return,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => Err("its thread ended".to_string()),
        };
        if let Err(e) = self.pasta_started(r) {
            // The packets held are let go: with no way out they fail at once (no route)
            // rather than wait for ever.
            eprintln!("hutch-netns: {e} (the shared networks have no way out)");
            self.end_hold(WayOut::Unknown);
        }
    }

    /// A pasta start's result: known here (to end it with this process), or the error.
    fn pasta_started(&mut self, r: std::result::Result<(i32, u64), String>) -> std::result::Result<(), String> {
        match r {
            Ok((pid, start)) => {
                crate::output::trace(&format!("pasta started (pid {pid})"));
                let me = std::process::id() as i32;
                self.state = Some(SharedState {
                    pid: me,
                    start_time: process::start_time(me).unwrap_or(0),
                    pasta_pid: pid,
                    pasta_start_time: start,
                });
                self.pasta = Pasta::Started;
                Ok(())
            }
            Err(e) => {
                self.pasta = Pasta::Idle;
                Err(format!("starting pasta for the shared network namespace: {e}"))
            }
        }
    }

    /// Rules appended (and the FORWARD policy set to DROP), all in one iptables-restore run,
    /// started: `settle_rules` waits for it.
    fn iptables_restore(&self, rules: &str) -> Result<std::process::Child> {
        let mut child = std::process::Command::new(&self.iptables)
            .arg("--noflush")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| crate::err!("iptables-restore: {e}"))?;
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(rules.as_bytes());
        }
        Ok(child)
    }

    /// Wait for network `name`'s firewall rules, if they are still being set; when that
    /// failed, the bridge goes too (the next container on it tries again).
    fn settle_rules(&mut self, name: &str) -> Result<()> {
        let Some(child) = self.rules_pending.remove(name) else {
            return Ok(());
        };
        let out = child.wait_with_output();
        let failed = match &out {
            Ok(o) if o.status.success() => None,
            Ok(o) => Some(format!("{} ({})", String::from_utf8_lossy(&o.stderr).trim(), o.status)),
            Err(e) => Some(e.to_string()),
        };
        crate::output::trace("firewall rules set (iptables-restore)");
        let Some(why) = failed else { return Ok(()) };
        if let Some(b) = self.bridges.remove(name) {
            let _ = self.nl.del_link(&b.net.network_interface);
        }
        crate::bail!("iptables-restore: {why}")
    }

    /// The network's bridge, its firewall rules (being set when this returns: `settle_rules`)
    /// and its DNS responder, once.
    fn bridge(&mut self, net: &Network) -> Result<()> {
        if let Some(b) = self.bridges.get(&net.name) {
            let same = |a: &Network, b: &Network| {
                (&a.network_interface, &a.subnets, a.internal, a.dns_enabled)
                    == (&b.network_interface, &b.subnets, b.internal, b.dns_enabled)
            };
            if same(&b.net, net) {
                return Ok(());
            }
            // Made ahead of its first container (the default network) otherwise: again.
            let _ = self.settle_rules(&net.name);
            if let Some(b) = self.bridges.remove(&net.name) {
                let _ = self.nl.del_link(&b.net.network_interface);
            }
        }
        // One iptables-restore at a time.
        let pending: Vec<String> = self.rules_pending.keys().cloned().collect();
        for p in pending {
            let _ = self.settle_rules(&p);
        }
        let br = &net.network_interface;
        let cidr = net.cidr();
        // The bridge (rtnetlink, no iproute2 process) and its rules (nf_tables, in-process):
        // once per network, when its first container comes, never on a later start.
        self.nl
            .add_bridge(br, LINK_MTU)
            .map_err(|e| crate::err!("creating the bridge {br}: {e}"))?;
        let index = crate::sys::route::if_index(br).map_err(|e| crate::err!("the bridge {br}: {e}"))?;
        let up = self
            .nl
            .add_addr4(index, net.gateway(), cidr.prefix)
            .map_err(|e| crate::err!("adding {}/{} to {br}: {e}", net.gateway(), cidr.prefix));
        if let Err(e) = up {
            let _ = self.nl.del_link(br);
            return Err(e);
        }
        crate::output::trace("bridge made");
        // In-process (see `sys::nft`); else, or if the kernel refused it (the socket is then
        // dropped: iptables-restore from here on), iptables-restore.
        let in_process = match self.nft.as_ref().map(|n| n.commit(forward_batch(net))) {
            Some(Ok(())) => {
                crate::output::trace("firewall rules set (nf_tables, in-process)");
                true
            }
            Some(Err(e)) => {
                eprintln!(
                    "hutch-netns: network {}'s firewall rules over netlink: {e} (using iptables-restore)",
                    net.name
                );
                self.nft = None;
                false
            }
            None => false,
        };
        if !in_process {
            let (filter, nat) = forward_rules(net);
            let rules = format!("*filter\n:FORWARD DROP [0:0]\n{filter}COMMIT\n*nat\n{nat}COMMIT\n");
            match self.iptables_restore(&rules) {
                Ok(child) => {
                    self.rules_pending.insert(net.name.clone(), child);
                }
                Err(e) => {
                    let _ = self.nl.del_link(br);
                    return Err(e);
                }
            }
        }
        if in_process {
            self.hold(net);
        }
        let dns = if net.dns_enabled {
            let s = UdpSocket::bind(SocketAddrV4::new(net.gateway(), 53))
                .ctx(|| format!("binding the DNS responder on {}:53", net.gateway()))?;
            s.set_nonblocking(true).ok();
            Some(s)
        } else {
            None
        };
        self.bridges.insert(net.name.clone(), Bridge { net: net.clone(), dns });
        Ok(())
    }

    /// While the way out is not up: network `net`'s packets to the outside held too. If the
    /// kernel refuses the rule, the hold ends (later cold starts wait for pasta).
    fn hold(&mut self, net: &Network) {
        let WayOut::Held(h) = &mut self.way_out else { return };
        if net.internal {
            return;
        }
        match self.nft.as_ref().map(|n| n.commit(Hold::rule(net))) {
            Some(Ok(())) => {
                h.networks.insert(net.name.clone());
                crate::output::trace("rule holding outgoing packets set");
            }
            failed => {
                eprintln!(
                    "hutch-netns: the rule holding network {}'s outgoing packets until pasta is up: {} (starts wait for pasta)",
                    net.name,
                    failed.and_then(|r| r.err()).map_or("no netlink socket".to_string(), |e| e.to_string())
                );
                self.end_hold(WayOut::Unknown);
            }
        }
    }

    /// While network `net`'s packets are held: the replies of a published port (`rule`: bridge,
    /// container address, protocol, port) are not (they go to hutch-netns's socket, never
    /// through pasta: holding one would start pasta for nothing and could outlive the reply
    /// rule of a container that answered and ended). First in the chain; gone with the hold.
    fn hold_exempt(&mut self, net: &str, rule: &(String, Ipv4Addr, u8, u16)) {
        let WayOut::Held(h) = &self.way_out else { return };
        if !h.networks.contains(net) {
            return;
        }
        use crate::sys::nft::{Batch, Match, Target};
        let (br, ip, proto, port) = rule;
        let mut b = Batch::new();
        b.insert_rule(
            "raw",
            "PREROUTING",
            &[
                Match::InIf(br.clone(), false),
                Match::Source(*ip, 32),
                Match::Proto(*proto),
                Match::SPort(*port),
            ],
            Target::Accept,
        );
        if let Some(Err(e)) = self.nft.as_ref().map(|n| n.commit(b)) {
            eprintln!("hutch-netns: not holding the replies of published port {port}: {e}");
        }
    }

    /// End the hold (the way out is `next`): its rules deleted, then every packet held let go
    /// on; its queue is still read for a second, for packets queued while the rules went
    /// (closing it with packets queued would drop them), then closed, and the `raw` table it
    /// left empty deleted (`serve_hold`; not before: unregistering a hook drops every packet
    /// still queued).
    fn end_hold(&mut self, next: WayOut) {
        let WayOut::Held(mut h) = std::mem::replace(&mut self.way_out, next) else {
            return;
        };
        if !h.networks.is_empty() {
            let mut b = crate::sys::nft::Batch::new();
            b.flush_chain("raw", "PREROUTING");
            if let Some(Err(e)) = self.nft.as_ref().map(|n| n.commit(b)) {
                eprintln!("hutch-netns: deleting the rules holding outgoing packets: {e}");
            }
        }
        h.queue.read();
        let n = match h.queue.verdict(true) {
            Ok(n) => n,
            Err(e) => {
                eprintln!("hutch-netns: letting the held packets go: {e}");
                0
            }
        };
        crate::output::trace(&format!(
            "way out up: the rules holding outgoing packets deleted, {n} held packet(s) let go"
        ));
        self.lingering = Some((h.queue, std::time::Instant::now() + Duration::from_secs(1)));
    }

    /// On every turn of `serve`: packets queued are noted (a lingering queue's let go at
    /// once), and the hold ends when the default route has appeared.
    fn serve_hold(&mut self) {
        if let WayOut::Held(h) = &mut self.way_out {
            let queued = h.queue.read();
            if h.watch.read().unwrap_or(false) {
                self.end_hold(WayOut::Up);
            } else if queued > 0 {
                // A first packet to the outside: now the way out is wanted.
                self.want_pasta();
            }
        }
        if let Some((q, until)) = &mut self.lingering {
            if q.read() > 0 {
                let _ = q.verdict(true);
            }
            if std::time::Instant::now() >= *until {
                self.lingering = None;
                let mut b = crate::sys::nft::Batch::new();
                b.del_table("raw");
                let _ = self.nft.as_ref().map(|n| n.commit(b));
            }
        }
    }

    /// What a cold start's container may do about the way out (the attach's answer): run now
    /// ("up", or "held": every network of its with a way out has its packets held), or wait
    /// for pasta ("wait").
    fn way_out_for(&self, nets: &[Network]) -> &'static str {
        match &self.way_out {
            WayOut::Up => "up",
            WayOut::Held(h) if nets.iter().all(|n| n.internal || h.networks.contains(&n.name)) => "held",
            _ => "wait",
        }
    }

    /// `network reload` of container `id`: every bridge's firewall rules made again from
    /// scratch (flushed first, so a reload of rules that are still there duplicates nothing),
    /// and the policy rules of the container's published ports added again where missing.
    fn reload(&mut self, id: &str) -> Result<serde_json::Value> {
        let Some(i) = self.entries.iter().position(|e| e.id == id) else {
            crate::bail!("container {id} is not attached to any network");
        };
        let pending: Vec<String> = self.rules_pending.keys().cloned().collect();
        for p in pending {
            let _ = self.settle_rules(&p);
        }
        let (mut filter, mut nat) = (String::new(), String::new());
        let mut names: Vec<&String> = self.bridges.keys().collect();
        names.sort();
        for n in names {
            let (f, t) = forward_rules(&self.bridges[n].net);
            filter.push_str(&f);
            nat.push_str(&t);
        }
        let rules =
            format!("*filter\n:FORWARD DROP [0:0]\n-F FORWARD\n{filter}COMMIT\n*nat\n-F PREROUTING\n-F POSTROUTING\n{nat}COMMIT\n");
        let out = self.iptables_restore(&rules)?.wait_with_output();
        match out {
            Ok(o) if o.status.success() => {}
            Ok(o) => crate::bail!(
                "iptables-restore: {} ({})",
                String::from_utf8_lossy(&o.stderr).trim(),
                o.status
            ),
            Err(e) => crate::bail!("iptables-restore: {e}"),
        }
        for (b, ip, pr, po) in self.entries[i].rules.iter().filter(|r| !r.0.is_empty()) {
            match self
                .nl
                .sport_rule4(true, b, *ip, *pr, *po, REPLY_TABLE, REPLY_RULE_PRIO)
            {
                Ok(()) | Err(nix::errno::Errno::EEXIST) => {}
                Err(e) => crate::bail!("adding the reply rule of port {po} on {b}: {e}"),
            }
        }
        Ok(serde_json::json!({}))
    }

    /// The addresses taken on `net`: a set, so that finding the first free one stays linear
    /// in the number of containers (it was quadratic: 1,000 containers, a million compares).
    fn used_ips(&self, net: &str) -> std::collections::HashSet<Ipv4Addr> {
        self.entries
            .iter()
            .flat_map(|e| e.links.iter())
            .filter(|l| l.net == net)
            .map(|l| l.ip)
            .collect()
    }

    /// Attach the container whose network namespace is `netns` to `nets`.
    fn attach(
        &mut self,
        req: &serde_json::Value,
        mut fds: Vec<OwnedFd>,
        conn: Option<RawFd>,
    ) -> Result<serde_json::Value> {
        let s = |k: &str| req.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
        let (id, name) = (s("id"), s("name"));
        let aliases: Vec<String> =
            serde_json::from_value(req.get("aliases").cloned().unwrap_or_default()).unwrap_or_default();
        let nets: Vec<Network> = serde_json::from_value(req.get("networks").cloned().unwrap_or_default())
            .map_err(|e| crate::err!("bad request: {e}"))?;
        let static_ip = req.get("ip").and_then(|v| v.as_str()).map(String::from);
        if fds.is_empty() {
            crate::bail!("bad request: no network namespace");
        }
        let netns = fds.remove(0);
        // Names matter only where they are served (not on the default network: no DNS).
        for n in nets.iter().filter(|n| n.dns_enabled) {
            // One pass over the containers, without collecting their names.
            let mine: std::collections::HashSet<&String> = aliases.iter().chain(std::iter::once(&name)).collect();
            for e in self
                .entries
                .iter()
                .filter(|e| e.id != id && e.links.iter().any(|l| l.net == n.name))
            {
                if let Some(a) = std::iter::once(&e.name)
                    .chain(e.aliases.iter())
                    .find(|a| mine.contains(a))
                {
                    crate::bail!("the name {a} is already in use on network {}", n.name);
                }
            }
        }
        let pidfd = match req.get("pid").and_then(|p| p.as_i64()) {
            Some(pid) => Some(
                process::pidfd_open(nix::unistd::Pid::from_raw(pid as i32))
                    .map_err(|e| crate::err!("the container's process: {e}"))?,
            ),
            None => None,
        };
        // Interface names already used in that namespace (by an earlier attachment).
        let mut used_if: Vec<String> = self
            .entries
            .iter()
            .filter(|e| e.id == id)
            .flat_map(|e| e.links.iter().map(|l| l.ifname.clone()))
            .collect();
        let had_route = self.route_link(&id).is_some();
        let mut links = Vec::new();
        // What the container's namespace gets: (interface, address, prefix), and the default
        // route's gateway and interface.
        let mut inside: Vec<(String, Ipv4Addr, u8)> = Vec::new();
        let mut route: Option<(Ipv4Addr, String)> = None;
        let mut route_set = had_route;
        let result = (|| -> Result<()> {
            for (i, n) in nets.iter().enumerate() {
                self.bridge(n)?;
                let cidr = n.cidr();
                let used = self.used_ips(&n.name);
                let ip = match (&static_ip, i) {
                    (Some(s), 0) => {
                        let ip: Ipv4Addr = s.parse().map_err(|_| crate::err!("--ip {s}: not an IPv4 address"))?;
                        if !cidr.is_host(ip) || ip == n.gateway() {
                            crate::bail!("--ip {s}: not a free address of network {} ({cidr})", n.name);
                        }
                        if used.contains(&ip) {
                            crate::bail!("--ip {s}: the address is already in use on network {}", n.name);
                        }
                        ip
                    }
                    _ => self.free_ip(n, &used)?,
                };
                let ifname = (0..)
                    .map(|k| format!("eth{k}"))
                    .find(|f| !used_if.contains(f))
                    .expect("a free name");
                used_if.push(ifname.clone());
                let veth = format!("veth{}", crate::digest::random_hex(4));
                // A random, locally administered unicast address, as netavark gives.
                let mut mac = [0u8; 6];
                for (i, b) in crate::digest::random_hex(6).as_bytes().chunks(2).enumerate() {
                    mac[i] = u8::from_str_radix(std::str::from_utf8(b).unwrap_or("0"), 16).unwrap_or(0);
                }
                mac[0] = (mac[0] & 0xfe) | 0x02;
                let br = &n.network_interface;
                let master = crate::sys::route::if_index(br)
                    .map_err(|e| crate::err!("the bridge {br} of network {}: {e}", n.name))?;
                self.nl
                    .add_veth(&veth, master, &ifname, mac, netns.as_fd(), LINK_MTU)
                    .map_err(|e| crate::err!("creating the veth pair {veth}/{ifname} on {br}: {e}"))?;
                links.push(Link {
                    net: n.name.clone(),
                    veth,
                    ifname: ifname.clone(),
                    ip,
                    mac: mac.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":"),
                });
                inside.push((ifname.clone(), ip, cidr.prefix));
                if !route_set && !n.internal {
                    route = Some((n.gateway(), ifname));
                    route_set = true;
                }
            }
            crate::output::trace("veth pairs made");
            configure_inside(netns.as_fd(), self.home.as_fd(), &inside, route.as_ref())?;
            // Its networks' firewall rules, set meanwhile, before it is answered.
            for n in &nets {
                self.settle_rules(&n.name)?;
            }
            Ok(())
        })();
        crate::output::trace("the container's namespace configured");
        if let Err(e) = result {
            for l in &links {
                let _ = self.nl.del_link(&l.veth);
            }
            return Err(e);
        }
        let ips: Vec<String> = links.iter().map(|l| l.ip.to_string()).collect();
        let macs: Vec<String> = links.iter().map(|l| l.mac.clone()).collect();
        let stop = Arc::new(AtomicBool::new(false));
        let mut port_fds = Vec::new();
        let mut forwarders = Vec::new();
        let mut rules = Vec::new();
        let target = Arc::new(AtomicU32::new(links.first().map_or(0, |l| u32::from(l.ip))));
        // A container on no network (disconnected from its last, started again) forwards its
        // ports once it is connected to one (`retarget`): its rules are parked (bridge "").
        if let Some(ports) = req.get("ports").and_then(|p| p.as_array()) {
            let (br, first_ip) = links.first().map_or((String::new(), Ipv4Addr::UNSPECIFIED), |first| {
                let br = self.bridges.get(&first.net).map(|b| b.net.network_interface.clone());
                (br.unwrap_or_default(), first.ip)
            });
            for (p, fd) in ports.iter().zip(fds.into_iter()) {
                let port = p.get("port").and_then(|v| v.as_u64()).unwrap_or(0) as u16;
                let udp = p.get("proto").and_then(|v| v.as_str()) == Some("udp");
                // The container answers the client's own address: its replies from this port
                // are routed to hutch-netns's socket (bound transparently to that address)
                // rather than out through pasta.
                let proto = if udp { libc::IPPROTO_UDP } else { libc::IPPROTO_TCP } as u8;
                let rule = (br.clone(), first_ip, proto, port);
                if !rules.contains(&rule) {
                    let added = match br.is_empty() {
                        true => Ok(()),
                        false => self
                            .nl
                            .sport_rule4(true, &br, first_ip, proto, port, REPLY_TABLE, REPLY_RULE_PRIO),
                    };
                    match added {
                        Ok(()) | Err(nix::errno::Errno::EEXIST) => {
                            if let Some(first) = links.first() {
                                self.hold_exempt(&first.net, &rule);
                            }
                            rules.push(rule)
                        }
                        Err(e) => {
                            for (b, ip, pr, po) in &rules {
                                let _ = self
                                    .nl
                                    .sport_rule4(false, b, *ip, *pr, *po, REPLY_TABLE, REPLY_RULE_PRIO);
                            }
                            for l in &links {
                                let _ = self.nl.del_link(&l.veth);
                            }
                            crate::bail!("routing the replies of published port {port}: {e}");
                        }
                    }
                }
                let fd = Arc::new(fd);
                port_fds.push(fd.clone());
                let to = PortTarget {
                    ip: target.clone(),
                    port,
                };
                let stop = stop.clone();
                forwarders.push(if udp {
                    std::thread::spawn(move || udp_forward(fd, to, stop))
                } else {
                    std::thread::spawn(move || tcp_forward(fd, to, stop))
                });
            }
        }
        self.entries.push(Entry {
            id,
            name,
            aliases,
            links,
            conn,
            pidfd,
            stop,
            port_fds,
            forwarders,
            rules,
            target,
        });
        Ok(serde_json::json!({"ips": ips, "macs": macs, "way_out": self.way_out_for(&nets)}))
    }

    /// `network disconnect`: the container's link to `net` goes. If that link carried its
    /// default route (its first network with a way out), the next such network's gateway
    /// becomes its default route (in `netns`, the container's network namespace), as Docker
    /// picks a new gateway and as netavark's per-network routes leave one.
    fn disconnect(&mut self, id: &str, net: &str, netns: Option<OwnedFd>) -> Result<()> {
        let before = self.route_link(id);
        let mut found = false;
        for e in self.entries.iter_mut().filter(|e| e.id == id) {
            if let Some(i) = e.links.iter().position(|l| l.net == net) {
                let l = e.links.remove(i);
                let _ = self.nl.del_link(&l.veth);
                found = true;
            }
        }
        if !found {
            crate::bail!("container {id} is not attached to network {net}");
        }
        let after = self.route_link(id);
        if let (Some((gone, _)), Some((next, ifname)), Some(ns)) = (&before, &after, &netns) {
            if gone == net {
                let gw = self.bridges.get(next).map(|b| b.net.gateway());
                if let Some(gw) = gw {
                    configure_inside(ns.as_fd(), self.home.as_fd(), &[], Some(&(gw, ifname.clone())))?;
                }
            }
        }
        Ok(())
    }

    /// The link of container `id` that carries its default route: its first on a network
    /// with a way out (not internal), as `attach` routes it; (network, interface).
    fn route_link(&self, id: &str) -> Option<(String, String)> {
        self.entries
            .iter()
            .filter(|e| e.id == id)
            .flat_map(|e| e.links.iter())
            .find(|l| !self.bridges.get(&l.net).is_some_and(|b| b.net.internal))
            .map(|l| (l.net.clone(), l.ifname.clone()))
    }

    /// A free address of `n` for a new link: the first after the one it gave last (wrapping
    /// around), as Podman's IPAM gives them, so a container disconnected and connected again
    /// gets a new address.
    fn free_ip(&mut self, n: &Network, used: &std::collections::HashSet<Ipv4Addr>) -> Result<Ipv4Addr> {
        let cidr = n.cidr();
        let hosts = cidr.size().saturating_sub(3);
        let after = self
            .last_ip
            .get(&n.name)
            .filter(|a| cidr.is_host(**a))
            .map_or(0, |a| u32::from(*a) - u32::from(cidr.nth(2)) + 1);
        let ip = (0..hosts)
            .map(|k| cidr.nth(2 + (after + k) % hosts))
            .find(|a| *a != n.gateway() && !used.contains(a))
            .ok_or_else(|| crate::err!("network {}: no free address left in {cidr}", n.name))?;
        self.last_ip.insert(n.name.clone(), ip);
        Ok(ip)
    }

    /// After `network connect`/`disconnect` of container `id`: its published ports go to its
    /// first network's address (in the order it was attached to them), with their reply rules
    /// on that network's bridge; to none (connections are reset, the rules parked) while it is
    /// on no network.
    fn retarget(&mut self, id: &str) {
        let first = self
            .entries
            .iter()
            .filter(|e| e.id == id)
            .flat_map(|e| e.links.iter())
            .next()
            .map(|l| {
                let br = self.bridges.get(&l.net).map(|b| b.net.network_interface.clone());
                (br.unwrap_or_default(), l.ip)
            });
        let Some(e) = self.entries.iter_mut().find(|e| e.id == id && !e.port_fds.is_empty()) else {
            return;
        };
        let (br, ip) = first.unwrap_or((String::new(), Ipv4Addr::UNSPECIFIED));
        if e.target.load(Ordering::SeqCst) == u32::from(ip) {
            return;
        }
        for r in e.rules.iter_mut() {
            if !r.0.is_empty() {
                let _ = self
                    .nl
                    .sport_rule4(false, &r.0, r.1, r.2, r.3, REPLY_TABLE, REPLY_RULE_PRIO);
            }
            *r = (br.clone(), ip, r.2, r.3);
            if !br.is_empty()
                && self
                    .nl
                    .sport_rule4(true, &br, ip, r.2, r.3, REPLY_TABLE, REPLY_RULE_PRIO)
                    .is_err_and(|e| e != nix::errno::Errno::EEXIST)
            {
                r.0 = String::new();
            }
        }
        e.target.store(u32::from(ip), Ordering::SeqCst);
    }

    /// Forget an attachment: its ports stop; its veths go with the container's namespace.
    fn forget(&mut self, i: usize) {
        let e = self.entries.remove(i);
        e.stop.store(true, Ordering::SeqCst);
        for fd in &e.port_fds {
            let _ = sock::shutdown(fd.as_raw_fd(), sock::Shutdown::Both);
        }
        // Woken by the shutdown, they return and close the host sockets: the ports are free
        // when this returns.
        for t in e.forwarders {
            let _ = t.join();
        }
        for (b, ip, pr, po) in e.rules.iter().filter(|r| !r.0.is_empty()) {
            let _ = self
                .nl
                .sport_rule4(false, b, *ip, *pr, *po, REPLY_TABLE, REPLY_RULE_PRIO);
        }
    }

    fn handle(&mut self, conn: RawFd, v: serde_json::Value, fds: Vec<OwnedFd>) -> serde_json::Value {
        let op = v.get("op").and_then(|o| o.as_str()).unwrap_or("");
        let r = match op {
            "attach" => self.attach(&v, fds, Some(conn)),
            "connect" => self.attach(&v, fds, None).inspect(|_| {
                self.retarget(v.get("id").and_then(|x| x.as_str()).unwrap_or(""));
            }),
            // Answered once the connections closed before it are forgotten (`serve` handles
            // closed connections first): their ports are free then.
            "settle" => Ok(serde_json::json!({})),
            // Who its pasta is (`hutch __netns` says it once pasta runs, a start that
            // replaced a dead one says it again): it is killed when this ends, also when
            // the state file is gone with the runtime directory.
            "state" => serde_json::from_value(v.get("state").cloned().unwrap_or_default())
                .map(|st: SharedState| {
                    // pasta is ready: the way out is up, its default route seen or not.
                    if st.pasta_pid != 0 {
                        self.end_hold(WayOut::Up);
                        self.pasta = Pasta::Started;
                    }
                    self.state = Some(st);
                    serde_json::json!({})
                })
                .map_err(|e| crate::err!("bad request: {e}")),
            "disconnect" => {
                let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
                self.disconnect(&s("id"), &s("network"), fds.into_iter().next())
                    .map(|()| {
                        self.retarget(&s("id"));
                        serde_json::json!({})
                    })
            }
            "reload" => self.reload(v.get("id").and_then(|x| x.as_str()).unwrap_or("")),
            _ => Err(crate::err!("unknown request {op:?}")),
        };
        match r {
            Ok(v) => v,
            Err(e) => serde_json::json!({"error": e.message}),
        }
    }

    /// The DNS answer for `name` asked on `bridge` by `from`: Some(addresses) when it is one of
    /// ours. A container asking sees the others on every network it shares with them (as
    /// aardvark-dns answers); the addresses are those on the networks both are on.
    fn lookup(&self, bridge: &str, from: Option<Ipv4Addr>, name: &str) -> Option<Vec<Ipv4Addr>> {
        let suffix = format!(".{}", crate::spec::network::DNS_DOMAIN);
        let (short, ours) = match name.strip_suffix(&suffix) {
            Some(s) => (s, true),
            None => (name, false),
        };
        let mut nets: Vec<&str> = from
            .map(|ip| {
                self.entries
                    .iter()
                    .filter(|e| e.links.iter().any(|l| l.ip == ip && l.net == bridge))
                    .flat_map(|e| self.entries.iter().filter(move |o| o.id == e.id))
                    .flat_map(|e| e.links.iter().map(|l| l.net.as_str()))
                    .collect()
            })
            .unwrap_or_default();
        if nets.is_empty() {
            nets.push(bridge);
        }
        let dns_on = |n: &str| self.bridges.get(n).is_some_and(|b| b.net.dns_enabled);
        let mut ips = Vec::new();
        for e in &self.entries {
            let hit = e.name.eq_ignore_ascii_case(short)
                || e.aliases.iter().any(|a| a.eq_ignore_ascii_case(short))
                || (short.len() >= 12 && e.id.starts_with(short));
            if hit {
                for l in e
                    .links
                    .iter()
                    .filter(|l| nets.contains(&l.net.as_str()) && dns_on(&l.net))
                {
                    if !ips.contains(&l.ip) {
                        ips.push(l.ip);
                    }
                }
            }
        }
        if ips.is_empty() && !ours {
            None
        } else {
            Some(ips)
        }
    }

    fn dns_query(&mut self, bridge: &str) {
        let Some(b) = self.bridges.get(bridge) else { return };
        let Some(s) = &b.dns else { return };
        let mut buf = [0u8; 1500];
        let Ok((n, from)) = s.recv_from(&mut buf) else { return };
        let pkt = &buf[..n];
        let Some(q) = super::dns::parse_query(pkt) else { return };
        let from_ip = match from {
            SocketAddr::V4(a) => Some(*a.ip()),
            _ => None,
        };
        match self.lookup(bridge, from_ip, &q.name) {
            Some(ips) => {
                let reply = super::dns::answer(pkt, &q, &ips, ips.is_empty());
                let _ = s.send_to(&reply, from);
            }
            None => {
                let Some(up) = self.resolver else {
                    let _ = s.send_to(&super::dns::servfail(pkt, &q), from);
                    return;
                };
                let now = std::time::Instant::now();
                self.pending
                    .retain(|_, p| now.duration_since(p.at) < Duration::from_secs(10));
                let txid = self.next_txid;
                self.next_txid = self.next_txid.wrapping_add(1).max(1);
                let mut fwd = pkt.to_vec();
                fwd[0..2].copy_from_slice(&txid.to_be_bytes());
                if self.upstream.send_to(&fwd, up).is_ok() {
                    self.pending.insert(
                        txid,
                        Pending {
                            id: q.id,
                            client: from,
                            bridge: bridge.to_string(),
                            at: now,
                        },
                    );
                }
            }
        }
    }

    fn dns_reply(&mut self) {
        let mut buf = [0u8; 4096];
        let Ok((n, _)) = self.upstream.recv_from(&mut buf) else {
            return;
        };
        if n < 12 {
            return;
        }
        let txid = u16::from_be_bytes([buf[0], buf[1]]);
        let Some(p) = self.pending.remove(&txid) else { return };
        buf[0..2].copy_from_slice(&p.id.to_be_bytes());
        if let Some(s) = self.bridges.get(&p.bridge).and_then(|b| b.dns.as_ref()) {
            let _ = s.send_to(&buf[..n], p.client);
        }
    }

    fn serve(mut self) -> Result<()> {
        use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
        self.upstream.set_nonblocking(true).ok();
        // `accept_all` takes every pending connection, until there is none.
        let _ = nix::fcntl::fcntl(
            &self.listener,
            nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
        );
        loop {
            let mut busy = false;
            if self.conns.is_empty() && self.entries.is_empty() {
                match self.try_exit() {
                    Some(true) => return Ok(()),
                    Some(false) => {}
                    None => busy = true,
                }
            }
            let bridges: Vec<String> = self
                .bridges
                .iter()
                .filter(|(_, b)| b.dns.is_some())
                .map(|(k, _)| k.clone())
                .collect();
            let pidfd_idx: Vec<usize> = (0..self.entries.len())
                .filter(|i| self.entries[*i].pidfd.is_some())
                .collect();
            let (ready_listener, ready_conns, ready_dns, ready_up, ready_pids) = {
                let mut fds = vec![PollFd::new(self.listener.as_fd(), PollFlags::POLLIN)];
                for c in &self.conns {
                    fds.push(PollFd::new(c.as_fd(), PollFlags::POLLIN));
                }
                for b in &bridges {
                    fds.push(PollFd::new(
                        self.bridges[b].dns.as_ref().expect("dns").as_fd(),
                        PollFlags::POLLIN,
                    ));
                }
                fds.push(PollFd::new(self.upstream.as_fd(), PollFlags::POLLIN));
                for i in &pidfd_idx {
                    fds.push(PollFd::new(
                        self.entries[*i].pidfd.as_ref().expect("pidfd").as_fd(),
                        PollFlags::POLLIN,
                    ));
                }
                // The hold's queue and route watch (read by `serve_hold` on every turn).
                if let WayOut::Held(h) = &self.way_out {
                    fds.push(PollFd::new(h.queue.as_fd(), PollFlags::POLLIN));
                    fds.push(PollFd::new(h.watch.as_fd(), PollFlags::POLLIN));
                }
                if let Some((q, _)) = &self.lingering {
                    fds.push(PollFd::new(q.as_fd(), PollFlags::POLLIN));
                    busy = true;
                }
                if let Pasta::Starting(_, wake) = &self.pasta {
                    fds.push(PollFd::new(wake.as_fd(), PollFlags::POLLIN));
                }
                let wait = if busy {
                    PollTimeout::from(20u16)
                } else {
                    PollTimeout::NONE
                };
                match poll(&mut fds, wait) {
                    Err(nix::errno::Errno::EINTR) => continue,
                    Err(e) => crate::bail!("poll: {e}"),
                    Ok(_) => {}
                }
                let r: Vec<bool> = fds.iter().map(|f| f.any().unwrap_or(false)).collect();
                let nc = self.conns.len();
                let nb = bridges.len();
                let np = pidfd_idx.len();
                (
                    r[0],
                    r[1..1 + nc].to_vec(),
                    r[1 + nc..1 + nc + nb].to_vec(),
                    r[1 + nc + nb],
                    r[2 + nc + nb..2 + nc + nb + np].to_vec(),
                )
            };
            self.poll_pasta();
            self.serve_hold();
            // Exited processes (network connect) first, while the indexes hold.
            let gone: Vec<usize> = pidfd_idx
                .iter()
                .zip(ready_pids)
                .filter(|(_, r)| *r)
                .map(|(i, _)| *i)
                .collect();
            for i in gone.into_iter().rev() {
                self.forget(i);
            }
            for (b, r) in bridges.iter().zip(ready_dns) {
                if r {
                    self.dns_query(b);
                }
            }
            if ready_up {
                self.dns_reply();
            }
            // Read every ready connection first, and forget the closed ones before answering
            // the others: a request (`settle`) sent after a close sees its effect.
            let mut closed = Vec::new();
            let mut asked = Vec::new();
            for (i, r) in ready_conns.into_iter().enumerate() {
                if !r {
                    continue;
                }
                let fd = self.conns[i].as_raw_fd();
                match recv_msg(fd) {
                    Some(m) => asked.push((fd, m)),
                    None => closed.push(i),
                }
            }
            // Replies go out on duplicates: the indexes change as closed connections go (the
            // open ones keep their descriptors, by which entries know them).
            let asking: Vec<OwnedFd> = asked
                .iter()
                .map(|(fd, _)| {
                    let i = self.conns.iter().position(|c| c.as_raw_fd() == *fd).expect("open");
                    self.conns[i].try_clone().expect("dup")
                })
                .collect();
            for i in closed.into_iter().rev() {
                let c = self.conns.remove(i);
                let fd = c.as_raw_fd();
                while let Some(j) = self.entries.iter().position(|e| e.conn == Some(fd)) {
                    self.forget(j);
                }
            }
            for (c, (fd, (v, fds))) in asking.iter().zip(asked) {
                let reply = self.handle(fd, v, fds);
                let _ = send_msg(c, &reply, &[]);
            }
            if ready_listener {
                self.accept_all();
            }
        }
    }

    fn accept_all(&mut self) -> bool {
        let mut any = false;
        while let Ok(fd) = sock::accept4(
            self.listener.as_raw_fd(),
            SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK,
        ) {
            // SAFETY-free: accept4 returned a fresh fd that we own from here on.
            let c = crate::sys::fd::adopt_fd(fd);
            let _ = nix::fcntl::fcntl(&c, nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::empty()));
            self.conns.push(c);
            any = true;
        }
        any
    }

    /// Nothing attached: unless someone is connecting (checked under the starters' lock), clean
    /// up and let the caller exit. None while a starter holds the lock (the one that brought
    /// this namespace up holds it until the state is written; its own connection was made
    /// before this process was): the caller serves and tries again shortly.
    fn try_exit(&mut self) -> Option<bool> {
        if self.accept_all() {
            return Some(false);
        }
        let lock = match crate::sys::lock::FileLock::try_exclusive(&lock_path()) {
            Ok(Some(l)) => Some(l),
            Ok(None) => return None,
            // Its runtime directory is gone (removed by hand, or with a test's home): nobody
            // can reach this namespace any more (its socket went with it) and nothing is
            // attached, so it ends (its pasta too, known from the last state read), rather
            // than waiting for a connection that cannot come.
            Err(_) if !sock_path().exists() => None,
            Err(_) => return Some(false),
        };
        if self.accept_all() {
            return Some(false);
        }
        if let Some(st) = read_state().or_else(|| self.state.take()) {
            if process::is_same_process(st.pasta_pid, st.pasta_start_time) {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(st.pasta_pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
        let _ = std::fs::remove_file(sock_path());
        let _ = std::fs::remove_file(state_path());
        drop(lock);
        // And any pasta of this namespace it was not told of (its state not yet sent when the
        // last container went, or its runtime directory removed meanwhile): nothing else
        // would ever end it, since it holds the namespace itself. After the lock, which a
        // start waits for: its pastas name another hutch-netns.
        kill_pastas_of(std::process::id());
        Some(true)
    }
}

/// Ask hutch-netns-lo (`maker`) to start this namespace's pasta: its pid and start time once it
/// has daemonized (its interface and routes configured).
fn pasta_from_host_side(maker: &std::sync::Mutex<OwnedFd>) -> std::result::Result<(i32, u64), String> {
    let m = maker
        .lock()
        .map_err(|_| "hutch-netns-lo's socket is unusable".to_string())?;
    send_msg(&m, &serde_json::json!({"op": "pasta"}), &[]).map_err(|e| format!("asking hutch-netns-lo: {e}"))?;
    let (reply, _) = recv_msg(m.as_raw_fd()).ok_or_else(|| "hutch-netns-lo did not answer".to_string())?;
    if let Some(e) = reply.get("error").and_then(|e| e.as_str()) {
        return Err(e.to_string());
    }
    let pid = reply
        .get("pid")
        .and_then(|p| p.as_i64())
        .ok_or("hutch-netns-lo said no pid")?;
    let start = reply.get("start").and_then(|p| p.as_u64()).unwrap_or(0);
    Ok((pid as i32, start))
}

/// The state file names the pasta this process had started (under the starters' lock, as
/// `hutch __netns` wrote it): a start finding it dead replaces it; nothing when the state is
/// gone or another hutch-netns's (this one is then on its way out, and its pasta with it).
fn record_pasta(pid: i32, start: u64) {
    crate::fault::pause("netns:pasta-state");
    let Ok(_lock) = crate::sys::lock::FileLock::exclusive(&lock_path()) else {
        return;
    };
    let Some(st) = read_state() else { return };
    if st.pid as u32 != std::process::id() {
        return;
    }
    let _ = write_state(&SharedState {
        pasta_pid: pid,
        pasta_start_time: start,
        ..st
    });
}

/// SIGKILL every process started with `--netns /proc/PID/ns/net` for hutch-netns's `pid`: the
/// pastas of its namespace (found by their command lines, which anyone may read).
fn kill_pastas_of(pid: u32) {
    let needle = format!("--netns\0/proc/{pid}/ns/net\0");
    let Ok(dir) = std::fs::read_dir("/proc") else { return };
    for e in dir.flatten() {
        let Some(p) = e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else {
            continue;
        };
        if p as u32 == pid {
            continue;
        }
        let Ok(cmd) = std::fs::read(format!("/proc/{p}/cmdline")) else {
            continue;
        };
        if cmd.windows(needle.len()).any(|w| w == needle.as_bytes()) {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(p), nix::sys::signal::Signal::SIGKILL);
        }
    }
}

/// In the container's network namespace `netns` (this thread goes there and back to `home`):
/// lo up, each interface's address, the default route. rtnetlink from there, no `ip` process.
fn configure_inside(
    netns: std::os::fd::BorrowedFd,
    home: std::os::fd::BorrowedFd,
    links: &[(String, Ipv4Addr, u8)],
    route: Option<&(Ipv4Addr, String)>,
) -> Result<()> {
    // On a thread of its own: /proc/PID/ns/net (what pasta opens when it starts, also while
    // containers are being attached: see `Cold`) names the main thread's namespace, which must
    // never be the container's, even for a moment (pasta made its tap there, clashing with
    // the container's eth0: "Failed to open tun socket in namespace").
    std::thread::scope(|s| {
        s.spawn(|| configure_inside_here(netns, home, links, route))
            .join()
            .unwrap_or_else(|_| Err(crate::err!("configuring the container's network namespace failed")))
    })
}

fn configure_inside_here(
    netns: std::os::fd::BorrowedFd,
    home: std::os::fd::BorrowedFd,
    links: &[(String, Ipv4Addr, u8)],
    route: Option<&(Ipv4Addr, String)>,
) -> Result<()> {
    use crate::sys::route::{if_index, Netlink};
    let r = crate::sys::route::in_netns(netns, home, || -> Result<()> {
        let nl = Netlink::open().map_err(|e| crate::err!("opening rtnetlink in the container's namespace: {e}"))?;
        let index =
            |name: &str| if_index(name).map_err(|e| crate::err!("interface {name} in the container's namespace: {e}"));
        nl.link_up(index("lo")?)
            .map_err(|e| crate::err!("bringing up lo in the container's namespace: {e}"))?;
        for (ifname, ip, prefix) in links {
            let i = index(ifname)?;
            nl.link_up(i)
                .map_err(|e| crate::err!("bringing up {ifname} in the container's namespace: {e}"))?;
            nl.add_addr4(i, *ip, *prefix)
                .map_err(|e| crate::err!("adding {ip}/{prefix} to {ifname}: {e}"))?;
        }
        if let Some((gw, ifname)) = route {
            nl.add_default_route4(index(ifname)?, *gw)
                .map_err(|e| crate::err!("adding the default route via {gw}: {e}"))?;
        }
        Ok(())
    });
    r.map_err(|e| crate::err!("entering the container's network namespace: {e}"))?
}

/// Where a published port goes: the container's current address (0 while it is on no
/// network: `Keeper::retarget` changes it) and its port.
#[derive(Clone)]
struct PortTarget {
    ip: Arc<AtomicU32>,
    port: u16,
}

impl PortTarget {
    fn get(&self) -> Option<SocketAddrV4> {
        let ip = Ipv4Addr::from(self.ip.load(Ordering::SeqCst));
        (!ip.is_unspecified()).then(|| SocketAddrV4::new(ip, self.port))
    }
}

/// A published TCP port: each connection to the host socket is relayed (splice) to the
/// container's address, from inside the shared namespace.
fn tcp_forward(fd: Arc<OwnedFd>, to: PortTarget, stop: Arc<AtomicBool>) {
    let Ok(dup) = fd.try_clone() else { return };
    let l = TcpListener::from(dup);
    drop(fd);
    loop {
        let (client, peer) = match l.accept() {
            Ok(c) => c,
            Err(_) if stop.load(Ordering::SeqCst) => return,
            Err(_) => {
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        if stop.load(Ordering::SeqCst) {
            return;
        }
        // On no network (disconnected): the connection is closed at once.
        let Some(to) = to.get() else { continue };
        std::thread::spawn(move || {
            let Ok(inside) = connect_as(client_v4(peer), to) else {
                return;
            };
            relay_both(client, inside);
        });
    }
}

/// Relay two connected TCP sockets both ways (splice), each way's EOF passed on, until both
/// have ended.
fn relay_both(client: std::net::TcpStream, other: std::net::TcpStream) {
    let _ = other.set_nodelay(true);
    let _ = client.set_nodelay(true);
    let (client, other) = (OwnedFd::from(client), OwnedFd::from(other));
    let (Ok(a), Ok(b)) = (client.try_clone(), other.try_clone()) else {
        return;
    };
    let t = std::thread::spawn(move || super::portfwd::relay(&a, &b));
    super::portfwd::relay(&other, &client);
    let _ = t.join();
}

// ---- the host's loopback, without pasta's tap ----
//
// A container on a network reaches the host's loopback services at host.containers.internal
// (the host's default gateway, which pasta hands to the host's 127.0.0.1). Through pasta's tap
// that path is slow and lossy (Debian 12's pasta, 2023-03: 0.47 Gbit/s on a quiet machine,
// against 4.93 for Podman's slirp4netns): segments forwarded from a bridge and NATed are lost
// inside pasta. So hutch-netns takes those TCP connections itself: the networks' (not internal
// ones') connections to that address are redirected (iptables REDIRECT) to a listener of
// hutch-netns in the shared namespace, and each is relayed (splice) to a socket connected to
// the host's 127.0.0.1 at the port asked for. A socket belongs to the network namespace it was
// made in, and nothing in the shared namespace can enter the host's: one small process,
// forked by `hutch __netns` before the shared namespace is made and so left in the host's
// (`hutch-netns-lo`), makes those sockets on request and hands them over. It exits with
// hutch-netns (the end of their socket pair closes). A closed port of the host resets the
// connection at once (pasta left it hanging). UDP still goes through pasta.

/// The address the networks' connections to the host's loopback are sent to, and the port of
/// hutch-netns's listener they are redirected to (set once in hutch-netns, before its rules).
static HOST_LOOPBACK: std::sync::OnceLock<(Ipv4Addr, u16)> = std::sync::OnceLock::new();

/// In `hutch __netns`, before the shared namespace is made: the pair of sockets between
/// hutch-netns (the first) and `hutch-netns-lo` (`fork_host_side`), and the address containers
/// reach the host's loopback at; None when the host has no default route (no such address):
/// connections then go through pasta, as before, and pasta starts with the namespace.
fn host_loopback_pair() -> Option<(OwnedFd, OwnedFd, Ipv4Addr)> {
    let gw: Ipv4Addr = super::net::addresses(&crate::spec::network::Mode::Pasta)
        .1?
        .parse()
        .ok()?;
    let (ours, theirs) =
        sock::socketpair(AddressFamily::Unix, SockType::SeqPacket, None, SockFlag::SOCK_CLOEXEC).ok()?;
    Some((ours, theirs, gw))
}

/// In `hutch __netns`, once hutch-netns is cloned (so that its start does not wait for this
/// fork): fork `hutch-netns-lo` on `theirs`, which stays in the host's namespaces, answers each
/// message with a new TCP socket of the host's network namespace, and starts pasta when
/// hutch-netns asks. False when the fork failed.
fn fork_host_side(theirs: OwnedFd) -> bool {
    match process::fork() {
        Err(_) => false,
        Ok(Some(_)) => true,
        Ok(None) => {
            // Nothing of `hutch __netns`'s but its end: not the starters' lock, not the pipe to
            // the starter, not the socket hutch-netns listens on.
            // SAFETY: raw descriptor calls in a fresh single-threaded child.
            unsafe {
                let fd = libc::fcntl(theirs.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 10);
                if fd < 0 || libc::dup3(fd, 3, libc::O_CLOEXEC) < 0 {
                    libc::_exit(1);
                }
                if libc::syscall(libc::SYS_close_range, 4u32, u32::MAX, 0u32) != 0 {
                    for fd in 4..1024 {
                        libc::close(fd);
                    }
                }
                let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC);
                if null >= 0 {
                    libc::dup2(null, 0);
                    libc::dup2(null, 1);
                    libc::close(null);
                }
            }
            std::mem::forget(theirs);
            process::set_name("hutch-netns-lo");
            let end = crate::sys::fd::adopt_fd(3);
            // hutch-netns's pid, which it says first: its pasta ends with it (below).
            let mut netns_pid = None;
            while let Some((v, _)) = recv_msg(end.as_raw_fd()) {
                if let Some(p) = v.get("netns_pid").and_then(|p| p.as_u64()) {
                    netns_pid = Some(p as u32);
                    continue;
                }
                // The namespace's way out, wanted now (`Keeper::want_pasta`): pasta must be
                // started from the host's namespaces, which hutch-netns has left.
                if v.get("op").and_then(|o| o.as_str()) == Some("pasta") {
                    let started = match netns_pid {
                        Some(p) => PastaSpawn::new(p as i32).child().and_then(pasta_started),
                        None => Err(crate::err!("hutch-netns did not say its pid")),
                    };
                    let reply = match started {
                        Ok((pid, start)) => serde_json::json!({"pid": pid, "start": start}),
                        Err(e) => serde_json::json!({"error": e.message}),
                    };
                    if send_msg(&end, &reply, &[]).is_err() {
                        break;
                    }
                    continue;
                }
                let made = sock::socket(AddressFamily::Inet, SockType::Stream, SockFlag::SOCK_CLOEXEC, None);
                let sent = match &made {
                    Ok(s) => send_msg(&end, &serde_json::json!({}), &[s.as_raw_fd()]),
                    Err(e) => send_msg(&end, &serde_json::json!({"error": e.to_string()}), &[]),
                };
                if sent.is_err() {
                    break;
                }
            }
            // hutch-netns has gone. Killed (kill -9, the OOM killer), it could not end its
            // pasta, which would run on for ever: pasta's own check for its namespace's end
            // never fires while its tap device keeps that namespace alive.
            if let Some(p) = netns_pid {
                kill_pastas_of(p);
            }
            process::exit_now(0)
        }
    }
}

/// In hutch-netns, first: tell hutch-netns-lo whom it serves, so that it ends this namespace's
/// pasta if this process is killed (it lives as long as this process, from here on), before
/// anything is asked of it; its end, shared by the loopback relays and the pasta start.
fn host_side_told(maker: OwnedFd) -> Arc<std::sync::Mutex<OwnedFd>> {
    let _ = sock::setsockopt(
        &maker,
        sock::sockopt::ReceiveTimeout,
        &nix::sys::time::TimeVal::new(10, 0),
    );
    let _ = send_msg(&maker, &serde_json::json!({"netns_pid": std::process::id()}), &[]);
    Arc::new(std::sync::Mutex::new(maker))
}

/// In hutch-netns, before its first rules: listen in the shared namespace and relay each
/// connection redirected there (`forward_spec`'s PREROUTING rule) to the host's loopback.
fn host_loopback_serve(maker: Arc<std::sync::Mutex<OwnedFd>>, gw: Ipv4Addr) {
    let Ok(l) = TcpListener::bind("0.0.0.0:0") else { return };
    let Ok(port) = l.local_addr().map(|a| a.port()) else {
        return;
    };
    let _ = HOST_LOOPBACK.set((gw, port));
    std::thread::spawn(move || loop {
        match l.accept() {
            Ok((client, _)) => {
                let maker = maker.clone();
                std::thread::spawn(move || host_loopback_relay(client, &maker, gw));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    });
}

/// One connection redirected to the forwarder: to the host's 127.0.0.1 at the port the
/// container asked for; reset when that port is closed (or the connection was not redirected:
/// one made straight to the listener's own address).
fn host_loopback_relay(client: std::net::TcpStream, maker: &std::sync::Mutex<OwnedFd>, gw: Ipv4Addr) {
    let reset = |c: std::net::TcpStream| {
        let _ = sock::setsockopt(
            &c,
            sock::sockopt::Linger,
            &libc::linger {
                l_onoff: 1,
                l_linger: 0,
            },
        );
    };
    let Ok(dst) = sock::getsockopt(&client, sock::sockopt::OriginalDst) else {
        return reset(client);
    };
    if Ipv4Addr::from(u32::from_be(dst.sin_addr.s_addr)) != gw {
        return reset(client);
    }
    let to = SocketAddrV4::new(Ipv4Addr::LOCALHOST, u16::from_be(dst.sin_port));
    let host = {
        let Ok(m) = maker.lock() else { return reset(client) };
        if send_msg(&m, &serde_json::json!({}), &[]).is_err() {
            return reset(client);
        }
        recv_msg(m.as_raw_fd()).and_then(|(_, mut fds)| fds.pop())
    };
    let Some(host) = host else { return reset(client) };
    if sock::connect(host.as_raw_fd(), &sock::SockaddrIn::from(to)).is_err() {
        return reset(client);
    }
    relay_both(client, std::net::TcpStream::from(host));
}

/// The client's IPv4 address and port when the container can be shown it: not a loopback one
/// (the container cannot answer 127.0.0.1 through its network).
fn client_v4(peer: SocketAddr) -> Option<SocketAddrV4> {
    let v4 = match peer {
        SocketAddr::V4(a) => a,
        SocketAddr::V6(a) => SocketAddrV4::new(a.ip().to_ipv4_mapped()?, a.port()),
    };
    (!v4.ip().is_loopback() && !v4.ip().is_unspecified()).then_some(v4)
}

/// A socket of `kind` bound to the client's address `from` (IP_TRANSPARENT: hutch-netns has
/// CAP_NET_ADMIN in its namespace), so the container sees the real client; None when it
/// cannot be (a loopback client, or the address and port already taken here).
fn transparent_socket(from: Option<SocketAddrV4>, kind: SockType) -> Option<OwnedFd> {
    let from = from?;
    let fd = sock::socket(AddressFamily::Inet, kind, SockFlag::SOCK_CLOEXEC, None).ok()?;
    sock::setsockopt(&fd, sock::sockopt::IpTransparent, &true).ok()?;
    sock::setsockopt(&fd, sock::sockopt::ReuseAddr, &true).ok()?;
    sock::bind(fd.as_raw_fd(), &sock::SockaddrIn::from(from)).ok()?;
    Some(fd)
}

/// A TCP connection to the container's `to`, from the client's address where possible (else
/// from the shared namespace's own: the network's gateway).
fn connect_as(from: Option<SocketAddrV4>, to: SocketAddrV4) -> std::io::Result<std::net::TcpStream> {
    let Some(fd) = transparent_socket(from, SockType::Stream) else {
        return std::net::TcpStream::connect_timeout(&to.into(), Duration::from_secs(5));
    };
    let tv = nix::sys::time::TimeVal::new(5, 0);
    let _ = sock::setsockopt(&fd, sock::sockopt::SendTimeout, &tv);
    sock::connect(fd.as_raw_fd(), &sock::SockaddrIn::from(to)).map_err(std::io::Error::from)?;
    let _ = sock::setsockopt(&fd, sock::sockopt::SendTimeout, &nix::sys::time::TimeVal::new(0, 0));
    Ok(std::net::TcpStream::from(fd))
}

/// A published UDP port: a socket in the shared namespace per client, replies sent back from
/// the host socket.
fn udp_forward(fd: Arc<OwnedFd>, target: PortTarget, stop: Arc<AtomicBool>) {
    let Ok(dup) = fd.try_clone() else { return };
    let host = Arc::new(UdpSocket::from(dup));
    drop(fd);
    // Per client: the socket towards the container, and whether its reply thread still runs
    // (it ends after two idle minutes).
    let mut peers: BTreeMap<SocketAddr, (Arc<UdpSocket>, Arc<AtomicBool>, SocketAddrV4)> = BTreeMap::new();
    let mut buf = vec![0u8; 65536];
    loop {
        let (n, from) = match host.recv_from(&mut buf) {
            Ok(x) => x,
            Err(_) if stop.load(Ordering::SeqCst) => return,
            Err(_) => {
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        if stop.load(Ordering::SeqCst) {
            return;
        }
        // On no network: dropped. Moved to another address: new sockets towards it.
        let Some(to) = target.get() else { continue };
        peers.retain(|_, (_, alive, at)| alive.load(Ordering::SeqCst) && *at == to);
        let peer = match peers.get(&from) {
            Some((p, _, _)) => p.clone(),
            None => {
                let s = match transparent_socket(client_v4(from), SockType::Datagram) {
                    Some(fd) => UdpSocket::from(fd),
                    None => match UdpSocket::bind("0.0.0.0:0") {
                        Ok(s) => s,
                        Err(_) => continue,
                    },
                };
                if s.connect(to).is_err() {
                    continue;
                }
                let s = Arc::new(s);
                let alive = Arc::new(AtomicBool::new(true));
                // The host socket by a weak reference: it closes when this forwarder returns.
                let (back, host2, stop2, alive2) = (s.clone(), Arc::downgrade(&host), stop.clone(), alive.clone());
                std::thread::spawn(move || {
                    let _ = back.set_read_timeout(Some(Duration::from_secs(120)));
                    let mut b = vec![0u8; 65536];
                    loop {
                        match back.recv(&mut b) {
                            Ok(m) => {
                                if stop2.load(Ordering::SeqCst) {
                                    break;
                                }
                                let Some(host) = host2.upgrade() else { break };
                                let _ = host.send_to(&b[..m], from);
                            }
                            // Nothing listened yet (ICMP port unreachable): keep waiting.
                            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {}
                            Err(_) => break,
                        }
                    }
                    alive2.store(false, Ordering::SeqCst);
                });
                peers.insert(from, (s.clone(), alive, to));
                s
            }
        };
        let _ = peer.send(&buf[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_own_line() {
        let h = "127.0.0.1\tlocalhost\n127.0.1.1\tabc web\n192.0.2.1\thost.containers.internal\n";
        assert_eq!(
            own_addresses(h, "abc", &["10.89.0.2"]),
            "127.0.0.1\tlocalhost\n10.89.0.2\tabc web\n192.0.2.1\thost.containers.internal\n"
        );
        // One line per network address, as Podman writes them; back to one, and to 127.0.1.1.
        let two = own_addresses(h, "abc", &["10.89.0.2", "10.90.0.5"]);
        assert_eq!(
            two,
            "127.0.0.1\tlocalhost\n10.89.0.2\tabc web\n10.90.0.5\tabc web\n192.0.2.1\thost.containers.internal\n"
        );
        assert_eq!(
            own_addresses(&two, "abc", &["10.90.0.5"]),
            own_addresses(h, "abc", &["10.90.0.5"])
        );
        assert_eq!(own_addresses(&two, "abc", &[]), h);
        // A base file's line naming the host name stays (and there is no own line then).
        let b = "192.0.2.9\tabc\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n";
        assert_eq!(own_addresses(b, "abc", &["10.89.0.2"]), b);
    }
}
