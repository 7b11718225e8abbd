//! `hutch ps`: containers with their reconciled status.

use serde_json::{json, Value};

use crate::cli::PsArgs;
use crate::container::Status;
use crate::error::Result;
use crate::format::Format;
use crate::output::{human_ago, out, table};
use crate::spec::filter;
use crate::store::containers::ContainerRecord;
use crate::store::Store;

fn secs(n: i128) -> i64 {
    (n / 1_000_000_000) as i64
}

fn status_text(st: &Status, o: &crate::store::containers::Outcome) -> String {
    match st {
        Status::Created => "Created".into(),
        Status::Running { .. } => format!(
            "Up {}",
            crate::output::human_duration(crate::output::now_secs() - secs(o.started_at))
        ),
        Status::Exited { code } if o.finished_at > 0 => format!("Exited ({code}) {}", human_ago(secs(o.finished_at))),
        Status::Exited { code } => format!("Exited ({code})"),
    }
}

/// `--filter` of `ps` (and `start`): checked before anything runs. `pod=NAME|ID` values
/// become the pod's full id.
pub(crate) fn container_filters(items: &[String]) -> Result<filter::Filters> {
    let mut resolved = Vec::with_capacity(items.len());
    for it in items {
        match it.split_once('=') {
            Some((k, v)) if k.trim().eq_ignore_ascii_case("pod") => {
                let store = Store::open_existing(&crate::paths::data_dir()?);
                let idx = match &store {
                    Some(s) => s.load_pods()?,
                    None => Default::default(),
                };
                // An unknown pod matches nothing (Podman 4.3 lists nothing, no error).
                match idx.resolve(v) {
                    Ok(n) => resolved.push(format!("pod={}", idx.pods[n].id)),
                    Err(_) => resolved.push(format!("pod=<none:{v}>")),
                }
            }
            _ => resolved.push(it.clone()),
        }
    }
    let items = &resolved[..];
    let filters = filter::Filters::parse(
        items,
        &[
            "id",
            "name",
            "status",
            "label",
            "ancestor",
            "exited",
            "restart-policy",
            "pod",
        ],
    )?;
    let policies: Vec<&str> = items.iter().filter_map(|f| f.strip_prefix("restart-policy=")).collect();
    crate::spec::restart::check_filter_values(&policies)?;
    if let Some(v) = items.iter().find_map(|f| f.strip_prefix("status=")) {
        if ![
            "created",
            "running",
            "exited",
            "paused",
            "stopped",
            "restarting",
            "removing",
            "unknown",
        ]
        .contains(&v)
        {
            crate::bail!("invalid filter \"status={v}\": status must be one of created, running, exited, paused");
        }
    }
    Ok(filters)
}

/// `pod=ID` (resolved by `container_filters`): the container belongs to that pod.
fn pod_matches(c: &ContainerRecord, id: &str) -> bool {
    c.spec.pod.as_deref() == Some(id)
}

/// Whether a container in state `st` passes `filters` (Podman's keys, see `container_filters`).
pub(crate) fn container_matches(filters: &filter::Filters, c: &ContainerRecord, st: &Status) -> bool {
    filters.matches(|k, v| match k {
        "id" => filter::id_matches(&c.id, v),
        "name" => filter::name_matches(&c.name, v),
        // As Podman: stopped is exited.
        "status" => st.word() == v || (v == "stopped" && st.word() == "exited"),
        "label" => filter::label_matches(&c.spec.labels, v),
        "ancestor" => {
            c.image.starts_with(v.trim_start_matches("sha256:"))
                || c.image_name == v
                || c.image_name
                    .rsplit_once(':')
                    .is_some_and(|(r, _)| r == v || r.ends_with(&format!("/{v}")))
                || c.image_name.ends_with(&format!("/{v}"))
        }
        "exited" => matches!(st, Status::Exited { code } if v.parse() == Ok(*code)),
        "restart-policy" => c.spec.restart.filter_matches(v),
        "pod" => pod_matches(c, v),
        _ => false,
    })
}

pub fn run(a: PsArgs) -> Result<i32> {
    let filters = container_filters(&a.filter)?;
    let Some(store) = Store::open_existing(&crate::paths::data_dir()?) else {
        return print(&a, vec![]);
    };
    let idx = store.load_containers()?;
    // Pod ids and names, for `{{.Pod}}`, `{{.PodName}}` and --pod's columns.
    let pods = store.load_pods().unwrap_or_default();
    let mut rows = Vec::new();
    let mut recs: Vec<_> = idx.containers.iter().collect();
    recs.sort_by_key(|c| std::cmp::Reverse(c.created));
    if a.latest {
        recs.truncate(1);
    }
    // A status filter looks at every container, as Podman's (-a implied).
    let all = a.all || a.filter.iter().any(|f| f.starts_with("status="));
    for c in recs {
        let (st, o, _) = crate::container::status(&store, c);
        if !all && !a.latest && !matches!(st, Status::Running { .. }) {
            continue;
        }
        if !container_matches(&filters, c, &st) {
            continue;
        }
        let (pid, exit) = match st {
            Status::Running { pid } => (pid, 0),
            Status::Exited { code } => (0, code),
            Status::Created => (0, 0),
        };
        let cmd = c.spec.args();
        rows.push(json!({
            "Id": c.id,
            "ID": if a.no_trunc { c.id.clone() } else { c.short_id().to_string() },
            "Names": [c.name],
            "Image": c.image_name,
            "ImageID": c.image,
            "Command": cmd,
            "Created": c.created,
            "CreatedAt": crate::output::format_time(c.created),
            "State": st.word(),
            "Status": status_text(&st, &o),
            "ExitCode": exit,
            "Exited": matches!(st, Status::Exited { .. }),
            "StartedAt": secs(o.started_at),
            "ExitedAt": secs(o.finished_at),
            "Pid": pid,
            "Labels": c.spec.labels,
            "AutoRemove": c.spec.auto_remove,
            // Podman's shape: host_ip, container_port, host_port, range, protocol.
            "Ports": c.spec.ports,
            "PortsText": c.spec.ports.iter().map(|p| p.display()).collect::<Vec<_>>().join(", "),
            // Podman's: the pod's id (short in tables and templates), or empty.
            "Pod": c.spec.pod.clone().unwrap_or_default(),
            "PodName": c.spec.pod.as_deref().and_then(|id| pods.pods.iter().find(|p| p.id == id)).map(|p| p.name.clone()).unwrap_or_default(),
        }));
    }
    if let Some(key) = &a.sort {
        sort_rows(&mut rows, key);
    }
    print(&a, rows)
}

/// `--sort`: ascending, as Podman (created: oldest first).
fn sort_rows(rows: &mut [Value], key: &str) {
    let text = |r: &Value, f: &str| match &r[f] {
        Value::Array(a) => a.iter().filter_map(|s| s.as_str()).collect::<Vec<_>>().join(" "),
        v => v.as_str().unwrap_or_default().to_string(),
    };
    match key {
        "created" | "runningfor" => rows.sort_by_key(|r| r["Created"].as_i64().unwrap_or(0)),
        "id" => rows.sort_by_key(|r| text(r, "Id")),
        "image" => rows.sort_by_key(|r| text(r, "Image")),
        "names" => rows.sort_by_key(|r| text(r, "Names")),
        "command" => rows.sort_by_key(|r| text(r, "Command")),
        "status" => rows.sort_by_key(|r| text(r, "Status")),
        _ => {}
    }
}

/// JSON output carries Podman's fields only.
fn strip_internal(rows: &mut [Value]) {
    for r in rows {
        if let Some(o) = r.as_object_mut() {
            o.remove("PortsText");
        }
    }
}

fn print(a: &PsArgs, rows: Vec<Value>) -> Result<i32> {
    if a.quiet {
        out(&rows
            .iter()
            .map(|r| format!("{}\n", r["ID"].as_str().unwrap_or_default()))
            .collect::<String>());
        return Ok(0);
    }
    match Format::parse(a.format.as_deref()) {
        Format::Json => {
            let mut rows = rows;
            strip_internal(&mut rows);
            out(&(serde_json::to_string_pretty(&rows).expect("json") + "\n"))
        }
        Format::Template { tmpl, header } => {
            // Templates see Names and Command as strings, like Podman's.
            let flat: Vec<Value> = rows
                .iter()
                .map(|r| {
                    let mut r = r.clone();
                    r["Names"] = Value::String(r["Names"][0].as_str().unwrap_or_default().to_string());
                    let cmd: Vec<&str> = r["Command"]
                        .as_array()
                        .map(|a| a.iter().filter_map(|s| s.as_str()).collect())
                        .unwrap_or_default();
                    r["Command"] = Value::String(cmd.join(" "));
                    r["Ports"] = r["PortsText"].clone();
                    r["Pod"] = Value::String(r["Pod"].as_str().unwrap_or_default().chars().take(12).collect());
                    r
                })
                .collect();
            out(&crate::format::render_titled(
                &tmpl,
                header && !a.noheading,
                &flat,
                &[("ID", "CONTAINER ID")],
            )?);
        }
        Format::Table => {
            let body: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    let cmd: Vec<&str> = r["Command"]
                        .as_array()
                        .map(|a| a.iter().filter_map(|s| s.as_str()).collect())
                        .unwrap_or_default();
                    let mut cmd = cmd.join(" ");
                    if !a.no_trunc && cmd.chars().count() > 20 {
                        cmd = cmd.chars().take(17).collect::<String>() + "...";
                    }
                    let mut row = vec![
                        r["ID"].as_str().unwrap_or_default().to_string(),
                        r["Image"].as_str().unwrap_or_default().to_string(),
                        cmd,
                        human_ago(r["Created"].as_i64().unwrap_or(0)),
                        r["Status"].as_str().unwrap_or_default().to_string(),
                        r["PortsText"].as_str().unwrap_or_default().to_string(),
                        r["Names"][0].as_str().unwrap_or_default().to_string(),
                    ];
                    if a.pod {
                        row.push(r["Pod"].as_str().unwrap_or_default().chars().take(12).collect());
                        row.push(r["PodName"].as_str().unwrap_or_default().to_string());
                    }
                    row
                })
                .collect();
            let mut headers = vec![
                "CONTAINER ID",
                "IMAGE",
                "COMMAND",
                "CREATED",
                "STATUS",
                "PORTS",
                "NAMES",
            ];
            if a.pod {
                headers.extend(["POD ID", "PODNAME"]);
            }
            let mut text = table(&headers, &body);
            if a.noheading {
                text = text.split_once('\n').map(|(_, r)| r.to_string()).unwrap_or_default();
            }
            out(&text);
        }
    }
    Ok(0)
}
