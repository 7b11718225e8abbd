//! `hutch images`

use serde_json::{json, Value};

use crate::cli::ImagesArgs;
use crate::error::Result;
use crate::output::{human_ago, human_size, parse_rfc3339, table};
use crate::store::{ImageRecord, Store};

/// One row per name (`<none>` for a dangling image).
fn rows(img: &ImageRecord) -> Vec<(String, String)> {
    if img.names.is_empty() {
        return vec![("<none>".into(), "<none>".into())];
    }
    img.names
        .iter()
        .map(|n| match n.rsplit_once(':') {
            Some((r, t)) if !t.contains('/') => (r.to_string(), t.to_string()),
            _ => (n.clone(), "<none>".into()),
        })
        .collect()
}

fn created_secs(img: &ImageRecord) -> i64 {
    img.created
        .as_deref()
        .and_then(parse_rfc3339)
        .unwrap_or(img.pulled as i64)
}

pub fn run(a: ImagesArgs) -> Result<i32> {
    let store = Store::open()?;
    let idx = store.load_images()?;
    let mut images: Vec<&ImageRecord> = idx.images.iter().collect();
    images.sort_by_key(|i| std::cmp::Reverse((created_secs(i), i.pulled)));
    if let Some(f) = &a.filter {
        let want = f.trim_end_matches(":*");
        images.retain(|i| {
            i.names.iter().any(|n| {
                let repo = n.rsplit_once(':').map(|x| x.0).unwrap_or(n);
                n == f || repo == want || repo.ends_with(&format!("/{want}")) || n.ends_with(&format!("/{f}"))
            })
        });
    }
    let mut items: Vec<Value> = Vec::new();
    let mut table_rows = Vec::new();
    for img in &images {
        let created = created_secs(img);
        let digest = img.manifest_digest.clone();
        let id = if a.no_trunc {
            format!("sha256:{}", img.id)
        } else {
            img.short_id().to_string()
        };
        for (repo, tag) in rows(img) {
            items.push(json!({
                "Id": img.id,
                "ID": id,
                "ParentId": "",
                "Repository": repo,
                "Tag": tag,
                "RepoTags": img.names,
                "RepoDigests": img.digests,
                "Names": img.names,
                "Digest": digest,
                "Size": img.size,
                "VirtualSize": img.size,
                "SharedSize": 0,
                "Created": created,
                "CreatedAt": crate::output::format_time(created),
                "CreatedSince": human_ago(created),
                "Containers": 0,
                "Dangling": img.names.is_empty(),
                "Arch": img.architecture,
                "Os": img.os,
            }));
            let mut row = vec![repo, tag];
            if a.digests {
                row.push(digest.clone());
            }
            row.extend([id.clone(), human_ago(created), human_size(img.size)]);
            table_rows.push(row);
        }
    }
    if a.quiet {
        let mut seen = std::collections::HashSet::new();
        let mut s = String::new();
        for it in &items {
            let id = it["ID"].as_str().unwrap_or_default();
            if seen.insert(id.to_string()) {
                s.push_str(id);
                s.push('\n');
            }
        }
        crate::output::out(&s);
        return Ok(0);
    }
    // JSON output is one object per image, not per name.
    let json_items: Vec<Value> = {
        let mut seen = std::collections::HashSet::new();
        items
            .iter()
            .filter(|i| seen.insert(i["Id"].as_str().unwrap_or_default().to_string()))
            .cloned()
            .collect()
    };
    let for_format = if a.format.as_deref().map(str::trim) == Some("json") {
        json_items
    } else {
        items
    };
    super::print_listing(
        a.format.as_deref(),
        &for_format,
        &[("ID", "IMAGE ID")],
        a.noheading,
        || {
            let mut headers = vec!["REPOSITORY", "TAG"];
            if a.digests {
                headers.push("DIGEST");
            }
            headers.extend(["IMAGE ID", "CREATED", "SIZE"]);
            if a.noheading {
                table(&headers, &table_rows)
                    .split_once('\n')
                    .map(|x| x.1.to_string())
                    .unwrap_or_default()
            } else {
                table(&headers, &table_rows)
            }
        },
    )?;
    Ok(0)
}
