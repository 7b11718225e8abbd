//! `push` end to end as an unprivileged user: to registries (plain, TLS + Basic, bearer tokens,
//! faults), round trips with the real skopeo and podman, and the local destinations.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use common::*;

fn ca_into_certs_d(env: &Env, registry: &str) {
    let ca = std::fs::read_to_string(rig_dir().join("ca.crt")).unwrap();
    env.write(&format!("config/containers/certs.d/{registry}/ca.crt"), &ca);
}

/// The digest skopeo sees for `reference` (`docker://…`).
fn skopeo_digest(env: &Env, extra: &[&str], reference: &str) -> String {
    let mut args = vec!["inspect"];
    args.extend_from_slice(extra);
    args.push(reference);
    let r = env.program("skopeo", &args).ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    v["Digest"].as_str().unwrap().to_string()
}

/// Requests that send blobs (upload starts, chunks, commits and mounts) for `repo` in a
/// registry's access log.
fn uploads_in_log(log: &str, repo: &str) -> usize {
    let text = std::fs::read_to_string(rig_dir().join(log)).unwrap();
    text.lines()
        .filter(|l| {
            ["\"POST /v2/", "\"PUT /v2/", "\"PATCH /v2/"]
                .iter()
                .any(|m| l.contains(&format!("{m}{repo}/blobs/")))
        })
        .count()
}

/// Our own authproxy.py (from this tree: it forwards pushes) on a free port; killed on drop.
struct Proxy {
    child: Child,
    port: u16,
}

impl Proxy {
    fn start(mode: &str) -> Proxy {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/authproxy.py");
        let child = Command::new("python3")
            .arg(script)
            .args(["--mode", mode, "--port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Proxy { child, port };
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("authproxy did not come up on port {port}");
    }
    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn push_to_tls_registry_matches_skopeo_runs_in_podman_and_a_second_push_sends_nothing() {
    let env = Env::new();
    let _pr = PodmanRun::new(&env);
    ca_into_certs_d(&env, AUTH);
    env.pull("fixtures/multi");
    let repo = format!("pushed-{}/multi", rand_hex());
    let dest = format!("{AUTH}/{repo}:v1");
    let df = path(&env, "digest");
    // Another registry than the image came from: layers are rebuilt and compressed here.
    env.hutch([
        "push",
        "--creds",
        "testuser:testpass",
        "--digestfile",
        &df,
        "fixtures/multi",
        &dest,
    ])
    .ok();
    let digest = std::fs::read_to_string(&df).unwrap();
    assert!(digest.starts_with("sha256:") && digest.len() == 71, "{digest}");
    let certs = path(&env, &format!("config/containers/certs.d/{AUTH}"));
    let sk = ["--creds", "testuser:testpass", "--cert-dir", certs.as_str()];
    assert_eq!(skopeo_digest(&env, &sk, &format!("docker://{dest}")), digest);

    // podman pulls it and runs it: the content is the image's.
    podman(
        &env,
        &[
            "pull",
            "-q",
            "--creds",
            "testuser:testpass",
            "--cert-dir",
            &certs,
            &dest,
        ],
    )
    .ok();
    let out = podman(&env, &["run", "--rm", &dest, "cat", "/etc/fixture"]).ok().stdout;
    assert!(out.starts_with("fixtures/multi\n"), "{out}");

    // Again, to the same and to another tag: nothing is uploaded, the digest is the same.
    let sent = uploads_in_log("reg-auth.log", &repo);
    assert!(sent > 0, "the first push uploaded blobs");
    let df2 = path(&env, "digest2");
    env.hutch([
        "push",
        "--creds",
        "testuser:testpass",
        "--digestfile",
        &df2,
        "fixtures/multi",
        &dest,
    ])
    .ok();
    env.hutch([
        "push",
        "--creds",
        "testuser:testpass",
        "--digestfile",
        &df2,
        "fixtures/multi",
        &format!("{AUTH}/{repo}:v2"),
    ])
    .ok();
    assert_eq!(std::fs::read_to_string(&df2).unwrap(), digest);
    assert_eq!(
        uploads_in_log("reg-auth.log", &repo),
        sent,
        "a second push uploads no blob"
    );

    // Without the cache of compressed digests (a fresh store) the blobs come out the same.
    let fresh = Env::new();
    ca_into_certs_d(&fresh, AUTH);
    fresh.pull("fixtures/multi");
    let df3 = path(&fresh, "digest3");
    fresh
        .hutch([
            "push",
            "--creds",
            "testuser:testpass",
            "--digestfile",
            &df3,
            "fixtures/multi",
            &format!("{AUTH}/{repo}:v3"),
        ])
        .ok();
    assert_eq!(
        std::fs::read_to_string(&df3).unwrap(),
        digest,
        "compression is deterministic"
    );
    assert_eq!(uploads_in_log("reg-auth.log", &repo), sent);
}

#[test]
fn push_back_to_the_same_registry_keeps_the_pulled_manifest_and_mounts_blobs() {
    let env = Env::new();
    env.pull("fixtures/docker");
    let want = skopeo_digest(
        &env,
        &["--tls-verify=false"],
        &format!("docker://{PLAIN}/fixtures/docker:latest"),
    );
    let repo = format!("mounted-{}/docker", rand_hex());
    let df = path(&env, "digest");
    env.hutch([
        "push",
        "--tls-verify=false",
        "--digestfile",
        &df,
        "fixtures/docker",
        &format!("docker://{PLAIN}/{repo}:copy"),
    ])
    .ok();
    assert_eq!(
        std::fs::read_to_string(&df).unwrap(),
        want,
        "the stored manifest, byte for byte"
    );
    assert_eq!(
        skopeo_digest(&env, &["--tls-verify=false"], &format!("docker://{PLAIN}/{repo}:copy")),
        want
    );
    let log = std::fs::read_to_string(rig_dir().join("reg-plain.log")).unwrap();
    let mounts = log
        .lines()
        .filter(|l| {
            l.contains(&format!("\"POST /v2/{repo}/blobs/uploads/?mount=")) && l.contains("from=fixtures%2Fdocker")
        })
        .count();
    assert!(mounts >= 2, "blobs were mounted: {mounts}");
    assert!(
        !log.contains(&format!("\"PUT /v2/{repo}/blobs/uploads/")),
        "no blob was uploaded"
    );

    // Asking for another format makes a new manifest (OCI), with the same config.
    env.hutch([
        "push",
        "--tls-verify=false",
        "--format",
        "oci",
        "--digestfile",
        &df,
        "fixtures/docker",
        &format!("{PLAIN}/{repo}:oci"),
    ])
    .ok();
    let raw = env
        .program(
            "skopeo",
            [
                "inspect",
                "--raw",
                "--tls-verify=false",
                &format!("docker://{PLAIN}/{repo}:oci"),
            ],
        )
        .ok()
        .stdout;
    let m: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(m["mediaType"], "application/vnd.oci.image.manifest.v1+json");
    assert_ne!(std::fs::read_to_string(&df).unwrap(), want);
}

#[test]
fn podman_push_then_hutch_pull_and_hutch_zstd_push_then_podman_run() {
    let env = Env::new();
    let _pr = PodmanRun::new(&env);
    let src = format!("{PLAIN}/fixtures/basic:latest");
    podman(&env, &["pull", "-q", "--tls-verify=false", &src]).ok();
    let by_podman = format!("{PLAIN}/podpushed-{}/basic:v1", rand_hex());
    podman(&env, &["push", "-q", "--tls-verify=false", &src, &by_podman]).ok();
    env.hutch(["pull", "-q", "--tls-verify=false", &by_podman]).ok();
    let out = env
        .hutch(["run", "--rm", &by_podman, "cat", "/etc/fixture"])
        .ok()
        .stdout;
    assert!(out.starts_with("fixtures/basic\n"), "{out}");

    // hutch pushes it on with zstd layers; podman runs that.
    let zdest = format!("{PLAIN}/zpushed-{}/basic:z", rand_hex());
    let df = path(&env, "digest");
    env.hutch([
        "push",
        "--tls-verify=false",
        "--compression-format",
        "zstd",
        "--compression-level",
        "5",
        "--digestfile",
        &df,
        &by_podman,
        &zdest,
    ])
    .ok();
    let raw = env
        .program(
            "skopeo",
            ["inspect", "--raw", "--tls-verify=false", &format!("docker://{zdest}")],
        )
        .ok()
        .stdout;
    let m: serde_json::Value = serde_json::from_str(&raw).unwrap();
    for l in m["layers"].as_array().unwrap() {
        assert_eq!(l["mediaType"], "application/vnd.oci.image.layer.v1.tar+zstd", "{raw}");
    }
    assert_eq!(
        format!("sha256:{}", sha256_hex(raw.as_bytes())),
        std::fs::read_to_string(&df).unwrap()
    );
    podman(&env, &["pull", "-q", "--tls-verify=false", &zdest]).ok();
    let out = podman(&env, &["run", "--rm", &zdest, "cat", "/etc/fixture"])
        .ok()
        .stdout;
    assert!(out.starts_with("fixtures/basic\n"), "{out}");
}

fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

#[test]
fn push_through_bearer_tokens_and_faults() {
    let env = Env::new();
    env.pull("fixtures/multi");
    let bearer = Proxy::start("bearer");
    let repo = format!("bearer-{}/multi", rand_hex());
    let dest = format!("{}/{repo}:v1", bearer.addr());
    env.hutch(["push", "--tls-verify=false", "fixtures/multi", &dest])
        .fails_with("requires authentication");
    let df = path(&env, "digest");
    env.hutch([
        "push",
        "--tls-verify=false",
        "--creds",
        "testuser:testpass",
        "--digestfile",
        &df,
        "fixtures/multi",
        &dest,
    ])
    .ok();
    // The proxy fronts the plain registry: the image is there.
    let plain = format!("docker://{PLAIN}/{repo}:v1");
    assert_eq!(
        skopeo_digest(&env, &["--tls-verify=false"], &plain),
        std::fs::read_to_string(&df).unwrap()
    );

    // Every blob upload's first PUT fails (503 or a dropped connection), HEADs too: retried.
    let flaky = Proxy::start("flaky");
    let frepo = format!("flaky-{}/multi", rand_hex());
    let fresh = Env::new();
    fresh.pull("fixtures/multi");
    let df2 = path(&fresh, "digest");
    fresh
        .hutch([
            "push",
            "--tls-verify=false",
            "--format",
            "v2s2",
            "--digestfile",
            &df2,
            "fixtures/multi",
            &format!("{}/{frepo}:v1", flaky.addr()),
        ])
        .ok();
    let d = std::fs::read_to_string(&df2).unwrap();
    assert_eq!(
        skopeo_digest(&env, &["--tls-verify=false"], &format!("docker://{PLAIN}/{frepo}:v1")),
        d
    );
    fresh
        .hutch(["pull", "-q", "--tls-verify=false", &format!("{PLAIN}/{frepo}:v1")])
        .ok();
    let out = fresh
        .hutch(["run", "--rm", &format!("{PLAIN}/{frepo}:v1"), "cat", "/etc/fixture"])
        .ok()
        .stdout;
    assert!(out.starts_with("fixtures/multi\n"), "{out}");
    // --retry 0: the first fault is final, one clear line.
    let frepo2 = format!("flaky-{}/multi", rand_hex());
    let other = Env::new();
    other.pull("fixtures/multi");
    other
        .hutch([
            "push",
            "--tls-verify=false",
            "--retry",
            "0",
            "fixtures/multi",
            &format!("{}/{frepo2}:v1", flaky.addr()),
        ])
        .fails_with("uploading blob");
}

#[test]
fn push_errors_are_one_line_and_leave_nothing() {
    let env = Env::new();
    env.pull("fixtures/basic");
    env.hutch(["push", "--tls-verify=false", "fixtures/basic", "127.0.0.1:1/x/y:1"])
        .fails_with("cannot reach registry 127.0.0.1:1");
    ca_into_certs_d(&env, AUTH);
    let dest = format!("{AUTH}/nocreds-{}/basic:1", rand_hex());
    env.hutch(["push", "fixtures/basic", &dest])
        .fails_with("requires authentication");
    env.hutch(["push", "--creds", "testuser:nope", "fixtures/basic", &dest])
        .fails_with("invalid username or password");
    env.hutch(["push", "fixtures/nope", &format!("{PLAIN}/x/y:1")])
        .fails_with("image not known");
    env.hutch([
        "push",
        "--format",
        "v2s2",
        "--compression-format",
        "zstd",
        "fixtures/basic",
        &format!("{PLAIN}/x/y:1"),
    ])
    .fails_with("zstd");
    env.hutch([
        "push",
        "--compression-level",
        "42",
        "fixtures/basic",
        &format!("{PLAIN}/x/y:1"),
    ])
    .fails_with("out of range");
    env.hutch(["push", "fixtures/basic", "containers-storage:x"])
        .fails_with("not supported");
    env.hutch(["push", "fixtures/basic", "oci-archive:/nonexistent/dir/a.tar"])
        .fails_with("no such directory");
    env.hutch([
        "push",
        "fixtures/basic",
        &format!("{PLAIN}/x/y@sha256:{}", "a".repeat(64)),
    ])
    .fails_with("digest");
    env.hutch([
        "push",
        "--tls-verify=false",
        "--digestfile",
        "/nonexistent/d",
        "fixtures/basic",
        &format!("{PLAIN}/x/y:1"),
    ])
    .fails_with("--digestfile");
    let left: Vec<_> = std::fs::read_dir(&env.root)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(
        left.iter().all(|n| !n.to_string_lossy().contains("hutch-tmp")),
        "{left:?}"
    );
    let tmp = env.store().join("tmp");
    let entries: Vec<_> = std::fs::read_dir(&tmp)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        entries.iter().all(|n| !n.to_string_lossy().starts_with("push-")),
        "{entries:?}"
    );
}

#[test]
fn push_to_oci_layouts_archives_and_dir_read_by_skopeo_and_podman() {
    let env = Env::new();
    let _pr = PodmanRun::new(&env);
    let id = env.pull("fixtures/multi");
    // oci:DIR:TAG
    let oci = path(&env, "layout");
    env.hutch(["push", "fixtures/multi", &format!("oci:{oci}:v1")]).ok();
    let r = env.program("skopeo", ["inspect", &format!("oci:{oci}:v1")]).ok();
    assert!(r.stdout.contains("\"Architecture\""), "{r:?}");
    // oci-archive:FILE:TAG -> podman
    let oa = path(&env, "multi-oci.tar");
    env.hutch(["push", "fixtures/multi", &format!("oci-archive:{oa}:v1")])
        .ok();
    podman(&env, &["pull", "-q", &format!("oci-archive:{oa}:v1")]).ok();
    // docker-archive:FILE:NAME -> podman load, same id and name
    let da = path(&env, "multi-docker.tar");
    env.hutch([
        "push",
        "fixtures/multi",
        &format!("docker-archive:{da}:localhost/renamed:2"),
    ])
    .ok();
    let r = podman(&env, &["load", "-i", &da]).ok();
    assert!(r.stdout.contains("localhost/renamed:2"), "{r:?}");
    let out = podman(&env, &["run", "--rm", "localhost/renamed:2", "cat", "/etc/fixture"])
        .ok()
        .stdout;
    assert!(out.starts_with("fixtures/multi\n"), "{out}");
    let ids = podman(&env, &["images", "--no-trunc", "--format", "{{.ID}}"])
        .ok()
        .stdout;
    assert!(ids.contains(&id), "{ids}");
    // dir:DIR, skopeo's directory transport -> skopeo copies it to a registry, hutch pulls that.
    let dir = path(&env, "dirt");
    env.hutch(["push", "fixtures/multi", &format!("dir:{dir}")]).ok();
    assert!(env.root.join("dirt/version").exists());
    let dest = format!("{PLAIN}/fromdir-{}/multi:v1", rand_hex());
    env.program(
        "skopeo",
        [
            "copy",
            "--dest-tls-verify=false",
            &format!("dir:{dir}"),
            &format!("docker://{dest}"),
        ],
    )
    .ok();
    let fresh = Env::new();
    assert_eq!(
        fresh
            .hutch(["pull", "-q", "--tls-verify=false", &dest])
            .ok()
            .stdout
            .trim(),
        id
    );
    // A non-empty directory is refused.
    env.hutch(["push", "fixtures/multi", &format!("dir:{dir}")])
        .fails_with("not an empty directory");
}

#[test]
fn manifest_list_of_two_platforms_is_pushed_as_one_reference() {
    let env = Env::new();
    let _pr = PodmanRun::new(&env);
    let src = format!("{PLAIN}/fixtures/multiarch:latest");
    let arm = env
        .hutch(["pull", "-q", "--tls-verify=false", "--platform", "linux/arm64", &src])
        .ok()
        .stdout
        .trim()
        .to_string();
    env.hutch(["tag", &src, "ma:arm64"]).ok();
    let amd = env
        .hutch(["pull", "-q", "--tls-verify=false", "--platform", "linux/amd64", &src])
        .ok()
        .stdout
        .trim()
        .to_string();
    env.hutch(["tag", &src, "ma:amd64"]).ok();
    assert_ne!(arm, amd);

    let r = env.hutch(["manifest", "create", "malist", "ma:amd64"]).ok();
    assert_eq!(r.stdout, "localhost/malist:latest\n");
    env.hutch(["manifest", "create", "malist"]).fails_with("already exists");
    env.hutch(["manifest", "add", "nolist", "ma:arm64"])
        .fails_with("no such manifest list");
    env.hutch(["manifest", "add", "malist", "nope:1"])
        .fails_with("image not known");
    env.hutch(["manifest", "add", "malist", "ma:arm64"]).ok();
    let idx: serde_json::Value =
        serde_json::from_str(&env.hutch(["manifest", "inspect", "malist"]).ok().stdout).unwrap();
    assert_eq!(idx["mediaType"], "application/vnd.oci.image.index.v1+json");
    let ms = idx["manifests"].as_array().unwrap();
    let archs: Vec<&str> = ms
        .iter()
        .map(|m| m["platform"]["architecture"].as_str().unwrap())
        .collect();
    assert_eq!(archs, ["amd64", "arm64"]);

    let dest = format!("{PLAIN}/mlist-{}/ma:v1", rand_hex());
    let df = path(&env, "digest");
    env.hutch([
        "manifest",
        "push",
        "--tls-verify=false",
        "--digestfile",
        &df,
        "malist",
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
    assert_eq!(
        format!("sha256:{}", sha256_hex(raw.as_bytes())),
        std::fs::read_to_string(&df).unwrap()
    );
    let pushed: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(pushed["manifests"].as_array().unwrap().len(), 2, "{raw}");
    // The images' stored manifests were kept: the index lists the digests hutch showed.
    assert_eq!(pushed["manifests"][0]["digest"], ms[0]["digest"]);
    assert_eq!(pushed["manifests"][1]["digest"], ms[1]["digest"]);

    // One reference, each platform gets its image: hutch and podman pull them.
    let fresh = Env::new();
    let got = fresh
        .hutch(["pull", "-q", "--tls-verify=false", "--platform", "linux/arm64", &dest])
        .ok()
        .stdout;
    assert_eq!(got.trim(), arm);
    let got = fresh.hutch(["pull", "-q", "--tls-verify=false", &dest]).ok().stdout;
    assert_eq!(got.trim(), amd);
    podman(&env, &["pull", "-q", "--tls-verify=false", "--arch", "arm64", &dest]).ok();
    let a = podman(&env, &["image", "inspect", "--format", "{{.Architecture}}", &dest])
        .ok()
        .stdout;
    assert_eq!(a.trim(), "arm64");

    env.hutch(["manifest", "rm", "malist"]).ok();
    env.hutch(["manifest", "inspect", "malist"])
        .fails_with("no such manifest list");
    env.hutch(["image", "exists", "ma:arm64"]).ok();
}
