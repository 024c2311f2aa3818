//! The RPC implementation of [`Chain`]: a Solana cluster through the
//! nonblocking `RpcClient`, plus the Solana CLI's conventions for `--url`
//! and `--keypair`, and compute budgets sized by simulation.

use crate::chain::{TxError, TxOk};
use crate::chain_trait::Chain;
use anchor_lang::prelude::Pubkey;
use anchor_spl::token::spl_token;
use solana_account::Account;
use solana_commitment_config::CommitmentConfig;
use solana_instruction::error::InstructionError;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::config::{
    RpcAccountInfoConfig, RpcProgramAccountsConfig, RpcSimulateTransactionConfig,
    RpcTransactionConfig, UiAccountEncoding, UiTransactionEncoding,
};
use solana_rpc_client_api::filter::{Memcmp, RpcFilterType};
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;
use std::path::{Path, PathBuf};

// ------------------------------------------------------------ CLI conventions

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

// ------------------------------------------------------------ compute budget

/// The ComputeBudget program.
pub const COMPUTE_BUDGET_ID: Pubkey =
    Pubkey::from_str_const("ComputeBudget111111111111111111111111111111");

/// Solana's per-transaction maximum.
pub const MAX_COMPUTE_UNITS: u32 = 1_400_000;

/// `ComputeBudgetInstruction::SetComputeUnitLimit(units)`.
pub fn set_compute_unit_limit(units: u32) -> Instruction {
    let mut data = vec![2u8];
    data.extend_from_slice(&units.to_le_bytes());
    Instruction {
        program_id: COMPUTE_BUDGET_ID,
        accounts: vec![],
        data,
    }
}

/// The limit for a transaction that consumed `used` units in simulation:
/// used × 1.2 (rounded up, capped at the maximum); None when the simulation
/// measured nothing (a native build of the program).
pub fn sized_limit(used: u64) -> Option<u32> {
    (used > 0).then(|| (used.saturating_mul(12).div_ceil(10)).min(MAX_COMPUTE_UNITS as u64) as u32)
}

/// The instructions with a compute-unit limit sized by simulation
/// prepended (unchanged when the simulation measured nothing, or when they
/// already set a limit).
pub async fn with_sized_budget<C: Chain>(
    chain: &mut C,
    ixs: &[Instruction],
    signers: &[&Keypair],
) -> Result<Vec<Instruction>, TxError> {
    if ixs.iter().any(|i| i.program_id == COMPUTE_BUDGET_ID) {
        return Ok(ixs.to_vec());
    }
    // Simulate under the maximum so that an expensive transaction measures
    // instead of failing on the default limit.
    let mut probe = vec![set_compute_unit_limit(MAX_COMPUTE_UNITS)];
    probe.extend_from_slice(ixs);
    let used = chain.simulate_units(&probe, signers).await?;
    Ok(match sized_limit(used) {
        Some(limit) => {
            let mut v = vec![set_compute_unit_limit(limit)];
            v.extend_from_slice(ixs);
            v
        }
        None => ixs.to_vec(),
    })
}

// ------------------------------------------------------------ RpcChain

/// A cluster over JSON-RPC. The payer pays and signs every transaction;
/// each one is simulated first and sent with a compute-unit limit of what
/// it used × 1.2.
pub struct RpcChain {
    pub client: RpcClient,
    payer: Keypair,
    /// Size the compute budget by simulation (default on).
    pub size_compute: bool,
    /// Fetch each sent transaction's logs and compute units (default on).
    pub fetch_logs: bool,
}

fn tx_error(e: TransactionError) -> TxError {
    match e {
        TransactionError::InstructionError(i, InstructionError::Custom(c)) => {
            TxError::Custom { index: i, code: c }
        }
        other => TxError::Other(format!("{other:?}")),
    }
}

fn client_error(e: solana_rpc_client_api::client_error::Error) -> TxError {
    match e.get_transaction_error() {
        Some(t) => tx_error(t),
        None => TxError::Other(e.to_string()),
    }
}

impl RpcChain {
    /// `url` as given to `--url` (monikers accepted), commitment `confirmed`.
    pub fn new(url: &str, payer: Keypair) -> Self {
        Self::with_client(
            RpcClient::new_with_commitment(normalize_url(url), CommitmentConfig::confirmed()),
            payer,
        )
    }

    pub fn with_client(client: RpcClient, payer: Keypair) -> Self {
        Self {
            client,
            payer,
            size_compute: true,
            fetch_logs: true,
        }
    }

    pub fn payer(&self) -> &Keypair {
        &self.payer
    }

    pub fn url(&self) -> String {
        self.client.url()
    }

    /// Fails with a readable message when the cluster does not answer.
    pub async fn check_connection(&self) -> Result<(), String> {
        self.client
            .get_latest_blockhash()
            .await
            .map(|_| ())
            .map_err(|e| format!("cannot reach the cluster at {}: {e}", self.url()))
    }

    /// Whether the URL points at this machine (a local validator).
    pub fn is_local(&self) -> bool {
        let u = self.url();
        u.contains("://localhost") || u.contains("://127.0.0.1") || u.contains("://[::1]")
    }

    async fn build(
        &self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<Transaction, TxError> {
        let bh = self
            .client
            .get_latest_blockhash()
            .await
            .map_err(client_error)?;
        let payer = self.payer.pubkey();
        let mut all: Vec<&Keypair> = vec![&self.payer];
        for s in signers {
            let k = s.pubkey();
            let needed = ixs
                .iter()
                .any(|ix| ix.accounts.iter().any(|a| a.pubkey == k && a.is_signer));
            if k != payer && needed && !all.iter().any(|x| x.pubkey() == k) {
                all.push(s);
            }
        }
        Ok(Transaction::new_signed_with_payer(
            ixs,
            Some(&payer),
            &all,
            bh,
        ))
    }
}

impl RpcChain {
    /// The insurance ledger entries the program emitted (`emit_cpi!`),
    /// read from the successful transactions that wrote the ledger PDA
    /// (newest first from `getSignaturesForAddress`, at most `max_txs`),
    /// returned oldest first, sorted by sequence number. Only what the
    /// node's history still holds can be read.
    pub async fn ledger_events(
        &self,
        max_txs: usize,
    ) -> Result<Vec<bulwark::state::InsuranceLedgerEntry>, String> {
        use solana_rpc_client::rpc_client::GetConfirmedSignaturesForAddress2Config;
        use solana_transaction_status_client_types::{
            EncodedTransaction, UiInstruction, UiMessage,
        };
        let ledger = crate::ix::insurance_ledger_pda();
        let mut sigs = Vec::new();
        let mut before = None;
        while sigs.len() < max_txs {
            let page = self
                .client
                .get_signatures_for_address_with_config(
                    &ledger,
                    GetConfirmedSignaturesForAddress2Config {
                        before,
                        until: None,
                        limit: Some((max_txs - sigs.len()).min(1000)),
                        commitment: Some(self.client.commitment()),
                    },
                )
                .await
                .map_err(|e| format!("getSignaturesForAddress: {e}"))?;
            let Some(last) = page.last() else { break };
            before = Some(
                last.signature
                    .parse()
                    .map_err(|e| format!("signature {}: {e}", last.signature))?,
            );
            let n = page.len();
            sigs.extend(page.into_iter().filter(|s| s.err.is_none()));
            if n < 1000 {
                break;
            }
        }
        let tag = anchor_lang::event::EVENT_IX_TAG_LE;
        let program = bulwark::ID.to_string();
        let mut payloads = Vec::new();
        for s in sigs.iter().rev() {
            let sig = s
                .signature
                .parse()
                .map_err(|e| format!("signature {}: {e}", s.signature))?;
            let cfg = RpcTransactionConfig {
                encoding: Some(UiTransactionEncoding::Json),
                commitment: Some(self.client.commitment()),
                max_supported_transaction_version: Some(0),
            };
            let t = self
                .client
                .get_transaction_with_config(&sig, cfg)
                .await
                .map_err(|e| format!("getTransaction {}: {e}", s.signature))?;
            let Some(meta) = t.transaction.meta else {
                continue;
            };
            let mut keys = match &t.transaction.transaction {
                EncodedTransaction::Json(ui) => match &ui.message {
                    UiMessage::Raw(raw) => raw.account_keys.clone(),
                    UiMessage::Parsed(p) => {
                        p.account_keys.iter().map(|k| k.pubkey.clone()).collect()
                    }
                },
                _ => continue,
            };
            let loaded: Option<solana_transaction_status_client_types::UiLoadedAddresses> =
                meta.loaded_addresses.into();
            if let Some(l) = loaded {
                keys.extend(l.writable);
                keys.extend(l.readonly);
            }
            let inner: Option<Vec<solana_transaction_status_client_types::UiInnerInstructions>> =
                meta.inner_instructions.into();
            for group in inner.unwrap_or_default() {
                for i in group.instructions {
                    let UiInstruction::Compiled(c) = i else {
                        continue;
                    };
                    if keys.get(c.program_id_index as usize) != Some(&program) {
                        continue;
                    }
                    let Ok(data) = bs58::decode(&c.data).into_vec() else {
                        continue;
                    };
                    if data.len() >= 16 && &data[..8] == tag {
                        payloads.push(data[8..].to_vec());
                    }
                }
            }
        }
        let mut entries = crate::client::ledger_entries_from_cpi(&payloads);
        entries.sort_by_key(|e| e.seq);
        entries.dedup_by_key(|e| e.seq);
        Ok(entries)
    }
}

impl Chain for RpcChain {
    async fn send(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> Result<TxOk, TxError> {
        let ixs = if self.size_compute {
            with_sized_budget(self, ixs, signers).await?
        } else {
            ixs.to_vec()
        };
        let tx = self.build(&ixs, signers).await?;
        let sig = self
            .client
            .send_and_confirm_transaction(&tx)
            .await
            .map_err(client_error)?;
        let mut ok = TxOk::default();
        if self.fetch_logs {
            // Best effort: the logs carry the program's events.
            let cfg = RpcTransactionConfig {
                encoding: Some(UiTransactionEncoding::Json),
                commitment: Some(self.client.commitment()),
                max_supported_transaction_version: Some(0),
            };
            if let Ok(t) = self.client.get_transaction_with_config(&sig, cfg).await {
                if let Some(meta) = t.transaction.meta {
                    let logs: Option<Vec<String>> = meta.log_messages.into();
                    let units: Option<u64> = meta.compute_units_consumed.into();
                    ok.logs = logs.unwrap_or_default();
                    ok.compute_units = units.unwrap_or(0);
                }
            }
        }
        Ok(ok)
    }

    async fn account_data(&mut self, key: &Pubkey) -> Vec<u8> {
        Chain::account(self, key)
            .await
            .map(|a| a.data)
            .unwrap_or_default()
    }

    async fn token_balance(&mut self, key: &Pubkey) -> u64 {
        use anchor_lang::solana_program::program_pack::Pack;
        match Chain::account(self, key).await {
            Some(a) => spl_token::state::Account::unpack(&a.data)
                .map(|t| t.amount)
                .unwrap_or(0),
            None => 0,
        }
    }

    async fn unix_time(&mut self) -> i64 {
        // The clock sysvar: slot, epoch_start_timestamp, epoch,
        // leader_schedule_epoch, unix_timestamp (all 8 bytes, LE).
        let clock = Pubkey::from_str_const("SysvarC1ock11111111111111111111111111111111");
        let d = self.account_data(&clock).await;
        if d.len() >= 40 {
            i64::from_le_bytes(d[32..40].try_into().expect("8 bytes"))
        } else {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        }
    }

    fn payer_key(&self) -> Pubkey {
        self.payer.pubkey()
    }

    async fn account(&mut self, key: &Pubkey) -> Option<Account> {
        self.client
            .get_account_with_commitment(key, self.client.commitment())
            .await
            .ok()
            .and_then(|r| r.value)
    }

    async fn program_accounts(&mut self, discriminator: &[u8]) -> Vec<(Pubkey, Vec<u8>)> {
        let config = RpcProgramAccountsConfig {
            filters: Some(vec![RpcFilterType::Memcmp(Memcmp::new_raw_bytes(
                0,
                discriminator.to_vec(),
            ))]),
            account_config: RpcAccountInfoConfig {
                encoding: Some(UiAccountEncoding::Base64),
                commitment: Some(self.client.commitment()),
                ..Default::default()
            },
            ..Default::default()
        };
        let mut out: Vec<(Pubkey, Vec<u8>)> = self
            .client
            .get_program_ui_accounts_with_config(&bulwark::ID, config)
            .await
            .map(|v| {
                v.into_iter()
                    .filter_map(|(k, a)| a.to_account().map(|a| (k, a.data)))
                    .collect()
            })
            .unwrap_or_default();
        out.sort_by_key(|(k, _)| *k);
        out
    }

    async fn simulate_units(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<u64, TxError> {
        let tx = self.build(ixs, signers).await?;
        let r = self
            .client
            .simulate_transaction_with_config(
                &tx,
                RpcSimulateTransactionConfig {
                    sig_verify: false,
                    replace_recent_blockhash: true,
                    commitment: Some(self.client.commitment()),
                    ..Default::default()
                },
            )
            .await
            .map_err(client_error)?
            .value;
        if let Some(e) = r.err {
            return Err(tx_error(e.into()));
        }
        Ok(r.units_consumed.unwrap_or(0))
    }

    async fn minimum_balance(&mut self, len: usize) -> u64 {
        self.client
            .get_minimum_balance_for_rent_exemption(len)
            .await
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_monikers_follow_the_solana_cli() {
        assert_eq!(normalize_url("l"), "http://localhost:8899");
        assert_eq!(normalize_url("localhost"), "http://localhost:8899");
        assert_eq!(normalize_url("d"), "https://api.devnet.solana.com");
        assert_eq!(normalize_url("m"), "https://api.mainnet-beta.solana.com");
        assert_eq!(
            normalize_url("mainnet-beta"),
            "https://api.mainnet-beta.solana.com"
        );
        assert_eq!(normalize_url("t"), "https://api.testnet.solana.com");
        assert_eq!(normalize_url("http://x:1"), "http://x:1");
    }

    #[test]
    fn defaults_come_from_the_cli_config_else_localhost() {
        let dir = std::env::temp_dir().join(format!("bulwark-cli-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cfg = dir.join("config.yml");
        std::fs::write(
            &cfg,
            "---\njson_rpc_url: \"https://api.devnet.solana.com\"\nwebsocket_url: ''\nkeypair_path: /tmp/k.json\ncommitment: confirmed\n",
        )
        .unwrap();
        assert_eq!(
            resolve_url(None, Some(&cfg)),
            "https://api.devnet.solana.com"
        );
        assert_eq!(
            resolve_url(Some("t"), Some(&cfg)),
            "https://api.testnet.solana.com"
        );
        assert_eq!(
            resolve_keypair_path(None, Some(&cfg)),
            PathBuf::from("/tmp/k.json")
        );
        let missing = dir.join("none.yml");
        assert_eq!(resolve_url(None, Some(&missing)), "http://localhost:8899");
        assert!(resolve_keypair_path(None, Some(&missing)).ends_with(".config/solana/id.json"));
        // Keypair files round-trip in the CLI's JSON format.
        let kp = Keypair::new();
        let path = dir.join("id.json");
        write_keypair_file(&kp, &path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with('[') && text.split(',').count() == 64);
        assert_eq!(read_keypair_file(&path).unwrap().pubkey(), kp.pubkey());
        std::fs::write(&path, "[1,2,3]").unwrap();
        assert!(read_keypair_file(&path).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn compute_limit_is_usage_plus_a_fifth() {
        assert_eq!(sized_limit(0), None);
        assert_eq!(sized_limit(100_000), Some(120_000));
        assert_eq!(sized_limit(10_001), Some(12_002));
        assert_eq!(sized_limit(2_000_000), Some(MAX_COMPUTE_UNITS));
        let ix = set_compute_unit_limit(120_000);
        assert_eq!(ix.data, [2, 0xC0, 0xD4, 0x01, 0x00]);
    }

    #[tokio::test]
    async fn rpc_chain_decodes_accounts_clock_and_program_accounts_from_json_rpc() {
        use base64::Engine;
        use solana_rpc_client::nonblocking::rpc_client::Mocks;
        use solana_rpc_client_api::request::RpcRequest;
        let b64 = |d: &[u8]| base64::engine::general_purpose::STANDARD.encode(d);
        let owner = bulwark::ID.to_string();
        let mut clock = vec![0u8; 40];
        clock[32..40].copy_from_slice(&1_700_000_123i64.to_le_bytes());
        let key = Pubkey::new_unique();
        let mut mocks = Mocks::new();
        mocks.insert(
            RpcRequest::GetAccountInfo,
            serde_json::json!({"context": {"slot": 1}, "value": {
                "data": [b64(&clock), "base64"], "executable": false,
                "lamports": 1, "owner": "Sysvar1111111111111111111111111111111111111",
                "rentEpoch": 0, "space": 40 }}),
        );
        mocks.insert(
            RpcRequest::GetProgramAccounts,
            serde_json::json!([{ "pubkey": key.to_string(), "account": {
                "data": [b64(&[7, 7, 7, 7, 7, 7, 7, 7, 1]), "base64"], "executable": false,
                "lamports": 1, "owner": owner, "rentEpoch": 0, "space": 9 }}]),
        );
        mocks.insert(
            RpcRequest::GetMinimumBalanceForRentExemption,
            serde_json::json!(1234),
        );
        let client = RpcClient::new_mock_with_mocks("succeeds".into(), mocks);
        let mut chain = RpcChain::with_client(client, Keypair::new());
        assert_eq!(chain.unix_time().await, 1_700_000_123);
        let accts = chain.program_accounts(&[7; 8]).await;
        assert_eq!(accts, vec![(key, vec![7, 7, 7, 7, 7, 7, 7, 7, 1])]);
        assert_eq!(chain.minimum_balance(10).await, 1234);
        assert!(!chain.is_local());
    }

    /// Answers like the library's mock, except that simulations report
    /// 50,000 units and sent transactions are recorded.
    struct Recorder {
        inner: solana_rpc_client::mock_sender::MockSender,
        sent: std::sync::Arc<std::sync::Mutex<Vec<Transaction>>>,
    }

    #[async_trait::async_trait]
    impl solana_rpc_client::rpc_sender::RpcSender for Recorder {
        async fn send(
            &self,
            request: solana_rpc_client_api::request::RpcRequest,
            params: serde_json::Value,
        ) -> solana_rpc_client_api::client_error::Result<serde_json::Value> {
            use base64::Engine;
            use solana_rpc_client_api::request::RpcRequest;
            match request {
                RpcRequest::SimulateTransaction => Ok(serde_json::json!({
                    "context": {"slot": 1},
                    "value": {"err": null, "logs": [], "unitsConsumed": 50_000}
                })),
                RpcRequest::SendTransaction => {
                    let b = params[0].as_str().unwrap();
                    let bytes = base64::engine::general_purpose::STANDARD.decode(b).unwrap();
                    let tx: Transaction = bincode::deserialize(&bytes).unwrap();
                    let sig = tx.signatures[0].to_string();
                    self.sent.lock().unwrap().push(tx);
                    Ok(serde_json::Value::String(sig))
                }
                _ => self.inner.send(request, params).await,
            }
        }
        fn get_transport_stats(&self) -> solana_rpc_client::rpc_sender::RpcTransportStats {
            Default::default()
        }
        fn url(&self) -> String {
            "recorder".into()
        }
    }

    #[tokio::test]
    async fn rpc_send_prepends_a_compute_limit_of_simulated_usage_plus_a_fifth() {
        let sent = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let client = RpcClient::new_sender(
            Recorder {
                inner: solana_rpc_client::mock_sender::MockSender::new("succeeds"),
                sent: sent.clone(),
            },
            solana_rpc_client::rpc_client::RpcClientConfig::with_commitment(
                CommitmentConfig::confirmed(),
            ),
        );
        let payer = Keypair::new();
        let payer_key = payer.pubkey();
        let mut chain = RpcChain::with_client(client, payer);
        chain.fetch_logs = false;
        let market = Pubkey::new_unique();
        chain
            .send(&[crate::ix::update_funding(&market)], &[])
            .await
            .expect("sent");
        let txs = sent.lock().unwrap();
        assert_eq!(txs.len(), 1);
        let msg = &txs[0].message;
        assert_eq!(msg.account_keys[0], payer_key);
        let first = &msg.instructions[0];
        assert_eq!(
            msg.account_keys[first.program_id_index as usize],
            COMPUTE_BUDGET_ID
        );
        assert_eq!(first.data, set_compute_unit_limit(60_000).data);
        let second = &msg.instructions[1];
        assert_eq!(
            msg.account_keys[second.program_id_index as usize],
            bulwark::ID
        );
    }

    /// Answers getSignaturesForAddress and getTransaction with one ledger
    /// transaction; everything else like the library's mock.
    struct LedgerNode {
        inner: solana_rpc_client::mock_sender::MockSender,
        tx: serde_json::Value,
        sig: String,
    }

    #[async_trait::async_trait]
    impl solana_rpc_client::rpc_sender::RpcSender for LedgerNode {
        async fn send(
            &self,
            request: solana_rpc_client_api::request::RpcRequest,
            params: serde_json::Value,
        ) -> solana_rpc_client_api::client_error::Result<serde_json::Value> {
            use solana_rpc_client_api::request::RpcRequest;
            match request {
                RpcRequest::GetSignaturesForAddress => {
                    assert_eq!(params[0], crate::ix::insurance_ledger_pda().to_string());
                    Ok(serde_json::json!([
                        { "signature": self.sig, "slot": 5, "err": null, "memo": null,
                          "blockTime": null, "confirmationStatus": "finalized" },
                        { "signature": bs58::encode([9u8; 64]).into_string(), "slot": 4,
                          "err": {"InstructionError": [0, {"Custom": 1}]}, "memo": null,
                          "blockTime": null, "confirmationStatus": "finalized" }
                    ]))
                }
                RpcRequest::GetTransaction => {
                    assert_eq!(params[0], self.sig.as_str());
                    Ok(self.tx.clone())
                }
                _ => self.inner.send(request, params).await,
            }
        }
        fn get_transport_stats(&self) -> solana_rpc_client::rpc_sender::RpcTransportStats {
            Default::default()
        }
        fn url(&self) -> String {
            "ledger".into()
        }
    }

    #[tokio::test]
    async fn ledger_events_are_read_from_the_program_self_invocations() {
        use anchor_lang::{AnchorSerialize, Discriminator};
        use bulwark::state::InsuranceLedgerEntry;
        let entry = InsuranceLedgerEntry {
            seq: 0,
            slot: 5,
            unix_ts: 1_700_000_000,
            kind: 2,
            market: Pubkey::default(),
            counterparty: Pubkey::new_unique(),
            amount: 40_000_000_000,
            balance_after: 40_000_000_000,
            shares_after: 40_000_000_000,
            total_inflows_after: 40_000_000_000,
            hash_after: [7; 32],
        };
        let mut data = anchor_lang::event::EVENT_IX_TAG_LE.to_vec();
        data.extend_from_slice(InsuranceLedgerEntry::DISCRIMINATOR);
        entry.serialize(&mut data).unwrap();
        let b58 = bs58::encode(&data).into_string();
        let sig = bs58::encode([3u8; 64]).into_string();
        let fake = Pubkey::new_unique().to_string();
        let tx = serde_json::json!({
            "slot": 5, "blockTime": null,
            "transaction": {
                "signatures": [sig],
                "message": {
                    "header": {"numRequiredSignatures": 1, "numReadonlySignedAccounts": 0,
                               "numReadonlyUnsignedAccounts": 2},
                    "accountKeys": [Pubkey::new_unique().to_string(), bulwark::ID.to_string(),
                                    crate::ix::event_authority().to_string()],
                    "recentBlockhash": Pubkey::new_unique().to_string(),
                    "instructions": []
                }
            },
            "meta": {
                "err": null, "status": {"Ok": null}, "fee": 5000,
                "preBalances": [], "postBalances": [],
                "innerInstructions": [{"index": 0, "instructions": [
                    {"programIdIndex": 1, "accounts": [2], "data": b58, "stackHeight": 2},
                    {"programIdIndex": 3, "accounts": [], "data": b58, "stackHeight": 2}
                ]}],
                "logMessages": [],
                "loadedAddresses": {"writable": [], "readonly": [fake]}
            }
        });
        let client = RpcClient::new_sender(
            LedgerNode {
                inner: solana_rpc_client::mock_sender::MockSender::new("succeeds"),
                tx,
                sig,
            },
            solana_rpc_client::rpc_client::RpcClientConfig::with_commitment(
                CommitmentConfig::confirmed(),
            ),
        );
        let chain = RpcChain::with_client(client, Keypair::new());
        let events = chain.ledger_events(100).await.unwrap();
        // The copy "invoked" by another program is ignored; so is the
        // failed transaction.
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].amount, entry.amount);
        assert_eq!(events[0].counterparty, entry.counterparty);
        assert_eq!(events[0].hash_after, [7; 32]);
    }
}
