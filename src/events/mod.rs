//! The event log (`hutch events`): every verb that changes a container or an image appends one
//! JSON line per event to a per-user file, in Podman's file-backend format, so `podman events`
//! readers and scripts see the same records. The backend is `--events-backend`
//! (`$HUTCH_EVENTS_BACKEND`, carried to the hutch processes this one starts), else
//! containers.conf's `[engine] events_logger`; `none` writes nothing. Writing an event never fails
//! a verb: a problem is a debug line. Reading, filtering and formatting are here too.

use std::collections::BTreeMap;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::error::{Context, Result};

/// The environment variable that carries `--events-backend` to child processes.
pub const BACKEND_VAR: &str = "HUTCH_EVENTS_BACKEND";

/// Podman's default events_logfile_max_size (1 MB): past it the log keeps its newer half.
pub const DEFAULT_MAX_SIZE: u64 = 1_000_000;

/// One event, as Podman's file backend writes it (field names and order included).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Event {
    #[serde(rename = "ContainerExitCode", default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    #[serde(rename = "ID", default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(rename = "Image", default, skip_serializing_if = "String::is_empty")]
    pub image: String,
    #[serde(rename = "Name", default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(rename = "network", default, skip_serializing_if = "String::is_empty")]
    pub network: String,
    #[serde(rename = "Status", default)]
    pub status: String,
    /// RFC 3339 with nanoseconds.
    #[serde(rename = "Time", default)]
    pub time: String,
    #[serde(rename = "Type", default)]
    pub kind: String,
    #[serde(rename = "PodID", default, skip_serializing_if = "String::is_empty")]
    pub pod_id: String,
    #[serde(rename = "Attributes", default)]
    pub attributes: Option<BTreeMap<String, String>>,
}

/// Where events go.
#[derive(Debug, Clone, PartialEq)]
pub enum Backend {
    /// The log file and its size limit (0: none).
    File(PathBuf, u64),
    None,
}

/// A containers.conf size: bytes, or a number with a k/m/g suffix (Podman's units).
pub fn parse_size(v: &str) -> Option<u64> {
    let v = v.trim().to_ascii_lowercase();
    let (num, mul) = match v.trim_end_matches('b').chars().last()? {
        'k' => (&v[..v.trim_end_matches('b').len() - 1], 1_000u64),
        'm' => (&v[..v.trim_end_matches('b').len() - 1], 1_000_000),
        'g' => (&v[..v.trim_end_matches('b').len() - 1], 1_000_000_000),
        _ => (v.trim_end_matches('b'), 1),
    };
    num.trim().parse::<u64>().ok().map(|n| n * mul)
}

/// The backend in effect: `--events-backend` / `$HUTCH_EVENTS_BACKEND`, else containers.conf,
/// else the file `<runtime dir>/events/events.log` (limited to 1 MB).
pub fn backend() -> Result<Backend> {
    static CACHE: OnceLock<std::result::Result<Backend, String>> = OnceLock::new();
    CACHE
        .get_or_init(|| resolve().map_err(|e| e.message))
        .clone()
        .map_err(|m| crate::err!("{m}"))
}

fn resolve() -> Result<Backend> {
    let flag = std::env::var(BACKEND_VAR).ok().filter(|v| !v.is_empty());
    let conf = crate::config::ContainersConf::load()?;
    let logger = flag
        .clone()
        .or(conf.events_logger.clone())
        .unwrap_or_else(|| "file".into());
    match logger.as_str() {
        "none" => Ok(Backend::None),
        "file" => {
            let path = conf
                .events_logfile_path
                .clone()
                .unwrap_or_else(crate::paths::events_log);
            Ok(Backend::File(
                path,
                conf.events_logfile_max_size.unwrap_or(DEFAULT_MAX_SIZE),
            ))
        }
        // journald is not there for hutch: the file backend serves a containers.conf that asks
        // for it (Podman's default on systemd hosts); asking on the command line is an error.
        "journald" if flag.is_none() => {
            let path = conf
                .events_logfile_path
                .clone()
                .unwrap_or_else(crate::paths::events_log);
            Ok(Backend::File(
                path,
                conf.events_logfile_max_size.unwrap_or(DEFAULT_MAX_SIZE),
            ))
        }
        "journald" => crate::bail!("--events-backend journald: hutch has no journald backend (use file or none)"),
        other => crate::bail!("--events-backend {other:?}: not a backend (file, none)"),
    }
}

/// The current time as the log writes it (RFC 3339, UTC, nanoseconds without trailing zeros).
pub fn now() -> String {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0);
    let full = crate::output::format_nanos(n);
    // "…:SS.NNNNNNNNNZ": Go's RFC3339Nano drops trailing zeros of the fraction.
    let (head, frac) = full
        .trim_end_matches('Z')
        .split_once('.')
        .unwrap_or((full.as_str(), ""));
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        format!("{head}Z")
    } else {
        format!("{head}.{frac}Z")
    }
}

/// Append an event (its time set now). Never fails: problems are debug lines.
pub fn write(ev: Event) {
    write_each(vec![ev]);
}

/// Append events in one go (one lock, one write), each with its time set now if it has none.
pub fn write_each(mut evs: Vec<Event>) {
    let backend = match backend() {
        Ok(b) => b,
        Err(e) => {
            crate::output::debug(&format!("event not written: {}", e.message));
            return;
        }
    };
    let Backend::File(path, max) = backend else { return };
    for ev in evs.iter_mut().filter(|e| e.time.is_empty()) {
        ev.time = now();
    }
    if let Err(e) = append(&path, max, &evs) {
        crate::output::debug(&format!("event not written to {}: {}", path.display(), e.message));
    }
}

/// A container event: its id, name, image name and labels.
fn container_event(status: &str, id: &str, name: &str, image: &str, labels: &BTreeMap<String, String>) -> Event {
    Event {
        id: id.into(),
        name: name.into(),
        image: image.into(),
        status: status.into(),
        kind: "container".into(),
        attributes: Some(labels.clone()),
        ..Default::default()
    }
}

/// A container event of a record.
pub fn of(status: &str, rec: &crate::store::containers::ContainerRecord) {
    of_each(&[status], rec);
}

/// Container events of a record, in this order, appended together (`init`, `start` and
/// `attach` of a foreground run, `init` and `start` of a detached one).
pub fn of_each(statuses: &[&str], rec: &crate::store::containers::ContainerRecord) {
    write_each(
        statuses
            .iter()
            .map(|s| container_event(s, &rec.id, &rec.name, &rec.image_name, &rec.spec.labels))
            .collect(),
    );
}

/// The `died` event, with the exit code.
pub fn died(id: &str, name: &str, image: &str, labels: &BTreeMap<String, String>, code: i32) {
    write(Event {
        exit_code: Some(code),
        id: id.into(),
        name: name.into(),
        image: image.into(),
        status: "died".into(),
        kind: "container".into(),
        attributes: Some(labels.clone()),
        ..Default::default()
    });
}

/// An image event: the image id and the name it concerns.
pub fn image(status: &str, id: &str, name: &str) {
    write(Event {
        id: id.into(),
        name: name.into(),
        status: status.into(),
        kind: "image".into(),
        ..Default::default()
    });
}

/// Append `evs` to the log at `path`, making its directory first: once per process (a process
/// writes several events), and again if it has gone since (then nothing was written).
fn append(path: &Path, max: u64, evs: &[Event]) -> Result<()> {
    static MADE: std::sync::Mutex<Option<PathBuf>> = std::sync::Mutex::new(None);
    let dir = path.parent().unwrap_or(Path::new("/"));
    let mut made = MADE.lock().unwrap_or_else(|p| p.into_inner());
    let make = || std::fs::create_dir_all(dir).ctx(|| format!("creating {}", dir.display()));
    if made.as_deref() != Some(dir) {
        make()?;
        *made = Some(dir.to_path_buf());
    }
    drop(made);
    match append_made(path, max, evs) {
        Err(_) if !dir.is_dir() => {
            make()?;
            append_made(path, max, evs)
        }
        r => r,
    }
}

fn append_made(path: &Path, max: u64, evs: &[Event]) -> Result<()> {
    let mut line = String::new();
    for ev in evs {
        line += &serde_json::to_string(ev).map_err(|e| crate::err!("{e}"))?;
        line.push('\n');
    }
    let lock_path = PathBuf::from(format!("{}.lock", path.display()));
    let _lock = crate::sys::lock::FileLock::exclusive(&lock_path)?;
    if max > 0 {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        if size > 0 && size + line.chars().count() as u64 >= max {
            keep_newer_half(path)?;
            let rot = Event {
                name: path.display().to_string(),
                status: "log-rotation".into(),
                time: now(),
                kind: "system".into(),
                ..Default::default()
            };
            let mut r = serde_json::to_string(&rot).map_err(|e| crate::err!("{e}"))?;
            r.push('\n');
            line = r + &line;
        }
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .ctx(|| format!("opening {}", path.display()))?;
    f.write_all(line.as_bytes())
        .ctx(|| format!("writing {}", path.display()))
}

/// Rotation as Podman's: the lines after the middle of the file (the one the middle falls in
/// dropped) replace the file.
fn keep_newer_half(path: &Path) -> Result<()> {
    let mut f = std::fs::File::open(path).ctx(|| format!("opening {}", path.display()))?;
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    f.seek(std::io::SeekFrom::Start(size / 2))
        .ctx(|| format!("reading {}", path.display()))?;
    let mut rest = Vec::new();
    f.read_to_end(&mut rest).ctx(|| format!("reading {}", path.display()))?;
    let keep = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => &rest[i + 1..],
        None => &[][..],
    };
    crate::sys::fs::replace_atomic(path, keep, 0o600).ctx(|| format!("rotating {}", path.display()))
}

/// Events of a log's text, skipping lines that do not parse (a torn last line).
pub fn parse_log(text: &str) -> Vec<Event> {
    text.lines()
        .filter_map(|l| serde_json::from_str::<Event>(l).ok())
        .collect()
}

/// An event's time in seconds since the epoch (with its fraction).
pub fn secs(ev: &Event) -> f64 {
    let whole = crate::output::parse_rfc3339(&ev.time).unwrap_or(0) as f64;
    let frac = ev
        .time
        .get(19..)
        .and_then(|r| r.strip_prefix('.'))
        .map(|r| r.chars().take_while(|c| c.is_ascii_digit()).collect::<String>())
        .filter(|d| !d.is_empty())
        .and_then(|d| format!("0.{d}").parse::<f64>().ok())
        .unwrap_or(0.0);
    whole + frac
}

/// Go's time.Time String(): "2006-01-02 15:04:05.999999999 +0000 UTC" (trailing zeros of the
/// fraction dropped), in UTC.
pub fn human_time(ev: &Event) -> String {
    let Some(whole) = crate::output::parse_rfc3339(&ev.time) else {
        return ev.time.clone();
    };
    let base = crate::output::format_time(whole);
    let frac: String = ev
        .time
        .get(19..)
        .and_then(|r| r.strip_prefix('.'))
        .map(|r| r.chars().take_while(|c| c.is_ascii_digit()).collect())
        .unwrap_or_default();
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        base
    } else {
        format!("{}.{frac}{}", &base[..19], &base[19..])
    }
}

/// The one-line form `hutch events` prints, as Podman's.
pub fn human(ev: &Event, truncate: bool) -> String {
    let id = if truncate && ev.id.len() > 12 {
        &ev.id[..12]
    } else {
        &ev.id
    };
    let t = human_time(ev);
    match ev.kind.as_str() {
        "container" | "pod" => {
            let mut s = format!(
                "{t} {} {} {id} (image={}, name={}",
                ev.kind, ev.status, ev.image, ev.name
            );
            if !ev.pod_id.is_empty() {
                s.push_str(&format!(", pod_id={}", ev.pod_id));
            }
            for (k, v) in ev.attributes.iter().flatten() {
                s.push_str(&format!(", {k}={v}"));
            }
            s.push(')');
            s
        }
        "network" => format!(
            "{t} {} {} {id} (container={id}, name={})",
            ev.kind, ev.status, ev.network
        ),
        "image" => format!("{t} {} {} {id} {}", ev.kind, ev.status, ev.name),
        "system" if ev.name.is_empty() => format!("{t} {} {}", ev.kind, ev.status),
        _ => format!("{t} {} {} {}", ev.kind, ev.status, ev.name),
    }
}

/// `--filter KEY=VALUE`s: values of one key are alternatives, every key must match.
pub struct Filters(BTreeMap<String, Vec<String>>);

impl Filters {
    pub fn parse(list: &[String]) -> Result<Filters> {
        let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for f in list {
            let Some((k, v)) = f.split_once('=') else {
                crate::bail!("failed to parse event filters: {f} is an invalid filter");
            };
            let key = k.to_ascii_lowercase();
            if ![
                "container",
                "event",
                "status",
                "image",
                "pod",
                "volume",
                "network",
                "type",
                "label",
            ]
            .contains(&key.as_str())
            {
                crate::bail!("failed to parse event filters: {k} is an invalid filter (keys: container, event, image, label, network, pod, status, type, volume)");
            }
            // event= and status= are one key.
            let key = if key == "status" { "event".to_string() } else { key };
            m.entry(key).or_default().push(v.to_string());
        }
        Ok(Filters(m))
    }

    pub fn matches(&self, ev: &Event) -> bool {
        self.0.iter().all(|(k, vals)| vals.iter().any(|v| one(k, v, ev)))
    }
}

fn one(key: &str, v: &str, ev: &Event) -> bool {
    let named = |kind: &str| ev.kind == kind && (ev.name == v || (!v.is_empty() && ev.id.starts_with(v)));
    match key {
        "container" => named("container"),
        "image" => named("image"),
        "pod" => named("pod"),
        "volume" => ev.kind == "volume" && (ev.name == v || (!v.is_empty() && ev.id.starts_with(v))),
        "network" => {
            ev.kind == "network" && (ev.network == v || ev.name == v || (!v.is_empty() && ev.id.starts_with(v)))
        }
        "event" => ev.status == v,
        "type" => ev.kind == v,
        "label" => {
            let (lk, lv) = match v.split_once('=') {
                Some((a, b)) => (a, Some(b)),
                None => (v, None),
            };
            ev.attributes
                .iter()
                .flatten()
                .any(|(k, val)| k == lk && lv.is_none_or(|x| x == val))
        }
        _ => false,
    }
}

/// An event as templates see it: Podman's field names, Time as Go prints a time.
pub fn template_value(ev: &Event) -> serde_json::Value {
    serde_json::json!({
        "ID": ev.id,
        "Image": ev.image,
        "Name": ev.name,
        "Network": ev.network,
        "Status": ev.status,
        "Time": human_time(ev),
        "TimeNano": (secs(ev) * 1e9) as i64,
        "Type": ev.kind,
        "PodID": ev.pod_id,
        "ContainerExitCode": ev.exit_code.unwrap_or(0),
        "Attributes": ev.attributes.clone().unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4750"), Some(4750));
        assert_eq!(parse_size("1m"), Some(1_000_000));
        assert_eq!(parse_size("2kb"), Some(2_000));
        assert_eq!(parse_size("x"), None);
    }

    #[test]
    fn human_forms() {
        let mut ev = Event {
            id: "0123456789abcdef0123".into(),
            name: "web".into(),
            image: "alpine".into(),
            status: "start".into(),
            time: "2024-01-02T03:04:05.1234Z".into(),
            kind: "container".into(),
            attributes: Some(BTreeMap::from([("a".to_string(), "b".to_string())])),
            ..Default::default()
        };
        assert_eq!(
            human(&ev, true),
            "2024-01-02 03:04:05.1234 +0000 UTC container start 0123456789ab (image=alpine, name=web, a=b)"
        );
        ev.kind = "image".into();
        ev.status = "tag".into();
        assert_eq!(
            human(&ev, false),
            "2024-01-02 03:04:05.1234 +0000 UTC image tag 0123456789abcdef0123 web"
        );
    }

    #[test]
    fn filters() {
        let ev = Event {
            id: "abc123".into(),
            name: "foo".into(),
            status: "start".into(),
            kind: "container".into(),
            ..Default::default()
        };
        let f = Filters::parse(&["container=foo".into(), "container=bar".into(), "event=start".into()]).unwrap();
        assert!(f.matches(&ev));
        let f = Filters::parse(&["container=bar".into()]).unwrap();
        assert!(!f.matches(&ev));
        let f = Filters::parse(&["container=abc".into(), "status=start".into()]).unwrap();
        assert!(f.matches(&ev));
        assert!(Filters::parse(&["nope=1".into()]).is_err());
        assert!(Filters::parse(&["nope".into()]).is_err());
    }
}
