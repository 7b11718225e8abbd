//! Container records: what was asked for (the spec), which image, and the persistent part of
//! its state (started/finished/exit code). Live state (pids) lives in the runtime dir.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::spec::Spec;

/// A container's record in its own directory (containers/<id>/record.json), for containers
/// created since records got files of their own (see `Store::add_container`).
pub const RECORD_FILE: &str = "record.json";

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ContainerIndex {
    #[serde(default)]
    pub containers: Vec<ContainerRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContainerRecord {
    pub id: String,
    pub name: String,
    /// Image id (config digest hex) and the name it was asked by.
    pub image: String,
    pub image_name: String,
    /// Layer ids of the image, bottom first.
    pub layers: Vec<String>,
    /// Seconds since the epoch.
    pub created: i64,
    /// Nanoseconds since the epoch (0 in records written before it was kept): orders the
    /// records of containers created in the same second.
    #[serde(default, skip_serializing_if = "is_zero_ns")]
    pub created_ns: i128,
    pub spec: Spec,
}

impl ContainerRecord {
    pub fn short_id(&self) -> &str {
        &self.id[..12]
    }
}

/// The persistent outcome of the last start: written atomically in containers/<id>/state.json.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Outcome {
    /// Nanoseconds since the epoch, 0 when never started.
    #[serde(default)]
    pub started_at: i128,
    #[serde(default)]
    pub finished_at: i128,
    #[serde(default)]
    pub exit_code: Option<i32>,
    /// Restarts by the container's restart policy since it was last started by hand.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub restart_count: u32,
}

fn is_zero_ns(n: &i128) -> bool {
    *n == 0
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl ContainerIndex {
    /// Find by full or unique-prefix id, or exact name.
    pub fn resolve(&self, what: &str) -> Result<usize> {
        if let Some(n) = self.containers.iter().position(|c| c.name == what || c.id == what) {
            return Ok(n);
        }
        if what.len() >= 3 && what.bytes().all(|b| b.is_ascii_hexdigit()) {
            let hits: Vec<usize> = self
                .containers
                .iter()
                .enumerate()
                .filter(|(_, c)| c.id.starts_with(what))
                .map(|(n, _)| n)
                .collect();
            match hits.len() {
                1 => return Ok(hits[0]),
                n if n > 1 => crate::bail!("{what}: short id is ambiguous: matches {n} containers"),
                _ => {}
            }
        }
        Err(
            crate::err!("no container with name or ID \"{what}\" found: no such container")
                .classed(crate::error::Class::NoSuchObject),
        )
    }
}

/// Docker's adjective_surname names, from our own small lists: the first `generated_name` try
/// that is not `taken`.
pub fn generate_name(taken: impl Fn(&str) -> bool) -> String {
    (0..).map(generated_name).find(|n| !taken(n)).expect("an endless range")
}

/// The `retry`th try at a name: a plain adjective_animal first (576 of them), then one with a
/// number (as Docker's), from a wider range after a few, so that names never run out.
pub fn generated_name(retry: u32) -> String {
    const A: &[&str] = &[
        "brave", "calm", "eager", "fond", "gentle", "happy", "jolly", "keen", "lucid", "merry", "nimble", "proud",
        "quiet", "rapid", "sharp", "tender", "upbeat", "vivid", "witty", "zealous", "bold", "clever", "dreamy",
        "fuzzy",
    ];
    const B: &[&str] = &[
        "hare", "rabbit", "otter", "badger", "beaver", "marten", "stoat", "vole", "mole", "hedgehog", "ferret",
        "squirrel", "lynx", "fox", "wren", "robin", "finch", "heron", "swift", "lark", "newt", "toad", "pika",
        "dormouse",
    ];
    let a = A[crate::digest::random_below(A.len())];
    let b = B[crate::digest::random_below(B.len())];
    match retry {
        0 => format!("{a}_{b}"),
        1..=3 => format!("{a}_{b}{}", crate::digest::random_below(1000)),
        _ => format!("{a}_{b}{}", crate::digest::random_below(1_000_000)),
    }
}
