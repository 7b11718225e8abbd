//! Link hutch as a non-PIE executable. Its relocated data (.data.rel.ro, .got) then needs no
//! runtime relocation and stays clean and shared between all hutch processes, instead of
//! ~150 KiB of private dirty pages in every per-container monitor (see benches/run.sh).
//! Shared libraries keep their ASLR; only hutch's own image loads at a fixed address.
fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
