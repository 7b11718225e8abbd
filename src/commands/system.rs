//! `hutch system df|prune|reset|info`.

use serde_json::{json, Value};

use crate::cli::{SystemCommand, SystemDfArgs, SystemPruneArgs, SystemResetArgs};
use crate::error::Result;
use crate::format::Format;
use crate::output::{human_duration, now_secs, out, table};
use crate::store::Store;
use crate::system::usage::{self, Usage};

pub fn run(c: SystemCommand) -> Result<i32> {
    match c {
        SystemCommand::Df(a) => df(a),
        SystemCommand::Prune(a) => prune(a),
        SystemCommand::Reset(a) => reset(a),
        SystemCommand::Info(a) => super::info::run(a),
        SystemCommand::Check(a) => super::system_check::run(a),
    }
}

/// Podman's `system df` sizes: SI units, four significant digits, no space ("2.008MB").
fn size(n: u64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u < units.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    let digits = if v >= 100.0 {
        1
    } else if v >= 10.0 {
        2
    } else {
        3
    };
    let s = format!("{v:.digits$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    format!("{s}{}", units[u])
}

fn reclaimable(part: u64, whole: u64) -> String {
    let pct = if whole == 0 {
        0
    } else {
        ((part as f64) * 100.0 / whole as f64).round() as u64
    };
    format!("{} ({pct}%)", size(part))
}

fn summary(u: &Usage) -> Vec<Value> {
    let ctr_size: u64 = u.containers.iter().map(|c| c.size).sum();
    let ctr_free: u64 = u.containers.iter().filter(|c| !c.running).map(|c| c.size).sum();
    let used = u.used_volumes();
    let vol_size: u64 = u.volumes.iter().map(|v| v.size).sum();
    let vol_free: u64 = u
        .volumes
        .iter()
        .filter(|v| !used.contains(&v.name))
        .map(|v| v.size)
        .sum();
    let row = |ty: &str, total: usize, active: usize, sz: u64, free: u64| {
        json!({
            "Type": ty,
            "Total": total,
            "TotalCount": total,
            "Active": active,
            "Size": size(sz),
            "RawSize": sz,
            "Reclaimable": reclaimable(free, sz),
            "RawReclaimable": free,
        })
    };
    vec![
        row(
            "Images",
            u.images.len(),
            u.images.iter().filter(|i| i.containers > 0).count(),
            u.images_size,
            u.images_reclaimable,
        ),
        row(
            "Containers",
            u.containers.len(),
            u.containers.iter().filter(|c| c.running).count(),
            ctr_size,
            ctr_free,
        ),
        row(
            "Local Volumes",
            u.volumes.len(),
            u.volumes.iter().filter(|v| used.contains(&v.name)).count(),
            vol_size,
            vol_free,
        ),
    ]
}

fn created_secs(i: &crate::store::ImageRecord) -> i64 {
    i.created
        .as_deref()
        .and_then(crate::output::parse_rfc3339)
        .unwrap_or(i.pulled as i64)
}

/// The per-item lists of `df -v`, as JSON (Podman's field names).
fn verbose(u: &Usage) -> Value {
    let used = u.used_volumes();
    let mut images = Vec::new();
    for i in &u.images {
        let names: Vec<(String, String)> = if i.rec.names.is_empty() {
            vec![("<none>".into(), "<none>".into())]
        } else {
            i.rec
                .names
                .iter()
                .map(|n| match n.rsplit_once(':') {
                    Some((r, t)) if !t.contains('/') => (r.to_string(), t.to_string()),
                    _ => (n.clone(), "<none>".into()),
                })
                .collect()
        };
        for (repo, tag) in names {
            images.push(json!({
                "Repository": repo,
                "Tag": tag,
                "ImageID": i.rec.id,
                "Created": created_secs(&i.rec),
                "Size": i.rec.size,
                "SharedSize": i.shared,
                "UniqueSize": i.rec.size.saturating_sub(i.shared),
                "Containers": i.containers,
            }));
        }
    }
    let containers: Vec<Value> = u
        .containers
        .iter()
        .map(|c| {
            json!({
                "ContainerID": c.rec.id,
                "Image": c.rec.image,
                "Command": c.rec.spec.entrypoint.iter().chain(c.rec.spec.cmd.iter()).collect::<Vec<_>>(),
                "LocalVolumes": c.volumes,
                "Size": c.size,
                "RWSize": c.size,
                "Created": c.rec.created,
                "Status": c.status,
                "Names": c.rec.name,
            })
        })
        .collect();
    let volumes: Vec<Value> = u
        .volumes
        .iter()
        .map(|v| {
            let links = u
                .containers
                .iter()
                .filter(|c| usage::container_volumes(&c.rec, &u.volumes).contains(&v.name))
                .count();
            json!({"VolumeName": v.name, "Links": links, "Size": v.size, "ReclaimableSize": if used.contains(&v.name) { 0 } else { v.size }})
        })
        .collect();
    json!({"Images": images, "Containers": containers, "Volumes": volumes})
}

fn verbose_text(v: &Value) -> String {
    let arr = |k: &str| v[k].as_array().cloned().unwrap_or_default();
    let n = |x: &Value| x.as_u64().unwrap_or(0);
    let ago = |x: &Value| human_duration(now_secs() - x.as_i64().unwrap_or(0));
    let images: Vec<Vec<String>> = arr("Images")
        .iter()
        .map(|i| {
            vec![
                i["Repository"].as_str().unwrap_or("").to_string(),
                i["Tag"].as_str().unwrap_or("").to_string(),
                i["ImageID"].as_str().unwrap_or("").chars().take(12).collect(),
                ago(&i["Created"]),
                size(n(&i["Size"])),
                size(n(&i["SharedSize"])),
                size(n(&i["UniqueSize"])),
                n(&i["Containers"]).to_string(),
            ]
        })
        .collect();
    let containers: Vec<Vec<String>> = arr("Containers")
        .iter()
        .map(|c| {
            let cmd: Vec<&str> = c["Command"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            vec![
                c["ContainerID"].as_str().unwrap_or("").chars().take(12).collect(),
                c["Image"].as_str().unwrap_or("").chars().take(12).collect(),
                cmd.join(" "),
                n(&c["LocalVolumes"]).to_string(),
                size(n(&c["Size"])),
                ago(&c["Created"]),
                c["Status"].as_str().unwrap_or("").to_string(),
                c["Names"].as_str().unwrap_or("").to_string(),
            ]
        })
        .collect();
    let volumes: Vec<Vec<String>> = arr("Volumes")
        .iter()
        .map(|x| {
            vec![
                x["VolumeName"].as_str().unwrap_or("").to_string(),
                n(&x["Links"]).to_string(),
                size(n(&x["Size"])),
            ]
        })
        .collect();
    format!(
        "Images space usage:\n\n{}\nContainers space usage:\n\n{}\nLocal Volumes space usage:\n\n{}",
        table(
            &[
                "REPOSITORY",
                "TAG",
                "IMAGE ID",
                "CREATED",
                "SIZE",
                "SHARED SIZE",
                "UNIQUE SIZE",
                "CONTAINERS"
            ],
            &images
        ),
        table(
            &[
                "CONTAINER ID",
                "IMAGE",
                "COMMAND",
                "LOCAL VOLUMES",
                "SIZE",
                "CREATED",
                "STATUS",
                "NAMES"
            ],
            &containers
        ),
        table(&["VOLUME NAME", "LINKS", "SIZE"], &volumes),
    )
}

fn df(a: SystemDfArgs) -> Result<i32> {
    let format = Format::parse(a.format.as_deref());
    if a.verbose && matches!(format, Format::Template { .. }) {
        crate::bail!("--format: with -v only json is supported");
    }
    let root = crate::paths::data_dir()?;
    let u = match Store::open_existing(&root) {
        Some(store) => usage::measure(&store, true)?,
        None => Usage {
            images: vec![],
            images_size: 0,
            images_reclaimable: 0,
            containers: vec![],
            volumes: vec![],
        },
    };
    if a.verbose {
        let v = verbose(&u);
        let text = match format {
            Format::Json => serde_json::to_string_pretty(&v).expect("json") + "\n",
            _ => verbose_text(&v),
        };
        out(&text);
        return Ok(0);
    }
    let items = summary(&u);
    super::print_listing(
        a.format.as_deref(),
        &items,
        &[
            ("Type", "TYPE"),
            ("Total", "TOTAL"),
            ("Active", "ACTIVE"),
            ("Size", "SIZE"),
            ("Reclaimable", "RECLAIMABLE"),
        ],
        false,
        || {
            let rows: Vec<Vec<String>> = items
                .iter()
                .map(|i| {
                    ["Type", "Total", "Active", "Size", "Reclaimable"]
                        .iter()
                        .map(|k| match &i[*k] {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                        .collect()
                })
                .collect();
            table(&["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"], &rows)
        },
    )?;
    Ok(0)
}

/// Ask on stderr, read the answer from stdin; yes only for y or yes.
fn confirm(warning: &str) -> Result<bool> {
    use std::io::Write;
    let _ = write!(std::io::stderr(), "{warning}Are you sure you want to continue? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    use std::io::BufRead;
    let _ = std::io::stdin().lock().read_line(&mut line);
    let yes = matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes");
    if !yes && line.is_empty() {
        let _ = writeln!(std::io::stderr());
    }
    Ok(yes)
}

fn prune(a: SystemPruneArgs) -> Result<i32> {
    let filters = crate::system::prune::Filters::parse(&a.filter, now_secs())?;
    if !a.force {
        let mut w = String::from("WARNING! This command removes:\n\t- all stopped containers\n");
        w.push_str(if a.all {
            "\t- all images without at least one container associated to them\n"
        } else {
            "\t- all dangling images\n"
        });
        if a.volumes {
            w.push_str("\t- all volumes not used by at least one container\n");
        }
        w.push_str("\t- unused layers and blobs, and what interrupted commands left in tmp/\n\n");
        if !confirm(&w)? {
            return Ok(0);
        }
    }
    let r = crate::system::prune::prune(a.all, a.volumes, &filters)?;
    let mut text = String::new();
    for (title, ids) in [
        ("Deleted Containers", &r.containers),
        ("Deleted Volumes", &r.volumes),
        ("Deleted Images", &r.images),
    ] {
        if !ids.is_empty() {
            text.push_str(&format!("{title}\n"));
            for id in ids {
                text.push_str(&format!("{id}\n"));
            }
        }
    }
    text.push_str(&format!("Total reclaimed space: {}\n", size(r.reclaimed)));
    out(&text);
    for f in &r.failures {
        crate::output::note(&format!("not removed: {f}"));
    }
    if let Some(first) = r.failures.first() {
        crate::bail!(
            "{first}{}",
            if r.failures.len() > 1 {
                format!(" (and {} more)", r.failures.len() - 1)
            } else {
                String::new()
            }
        );
    }
    Ok(0)
}

fn reset(a: SystemResetArgs) -> Result<i32> {
    if !a.force {
        let w = format!(
            "WARNING! This will remove:\n\t- all containers (running ones are killed)\n\t- all images\n\t- all volumes\n\t- the store {} and the runtime directory {}\n",
            crate::paths::data_dir()?.display(),
            crate::paths::runtime_dir().display()
        );
        if !confirm(&w)? {
            return Ok(0);
        }
    }
    let r = crate::system::reset::reset()?;
    if r.stopped > 0 {
        crate::output::note(&format!("killed {} running containers", r.stopped));
    }
    for p in &r.removed {
        crate::output::debug(&format!("removed {}", p.display()));
    }
    Ok(0)
}

#[test]
fn sizes_as_podman_df() {
    assert_eq!(size(0), "0B");
    assert_eq!(size(2_008_000), "2.008MB");
    assert_eq!(size(4_270_000), "4.27MB");
    assert_eq!(size(999), "999B");
    assert_eq!(size(123_456_789), "123.5MB");
    assert_eq!(size(1_000), "1kB");
}
