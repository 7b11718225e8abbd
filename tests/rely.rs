//! Issue 12's remaining guarantees, end to end with the real binary as the unprivileged test
//! user: every registry fault kind (through the rig's fault proxy, tests/fixtures/authproxy.py,
//! started here on a port of its own so that each fault is fresh) is retried or refused, and
//! nothing it sent is ever stored.

mod common;

use std::io::BufRead;
use std::process::{Child, Command, Stdio};

use common::*;

/// A fault proxy of this test's own in front of the plain registry, stopped (by its pid) when
/// dropped.
struct Proxy {
    child: Child,
    addr: String,
}

impl Proxy {
    fn start() -> Proxy {
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/authproxy.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args(["--mode", "flaky", "--port", "0", "--upstream", PLAIN])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port: u16 = line.trim().parse().unwrap_or_else(|_| panic!("proxy said {line:?}"));
        Proxy {
            child,
            addr: format!("127.0.0.1:{port}"),
        }
    }

    /// `repo` on the plain registry, behind fault `kind`.
    fn image(&self, kind: &str, repo: &str) -> String {
        format!("{}/fault/{kind}/{repo}", self.addr)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The store holds exactly what it held before a refused pull: no image, no layer, no blob
/// more, nothing in tmp/, and `system check` finds nothing to say.
fn nothing_stored(env: &Env, layers: usize, blobs: usize, what: &str) {
    assert_eq!(env.layer_count(), layers, "{what}: a layer was stored");
    assert_eq!(blob_count(env), blobs, "{what}: a blob was stored");
    // A `run --rm` container's directory is deleted from tmp/ by a detached child after the
    // run has reported its exit status: give it time (on a loaded machine it lags).
    let mut tmp: Vec<String> = Vec::new();
    for _ in 0..200 {
        tmp = env
            .entries("tmp")
            .into_iter()
            .filter(|e| !e.ends_with(".lock"))
            .collect();
        if tmp.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(tmp.is_empty(), "{what}: left in tmp/: {tmp:?}");
    let c = env.hutch(["system", "check"]);
    assert_eq!(c.code, 0, "{what}: system check: {c:?}");
}

fn blob_count(env: &Env) -> usize {
    let dir = env.store().join("blobs/sha256");
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

#[test]
fn transient_registry_faults_are_retried_and_the_pull_is_whole() {
    let env = Env::new();
    let proxy = Proxy::start();
    let want = env.pull("fixtures/multi");
    env.hutch(["rmi", "fixtures/multi"]).ok();
    // A reset in the middle of each blob's body; a body shorter than its Content-Length.
    for kind in ["reset-mid", "truncated"] {
        let image = proxy.image(kind, "fixtures/multi");
        let r = env.hutch(["pull", "--tls-verify=false", &image]).ok();
        assert_eq!(r.stdout.trim(), want.trim(), "{kind}: {r:?}");
        let c = env.hutch(["system", "check"]);
        assert_eq!(c.code, 0, "{kind}: {c:?}");
        // The content is whole: a container runs from it.
        env.hutch(["run", "--rm", &image, "true"]).ok();
        env.hutch(["rmi", &image]).ok();
        nothing_stored(&env, 0, 0, kind);
    }
}

#[test]
fn persistent_registry_faults_are_refused_and_nothing_is_stored() {
    let env = Env::new();
    let proxy = Proxy::start();
    env.pull("fixtures/basic");
    let (layers, blobs) = (env.layer_count(), blob_count(&env));
    // Every request answers 500, or 429: retried a bounded number of times, then refused.
    for (kind, says) in [("5xx", "500"), ("429", "429")] {
        let image = proxy.image(kind, "fixtures/multi");
        let r = env.hutch(["pull", "--tls-verify=false", &image]).fails_with(says);
        assert!(r.stderr.contains(&proxy.addr), "{kind}: {r:?}");
        nothing_stored(&env, layers, blobs, kind);
    }
    // Content that is not what its digest says: a manifest pulled by digest, and blobs.
    env.pull("fixtures/multi");
    let manifest_digest = env.inspect(&format!("{PLAIN}/fixtures/multi"))["Digest"]
        .as_str()
        .unwrap()
        .to_string();
    env.hutch(["rmi", "fixtures/multi"]).ok();
    let (layers, blobs) = (env.layer_count(), blob_count(&env));
    let by_digest = format!("{}@{manifest_digest}", proxy.image("wrong-digest", "fixtures/multi"));
    env.hutch(["pull", "--tls-verify=false", &by_digest])
        .fails_with("digest");
    nothing_stored(&env, layers, blobs, "a manifest with the wrong digest");
    let by_tag = proxy.image("wrong-digest", "fixtures/multi");
    env.hutch(["pull", "--tls-verify=false", &by_tag]).fails_with("digest");
    nothing_stored(&env, layers, blobs, "blobs with the wrong digest");
    let listed = env.hutch(["images", "--format", "{{.Repository}}"]).ok().stdout;
    assert!(!listed.contains("fault"), "{listed}");
}

/// Every thread of `pid` and of its descendants: (process, thread, nice, scheduling policy).
fn threads_of(pid: u32) -> Vec<(u32, u32, i64, u64)> {
    let mut out = Vec::new();
    let mut todo = vec![pid];
    while let Some(p) = todo.pop() {
        let Ok(rd) = std::fs::read_dir(format!("/proc/{p}/task")) else {
            continue;
        };
        for t in rd.flatten() {
            let tid: u32 = t.file_name().to_string_lossy().parse().unwrap();
            if let Ok(c) = std::fs::read_to_string(t.path().join("children")) {
                todo.extend(c.split_whitespace().filter_map(|x| x.parse::<u32>().ok()));
            }
            let Ok(stat) = std::fs::read_to_string(t.path().join("stat")) else {
                continue;
            };
            // Fields after the command name (which may hold spaces): state is field 3.
            let rest: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
            let nice: i64 = rest[19 - 3].parse().unwrap();
            let policy: u64 = rest[41 - 3].parse().unwrap();
            out.push((p, tid, nice, policy));
        }
    }
    out
}

/// A pull's threads (network, decompression, extraction) are background work, so that readers
/// started meanwhile get a CPU first (benches/readers.sh measures it): SCHED_BATCH (3) at nice
/// 10, while the process's main thread, and what the user runs afterwards, stay as they were.
#[test]
fn a_pulls_worker_threads_run_as_background_work() {
    let env = Env::new();
    let mut pull = env
        .command(["pull", "-q", "--tls-verify=false", &format!("{FLAKY}/slow/multi")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut seen = Vec::new();
    wait_until("the pull's worker threads", || {
        assert!(
            pull.try_wait().unwrap().is_none(),
            "the pull ended before it was looked at"
        );
        seen = threads_of(pull.id());
        seen.iter().any(|t| t.2 == 10 && t.3 == 3)
    });
    let _ = pull.kill();
    let _ = pull.wait();
    let main = seen.iter().find(|t| t.0 == t.1 && t.0 == pull.id()).unwrap();
    assert_eq!((main.2, main.3), (0, 0), "the main thread: {seen:?}");
    // What runs after the pull is not affected.
    let r = env.program("sh", ["-c", "cut -d' ' -f19 /proc/self/stat"]).ok();
    assert_eq!(r.stdout.trim(), "0");
}

/// A build leaves nothing `system check` counts as debris: the config blobs and layers its
/// steps made stay for the build cache (until a prune), and the check knows them.
#[test]
fn system_check_is_clean_after_builds_and_prune() {
    let env = Env::new();
    env.pull("fixtures/basic");
    let ctx = env.write(
        "ctx/Containerfile",
        &format!("FROM {PLAIN}/fixtures/basic AS one\nRUN echo one > /one\nFROM {PLAIN}/fixtures/basic\nRUN echo built > /built\nCOPY --from=one /one /one\nCOPY f /f\n"),
    );
    env.write("ctx/f", "a file\n");
    let ctx = ctx.parent().unwrap().to_str().unwrap().to_string();
    env.hutch(["build", "-q", "--network", "none", "-t", "b:1", &ctx]).ok();
    let c = env.hutch(["system", "check"]);
    assert_eq!(c.code, 0, "after a build: {c:?}");
    // Again, from the cache.
    env.hutch(["build", "-q", "--network", "none", "-t", "b:2", &ctx]).ok();
    let c = env.hutch(["system", "check"]);
    assert_eq!(c.code, 0, "after a cached build: {c:?}");
    // Again without the cache: the entries it replaces kept configs and layers that nothing
    // else refers to, which go with them.
    env.hutch(["build", "-q", "--no-cache", "--network", "none", "-t", "b:3", &ctx])
        .ok();
    let c = env.hutch(["system", "check"]);
    assert_eq!(c.code, 0, "after a build without the cache: {c:?}");
    env.hutch(["rmi", "b:3"]).ok();
    env.hutch(["rmi", "b:1", "b:2"]).ok();
    env.hutch(["image", "prune", "-a", "-f", "--build-cache"]).ok();
    let c = env.hutch(["system", "check"]);
    assert_eq!(c.code, 0, "after the prune: {c:?}");
}

/// Pids of the processes whose command line or environment holds `mark`.
fn marked_processes(mark: &str) -> Vec<(i32, String)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let read = |f: &str| std::fs::read(format!("/proc/{pid}/{f}")).unwrap_or_default();
        let has = |d: Vec<u8>| d.windows(mark.len()).any(|w| w == mark.as_bytes());
        if has(read("cmdline")) || has(read("environ")) {
            let cmd = String::from_utf8_lossy(&read("cmdline")).replace('\0', " ");
            out.push((pid, cmd));
        }
    }
    out
}

/// A `kill -9` of `hutch build` ends everything the build started (its forked stage builders,
/// its workers in the store's namespace, the step containers) and leaves no store lock held;
/// the next build removes the step containers the killed one left, and the store is clean.
#[test]
fn killed_build_leaves_nothing_running_or_locked() {
    let env = Env::new();
    env.pull("fixtures/basic");
    let mark = format!("hutchmark{}", rand_hex());
    // Two independent stages: one is built by a forked stage builder.
    let ctx = env.write(
        "ctx/Containerfile",
        &format!(
            "FROM {PLAIN}/fixtures/basic AS a\nENV M={mark}a\nRUN sleep 1000\n\
             FROM {PLAIN}/fixtures/basic AS b\nENV M={mark}b\nRUN sleep 1000\n\
             FROM {PLAIN}/fixtures/basic\nCOPY --from=a /etc/fixture /a\nCOPY --from=b /etc/fixture /b\n"
        ),
    );
    let ctx = ctx.parent().unwrap().to_str().unwrap().to_string();
    let build = env
        .command(["build", "--jobs", "2", "--network", "none", "-t", "k:1", &ctx])
        .env("HUTCH_TEST_MARK", &mark)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Killed (by its pid) even when an assertion below fails first.
    struct KillOnDrop(std::process::Child);
    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut build = KillOnDrop(build);
    // Both steps run (their processes carry the mark in their environments), each in a step
    // container of its own.
    wait_until("both RUN steps run", || {
        !marked_processes(&format!("M={mark}a")).is_empty() && !marked_processes(&format!("M={mark}b")).is_empty()
    });
    let steps = std::fs::read_dir(env.store().join("containers"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().len() == 64)
        .count();
    assert_eq!(steps, 2, "two step containers");
    build.0.kill().unwrap();
    build.0.wait().unwrap();
    wait_until("every process of the killed build ends", || {
        marked_processes(&mark).is_empty()
    });
    // No lock of the store is held.
    for l in ["layers/layers.lock", "images/images.lock", "containers/containers.lock"] {
        let f = std::fs::File::open(env.store().join(l)).unwrap();
        let got = nix::fcntl::Flock::lock(f, nix::fcntl::FlockArg::LockExclusiveNonblock);
        assert!(got.is_ok(), "{l} is still held after the build was killed");
    }
    // The step containers are named as debris of an interrupted build.
    let r = env.hutch(["system", "check"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout.contains("a step container of a build that was interrupted"),
        "{r:?}"
    );
    // The next build removes them (and the killed build's tmp/ entries): no repair needed.
    let quick = env.write(
        "q/Containerfile",
        &format!("FROM {PLAIN}/fixtures/basic\nRUN echo quick > /q\n"),
    );
    let quick = quick.parent().unwrap().to_str().unwrap().to_string();
    env.hutch(["build", "-q", "--network", "none", "-t", "q:1", &quick])
        .ok();
    let r = env.hutch(["ps", "-a", "-q"]).ok();
    assert_eq!(r.stdout.trim(), "", "step containers left: {r:?}");
    let c = env.hutch(["system", "check"]);
    assert_eq!(c.code, 0, "{c:?}");
}

/// `build --layers=false` keeps nothing of its steps: not their config blobs, manifests or
/// intermediate images, nor the layers only an earlier stage used, whether it succeeds or
/// fails; `system check` is clean without a repair.
#[test]
fn build_without_layers_keeps_nothing_of_its_steps() {
    let env = Env::new();
    env.pull("fixtures/basic");
    let blobs = |e: &Env| e.entries("blobs/sha256");
    let before = blobs(&env);
    let layers_before = env.layer_count();
    let df = format!(
        "FROM {PLAIN}/fixtures/basic AS one\nRUN echo one > /one\nENV X=1\n\
         FROM {PLAIN}/fixtures/basic\nCOPY --from=one /one /one\nENV Y=2\nRUN cat /one > /two\n"
    );
    let ctx = env.write("ctx/Containerfile", &df);
    let ctx = ctx.parent().unwrap().to_str().unwrap().to_string();
    env.hutch(["build", "-q", "--layers=false", "--network", "none", "-t", "nl:1", &ctx])
        .ok();
    let c = env.hutch(["system", "check"]);
    assert_eq!(c.code, 0, "after build --layers=false: {c:?}");
    // What is new: the image's config and manifest, and its two layers.
    let img = env.inspect("nl:1");
    let id = img["Id"].as_str().unwrap().trim_start_matches("sha256:").to_string();
    let new: Vec<String> = blobs(&env).into_iter().filter(|b| !before.contains(b)).collect();
    assert_eq!(new.len(), 2, "new blobs {new:?}");
    assert!(new.contains(&id), "{new:?}");
    assert_eq!(env.layer_count(), layers_before + 2);
    let r = env.hutch(["images", "-a", "-q"]).ok();
    assert_eq!(r.stdout.lines().count(), 2, "intermediate images left: {r:?}");
    // A failing build leaves nothing at all.
    env.hutch(["rmi", "nl:1"]).ok();
    assert_eq!(blobs(&env), before);
    env.write("ctx/Containerfile", &format!("{df}RUN false\n"));
    let r = env.hutch(["build", "-q", "--layers=false", "--network", "none", "-t", "nl:2", &ctx]);
    assert_ne!(r.code, 0, "{r:?}");
    assert_eq!(blobs(&env), before, "a failed build --layers=false left blobs");
    assert_eq!(env.layer_count(), layers_before);
    let c = env.hutch(["system", "check"]);
    assert_eq!(c.code, 0, "after a failed build --layers=false: {c:?}");
}

/// A `secret create` killed between writing its data and saving the index leaves a data file no
/// secret has; `system check` finds it (and a half-written one), `--repair` removes both and
/// keeps the secret; a secret whose data is gone is reported, never removed.
#[test]
fn system_check_sweeps_secret_data_no_secret_has() {
    let env = Env::new();
    let f = env.write("s.txt", "s3cret\n");
    env.hutch(["secret", "create", "s1", f.to_str().unwrap()]).ok();
    let data = env.store().join("secrets/data");
    let orphan = data.join("0123456789abcdef012345678");
    let torn = data.join(".0123456789abcdef012345679.999999999-1.tmp");
    let script = format!("printf x > {} && printf y > {}", orphan.display(), torn.display());
    env.hutch(["unshare", "sh", "-c", &script]).ok();
    let r = env.hutch(["system", "check"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("secret data 0123456789abcdef012345678"), "{r:?}");
    assert!(r.stdout.contains(".tmp"), "{r:?}");
    env.hutch(["system", "check", "--repair"]).ok();
    assert!(!orphan.exists() && !torn.exists());
    env.hutch(["system", "check"]).ok();
    let id = env
        .hutch(["secret", "inspect", "--format", "{{.ID}}", "s1"])
        .ok()
        .stdout;
    assert!(data.join(id.trim()).exists(), "the secret's own data was swept");

    env.hutch(["unshare", "rm", data.join(id.trim()).to_str().unwrap()])
        .ok();
    let r = env.hutch(["system", "check"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout.contains("secret s1") && r.stdout.contains("data file is missing"),
        "{r:?}"
    );
    env.hutch(["system", "check", "--repair"]);
    env.hutch(["secret", "inspect", "s1"]).ok();

    // An index that does not parse is reported, never replaced: the data files are not swept.
    let index = env.store().join("secrets/secrets.json");
    let script = format!("printf '{{' > {} && printf z > {}", index.display(), orphan.display());
    env.hutch(["unshare", "sh", "-c", &script]).ok();
    let r = env.hutch(["system", "check", "--repair"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout.contains("index does not parse") && r.stdout.contains("not repaired"),
        "{r:?}"
    );
    assert!(orphan.exists(), "data was swept while the index did not parse");
    assert_eq!(std::fs::read(&index).unwrap(), b"{", "the index was changed");
}
