//! Published ports of containers on networks keep the client's address (issue 17, podman#5138):
//! hutch-netns connects to the container from the client's own address (a transparent socket)
//! and routes the container's replies from that port back to itself (a policy rule per port,
//! removed with the container). Run as the unprivileged test user; the client runs as root on
//! the host from 198.51.100.7, an address tests/rig.sh puts on the host's lo (neither loopback
//! nor the host's interface address, which pasta copies into the shared namespace).

mod common;

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use common::net::*;
use common::*;

const BASIC: &str = "fixtures/basic";
const NET: &str = "fixtures/net";
const CLIENT: &str = "198.51.100.7";

fn have_client_address() -> bool {
    UdpSocket::bind(format!("{CLIENT}:0")).is_ok()
}

/// GET `url` with curl (from `from` when given) until it answers, within 20 s.
fn get(url: &str, from: Option<&str>) -> String {
    let t = Instant::now();
    loop {
        let mut c = std::process::Command::new("curl");
        c.args(["-sf", "--max-time", "5"]);
        if let Some(f) = from {
            c.args(["--interface", f]);
        }
        let out = c.arg(url).output().unwrap();
        if out.status.success() {
            // httpd listens on IPv6 too: IPv4 clients show as [::ffff:A.B.C.D].
            return String::from_utf8_lossy(&out.stdout)
                .trim()
                .replace("[::ffff:", "")
                .replace(']', "");
        }
        assert!(t.elapsed() < Duration::from_secs(20), "no answer from {url}: {out:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A container serving its client's address (busybox httpd's CGI REMOTE_ADDR) on port 80.
const PEER_SERVER: &str = "mkdir -p /w/cgi-bin && printf '#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho peer=$REMOTE_ADDR\\n' > /w/cgi-bin/peer && chmod +x /w/cgi-bin/peer && exec httpd -f -p 80 -h /w";

#[test]
fn published_tcp_port_shows_the_clients_address() {
    if !have_client_address() {
        panic!("{CLIENT} is not on the host's lo: run tests/rig.sh's rig_users (ip addr replace {CLIENT}/32 dev lo)");
    }
    let env = env_with(&[BASIC]);
    let port = free_port();
    let p = format!("{port}:80");
    for net in ["podman", "pf"] {
        if net == "pf" {
            env.hutch(["network", "create", "--subnet", "10.93.0.0/24", "pf"]).ok();
        }
        env.hutch([
            "run",
            "-d",
            "--name",
            "web",
            "--network",
            net,
            "-p",
            &p,
            BASIC,
            "sh",
            "-c",
            PEER_SERVER,
        ])
        .ok();
        let url = format!("http://127.0.0.1:{port}/cgi-bin/peer");
        // From a non-loopback address: the container sees that address.
        let body = get(&url, Some(CLIENT));
        assert_eq!(body.trim(), format!("peer={CLIENT}"), "network {net}");
        // Also to that address itself.
        let body = get(&format!("http://{CLIENT}:{port}/cgi-bin/peer"), Some(CLIENT));
        assert_eq!(body.trim(), format!("peer={CLIENT}"), "network {net}");
        // A loopback client cannot be answered at 127.0.0.1 from the container's network: it
        // comes from the network's gateway, as before.
        let gw = if net == "podman" { "10.88.0.1" } else { "10.93.0.1" };
        let body = get(&url, None);
        assert_eq!(body.trim(), format!("peer={gw}"), "network {net}");
        // The policy rule routing the replies exists while the container runs, and goes with it
        // (another container keeps the shared namespace up to look).
        if net == "pf" {
            env.hutch(["run", "-d", "--name", "keep", "--network", "pf", BASIC, "sleep", "300"])
                .ok();
            let k = netns_pid(&env);
            let rules = in_shared(k, &["ip", "rule", "show"]);
            assert!(rules.contains("sport 80") && rules.contains("iif podman1"), "{rules}");
            env.hutch(["rm", "-f", "web"]).ok();
            let rules = in_shared(k, &["ip", "rule", "show"]);
            assert!(!rules.contains("sport 80"), "the rule stayed: {rules}");
            env.hutch(["rm", "-f", "keep"]).ok();
        } else {
            env.hutch(["rm", "-f", "web"]).ok();
        }
    }
}

#[test]
fn published_udp_port_sends_from_the_clients_address() {
    if !have_client_address() {
        panic!("{CLIENT} is not on the host's lo: run tests/rig.sh's rig_users (ip addr replace {CLIENT}/32 dev lo)");
    }
    let env = env_with(&[NET]);
    let port = free_port();
    env.hutch([
        "run",
        "-d",
        "--name",
        "keep",
        "--network",
        "podman",
        NET,
        "sleep",
        "300",
    ])
    .ok();
    env.hutch([
        "run",
        "-d",
        "--name",
        "echo",
        "--network",
        "podman",
        "-p",
        &format!("{port}:5353/udp"),
        NET,
        "udp",
        "echo",
        "5353",
    ])
    .ok();
    let s = UdpSocket::bind(format!("{CLIENT}:0")).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    let me = s.local_addr().unwrap();
    let mut buf = [0u8; 256];
    let t = Instant::now();
    let reply = loop {
        s.send_to(b"hi", ("127.0.0.1", port)).unwrap();
        if let Ok((n, _)) = s.recv_from(&mut buf) {
            break String::from_utf8_lossy(&buf[..n]).to_string();
        }
        assert!(t.elapsed() < Duration::from_secs(20), "no UDP echo");
    };
    assert_eq!(reply, "echo:hi");
    // It answers, then prints what came: the log has it shortly after the answer.
    wait_until("the datagram in the echo's log", || {
        env.hutch(["logs", "echo"]).ok().stdout.contains("hi")
    });
    // The datagrams reached the container from the client's address and port: hutch-netns's
    // socket towards it is bound there.
    let k = netns_pid(&env);
    let socks = in_shared(k, &["ss", "-uanH"]);
    assert!(
        socks
            .lines()
            .any(|l| l.contains(&me.to_string()) && l.contains(":5353")),
        "no socket from {me} to the container: {socks}"
    );
    env.hutch(["rm", "-f", "echo", "keep"]).ok();
}

#[test]
fn inspect_shows_the_mac_address_and_the_short_id_alias() {
    let env = env_with(&[BASIC]);
    env.hutch(["network", "create", "--subnet", "10.94.0.0/24", "macnet"])
        .ok();
    let id = env
        .hutch(["run", "-d", "--name", "m", "--network", "macnet", BASIC, "sleep", "300"])
        .ok()
        .stdout
        .trim()
        .to_string();
    let mac = env
        .hutch([
            "inspect",
            "m",
            "--format",
            "{{(index .NetworkSettings.Networks \"macnet\").MacAddress}}",
        ])
        .ok()
        .stdout
        .trim()
        .to_string();
    let inside = env.hutch(["exec", "m", "cat", "/sys/class/net/eth0/address"]).ok();
    assert_eq!(mac, inside.stdout.trim(), "{inside:?}");
    // Locally administered, unicast.
    let first = u8::from_str_radix(&mac[..2], 16).unwrap();
    assert_eq!(first & 0x03, 0x02, "{mac}");
    let aliases = env
        .hutch([
            "inspect",
            "m",
            "--format",
            "{{(index .NetworkSettings.Networks \"macnet\").Aliases}}",
        ])
        .ok();
    assert_eq!(aliases.stdout.trim(), format!("[{}]", &id[..12]));
    env.hutch(["rm", "-f", "m"]).ok();
}

#[test]
fn network_rm_force_with_a_stop_timeout() {
    let env = env_with(&[BASIC]);
    env.hutch(["network", "create", "--subnet", "10.95.0.0/24", "tnet"])
        .ok();
    // A container that exits on its stop signal: -t gives it the time to.
    env.hutch([
        "run",
        "-d",
        "--name",
        "polite",
        "--network",
        "tnet",
        BASIC,
        "sh",
        "-c",
        "trap 'echo got-term; exit 0' TERM; while :; do sleep 0.1; done",
    ])
    .ok();
    wait_until("the trap to be set", || env.hutch(["exec", "polite", "true"]).code == 0);
    // Without -f it is refused; with -t and -f the container is stopped, removed, then the network.
    let r = env.hutch(["network", "rm", "-t", "5", "tnet"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("is used by container polite"), "{r:?}");
    let t = Instant::now();
    let r = env.hutch(["network", "rm", "-t", "5", "-f", "tnet"]).ok();
    assert_eq!(r.stdout.trim(), "tnet");
    // It stopped on its signal, well before the 5 s after which it would have been killed.
    assert!(t.elapsed() < Duration::from_millis(4500), "{:?}", t.elapsed());
    assert_eq!(env.hutch(["network", "exists", "tnet"]).code, 1);
    assert_eq!(env.hutch(["container", "exists", "polite"]).code, 1);
    // -t 0: killed at once.
    env.hutch(["network", "create", "--subnet", "10.95.0.0/24", "tnet"])
        .ok();
    env.hutch([
        "run",
        "-d",
        "--name",
        "rude",
        "--network",
        "tnet",
        BASIC,
        "sleep",
        "300",
    ])
    .ok();
    let t = Instant::now();
    env.hutch(["network", "rm", "-t", "0", "-f", "tnet"]).ok();
    assert!(t.elapsed() < Duration::from_secs(8), "{:?}", t.elapsed());
    assert_eq!(env.hutch(["container", "exists", "rude"]).code, 1);
}
