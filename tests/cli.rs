//! The CLI surface: committed man pages and completions match the code, every `--help` works,
//! completions load in bash and zsh, man pages render without warnings.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// The checkout under test. `cargo test` sets CARGO_MANIFEST_DIR when it runs the test, which
/// stays right when a shared target dir holds a test binary built from another clone.
fn repo() -> PathBuf {
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()))
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn committed_man_pages_and_completions_match_the_code() {
    let env = Env::new();
    for what in ["man", "completions"] {
        let out = env.root.join(format!("gen-{what}"));
        let r = env.hutch(["generate", what, out.to_str().unwrap()]).ok();
        assert_eq!(r.stdout, "");
        let committed = repo().join(what);
        assert_eq!(
            files(&out),
            files(&committed),
            "{what}/ differs: run `hutch generate {what} {what}` and commit"
        );
        for f in files(&out) {
            let a = std::fs::read(out.join(&f)).unwrap();
            let b = std::fs::read(committed.join(&f)).unwrap();
            assert!(
                a == b,
                "{what}/{f} is out of date: run `hutch generate {what} {what}` and commit"
            );
        }
    }
}

/// Every command and subcommand, from the man page names (hutch-image-ls.1 -> image ls).
fn commands() -> Vec<Vec<String>> {
    files(&repo().join("man"))
        .iter()
        .map(|f| f.trim_end_matches(".1").split('-').skip(1).map(String::from).collect())
        .collect()
}

#[test]
fn every_help_runs() {
    let env = Env::new();
    let cmds = commands();
    assert!(cmds.len() > 30, "{cmds:?}");
    for c in cmds {
        let mut args = c.clone();
        args.push("--help".into());
        let r = env.hutch(&args).ok();
        assert!(r.stdout.contains("Usage: hutch"), "{c:?}: {r:?}");
        assert_eq!(r.stderr, "", "{c:?}");
    }
}

/// What bash's completion function for hutch offers for `line` (the cursor at its end), run
/// as the test user against its store with the committed completions/hutch.bash.
fn bash_complete(env: &Env, line: &str) -> Vec<String> {
    // The word bash completes ($2): what follows the last blank or COMP_WORDBREAKS char.
    let cur = line.rsplit([' ', ':', '=']).next().unwrap();
    let script = format!(
        "source {}; COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}; _hutch hutch '{cur}' x; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        repo().join("completions/hutch.bash").display()
    );
    let r = env.program("bash", ["-c", &script]).ok();
    assert_eq!(r.stderr, "", "{r:?}");
    r.stdout.lines().filter(|l| !l.is_empty()).map(String::from).collect()
}

#[test]
fn bash_completion_completes_verbs() {
    let env = Env::new();
    assert_eq!(bash_complete(&env, "hutch ru"), ["run"]);
    assert_eq!(bash_complete(&env, "hutch image pr"), ["prune"]);
    assert_eq!(bash_complete(&env, "hutch run --pull=ne"), ["never"]);
    assert_eq!(bash_complete(&env, "hutch ps --no-t"), ["--no-trunc"]);
    // No store yet: no candidates, and completing does not create one.
    assert!(bash_complete(&env, "hutch start ").is_empty());
    assert!(bash_complete(&env, "hutch rmi ").is_empty());
    assert!(!env.store().exists(), "completion must not create the store");
}

#[test]
fn completion_offers_containers_and_images() {
    let env = Env::new();
    env.pull("fixtures/basic");
    env.hutch(["tag", &format!("{PLAIN}/fixtures/basic"), "mytool:1.0"])
        .ok();
    env.hutch(["create", "--name", "webby", "fixtures/basic", "true"]).ok();
    let id = env
        .hutch(["ps", "-a", "--no-trunc", "--format", "{{.ID}}"])
        .ok()
        .stdout
        .trim()
        .to_string();
    let lock = env.store().join("containers/containers.lock");
    let before = std::fs::metadata(&lock).map(|m| m.modified().unwrap()).ok();
    assert_eq!(bash_complete(&env, "hutch start "), ["webby"]);
    assert_eq!(bash_complete(&env, "hutch logs we"), ["webby"]);
    assert_eq!(bash_complete(&env, "hutch container rm w"), ["webby"]);
    assert_eq!(bash_complete(&env, &format!("hutch inspect {}", &id[..4])), [&id[..12]]);
    // Only running containers for stop, exec and kill: this one was never started.
    assert!(bash_complete(&env, "hutch stop ").is_empty());
    assert!(bash_complete(&env, "hutch exec ").is_empty());
    // Images by name (familiar form for localhost/), whole words across bash's `:` split.
    let mut imgs = bash_complete(&env, "hutch run ");
    imgs.sort();
    assert_eq!(
        imgs,
        [format!("{PLAIN}/fixtures/basic:latest"), "mytool:1.0".to_string()]
    );
    assert_eq!(bash_complete(&env, "hutch rmi mytool:"), ["1.0"]);
    assert_eq!(
        bash_complete(&env, "hutch image inspect 127.0.0.1:5000/fix"),
        ["5000/fixtures/basic:latest"]
    );
    assert_eq!(bash_complete(&env, "hutch run mytool:1.0 "), Vec::<String>::new());
    assert_eq!(bash_complete(&env, "hutch run --network sl"), ["slirp4netns"]);
    // The word after the container is a port: no container names there.
    assert!(bash_complete(&env, "hutch port webby ").is_empty());
    // The same candidates through the protocol zsh and fish use, with descriptions.
    let fish = env
        .program("env", ["HUTCH_COMPLETE=fish", "hutch", "--", "hutch", "wait", ""])
        .ok();
    assert_eq!(
        fish.stdout,
        format!("webby\t{PLAIN}/fixtures/basic:latest (not running)\n")
    );
    let zsh = env
        .program(
            "env",
            [
                "HUTCH_COMPLETE=zsh",
                "_HUTCH_COMPLETE_INDEX=2",
                "hutch",
                "--",
                "hutch",
                "start",
                "w",
            ],
        )
        .ok();
    assert_eq!(
        zsh.stdout,
        format!("webby:{PLAIN}/fixtures/basic:latest (not running)\n")
    );
    // Read-only: the container index's lock was not even touched.
    assert_eq!(std::fs::metadata(&lock).map(|m| m.modified().unwrap()).ok(), before);
}

#[test]
fn zsh_completion_loads() {
    let dir = repo().join("completions");
    // From fpath (compinit reads `#compdef hutch`), and sourced (the file calls compdef).
    for load in [
        format!("fpath=({} $fpath); autoload -U compinit; compinit -u -D", dir.display()),
        format!("autoload -U compinit; compinit -u -D; source {}/_hutch", dir.display()),
    ] {
        let script = format!("{load}; print -r -- $_comps[hutch]; whence -w _hutch");
        let out = Command::new("zsh")
            .arg("-fc")
            .arg(script)
            .env("HOME", std::env::temp_dir())
            .output()
            .expect("zsh (tests/run installs it)");
        assert!(out.status.success(), "{out:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "_hutch\n_hutch: function\n",
            "{load}"
        );
        assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    }
}

#[test]
fn man_pages_render_without_warnings() {
    for f in files(&repo().join("man")) {
        let out = Command::new("man")
            .args(["--warnings", "-l"])
            .arg(repo().join("man").join(&f))
            .env("MANWIDTH", "80")
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .output()
            .expect("man (tests/run installs man-db)");
        assert!(out.status.success(), "{f}: {out:?}");
        assert!(!out.stdout.is_empty(), "{f}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{f} has warnings");
    }
}

#[test]
fn go_templates_and_bad_templates() {
    let env = Env::new();
    let r = env
        .hutch([
            "version",
            "--format",
            "{{.Version}} {{json .OsArch}} {{if .Version}}yes{{else}}no{{end}}",
        ])
        .ok();
    assert_eq!(
        r.stdout,
        format!(
            "{} \"linux/{}\" yes\n",
            env!("CARGO_PKG_VERSION"),
            std::env::consts::ARCH
                .replace("x86_64", "amd64")
                .replace("aarch64", "arm64")
        )
    );
    let r = env
        .hutch([
            "info",
            "--format",
            "{{.Store.GraphRoot}}|{{printf \"%d\" .Store.ImageCount}}",
        ])
        .ok();
    assert_eq!(r.stdout, format!("{}|0\n", env.store().display()));
    let r = env
        .hutch(["version", "--format", "table {{.Version}}\\t{{.OsArch}}"])
        .ok();
    assert!(
        r.stdout.starts_with("VERSION     OS ARCH\n"),
        "columns aligned as Podman's tabwriter does: {r:?}"
    );
    // Empty listings print only the header.
    assert_eq!(
        env.hutch(["ps", "-a", "--format", "table {{.ID}} {{.Names}}"])
            .ok()
            .stdout,
        "CONTAINER ID NAMES\n"
    );
    assert_eq!(
        env.hutch(["images", "--format", "table {{.ID}} {{.Repository}}"])
            .ok()
            .stdout,
        "IMAGE ID REPOSITORY\n"
    );
    assert_eq!(
        env.hutch(["images", "--format", "table {{.ID}}", "--noheading"])
            .ok()
            .stdout,
        ""
    );
    for (args, needle) in [
        (vec!["ps", "-a", "--format", "{{.ID"], "template \"{{.ID\": "),
        (
            vec!["version", "--format", "{{range .X}}"],
            "template \"{{range .X}}\": unexpected EOF",
        ),
        (
            vec!["version", "--format", "{{.Nope}}"],
            "template \"{{.Nope}}\": map has no entry for key: Nope",
        ),
        (
            vec!["info", "--format", "{{nosuch .Store}}"],
            "template \"{{nosuch .Store}}\": ",
        ),
    ] {
        let r = env.hutch(&args).fails_with(needle);
        assert_eq!(r.stdout, "", "{args:?}: nothing half-written");
    }
}
