//! `system df|prune|reset|info`, `unshare`, the global options (`--root`, `--runroot`,
//! `--log-level`, `--storage-driver`), readers that never wait for a writer's lock, and bad
//! input on every verb: end to end, the real binary as the unprivileged test user.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn basic() -> String {
    format!("{PLAIN}/fixtures/basic")
}

/// Run to completion with `input` on stdin.
fn with_stdin(mut c: Command, input: &str) -> Run {
    c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    to_run(child.wait_with_output().unwrap())
}

/// Wait for a child at most `max`; kill it and fail when it takes longer.
fn finish_within(mut child: Child, max: Duration, what: &str) -> Run {
    let deadline = Instant::now() + max;
    loop {
        if child.try_wait().unwrap().is_some() {
            return to_run(child.wait_with_output().unwrap());
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let r = to_run(child.wait_with_output().unwrap());
            panic!("{what} did not finish within {max:?}: {r:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Stop a lock holder and everything it started (its children hold the lock too).
fn stop_group(mut c: Child) {
    let _ = nix::sys::signal::killpg(
        nix::unistd::Pid::from_raw(c.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    );
    let _ = c.wait();
}

fn spawn(env: &Env, args: &[&str]) -> Child {
    env.command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn no_panic(r: &Run, what: &str) {
    assert!(
        !r.stderr.contains("panicked") && r.code != 101 && r.code != -1,
        "{what} panicked or died: {r:?}"
    );
}

/// One row of `system df`'s table: (TOTAL, ACTIVE).
fn df_counts(env: &Env, extra: &[&str], ty: &str) -> (u64, u64) {
    let mut args = extra.to_vec();
    args.extend(["system", "df", "--format", "json"]);
    let r = env.hutch(&args).ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {r:?}"));
    let row = v
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["Type"] == ty)
        .unwrap_or_else(|| panic!("no {ty} row: {r:?}"));
    (row["Total"].as_u64().unwrap(), row["Active"].as_u64().unwrap())
}

/// A one-file tar made by the test, imported without a name: a dangling image.
fn dangling_image(env: &Env) -> String {
    let dir = env.root.join("imp");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("hello"), format!("{}\n", rand_hex())).unwrap();
    let tar = env.root.join("imp.tar");
    assert!(Command::new("tar")
        .arg("-cf")
        .arg(&tar)
        .arg("-C")
        .arg(&dir)
        .arg(".")
        .status()
        .unwrap()
        .success());
    env.chown_tree(&tar);
    let r = env.hutch(["import", tar.to_str().unwrap()]).ok();
    r.stdout.trim().trim_start_matches("sha256:").to_string()
}

#[test]
fn system_df_counts_images_containers_and_volumes_in_every_format() {
    let env = Env::new();
    // No store yet: all zero, and nothing is created.
    let r = env.hutch(["system", "df"]).ok();
    assert!(r.stdout.starts_with("TYPE"), "{r:?}");
    assert!(r.stdout.contains("Images         0"), "{r:?}");
    assert!(!env.store().join("images").exists());
    let id = env.pull("fixtures/basic");
    env.pull("fixtures/multi");
    env.hutch(["create", "--name", "stopped", &basic(), "true"]).ok();
    env.hutch([
        "run",
        "-d",
        "--name",
        "up",
        "-v",
        "keep:/data",
        &basic(),
        "sleep",
        "100",
    ])
    .ok();
    env.hutch([
        "run",
        "--name",
        "wrote",
        "-v",
        "gone:/data",
        &basic(),
        "sh",
        "-c",
        "head -c 5000 /dev/zero > /data/f",
    ])
    .ok();
    assert_eq!(df_counts(&env, &[], "Images"), (2, 1));
    assert_eq!(df_counts(&env, &[], "Containers"), (3, 1));
    assert_eq!(df_counts(&env, &[], "Local Volumes"), (2, 2));
    let r = env.hutch(["system", "df"]).ok();
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{r:?}");
    assert!(lines[0].split_whitespace().collect::<Vec<_>>() == ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]);
    assert!(lines[1].starts_with("Images") && lines[1].contains("MB"), "{r:?}");
    // The multi image is used by no container: its bytes are reclaimable.
    assert!(!lines[1].ends_with("0B (0%)"), "{r:?}");
    assert!(
        lines[3].starts_with("Local Volumes") && lines[3].contains("5kB"),
        "{r:?}"
    );
    // Go templates see Podman's field names.
    let r = env.hutch(["system", "df", "--format", "{{.Type}}={{.Total}}"]).ok();
    assert_eq!(r.stdout, "Images=2\nContainers=3\nLocal Volumes=2\n");
    // -v: one line per image, container and volume.
    let r = env.hutch(["system", "df", "-v"]).ok();
    assert!(r.stdout.contains("Images space usage:"), "{r:?}");
    assert!(r.stdout.contains(&id[..12]), "{r:?}");
    for name in ["stopped", "up", "wrote", "keep", "gone"] {
        assert!(r.stdout.contains(name), "{name} missing: {r:?}");
    }
    let r = env.hutch(["system", "df", "-v", "--format", "json"]).ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["Containers"].as_array().unwrap().len(), 3);
    assert_eq!(v["Images"].as_array().unwrap().len(), 2);
    let gone = v["Volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["VolumeName"] == "gone")
        .unwrap();
    assert_eq!(gone["Size"], 5000);
    env.hutch(["system", "df", "--format", "{{.Nope"]).fails_with("");
    env.hutch(["system", "df", "-v", "--format", "{{.Type}}"])
        .fails_with("-v");
    // `system info` is `info`.
    let a = env.hutch(["system", "info", "--format", "{{.Store.GraphRoot}}"]).ok();
    assert_eq!(a.stdout.trim(), env.store().display().to_string());
    env.hutch(["rm", "-f", "up"]).ok();
}

#[test]
fn system_prune_asks_then_removes_stopped_containers_dangling_images_and_unused_volumes() {
    let env = Env::new();
    let basic_id = env.pull("fixtures/basic");
    let multi_id = env.pull("fixtures/multi");
    let layers_before = env.layer_count();
    let dangling = dangling_image(&env);
    env.hutch(["create", "--name", "stopped", "--label", "team=a", &basic(), "true"])
        .ok();
    env.hutch(["run", "-d", "--name", "up", "-v", "inuse:/d", &basic(), "sleep", "100"])
        .ok();
    env.hutch(["run", "--name", "ran", "-v", "unused:/d", &basic(), "true"])
        .ok();
    // Without -f it asks; anything but yes (or no answer at all) changes nothing.
    let r = with_stdin(env.command(["system", "prune"]), "n\n");
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("Are you sure you want to continue? [y/N]"), "{r:?}");
    let r = env.hutch(["system", "prune"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(env.hutch(["ps", "-aq"]).ok().stdout.lines().count(), 3);
    // A filter that matches nothing removes nothing; a bad one is refused before anything.
    env.hutch(["system", "prune", "-f", "--filter", "until=2000-01-01"])
        .ok();
    assert_eq!(env.hutch(["ps", "-aq"]).ok().stdout.lines().count(), 3);
    env.hutch(["system", "prune", "-f", "--filter", "colour=red"])
        .fails_with("invalid filter");
    // label=: only the labelled stopped container.
    let r = env.hutch(["system", "prune", "-f", "--filter", "label=team=a"]).ok();
    assert!(r.stdout.starts_with("Deleted Containers\n"), "{r:?}");
    assert_eq!(env.hutch(["ps", "-aq"]).ok().stdout.lines().count(), 2);
    // Yes: stopped containers and the dangling image go; named images and the running
    // container stay; volumes stay without --volumes.
    let r = with_stdin(env.command(["system", "prune"]), "y\n");
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("Deleted Containers\n"), "{r:?}");
    assert!(r.stdout.contains(&format!("Deleted Images\n{dangling}\n")), "{r:?}");
    assert!(r.stdout.contains("Total reclaimed space: "), "{r:?}");
    let ps = env.hutch(["ps", "-a", "--format", "{{.Names}}"]).ok();
    assert_eq!(ps.stdout, "up\n");
    let images = env.hutch(["images", "-q", "--no-trunc"]).ok().stdout;
    assert!(images.contains(&basic_id) && images.contains(&multi_id) && !images.contains(&dangling));
    assert_eq!(env.layer_count(), layers_before, "the dangling image's layer is gone");
    assert!(env.store().join("volumes/unused").exists());
    // -a --volumes: every image no container uses, and volumes no container uses.
    let r = env.hutch(["system", "prune", "-a", "-f", "--volumes"]).ok();
    assert!(r.stdout.contains(&multi_id) && !r.stdout.contains(&basic_id), "{r:?}");
    assert!(r.stdout.contains("Deleted Volumes\nunused\n"), "{r:?}");
    assert!(!env.store().join("volumes/unused").exists());
    assert!(env.store().join("volumes/inuse").exists());
    assert_eq!(env.hutch(["images", "-q"]).ok().stdout.lines().count(), 1);
    assert!(
        env.hutch(["ps", "-q"]).ok().stdout.lines().count() == 1,
        "the running one stays"
    );
    assert_eq!(env.entries("tmp"), Vec::<String>::new());
    env.hutch(["rm", "-f", "up"]).ok();
}

#[test]
fn system_reset_works_from_a_broken_store_with_running_containers_and_foreign_owned_files() {
    let env = Env::new();
    env.pull("fixtures/multi");
    let multi = format!("{PLAIN}/fixtures/multi");
    env.hutch(["run", "-d", "--name", "up", "-v", "v:/v", &multi, "sleep", "300"])
        .ok();
    let pid: i32 = env
        .hutch(["inspect", "--format", "{{.State.Pid}}", "up"])
        .ok()
        .stdout
        .trim()
        .parse()
        .unwrap();
    // Files of other users of the container, in its upper dir and in a volume, private to them.
    env.hutch([
        "run",
        "--name",
        "wrote",
        "-v",
        "v:/v",
        &multi,
        "sh",
        "-c",
        "mkdir -p /x/y /v/z && touch /x/y/f /v/z/g && chown -R 1234:1234 /x /v/z && chmod 700 /x /v/z",
    ])
    .ok();
    // A torn index, half-written debris in tmp/ and a lock someone holds.
    std::fs::write(env.store().join("images/images.json"), "{\"images\": [{\"id\":").unwrap();
    std::fs::write(env.store().join("containers/containers.json"), "garbage").unwrap();
    std::fs::create_dir_all(env.store().join("tmp/layer-deadbeef/diff")).unwrap();
    env.chown_tree(&env.store().join("tmp"));
    let holder = {
        use std::os::unix::process::CommandExt;
        Command::new("flock")
            .arg(env.store().join("layers/layers.lock"))
            .args(["sleep", "120"])
            .process_group(0)
            .spawn()
            .unwrap()
    };
    env.hutch(["images"]).fails_with("corrupt");
    // No answer: nothing happens.
    env.hutch(["system", "reset"]).ok();
    assert!(env.store().exists());
    let r = env.hutch(["system", "reset", "-f"]);
    stop_group(holder);
    let r = r.ok();
    assert!(r.stderr.contains("killed 1 running container"), "{r:?}");
    assert!(!env.store().exists(), "store left: {r:?}");
    assert!(!env.run_dir().join("hutch").exists(), "runtime dir left: {r:?}");
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists()
            || std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |s| s.contains(") Z")),
        "the container still runs"
    );
    // A fresh store works at once, and reset of nothing is fine.
    env.hutch(["images"]).ok();
    env.pull("fixtures/basic");
    env.hutch(["run", "--rm", &basic(), "true"]).ok();
    env.hutch(["system", "reset", "--force"]).ok();
    env.hutch(["system", "reset", "-f"]).ok();
    // --root pointing at something that is not a store is refused, and left alone.
    let other = env.root.join("notastore");
    std::fs::create_dir_all(other.join("precious")).unwrap();
    env.chown_tree(&other);
    env.hutch(["--root", other.to_str().unwrap(), "system", "reset", "-f"])
        .fails_with("does not look like a hutch store");
    assert!(other.join("precious").exists());
}

#[test]
fn unshare_runs_as_root_in_the_stores_user_namespace() {
    let env = Env::new();
    let r = env.hutch(["unshare", "id", "-u"]).ok();
    assert_eq!(r.stdout.trim(), "0");
    let r = env.hutch([
        "unshare",
        "sh",
        "-c",
        "echo $CONTAINERS_GRAPHROOT $CONTAINERS_RUNROOT; exit 7",
    ]);
    assert_eq!(r.code, 7, "{r:?}");
    assert_eq!(
        r.stdout.trim(),
        format!("{} {}", env.store().display(), env.run_dir().join("hutch").display())
    );
    // The subordinate ids are the namespace's other users: a file a container's uid 1234 wrote
    // is owned by 1234 there, and root there can remove it (the user alone cannot).
    env.pull("fixtures/basic");
    env.hutch([
        "run",
        "-v",
        "data:/d",
        &basic(),
        "sh",
        "-c",
        "mkdir /d/p && touch /d/p/f && chown -R 1234 /d/p && chmod 700 /d/p",
    ])
    .ok();
    let p = env.store().join("volumes/data/_data/p");
    assert_eq!(owner(&p).0, env.host_uid(1234));
    let r = sh(&env, &format!("rm -rf {} 2>&1; echo rc=$?", p.display()));
    assert!(p.exists(), "removed without the namespace? {r:?}");
    let r = env.hutch(["unshare", "stat", "-c", "%u", p.to_str().unwrap()]).ok();
    assert_eq!(r.stdout.trim(), "1234");
    env.hutch(["unshare", "rm", "-rf", p.to_str().unwrap()]).ok();
    assert!(!p.exists());
    // No command: $SHELL (else /bin/sh), reading its commands from stdin.
    let mut c = env.command(["unshare"]);
    c.env("SHELL", "/bin/sh");
    let r = with_stdin(c, "id -u; exit 3\n");
    assert_eq!((r.code, r.stdout.trim()), (3, "0"), "{r:?}");
    // A command that is not there: 127 and one error line, as podman unshare.
    let r = env.hutch(["unshare", "no-such-command-here"]);
    assert_eq!(r.code, 127, "{r:?}");
    assert_eq!(
        r.stderr.lines().filter(|l| l.starts_with("Error: ")).count(),
        1,
        "{r:?}"
    );
}

#[test]
fn root_and_runroot_move_the_store_for_every_verb_and_every_hutch_it_starts() {
    let env = Env::new();
    let root = env.root.join("elsewhere/store");
    let runroot = env.root.join("elsewhere/run");
    std::fs::create_dir_all(env.root.join("elsewhere")).unwrap();
    env.chown_tree(&env.root.join("elsewhere"));
    let (rt, rr) = (root.to_str().unwrap(), runroot.to_str().unwrap());
    let g = |args: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = vec!["--root".into(), rt.into(), "--runroot".into(), rr.into()];
        v.extend(args.iter().map(|s| s.to_string()));
        v
    };
    // `run` pulls the image through a child hutch: it lands in --root too.
    env.hutch(g(&[
        "run",
        "-d",
        "--name",
        "moved",
        "--tls-verify=false",
        &basic(),
        "sleep",
        "100",
    ]))
    .ok();
    assert!(root.join("images/images.json").exists());
    assert!(runroot.join("containers").is_dir());
    assert!(
        !env.store().join("images/images.json").exists(),
        "default store touched"
    );
    assert!(
        !env.run_dir().join("hutch/containers").exists(),
        "default runtime dir touched"
    );
    assert_eq!(env.hutch(["ps", "-aq"]).ok().stdout, "");
    let r = env.hutch(g(&["ps", "--format", "{{.Names}} {{.Status}}"])).ok();
    assert!(r.stdout.starts_with("moved Up"), "{r:?}");
    // Global options go anywhere on the line, and relative paths are taken from the cwd.
    let r = env.hutch(["images", "-q", "--root", "elsewhere/store"]).ok();
    assert_eq!(r.stdout.lines().count(), 1);
    let r = env
        .hutch(g(&["info", "--format", "{{.Store.GraphRoot}} {{.Store.RunRoot}}"]))
        .ok();
    assert_eq!(r.stdout.trim(), format!("{rt} {rr}"));
    // Completion reads the store named on the line being completed.
    let c = env
        .program(
            "env",
            [
                "HUTCH_COMPLETE=fish",
                "hutch",
                "--",
                "hutch",
                "--root",
                rt,
                "--runroot",
                rr,
                "stop",
                "",
            ],
        )
        .ok();
    assert!(c.stdout.starts_with("moved"), "{c:?}");
    let c = env
        .program("env", ["HUTCH_COMPLETE=fish", "hutch", "--", "hutch", "stop", ""])
        .ok();
    assert_eq!(c.stdout, "");
    // The monitor of a -d --rm container removes it from the right store when it exits.
    env.hutch(g(&["run", "-d", "--rm", "--name", "brief", &basic(), "sleep", "1"]))
        .ok();
    let deadline = Instant::now() + Duration::from_secs(30);
    while env
        .hutch(g(&["ps", "-a", "--format", "{{.Names}}"]))
        .ok()
        .stdout
        .contains("brief")
    {
        assert!(Instant::now() < deadline, "the --rm monitor did not remove it");
        std::thread::sleep(Duration::from_millis(100));
    }
    env.hutch(g(&["stop", "-t", "0", "moved"])).ok();
    env.hutch(g(&["rm", "moved"])).ok();
    env.hutch(g(&["system", "reset", "-f"])).ok();
    assert!(!root.exists() && !runroot.exists());
    assert!(env.root.join("elsewhere").exists());
}

#[test]
fn log_level_and_storage_driver() {
    let env = Env::new();
    env.pull("fixtures/basic");
    let r = env.hutch(["--log-level", "debug", "tag", &basic(), "local/x:1"]).ok();
    let debug: Vec<&str> = r.stderr.lines().filter(|l| l.starts_with("debug ")).collect();
    assert!(debug.iter().any(|l| l.contains("images.lock")), "{r:?}");
    assert!(
        debug.iter().any(|l| l.contains("wrote") && l.contains("images.json")),
        "{r:?}"
    );
    assert!(debug.last().unwrap().contains("exit status 0"), "{r:?}");
    // HUTCH_TRACE is the same thing; warn (the default) and error say nothing on success.
    let r = env.program("env", ["HUTCH_TRACE=1", "hutch", "images"]).ok();
    assert!(
        r.stderr.contains("debug ") && r.stderr.contains("exit status 0"),
        "{r:?}"
    );
    for l in ["warn", "error", "info"] {
        let r = env.hutch(["--log-level", l, "images"]).ok();
        assert_eq!(r.stderr, "", "{l}: {r:?}");
    }
    env.hutch(["--log-level", "loud", "images"]).fails_with("loud");
    env.hutch(["--storage-driver", "overlay", "images"]).ok();
    env.hutch(["--storage-driver", "vfs", "images"])
        .fails_with("storage driver \"vfs\"");
}

/// Take every lock file of the store (as a writer would while it works) in one `flock` chain.
fn hold_locks(locks: &[PathBuf]) -> Child {
    let mut c = Command::new("flock");
    let mut args: Vec<String> = Vec::new();
    for (i, l) in locks.iter().enumerate() {
        if i > 0 {
            args.push("flock".into());
        }
        args.push(l.display().to_string());
    }
    args.extend(["sh".into(), "-c".into(), "echo held; exec sleep 120".into()]);
    use std::os::unix::process::CommandExt;
    c.args(&args).stdout(Stdio::piped()).process_group(0);
    let mut child = c.spawn().unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.as_mut().unwrap()), &mut line).unwrap();
    assert_eq!(line, "held\n");
    child
}

#[test]
fn readers_never_wait_for_a_writers_locks() {
    let env = Env::new();
    env.pull("fixtures/basic");
    env.hutch(["run", "--name", "done", &basic(), "echo", "hi"]).ok();
    let mut locks: Vec<PathBuf> = ["containers/containers.lock", "images/images.lock", "layers/layers.lock"]
        .iter()
        .map(|l| env.store().join(l))
        .collect();
    for e in env.entries("layers") {
        if e.ends_with(".lock") && e != "layers.lock" {
            locks.push(env.store().join("layers").join(e));
        }
    }
    let holder = hold_locks(&locks);
    // A writer waits (and says so)...
    let tagger = spawn(&env, &["tag", &basic(), "local/waits:1"]);
    // ...while every reader answers at once.
    let readers: &[&[&str]] = &[
        &["images"],
        &["ps", "-a"],
        &["inspect", "done"],
        &["image", "inspect", "fixtures/basic"],
        &["logs", "done"],
        &["system", "df"],
        &["system", "df", "-v"],
        &["image", "history", "fixtures/basic"],
        &["port", "-a"],
    ];
    for args in readers {
        let r = finish_within(spawn(&env, args), Duration::from_secs(20), &args.join(" "));
        assert_eq!(r.code, 0, "{args:?}: {r:?}");
    }
    let c = env
        .program("env", ["HUTCH_COMPLETE=fish", "hutch", "--", "hutch", "logs", ""])
        .ok();
    assert!(c.stdout.contains("done"), "{c:?}");
    stop_group(holder);
    let r = finish_within(tagger, Duration::from_secs(20), "tag");
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains("waiting for lock on"),
        "the writer did not wait: {r:?}"
    );
    // During a real pull (trickled blobs), readers answer too.
    let mut pull = env
        .command(["pull", "--tls-verify=false", &format!("{FLAKY}/slow/multi")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while env.entries("tmp").is_empty() && pull.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the pull never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    for args in readers {
        let r = finish_within(spawn(&env, args), Duration::from_secs(20), &args.join(" "));
        assert_eq!(r.code, 0, "{args:?} during a pull: {r:?}");
    }
    let _ = pull.kill();
    let _ = pull.wait();
}

/// Every verb (walking `--help`, so new ones are covered as they land): the leaf commands.
fn leaf_commands(env: &Env, path: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut args = path.clone();
    args.push("--help".into());
    let r = env.hutch(&args).ok();
    let mut subs = Vec::new();
    let mut in_cmds = false;
    for l in r.stdout.lines() {
        if l == "Commands:" {
            in_cmds = true;
            continue;
        }
        if in_cmds {
            if l.trim().is_empty() || !l.starts_with("  ") {
                break;
            }
            if l.starts_with("   ") {
                continue; // a description's continuation line
            }
            let name = l.split_whitespace().next().unwrap().to_string();
            if name != "help" {
                subs.push(name);
            }
        }
    }
    if subs.is_empty() {
        out.push(path);
        return;
    }
    for s in subs {
        let mut p = path.clone();
        p.push(s);
        leaf_commands(env, p, out);
    }
}

/// Exit statuses verbs document for a name that does not exist (podman-rm(1), podman-rmi(1),
/// podman-image-exists(1), podman-unshare(1)); everything else fails with 125.
fn documented(verb: &[String], code: i32) -> bool {
    let v: Vec<&str> = verb.iter().map(String::as_str).collect();
    match v.as_slice() {
        ["rm"]
        | ["rmi"]
        | ["container", "rm"]
        | ["image", "rm"]
        | ["volume", "rm"]
        | ["network", "rm"]
        | ["pod", "rm"] => code == 1,
        [_, "exists"] => code == 1,
        ["unshare"] => code == 127,
        _ => false,
    }
}

#[test]
fn bad_input_on_every_verb_is_one_error_line_never_a_panic() {
    let env = Env::new();
    // No verb reaches out to docker.io for the names below.
    env.write(
        "config/containers/registries.conf",
        "[[registry]]\nprefix = \"docker.io\"\nlocation = \"docker.io\"\nblocked = true\n",
    );
    // Something in the store, so that listings have items to apply a bad template to.
    env.pull("fixtures/basic");
    env.hutch(["create", "--name", "c", &basic(), "true"]).ok();
    let mut leaves = Vec::new();
    leaf_commands(&env, vec![], &mut leaves);
    assert!(leaves.len() > 40, "{leaves:?}");
    assert!(leaves.contains(&vec!["system".to_string(), "df".to_string()]));
    let bad_sets: Vec<Vec<std::ffi::OsString>> = vec![
        vec!["--no-such-flag".into()],
        vec!["::not//a..ref::".into(), "Bad Name!".into()],
        vec!["no-such-container-or-image-0451".into()],
        vec![<std::ffi::OsString as std::os::unix::ffi::OsStringExt>::from_vec(vec![
            0xff, 0xfe, b'x',
        ])],
        vec!["--format".into(), "{{.Nope".into(), "c".into()],
    ];
    let mut checked = 0;
    for leaf in &leaves {
        for bad in &bad_sets {
            let mut args: Vec<std::ffi::OsString> = leaf.iter().map(Into::into).collect();
            args.extend(bad.iter().cloned());
            let what = format!("{args:?}");
            let child = env
                .command(&args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let r = finish_within(child, Duration::from_secs(60), &what);
            no_panic(&r, &what);
            checked += 1;
            if r.code == 0 {
                // Bad input a verb may rightly accept: a format flag it has not, read as an
                // argument of a command (`unshare`, `run`'s CMD) … but never for an unknown flag
                // before the verb's own arguments.
                assert!(
                    bad[0] != "--no-such-flag" || leaf == &["unshare".to_string()],
                    "{what} succeeded: {r:?}"
                );
                continue;
            }
            let errors = r.stderr.lines().filter(|l| l.starts_with("Error: ")).count();
            if leaf.len() == 2 && leaf[1] == "exists" && r.code == 1 {
                assert_eq!(r.stderr, "", "{what}: `exists` answers with its status alone");
                continue;
            }
            if r.code == 125 || documented(leaf, r.code) {
                // One line, or one per item for verbs that report per item (two items here).
                let most = if bad.len() == 2 && bad[0] != "--format" { 2 } else { 1 };
                assert!((1..=most).contains(&errors), "{what}: expected one Error: line: {r:?}");
                continue;
            }
            panic!("{what}: unexpected exit status: {r:?}");
        }
    }
    assert!(checked >= 200, "{checked}");
}
