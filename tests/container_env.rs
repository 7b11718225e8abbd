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
