//! `hutch pull` and the image verbs, end to end, as an unprivileged user against real registries.

mod common;

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use common::*;

#[test]
fn pull_lists_and_inspects_an_image() {
    let env = Env::new();
    let r = env
        .hutch(["pull", "--tls-verify=false", &format!("{PLAIN}/fixtures/basic")])
        .ok();
    let id = r.stdout.trim();
    assert_eq!(id.len(), 64);
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(
        r.stderr,
        format!("Trying to pull {PLAIN}/fixtures/basic:latest...\n"),
        "no progress bars when stderr is not a terminal: only Podman's one line"
    );

    let images = env.hutch(["images"]).ok().stdout;
    let lines: Vec<&str> = images.lines().collect();
    assert!(
        lines[0].starts_with("REPOSITORY")
            && lines[0].contains("TAG")
            && lines[0].contains("IMAGE ID")
            && lines[0].contains("CREATED")
            && lines[0].contains("SIZE"),
        "{images}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with(&format!("{PLAIN}/fixtures/basic "))
            && l.contains(" latest ")
            && l.contains(&id[..12])),
        "{images}"
    );

    assert_eq!(env.hutch(["images", "-q"]).ok().stdout, format!("{}\n", &id[..12]));
    let j: serde_json::Value = serde_json::from_str(&env.hutch(["images", "--format", "json"]).ok().stdout).unwrap();
    assert_eq!(j[0]["Id"], id);
    assert_eq!(j[0]["RepoTags"][0], format!("{PLAIN}/fixtures/basic:latest"));
    let t = env
        .hutch(["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"])
        .ok()
        .stdout;
    assert_eq!(t, format!("{PLAIN}/fixtures/basic:latest {}\n", &id[..12]));

    let v = env.inspect("fixtures/basic");
    assert_eq!(v["Id"], id);
    assert_eq!(v["RepoTags"][0], format!("{PLAIN}/fixtures/basic:latest"));
    assert!(v["RepoDigests"][0]
        .as_str()
        .unwrap()
        .starts_with(&format!("{PLAIN}/fixtures/basic@sha256:")));
    assert_eq!(v["Architecture"], "amd64");
    assert_eq!(v["Os"], "linux");
    assert_eq!(v["Created"], "2024-01-02T03:04:05Z");
    assert_eq!(v["Config"]["Cmd"][0], "/bin/sh");
    assert_eq!(v["Config"]["Labels"]["org.hutch.fixture"], "fixtures/basic");
    assert_eq!(v["RootFS"]["Type"], "layers");
    assert_eq!(v["RootFS"]["Layers"].as_array().unwrap().len(), 1);
    assert!(v["Size"].as_u64().unwrap() > 1_000_000, "busybox is in it");
    assert_eq!(
        env.hutch(["inspect", "--format", "{{.Id}} {{.Os}}", &id[..12]])
            .ok()
            .stdout,
        format!("{id} linux\n")
    );

    let layer = &env.layer_dirs(id)[0];
    assert_eq!(
        std::fs::read_to_string(layer.join("etc/fixture")).unwrap().trim(),
        "fixtures/basic"
    );
    assert_eq!(std::fs::read_link(layer.join("bin/sh")).unwrap(), Path::new("busybox"));

    // Pulling again fetches nothing new and keeps one image.
    assert_eq!(env.pull("fixtures/basic"), id);
    assert_eq!(env.hutch(["images", "-q"]).ok().stdout.lines().count(), 1);
    // The same image under another tag is one image with two names.
    assert_eq!(env.pull("fixtures/basic:v1"), id);
    let names = env.inspect(id)["RepoTags"].as_array().unwrap().len();
    assert_eq!(names, 2);
}

#[test]
fn quiet_pull_prints_only_the_id_and_store_is_private() {
    let env = Env::new();
    let r = env
        .hutch(["pull", "-q", "--tls-verify=false", &format!("{PLAIN}/fixtures/plain")])
        .ok();
    assert_eq!(r.stdout.trim().len(), 64);
    assert_eq!(r.stderr, "");
    assert_eq!(std::fs::metadata(env.store()).unwrap().mode() & 0o777, 0o700);
}

#[test]
fn multi_layer_image_keeps_ownership_modes_links_and_whiteouts() {
    let env = Env::new();
    env.pull("fixtures/multi");
    let l = env.layer_dirs("fixtures/multi");
    assert_eq!(l.len(), 3);
    let l2 = &l[1];
    assert_eq!(std::fs::read_to_string(l2.join("data/a.txt")).unwrap(), "alpha\n");
    assert_eq!(std::fs::read_link(l2.join("data/link")).unwrap(), Path::new("a.txt"));
    assert_eq!(
        std::fs::metadata(l2.join("data/hard")).unwrap().ino(),
        std::fs::metadata(l2.join("data/a.txt")).unwrap().ino()
    );
    assert_eq!(mode(&l2.join("data/suid")), 0o4755);
    assert_eq!(mode(&l2.join("data/ro")), 0o555);
    assert_eq!(
        owner(&l2.join("data/owned1000")),
        (env.host_uid(1000), env.host_uid(1000))
    );
    assert_eq!(mode(&l2.join("data/owned1000")), 0o640);
    assert_eq!(
        owner(&l2.join("data/owned1234")),
        (env.host_uid(1234), env.host_uid(5678))
    );
    assert_eq!(owner(&l2.join("data/a.txt")), (env.host_uid(0), env.host_uid(0)));
    let long = std::fs::read_dir(l2.join("data/long"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert!(long.file_name().len() > 100, "PAX long name kept");
    assert_eq!(std::fs::metadata(l2.join("data/big.bin")).unwrap().len(), 1 << 20);
    // Layer 3: a whiteout for b.txt and an opaque /data/opq.
    let l3 = &l[2];
    let wh = std::fs::symlink_metadata(l3.join("data/b.txt")).unwrap();
    assert!(
        wh.file_type().is_char_device() && wh.rdev() == 0,
        "whiteout is a 0:0 char device"
    );
    assert!(!l3.join("data/.wh.b.txt").exists());
    assert_eq!(
        get_xattr(&l3.join("data/opq"), "user.overlay.opaque").as_deref(),
        Some(&b"y"[..])
    );
    assert!(!l3.join("data/opq/.wh..wh..opq").exists());
    assert_eq!(std::fs::read_to_string(l3.join("data/opq/new.txt")).unwrap(), "new\n");
    assert!(get_xattr(&l2.join("data/opq"), "user.overlay.opaque").is_none());
}

#[test]
fn compression_and_manifest_formats() {
    let env = Env::new();
    env.pull("fixtures/zstd");
    let l = env.layer_dirs("fixtures/zstd");
    assert_eq!(std::fs::read_to_string(l[1].join("zstd-marker")).unwrap(), "zstd\n");
    env.pull("fixtures/plain");
    assert!(env.layer_dirs("fixtures/plain")[0].join("bin/busybox").is_file());
    env.pull("fixtures/docker");
    let v = env.inspect("fixtures/docker");
    assert_eq!(
        v["ManifestType"],
        "application/vnd.docker.distribution.manifest.v2+json"
    );
    assert_eq!(
        std::fs::read_to_string(env.layer_dirs("fixtures/docker")[1].join("docker-marker"))
            .unwrap()
            .trim(),
        "docker"
    );
}

fn platform_of(env: &Env, image: &str) -> String {
    let l = env.layer_dirs(image);
    std::fs::read_to_string(l.last().unwrap().join("platform"))
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn image_index_picks_this_platform_or_the_one_asked_for() {
    let env = Env::new();
    env.pull("fixtures/multiarch");
    assert_eq!(platform_of(&env, "fixtures/multiarch"), "amd64");
    assert_eq!(env.inspect("fixtures/multiarch")["Architecture"], "amd64");
    env.hutch([
        "pull",
        "--tls-verify=false",
        "--platform",
        "linux/arm64",
        &format!("{PLAIN}/fixtures/multiarch"),
    ])
    .ok();
    assert_eq!(platform_of(&env, "fixtures/multiarch"), "arm64");
    assert_eq!(env.inspect("fixtures/multiarch")["Architecture"], "arm64");
    // The amd64 image lost its name to the arm64 one and is now dangling.
    let all = env.hutch(["images"]).ok().stdout;
    assert!(all.contains("<none>"), "{all}");

    env.pull("fixtures/dockerlist");
    assert_eq!(platform_of(&env, "fixtures/dockerlist"), "amd64");
    env.hutch([
        "pull",
        "--tls-verify=false",
        "--arch",
        "arm64",
        "--variant",
        "v8",
        &format!("{PLAIN}/fixtures/dockerlist"),
    ])
    .ok();
    assert_eq!(platform_of(&env, "fixtures/dockerlist"), "arm64");

    let r = env
        .hutch(["pull", "--tls-verify=false", &format!("{PLAIN}/fixtures/armonly")])
        .fails_with("no image for platform linux/amd64");
    assert!(
        r.stderr.contains("linux/arm64") && r.stderr.contains("linux/s390x"),
        "{r:?}"
    );
    env.hutch([
        "pull",
        "--tls-verify=false",
        "--platform",
        "linux",
        &format!("{PLAIN}/fixtures/basic"),
    ])
    .fails_with("invalid platform \"linux\"");
}

#[test]
fn pull_by_digest() {
    let env = Env::new();
    let id = env.pull("fixtures/basic");
    let digest = env.inspect(&id)["Digest"].as_str().unwrap().to_string();
    env.hutch(["rmi", &id]).ok();
    let r = env
        .hutch([
            "pull",
            "--tls-verify=false",
            &format!("{PLAIN}/fixtures/basic@{digest}"),
        ])
        .ok();
    assert_eq!(r.stdout.trim(), id);
    // Found again by its digest reference.
    assert_eq!(env.inspect(&format!("{PLAIN}/fixtures/basic@{digest}"))["Id"], id);
    let missing = format!("sha256:{}", "0".repeat(64));
    env.hutch([
        "pull",
        "--tls-verify=false",
        &format!("{PLAIN}/fixtures/basic@{missing}"),
    ])
    .fails_with("not found");
}

#[test]
fn bad_input_and_unreachable_registries_fail_cleanly() {
    let env = Env::new();
    env.hutch(["pull", "Not/Lower"])
        .fails_with("invalid image reference \"Not/Lower\"");
    env.hutch(["pull", "x@sha256:123"])
        .fails_with("invalid image reference");
    assert!(!env.store().exists(), "bad input leaves nothing on disk");
    env.hutch(["pull", "--tls-verify=false", &format!("{PLAIN}/fixtures/nothere")])
        .fails_with("manifest unknown");
    env.hutch(["pull", "--tls-verify=false", "127.0.0.1:1/fixtures/basic"])
        .fails_with("cannot reach registry 127.0.0.1:1");
    // Plain HTTP is refused unless the registry is marked insecure.
    env.hutch(["pull", &format!("{PLAIN}/fixtures/basic")])
        .fails_with("over HTTPS");
    let r = env.hutch(["rmi", "nothere"]);
    assert!(r.code == 1 && r.stderr.contains("nothere: image not known"), "{r:?}");
    env.hutch(["image", "inspect", "nothere"])
        .fails_with("nothere: image not known");
    env.hutch(["pull", "--bogus-flag", "x"]).fails_with("--bogus-flag");
    assert_eq!(env.hutch(["images", "-q"]).ok().stdout, "");
    assert!(
        env.entries("tmp").iter().all(|n| !n.starts_with("layer")),
        "no debris: {:?}",
        env.entries("tmp")
    );
}

#[test]
fn registries_conf_marks_a_registry_insecure() {
    let env = Env::new();
    env.write(
        "config/containers/registries.conf",
        &format!("[[registry]]\nlocation = \"{PLAIN}\"\ninsecure = true\n"),
    );
    env.hutch(["pull", &format!("{PLAIN}/fixtures/basic")]).ok();
    env.write(
        "config/containers/registries.conf",
        &format!("[[registry]]\nlocation = \"{PLAIN}\"\nblocked = true\n"),
    );
    env.hutch(["pull", &format!("{PLAIN}/fixtures/basic")])
        .fails_with("blocked");
    env.write("config/containers/registries.conf", "this is [ not toml");
    env.hutch(["pull", &format!("{PLAIN}/fixtures/basic")])
        .fails_with("registries.conf");
}

#[test]
fn malicious_layers_are_refused_and_leave_nothing() {
    let env = Env::new();
    for (image, escape) in [
        ("evil/dotdot", "/tmp/hutch-escape-dotdot"),
        ("evil/abs", "/tmp/hutch-escape-abs"),
        ("evil/symlink", "/tmp/hutch-escape-symlink"),
        ("evil/symlinkrel", "/tmp/hutch-escape-rel"),
        ("evil/hardlink", ""),
        ("evil/hardlinkabs", ""),
    ] {
        let r = env
            .hutch(["pull", "--tls-verify=false", &format!("{PLAIN}/{image}")])
            .fails_with("refusing layer entry");
        assert!(r.stderr.contains(image), "the error names the image: {r:?}");
        if !escape.is_empty() {
            assert!(!Path::new(escape).exists(), "{image} wrote {escape}");
        }
        assert_eq!(env.hutch(["images", "-q"]).ok().stdout, "", "{image} left an image");
        assert_eq!(env.layer_count(), 0, "{image} left a layer");
        assert!(
            env.entries("tmp").is_empty(),
            "{image} left debris: {:?}",
            env.entries("tmp")
        );
    }
    env.hutch(["pull", "--tls-verify=false", &format!("{PLAIN}/evil/bad-diffid")])
        .fails_with("diff_id mismatch");
    assert_eq!(env.layer_count(), 0);
    assert!(env.entries("tmp").is_empty());
}

#[test]
fn device_nodes_are_skipped_with_a_note_and_fifos_kept() {
    let env = Env::new();
    let r = env
        .hutch(["pull", "--tls-verify=false", &format!("{PLAIN}/fixtures/devnode")])
        .ok();
    assert!(r.stderr.contains("skipped 1 device node"), "{r:?}");
    let l = env.layer_dirs("fixtures/devnode");
    let top = l.last().unwrap();
    assert!(std::fs::symlink_metadata(top.join("data/fifo"))
        .unwrap()
        .file_type()
        .is_fifo());
    assert!(!top.join("dev/null-copy").exists());
}

#[test]
fn user_without_subuids_gets_a_single_uid_mapping_and_one_notice() {
    let env = Env::nosub();
    let r = env
        .hutch(["pull", "--tls-verify=false", &format!("{PLAIN}/fixtures/multi")])
        .ok();
    assert_eq!(r.stderr.matches("single-uid mapping").count(), 1, "{r:?}");
    assert!(
        r.stderr.contains("usermod --add-subuids"),
        "the notice says how to fix it: {r:?}"
    );
    let l = env.layer_dirs("fixtures/multi");
    let me = env.host_uid(0);
    assert_eq!(owner(&l[1].join("data/owned1234")).0, me);
    assert_eq!(mode(&l[1].join("data/suid")), 0o4755);
}

#[test]
fn tag_rmi_and_prune() {
    let env = Env::new();
    let basic = env.pull("fixtures/basic");
    let multi = env.pull("fixtures/multi");
    env.hutch(["tag", "fixtures/basic", "mybasic:v2", "quay.io/me/basic"])
        .ok();
    let v = env.inspect(&basic);
    let tags: Vec<&str> = v["RepoTags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert!(
        tags.contains(&"localhost/mybasic:v2") && tags.contains(&"quay.io/me/basic:latest"),
        "{tags:?}"
    );
    env.hutch(["tag", "fixtures/basic", "Bad Name"])
        .fails_with("invalid image name");
    env.hutch(["tag", "nothere", "x"])
        .fails_with("nothere: image not known");

    // By name with other names left: only untagged. By id with several names: refused without -f.
    let r = env.hutch(["rmi", "mybasic:v2"]).ok();
    assert_eq!(r.stdout, "Untagged: localhost/mybasic:v2\n");
    env.hutch(["rmi", &basic[..12]]).fails_with("more than one tag");

    // With -f a missing image is no error, as in Podman (without, see tests/cli_compat.rs).
    let before = env.layer_count();
    let r = env.hutch(["rmi", "-f", &basic[..12], "nothere"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains(&format!("Deleted: {basic}")), "{r:?}");
    assert!(!r.stderr.contains("nothere"), "{r:?}");
    assert!(env.layer_count() < before, "the unused layer went with the image");
    assert!(
        !env.store().join("blobs/sha256").join(&basic).exists(),
        "config blob removed"
    );

    // A name moved to another image leaves the old one dangling; prune removes it.
    let plain = env.pull("fixtures/plain");
    env.hutch(["tag", &multi, &format!("{PLAIN}/fixtures/plain:latest")])
        .ok();
    let listed = env.hutch(["images"]).ok().stdout;
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with("<none>") && l.contains(&plain[..12])),
        "{listed}"
    );
    let r = env.hutch(["image", "prune"]).ok();
    assert_eq!(r.stdout.trim(), plain);
    assert_eq!(env.hutch(["images", "-q"]).ok().stdout, format!("{}\n", &multi[..12]));
    assert_eq!(env.layer_count(), 3);
    env.hutch(["image", "prune", "-a"]).ok();
    assert_eq!(env.layer_count(), 0);
    assert!(env.entries("blobs/sha256").is_empty());
}
