//! `hutch generate systemd` (generate_systemd.rs), and hidden `hutch generate man|completions DIR`: man pages and shell completions from the same
//! clap definitions the binary parses with (completions are the glue of cli/complete.rs).

use std::path::Path;

use clap::CommandFactory;

use crate::cli::{Cli, GenerateCommand};
use crate::error::{Context, Result};

/// The after-help text as (heading, body) blocks: an unindented line of a few words ending in
/// `:` (`Examples:`, `Exit status:`) starts a block.
fn blocks(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let heading = line
            .strip_suffix(':')
            .filter(|h| !h.is_empty() && !h.starts_with(' ') && h.split(' ').count() <= 3);
        match (heading, out.last_mut()) {
            (Some(h), _) => out.push((h.to_uppercase(), String::new())),
            (None, Some((_, body))) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => out.push(("EXTRA".into(), format!("{line}\n"))),
        }
    }
    out
}

/// clap_mangen's page, with the after-help's blocks (`Environment:`, `Files:`, `Examples:`,
/// `Exit status:`) as sections of those names instead of one EXTRA section.
fn render_man(cmd: &clap::Command, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    let man = clap_mangen::Man::new(cmd.clone());
    let part = |f: &dyn Fn(&mut dyn std::io::Write) -> std::io::Result<()>| -> std::io::Result<Vec<u8>> {
        let mut buf = Vec::new();
        f(&mut buf)?;
        Ok(buf)
    };
    let mut parts: Vec<Vec<u8>> = vec![
        part(&|w| man.render_title(w))?,
        part(&|w| man.render_name_section(w))?,
        part(&|w| man.render_synopsis_section(w))?,
        part(&|w| man.render_description_section(w))?,
    ];
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        parts.push(part(&|w| man.render_options_section(w))?);
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        parts.push(part(&|w| man.render_subcommands_section(w))?);
    }
    if let Some(after) = cmd.get_after_long_help().or(cmd.get_after_help()) {
        for (heading, body) in blocks(&after.to_string()) {
            let text = body
                .trim_matches('\n')
                .lines()
                .map(|l| l.strip_prefix("  ").unwrap_or(l))
                .collect::<Vec<_>>()
                .join("\n");
            let section = clap_mangen::Man::new(cmd.clone().after_help(text).after_long_help(None::<&str>));
            let mut buf = Vec::new();
            section.render_extra_section(&mut buf)?;
            let mut roff = String::from_utf8_lossy(&buf).replacen(".SH EXTRA", &format!(".SH \"{heading}\""), 1);
            // Lists keep their lines; prose (FILES, EXIT STATUS) is filled.
            if matches!(heading.as_str(), "EXAMPLES" | "ENVIRONMENT") {
                roff =
                    roff.replacen(&format!(".SH \"{heading}\"\n"), &format!(".SH \"{heading}\"\n.nf\n"), 1) + ".fi\n";
            }
            parts.push(roff.into_bytes());
        }
    }
    if cmd.get_version().or(cmd.get_long_version()).is_some() {
        parts.push(part(&|w| man.render_version_section(w))?);
    }
    if cmd.get_author().is_some() {
        parts.push(part(&|w| man.render_authors_section(w))?);
    }
    // Every part starts with roff's apostrophe preamble: keep the first one only.
    let preamble: Vec<u8> = parts[0]
        .split_inclusive(|b| *b == b'\n')
        .take(2)
        .flatten()
        .copied()
        .collect();
    for (i, p) in parts.iter().enumerate() {
        let body = if i > 0 {
            p.strip_prefix(preamble.as_slice()).unwrap_or(p)
        } else {
            p
        };
        w.write_all(body)?;
    }
    Ok(())
}

fn write_man(cmd: &clap::Command, prefix: &str, dir: &Path) -> Result<()> {
    let name = if prefix.is_empty() {
        cmd.get_name().to_string()
    } else {
        format!("{prefix}-{}", cmd.get_name())
    };
    let cmd = cmd.clone().name(&name).display_name(name.replace('-', " "));
    let mut buf = Vec::new();
    render_man(&cmd, &mut buf).ctx(|| format!("rendering {name}.1"))?;
    let path = dir.join(format!("{name}.1"));
    std::fs::write(&path, buf).ctx(|| format!("writing {}", path.display()))?;
    for sub in cmd.get_subcommands() {
        if sub.is_hide_set() || sub.get_name() == "help" {
            continue;
        }
        write_man(sub, &name, dir)?;
    }
    Ok(())
}

pub fn run(c: GenerateCommand) -> Result<i32> {
    let (man, a) = match c {
        GenerateCommand::Systemd(a) => return super::generate_systemd::run(a),
        GenerateCommand::Man(a) => (true, a),
        GenerateCommand::Completions(a) => (false, a),
    };
    std::fs::create_dir_all(&a.dir).ctx(|| format!("creating {}", a.dir.display()))?;
    let mut cmd = Cli::command();
    cmd.build();
    match man {
        true => write_man(&cmd, "", &a.dir)?,
        false => {
            // The shells' glue for clap_complete's dynamic engine: candidates come from the
            // `hutch` in PATH at completion time (complete.rs), so the files stay small and
            // never go stale with respect to containers and images.
            for shell in crate::cli::complete::SHELLS.iter() {
                let mut buf = Vec::new();
                crate::cli::complete::registration(shell, &mut buf)
                    .ctx(|| format!("rendering {} completions", shell.name()))?;
                let p = a.dir.join(crate::cli::complete::file_name(shell.name()));
                std::fs::write(&p, buf).ctx(|| format!("writing {}", p.display()))?;
            }
        }
    }
    Ok(0)
}
