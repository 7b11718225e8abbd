//! Start latency and concurrent starts (issue 14): a foreground `--rm` container is gone
//! (record, name, directory) when `hutch run` returns, its directory's contents deleted by a
//! detached child; the store's locks say under HUTCH_TRACE how long they waited and were held;
//! concurrent starts all succeed with distinct names.

mod common;
use common::*;

const BASIC: &str = "fixtures/basic";

/// The container directories in the store (64-hex names).
fn container_dirs(env: &Env) -> Vec<String> {
    env.entries("containers")
        .into_iter()
        .filter(|n| n.len() == 64)
        .collect()
}

#[test]
fn rm_container_is_gone_when_run_returns() {
    let env = env_with(&[BASIC]);
    // Files of another uid (deleted only in the store's user namespace) and many of them.
    let r = env.hutch([
        "run",
        "--rm",
        "--name",
        "quick",
        "--network",
        "none",
        BASIC,
        "sh",
        "-c",
        "mkdir -p /d/e && for i in $(seq 1 300); do echo $i > /d/e/f$i; done; chown -R 1:1 /d; exit 3",
    ]);
    assert_eq!(r.code, 3, "{r:?}");
    // Nothing lists it, its name is free, its directory is no longer among the containers',
    // and the store is consistent at once.
    assert_eq!(env.hutch(["ps", "-a", "-q"]).ok().stdout, "");
    assert!(container_dirs(&env).is_empty(), "{:?}", container_dirs(&env));
    let check = env.hutch(["system", "check", "--quick"]);
    assert_eq!(check.code, 0, "{check:?}");
    assert!(check.stdout.contains("no problems"), "{check:?}");
    env.hutch(["run", "--rm", "--name", "quick", "--network", "none", BASIC, "true"])
        .ok();
    // The detached deleter finishes: tmp/ empties (trash and its lock file).
    wait_until("tmp/ to be empty", || env.entries("tmp").is_empty());
    assert!(container_dirs(&env).is_empty());
    assert_eq!(env.hutch(["system", "check"]).code, 0);
}

#[test]
fn rm_output_ends_with_the_exit_status() {
    // Whoever reads hutch's output (here a pipe, read to its end) is not kept waiting by the
    // deleter: the output is the container's and ends when hutch exits.
    let env = env_with(&[BASIC]);
    let r = sh(
        &env,
        &format!("hutch run --rm --network none {BASIC} sh -c 'echo out; echo err >&2' 2>&1 | cat; echo done"),
    )
    .ok();
    assert_eq!(r.stdout, "out\nerr\ndone\n", "{r:?}");
    wait_until("tmp/ to be empty", || env.entries("tmp").is_empty());
}

#[test]
fn rm_with_a_volume_removes_it_before_returning() {
    let env = env_with(&[BASIC]);
    env.hutch([
        "run",
        "--rm",
        "--network",
        "none",
        "-v",
        "/data",
        BASIC,
        "sh",
        "-c",
        "echo x > /data/f",
    ])
    .ok();
    assert_eq!(env.hutch(["volume", "ls", "-q"]).ok().stdout, "");
    wait_until("tmp/ to be empty", || env.entries("tmp").is_empty());
}

#[test]
fn lock_waits_are_traced() {
    let env = env_with(&[BASIC]);
    let out = env
        .command(["run", "--rm", "--network", "none", BASIC, "true"])
        .env("HUTCH_TRACE", "1")
        .output()
        .unwrap();
    let r = to_run(out).ok();
    let line = r
        .stderr
        .lines()
        .find(|l| l.contains("unlocked ") && l.contains("containers.lock: waited "))
        .unwrap_or_else(|| panic!("no lock line: {r:?}"));
    let nums: Vec<u64> = line
        .split_whitespace()
        .filter_map(|w| w.trim_end_matches(',').parse().ok())
        .collect();
    // "debug T us [PID] unlocked PATH: waited W us, held H us": T, W, H.
    assert_eq!(nums.len(), 3, "{line}");
    // Without tracing, nothing of it.
    let quiet = env.hutch(["run", "--rm", "--network", "none", BASIC, "true"]).ok();
    assert!(!quiet.stderr.contains("unlocked"), "{quiet:?}");
}

#[test]
fn concurrent_detached_starts_all_run() {
    let env = env_with(&[BASIC]);
    const N: usize = 8;
    let children: Vec<_> = (0..N)
        .map(|_| {
            env.command(["run", "-d", "--network", "none", BASIC, "sleep", "1000"])
                .env("HUTCH_TRACE", "1")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut ids = Vec::new();
    for c in children {
        let r = to_run(c.wait_with_output().unwrap()).ok();
        assert!(r.stderr.contains("containers.lock: waited "), "{r:?}");
        ids.push(r.stdout.trim().to_string());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), N);
    let ps = env.hutch(["ps", "--format", "{{.Names}} {{.Status}}"]).ok();
    let mut names: Vec<&str> = ps.stdout.lines().map(|l| l.split(' ').next().unwrap()).collect();
    assert_eq!(names.len(), N, "{ps:?}");
    assert!(ps.stdout.lines().all(|l| l.contains(" Up")), "{ps:?}");
    names.sort();
    names.dedup();
    assert_eq!(names.len(), N, "names not distinct: {ps:?}");
    env.hutch(["rm", "-af", "-t", "0"]).ok();
    assert!(container_dirs(&env).is_empty());
}
