//! Entry points for the fuzz tests (tests/fuzz.rs): each takes arbitrary bytes and must return
//! without panicking, whatever they are (errors are fine: they are what bad input gets). Not
//! part of hutch's interface; nothing else calls them.

use std::path::Path;

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// Image references: parsing, normalising, digests.
pub fn reference(data: &[u8]) {
    let Some(s) = text(data) else { return };
    if let Ok(r) = crate::reference::ImageRef::parse(s) {
        let _ = (r.name(), r.tagged(), r.to_oci());
    }
    let _ = crate::reference::validate_digest(s);
    let _ = crate::registry::Platform::parse(s);
    let _ = crate::image::tag::normalize_new_name(s);
}

/// Manifests, indexes and image configs as a registry or an archive hands them over.
pub fn manifest(data: &[u8]) {
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let _ = crate::registry::choose_from_index("fuzz/image", &doc, &crate::registry::Platform::host());
    let _ = crate::registry::manifest_descs("fuzz/image", &doc);
    let cfg = crate::spec::ImageConfig::from_json(&doc);
    let _ = crate::spec::network::exposed_ports(&doc);
    let opts = crate::spec::RunOptions::default();
    let _ = crate::spec::build(&cfg, &opts, &"0".repeat(64), &|_| None);
}

/// `--format` templates, rendered over a JSON item: the template is the first line, the item
/// the rest.
pub fn format_template(data: &[u8]) {
    let Some(s) = text(data) else { return };
    let (tmpl, item) = s.split_once('\n').unwrap_or((s, "{}"));
    let item = serde_json::from_str(item).unwrap_or(serde_json::json!({"ID": "abc", "Names": ["x"], "Size": 1}));
    let _ = crate::format::Format::parse(Some(tmpl));
    let _ = crate::format::render(tmpl, true, &[item]);
}

/// containers.conf.
pub fn containers_conf(data: &[u8]) {
    let Some(s) = text(data) else { return };
    let mut c = crate::config::ContainersConf::default();
    let _ = c.apply(Path::new("fuzz/containers.conf"), s);
}

/// registries.conf.
pub fn registries_conf(data: &[u8]) {
    let Some(s) = text(data) else { return };
    let f = Path::new("fuzz/registries.conf");
    let _ = crate::config::policy_from(s, f, "example.com/ns/app");
    let _ = crate::config::sources_from(s, f, "example.com/ns/app:1");
    let _ = crate::config::sources_from(
        s,
        f,
        "example.com/ns/app@sha256:0000000000000000000000000000000000000000000000000000000000000000",
    );
}

/// auth.json.
pub fn auth_json(data: &[u8]) {
    let Some(s) = text(data) else { return };
    let _ = crate::config::credentials_from(s, "example.com/ns/app");
    let _ = crate::config::normalize_auth_key(s);
}

/// `-p`, `-v`, `--add-host`, `--network`.
pub fn run_flags(data: &[u8]) {
    let Some(s) = text(data) else { return };
    if let Ok(p) = crate::spec::network::parse_publish(s) {
        let _ = (p.display(), p.pairs().count());
    }
    let _ = crate::spec::parse_volume(s);
    let _ = crate::spec::network::parse_add_host(s, Some("10.0.2.2"));
    let _ = crate::spec::network::parse_add_host(s, None);
    let _ = crate::spec::network::Mode::parse(s);
}

/// A layer tar (plain or compressed) extracted into `dest`; Err is a refused layer.
pub fn layer_tar(data: &[u8], dest: &Path, keep_owners: bool) -> Result<(), String> {
    let own = crate::archive::Ownership {
        keep: keep_owners,
        uid_span: 65536,
        gid_span: 65536,
    };
    let r = crate::archive::decompress(data).map_err(|e| e.to_string())?;
    crate::archive::extract_layer(r, dest, own)
        .map(|_| ())
        .map_err(|e| e.message)
}

/// Give the owner write access back throughout a tree (extracted read-only directories), so a
/// test can delete it.
pub fn make_writable(p: &Path) {
    crate::store::make_writable(p)
}

/// `hutch run ARGS…` (one argument per line of `data`) parsed both ways: with `run`'s
/// definitions alone (`Cli::try_parse_run`, the fast path `main` takes) and with the whole tree.
/// Err when they differ: the fast path must give exactly the whole tree's result, and refuse
/// (so that the whole tree answers) what the whole tree refuses.
pub fn cli_run(data: &[u8]) -> Result<(), String> {
    let Some(s) = text(data) else { return Ok(()) };
    let argv: Vec<std::ffi::OsString> = ["hutch", "run"]
        .into_iter()
        .chain(s.split('\n').filter(|a| !a.is_empty()))
        .map(Into::into)
        .collect();
    let fast = crate::cli::Cli::try_parse_run(&argv).map(|c| format!("{c:?}"));
    let whole = <crate::cli::Cli as clap::Parser>::try_parse_from(&argv).map(|c| format!("{c:?}"));
    match (&fast, &whole) {
        (Some(f), Ok(w)) if f == w => Ok(()),
        (None, Err(_)) => Ok(()),
        _ => Err(format!(
            "{argv:?}: fast path {fast:?}, whole tree {:?}",
            whole.as_ref().map_err(|e| e.kind())
        )),
    }
}
