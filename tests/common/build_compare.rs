//! The comparison of a `hutch build` with a `podman build` of the same Containerfile and
//! context, as the same unprivileged user: the config fields a user sees and every file of a
//! container of each image (type, mode, owner, link target, contents; not mtimes). Shared by
//! tests/build.rs, tests/build_more.rs and tests/build_corpus.rs.

use std::collections::BTreeMap;
use std::io::Read;

use sha2::{Digest, Sha256};

use super::{path, podman, rand_hex, Env, Run};

/// Paths the runtimes create as mount points in every container: not the image's.
pub const RUNTIME: &[&str] = &[
    "proc",
    "sys",
    "dev",
    "etc/hosts",
    "etc/hostname",
    "etc/resolv.conf",
    "run/.containerenv",
];

/// The config fields compared.
pub const FIELDS: &[&str] = &[
    "Env",
    "Cmd",
    "Entrypoint",
    "WorkingDir",
    "User",
    "ExposedPorts",
    "Labels",
    "Volumes",
    "StopSignal",
    "Healthcheck",
];

/// How two builds are compared.
#[derive(Clone, Copy, Default)]
pub struct Compare<'a> {
    /// Files whose contents may differ (each with its reason); their type, mode, owner and link
    /// must still be the same. A name ending in `/` covers what is under it.
    pub differ: &'a [(&'a str, &'a str)],
    /// Compare Env as a set: an ENV that sets a variable the image has keeps its place in
    /// Docker (the specification, and hutch) and moves to the end in Podman.
    pub env_as_set: bool,
}

impl Compare<'_> {
    fn ignored(&self, p: &str) -> bool {
        self.differ
            .iter()
            .any(|(d, _)| p == d.trim_end_matches('/') || (d.ends_with('/') && p.starts_with(d)))
    }
}

/// Every entry of an exported container: path -> "type mode uid:gid link digest". A hard link
/// shows as the file it names (the tools may pick different first names).
pub fn listing(tar_path: &str) -> BTreeMap<String, String> {
    let f = std::fs::File::open(tar_path).unwrap();
    let mut ar = tar::Archive::new(f);
    let mut out = BTreeMap::new();
    let mut hard: Vec<(String, String)> = Vec::new();
    let clean = |s: &str| {
        s.trim_start_matches("./")
            .trim_start_matches('/')
            .trim_end_matches('/')
            .to_string()
    };
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let p = clean(&e.path().unwrap().to_string_lossy());
        if p.is_empty() || RUNTIME.iter().any(|r| p == *r || p.starts_with(&format!("{r}/"))) {
            continue;
        }
        let h = e.header().clone();
        let t = h.entry_type();
        let link = e
            .link_name()
            .unwrap()
            .map(|l| l.to_string_lossy().into_owned())
            .unwrap_or_default();
        if t.is_hard_link() {
            hard.push((p, clean(&link)));
            continue;
        }
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        let digest = if t.is_file() {
            hex::encode(Sha256::digest(&data))
        } else {
            String::new()
        };
        let kind = if t.is_dir() {
            "dir"
        } else if t.is_symlink() {
            "symlink"
        } else if t.is_file() {
            "file"
        } else {
            "other"
        };
        out.insert(
            p,
            format!(
                "{kind} {:o} {}:{} {link} {digest}",
                h.mode().unwrap() & 0o7777,
                h.uid().unwrap(),
                h.gid().unwrap()
            ),
        );
    }
    for (p, target) in hard {
        let v = out
            .get(&target)
            .cloned()
            .unwrap_or_else(|| format!("hardlink to missing {target}"));
        out.insert(p, v);
    }
    out
}

fn files_with(env: &Env, image: &str, tool: &dyn Fn(&[&str]) -> Run, prefix: &str) -> BTreeMap<String, String> {
    let name = format!("{prefix}{}", rand_hex());
    tool(&["create", "--name", &name, image, "true"]).ok();
    let out = path(env, &format!("{name}.tar"));
    tool(&["export", "-o", &out, &name]).ok();
    tool(&["rm", &name]).ok();
    let l = listing(&out);
    let _ = std::fs::remove_file(&out);
    l
}

/// The files of a container of hutch's `image`.
pub fn hutch_files(env: &Env, image: &str) -> BTreeMap<String, String> {
    files_with(env, image, &|a| env.hutch(a), "x")
}

/// The files of a container of podman's `image`.
pub fn podman_files(env: &Env, image: &str) -> BTreeMap<String, String> {
    files_with(env, image, &|a| podman(env, a), "p")
}

pub fn assert_same_files(h: &BTreeMap<String, String>, p: &BTreeMap<String, String>) {
    assert_same_files_with(h, p, Compare::default())
}

pub fn assert_same_files_with(h: &BTreeMap<String, String>, p: &BTreeMap<String, String>, how: Compare) {
    let mut diffs = Vec::new();
    // Without the content digest (the last field).
    let meta = |v: &String| v.rsplit_once(' ').map(|(m, _)| m.to_string()).unwrap_or_default();
    for k in h.keys().chain(p.keys()) {
        if let (true, Some(a), Some(b)) = (how.ignored(k), h.get(k), p.get(k)) {
            if a != b && meta(a) == meta(b) {
                eprintln!("contents differ, as expected: {k}");
                continue;
            }
        }
        if h.get(k) != p.get(k) {
            diffs.push(format!("{k}: hutch {:?} podman {:?}", h.get(k), p.get(k)));
        }
    }
    diffs.sort();
    diffs.dedup();
    assert!(diffs.is_empty(), "{} files differ:\n{}", diffs.len(), diffs.join("\n"));
}

/// The compared config fields of an image's inspect output (empty ones left out).
pub fn config_fields(v: &serde_json::Value, how: Compare) -> BTreeMap<String, serde_json::Value> {
    let mut m = BTreeMap::new();
    for f in FIELDS {
        let mut x = v["Config"][f].clone();
        // Podman's inspect shows the health check beside Config.
        if *f == "Healthcheck" && x.is_null() {
            x = v["Healthcheck"].clone();
        }
        if *f == "Labels" {
            if let Some(o) = x.as_object_mut() {
                o.remove("io.buildah.version");
            }
        }
        if *f == "Env" && how.env_as_set {
            if let Some(a) = x.as_array_mut() {
                a.sort_by_key(|v| v.to_string());
            }
        }
        if x.is_null() || x == serde_json::json!({}) || x == serde_json::json!("") || x == serde_json::json!([]) {
            continue;
        }
        m.insert(f.to_string(), x);
    }
    m
}

/// Build `dir` (relative to the env root) with both tools as `tag`, compare config and files;
/// returns hutch's output.
pub fn build_both(env: &Env, dir: &str, tag: &str, extra: &[&str]) -> Run {
    build_both_with(env, dir, tag, extra, Compare::default())
}

pub fn build_both_with(env: &Env, dir: &str, tag: &str, extra: &[&str], how: Compare) -> Run {
    let ctx = path(env, dir);
    let mut a = vec!["build", "-t", tag];
    a.extend_from_slice(extra);
    a.push(&ctx);
    let h = env.hutch(&a).ok();
    let mut pa = vec!["build", "--tls-verify=false", "-t", tag];
    pa.extend_from_slice(extra);
    pa.push(&ctx);
    podman(env, &pa).ok();
    assert_same_images(env, tag, how);
    h
}

/// hutch's and podman's `tag` have the same config fields and files.
pub fn assert_same_images(env: &Env, tag: &str, how: Compare) {
    let hi = env.inspect(tag);
    let pi: serde_json::Value = serde_json::from_str(&podman(env, &["image", "inspect", tag]).ok().stdout).unwrap();
    assert_eq!(config_fields(&hi, how), config_fields(&pi[0], how), "config of {tag}");
    assert_same_files_with(&hutch_files(env, tag), &podman_files(env, tag), how);
}
