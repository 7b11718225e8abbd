//! Starting a created container: in the foreground (stdio connected, signals forwarded, the
//! exit code returned) or under a monitor (`-d`).

use super::{lifecycle::remove_exited, plan};
use crate::error::Result;
use crate::runtime::state::Recorder;
use crate::runtime::{self, StdioMode};
use crate::store::containers::ContainerRecord;
use crate::store::Store;

/// Run in the foreground: stdio connected (output also to the container's log), signals
/// forwarded; removed afterwards with --rm. Returns the exit code.
pub fn run_foreground(store: &Store, rec: &ContainerRecord) -> Result<i32> {
    crate::output::trace("created");
    crate::runtime::state::clear_stopped_by_user(&rec.id);
    let plan = plan(store, rec)?;
    crate::output::trace("planned");
    let signals = runtime::session::block_signals();
    let (stdio, relay) = if rec.spec.tty {
        (StdioMode::Tty, None)
    } else {
        // --attach: stdout and stderr apart, so that one can be shown without the other.
        let split = !rec.spec.attach.is_empty();
        let (s, mut r) = runtime::session::pipes_split(rec.spec.interactive, split)?;
        if split {
            let has = |x: &str| rec.spec.attach.iter().any(|s| s == x);
            r.show(has("stdout"), has("stderr"));
        }
        (s, Some(r))
    };
    let mut started = runtime::spawn(&plan, &stdio)?;
    // The container's ends of its pipes are the container's alone (their EOF is its exit).
    drop(stdio);
    let recorder = Recorder::started(store, &rec.id, !rec.spec.auto_remove, &started)?;
    crate::output::trace("state written");
    crate::events::of_each(&["init", "start", "attach"], rec);
    // Opened once the container runs, so that its start waits for nothing more.
    let log_path = plan.container_dir.join("ctr.log");
    let log = if !rec.spec.logged() {
        None
    } else {
        match std::fs::OpenOptions::new().create(true).append(true).open(&log_path) {
            Ok(f) => Some(runtime::monitor::Logger::new(f, rec.spec.log_size_max)),
            Err(e) => {
                crate::output::note(&format!(
                    "the container's output is not logged: opening {}: {e}",
                    log_path.display()
                ));
                None
            }
        }
    };
    let deadline = (rec.spec.timeout > 0)
        .then(|| std::time::Instant::now() + std::time::Duration::from_secs(rec.spec.timeout.into()));
    let code = runtime::session::run(&started, signals, rec.spec.interactive, relay, log, deadline);
    drop(started.net.take());
    // The container's mount namespace, still whole: with --rm, the detached cleanup closes it
    // (so its teardown is not between the exit and hutch's exit status); else it goes here.
    let held = started.mnt_ns.take();
    drop(started.shared.take());
    crate::output::trace("exited");
    // Before the exit is recorded: whoever waits for that record (stop, wait) comes after it.
    crate::events::died(&rec.id, &rec.name, &rec.image_name, &rec.spec.labels, code);
    recorder.exited(code);
    crate::output::trace("exit recorded");
    if let Some(pod) = &rec.spec.pod {
        crate::pod::member_exited(store, pod, &rec.id);
    }
    if rec.spec.auto_remove {
        remove_exited(store, rec, held)?;
        crate::output::trace("removed");
    }
    Ok(code)
}

/// Start under a monitor and return once the container runs.
pub fn start_detached(store: &Store, rec: &ContainerRecord) -> Result<()> {
    let plan = plan(store, rec)?;
    // A start by hand: the restart policy applies again (and a monitor still waiting to
    // restart an earlier run gives way, see runtime::monitor).
    let lock = crate::runtime::state::start_lock(&rec.id)?;
    if crate::runtime::state::running_now(&rec.id) {
        // Started meanwhile (by its restart policy, or another start).
        return Ok(());
    }
    crate::runtime::state::clear_stopped_by_user(&rec.id);
    // The monitor holds the lock too, until it has recorded the start: if this process is
    // killed meanwhile, an `rm` still waits for that record, and stops what it started.
    runtime::monitor::start_detached(&plan, &lock)?;
    crate::events::of_each(&["init", "start"], rec);
    Ok(())
}
