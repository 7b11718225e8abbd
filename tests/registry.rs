//! Registries that need credentials, TLS, retries; concurrency and crash safety of pulls.

mod common;

use std::time::{Duration, Instant};

use common::*;

fn ca_into_certs_d(env: &Env, registry: &str) {
    let ca = std::fs::read_to_string(rig_dir().join("ca.crt")).expect("the rig's CA");
    env.write(&format!("config/containers/certs.d/{registry}/ca.crt"), &ca);
}

#[test]
fn basic_auth_over_verified_tls_with_login_and_logout() {
    let env = Env::new();
    let image = format!("{AUTH}/private/basic");
    // Unknown CA: refused, with a hint.
    env.hutch(["pull", &image]).fails_with("over HTTPS");
    ca_into_certs_d(&env, AUTH);
    env.hutch(["pull", &image]).fails_with("requires authentication");
    env.hutch(["pull", "--creds", "testuser:wrong", &image])
        .fails_with("invalid username or password");
    env.hutch(["login", "-u", "testuser", "-p", "wrong", AUTH])
        .fails_with("invalid username or password");
    assert!(
        !env.run_dir().join("containers/auth.json").exists(),
        "a failed login writes nothing"
    );

    let mut c = env.command(["login", "-u", "testuser", "--password-stdin", AUTH]);
    c.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"testpass\n").unwrap();
    let r = to_run(child.wait_with_output().unwrap()).ok();
    assert_eq!(r.stdout, "Login Succeeded!\n");
    let auth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(env.run_dir().join("containers/auth.json")).unwrap()).unwrap();
    assert_eq!(auth["auths"][AUTH]["auth"], "dGVzdHVzZXI6dGVzdHBhc3M=");
    assert_eq!(env.hutch(["login", "--get-login", AUTH]).ok().stdout, "testuser\n");

    env.hutch(["pull", &image]).ok();
    assert!(env.hutch(["images"]).ok().stdout.contains("private/basic"));

    assert_eq!(
        env.hutch(["logout", AUTH]).ok().stdout,
        format!("Removed login credentials for {AUTH}\n")
    );
    env.hutch(["logout", AUTH])
        .fails_with(&format!("not logged into {AUTH}"));
    env.hutch(["login", "-u", "testuser", "-p", "x", "bad host/"])
        .fails_with("invalid registry");
}

#[test]
fn credentials_from_registry_auth_file_and_docker_config() {
    let env = Env::new();
    ca_into_certs_d(&env, AUTH);
    let doc = format!("{{\"auths\":{{\"https://{AUTH}/v1/\":{{\"auth\":\"dGVzdHVzZXI6dGVzdHBhc3M=\"}}}}}}");
    env.write("home/.docker/config.json", &doc);
    env.hutch(["pull", &format!("{AUTH}/private/basic")]).ok();
    env.write("home/.docker/config.json", "{ not json");
    env.hutch(["pull", &format!("{AUTH}/private/basic")])
        .fails_with("config.json is not valid JSON");
    let f = env.write("config/other-auth.json", &doc);
    env.hutch([
        "pull",
        "--authfile",
        f.to_str().unwrap(),
        &format!("{AUTH}/private/basic"),
    ])
    .ok();
}

#[test]
fn bearer_token_auth() {
    let env = Env::new();
    let image = format!("{BEARER}/fixtures/basic");
    env.hutch(["pull", "--tls-verify=false", &image]).fails_with("");
    env.hutch(["pull", "--tls-verify=false", "--creds", "testuser:nope", &image])
        .fails_with("authentication");
    env.hutch([
        "login",
        "--tls-verify=false",
        "-u",
        "testuser",
        "-p",
        "testpass",
        BEARER,
    ])
    .ok();
    env.hutch(["pull", "--tls-verify=false", &image]).ok();
}

#[test]
fn transient_registry_failures_are_retried_and_corruption_is_caught() {
    let env = Env::new();
    // Every manifest and blob first answers 503 or drops the connection.
    let id = env
        .hutch(["pull", "--tls-verify=false", &format!("{FLAKY}/fixtures/multi")])
        .ok()
        .stdout;
    assert_eq!(id.trim().len(), 64);
    env.hutch(["pull", "--tls-verify=false", &format!("{FLAKY}/ratelimit/basic")])
        .ok();
    let r = env
        .hutch(["pull", "--tls-verify=false", &format!("{FLAKY}/corrupt/basic")])
        .fails_with("digest mismatch");
    assert!(r.stderr.contains("sha256:"), "{r:?}");
    let listed = env.hutch(["images"]).ok().stdout;
    assert!(!listed.contains("corrupt"), "{listed}");
}

#[test]
fn concurrent_pulls_of_one_image_both_succeed_and_store_it_once() {
    let env = Env::new();
    let image = format!("{PLAIN}/fixtures/multi");
    let spawn = || {
        env.command(["pull", "--tls-verify=false", &image])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (
        to_run(a.wait_with_output().unwrap()).ok(),
        to_run(b.wait_with_output().unwrap()).ok(),
    );
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(env.hutch(["images", "-q"]).ok().stdout.lines().count(), 1);
    assert_eq!(env.layer_count(), 3);
    assert!(env.entries("tmp").is_empty(), "{:?}", env.entries("tmp"));
}

#[test]
fn kill_during_pull_leaves_nothing_visible_and_nothing_blocking() {
    let env = Env::new();
    let image = format!("{FLAKY}/slow/multi");
    let mut child = env
        .command(["pull", "--tls-verify=false", &image])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until a layer is being extracted, then kill -9.
    let start = Instant::now();
    while !env
        .entries("tmp")
        .iter()
        .any(|n| n.starts_with("layer-") && !n.ends_with(".lock"))
    {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "pull never started extracting"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "pull finished before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!env.entries("tmp").is_empty(), "the killed pull left work in progress");
    assert_eq!(env.hutch(["images", "-q"]).ok().stdout, "");
    // A new pull is not blocked, and sweeps the debris.
    env.pull("fixtures/multi");
    assert!(env.entries("tmp").is_empty(), "{:?}", env.entries("tmp"));
    assert_eq!(env.layer_count(), 3);
}

#[test]
fn progress_bars_on_a_terminal() {
    let env = Env::new();
    let inner = env.command(["pull", "--tls-verify=false", &format!("{PLAIN}/fixtures/multi")]);
    let mut cmdline = String::from("env TERM=xterm ");
    cmdline.push_str(&inner.get_program().to_string_lossy());
    for a in inner.get_args() {
        cmdline.push_str(&format!(" '{}'", a.to_string_lossy()));
    }
    // script(1) gives hutch a terminal; the environment passes through it.
    let mut c = std::process::Command::new("script");
    c.args(["-qec", &cmdline, "/dev/null"])
        .current_dir(&env.root)
        .env_clear()
        .env("TERM", "xterm");
    for (k, v) in inner.get_envs() {
        if let Some(v) = v {
            c.env(k, v);
        }
    }
    c.env("TERM", "xterm");
    let r = to_run(c.output().unwrap()).ok();
    assert!(r.stdout.contains("Copying blob"), "{r:?}");
    assert!(r.stdout.contains("Trying to pull"), "{r:?}");
}
