//! The Dockerfile/Containerfile syntax (Docker's Dockerfile reference is the specification):
//! parser directives (`# escape=`, `# syntax=`), comments, line continuations, heredocs
//! (`RUN <<EOF`, `COPY <<EOF /file`), instruction flags (`--from=…`), exec (JSON) and shell
//! forms, and the shell-like word lexer with variable expansion (`$V`, `${V:-default}`,
//! `${V:+alt}`, quotes, escapes). Pure: no I/O. Errors carry the line and column.

/// A parse error at `line`:`col` (both 1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub col: usize,
    pub msg: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    pub name: String,
    pub content: String,
    /// Unquoted terminator: `$VAR` is expanded in the content (by the shell for RUN).
    pub expand: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// Line of the instruction's first word (1-based).
    pub line: usize,
    /// The keyword, upper case.
    pub cmd: String,
    /// `--name=value` flags before the arguments (value empty for a bare `--name`).
    pub flags: Vec<(String, String)>,
    /// The arguments after the flags, continuation lines joined.
    pub args: String,
    /// Exec form: the arguments as a JSON array of strings.
    pub json: Option<Vec<String>>,
    pub heredocs: Vec<Heredoc>,
}

impl Instruction {
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    /// The instruction as written (keyword, flags, arguments) for messages and history.
    pub fn text(&self) -> String {
        let mut s = self.cmd.clone();
        for (k, v) in &self.flags {
            s.push_str(&format!(" --{k}"));
            if !v.is_empty() {
                s.push_str(&format!("={v}"));
            }
        }
        if !self.args.is_empty() {
            s.push(' ');
            s.push_str(&self.args);
        }
        s
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dockerfile {
    pub escape: char,
    pub instructions: Vec<Instruction>,
}

pub const KNOWN: &[&str] = &[
    "FROM",
    "RUN",
    "CMD",
    "LABEL",
    "MAINTAINER",
    "EXPOSE",
    "ENV",
    "ADD",
    "COPY",
    "ENTRYPOINT",
    "VOLUME",
    "USER",
    "WORKDIR",
    "ARG",
    "ONBUILD",
    "STOPSIGNAL",
    "HEALTHCHECK",
    "SHELL",
];
const WITH_FLAGS: &[&str] = &["FROM", "RUN", "COPY", "ADD", "HEALTHCHECK"];
const WITH_HEREDOCS: &[&str] = &["RUN", "COPY", "ADD"];

fn err(line: usize, col: usize, msg: impl Into<String>) -> ParseError {
    ParseError {
        line,
        col,
        msg: msg.into(),
    }
}

/// `# name=value` at the top of the file.
fn directive(line: &str) -> Option<(String, String)> {
    let rest = line.trim_start().strip_prefix('#')?;
    let (k, v) = rest.split_once('=')?;
    let k = k.trim();
    if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    Some((k.to_ascii_lowercase(), v.trim().to_string()))
}

/// Heredoc markers (`<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'`) in an instruction's arguments:
/// (name, strip tabs, expand).
fn heredoc_markers(args: &str) -> Vec<(String, bool, bool)> {
    let b = args.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i + 1 < b.len() {
        let c = b[i];
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        if c == b'"' || c == b'\'' {
            quote = Some(c);
            i += 1;
            continue;
        }
        if c == b'<' && b[i + 1] == b'<' && b.get(i + 2) != Some(&b'<') {
            let mut j = i + 2;
            let strip = b.get(j) == Some(&b'-');
            if strip {
                j += 1;
            }
            let q = match b.get(j) {
                Some(&x) if x == b'"' || x == b'\'' => {
                    j += 1;
                    Some(x)
                }
                _ => None,
            };
            let start = j;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            if j > start {
                let name = args[start..j].to_string();
                if let Some(q) = q {
                    if b.get(j) == Some(&q) {
                        j += 1;
                    } else {
                        i = j;
                        continue;
                    }
                }
                out.push((name, strip, q.is_none()));
                i = j;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// Parse a whole Dockerfile.
pub fn parse(text: &str) -> Result<Dockerfile, ParseError> {
    let lines: Vec<&str> = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
    let mut escape = '\\';
    let mut i = 0;
    // Parser directives: only at the very top, before any blank line, comment or instruction.
    let mut seen = std::collections::HashSet::new();
    while i < lines.len() {
        let Some((k, v)) = directive(lines[i]) else { break };
        if !seen.insert(k.clone()) {
            return Err(err(i + 1, 1, format!("only one {k} parser directive can be used")));
        }
        if k == "escape" {
            escape = match v.as_str() {
                "\\" => '\\',
                "`" => '`',
                _ => {
                    return Err(err(
                        i + 1,
                        1,
                        format!("invalid escape token '{v}': only \\ and ` are allowed"),
                    ))
                }
            };
        }
        i += 1;
    }
    let mut out = Vec::new();
    while i < lines.len() {
        let raw = lines[i];
        let t = raw.trim_start();
        if t.is_empty() || t.starts_with('#') {
            i += 1;
            continue;
        }
        let start = i;
        let col = raw.len() - t.len() + 1;
        // Join continuation lines (escape char at the end, trailing blanks allowed).
        let mut logical = String::new();
        let mut cur = t.to_string();
        loop {
            let trimmed = cur.trim_end();
            if trimmed.ends_with(escape) && !(escape == '\\' && trimmed.ends_with("\\\\") && false) {
                logical.push_str(&trimmed[..trimmed.len() - escape.len_utf8()]);
                i += 1;
                // Comment lines and empty lines inside a continuation are dropped.
                while i < lines.len() && {
                    let n = lines[i].trim_start();
                    n.starts_with('#') || n.is_empty()
                } {
                    i += 1;
                }
                if i >= lines.len() {
                    break;
                }
                cur = lines[i].to_string();
            } else {
                logical.push_str(&cur);
                i += 1;
                break;
            }
        }
        let logical = logical.trim().to_string();
        let (kw, rest) = match logical.find(char::is_whitespace) {
            Some(p) => (&logical[..p], logical[p..].trim_start()),
            None => (logical.as_str(), ""),
        };
        let cmd = kw.to_ascii_uppercase();
        if !KNOWN.contains(&cmd.as_str()) {
            return Err(err(start + 1, col, format!("unknown instruction: {kw}")));
        }
        let mut rest = rest.to_string();
        let mut flags = Vec::new();
        if WITH_FLAGS.contains(&cmd.as_str()) {
            while rest.starts_with("--") {
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                let word = &rest[2..end];
                let (k, v) = word.split_once('=').unwrap_or((word, ""));
                if k.is_empty() {
                    return Err(err(
                        start + 1,
                        col,
                        format!("{cmd}: malformed flag \"{}\"", &rest[..end]),
                    ));
                }
                flags.push((k.to_string(), v.to_string()));
                rest = rest[end..].trim_start().to_string();
            }
        }
        let mut heredocs = Vec::new();
        if WITH_HEREDOCS.contains(&cmd.as_str()) && !rest.trim_start().starts_with('[') {
            for (name, strip, expand) in heredoc_markers(&rest) {
                let at = i;
                let mut content = String::new();
                loop {
                    if i >= lines.len() {
                        return Err(err(at, 1, format!("unterminated heredoc <<{name}")));
                    }
                    let l = if strip {
                        lines[i].trim_start_matches('\t')
                    } else {
                        lines[i]
                    };
                    i += 1;
                    if l == name {
                        break;
                    }
                    content.push_str(l);
                    content.push('\n');
                }
                heredocs.push(Heredoc { name, content, expand });
            }
        }
        let json = if rest.starts_with('[') {
            serde_json::from_str::<Vec<String>>(&rest).ok()
        } else {
            None
        };
        let ins = Instruction {
            line: start + 1,
            cmd: cmd.clone(),
            flags,
            args: rest,
            json,
            heredocs,
        };
        check(&ins, col)?;
        out.push(ins);
    }
    Ok(Dockerfile {
        escape,
        instructions: out,
    })
}

/// Per-instruction shape checks, so a malformed line fails before anything runs.
fn check(ins: &Instruction, col: usize) -> Result<(), ParseError> {
    let e = |m: String| Err(err(ins.line, col, m));
    let a = ins.args.trim();
    match ins.cmd.as_str() {
        "FROM" => {
            let w: Vec<&str> = a.split_whitespace().collect();
            if !(w.len() == 1 || (w.len() == 3 && w[1].eq_ignore_ascii_case("as"))) {
                return e(format!(
                    "FROM requires either one or three arguments (FROM IMAGE [AS NAME]), got \"{a}\""
                ));
            }
        }
        "COPY" | "ADD" => {
            let n = match &ins.json {
                Some(v) => v.len(),
                None => a.split_whitespace().count(),
            };
            if n < 2 && !(n == 1 && !ins.heredocs.is_empty()) {
                return e(format!(
                    "{} requires at least two arguments, but only {n} provided",
                    ins.cmd
                ));
            }
        }
        "ENV" | "LABEL" | "ARG" | "USER" | "WORKDIR" | "EXPOSE" | "VOLUME" | "STOPSIGNAL" | "MAINTAINER" | "SHELL"
        | "ONBUILD" | "HEALTHCHECK" | "RUN" => {
            if a.is_empty() && ins.heredocs.is_empty() {
                return e(format!("{} requires at least one argument", ins.cmd));
            }
        }
        _ => {}
    }
    match ins.cmd.as_str() {
        "SHELL" if ins.json.is_none() => return e("SHELL requires the arguments to be in JSON form".into()),
        "ONBUILD" => {
            let kw = a.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
            if !KNOWN.contains(&kw.as_str()) {
                return e(format!("ONBUILD: unknown instruction: {kw}"));
            }
            if ["ONBUILD", "FROM", "MAINTAINER"].contains(&kw.as_str()) {
                return e(format!("{kw} isn't allowed as an ONBUILD trigger"));
            }
        }
        _ => {}
    }
    Ok(())
}

/// Expansion environment: a variable's value, or none when unset.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Split `s` into words on unquoted blanks, removing quotes and escapes and expanding
/// variables (the rules of Docker's shell lexer).
pub fn words(s: &str, escape: char, env: Lookup) -> Result<Vec<String>, String> {
    lex(s, escape, env, true)
}

/// One word: like `words` but blanks are kept.
pub fn word(s: &str, escape: char, env: Lookup) -> Result<String, String> {
    Ok(lex(s, escape, env, false)?.into_iter().next().unwrap_or_default())
}

fn lex(s: &str, escape: char, env: Lookup, split: bool) -> Result<Vec<String>, String> {
    let c: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut have = false;
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if split && ch.is_whitespace() {
            if have {
                out.push(std::mem::take(&mut cur));
                have = false;
            }
            i += 1;
            continue;
        }
        have = true;
        if ch == escape {
            i += 1;
            if i < c.len() {
                cur.push(c[i]);
                i += 1;
            } else {
                cur.push(ch);
            }
        } else if ch == '\'' {
            i += 1;
            while i < c.len() && c[i] != '\'' {
                cur.push(c[i]);
                i += 1;
            }
            if i >= c.len() {
                return Err("unterminated single quote".into());
            }
            i += 1;
        } else if ch == '"' {
            i += 1;
            loop {
                if i >= c.len() {
                    return Err("unterminated double quote".into());
                }
                let x = c[i];
                if x == '"' {
                    i += 1;
                    break;
                }
                if x == escape && i + 1 < c.len() && ['"', '$', escape].contains(&c[i + 1]) {
                    cur.push(c[i + 1]);
                    i += 2;
                } else if x == '$' {
                    i = dollar(&c, i, escape, env, &mut cur)?;
                } else {
                    cur.push(x);
                    i += 1;
                }
            }
        } else if ch == '$' {
            i = dollar(&c, i, escape, env, &mut cur)?;
        } else {
            cur.push(ch);
            i += 1;
        }
    }
    if have || !split {
        out.push(cur);
    }
    Ok(out)
}

/// Expand the `$…` at `c[i]` into `cur`; returns the index after it.
fn dollar(c: &[char], i: usize, escape: char, env: Lookup, cur: &mut String) -> Result<usize, String> {
    let name_char = |x: char| x.is_ascii_alphanumeric() || x == '_';
    let mut j = i + 1;
    if j < c.len() && c[j] == '{' {
        j += 1;
        let start = j;
        while j < c.len() && name_char(c[j]) {
            j += 1;
        }
        let name: String = c[start..j].iter().collect();
        if name.is_empty() {
            return Err("missing variable name in ${}".into());
        }
        if j >= c.len() {
            return Err(format!("missing '}}' after ${{{name}"));
        }
        if c[j] == '}' {
            cur.push_str(&env(&name).unwrap_or_default());
            return Ok(j + 1);
        }
        let colon = c[j] == ':';
        if colon {
            j += 1;
        }
        let op = *c.get(j).ok_or_else(|| format!("missing '}}' after ${{{name}"))?;
        if !['-', '+', '?'].contains(&op) {
            return Err(format!("unsupported modifier ({op}) in substitution of {name}"));
        }
        j += 1;
        // The operand runs to the matching '}' (nested ${…} allowed).
        let start = j;
        let mut depth = 0;
        while j < c.len() {
            if c[j] == escape {
                j += 2;
                continue;
            }
            if c[j] == '{' {
                depth += 1;
            } else if c[j] == '}' {
                if depth == 0 {
                    break;
                }
                depth -= 1;
            }
            j += 1;
        }
        if j >= c.len() {
            return Err(format!("missing '}}' after ${{{name}"));
        }
        let operand: String = c[start..j].iter().collect();
        let operand = word(&operand, escape, env)?;
        let val = env(&name);
        let set = match &val {
            Some(v) => !(colon && v.is_empty()),
            None => false,
        };
        match op {
            '-' => cur.push_str(&if set { val.unwrap_or_default() } else { operand }),
            '+' => {
                if set {
                    cur.push_str(&operand)
                }
            }
            _ => {
                if !set {
                    return Err(format!(
                        "{name}: {}",
                        if operand.is_empty() {
                            "is not allowed to be unset"
                        } else {
                            &operand
                        }
                    ));
                }
                cur.push_str(&val.unwrap_or_default())
            }
        }
        return Ok(j + 1);
    }
    let start = j;
    while j < c.len() && name_char(c[j]) {
        j += 1;
    }
    if j == start {
        cur.push('$');
        return Ok(i + 1);
    }
    let name: String = c[start..j].iter().collect();
    cur.push_str(&env(&name).unwrap_or_default());
    Ok(j)
}

/// `K=V K2="v 2"` pairs (ENV, LABEL, ARG), or the legacy `K V…` (ENV, LABEL) form.
pub fn pairs(args: &str, escape: char, env: Lookup, legacy: bool) -> Result<Vec<(String, String)>, String> {
    let raw = words(args, escape, &|_| None).map_err(|e| e.to_string())?;
    let first_has_eq = args.split_whitespace().next().is_some_and(|w| w.contains('='));
    if !first_has_eq && legacy {
        let t = args.trim();
        let (k, v) = t
            .split_once(char::is_whitespace)
            .ok_or("needs KEY=VALUE or KEY VALUE")?;
        return Ok(vec![(k.to_string(), word(v.trim(), escape, env)?)]);
    }
    let _ = raw;
    // Split on unquoted blanks first (keeping quotes), then lex each word.
    let mut out = Vec::new();
    for w in raw_words(args, escape) {
        match w.split_once('=') {
            Some((k, v)) => out.push((word(k, escape, env)?, word(v, escape, env)?)),
            None if !legacy => out.push((word(&w, escape, env)?, String::new())),
            None => return Err(format!("{w:?} is not KEY=VALUE")),
        }
    }
    Ok(out)
}

/// Words split on unquoted blanks, quotes and escapes kept as written.
pub fn raw_words(s: &str, escape: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut it = s.chars().peekable();
    while let Some(ch) = it.next() {
        match quote {
            Some(q) => {
                cur.push(ch);
                if ch == escape && q == '"' {
                    if let Some(n) = it.next() {
                        cur.push(n);
                    }
                } else if ch == q {
                    quote = None;
                }
            }
            None if ch.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            None => {
                cur.push(ch);
                if ch == escape {
                    if let Some(n) = it.next() {
                        cur.push(n);
                    }
                } else if ch == '"' || ch == '\'' {
                    quote = Some(ch);
                }
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(k: &str) -> Option<String> {
        match k {
            "A" => Some("a".into()),
            "E" => Some(String::new()),
            "SP" => Some("x y".into()),
            _ => None,
        }
    }

    #[test]
    fn expansion() {
        let w = |s: &str| word(s, '\\', &env).unwrap();
        assert_eq!(w("$A/${A}/$B."), "a/a/.");
        assert_eq!(w("${B:-def}"), "def");
        assert_eq!(w("${E:-def}"), "def");
        assert_eq!(w("${E-def}"), "");
        assert_eq!(w("${A:+alt}"), "alt");
        assert_eq!(w("${B:+alt}"), "");
        assert_eq!(w("${B:-${A}x}"), "ax");
        assert_eq!(w("'$A'"), "$A");
        assert_eq!(w("\"$A b\""), "a b");
        assert_eq!(w("\\$A"), "$A");
        assert_eq!(w("$"), "$");
        assert!(word("${B:?need B}", '\\', &env).unwrap_err().contains("need B"));
        assert_eq!(word("`$A", '`', &env).unwrap(), "$A");
        assert_eq!(words("a \"b c\" $SP", '\\', &env).unwrap(), ["a", "b c", "x y"]);
    }

    #[test]
    fn env_pairs() {
        let p = pairs("X=1 Y=\"two words\" Z=$A", '\\', &env, true).unwrap();
        assert_eq!(
            p,
            [
                ("X".into(), "1".into()),
                ("Y".into(), "two words".into()),
                ("Z".into(), "a".into())
            ]
        );
        let p = pairs("X some value $A", '\\', &env, true).unwrap();
        assert_eq!(p, [("X".into(), "some value a".into())]);
        let p = pairs("V", '\\', &env, false).unwrap();
        assert_eq!(p, [("V".into(), String::new())]);
    }

    #[test]
    fn continuations_comments_directives() {
        let d = parse("# syntax=docker/dockerfile:1\n# escape=`\nFROM busybox\nRUN echo a `\n  # comment\n\n  b\nrun [\"x\", \"y\"]\n").unwrap();
        assert_eq!(d.escape, '`');
        assert_eq!(d.instructions.len(), 3);
        assert_eq!(d.instructions[1].args, "echo a   b");
        assert_eq!(d.instructions[1].line, 4);
        assert_eq!(d.instructions[2].cmd, "RUN");
        assert_eq!(d.instructions[2].json, Some(vec!["x".to_string(), "y".to_string()]));
        let d = parse("FROM a\nRUN echo \\\n  b\n").unwrap();
        assert_eq!(d.instructions[1].args, "echo   b");
    }

    #[test]
    fn flags_and_heredocs() {
        let d = parse("FROM a AS b\nCOPY --from=b --chown=1:2 x /y\nRUN <<EOF\necho hi\n  two\nEOF\nCOPY <<-\"END\" /f\n\tline $X\n\tEND\nCMD x\n").unwrap();
        let c = &d.instructions[1];
        assert_eq!(c.flag("from"), Some("b"));
        assert_eq!(c.flag("chown"), Some("1:2"));
        assert_eq!(c.args, "x /y");
        assert_eq!(d.instructions[2].heredocs[0].content, "echo hi\n  two\n");
        assert!(d.instructions[2].heredocs[0].expand);
        assert_eq!(d.instructions[3].heredocs[0].content, "line $X\n");
        assert!(!d.instructions[3].heredocs[0].expand);
        assert_eq!(d.instructions[4].cmd, "CMD");
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = parse("FROM a\n\n  FOO bar\n").unwrap_err();
        assert_eq!((e.line, e.col), (3, 3));
        assert!(e.msg.contains("unknown instruction: FOO"), "{}", e.msg);
        assert_eq!(parse("FROM a b\n").unwrap_err().line, 1);
        assert_eq!(parse("FROM a\nCOPY x\n").unwrap_err().line, 2);
        assert_eq!(parse("FROM a\nRUN <<EOF\nx\n").unwrap_err().line, 2);
        assert!(parse("FROM a\nSHELL sh -c\n").is_err());
        assert!(parse("FROM a\nONBUILD FROM b\n").is_err());
        assert!(parse("# escape=x\nFROM a\n").is_err());
    }
}
