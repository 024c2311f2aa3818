//! The Solana CLI's conventions for `--url` and `--keypair`.

use solana_keypair::Keypair;
use std::path::{Path, PathBuf};

/// The Solana CLI's config file (`~/.config/solana/cli/config.yml`).
pub fn solana_cli_config_path() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config/solana/cli/config.yml"))
}

/// A `key: value` line of the CLI's YAML config (quotes stripped).
fn cli_config_value(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim() == key).then(|| v.trim().trim_matches(['"', '\'']).to_string())
    })
}

/// `--url` as the Solana CLI reads it: a moniker (`l`/`localhost`,
/// `d`/`devnet`, `m`/`mainnet-beta`, `t`/`testnet`) or a URL.
pub fn normalize_url(arg: &str) -> String {
    match arg {
        "l" | "localhost" => "http://localhost:8899".into(),
        "d" | "devnet" => "https://api.devnet.solana.com".into(),
        "m" | "mainnet-beta" => "https://api.mainnet-beta.solana.com".into(),
        "t" | "testnet" => "https://api.testnet.solana.com".into(),
        url => url.into(),
    }
}

/// The RPC URL: `--url` if given, else `json_rpc_url` of the CLI config
/// `config` (default `~/.config/solana/cli/config.yml`) if present, else
/// localhost.
pub fn resolve_url(arg: Option<&str>, config: Option<&Path>) -> String {
    if let Some(a) = arg {
        return normalize_url(a);
    }
    let path = config
        .map(Path::to_path_buf)
        .or_else(solana_cli_config_path);
    if let Some(text) = path.and_then(|p| std::fs::read_to_string(p).ok()) {
        if let Some(u) = cli_config_value(&text, "json_rpc_url").filter(|u| !u.is_empty()) {
            return normalize_url(&u);
        }
    }
    normalize_url("localhost")
}

/// The keypair file: `--keypair` if given, else `keypair_path` of the CLI
/// config if present, else `~/.config/solana/id.json`.
pub fn resolve_keypair_path(arg: Option<&Path>, config: Option<&Path>) -> PathBuf {
    if let Some(a) = arg {
        return expand_home(a);
    }
    let path = config
        .map(Path::to_path_buf)
        .or_else(solana_cli_config_path);
    if let Some(text) = path.and_then(|p| std::fs::read_to_string(p).ok()) {
        if let Some(k) = cli_config_value(&text, "keypair_path").filter(|k| !k.is_empty()) {
            return expand_home(Path::new(&k));
        }
    }
    expand_home(Path::new("~/.config/solana/id.json"))
}

fn expand_home(p: &Path) -> PathBuf {
    match (p.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(h)) => PathBuf::from(h).join(rest),
        _ => p.to_path_buf(),
    }
}

/// Reads a keypair file in the Solana CLI's format: a JSON array of the 64
/// bytes (secret key, then public key).
pub fn read_keypair_file(path: &Path) -> Result<Keypair, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let bytes: Vec<u8> = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a JSON array of bytes: {e}", path.display()))?;
    if bytes.len() != 64 {
        return Err(format!(
            "{}: a keypair is 64 bytes, found {}",
            path.display(),
            bytes.len()
        ));
    }
    Keypair::try_from(bytes.as_slice()).map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes a keypair file in the Solana CLI's format.
pub fn write_keypair_file(kp: &Keypair, path: &Path) -> Result<(), String> {
    let bytes = kp.to_bytes().to_vec();
    let text = serde_json::to_string(&bytes).map_err(|e| e.to_string())?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}
