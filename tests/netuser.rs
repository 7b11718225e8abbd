//! User-defined networks end to end, as the unprivileged test user: `hutch network …`,
//! containers talking TCP and UDP by name and alias, isolation between networks, --internal,
//! `network connect` to a running container, published ports, the shared namespace's
//! helpers (hutch-netns + pasta) going away with the last container and recovering from
//! kill -9, 20 parallel starts, and bad input.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::net::{free_port, in_shared, netns_pid, shared_state, want_the_way_out};
use common::*;

const BASIC: &str = "fixtures/basic";
/// fixtures/basic + bin/udp (`udp echo PORT`, `udp send IP PORT MSG`).
const NET: &str = "fixtures/net";

const SHARED: &[&str] = &["hutch-netns", "hutch-netns-lo", "pasta", "pasta.avx2"];

/// `ip -o link` in the shared namespace (entered as root through hutch-netns's pid).
fn shared_links(pid: i32) -> String {
    let out = std::process::Command::new("nsenter")
        .args([
            "-t",
            &pid.to_string(),
            "-U",
            "-n",
            "--preserve-credentials",
            "ip",
            "-o",
            "link",
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn assert_nothing_left(env: &Env) {
    wait_until("the shared namespace's helpers to exit", || {
        env.processes(SHARED).is_empty() && env.processes(&["hutch-monitor"]).is_empty()
    });
    let pasta_marker = format!("{}/hutch/net/shared-pasta.pid", env.run_dir().display());
    wait_until("the shared pasta to exit", || {
        !std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .any(|e| std::fs::read_to_string(e.path().join("cmdline")).is_ok_and(|c| c.contains(&pasta_marker)))
    });
    assert!(!env.run_dir().join("hutch/net/shared.sock").exists());
    assert!(!env.run_dir().join("hutch/net/shared.json").exists());
}

fn run_args<'a>(head: &[&'a str], tail: &[&'a str]) -> Vec<&'a str> {
    let mut v = head.to_vec();
    v.extend_from_slice(tail);
    v
}

/// An HTTP GET to the host's loopback port, retried while the server in the container is still
/// starting (the connection is reset then).
fn http_get(port: u16, path: &str) -> String {
    let t = Instant::now();
    loop {
        let mut r = String::new();
        let got = TcpStream::connect(("127.0.0.1", port)).and_then(|mut s| {
            s.set_read_timeout(Some(Duration::from_secs(10)))?;
            write!(s, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n")?;
            s.read_to_string(&mut r)
        });
        if got.is_ok() && !r.is_empty() {
            return r;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "GET {port}{path}: {got:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Whether the container reaches the registry on the host's loopback, through pasta (busybox's
/// wget crashes when its -T timeout fires, so nc -w).
/// The request is sent and the input kept open: Debian 12's pasta can lose the server's FIN
/// when the client half-closes at once (see README).
const OUT: &str = "(printf 'GET /v2/ HTTP/1.0\\r\\n\\r\\n'; sleep 3) | nc -w 3 host.containers.internal 5000 | grep -q '^HTTP/1.. 200' && echo out || echo no-way-out";

#[test]
fn network_commands_and_bad_input() {
    let env = env_with(&[BASIC]);
    // The default network exists without being created.
    let ls = env.hutch(["network", "ls"]).ok().stdout;
    assert!(ls.starts_with("NETWORK ID"), "{ls}");
    assert!(ls.contains("2f259bab93aa  podman  bridge"), "{ls}");
    env.hutch(["network", "exists", "podman"]).ok();
    assert_eq!(env.hutch(["network", "exists", "nosuch"]).code, 1);
    assert_eq!(env.hutch(["network", "create", "app"]).ok().stdout, "app\n");
    assert_eq!(
        env.hutch([
            "network",
            "create",
            "--subnet",
            "10.90.0.0/24",
            "--gateway",
            "10.90.0.254",
            "--internal",
            "--disable-dns",
            "--label",
            "team=db",
            "back"
        ])
        .ok()
        .stdout,
        "back\n"
    );
    let auto = env.hutch(["network", "create"]).ok().stdout;
    assert_eq!(auto, "hutch1\n");
    let v: serde_json::Value =
        serde_json::from_str(&env.hutch(["network", "inspect", "app", "back"]).ok().stdout).unwrap();
    assert_eq!(v[0]["name"], "app");
    assert_eq!(v[0]["driver"], "bridge");
    assert_eq!(v[0]["subnets"][0]["subnet"], "10.89.0.0/24");
    assert_eq!(v[0]["subnets"][0]["gateway"], "10.89.0.1");
    assert_eq!(v[0]["dns_enabled"], true);
    assert_eq!(v[0]["internal"], false);
    assert_eq!(v[0]["id"].as_str().unwrap().len(), 64);
    assert_eq!(v[1]["subnets"][0]["gateway"], "10.90.0.254");
    assert_eq!(v[1]["internal"], true);
    assert_eq!(v[1]["dns_enabled"], false);
    assert_eq!(v[1]["labels"]["team"], "db");
    assert_eq!(v[1]["ipam_options"]["driver"], "host-local");
    assert_eq!(
        env.hutch([
            "network",
            "inspect",
            "--format",
            "{{.Name}} {{.NetworkInterface}} {{.Internal}}",
            "back"
        ])
        .ok()
        .stdout,
        "back podman2 true\n"
    );
    assert_eq!(
        env.hutch(["network", "ls", "-q"]).ok().stdout,
        "app\nback\nhutch1\npodman\n"
    );
    let j: serde_json::Value =
        serde_json::from_str(&env.hutch(["network", "ls", "--format", "json"]).ok().stdout).unwrap();
    assert_eq!(j.as_array().unwrap().len(), 4);
    assert_eq!(
        env.hutch(["network", "ls", "--format", "{{.Name}}\t{{.Driver}}"])
            .ok()
            .stdout,
        "app\tbridge\nback\tbridge\nhutch1\tbridge\npodman\tbridge\n"
    );

    // Bad input: one error line, exit 125 (rm of a network in use: 2, as podman-network-rm(1)),
    // nothing changed.
    let before = env.hutch(["network", "ls", "--format", "json"]).ok().stdout;
    for (args, says) in [
        (
            vec!["network", "create", "--subnet", "10.88.7.0/24", "x"],
            "overlaps 10.88.0.0/16 of network podman",
        ),
        (
            vec!["network", "create", "--subnet", "10.90.0.128/25", "x"],
            "overlaps 10.90.0.0/24 of network back",
        ),
        (
            vec!["network", "create", "--subnet", "10.1.2.0/40", "x"],
            "--subnet 10.1.2.0/40: not a valid IPv4 subnet",
        ),
        (
            vec!["network", "create", "--subnet", "banana", "x"],
            "--subnet banana: not a valid IPv4 subnet",
        ),
        (
            vec![
                "network",
                "create",
                "--subnet",
                "10.3.0.0/24",
                "--gateway",
                "10.4.0.1",
                "x",
            ],
            "not a host address of subnet 10.3.0.0/24",
        ),
        (vec!["network", "create", "app"], "network name app already used"),
        (
            vec!["network", "inspect", "nosuch"],
            "unable to find network with name or ID nosuch",
        ),
        (
            vec!["network", "rm", "podman"],
            "default network podman cannot be removed",
        ),
    ] {
        let r = env.hutch(&args);
        assert_eq!(r.code, 125, "{args:?}: {r:?}");
        assert!(r.stderr.contains(says), "{args:?}: {r:?}");
        assert_eq!(r.stderr.lines().count(), 1, "{args:?}: {r:?}");
    }
    assert_eq!(env.hutch(["network", "rm", "nosuch"]).code, 1);
    env.hutch([
        "create",
        "--name",
        "user",
        "--network",
        "app",
        "--network-alias",
        "db",
        BASIC,
        "true",
    ])
    .ok();
    for (args, says) in [
        (
            vec!["--network", "nosuch"],
            "--network nosuch: unable to find network with name or ID nosuch",
        ),
        (
            vec!["--network", "app", "--name", "db"],
            "container name db: already an alias on network app of container user",
        ),
        (
            vec!["--network", "app", "--network-alias", "user"],
            "--network-alias user: the name is already used on network app by container user",
        ),
        (
            vec!["--network", "app", "--ip", "10.77.0.2"],
            "--ip 10.77.0.2: not a free address of network app (10.89.0.0/24)",
        ),
        (
            vec!["--network", "app", "--ip", "nope"],
            "--ip nope: not an IPv4 address",
        ),
        (
            vec!["--network", "pasta", "--network-alias", "x"],
            "--network-alias x: needs a network",
        ),
    ] {
        let a = run_args(&["run", "--rm"], &run_args(&args, &[BASIC, "true"]));
        let r = env.hutch(&a);
        assert_eq!(r.code, 125, "{a:?}: {r:?}");
        assert!(r.stderr.contains(says), "{a:?}: {r:?}");
        assert_eq!(r.stderr.lines().count(), 1, "{a:?}: {r:?}");
    }
    assert_eq!(env.hutch(["ps", "-a", "--format", "{{.Names}}"]).ok().stdout, "user\n");
    let r = env.hutch(["network", "rm", "app"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("network app is used by container user"), "{r:?}");
    assert_eq!(env.hutch(["network", "ls", "--format", "json"]).ok().stdout, before);
    // prune keeps the default network and the ones in use; rm -f takes the containers along.
    assert_eq!(env.hutch(["network", "prune", "-f"]).ok().stdout, "back\nhutch1\n");
    assert_eq!(env.hutch(["network", "rm", "-f", "app"]).ok().stdout, "app\n");
    assert_eq!(env.hutch(["ps", "-a", "-q"]).ok().stdout, "");
    assert_eq!(env.hutch(["network", "ls", "-q"]).ok().stdout, "podman\n");
}

#[test]
fn containers_talk_by_name_and_alias_and_networks_stay_apart() {
    let env = env_with(&[BASIC, NET]);
    env.hutch(["network", "create", "front"]).ok();
    env.hutch(["network", "create", "other"]).ok();
    env.hutch(["network", "create", "--internal", "closed"]).ok();
    env.hutch([
        "run",
        "-d",
        "--name",
        "web",
        "--network",
        "front",
        "--network-alias",
        "site",
        BASIC,
        "sh",
        "-c",
        "mkdir -p /www && echo hello-web > /www/index.html && exec httpd -f -p 8080 -h /www",
    ])
    .ok();
    env.hutch([
        "run",
        "-d",
        "--name",
        "echo",
        "--network",
        "front",
        "--network-alias",
        "dgram",
        NET,
        "udp",
        "echo",
        "9001",
    ])
    .ok();
    // TCP by name, by alias (also in the networks' DNS domain), and the hosts file.
    let out = env
        .hutch([
            "run", "--rm", "--network", "front", BASIC, "sh", "-c",
            "wget -q -O - http://web:8080/ && wget -q -O - http://site:8080/ && wget -q -O - http://site.dns.podman:8080/ && cat /etc/hosts /etc/resolv.conf",
        ])
        .ok()
        .stdout;
    assert!(out.starts_with("hello-web\nhello-web\nhello-web\n"), "{out}");
    assert!(out.contains("host.containers.internal"), "{out}");
    assert!(out.contains("search dns.podman\nnameserver 10.89.0.1\n"), "{out}");
    let own = out.lines().find(|l| l.starts_with("10.89.0.")).unwrap_or_default();
    assert!(own.split_whitespace().count() == 3, "its own line: {out}");
    // UDP by alias: the name resolved in the container (python's resolver), the reply back.
    let py = "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5); s.sendto(b'ping', ('dgram', 9001)); print(s.recv(100).decode())";
    let a = run_args(
        &["run", "--rm", "--network", "front"],
        &run_args(PY, &[NET, "/usr/bin/python3", "-c", py]),
    );
    assert_eq!(env.hutch(&a).ok().stdout, "echo:ping\n");
    assert_eq!(env.hutch(["wait", "echo"]).ok().stdout, "0\n");
    assert_eq!(env.hutch(["logs", "echo"]).ok().stdout, "ping\n");
    // The web container's address, from its own hosts file.
    let web_ip = env
        .hutch(["exec", "web", "sh", "-c", "grep web /etc/hosts | cut -f1"])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert!(web_ip.starts_with("10.89.0."), "{web_ip}");
    let v: serde_json::Value = serde_json::from_str(&env.hutch(["inspect", "web"]).ok().stdout).unwrap();
    let n = &v[0]["NetworkSettings"]["Networks"]["front"];
    assert_eq!(n["IPAddress"], web_ip.as_str(), "{v}");
    assert_eq!(n["Gateway"], "10.89.0.1");
    assert_eq!(n["IPPrefixLen"], 24);
    assert_eq!(n["Aliases"][0], "site");
    // Another network reaches neither the name nor the address.
    let cmd = format!("echo | nc -w 2 {web_ip} 8080 || echo no-route; wget -q -O - http://web:8080/ || echo no-name");
    let out = env
        .hutch(["run", "--rm", "--network", "other", BASIC, "sh", "-c", &cmd])
        .ok()
        .stdout;
    assert_eq!(out, "no-route\nno-name\n");
    // A container on a normal network reaches the host (the registry on its loopback);
    // one on an --internal network has no way out.
    assert_eq!(
        env.hutch(["run", "--rm", "--network", "other", BASIC, "sh", "-c", OUT])
            .ok()
            .stdout,
        "out\n"
    );
    assert_eq!(
        env.hutch(["run", "--rm", "--network", "closed", BASIC, "sh", "-c", OUT])
            .ok()
            .stdout,
        "no-way-out\n"
    );
    let r = env
        .hutch(["run", "--rm", "--network", "closed", BASIC, "ip", "route"])
        .ok()
        .stdout;
    assert!(!r.contains("default"), "{r}");

    // network connect of a running container: it gets an interface on the network and the
    // others' names resolve; disconnect takes it away again.
    env.hutch([
        "run",
        "-d",
        "--name",
        "late",
        "--network",
        "other",
        BASIC,
        "sleep",
        "300",
    ])
    .ok();
    let get = "wget -q -O - http://web:8080/ || echo unreachable";
    assert_eq!(
        env.hutch(["exec", "late", "sh", "-c", get]).ok().stdout,
        "unreachable\n"
    );
    env.hutch(["network", "connect", "--alias", "latecomer", "front", "late"])
        .ok();
    assert_eq!(env.hutch(["exec", "late", "sh", "-c", get]).ok().stdout, "hello-web\n");
    let from_web = env
        .hutch([
            "exec",
            "web",
            "sh",
            "-c",
            "wget -q -O /dev/null http://latecomer:1/ 2>&1; echo done",
        ])
        .stdout;
    assert!(!from_web.contains("bad address"), "the alias resolves: {from_web}");
    let r = env.hutch(["network", "connect", "front", "late"]);
    assert_eq!(r.code, 125);
    assert!(r.stderr.contains("already connected to network front"), "{r:?}");
    env.hutch(["network", "disconnect", "front", "late"]).ok();
    assert_eq!(
        env.hutch(["exec", "late", "sh", "-c", get]).ok().stdout,
        "unreachable\n"
    );

    // rm -f of every container: nothing left, neither helper nor namespace.
    let (pid, _) = shared_state(&env).expect("the shared namespace runs");
    let links = shared_links(pid);
    assert!(links.contains("podman1:") && links.contains("veth"), "{links}");
    env.hutch(["rm", "-f", "-a"]).ok();
    assert_nothing_left(&env);
}

#[test]
fn published_ports_and_the_shared_helpers_lifecycle() {
    let env = env_with(&[BASIC, NET]);
    env.hutch(["network", "create", "pub"]).ok();
    let hp = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let spec = format!("{hp}:8080");
    env.hutch([
        "run",
        "-d",
        "--name",
        "web",
        "--network",
        "pub",
        "-p",
        &spec,
        BASIC,
        "sh",
        "-c",
        "mkdir -p /www && echo published > /www/index.html && exec httpd -f -p 8080 -h /www",
    ])
    .ok();
    assert!(http_get(hp, "/").ends_with("published\n"));
    assert_eq!(
        env.hutch(["port", "web"]).ok().stdout,
        format!("8080/tcp -> 0.0.0.0:{hp}\n")
    );
    // UDP through the shared forwarder.
    let up = std::net::UdpSocket::bind("0.0.0.0:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let uspec = format!("{up}:5353/udp");
    env.hutch([
        "run",
        "-d",
        "--name",
        "u",
        "--network",
        "pub",
        "-p",
        &uspec,
        NET,
        "udp",
        "echo",
        "5353",
    ])
    .ok();
    let c = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    c.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    let mut got = String::new();
    let t = Instant::now();
    while got.is_empty() && t.elapsed() < Duration::from_secs(10) {
        c.send_to(b"hello", ("127.0.0.1", up)).unwrap();
        let mut b = [0u8; 100];
        if let Ok(n) = c.recv(&mut b) {
            got = String::from_utf8_lossy(&b[..n]).to_string();
        }
    }
    assert_eq!(got, "echo:hello");
    // A taken host port is refused before anything starts: the container cannot start (126,
    // as Podman's).
    let r = env.hutch(["run", "-d", "--network", "pub", "-p", &spec, BASIC, "true"]);
    assert_eq!(r.code, 126);
    assert!(r.stderr.contains("is already in use"), "{r:?}");
    // Ports below 1024 need the sysctl (1024 on the test machine): an actionable error.
    let r = env.hutch(["run", "--rm", "--network", "pub", "-p", "80:8080", BASIC, "true"]);
    assert_eq!(r.code, 126);
    assert!(
        r.stderr.contains("host port 0.0.0.0:80/tcp cannot be bound")
            && r.stderr
                .contains("ports below 1024 need `sysctl net.ipv4.ip_unprivileged_port_start`"),
        "{r:?}"
    );
    assert_eq!(r.stderr.lines().count(), 1, "{r:?}");

    // One hutch-netns and one pasta for every container; pasta only once a packet goes out.
    env.hutch(["run", "-d", "--name", "s2", "--network", "pub", BASIC, "sleep", "300"])
        .ok();
    assert_eq!(
        shared_state(&env).map(|(_, p)| p),
        Some(0),
        "no pasta before a packet goes out"
    );
    let (k, pasta) = want_the_way_out(&env, "s2");
    assert_eq!(env.processes(&["hutch-netns"]), vec![k]);
    let comm = std::fs::read_to_string(format!("/proc/{pasta}/comm")).unwrap_or_default();
    assert!(comm.starts_with("pas"), "pasta runs: {comm:?}");
    let pastas = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| {
            std::fs::read_to_string(e.path().join("cmdline"))
                .is_ok_and(|c| c.contains(&format!("{}/hutch/net/shared-pasta.pid", env.run_dir().display())))
        })
        .count();
    assert_eq!(pastas, 1, "one pasta for the whole namespace");
    // Removing one container takes its veth out of the shared namespace.
    let veths = |pid| shared_links(pid).lines().filter(|l| l.contains("veth")).count();
    let before = veths(k);
    env.hutch(["rm", "-f", "s2"]).ok();
    wait_until("the veth to go", || veths(k) == before - 1);

    // kill -9 of pasta: the next run starts it again, says so, and has its way out.
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pasta), nix::sys::signal::Signal::SIGKILL).unwrap();
    wait_until("pasta to die", || {
        !std::path::Path::new(&format!("/proc/{pasta}")).exists()
    });
    let r = env
        .hutch(["run", "--rm", "--network", "pub", BASIC, "sh", "-c", OUT])
        .ok();
    assert_eq!(
        r.stdout,
        "out
"
    );
    assert!(
        r.stderr
            .contains(&format!("pasta (pid {pasta}) was gone: started it again")),
        "{r:?}"
    );
    assert!(
        http_get(hp, "/").ends_with("published\n"),
        "the published port still works"
    );

    // kill -9 of hutch-netns: the next run starts a new shared namespace and says so.
    let (k, pasta2) = shared_state(&env).unwrap();
    assert_ne!(pasta2, pasta);
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(k), nix::sys::signal::Signal::SIGKILL).unwrap();
    wait_until("hutch-netns to die", || !env.processes(SHARED).contains(&k));
    // Its pasta goes with it, before any other hutch runs (hutch-netns-lo ends it).
    wait_until("the killed hutch-netns's pasta to go", || {
        // (Gone, or a zombie its reaper has not collected yet.)
        std::fs::read_to_string(format!("/proc/{pasta2}/stat"))
            .map_or(true, |s| s.rsplit_once(") ").is_some_and(|(_, r)| r.starts_with('Z')))
    });
    let r = env
        .hutch(["run", "--rm", "--network", "pub", BASIC, "sh", "-c", OUT])
        .ok();
    assert_eq!(
        r.stdout,
        "out
"
    );
    assert!(
        r.stderr.contains(&format!(
            "the shared network helper (hutch-netns, pid {k}) was gone: started a new one"
        )),
        "{r:?}"
    );
    assert!(
        !std::path::Path::new(&format!("/proc/{pasta2}")).exists(),
        "the old pasta is gone"
    );
    env.hutch(["rm", "-f", "-a"]).ok();
    assert_nothing_left(&env);
}

#[test]
fn twenty_parallel_runs_share_one_namespace() {
    let env = env_with(&[BASIC]);
    env.hutch(["network", "create", "many"]).ok();
    let threads: Vec<_> = (0..20)
        .map(|i| {
            let mut c = env.command([
                "run",
                "-d",
                "--name",
                &format!("c{i}"),
                "--network",
                "many",
                BASIC,
                "sleep",
                "300",
            ]);
            std::thread::spawn(move || to_run(c.output().unwrap()))
        })
        .collect();
    for t in threads {
        let r = t.join().unwrap();
        assert_eq!(r.code, 0, "{r:?}");
    }
    let (k, _) = shared_state(&env).unwrap();
    assert_eq!(env.processes(&["hutch-netns"]), vec![k]);
    let links = shared_links(k);
    assert_eq!(links.lines().filter(|l| l.contains("veth")).count(), 20, "{links}");
    // Twenty addresses, all different, and every name resolves from every container.
    let mut ips: Vec<String> = (0..20)
        .map(|i| {
            env.hutch([
                "exec",
                &format!("c{i}"),
                "sh",
                "-c",
                &format!("grep c{i} /etc/hosts | cut -f1"),
            ])
            .ok()
            .stdout
            .trim()
            .to_string()
        })
        .collect();
    ips.sort();
    ips.dedup();
    assert_eq!(ips.len(), 20, "{ips:?}");
    let r = env
        .hutch([
            "exec",
            "c0",
            "sh",
            "-c",
            "wget -q -O /dev/null http://c19:1/ 2>&1; echo ok",
        ])
        .stdout;
    assert!(!r.contains("bad address"), "{r}");
    env.hutch(["rm", "-f", "-a"]).ok();
    assert_nothing_left(&env);
}

/// A container on the default network sends 64 MiB to a server on the host's loopback
/// (host.containers.internal, through hutch-netns's forwarder) and all of it arrives. The
/// network's links have pasta's MTU (65520): with Ethernet's 1500, Debian 12's pasta dropped
/// most of a stream of 1460-byte segments (0.06 Gbit/s, thousands of retransmissions). The
/// first run also brings the shared namespace up and the container's first packets go out at
/// once.
#[test]
fn bulk_data_to_the_hosts_loopback_arrives_whole_with_pastas_mtu() {
    let env = env_with(&[BASIC]);
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
        let mut n = 0u64;
        let mut b = vec![0u8; 1 << 16];
        loop {
            match s.read(&mut b) {
                Ok(0) => break,
                Ok(k) => n += k as u64,
                Err(e) => panic!("after {n} bytes: {e}"),
            }
        }
        n
    });
    let cmd = format!(
        "cat /sys/class/net/eth0/mtu; head -c 67108864 /dev/zero | nc -w 10 host.containers.internal {port}; echo sent"
    );
    let r = env.hutch(["run", "--rm", "--network", "podman", BASIC, "sh", "-c", &cmd]);
    assert_eq!(r.code, 0, "{r:?}");
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines, ["65520", "sent"], "{r:?}");
    assert_eq!(server.join().unwrap(), 64 << 20);
    assert_nothing_left(&env);
}

/// TCP from a network to the host's loopback (host.containers.internal) does not go through
/// pasta's tap (slow and lossy with Debian 12's pasta): the networks' connections to that
/// address are redirected to hutch-netns, which relays them to a socket made in the host's
/// network namespace by hutch-netns-lo (one per user, gone with the last container). A closed
/// port of the host resets the connection (through pasta it hung).
#[test]
fn tcp_to_the_hosts_loopback_goes_through_hutch_netns() {
    let env = env_with(&[BASIC]);
    env.hutch(["run", "-d", "--name", "keep", BASIC, "sleep", "300"]).ok();
    let k = netns_pid(&env);
    let lo = env.processes(&["hutch-netns-lo"]);
    assert_eq!(lo.len(), 1, "one hutch-netns-lo: {lo:?}");
    // It is in the host's network namespace, hutch-netns is not.
    let ns = |pid: i32| std::fs::read_link(format!("/proc/{pid}/ns/net")).unwrap();
    assert_eq!(ns(lo[0]), ns(std::process::id() as i32));
    assert_ne!(ns(k), ns(lo[0]));
    let hci = env
        .hutch(["exec", "keep", "sh", "-c", "grep host.containers.internal /etc/hosts"])
        .ok()
        .stdout;
    let hci = hci.split_whitespace().next().unwrap().to_string();
    let nat = in_shared(k, &["iptables", "-t", "nat", "-S", "PREROUTING"]);
    assert!(
        nat.contains(&format!(
            "-A PREROUTING -d {hci}/32 -i podman0 -p tcp -j REDIRECT --to-ports"
        )),
        "{nat}"
    );

    // A server on the host's loopback: an echo of what it is sent, from a container on the
    // default network and one on a created network.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        for _ in 0..2 {
            let (mut s, peer) = l.accept().unwrap();
            assert!(peer.ip().is_loopback(), "{peer}");
            let mut b = String::new();
            std::io::BufRead::read_line(&mut std::io::BufReader::new(&s), &mut b).unwrap();
            s.write_all(format!("got {b}").as_bytes()).unwrap();
        }
    });
    env.hutch(["network", "create", "lonet"]).ok();
    for net in ["podman", "lonet"] {
        let cmd = format!("echo {net} | nc host.containers.internal {port}");
        let r = env
            .hutch(["run", "--rm", "--network", net, BASIC, "sh", "-c", &cmd])
            .ok();
        assert_eq!(r.stdout, format!("got {net}\n"), "{r:?}");
    }
    server.join().unwrap();

    // A closed port: the connection is reset and nc ends by itself (the timeout never kills it).
    let closed = free_port();
    let cmd = format!("timeout 60 nc host.containers.internal {closed} </dev/null; echo rc=$?");
    let r = env.hutch(["run", "--rm", BASIC, "sh", "-c", &cmd]).ok();
    let rc = r.stdout.trim_end().rsplit_once("rc=").map(|x| x.1.to_string());
    assert!(rc.as_deref().is_some_and(|c| c != "124"), "{r:?}");

    env.hutch(["rm", "-f", "keep"]).ok();
    assert_nothing_left(&env);
}

/// Containers mapped otherwise than the shared namespace (keep-id, --userns auto, --uidmap)
/// get a user namespace of their own inside hutch-netns's, which owns their network
/// namespace: on the default network (no --network) and on a user network, where they reach
/// the host's loopback and each other by name. Their /proc/self/uid_map shows their map in
/// the ids of that parent namespace (0 is you, 1.. your subordinate ids), as Podman's
/// rootless keep-id containers show it.
#[test]
fn keep_id_auto_and_uidmap_containers_on_networks() {
    let env = env_with(&[BASIC]);
    let me = env.host_uid(0);
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        s.write_all(b"hello from the host\n").unwrap();
    });
    let cmd =
        format!("id -u; ip -o -4 addr show eth0 | grep -c ' 10.88.'; sleep 1 | nc host.containers.internal {port}");
    let r = env
        .hutch(["run", "--rm", "--userns", "keep-id", BASIC, "sh", "-c", &cmd])
        .ok();
    assert_eq!(r.stdout, format!("{me}\n1\nhello from the host\n"), "{r:?}");
    server.join().unwrap();

    env.hutch(["network", "create", "ids"]).ok();
    env.hutch([
        "run",
        "-d",
        "--name",
        "srv",
        "--network",
        "ids",
        "--userns",
        "keep-id",
        BASIC,
        "sh",
        "-c",
        "mkdir -p /tmp/www && id -u > /tmp/www/who && exec httpd -f -p 8080 -h /tmp/www",
    ])
    .ok();
    let get = "for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://srv:8080/who && break; sleep 0.3; done; id -u; head -1 /proc/self/uid_map | awk '{print $1, $3}'";
    let r = env
        .hutch([
            "run",
            "--rm",
            "--network",
            "ids",
            "--userns",
            "auto:size=2000",
            BASIC,
            "sh",
            "-c",
            get,
        ])
        .ok();
    assert_eq!(r.stdout, format!("{me}\n0\n0 2000\n"), "{r:?}");
    let r = env
        .hutch([
            "run",
            "--rm",
            "--network",
            "ids",
            "--uidmap",
            "0:1:2000",
            BASIC,
            "sh",
            "-c",
            "wget -qO- http://srv:8080/who; cat /proc/self/uid_map",
        ])
        .ok();
    let lines: Vec<Vec<u64>> = r
        .stdout
        .lines()
        .map(|l| l.split_whitespace().map(|x| x.parse().unwrap()).collect())
        .collect();
    assert_eq!(lines, [vec![me as u64], vec![0, 1, 2000]], "{r:?}");
    // exec joins the container's own user namespace.
    assert_eq!(env.hutch(["exec", "srv", "id", "-u"]).ok().stdout, format!("{me}\n"));
    env.hutch(["rm", "-f", "srv"]).ok();
    assert_nothing_left(&env);
}

/// An HTTP server on the rig's outside address (198.51.100.7, on the host's lo, reached from
/// a container through pasta) answering `body` to `n` connections; its port. The answer
/// carries its length, so the client needs no FIN (see `OUT` on Debian 12's pasta).
fn outside_http(body: &'static str, n: usize) -> u16 {
    let l = std::net::TcpListener::bind(("198.51.100.7", 0)).unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for c in l.incoming().take(n) {
            let Ok(mut c) = c else { continue };
            let mut b = [0u8; 1024];
            let _ = c.read(&mut b);
            let _ = write!(c, "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len());
        }
    });
    port
}

/// `run --rm` of a GET to `outside_http`'s `port`, its body on stdout.
fn run_get_outside(port: u16) -> Vec<String> {
    let url = format!("http://198.51.100.7:{port}/");
    ["run", "--rm", BASIC, "wget", "-q", "-O-", &url]
        .map(String::from)
        .to_vec()
}

/// The rule hutch-netns adds to hold outgoing packets while its pasta starts.
const HOLD_RULE: &str = "-A PREROUTING ! -d 10.88.0.0/16 -i podman0 -j NFQUEUE --queue-num 4711 --queue-bypass";

/// A cold start no longer waits for pasta: its pasta starts only once the container's command
/// has run (delay point `netns:pasta` waiting for a file the command writes; a container
/// waiting for pasta would never write it, and the start would fail when the delay point
/// gives up), and the command's first connection to the outside, sent before the namespace
/// had a way out, is held in the kernel and goes through once pasta is up. With the
/// namespace up, the holding rule is gone from `iptables -t raw`.
#[test]
fn a_cold_start_runs_before_its_pasta_and_its_first_connection_waits_for_the_way_out() {
    let env = env_with(&[BASIC]);
    let port = outside_http("from-outside\n", 3);
    env.write("marks/.keep", "");
    let marks = env.root.join("marks");
    let vol = format!("{}:/m", marks.display());
    let script = format!("touch /m/ran && wget -q -O- http://198.51.100.7:{port}/");
    let r = to_run(
        env.command(["run", "--rm", "-v", &vol, BASIC, "sh", "-c", &script])
            .env(
                "HUTCH_FAULT_DELAY",
                format!("netns:pasta=@{}", marks.join("ran").display()),
            )
            .env("HUTCH_TRACE", "1")
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, "from-outside\n");
    assert!(
        r.stderr.contains("its outgoing packets held until its pasta is up"),
        "{}",
        r.stderr
    );
    let log = std::fs::read_to_string(env.run_dir().join("hutch/net/shared.log")).unwrap_or_default();
    assert!(log.contains("held packet(s) let go"), "{log}");
    assert_nothing_left(&env);

    // Detached, pasta held back until the test says: the rule is there meanwhile, then gone.
    let go = env.root.join("go");
    env.command(["run", "-d", "--name", "keep", BASIC, "sleep", "300"])
        .env("HUTCH_FAULT_DELAY", format!("netns:pasta=@{}", go.display()))
        .env("HUTCH_TRACE", "1")
        .output()
        .map(to_run)
        .unwrap()
        .ok();
    let k = env
        .processes(&["hutch-netns"])
        .first()
        .copied()
        .expect("its hutch-netns");
    let raw = in_shared(k, &["iptables", "-t", "raw", "-S"]);
    assert!(raw.lines().any(|l| l == HOLD_RULE), "{raw}");
    // Nothing has gone out yet: pasta has not even been asked for. A first packet out wants
    // it, and waits (held) until the test lets it start.
    let log = std::fs::read_to_string(env.run_dir().join("hutch/net/shared.log")).unwrap_or_default();
    assert!(
        log.contains("rule holding outgoing packets set") && !log.contains("pasta wanted"),
        "{log}"
    );
    let marker = format!("{}/hutch/net/shared-pasta.pid", env.run_dir().display());
    let pastas = || {
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter(|e| std::fs::read_to_string(e.path().join("cmdline")).is_ok_and(|c| c.contains(&marker)))
            .count()
    };
    assert_eq!(pastas(), 0, "no pasta before a packet goes out");
    std::fs::write(&go, "").unwrap();
    let r = env.hutch([
        "exec",
        "keep",
        "wget",
        "-q",
        "-O-",
        &format!("http://198.51.100.7:{port}/"),
    ]);
    assert_eq!(r.ok().stdout, "from-outside\n");
    wait_until("the holding rule to go", || {
        !in_shared(k, &["iptables", "-t", "raw", "-S"]).contains("NFQUEUE")
    });
    // A start on the namespace now up: nothing held, the way out there.
    let r = env.hutch(run_get_outside(port));
    assert_eq!(r.ok().stdout, "from-outside\n");
    assert!(!in_shared(k, &["iptables-save"]).contains("NFQUEUE"));
    env.hutch(["rm", "-f", "-t", "0", "keep"]).ok();
    assert_nothing_left(&env);
}

/// `HUTCH_NET_HOLD=0` (what a kernel without nfnetlink_queue gets): nothing is held, so pasta
/// starts with the namespace and the cold start's container waits for it, as before the hold;
/// its connection works.
#[test]
fn without_the_hold_a_cold_start_waits_for_its_pasta() {
    let env = env_with(&[BASIC]);
    let port = outside_http("from-outside\n", 1);
    let r = to_run(
        env.command(run_get_outside(port))
            .env("HUTCH_NET_HOLD", "0")
            .env("HUTCH_FAULT_DELAY", "netns:pasta=300")
            .env("HUTCH_TRACE", "1")
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, "from-outside\n");
    assert!(r.stderr.contains("shared network: its pasta is up"), "{}", r.stderr);
    assert!(!r.stderr.contains("outgoing packets held"), "{}", r.stderr);
    let log = std::fs::read_to_string(env.run_dir().join("hutch/net/shared.log")).unwrap_or_default();
    assert!(log.contains("outgoing packets not held (HUTCH_NET_HOLD=0)"), "{log}");
    // pasta started before the container was attached (its attach waited for it).
    let (started, attached) = (log.find("pasta started (pid"), log.find("veth pairs made"));
    assert!(started.is_some() && started < attached, "{log}");
    assert_nothing_left(&env);
}
