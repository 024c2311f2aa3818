//! Reads the program id from the program's own `declare_id!`, so the validator
//! deploys at exactly `bulwark::ID` without depending on the program crate.
use std::{fs, path::Path};

fn main() {
    let lib = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../programs/bulwark/src/lib.rs");
    println!("cargo:rerun-if-changed={}", lib.display());
    let src = fs::read_to_string(&lib).unwrap_or_else(|e| panic!("read {}: {e}", lib.display()));
    let id = src
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("declare_id!(\""))
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no declare_id!(\"...\") in {}", lib.display()));
    println!("cargo:rustc-env=BULWARK_PROGRAM_ID={id}");
}
