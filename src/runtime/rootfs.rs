//! The container's root file system, mounted by its first process before pivot_root: the
//! overlay of the image's layers (native with userxattr, else fuse-overlayfs), /proc, /sys,
//! a /dev of its own, and the masked and read-only paths of the default security profile.

use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;

use nix::errno::Errno;
use nix::mount::MsFlags;

use super::child::{Ctx, Fail};
use super::Plan;
use crate::spec::network::Mode;
use crate::sys::mount::{self as m, fd_path};

pub fn mount_rootfs(plan: &Plan, merged: &Path) -> Result<(), Fail> {
    nix::unistd::chdir(&plan.store_root).at("entering the store")?;
    let cdir = format!("containers/{}", plan.id);
    let lower = &plan.lower;
    let base = format!("lowerdir={},upperdir={cdir}/upper,workdir={cdir}/work", lower.join(":"));
    if base.len() > 4000 {
        return Err(Fail(
            125,
            format!("image has too many layers ({}) for one overlay mount", lower.len()),
        ));
    }
    let native = if plan.fuse_overlay {
        Err(Errno::EPERM)
    } else {
        mount_native(&cdir, &base, plan.spec.auto_remove)
    };
    match native {
        Ok(()) => Ok(()),
        Err(e) if matches!(e, Errno::EPERM | Errno::EINVAL | Errno::ENODEV | Errno::EOPNOTSUPP) => {
            // The daemon must keep seeing the host file system after our pivot_root, which
            // moves every process whose root is the old root: give it a root of its own, a
            // recursive bind of / (same files, another mount).
            let fuse_root = plan.container_dir.join("fuseroot");
            let _ = std::fs::create_dir_all(&fuse_root);
            let own_root = crate::sys::fs::open_dir(&fuse_root)
                .and_then(|fd| m::bind(Path::new("/"), &fd, true))
                .map_err(|x| Fail(125, format!("preparing fuse-overlayfs: {}", x.desc())))?;
            let _ = own_root;
            let store_root = plan.store_root.clone();
            // The mount point goes by fd: inside the daemon's root the path would name the bind copy.
            let target = nix::fcntl::open(merged, nix::fcntl::OFlag::O_PATH | nix::fcntl::OFlag::O_DIRECTORY, nix::sys::stat::Mode::empty())
                .map_err(|x| Fail(125, format!("opening {}: {}", merged.display(), x.desc())))?;
            let opts = match &plan.fuse_idmap {
                Some(idmap) => format!("{base},{idmap}"),
                None => base.clone(),
            };
            let mut cmd = std::process::Command::new("fuse-overlayfs");
            cmd.arg("-o")
                .arg(&opts)
                .arg(format!("/proc/self/fd/{}", target.as_raw_fd()))
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null());
            crate::sys::process::pre_exec_chroot(&mut cmd, fuse_root, store_root);
            let out = cmd.output();
            drop(target);
            match out {
                Ok(o) if o.status.success() => Ok(()),
                Ok(o) => Err(Fail(125, format!(
                    "mounting the root file system: native overlay refused ({}) and fuse-overlayfs failed ({}): {}",
                    e.desc(), o.status, String::from_utf8_lossy(&o.stderr).trim()
                ))),
                Err(x) => Err(Fail(125, format!(
                    "mounting the root file system: native overlay refused ({}) and fuse-overlayfs could not run: {x} (install the fuse-overlayfs package)",
                    e.desc()
                ))),
            }
        }
        Err(e) => Err(Fail(125, format!("mounting the root file system at {}: {}", merged.display(), e.desc()))),
    }
    .map(|()| {
        let _ = nix::unistd::chdir("/");
    })
}

/// The kernel's overlay on `cdir`/merged (paths relative to the store, our cwd). `volatile`
/// (a `--rm` container, whose upper layer is thrown away when it ends, as Podman mounts it):
/// overlay's `volatile` option, so that neither the container's fsyncs nor the unmount when
/// its mount namespace goes sync the file system under the store (with `volatile` the
/// unmount does not write back the host file system the store is on). Overlay leaves
/// work/work/incompat/volatile behind and refuses to mount the same work directory again
/// while it is there: a second mount of the container (a restart) removes it first. A kernel
/// without the option (before 5.10) mounts without it.
fn mount_native(cdir: &str, base: &str, volatile: bool) -> Result<(), Errno> {
    let merged = format!("{cdir}/merged");
    let target = Path::new(&merged);
    if !volatile {
        return m::mount_overlay(target, &format!("{base},userxattr"));
    }
    let with = format!("{base},userxattr,volatile");
    match m::mount_overlay(target, &with) {
        Err(Errno::EINVAL) => {
            use std::os::unix::fs::PermissionsExt;
            // (work/work is mode 000 once overlay has used it.)
            let _ = std::fs::set_permissions(format!("{cdir}/work/work"), std::fs::Permissions::from_mode(0o700));
            let _ = std::fs::remove_dir_all(format!("{cdir}/work/work/incompat"));
            m::mount_overlay(target, &with).or_else(|_| m::mount_overlay(target, &format!("{base},userxattr")))
        }
        other => other,
    }
}

/// In a helper in the store's user namespace (see `super::spawn_under_store`): mount the
/// container's root file system (fuse-overlayfs shifting the ids, `Plan::fuse_idmap`, or
/// overlay on re-owned copies) in a mount namespace of its own, and move into a copy of that namespace with it, for the
/// container's, cloned next, to copy in turn. The first namespace then keeps nothing mounted
/// (a fuse daemon lives in it): once the container's namespace is gone, so is the last
/// mount, and the daemon exits.
pub fn mount_in_store_frame(plan: &Plan) -> Result<(), String> {
    use nix::sched::{setns, unshare, CloneFlags};
    let own_ns =
        || crate::sys::ns::open("thread-self", "mnt").map_err(|e| format!("opening the mount namespace: {}", e.desc()));
    unshare(CloneFlags::CLONE_NEWNS).map_err(|e| format!("creating a mount namespace: {}", e.desc()))?;
    m::make_rprivate_root().map_err(|e| format!("making / private: {}", e.desc()))?;
    let first = own_ns()?;
    let merged = plan.container_dir.join("merged");
    mount_rootfs(plan, &merged).map_err(|Fail(_, msg)| msg)?;
    unshare(CloneFlags::CLONE_NEWNS).map_err(|e| format!("creating a mount namespace: {}", e.desc()))?;
    let second = own_ns()?;
    setns(&first, CloneFlags::CLONE_NEWNS)
        .and_then(|()| nix::mount::umount2(&merged, nix::mount::MntFlags::MNT_DETACH))
        .and_then(|()| setns(&second, CloneFlags::CLONE_NEWNS))
        .map_err(|e| {
            format!(
                "handing the root file system to the container's mount namespace: {}",
                e.desc()
            )
        })
}

pub fn mount_proc_sys(plan: &Plan, root: &OwnedFd) -> Result<(), Fail> {
    let nse = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    let proc_ = m::mkdir_all_in_root(root, Path::new("/proc"), 0o555).at("creating /proc")?;
    m::mount_fs("proc", &proc_, nse, None).at("mounting /proc")?;
    let sys = m::mkdir_all_in_root(root, Path::new("/sys"), 0o555).at("creating /sys")?;
    let ro = if plan.spec.privileged {
        MsFlags::empty()
    } else {
        MsFlags::MS_RDONLY
    };
    if plan.spec.network == Mode::Host || m::mount_fs("sysfs", &sys, nse | ro, None).is_err() {
        // Without our own network namespace the kernel refuses a new sysfs: bind the host's.
        m::bind(Path::new("/sys"), &sys, true).at("binding /sys")?;
        if !plan.spec.privileged {
            let sys = m::open_in_root(root, Path::new("/sys")).at("reopening /sys")?;
            m::remount_ro(&sys).at("making /sys read-only")?;
        }
    }
    Ok(())
}

pub fn mount_dev(plan: &Plan, root: &OwnedFd) -> Result<(), Fail> {
    let dev = m::mkdir_all_in_root(root, Path::new("/dev"), 0o755).at("creating /dev")?;
    m::mount_fs(
        "tmpfs",
        &dev,
        MsFlags::MS_NOSUID | MsFlags::MS_STRICTATIME,
        Some("mode=755,size=65536k"),
    )
    .at("mounting /dev")?;
    let dev = m::open_in_root(root, Path::new("/dev")).at("reopening /dev")?;
    let dev = nix::fcntl::openat(
        &dev,
        ".",
        nix::fcntl::OFlag::O_DIRECTORY | nix::fcntl::OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )
    .at("opening /dev")?;
    for n in ["null", "zero", "full", "random", "urandom", "tty"] {
        let t = m::create_file_at(&dev, n).at(&format!("creating /dev/{n}"))?;
        m::bind(&Path::new("/dev").join(n), &t, false).at(&format!("binding /dev/{n}"))?;
    }
    let pts = m::mkdir_at(&dev, "pts", 0o755).at("creating /dev/pts")?;
    let gid = if plan.gid5_mapped { ",gid=5" } else { "" };
    m::mount_fs(
        "devpts",
        &pts,
        MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
        Some(&format!("newinstance,ptmxmode=0666,mode=0620{gid}")),
    )
    .at("mounting /dev/pts")?;
    let shm = m::mkdir_at(&dev, "shm", 0o1777).at("creating /dev/shm")?;
    match plan.join_other.iter().find(|(k, _)| k == "shm") {
        // A pod sharing ipc: the infra's /dev/shm, as Podman's members share the pod's.
        Some((_, infra_mnt)) => m::attach_from_namespace(infra_mnt, Path::new("/dev/shm"), &shm)
            .at("mounting the pod's /dev/shm (the infra container's)")?,
        None => m::mount_fs(
            "tmpfs",
            &shm,
            MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
            Some("mode=1777,size=65536k"),
        )
        .at("mounting /dev/shm")?,
    }
    let mq = m::mkdir_at(&dev, "mqueue", 0o755).at("creating /dev/mqueue")?;
    // A new IPC namespace may mount its own mqueue; where the kernel refuses, /dev/mqueue stays empty.
    let _ = m::mount_fs(
        "mqueue",
        &mq,
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        None,
    );
    for (name, target) in [
        ("ptmx", "pts/ptmx"),
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
        ("core", "/proc/kcore"),
    ] {
        m::symlink_at(target, &dev, name).at(&format!("creating /dev/{name}"))?;
    }
    Ok(())
}

const MASKED: &[&str] = &[
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/interrupts",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
];
const READ_ONLY: &[&str] = &[
    "/proc/asound",
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

/// Masked directories all show one empty read-only tmpfs: mounted on the first, bound onto
/// the others (a bind takes ~2 us here, a new tmpfs ~40-90 us to make and as much to tear
/// down; the bind keeps its source mount's read-only, nosuid, nodev and noexec flags).
pub fn mask_paths(root: &OwnedFd) -> Result<(), Fail> {
    let mut empty: Option<OwnedFd> = None;
    for p in MASKED {
        let Ok(t) = m::open_in_root(root, Path::new(p)) else {
            continue;
        };
        if m::is_dir(&t) {
            if let Some(e) = &empty {
                m::bind(&fd_path(e), &t, false).at(&format!("masking {p}"))?;
                continue;
            }
            m::mount_fs(
                "tmpfs",
                &t,
                MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
                Some("size=0"),
            )
            .at(&format!("masking {p}"))?;
            empty = Some(m::open_in_root(root, Path::new(p)).at(&format!("reopening {p}"))?);
        } else {
            m::bind(Path::new("/dev/null"), &t, false).at(&format!("masking {p}"))?;
        }
    }
    for p in READ_ONLY {
        let Ok(t) = m::open_in_root(root, Path::new(p)) else {
            continue;
        };
        m::bind(&fd_path(&t), &t, true).at(&format!("binding {p}"))?;
        let t = m::open_in_root(root, Path::new(p)).at(&format!("reopening {p}"))?;
        m::remount_ro(&t).at(&format!("making {p} read-only"))?;
    }
    Ok(())
}
