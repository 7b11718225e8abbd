//! `commit`, `cp` and `diff`, end to end as an unprivileged user (commit's image also through
//! `save` into the real podman).

mod common;

use common::*;

/// Every path below the given roots as busybox sees it in a container: owner, mode, type and,
/// for files, size and (for hard links) link count.
const LIST: &str = "for f in $(find /data /new /bin /tmp /etc/fixture /etc/passwd 2>/dev/null | sort); do \
    if [ -d $f ] && [ ! -L $f ]; then stat -c '%n %u:%g %a dir' $f; else stat -c '%n %u:%g %a %F %s %h' $f; fi; done";

/// Deletes (a lower file, a whole directory, an opaque directory's content), changes and adds
/// (owned by 1000 and by root, a setuid copy, a hard link).
const CHANGES: &str = "rm /data/a.txt && rm -rf /home && echo changed > /etc/fixture && mkdir /new && \
    echo x > /new/f && chown 1000:1000 /new/f && cp /data/suid /new/suid2 && chmod 4755 /new/suid2 && \
    ln /new/f /new/hard && rm -rf /data/opq/* && echo y > /data/opq/fresh";

#[test]
fn commit_makes_an_image_with_the_containers_files_owners_and_modes() {
    let env = Env::new();
    let _pr = PodmanRun::new(&env);
    let base = env.pull("fixtures/multi");
    let ctr_view = env
        .hutch([
            "run",
            "--name",
            "snap",
            "fixtures/multi",
            "sh",
            "-c",
            &format!("{CHANGES} && {LIST}"),
        ])
        .ok()
        .stdout;
    assert!(
        ctr_view.contains("/new/f 1000:1000 644 regular file 2 2\n"),
        "{ctr_view}"
    );
    assert!(ctr_view.contains("/new/suid2 0:0 4755 "), "{ctr_view}");

    // Unnamed: a dangling image on top of the base's layers.
    let id = env.hutch(["commit", "snap"]).ok().stdout.trim().to_string();
    assert_eq!(id.len(), 64, "{id}");
    let images = env
        .hutch(["images", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}"])
        .ok()
        .stdout;
    assert!(images.contains(&format!("{} <none>:<none>", &id[..12])), "{images}");
    let v = env.inspect(&id);
    let base_layers = env.inspect(&base)["RootFS"]["Layers"].as_array().unwrap().clone();
    let layers = v["RootFS"]["Layers"].as_array().unwrap().clone();
    assert_eq!(layers.len(), base_layers.len() + 1);
    assert_eq!(layers[..base_layers.len()], base_layers[..]);

    // The new image runs and shows exactly what the container saw.
    let img_view = env.hutch(["run", "--rm", &id, "sh", "-c", LIST]).ok().stdout;
    assert_eq!(img_view, ctr_view);
    assert!(
        !img_view.contains("/data/a.txt") && !img_view.contains("/data/opq/new.txt"),
        "{img_view}"
    );
    assert_eq!(
        env.hutch(["run", "--rm", &id, "cat", "/etc/fixture", "/data/opq/fresh"])
            .ok()
            .stdout,
        "changed\ny\n"
    );
    assert_eq!(
        env.hutch(["run", "--rm", &id, "sh", "-c", "ls /home 2>&1; true"])
            .ok()
            .stdout
            .contains("No such file"),
        true
    );

    // The layer is a real OCI layer: whiteouts as .wh. files, owners as the container saw them.
    let tar = path(&env, "snap.tar");
    env.hutch(["save", "-o", &tar, &id]).ok();
    let top = layers.last().unwrap().as_str().unwrap()[7..].to_string();
    let members = sh(&env, &format!("tar tf {tar}")).ok().stdout;
    let member = members
        .lines()
        .find(|l| l.contains(&top) && !l.ends_with(".json") && !l.ends_with('/'))
        .unwrap_or_else(|| panic!("{members}"));
    let layer = sh(&env, &format!("tar xOf {tar} {member} | tar tvf - --numeric-owner"))
        .ok()
        .stdout;
    for want in [
        "data/.wh.a.txt",
        ".wh.home",
        "data/opq/.wh.new.txt",
        "data/opq/fresh",
        "etc/fixture",
    ] {
        assert!(layer.lines().any(|l| l.ends_with(want)), "{want} in {layer}");
    }
    assert!(
        layer
            .lines()
            .any(|l| l.starts_with("-rw-r--r-- 1000/1000 ") && l.ends_with("new/f")),
        "{layer}"
    );
    assert!(
        layer
            .lines()
            .any(|l| l.starts_with("-rwsr-xr-x 0/0 ") && l.ends_with("new/suid2")),
        "{layer}"
    );
    assert!(
        layer
            .lines()
            .any(|l| l.starts_with("h") && l.ends_with("new/hard link to new/f")),
        "{layer}"
    );

    // Podman loads the saved image and sees the same files, owners and modes.
    let r = podman(&env, &["load", "-i", &tar]).ok();
    assert!(
        r.stdout.contains(&id[..12]) || r.stdout.contains("Loaded image"),
        "{r:?}"
    );
    let pod_view = podman(&env, &["run", "--rm", "--net=none", &id, "sh", "-c", LIST])
        .ok()
        .stdout;
    assert_eq!(pod_view, ctr_view);
}

#[test]
fn commit_names_the_image_applies_changes_and_takes_a_running_container() {
    let env = Env::new();
    env.pull("fixtures/multi");
    env.hutch([
        "run",
        "-d",
        "--name",
        "live",
        "-e",
        "FROMRUN=1",
        "fixtures/multi",
        "sh",
        "-c",
        "echo hot > /hot; sleep 600",
    ])
    .ok();
    // Wait (bounded) until the file is there.
    let mut ok = false;
    for _ in 0..100 {
        if env.hutch(["exec", "live", "cat", "/hot"]).code == 0 {
            ok = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(ok, "the container wrote /hot");
    let id = env
        .hutch([
            "commit",
            "--pause",
            "-a",
            "Ann Author",
            "-m",
            "snapshot",
            "-c",
            "CMD [\"/bin/cat\", \"/hot\"]",
            "-c",
            "ENV MODE=snap",
            "-c",
            "WORKDIR /data",
            "-c",
            "LABEL org.t=1",
            "live",
            "snapimg:v1",
        ])
        .ok()
        .stdout
        .trim()
        .to_string();
    // Still running afterwards (resumed).
    assert_eq!(env.hutch(["exec", "live", "cat", "/hot"]).ok().stdout, "hot\n");
    let v = env.inspect("localhost/snapimg:v1");
    assert_eq!(v["Id"], id);
    assert_eq!(v["Author"], "Ann Author");
    assert_eq!(v["Comment"], "snapshot");
    let c = &v["Config"];
    assert_eq!(c["Cmd"], serde_json::json!(["/bin/cat", "/hot"]));
    assert!(c["Env"].as_array().unwrap().iter().any(|e| e == "MODE=snap"), "{c}");
    assert!(
        c["Env"].as_array().unwrap().iter().any(|e| e == "FROMRUN=1"),
        "the container's env is kept: {c}"
    );
    assert_eq!(c["WorkingDir"], "/data");
    assert_eq!(c["Labels"]["org.t"], "1");
    assert_eq!(env.hutch(["run", "--rm", "snapimg:v1"]).ok().stdout, "hot\n");
    assert_eq!(
        env.hutch(["run", "--rm", "snapimg:v1", "sh", "-c", "pwd; echo $MODE"])
            .ok()
            .stdout,
        "/data\nsnap\n"
    );
    let hist = env.hutch(["image", "history", "--no-trunc", "snapimg:v1"]).ok().stdout;
    assert!(hist.lines().nth(1).unwrap().trim_end().ends_with("snapshot"), "{hist}");
    // --format docker: a Docker manifest; the image saves and runs the same.
    let did = env
        .hutch(["commit", "--format", "docker", "live", "dock"])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert_eq!(env.hutch(["run", "--rm", &did, "cat", "/hot"]).ok().stdout, "hot\n");
    env.hutch(["rm", "-f", "live"]).ok();

    // Bad input: clear error, exit 125, nothing stored.
    let before = env.hutch(["images", "-q", "--no-trunc"]).ok().stdout;
    env.hutch(["run", "--name", "done", "fixtures/multi", "true"]).ok();
    env.hutch(["commit", "-c", "RUN make", "done"])
        .fails_with("invalid change \"RUN make\"");
    env.hutch(["commit", "nosuchctr"]).fails_with("nosuchctr");
    env.hutch(["commit", "done", "Bad:Name::"]).fails_with("Bad:Name::");
    assert_eq!(env.hutch(["images", "-q", "--no-trunc"]).ok().stdout, before);
}

#[test]
fn diff_lists_added_changed_and_deleted_paths_of_a_container_and_an_image() {
    let env = Env::new();
    env.pull("fixtures/multi");
    env.hutch([
        "run",
        "--name",
        "d",
        "fixtures/multi",
        "sh",
        "-c",
        "rm /data/a.txt && rm -rf /home && echo changed > /etc/fixture && mkdir /new && echo x > /new/f",
    ])
    .ok();
    let out = env.hutch(["diff", "d"]).ok().stdout;
    let lines: Vec<&str> = out.lines().collect();
    for want in [
        "C /data",
        "D /data/a.txt",
        "C /etc",
        "C /etc/fixture",
        "A /new",
        "A /new/f",
        "D /home",
    ] {
        assert!(lines.contains(&want), "{want} in {out}");
    }
    assert!(
        !lines.iter().any(|l| l.starts_with("D /home/")),
        "a deleted directory is one line: {out}"
    );
    let mut sorted = lines.clone();
    sorted.sort_by_key(|l| l[2..].to_string());
    assert_eq!(lines, sorted, "sorted by path");
    assert_eq!(env.hutch(["container", "diff", "d"]).ok().stdout, out);
    let j: serde_json::Value = serde_json::from_str(&env.hutch(["diff", "--format", "json", "d"]).ok().stdout).unwrap();
    assert!(j["added"].as_array().unwrap().iter().any(|p| p == "/new/f"), "{j}");
    assert!(
        j["deleted"].as_array().unwrap().iter().any(|p| p == "/data/a.txt"),
        "{j}"
    );
    assert!(
        j["changed"].as_array().unwrap().iter().any(|p| p == "/etc/fixture"),
        "{j}"
    );

    // An image: its top layer against the layers below; a committed container shows the same.
    env.hutch(["commit", "d", "dimg"]).ok();
    let img = env.hutch(["diff", "dimg"]).ok().stdout;
    for want in ["D /data/a.txt", "C /etc/fixture", "A /new/f", "D /home"] {
        assert!(img.lines().any(|l| l == want), "{want} in {img}");
    }
    env.hutch(["diff", "nosuchthing"]).fails_with("nosuchthing");
}

fn tar_listing(env: &Env, ctr_path: &str) -> String {
    sh(env, &format!("hutch cp {ctr_path} - | tar tvf - --numeric-owner"))
        .ok()
        .stdout
}

#[test]
fn cp_in_and_out_of_stopped_and_running_containers_stays_inside_the_container() {
    let env = Env::new();
    env.pull("fixtures/multi");
    let outside = env.root.join("outside");
    let setup = format!(
        "mkdir -p /srv && ln -s /etc /lnk && ln -s ../../../../../../etc/passwd /rel && ln -s {0} /esc && ln -s {0}/f /escf",
        outside.display()
    );
    env.hutch(["run", "--name", "box", "fixtures/multi", "sh", "-c", &setup])
        .ok();
    let ctr_passwd = env
        .hutch(["run", "--rm", "fixtures/multi", "cat", "/etc/passwd"])
        .ok()
        .stdout;
    let host_passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    assert_ne!(ctr_passwd, host_passwd);

    // Out of a stopped container, through symlinks: the container's files, never the host's.
    env.hutch(["cp", "box:/lnk/passwd", "p1"]).ok();
    assert_eq!(std::fs::read_to_string(env.root.join("p1")).unwrap(), ctr_passwd);
    env.hutch(["cp", "box:/rel", "p2"]).ok();
    assert_eq!(std::fs::read_to_string(env.root.join("p2")).unwrap(), ctr_passwd);
    env.hutch(["cp", "box:/../../../../etc/passwd", "p3"]).ok();
    assert_eq!(std::fs::read_to_string(env.root.join("p3")).unwrap(), ctr_passwd);
    // A directory, into an existing host directory.
    std::fs::create_dir(env.root.join("got")).unwrap();
    env.chown_tree(&env.root.join("got"));
    env.hutch(["cp", "box:/data", "got"]).ok();
    assert!(env.root.join("got/data/b.txt").exists() || env.root.join("got/data").is_dir());

    // Into a stopped container: owned by its root; -a with a stream keeps the stream's owners.
    env.write("src/dir/f", "hello\n");
    env.hutch(["cp", "src/dir", "box:/srv/"]).ok();
    env.hutch(["cp", "src/dir/f", "box:/srv/renamed"]).ok();
    let l = tar_listing(&env, "box:/srv");
    assert!(
        l.lines()
            .any(|x| x.starts_with("-rw-r--r-- 0/0") && x.ends_with("srv/dir/f")),
        "{l}"
    );
    assert!(
        l.lines()
            .any(|x| x.starts_with("-rw-r--r-- 0/0") && x.ends_with("srv/renamed")),
        "{l}"
    );
    sh(
        &env,
        "mkdir -p t/in && echo owned > t/in/o && tar --owner=1000 --group=1000 -C t -cf s.tar in",
    )
    .ok();
    sh(&env, "hutch cp -a=false - box:/srv < s.tar").ok();
    sh(&env, "hutch cp - box:/srv/dir < s.tar").ok();
    let l = tar_listing(&env, "box:/srv");
    assert!(
        l.lines()
            .any(|x| x.starts_with("-rw-r--r-- 1000/1000") && x.ends_with("srv/in/o")),
        "-a keeps: {l}"
    );
    assert!(
        l.lines()
            .any(|x| x.starts_with("-rw-r--r-- 0/0") && x.ends_with("srv/dir/in/o")),
        "root without -a: {l}"
    );
    // Through symlinks and ../ the copy lands inside the container.
    env.hutch(["cp", "src/dir/f", "box:/lnk/viafix"]).ok();
    env.hutch(["cp", "src/dir/f", "box:/../../../tmp/up"]).ok();
    assert_eq!(
        sh(&env, "hutch cp box:/etc/viafix - | tar xOf -").ok().stdout,
        "hello\n"
    );
    assert_eq!(sh(&env, "hutch cp box:/tmp/up - | tar xOf -").ok().stdout, "hello\n");
    env.hutch(["cp", "src/dir/f", "box:/esc/f"])
        .fails_with("could not be found on container box");
    // The dangling link is followed as Podman does, inside the container, where its target's
    // directory does not exist.
    env.hutch(["cp", "src/dir/f", "box:/escf"])
        .fails_with("could not be found on container box");
    assert!(!outside.exists(), "nothing written outside the container");
    env.hutch(["rm", "-f", "box"]).ok();

    // A running container: in, out, streams, symlinks.
    env.hutch([
        "run",
        "-d",
        "--name",
        "live",
        "fixtures/multi",
        "sh",
        "-c",
        &format!("{setup} && sleep 600"),
    ])
    .ok();
    let mut up = false;
    for _ in 0..100 {
        if env.hutch(["exec", "live", "test", "-L", "/escf"]).code == 0 {
            up = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(up, "the container made its links");
    env.hutch(["cp", "src/dir/f", "live:/lnk/viafix"]).ok();
    assert_eq!(env.hutch(["exec", "live", "cat", "/etc/viafix"]).ok().stdout, "hello\n");
    env.hutch(["cp", "src/dir", "live:/../../tmp/"]).ok();
    assert_eq!(env.hutch(["exec", "live", "cat", "/tmp/dir/f"]).ok().stdout, "hello\n");
    assert_eq!(
        env.hutch(["exec", "live", "stat", "-c", "%u:%g", "/tmp/dir/f"])
            .ok()
            .stdout,
        "0:0\n"
    );
    env.hutch(["cp", "src/dir/f", "live:/esc/f"])
        .fails_with("could not be found on container live");
    env.hutch(["cp", "live:/rel", "p4"]).ok();
    assert_eq!(std::fs::read_to_string(env.root.join("p4")).unwrap(), ctr_passwd);
    sh(&env, "hutch cp -a=false - live:/srv < s.tar").ok();
    assert_eq!(
        env.hutch(["exec", "live", "stat", "-c", "%u:%g", "/srv/in/o"])
            .ok()
            .stdout,
        "1000:1000\n"
    );
    let l = tar_listing(&env, "live:/srv/in");
    assert!(
        l.lines()
            .any(|x| x.starts_with("-rw-r--r-- 1000/1000") && x.ends_with("in/o")),
        "{l}"
    );
    assert!(!outside.exists(), "nothing written outside the container");
    env.hutch(["container", "cp", "live:/srv/in/o", "o-out"]).ok();
    assert_eq!(std::fs::read_to_string(env.root.join("o-out")).unwrap(), "owned\n");

    // Bad input.
    env.hutch(["cp", "src/dir/f", "nosuchctr:/x"]).fails_with("nosuchctr");
    env.hutch(["cp", "live:/nonexistent", "x"]).fails_with("/nonexistent");
    env.hutch(["cp", "src/dir/f", "other"]).fails_with("CONTAINER:PATH");
    env.hutch(["rm", "-f", "live"]).ok();
}
