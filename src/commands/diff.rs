//! `hutch diff`

use serde_json::{json, Value};

use crate::cli::DiffArgs;
use crate::container::diff::{self, Kind};
use crate::error::Result;
use crate::output::out;

pub fn run(a: DiffArgs) -> Result<i32> {
    let changes = diff::diff(&a.what)?;
    if a.format.is_some() {
        // Podman's shape: only the kinds that occur.
        let mut o = serde_json::Map::new();
        for (key, kind) in [
            ("changed", Kind::Changed),
            ("added", Kind::Added),
            ("deleted", Kind::Deleted),
        ] {
            let v: Vec<&str> = changes
                .iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, p)| p.as_str())
                .collect();
            if !v.is_empty() {
                o.insert(key.into(), json!(v));
            }
        }
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&Value::Object(o)).expect("json")
        ));
    } else {
        let mut s = String::new();
        for (k, p) in &changes {
            s.push_str(&format!("{} {p}\n", k.letter()));
        }
        out(&s);
    }
    Ok(0)
}
