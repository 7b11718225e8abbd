//! `commit`: a container's upper directory becomes a new layer on top of its image's, and the
//! image's config gets the container's command, environment, working directory, user and labels,
//! then the `-c` Dockerfile instructions (`spec::changes`), a history entry and the new diff_id.
//! The layer tar is written from the upper directory inside the store's user namespace (owners
//! as the container sees them, overlay whiteouts as OCI ones), then extracted into the store
//! like a pulled layer, with its tar-split record, so the image runs and can be saved/pushed.

use serde_json::{json, Map, Value};

use crate::archive::{self, Ownership};
use crate::error::{Context, Result};
use crate::store::{ImageRecord, Store};

pub struct CommitOptions {
    pub author: Option<String>,
    pub message: Option<String>,
    pub changes: Vec<String>,
    /// Full name (already normalised), or none for a dangling image.
    pub name: Option<String>,
    /// Docker schema 2 manifest and config media types instead of OCI.
    pub docker: bool,
}

fn rfc3339(secs: i64) -> String {
    let t = crate::output::format_time(secs);
    format!("{}Z", t[..19].replace(' ', "T"))
}

/// The new image's `config` object: the image's, then the container's settings, then `changes`.
fn new_config(base: Option<&Value>, spec: &crate::spec::Spec, changes: &[String]) -> Result<Map<String, Value>> {
    let mut cfg = base.and_then(Value::as_object).cloned().unwrap_or_default();
    if !spec.entrypoint.is_empty() {
        cfg.insert("Entrypoint".into(), json!(spec.entrypoint));
    } else {
        cfg.remove("Entrypoint");
    }
    // What the container ran: an --entrypoint without a command ran no Cmd, so the image has none
    // (as Podman's commit).
    if !spec.cmd.is_empty() {
        cfg.insert("Cmd".into(), json!(spec.cmd));
    } else {
        cfg.remove("Cmd");
    }
    if !spec.env.is_empty() {
        cfg.insert("Env".into(), json!(spec.env));
    }
    if !spec.workdir.is_empty() {
        cfg.insert("WorkingDir".into(), json!(spec.workdir));
    }
    if !spec.user.is_empty() {
        cfg.insert("User".into(), json!(spec.user));
    }
    if !spec.labels.is_empty() {
        let labels = cfg.entry("Labels").or_insert_with(|| json!({}));
        if !labels.is_object() {
            *labels = json!({});
        }
        for (k, v) in &spec.labels {
            labels.as_object_mut().expect("object").insert(k.clone(), json!(v));
        }
    }
    for c in changes {
        crate::spec::changes::apply(&mut cfg, c).map_err(crate::error::Error::new)?;
    }
    Ok(cfg)
}

/// Commit container `what`; returns the new image's id.
pub fn commit(what: &str, opts: &CommitOptions) -> Result<String> {
    let mapping = crate::runtime::userns::enter()?;
    let own = Ownership {
        keep: mapping.keeps_ownership(),
        uid_span: mapping.uid_span(),
        gid_span: mapping.gid_span(),
    };
    let store = Store::open()?;
    store.sweep()?;
    let cidx = store.load_containers()?;
    let rec = cidx.containers[cidx.resolve(what)?].clone();
    let iidx = store.load_images()?;
    let base_img = iidx.images.iter().find(|i| i.id == rec.image).cloned();
    let base: Value = match &base_img {
        Some(img) => serde_json::from_slice(&store.read_blob(&format!("sha256:{}", img.id))?)
            .map_err(|e| crate::err!("image {}: stored config is not valid JSON: {e}", img.short_id()))?,
        None => crate::bail!(
            "the image of container {} ({}) is no longer in the store",
            rec.name,
            rec.image_name
        ),
    };
    let cfg = new_config(base.get("config"), &rec.spec, &opts.changes)?;

    // The layer: the upper directory as a tar (a temporary file), extracted like a pulled layer.
    let tmp = store.temp("commit")?;
    std::fs::create_dir(&tmp.path).ctx(|| format!("creating {}", tmp.path.display()))?;
    let tar_path = tmp.path.join("layer.tar");
    {
        let f = std::fs::File::create(&tar_path).ctx(|| format!("creating {}", tar_path.display()))?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
        crate::container::export::write_upper_layer(&store, mapping, &rec, &mut w, true)?;
        std::io::Write::flush(&mut w).map_err(|e| crate::err!("writing {}: {e}", tar_path.display()))?;
    }
    let diff = tmp.path.join("diff");
    std::fs::create_dir(&diff).ctx(|| format!("creating {}", diff.display()))?;
    let f = std::fs::File::open(&tar_path).ctx(|| format!("opening {}", tar_path.display()))?;
    let ex = archive::extract_layer(std::io::BufReader::with_capacity(1 << 20, f), &diff, own)
        .map_err(|e| crate::err!("committing container {}: {e}", rec.name))?;
    std::fs::remove_file(&tar_path).ctx(|| format!("removing {}", tar_path.display()))?;
    let (id, lock) = crate::image::pull::commit_extracted_layer(&store, tmp, &ex)?;
    let work_lock = lock;

    let now = crate::output::now_secs();
    let created = rfc3339(now);
    let mut config = base.clone();
    let obj = config
        .as_object_mut()
        .ok_or_else(|| crate::err!("image {}: stored config is not an object", rec.image))?;
    obj.insert("created".into(), json!(created));
    obj.insert("config".into(), Value::Object(cfg));
    obj.remove("container_config");
    obj.remove("container");
    match &opts.author {
        Some(a) => obj.insert("author".into(), json!(a)),
        None => obj.remove("author"),
    };
    match &opts.message {
        Some(m) => obj.insert("comment".into(), json!(m)),
        None => obj.remove("comment"),
    };
    let mut diff_ids: Vec<Value> = obj
        .get("rootfs")
        .and_then(|r| r.get("diff_ids"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    diff_ids.push(json!(ex.diff_id));
    obj.insert("rootfs".into(), json!({ "type": "layers", "diff_ids": diff_ids }));
    let mut h = json!({ "created": created, "created_by": format!("hutch commit {}", rec.short_id()) });
    if let Some(a) = &opts.author {
        h["author"] = json!(a);
    }
    if let Some(m) = &opts.message {
        h["comment"] = json!(m);
    }
    let mut history = obj
        .get("history")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    history.push(h);
    obj.insert("history".into(), Value::Array(history));
    let config = serde_json::to_vec(&config).expect("json");
    let config_digest = format!("sha256:{}", crate::digest::sha256_hex(&config));

    // Layers are stored uncompressed; the manifest names them by diff_id (save and push
    // rebuild them from their tar-split records).
    let mut layers = base_img.as_ref().map(|i| i.layers.clone()).unwrap_or_default();
    layers.push(id);
    let lidx = store.load_layers()?;
    let sized: Vec<(String, u64)> = layers
        .iter()
        .map(|l| (l.clone(), lidx.get(l).map(|r| r.size).unwrap_or(0)))
        .collect();
    let (mt, cmt, lmt) = if opts.docker {
        (
            "application/vnd.docker.distribution.manifest.v2+json",
            "application/vnd.docker.container.image.v1+json",
            "application/vnd.docker.image.rootfs.diff.tar",
        )
    } else {
        (
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.oci.image.config.v1+json",
            "application/vnd.oci.image.layer.v1.tar",
        )
    };
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": mt,
        "config": { "mediaType": cmt, "digest": config_digest, "size": config.len() },
        "layers": sized.iter().map(|(l, s)| json!({ "mediaType": lmt, "digest": format!("sha256:{l}"), "size": s })).collect::<Vec<_>>(),
    }))
    .expect("json");
    let manifest_digest = format!("sha256:{}", crate::digest::sha256_hex(&manifest));
    let blobs = [
        (config_digest.clone(), config.clone()),
        (manifest_digest.clone(), manifest.clone()),
    ];
    let image_id = config_digest[7..].to_string();
    let size = sized.iter().map(|(_, s)| s).sum();
    let base_img = base_img.expect("checked above");
    crate::image::pull::record_image(
        &store,
        ImageRecord {
            names_history: Vec::new(),
            id: image_id.clone(),
            names: opts.name.iter().cloned().collect(),
            digests: vec![],
            manifest_digest,
            layers,
            created: Some(created),
            size,
            architecture: base_img.architecture,
            os: base_img.os,
            pulled: now.max(0) as u64,
        },
        &blobs,
    )?;
    drop(work_lock);
    Ok(image_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_takes_container_settings_then_changes() {
        let base = json!({ "Cmd": ["/bin/sh"], "Env": ["PATH=/bin"], "Labels": { "a": "1" } });
        let mut spec = crate::spec::Spec {
            cmd: vec!["sleep".into(), "1".into()],
            env: vec!["PATH=/bin".into(), "X=1".into()],
            workdir: "/".into(),
            ..Default::default()
        };
        spec.labels.insert("b".into(), "2".into());
        let c = new_config(Some(&base), &spec, &["CMD [\"/bin/true\"]".into(), "ENV Y=2".into()]).unwrap();
        assert_eq!(c["Cmd"], json!(["/bin/true"]));
        assert_eq!(c["Env"], json!(["PATH=/bin", "X=1", "Y=2"]));
        assert_eq!(c["Labels"], json!({ "a": "1", "b": "2" }));
        assert_eq!(c["WorkingDir"], json!("/"));
        assert!(new_config(Some(&base), &spec, &["RUN x".into()]).is_err());
    }
}
