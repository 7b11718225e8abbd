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
    let mut v: Vec<String> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
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
        assert_eq!(files(&out), files(&committed), "{what}/ differs: run `hutch generate {what} {what}` and commit");
        for f in files(&out) {
            let a = std::fs::read(out.join(&f)).unwrap();
            let b = std::fs::read(committed.join(&f)).unwrap();
            assert!(a == b, "{what}/{f} is out of date: run `hutch generate {what} {what}` and commit");
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

#[test]
fn bash_completion_completes_verbs() {
    let script = format!(
        "source {}; COMP_WORDS=(hutch ru); COMP_CWORD=1; COMP_LINE='hutch ru'; COMP_POINT=8; _hutch hutch ru hutch; echo \"${{COMPREPLY[@]}}\"",
        repo().join("completions/hutch.bash").display()
    );
    let out = Command::new("bash").arg("-c").arg(script).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "run");
}

#[test]
fn zsh_completion_loads() {
    let dir = repo().join("completions");
    let script = format!("fpath=({} $fpath); autoload -U compinit; compinit -u -D; autoload -U _hutch; whence -w _hutch", dir.display());
    let out = Command::new("zsh").arg("-fc").arg(script).env("HOME", std::env::temp_dir()).output().expect("zsh (tests/run installs it)");
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("_hutch: function"), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
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
    let r = env.hutch(["version", "--format", "{{.Version}} {{json .OsArch}} {{if .Version}}yes{{else}}no{{end}}"]).ok();
    assert_eq!(r.stdout, format!("{} \"linux/{}\" yes\n", env!("CARGO_PKG_VERSION"), std::env::consts::ARCH.replace("x86_64", "amd64").replace("aarch64", "arm64")));
    let r = env.hutch(["info", "--format", "{{.Store.GraphRoot}}|{{printf \"%d\" .Store.ImageCount}}"]).ok();
    assert_eq!(r.stdout, format!("{}|0\n", env.store().display()));
    let r = env.hutch(["version", "--format", "table {{.Version}}\\t{{.OsArch}}"]).ok();
    assert!(r.stdout.starts_with("VERSION\tOS ARCH\n"), "{r:?}");
    // Empty listings print only the header.
    assert_eq!(env.hutch(["ps", "-a", "--format", "table {{.ID}} {{.Names}}"]).ok().stdout, "CONTAINER ID NAMES\n");
    assert_eq!(env.hutch(["images", "--format", "table {{.ID}} {{.Repository}}"]).ok().stdout, "IMAGE ID REPOSITORY\n");
    assert_eq!(env.hutch(["images", "--format", "table {{.ID}}", "--noheading"]).ok().stdout, "");
    for (args, needle) in [
        (vec!["ps", "-a", "--format", "{{.ID"], "template \"{{.ID\": "),
        (vec!["version", "--format", "{{range .X}}"], "template \"{{range .X}}\": unexpected EOF"),
        (vec!["version", "--format", "{{.Nope}}"], "template \"{{.Nope}}\": map has no entry for key: Nope"),
        (vec!["info", "--format", "{{nosuch .Store}}"], "template \"{{nosuch .Store}}\": "),
    ] {
        let r = env.hutch(&args).fails_with(needle);
        assert_eq!(r.stdout, "", "{args:?}: nothing half-written");
    }
}
