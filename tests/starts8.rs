//! Start latency, issue 14 (second part), session 27: what a `run --rm` costs the machine.
//! - A `--rm` container's overlay is mounted with overlay's `volatile` option, as Podman mounts
//!   it: its fsyncs and the unmount when it ends do not sync the file system under the store
//!   (before, every `run --rm` ended with a sync of that whole file system and a disk flush).
//! - A kept container's overlay is mounted as before (its upper layer outlives a crash).
//! - A leftover `work/work/incompat/volatile` (which overlay leaves behind and then refuses to
//!   mount again) does not stop a start.

mod common;
use common::*;

/// The mount options of the container's root, as the container sees them.
const ROOT_LINE: &str = "grep ' / / ' /proc/self/mountinfo";

#[test]
fn a_rm_containers_overlay_is_volatile_a_kept_ones_is_not() {
    let env = env_with_basic();
    let script = format!("{ROOT_LINE}; echo written > /f; cat /f");
    let r = env
        .hutch(["run", "--rm", "--network", "none", BASIC, "sh", "-c", &script])
        .ok();
    let root = r.stdout.lines().next().unwrap_or_default();
    assert!(root.contains(" overlay ") && root.contains("volatile"), "{r:?}");
    // Writable as ever.
    assert!(r.stdout.ends_with("written\n"), "{r:?}");
    // Gone with its directory, nothing left to list.
    assert_eq!(env.hutch(["ps", "-a", "-q"]).ok().stdout, "");
    // A kept container: no volatile, and it starts again on the same upper layer.
    let script = format!("{ROOT_LINE}; cat /f 2>/dev/null; echo again >> /f");
    let r = env
        .hutch(["run", "--network", "none", "--name", "kept", BASIC, "sh", "-c", &script])
        .ok();
    assert!(
        r.stdout.contains(" overlay ") && !r.stdout.contains("volatile"),
        "{r:?}"
    );
    let r = env.hutch(["start", "-a", "kept"]).ok();
    assert!(!r.stdout.contains("volatile"), "{r:?}");
    assert!(r.stdout.ends_with("again\n"), "{r:?}");
    env.hutch(["rm", "kept"]).ok();
}

#[test]
fn a_leftover_volatile_mark_does_not_stop_a_start() {
    let env = env_with_basic();
    let id = env
        .hutch(["create", "--rm", "--network", "none", BASIC, "sh", "-c", ROOT_LINE])
        .ok()
        .stdout
        .trim()
        .to_string();
    // What overlay leaves in the work directory after a volatile mount (and a crash).
    let mark = env
        .store()
        .join("containers")
        .join(&id)
        .join("work/work/incompat/volatile/dirty");
    std::fs::create_dir_all(&mark).unwrap();
    env.chown_tree(&env.store().join("containers").join(&id).join("work"));
    let r = env.hutch(["start", "-a", &id]).ok();
    assert!(r.stdout.contains("volatile"), "{r:?}");
    // Removed (--rm) as usual.
    assert_eq!(env.hutch(["ps", "-a", "-q"]).ok().stdout, "");
    assert!(!env.store().join("containers").join(&id).exists());
}

#[test]
fn masked_directories_are_empty_and_read_only() {
    let env = env_with_basic();
    // Those of the masked directories this machine has (/proc/acpi and /sys/firmware at least
    // where ACPI and firmware interfaces exist).
    let dirs: Vec<&str> = [
        "/proc/acpi",
        "/proc/scsi",
        "/sys/firmware",
        "/sys/devices/virtual/powercap",
    ]
    .into_iter()
    .filter(|d| std::path::Path::new(d).is_dir())
    .collect();
    assert!(!dirs.is_empty(), "no masked directory on this machine");
    let mut script = String::new();
    for d in &dirs {
        script.push_str(&format!(
            "echo {d} $(ls -A {d} | wc -l); touch {d}/x 2>/dev/null && echo {d} writable; \
             grep \" {d} \" /proc/self/mountinfo | grep -q ' ro,' && echo {d} ro; "
        ));
    }
    script.push_str("true");
    for args in [
        vec!["run", "--rm", "--network", "none", BASIC, "sh", "-c", &script],
        vec!["run", "--rm", BASIC, "sh", "-c", &script],
    ] {
        let r = env.hutch(&args).ok();
        for d in &dirs {
            assert!(r.stdout.contains(&format!("{d} 0\n")), "{d} not empty: {r:?}");
            assert!(r.stdout.contains(&format!("{d} ro\n")), "{d} not read-only: {r:?}");
            assert!(!r.stdout.contains(&format!("{d} writable")), "{r:?}");
        }
    }
    // --privileged masks nothing: no mount on any of them.
    let r = env
        .hutch([
            "run",
            "--rm",
            "--privileged",
            "--network",
            "none",
            BASIC,
            "sh",
            "-c",
            &script,
        ])
        .ok();
    for d in &dirs {
        assert!(!r.stdout.contains(&format!("{d} ro\n")), "{r:?}");
    }
}
