//! The build corpus: real-world Containerfiles on a Debian base made with debootstrap
//! (`127.0.0.1:5000/fixtures/debian:bookworm`, see tests/rig.sh `rig_debian`): `apt-get install`
//! through the build's network, users and groups, permissions, deletions of the base's files
//! (whiteouts and opaque directories), multi-stage copies with `--chown`. Each result is compared
//! with `podman build` of the same Containerfile and context, as the same unprivileged user: the
//! config fields and every file of a container of each (type, mode, owner, link target, contents).

mod common;

use common::build_compare::*;
use common::*;

const DEBIAN: &str = "127.0.0.1:5000/fixtures/debian:bookworm";

/// Files that legitimately differ between two builds of the same Containerfile made a few
/// seconds apart, each with its reason. Everything else must be identical.
const DIFFER: &[(&str, &str)] = &[
    // apt and dpkg write the time of each run into their logs.
    ("var/log/apt/", "apt's history/term logs carry the run's time"),
    ("var/log/dpkg.log", "dpkg's log carries the run's time"),
    (
        "var/log/alternatives.log",
        "update-alternatives' log carries the run's time",
    ),
    // apt's binary caches embed the mtimes of the lists they were made from.
    (
        "var/cache/apt/pkgcache.bin",
        "apt's binary cache embeds the index files' mtimes",
    ),
    (
        "var/cache/apt/srcpkgcache.bin",
        "apt's binary cache embeds the index files' mtimes",
    ),
    // debconf's database rewrite keeps the previous copy, whose order is hash-seeded.
    (
        "var/cache/debconf/",
        "debconf's databases are written in Perl hash order",
    ),
    // ldconfig's auxiliary cache records the libraries' mtimes.
    (
        "var/cache/ldconfig/aux-cache",
        "ldconfig's cache records the libraries' mtimes",
    ),
];

/// The corpus's comparison: the files above may differ in content, and Env is a set.
const CORPUS: Compare = Compare {
    differ: DIFFER,
    env_as_set: true,
};

fn build_both(env: &Env, dir: &str, tag: &str, extra: &[&str]) -> Run {
    build_both_with(env, dir, tag, extra, CORPUS)
}

#[test]
fn debian_apt_users_permissions_whiteouts_match_podman_build() {
    let env = Env::new();
    let _p = PodmanRun::new(&env);
    env.pull("fixtures/debian:bookworm");
    env.write(
        "deb/Containerfile",
        &format!(
            r#"FROM {DEBIAN} AS builder
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends tree \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd -g 2345 builders && useradd -m -u 1234 -g builders -s /bin/bash builder
COPY --chown=builder:builders src/ /home/builder/src/
RUN mkdir -p /out/bin /out/share && cp /usr/bin/tree /out/bin/tree \
 && tree /home/builder/src > /out/share/tree.txt && chmod 0751 /out/bin && chmod 0640 /out/share/tree.txt \
 && ln -s ../share/tree.txt /out/bin/listing && ln /out/bin/tree /out/bin/tree-hard

FROM {DEBIAN}
LABEL org.example.corpus=debian maintainer="hutch tests"
# apt in the final image: its logs, caches and dpkg's database are compared too.
RUN apt-get update && apt-get install -y --no-install-recommends tree && apt-get clean
RUN useradd -r -u 999 -U -d /srv/app -s /usr/sbin/nologin app \
 && install -d -o app -g app -m 2770 /srv/app/data && install -d -m 1777 /srv/app/tmp
# Deleting the base's files and directories: whiteouts, and an opaque directory.
RUN rm -rf /usr/share/doc /usr/share/man/man1 /etc/cron.daily /etc/motd \
 && rm -rf /var/lib/apt && mkdir -p /var/lib/apt/lists/partial && echo fresh > /var/lib/apt/marker
COPY --from=builder --chown=app:app /out/ /srv/app/
COPY --from=builder --chown=1234:2345 --chmod=0700 /home/builder/src/run.sh /usr/local/bin/run-app
COPY --chmod=0644 conf/ /etc/app/
RUN chmod 4755 /usr/local/bin/run-app && chown -R app:app /etc/app
WORKDIR /srv/app
USER app
ENV APP_ENV=production PATH=/srv/app/bin:$PATH
EXPOSE 8080/tcp 5353/udp
VOLUME /srv/app/data
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --retries=2 CMD ["tree", "-L", "1"]
ENTRYPOINT ["/usr/local/bin/run-app"]
CMD ["--serve"]
"#
        ),
    );
    env.write("deb/src/run.sh", "#!/bin/sh\necho run-app \"$@\"\n");
    env.write("deb/src/lib/a.txt", "a\n");
    env.write("deb/src/lib/b.txt", "b\n");
    env.write("deb/conf/app.conf", "key=value\n");
    env.write("deb/conf/sub/more.conf", "more\n");
    build_both(&env, "deb", "localhost/deb", &["--format", "docker"]);
    // The result runs as its user, with the package installed in the first stage.
    let r = env.hutch(["run", "--rm", "localhost/deb", "x"]).ok();
    assert_eq!(r.stdout, "run-app x\n", "{r:?}");
    let r = env
        .hutch([
            "run",
            "--rm",
            "--entrypoint",
            "",
            "localhost/deb",
            "sh",
            "-c",
            "id -un; tree -L 1 /srv/app | head -1; test -e /usr/share/doc || echo no-doc",
        ])
        .ok();
    assert_eq!(r.stdout, "app\n/srv/app\nno-doc\n", "{r:?}");
}

/// COPY --from keeps the hard links among the files it copies (one inode, several names), as
/// Docker and Podman do.
#[test]
fn copy_from_keeps_hard_links() {
    let env = Env::new();
    let _p = PodmanRun::new(&env);
    env.pull("fixtures/basic");
    env.write(
        "hl/Containerfile",
        "FROM 127.0.0.1:5000/fixtures/basic AS b\n\
         RUN mkdir -p /out/sub && echo data > /out/a && ln /out/a /out/sub/b && ln /out/a /out/c && echo single > /out/d\n\
         FROM 127.0.0.1:5000/fixtures/basic\n\
         COPY --from=b --chown=1000:1000 /out/ /dst/\n\
         COPY --from=b --chmod=0600 /out/ /dst2/\n",
    );
    build_both(&env, "hl", "localhost/hl", &[]);
    let r = env
        .hutch(["run", "--rm", "localhost/hl", "sh", "-c", "stat -c '%h %u %a %n' /dst/a /dst/sub/b /dst/c /dst/d /dst2/a /dst2/c; [ /dst/a -ef /dst/sub/b ] && [ /dst2/a -ef /dst2/sub/b ] && echo same"])
        .ok();
    assert_eq!(
        r.stdout,
        "3 1000 644 /dst/a\n3 1000 644 /dst/sub/b\n3 1000 644 /dst/c\n1 1000 644 /dst/d\n3 0 600 /dst2/a\n3 0 600 /dst2/c\nsame\n",
        "{r:?}"
    );
}

/// A huge context: what the ignore file excludes is never opened nor listed (a 64 GiB sparse
/// file, a FIFO that would block a reader, an unreadable directory, 20,000 files), and the
/// result is Podman's.
#[test]
fn huge_context_honours_ignore_files_without_reading_them() {
    let env = Env::new();
    let _p = PodmanRun::new(&env);
    env.pull("fixtures/basic");
    env.write(
        "big/Containerfile",
        "FROM 127.0.0.1:5000/fixtures/basic\nCOPY . /app/\nRUN find /app | sort > /listing\n",
    );
    env.write(
        "big/.dockerignore",
        "node_modules\n**/*.iso\nsecret/\ncache/*\n!cache/keep.txt\n",
    );
    env.write("big/src/main.c", "int main(void) { return 0; }\n");
    env.write("big/cache/keep.txt", "kept\n");
    sh(
        &env,
        &format!(
            "cd {} && mkdir -p node_modules/a secret/locked && for d in $(seq 1 20); do mkdir node_modules/a/$d; \
             (cd node_modules/a/$d && seq 1 1000 | xargs touch); done && truncate -s 64G src/disk.iso \
             && mkfifo cache/pipe && echo s > secret/locked/s && chmod 000 secret/locked secret",
            path(&env, "big")
        ),
    )
    .ok();
    let ctx = path(&env, "big");
    let t = std::time::Instant::now();
    env.hutch(["build", "-t", "localhost/big", &ctx]).ok();
    let took = t.elapsed();
    let r = env.hutch(["run", "--rm", "localhost/big", "cat", "/listing"]).ok();
    assert_eq!(
        r.stdout,
        "/app\n/app/.dockerignore\n/app/Containerfile\n/app/cache\n/app/cache/keep.txt\n/app/src\n/app/src/main.c\n",
        "{r:?} (build took {took:?})"
    );
    // The same with Podman (the unreadable directory moved away: Podman lists ignored
    // directories and refuses one it cannot read).
    sh(
        &env,
        &format!("cd {ctx} && chmod 755 secret secret/locked && rm -rf secret"),
    )
    .ok();
    env.hutch(["rmi", "localhost/big"]).ok();
    build_both(&env, "big", "localhost/big", &[]);
    sh(&env, &format!("chmod -R u+rwX {ctx}")).ok();
}

/// Podman's 070-build "COPY with ignore": an excluded directory is listed only when a `!`
/// pattern names something under it literally (`!subdir1/sub3*`), so `!*/sub1*` lets in
/// subdir1/sub1 but nothing from subdir2, as Docker and Podman decide; with --ignorefile too.
#[test]
fn ignore_exceptions_reach_only_directories_they_name() {
    let env = Env::new();
    let _p = PodmanRun::new(&env);
    env.pull("fixtures/basic");
    let files = [
        "test1",
        "test1.txt",
        "test2",
        "test2.txt",
        "subdir1/sub1",
        "subdir1/sub1.txt",
        "subdir1/sub2",
        "subdir1/sub2.txt",
        "subdir1/sub3",
        "subdir1/sub3.txt",
        "subdir2/sub1",
        "subdir2/sub1.txt",
        "subdir2/sub2",
        "subdir2/sub2.txt",
        "other",
    ];
    for f in files {
        env.write(&format!("ig/{f}"), &format!("{f}\n"));
    }
    let rules = "# comment\ntest*\n!test2*\nsubdir1\nsubdir2\n!*/sub1*\n!subdir1/sub3*\n";
    env.write(
        "ig/Containerfile",
        "FROM 127.0.0.1:5000/fixtures/basic\nCOPY ./ /new/\n",
    );
    env.write("ig/.dockerignore", rules);
    build_both(&env, "ig", "localhost/ig", &[]);
    let want = "/new\n/new/.dockerignore\n/new/Containerfile\n/new/other\n/new/subdir1\n/new/subdir1/sub1\n\
                /new/subdir1/sub1.txt\n/new/subdir1/sub3\n/new/subdir1/sub3.txt\n/new/test2\n/new/test2.txt\n";
    let r = env
        .hutch(["run", "--rm", "localhost/ig", "sh", "-c", "find /new | sort"])
        .ok();
    assert_eq!(r.stdout, want, "{r:?}");
    // The same rules from --ignorefile.
    std::fs::remove_file(env.root.join("ig/.dockerignore")).unwrap();
    let rules_file = env.write("rules", rules);
    let rf = rules_file.display().to_string();
    env.hutch(["build", "--ignorefile", &rf, "-t", "localhost/ig2", &path(&env, "ig")])
        .ok();
    let r = env
        .hutch(["run", "--rm", "localhost/ig2", "sh", "-c", "find /new | sort"])
        .ok();
    assert_eq!(r.stdout, want.replace("/new/.dockerignore\n", ""), "{r:?}");
}

/// Podman's output and options that scripts read: `COMMIT NAME` with -t's name as written,
/// --logfile taking the steps and RUN's output, --pull=never's `creating build container`.
#[test]
fn commit_line_logfile_and_pull_never_as_podman() {
    let env = Env::new();
    env.pull("fixtures/basic");
    env.write(
        "lf/Containerfile",
        "FROM 127.0.0.1:5000/fixtures/basic\nRUN echo run-output-marker\n",
    );
    let ctx = path(&env, "lf");
    let r = env.hutch(["build", "-t", "built_here", &ctx]).ok();
    assert!(r.stdout.lines().any(|l| l == "COMMIT built_here"), "{r:?}");
    // `--> ` and the id's first 11 digits, as Podman.
    let id = r.stdout.lines().last().unwrap().to_string();
    assert!(r.stdout.lines().any(|l| l == format!("--> {}", &id[..11])), "{r:?}");
    assert!(
        r.stdout.contains("Successfully tagged localhost/built_here:latest"),
        "{r:?}"
    );
    let log = path(&env, "build.log");
    let r = env
        .hutch([
            "build",
            "--no-cache",
            "--format=docker",
            "--logfile",
            &log,
            "-t",
            "logged",
            &ctx,
        ])
        .ok();
    // Only the image id on stdout; the rest in the file.
    assert_eq!(r.stdout.lines().count(), 1, "{r:?}");
    assert_eq!(r.stdout.trim().len(), 64, "{r:?}");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("STEP 2/2: RUN echo run-output-marker"), "{text}");
    assert!(text.lines().any(|l| l == "run-output-marker"), "{text}");
    assert!(text.contains("COMMIT logged"), "{text}");
    // A log file that cannot be written: a clear error, nothing built.
    env.hutch(["build", "--logfile", "/nonexistent-dir/log", "-t", "nolog", &ctx])
        .fails_with("--logfile /nonexistent-dir/log");
    assert_eq!(env.hutch(["image", "exists", "nolog"]).code, 1);
    env.write(
        "pn/Containerfile",
        "FROM 127.0.0.1:5000/fixtures/nosuchimage:nosuchtag\nRUN true\n",
    );
    env.hutch(["build", "--pull=never", &path(&env, "pn")])
        .fails_with("Error: creating build container: 127.0.0.1:5000/fixtures/nosuchimage:nosuchtag: image not known");
}

/// An image from scratch gets the default PATH, as with Docker and Podman.
#[test]
fn scratch_images_get_the_default_path() {
    let env = Env::new();
    let _p = PodmanRun::new(&env);
    env.write("sc/Containerfile", "FROM scratch\nCOPY f /f\nENV name=value\n");
    env.write("sc/f", "f\n");
    build_both(&env, "sc", "localhost/sc", &[]);
    let i = env.inspect("localhost/sc");
    assert_eq!(
        i["Config"]["Env"],
        serde_json::json!([
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "name=value"
        ]),
        "{i}"
    );
}

/// Archives made with Python's tarfile in `dir`: `files.tar` (a file and a symlink named as
/// directories the image has), `parent.tar` (a `dir -> ..` symlink with a file under it) and
/// `pax.tar` and `gl.tar` (a pax global header, as `git archive` writes, before a file; the
/// latter's named `/tmp/GlobalHead.1.1`, as in buildah's corpus).
const TARS: &str = r#"
import io, tarfile
def add(t, name, data=None, link=None):
    ti = tarfile.TarInfo(name)
    ti.mtime = 1600000000
    if link is not None:
        ti.type = tarfile.SYMTYPE
        ti.linkname = link
        t.addfile(ti)
    else:
        ti.size = len(data)
        ti.mode = 0o644
        t.addfile(ti, io.BytesIO(data))
with tarfile.open("files.tar", "w", format=tarfile.GNU_FORMAT) as t:
    add(t, "populated", b"now a file\n")
    add(t, "empty", link="populated")
with tarfile.open("parent.tar", "w", format=tarfile.GNU_FORMAT) as t:
    add(t, "symldir1", link="..")
    add(t, "symldir1/etc/myfile", b"hello\n")
with tarfile.open("pax.tar", "w", format=tarfile.PAX_FORMAT, pax_headers={"comment": "global"}) as t:
    add(t, "content.txt", b"content\n")
with tarfile.open("gl.tar", "w", format=tarfile.GNU_FORMAT) as t:
    g = tarfile.TarInfo("/tmp/GlobalHead.1.1")
    g.type = tarfile.XGLTYPE
    t.addfile(g)
    add(t, "g.txt", b"g\n")
"#;

/// Cases of buildah's conformance corpus where hutch differed from Podman: a directory, even
/// a populated one, replaced by a symlink or a file (COPY, ADD of an archive, RUN); an
/// archive's `dir -> ..` symlink resolving inside the destination, not above it; ADD through
/// a dangling symlink (the directories it names are made); a tar with a pax global header;
/// a glob that matches nothing beside a source that matches; a file two sources name; RUN's
/// environment (no TERM, no `container=`).
#[test]
fn replacements_symlinked_parents_and_odd_archives_match_podman_build() {
    let env = Env::new();
    let _p = PodmanRun::new(&env);
    env.pull("fixtures/basic");
    env.write(
        "rp/Containerfile",
        "FROM 127.0.0.1:5000/fixtures/basic\n\
         COPY tree2/ /t/\n\
         COPY tree1/ /t/\n\
         RUN mkdir -p /d/populated/sub /d/empty && echo x > /d/populated/sub/f && ln -s nowhere /link\n\
         ADD files.tar /d/\n\
         ADD parent.tar /p/\n\
         ADD tree2 /link/sub/\n\
         ADD pax.tar /x/\n\
         ADD gl.tar /gl/\n\
         COPY tree1 nomatch-* /g/\n\
         COPY tree1/directory/file-in-directory tree1/directory/file-* /dup/\n\
         RUN rm -rf /t/directory && ln -s /etc /t/directory\n\
         WORKDIR /w\n\
         RUN env | grep -v -E '^(HOSTNAME|OLDPWD)=' | sort > /env-contents.txt\n",
    );
    env.write("rp/tree1/directory/file-in-directory", "in directory\n");
    env.write(
        "rp/tree2/maybe-directory/file-in-maybe-directory",
        "in maybe-directory\n",
    );
    let dir = path(&env, "rp");
    sh(
        &env,
        &format!("cd {dir} && ln -s directory tree1/maybe-directory && python3 -c '{TARS}'"),
    )
    .ok();
    let tars = sh(&env, &format!("cd {dir} && tar tvf pax.tar && tar tvf parent.tar")).ok();
    assert!(tars.stdout.contains("symldir1 -> .."), "{tars:?}");
    build_both(&env, "rp", "localhost/rp", &[]);
    let r = env
        .hutch([
            "run",
            "--rm",
            "localhost/rp",
            "sh",
            "-c",
            "readlink /t/maybe-directory; readlink /d/empty; cat /d/populated /p/etc/myfile /x/content.txt /nowhere/sub/maybe-directory/*; ls /g",
        ])
        .ok();
    assert_eq!(
        r.stdout, "directory\npopulated\nnow a file\nhello\ncontent\nin maybe-directory\ndirectory\nmaybe-directory\n",
        "{r:?}"
    );
    // A glob matching nothing alone is still an error.
    env.write(
        "gl/Containerfile",
        "FROM 127.0.0.1:5000/fixtures/basic\nCOPY nomatch-* /g/\n",
    );
    env.hutch(["build", &path(&env, "gl")])
        .fails_with("COPY/ADD source nomatch-*: no file in the build context matches");
    // COPY --parents and --exclude are refused, not ignored.
    for flag in ["--parents", "--exclude=*.txt"] {
        env.write(
            "gl/Containerfile",
            &format!("FROM 127.0.0.1:5000/fixtures/basic\nCOPY {flag} Containerfile /c/\n"),
        );
        env.hutch(["build", &path(&env, "gl")])
            .fails_with(&format!("{} is not supported yet", flag.split('=').next().unwrap()));
    }
}

/// `.dockerignore` allow-lists (`**` then `!dir/file`, alternating exclusions and exceptions):
/// an excluded directory something is let in from can be a COPY source, and is made 0755 in the
/// image, whatever its mode in the context, as Docker and Podman make it.
#[test]
fn ignore_allow_lists_match_podman_build() {
    let env = Env::new();
    let _p = PodmanRun::new(&env);
    env.pull("fixtures/basic");
    env.write(
        "al/Containerfile",
        "FROM 127.0.0.1:5000/fixtures/basic\n\
         ADD folder1 /f1\n\
         COPY . /all/\n\
         ADD subdir/subdir1 /alt/\n",
    );
    env.write(
        "al/.dockerignore",
        "**\n!folder1/file1\n!folder/subfolder/file\n!subdir\nsubdir/subdir1\n!subdir/subdir1/subdir2\n\
         subdir/subdir1/subdir2/subdir3\n!subdir/subdir1/subdir2/subdir3/file\n",
    );
    env.write("al/folder1/file1", "1\n");
    env.write("al/folder1/file2", "2\n");
    env.write("al/folder/subfolder/file", "f\n");
    env.write("al/folder/other", "o\n");
    env.write("al/subdir/subdir1/subdir2/subdir3/file", "s\n");
    env.write("al/subdir/subdir1/subdir2/subdir3/skipped", "x\n");
    env.write("al/subdir/subdir1/skipped", "x\n");
    env.write(
        "mt/Containerfile",
        "FROM 127.0.0.1:5000/fixtures/basic\nCOPY stuff /tmp/stuff\nCOPY ./ /newdir\n",
    );
    env.write(
        "mt/.dockerignore",
        "stuff/huge/*\n!stuff/huge/usr/bin/*\nsubdir\n!*/sub1*\n!subdir/sub3*\n",
    );
    env.write("mt/stuff/huge/usr/bin/file1", "1\n");
    env.write("mt/stuff/huge/usr/lib/file2", "2\n");
    env.write("mt/subdir/sub1.txt", "1\n");
    env.write("mt/subdir/sub2.txt", "2\n");
    env.write("mt/subdir/sub3.txt", "3\n");
    for d in ["al", "mt"] {
        sh(
            &env,
            &format!(
                "cd {} && find . -type d -exec chmod 775 {{}} + && find . -type f -exec chmod 664 {{}} +",
                path(&env, d)
            ),
        )
        .ok();
    }
    build_both(&env, "al", "localhost/al", &[]);
    build_both(&env, "mt", "localhost/mt", &[]);
    let r = env
        .hutch([
            "run",
            "--rm",
            "localhost/al",
            "sh",
            "-c",
            "cd / && find f1 all alt | sort && stat -c %a all/folder all/folder/subfolder",
        ])
        .ok();
    assert_eq!(
        r.stdout,
        "all\nall/folder\nall/folder/subfolder\nall/folder/subfolder/file\nall/folder1\nall/folder1/file1\n\
         all/subdir\nall/subdir/subdir1\nall/subdir/subdir1/subdir2\nall/subdir/subdir1/subdir2/subdir3\n\
         all/subdir/subdir1/subdir2/subdir3/file\nalt\nalt/subdir2\nalt/subdir2/subdir3\nalt/subdir2/subdir3/file\n\
         f1\nf1/file1\n755\n755\n",
        "{r:?}"
    );
}
