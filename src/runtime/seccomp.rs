//! Seccomp: profiles in the containers/moby JSON format compiled with libseccomp (the library
//! Podman and crun use) into a BPF program, cached per (profile, capabilities) in the runtime
//! dir so `run` does not pay for compilation each time, and loaded in the container's child.

use std::collections::HashMap;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use libseccomp::{ScmpAction, ScmpArch, ScmpArgCompare, ScmpCompareOp, ScmpFilterContext, ScmpSyscall};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::{Context, Result};

pub enum Source {
    Default,
    Unconfined,
    File(PathBuf),
}

/// A compiled BPF program (raw `struct sock_filter` array).
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Filter {
    prog: Vec<u8>,
}

impl Filter {
    /// Load into the calling thread. Does not allocate: runs in the container's child.
    pub fn load(&self) -> nix::Result<()> {
        crate::sys::process::load_seccomp(&self.prog)
    }
}

const DEFAULT_PROFILE: &str = include_str!("seccomp-default.json");

/// FNV-1a of the default profile, computed when hutch is compiled (its cache key's part).
const DEFAULT_PROFILE_HASH: u64 = fnv1a(0xcbf29ce484222325, DEFAULT_PROFILE.as_bytes());

/// FNV-1a (64 bits) of `b`, from `h`.
const fn fnv1a(mut h: u64, b: &[u8]) -> u64 {
    let mut i = 0;
    while i < b.len() {
        h = (h ^ b[i] as u64).wrapping_mul(0x100000001b3);
        i += 1;
    }
    h
}

/// What the compiled program looks like (part of the cache key: a change of it makes the
/// programs cached by an earlier hutch unused).
const FORMAT: &str = "optimize=2";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Profile {
    default_action: String,
    #[serde(default)]
    default_errno_ret: Option<i32>,
    #[serde(default)]
    arch_map: Vec<ArchMap>,
    #[serde(default)]
    architectures: Vec<String>,
    #[serde(default)]
    syscalls: Vec<Rule>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ArchMap {
    architecture: String,
    #[serde(default)]
    sub_architectures: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    #[serde(default)]
    names: Vec<String>,
    #[serde(default)]
    name: Option<String>,
    action: String,
    #[serde(default)]
    errno_ret: Option<i32>,
    #[serde(default)]
    args: Vec<Arg>,
    #[serde(default)]
    includes: Cond,
    #[serde(default)]
    excludes: Cond,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Arg {
    index: u32,
    value: u64,
    #[serde(default)]
    value_two: u64,
    op: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Cond {
    #[serde(default)]
    caps: Vec<String>,
    #[serde(default)]
    arches: Vec<String>,
    #[serde(default)]
    min_kernel: Option<String>,
}

fn native_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "SCMP_ARCH_X86_64",
        "aarch64" => "SCMP_ARCH_AARCH64",
        "x86" => "SCMP_ARCH_X86",
        "arm" => "SCMP_ARCH_ARM",
        _ => "SCMP_ARCH_NATIVE",
    }
}

fn short_arch(a: &str) -> String {
    // Profiles name arches in `includes` as Go does: amd64, arm64, x86, x32, ...
    match a {
        "SCMP_ARCH_X86_64" => "amd64",
        "SCMP_ARCH_AARCH64" => "arm64",
        "SCMP_ARCH_X86" => "386",
        "SCMP_ARCH_X32" => "x32",
        "SCMP_ARCH_ARM" => "arm",
        other => other,
    }
    .to_string()
}

fn kernel_at_least(v: &str) -> bool {
    let parse = |s: &str| -> (u32, u32) {
        let mut it = s
            .split(|c: char| !c.is_ascii_digit())
            .filter(|x| !x.is_empty())
            .map(|x| x.parse().unwrap_or(0));
        (it.next().unwrap_or(0), it.next().unwrap_or(0))
    };
    let running = nix::sys::utsname::uname()
        .map(|u| u.release().to_string_lossy().into_owned())
        .unwrap_or_default();
    parse(&running) >= parse(v)
}

fn action(name: &str, errno: Option<i32>, default_errno: i32, what: &str) -> Result<ScmpAction> {
    Ok(match name {
        "SCMP_ACT_ALLOW" => ScmpAction::Allow,
        "SCMP_ACT_ERRNO" => ScmpAction::Errno(errno.unwrap_or(default_errno)),
        "SCMP_ACT_KILL" | "SCMP_ACT_KILL_THREAD" => ScmpAction::KillThread,
        "SCMP_ACT_KILL_PROCESS" => ScmpAction::KillProcess,
        "SCMP_ACT_TRAP" => ScmpAction::Trap,
        "SCMP_ACT_TRACE" => ScmpAction::Trace(errno.unwrap_or(default_errno) as u16),
        "SCMP_ACT_LOG" => ScmpAction::Log,
        "SCMP_ACT_NOTIFY" => {
            crate::bail!("{what}: action SCMP_ACT_NOTIFY needs a seccomp agent, which hutch does not have")
        }
        other => crate::bail!("{what}: unknown action \"{other}\""),
    })
}

fn compare(a: &Arg, what: &str) -> Result<ScmpArgCompare> {
    let op = match a.op.as_str() {
        "SCMP_CMP_NE" => ScmpCompareOp::NotEqual,
        "SCMP_CMP_LT" => ScmpCompareOp::Less,
        "SCMP_CMP_LE" => ScmpCompareOp::LessOrEqual,
        "SCMP_CMP_EQ" => ScmpCompareOp::Equal,
        "SCMP_CMP_GE" => ScmpCompareOp::GreaterEqual,
        "SCMP_CMP_GT" => ScmpCompareOp::Greater,
        "SCMP_CMP_MASKED_EQ" => {
            return Ok(ScmpArgCompare::new(
                a.index,
                ScmpCompareOp::MaskedEqual(a.value),
                a.value_two,
            ))
        }
        other => crate::bail!("{what}: unknown argument operator \"{other}\""),
    };
    Ok(ScmpArgCompare::new(a.index, op, a.value))
}

/// Compile `profile` (JSON text) for a container holding `caps`.
fn compile_profile(text: &str, caps: &[String], what: &str) -> Result<Vec<u8>> {
    let p: Profile = serde_json::from_str(text).map_err(|e| crate::err!("{what}: not a valid seccomp profile: {e}"))?;
    let default_errno = p.default_errno_ret.unwrap_or(libc::EPERM);
    let default = action(&p.default_action, p.default_errno_ret, libc::EPERM, what)?;
    let mut ctx = ScmpFilterContext::new(default).map_err(|e| crate::err!("{what}: {e}"))?;
    // no_new_privs is set by hutch itself when asked for; libseccomp must not force it.
    ctx.set_ctl_nnp(false).map_err(|e| crate::err!("{what}: {e}"))?;
    // A binary tree on the syscall number (libseccomp >= 2.5), as crun asks for: the kernel
    // runs the filter for every syscall number and architecture when it is loaded (to cache
    // the allowed ones), which took ~1 ms per start for the default profile's linear program
    // of ~1,100 instructions. An older libseccomp keeps the linear program.
    let _ = ctx.set_ctl_optimize(2);
    let native = native_arch();
    let mut arches: Vec<String> = vec![];
    for m in &p.arch_map {
        if m.architecture == native {
            arches.extend(m.sub_architectures.iter().cloned());
        }
    }
    if p.arch_map.is_empty() {
        arches.extend(p.architectures.iter().filter(|a| a.as_str() != native).cloned());
    }
    for a in &arches {
        if let Ok(arch) = a.parse::<ScmpArch>() {
            let _ = ctx.add_arch(arch);
        }
    }
    let me = short_arch(native);
    let applies = |c: &Cond, include: bool| -> bool {
        let caps_ok = c.caps.is_empty() || c.caps.iter().all(|k| caps.contains(k));
        let arch_ok = c.arches.is_empty() || c.arches.iter().any(|a| *a == me);
        let kernel_ok = c.min_kernel.as_deref().is_none_or(kernel_at_least);
        if include {
            caps_ok && arch_ok && kernel_ok
        } else {
            // An exclude applies when any of its conditions matches.
            let any_caps = !c.caps.is_empty() && c.caps.iter().any(|k| caps.contains(k));
            let any_arch = !c.arches.is_empty() && c.arches.iter().any(|a| *a == me);
            let kernel = c.min_kernel.as_deref().is_some_and(kernel_at_least);
            any_caps || any_arch || kernel
        }
    };
    // First unconditional rule for a syscall wins; conditional rules of earlier entries stay.
    let mut unconditional: HashMap<String, ()> = HashMap::new();
    for r in &p.syscalls {
        if !applies(&r.includes, true) || applies(&r.excludes, false) {
            continue;
        }
        let act = action(&r.action, r.errno_ret, default_errno, what)?;
        let conds: Vec<ScmpArgCompare> = r.args.iter().map(|a| compare(a, what)).collect::<Result<_>>()?;
        let names = r.names.iter().chain(r.name.iter());
        for n in names {
            if unconditional.contains_key(n) {
                continue;
            }
            // Names of other architectures or newer kernels than libseccomp knows: skip.
            let Ok(sc) = ScmpSyscall::from_name(n) else { continue };
            if act == default && conds.is_empty() {
                unconditional.insert(n.clone(), ());
                continue;
            }
            let res = if conds.is_empty() {
                ctx.add_rule(act, sc)
            } else {
                ctx.add_rule_conditional(act, sc, &conds)
            };
            match res {
                Ok(_) => {
                    if conds.is_empty() {
                        unconditional.insert(n.clone(), ());
                    }
                }
                Err(e) => crate::bail!("{what}: rule for {n}: {e}"),
            }
        }
    }
    let mut f = tempfile_memfd()?;
    ctx.export_bpf(&f)
        .map_err(|e| crate::err!("{what}: exporting the filter: {e}"))?;
    f.rewind().ctx(|| "reading the seccomp program")?;
    let mut prog = Vec::new();
    f.read_to_end(&mut prog).ctx(|| "reading the seccomp program")?;
    Ok(prog)
}

fn tempfile_memfd() -> Result<std::fs::File> {
    let fd = nix::sys::memfd::memfd_create(c"hutch-seccomp", nix::sys::memfd::MFdFlags::MFD_CLOEXEC)
        .map_err(|e| crate::err!("memfd_create: {e}"))?;
    Ok(std::fs::File::from(fd))
}

fn cache_path(key: &str) -> PathBuf {
    crate::paths::seccomp_cache_dir().join(format!("{key}.bpf"))
}

fn valid(prog: &[u8]) -> bool {
    !prog.is_empty() && prog.len() % 8 == 0 && prog.len() / 8 <= 4096
}

/// Compile the profile for a container that holds `caps`; None for unconfined.
pub fn compile(source: &Source, caps: &[String]) -> Result<Option<Filter>> {
    let (text, what) = match source {
        Source::Unconfined => return Ok(None),
        Source::Default => (
            std::borrow::Cow::Borrowed(DEFAULT_PROFILE),
            "default seccomp profile".to_string(),
        ),
        Source::File(p) => {
            let t = std::fs::read_to_string(p).map_err(|e| crate::err!("seccomp profile {}: {e}", p.display()))?;
            (std::borrow::Cow::Owned(t), format!("seccomp profile {}", p.display()))
        }
    };
    let mut caps: Vec<String> = caps.to_vec();
    caps.sort();
    let rest = [
        FORMAT,
        &caps.join(","),
        env!("CARGO_PKG_VERSION"),
        std::env::consts::ARCH,
    ]
    .join("\n");
    let key = match source {
        // The built-in profile is known when hutch is built: no need to hash its 20 KB on
        // every start, nor to start SHA-256 (whose CPU feature probe costs a few CPUID
        // instructions, slow in a virtual machine) for a key of hutch's own input: FNV-1a.
        Source::Default => format!("default-{:016x}", fnv1a(DEFAULT_PROFILE_HASH, rest.as_bytes())),
        _ => {
            let mut h = Sha256::new();
            h.update(text.as_bytes());
            h.update(rest.as_bytes());
            hex::encode(h.finalize())
        }
    };
    let path = cache_path(&key);
    if let Ok(prog) = std::fs::read(&path) {
        if valid(&prog) {
            return Ok(Some(Filter { prog }));
        }
    }
    let prog = compile_profile(&text, &caps, &what)?;
    if !valid(&prog) {
        crate::bail!(
            "{what}: the compiled filter is too large ({} instructions)",
            prog.len() / 8
        );
    }
    store_cache(&path, &prog);
    Ok(Some(Filter { prog }))
}

/// Best effort: a cache that cannot be written only costs the next run a compilation.
fn store_cache(path: &Path, prog: &[u8]) {
    use std::os::unix::fs::DirBuilderExt;
    let Some(dir) = path.parent() else { return };
    let _ = std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir);
    let _ = crate::sys::fs::write_atomic(path, prog, 0o600);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Vec<String> {
        crate::spec::caps::DEFAULT.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn default_profile_compiles_and_depends_on_caps() {
        let a = compile_profile(DEFAULT_PROFILE, &defaults(), "default").unwrap();
        let mut more = defaults();
        more.push("CAP_SYS_ADMIN".into());
        let b = compile_profile(DEFAULT_PROFILE, &more, "default").unwrap();
        assert!(valid(&a) && valid(&b));
        assert_ne!(a, b);
    }

    #[test]
    fn bad_profiles_give_one_line_errors() {
        let e = compile_profile("{", &[], "seccomp profile /x.json")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("seccomp profile /x.json: not a valid seccomp profile"),
            "{e}"
        );
        let e = compile_profile(r#"{"defaultAction":"SCMP_ACT_FOO"}"#, &[], "p")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "p: unknown action \"SCMP_ACT_FOO\"");
        let e = compile_profile(
            r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_NOTIFY"}]}"#,
            &[],
            "p",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("SCMP_ACT_NOTIFY"), "{e}");
        // Unknown names are skipped.
        compile_profile(r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["no_such_syscall","mkdir"],"action":"SCMP_ACT_ERRNO"}]}"#, &[], "p").unwrap();
    }

    #[test]
    fn loaded_filter_denies_what_the_profile_denies() {
        let prog = compile_profile(DEFAULT_PROFILE, &defaults(), "default").unwrap();
        let f = Filter { prog };
        match crate::sys::process::fork().unwrap() {
            None => {
                let _ = nix::sys::prctl::set_no_new_privs();
                if f.load().is_err() {
                    crate::sys::process::exit_now(10);
                }
                let pid_ok = nix::unistd::getpid().as_raw() > 0;
                let unshare = nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWUSER);
                // SAFETY: a raw syscall with null arguments; it must fail.
                let uring = unsafe { libc::syscall(libc::SYS_io_uring_setup, 1, std::ptr::null_mut::<u8>()) };
                let code = if !pid_ok {
                    11
                } else if unshare != Err(nix::errno::Errno::EPERM) {
                    12
                } else if uring != -1 || nix::errno::Errno::last() != nix::errno::Errno::EPERM {
                    13
                } else {
                    0
                };
                crate::sys::process::exit_now(code)
            }
            Some(pid) => {
                let st = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(pid), None).unwrap();
                assert_eq!(
                    st,
                    nix::sys::wait::WaitStatus::Exited(nix::unistd::Pid::from_raw(pid), 0)
                );
            }
        }
    }
}
