//! `kube generate`: a pod (or a lone container, as a pod of one) as Kubernetes Pod YAML, and
//! a Service for its published ports. Only what differs from the image's defaults is written
//! (command, args, env, workingDir), so the YAML reads like one written by hand.

use serde_json::{json, Map, Value};

use crate::error::Result;
use crate::spec::network::PortMapping;
use crate::spec::{ImageConfig, MountKind, Spec};

/// A container to describe, with its image's config.
pub struct Member<'a> {
    pub name: String,
    pub image_name: &'a str,
    pub spec: &'a Spec,
    pub image: ImageConfig,
}

/// A pod to describe: its name, labels, host name, published ports and containers.
pub struct PodDesc<'a> {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub hostname: Option<String>,
    pub ports: Vec<PortMapping>,
    pub members: Vec<Member<'a>>,
    /// The pod's own directory (`kube play` writes its ConfigMap and Secret files and its
    /// emptyDir volumes there): mounts from it are written back as those volumes.
    pub pod_dir: Option<std::path::PathBuf>,
}

/// What a bind mount from the pod's directory is: `configmaps/NAME[/KEY]`,
/// `secrets/NAME[/KEY]` or `emptydir/NAME` (kind, volume name, the key of a subPath mount).
fn pod_dir_source(pod: &PodDesc, source: &str) -> Option<(&'static str, String, Option<String>)> {
    let dir = pod.pod_dir.as_ref()?;
    let rel = std::path::Path::new(source).strip_prefix(dir).ok()?;
    let parts: Vec<String> = rel.iter().map(|c| c.to_string_lossy().into_owned()).collect();
    let kind = match parts.first()?.as_str() {
        "configmaps" => "configMap",
        "secrets" => "secret",
        "emptydir" => "emptyDir",
        _ => return None,
    };
    let name = parts.get(1)?.clone();
    let key = (parts.len() > 2).then(|| parts[2..].join("/"));
    Some((kind, name, key))
}

/// The files of a ConfigMap or Secret directory written by `kube play`, as (relative path,
/// contents, mode), sorted.
fn read_tree(dir: &std::path::Path, rel: &str, out: &mut Vec<(String, Vec<u8>, u32)>) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<std::io::Result<_>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let r = if rel.is_empty() { name } else { format!("{rel}/{name}") };
        let md = e.metadata()?;
        if md.is_dir() {
            read_tree(&e.path(), &r, out)?;
        } else if md.is_file() {
            out.push((r, std::fs::read(e.path())?, md.permissions().mode() & 0o777));
        }
    }
    Ok(())
}

/// A ConfigMap or Secret (`kind`: configMap, secret) named `name` from the files of `dir`, and
/// the volume that mounts it (items when a path is not a valid key; a mode other than 0644).
fn config_volume(kind: &str, name: &str, dir: &std::path::Path) -> std::io::Result<(Value, Value)> {
    use base64::Engine;
    let mut files = Vec::new();
    read_tree(dir, "", &mut files)?;
    let secret = kind == "secret";
    let valid_key = |k: &str| {
        !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    let mut data = Map::new();
    let mut binary = Map::new();
    let mut items = Vec::new();
    let modes: std::collections::BTreeSet<u32> = files.iter().map(|f| f.2).collect();
    let default_mode = (modes.len() == 1).then(|| *modes.iter().next().unwrap());
    let mut need_items = false;
    for (path, bytes, mode) in &files {
        let key = if valid_key(path) {
            path.clone()
        } else {
            need_items = true;
            path.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                        c
                    } else {
                        '_'
                    }
                })
                .collect()
        };
        let mut item = json!({ "key": key, "path": path });
        if default_mode.is_none() {
            need_items = true;
            item["mode"] = json!(mode);
        }
        items.push(item);
        if secret {
            data.insert(key, json!(base64::engine::general_purpose::STANDARD.encode(bytes)));
        } else {
            match std::str::from_utf8(bytes) {
                Ok(t) => data.insert(key, json!(t)),
                Err(_) => binary.insert(key, json!(base64::engine::general_purpose::STANDARD.encode(bytes))),
            };
        }
    }
    let mut doc = json!({
        "apiVersion": "v1",
        "kind": if secret { "Secret" } else { "ConfigMap" },
        "metadata": { "name": name },
    });
    if !data.is_empty() {
        doc["data"] = Value::Object(data);
    }
    if !binary.is_empty() {
        doc["binaryData"] = Value::Object(binary);
    }
    let mut src = if secret {
        json!({ "secretName": name })
    } else {
        json!({ "name": name })
    };
    if need_items {
        src["items"] = Value::Array(items);
    }
    if let Some(m) = default_mode.filter(|m| *m != 0o644) {
        src["defaultMode"] = json!(m);
    }
    Ok((doc, json!({ kind: src })))
}

/// A DNS-1123 label (what Kubernetes names must be): lower case, `-` for anything else.
pub fn dns_label(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_alphanumeric() {
                c
            } else {
                '-'
            }
        })
        .collect();
    out.truncate(63);
    out.trim_matches('-').to_string()
}

fn container(
    m: &Member,
    pod: &PodDesc,
    first: bool,
    volumes: &mut Vec<Value>,
    configs: &mut Vec<Value>,
    warnings: &mut Vec<String>,
) -> Value {
    let spec = m.spec;
    let mut c = Map::new();
    let short = m
        .name
        .strip_prefix(&format!("{}-", pod.name))
        .unwrap_or(&m.name)
        .to_string();
    c.insert("name".into(), json!(dns_label(&short)));
    c.insert("image".into(), json!(m.image_name));
    if spec.entrypoint != m.image.entrypoint {
        c.insert("command".into(), json!(spec.entrypoint));
        if !spec.cmd.is_empty() {
            c.insert("args".into(), json!(spec.cmd));
        }
    } else if spec.cmd != m.image.cmd {
        c.insert("args".into(), json!(spec.cmd));
    }
    let img_wd = if m.image.workdir.is_empty() {
        "/"
    } else {
        &m.image.workdir
    };
    if spec.workdir != img_wd {
        c.insert("workingDir".into(), json!(spec.workdir));
    }
    let env: Vec<Value> = spec
        .env
        .iter()
        .filter(|e| {
            !m.image.env.contains(e) && !crate::spec::DEFAULT_ENV.contains(&e.as_str()) && !e.starts_with("HOSTNAME=")
        })
        .filter_map(|e| e.split_once('='))
        .map(|(k, v)| json!({ "name": k, "value": v }))
        .collect();
    if !env.is_empty() {
        c.insert("env".into(), Value::Array(env));
    }
    if first {
        let mut ports = Vec::new();
        for p in &pod.ports {
            for (h, cp) in p.pairs() {
                let mut o = json!({
                    "containerPort": cp,
                    "hostPort": h,
                    "protocol": p.protocol.name().to_ascii_uppercase(),
                });
                if !p.host_ip.is_empty() {
                    o["hostIP"] = json!(p.host_ip);
                }
                ports.push(o);
            }
        }
        if !ports.is_empty() {
            c.insert("ports".into(), Value::Array(ports));
        }
    }
    let mut mounts = Vec::new();
    for mnt in &spec.mounts {
        if mnt.destination == "/etc/localtime" && mnt.kind == MountKind::Bind && mnt.source.contains("zoneinfo") {
            continue;
        }
        let from_pod = match mnt.kind {
            MountKind::Bind => pod_dir_source(pod, &mnt.source),
            _ => None,
        };
        let mut sub_path = None;
        let source = match mnt.kind {
            MountKind::Bind if from_pod.is_some() => {
                let (kind, name, key) = from_pod.clone().unwrap();
                sub_path = key;
                if kind == "emptyDir" {
                    json!({ "emptyDir": {} , "name": dns_label(&name) })
                } else {
                    let dir = pod
                        .pod_dir
                        .as_ref()
                        .unwrap()
                        .join(if kind == "secret" { "secrets" } else { "configmaps" })
                        .join(&name);
                    let cname = dns_label(&format!("{}-{name}", dns_label(&pod.name)));
                    match config_volume(kind, &cname, &dir) {
                        Ok((doc, vol)) => {
                            if !configs
                                .iter()
                                .any(|d| d["kind"] == doc["kind"] && d["metadata"]["name"] == json!(cname))
                            {
                                configs.push(doc);
                            }
                            let mut vol = vol;
                            vol["name"] = json!(dns_label(&name));
                            vol
                        }
                        Err(e) => {
                            warnings.push(format!(
                                "container {}: the {kind} volume on {} could not be read ({e}), left out",
                                m.name, mnt.destination
                            ));
                            continue;
                        }
                    }
                }
            }
            MountKind::Bind => {
                let ty = if std::path::Path::new(&mnt.source).is_dir() {
                    "Directory"
                } else {
                    "File"
                };
                json!({ "hostPath": { "path": mnt.source, "type": ty } })
            }
            MountKind::Volume if mnt.source.is_empty() => json!({ "emptyDir": {} }),
            MountKind::Volume => json!({ "persistentVolumeClaim": { "claimName": mnt.source } }),
            #[allow(unreachable_patterns)]
            _ => {
                warnings.push(format!(
                    "container {}: the mount on {} has no Kubernetes form, left out",
                    m.name, mnt.destination
                ));
                continue;
            }
        };
        // Volumes are shared by name in the pod: the same source gets one volume.
        let named = source.get("name").and_then(Value::as_str).map(String::from);
        let mut source = source;
        source.as_object_mut().map(|o| o.remove("name"));
        // (A volume of the pod's own directory is known by its name: two emptyDirs differ.)
        let existing = volumes.iter().find(|v| {
            let same_name = named.as_ref().is_none_or(|n| v["name"] == json!(n));
            let mut v = (*v).clone();
            v.as_object_mut().map(|o| o.remove("name"));
            v == source && same_name
        });
        let vname = match existing {
            Some(v) => v["name"].as_str().unwrap_or_default().to_string(),
            None => {
                let base = match (mnt.kind, &named) {
                    (_, Some(n)) => n.clone(),
                    (MountKind::Volume, _) if !mnt.source.is_empty() => dns_label(&mnt.source),
                    _ => dns_label(&format!("{}{}", short, mnt.destination)),
                };
                let mut name = if base.is_empty() { "vol".to_string() } else { base };
                let mut n = 1;
                while volumes.iter().any(|v| v["name"] == json!(name)) {
                    n += 1;
                    name = format!("{name}-{n}");
                }
                let mut v = source.clone();
                v["name"] = json!(name);
                volumes.push(v);
                name
            }
        };
        let mut mo = json!({ "name": vname, "mountPath": mnt.destination });
        if let Some(k) = &sub_path {
            mo["subPath"] = json!(k);
        }
        if mnt.read_only {
            mo["readOnly"] = json!(true);
        }
        mounts.push(mo);
    }
    if !mounts.is_empty() {
        c.insert("volumeMounts".into(), Value::Array(mounts));
    }
    let mut sc = Map::new();
    let user = spec
        .user
        .split_once(':')
        .map_or((spec.user.as_str(), None), |(u, g)| (u, Some(g)));
    if let Ok(u) = user.0.parse::<i64>() {
        if user.0 != m.image.user || user.1.is_some() {
            sc.insert("runAsUser".into(), json!(u));
        }
    } else if !user.0.is_empty() && spec.user != m.image.user {
        warnings.push(format!(
            "container {}: user {} is a name: Kubernetes takes numeric ids (runAsUser), left out",
            m.name, spec.user
        ));
    }
    if let Some(g) = user.1.and_then(|g| g.parse::<i64>().ok()) {
        sc.insert("runAsGroup".into(), json!(g));
    }
    if spec.privileged {
        sc.insert("privileged".into(), json!(true));
    } else {
        let def = crate::spec::caps::DEFAULT;
        let strip = |c: &str| c.trim_start_matches("CAP_").to_string();
        let add: Vec<String> = spec
            .caps
            .iter()
            .filter(|c| !def.contains(&c.as_str()))
            .map(|c| strip(c))
            .collect();
        let drop: Vec<String> = def
            .iter()
            .filter(|d| !spec.caps.iter().any(|c| c == *d))
            .map(|c| strip(c))
            .collect();
        let mut caps = Map::new();
        if !add.is_empty() {
            caps.insert("add".into(), json!(add));
        }
        if !drop.is_empty() {
            caps.insert("drop".into(), json!(drop));
        }
        if !caps.is_empty() {
            sc.insert("capabilities".into(), Value::Object(caps));
        }
    }
    if spec.read_only {
        sc.insert("readOnlyRootFilesystem".into(), json!(true));
    }
    if spec.no_new_privileges {
        sc.insert("allowPrivilegeEscalation".into(), json!(false));
    }
    if !sc.is_empty() {
        c.insert("securityContext".into(), Value::Object(sc));
    }
    if spec.tty {
        c.insert("tty".into(), json!(true));
    }
    if spec.interactive {
        c.insert("stdin".into(), json!(true));
    }
    Value::Object(c)
}

/// The Pod document (and with `service`, a Service one) for `pod`, as YAML values.
pub fn pod_docs(pod: &PodDesc, service: bool, warnings: &mut Vec<String>) -> Result<Vec<Value>> {
    let name = dns_label(&pod.name);
    if name.is_empty() {
        crate::bail!("pod {}: its name has nothing Kubernetes accepts", pod.name);
    }
    let mut labels = Map::new();
    labels.insert("app".into(), json!(name));
    for (k, v) in &pod.labels {
        labels.insert(k.clone(), json!(v));
    }
    let mut volumes = Vec::new();
    let mut configs = Vec::new();
    let containers: Vec<Value> = pod
        .members
        .iter()
        .enumerate()
        .map(|(i, m)| container(m, pod, i == 0, &mut volumes, &mut configs, warnings))
        .collect();
    if containers.is_empty() {
        crate::bail!("pod {}: it has no containers to describe", pod.name);
    }
    let mut spec = json!({ "containers": containers });
    // The first container's restart policy, as Podman's (none given: Never), so that `kube
    // play` gives the containers the same one back.
    spec["restartPolicy"] = json!(match pod.members[0].spec.restart.name.as_str() {
        "always" | "unless-stopped" => "Always",
        "on-failure" => "OnFailure",
        _ => "Never",
    });
    if !volumes.is_empty() {
        spec["volumes"] = Value::Array(volumes);
    }
    if let Some(h) = &pod.hostname {
        if h != &pod.name {
            spec["hostname"] = json!(h);
        }
    }
    // ConfigMaps and Secrets first, as they are usually written (play reads them anywhere).
    let mut docs = configs;
    docs.push(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": { "name": name, "labels": labels },
        "spec": spec,
    }));
    if service {
        let ports: Vec<Value> = pod
            .ports
            .iter()
            .flat_map(|p| {
                p.pairs().map(move |(_, c)| {
                    json!({
                        "name": format!("{c}-{}", p.protocol.name()),
                        "port": c,
                        "targetPort": c,
                        "protocol": p.protocol.name().to_ascii_uppercase(),
                    })
                })
            })
            .collect();
        if ports.is_empty() {
            warnings.push(format!("pod {}: no published ports, so no Service", pod.name));
        } else {
            docs.push(json!({
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": { "name": name, "labels": { "app": name } },
                "spec": { "selector": { "app": name }, "ports": ports },
            }));
        }
    }
    Ok(docs)
}

/// YAML documents separated by `---`.
pub fn to_yaml(docs: &[Value]) -> Result<String> {
    let mut out = String::new();
    for (i, d) in docs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&serde_norway::to_string(d).map_err(|e| crate::err!("writing YAML: {e}"))?);
    }
    Ok(out)
}
