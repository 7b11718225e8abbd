//! `hutch secret create|ls|inspect|rm`.

use std::io::Read;

use serde_json::Value;

use crate::cli::{SecretCommand, SecretCreateArgs, SecretInspectArgs, SecretLsArgs, SecretRmArgs};
use crate::error::{Class, Context, Result};
use crate::format::Format;
use crate::output::{error, out};
use crate::secret;
use crate::store::Store;

pub fn run(c: SecretCommand) -> Result<i32> {
    match c {
        SecretCommand::Create(a) => create(a),
        SecretCommand::Ls(a) => ls(a),
        SecretCommand::Inspect(a) => inspect(a),
        SecretCommand::Rm(a) => rm(a),
    }
}

fn create(a: SecretCreateArgs) -> Result<i32> {
    secret::validate_name(&a.name)?;
    let data = if a.env {
        match std::env::var_os(&a.source) {
            Some(v) => v.into_encoded_bytes(),
            None => crate::bail!("--env: environment variable {} is not set", a.source),
        }
    } else if a.source == "-" {
        let mut v = Vec::new();
        std::io::stdin()
            .take(secret::MAX_SIZE as u64 + 1)
            .read_to_end(&mut v)
            .ctx(|| "reading the secret from stdin")?;
        v
    } else {
        let p = std::path::Path::new(&a.source);
        if p.is_dir() {
            crate::bail!("{}: is a directory (a secret is one file)", a.source);
        }
        let f = std::fs::File::open(p).ctx(|| format!("reading secret file {}", a.source))?;
        let mut v = Vec::new();
        f.take(secret::MAX_SIZE as u64 + 1)
            .read_to_end(&mut v)
            .ctx(|| format!("reading secret file {}", a.source))?;
        v
    };
    let store = Store::open()?;
    let rec = secret::create(
        &store,
        secret::CreateOptions {
            name: a.name,
            data,
            driver: a.driver,
            labels: a.label,
            replace: a.replace,
        },
    )?;
    out(&format!("{}\n", rec.id));
    Ok(0)
}

fn ls(a: SecretLsArgs) -> Result<i32> {
    let store = Store::open()?;
    let secrets = secret::list(&store)?;
    if a.quiet {
        out(&secrets.iter().map(|s| format!("{}\n", s.id)).collect::<String>());
        return Ok(0);
    }
    let items: Vec<Value> = secrets.iter().map(|s| secret::inspect_json(&store, s)).collect();
    super::print_listing(
        a.format.as_deref(),
        &items,
        &[
            ("CreatedAt", "CREATED"),
            ("UpdatedAt", "UPDATED"),
            ("CreatedAgo", "CREATED"),
        ],
        a.noheading,
        || {
            let rows: Vec<Vec<String>> = secrets
                .iter()
                .map(|s| {
                    let ago = crate::output::human_ago((s.created / 1_000_000_000) as i64);
                    vec![s.id.clone(), s.name.clone(), s.driver.clone(), ago.clone(), ago]
                })
                .collect();
            let t = crate::output::table(&["ID", "NAME", "DRIVER", "CREATED", "UPDATED"], &rows);
            if a.noheading {
                t.lines().skip(1).map(|l| format!("{l}\n")).collect()
            } else {
                t
            }
        },
    )?;
    Ok(0)
}

fn inspect(a: SecretInspectArgs) -> Result<i32> {
    if let Format::Template { tmpl, .. } = Format::parse(a.format.as_deref()) {
        crate::format::render(&tmpl, false, &[])?;
    }
    let store = Store::open()?;
    let mut items = Vec::new();
    let mut failed = false;
    for n in &a.secrets {
        match secret::find(&store, n) {
            Ok(s) => items.push(secret::inspect_json(&store, &s)),
            Err(e) => {
                error(&e.message);
                failed = true;
            }
        }
    }
    super::print_inspected(a.format.as_deref(), &items, failed)
}

fn rm(a: SecretRmArgs) -> Result<i32> {
    let store = Store::open()?;
    let names: Vec<String> = if a.all {
        secret::list(&store)?.into_iter().map(|s| s.id).collect()
    } else {
        a.secrets.clone()
    };
    let mut failed = false;
    for n in &names {
        match secret::remove(&store, n) {
            Ok(id) => out(&format!("{id}\n")),
            Err(e) if a.ignore && e.class == Class::NoSuchObject => {}
            Err(e) => {
                error(&e.message);
                failed = true;
            }
        }
    }
    Ok(if failed { 125 } else { 0 })
}
