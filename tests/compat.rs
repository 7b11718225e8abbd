//! Podman compatibility where scripts (and Podman's own system tests, see
//! compat/run-podman-system-tests) look: `rm -t/--ignore/--cidfile`, `rmi --ignore`,
//! `ps --filter/--sort/--external`, Podman's `info` and `version` fields, and the verbs and
//! flags added for issue 15. Each test runs the real binary as the unprivileged test user.

mod common;

use std::time::{Duration, Instant};

use common::*;

const BASIC: &str = "fixtures/basic";

#[track_caller]
fn exits(r: Run, code: i32, needle: &str) -> Run {
    assert_eq!(r.code, code, "expected exit {code}: {r:?}");
    assert!(
        r.stderr.lines().any(|l| l.starts_with("Error: ") && l.contains(needle)),
        "expected {needle:?} in an error: {r:?}"
    );
    r
}

fn sorted_lines(s: &str) -> Vec<String> {
    let mut v: Vec<String> = s.lines().map(String::from).collect();
    v.sort();
    v
}

fn all_names(env: &Env) -> Vec<String> {
    sorted_lines(&env.hutch(["ps", "-a", "--format", "{{.Names}}"]).ok().stdout)
}

#[test]
fn rm_time_ignore_and_cidfile() {
    let env = env_with(&[BASIC]);
    env.hutch(["run", "-d", "--name", "up", BASIC, "sleep", "1000"]).ok();
    env.hutch(["create", "--name", "idle", BASIC, "true"]).ok();
    // --ignore: a missing container is no error (and -t 0 kills at once).
    let t = Instant::now();
    let r = env.hutch(["rm", "-t", "0", "--all", "--force", "--ignore"]).ok();
    assert_eq!(r.stdout.lines().count(), 2, "{r:?}");
    assert!(t.elapsed() < Duration::from_secs(8), "rm -t 0 kills at once");
    assert!(all_names(&env).is_empty());
    let r = env.hutch(["rm", "--ignore", "nosuch"]).ok();
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", ""));
    exits(env.hutch(["rm", "nosuch"]), 1, "nosuch");
    // -t N: the stop signal first; sleep as pid 1 ignores SIGTERM, so SIGKILL after N seconds.
    env.hutch(["run", "-d", "--name", "slow", BASIC, "sleep", "1000"]).ok();
    let t = Instant::now();
    env.hutch(["rm", "-f", "-t", "1", "slow"]).ok();
    assert!(t.elapsed() >= Duration::from_secs(1), "waited for the grace time");
    // --cidfile names the container by the id in a file.
    let id = env.hutch(["create", BASIC, "true"]).ok().stdout.trim().to_string();
    let f = env.write("ctr.cid", &format!("{id}\n"));
    let r = env.hutch(["rm", "--cidfile", f.to_str().unwrap()]).ok();
    assert_eq!(r.stdout.trim(), id);
    assert!(all_names(&env).is_empty());
    // A cidfile that is gone: an error, unless --ignore.
    exits(env.hutch(["rm", "--cidfile", f.to_str().unwrap()]), 1, &id[..12]);
    std::fs::remove_file(&f).unwrap();
    env.hutch(["rm", "--ignore", "--cidfile", f.to_str().unwrap()]).ok();
    env.hutch(["rm", "--cidfile", f.to_str().unwrap()])
        .fails_with("reading cidfile");
    // Bad input: a clear error, nothing removed.
    env.hutch(["rm", "-t", "x", "--all"]).fails_with("invalid value 'x'");
}

#[test]
fn rmi_ignore() {
    let env = env_with(&[BASIC]);
    let r = env.hutch(["rmi", "--ignore", "nosuch"]).ok();
    assert_eq!(r.stderr, "");
    exits(env.hutch(["rmi", "nosuch"]), 1, "nosuch");
    // --ignore does not hide other failures: an image in use is still refused.
    env.hutch(["create", "--name", "user1", BASIC, "true"]).ok();
    exits(env.hutch(["rmi", "-i", BASIC, "nosuch"]), 2, "user1");
    env.hutch(["rm", "user1"]).ok();
    env.hutch(["rmi", "-i", BASIC, "nosuch"]).ok();
    assert_eq!(env.hutch(["images", "-q"]).ok().stdout, "");
}

#[test]
fn ps_filter_sort_external() {
    let env = env_with(&[BASIC]);
    env.hutch(["create", "--name", "web-1", "--label", "tier=front", BASIC, "true"])
        .ok();
    env.hutch([
        "create",
        "--name",
        "db",
        "--label",
        "tier=back",
        "--label",
        "x",
        BASIC,
        "true",
    ])
    .ok();
    let up = env
        .hutch(["run", "-d", "--name", "web-2", BASIC, "sleep", "1000"])
        .ok()
        .stdout;
    env.hutch(["run", "--name", "done", BASIC, "sh", "-c", "exit 3"]);
    let ps = |args: &[&str]| {
        let mut v = vec!["ps", "--format", "{{.Names}}"];
        v.extend_from_slice(args);
        sorted_lines(&env.hutch(v).ok().stdout)
    };
    // Without -a a filter sees running containers only, as Podman's.
    assert_eq!(ps(&["--filter", "name=^web"]), ["web-2"]);
    assert_eq!(ps(&["-a", "--filter", "name=^web"]), ["web-1", "web-2"]);
    assert_eq!(ps(&["-a", "-f", "label=tier=back"]), ["db"]);
    assert_eq!(ps(&["-a", "-f", "label=x"]), ["db"]);
    assert_eq!(ps(&["-f", "label=x"]), Vec::<String>::new());
    assert_eq!(ps(&["-a", "-f", "status=running"]), ["web-2"]);
    assert_eq!(ps(&["-a", "-f", "status=created"]), ["db", "web-1"]);
    assert_eq!(ps(&["-a", "-f", "exited=3"]), ["done"]);
    assert_eq!(ps(&["-a", "--filter", &format!("id={}", &up.trim()[..8])]), ["web-2"]);
    // Values of one key are alternatives, different keys must all match.
    assert_eq!(ps(&["-a", "-f", "name=db", "-f", "name=done"]), ["db", "done"]);
    assert_eq!(ps(&["-a", "-f", "name=web", "-f", "status=created"]), ["web-1"]);
    assert_eq!(ps(&["-a", "-f", &format!("ancestor={BASIC}")]).len(), 4);
    assert_eq!(ps(&["-a", "-f", "ancestor=other"]), Vec::<String>::new());
    // --sort names; --external lists the same (hutch's store has only its own containers).
    let r = env
        .hutch(["ps", "-a", "--external", "--sort", "names", "--format", "{{.Names}}"])
        .ok();
    assert_eq!(r.stdout, "db\ndone\nweb-1\nweb-2\n");
    // Oldest first, as Podman's.
    let r = env
        .hutch(["ps", "-a", "--sort", "created", "--format", "{{.Names}}"])
        .ok();
    assert_eq!(r.stdout.lines().next(), Some("web-1"));
    env.hutch(["ps", "-f", "bogus=1"]).fails_with("unknown key \"bogus\"");
    env.hutch(["ps", "-f", "name"]).fails_with("expected KEY=VALUE");
    env.hutch(["ps", "-f", "status=sleepy"])
        .fails_with("status must be one of");
    env.hutch(["ps", "--sort", "color"]).fails_with("invalid value 'color'");
    env.hutch(["rm", "-f", "-a"]).ok();
}

#[test]
fn info_and_version_answer_podmans_fields() {
    let env = Env::new();
    let ver = env!("CARGO_PKG_VERSION");
    let r = env
        .hutch([
            "info",
            "--format",
            "{{.Host.OCIRuntime.Name}}|{{.Host.LogDriver}}|{{.Host.EventLogger}}|{{.Store.GraphDriverName}}|{{.Store.ImageStore.Number}}|{{.Host.Security.Rootless}}|{{.Host.CgroupManager}}",
        ])
        .ok();
    assert_eq!(r.stdout, "hutch|k8s-file|file|overlay|0|true|cgroupfs\n");
    let r = env
        .hutch(["info", "--format", "{{.Host.CgroupsVersion}} {{.Host.NetworkBackend}}"])
        .ok();
    let cg = if std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        "v2"
    } else {
        "v1"
    };
    assert!(r.stdout.starts_with(&format!("{cg} ")), "{r:?}");
    assert!(
        ["podman\n", "pasta\n", "slirp4netns\n"]
            .iter()
            .any(|n| r.stdout.ends_with(n)),
        "{r:?}"
    );
    let j: serde_json::Value = serde_json::from_str(&env.hutch(["info", "--format", "json"]).ok().stdout).unwrap();
    let os = std::fs::read_to_string("/etc/os-release").unwrap();
    let id = os
        .lines()
        .find_map(|l| l.strip_prefix("ID="))
        .unwrap()
        .trim_matches('"');
    assert_eq!(j["host"]["distribution"]["distribution"], id);
    assert_eq!(j["store"]["containerStore"]["number"], 0);
    assert_eq!(j["version"]["Version"], ver);
    // The text output has Podman's key names.
    let text = env.hutch(["info"]).ok().stdout;
    for k in [
        "ociRuntime:",
        "graphDriverName: overlay",
        "imageStore:",
        "cgroupVersion: v",
        "logDriver: k8s-file",
    ] {
        assert!(text.contains(k), "{k} in {text}");
    }
    // version: Podman's layout and its template fields.
    let r = env.hutch(["version"]).ok();
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines[0].starts_with("Client:"), "{r:?}");
    assert_eq!(lines[1].split_whitespace().collect::<Vec<_>>(), ["Version:", ver]);
    assert!(r.stdout.contains(&format!("API Version:  {ver}\n")), "{r:?}");
    let r = env
        .hutch([
            "version",
            "--format",
            "{{.Client.Version}} {{.Server.Version}} {{.Version}}",
        ])
        .ok();
    assert_eq!(r.stdout, format!("{ver} {ver} {ver}\n"));
    let j: serde_json::Value = serde_json::from_str(&env.hutch(["version", "--format", "json"]).ok().stdout).unwrap();
    assert_eq!(j["Client"]["APIVersion"], ver);
}

#[test]
fn untag_and_history_alias() {
    let env = env_with(&[BASIC]);
    let full = format!("{PLAIN}/{BASIC}:latest");
    env.hutch(["tag", BASIC, "app:1", "app:2", "quay.io/me/web:1"]).ok();
    // Short names are looked up as Podman does; the image keeps its other names.
    env.hutch(["untag", BASIC, "app:1", "me/web:1"]).ok();
    let names = |env: &Env| {
        sorted_lines(
            &env.hutch(["images", "--format", "{{.Repository}}:{{.Tag}}"])
                .ok()
                .stdout,
        )
    };
    assert_eq!(names(&env), [full.clone(), "localhost/app:2".to_string()]);
    // A name the image does not have: an error, nothing removed.
    env.hutch(["untag", BASIC, "app:2", "nosuch:9"])
        .fails_with("nosuch:9: tag not known");
    assert_eq!(names(&env).len(), 2);
    exits(env.hutch(["untag", "nosuch"]), 125, "nosuch: image not known");
    // No NAME: every name goes; the image stays, dangling.
    env.hutch(["image", "untag", "localhost/app:2"]).ok();
    assert_eq!(names(&env), ["<none>:<none>"]);
    let id = env.hutch(["images", "-q"]).ok().stdout.trim().to_string();
    // `history` is `image history`.
    let h = env.hutch(["history", "-q", &id]).ok().stdout;
    assert_eq!(h, env.hutch(["image", "history", "-q", &id]).ok().stdout);
    assert!(!h.is_empty());
}

#[test]
fn rename_and_container_exists() {
    let env = env_with(&[BASIC]);
    env.hutch(["create", "--name", "one", BASIC, "true"]).ok();
    env.hutch(["create", "--name", "two", BASIC, "true"]).ok();
    assert_eq!(env.hutch(["container", "exists", "one"]).code, 0);
    let r = env.hutch(["container", "exists", "nosuch"]);
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (1, "", ""));
    env.hutch(["rename", "one", "uno"]).ok();
    assert_eq!(env.hutch(["container", "exists", "one"]).code, 1);
    assert_eq!(env.hutch(["container", "exists", "uno"]).code, 0);
    env.hutch(["container", "rename", "uno", "two"])
        .fails_with("\"two\" is already in use");
    env.hutch(["rename", "uno", "bad/name"]).fails_with("names must match");
    exits(
        env.hutch(["rename", "nosuch", "x"]),
        125,
        "no container with name or ID \"nosuch\"",
    );
    // The renamed container still runs and is found by its new name.
    let r = env.hutch(["start", "-a", "uno"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(all_names(&env), ["two", "uno"]);
}

#[test]
fn run_cidfile_replace_tz_env_host_log_driver() {
    let env = env_with(&[BASIC]);
    let cid = env.root.join("run.cid");
    let cids = cid.to_str().unwrap();
    let id = env
        .hutch(["create", "--cidfile", cids, "--name", "c", BASIC, "true"])
        .ok()
        .stdout;
    assert_eq!(std::fs::read_to_string(&cid).unwrap(), id.trim());
    // An existing cidfile is refused before anything is created.
    env.hutch(["run", "--cidfile", cids, BASIC, "true"])
        .fails_with("container id file");
    assert_eq!(all_names(&env), ["c"]);
    // --replace: the container of that name goes first, running or not.
    env.hutch(["run", "-d", "--name", "c", "--replace", BASIC, "sleep", "1000"])
        .ok();
    assert_eq!(all_names(&env).len(), 1);
    let r = env
        .hutch(["run", "--rm", "--name", "c", "--replace", BASIC, "echo", "replaced"])
        .ok();
    assert_eq!(r.stdout, "replaced\n");
    assert!(all_names(&env).is_empty());
    env.hutch(["run", "--name", "c", BASIC, "true"]).ok();
    env.hutch(["run", "--name", "c", BASIC, "true"])
        .fails_with("already in use");
    env.hutch(["run", "--replace", BASIC, "true"])
        .fails_with("--replace needs --name");
    // --tz: the zone's file is the container's /etc/localtime.
    let r = env
        .hutch([
            "run",
            "--rm",
            "--tz",
            "Asia/Kolkata",
            BASIC,
            "sh",
            "-c",
            "echo $TZ; tail -n 1 /etc/localtime",
        ])
        .ok();
    assert_eq!(r.stdout, "Asia/Kolkata\nIST-5:30\n", "{r:?}");
    env.hutch(["run", "--rm", "--tz", "Mars/Olympus", BASIC, "true"])
        .fails_with("--tz Mars/Olympus");
    // --env-host: the host's variables, under -e.
    let mut c = env.command([
        "run",
        "--rm",
        "--env-host",
        "-e",
        "B=mine",
        BASIC,
        "sh",
        "-c",
        "echo $A $B",
    ]);
    c.env("A", "from-host").env("B", "host-b");
    let r = to_run(c.output().unwrap());
    assert_eq!(r.stdout, "from-host mine\n", "{r:?}");
    // ... and under --env-file, over the image's (PATH), as Podman orders them.
    let f = env.write("host.env", "A=from-file\n");
    let mut c = env.command([
        "run",
        "--rm",
        "--env-host",
        "--env-file",
        f.to_str().unwrap(),
        BASIC,
        "sh",
        "-c",
        "echo $A $PATH",
    ]);
    c.env("A", "from-host").env("PATH", "/host/bin:/usr/bin:/bin");
    let r = to_run(c.output().unwrap());
    assert_eq!(r.stdout, "from-file /host/bin:/usr/bin:/bin\n", "{r:?}");
    // --log-driver k8s-file is what hutch logs with (none and passthrough keep no log, see
    // tests/compat2.rs); journald is refused.
    env.hutch(["run", "--rm", "--log-driver", "k8s-file", BASIC, "true"])
        .ok();
    env.hutch(["run", "--rm", "--log-driver", "journald", BASIC, "true"])
        .fails_with("no journald log driver");
}

#[test]
fn logs_since_until() {
    let env = env_with(&[BASIC]);
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
    };
    let before = now();
    env.hutch([
        "run",
        "-d",
        "--name",
        "l",
        BASIC,
        "sh",
        "-c",
        "echo first; sleep 1.5; echo second",
    ])
    .ok();
    wait_until("both lines", || env.hutch(["logs", "l"]).stdout.lines().count() == 2);
    let mid = format!("{:.3}", before + 1.0);
    let logs = |args: &[&str]| {
        let mut v = vec!["logs"];
        v.extend_from_slice(args);
        v.push("l");
        env.hutch(v).ok().stdout
    };
    assert_eq!(logs(&["--since", &format!("{before}")]), "first\nsecond\n");
    assert_eq!(logs(&["--since", &mid]), "second\n");
    assert_eq!(logs(&["--until", &mid]), "first\n");
    assert_eq!(logs(&["--until", &format!("{before}")]), "");
    // A duration counts back from now; RFC 3339 times work too.
    assert_eq!(logs(&["--since", "1h"]), "first\nsecond\n");
    assert_eq!(logs(&["--until", "1h"]), "");
    assert_eq!(logs(&["--since", "2000-01-01T00:00:00Z"]), "first\nsecond\n");
    env.hutch(["logs", "--since", "yesterday", "l"])
        .fails_with("--since \"yesterday\"");
}

#[test]
fn start_all_and_filter() {
    let env = env_with(&[BASIC]);
    env.hutch(["create", "--name", "a", "--label", "k=1", BASIC, "sleep", "1000"])
        .ok();
    env.hutch(["create", "--name", "b", BASIC, "sleep", "1000"]).ok();
    // --filter picks among the named ones.
    env.hutch(["start", "--filter", "label=k=1", "a", "b"]).ok();
    let running = || sorted_lines(&env.hutch(["ps", "--format", "{{.Names}}"]).ok().stdout);
    assert_eq!(running(), ["a"]);
    env.hutch(["start", "--all"]).ok();
    assert_eq!(running(), ["a", "b"]);
    env.hutch(["start", "--all", "a"])
        .fails_with("either start all containers or the container(s) provided in the arguments");
    env.hutch(["start", "--filter", "bogus=1", "a"])
        .fails_with("unknown key");
    env.hutch(["rm", "-f", "-t", "0", "-a"]).ok();
}

#[test]
fn images_filter_sort_labels() {
    let env = env_with(&[BASIC, "fixtures/plain"]);
    env.hutch(["tag", BASIC, "zeta:1", "alpha:2"]).ok();
    let imgs = |args: &[&str]| {
        let mut v = vec!["images", "--format", "{{.Repository}}:{{.Tag}}"];
        v.extend_from_slice(args);
        env.hutch(v).ok().stdout
    };
    // As Podman: the images that have a matching name, with all their names.
    let basic_names = format!("{PLAIN}/{BASIC}:latest\nlocalhost/zeta:1\nlocalhost/alpha:2\n");
    assert_eq!(imgs(&["--filter", "reference=zeta"]), basic_names);
    assert_eq!(imgs(&["-f", "reference=*eta:*"]), basic_names);
    assert_eq!(imgs(&["-f", "reference=localhost/alpha:2"]), basic_names);
    assert_eq!(
        imgs(&["-f", "reference=fixtures/plain"]),
        format!("{PLAIN}/fixtures/plain:latest\n")
    );
    assert_eq!(imgs(&["-f", "dangling=true"]), "");
    assert_eq!(imgs(&["-f", "reference=nosuch"]), "");
    let sorted = imgs(&["--sort", "repository"]);
    let v: Vec<&str> = sorted.lines().collect();
    let mut s = v.clone();
    s.sort();
    assert_eq!(v, s, "sorted by repository");
    assert_eq!(v.len(), 4);
    // Labels come from the image config (each fixture has org.hutch.fixture=NAME).
    let r = env
        .hutch([
            "images",
            "--format",
            "{{index .Labels \"org.hutch.fixture\"}}",
            "-f",
            "reference=fixtures/plain",
        ])
        .ok();
    assert_eq!(r.stdout, "fixtures/plain\n");
    assert_eq!(
        imgs(&["-f", "label=org.hutch.fixture=fixtures/plain"]),
        format!("{PLAIN}/fixtures/plain:latest\n")
    );
    assert_eq!(imgs(&["-f", "label=org.hutch.fixture=nope"]), "");
    let id = env
        .hutch(["images", "-q", "fixtures/plain"])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert_eq!(
        env.hutch(["images", "-q", "-f", &format!("id={}", &id[..6])])
            .ok()
            .stdout
            .trim(),
        id
    );
    env.hutch(["images", "-f", "color=red"])
        .fails_with("unknown key \"color\"");
    env.hutch(["images", "-f", "dangling=maybe"])
        .fails_with("expected true or false");
    env.hutch(["images", "--sort", "color"])
        .fails_with("invalid value 'color'");
}

#[test]
fn podmans_wording_and_signals() {
    let env = env_with(&[BASIC]);
    // Podman's messages, which scripts match.
    exits(
        env.hutch(["rm", "bogus"]),
        1,
        "no container with name or ID \"bogus\" found: no such container",
    );
    env.hutch(["kill", "-s", "0", "nosuch"]).fails_with("invalid signal: 0");
    env.hutch(["kill", "-s", "SIGBADSIG", "nosuch"])
        .fails_with("invalid signal: SIGBADSIG");
    env.hutch(["kill", "-s", "65", "nosuch"])
        .fails_with("valid signals are 1 through 64");
    let tar = env.write("bad.tar", "this is not a tar archive at all, not even close");
    env.hutch(["load", "-i", tar.to_str().unwrap()])
        .fails_with("payload does not match any of the supported image formats");
    // Real-time signals reach the container (by number or name).
    env.hutch([
        "run",
        "-d",
        "--name",
        "sig",
        BASIC,
        "sh",
        "-c",
        "trap 'echo got64' 64; trap 'echo got35' 35; echo ready; while :; do sleep 0.1; done",
    ])
    .ok();
    wait_until("ready", || env.hutch(["logs", "sig"]).stdout.contains("ready"));
    env.hutch(["kill", "-s", "64", "sig"]).ok();
    wait_until("got64", || env.hutch(["logs", "sig"]).stdout.contains("got64"));
    env.hutch(["kill", "-s", "SIGRTMIN+1", "sig"]).ok();
    wait_until("got35", || env.hutch(["logs", "sig"]).stdout.contains("got35"));
    // stop --ignore: a missing container is no error.
    let r = env.hutch(["stop", "--ignore", "-t", "0", "nosuch", "sig"]).ok();
    assert_eq!(r.stdout, "sig\n");
    exits(env.hutch(["stop", "nosuch"]), 125, "no such container");
    // image history answers {{.CreatedSince}}.
    let r = env
        .hutch(["image", "history", "--format", "{{.CreatedSince}}", BASIC])
        .ok();
    assert!(r.stdout.lines().all(|l| l.ends_with(" ago")), "{r:?}");
}

#[test]
fn inspect_image_fields_cp_wording_stop_warning() {
    let env = env_with(&[BASIC]);
    env.hutch(["tag", BASIC, "other/name:v2"]).ok();
    // ImageName is the name asked for (of an image with several); ImageDigest its manifest's.
    env.hutch(["create", "--name", "c", "other/name:v2", "sleep", "1000"])
        .ok();
    let digest = env
        .hutch(["image", "inspect", "--format", "{{.Digest}}", BASIC])
        .ok()
        .stdout;
    let r = env
        .hutch([
            "container",
            "inspect",
            "--format",
            "{{.ImageName}} {{.ImageDigest}}",
            "c",
        ])
        .ok();
    assert_eq!(r.stdout, format!("localhost/other/name:v2 {digest}"));
    // cp: Podman's words for a path the container lacks.
    env.hutch(["cp", "c:/nonexistent", "x"])
        .fails_with("\"/nonexistent\" could not be found on container");
    // stop: the SIGKILL fallback is said (sleep as pid 1 ignores SIGTERM).
    env.hutch(["start", "c"]).ok();
    let r = env.hutch(["stop", "-t", "1", "c"]).ok();
    assert!(
        r.stderr
            .contains("StopSignal SIGTERM failed to stop container c in 1 seconds, resorting to SIGKILL"),
        "{r:?}"
    );
}

#[test]
fn images_json_times_are_rfc3339() {
    let env = env_with(&[BASIC]);
    let j: serde_json::Value = serde_json::from_str(&env.hutch(["images", "--format", "json"]).ok().stdout).unwrap();
    let t = j[0]["CreatedAt"].as_str().unwrap();
    assert!(t.len() == 20 && t.as_bytes()[10] == b'T' && t.ends_with('Z'), "{t}");
}

#[test]
fn logs_of_several_containers() {
    let env = env_with(&[BASIC]);
    env.hutch(["run", "--name", "c1", BASIC, "echo", "one"]).ok();
    env.hutch(["run", "--name", "c2", BASIC, "echo", "two"]).ok();
    // Several containers: each line starts with its container's short id, as Podman's.
    let id = |n: &str| env.hutch(["inspect", "--format", "{{.Id}}", n]).ok().stdout[..12].to_string();
    let (i1, i2) = (id("c1"), id("c2"));
    assert_eq!(
        env.hutch(["logs", "c1", "c2"]).ok().stdout,
        format!("{i1} one\n{i2} two\n")
    );
    exits(env.hutch(["logs", "c1", "nosuch"]), 125, "nosuch");
    // Followed together (tests/compat2.rs follows running ones).
    let f = env.hutch(["logs", "-f", "c1", "c2"]).ok().stdout;
    assert_eq!(sorted_lines(&f), sorted_lines(&format!("{i1} one\n{i2} two\n")));
}

#[test]
fn run_rmi_and_log_opt() {
    let env = env_with(&[BASIC]);
    // --rmi: the image stays while another container uses it, then goes.
    env.hutch(["create", "--name", "keep", BASIC, "true"]).ok();
    env.hutch(["run", "--rmi", BASIC, "true"]).ok();
    assert_eq!(env.hutch(["image", "exists", BASIC]).code, 0);
    assert_eq!(all_names(&env), ["keep"], "--rmi implies --rm");
    env.hutch(["rm", "keep"]).ok();
    let r = env.hutch(["run", "--rmi", BASIC, "echo", "bye"]).ok();
    assert_eq!(r.stdout, "bye\n");
    assert_eq!(env.hutch(["image", "exists", BASIC]).code, 1);
    env.pull(BASIC);
    env.hutch(["run", "-d", "--rmi", BASIC, "true"])
        .fails_with("cannot be used with");
    // --log-opt max-size: the log starts over at that size.
    env.hutch([
        "run",
        "--name",
        "big",
        "--log-opt",
        "max-size=1k",
        BASIC,
        "sh",
        "-c",
        "seq 1 2000",
    ])
    .ok();
    let len = std::fs::metadata(
        env.store()
            .join("containers")
            .join(env.hutch(["inspect", "--format", "{{.Id}}", "big"]).ok().stdout.trim())
            .join("ctr.log"),
    )
    .unwrap()
    .len();
    assert!(len <= 1024 + 200, "log kept under its limit: {len}");
    env.hutch(["run", "--log-opt", "tag=x", BASIC, "true"])
        .fails_with("--log-opt tag=x: unknown option");
    env.hutch(["run", "--log-opt", "max-size=lots", BASIC, "true"])
        .fails_with("not a size");
}
