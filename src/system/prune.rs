//! `system prune`: stopped containers, then dangling (or, with `all`, unused) images, the
//! layers and blobs no image uses and the tmp/ debris of crashed commands, then (with
//! `volumes`) the volumes no container uses.

use std::collections::{BTreeMap, HashSet};

use crate::error::Result;
use crate::runtime::state::{self, Status};
use crate::runtime::userns;
use crate::store::Store;
use crate::system::{usage, volumes};

/// `--filter`: what may be pruned.
#[derive(Debug, Default, PartialEq)]
pub struct Filters {
    /// Only what was created before this (seconds since the epoch).
    pub until: Option<i64>,
    /// label=KEY[=VALUE]: all of these must match.
    pub labels: Vec<(String, Option<String>)>,
    /// label!=KEY[=VALUE]: none of these may match.
    pub not_labels: Vec<(String, Option<String>)>,
}

/// A point in time for `until=`: seconds since the epoch, RFC 3339, a date (YYYY-MM-DD, UTC),
/// or a duration back from `now` (`90s`, `15m`, `24h`, `1h30m`).
pub fn parse_until(s: &str, now: i64) -> Option<i64> {
    if let Ok(n) = s.parse::<i64>() {
        return Some(n);
    }
    if let Some(t) = crate::output::parse_rfc3339(s) {
        return Some(t);
    }
    if s.len() == 10 {
        if let Some(t) = crate::output::parse_rfc3339(&format!("{s}T00:00:00Z")) {
            return Some(t);
        }
    }
    let mut total = 0i64;
    let mut num = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: i64 = num.parse().ok()?;
        num.clear();
        total += n * match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return None,
        };
    }
    (num.is_empty() && !s.is_empty()).then_some(now - total)
}

impl Filters {
    pub fn parse(raw: &[String], now: i64) -> Result<Filters> {
        let mut f = Filters::default();
        for r in raw {
            let bad = |why: &str| crate::err!("invalid filter \"{r}\": {why}");
            let (k, v) = r
                .split_once('=')
                .ok_or_else(|| bad("expected KEY=VALUE (until=, label=, label!=)"))?;
            let label = |v: &str| match v.split_once('=') {
                Some((a, b)) => (a.to_string(), Some(b.to_string())),
                None => (v.to_string(), None),
            };
            match k {
                "until" => {
                    f.until = Some(parse_until(v, now).ok_or_else(|| bad("not a timestamp or a duration such as 24h"))?)
                }
                "label" if !v.is_empty() => f.labels.push(label(v)),
                "label!" if !v.is_empty() => f.not_labels.push(label(v)),
                "label" | "label!" => return Err(bad("a label name is missing")),
                _ => return Err(bad("unknown filter (supported: until, label, label!=)")),
            }
        }
        Ok(f)
    }

    /// Whether something created at `created` with `labels` may go.
    pub fn matches(&self, created: i64, labels: &BTreeMap<String, String>) -> bool {
        let has = |(k, v): &(String, Option<String>)| match (labels.get(k), v) {
            (Some(_), None) => true,
            (Some(a), Some(b)) => a == b,
            (None, _) => false,
        };
        self.until.is_none_or(|u| created < u) && self.labels.iter().all(has) && !self.not_labels.iter().any(has)
    }

    fn needs_labels(&self) -> bool {
        !self.labels.is_empty() || !self.not_labels.is_empty()
    }
}

#[derive(Default)]
pub struct Report {
    pub containers: Vec<String>,
    pub images: Vec<String>,
    pub volumes: Vec<String>,
    pub reclaimed: u64,
    /// Containers that could not be removed, with why.
    pub failures: Vec<String>,
}

fn image_labels(store: &Store, id: &str) -> BTreeMap<String, String> {
    store
        .read_blob(&format!("sha256:{id}"))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| serde_json::from_value(v["config"]["Labels"].clone()).ok())
        .unwrap_or_default()
}

pub fn prune(all: bool, with_volumes: bool, filters: &Filters) -> Result<Report> {
    let store = Store::open()?;
    let mut report = Report::default();
    // Containers first: what they used becomes unused.
    for rec in store.load_containers()?.containers {
        if matches!(state::status(&store, &rec).0, Status::Running { .. }) {
            continue;
        }
        if !filters.matches(rec.created, &rec.spec.labels) {
            continue;
        }
        let size = usage::du(&store.container_dir(&rec.id));
        match crate::container::remove(&store, &rec, false) {
            Ok(()) => {
                report.reclaimed += size;
                report.containers.push(rec.id.clone());
            }
            Err(e) => report.failures.push(format!("container {}: {}", rec.name, e.message)),
        }
    }
    // Then images, layers and blobs, inside the store's user namespace (layers hold files of
    // every mapped id).
    userns::enter()?;
    store.sweep()?;
    let layers_before: u64 = store.load_layers()?.layers.iter().map(|l| l.size).sum();
    let blobs_before = usage::du(&store.blobs_dir());
    {
        let ctr_lock = store.lock_containers()?;
        let used: HashSet<String> = store
            .load_containers()?
            .containers
            .into_iter()
            .map(|c| c.image)
            .collect();
        let lock = store.lock_images()?;
        let mut idx = store.load_images()?;
        let mut removed = Vec::new();
        idx.images.retain(|i| {
            let candidate = !used.contains(&i.id) && (all || i.names.is_empty());
            let created = i
                .created
                .as_deref()
                .and_then(crate::output::parse_rfc3339)
                .unwrap_or(i.pulled as i64);
            let labels = if filters.needs_labels() {
                image_labels(&store, &i.id)
            } else {
                BTreeMap::new()
            };
            let go = candidate && filters.matches(created, &labels);
            if go {
                removed.push(i.id.clone());
            }
            !go
        });
        if !removed.is_empty() {
            store.save_images(&idx, &lock)?;
        }
        drop(ctr_lock);
        store.collect_garbage(&idx, &lock, false)?;
        report.images = removed;
    }
    // The build cache goes too (its steps' layers were just collected).
    report.reclaimed += crate::image::prune::prune_build_cache()?;
    let layers_after: u64 = store.load_layers()?.layers.iter().map(|l| l.size).sum();
    let blobs_after = usage::du(&store.blobs_dir());
    report.reclaimed += layers_before.saturating_sub(layers_after) + blobs_before.saturating_sub(blobs_after);
    if with_volumes {
        let vols = volumes::list(&store, false);
        let used: HashSet<String> = store
            .load_containers()?
            .containers
            .iter()
            .flat_map(|c| usage::container_volumes(c, &vols))
            .collect();
        let gone = volumes::prune_unused(&store, &used, |v| !filters.matches(v.created, &BTreeMap::new()))?;
        report.reclaimed += gone.iter().map(|v| v.size).sum::<u64>();
        report.volumes = gone.into_iter().map(|v| v.name).collect();
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_until() {
        assert_eq!(parse_until("1700000000", 0), Some(1_700_000_000));
        assert_eq!(parse_until("24h", 100_000), Some(100_000 - 86_400));
        assert_eq!(parse_until("1h30m", 10_000), Some(10_000 - 5_400));
        assert_eq!(parse_until("2024-01-02", 0), Some(1_704_153_600));
        assert_eq!(parse_until("2024-01-02T03:04:05Z", 0), Some(1_704_164_645));
        assert_eq!(parse_until("soon", 0), None);
        assert_eq!(parse_until("5d", 0), None);
        assert_eq!(parse_until("", 0), None);
    }

    #[test]
    fn filters() {
        let f = Filters::parse(&["label=a=1".into(), "label!=b".into(), "until=50".into()], 0).unwrap();
        let l = |v: &[(&str, &str)]| v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        assert!(f.matches(10, &l(&[("a", "1")])));
        assert!(!f.matches(60, &l(&[("a", "1")])));
        assert!(!f.matches(10, &l(&[("a", "2")])));
        assert!(!f.matches(10, &l(&[("a", "1"), ("b", "x")])));
        assert!(Filters::parse(&["dangling=true".into()], 0).is_err());
        assert!(Filters::parse(&["until".into()], 0).is_err());
        assert!(Filters::parse(&["label=".into()], 0).is_err());
    }
}
