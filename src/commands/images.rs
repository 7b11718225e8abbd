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

/// `reference=`: a full name, a repository (any tag), a short name matching a repository's
/// tail, with `*` wildcards as Podman's (path.Match).
fn reference_matches(names: &[String], want: &str) -> bool {
    let pat = |p: &str, t: &str| -> bool {
        let re = format!("^{}$", regex::escape(p).replace("\\*", "[^/]*").replace("\\?", "[^/]"));
        regex::Regex::new(&re).is_ok_and(|r| r.is_match(t))
    };
    names.iter().any(|n| {
        let (repo, tag) = n.rsplit_once(':').unwrap_or((n, ""));
        let (wrepo, wtag) = match want.rsplit_once(':') {
            Some((r, t)) if !t.contains('/') => (r, Some(t)),
            _ => (want, None),
        };
        let tag_ok = wtag.is_none_or(|t| pat(t, tag));
        let repo_ok = pat(wrepo, repo)
            || repo.rsplit('/').next().is_some_and(|last| pat(wrepo, last))
            || (wrepo.contains('/') && repo.ends_with(&format!("/{wrepo}")))
            || pat(&format!("*/{wrepo}"), repo);
        tag_ok && repo_ok
    })
}

pub fn run(a: ImagesArgs) -> Result<i32> {
    let store = Store::open()?;
    let idx = store.load_images()?;
    let mut images: Vec<&ImageRecord> = idx.images.iter().collect();
    images.sort_by_key(|i| std::cmp::Reverse((created_secs(i), i.pulled)));
    let filters = crate::spec::filter::Filters::parse(
        &a.filter,
        &[
            "reference",
            "dangling",
            "label",
            "id",
            "before",
            "since",
            "after",
            "until",
            "readonly",
        ],
    )?;
    let labels_of = |img: &ImageRecord| -> std::collections::BTreeMap<String, String> {
        store
            .read_blob(&format!("sha256:{}", img.id))
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .and_then(|c| serde_json::from_value(c["config"]["Labels"].clone()).ok())
            .unwrap_or_default()
    };
    if !filters.is_empty() {
        // before/since/after name an image; its creation time is the bound.
        let mut bound = std::collections::HashMap::new();
        for f in &a.filter {
            if let Some((k @ ("before" | "since" | "after"), v)) = f.split_once('=') {
                let n = idx.resolve(v)?;
                bound.insert(v.to_string(), (k, created_secs(&idx.images[n])));
            }
        }
        let now = crate::output::now_secs();
        let mut bad = None;
        images.retain(|i| {
            filters.matches(|k, v| match k {
                "reference" => reference_matches(&i.names, v),
                "dangling" => match v {
                    "true" | "1" => i.names.is_empty(),
                    "false" | "0" => !i.names.is_empty(),
                    _ => {
                        bad = Some(format!("invalid filter \"dangling={v}\": expected true or false"));
                        false
                    }
                },
                "label" => crate::spec::filter::label_matches(&labels_of(i), v),
                "id" => crate::spec::filter::id_matches(&i.id, v),
                "before" => bound.get(v).is_some_and(|(_, t)| created_secs(i) < *t),
                "since" | "after" => bound.get(v).is_some_and(|(_, t)| created_secs(i) > *t),
                "until" => match crate::spec::filter::time_value(v, now).or_else(|| crate::output::parse_rfc3339(v)) {
                    Some(t) => created_secs(i) < t,
                    None => {
                        bad = Some(format!("invalid filter \"until={v}\": expected a time or a duration"));
                        false
                    }
                },
                "readonly" => v == "false",
                _ => false,
            })
        });
        if let Some(b) = bad {
            crate::bail!("{b}");
        }
    }
    // IMAGE: the images with a name it matches, and (as Podman) only those names' rows.
    let name_matches = |n: &str| -> bool {
        let Some(f) = &a.reference else { return true };
        let want = f.trim_end_matches(":*");
        let repo = n.rsplit_once(':').map(|x| x.0).unwrap_or(n);
        n == f || repo == want || repo.ends_with(&format!("/{want}")) || n.ends_with(&format!("/{f}"))
    };
    if a.reference.is_some() {
        images.retain(|i| i.names.iter().any(|n| name_matches(n)));
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
            if !img.names.is_empty() && !name_matches(&format!("{repo}:{tag}")) && !name_matches(&repo) {
                continue;
            }
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
                // Read from the config blob only when a format can show them: the plain
                // table never does, and a blob a pull is writing can make a reader wait.
                "Labels": if a.format.is_some() { labels_of(img) } else { Default::default() },
                // Names the image has had, most recent first (a template shows them joined, as
                // Podman's `{{.History}}`).
                "History": if matches!(crate::format::Format::parse(a.format.as_deref()), crate::format::Format::Template { .. }) {
                    Value::from(img.names_history.join(", "))
                } else {
                    Value::from(img.names_history.clone())
                },
                "ReadOnly": false,
            }));
            let mut row = vec![repo, tag];
            if a.digests {
                row.push(digest.clone());
            }
            row.extend([id.clone(), human_ago(created), human_size(img.size)]);
            table_rows.push(row);
        }
    }
    if let Some(key) = &a.sort {
        // Rows stay grouped with their table row: sort both by the same key.
        let mut pairs: Vec<(Value, Vec<String>)> = items.into_iter().zip(table_rows).collect();
        let text = |v: &Value, f: &str| v[f].as_str().unwrap_or_default().to_string();
        match key.as_str() {
            "id" => pairs.sort_by_key(|p| text(&p.0, "Id")),
            "repository" => pairs.sort_by_key(|p| (text(&p.0, "Repository"), text(&p.0, "Tag"))),
            "tag" => pairs.sort_by_key(|p| text(&p.0, "Tag")),
            "size" => pairs.sort_by_key(|p| p.0["Size"].as_u64().unwrap_or(0)),
            _ => pairs.sort_by_key(|p| std::cmp::Reverse(p.0["Created"].as_i64().unwrap_or(0))),
        }
        (items, table_rows) = pairs.into_iter().unzip();
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
        // JSON times are RFC 3339, as Podman's.
        json_items
            .into_iter()
            .map(|mut i| {
                let t = i["Created"].as_i64().unwrap_or(0);
                let full = crate::output::format_nanos(t as i128 * 1_000_000_000);
                i["CreatedAt"] = Value::String(format!("{}Z", &full[..19]));
                i
            })
            .collect()
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
