//! Start latency, issue 14 (second part): work moved off a foreground `run`'s critical path.
//! - `run --network none` makes the container's user namespace first ("seed"), so newuidmap and
//!   newgidmap write its maps while the container is created; the container is cloned into it
//!   with the same maps as before, and a seed whose maps the container does not want (a
//!   containers.conf `userns = "keep-id"`) is ended unused.
//! - `run --rm` holds the container's mount namespace from before it runs and hands it to the
//!   detached cleanup, which closes it (the namespace's teardown) before deleting the directory.

mod common;
use common::*;

const BASIC: &str = "fixtures/basic";

/// What the container sees of its ids: uid_map, gid_map, `id -u`, its pid.
const IDS: &str = "cat /proc/self/uid_map /proc/self/gid_map; id -u; echo pid $$";

fn words(s: &str) -> Vec<Vec<String>> {
    s.lines()
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}

#[test]
fn a_seeded_user_namespace_maps_the_container_as_before() {
    let env = env_with(&[BASIC]);
    let mut c = env.command(["run", "--rm", "--network", "none", BASIC, "sh", "-c", IDS]);
    c.env("HUTCH_TRACE", "1");
    let r = to_run(c.output().unwrap()).ok();
    // The seed was made before the container's record, its maps waited for before the clone.
    let at = |what: &str| {
        r.stderr
            .lines()
            .position(|l| l.ends_with(what))
            .unwrap_or_else(|| panic!("no {what:?} in {r:?}"))
    };
    assert!(
        at("seed: user namespace made, its maps being written") < at("] created"),
        "{r:?}"
    );
    assert!(at("seed: maps written") < at("] clone"), "{r:?}");
    // The same maps as a container cloned with a user namespace of its own (the default
    // network's path, whose user namespace is the shared one's): the user's id is root, the
    // subordinate ids follow.
    let (own, first_sub) = (env.host_uid(0), env.host_uid(1));
    let want = |own: u32| {
        vec![
            vec!["0".to_string(), own.to_string(), "1".into()],
            vec!["1".to_string(), first_sub.to_string(), "65536".into()],
        ]
    };
    let got = words(&r.stdout);
    assert_eq!(got[0..2], want(own)[..], "{r:?}");
    assert_eq!(got[4], vec!["0"], "{r:?}");
    assert_eq!(got[5], vec!["pid", "1"], "{r:?}");
    let mut c = env.command(["run", "--rm", BASIC, "sh", "-c", IDS]);
    c.env("HUTCH_TRACE", "1");
    let d = to_run(c.output().unwrap()).ok();
    // (A cold start of the default network hands a seed to the shared namespace, whose user
    // namespace the container joins; it gets none of its own.)
    assert!(!d.stderr.contains("seed: maps written"), "{d:?}");
    assert_eq!(words(&d.stdout), got, "{d:?}");
    // Files the container makes as other ids are theirs on the host, as before.
    let r = env.hutch([
        "run",
        "--network",
        "none",
        "--name",
        "own",
        BASIC,
        "sh",
        "-c",
        "touch /f; chown 5:6 /f",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    let id = env.hutch(["inspect", "--format", "{{.Id}}", "own"]).ok().stdout;
    let f = env.store().join("containers").join(id.trim()).join("upper/f");
    assert_eq!(owner(&f), (env.host_uid(5), first_sub + 5), "{}", f.display());
    env.hutch(["rm", "own"]).ok();
    wait_until("tmp/ to be empty", || env.entries("tmp").is_empty());
}

#[test]
fn a_seed_with_other_maps_than_the_containers_goes_unused() {
    let env = env_with(&[BASIC]);
    // No --userns on the command line, so `run` makes a seed with the default maps; the
    // container wants keep-id's.
    env.write(
        "config/containers/containers.conf",
        "[containers]\nuserns = \"keep-id\"\n",
    );
    let mut c = env.command(["run", "--rm", "--network", "none", BASIC, "id", "-u"]);
    c.env("HUTCH_TRACE", "1");
    let r = to_run(c.output().unwrap()).ok();
    assert!(r.stderr.contains("seed: user namespace made"), "{r:?}");
    assert!(!r.stderr.contains("seed: maps written"), "{r:?}");
    assert_eq!(r.stdout.trim(), env.host_uid(0).to_string(), "{r:?}");
    wait_until("tmp/ to be empty", || env.entries("tmp").is_empty());
}

#[test]
fn the_rm_cleanup_tears_the_containers_namespace_down() {
    let env = env_with(&[BASIC]);
    let list = env.data().join("points");
    let passed = |args: &[&str]| {
        let _ = std::fs::remove_file(&list);
        let mut c = env.command(args);
        c.env("HUTCH_FAULT", format!("list:{}", list.display()));
        let r = to_run(c.output().unwrap());
        assert_eq!(r.code, 0, "{r:?}");
        wait_until("tmp/ to be empty", || env.entries("tmp").is_empty());
        std::fs::read_to_string(&list).unwrap_or_default()
    };
    // (The test user writes the list: its directory is theirs.)
    assert!(list.parent().unwrap().is_dir());
    let rm = passed(&[
        "run",
        "--rm",
        "--network",
        "none",
        "-v",
        "/data",
        BASIC,
        "sh",
        "-c",
        "echo x > /data/f",
    ]);
    assert!(rm.lines().any(|l| l == "before:release-namespace#1"), "{rm}");
    // The detached cleanup deleted everything, once the namespace was gone.
    assert_eq!(env.hutch(["ps", "-a", "-q"]).ok().stdout, "");
    assert_eq!(env.hutch(["volume", "ls", "-q"]).ok().stdout, "");
    let check = env.hutch(["system", "check"]);
    assert_eq!(check.code, 0, "{check:?}");
    // Without --rm, hutch closes it itself once the container has exited.
    let kept = passed(&["run", "--network", "none", "--name", "k", BASIC, "true"]);
    assert!(!kept.contains("release-namespace"), "{kept}");
    env.hutch(["rm", "k"]).ok();
}
