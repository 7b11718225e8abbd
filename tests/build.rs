//! `hutch build`: Containerfiles built by hutch compared with `podman build` of the same file and
//! context (config fields, and every file of a container of each: type, mode, owner, link target,
//! contents), multi-stage builds and targets, the layer cache, contexts and ignore files, RUN
//! mounts and secrets, and bad input.

mod common;

use common::build_compare::*;
use common::*;

/// Whether a RUN step's output (a line of its own, not the STEP line naming it) is there.
fn ran(r: &Run, marker: &str) -> bool {
    r.stdout.lines().any(|l| l == marker)
}

const BASE: &str = "127.0.0.1:5000/fixtures/basic";

#[test]
fn instructions_match_podman_build() {
    let env = Env::new();
    let _p = PodmanRun::new(&env);
    env.pull("fixtures/basic");
    env.write(
        "c1/Containerfile",
        r#"# syntax=docker/dockerfile:1
FROM 127.0.0.1:5000/fixtures/basic
ARG VERSION=1.0
ARG UNUSED
ENV APP_HOME=/srv/app \
    GREETING="hello world" PATHX=${VERSION:-none}-${UNSET:-dflt}-${VERSION:+set}
LABEL version=$VERSION "with space"="a b" \
      maintainer=hutch
WORKDIR $APP_HOME
COPY src/ ./src/
COPY *.txt notes/
COPY --chmod=0750 --chown=tester tool.sh /usr/local/bin/tool
COPY --chown=123:456 single.txt /opt/renamed.txt
ADD bundle.tar /opt/bundle/
RUN echo "$GREETING $VERSION" > greeting && mkdir -p /var/lib/app && chown 1000:1000 /var/lib/app \
 && rm /etc/fixture && ln -s /srv/app/greeting /etc/greeting-link && chmod 4755 /usr/local/bin/tool
RUN ["/bin/sh", "-c", "echo exec-form > /exec.txt"]
RUN rm -rf /srv/app/src/sub && mkdir /srv/app/src/sub && echo new > /srv/app/src/sub/only.txt
SHELL ["/bin/sh", "-e", "-c"]
RUN echo shell-set > /shell.txt
USER tester
EXPOSE 8080 53/udp 9000-9001/tcp
VOLUME ["/data", "/cache"]
STOPSIGNAL SIGUSR1
HEALTHCHECK --interval=30s --timeout=5s --start-period=1m --retries=4 CMD ["/bin/true"]
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /srv/app/greeting"]
"#,
    );
    env.write("c1/src/a.txt", "a\n");
    env.write("c1/src/sub/b.txt", "b\n");
    env.write("c1/src/sub/gone.txt", "gone\n");
    env.write("c1/one.txt", "1\n");
    env.write("c1/two.txt", "2\n");
    env.write("c1/single.txt", "single\n");
    env.write("c1/tool.sh", "#!/bin/sh\necho tool\n");
    env.write("c1/secret.key", "never copied\n");
    env.write("c1/.dockerignore", "*.key\n");
    sh(&env, &format!("cd {0} && ln -s a.txt src/link && mkdir -p b/inner && echo in > b/inner/f && chmod 0600 b/inner/f && tar -cf bundle.tar -C b . && rm -r b", path(&env, "c1"))).ok();
    let out = build_both(
        &env,
        "c1",
        "localhost/c1",
        &["--format", "docker", "--build-arg", "VERSION=2.5"],
    );
    assert!(out.stdout.contains("STEP 1/"), "{out:?}");
    let id = out.stdout.lines().last().unwrap().to_string();
    assert_eq!(id.len(), 64, "{out:?}");
    let i = env.inspect("localhost/c1");
    assert_eq!(i["Config"]["Env"][3], "PATHX=2.5-dflt-set", "{i}");
    assert_eq!(i["Config"]["Healthcheck"]["Interval"], 30_000_000_000i64);
    // The result runs, as the image's user, with its entrypoint and command.
    let r = env.hutch(["run", "--rm", "localhost/c1"]).ok();
    assert_eq!(r.stdout, "hello world 2.5\n");
    let r = env
        .hutch(["run", "--rm", "--entrypoint", "", "localhost/c1", "id", "-un"])
        .ok();
    assert_eq!(r.stdout, "tester\n");
    // History: one entry per instruction (ARG excepted), layers where files changed.
    let h = env
        .hutch(["image", "history", "--format", "{{.CreatedBy}}", "localhost/c1"])
        .ok();
    assert!(h.stdout.contains("ENV APP_HOME=/srv/app"), "{h:?}");
    assert!(h.stdout.contains("echo exec-form"), "{h:?}");
}

#[test]
fn multi_stage_builds_only_what_the_target_needs() {
    let env = Env::new();
    let _p = PodmanRun::new(&env);
    env.pull("fixtures/basic");
    env.write(
        "ms/Containerfile",
        &format!(
            r#"ARG BASE={BASE}
FROM $BASE AS builder
RUN mkdir -p /out/bin && echo built > /out/bin/artifact && chmod 700 /out/bin/artifact && chown 1000:1000 /out/bin/artifact && ln -s artifact /out/bin/alias
FROM $BASE AS unused
RUN echo unused-stage-ran && false
FROM scratch AS test
COPY --from=builder /out/bin/artifact /artifact
FROM $BASE
COPY --from=builder /out/ /opt/
COPY --from=0 /out/bin/artifact /copied-by-index
COPY --from={BASE} /etc/passwd /from-image-passwd
CMD ["cat", "/opt/bin/artifact"]
"#
        ),
    );
    let out = build_both(&env, "ms", "localhost/ms", &[]);
    assert!(!ran(&out, "unused-stage-ran"), "{out:?}");
    assert_eq!(env.hutch(["run", "--rm", "localhost/ms"]).ok().stdout, "built\n");
    // --target stops at a stage (here a scratch one) and builds only its dependencies.
    let ctx = path(&env, "ms");
    let out = env
        .hutch(["build", "--target", "test", "-t", "localhost/ms-test", &ctx])
        .ok();
    assert!(!ran(&out, "unused-stage-ran"), "{out:?}");
    let i = env.inspect("localhost/ms-test");
    assert_eq!(i["RootFS"]["Layers"].as_array().unwrap().len(), 1, "{i}");
    env.hutch(["build", "--target", "nosuch", &ctx])
        .fails_with("--target nosuch: no stage named nosuch");
}

#[test]
fn cache_reuses_steps_until_a_source_changes() {
    let env = Env::new();
    env.pull("fixtures/basic");
    env.write(
        "cc/Containerfile",
        &format!("FROM {BASE}\nRUN echo first-run-ran && echo 1 > /first\nCOPY src/ /src/\nRUN echo second-run-ran && cat /src/a.txt > /copy\nENV X=1\nCMD [\"cat\", \"/copy\"]\n"),
    );
    env.write("cc/src/a.txt", "one\n");
    env.write("cc/src/b.txt", "b\n");
    let ctx = path(&env, "cc");
    let first = env.hutch(["build", "-t", "localhost/cc", &ctx]).ok();
    assert!(
        ran(&first, "first-run-ran") && ran(&first, "second-run-ran"),
        "{first:?}"
    );
    let id = first.stdout.lines().last().unwrap().to_string();
    // The images made to run the steps in are not kept as images.
    let imgs = env.hutch(["images", "--format", "{{.Repository}}"]).ok();
    assert_eq!(imgs.stdout.lines().count(), 2, "{imgs:?}");
    // Unchanged: nothing runs, the same image comes out.
    let again = env.hutch(["build", "-t", "localhost/cc", &ctx]).ok();
    assert!(
        !ran(&again, "first-run-ran") && !ran(&again, "second-run-ran"),
        "{again:?}"
    );
    assert_eq!(again.stdout.matches("Using cache").count(), 5, "{again:?}");
    assert_eq!(again.stdout.lines().last().unwrap(), id);
    // A touched file (same contents) is still cached: the key is the contents, not the mtime.
    sh(&env, &format!("touch -d '2001-01-01' {ctx}/src/a.txt")).ok();
    let touched = env.hutch(["build", "-q", &ctx]).ok();
    assert_eq!(touched.stdout.trim(), id, "{touched:?}");
    // A changed file: the steps before its COPY are cached, the COPY and what follows run.
    env.write("cc/src/a.txt", "two\n");
    let changed = env.hutch(["build", "-t", "localhost/cc", &ctx]).ok();
    assert!(!ran(&changed, "first-run-ran"), "{changed:?}");
    assert!(ran(&changed, "second-run-ran"), "{changed:?}");
    assert_eq!(changed.stdout.matches("Using cache").count(), 1, "{changed:?}");
    assert_eq!(env.hutch(["run", "--rm", "localhost/cc"]).ok().stdout, "two\n");
    // --no-cache runs everything; --layers=false too.
    let nc = env.hutch(["build", "--no-cache", &ctx]).ok();
    assert!(
        ran(&nc, "first-run-ran") && !nc.stdout.contains("Using cache"),
        "{nc:?}"
    );
    let nl = env.hutch(["build", "--layers=false", &ctx]).ok();
    assert!(ran(&nl, "first-run-ran"), "{nl:?}");
}

/// `rmi` of one image keeps the build cache (another image's next build stays cached, and
/// `system check` counts the cache as in use); `image prune -a` and `system prune` drop it.
#[test]
fn rmi_keeps_the_build_cache_prune_drops_it() {
    let env = Env::new();
    env.pull("fixtures/basic");
    env.write(
        "kc/Containerfile",
        &format!("FROM {BASE}\nRUN echo step-one-ran && echo 1 > /one\nRUN echo step-two-ran && echo 2 > /two\n"),
    );
    env.write(
        "other/Containerfile",
        &format!("FROM {BASE}\nRUN echo other > /other\n"),
    );
    let ctx = path(&env, "kc");
    env.hutch(["build", "-t", "localhost/kc", &ctx]).ok();
    env.hutch(["build", "-t", "localhost/other", &path(&env, "other")]).ok();
    // Removing an unrelated image, and then the built image itself, leaves the cache whole.
    env.hutch(["rmi", "localhost/other"]).ok();
    env.hutch(["rmi", "localhost/kc"]).ok();
    env.hutch(["system", "check"]).ok();
    let again = env.hutch(["build", "-t", "localhost/kc", &ctx]).ok();
    assert!(
        !ran(&again, "step-one-ran") && !ran(&again, "step-two-ran"),
        "{again:?}"
    );
    assert_eq!(again.stdout.matches("Using cache").count(), 2, "{again:?}");
    // Pruning every image drops the cache's layers and configs with them.
    env.hutch(["rmi", "localhost/kc"]).ok();
    env.hutch(["image", "prune", "-a", "-f"]).ok();
    env.hutch(["system", "check"]).ok();
    // The base is gone too: a pull that fails (plain HTTP without --tls-verify=false) is
    // reported once, by the pull, not followed by an empty build error.
    let failed = env.hutch(["build", "-t", "localhost/kc", &ctx]);
    assert_eq!(failed.code, 125, "{failed:?}");
    assert_eq!(failed.stderr.matches("Error:").count(), 1, "{failed:?}");
    let cold = env
        .hutch(["build", "--tls-verify=false", "-t", "localhost/kc", &ctx])
        .ok();
    assert!(ran(&cold, "step-one-ran") && ran(&cold, "step-two-ran"), "{cold:?}");
}

#[test]
fn contexts_ignore_files_heredocs_args_and_mounts() {
    let env = Env::new();
    env.pull("fixtures/basic");
    // A context on stdin, the Containerfile found in it; Dockerfile used when there is no Containerfile.
    env.write(
        "st/Dockerfile",
        &format!("FROM {BASE}\nCOPY . /ctx/\nCMD [\"ls\", \"/ctx\"]\n"),
    );
    env.write("st/kept.txt", "k\n");
    env.write("st/drop/x.txt", "x\n");
    env.write("st/drop/keep.txt", "kk\n");
    env.write(
        "st/.containerignore",
        "drop\n!drop/keep.txt\n.containerignore\nDockerfile\n",
    );
    // An unreadable file under an ignored directory proves ignored files are never read.
    sh(
        &env,
        &format!(
            "cd {} && mkdir -p drop/private && echo s > drop/private/s && chmod 000 drop/private/s",
            path(&env, "st")
        ),
    )
    .ok();
    let r = sh(
        &env,
        &format!(
            "cd {} && tar -cf - --exclude=drop/private . | hutch build -q -t localhost/st -",
            path(&env, "st")
        ),
    )
    .ok();
    assert_eq!(r.stdout.trim().len(), 64, "{r:?}");
    let ls = env.hutch(["run", "--rm", "localhost/st", "sh", "-c", "find /ctx"]).ok();
    let mut l: Vec<&str> = ls.stdout.lines().collect();
    l.sort();
    assert_eq!(
        l,
        ["/ctx", "/ctx/drop", "/ctx/drop/keep.txt", "/ctx/kept.txt"],
        "{ls:?}"
    );
    let r = env
        .hutch(["build", "-q", "-t", "localhost/st2", &path(&env, "st")])
        .ok();
    assert_eq!(r.stdout.lines().count(), 1, "-q prints only the id: {r:?}");

    // -f -, heredocs, build args, --iidfile, --label, RUN mounts and secrets.
    env.write("secret.txt", "s3cret\n");
    env.write("hd/data.txt", "from-context\n");
    let file = format!(
        r#"FROM {BASE}
ARG WHO=nobody
RUN <<EOF
echo "hello $WHO" > /hello
echo second line >> /hello
EOF
COPY <<-EOT /etc/made.conf
	key=$WHO
	EOT
RUN --mount=type=cache,target=/cache echo run >> /cache/count && wc -l < /cache/count > /cache-count
RUN --mount=type=bind,target=/mnt cat /mnt/data.txt > /bound
RUN --mount=type=secret,id=tok cat /run/secrets/tok > /secret-copy
RUN --mount=type=tmpfs,target=/scratch touch /scratch/x && test ! -e /run/secrets/tok
"#
    );
    let iid = path(&env, "iid");
    let sec = format!("id=tok,src={}", path(&env, "secret.txt"));
    let ctx = path(&env, "hd");
    let build = |extra: &[&str]| {
        let mut a = vec![
            "build",
            "-f",
            "-",
            "--build-arg",
            "WHO=world",
            "--secret",
            &sec,
            "-t",
            "localhost/hd",
        ];
        a.extend_from_slice(extra);
        a.push(&ctx);
        let mut c = env.command(&a);
        c.stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = c.spawn().unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), file.as_bytes()).unwrap();
        to_run(child.wait_with_output().unwrap()).ok()
    };
    let r = build(&["--iidfile", &iid, "--label", "team=infra"]);
    let id = r.stdout.lines().last().unwrap();
    assert_eq!(std::fs::read_to_string(&iid).unwrap(), format!("sha256:{id}"));
    let cat = env
        .hutch([
            "run",
            "--rm",
            "localhost/hd",
            "cat",
            "/hello",
            "/etc/made.conf",
            "/cache-count",
            "/bound",
            "/secret-copy",
        ])
        .ok();
    assert_eq!(
        cat.stdout,
        "hello world\nsecond line\nkey=world\n1\nfrom-context\ns3cret\n"
    );
    assert_eq!(env.inspect("localhost/hd")["Config"]["Labels"]["team"], "infra");
    // The secret, the cache and the mount points are not in the image.
    let files = hutch_files(&env, "localhost/hd");
    for p in [
        "run/secrets",
        "run/secrets/tok",
        "cache",
        "mnt",
        "mnt/data.txt",
        "scratch",
    ] {
        assert!(!files.contains_key(p), "{p} in the image");
    }
    // The cache mount persists between builds (--no-cache re-runs the step: the count goes up).
    build(&["--no-cache"]);
    assert_eq!(
        env.hutch(["run", "--rm", "localhost/hd", "cat", "/cache-count"])
            .ok()
            .stdout,
        "2\n"
    );
}

#[test]
fn bad_input_fails_before_or_without_tagging() {
    let env = Env::new();
    env.pull("fixtures/basic");
    let before = env.hutch(["images", "-q"]).ok().stdout;
    // A syntax error: file, line and column, before anything runs.
    env.write(
        "e1/Containerfile",
        &format!("FROM {BASE}\nRUN echo should-not-run\n  BOGUS arg\n"),
    );
    let r = env
        .hutch(["build", "-t", "localhost/e1", &path(&env, "e1")])
        .fails_with("Containerfile:3:3: unknown instruction: BOGUS");
    assert!(!ran(&r, "should-not-run"), "{r:?}");
    env.write("e1/Containerfile", &format!("FROM {BASE} AS a extra\n"));
    env.hutch(["build", &path(&env, "e1")])
        .fails_with("Containerfile:1:1: FROM requires either one or three arguments");
    // An unknown stage in --from.
    env.write(
        "e2/Containerfile",
        &format!("FROM {BASE}\nCOPY --from=nosuchstage /x /x\n"),
    );
    env.hutch(["build", "--pull=never", &path(&env, "e2")])
        .fails_with("--from=nosuchstage: no stage named nosuchstage");
    // A missing COPY source.
    env.write("e3/Containerfile", &format!("FROM {BASE}\nCOPY missing.txt /x\n"));
    env.hutch(["build", &path(&env, "e3")])
        .fails_with("missing.txt: no such file or directory in the build context");
    // A failing RUN: its output shown, its exit code and the step named, nothing tagged.
    env.write(
        "e4/Containerfile",
        &format!("FROM {BASE}\nRUN echo about-to-fail && exit 3\n"),
    );
    let r = env
        .hutch(["build", "-t", "localhost/e4", &path(&env, "e4")])
        .fails_with("RUN echo about-to-fail && exit 3");
    assert!(ran(&r, "about-to-fail"), "{r:?}");
    assert!(r.stderr.contains("exit status 3"), "{r:?}");
    let r = env
        .hutch(["build", "-q", "-t", "localhost/e4", &path(&env, "e4")])
        .fails_with("exit status 3");
    assert!(
        r.stderr.contains("about-to-fail"),
        "-q shows the failed step's output: {r:?}"
    );
    assert_eq!(env.hutch(["image", "exists", "localhost/e4"]).code, 1);
    // Symlinks never lead out of the context: as a source they resolve inside it; inside a
    // copied directory they are copied as links.
    env.write("e5/Containerfile", &format!("FROM {BASE}\nCOPY outside /x\n"));
    sh(&env, &format!("cd {} && ln -s /etc/passwd outside", path(&env, "e5"))).ok();
    env.hutch(["build", &path(&env, "e5")])
        .fails_with("outside: no such file or directory in the build context");
    env.write("e5/Containerfile", &format!("FROM {BASE}\nCOPY . /ctx/\n"));
    env.hutch(["build", "-t", "localhost/e5", &path(&env, "e5")]).ok();
    let files = hutch_files(&env, "localhost/e5");
    assert!(
        files["ctx/outside"].starts_with("symlink 777 0:0 /etc/passwd"),
        "{:?}",
        files["ctx/outside"]
    );
    // Nothing half-made: no new image but e5, no container left behind.
    let after = env.hutch(["images", "-q"]).ok().stdout;
    assert_eq!(after.lines().count(), before.lines().count() + 1, "{after}");
    assert_eq!(env.hutch(["ps", "-a", "-q"]).ok().stdout, "");
    // Flags are checked first.
    env.hutch(["build", "--build-arg", "=x", &path(&env, "e5")])
        .fails_with("--build-arg =x");
    env.hutch(["build", "--secret", "id=x", &path(&env, "e5")])
        .fails_with("--secret id=x");
    env.hutch(["build", "/nonexistent-context"])
        .fails_with("context /nonexistent-context");
}
