//! `hutch inspect` / `hutch image inspect`: Podman's JSON shape.

use serde_json::{json, Value};

use crate::cli::InspectArgs;
use crate::error::Result;
use crate::format::Format;
use crate::output::{error, out};
use crate::store::{ImageRecord, Store};

pub(crate) fn image_json(store: &Store, img: &ImageRecord) -> Result<Value> {
    let config: Value = serde_json::from_slice(&store.read_blob(&format!("sha256:{}", img.id))?)
        .map_err(|e| crate::err!("image {}: stored config is not valid JSON: {e}", img.short_id()))?;
    let manifest: Value = store
        .read_blob(&img.manifest_digest)
        .ok()
        .and_then(|m| serde_json::from_slice(&m).ok())
        .unwrap_or(Value::Null);
    let cfg = config.get("config").cloned().unwrap_or_else(|| json!({}));
    Ok(json!({
        "Id": img.id,
        "Digest": img.manifest_digest,
        "RepoTags": img.names,
        "RepoDigests": img.digests,
        "Parent": "",
        "Comment": config.get("comment").cloned().unwrap_or(Value::String(String::new())),
        "Created": img.created,
        "Config": cfg,
        "Version": config.get("docker_version").cloned().unwrap_or(Value::String(String::new())),
        "Author": config.get("author").cloned().unwrap_or(Value::String(String::new())),
        "Architecture": img.architecture,
        "Os": img.os,
        "Variant": config.get("variant").cloned().unwrap_or(Value::Null),
        "Size": img.size,
        "VirtualSize": img.size,
        "Labels": cfg.get("Labels").cloned().unwrap_or(Value::Null),
        "Annotations": manifest.get("annotations").cloned().unwrap_or_else(|| json!({})),
        "ManifestType": manifest.get("mediaType").cloned().unwrap_or(Value::Null),
        "RootFS": {
            "Type": "layers",
            "Layers": img.layers.iter().map(|l| format!("sha256:{l}")).collect::<Vec<_>>(),
        },
        "History": config.get("history").cloned().unwrap_or_else(|| json!([])),
        "NamesHistory": img.names,
    }))
}

pub fn run(a: InspectArgs) -> Result<i32> {
    let store = Store::open()?;
    let idx = store.load_images()?;
    let mut items = Vec::new();
    let mut failed = false;
    for what in &a.images {
        match idx.resolve(what).and_then(|n| image_json(&store, &idx.images[n])) {
            Ok(v) => items.push(v),
            Err(e) => {
                error(&format!("inspecting object: {}", e.message));
                failed = true;
            }
        }
    }
    let text = match Format::parse(a.format.as_deref()) {
        Format::Table | Format::Json => serde_json::to_string_pretty(&items).expect("json") + "\n",
        Format::Template { tmpl, header } => crate::format::render(&tmpl, header, &items)?,
    };
    if !(failed && items.is_empty()) || a.format.is_none() {
        out(&text);
    }
    Ok(if failed { 125 } else { 0 })
}
