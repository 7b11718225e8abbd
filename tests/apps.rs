//! Multi-container apps, the parts after pods and kube (issue 13), as the unprivileged test
//! user: restart policies enforced by the container's monitor, kube play's restartPolicy,
//! systemd units that follow them.

mod common;

use std::time::{Duration, Instant};

use common::net::*;
use common::*;

const BASIC: &str = "127.0.0.1:5000/fixtures/basic";

fn env_with_basic() -> Env {
    env_with(&["fixtures/basic"])
}

/// `inspect --format TEMPLATE CTR`, trimmed.
fn fmt(env: &Env, ctr: &str, template: &str) -> String {
    env.hutch(["inspect", "--format", template, ctr])
        .ok()
        .stdout
        .trim()
        .to_string()
}

fn restarts(env: &Env, ctr: &str) -> u32 {
    fmt(env, ctr, "{{.RestartCount}}").parse().unwrap()
}

fn status(env: &Env, ctr: &str) -> String {
    fmt(env, ctr, "{{.State.Status}}")
}

/// The value stays `want` for `secs` seconds (no restart after the policy gave up or a stop).
#[track_caller]
fn stays(env: &Env, ctr: &str, want: u32, secs: u64) {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(secs) {
        assert_eq!(restarts(env, ctr), want, "{ctr} was restarted again");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn restart_policies_start_exited_containers_again() {
    let env = env_with_basic();
    // on-failure:2: two restarts of a failing command, then it stays exited with its code.
    env.hutch([
        "run",
        "-d",
        "--name",
        "fails",
        "--restart=on-failure:2",
        BASIC,
        "sh",
        "-c",
        "echo try; exit 3",
    ])
    .ok();
    wait_until("two restarts", || {
        restarts(&env, "fails") == 2 && status(&env, "fails") == "exited"
    });
    stays(&env, "fails", 2, 1);
    assert_eq!(fmt(&env, "fails", "{{.State.ExitCode}}"), "3");
    assert_eq!(
        fmt(
            &env,
            "fails",
            "{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}"
        ),
        "on-failure 2"
    );
    let logs = env.hutch(["logs", "fails"]).ok().stdout;
    assert_eq!(logs, "try\ntry\ntry\n", "three runs, one log");
    // on-failure: a command that succeeds is not restarted.
    env.hutch(["run", "-d", "--name", "fine", "--restart=on-failure", BASIC, "true"])
        .ok();
    env.hutch(["wait", "fine"]).ok();
    stays(&env, "fine", 0, 1);
    // no: never.
    env.hutch(["run", "-d", "--name", "never", "--restart=no", BASIC, "false"])
        .ok();
    env.hutch(["wait", "never"]).ok();
    stays(&env, "never", 0, 1);
    // always: even after a clean exit, until `stop`, which ends it for good (also while the
    // monitor waits out its backoff).
    env.hutch(["run", "-d", "--name", "loop", "--restart=always", BASIC, "true"])
        .ok();
    wait_until("three restarts", || restarts(&env, "loop") >= 3);
    env.hutch(["stop", "loop"]).ok();
    let n = restarts(&env, "loop");
    stays(&env, "loop", n, 2);
    assert_eq!(status(&env, "loop"), "exited");
    // A start by hand counts from zero again, and the policy applies again.
    env.hutch(["start", "loop"]).ok();
    wait_until("restarts after start", || restarts(&env, "loop") >= 1);
    env.hutch(["stop", "-t", "0", "loop"]).ok();
    // unless-stopped: as always, until stopped.
    env.hutch([
        "run",
        "-d",
        "--name",
        "us",
        "--restart=unless-stopped",
        BASIC,
        "sh",
        "-c",
        "exit 0",
    ])
    .ok();
    wait_until("unless-stopped restarts", || restarts(&env, "us") >= 1);
    env.hutch(["stop", "us"]).ok();
    let n = restarts(&env, "us");
    stays(&env, "us", n, 1);
    // rm of a container whose monitor waits to restart it: gone for good.
    env.hutch(["run", "-d", "--name", "gone", "--restart=always", BASIC, "true"])
        .ok();
    wait_until("a restart", || restarts(&env, "gone") >= 2);
    env.hutch(["rm", "-f", "gone"]).ok();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(env.hutch(["container", "exists", "gone"]).code, 1);
}

#[test]
fn a_killed_server_comes_back_with_its_port_and_hutch_kill_ends_it() {
    let env = env_with_basic();
    let port = free_port();
    env.hutch([
        "run",
        "-d",
        "--name",
        "web",
        "--restart",
        "always",
        "-p",
        &format!("{port}:80"),
        BASIC,
        "sh",
        "-c",
        "mkdir -p /www && echo up > /www/index.html && exec httpd -f -p 80 -h /www",
    ])
    .ok();
    assert_eq!(http_get(port, "/"), "up\n");
    let pid: i32 = fmt(&env, "web", "{{.State.Pid}}").parse().unwrap();
    assert!(pid > 0);
    // Killed behind hutch's back (the OOM killer, a crash): the monitor starts it again, with
    // its network helper and published port.
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL).unwrap();
    wait_until("a new process", || {
        let p: i32 = fmt(&env, "web", "{{.State.Pid}}").parse().unwrap_or(0);
        p != 0 && p != pid
    });
    assert_eq!(restarts(&env, "web"), 1);
    assert_eq!(http_get(port, "/"), "up\n");
    // `hutch kill` is the user's: no restart (Podman's StoppedByUser).
    env.hutch(["kill", "web"]).ok();
    env.hutch(["wait", "web"]).ok();
    stays(&env, "web", 1, 1);
    assert_eq!(status(&env, "web"), "exited");
}

#[test]
fn restart_policy_filters_and_bad_input() {
    let env = env_with_basic();
    env.hutch(["create", "--name", "a", "--restart=always", BASIC, "true"])
        .ok();
    env.hutch(["create", "--name", "n", BASIC, "true"]).ok();
    env.hutch(["create", "--name", "o", "--restart", "on-failure:5", BASIC, "true"])
        .ok();
    let ps = |f: &str| {
        env.hutch(["ps", "-a", "--format", "{{.Names}}", "--filter", f])
            .ok()
            .stdout
    };
    assert_eq!(ps("restart-policy=always"), "a\n");
    assert_eq!(ps("restart-policy=none"), "n\n");
    assert_eq!(ps("restart-policy=on-failure"), "o\n");
    // Podman's 045-start tests: start --filter restart-policy=.
    assert_eq!(
        env.hutch(["start", "--filter", "restart-policy=always", "n"])
            .ok()
            .stdout,
        ""
    );
    assert_eq!(
        env.hutch(["start", "--filter", "restart-policy=none", "n"]).ok().stdout,
        "n\n"
    );
    let r = env.hutch(["start", "--filter", "restart-policy=fakepolicy", "n"]);
    assert_eq!(r.stderr.trim(), "Error: fakepolicy invalid restart policy", "{r:?}");
    assert_eq!(r.code, 125);
    env.hutch(["ps", "--filter", "restart-policy=x", "--filter", "restart-policy=y"])
        .fails_with("x, y invalid restart policies");
    // Bad --restart values: Podman's words, exit 125, no container made.
    for (v, err) in [
        (
            "fakepolicy",
            "\"fakepolicy\" is not a valid restart policy: invalid argument",
        ),
        (
            "always:3",
            "restart policy retries can only be specified with on-failure restart policy",
        ),
        ("on-failure:x", "parsing restart policy retry count"),
        (
            "on-failure:-1",
            "must specify restart policy retry count as a number greater than 0",
        ),
        (
            "on-failure:1:2",
            "invalid restart policy: may specify retries at most once",
        ),
    ] {
        env.hutch(["run", "-d", &format!("--restart={v}"), BASIC, "true"])
            .fails_with(err);
        env.hutch(["create", "--restart", v, BASIC, "true"]).fails_with(err);
    }
    env.hutch(["run", "--rm", "--restart=always", BASIC, "true"])
        .fails_with("the --rm option conflicts with --restart");
    env.hutch(["run", "--rm", "--restart=no", BASIC, "true"]).ok();
    assert_eq!(env.hutch(["ps", "-a", "-q"]).ok().stdout.lines().count(), 3);
}

#[test]
fn kube_restart_policy_is_enforced_and_units_follow_the_policy() {
    let env = env_with_basic();
    let yaml = format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: rp}}\nspec:\n  restartPolicy: OnFailure\n  containers:\n  - name: bad\n    image: {BASIC}\n    command: [sh, -c, 'exit 7']\n---\napiVersion: v1\nkind: Pod\nmetadata: {{name: rn}}\nspec:\n  restartPolicy: Never\n  containers:\n  - name: once\n    image: {BASIC}\n    command: [sh, -c, 'exit 7']\n---\napiVersion: v1\nkind: Pod\nmetadata: {{name: rd}}\nspec:\n  containers:\n  - name: srv\n    image: {BASIC}\n    command: [sleep, '1000']\n"
    );
    let file = env.write("rp.yaml", &yaml);
    let r = env.hutch(["kube", "play", file.to_str().unwrap()]).ok();
    assert!(!r.stderr.contains("does not restart"), "{r:?}");
    wait_until("OnFailure restarts", || restarts(&env, "rp-bad") >= 2);
    assert_eq!(fmt(&env, "rp-bad", "{{.HostConfig.RestartPolicy.Name}}"), "on-failure");
    env.hutch(["wait", "rn-once"]).ok();
    assert_eq!(fmt(&env, "rn-once", "{{.HostConfig.RestartPolicy.Name}}"), "no");
    stays(&env, "rn-once", 0, 1);
    // Kubernetes' default is Always, as in Podman's kube play.
    assert_eq!(fmt(&env, "rd-srv", "{{.HostConfig.RestartPolicy.Name}}"), "always");
    // kube generate writes the policy back (Podman's mapping), and play gives it again.
    let gen = env.hutch(["kube", "generate", "rp"]).ok().stdout;
    assert!(gen.contains("restartPolicy: OnFailure"), "{gen}");
    assert!(env
        .hutch(["kube", "generate", "rn"])
        .ok()
        .stdout
        .contains("restartPolicy: Never"));
    env.hutch(["kube", "down", file.to_str().unwrap()]).ok();
    let again = env.write("again.yaml", &gen);
    env.hutch(["kube", "play", "--start=false", again.to_str().unwrap()])
        .ok();
    assert_eq!(fmt(&env, "rp-bad", "{{.HostConfig.RestartPolicy.Name}}"), "on-failure");
    env.hutch(["kube", "down", again.to_str().unwrap()]).ok();

    // generate systemd: a --new unit restarts as the container's policy says (systemd doing
    // it; --restart is not replayed, `run --rm` refuses it); without --new, Podman's warning.
    env.hutch([
        "create",
        "--name",
        "svc",
        "--restart=on-failure:3",
        BASIC,
        "sleep",
        "1000",
    ])
    .ok();
    let r = env.hutch(["generate", "systemd", "--new", "--name", "svc"]).ok();
    assert!(r.stdout.contains("\nRestart=on-failure\n"), "{}", r.stdout);
    assert!(r.stdout.contains("\nStartLimitBurst=3\n"), "{}", r.stdout);
    let start = r.stdout.lines().find(|l| l.starts_with("ExecStart=")).unwrap();
    assert!(!start.contains("--restart"), "{start}");
    let r = env
        .hutch(["generate", "systemd", "--new", "--restart-policy", "always", "svc"])
        .ok();
    assert!(r.stdout.contains("\nRestart=always\n") && !r.stdout.contains("StartLimitBurst"));
    let r = env.hutch(["generate", "systemd", "svc"]).ok();
    assert!(
        r.stderr
            .contains("has restart policy \"on-failure\" which can lead to issues on shutdown"),
        "{r:?}"
    );
    assert!(r.stdout.contains("\nRestart=on-failure\n"));
    env.hutch(["create", "--name", "us", "--restart=unless-stopped", BASIC, "true"])
        .ok();
    let r = env.hutch(["generate", "systemd", "--new", "us"]).ok();
    assert!(r.stdout.contains("\nRestart=always\n"), "{}", r.stdout);
}

/// The rows of a `top` table, split on white space (COMMAND, last, may hold spaces).
fn top_rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .skip(1)
        .map(|l| l.split_whitespace().map(String::from).collect())
        .collect()
}

#[test]
fn top_shows_the_containers_processes_as_podman() {
    let env = env_with_basic();
    env.hutch(["run", "-d", "--name", "t", BASIC, "sh", "-c", "sleep 1000 & sleep 2000"])
        .ok();
    wait_until("two processes", || {
        env.hutch(["top", "t"]).ok().stdout.lines().count() == 3
    });
    let text = env.hutch(["top", "t"]).ok().stdout;
    let head: Vec<&str> = text.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        head,
        ["USER", "PID", "PPID", "%CPU", "ELAPSED", "TTY", "TIME", "COMMAND"]
    );
    assert!(
        text.starts_with("USER        PID         PPID        %CPU        ELAPSED"),
        "{text}"
    );
    let rows = top_rows(&text);
    // pid 1 is the command (sh exec'd it), its child the background sleep.
    assert_eq!(rows[0][..3], ["root", "1", "0"], "{text}");
    assert_eq!(rows[0][7..], ["sleep", "2000"], "{text}");
    assert_eq!(rows[1][0], "root");
    assert_eq!(rows[1][2], "1", "{text}");
    assert_eq!(rows[1][7..], ["sleep", "1000"], "{text}");
    assert_eq!(rows[0][5], "?", "no tty");
    assert!(
        rows[0][4].ends_with('s') && rows[0][6].ends_with('s'),
        "Go durations: {text}"
    );
    // Descriptors as one comma list or separate words; host ids and pids.
    let host_pid = fmt(&env, "t", "{{.State.Pid}}");
    let text = env
        .hutch(["top", "t", "pid,comm,user", "huser", "hpid", "args"])
        .ok()
        .stdout;
    let head: Vec<&str> = text.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(head, ["PID", "COMMAND", "USER", "HUSER", "HPID", "COMMAND"]);
    let rows = top_rows(&text);
    assert_eq!(rows[0][..3], ["1", "sleep", "root"]);
    assert_eq!(rows[0][4], host_pid);
    let status = std::fs::read_to_string(format!("/proc/{host_pid}/status")).unwrap();
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string();
    assert_eq!(rows[0][3], uid, "huser is the host's uid");
    // ps(1)'s AIX codes.
    let text = env.hutch(["top", "t", "%p %U %c"]).ok().stdout;
    assert_eq!(
        text.lines().next().unwrap().split_whitespace().collect::<Vec<_>>(),
        ["PID", "USER", "COMMAND"]
    );
    // Words hutch does not know go to ps(1) in the container, as with Podman.
    let text = env.hutch(["top", "t", "-ef"]).ok().stdout;
    assert!(text.contains("sleep 2000") && text.contains("PID"), "{text}");
    // Podman's table for the same container: the same users, parents and commands.
    let p = podman(
        &env,
        &[
            "run",
            "-d",
            "--name",
            "pt",
            BASIC,
            "sh",
            "-c",
            "sleep 1000 & sleep 2000",
        ],
    );
    if p.code == 0 {
        wait_until("podman's two processes", || {
            podman(&env, &["top", "pt"]).stdout.lines().count() == 3
        });
        let cols = |t: &str| -> Vec<String> {
            top_rows(t)
                .iter()
                .map(|r| format!("{} {}", r[0], r[7..].join(" ")))
                .collect()
        };
        let theirs = podman(&env, &["top", "pt"]).ok().stdout;
        assert_eq!(cols(&env.hutch(["top", "t"]).ok().stdout), cols(&theirs), "{theirs}");
        podman(&env, &["rm", "-f", "-t", "0", "pt"]);
    }
    env.hutch(["stop", "-t", "0", "t"]).ok();
    env.hutch(["top", "t"])
        .fails_with("top can only be used on running containers");
    env.hutch(["top", "nosuch"])
        .fails_with("no container with name or ID \"nosuch\"");
}

#[test]
fn pod_top_ps_pod_and_pod_units() {
    let env = env_with_basic();
    let pod_id = env
        .hutch(["pod", "create", "--name", "pp"])
        .ok()
        .stdout
        .trim()
        .to_string();
    // No running container: nothing to show.
    assert_eq!(env.hutch(["pod", "top", "pp"]).ok().stdout, "");
    env.hutch(["run", "-d", "--pod", "pp", "--name", "member", BASIC, "sleep", "1000"])
        .ok();
    env.hutch(["create", "--name", "loner", BASIC, "true"]).ok();
    let text = env.hutch(["pod", "top", "pp"]).ok().stdout;
    let rows = top_rows(&text);
    assert_eq!(rows.len(), 2, "{text}");
    // The infra's pause program, then the member, each pid 1 of its own pid namespace.
    assert_eq!(rows[0][1..3], ["1", "0"], "{text}");
    assert_eq!(rows[0][7], "/pause", "{text}");
    assert_eq!(rows[1][..3], ["root", "1", "0"], "{text}");
    assert_eq!(rows[1][7..], ["sleep", "1000"], "{text}");
    let text = env.hutch(["pod", "top", "pp", "comm,hpid"]).ok().stdout;
    assert_eq!(
        text.lines().next().unwrap().split_whitespace().collect::<Vec<_>>(),
        ["COMMAND", "HPID"]
    );
    env.hutch(["pod", "top", "nopod"])
        .fails_with("no pod with name or ID \"nopod\"");
    // ps --pod and the pod's fields.
    let text = env.hutch(["ps", "-a", "--pod"]).ok().stdout;
    let head = text.lines().next().unwrap();
    assert!(
        head.contains("  NAMES") && head.contains("  POD ID") && head.ends_with("  PODNAME"),
        "{text}"
    );
    let member = text.lines().find(|l| l.contains("member")).unwrap();
    assert!(
        member.contains(&pod_id[..12]) && member.trim_end().ends_with("pp"),
        "{text}"
    );
    let text = env
        .hutch(["ps", "-a", "--format", "{{.Pod}} {{.PodName}} {{.Names}}"])
        .ok()
        .stdout;
    let infra = format!("{}-infra", &pod_id[..12]);
    let mut got: Vec<&str> = text.lines().collect();
    got.sort();
    let mut want = vec![
        "  loner".to_string(),
        format!("{} pp {infra}", &pod_id[..12]),
        format!("{} pp member", &pod_id[..12]),
    ];
    want.sort();
    assert_eq!(got, want, "{text}");
    let names = |f: &str| {
        let mut v: Vec<String> = env
            .hutch(["ps", "-a", "--format", "{{.Names}}", "--filter", f])
            .ok()
            .stdout
            .lines()
            .map(String::from)
            .collect();
        v.sort();
        v
    };
    assert_eq!(names("pod=pp"), [infra.clone(), "member".to_string()]);
    assert_eq!(
        names(&format!("pod={}", &pod_id[..12])),
        [infra.clone(), "member".to_string()]
    );
    assert!(names("pod=nopod").is_empty());
    let json: serde_json::Value = serde_json::from_str(
        &env.hutch(["ps", "-a", "--format", "json", "--filter", "name=member"])
            .ok()
            .stdout,
    )
    .unwrap();
    assert_eq!(json[0]["Pod"], pod_id.as_str());
    assert_eq!(json[0]["PodName"], "pp");

    // generate systemd for the pod: a unit per container, bound to the pod's unit.
    let run_dir = env.run_dir().display().to_string();
    let r = env.hutch(["generate", "systemd", "--name", "--no-header", "pp"]).ok();
    assert!(
        r.stdout.contains("BindsTo=pod-pp.service\nAfter=pod-pp.service\n"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("Wants=container-member.service\nBefore=container-member.service\n"),
        "{}",
        r.stdout
    );
    assert_eq!(r.stdout.matches("[Unit]").count(), 2, "{}", r.stdout);
    let dir = env.root.join("units");
    std::fs::create_dir_all(&dir).unwrap();
    env.chown_tree(&dir);
    let r = env
        .program(
            "sh",
            [
                "-c",
                &format!("cd {} && hutch generate systemd --files --name pp", dir.display()),
            ],
        )
        .ok();
    let paths: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(
        paths,
        [
            dir.join("container-member.service").display().to_string(),
            dir.join("pod-pp.service").display().to_string()
        ]
    );
    for f in ["container-member.service", "pod-pp.service"] {
        let v = env.program(
            "sh",
            [
                "-c",
                &format!("cd {} && systemd-analyze --user verify --man=no {f}", dir.display()),
            ],
        );
        assert_eq!(v.code, 0, "systemd-analyze verify {f}: {v:?}");
        assert!(!v.stderr.contains(f), "no complaint about {f}: {v:?}");
    }
    // What systemd would run: the pod's unit starts the infra (its monitor in the PID file),
    // the container's unit its container; the pod's ExecStop stops the infra.
    let pod_unit = std::fs::read_to_string(dir.join("pod-pp.service")).unwrap();
    let ctr_unit = std::fs::read_to_string(dir.join("container-member.service")).unwrap();
    let exec = |unit: &str, key: &str| -> Vec<String> {
        unit.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("{key} in {unit}"))
            .split(' ')
            .map(|w| w.replace("%t", &run_dir))
            .collect()
    };
    env.hutch(["pod", "stop", "-t", "0", "pp"]).ok();
    let start = exec(&pod_unit, "ExecStart");
    assert_eq!(start[1..], ["start", infra.as_str()]);
    env.program(&start[0], &start[1..]).ok();
    let pidfile = pod_unit
        .lines()
        .find_map(|l| l.strip_prefix("PIDFile="))
        .unwrap()
        .to_string();
    let pid: i32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
    let cmd = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap();
    assert!(
        cmd.contains("__monitor"),
        "the PID file names the infra's monitor: {cmd:?}"
    );
    let start = exec(&ctr_unit, "ExecStart");
    env.program(&start[0], &start[1..]).ok();
    assert_eq!(status(&env, "member"), "running");
    let stop = exec(&ctr_unit, "ExecStop");
    env.program(&stop[0], &stop[1..]).ok();
    let stop = exec(&pod_unit, "ExecStop");
    env.program(&stop[0], &stop[1..]).ok();
    assert_eq!(status(&env, &infra), "exited");
    // --new: the pod made afresh at each start (tests/apps2.rs runs such units).
    let r = env.hutch(["generate", "systemd", "--new", "pp"]).ok();
    assert!(r.stdout.contains(" pod create --infra-conmon-pidfile "), "{r:?}");
}

#[test]
fn rm_all_force_takes_pods_and_pod_rm_takes_podmans_teardown_flags() {
    let env = env_with_basic();
    // Podman's system tests set up with `rm -t 0 --all --force --ignore` and tear down with
    // `pod rm -t 0 --all --force --ignore`.
    env.hutch(["pod", "create", "--name", "p1"]).ok();
    env.hutch(["run", "-d", "--pod", "p1", "--name", "m1", BASIC, "sleep", "1000"])
        .ok();
    env.hutch(["run", "-d", "--name", "solo", BASIC, "sleep", "1000"]).ok();
    let r = env.hutch(["rm", "-t", "0", "--all", "--force", "--ignore"]).ok();
    assert_eq!(
        r.stdout.lines().count(),
        3,
        "the member, the loner and the infra: {r:?}"
    );
    assert_eq!(env.hutch(["ps", "-a", "-q"]).ok().stdout, "");
    assert_eq!(
        env.hutch(["pod", "ps", "-q"]).ok().stdout,
        "",
        "the pod went with its infra"
    );
    env.hutch(["pod", "create", "--name", "p2"]).ok();
    env.hutch(["run", "-d", "--pod", "p2", BASIC, "sleep", "1000"]).ok();
    let t = Instant::now();
    env.hutch(["pod", "rm", "-t", "0", "--all", "--force", "--ignore"]).ok();
    assert!(
        t.elapsed() < Duration::from_secs(8),
        "-t 0 does not wait for the stop signal"
    );
    assert_eq!(env.hutch(["pod", "ps", "-q"]).ok().stdout, "");
    assert_eq!(env.hutch(["pod", "rm", "--ignore", "nopod"]).code, 0);
    assert_eq!(env.hutch(["pod", "rm", "nopod"]).code, 1);
}

#[test]
fn podman_spellings_of_pod_and_play_verbs() {
    let env = env_with_basic();
    // `play kube`, Podman's older spelling of `kube play`.
    let yaml = format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: old}}\nspec:\n  containers:\n  - name: c\n    image: {BASIC}\n    command: [sleep, '1000']\n"
    );
    let file = env.write("old.yaml", &yaml);
    env.hutch(["play", "kube", "--start=false", file.to_str().unwrap()])
        .ok();
    assert_eq!(env.hutch(["pod", "exists", "old"]).code, 0);
    // pod inspect's InfraConfig.HostNetwork and ExitPolicy (kube play's pods stop with their
    // last container, as Podman's).
    assert_eq!(
        env.hutch([
            "pod",
            "inspect",
            "--format",
            "{{.InfraConfig.HostNetwork}} {{.ExitPolicy}}",
            "old"
        ])
        .ok()
        .stdout
        .trim(),
        "false stop"
    );
    env.hutch(["pod", "create", "--name", "hn", "--network", "host"]).ok();
    assert_eq!(
        env.hutch(["pod", "inspect", "--format", "{{.InfraConfig.HostNetwork}}", "hn"])
            .ok()
            .stdout
            .trim(),
        "true"
    );
    // Podman's error words.
    env.hutch(["pod", "create", "--share", "bogus"])
        .fails_with("invalid kernel namespace to share: bogus");
    let r = env.hutch(["pod", "rm", "bogus"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.starts_with("Error: ") && r.stderr.contains("bogus\" found: no such pod"),
        "{r:?}"
    );
    assert_eq!(
        env.hutch(["pod", "ps", "-q"]).ok().stdout.lines().count(),
        2,
        "nothing made by the bad create"
    );
    // The global --noout (Podman's tests tear pods down with it): nothing on stdout.
    let r = env.hutch(["--noout", "pod", "rm", "-f", "-t", "0", "hn"]).ok();
    assert_eq!(r.stdout, "", "{r:?}");
    assert_eq!(env.hutch(["pod", "exists", "hn"]).code, 1);
}
