//! Capabilities as data: names in kernel order, Podman's rootless defaults, and the rules of
//! --privileged, --cap-add, --cap-drop and containers.conf's default_capabilities. Pure.

use crate::error::Result;

/// Capability names in kernel order (index = capability number).
pub const NAMES: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// Podman's default set for rootless containers.
pub const DEFAULT: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_NET_BIND_SERVICE",
    "CAP_SETFCAP",
    "CAP_SETGID",
    "CAP_SETPCAP",
    "CAP_SETUID",
    "CAP_SYS_CHROOT",
];

/// `net_admin`, `NET_ADMIN`, `CAP_NET_ADMIN` -> `CAP_NET_ADMIN`; `ALL` stays `ALL`.
pub fn normalize(name: &str) -> Result<String> {
    let up = name.trim().to_ascii_uppercase();
    if up == "ALL" {
        return Ok(up);
    }
    let full = if up.starts_with("CAP_") {
        up
    } else {
        format!("CAP_{up}")
    };
    if NAMES.contains(&full.as_str()) {
        Ok(full)
    } else {
        Err(crate::err!("unknown capability \"{name}\""))
    }
}

/// The set a container gets: `base` (containers.conf's default_capabilities, normalized) or
/// Podman's defaults, or all with --privileged; plus adds, minus drops.
pub fn resolve(privileged: bool, base: Option<&[String]>, add: &[String], drop: &[String]) -> Result<Vec<String>> {
    let mut set: Vec<String> = match (privileged, base) {
        (true, _) => NAMES.iter().map(|s| s.to_string()).collect(),
        (false, Some(b)) => b.to_vec(),
        (false, None) => DEFAULT.iter().map(|s| s.to_string()).collect(),
    };
    let drop: Vec<String> = drop.iter().map(|d| normalize(d)).collect::<Result<_>>()?;
    if drop.iter().any(|d| d == "ALL") {
        set.clear();
    }
    for a in add {
        let a = normalize(a)?;
        if a == "ALL" {
            set = NAMES.iter().map(|s| s.to_string()).collect();
        } else if !set.contains(&a) {
            set.push(a);
        }
    }
    set.retain(|c| !drop.contains(c));
    set.sort_by_key(|c| NAMES.iter().position(|n| n == c));
    Ok(set)
}

/// Bit mask of a set of names.
pub fn mask(set: &[String]) -> u64 {
    set.iter()
        .filter_map(|c| NAMES.iter().position(|n| n == c))
        .fold(0u64, |m, i| m | (1 << i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_and_drops() {
        let d = resolve(false, None, &[], &[]).unwrap();
        assert_eq!(d.len(), 11);
        let s = resolve(false, None, &["net_admin".into()], &["CAP_CHOWN".into(), "kill".into()]).unwrap();
        assert!(
            s.contains(&"CAP_NET_ADMIN".to_string())
                && !s.contains(&"CAP_CHOWN".to_string())
                && !s.contains(&"CAP_KILL".to_string())
        );
        assert_eq!(
            resolve(false, None, &["SYS_TIME".into()], &["all".into()]).unwrap(),
            vec!["CAP_SYS_TIME"]
        );
        assert_eq!(resolve(true, None, &[], &[]).unwrap().len(), NAMES.len());
        assert!(resolve(false, None, &["BOGUS".into()], &[])
            .unwrap_err()
            .to_string()
            .contains("\"BOGUS\""));
        let base = ["CAP_CHOWN".to_string(), "CAP_NET_RAW".to_string()];
        assert_eq!(
            resolve(false, Some(&base), &["KILL".into()], &["NET_RAW".into()]).unwrap(),
            ["CAP_CHOWN", "CAP_KILL"]
        );
        assert_eq!(resolve(true, Some(&base), &[], &[]).unwrap().len(), NAMES.len());
        assert_eq!(mask(&["CAP_CHOWN".into(), "CAP_KILL".into()]), 0b100001);
    }
}
