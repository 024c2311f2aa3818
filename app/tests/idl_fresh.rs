//! idl/bulwark.json must be what the program generates today
//! (`scripts/idl` regenerates it; this runs `scripts/idl --check`).

#[test]
fn committed_idl_is_not_stale() {
    let repo = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let out = std::process::Command::new("bash")
        .arg(format!("{repo}/scripts/idl"))
        .arg("--check")
        .current_dir(repo)
        .output()
        .expect("scripts/idl runs");
    assert!(
        out.status.success(),
        "scripts/idl --check failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
