//! `run --secret NAME[,type=mount|env][,target=PATH][,mode=M]` (pure rules).

use serde::{Deserialize, Serialize};

use crate::error::Result;

/// A secret a container was made with: its copy is `secrets/<index>` in the container's
/// directory (made at create), mounted read-only on `target`, or read into `env` at start.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretUse {
    pub name: String,
    /// The secret's id when the container was made (filled in at create).
    #[serde(default)]
    pub id: String,
    /// An environment variable's name (type=env), else None (a file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    /// The file's path in the container (type=mount).
    #[serde(default)]
    pub target: String,
    pub mode: u32,
}

pub fn parse_use(v: &str) -> Result<SecretUse> {
    let mut parts = v.split(',');
    let name = parts.next().unwrap_or("").to_string();
    if name.is_empty() {
        crate::bail!("--secret {v}: no secret named (use NAME[,type=mount|env][,target=PATH][,mode=0400])");
    }
    let (mut kind, mut target, mut mode) = ("mount".to_string(), None, 0o444u32);
    for p in parts {
        match p.split_once('=') {
            Some(("type", t @ ("mount" | "env"))) => kind = t.to_string(),
            Some(("type", t)) => crate::bail!("--secret {v}: type={t} is not mount or env"),
            Some(("target", t)) if !t.is_empty() => target = Some(t.to_string()),
            Some(("mode", m)) => {
                mode = u32::from_str_radix(m, 8)
                    .ok()
                    .filter(|m| *m <= 0o777)
                    .ok_or_else(|| crate::err!("--secret {v}: mode={m} is not an octal file mode"))?
            }
            Some((k @ ("uid" | "gid"), _)) => {
                crate::bail!("--secret {v}: {k}= is not supported by hutch (the file belongs to the container's root; use mode=)")
            }
            _ => crate::bail!("--secret {v}: unknown option {p:?} (type=, target=, mode=)"),
        }
    }
    if kind == "env" {
        if mode != 0o444 {
            crate::bail!("--secret {v}: mode= is for type=mount");
        }
        let var = target.unwrap_or_else(|| name.clone());
        if var.contains('=') || var.is_empty() {
            crate::bail!("--secret {v}: {var:?} is not an environment variable name");
        }
        return Ok(SecretUse {
            name,
            id: String::new(),
            env: Some(var),
            target: String::new(),
            mode,
        });
    }
    let target = match target {
        None => format!("/run/secrets/{name}"),
        Some(t) if t.starts_with('/') => t,
        Some(t) => format!("/run/secrets/{t}"),
    };
    if target.split('/').any(|c| c == "..") {
        crate::bail!("--secret {v}: target {target} leaves /run/secrets");
    }
    Ok(SecretUse {
        name,
        id: String::new(),
        env: None,
        target,
        mode,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_uses() {
        let u = parse_use("pw").unwrap();
        assert_eq!((u.target.as_str(), u.mode, u.env), ("/run/secrets/pw", 0o444, None));
        let u = parse_use("pw,target=db/pass,mode=0400").unwrap();
        assert_eq!((u.target.as_str(), u.mode), ("/run/secrets/db/pass", 0o400));
        assert_eq!(parse_use("pw,target=/etc/pw").unwrap().target, "/etc/pw");
        let u = parse_use("pw,type=env,target=DB_PASS").unwrap();
        assert_eq!(u.env.as_deref(), Some("DB_PASS"));
        assert_eq!(parse_use("pw,type=env").unwrap().env.as_deref(), Some("pw"));
        for bad in [
            "",
            ",type=env",
            "pw,type=x",
            "pw,mode=999",
            "pw,uid=1",
            "pw,x=y",
            "pw,target=../../etc",
        ] {
            assert!(parse_use(bad).is_err(), "{bad}");
        }
    }
}
