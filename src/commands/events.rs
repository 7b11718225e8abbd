//! `hutch events`: the event log, filtered and formatted, then followed (`--stream`).

use std::io::{Read, Seek};

use crate::cli::EventsArgs;
use crate::error::{Context, Result};
use crate::events::{self, Backend, Event, Filters};
use crate::format::{Compiled, Format};

pub fn run(a: EventsArgs) -> Result<i32> {
    let filters = Filters::parse(&a.filter)?;
    let since = a
        .since
        .as_deref()
        .map(|v| super::logs::time_arg("since", v))
        .transpose()?;
    let until = a
        .until
        .as_deref()
        .map(|v| super::logs::time_arg("until", v))
        .transpose()?;
    let format = Format::parse(a.format.as_deref());
    // A bad template is the one error, before anything is read.
    let tmpl = match &format {
        Format::Template { tmpl, .. } => Some((tmpl.clone(), Compiled::new(tmpl)?)),
        _ => None,
    };
    let path = match events::backend()? {
        Backend::None => crate::bail!("cannot read events with the \"none\" backend"),
        Backend::File(p, _) => p,
    };
    let show = |ev: &Event| -> Result<()> {
        if !filters.matches(ev) {
            return Ok(());
        }
        let t = events::secs(ev);
        if since.is_some_and(|s| t <= s) || until.is_some_and(|u| t >= u) {
            return Ok(());
        }
        let line = match (&format, &tmpl) {
            (_, Some((src, c))) => c.render(src, &events::template_value(ev))?,
            (Format::Json, _) => serde_json::to_string(ev).map_err(|e| crate::err!("{e}"))? + "\n",
            _ => events::human(ev, !a.no_trunc) + "\n",
        };
        crate::output::out(&line);
        Ok(())
    };
    let mut file = match std::fs::File::open(&path) {
        Ok(f) => Some(f),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => crate::bail!("reading {}: {e}", path.display()),
    };
    // Streaming without --since starts at the end of the log, as Podman's does.
    let from_start = !a.stream || since.is_some();
    let mut pending = String::new();
    if let Some(f) = file.as_mut() {
        if from_start {
            let mut text = String::new();
            f.read_to_string(&mut text)
                .ctx(|| format!("reading {}", path.display()))?;
            let (whole, rest) = split_complete(&text);
            for ev in events::parse_log(whole) {
                show(&ev)?;
            }
            pending = rest.to_string();
        } else {
            f.seek(std::io::SeekFrom::End(0))
                .ctx(|| format!("reading {}", path.display()))?;
        }
    }
    if !a.stream {
        return Ok(0);
    }
    // Follow: new lines as they come; a rotation (the file replaced) is read from its start.
    let mut ino = file
        .as_ref()
        .and_then(|f| f.metadata().ok())
        .map(|m| std::os::unix::fs::MetadataExt::ino(&m));
    loop {
        if until.is_some_and(|u| crate::output::now_secs() as f64 >= u) {
            return Ok(0);
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
        let now_ino = std::fs::metadata(&path)
            .ok()
            .map(|m| std::os::unix::fs::MetadataExt::ino(&m));
        if now_ino != ino {
            file = std::fs::File::open(&path).ok();
            ino = now_ino;
            pending.clear();
        }
        let Some(f) = file.as_mut() else { continue };
        let mut text = String::new();
        if f.read_to_string(&mut text).is_err() || text.is_empty() {
            continue;
        }
        pending.push_str(&text);
        let (whole, rest) = split_complete(&pending);
        let evs = events::parse_log(whole);
        pending = rest.to_string();
        for ev in evs {
            show(&ev)?;
        }
    }
}

/// The complete lines of a text and what follows the last newline (a line being written).
fn split_complete(text: &str) -> (&str, &str) {
    match text.rfind('\n') {
        Some(i) => (&text[..=i], &text[i + 1..]),
        None => ("", text),
    }
}
