//! `hutch version`

use serde_json::json;

use crate::cli::VersionArgs;
use crate::error::Result;
use crate::format::Format;

pub fn run(a: VersionArgs) -> Result<i32> {
    let v = json!({
        "Version": env!("CARGO_PKG_VERSION"),
        "OsArch": format!("linux/{}", crate::registry::Platform::host().arch),
        "RustVersion": option_env!("HUTCH_RUSTC_VERSION").unwrap_or("unknown"),
    });
    let text = match Format::parse(a.format.as_deref()) {
        Format::Json => serde_json::to_string_pretty(&v).expect("json") + "\n",
        Format::Template { tmpl, header } => crate::format::render(&tmpl, header, &[v])?,
        Format::Table => format!(
            "Version:    {}\nOS/Arch:    {}\n",
            v["Version"].as_str().unwrap_or(""),
            v["OsArch"].as_str().unwrap_or("")
        ),
    };
    crate::output::out(&text);
    Ok(0)
}
