//! `--filter KEY=VALUE` for listings (`ps`, `images`): parsing and Podman's matching rules.
//! Values of one key are alternatives (any may match); different keys must all match.

use std::collections::BTreeMap;

use crate::error::Result;

#[derive(Debug, Default, Clone)]
pub struct Filters(Vec<(String, Vec<String>)>);

impl Filters {
    /// Parse `KEY=VALUE` items; `known` are the keys the listing understands.
    pub fn parse(items: &[String], known: &[&str]) -> Result<Filters> {
        let mut f: Vec<(String, Vec<String>)> = Vec::new();
        for it in items {
            let Some((k, v)) = it.split_once('=') else {
                crate::bail!("invalid filter {it:?}: expected KEY=VALUE (keys: {})", known.join(", "));
            };
            let k = k.trim().to_ascii_lowercase();
            if !known.contains(&k.as_str()) {
                crate::bail!("invalid filter {it:?}: unknown key {k:?} (keys: {})", known.join(", "));
            }
            match f.iter_mut().find(|(x, _)| *x == k) {
                Some((_, vs)) => vs.push(v.to_string()),
                None => f.push((k, vec![v.to_string()])),
            }
        }
        Ok(Filters(f))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True when every key has a value for which `test(key, value)` holds.
    pub fn matches(&self, mut test: impl FnMut(&str, &str) -> bool) -> bool {
        self.0.iter().all(|(k, vs)| vs.iter().any(|v| test(k, v)))
    }
}

/// `label=KEY` (present, any value) or `label=KEY=VALUE`.
pub fn label_matches(labels: &BTreeMap<String, String>, want: &str) -> bool {
    match want.split_once('=') {
        Some((k, v)) => labels.get(k).is_some_and(|x| x == v),
        None => labels.contains_key(want),
    }
}

/// Podman's `name=`: a regular expression searched in the name (an invalid one matches as text).
pub fn name_matches(name: &str, pattern: &str) -> bool {
    match regex::Regex::new(pattern) {
        Ok(re) => re.is_match(name),
        Err(_) => name.contains(pattern),
    }
}

/// `id=`: a prefix of the full id.
pub fn id_matches(id: &str, want: &str) -> bool {
    !want.is_empty() && id.starts_with(want.trim_start_matches("sha256:"))
}

/// `until=`/`since=` as a unix time: seconds (`1600000000`), an RFC 3339 time is left to the caller;
/// a Go duration (`10m`, `1h30m`, `45s`) counts back from `now`.
pub fn time_value(v: &str, now: i64) -> Option<i64> {
    if let Ok(n) = v.parse::<i64>() {
        return Some(n);
    }
    duration_secs(v).map(|d| now - d)
}

/// A Go duration such as `1h30m`, `10m`, `45s`, `1.5h` in whole seconds.
pub fn duration_secs(v: &str) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    let mut total = 0f64;
    let mut num = String::new();
    let mut chars = v.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let mut unit = c.to_string();
        if (c == 'm' || c == 'u' || c == 'n') && chars.peek() == Some(&'s') {
            unit.push(chars.next()?);
        }
        let n: f64 = num.parse().ok()?;
        num.clear();
        total += n * match unit.as_str() {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            "us" | "µs" => 0.000_001,
            "ns" => 0.000_000_001,
            _ => return None,
        };
        any = true;
    }
    if !num.is_empty() || !any {
        return None;
    }
    Some(total as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_match() {
        let f = Filters::parse(
            &["name=a".into(), "name=b".into(), "status=running".into()],
            &["name", "status"],
        )
        .unwrap();
        assert!(f.matches(|k, v| (k == "name" && v == "b") || (k == "status" && v == "running")));
        assert!(!f.matches(|k, v| k == "name" && v == "b"));
        assert!(Filters::parse(&["bogus=1".into()], &["name"]).is_err());
        assert!(Filters::parse(&["name".into()], &["name"]).is_err());
    }

    #[test]
    fn labels_names_durations() {
        let mut l = BTreeMap::new();
        l.insert("a".to_string(), "1".to_string());
        assert!(label_matches(&l, "a"));
        assert!(label_matches(&l, "a=1"));
        assert!(!label_matches(&l, "a=2"));
        assert!(name_matches("web-1", "^web"));
        assert!(!name_matches("xweb", "^web"));
        assert_eq!(duration_secs("1h30m"), Some(5400));
        assert_eq!(duration_secs("10s"), Some(10));
        assert_eq!(duration_secs("10"), None);
        assert_eq!(time_value("100", 0), Some(100));
        assert_eq!(time_value("10s", 100), Some(90));
    }
}
