//! Multi-container apps, the rest of issue 13, as the unprivileged test user: `generate systemd
//! --new` for pods, ConfigMap/Secret/emptyDir volumes written back by `kube generate`, the
//! infra container's options, and the pod/volume behaviours of Podman's 160-volumes, 200-pod
//! and 700-play that scripts rely on.

mod common;

use std::path::Path;

use common::*;

const BASIC: &str = "127.0.0.1:5000/fixtures/basic";

fn env_with_basic() -> Env {
    env_with(&["fixtures/basic"])
}

fn fmt(env: &Env, what: &[&str], template: &str) -> String {
    let mut args: Vec<&str> = what[..what.len() - 1].to_vec();
    args.extend(["--format", template, what[what.len() - 1]]);
    env.hutch(&args).ok().stdout.trim().to_string()
}

fn status(env: &Env, ctr: &str) -> String {
    fmt(env, &["inspect", ctr], "{{.State.Status}}")
}

/// The words of a unit's `KEY=` lines, in order, with systemd's %t and %n filled in.
fn exec_lines(unit: &str, key: &str, run_dir: &Path, unit_name: &str) -> Vec<Vec<String>> {
    unit.lines()
        .filter_map(|l| l.strip_prefix(&format!("{key}=")))
        .map(|l| {
            l.split(' ')
                .map(|w| {
                    w.replace("%t", &run_dir.display().to_string())
                        .replace("%n", unit_name)
                })
                .collect()
        })
        .collect()
}

fn run_line(env: &Env, words: &[String]) -> Run {
    env.program(&words[0], &words[1..])
}

#[test]
fn generate_systemd_new_for_a_pod_makes_the_pod_and_its_containers_afresh() {
    let env = env_with_basic();
    env.hutch(["pod", "create", "--name", "web", "--label", "app=web"])
        .ok();
    env.hutch([
        "create", "--pod", "web", "--name", "srv", "-e", "A=1", BASIC, "sleep", "1000",
    ])
    .ok();
    let dir = env.root.join("units");
    std::fs::create_dir_all(&dir).unwrap();
    env.chown_tree(&dir);
    let r = sh(
        &env,
        &format!(
            "cd {} && hutch generate systemd --new --files --name web",
            dir.display()
        ),
    )
    .ok();
    let paths: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(
        paths,
        [
            dir.join("container-srv.service").display().to_string(),
            dir.join("pod-web.service").display().to_string()
        ]
    );
    for f in ["container-srv.service", "pod-web.service"] {
        let v = sh(
            &env,
            &format!("cd {} && systemd-analyze --user verify --man=no {f}", dir.display()),
        );
        assert_eq!(v.code, 0, "systemd-analyze verify {f}: {v:?}");
        assert!(!v.stderr.contains(f), "no complaint about {f}: {v:?}");
    }
    let pod_unit = std::fs::read_to_string(dir.join("pod-web.service")).unwrap();
    let ctr_unit = std::fs::read_to_string(dir.join("container-srv.service")).unwrap();
    assert!(pod_unit.contains("PIDFile=%t/%n.pid\n"), "{pod_unit}");
    assert!(
        pod_unit.contains("Wants=container-srv.service\nBefore=container-srv.service\n"),
        "{pod_unit}"
    );
    assert!(
        ctr_unit.contains("BindsTo=pod-web.service\nAfter=pod-web.service\n"),
        "{ctr_unit}"
    );
    // The pod's create command is repeated, with the unit's own pid file, name and --replace.
    let pre = exec_lines(&pod_unit, "ExecStartPre", &env.run_dir(), "pod-web.service");
    assert_eq!(pre.len(), 2, "{pod_unit}");
    assert_eq!(
        pre[1][1..],
        [
            "pod",
            "create",
            "--infra-conmon-pidfile",
            &format!("{}/pod-web.service.pid", env.run_dir().display()),
            "--replace",
            "--name",
            "web",
            "--label",
            "app=web"
        ]
    );
    // The container joins the pod by name, with its own create arguments.
    let start = exec_lines(&ctr_unit, "ExecStart", &env.run_dir(), "container-srv.service");
    let words = start[0].join(" ");
    assert!(
        words.contains(" run --conmon-pidfile ")
            && words.ends_with("--replace --rm -d --name srv --pod web -e A=1 127.0.0.1:5000/fixtures/basic sleep 1000"),
        "{words}"
    );

    // What systemd would run, in its order: the pod afresh (its old containers gone), then the
    // container; the pod's PID file names the new infra's monitor.
    env.hutch(["pod", "rm", "-f", "web"]).ok();
    for l in &pre {
        run_line(&env, l).ok();
    }
    for l in exec_lines(&pod_unit, "ExecStart", &env.run_dir(), "pod-web.service") {
        run_line(&env, &l).ok();
    }
    let pid: i32 = std::fs::read_to_string(env.run_dir().join("pod-web.service.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let cmd = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap();
    assert!(cmd.contains("__monitor"), "the PID file names the infra's monitor: {cmd:?}");
    assert_eq!(fmt(&env, &["pod", "inspect", "web"], "{{.Labels}}"), "map[app:web]");
    run_line(&env, &start[0]).ok();
    assert_eq!(status(&env, "srv"), "running");
    assert_eq!(
        env.hutch(["ps", "--filter", "name=srv", "--format", "{{.PodName}}"])
            .ok()
            .stdout,
        "web\n",
        "the container is in the new pod"
    );
    // Stopping: the container's unit first (systemd's order), then the pod's, which removes it.
    for key in ["ExecStop", "ExecStopPost"] {
        for l in exec_lines(&ctr_unit, key, &env.run_dir(), "container-srv.service") {
            run_line(&env, &l).ok();
        }
    }
    for key in ["ExecStop", "ExecStopPost"] {
        for l in exec_lines(&pod_unit, key, &env.run_dir(), "pod-web.service") {
            run_line(&env, &l).ok();
        }
    }
    assert_eq!(env.hutch(["pod", "exists", "web"]).code, 1);
    assert_eq!(env.hutch(["ps", "-aq"]).ok().stdout, "");
    // pod stop --ignore: a pod that is gone is no error (what ExecStop relies on).
    env.hutch(["pod", "stop", "--ignore", "web"]).ok();
    env.hutch(["pod", "stop", "web"]).fails_with("web");

    // A pod kube play made has no create command to repeat: said clearly.
    let yaml = env.write(
        "k.yaml",
        &format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: kp}}\nspec:\n  containers:\n  - {{name: c, image: {BASIC}, command: [sleep, '100']}}\n"),
    );
    env.hutch(["kube", "play", "--start=false", yaml.to_str().unwrap()])
        .ok();
    env.hutch(["generate", "systemd", "--new", "kp"])
        .fails_with("pod kp was not made by `hutch pod create`");
}

#[test]
fn kube_generate_writes_configmaps_secrets_and_emptydirs_back() {
    let env = env_with_basic();
    let yaml = env.write(
        "app.yaml",
        &format!(
            "apiVersion: v1
kind: ConfigMap
metadata: {{name: settings}}
data:
  app.conf: |
    color=blue
  mode: fast
---
apiVersion: v1
kind: Secret
metadata: {{name: creds}}
stringData: {{password: s3cret}}
---
apiVersion: v1
kind: Pod
metadata: {{name: cfg}}
spec:
  containers:
  - name: app
    image: {BASIC}
    command: [sleep, '1000']
    volumeMounts:
    - {{name: conf, mountPath: /etc/app}}
    - {{name: secret, mountPath: /run/secrets/app}}
    - {{name: one, mountPath: /etc/mode, subPath: mode}}
    - {{name: scratch, mountPath: /scratch}}
  volumes:
  - {{name: conf, configMap: {{name: settings}}}}
  - {{name: secret, secret: {{secretName: creds, defaultMode: 256}}}}
  - {{name: one, configMap: {{name: settings}}}}
  - {{name: scratch, emptyDir: {{}}}}
"
        ),
    );
    env.hutch(["kube", "play", yaml.to_str().unwrap()]).ok();
    let show = |env: &Env| {
        env.hutch([
            "exec",
            "cfg-app",
            "sh",
            "-c",
            "cat /etc/app/app.conf /etc/app/mode /run/secrets/app/password /etc/mode; echo; \
             stat -c %a /run/secrets/app/password; touch /scratch/x && echo writable",
        ])
        .ok()
        .stdout
    };
    let before = show(&env);
    assert_eq!(before, "color=blue\nfasts3cretfast\n400\nwritable\n");
    let out = env.root.join("gen.yaml");
    let r = env
        .hutch(["kube", "generate", "-f", out.to_str().unwrap(), "cfg"])
        .ok();
    assert!(!r.stderr.contains("hostPath"), "{r:?}");
    let text = std::fs::read_to_string(&out).unwrap();
    for want in [
        "kind: ConfigMap",
        "kind: Secret",
        "configMap:",
        "secretName: cfg-secret",
        "defaultMode: 256",
        "subPath: mode",
        "emptyDir: {}",
        "password: czNjcmV0",
    ] {
        assert!(text.contains(want), "{want} in:\n{text}");
    }
    assert!(!text.contains("hostPath"), "no store path leaks out:\n{text}");
    let v = std::process::Command::new(rig_dir().join("kubeval/bin/kubernetes-validate"))
        .args(["--strict", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        v.status.success(),
        "kubernetes-validate: {}{}\n{text}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
    // Played back: the same files, modes and volumes.
    env.hutch(["pod", "rm", "-f", "cfg"]).ok();
    env.chown_tree(&out);
    env.hutch(["kube", "play", out.to_str().unwrap()]).ok();
    assert_eq!(show(&env), before);
}
