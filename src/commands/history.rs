//! `hutch image history` and `hutch image exists`

use serde_json::{json, Value};

use crate::cli::{ExistsArgs, HistoryArgs};
use crate::error::Result;
use crate::output::{human_ago, human_size, parse_rfc3339, table};
use crate::store::Store;

/// Exit 0 when the image is known, 1 when not; nothing printed either way.
pub fn exists(a: ExistsArgs) -> Result<i32> {
    let Some(store) = Store::open_existing(&crate::paths::data_dir()?) else {
        return Ok(1);
    };
    Ok(if store.load_images()?.resolve(&a.image).is_ok() {
        0
    } else {
        1
    })
}

fn trunc(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 3).collect::<String>() + "..."
    }
}

pub fn run(a: HistoryArgs) -> Result<i32> {
    let store = Store::open()?;
    let idx = store.load_images()?;
    let img = idx.images[idx.resolve(&a.image)?].clone();
    let config: Value = serde_json::from_slice(&store.read_blob(&format!("sha256:{}", img.id))?)
        .map_err(|e| crate::err!("image {}: stored config is not valid JSON: {e}", img.short_id()))?;
    let layers = store.load_layers()?;
    let sizes: Vec<u64> = img
        .layers
        .iter()
        .map(|l| layers.get(l).map(|r| r.size).unwrap_or(0))
        .collect();
    let mut history: Vec<Value> = config
        .get("history")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if history.is_empty() {
        // No history: one line per layer, as Podman shows.
        history = sizes.iter().map(|_| json!({})).collect();
    }
    // Layers go to the history entries that are not empty_layer, in order.
    let mut next_layer = 0;
    let mut items = Vec::new();
    for h in &history {
        let empty = h.get("empty_layer").and_then(Value::as_bool).unwrap_or(false);
        let size = if empty {
            0
        } else {
            next_layer += 1;
            sizes.get(next_layer - 1).copied().unwrap_or(0)
        };
        let created = h.get("created").and_then(Value::as_str).unwrap_or("").to_string();
        items.push(json!({
            "id": "<missing>",
            "created": created,
            "Created": created,
            "CreatedBy": h.get("created_by").and_then(Value::as_str).unwrap_or(""),
            "size": size,
            "Comment": h.get("comment").and_then(Value::as_str).unwrap_or(""),
        }));
    }
    items.reverse();
    if let Some(top) = items.first_mut() {
        top["id"] = json!(img.id);
        top["Tags"] = json!(img.names);
    }
    let id_of = |v: &Value| {
        let id = v["id"].as_str().unwrap_or("");
        if a.no_trunc || id == "<missing>" {
            id.to_string()
        } else {
            id[..12].to_string()
        }
    };
    if a.quiet {
        let ids: String = items.iter().map(|v| id_of(v) + "\n").collect();
        crate::output::out(&ids);
        return Ok(0);
    }
    // Template fields, Podman's names.
    let tmpl_items: Vec<Value> = items
        .iter()
        .map(|v| {
            let secs = v["created"].as_str().and_then(parse_rfc3339);
            json!({
                "ID": id_of(v),
                // Podman: --human=false shows the time itself; CreatedAt in Go's format, as `images`.
                "Created": if a.human { secs.map(human_ago).unwrap_or_default() } else { secs.map(rfc3339).unwrap_or_default() },
                "CreatedSince": secs.map(human_ago).unwrap_or_default(),
                "CreatedAt": secs.map(crate::output::format_time).map(Value::from).unwrap_or_else(|| v["created"].clone()),
                "CreatedBy": v["CreatedBy"],
                "Size": if a.human { human_size(v["size"].as_u64().unwrap_or(0)) } else { v["size"].to_string() },
                "Comment": v["Comment"],
                "Tags": v.get("Tags").cloned().unwrap_or(json!(null)),
            })
        })
        .collect();
    if a.format.as_deref() == Some("json") {
        crate::output::out(&(serde_json::to_string_pretty(&items).expect("json") + "\n"));
        return Ok(0);
    }
    super::print_listing(
        a.format.as_deref(),
        &tmpl_items,
        &[("ID", "ID"), ("CreatedBy", "CREATED BY")],
        false,
        || {
            let rows: Vec<Vec<String>> = tmpl_items
                .iter()
                .map(|v| {
                    let by = v["CreatedBy"].as_str().unwrap_or("");
                    vec![
                        v["ID"].as_str().unwrap_or("").to_string(),
                        v["Created"].as_str().unwrap_or("").to_string(),
                        if a.no_trunc { by.to_string() } else { trunc(by, 45) },
                        v["Size"].as_str().unwrap_or("").to_string(),
                        v["Comment"].as_str().unwrap_or("").to_string(),
                    ]
                })
                .collect();
            table(&["ID", "CREATED", "CREATED BY", "SIZE", "COMMENT"], &rows)
        },
    )?;
    Ok(0)
}

/// Seconds since the epoch -> "2024-01-02T03:04:05Z" (Go's time.RFC3339, UTC).
fn rfc3339(secs: i64) -> String {
    let t = crate::output::format_time(secs); // "2024-01-02 03:04:05 +0000 UTC"
    format!("{}T{}Z", &t[..10], &t[11..19])
}
