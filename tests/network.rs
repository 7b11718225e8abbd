//! Userspace networking end to end, as the unprivileged test user: the default network, pasta
//! and slirp4netns, host services reached from the container, published TCP and UDP ports, DNS
//! and hosts files, and the network helper never outliving its container on any path.

mod common;

use std::io::Write;
use std::net::{TcpListener, UdpSocket};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::net::*;
use common::*;

const BASIC: &str = "fixtures/basic";
/// fixtures/basic + bin/udp; ExposedPorts 80/tcp and 5353/udp.
const NET: &str = "fixtures/net";

/// `Env::processes`, each helper once: a helper that is still starting has short-lived
/// children of its own (pasta enters the namespaces in vfork'd ones).
fn processes(env: &Env, names: &[&str]) -> Vec<i32> {
    let v = env.processes_and_parents(names);
    let pids: Vec<i32> = v.iter().map(|(p, _)| *p).collect();
    v.into_iter()
        .filter(|(_, pp)| !pids.contains(pp))
        .map(|(p, _)| p)
        .collect()
}

const HELPERS: &[&str] = &[
    "passt",
    "passt.avx2",
    "pasta",
    "pasta.avx2",
    "slirp4netns",
    "hutch-portfwd",
];

fn helpers(env: &Env) -> Vec<i32> {
    processes(env, HELPERS)
}

/// A killed helper takes the kernel a moment to tear down (its tap device): wait for that.
fn assert_no_helpers(env: &Env, after: &str) {
    let t = Instant::now();
    while !helpers(env).is_empty() {
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "network helper still running {after}: {:?}",
            helpers(env)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn host_tcp_server(greeting: &'static str) -> (u16, std::thread::JoinHandle<()>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let h = std::thread::spawn(move || {
        if let Ok((mut s, _)) = l.accept() {
            let _ = s.write_all(greeting.as_bytes());
        }
    });
    (port, h)
}

/// Without --network a container is on the default network, `podman` (a veth into the
/// shared namespace, an address of 10.88.0.0/16, one pasta for every container), as with
/// Docker's bridge and rootful Podman; `--network pasta` (or `private`) gives it a namespace
/// and a pasta of its own, with the host's address. Both reach the host's loopback services
/// through host.containers.internal.
#[test]
fn the_default_network_and_pasta_reach_host_loopback_services() {
    let env = env_with(&[BASIC]);
    // nc's stdin stays open until the server has closed: with /dev/null it would half-close
    // at once, and Debian 12's pasta (2023-03) sometimes loses the server's FIN when both
    // sides close together, leaving nc waiting for ever.
    // The command starts once the interface and routes are configured: the default route is
    // there at once.
    for (net, addr) in [
        (None, "10.88.".to_string()),
        (Some("pasta"), host_ip()),
        (Some("private"), host_ip()),
    ] {
        let (port, server) = host_tcp_server("hello from the host\n");
        let cmd = format!("ip route | grep -c ^default; ip -o link | cut -d: -f2 | cut -d@ -f1 | tr -d ' ' | sort | tr '\\n' ' '; echo; ip -o -4 addr | grep -v ' lo ' | awk '{{print $4}}'; sleep 1 | nc host.containers.internal {port}; grep host.containers.internal /etc/hosts");
        let mut args = vec!["run", "--rm"];
        if let Some(n) = net {
            args.extend(["--network", n]);
        }
        args.extend([BASIC, "sh", "-c", &cmd]);
        let r = env.hutch(&args).ok();
        let lines: Vec<&str> = r.stdout.lines().collect();
        assert_eq!(lines[0], "1", "{net:?}: a default route from the start: {r:?}");
        assert!(
            lines[1].contains("lo") && lines[1].split_whitespace().count() == 2,
            "{net:?}: lo and one interface: {r:?}"
        );
        if net.is_none() {
            assert!(lines[1].contains("eth0"), "{r:?}");
        }
        assert!(lines[2].starts_with(&addr), "{net:?}: the address {addr}…: {r:?}");
        assert_eq!(lines[3], "hello from the host", "{net:?}: {r:?}");
        assert!(
            lines[4].ends_with("host.containers.internal host.docker.internal"),
            "{r:?}"
        );
        server.join().unwrap();
        assert_no_helpers(&env, "after a foreground run");
    }
    for (net, mode) in [(None, "bridge"), (Some("pasta"), "pasta"), (Some("private"), "pasta")] {
        let mut args = vec!["create", "--name", "n1"];
        if let Some(n) = net {
            args.extend(["--network", n]);
        }
        args.extend([BASIC, "true"]);
        env.hutch(&args).ok();
        assert_eq!(
            env.hutch(["inspect", "--format", "{{.HostConfig.NetworkMode}}", "n1"])
                .ok()
                .stdout,
            format!("{mode}\n")
        );
        env.hutch(["rm", "n1"]).ok();
    }
    // containers.conf's netns = "private" (or "pasta") brings the old default back.
    let conf = env.write("private.conf", "[containers]\nnetns = \"private\"\n");
    let r = to_run(
        env.command(["create", "--name", "n2", BASIC, "true"])
            .env("CONTAINERS_CONF", &conf)
            .output()
            .unwrap(),
    )
    .ok();
    assert!(r.stderr.is_empty(), "{r:?}");
    assert_eq!(
        env.hutch(["inspect", "--format", "{{.HostConfig.NetworkMode}}", "n2"])
            .ok()
            .stdout,
        "pasta\n"
    );
    env.hutch(["rm", "n2"]).ok();
    let info: serde_json::Value = serde_json::from_str(&env.hutch(["info", "--format", "json"]).ok().stdout).unwrap();
    assert_eq!(info["containersConf"]["defaultNetwork"], "podman", "{info}");
}

#[test]
fn published_tcp_ports_port_verb_and_port_conflicts() {
    let env = env_with(&[BASIC, NET]);
    let hp = free_port();
    let spec = format!("{hp}:80");
    env.hutch([
        "run",
        "-d",
        "--name",
        "web",
        "--hostname",
        "webhost",
        "-p",
        &spec,
        BASIC,
        "httpd",
        "-f",
        "-p",
        "80",
        "-h",
        "/etc",
    ])
    .ok();
    assert_eq!(http_get(hp, "/hostname"), "webhost\n");
    assert_eq!(
        env.hutch(["port", "web"]).ok().stdout,
        format!("80/tcp -> 0.0.0.0:{hp}\n")
    );
    assert_eq!(env.hutch(["port", "web", "80"]).ok().stdout, format!("0.0.0.0:{hp}\n"));
    env.hutch(["port", "web", "81/tcp"])
        .fails_with("failed to find published port \"81/tcp\"");
    assert!(env
        .hutch(["port", "--all"])
        .ok()
        .stdout
        .ends_with(&format!("\t80/tcp -> 0.0.0.0:{hp}\n")));
    assert_eq!(env.hutch(["port", "-a", "80"]).ok().stdout, format!("0.0.0.0:{hp}\n"));
    env.hutch(["port", "-a", "80", "81"])
        .fails_with("port --all/--latest takes at most a PORT[/PROTO]");
    assert_eq!(
        env.hutch(["ps", "--format", "{{.Names}} {{.Ports}}"]).ok().stdout,
        format!("web 0.0.0.0:{hp}->80/tcp\n")
    );
    assert!(env.hutch(["ps"]).ok().stdout.contains(&format!("0.0.0.0:{hp}->80/tcp")));
    let j: serde_json::Value = serde_json::from_str(&env.hutch(["ps", "--format", "json"]).ok().stdout).unwrap();
    assert_eq!(j[0]["Ports"][0]["host_port"], hp);
    assert_eq!(j[0]["Ports"][0]["container_port"], 80);
    let v: serde_json::Value = serde_json::from_str(&env.hutch(["inspect", "web"]).ok().stdout).unwrap();
    assert_eq!(
        v[0]["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"],
        hp.to_string()
    );

    // The same host port again: a clear error; the container cannot start (126, as Podman's)
    // and, with --rm, nothing is left of it (without, it stays created as Podman's `run`
    // leaves it: tests/compat7.rs).
    let r = env.hutch(["run", "-d", "--rm", "-p", &spec, BASIC, "sleep", "100"]);
    assert_eq!(r.code, 126, "{r:?}");
    assert!(
        r.stderr
            .contains(&format!("host port 0.0.0.0:{hp}/tcp is already in use"))
            && r.stderr.lines().count() == 1,
        "{r:?}"
    );
    assert_eq!(env.hutch(["ps", "-a", "--format", "{{.Names}}"]).ok().stdout, "web\n");

    // -P: every exposed port on a free host port; a loopback-only binding; a range.
    let a = free_port();
    let range = format!("127.0.0.1:{a}-{}:80-81", a + 1);
    env.hutch(["run", "-d", "--name", "all", "-P", NET, "sleep", "100"])
        .ok();
    let ports = env.hutch(["port", "all"]).ok().stdout;
    let lines: Vec<&str> = ports.lines().collect();
    assert_eq!(lines.len(), 2, "{ports}");
    assert!(
        lines.iter().any(|l| l.starts_with("80/tcp -> 0.0.0.0:"))
            && lines.iter().any(|l| l.starts_with("5353/udp -> 0.0.0.0:")),
        "{ports}"
    );
    env.hutch([
        "run", "-d", "--name", "rng", "-p", &range, BASIC, "httpd", "-f", "-p", "81", "-h", "/etc",
    ])
    .ok();
    assert_eq!(http_get(a + 1, "/hostname").len(), 13);
    assert_eq!(
        env.hutch(["port", "rng"]).ok().stdout,
        format!("80/tcp -> 127.0.0.1:{a}\n81/tcp -> 127.0.0.1:{}\n", a + 1)
    );

    env.hutch(["rm", "-f", "web", "all", "rng"]).ok();
    assert_no_helpers(&env, "after rm -f");
    // The port is free again.
    TcpListener::bind(("0.0.0.0", hp)).unwrap();
}

#[test]
fn udp_to_the_host_and_to_a_published_port() {
    let env = env_with(&[NET]);
    // Container -> a UDP service on the host's loopback.
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = s.local_addr().unwrap().port();
    let echo = std::thread::spawn(move || {
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut b = [0u8; 100];
        let (n, from) = s.recv_from(&mut b).unwrap();
        s.send_to(&[b"host-got:", &b[..n]].concat(), from).unwrap();
    });
    let cmd = format!("udp send $(grep host.containers.internal /etc/hosts | cut -f1) {port} ping");
    assert_eq!(
        env.hutch(["run", "--rm", NET, "sh", "-c", &cmd]).ok().stdout,
        "host-got:ping\n"
    );
    echo.join().unwrap();

    // Host -> a UDP server in the container through -p …/udp, with either helper. (This pasta
    // release loses the replies to clients on the host's loopback, so the client uses the
    // host's address.)
    for net in ["pasta", "slirp4netns"] {
        let hp = UdpSocket::bind("0.0.0.0:0").unwrap().local_addr().unwrap().port();
        let spec = format!("{hp}:5353/udp");
        env.hutch([
            "run",
            "-d",
            "--name",
            "u",
            "--network",
            net,
            "-p",
            &spec,
            NET,
            "udp",
            "echo",
            "5353",
        ])
        .ok();
        let c = UdpSocket::bind("0.0.0.0:0").unwrap();
        c.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
        let mut got = String::new();
        let t = Instant::now();
        while got.is_empty() && t.elapsed() < Duration::from_secs(10) {
            c.send_to(b"hello", (host_ip().as_str(), hp)).unwrap();
            let mut b = [0u8; 100];
            if let Ok(n) = c.recv(&mut b) {
                got = String::from_utf8_lossy(&b[..n]).to_string();
            }
        }
        assert_eq!(got, "echo:hello", "{net}");
        assert_eq!(env.hutch(["wait", "u"]).ok().stdout, "0\n");
        assert_eq!(env.hutch(["logs", "u"]).ok().stdout, "hello\n");
        env.hutch(["rm", "u"]).ok();
    }
    assert_no_helpers(&env, "after the container exited");
}

#[test]
fn slirp4netns_mode() {
    let env = env_with(&[BASIC]);
    let (port, server) = host_tcp_server("hello via slirp4netns\n");
    let cmd = format!("ip -o -4 addr show tap0 | grep -o '10.0.2.100/24'; nc host.containers.internal {port}; grep nameserver /etc/resolv.conf | head -1");
    // The host's loopback only with allow_host_loopback (off by default, as in Podman: see
    // tests/net500.rs).
    let r = env
        .hutch([
            "run",
            "--rm",
            "--network",
            "slirp4netns:allow_host_loopback=true",
            BASIC,
            "sh",
            "-c",
            &cmd,
        ])
        .ok();
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines[0], "10.0.2.100/24", "{r:?}");
    assert_eq!(lines[1], "hello via slirp4netns", "{r:?}");
    server.join().unwrap();
    let hp = free_port();
    let spec = format!("{hp}:80");
    env.hutch([
        "run",
        "-d",
        "--name",
        "s",
        "--network",
        "slirp4netns",
        "--hostname",
        "slirphost",
        "-p",
        &spec,
        BASIC,
        "httpd",
        "-f",
        "-p",
        "80",
        "-h",
        "/etc",
    ])
    .ok();
    assert_eq!(http_get(hp, "/hostname"), "slirphost\n");
    // TCP ports go through hutch's forwarder (slirp4netns and the forwarder: two helpers).
    assert_eq!(processes(&env, &["hutch-portfwd"]).len(), 1, "one forwarder");
    env.hutch(["stop", "-t", "0", "s"]).ok();
    assert_no_helpers(&env, "after stop");
}

#[test]
fn none_host_dns_and_hosts_options() {
    let env = env_with(&[BASIC]);
    let r = env.hutch([
        "run",
        "--rm",
        "--network",
        "none",
        BASIC,
        "sh",
        "-c",
        "ls /sys/class/net; grep -c host.containers /etc/hosts",
    ]);
    assert_eq!(r.stdout, "lo\n0\n", "{r:?}");
    // host: the user's own network namespace.
    let host_links = std::fs::read_dir("/sys/class/net").unwrap().count();
    let r = env
        .hutch([
            "run",
            "--rm",
            "--network",
            "host",
            BASIC,
            "sh",
            "-c",
            "ls /sys/class/net | wc -l",
        ])
        .ok();
    assert_eq!(r.stdout.trim(), host_links.to_string());
    let r = env
        .hutch([
            "run",
            "--rm",
            "--name",
            "dnsbox",
            "--hostname",
            "h1",
            "--dns",
            "192.0.2.53",
            "--dns-search",
            "example.org",
            "--dns-option",
            "ndots:3",
            "--add-host",
            "db:10.9.8.7",
            "--add-host",
            "gw:host-gateway",
            BASIC,
            "sh",
            "-c",
            "cat /etc/resolv.conf; echo --; cat /etc/hosts",
        ])
        .ok();
    let (resolv, hosts) = r.stdout.split_once("--\n").unwrap();
    assert_eq!(resolv, "search example.org\nnameserver 192.0.2.53\noptions ndots:3\n");
    let gw = hosts
        .lines()
        .find(|l| l.ends_with("host.containers.internal host.docker.internal"))
        .unwrap()
        .split('\t')
        .next()
        .unwrap();
    assert!(
        hosts.contains("\th1 dnsbox\n") && hosts.contains("10.9.8.7\tdb\n") && hosts.contains(&format!("{gw}\tgw\n")),
        "{hosts}"
    );
    // Without --dns: pasta's forwarder first, whatever the host's resolvers (tests/dns_config.rs
    // checks that lookups work through it).
    let inner = env
        .hutch(["run", "--rm", BASIC, "grep", "nameserver", "/etc/resolv.conf"])
        .ok()
        .stdout;
    assert!(inner.starts_with("nameserver 169.254.1.1\n"), "{inner}");
    for (args, says) in [
        (vec!["--network", "bad!"], "--network bad!: unknown network mode"),
        (vec!["-p", "8080:80/sctp"], "-p 8080:80/sctp: protocol"),
        (vec!["--add-host", "nocolon"], "--add-host nocolon: expected NAME:IP"),
        (vec!["--dns", "resolver"], "--dns resolver: not an IP address"),
    ] {
        let mut a = vec!["run", "--rm"];
        a.extend(args);
        a.extend([BASIC, "true"]);
        env.hutch(&a).fails_with(says);
    }
    assert_eq!(env.hutch(["ps", "-a", "-q"]).ok().stdout, "");
}

fn container_pid(env: &Env, name: &str) -> i32 {
    env.hutch(["inspect", "--format", "{{.State.Pid}}", name])
        .ok()
        .stdout
        .trim()
        .parse()
        .unwrap()
}

fn kill9(pid: i32) {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL).unwrap();
}

#[test]
fn network_helpers_never_outlive_their_container() {
    let env = env_with(&[BASIC]);
    for net in ["pasta", "slirp4netns"] {
        // With a published port: slirp4netns's TCP ports have hutch's forwarder beside it.
        let n = if net == "slirp4netns" { 2 } else { 1 };
        // A fresh host port each time: a killed helper's may take a moment to be released.
        let p = || format!("{}:80", free_port());
        // kill -9 of the container's process: the monitor reaps it and stops the helper.
        env.hutch([
            "run",
            "-d",
            "--name",
            "k",
            "--network",
            net,
            "-p",
            &p(),
            BASIC,
            "sleep",
            "1000",
        ])
        .ok();
        assert_eq!(helpers(&env).len(), n, "{net}: its helpers while it runs");
        kill9(container_pid(&env, "k"));
        assert_eq!(env.hutch(["wait", "k"]).ok().stdout, "137\n");
        assert_no_helpers(&env, &format!("{net}: after kill -9 of the container"));
        env.hutch(["rm", "k"]).ok();

        // kill -9 of the monitor: helper and container go with it.
        env.hutch([
            "run",
            "-d",
            "--name",
            "m",
            "--network",
            net,
            "-p",
            &p(),
            BASIC,
            "sleep",
            "1000",
        ])
        .ok();
        let monitors = processes(&env, &["hutch-monitor"]);
        assert_eq!(monitors.len(), 1);
        let ctr = container_pid(&env, "m");
        kill9(monitors[0]);
        assert_no_helpers(&env, &format!("{net}: after kill -9 of the monitor"));
        wait_until("the container to die with its monitor", || {
            !std::path::Path::new(&format!("/proc/{ctr}/status")).exists()
                || std::fs::read_to_string(format!("/proc/{ctr}/status"))
                    .unwrap_or_default()
                    .contains("State:\tZ")
        });
        env.hutch(["rm", "-f", "m"]).ok();

        // kill -9 of a foreground `hutch run`: same.
        let mut child = env
            .command([
                "run",
                "--rm",
                "--name",
                "fg",
                "--network",
                net,
                "-p",
                &p(),
                BASIC,
                "sleep",
                "1000",
            ])
            .spawn()
            .unwrap();
        wait_until("the foreground container's helpers", || helpers(&env).len() == n);
        wait_until("the foreground container to run", || {
            env.hutch(["ps", "-q"]).stdout.lines().count() == 1
        });
        let ctr = container_pid(&env, "fg");
        // `env.command` runs setpriv, which execs hutch: the child's pid is hutch's.
        kill9(child.id() as i32);
        let _ = child.wait();
        assert_no_helpers(&env, &format!("{net}: after kill -9 of a foreground hutch run"));
        wait_until("the container to die with hutch", || {
            std::fs::read_to_string(format!("/proc/{ctr}/status"))
                .map(|s| s.contains("State:\tZ"))
                .unwrap_or(true)
        });
        env.hutch(["rm", "-f", "fg"]).ok();

        // stop, and rm -f.
        env.hutch([
            "run",
            "-d",
            "--name",
            "s",
            "--network",
            net,
            "-p",
            &p(),
            BASIC,
            "sleep",
            "1000",
        ])
        .ok();
        env.hutch(["stop", "-t", "0", "s"]).ok();
        assert_no_helpers(&env, &format!("{net}: after stop"));
        env.hutch(["start", "s"]).ok();
        assert_eq!(helpers(&env).len(), n, "{net}: its helpers again after start");
        env.hutch(["rm", "-f", "s"]).ok();
        assert_no_helpers(&env, &format!("{net}: after rm -f"));
    }
    let left: Vec<PathBuf> = std::fs::read_dir(env.run_dir().join("hutch/net"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "nothing left in the runtime dir: {left:?}");
}

#[test]
fn joining_another_containers_network_namespace() {
    let env = env_with(&[BASIC]);
    env.hutch([
        "run",
        "-d",
        "--name",
        "web",
        "--hostname",
        "webhost",
        "--network",
        "none",
        BASIC,
        "httpd",
        "-f",
        "-p",
        "127.0.0.1:8080",
        "-h",
        "/etc",
    ])
    .ok();
    let id = env
        .hutch(["inspect", "--format", "{{.Id}}", "web"])
        .ok()
        .stdout
        .trim()
        .to_string();
    // container:NAME: web's loopback is this container's loopback; its own hostname and pids.
    let get = "for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://127.0.0.1:8080/hostname && break; sleep 0.2; done; hostname; echo $$";
    let r = env
        .hutch([
            "run",
            "--name",
            "side",
            "--hostname",
            "side",
            "--network",
            "container:web",
            BASIC,
            "sh",
            "-c",
            get,
        ])
        .ok();
    assert_eq!(r.stdout, "webhost\nside\n1\n", "{r:?}");
    assert_eq!(
        env.hutch(["inspect", "--format", "{{.HostConfig.NetworkMode}}", "side"])
            .ok()
            .stdout,
        format!("container:{id}\n")
    );
    // ns:PATH with the same namespace, and exec into such a container.
    let ns = format!("ns:/proc/{}/ns/net", container_pid(&env, "web"));
    env.hutch(["run", "-d", "--name", "nsjoin", "--network", &ns, BASIC, "sleep", "100"])
        .ok();
    assert_eq!(
        env.hutch(["exec", "nsjoin", "wget", "-qO-", "http://127.0.0.1:8080/hostname"])
            .ok()
            .stdout,
        "webhost\n"
    );

    // What cannot be joined: one clear line each, exit 125, no container left behind.
    env.hutch(["run", "--rm", "--network", "ns:/proc/self/ns/net", BASIC, "true"])
        .fails_with("belongs to the host's user namespace");
    env.hutch(["run", "--rm", "--network", "ns:/etc/hostname", BASIC, "true"])
        .fails_with("/etc/hostname is not a network namespace");
    env.hutch(["run", "--rm", "--network", "ns:/nonexistent", BASIC, "true"])
        .fails_with("--network ns:/nonexistent: no such file");
    env.hutch(["run", "--rm", "--network", "ns:relative", BASIC, "true"])
        .fails_with("absolute path");
    env.hutch(["run", "--rm", "--network", "container:nope", BASIC, "true"])
        .fails_with("--network container:nope: no container");
    // Podman's rule: the ports are dropped, with its warning.
    assert!(env
        .hutch([
            "run",
            "--rm",
            "--network",
            "container:web",
            "-p",
            "9999:80",
            BASIC,
            "true",
        ])
        .ok()
        .stderr
        .contains("Port mappings have been discarded"));
    env.hutch(["stop", "-t", "0", "web"]).ok();
    env.hutch(["run", "--rm", "--network", "container:web", BASIC, "true"])
        .fails_with("container web is not running");
    let mut left: Vec<String> = env
        .hutch(["ps", "-a", "--format", "{{.Names}}"])
        .ok()
        .stdout
        .lines()
        .map(String::from)
        .collect();
    left.sort();
    assert_eq!(left, ["nsjoin", "side", "web"]);
    env.hutch(["rm", "-f", "nsjoin", "side", "web"]).ok();
}

#[test]
fn a_failing_helper_fails_the_start_with_its_own_words() {
    use std::os::unix::fs::PermissionsExt;
    let env = env_with(&[BASIC]);
    // Stand-ins for the helpers that fail the way a real one does: a line on stderr, exit 1.
    let bin = env.home().join("fakebin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    for (name, msg) in [
        ("pasta", "No routable interface for IPv4"),
        ("slirp4netns", "cannot open tap device"),
    ] {
        let f = bin.join(name);
        std::fs::write(&f, format!("#!/bin/sh\necho '{msg}' >&2\nexit 1\n")).unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!("{}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", bin.display());
    for (net, msg) in [
        ("pasta", "No routable interface for IPv4"),
        ("slirp4netns", "cannot open tap device"),
    ] {
        for detach in [false, true] {
            let mut args = vec!["run", "--network", net, "--name", "c"];
            if detach {
                args.push("-d");
            }
            args.extend([BASIC, "sleep", "100"]);
            let r = to_run(env.command(&args).env("PATH", &path).output().unwrap());
            let r = r.fails_with(&format!("{net} failed (exit status: 1): {msg}"));
            assert!(r.stdout.is_empty(), "{r:?}");
            // The container that could not start stays created (Podman's `run` leaves it;
            // with --rm it goes), holding no helper.
            assert_eq!(
                env.hutch(["ps", "-a", "--format", "{{.Names}} {{.Status}}"])
                    .ok()
                    .stdout,
                "c Created\n",
                "the container stays created after {net} failed"
            );
            assert_no_helpers(&env, &format!("after {net} failed"));
            env.hutch(["rm", "c"]).ok();
        }
    }
}
