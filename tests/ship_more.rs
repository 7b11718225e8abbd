//! Ship, continued: layers rebuilt with their files read ahead (push, save), gzip at Podman's
//! default level, and `images` that does not open config blobs for its table. As the
//! unprivileged test user, against the rig's plain registry.

mod common;

use common::*;

/// An imported image of one layer with `n` small files (more than the read-ahead window of 256
/// files) and one of 3 MiB; returns its diff_id.
fn many_files_image(env: &Env, name: &str, n: usize) -> String {
    sh(
        env,
        &format!(
            "set -e; mkdir -p tree/d; cd tree; i=0; while [ $i -lt {n} ]; do \
             printf 'file %s of the tree, some text to compress %s\\n' $i $i > d/f$i.txt; i=$((i+1)); done; \
             head -c 3145728 /dev/urandom > big.bin; tar cf ../many.tar d big.bin"
        ),
    )
    .ok();
    env.hutch(["import", &path(env, "many.tar"), name]).ok();
    let v = env.inspect(name);
    v["RootFS"]["Layers"][0].as_str().unwrap().to_string()
}

fn sha256_of(env: &Env, file: &str) -> String {
    let r = sh(env, &format!("sha256sum {file}")).ok();
    format!("sha256:{}", r.stdout.split_whitespace().next().unwrap())
}

#[test]
fn a_layer_of_many_files_is_rebuilt_exactly_when_saved_and_pushed() {
    let env = Env::new();
    let diff_id = many_files_image(&env, "many:1", 1200);
    // save: the docker-archive's layer is the layer's tar, byte for byte.
    env.hutch(["save", "-o", &path(&env, "many-save.tar"), "many:1"]).ok();
    sh(&env, "mkdir -p x && tar xf many-save.tar -C x").ok();
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(env.root.join("x/manifest.json")).unwrap()).unwrap();
    let layer = m[0]["Layers"][0].as_str().unwrap().to_string();
    assert_eq!(sha256_of(&env, &format!("x/{layer}")), diff_id);
    // push: the registry's layer decompresses to the same tar.
    let repo = format!("more-{}/many", rand_hex());
    let df = path(&env, "digest");
    env.hutch([
        "push",
        "--tls-verify=false",
        "--digestfile",
        &df,
        "many:1",
        &format!("{PLAIN}/{repo}:v1"),
    ])
    .ok();
    let digest = std::fs::read_to_string(&df).unwrap();
    let r = sh(
        &env,
        &format!(
            "curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' http://{PLAIN}/v2/{repo}/manifests/{digest}"
        ),
    )
    .ok();
    let man: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let blob = man["layers"][0]["digest"].as_str().unwrap();
    let r = sh(
        &env,
        &format!("curl -sf http://{PLAIN}/v2/{repo}/blobs/{blob} | gunzip | sha256sum"),
    )
    .ok();
    assert_eq!(
        format!("sha256:{}", r.stdout.split_whitespace().next().unwrap()),
        diff_id
    );
}

#[test]
fn a_layer_file_replaced_by_a_symlink_is_refused_not_followed() {
    let env = Env::new();
    many_files_image(&env, "many:1", 300);
    // Swap a file of the stored layer for a symlink to a host file: neither the read-ahead nor
    // the rebuild may follow it; the save fails and says the store's copy changed.
    let dirs = env.layer_dirs("many:1");
    let f = dirs[0].join("d/f7.txt");
    std::fs::remove_file(&f).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", &f).unwrap();
    let r = env.hutch(["save", "-o", &path(&env, "bad.tar"), "many:1"]);
    assert_eq!(r.code, 125, "{}", r.stderr);
    assert!(r.stderr.starts_with("Error: "), "{}", r.stderr);
    assert!(r.stderr.contains("f7.txt"), "{}", r.stderr);
    assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
    assert!(!env.root.join("bad.tar").exists());
}

#[test]
fn push_compresses_at_podmans_default_gzip_level() {
    let env = Env::new();
    many_files_image(&env, "lvl:1", 400);
    let repo = format!("more-{}/lvl", rand_hex());
    let mut digests = Vec::new();
    for (tag, extra) in [("default", None), ("five", Some("5")), ("six", Some("6"))] {
        let df = path(&env, &format!("digest-{tag}"));
        let dest = format!("{PLAIN}/{repo}:{tag}");
        let mut args = vec!["push", "--tls-verify=false", "--digestfile", &df];
        if let Some(l) = extra {
            args.extend(["--compression-level", l]);
        }
        args.extend(["lvl:1", &dest]);
        env.hutch(&args).ok();
        digests.push(std::fs::read_to_string(&df).unwrap());
    }
    assert_eq!(digests[0], digests[1], "the default is level 5, as podman's");
    assert_ne!(digests[0], digests[2]);
}

#[test]
fn images_table_does_not_open_config_blobs() {
    let env = env_with(&["fixtures/basic"]);
    let id = env.inspect("fixtures/basic")["Id"].as_str().unwrap().to_string();
    let id = id.trim_start_matches("sha256:").to_string();
    // A FIFO in place of the config blob: anything that opens it for reading hangs.
    let blob = env.store().join("blobs/sha256").join(&id);
    let saved = std::fs::read(&blob).unwrap();
    std::fs::remove_file(&blob).unwrap();
    nix::unistd::mkfifo(&blob, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    env.chown_tree(&blob);
    let r = sh(&env, "timeout 20 hutch images").ok();
    assert!(r.stdout.contains("fixtures/basic"), "{}", r.stdout);
    let r = sh(&env, "timeout 20 hutch images --sort size --noheading").ok();
    assert!(r.stdout.contains(&id[..12]), "{}", r.stdout);
    std::fs::remove_file(&blob).unwrap();
    std::fs::write(&blob, saved).unwrap();
    env.chown_tree(&blob);
    // A format shows the labels, read from the config.
    let r = env.hutch(["images", "--format", "{{.Labels}}", "fixtures/basic"]).ok();
    assert!(!r.stdout.trim().is_empty());
}

/// The layer blobs of `reference`'s manifest in the plain registry.
fn layer_blobs(env: &Env, repo: &str, tag: &str) -> Vec<String> {
    let r = sh(
        env,
        &format!(
            "curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' http://{PLAIN}/v2/{repo}/manifests/{tag}"
        ),
    )
    .ok();
    let man: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    man["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn zstd_push_uses_every_cpu_and_gives_the_same_blob_on_one() {
    // Two stores with the same layer (the same tar imported): one pushes on every CPU, the
    // other pinned to one CPU (one zstd worker); the blobs are the same bytes.
    let a = Env::new();
    let diff_id = many_files_image(&a, "z:1", 400);
    let b = Env::new();
    std::fs::copy(a.root.join("many.tar"), b.root.join("many.tar")).unwrap();
    b.chown_tree(&b.root.join("many.tar"));
    b.hutch(["import", &path(&b, "many.tar"), "z:1"]).ok();
    let repo = format!("more-{}/zstd", rand_hex());
    a.hutch([
        "push",
        "--tls-verify=false",
        "--compression-format",
        "zstd",
        "z:1",
        &format!("{PLAIN}/{repo}:all"),
    ])
    .ok();
    sh(
        &b,
        &format!("taskset -c 0 hutch push --tls-verify=false --compression-format zstd z:1 {PLAIN}/{repo}:one"),
    )
    .ok();
    let all = layer_blobs(&a, &repo, "all");
    assert_eq!(all, layer_blobs(&b, &repo, "one"));
    let r = sh(
        &a,
        &format!(
            "curl -sf http://{PLAIN}/v2/{repo}/blobs/{} | zstd -dc | sha256sum",
            all[0]
        ),
    )
    .ok();
    assert_eq!(
        format!("sha256:{}", r.stdout.split_whitespace().next().unwrap()),
        diff_id
    );
}
