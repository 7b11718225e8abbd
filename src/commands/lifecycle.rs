//! `hutch stop`, `kill`, `restart`, `wait`, `rm`: per item; a missing container fails only itself.

use crate::cli::{KillArgs, RmArgs, StopArgs, WaitArgs};
use crate::container;
use crate::container::Status;
use crate::error::{Class, Result};
use crate::output::{error, out};
use crate::store::containers::ContainerRecord;
use crate::store::Store;

fn targets(
    store: &Store,
    names: &[String],
    all: bool,
    running_only: bool,
) -> Result<Vec<(String, Result<ContainerRecord>)>> {
    let idx = store.load_containers()?;
    if all {
        // As Podman: --all reports each container by its full id.
        return Ok(idx
            .containers
            .iter()
            .filter(|c| !running_only || matches!(crate::container::status(store, c).0, Status::Running { .. }))
            .map(|c| (c.id.clone(), Ok(c.clone())))
            .collect());
    }
    Ok(names
        .iter()
        .map(|n| (n.clone(), idx.resolve(n).map(|i| idx.containers[i].clone())))
        .collect())
}

/// Run `f` on each item, printing its line (or what the user named it by) or its error;
/// returns the classes of the items that failed.
fn each(
    items: Vec<(String, Result<ContainerRecord>)>,
    mut f: impl FnMut(&ContainerRecord) -> Result<Option<String>>,
) -> Vec<Class> {
    let mut failed = Vec::new();
    for (what, rec) in items {
        match rec.and_then(|r| f(&r)) {
            Ok(Some(line)) => out(&format!("{line}\n")),
            Ok(None) => out(&format!("{what}\n")),
            Err(e) => {
                error(&e.message);
                failed.push(e.class);
            }
        }
    }
    failed
}

/// 0, or 125 when any item failed.
fn status(failed: &[Class]) -> i32 {
    if failed.is_empty() {
        0
    } else {
        125
    }
}

pub fn stop(a: StopArgs) -> Result<i32> {
    let store = Store::open()?;
    let mut items = targets(&store, &a.containers, a.all, true)?;
    if a.ignore {
        items.retain(|(_, r)| !matches!(r, Err(e) if e.class == Class::NoSuchObject));
    }
    Ok(status(&each(items, |r| {
        container::stop(&store, r, a.time.unwrap_or(r.spec.stop_timeout)).map(|()| None)
    })))
}

pub fn restart(a: StopArgs) -> Result<i32> {
    let store = Store::open()?;
    let mut items = targets(&store, &a.containers, a.all, false)?;
    if a.ignore {
        items.retain(|(_, r)| !matches!(r, Err(e) if e.class == Class::NoSuchObject));
    }
    Ok(status(&each(items, |r| {
        container::stop(&store, r, a.time.unwrap_or(r.spec.stop_timeout))?;
        container::start_detached(&store, r)?;
        Ok(None)
    })))
}

pub fn kill(a: KillArgs) -> Result<i32> {
    let sig = crate::spec::signal::parse_signal(&a.signal)?;
    let store = Store::open()?;
    let items = targets(&store, &a.containers, a.all, true)?;
    Ok(status(&each(items, |r| container::kill(&store, r, sig).map(|()| None))))
}

pub fn wait(a: WaitArgs) -> Result<i32> {
    let store = Store::open()?;
    let items = targets(&store, &a.containers, false, false)?;
    // --condition running/created/configured: wait for that state and print -1, as Podman.
    let until_exit = a.condition.is_empty() || a.condition.iter().any(|c| c == "exited" || c == "stopped");
    let until_created = a.condition.iter().any(|c| c == "created" || c == "configured");
    Ok(status(&each(items, |r| {
        if until_exit || until_created {
            if until_created && !until_exit {
                return Ok(Some("-1".to_string()));
            }
            return container::wait(&store, r).map(|c| Some(c.to_string()));
        }
        loop {
            match container::status(&store, r).0 {
                Status::Running { .. } => return Ok(Some("-1".to_string())),
                _ => std::thread::sleep(std::time::Duration::from_millis(100)),
            }
        }
    })))
}

pub fn rm(a: RmArgs) -> Result<i32> {
    if a.latest && !a.containers.is_empty() {
        // Podman's words.
        crate::bail!("--latest and containers cannot be used together");
    }
    if a.latest && a.all {
        crate::bail!("--all and --latest cannot be used together");
    }
    let store = Store::open()?;
    let mut names = a.containers.clone();
    if a.latest {
        names.push(super::latest_container(&store)?);
    }
    for f in &a.cidfile {
        match std::fs::read_to_string(f) {
            Ok(id) => names.push(id.trim().to_string()),
            // As Podman: --ignore also passes over a cidfile that is gone.
            Err(e) if a.ignore && e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => crate::bail!("reading cidfile {}: {e}", f.display()),
        }
    }
    let mut items = targets(&store, &names, a.all, false)?;
    // As Podman: with -f or --ignore, a container that does not exist is no error.
    if a.force || a.ignore {
        items.retain(|(_, r)| !matches!(r, Err(e) if e.class == Class::NoSuchObject));
    }
    let mut items = with_dependents(&store, items, a.depend)?;
    // Stop everything first: once in the user namespace (which removal may enter), hutch may
    // no longer signal them.
    // A pod's infra container goes with its pod (`pod rm`); --all passes over it.
    let infra_of = |r: &Result<ContainerRecord>| r.as_ref().ok().and_then(|r| crate::pod::infra_of(&store, &r.id));
    // kube play's service containers go with their pods too.
    let service_of = |r: &Result<ContainerRecord>| {
        r.as_ref()
            .ok()
            .map(|r| crate::pod::service_of(&store, &r.id))
            .unwrap_or_default()
    };
    if a.all {
        items.retain(|(_, r)| infra_of(r).is_none() && service_of(r).is_empty());
    }
    // With --depend, an infra container takes its pod (every container in it), as Podman's.
    let mut depend_pods: Vec<crate::store::pods::PodRecord> = Vec::new();
    if a.depend {
        items.retain(|(_, r)| match infra_of(r) {
            Some(p) => {
                if !depend_pods.iter().any(|x| x.id == p.id) {
                    depend_pods.push(p);
                }
                false
            }
            None => true,
        });
        if a.force {
            for p in &depend_pods {
                for c in crate::pod::containers(&store, p)? {
                    let _ = container::ensure_stopped_within(&store, &c, true, a.time);
                }
            }
        }
    }
    let items: Vec<_> = items
        .into_iter()
        .map(|(w, r)| {
            let served = service_of(&r);
            let r = match infra_of(&r) {
                Some(p) => Err(crate::err!(
                    "container {w} is the infra container of pod {} and cannot be removed without removing the pod (hutch pod rm)",
                    p.name
                )),
                // Podman's words.
                None if !served.is_empty() => Err(crate::err!(
                    "container {w} is the service container of pod(s) {} and cannot be removed without removing the pod(s)",
                    served.iter().map(|p| p.id.as_str()).collect::<Vec<_>>().join(",")
                )),
                None => r,
            };
            (
                w,
                r.and_then(|r| container::ensure_stopped_within(&store, &r, a.force, a.time).map(|()| r)),
            )
        })
        .collect();
    // Infra containers stopped too before anything is removed (removal may enter the user
    // namespace, after which hutch may no longer signal them).
    if a.all && a.force {
        let idx = store.load_containers()?;
        for c in idx.containers.iter().filter(|c| {
            crate::pod::infra_of(&store, &c.id).is_some() || !crate::pod::service_of(&store, &c.id).is_empty()
        }) {
            let _ = container::ensure_stopped_within(&store, c, true, a.time);
        }
    }
    let mut failed = each(items, |r| container::remove(&store, r, a.volumes).map(|_| None));
    for p in &depend_pods {
        let mut ids: Vec<String> = crate::pod::containers(&store, p)?.into_iter().map(|c| c.id).collect();
        // Members first, the infra last (the order they go in).
        let first = usize::from(!ids.is_empty());
        ids.rotate_left(first);
        match crate::pod::remove(&store, p, a.force) {
            Ok(()) => crate::output::out(&ids.iter().map(|i| format!("{i}\n")).collect::<String>()),
            Err(e) => {
                crate::output::error(&e.message);
                failed.push(e.class);
            }
        }
    }
    // As Podman: `rm --all --force` takes the pods' infra containers too, with their pods
    // (whose other containers went above).
    if a.all && a.force {
        for p in store.load_pods()?.pods {
            let Some(infra) = p.infra.clone() else { continue };
            match crate::pod::remove(&store, &p, true) {
                Ok(()) => crate::output::out(&format!("{infra}\n")),
                Err(e) => {
                    crate::output::error(&e.message);
                    failed.push(e.class);
                }
            }
        }
    }
    // podman-rm(1)'s exit status: 1 when a container did not exist (the others are still
    // removed), else 2 when one is running (without -f), else 125 for any other failure.
    Ok(if failed.contains(&Class::NoSuchObject) {
        1
    } else if failed.contains(&Class::InUse) {
        2
    } else {
        status(&failed)
    })
}

/// Containers that use `rec`'s network namespace (`--network container:REC`); a pod's members
/// (which join its infra container) go with the pod (`pod rm`), not here.
fn dependents<'a>(all: &'a [ContainerRecord], rec: &ContainerRecord) -> Vec<&'a ContainerRecord> {
    all.iter()
        .filter(|c| c.spec.pod.is_none())
        .filter(|c| match &c.spec.network {
            crate::spec::network::Mode::Container(x) => {
                *x == rec.id || *x == rec.name || (x.len() >= 3 && rec.id.starts_with(x.as_str()))
            }
            _ => false,
        })
        .collect()
}

/// `rm`'s order: a container's dependents go before it. With `depend` they are added (by
/// full id); without, a container whose dependents are not removed too is refused, as Podman's.
fn with_dependents(
    store: &Store,
    items: Vec<(String, Result<ContainerRecord>)>,
    depend: bool,
) -> Result<Vec<(String, Result<ContainerRecord>)>> {
    let all = store.load_containers()?.containers;
    // Each container asked for, by id: the name it was asked by (what its line shows).
    let asked: std::collections::HashMap<String, String> = items
        .iter()
        .filter_map(|(w, r)| r.as_ref().ok().map(|r| (r.id.clone(), w.clone())))
        .collect();
    let mut out: Vec<(String, Result<ContainerRecord>)> = Vec::new();
    let mut placed = std::collections::HashSet::new();
    fn place(
        all: &[ContainerRecord],
        rec: &ContainerRecord,
        what: String,
        out: &mut Vec<(String, Result<ContainerRecord>)>,
        placed: &mut std::collections::HashSet<String>,
        take: &dyn Fn(&ContainerRecord) -> bool,
        asked: &std::collections::HashMap<String, String>,
    ) {
        if !placed.insert(rec.id.clone()) {
            return;
        }
        for d in dependents(all, rec) {
            if take(d) {
                let what = asked.get(&d.id).cloned().unwrap_or_else(|| d.id.clone());
                place(all, d, what, out, placed, take, asked);
            }
        }
        out.push((what, Ok(rec.clone())));
    }
    let take = |d: &ContainerRecord| depend || asked.contains_key(&d.id);
    for (what, r) in items {
        match r {
            Ok(rec) => {
                let missing: Vec<&str> = dependents(&all, &rec)
                    .into_iter()
                    .filter(|d| !take(d))
                    .map(|d| d.id.as_str())
                    .collect();
                if !missing.is_empty() {
                    let e = crate::err!(
                        "container {} has dependent containers which must be removed before it: {} (use rm --depend)",
                        rec.id,
                        missing.join(", ")
                    );
                    out.push((what, Err(e)));
                    continue;
                }
                place(&all, &rec, what, &mut out, &mut placed, &take, &asked);
            }
            Err(e) => out.push((what, Err(e))),
        }
    }
    Ok(out)
}
