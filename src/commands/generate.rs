//! Hidden `hutch generate man|completions DIR`: man pages and shell completions from the same
//! clap definitions the binary parses with.

use std::path::Path;

use clap::CommandFactory;

use crate::cli::{Cli, GenerateArgs};
use crate::error::{Context, Result};

fn write_man(cmd: &clap::Command, prefix: &str, dir: &Path) -> Result<()> {
    let name = if prefix.is_empty() { cmd.get_name().to_string() } else { format!("{prefix}-{}", cmd.get_name()) };
    let cmd = cmd.clone().name(&name).display_name(name.replace('-', " "));
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut buf).ctx(|| format!("rendering {name}.1"))?;
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

pub fn run(a: GenerateArgs) -> Result<i32> {
    std::fs::create_dir_all(&a.dir).ctx(|| format!("creating {}", a.dir.display()))?;
    let mut cmd = Cli::command();
    cmd.build();
    match a.what.as_str() {
        "man" => write_man(&cmd, "", &a.dir)?,
        _ => {
            use clap_complete::Shell;
            for (shell, file) in [
                (Shell::Bash, "hutch.bash"),
                (Shell::Zsh, "_hutch"),
                (Shell::Fish, "hutch.fish"),
                (Shell::Elvish, "hutch.elv"),
                (Shell::PowerShell, "_hutch.ps1"),
            ] {
                let mut buf = Vec::new();
                clap_complete::generate(shell, &mut cmd, "hutch", &mut buf);
                let p = a.dir.join(file);
                std::fs::write(&p, buf).ctx(|| format!("writing {}", p.display()))?;
            }
        }
    }
    Ok(0)
}
