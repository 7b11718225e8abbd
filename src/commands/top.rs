//! `hutch top CTR [DESCRIPTORS]` and `hutch pod top POD [DESCRIPTORS]`: the processes of running
//! containers in Podman's table.

use crate::cli::{PodTopArgs, TopArgs};
use crate::container::top::{self, Names};
use crate::container::{self, ExecOptions, Status};
use crate::error::Result;
use crate::output::out;
use crate::store::containers::ContainerRecord;
use crate::store::Store;

/// A running container's first process (host pid).
fn running_pid(store: &Store, rec: &ContainerRecord) -> Option<i32> {
    match container::status(store, rec).0 {
        Status::Running { pid } => Some(pid),
        _ => None,
    }
}

pub fn run(a: TopArgs) -> Result<i32> {
    let store = Store::open()?;
    let idx = store.load_containers()?;
    let rec = idx.containers[idx.resolve(&a.container)?].clone();
    let Some(pid) = running_pid(&store, &rec) else {
        crate::bail!("top can only be used on running containers");
    };
    let descriptors = match top::descriptors(&a.descriptors) {
        Ok(d) => d,
        // Not a descriptor hutch knows: ps(1) in the container gets the words, as Podman does.
        Err(_) => {
            let mut command = vec!["ps".to_string()];
            command.extend(a.descriptors.iter().cloned());
            let o = ExecOptions {
                command,
                env: vec![],
                user: None,
                workdir: None,
                tty: false,
                interactive: false,
                detach: false,
            };
            return container::exec(&store, &rec, o);
        }
    };
    let names = Names::of(pid);
    let rows: Vec<Vec<String>> = top::processes(pid)?
        .iter()
        .map(|p| top::row(p, &names, &descriptors))
        .collect();
    print(&descriptors, &rows);
    Ok(0)
}

fn print(descriptors: &[String], rows: &[Vec<String>]) {
    let headers: Vec<String> = descriptors.iter().map(|d| top::header(d).to_string()).collect();
    out(&top::table(&headers, rows));
}

pub fn pod(a: PodTopArgs) -> Result<i32> {
    let store = Store::open()?;
    let pods = store.load_pods()?;
    let pod = pods.pods[pods.resolve(&a.pod)?].clone();
    let descriptors = match top::descriptors(&a.descriptors) {
        Ok(d) => d,
        Err(d) => crate::bail!("unknown descriptor: {d}"),
    };
    let mut rows = Vec::new();
    // Containers sharing one pid namespace (the pod's, with --share pid) list it once.
    let mut seen = std::collections::HashSet::new();
    for c in crate::pod::containers(&store, &pod)? {
        let Some(pid) = running_pid(&store, &c) else { continue };
        let ns = std::fs::metadata(format!("/proc/{pid}/ns/pid"))
            .map(|m| std::os::unix::fs::MetadataExt::ino(&m))
            .unwrap_or(0);
        if !seen.insert(ns) {
            continue;
        }
        let names = Names::of(pid);
        // A container that exits meanwhile has nothing to show.
        for p in top::processes(pid).unwrap_or_default() {
            rows.push(top::row(&p, &names, &descriptors));
        }
    }
    if !rows.is_empty() {
        print(&descriptors, &rows);
    }
    Ok(0)
}
