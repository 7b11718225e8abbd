//! Pods end to end, as the unprivileged test user: containers of a pod reach each other on
//! localhost and share the pod's host name and ipc (and, when asked, pid) namespaces; ports are
//! published on the pod; the pod verbs act on all its containers; bad input changes nothing.

mod common;

use std::time::{Duration, Instant};

use common::net::*;
use common::*;

const BASIC: &str = "127.0.0.1:5000/fixtures/basic";

fn env_with_basic() -> Env {
    let env = Env::new();
    env.pull("fixtures/basic");
    env
}

fn pod_status(env: &Env, pod: &str) -> String {
    env.hutch(["pod", "inspect", "--format", "{{.State}}", pod])
        .ok()
        .stdout
        .trim()
        .to_string()
}

/// busybox httpd serving a greeting; SIGTERM stops it at once.
const SERVER: &str = "mkdir -p /www && echo hello from the pod > /www/index.html && httpd -f -p 80 -h /www & trap 'kill $!; exit 0' TERM; wait";

#[test]
fn two_containers_of_a_pod_talk_on_localhost_and_share_its_ports_and_namespaces() {
    let env = env_with_basic();
    let port = free_port();
    let id = env
        .hutch([
            "pod",
            "create",
            "--name",
            "web",
            "-p",
            &format!("{port}:80"),
            "--label",
            "tier=front",
        ])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert_eq!(id.len(), 64, "pod create prints the pod's id");
    assert_eq!(pod_status(&env, "web"), "Created");
    env.hutch(["image", "exists", "localhost/podman-pause:0.1.0-0"]).ok();
    env.hutch(["run", "-d", "--pod", "web", "--name", "srv", BASIC, "sh", "-c", SERVER])
        .ok();
    assert_eq!(
        pod_status(&env, "web"),
        "Running",
        "the infra container started with the first member"
    );
    // The client, in the same pod, reaches the server on localhost.
    let r = env
        .hutch([
            "run",
            "--rm",
            "--pod",
            "web",
            BASIC,
            "sh",
            "-c",
            "for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://localhost:80/ && break; sleep 0.2; done; hostname; readlink /proc/self/ns/ipc",
        ])
        .ok();
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines[0], "hello from the pod", "{r:?}");
    assert_eq!(lines[1], "web", "uts is shared: the pod's host name: {r:?}");
    let srv_ipc = env.hutch(["exec", "srv", "readlink", "/proc/self/ns/ipc"]).ok();
    assert_eq!(srv_ipc.stdout.trim(), lines[2], "ipc is shared");
    let srv_pid = env.hutch(["exec", "srv", "readlink", "/proc/self/ns/pid"]).ok();
    let other_pid = env
        .hutch(["run", "--rm", "--pod", "web", BASIC, "readlink", "/proc/self/ns/pid"])
        .ok();
    assert_ne!(srv_pid.stdout, other_pid.stdout, "pid is not shared by default");
    // The pod's port reaches the server from the host.
    assert_eq!(http_get(port, "/"), "hello from the pod\n");

    // pod ps and inspect.
    let ps = env.hutch(["pod", "ps"]).ok();
    let header: Vec<&str> = ps
        .stdout
        .lines()
        .next()
        .unwrap()
        .split("  ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(
        header,
        ["POD ID", "NAME", "STATUS", "CREATED", "INFRA ID", "# OF CONTAINERS"]
    );
    assert!(ps.stdout.lines().nth(1).unwrap().starts_with(&id[..12]), "{ps:?}");
    let js: serde_json::Value =
        serde_json::from_str(&env.hutch(["pod", "ps", "--format", "json"]).ok().stdout).unwrap();
    assert_eq!(js[0]["Name"], "web");
    assert_eq!(js[0]["Status"], "Running");
    assert_eq!(js[0]["Containers"].as_array().unwrap().len(), 2, "infra + srv: {js}");
    assert_eq!(js[0]["Labels"]["tier"], "front");
    let t = env
        .hutch(["pod", "ps", "--format", "{{.Name}} {{.NumberOfContainers}}"])
        .ok();
    assert_eq!(t.stdout, "web 2\n");
    let q = env
        .hutch(["pod", "ps", "-q", "--no-trunc", "--filter", "label=tier=front"])
        .ok();
    assert_eq!(q.stdout.trim(), id);
    let none = env.hutch(["pod", "ps", "-q", "--filter", "name=nomatch"]).ok();
    assert_eq!(none.stdout, "");
    let insp: serde_json::Value = serde_json::from_str(&env.hutch(["pod", "inspect", "web"]).ok().stdout).unwrap();
    assert_eq!(insp[0]["Id"], id.as_str());
    assert_eq!(insp[0]["NumContainers"], 2);
    assert_eq!(insp[0]["SharedNamespaces"], serde_json::json!(["net", "ipc", "uts"]));
    assert_eq!(
        insp[0]["InfraConfig"]["PortBindings"]["80/tcp"][0]["HostPort"],
        port.to_string()
    );
    // The infra container is shown by ps, with the pod's ports, and goes only with its pod.
    let infra = insp[0]["InfraContainerID"].as_str().unwrap().to_string();
    let ps = env.hutch(["ps", "--format", "{{.Names}} {{.Ports}}"]).ok();
    assert!(
        ps.stdout
            .contains(&format!("{}-infra 0.0.0.0:{port}->80/tcp", &id[..12])),
        "{ps:?}"
    );
    env.hutch(["rm", "-f", &infra]).fails_with("infra container of pod web");
    // A member's own -p is refused: ports belong to the pod.
    env.hutch(["run", "--rm", "--pod", "web", "-p", "9999:80", BASIC, "true"])
        .fails_with("publish them on the pod");

    // Stop: every container, the pod shows as Exited; start brings the server back.
    let r = env.hutch(["pod", "stop", "-t", "2", "web"]).ok();
    assert_eq!(r.stdout.trim(), id);
    assert_eq!(pod_status(&env, "web"), "Exited");
    let states = env.hutch(["ps", "-a", "--format", "{{.Names}} {{.State}}"]).ok();
    assert!(states.stdout.lines().all(|l| l.ends_with("exited")), "{states:?}");
    env.hutch(["pod", "start", "web"]).ok();
    assert_eq!(pod_status(&env, "web"), "Running");
    assert_eq!(http_get(port, "/"), "hello from the pod\n");
    env.hutch(["pod", "restart", "web"]).ok();
    assert_eq!(http_get(port, "/"), "hello from the pod\n");
    env.hutch(["pod", "kill", "web"]).ok();
    let t = Instant::now();
    while pod_status(&env, "web") != "Exited" {
        assert!(t.elapsed() < Duration::from_secs(10), "pod kill: the pod did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
    // A running pod is not removed without -f.
    env.hutch(["pod", "start", "web"]).ok();
    let r = env.hutch(["pod", "rm", "web"]);
    assert_eq!(r.code, 125, "{r:?}");
    assert!(r.stderr.contains("running containers"), "{r:?}");
    env.hutch(["pod", "exists", "web"]).ok();
    env.hutch(["pod", "rm", "-f", "web"]).ok();
    assert_eq!(env.hutch(["pod", "exists", "web"]).code, 1);
    assert_eq!(
        env.hutch(["ps", "-aq"]).ok().stdout,
        "",
        "the pod's containers went with it"
    );
    assert_eq!(env.hutch(["pod", "ps", "-q"]).ok().stdout, "");
}

#[test]
fn run_pod_new_makes_the_pod_and_share_pid_shows_the_pause_process() {
    let env = env_with_basic();
    let port = free_port();
    env.hutch([
        "run",
        "-d",
        "--pod",
        "new:fresh",
        "-p",
        &format!("{port}:80"),
        "--name",
        "srv",
        BASIC,
        "sh",
        "-c",
        SERVER,
    ])
    .ok();
    assert_eq!(pod_status(&env, "fresh"), "Running");
    assert_eq!(http_get(port, "/"), "hello from the pod\n", "new: takes -p for the pod");
    let p = env
        .hutch([
            "port",
            &format!(
                "{}",
                env.hutch(["pod", "inspect", "--format", "{{.InfraContainerID}}", "fresh"])
                    .ok()
                    .stdout
                    .trim()
            ),
        ])
        .ok();
    assert!(p.stdout.contains(&format!("80/tcp -> 0.0.0.0:{port}")), "{p:?}");
    // --share with pid: members see the pause program as their pid 1.
    env.hutch([
        "pod",
        "create",
        "--name",
        "pids",
        "--share",
        "net,pid",
        "--hostname",
        "box",
    ])
    .ok();
    let r = env
        .hutch([
            "run",
            "--rm",
            "--pod",
            "pids",
            BASIC,
            "sh",
            "-c",
            "cat /proc/1/cmdline; echo; hostname",
        ])
        .ok();
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines[0].trim_end_matches('\0'), "/pause", "{r:?}");
    assert_ne!(lines[1], "box", "uts is not shared here: the container's own host name");
    // A pod without infra shares nothing; its containers still go with it.
    env.hutch(["pod", "create", "--name", "loose", "--infra=false"]).ok();
    env.hutch(["create", "--pod", "loose", "--name", "l1", BASIC, "true"])
        .ok();
    assert_eq!(pod_status(&env, "loose"), "Created");
    env.hutch(["pod", "start", "loose"]).ok();
    env.hutch(["wait", "l1"]).ok();
    assert_eq!(pod_status(&env, "loose"), "Exited", "all its containers exited");
    env.hutch(["pod", "rm", "-f", "-a"]).ok();
    assert_eq!(env.hutch(["ps", "-aq"]).ok().stdout, "");
}

#[test]
fn pod_bad_input_changes_nothing() {
    let env = env_with_basic();
    env.hutch(["pod", "create", "--name", "taken"]).ok();
    let before = env.hutch(["ps", "-aq"]).ok().stdout;
    env.hutch(["pod", "create", "--name", "taken"])
        .fails_with("the pod name \"taken\" is already in use");
    env.hutch(["pod", "create", "--share", "net,bogus"])
        .fails_with("--share bogus");
    env.hutch(["pod", "create", "--infra=false", "-p", "8080:80"])
        .fails_with("--infra=false");
    env.hutch(["pod", "create", "--name", "bad/name"])
        .fails_with("bad/name");
    env.hutch(["pod", "create", "-p", "notaport"]).fails_with("notaport");
    env.hutch(["run", "--rm", "--pod", "nosuchpod", BASIC, "true"])
        .fails_with("no pod with name or ID \"nosuchpod\"");
    assert_eq!(
        env.hutch(["ps", "-aq"]).ok().stdout,
        before,
        "no container was left behind"
    );
    assert_eq!(env.hutch(["pod", "ps", "-q"]).ok().stdout.lines().count(), 1);
    // --replace takes the name over.
    let old = env
        .hutch(["pod", "inspect", "--format", "{{.Id}}", "taken"])
        .ok()
        .stdout;
    env.hutch(["pod", "create", "--name", "taken", "--replace"]).ok();
    assert_ne!(
        env.hutch(["pod", "inspect", "--format", "{{.Id}}", "taken"])
            .ok()
            .stdout,
        old
    );
    assert_eq!(env.hutch(["pod", "ps", "-q"]).ok().stdout.lines().count(), 1);
    // Missing pods: exit 1, as Podman; with -f no error.
    let r = env.hutch(["pod", "rm", "nosuchpod"]);
    assert_eq!(r.code, 1, "{r:?}");
    env.hutch(["pod", "rm", "-f", "nosuchpod"]).ok();
    assert_eq!(env.hutch(["pod", "exists", "nosuchpod"]).code, 1);
}
