//! `--format`: `json`, `table`, or a Go template (Go's text/template through the gotmpl crate:
//! fields, pipelines, `range`, `if`/`else`, `with`, variables, `printf`, `len`, `index`, `eq`…)
//! with the functions Podman adds (`json`, `join`, `split`, `upper`, `lower`, `title`, `pad`,
//! `truncate`). As in Podman, `\t` and `\n` in the format are a tab and a newline, every item
//! ends with a newline, and a leading `table` adds a header row.

use std::sync::Arc;

use gotmpl::parse::{Expr, ListNode, Node, PipeNode};
use gotmpl::{MissingKey, Template, Value};

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
            Some("json") => Format::Json,
            Some(t) => match t.strip_prefix("table ") {
                Some(rest) => Format::Template {
                    tmpl: rest.to_string(),
                    header: true,
                },
                None => Format::Template {
                    tmpl: t.to_string(),
                    header: false,
                },
            },
        }
    }
}

/// `\t` and `\n` typed in a shell argument become a tab and a newline (Podman does the same).
fn unescape(s: &str) -> String {
    s.replace("\\t", "\t").replace("\\n", "\n")
}

fn text(v: &Value) -> String {
    match v {
        Value::Nil => String::new(),
        other => other.to_string(),
    }
}

fn arg<'a>(name: &str, args: &'a [Value], n: usize) -> gotmpl::Result<&'a Value> {
    args.get(n)
        .ok_or_else(|| gotmpl::TemplateError::Exec(format!("{name}: expected {} arguments, got {}", n + 1, args.len())))
}

fn int_arg(name: &str, args: &[Value], n: usize) -> gotmpl::Result<usize> {
    let v = arg(name, args, n)?;
    v.as_int().and_then(|i| usize::try_from(i).ok()).ok_or_else(|| {
        gotmpl::TemplateError::Exec(format!(
            "{name}: argument {} must be a non-negative integer, got {v}",
            n + 1
        ))
    })
}

/// A template value as JSON (maps come out with sorted keys, as Go marshals maps).
fn to_json(v: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Nil => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(n) => J::from(*n),
        Value::Uint(n) => J::from(*n),
        Value::Float(f) => serde_json::Number::from_f64(*f).map(J::Number).unwrap_or(J::Null),
        Value::String(s) => J::String(s.to_string()),
        Value::List(l) => J::Array(l.iter().map(to_json).collect()),
        Value::Map(m) => J::Object(m.iter().map(|(k, v)| (k.to_string(), to_json(v))).collect()),
        Value::Function(_) => J::Null,
    }
}

fn string_fn(name: &'static str, f: fn(&str) -> String) -> gotmpl::ValueFunc {
    Arc::new(move |args: &[Value]| Ok(Value::String(f(&text(arg(name, args, 0)?)).into())))
}

/// Title case the way Go's strings.Title does: the first letter of every word.
fn title_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = !c.is_alphanumeric() && c != '_' && c != '\'';
    }
    out
}

/// Podman's template functions (containers/common report.DefaultFuncs).
fn podman_funcs() -> gotmpl::FuncMap {
    let mut m = gotmpl::FuncMap::new();
    m.insert(
        "json".into(),
        Arc::new(|args: &[Value]| {
            Ok(Value::String(
                serde_json::to_string(&to_json(arg("json", args, 0)?))
                    .expect("json")
                    .into(),
            ))
        }),
    );
    m.insert(
        "join".into(),
        Arc::new(|args: &[Value]| {
            let sep = text(arg("join", args, 1)?);
            let joined = match arg("join", args, 0)? {
                Value::List(l) => l.iter().map(text).collect::<Vec<_>>().join(&sep),
                Value::Nil => String::new(),
                other => text(other),
            };
            Ok(Value::String(joined.into()))
        }),
    );
    m.insert(
        "split".into(),
        Arc::new(|args: &[Value]| {
            let (s, sep) = (text(arg("split", args, 0)?), text(arg("split", args, 1)?));
            Ok(Value::List(
                s.split(sep.as_str()).map(|p| Value::String(p.into())).collect(),
            ))
        }),
    );
    m.insert("upper".into(), string_fn("upper", |s| s.to_uppercase()));
    m.insert("lower".into(), string_fn("lower", |s| s.to_lowercase()));
    m.insert("title".into(), string_fn("title", title_case));
    m.insert(
        "pad".into(),
        Arc::new(|args: &[Value]| {
            let s = text(arg("pad", args, 0)?);
            let (pre, post) = (int_arg("pad", args, 1)?, int_arg("pad", args, 2)?);
            Ok(Value::String(
                if s.is_empty() {
                    s
                } else {
                    format!("{}{s}{}", " ".repeat(pre), " ".repeat(post))
                }
                .into(),
            ))
        }),
    );
    m.insert(
        "truncate".into(),
        Arc::new(|args: &[Value]| {
            let s = text(arg("truncate", args, 0)?);
            let n = int_arg("truncate", args, 1)?;
            Ok(Value::String(s.chars().take(n).collect::<String>().into()))
        }),
    );
    m
}

/// `template "SRC": WHAT`, on one line even when the template or the message has newlines.
fn template_error(src: &str, e: impl std::fmt::Display) -> crate::error::Error {
    let one_line = |s: &str| s.replace('\r', "\\r").replace('\n', "\\n");
    crate::err!("template \"{}\": {}", one_line(src), one_line(&e.to_string()))
}

/// A parsed `--format` template.
pub struct Compiled {
    tmpl: Template,
    tree: ListNode,
    /// Each item's output ends with a newline (added when the format has none).
    newline: bool,
}

impl Compiled {
    pub fn new(src: &str) -> Result<Compiled> {
        let body = unescape(src);
        let bad = |e: gotmpl::TemplateError| template_error(src, e);
        check_nesting(&body).map_err(|e| template_error(src, e))?;
        let tmpl = Template::new("")
            .missing_key(MissingKey::Error)
            .funcs(podman_funcs())
            .parse(&body)
            .map_err(bad)?;
        let (tree, _) = gotmpl::parse::Parser::new(&body, "{{", "}}")
            .and_then(|p| p.parse())
            .map_err(bad)?;
        Ok(Compiled {
            tmpl,
            tree,
            newline: !body.ends_with('\n'),
        })
    }

    /// The template applied to one item (a JSON value), newline included.
    pub fn render(&self, src: &str, item: &serde_json::Value) -> Result<String> {
        let data = gotmpl::to_value(item).map_err(|e| template_error(src, e))?;
        let mut s = self.tmpl.execute_to_string(&data).map_err(|e| template_error(src, e))?;
        if self.newline {
            s.push('\n');
        }
        Ok(s)
    }

    /// The header row: the template's text with each top-level action replaced by the title of
    /// the field it shows (`{{.CreatedAt}}` -> `CREATED AT`, or `titles`' name for it), the
    /// way Podman titles its columns. Bodies of `range`/`if`/`with` give one title.
    pub fn header(&self, titles: &[(&str, &str)]) -> String {
        let mut s = String::new();
        for node in &self.tree.nodes {
            match node {
                Node::Text(t) => s.push_str(&t.text),
                Node::Action(a) => s.push_str(&pipe_title(&a.pipe, titles)),
                Node::If(b) | Node::Range(b) | Node::With(b) => s.push_str(&pipe_title(&b.pipe, titles)),
                _ => {}
            }
        }
        if self.newline {
            s.push('\n');
        }
        s
    }
}

/// gotmpl 0.6 accepts a `{{range}}`, `{{if}}` or `{{with}}` that has no `{{end}}`, and stops
/// parsing at a stray `{{end}}` or `{{else}}` (dropping the rest of the template); Go rejects
/// both, and so does this check of the blocks' nesting.
fn check_nesting(src: &str) -> std::result::Result<(), String> {
    let mut open: Vec<&str> = Vec::new();
    let mut rest = src;
    while let Some(start) = rest.find("{{") {
        let inner = &rest[start + 2..];
        let inner = inner.strip_prefix("- ").unwrap_or(inner);
        let b = inner.as_bytes();
        let (mut i, mut close) = (0, None);
        while i < b.len() {
            match b[i] {
                q @ (b'"' | b'\'' | b'`') => {
                    i += 1;
                    while i < b.len() && b[i] != q {
                        i += if b[i] == b'\\' && q != b'`' { 2 } else { 1 };
                    }
                }
                b'/' if b.get(i + 1) == Some(&b'*') => match inner[i..].find("*/") {
                    Some(n) => i += n + 1,
                    None => return Ok(()), // the parser reports the unclosed comment
                },
                b'}' if b.get(i + 1) == Some(&b'}') => {
                    close = Some(i);
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        // Without a closing `}}` the parser reports the unclosed action.
        let Some(close) = close else { return Ok(()) };
        let word = inner[..close]
            .split(|c: char| c.is_whitespace() || c == '(')
            .find(|w| !w.is_empty())
            .unwrap_or("");
        match word {
            "if" | "range" | "with" | "define" | "block" => open.push(word),
            "else" if open.is_empty() => return Err("unexpected {{else}} outside {{if}}, {{range}} or {{with}}".into()),
            "end" if open.pop().is_none() => return Err("unexpected {{end}}".into()),
            _ => {}
        }
        rest = &inner[close + 2..];
    }
    match open.last() {
        Some(w) => Err(format!("unexpected EOF: {{{{{w}}}}} has no {{{{end}}}}")),
        None => Ok(()),
    }
}

fn first_field(e: &Expr) -> Option<&str> {
    match e {
        Expr::Field(_, path) | Expr::Variable(_, _, path) | Expr::Chain(_, _, path) if !path.is_empty() => {
            path.last().map(|s| s.as_str())
        }
        Expr::Pipe(_, p) => p.commands.iter().flat_map(|c| &c.args).find_map(first_field),
        _ => None,
    }
}

fn pipe_title(p: &PipeNode, titles: &[(&str, &str)]) -> String {
    let Some(field) = p.commands.iter().flat_map(|c| &c.args).find_map(first_field) else {
        return String::new();
    };
    match titles.iter().find(|(f, _)| *f == field) {
        Some((_, t)) => t.to_string(),
        None => split_camel(field).to_uppercase(),
    }
}

/// `CreatedAt` -> `Created At`, `ImageID` -> `Image ID`, `ID` -> `ID` (Podman's column titles).
fn split_camel(s: &str) -> String {
    let c: Vec<char> = s.chars().collect();
    let mut out = String::new();
    for (i, &ch) in c.iter().enumerate() {
        if i > 0 && ch.is_uppercase() {
            let prev_lower = c[i - 1].is_lowercase() || c[i - 1].is_ascii_digit();
            let next_lower = c.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev_lower || (c[i - 1].is_uppercase() && next_lower) {
                out.push(' ');
            }
        }
        out.push(ch);
    }
    out
}

/// Render each item with the template; a header row first when asked.
pub fn render(tmpl: &str, header: bool, items: &[serde_json::Value]) -> Result<String> {
    render_titled(tmpl, header, items, &[])
}

/// `render` with column titles for some fields (`("ID", "CONTAINER ID")`).
pub fn render_titled(tmpl: &str, header: bool, items: &[serde_json::Value], titles: &[(&str, &str)]) -> Result<String> {
    let c = Compiled::new(tmpl)?;
    let mut out = if header { c.header(titles) } else { String::new() };
    for item in items {
        out.push_str(&c.render(tmpl, item)?);
    }
    Ok(if header { align(&out) } else { out })
}

/// Tab-separated cells as aligned columns, the way Podman's `table` output comes out of Go's
/// tabwriter (minimum width 12, padding 2); the last cell of a line is not padded.
fn align(text: &str) -> String {
    const MIN: usize = 12;
    const PAD: usize = 2;
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    let mut width: Vec<usize> = Vec::new();
    for cells in &lines {
        for (i, c) in cells.iter().enumerate().take(cells.len().saturating_sub(1)) {
            if width.len() <= i {
                width.push(MIN);
            }
            width[i] = width[i].max(c.chars().count() + PAD);
        }
    }
    let mut out = String::new();
    for cells in &lines {
        for (i, c) in cells.iter().enumerate() {
            out.push_str(c);
            if i + 1 < cells.len() {
                out.extend(std::iter::repeat_n(' ', width[i] - c.chars().count()));
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn items() -> Vec<serde_json::Value> {
        vec![
            json!({"ID": "abc", "Names": ["x", "y"], "Config": {"Env": ["A=1"]}, "Labels": {"k": "v<&>"}, "Size": 42, "Empty": [], "CreatedAt": "today"}),
        ]
    }

    #[test]
    fn table_columns_line_up_like_podmans() {
        let items = vec![
            json!({"ID": "abc", "Names": "a-rather-long-name", "Status": "Up"}),
            json!({"ID": "defghi", "Names": "b", "Status": "Exited"}),
        ];
        let out = render_titled(
            "{{.ID}}\\t{{.Names}}\\t{{.Status}}",
            true,
            &items,
            &[("ID", "CONTAINER ID")],
        )
        .unwrap();
        assert_eq!(out, "CONTAINER ID  NAMES               STATUS\nabc           a-rather-long-name  Up\ndefghi        b                   Exited\n");
    }

    #[test]
    fn fields_and_podman_functions() {
        let i = items();
        assert_eq!(render("{{.ID}} {{.Names}}", false, &i).unwrap(), "abc [x y]\n");
        assert_eq!(render("{{ .Config.Env }}", false, &i).unwrap(), "[A=1]\n");
        assert_eq!(render("{{json .Labels}}", false, &i).unwrap(), "{\"k\":\"v<&>\"}\n");
        assert_eq!(
            render("{{json .Names}} {{json .Size}}", false, &i).unwrap(),
            "[\"x\",\"y\"] 42\n"
        );
        assert_eq!(
            render("{{upper .ID}} {{lower \"AbC\"}} {{title \"hello world\"}}", false, &i).unwrap(),
            "ABC abc Hello World\n"
        );
        assert_eq!(render("{{len .Names}} {{len .Empty}}", false, &i).unwrap(), "2 0\n");
        assert_eq!(render("{{join .Names \",\"}}", false, &i).unwrap(), "x,y\n");
        assert_eq!(render("{{printf \"%s=%d\" .ID .Size}}", false, &i).unwrap(), "abc=42\n");
        assert_eq!(render("{{printf \"%-5s|\" .ID}}", false, &i).unwrap(), "abc  |\n");
        assert_eq!(render("{{range .Names}}<{{.}}>{{end}}", false, &i).unwrap(), "<x><y>\n");
        assert_eq!(
            render("{{range $k, $v := .Labels}}{{$k}}={{$v}}{{end}}", false, &i).unwrap(),
            "k=v<&>\n"
        );
        assert_eq!(
            render(
                "{{if .Empty}}some{{else}}none{{end}} {{if .Names}}some{{end}}",
                false,
                &i
            )
            .unwrap(),
            "none some\n"
        );
        assert_eq!(
            render("{{with .Config}}{{index .Env 0}}{{end}}", false, &i).unwrap(),
            "A=1\n"
        );
        assert_eq!(render("{{if eq .ID \"abc\"}}yes{{end}}", false, &i).unwrap(), "yes\n");
        assert_eq!(
            render("{{range split \"a:b\" \":\"}}[{{.}}]{{end}}", false, &i).unwrap(),
            "[a][b]\n"
        );
        assert_eq!(
            render("{{truncate .ID 2}}|{{pad .ID 1 2}}|{{pad \"\" 1 1}}|", false, &i).unwrap(),
            "ab| abc  ||\n"
        );
        assert_eq!(render("{{.ID | upper}}", false, &i).unwrap(), "ABC\n");
    }

    #[test]
    fn newlines_escapes_and_headers() {
        let i = items();
        // A format that ends with a newline gets no second one; \t and \n are escapes.
        assert_eq!(render("{{.ID}}\\n", false, &i).unwrap(), "abc\n");
        assert_eq!(render("{{.ID}}\\t{{.Size}}", false, &i).unwrap(), "abc\t42\n");
        assert_eq!(
            render("{{.ID}}", false, &[i[0].clone(), i[0].clone()]).unwrap(),
            "abc\nabc\n"
        );
        assert_eq!(
            render("{{.ID}}\\t{{upper .CreatedAt}}", true, &i).unwrap(),
            "ID          CREATED AT\nabc         TODAY\n"
        );
        assert_eq!(
            render_titled(
                "{{.ID}} {{range .Names}}{{.}},{{end}} {{json .Config.Env}}",
                true,
                &[],
                &[("ID", "CONTAINER ID")]
            )
            .unwrap(),
            "CONTAINER ID NAMES ENV\n"
        );
        assert_eq!(split_camel("ImageID"), "Image ID");
        assert_eq!(split_camel("RepoTags"), "Repo Tags");
        assert_eq!(split_camel("HTTPPort"), "HTTP Port");
    }

    #[test]
    fn bad_templates_name_the_template() {
        let i = items();
        let e = render("{{.Nope}}", false, &i).unwrap_err().to_string();
        assert!(e.starts_with("template \"{{.Nope}}\": ") && e.contains("Nope"), "{e}");
        let e = render("{{.ID", false, &i).unwrap_err().to_string();
        assert!(e.starts_with("template \"{{.ID\": ") && e.contains("unclosed"), "{e}");
        let e = render("{{range .Names}}", false, &i).unwrap_err().to_string();
        assert_eq!(
            e,
            "template \"{{range .Names}}\": unexpected EOF: {{range}} has no {{end}}"
        );
        assert!(render("{{if .ID}}{{range .Names}}{{end}}", false, &i)
            .unwrap_err()
            .to_string()
            .contains("{{if}} has no {{end}}"));
        assert!(render("{{.ID}}{{end}}tail", false, &i)
            .unwrap_err()
            .to_string()
            .contains("unexpected {{end}}"));
        assert!(render("a{{else}}b", false, &i)
            .unwrap_err()
            .to_string()
            .contains("unexpected {{else}}"));
        // Braces and keywords inside strings and comments are not actions.
        assert_eq!(
            render(
                "{{/* {{end}} */}}{{printf \"%s}}{{end\" .ID}}{{- if .ID }} x {{- end }}",
                false,
                &i
            )
            .unwrap(),
            "abc}}{{end x\n"
        );
        assert!(render("{{nosuchfunc .ID}}", false, &i)
            .unwrap_err()
            .to_string()
            .contains("nosuchfunc"));
        assert!(render("{{join .Names}}", false, &i)
            .unwrap_err()
            .to_string()
            .contains("join"));
        assert_eq!(
            render("{{.ID}}\n{{.Nope}}", false, &i).unwrap_err().to_string(),
            "template \"{{.ID}}\\n{{.Nope}}\": map has no entry for key: Nope"
        );
        assert!(matches!(Format::parse(Some("json")), Format::Json));
        assert!(matches!(
            Format::parse(Some("table {{.ID}}")),
            Format::Template { header: true, .. }
        ));
        assert!(matches!(
            Format::parse(Some("{{json .}}")),
            Format::Template { header: false, .. }
        ));
    }
}
