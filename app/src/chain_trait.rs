//! One interface over "a chain": the embedded in-process chain here, an RPC
//! cluster (`crate::rpc::RpcChain`) in the same shape. Keeper, audit,
//! bootstrap, the trader commands and simulate are written against it, so
//! everything the CLI does over RPC is tested end-to-end on the embedded
//! chain.

use crate::chain::{EmbeddedChain, TxError, TxOk};
use anchor_lang::prelude::Pubkey;
use solana_account::Account;
use solana_instruction::Instruction;
use solana_keypair::Keypair;

#[allow(async_fn_in_trait)]
pub trait Chain {
    /// Sends one transaction paid by the chain's payer and signed by
    /// `signers` (only those the instructions need).
    async fn send(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> Result<TxOk, TxError>;
    async fn account_data(&mut self, key: &Pubkey) -> Vec<u8>;
    async fn token_balance(&mut self, key: &Pubkey) -> u64;
    /// The cluster's unix time (the clock sysvar).
    async fn unix_time(&mut self) -> i64;

    /// The fee payer of every transaction `send` makes.
    fn payer_key(&self) -> Pubkey;
    /// The whole account, if it exists.
    async fn account(&mut self, key: &Pubkey) -> Option<Account>;
    /// Accounts owned by the Bulwark program whose data starts with
    /// `discriminator`, in key order.
    async fn program_accounts(&mut self, discriminator: &[u8]) -> Vec<(Pubkey, Vec<u8>)>;
    /// Compute units the transaction would consume (0 when unknown, e.g. a
    /// native build of the program), or the error it would fail with.
    async fn simulate_units(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<u64, TxError>;
    /// Lamports that make an account of `len` bytes rent-exempt.
    async fn minimum_balance(&mut self, len: usize) -> u64;
    /// Writes an account directly: only an embedded chain can (simulated
    /// oracles); a real cluster returns an error.
    async fn write_account(&mut self, _key: &Pubkey, _account: Account) -> Result<(), String> {
        Err("a real cluster's accounts cannot be written directly".into())
    }
}

fn blockhash_expired<T>(r: &Result<T, TxError>) -> bool {
    matches!(r, Err(TxError::Other(s)) if s.contains("BlockhashNotFound"))
}

impl Chain for EmbeddedChain {
    async fn send(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> Result<TxOk, TxError> {
        // program-test makes a slot every few ms and a blockhash expires
        // after 150 of them: a loop that runs on wall time (the keeper)
        // renews it once and retries.
        let r = EmbeddedChain::send(self, ixs, signers).await;
        if blockhash_expired(&r) {
            self.refresh_blockhash().await?;
            return EmbeddedChain::send(self, ixs, signers).await;
        }
        r
    }
    async fn account_data(&mut self, key: &Pubkey) -> Vec<u8> {
        EmbeddedChain::account_data(self, key).await
    }
    async fn token_balance(&mut self, key: &Pubkey) -> u64 {
        EmbeddedChain::token_balance(self, key).await
    }
    async fn unix_time(&mut self) -> i64 {
        self.clock().await.unix_timestamp
    }
    fn payer_key(&self) -> Pubkey {
        self.payer_pubkey()
    }
    async fn account(&mut self, key: &Pubkey) -> Option<Account> {
        EmbeddedChain::account(self, key).await
    }
    async fn program_accounts(&mut self, discriminator: &[u8]) -> Vec<(Pubkey, Vec<u8>)> {
        let mut out = Vec::new();
        for k in self.known_accounts() {
            if let Some(a) = EmbeddedChain::account(self, &k).await {
                if a.owner == bulwark::ID && a.data.starts_with(discriminator) {
                    out.push((k, a.data));
                }
            }
        }
        out
    }
    async fn simulate_units(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<u64, TxError> {
        let r = EmbeddedChain::simulate_units(self, ixs, signers).await;
        if blockhash_expired(&r) {
            self.refresh_blockhash().await?;
            return EmbeddedChain::simulate_units(self, ixs, signers).await;
        }
        r
    }
    async fn minimum_balance(&mut self, len: usize) -> u64 {
        self.rent_exempt(len).await
    }
    async fn write_account(&mut self, key: &Pubkey, account: Account) -> Result<(), String> {
        self.set_account(key, account);
        Ok(())
    }
}
