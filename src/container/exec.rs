//! `exec`: a new process in a running container's namespaces, with the container's
//! capabilities, seccomp filter and id maps.

use super::privileges;
use crate::error::Result;
use crate::runtime::child::{ExecParams, Privs};
use crate::runtime::exec::{self as rexec, ExecRequest};
use crate::runtime::state::{self, Status};
use crate::store::containers::ContainerRecord;
use crate::store::Store;

/// What `exec` was asked for, on top of the container's own settings.
pub struct ExecOptions {
    pub command: Vec<String>,
    /// -e entries (`KEY=VALUE`, or `KEY` to copy the caller's value).
    pub env: Vec<String>,
    pub user: Option<String>,
    pub workdir: Option<String>,
    pub tty: bool,
    pub interactive: bool,
    pub detach: bool,
}

/// Run the process; returns its exit code (0 at once with `detach`).
pub fn exec(store: &Store, rec: &ContainerRecord, o: ExecOptions) -> Result<i32> {
    let (st, _, live) = state::status(store, rec);
    let pidfd = match (st, live.as_ref().and_then(state::open_process)) {
        (Status::Running { .. }, Some(fd)) => fd,
        _ => crate::bail!(
            "container {} is not running: can only exec into a running container",
            rec.name
        ),
    };
    let spec = &rec.spec;
    let mut env = spec.env.clone();
    crate::spec::add_env(&mut env, o.env.iter(), &|k| std::env::var(k).ok())?;
    let params = ExecParams {
        args: o.command,
        env,
        user: o.user.unwrap_or_else(|| spec.user.clone()),
        workdir: o.workdir.unwrap_or_else(|| spec.workdir.clone()),
        caps: spec.caps.clone(),
        no_new_privileges: spec.no_new_privileges,
        create_workdir: false,
        ulimits: spec.ulimits.clone(),
        preserve_fds: 0,
        group_add: spec.group_add.clone(),
    };
    let (seccomp, new_userns, can_setgroups) = privileges(rec)?;
    let req = ExecRequest {
        pidfd,
        params,
        privs: Privs {
            seccomp: seccomp.as_ref(),
            new_userns,
            can_setgroups,
            die_with_parent: false,
        },
        tty: o.tty,
        interactive: o.interactive,
        detach: o.detach,
        host_network: spec.network == crate::spec::network::Mode::Host,
    };
    let signals = crate::runtime::session::block_signals();
    let (started, relay) = rexec::spawn(&req)?;
    crate::events::of("exec", rec);
    if o.detach {
        return Ok(0);
    }
    Ok(crate::runtime::session::run(
        &started,
        signals,
        o.interactive,
        relay,
        None,
        None,
    ))
}
