//! Dense networking (issue 17's start-path and density work), as the unprivileged test user:
//! hutch-netns configures each container's veth pair, addresses and routes over rtnetlink
//! (no iproute2 or iptables process on a start once the network's bridge exists), a network's
//! bridge and firewall rules are made once (in-process over nf_tables' netlink, as iptables-nft
//! writes them; iptables-restore the fallback), and what containers get
//! from that is the same as before: their address, lo, the default route, none on an
//! `--internal` network, one interface per network.

mod common;

use std::io::Read;
use std::time::{Duration, Instant};

use common::net::*;
use common::*;

const BASIC: &str = "fixtures/basic";

#[test]
fn interfaces_addresses_and_routes_come_from_rtnetlink() {
    let env = env_with(&[BASIC]);
    env.hutch(["network", "create", "--subnet", "10.91.0.0/24", "dense"])
        .ok();
    env.hutch(["network", "create", "--subnet", "10.92.0.0/24", "--internal", "shut"])
        .ok();
    // The first container starts the shared namespace (and the default network's bridge).
    env.hutch([
        "run",
        "-d",
        "--name",
        "keep",
        "--network",
        "podman",
        BASIC,
        "sleep",
        "300",
    ])
    .ok();
    let k = netns_pid(&env);
    // A start on a network whose bridge exists runs no process in hutch-netns (strace, as
    // root, follows it and every thread or child it makes).
    let log = env.root.join("strace.log");
    let mut st = std::process::Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=execve", "-o"])
        .arg(&log)
        .args(["-p", &k.to_string()])
        .spawn()
        .unwrap();
    // strace is attached once it has written its first line or a moment has passed: poll for
    // the tracer in /proc/PID/status.
    let t = Instant::now();
    while std::fs::read_to_string(format!("/proc/{k}/status"))
        .unwrap()
        .lines()
        .any(|l| l == "TracerPid:\t0")
    {
        assert!(t.elapsed() < Duration::from_secs(10), "strace did not attach");
        std::thread::sleep(Duration::from_millis(20));
    }
    let r = env
        .hutch([
            "run",
            "--rm",
            "--network",
            "podman",
            "--ip",
            "10.88.0.77",
            BASIC,
            "sh",
            "-c",
            "ip -o -4 addr show; ip route; cat /sys/class/net/lo/operstate",
        ])
        .ok();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(st.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    st.wait().unwrap();
    let mut traced = String::new();
    std::fs::File::open(&log).unwrap().read_to_string(&mut traced).unwrap();
    assert!(
        !traced.contains("execve("),
        "hutch-netns ran a process on a start: {traced}"
    );
    assert!(r.stdout.contains("inet 10.88.0.77/16 brd 10.88.255.255"), "{r:?}");
    assert!(r.stdout.contains("eth0"), "{r:?}");
    assert!(r.stdout.contains("default via 10.88.0.1 dev eth0"), "{r:?}");
    // lo is up (its operstate is "unknown" when up, "down" otherwise).
    assert!(r.stdout.trim_end().ends_with("unknown"), "{r:?}");

    // Two networks: one interface each, the default route via the first that is not internal.
    let r = env
        .hutch([
            "run",
            "--rm",
            "--network",
            "shut,dense",
            BASIC,
            "sh",
            "-c",
            "ip -o -4 addr show; ip route",
        ])
        .ok();
    assert!(
        r.stdout.contains("eth0    inet 10.92.0.2/24") || r.stdout.contains("eth0 inet 10.92.0.2/24"),
        "{r:?}"
    );
    assert!(r.stdout.contains("inet 10.91.0.2/24 brd 10.91.0.255"), "{r:?}");
    assert!(r.stdout.contains("default via 10.91.0.1 dev eth1"), "{r:?}");
    // An internal network alone: no default route.
    let r = env
        .hutch(["run", "--rm", "--network", "shut", BASIC, "ip", "route"])
        .ok();
    assert!(!r.stdout.contains("default"), "{r:?}");
    assert!(r.stdout.contains("10.92.0.0/24 dev eth0"), "{r:?}");

    // The bridges and their rules, made once each: FORWARD drops by default, each bridge's
    // own traffic passes, only non-internal ones are NATed.
    let links = in_shared(k, &["ip", "-o", "-4", "addr", "show"]);
    assert!(
        links.contains("podman0    inet 10.88.0.1/16") || links.contains("podman0 inet 10.88.0.1/16"),
        "{links}"
    );
    let rules = in_shared(k, &["iptables", "-S", "FORWARD"]);
    assert!(rules.contains("-P FORWARD DROP"), "{rules}");
    for br in ["podman0", "podman1", "podman2"] {
        assert_eq!(
            rules.matches(&format!("-A FORWARD -i {br} -o {br} -j ACCEPT")).count(),
            1,
            "{rules}"
        );
    }
    let nat = in_shared(k, &["iptables", "-t", "nat", "-S", "POSTROUTING"]);
    assert!(
        nat.contains("-A POSTROUTING -s 10.91.0.0/24 ! -o podman1 -j MASQUERADE"),
        "{nat}"
    );
    assert!(!nat.contains("10.92.0.0/24"), "{nat}");
    // The run's veths go with its network namespace (the kernel frees a dead namespace, and
    // with it the veth pair, asynchronously); the kept container's is there.
    wait_until("the finished runs' veths to go", || {
        in_shared(k, &["ip", "-o", "link", "show", "type", "veth"])
            .lines()
            .count()
            == 1
    });
    env.hutch(["rm", "-f", "keep"]).ok();
    wait_until("the shared namespace to go", || {
        !env.run_dir().join("hutch/net/shared.json").exists()
    });
}

#[test]
fn a_failed_attach_leaves_no_veth() {
    let env = env_with(&[BASIC]);
    env.hutch(["network", "create", "--subnet", "10.93.0.0/30", "tiny"])
        .ok();
    env.hutch(["network", "create", "--subnet", "10.94.0.0/24", "wide"])
        .ok();
    // A /30 has one address for a container (.2; .1 is the gateway).
    env.hutch(["run", "-d", "--name", "one", "--network", "tiny", BASIC, "sleep", "300"])
        .ok();
    let k = netns_pid(&env);
    let veths = || {
        in_shared(k, &["ip", "-o", "link", "show", "type", "veth"])
            .lines()
            .count()
    };
    assert_eq!(veths(), 1);
    // The veth on `wide` is made, then `tiny` has no address left: the attach fails as a
    // whole, with one error line, and takes its first veth back.
    let r = env.hutch(["run", "--rm", "--network", "wide,tiny", BASIC, "true"]);
    assert_eq!(r.code, 125, "{r:?}");
    assert!(
        r.stderr.contains("network tiny: no free address left in 10.93.0.0/30"),
        "{r:?}"
    );
    assert_eq!(r.stderr.lines().count(), 1, "{r:?}");
    assert_eq!(veths(), 1);
    // And the network works afterwards.
    env.hutch(["run", "--rm", "--network", "wide", BASIC, "true"]).ok();
    env.hutch(["rm", "-f", "-a"]).ok();
}

/// Podman's network verbs as its system tests (500-networking.bats) use them.
#[test]
fn network_ls_sorted_noheading_rm_force_and_dns_opt() {
    let env = env_with(&[BASIC]);
    for n in ["c-net", "a-net", "b-net"] {
        env.hutch(["network", "create", n]).ok();
    }
    // Sorted by name, as Podman lists them; --noheading drops the title row.
    assert_eq!(
        env.hutch(["network", "ls", "-q"]).ok().stdout,
        "a-net\nb-net\nc-net\npodman\n"
    );
    let all = env.hutch(["network", "ls"]).ok().stdout;
    assert!(all.starts_with("NETWORK ID"), "{all}");
    let bare = env.hutch(["network", "ls", "--noheading"]).ok().stdout;
    assert_eq!(bare, all.split_once('\n').unwrap().1);
    assert_eq!(bare.lines().count(), 4, "{bare}");
    assert!(bare.lines().last().unwrap().contains("  podman  bridge"), "{bare}");
    // rm -f of a network that does not exist is no error (without -f: 1, one line).
    let r = env.hutch(["network", "rm", "bogus"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.stderr.lines().count(), 1, "{r:?}");
    let r = env.hutch(["network", "rm", "-f", "bogus", "a-net"]).ok();
    assert_eq!(r.stdout, "a-net\n");
    assert_eq!(r.stderr, "");
    // --dns-opt is --dns-option's other name.
    let r = env
        .hutch([
            "run",
            "--rm",
            "--network",
            "none",
            "--dns-opt",
            "ndots:3",
            BASIC,
            "cat",
            "/etc/resolv.conf",
        ])
        .ok();
    assert!(r.stdout.contains("options ndots:3"), "{r:?}");
}

/// Whether process `pid` runs (a zombie does not).
fn running(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| !s.rsplit_once(") ").is_some_and(|(_, rest)| rest.starts_with('Z')))
        .unwrap_or(false)
}

/// A hutch-netns whose runtime directory is removed (by hand, or with the user's session)
/// while a container is attached ends with its pasta once that container goes: nobody can
/// reach it any more (its socket and lock went with the directory), so it must not wait for
/// a connection for ever.
#[test]
fn hutch_netns_whose_directory_is_removed_exits() {
    let env = env_with(&[BASIC]);
    env.hutch(["run", "-d", "--name", "keep", BASIC, "sleep", "300"]).ok();
    let k = netns_pid(&env);
    let (_, pasta) = want_the_way_out(&env, "keep");
    assert!(running(k) && running(pasta), "hutch-netns {k}, pasta {pasta}");
    std::fs::remove_dir_all(env.run_dir().join("hutch/net")).unwrap();
    // Still serving its container meanwhile.
    let r = env
        .hutch(["exec", "keep", "ip", "-4", "-o", "addr", "show", "eth0"])
        .ok();
    assert!(r.stdout.contains("10.88."), "{r:?}");
    assert!(running(k));
    env.hutch(["rm", "-f", "keep"]).ok();
    wait_until("hutch-netns to exit", || !running(k));
    wait_until("its pasta to exit", || !running(pasta));
    // The next container brings a new one up.
    let r = env
        .hutch(["run", "--rm", BASIC, "ip", "-4", "-o", "addr", "show", "eth0"])
        .ok();
    assert!(r.stdout.contains("10.88."), "{r:?}");
}

/// Pastas started with `--netns /proc/PID/ns/net` for hutch-netns `k` (by command line).
fn pastas_of(k: i32) -> Vec<i32> {
    let needle = format!("--netns\0/proc/{k}/ns/net\0");
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|p| {
            std::fs::read(format!("/proc/{p}/cmdline"))
                .is_ok_and(|c| c.windows(needle.len()).any(|w| w == needle.as_bytes()))
        })
        .filter(|p| running(*p))
        .collect()
}

/// The runtime directory removed while hutch-netns has yet to record the pasta it had started
/// (for its container's first packet out): hutch-netns goes with its last container, fails to
/// record the pasta, and leaves no pasta running (it holds the namespace itself: nothing else
/// would ever end it).
#[test]
fn a_pasta_not_yet_recorded_goes_with_its_namespace() {
    let env = env_with(&[BASIC]);
    let r = env
        .command(["run", "-d", "--name", "keep", BASIC, "sleep", "300"])
        .env("HUTCH_FAULT_DELAY", "netns:pasta-state=3000")
        .output()
        .unwrap();
    to_run(r).ok();
    let k = env
        .processes(&["hutch-netns"])
        .first()
        .copied()
        .expect("its hutch-netns");
    assert!(pastas_of(k).is_empty(), "pasta before any packet went out");
    send_out(&env, "keep");
    wait_until("its pasta", || !pastas_of(k).is_empty());
    let net = env.run_dir().join("hutch/net");
    assert_eq!(
        shared_state(&env).map(|(_, p)| p),
        Some(0),
        "recorded already: the delay did not hold"
    );
    std::fs::remove_dir_all(&net).unwrap();
    env.hutch(["rm", "-f", "-t", "0", "keep"]).ok();
    wait_until("hutch-netns to exit", || !running(k));
    wait_until("its pasta to exit", || pastas_of(k).is_empty());
}

/// The rules hutch-netns writes itself over nf_tables' netlink are, for iptables, the very ones
/// iptables-restore writes (its fallback, forced with HUTCH_FIREWALL): the same `iptables -S`,
/// a whole subnet and one whose prefix ends inside a byte, an internal network's; and the
/// in-process path runs no iptables-restore.
#[test]
fn firewall_rules_written_in_process_are_iptables_own() {
    let env = env_with(&[BASIC]);
    env.hutch(["network", "create", "--subnet", "10.96.0.0/24", "fwa"]).ok();
    env.hutch(["network", "create", "--subnet", "10.97.16.0/20", "fwb"])
        .ok();
    env.hutch(["network", "create", "--subnet", "10.98.0.0/24", "--internal", "fwc"])
        .ok();
    let rules = |firewall: Option<&str>| {
        let mut c = env.command([
            "run",
            "-d",
            "--name",
            "fw",
            "--network",
            "fwa,fwb,fwc",
            BASIC,
            "sleep",
            "300",
        ]);
        if let Some(f) = firewall {
            c.env("HUTCH_FIREWALL", f);
        }
        to_run(c.output().unwrap()).ok();
        let k = netns_pid(&env);
        let dump = in_shared(k, &["iptables", "-S"]) + &in_shared(k, &["iptables", "-t", "nat", "-S"]);
        let log = std::fs::read_to_string(env.run_dir().join("hutch/net/shared.log")).unwrap_or_default();
        env.hutch(["rm", "-f", "fw"]).ok();
        let sock = env.run_dir().join("hutch/net/shared.sock");
        wait_until("the shared namespace to go", || !sock.exists());
        (dump, log)
    };
    // Each shared namespace's host-loopback forwarder listens on a port of its own.
    let port_free = |dump: String| -> String {
        dump.lines()
            .map(|l| match l.split_once(" --to-ports ") {
                Some((head, _)) => format!("{head} --to-ports PORT\n"),
                None => format!("{l}\n"),
            })
            .collect()
    };
    let (own, log) = rules(None);
    assert!(!log.contains("iptables-restore"), "{log}");
    let own = port_free(own);
    let (restored, _) = rules(Some("iptables-restore"));
    assert_eq!(own, port_free(restored));
    // TCP to the host's loopback goes to hutch-netns's forwarder, from every network that has
    // a way out.
    for br in ["podman0", "podman1", "podman2"] {
        let tail = format!("/32 -i {br} -p tcp -j REDIRECT --to-ports PORT");
        assert!(
            own.lines()
                .any(|l| l.starts_with("-A PREROUTING -d ") && l.ends_with(&tail)),
            "{own}"
        );
    }
    assert!(!own.contains("-i podman3 -p tcp"), "{own}");
    assert!(own.contains("-P FORWARD DROP"), "{own}");
    for br in ["podman0", "podman1", "podman2", "podman3"] {
        assert!(own.contains(&format!("-A FORWARD -i {br} -o {br} -j ACCEPT")), "{own}");
    }
    assert!(own.contains("-A FORWARD -i podman1 ! -o podman+ -j ACCEPT"), "{own}");
    assert!(own.contains("-A FORWARD ! -i podman+ -o podman2 -j ACCEPT"), "{own}");
    assert!(
        own.contains("-A POSTROUTING -s 10.96.0.0/24 ! -o podman1 -j MASQUERADE"),
        "{own}"
    );
    assert!(
        own.contains("-A POSTROUTING -s 10.97.16.0/20 ! -o podman2 -j MASQUERADE"),
        "{own}"
    );
    // The internal network: its own traffic only, never NATed.
    assert!(!own.contains("-i podman3 ! -o podman+"), "{own}");
    assert!(!own.contains("10.98.0.0/24"), "{own}");
}
