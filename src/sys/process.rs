//! Processes: clone3 into new namespaces (fork-like, with a pidfd), fork, pidfds, start times,
//! exec, signals, seccomp loading and pre-exec hooks.

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

/// The clone3 syscall with `args` (its result: the child's pid, 0 in the child, or -1).
///
/// # Safety
/// As fork(2) when `args` has no stack: the caller must be single-threaded, and the child
/// continues from here on a copy of the caller's memory.
unsafe fn raw_clone3(args: &mut CloneArgs) -> libc::c_long {
    libc::syscall(
        libc::SYS_clone3,
        args as *mut CloneArgs,
        std::mem::size_of::<CloneArgs>(),
    )
}

/// Fork into the namespaces in `flags` (CLONE_NEW*), like fork(2): the child runs on from here
/// on a copy of the stack. The caller must be single-threaded.
pub fn clone3(flags: libc::c_ulong) -> nix::Result<Forked> {
    let mut pidfd: libc::c_int = -1;
    let mut args = CloneArgs {
        flags: flags as u64 | libc::CLONE_PIDFD as u64,
        pidfd: &mut pidfd as *mut libc::c_int as u64,
        // The kernel refuses an exit signal with CLONE_PARENT; such a child is reaped with __WALL.
        exit_signal: if flags & libc::CLONE_PARENT as libc::c_ulong != 0 {
            0
        } else {
            libc::SIGCHLD as u64
        },
        ..Default::default()
    };
    // SAFETY: clone3 with no stack behaves like fork: the child continues on a copy-on-write
    // copy of this (single-threaded) process. `args` and `pidfd` live across the call.
    let r = unsafe { raw_clone3(&mut args) };
    match Errno::result(r)? {
        0 => Ok(Forked::Child),
        pid => Ok(Forked::Parent(Child {
            pid: Pid::from_raw(pid as i32),
            // SAFETY: the kernel returned a fresh pidfd that nothing else owns.
            pidfd: unsafe { OwnedFd::from_raw_fd(pidfd) },
        })),
    }
}

/// Stack memory of our own (anonymous, private, reserved lazily), unmapped on drop.
struct Stack {
    base: *mut libc::c_void,
    len: usize,
}

impl Stack {
    fn new(len: usize) -> nix::Result<Stack> {
        // SAFETY: a fresh anonymous mapping; nothing else refers to it.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_STACK,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(Errno::last());
        }
        Ok(Stack { base, len })
    }

    /// The top (stacks grow down on every architecture hutch builds for).
    fn top(&self) -> *mut libc::c_void {
        // SAFETY: one past the end of the mapping, which clone(2) expects.
        unsafe { self.base.cast::<u8>().add(self.len).cast() }
    }
}

// SAFETY: a plain memory mapping, owned by this value alone, usable from any thread.
unsafe impl Send for Stack {}

impl Drop for Stack {
    fn drop(&mut self) {
        // SAFETY: our own mapping, no longer used (its users have exited or have copies).
        unsafe { libc::munmap(self.base, self.len) };
    }
}

/// A process in a new user namespace of its own that does nothing until `release` (or this
/// process's death, or drop) ends it: its namespace's id maps can be written (newuidmap) while
/// this process goes on, and the namespace entered later (`clone3_in_userns`). It may also make
/// other namespaces (network, UTS, IPC) owned by that user namespace, on its own CPU time,
/// while this process goes on (`start_with`, `ready`).
pub struct UsernsHolder {
    pub pid: Pid,
    /// Closing it (the only descriptor of the pipe's write end outside the holder) ends it.
    end: Option<OwnedFd>,
    /// A byte on it: the holder made its other namespaces; EOF alone: it could not.
    made: Option<OwnedFd>,
    /// What the holder reads when it starts (in our memory): kept until it has been reaped.
    _args: Box<HoldArgs>,
    /// Its stack, in our memory (it shares it: CLONE_VM): kept until it has been reaped.
    _stack: Stack,
}

/// The holder's descriptors (its copies) and the namespaces it unshares.
struct HoldArgs {
    wait: RawFd,
    end: RawFd,
    made: RawFd,
    unshare: libc::c_int,
}

extern "C" fn hold_userns(arg: *mut libc::c_void) -> libc::c_int {
    // Runs in our memory (CLONE_VM) on its own small stack: raw syscalls only, no errno, no
    // allocation. Its descriptor table is a copy: close its write end, make the namespaces
    // asked for, say so, then wait for EOF.
    // SAFETY: `arg` is the `HoldArgs` its `UsernsHolder` keeps until this process is reaped.
    let a = unsafe { &*(arg as *const HoldArgs) };
    let ok = 1u8;
    // SAFETY: plain syscalls on descriptors this process owns and bytes on its stack.
    unsafe {
        libc::syscall(libc::SYS_close, a.end as libc::c_long);
        if a.unshare == 0 || libc::syscall(libc::SYS_unshare, a.unshare as libc::c_long) == 0 {
            libc::syscall(libc::SYS_write, a.made as libc::c_long, &ok as *const u8, 1usize);
        }
        libc::syscall(libc::SYS_close, a.made as libc::c_long);
        let mut b = 0u8;
        libc::syscall(libc::SYS_read, a.wait as libc::c_long, &mut b as *mut u8, 1usize);
        libc::syscall(libc::SYS_exit, 0);
    }
    0
}

impl UsernsHolder {
    /// Start the holder (its user namespace has no maps yet). It then makes the namespaces
    /// `unshare` names (CLONE_NEW*, not user or mount; 0: none), owned by its user namespace,
    /// without holding this process up: `ready` says when they are made. The caller must be
    /// single-threaded.
    pub fn start_with(unshare: libc::c_int) -> nix::Result<UsernsHolder> {
        let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
        let (made_r, made_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
        let stack = Stack::new(64 * 1024)?;
        let mut args = Box::new(HoldArgs {
            wait: r.as_raw_fd(),
            end: w.as_raw_fd(),
            made: made_w.as_raw_fd(),
            unshare,
        });
        // SAFETY: the child runs `hold_userns` on `stack` with `args` (both alive until it is
        // reaped), sharing our memory but writing nothing of it; CLONE_NEWUSER without
        // CLONE_FS is allowed.
        let pid = unsafe {
            libc::clone(
                hold_userns,
                stack.top(),
                libc::CLONE_VM | libc::CLONE_NEWUSER | libc::SIGCHLD,
                &mut *args as *mut HoldArgs as *mut libc::c_void,
            )
        };
        if pid < 0 {
            return Err(Errno::last());
        }
        drop(r);
        drop(made_w);
        Ok(UsernsHolder {
            pid: Pid::from_raw(pid),
            end: Some(w),
            made: Some(made_r),
            _args: args,
            _stack: stack,
        })
    }

    /// Whether the holder made the namespaces `start_with` asked for (waits until it has).
    pub fn ready(&mut self) -> bool {
        let Some(r) = self.made.take() else {
            return false;
        };
        let mut b = [0u8; 1];
        loop {
            match nix::unistd::read(&r, &mut b) {
                Err(Errno::EINTR) => continue,
                Ok(1) => return true,
                _ => return false,
            }
        }
    }

    /// End the holder and reap it.
    pub fn release(&mut self) {
        if self.end.take().is_some() {
            let _ = nix::sys::wait::waitpid(self.pid, None);
        }
    }
}

impl Drop for UsernsHolder {
    fn drop(&mut self) {
        self.release();
    }
}

/// Like `clone3(flags | CLONE_PARENT)` run from inside the user namespace `userns` (a short
/// vfork-like helper, sharing our memory and descriptors, enters it and clones), leaving this
/// process where it is: the new process is our child (reap it with __WALL: it has no exit
/// signal) in new namespaces owned by `userns`, and runs `run` on a copy of our memory. The
/// caller must be single-threaded. `others`: namespaces owned by `userns` (at most 4) that
/// the new process joins instead of getting new ones (leave their CLONE_NEW* out of `flags`).
pub fn clone3_in_userns<F: FnOnce() -> crate::runtime::child::Never>(
    userns: std::os::fd::BorrowedFd<'_>,
    others: &[std::os::fd::BorrowedFd<'_>],
    flags: libc::c_ulong,
    run: F,
) -> nix::Result<Child> {
    struct Shared<F> {
        userns: RawFd,
        others: [RawFd; 4],
        flags: u64,
        run: Option<F>,
        pid: libc::c_long,
        pidfd: libc::c_int,
        errno: i32,
    }
    extern "C" fn helper<F: FnOnce() -> crate::runtime::child::Never>(arg: *mut libc::c_void) -> libc::c_int {
        // SAFETY: `arg` is the caller's `Shared`, which outlives this helper (the caller is
        // suspended until it exits: CLONE_VFORK); errno is the caller's, unused meanwhile.
        let s = unsafe { &mut *(arg as *mut Shared<F>) };
        if unsafe { libc::setns(s.userns, libc::CLONE_NEWUSER) } != 0 {
            s.errno = Errno::last_raw();
            return 1;
        }
        for fd in s.others.into_iter().filter(|fd| *fd >= 0) {
            // SAFETY: a namespace descriptor the caller holds; 0: of whatever type it is.
            if unsafe { libc::setns(fd, 0) } != 0 {
                s.errno = Errno::last_raw();
                return 1;
            }
        }
        let mut args = CloneArgs {
            flags: s.flags | libc::CLONE_PIDFD as u64 | libc::CLONE_PARENT as u64,
            pidfd: &mut s.pidfd as *mut libc::c_int as u64,
            ..Default::default()
        };
        // SAFETY: as `clone3`: the child goes on, on a copy of this helper's stack and of the
        // caller's memory; `args` lives across the call.
        let r = unsafe { raw_clone3(&mut args) };
        match r {
            #[allow(unreachable_code)]
            0 => match (s.run.take().expect("clone3_in_userns runs once"))() {},
            r if r < 0 => {
                s.errno = Errno::last_raw();
                1
            }
            pid => {
                s.pid = pid;
                0
            }
        }
    }
    if others.len() > 4 {
        return Err(Errno::EINVAL);
    }
    let mut joined = [-1; 4];
    for (to, from) in joined.iter_mut().zip(others) {
        *to = from.as_raw_fd();
    }
    // The new process runs on a copy of this stack: room for anything it does.
    let stack = Stack::new(8 << 20)?;
    let mut shared = Shared {
        userns: userns.as_raw_fd(),
        others: joined,
        flags: flags as u64,
        run: Some(run),
        pid: -1,
        pidfd: -1,
        errno: 0,
    };
    // SAFETY: the helper runs `helper::<F>` on `stack` in our memory while we are suspended
    // (CLONE_VFORK); it shares our descriptor table (CLONE_FILES: the pidfd it gets is ours)
    // but not our fs (setns into a user namespace requires that).
    let helper_pid = unsafe {
        libc::clone(
            helper::<F>,
            stack.top(),
            libc::CLONE_VM | libc::CLONE_VFORK | libc::CLONE_FILES | libc::SIGCHLD,
            &mut shared as *mut Shared<F> as *mut libc::c_void,
        )
    };
    if helper_pid < 0 {
        return Err(Errno::last());
    }
    let _ = nix::sys::wait::waitpid(Pid::from_raw(helper_pid), None);
    if shared.pid <= 0 {
        return Err(Errno::from_raw(if shared.errno == 0 {
            libc::ECHILD
        } else {
            shared.errno
        }));
    }
    Ok(Child {
        pid: Pid::from_raw(shared.pid as i32),
        // SAFETY: the kernel made this pidfd for the helper, in our shared descriptor table.
        pidfd: unsafe { OwnedFd::from_raw_fd(shared.pidfd) },
    })
}

/// A program started by `spawn_exec`; reap it with `waitpid(pid)`. Holds what its start used
/// (its arguments and stack, in our memory) until dropped, which the caller does once the
/// process is reaped.
pub struct Spawned {
    pub pid: Pid,
    _stack: Stack,
    _start: Box<ExecStart>,
    _args: Vec<std::ffi::CString>,
}

/// What a `spawn_exec` child reads before its execve (pointers into `Spawned`'s own data).
struct ExecStart {
    argv: Vec<*const libc::c_char>,
    envp: [*const libc::c_char; 1],
    stdio: [RawFd; 3],
}

// SAFETY: the pointers point into data owned by the same `Spawned`, never changed.
unsafe impl Send for Spawned {}

extern "C" fn exec_start(arg: *mut libc::c_void) -> libc::c_int {
    // Shares our memory (CLONE_VM) until its execve: raw syscalls only, on data the parent
    // keeps until the process is reaped; its descriptor table is its own copy.
    // SAFETY: `arg` is the `ExecStart` of a live `Spawned`.
    let st = unsafe { &*(arg as *const ExecStart) };
    // SAFETY: plain syscalls with valid descriptors and NUL-terminated pointer arrays.
    unsafe {
        for (to, from) in st.stdio.iter().enumerate() {
            libc::syscall(libc::SYS_dup3, *from as libc::c_long, to as libc::c_long, 0);
        }
        libc::syscall(libc::SYS_execve, st.argv[0], st.argv.as_ptr(), st.envp.as_ptr());
        libc::syscall(libc::SYS_exit, 127);
    }
    127
}

/// Start the program `argv[0]` (a path) with `argv`, an empty environment and stdin, stdout
/// and stderr on `stdio` (descriptors above 2), without waiting for its execve: posix_spawn's
/// vfork suspends us for the whole execve (about 1 ms for a setuid program such as
/// newuidmap), while this process shares our memory only until its execve, on a stack of its
/// own. The caller must be single-threaded.
pub fn spawn_exec(argv: &[&str], stdio: [RawFd; 3]) -> nix::Result<Spawned> {
    if argv.is_empty() || stdio.iter().any(|&fd| fd <= 2) {
        return Err(Errno::EINVAL);
    }
    let args: Vec<std::ffi::CString> = argv
        .iter()
        .map(|a| std::ffi::CString::new(*a).map_err(|_| Errno::EINVAL))
        .collect::<nix::Result<_>>()?;
    let mut ptrs: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    let start = Box::new(ExecStart {
        argv: ptrs,
        envp: [std::ptr::null()],
        stdio,
    });
    let stack = Stack::new(64 * 1024)?;
    // SAFETY: the child runs `exec_start` on `stack` with `start`, both kept in the returned
    // `Spawned` (so alive until it is reaped); it touches nothing else of our memory.
    let pid = unsafe {
        libc::clone(
            exec_start,
            stack.top(),
            libc::CLONE_VM | libc::SIGCHLD,
            &*start as *const ExecStart as *mut libc::c_void,
        )
    };
    if pid < 0 {
        return Err(Errno::last());
    }
    Ok(Spawned {
        pid: Pid::from_raw(pid),
        _stack: stack,
        _start: start,
        _args: args,
    })
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
    pidfd_send_signal_raw(pidfd, sig as libc::c_int)
}

/// As `pidfd_send_signal`, for any signal number (real-time signals too, which `Signal` lacks).
pub fn pidfd_send_signal_raw(pidfd: impl AsFd, sig: libc::c_int) -> nix::Result<()> {
    // SAFETY: valid fd, no siginfo.
    let r = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd.as_fd().as_raw_fd(),
            sig,
            std::ptr::null::<u8>(),
            0,
        )
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

/// `execve` that returns the errno (it only returns on failure).
pub fn execve(path: &std::ffi::CStr, argv: &[std::ffi::CString], env: &[std::ffi::CString]) -> Errno {
    match nix::unistd::execve(path, argv, env) {
        Err(e) => e,
        Ok(never) => match never {},
    }
}

/// Leave the process right away (no destructors, no atexit): for forked children.
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit is always safe to call.
    unsafe { libc::_exit(code) }
}

/// Set the process's name as `ps` shows it.
pub fn set_name(name: &str) {
    if let Ok(c) = std::ffi::CString::new(name) {
        let _ = nix::sys::prctl::set_name(&c);
    }
}

/// Make the calling thread background work: `SCHED_BATCH` (it no longer preempts a task that
/// wakes up) at `nice` `delta` above its current value, so that a short command started while
/// it runs (`hutch images`, `ps`, a shell) gets a CPU first. Only this thread: on Linux, nice is
/// per thread. Best effort: a refusal leaves the thread as it was.
pub fn background_thread(delta: i32) {
    // SAFETY: plain syscalls on the calling thread with valid arguments.
    unsafe {
        let tid = libc::gettid() as libc::id_t;
        let param = libc::sched_param { sched_priority: 0 };
        libc::sched_setscheduler(0, libc::SCHED_BATCH, &param);
        *libc::__errno_location() = 0;
        let now = libc::getpriority(libc::PRIO_PROCESS, tid);
        if *libc::__errno_location() == 0 {
            libc::setpriority(libc::PRIO_PROCESS, tid, (now + delta).min(19));
        }
    }
}

/// fork(2): `None` in the child, `Some(pid)` in the parent. The caller must be single-threaded
/// (hutch starts no threads on the paths that fork: tokio lives only inside registry calls).
pub fn fork() -> nix::Result<Option<i32>> {
    // SAFETY: called only from single-threaded code paths, so the child may allocate freely.
    match unsafe { nix::unistd::fork() }? {
        // (Random ids come from the kernel, `digest::random_hex`: nothing to reseed here.)
        nix::unistd::ForkResult::Child => Ok(None),
        nix::unistd::ForkResult::Parent { child } => Ok(Some(child.as_raw())),
    }
}

/// fork(2) of a worker that must not outlive this process: the child gets SIGKILL when this
/// (single-threaded) process dies, however it dies (a `kill -9` of hutch ends its workers too,
/// instead of leaving them holding tmp/ entries and store locks). A child whose parent died
/// before the request took effect exits at once. Same contract as `fork` otherwise.
pub fn fork_tied() -> nix::Result<Option<i32>> {
    let parent = nix::unistd::getpid();
    let forked = fork()?;
    if forked.is_none() && (die_with_parent().is_err() || nix::unistd::getppid() != parent) {
        exit_now(137);
    }
    Ok(forked)
}

/// In a forked child that outlives its caller's interest: a new session (no signal from the
/// caller's terminal), stdin, stdout and stderr on /dev/null (whoever reads the caller's output
/// sees its end when the caller exits).
pub fn detach_from_caller() -> nix::Result<()> {
    nix::unistd::setsid()?;
    let null = nix::fcntl::open("/dev/null", nix::fcntl::OFlag::O_RDWR, nix::sys::stat::Mode::empty())?;
    for fd in 0..3 {
        super::fd::dup_onto(std::os::fd::AsRawFd::as_raw_fd(&null), fd)?;
    }
    Ok(())
}

/// Load a BPF program (an array of `struct sock_filter`) as this thread's seccomp filter.
/// Allocates nothing: it runs in a forked child.
pub fn load_seccomp(prog: &[u8]) -> nix::Result<()> {
    let fprog = libc::sock_fprog {
        len: (prog.len() / 8) as libc::c_ushort,
        filter: prog.as_ptr() as *mut libc::sock_filter,
    };
    // SAFETY: `fprog` points at `prog`, a valid array of len sock_filter entries (8 bytes each),
    // alive for the duration of the call; the kernel copies it.
    let r = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            0,
            &fprog as *const libc::sock_fprog,
        )
    };
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

/// Die at once as `kill -9` would kill us (the fault-injection points, `crate::fault`).
pub fn kill_self() -> ! {
    let _ = nix::sys::signal::raise(Signal::SIGKILL);
    exit_now(137)
}

/// Start `cmd` in a session of its own (no terminal, no process group of the caller's), so
/// that it outlives whoever started it and no signal meant for the caller reaches it.
pub fn pre_exec_setsid(cmd: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: setsid is async-signal-safe and touches no memory.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
}

/// A forked worker that failed: what it wrote on its error channel (empty when it died
/// without a word) and how it ended.
pub struct WorkerFailed {
    pub message: String,
    pub status: String,
}

impl WorkerFailed {
    /// The worker's own message, or `fallback(status)` when it said nothing.
    pub fn message_or(self, fallback: impl FnOnce(&str) -> String) -> String {
        if self.message.is_empty() {
            fallback(&self.status)
        } else {
            self.message
        }
    }
}

/// Run `work` in a forked worker (tied to this process: `fork_tied`) and wait for it: the worker exits 0 when `work` succeeds, or
/// writes `work`'s message on its error channel and exits 1 (read back by `reap_worker`). The
/// outer Err names what could not be made (`pipe: …`, `fork: …`).
pub fn run_worker(work: impl FnOnce() -> Result<(), String>) -> Result<Result<(), WorkerFailed>, String> {
    let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| format!("pipe: {e}"))?;
    match fork_tied().map_err(|e| format!("fork: {e}"))? {
        None => {
            drop(r);
            let code = match work() {
                Ok(()) => 0,
                Err(message) => {
                    let _ = nix::unistd::write(&w, message.as_bytes());
                    1
                }
            };
            exit_now(code)
        }
        Some(pid) => {
            drop(w);
            Ok(reap_worker(pid, &r))
        }
    }
}

/// Wait for a forked worker that reports failure by writing a message on `err_r` (the read end
/// of its error channel) and exiting non-zero: reads the channel to its end, then reaps it.
pub fn reap_worker(pid: i32, err_r: impl AsFd) -> Result<(), WorkerFailed> {
    let msg = super::fd::read_to_eof(err_r);
    let st = nix::sys::wait::waitpid(Pid::from_raw(pid), None);
    if matches!(st, Ok(nix::sys::wait::WaitStatus::Exited(_, 0))) {
        return Ok(());
    }
    Err(WorkerFailed {
        message: String::from_utf8_lossy(&msg).into_owned(),
        status: format!("{st:?}"),
    })
}
