//! Kubernetes YAML: `play` turns Pods, Deployments (one pod each), ConfigMaps, Secrets and
//! PersistentVolumeClaims into plans of pods and `hutch create` arguments (pure: no I/O;
//! commands/kube.rs carries them out), and `generate` turns pods and containers back into Pod
//! (and Service) YAML. Fields hutch does not support are reported by name, never dropped
//! silently.

pub mod generate;

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::error::Result;

/// The longest annotation value Podman's kube play accepts (its MaxKubeAnnotation).
pub const MAX_ANNOTATION: usize = 63;

/// Marks a path inside the pod's own directory in a plan's arguments (known once the pod
/// exists): ConfigMap and Secret files, emptyDir volumes.
pub const POD_DIR: &str = "@POD_DIR@";

/// The documents of a YAML stream, as JSON values (empty documents skipped). A syntax error
/// names its line.
pub fn parse_docs(text: &str, what: &str) -> Result<Vec<Value>> {
    let text = octal_modes(text);
    let mut out = Vec::new();
    for doc in serde_norway::Deserializer::from_str(&text) {
        let v = Value::deserialize(doc).map_err(|e| {
            let msg = e.to_string().replace('\n', " ");
            match e.location() {
                Some(l) if !msg.contains("line") => crate::err!("{what}: line {}: {msg}", l.line()),
                _ => crate::err!("{what}: {msg}"),
            }
        })?;
        if !v.is_null() {
            out.push(v);
        }
    }
    Ok(out)
}

/// Kubernetes reads its YAML as YAML 1.1, where `defaultMode: 0400` is octal (0o400 = 256);
/// the YAML 1.2 parser here would read decimal 400. File modes (`defaultMode:` and `mode:`)
/// written with a leading 0 are therefore rewritten as YAML 1.2 octal (`0o400`) before parsing,
/// on their own line, so error line numbers do not move.
fn octal_modes(text: &str) -> std::borrow::Cow<'_, str> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"(?m)^(\s*(?:-\s+)?(?:defaultMode|mode):\s*)0([0-7]+)(\s*(?:#.*)?)$").unwrap()
    });
    re.replace_all(text, "${1}0o${2}${3}")
}

/// One file to write in the pod's directory before its containers are created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodFile {
    /// Relative to the pod's directory.
    pub rel: String,
    pub data: Vec<u8>,
    pub mode: u32,
}

#[derive(Debug, Clone, Default)]
pub struct ContainerPlan {
    /// The container's name (POD-NAME).
    pub name: String,
    /// `hutch create` arguments, image and command last (without --pod and --name).
    pub args: Vec<String>,
    /// The image, as the YAML names it.
    pub image: String,
}

#[derive(Debug, Clone, Default)]
pub struct PodPlan {
    pub name: String,
    pub hostname: Option<String>,
    pub labels: Vec<String>,
    /// -p values for the pod (hostPort entries).
    pub publish: Vec<String>,
    /// hostNetwork: true.
    pub host_network: bool,
    pub files: Vec<PodFile>,
    /// Directories to create in the pod's directory (emptyDir volumes).
    pub dirs: Vec<String>,
    /// hostPath DirectoryOrCreate / FileOrCreate paths to create when missing.
    pub host_dirs: Vec<String>,
    pub host_files: Vec<String>,
    pub containers: Vec<ContainerPlan>,
}

#[derive(Debug, Default)]
pub struct PlayPlan {
    pub pods: Vec<PodPlan>,
    /// PersistentVolumeClaims: named volumes to create when missing.
    pub volumes: Vec<String>,
    /// Unsupported fields and other things the user should hear about.
    pub warnings: Vec<String>,
    /// Resource limits were asked for (they cannot be enforced without delegated cgroups).
    pub resources_asked: bool,
}

/// Kinds `play` understands.
const KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "ConfigMap",
    "Secret",
    "PersistentVolumeClaim",
    "Service",
];

struct Ctx<'a> {
    configmaps: BTreeMap<String, BTreeMap<String, Vec<u8>>>,
    secrets: BTreeMap<String, BTreeMap<String, Vec<u8>>>,
    warnings: &'a mut Vec<String>,
    resources: bool,
}

impl Ctx<'_> {
    /// Warn about the keys of `v` (an object at `path`) outside `known`.
    fn check(&mut self, v: &Value, path: &str, known: &[&str]) {
        if let Some(o) = v.as_object() {
            for k in o.keys() {
                if !known.contains(&k.as_str()) {
                    self.warnings.push(format!("{path}.{k}: not supported, ignored"));
                }
            }
        }
    }
}

fn s<'v>(v: &'v Value, k: &str) -> Option<&'v str> {
    v.get(k).and_then(Value::as_str)
}

fn num(v: &Value, k: &str) -> Option<i64> {
    v.get(k)
        .and_then(|x| x.as_i64().or_else(|| x.as_str().and_then(|s| s.parse().ok())))
}

fn arr<'v>(v: &'v Value, k: &str) -> &'v [Value] {
    v.get(k).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

fn string_list(v: &Value, k: &str, path: &str) -> Result<Vec<String>> {
    arr(v, k)
        .iter()
        .map(|x| match x {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            _ => crate::bail!("{path}.{k}: expected a list of strings"),
        })
        .collect()
}

/// Build the plan for the documents of one file. Everything is checked here, before anything
/// is created.
pub fn plan(docs: &[Value]) -> Result<PlayPlan> {
    let mut plan = PlayPlan::default();
    let mut ctx = Ctx {
        configmaps: BTreeMap::new(),
        secrets: BTreeMap::new(),
        warnings: &mut plan.warnings,
        resources: false,
    };
    // ConfigMaps, Secrets and claims first: pods refer to them wherever they are in the file.
    for (n, d) in docs.iter().enumerate() {
        let Some(kind) = s(d, "kind") else {
            crate::bail!("document {}: no kind", n + 1);
        };
        if !KINDS.contains(&kind) {
            crate::bail!(
                "document {}: kind {kind} is not supported (use Pod, Deployment, ConfigMap, Secret, PersistentVolumeClaim or Service)",
                n + 1
            );
        }
        let name = d
            .get("metadata")
            .and_then(|m| s(m, "name"))
            .ok_or_else(|| crate::err!("document {} ({kind}): metadata.name is missing", n + 1))?
            .to_string();
        match kind {
            "ConfigMap" | "Secret" => {
                let mut data = BTreeMap::new();
                let secret = kind == "Secret";
                ctx.check(
                    d,
                    &format!("{kind} {name}"),
                    &[
                        "apiVersion",
                        "kind",
                        "metadata",
                        "data",
                        "stringData",
                        "binaryData",
                        "type",
                        "immutable",
                    ],
                );
                for (k, v) in d.get("data").and_then(Value::as_object).into_iter().flatten() {
                    let text = v.as_str().map(String::from).unwrap_or_else(|| v.to_string());
                    let bytes = if secret {
                        use base64::Engine;
                        base64::engine::general_purpose::STANDARD
                            .decode(text.trim())
                            .map_err(|e| crate::err!("Secret {name}: data.{k} is not base64: {e}"))?
                    } else {
                        text.into_bytes()
                    };
                    data.insert(k.clone(), bytes);
                }
                let extra = if secret { "stringData" } else { "binaryData" };
                for (k, v) in d.get(extra).and_then(Value::as_object).into_iter().flatten() {
                    let text = v.as_str().map(String::from).unwrap_or_else(|| v.to_string());
                    let bytes = if secret {
                        text.into_bytes()
                    } else {
                        use base64::Engine;
                        base64::engine::general_purpose::STANDARD
                            .decode(text.trim())
                            .map_err(|e| crate::err!("ConfigMap {name}: binaryData.{k} is not base64: {e}"))?
                    };
                    data.insert(k.clone(), bytes);
                }
                if secret {
                    ctx.secrets.insert(name, data);
                } else {
                    ctx.configmaps.insert(name, data);
                }
            }
            "PersistentVolumeClaim" => {
                crate::spec::validate_volume_name(&name)
                    .map_err(|e| crate::err!("PersistentVolumeClaim {name}: {e}"))?;
                plan.volumes.push(name);
            }
            _ => {}
        }
    }
    for d in docs {
        let kind = s(d, "kind").unwrap_or_default();
        let meta = d.get("metadata").cloned().unwrap_or(Value::Null);
        let name = s(&meta, "name").unwrap_or_default().to_string();
        let (pod_name, template_meta, spec, what) = match kind {
            "Pod" => {
                ctx.check(
                    d,
                    &format!("Pod {name}"),
                    &["apiVersion", "kind", "metadata", "spec", "status"],
                );
                (
                    name.clone(),
                    meta.clone(),
                    d.get("spec").cloned(),
                    format!("Pod {name}"),
                )
            }
            "Deployment" => {
                let what = format!("Deployment {name}");
                ctx.check(d, &what, &["apiVersion", "kind", "metadata", "spec", "status"]);
                let dspec = d.get("spec").cloned().unwrap_or(Value::Null);
                ctx.check(
                    &dspec,
                    &format!("{what}: spec"),
                    &[
                        "replicas",
                        "selector",
                        "template",
                        "strategy",
                        "revisionHistoryLimit",
                        "minReadySeconds",
                        "progressDeadlineSeconds",
                    ],
                );
                if num(&dspec, "replicas").is_some_and(|r| r > 1) {
                    ctx.warnings.push(format!(
                        "{what}: spec.replicas > 1: hutch runs one pod (as Podman does)"
                    ));
                }
                let t = dspec.get("template").cloned().unwrap_or(Value::Null);
                (
                    format!("{name}-pod"),
                    t.get("metadata").cloned().unwrap_or(Value::Null),
                    t.get("spec").cloned(),
                    what,
                )
            }
            _ => continue,
        };
        let Some(spec) = spec else {
            crate::bail!("{what}: spec is missing");
        };
        validate_pod_name(&pod_name).map_err(|e| crate::err!("{what}: {e}"))?;
        if plan.pods.iter().any(|p| p.name == pod_name) {
            crate::bail!("{what}: pod {pod_name} is defined twice");
        }
        let pod = pod_plan(&mut ctx, &pod_name, &meta, &template_meta, &spec, &what)?;
        plan.pods.push(pod);
    }
    plan.resources_asked = ctx.resources;
    Ok(plan)
}

fn validate_pod_name(n: &str) -> Result<()> {
    let ok = !n.is_empty()
        && n.len() <= 128
        && n.bytes().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && n.bytes().all(|c| c.is_ascii_alphanumeric() || b"_.-".contains(&c));
    if !ok {
        crate::bail!("name {n:?} must match [a-zA-Z0-9][a-zA-Z0-9_.-]*");
    }
    Ok(())
}

/// How a pod volume is mounted: the `-v` source (a host path, a volume name, or a path in
/// the pod's directory) and whether it must be read-only.
#[derive(Debug, Clone)]
struct VolumeSource {
    source: String,
    read_only: bool,
    /// ConfigMap/Secret keys (for subPath mounts of one key).
    keys: Vec<String>,
}

fn pod_plan(ctx: &mut Ctx, pod_name: &str, meta: &Value, tmeta: &Value, spec: &Value, what: &str) -> Result<PodPlan> {
    let mut pod = PodPlan {
        name: pod_name.to_string(),
        ..Default::default()
    };
    let mut annotations: BTreeMap<String, String> = BTreeMap::new();
    for m in [meta, tmeta] {
        for (k, v) in m.get("annotations").and_then(Value::as_object).into_iter().flatten() {
            let v = v.as_str().map(String::from).unwrap_or_else(|| v.to_string());
            if v.len() > MAX_ANNOTATION {
                crate::bail!(
                    "{what}: metadata.annotations: invalid annotation {k:?}={v:?}: the value is longer than {MAX_ANNOTATION} characters"
                );
            }
            annotations.insert(k.clone(), v);
        }
        for (k, v) in m.get("labels").and_then(Value::as_object).into_iter().flatten() {
            let l = format!("{k}={}", v.as_str().map(String::from).unwrap_or_else(|| v.to_string()));
            if !pod.labels.contains(&l) {
                pod.labels.push(l);
            }
        }
    }
    ctx.check(
        spec,
        &format!("{what}: spec"),
        &[
            "containers",
            "volumes",
            "restartPolicy",
            "hostname",
            "securityContext",
            "hostNetwork",
            "terminationGracePeriodSeconds",
            "dnsPolicy",
            "enableServiceLinks",
            "schedulerName",
        ],
    );
    pod.hostname = s(spec, "hostname").map(String::from);
    pod.host_network = spec.get("hostNetwork").and_then(Value::as_bool).unwrap_or(false);
    match s(spec, "restartPolicy") {
        None | Some("Always") | Some("OnFailure") | Some("Never") => {}
        Some(o) => crate::bail!("{what}: spec.restartPolicy {o}: expected Always, OnFailure or Never"),
    }
    // Enforced by each container's monitor, as `--restart` (Kubernetes' default is Always, as
    // in Podman's kube play).
    let restart = match s(spec, "restartPolicy") {
        Some("OnFailure") => "on-failure",
        Some("Never") => "no",
        _ => "always",
    };
    let grace = num(spec, "terminationGracePeriodSeconds");
    let psc = spec.get("securityContext").cloned().unwrap_or(Value::Null);
    ctx.check(
        &psc,
        &format!("{what}: spec.securityContext"),
        &["runAsUser", "runAsGroup", "runAsNonRoot"],
    );
    // Volumes by name.
    let mut vols: BTreeMap<String, VolumeSource> = BTreeMap::new();
    for (i, v) in arr(spec, "volumes").iter().enumerate() {
        let vpath = format!("{what}: spec.volumes[{i}]");
        let Some(vname) = s(v, "name") else {
            crate::bail!("{vpath}: name is missing");
        };
        ctx.check(
            v,
            &vpath,
            &[
                "name",
                "hostPath",
                "emptyDir",
                "configMap",
                "secret",
                "persistentVolumeClaim",
            ],
        );
        let src = if let Some(h) = v.get("hostPath") {
            ctx.check(h, &format!("{vpath}.hostPath"), &["path", "type"]);
            let Some(p) = s(h, "path").filter(|p| p.starts_with('/')) else {
                crate::bail!("{vpath}.hostPath.path: an absolute path is needed");
            };
            let ty = s(h, "type").unwrap_or("");
            if ![
                "",
                "Directory",
                "DirectoryOrCreate",
                "File",
                "FileOrCreate",
                "Socket",
                "CharDevice",
                "BlockDevice",
            ]
            .contains(&ty)
            {
                crate::bail!("{vpath}.hostPath.type {ty}: unknown type");
            }
            if ty == "DirectoryOrCreate" {
                pod.host_dirs.push(p.to_string());
            } else if ty == "FileOrCreate" {
                pod.host_files.push(p.to_string());
            }
            VolumeSource {
                source: p.to_string(),
                read_only: false,
                keys: vec![],
            }
        } else if let Some(e) = v.get("emptyDir") {
            ctx.check(e, &format!("{vpath}.emptyDir"), &["medium", "sizeLimit"]);
            let rel = format!("emptydir/{vname}");
            pod.dirs.push(rel.clone());
            VolumeSource {
                source: format!("{POD_DIR}/{rel}"),
                read_only: false,
                keys: vec![],
            }
        } else if let Some(c) = v.get("persistentVolumeClaim") {
            ctx.check(c, &format!("{vpath}.persistentVolumeClaim"), &["claimName", "readOnly"]);
            let Some(claim) = s(c, "claimName") else {
                crate::bail!("{vpath}.persistentVolumeClaim.claimName is missing");
            };
            crate::spec::validate_volume_name(claim).map_err(|e| crate::err!("{vpath}: {e}"))?;
            VolumeSource {
                source: claim.to_string(),
                read_only: c.get("readOnly").and_then(Value::as_bool).unwrap_or(false),
                keys: vec![],
            }
        } else if let Some((field, c)) = v
            .get("configMap")
            .map(|c| ("configMap", c))
            .or_else(|| v.get("secret").map(|c| ("secret", c)))
        {
            let secret = field == "secret";
            ctx.check(
                c,
                &format!("{vpath}.{field}"),
                &["name", "secretName", "items", "defaultMode", "optional"],
            );
            let ref_name = if secret { s(c, "secretName") } else { s(c, "name") };
            let Some(ref_name) = ref_name else {
                crate::bail!(
                    "{vpath}.{field}: {} is missing",
                    if secret { "secretName" } else { "name" }
                );
            };
            let optional = c.get("optional").and_then(Value::as_bool).unwrap_or(false);
            let data = if secret {
                ctx.secrets.get(ref_name)
            } else {
                ctx.configmaps.get(ref_name)
            };
            let data = match data {
                Some(d) => d.clone(),
                None if optional => BTreeMap::new(),
                None => crate::bail!(
                    "{vpath}: {} {ref_name} is not defined in the file",
                    if secret { "Secret" } else { "ConfigMap" }
                ),
            };
            let mode = num(c, "defaultMode").unwrap_or(0o644) as u32;
            let rel = format!("{}/{vname}", if secret { "secrets" } else { "configmaps" });
            pod.dirs.push(rel.clone());
            let mut keys = Vec::new();
            let items = arr(c, "items");
            if items.is_empty() {
                for (k, d) in &data {
                    pod.files.push(PodFile {
                        rel: format!("{rel}/{k}"),
                        data: d.clone(),
                        mode,
                    });
                    keys.push(k.clone());
                }
            } else {
                for it in items {
                    let (Some(k), Some(p)) = (s(it, "key"), s(it, "path")) else {
                        crate::bail!("{vpath}.{field}.items: each needs key and path");
                    };
                    if p.starts_with('/') || p.split('/').any(|c| c == ".." || c.is_empty()) {
                        crate::bail!("{vpath}.{field}.items: path {p} must be relative, without ..");
                    }
                    let Some(d) = data.get(k) else {
                        crate::bail!("{vpath}.{field}.items: key {k} is not in {ref_name}");
                    };
                    if let Some((dir, _)) = p.rsplit_once('/') {
                        pod.dirs.push(format!("{rel}/{dir}"));
                    }
                    pod.files.push(PodFile {
                        rel: format!("{rel}/{p}"),
                        data: d.clone(),
                        mode: num(it, "mode").map(|m| m as u32).unwrap_or(mode),
                    });
                    keys.push(p.to_string());
                }
            }
            VolumeSource {
                source: format!("{POD_DIR}/{rel}"),
                read_only: true,
                keys,
            }
        } else {
            crate::bail!("{vpath} ({vname}): no supported source (use hostPath, emptyDir, configMap, secret or persistentVolumeClaim)");
        };
        vols.insert(vname.to_string(), src);
    }
    let containers = arr(spec, "containers");
    if containers.is_empty() {
        crate::bail!("{what}: spec.containers is empty");
    }
    for (i, c) in containers.iter().enumerate() {
        let mut cp = container_plan(ctx, &mut pod, c, i, &vols, &psc, grace, what)?;
        cp.args.insert(0, format!("--restart={restart}"));
        for (k, v) in annotations.iter().rev() {
            cp.args.insert(1, format!("--annotation={k}={v}"));
        }
        if pod.containers.iter().any(|x| x.name == cp.name) {
            crate::bail!("{what}: container name {} is used twice", cp.name);
        }
        pod.containers.push(cp);
    }
    Ok(pod)
}

#[allow(clippy::too_many_arguments)]
fn container_plan(
    ctx: &mut Ctx,
    pod: &mut PodPlan,
    c: &Value,
    i: usize,
    vols: &BTreeMap<String, VolumeSource>,
    psc: &Value,
    grace: Option<i64>,
    what: &str,
) -> Result<ContainerPlan> {
    let path = format!("{what}: spec.containers[{i}]");
    ctx.check(
        c,
        &path,
        &[
            "name",
            "image",
            "command",
            "args",
            "workingDir",
            "env",
            "envFrom",
            "ports",
            "volumeMounts",
            "securityContext",
            "resources",
            "imagePullPolicy",
            "stdin",
            "tty",
            "terminationMessagePath",
            "terminationMessagePolicy",
        ],
    );
    let Some(cname) = s(c, "name") else {
        crate::bail!("{path}: name is missing");
    };
    let Some(image) = s(c, "image") else {
        crate::bail!("{path} ({cname}): image is missing");
    };
    let full = format!("{}-{cname}", pod.name);
    validate_pod_name(&full).map_err(|e| crate::err!("{path}: container {e}"))?;
    let mut args: Vec<String> = Vec::new();
    let command = string_list(c, "command", &path)?;
    let cargs = string_list(c, "args", &path)?;
    if c.get("command").is_some() {
        args.push(format!(
            "--entrypoint={}",
            serde_json::to_string(&command).expect("json")
        ));
    }
    if let Some(w) = s(c, "workingDir") {
        args.push(format!("--workdir={w}"));
    }
    // envFrom first: explicit env entries win.
    for (j, ef) in arr(c, "envFrom").iter().enumerate() {
        let epath = format!("{path}.envFrom[{j}]");
        ctx.check(ef, &epath, &["configMapRef", "secretRef", "prefix"]);
        let prefix = s(ef, "prefix").unwrap_or("");
        let (src, optional) = if let Some(r) = ef.get("configMapRef") {
            let n = s(r, "name").unwrap_or_default();
            (ctx.configmaps.get(n).cloned().ok_or(("ConfigMap", n.to_string())), r)
        } else if let Some(r) = ef.get("secretRef") {
            let n = s(r, "name").unwrap_or_default();
            (ctx.secrets.get(n).cloned().ok_or(("Secret", n.to_string())), r)
        } else {
            crate::bail!("{epath}: needs configMapRef or secretRef");
        };
        let data = match src {
            Ok(d) => d,
            Err(_) if optional.get("optional").and_then(Value::as_bool) == Some(true) => BTreeMap::new(),
            Err((k, n)) => crate::bail!("{epath}: {k} {n} is not defined in the file"),
        };
        for (k, v) in data {
            args.push(format!("--env={prefix}{k}={}", String::from_utf8_lossy(&v)));
        }
    }
    for (j, e) in arr(c, "env").iter().enumerate() {
        let epath = format!("{path}.env[{j}]");
        ctx.check(e, &epath, &["name", "value", "valueFrom"]);
        let Some(n) = s(e, "name") else {
            crate::bail!("{epath}: name is missing");
        };
        let value = if let Some(vf) = e.get("valueFrom") {
            ctx.check(vf, &format!("{epath}.valueFrom"), &["configMapKeyRef", "secretKeyRef"]);
            let (kind, r, map) = if let Some(r) = vf.get("configMapKeyRef") {
                ("ConfigMap", r, &ctx.configmaps)
            } else if let Some(r) = vf.get("secretKeyRef") {
                ("Secret", r, &ctx.secrets)
            } else {
                // Reported by check() above (fieldRef, resourceFieldRef).
                continue;
            };
            let (rn, rk) = (s(r, "name").unwrap_or_default(), s(r, "key").unwrap_or_default());
            match map.get(rn).and_then(|m| m.get(rk)) {
                Some(v) => String::from_utf8_lossy(v).into_owned(),
                None if r.get("optional").and_then(Value::as_bool) == Some(true) => continue,
                None => crate::bail!("{epath}: {kind} {rn} has no key {rk:?} in the file"),
            }
        } else {
            match e.get("value") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(v) => v.to_string(),
            }
        };
        args.push(format!("--env={n}={value}"));
    }
    for (j, p) in arr(c, "ports").iter().enumerate() {
        let ppath = format!("{path}.ports[{j}]");
        ctx.check(p, &ppath, &["containerPort", "hostPort", "protocol", "hostIP", "name"]);
        let Some(cport) = num(p, "containerPort") else {
            crate::bail!("{ppath}: containerPort is missing");
        };
        let proto = s(p, "protocol").unwrap_or("TCP");
        let proto = match proto {
            "TCP" | "tcp" => "tcp",
            "UDP" | "udp" => "udp",
            o => crate::bail!("{ppath}: protocol {o} is not supported (TCP or UDP)"),
        };
        if let Some(h) = num(p, "hostPort") {
            let ip = s(p, "hostIP").map(|i| format!("{i}:")).unwrap_or_default();
            pod.publish.push(format!("{ip}{h}:{cport}/{proto}"));
        }
    }
    for (j, m) in arr(c, "volumeMounts").iter().enumerate() {
        let mpath = format!("{path}.volumeMounts[{j}]");
        ctx.check(m, &mpath, &["name", "mountPath", "readOnly", "subPath"]);
        let (Some(vn), Some(dst)) = (s(m, "name"), s(m, "mountPath")) else {
            crate::bail!("{mpath}: name and mountPath are needed");
        };
        let Some(v) = vols.get(vn) else {
            crate::bail!("{mpath}: no volume named {vn} in spec.volumes");
        };
        let mut source = v.source.clone();
        if let Some(sub) = s(m, "subPath").filter(|x| !x.is_empty()) {
            if sub.starts_with('/') || sub.split('/').any(|c| c == "..") {
                crate::bail!("{mpath}: subPath {sub} must be relative, without ..");
            }
            if !source.starts_with('/') && !source.starts_with(POD_DIR) {
                crate::bail!("{mpath}: subPath on a persistentVolumeClaim is not supported");
            }
            if !v.keys.is_empty() && !v.keys.iter().any(|k| k == sub) {
                crate::bail!("{mpath}: subPath {sub} is not a key of volume {vn}");
            }
            source = format!("{source}/{sub}");
        }
        let ro = v.read_only || m.get("readOnly").and_then(Value::as_bool).unwrap_or(false);
        args.push(format!("--volume={source}:{dst}{}", if ro { ":ro" } else { "" }));
    }
    let sc = c.get("securityContext").cloned().unwrap_or(Value::Null);
    ctx.check(
        &sc,
        &format!("{path}.securityContext"),
        &[
            "runAsUser",
            "runAsGroup",
            "capabilities",
            "readOnlyRootFilesystem",
            "privileged",
            "allowPrivilegeEscalation",
            "runAsNonRoot",
        ],
    );
    let uid = num(&sc, "runAsUser").or_else(|| num(psc, "runAsUser"));
    let gid = num(&sc, "runAsGroup").or_else(|| num(psc, "runAsGroup"));
    match (uid, gid) {
        (Some(u), Some(g)) => args.push(format!("--user={u}:{g}")),
        (Some(u), None) => args.push(format!("--user={u}")),
        (None, Some(g)) => args.push(format!("--user=0:{g}")),
        (None, None) => {}
    }
    if let Some(caps) = sc.get("capabilities") {
        ctx.check(caps, &format!("{path}.securityContext.capabilities"), &["add", "drop"]);
        for d in string_list(caps, "drop", &path)? {
            args.push(format!("--cap-drop={d}"));
        }
        for a in string_list(caps, "add", &path)? {
            args.push(format!("--cap-add={a}"));
        }
    }
    if sc.get("readOnlyRootFilesystem").and_then(Value::as_bool) == Some(true) {
        args.push("--read-only".into());
    }
    if sc.get("privileged").and_then(Value::as_bool) == Some(true) {
        args.push("--privileged".into());
    }
    if sc.get("allowPrivilegeEscalation").and_then(Value::as_bool) == Some(false) {
        args.push("--security-opt=no-new-privileges".into());
    }
    if let Some(r) = c.get("resources") {
        ctx.check(r, &format!("{path}.resources"), &["limits", "requests", "claims"]);
        if r.get("limits").is_some() || r.get("requests").is_some() {
            ctx.resources = true;
        }
    }
    match s(c, "imagePullPolicy") {
        None | Some("IfNotPresent") => {}
        Some("Always") => args.push("--pull=always".into()),
        Some("Never") => args.push("--pull=never".into()),
        Some(o) => crate::bail!("{path}.imagePullPolicy {o}: expected Always, IfNotPresent or Never"),
    }
    if c.get("stdin").and_then(Value::as_bool) == Some(true) {
        args.push("--interactive".into());
    }
    if c.get("tty").and_then(Value::as_bool) == Some(true) {
        args.push("--tty".into());
    }
    if let Some(g) = grace {
        args.push(format!("--stop-timeout={}", g.max(0)));
    }
    args.push("--".into());
    args.push(image.to_string());
    args.extend(cargs);
    Ok(ContainerPlan {
        name: full,
        args,
        image: image.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_yaml_names_the_line() {
        let e = parse_docs("apiVersion: v1\nkind: Pod\nmetadata:\n  name: [a\n", "f.yaml").unwrap_err();
        assert!(e.message.contains("line"), "{}", e.message);
        assert!(!e.message.contains('\n'));
    }

    #[test]
    fn pod_with_configmap_secret_and_claim() {
        let docs = parse_docs(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {A: one, f.txt: hello}\n---\n\
             apiVersion: v1\nkind: Secret\nmetadata: {name: sec}\ndata: {PW: c2VjcmV0}\n---\n\
             apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\nspec: {}\n---\n\
             apiVersion: v1\nkind: Pod\nmetadata: {name: app}\nspec:\n  containers:\n  - name: c\n    image: busybox\n    \
             command: [sh, -c]\n    args: [env]\n    envFrom: [{configMapRef: {name: cm}}]\n    \
             env: [{name: P, valueFrom: {secretKeyRef: {name: sec, key: PW}}}]\n    livenessProbe: {}\n    \
             ports: [{containerPort: 80, hostPort: 8080}]\n    \
             volumeMounts: [{name: d, mountPath: /data}, {name: cfg, mountPath: /cfg}]\n  \
             volumes: [{name: d, persistentVolumeClaim: {claimName: data}}, {name: cfg, configMap: {name: cm}}]\n",
            "t",
        )
        .unwrap();
        let p = plan(&docs).unwrap();
        assert_eq!(p.volumes, ["data"]);
        let pod = &p.pods[0];
        assert_eq!(pod.publish, ["8080:80/tcp"]);
        let a = &pod.containers[0].args;
        assert!(a.contains(&"--env=A=one".to_string()), "{a:?}");
        assert!(a.contains(&"--env=P=secret".to_string()), "{a:?}");
        assert!(a.contains(&"--volume=data:/data".to_string()), "{a:?}");
        assert!(
            a.contains(&format!("--volume={POD_DIR}/configmaps/cfg:/cfg:ro")),
            "{a:?}"
        );
        assert!(a.ends_with(&["--".into(), "busybox".into(), "env".into()]), "{a:?}");
        assert!(
            p.warnings.iter().any(|w| w.contains("livenessProbe")),
            "{:?}",
            p.warnings
        );
        assert_eq!(
            pod.files.iter().find(|f| f.rel.ends_with("f.txt")).unwrap().data,
            b"hello"
        );
    }

    #[test]
    fn unknown_kind_is_refused() {
        let docs = parse_docs("kind: Job\nmetadata: {name: x}\n", "t").unwrap();
        assert!(plan(&docs).unwrap_err().message.contains("Job"));
    }
}

#[cfg(test)]
mod octal_tests {
    use super::*;

    #[test]
    fn modes_with_a_leading_zero_are_octal_as_kubernetes_reads_them() {
        let docs = parse_docs(
            "kind: Pod\nspec:\n  volumes:\n  - name: c\n    configMap:\n      defaultMode: 0400\n      items:\n      - key: a\n        path: a\n        mode: 0755 # exec\n  x: 400\n",
            "test",
        )
        .unwrap();
        let cm = &docs[0]["spec"]["volumes"][0]["configMap"];
        assert_eq!(cm["defaultMode"], 0o400);
        assert_eq!(cm["items"][0]["mode"], 0o755);
        assert_eq!(docs[0]["spec"]["x"], 400);
    }
}
