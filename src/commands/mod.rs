//! One file per verb: arguments -> options -> engine -> report -> output.

mod build;
mod commit;
mod compat;
mod cp;
mod diff;
mod events;
mod exec;
mod export;
mod generate;
mod generate_systemd;
mod history;
mod images;
mod import;
mod info;
mod inspect;
mod kube;
mod lifecycle;
mod load;
mod login;
mod logs;
mod manifest;
mod network;
mod pod;
mod port;
mod prune;
mod ps;
mod pull;
mod push;
mod rmi;
mod run;
mod save;
mod secret;
mod sign;
mod system;
mod system_check;
mod tag;
mod top;
mod unshare;
mod version;
mod volume;

use crate::cli::{Cli, Command, ContainerCommand as C, ImageCommand};
use crate::error::Result;
pub(crate) use run::early_seed;

/// Run the command; returns the process exit code.
pub fn dispatch(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Pull(a) | Command::Image(ImageCommand::Pull(a)) => pull::run(a),
        Command::Push(a) | Command::Image(ImageCommand::Push(a)) => push::run(a),
        Command::Manifest(c) => manifest::run(c),
        Command::Images(a) | Command::Image(ImageCommand::Ls(a)) => images::run(a),
        Command::Rmi(a) | Command::Image(ImageCommand::Rm(a)) => rmi::run(a),
        Command::Tag(a) | Command::Image(ImageCommand::Tag(a)) => tag::run(a),
        Command::Inspect(a) => inspect::run(a, inspect::Kind::Any),
        Command::Image(ImageCommand::Inspect(a)) => inspect::run(a.0, inspect::Kind::Image),
        Command::Image(ImageCommand::Prune(a)) => prune::run(a),
        Command::Save(a) | Command::Image(ImageCommand::Save(a)) => save::run(a),
        Command::Load(a) | Command::Image(ImageCommand::Load(a)) => load::run(a),
        Command::Export(a) | Command::Container(C::Export(a)) => export::run(a),
        Command::Import(a) | Command::Image(ImageCommand::Import(a)) => import::run(a),
        Command::Image(ImageCommand::Exists(a)) => history::exists(a),
        Command::Image(ImageCommand::History(a)) | Command::History(a) => history::run(a),
        Command::Commit(a) | Command::Container(C::Commit(a)) => commit::run(a),
        Command::Build(a) | Command::Image(ImageCommand::Build(a)) => build::run(a),
        Command::Image(ImageCommand::Sign(a)) => sign::run(a),
        Command::Buildx(crate::cli::BuildxCommand::Build(a)) => build::run(a.build),
        Command::Cp(a) | Command::Container(C::Cp(a)) => cp::run(a),
        Command::Diff(a) | Command::Container(C::Diff(a)) => diff::run(a),
        Command::Login(a) => login::login(a),
        Command::Logout(a) => login::logout(a),
        Command::Version(a) => version::run(a),
        Command::Info(a) => info::run(a),
        Command::Generate(c) => generate::run(c),
        Command::Volume(c) => volume::run(c),
        Command::Secret(c) => secret::run(c),
        Command::Run(a) | Command::Container(C::Run(a)) => run::run(a),
        Command::Create(a) | Command::Container(C::Create(a)) => run::create(a),
        Command::Start(a) | Command::Container(C::Start(a)) => run::start(a),
        Command::Ps(a) | Command::Container(C::Ls(a)) => ps::run(a),
        Command::Logs(a) | Command::Container(C::Logs(a)) => logs::run(a),
        Command::Stop(a) | Command::Container(C::Stop(a)) => lifecycle::stop(a.0),
        Command::Kill(a) | Command::Container(C::Kill(a)) => lifecycle::kill(a),
        Command::Rm(a) | Command::Container(C::Rm(a)) => lifecycle::rm(a),
        Command::Exec(a) | Command::Container(C::Exec(a)) => exec::run(a),
        Command::Wait(a) | Command::Container(C::Wait(a)) => lifecycle::wait(a),
        Command::Restart(a) | Command::Container(C::Restart(a)) => lifecycle::restart(a),
        Command::Container(C::Inspect(a)) => inspect::run(a.0, inspect::Kind::Container),
        Command::Port(a) | Command::Container(C::Port(a)) => port::run(a),
        Command::Pod(c) => pod::run(c),
        Command::Kube(c) => kube::run(c),
        Command::System(c) => system::run(c),
        Command::Unshare(a) => unshare::run(a),
        Command::Network(c) => network::run(c),
        Command::Untag(a) | Command::Image(ImageCommand::Untag(a)) => compat::untag(a),
        Command::CtrVerbs(c) | Command::Container(C::CtrVerbs(c)) => compat::ctr_verbs(c),
        Command::Container(C::Exists(a)) => compat::container_exists(a),
        Command::Events(a) => events::run(a),
        Command::Play(crate::cli::PlayCommand::Kube(a)) => kube::run(crate::cli::KubeCommand::Play(a)),
        Command::AppVerbs(c) | Command::Container(C::AppVerbs(c)) => match c {
            crate::cli::AppVerbs::Top(a) => top::run(a),
        },
    }
}

/// The container command's arguments as strings (the spec is stored as JSON).
pub(crate) fn utf8_args(args: &[std::ffi::OsString]) -> Result<Vec<String>> {
    args.iter()
        .map(|a| {
            a.clone()
                .into_string()
                .map_err(|a| crate::err!("argument {a:?} is not valid UTF-8"))
        })
        .collect()
}

/// Print a listing in the requested format: JSON array, Go template (its header row, when it
/// has one, titles fields as `titles` says), or a table.
pub(crate) fn print_listing(
    format: Option<&str>,
    items: &[serde_json::Value],
    titles: &[(&str, &str)],
    noheading: bool,
    table: impl FnOnce() -> String,
) -> Result<()> {
    use crate::format::Format;
    let text = match Format::parse(format) {
        Format::Json => serde_json::to_string_pretty(items).expect("json") + "\n",
        Format::Template { tmpl, header } => crate::format::render_titled(&tmpl, header && !noheading, items, titles)?,
        Format::Table => table(),
    };
    crate::output::out(&text);
    Ok(())
}

/// Print what an `inspect` verb found (a JSON array, or each item through a Go template) and
/// return its exit status: 125 when any name was not found (each already reported).
pub(crate) fn print_inspected(format: Option<&str>, items: &[serde_json::Value], failed: bool) -> Result<i32> {
    use crate::format::Format;
    match Format::parse(format) {
        Format::Table | Format::Json => {
            crate::output::out(&(serde_json::to_string_pretty(items).expect("json") + "\n"))
        }
        Format::Template { tmpl, .. } => crate::output::out(&crate::format::render(&tmpl, false, items)?),
    }
    Ok(if failed { 125 } else { 0 })
}

/// The id of a local image, for the event log (None when it cannot be found).
fn image_id(name: &str) -> Option<String> {
    let store = crate::store::Store::open_existing(&crate::paths::data_dir().ok()?)?;
    let idx = store.load_images().ok()?;
    Some(idx.images[idx.resolve(name).ok()?].id.clone())
}

/// `--latest`: the full id of the container created last (the last of those created in the
/// same second).
pub(crate) fn latest_container(store: &crate::store::Store) -> Result<String> {
    let idx = store.load_containers()?;
    match idx.containers.iter().max_by_key(|c| c.created) {
        Some(c) => Ok(c.id.clone()),
        None => crate::bail!("--latest: there are no containers"),
    }
}
