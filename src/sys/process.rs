//! Processes: clone3 into new namespaces (fork-like, with a pidfd), pidfds, start times, fds.

use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};

use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::unistd::Pid;

/// A child process, held by pid and pidfd (never by a bare pid).
#[derive(Debug)]
pub struct Child {
    pub pid: Pid,
    pub pidfd: OwnedFd,
}

pub enum Forked {
    Parent(Child),
    Child,
}

#[repr(C)]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
}

/// Fork into the namespaces in `flags` (CLONE_NEW*), like fork(2): the child runs on from here
/// on a copy of the stack. The caller must be single-threaded.
pub fn clone3(flags: libc::c_ulong) -> nix::Result<Forked> {
    let mut pidfd: libc::c_int = -1;
    let mut args = CloneArgs {
        flags: flags as u64 | libc::CLONE_PIDFD as u64,
        pidfd: &mut pidfd as *mut libc::c_int as u64,
        // The kernel refuses an exit signal with CLONE_PARENT; such a child is reaped with __WALL.
        exit_signal: if flags & libc::CLONE_PARENT as libc::c_ulong != 0 { 0 } else { libc::SIGCHLD as u64 },
        ..Default::default()
    };
    // SAFETY: clone3 with no stack behaves like fork: the child continues on a copy-on-write
    // copy of this (single-threaded) process. `args` and `pidfd` live across the call.
    let r = unsafe { libc::syscall(libc::SYS_clone3, &mut args as *mut CloneArgs, std::mem::size_of::<CloneArgs>()) };
    match Errno::result(r)? {
        0 => Ok(Forked::Child),
        pid => Ok(Forked::Parent(Child {
            pid: Pid::from_raw(pid as i32),
            // SAFETY: the kernel returned a fresh pidfd that nothing else owns.
            pidfd: unsafe { OwnedFd::from_raw_fd(pidfd) },
        })),
    }
}

/// A pidfd for `pid` (which must be checked against its start time by the caller).
pub fn pidfd_open(pid: Pid) -> nix::Result<OwnedFd> {
    // SAFETY: integer arguments; the returned fd is owned by us.
    let r = unsafe { libc::syscall(libc::SYS_pidfd_open, pid.as_raw(), 0) };
    let fd = Errno::result(r)? as RawFd;
    // SAFETY: fresh fd from the kernel.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Signal the process a pidfd refers to (no pid-reuse race).
pub fn pidfd_send_signal(pidfd: impl AsFd, sig: Signal) -> nix::Result<()> {
    // SAFETY: valid fd, no siginfo.
    let r = unsafe {
        libc::syscall(libc::SYS_pidfd_send_signal, pidfd.as_fd().as_raw_fd(), sig as libc::c_int, std::ptr::null::<u8>(), 0)
    };
    Errno::result(r).map(drop)
}

/// The start time of `pid` in clock ticks since boot (field 22 of /proc/PID/stat), so that a
/// stored pid is only ever matched together with it.
pub fn start_time(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    after.split(' ').nth(19)?.parse().ok()
}

/// Whether `pid` is alive and is the process that started at `start`.
pub fn is_same_process(pid: i32, start: u64) -> bool {
    pid > 0 && start_time(pid) == Some(start)
}

/// Mark every fd from `from` upwards close-on-exec, so nothing of hutch leaks into a container.
pub fn cloexec_from(from: u32) -> nix::Result<()> {
    // SAFETY: integer arguments only.
    let r = unsafe { libc::syscall(libc::SYS_close_range, from, u32::MAX, libc::CLOSE_RANGE_CLOEXEC) };
    Errno::result(r).map(drop)
}

/// `execve` that returns the errno (it only returns on failure).
pub fn execve(path: &std::ffi::CStr, argv: &[std::ffi::CString], env: &[std::ffi::CString]) -> Errno {
    match nix::unistd::execve(path, argv, env) {
        Err(e) => e,
        Ok(never) => match never {},
    }
}

/// Bring the loopback interface of the current network namespace up.
pub fn loopback_up() -> nix::Result<()> {
    // SAFETY: a plain socket; closed by OwnedFd.
    let s = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    let s = Errno::result(s)?;
    // SAFETY: fresh fd.
    let sock = unsafe { OwnedFd::from_raw_fd(s) };
    // SAFETY: ifreq is plain old data; zeroed is a valid value.
    let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
    for (i, b) in b"lo".iter().enumerate() {
        ifr.ifr_name[i] = *b as libc::c_char;
    }
    // SAFETY: ioctl on our socket with a valid ifreq.
    Errno::result(unsafe { libc::ioctl(sock.as_raw_fd(), libc::SIOCGIFFLAGS, &mut ifr) })?;
    // SAFETY: the union member written by SIOCGIFFLAGS.
    unsafe { ifr.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short };
    // SAFETY: as above.
    Errno::result(unsafe { libc::ioctl(sock.as_raw_fd(), libc::SIOCSIFFLAGS, &ifr) }).map(drop)
}

/// Make the calling process a session leader with `fd` (a tty) as its controlling terminal.
pub fn set_controlling_tty(fd: RawFd) -> nix::Result<()> {
    nix::unistd::setsid()?;
    // SAFETY: ioctl with an integer argument on a valid fd.
    Errno::result(unsafe { libc::ioctl(fd, libc::TIOCSCTTY, 0) }).map(drop)
}

/// Set the window size of a terminal.
pub fn set_winsize(fd: RawFd, ws: &libc::winsize) -> nix::Result<()> {
    // SAFETY: valid pointer to a winsize.
    Errno::result(unsafe { libc::ioctl(fd, libc::TIOCSWINSZ, ws as *const libc::winsize) }).map(drop)
}

/// The window size of a terminal.
pub fn get_winsize(fd: RawFd) -> Option<libc::winsize> {
    // SAFETY: winsize is plain data; ioctl fills it.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointer.
    let r = unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws as *mut libc::winsize) };
    (r == 0).then_some(ws)
}

/// Leave the process right away (no destructors, no atexit): for forked children.
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit is always safe to call.
    unsafe { libc::_exit(code) }
}

/// Replace fd `to` with `from`.
pub fn dup_onto(from: RawFd, to: RawFd) -> nix::Result<()> {
    // SAFETY: dup2 on raw fds; `to` is one of 0/1/2 which we mean to replace.
    Errno::result(unsafe { libc::dup2(from, to) }).map(drop)
}

/// Set the process's name as `ps` shows it.
pub fn set_name(name: &str) {
    if let Ok(c) = std::ffi::CString::new(name) {
        let _ = nix::sys::prctl::set_name(&c);
    }
}

/// fork(2): `None` in the child, `Some(pid)` in the parent. The caller must be single-threaded
/// (hutch starts no threads on the paths that fork: tokio lives only inside registry calls).
pub fn fork() -> nix::Result<Option<i32>> {
    // SAFETY: called only from single-threaded code paths, so the child may allocate freely.
    match unsafe { nix::unistd::fork() }? {
        nix::unistd::ForkResult::Child => Ok(None),
        nix::unistd::ForkResult::Parent { child } => Ok(Some(child.as_raw())),
    }
}

/// Give back the pages of the main thread's stack below the current frame: a forked monitor
/// inherits whatever depth the CLI once reached, and never goes that deep again.
pub fn release_unused_stack() {
    let marker = 0u8;
    let sp = std::ptr::addr_of!(marker) as usize;
    let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else { return };
    let Some(line) = maps.lines().find(|l| l.ends_with("[stack]")) else { return };
    let Some((lo, _)) = line.split_once('-') else { return };
    let Ok(lo) = usize::from_str_radix(lo, 16) else { return };
    // Keep a generous margin below the current frame for the calls still to come.
    let keep_below = 16 * 1024;
    let end = (sp.saturating_sub(keep_below)) & !4095;
    if end > lo {
        // SAFETY: [lo, end) is stack memory no live frame uses (it lies well below the current
        // stack pointer, and the monitor runs no signal handlers on this stack); the kernel
        // hands back zero pages if it is ever touched again.
        unsafe { libc::madvise(lo as *mut libc::c_void, end - lo, libc::MADV_DONTNEED) };
    }
}

/// Load a BPF program (an array of `struct sock_filter`) as this thread's seccomp filter.
/// Allocates nothing: it runs in a forked child.
pub fn load_seccomp(prog: &[u8]) -> nix::Result<()> {
    let fprog = libc::sock_fprog { len: (prog.len() / 8) as libc::c_ushort, filter: prog.as_ptr() as *mut libc::sock_filter };
    // SAFETY: `fprog` points at `prog`, a valid array of len sock_filter entries (8 bytes each),
    // alive for the duration of the call; the kernel copies it.
    let r = unsafe { libc::syscall(libc::SYS_seccomp, libc::SECCOMP_SET_MODE_FILTER, 0, &fprog as *const libc::sock_fprog) };
    Errno::result(r).map(drop)
}

/// Make `cmd` chroot into `root` and chdir to `cwd` (a path inside `root`, given as it is seen
/// from the current root, which `root` mirrors) just before it execs.
pub fn pre_exec_chroot(cmd: &mut std::process::Command, root: std::path::PathBuf, cwd: std::path::PathBuf) {
    use std::os::unix::process::CommandExt;
    let root = std::ffi::CString::new(root.into_os_string().into_encoded_bytes()).unwrap_or_default();
    let cwd = std::ffi::CString::new(cwd.into_os_string().into_encoded_bytes()).unwrap_or_default();
    // SAFETY: the closure runs in the forked child before exec and only makes two syscalls on
    // strings allocated before the fork.
    unsafe {
        cmd.pre_exec(move || {
            if libc::chroot(root.as_ptr()) != 0 || libc::chdir(cwd.as_ptr()) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Tie the process `cmd` starts to this one: it gets SIGKILL when this (single-threaded)
/// process dies, however it dies; and it inherits the fds in `keep` (which are close-on-exec
/// here, so no other child sees them).
pub fn pre_exec_tie(cmd: &mut std::process::Command, keep: Vec<RawFd>) {
    use std::os::unix::process::CommandExt;
    let parent = nix::unistd::getpid().as_raw();
    // SAFETY: the closure runs in the forked child before exec and only makes syscalls (prctl,
    // getppid, fcntl) on values copied before the fork; it allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before the prctl took effect.
            if libc::getppid() != parent {
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
            }
            for fd in &keep {
                if libc::fcntl(*fd, libc::F_SETFD, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
}

/// Ask the kernel to SIGKILL this process when its parent dies (kept across execve unless
/// the credentials change afterwards).
pub fn die_with_parent() -> nix::Result<()> {
    nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)
}

/// Everything a pipe delivers until its last writer closes it (or an error).
pub fn read_to_eof(fd: impl AsFd) -> Vec<u8> {
    let mut out = Vec::new();
    let mut chunk = [0u8; 4096];
    while let Ok(n) = nix::unistd::read(fd.as_fd(), &mut chunk) {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&chunk[..n]);
    }
    out
}

/// Take ownership of a raw fd that was handed to this process (inherited across exec at a
/// known number, or received with SCM_RIGHTS) and that nothing else owns.
pub fn adopt_fd(fd: RawFd) -> OwnedFd {
    // SAFETY: by contract the fd is open and owned by nobody else in this process.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// Return free heap memory to the system (glibc keeps it otherwise).
pub fn trim_heap() {
    // SAFETY: malloc_trim only releases free memory.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Default dispositions for `signals` and an empty signal mask, before exec.
pub fn reset_signals(signals: &[Signal]) {
    use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, SigmaskHow};
    let dfl = SigAction::new(SigHandler::SigDfl, SaFlags::empty(), SigSet::empty());
    for s in signals {
        // SAFETY: resetting to the default disposition installs no handler.
        let _ = unsafe { sigaction(*s, &dfl) };
    }
    let _ = nix::sys::signal::sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None);
}

/// The type (CLONE_NEW*) of the namespace behind `fd` (ioctl NS_GET_NSTYPE).
pub fn ns_type(fd: &OwnedFd) -> nix::Result<i32> {
    // SAFETY: an argument-less ioctl on a valid fd.
    Errno::result(unsafe { libc::ioctl(fd.as_raw_fd(), 0xb703) })
}

/// The user namespace that owns the namespace behind `fd` (ioctl NS_GET_USERNS).
pub fn ns_owner(fd: &OwnedFd) -> nix::Result<OwnedFd> {
    // SAFETY: as above; the result is a new fd we own.
    Errno::result(unsafe { libc::ioctl(fd.as_raw_fd(), 0xb701) }).map(adopt_fd)
}
