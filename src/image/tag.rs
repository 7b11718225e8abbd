//! Naming images: new names (Podman's rules: no registry means `localhost/`) added to an image.

use crate::error::Result;
use crate::reference::ImageRef;
use crate::store::Store;

/// Podman's rule for new names: one without a registry lives under `localhost/`.
pub fn normalize_new_name(t: &str) -> Result<String> {
    let first = t.split('/').next().unwrap_or("");
    let qualified = t.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    let full = if qualified {
        t.to_string()
    } else {
        format!("localhost/{t}")
    };
    let r = ImageRef::parse(&full).map_err(|_| crate::err!("invalid image name \"{t}\""))?;
    if r.digest.is_some() {
        crate::bail!("cannot tag \"{t}\": a name with a digest cannot be a tag");
    }
    Ok(r.tagged().expect("tag defaults to latest"))
}

/// Give the image `image` names `targets` (each normalised first; nothing changes when one is bad).
pub fn tag(store: &Store, image: &str, targets: &[String]) -> Result<()> {
    let names = targets
        .iter()
        .map(|t| normalize_new_name(t))
        .collect::<Result<Vec<_>>>()?;
    let lock = store.lock_images()?;
    let mut idx = store.load_images()?;
    let n = idx.resolve(image)?;
    for name in &names {
        idx.add_name(n, name);
    }
    store.save_images(&idx, &lock)?;
    for t in targets {
        crate::events::image("tag", &idx.images[n].id, t);
    }
    Ok(())
}

/// Which of `names` (the image's names) `given` means: the name itself, `NAME@DIGEST` among
/// `digests`, or Podman's short forms (`app` = `localhost/app:latest` or a repository ending in
/// `/app` with that tag).
fn find_name(names: &[String], digests: &[String], given: &str) -> Option<(bool, String)> {
    if given.contains('@') {
        let r = ImageRef::parse(given).ok()?;
        let want = format!("{}@{}", r.name(), r.digest.as_deref().unwrap_or_default());
        return digests.iter().find(|d| **d == want).map(|d| (true, d.clone()));
    }
    if names.iter().any(|n| n == given) {
        return Some((false, given.to_string()));
    }
    let (repo, tag) = match given.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => (r, t),
        _ => (given, "latest"),
    };
    if let Ok(full) = normalize_new_name(given) {
        if names.contains(&full) {
            return Some((false, full));
        }
    }
    names
        .iter()
        .find(|n| {
            n.rsplit_once(':')
                .is_some_and(|(r, t)| t == tag && (r == repo || r.ends_with(&format!("/{repo}"))))
        })
        .map(|n| (false, n.clone()))
}

/// Remove `names` from the image `image` (every name, and its digest references, when `names`
/// is empty). Nothing changes when one of them is not a name of that image.
pub fn untag(store: &Store, image: &str, names: &[String]) -> Result<()> {
    let lock = store.lock_images()?;
    let mut idx = store.load_images()?;
    let n = idx.resolve(image)?;
    let img = &mut idx.images[n];
    let id = img.id.clone();
    let mut evs = Vec::new();
    if names.is_empty() {
        evs.extend(img.names.iter().cloned());
        img.names.clear();
        img.digests.clear();
    } else {
        let mut gone = Vec::new();
        for g in names {
            match find_name(&img.names, &img.digests, g) {
                Some(x) => gone.push(x),
                None => crate::bail!("{g}: tag not known"),
            }
        }
        for (digest, name) in gone {
            if digest {
                img.digests.retain(|d| *d != name);
            } else {
                img.names.retain(|x| *x != name);
            }
            evs.push(name);
        }
    }
    store.save_images(&idx, &lock)?;
    for name in &evs {
        crate::events::image("untag", &id, name);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn new_names() {
        assert_eq!(super::normalize_new_name("app").unwrap(), "localhost/app:latest");
        assert_eq!(super::normalize_new_name("me/app:v1").unwrap(), "localhost/me/app:v1");
        assert_eq!(
            super::normalize_new_name("quay.io/me/app:v1").unwrap(),
            "quay.io/me/app:v1"
        );
        assert!(super::normalize_new_name("Bad").is_err());
    }

    #[test]
    fn names_to_untag() {
        let names = vec!["localhost/app:latest".to_string(), "quay.io/me/web:1".to_string()];
        let digests = vec!["quay.io/me/web@sha256:".to_string() + &"a".repeat(64)];
        let f = |g: &str| super::find_name(&names, &digests, g).map(|x| x.1);
        assert_eq!(f("app").as_deref(), Some("localhost/app:latest"));
        assert_eq!(f("web:1").as_deref(), Some("quay.io/me/web:1"));
        assert_eq!(f("me/web:1").as_deref(), Some("quay.io/me/web:1"));
        assert_eq!(f("web"), None);
        assert!(f(&format!("quay.io/me/web@sha256:{}", "a".repeat(64))).is_some());
    }
}
