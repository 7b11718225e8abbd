//! `--runtime` and `--runtime-flag`: which OCI runtime runs a container. hutch is its own, so
//! the choice is hutch (this binary) or another hutch binary of the same version, which then
//! runs the monitors of detached containers; runc, crun and runtime flags are refused.

use std::sync::OnceLock;

use crate::error::{Class, Result};

static CHOICE: OnceLock<(Option<String>, Vec<String>)> = OnceLock::new();

/// The global options as given (once, at start-up).
pub fn set(runtime: Option<String>, flags: Vec<String>) {
    let _ = CHOICE.set((runtime, flags));
}

/// For `run`/`create`: the hutch binary asked for with `--runtime` (None: this one), after
/// refusing runtime flags (exit 126, as when Podman's runtime rejects them) and runtimes that
/// are not hutch.
pub fn resolve() -> Result<Option<String>> {
    let Some((runtime, flags)) = CHOICE.get() else {
        return Ok(None);
    };
    if let Some(f) = flags.first() {
        return Err(
            crate::err!("--runtime-flag {f}: hutch's built-in OCI runtime takes no runtime flags")
                .classed(Class::CannotInvoke),
        );
    }
    let Some(r) = runtime else { return Ok(None) };
    if r == "hutch" {
        return Ok(None);
    }
    let path = if r.contains('/') {
        std::path::absolute(r).map_err(|e| crate::err!("--runtime {r}: {e}"))?
    } else {
        match crate::paths::find_in_path(r) {
            Some(p) => p,
            None => crate::bail!("--runtime {r}: no such runtime in $PATH (hutch runs containers itself: use hutch or the path of a hutch binary)"),
        }
    };
    let out = std::process::Command::new(&path)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .map_err(|e| crate::err!("--runtime {r}: cannot run {}: {e}", path.display()))?;
    let want = format!("hutch {}", env!("CARGO_PKG_VERSION"));
    let got = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() || got.lines().next().map(str::trim) != Some(want.as_str()) {
        crate::bail!(
            "--runtime {r}: not a hutch binary of this version ({want}); hutch runs containers itself and cannot hand them to another OCI runtime"
        );
    }
    Ok(Some(path.display().to_string()))
}
