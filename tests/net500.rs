//! What Podman's test/system/500-networking.bats asks of networking that hutch did not have
//! (issue 17), as the unprivileged test user, with real helpers and sockets: slirp4netns's
//! options (`--network slirp4netns:cidr=…,allow_host_loopback=…,mtu=…,port_handler=…`),
//! `--http-proxy` and containers.conf `http_proxy`, `network reload` after the shared
//! namespace's firewall rules were flushed, and containers.conf's /etc/hosts options.

mod common;

use std::io::Write;
use std::net::TcpListener;

use common::net::*;
use common::*;

const BASIC: &str = "fixtures/basic";

/// A TCP server on `addr` (port 0: any) that greets every client, for as long as the test runs.
fn greeter(addr: &str, greeting: &'static str) -> u16 {
    let l = TcpListener::bind((addr, 0)).unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            let _ = s.write_all(greeting.as_bytes());
        }
    });
    port
}

/// No container was left behind by a refused `run`.
#[track_caller]
fn no_containers(env: &Env) {
    assert_eq!(env.hutch(["ps", "-a", "-q"]).ok().stdout, "", "nothing created");
}

#[test]
fn slirp4netns_options_as_podmans() {
    let env = env_with(&[BASIC]);
    let hip = host_ip();
    let lo_port = greeter("127.0.0.1", "from the host's loopback\n");
    // cidr: the container is .100 of the subnet, slirp4netns's DNS forwarder .3 (last in
    // resolv.conf, as Podman puts it), and host.containers.internal is the host's own address
    // (its loopback stays out of reach by default, as in Podman).
    let script = format!(
        "ip -o -4 addr show tap0 | awk '{{print $4}}'; grep nameserver /etc/resolv.conf | tail -1; cat /etc/hosts; \
         if nc -w 2 10.43.7.2 {lo_port} </dev/null; then echo reached; else echo unreachable; fi"
    );
    let r = env
        .hutch([
            "run",
            "--rm",
            "--name",
            "sl",
            "--hostname",
            "slh",
            "--network",
            "slirp4netns:cidr=10.43.7.0/24",
            BASIC,
            "sh",
            "-c",
            &script,
        ])
        .ok();
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines[0], "10.43.7.100/24", "{r:?}");
    assert_eq!(lines[1], "nameserver 10.43.7.3", "{r:?}");
    assert!(r.stdout.contains("10.43.7.100\tslh sl\n"), "{r:?}");
    assert!(
        r.stdout
            .contains(&format!("{hip}\thost.containers.internal host.docker.internal\n")),
        "{r:?}"
    );
    assert!(r.stdout.ends_with("unreachable\n"), "{r:?}");

    // allow_host_loopback: .2 reaches the host's loopback and is host.containers.internal;
    // mtu sets the interface's.
    let script = format!("cat /sys/class/net/tap0/mtu; grep host.containers.internal /etc/hosts | cut -f1; nc host.containers.internal {lo_port} </dev/null");
    let r = env
        .hutch([
            "run",
            "--rm",
            "--network",
            "slirp4netns:allow_host_loopback=true,mtu=1400,cidr=10.43.8.0/24",
            BASIC,
            "sh",
            "-c",
            &script,
        ])
        .ok();
    assert_eq!(r.stdout, "1400\n10.43.8.2\nfrom the host's loopback\n", "{r:?}");

    // containers.conf's network_cmd_options apply to every slirp4netns container, under its
    // own options (which win), as Podman's; other modes ignore them.
    env.write(
        "config/containers/containers.conf",
        "[engine]\nnetwork_cmd_options = [\"allow_host_loopback=true\", \"mtu=1400\"]\n",
    );
    let conf_script = format!("cat /sys/class/net/tap0/mtu; nc -w 2 10.0.2.2 {lo_port} </dev/null || echo unreachable");
    let r = env
        .hutch([
            "run",
            "--rm",
            "--network",
            "slirp4netns",
            BASIC,
            "sh",
            "-c",
            &conf_script,
        ])
        .ok();
    assert_eq!(r.stdout, "1400\nfrom the host's loopback\n", "{r:?}");
    let r = env
        .hutch([
            "run",
            "--rm",
            "--network",
            "slirp4netns:allow_host_loopback=false",
            BASIC,
            "sh",
            "-c",
            &conf_script,
        ])
        .ok();
    assert_eq!(r.stdout, "1400\nunreachable\n", "{r:?}");
    env.write(
        "config/containers/containers.conf",
        "[engine]\nnetwork_cmd_options = [\"allow_host_loopback=sometimes\"]\n",
    );
    env.hutch(["run", "--rm", "--network", "slirp4netns", BASIC, "true"])
        .fails_with("network_cmd_options: allow_host_loopback=sometimes: expected true or false");
    no_containers(&env);
    env.write("config/containers/containers.conf", "");

    // A user namespace of keep-id with a subnet, and ports published through hutch's
    // forwarder (the default, rootlesskit's place) and through slirp4netns's own API.
    for (net, tag) in [
        ("slirp4netns:cidr=10.43.9.0/24", "fwd"),
        ("slirp4netns:cidr=10.43.10.0/24,port_handler=slirp4netns", "api"),
    ] {
        let hp = free_port();
        // (keep-id: the container's user is not root, so not port 80.)
        let spec = format!("{hp}:8080");
        env.hutch([
            "run",
            "-d",
            "--name",
            tag,
            "--hostname",
            tag,
            "--userns",
            "keep-id",
            "--network",
            net,
            "-p",
            &spec,
            BASIC,
            "httpd",
            "-f",
            "-p",
            "8080",
            "-h",
            "/etc",
        ])
        .ok();
        assert_eq!(http_get(hp, "/hostname"), format!("{tag}\n"), "{net}");
        let hosts = env.hutch(["exec", tag, "cat", "/etc/hosts"]).ok().stdout;
        let sub = if tag == "fwd" { "9" } else { "10" };
        assert!(hosts.contains(&format!("10.43.{sub}.100\t{tag} {tag}\n")), "{hosts}");
        env.hutch(["rm", "-f", tag]).ok();
    }

    // enable_ipv6: slirp4netns's IPv6 on the interface too.
    let r = env
        .hutch([
            "run",
            "--rm",
            "--network",
            "slirp4netns:enable_ipv6=true",
            BASIC,
            "sh",
            "-c",
            // Its address comes from slirp4netns's router advertisement.
            "for i in $(seq 50); do ip -o -6 addr show tap0 | grep -q 'inet6 fd00::' && break; sleep 0.1; done; ip -o -6 addr show tap0",
        ])
        .ok();
    assert!(r.stdout.contains("inet6 fd00::"), "{r:?}");

    // outbound_addr: an interface's address or an address; a server on the host's address
    // sees the connection come from it.
    let port = greeter(&hip, "outbound\n");
    let iface = std::fs::read_to_string("/proc/net/route")
        .unwrap()
        .lines()
        .skip(1)
        .find(|l| l.split_whitespace().nth(1) == Some("00000000"))
        .and_then(|l| l.split_whitespace().next().map(String::from))
        .unwrap();
    for o in [iface.as_str(), hip.as_str()] {
        let net = format!("slirp4netns:outbound_addr={o}");
        let r = env
            .hutch([
                "run",
                "--rm",
                "--network",
                &net,
                BASIC,
                "sh",
                "-c",
                &format!("nc -w 3 {hip} {port} </dev/null"),
            ])
            .ok();
        assert_eq!(r.stdout, "outbound\n", "{net}: {r:?}");
    }

    // The stored mode keeps its options (create, then start).
    env.hutch([
        "create",
        "--name",
        "later",
        "--network",
        "slirp4netns:cidr=10.43.11.0/24",
        BASIC,
        "sh",
        "-c",
        "ip -o -4 addr show tap0 | awk '{print $4}'",
    ])
    .ok();
    // inspect names the mode without its options, as Podman's.
    assert_eq!(
        fmt(&env, &["inspect", "later"], "{{.HostConfig.NetworkMode}}"),
        "slirp4netns"
    );
    assert_eq!(env.hutch(["start", "-a", "later"]).ok().stdout, "10.43.11.100/24\n");
    env.hutch(["rm", "later"]).ok();

    // Bad options: one error line, exit 125, nothing created.
    for (bad, needle) in [
        ("slirp4netns:cidr=10.43.300.0/24", "cidr=10.43.300.0/24"),
        ("slirp4netns:cidr=10.43.0.0/26", "cidr=10.43.0.0/26"),
        ("slirp4netns:mtu=big", "mtu=big"),
        ("slirp4netns:mtu=10", "mtu=10"),
        ("slirp4netns:allow_host_loopback=maybe", "expected true or false"),
        ("slirp4netns:port_handler=socat", "port_handler=socat"),
        ("slirp4netns:outbound_addr=2001:db8::1", "outbound_addr=2001:db8::1"),
        ("slirp4netns:outbound_addr=nosuchif0", "no interface nosuchif0"),
        ("slirp4netns:bogus=1", "unknown option \"bogus\""),
        ("slirp4netns:cidr", "expected OPTION=VALUE"),
    ] {
        env.hutch(["run", "--rm", "--network", bad, BASIC, "true"])
            .fails_with(needle);
        no_containers(&env);
    }
}

#[test]
fn http_proxy_passes_the_callers_proxy_variables() {
    let env = env_with(&[BASIC]);
    let run = |extra: &[&str], proxies: bool| {
        let mut args = vec!["run", "--rm"];
        args.extend(extra);
        args.extend([BASIC, "sh", "-c", "env | grep -i _proxy= | sort"]);
        let mut c = env.command(&args);
        if proxies {
            c.env("http_proxy", "http://proxy.example:3128")
                .env("HTTPS_PROXY", "http://secure.example:3129")
                .env("no_proxy", "localhost,.internal")
                .env("ALL_PROXY", "socks5://not.passed:1080");
        }
        let r = to_run(c.output().unwrap());
        assert_eq!(r.code, 0, "{r:?}");
        r.stdout
    };
    let all =
        "HTTPS_PROXY=http://secure.example:3129\nhttp_proxy=http://proxy.example:3128\nno_proxy=localhost,.internal\n";
    // On by default: the caller's variables (not ALL_PROXY, which Podman does not pass).
    assert_eq!(run(&[], true), all);
    assert_eq!(run(&["--http-proxy"], true), all);
    assert_eq!(run(&["--http-proxy=true"], true), all);
    assert_eq!(run(&["--http-proxy=false"], true), "");
    assert_eq!(run(&[], false), "");
    // -e wins over the caller's value.
    assert_eq!(
        run(&["-e", "http_proxy=http://mine:1"], true),
        all.replace("http://proxy.example:3128", "http://mine:1")
    );
    // containers.conf http_proxy = false turns the default off; the flag still wins.
    env.write(
        "config/containers/containers.conf",
        "[containers]\nhttp_proxy = false\n",
    );
    assert_eq!(run(&[], true), "");
    assert_eq!(run(&["--http-proxy=true"], true), all);
    env.write("config/containers/containers.conf", "");
    // Bad value: one error line, exit 125, nothing created.
    env.hutch(["run", "--rm", "--http-proxy=maybe", BASIC, "true"])
        .fails_with("--http-proxy");
    no_containers(&env);
}

#[test]
fn network_reload_makes_flushed_firewall_rules_again() {
    let env = env_with(&[BASIC]);
    env.hutch(["network", "create", "--subnet", "10.94.0.0/24", "rl"]).ok();
    let hp = free_port();
    let spec = format!("{hp}:80");
    let id = env
        .hutch([
            "run",
            "-d",
            "--name",
            "web",
            "--hostname",
            "webhost",
            "--network",
            "rl",
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
        .ok()
        .stdout
        .trim()
        .to_string();
    env.hutch(["create", "--name", "idle", "--network", "rl", BASIC, "true"])
        .ok();
    env.hutch([
        "run",
        "-d",
        "--name",
        "own",
        "--network",
        "slirp4netns",
        BASIC,
        "sleep",
        "300",
    ])
    .ok();
    assert_eq!(http_get(hp, "/hostname"), "webhost\n");
    let port = greeter("127.0.0.1", "out\n");
    // The client's input stays open until the server closed (Debian 12's pasta can lose the
    // server's FIN after a client's immediate half-close).
    let out = format!("sleep 2 | nc -w 3 host.containers.internal {port} || echo cut off");
    assert_eq!(env.hutch(["exec", "web", "sh", "-c", &out]).ok().stdout, "out\n");
    let ip = fmt(
        &env,
        &["inspect", "web"],
        "{{(index .NetworkSettings.Networks \"rl\").IPAddress}}",
    );
    let mac = fmt(
        &env,
        &["inspect", "web"],
        "{{(index .NetworkSettings.Networks \"rl\").MacAddress}}",
    );
    assert!(ip.starts_with("10.94.0."), "{ip}");

    // Something flushes the shared namespace's firewall: the way out is cut.
    let k = netns_pid(&env);
    in_shared(k, &["iptables", "-F", "FORWARD"]);
    in_shared(k, &["iptables", "-t", "nat", "-F", "POSTROUTING"]);
    // (TCP to the host's loopback is redirected to hutch-netns in nat PREROUTING.)
    in_shared(k, &["iptables", "-t", "nat", "-F", "PREROUTING"]);
    assert_eq!(env.hutch(["exec", "web", "sh", "-c", &out]).ok().stdout, "cut off\n");

    // network reload makes them again: the same address and MAC, the way out back, the
    // published port still served.
    assert_eq!(env.hutch(["network", "reload", "web"]).ok().stdout, format!("{id}\n"));
    assert_eq!(env.hutch(["exec", "web", "sh", "-c", &out]).ok().stdout, "out\n");
    assert_eq!(
        fmt(
            &env,
            &["inspect", "web"],
            "{{(index .NetworkSettings.Networks \"rl\").IPAddress}}"
        ),
        ip
    );
    assert_eq!(
        fmt(
            &env,
            &["inspect", "web"],
            "{{(index .NetworkSettings.Networks \"rl\").MacAddress}}"
        ),
        mac
    );
    assert_eq!(http_get(hp, "/hostname"), "webhost\n");
    // --all: every running container on networks (not the created one, not slirp4netns's),
    // and the rules are there once each however often it runs.
    assert_eq!(env.hutch(["network", "reload", "--all"]).ok().stdout, format!("{id}\n"));
    let rules = in_shared(k, &["iptables", "-S", "FORWARD"]);
    let br = fmt(&env, &["network", "inspect", "rl"], "{{.NetworkInterface}}");
    assert_eq!(
        rules.matches(&format!("-A FORWARD -i {br} -o {br} -j ACCEPT")).count(),
        1,
        "{rules}"
    );
    assert!(rules.contains("-P FORWARD DROP"), "{rules}");
    let nat = in_shared(k, &["iptables", "-t", "nat", "-S", "POSTROUTING"]);
    assert_eq!(nat.matches("-A POSTROUTING -s 10.94.0.0/24 ! -o").count(), 1, "{nat}");
    let pre = in_shared(k, &["iptables", "-t", "nat", "-S", "PREROUTING"]);
    assert_eq!(pre.matches(&format!("-i {br} -p tcp -j REDIRECT")).count(), 1, "{pre}");
    assert_eq!(env.hutch(["exec", "web", "sh", "-c", &out]).ok().stdout, "out\n");

    // Bad input: one error line, exit 125.
    env.hutch(["network", "reload", "nosuch"]).fails_with("nosuch");
    env.hutch(["network", "reload", "idle"])
        .fails_with("idle is not running");
    env.hutch(["network", "reload", "own"])
        .fails_with("no firewall rules to reload");
    env.hutch(["network", "reload"])
        .fails_with("required arguments were not provided");
    env.hutch(["rm", "-f", "web", "idle", "own"]).ok();
    env.hutch(["network", "rm", "rl"]).ok();
}

#[test]
fn hosts_file_options_from_containers_conf() {
    let env = env_with(&[BASIC]);
    let base = env.write("base-hosts", "10.1.2.3 name1\n10.1.2.4 name2 #some comment\n");
    env.chown_tree(&base);
    env.write(
        "config/containers/containers.conf",
        &format!(
            "[containers]\nbase_hosts_file = \"{}\"\nhost_containers_internal_ip = \"10.7.7.7\"\n",
            base.display()
        ),
    );
    // The configured address for host.containers.internal (host-gateway too), the base file's
    // lines first.
    for net in ["podman", "pasta", "slirp4netns"] {
        let r = env
            .hutch([
                "run",
                "--rm",
                "--network",
                net,
                "--add-host",
                "name3:10.1.2.5",
                "--add-host",
                "gw:host-gateway",
                BASIC,
                "cat",
                "/etc/hosts",
            ])
            .ok();
        let h = r.stdout;
        assert!(
            h.starts_with("10.1.2.3 name1\n10.1.2.4 name2 #some comment\n127.0.0.1\tlocalhost"),
            "{net}: {h}"
        );
        assert!(
            h.contains("10.7.7.7\thost.containers.internal host.docker.internal\n"),
            "{net}: {h}"
        );
        assert!(
            h.contains("10.1.2.5\tname3\n") && h.contains("10.7.7.7\tgw\n"),
            "{net}: {h}"
        );
        assert_eq!(h.lines().count(), 8, "{net}: {h}");
        // A host name the base file names already: the container adds no line of its own,
        // and the base's line keeps its address.
        let r = env
            .hutch([
                "run",
                "--rm",
                "--network",
                net,
                "--name",
                "name1",
                "--hostname",
                "name1",
                BASIC,
                "cat",
                "/etc/hosts",
            ])
            .ok();
        assert!(r.stdout.contains("10.1.2.3 name1\n"), "{net}: {r:?}");
        assert_eq!(r.stdout.matches("name1").count(), 1, "{net}: {r:?}");
        assert_eq!(r.stdout.lines().count(), 5, "{net}: {r:?}");
    }
    // "none": no host.containers.internal line.
    env.write(
        "config/containers/containers.conf",
        "[containers]\nhost_containers_internal_ip = \"none\"\n",
    );
    let r = env.hutch(["run", "--rm", BASIC, "cat", "/etc/hosts"]).ok();
    assert!(!r.stdout.contains("host.containers.internal"), "{r:?}");
    // Bad value: one error line naming the file, exit 125, nothing created.
    env.write(
        "config/containers/containers.conf",
        "[containers]\nhost_containers_internal_ip = \"gateway\"\n",
    );
    env.hutch(["run", "--rm", BASIC, "true"])
        .fails_with("host_containers_internal_ip: \"gateway\" is neither an IP address nor none");
    no_containers(&env);
}

#[test]
fn containers_sharing_a_network_share_its_hosts_file() {
    let env = env_with(&[BASIC]);
    // A pod's members: the infra's file (its line names the pod's host name and the infra),
    // and each member's name at 127.0.0.1 (the host name is there already), as Podman's.
    env.hutch([
        "pod",
        "create",
        "--name",
        "hp",
        "--infra-name",
        "hp-infra",
        "--add-host",
        "db.x:10.1.2.3",
    ])
    .ok();
    let member = |name: &str| {
        env.hutch([
            "run",
            "--rm",
            "--pod",
            "hp",
            "--name",
            name,
            "--add-host",
            "own.x:10.1.2.4",
            BASIC,
            "cat",
            "/etc/hosts",
        ])
        .ok()
        .stdout
    };
    let h1 = member("c1");
    assert!(
        h1.lines()
            .any(|l| l.split_whitespace().skip(1).collect::<Vec<_>>() == ["hp", "hp-infra"]),
        "{h1}"
    );
    assert!(h1.contains("\n127.0.0.1\tc1\n"), "{h1}");
    // The pod's --add-host line once (the infra's), the member's own after it.
    assert_eq!(h1.matches("db.x").count(), 1, "{h1}");
    assert!(h1.ends_with("10.1.2.4\town.x\n"), "{h1}");
    let h2 = member("c2");
    assert!(h2.contains("\n127.0.0.1\tc2\n") && !h2.contains("c1"), "{h2}");
    assert_eq!(h1.lines().count(), h2.lines().count());
    env.hutch(["pod", "rm", "-f", "hp"]).ok();
    // --network container:NAME: the other's file, then this one's host name and name.
    env.hutch([
        "run",
        "-d",
        "--name",
        "base",
        "--hostname",
        "basehost",
        BASIC,
        "sleep",
        "300",
    ])
    .ok();
    let r = env
        .hutch([
            "run",
            "--rm",
            "--network",
            "container:base",
            "--name",
            "side",
            "--hostname",
            "sidehost",
            BASIC,
            "cat",
            "/etc/hosts",
        ])
        .ok();
    let own = env.hutch(["exec", "base", "cat", "/etc/hosts"]).ok().stdout;
    assert_eq!(r.stdout, format!("{own}127.0.0.1\tsidehost side\n"));
    env.hutch(["rm", "-f", "base"]).ok();
}

#[test]
fn connect_and_disconnect_keep_inspect_and_hosts_up_to_date() {
    let env = env_with(&[BASIC]);
    env.hutch(["network", "create", "--subnet", "10.95.0.0/24", "na"]).ok();
    env.hutch(["network", "create", "--subnet", "10.96.0.0/24", "nb"]).ok();
    env.hutch([
        "run",
        "-d",
        "--name",
        "c",
        "--hostname",
        "ch",
        "--network",
        "na",
        BASIC,
        "sleep",
        "300",
    ])
    .ok();
    let addr = |net: &str| net_address(&env, "c", net);
    let own_line = || own_lines(&env, "c", "ch").first().cloned();
    let a = addr("na");
    assert!(a.starts_with("10.95.0."), "{a}");
    // connect: inspect shows the new network's address and MAC (its interface is there).
    env.hutch(["network", "connect", "nb", "c"]).ok();
    let b = addr("nb");
    let (b_ip, b_mac) = b.split_once(' ').unwrap();
    assert!(b_ip.starts_with("10.96.0.") && b_mac.len() == 17, "{b}");
    let links = env.hutch(["exec", "c", "ip", "-o", "-4", "addr"]).ok().stdout;
    assert!(links.contains(&format!("inet {b_ip}/24")), "{links}");
    assert_eq!(addr("na"), a);
    // disconnect of the first: its address leaves inspect and /etc/hosts, which names the
    // container at its address on the one left.
    let a_ip = a.split(' ').next().unwrap().to_string();
    let default_route = || env.hutch(["exec", "c", "ip", "route", "show", "default"]).ok().stdout;
    assert!(
        default_route().starts_with("default via 10.95.0.1 dev eth0"),
        "{}",
        default_route()
    );
    env.hutch(["network", "disconnect", "na", "c"]).ok();
    assert_eq!(addr("nb"), b);
    // The network that carried its default route went: the one left gives it one (as Docker
    // picks a new gateway), and it still reaches the host (the registry on its loopback).
    assert!(
        default_route().starts_with("default via 10.96.0.1 dev eth1"),
        "{}",
        default_route()
    );
    let out = "(printf 'GET /v2/ HTTP/1.0\\r\\n\\r\\n'; sleep 2) | nc -w 3 host.containers.internal 5000 | grep -q '^HTTP/1.. 200' && echo out || echo no-way-out";
    assert_eq!(env.hutch(["exec", "c", "sh", "-c", out]).ok().stdout, "out\n");
    assert_eq!(own_line().unwrap(), format!("{b_ip}\tch c"));
    let hosts = env.hutch(["exec", "c", "cat", "/etc/hosts"]).ok().stdout;
    assert!(!hosts.contains(&a_ip), "{hosts}");
    // The last one: the placeholder address.
    env.hutch(["network", "disconnect", "nb", "c"]).ok();
    assert_eq!(own_line().unwrap(), "127.0.1.1\tch c");
    env.hutch(["rm", "-f", "c"]).ok();
}

/// Container `ctr`'s "IPAddress MacAddress" on network `net`, as `inspect` gives them.
fn net_address(env: &Env, ctr: &str, net: &str) -> String {
    let f = |k: &str| format!("{{{{(index .NetworkSettings.Networks \"{net}\").{k}}}}}");
    fmt(
        env,
        &["inspect", ctr],
        &format!("{} {}", f("IPAddress"), f("MacAddress")),
    )
}

/// The lines of `ctr`'s /etc/hosts naming its host name `host` first.
fn own_lines(env: &Env, ctr: &str, host: &str) -> Vec<String> {
    let hosts = env.hutch(["exec", ctr, "cat", "/etc/hosts"]).ok().stdout;
    hosts
        .lines()
        .filter(|l| l.split_whitespace().nth(1) == Some(host))
        .map(String::from)
        .collect()
}

/// One GET of `path` from 127.0.0.1:`port`: the body, or None when the connection gives no
/// answer (refused, reset or closed at once).
fn http_once(port: u16, path: &str) -> Option<String> {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(10))).ok()?;
    s.write_all(format!("GET {path} HTTP/1.0\r\n\r\n").as_bytes()).ok()?;
    let mut text = String::new();
    let _ = s.read_to_string(&mut text);
    text.split_once("\r\n\r\n").map(|(_, b)| b.to_string())
}

/// Podman's "network connect/disconnect with port forwarding": a container disconnected from
/// its only network stays a container of the networks (connected again, it gets a new address
/// and MAC); its published port follows it to its new address, and to the network left when
/// the first is disconnected; /etc/hosts has one line per network address, as Podman writes it.
#[test]
fn published_ports_follow_network_connect_and_disconnect() {
    let env = env_with(&[BASIC]);
    env.hutch(["network", "create", "--subnet", "10.97.0.0/24", "pa"]).ok();
    env.hutch(["network", "create", "--subnet", "10.98.0.0/24", "pb"]).ok();
    // Keeps the shared namespace up while the other is disconnected.
    env.hutch(["run", "-d", "--name", "bg", "--network", "pa", BASIC, "sleep", "300"])
        .ok();
    let hp = free_port();
    let spec = format!("{hp}:80");
    let mut args: Vec<&str> = "run -d --name web --hostname webh --network pa -p".split(' ').collect();
    args.push(&spec);
    args.extend([BASIC, "httpd", "-f", "-p", "80", "-h", "/etc"]);
    env.hutch(args).ok();
    assert_eq!(http_get(hp, "/hostname"), "webh\n");
    let addr = |net: &str| net_address(&env, "web", net);
    let own_lines = || own_lines(&env, "web", "webh");
    let first = addr("pa");
    let (ip1, mac1) = first.split_once(' ').unwrap();
    assert_eq!(own_lines(), [format!("{ip1}\twebh web")]);

    // Disconnected from its only network: no answer, its address gone from /etc/hosts.
    env.hutch(["network", "disconnect", "pa", "web"]).ok();
    assert_eq!(http_once(hp, "/hostname"), None);
    assert_eq!(own_lines(), ["127.0.1.1\twebh web"]);
    assert_eq!(fmt(&env, &["inspect", "web"], "{{.HostConfig.NetworkMode}}"), "bridge");
    // Connected again: a new address and MAC, and the port answers there.
    env.hutch(["network", "connect", "pa", "web"]).ok();
    let again = addr("pa");
    let (ip2, mac2) = again.split_once(' ').unwrap();
    assert!(
        ip2.starts_with("10.97.0.") && ip2 != ip1 && mac2 != mac1,
        "{first} / {again}"
    );
    assert_eq!(http_get(hp, "/hostname"), "webh\n");
    assert_eq!(own_lines(), [format!("{ip2}\twebh web")]);

    // A second network: one /etc/hosts line per address; then the first goes, and the port
    // follows the container to the second.
    env.hutch(["network", "connect", "pb", "web"]).ok();
    let (ip3, _) = addr("pb")
        .split_once(' ')
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .unwrap();
    assert!(ip3.starts_with("10.98.0."), "{ip3}");
    assert_eq!(own_lines(), [format!("{ip2}\twebh web"), format!("{ip3}\twebh web")]);
    assert_eq!(http_get(hp, "/hostname"), "webh\n");
    env.hutch(["network", "disconnect", "pa", "web"]).ok();
    assert_eq!(http_get(hp, "/hostname"), "webh\n");
    assert_eq!(own_lines(), [format!("{ip3}\twebh web")]);

    // A container with no published port disconnects and connects again quietly.
    let r = env.hutch(["network", "disconnect", "pa", "bg"]).ok();
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", ""));
    let r = env.hutch(["network", "connect", "pa", "bg"]).ok();
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", ""));

    // Started again while on no network: it runs with only lo; connected, its port answers.
    env.hutch(["network", "disconnect", "pb", "web"]).ok();
    env.hutch(["restart", "-t", "0", "web"]).ok();
    let links = env.hutch(["exec", "web", "ip", "-o", "link"]).ok().stdout;
    assert_eq!(links.lines().count(), 1, "{links}");
    assert_eq!(http_once(hp, "/hostname"), None);
    env.hutch(["network", "connect", "pb", "web"]).ok();
    assert_eq!(http_get(hp, "/hostname"), "webh\n");

    // `bridge:` (what a container on no network is stored as) is no --network of its own.
    let r = env.hutch(["create", "--network", "bridge:", BASIC, "true"]);
    assert_eq!(r.code, 125, "{r:?}");
    assert_eq!(r.stderr, "Error: --network bridge:: expected the name of a network\n");
    env.hutch(["rm", "-f", "web", "bg"]).ok();
}
