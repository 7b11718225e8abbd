//! hutch: rootless, daemonless containers. The layers, top down (README's Architecture section
//! says what each folder holds and may import): cli -> commands -> engines (container, image,
//! system) -> runtime, store, registry, archive -> sys; spec, reference, paths, digest, config,
//! format, output and error are shared by all.

mod archive;
mod build;
mod check;
mod cli;
mod commands;
mod config;
mod container;
mod digest;
mod error;
mod events;
mod fault;
mod format;
#[doc(hidden)]
pub mod fuzz;
mod image;
mod kube;
mod network;
mod output;
mod paths;
mod pod;
mod reference;
mod registry;
mod runtime;
mod secret;
mod spec;
mod store;
mod sys;
mod system;
mod volume;

use clap::Parser;

/// `hutch version`'s `Built` (a Unix time): 0, hutch's builds record no time, so that a build is
/// reproducible.
pub(crate) const BUILT: i64 = 0;

/// The whole of `hutch`: parse, dispatch, print the error once and map it to an exit code.
pub fn main() -> i32 {
    output::trace("start");
    // The per-container monitor skips clap: building the whole command tree would leave its
    // heap (which lives as long as the container) several times larger.
    if std::env::args_os().nth(1).is_some_and(|a| a == "__monitor") {
        return runtime::monitor::exec_main();
    }
    if std::env::args_os().nth(1).is_some_and(|a| a == "__portfwd") {
        return runtime::portfwd::exec_main();
    }
    if std::env::args_os().nth(1).is_some_and(|a| a == "__netns") {
        return runtime::sharednet::exec_main();
    }
    // `HUTCH_COMPLETE=SHELL hutch -- WORDS…` is the shell asking for completions.
    cli::complete::answer_if_asked();
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    commands::early_seed(argv.get(1..).unwrap_or_default());
    // `run` is parsed without building the other verbs (`Cli::try_parse_run`).
    let parsed = match cli::Cli::try_parse_run(&argv) {
        Some(c) => Ok(c),
        None => cli::Cli::try_parse_from(&argv),
    };
    let cli = match parsed {
        Ok(c) => c,
        Err(e) if !e.use_stderr() => {
            output::out(&e.render().to_string());
            return 0;
        }
        Err(e) => {
            let text = e.render().to_string();
            let first = text
                .lines()
                .next()
                .unwrap_or("invalid arguments")
                .trim_start_matches("error: ");
            output::error(&format!("{first} (see 'hutch --help')"));
            return 125;
        }
    };
    if let Err(e) = apply_global(&cli.global) {
        output::error(&e.message);
        return e.exit_code();
    }
    let code = match commands::dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            // An empty message means a child hutch already reported the error.
            if !e.message.is_empty() {
                output::error(&e.message);
            }
            e.exit_code()
        }
    };
    output::debug(&format!("exit status {code}"));
    code
}

/// The global options: where the store and runtime dir are, how much to say, the driver.
fn apply_global(g: &cli::GlobalArgs) -> error::Result<()> {
    if let Some(l) = &g.log_level {
        output::set_level(l);
    }
    if let Some(d) = &g.storage_driver {
        if d != "overlay" {
            crate::bail!("unsupported storage driver \"{d}\": hutch stores layers for overlay only (use --storage-driver overlay or leave it out)");
        }
    }
    paths::use_dirs(g.root.as_deref(), g.runroot.as_deref())?;
    if let Some(b) = &g.events_backend {
        if b == "journald" {
            crate::bail!("--events-backend journald: hutch has no journald backend (use file or none)");
        }
        std::env::set_var(events::BACKEND_VAR, b);
    }
    if g.noout {
        output::set_noout();
    }
    runtime::choice::set(g.runtime.clone(), g.runtime_flag.clone());
    output::debug(&format!(
        "hutch {} {:?}: store {}, runtime dir {}",
        env!("CARGO_PKG_VERSION"),
        std::env::args_os().skip(1).collect::<Vec<_>>(),
        paths::data_dir()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|e| e.message),
        paths::runtime_dir().display()
    ));
    Ok(())
}
