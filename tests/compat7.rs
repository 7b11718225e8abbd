//! What Podman scripts (and Podman's own system tests 005-info, 030-run, 070-build, 610-format,
//! see compat/run-podman-system-tests) rely on, added in session 23 (branch compat7): `info`'s
//! builder, monitor and short-name fields, the pods' infra image under Podman's name
//! (`localhost/podman-pause:VERSION-BUILT`), `--ulimit` on `run`/`create`/`exec`/`build` (and
//! `build --security-opt`), and exit status 126 for a container whose published port is taken
//! (it stays created unless `--rm`). Each test runs the real binary as the unprivileged test
//! user.

mod common;

use common::*;

const BASIC: &str = "fixtures/basic";

fn image() -> String {
    format!("{PLAIN}/{BASIC}")
}

fn version(env: &Env) -> String {
    env.hutch(["version", "--format", "{{.Version}}"])
        .ok()
        .stdout
        .trim()
        .to_string()
}

#[test]
fn info_names_the_builder_the_monitor_and_where_short_names_go() {
    let env = env_with(&[BASIC]);
    let ver = version(&env);
    let r = env.hutch(["info", "--format", "json"]).ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    // hutch builds images itself: its builder's version is hutch's.
    assert_eq!(v["host"]["buildahVersion"], ver.as_str(), "{v}");
    // Its container monitor is hutch itself, not conmon: the path is this binary.
    let exe = v["host"]["conmon"]["path"].as_str().unwrap();
    assert_eq!(
        std::fs::canonicalize(exe).unwrap(),
        std::fs::canonicalize(hutch_bin()).unwrap(),
        "{v}"
    );
    assert!(
        v["host"]["conmon"]["package"].as_str().unwrap().contains("no conmon"),
        "{v}"
    );
    assert_eq!(v["host"]["os"], "linux");
    assert_eq!(v["registries"]["search"], serde_json::json!(["docker.io"]));
    assert_eq!(v["store"]["imageStore"]["number"], 1);
    // The text form has the same keys, Podman's way.
    let text = env.hutch(["info"]).ok().stdout;
    for key in ["buildahVersion: ", "registries:", "  search:", "conmon:", "  os: linux"] {
        assert!(text.contains(key), "{key:?} in {text}");
    }
    let t = env.hutch(["info", "--format", "{{.Host.BuildahVersion}}"]).ok();
    assert_eq!(t.stdout.trim(), ver);
}

#[test]
fn the_pods_infra_image_has_podmans_name_and_can_be_removed() {
    let env = Env::new();
    let built = env
        .hutch(["version", "--format", "{{.Server.Version}}-{{.Server.Built}}"])
        .ok()
        .stdout;
    let pause = format!("localhost/podman-pause:{}", built.trim());
    let pod = env
        .hutch(["pod", "create", "--name", "p1"])
        .ok()
        .stdout
        .trim()
        .to_string();
    env.hutch(["image", "exists", &pause]).ok();
    let names = env
        .hutch(["images", "--format", "{{.Repository}}:{{.Tag}}"])
        .ok()
        .stdout;
    assert!(names.lines().any(|l| l == pause), "{names}");
    // In use by the pod's infra container: rmi refuses; after the pod is gone it goes.
    let r = env.hutch(["rmi", &pause]);
    assert_ne!(r.code, 0, "{r:?}");
    env.hutch(["pod", "rm", &pod]).ok();
    env.hutch(["rmi", &pause]).ok();
    assert_eq!(env.hutch(["image", "exists", &pause]).code, 1);
    // The next pod makes it again, locally.
    env.hutch(["pod", "create", "--name", "p2"]).ok();
    env.hutch(["image", "exists", &pause]).ok();
    env.hutch(["pod", "rm", "-f", "p2"]).ok();
}

/// "soft:hard" of the "Max open files" line of /proc/self/limits in `out`.
fn nofile(out: &str) -> String {
    let l = out
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap_or_default();
    let f: Vec<&str> = l.split_whitespace().collect();
    format!("{}:{}", f.get(3).unwrap_or(&""), f.get(4).unwrap_or(&""))
}

#[test]
fn ulimits_on_run_create_and_exec() {
    let env = env_with(&[BASIC]);
    let img = image();
    let r = env
        .hutch([
            "run",
            "--rm",
            "--ulimit",
            "nofile=101:102",
            &img,
            "cat",
            "/proc/self/limits",
        ])
        .ok();
    assert_eq!(nofile(&r.stdout), "101:102", "{r:?}");
    // One value is both; a repeated type keeps its last value.
    let r = env
        .hutch([
            "run",
            "--rm",
            "--ulimit",
            "nofile=50",
            "--ulimit",
            "nofile=60",
            &img,
            "cat",
            "/proc/self/limits",
        ])
        .ok();
    assert_eq!(nofile(&r.stdout), "60:60", "{r:?}");
    // A created container keeps them; exec'd processes get them too.
    env.hutch([
        "create",
        "--name",
        "lim",
        "--ulimit",
        "nofile=70:80",
        &img,
        "sleep",
        "1000",
    ])
    .ok();
    env.hutch(["start", "lim"]).ok();
    let r = env.hutch(["exec", "lim", "cat", "/proc/self/limits"]).ok();
    assert_eq!(nofile(&r.stdout), "70:80", "{r:?}");
    env.hutch(["rm", "-f", "-t", "0", "lim"]).ok();
    // Bad values: exit 125, nothing created.
    env.hutch(["run", "--rm", "--ulimit", "nofile=5:4", &img, "true"])
        .fails_with("soft limit must be less than or equal to hard limit");
    env.hutch(["create", "--name", "bad", "--ulimit", "bogus=1", &img, "true"])
        .fails_with("unknown limit \"bogus\"");
    env.hutch(["run", "--rm", "--ulimit", "nofile", &img, "true"])
        .fails_with("use TYPE=SOFT[:HARD]");
    assert_eq!(env.hutch(["ps", "-aq"]).ok().stdout, "");
    // Above the user's own hard limit: the start fails (126), naming the limit.
    let r = env.hutch(["run", "--rm", "--ulimit", "nofile=1:999999999", &img, "true"]);
    r.exits(126, "--ulimit nofile=1:999999999: cannot set the limit");
}

#[test]
fn build_ulimit_and_security_opt_reach_run_steps() {
    let env = env_with(&[BASIC]);
    let img = image();
    env.write(
        "ctx/Containerfile",
        &format!(
            "FROM {img}\nRUN grep Seccomp: /proc/self/status | tr -d ' \\t'\nRUN grep 'Max open files' /proc/self/limits | awk '{{ print $4\":\"$5 }}'\n"
        ),
    );
    let ctx = path(&env, "ctx");
    let r = env
        .hutch(["build", "--ulimit", "nofile=101:102", "-t", "localhost/lim", &ctx])
        .ok();
    assert!(r.stdout.lines().any(|l| l == "Seccomp:2"), "{r:?}");
    assert!(r.stdout.lines().any(|l| l == "101:102"), "{r:?}");
    env.hutch(["rmi", "-f", "localhost/lim"]).ok();
    // Another seccomp setting is another step (not the cached one).
    let r = env
        .hutch([
            "build",
            "--security-opt",
            "seccomp=unconfined",
            "-t",
            "localhost/lim",
            &ctx,
        ])
        .ok();
    assert!(r.stdout.lines().any(|l| l == "Seccomp:0"), "{r:?}");
    env.hutch(["build", "--ulimit", "nofile=x", &ctx])
        .fails_with("--ulimit nofile=x");
    env.hutch(["build", "--security-opt", "bogus", &ctx])
        .fails_with("--security-opt bogus: unknown option");
    // Runtime flags are refused as `run` refuses them (hutch's runtime takes none).
    env.hutch(["--runtime-flag", "invalidflag", "build", &ctx])
        .exits(126, "--runtime-flag invalidflag");
    // No Containerfile: Podman's words name the Dockerfile looked for.
    std::fs::create_dir_all(env.root.join("empty")).unwrap();
    env.chown_tree(&env.root.join("empty"));
    env.hutch(["build", &path(&env, "empty")])
        .fails_with("empty/Dockerfile: no such file or directory");
}

#[test]
fn a_taken_port_fails_the_start_with_126_and_rm_removes_it() {
    let env = env_with(&[BASIC]);
    let img = image();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let publish = format!("{port}:80");
    env.hutch([
        "run", "-d", "--rm", "-p", &publish, "--name", "c_ok", &img, "sleep", "1000",
    ])
    .ok();
    let r = env.hutch(["run", "-d", "-p", &publish, "--name", "c_no_rm", &img, "sleep", "1000"]);
    r.exits(126, "is already in use");
    let r = env.hutch([
        "run", "-d", "--rm", "-p", &publish, "--name", "c_rm", &img, "sleep", "1000",
    ]);
    r.exits(126, "is already in use");
    // The one without --rm stays (created, not running); the --rm one is gone.
    let names = env
        .hutch(["ps", "-a", "--sort", "names", "--format", "{{.Names}}"])
        .ok()
        .stdout;
    assert_eq!(names, "c_no_rm\nc_ok\n");
    env.hutch(["rm", "-f", "-t", "0", "c_ok", "c_no_rm"]).ok();
}
