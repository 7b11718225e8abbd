//! hutch: rootless, daemonless containers.

mod archive;
mod cli;
mod commands;
mod complete;
mod config;
mod container;
mod digest;
mod error;
mod format;
mod output;
mod paths;
mod image;
mod reference;
mod registry;
mod runtime;
mod spec;
mod store;
mod system;
mod sys;

use clap::Parser;

fn main() {
    output::trace("start");
    // The per-container monitor skips clap: building the whole command tree would leave its
    // heap (which lives as long as the container) several times larger.
    if std::env::args_os().nth(1).is_some_and(|a| a == "__monitor") {
        std::process::exit(runtime::monitor::exec_main());
    }
    if std::env::args_os().nth(1).is_some_and(|a| a == "__portfwd") {
        std::process::exit(runtime::portfwd::exec_main());
    }
    // `HUTCH_COMPLETE=SHELL hutch -- WORDS…` is the shell asking for completions.
    complete::answer_if_asked();
    let cli = match cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) if !e.use_stderr() => {
            output::out(&e.render().to_string());
            std::process::exit(0);
        }
        Err(e) => {
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("invalid arguments").trim_start_matches("error: ");
            output::error(&format!("{first} (see 'hutch --help')"));
            std::process::exit(125);
        }
    };
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
    std::process::exit(code);
}
