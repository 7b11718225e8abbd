//! The rest of issue 11 ("Ship images"): layers compressed while they are pushed (parallel,
//! deterministic gzip), `load` of an OCI layout directory, `save`/`export` as readers of the
//! store against a concurrent `rmi`, `diff`/`commit` without the runtime's mount points, and
//! `save` of a layer without its tar-split record. End to end as the unprivileged test user.

mod common;

use std::time::{Duration, Instant};

use common::*;

/// A container that wrote 3 MiB of random bytes and 3 MiB of text, committed as `name`.
fn commit_mixed(env: &Env, name: &str) -> String {
    env.pull("fixtures/basic");
    let ctr = format!("mix-{}", rand_hex());
    env.hutch([
        "run",
        "--name",
        &ctr,
        "fixtures/basic",
        "sh",
        "-c",
        "head -c 3145728 /dev/urandom > /random.bin && \
         i=0; while [ $i -lt 60000 ]; do echo \"line $i of some text\"; i=$((i+1)); done > /text.txt && \
         sha256sum /random.bin /text.txt > /sums",
    ])
    .ok();
    let id = env.hutch(["commit", &ctr, name]).ok().stdout.trim().to_string();
    env.hutch(["rm", &ctr]).ok();
    id
}

#[test]
fn push_compresses_while_uploading_deterministically_and_the_image_round_trips() {
    let env = Env::new();
    let _pr = PodmanRun::new(&env);
    commit_mixed(&env, "localhost/mixed:v1");
    let sums = env
        .hutch(["run", "--rm", "localhost/mixed:v1", "cat", "/sums"])
        .ok()
        .stdout;

    // Two pushes to two repositories under the registry's other name (no blob to mount, no
    // cached digest there): the layers are made again each time and come out the same.
    let repo = format!("finish-{}", rand_hex());
    let (d1, d2) = (path(&env, "d1"), path(&env, "d2"));
    let dest1 = format!("localhost:5000/{repo}/a:v1");
    let dest2 = format!("localhost:5000/{repo}/b:v1");
    env.hutch([
        "push",
        "--tls-verify=false",
        "--digestfile",
        &d1,
        "localhost/mixed:v1",
        &dest1,
    ])
    .ok();
    std::fs::remove_file(env.store().join("push-cache.json")).unwrap();
    env.hutch([
        "push",
        "--tls-verify=false",
        "--digestfile",
        &d2,
        "localhost/mixed:v1",
        &dest2,
    ])
    .ok();
    let (d1, d2) = (
        std::fs::read_to_string(&d1).unwrap(),
        std::fs::read_to_string(&d2).unwrap(),
    );
    assert_eq!(d1, d2, "same image, same blobs, same manifest digest");

    // The blobs are valid gzip whose content is the layer (skopeo checks every digest; the
    // layer's diff_id is checked by a fresh hutch pull and by podman).
    let dir = path(&env, "copied");
    env.program(
        "skopeo",
        [
            "copy",
            "--src-tls-verify=false",
            &format!("docker://{dest1}"),
            &format!("dir:{dir}"),
        ],
    )
    .ok();
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(env.root.join("copied/manifest.json")).unwrap()).unwrap();
    let top = m["layers"].as_array().unwrap().last().unwrap()["digest"]
        .as_str()
        .unwrap()[7..]
        .to_string();
    let diff_id = env.inspect("localhost/mixed:v1")["RootFS"]["Layers"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    let got = sh(&env, &format!("gzip -dc {dir}/{top} | sha256sum | cut -d' ' -f1"))
        .ok()
        .stdout;
    assert_eq!(
        format!("sha256:{}", got.trim()),
        diff_id,
        "gunzip of the pushed blob is the layer"
    );

    let fresh = Env::new();
    let _pr2 = PodmanRun::new(&fresh);
    fresh.hutch(["pull", "-q", "--tls-verify=false", &dest1]).ok();
    let again = fresh
        .hutch(["run", "--rm", &dest1, "sh", "-c", "sha256sum /random.bin /text.txt"])
        .ok()
        .stdout;
    assert_eq!(again, sums);
    let pod = podman(
        &fresh,
        &[
            "run",
            "--rm",
            "--tls-verify=false",
            &dest1,
            "sh",
            "-c",
            "sha256sum /random.bin /text.txt",
        ],
    )
    .ok()
    .stdout;
    assert_eq!(pod, sums);

    // A second push sends nothing: the blobs are there and the manifest is the same.
    let log_before = uploads(&repo);
    env.hutch([
        "push",
        "--tls-verify=false",
        "--digestfile",
        &path(&env, "d3"),
        "localhost/mixed:v1",
        &dest1,
    ])
    .ok();
    assert_eq!(std::fs::read_to_string(path(&env, "d3")).unwrap(), d1);
    assert_eq!(uploads(&repo), log_before, "no blob sent again");
}

/// Blob upload requests for repositories under `repo` in the plain registry's access log.
fn uploads(repo: &str) -> usize {
    let Ok(text) = std::fs::read_to_string(rig_dir().join("reg-plain.log")) else {
        return 0;
    };
    text.lines()
        .filter(|l| {
            ["\"POST /v2/", "\"PUT /v2/", "\"PATCH /v2/"]
                .iter()
                .any(|m| l.contains(&format!("{m}{repo}/")) && l.contains("/blobs/"))
        })
        .count()
}

#[test]
fn load_reads_an_oci_layout_directory_from_hutch_and_from_skopeo() {
    let env = Env::new();
    let id = env.pull("fixtures/multi");
    let layout = path(&env, "layout");
    env.hutch(["save", "--format", "oci-dir", "-o", &layout, "fixtures/multi"])
        .ok();

    let other = Env::new();
    let r = other.hutch(["load", "-i", &layout]).ok();
    assert!(r.stdout.contains("Loaded image: "), "{r:?}");
    assert_eq!(other.inspect(&format!("{PLAIN}/fixtures/multi"))["Id"], id.as_str());
    let out = other
        .hutch(["run", "--rm", &format!("{PLAIN}/fixtures/multi"), "cat", "/etc/fixture"])
        .ok()
        .stdout;
    assert!(out.starts_with("fixtures/multi"), "{out}");

    // An OCI layout skopeo wrote (gzip layers, its own manifest), with a name.
    let sk = path(&env, "skopeo-layout");
    env.program(
        "skopeo",
        [
            "copy",
            "--src-tls-verify=false",
            &format!("docker://{PLAIN}/fixtures/basic"),
            &format!("oci:{sk}:localhost/basic:v2"),
        ],
    )
    .ok();
    let third = Env::new();
    let r = third.hutch(["load", "-i", &sk]).ok();
    assert!(r.stdout.contains("Loaded image: localhost/basic:v2"), "{r:?}");
    third.hutch(["run", "--rm", "localhost/basic:v2", "true"]).ok();

    // A directory that is no layout: one line, nothing stored.
    let empty = path(&env, "empty-dir");
    std::fs::create_dir(&empty).unwrap();
    env.chown_tree(std::path::Path::new(&empty));
    let before = env.layer_count();
    let r = env
        .hutch(["load", "-i", &empty])
        .fails_with("neither manifest.json nor index.json");
    assert_eq!(r.code, 125);
    assert_eq!(env.layer_count(), before);
}

#[test]
fn rmi_waits_for_a_save_and_an_export_that_are_reading() {
    let env = Env::new();
    env.pull("fixtures/multi");
    let tar = path(&env, "slow.tar");
    // The reader of the archive is slow: save blocks on the pipe while it holds the store.
    let mut save = env
        .command(["save", "fixtures/multi"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = save.stdout.take().unwrap();
    let tar2 = tar.clone();
    let reader = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        let mut f = std::fs::File::create(&tar2).unwrap();
        let mut out = out;
        std::io::copy(&mut out, &mut f).unwrap();
    });
    std::thread::sleep(Duration::from_millis(500));
    let t0 = Instant::now();
    env.hutch(["rmi", "fixtures/multi"]).ok();
    assert!(t0.elapsed() >= Duration::from_millis(500), "rmi waited for the save");
    reader.join().unwrap();
    assert!(save.wait().unwrap().success());
    env.chown_tree(&env.root.join("slow.tar"));
    // The archive is whole: it loads back.
    let r = env.hutch(["load", "-i", &tar]).ok();
    assert!(r.stdout.contains("fixtures/multi"), "{r:?}");

    // export: the same against rmi -f (which would remove the container and its image).
    env.hutch(["create", "--name", "ex", "fixtures/multi", "true"]).ok();
    let mut export = env
        .command(["export", "ex"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = export.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        let mut n = 0u64;
        let mut out = out;
        n += std::io::copy(&mut out, &mut std::io::sink()).unwrap();
        n
    });
    std::thread::sleep(Duration::from_millis(500));
    let t0 = Instant::now();
    env.hutch(["rmi", "-f", "fixtures/multi"]).ok();
    assert!(
        t0.elapsed() >= Duration::from_millis(500),
        "rmi -f waited for the export"
    );
    assert!(reader.join().unwrap() > 10240);
    assert!(export.wait().unwrap().success());
}

#[test]
fn diff_and_commit_leave_out_the_runtimes_mount_points_as_podman_does() {
    let env = Env::new();
    let _pr = PodmanRun::new(&env);
    env.pull("fixtures/basic");
    env.hutch(["run", "--name", "mp", "fixtures/basic", "touch", "/newfile"])
        .ok();
    let ours = env.hutch(["diff", "mp"]).ok().stdout;
    // Podman's view of the same run.
    podman(
        &env,
        &[
            "run",
            "--name",
            "mp",
            "--tls-verify=false",
            &format!("{PLAIN}/fixtures/basic"),
            "touch",
            "/newfile",
        ],
    )
    .ok();
    let theirs = podman(&env, &["diff", "mp"]).ok().stdout;
    assert_eq!(ours, theirs);
    assert_eq!(ours, "C /etc\nA /newfile\n");

    // The committed layer has the new file, not the empty mount points; the image runs.
    env.hutch(["commit", "mp", "localhost/mp:v1"]).ok();
    assert_eq!(
        env.hutch(["diff", "localhost/mp:v1"]).ok().stdout,
        "C /etc\nA /newfile\n"
    );
    let tar = path(&env, "mp.tar");
    env.hutch(["save", "-o", &tar, "localhost/mp:v1"]).ok();
    let top = env.inspect("localhost/mp:v1")["RootFS"]["Layers"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .as_str()
        .unwrap()[7..]
        .to_string();
    let listing = sh(&env, &format!("tar -xOf {tar} {top}.tar | tar -t")).ok().stdout;
    let mut names: Vec<&str> = listing.lines().collect();
    names.sort();
    assert_eq!(names, ["etc/", "newfile"], "{listing}");
    env.hutch(["run", "--rm", "localhost/mp:v1", "cat", "/etc/hosts"]).ok();

    // What the container really wrote under a mount point's parent stays.
    env.hutch([
        "run",
        "--name",
        "mp2",
        "fixtures/basic",
        "sh",
        "-c",
        "mkdir -p /run/app && echo x > /run/app/f",
    ])
    .ok();
    let d = env.hutch(["diff", "mp2"]).ok().stdout;
    assert!(d.lines().any(|l| l == "A /run/app/f"), "{d}");
    env.hutch(["commit", "mp2", "localhost/mp:v2"]).ok();
    let out = env
        .hutch(["run", "--rm", "localhost/mp:v2", "cat", "/run/app/f"])
        .ok()
        .stdout;
    assert_eq!(out, "x\n");
}

#[test]
fn save_of_a_layer_without_its_tar_split_record_says_to_pull_again() {
    let env = Env::new();
    env.pull("fixtures/basic");
    for l in env.layer_dirs("fixtures/basic") {
        let rec = l.parent().unwrap().join("tar-split.zst");
        assert!(rec.exists(), "{}", rec.display());
        std::fs::remove_file(rec).unwrap();
    }
    let tar = path(&env, "old.tar");
    let r = env
        .hutch(["save", "-o", &tar, "fixtures/basic"])
        .fails_with("pull the image again");
    assert_eq!(r.code, 125);
    assert_eq!(r.stderr.lines().count(), 1, "{r:?}");
    assert!(!std::path::Path::new(&tar).exists());
    let leftovers: Vec<_> = std::fs::read_dir(&env.root)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("hutch-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary file left");
    env.hutch([
        "push",
        "--tls-verify=false",
        "fixtures/basic",
        &format!("oci:{}", path(&env, "o")),
    ])
    .fails_with("pull the image again");
}

#[test]
fn push_to_an_existing_oci_layout_adds_to_its_index_as_skopeo_does() {
    let env = Env::new();
    env.pull("fixtures/basic");
    env.pull("fixtures/multi");
    let dir = path(&env, "layout");
    // skopeo starts the layout, hutch adds two images to it, one replacing skopeo's tag.
    env.program(
        "skopeo",
        [
            "copy",
            "--src-tls-verify=false",
            &format!("docker://{PLAIN}/fixtures/basic"),
            &format!("oci:{dir}:first"),
        ],
    )
    .ok();
    env.hutch(["push", "fixtures/multi", &format!("oci:{dir}:second")]).ok();
    env.hutch(["push", "fixtures/multi", &format!("oci:{dir}:first")]).ok();
    env.hutch(["save", "--format", "oci-dir", "-o", &dir, "fixtures/basic"])
        .ok();
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(env.root.join("layout/index.json")).unwrap()).unwrap();
    let names: Vec<&str> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["annotations"]["org.opencontainers.image.ref.name"].as_str())
        .collect();
    assert_eq!(names.iter().filter(|n| **n == "first").count(), 1, "{index}");
    assert!(names.contains(&"second"), "{index}");
    // Every tag reads back with skopeo and runs in hutch.
    for (tag, file) in [("first", "fixtures/multi"), ("second", "fixtures/multi")] {
        env.program("skopeo", ["inspect", &format!("oci:{dir}:{tag}")]).ok();
        let other = Env::new();
        other
            .program(
                "skopeo",
                [
                    "copy",
                    "--dest-tls-verify=false",
                    &format!("oci:{dir}:{tag}"),
                    &format!("docker://{PLAIN}/finish-{}/oci:{tag}", rand_hex()),
                ],
            )
            .ok();
        let out = sh(&env, &format!("umoci ls --layout {dir} 2>/dev/null || true"))
            .ok()
            .stdout;
        assert!(out.is_empty() || out.contains(tag), "{out}");
        let _ = file;
    }
    // A directory that is neither empty nor a layout is refused and left alone.
    let other = path(&env, "notalayout");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(env.root.join("notalayout/keep"), "x").unwrap();
    env.chown_tree(&env.root.join("notalayout"));
    env.hutch(["push", "fixtures/multi", &format!("oci:{other}")])
        .fails_with("neither an empty directory nor an OCI layout");
    assert_eq!(std::fs::read_dir(&other).unwrap().count(), 1);
}

/// A one-shot static file server (python's http.server) on a free port; killed on drop.
struct Server {
    child: std::process::Child,
    port: u16,
}

impl Server {
    fn start(dir: &str) -> Server {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let child = std::process::Command::new("python3")
            .args([
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                "--directory",
                dir,
                &port.to_string(),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let t0 = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(t0.elapsed() < Duration::from_secs(20), "http.server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Server { child, port }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn import_from_an_http_url() {
    let env = Env::new();
    let web = env.root.join("web");
    std::fs::create_dir_all(web.join("root/etc")).unwrap();
    std::fs::write(web.join("root/etc/greeting"), "from the web\n").unwrap();
    env.chown_tree(&web);
    sh(
        &env,
        &format!("cd {0}/root && tar czf {0}/rootfs.tar.gz .", web.display()),
    )
    .ok();
    let srv = Server::start(&web.display().to_string());
    let url = format!("http://127.0.0.1:{}/rootfs.tar.gz", srv.port);
    let id = env
        .hutch(["import", "-c", "CMD [\"/bin/sh\"]", &url, "localhost/fromweb:v1"])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert_eq!(id.len(), 64);
    let j = env.inspect("localhost/fromweb:v1");
    assert_eq!(j["Id"], id.as_str());
    assert_eq!(j["Config"]["Cmd"][0], "/bin/sh");
    // The content is the tar's: save it and read the file back.
    let layer = j["RootFS"]["Layers"][0].as_str().unwrap()[7..].to_string();
    let out = sh(
        &env,
        &format!("hutch save localhost/fromweb:v1 | tar -xO {layer}.tar | tar -xO ./etc/greeting"),
    )
    .ok()
    .stdout;
    assert_eq!(out, "from the web\n");

    // A missing file: one line naming the URL and the status, nothing stored.
    let before = env.layer_count();
    let bad = format!("http://127.0.0.1:{}/nothere.tar", srv.port);
    let r = env.hutch(["import", &bad]).fails_with("404");
    assert!(r.stderr.contains(&bad), "{r:?}");
    assert_eq!(r.code, 125);
    assert_eq!(env.layer_count(), before);
    assert!(
        env.entries("tmp").iter().all(|e| !e.starts_with("import")),
        "{:?}",
        env.entries("tmp")
    );
}

#[test]
fn cp_into_and_out_of_a_stopped_keep_id_container() {
    let env = Env::new();
    env.pull("fixtures/basic");
    env.hutch([
        "create",
        "--name",
        "kid",
        "--userns",
        "keep-id",
        "fixtures/basic",
        "sh",
        "-c",
        "cat /in.txt; ls -ln /in.txt",
    ])
    .ok();
    let host = env.write("in.txt", "copied in while stopped\n");
    env.hutch(["cp", &host.display().to_string(), "kid:/in.txt"]).ok();
    // Out again, before it ever ran.
    let back = path(&env, "back.txt");
    env.hutch(["cp", "kid:/in.txt", &back]).ok();
    assert_eq!(std::fs::read_to_string(&back).unwrap(), "copied in while stopped\n");
    // The container sees the file, owned by the container's user (`cp -a`, the default, as
    // Podman's): under keep-id, your own uid.
    let out = env.hutch(["start", "-a", "kid"]).ok().stdout;
    assert!(out.starts_with("copied in while stopped\n"), "{out}");
    let ls = out.lines().nth(1).unwrap_or_default().to_string();
    let f: Vec<&str> = ls.split_whitespace().collect();
    let me = env.host_uid(0).to_string();
    assert_eq!((f[2], f[3]), (me.as_str(), me.as_str()), "{ls}");
    // Stopped again (after a run): still works, and stays inside the container.
    env.hutch(["cp", "kid:/etc/fixture", &path(&env, "fixture")]).ok();
    env.hutch(["cp", "kid:/../../../../etc/passwd", &path(&env, "passwd")])
        .ok();
    let p = std::fs::read_to_string(env.root.join("passwd")).unwrap();
    assert!(
        p.contains("tester:x:1000"),
        "the container's /etc/passwd, not the host's: {p}"
    );
}

#[test]
fn manifest_lists_of_registry_images_annotated_amended_and_pushed() {
    let env = Env::new();
    let multiarch = format!("docker://{PLAIN}/fixtures/multiarch:latest");
    let arm_digest = "sha256:e175c7ca663cb9155419e5edf7f44a73902e3655b6cacea43830f2bccf59c46a";
    let amd_digest = "sha256:7a96726e5e92865382ee823e871492729de7a74c2e5075c6343fb4cb70168c5b";
    let basic_digest = "sha256:b7f7ec88dcc465c4f2a13b877ae7115412282d6351679eb929bd480396398109";
    env.hutch(["manifest", "create", "--tls-verify=false", "rl", &multiarch])
        .ok();
    env.hutch([
        "manifest",
        "add",
        "--tls-verify=false",
        "--platform",
        "linux/arm64",
        "rl",
        &multiarch,
    ])
    .ok();
    assert_eq!(env.layer_count(), 0, "only manifests and configs are fetched");
    let inspect = |env: &Env| -> serde_json::Value {
        serde_json::from_str(&env.hutch(["manifest", "inspect", "rl"]).ok().stdout).unwrap()
    };
    let idx = inspect(&env);
    let digests: Vec<&str> = idx["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["digest"].as_str().unwrap())
        .collect();
    assert_eq!(digests, [amd_digest, arm_digest], "{idx}");

    env.hutch([
        "manifest",
        "annotate",
        "--annotation",
        "org.example.team=ship",
        "--variant",
        "v8",
        "rl",
        arm_digest,
    ])
    .ok();
    env.hutch(["manifest", "annotate", "--annotation", "novalue", "rl", arm_digest])
        .fails_with("KEY=VALUE");
    env.hutch(["manifest", "annotate", "--arch", "s390x", "rl", "sha256:0000"])
        .fails_with("not in manifest list");
    env.hutch(["manifest", "create", "rl"]).fails_with("already exists");
    // --amend: the amd64 entry is replaced by another registry image of that platform.
    env.hutch([
        "manifest",
        "create",
        "--amend",
        "--tls-verify=false",
        "rl",
        &format!("docker://{PLAIN}/fixtures/basic"),
    ])
    .ok();
    let idx = inspect(&env);
    let ms = idx["manifests"].as_array().unwrap();
    assert_eq!(ms.len(), 2, "{idx}");
    let arm = ms.iter().find(|m| m["digest"] == arm_digest).expect("arm64 entry");
    assert_eq!(arm["platform"]["variant"], "v8");
    assert_eq!(arm["annotations"]["org.example.team"], "ship");
    assert!(ms.iter().any(|m| m["digest"] == basic_digest), "{idx}");

    // Pushed to the same registry (blobs mounted) and under its other name (blobs copied).
    for reg in [PLAIN, "localhost:5000"] {
        let dest = format!("{reg}/mremote-{}/rl:v1", rand_hex());
        let df = path(&env, "digest");
        env.hutch([
            "manifest",
            "push",
            "--tls-verify=false",
            "--digestfile",
            &df,
            "rl",
            &dest,
        ])
        .ok();
        let raw = env
            .program(
                "skopeo",
                ["inspect", "--raw", "--tls-verify=false", &format!("docker://{dest}")],
            )
            .ok()
            .stdout;
        let pushed: serde_json::Value = serde_json::from_str(&raw).unwrap();
        assert_eq!(pushed["manifests"].as_array().unwrap().len(), 2, "{raw}");
        let arm = pushed["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["digest"] == arm_digest)
            .expect("arm64 entry");
        assert_eq!(arm["annotations"]["org.example.team"], "ship", "{raw}");
        // Every platform's image is complete there: skopeo copies each, hutch runs the amd64 one.
        for d in [arm_digest, basic_digest] {
            env.program(
                "skopeo",
                [
                    "copy",
                    "--src-tls-verify=false",
                    &format!("docker://{}@{d}", dest.rsplit_once(':').unwrap().0),
                    &format!("dir:{}", path(&env, &format!("copy-{}", &d[7..19]))),
                ],
            )
            .ok();
        }
        let fresh = Env::new();
        let out = fresh
            .hutch(["run", "--rm", "--tls-verify=false", &dest, "cat", "/etc/fixture"])
            .ok()
            .stdout;
        assert!(out.starts_with("fixtures/basic"), "{out}");
    }
}
