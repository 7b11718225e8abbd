//! `--uidmap`/`--gidmap`, `--userns keep-id:uid=N,gid=M`, nomap and auto without copying the
//! image (issue 14, goal 1): fuse-overlayfs shows the image's owners through the container's
//! own map (mounted in the store's user namespace for maps of their own, in the container's
//! for keep-id); the re-owned copy per map stays as the fallback (`HUTCH_KEEPID_METHOD=copy`).
//! Run as the unprivileged test user.

mod common;
use common::*;

const MULTI: &str = "fixtures/multi";

/// hutch with HUTCH_KEEPID_METHOD set (None: as the user has it).
fn hutch_m(env: &Env, method: Option<&str>, args: &[&str]) -> Run {
    let mut c = env.command(args);
    if let Some(m) = method {
        c.env("HUTCH_KEEPID_METHOD", m);
    }
    to_run(c.output().expect("running hutch"))
}

/// The store's per-map copies of layers (`layers/<id>/idmap-*` and `keepid-*`).
fn copies(env: &Env) -> Vec<String> {
    let mut v = Vec::new();
    for l in std::fs::read_dir(env.store().join("layers")).unwrap().flatten() {
        for e in std::fs::read_dir(l.path()).into_iter().flatten().flatten() {
            let n = e.file_name().to_string_lossy().to_string();
            if n.starts_with("idmap-") || n.starts_with("keepid-") {
                v.push(n);
            }
        }
    }
    v
}

/// Disk use of the store's layers, in KiB (du).
fn layers_kib(env: &Env) -> u64 {
    let o = std::process::Command::new("du")
        .args(["-sk"])
        .arg(env.store().join("layers"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// The method a container's record says it was created with.
fn method_of(env: &Env, id: &str) -> String {
    let rec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.store().join("containers").join(id).join("record.json")).unwrap())
            .unwrap();
    rec["spec"]["idmap_method"].as_str().unwrap_or("").to_string()
}

/// One shape of map: its flags, what the container shows (`id -u`, `id -g`, then the owners
/// and modes of /, /etc/passwd, /home/tester (1000:1000 in the image), /data/owned1234
/// (1234:5678) and /data/suid (setuid root), and of a file it writes as its user), and the
/// host owner of a file it creates in a bind mount.
struct Shape {
    flags: &'static [&'static str],
    shows: &'static str,
    bind_owner: (u32, u32),
}

const SCRIPT: &str = "id -u; id -g; stat -c '%u:%g %a %n' / /etc/passwd /home/tester /data/owned1234 /data/suid; \
                      touch /bind/new; echo w > /tmp/w; stat -c '%u:%g %n' /tmp/w";

fn shapes(env: &Env) -> Vec<Shape> {
    vec![
        // Container 0..999 are the first 1000 subordinate ids; the image's ids from 1000 up
        // are nobody's, as the map leaves them out.
        Shape {
            flags: &["--uidmap", "0:1:1000"],
            shows: "0\n0\n0:0 555 /\n0:0 644 /etc/passwd\n65534:65534 755 /home/tester\n\
                    65534:65534 644 /data/owned1234\n0:0 4755 /data/suid\n0:0 /tmp/w\n",
            bind_owner: (env.host_uid(1), env.host_uid(1)),
        },
        // Two ranges, swapped: container root is subordinate id 1001; uid 1234 is mapped,
        // gid 5678 is not.
        Shape {
            flags: &["--uidmap", "0:1001:1000", "--uidmap", "1000:1:1000"],
            shows: "0\n0\n0:0 555 /\n0:0 644 /etc/passwd\n1000:1000 755 /home/tester\n\
                    1234:65534 644 /data/owned1234\n0:0 4755 /data/suid\n0:0 /tmp/w\n",
            bind_owner: (env.host_uid(1001), env.host_uid(1001)),
        },
        // Your own ids are 1000 inside (the image's tester), the command runs as them.
        Shape {
            flags: &["--userns", "keep-id:uid=1000,gid=1000"],
            shows: "1000\n1000\n0:0 555 /\n0:0 644 /etc/passwd\n1000:1000 755 /home/tester\n\
                    1234:5678 644 /data/owned1234\n0:0 4755 /data/suid\n1000:1000 /tmp/w\n",
            bind_owner: (env.host_uid(0), env.host_uid(0)),
        },
    ]
}

/// Run every shape with `method`; `copied`: whether its layers must be re-owned copies.
fn check_shapes(env: &Env, method: Option<&str>, want_method: &str) {
    for (i, s) in shapes(env).iter().enumerate() {
        let src = env.home().join(format!("bind-{want_method}-{i}"));
        std::fs::create_dir_all(&src).unwrap();
        env.chown_tree(&src);
        // Writable by all: a container whose map leaves you out is not you there.
        std::fs::set_permissions(&src, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
        let vol = format!("{}:/bind", src.display());
        let before = (layers_kib(env), copies(env).len());
        let mut a = vec!["run", "--rm", "-v", &vol];
        a.extend(s.flags);
        a.extend([MULTI, "sh", "-c", SCRIPT]);
        let r = hutch_m(env, method, &a).ok();
        assert_eq!(r.stdout, s.shows, "{:?} ({want_method})", s.flags);
        assert_eq!(
            owner(&src.join("new")),
            s.bind_owner,
            "{:?}: a bind mount's new file is the host id the map gives",
            s.flags
        );
        let after = (layers_kib(env), copies(env).len());
        if want_method == "fuse-overlayfs" {
            assert_eq!(after, before, "{:?}: no layer copied", s.flags);
        } else {
            assert!(after.1 > before.1, "{:?}: the copy is made", s.flags);
        }
        // The record keeps the method the container was created with.
        let mut c = vec!["create"];
        c.extend(s.flags);
        c.extend([MULTI, "true"]);
        let id = hutch_m(env, method, &c).ok().stdout.trim().to_string();
        assert_eq!(method_of(env, &id), want_method, "{:?}", s.flags);
        env.hutch(["rm", &id]).ok();
    }
}

#[test]
fn uidmap_and_keep_id_uid_show_the_image_through_fuse_overlayfs_without_a_copy() {
    let env = env_with(&[MULTI]);
    check_shapes(&env, None, "fuse-overlayfs");
    assert!(copies(&env).is_empty(), "{:?}", copies(&env));
}

#[test]
fn the_copy_is_still_the_fallback_forced_by_the_environment() {
    let env = env_with(&[MULTI]);
    check_shapes(&env, Some("copy"), "copy");
    // A container keeps its method: a copy-made one runs again from its copies after the
    // variable is gone, and a new one gets fuse-overlayfs.
    let id = hutch_m(
        &env,
        Some("copy"),
        &["create", "--uidmap", "0:1:1000", MULTI, "id", "-u"],
    )
    .ok()
    .stdout
    .trim()
    .to_string();
    assert_eq!(env.hutch(["start", "-a", &id]).ok().stdout, "0\n");
    assert_eq!(method_of(&env, &id), "copy");
    let id2 = env
        .hutch(["create", "--uidmap", "0:1:1000", MULTI, "true"])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert_eq!(method_of(&env, &id2), "fuse-overlayfs");
}

#[test]
fn a_fuse_uidmap_containers_files_are_the_images_ids_for_cp_diff_commit_and_export() {
    let env = env_with(&[MULTI]);
    let me = env.host_uid(0);
    let id = env
        .hutch([
            "run", "-d", "--name", "uf", "--uidmap", "0:1:6000", MULTI, "sleep", "1000",
        ])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert_eq!(method_of(&env, &id), "fuse-overlayfs");
    env.hutch([
        "exec",
        "uf",
        "sh",
        "-c",
        "echo r > /data/mine && chown 1234:5678 /data/mine && echo root > /rootfile && rm /data/owned1234",
    ])
    .ok();
    // The upper dir holds the image's ids (as a default container's): root is you.
    let upper = env.store().join("containers").join(&id).join("upper");
    assert_eq!(owner(&upper.join("rootfile")), (me, me));
    assert_eq!(
        owner(&upper.join("data/mine")),
        (env.host_uid(1234), env.host_uid(5678))
    );
    // cp into the running container (as its root, though the map leaves your id out).
    let inp = env.write("home/in.txt", "in\n");
    env.hutch(["cp", &inp.display().to_string(), "uf:/tmp/in.txt"]).ok();
    assert_eq!(
        env.hutch(["exec", "uf", "stat", "-c", "%u:%g", "/tmp/in.txt"])
            .ok()
            .stdout,
        "0:0\n"
    );
    let d = env.hutch(["diff", "uf"]).ok().stdout;
    for want in ["A /data/mine", "A /rootfile", "D /data/owned1234", "A /tmp/in.txt"] {
        assert!(d.lines().any(|l| l == want), "{want} in diff:\n{d}");
    }
    // Stopped: cp reads and writes it (no copy needed), export and commit see its owners.
    env.hutch(["stop", "-t", "0", "uf"]).ok();
    env.hutch(["cp", "uf:/rootfile", &env.root.join("rf").display().to_string()])
        .ok();
    assert_eq!(std::fs::read_to_string(env.root.join("rf")).unwrap(), "root\n");
    env.hutch(["cp", &inp.display().to_string(), "uf:/tmp/x"]).ok();
    let tar = env.root.join("uf.tar");
    env.hutch(["export", "-o", &tar.display().to_string(), "uf"]).ok();
    let listing = std::process::Command::new("tar")
        .args(["tvf"])
        .arg(&tar)
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout).to_string();
    for (path, ids) in [
        ("data/mine", "1234/5678"),
        ("rootfile", "0/0"),
        ("tmp/x", "0/0"),
        ("data/suid", "0/0"),
    ] {
        assert!(
            listing
                .lines()
                .any(|l| l.ends_with(&format!(" {path}")) && l.contains(ids)),
            "{path} {ids} in export:\n{listing}"
        );
    }
    env.hutch(["commit", "uf", "ufimg"]).ok();
    assert_eq!(
        env.hutch([
            "run",
            "--rm",
            "ufimg",
            "sh",
            "-c",
            "stat -c '%u:%g %n' /data/mine /rootfile /tmp/in.txt /tmp/x; test -e /data/owned1234 || echo gone",
        ])
        .ok()
        .stdout,
        "1234:5678 /data/mine\n0:0 /rootfile\n0:0 /tmp/in.txt\n0:0 /tmp/x\ngone\n"
    );
    env.hutch(["start", "uf"]).ok();
    assert_eq!(
        env.hutch(["exec", "uf", "stat", "-c", "%u:%g %n", "/data/mine", "/tmp/x"])
            .ok()
            .stdout,
        "1234:5678 /data/mine\n0:0 /tmp/x\n"
    );
    env.hutch(["rm", "-f", "uf"]).ok();
    assert!(copies(&env).is_empty(), "{:?}", copies(&env));
    let check = env.hutch(["system", "check"]).ok().stdout;
    assert!(check.ends_with(": no problems\n"), "{check}");
}

#[test]
fn nomap_and_auto_ranges_shift_on_the_fly_above_the_images_ids_too() {
    let env = env_with(&[MULTI]);
    let script = "id -u; stat -c '%u:%g %a %n' /etc/passwd /home/tester /data/owned1234 /data/suid";
    let shows =
        "0\n0:0 644 /etc/passwd\n1000:1000 755 /home/tester\n1234:5678 644 /data/owned1234\n0:0 4755 /data/suid\n";
    for (mode, want) in [
        ("nomap", "fuse-overlayfs"),
        // The first auto range starts at your first subordinate id: the image's ids are all
        // seen in the container's namespace.
        ("auto:size=6000", "fuse-overlayfs"),
        // The next starts above them: fuse-overlayfs, mounted in the store's namespace,
        // still sees them, so nothing is copied for it either.
        ("auto:size=6000", "fuse-overlayfs"),
    ] {
        let id = env
            .hutch(["create", "--userns", mode, MULTI, "sh", "-c", script])
            .ok()
            .stdout
            .trim()
            .to_string();
        assert_eq!(method_of(&env, &id), want, "{mode}");
        assert_eq!(env.hutch(["start", "-a", &id]).ok().stdout, shows, "{mode} ({want})");
    }
    assert!(copies(&env).is_empty(), "{:?}", copies(&env));
}

#[test]
fn keep_id_without_subordinate_ids_is_one_clear_error() {
    let env = Env::nosub();
    env.pull(MULTI);
    for mode in ["keep-id", "keep-id:uid=1000,gid=1000"] {
        let r = env
            .hutch(["run", "--rm", "--userns", mode, MULTI, "true"])
            .exits(125, "--userns keep-id needs a subordinate id range for your user");
        assert_eq!(r.stderr.lines().filter(|l| l.starts_with("Error:")).count(), 1);
    }
    assert_eq!(env.hutch(["ps", "-a", "-q"]).ok().stdout, "");
    // Bad keep-id options are refused before anything is made.
    let env = env_with(&[MULTI]);
    env.hutch(["run", "--rm", "--userns", "keep-id:uid=x", MULTI, "true"])
        .exits(125, "--userns keep-id:uid=x: uid=x: not a user or group id");
    env.hutch(["run", "--rm", "--userns", "keep-id:size=5", MULTI, "true"])
        .exits(125, "unknown option \"size=5\"");
    assert_eq!(env.hutch(["ps", "-a", "-q"]).ok().stdout, "");
}
