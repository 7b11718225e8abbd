//! Name resolution in containers against resolvers the tests run themselves, the disk filling
//! up during a pull, and the containers.conf / registries.conf keys hutch honours (issue 18,
//! items 0, 6 and 11). Runs as root; hutch runs as the unprivileged test user.
//!
//! The host's resolver is faked without touching the real /etc/resolv.conf: hutch runs in a
//! private mount namespace where a test file is bind-mounted over it, and the resolvers
//! (tests/fixtures/dnsserver.py) run next to it, either in the host's network namespace (on a
//! loopback address of their own) or in a private network namespace whose only link is a tap
//! device (198.51.100.2/24 and fd01::2/64, the addresses pasta copies into the container, with
//! default routes through it), so that resolvers can sit on addresses off the link, on the
//! host's own address or on its loopback without any change to the machine.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;

const BASIC: &str = "fixtures/basic";
/// The made-up name the test resolvers answer.
const NAME: &str = "hutch-dns-test.example";

/// Where the resolvers and hutch run.
#[derive(Clone, Copy, PartialEq)]
enum Net {
    /// The host's own network namespace.
    Host,
    /// A private one: `t0` (a tap, 198.51.100.2/24, fd01::2/64), default routes through it, and
    /// every resolver address that is not the host's own added to `lo`.
    Private,
}

/// A resolver for the test: its address and what it answers (`name=IPv4,…`).
#[derive(Clone, Copy)]
struct Resolver<'a> {
    addr: &'a str,
    records: &'a str,
}

fn dns_server_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dnsserver.py")
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Run `hutch ARGS` as the test user with `resolv` as the host's /etc/resolv.conf and the
/// `resolvers` running for the command's duration. Returns the command's result and what the
/// resolvers were asked ("NAME QTYPE SOURCE" lines).
fn run_with_resolvers(env: &Env, net: Net, resolv: &str, resolvers: &[Resolver], args: &[&str]) -> (Run, String) {
    let tag = rand_hex();
    let resolv_file = env.root.join(format!("resolv-{tag}.conf"));
    std::fs::write(&resolv_file, resolv).unwrap();
    let mut script = String::from("set -e\n");
    if net == Net::Private {
        script.push_str(
            "ip link set lo up\nip tuntap add mode tap name t0\nip link set t0 up\n\
             ip addr add 198.51.100.2/24 dev t0\nip addr add fe80::2/64 dev t0 nodad\nip addr add fd01::2/64 dev t0 nodad\n\
             ip route add default via 198.51.100.1\nip -6 route add default via fd01::1 dev t0\n",
        );
        for r in resolvers {
            let own = ["198.51.100.2", "fd01::2", "::1"].contains(&r.addr) || r.addr.starts_with("127.");
            if !own {
                let plen = if r.addr.contains(':') { 128 } else { 32 };
                script.push_str(&format!("ip addr add {}/{plen} dev lo\n", r.addr));
            }
        }
    }
    script.push_str(&format!(
        "mount --bind {} /etc/resolv.conf\npids=\ntrap 'kill $pids 2>/dev/null' EXIT\n",
        sh_quote(&resolv_file.display().to_string())
    ));
    let mut logs = Vec::new();
    for (i, r) in resolvers.iter().enumerate() {
        let log = env.root.join(format!("dns-{tag}-{i}.log"));
        let l = sh_quote(&log.display().to_string());
        script.push_str(&format!(
            "python3 {} {} {} >{l} 2>&1 & pids=\"$pids $!\"\n\
             n=0; until grep -q '^ready' {l}; do n=$((n+1)); if [ $n -gt 200 ]; then echo \"resolver {} did not start:\" >&2; cat {l} >&2; exit 99; fi; sleep 0.05; done\n",
            sh_quote(&dns_server_script().display().to_string()),
            sh_quote(r.addr),
            sh_quote(r.records),
            r.addr
        ));
        logs.push(log);
    }
    script.push_str("set +e\n\"$@\"\n");
    let inner = env.command(args);
    let mut c = Command::new("unshare");
    c.arg("-m");
    if net == Net::Private {
        c.arg("-n");
    }
    c.args(["sh", "-c", &script, "sh"])
        .arg(inner.get_program())
        .args(inner.get_args());
    c.env_clear();
    for (k, v) in inner.get_envs() {
        if let Some(v) = v {
            c.env(k, v);
        }
    }
    c.current_dir(inner.get_current_dir().unwrap())
        .stdin(std::process::Stdio::null());
    let run = to_run(c.output().expect("unshare"));
    let asked = logs
        .iter()
        .map(|l| std::fs::read_to_string(l).unwrap_or_default().replace("ready\n", ""))
        .collect();
    (run, asked)
}

/// `nslookup NAME` in a container: the address it printed for NAME, if any.
fn looked_up(r: &Run, name: &str) -> Option<String> {
    let after = r.stdout.split(&format!("Name:\t{name}\n")).nth(1)?;
    after
        .lines()
        .next()?
        .strip_prefix("Address: ")
        .map(|s| s.trim().to_string())
}

/// A loopback address no other test uses.
fn private_loopback() -> String {
    let b = rand_hex();
    let n = |i: usize| u8::from_str_radix(&b[i..i + 2], 16).unwrap();
    format!("127.{}.{}.{}", n(0).max(1), n(2), n(4).clamp(2, 254))
}

fn lookup_args<'a>(net: &'a str, extra: &[&'a str], name: &'a str) -> Vec<&'a str> {
    let mut a = vec!["run", "--rm", "--network", net];
    a.extend(extra);
    a.extend([
        BASIC,
        "sh",
        "-c",
        "cat /etc/resolv.conf; echo ---; nslookup \"$0\"",
        name,
    ]);
    a
}

#[test]
fn dns_works_with_a_non_loopback_host_resolver() {
    // The host's resolver is off the link (reached through the default route), as on a host
    // whose resolv.conf names its provider's or a LAN resolver: the container's lookups used to
    // time out with pasta.
    let env = Env::new();
    env.pull(BASIC);
    let r1 = Resolver {
        addr: "203.0.113.53",
        records: &format!("{NAME}=198.51.100.10"),
    };
    for net in ["pasta", "slirp4netns"] {
        let (r, asked) = run_with_resolvers(
            &env,
            Net::Private,
            "nameserver 203.0.113.53\n",
            &[r1],
            &lookup_args(net, &[], NAME),
        );
        assert_eq!(looked_up(&r, NAME).as_deref(), Some("198.51.100.10"), "{net}: {r:?}");
        assert!(
            asked.contains(&format!("{NAME} 1 ")),
            "{net}: the test's resolver was asked: {asked}"
        );
    }
    // The host's resolver on the host's own address, which under pasta is the container's too.
    let own = Resolver {
        addr: "198.51.100.2",
        records: &format!("{NAME}=198.51.100.11"),
    };
    let (r, _) = run_with_resolvers(
        &env,
        Net::Private,
        "nameserver 198.51.100.2\n",
        &[own],
        &lookup_args("pasta", &[], NAME),
    );
    assert_eq!(looked_up(&r, NAME).as_deref(), Some("198.51.100.11"), "{r:?}");
}

#[test]
fn dns_works_with_a_loopback_host_resolver() {
    // A stub resolver on the host's loopback (systemd-resolved's 127.0.0.53, dnsmasq…), in the
    // host's own network namespace: pasta forwards, slirp4netns's 10.0.2.3 too.
    let env = Env::new();
    env.pull(BASIC);
    let addr = private_loopback();
    let stub = Resolver {
        addr: &addr,
        records: &format!("{NAME}=198.51.100.12"),
    };
    for net in ["pasta", "slirp4netns"] {
        let (r, asked) = run_with_resolvers(
            &env,
            Net::Host,
            &format!("nameserver {addr}\noptions edns0\n"),
            &[stub],
            &lookup_args(net, &[], NAME),
        );
        assert_eq!(looked_up(&r, NAME).as_deref(), Some("198.51.100.12"), "{net}: {r:?}");
        assert!(asked.contains(&format!("{NAME} 1 ")), "{net}: {asked}");
        assert!(
            r.stdout.contains("options edns0\n") && !r.stdout.contains(&addr),
            "{net}: {r:?}"
        );
    }
}

#[test]
fn dns_works_with_several_and_with_ipv6_host_resolvers() {
    let env = Env::new();
    env.pull(BASIC);
    // Several: a loopback stub first (through the forwarder), a LAN resolver after it (asked
    // directly when the first fails).
    let stub = Resolver {
        addr: "127.0.0.53",
        records: &format!("{NAME}=198.51.100.13"),
    };
    let lan = Resolver {
        addr: "203.0.113.54",
        records: &format!("{NAME}=198.51.100.14,only-lan.example=198.51.100.15"),
    };
    let resolv = "nameserver 127.0.0.53\nnameserver 203.0.113.54\n";
    let (r, _) = run_with_resolvers(
        &env,
        Net::Private,
        resolv,
        &[stub, lan],
        &lookup_args("pasta", &[], NAME),
    );
    assert_eq!(looked_up(&r, NAME).as_deref(), Some("198.51.100.13"), "{r:?}");
    assert!(
        r.stdout
            .starts_with("nameserver 169.254.1.1\nnameserver 203.0.113.54\n---"),
        "{r:?}"
    );
    // The first one down: the second answers.
    let lan = Resolver {
        addr: "203.0.113.54",
        records: &format!("{NAME}=198.51.100.14"),
    };
    let (r, _) = run_with_resolvers(
        &env,
        Net::Private,
        "nameserver 203.0.113.99\nnameserver 203.0.113.54\n",
        &[lan],
        &lookup_args("pasta", &[], NAME),
    );
    assert_eq!(looked_up(&r, NAME).as_deref(), Some("198.51.100.14"), "{r:?}");
    // IPv6 only: a resolver on the host's ::1, and one off the link.
    for addr in ["::1", "fd02::53"] {
        let v6 = Resolver {
            addr,
            records: &format!("{NAME}=198.51.100.16"),
        };
        let (r, asked) = run_with_resolvers(
            &env,
            Net::Private,
            &format!("nameserver {addr}\n"),
            &[v6],
            &lookup_args("pasta", &[], NAME),
        );
        assert_eq!(looked_up(&r, NAME).as_deref(), Some("198.51.100.16"), "{addr}: {r:?}");
        assert!(asked.contains(&format!("{NAME} 1 ")), "{addr}: {asked}");
    }
}

#[test]
fn dns_servers_given_by_the_user_win() {
    let env = Env::new();
    env.pull(BASIC);
    let resolvers = || {
        [
            Resolver {
                addr: "203.0.113.53",
                records: "hutch-dns-test.example=198.51.100.21",
            },
            Resolver {
                addr: "203.0.113.54",
                records: "hutch-dns-test.example=198.51.100.22",
            },
        ]
    };
    let host = "nameserver 203.0.113.53\n";
    // --dns names another resolver.
    let (r, _) = run_with_resolvers(
        &env,
        Net::Private,
        host,
        &resolvers(),
        &lookup_args("pasta", &["--dns", "203.0.113.54"], NAME),
    );
    assert_eq!(looked_up(&r, NAME).as_deref(), Some("198.51.100.22"), "{r:?}");
    assert!(r.stdout.starts_with("nameserver 203.0.113.54\n---"), "{r:?}");
    // --dns names the host's own first resolver (pasta's forwarder once answered in its place).
    let (r, _) = run_with_resolvers(
        &env,
        Net::Private,
        host,
        &resolvers(),
        &lookup_args("pasta", &["--dns", "203.0.113.53"], NAME),
    );
    assert_eq!(looked_up(&r, NAME).as_deref(), Some("198.51.100.21"), "{r:?}");
    // containers.conf dns_servers without --dns; --dns over it.
    env.write(
        "config/containers/containers.conf",
        "[containers]\ndns_servers = [\"203.0.113.54\"]\n",
    );
    let (r, _) = run_with_resolvers(&env, Net::Private, host, &resolvers(), &lookup_args("pasta", &[], NAME));
    assert_eq!(looked_up(&r, NAME).as_deref(), Some("198.51.100.22"), "{r:?}");
    let (r, _) = run_with_resolvers(
        &env,
        Net::Private,
        host,
        &resolvers(),
        &lookup_args("slirp4netns", &["--dns", "203.0.113.53"], NAME),
    );
    assert_eq!(looked_up(&r, NAME).as_deref(), Some("198.51.100.21"), "{r:?}");
}

// ---------- item 6: a full disk during a pull ----------

/// A small tmpfs mounted over a directory for one test, unmounted when dropped (even when the
/// test fails).
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(env: &Env, dir: &std::path::Path, size: &str) -> Tmpfs {
        let st = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700"), "tmpfs"])
            .arg(dir)
            .status()
            .unwrap();
        assert!(st.success(), "mounting a tmpfs on {}", dir.display());
        let t = Tmpfs(dir.to_path_buf());
        env.chown_tree(dir);
        t
    }

    /// Take every free byte (as root, in a file outside the store).
    fn fill(&self) -> PathBuf {
        let vfs = nix::sys::statvfs::statvfs(&self.0).unwrap();
        let free = vfs.blocks_available() as u64 * vfs.fragment_size() as u64;
        let f = self.0.join("filler");
        let st = Command::new("fallocate")
            .args(["-l", &free.to_string()])
            .arg(&f)
            .status()
            .unwrap();
        assert!(st.success());
        f
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_during_a_pull_says_so_and_leaves_nothing() {
    let env = Env::new();
    let fs = Tmpfs::mount(&env, &env.data(), "1m");
    // The layers do not fit: the error says the disk is full, where, and what the image needs.
    for image in ["fixtures/multi", "fixtures/basic"] {
        let r = env
            .hutch(["pull", "--tls-verify=false", &format!("{PLAIN}/{image}")])
            .fails_with("the disk is full");
        let line = r.stderr.lines().find(|l| l.starts_with("Error: ")).unwrap();
        assert!(line.contains(&format!("pulling {PLAIN}/{image}")), "{r:?}");
        assert!(
            line.contains(&format!(
                "in {} (the tmpfs file system mounted at {}",
                env.store().display(),
                env.data().display()
            )),
            "{r:?}"
        );
        assert!(
            line.contains("; the image needs more than ") && !line.contains("refusing"),
            "{r:?}"
        );
        assert!(
            env.entries("tmp").is_empty(),
            "{image} left debris: {:?}",
            env.entries("tmp")
        );
        assert_eq!(env.layer_count(), 0);
    }
    // run's implicit pull says the same, once.
    env.write(
        "config/containers/registries.conf",
        &format!("[[registry]]\nlocation = \"{PLAIN}\"\ninsecure = true\n"),
    );
    env.hutch(["run", "--rm", &format!("{PLAIN}/fixtures/zstd"), "true"])
        .fails_with("the disk is full");
    assert_eq!(env.hutch(["images", "-q"]).ok().stdout, "");
    assert!(env.entries("tmp").is_empty());
    drop(fs);
}

#[test]
fn a_full_disk_when_the_image_record_is_written_leaves_the_store_as_it_was() {
    let env = Env::new();
    let fs = Tmpfs::mount(&env, &env.data(), "4m");
    let id = env.pull(BASIC);
    let filler = fs.fill();
    // Same content under another name: only the image index has to be written.
    let other = "localhost:5000/fixtures/basic";
    let r = env
        .hutch(["pull", "--tls-verify=false", other])
        .fails_with("the disk is full");
    assert!(
        r.stderr
            .contains(&format!("no space left for the store in {}", env.store().display())),
        "{r:?}"
    );
    assert_eq!(
        env.entries("images"),
        ["images.json", "images.lock"],
        "no half-written index is left"
    );
    assert_eq!(
        env.hutch(["images", "-q", "--no-trunc"]).ok().stdout.trim(),
        format!("sha256:{id}")
    );
    assert!(env.entries("tmp").is_empty());
    std::fs::remove_file(filler).unwrap();
    env.hutch(["pull", "--tls-verify=false", other]).ok();
    assert!(env
        .hutch(["images"])
        .ok()
        .stdout
        .contains("localhost:5000/fixtures/basic"));
    drop(fs);
}

// ---------- item 11: containers.conf and registries.conf keys that were read but ignored ----------

#[test]
fn containers_conf_dns_searches_options_and_base_hosts_file() {
    let env = Env::new();
    env.pull(BASIC);
    let corp = Resolver {
        addr: "203.0.113.53",
        records: "short.corp.example=198.51.100.30,short.other.example=198.51.100.31",
    };
    env.write(
        "config/containers/containers.conf",
        "[containers]\ndns_searches = [\"corp.example\"]\ndns_options = [\"ndots:1\", \"timeout:3\"]\n",
    );
    let (r, _) = run_with_resolvers(
        &env,
        Net::Private,
        "nameserver 203.0.113.53\nsearch host.example\n",
        &[corp],
        &lookup_args("pasta", &[], "short"),
    );
    assert!(
        r.stdout
            .starts_with("search corp.example\nnameserver 169.254.1.1\noptions ndots:1 timeout:3\n---"),
        "{r:?}"
    );
    assert_eq!(
        looked_up(&r, "short.corp.example").as_deref(),
        Some("198.51.100.30"),
        "{r:?}"
    );
    // --dns-search and --dns-option win.
    let (r, _) = run_with_resolvers(
        &env,
        Net::Private,
        "nameserver 203.0.113.53\n",
        &[corp],
        &lookup_args(
            "pasta",
            &["--dns-search", "other.example", "--dns-option", "ndots:2"],
            "short",
        ),
    );
    assert!(
        r.stdout
            .starts_with("search other.example\nnameserver 169.254.1.1\noptions ndots:2\n---"),
        "{r:?}"
    );
    assert_eq!(
        looked_up(&r, "short.other.example").as_deref(),
        Some("198.51.100.31"),
        "{r:?}"
    );

    // base_hosts_file: a host file goes first, the container's own lines after it.
    let base = env.write("base-hosts", "10.1.2.3\tfrom-base\n");
    let hosts = |conf: &str, net: &str| {
        env.write("config/containers/containers.conf", conf);
        env.hutch([
            "run",
            "--rm",
            "--network",
            net,
            "--add-host",
            "extra:10.9.9.9",
            BASIC,
            "cat",
            "/etc/hosts",
        ])
        .ok()
        .stdout
    };
    let h = hosts(
        &format!("[containers]\nbase_hosts_file = \"{}\"\n", base.display()),
        "pasta",
    );
    assert!(
        h.starts_with("10.1.2.3\tfrom-base\n127.0.0.1\tlocalhost") && h.ends_with("10.9.9.9\textra\n"),
        "{h}"
    );
    // It replaces the host's /etc/hosts with --network host too.
    let h = hosts(
        &format!("[containers]\nbase_hosts_file = \"{}\"\n", base.display()),
        "host",
    );
    assert!(
        h.starts_with("10.1.2.3\tfrom-base\n") && !h.contains(&std::fs::read_to_string("/etc/hosts").unwrap()),
        "{h}"
    );
    let h = hosts("[containers]\nbase_hosts_file = \"none\"\n", "host");
    assert_eq!(h, "10.9.9.9\textra\n");
    // "image": the image's /etc/hosts (fixtures/basic has none: nothing before the container's lines).
    let h = hosts("[containers]\nbase_hosts_file = \"image\"\n", "pasta");
    assert!(h.starts_with("127.0.0.1\tlocalhost"), "{h}");
    env.write(
        "config/containers/containers.conf",
        "[containers]\nbase_hosts_file = \"relative/hosts\"\n",
    );
    env.hutch(["run", "--rm", BASIC, "true"])
        .fails_with("base_hosts_file: \"relative/hosts\" is neither an absolute path");
    env.write(
        "config/containers/containers.conf",
        "[containers]\nbase_hosts_file = \"/nonexistent/hosts\"\n",
    );
    env.hutch(["run", "--rm", BASIC, "true"])
        .fails_with("base_hosts_file = \"/nonexistent/hosts\"");
    assert_eq!(
        env.hutch(["ps", "-a", "-q"]).ok().stdout,
        "",
        "a failed create leaves no container"
    );
}

#[test]
fn containers_conf_userns_keep_id_is_the_default_and_the_flag_wins() {
    let env = Env::new();
    env.pull(BASIC);
    let me = env
        .user
        .as_ref()
        .map(|u| u.uid.as_raw())
        .unwrap_or_else(|| nix::unistd::getuid().as_raw());
    env.write(
        "config/containers/containers.conf",
        "[containers]\nuserns = \"keep-id\"\n",
    );
    let r = env.hutch(["run", "--rm", "--network", "none", BASIC, "id", "-u"]).ok();
    assert_eq!(r.stdout.trim(), me.to_string());
    let r = env
        .hutch([
            "run",
            "--rm",
            "--network",
            "none",
            "--userns",
            "host",
            BASIC,
            "id",
            "-u",
        ])
        .ok();
    assert_eq!(r.stdout.trim(), "0");
    let info = env.hutch(["info", "--format", "{{.ContainersConf.Userns}}"]).ok();
    assert_eq!(info.stdout.trim(), "keep-id");
    env.write(
        "config/containers/containers.conf",
        "[containers]\nuserns = \"ns:/proc/1/ns/user\"\n",
    );
    env.hutch(["run", "--rm", BASIC, "true"])
        .fails_with("userns: \"ns:/proc/1/ns/user\" is not a mode hutch supports");
}

#[test]
fn info_names_the_config_keys_hutch_ignores() {
    let env = Env::new();
    env.write(
        "config/containers/containers.conf",
        "[containers]\ndns_searches = [\"a.example\"]\ndefault_sysctls = [\"x=1\"]\n[engine]\nnum_locks = 2048\n",
    );
    env.write(
        "config/containers/registries.conf",
        "unqualified-search-registries = [\"docker.io\"]\n[[registry]]\nlocation = \"x.example\"\nfoo = 1\n",
    );
    let v: serde_json::Value = serde_json::from_str(&env.hutch(["info", "--format", "json"]).ok().stdout).unwrap();
    let list = |p: &str| v.pointer(p).and_then(|a| a.as_array()).cloned().unwrap_or_default();
    let c = list("/containersConf/ignoredKeys");
    for k in ["containers.default_sysctls", "engine.num_locks"] {
        assert!(c.iter().any(|x| x == k), "{k} in {c:?}");
    }
    assert!(!c.iter().any(|x| x == "containers.dns_searches"), "{c:?}");
    assert_eq!(
        v.pointer("/containersConf/dnsSearches"),
        Some(&serde_json::json!(["a.example"]))
    );
    let r = list("/registriesConf/ignoredKeys");
    assert!(
        r.iter().any(|x| x == "unqualified-search-registries") && r.iter().any(|x| x == "registry.foo"),
        "{r:?}"
    );
}

/// The id `hutch pull REF` prints.
fn pulled(env: &Env, reference: &str) -> String {
    let r = env.hutch(["pull", "-q", reference]).ok();
    r.stdout.trim().to_string()
}

#[test]
fn registries_conf_prefix_location_and_mirrors() {
    let env = Env::new();
    let basic = env.pull(BASIC);
    let zstd = env.pull("fixtures/zstd");
    let digest = env.inspect(BASIC)["Digest"].as_str().unwrap().to_string();
    let conf = |mirrors: &str, extra: &str| {
        env.write(
            "config/containers/registries.conf",
            &format!(
                "unqualified-search-registries = [\"docker.io\"]\n\
                 [[registry]]\nprefix = \"example.test/team\"\nlocation = \"{PLAIN}/fixtures\"\ninsecure = true\n\n\
                 [[registry]]\nprefix = \"example.test/img\"\nlocation = \"{PLAIN}/fixtures/zstd\"\ninsecure = true\n{extra}\n{mirrors}"
            ),
        );
    };
    // prefix + location: the image keeps the name it was asked by.
    conf("", "");
    assert_eq!(pulled(&env, "example.test/team/basic"), basic);
    assert!(env
        .hutch(["images", "--format", "{{.Repository}}:{{.Tag}}"])
        .ok()
        .stdout
        .contains("example.test/team/basic:latest\n"));
    assert_eq!(pulled(&env, "example.test/img"), zstd, "no mirror: the location");
    // A working mirror is used first (it serves basic; the location serves zstd).
    conf(
        &format!("[[registry.mirror]]\nlocation = \"{PLAIN}/fixtures/basic\"\ninsecure = true\n"),
        "",
    );
    assert_eq!(pulled(&env, "example.test/img"), basic, "the mirror first");
    // A dead mirror, then one that only speaks HTTP while not marked insecure: both passed over.
    conf(&format!("[[registry.mirror]]\nlocation = \"127.0.0.1:1/dead\"\ninsecure = true\n[[registry.mirror]]\nlocation = \"{PLAIN}/fixtures/basic\"\n"), "");
    assert_eq!(pulled(&env, "example.test/img"), zstd, "falls back to the location");
    // The location dead too: the error says what was tried.
    env.write(
        "config/containers/registries.conf",
        "[[registry]]\nprefix = \"example.test/gone\"\nlocation = \"127.0.0.1:1/gone\"\n[[registry.mirror]]\nlocation = \"127.0.0.1:1/mirror\"\ninsecure = true\n",
    );
    let r = env
        .hutch(["pull", "example.test/gone/x"])
        .fails_with("mirrors tried first: 127.0.0.1:1/mirror/x:latest");
    assert!(
        r.stderr
            .contains("example.test/gone/x:latest (from 127.0.0.1:1/gone/x:latest)"),
        "{r:?}"
    );
    // mirror-by-digest-only: a tag comes from the location, a digest from the mirror.
    conf(
        &format!("[[registry.mirror]]\nlocation = \"{PLAIN}/fixtures/basic\"\ninsecure = true\n"),
        "mirror-by-digest-only = true\n",
    );
    assert_eq!(pulled(&env, "example.test/img:latest"), zstd);
    assert_eq!(pulled(&env, &format!("example.test/img@{digest}")), basic);
    // A blocked prefix.
    env.write(
        "config/containers/registries.conf",
        "[[registry]]\nprefix = \"example.test/no\"\nblocked = true\n",
    );
    env.hutch(["pull", "example.test/no/x"])
        .fails_with("registry blocked by");
}
