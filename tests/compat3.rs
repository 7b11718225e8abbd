//! Podman compatibility of the image and copy verbs (issue 15, Podman's 010-images, 065-cp,
//! 110-history, 120-load system tests): `cp` with relative paths, `DIR/.`, between containers,
//! owners as Podman's `--archive`, `--overwrite`, its error messages; `history --human=false`
//! and CreatedAt; `images NAME` rows; `load` from a URL; `save --uncompressed`; pull's
//! "Trying to pull" line. Each test runs the real binary as the unprivileged test user.

mod common;

use std::io::Read;

use common::*;

const BASIC: &str = "fixtures/basic";

/// A detached container running `script` (then sleeping), once `ready` exists in it.
fn running(env: &Env, name: &str, extra: &[&str], script: &str, ready: &str) {
    let mut args = vec!["run", "-d", "--name", name];
    args.extend_from_slice(extra);
    let full = format!("{script}; sleep 1000");
    args.extend_from_slice(&[BASIC, "sh", "-c", &full]);
    env.hutch(&args).ok();
    wait_until(&format!("{name} ready"), || {
        env.hutch(["exec", name, "test", "-e", ready]).code == 0
    });
}

fn cat(env: &Env, ctr: &str, path: &str) -> String {
    env.hutch(["exec", ctr, "cat", path]).ok().stdout
}

#[test]
fn cp_relative_paths_dir_contents_and_between_containers() {
    let env = env_with(&[BASIC]);
    running(
        &env,
        "a",
        &["-w", "/srv"],
        "mkdir -p /srv/sub && echo one > /srv/sub/f && echo two > /srv/g",
        "/srv/g",
    );
    env.write("h.txt", "host\n");
    env.write("d/x", "ex\n");
    env.write("d/deep/y", "why\n");

    // Relative container paths start at the working directory (-w /srv).
    env.hutch(["cp", "h.txt", "a:rel.txt"]).ok();
    assert_eq!(cat(&env, "a", "/srv/rel.txt"), "host\n");
    env.hutch(["cp", "h.txt", "a:sub"]).ok();
    assert_eq!(cat(&env, "a", "/srv/sub/h.txt"), "host\n");
    env.hutch(["cp", "a:g", "back.txt"]).ok();
    assert_eq!(std::fs::read_to_string(env.root.join("back.txt")).unwrap(), "two\n");

    // DIR/. copies the directory's contents: into an existing directory, or as a new one.
    env.hutch(["cp", "d/.", "a:/tmp"]).ok();
    assert_eq!(cat(&env, "a", "/tmp/x"), "ex\n");
    assert_eq!(cat(&env, "a", "/tmp/deep/y"), "why\n");
    env.hutch(["cp", "d/.", "a:/tmp/new"]).ok();
    assert_eq!(cat(&env, "a", "/tmp/new/deep/y"), "why\n");
    env.hutch(["cp", "d", "a:/tmp/whole"]).ok();
    assert_eq!(cat(&env, "a", "/tmp/whole/x"), "ex\n");
    env.hutch(["cp", "a:/srv/sub/.", "out"]).ok();
    assert_eq!(std::fs::read_to_string(env.root.join("out/f")).unwrap(), "one\n");
    assert!(!env.root.join("out/sub").exists(), "contents, not the directory");

    // Between containers: running to running, running to a created one.
    running(&env, "b", &[], "touch /ready", "/ready");
    env.hutch(["cp", "a:sub", "b:/"]).ok();
    assert_eq!(cat(&env, "b", "/sub/f"), "one\n");
    env.hutch(["cp", "a:/srv/g", "b:/renamed"]).ok();
    assert_eq!(cat(&env, "b", "/renamed"), "two\n");
    env.hutch(["create", "--name", "c", BASIC, "cat", "/got/f"]).ok();
    env.hutch(["cp", "a:/srv/sub", "c:/got"]).ok();
    let r = env.hutch(["start", "-a", "c"]).ok();
    assert_eq!(r.stdout, "one\n");
    // And out of a stopped one into a running one.
    env.hutch(["cp", "c:/got/f", "b:/from-stopped"]).ok();
    assert_eq!(cat(&env, "b", "/from-stopped"), "one\n");
    env.hutch(["rm", "-f", "-t", "0", "a", "b", "c"]).ok();
}

#[test]
fn cp_owners_follow_podman_archive() {
    let env = env_with(&[BASIC]);
    // --archive (the default): what is copied in belongs to the container's user.
    running(&env, "u", &["--user", "1234:2345"], "touch /tmp/ready", "/tmp/ready");
    env.write("f.txt", "x\n");
    env.hutch(["cp", "f.txt", "u:/tmp/f.txt"]).ok();
    let st = env
        .hutch(["exec", "u", "stat", "-c", "%u:%g", "/tmp/f.txt"])
        .ok()
        .stdout;
    assert_eq!(st, "1234:2345\n");
    // A container without --user: root.
    running(&env, "r", &[], "touch /ready", "/ready");
    env.hutch(["cp", "f.txt", "r:/f.txt"]).ok();
    assert_eq!(
        env.hutch(["exec", "r", "stat", "-c", "%u:%g", "/f.txt"]).ok().stdout,
        "0:0\n"
    );
    // -a=false keeps a stream's owners; the default gives them to the container's user.
    sh(
        &env,
        "mkdir -p t && echo o > t/o && tar --owner=1042 --group=1043 -C t -cf s.tar o",
    )
    .ok();
    sh(&env, "hutch cp -a=false - u:/tmp < s.tar").ok();
    assert_eq!(
        env.hutch(["exec", "u", "stat", "-c", "%u:%g", "/tmp/o"]).ok().stdout,
        "1042:1043\n"
    );
    sh(&env, "hutch cp - r:/ < s.tar").ok();
    assert_eq!(
        env.hutch(["exec", "r", "stat", "-c", "%u:%g", "/o"]).ok().stdout,
        "0:0\n"
    );
    // A gzip stream is recognised as Podman's is.
    sh(&env, "gzip -c s.tar > s.tgz && hutch cp --pause=false - r:/tmp < s.tgz").ok();
    assert_eq!(cat(&env, "r", "/tmp/o"), "o\n");
    env.hutch(["rm", "-f", "-t", "0", "u", "r"]).ok();
}

#[test]
fn cp_overwrite_links_and_errors() {
    let env = env_with(&[BASIC]);
    running(
        &env,
        "w",
        &[],
        "mkdir -p /tmp/dir /tmp/d1 && echo in > /tmp/dir/in && echo file > /tmp/file && \
         ln -s /tmp/target /tmp/d1/x && touch /ready",
        "/ready",
    );
    env.write("h/dir", "now a file\n");
    std::fs::create_dir_all(env.root.join("h2/file")).unwrap();
    env.write("h2/file/inner", "now a dir\n");

    // A file over a directory, a directory over a file: Podman's error, then --overwrite.
    env.hutch(["cp", "h/dir", "w:/tmp"])
        .fails_with("error creating \"/tmp/dir\": replacing a directory with a file: file exists");
    assert_eq!(cat(&env, "w", "/tmp/dir/in"), "in\n");
    env.hutch(["cp", "--overwrite", "h/dir", "w:/tmp"]).ok();
    assert_eq!(cat(&env, "w", "/tmp/dir"), "now a file\n");
    env.hutch(["cp", "h2/file", "w:/tmp"])
        .fails_with("error creating \"/tmp/file\": replacing a file with a directory: file exists");
    env.hutch(["cp", "--overwrite", "h2/file", "w:/tmp"]).ok();
    assert_eq!(cat(&env, "w", "/tmp/file/inner"), "now a dir\n");
    // The same on the host side (paths as under the destination).
    std::fs::create_dir_all(env.root.join("hd/inner")).unwrap();
    env.chown_tree(&env.root.join("hd"));
    env.hutch(["cp", "w:/tmp/file/inner", "hd"])
        .fails_with("error creating \"/inner\": replacing a directory with a file: file exists");
    env.hutch(["cp", "--overwrite", "w:/tmp/file/inner", "hd"]).ok();
    assert_eq!(
        std::fs::read_to_string(env.root.join("hd/inner")).unwrap(),
        "now a dir\n"
    );

    // A destination that is a dangling link is followed (inside the container).
    env.write("t.txt", "through\n");
    env.hutch(["cp", "t.txt", "w:/tmp/d1/x"]).ok();
    assert_eq!(cat(&env, "w", "/tmp/target"), "through\n");
    // ... but a trailing slash names a directory, which is not created.
    env.hutch(["cp", "t.txt", "w:/tmp/d1/x/"])
        .fails_with("\"/tmp/d1/x/\" could not be found on container w: no such file or directory");
    assert_eq!(env.hutch(["exec", "w", "test", "-d", "/tmp/target"]).code, 1);

    // Podman's messages for what is missing or wrong.
    env.hutch(["cp", "nosuch", "w:/tmp"])
        .fails_with("\"nosuch\" could not be found on the host");
    env.hutch(["cp", "t.txt", "w:/IdoNotExist/"])
        .fails_with("\"/IdoNotExist/\" could not be found on container w: no such file or directory");
    env.hutch(["cp", "w:/nope", "x"])
        .fails_with("\"/nope\" could not be found on container w");
    sh(&env, "hutch cp - w:/tmp < t.txt")
        .fails_with("source must be a (compressed) tar archive when copying from stdin");
    sh(&env, "tar -cf s.tar t.txt && hutch cp - w:/tmp/dir < s.tar")
        .fails_with("destination must be a directory when copying from stdin");
    sh(&env, "hutch cp - w:/tmp/absent < s.tar").fails_with("destination must be a directory when copying from stdin");
    // Only "-" is a stream: /dev/stdout (a pipe here) is neither a directory nor a file.
    env.hutch(["cp", "w:/tmp/dir", "/dev/stdout"])
        .fails_with("invalid destination: \"/dev/stdout\" must be a directory or a regular file");
    env.hutch(["cp", "-a=maybe", "t.txt", "w:/tmp"]).fails_with("maybe");
    env.hutch(["rm", "-f", "-t", "0", "w"]).ok();
}

#[test]
fn history_times_and_images_rows() {
    let env = env_with(&[BASIC]);
    let img = format!("{PLAIN}/{BASIC}");
    // --human=false: the time itself (RFC 3339); CreatedAt as `images` prints it.
    let h = env
        .hutch(["history", "--human=false", "--format", "{{.ID}} {{.Created}}", &img])
        .ok();
    let first = h.stdout.lines().next().unwrap().to_string();
    let t = first.split(' ').nth(1).unwrap();
    assert!(t.len() == 20 && t.as_bytes()[10] == b'T' && t.ends_with('Z'), "{first}");
    let table = env.hutch(["history", "--human=false", &img]).ok().stdout;
    assert!(table.lines().nth(1).unwrap().contains(t), "{table}");
    let from_history = env
        .hutch([
            "image",
            "history",
            "--format",
            "{{.CreatedSince}}--{{.CreatedAt}}",
            &img,
        ])
        .ok()
        .stdout;
    let from_list = env
        .hutch(["image", "list", "--format", "{{.CreatedSince}}--{{.CreatedAt}}", &img])
        .ok()
        .stdout;
    assert_eq!(from_history.lines().next().unwrap(), from_list.trim_end());
    assert!(from_list.contains(" +0000 UTC"), "{from_list}");

    // images NAME lists the rows of that name only, not every name of the image.
    env.hutch(["tag", &img, "localhost/other:t1"]).ok();
    let rows = env
        .hutch(["images", "localhost/other:t1", "--format", "{{.Repository}}:{{.Tag}}"])
        .ok();
    assert_eq!(rows.stdout, "localhost/other:t1\n");
    let rows = env.hutch(["images", "--format", "{{.Repository}}:{{.Tag}}"]).ok();
    assert_eq!(rows.stdout.lines().count(), 2, "{rows:?}");
}

#[test]
fn load_from_url_save_uncompressed_and_pull_line() {
    let env = env_with(&[BASIC]);
    let img = format!("{PLAIN}/{BASIC}");
    // Pull says what it is trying on stderr, as Podman's; -q does not.
    let r = env.hutch(["pull", "--tls-verify=false", &img]).ok();
    assert!(r.stderr.contains(&format!("Trying to pull {img}:latest...")), "{r:?}");
    let r = env.hutch(["pull", "-q", "--tls-verify=false", &img]).ok();
    assert!(!r.stderr.contains("Trying"), "{r:?}");

    // save --uncompressed: an oci-archive whose layer blobs are plain tars.
    env.hutch([
        "save",
        "--format",
        "oci-archive",
        "--uncompressed",
        "-o",
        "img.tar",
        &img,
    ])
    .ok();
    let mut ar = tar::Archive::new(std::fs::File::open(env.root.join("img.tar")).unwrap());
    let mut layers = 0;
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let p = e.path().unwrap().display().to_string();
        if p.starts_with("blobs/sha256/") && e.header().size().unwrap() > 1024 {
            let mut head = vec![0u8; 512];
            e.read_exact(&mut head).unwrap();
            if &head[257..262] == b"ustar" {
                layers += 1;
            }
        }
    }
    assert!(layers >= 1, "no uncompressed layer blob in the archive");

    // load -i URL: downloaded, then loaded as a file would be.
    std::fs::create_dir_all(env.root.join("served")).unwrap();
    env.chown_tree(&env.root.join("served"));
    env.hutch(["save", "-o", "served/image.tar", &img]).ok();
    env.hutch(["rmi", &img]).ok();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut server = std::process::Command::new("python3")
        .args([
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--directory",
        ])
        .arg(env.root.join("served"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("python3 http.server");
    wait_until("the http server", || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let url = format!("http://127.0.0.1:{port}/image.tar");
    let r = env.hutch(["load", "-i", &url]);
    let missing = env.hutch(["load", "-i", &format!("http://127.0.0.1:{port}/nope.tar")]);
    let _ = server.kill();
    let _ = server.wait();
    let r = r.ok();
    assert!(r.stdout.contains(&format!("Loaded image: {img}")), "{r:?}");
    env.hutch(["image", "exists", &img]).ok();
    missing.fails_with("404");
}

#[test]
fn rmi_digest_reference_untags_and_rmi_removes_manifest_lists() {
    let env = env_with(&[BASIC]);
    let img = format!("{PLAIN}/{BASIC}");
    let before = env.hutch(["images", "-a"]).ok().stdout;
    let digest = env.hutch(["inspect", "--format", "{{.Digest}}", &img]).ok().stdout;
    let fqin = format!("{PLAIN}/{BASIC}@{}", digest.trim());
    let r = env.hutch(["pull", "--tls-verify=false", &fqin]).ok();
    assert!(r.stderr.contains(&format!("Trying to pull {fqin}...")), "{r:?}");
    assert_eq!(env.hutch(["images", "-a"]).ok().stdout, before);
    // By its digest reference while it has a tag: only that reference goes.
    let r = env.hutch(["rmi", &fqin]).ok();
    assert_eq!(r.stdout, format!("Untagged: {fqin}\n"));
    assert_eq!(env.hutch(["images", "-a"]).ok().stdout, before);
    env.hutch(["image", "exists", &img]).ok();

    // rmi of a manifest list removes the list, not the images.
    env.hutch(["manifest", "create", "test:1.0"]).ok();
    let r = env.hutch(["rmi", "test:1.0"]).ok();
    assert_eq!(r.stdout, "Untagged: localhost/test:1.0\n");
    env.hutch(["manifest", "inspect", "test:1.0"])
        .fails_with("no such manifest list");
    env.hutch(["image", "exists", &img]).ok();
    // Nothing of that name any more: rmi's exit 1, and none with --ignore.
    let r = env.hutch(["rmi", "test:1.0"]);
    assert_eq!(r.code, 1, "{r:?}");
    env.hutch(["rmi", "--ignore", "test:1.0"]).ok();
}

#[test]
fn image_sign_writes_a_gpg_signature_podman_layout() {
    let env = env_with(&[BASIC]);
    let img = format!("{PLAIN}/{BASIC}");
    // A throwaway key in the test's own GnuPG home.
    let gnupg = env.root.join("gnupg");
    std::fs::create_dir_all(&gnupg).unwrap();
    env.write(
        "keydetails",
        "Key-Type: RSA\nKey-Length: 2048\nName-Real: Foo\nName-Email: foo@bar.com\nExpire-Date: 0\n%no-protection\n%commit\n",
    );
    env.chown_tree(&gnupg);
    let g = gnupg.display().to_string();
    sh(
        &env,
        &format!("chmod 700 {g} && GNUPGHOME={g} gpg --batch --gen-key keydetails"),
    )
    .ok();
    let r = sh(
        &env,
        &format!(
            "GNUPGHOME={g} hutch image sign --tls-verify=false --sign-by foo@bar.com --directory sigs docker://{img}"
        ),
    )
    .ok();
    assert_eq!(r.stdout, "");
    let digest = env.hutch(["inspect", "--format", "{{.Digest}}", &img]).ok().stdout;
    let dir = format!("sigs/{BASIC}@{}", digest.trim().replace(':', "="));
    let v = sh(&env, &format!("GNUPGHOME={g} gpg --verify {dir}/signature-1 2>&1")).ok();
    assert!(v.stdout.contains("Good signature from \"Foo <foo@bar.com>\""), "{v:?}");
    // The payload names the image and its digest.
    let p = sh(
        &env,
        &format!("GNUPGHOME={g} gpg --batch -d {dir}/signature-1 2>/dev/null"),
    )
    .ok();
    let j: serde_json::Value = serde_json::from_str(&p.stdout).unwrap();
    assert_eq!(j["critical"]["identity"]["docker-reference"], format!("{img}:latest"));
    assert_eq!(j["critical"]["image"]["docker-manifest-digest"], digest.trim());
    // A second signature takes the next number.
    sh(
        &env,
        &format!("GNUPGHOME={g} hutch image sign --tls-verify=false --sign-by foo@bar.com -d sigs {img}"),
    )
    .ok();
    assert!(env.root.join(format!("{dir}/signature-2")).exists());
    // A key gpg does not have: one Error line, nothing written.
    sh(
        &env,
        &format!("GNUPGHOME={g} hutch image sign --tls-verify=false --sign-by nobody@nowhere -d sigs2 {img}"),
    )
    .fails_with("signing");
    assert!(!env.root.join("sigs2").exists());
    env.hutch(["image", "sign", "--sign-by", "foo@bar.com", "oci:/tmp/x"])
        .fails_with("only docker://");
    // The agent gpg started for this key ring goes with the test.
    sh(&env, &format!("GNUPGHOME={g} gpgconf --kill gpg-agent"));
}

#[test]
fn cp_reaches_volumes_and_bind_mounts_of_a_stopped_container() {
    let env = env_with(&[BASIC]);
    env.hutch(["volume", "create", "outer"]).ok();
    env.hutch(["volume", "create", "inner"]).ok();
    std::fs::create_dir_all(env.root.join("bindsrc")).unwrap();
    env.chown_tree(&env.root.join("bindsrc"));
    let bind = format!("{}:/data/outer/bind", path(&env, "bindsrc"));
    env.hutch([
        "create",
        "--name",
        "s",
        "-v",
        "outer:/data/outer",
        "-v",
        "inner:/data/outer/inner",
        "-v",
        &bind,
        BASIC,
        "true",
    ])
    .ok();
    env.write("f.txt", "vol\n");
    env.hutch(["cp", "f.txt", "s:/data/outer/inner"]).ok();
    env.hutch(["cp", "f.txt", "s:/data/outer/bind/b.txt"]).ok();
    env.hutch(["cp", "f.txt", "s:/data/outer/o.txt"]).ok();
    // The files are in the volumes and the host directory, not in the container's own layer.
    let check = env
        .hutch([
            "run", "--rm", "-v", "inner:/i", "-v", "outer:/o", BASIC, "cat", "/i/f.txt", "/o/o.txt",
        ])
        .ok();
    assert_eq!(check.stdout, "vol\nvol\n");
    assert_eq!(
        std::fs::read_to_string(env.root.join("bindsrc/b.txt")).unwrap(),
        "vol\n"
    );
    // And out of them again.
    env.hutch(["cp", "s:/data/outer/inner/f.txt", "back.txt"]).ok();
    assert_eq!(std::fs::read_to_string(env.root.join("back.txt")).unwrap(), "vol\n");
    env.hutch(["rm", "s"]).ok();
}

#[test]
fn run_and_create_from_an_archive_and_load_lines() {
    let env = env_with(&[BASIC]);
    env.hutch([
        "run",
        "--name",
        "myc",
        "--entrypoint",
        "[\"/bin/echo\",\"magic-xyz\"]",
        BASIC,
    ])
    .ok();
    env.hutch(["commit", "myc", "myi"]).ok();
    let archive = path(&env, "archive.tar");
    let r = env.hutch(["save", "--quiet", "myi", "-o", &archive]).ok();
    assert_eq!(r.stdout, "");
    env.hutch(["rm", "myc"]).ok();
    env.hutch(["rmi", "myi"]).ok();
    // run docker-archive:FILE loads the image (Podman's lines on stderr), then runs it.
    let r = env.hutch(["run", &format!("docker-archive:{archive}")]).ok();
    assert_eq!(r.stdout, "magic-xyz\n");
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.first(), Some(&"Getting image source signatures"), "{r:?}");
    for want in [
        "Copying blob",
        "Copying config",
        "Writing manifest to image destination",
    ] {
        assert!(r.stderr.contains(want), "{want}: {r:?}");
    }
    env.hutch(["image", "exists", "localhost/myi:latest"]).ok();
    let ps = env.hutch(["ps", "-a", "--format", "{{.Image}}"]).ok();
    assert_eq!(ps.stdout, "localhost/myi:latest\n");
    env.hutch(["rm", "-a"]).ok();
    env.hutch(["rmi", "myi"]).ok();
    // create + start, the same way.
    let c = env.hutch(["create", &format!("docker-archive:{archive}")]).ok();
    let cid = c.stdout.lines().last().unwrap().to_string();
    assert_eq!(env.hutch(["start", "--attach", &cid]).ok().stdout, "magic-xyz\n");
    // A missing archive: one Error line naming it.
    env.hutch(["run", "docker-archive:/nonexistent.tar"])
        .fails_with("/nonexistent.tar");
}

#[test]
fn cp_directory_onto_a_file_and_nested_volume_stays_clean() {
    let env = env_with(&[BASIC]);
    // A directory cannot go onto a file, in either direction (Podman's message).
    std::fs::create_dir_all(env.root.join("dir/sub")).unwrap();
    env.chown_tree(&env.root.join("dir"));
    env.hutch(["create", "--name", "f", BASIC, "true"]).ok();
    env.hutch(["cp", "dir", "f:/etc/passwd"])
        .fails_with("destination must be a directory when copying a directory");
    env.write("afile", "x\n");
    env.hutch(["cp", "f:/etc/", "afile"])
        .fails_with("destination must be a directory when copying a directory");
    assert_eq!(std::fs::read_to_string(env.root.join("afile")).unwrap(), "x\n");
    // A volume mounted inside another: the copy lands in the inner one, and the outer one
    // does not keep the mount point the copy needed.
    env.hutch(["volume", "create", "v1"]).ok();
    env.hutch(["volume", "create", "v2"]).ok();
    env.hutch([
        "create",
        "--name",
        "n",
        "-v",
        "v1:/tmp/volume",
        "-v",
        "v2:/tmp/volume/sub",
        BASIC,
        "true",
    ])
    .ok();
    env.hutch(["cp", "afile", "n:/tmp/volume/sub"]).ok();
    let mp = |v: &str| {
        env.hutch(["volume", "inspect", "--format", "{{.Mountpoint}}", v])
            .ok()
            .stdout
            .trim()
            .to_string()
    };
    assert_eq!(std::fs::read_to_string(format!("{}/afile", mp("v2"))).unwrap(), "x\n");
    assert_eq!(std::fs::read_dir(mp("v1")).unwrap().count(), 0, "v1 stays empty");
    env.hutch(["rm", "f", "n"]).ok();
}

#[test]
fn pod_rm_time() {
    let env = env_with(&[BASIC]);
    env.hutch(["pod", "create", "--name", "p"]).ok();
    env.hutch(["run", "-d", "--pod", "p", "--name", "m", BASIC, "sleep", "1000"])
        .ok();
    // -t 0 with -f: SIGKILL at once (Podman's teardown uses `pod rm -t 0 --all --force`).
    env.hutch(["pod", "rm", "-t", "0", "--all", "--force", "--ignore"]).ok();
    assert_eq!(env.hutch(["pod", "exists", "p"]).code, 1);
    assert_eq!(env.hutch(["ps", "-aq"]).ok().stdout, "");
    env.hutch(["pod", "rm", "-t", "x", "p"]).fails_with("x");
    // --ignore: a pod that does not exist is no error (without it: exit 1).
    env.hutch(["pod", "rm", "--ignore", "nosuch"]).ok();
    assert_eq!(env.hutch(["pod", "rm", "nosuch"]).code, 1);
}
