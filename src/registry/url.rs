//! Plain downloads (`import URL`): one GET, followed redirects, the body to a file.

use std::io::Write;

use crate::error::Result;

/// GET `url` (http or https, system trust roots) and write the body to `out`; returns its length.
/// Runs its own single-threaded runtime (call it after entering any namespace).
pub fn download(url: &str, out: &mut dyn Write) -> Result<u64> {
    download_with_date(url, out).map(|(n, _)| n)
}

/// `download`, also returning the response's Last-Modified header, when it has one.
pub fn download_with_date(url: &str, out: &mut dyn Write) -> Result<(u64, Option<String>)> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| crate::err!("starting the network runtime: {e}"))?;
    let r = rt.block_on(async {
        let client = reqwest::Client::builder()
            .build()
            .map_err(|e| crate::err!("{url}: {e}"))?;
        let mut resp = client
            .get(url)
            .send()
            .await
            .map_err(|e| crate::err!("{url}: {}", chain(&e)))?;
        if !resp.status().is_success() {
            crate::bail!("{url}: the server answered {}", resp.status());
        }
        let date = resp
            .headers()
            .get(reqwest::header::LAST_MODIFIED)
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let mut n = 0u64;
        while let Some(chunk) = resp.chunk().await.map_err(|e| crate::err!("{url}: {}", chain(&e)))? {
            out.write_all(&chunk).map_err(|e| crate::err!("{url}: writing: {e}"))?;
            n += chunk.len() as u64;
        }
        out.flush().map_err(|e| crate::err!("{url}: writing: {e}"))?;
        Ok((n, date))
    });
    rt.shutdown_background();
    r
}

/// An error with its causes, on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        src = c.source();
    }
    s.replace('\n', " ")
}
