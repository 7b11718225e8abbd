//! Hidden `hutch generate man|completions DIR`: man pages and shell completions from the same
//! clap definitions the binary parses with (completions are the glue of complete.rs).

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
            // The shells' glue for clap_complete's dynamic engine: candidates come from the
            // `hutch` in PATH at completion time (complete.rs), so the files stay small and
            // never go stale with respect to containers and images.
            for shell in crate::complete::SHELLS.iter() {
                let mut buf = Vec::new();
                crate::complete::registration(shell, &mut buf).ctx(|| format!("rendering {} completions", shell.name()))?;
                let p = a.dir.join(crate::complete::file_name(shell.name()));
                std::fs::write(&p, buf).ctx(|| format!("writing {}", p.display()))?;
            }
        }
    }
    Ok(0)
}
