//! `hutch exec`: run a command in a running container.

use crate::cli::ExecArgs;
use crate::container;
use crate::error::Result;
use crate::runtime::child::{ExecParams, Privs};
use crate::runtime::exec::{self, ExecRequest};
use crate::runtime::state::{self, Status};
use crate::store::Store;

pub fn run(a: ExecArgs) -> Result<i32> {
    let command = super::utf8_args(&a.command)?;
    let store = Store::open()?;
    let idx = store.load_containers()?;
    let rec = idx.containers[idx.resolve(&a.container)?].clone();
    let (st, _, live) = state::status(&store, &rec);
    let pidfd = match (st, live.as_ref().and_then(state::open_process)) {
        (Status::Running { .. }, Some(fd)) => fd,
        _ => crate::bail!("container {} is not running: can only exec into a running container", rec.name),
    };
    let spec = &rec.spec;
    let mut env = spec.env.clone();
    crate::spec::add_env(&mut env, a.env.iter(), &|k| std::env::var(k).ok())?;
    let params = ExecParams {
        args: command,
        env,
        user: a.user.clone().unwrap_or_else(|| spec.user.clone()),
        workdir: a.workdir.clone().unwrap_or_else(|| spec.workdir.clone()),
        caps: spec.caps.clone(),
        no_new_privileges: spec.no_new_privileges,
        create_workdir: false,
    };
    let (seccomp, new_userns, can_setgroups) = container::privileges(&rec)?;
    let req = ExecRequest {
        pidfd,
        params,
        privs: Privs { seccomp: seccomp.as_ref(), new_userns, can_setgroups, die_with_parent: false },
        tty: a.tty,
        interactive: a.interactive,
        detach: a.detach,
    };
    let signals = crate::runtime::session::block_signals();
    let started = exec::spawn(&req)?;
    if a.detach {
        return Ok(0);
    }
    Ok(crate::runtime::session::run(&started, signals, a.interactive))
}
