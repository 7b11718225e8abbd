//! Start latency, issue 14 (second part), session 25: more of the seed's work off a foreground
//! `run --network none`'s critical path.
//! - The seed is started before the arguments are parsed when they look like a seedable run
//!   (clap's parse overlaps newuidmap and newgidmap); a guess the parse contradicts ends it.
//! - The seed makes the container's network, UTS and IPC namespaces too, and the container
//!   joins them: new ones for each container, owned by its user namespace (it sets its host
//!   name, its loopback is up).
//! - Session 27: a foreground run on the default network whose shared network namespace is not
//!   up makes a seed too (user and network namespaces), which hutch-netns enters: its maps are
//!   written from the run's start, not by a second newuidmap/newgidmap after the parse.

mod common;
use common::*;

const BASIC: &str = "fixtures/basic";

/// The container's namespaces (user, net, uts, ipc), host name and network devices.
const NS: &str = "for n in user net uts ipc; do readlink /proc/self/ns/$n; done; hostname; \
                  tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '; cat /sys/class/net/lo/operstate";

fn traced(env: &Env, args: &[&str]) -> Run {
    let mut c = env.command(args);
    c.env("HUTCH_TRACE", "1");
    to_run(c.output().unwrap())
}

/// Index of the first stderr line containing `what`.
fn at(r: &Run, what: &str) -> usize {
    r.stderr
        .lines()
        .position(|l| l.contains(what))
        .unwrap_or_else(|| panic!("no {what:?} in {r:?}"))
}

#[test]
fn the_seed_starts_before_the_parse_and_makes_the_containers_namespaces() {
    let env = env_with(&[BASIC]);
    let check = |r: &Run| {
        // Made before the arguments were parsed (the global options' debug line follows the
        // parse), used for the container.
        assert!(at(r, "seed: user namespace made") < at(r, "] hutch "), "{r:?}");
        assert!(at(r, "seed: maps written") < at(r, "] clone"), "{r:?}");
        r.stdout.lines().map(str::to_string).collect::<Vec<_>>()
    };
    // One container runs (reading its stdin) while the other starts, so that their namespaces
    // are alive at once (a freed namespace's inode number is used again).
    let script = format!("{NS}; read x || true");
    let mut c = env.command([
        "run",
        "--rm",
        "-i",
        "--network",
        "none",
        "--hostname",
        "seeded",
        BASIC,
        "sh",
        "-c",
        &script,
    ]);
    c.env("HUTCH_TRACE", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut first = c.spawn().unwrap();
    let mut out = std::io::BufReader::new(first.stdout.take().unwrap());
    let mut a = Vec::new();
    for _ in 0..7 {
        let mut l = String::new();
        std::io::BufRead::read_line(&mut out, &mut l).unwrap();
        a.push(l.trim_end().to_string());
    }
    let b = check(&traced(&env, &["run", "--rm", "--network", "none", BASIC, "sh", "-c", NS]).ok());
    drop(first.stdin.take());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(first.stderr.as_mut().unwrap(), &mut err).unwrap();
    let code = first.wait().unwrap().code().unwrap_or(-1);
    let r = Run {
        code,
        stdout: a.join("\n") + "\n",
        stderr: err,
    }
    .ok();
    assert_eq!(check(&r), a);
    assert_eq!(a.len(), 7, "{a:?}");
    assert_eq!(b.len(), 7, "{b:?}");
    // New namespaces for each container, none of them the host's.
    let host: Vec<String> = ["user", "net", "uts", "ipc"]
        .iter()
        .map(|n| {
            std::fs::read_link(format!("/proc/self/ns/{n}"))
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    for i in 0..4 {
        assert_ne!(a[i], b[i], "{a:?} {b:?}");
        assert_ne!(a[i], host[i], "{a:?} {host:?}");
        assert_ne!(b[i], host[i], "{b:?} {host:?}");
    }
    // Its UTS namespace is its own (the host name set), its network namespace has only its
    // loopback, up.
    assert_eq!(a[4], "seeded", "{a:?}");
    assert_eq!(b[4].len(), 12, "{b:?}");
    assert_eq!(a[5..], ["lo", "unknown"], "{a:?}");
    assert_eq!(b[5..], ["lo", "unknown"], "{b:?}");
    // Without --network none: no seed of its own (a cold start of the shared network
    // namespace takes one, `a_cold_start_of_the_default_network_takes_the_seed`), the same
    // kind of namespaces.
    let d = traced(
        &env,
        &["run", "--rm", BASIC, "sh", "-c", "readlink /proc/self/ns/uts; hostname"],
    )
    .ok();
    assert!(!d.stderr.contains("seed: maps written"), "{d:?}");
    assert_eq!(d.stdout.lines().count(), 2, "{d:?}");
    wait_until("tmp/ to be empty", || env.entries("tmp").is_empty());
}

#[test]
fn a_seed_the_parse_contradicts_is_ended_unused() {
    let env = env_with(&[BASIC]);
    // `--network none` is the container's command's here: started before the parse, ended
    // after it; the container is on the default network.
    let r = traced(&env, &["run", "--rm", BASIC, "echo", "--network", "none"]).ok();
    assert!(at(&r, "seed: user namespace made") < at(&r, "] hutch "), "{r:?}");
    assert!(!r.stderr.contains("seed: maps written"), "{r:?}");
    assert_eq!(r.stdout, "--network none\n", "{r:?}");
    // What looks like -d (or --pod, --userns…) anywhere: no seed before the parse; one after
    // it when the parse finds the run seedable.
    let r = traced(&env, &["run", "--rm", "--network=none", BASIC, "ls", "-d", "/"]).ok();
    assert!(at(&r, "] hutch ") < at(&r, "seed: user namespace made"), "{r:?}");
    assert!(at(&r, "seed: maps written") < at(&r, "] clone"), "{r:?}");
    assert_eq!(r.stdout, "/\n", "{r:?}");
    // A detached run makes none.
    let r = traced(&env, &["run", "-d", "--name", "bg", "--network", "none", BASIC, "true"]).ok();
    assert!(!r.stderr.contains("seed:"), "{r:?}");
    env.hutch(["wait", "bg"]).ok();
    env.hutch(["rm", "bg"]).ok();
    assert!(env.hutch(["ps", "-aq"]).ok().stdout.trim().is_empty());
    wait_until("tmp/ to be empty", || env.entries("tmp").is_empty());
}

#[test]
fn a_cold_start_of_the_default_network_takes_the_seed() {
    let env = env_with(&[BASIC]);
    const IDS: &str = "cat /proc/self/uid_map /proc/self/gid_map; ls /sys/class/net | sort | tr '\\n' ' '";
    let none = env
        .hutch(["run", "--rm", "--network", "none", BASIC, "sh", "-c", IDS])
        .ok();
    // Cold (nothing up): the seed is made before the parse and handed to the shared namespace
    // before it starts; the container, in that user namespace, waits for its maps only.
    let r = traced(&env, &["run", "--rm", BASIC, "sh", "-c", IDS]).ok();
    assert!(at(&r, "seed: user namespace made") < at(&r, "] hutch "), "{r:?}");
    assert!(
        at(&r, "seed: handed to the shared network namespace") < at(&r, "shared network: started early"),
        "{r:?}"
    );
    assert!(
        at(&r, "shared network: the seed's maps written") < at(&r, "shared network: attached"),
        "{r:?}"
    );
    assert!(!r.stderr.contains("seed: maps written"), "{r:?}");
    // The same maps as a container with a user namespace of its own; its interface is there.
    let (maps, nets) = r.stdout.rsplit_once('\n').unwrap();
    assert_eq!(maps, none.stdout.rsplit_once('\n').unwrap().0, "{r:?} {none:?}");
    assert_eq!(nets.trim(), "eth0 lo", "{r:?}");
    // Warm (a container keeps the namespace up): no seed at all.
    env.hutch(["run", "-d", "--name", "bg", BASIC, "sleep", "60"]).ok();
    let w = traced(&env, &["run", "--rm", BASIC, "sh", "-c", IDS]).ok();
    assert!(!w.stderr.contains("seed:"), "{w:?}");
    assert!(!w.stderr.contains("hutch-netns up"), "{w:?}");
    assert_eq!(w.stdout, r.stdout, "{w:?}");
    env.hutch(["rm", "-f", "-t0", "bg"]).ok();
    // Nothing is left: no hutch-netns, no pasta, no seed holder, no `hutch __netns`.
    wait_until("the shared namespace to go", || {
        env.processes(&["hutch-netns", "pasta", "hutch", "hutch-netns-lo"])
            .is_empty()
    });
}
