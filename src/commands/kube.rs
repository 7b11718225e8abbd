//! `hutch kube play|down|generate`: Kubernetes YAML in and out. The YAML is read and checked
//! whole (kube::plan) before anything is created; a failure part way removes what was made.

use std::collections::BTreeSet;

use crate::cli::{KubeCommand, KubeGenerateArgs, KubePlayArgs};
use crate::error::{Context, Result};
use crate::kube::{self, POD_DIR};
use crate::output::{error, note, out};
use crate::store::pods::PodRecord;
use crate::store::Store;

pub fn run(c: KubeCommand) -> Result<i32> {
    match c {
        KubeCommand::Play(a) => play(a),
        KubeCommand::Down(a) => down(&a.file),
        KubeCommand::Generate(a) => generate(a),
    }
}

/// The file's text and how to name it in messages.
fn read_input(file: &str) -> Result<(String, String)> {
    if file == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).ctx(|| "reading the YAML from stdin")?;
        return Ok((s, "stdin".into()));
    }
    if is_url(file) {
        let mut body = Vec::new();
        crate::registry::url::download(file, &mut body)?;
        let s = String::from_utf8(body).map_err(|_| crate::err!("{file}: the YAML is not UTF-8 text"))?;
        return Ok((s, file.to_string()));
    }
    let s = std::fs::read_to_string(file).ctx(|| file.to_string())?;
    Ok((s, file.to_string()))
}

/// What a pod made by `play` records as its origin (so `down` of another file leaves it).
fn origin(file: &str) -> String {
    if file == "-" || is_url(file) {
        return file.into();
    }
    std::fs::canonicalize(file)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| file.to_string())
}

fn is_url(file: &str) -> bool {
    file.starts_with("http://") || file.starts_with("https://")
}

/// --annotation KEY=VALUE values, checked as Podman's kube play does.
fn annotation_args(given: &[String]) -> Result<Vec<String>> {
    given
        .iter()
        .map(|a| {
            let Some((k, v)) = a.split_once('=').filter(|(k, _)| !k.is_empty()) else {
                crate::bail!("--annotation {a}: expected KEY=VALUE");
            };
            if v.len() > kube::MAX_ANNOTATION {
                crate::bail!(
                    "--annotation {k}: annotation exceeds maximum size, {}, of kubernetes annotation: {v}",
                    kube::MAX_ANNOTATION
                );
            }
            Ok(format!("--annotation={k}={v}"))
        })
        .collect()
}

fn play(a: KubePlayArgs) -> Result<i32> {
    if a.down {
        return down(&a.file);
    }
    let annotations = annotation_args(&a.annotation)?;
    if a.service_container && !a.start {
        // Podman's words.
        crate::bail!("--service-container: running a service container requires starting the pod(s)");
    }
    let (text, what) = read_input(&a.file)?;
    let docs = kube::parse_docs(&text, &what)?;
    let plan = kube::plan(&docs).map_err(|e| crate::err!("{what}: {}", e.message))?;
    if plan.pods.is_empty() && plan.volumes.is_empty() {
        crate::bail!("{what}: no Pod, Deployment or PersistentVolumeClaim to play");
    }
    let store = Store::open()?;
    build_images(&store, &plan, &a)?;
    // Everything that can be checked is checked before anything is made.
    let pods = store.load_pods()?;
    let ctrs = store.load_containers()?;
    let mut parsed = Vec::new();
    for p in &plan.pods {
        let old = pods.pods.iter().find(|x| x.name == p.name);
        if old.is_some() && !a.replace {
            crate::bail!(
                "{what}: the pod name \"{}\" is already in use: remove it (hutch kube down, hutch pod rm) or use --replace",
                p.name
            );
        }
        let mut cargs = Vec::new();
        for c in &p.containers {
            if let Some(x) = ctrs.containers.iter().find(|x| x.name == c.name) {
                let in_old_pod = old.is_some_and(|o| x.spec.pod.as_deref() == Some(o.id.as_str()));
                if !in_old_pod {
                    crate::bail!(
                        "{what}: the container name \"{}\" is already in use by {}: remove that container",
                        c.name,
                        x.short_id()
                    );
                }
            }
            let args = with_annotations(container_args(c, "/"), &annotations);
            let ra = super::run::parse_create(&args)
                .map_err(|e| crate::err!("{what}: pod {} container {}: {}", p.name, c.name, e.message))?;
            cargs.push(ra);
        }
        parsed.push(cargs);
    }
    // Notes on what the file asks for follow the report (stdout, what scripts read), on stderr.
    let mut notes: Vec<String> = plan.warnings.iter().map(|w| format!("{what}: {w}")).collect();
    if plan.resources_asked {
        let why = crate::system::resource_limits();
        notes.push(format!(
            "{what}: resources: accepted, not enforced: hutch sets no resource limits{}",
            if why == "available" {
                String::new()
            } else {
                format!(" ({why})")
            }
        ));
    }
    let notes = || notes.iter().for_each(|n| note(n));
    // Claims: named volumes, made when missing and never removed by `down`.
    let mut made_volumes = Vec::new();
    for v in &plan.volumes {
        if store.load_volumes()?.find(v).is_none() {
            let o = crate::volume::CreateOptions {
                name: Some(v.clone()),
                ignore: true,
                ..Default::default()
            };
            crate::volume::create(&store, &o).map_err(|e| {
                notes();
                crate::err!("{what}: PersistentVolumeClaim {v}: {}", e.message)
            })?;
            made_volumes.push(v.clone());
        }
    }
    let mut made: Vec<PodRecord> = Vec::new();
    let mut service = None;
    let mut report = String::new();
    let result = (|| -> Result<()> {
        if a.service_container && !plan.pods.is_empty() {
            service = Some(service_container(&store, &text, a.replace)?);
        }
        for (p, cargs) in plan.pods.iter().zip(&parsed) {
            if a.replace {
                let idx = store.load_pods()?;
                if let Some(old) = idx.pods.iter().find(|x| x.name == p.name) {
                    crate::pod::remove_in_child(old)?;
                }
            }
            for h in &p.host_dirs {
                std::fs::create_dir_all(h).ctx(|| format!("creating hostPath {h}"))?;
            }
            for h in &p.host_files {
                if !std::path::Path::new(h).exists() {
                    std::fs::write(h, b"").ctx(|| format!("creating hostPath {h}"))?;
                }
            }
            let network = if p.host_network {
                Some("host")
            } else {
                a.network.as_deref()
            };
            let infra = super::run::infra_options(network, &p.publish)?;
            let o = crate::pod::PodOptions {
                name: Some(p.name.clone()),
                hostname: p.hostname.clone(),
                infra: true,
                labels: p.labels.clone(),
                kube_file: Some(origin(&a.file)),
                // Podman's for kube play: the pod stops when its last container exits.
                exit_policy: crate::store::pods::ExitPolicy::Stop,
                service: service
                    .as_ref()
                    .map(|s: &crate::store::containers::ContainerRecord| s.id.clone()),
                ..Default::default()
            };
            let pod = crate::pod::create(&store, &o, Some(infra))?;
            made.push(pod.clone());
            let dir = store.pod_dir(&pod.id);
            for d in &p.dirs {
                use std::os::unix::fs::PermissionsExt;
                std::fs::create_dir_all(dir.join(d)).ctx(|| format!("creating {}", dir.join(d).display()))?;
                // emptyDir volumes are writable by every user of the pod, as in Kubernetes.
                if d.starts_with("emptydir/") {
                    std::fs::set_permissions(dir.join(d), std::fs::Permissions::from_mode(0o777))
                        .ctx(|| format!("setting the mode of {}", dir.join(d).display()))?;
                }
            }
            for f in &p.files {
                use std::os::unix::fs::PermissionsExt;
                let path = dir.join(&f.rel);
                std::fs::write(&path, &f.data).ctx(|| format!("writing {}", path.display()))?;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(f.mode & 0o777))
                    .ctx(|| format!("setting the mode of {}", path.display()))?;
            }
            report.push_str(&format!("Pod:\n{}\nContainers:\n", pod.id));
            for (c, _) in p.containers.iter().zip(cargs) {
                let mut args = vec![format!("--pod={}", pod.id), format!("--name={}", c.name)];
                args.extend(with_annotations(
                    container_args(c, &dir.display().to_string()),
                    &annotations,
                ));
                let ra = super::run::parse_create(&args)?;
                let rec = super::run::create_from(&store, &ra)
                    .map_err(|e| crate::err!("pod {} container {}: {}", p.name, c.name, e.message))?;
                report.push_str(&format!("{}\n", rec.id));
            }
            report.push('\n');
        }
        if a.start {
            for pod in &made {
                crate::pod::start(&store, pod)?;
            }
        }
        Ok(())
    })();
    if let Err(e) = result {
        for pod in made.iter().rev() {
            let _ = crate::pod::remove(&store, pod, true);
        }
        if let Some(s) = &service {
            let _ = crate::container::ensure_stopped(&store, s, true);
            let _ = crate::container::remove(&store, s, true);
        }
        let _ = crate::volume::discard_new(&store, &made_volumes);
        notes();
        return Err(e);
    }
    out(&report);
    notes();
    Ok(0)
}

/// --service-container: the file's service container, made from the pause image without a
/// network (--replace: an old one of that name goes first). Its name is Podman's: the first 12
/// hex digits of the file's sha256, then `-service`.
fn service_container(store: &Store, text: &str, replace: bool) -> Result<crate::store::containers::ContainerRecord> {
    let name = format!("{}-service", &crate::digest::sha256_hex(text.as_bytes())[..12]);
    if replace {
        if let Some(old) = store.load_containers()?.containers.iter().find(|c| c.name == name) {
            crate::container::ensure_stopped(store, old, true)?;
            crate::container::remove(store, old, true)?;
        }
    }
    crate::pod::ensure_pause_image(store)?;
    let opts = super::run::infra_options(Some("none"), &[])?;
    let pull = crate::image::ImplicitPull {
        policy: crate::spec::PullPolicy::Never,
        quiet: true,
        platform: None,
        args: vec![],
    };
    crate::container::create(store, &crate::pod::pause_image(), &opts, Some(&name), &pull)
        .map_err(|e| crate::err!("the service container {name}: {}", e.message))
}

/// A container's `create` arguments with the pod's directory filled in.
fn container_args(c: &kube::ContainerPlan, dir: &str) -> Vec<String> {
    c.args.iter().map(|x| x.replace(POD_DIR, dir)).collect()
}

/// --build: the images that have a directory with a Containerfile (or Dockerfile) under the
/// context directory, named as the image's last path component (`quay.io/x/app:1` → `app`),
/// are built (as Podman's kube play does): always with --build, when missing without it.
fn build_images(store: &Store, plan: &kube::PlayPlan, a: &KubePlayArgs) -> Result<()> {
    if a.build == Some(false) {
        return Ok(());
    }
    let dir = match &a.context_dir {
        Some(d) => {
            if !d.is_dir() {
                crate::bail!("--context-dir {}: not a directory", d.display());
            }
            d.clone()
        }
        None => std::env::current_dir().ctx(|| "the current directory")?,
    };
    let mut done = BTreeSet::new();
    for c in plan.pods.iter().flat_map(|p| &p.containers) {
        if !done.insert(c.image.clone()) {
            continue;
        }
        let last = c.image.rsplit('/').next().unwrap_or(&c.image);
        let name = last.split(['@', ':']).next().unwrap_or(last);
        let Some(file) = ["Containerfile", "Dockerfile"]
            .iter()
            .map(|f| dir.join(name).join(f))
            .find(|f| f.is_file())
        else {
            continue;
        };
        if a.build != Some(true) && store.load_images()?.resolve(&c.image).is_ok() {
            continue;
        }
        // The build's progress goes to stderr: stdout is the play's report.
        let st = std::process::Command::new("/proc/self/exe")
            .args(["build", "-t", &c.image, "-f"])
            .arg(&file)
            .arg(dir.join(name))
            .stdin(std::process::Stdio::null())
            .stdout(std::io::stderr())
            .status()
            .ctx(|| "running hutch build")?;
        if !st.success() {
            crate::bail!("building {} from {} failed (see above)", c.image, file.display());
        }
    }
    Ok(())
}

/// `args` with --annotation values added after the YAML's (so they win, as in Podman).
fn with_annotations(mut args: Vec<String>, annotations: &[String]) -> Vec<String> {
    let at = args.iter().position(|a| a == "--").unwrap_or(args.len());
    args.splice(at..at, annotations.iter().cloned());
    args
}

/// The pods a file's Pods and Deployments make.
fn pod_names(docs: &[serde_json::Value]) -> Vec<String> {
    let mut v = Vec::new();
    for d in docs {
        let name = d
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(|n| n.as_str())
            .unwrap_or_default();
        match d.get("kind").and_then(|k| k.as_str()) {
            Some("Pod") => v.push(name.to_string()),
            Some("Deployment") => v.push(format!("{name}-pod")),
            _ => {}
        }
    }
    v
}

fn down(file: &str) -> Result<i32> {
    let (text, what) = read_input(file)?;
    let docs = kube::parse_docs(&text, &what)?;
    let names = pod_names(&docs);
    if names.is_empty() {
        crate::bail!("{what}: no Pod or Deployment in it");
    }
    let store = Store::open()?;
    let idx = store.load_pods()?;
    let mut removed = Vec::new();
    let mut failed = false;
    for n in &names {
        let Some(p) = idx.pods.iter().find(|p| &p.name == n) else {
            error(&format!("{what}: no pod named {n}"));
            failed = true;
            continue;
        };
        match crate::pod::remove_in_child(p) {
            Ok(()) => removed.push(p.id.clone()),
            Err(e) => {
                error(&e.message);
                failed = true;
            }
        }
    }
    if !removed.is_empty() {
        out(&format!("Pods stopped:\n{0}\nPods removed:\n{0}\n", removed.join("\n")));
    }
    Ok(if failed { 125 } else { 0 })
}

fn image_config(store: &Store, id: &str) -> crate::spec::ImageConfig {
    let v: serde_json::Value = store
        .read_blob(&format!("sha256:{id}"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    crate::spec::ImageConfig::from_json(&v)
}

fn generate(a: KubeGenerateArgs) -> Result<i32> {
    let store = Store::open()?;
    let pods = store.load_pods()?;
    let ctrs = store.load_containers()?;
    let mut docs = Vec::new();
    let mut warnings = Vec::new();
    let mut seen = BTreeSet::new();
    for t in &a.targets {
        if let Ok(i) = pods.resolve(t) {
            let p = &pods.pods[i];
            if !seen.insert(p.id.clone()) {
                continue;
            }
            let cs = crate::pod::containers(&store, p)?;
            let infra = p.infra.as_ref().and_then(|i| cs.iter().find(|c| &c.id == i));
            let members: Vec<_> = cs
                .iter()
                .filter(|c| Some(&c.id) != p.infra.as_ref())
                .map(|c| kube::generate::Member {
                    name: c.name.clone(),
                    image_name: &c.image_name,
                    spec: &c.spec,
                    image: image_config(&store, &c.image),
                })
                .collect();
            let desc = kube::generate::PodDesc {
                name: p.name.clone(),
                labels: p.labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                hostname: p.shares("uts").then(|| p.hostname.clone()),
                ports: infra.map(|c| c.spec.ports.clone()).unwrap_or_default(),
                members,
                pod_dir: Some(store.pod_dir(&p.id)),
            };
            docs.extend(kube::generate::pod_docs(&desc, a.service, &mut warnings)?);
            continue;
        }
        let c = &ctrs.containers[ctrs
            .resolve(t)
            .map_err(|_| crate::err!("no pod or container with name or ID \"{t}\" found"))?];
        if crate::pod::infra_of(&store, &c.id).is_some() {
            crate::bail!("{t}: an infra container: generate its pod instead");
        }
        if !seen.insert(c.id.clone()) {
            continue;
        }
        let desc = kube::generate::PodDesc {
            name: format!("{}-pod", c.name),
            labels: vec![],
            hostname: None,
            ports: c.spec.ports.clone(),
            members: vec![kube::generate::Member {
                name: c.name.clone(),
                image_name: &c.image_name,
                spec: &c.spec,
                image: image_config(&store, &c.image),
            }],
            pod_dir: None,
        };
        docs.extend(kube::generate::pod_docs(&desc, a.service, &mut warnings)?);
    }
    for w in &warnings {
        note(w);
    }
    let yaml = kube::generate::to_yaml(&docs)?;
    match &a.filename {
        Some(f) => {
            crate::sys::fs::write_atomic(f, yaml.as_bytes(), 0o644).ctx(|| format!("writing {}", f.display()))?
        }
        None => out(&yaml),
    }
    Ok(0)
}
