//! `hutch run` and the container lifecycle, end to end, as an unprivileged user: namespaces,
//! mounts, exit codes, security defaults, escapes, the detached monitor and its verbs.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

const BASIC: &str = "fixtures/basic";

fn status_line(env: &Env, key: &str, args: &[&str]) -> String {
    let mut a = vec!["run", "--rm"];
    a.extend_from_slice(args);
    a.extend_from_slice(&[BASIC, "cat", "/proc/self/status"]);
    let r = env.hutch(&a).ok();
    r.stdout
        .lines()
        .find(|l| l.starts_with(&format!("{key}:")))
        .unwrap_or_else(|| panic!("{key} in {r:?}"))
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string()
}

#[test]
fn run_prints_output_and_returns_exit_codes() {
    let env = env_with(&[BASIC]);
    let r = env.hutch(["run", "--rm", BASIC, "echo", "hello", "world"]).ok();
    assert_eq!(r.stdout, "hello world\n");
    assert_eq!(r.stderr, "");
    assert_eq!(env.hutch(["run", "--rm", BASIC, "sh", "-c", "exit 7"]).code, 7);
    let r = env.hutch(["run", "--rm", BASIC, "no-such-command"]);
    assert_eq!(r.code, 127, "{r:?}");
    assert!(
        r.stderr.contains("no-such-command: executable file not found in $PATH"),
        "{r:?}"
    );
    let r = env.hutch(["run", "--rm", BASIC, "/etc/passwd"]);
    assert_eq!(r.code, 126, "{r:?}");
    assert!(r.stderr.contains("/etc/passwd: permission denied"), "{r:?}");
    // A command killed by a signal: 128 + N.
    assert_eq!(
        env.hutch(["run", "--rm", BASIC, "sh", "-c", "sh -c 'kill -9 $$'; exit $?"])
            .code,
        137
    );
    // --rm left nothing behind, not even for the failures.
    assert_eq!(env.hutch(["ps", "-a", "-q"]).ok().stdout, "");
    assert_eq!(env.entries("containers").iter().filter(|e| e.len() == 64).count(), 0);
}

#[test]
fn bad_input_fails_with_one_line_and_leaves_nothing() {
    let env = env_with(&[BASIC]);
    env.hutch(["run", "--rm", "BAD::ref", "true"]).fails_with("BAD::ref");
    env.hutch(["run", "--rm", "-v", "/does/not/exist:/x", BASIC, "true"])
        .fails_with("/does/not/exist");
    env.hutch(["run", "--rm", "-v", "/tmp:relative", BASIC, "true"])
        .fails_with("must be an absolute path");
    env.hutch(["run", "--rm", "--cap-add", "BOGUS", BASIC, "true"])
        .fails_with("unknown capability \"BOGUS\"");
    env.hutch(["run", "--rm", "--security-opt", "bogus", BASIC, "true"])
        .fails_with("--security-opt bogus");
    env.hutch(["run", "--rm", "-u", "nosuchuser", BASIC, "true"])
        .fails_with("unable to find user nosuchuser");
    env.hutch(["run", "--rm", "--network", "bogus", BASIC, "true"])
        .fails_with("--network bogus");
    env.hutch(["run", "--rm", "--name", "bad name", BASIC, "true"])
        .fails_with("--name bad name");
    env.hutch(["run", "--rm", "--pull", "never", "fixtures/zstd", "true"])
        .fails_with("image not known");
    env.hutch(["run", "-d", "--name", "dup", BASIC, "sleep", "100"]).ok();
    env.hutch(["run", "--name", "dup", BASIC, "true"])
        .fails_with("\"dup\" is already in use");
    let names = env.hutch(["ps", "-a", "--format", "{{.Names}}"]).ok().stdout;
    assert_eq!(names, "dup\n", "failed runs leave no container");
    assert_eq!(env.entries("containers").iter().filter(|e| e.len() == 64).count(), 1);
}

#[test]
fn missing_image_is_pulled_first() {
    let env = Env::new();
    env.write(
        "config/containers/registries.conf",
        &format!("[[registry]]\nlocation = \"{PLAIN}\"\ninsecure = true\n"),
    );
    let r = env
        .hutch(["run", "--rm", &format!("{PLAIN}/fixtures/zstd"), "cat", "/zstd-marker"])
        .ok();
    assert_eq!(r.stdout, "zstd\n");
    assert!(env
        .hutch(["images", "--format", "{{.Repository}}"])
        .ok()
        .stdout
        .contains("fixtures/zstd"));
}

#[test]
fn image_config_entrypoint_cmd_env_workdir_user() {
    let env = env_with(&["fixtures/app"]);
    assert_eq!(
        env.hutch(["run", "--rm", "fixtures/app"]).ok().stdout,
        "entry default-cmd\n"
    );
    assert_eq!(
        env.hutch(["run", "--rm", "fixtures/app", "a", "b"]).ok().stdout,
        "entry a b\n"
    );
    let r = env
        .hutch([
            "run",
            "--rm",
            "--entrypoint",
            "/bin/sh",
            "fixtures/app",
            "-c",
            "id -u; pwd; echo $APP_MODE $HOME",
        ])
        .ok();
    assert_eq!(r.stdout, "1000\n/srv/app\nfixture /home/tester\n");
    let r = env
        .hutch([
            "run",
            "--rm",
            "--entrypoint",
            "[\"/bin/sh\",\"-c\"]",
            "-u",
            "0:0",
            "-w",
            "/newdir",
            "-e",
            "APP_MODE=cli",
            "-e",
            "X=1",
            "fixtures/app",
            "id; pwd; echo $APP_MODE$X",
        ])
        .ok();
    assert_eq!(r.stdout, "uid=0(root) gid=0(root) groups=0(root)\n/newdir\ncli1\n");
    env.write("home/envfile", "# comment\nFROM_FILE=yes\nAPP_MODE=file\n");
    let envfile = env.home().join("envfile");
    let r = env
        .hutch([
            "run",
            "--rm",
            "--env-file",
            envfile.to_str().unwrap(),
            "--entrypoint",
            "/bin/sh",
            "fixtures/app",
            "-c",
            "echo $FROM_FILE $APP_MODE",
        ])
        .ok();
    assert_eq!(r.stdout, "yes file\n");
    let r = env
        .hutch(["run", "--rm", "-u", "tester:root", "--entrypoint", "id", "fixtures/app"])
        .ok();
    assert_eq!(r.stdout, "uid=1000(tester) gid=0(root) groups=0(root)\n");
}

#[test]
fn namespaces_hostname_and_etc_files() {
    let env = env_with(&[BASIC]);
    let r = env
        .hutch([
            "run",
            "--rm",
            "--network",
            "none",
            BASIC,
            "sh",
            "-c",
            "echo $$; hostname; ps -o pid,comm | wc -l; ip -o link | cut -d: -f2",
        ])
        .ok();
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines[0], "1", "the command is pid 1 in its own pid namespace: {r:?}");
    assert_eq!(lines[1].len(), 12, "default host name is the short id: {r:?}");
    assert_eq!(lines[3].trim(), "lo", "--network none has only lo: {r:?}");
    let r = env
        .hutch([
            "run",
            "--rm",
            "--name",
            "box1",
            "--hostname",
            "myhost",
            BASIC,
            "sh",
            "-c",
            "hostname; cat /etc/hostname; grep myhost /etc/hosts",
        ])
        .ok();
    assert!(r.stdout.starts_with("myhost\nmyhost\n"), "{r:?}");
    assert!(r.stdout.contains("box1"), "{r:?}");
    // The container's root is the user's own uid outside; image ownership is kept inside.
    let r = env
        .hutch([
            "run",
            "--rm",
            BASIC,
            "sh",
            "-c",
            "cat /proc/self/uid_map; stat -c %u /home/tester",
        ])
        .ok();
    let map: Vec<String> = r
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let uid = env.host_uid(0);
    assert_eq!(map[0], format!("0 {uid} 1"));
    assert_eq!(map[1], format!("1 {} 65536", env.host_uid(1)));
    assert_eq!(map[2], "1000");
}

#[test]
fn security_defaults() {
    let env = env_with(&[BASIC]);
    // Podman's 11 capabilities, nothing inheritable or ambient.
    assert_eq!(status_line(&env, "CapEff", &[]), "00000000800405fb");
    assert_eq!(status_line(&env, "CapBnd", &[]), "00000000800405fb");
    assert_eq!(status_line(&env, "CapInh", &[]), "0000000000000000");
    assert_eq!(status_line(&env, "CapAmb", &[]), "0000000000000000");
    assert_eq!(status_line(&env, "CapEff", &["-u", "tester"]), "0000000000000000");
    assert_eq!(status_line(&env, "CapEff", &["--cap-drop", "all"]), "0000000000000000");
    assert_eq!(
        status_line(&env, "CapEff", &["--cap-drop", "all", "--cap-add", "net_raw"]),
        "0000000000002000"
    );
    assert_eq!(
        status_line(&env, "CapEff", &["--cap-drop", "chown"]),
        "00000000800405fa"
    );
    assert_eq!(status_line(&env, "NoNewPrivs", &[]), "0");
    assert_eq!(
        status_line(&env, "NoNewPrivs", &["--security-opt", "no-new-privileges"]),
        "1"
    );
    // Seccomp on by default; off with unconfined or --privileged.
    assert_eq!(status_line(&env, "Seccomp", &[]), "2");
    assert_eq!(
        status_line(&env, "Seccomp", &["--security-opt", "seccomp=unconfined"]),
        "0"
    );
    assert_eq!(status_line(&env, "Seccomp", &["--privileged"]), "0");
    assert_eq!(
        status_line(&env, "CapEff", &["--privileged"])
            .trim_start_matches('0')
            .len()
            > 8,
        true
    );
    // The default profile refuses new user namespaces (no CAP_SYS_ADMIN) and io_uring.
    let r = env.hutch(["run", "--rm", BASIC, "busybox", "unshare", "-U", "true"]);
    assert_ne!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("Operation not permitted"), "{r:?}");
    // Masked and read-only paths.
    let r = env
        .hutch(["run", "--rm", BASIC, "sh", "-c", "wc -c < /proc/keys; wc -c < /proc/timer_list; ls /proc/acpi | wc -l; ls /sys/firmware | wc -l; echo x > /proc/sys/kernel/hostname || echo ro-sys; touch /sys/x || echo ro-sysfs; grep ' /proc ' /proc/mounts"])
        .ok();
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(&lines[..4], ["0", "0", "0", "0"], "{r:?}");
    assert!(
        r.stdout.contains("ro-sys\n") && r.stdout.contains("ro-sysfs\n"),
        "{r:?}"
    );
    assert!(lines.last().unwrap().contains("nosuid,nodev,noexec"), "{r:?}");
    // /dev: only the safe nodes.
    let r = env.hutch(["run", "--rm", BASIC, "ls", "/dev"]).ok();
    let devs: Vec<&str> = r.stdout.split_whitespace().collect();
    for d in [
        "null", "zero", "full", "random", "urandom", "tty", "pts", "shm", "mqueue", "ptmx",
    ] {
        assert!(devs.contains(&d), "/dev/{d} missing: {r:?}");
    }
    assert!(
        !devs
            .iter()
            .any(|d| d.starts_with("sd") || d.starts_with("vd") || *d == "kmsg" || *d == "mem"),
        "{r:?}"
    );
    // A custom profile in the containers JSON format.
    env.write(
        "home/deny-mkdir.json",
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}"#,
    );
    let prof = env.home().join("deny-mkdir.json");
    let r = env.hutch([
        "run",
        "--rm",
        "--security-opt",
        &format!("seccomp={}", prof.display()),
        BASIC,
        "mkdir",
        "/tmp/x",
    ]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("Operation not permitted"), "{r:?}");
    env.hutch([
        "run",
        "--rm",
        "--security-opt",
        "seccomp=/no/such/profile.json",
        BASIC,
        "true",
    ])
    .fails_with("/no/such/profile.json");
}

#[test]
fn no_file_descriptor_of_hutch_leaks_in() {
    let env = env_with(&[BASIC]);
    let r = env.hutch(["run", "--rm", BASIC, "ls", "/proc/self/fd"]).ok();
    // 0-2 and the one ls opened to list the directory.
    assert_eq!(
        r.stdout.split_whitespace().collect::<Vec<_>>(),
        ["0", "1", "2", "3"],
        "{r:?}"
    );
    env.hutch(["run", "-d", "--name", "fds", BASIC, "sleep", "100"]).ok();
    let r = env.hutch(["exec", "fds", "ls", "/proc/self/fd"]).ok();
    assert_eq!(
        r.stdout.split_whitespace().collect::<Vec<_>>(),
        ["0", "1", "2", "3"],
        "{r:?}"
    );
    let r = env.hutch(["exec", "fds", "ls", "/proc/1/fd"]).ok();
    assert_eq!(
        r.stdout.split_whitespace().collect::<Vec<_>>(),
        ["0", "1", "2"],
        "{r:?}"
    );
}

#[test]
fn image_symlinks_cannot_reach_host_paths() {
    let env = env_with(&["evil/links"]);
    for p in ["/var/tmp/hutch-escape-wd", "/var/tmp/hutch-escape-vol"] {
        let _ = std::fs::remove_dir_all(p);
    }
    // /dev -> ../../../../tmp, WORKDIR through /wd -> /../../var/tmp/hutch-escape-wd.
    let r = env
        .hutch([
            "run",
            "--rm",
            "evil/links",
            "sh",
            "-c",
            "pwd; touch marker; ls /dev/null",
        ])
        .ok();
    assert_eq!(r.stdout, "/var/tmp/hutch-escape-wd/inside\n/dev/null\n");
    // A volume whose destination goes through /vt -> /../../var/tmp/hutch-escape-vol.
    let src = env.home().join("volsrc");
    std::fs::create_dir_all(&src).unwrap();
    env.chown_tree(&src);
    let r = env
        .hutch([
            "run",
            "--rm",
            "-v",
            &format!("{}:/vt/sub", src.display()),
            "evil/links",
            "sh",
            "-c",
            "touch /vt/sub/through-volume",
        ])
        .ok();
    assert!(src.join("through-volume").exists(), "{r:?}");
    for p in ["/var/tmp/hutch-escape-wd", "/var/tmp/hutch-escape-vol"] {
        assert!(!std::path::Path::new(p).exists(), "{p} was created on the host");
    }
}

#[test]
fn hutch_binary_is_not_reachable_from_inside() {
    // CVE-2019-5736: a container process watching /proc for hutch's own exe while hutch
    // execs into the container must never see (let alone open) it.
    let env = env_with(&[BASIC]);
    env.hutch(["run", "-d", "--name", "watch", BASIC, "sleep", "1000"]).ok();
    env.hutch([
        "exec",
        "-d",
        "watch",
        "sh",
        "-c",
        "while :; do for p in /proc/[0-9]*; do readlink $p/exe; done; done >> /tmp/seen 2>/dev/null",
    ])
    .ok();
    for _ in 0..20 {
        env.hutch(["exec", "watch", "true"]).ok();
    }
    let seen = env
        .hutch(["exec", "watch", "busybox", "sort", "-u", "/tmp/seen"])
        .ok()
        .stdout;
    assert!(seen.contains("/bin/busybox"), "the watcher ran: {seen}");
    assert!(!seen.contains("hutch"), "hutch's binary was visible inside: {seen}");
    // And the binary itself is never writable for the user.
    let r = env.hutch([
        "run",
        "--rm",
        BASIC,
        "sh",
        "-c",
        "ls /proc/*/exe -l 2>/dev/null | grep -c hutch",
    ]);
    assert_eq!(r.stdout.trim(), "0", "{r:?}");
}

#[test]
fn volumes_bind_named_and_read_only() {
    let env = env_with(&[BASIC]);
    let src = env.home().join("share");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("in.txt"), "from host\n").unwrap();
    env.chown_tree(&src);
    let s = src.display().to_string();
    let r = env
        .hutch([
            "run",
            "--rm",
            "-v",
            &format!("{s}:/data"),
            BASIC,
            "sh",
            "-c",
            "cat /data/in.txt; echo back > /data/out.txt",
        ])
        .ok();
    assert_eq!(r.stdout, "from host\n");
    assert_eq!(std::fs::read_to_string(src.join("out.txt")).unwrap(), "back\n");
    assert_eq!(
        owner(&src.join("out.txt")).0,
        env.host_uid(0),
        "container root writes as the user"
    );
    let r = env.hutch([
        "run",
        "--rm",
        "-v",
        &format!("{s}:/data:ro"),
        BASIC,
        "touch",
        "/data/nope",
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("Read-only file system"), "{r:?}");
    env.hutch([
        "run",
        "--rm",
        "-v",
        "cache:/cache",
        BASIC,
        "sh",
        "-c",
        "echo kept > /cache/f",
    ])
    .ok();
    assert_eq!(
        env.hutch(["run", "--rm", "-v", "cache:/c2:ro", BASIC, "cat", "/c2/f"])
            .ok()
            .stdout,
        "kept\n"
    );
    // A single file can be mounted too.
    let r = env
        .hutch([
            "run",
            "--rm",
            "-v",
            &format!("{s}/in.txt:/etc/motd:ro"),
            BASIC,
            "cat",
            "/etc/motd",
        ])
        .ok();
    assert_eq!(r.stdout, "from host\n");
}

#[test]
fn read_only_root() {
    let env = env_with(&[BASIC]);
    let r = env
        .hutch([
            "run",
            "--rm",
            "--read-only",
            BASIC,
            "sh",
            "-c",
            "touch /x || echo refused; touch /tmp/y /run/z /var/tmp/w && echo tmpfs-ok",
        ])
        .ok();
    assert_eq!(r.stdout, "refused\ntmpfs-ok\n");
}

#[test]
fn detached_lifecycle() {
    let env = env_with(&[BASIC]);
    let id = env
        .hutch([
            "run",
            "-d",
            "--name",
            "web",
            BASIC,
            "sh",
            "-c",
            "echo started; echo oops >&2; printf partial; exec sleep 1000",
        ])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert_eq!(id.len(), 64);
    let ps = env.hutch(["ps"]).ok().stdout;
    let lines: Vec<&str> = ps.lines().collect();
    assert!(
        lines[0].starts_with("CONTAINER ID") && lines[0].contains("NAMES"),
        "{ps}"
    );
    assert!(
        lines[1].starts_with(&id[..12]) && lines[1].contains(" Up ") && lines[1].ends_with("web"),
        "{ps}"
    );
    let j: serde_json::Value = serde_json::from_str(&env.hutch(["ps", "--format", "json"]).ok().stdout).unwrap();
    assert_eq!(j[0]["Id"], id.as_str());
    assert_eq!(j[0]["State"], "running");
    assert_eq!(j[0]["Names"][0], "web");
    assert_eq!(env.hutch(["ps", "-q"]).ok().stdout, format!("{}\n", &id[..12]));
    assert_eq!(
        env.hutch(["ps", "--format", "{{.Names}} {{.State}}"]).ok().stdout,
        "web running\n"
    );

    wait_until("log output", || env.hutch(["logs", "web"]).stdout.contains("partial"));
    let r = env.hutch(["logs", "web"]).ok();
    assert_eq!(r.stdout, "started\npartial");
    assert_eq!(r.stderr, "oops\n");
    let r = env.hutch(["logs", "-t", "--tail", "1", "web"]).ok();
    assert!(r.stdout.starts_with("20") && r.stdout.contains("Z partial"), "{r:?}");

    // exec: exit codes, user, workdir, env.
    assert_eq!(env.hutch(["exec", "web", "sh", "-c", "exit 3"]).code, 3);
    assert_eq!(env.hutch(["exec", "web", "nope"]).code, 127);
    let r = env
        .hutch([
            "exec",
            "-u",
            "tester",
            "-w",
            "/tmp",
            "-e",
            "V=1",
            "web",
            "sh",
            "-c",
            "id -u; pwd; echo $V; grep CapEff /proc/self/status",
        ])
        .ok();
    assert_eq!(r.stdout, "1000\n/tmp\n1\nCapEff:\t0000000000000000\n");
    // -e replaces a variable the container already has, rather than adding a second copy.
    let r = env
        .hutch([
            "exec",
            "-e",
            "HOSTNAME=override",
            "web",
            "sh",
            "-c",
            "echo $HOSTNAME; env | grep -c ^HOSTNAME=",
        ])
        .ok();
    assert_eq!(r.stdout, "override\n1\n");
    assert_eq!(
        env.hutch([
            "exec",
            "web",
            "sh",
            "-c",
            "echo $$ > /dev/null; ps -o pid,comm | grep -c sleep"
        ])
        .ok()
        .stdout,
        "1\n"
    );

    let v: serde_json::Value = serde_json::from_str(&env.hutch(["inspect", "web"]).ok().stdout).unwrap();
    assert_eq!(v[0]["State"]["Status"], "running");
    assert_eq!(v[0]["State"]["Running"], true);
    assert!(v[0]["State"]["Pid"].as_i64().unwrap() > 0);
    assert_eq!(v[0]["Name"], "web");
    assert_eq!(v[0]["Config"]["Cmd"][0], "sh");
    assert_eq!(
        v[0]["HostConfig"]["NetworkMode"], "bridge",
        "the default network (a bridge, as Podman shows it) is the default when pasta is installed"
    );
    let live: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.run_dir().join(format!("hutch/containers/{id}.json"))).unwrap())
            .unwrap();
    let monitor = live["monitor_pid"].as_i64().unwrap();

    let r = env.hutch(["rm", "web"]);
    assert!(
        r.code == 2
            && r.stderr
                .contains("as it is running - running or paused containers cannot be removed without force"),
        "{r:?}"
    );
    // sleep as pid 1 has no SIGTERM handler: stop falls back to SIGKILL after -t.
    let t = Instant::now();
    assert_eq!(env.hutch(["stop", "-t", "1", "web"]).ok().stdout, "web\n");
    assert!(t.elapsed() < Duration::from_secs(8));
    assert_eq!(
        env.hutch(["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "web"])
            .ok()
            .stdout,
        "exited 137\n"
    );
    assert!(env.hutch(["ps", "-a"]).ok().stdout.contains("Exited (137)"));
    assert_eq!(env.hutch(["ps", "-q"]).ok().stdout, "");
    assert_eq!(env.hutch(["wait", "web"]).ok().stdout, "137\n");
    wait_until("the monitor to exit", || !process_alive(monitor));

    env.hutch(["restart", "web"]).ok();
    assert_eq!(
        env.hutch(["ps", "--format", "{{.Names}} {{.State}}"]).ok().stdout,
        "web running\n"
    );
    env.hutch(["kill", "-s", "TERM", "web"]).ok(); // ignored by pid 1 without a handler
    env.hutch(["kill", "web"]).ok();
    assert_eq!(env.hutch(["wait", "web"]).ok().stdout, "137\n");
    env.hutch(["kill", "web"]).fails_with("web is not running");
    env.hutch(["rm", "web"]).ok();
    assert_eq!(env.hutch(["ps", "-a", "-q"]).ok().stdout, "");
    env.hutch(["logs", "web"])
        .fails_with("no container with name or ID \"web\"");
    assert_eq!(env.entries("containers").iter().filter(|e| e.len() == 64).count(), 0);
}

fn process_alive(pid: i64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| !s.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z'))
}

#[test]
fn signal_handler_gets_stop_signal_and_exit_code() {
    let env = env_with(&[BASIC]);
    env.hutch([
        "run",
        "-d",
        "--name",
        "trap",
        BASIC,
        "sh",
        "-c",
        "trap 'echo bye; exit 5' TERM; while :; do sleep 0.1; done",
    ])
    .ok();
    std::thread::sleep(Duration::from_millis(300));
    env.hutch(["stop", "trap"]).ok();
    assert_eq!(
        env.hutch(["inspect", "--format", "{{.State.ExitCode}}", "trap"])
            .ok()
            .stdout,
        "5\n"
    );
    assert_eq!(env.hutch(["logs", "trap"]).ok().stdout, "bye\n");
}

#[test]
fn rm_f_and_run_d_rm() {
    let env = env_with(&[BASIC]);
    env.hutch(["run", "-d", "--name", "gone", BASIC, "sleep", "1000"]).ok();
    env.hutch(["rm", "-f", "gone"]).ok();
    assert_eq!(env.hutch(["ps", "-a", "-q"]).ok().stdout, "");
    env.hutch(["run", "-d", "--rm", "--name", "short", BASIC, "true"]).ok();
    wait_until("--rm to remove the container", || {
        env.hutch(["ps", "-a", "-q"]).stdout.is_empty()
    });
    // With -f a missing container is no error, as in Podman (without, see tests/cli_compat.rs).
    env.hutch(["run", "-d", "--name", "one", BASIC, "sleep", "1000"]).ok();
    let r = env.hutch(["rm", "-f", "nosuch", "one"]).ok();
    assert_eq!(r.stdout, "one\n");
    assert!(!r.stderr.contains("nosuch"));
}

#[test]
fn create_start_wait() {
    let env = env_with(&[BASIC]);
    let id = env
        .hutch(["create", "--name", "job", BASIC, "sh", "-c", "echo ran; exit 4"])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert_eq!(
        env.hutch(["ps", "-a", "--format", "{{.ID}} {{.State}}"]).ok().stdout,
        format!("{} created\n", &id[..12])
    );
    env.hutch(["start", "job"]).ok();
    assert_eq!(env.hutch(["wait", "job"]).ok().stdout, "4\n");
    assert_eq!(env.hutch(["logs", "job"]).ok().stdout, "ran\n");
    let r = env.hutch(["start", "-a", "job"]);
    assert_eq!(r.code, 4);
    assert_eq!(r.stdout, "ran\n");
}

#[test]
fn terminal_sessions() {
    let env = env_with(&[BASIC]);
    let r = env.hutch_tty(
        &["run", "--rm", "-it", BASIC, "sh"],
        "tty; stty size; echo TERM=$TERM\rexit 6\r",
    );
    assert_eq!(r.code, 6, "{r:?}");
    assert!(r.stdout.contains("/dev/pts/0"), "{r:?}");
    assert!(r.stdout.contains("31 101"), "window size follows the terminal: {r:?}");
    assert!(r.stdout.contains("TERM=xterm"), "{r:?}");
    // Ctrl-C reaches the container's foreground process through the pty; Ctrl-D ends the shell.
    let r = env.hutch_tty(
        &["run", "--rm", "-it", BASIC, "sh"],
        "sleep 100\r\x03echo after-interrupt\r\x04",
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("after-interrupt"), "{r:?}");
    env.hutch(["run", "-d", "--name", "t", BASIC, "sleep", "1000"]).ok();
    let r = env.hutch_tty(&["exec", "-it", "t", "sh"], "tty\rexit 2\r");
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stdout.contains("/dev/pts/"), "{r:?}");
}

#[test]
fn foreground_signals_are_forwarded() {
    let env = env_with(&[BASIC]);
    let mut child = env
        .command([
            "run",
            "--rm",
            BASIC,
            "sh",
            "-c",
            "trap 'echo got-term; exit 3' TERM; echo ready; while :; do sleep 0.1; done",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut buf = [0u8; 6];
    std::io::Read::read_exact(&mut out, &mut buf).unwrap();
    assert_eq!(&buf, b"ready\n");
    // setpriv execs hutch, so the child's pid is hutch's.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let st = child.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert_eq!(rest, "got-term\n");
    assert_eq!(st.code(), Some(3));
}

#[test]
fn without_subordinate_ids_a_single_uid_map_is_used() {
    let env = Env::nosub();
    env.pull(BASIC);
    let r = env
        .hutch([
            "run",
            "--rm",
            BASIC,
            "sh",
            "-c",
            "id -u; cat /proc/self/uid_map | wc -l",
        ])
        .ok();
    assert_eq!(r.stdout, "0\n1\n");
    assert_eq!(r.stderr.matches("single-uid mapping").count(), 1, "{r:?}");
    assert!(
        r.stderr.contains("usermod --add-subuids"),
        "the notice says how to fix it: {r:?}"
    );
    let r = env.hutch(["run", "--rm", "-u", "tester", BASIC, "id"]);
    assert_eq!(r.code, 125, "{r:?}");
    assert!(r.stderr.contains("user tester (1000:1000) is not mapped"), "{r:?}");
}

#[test]
fn state_survives_a_reboot_as_exited() {
    let env = env_with(&[BASIC]);
    let id = env
        .hutch(["run", "-d", "--name", "r", BASIC, "sleep", "1000"])
        .ok()
        .stdout
        .trim()
        .to_string();
    let live: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.run_dir().join(format!("hutch/containers/{id}.json"))).unwrap())
            .unwrap();
    // A reboot: every process gone, the runtime dir (a tmpfs) empty.
    for k in ["pid", "monitor_pid"] {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(live[k].as_i64().unwrap() as i32),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    std::fs::remove_dir_all(env.run_dir().join("hutch")).unwrap();
    let r = env.hutch(["ps", "-a", "--format", "{{.Names}} {{.State}}"]).ok();
    assert_eq!(r.stdout, "r exited\n");
    env.hutch(["rm", "r"]).ok();
}

#[test]
fn rmi_refuses_an_image_in_use() {
    let env = env_with(&[BASIC]);
    env.hutch(["create", "--name", "user1", BASIC, "true"]).ok();
    let r = env.hutch(["rmi", BASIC]);
    assert!(r.code == 2 && r.stderr.contains("in use by container user1"), "{r:?}");
    env.hutch(["rmi", "-f", BASIC]).ok();
    assert_eq!(env.hutch(["ps", "-a", "-q"]).ok().stdout, "");
    assert_eq!(env.hutch(["images", "-q"]).ok().stdout, "");
}

#[test]
fn fuse_overlayfs_fallback_runs_and_goes_away() {
    let env = env_with(&[BASIC]);
    let out = env
        .command(["run", "--rm", BASIC, "sh", "-c", "grep ' / ' /proc/mounts | cut -d' ' -f3; echo data > /new; cat /new /etc/fixture; stat -c %u:%g /home/tester /etc/passwd"])
        .env("HUTCH_OVERLAY", "fuse-overlayfs")
        .output()
        .unwrap();
    let r = to_run(out);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.stdout, "fuse.fuse-overlayfs\ndata\nfixtures/basic\n1000:1000\n0:0\n",
        "image ownership shows through"
    );
    // The daemon lived in the container's pid namespace and died with it.
    let uid = env.host_uid(0).to_string();
    let left = Command::new("pgrep")
        .args(["-u", &uid, "-f", "fuse-overlayfs -o lowerdir=layers/"])
        .output()
        .unwrap();
    assert!(
        left.stdout.is_empty(),
        "fuse-overlayfs left running: {}",
        String::from_utf8_lossy(&left.stdout)
    );
}

#[test]
fn userns_keep_id_runs_as_the_user_with_image_ownership_kept() {
    let env = env_with(&[BASIC]);
    let me = env.host_uid(0);
    let src = env.home().join("mine");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("f"), "mine\n").unwrap();
    env.chown_tree(&src);
    let r = env
        .hutch([
            "run",
            "--rm",
            "--userns=keep-id",
            "-v",
            &format!("{}:/data", src.display()),
            BASIC,
            "sh",
            "-c",
            "id -u; id -g; stat -c %u / /home/tester /etc/passwd /data/f; touch /data/new /tmp/t; stat -c %u /tmp/t",
        ])
        .ok();
    assert_eq!(r.stdout, format!("{me}\n{me}\n0\n1000\n0\n{me}\n{me}\n"));
    assert_eq!(
        owner(&src.join("new")).0,
        me,
        "files the user writes are the user's on the host"
    );
    // The re-owned layers are made once and reused; a plain run still sees the plain layers.
    let r = env.hutch(["run", "--rm", "--userns=keep-id", BASIC, "id", "-u"]).ok();
    assert_eq!(r.stdout, format!("{me}\n"));
    assert_eq!(
        env.hutch(["run", "--rm", BASIC, "stat", "-c", "%u", "/home/tester"])
            .ok()
            .stdout,
        "1000\n"
    );
    // Without subordinate ids keep-id cannot work, and says why.
    let nosub = Env::nosub();
    nosub.pull(BASIC);
    nosub
        .hutch(["run", "--rm", "--userns=keep-id", BASIC, "true"])
        .fails_with("keep-id needs a subordinate id range");
    env.hutch(["run", "--rm", "--userns=bogus", BASIC, "true"])
        .fails_with("--userns bogus");
}

#[test]
fn logs_follow_until_the_container_exits() {
    let env = env_with(&[BASIC]);
    env.hutch([
        "run",
        "-d",
        "--name",
        "f",
        BASIC,
        "sh",
        "-c",
        "echo one; sleep 0.5; echo two >&2; sleep 0.5; echo three",
    ])
    .ok();
    let t = Instant::now();
    let r = env.hutch(["logs", "-f", "f"]).ok();
    assert_eq!(r.stdout, "one\nthree\n");
    assert_eq!(r.stderr, "two\n");
    assert!(t.elapsed() >= Duration::from_millis(500), "followed until the end");
}

#[test]
fn containers_conf_sets_container_defaults() {
    let env = env_with(&[BASIC]);
    let conf = env.write(
        "config/hutch/containers.conf",
        "[containers]\ndefault_capabilities = [\"CHOWN\", \"NET_RAW\"]\nenv = [\"FROM_CONF=1\", \"OVERRIDDEN=conf\"]\n\
         dns_servers = [\"192.0.2.53\"]\nnetns = \"none\"\nlog_size_max = 2000\nunknown_key = \"ignored\"\n[engine]\nevents_logger = \"file\"\n",
    );
    // CHOWN is bit 0, KILL bit 5, NET_RAW bit 13: the configured set, with --cap-add/--cap-drop on top.
    assert_eq!(status_line(&env, "CapEff", &[]), "0000000000002001");
    assert_eq!(
        status_line(&env, "CapEff", &["--cap-add", "KILL", "--cap-drop", "NET_RAW"]),
        "0000000000000021"
    );
    let r = env
        .hutch([
            "run",
            "--rm",
            "-e",
            "OVERRIDDEN=user",
            BASIC,
            "sh",
            "-c",
            "echo $FROM_CONF $OVERRIDDEN; cat /etc/resolv.conf",
        ])
        .ok();
    assert!(
        r.stdout.starts_with("1 user\n") && r.stdout.contains("nameserver 192.0.2.53"),
        "{r:?}"
    );
    // --dns and --network win over the file.
    env.hutch(["create", "--name", "c1", BASIC, "true"]).ok();
    env.hutch([
        "create",
        "--name",
        "c2",
        "--network",
        "host",
        "--dns",
        "192.0.2.1",
        BASIC,
        "true",
    ])
    .ok();
    let f = "{{.HostConfig.NetworkMode}} {{json .HostConfig.Dns}} {{.HostConfig.LogConfig.Size}}";
    assert_eq!(
        env.hutch(["inspect", "--format", f, "c1", "c2"]).ok().stdout,
        "none [\"192.0.2.53\"] 2kB\nhost [\"192.0.2.1\"] 2kB\n"
    );
    // info shows where the settings came from.
    let info: serde_json::Value = serde_json::from_str(&env.hutch(["info", "--format", "json"]).ok().stdout).unwrap();
    let c = &info["containersConf"];
    assert_eq!(c["files"].as_array().unwrap().last().unwrap(), conf.to_str().unwrap());
    assert_eq!(
        (c["defaultNetwork"].as_str(), c["logSizeMax"].as_i64()),
        (Some("none"), Some(2000))
    );
    assert_eq!(
        c["defaultCapabilities"],
        serde_json::json!(["CAP_CHOWN", "CAP_NET_RAW"])
    );

    // A detached container's log starts over at log_size_max; logs shows the latest lines.
    let id = env
        .hutch([
            "run",
            "-d",
            BASIC,
            "sh",
            "-c",
            "i=0; while [ $i -lt 300 ]; do echo line$i; i=$((i+1)); done",
        ])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert_eq!(env.hutch(["wait", &id]).ok().stdout, "0\n");
    let log = env.store().join("containers").join(&id).join("ctr.log");
    let size = std::fs::metadata(&log).unwrap().len();
    assert!(size > 0 && size <= 2000, "ctr.log is {size} bytes");
    let out = env.hutch(["logs", &id]).ok().stdout;
    assert!(
        out.ends_with("line298\nline299\n") && !out.starts_with("line0\n"),
        "{out}"
    );
}

#[test]
fn containers_conf_files_and_errors() {
    let env = env_with(&[BASIC]);
    // The user's containers/ file, then hutch's own: the later one wins key by key.
    env.write(
        "config/containers/containers.conf",
        "[network]\ndefault_rootless_network_cmd = \"slirp4netns\"\n[containers]\nnetns = \"none\"\n",
    );
    env.write("config/hutch/containers.conf", "[containers]\nnetns = \"private\"\n");
    env.hutch(["create", "--name", "s", BASIC, "true"]).ok();
    assert_eq!(
        env.hutch(["inspect", "--format", "{{.HostConfig.NetworkMode}}", "s"])
            .ok()
            .stdout,
        "slirp4netns\n"
    );
    // CONTAINERS_CONF replaces the search; CONTAINERS_CONF_OVERRIDE comes last.
    let only = env.write("only.conf", "[containers]\nnetns = \"host\"\n");
    let over = env.write("over.conf", "[containers]\nlog_size_max = 4096\n");
    let r = to_run(
        env.command([
            "info",
            "--format",
            "{{json .ContainersConf.Files}} {{.ContainersConf.DefaultNetwork}} {{.ContainersConf.LogSizeMax}}",
        ])
        .env("CONTAINERS_CONF", &only)
        .env("CONTAINERS_CONF_OVERRIDE", &over)
        .output()
        .unwrap(),
    );
    assert_eq!(
        r.stdout,
        format!(
            "[{:?},{:?}] host 4096\n",
            only.display().to_string(),
            over.display().to_string()
        ),
        "{r:?}"
    );
    let missing = env.root.join("missing.conf");
    to_run(
        env.command(["run", "--rm", BASIC, "true"])
            .env("CONTAINERS_CONF", &missing)
            .output()
            .unwrap(),
    )
    .fails_with(&missing.display().to_string());
    // A malformed file: one line naming it, exit 125, no container; verbs that need no
    // configuration do not read it.
    let bad = env.write("config/hutch/containers.conf", "[containers]\nlog_size_max = \"big\"\n");
    let r = env
        .hutch(["run", "--name", "never", BASIC, "true"])
        .fails_with(&format!("{}:2:", bad.display()));
    assert_eq!(r.stdout, "");
    env.hutch(["create", "--name", "never", BASIC, "true"])
        .fails_with(&bad.display().to_string());
    env.hutch(["info"]).fails_with(&bad.display().to_string());
    assert_eq!(env.hutch(["ps", "-a", "--format", "{{.Names}}"]).ok().stdout, "s\n");
    env.write(
        "config/hutch/containers.conf",
        "[containers]\ndefault_capabilities = [\"CHOWN\", \"BOGUS\"]\n",
    );
    env.hutch(["run", "--rm", BASIC, "true"])
        .fails_with("default_capabilities: unknown capability \"BOGUS\"");
}

#[test]
fn containers_conf_time_zone() {
    let env = env_with(&[BASIC]);
    env.write("config/hutch/containers.conf", "[containers]\ntz = \"Asia/Tokyo\"\n");
    // /etc/localtime is the host's zone file (a TZif file ending in its POSIX rule line).
    let r = env
        .hutch([
            "run",
            "--rm",
            BASIC,
            "sh",
            "-c",
            "echo $TZ; wc -c < /etc/localtime; tail -n 1 /etc/localtime",
        ])
        .ok();
    let zone = std::fs::read("/usr/share/zoneinfo/Asia/Tokyo").expect("tzdata (tests/run installs it)");
    assert_eq!(r.stdout, format!("Asia/Tokyo\n{}\nJST-9\n", zone.len()), "{r:?}");
    // -e TZ and a volume on /etc/localtime win.
    let r = env
        .hutch(["run", "--rm", "-e", "TZ=UTC", BASIC, "sh", "-c", "echo $TZ"])
        .ok();
    assert_eq!(r.stdout, "UTC\n");
    env.write("config/hutch/containers.conf", "[containers]\ntz = \"Nowhere/City\"\n");
    env.hutch(["run", "--rm", BASIC, "true"])
        .fails_with("tz = Nowhere/City: no such time zone");
}
