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

/// Failure with `code` and an `Error:` line containing `needle` (`Run::exits`).
#[track_caller]
fn exits(r: Run, code: i32, needle: &str) -> Run {
    r.exits(code, needle)
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
        .hutch([
            "run",
            "--rm",
            "--group-add",
            gname,
            "--group-add",
            "4242",
            &img,
            "id",
            "-G",
        ])
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
    let r = env
        .hutch(["run", "--rm", "--group-add", "keep-groups", &img, "id", "-G"])
        .ok();
    assert!(r.stdout.split_whitespace().next() == Some("0"), "{r:?}");
    // keep-groups is alone (Podman's wording), checked before anything is created.
    exits(
        env.hutch([
            "run",
            "--rm",
            "--group-add",
            "keep-groups",
            "--group-add",
            "457",
            &img,
            "id",
        ]),
        125,
        "the '--group-add keep-groups' option is not allowed with any other --group-add options",
    );
    exits(
        env.hutch(["create", "--group-add", "a:b", &img]),
        125,
        "--group-add \"a:b\"",
    );
    assert_eq!(env.hutch(["ps", "-a", "-q"]).ok().stdout, "");
}

#[test]
fn userns_nomap() {
    let env = env_with(&[BASIC]);
    let img = image();
    let base = first_subuid(&env);
    let id = env
        .hutch(["run", "-d", "--network", "none", "--userns=nomap", &img, "sleep", "100"])
        .ok()
        .stdout
        .trim()
        .to_string();
    // Container root is the first subordinate id, as `top … huser` and the map show.
    let r = env.hutch(["top", &id, "huser"]).ok();
    assert!(
        r.stdout.lines().nth(1).unwrap_or("").trim() == base.to_string(),
        "{r:?}"
    );
    let map = env.hutch(["exec", &id, "cat", "/proc/self/uid_map"]).ok().stdout;
    let first: Vec<&str> = map.lines().next().unwrap().split_whitespace().collect();
    // Its user namespace is a child of one mapped as the store's (as Podman's): the map shows
    // the store's ids, where your subordinate ids start at 1 and 0 is you, whom no line maps.
    assert_eq!(first[..2], ["0", "1"], "{map}");
    assert!(!map.lines().any(|l| l.split_whitespace().nth(1) == Some("0")), "{map}");
    let r = env
        .hutch(["inspect", "--format", "{{.HostConfig.UsernsMode}}", &id])
        .ok();
    assert_eq!(r.stdout.trim(), "private");
    // Files the image owns keep their owners inside.
    let r = env.hutch(["exec", &id, "stat", "-c", "%u", "/bin"]).ok();
    assert_eq!(r.stdout.trim(), "0");
    env.hutch(["rm", "-f", "-t", "0", &id]).ok();
    exits(
        env.hutch(["run", "--rm", "--userns=bogus", &img, "true"]),
        125,
        "--userns bogus: unsupported mode",
    );
}

/// The (container, parent, count) lines of a container's uid map, as its process sees them:
/// its user namespace is a child of one mapped as the store's (on a network, the shared
/// network namespace's), so the parent ids are the store's (0 you, 1.. your subordinate ids).
fn uid_map(env: &Env, args: &[&str]) -> Vec<(u64, u64, u64)> {
    let mut a = vec!["run", "--rm", "--network", "none"];
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
    // The first subordinate id, in the store's ids (the parent namespace's).
    let base = 1;
    // size=N: N ids from the subordinate range; the first auto container gets the first ones.
    let m = uid_map(&env, &["--userns=auto:size=1000"]);
    assert_eq!(m[0], (0, base, 1000), "{m:?}");
    // Two at once get ranges that do not overlap; the ranges come back after rm.
    let a = env
        .hutch([
            "run",
            "-d",
            "--network",
            "none",
            "--userns=auto:size=2000",
            &img,
            "sleep",
            "100",
        ])
        .ok()
        .stdout
        .trim()
        .to_string();
    let b = env
        .hutch([
            "run",
            "-d",
            "--network",
            "none",
            "--userns",
            "auto:size=2000",
            &img,
            "sleep",
            "100",
        ])
        .ok()
        .stdout
        .trim()
        .to_string();
    let first = |id: &str| {
        let map = env.hutch(["exec", id, "cat", "/proc/self/uid_map"]).ok().stdout;
        let v: Vec<u64> = map
            .lines()
            .next()
            .unwrap()
            .split_whitespace()
            .map(|x| x.parse().unwrap())
            .collect();
        (v[0], v[1], v[2])
    };
    assert_eq!(first(&a), (0, base, 2000));
    assert_eq!(first(&b), (0, base + 2000, 2000));
    let r = env
        .hutch(["inspect", "--format", "{{.HostConfig.UsernsMode}}", &a])
        .ok();
    assert_eq!(r.stdout.trim(), "private");
    // The image's files keep their owners inside; the container's root can write.
    let r = env
        .hutch([
            "exec",
            &a,
            "sh",
            "-c",
            "stat -c %u /bin && touch /new && stat -c %u /new",
        ])
        .ok();
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
    exits(
        env.hutch(["run", "--rm", "--userns=auto:size=0", &img, "true"]),
        125,
        "size=0",
    );
    exits(
        env.hutch(["run", "--rm", "--userns=auto:bogus=1", &img, "true"]),
        125,
        "unknown option",
    );
}

fn with_conf(env: &Env, conf: &std::path::Path, args: &[&str]) -> Run {
    to_run(env.command(args).env("CONTAINERS_CONF", conf).output().unwrap())
}

#[test]
fn userns_from_containers_conf() {
    let env = env_with(&[BASIC]);
    let img = image();
    let base = 1; // the first subordinate id, in the store's ids
    let conf = env.write("auto.conf", "[containers]\nuserns=\"auto:size=3000\"\n");
    let id = with_conf(&env, &conf, &["run", "-d", "--network", "none", &img, "sleep", "100"])
        .ok()
        .stdout
        .trim()
        .to_string();
    let r = env
        .hutch(["inspect", "--format", "{{.HostConfig.UsernsMode}}", &id])
        .ok();
    assert_eq!(r.stdout.trim(), "private");
    let map = env.hutch(["exec", &id, "cat", "/proc/self/uid_map"]).ok().stdout;
    assert!(
        map.starts_with(&format!("{:>10} {:>10} {:>10}", 0, base, 3000)),
        "{map}"
    );
    env.hutch(["rm", "-f", "-t", "0", &id]).ok();
    // --userns on the line wins over the file.
    let r = with_conf(
        &env,
        &conf,
        &[
            "run",
            "--rm",
            "--network",
            "none",
            "--userns=nomap",
            &img,
            "cat",
            "/proc/self/uid_map",
        ],
    )
    .ok();
    assert!(
        r.stdout.starts_with(&format!("{:>10} {:>10} {:>10}", 0, base, 65536)),
        "{r:?}"
    );
    let bad = env.write("bad.conf", "[containers]\nuserns=\"auto:size=x\"\n");
    exits(with_conf(&env, &bad, &["run", "--rm", &img, "true"]), 125, "userns");
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

#[test]
fn secrets() {
    let env = env_with(&[BASIC]);
    let img = image();
    let file = env.write("home/pw.txt", "s3cret-one\n");
    let file = file.display().to_string();
    // create prints the id (25 hex digits, as Podman's).
    let id = env
        .hutch(["secret", "create", "--label", "app=db", "dbpass", &file])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert!(id.len() == 25 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    // A file in /run/secrets, read-only, 0444; also under auto user namespaces.
    let r = env
        .hutch(["run", "--rm", "--secret", "dbpass", &img, "cat", "/run/secrets/dbpass"])
        .ok();
    assert_eq!(r.stdout, "s3cret-one\n");
    let r = env
        .hutch([
            "run",
            "--rm",
            "--secret=dbpass",
            "--userns=auto:size=1000",
            &img,
            "cat",
            "/run/secrets/dbpass",
        ])
        .ok();
    assert_eq!(r.stdout, "s3cret-one\n");
    let r = env
        .hutch([
            "run",
            "--rm",
            "--secret",
            "dbpass,target=db/pw,mode=0400",
            &img,
            "sh",
            "-c",
            "stat -c %a /run/secrets/db/pw; cat /run/secrets/db/pw; echo x > /run/secrets/db/pw || echo ro",
        ])
        .ok();
    assert_eq!(r.stdout, "400\ns3cret-one\nro\n", "{r:?}");
    let r = env
        .hutch([
            "run",
            "--rm",
            "--secret",
            "dbpass,type=env,target=DB_PASS",
            &img,
            "sh",
            "-c",
            "echo \"[$DB_PASS]\"",
        ])
        .ok();
    assert_eq!(r.stdout, "[s3cret-one\n]\n");
    // From stdin and from an environment variable.
    let r = env.program("sh", ["-c", "printf two | hutch secret create second -"]);
    assert_eq!(r.code, 0, "{r:?}");
    let r = to_run(
        env.command(["secret", "create", "--env", "third", "MY_VAR"])
            .env("MY_VAR", "three")
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 0, "{r:?}");
    // ls, inspect (never the content).
    let ls = env.hutch(["secret", "ls"]).ok().stdout;
    let head: Vec<&str> = ls.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(head, ["ID", "NAME", "DRIVER", "CREATED", "UPDATED"]);
    assert_eq!(ls.lines().count(), 4, "{ls}");
    assert!(
        ls.contains(&id) && ls.contains("second") && ls.contains("third"),
        "{ls}"
    );
    let names = env.hutch(["secret", "ls", "--format", "{{.Name}}"]).ok().stdout;
    assert_eq!(names, "dbpass\nsecond\nthird\n");
    let j: serde_json::Value = serde_json::from_str(&env.hutch(["secret", "inspect", "dbpass"]).ok().stdout).unwrap();
    assert_eq!(j[0]["ID"], id.as_str());
    assert_eq!(j[0]["Spec"]["Name"], "dbpass");
    assert_eq!(j[0]["Spec"]["Driver"]["Name"], "file");
    assert_eq!(j[0]["Spec"]["Labels"]["app"], "db");
    assert!(!j.to_string().contains("s3cret"));
    let r = env
        .hutch(["secret", "inspect", "--format", "{{.Spec.Name}}", &id[..10]])
        .ok();
    assert_eq!(r.stdout, "dbpass\n");
    // A container keeps its copy when the secret is removed.
    let c = env
        .hutch(["create", "--secret", "second", &img, "cat", "/run/secrets/second"])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert_eq!(env.hutch(["secret", "rm", "second"]).ok().stdout.trim().len(), 25);
    let r = env.hutch(["start", "-a", &c]).ok();
    assert_eq!(r.stdout, "two");
    env.hutch(["rm", &c]).ok();
    // Errors: one line, exit 125, nothing made.
    exits(
        env.hutch(["secret", "create", "dbpass", &file]),
        125,
        "secret name \"dbpass\" is already in use",
    );
    exits(
        env.hutch(["secret", "create", "bad/name", &file]),
        125,
        "secret name \"bad/name\": invalid",
    );
    exits(
        env.hutch(["secret", "create", "x", "/no/such/file"]),
        125,
        "reading secret file /no/such/file",
    );
    exits(
        env.hutch(["secret", "create", "--driver", "pass", "x", &file]),
        125,
        "unsupported secret driver",
    );
    exits(
        env.hutch(["run", "--rm", "--secret", "nope", &img, "true"]),
        125,
        "no such secret",
    );
    exits(
        env.hutch(["run", "--rm", "--secret", "dbpass,uid=5", &img, "true"]),
        125,
        "uid= is not supported",
    );
    exits(
        env.hutch(["secret", "rm", "nope"]),
        125,
        "no secret with name or id \"nope\"",
    );
    assert_eq!(env.hutch(["ps", "-a", "-q"]).ok().stdout, "");
    // --replace: a new id, the new content.
    let big = env.write("home/new.txt", "new");
    let id2 = env
        .hutch(["secret", "create", "--replace", "dbpass", &big.display().to_string()])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert_ne!(id2, id);
    let r = env
        .hutch(["run", "--rm", "--secret", "dbpass", &img, "cat", "/run/secrets/dbpass"])
        .ok();
    assert_eq!(r.stdout, "new");
    // rm -a, then --ignore.
    let r = env.hutch(["secret", "rm", "-a"]).ok();
    assert_eq!(r.stdout.lines().count(), 2);
    assert_eq!(env.hutch(["secret", "ls", "-q"]).ok().stdout, "");
    env.hutch(["secret", "rm", "--ignore", "dbpass"]).ok();
    assert_eq!(env.entries("secrets/data"), Vec::<String>::new());
}

#[test]
fn image_names_history() {
    let env = env_with(&[BASIC]);
    let img = image();
    env.hutch(["run", "--name", "c1", &img, "true"]).ok();
    env.hutch(["commit", "-q", "c1", "my-test-image"]).ok();
    let history = || {
        env.hutch(["images", "my-test-image", "--format", "{{.History}}"])
            .ok()
            .stdout
            .trim()
            .to_string()
    };
    assert_eq!(history(), "localhost/my-test-image:latest");
    // A name given and taken away stays in the history, behind the current names.
    env.hutch(["tag", "my-test-image", "first"]).ok();
    assert_eq!(history(), "localhost/first:latest, localhost/my-test-image:latest");
    env.hutch(["rmi", "first"]).ok();
    assert_eq!(history(), "localhost/my-test-image:latest, localhost/first:latest");
    env.hutch(["tag", "my-test-image", "second"]).ok();
    env.hutch(["untag", "my-test-image", "localhost/second:latest"]).ok();
    assert_eq!(
        history(),
        "localhost/my-test-image:latest, localhost/second:latest, localhost/first:latest"
    );
    // JSON: an array, in `images` and `image inspect` (NamesHistory).
    let j: serde_json::Value =
        serde_json::from_str(&env.hutch(["images", "my-test-image", "--format", "json"]).ok().stdout).unwrap();
    assert_eq!(j[0]["History"].as_array().unwrap().len(), 3, "{j}");
    let r = env
        .hutch([
            "image",
            "inspect",
            "--format",
            "{{json .NamesHistory}}",
            "my-test-image",
        ])
        .ok();
    assert_eq!(
        r.stdout.trim(),
        r#"["localhost/my-test-image:latest","localhost/second:latest","localhost/first:latest"]"#
    );
    // A pulled image's history is its name.
    let r = env.hutch(["images", &img, "--format", "{{.History}}"]).ok();
    assert_eq!(r.stdout.trim(), format!("{img}:latest"));
}

#[test]
fn pull_from_archives() {
    let env = env_with(&[BASIC]);
    let img = image();
    let id = env
        .hutch(["image", "inspect", "--format", "{{.Id}}", &img])
        .ok()
        .stdout
        .trim()
        .to_string();
    let tar = path(&env, "home/ball.tar");
    let oci = path(&env, "home/ball.oci.tar");
    let dir = path(&env, "home/layout");
    env.hutch(["save", "-o", &tar, &img]).ok();
    env.hutch(["save", "--format", "oci-archive", "-o", &oci, &img]).ok();
    env.hutch(["save", "--format", "oci-dir", "-o", &dir, &img]).ok();
    for src in [
        format!("docker-archive:{tar}"),
        format!("oci-archive:{oci}"),
        format!("oci:{dir}"),
    ] {
        env.hutch(["rmi", "-f", &img]).ok();
        let r = env.hutch(["pull", &src]).ok();
        assert_eq!(r.stdout.trim(), id, "{src}: {r:?}");
        let r = env.hutch(["images", "--format", "{{.Repository}} {{.ID}}"]).ok();
        assert!(r.stdout.contains(&format!("{img} {}", &id[..12])), "{src}: {r:?}");
        env.hutch(["run", "--rm", &img, "true"]).ok();
    }
    // One `pull` event per archive, named as given (Podman's).
    let ev = env
        .hutch([
            "events",
            "--stream=false",
            "--filter",
            "type=image",
            "--filter",
            "event=pull",
            "--format",
            "{{.Status}}--{{.Name}}",
        ])
        .ok()
        .stdout;
    assert!(ev.contains(&format!("pull--docker-archive:{tar}\n")), "{ev}");
    assert!(ev.contains(&format!("pull--oci-archive:{oci}\n")), "{ev}");
    assert!(!ev.contains("loadfromarchive"), "{ev}");
    // Without an image id, as Podman's (an archive may hold several).
    let ev = env
        .hutch([
            "events",
            "--stream=false",
            "--filter",
            "type=image",
            "--filter",
            "event=pull",
        ])
        .ok()
        .stdout;
    assert!(ev.contains(&format!(" image pull  docker-archive:{tar}\n")), "{ev}");
    // Errors.
    exits(
        env.hutch(["pull", "docker-archive:/no/such.tar"]),
        125,
        "/no/such.tar: no such file or directory",
    );
    exits(env.hutch(["pull", &format!("oci:{tar}")]), 125, "is not a directory");
    exits(
        env.hutch(["pull", &format!("docker-archive:{dir}")]),
        125,
        "is a directory",
    );
    exits(
        env.hutch(["pull", &format!("docker-archive:{tar}:other:1")]),
        125,
        "is not supported",
    );
}
