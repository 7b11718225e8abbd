//! `hutch build` / `hutch image build`

use std::path::PathBuf;

use crate::build::{self, BuildOptions};
use crate::cli::BuildArgs;
use crate::error::Result;
use crate::output::out;

fn kv(flag: &str, s: &str) -> Result<(String, String)> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => crate::bail!("{flag} {s}: expected KEY=VALUE"),
    }
}

pub fn run(a: BuildArgs) -> Result<i32> {
    // Everything the user gave is checked before anything is read or built.
    let tags = a
        .tag
        .iter()
        .map(|t| crate::image::tag::normalize_new_name(t))
        .collect::<Result<Vec<_>>>()?;
    let mut build_args = Vec::new();
    for b in &a.build_arg {
        match b.split_once('=') {
            Some((k, v)) if !k.is_empty() => build_args.push((k.to_string(), v.to_string())),
            Some(_) => crate::bail!("--build-arg {b}: expected KEY=VALUE or KEY"),
            None => {
                if let Ok(v) = std::env::var(b) {
                    build_args.push((b.clone(), v));
                }
            }
        }
    }
    let labels = a.label.iter().map(|l| kv("--label", l)).collect::<Result<Vec<_>>>()?;
    let mut secrets = Vec::new();
    for s in &a.secret {
        let mut id = None;
        let mut src = None;
        for part in s.split(',') {
            match part.split_once('=') {
                Some(("id", v)) => id = Some(v.to_string()),
                Some(("src" | "source", v)) => src = Some(PathBuf::from(v)),
                Some(("type", "file")) => {}
                _ => crate::bail!("--secret {s}: expected id=ID,src=FILE"),
            }
        }
        let (Some(id), Some(src)) = (id, src) else {
            crate::bail!("--secret {s}: expected id=ID,src=FILE");
        };
        if !src.is_file() {
            crate::bail!("--secret {s}: {}: no such file", src.display());
        }
        secrets.push((id, std::fs::canonicalize(&src).unwrap_or(src)));
    }
    let pull = a.pull.as_deref().map(|p| match p {
        "true" => Ok(crate::spec::PullPolicy::Always),
        "false" => Ok(crate::spec::PullPolicy::Missing),
        p => crate::spec::PullPolicy::parse(p),
    });
    let mut pull = pull.transpose()?;
    if a.pull_never {
        pull = Some(crate::spec::PullPolicy::Never);
    } else if a.pull_always {
        pull = Some(crate::spec::PullPolicy::Always);
    }
    let mut pull_args: Vec<std::ffi::OsString> = Vec::new();
    if let Some(f) = &a.authfile {
        if !f.exists() {
            crate::bail!("checking authfile: stat {}: no such file or directory", f.display());
        }
        pull_args.push("--authfile".into());
        pull_args.push(f.clone().into());
    }
    if let Some(v) = a.tls_verify {
        pull_args.push(format!("--tls-verify={v}").into());
    }
    if let Some(f) = &a.ignorefile {
        if !f.is_file() {
            crate::bail!("--ignorefile {}: no such file", f.display());
        }
    }
    // Checked before anything is built (each RUN step uses them): runtime flags and runtimes
    // that are not hutch are refused as `run` refuses them.
    crate::runtime::choice::resolve()?;
    crate::spec::ulimit::parse_all(&a.ulimit)?;
    crate::spec::security_opts(&a.security_opt)?;
    let conf = crate::config::ContainersConf::load()?;
    // RUN steps get a namespace of their own without --network, as buildah's do.
    let network = super::run::network_mode(a.network.as_deref(), &conf, crate::spec::network::private_mode, a.quiet)?;
    crate::spec::network::Mode::parse(&network)?;
    let context = if a.context == "-" {
        None
    } else {
        Some(PathBuf::from(&a.context))
    };
    let opts = BuildOptions {
        context,
        file: a.file.clone(),
        tags,
        build_args,
        target: a.target.clone(),
        no_cache: a.no_cache,
        pull,
        network,
        iidfile: a.iidfile.clone(),
        labels,
        docker: a.format == "docker",
        squash: a.squash,
        squash_all: a.squash_all,
        jobs: a.jobs,
        ignorefile: a.ignorefile.clone(),
        pull_args,
        layers: a.layers.unwrap_or_else(|| {
            // Buildah's (and Podman's) environment variable.
            !matches!(
                std::env::var("BUILDAH_LAYERS")
                    .map(|v| v.to_ascii_lowercase())
                    .as_deref(),
                Ok("0" | "false" | "no" | "off")
            )
        }),
        secrets,
        quiet: a.quiet,
        default_caps: conf.default_capabilities.clone(),
        default_env: conf.env.clone(),
        commit_name: a.tag.first().cloned(),
        ulimits: a.ulimit.clone(),
        security_opt: a.security_opt.clone(),
    };
    let quiet = a.quiet;
    let mut say = |s: &str| {
        if !quiet {
            out(s)
        }
    };
    // --logfile: stdout and stderr (the steps and what RUN prints) go to the file while
    // building; the error, if any, and the image id are printed as usual.
    let redirect = match &a.logfile {
        Some(f) => Some(Redirect::to(f)?),
        None => None,
    };
    let r = build::build(&opts, &mut say);
    drop(redirect);
    let id = r?;
    out(&format!("{id}\n"));
    Ok(0)
}

/// stdout and stderr sent to a file while alive.
struct Redirect {
    saved: (std::os::fd::OwnedFd, std::os::fd::OwnedFd),
}

impl Redirect {
    fn to(path: &std::path::Path) -> Result<Redirect> {
        use std::io::Write;
        use std::os::fd::{AsFd, AsRawFd};
        let f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .map_err(|e| crate::err!("--logfile {}: {e}", path.display()))?;
        let _ = std::io::stdout().flush();
        let saved = (
            nix::unistd::dup(std::io::stdout().as_fd()).map_err(|e| crate::err!("--logfile: {e}"))?,
            nix::unistd::dup(std::io::stderr().as_fd()).map_err(|e| crate::err!("--logfile: {e}"))?,
        );
        crate::sys::fd::dup_onto(f.as_raw_fd(), 1).map_err(|e| crate::err!("--logfile: {e}"))?;
        crate::sys::fd::dup_onto(f.as_raw_fd(), 2).map_err(|e| crate::err!("--logfile: {e}"))?;
        Ok(Redirect { saved })
    }
}

impl Drop for Redirect {
    fn drop(&mut self) {
        use std::io::Write;
        use std::os::fd::AsRawFd;
        let _ = std::io::stdout().flush();
        let _ = crate::sys::fd::dup_onto(self.saved.0.as_raw_fd(), 1);
        let _ = crate::sys::fd::dup_onto(self.saved.1.as_raw_fd(), 2);
    }
}
