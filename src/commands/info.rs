//! `hutch info`: what hutch found on this machine, as YAML-like text or `--format json`.

use serde_json::{json, Value};

use crate::cli::InfoArgs;
use crate::error::Result;
use crate::format::Format;

fn yaml(v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(o) => {
            for (k, v) in o {
                match v {
                    Value::Object(_) => {
                        out.push_str(&format!("{pad}{k}:\n"));
                        yaml(v, indent + 2, out);
                    }
                    Value::Array(a) if a.is_empty() => out.push_str(&format!("{pad}{k}: []\n")),
                    Value::Array(a) => {
                        out.push_str(&format!("{pad}{k}:\n"));
                        for item in a {
                            match item {
                                Value::Object(_) => {
                                    let mut s = String::new();
                                    yaml(item, indent + 4, &mut s);
                                    out.push_str(&format!(
                                        "{pad}  - {}\n",
                                        s.trim_start().replace('\n', "\n").trim_end()
                                    ));
                                }
                                other => out.push_str(&format!("{pad}  - {}\n", scalar(other))),
                            }
                        }
                    }
                    other => out.push_str(&format!("{pad}{k}: {}\n", scalar(other))),
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other))),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

/// Templates see Podman's Go field names: `{{.Store.GraphRoot}}` for the JSON `store.graphRoot`.
fn go_names(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| {
                    // Go names that are not the JSON name capitalised.
                    let special = match k.as_str() {
                        "ociRuntime" => Some("OCIRuntime"),
                        "cgroupVersion" => Some("CgroupsVersion"),
                        "slirp4netns" => Some("Slirp4NetNS"),
                        "idMappings" => Some("IDMappings"),
                        "uidmap" => Some("UIDMap"),
                        "gidmap" => Some("GIDMap"),
                        "container_id" => Some("ContainerID"),
                        "host_id" => Some("HostID"),
                        _ => None,
                    };
                    if let Some(n) = special {
                        return (n.to_string(), go_names(v));
                    }
                    let mut c = k.chars();
                    let name = c
                        .next()
                        .map(|f| f.to_uppercase().chain(c).collect())
                        .unwrap_or_default();
                    (name, go_names(v))
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(go_names).collect()),
        other => other.clone(),
    }
}

pub fn run(a: InfoArgs) -> Result<i32> {
    let store = crate::paths::data_dir()?;
    let (images, layers) = match crate::store::Store::open_existing(&store) {
        Some(s) => (s.load_images()?.images.len(), s.load_layers()?.layers.len()),
        None => (0, 0),
    };
    let conf = crate::config::ContainersConf::load()?;
    let registries = crate::config::registries_conf_report();
    let v = json!({
        "host": crate::system::host_facts(),
        "store": {
            "graphRoot": store.display().to_string(),
            "runRoot": crate::paths::runtime_dir().display().to_string(),
            "runRootFallback": !crate::paths::runtime_dir_given() && crate::paths::xdg_runtime_dir().is_none(),
            "imageCount": images,
            "layerCount": layers,
            "keepIdMethod": crate::system::keep_id_method(),
        },
        "containersConf": {
            "files": conf.files,
            "defaultNetwork": super::run::network_mode(None, &conf, crate::spec::network::default_mode, true)?,
            "defaultCapabilities": conf.default_capabilities.clone().unwrap_or_else(|| crate::spec::caps::DEFAULT.iter().map(|c| c.to_string()).collect()),
            "logSizeMax": conf.log_size_max,
            "env": conf.env,
            "dnsServers": conf.dns_servers,
            "dnsSearches": conf.dns_searches,
            "dnsOptions": conf.dns_options,
            "baseHostsFile": conf.base_hosts_file,
            "userns": conf.userns,
            "tz": conf.tz,
            "ignoredKeys": conf.ignored_keys,
        },
        "registriesConf": {
            "files": registries.0,
            "ignoredKeys": registries.1,
        },
        "version": {
            "version": env!("CARGO_PKG_VERSION"),
        },
    });
    let mut v = v;
    podman_fields(&mut v);
    let text = match Format::parse(a.format.as_deref()) {
        Format::Json => serde_json::to_string_pretty(&v).expect("json") + "\n",
        Format::Template { tmpl, header } => crate::format::render(&tmpl, header, &[go_names(&v)])?,
        Format::Table => {
            let mut s = String::new();
            yaml(&v, 0, &mut s);
            s
        }
    };
    crate::output::out(&text);
    Ok(0)
}

/// Podman's field names beside hutch's own (kept where both exist), so scripts written for
/// `podman info` find theirs: `host.ociRuntime`, `host.networkBackend`, `store.graphDriverName`,
/// `store.imageStore.number`, `version.Version`…
fn podman_fields(v: &mut Value) {
    let default_network = v["containersConf"]["defaultNetwork"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let add = |dst: &mut Value, src: Value| {
        if let (Some(d), Value::Object(s)) = (dst.as_object_mut(), src) {
            for (k, x) in s {
                d.entry(k).or_insert(x);
            }
        }
    };
    add(&mut v["host"], crate::system::podman_host_fields(&default_network));
    let data = crate::paths::data_dir().ok();
    let (images, containers) = match data.as_deref().and_then(crate::store::Store::open_existing) {
        Some(s) => {
            let images = s.load_images().map(|i| i.images.len()).unwrap_or(0);
            let mut counts = (0, 0, 0);
            if let Ok(idx) = s.load_containers() {
                for c in &idx.containers {
                    match crate::container::status(&s, c).0 {
                        crate::container::Status::Running { .. } => counts.0 += 1,
                        _ => counts.1 += 1,
                    }
                    counts.2 += 1;
                }
            }
            (images, counts)
        }
        None => (0, (0, 0, 0)),
    };
    let graph = v["store"]["graphRoot"].as_str().unwrap_or_default().to_string();
    add(
        &mut v["store"],
        json!({
            "configFile": std::env::var("XDG_CONFIG_HOME")
                .map(std::path::PathBuf::from)
                .or_else(|_| std::env::var("HOME").map(|h| std::path::Path::new(&h).join(".config")))
                .map(|d| d.join("containers/storage.conf").display().to_string())
                .unwrap_or_default(),
            "containerStore": {"number": containers.2, "paused": 0, "running": containers.0, "stopped": containers.1},
            "graphDriverName": "overlay",
            "graphOptions": {},
            "graphStatus": {},
            "imageStore": {"number": images},
            "volumePath": format!("{graph}/volumes"),
        }),
    );
    // Where short names (`alpine`) are looked for: hutch resolves them on Docker Hub only.
    add(
        v,
        json!({"registries": {"search": [crate::reference::DEFAULT_REGISTRY]}}),
    );
    let ver = env!("CARGO_PKG_VERSION");
    add(
        &mut v["version"],
        json!({"APIVersion": ver, "Version": ver, "OsArch": format!("linux/{}", crate::registry::Platform::host().arch), "Os": "linux"}),
    );
}
