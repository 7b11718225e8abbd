//! `--userns keep-id` without copying the image (issue 14, goal 1): fuse-overlayfs mounted in
//! the container's user namespace shifts the ids on the fly; the re-owned copy stays as the
//! fallback (`HUTCH_KEEPID_METHOD=copy`). Run as the unprivileged test user.

mod common;
use common::*;

const MULTI: &str = "fixtures/multi";

/// hutch with an extra environment variable.
fn hutch_env(env: &Env, var: &str, val: &str, args: &[&str]) -> Run {
    let mut c = env.command(args);
    c.env(var, val);
    to_run(c.output().expect("running hutch"))
}

/// The store's keep-id copies (`layers/<id>/keepid-*`).
fn keepid_copies(env: &Env) -> Vec<String> {
    let mut v = Vec::new();
    for l in std::fs::read_dir(env.store().join("layers")).unwrap().flatten() {
        if let Ok(rd) = std::fs::read_dir(l.path()) {
            for e in rd.flatten() {
                let n = e.file_name().to_string_lossy().to_string();
                if n.starts_with("keepid-") {
                    v.push(n);
                }
            }
        }
    }
    v
}

/// What every keep-id container must show, whatever the method: the user's ids, the image's
/// owners (root, 1000, 1234:5678), the setuid bit, a bind mount's new file the user's on the host.
fn check_keep_id(env: &Env, method_env: Option<&str>) {
    let me = env.host_uid(0);
    let src = env.home().join(format!("bind-{}", method_env.unwrap_or("default")));
    std::fs::create_dir_all(&src).unwrap();
    env.chown_tree(&src);
    let vol = format!("{}:/bind", src.display());
    let script = "id -u; id -g; stat -c '%u:%g %a %n' / /etc/passwd /home/tester /data/owned1234 /data/suid; \
                  touch /bind/new; echo w > /tmp/w; stat -c '%u:%g %n' /tmp/w";
    let args = [
        "run", "--rm", "--userns", "keep-id", "-v", &vol, MULTI, "sh", "-c", script,
    ];
    let r = match method_env {
        Some(m) => hutch_env(env, "HUTCH_KEEPID_METHOD", m, &args),
        None => env.hutch(args),
    }
    .ok();
    assert_eq!(
        r.stdout,
        format!(
            "{me}\n{me}\n0:0 555 /\n0:0 644 /etc/passwd\n1000:1000 755 /home/tester\n\
             1234:5678 644 /data/owned1234\n0:0 4755 /data/suid\n{me}:{me} /tmp/w\n"
        )
    );
    assert_eq!(
        owner(&src.join("new")),
        (me, me),
        "a bind mount's new file is the user's on the host"
    );
}

#[test]
fn keep_id_shifts_ids_with_fuse_overlayfs_and_copies_nothing() {
    let env = env_with(&[MULTI]);
    let info = env.hutch(["info", "--format", "json"]).ok();
    let v: serde_json::Value = serde_json::from_str(&info.stdout).unwrap();
    assert_eq!(v["store"]["keepIdMethod"], "fuse-overlayfs", "{}", info.stdout);
    assert_eq!(
        env.hutch(["info", "--format", "{{.Store.KeepIdMethod}}"]).ok().stdout,
        "fuse-overlayfs\n"
    );
    check_keep_id(&env, None);
    assert!(
        keepid_copies(&env).is_empty(),
        "nothing copied: {:?}",
        keepid_copies(&env)
    );
    // The container's map is keep-id's: the user's id is itself, subordinate ids fill the rest.
    // (With --network none: on a network the container's user namespace is a child of the
    // shared network namespace's, and its uid_map shows the parent's ids: tests/netuser.rs.)
    let me = env.host_uid(0);
    let r = env
        .hutch([
            "run",
            "--rm",
            "--network",
            "none",
            "--userns=keep-id",
            MULTI,
            "cat",
            "/proc/self/uid_map",
        ])
        .ok();
    let lines: Vec<Vec<u64>> = r
        .stdout
        .lines()
        .map(|l| l.split_whitespace().map(|x| x.parse().unwrap()).collect())
        .collect();
    assert!(lines.contains(&vec![me as u64, me as u64, 1]), "{}", r.stdout);
    // A plain container of the same image still sees the image as it is.
    assert_eq!(
        env.hutch(["run", "--rm", MULTI, "stat", "-c", "%u:%g", "/data/owned1234"])
            .ok()
            .stdout,
        "1234:5678\n"
    );
}

#[test]
fn keep_id_writes_are_seen_by_exec_cp_diff_and_commit() {
    let env = env_with(&[MULTI]);
    let me = env.host_uid(0);
    let id = env
        .hutch(["run", "-d", "--name", "kf", "--userns=keep-id", MULTI, "sleep", "1000"])
        .ok()
        .stdout;
    assert_eq!(id.trim().len(), 64);
    // exec runs as the user, and root in the container is root.
    assert_eq!(env.hutch(["exec", "kf", "id", "-u"]).ok().stdout, format!("{me}\n"));
    env.hutch(["exec", "kf", "sh", "-c", "echo mine > /tmp/mine"]).ok();
    env.hutch([
        "exec",
        "-u",
        "0",
        "kf",
        "sh",
        "-c",
        "echo r > /data/rootfile && chown 1234:5678 /data/rootfile && chmod 4755 /data/rootfile && rm /data/b.txt 2>/dev/null; rm /data/owned1234",
    ])
    .ok();
    assert_eq!(
        env.hutch(["exec", "kf", "stat", "-c", "%u:%g %a %n", "/tmp/mine", "/data/rootfile"])
            .ok()
            .stdout,
        format!("{me}:{me} 644 /tmp/mine\n1234:5678 4755 /data/rootfile\n")
    );
    // cp out of the running container, and into it.
    let out = env.root.join("out");
    env.hutch(["cp", "kf:/tmp/mine", &out.display().to_string()]).ok();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "mine\n");
    let inp = env.write("home/in.txt", "in\n");
    env.hutch(["cp", &inp.display().to_string(), "kf:/tmp/in.txt"]).ok();
    assert_eq!(
        env.hutch(["exec", "kf", "stat", "-c", "%u:%g", "/tmp/in.txt"])
            .ok()
            .stdout,
        format!("{me}:{me}\n"),
        "copied-in files belong to the container's user (cp -a, the default, as Podman's)"
    );
    let d = env.hutch(["diff", "kf"]).ok().stdout;
    for want in ["A /tmp/mine", "A /data/rootfile", "D /data/owned1234", "A /tmp/in.txt"] {
        assert!(d.lines().any(|l| l == want), "{want} in diff:\n{d}");
    }
    // commit keeps the owners as the container sees them.
    env.hutch(["commit", "kf", "kfimg"]).ok();
    let r = env
        .hutch([
            "run",
            "--rm",
            "kfimg",
            "sh",
            "-c",
            "stat -c '%u:%g %a %n' /tmp/mine /data/rootfile; test -e /data/owned1234 || echo gone",
        ])
        .ok();
    assert_eq!(
        r.stdout,
        format!("{me}:{me} 644 /tmp/mine\n1234:5678 4755 /data/rootfile\ngone\n")
    );
    // Stopped: cp still reads and writes its file system, and a new start sees it all.
    env.hutch(["stop", "-t", "0", "kf"]).ok();
    env.hutch(["cp", "kf:/data/rootfile", &env.root.join("rf").display().to_string()])
        .ok();
    assert_eq!(std::fs::read_to_string(env.root.join("rf")).unwrap(), "r\n");
    env.hutch(["cp", &inp.display().to_string(), "kf:/tmp/in2.txt"]).ok();
    env.hutch(["start", "kf"]).ok();
    assert_eq!(
        env.hutch(["exec", "kf", "stat", "-c", "%u:%g %n", "/tmp/mine", "/tmp/in2.txt"])
            .ok()
            .stdout,
        format!("{me}:{me} /tmp/mine\n{me}:{me} /tmp/in2.txt\n")
    );
    env.hutch(["rm", "-f", "kf"]).ok();
    assert!(keepid_copies(&env).is_empty());
}

#[test]
fn keep_id_copy_fallback_forced_by_the_environment() {
    let env = env_with(&[MULTI]);
    assert_eq!(
        hutch_env(
            &env,
            "HUTCH_KEEPID_METHOD",
            "copy",
            &["info", "--format", "{{.Store.KeepIdMethod}}"]
        )
        .ok()
        .stdout,
        "copy\n"
    );
    check_keep_id(&env, Some("copy"));
    assert!(!keepid_copies(&env).is_empty(), "the fallback made re-owned copies");
    // A container created with the copy keeps it, whatever the environment says later.
    hutch_env(
        &env,
        "HUTCH_KEEPID_METHOD",
        "copy",
        &[
            "create",
            "--name",
            "kc",
            "--userns=keep-id",
            MULTI,
            "sh",
            "-c",
            "stat -c %u:%g /data/owned1234; id -u",
        ],
    )
    .ok();
    let me = env.host_uid(0);
    assert_eq!(
        env.hutch(["start", "-a", "kc"]).ok().stdout,
        format!("1234:5678\n{me}\n")
    );
    // A bad value is refused, with nothing created.
    hutch_env(
        &env,
        "HUTCH_KEEPID_METHOD",
        "bogus",
        &["run", "--rm", "--name", "kb", "--userns=keep-id", MULTI, "true"],
    )
    .fails_with("HUTCH_KEEPID_METHOD=bogus");
    assert!(!env
        .hutch(["ps", "-a", "--format", "{{.Names}}"])
        .ok()
        .stdout
        .contains("kb"));
}

/// /proc/self/uid_map (or gid_map) lines as numbers.
fn map_lines(text: &str) -> Vec<Vec<u64>> {
    text.lines()
        .map(|l| l.split_whitespace().map(|x| x.parse().unwrap()).collect())
        .collect()
}

#[test]
fn uidmap_and_gidmap_map_as_asked_and_keep_the_images_owners() {
    let env = env_with(&[MULTI]);
    let sub = env.host_uid(1) as u64; // the first subordinate id: 1 in the user's namespace
                                      // The user's own id, which these maps leave out, is not mapped at all (as with Podman):
                                      // the container's root cannot become you. Its user namespace is a child of one mapped as
                                      // the store's, so its maps show the store's ids (0 is you, 1.. your subordinate ids).
    let r = env
        .hutch([
            "run",
            "--rm",
            "--network",
            "none",
            "--uidmap",
            "0:1:2000",
            "--gidmap",
            "0:1:6000",
            MULTI,
            "sh",
            "-c",
            "cat /proc/self/uid_map; echo -; cat /proc/self/gid_map; echo -; id -u; id -g; \
             stat -c '%u:%g %a %n' / /home/tester /data/owned1234 /data/suid",
        ])
        .ok();
    let parts: Vec<&str> = r.stdout.split("-\n").collect();
    assert_eq!(map_lines(parts[0]), vec![vec![0, 1, 2000]], "{}", r.stdout);
    assert_eq!(map_lines(parts[1]), vec![vec![0, 1, 6000]], "{}", r.stdout);
    assert_eq!(
        parts[2],
        "0\n0\n0:0 555 /\n1000:1000 755 /home/tester\n1234:5678 644 /data/owned1234\n0:0 4755 /data/suid\n"
    );
    // `@HOST` names a host id; --uidmap alone maps gids the same; ids the map leaves out are
    // nobody's.
    let r = env
        .hutch([
            "run",
            "--rm",
            "--network",
            "none",
            "--uidmap",
            &format!("0:@{sub}:1000"),
            MULTI,
            "sh",
            "-c",
            "cat /proc/self/uid_map /proc/self/gid_map; stat -c '%u:%g %n' /etc/passwd /home/tester",
        ])
        .ok();
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(
        map_lines(&lines[..2].join("\n")),
        vec![vec![0, 1, 1000], vec![0, 1, 1000]]
    );
    assert_eq!(lines[2..].join("\n"), "0:0 /etc/passwd\n65534:65534 /home/tester");
    // A map that names your own id (0) maps you where it says, and nowhere else.
    let r = env
        .hutch([
            "run",
            "--rm",
            "--network",
            "none",
            "--uidmap",
            "0:1:100",
            "--uidmap",
            "100:0:1",
            MULTI,
            "cat",
            "/proc/self/uid_map",
        ])
        .ok();
    assert_eq!(map_lines(&r.stdout), vec![vec![0, 1, 100], vec![100, 0, 1]]);
}

#[test]
fn uidmap_container_writes_land_on_its_host_ids_and_commit_keeps_its_view() {
    let env = env_with(&[MULTI]);
    let sub = env.host_uid(1);
    // The copy (the fallback; fuse-overlayfs's way is tests/idmap4.rs): the upper dir holds
    // the container's own host ids.
    let id = hutch_env(
        &env,
        "HUTCH_KEEPID_METHOD",
        "copy",
        &[
            "run", "-d", "--name", "um", "--uidmap", "0:1:6000", MULTI, "sleep", "1000",
        ],
    )
    .ok()
    .stdout
    .trim()
    .to_string();
    env.hutch([
        "exec",
        "um",
        "sh",
        "-c",
        "echo r > /data/mine && chown 1234:5678 /data/mine && echo root > /rootfile",
    ])
    .ok();
    let upper = env.store().join("containers").join(&id).join("upper");
    assert_eq!(
        owner(&upper.join("rootfile")),
        (sub, sub),
        "container root is the first subordinate id"
    );
    assert_eq!(owner(&upper.join("data/mine")), (sub + 1234, sub + 5678));
    // cp out of the running container and into it.
    env.hutch(["cp", "um:/data/mine", &env.root.join("mine").display().to_string()])
        .ok();
    assert_eq!(std::fs::read_to_string(env.root.join("mine")).unwrap(), "r\n");
    let inp = env.write("home/in.txt", "in\n");
    env.hutch(["cp", &inp.display().to_string(), "um:/tmp/in.txt"]).ok();
    assert_eq!(
        env.hutch(["exec", "um", "stat", "-c", "%u:%g", "/tmp/in.txt"])
            .ok()
            .stdout,
        "0:0\n"
    );
    env.hutch(["commit", "um", "umimg"]).ok();
    assert_eq!(
        env.hutch([
            "run",
            "--rm",
            "umimg",
            "stat",
            "-c",
            "%u:%g %n",
            "/data/mine",
            "/rootfile",
            "/tmp/in.txt"
        ])
        .ok()
        .stdout,
        "1234:5678 /data/mine\n0:0 /rootfile\n0:0 /tmp/in.txt\n"
    );
    // Stopped: its file system can be read, and it starts again with its map.
    env.hutch(["stop", "-t", "0", "um"]).ok();
    env.hutch(["cp", "um:/rootfile", &env.root.join("rf").display().to_string()])
        .ok();
    assert_eq!(std::fs::read_to_string(env.root.join("rf")).unwrap(), "root\n");
    env.hutch(["cp", &inp.display().to_string(), "um:/tmp/x"])
        .fails_with("start it first");
    env.hutch(["start", "um"]).ok();
    assert_eq!(
        env.hutch(["exec", "um", "stat", "-c", "%u:%g", "/data/mine"])
            .ok()
            .stdout,
        "1234:5678\n"
    );
    env.hutch(["rm", "-f", "um"]).ok();
}

#[test]
fn bad_uidmap_and_gidmap_are_refused_with_nothing_created() {
    let env = env_with(&[MULTI]);
    for (args, needle) in [
        (vec!["--uidmap", "0:1"], "--uidmap 0:1: three numbers expected"),
        (vec!["--uidmap", "0:1:0"], "SIZE must be at least 1"),
        (vec!["--gidmap", "x:1:5"], "--gidmap x:1:5: CONTAINER is not a number"),
        (vec!["--uidmap", "+0:1:5"], "the + form is not supported"),
        (
            vec!["--uidmap", "0:1:10", "--uidmap", "5:100:10"],
            "container ids overlap",
        ),
        (vec!["--uidmap", "0:1:10", "--uidmap", "100:5:10"], "host ids overlap"),
        (
            vec!["--uidmap", "0:60000:10000"],
            "host ids 60000-69999 are not in your user namespace",
        ),
        (
            vec!["--uidmap", "0:@12345:10"],
            "--uidmap 0:@12345:10: host ids 12345-12354 are not all yours",
        ),
        (
            vec!["--uidmap", "0:1:10", "--userns", "keep-id"],
            "cannot be used together",
        ),
        (
            vec!["--uidmap", "4294967290:1:10"],
            "the range goes past the largest id",
        ),
    ] {
        let mut a = vec!["run", "--rm", "--name", "bad"];
        a.extend(args);
        a.extend([MULTI, "true"]);
        env.hutch(&a).fails_with(needle);
        let mut c = vec!["create", "--name", "bad"];
        c.extend(&a[4..]);
        env.hutch(&c).fails_with(needle);
    }
    assert_eq!(env.hutch(["ps", "-a", "-q"]).ok().stdout, "");
    let nosub = Env::nosub();
    nosub.pull(MULTI);
    nosub
        .hutch(["run", "--rm", "--uidmap", "0:0:1", MULTI, "true"])
        .fails_with("need a subordinate id range");
}
