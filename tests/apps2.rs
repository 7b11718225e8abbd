//! Multi-container apps, the rest of issue 13, as the unprivileged test user: `generate systemd
//! --new` for pods, ConfigMap/Secret/emptyDir volumes written back by `kube generate`, the
//! infra container's options, and the pod/volume behaviours of Podman's 160-volumes, 200-pod
//! and 700-play that scripts rely on.

mod common;

use std::path::Path;

use common::*;

fn status(env: &Env, ctr: &str) -> String {
    fmt(env, &["inspect", ctr], "{{.State.Status}}")
}

/// The words of a unit's `KEY=` lines, in order, with systemd's %t and %n filled in.
fn exec_lines(unit: &str, key: &str, run_dir: &Path, unit_name: &str) -> Vec<Vec<String>> {
    unit.lines()
        .filter_map(|l| l.strip_prefix(&format!("{key}=")))
        .map(|l| {
            l.split(' ')
                .map(|w| w.replace("%t", &run_dir.display().to_string()).replace("%n", unit_name))
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
    env.hutch(["pod", "create", "--name", "web", "--label", "app=web"]).ok();
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
            && words
                .ends_with("--replace --rm -d --name srv --pod web -e A=1 127.0.0.1:5000/fixtures/basic sleep 1000"),
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
    assert!(
        cmd.contains("__monitor"),
        "the PID file names the infra's monitor: {cmd:?}"
    );
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
    let r = env.hutch(["kube", "generate", "-f", out.to_str().unwrap(), "cfg"]).ok();
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

#[test]
fn pod_create_infra_options_and_podmans_words() {
    let env = env_with_basic();
    // Podman's `pod create NAME`, and --network private (the default).
    env.hutch(["pod", "create", "--share", "net,ipc", "--network", "private", "p1"])
        .ok();
    assert_eq!(
        fmt(&env, &["pod", "inspect", "p1"], "{{.Name}} {{.SharedNamespaces}}"),
        "p1 [net ipc]"
    );
    env.hutch(["pod", "create", "--name", "x", "y"]).fails_with("--name");
    // The infra container's image, name and command; the pod's id in a file.
    let idfile = env.root.join("pod-id");
    let id = env
        .hutch([
            "pod",
            "create",
            "--name",
            "p2",
            "--infra-image",
            BASIC,
            "--infra-name",
            "myinfra",
            "--infra-command",
            r#"["sleep","1000"]"#,
            "--pod-id-file",
            idfile.to_str().unwrap(),
        ])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert_eq!(std::fs::read_to_string(&idfile).unwrap(), id);
    assert_eq!(
        fmt(&env, &["pod", "inspect", "p2"], "{{.InfraContainerID}}"),
        fmt(&env, &["inspect", "myinfra"], "{{.Id}}")
    );
    assert_eq!(
        fmt(&env, &["inspect", "myinfra"], "{{.Config.Entrypoint}}"),
        "[sleep 1000]"
    );
    env.hutch(["run", "-d", "--pod", "p2", "--name", "m", BASIC, "sleep", "1000"])
        .ok();
    assert_eq!(status(&env, "myinfra"), "running");
    let top = env.hutch(["pod", "top", "p2", "args"]).ok().stdout;
    assert_eq!(top.matches("sleep 1000").count(), 2, "{top}");
    // Bad input: the infra name in use, an image that cannot be had, --infra=false with infra
    // options: one error line each, no pod made.
    env.hutch(["pod", "create", "--name", "p3", "--infra-name", "myinfra"])
        .fails_with("the container name \"myinfra\" is already in use");
    env.hutch([
        "pod",
        "create",
        "--name",
        "p3",
        "--infra-image",
        "127.0.0.1:5000/no/such-image:1",
    ])
    .fails_with("cannot reach registry 127.0.0.1:5000");
    env.hutch(["pod", "create", "--name", "p3", "--infra=false", "--infra-name", "i"])
        .fails_with("--infra-name");
    assert_eq!(env.hutch(["pod", "exists", "p3"]).code, 1);
    // Podman's words, which scripts match.
    env.hutch(["pod", "create", "--share", "bogus"])
        .fails_with("invalid kernel namespace to share: bogus. Options are: cgroup, ipc, net, pid, uts or none");
    env.hutch(["rm", "myinfra"])
        .fails_with("and cannot be removed without removing the pod");
    env.hutch(["run", "--rm", "--pod", "p2", "--hostname", "h", BASIC, "true"])
        .fails_with("cannot set hostname when joining the pod UTS namespace");
    // --pod new:NAME takes --hostname as the new pod's.
    let r = env
        .hutch([
            "run",
            "--rm",
            "--pod",
            "new:hp",
            "--hostname",
            "foobar",
            BASIC,
            "hostname",
        ])
        .ok();
    assert_eq!(r.stdout, "foobar\n");
    assert_eq!(fmt(&env, &["pod", "inspect", "hp"], "{{.Hostname}}"), "foobar");
    // A pod whose only running container is its infra is removed without -f (Podman's rule);
    // one with a running member is not.
    assert_eq!(
        status(&env, &fmt(&env, &["pod", "inspect", "hp"], "{{.InfraContainerID}}")),
        "running"
    );
    env.hutch(["pod", "rm", "hp"]).ok();
    assert_eq!(env.hutch(["pod", "exists", "hp"]).code, 1);
    env.hutch(["pod", "rm", "p2"]).fails_with("running containers (m)");
}

#[test]
fn volume_ls_name_filter_is_a_regular_expression() {
    let env = Env::new();
    for v in ["volume_1_x", "volume_2_x", "other"] {
        env.hutch(["volume", "create", v]).ok();
    }
    let names = |f: &str| {
        env.hutch(["volume", "ls", "-q", "--filter", f])
            .ok()
            .stdout
            .lines()
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert_eq!(names("name=volume_1.+"), ["volume_1_x"]);
    assert_eq!(names("name=volume_1*").len(), 2);
    assert_eq!(names("name=^oth"), ["other"]);
}

#[test]
fn volume_verbs_and_mount_options_as_podmans() {
    let env = env_with_basic();
    // volume rm -t 0 -a -f: every volume, its running users stopped at once.
    env.hutch(["volume", "create", "a"]).ok();
    env.hutch(["run", "-d", "--name", "user", "-v", "b:/b", BASIC, "sleep", "1000"])
        .ok();
    let r = env.hutch(["volume", "rm", "-t", "0", "-a", "-f"]).ok();
    assert_eq!(r.stdout, "a\nb\n");
    assert_eq!(env.hutch(["ps", "-aq"]).ok().stdout, "");

    // prune without -f lists what it would remove and removes nothing on "N".
    for v in ["used", "free1", "free2"] {
        env.hutch(["volume", "create", v]).ok();
    }
    env.hutch(["create", "--name", "c", "-v", "used:/u", BASIC, "true"])
        .ok();
    let r = sh(&env, "echo N | hutch volume prune");
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains("will be removed:\nfree1\nfree2\nAre you sure"),
        "{r:?}"
    );
    let mut left: Vec<String> = env
        .hutch(["volume", "ls", "-q"])
        .ok()
        .stdout
        .lines()
        .map(String::from)
        .collect();
    left.sort();
    assert_eq!(left, ["free1", "free2", "used"]);

    // volume mount: rootless, only inside `hutch unshare`, where it is the volume's directory.
    env.hutch(["volume", "mount", "used"])
        .fails_with("in rootless mode, must execute `hutch unshare` first");
    let r = sh(
        &env,
        "hutch unshare sh -c 'd=$(hutch volume mount used) && echo hi > $d/f && chown 123 $d/f && echo $d'",
    )
    .ok();
    assert_eq!(
        r.stdout.trim(),
        fmt(&env, &["volume", "inspect", "used"], "{{.Mountpoint}}")
    );
    let r = env
        .hutch(["run", "--rm", "-v", "used:/u", BASIC, "stat", "-c", "%u %n", "/u/f"])
        .ok();
    assert_eq!(r.stdout, "123 /u/f\n");
    assert_eq!(
        sh(&env, "hutch unshare hutch volume unmount used").ok().stdout,
        "used\n"
    );
    sh(&env, "hutch unshare hutch volume mount nosuch").fails_with("nosuch");

    // The same mount twice is one; another mount on the same place is refused, naming it.
    let d1 = env.root.join("d1");
    let d2 = env.root.join("d2");
    for d in [&d1, &d2] {
        std::fs::create_dir_all(d).unwrap();
    }
    env.chown_tree(&d1);
    env.chown_tree(&d2);
    let v1 = format!("{}:/vol1", d1.display());
    let v2 = format!("{}:/vol1", d2.display());
    env.hutch(["run", "--rm", "-v", &v1, "-v", &v1, BASIC, "true"]).ok();
    env.hutch(["run", "--rm", "--tmpfs", "/t", "--tmpfs", "/t", BASIC, "true"])
        .ok();
    env.hutch(["run", "--rm", "-v", &v1, "-v", &v2, BASIC, "true"])
        .fails_with("/vol1: duplicate mount destination");
    env.hutch(["run", "--rm", "-v", "free1:/t", "--tmpfs", "/t", BASIC, "true"])
        .fails_with("/t: duplicate mount destination");
    assert_eq!(env.hutch(["ps", "-aq"]).ok().stdout.lines().count(), 1, "only c");

    // noexec (and its kin) on a volume; exec is the default.
    std::fs::write(d1.join("s"), "#!/bin/sh\necho ran\n").unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(d1.join("s"), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    env.chown_tree(&d1);
    let noexec = format!("{}:/v:noexec,nosuid,nodev,z", d1.display());
    let r = env.hutch(["run", "--rm", "-v", &noexec, BASIC, "/v/s"]);
    assert_ne!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("ermission denied"), "{r:?}");
    let r = env
        .hutch(["run", "--rm", "-v", &noexec, BASIC, "grep", " /v ", "/proc/mounts"])
        .ok();
    assert!(
        r.stdout.contains("nosuid") && r.stdout.contains("nodev") && r.stdout.contains("noexec"),
        "{r:?}"
    );
    let exec = format!("{}:/v:noexec,exec", d1.display());
    assert_eq!(
        env.hutch(["run", "--rm", "-v", &exec, BASIC, "/v/s"]).ok().stdout,
        "ran\n"
    );
    env.hutch([
        "run",
        "--rm",
        "-v",
        &format!("{}:/v:noexecc", d1.display()),
        BASIC,
        "true",
    ])
    .fails_with("unknown option noexecc");

    // :U hands the content to the container's user once: what changed inside it later stays.
    std::fs::write(d2.join("test1"), "").unwrap();
    env.chown_tree(&d2);
    let u = format!("{}:/data:U", d2.display());
    let r = env
        .hutch([
            "run",
            "--name",
            "u",
            "--user",
            "1000:2000",
            "-v",
            &u,
            BASIC,
            "stat",
            "-c",
            "%u:%g",
            "/data",
        ])
        .ok();
    assert_eq!(r.stdout, "1000:2000\n");
    let t1 = d2.join("test1").display().to_string();
    env.hutch(["unshare", "chown", "100:200", &t1]).ok();
    assert_eq!(env.hutch(["start", "--attach", "u"]).ok().stdout, "1000:2000\n");
    assert_eq!(
        env.hutch(["unshare", "stat", "-c", "%u:%g", &t1]).ok().stdout,
        "100:200\n"
    );
    // A top that is not the user's any more is handed over again.
    env.hutch(["unshare", "chown", "-R", "100:200", &d2.display().to_string()])
        .ok();
    assert_eq!(env.hutch(["start", "--attach", "u"]).ok().stdout, "1000:2000\n");
    assert_eq!(
        env.hutch(["unshare", "stat", "-c", "%u:%g", &t1]).ok().stdout,
        "1000:2000\n"
    );
}

#[test]
fn image_volumes_follow_image_volume_mode() {
    let env = env_with_basic();
    env.write(
        "ctx/Containerfile",
        &format!("FROM {BASIC}\nRUN mkdir -p /data && echo seed > /data/f\nVOLUME /data\n"),
    );
    env.hutch(["build", "-q", "-t", "volimg", &path(&env, "ctx")]).ok();
    // bind (the default): a new anonymous volume, filled with the image's content.
    let r = env.hutch(["run", "--name", "b", "volimg", "cat", "/data/f"]).ok();
    assert_eq!(r.stdout, "seed\n");
    let vols = env.hutch(["volume", "ls", "-q"]).ok().stdout;
    assert_eq!(vols.lines().count(), 1, "{vols}");
    assert_eq!(fmt(&env, &["volume", "inspect", vols.trim()], "{{.Anonymous}}"), "true");
    env.hutch(["rm", "-v", "b"]).ok();
    assert_eq!(env.hutch(["volume", "ls", "-q"]).ok().stdout, "");
    // tmpfs, and ignore (the image's directory as it is).
    let r = env
        .hutch([
            "run",
            "--rm",
            "--image-volume",
            "tmpfs",
            "volimg",
            "stat",
            "-f",
            "-c",
            "%T",
            "/data",
        ])
        .ok();
    assert_eq!(r.stdout, "tmpfs\n");
    let r = env
        .hutch([
            "run",
            "--rm",
            "--image-volume",
            "ignore",
            "volimg",
            "sh",
            "-c",
            "stat -f -c %T /data; cat /data/f",
        ])
        .ok();
    assert_ne!(r.stdout, "tmpfs\nseed\n");
    assert!(r.stdout.ends_with("seed\n"), "{r:?}");
    // A -v on the same place wins over the image's VOLUME.
    let r = env
        .hutch(["run", "--rm", "-v", "named:/data", "volimg", "cat", "/data/f"])
        .ok();
    assert_eq!(r.stdout, "seed\n");
    assert_eq!(env.hutch(["volume", "ls", "-q"]).ok().stdout, "named\n");
    // containers.conf's [engine] image_volume_mode, which --image-volume overrides.
    let conf = env.write("c.conf", "[engine]\nimage_volume_mode = \"tmpfs\"\n");
    let r = sh(
        &env,
        &format!(
            "CONTAINERS_CONF={0} hutch run --rm volimg stat -f -c %T /data; CONTAINERS_CONF={0} hutch run --rm --image-volume bind volimg stat -f -c %T /data",
            conf.display()
        ),
    )
    .ok();
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines[0], "tmpfs", "{r:?}");
    assert_ne!(lines[1], "tmpfs", "{r:?}");
    env.hutch(["run", "--rm", "--image-volume", "nfs", "volimg", "true"])
        .fails_with("nfs");
    let bad = env.write("bad.conf", "[engine]\nimage_volume_mode = \"nfs\"\n");
    sh(
        &env,
        &format!("CONTAINERS_CONF={} hutch run --rm volimg true", bad.display()),
    )
    .fails_with("image_volume_mode");
}

#[test]
fn kube_bad_input_names_the_line_and_creates_nothing() {
    let env = env_with_basic();
    let nothing = |env: &Env| {
        assert_eq!(env.hutch(["pod", "ps", "-q"]).ok().stdout, "");
        assert_eq!(env.hutch(["ps", "-aq"]).ok().stdout, "");
        assert_eq!(env.hutch(["volume", "ls", "-q"]).ok().stdout, "");
    };
    // Malformed YAML after a good document (with a claim): the error names the line.
    let bad = env.write(
        "bad.yaml",
        &format!("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {{name: data}}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers: [{{name: c, image: {BASIC}}}\n"),
    );
    let r = env.hutch(["kube", "play", bad.to_str().unwrap()]).fails_with("line 10");
    assert_eq!(r.stdout, "");
    nothing(&env);
    // An unknown kind, after a Pod that would be fine: named, and nothing made.
    let job = env.write(
        "job.yaml",
        &format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: ok}}\nspec:\n  containers: [{{name: c, image: {BASIC}}}]\n---\napiVersion: batch/v1\nkind: CronJob\nmetadata: {{name: j}}\n"),
    );
    env.hutch(["kube", "play", job.to_str().unwrap()])
        .fails_with("kind CronJob is not supported");
    nothing(&env);
    // A pod name in use, by a pod hutch made: refused, the claim not made either.
    env.hutch(["pod", "create", "--name", "x"]).ok();
    let taken = env.write(
        "taken.yaml",
        &format!("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {{name: data}}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers: [{{name: c, image: {BASIC}}}]\n"),
    );
    env.hutch(["kube", "play", taken.to_str().unwrap()])
        .fails_with("the pod name \"x\" is already in use");
    assert_eq!(env.hutch(["volume", "ls", "-q"]).ok().stdout, "");
    assert_eq!(env.hutch(["pod", "ps", "-q"]).ok().stdout.lines().count(), 1);
    // A volume in use: `volume rm` refuses it (exit 2, as podman volume rm), one error line,
    // the volume and its user kept; -f removes both.
    env.hutch(["create", "--name", "user", "-v", "kept:/k", BASIC, "true"])
        .ok();
    let r = env.hutch(["volume", "rm", "kept"]);
    assert_eq!(r.code, 2, "{r:?}");
    let errs: Vec<&str> = r.stderr.lines().filter(|l| l.starts_with("Error: ")).collect();
    assert_eq!(errs.len(), 1, "{r:?}");
    assert!(errs[0].contains("volume kept is being used"), "{r:?}");
    assert_eq!(env.hutch(["volume", "exists", "kept"]).code, 0);
    assert_eq!(env.hutch(["container", "exists", "user"]).code, 0);
    env.hutch(["volume", "rm", "-f", "kept"]).ok();
    assert_eq!(env.hutch(["container", "exists", "user"]).code, 1);
}
