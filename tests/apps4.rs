//! Multi-container apps, issue 13 continued, as the unprivileged test user: pods that share
//! ipc, uts or pid but not their network (each member has a network of its own), /dev/shm
//! shared between a pod's members, and `kube play --service-container`.

mod common;

use common::*;

/// A static tool (compiled here, mounted into containers) that creates a System V shared
/// memory segment with key 18193 (0x4711): busybox has no ipcmk.
fn shmmk(env: &Env) -> String {
    let src = env.write(
        "tools/shmmk.c",
        "#include <stdio.h>\n#include <sys/shm.h>\nint main(void){int id=shmget(0x4711,4096,IPC_CREAT|0600);if(id<0){perror(\"shmget\");return 1;}printf(\"%d\\n\",id);return 0;}\n",
    );
    let out = src.with_extension("");
    let st = std::process::Command::new("cc")
        .args(["-static", "-Os", "-o"])
        .arg(&out)
        .arg(&src)
        .status()
        .unwrap();
    assert!(st.success(), "compiling {}", src.display());
    env.chown_tree(&env.root.join("tools"));
    path(env, "tools")
}

/// A TCP server on the host's loopback that says hello to `n` connections.
fn hello_server(n: usize) -> u16 {
    use std::io::Write;
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming().take(n) {
            let _ = s.unwrap().write_all(b"hello from the host\n");
        }
    });
    port
}

fn exec(env: &Env, ctr: &str, script: &str) -> String {
    env.hutch(["exec", ctr, "sh", "-c", script]).ok().stdout
}

/// How many SysV shared memory segments with key 18193 the container's ipc namespace has.
const COUNT_SEGMENT: &str = "awk '$1 == 18193' /proc/sysvipc/shm | wc -l";

#[test]
fn pod_sharing_ipc_and_uts_but_not_net() {
    let env = env_with_basic();
    let tools = shmmk(&env);
    let port = hello_server(3);
    env.hutch(["pod", "create", "--share", "ipc,uts", "--name", "p"]).ok();
    let vol = format!("{tools}:/t:ro");
    // One member from run -d, one from create + start.
    env.hutch([
        "run", "-d", "--name", "a", "--pod", "p", "-v", &vol, BASIC, "sleep", "1000",
    ])
    .ok();
    env.hutch(["create", "--name", "b", "--pod", "p", BASIC, "sleep", "1000"])
        .ok();
    env.hutch(["start", "b"]).ok();
    // SysV IPC: a segment made in one member is the other's.
    assert_eq!(exec(&env, "b", COUNT_SEGMENT), "0\n");
    let id = exec(&env, "a", "/t/shmmk");
    assert!(id.trim().parse::<i32>().is_ok(), "{id:?}");
    assert_eq!(exec(&env, "b", COUNT_SEGMENT), "1\n");
    // ... and not a lone container's.
    let lone = env.hutch(["run", "--rm", BASIC, "sh", "-c", COUNT_SEGMENT]).ok();
    assert_eq!(lone.stdout, "0\n");
    // The pod's host name (uts), the same ipc namespace, network namespaces of their own.
    let ns = "hostname; readlink /proc/self/ns/ipc; readlink /proc/self/ns/net";
    let (a, b) = (exec(&env, "a", ns), exec(&env, "b", ns));
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    assert_eq!(a[0], "p");
    assert_eq!(b[0], "p");
    assert_eq!(a[1], b[1], "one ipc namespace");
    assert_ne!(a[2], b[2], "a network namespace each");
    let infra = fmt(&env, &["pod", "inspect", "p"], "{{.InfraContainerID}}");
    // Podman's Go field names in templates: the pod's and its containers' ID (infra first).
    assert_eq!(
        fmt(&env, &["pod", "inspect", "p"], "{{(index .Containers 0).ID}}"),
        infra
    );
    assert_eq!(
        fmt(&env, &["pod", "inspect", "p"], "{{.ID}}"),
        fmt(&env, &["pod", "inspect", "p"], "{{.Id}}")
    );
    let pid = fmt(&env, &["inspect", &infra], "{{.State.Pid}}");
    let infra_net = std::fs::read_link(format!("/proc/{pid}/ns/net")).unwrap();
    let infra_net = infra_net.to_str().unwrap();
    assert!(
        infra_net.trim() != a[2] && infra_net.trim() != b[2],
        "not the infra's either"
    );
    // Each reaches the host as a lone container does.
    let nc = format!("sleep 1 | nc host.containers.internal {port}");
    for r in [
        env.hutch(["run", "--rm", BASIC, "sh", "-c", &nc]),
        env.hutch(["exec", "a", "sh", "-c", &nc]),
        env.hutch(["exec", "b", "sh", "-c", &nc]),
    ] {
        assert_eq!(r.ok().stdout, "hello from the host\n");
    }
    // Its own ports: -p publishes them as for a lone container.
    let web = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let publish = format!("{web}:8080");
    let httpd = "mkdir /w; echo member > /w/index.html; exec httpd -f -p 8080 -h /w";
    env.hutch(["run", "-d", "--pod", "p", "-p", &publish, BASIC, "sh", "-c", httpd])
        .ok();
    let mut body = String::new();
    wait_until("the member's published port", || {
        use std::io::{Read, Write};
        let Ok(mut c) = std::net::TcpStream::connect(("127.0.0.1", web)) else {
            return false;
        };
        let _ = c.write_all(b"GET / HTTP/1.0\r\n\r\n");
        body.clear();
        let _ = c.read_to_string(&mut body);
        body.ends_with("\r\n\r\nmember\n")
    });
    // A pod sharing pid (and ipc) without net: the infra's pause is pid 1 of the member.
    // Its infra with a pasta of its own (not the default network): see the refusal below.
    env.hutch([
        "pod",
        "create",
        "--share",
        "pid,ipc",
        "--network",
        "pasta",
        "--name",
        "q",
    ])
    .ok();
    let r = env.hutch([
        "run",
        "--rm",
        "--pod",
        "q",
        "--hostname",
        "own",
        BASIC,
        "sh",
        "-c",
        "cat /proc/1/comm; hostname",
    ]);
    assert_eq!(r.ok().stdout, "pause\nown\n");
    // --network host and none in such a pod.
    let host_net = std::fs::read_link("/proc/self/ns/net").unwrap();
    let on = |network: &str, script: &str| {
        let args = [
            "run",
            "--rm",
            "--pod",
            "q",
            "--network",
            network,
            BASIC,
            "sh",
            "-c",
            script,
        ];
        env.hutch(args).ok().stdout
    };
    assert_eq!(
        on("host", "readlink /proc/self/ns/net").trim(),
        host_net.to_str().unwrap()
    );
    assert_eq!(on("none", "ip -o link | wc -l"), "1\n", "lo only");
    // On the shared network: the pod's infra must be on it too (its user namespace).
    env.hutch(["run", "--rm", "--pod", "q", "--network", "podman", BASIC, "true"])
        .fails_with("the pod's infra container is not on a shared network");
    env.hutch([
        "pod",
        "create",
        "--share",
        "ipc,uts",
        "--network",
        "podman",
        "--name",
        "r",
    ])
    .ok();
    let r = env.hutch([
        "run",
        "--rm",
        "--pod",
        "r",
        "--network",
        "podman",
        BASIC,
        "sh",
        "-c",
        "hostname; ip -o -4 addr show eth0 | wc -l",
    ]);
    assert_eq!(r.ok().stdout, "r\n1\n");
    env.hutch(["pod", "rm", "-f", "p", "q", "r"]).ok();
    assert_eq!(env.hutch(["ps", "-aq"]).ok().stdout, "");
}

#[test]
fn dev_shm_is_the_pods_when_it_shares_ipc() {
    let env = env_with_basic();
    // Podman's test: two containers, one after the other, in a default pod.
    env.hutch(["pod", "create", "--name", "d"]).ok();
    env.hutch(["run", "--rm", "--pod", "d", BASIC, "touch", "/dev/shm/test1"])
        .ok();
    let r = env.hutch(["run", "--rm", "--pod", "d", BASIC, "ls", "/dev/shm/test1"]);
    assert_eq!(r.ok().stdout, "/dev/shm/test1\n");
    // Two running members of a pod sharing ipc but not net see each other's files, which stay
    // a tmpfs with the usual flags.
    env.hutch(["pod", "create", "--share", "ipc", "--name", "i"]).ok();
    env.hutch(["run", "-d", "--name", "m1", "--pod", "i", BASIC, "sleep", "1000"])
        .ok();
    env.hutch(["run", "-d", "--name", "m2", "--pod", "i", BASIC, "sleep", "1000"])
        .ok();
    exec(&env, "m1", "echo from-m1 > /dev/shm/f");
    assert_eq!(exec(&env, "m2", "cat /dev/shm/f"), "from-m1\n");
    let mounts = exec(&env, "m2", "grep ' /dev/shm ' /proc/mounts");
    assert!(
        mounts.starts_with("tmpfs /dev/shm tmpfs rw,nosuid,nodev,noexec"),
        "{mounts}"
    );
    // Not shared: a pod that does not share ipc, and a lone container.
    env.hutch(["pod", "create", "--share", "net", "--name", "n"]).ok();
    env.hutch(["run", "--rm", "--pod", "n", BASIC, "touch", "/dev/shm/test1"])
        .ok();
    let r = env.hutch(["run", "--rm", "--pod", "n", BASIC, "ls", "/dev/shm"]);
    assert_eq!(r.ok().stdout, "");
    assert_eq!(env.hutch(["run", "--rm", BASIC, "ls", "/dev/shm"]).ok().stdout, "");
    // A pod on the host's network: its members are on it (a rootless container cannot join
    // the host's namespace, it stays in it) and still share the pod's ipc, uts and /dev/shm;
    // exec reaches them.
    env.hutch(["pod", "create", "--network", "host", "--name", "h"]).ok();
    env.hutch(["run", "-d", "--name", "h1", "--pod", "h", BASIC, "sleep", "1000"])
        .ok();
    let ns = "hostname; readlink /proc/self/ns/ipc; readlink /proc/self/ns/net; ls /dev/shm";
    let r = env.hutch([
        "run",
        "--rm",
        "--pod",
        "h",
        BASIC,
        "sh",
        "-c",
        &format!("touch /dev/shm/hx; {ns}"),
    ]);
    let host_net = std::fs::read_link("/proc/self/ns/net").unwrap();
    let ipc = exec(&env, "h1", "readlink /proc/self/ns/ipc");
    let want = format!("h\n{ipc}{}\nhx\n", host_net.display());
    assert_eq!(r.ok().stdout, want);
    assert_eq!(exec(&env, "h1", ns), want);
    env.hutch(["pod", "rm", "-f", "d", "i", "n", "h"]).ok();
}

fn running(env: &Env, ctr: &str) -> bool {
    fmt(env, &["container", "inspect", ctr], "{{.State.Running}}") == "true"
}

#[test]
fn kube_play_service_container() {
    let env = env_with_basic();
    let yaml = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  labels:\n    app: test\n  name: test_pod\nspec:\n  containers:\n  - command:\n    - sleep\n    - \"1000\"\n    image: {BASIC}\n    name: test\n"
    );
    let file = env.write("svc.yaml", &yaml);
    let file = file.to_str().unwrap();
    // Bad input first: it needs the pods started; nothing made.
    env.hutch(["kube", "play", "--service-container", "--start=false", file])
        .fails_with("running a service container requires starting the pod(s)");
    assert_eq!(env.hutch(["ps", "-aq"]).ok().stdout, "");
    env.hutch(["kube", "play", "--service-container=true", file]).ok();
    // Named after the file's sha256, running, marked as a service container, on no network.
    let sha = sha256_of(&yaml);
    let svc = format!("{}-service", &sha[..12]);
    assert!(running(&env, &svc));
    assert_eq!(fmt(&env, &["container", "inspect", &svc], "{{.IsService}}"), "true");
    assert_eq!(
        fmt(&env, &["container", "inspect", "test_pod-test"], "{{.IsService}}"),
        "false"
    );
    assert_eq!(
        fmt(&env, &["container", "inspect", &svc], "{{.HostConfig.NetworkMode}}"),
        "none"
    );
    // The pod's last container stopped: the pod exits, and the service container stops.
    env.hutch(["stop", "test_pod-test"]).ok();
    wait_until("the pod to exit", || {
        fmt(&env, &["pod", "inspect", "test_pod"], "{{.State}}") == "Exited"
    });
    wait_until("the service container to stop", || !running(&env, &svc));
    // It starts with the pod again.
    env.hutch(["pod", "restart", "test_pod"]).ok();
    assert!(running(&env, &svc));
    // rm refuses it (Podman's words), with -f too.
    for args in [vec!["rm", svc.as_str()], vec!["rm", "-f", svc.as_str()]] {
        env.hutch(&args).exits(125, "is the service container of pod(s) ");
    }
    assert!(running(&env, &svc));
    // pod kill: it stops with them.
    env.hutch(["pod", "kill", "test_pod"]).ok();
    wait_until("the service container to stop", || !running(&env, &svc));
    // pod rm: it goes with its (last) pod.
    env.hutch(["pod", "rm", "test_pod"]).ok();
    assert_eq!(env.hutch(["container", "exists", &svc]).code, 1);
    // kube down removes it too; play --replace replaces it.
    env.hutch(["kube", "play", "--service-container", file]).ok();
    env.hutch(["kube", "play", "--service-container", "--replace", file])
        .ok();
    assert_eq!(
        env.hutch(["ps", "-aq"]).ok().stdout.lines().count(),
        3,
        "infra, test, service"
    );
    env.hutch(["kube", "down", file]).ok();
    assert_eq!(env.hutch(["ps", "-aq"]).ok().stdout, "");
}

fn sha256_of(text: &str) -> String {
    let out = std::process::Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(text.as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn kube_play_host_paths_security_context_and_network() {
    let env = env_with_basic();
    env.write("hp/f", "hostdata\n");
    let (dir, made, file) = (path(&env, "hp"), path(&env, "hp/new"), path(&env, "hp/f"));
    let yaml = format!(
        r#"apiVersion: v1
kind: Pod
metadata:
  name: sec
spec:
  containers:
  - name: ro
    image: {BASIC}
    command: ["sleep", "1000"]
    securityContext:
      readOnlyRootFilesystem: true
    volumeMounts:
    - {{name: hp, mountPath: /hp}}
    - {{name: made, mountPath: /made}}
    - {{name: one, mountPath: /etc/one, readOnly: true}}
  - name: priv
    image: {BASIC}
    command: ["sleep", "1000"]
    securityContext:
      privileged: true
  volumes:
  - name: hp
    hostPath: {{path: {dir}, type: Directory}}
  - name: made
    hostPath: {{path: {made}, type: DirectoryOrCreate}}
  - name: one
    hostPath: {{path: {file}, type: File}}
"#
    );
    let f = env.write("sec.yaml", &yaml);
    let f = f.to_str().unwrap();
    env.hutch(["kube", "play", "--network", "none", f]).ok();
    let script = "cat /hp/f /etc/one; touch /x 2>/dev/null || echo ro; echo w > /hp/w; ls -d /made; ip -o link | wc -l";
    assert_eq!(
        exec(&env, "sec-ro", script),
        "hostdata\nhostdata\nro\n/made\n1\n",
        "hostPath dir and file, a read-only root, --network none"
    );
    assert_eq!(std::fs::read_to_string(env.root.join("hp/w")).unwrap(), "w\n");
    assert!(env.root.join("hp/new").is_dir(), "DirectoryOrCreate made it");
    // privileged: every capability; the other keeps the default set.
    let caps = |c: &str| exec(&env, c, "grep CapEff /proc/self/status");
    let last: u32 = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let all = (1u64 << (last + 1)) - 1;
    assert_eq!(caps("sec-priv"), format!("CapEff:\t{all:016x}\n"));
    assert_eq!(caps("sec-ro"), "CapEff:\t00000000800405fb\n");
    env.hutch(["kube", "down", f]).ok();
    assert_eq!(env.hutch(["ps", "-aq"]).ok().stdout, "");
    assert!(env.root.join("hp/f").exists(), "down leaves host paths");
}
