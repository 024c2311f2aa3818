//! Reads the program id from the program's own `declare_id!`, so the validator
//! deploys at exactly `bulwark::ID` without depending on the program crate.
use std::{fs, path::Path};

fn main() {
    // The manifest dir of this run, not of the build that compiled this
    // script (`env!`): a build script binary is reused when only the
    // checkout's path changed (another clone, the same target dir).
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let lib = Path::new(&dir).join("../../programs/bulwark/src/lib.rs");
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
