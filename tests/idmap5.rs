//! The id map's safety (issue 14, goal 1): a container with maps of its own (`--uidmap`,
//! `--userns auto`) does not map you at all, as Podman's: its root cannot become you, nor read
//! or write your files, on `--network none` and on the default network. fuse-overlayfs shifts
//! the image's ids from the store's user namespace, of which the container's is a child, so an
//! `auto` range above the image's ids needs no copy either (goal 2). And `inspect` shows the
//! user and network namespace modes as Podman 4.3 does. Run as the unprivileged test user.

mod common;
use common::*;

const BASIC: &str = "fixtures/basic";

/// In the container: its uid_map, then what its root could do to you.
const PROBE: &str = "cat /proc/self/uid_map; echo -; id -u; stat -c '%u:%g %n' /etc/passwd; \
    python3 -c 'import os\ntry:\n os.setresuid(4294967294, 4294967294, 4294967294); print(\"became\", os.getuid())\nexcept OSError as e: print(\"setuid\", e.errno)'; \
    chown 4294967294 /tmp 2>/dev/null && echo chowned; \
    cat /mine/secret 2>/dev/null && echo read; \
    (echo x >> /mine/secret) 2>/dev/null && echo wrote; \
    touch /mine/new 2>/dev/null && echo made; \
    echo done";

/// fuse-overlayfs processes mounting this container's root file system.
fn fuse_daemons(id: &str) -> usize {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| {
            std::fs::read(e.path().join("cmdline")).is_ok_and(|c| {
                let c = String::from_utf8_lossy(&c);
                c.starts_with("fuse-overlayfs") && c.contains(id)
            })
        })
        .count()
}

#[test]
fn a_map_containers_root_cannot_become_you_nor_touch_your_files() {
    let env = env_with(&[BASIC]);
    // Yours: a directory anyone may enter, a file only you may read.
    let mine = env.home().join("mine");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(mine.join("secret"), "s\n").unwrap();
    env.chown_tree(&mine);
    std::fs::set_permissions(mine.join("secret"), std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let bind = format!("{}:/mine", mine.display());
    for net in [Some("none"), None] {
        for map in [&["--uidmap", "0:1:65536"][..], &["--userns", "auto:size=2000"]] {
            let mut a = vec!["run", "--rm", "-v", &bind];
            if let Some(n) = net {
                a.extend(["--network", n]);
            }
            a.extend(PY);
            a.extend(map);
            a.extend([BASIC, "sh", "-c", PROBE]);
            let r = env.hutch(&a).ok();
            let (maps, rest) = r.stdout.split_once("-\n").unwrap();
            let lines: Vec<Vec<u64>> = maps
                .lines()
                .map(|l| l.split_whitespace().map(|x| x.parse().unwrap()).collect())
                .collect();
            // Its user namespace is a child of one mapped as the store's (on the default
            // network, the shared namespace's), as Podman's: the parent ids are the store's,
            // where 0 is you.
            let you = 0;
            assert!(!lines.is_empty(), "{r:?}");
            for l in &lines {
                assert!(
                    !(l[1] <= you && you < l[1] + l[2]),
                    "{net:?} {map:?}: you are mapped: {maps}"
                );
                assert!(l[0] + l[2] <= 65536, "{net:?} {map:?}: an id above the map's: {maps}");
            }
            // The image is as it was (root's files root's); its root cannot take your id
            // (EINVAL: not mapped), nor read, write or add to your files.
            assert_eq!(rest, "0\n0:0 /etc/passwd\nsetuid 22\ndone\n", "{net:?} {map:?}");
        }
    }
    assert_eq!(std::fs::read_to_string(mine.join("secret")).unwrap(), "s\n");
    assert!(!mine.join("new").exists());
}

#[test]
fn an_auto_range_above_the_images_ids_runs_without_a_copy_and_its_daemon_goes_with_it() {
    let env = env_with(&[BASIC]);
    let mut ids = Vec::new();
    // The second range starts at subordinate id 2001, above every id the image has.
    for (name, net) in [("a1", "none"), ("a2", "none"), ("a3", "podman")] {
        let id = env
            .hutch([
                "run",
                "-d",
                "--name",
                name,
                "--network",
                net,
                "--userns",
                "auto:size=2000",
                BASIC,
                "sleep",
                "1000",
            ])
            .ok()
            .stdout
            .trim()
            .to_string();
        ids.push(id);
    }
    let layers = env.store().join("layers");
    for l in std::fs::read_dir(&layers).unwrap().flatten() {
        for e in std::fs::read_dir(l.path()).into_iter().flatten().flatten() {
            let n = e.file_name().to_string_lossy().to_string();
            assert!(!n.starts_with("idmap-"), "a copy was made: {n}");
        }
    }
    for (name, id) in ["a1", "a2", "a3"].iter().zip(&ids) {
        let rec: serde_json::Value = serde_json::from_slice(
            &std::fs::read(env.store().join("containers").join(id).join("record.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(rec["spec"]["idmap_method"], "fuse-overlayfs", "{name}");
        let r = env
            .hutch([
                "exec",
                name,
                "sh",
                "-c",
                "stat -c '%u:%g %a %n' / /etc/passwd /bin/busybox; echo w > /w; stat -c '%u:%g %n' /w",
            ])
            .ok();
        let lines: Vec<&str> = r.stdout.lines().collect();
        assert_eq!(
            lines[..4],
            ["0:0 555 /", "0:0 644 /etc/passwd", "0:0 755 /bin/busybox", "0:0 /w"],
            "{name}: {r:?}"
        );
        assert_eq!(fuse_daemons(id), 1, "{name}: one fuse-overlayfs");
    }
    // The second range is above the first: 2000 ids from subordinate id 2001 on (in the
    // ids of the store's namespace, its parent).
    let a2_map = env.hutch(["exec", "a2", "cat", "/proc/self/uid_map"]).ok().stdout;
    let f: Vec<u64> = a2_map.split_whitespace().map(|x| x.parse().unwrap()).collect();
    assert_eq!(f, [0, 2001, 2000], "{a2_map}");
    // Its upper dir holds the image's ids: the file root wrote is yours.
    let me = env.host_uid(0);
    assert_eq!(
        owner(&env.store().join("containers").join(&ids[1]).join("upper/w")),
        (me, me)
    );
    // The mount lives in the container's mount namespace only: once it is gone, the daemon
    // exits by itself.
    env.hutch(["rm", "-f", "-t", "0", "a1", "a2", "a3"]).ok();
    for id in &ids {
        wait_until("fuse-overlayfs to exit", || fuse_daemons(id) == 0);
    }
}

#[test]
fn inspect_shows_the_user_and_network_namespace_modes_as_podman() {
    let env = env_with(&[BASIC]);
    let f = "{{.HostConfig.UsernsMode}}|{{.HostConfig.NetworkMode}}";
    for (args, want) in [
        (&[][..], "|bridge"),
        (&["--network", "podman"], "|bridge"),
        (&["--network", "none"], "|none"),
        (&["--network", "host"], "|host"),
        (&["--userns", "host", "--network", "none"], "|none"),
        (&["--userns", "keep-id", "--network", "none"], "private|none"),
        (
            &["--userns", "keep-id:uid=1000,gid=1000", "--network", "none"],
            "private|none",
        ),
        (&["--userns", "nomap", "--network", "none"], "private|none"),
        (&["--userns", "auto", "--network", "none"], "private|none"),
        (&["--uidmap", "0:1:1000", "--network", "none"], "private|none"),
    ] {
        let mut a = vec!["create"];
        a.extend(args);
        a.extend([BASIC, "true"]);
        let id = env.hutch(&a).ok().stdout.trim().to_string();
        assert_eq!(
            env.hutch(["inspect", "--format", f, &id]).ok().stdout,
            format!("{want}\n"),
            "{args:?}"
        );
        env.hutch(["rm", &id]).ok();
    }
}

#[test]
fn a_named_volumes_first_mount_is_handed_to_a_map_containers_root() {
    let env = env_with(&[BASIC]);
    // The volume (new, yours) is handed to the container's root, which the map makes your
    // first subordinate id, before the container gives it the owner it needs.
    let r = env
        .hutch([
            "run",
            "--rm",
            "--network",
            "none",
            "--uidmap",
            "0:1:65536",
            "-v",
            "vol1:/vol",
            BASIC,
            "sh",
            "-c",
            "touch /vol/f && stat -c '%u:%g %n' /vol /vol/f",
        ])
        .ok();
    assert_eq!(r.stdout, "0:0 /vol\n0:0 /vol/f\n");
    let data = env.store().join("volumes/vol1/_data");
    assert_eq!(owner(&data.join("f")), (env.host_uid(1), env.host_uid(1)));
}

#[test]
fn a_map_container_joins_another_with_the_same_maps() {
    let env = env_with(&[BASIC]);
    let map = ["--uidmap", "0:1:2000", "--gidmap", "0:1:2000"];
    let mut a = vec!["run", "-d", "--name", "jx"];
    a.extend(map);
    a.extend([BASIC, "sleep", "1000"]);
    env.hutch(&a).ok();
    env.hutch(["run", "-d", "--name", "jy", BASIC, "sleep", "1000"]).ok();
    let net = env.hutch(["exec", "jx", "readlink", "/proc/self/ns/net"]).ok().stdout;
    let pid = env.hutch(["inspect", "--format", "{{.State.Pid}}", "jx"]).ok().stdout;
    let by_path = format!("ns:/proc/{}/ns/net", pid.trim());
    // By name and by path: its network namespace, its user namespace's maps, the image's
    // owners as inside the other, and a root file system its root may write.
    for how in ["container:jx", by_path.as_str()] {
        let mut a = vec!["run", "--rm", "--network", how];
        a.extend(map);
        a.extend([
            BASIC,
            "sh",
            "-c",
            "readlink /proc/self/ns/net; cat /proc/self/uid_map; stat -c '%u:%g' /bin/busybox; touch /new && echo wrote",
        ]);
        let r = env.hutch(&a).ok();
        let lines: Vec<String> = r
            .stdout
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        assert_eq!(lines, [net.trim(), "0 1 2000", "0:0", "wrote"], "{how}: {r:?}");
    }
    // Other maps, or none, against these; maps against hutch's default ones: refused, and no
    // container is left.
    let mut a = vec!["run", "--rm", "--network", "container:jx", "--uidmap", "0:1:3000"];
    a.extend(["--gidmap", "0:1:3000", BASIC, "true"]);
    env.hutch(&a).fails_with("maps ids differently from this container's");
    env.hutch(["run", "--rm", "--network", "container:jx", BASIC, "true"])
        .fails_with("maps ids differently from this container's");
    let mut a = vec!["run", "--rm", "--network", "container:jy"];
    a.extend(map);
    a.extend([BASIC, "true"]);
    env.hutch(&a).fails_with("has hutch's default id maps");
    let ps = env.hutch(["ps", "-a", "-q"]).ok().stdout;
    assert_eq!(ps.lines().count(), 2, "{ps}");
    env.hutch(["rm", "-f", "-t", "0", "jx", "jy"]).ok();
}
