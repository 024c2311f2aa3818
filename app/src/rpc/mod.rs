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

mod cli_config;
#[cfg(test)]
mod tests;

pub use cli_config::*;

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
