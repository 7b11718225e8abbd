//! `-c INSTRUCTION` (`import`, `commit`): Dockerfile instructions that change an image's config
//! (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, WORKDIR, VOLUME, STOPSIGNAL), applied to the
//! config's `config` object. Pure: no I/O.

use serde_json::{json, Map, Value};

/// Words of a shell-like line: whitespace-separated, with "…" and '…' quoting and \ escapes.
fn words(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut have = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' => {
                have = true;
                loop {
                    match chars.next() {
                        None => return Err(format!("unterminated {c} quote")),
                        Some(x) if x == c => break,
                        Some('\\') if c == '"' => cur.push(chars.next().ok_or("trailing backslash")?),
                        Some(x) => cur.push(x),
                    }
                }
            }
            '\\' => {
                have = true;
                cur.push(chars.next().ok_or("trailing backslash")?);
            }
            c if c.is_whitespace() => {
                if have {
                    out.push(std::mem::take(&mut cur));
                    have = false;
                }
            }
            c => {
                have = true;
                cur.push(c);
            }
        }
    }
    if have {
        out.push(cur);
    }
    Ok(out)
}

/// `["a", "b"]` (exec form) or a shell command (`/bin/sh -c …`).
fn command(arg: &str) -> Result<Value, String> {
    let t = arg.trim();
    if t.starts_with('[') {
        let v: Vec<String> = serde_json::from_str(t).map_err(|e| format!("not a JSON list of strings: {e}"))?;
        return Ok(json!(v));
    }
    Ok(json!(["/bin/sh", "-c", t]))
}

/// `K=V K2="v 2"` or the old `K V…` form.
fn pairs(arg: &str) -> Result<Vec<(String, String)>, String> {
    let w = words(arg)?;
    if w.is_empty() {
        return Err("needs KEY=VALUE".into());
    }
    if !w[0].contains('=') {
        let (k, v) = arg
            .trim()
            .split_once(char::is_whitespace)
            .ok_or("needs KEY VALUE or KEY=VALUE")?;
        return Ok(vec![(k.to_string(), v.trim().to_string())]);
    }
    w.iter()
        .map(|x| {
            x.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| format!("{x:?} is not KEY=VALUE"))
        })
        .collect()
}

fn obj<'a>(cfg: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let e = cfg.entry(key).or_insert_with(|| json!({}));
    if !e.is_object() {
        *e = json!({});
    }
    e.as_object_mut().expect("object")
}

/// Apply one instruction to `cfg` (the image config's `config` object).
pub fn apply(cfg: &mut Map<String, Value>, instruction: &str) -> Result<(), String> {
    let bad = |w: String| format!("invalid change \"{instruction}\": {w}");
    let t = instruction.trim();
    let (op, arg) = t.split_once(|c: char| c.is_whitespace() || c == '=').unwrap_or((t, ""));
    let arg = arg.trim();
    if arg.is_empty() {
        return Err(bad("no value".into()));
    }
    match op.to_ascii_uppercase().as_str() {
        "CMD" => {
            cfg.insert("Cmd".into(), command(arg).map_err(bad)?);
        }
        "ENTRYPOINT" => {
            cfg.insert("Entrypoint".into(), command(arg).map_err(bad)?);
        }
        "ENV" => {
            let env = cfg.entry("Env").or_insert_with(|| json!([]));
            if !env.is_array() {
                *env = json!([]);
            }
            let list = env.as_array_mut().expect("array");
            for (k, v) in pairs(arg).map_err(bad)? {
                list.retain(|e| {
                    e.as_str()
                        .map(|s| s.split('=').next() != Some(k.as_str()))
                        .unwrap_or(true)
                });
                list.push(json!(format!("{k}={v}")));
            }
        }
        "LABEL" => {
            for (k, v) in pairs(arg).map_err(bad)? {
                obj(cfg, "Labels").insert(k, json!(v));
            }
        }
        "EXPOSE" => {
            for p in words(arg).map_err(bad)? {
                let (port, proto) = p.split_once('/').unwrap_or((&p, "tcp"));
                if port.parse::<u16>().is_err() || !matches!(proto, "tcp" | "udp" | "sctp") {
                    return Err(bad(format!("{p:?} is not PORT[/tcp|udp|sctp]")));
                }
                obj(cfg, "ExposedPorts").insert(format!("{port}/{proto}"), json!({}));
            }
        }
        "VOLUME" => {
            let list: Vec<String> = if arg.starts_with('[') {
                serde_json::from_str(arg).map_err(|e| bad(format!("not a JSON list of strings: {e}")))?
            } else {
                words(arg).map_err(bad)?
            };
            for v in list {
                if !v.starts_with('/') {
                    return Err(bad(format!("volume {v:?} is not an absolute path")));
                }
                obj(cfg, "Volumes").insert(v, json!({}));
            }
        }
        "USER" => {
            cfg.insert("User".into(), json!(arg));
        }
        "WORKDIR" => {
            if !arg.starts_with('/') {
                return Err(bad("WORKDIR must be an absolute path".into()));
            }
            cfg.insert("WorkingDir".into(), json!(arg));
        }
        "STOPSIGNAL" => {
            cfg.insert("StopSignal".into(), json!(arg));
        }
        other => {
            return Err(bad(format!(
                "{other} is not one of CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR"
            )))
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(changes: &[&str]) -> Value {
        let mut m = Map::new();
        for c in changes {
            apply(&mut m, c).unwrap();
        }
        Value::Object(m)
    }

    #[test]
    fn dockerfile_instructions() {
        let v = run(&[
            r#"CMD ["/bin/echo", "hi there"]"#,
            "ENTRYPOINT /bin/sh -x",
            "ENV A=1 B=\"two words\"",
            "ENV C three words",
            "ENV A=replaced",
            "EXPOSE 80 53/udp",
            "LABEL org.x=y \"k 2\"=v",
            "USER 1000:1000",
            "WORKDIR /srv",
            r#"VOLUME ["/data"]"#,
            "volume /a /b",
        ]);
        assert_eq!(v["Cmd"], json!(["/bin/echo", "hi there"]));
        assert_eq!(v["Entrypoint"], json!(["/bin/sh", "-c", "/bin/sh -x"]));
        assert_eq!(v["Env"], json!(["B=two words", "C=three words", "A=replaced"]));
        assert_eq!(v["ExposedPorts"], json!({"80/tcp": {}, "53/udp": {}}));
        assert_eq!(v["Labels"], json!({"org.x": "y", "k 2": "v"}));
        assert_eq!(v["User"], "1000:1000");
        assert_eq!(v["WorkingDir"], "/srv");
        assert_eq!(v["Volumes"], json!({"/data": {}, "/a": {}, "/b": {}}));
        assert_eq!(run(&["CMD=[\"x\"]"])["Cmd"], json!(["x"]));
    }

    #[test]
    fn bad_instructions_say_what() {
        let mut m = Map::new();
        for (c, w) in [
            ("RUN make", "RUN is not one of"),
            ("CMD", "no value"),
            ("EXPOSE http", "not PORT"),
            ("WORKDIR rel", "absolute"),
            ("CMD [\"x\"", "JSON"),
            ("ENV A=\"open", "unterminated"),
        ] {
            let e = apply(&mut m, c).unwrap_err();
            assert!(e.contains(w) && e.contains(c), "{c}: {e}");
        }
    }
}
