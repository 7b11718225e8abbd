//! Capability syscalls: the bounding set, capset, the ambient set.

use nix::errno::Errno;

/// Remove one capability from the bounding set; a capability the kernel does not know is fine.
pub fn bounding_drop(cap: u32) -> nix::Result<()> {
    // SAFETY: prctl with integer arguments only.
    let r = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) };
    match Errno::result(r) {
        Err(Errno::EINVAL) | Ok(_) => Ok(()),
        Err(e) => Err(e),
    }
}

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// Set this thread's effective, permitted and inheritable sets (64-bit masks).
pub fn capset(effective: u64, permitted: u64, inheritable: u64) -> nix::Result<()> {
    let hdr = CapHeader {
        version: 0x2008_0522,
        pid: 0,
    };
    let half = |m: u64, hi: bool| if hi { (m >> 32) as u32 } else { m as u32 };
    let data = [false, true].map(|hi| CapData {
        effective: half(effective, hi),
        permitted: half(permitted, hi),
        inheritable: half(inheritable, hi),
    });
    // SAFETY: header and two data structs laid out as the kernel's _LINUX_CAPABILITY_VERSION_3 ABI.
    let r = unsafe { libc::syscall(libc::SYS_capset, &hdr as *const CapHeader, data.as_ptr()) };
    Errno::result(r).map(drop)
}

/// Empty the ambient set.
pub fn clear_ambient() {
    // SAFETY: prctl with integer arguments only.
    unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong,
            0,
            0,
            0,
        )
    };
}
