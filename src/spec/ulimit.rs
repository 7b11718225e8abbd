//! `--ulimit TYPE=SOFT[:HARD]` (Podman's and Docker's syntax, for `run`, `create` and `build`):
//! the resource limits a container's processes start with. Pure: names and numbers; the
//! runtime sets them (setrlimit) just before the command is exec'd.

use serde::{Deserialize, Serialize};

use crate::error::Result;

/// One limit: a name of `NAMES` and its soft and hard values (`UNLIMITED`: no limit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ulimit {
    pub name: String,
    pub soft: u64,
    pub hard: u64,
}

/// RLIM_INFINITY: what `-1` and `unlimited` stand for.
pub const UNLIMITED: u64 = u64::MAX;

/// The limits a container may set (setrlimit's resources, as Podman names them).
pub const NAMES: &[&str] = &[
    "as",
    "core",
    "cpu",
    "data",
    "fsize",
    "locks",
    "memlock",
    "msgqueue",
    "nice",
    "nofile",
    "nproc",
    "rss",
    "rtprio",
    "rttime",
    "sigpending",
    "stack",
];

fn number(given: &str, v: &str) -> Result<u64> {
    match v {
        "-1" | "unlimited" => Ok(UNLIMITED),
        _ => v
            .parse::<u64>()
            .map_err(|_| crate::err!("--ulimit {given}: {v:?} is not a number (or -1 for no limit)")),
    }
}

/// One `--ulimit` value: `nofile=1024`, `nofile=1024:2048`, `core=-1`. A name given twice
/// keeps its last value.
pub fn parse(given: &str) -> Result<Ulimit> {
    let Some((name, values)) = given.split_once('=') else {
        crate::bail!("--ulimit {given}: use TYPE=SOFT[:HARD], e.g. nofile=1024:2048");
    };
    let name = name.trim().to_ascii_lowercase();
    let name = name.strip_prefix("rlimit_").unwrap_or(&name).to_string();
    if !NAMES.contains(&name.as_str()) {
        crate::bail!("--ulimit {given}: unknown limit {name:?} (one of {})", NAMES.join(", "));
    }
    let (soft, hard) = match values.split_once(':') {
        Some((s, h)) => (number(given, s)?, number(given, h)?),
        None => {
            let v = number(given, values)?;
            (v, v)
        }
    };
    if soft > hard {
        crate::bail!("--ulimit {given}: ulimit soft limit must be less than or equal to hard limit: {soft} > {hard}");
    }
    Ok(Ulimit { name, soft, hard })
}

/// All `--ulimit` values, a repeated name keeping its last value.
pub fn parse_all(given: &[String]) -> Result<Vec<Ulimit>> {
    let mut out: Vec<Ulimit> = Vec::new();
    for g in given {
        let u = parse(g)?;
        out.retain(|x| x.name != u.name);
        out.push(u);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulimit_values() {
        assert_eq!(
            parse("nofile=101:102").unwrap(),
            Ulimit {
                name: "nofile".into(),
                soft: 101,
                hard: 102
            }
        );
        assert_eq!(parse("core=-1").unwrap().hard, UNLIMITED);
        assert_eq!(parse("NPROC=7").unwrap().soft, 7);
        assert!(parse("nofile=5:4")
            .unwrap_err()
            .message
            .contains("soft limit must be less"));
        assert!(parse("bogus=1").is_err());
        assert!(parse("nofile").is_err());
        assert!(parse("nofile=x").is_err());
        let all = parse_all(&["nofile=1:2".into(), "nofile=3:4".into()]).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].soft, 3);
    }
}
