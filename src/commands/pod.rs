//! `hutch pod create|ps|inspect|start|stop|restart|kill|rm|exists`.

use serde_json::{json, Value};

use crate::cli::{PodCommand, PodCreateArgs, PodInspectArgs, PodPsArgs};
use crate::error::{Class, Context, Result};
use crate::output::{error, human_ago, out};
use crate::store::pods::PodRecord;
use crate::store::Store;

pub fn run(c: PodCommand) -> Result<i32> {
    match c {
        PodCommand::Create(a) => create(a),
        PodCommand::Ps(a) => ps(a),
        PodCommand::Top(a) => super::top::pod(a),
        PodCommand::Inspect(a) => inspect(a),
        PodCommand::Start(a) => each(&a.pods, a.all, false, |s, p| crate::pod::start(s, p)).map(not_rm),
        PodCommand::Stop(a) => each(&a.pods, a.all, a.ignore, |s, p| crate::pod::stop(s, p, a.time)).map(not_rm),
        PodCommand::Restart(a) => each(&a.pods, a.all, false, |s, p| {
            crate::pod::stop(s, p, None)?;
            crate::pod::start(s, p)
        })
        .map(not_rm),
        PodCommand::Kill(a) => {
            let sig = crate::spec::signal::parse_signal(&a.signal)?;
            each(&a.pods, a.all, false, |s, p| crate::pod::kill(s, p, sig).map(drop)).map(not_rm)
        }
        PodCommand::Rm(a) => {
            // Everything stopped first: once removal has entered the user namespace (files of
            // other uids), hutch may no longer signal the containers.
            if a.force {
                if let Ok(store) = Store::open() {
                    let idx = store.load_pods()?;
                    for p in idx.pods.iter().filter(|p| {
                        a.all
                            || a.pods
                                .iter()
                                .any(|n| idx.resolve(n).is_ok_and(|i| idx.pods[i].id == p.id))
                    }) {
                        for c in crate::pod::containers(&store, p)? {
                            let _ = crate::container::ensure_stopped_within(&store, &c, true, a.time);
                        }
                    }
                }
            }
            each(&a.pods, a.all, a.force || a.ignore, |s, p| {
                crate::pod::remove(s, p, a.force)
            })
        }
        PodCommand::Exists(a) => {
            let Some(store) = Store::open_existing(&crate::paths::data_dir()?) else {
                return Ok(1);
            };
            Ok(if store.load_pods()?.resolve(&a.pod).is_ok() {
                0
            } else {
                1
            })
        }
    }
}

fn create(a: PodCreateArgs) -> Result<i32> {
    let exit_policy = crate::store::pods::ExitPolicy::parse(&a.exit_policy)?;
    if !a.infra && !a.publish.is_empty() {
        crate::bail!("-p: a pod without an infra container (--infra=false) cannot publish ports");
    }
    if !a.infra && !(a.add_host.is_empty() && a.dns.is_empty() && a.dns_search.is_empty() && a.dns_option.is_empty()) {
        crate::bail!(
            "--add-host and --dns*: a pod without an infra container (--infra=false) has no network of its own"
        );
    }
    if !a.infra && a.network.is_some() {
        crate::bail!("--network: a pod without an infra container (--infra=false) has no network of its own");
    }
    if !a.infra
        && (a.infra_image.is_some()
            || a.infra_name.is_some()
            || a.infra_command.is_some()
            || a.infra_conmon_pidfile.is_some())
    {
        crate::bail!("--infra-image, --infra-name, --infra-command and --infra-conmon-pidfile need an infra container (not --infra=false)");
    }
    let infra = if a.infra {
        if let Some(n) = &a.network {
            if n.starts_with("container:") || n.starts_with("ns:") {
                crate::bail!("--network {n}: a pod's network is a network's name (podman, the default one), private, pasta, slirp4netns, none or host");
            }
        }
        let mut extra: Vec<String> = Vec::new();
        for (flag, vals) in [
            ("--add-host", &a.add_host),
            ("--dns", &a.dns),
            ("--dns-search", &a.dns_search),
            ("--dns-option", &a.dns_option),
        ] {
            extra.extend(vals.iter().map(|v| format!("{flag}={v}")));
        }
        let mut o = super::run::infra_options_with(a.network.as_deref(), &a.publish, &extra)?;
        if let Some(p) = &a.infra_conmon_pidfile {
            o.monitor_pidfile = Some(
                std::path::absolute(p)
                    .ctx(|| format!("--infra-conmon-pidfile {}", p.display()))?
                    .display()
                    .to_string(),
            );
        }
        Some(o)
    } else {
        None
    };
    let store = Store::open()?;
    let o = crate::pod::PodOptions {
        name: a.name.or(a.name_arg),
        share: a.share,
        hostname: a.hostname,
        infra: a.infra,
        labels: a.label,
        replace: a.replace,
        kube_file: None,
        infra_image: a.infra_image,
        infra_name: a.infra_name,
        infra_command: a.infra_command,
        create_command: std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect(),
        exit_policy,
        service: None,
    };
    let p = crate::pod::create(&store, &o, infra)?;
    if let Some(f) = &a.pod_id_file {
        if let Err(e) = std::fs::write(f, &p.id) {
            let _ = crate::pod::remove(&store, &p, true);
            crate::bail!("--pod-id-file {}: {e}", f.display());
        }
    }
    out(&format!("{}\n", p.id));
    Ok(0)
}

/// Run `f` on each pod named (or all), printing its id or its error; 125 when one failed
/// (1 when the only failures are pods that do not exist), as Podman.
/// Only `pod rm` has exit status 1 for a pod that does not exist (podman-pod-rm(1)); the
/// other per-pod verbs fail with 125, as Podman's do.
fn not_rm(code: i32) -> i32 {
    if code == 1 {
        125
    } else {
        code
    }
}

fn each(names: &[String], all: bool, missing_ok: bool, f: impl Fn(&Store, &PodRecord) -> Result<()>) -> Result<i32> {
    let store = Store::open()?;
    let idx = store.load_pods()?;
    let items: Vec<(String, Result<PodRecord>)> = if all {
        idx.pods.iter().map(|p| (p.id.clone(), Ok(p.clone()))).collect()
    } else {
        names
            .iter()
            .map(|n| (n.clone(), idx.resolve(n).map(|i| idx.pods[i].clone())))
            .collect()
    };
    let mut failed = Vec::new();
    for (_, r) in items {
        match r.and_then(|p| f(&store, &p).map(|()| p)) {
            Ok(p) => out(&format!("{}\n", p.id)),
            Err(e) if missing_ok && e.class == Class::NoSuchObject => {}
            Err(e) => {
                error(&e.message);
                failed.push(e.class);
            }
        }
    }
    Ok(if failed.is_empty() {
        0
    } else if failed.iter().all(|c| *c == Class::NoSuchObject) {
        1
    } else {
        125
    })
}

fn matches(store: &Store, p: &PodRecord, status: &str, filters: &[(String, String)]) -> bool {
    filters.iter().all(|(k, v)| match k.as_str() {
        "name" => p.name.contains(v.as_str()),
        "id" => p.id.starts_with(v.as_str()),
        "status" => status.eq_ignore_ascii_case(v),
        "label" => match v.split_once('=') {
            Some((lk, lv)) => p.labels.get(lk).is_some_and(|x| x == lv),
            None => p.labels.contains_key(v.as_str()),
        },
        "ctr-names" => crate::pod::containers(store, p)
            .unwrap_or_default()
            .iter()
            .any(|c| c.name.contains(v.as_str())),
        _ => false,
    })
}

fn ps(a: PodPsArgs) -> Result<i32> {
    let mut filters = Vec::new();
    for f in &a.filter {
        let Some((k, v)) = f.split_once('=') else {
            crate::bail!("--filter {f}: expected KEY=VALUE");
        };
        if !["name", "id", "status", "label", "ctr-names"].contains(&k) {
            crate::bail!("--filter {f}: unknown filter {k} (use name, id, status, label or ctr-names)");
        }
        filters.push((k.to_string(), v.to_string()));
    }
    let Some(store) = Store::open_existing(&crate::paths::data_dir()?) else {
        return print(&a, vec![]);
    };
    let idx = store.load_pods()?;
    let mut pods: Vec<&PodRecord> = idx.pods.iter().collect();
    pods.sort_by_key(|p| std::cmp::Reverse(p.created));
    let mut rows = Vec::new();
    for p in pods {
        let status = crate::pod::status(&store, p)?;
        if !matches(&store, p, status, &filters) {
            continue;
        }
        let cs = crate::pod::containers(&store, p)?;
        let infra = p.infra.clone().unwrap_or_default();
        rows.push(json!({
            "Id": p.id,
            "ID": if a.no_trunc { p.id.clone() } else { p.short_id().to_string() },
            "Name": p.name,
            "Status": status,
            "Created": crate::output::format_time(p.created),
            "CreatedSecs": p.created,
            "InfraId": infra,
            "InfraID": if a.no_trunc || infra.len() < 12 { infra.clone() } else { infra[..12].to_string() },
            "NumberOfContainers": cs.len(),
            "Labels": p.labels,
            "Networks": [],
            "Namespace": "",
            "Cgroup": "",
            "Containers": cs.iter().map(|c| json!({
                "Id": c.id,
                "Names": c.name,
                "Status": crate::container::status(&store, c).0.word(),
                "RestartCount": 0,
            })).collect::<Vec<_>>(),
        }));
    }
    print(&a, rows)
}

fn print(a: &PodPsArgs, rows: Vec<Value>) -> Result<i32> {
    if a.quiet {
        out(&rows
            .iter()
            .map(|r| format!("{}\n", r["ID"].as_str().unwrap_or_default()))
            .collect::<String>());
        return Ok(0);
    }
    let json_rows: Vec<Value> = rows
        .iter()
        .map(|r| {
            let mut r = r.clone();
            if let Some(o) = r.as_object_mut() {
                for k in ["ID", "InfraID", "CreatedSecs", "NumberOfContainers"] {
                    o.remove(k);
                }
            }
            r
        })
        .collect();
    if matches!(
        crate::format::Format::parse(a.format.as_deref()),
        crate::format::Format::Json
    ) {
        out(&(serde_json::to_string_pretty(&json_rows).expect("json") + "\n"));
        return Ok(0);
    }
    super::print_listing(
        a.format.as_deref(),
        &rows,
        &[
            ("ID", "POD ID"),
            ("InfraID", "INFRA ID"),
            ("NumberOfContainers", "# OF CONTAINERS"),
        ],
        a.noheading,
        || {
            let body: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r["ID"].as_str().unwrap_or_default().to_string(),
                        r["Name"].as_str().unwrap_or_default().to_string(),
                        r["Status"].as_str().unwrap_or_default().to_string(),
                        human_ago(r["CreatedSecs"].as_i64().unwrap_or(0)),
                        r["InfraID"].as_str().unwrap_or_default().to_string(),
                        r["NumberOfContainers"].to_string(),
                    ]
                })
                .collect();
            let mut text = crate::output::table(
                &["POD ID", "NAME", "STATUS", "CREATED", "INFRA ID", "# OF CONTAINERS"],
                &body,
            );
            if a.noheading {
                text = text.split_once('\n').map(|(_, r)| r.to_string()).unwrap_or_default();
            }
            text
        },
    )?;
    Ok(0)
}

fn inspect(a: PodInspectArgs) -> Result<i32> {
    // A bad template is the one error, before any pod is looked up.
    if let Some(f) = a.format.as_deref().filter(|f| *f != "json") {
        crate::format::Compiled::new(f)?;
    }
    let store = Store::open()?;
    let idx = store.load_pods()?;
    let mut items = Vec::new();
    let mut failed = false;
    for n in &a.pods {
        match idx
            .resolve(n)
            .and_then(|i| crate::pod::inspect_json(&store, &idx.pods[i]))
        {
            Ok(v) => items.push(v),
            Err(e) => {
                error(&e.message);
                failed = true;
            }
        }
    }
    match a.format.as_deref() {
        None | Some("json") => out(&(serde_json::to_string_pretty(&items).expect("json") + "\n")),
        Some(f) => {
            // Podman's Go fields are ID (JSON "Id"), which templates name: both work, the pod's
            // and each of its containers'.
            for v in items.iter_mut() {
                alias_id(v);
                if let Some(cs) = v.get_mut("Containers").and_then(|c| c.as_array_mut()) {
                    cs.iter_mut().for_each(alias_id);
                }
            }
            let text = crate::format::render_titled(f, false, &items, &[])?;
            out(&text);
        }
    }
    Ok(if failed { 125 } else { 0 })
}

fn alias_id(v: &mut serde_json::Value) {
    if let Some(id) = v.get("Id").cloned() {
        v["ID"] = id;
    }
}
