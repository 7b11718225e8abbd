//! ADD's remote sources: a URL downloaded (its Last-Modified as the file's mtime, 0600, checked
//! against `--checksum=sha256:…`), or a git repository cloned (`…​.git[#REF[:DIR]]`,
//! `git@HOST:REPO`, `git://…`) with the `git` program. Both run in forked children, so the
//! builder never has a thread (the download's runtime) alive when it forks.

use std::path::{Path, PathBuf};

use crate::error::{Context, Result};

/// Whether an ADD source is remote.
pub fn is_remote(src: &str) -> bool {
    src.starts_with("http://") || src.starts_with("https://") || src.starts_with("git@") || src.starts_with("git://")
}

/// Whether a remote source is a git repository (Docker's rules: `git@`, `git://`, or an
/// http(s) URL whose path ends in `.git`, with an optional `#REF[:DIR]`).
pub fn is_git(src: &str) -> bool {
    if src.starts_with("git@") || src.starts_with("git://") {
        return true;
    }
    let no_frag = src.split('#').next().unwrap_or(src);
    let path = no_frag.split('?').next().unwrap_or(no_frag);
    path.trim_end_matches('/').ends_with(".git")
}

/// Run `work` in a forked child; its error comes back.
fn in_child(what: &str, work: impl FnOnce() -> Result<()>) -> Result<()> {
    crate::sys::process::run_worker(|| work().map_err(|e| e.message))
        .map_err(|m| crate::err!("{m}"))?
        .map_err(|f| crate::err!("{}", f.message_or(|_| format!("{what}: the helper failed"))))
}

/// The file name a download gets: the URL path's last component.
fn file_name(url: &str) -> String {
    let rest = url.split_once("://").map(|x| x.1).unwrap_or(url);
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    path.rsplit('/').find(|c| !c.is_empty()).unwrap_or(host).to_string()
}

/// Seconds since the epoch of an HTTP date (IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`).
pub fn http_date(s: &str) -> Option<i64> {
    let w: Vec<&str> = s.split_whitespace().collect();
    if w.len() != 6 || w[5] != "GMT" {
        return None;
    }
    let day: i64 = w[1].parse().ok()?;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| *m == w[2])? as i64
        + 1;
    let year: i64 = w[3].parse().ok()?;
    let t: Vec<i64> = w[4].split(':').map(|x| x.parse().ok()).collect::<Option<_>>()?;
    if t.len() != 3 || !(1..=31).contains(&day) {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    Some(days * 86400 + t[0] * 3600 + t[1] * 60 + t[2])
}

/// Download `url` into `dir`; returns the file's path. `checksum`: `sha256:HEX` it must have.
pub fn download(url: &str, dir: &Path, checksum: Option<&str>) -> Result<PathBuf> {
    let want = match checksum {
        None => None,
        Some(c) => match c.split_once(':') {
            Some(("sha256", hex)) if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Some(hex.to_ascii_lowercase())
            }
            _ => crate::bail!("ADD --checksum={c}: expected sha256:<64 hex digits>"),
        },
    };
    let name = file_name(url);
    let out = dir.join(&name);
    let date_file = dir.join(".last-modified");
    in_child(&format!("ADD {url}"), || {
        let mut f = std::fs::File::create(&out).ctx(|| format!("creating {}", out.display()))?;
        let (_, date) = crate::registry::url::download_with_date(url, &mut std::io::BufWriter::new(&mut f))
            .map_err(|e| crate::err!("ADD {}", e.message))?;
        std::fs::write(&date_file, date.unwrap_or_default()).ctx(|| format!("writing {}", date_file.display()))
    })?;
    if let Some(want) = want {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        let mut f = std::fs::File::open(&out).ctx(|| format!("reading {}", out.display()))?;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = std::io::Read::read(&mut f, &mut buf).ctx(|| format!("reading {}", out.display()))?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        let got = hex::encode(h.finalize());
        if got != want {
            crate::bail!("ADD {url}: checksum mismatch: expected sha256:{want}, got sha256:{got}");
        }
    }
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o600))
        .ctx(|| format!("setting the mode of {}", out.display()))?;
    let date = std::fs::read_to_string(&date_file).unwrap_or_default();
    let _ = std::fs::remove_file(&date_file);
    if let Some(secs) = http_date(date.trim()) {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs.max(0) as u64);
        let f = std::fs::File::options()
            .write(true)
            .open(&out)
            .ctx(|| format!("opening {}", out.display()))?;
        f.set_modified(t)
            .ctx(|| format!("setting the mtime of {}", out.display()))?;
    }
    Ok(out)
}

/// Clone git repository `src` (`URL[#REF[:DIR]]`) into `dir`; returns the directory to copy
/// (the repository, or DIR inside it). `.git` is removed unless `keep_git`.
pub fn clone_git(src: &str, dir: &Path, keep_git: bool) -> Result<PathBuf> {
    let (url, frag) = match src.split_once('#') {
        Some((u, f)) => (u, Some(f)),
        None => (src, None),
    };
    let (reference, sub) = match frag {
        Some(f) => match f.split_once(':') {
            Some((r, d)) => (Some(r).filter(|r| !r.is_empty()), Some(d)),
            None => (Some(f).filter(|r| !r.is_empty()), None),
        },
        None => (None, None),
    };
    let repo = dir.join("repo");
    let git = crate::paths::find_in_path("git").ok_or_else(|| {
        crate::err!("ADD {src}: cloning a git repository needs the git program, which is not installed")
    })?;
    let run = |args: &[&str], cwd: &Path| -> Result<()> {
        let out = std::process::Command::new(&git)
            .args(args)
            .current_dir(cwd)
            .env("GIT_TERMINAL_PROMPT", "0")
            .stdin(std::process::Stdio::null())
            .output()
            .ctx(|| format!("ADD {src}: running git"))?;
        if !out.status.success() {
            let e = String::from_utf8_lossy(&out.stderr);
            let last = e
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim()
                .to_string();
            crate::bail!("ADD {src}: git {} failed: {last}", args.first().copied().unwrap_or(""));
        }
        Ok(())
    };
    std::fs::create_dir(&repo).ctx(|| format!("creating {}", repo.display()))?;
    run(&["init", "-q"], &repo)?;
    run(&["remote", "add", "origin", url], &repo)?;
    let r = reference.unwrap_or("HEAD");
    // Shallow first; servers that cannot (dumb HTTP) get a full fetch.
    if run(&["fetch", "-q", "--depth", "1", "origin", r], &repo).is_err() {
        run(&["fetch", "-q", "origin", r], &repo)?;
    }
    run(
        &["-c", "advice.detachedHead=false", "checkout", "-q", "FETCH_HEAD"],
        &repo,
    )?;
    if !keep_git {
        std::fs::remove_dir_all(repo.join(".git")).ctx(|| format!("removing {}/.git", repo.display()))?;
    }
    match sub {
        Some(d) if !d.is_empty() => {
            let p = repo.join(super::context::clean_rel(d));
            if !p.is_dir() {
                crate::bail!("ADD {src}: no directory {d} in the repository");
            }
            Ok(p)
        }
        _ => Ok(repo),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_dates_and_kinds() {
        assert_eq!(file_name("http://h:1/a/b/c.txt?x=1#y"), "c.txt");
        assert_eq!(file_name("https://h/dir/"), "dir");
        assert_eq!(file_name("https://example.org"), "example.org");
        assert_eq!(http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784111777));
        assert_eq!(http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(http_date("garbage"), None);
        assert!(is_git("https://github.com/a/b.git"));
        assert!(is_git("https://github.com/a/b.git#main:sub"));
        assert!(is_git("git@github.com:a/b"));
        assert!(!is_git("https://example.org/file.tar.gz"));
        assert!(is_remote("http://x/y") && !is_remote("src/"));
    }
}
