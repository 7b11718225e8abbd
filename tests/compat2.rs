//! More of what Podman scripts (and Podman's own system tests, see
//! compat/run-podman-system-tests) rely on: the event log (`events`, `--events-backend`,
//! containers.conf's events_logfile_path and rotation), `--noout`, `kill -s -N`, resource flags
//! on a host without cgroup controllers, `--preserve-fds`, `--log-driver none|passthrough`,
//! `wait --condition`, `State.ConmonPid`. Each test runs the real binary as the unprivileged
//! test user.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use common::*;

const BASIC: &str = "fixtures/basic";

fn image() -> String {
    format!("{PLAIN}/{BASIC}")
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

fn events(env: &Env, args: &[&str]) -> String {
    let mut a = vec!["events", "--stream=false"];
    a.extend_from_slice(args);
    env.hutch(a).ok().stdout
}

#[test]
fn events_of_containers() {
    let env = env_with(&[BASIC]);
    let img = image();
    // No container event yet (the pull is an image event).
    assert_eq!(events(&env, &["--filter", "type=container"]), "");
    env.hutch(["run", "--rm", "--name", "one", "--label", "team=blue", &img, "true"])
        .ok();
    let id = env
        .hutch(["run", "-d", "--name", "two", &img, "sh", "-c", "exit 3"])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert_eq!(env.hutch(["wait", "two"]).ok().stdout, "3\n");

    // Podman's line: TIME container STATUS ID (image=…, name=…, labels…).
    let start_one = events(&env, &["--filter", "container=one", "--filter", "event=start"]);
    let line = start_one.trim();
    assert_eq!(start_one.lines().count(), 1, "{start_one}");
    assert!(line.contains(" +0000 UTC container start "), "{line}");
    // The container's labels (the image's included, as Podman's) follow, sorted.
    // The image as the container records it (tagged).
    assert!(line.contains(&format!(" (image={img}:latest, name=one, ")), "{line}");
    assert!(
        line.ends_with(", org.hutch.fixture=fixtures/basic, team=blue)"),
        "{line}"
    );
    // The label filter alone, and status= as event=.
    assert_eq!(
        events(&env, &["-f", "label=team=blue", "--filter", "status=start"]),
        start_one
    );
    assert_eq!(
        events(&env, &["--filter", "label=team"]).lines().count(),
        events(&env, &["--filter", "container=one"]).lines().count()
    );
    // Every step of a --rm run, in order.
    let steps = events(&env, &["--filter", "container=one", "--format", "{{.Status}}"]);
    assert_eq!(steps, "create\ninit\nstart\nattach\ndied\nremove\n");
    // Values of one key are alternatives; keys must all match.
    let both = events(
        &env,
        &[
            "--filter",
            "container=one",
            "--filter",
            "container=two",
            "--filter",
            "event=start",
            "--format",
            "{{.Name}}",
        ],
    );
    assert_eq!(both, "one\ntwo\n");
    // Full ids by default, 12 characters with --no-trunc=false; templates always get full ids.
    assert!(events(&env, &["--filter", "container=two", "--filter", "event=start"]).contains(&format!(" {id} ")));
    assert!(events(
        &env,
        &[
            "--filter",
            "container=two",
            "--filter",
            "event=start",
            "--no-trunc=false"
        ]
    )
    .contains(&format!(" {} (", &id[..12])));
    // The monitor of a detached container writes its death, with the exit code.
    assert_eq!(
        events(
            &env,
            &[
                "--filter",
                "container=two",
                "--filter",
                "event=died",
                "--format",
                "{{.ID}}--{{.Image}}--{{.ContainerExitCode}}",
                "--no-trunc=false"
            ]
        ),
        format!("{id}--{img}:latest--3\n")
    );
    // Labels are in a died event's attributes; json is the log's own line.
    env.hutch(["run", "--rm", "--name", "three", "--label", "l1=v 1", &img, "true"])
        .ok();
    assert_eq!(
        events(
            &env,
            &[
                "--filter",
                "container=three",
                "--filter",
                "event=died",
                "--format",
                "{{.Attributes.l1}}"
            ]
        ),
        "v 1\n"
    );
    let j: serde_json::Value = serde_json::from_str(
        events(
            &env,
            &[
                "--filter",
                "container=three",
                "--filter",
                "event=died",
                "--format",
                "json",
            ],
        )
        .trim(),
    )
    .unwrap();
    assert_eq!(j["Type"], "container");
    assert_eq!(j["Name"], "three");
    assert_eq!(j["ContainerExitCode"], 0);
    // stop, kill, rename, rm.
    env.hutch(["run", "-d", "--name", "four", &img, "sleep", "1000"]).ok();
    env.hutch(["kill", "-s", "USR1", "four"]).ok();
    env.hutch(["rename", "four", "five"]).ok();
    env.hutch(["exec", "five", "true"]).ok();
    env.hutch(["stop", "-t", "0", "five"]).ok();
    env.hutch(["rm", "five"]).ok();
    let s = events(&env, &["--filter", "container=five", "--format", "{{.Status}}"]);
    // died is written before the exit is recorded, so before stop returns.
    assert_eq!(s, "rename\nexec\ndied\nstop\nremove\n", "{s}");
    // --since and --until.
    assert_eq!(events(&env, &["--since", "2099-01-01T00:00:00Z"]), "");
    assert_eq!(events(&env, &["--until", "2000-01-01T00:00:00Z"]), "");
    assert!(!events(&env, &["--since", "1h"]).is_empty());
    // Bad input.
    env.hutch(["events", "--stream=false", "--filter", "colour=red"])
        .fails_with("colour is an invalid filter");
    env.hutch(["events", "--stream=false", "--filter", "nonsense"])
        .fails_with("invalid filter");
    env.hutch(["events", "--stream=false", "--format", "{{.Nope"])
        .fails_with("template");
    env.hutch(["events", "--stream=false", "--since", "yesterday-ish"])
        .fails_with("--since");
}

#[test]
fn events_of_images() {
    let env = env_with(&[BASIC]);
    let img = image();
    let id = env
        .hutch(["image", "inspect", "--format", "{{.Id}}", &img])
        .ok()
        .stdout
        .trim()
        .to_string();
    let dir = path(&env, "home/pushed");
    let tar = path(&env, "home/img.tar");
    env.hutch(["push", &img, &format!("dir:{dir}")]).ok();
    env.hutch(["save", "-o", &tar, &img]).ok();
    env.hutch(["load", "-i", &tar]).ok();
    env.hutch(["tag", &img, "registry.com/x"]).ok();
    env.hutch(["untag", &img, "registry.com/x"]).ok();
    env.hutch(["tag", &img, "registry.com/x"]).ok();
    env.hutch(["rmi", "-f", &id]).ok();
    env.pull(BASIC);
    let got = events(&env, &["--filter", "type=image", "--format", "{{.Status}}--{{.Name}}"]);
    let want = [
        format!("pull--{img}"),
        format!("push--dir:{dir}"),
        format!("save--{tar}"),
        format!("loadfromarchive--{tar}"),
        "tag--registry.com/x".into(),
        "untag--registry.com/x:latest".into(),
        "tag--registry.com/x".into(),
        format!("untag--{img}:latest"),
        "untag--registry.com/x:latest".into(),
        format!("remove--{id}"),
        format!("pull--{img}"),
    ];
    assert_eq!(got.lines().collect::<Vec<_>>(), want, "{got}");
    // The human form of an image event: TIME image STATUS ID NAME.
    let line = events(&env, &["--filter", "type=image", "--filter", "event=remove"]);
    assert!(line.trim_end().ends_with(&format!(" image remove {id} {id}")), "{line}");
    // image= matches a name or an id prefix.
    assert_eq!(
        events(&env, &["--filter", "image=registry.com/x", "--format", "{{.Status}}"]),
        "tag\ntag\n"
    );
}

#[test]
fn events_backend_and_log_file() {
    let env = env_with(&[BASIC]);
    let img = image();
    // none: nothing written, and nothing to read.
    let default_log = env.run_dir().join("hutch/events/events.log");
    let before = std::fs::read_to_string(&default_log).unwrap();
    env.hutch(["--events-backend", "none", "run", "--rm", &img, "true"])
        .ok();
    assert_eq!(std::fs::read_to_string(&default_log).unwrap(), before);
    env.hutch(["--events-backend", "none", "events"])
        .fails_with("cannot read events with the \"none\" backend");
    env.hutch(["--events-backend", "none", "events", "--stream=false"])
        .fails_with("cannot read events with the \"none\" backend");
    env.hutch(["--events-backend", "journald", "events"])
        .fails_with("no journald");
    // The default file, in the runtime dir; the monitor of -d uses the flag too.
    env.hutch([
        "--events-backend=file",
        "run",
        "-d",
        "--rm",
        "--name",
        "d",
        &img,
        "true",
    ])
    .ok();
    // (The --rm monitor's rm writes the last one.)
    wait_until("the monitor's died and remove events", || {
        std::fs::read_to_string(&default_log)
            .is_ok_and(|t| t.contains("\"Status\":\"died\"") && t.contains("\"Status\":\"remove\""))
    });
    let none = path(&env, "home/none.conf");
    env.write("home/none.conf", "[engine]\nevents_logger = \"none\"\n");
    let before = std::fs::read_to_string(&default_log).unwrap();
    let r = env
        .command(["run", "-d", "--name", "quiet", &img, "true"])
        .env("CONTAINERS_CONF", &none)
        .output()
        .unwrap();
    assert!(r.status.success(), "{r:?}");
    env.hutch(["wait", "quiet"]).ok();
    assert_eq!(
        std::fs::read_to_string(&default_log).unwrap(),
        before,
        "events_logger=none: the monitor wrote nothing either"
    );

    // events_logfile_path and events_logfile_max_size: Podman's rotation keeps the newer half
    // (the line the middle falls in dropped) and records a log-rotation event.
    let log = path(&env, "home/ev/events.log");
    env.write(
        "home/c.conf",
        &format!(
            "[engine]\nevents_logger = \"file\"\nevents_logfile_path = \"{log}\"\nevents_logfile_max_size = 4750\n"
        ),
    );
    let conf = path(&env, "home/c.conf");
    let mut lines = String::new();
    for i in 0..100 {
        lines.push_str(&format!(
            "{{\"Name\":\"busybox\",\"Status\":\"pull\",\"Time\":\"2022-04-06T11:26:42.7236679{i:02}+02:00\",\"Type\":\"image\",\"Attributes\":null}}\n"
        ));
    }
    assert_eq!(lines.len(), 11300);
    env.write("home/ev/events.log", &lines);
    let id = env.hutch(["create", &img, "true"]).ok().stdout.trim().to_string();
    let r = env.command(["rm", &id]).env("CONTAINERS_CONF", &conf).output().unwrap();
    assert!(r.status.success(), "{r:?}");
    let text = std::fs::read_to_string(&log).unwrap();
    let got: Vec<&str> = text.lines().collect();
    assert_eq!(got.len(), 51, "{text}");
    assert_eq!(got[..49], lines.lines().skip(51).collect::<Vec<_>>()[..]);
    assert!(
        got[49].contains("\"Status\":\"log-rotation\"") && got[49].contains(&log),
        "{}",
        got[49]
    );
    assert!(got[50].contains("\"Status\":\"remove\""), "{}", got[50]);
    let out = env
        .command([
            "events",
            "--stream=false",
            "--since",
            "2022-03-06T11:26:42.723667984+02:00",
        ])
        .env("CONTAINERS_CONF", &conf)
        .output()
        .unwrap();
    let out = String::from_utf8(out.stdout).unwrap();
    let shown: Vec<&str> = out.lines().collect();
    assert_eq!(shown.len(), 51);
    assert!(
        shown[0].starts_with("2022-04-06 09:26:42.723667951 +0000 UTC image pull  busybox"),
        "{}",
        shown[0]
    );
    assert!(
        shown[49].ends_with(&format!("system log-rotation {log}")),
        "{}",
        shown[49]
    );
    // A bad value is an error naming the file.
    env.write("home/bad.conf", "[engine]\nevents_logfile_max_size = \"lots\"\n");
    let r = to_run(
        env.command(["events", "--stream=false"])
            .env("CONTAINERS_CONF", path(&env, "home/bad.conf"))
            .output()
            .unwrap(),
    );
    r.fails_with("events_logfile_max_size");
}

#[test]
fn events_stream() {
    let env = env_with(&[BASIC]);
    let img = image();
    let mut child = env
        .command(["events", "--filter", "event=start", "--format", "{{.Name}}"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    // Streaming starts at the end of the log: earlier events are not shown.
    std::thread::sleep(std::time::Duration::from_millis(500));
    env.hutch(["run", "--rm", "--name", "streamed", &img, "true"]).ok();
    let mut line = String::new();
    let reader = std::thread::spawn(move || {
        out.read_line(&mut line).unwrap();
        line
    });
    wait_until("the streamed event", || reader.is_finished());
    assert_eq!(reader.join().unwrap(), "streamed\n");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn noout_kill_signals_and_wait_conditions() {
    let env = env_with(&[BASIC]);
    let img = image();
    // --noout: hutch's own stdout goes nowhere; errors still show.
    let r = env
        .hutch(["--noout", "run", "-d", "--name", "n", &img, "sleep", "1000"])
        .ok();
    assert_eq!(r.stdout, "");
    assert_eq!(
        env.hutch(["--noout", "create", "--name", "c", &img, "true"])
            .ok()
            .stdout,
        ""
    );
    assert_eq!(env.hutch(["--noout", "ps", "-a"]).ok().stdout, "");
    let r = env.hutch(["--noout", "rm", "nosuch"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("Error: "), "{r:?}");
    // The foreground container's own output still shows.
    assert_eq!(
        env.hutch(["--noout", "run", "--rm", &img, "echo", "hi"]).ok().stdout,
        "hi\n"
    );
    // wait --condition running: as soon as it runs (-1, as Podman prints).
    assert_eq!(env.hutch(["wait", "--condition", "running", "n"]).ok().stdout, "-1\n");
    // kill -s takes -NUMBER and -NAME as Podman does (the dash dropped).
    env.hutch(["kill", "-s", "-9", "n"]).ok();
    assert_eq!(
        env.hutch(["wait", "--condition=exited", "--condition=stopped", "n"])
            .ok()
            .stdout,
        "137\n"
    );
    exits(env.hutch(["kill", "-s", "-0", "n"]), 125, "invalid signal: 0");
    exits(
        env.hutch(["kill", "-s", "-65", "n"]),
        125,
        "valid signals are 1 through 64",
    );
    env.hutch(["wait", "--condition", "paws", "n"]).fails_with("paws");
}

#[test]
fn resource_flags_preserve_fds_log_driver_conmon_pid() {
    let env = env_with(&[BASIC]);
    let img = image();
    // Resource limits: this host's cgroups decide (the rig's CI machine has cgroups v1, where
    // they are ignored with Podman's warning; never silently).
    let r = env.hutch([
        "run",
        "--rm",
        "--memory=0",
        "--cpus",
        "1",
        "--pids-limit",
        "-1",
        &img,
        "echo",
        "hello",
    ]);
    let v2 = std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists();
    if !v2 {
        let r = r.ok();
        assert_eq!(r.stdout, "hello\n");
        assert_eq!(
            r.stderr.lines().next(),
            Some("Resource limits are not supported and ignored on cgroups V1 rootless systems")
        );
    } else if r.code == 0 {
        assert!(
            r.stderr.contains("Resource limits are not supported and ignored"),
            "{r:?}"
        );
    } else {
        r.fails_with("--memory: hutch does not set cgroup limits");
    }

    // --preserve-fds: the caller's fd 4 (and 3) reach the container.
    env.write("home/secret", "fd four\n");
    let r = env.program(
        "sh",
        ["-c", &format!("hutch run --rm -i --preserve-fds=2 {img} sh -c 'cat <&4; ls /proc/self/fd | sort -n | tr \"\\n\" \" \"' 4<home/secret 3</dev/null")],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.starts_with("fd four\n0 1 2 3 4 "), "{r:?}");
    // Without it, no fd of the caller's passes.
    let r = env.program(
        "sh",
        ["-c", &format!("hutch run --rm {img} ls /proc/self/fd 4<home/secret")],
    );
    assert!(!r.stdout.lines().any(|l| l == "4"), "{r:?}");

    // --log-driver none: nothing logged, inspect says so, logs refuses.
    assert_eq!(
        env.hutch(["run", "--name", "nolog", "--log-driver", "none", &img, "echo", "unseen"])
            .ok()
            .stdout,
        "unseen\n"
    );
    assert_eq!(
        env.hutch([
            "inspect",
            "--format",
            "{{.HostConfig.LogConfig.Type}}:{{.HostConfig.LogConfig.Path}}",
            "nolog"
        ])
        .ok()
        .stdout,
        "none:\n"
    );
    env.hutch(["logs", "nolog"])
        .fails_with("this container is using the 'none' log driver, cannot read logs");
    env.hutch([
        "run",
        "-d",
        "--name",
        "nolog2",
        "--log-driver",
        "none",
        &img,
        "echo",
        "unseen",
    ])
    .ok();
    env.hutch(["wait", "nolog2"]).ok();
    assert!(!env
        .store()
        .join("containers")
        .join(
            env.hutch(["inspect", "--format", "{{.Id}}", "nolog2"])
                .ok()
                .stdout
                .trim()
        )
        .join("ctr.log")
        .exists());
    assert_eq!(
        env.hutch(["run", "--rm", "--log-driver", "passthrough", &img, "echo", "through"])
            .ok()
            .stdout,
        "through\n"
    );
    env.hutch(["run", "-d", "--log-driver", "passthrough", &img, "true"])
        .fails_with("passthrough");
    env.hutch(["run", "--log-driver", "journald", &img, "true"])
        .fails_with("no journald log driver");
    env.hutch(["run", "--log-driver=InvalidDriver", &img, "true"])
        .fails_with("invalid log driver");
    // k8s-file, named, is the default.
    env.hutch(["run", "--name", "k8s", "--log-driver", "k8s-file", &img, "echo", "kept"])
        .ok();
    assert_eq!(env.hutch(["logs", "k8s"]).ok().stdout, "kept\n");

    // State.ConmonPid: the monitor's pid, as --conmon-pidfile writes it.
    let pidfile = path(&env, "home/mon.pid");
    env.hutch([
        "run",
        "-d",
        "--name",
        "mon",
        "--conmon-pidfile",
        &pidfile,
        &img,
        "sleep",
        "1000",
    ])
    .ok();
    let pid = std::fs::read_to_string(&pidfile).unwrap();
    assert_eq!(
        env.hutch(["inspect", "--format", "{{.State.ConmonPid}}", "mon"])
            .ok()
            .stdout
            .trim(),
        pid.trim()
    );
    env.hutch(["rm", "-f", "-t", "0", "mon"]).ok();
}

#[test]
fn logs_of_several_and_attach() {
    let env = env_with(&[BASIC]);
    let img = image();
    // Followed together: each container's lines as they come, with its short id.
    let c1 = env
        .hutch(["run", "-d", "--name", "c1", &img, "sh", "-c", "echo a; sleep 6; echo d"])
        .ok()
        .stdout[..12]
        .to_string();
    let c2 = env
        .hutch(["run", "-d", "--name", "c2", &img, "sh", "-c", "sleep 2; echo b; echo c"])
        .ok()
        .stdout[..12]
        .to_string();
    let r = env.hutch(["logs", "-f", "c1", "c2"]).ok();
    assert_eq!(r.stdout, format!("{c1} a\n{c2} b\n{c2} c\n{c1} d\n"));

    // --attach: only the streams named are shown (both are logged); with neither stdout nor
    // stderr the container id is printed.
    let r = env
        .hutch(["run", "--name", "a1", "--attach", "stdin", &img, "echo", "hello"])
        .ok();
    let id = env.hutch(["inspect", "--format", "{{.Id}}", "a1"]).ok().stdout;
    assert_eq!(r.stdout, id);
    assert_eq!(env.hutch(["logs", "a1"]).ok().stdout, "hello\n");
    let r = env
        .hutch([
            "run",
            "--rm",
            "-a",
            "stderr",
            &img,
            "sh",
            "-c",
            "echo out; echo err >&2",
        ])
        .ok();
    assert_eq!(r.stdout, "", "{r:?}");
    assert!(r.stderr.contains("err") && !r.stderr.contains("out"), "{r:?}");
    let r = env
        .hutch([
            "run",
            "--name",
            "a3",
            "-a",
            "stdout",
            &img,
            "sh",
            "-c",
            "echo out; echo err >&2",
        ])
        .ok();
    assert_eq!(r.stdout, "out\n");
    assert!(!r.stderr.contains("err"), "{r:?}");
    let l = env.hutch(["logs", "a3"]).ok();
    assert_eq!((l.stdout.as_str(), l.stderr.as_str()), ("out\n", "err\n"));
    env.hutch(["run", "-d", "-a", "stdout", &img, "true"])
        .fails_with("cannot be used with");
    env.hutch(["run", "-a", "stdpipe", &img, "true"]).fails_with("stdpipe");
}

#[test]
fn ps_status_filter_sees_all() {
    let env = env_with(&[BASIC]);
    let img = image();
    env.hutch(["run", "--name", "stopped", &img, "true"]).ok();
    assert_eq!(env.hutch(["run", "--name", "failed", &img, "false"]).code, 1);
    env.hutch(["create", "--name", "created", &img, "true"]).ok();
    let ps = |args: &[&str]| {
        let mut v = vec!["ps", "--format", "{{.Names}}", "--sort", "names"];
        v.extend_from_slice(args);
        env.hutch(v).ok().stdout
    };
    // A status filter implies -a; stopped is exited, as Podman's.
    assert_eq!(ps(&["--filter", "status=stopped"]), "failed\nstopped\n");
    assert_eq!(ps(&["--filter", "status=exited", "--filter", "exited=1"]), "failed\n");
    assert_eq!(ps(&["--filter", "status=created"]), "created\n");
    assert_eq!(ps(&[]), "");
}

#[test]
fn rm_depend() {
    let env = env_with(&[BASIC]);
    let img = image();
    let base = env.hutch(["create", &img, "true"]).ok().stdout.trim().to_string();
    let user = env
        .hutch(["create", &format!("--network=container:{base}"), &img, "true"])
        .ok()
        .stdout
        .trim()
        .to_string();
    // Refused while a container uses its network namespace.
    let r = env.hutch(["rm", &base]);
    exits(
        r,
        125,
        &format!("container {base} has dependent containers which must be removed before it: {user}"),
    );
    assert_eq!(env.hutch(["container", "exists", &base]).code, 0);
    // --depend removes the dependents first.
    let r = env.hutch(["rm", "--depend", &base]).ok();
    assert_eq!(r.stdout, format!("{user}\n{base}\n"));
    assert_eq!(env.hutch(["ps", "-aq"]).ok().stdout, "");
    // Both named: the dependent goes first whatever the order.
    let base = env
        .hutch(["create", "--name", "b", &img, "true"])
        .ok()
        .stdout
        .trim()
        .to_string();
    env.hutch(["create", "--name", "u", "--network=container:b", &img, "true"])
        .ok();
    assert_eq!(env.hutch(["rm", "b", "u"]).ok().stdout, "u\nb\n");
    let _ = base;
    // --all takes care of the order too.
    env.hutch(["create", "--name", "b2", &img, "true"]).ok();
    env.hutch(["create", "--name", "u2", "--network=container:b2", &img, "true"])
        .ok();
    env.hutch(["rm", "--all"]).ok();
    assert_eq!(env.hutch(["ps", "-aq"]).ok().stdout, "");
}

#[test]
fn exec_failures_name_exec() {
    let env = env_with(&[BASIC]);
    // A directory as the command: 126, and the error says exec failed (as runc's does).
    exits(
        env.hutch(["run", "--rm", &image(), "/etc"]),
        126,
        "exec /etc: permission denied",
    );
    exits(
        env.hutch(["run", "--rm", &image(), "/no/such/command"]),
        127,
        "/no/such/command: no such file or directory",
    );
}

#[test]
fn implicit_pull_says_so() {
    let env = Env::new();
    let r = env
        .hutch(["run", "--rm", "--pull=missing", "--tls-verify=false", &image(), "true"])
        .ok();
    // The pull's own line, with the name as pull resolves it (Podman's too).
    assert_eq!(r.stderr, format!("Trying to pull {}:latest...\n", image()));
    // Present: nothing.
    let r = env.hutch(["run", "--rm", "--pull=missing", &image(), "true"]).ok();
    assert_eq!(r.stderr, "");
    let r = env
        .hutch(["run", "--rm", "--pull=always", "--tls-verify=false", &image(), "true"])
        .ok();
    assert!(r.stderr.starts_with("Trying to pull "), "{r:?}");
    // -q: nothing.
    let r = env
        .hutch(["create", "-q", "--pull=always", "--tls-verify=false", &image(), "true"])
        .ok();
    assert_eq!(r.stderr, "");
}

#[test]
fn stopping_state() {
    let env = env_with(&[BASIC]);
    let img = image();
    let script = "trap 'echo got TERM' TERM; echo READY; while :; do sleep 0.2; done";
    env.hutch(["run", "-d", "--name", "stopme", &img, "sh", "-c", script])
        .ok();
    wait_until("ready", || env.hutch(["logs", "stopme"]).stdout.contains("READY"));
    let mut stop = env
        .command(["stop", "-t", "30", "stopme"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_until("the stop signal", || {
        env.hutch(["logs", "stopme"]).stdout.contains("got TERM")
    });
    // While stop waits, other verbs work, and inspect says so.
    env.hutch(["ps", "-a"]).ok();
    assert_eq!(
        env.hutch(["inspect", "--format", "{{.State.Status}}", "stopme"])
            .ok()
            .stdout,
        "stopping\n"
    );
    env.hutch(["kill", "stopme"]).ok();
    assert!(stop.wait().unwrap().success());
    assert_eq!(
        env.hutch(["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "stopme"])
            .ok()
            .stdout,
        "exited 137\n"
    );
}

#[test]
fn noout_stop_zero_says_nothing() {
    let env = env_with(&[BASIC]);
    env.hutch(["run", "-d", "--rm", "--name", "stopme", &image(), "sleep", "1000"])
        .ok();
    // -t 0: the SIGKILL is what was asked for, so no "resorting to SIGKILL" note; --noout: no name.
    let r = env.hutch(["--noout", "stop", "-t", "0", "stopme"]).ok();
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", ""));
}
