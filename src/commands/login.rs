//! `hutch login` / `hutch logout`: the same auth.json Podman writes.

use std::io::{BufRead, IsTerminal};

use crate::cli::{LoginArgs, LogoutArgs};
use crate::config::{self, Credentials};
use crate::error::{Context, Result};
use crate::output::out;

/// `https://quay.io/` -> `quay.io`; `docker.io/library` stays namespaced; validated.
fn registry_key(r: &str) -> Result<String> {
    let k = config::normalize_auth_key(r.trim());
    let host = k.split('/').next().unwrap_or("");
    let probe = format!("{host}/x");
    let parsed = crate::reference::ImageRef::parse(&probe);
    if k.is_empty() || host.is_empty() || parsed.map(|p| p.registry != host).unwrap_or(true) && host != "docker.io" {
        crate::bail!("invalid registry \"{r}\": expected a host[:port], e.g. quay.io or localhost:5000");
    }
    Ok(k)
}

pub fn login(a: LoginArgs) -> Result<i32> {
    let key = registry_key(&a.registry)?;
    let registry = key.split('/').next().unwrap_or(&key).to_string();
    if a.get_login {
        let c = config::find_credentials(&key, a.authfile.as_deref())?
            .ok_or_else(|| crate::err!("not logged into {key}"))?;
        out(&format!("{}\n", c.username));
        return Ok(0);
    }
    if a.password.is_some() && a.password_stdin {
        crate::bail!("--password and --password-stdin cannot be used together");
    }
    let interactive = std::io::stdin().is_terminal();
    let username = match a.username.clone() {
        Some(u) => u,
        None if a.password_stdin || !interactive => crate::bail!("no username given for {registry}: use -u/--username"),
        None => crate::output::prompt("Username", false)?,
    };
    if username.is_empty() || username.contains(':') {
        crate::bail!("invalid username \"{username}\" for {registry}");
    }
    let password = match (&a.password, a.password_stdin) {
        (Some(p), _) => p.clone(),
        (None, true) => {
            let mut s = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut s)
                .ctx(|| "reading the password from standard input")?;
            s.trim_end_matches(['\n', '\r']).to_string()
        }
        (None, false) if interactive => crate::output::prompt("Password", true)?,
        (None, false) => crate::bail!("no password given for {registry}: use --password-stdin"),
    };
    if password.is_empty() {
        crate::bail!("empty password for {registry}");
    }
    let creds = Credentials { username, password };
    crate::registry::check_login(&registry, &creds, a.tls_verify)?;
    let path = config::auth_file_for_write(a.authfile.as_deref())?;
    config::store_credentials(&path, &key, &creds)?;
    out("Login Succeeded!\n");
    Ok(0)
}

pub fn logout(a: LogoutArgs) -> Result<i32> {
    let path = config::auth_file_for_write(a.authfile.as_deref())?;
    if a.all {
        config::remove_credentials(&path, None)?;
        out("Removed login credentials for all registries\n");
        return Ok(0);
    }
    let r = a.registry.as_deref().unwrap_or_default();
    let key = registry_key(r)?;
    if !config::remove_credentials(&path, Some(&key))? {
        crate::bail!("not logged into {key}");
    }
    out(&format!("Removed login credentials for {key}\n"));
    Ok(0)
}
