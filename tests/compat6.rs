//! What Podman scripts (and Podman's own system tests 170-run-userns, 055-rm, 010-images,
//! 090-events, see compat/run-podman-system-tests) rely on, added in session 22 (branch
//! compat6): `--group-add` (and `keep-groups`), `--userns=nomap` and `--userns=auto[:size=N]`
//! (also from containers.conf), secrets (`secret create|ls|inspect|rm`, `run --secret`),
//! `rm`'s wording for a running container, an image's names history (`images --format
//! '{{.History}}'`). Each test runs the real binary as the unprivileged test user.

mod common;

use common::*;

const BASIC: &str = "fixtures/basic";

fn image() -> String {
    format!("{PLAIN}/{BASIC}")
}

#[track_caller]
fn exits(r: Run, code: i32, needle: &str) -> Run {
    assert_eq!(r.code, code, "expected exit {code}: {r:?}");
    assert!(
        r.stderr.lines().any(|l| l.starts_with("Error: ") && l.contains(needle)),
        "expected {needle:?} in an error: {r:?}"
    );
    r
}

/// The test user's first subordinate uid (/etc/subuid).
fn first_subuid(env: &Env) -> u32 {
    env.host_uid(1)
}

#[test]
fn group_add() {
    let env = env_with(&[BASIC]);
    let img = image();
    // A gid, and a name from the container's /etc/group, added to the user's groups.
    let r = env.hutch(["run", "--rm", "--group-add", "457", &img, "id", "-G"]).ok();
    let gids: Vec<&str> = r.stdout.split_whitespace().collect();
    assert!(gids.contains(&"0") && gids.contains(&"457"), "{r:?}");
    let group = env
        .hutch(["run", "--rm", &img, "sh", "-c", "sed -n 2p /etc/group"])
        .ok()
        .stdout;
    let f: Vec<&str> = group.trim().split(':').collect();
    assert!(f.len() >= 3, "{group}");
    let (gname, gid) = (f[0], f[2]);
    let r = env
        .hutch(["run", "--rm", "--group-add", gname, "--group-add", "4242", &img, "id", "-G"])
        .ok();
    let gids: Vec<&str> = r.stdout.split_whitespace().collect();
    assert!(gids.contains(&gid) && gids.contains(&"4242"), "{r:?}");
    // Inspect shows them; an exec in the container has them too.
    let id = env
        .hutch(["run", "-d", "--group-add", "457", &img, "sleep", "100"])
        .ok()
        .stdout
        .trim()
        .to_string();
    let r = env.hutch(["inspect", "--format", "{{.HostConfig.GroupAdd}}", &id]).ok();
    assert_eq!(r.stdout.trim(), "[457]");
    let r = env.hutch(["exec", &id, "id", "-G"]).ok();
    assert!(r.stdout.split_whitespace().any(|g| g == "457"), "{r:?}");
    env.hutch(["rm", "-f", "-t", "0", &id]).ok();
    // A name the container does not have fails at start, naming it.
    exits(
        env.hutch(["run", "--rm", "--group-add", "no-such-group", &img, "true"]),
        125,
        "--group-add no-such-group: no such group in the container's /etc/group",
    );
    // keep-groups: the caller's supplementary groups stay (unmapped: the overflow gid inside).
    let r = env.hutch(["run", "--rm", "--group-add", "keep-groups", &img, "id", "-G"]).ok();
    assert!(r.stdout.split_whitespace().next() == Some("0"), "{r:?}");
    // keep-groups is alone (Podman's wording), checked before anything is created.
    exits(
        env.hutch(["run", "--rm", "--group-add", "keep-groups", "--group-add", "457", &img, "id"]),
        125,
        "the '--group-add keep-groups' option is not allowed with any other --group-add options",
    );
    exits(env.hutch(["create", "--group-add", "a:b", &img]), 125, "--group-add \"a:b\"");
    assert_eq!(env.hutch(["ps", "-a", "-q"]).ok().stdout, "");
}

#[test]
fn userns_nomap() {
    let env = env_with(&[BASIC]);
    let img = image();
    let base = first_subuid(&env);
    let id = env
        .hutch(["run", "-d", "--userns=nomap", &img, "sleep", "100"])
        .ok()
        .stdout
        .trim()
        .to_string();
    // Container root is the first subordinate id, as `top … huser` and the map show.
    let r = env.hutch(["top", &id, "huser"]).ok();
    assert!(r.stdout.lines().nth(1).unwrap_or("").trim() == base.to_string(), "{r:?}");
    let map = env.hutch(["exec", &id, "cat", "/proc/self/uid_map"]).ok().stdout;
    let first: Vec<&str> = map.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(first[..2], ["0", &base.to_string()[..]], "{map}");
    // The user's own uid is not container root.
    let own = env.host_uid(0).to_string();
    assert!(!map.lines().any(|l| l.split_whitespace().take(2).collect::<Vec<_>>() == ["0", &own[..]]), "{map}");
    let r = env.hutch(["inspect", "--format", "{{.HostConfig.UsernsMode}}", &id]).ok();
    assert_eq!(r.stdout.trim(), "private");
    // Files the image owns keep their owners inside.
    let r = env.hutch(["exec", &id, "stat", "-c", "%u", "/bin"]).ok();
    assert_eq!(r.stdout.trim(), "0");
    env.hutch(["rm", "-f", "-t", "0", &id]).ok();
    exits(env.hutch(["run", "--rm", "--userns=bogus", &img, "true"]), 125, "--userns bogus: unsupported mode");
}

/// The (container, host, count) lines of a container's uid map, as its process sees them.
fn uid_map(env: &Env, args: &[&str]) -> Vec<(u64, u64, u64)> {
    let mut a = vec!["run", "--rm"];
    a.extend_from_slice(args);
    a.extend_from_slice(&[&BASIC_IMG, "cat", "/proc/self/uid_map"]);
    let r = env.hutch(a).ok();
    r.stdout
        .lines()
        .map(|l| {
            let v: Vec<u64> = l.split_whitespace().map(|x| x.parse().unwrap()).collect();
            (v[0], v[1], v[2])
        })
        .collect()
}

const BASIC_IMG: &str = "127.0.0.1:5000/fixtures/basic";

#[test]
fn userns_auto() {
    let env = env_with(&[BASIC]);
    let img = image();
    let base = first_subuid(&env) as u64;
    // size=N: N ids from the subordinate range; the first auto container gets the first ones.
    let m = uid_map(&env, &["--userns=auto:size=1000"]);
    assert_eq!(m[0], (0, base, 1000), "{m:?}");
    // Two at once get ranges that do not overlap; the ranges come back after rm.
    let a = env
        .hutch(["run", "-d", "--userns=auto:size=2000", &img, "sleep", "100"])
        .ok()
        .stdout
        .trim()
        .to_string();
    let b = env
        .hutch(["run", "-d", "--userns", "auto:size=2000", &img, "sleep", "100"])
        .ok()
        .stdout
        .trim()
        .to_string();
    let first = |id: &str| {
        let map = env.hutch(["exec", id, "cat", "/proc/self/uid_map"]).ok().stdout;
        let v: Vec<u64> = map.lines().next().unwrap().split_whitespace().map(|x| x.parse().unwrap()).collect();
        (v[0], v[1], v[2])
    };
    assert_eq!(first(&a), (0, base, 2000));
    assert_eq!(first(&b), (0, base + 2000, 2000));
    let r = env.hutch(["inspect", "--format", "{{.HostConfig.UsernsMode}}", &a]).ok();
    assert_eq!(r.stdout.trim(), "private");
    // The image's files keep their owners inside; the container's root can write.
    let r = env.hutch(["exec", &a, "sh", "-c", "stat -c %u /bin && touch /new && stat -c %u /new"]).ok();
    assert_eq!(r.stdout, "0\n0\n");
    // No free range of that size: a clear error, nothing created.
    let before = env.hutch(["ps", "-a", "-q"]).ok().stdout;
    exits(
        env.hutch(["create", "--userns=auto:size=65000", &img, "true"]),
        125,
        "--userns auto: no free range of 65000 ids",
    );
    assert_eq!(env.hutch(["ps", "-a", "-q"]).ok().stdout, before);
    env.hutch(["rm", "-f", "-t", "0", &a]).ok();
    let c = env
        .hutch(["create", "--userns=auto:size=1500", &img, "true"])
        .ok()
        .stdout
        .trim()
        .to_string();
    env.hutch(["start", "-a", &c]).ok();
    env.hutch(["rm", "-f", "-t", "0", &b, &c]).ok();
    // Without size: one more than the largest id the image's passwd and group name (at least
    // 1024); the user's own id is not root.
    let m = uid_map(&env, &["--userns=auto"]);
    assert_eq!((m[0].0, m[0].1), (0, base), "{m:?}");
    assert!(m[0].2 >= 1024, "{m:?}");
    // Bad options.
    exits(env.hutch(["run", "--rm", "--userns=auto:size=0", &img, "true"]), 125, "size=0");
    exits(env.hutch(["run", "--rm", "--userns=auto:bogus=1", &img, "true"]), 125, "unknown option");
}

fn with_conf(env: &Env, conf: &std::path::Path, args: &[&str]) -> Run {
    to_run(env.command(args).env("CONTAINERS_CONF", conf).output().unwrap())
}

#[test]
fn userns_from_containers_conf() {
    let env = env_with(&[BASIC]);
    let img = image();
    let base = first_subuid(&env) as u64;
    let conf = env.write("auto.conf", "[containers]\nuserns=\"auto:size=3000\"\n");
    let id = with_conf(&env, &conf, &["run", "-d", &img, "sleep", "100"])
        .ok()
        .stdout
        .trim()
        .to_string();
    let r = env.hutch(["inspect", "--format", "{{.HostConfig.UsernsMode}}", &id]).ok();
    assert_eq!(r.stdout.trim(), "private");
    let map = env.hutch(["exec", &id, "cat", "/proc/self/uid_map"]).ok().stdout;
    assert!(map.starts_with(&format!("{:>10} {:>10} {:>10}", 0, base, 3000)), "{map}");
    env.hutch(["rm", "-f", "-t", "0", &id]).ok();
    // --userns on the line wins over the file.
    let r = with_conf(&env, &conf, &["run", "--rm", "--userns=nomap", &img, "cat", "/proc/self/uid_map"]).ok();
    assert!(r.stdout.starts_with(&format!("{:>10} {:>10} {:>10}", 0, base, 65536)), "{r:?}");
    let bad = env.write("bad.conf", "[containers]\nuserns=\"auto:size=x\"\n");
    exits(
        with_conf(&env, &bad, &["run", "--rm", &img, "true"]),
        125,
        "userns",
    );
}

#[test]
fn rm_running_container_wording() {
    let env = env_with(&[BASIC]);
    let img = image();
    let id = env
        .hutch(["run", "-d", &img, "sleep", "100"])
        .ok()
        .stdout
        .trim()
        .to_string();
    let r = env.hutch(["rm", &id]);
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(
        r.stderr.trim(),
        format!("Error: cannot remove container {id} as it is running - running or paused containers cannot be removed without force: container state improper")
    );
    env.hutch(["rm", "-t", "0", "-f", &id]).ok();
    assert_eq!(env.hutch(["ps", "-a", "-q"]).ok().stdout, "");
}
