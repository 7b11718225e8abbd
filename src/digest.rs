//! Content digests and random ids: sha256 hex, `sha256:<hex>` validation, random hex names.
//! Pure helpers shared by the store, the registry client and the archive code.

use sha2::{Digest, Sha256};

use crate::error::Result;

/// The kernel's random numbers (getrandom(2)), for ids and names. Not rand's thread generator:
/// setting that up probes the CPU's features (a CPUID costs 12-15 µs in a VM, on every start),
/// and a fork would copy its state.
fn os_rng() -> rand::rand_core::UnwrapErr<rand::rngs::OsRng> {
    use rand::TryRngCore;
    rand::rngs::OsRng.unwrap_err()
}

/// Random hex (`bytes` random bytes), for ids and temp names.
pub fn random_hex(bytes: usize) -> String {
    let mut v = vec![0u8; bytes];
    rand::RngCore::fill_bytes(&mut os_rng(), &mut v);
    hex::encode(v)
}

/// A random number in `0..n` (n > 0).
pub fn random_below(n: usize) -> usize {
    rand::Rng::random_range(&mut os_rng(), 0..n)
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// `sha256:<hex>` -> `<hex>`, validated.
pub fn digest_hex(digest: &str) -> Result<&str> {
    crate::reference::validate_digest(digest).map_err(crate::error::Error::new)?;
    Ok(&digest[7..])
}
