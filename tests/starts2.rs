//! Starts that scale (issue 14): each container's record is a file of its own,
//! containers/<id>/record.json, added by one rename under containers.lock (synced after the lock
//! is released) and removed by one unlink; containers.json keeps the records of containers an
//! older hutch created, and stays untouched by new ones. A record torn by a crash during a
//! create that never returned is left out and `system check --repair` removes its directory.

mod common;
use common::*;

const BASIC: &str = "fixtures/basic";

fn record_file(env: &Env, id: &str) -> std::path::PathBuf {
    env.store().join("containers").join(id).join("record.json")
}

fn names(env: &Env) -> Vec<String> {
    let ps = env
        .hutch(["ps", "-a", "--sort", "created", "--format", "{{.Names}}"])
        .ok();
    ps.stdout.lines().map(String::from).collect()
}

#[test]
fn a_container_record_is_a_file_of_its_own() {
    let env = env_with(&[BASIC]);
    let out = env
        .command([
            "run",
            "-d",
            "--name",
            "one",
            "--network",
            "none",
            BASIC,
            "sleep",
            "1000",
        ])
        .env("HUTCH_TRACE", "1")
        .output()
        .unwrap();
    let r = to_run(out).ok();
    let id = r.stdout.trim().to_string();
    // Under the lock: the record's rename, nothing else written; containers.json not at all.
    let wrote: Vec<&str> = r.stderr.lines().filter(|l| l.contains(" wrote ")).collect();
    assert_eq!(wrote.len(), 1, "{r:?}");
    assert!(wrote[0].ends_with(&format!("containers/{id}/record.json")), "{r:?}");
    let pos = |needle: &str| r.stderr.find(needle).unwrap_or_else(|| panic!("no {needle}: {r:?}"));
    // (The store's first create takes the lock a second time, exclusively, to make names/.)
    let last_unlock = r.stderr.rfind("containers.lock: waited").unwrap_or(0);
    assert!(pos("record.json") < last_unlock, "{r:?}");
    assert!(!env.store().join("containers/containers.json").exists());
    let rec: serde_json::Value = serde_json::from_slice(&std::fs::read(record_file(&env, &id)).unwrap()).unwrap();
    assert_eq!(rec["name"], "one");
    assert_eq!(rec["id"], id.as_str());

    // Created in the same second: listed in the order they were created.
    env.hutch(["create", "--name", "two", BASIC, "true"]).ok();
    env.hutch(["create", "--name", "three", BASIC, "true"]).ok();
    assert_eq!(names(&env), ["one", "two", "three"]);
    // A rename rewrites that record alone; the name is taken, the old one free.
    env.hutch(["rename", "two", "deux"]).ok();
    assert_eq!(names(&env), ["one", "deux", "three"]);
    env.hutch(["create", "--name", "deux", BASIC, "true"])
        .fails_with("the container name \"deux\" is already in use");
    env.hutch(["create", "--name", "two", BASIC, "true"]).ok();
    let check = env.hutch(["system", "check"]);
    assert_eq!(check.code, 0, "{check:?}");
    assert!(check.stdout.contains("4 containers"), "{check:?}");
    // rm: record and directory gone, the name free again.
    env.hutch(["rm", "-f", "-t", "0", "one"]).ok();
    assert!(!env.store().join("containers").join(&id).exists());
    assert_eq!(names(&env), ["deux", "three", "two"]);
    env.hutch(["run", "--rm", "--name", "one", "--network", "none", BASIC, "true"])
        .ok();
    env.hutch(["rm", "-af"]).ok();
    assert!(names(&env).is_empty());
    assert!(!env.store().join("containers/containers.json").exists());
    assert_eq!(env.hutch(["system", "check"]).code, 0);
}

#[test]
fn records_in_containers_json_still_work() {
    // A store an older hutch wrote: every record in containers.json, none of its own.
    let env = env_with(&[BASIC]);
    let old = env
        .hutch(["create", "--name", "old", BASIC, "true"])
        .ok()
        .stdout
        .trim()
        .to_string();
    let f = record_file(&env, &old);
    let rec: serde_json::Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
    let json = env.store().join("containers/containers.json");
    std::fs::write(
        &json,
        serde_json::to_vec_pretty(&serde_json::json!({ "containers": [rec] })).unwrap(),
    )
    .unwrap();
    env.chown_tree(&json);
    std::fs::remove_file(&f).unwrap();
    env.hutch(["create", "--name", "new", BASIC, "true"]).ok();
    assert_eq!(names(&env), ["old", "new"]);
    env.hutch(["create", "--name", "old", BASIC, "true"])
        .fails_with("the container name \"old\" is already in use");
    // Changes to the old record go to containers.json; the new record stays in its file.
    env.hutch(["rename", "old", "older"]).ok();
    assert!(std::fs::read_to_string(&json).unwrap().contains("\"older\""));
    assert!(!f.exists());
    env.hutch(["start", "-a", "older"]).ok();
    assert_eq!(env.hutch(["system", "check"]).code, 0);
    env.hutch(["rm", "older"]).ok();
    let left: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(left["containers"].as_array().map(Vec::len), Some(0), "{left}");
    assert_eq!(names(&env), ["new"]);
    env.hutch(["rm", "new"]).ok();
    assert_eq!(env.hutch(["system", "check"]).code, 0);
}

#[test]
fn a_torn_record_is_left_out_and_repaired() {
    // A crash after the record's rename, before it reached the disk (a create that never
    // returned), can leave it empty or cut short.
    let env = env_with(&[BASIC]);
    let keep = env
        .hutch(["create", "--name", "keep", BASIC, "true"])
        .ok()
        .stdout
        .trim()
        .to_string();
    let torn = env
        .hutch(["create", "--name", "torn", BASIC, "true"])
        .ok()
        .stdout
        .trim()
        .to_string();
    let cut = env
        .hutch(["create", "--name", "cut", BASIC, "true"])
        .ok()
        .stdout
        .trim()
        .to_string();
    std::fs::write(record_file(&env, &torn), b"").unwrap();
    let text = std::fs::read(record_file(&env, &cut)).unwrap();
    std::fs::write(record_file(&env, &cut), &text[..text.len() / 2]).unwrap();
    // Everything else works; those two are not listed, their names are free.
    assert_eq!(names(&env), ["keep"]);
    let check = env.hutch(["system", "check"]);
    assert_ne!(check.code, 0, "{check:?}");
    for id in [&torn, &cut] {
        assert!(
            check.stdout.contains(&format!("container directory {}", &id[..12])),
            "{check:?}"
        );
    }
    assert!(check.stdout.contains("has no record"), "{check:?}");
    env.hutch(["system", "check", "--repair"]).ok();
    assert!(!env.store().join("containers").join(&torn).exists());
    assert!(!env.store().join("containers").join(&cut).exists());
    assert!(record_file(&env, &keep).exists());
    assert_eq!(env.hutch(["system", "check"]).code, 0);
    env.hutch(["create", "--name", "torn", BASIC, "true"]).ok();
    assert_eq!(names(&env), ["keep", "torn"]);
}

#[test]
fn concurrent_creates_of_one_name_let_one_win() {
    let env = env_with(&[BASIC]);
    const N: usize = 6;
    let children: Vec<_> = (0..N)
        .map(|_| {
            env.command(["create", "--name", "only", BASIC, "true"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let runs: Vec<Run> = children
        .into_iter()
        .map(|c| to_run(c.wait_with_output().unwrap()))
        .collect();
    let won = runs.iter().filter(|r| r.code == 0).count();
    assert_eq!(won, 1, "{runs:?}");
    for r in runs.iter().filter(|r| r.code != 0) {
        assert_eq!(r.code, 125, "{r:?}");
        assert!(
            r.stderr.contains("the container name \"only\" is already in use"),
            "{r:?}"
        );
    }
    assert_eq!(names(&env), ["only"]);
    // No leftover directory of the losers.
    let dirs: Vec<String> = env
        .entries("containers")
        .into_iter()
        .filter(|n| n.len() == 64)
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    assert_eq!(env.hutch(["system", "check"]).code, 0);
}

#[test]
fn rm_container_record_goes_without_reading_the_others() {
    // Removing a container whose record is a file takes the lock for one unlink: the trace
    // shows no read of containers.json during the removal.
    let env = env_with(&[BASIC]);
    env.hutch(["create", "--name", "a", BASIC, "true"]).ok();
    let out = env
        .command(["run", "--rm", "--network", "none", BASIC, "true"])
        .env("HUTCH_TRACE", "1")
        .output()
        .unwrap();
    let r = to_run(out).ok();
    let after = &r.stderr[r.stderr.find("exit recorded").unwrap_or_else(|| panic!("{r:?}"))..];
    assert!(after.contains("/record.json"), "{r:?}");
    assert!(!after.contains("reading "), "{r:?}");
    assert_eq!(names(&env), ["a"]);
}

/// The target of containers/names/NAME (the name's reservation), if any.
fn reservation(env: &Env, name: &str) -> Option<String> {
    std::fs::read_link(env.store().join("containers/names").join(name))
        .ok()
        .map(|t| t.to_string_lossy().into_owned())
}

#[test]
fn a_name_is_checked_by_its_reservation_not_by_reading_every_record() {
    let env = env_with(&[BASIC]);
    let a = env
        .hutch(["create", "--name", "a", BASIC, "true"])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert_eq!(reservation(&env, "a").as_deref(), Some(a.as_str()));
    // A create reads no other record (not even containers.json) under containers.lock.
    let out = env
        .command(["create", "--name", "b", BASIC, "true"])
        .env("HUTCH_TRACE", "1")
        .output()
        .unwrap();
    let r = to_run(out).ok();
    let b = r.stdout.trim().to_string();
    assert!(!r.stderr.contains("containers/containers.json"), "{r:?}");
    assert_eq!(reservation(&env, "b").as_deref(), Some(b.as_str()));
    // A generated name is reserved the same way.
    let c = env.hutch(["create", BASIC, "true"]).ok().stdout.trim().to_string();
    let cname = env
        .hutch(["inspect", "--format", "{{.Name}}", &c])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert_eq!(reservation(&env, &cname).as_deref(), Some(c.as_str()));
    env.hutch(["create", "--name", "b", BASIC, "true"])
        .fails_with(&format!("the container name \"b\" is already in use by {}", &b[..12]));

    // A reservation whose container has no record (a create or rm cut short) is taken over.
    let ghost = "0".repeat(64);
    std::os::unix::fs::symlink(&ghost, env.store().join("containers/names/ghost")).unwrap();
    let g = env
        .hutch(["create", "--name", "ghost", BASIC, "true"])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert_eq!(reservation(&env, "ghost").as_deref(), Some(g.as_str()));

    // rename: the new name reserved, the old one given up; rm gives the name up.
    env.hutch(["rename", "a", "z"]).ok();
    assert_eq!(reservation(&env, "a"), None);
    assert_eq!(reservation(&env, "z").as_deref(), Some(a.as_str()));
    env.hutch(["rename", "z", "b"])
        .fails_with("the container name \"b\" is already in use");
    env.hutch(["create", "--name", "z", BASIC, "true"])
        .fails_with("already in use");
    env.hutch(["rm", "z"]).ok();
    assert_eq!(reservation(&env, "z"), None);
    env.hutch(["run", "--rm", "--name", "z", "--network", "none", BASIC, "true"])
        .ok();
    assert_eq!(reservation(&env, "z"), None);

    // A store without names/ (an older hutch's): the first create reserves every name it has.
    std::fs::remove_dir_all(env.store().join("containers/names")).unwrap();
    env.hutch(["create", "--name", "b", BASIC, "true"])
        .fails_with("already in use");
    assert_eq!(reservation(&env, "b").as_deref(), Some(b.as_str()));
    assert_eq!(reservation(&env, "ghost").as_deref(), Some(g.as_str()));
    env.hutch(["rm", "-a"]).ok();
    assert!(
        env.entries("containers/names").is_empty(),
        "{:?}",
        env.entries("containers/names")
    );
    assert_eq!(env.hutch(["system", "check"]).code, 0);
}

/// Generated names never run out: with more containers than the 576 plain names (adjective and
/// animal), a create whose name is taken tries one with a number, as Docker's do.
#[test]
fn generated_names_go_on_past_the_plain_ones() {
    let env = env_with(&[BASIC]);
    let mut made = 0;
    for _ in 0..640 {
        env.hutch(["create", "--network", "none", BASIC, "true"]).ok();
        made += 1;
    }
    let all = names(&env);
    assert_eq!(all.len(), made);
    let unique: std::collections::HashSet<&String> = all.iter().collect();
    assert_eq!(unique.len(), made, "names repeat");
    assert!(all.iter().any(|n| n.chars().last().is_some_and(|c| c.is_ascii_digit())));
    env.hutch(["rm", "-a", "-f"]).ok();
}
