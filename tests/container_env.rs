//! What a process finds around it in a hutch container, end to end as an unprivileged user:
//! stdio a non-root user can reopen, /etc files behind image symlinks, Podman's environment
//! (TERM, container, HOSTNAME, /run/.containerenv, the root directory's mode) and the
//! --userns=keep-id user's name and home.

mod common;

use std::io::Write;
use std::process::Stdio;

use common::*;

const BASIC: &str = "fixtures/basic";

fn env_with(images: &[&str]) -> Env {
    let env = Env::new();
    for i in images {
        env.pull(i);
    }
    env
}

/// hutch with `input` on its stdin.
fn hutch_with_input(env: &Env, args: &[&str], input: &str) -> Run {
    let mut child = env.command(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    to_run(child.wait_with_output().unwrap())
}

#[test]
fn a_non_root_user_can_open_dev_stdout_stderr_and_stdin() {
    let env = env_with(&[BASIC]);
    let script = "echo hi > /dev/stdout; echo err > /dev/stderr";
    // Foreground.
    let r = env.hutch(["run", "--rm", "-u", "1000", BASIC, "sh", "-c", script]).ok();
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("hi\n", "err\n"), "{r:?}");
    let r = hutch_with_input(&env, &["run", "--rm", "-i", "-u", "1000", BASIC, "cat", "/dev/stdin"], "typed\n").ok();
    assert_eq!(r.stdout, "typed\n", "{r:?}");
    // Detached: the monitor's log has both.
    env.hutch(["run", "-d", "--name", "bg", "-u", "1000", BASIC, "sh", "-c", script]).ok();
    assert_eq!(env.hutch(["wait", "bg"]).ok().stdout, "0\n");
    let r = env.hutch(["logs", "bg"]).ok();
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("hi\n", "err\n"), "{r:?}");
    // exec -u into a container that runs as root.
    env.hutch(["run", "-d", "--name", "box", BASIC, "sleep", "1000"]).ok();
    let r = env.hutch(["exec", "-u", "1000", "box", "sh", "-c", script]).ok();
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("hi\n", "err\n"), "{r:?}");
    let r = hutch_with_input(&env, &["exec", "-i", "-u", "tester", "box", "cat", "/dev/stdin"], "to exec\n").ok();
    assert_eq!(r.stdout, "to exec\n", "{r:?}");
}

#[test]
fn a_non_root_user_can_open_its_terminal() {
    let env = env_with(&[BASIC]);
    let script = "echo on-the-tty > /dev/stdout && stat -L -c owner=%u /dev/stdout";
    let r = env.hutch_tty(&["run", "--rm", "-t", "-u", "1000", BASIC, "sh", "-c", script], "");
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("on-the-tty") && r.stdout.contains("owner=1000"), "{r:?}");
    env.hutch(["run", "-d", "--name", "box", BASIC, "sleep", "1000"]).ok();
    let r = env.hutch_tty(&["exec", "-t", "-u", "1000", "box", "sh", "-c", script], "");
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("on-the-tty") && r.stdout.contains("owner=1000"), "{r:?}");
}

#[test]
fn the_callers_files_and_terminal_stay_out_of_the_container() {
    let env = env_with(&[BASIC]);
    // Output to a file of the user's: written through hutch, the file's owner never changes.
    let out = env.write("home/out.txt", "");
    let before = owner(&out);
    let f = std::fs::OpenOptions::new().append(true).open(&out).unwrap();
    let st = env
        .command(["run", "--rm", "-u", "1000", BASIC, "sh", "-c", "echo 1; echo 2 >&2; echo 3 > /dev/stdout; echo 4 > /dev/stderr"])
        .stdout(f.try_clone().unwrap())
        .stderr(f)
        .status()
        .unwrap();
    assert!(st.success());
    // stdout and stderr were one file: one pipe, so the order holds.
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "1\n2\n3\n4\n");
    assert_eq!(owner(&out), before);
    // The terminal hutch runs in is not the container's: its /dev/tty leads nowhere.
    let r = env.hutch_tty(&["run", "--rm", BASIC, "sh", "-c", "echo leaked > /dev/tty || echo no-tty"], "");
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("no-tty") && !r.stdout.contains("leaked"), "{r:?}");
}

#[test]
fn etc_files_behind_dangling_symlinks_are_created_inside_the_root() {
    let env = env_with(&["fixtures/resolvlink"]);
    let escapes = ["/tmp/hutch-escape-hosts", "/var/tmp/hutch-escape-hostname"];
    for p in escapes {
        let _ = std::fs::remove_file(p);
    }
    let script = "readlink /etc/resolv.conf; cat /etc/hostname; grep -c linkhost /etc/hosts; grep -c nameserver /run/systemd/resolve/stub-resolv.conf; cat /tmp/hutch-escape-hosts /var/tmp/hutch-escape-hostname | grep -c linkhost";
    let want = "../run/systemd/resolve/stub-resolv.conf\nlinkhost\n1\n1\n2\n";
    let r = env.hutch(["run", "--name", "rl", "--hostname", "linkhost", "--dns", "192.0.2.1", "fixtures/resolvlink", "sh", "-c", script]).ok();
    assert_eq!(r.stdout, want, "{r:?}");
    // Again, now that the files exist in the container.
    assert_eq!(env.hutch(["start", "-a", "rl"]).ok().stdout, want);
    for p in escapes {
        assert!(!std::path::Path::new(p).exists(), "{p} was created on the host");
    }
}

#[test]
fn podman_environment_term_container_hostname() {
    let env = env_with(&[BASIC]);
    let r = env.hutch(["run", "--rm", "--hostname", "envhost", BASIC, "env"]).ok();
    for want in ["TERM=xterm", "container=hutch", "HOSTNAME=envhost"] {
        assert!(r.stdout.lines().any(|l| l == want), "{want}: {r:?}");
    }
    // -e wins over the defaults, once per key.
    let r = env.hutch(["run", "--rm", "-e", "TERM=vt100", BASIC, "env"]).ok();
    assert_eq!(r.stdout.lines().filter(|l| l.starts_with("TERM=")).collect::<Vec<_>>(), ["TERM=vt100"], "{r:?}");
    // exec sees them too.
    env.hutch(["run", "-d", "--name", "box", BASIC, "sleep", "1000"]).ok();
    let r = env.hutch(["exec", "box", "sh", "-c", "echo $TERM $container"]).ok();
    assert_eq!(r.stdout, "xterm hutch\n");
}

#[test]
fn run_containerenv_in_podmans_format() {
    let env = Env::new();
    let image_id = env.pull(BASIC);
    // As with Podman, an ordinary container's file is there and empty…
    let r = env.hutch(["run", "--rm", "-u", "1000", BASIC, "wc", "-c", "/run/.containerenv"]).ok();
    assert_eq!(r.stdout.split_whitespace().next(), Some("0"), "{r:?}");
    // …and a privileged one's tells the engine, name, ids, image and rootless.
    let r = env.hutch(["run", "--privileged", "--name", "priv", BASIC, "cat", "/run/.containerenv"]).ok();
    let id = env.hutch(["inspect", "--format", "{{.Id}}", "priv"]).ok().stdout.trim().to_string();
    assert_eq!(id.len(), 64);
    let want = format!(
        "engine=\"hutch-{}\"\nname=\"priv\"\nid=\"{id}\"\nimage=\"{PLAIN}/{BASIC}:latest\"\nimageid=\"{image_id}\"\nrootless=1\n",
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(r.stdout, want);
    // The store as a volume: graphRootMounted=1. A read-only root keeps the file.
    let store = env.store();
    let r = env.hutch(["run", "--rm", "--read-only", "-v", &format!("{}:/store:ro", store.display()), BASIC, "cat", "/run/.containerenv"]).ok();
    assert_eq!(r.stdout, "graphRootMounted=1\n");
}

#[test]
fn root_directory_mode_is_the_images_whatever_the_umask() {
    let env = env_with(&[BASIC, "fixtures/rootmode"]);
    // With umask 077 the container's /, /etc/resolv.conf, /etc/hosts and /run/.containerenv
    // were the user's private files: a non-root container user could not even start.
    let script = "umask 077; hutch run --rm -u 1000 fixtures/rootmode sh -c 'stat -c %a /; cat /etc/hostname /etc/resolv.conf /etc/hosts /run/.containerenv > /dev/null && echo readable'; \
                  hutch run --rm -u 1000 fixtures/basic stat -c %a /; \
                  hutch run --rm fixtures/basic sh -c umask";
    let r = env.program("sh", ["-c", script]);
    assert_eq!(r.code, 0, "{r:?}");
    // The image's root entry (0751), through a layer without one; no root entry: 0555, Podman's.
    // And the command gets Podman's umask, not the caller's.
    assert_eq!(r.stdout, "751\nreadable\n555\n0022\n", "{r:?}");
}
