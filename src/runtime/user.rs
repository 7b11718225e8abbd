//! `--user USER[:GROUP]` resolved against the container's /etc/passwd and /etc/group (pure).

use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecUser {
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<u32>,
    pub home: String,
}

struct PwEntry<'a> {
    name: &'a str,
    uid: u32,
    gid: u32,
    home: &'a str,
}

fn passwd(content: &str) -> impl Iterator<Item = PwEntry<'_>> {
    content.lines().filter_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() >= 6)
            .then(|| {
                Some(PwEntry {
                    name: f[0],
                    uid: f[2].parse().ok()?,
                    gid: f[3].parse().ok()?,
                    home: f[5],
                })
            })
            .flatten()
    })
}

/// (name, gid, members)
fn groups(content: &str) -> impl Iterator<Item = (&str, u32, Vec<&str>)> {
    content.lines().filter_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        if f.len() < 3 {
            return None;
        }
        let members = f
            .get(3)
            .map(|m| m.split(',').filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        Some((f[0], f[2].parse().ok()?, members))
    })
}

/// The gid of group `name` in a group file's content.
pub fn group_id(name: &str, group_file: &str) -> Option<u32> {
    groups(group_file).find(|(n, _, _)| *n == name).map(|(_, id, _)| id)
}

/// Resolve `spec` ("", "name", "uid", "name:group", "uid:gid") with the given file contents.
pub fn resolve(spec: &str, passwd_file: &str, group_file: &str) -> Result<ExecUser> {
    let (u, g) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let u = if u.is_empty() { "0" } else { u };
    let entry = passwd(passwd_file).find(|e| e.name == u || u.parse::<u32>().ok() == Some(e.uid));
    let (uid, mut gid, home, name) = match (entry, u.parse::<u32>()) {
        (Some(e), _) => (e.uid, e.gid, e.home.to_string(), Some(e.name.to_string())),
        (None, Ok(n)) => (n, 0, "/".to_string(), None),
        (None, Err(_)) => crate::bail!("unable to find user {u}: no matching entries in passwd file"),
    };
    let mut explicit_group = false;
    if let Some(g) = g {
        explicit_group = true;
        gid = match groups(group_file).find(|(n, id, _)| *n == g || g.parse::<u32>().ok() == Some(*id)) {
            Some((_, id, _)) => id,
            None => g
                .parse()
                .map_err(|_| crate::err!("unable to find group {g}: no matching entries in group file"))?,
        };
    }
    let mut sup = vec![];
    if !explicit_group {
        if let Some(name) = &name {
            sup = groups(group_file)
                .filter(|(_, id, m)| *id != gid && m.contains(&name.as_str()))
                .map(|(_, id, _)| id)
                .collect();
        }
    }
    let mut all = vec![gid];
    all.extend(sup);
    Ok(ExecUser {
        uid,
        gid,
        groups: all,
        home,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    const PW: &str = "root:x:0:0:root:/root:/bin/sh\ntester:x:1000:1000::/home/tester:/bin/sh\n";
    const GR: &str = "root:x:0:\ntester:x:1000:\nwheel:x:10:tester,other\n";

    #[test]
    fn resolves_names_ids_and_groups() {
        assert_eq!(
            resolve("", PW, GR).unwrap(),
            ExecUser {
                uid: 0,
                gid: 0,
                groups: vec![0],
                home: "/root".into()
            }
        );
        assert_eq!(
            resolve("tester", PW, GR).unwrap(),
            ExecUser {
                uid: 1000,
                gid: 1000,
                groups: vec![1000, 10],
                home: "/home/tester".into()
            }
        );
        assert_eq!(resolve("1000:wheel", PW, GR).unwrap().gid, 10);
        assert_eq!(
            resolve("1234:5678", PW, GR).unwrap(),
            ExecUser {
                uid: 1234,
                gid: 5678,
                groups: vec![5678],
                home: "/".into()
            }
        );
        assert!(resolve("nobody", PW, GR)
            .unwrap_err()
            .to_string()
            .contains("unable to find user nobody"));
        assert!(resolve("tester:nogroup", PW, GR)
            .unwrap_err()
            .to_string()
            .contains("group nogroup"));
    }
}
