//! Content digests and random ids: sha256 hex, `sha256:<hex>` validation, random hex names.
//! Pure helpers shared by the store, the registry client and the archive code.

use sha2::{Digest, Sha256};

use crate::error::Result;

/// Random hex (`bytes` random bytes), for ids and temp names.
pub fn random_hex(bytes: usize) -> String {
    let v: Vec<u8> = (0..bytes).map(|_| rand::random::<u8>()).collect();
    hex::encode(v)
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// `sha256:<hex>` -> `<hex>`, validated.
pub fn digest_hex(digest: &str) -> Result<&str> {
    crate::reference::validate_digest(digest).map_err(crate::error::Error::new)?;
    Ok(&digest[7..])
}
