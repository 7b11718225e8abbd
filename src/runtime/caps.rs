//! Applying capability sets to the current process (the names and rules are spec::caps).

use crate::spec::caps::NAMES;

/// Highest capability the running kernel knows.
fn last_cap() -> usize {
    std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(NAMES.len() - 1)
}

/// Drop everything outside `keep` from the bounding set (needs CAP_SETPCAP).
pub fn drop_bounding(keep: u64) -> nix::Result<()> {
    for cap in 0..=last_cap() {
        if keep & (1 << cap) == 0 {
            crate::sys::caps::bounding_drop(cap as u32)?;
        }
    }
    Ok(())
}

/// Set effective and permitted to `caps`, inheritable and ambient to nothing (CVE-2022-27651).
pub fn set_caps(caps: u64) -> nix::Result<()> {
    crate::sys::caps::capset(caps, caps, 0)?;
    crate::sys::caps::clear_ambient();
    Ok(())
}
