//! What scripts written for Podman rely on, as the unprivileged test user: the exit statuses
//! `rm` and `rmi` document, the registry and platform flags of `run`/`create` for the image
//! they pull, `wait` on a container never started, the log of foreground containers, and
//! output details (`--all` ids, `{{.ID}}`, repeated flags).

mod common;

use std::io::Write;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::*;

const BASIC: &str = "fixtures/basic";

/// Wait (bounded) for a child hutch; killed and failed if it does not finish.
#[track_caller]
fn finish(mut child: Child, what: &str) -> Run {
    let t = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not return");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    to_run(child.wait_with_output().unwrap())
}

#[track_caller]
fn exits(r: Run, code: i32, needle: &str) -> Run {
    assert_eq!(r.code, code, "expected exit {code}: {r:?}");
    assert!(
        r.stderr.lines().any(|l| l.starts_with("Error: ") && l.contains(needle)),
        "expected {needle:?} in an error: {r:?}"
    );
    r
}

fn ca_into_certs_d(env: &Env, registry: &str) {
    let ca = std::fs::read_to_string(rig_dir().join("ca.crt")).expect("the rig's CA");
    env.write(&format!("config/containers/certs.d/{registry}/ca.crt"), &ca);
}

/// The containers' names, sorted, one a line.
fn names(env: &Env) -> String {
    let out = env.hutch(["ps", "-a", "--format", "{{.Names}}"]).ok().stdout;
    let mut v: Vec<&str> = out.lines().collect();
    v.sort();
    v.iter().map(|n| format!("{n}\n")).collect()
}

#[test]
fn rm_exit_statuses_are_podmans() {
    let env = env_with(&[BASIC]);
    env.hutch(["run", "-d", "--name", "up", BASIC, "sleep", "1000"]).ok();
    env.hutch(["create", "--name", "idle", BASIC, "true"]).ok();
    exits(
        env.hutch(["rm", "nosuch"]),
        1,
        "no container with name or ID \"nosuch\"",
    );
    exits(
        env.hutch(["container", "rm", "up"]),
        2,
        "as it is running - running or paused containers cannot be removed without force",
    );
    // A missing one wins over a running one; each item is still tried.
    exits(env.hutch(["rm", "up", "nosuch"]), 1, "nosuch");
    assert_eq!(names(&env), "idle\nup\n");
    let r = exits(
        env.hutch(["rm", "idle", "up"]),
        2,
        "as it is running - running or paused containers cannot be removed without force",
    );
    assert_eq!(r.stdout, "idle\n");
    assert_eq!(names(&env), "up\n");
    // With -f a missing container is no error.
    let r = env.hutch(["rm", "-f", "nosuch"]).ok();
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", ""));
    env.hutch(["create", "--name", "c1", BASIC, "true"]).ok();
    env.hutch(["create", "--name", "c2", BASIC, "true"]).ok();
    let r = env.hutch(["rm", "-f", "up", "c1", "c2"]).ok();
    assert_eq!(r.stdout, "up\nc1\nc2\n");
}

#[test]
fn rmi_exit_statuses_are_podmans() {
    let env = env_with(&[BASIC, "fixtures/plain", "fixtures/zstd"]);
    env.hutch(["create", "--name", "user1", BASIC, "true"]).ok();
    exits(env.hutch(["rmi", "nothere"]), 1, "nothere: image not known");
    exits(env.hutch(["image", "rm", BASIC]), 2, "in use by container user1");
    // In use wins over missing.
    exits(env.hutch(["rmi", "nothere", BASIC]), 2, "in use by container user1");
    // A missing one fails only itself: the other is removed.
    let r = exits(
        env.hutch(["rmi", "fixtures/plain", "nothere"]),
        1,
        "nothere: image not known",
    );
    assert!(
        r.stdout.contains("Untagged: 127.0.0.1:5000/fixtures/plain:latest"),
        "{r:?}"
    );
    // With -f a missing image is no error.
    let r = env.hutch(["rmi", "-f", "nothere", "fixtures/zstd"]).ok();
    assert!(
        r.stdout.contains("Untagged: 127.0.0.1:5000/fixtures/zstd:latest") && r.stderr.is_empty(),
        "{r:?}"
    );
    // Anything else: 125.
    env.hutch(["tag", BASIC, "second:name"]).ok();
    env.hutch(["rm", "user1"]).ok();
    let id = env.hutch(["images", "-q", BASIC]).ok().stdout.trim().to_string();
    env.hutch(["rmi", &id]).fails_with("more than one tag");
    assert_eq!(env.hutch(["images", "-q"]).ok().stdout.lines().count(), 1);
}

#[test]
fn man_pages_state_the_exit_statuses() {
    let env = Env::new();
    let out = env.root.join("man");
    env.hutch(["generate", "man", out.to_str().unwrap()]).ok();
    let page = |n: &str| std::fs::read_to_string(out.join(n)).unwrap().replace("\\-", "-");
    for p in ["hutch-rm.1", "hutch-container-rm.1"] {
        let t = page(p);
        assert!(
            t.contains(".SH \"EXIT STATUS\"")
                && t.contains("1 a container did not exist")
                && t.contains("2 a container is running"),
            "{p}: {t}"
        );
    }
    for p in ["hutch-rmi.1", "hutch-image-rm.1"] {
        let t = page(p);
        assert!(
            t.contains(".SH \"EXIT STATUS\"")
                && t.contains("1 an image did not exist")
                && t.contains("2 an image is used"),
            "{p}: {t}"
        );
    }
    for p in [
        "hutch-run.1",
        "hutch-exec.1",
        "hutch-start.1",
        "hutch-wait.1",
        "hutch-stop.1",
        "hutch-kill.1",
        "hutch-image-exists.1",
        "hutch.1",
    ] {
        assert!(page(p).contains(".SH \"EXIT STATUS\""), "{p}");
    }
}

#[test]
fn run_and_create_take_the_pull_flags() {
    let env = Env::new();
    let basic = format!("{PLAIN}/fixtures/basic");
    // Plain HTTP needs --tls-verify=false, which run used to reject as an unknown argument.
    exits(env.hutch(["run", "--rm", &basic, "true"]), 125, "over HTTPS");
    let r = env
        .hutch(["run", "--rm", "-q", "--tls-verify=false", &basic, "cat", "/etc/fixture"])
        .ok();
    assert_eq!(r.stdout, "fixtures/basic\n");

    // HTTPS with the rig's CA and htpasswd: --creds, --authfile, and --tls-verify=false for an
    // unknown CA.
    let private = format!("{AUTH}/private/basic");
    exits(
        env.hutch(["create", "--tls-verify=false", &private, "true"]),
        125,
        "requires authentication",
    );
    env.hutch([
        "create",
        "--tls-verify=false",
        "--creds",
        "testuser:testpass",
        "--name",
        "p1",
        &private,
        "true",
    ])
    .ok();
    env.hutch(["rm", "p1"]).ok();
    env.hutch(["rmi", &private]).ok();
    exits(
        env.hutch(["run", "--rm", "--creds", "testuser:testpass", &private, "true"]),
        125,
        "over HTTPS",
    );
    ca_into_certs_d(&env, AUTH);
    exits(
        env.hutch(["run", "--rm", "--creds", "testuser:wrong", &private, "true"]),
        125,
        "invalid username or password",
    );
    let r = env
        .hutch([
            "run",
            "--rm",
            "-q",
            "--creds",
            "testuser:testpass",
            &private,
            "cat",
            "/etc/fixture",
        ])
        .ok();
    assert_eq!(r.stdout, "private/basic\n");
    env.hutch(["rmi", &private]).ok();
    let auth = env.write(
        "home/auth.json",
        &format!("{{\"auths\":{{\"{AUTH}\":{{\"auth\":\"dGVzdHVzZXI6dGVzdHBhc3M=\"}}}}}}"),
    );
    env.hutch([
        "run",
        "--rm",
        "-q",
        "--authfile",
        auth.to_str().unwrap(),
        &private,
        "true",
    ])
    .ok();
    exits(
        env.hutch(["create", "--creds", ":x", BASIC]),
        125,
        "--creds: empty username",
    );
    exits(
        env.hutch(["create", "--platform", "linux", BASIC]),
        125,
        "invalid platform \"linux\"",
    );
    assert_eq!(env.hutch(["ps", "-aq"]).ok().stdout, "", "bad flags leave no container");

    // --platform: the arm64 image of an index (its binaries cannot run here: create + inspect).
    let multi = format!("{PLAIN}/fixtures/multiarch");
    assert_eq!(
        env.hutch(["run", "--rm", "-q", "--tls-verify=false", &multi, "cat", "/platform"])
            .ok()
            .stdout
            .trim(),
        "amd64"
    );
    // A local image of another platform is not the one asked for: pulled.
    let ctr = env
        .hutch([
            "create",
            "-q",
            "--tls-verify=false",
            "--platform",
            "linux/arm64",
            &multi,
            "true",
        ])
        .ok()
        .stdout
        .trim()
        .to_string();
    let image = env
        .hutch(["inspect", "--format", "{{.Image}}", &ctr])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert_eq!(
        env.hutch(["image", "inspect", "--format", "{{.Os}}/{{.Architecture}}", &image])
            .ok()
            .stdout,
        "linux/arm64\n"
    );
    // Present now: used as it is, and --pull=never will not fetch another platform.
    env.hutch(["create", "--pull=never", "--platform", "linux/arm64", &multi, "true"])
        .ok();
    exits(
        env.hutch(["create", "--pull=never", "--platform", "linux/amd64", &multi, "true"]),
        125,
        "the local image is for linux/arm64, not linux/amd64",
    );
    // --arch/--variant on a Docker manifest list.
    let list = format!("{PLAIN}/fixtures/dockerlist");
    let ctr = env
        .hutch([
            "container",
            "create",
            "-q",
            "--tls-verify=false",
            "--arch",
            "arm64",
            "--variant",
            "v8",
            &list,
            "true",
        ])
        .ok()
        .stdout
        .trim()
        .to_string();
    let image = env
        .hutch(["inspect", "--format", "{{.Image}}", &ctr])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert_eq!(
        env.hutch(["image", "inspect", "--format", "{{.Architecture}}", &image])
            .ok()
            .stdout,
        "arm64\n"
    );
}

#[test]
fn wait_on_a_container_never_started_returns_at_once() {
    let env = env_with(&[BASIC]);
    env.hutch(["create", "--name", "idle", BASIC, "sh", "-c", "exit 3"])
        .ok();
    let child = env
        .command(["wait", "idle"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let r = finish(child, "wait on a created container").ok();
    assert_eq!(r.stdout, "0\n");
    assert_eq!(
        env.hutch(["ps", "-a", "--format", "{{.State}}"]).ok().stdout,
        "created\n"
    );
    // Once it ran, its exit code.
    env.hutch(["start", "idle"]).ok();
    assert_eq!(env.hutch(["wait", "idle"]).ok().stdout, "3\n");
}

#[test]
fn foreground_output_goes_to_the_log_too() {
    let env = env_with(&[BASIC]);
    // run: stdout and stderr kept apart, on the terminal and in the log.
    let r = env
        .hutch([
            "run",
            "--name",
            "fg",
            BASIC,
            "sh",
            "-c",
            "echo out; echo err >&2; echo more",
        ])
        .ok();
    assert_eq!(r.stdout, "out\nmore\n");
    assert!(r.stderr.contains("err"), "{r:?}");
    let l = env.hutch(["logs", "fg"]).ok();
    assert_eq!((l.stdout.as_str(), l.stderr.as_str()), ("out\nmore\n", "err\n"));
    // start -a appends to the same log.
    let r = env.hutch(["start", "-a", "fg"]).ok();
    assert_eq!(r.stdout, "out\nmore\n");
    assert_eq!(env.hutch(["logs", "fg"]).ok().stdout, "out\nmore\nout\nmore\n");

    // -t: the pty's output, logged as stdout.
    let r = env.hutch_tty(
        &[
            "run",
            "-t",
            "--name",
            "tty",
            BASIC,
            "sh",
            "-c",
            "echo on-tty; echo err-tty >&2",
        ],
        "",
    );
    assert_eq!(r.code, 0, "{r:?}");
    let l = env.hutch(["logs", "tty"]).ok();
    assert_eq!((l.stdout.as_str(), l.stderr.as_str()), ("on-tty\r\nerr-tty\r\n", ""));
    let ids = env.hutch(["inspect", "--format", "{{.Id}}", "tty"]).ok().stdout;
    let log = std::fs::read_to_string(env.store().join("containers").join(ids.trim()).join("ctr.log")).unwrap();
    assert!(log.lines().all(|l| l.split(' ').nth(1) == Some("stdout")), "{log}");

    // -i: stdin still reaches the container.
    let mut child = env
        .command(["run", "-i", "--name", "in", BASIC, "cat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"typed\n").unwrap();
    assert_eq!(finish(child, "run -i").ok().stdout, "typed\n");
    assert_eq!(env.hutch(["logs", "in"]).ok().stdout, "typed\n");

    // A reader that goes away: the writer gets SIGPIPE as when it wrote there itself (`yes`,
    // not the container's pid 1, which the kernel shields from it).
    let r = env.program(
        "timeout",
        [
            "60",
            "sh",
            "-c",
            "hutch run --rm --name pipe fixtures/basic sh -c 'yes; echo yes-ended >&2' | head -n 2",
        ],
    );
    assert_eq!((r.code, r.stdout.as_str()), (0, "y\ny\n"), "{r:?}");
    assert!(r.stderr.contains("yes-ended"), "{r:?}");
    wait_until("the --rm container to go", || !names(&env).contains("pipe"));

    // containers.conf log_size_max holds for the foreground log as for -d.
    env.write(
        "config/containers/containers.conf",
        "[containers]\nlog_size_max = 300\n",
    );
    env.hutch([
        "run",
        "--name",
        "big",
        BASIC,
        "sh",
        "-c",
        "i=0; while [ $i -lt 50 ]; do echo line $i; i=$((i+1)); done",
    ])
    .ok();
    let id = env
        .hutch(["inspect", "--format", "{{.Id}}", "big"])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert!(
        std::fs::metadata(env.store().join("containers").join(&id).join("ctr.log"))
            .unwrap()
            .len()
            <= 300
    );
    assert!(env.hutch(["logs", "big"]).ok().stdout.ends_with("line 48\nline 49\n"));

    // --rm: readable while it runs (then it goes with the container).
    let child = env
        .command([
            "run",
            "--rm",
            "--name",
            "short",
            BASIC,
            "sh",
            "-c",
            "echo early; exec sleep 1000",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until("the --rm container's log", || {
        env.hutch(["logs", "short"]).stdout == "early\n"
    });
    env.hutch(["kill", "short"]).ok();
    let r = finish(child, "run --rm after kill");
    assert_eq!((r.code, r.stdout.as_str()), (137, "early\n"), "{r:?}");
    assert!(!names(&env).contains("short"));
}

#[test]
fn all_forms_print_full_ids_and_inspect_answers_id() {
    let env = env_with(&[BASIC]);
    let a = env
        .hutch(["run", "-d", "--name", "a", BASIC, "sleep", "1000"])
        .ok()
        .stdout;
    let b = env
        .hutch(["run", "-d", "--name", "b", BASIC, "sleep", "1000"])
        .ok()
        .stdout;
    let both = |x: &str| {
        let mut v: Vec<&str> = x.lines().collect();
        v.sort();
        v.join("\n")
    };
    let want = both(&format!("{a}{b}"));
    assert_eq!(both(&env.hutch(["kill", "-a"]).ok().stdout), want);
    wait_until("both to exit", || env.hutch(["ps", "-q"]).stdout.is_empty());
    env.hutch(["start", "a", "b"]).ok();
    assert_eq!(both(&env.hutch(["stop", "--all", "-t", "0"]).ok().stdout), want);
    assert_eq!(both(&env.hutch(["restart", "-a", "-t", "0"]).ok().stdout), want);
    // Named ones echo the name given.
    assert_eq!(
        env.hutch(["stop", "-t", "0", "a", &b[..12]]).ok().stdout,
        format!("a\n{}\n", &b[..12])
    );
    assert_eq!(both(&env.hutch(["rm", "--all"]).ok().stdout), want);

    // {{.ID}} as well as {{.Id}}, for containers and images; the JSON keeps Podman's Id.
    env.hutch(["create", "--name", "c", BASIC, "true"]).ok();
    let id = env.hutch(["inspect", "--format", "{{.Id}}", "c"]).ok().stdout;
    assert_eq!(id.trim().len(), 64);
    assert_eq!(
        env.hutch(["container", "inspect", "--format", "{{.ID}}", "c"])
            .ok()
            .stdout,
        id
    );
    let img = env
        .hutch(["image", "inspect", "--format", "{{.Id}}", BASIC])
        .ok()
        .stdout;
    assert_eq!(
        env.hutch(["inspect", "--format", "{{.ID}}={{.Id}}", BASIC]).ok().stdout,
        format!("{0}={0}\n", img.trim())
    );
    let json: serde_json::Value = serde_json::from_str(&env.hutch(["inspect", "c"]).ok().stdout).unwrap();
    assert!(json[0].get("ID").is_none() && json[0]["Id"] == id.trim());
}

#[test]
fn a_repeated_flag_takes_its_last_value() {
    let env = env_with(&[BASIC]);
    let r = env
        .hutch([
            "run",
            "--rm",
            "--rm",
            "-w",
            "/tmp",
            "-w",
            "/etc",
            "-u",
            "root",
            "-u",
            "tester",
            BASIC,
            "sh",
            "-c",
            "pwd; id -un",
        ])
        .ok();
    assert_eq!(r.stdout, "/etc\ntester\n");
    env.hutch([
        "create", "--name", "first", "--name", "last", "--pull", "always", "--pull", "never", BASIC, "true",
    ])
    .ok();
    assert_eq!(names(&env), "last\n");
    assert_eq!(
        env.hutch(["ps", "-a", "--format", "{{.ID}}", "--format", "{{.Names}}"])
            .ok()
            .stdout,
        "last\n"
    );
    env.hutch(["start", "-a", "last"]).ok();
    assert_eq!(
        env.hutch(["inspect", "-f", "{{.Id}}", "--format", "{{.State.ExitCode}}", "last"])
            .ok()
            .stdout,
        "0\n"
    );
    // Lists still add up, and a flag given once is unchanged.
    let r = env
        .hutch(["run", "--rm", "-e", "A=1", "-e", "B=2", BASIC, "sh", "-c", "echo $A$B"])
        .ok();
    assert_eq!(r.stdout, "12\n");
    env.hutch([
        "pull",
        "--tls-verify=true",
        "--tls-verify=false",
        &format!("{PLAIN}/fixtures/plain"),
    ])
    .ok();
}
