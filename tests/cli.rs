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
