//! Multi-container apps, issue 13 continued, as the unprivileged test user: pod exit policies,
//! the infra image from containers.conf, `rm --depend` of an infra container, `--share`
//! without net, kube play's annotations, URLs, host ports and `--build`, and bind and tmpfs
//! volumes with Podman's NeedsCopyUp/NeedsChown.

mod common;

use common::*;

fn pod_state(env: &Env, pod: &str) -> String {
    fmt(env, &["pod", "inspect", pod], "{{.State}}")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn pod_exit_policy_stop_stops_the_pod_with_its_last_container() {
    let env = env_with_basic();
    env.hutch(["pod", "create", "--exit-policy", "bogus", "--name", "x"])
        .fails_with("invalid pod exit policy: \"bogus\"");
    assert_eq!(env.hutch(["pod", "exists", "x"]).code, 1, "nothing made");

    // continue (the default): the infra keeps running, the pod is Degraded.
    env.hutch(["pod", "create", "--name", "cont"]).ok();
    assert_eq!(fmt(&env, &["pod", "inspect", "cont"], "{{.ExitPolicy}}"), "continue");
    env.hutch(["run", "--pod", "cont", BASIC, "true"]).ok();
    assert_eq!(pod_state(&env, "cont"), "Degraded");

    // stop: once the last member exited, the infra is stopped: the pod is Exited. Both for a
    // foreground run and for a detached one (its monitor does it).
    env.hutch(["pod", "create", "--name", "stop", "--exit-policy", "stop"])
        .ok();
    assert_eq!(fmt(&env, &["pod", "inspect", "stop"], "{{.ExitPolicy}}"), "stop");
    env.hutch(["run", "-d", "--pod", "stop", "--name", "long", BASIC, "sleep", "1000"])
        .ok();
    env.hutch(["run", "--pod", "stop", BASIC, "true"]).ok();
    assert_eq!(pod_state(&env, "stop"), "Degraded", "another member still runs");
    env.hutch(["stop", "-t", "0", "long"]).ok();
    wait_until("the pod to exit", || pod_state(&env, "stop") == "Exited");
    env.hutch(["pod", "rm", "-f", "stop", "cont"]).ok();

    // kube play's pods have the stop policy, as Podman's.
    let yaml = env.write(
        "p.yaml",
        &format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: k\nspec:\n  restartPolicy: Never\n  containers:\n  - name: c\n    image: {BASIC}\n    command: [\"true\"]\n"
        ),
    );
    env.hutch(["kube", "play", yaml.to_str().unwrap()]).ok();
    assert_eq!(fmt(&env, &["pod", "inspect", "k"], "{{.ExitPolicy}}"), "stop");
    wait_until("the kube pod to exit", || pod_state(&env, "k") == "Exited");
}

#[test]
fn infra_containers_rm_depend_and_the_infra_image_from_containers_conf() {
    let env = env_with_basic();
    let c = env
        .hutch(["create", "--pod", "new:p", BASIC])
        .ok()
        .stdout
        .trim()
        .to_string();
    let infra = fmt(&env, &["pod", "inspect", "p"], "{{.InfraContainerID}}");
    for args in [vec!["rm", &infra[..]], vec!["rm", "--force", &infra[..]]] {
        env.hutch(&args)
            .fails_with("cannot be removed without removing the pod");
    }
    // --depend takes the pod: its members, then the infra.
    let r = env.hutch(["rm", "--depend", &infra]).ok();
    assert_eq!(r.stdout, format!("{c}\n{infra}\n"));
    assert_eq!(env.hutch(["pod", "exists", "p"]).code, 1);
    assert_eq!(env.hutch(["ps", "-aq"]).ok().stdout, "");

    // containers.conf [engine] infra_image; one that cannot be pulled is named in Podman's
    // words, and nothing is made.
    let missing = "127.0.0.1:5000/fixtures/no-such-infra:1";
    let conf = env.write(
        "conf/containers.conf",
        &format!("[engine]\ninfra_image = \"{missing}\"\n"),
    );
    for args in [
        vec!["pod", "create", "--name", "q"],
        vec!["create", "--pod", "new:q", BASIC],
    ] {
        let r = to_run(env.command(&args).env("CONTAINERS_CONF", &conf).output().unwrap());
        r.fails_with(&format!("initializing source docker://{missing}: "));
        assert_eq!(env.hutch(["pod", "exists", "q"]).code, 1);
    }
    let good = env.write("conf/good.conf", &format!("[engine]\ninfra_image = \"{BASIC}\"\n"));
    let r = env
        .command(["pod", "create", "--name", "g"])
        .env("CONTAINERS_CONF", &good)
        .output()
        .unwrap();
    to_run(r).ok();
    let infra = fmt(&env, &["pod", "inspect", "g"], "{{.InfraContainerID}}");
    assert_eq!(
        fmt(&env, &["inspect", &infra], "{{.ImageName}}"),
        format!("{BASIC}:latest")
    );
}

#[test]
fn pod_add_host_and_dns_reach_its_containers() {
    let env = env_with_basic();
    env.hutch([
        "pod",
        "create",
        "--name",
        "d",
        "--add-host",
        "db.example.xyz:172.20.1.2",
        "--dns",
        "172.20.9.9",
        "--dns-search",
        "apps3.abc",
        "--dns-option",
        "ndots:3",
    ])
    .ok();
    let r = env
        .hutch([
            "run",
            "--rm",
            "--pod",
            "d",
            BASIC,
            "sh",
            "-c",
            "cat /etc/hosts /etc/resolv.conf",
        ])
        .ok();
    assert!(r.stdout.contains("172.20.1.2\tdb.example.xyz"), "{r:?}");
    assert!(r.stdout.contains("nameserver 172.20.9.9"), "{r:?}");
    assert!(r.stdout.contains("search apps3.abc"), "{r:?}");
    assert!(r.stdout.contains("options ndots:3"), "{r:?}");
    // A container's own --dns wins; its --add-host lines come after the pod's.
    let r = env
        .hutch([
            "run",
            "--rm",
            "--pod",
            "d",
            "--dns",
            "172.20.8.8",
            "--add-host",
            "own.xyz:172.20.1.3",
            BASIC,
            "sh",
            "-c",
            "cat /etc/hosts /etc/resolv.conf",
        ])
        .ok();
    assert!(
        r.stdout.contains("nameserver 172.20.8.8") && !r.stdout.contains("172.20.9.9"),
        "{r:?}"
    );
    let pod_line = r.stdout.find("db.example.xyz").unwrap();
    assert!(r.stdout.find("own.xyz").unwrap() > pod_line, "{r:?}");
    env.hutch(["pod", "create", "--infra=false", "--dns", "1.1.1.1"])
        .fails_with("--add-host and --dns*");
}

#[test]
fn share_without_net_and_plus_syntax() {
    let env = env_with_basic();
    env.hutch(["pod", "create", "--share", "ipc", "--name", "i"]).ok();
    assert_eq!(fmt(&env, &["pod", "inspect", "i"], "{{.SharedNamespaces}}"), "[ipc]");
    assert_eq!(
        fmt(&env, &["pod", "inspect", "i"], "{{.InfraConfig.HostNetwork}}"),
        "false"
    );
    // Its containers have their own uts namespace (and network: tests/apps4.rs).
    let r = env.hutch(["run", "--rm", "--pod", "i", "--hostname", "foobar", BASIC, "hostname"]);
    assert_eq!(r.ok().stdout, "foobar\n");
    env.hutch(["pod", "create", "--share", "ipc", "--network", "host", "--name", "h"])
        .ok();
    assert_eq!(
        fmt(&env, &["pod", "inspect", "h"], "{{.InfraConfig.HostNetwork}}"),
        "true"
    );
    env.hutch(["pod", "create", "--share", "+pid", "--name", "i", "--replace"])
        .ok();
    let shared = fmt(&env, &["pod", "inspect", "i"], "{{.SharedNamespaces}}");
    for ns in ["net", "ipc", "uts", "pid"] {
        assert!(shared.contains(ns), "{shared}");
    }
    env.hutch(["pod", "create", "--share", "bogus"])
        .fails_with("invalid kernel namespace to share: bogus");
}

/// Serve `body` over HTTP to `n` requests on a new port; returns the URL base.
fn serve(body: String, n: usize) -> String {
    use std::io::{Read, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://127.0.0.1:{}", l.local_addr().unwrap().port());
    std::thread::spawn(move || {
        for s in l.incoming().take(n) {
            let mut s = s.unwrap();
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    base
}

#[test]
fn kube_play_annotations_urls_host_ports_and_notes_after_the_report() {
    let env = env_with_basic();
    let port = free_port();
    let yaml = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  annotations:\n    team: blue\nspec:\n  containers:\n  - name: srv\n    image: {BASIC}\n    command: [sleep, \"1000\"]\n    securityContext:\n      seLinuxOptions: {{level: \"s0:c1,c2\"}}\n    ports:\n    - containerPort: {port}\n"
    );
    // From a URL, --annotation added to the YAML's; the notes come after the report.
    let base = serve(yaml.clone(), 2);
    let r = sh(
        &env,
        &format!("hutch kube play --annotation name=abc {base}/web.yaml 2>&1"),
    )
    .ok();
    assert!(r.stdout.starts_with("Pod:\n"), "{r:?}");
    assert!(r.stdout.contains("seLinuxOptions: not supported"), "{r:?}");
    assert_eq!(
        fmt(&env, &["inspect", "web-srv"], "{{.Config.Annotations}}"),
        "map[name:abc team:blue]"
    );
    // A containerPort without hostPort is not published (as Podman's since 4.4).
    assert_eq!(
        fmt(&env, &["pod", "inspect", "web"], "{{len .InfraConfig.PortBindings}}"),
        "0"
    );
    assert_eq!(fmt(&env, &["inspect", "web-srv"], "{{.State.Running}}"), "true");
    env.hutch(["kube", "down", &format!("{base}/web.yaml")]).ok();
    assert_eq!(env.hutch(["pod", "exists", "web"]).code, 1);

    // Podman's length limit on annotation values (63), on the command line and in the YAML.
    let file = env.write("web.yaml", &yaml);
    let long = "x".repeat(64);
    env.hutch([
        "kube",
        "play",
        "--annotation",
        &format!("name={long}"),
        file.to_str().unwrap(),
    ])
    .fails_with("annotation exceeds maximum size, 63, of kubernetes annotation");
    let bad = env.write("bad.yaml", &yaml.replace("team: blue", &format!("team: {long}")));
    env.hutch(["kube", "play", bad.to_str().unwrap()])
        .fails_with(&format!("invalid annotation \"team\"=\"{long}\""));
    assert_eq!(env.hutch(["ps", "-aq"]).ok().stdout, "", "nothing made");
    // run --annotation.
    env.hutch(["create", "--name", "a", "--annotation", "k=v", BASIC]).ok();
    assert_eq!(fmt(&env, &["inspect", "a"], "{{.Config.Annotations}}"), "map[k:v]");
}

#[test]
fn kube_play_build_from_the_context_dir() {
    let env = env_with_basic();
    let image = "localhost/apps3/userimage:1";
    let yaml = env.write(
        "k/pod.yaml",
        &format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: b\nspec:\n  containers:\n  - name: c\n    image: {image}\n    command: [id]\n"),
    );
    let yaml = yaml.to_str().unwrap();
    env.write("ctx/userimage/Containerfile", &format!("FROM {BASIC}\nUSER 1:1\n"));
    let ctx = path(&env, "ctx");
    // No such directory here: the image is pulled, which fails.
    let r = env.hutch(["kube", "play", "--build", "--start=false", yaml]);
    assert_eq!(r.code, 125, "{r:?}");
    assert_eq!(env.hutch(["pod", "exists", "b"]).code, 1);
    let r = env
        .hutch(["kube", "play", "--context-dir", &ctx, "--build", "--start=false", yaml])
        .ok();
    assert!(r.stdout.starts_with("Pod:\n"), "build output stays off stdout: {r:?}");
    assert_eq!(fmt(&env, &["inspect", "b-c"], "{{.Config.User}}"), "1:1");
    // Without --build, an image that exists is not built again; from the current directory.
    let before = fmt(&env, &["image", "inspect", image], "{{.Id}}");
    sh(
        &env,
        &format!("cd {ctx} && hutch kube play --replace --start=false {yaml}"),
    )
    .ok();
    assert_eq!(fmt(&env, &["image", "inspect", image], "{{.Id}}"), before);
    env.hutch([
        "kube",
        "play",
        "--build=false",
        "--replace",
        "--context-dir",
        "/nonexistent",
        yaml,
    ])
    .ok();
    env.hutch([
        "kube",
        "play",
        "--build",
        "--replace",
        "--context-dir",
        "/nonexistent",
        yaml,
    ])
    .fails_with("--context-dir /nonexistent: not a directory");
}

#[test]
fn bind_and_tmpfs_volumes_and_copy_up_flags() {
    let env = env_with_basic();
    env.hutch(["volume", "create", "-o", "type=bind", "-o", "device=/bogus", "b"])
        .fails_with("invalid volume option device for driver 'local': stat /bogus: no such file or directory");
    env.write("dev/myfile", "hello\n");
    let dev = path(&env, "dev");
    let r = env
        .hutch([
            "volume",
            "create",
            "-o",
            "type=bind",
            "-o",
            &format!("device={dev}"),
            "-o",
            "o=bind",
            "b",
        ])
        .ok();
    assert_eq!(r.stdout, "b\n");
    assert_eq!(fmt(&env, &["volume", "inspect", "b"], "{{.Mountpoint}}"), dev);
    let r = env
        .hutch([
            "run",
            "--rm",
            "-v",
            "b:/vol:z",
            BASIC,
            "sh",
            "-c",
            "stat -c %u:%s /vol/myfile; echo new > /vol/f2",
        ])
        .ok();
    assert_eq!(r.stdout, "0:6\n");
    assert_eq!(std::fs::read_to_string(env.root.join("dev/f2")).unwrap(), "new\n");
    assert_eq!(
        owner(&env.root.join("dev")),
        owner(&env.root.join("dev/myfile")),
        "left as it was"
    );
    env.hutch(["volume", "rm", "b"]).ok();
    assert!(env.root.join("dev/myfile").exists(), "the device's files stay");

    env.hutch([
        "volume",
        "create",
        "-o",
        "type=tmpfs",
        "-o",
        "device=tmpfs",
        "-o",
        "o=size=2m",
        "t",
    ])
    .ok();
    let r = env
        .hutch([
            "run",
            "--rm",
            "-v",
            "t:/vol",
            BASIC,
            "sh",
            "-c",
            "stat -f -c %T /vol; df -k /vol | tail -1",
        ])
        .ok();
    let mut lines = r.stdout.lines();
    assert_eq!(lines.next(), Some("tmpfs"));
    assert!(lines.next().unwrap().split_whitespace().nth(1) == Some("2048"), "{r:?}");
    env.hutch(["volume", "create", "-o", "type=ext4", "x"])
        .fails_with("type=ext4");

    // NeedsCopyUp stays until something was copied; NeedsChown until the first mount.
    env.hutch(["volume", "create", "c"]).ok();
    let flags = |env: &Env| fmt(env, &["volume", "inspect", "c"], "{{.NeedsCopyUp}} {{.NeedsChown}}");
    assert_eq!(flags(&env), "true true");
    env.hutch(["run", "--rm", "-v", "c:/vol", BASIC, "true"]).ok();
    assert_eq!(flags(&env), "true false");
    env.hutch(["run", "--rm", "-v", "c:/etc", BASIC, "ls", "/etc/passwd"])
        .ok();
    assert_eq!(flags(&env), "false false");

    // A volume made by run belongs to the container's user at its first mount (keep-id).
    env.hutch([
        "run",
        "--rm",
        "-v",
        "k:/vol",
        "--userns=keep-id",
        BASIC,
        "touch",
        "/vol/f",
    ])
    .ok();
    env.hutch(["run", "--rm", "--user", "1:1", "-v", "u:/vol", BASIC, "touch", "/vol/f"])
        .ok();
}
