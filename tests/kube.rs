//! `kube play`, `kube down` and `kube generate` end to end, as the unprivileged test user: a
//! pod with a ConfigMap, a Secret and a PersistentVolumeClaim whose data outlives `kube down`;
//! generated YAML checked against Kubernetes' OpenAPI schemas (kubernetes-validate, installed by
//! tests/rig.sh) and played back; bad input changes nothing.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::*;

const BASIC: &str = "127.0.0.1:5000/fixtures/basic";

fn env_with_basic() -> Env {
    let env = Env::new();
    env.pull("fixtures/basic");
    env
}

/// hutch with `input` on its stdin.
fn hutch_stdin(env: &Env, args: &[&str], input: &str) -> Run {
    use std::io::Write;
    let mut c = env.command(args);
    c.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    to_run(child.wait_with_output().unwrap())
}

fn inspect_ctr(env: &Env, name: &str) -> serde_json::Value {
    let r = env.hutch(["container", "inspect", name]).ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    v[0].clone()
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < Duration::from_secs(15), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

const APP: &str = r#"
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  MODE: production
  app.conf: |
    listen=80
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
type: Opaque
data:
  PASSWORD: czNjcjN0
stringData:
  token: plain-token
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: appdata
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
---
apiVersion: v1
kind: Pod
metadata:
  name: app
  labels:
    team: blue
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: 127.0.0.1:5000/fixtures/basic
    command: ["sh", "-c"]
    args: ["trap 'exit 0' TERM; while :; do sleep 0.1; done"]
    workingDir: /tmp
    env:
    - name: GREETING
      value: hi there
    - name: DB_PASSWORD
      valueFrom:
        secretKeyRef: {name: creds, key: PASSWORD}
    envFrom:
    - configMapRef: {name: settings}
    volumeMounts:
    - {name: data, mountPath: /data}
    - {name: conf, mountPath: /etc/app}
    - {name: secret, mountPath: /run/secrets/app}
    - {name: scratch, mountPath: /scratch}
    resources:
      limits: {memory: 64Mi}
    livenessProbe:
      exec: {command: ["true"]}
  - name: side
    image: 127.0.0.1:5000/fixtures/basic
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"]
    securityContext:
      runAsUser: 1000
      runAsGroup: 1000
      capabilities:
        drop: [ALL]
    volumeMounts:
    - {name: scratch, mountPath: /scratch}
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: appdata}
  - name: conf
    configMap: {name: settings}
  - name: secret
    secret: {secretName: creds}
  - name: scratch
    emptyDir: {}
"#;

#[test]
fn play_with_configmap_secret_and_claim_keeps_the_claim_across_down() {
    let env = env_with_basic();
    let file = env.write("app.yaml", APP);
    let f = file.to_str().unwrap();
    let r = env.hutch(["kube", "play", f]).ok();
    assert!(r.stdout.starts_with("Pod:\n"), "{r:?}");
    // Unsupported fields are named; resources are accepted with a notice.
    assert!(r.stderr.contains("livenessProbe"), "{r:?}");
    assert!(r.stderr.contains("resources"), "{r:?}");
    let st = env
        .hutch([
            "pod",
            "inspect",
            "--format",
            "{{.State}} {{.NumContainers}} {{.Labels.team}}",
            "app",
        ])
        .ok();
    assert_eq!(st.stdout.trim(), "Running 3 blue");
    let e = env
        .hutch(["exec", "app-main", "sh", "-c", "echo $GREETING/$DB_PASSWORD/$MODE; pwd; cat /etc/app/app.conf /run/secrets/app/token; echo; cat /run/secrets/app/PASSWORD; echo; touch /etc/app/x 2>/dev/null || echo ro"])
        .ok();
    assert_eq!(
        e.stdout, "hi there/s3cr3t/production\n/tmp\nlisten=80\nplain-token\ns3cr3t\nro\n",
        "{e:?}"
    );
    let id = env.hutch(["exec", "app-side", "id"]).ok();
    assert!(
        id.stdout.starts_with("uid=1000(") && id.stdout.contains(" gid=1000("),
        "{id:?}"
    );
    // emptyDir is shared by the pod's containers; localhost too.
    env.hutch([
        "exec",
        "app-main",
        "sh",
        "-c",
        "echo shared > /scratch/f; chmod 666 /scratch/f",
    ])
    .ok();
    assert_eq!(
        env.hutch(["exec", "app-side", "cat", "/scratch/f"]).ok().stdout,
        "shared\n"
    );
    env.hutch(["exec", "app-main", "sh", "-c", "echo kept > /data/file"])
        .ok();
    // A second play of the same file: the name is taken.
    env.hutch(["kube", "play", f])
        .fails_with("the pod name \"app\" is already in use");
    let r = env.hutch(["kube", "down", f]).ok();
    assert!(r.stdout.contains("Pods removed:"), "{r:?}");
    assert_eq!(env.hutch(["pod", "ps", "-q"]).ok().stdout, "");
    assert_eq!(env.hutch(["ps", "-aq"]).ok().stdout, "");
    // The claim's data survives down (a named volume) and is there for the next play.
    assert_eq!(
        env.hutch(["volume", "ls", "--format", "{{.Name}}"]).ok().stdout,
        "appdata\n"
    );
    env.hutch(["kube", "play", f]).ok();
    assert_eq!(
        env.hutch(["exec", "app-main", "cat", "/data/file"]).ok().stdout,
        "kept\n"
    );
    // --replace plays it again over the running pod.
    env.hutch(["kube", "play", "--replace", "--start=false", f]).ok();
    let st = env.hutch(["pod", "inspect", "--format", "{{.State}}", "app"]).ok();
    assert_eq!(st.stdout.trim(), "Created");
    env.hutch(["kube", "play", "--down", f]).ok();
    assert_eq!(env.hutch(["pod", "ps", "-q"]).ok().stdout, "");
}

#[test]
fn deployment_is_one_pod_with_published_host_ports() {
    let env = env_with_basic();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let yaml = format!(
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
      - name: httpd
        image: {BASIC}
        command: ["sh", "-c", "mkdir -p /www && echo deployed > /www/index.html && exec httpd -f -p 8080 -h /www"]
        ports:
        - containerPort: 8080
          hostPort: {port}
"#
    );
    let r = hutch_stdin(&env, &["kube", "play", "-"], &yaml);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("replicas"), "one pod, said so: {r:?}");
    let body = {
        let mut got = String::new();
        wait_for("the published port", || {
            got = std::process::Command::new("curl")
                .args(["-s", "--max-time", "2", &format!("http://127.0.0.1:{port}/")])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default();
            !got.is_empty()
        });
        got
    };
    assert_eq!(body, "deployed\n");
    assert_eq!(env.hutch(["pod", "exists", "web-pod"]).code, 0);
    let r = hutch_stdin(&env, &["kube", "down", "-"], &yaml);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(env.hutch(["pod", "exists", "web-pod"]).code, 1);
}

#[test]
fn bad_yaml_unknown_kinds_and_taken_names_create_nothing() {
    let env = env_with_basic();
    let bad = env.write(
        "bad.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  labels: [unclosed\n",
    );
    env.hutch(["kube", "play", bad.to_str().unwrap()]).fails_with("line");
    let job = env.write("job.yaml", "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\n");
    env.hutch(["kube", "play", job.to_str().unwrap()])
        .fails_with("kind Job is not supported");
    let missing_cm = env.write(
        "m.yaml",
        &format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: m}}\nspec:\n  containers:\n  - name: c\n    image: {BASIC}\n    envFrom: [{{configMapRef: {{name: nope}}}}]\n"),
    );
    env.hutch(["kube", "play", missing_cm.to_str().unwrap()])
        .fails_with("ConfigMap nope");
    // A pod name in use: nothing of the file is created, not even its claim.
    env.hutch(["pod", "create", "--name", "app"]).ok();
    let file = env.write("app.yaml", APP);
    env.hutch(["kube", "play", file.to_str().unwrap()])
        .fails_with("the pod name \"app\" is already in use");
    // A bad capability is found only when the container is made: what was made is removed.
    let badcap = env.write(
        "cap.yaml",
        &format!("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {{name: capvol}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {{name: capped}}\nspec:\n  containers:\n  - name: ok\n    image: {BASIC}\n    command: [sleep, '100']\n  - name: c\n    image: {BASIC}\n    securityContext: {{capabilities: {{add: [NOT_A_CAP]}}}}\n"),
    );
    env.hutch(["kube", "play", badcap.to_str().unwrap()])
        .fails_with("NOT_A_CAP");
    assert_eq!(env.hutch(["pod", "ps", "--format", "{{.Name}}"]).ok().stdout, "app\n");
    assert_eq!(
        env.hutch(["ps", "-a", "--format", "{{.Names}}"])
            .ok()
            .stdout
            .lines()
            .count(),
        1,
        "only app's infra"
    );
    let vols = env.hutch(["volume", "ls", "-q"]).ok();
    assert_eq!(vols.stdout, "", "no volume left: {vols:?}");
}

fn kubernetes_validate() -> PathBuf {
    let p = rig_dir().join("kubeval/bin/kubernetes-validate");
    assert!(
        p.exists(),
        "{} is missing: tests/rig.sh installs it (rig_kubeval)",
        p.display()
    );
    p
}

#[test]
fn generated_yaml_is_valid_kubernetes_and_plays_back_the_same() {
    let env = env_with_basic();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let host_dir = env.root.join("shared");
    std::fs::create_dir_all(&host_dir).unwrap();
    env.chown_tree(&host_dir);
    env.hutch(["pod", "create", "--name", "gen", "-p", &format!("{port}:80")])
        .ok();
    env.hutch([
        "create",
        "--pod",
        "gen",
        "--name",
        "gen-web",
        "-e",
        "COLOR=blue",
        "-u",
        "1000:1000",
        "-v",
        &format!("{}:/shared:ro", host_dir.display()),
        "-v",
        "gendata:/data",
        "--cap-add",
        "NET_ADMIN",
        "--read-only",
        "-w",
        "/data",
        BASIC,
        "sleep",
        "1000",
    ])
    .ok();
    let out = env.root.join("gen.yaml");
    env.hutch(["kube", "generate", "-s", "-f", out.to_str().unwrap(), "gen"])
        .ok();
    let yaml = std::fs::read_to_string(&out).unwrap();
    assert!(yaml.contains("kind: Pod") && yaml.contains("kind: Service"), "{yaml}");
    let v = std::process::Command::new(kubernetes_validate())
        .args(["--strict", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        v.status.success(),
        "kubernetes-validate: {}{}\n{yaml}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
    // A lone container is a pod of one.
    env.hutch(["create", "--name", "solo", "-p", "8081:80", BASIC, "true"])
        .ok();
    let solo = env.hutch(["kube", "generate", "solo"]).ok();
    assert!(solo.stdout.contains("name: solo-pod"), "{solo:?}");
    // Round trip: the same containers, ports, env, volumes and user.
    let before = inspect_ctr(&env, "gen-web");
    env.hutch(["pod", "rm", "-f", "gen"]).ok();
    env.hutch(["kube", "play", "--start=false", out.to_str().unwrap()]).ok();
    let after = inspect_ctr(&env, "gen-web");
    for k in ["Image", "User", "WorkingDir", "Cmd", "Entrypoint"] {
        assert_eq!(after["Config"][k], before["Config"][k], "Config.{k}");
    }
    let env_of = |v: &serde_json::Value| -> Vec<String> {
        v["Config"]["Env"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e.as_str())
            .filter(|e| !e.starts_with("HOSTNAME="))
            .map(String::from)
            .collect()
    };
    assert_eq!(env_of(&after), env_of(&before));
    let mounts = |v: &serde_json::Value| -> Vec<String> {
        let mut m: Vec<String> = v["Mounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| format!("{} {} {} {}", m["Type"], m["Source"], m["Destination"], m["RW"]))
            .collect();
        m.sort();
        m
    };
    assert_eq!(mounts(&after), mounts(&before));
    assert_eq!(
        after["HostConfig"]["ReadonlyRootfs"],
        before["HostConfig"]["ReadonlyRootfs"]
    );
    assert_eq!(after["EffectiveCaps"], before["EffectiveCaps"]);
    let ports = env
        .hutch([
            "pod",
            "inspect",
            "--format",
            "{{json .InfraConfig.PortBindings}}",
            "gen",
        ])
        .ok();
    assert!(
        ports
            .stdout
            .contains(&format!("\"80/tcp\":[{{\"HostIp\":\"\",\"HostPort\":\"{port}\"}}]")),
        "{ports:?}"
    );
}
