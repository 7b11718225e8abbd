//! Fault injection (issue 12): hutch killed at every named step of every mutating verb
//! (`HUTCH_FAULT`), killed with SIGKILL at random moments (itself, and separately its monitor,
//! network helper and the container's first process), corrupt store files, concurrent workers
//! on one store. After every fault: `system check` is clean, or `system check --repair` makes it
//! clean; the interrupted command succeeds when run again; what was there before is intact.
//!
//! Figures (kills, recoveries, failures per verb) are printed as `FAULTS …` lines (run with
//! `--nocapture` to see them; RELIABILITY.md quotes them). `HUTCH_FAULT_KILLS` sets the random
//! kills per verb (default 70; `HUTCH_FAULT_KILLS_STORE` for the store verbs added later:
//! volumes, networks, pods, push, kube play and down, build, system prune and reset, default 20),
//! `HUTCH_FAULT_WORKERS`/`HUTCH_FAULT_OPS` the concurrency run (default 8 x 200),
//! `HUTCH_FAULT_VERBS` the verbs the kill tests take (all by default).

mod common;

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;

fn basic() -> String {
    format!("{PLAIN}/fixtures/basic")
}
fn multi() -> String {
    format!("{PLAIN}/fixtures/multi")
}
fn zstd() -> String {
    format!("{PLAIN}/fixtures/zstd")
}

fn knob(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A store with what must survive every fault: the image `keep:1` (basic) and the created
/// container `keeper` using it.
fn baseline() -> Env {
    let env = Env::new();
    env.pull("fixtures/basic");
    env.hutch(["tag", &basic(), "keep:1"]).ok();
    env.hutch(["create", "--name", "keeper", "--network", "none", "keep:1", "true"])
        .ok();
    env
}

#[track_caller]
fn assert_intact(env: &Env) {
    let r = env.hutch(["images", "--format", "{{.Repository}}:{{.Tag}}"]).ok();
    assert!(r.stdout.lines().any(|l| l == "localhost/keep:1"), "keep:1 lost: {r:?}");
    let r = env.hutch(["ps", "-a", "--format", "{{.Names}}"]).ok();
    assert!(r.stdout.lines().any(|l| l == "keeper"), "keeper lost: {r:?}");
}

/// After a fault: `system check` clean, or `--repair` makes it clean. Returns whether a repair
/// was needed. Never a panic, never an exit status other than 0/1.
#[track_caller]
fn settle(env: &Env, what: &str) -> bool {
    let r = env.hutch(["system", "check", "--quick"]);
    assert!(!r.stderr.contains("panicked"), "{r:?}");
    if r.code == 0 {
        return false;
    }
    assert_eq!(r.code, 1, "{what}: system check failed: {r:?}");
    let fix = env.hutch(["system", "check", "--repair"]);
    assert_eq!(fix.code, 0, "{what}: repair did not restore the store: {fix:?}");
    let again = env.hutch(["system", "check"]);
    assert_eq!(again.code, 0, "store not clean after repair: {again:?}");
    true
}

/// `HUTCH_FAULT_VERBS=NAME,NAME…` (verb names as printed in the `FAULTS` lines) limits the
/// kill tests to those verbs (all by default).
fn chosen(name: &str) -> bool {
    match std::env::var("HUTCH_FAULT_VERBS") {
        Ok(v) if !v.is_empty() => v.split(',').any(|n| n.trim() == name),
        _ => true,
    }
}

/// A mutating verb: how to bring the store to the state before it, and its arguments.
struct Verb {
    name: &'static str,
    setup: Box<dyn Fn(&Env)>,
    args: Box<dyn Fn(&Env) -> Vec<String>>,
    /// Arguments of the re-run (by default the same).
    rerun: Option<Box<dyn Fn(&Env) -> Vec<String>>>,
    /// False for the verbs whose work is to remove `keep:1` and `keeper` (system prune and
    /// reset): their setup brings them back, and they are not checked for afterwards.
    keeps_baseline: bool,
}

/// `keep:1` and `keeper` again, after a verb that removes them.
fn restore_baseline(env: &Env) {
    let r = env.hutch(["images", "--format", "{{.Repository}}:{{.Tag}}"]).ok();
    if !r.stdout.lines().any(|l| l == "localhost/keep:1") {
        env.hutch(["pull", "-q", "--tls-verify=false", &basic()]).ok();
        env.hutch(["tag", &basic(), "keep:1"]).ok();
    }
    let r = env.hutch(["ps", "-a", "--format", "{{.Names}}"]).ok();
    if !r.stdout.lines().any(|l| l == "keeper") {
        env.hutch(["create", "--name", "keeper", "--network", "none", "keep:1", "true"])
            .ok();
    }
}

/// The store verbs added after the first harness (volumes, networks and connecting to them,
/// pods and their start, stop and kill, push, kube play and down, build (plain, multi-stage
/// without layers, cached), system prune and reset).
fn store_verbs(env: &Env) -> Vec<Verb> {
    let yaml = env
        .write(
            "kube.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kp\nspec:\n  containers:\n  - name: c\n    image: localhost/keep:1\n    command: [\"sleep\", \"1000\"]\n",
        )
        .to_str()
        .unwrap()
        .to_string();
    let y2 = yaml.clone();
    let (y3, y4, y5) = (yaml.clone(), yaml.clone(), yaml.clone());
    // A plain build (a RUN, a COPY, an ENV) and a two-stage one, both from keep:1.
    let ctx = env.write(
        "bctx/Containerfile",
        "FROM localhost/keep:1\nRUN echo built > /built && mkdir -p /d/e && echo x > /d/e/f\nCOPY f /f\nENV A=1\n",
    );
    env.write("bctx/f", "a file\n");
    let ctx = ctx.parent().unwrap().to_str().unwrap().to_string();
    let (ctx3, ctx4) = (ctx.clone(), ctx.clone());
    let ctx2 = env.write(
        "mctx/Containerfile",
        "FROM localhost/keep:1 AS one\nRUN echo one > /one\nFROM localhost/keep:1\nCOPY --from=one /one /one\nRUN cat /one > /two\n",
    );
    let ctx2 = ctx2.parent().unwrap().to_str().unwrap().to_string();
    let push_to = format!("{PLAIN}/faults/pushed-{}:1", rand_hex());
    let network_exists = |e: &Env, n: &str| e.hutch(["network", "exists", n]).code == 0;
    let sfile = env.write("secret.txt", "s3cret\n").to_str().unwrap().to_string();
    let (sfile2, sfile3) = (sfile.clone(), sfile.clone());
    // A 4 MiB file, so that a kill can land in the middle of its copy.
    let cpfile = env
        .write("cp.bin", &"0123456789abcdef".repeat(256 * 1024))
        .to_str()
        .unwrap()
        .to_string();
    vec![
        Verb {
            name: "volume create",
            setup: Box::new(|e| {
                let _ = e.hutch(["volume", "rm", "-a"]);
            }),
            args: Box::new(|_| s(&["volume", "create", "v1"])),
            rerun: Some(Box::new(|_| s(&["volume", "create", "--ignore", "v1"]))),
            keeps_baseline: true,
        },
        Verb {
            name: "volume rm",
            setup: Box::new(|e| {
                e.hutch(["volume", "create", "--ignore", "v1"]).ok();
            }),
            args: Box::new(|_| s(&["volume", "rm", "v1"])),
            rerun: Some(Box::new(|_| s(&["volume", "rm", "-a"]))),
            keeps_baseline: true,
        },
        Verb {
            name: "volume prune",
            setup: Box::new(|e| {
                e.hutch(["volume", "create", "--ignore", "v1"]).ok();
                e.hutch(["volume", "create", "--ignore", "v2"]).ok();
            }),
            args: Box::new(|_| s(&["volume", "prune", "-f"])),
            rerun: None,
            keeps_baseline: true,
        },
        Verb {
            name: "network create",
            setup: Box::new(|e| {
                e.hutch(["network", "rm", "-f", "n1"]).ok();
            }),
            args: Box::new(|_| s(&["network", "create", "n1"])),
            // Created already (killed after its record): the network must be whole.
            rerun: Some(Box::new(move |e| {
                if network_exists(e, "n1") {
                    s(&["network", "inspect", "n1"])
                } else {
                    s(&["network", "create", "n1"])
                }
            })),
            keeps_baseline: true,
        },
        Verb {
            name: "network rm",
            setup: Box::new(move |e| {
                if !network_exists(e, "n1") {
                    e.hutch(["network", "create", "n1"]).ok();
                }
            }),
            args: Box::new(|_| s(&["network", "rm", "n1"])),
            rerun: Some(Box::new(|_| s(&["network", "rm", "-f", "n1"]))),
            keeps_baseline: true,
        },
        Verb {
            name: "pod create",
            setup: Box::new(|e| {
                e.hutch(["pod", "rm", "-f", "p1"]).ok();
            }),
            args: Box::new(|_| s(&["pod", "create", "--name", "p1", "--network", "none"])),
            rerun: Some(Box::new(|_| {
                s(&["pod", "create", "--replace", "--name", "p1", "--network", "none"])
            })),
            keeps_baseline: true,
        },
        Verb {
            name: "pod rm",
            setup: Box::new(|e| {
                e.hutch(["pod", "create", "--replace", "--name", "p1", "--network", "none"])
                    .ok();
            }),
            args: Box::new(|_| s(&["pod", "rm", "p1"])),
            rerun: Some(Box::new(|_| s(&["pod", "rm", "-f", "p1"]))),
            keeps_baseline: true,
        },
        Verb {
            name: "push",
            setup: Box::new(|_| {}),
            args: Box::new(move |_| s(&["push", "-q", "--tls-verify=false", "keep:1", &push_to])),
            rerun: None,
            keeps_baseline: true,
        },
        Verb {
            name: "kube play",
            setup: Box::new(move |e| {
                let _ = e.hutch(["kube", "down", &y2]);
                clear_containers(e);
            }),
            args: Box::new(move |_| s(&["kube", "play", "--network", "none", "--replace", &yaml])),
            rerun: None,
            keeps_baseline: true,
        },
        Verb {
            name: "kube down",
            setup: Box::new(move |e| {
                if e.hutch(["pod", "exists", "kp"]).code != 0 {
                    e.hutch(["kube", "play", "--network", "none", "--replace", &y3]).ok();
                }
            }),
            args: Box::new(move |_| s(&["kube", "down", &y4])),
            // Killed after the pod went: nothing is left to take down.
            rerun: Some(Box::new(move |e| {
                if e.hutch(["pod", "exists", "kp"]).code == 0 {
                    s(&["kube", "down", &y5])
                } else {
                    s(&["pod", "ls"])
                }
            })),
            keeps_baseline: true,
        },
        Verb {
            name: "pod start",
            setup: Box::new(|e| {
                pod_with_member(e);
                e.hutch(["pod", "stop", "-t", "0", "p1"]).ok();
            }),
            args: Box::new(|_| s(&["pod", "start", "p1"])),
            rerun: None,
            keeps_baseline: true,
        },
        Verb {
            name: "pod stop",
            setup: Box::new(|e| {
                pod_with_member(e);
                e.hutch(["pod", "start", "p1"]).ok();
            }),
            args: Box::new(|_| s(&["pod", "stop", "-t", "0", "p1"])),
            rerun: None,
            keeps_baseline: true,
        },
        Verb {
            name: "pod kill",
            setup: Box::new(|e| {
                pod_with_member(e);
                e.hutch(["pod", "start", "p1"]).ok();
            }),
            args: Box::new(|_| s(&["pod", "kill", "p1"])),
            // Killed after the signal went: the pod is stopping or stopped; stop it for good.
            rerun: Some(Box::new(|_| s(&["pod", "stop", "-t", "0", "p1"]))),
            keeps_baseline: true,
        },
        Verb {
            name: "network connect",
            setup: Box::new(move |e| {
                connectable(e);
                if connected(e, "n2") {
                    e.hutch(["network", "disconnect", "n2", "nc"]).ok();
                }
            }),
            args: Box::new(|_| s(&["network", "connect", "n2", "nc"])),
            rerun: Some(Box::new(|e| {
                if connected(e, "n2") {
                    s(&["exec", "nc", "true"])
                } else {
                    s(&["network", "connect", "n2", "nc"])
                }
            })),
            keeps_baseline: true,
        },
        Verb {
            name: "network disconnect",
            setup: Box::new(move |e| {
                connectable(e);
                if !connected(e, "n2") {
                    e.hutch(["network", "connect", "n2", "nc"]).ok();
                }
            }),
            args: Box::new(|_| s(&["network", "disconnect", "n2", "nc"])),
            rerun: Some(Box::new(|e| {
                if connected(e, "n2") {
                    s(&["network", "disconnect", "n2", "nc"])
                } else {
                    s(&["exec", "nc", "true"])
                }
            })),
            keeps_baseline: true,
        },
        Verb {
            name: "secret create",
            setup: Box::new(move |e| {
                let _ = e.hutch(["secret", "rm", "s1"]);
            }),
            args: Box::new(move |_| s(&["secret", "create", "s1", &sfile])),
            rerun: Some(Box::new(move |_| s(&["secret", "create", "--replace", "s1", &sfile2]))),
            keeps_baseline: true,
        },
        Verb {
            name: "secret rm",
            setup: Box::new(move |e| {
                if e.hutch(["secret", "inspect", "s1"]).code != 0 {
                    e.hutch(["secret", "create", "s1", &sfile3]).ok();
                }
            }),
            args: Box::new(|_| s(&["secret", "rm", "s1"])),
            rerun: Some(Box::new(|e| {
                if e.hutch(["secret", "inspect", "s1"]).code == 0 {
                    s(&["secret", "rm", "s1"])
                } else {
                    s(&["secret", "ls"])
                }
            })),
            keeps_baseline: true,
        },
        Verb {
            name: "manifest create",
            setup: Box::new(|e| {
                let _ = e.hutch(["manifest", "rm", "ml"]);
            }),
            args: Box::new(|_| s(&["manifest", "create", "ml", "keep:1"])),
            rerun: Some(Box::new(|_| s(&["manifest", "create", "--amend", "ml", "keep:1"]))),
            keeps_baseline: true,
        },
        Verb {
            name: "manifest add",
            setup: Box::new(|e| {
                if e.hutch(["manifest", "inspect", "ml"]).code != 0 {
                    e.hutch(["manifest", "create", "ml"]).ok();
                }
            }),
            args: Box::new(|_| s(&["manifest", "add", "ml", "keep:1"])),
            rerun: None,
            keeps_baseline: true,
        },
        Verb {
            name: "manifest rm",
            setup: Box::new(|e| {
                if e.hutch(["manifest", "inspect", "ml"]).code != 0 {
                    e.hutch(["manifest", "create", "ml", "keep:1"]).ok();
                }
            }),
            args: Box::new(|_| s(&["manifest", "rm", "ml"])),
            rerun: Some(Box::new(|e| {
                if e.hutch(["manifest", "inspect", "ml"]).code == 0 {
                    s(&["manifest", "rm", "ml"])
                } else {
                    s(&["images"])
                }
            })),
            keeps_baseline: true,
        },
        Verb {
            name: "cp",
            setup: Box::new(|e| {
                if e.hutch(["container", "exists", "cpc"]).code != 0 {
                    e.hutch(["create", "--name", "cpc", "--network", "none", "keep:1", "true"])
                        .ok();
                }
            }),
            args: Box::new(move |_| s(&["cp", &cpfile, "cpc:/copied"])),
            rerun: None,
            keeps_baseline: true,
        },
        Verb {
            name: "rename",
            setup: Box::new(|e| {
                let _ = e.hutch(["rm", "-f", "--ignore", "r2"]);
                if e.hutch(["container", "exists", "r1"]).code != 0 {
                    e.hutch(["create", "--name", "r1", "--network", "none", "keep:1", "true"])
                        .ok();
                }
            }),
            args: Box::new(|_| s(&["rename", "r1", "r2"])),
            rerun: Some(Box::new(|e| {
                if e.hutch(["container", "exists", "r1"]).code == 0 {
                    s(&["rename", "r1", "r2"])
                } else {
                    s(&["container", "exists", "r2"])
                }
            })),
            keeps_baseline: true,
        },
        Verb {
            name: "restart",
            setup: Box::new(|e| {
                if e.hutch(["container", "exists", "rs"]).code != 0 {
                    e.hutch([
                        "run",
                        "-d",
                        "--name",
                        "rs",
                        "--network",
                        "none",
                        "keep:1",
                        "sleep",
                        "1000",
                    ])
                    .ok();
                }
            }),
            args: Box::new(|_| s(&["restart", "-t", "0", "rs"])),
            rerun: None,
            keeps_baseline: true,
        },
        Verb {
            name: "build",
            setup: Box::new(|e| {
                let _ = e.hutch(["rmi", "-f", "b:1"]);
                e.hutch(["image", "prune", "-f"]).ok();
            }),
            args: Box::new(move |_| s(&["build", "-q", "--no-cache", "--network", "none", "-t", "b:1", &ctx])),
            rerun: None,
            keeps_baseline: true,
        },
        Verb {
            name: "build multi-stage --layers=false",
            setup: Box::new(|e| {
                let _ = e.hutch(["rmi", "-f", "m:1"]);
                e.hutch(["image", "prune", "-f"]).ok();
            }),
            args: Box::new(move |_| s(&["build", "-q", "--layers=false", "--network", "none", "-t", "m:1", &ctx2])),
            rerun: None,
            keeps_baseline: true,
        },
        Verb {
            name: "build (cached)",
            // Every step from the cache; the image gets one more name (b:3).
            setup: Box::new(move |e| {
                e.hutch(["build", "-q", "--network", "none", "-t", "b:2", &ctx3]).ok();
                let _ = e.hutch(["rmi", "b:3"]);
            }),
            args: Box::new(move |_| s(&["build", "-q", "--network", "none", "-t", "b:3", &ctx4])),
            rerun: None,
            keeps_baseline: true,
        },
        Verb {
            name: "system prune",
            setup: Box::new(|e| {
                restore_baseline(e);
                e.hutch(["pull", "-q", "--tls-verify=false", &zstd()]).ok();
                e.hutch(["volume", "create", "--ignore", "v1"]).ok();
            }),
            args: Box::new(|_| s(&["system", "prune", "-a", "-f", "--volumes"])),
            rerun: None,
            keeps_baseline: false,
        },
        Verb {
            name: "system reset",
            setup: Box::new(|e| {
                restore_baseline(e);
                e.hutch(["volume", "create", "--ignore", "v1"]).ok();
                if e.hutch(["network", "exists", "n1"]).code != 0 {
                    let _ = e.hutch(["network", "create", "n1"]);
                }
            }),
            args: Box::new(|_| s(&["system", "reset", "-f"])),
            rerun: None,
            keeps_baseline: false,
        },
    ]
}

/// Pod p1 with a member container (`--network none`), made when missing.
fn pod_with_member(e: &Env) {
    if e.hutch(["pod", "exists", "p1"]).code != 0 {
        e.hutch(["pod", "create", "--replace", "--name", "p1", "--network", "none"])
            .ok();
    }
    if e.hutch(["container", "exists", "pm"]).code != 0 {
        e.hutch(["create", "--pod", "p1", "--name", "pm", "keep:1", "sleep", "1000"])
            .ok();
    }
}

/// Networks n1 and n2, and the running container `nc` on n1.
fn connectable(e: &Env) {
    for n in ["n1", "n2"] {
        if e.hutch(["network", "exists", n]).code != 0 {
            e.hutch(["network", "create", n]).ok();
        }
    }
    let r = e.hutch(["ps", "--format", "{{.Names}}"]).ok();
    if !r.stdout.lines().any(|l| l == "nc") {
        let _ = e.hutch(["rm", "-f", "nc"]);
        e.hutch([
            "run",
            "-d",
            "--name",
            "nc",
            "--network",
            "n1",
            "keep:1",
            "sleep",
            "1000",
        ])
        .ok();
    }
}

/// Whether container `nc` is connected to `net` (as its record says).
fn connected(e: &Env, net: &str) -> bool {
    let r = e.hutch(["container", "inspect", "nc"]).ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    v[0]["NetworkSettings"]["Networks"].get(net).is_some()
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// Remove every container but `keeper` (and every pod, with its infra container).
fn clear_containers(env: &Env) {
    env.hutch(["pod", "rm", "-a", "-f"]).ok();
    let r = env.hutch(["ps", "-a", "--format", "{{.Names}}"]).ok();
    let others: Vec<&str> = r.stdout.lines().filter(|n| *n != "keeper" && !n.is_empty()).collect();
    if !others.is_empty() {
        let mut args = vec!["rm", "-f"];
        args.extend(others);
        env.hutch(args).ok();
    }
}

fn verbs(env: &Env) -> Vec<Verb> {
    let archive = env.root.join("basic.tar");
    env.hutch(["save", "-o", archive.to_str().unwrap(), "keep:1"]).ok();
    let archive = archive.to_str().unwrap().to_string();
    let a2 = archive.clone();
    vec![
        Verb {
            name: "pull",
            setup: Box::new(|e| {
                e.hutch(["rmi", "-f", &multi()]).ok();
            }),
            args: Box::new(|_| s(&["pull", "-q", "--tls-verify=false", &multi()])),
            rerun: None,
            keeps_baseline: true,
        },
        Verb {
            name: "run",
            setup: Box::new(clear_containers),
            args: Box::new(|_| s(&["run", "--rm", "--network", "none", "keep:1", "true"])),
            rerun: None,
            keeps_baseline: true,
        },
        Verb {
            name: "run -d",
            setup: Box::new(clear_containers),
            args: Box::new(|_| s(&["run", "-d", "--network", "none", "keep:1", "sleep", "1000"])),
            rerun: None,
            keeps_baseline: true,
        },
        Verb {
            name: "create",
            setup: Box::new(clear_containers),
            args: Box::new(|_| s(&["create", "--network", "none", "keep:1", "true"])),
            rerun: None,
            keeps_baseline: true,
        },
        Verb {
            name: "start",
            setup: Box::new(|e| {
                clear_containers(e);
                e.hutch(["create", "--name", "s", "--network", "none", "keep:1", "sleep", "1000"])
                    .ok();
            }),
            args: Box::new(|_| s(&["start", "s"])),
            rerun: None,
            keeps_baseline: true,
        },
        Verb {
            name: "stop",
            setup: Box::new(|e| {
                clear_containers(e);
                e.hutch([
                    "run",
                    "-d",
                    "--name",
                    "s",
                    "--network",
                    "none",
                    "keep:1",
                    "sleep",
                    "1000",
                ])
                .ok();
            }),
            args: Box::new(|_| s(&["stop", "-t", "0", "s"])),
            rerun: None,
            keeps_baseline: true,
        },
        Verb {
            name: "rm",
            setup: Box::new(|e| {
                clear_containers(e);
                e.hutch(["create", "--name", "s", "--network", "none", "keep:1", "true"])
                    .ok();
            }),
            args: Box::new(|_| s(&["rm", "s"])),
            rerun: Some(Box::new(|_| s(&["rm", "-f", "s"]))),
            keeps_baseline: true,
        },
        Verb {
            name: "rmi",
            setup: Box::new(|e| {
                e.hutch(["pull", "-q", "--tls-verify=false", &zstd()]).ok();
            }),
            args: Box::new(|_| s(&["rmi", &zstd()])),
            rerun: Some(Box::new(|_| s(&["rmi", "-f", &zstd()]))),
            keeps_baseline: true,
        },
        Verb {
            name: "tag",
            setup: Box::new(|e| {
                let _ = e.hutch(["rmi", "t:1"]);
            }),
            args: Box::new(|_| s(&["tag", "keep:1", "t:1"])),
            rerun: None,
            keeps_baseline: true,
        },
        Verb {
            name: "prune",
            setup: Box::new(|e| {
                e.hutch(["pull", "-q", "--tls-verify=false", &zstd()]).ok();
            }),
            args: Box::new(|_| s(&["image", "prune", "-a"])),
            rerun: None,
            keeps_baseline: true,
        },
        Verb {
            name: "login",
            setup: Box::new(|_| {}),
            args: Box::new(|_| s(&["login", "-u", "testuser", "-p", "testpass", "--tls-verify=false", AUTH])),
            rerun: None,
            keeps_baseline: true,
        },
        Verb {
            name: "commit",
            setup: Box::new(|e| {
                let _ = e.hutch(["rmi", "c:1"]);
            }),
            args: Box::new(|_| s(&["commit", "keeper", "c:1"])),
            rerun: None,
            keeps_baseline: true,
        },
        Verb {
            name: "load",
            setup: Box::new(|e| {
                let _ = e.hutch(["rmi", "-f", "l:1"]);
            }),
            args: Box::new(move |_| s(&["load", "-q", "-i", &archive])),
            rerun: None,
            keeps_baseline: true,
        },
        Verb {
            name: "save",
            setup: Box::new(|_| {}),
            args: Box::new(move |e| s(&["save", "-o", e.root.join("out.tar").to_str().unwrap(), "keep:1"])),
            rerun: None,
            keeps_baseline: true,
        },
        Verb {
            name: "import",
            setup: Box::new(|_| {}),
            args: Box::new(move |_| s(&["import", &a2, "imp:1"])),
            rerun: None,
            keeps_baseline: true,
        },
    ]
}

#[derive(Default, Debug)]
struct Stats {
    points: usize,
    kills: usize,
    repaired: usize,
    failures: usize,
}

fn print_stats(kind: &str, stats: &BTreeMap<String, Stats>) {
    let mut total = Stats::default();
    for (verb, s) in stats {
        println!(
            "FAULTS {kind} verb={verb:?} points={} kills={} recoveries={} (repair needed {}) failures={}",
            s.points, s.kills, s.kills, s.repaired, s.failures
        );
        total.points += s.points;
        total.kills += s.kills;
        total.repaired += s.repaired;
        total.failures += s.failures;
    }
    println!(
        "FAULTS {kind} total points={} kills={} repaired={} failures={}",
        total.points, total.kills, total.repaired, total.failures
    );
}

/// Run a verb with HUTCH_FAULT set; Some(signal) when hutch was killed.
fn run_with_fault(env: &Env, args: &[String], fault: &str) -> (Run, Option<i32>) {
    let out = env.command(args).env("HUTCH_FAULT", fault).output().unwrap();
    let sig = out.status.signal();
    (to_run(out), sig)
}

/// Every named fault point each verb passes (HUTCH_FAULT=list:FILE), and a kill at each.
#[test]
fn kill_at_every_fault_point_of_every_verb() {
    let env = baseline();
    let mut stats = BTreeMap::new();
    let mut all = verbs(&env);
    all.extend(store_verbs(&env));
    for v in all.into_iter().filter(|v| chosen(v.name)) {
        let st: &mut Stats = stats.entry(v.name.to_string()).or_default();
        (v.setup)(&env);
        let list = env.root.join(format!("points-{}", v.name.replace(' ', "_")));
        let (r, sig) = run_with_fault(&env, &(v.args)(&env), &format!("list:{}", list.display()));
        assert!(sig.is_none() && r.code == 0, "{}: {r:?}", v.name);
        let points: Vec<String> = std::fs::read_to_string(&list)
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect();
        assert!(
            // save and push write no store file; pod kill only signals (the monitors record
            // the exits, each in a process of its own).
            !points.is_empty() || ["save", "push", "pod kill"].contains(&v.name),
            "{}: passes no fault point",
            v.name
        );
        for point in &points {
            (v.setup)(&env);
            let (r, sig) = run_with_fault(&env, &(v.args)(&env), point);
            assert!(!r.stderr.contains("panicked"), "{} at {point}: {r:?}", v.name);
            // The point may be in a child (the monitor, a child pull): then hutch reports it.
            st.points += 1;
            st.kills += 1;
            let _ = sig;
            if settle(&env, &format!("{} killed at {point}", v.name)) {
                st.repaired += 1;
            }
            let again = (v.rerun.as_ref().unwrap_or(&v.args))(&env);
            let r = env.hutch(&again);
            if r.code != 0 {
                st.failures += 1;
                panic!("{} after a kill at {point}: the re-run failed: {r:?}", v.name);
            }
            let c = env.hutch(["system", "check"]);
            assert_eq!(c.code, 0, "{} at {point}: not clean after the re-run: {c:?}", v.name);
            if v.keeps_baseline {
                assert_intact(&env);
            }
        }
        restore_baseline(&env);
    }
    clear_containers(&env);
    print_stats("points", &stats);
}

/// How long a verb takes here (to draw kill delays from), its setup done.
fn duration_of(env: &Env, v: &Verb) -> Duration {
    (v.setup)(env);
    let t = Instant::now();
    env.hutch((v.args)(env)).ok();
    t.elapsed()
}

/// SIGKILL of hutch at random moments of each verb.
fn random_kills(names: &[&str], per_verb: usize) {
    let env = baseline();
    let mut stats = BTreeMap::new();
    let mut rng = Xorshift::seeded();
    let mut all = verbs(&env);
    all.extend(store_verbs(&env));
    for v in all.into_iter().filter(|v| names.contains(&v.name) && chosen(v.name)) {
        let st: &mut Stats = stats.entry(v.name.to_string()).or_default();
        // Its second run: a first one may do once-only work (the pause image of the first
        // pod), and delays drawn from that would mostly come after the verb has ended.
        let _ = duration_of(&env, &v);
        let mut d = duration_of(&env, &v).max(Duration::from_millis(5));
        let mut tries = 0;
        while st.kills < per_verb {
            tries += 1;
            assert!(tries < per_verb * 6, "{}: could not kill it while running", v.name);
            (v.setup)(&env);
            let mut child = env
                .command((v.args)(&env))
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let delay = Duration::from_micros(rng.below(d.as_micros() as u64 + 1));
            std::thread::sleep(delay);
            let alive = child.try_wait().unwrap().is_none();
            let _ = child.kill();
            let status = child.wait().unwrap();
            if alive && status.signal() == Some(9) {
                st.kills += 1;
            } else {
                // It had ended: the verb runs faster now than when it was timed (a loaded
                // machine times it slow), so later delays are drawn from a shorter span.
                d = (d * 3 / 4).max(Duration::from_millis(1));
            }
            if settle(&env, &format!("{} killed after {delay:?}", v.name)) {
                st.repaired += 1;
            }
            let again = (v.rerun.as_ref().unwrap_or(&v.args))(&env);
            let r = env.hutch(&again);
            if r.code != 0 {
                st.failures += 1;
                panic!("{} after a kill at {delay:?}: the re-run failed: {r:?}", v.name);
            }
            if st.kills % 10 == 0 && v.keeps_baseline {
                assert_intact(&env);
            }
        }
        assert_eq!(env.hutch(["system", "check"]).code, 0);
        if v.keeps_baseline {
            assert_intact(&env);
        }
        restore_baseline(&env);
    }
    clear_containers(&env);
    print_stats("random-kill", &stats);
}

#[test]
fn random_kills_image_verbs() {
    let n = knob("HUTCH_FAULT_KILLS", 70);
    random_kills(&["pull", "rmi", "tag", "prune", "load", "import", "save"], n);
}

#[test]
fn random_kills_container_verbs() {
    let n = knob("HUTCH_FAULT_KILLS", 70);
    random_kills(
        &["run", "run -d", "create", "start", "stop", "rm", "commit", "login"],
        n,
    );
}

#[test]
fn random_kills_build_pod_and_network_verbs() {
    let n = knob("HUTCH_FAULT_KILLS_STORE", 20);
    random_kills(
        &[
            "build",
            "build multi-stage --layers=false",
            "build (cached)",
            "kube down",
            "pod start",
            "pod stop",
            "pod kill",
            "network connect",
            "network disconnect",
        ],
        n,
    );
}

#[test]
fn random_kills_store_verbs() {
    let n = knob("HUTCH_FAULT_KILLS_STORE", 20);
    random_kills(
        &[
            "secret create",
            "secret rm",
            "manifest create",
            "manifest add",
            "manifest rm",
            "cp",
            "rename",
            "restart",
            "volume create",
            "volume rm",
            "volume prune",
            "network create",
            "network rm",
            "pod create",
            "pod rm",
            "push",
            "kube play",
            "system prune",
            "system reset",
        ],
        n,
    );
}

/// A small xorshift generator seeded from the clock (the seed is printed for a replay).
struct Xorshift(u64);

impl Xorshift {
    fn seeded() -> Xorshift {
        let seed = std::env::var("HUTCH_FAULT_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        println!("FAULTS seed={seed} (HUTCH_FAULT_SEED={seed} replays it)");
        Xorshift(seed)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

// ---------- children killed: monitor, network helper, the container's first process ----------

/// Pids of a running container from its live file: (container's first process, monitor).
fn live_pids(env: &Env, name: &str) -> (i32, i32) {
    let id = env
        .hutch(["inspect", "--format", "{{.Id}}", name])
        .ok()
        .stdout
        .trim()
        .to_string();
    let live: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.run_dir().join(format!("hutch/containers/{id}.json"))).unwrap())
            .unwrap();
    (
        live["pid"].as_i64().unwrap() as i32,
        live["monitor_pid"].as_i64().unwrap() as i32,
    )
}

fn children_of(pid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
    {
        if let Ok(c) = std::fs::read_to_string(e.path().join("children")) {
            out.extend(c.split_whitespace().filter_map(|p| p.parse::<i32>().ok()));
        }
    }
    out
}

fn comm(pid: i32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn kill9(pid: i32) {
    let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
}

/// Poll (bounded) until `f` holds.
fn wait_until(what: &str, f: impl Fn() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < Duration::from_secs(20), "timed out waiting: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `run -d` killed as soon as its monitor is forked: the monitor still starts the container,
/// and an `rm -f` at once waits for that start to be recorded and stops what it started. (It
/// used to find the container merely created, remove it, and leave its monitor and process
/// running, unknown to the store.)
#[test]
fn rm_at_once_after_a_killed_run_d_stops_what_its_monitor_started() {
    let env = baseline();
    for round in 0..5 {
        let name = format!("h{round}");
        let args = s(&[
            "run",
            "-d",
            "--name",
            &name,
            "--network",
            "none",
            "keep:1",
            "sleep",
            "1000",
        ]);
        // The monitor takes its time to record the start: rm comes meanwhile. (Not `output`,
        // which would wait for the monitor to let go of the caller's stdout and stderr.)
        let st = env
            .command(&args)
            .env("HUTCH_FAULT", "after:monitor-forked")
            .env("HUTCH_FAULT_DELAY", "monitor:spawned=300")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert_eq!(st.signal(), Some(9), "round {round}: not killed at the point: {st:?}");
        // rm looks before the start is recorded, and removes after.
        let out = env
            .command(["rm", "-f", "-t", "0", &name])
            .env("HUTCH_FAULT_DELAY", "rm:checked=600")
            .output()
            .unwrap();
        to_run(out).ok();
        wait_until("no monitor of this test left", || {
            env.processes(&["hutch-monitor"]).is_empty()
        });
        let ps = env.hutch(["ps", "-a", "--format", "{{.Names}}"]).ok();
        assert!(!ps.stdout.lines().any(|l| l == name), "round {round}: {ps:?}");
        assert_eq!(env.hutch(["system", "check"]).code, 0);
    }
    assert_intact(&env);
}

/// kill -9 of the monitor, of the network helper and of the container's first process of a
/// `run -d` container, and of a foreground `hutch run`, each several times: the container ends
/// (and is shown exited), `system check` is clean or repaired, `rm` works, a new one runs.
#[test]
fn kill_children_of_hutch() {
    let env = baseline();
    let rounds = knob("HUTCH_FAULT_CHILD_ROUNDS", 5);
    let mut stats = BTreeMap::new();
    let net = if Path::new("/usr/bin/pasta").exists() {
        "pasta"
    } else {
        "slirp4netns"
    };
    for round in 0..rounds {
        for target in ["monitor", "network helper", "container process", "foreground hutch"] {
            let st: &mut Stats = stats.entry(target.to_string()).or_default();
            let name = format!("k{round}");
            let network = if target == "network helper" { net } else { "none" };
            if target == "foreground hutch" {
                let mut child = env
                    .command(["run", "--name", &name, "--network", "none", "keep:1", "sleep", "1000"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap();
                wait_until("the foreground container starts", || {
                    env.hutch(["ps", "--format", "{{.Names}}"])
                        .stdout
                        .lines()
                        .any(|l| l == name)
                });
                let _ = child.kill();
                child.wait().unwrap();
            } else {
                env.hutch([
                    "run",
                    "-d",
                    "--name",
                    &name,
                    "--network",
                    network,
                    "keep:1",
                    "sleep",
                    "1000",
                ])
                .ok();
                let (pid, monitor) = live_pids(&env, &name);
                let victim = match target {
                    "monitor" => monitor,
                    "container process" => pid,
                    _ => {
                        let helper = children_of(monitor)
                            .into_iter()
                            .find(|p| *p != pid && comm(*p) != "hutch");
                        helper.unwrap_or_else(|| panic!("no network helper under the monitor {monitor}"))
                    }
                };
                kill9(victim);
            }
            st.kills += 1;
            // A helper that dies leaves the container running without a network (its death is
            // reported when the container exits); the others end the container.
            if target != "network helper" {
                wait_until("the container ends", || {
                    !env.hutch(["ps", "--format", "{{.Names}}"])
                        .stdout
                        .lines()
                        .any(|l| l == name)
                });
            }
            if settle(&env, &format!("{target} killed")) {
                st.repaired += 1;
            }
            let r = env.hutch(["rm", "-f", &name]);
            assert_eq!(r.code, 0, "{target}: rm after the kill: {r:?}");
            env.hutch(["run", "--rm", "--network", network, "keep:1", "true"]).ok();
            assert_eq!(env.hutch(["system", "check"]).code, 0);
            assert_intact(&env);
        }
    }
    print_stats("child-kill", &stats);
}

// ---------- corrupt files ----------

fn as_root_remove(p: &Path) {
    let _ = std::fs::remove_dir_all(p).or_else(|_| std::fs::remove_file(p));
}

/// Every verb either works or fails with one `Error:` line and exit 125 (never a panic).
#[track_caller]
fn verbs_answer_cleanly(env: &Env, what: &str) {
    for args in [
        vec!["images"],
        vec!["ps", "-a"],
        vec!["inspect", "keep:1"],
        vec!["tag", "keep:1", "again:1"],
        vec!["run", "--rm", "--network", "none", "keep:1", "true"],
        vec!["create", "--network", "none", "keep:1", "true"],
        vec!["rmi", "again:1"],
        vec!["image", "prune"],
        vec!["rm", "-f", "nosuch"],
        vec!["system", "check"],
    ] {
        let r = env.hutch(&args);
        assert!(!r.stderr.contains("panicked"), "{what}: {args:?} panicked: {r:?}");
        if args[0] == "system" {
            assert!(r.code == 0 || r.code == 1, "{what}: {args:?}: {r:?}");
        } else if r.code != 0 {
            let errs: Vec<&str> = r.stderr.lines().filter(|l| l.starts_with("Error: ")).collect();
            assert!(r.code == 125 || r.code == 1 || r.code == 2, "{what}: {args:?}: {r:?}");
            assert_eq!(errs.len(), 1, "{what}: {args:?}: expected one Error: line: {r:?}");
        }
    }
}

#[track_caller]
fn check_names(env: &Env, needle: &str) -> Run {
    let r = env.hutch(["system", "check"]);
    assert_eq!(r.code, 1, "check should find the damage: {r:?}");
    assert!(r.stdout.contains(needle), "check should name {needle:?}: {r:?}");
    r
}

#[track_caller]
fn repair_and_pull_again(env: &Env) {
    let damaged = env.hutch(["system", "check"]).code != 0;
    let r = env.hutch(["system", "check", "--repair"]);
    assert_eq!(r.code, 0, "repair: {r:?}");
    assert!(
        !damaged || r.stdout.contains("repaired: "),
        "repair says what it did: {r:?}"
    );
    env.hutch(["system", "check"]).ok();
    env.pull("fixtures/basic");
    env.hutch(["run", "--rm", "--network", "none", &basic(), "true"]).ok();
}

#[test]
fn corrupt_index_files() {
    let mut cases = 0;
    for (file, content) in [
        ("images/images.json", &b"{\"images\": [{\"id\": \"ab"[..]),
        ("images/images.json", &b"\x00\xffgarbage"[..]),
        ("layers/layers.json", &b"{\"layers\": 7}"[..]),
        ("containers/containers.json", &b"[1,2"[..]),
    ] {
        let env = baseline();
        let p = env.store().join(file);
        std::fs::write(&p, content).unwrap();
        check_names(&env, file);
        verbs_answer_cleanly(&env, file);
        let r = env.hutch(["images"]);
        if file.starts_with("images") {
            r.fails_with("images.json");
        }
        check_names(&env, file);
        repair_and_pull_again(&env);
        cases += 1;
        // The corrupt file is kept aside for a post-mortem.
        let dir = p.parent().unwrap();
        assert!(
            std::fs::read_dir(dir)
                .unwrap()
                .flatten()
                .any(|e| e.file_name().to_string_lossy().contains(".corrupt-")),
            "{file}: the corrupt index is kept aside"
        );
    }
    println!("FAULTS corruption kind=index cases={cases} failures=0");
}

#[test]
fn images_json_rebuilt_from_blobs_keeps_containers() {
    let env = baseline();
    env.pull("fixtures/multi");
    std::fs::write(env.store().join("images/images.json"), b"{").unwrap();
    let r = env.hutch(["system", "check", "--repair"]).ok();
    assert!(r.stdout.contains("rebuilt"), "{r:?}");
    // keeper's image comes back under the name keeper's record has (the name it was created
    // with, keep:1); multi, which no container names, comes back as <none>.
    let r = env.hutch(["images", "-a", "--format", "{{.Repository}}:{{.Tag}}"]).ok();
    let mut names: Vec<&str> = r.stdout.lines().collect();
    names.sort();
    assert_eq!(names, vec!["<none>:<none>", "localhost/keep:1"], "{r:?}");
    let r = env.hutch(["ps", "-a", "--format", "{{.Names}}"]).ok();
    assert_eq!(r.stdout.trim(), "keeper");
    env.hutch(["start", "keeper"]).ok();
    env.hutch(["system", "check"]).ok();
}

#[test]
fn damaged_layers_and_blobs() {
    let mut cases = 0;
    for damage in [
        "missing layer dir",
        "flipped layer byte",
        "flipped config byte",
        "tmp debris",
        "index temp file",
    ] {
        let env = baseline();
        let id = env
            .hutch(["inspect", "--format", "{{.Id}}", "keep:1"])
            .ok()
            .stdout
            .trim()
            .to_string();
        let layer = env.layer_dirs("keep:1").last().unwrap().clone();
        let needle = match damage {
            "missing layer dir" => {
                as_root_remove(&layer);
                "is missing"
            }
            "flipped layer byte" => {
                let f = layer.join("etc/fixture");
                let mut d = std::fs::read(&f).unwrap();
                d[0] ^= 0x20;
                std::fs::write(&f, d).unwrap();
                "content changed"
            }
            "flipped config byte" => {
                let f = env.store().join("blobs/sha256").join(&id);
                let mut d = std::fs::read(&f).unwrap();
                let n = d.len() / 2;
                d[n] ^= 1;
                std::fs::write(&f, d).unwrap();
                "does not match its digest"
            }
            "tmp debris" => {
                std::fs::create_dir_all(env.store().join("tmp/layer-0123456789ab-deadbeef/diff/x")).unwrap();
                std::fs::write(env.store().join("tmp/blob-cafe"), b"half").unwrap();
                env.chown_tree(&env.store().join("tmp"));
                "left in tmp/"
            }
            _ => {
                std::fs::write(env.store().join("images/.images.json.999999-0.tmp"), b"{\"ima").unwrap();
                "half-written"
            }
        };
        check_names(&env, needle);
        // The verbs work or refuse clearly (some recover: the next pull or rmi sweeps tmp/).
        verbs_answer_cleanly(&env, damage);
        repair_and_pull_again(&env);
        cases += 1;
    }
    println!("FAULTS corruption kind=layers-blobs-debris cases={cases} failures=0");
}

#[test]
fn stale_lock_files_and_wiped_runtime_dir() {
    let env = baseline();
    // Lock files left by killed processes (flock dies with its holder): nothing waits on them.
    for l in [
        "images/images.lock",
        "layers/layers.lock",
        "containers/containers.lock",
        "tmp/layer-x.lock",
    ] {
        std::fs::write(env.store().join(l), b"").unwrap();
    }
    env.chown_tree(&env.store());
    let mut holder = env
        .command(["pull", &format!("{FLAKY}/slow/multi"), "--tls-verify=false"])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let _ = holder.kill();
    holder.wait().unwrap();
    let t = Instant::now();
    env.hutch(["tag", "keep:1", "after:1"]).ok();
    env.pull("fixtures/zstd");
    env.hutch(["rmi", &zstd()]).ok();
    assert!(t.elapsed() < Duration::from_secs(60));
    settle(&env, "stale locks");
    // A reboot: the runtime dir is wiped while containers "ran" (their processes are gone).
    env.hutch([
        "run",
        "-d",
        "--name",
        "r",
        "--network",
        "none",
        "keep:1",
        "sleep",
        "1000",
    ])
    .ok();
    let (pid, monitor) = live_pids(&env, "r");
    kill9(monitor);
    kill9(pid);
    for e in std::fs::read_dir(env.run_dir()).unwrap().flatten() {
        as_root_remove(&e.path());
    }
    let r = env.hutch(["ps", "-a", "--format", "{{.Names}} {{.Status}}"]).ok();
    assert!(r.stdout.lines().any(|l| l.starts_with("r Exited")), "{r:?}");
    env.hutch(["system", "check"]).ok();
    env.hutch(["start", "r"]).ok();
    env.hutch(["rm", "-f", "r"]).ok();
    env.hutch(["run", "--rm", "--network", "none", "keep:1", "true"]).ok();
    env.hutch(["system", "check"]).ok();
    assert_intact(&env);
    println!("FAULTS corruption kind=stale-locks+wiped-runtime cases=2 failures=0");
}

// ---------- full disk ----------

struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// A store on a 24 MiB tmpfs: pull, create/run and load fail with "no space left on device"
/// (exit 125) when it is full, leave nothing behind, and work once space is freed.
#[test]
fn full_disk() {
    let env = Env::new();
    let data = env.data();
    let u = env
        .user
        .as_ref()
        .map(|u| (u.uid.as_raw(), u.gid.as_raw()))
        .unwrap_or((0, 0));
    let st = std::process::Command::new("mount")
        .args([
            "-t",
            "tmpfs",
            "-o",
            &format!("size=24m,mode=0700,uid={},gid={}", u.0, u.1),
            "tmpfs",
        ])
        .arg(&data)
        .status()
        .unwrap();
    assert!(st.success(), "mounting a tmpfs for the store");
    let _m = Mount(data.clone());
    env.pull("fixtures/basic");
    let archive = env.root.join("basic.tar");
    env.hutch(["save", "-o", archive.to_str().unwrap(), &basic()]).ok();
    let filler = data.join("filler");
    let fill = |leave_kib: u64| {
        let _ = std::fs::remove_file(&filler);
        let vfs = nix::sys::statvfs::statvfs(&data).unwrap();
        let free = vfs.blocks_available() as u64 * vfs.fragment_size() as u64;
        let size = free.saturating_sub(leave_kib * 1024);
        let f = std::fs::File::create(&filler).unwrap();
        use std::io::Write;
        let mut w = std::io::BufWriter::new(f);
        let chunk = vec![0x5au8; 1 << 16];
        let mut left = size;
        while left > 0 {
            let n = left.min(chunk.len() as u64) as usize;
            if w.write_all(&chunk[..n]).is_err() {
                break;
            }
            left -= n as u64;
        }
        let _ = w.flush();
    };
    let mut cases = 0;
    for leave in [0u64, 64, 512] {
        fill(leave);
        let images_before = env.hutch(["images", "-q", "--no-trunc"]).ok().stdout;
        let r = env.hutch(["pull", "--tls-verify=false", &multi()]);
        assert_eq!(r.code, 125, "pull on a full disk ({leave} KiB left): {r:?}");
        assert!(r.stderr.to_lowercase().contains("no space left"), "{r:?}");
        assert_eq!(
            r.stderr.lines().filter(|l| l.starts_with("Error: ")).count(),
            1,
            "{r:?}"
        );
        let r = env.hutch(["load", "-i", archive.to_str().unwrap()]);
        assert!(
            r.code == 0 || (r.code == 125 && r.stderr.to_lowercase().contains("no space left")),
            "load: {r:?}"
        );
        if leave == 0 {
            // A container (created, or run) and an index write (tag) need space too.
            for args in [
                s(&["create", "--network", "none", &basic(), "true"]),
                s(&["run", "--rm", "--network", "none", &basic(), "true"]),
                s(&["tag", &basic(), "full:1"]),
            ] {
                let r = env.hutch(&args);
                assert_eq!(r.code, 125, "{args:?} on a full disk: {r:?}");
                assert!(r.stderr.to_lowercase().contains("no space left"), "{r:?}");
                assert_eq!(
                    r.stderr.lines().filter(|l| l.starts_with("Error: ")).count(),
                    1,
                    "{r:?}"
                );
                cases += 1;
            }
        }
        assert_eq!(env.hutch(["images", "-q", "--no-trunc"]).ok().stdout, images_before);
        assert_eq!(env.hutch(["ps", "-aq"]).ok().stdout, "", "no container left behind");
        // Nothing partial: the store is consistent as it is (no repair).
        let c = env.hutch(["system", "check"]);
        assert_eq!(c.code, 0, "after ENOSPC ({leave} KiB left): {c:?}");
        cases += 2;
    }
    std::fs::remove_file(&filler).unwrap();
    env.hutch(["pull", "--tls-verify=false", &multi()]).ok();
    env.hutch(["run", "--rm", "--network", "none", &multi(), "true"]).ok();
    env.hutch(["system", "check"]).ok();
    println!("FAULTS enospc cases={cases} failures=0");
}

// ---------- concurrency ----------

/// `HUTCH_FAULT_WORKERS` workers x `HUTCH_FAULT_OPS` random operations on one store: no
/// deadlock (every command has a watchdog), no error but the expected conflicts, and a clean
/// `system check` at the end.
#[test]
fn concurrent_workers_on_one_store() {
    let env = std::sync::Arc::new(baseline());
    let workers = knob("HUTCH_FAULT_WORKERS", 8);
    let ops = knob("HUTCH_FAULT_OPS", 200);
    let seed = Xorshift::seeded().next();
    let expected = [
        "is in use by container",
        "image not known",
        "was removed while",
        "no container with name or ID",
        "as it is running - running or paused containers cannot be removed without force",
    ];
    let t0 = Instant::now();
    let handles: Vec<_> = (0..workers)
        .map(|w| {
            let env = env.clone();
            std::thread::spawn(move || {
                let mut rng = Xorshift(seed ^ (w as u64 + 1).wrapping_mul(0x9e3779b97f4a7c15) | 1);
                let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
                let images = [basic(), multi(), zstd()];
                for k in 0..ops {
                    let img = images[rng.below(3) as usize].clone();
                    let mine = format!("w{w}-{}", rng.below(4));
                    let (op, args): (&str, Vec<String>) = match rng.below(10) {
                        0 => ("pull", s(&["pull", "-q", "--tls-verify=false", &img])),
                        1 => (
                            "run --rm",
                            s(&["run", "--rm", "--network", "none", "--tls-verify=false", &img, "true"]),
                        ),
                        2 => (
                            "run -d",
                            s(&[
                                "run",
                                "-d",
                                "--network",
                                "none",
                                "--name",
                                &format!("w{w}-{k}"),
                                "--tls-verify=false",
                                &img,
                                "sleep",
                                "30",
                            ]),
                        ),
                        3 => ("stop", s(&["stop", "-t", "0", &mine])),
                        4 => ("rm", s(&["rm", "-f", &mine])),
                        5 => ("rmi", s(&["rmi", &img])),
                        6 => ("tag", s(&["tag", &img, &format!("t{w}:{k}")])),
                        7 => ("prune", s(&["image", "prune"])),
                        8 => ("images", s(&["images"])),
                        _ => ("ps", s(&["ps", "-a"])),
                    };
                    // Name run -d containers so that stop/rm find some.
                    let args = if op == "run -d" {
                        let mut a = args;
                        a[5] = mine.clone();
                        let _ = env.hutch(["rm", "-f", &mine]);
                        a
                    } else {
                        args
                    };
                    let mut child = env
                        .command(&args)
                        .stdout(Stdio::null())
                        .stderr(Stdio::piped())
                        .spawn()
                        .unwrap();
                    let start = Instant::now();
                    let status = loop {
                        if let Some(s) = child.try_wait().unwrap() {
                            break s;
                        }
                        if start.elapsed() > Duration::from_secs(180) {
                            let _ = child.kill();
                            panic!("worker {w}: {args:?} hung for 180 s (deadlock?)");
                        }
                        std::thread::sleep(Duration::from_millis(10));
                    };
                    let mut err = String::new();
                    use std::io::Read;
                    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
                    assert!(!err.contains("panicked"), "worker {w}: {args:?}: {err}");
                    if !status.success() {
                        let line = err.lines().find(|l| l.starts_with("Error: ")).unwrap_or("").to_string();
                        assert!(
                            expected.iter().any(|e| line.contains(e)),
                            "worker {w}: {args:?} failed unexpectedly ({status:?}): {err}"
                        );
                        *counts.entry("expected conflicts").or_default() += 1;
                    }
                    *counts.entry(op).or_default() += 1;
                }
                counts
            })
        })
        .collect();
    let mut all: BTreeMap<&str, usize> = BTreeMap::new();
    for h in handles {
        for (k, v) in h.join().unwrap() {
            *all.entry(k).or_default() += v;
        }
    }
    clear_containers(&env);
    let r = env.hutch(["system", "check"]);
    assert_eq!(r.code, 0, "store not clean after the concurrent run: {r:?}");
    assert_intact(&env);
    println!(
        "FAULTS concurrency workers={workers} ops={} time={:.0?} {all:?} failures=0",
        workers * ops,
        t0.elapsed()
    );
}
