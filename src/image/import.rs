//! `import`: a tar (plain or compressed; a file or stdin) becomes a one-layer image, its config
//! changed by Dockerfile instructions (`spec::changes`). The layer is extracted in tmp/ inside
//! the store's user namespace and committed like a pulled one; the image record comes last.

use std::io::Read;

use serde_json::{json, Map, Value};

use crate::archive::{self, Ownership};
use crate::error::{Context, Result};
use crate::store::{ImageRecord, Store};

pub struct ImportOptions {
    pub changes: Vec<String>,
    pub message: Option<String>,
    /// Full name (already normalised), or none for an unnamed image.
    pub name: Option<String>,
}

fn rfc3339(secs: i64) -> String {
    let t = crate::output::format_time(secs);
    format!("{}Z", t[..19].replace(' ', "T"))
}

/// The image config's `config` object the changes make (checked before anything is read).
pub fn config_from_changes(changes: &[String]) -> Result<Map<String, Value>> {
    let mut cfg = Map::new();
    for c in changes {
        crate::spec::changes::apply(&mut cfg, c).map_err(crate::error::Error::new)?;
    }
    Ok(cfg)
}

/// Where the tar comes from.
pub enum Input {
    Reader(Box<dyn Read>),
    /// An http(s) URL: downloaded into the store's tmp/ first (from inside the user namespace).
    Url(String),
}

/// Import `input` as a new image; returns its id.
pub fn import(input: Input, what: &str, opts: &ImportOptions) -> Result<String> {
    let cfg = config_from_changes(&opts.changes)?;
    let mapping = crate::runtime::userns::enter()?;
    let own = Ownership {
        keep: mapping.keeps_ownership(),
        uid_span: mapping.uid_span(),
        gid_span: mapping.gid_span(),
    };
    let store = Store::open()?;
    store.sweep()?;
    let (_download, input) = match input {
        Input::Reader(r) => (None, r),
        Input::Url(url) => {
            let t = store.temp("import-download")?;
            let mut f = std::fs::File::options()
                .read(true)
                .write(true)
                .create_new(true)
                .open(&t.path)
                .ctx(|| format!("creating {}", t.path.display()))?;
            crate::registry::url::download(&url, &mut std::io::BufWriter::new(&mut f))?;
            let f = std::fs::File::open(&t.path).ctx(|| format!("reading {}", t.path.display()))?;
            let _ = std::fs::remove_file(&t.path);
            (Some(t), Box::new(f) as Box<dyn Read>)
        }
    };
    let tmp = store.temp("import")?;
    std::fs::create_dir(&tmp.path).ctx(|| format!("creating {}", tmp.path.display()))?;
    let diff = tmp.path.join("diff");
    std::fs::create_dir(&diff).ctx(|| format!("creating {}", diff.display()))?;
    let ex = archive::extract_layer(input, &diff, own).map_err(|e| crate::err!("importing {what}: {e}"))?;
    let (id, lock) = crate::image::pull::commit_extracted_layer(&store, tmp, &ex)?;
    let work_lock = lock;

    let now = crate::output::now_secs();
    let created = rfc3339(now);
    let mut history = json!({ "created": created, "created_by": format!("/bin/sh -c #(nop) ADD file:{} in /", &id) });
    if let Some(m) = &opts.message {
        history["comment"] = json!(m);
    }
    let mut config = json!({
        "created": created,
        "architecture": crate::registry::Platform::host().arch,
        "os": "linux",
        "config": Value::Object(cfg),
        "rootfs": { "type": "layers", "diff_ids": [ex.diff_id] },
        "history": [history],
    });
    if let Some(m) = &opts.message {
        config["comment"] = json!(m);
    }
    let config = serde_json::to_vec(&config).expect("json");
    let config_digest = format!("sha256:{}", crate::digest::sha256_hex(&config));
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len() },
        "layers": [{ "mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": ex.diff_id, "size": ex.size }],
    }))
    .expect("json");
    let manifest_digest = format!("sha256:{}", crate::digest::sha256_hex(&manifest));
    let blobs = [
        (config_digest.clone(), config.clone()),
        (manifest_digest.clone(), manifest.clone()),
    ];
    let image_id = config_digest[7..].to_string();
    crate::image::pull::record_image(
        &store,
        ImageRecord {
            names_history: Vec::new(),
            id: image_id.clone(),
            names: opts.name.iter().cloned().collect(),
            digests: vec![],
            manifest_digest,
            layers: vec![id],
            created: Some(created),
            size: ex.size,
            architecture: crate::registry::Platform::host().arch,
            os: "linux".into(),
            pulled: now.max(0) as u64,
        },
        &blobs,
    )?;
    drop(work_lock);
    Ok(image_id)
}
