//! `hutch build`, second part: COPY written straight into the layer (the image's symlinks and
//! files respected, the result the same as `podman build`'s), RUN layers moved rather than
//! copied (whiteouts, opaque directories, hard links, and a saved image whose layers match their
//! diff_ids), the context's hash cache (a touched file hits, a changed one misses even with its
//! size and mtime restored), independent stages built in parallel, ADD of a URL, RUN cache mounts
//! with their options, --squash and --squash-all, and pruning the build cache.

mod common;

use std::collections::BTreeMap;
use std::io::Read;

use common::build_compare::*;
use common::*;
use sha2::{Digest, Sha256};

const BASE: &str = "127.0.0.1:5000/fixtures/basic";

/// `hutch save` of `image` as a docker-archive: each layer's sha256 equals its diff_id (the
/// layers recorded without being written as tars rebuild byte for byte).
fn assert_layers_rebuild(env: &Env, image: &str) {
    let out = path(env, &format!("save-{}.tar", rand_hex()));
    env.hutch(["save", "-o", &out, image]).ok();
    let mut ar = tar::Archive::new(std::fs::File::open(&out).unwrap());
    let mut blobs: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let p = e.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        blobs.insert(p, data);
    }
    let manifest: serde_json::Value = serde_json::from_slice(&blobs["manifest.json"]).unwrap();
    let config: serde_json::Value = serde_json::from_slice(&blobs[manifest[0]["Config"].as_str().unwrap()]).unwrap();
    let layers = manifest[0]["Layers"].as_array().unwrap();
    let diff_ids = config["rootfs"]["diff_ids"].as_array().unwrap();
    assert_eq!(layers.len(), diff_ids.len());
    for (l, d) in layers.iter().zip(diff_ids) {
        let got = format!("sha256:{}", hex::encode(Sha256::digest(&blobs[l.as_str().unwrap()])));
        assert_eq!(got, d.as_str().unwrap(), "layer {l} of {image}");
    }
}

/// `user.overlay.*` attributes but the opaque marker, anywhere under `dir`: (path, name).
fn overlay_xattrs(dir: &std::path::Path) -> Vec<(String, String)> {
    use std::os::unix::ffi::OsStrExt;
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(p) = todo.pop() {
        let md = std::fs::symlink_metadata(&p).unwrap();
        if md.is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                todo.push(e.unwrap().path());
            }
        }
        if md.file_type().is_symlink() {
            continue;
        }
        let c = std::ffi::CString::new(p.as_os_str().as_bytes()).unwrap();
        let mut buf = vec![0u8; 4096];
        // SAFETY: a valid C string and a buffer of the given length.
        let n = unsafe { libc::llistxattr(c.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            continue;
        }
        for name in buf[..n as usize].split(|b| *b == 0).filter(|x| !x.is_empty()) {
            let name = String::from_utf8_lossy(name).into_owned();
            if name.starts_with("user.overlay.") && name != "user.overlay.opaque" {
                out.push((p.display().to_string(), name));
            }
        }
    }
    out
}

fn layers_of(env: &Env, image: &str) -> usize {
    env.inspect(image)["RootFS"]["Layers"].as_array().unwrap().len()
}

#[test]
fn copy_into_the_layer_matches_podman_around_the_images_files() {
    let env = Env::new();
    let _p = PodmanRun::new(&env);
    env.pull("fixtures/basic");
    // The base has /etc (a directory), /etc/fixture (a file) and users; a first stage adds a
    // symlinked directory and a file where the next COPY has a directory, so the direct copy
    // must step aside for those and copy through a mounted root.
    env.write(
        "c/Containerfile",
        &format!(
            r#"FROM {BASE} AS base
RUN mkdir -p /srv/real /opt/d && ln -s real /srv/link && echo old > /opt/file && chmod 0711 /opt/d && chown 7:8 /opt/d
FROM base
WORKDIR /work/deep/er
COPY tree/ /opt/d/
COPY tree/ /srv/link/
COPY one.txt /etc/fixture
COPY one.txt /opt/file
COPY --chown=tester:tester one.txt /home/new/
COPY --chown=1234:4321 tree/ /fresh/
COPY --chmod=0640 tree /chmodded
COPY one.txt two.txt /multi/
RUN rm -rf /opt/d/sub && ln /multi/one.txt /multi/hard && mkdir -p /opt/d/sub && echo x > /opt/d/sub/new
RUN rm /etc/fixture && rm -r /fresh/sub
"#
        ),
    );
    env.write("c/tree/a.txt", "a\n");
    env.write("c/tree/sub/b.txt", "b\n");
    env.write("c/one.txt", "one\n");
    env.write("c/two.txt", "two\n");
    sh(
        &env,
        &format!(
            "cd {} && ln -s a.txt tree/alink && ln tree/a.txt tree/ahard && chmod 0600 tree/sub/b.txt",
            path(&env, "c")
        ),
    )
    .ok();
    env.chown_tree(&env.root.join("c"));
    build_both(&env, "c", "localhost/c", &[]);
    assert_layers_rebuild(&env, "localhost/c");
    // The symlink of the image was followed, as buildah does.
    let r = env.hutch(["run", "--rm", "localhost/c", "cat", "/srv/real/a.txt"]).ok();
    assert_eq!(r.stdout, "a\n");
    // A COPY's layer holds the copied files and the directories on the way, nothing else.
    let dirs = env.layer_dirs("localhost/c");
    let fresh = dirs
        .iter()
        .find(|d| d.join("fresh/a.txt").exists())
        .expect("the layer of COPY /fresh/");
    let names: Vec<String> = std::fs::read_dir(fresh)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["fresh".to_string()], "{fresh:?}");
    assert_eq!(
        owner(&fresh.join("fresh/a.txt")),
        (env.host_uid(1234), env.host_uid(4321))
    );
}

#[test]
fn saved_build_layers_match_their_diff_ids_and_run() {
    let env = Env::new();
    env.pull("fixtures/basic");
    env.write(
        "s/Containerfile",
        &format!(
            r#"FROM {BASE}
COPY src /app/src
RUN echo run > /app/run.txt && mkfifo /app/fifo && rm /etc/fixture && mkdir -p /app/src/x && rm -rf /app/src/x
RUN rm -rf /app/src && mkdir /app/src && echo replaced > /app/src/new
"#
        ),
    );
    for i in 0..30 {
        env.write(&format!("s/src/d{}/f{i}.txt", i % 3), &format!("file {i}\n"));
    }
    let r = env.hutch(["build", "-t", "localhost/s", &path(&env, "s")]).ok();
    let id = r.stdout.lines().last().unwrap().to_string();
    assert_layers_rebuild(&env, "localhost/s");
    let r = env
        .hutch([
            "run",
            "--rm",
            "localhost/s",
            "sh",
            "-c",
            "ls /app/src; cat /app/run.txt; test -e /etc/fixture || echo gone; test -p /app/fifo && echo fifo",
        ])
        .ok();
    assert_eq!(r.stdout, "new\nrun\ngone\nfifo\n");
    // The opaque directory and the whiteout are in the last two layers as overlay keeps them.
    let dirs = env.layer_dirs("localhost/s");
    let last = dirs.last().unwrap();
    assert_eq!(
        get_xattr(&last.join("app/src"), "user.overlay.opaque").as_deref(),
        Some(&b"y"[..])
    );
    let before = &dirs[dirs.len() - 2];
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let wh = std::fs::symlink_metadata(before.join("etc/fixture")).unwrap();
    assert!(wh.file_type().is_char_device() && wh.rdev() == 0);
    // No overlay bookkeeping attributes left in the layers (the opaque marker excepted).
    for d in &dirs[dirs.len() - 2..] {
        let left = overlay_xattrs(d);
        assert!(left.is_empty(), "{d:?}: {left:?}");
    }
    // Pushed and pulled back, the image is the same.
    let dest = format!("{PLAIN}/build-more/s:{}", rand_hex());
    env.hutch(["push", "--tls-verify=false", "localhost/s", &dest]).ok();
    let env2 = Env::new();
    let pulled = env2.hutch(["pull", "-q", "--tls-verify=false", &dest]).ok();
    assert_eq!(pulled.stdout.trim(), id);
}

#[test]
fn context_hash_cache_rereads_only_changed_files() {
    let env = Env::new();
    env.pull("fixtures/basic");
    env.write(
        "h/Containerfile",
        &format!("FROM {BASE}\nCOPY src/ /src/\nRUN cat /src/f.txt\n"),
    );
    env.write("h/src/f.txt", "aaaa\n");
    env.write("h/src/g.txt", "gggg\n");
    // Files changed less than two seconds before a build are never remembered (a write racing
    // the hashing must not be missed): these are older by then.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let ctx = path(&env, "h");
    let first = env.hutch(["build", "-t", "localhost/h", &ctx]).ok();
    assert!(first.stdout.lines().any(|l| l == "aaaa"), "{first:?}");
    let cache = env.store().join("build-cache/context-hashes");
    let mut files: Vec<_> = std::fs::read_dir(&cache).unwrap().flatten().map(|e| e.path()).collect();
    files.sort();
    // Per file, and per source tree (`.sums`).
    assert_eq!(files.len(), 2, "one hash cache for the context: {files:?}");
    assert!(files[1].to_string_lossy().ends_with(".sums"), "{files:?}");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(text.contains("/src/f.txt") && text.contains("/src/g.txt"), "{text}");
    // Touched, unchanged: every step from the cache.
    sh(&env, &format!("touch {ctx}/src/f.txt")).ok();
    let again = env.hutch(["build", "-t", "localhost/h", &ctx]).ok();
    assert_eq!(again.stdout.matches("Using cache").count(), 2, "{again:?}");
    assert_eq!(again.stdout.lines().last(), first.stdout.lines().last());
    // Same size, mtime put back: the change is still seen (ctime and inode are in the stamp).
    sh(
        &env,
        &format!("cd {ctx}/src && M=$(stat -c %Y f.txt) && printf 'bbbb\\n' > f.txt && touch -d @$M f.txt"),
    )
    .ok();
    let changed = env.hutch(["build", "-t", "localhost/h", &ctx]).ok();
    assert!(changed.stdout.lines().any(|l| l == "bbbb"), "{changed:?}");
    // A corrupt hash cache is only a cache.
    for f in &files {
        std::fs::write(f, "garbage\nmore garbage 1 2\n").unwrap();
    }
    let r = env.hutch(["build", "-t", "localhost/h", &ctx]).ok();
    assert_eq!(r.stdout.matches("Using cache").count(), 2, "{r:?}");
}

#[test]
fn independent_stages_build_in_parallel() {
    let env = Env::new();
    env.pull("fixtures/basic");
    env.write(
        "p/Containerfile",
        &format!(
            r#"FROM {BASE} AS one
RUN echo stage-one-ran && echo one > /one.txt
FROM {BASE} AS two
RUN echo stage-two-ran && echo two > /two.txt
FROM {BASE} AS broken
RUN echo never && false
FROM {BASE}
COPY --from=one /one.txt /r/one.txt
COPY --from=two /two.txt /r/two.txt
CMD ["cat", "/r/one.txt", "/r/two.txt"]
"#
        ),
    );
    let r = env.hutch(["build", "-t", "localhost/p", &path(&env, "p")]).ok();
    assert!(r.stdout.lines().any(|l| l == "stage-one-ran"), "{r:?}");
    assert!(r.stdout.lines().any(|l| l == "stage-two-ran"), "{r:?}");
    assert!(!r.stdout.lines().any(|l| l == "never"), "{r:?}");
    let out = env.hutch(["run", "--rm", "localhost/p"]).ok();
    assert_eq!(out.stdout, "one\ntwo\n");
    // No step image is left behind by the stage builders.
    let imgs = env.hutch(["images", "-a", "--format", "{{.Repository}}"]).ok();
    assert_eq!(
        imgs.stdout.lines().filter(|l| l.contains("none")).count(),
        0,
        "{imgs:?}"
    );
    // A failing stage built beside another fails the build, naming its step; nothing tagged.
    env.write(
        "q/Containerfile",
        &format!(
            "FROM {BASE} AS a\nRUN echo a-ran\nFROM {BASE} AS b\nRUN exit 3\nFROM {BASE}\nCOPY --from=a /etc/passwd /a\nCOPY --from=b /etc/passwd /b\n"
        ),
    );
    let r = env.hutch(["build", "-t", "localhost/q", &path(&env, "q")]);
    let r = r.fails_with("exit status 3");
    assert!(r.stderr.contains("RUN exit 3"), "{r:?}");
    env.hutch(["image", "exists", "localhost/q"]);
    assert_eq!(env.hutch(["image", "exists", "localhost/q"]).code, 1);
}

/// A python http.server on a free loopback port serving `dir`; killed when dropped.
struct Http {
    child: std::process::Child,
    port: u16,
}

impl Http {
    fn serve(dir: &std::path::Path) -> Http {
        let mut child = std::process::Command::new("python3")
            .args(["-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory"])
            .arg(dir)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3");
        let mut line = String::new();
        let mut r = std::io::BufReader::new(child.stdout.take().unwrap());
        std::io::BufRead::read_line(&mut r, &mut line).unwrap();
        // "Serving HTTP on 127.0.0.1 port 40123 (http://127.0.0.1:40123/) ..."
        let port = line
            .split_whitespace()
            .skip_while(|w| *w != "port")
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("http.server said {line:?}"));
        Http { child, port }
    }
}

impl Drop for Http {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn add_downloads_urls_and_clones_git_repositories() {
    let env = Env::new();
    env.pull("fixtures/basic");
    let www = env.root.join("www");
    std::fs::create_dir_all(&www).unwrap();
    std::fs::write(www.join("hello.txt"), "hello from the web\n").unwrap();
    std::process::Command::new("touch")
        .args(["-d", "2020-01-02 03:04:05Z"])
        .arg(www.join("hello.txt"))
        .status()
        .unwrap();
    // A git repository served over plain (dumb) HTTP.
    env.chown_tree(&www);
    sh(&env, &format!(
        "set -e; cd {0} && git init -q -b main src && cd src && mkdir sub && echo in-git > sub/file.txt && echo top > top.txt \
         && git add . && git -c user.name=t -c user.email=t@t commit -q -m one && git tag v1 \
         && echo later > top.txt && git -c user.name=t -c user.email=t@t commit -q -am two \
         && cd .. && git clone -q --bare src repo.git && cd repo.git && git update-server-info",
        www.display()
    )).ok();
    let http = Http::serve(&www);
    let base = format!("http://127.0.0.1:{}", http.port);
    let sum = hex::encode(Sha256::digest(b"hello from the web\n"));
    env.write(
        "u/Containerfile",
        &format!(
            "FROM {BASE}\nADD {base}/hello.txt /dl/\nADD --checksum=sha256:{sum} {base}/hello.txt /named.txt\nADD {base}/repo.git#v1 /git/\nADD {base}/repo.git#main:sub /gitsub\n"
        ),
    );
    let r = env.hutch(["build", "-t", "localhost/u", &path(&env, "u")]).ok();
    let run = |cmd: &str| env.hutch(["run", "--rm", "localhost/u", "sh", "-c", cmd]).ok().stdout;
    assert_eq!(
        run("cat /dl/hello.txt /named.txt"),
        "hello from the web\nhello from the web\n"
    );
    // 0600 (Docker's mode for downloads), the server's Last-Modified as the mtime.
    assert_eq!(run("stat -c '%a %Y' /dl/hello.txt"), "600 1577934245\n");
    assert_eq!(
        run("cat /git/top.txt /git/sub/file.txt; ls -a /git | grep -c '^.git$' || true"),
        "top\nin-git\n0\n"
    );
    assert_eq!(run("ls /gitsub; cat /gitsub/file.txt"), "file.txt\nin-git\n");
    // Rebuilt: downloaded again, same content: every step from the cache.
    let again = env.hutch(["build", "-t", "localhost/u", &path(&env, "u")]).ok();
    assert_eq!(again.stdout.matches("Using cache").count(), 4, "{again:?}");
    assert_eq!(again.stdout.lines().last(), r.stdout.lines().last());
    // A wrong checksum, a missing file, a URL in COPY: errors, nothing tagged.
    let bad = "0".repeat(64);
    env.write(
        "v/Containerfile",
        &format!("FROM {BASE}\nADD --checksum=sha256:{bad} {base}/hello.txt /x\n"),
    );
    env.hutch(["build", "-t", "localhost/v", &path(&env, "v")])
        .fails_with("checksum mismatch");
    env.write("v/Containerfile", &format!("FROM {BASE}\nADD {base}/nope.txt /x\n"));
    env.hutch(["build", "-t", "localhost/v", &path(&env, "v")])
        .fails_with("404");
    env.write("v/Containerfile", &format!("FROM {BASE}\nCOPY {base}/hello.txt /x\n"));
    env.hutch(["build", "-t", "localhost/v", &path(&env, "v")])
        .fails_with("use ADD");
    env.write(
        "v/Containerfile",
        &format!("FROM {BASE}\nADD --checksum=md5:abc {base}/hello.txt /x\n"),
    );
    env.hutch(["build", "-t", "localhost/v", &path(&env, "v")])
        .fails_with("--checksum");
    assert_eq!(env.hutch(["image", "exists", "localhost/v"]).code, 1);
}

#[test]
fn run_cache_mounts_take_their_options_and_prune_removes_them() {
    let env = Env::new();
    env.pull("fixtures/basic");
    env.write(
        "m/Containerfile",
        &format!(
            "FROM {BASE}\nRUN --mount=type=cache,target=/cache,id=shared1,uid=1000,gid=1001,mode=0750 stat -c 'owner %u:%g %a' /cache && echo kept > /cache/f\n\
             RUN --mount=type=cache,target=/other,id=shared1,sharing=locked cat /other/f\n\
             RUN --mount=type=cache,target=/p,sharing=private touch /p/x && echo private-ok\n\
             RUN --mount=type=tmpfs,target=/t,size=1m grep ' /t ' /proc/mounts | grep -o 'size=[0-9a-z]*'\n\
             RUN test ! -e /t && test ! -e /cache && echo no-mount-points\n"
        ),
    );
    let r = env
        .hutch(["build", "--no-cache", "-t", "localhost/m", &path(&env, "m")])
        .ok();
    assert!(r.stdout.lines().any(|l| l == "owner 1000:1001 750"), "{r:?}");
    assert!(r.stdout.lines().any(|l| l == "kept"), "{r:?}");
    assert!(r.stdout.lines().any(|l| l == "private-ok"), "{r:?}");
    assert!(r.stdout.lines().any(|l| l == "size=1024k"), "{r:?}");
    assert!(r.stdout.lines().any(|l| l == "no-mount-points"), "{r:?}");
    env.write(
        "m2/Containerfile",
        &format!("FROM {BASE}\nRUN --mount=type=cache,target=/c,id=shared1 cat /c/f || echo cache-empty\n"),
    );
    let r = env
        .hutch(["build", "--no-cache", "-t", "localhost/m2", &path(&env, "m2")])
        .ok();
    assert!(r.stdout.lines().any(|l| l == "kept"), "{r:?}");
    env.write(
        "m3/Containerfile",
        &format!("FROM {BASE}\nRUN --mount=type=cache,target=/c,sharing=sometimes true\n"),
    );
    env.hutch(["build", "-t", "localhost/m3", &path(&env, "m3")])
        .fails_with("sharing=sometimes");
    // image prune --build-cache: the cache mounts and the cached steps are gone.
    assert!(env.store().join("build-cache").exists());
    env.hutch(["image", "prune", "--build-cache"]).ok();
    assert!(!env.store().join("build-cache").exists());
    let r = env.hutch(["build", "-t", "localhost/m2", &path(&env, "m2")]).ok();
    assert!(r.stdout.lines().any(|l| l == "cache-empty"), "{r:?}");
    assert_eq!(r.stdout.matches("Using cache").count(), 0, "{r:?}");
    // system prune removes the build cache too.
    assert!(env.store().join("build-cache").exists());
    env.hutch(["system", "prune", "-f"]).ok();
    assert!(!env.store().join("build-cache").exists());
}

#[test]
fn squash_merges_the_new_layers_and_squash_all_every_layer() {
    let env = Env::new();
    let _p = PodmanRun::new(&env);
    env.pull("fixtures/basic");
    let base_layers = layers_of(&env, &format!("{BASE}"));
    env.write(
        "q/Containerfile",
        &format!(
            "FROM {BASE}\nRUN echo a > /a && mkdir -p /d/sub && echo x > /d/sub/x\nRUN echo b > /b && rm /etc/fixture && rm -r /d && mkdir /d && echo y > /d/y\nRUN rm /a\nCOPY f.txt /f.txt\n"
        ),
    );
    env.write("q/f.txt", "f\n");
    let ctx = path(&env, "q");
    env.hutch(["build", "-t", "localhost/plain", &ctx]).ok();
    env.hutch(["build", "--squash", "-t", "localhost/sq", &ctx]).ok();
    env.hutch(["build", "--squash-all", "-t", "localhost/sqa", &ctx]).ok();
    assert_eq!(layers_of(&env, "localhost/sq"), base_layers + 1);
    assert_eq!(layers_of(&env, "localhost/sqa"), 1);
    let plain = hutch_files(&env, "localhost/plain");
    assert!(!plain.contains_key("a") && !plain.contains_key("etc/fixture") && !plain.contains_key("d/sub"));
    assert_eq!(hutch_files(&env, "localhost/sq"), plain);
    assert_eq!(hutch_files(&env, "localhost/sqa"), plain);
    assert_layers_rebuild(&env, "localhost/sq");
    // As podman does: --squash keeps the base's layers, --squash-all makes one.
    podman(
        &env,
        &["build", "--tls-verify=false", "--squash", "-t", "localhost/sq", &ctx],
    )
    .ok();
    let pi: serde_json::Value =
        serde_json::from_str(&podman(&env, &["image", "inspect", "localhost/sq"]).ok().stdout).unwrap();
    assert_eq!(pi[0]["RootFS"]["Layers"].as_array().unwrap().len(), base_layers + 1);
    assert_same_files(&hutch_files(&env, "localhost/sq"), &podman_files(&env, "localhost/sq"));
}

/// A build holds what it uses: an `rmi` while it runs, of the base of one of its stages or of
/// any other image (whose garbage collection takes the layers no image records), never fails
/// it. Stage `a` makes layers no image records (a RUN, a COPY) from a base that is removed
/// while stage `b` waits in a RUN; `b` then copies from `a`.
#[test]
fn rmi_during_a_build_never_fails_it() {
    let env = Env::new();
    env.pull("fixtures/basic");
    // Bases with layers of their own, which no other image has.
    for (name, file) in [("base-a", "a-base"), ("base-b", "b-base"), ("other", "other")] {
        env.write(
            &format!("{name}/Containerfile"),
            &format!("FROM {BASE}\nRUN echo {name} > /{file}\n"),
        );
        env.hutch(["build", "-q", "-t", &format!("localhost/{name}"), &path(&env, name)])
            .ok();
    }
    env.write(
        "m/Containerfile",
        "FROM localhost/base-a AS a\n\
         RUN echo one > /one\n\
         COPY f /f\n\
         FROM localhost/base-b\n\
         RUN --mount=type=bind,source=sync,target=/sync echo waiting; until [ -e /sync/go ]; do sleep 0.1; done\n\
         COPY --from=a /one /f /a-base /\n\
         RUN cat /one /f /a-base /b-base\n",
    );
    env.write("m/f", "f\n");
    env.write("m/sync/.keep", "");
    let mut child = env
        .command(["build", "--jobs", "1", "-t", "localhost/m", &path(&env, "m")])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        let n = std::io::BufRead::read_line(&mut out, &mut line).unwrap();
        assert!(n > 0, "the build ended before its RUN waited:\n{seen}");
        seen.push_str(&line);
        if line == "waiting\n" {
            break;
        }
    }
    // Stage a's base goes, and so does an unrelated image (its removal collects garbage).
    let r = env.hutch(["rmi", "localhost/base-a", "localhost/other"]).ok();
    assert!(r.stdout.contains("Untagged: localhost/base-a:latest"), "{r:?}");
    sh(&env, &format!("touch {}", path(&env, "m/sync/go"))).ok();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    let st = child.wait().unwrap();
    assert!(st.success(), "the build failed: {err}\n{seen}{rest}");
    assert!(rest.contains("one\nf\nbase-a\nbase-b\n"), "{rest}");
    let r = env
        .hutch(["run", "--rm", "localhost/m", "cat", "/one", "/f", "/a-base", "/b-base"])
        .ok();
    assert_eq!(r.stdout, "one\nf\nbase-a\nbase-b\n");
    // Nothing is left held: the layers stage a made and only it used are collected by the
    // next removal, and `system check` finds the store clean.
    let held: Vec<String> = std::fs::read_dir(env.store().join("tmp"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("layer-hold"))
        .collect();
    assert!(held.is_empty(), "{held:?}");
    env.hutch(["rmi", "localhost/m"]).ok();
    env.hutch(["system", "check"]).ok();
}
