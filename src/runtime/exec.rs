//! `hutch exec`: a new process inside a running container. hutch joins the container's pid
//! namespace for its children only, clones, and the child joins the user, mount, uts, ipc and
//! net namespaces through the container's pidfd in one setns call, then drops privileges the
//! way the container's first process did. The child is not dumpable until execve, so nothing
//! in the container can open hutch's binary through /proc/PID/exe (CVE-2019-5736).

use std::os::fd::{AsFd, OwnedFd};

use super::child::{self, ExecParams, Fail, Privs};
use super::{Channel, Started, StdioMode};
use crate::error::Result;
use crate::sys::process::{self, Forked};

pub struct ExecRequest<'a> {
    pub pidfd: OwnedFd,
    pub params: ExecParams,
    pub privs: Privs<'a>,
    pub tty: bool,
    pub interactive: bool,
    pub detach: bool,
    /// --network host: the process stays in hutch's network namespace, the host's, which it
    /// could not enter from the container's user namespace.
    pub host_network: bool,
}

/// Start the process; returns once it has exec'd, with the session's ends of its pipes when it
/// runs in the foreground without a terminal.
pub fn spawn(req: &ExecRequest) -> Result<(Started, Option<super::session::Relay>)> {
    let (stdio, relay) = if req.detach {
        let null = |m| {
            nix::fcntl::open(
                "/dev/null",
                m | nix::fcntl::OFlag::O_CLOEXEC,
                nix::sys::stat::Mode::empty(),
            )
            .map_err(|e| crate::err!("/dev/null: {e}"))
        };
        (
            StdioMode::Pipes {
                stdin: None,
                out: null(nix::fcntl::OFlag::O_WRONLY)?,
                err: null(nix::fcntl::OFlag::O_WRONLY)?,
            },
            None,
        )
    } else if req.tty {
        (StdioMode::Tty, None)
    } else {
        let (s, r) = super::session::pipes(req.interactive)?;
        (s, Some(r))
    };
    let started = via_helper(
        |sync| match helper_main(req, sync, &stdio) {},
        false,
        "the exec process",
        "the exec helper exited without starting the process",
    )?;
    Ok((started, relay))
}

/// Start a process through a short-lived helper (`exec`, and a container joining another's
/// network namespace). Joining a pid namespace, or a namespace of a user namespace hutch is
/// not in, needs CAP_SYS_ADMIN in our own user namespace too, which hutch lacks on the host;
/// so a forked helper (`helper`, ending in `clone_parent`) joins the namespaces and clones the
/// process with CLONE_PARENT: it is hutch's child. `go`: send the process its "go" at once
/// (a container's first process waits for one). Returns once the process has exec'd.
pub fn via_helper(helper: impl FnOnce(Channel), go: bool, what: &str, vanished: &str) -> Result<Started> {
    let (parent, helper_pid) = fork_helper(helper, what)?;
    if go {
        parent.go();
    }
    let got = parent.collect();
    let (tty, target, mnt_ns, result) = (got.tty, got.started, got.mnt_ns, got.result);
    let _ = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(helper_pid), None);
    let Some((pid, pidfd)) = target else {
        return Err(result.err().unwrap_or_else(|| crate::err!("{vanished}")));
    };
    let child = process::Child {
        pid: nix::unistd::Pid::from_raw(pid),
        pidfd,
    };
    if let Err(e) = result {
        let _ = nix::sys::wait::waitpid(child.pid, Some(nix::sys::wait::WaitPidFlag::__WALL));
        return Err(e);
    }
    let start_time = process::start_time(pid).unwrap_or(0);
    crate::output::trace("exec'd");
    Ok(Started {
        child,
        start_time,
        tty,
        net: None,
        mnt_ns,
        shared: None,
    })
}

/// Fork the helper (not dumpable: it will enter a container's namespaces); returns our end
/// of its channel and its pid, for the caller to reap.
pub fn fork_helper(helper: impl FnOnce(Channel), what: &str) -> Result<(Channel, i32)> {
    let (parent, child_end) = Channel::pair()?;
    match process::fork().map_err(|e| crate::err!("starting {what}: {e}"))? {
        None => {
            drop(parent);
            let _ = nix::sys::prctl::set_dumpable(false);
            // The helper exits (clone_parent) rather than return.
            helper(child_end);
            process::exit_now(1)
        }
        Some(pid) => Ok((parent, pid)),
    }
}

/// In a `via_helper` helper, once it is in the namespaces: clone the process (new namespaces
/// `flags`, and CLONE_PARENT), report its pid and pidfd, and exit; the process runs `run`.
/// `failing`: what a failed clone was doing.
pub fn clone_parent(
    sync: Channel,
    flags: libc::c_int,
    failing: &str,
    run: impl FnOnce(Channel) -> child::Never,
) -> child::Never {
    clone_sibling(sync, flags, failing, run);
    process::exit_now(0)
}

/// `clone_parent` that goes on in the helper once the process is reported (its channel back).
pub fn clone_sibling(
    sync: Channel,
    flags: libc::c_int,
    failing: &str,
    run: impl FnOnce(Channel) -> child::Never,
) -> Channel {
    match process::clone3((flags | libc::CLONE_PARENT) as libc::c_ulong) {
        Err(e) => {
            sync.send_error(125, &format!("{failing}: {}", e.desc()));
            process::exit_now(1)
        }
        Ok(Forked::Parent(c)) => {
            sync.send_pid(c.pid.as_raw(), &c.pidfd);
            // A new mount namespace, held for hutch as `spawn` holds its container's (opened
            // here, at once: the process may run and exit before hutch reads its pid).
            if flags & libc::CLONE_NEWNS != 0 {
                if let Some(ns) = super::hold_mnt_ns(c.pid) {
                    sync.send_mnt_ns(&ns);
                }
            }
            sync
        }
        // `run` never returns (its type says so: the match has no arm to reach).
        #[allow(unreachable_code)]
        Ok(Forked::Child) => match run(sync) {},
    }
}

fn helper_main(req: &ExecRequest, sync: Channel, stdio: &StdioMode) -> child::Never {
    use nix::sched::CloneFlags as F;
    let mut flags = F::CLONE_NEWNS | F::CLONE_NEWUTS | F::CLONE_NEWIPC | F::CLONE_NEWPID;
    if !req.host_network {
        flags |= F::CLONE_NEWNET;
    }
    if req.privs.new_userns {
        flags |= F::CLONE_NEWUSER;
    }
    if let Err(e) = nix::sched::setns(req.pidfd.as_fd(), flags) {
        sync.send_error(125, &format!("joining the container's namespaces: {}", e.desc()));
        process::exit_now(1);
    }
    clone_parent(sync, 0, "starting the exec process", |sync| {
        let Fail(code, msg) = match exec_now(req, &sync, stdio) {
            Ok(never) => match never {},
            Err(f) => f,
        };
        sync.send_error(code, &msg);
        process::exit_now(1)
    })
}

fn exec_now(req: &ExecRequest, sync: &Channel, stdio: &StdioMode) -> std::result::Result<child::Never, Fail> {
    let slave = if req.tty && !req.detach {
        let root = crate::sys::fs::open_dir(std::path::Path::new("/"))
            .map_err(|e| Fail(125, format!("opening /: {}", e.desc())))?;
        Some(child::open_pty(&root, sync)?)
    } else {
        None
    };
    child::exec_in_container(&req.privs, &req.params, slave, stdio, sync)
}
