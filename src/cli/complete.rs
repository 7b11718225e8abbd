//! Shell completion through clap_complete's dynamic engine: the shell calls
//! `HUTCH_COMPLETE=SHELL hutch -- WORDS…` and hutch answers with candidates computed from the
//! same clap definitions it parses with, plus what only the store knows: container names and
//! ids, image references. The store is read without locks and never created; an empty or
//! missing store gives no candidates. The shells' glue (completions/) is generated from here.
//!
//! hutch's own shell adapters differ from clap_complete's in two ways Podman users expect:
//! flags are offered only once a `-` is typed, and in bash a word with `:` (`alpine:3.19`,
//! `localhost:5000/app`) completes as one word.

use std::ffi::{OsStr, OsString};
use std::io::Write;

use clap::CommandFactory;
use clap_complete::engine::CompletionCandidate;
use clap_complete::env::{EnvCompleter, Shells};

use crate::store::Store;

/// The environment variable that turns a hutch invocation into a completion request.
pub const VAR: &str = "HUTCH_COMPLETE";

/// The shells hutch writes glue for, with the file name each one's goes to in completions/.
pub const SHELLS: Shells<'static> = Shells(&[
    &Bash,
    &Zsh,
    &Fish,
    &clap_complete::env::Elvish,
    &clap_complete::env::Powershell,
]);

pub fn file_name(shell: &str) -> &'static str {
    match shell {
        "bash" => "hutch.bash",
        "zsh" => "_hutch",
        "fish" => "hutch.fish",
        "elvish" => "hutch.elv",
        _ => "_hutch.ps1",
    }
}

/// Answer a completion request and exit when `HUTCH_COMPLETE` is set; otherwise return.
pub fn answer_if_asked() {
    if std::env::var_os(VAR).is_none() {
        return;
    }
    use_typed_dirs(std::env::args_os().skip_while(|a| a != "--").skip(1));
    clap_complete::CompleteEnv::with_factory(crate::cli::Cli::command)
        .var(VAR)
        .shells(SHELLS)
        .complete();
}

/// `--root DIR` / `--runroot DIR` (or `=DIR`) already typed on the line being completed: the
/// candidates come from that store.
fn use_typed_dirs(words: impl Iterator<Item = OsString>) {
    let words: Vec<OsString> = words.collect();
    let mut root = None;
    let mut runroot = None;
    for (i, w) in words.iter().enumerate() {
        let w = w.to_string_lossy();
        let next = || words.get(i + 1).map(std::path::PathBuf::from);
        match w.as_ref() {
            "--root" => root = next(),
            "--runroot" => runroot = next(),
            _ => {
                if let Some(v) = w.strip_prefix("--root=") {
                    root = Some(v.into());
                } else if let Some(v) = w.strip_prefix("--runroot=") {
                    runroot = Some(v.into());
                }
            }
        }
    }
    let _ = crate::paths::use_dirs(root.as_deref(), runroot.as_deref());
}

/// The glue script for one shell: it calls the `hutch` found in PATH.
pub fn registration(shell: &dyn EnvCompleter, buf: &mut dyn Write) -> std::io::Result<()> {
    shell.write_registration(VAR, "hutch", "hutch", "hutch", buf)
}

// ---------- candidates from the store ----------

fn store() -> Option<Store> {
    Store::open_existing(&crate::paths::data_dir().ok()?)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    All,
    Running,
    NotRunning,
}

/// Container names matching `current`, and short ids once two characters of one are typed
/// (Podman's rule). Running is checked from the live file and the pid's start time only, so
/// this never waits for a monitor.
fn containers_where(current: &OsStr, which: Which) -> Vec<CompletionCandidate> {
    let Some(store) = store() else { return vec![] };
    let Ok(idx) = store.load_containers() else {
        return vec![];
    };
    let cur = current.to_string_lossy();
    let mut out = Vec::new();
    for c in &idx.containers {
        let running = crate::container::running_now(&c.id);
        let wanted = match which {
            Which::All => true,
            Which::Running => running,
            Which::NotRunning => !running,
        };
        if !wanted {
            continue;
        }
        let help = format!("{} ({})", c.image_name, if running { "running" } else { "not running" });
        if c.name.starts_with(cur.as_ref()) {
            out.push(CompletionCandidate::new(&c.name).help(Some(help.clone().into())));
        }
        if cur.len() >= 2 && c.id.starts_with(cur.as_ref()) {
            out.push(CompletionCandidate::new(c.short_id()).help(Some(format!("{} {help}", c.name).into())));
        }
    }
    out
}

pub fn containers(current: &OsStr) -> Vec<CompletionCandidate> {
    containers_where(current, Which::All)
}

pub fn running_containers(current: &OsStr) -> Vec<CompletionCandidate> {
    containers_where(current, Which::Running)
}

pub fn stopped_containers(current: &OsStr) -> Vec<CompletionCandidate> {
    containers_where(current, Which::NotRunning)
}

/// `docker.io/library/alpine:3` -> `alpine:3`, `localhost/app:1` -> `app:1`: names that resolve
/// to the same image and read better.
fn familiar(name: &str) -> &str {
    for p in ["docker.io/library/", "localhost/"] {
        if let Some(rest) = name.strip_prefix(p) {
            return rest;
        }
    }
    name
}

/// Local image references matching `current` (the familiar form when that matches), and short
/// ids once two characters of one are typed.
pub fn images(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(store) = store() else { return vec![] };
    let Ok(idx) = store.load_images() else { return vec![] };
    let cur = current.to_string_lossy();
    let mut out = Vec::new();
    for img in &idx.images {
        let help = || Some(img.short_id().to_string().into());
        for name in &img.names {
            let short = familiar(name);
            if short.starts_with(cur.as_ref()) {
                out.push(CompletionCandidate::new(short).help(help()));
            } else if name.starts_with(cur.as_ref()) {
                out.push(CompletionCandidate::new(name).help(help()));
            }
        }
        let hex = cur.strip_prefix("sha256:").unwrap_or(&cur);
        if hex.len() >= 2 && img.id.starts_with(hex) {
            out.push(CompletionCandidate::new(img.short_id()).help(Some(
                img.names.first().cloned().unwrap_or_else(|| "<none>".into()).into(),
            )));
        }
    }
    out
}

/// `--network`: the modes, and `container:NAME` for each running container.
pub fn networks(current: &OsStr) -> Vec<CompletionCandidate> {
    let cur = current.to_string_lossy();
    let mut out: Vec<CompletionCandidate> = [
        ("podman", "the default network (shared, one pasta for all)"),
        ("private", "its own namespace (pasta, else slirp4netns)"),
        ("pasta", "its own namespace through pasta"),
        ("slirp4netns", "its own namespace through slirp4netns"),
        ("none", "only lo"),
        ("host", "the host's network"),
        ("ns:", "an existing network namespace: ns:PATH"),
    ]
    .into_iter()
    .filter(|(m, _)| m.starts_with(cur.as_ref()))
    .map(|(m, h)| CompletionCandidate::new(m).help(Some(h.into())))
    .collect();
    if "container:".starts_with(cur.as_ref()) || cur.starts_with("container:") {
        let name = cur.strip_prefix("container:").unwrap_or("");
        for c in containers_where(OsStr::new(name), Which::Running) {
            let v = format!("container:{}", c.get_value().to_string_lossy());
            out.push(CompletionCandidate::new(v).help(c.get_help().cloned()));
        }
    }
    out
}

/// `hutch inspect`: containers, then images.
pub fn objects(current: &OsStr) -> Vec<CompletionCandidate> {
    let mut v = containers(current);
    v.extend(images(current));
    v
}

// ---------- the shells ----------

/// The engine's candidates for `args` (the command line up to the cursor, `index` the word
/// being completed), without flags unless that word starts with `-` (as Podman does).
fn candidates(
    cmd: &mut clap::Command,
    mut args: Vec<OsString>,
    index: usize,
) -> std::io::Result<Vec<CompletionCandidate>> {
    if args.len() <= index {
        args.resize(index + 1, OsString::new());
    }
    let dash = args[index].to_string_lossy().starts_with('-');
    let cwd = std::env::current_dir().ok();
    let current = args[index].to_string_lossy().into_owned();
    let mut v = clap_complete::engine::complete(cmd, args, index, cwd.as_deref())?;
    // The engine keeps one candidate per subcommand, the first in sort order, so a visible
    // alias (`image-list`) can hide the name (`images`): put the name back when it matches.
    for c in v.iter_mut() {
        if let Some(name) = c.get_id().and_then(|id| id.strip_prefix("command::")) {
            if name.starts_with(current.as_str()) && c.get_value() != OsStr::new(name) {
                *c = CompletionCandidate::new(name)
                    .help(c.get_help().cloned())
                    .id(c.get_id().cloned());
            }
        }
    }
    if !dash {
        v.retain(|c| !c.get_value().to_string_lossy().starts_with('-'));
    }
    Ok(v)
}

fn help_line(c: &CompletionCandidate) -> Option<String> {
    c.get_help()
        .map(|h| h.to_string().lines().next().unwrap_or_default().to_string())
}

/// Split a command line the way bash will hand its words to hutch: blanks separate words
/// outside quotes, `'…'` is literal, `"…"` and a backslash escape. An unterminated quote
/// belongs to the last word; a line ending in a blank starts an empty word.
pub fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    cur.push(c);
                }
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' if matches!(chars.peek(), Some('"' | '\\' | '$' | '`')) => {
                            cur.push(chars.next().expect("peeked"))
                        }
                        c => cur.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    words.push(cur);
    words
}

/// Bash: the glue passes the line up to the cursor and the piece of the word bash will replace
/// (bash splits words at `:` and `=`, COMP_WORDBREAKS); candidates come back without the part
/// of the word before that piece, so `alpine:3<TAB>` and `--network=pa<TAB>` complete whole.
pub struct Bash;

impl EnvCompleter for Bash {
    fn name(&self) -> &'static str {
        "bash"
    }

    fn is(&self, name: &str) -> bool {
        name == "bash"
    }

    fn write_registration(
        &self,
        var: &str,
        name: &str,
        bin: &str,
        completer: &str,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        let f = format!("_{}", name.replace('-', "_"));
        write!(
            buf,
            r#"# bash completion for {bin}: candidates come from `{completer}` itself ({var}=bash), so
# they include your containers and images. Load with: source {bin}.bash
{f}() {{
    local IFS=$'\013'
    COMPREPLY=( $( {var}=bash _HUTCH_COMPLETE_PIECE="$2" {completer} -- "${{COMP_LINE:0:COMP_POINT}}" 2>/dev/null ) )
    if [[ ${{#COMPREPLY[@]}} -eq 1 && ${{COMPREPLY[0]}} == *[/=] ]]; then
        compopt -o nospace 2>/dev/null
    fi
    return 0
}}
if [[ "${{BASH_VERSINFO[0]}}" -eq 4 && "${{BASH_VERSINFO[1]}}" -ge 4 || "${{BASH_VERSINFO[0]}}" -gt 4 ]]; then
    complete -o nosort -F {f} {bin}
else
    complete -F {f} {bin}
fi
"#
        )
    }

    fn write_complete(
        &self,
        cmd: &mut clap::Command,
        args: Vec<OsString>,
        _cwd: Option<&std::path::Path>,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        let line = args
            .first()
            .map(|a| a.to_string_lossy().into_owned())
            .unwrap_or_default();
        let words = shell_words(&line);
        let current = words.last().cloned().unwrap_or_default();
        let piece = std::env::var("_HUTCH_COMPLETE_PIECE").unwrap_or_else(|_| current.clone());
        // What bash keeps of the word: everything before the piece it replaces (for `--pull=`
        // the piece is empty; with quotes in the word it is no suffix, and the whole word goes).
        let keep = current.strip_suffix(piece.as_str()).unwrap_or("");
        let index = words.len() - 1;
        let args: Vec<OsString> = words.into_iter().map(OsString::from).collect();
        let values: Vec<String> = candidates(cmd, args, index)?
            .iter()
            .map(|c| c.get_value().to_string_lossy().into_owned())
            .map(|v| v.strip_prefix(keep).map(str::to_string).unwrap_or(v))
            .collect();
        write!(buf, "{}", values.join("\u{b}"))
    }
}

/// Zsh: the glue works sourced (`source _hutch`) and autoloaded from fpath (`#compdef`).
pub struct Zsh;

impl EnvCompleter for Zsh {
    fn name(&self) -> &'static str {
        "zsh"
    }

    fn is(&self, name: &str) -> bool {
        name == "zsh"
    }

    fn write_registration(
        &self,
        var: &str,
        name: &str,
        bin: &str,
        completer: &str,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        let f = format!("_{}", name.replace('-', "_"));
        write!(
            buf,
            r#"#compdef {bin}
# zsh completion for {bin}: candidates come from `{completer}` itself ({var}=zsh), so they
# include your containers and images. Put this file in $fpath as _{bin}, or source it.
{f}() {{
    local -a completions dirs other
    local c
    completions=("${{(@f)$( _HUTCH_COMPLETE_INDEX=$((CURRENT - 1)) {var}=zsh {completer} -- "${{words[@]}}" 2>/dev/null )}}")
    for c in $completions; do
        [[ -z $c ]] && continue
        if [[ ${{c%%:*}} == */ ]]; then
            dirs+=("${{c%%:*}}")
        else
            other+=("$c")
        fi
    done
    (( $#dirs )) && compadd -S '' -- "${{dirs[@]}}"
    (( $#other )) && _describe -V values other
    return 0
}}
if [[ $funcstack[1] == {f} ]]; then
    {f} "$@"
else
    compdef {f} {bin}
fi
"#
        )
    }

    fn write_complete(
        &self,
        cmd: &mut clap::Command,
        args: Vec<OsString>,
        _cwd: Option<&std::path::Path>,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        let index = std::env::var("_HUTCH_COMPLETE_INDEX")
            .ok()
            .and_then(|i| i.parse().ok())
            .unwrap_or(args.len().saturating_sub(1));
        for c in candidates(cmd, args, index)? {
            let v = c
                .get_value()
                .to_string_lossy()
                .replace('\\', "\\\\")
                .replace(':', "\\:");
            match help_line(&c) {
                Some(h) => writeln!(buf, "{v}:{}", h.replace('\\', "\\\\"))?,
                None => writeln!(buf, "{v}")?,
            }
        }
        Ok(())
    }
}

/// Fish: clap_complete's glue; candidates as `value<TAB>description` lines.
pub struct Fish;

impl EnvCompleter for Fish {
    fn name(&self) -> &'static str {
        "fish"
    }

    fn is(&self, name: &str) -> bool {
        name == "fish"
    }

    fn write_registration(
        &self,
        var: &str,
        name: &str,
        bin: &str,
        completer: &str,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        clap_complete::env::Fish.write_registration(var, name, bin, completer, buf)
    }

    fn write_complete(
        &self,
        cmd: &mut clap::Command,
        args: Vec<OsString>,
        _cwd: Option<&std::path::Path>,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        let index = args.len().saturating_sub(1);
        for c in candidates(cmd, args, index)? {
            match help_line(&c) {
                Some(h) => writeln!(buf, "{}\t{h}", c.get_value().to_string_lossy())?,
                None => writeln!(buf, "{}", c.get_value().to_string_lossy())?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(shell: &dyn EnvCompleter, args: &[&str], env: &[(&str, &str)]) -> String {
        for (k, v) in env {
            std::env::set_var(k, v);
        }
        let mut buf = Vec::new();
        shell
            .write_complete(
                &mut crate::cli::Cli::command(),
                args.iter().map(OsString::from).collect(),
                None,
                &mut buf,
            )
            .unwrap();
        for (k, _) in env {
            std::env::remove_var(k);
        }
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn words_like_bash() {
        assert_eq!(shell_words("hutch ru"), ["hutch", "ru"]);
        assert_eq!(shell_words("hutch run "), ["hutch", "run", ""]);
        assert_eq!(
            shell_words("hutch  run 'a b' \"c\\\"d\" e\\ f \"unterm"),
            ["hutch", "run", "a b", "c\"d", "e f", "unterm"]
        );
        assert_eq!(shell_words(""), [""]);
    }

    #[test]
    fn verbs_flags_and_values() {
        // Only the engine's static knowledge here (no store is read for these words).
        assert_eq!(complete(&Bash, &["hutch ru"], &[]), "run");
        let verbs = complete(&Bash, &["hutch "], &[]);
        let verbs: Vec<&str> = verbs.split('\u{b}').collect();
        assert!(
            verbs.contains(&"ps") && verbs.contains(&"images") && verbs.contains(&"run"),
            "{verbs:?}"
        );
        assert!(
            !verbs.contains(&"list") && !verbs.contains(&"--help") && !verbs.contains(&"__monitor"),
            "{verbs:?}"
        );
        // `generate` is visible for `generate systemd` (as Podman's); its man/completions are not.
        assert!(verbs.contains(&"generate") && verbs.contains(&"volume"), "{verbs:?}");
        let gen = complete(&Bash, &["hutch generate "], &[]);
        assert!(
            gen.split('\u{b}').any(|w| w == "systemd") && !gen.contains("man"),
            "{gen:?}"
        );
        let mut im: Vec<String> = complete(&Bash, &["hutch im"], &[("_HUTCH_COMPLETE_PIECE", "im")])
            .split('\u{b}')
            .map(String::from)
            .collect();
        im.sort();
        assert_eq!(im, ["image", "images", "import"]);
        let flags = complete(&Bash, &["hutch ps --no"], &[]);
        assert_eq!(flags, "--no-trunc\u{b}--noheading\u{b}--noout");
        // bash replaces only the piece after `=`: candidates come back without `--pull=`.
        assert_eq!(
            complete(&Bash, &["hutch run --pull=al"], &[("_HUTCH_COMPLETE_PIECE", "al")]),
            "always"
        );
        assert_eq!(
            complete(&Bash, &["hutch run --pull="], &[("_HUTCH_COMPLETE_PIECE", "")]),
            "missing\u{b}always\u{b}never"
        );
        let z = complete(&Zsh, &["hutch", "ima"], &[("_HUTCH_COMPLETE_INDEX", "1")]);
        assert!(z.starts_with("image:") || z.contains("\nimage:"), "{z}");
        assert!(complete(&Fish, &["hutch", "image", "pr"], &[]).starts_with("prune\t"));
    }

    #[test]
    fn familiar_names() {
        assert_eq!(familiar("docker.io/library/alpine:3"), "alpine:3");
        assert_eq!(familiar("localhost/app:1"), "app:1");
        assert_eq!(familiar("quay.io/x/y:1"), "quay.io/x/y:1");
    }
}

/// Pod names matching `current`, and short ids once two characters of one are typed.
pub fn pods(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(store) = store() else { return vec![] };
    let Ok(idx) = store.load_pods() else { return vec![] };
    let cur = current.to_string_lossy();
    let mut out = Vec::new();
    for p in &idx.pods {
        if p.name.starts_with(cur.as_ref()) {
            out.push(CompletionCandidate::new(&p.name));
        }
        if cur.len() >= 2 && p.id.starts_with(cur.as_ref()) {
            out.push(CompletionCandidate::new(p.short_id()).help(Some(p.name.clone().into())));
        }
    }
    out
}

/// Volume names matching `current`.
pub fn volumes(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(store) = store() else { return vec![] };
    let Ok(idx) = store.load_volumes() else { return vec![] };
    let cur = current.to_string_lossy();
    idx.volumes
        .iter()
        .filter(|v| v.name.starts_with(cur.as_ref()))
        .map(|v| CompletionCandidate::new(&v.name))
        .collect()
}
