//! Podman compatibility of `run` and `inspect` (issue 15, Podman's 030-run system tests):
//! `inspect --latest`, a big output logged whole, `--log-opt max-size` in Podman's units and
//! notation, ports dropped with Podman's warning on a network of no own, `--hostuser`,
//! `--timeout`, `--runtime` and `--runtime-flag`. Each test runs the real binary as the
//! unprivileged test user.

mod common;

use std::time::{Duration, Instant};

use common::*;

const BASIC: &str = "fixtures/basic";

/// The test user's name and uid, as the host has them.
fn user_name_and_uid(env: &Env) -> (String, u32) {
    match &env.user {
        Some(u) => (u.name.clone(), u.uid.as_raw()),
        None => {
            let uid = nix::unistd::getuid();
            let u = nix::unistd::User::from_uid(uid).unwrap().unwrap();
            (u.name, uid.as_raw())
        }
    }
}

#[test]
fn inspect_latest_and_a_big_output_logged_whole() {
    let env = env_with(&[BASIC]);
    env.hutch(["inspect", "-l"])
        .fails_with("--latest: there are no containers");
    env.hutch(["run", "--name", "first", BASIC, "true"]).ok();
    // 700000 NUL bytes on stdout, not shown (--attach stderr) but logged; dd's report shows.
    let r = env
        .hutch([
            "run",
            "--name",
            "big",
            "--attach",
            "stderr",
            "--log-driver",
            "k8s-file",
            BASIC,
            "dd",
            "if=/dev/zero",
            "count=700000",
            "bs=1",
        ])
        .ok();
    assert!(r.stdout.is_empty(), "{r:?}");
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(&lines[..2], ["700000+0 records in", "700000+0 records out"], "{r:?}");
    // -l is the container created last.
    assert_eq!(
        env.hutch(["inspect", "-l", "--format", "{{.Name}}"]).ok().stdout,
        "big\n"
    );
    assert_eq!(
        env.hutch(["container", "inspect", "--latest", "--format", "{{.Name}}"])
            .ok()
            .stdout,
        "big\n"
    );
    let log = env
        .hutch(["inspect", "-l", "--format", "{{.HostConfig.LogConfig.Path}}"])
        .ok()
        .stdout;
    let bytes = std::fs::read(log.trim()).unwrap();
    assert_eq!(bytes.iter().filter(|b| **b == 0).count(), 700000);
    env.hutch(["inspect", "-l", "first"])
        .fails_with("--latest and containers cannot be used together");
    env.hutch(["rm", "-l", "first"])
        .fails_with("--latest and containers cannot be used together");
    env.hutch(["rm", "--all", "--latest"])
        .fails_with("--all and --latest cannot be used together");
    // rm -l: the latest goes, then the one before it is the latest.
    env.hutch(["rm", "-l"]).ok();
    assert_eq!(
        env.hutch(["ps", "-a", "--format", "{{.Names}}"]).ok().stdout,
        "first
"
    );
    env.hutch(["rm", "--latest"]).ok();
    assert_eq!(env.hutch(["ps", "-aq"]).ok().stdout, "");
    env.hutch(["rm", "-l"]).fails_with("--latest: there are no containers");
    env.hutch(["image", "inspect", "-l"])
        .fails_with("image inspect has no --latest");
}

#[test]
fn log_opt_max_size_in_podmans_units_and_notation() {
    let env = env_with(&[BASIC]);
    let f = "{{.HostConfig.LogConfig.Size}}";
    env.hutch(["create", "--name", "a", "--log-opt", "max-size=3.011m", BASIC, "true"])
        .ok();
    env.hutch(["create", "--name", "b", "--log-opt", "max-size=10k", BASIC, "true"])
        .ok();
    env.hutch(["create", "--name", "c", BASIC, "true"]).ok();
    assert_eq!(
        env.hutch(["inspect", "--format", f, "a", "b", "c"]).ok().stdout,
        "3.011MB\n10kB\n0B\n"
    );
    // Decimal units: 10k is 10000 bytes, the log starts over past them.
    env.hutch(["start", "-a", "b"]).ok();
    env.hutch([
        "run",
        "--name",
        "d",
        "--log-opt",
        "max-size=2k",
        BASIC,
        "sh",
        "-c",
        "seq 1 3000",
    ])
    .ok();
    let log = env
        .hutch(["inspect", "--format", "{{.HostConfig.LogConfig.Path}}", "d"])
        .ok()
        .stdout;
    let len = std::fs::metadata(log.trim()).unwrap().len();
    assert!(len <= 2000 + 200, "log kept under 2000 bytes: {len}");
    env.hutch(["run", "--log-opt", "max-size=0.5x", BASIC, "true"])
        .fails_with("not a size");
}

#[test]
fn ports_are_dropped_with_podmans_warning_on_a_network_of_no_own() {
    let env = env_with(&[BASIC]);
    let warning =
        "Port mappings have been discarded as one of the Host, Container, Pod, and None network modes are in use";
    for net in ["host", "none"] {
        let r = env
            .hutch(["run", "--rm", "-p", "8080", "--net", net, BASIC, "echo", "ran"])
            .ok();
        assert_eq!(r.stdout, "ran\n", "{r:?}");
        assert_eq!(r.stderr, format!("{warning}\n"), "{r:?}");
    }
    let r = env
        .hutch([
            "create",
            "--name",
            "h",
            "-P",
            "-p",
            "9000:80",
            "--network",
            "host",
            BASIC,
            "true",
        ])
        .ok();
    assert!(r.stderr.contains(warning), "{r:?}");
    assert_eq!(
        env.hutch(["inspect", "--format", "{{json .HostConfig.PortBindings}}", "h"])
            .ok()
            .stdout,
        "{}\n"
    );
}

#[test]
fn hostuser_adds_the_host_users_passwd_entry() {
    let env = env_with(&[BASIC]);
    let (name, uid) = user_name_and_uid(&env);
    let host = nix::unistd::User::from_name(&name).unwrap().unwrap();
    let want = format!(
        "{name}:x:{uid}:{}::{}:{}\n",
        host.gid,
        host.dir.display(),
        host.shell.display()
    );
    let grep = ["grep", &format!("^{name}:")[..], "/etc/passwd"];
    let r = env.hutch([&["run", "--rm", BASIC][..], &grep[..]].concat());
    assert_eq!(r.code, 1, "the image has no such user: {r:?}");
    let by_name = format!("--hostuser={name}");
    let by_uid = format!("--hostuser={uid}");
    assert_eq!(
        env.hutch([&["run", "--rm", &by_name[..], BASIC][..], &grep[..]].concat())
            .ok()
            .stdout,
        want
    );
    assert_eq!(
        env.hutch([&["run", "--rm", &by_uid[..], BASIC][..], &grep[..]].concat())
            .ok()
            .stdout,
        want
    );
    // With --user that uid: the entry is its name.
    let uid_s = uid.to_string();
    assert_eq!(
        env.hutch(["run", "--rm", &by_uid, "--user", &uid_s, BASIC, "id", "-un"])
            .ok()
            .stdout,
        format!("{name}\n")
    );
    let r = env.hutch(["run", "--rm", "--hostuser=nosuchuserhere", BASIC, "true"]);
    assert_eq!(r.code, 126, "{r:?}");
    assert_eq!(
        r.stderr, "Error: --hostuser nosuchuserhere: no such user on the host\n",
        "{r:?}"
    );
    assert_eq!(env.hutch(["ps", "-aq"]).ok().stdout, "", "the --rm one is gone");
}

#[test]
fn hostuser_entry_appears_once_across_starts() {
    let env = env_with(&[BASIC]);
    let (name, _) = user_name_and_uid(&env);
    let by_name = format!("--hostuser={name}");
    let count = format!("grep -c '^{name}:' /etc/passwd");
    env.hutch(["create", "--name", "c", &by_name, BASIC, "sh", "-c", &count])
        .ok();
    for _ in 0..2 {
        assert_eq!(env.hutch(["start", "-a", "c"]).ok().stdout, "1\n");
    }
}

#[test]
fn timeout_kills_the_container_and_records_minus_one() {
    let env = env_with(&[BASIC]);
    let t = Instant::now();
    let r = env.hutch(["run", "--name", "fg", "--timeout", "2", BASIC, "sleep", "60"]);
    let took = t.elapsed();
    assert_eq!(r.code, 255, "{r:?}");
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(30),
        "{took:?}"
    );
    assert_eq!(
        env.hutch(["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "fg"])
            .ok()
            .stdout,
        "exited -1\n"
    );
    // Detached: the monitor kills it.
    env.hutch(["run", "-d", "--name", "bg", "--timeout", "1", BASIC, "sleep", "60"])
        .ok();
    assert_eq!(env.hutch(["wait", "bg"]).ok().stdout, "-1\n");
    // A container that ends in time keeps its own code.
    assert_eq!(
        env.hutch(["run", "--rm", "--timeout", "30", BASIC, "sh", "-c", "exit 3"])
            .code,
        3
    );
    env.hutch(["run", "--timeout", "soon", BASIC, "true"])
        .fails_with("soon");
}

#[test]
fn runtime_names_a_hutch_binary_and_runtime_flags_are_refused() {
    let env = env_with(&[BASIC]);
    // A runtime flag: hutch's runtime takes none (exit 126, as when Podman's runtime refuses one).
    let r = env.hutch(["--runtime-flag", "invalidflag", "run", "--rm", BASIC, "true"]);
    assert_eq!(r.code, 126, "{r:?}");
    assert!(
        r.stderr.starts_with("Error: ") && r.stderr.contains("invalidflag"),
        "{r:?}"
    );
    assert_eq!(env.hutch(["ps", "-aq"]).ok().stdout, "", "nothing created");
    // Not hutch: refused before anything is created.
    env.hutch(["run", "--rm", "--runtime", "/bin/true", BASIC, "true"])
        .fails_with("not a hutch binary");
    env.hutch(["run", "--rm", "--runtime", "nosuchruntime", BASIC, "true"])
        .fails_with("no such runtime");
    // hutch by name: itself.
    env.hutch(["run", "--rm", "--runtime", "hutch", BASIC, "true"]).ok();
    // A copy of the binary: it runs the detached container's monitor, inspect names it.
    let copy = env.root.join("myruntime");
    std::fs::copy(hutch_bin(), &copy).unwrap();
    env.chown_tree(&copy);
    let copy_s = copy.display().to_string();
    let id = env
        .hutch(["run", "-d", "--runtime", &copy_s, BASIC, "sleep", "60"])
        .ok()
        .stdout;
    let id = id.trim();
    assert_eq!(
        env.hutch(["inspect", "--format", "{{.OCIRuntime}}", id]).ok().stdout,
        format!("{copy_s}\n")
    );
    let monitor = env
        .hutch(["inspect", "--format", "{{.State.ConmonPid}}", id])
        .ok()
        .stdout;
    let exe = std::fs::read_link(format!("/proc/{}/exe", monitor.trim())).unwrap();
    assert_eq!(exe, copy);
    env.hutch(["rm", "-f", "-t", "0", id]).ok();
    // Without --runtime: hutch.
    env.hutch(["create", "--name", "plain", BASIC, "true"]).ok();
    assert_eq!(
        env.hutch(["inspect", "--format", "{{.OCIRuntime}}", "plain"])
            .ok()
            .stdout,
        "hutch\n"
    );
}

#[test]
fn pod_create_takes_the_name_as_an_argument() {
    let env = Env::new();
    env.hutch(["pod", "create", "--infra=false", "mypod"]).ok();
    assert_eq!(
        env.hutch(["pod", "inspect", "--format", "{{.Name}}", "mypod"])
            .ok()
            .stdout,
        "mypod\n"
    );
    env.hutch(["pod", "create", "--infra=false", "--name", "a", "b"])
        .fails_with("cannot be used with");
}
