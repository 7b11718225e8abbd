//! Image reference parsing and normalisation, Docker/Podman style. Pure: no I/O.
//!
//! `alpine` -> `docker.io/library/alpine:latest`; `host:5000/ns/name:tag`; `name@sha256:<hex>`.

use std::fmt;

use crate::error::Result;

pub const DEFAULT_REGISTRY: &str = "docker.io";
pub const DEFAULT_TAG: &str = "latest";

/// A fully-qualified image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    pub registry: String,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageRef {
    /// Parse a user-supplied reference, filling in the Docker defaults.
    pub fn parse(input: &str) -> Result<ImageRef> {
        let bad = |why: &str| crate::err!("invalid image reference \"{input}\": {why}");
        if input.is_empty() {
            return Err(bad("empty"));
        }
        if input.len() > 255 + 72 {
            return Err(bad("too long"));
        }
        let (name_tag, digest) = match input.split_once('@') {
            Some((n, d)) => {
                validate_digest(d).map_err(|w| bad(&w))?;
                (n, Some(d.to_string()))
            }
            None => (input, None),
        };
        // A tag is the part after the last ':' that follows the last '/'.
        let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name_tag[last_slash..].rfind(':') {
            Some(i) => {
                let tag = &name_tag[last_slash + i + 1..];
                if !valid_tag(tag) {
                    return Err(bad(&format!("invalid tag \"{tag}\"")));
                }
                (&name_tag[..last_slash + i], Some(tag.to_string()))
            }
            None => (name_tag, None),
        };
        if name.is_empty() {
            return Err(bad("missing repository name"));
        }
        let (registry, path) = match name.split_once('/') {
            Some((first, rest)) if first.contains('.') || first.contains(':') || first == "localhost" => {
                (first.to_string(), rest.to_string())
            }
            _ => (DEFAULT_REGISTRY.to_string(), name.to_string()),
        };
        let registry = if registry == "index.docker.io" || registry == "registry-1.docker.io" {
            DEFAULT_REGISTRY.to_string()
        } else {
            registry
        };
        if !valid_registry(&registry) {
            return Err(bad(&format!("invalid registry \"{registry}\"")));
        }
        let path = if registry == DEFAULT_REGISTRY && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        for comp in path.split('/') {
            if comp.chars().any(|c| c.is_ascii_uppercase()) {
                return Err(bad("repository name must be lowercase"));
            }
            if !valid_path_component(comp) {
                return Err(bad(&format!("invalid repository name component \"{comp}\"")));
            }
        }
        let tag = if tag.is_none() && digest.is_none() {
            Some(DEFAULT_TAG.to_string())
        } else {
            tag
        };
        Ok(ImageRef {
            registry,
            repository: path,
            tag,
            digest,
        })
    }

    /// `registry/repository` without tag or digest.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// `registry/repository:tag`, when there is a tag.
    pub fn tagged(&self) -> Option<String> {
        self.tag.as_ref().map(|t| format!("{}:{}", self.name(), t))
    }

    /// What the registry should be asked for: the digest when one was given, else the tag.
    pub fn to_oci(&self) -> oci_client::Reference {
        match &self.digest {
            Some(d) => oci_client::Reference::with_digest(self.registry.clone(), self.repository.clone(), d.clone()),
            None => oci_client::Reference::with_tag(
                self.registry.clone(),
                self.repository.clone(),
                self.tag.clone().unwrap_or_else(|| DEFAULT_TAG.into()),
            ),
        }
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name())?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// Check `sha256:<64 lowercase hex>` (the only algorithm hutch stores).
pub fn validate_digest(d: &str) -> std::result::Result<(), String> {
    let Some((algo, hex)) = d.split_once(':') else {
        return Err(format!("invalid digest \"{d}\": expected algorithm:hex"));
    };
    if algo != "sha256" {
        return Err(format!("unsupported digest algorithm \"{algo}\""));
    }
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(format!("invalid digest \"{d}\": expected 64 lowercase hex digits"));
    }
    Ok(())
}

fn valid_tag(t: &str) -> bool {
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

fn valid_registry(r: &str) -> bool {
    let (host, port) = match r.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') && !h.contains(':') || h.starts_with('[') => (h, Some(p)),
        _ => (r, None),
    };
    if let Some(p) = port {
        if p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()) || p.parse::<u32>().map_or(true, |n| n > 65535) {
            return false;
        }
    }
    if host.starts_with('[') {
        return host.ends_with(']') && host[1..host.len() - 1].parse::<std::net::Ipv6Addr>().is_ok();
    }
    !host.is_empty()
        && host.split('.').all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
        })
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn valid_path_component(c: &str) -> bool {
    let b = c.as_bytes();
    if b.is_empty() || !b[0].is_ascii_alphanumeric() || !b[b.len() - 1].is_ascii_alphanumeric() {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_lowercase() || b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && matches!(b[i], b'.' | b'_' | b'-') {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok || i >= b.len() {
            return false;
        }
        if !(b[i].is_ascii_lowercase() || b[i].is_ascii_digit()) {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> String {
        ImageRef::parse(s).unwrap().to_string()
    }

    #[test]
    fn docker_hub_defaults() {
        assert_eq!(p("alpine"), "docker.io/library/alpine:latest");
        assert_eq!(p("alpine:3.19"), "docker.io/library/alpine:3.19");
        assert_eq!(p("user/app"), "docker.io/user/app:latest");
        assert_eq!(p("index.docker.io/library/alpine"), "docker.io/library/alpine:latest");
        assert_eq!(p("docker.io/alpine"), "docker.io/library/alpine:latest");
    }

    #[test]
    fn registries_ports_and_digests() {
        assert_eq!(
            p("127.0.0.1:5000/fixtures/basic"),
            "127.0.0.1:5000/fixtures/basic:latest"
        );
        assert_eq!(p("localhost/app:v1"), "localhost/app:v1");
        assert_eq!(p("quay.io/a/b/c:1.0-rc_1"), "quay.io/a/b/c:1.0-rc_1");
        let d = "sha256:".to_string() + &"ab".repeat(32);
        let r = ImageRef::parse(&format!("host:5000/x@{d}")).unwrap();
        assert_eq!(r.tag, None);
        assert_eq!(r.digest.as_deref(), Some(d.as_str()));
        let r = ImageRef::parse(&format!("host:5000/x:t@{d}")).unwrap();
        assert_eq!(r.tag.as_deref(), Some("t"));
        assert_eq!(r.to_string(), format!("host:5000/x:t@{d}"));
        assert_eq!(p("[::1]:5000/x"), "[::1]:5000/x:latest");
    }

    #[test]
    fn rejects_bad_input() {
        for bad in [
            "",
            "UPPER",
            "a/B",
            "x:",
            "x:-bad",
            "x@sha256:abc",
            "x@md5:0123",
            "a//b",
            "a/-b",
            "a/b-",
            "host:99999/x",
            "x:tag with space",
            "a..b/c",
            &format!("x:{}", "t".repeat(129)),
        ] {
            assert!(ImageRef::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        let e = ImageRef::parse("Foo").unwrap_err().to_string();
        assert!(e.contains("\"Foo\"") && e.contains("lowercase"), "{e}");
    }

    #[test]
    fn separators() {
        assert!(valid_path_component("a__b"));
        assert!(valid_path_component("a---b"));
        assert!(valid_path_component("a.b_c"));
        assert!(!valid_path_component("a___b"));
        assert!(!valid_path_component("a._b"));
    }
}
