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
    store.save_images(&idx, &lock)
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
}
