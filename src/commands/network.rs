//! `hutch network create|ls|inspect|rm|prune|exists|connect|disconnect`

use serde_json::{json, Value};

use crate::cli::NetworkCommand;
use crate::error::{Class, Result};
use crate::format::Format;
use crate::output::{error, out, table};
use crate::spec::network::{CreateRequest, Network};
use crate::store::Store;

pub fn run(c: NetworkCommand) -> Result<i32> {
    match c {
        NetworkCommand::Create(a) => {
            let store = Store::open()?;
            let n = crate::network::create(
                &store,
                &CreateRequest {
                    name: a.name,
                    subnet: a.subnet,
                    gateway: a.gateway,
                    internal: a.internal,
                    disable_dns: a.disable_dns,
                    labels: a.label,
                },
            )?;
            out(&format!("{}\n", n.name));
            Ok(0)
        }
        NetworkCommand::Ls(a) => {
            let store = Store::open()?;
            let mut nets = crate::network::list(&store)?;
            // By name, as Podman lists them.
            nets.sort_by(|x, y| x.name.cmp(&y.name));
            if a.quiet {
                out(&nets.iter().map(|n| format!("{}\n", n.name)).collect::<String>());
                return Ok(0);
            }
            if let Format::Json = Format::parse(a.format.as_deref()) {
                out(&(serde_json::to_string_pretty(&nets).expect("json") + "\n"));
                return Ok(0);
            }
            let items: Vec<Value> = nets.iter().map(template_item).collect();
            let no_trunc = a.no_trunc;
            let noheading = a.noheading;
            super::print_listing(a.format.as_deref(), &items, &[("ID", "NETWORK ID")], noheading, || {
                let rows: Vec<Vec<String>> = nets
                    .iter()
                    .map(|n| {
                        vec![
                            if no_trunc { n.id.clone() } else { n.id[..12].to_string() },
                            n.name.clone(),
                            n.driver.clone(),
                        ]
                    })
                    .collect();
                let text = table(&["NETWORK ID", "NAME", "DRIVER"], &rows);
                if noheading {
                    text.split_once('\n').map(|(_, r)| r.to_string()).unwrap_or_default()
                } else {
                    text
                }
            })?;
            Ok(0)
        }
        NetworkCommand::Inspect(a) => {
            // A bad template is the one error, before anything is looked up.
            if let Format::Template { tmpl, .. } = Format::parse(a.format.as_deref()) {
                crate::format::render(&tmpl, false, &[])?;
            }
            let store = Store::open()?;
            let all = crate::network::list(&store)?;
            let mut found = Vec::new();
            let mut failed = false;
            for w in &a.networks {
                match crate::network::find(&all, w) {
                    Ok(n) => found.push(n),
                    Err(e) => {
                        error(&e.message);
                        failed = true;
                    }
                }
            }
            match Format::parse(a.format.as_deref()) {
                Format::Template { tmpl, .. } => {
                    let items: Vec<Value> = found.iter().map(template_item).collect();
                    out(&crate::format::render(&tmpl, false, &items)?);
                }
                _ => out(&(serde_json::to_string_pretty(&found).expect("json") + "\n")),
            }
            Ok(if failed { 125 } else { 0 })
        }
        NetworkCommand::Rm(a) => {
            let store = Store::open()?;
            let mut failed = Vec::new();
            for w in &a.networks {
                match crate::network::remove(&store, w, a.force, a.time) {
                    Ok(name) => out(&format!("{name}\n")),
                    // -f: a network that does not exist is no error (Podman's rule).
                    Err(e) if a.force && e.class == Class::NoSuchObject => {}
                    Err(e) => {
                        error(&e.message);
                        failed.push(e.class);
                    }
                }
            }
            Ok(if failed.is_empty() {
                0
            } else if failed.contains(&Class::NoSuchObject) {
                1
            } else if failed.contains(&Class::InUse) {
                2
            } else {
                125
            })
        }
        NetworkCommand::Prune(_) => {
            let store = Store::open()?;
            for n in crate::network::prune(&store)? {
                out(&format!("{n}\n"));
            }
            Ok(0)
        }
        NetworkCommand::Exists(a) => {
            let Some(store) = Store::open_existing(&crate::paths::data_dir()?) else {
                return Ok(if a.network == crate::spec::network::DEFAULT_NETWORK {
                    0
                } else {
                    1
                });
            };
            Ok(
                if crate::network::find(&crate::network::list(&store)?, &a.network).is_ok() {
                    0
                } else {
                    1
                },
            )
        }
        NetworkCommand::Connect(a) => {
            let store = Store::open()?;
            crate::network::connect(&store, &a.network, &a.container, &a.alias)?;
            Ok(0)
        }
        NetworkCommand::Disconnect(a) => {
            let store = Store::open()?;
            crate::network::disconnect(&store, &a.network, &a.container)?;
            Ok(0)
        }
        NetworkCommand::Reload(a) => {
            let store = Store::open()?;
            let mut failed = false;
            for r in crate::network::reload(&store, a.all, &a.containers)? {
                match r {
                    Ok(id) => out(&format!("{id}\n")),
                    Err(e) => {
                        error(&e.message);
                        failed = true;
                    }
                }
            }
            Ok(if failed { 125 } else { 0 })
        }
    }
}

/// A network as Podman's templates see it (Go field names).
fn template_item(n: &Network) -> Value {
    json!({
        "Name": n.name,
        "ID": n.id,
        "Id": n.id,
        "Driver": n.driver,
        "NetworkInterface": n.network_interface,
        "Created": n.created,
        "Subnets": n.subnets.iter().map(|s| json!({"Subnet": s.subnet, "Gateway": s.gateway})).collect::<Vec<_>>(),
        "IPv6Enabled": n.ipv6_enabled,
        "Internal": n.internal,
        "DNSEnabled": n.dns_enabled,
        "Labels": n.labels,
        "IPAMOptions": n.ipam_options,
    })
}
