//! `save`, `load`, `export`, `import`, `image exists`, `image history`, end to end as an
//! unprivileged user, with round trips through the real podman, skopeo and umoci.

mod common;

use std::path::PathBuf;

use common::*;

fn image_ids(env: &Env) -> Vec<String> {
    let j: serde_json::Value = serde_json::from_str(&env.hutch(["images", "--format", "json"]).ok().stdout).unwrap();
    j.as_array()
        .unwrap()
        .iter()
        .map(|i| i["Id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn save_docker_archive_loads_into_podman_skopeo_and_a_fresh_store_with_the_same_id() {
    let env = Env::new();
    let _pr = PodmanRun::new(&env);
    let id = env.pull("fixtures/multi");
    let name = format!("{PLAIN}/fixtures/multi:latest");
    let tar = path(&env, "multi.tar");
    env.hutch(["save", "-o", &tar, "fixtures/multi"]).ok();
    let listing = sh(&env, &format!("tar tf {tar}")).ok().stdout;
    assert!(listing.lines().any(|l| l == "manifest.json"), "{listing}");
    assert!(
        listing.lines().any(|l| l == format!("{id}.json")),
        "config kept under the image id: {listing}"
    );

    // podman loads it: same id, same name, and it reads the content as hutch stored it.
    let r = podman(&env, &["load", "-i", &tar]).ok();
    assert!(r.stdout.contains(&format!("Loaded image: {name}")), "{r:?}");
    let ids = podman(
        &env,
        &["images", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}"],
    )
    .ok()
    .stdout;
    assert!(
        ids.contains(&format!("{id} {name}")) || ids.contains(&format!("sha256:{id} {name}")),
        "{ids}"
    );

    // skopeo reads it as a docker-archive (into a dir: copy, which keeps the manifest type and
    // so the config blob; a copy to oci: would re-encode the config while converting).
    let dir = path(&env, "from-skopeo");
    env.program(
        "skopeo",
        ["copy", &format!("docker-archive:{tar}"), &format!("dir:{dir}")],
    )
    .ok();
    assert!(env.root.join("from-skopeo").join(&id).exists(), "config blob unchanged");
    for l in env.inspect(&name)["RootFS"]["Layers"].as_array().unwrap() {
        assert!(
            env.root.join("from-skopeo").join(&l.as_str().unwrap()[7..]).exists(),
            "layer {l} as saved"
        );
    }

    // A fresh store loads it (from stdin, gzip'd) with the same id, and it runs.
    let fresh = Env::new();
    let gz = path(&env, "multi.tar.gz");
    sh(&env, &format!("gzip -c {tar} > {gz}")).ok();
    std::fs::copy(&gz, fresh.root.join("multi.tar.gz")).unwrap();
    fresh.chown_tree(&fresh.root.join("multi.tar.gz"));
    let r = fresh.program("sh", ["-c", "hutch load < multi.tar.gz"]).ok();
    assert_eq!(r.stdout, format!("Loaded image: {name}\n"));
    assert_eq!(image_ids(&fresh), vec![id.clone()]);
    let v = fresh.inspect(&name);
    assert_eq!(v["RootFS"], env.inspect(&name)["RootFS"], "same diff_ids");
    let out = fresh
        .hutch(["run", "--rm", "fixtures/multi", "cat", "/etc/fixture"])
        .ok()
        .stdout;
    assert!(out.starts_with("fixtures/multi\n"), "{out}");
    // Ownership and modes survive the round trip: the layer files are the pulled ones.
    let (a, b) = (env.layer_dirs(&id), fresh.layer_dirs(&id));
    for (x, y) in a.iter().zip(&b) {
        let lx = sh(
            &env,
            &format!("cd {} && find . -printf '%p %U:%G %m %y %s\\n' | sort", x.display()),
        )
        .ok()
        .stdout;
        let ly = sh(
            &env,
            &format!("cd {} && find . -printf '%p %U:%G %m %y %s\\n' | sort", y.display()),
        )
        .ok()
        .stdout;
        assert_eq!(lx, ly);
    }
    // Saving from the fresh store gives a byte-identical archive.
    let again = fresh.root.join("again.tar");
    fresh.hutch(["save", "-o", again.to_str().unwrap(), &name]).ok();
    assert_eq!(std::fs::read(&again).unwrap(), std::fs::read(&tar).unwrap());
}

#[test]
fn save_to_stdout_oci_archive_and_oci_dir_are_read_by_podman_skopeo_and_umoci() {
    let env = Env::new();
    let _pr = PodmanRun::new(&env);
    let id = env.pull("fixtures/multi");
    let name = format!("{PLAIN}/fixtures/multi:latest");
    // stdout, not a terminal: the archive.
    sh(&env, "hutch save --format oci-archive fixtures/multi > multi-oci.tar").ok();
    let oar = path(&env, "multi-oci.tar");
    let r = podman(&env, &["load", "-i", &oar]).ok();
    assert!(r.stdout.contains(&format!("Loaded image: {name}")), "{r:?}");
    let ids = podman(&env, &["images", "--no-trunc", "--format", "{{.ID}}"])
        .ok()
        .stdout;
    assert!(ids.contains(&id), "{ids}");
    let inspect = env
        .program("skopeo", ["inspect", "--config", &format!("oci-archive:{oar}")])
        .ok()
        .stdout;
    let cfg: serde_json::Value = serde_json::from_str(&inspect).unwrap();
    assert_eq!(cfg["rootfs"]["diff_ids"].as_array().unwrap().len(), 3);

    let dir = path(&env, "layout");
    env.hutch(["save", "--format", "oci-dir", "-o", &dir, "fixtures/multi"])
        .ok();
    let tags = env.program("umoci", ["ls", "--layout", &dir]).ok().stdout;
    assert_eq!(tags, format!("{name}\n"));
    let stat = env
        .program("umoci", ["stat", "--image", &format!("{dir}:{name}")])
        .ok()
        .stdout;
    assert_eq!(stat.lines().filter(|l| l.starts_with("sha256:")).count(), 3, "{stat}");
    env.program("skopeo", ["inspect", &format!("oci:{dir}:{name}")]).ok();
    // An existing layout is added to, as Podman does (the same name is listed once); a
    // non-empty directory that is no layout is refused.
    env.hutch(["save", "--format", "oci-dir", "-o", &dir, "fixtures/multi"])
        .ok();
    let tags = env.program("umoci", ["ls", "--layout", &dir]).ok().stdout;
    assert_eq!(tags, format!("{name}\n"));
    let other = env.write("notalayout/file", "x\n");
    let other = other.parent().unwrap().display().to_string();
    env.hutch(["save", "--format", "oci-dir", "-o", &other, "fixtures/multi"])
        .fails_with("already exists");

    // A terminal is refused, as Podman does; nothing is written to it.
    let r = env.hutch_tty(&["save", "fixtures/multi"], "");
    assert!(r.stdout.contains("Error: refusing to save to terminal"), "{r:?}");
    assert!(r.stdout.len() < 200, "no archive on the terminal: {r:?}");
}

#[test]
fn podman_save_archives_load_into_hutch_and_run() {
    let env = Env::new();
    let _pr = PodmanRun::new(&env);
    let id = env.pull("fixtures/multi");
    let name = format!("{PLAIN}/fixtures/multi:latest");
    // Get the image into podman without a registry, then let podman write its own archives.
    let tar = path(&env, "h.tar");
    env.hutch(["save", "-o", &tar, &name]).ok();
    podman(&env, &["load", "-i", &tar]).ok();
    let pd = path(&env, "podman-docker.tar");
    let po = path(&env, "podman-oci.tar");
    podman(&env, &["save", "-o", &pd, &name]).ok();
    podman(&env, &["save", "--format", "oci-archive", "-o", &po, &name]).ok();
    // Podman re-encodes the config when it turns the docker manifest into an OCI one, so the
    // id of its oci-archive is that config's digest.
    let raw = env
        .program("skopeo", ["inspect", "--raw", &format!("oci-archive:{po}")])
        .ok()
        .stdout;
    let m: serde_json::Value = serde_json::from_str(&raw).unwrap();
    let oci_id = m["config"]["digest"].as_str().unwrap()[7..].to_string();
    for (archive, want) in [(&pd, &id), (&po, &oci_id)] {
        env.hutch(["rmi", "-a"]).ok();
        let r = env.hutch(["load", "-i", archive]).ok();
        assert_eq!(r.stdout, format!("Loaded image: {name}\n"), "{archive}");
        assert_eq!(image_ids(&env), vec![want.clone()], "{archive}");
        let out = env.hutch(["run", "--rm", &name, "cat", "/etc/fixture"]).ok().stdout;
        assert_eq!(out, "fixtures/multi\n");
    }
}

#[test]
fn truncated_or_corrupt_archives_store_nothing() {
    let env = Env::new();
    env.pull("fixtures/multi");
    let tar = env.root.join("m.tar");
    env.hutch(["save", "-o", tar.to_str().unwrap(), "fixtures/multi"]).ok();
    let data = std::fs::read(&tar).unwrap();
    env.hutch(["rmi", "-a"]).ok();
    assert_eq!(env.layer_count(), 0);

    let write = |name: &str, bytes: &[u8]| -> String {
        let p: PathBuf = env.root.join(name);
        std::fs::write(&p, bytes).unwrap();
        env.chown_tree(&p);
        p.display().to_string()
    };
    // Cut in the middle of the second layer.
    let cut = write("cut.tar", &data[..data.len() / 2 + 700_000]);
    env.hutch(["load", "-i", &cut]).fails_with("truncated");
    // One flipped byte inside a layer's file content.
    let mut bad = data.clone();
    let at = bad.len() / 2;
    bad[at] ^= 0xff;
    let bad = write("bad.tar", &bad);
    env.hutch(["load", "-i", &bad]).fails_with("layer");
    // Not an archive at all, and an empty stdin.
    let junk = write("junk.tar", b"hello, this is no tar file at all");
    env.hutch(["load", "-i", &junk]).fails_with("Error");
    sh(&env, "hutch load < /dev/null").fails_with("neither manifest.json nor index.json");
    env.hutch(["load", "-i", "/nonexistent.tar"])
        .fails_with("/nonexistent.tar");

    assert_eq!(env.hutch(["images", "-q"]).ok().stdout, "");
    assert_eq!(env.layer_count(), 0, "no layer committed: {:?}", env.entries("layers"));
    let tmp: Vec<String> = env
        .entries("tmp")
        .into_iter()
        .filter(|n| !n.ends_with(".lock"))
        .collect();
    assert!(tmp.is_empty(), "nothing left in tmp/: {tmp:?}");
}

/// Every path below the given roots, as busybox sees it in a container: owner, mode, type and,
/// for files, size.
const LIST: &str = "for f in $(find /data /new /bin /tmp /etc/fixture /etc/passwd 2>/dev/null | sort); do \
    if [ -d $f ] && [ ! -L $f ]; then stat -c '%n %u:%g %a dir' $f; else stat -c '%n %u:%g %a %F %s' $f; fi; done";

#[test]
fn export_shows_the_containers_view_and_import_makes_a_runnable_image_of_it() {
    let env = Env::new();
    env.pull("fixtures/multi");
    // Delete (a lower file, a whole directory), change, add (owned by 1000 and root, setuid).
    let script = "rm /data/a.txt && rm -rf /home && echo changed > /etc/fixture && mkdir /new && \
        echo x > /new/f && chown 1000:1000 /new/f && cp /data/suid /new/suid2 && chmod 4755 /new/suid2 && \
        ln /new/f /new/hard && rm -rf /data/opq/* && echo y > /data/opq/fresh";
    env.hutch(["run", "--name", "snap", "fixtures/multi", "sh", "-c", script])
        .ok();
    let tar = path(&env, "snap.tar");
    env.hutch(["export", "-o", &tar, "snap"]).ok();
    let listing = sh(&env, &format!("tar tvf {tar} --numeric-owner")).ok().stdout;
    let has = |p: &str| {
        listing
            .lines()
            .any(|l| l.ends_with(&format!(" {p}")) || l.ends_with(&format!(" {p}/")) || l.contains(&format!(" {p} ")))
    };
    assert!(!has("data/a.txt"), "deleted in the container: {listing}");
    assert!(!has("data/b.txt"), "whited out in the image's top layer: {listing}");
    assert!(!has("home") && !has("home/tester"), "deleted directory: {listing}");
    assert!(
        has("data/hard") && has("data/opq/fresh") && !has("data/opq/new.txt"),
        "{listing}"
    );
    let line = |p: &str| {
        listing
            .lines()
            .find(|l| l.ends_with(&format!(" {p}")))
            .unwrap_or_else(|| panic!("{p} missing: {listing}"))
            .to_string()
    };
    assert!(line("new/f").starts_with("-rw-r--r-- 1000/1000 "), "{}", line("new/f"));
    assert!(
        line("new/suid2").starts_with("-rwsr-xr-x 0/0 "),
        "{}",
        line("new/suid2")
    );
    assert!(
        line("data/owned1234").starts_with("-rw-r--r-- 1234/5678 "),
        "{}",
        line("data/owned1234")
    );
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with("hrw-r--r-- 1000/1000") && l.ends_with("new/hard link to new/f")),
        "hard link kept: {listing}"
    );
    assert_eq!(sh(&env, &format!("tar xOf {tar} etc/fixture")).ok().stdout, "changed\n");
    // To stdout as well, byte for byte the same.
    sh(&env, "hutch export snap > snap2.tar").ok();
    assert_eq!(
        std::fs::read(env.root.join("snap2.tar")).unwrap(),
        std::fs::read(&tar).unwrap()
    );

    // import: the tar becomes a one-layer image with the config -c gives; it runs and shows the
    // same tree, owners and modes as the container did.
    let changes = [
        "CMD [\"/bin/cat\", \"/etc/fixture\"]",
        "ENV MODE=snap",
        "EXPOSE 8080",
        "LABEL org.test=yes",
        "USER 1000",
        "WORKDIR /new",
        "VOLUME /vol",
    ];
    let mut args = vec!["import".to_string()];
    for c in changes {
        args.extend(["-c".to_string(), c.to_string()]);
    }
    args.extend(["-m".into(), "from export".into(), tar.clone(), "snapimg".into()]);
    let id = env.hutch(&args).ok().stdout.trim().to_string();
    assert_eq!(id.len(), 64);
    let v = env.inspect("snapimg");
    assert_eq!(v["Id"], id);
    assert_eq!(v["RepoTags"][0], "localhost/snapimg:latest");
    assert_eq!(v["RootFS"]["Layers"].as_array().unwrap().len(), 1);
    let c = &v["Config"];
    assert_eq!(c["Cmd"], serde_json::json!(["/bin/cat", "/etc/fixture"]));
    assert!(c["Env"].as_array().unwrap().iter().any(|e| e == "MODE=snap"), "{c}");
    assert_eq!(c["ExposedPorts"], serde_json::json!({"8080/tcp": {}}));
    assert_eq!(c["Labels"]["org.test"], "yes");
    assert_eq!(
        (c["User"].as_str(), c["WorkingDir"].as_str()),
        (Some("1000"), Some("/new"))
    );
    assert_eq!(c["Volumes"], serde_json::json!({"/vol": {}}));
    assert_eq!(env.hutch(["run", "--rm", "snapimg"]).ok().stdout, "changed\n");
    assert_eq!(
        env.hutch(["run", "--rm", "snapimg", "sh", "-c", "id -u; pwd; echo $MODE"])
            .ok()
            .stdout,
        "1000\n/new\nsnap\n"
    );
    let hist = env.hutch(["image", "history", "snapimg"]).ok().stdout;
    assert!(
        hist.lines().nth(1).unwrap().trim_end().ends_with("from export"),
        "{hist}"
    );

    // The imported image's tree is exactly what the container saw (listed from inside it).
    let ctr_view = env
        .hutch([
            "run",
            "--name",
            "view",
            "fixtures/multi",
            "sh",
            "-c",
            &format!("{script} && {LIST}"),
        ])
        .ok()
        .stdout;
    let view_tar = path(&env, "view.tar");
    env.hutch(["export", "-o", &view_tar, "view"]).ok();
    env.hutch(["import", &view_tar, "viewimg"]).ok();
    let img_view = env.hutch(["run", "--rm", "viewimg", "sh", "-c", LIST]).ok().stdout;
    assert_eq!(img_view, ctr_view);
    assert!(img_view.contains("/new/f 1000:1000 644 regular file 2\n"), "{img_view}");
    assert!(
        img_view.contains("/data/owned1234 1234:5678 644 regular file 19\n"),
        "{img_view}"
    );
    assert!(!img_view.contains("/data/a.txt"), "{img_view}");

    // Bad input: nothing stored.
    let before = env.hutch(["images", "-q", "--no-trunc"]).ok().stdout;
    env.hutch(["import", "-c", "RUN make", &tar])
        .fails_with("invalid change \"RUN make\"");
    let junk = env.write("junk.tar", "not a tar at all, just words that go on for a while");
    env.hutch(["import", junk.to_str().unwrap(), "junk"])
        .fails_with("importing");
    env.hutch(["export", "nosuchctr"]).fails_with("nosuchctr");
    assert_eq!(env.hutch(["images", "-q", "--no-trunc"]).ok().stdout, before);
}

#[test]
fn image_exists_and_history() {
    let env = Env::new();
    let id = env.pull("fixtures/multi");
    let r = env.hutch(["image", "exists", "fixtures/multi"]);
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (0, "", ""));
    let r = env.hutch(["image", "exists", "fixtures/nothere"]);
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (1, "", ""));
    let r = Env::new().hutch(["image", "exists", "fixtures/multi"]);
    assert_eq!((r.code, r.stdout.as_str()), (1, ""), "no store yet: {r:?}");

    let h = env.hutch(["image", "history", "fixtures/multi"]).ok().stdout;
    let lines: Vec<&str> = h.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["ID", "CREATED", "CREATED", "BY", "SIZE", "COMMENT"]
    );
    assert_eq!(lines.len(), 4, "{h}");
    assert!(
        lines[1].starts_with(&format!("{}  ", &id[..12]))
            && lines[1].contains("mkimages.py fixtures/multi layer 3")
            && lines[1].contains("4.1 kB"),
        "{h}"
    );
    assert!(
        lines[2].starts_with("<missing>") && lines[2].contains("layer 2") && lines[2].contains("1.06 MB"),
        "{h}"
    );
    assert!(lines[3].contains("layer 1") && lines[3].contains("2.01 MB"), "{h}");
    assert_eq!(
        env.hutch(["image", "history", "-q", "fixtures/multi"]).ok().stdout,
        format!("{}\n<missing>\n<missing>\n", &id[..12])
    );
    let t = env
        .hutch([
            "image",
            "history",
            "--no-trunc",
            "--format",
            "{{.ID}} {{.Size}}",
            "fixtures/multi",
        ])
        .ok()
        .stdout;
    assert_eq!(t.lines().next().unwrap(), format!("{id} 4.1 kB"));
    env.hutch(["image", "history", "fixtures/nothere"])
        .fails_with("fixtures/nothere: image not known");
}

#[test]
fn export_of_a_keep_id_container_shows_its_owners() {
    let env = Env::new();
    env.pull("fixtures/multi");
    let me = env
        .user
        .as_ref()
        .map(|u| u.uid.as_raw())
        .unwrap_or_else(|| nix::unistd::getuid().as_raw());
    let out = env
        .hutch([
            "run",
            "--userns",
            "keep-id",
            "--name",
            "k",
            "fixtures/multi",
            "sh",
            "-c",
            "id -u; echo x > /tmp/mine",
        ])
        .ok()
        .stdout;
    assert_eq!(out, format!("{me}\n"));
    let listing = sh(&env, "hutch export k | tar tvf - --numeric-owner").ok().stdout;
    let line = |p: &str| {
        listing
            .lines()
            .find(|l| l.ends_with(&format!(" {p}")))
            .unwrap_or_else(|| panic!("{p} missing: {listing}"))
            .to_string()
    };
    assert!(
        line("tmp/mine").starts_with(&format!("-rw-r--r-- {me}/{me} ")),
        "{}",
        line("tmp/mine")
    );
    assert!(line("tmp/").starts_with("drwxrwxrwt 0/0 "), "{}", line("tmp/"));
    assert!(
        line("data/owned1234").starts_with("-rw-r--r-- 1234/5678 "),
        "{}",
        line("data/owned1234")
    );
}
