//! `hutch version`: Podman's layout (`Client:` section; `{{.Client.Version}}` and
//! `{{.Server.Version}}` in templates, as local Podman answers both), plus hutch's own fields.

use serde_json::json;

use crate::cli::VersionArgs;
use crate::error::Result;
use crate::format::Format;

pub fn run(a: VersionArgs) -> Result<i32> {
    let ver = env!("CARGO_PKG_VERSION");
    let os_arch = format!("linux/{}", crate::registry::Platform::host().arch);
    let rust = option_env!("HUTCH_RUSTC_VERSION").unwrap_or("unknown");
    let side = json!({
        "APIVersion": ver,
        "Version": ver,
        "RustVersion": rust,
        "GitCommit": "",
        "BuiltTime": "",
        "Built": crate::BUILT,
        "OsArch": os_arch,
        "Os": "linux",
    });
    let v = json!({
        "Client": side,
        "Server": side,
        "Version": ver,
        "OsArch": os_arch,
        "RustVersion": rust,
    });
    let text = match Format::parse(a.format.as_deref()) {
        Format::Json => serde_json::to_string_pretty(&json!({"Client": side})).expect("json") + "\n",
        Format::Template { tmpl, header } => crate::format::render(&tmpl, header, &[v])?,
        Format::Table => format!(
            "Client:       hutch\nVersion:      {ver}\nAPI Version:  {ver}\nRust Version: {rust}\nOS/Arch:      {os_arch}\n"
        ),
    };
    crate::output::out(&text);
    Ok(0)
}
