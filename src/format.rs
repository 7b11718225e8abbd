//! `--format`: `json`, `table`, or a Go-template subset that scripts use
//! (`{{.Field}}`, `{{.A.B}}`, `{{json .X}}`, `{{json .}}`, `{{upper .X}}`, `{{lower .X}}`,
//! `\t`/`\n` escapes, and a leading `table` that adds a header row).

use serde_json::Value;

use crate::error::Result;

pub enum Format {
    Table,
    Json,
    Template { tmpl: String, header: bool },
}

impl Format {
    pub fn parse(s: Option<&str>) -> Format {
        match s.map(str::trim) {
            None | Some("") | Some("table") => Format::Table,
            Some("json") | Some("{{json .}}") => Format::Json,
            Some(t) => match t.strip_prefix("table ") {
                Some(rest) => Format::Template { tmpl: rest.to_string(), header: true },
                None => Format::Template { tmpl: t.to_string(), header: false },
            },
        }
    }
}

enum Piece {
    Text(String),
    Action { func: Option<String>, path: Vec<String> },
}

fn unescape(s: &str) -> String {
    s.replace("\\t", "\t").replace("\\n", "\n")
}

fn compile(t: &str) -> Result<Vec<Piece>> {
    let mut out = Vec::new();
    let mut rest = t;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            out.push(Piece::Text(unescape(&rest[..start])));
        }
        let end = rest[start..].find("}}").ok_or_else(|| crate::err!("template \"{t}\": unclosed action"))? + start;
        let inner = rest[start + 2..end].trim().trim_start_matches('-').trim_end_matches('-').trim();
        let words: Vec<&str> = inner.split_whitespace().collect();
        let (func, arg) = match words.as_slice() {
            [arg] => (None, *arg),
            [f, arg] if matches!(*f, "json" | "upper" | "lower" | "len") => (Some(f.to_string()), *arg),
            _ => crate::bail!("template \"{t}\": unsupported action {{{{{inner}}}}}"),
        };
        if !arg.starts_with('.') {
            crate::bail!("template \"{t}\": expected a field like .ID in {{{{{inner}}}}}");
        }
        let path = arg[1..].split('.').filter(|s| !s.is_empty()).map(String::from).collect();
        out.push(Piece::Action { func, path });
        rest = &rest[end + 2..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(unescape(rest)));
    }
    Ok(out)
}

fn lookup<'a>(v: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut cur = v;
    for p in path {
        cur = cur.as_object()?.iter().find(|(k, _)| k.as_str() == p || k.eq_ignore_ascii_case(p)).map(|(_, v)| v)?;
    }
    Some(cur)
}

fn plain(v: &Value) -> String {
    match v {
        Value::Null => "<no value>".into(),
        Value::String(s) => s.clone(),
        Value::Array(a) => format!("[{}]", a.iter().map(plain).collect::<Vec<_>>().join(" ")),
        Value::Object(o) => format!("map[{}]", o.iter().map(|(k, v)| format!("{k}:{}", plain(v))).collect::<Vec<_>>().join(" ")),
        other => other.to_string(),
    }
}

/// Render each item with the template, one line per item.
pub fn render(tmpl: &str, header: bool, items: &[Value]) -> Result<String> {
    let pieces = compile(tmpl)?;
    let mut out = String::new();
    if header {
        for p in &pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Action { path, .. } => out.push_str(&path.last().map(|s| s.to_uppercase()).unwrap_or_default()),
            }
        }
        out.push('\n');
    }
    for item in items {
        for p in &pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Action { func, path } => {
                    let v = lookup(item, path).ok_or_else(|| {
                        crate::err!("template \"{tmpl}\": can't evaluate field {} in this object", path.join("."))
                    })?;
                    match func.as_deref() {
                        Some("json") => out.push_str(&serde_json::to_string(v).expect("json")),
                        Some("upper") => out.push_str(&plain(v).to_uppercase()),
                        Some("lower") => out.push_str(&plain(v).to_lowercase()),
                        Some("len") => out.push_str(&match v {
                            Value::Array(a) => a.len(),
                            Value::Object(o) => o.len(),
                            Value::String(s) => s.len(),
                            _ => 0,
                        }
                        .to_string()),
                        _ => out.push_str(&plain(v)),
                    }
                }
            }
        }
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn templates() {
        let items = vec![json!({"ID": "abc", "Names": ["x", "y"], "Config": {"Env": ["A=1"]}, "Labels": {"k": "v"}})];
        assert_eq!(render("{{.ID}} {{.Names}}", false, &items).unwrap(), "abc [x y]\n");
        assert_eq!(render("{{ .Config.Env }}", false, &items).unwrap(), "[A=1]\n");
        assert_eq!(render("{{json .Labels}}", false, &items).unwrap(), "{\"k\":\"v\"}\n");
        assert_eq!(render("{{.id}}\\t{{upper .ID}}", true, &items).unwrap(), "ID\tID\nabc\tABC\n");
        assert!(render("{{.Nope}}", false, &items).unwrap_err().to_string().contains("Nope"));
        assert!(render("{{.ID", false, &items).is_err());
        assert!(matches!(Format::parse(Some("json")), Format::Json));
        assert!(matches!(Format::parse(Some("table {{.ID}}")), Format::Template { header: true, .. }));
    }
}
