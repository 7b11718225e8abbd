//! Named volumes (`hutch volume …`), the mounts `run`/`create` take (`-v NAME:/path[:opts]`,
//! `--mount`, `--tmpfs`, `--volumes-from`) and `generate systemd`, end to end as an
//! unprivileged user; volume formats compared with Podman's.

mod common;

use common::*;

const BASIC: &str = "fixtures/basic";

fn env_with_basic() -> Env {
    let env = Env::new();
    env.pull(BASIC);
    env
}

fn img() -> String {
    format!("{PLAIN}/{BASIC}")
}

fn names(env: &Env) -> Vec<String> {
    let r = env.hutch(["volume", "ls", "-q"]).ok();
    r.stdout.lines().map(String::from).collect()
}

fn vol_data(env: &Env, name: &str) -> std::path::PathBuf {
    env.store().join("volumes").join(name).join("_data")
}

#[test]
fn volume_verbs_and_podman_formats() {
    let env = Env::new();
    assert_eq!(
        env.hutch(["volume", "create", "--label", "app=web", "--label", "tier", "data"])
            .ok()
            .stdout,
        "data\n"
    );
    let gen = env.hutch(["volume", "create"]).ok().stdout.trim().to_string();
    assert_eq!(gen.len(), 64, "a generated name is 64 hex digits: {gen}");
    assert!(gen.bytes().all(|b| b.is_ascii_hexdigit()));
    env.hutch(["volume", "create", "--opt", "o=uid=1000,gid=1000", "owned"])
        .ok();
    assert_eq!(names(&env), ["data", gen.as_str(), "owned"]);
    // The owner asked for is the container's uid 1000.
    assert_eq!(
        owner(&vol_data(&env, "owned")),
        (env.host_uid(1000), env.host_uid(1000))
    );

    // Bad input: one line, exit 125, nothing created.
    env.hutch(["volume", "create", "data"])
        .fails_with("volume with name data already exists");
    assert_eq!(
        env.hutch(["volume", "create", "--ignore", "data"]).ok().stdout,
        "data\n"
    );
    env.hutch(["volume", "create", "bad/name"])
        .fails_with("not a valid volume name");
    env.hutch(["volume", "create", "--opt", "o=size=1m", "x1"])
        .fails_with("o=size=1m");
    env.hutch(["volume", "create", "--opt", "type=nfs", "x2"])
        .fails_with("type=nfs");
    env.hutch(["volume", "create", "--driver", "nfs", "x3"])
        .fails_with("unknown driver");
    env.hutch(["volume", "ls", "--filter", "bogus=1"])
        .fails_with("unknown filter bogus");
    assert_eq!(names(&env).len(), 3, "nothing created by bad input");
    assert!(!env.store().join("volumes/x1").exists());

    // exists: 0 / 1.
    assert_eq!(env.hutch(["volume", "exists", "data"]).code, 0);
    assert_eq!(env.hutch(["volume", "exists", "nope"]).code, 1);

    // ls: Podman's table, filters, templates, json.
    let r = env.hutch(["volume", "ls"]).ok();
    let first = r.stdout.lines().next().unwrap();
    assert!(first.starts_with("DRIVER") && first.contains("VOLUME NAME"), "{r:?}");
    assert!(
        r.stdout.lines().any(|l| l.starts_with("local") && l.ends_with(" data")),
        "{r:?}"
    );
    let q = |f: &[&str]| {
        let mut a = vec!["volume", "ls", "-q"];
        for x in f {
            a.extend(["--filter", x]);
        }
        env.hutch(&a).ok().stdout
    };
    assert_eq!(q(&["label=app=web"]), "data\n");
    assert_eq!(q(&["label=tier"]), "data\n");
    assert_eq!(q(&["label=app=db"]), "");
    assert_eq!(q(&["name=own"]), "owned\n");
    assert_eq!(q(&["name=data", "name=owned"]), "data\nowned\n");
    assert_eq!(q(&["dangling=false"]), "");
    let r = env
        .hutch([
            "volume",
            "ls",
            "--format",
            "{{.Name}} {{.Driver}} {{.Labels.app}}",
            "--filter",
            "name=data",
        ])
        .ok();
    assert_eq!(r.stdout, "data local web\n");
    let r = env
        .hutch(["volume", "ls", "--format", "table {{.Name}}", "--filter", "name=data"])
        .ok();
    assert_eq!(r.stdout, "VOLUME NAME\ndata\n");

    // inspect: every field Podman shows, with the same meaning.
    let hv: serde_json::Value = serde_json::from_str(&env.hutch(["volume", "inspect", "data"]).ok().stdout).unwrap();
    let h = &hv[0];
    assert_eq!(h["Name"], "data");
    assert_eq!(h["Driver"], "local");
    assert_eq!(h["Scope"], "local");
    assert_eq!(h["Labels"], serde_json::json!({"app": "web", "tier": ""}));
    assert_eq!(h["Mountpoint"], vol_data(&env, "data").display().to_string());
    assert!(std::path::Path::new(h["Mountpoint"].as_str().unwrap()).is_dir());
    assert!(h["CreatedAt"].as_str().unwrap().ends_with('Z'));
    let o: serde_json::Value = serde_json::from_str(&env.hutch(["volume", "inspect", "owned"]).ok().stdout).unwrap();
    assert_eq!(o[0]["Options"], serde_json::json!({"o": "uid=1000,gid=1000"}));
    assert_eq!(o[0]["UID"], 1000);
    let _p = PodmanRun::new(&env);
    let p = podman(
        &env,
        &["volume", "create", "--label", "app=web", "--label", "tier", "data"],
    );
    if p.code == 0 {
        let pv: serde_json::Value =
            serde_json::from_str(&podman(&env, &["volume", "inspect", "data"]).ok().stdout).unwrap();
        for (k, v) in pv[0].as_object().unwrap() {
            assert!(h.get(k).is_some(), "podman's field {k} is in hutch's inspect: {h}");
            if ["Name", "Driver", "Scope", "Labels", "Options", "NeedsCopyUp"].contains(&k.as_str()) {
                assert_eq!(&h[k], v, "{k}");
            }
        }
        let pl: serde_json::Value =
            serde_json::from_str(&podman(&env, &["volume", "ls", "--format", "json"]).ok().stdout).unwrap();
        let hl: serde_json::Value = serde_json::from_str(
            &env.hutch(["volume", "ls", "--format", "json", "--filter", "name=data"])
                .ok()
                .stdout,
        )
        .unwrap();
        for k in pl[0].as_object().unwrap().keys() {
            assert!(hl[0].get(k).is_some(), "podman's ls field {k}");
        }
    } else {
        panic!("podman volume create failed: {p:?}");
    }
    let r = env.hutch(["volume", "inspect", "data", "nope"]);
    assert_eq!(r.code, 125);
    assert!(r.stderr.contains("no volume with name \"nope\""), "{r:?}");
    assert_eq!(
        env.hutch(["volume", "inspect", "--format", "{{.Name}}", "owned"])
            .ok()
            .stdout,
        "owned\n"
    );

    // rm: a missing one is exit 1 (0 with -f); the others still go.
    let r = env.hutch(["volume", "rm", "nope", "owned"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.stdout, "owned\n");
    assert!(!env.store().join("volumes/owned").exists());
    assert_eq!(env.hutch(["volume", "rm", "-f", "nope"]).code, 0);

    // prune: unused volumes (label filters), asks without -f.
    env.hutch(["volume", "create", "--label", "keep=1", "kept"]).ok();
    let r = env.hutch(["volume", "prune", "-f", "--filter", "label!=keep"]).ok();
    let mut pruned: Vec<&str> = r.stdout.lines().collect();
    pruned.sort();
    let mut want = vec!["data", gen.as_str()];
    want.sort();
    assert_eq!(pruned, want);
    assert_eq!(names(&env), ["kept"]);
    let r = env.hutch(["volume", "rm", "-a"]).ok();
    assert_eq!(r.stdout, "kept\n");
    assert!(names(&env).is_empty());
    // Without -f, prune asks (the answer on stdin), as Podman's.
    env.hutch(["volume", "create", "p1"]).ok();
    assert_eq!(sh(&env, "echo n | hutch volume prune").code, 0);
    assert_eq!(names(&env), ["p1"]);
    let r = sh(&env, "echo y | hutch volume prune");
    assert_eq!((r.code, r.stdout.as_str()), (0, "p1\n"), "{r:?}");
    assert!(names(&env).is_empty());
}

#[test]
fn half_made_volumes_are_never_listed_and_concurrent_creates_all_land() {
    let env = Env::new();
    env.hutch(["volume", "create", "first"]).ok();
    // What a crash between the rename into volumes/ and the record leaves: a directory
    // without a record; and what a crash before the rename leaves: an entry in tmp/.
    let ghost = env.store().join("volumes/ghost/_data");
    std::fs::create_dir_all(&ghost).unwrap();
    std::fs::write(ghost.join("f"), "kept\n").unwrap();
    std::fs::create_dir_all(env.store().join("tmp/volume-0123abcd/_data")).unwrap();
    env.chown_tree(&env.store());
    assert_eq!(names(&env), ["first"]);
    env.hutch(["volume", "inspect", "ghost"])
        .fails_with("no volume with name \"ghost\"");
    // The next create of that name takes the directory over, content kept.
    env.hutch(["volume", "create", "ghost"]).ok();
    assert_eq!(std::fs::read_to_string(ghost.join("f")).unwrap(), "kept\n");
    assert_eq!(names(&env), ["first", "ghost"]);
    // Concurrent creates (of different names, and of one name) all land, each once.
    let r = sh(
        &env,
        "for i in 1 2 3 4 5 6; do hutch volume create c$i >/dev/null & hutch volume create --ignore same >/dev/null & done; wait",
    );
    assert_eq!(r.code, 0, "{r:?}");
    let mut got = names(&env);
    got.sort();
    assert_eq!(got, ["c1", "c2", "c3", "c4", "c5", "c6", "first", "ghost", "same"]);
    let r = sh(
        &env,
        "for i in 1 2 3 4 5 6; do hutch volume rm c$i >/dev/null & done; wait",
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(names(&env), ["first", "ghost", "same"]);
}

#[test]
fn run_with_named_and_anonymous_volumes() {
    let env = env_with_basic();
    let image = img();
    // A name not yet in the store is created; the image's /etc is copied in (owners, modes,
    // content) because the volume is new and empty.
    let r = env
        .hutch([
            "run",
            "--rm",
            "-v",
            "etcvol:/etc",
            &image,
            "sh",
            "-c",
            "cat /etc/fixture; echo mine > /etc/new",
        ])
        .ok();
    assert!(!r.stdout.is_empty(), "{r:?}");
    assert_eq!(names(&env), ["etcvol"]);
    let d = vol_data(&env, "etcvol");
    assert_eq!(std::fs::read_to_string(d.join("new")).unwrap(), "mine\n");
    let image_fixture = env
        .layer_dirs(&image)
        .iter()
        .rev()
        .map(|l| l.join("etc/fixture"))
        .find(|p| p.exists())
        .unwrap();
    assert_eq!(
        std::fs::read(d.join("fixture")).unwrap(),
        std::fs::read(&image_fixture).unwrap()
    );
    assert_eq!(owner(&d.join("fixture")), owner(&image_fixture));
    assert_eq!(mode(&d.join("fixture")) & 0o7777, mode(&image_fixture) & 0o7777);
    assert_eq!(mode(&d) & 0o7777, 0o755);
    let v: serde_json::Value = serde_json::from_str(&env.hutch(["volume", "inspect", "etcvol"]).ok().stdout).unwrap();
    assert_eq!(v[0]["NeedsCopyUp"], false, "copied once");
    // Data survives the container; a second container sees it, no second copy.
    std::fs::remove_file(d.join("fixture")).unwrap();
    let r = env.hutch([
        "run",
        "--rm",
        "-v",
        "etcvol:/etc:ro,z",
        &image,
        "sh",
        "-c",
        "ls /etc; cat /etc/new; touch /etc/x",
    ]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("mine") && !r.stdout.contains("fixture"), "{r:?}");
    assert!(r.stderr.contains("Read-only file system"), "{r:?}");

    // nocopy: the new volume stays empty.
    env.hutch(["run", "--rm", "-v", "empty:/etc:nocopy", &image, "true"])
        .ok();
    assert!(std::fs::read_dir(vol_data(&env, "empty")).unwrap().next().is_none());
    // A volume that has content is never overwritten by another image directory.
    env.hutch(["run", "--rm", "-v", "etcvol:/home", &image, "true"]).ok();
    assert!(!vol_data(&env, "etcvol").join("fixture").exists());

    // Anonymous volumes: created with the container, named like Podman's, gone with rm -v,
    // unlike named ones.
    let id = env
        .hutch([
            "create",
            "--name",
            "c1",
            "-v",
            "/anon",
            "-v",
            "keep:/keep",
            &image,
            "sh",
            "-c",
            "echo a > /anon/f; echo k > /keep/f",
        ])
        .ok()
        .stdout
        .trim()
        .to_string();
    let ins: serde_json::Value = serde_json::from_str(&env.hutch(["inspect", &id]).ok().stdout).unwrap();
    let anon = ins[0]["Mounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["Destination"] == "/anon")
        .unwrap()["Name"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(anon.len(), 64);
    let keep = ins[0]["Mounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["Destination"] == "/keep")
        .unwrap();
    assert_eq!(
        (keep["Type"].as_str(), keep["Name"].as_str(), keep["Source"].as_str()),
        (
            Some("volume"),
            Some("keep"),
            Some(vol_data(&env, "keep").to_str().unwrap())
        )
    );
    assert!(names(&env).contains(&anon));
    assert_eq!(env.hutch(["start", "-a", "c1"]).code, 0);
    assert_eq!(std::fs::read_to_string(vol_data(&env, &anon).join("f")).unwrap(), "a\n");
    // In use: refused with exit 2 and one error line, as podman volume rm.
    let r = env.hutch(["volume", "rm", "keep"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(
        r.stderr.lines().filter(|l| l.starts_with("Error: ")).count(),
        1,
        "{r:?}"
    );
    assert!(r.stderr.contains("is being used") && r.stderr.contains(&id), "{r:?}");
    assert!(vol_data(&env, "keep").join("f").exists());
    let r = env.hutch(["volume", "ls", "-q", "--filter", "dangling=true"]).ok();
    assert!(!r.stdout.contains("keep") && r.stdout.contains("etcvol"), "{r:?}");
    env.hutch(["rm", "-v", "c1"]).ok();
    assert!(!names(&env).contains(&anon), "rm -v removes the anonymous volume");
    assert!(!env.store().join("volumes").join(&anon).exists());
    assert!(names(&env).contains(&"keep".to_string()), "named volumes stay");
    // rm without -v keeps anonymous volumes; run --rm removes them (Podman's rules).
    env.hutch(["create", "--name", "c2", "-v", "/anon2", &image, "true"])
        .ok();
    let before = names(&env).len();
    env.hutch(["rm", "c2"]).ok();
    assert_eq!(names(&env).len(), before);
    let n = names(&env).len();
    env.hutch(["run", "--rm", "-v", "/anon3", &image, "true"]).ok();
    assert_eq!(names(&env).len(), n, "run --rm leaves no anonymous volume");

    // volume rm -f removes the containers using it (a running one too).
    env.hutch([
        "run",
        "-d",
        "--name",
        "user1",
        "-v",
        "keep:/keep",
        &image,
        "sleep",
        "100",
    ])
    .ok();
    env.hutch(["volume", "rm", "-f", "keep"]).ok();
    assert!(env.hutch(["ps", "-a", "-q"]).ok().stdout.trim().is_empty());
    assert!(!names(&env).contains(&"keep".to_string()));

    // Bad volume options: exit 125, one line, no container and no volume.
    let before = names(&env);
    env.hutch(["run", "--rm", "-v", "newvol:/d:bogus", &image, "true"])
        .fails_with("unknown option bogus");
    env.hutch(["create", "-v", "/h:/d:nocopy", &image, "true"])
        .fails_with("nocopy");
    assert_eq!(names(&env), before);
    assert!(env.hutch(["ps", "-a", "-q"]).ok().stdout.trim().is_empty());
}

#[test]
fn chown_option_mount_tmpfs_and_volumes_from() {
    let env = env_with_basic();
    let image = img();
    // U: the volume's content becomes the container user's (through the id map).
    env.hutch([
        "run",
        "--rm",
        "-v",
        "owned:/data",
        &image,
        "sh",
        "-c",
        "mkdir /data/sub; echo x > /data/sub/f",
    ])
    .ok();
    let r = env
        .hutch([
            "run",
            "--rm",
            "-u",
            "1000:1000",
            "-v",
            "owned:/data:U",
            &image,
            "sh",
            "-c",
            "stat -c '%u:%g' /data /data/sub /data/sub/f; echo y > /data/sub/g",
        ])
        .ok();
    assert_eq!(r.stdout, "1000:1000\n1000:1000\n1000:1000\n");
    assert_eq!(owner(&vol_data(&env, "owned").join("sub/g")).0, env.host_uid(1000));

    // --mount in Docker's syntax: volume, bind, tmpfs.
    let host = env.home().join("share");
    std::fs::create_dir_all(&host).unwrap();
    std::fs::write(host.join("h.txt"), "host\n").unwrap();
    env.chown_tree(&host);
    let r = env
        .hutch([
            "run",
            "--rm",
            "--mount",
            "type=volume,source=mvol,target=/mv",
            "--mount",
            &format!("type=bind,src={},dst=/b,readonly", host.display()),
            "--mount",
            "type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=0700",
            &image,
            "sh",
            "-c",
            "echo m > /mv/f; cat /b/h.txt; touch /b/no 2>/dev/null || echo ro; stat -c %a /t; grep ' /t ' /proc/mounts",
        ])
        .ok();
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(&lines[..3], ["host", "ro", "700"], "{r:?}");
    assert!(
        lines[3].starts_with("tmpfs /t tmpfs") && lines[3].contains("size=1024k"),
        "{r:?}"
    );
    assert!(
        lines[3].contains("noexec") && lines[3].contains("nosuid") && lines[3].contains("nodev"),
        "{r:?}"
    );
    assert_eq!(
        std::fs::read_to_string(vol_data(&env, "mvol").join("f")).unwrap(),
        "m\n"
    );

    // --tmpfs: the image's content is copied in (tmpcopyup), options as given, ro possible.
    let r = env
        .hutch([
            "run",
            "--rm",
            "--tmpfs",
            "/etc:size=2m",
            "--tmpfs",
            "/ro:ro",
            &image,
            "sh",
            "-c",
            "test -s /etc/fixture && echo copied; echo w > /etc/w && echo writable; touch /ro/x 2>/dev/null || echo ro; grep ' /etc ' /proc/mounts",
        ])
        .ok();
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(&lines[..3], ["copied", "writable", "ro"], "{r:?}");
    assert!(
        lines[3].starts_with("tmpfs /etc tmpfs") && lines[3].contains("size=2048k"),
        "{r:?}"
    );
    let r = env.hutch([
        "run",
        "--rm",
        "--tmpfs",
        "/e:notmpcopyup",
        "--tmpfs",
        "/etc:notmpcopyup",
        &image,
        "ls",
        "/etc",
    ]);
    // /etc/hosts etc. are mounted by hutch after: only those appear.
    assert!(!r.stdout.contains("fixture"), "{r:?}");

    // Bad --mount / --tmpfs: one line, exit 125, nothing created.
    env.hutch(["run", "--rm", "--mount", "type=nfs,target=/x", &image, "true"])
        .fails_with("type nfs");
    env.hutch(["run", "--rm", "--mount", "type=volume,source=v", &image, "true"])
        .fails_with("target is required");
    env.hutch([
        "run",
        "--rm",
        "--mount",
        "type=bind,source=/nonexistent-x,target=/x",
        &image,
        "true",
    ])
    .fails_with("/nonexistent-x");
    env.hutch(["run", "--rm", "--tmpfs", "/x:size=lots", &image, "true"])
        .fails_with("size=lots");
    env.hutch(["run", "--rm", "--tmpfs", "/x", "-v", "/x", &image, "true"])
        .fails_with("/x: duplicate mount destination");
    assert!(env.hutch(["ps", "-a", "-q"]).ok().stdout.trim().is_empty());

    // --volumes-from: the other container's volumes and binds, :ro makes them read-only.
    env.hutch([
        "create",
        "--name",
        "src",
        "-v",
        "shared:/shared",
        "-v",
        &format!("{}:/hostdir", host.display()),
        &image,
        "true",
    ])
    .ok();
    env.hutch([
        "run",
        "--rm",
        "-v",
        "shared:/s",
        &image,
        "sh",
        "-c",
        "echo from-src > /s/f",
    ])
    .ok();
    let r = env
        .hutch([
            "run",
            "--rm",
            "--volumes-from",
            "src",
            &image,
            "sh",
            "-c",
            "cat /shared/f /hostdir/h.txt; echo more >> /shared/f",
        ])
        .ok();
    assert_eq!(r.stdout, "from-src\nhost\n");
    let r = env.hutch([
        "run",
        "--rm",
        "--volumes-from",
        "src:ro",
        &image,
        "sh",
        "-c",
        "cat /shared/f; touch /shared/g",
    ]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout.starts_with("from-src\nmore\n") && r.stderr.contains("Read-only"),
        "{r:?}"
    );
    env.hutch(["run", "--rm", "--volumes-from", "nosuch", &image, "true"])
        .fails_with("nosuch");
    env.hutch(["run", "--rm", "--volumes-from", "src:bogus", &image, "true"])
        .fails_with("unknown option bogus");
    // The volume is in use by src (created, never started): refused.
    assert_eq!(env.hutch(["volume", "rm", "shared"]).code, 2);
}

#[test]
fn export_and_import_keep_content_and_owners() {
    let env = env_with_basic();
    let image = img();
    env.hutch([
        "run",
        "--rm",
        "-v",
        "src:/d",
        &image,
        "sh",
        "-c",
        "mkdir -p /d/dir && echo hello > /d/dir/file && chown 1000:1001 /d/dir/file && ln -s dir/file /d/link",
    ])
    .ok();
    let tar = env.root.join("vol.tar");
    env.hutch(["volume", "export", "-o", tar.to_str().unwrap(), "src"]).ok();
    let listing = env.program("tar", ["-tvf", tar.to_str().unwrap()]).ok().stdout;
    let line = listing
        .lines()
        .find(|l| l.ends_with(" dir/file") && !l.contains("->"))
        .unwrap_or_else(|| panic!("{listing}"));
    assert!(
        line.contains("1000/1001"),
        "owners as the container sees them: {listing}"
    );
    assert!(listing.contains("link -> dir/file"), "{listing}");
    // To stdout too, the same content.
    let r = sh(&env, "hutch volume export src | tar -tf - | sort");
    assert!(r.stdout.contains("dir/file"), "{r:?}");

    env.hutch(["volume", "create", "dst"]).ok();
    env.hutch(["volume", "import", "dst", tar.to_str().unwrap()]).ok();
    let r = env
        .hutch([
            "run",
            "--rm",
            "-v",
            "dst:/d",
            &image,
            "sh",
            "-c",
            "cat /d/link; stat -c '%u:%g' /d/dir/file",
        ])
        .ok();
    assert_eq!(r.stdout, "hello\n1000:1001\n");
    // From stdin, compressed.
    env.hutch(["volume", "create", "gz"]).ok();
    let r = sh(&env, &format!("gzip -c {} | hutch volume import gz -", tar.display()));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        std::fs::read_to_string(vol_data(&env, "gz").join("dir/file")).unwrap(),
        "hello\n"
    );

    // Bad input: a truncated tar changes nothing; a missing volume is named.
    let data = std::fs::read(&tar).unwrap();
    let cut = env.write("cut.tar", "");
    std::fs::write(&cut, &data[..700]).unwrap();
    env.hutch(["volume", "create", "empty"]).ok();
    env.hutch(["volume", "import", "empty", cut.to_str().unwrap()])
        .fails_with("volume import empty");
    assert!(
        std::fs::read_dir(vol_data(&env, "empty")).unwrap().next().is_none(),
        "nothing half-written"
    );
    env.hutch(["volume", "import", "nope", tar.to_str().unwrap()])
        .fails_with("no volume with name \"nope\"");
    env.hutch(["volume", "export", "-o", "out.tar", "nope"])
        .fails_with("no volume with name \"nope\"");
    assert!(!env.root.join("out.tar").exists());
}

/// An Exec line of a unit, split as systemd does for the simple words hutch writes.
fn exec_words(unit: &str, key: &str, run_dir: &str, unit_name: &str) -> Vec<String> {
    let line = unit
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("{key} in {unit}"));
    line.split(' ')
        .map(|w| {
            w.trim_matches('"')
                .replace("%t", run_dir)
                .replace("%n", unit_name)
                .replace("%%", "%")
        })
        .collect()
}

fn verify_unit(env: &Env, dir: &std::path::Path, file: &str) {
    let r = env.program(
        "sh",
        [
            "-c",
            &format!("cd {} && systemd-analyze --user verify --man=no {file}", dir.display()),
        ],
    );
    assert_eq!(r.code, 0, "systemd-analyze verify {file}: {r:?}");
    assert!(!r.stderr.contains(file), "no complaint about the unit: {r:?}");
}

#[test]
fn generate_systemd_units_run_and_stop_the_container() {
    let env = env_with_basic();
    let image = img();
    let run_dir = env.run_dir().display().to_string();
    // Without --new: start/stop of the existing container, PIDFile = its monitor's.
    let id = env
        .hutch([
            "create",
            "--name",
            "web",
            "-e",
            "GREETING=hi there",
            "-v",
            "webdata:/data",
            &image,
            "sleep",
            "1000",
        ])
        .ok()
        .stdout
        .trim()
        .to_string();
    let unit = env.hutch(["generate", "systemd", "--name", "web"]).ok().stdout;
    assert!(
        unit.contains("[Unit]") && unit.contains("[Service]") && unit.contains("[Install]"),
        "{unit}"
    );
    assert!(
        unit.contains("Type=forking\n") && unit.contains("Restart=on-failure\n"),
        "{unit}"
    );
    assert!(unit.contains("WantedBy=default.target"), "{unit}");
    assert!(unit.contains("# container-web.service"), "{unit}");
    let start = exec_words(&unit, "ExecStart", &run_dir, "container-web.service");
    assert_eq!(start[1..], ["start", id.as_str()]);
    assert_eq!(start[0], hutch_bin().display().to_string());
    let pidfile = unit
        .lines()
        .find_map(|l| l.strip_prefix("PIDFile="))
        .unwrap()
        .to_string();
    let units = env.root.join("units");
    std::fs::create_dir_all(&units).unwrap();
    env.chown_tree(&units);
    let r = env
        .program(
            "sh",
            [
                "-c",
                &format!("cd {} && hutch generate systemd --files --name web", units.display()),
            ],
        )
        .ok();
    assert_eq!(
        r.stdout.trim(),
        units.join("container-web.service").display().to_string()
    );
    verify_unit(&env, &units, "container-web.service");
    // What systemd would run: ExecStart forks, the PID file names the monitor that lives as
    // long as the container; ExecStop stops it, and the monitor exits.
    env.program(&start[0], &start[1..]).ok();
    let pid: i32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
    let comm = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap();
    assert!(comm.contains("__monitor"), "the PID file names the monitor: {comm:?}");
    let ins: serde_json::Value = serde_json::from_str(&env.hutch(["inspect", "web"]).ok().stdout).unwrap();
    assert_eq!(ins[0]["State"]["Status"], "running");
    let stop = exec_words(&unit, "ExecStop", &run_dir, "container-web.service");
    assert_eq!(stop[1..4], ["stop", "-t", "10"]);
    env.program(&stop[0], &stop[1..]).ok();
    wait_until("the monitor exits", || {
        !std::path::Path::new(&format!("/proc/{pid}")).exists()
    });
    let post = exec_words(&unit, "ExecStopPost", &run_dir, "container-web.service");
    env.program(&post[0], &post[1..]).ok();

    // --new: a fresh container from the original command line at each start, removed at stop.
    let unit = env
        .hutch([
            "generate",
            "systemd",
            "--new",
            "--name",
            "--restart-policy",
            "always",
            "-t",
            "3",
            "--no-header",
            "web",
        ])
        .ok()
        .stdout;
    assert!(!unit.starts_with('#'), "{unit}");
    assert!(
        unit.contains("Restart=always\n") && unit.contains("PIDFile=%t/%n.pid\n"),
        "{unit}"
    );
    let line = unit.lines().find(|l| l.starts_with("ExecStart=")).unwrap();
    assert!(line.contains("\"GREETING=hi there\""), "quoted for systemd: {line}");
    let name = "container-web.service";
    let start = exec_words(&unit, "ExecStart", &run_dir, name);
    // The quoted word was split by this simple reader: join it back.
    let mut args: Vec<String> = Vec::new();
    let mut i = 1;
    while i < start.len() {
        if start[i] == "GREETING=hi" {
            args.push("GREETING=hi there".into());
            i += 2;
        } else {
            args.push(start[i].clone());
            i += 1;
        }
    }
    assert_eq!(
        args[..8],
        [
            "run",
            "--conmon-pidfile",
            &format!("{run_dir}/{name}.pid"),
            "--replace",
            "--rm",
            "-d",
            "--name",
            "web"
        ]
    );
    assert!(
        args.ends_with(&[image.clone(), "sleep".into(), "1000".into()]),
        "{args:?}"
    );
    std::fs::write(units.join(name), &unit).unwrap();
    verify_unit(&env, &units, name);
    // The old container is replaced; the new one runs with the same settings.
    env.program(&start[0], &args).ok();
    let pid: i32 = std::fs::read_to_string(format!("{run_dir}/{name}.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    let ins: serde_json::Value = serde_json::from_str(&env.hutch(["inspect", "web"]).ok().stdout).unwrap();
    assert_ne!(ins[0]["Id"], id.as_str(), "a new container");
    assert_eq!(ins[0]["State"]["Status"], "running");
    assert!(ins[0]["Config"]["Env"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e == "GREETING=hi there"));
    assert_eq!(env.hutch(["ps", "-a", "-q"]).ok().stdout.lines().count(), 1);
    let stop = exec_words(&unit, "ExecStop", &run_dir, name);
    assert_eq!(stop[1..], ["stop", "--ignore", "-t", "3", "web"]);
    env.program(&stop[0], &stop[1..]).ok();
    wait_until("the --rm container is gone", || {
        env.hutch(["ps", "-a", "-q"]).ok().stdout.trim().is_empty()
    });
    let post = exec_words(&unit, "ExecStopPost", &run_dir, name);
    env.program(&post[0], &post[1..]).ok();
    // Its volume stays (named).
    assert_eq!(env.hutch(["volume", "exists", "webdata"]).code, 0);

    env.hutch(["generate", "systemd", "nosuch"]).fails_with("nosuch");
    let r = env.hutch(["generate", "systemd", "--restart-policy", "sometimes", "x"]);
    assert_eq!(r.code, 125, "clap rejects the value: {r:?}");
}
