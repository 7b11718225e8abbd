//! `hutch system check [--repair] [--quick]`

use crate::check::{check, CheckOptions};
use crate::cli::SystemCheckArgs;
use crate::error::Result;
use crate::output::out;

pub fn run(a: SystemCheckArgs) -> Result<i32> {
    let r = check(&CheckOptions {
        repair: a.repair,
        quick: a.quick,
    })?;
    let mut text = String::new();
    for p in &r.problems {
        text.push_str(&format!(
            "problem: {}: {} (affects: {})\n",
            p.object, p.issue, p.affects
        ));
    }
    for line in &r.repaired {
        text.push_str(&format!("repaired: {line}\n"));
    }
    let c = &r.counts;
    let left = if a.repair { &r.remaining } else { &r.problems };
    if a.repair {
        for p in &r.remaining {
            text.push_str(&format!(
                "not repaired: {}: {} (affects: {})\n",
                p.object, p.issue, p.affects
            ));
        }
    }
    text.push_str(&format!(
        "checked {} images, {} layers ({} hashed), {} blobs, {} containers in {}: {}\n",
        c.images,
        c.layers,
        c.layers_hashed,
        c.blobs,
        c.containers,
        r.store.display(),
        if r.problems.is_empty() {
            "no problems".to_string()
        } else if a.repair && left.is_empty() {
            format!("{} problems found, all repaired", r.problems.len())
        } else if a.repair {
            format!("{} problems found, {} not repaired", r.problems.len(), left.len())
        } else {
            format!(
                "{} problems found (hutch system check --repair removes what cannot be trusted)",
                r.problems.len()
            )
        }
    ));
    out(&text);
    Ok(if left.is_empty() { 0 } else { 1 })
}
