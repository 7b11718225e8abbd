//! `hutch exec`: run a command in a running container.

use crate::cli::ExecArgs;
use crate::container::{self, ExecOptions};
use crate::error::Result;
use crate::store::Store;

pub fn run(a: ExecArgs) -> Result<i32> {
    let command = super::utf8_args(&a.command)?;
    let store = Store::open()?;
    let idx = store.load_containers()?;
    let rec = idx.containers[idx.resolve(&a.container)?].clone();
    let o = ExecOptions {
        command,
        env: a.env.clone(),
        user: a.user.clone(),
        workdir: a.workdir.clone(),
        tty: a.tty,
        interactive: a.interactive,
        detach: a.detach,
    };
    container::exec(&store, &rec, o)
}
