//! What a process finds around it in a hutch container, end to end as an unprivileged user:
//! stdio a non-root user can reopen, /etc files behind image symlinks, Podman's environment
//! (TERM, container, HOSTNAME, /run/.containerenv, the root directory's mode) and the
//! --userns=keep-id user's name and home.

mod common;

use std::io::Write;
use std::process::Stdio;

use common::*;

const BASIC: &str = "fixtures/basic";

/// hutch with `input` on its stdin.
fn hutch_with_input(env: &Env, args: &[&str], input: &str) -> Run {
    let mut child = env
        .command(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    to_run(child.wait_with_output().unwrap())
}

/// The test user as the host's passwd has it: (name, uid, gid, group name, home).
fn host_user(env: &Env) -> (String, u32, u32, String, String) {
    let u = env
        .user
        .clone()
        .unwrap_or_else(|| nix::unistd::User::from_uid(nix::unistd::getuid()).unwrap().unwrap());
    let g = nix::unistd::Group::from_gid(u.gid).unwrap().unwrap();
    (
        u.name,
        u.uid.as_raw(),
        u.gid.as_raw(),
        g.name,
        u.dir.display().to_string(),
    )
}

#[test]
fn a_non_root_user_can_open_dev_stdout_stderr_and_stdin() {
    let env = env_with(&[BASIC]);
    let script = "echo hi > /dev/stdout; echo err > /dev/stderr";
    // Foreground.
    let r = env.hutch(["run", "--rm", "-u", "1000", BASIC, "sh", "-c", script]).ok();
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("hi\n", "err\n"), "{r:?}");
    let r = hutch_with_input(
        &env,
        &["run", "--rm", "-i", "-u", "1000", BASIC, "cat", "/dev/stdin"],
        "typed\n",
    )
    .ok();
    assert_eq!(r.stdout, "typed\n", "{r:?}");
    // Detached: the monitor's log has both.
    env.hutch(["run", "-d", "--name", "bg", "-u", "1000", BASIC, "sh", "-c", script])
        .ok();
    assert_eq!(env.hutch(["wait", "bg"]).ok().stdout, "0\n");
    let r = env.hutch(["logs", "bg"]).ok();
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("hi\n", "err\n"), "{r:?}");
    // exec -u into a container that runs as root.
    env.hutch(["run", "-d", "--name", "box", BASIC, "sleep", "1000"]).ok();
    let r = env.hutch(["exec", "-u", "1000", "box", "sh", "-c", script]).ok();
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("hi\n", "err\n"), "{r:?}");
    let r = hutch_with_input(
        &env,
        &["exec", "-i", "-u", "tester", "box", "cat", "/dev/stdin"],
        "to exec\n",
    )
    .ok();
    assert_eq!(r.stdout, "to exec\n", "{r:?}");
}

#[test]
fn a_non_root_user_can_open_its_terminal() {
    let env = env_with(&[BASIC]);
    let script = "echo on-the-tty > /dev/stdout && stat -L -c owner=%u /dev/stdout";
    let r = env.hutch_tty(&["run", "--rm", "-t", "-u", "1000", BASIC, "sh", "-c", script], "");
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains("on-the-tty") && r.stdout.contains("owner=1000"),
        "{r:?}"
    );
    env.hutch(["run", "-d", "--name", "box", BASIC, "sleep", "1000"]).ok();
    let r = env.hutch_tty(&["exec", "-t", "-u", "1000", "box", "sh", "-c", script], "");
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains("on-the-tty") && r.stdout.contains("owner=1000"),
        "{r:?}"
    );
}

#[test]
fn the_callers_files_and_terminal_stay_out_of_the_container() {
    let env = env_with(&[BASIC]);
    // Output to a file of the user's: written through hutch, the file's owner never changes.
    let out = env.write("home/out.txt", "");
    let before = owner(&out);
    let f = std::fs::OpenOptions::new().append(true).open(&out).unwrap();
    let st = env
        .command([
            "run",
            "--rm",
            "-u",
            "1000",
            BASIC,
            "sh",
            "-c",
            "echo 1; echo 2 >&2; echo 3 > /dev/stdout; echo 4 > /dev/stderr",
        ])
        .stdout(f.try_clone().unwrap())
        .stderr(f)
        .status()
        .unwrap();
    assert!(st.success());
    // stdout and stderr were one file: one pipe, so the order holds.
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "1\n2\n3\n4\n");
    assert_eq!(owner(&out), before);
    // The terminal hutch runs in is not the container's: its /dev/tty leads nowhere.
    let r = env.hutch_tty(
        &[
            "run",
            "--rm",
            BASIC,
            "sh",
            "-c",
            "echo leaked > /dev/tty || echo no-tty",
        ],
        "",
    );
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
    let r = env
        .hutch([
            "run",
            "--name",
            "rl",
            "--hostname",
            "linkhost",
            "--dns",
            "192.0.2.1",
            "fixtures/resolvlink",
            "sh",
            "-c",
            script,
        ])
        .ok();
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
    assert_eq!(
        r.stdout.lines().filter(|l| l.starts_with("TERM=")).collect::<Vec<_>>(),
        ["TERM=vt100"],
        "{r:?}"
    );
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
    let r = env
        .hutch(["run", "--rm", "-u", "1000", BASIC, "wc", "-c", "/run/.containerenv"])
        .ok();
    assert_eq!(r.stdout.split_whitespace().next(), Some("0"), "{r:?}");
    // …and a privileged one's tells the engine, name, ids, image and rootless.
    let r = env
        .hutch([
            "run",
            "--privileged",
            "--name",
            "priv",
            BASIC,
            "cat",
            "/run/.containerenv",
        ])
        .ok();
    let id = env
        .hutch(["inspect", "--format", "{{.Id}}", "priv"])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert_eq!(id.len(), 64);
    let want = format!(
        "engine=\"hutch-{}\"\nname=\"priv\"\nid=\"{id}\"\nimage=\"{PLAIN}/{BASIC}:latest\"\nimageid=\"{image_id}\"\nrootless=1\n",
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(r.stdout, want);
    // The store as a volume: graphRootMounted=1. A read-only root keeps the file.
    let store = env.store();
    let r = env
        .hutch([
            "run",
            "--rm",
            "--read-only",
            "-v",
            &format!("{}:/store:ro", store.display()),
            BASIC,
            "cat",
            "/run/.containerenv",
        ])
        .ok();
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

#[test]
fn keep_id_user_has_a_name_a_group_and_a_home() {
    let env = env_with(&[BASIC]);
    let (name, uid, gid, group, home) = host_user(&env);
    let script = "id -un; id -gn; echo $HOME; stat -c %u:%g $HOME; touch $HOME/mine && echo home-writable; grep \"^$(id -un):\" /etc/passwd | busybox cut -d: -f1-6; test -x \"$(grep \"^$(id -un):\" /etc/passwd | busybox cut -d: -f7)\" && echo shell-ok";
    let want = format!("{name}\n{group}\n{home}\n{uid}:{gid}\nhome-writable\n{name}:*:{uid}:{gid}::{home}\nshell-ok\n");
    let r = env
        .hutch(["run", "--name", "kid", "--userns=keep-id", BASIC, "sh", "-c", script])
        .ok();
    assert_eq!(r.stdout, want, "{r:?}");
    // Started again: the entries are there once.
    let r = env.hutch(["start", "-a", "kid"]).ok();
    assert_eq!(r.stdout, want, "{r:?}");
    let count = format!("grep -c '^{name}:' /etc/passwd; grep -c '^{group}:' /etc/group");
    env.hutch(["run", "-d", "--name", "kd", "--userns=keep-id", BASIC, "sleep", "1000"])
        .ok();
    assert_eq!(env.hutch(["exec", "kd", "sh", "-c", &count]).ok().stdout, "1\n1\n");
    assert_eq!(
        env.hutch(["exec", "kd", "sh", "-c", "id -un; echo $HOME"]).ok().stdout,
        format!("{name}\n{home}\n")
    );
    // A read-only root gets them too.
    let r = env
        .hutch([
            "run",
            "--rm",
            "--read-only",
            "--userns=keep-id",
            BASIC,
            "sh",
            "-c",
            "id -un; echo $HOME",
        ])
        .ok();
    assert_eq!(r.stdout, format!("{name}\n{home}\n"));
    // Only the containers' copies changed: not the image's layers (nor their keep-id copies),
    // and a container without keep-id has the image's files.
    let r = env.hutch([
        "run",
        "--rm",
        BASIC,
        "sh",
        "-c",
        &format!("grep -c '^{name}:' /etc/passwd /etc/group; ls -d {home} 2>&1"),
    ]);
    assert_eq!(
        r.stdout,
        format!("/etc/passwd:0\n/etc/group:0\nls: {home}: No such file or directory\n"),
        "{r:?}"
    );
    let mut checked = 0;
    for l in env.layer_dirs(BASIC) {
        // layers/<id>/diff, and the keep-id copy layers/<id>/keepid-<uid>/diff.
        let copies = std::fs::read_dir(l.parent().unwrap())
            .unwrap()
            .flatten()
            .map(|e| e.path().join("diff"))
            .filter(|d| d.is_dir());
        for dir in std::iter::once(l.clone()).chain(copies) {
            for f in ["etc/passwd", "etc/group"] {
                let text = std::fs::read_to_string(dir.join(f)).unwrap();
                assert!(
                    !text.contains(&format!("{name}:")),
                    "{} was changed",
                    dir.join(f).display()
                );
                checked += 1;
            }
        }
    }
    // 2: the layer's files; 4: and its keep-id copy's (HUTCH_KEEPID_METHOD=copy; the default,
    // fuse-overlayfs, copies nothing).
    assert!(
        checked == 2 || checked == 4,
        "the layer's files (and any keep-id copy's) were checked: {checked}"
    );
}
