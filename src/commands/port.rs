//! `hutch port`: a container's published ports, as `80/tcp -> 0.0.0.0:8080` lines.

use crate::cli::PortArgs;
use crate::container::Status;
use crate::error::Result;
use crate::output::out;
use crate::store::containers::ContainerRecord;
use crate::store::Store;

/// `PORT[/PROTO]` -> (port, protocol).
fn parse_filter(f: &str) -> Result<(u16, String)> {
    let (p, proto) = f.split_once('/').unwrap_or((f, "tcp"));
    match p.parse::<u16>() {
        Ok(n) if n > 0 && (proto == "tcp" || proto == "udp") => Ok((n, proto.to_string())),
        _ => crate::bail!("{f}: not a port (PORT or PORT/tcp|udp)"),
    }
}

/// (container port/proto, host ip:port) for every published single port.
fn lines(rec: &ContainerRecord) -> Vec<(u16, String, String)> {
    let mut v = Vec::new();
    for p in &rec.spec.ports {
        let ip = if p.host_ip.is_empty() {
            "0.0.0.0".to_string()
        } else if p.host_ip.contains(':') {
            format!("[{}]", p.host_ip)
        } else {
            p.host_ip.clone()
        };
        for (h, c) in p.pairs() {
            v.push((c, p.protocol.to_string(), format!("{ip}:{h}")));
        }
    }
    v
}

pub fn run(a: PortArgs) -> Result<i32> {
    let store = Store::open()?;
    let idx = store.load_containers()?;
    let (recs, filter): (Vec<&ContainerRecord>, Option<&String>) = if a.all || a.latest {
        if a.port.is_some() {
            crate::bail!("port --all/--latest takes at most a PORT[/PROTO]");
        }
        let mut running: Vec<&ContainerRecord> = idx
            .containers
            .iter()
            .filter(|c| matches!(crate::container::status(&store, c).0, Status::Running { .. }))
            .collect();
        if a.latest {
            running = idx.containers.iter().max_by_key(|c| c.created).into_iter().collect();
        }
        (running, a.container.as_ref())
    } else {
        let Some(name) = &a.container else {
            crate::bail!("port needs a container (or --all)")
        };
        (vec![&idx.containers[idx.resolve(name)?]], a.port.as_ref())
    };
    let filter = filter.map(|f| parse_filter(f)).transpose()?;
    let mut text = String::new();
    for rec in &recs {
        let mut found = false;
        for (c, proto, host) in lines(rec) {
            match &filter {
                Some((fp, fproto)) if (*fp, fproto.as_str()) != (c, proto.as_str()) => continue,
                Some(_) => text.push_str(&format!("{host}\n")),
                None if a.all => text.push_str(&format!("{}\t{c}/{proto} -> {host}\n", rec.short_id())),
                None => text.push_str(&format!("{c}/{proto} -> {host}\n")),
            }
            found = true;
        }
        if let (Some((p, proto)), false, false) = (&filter, found, a.all) {
            crate::bail!("failed to find published port \"{p}/{proto}\"");
        }
    }
    out(&text);
    Ok(0)
}
