//! One interface over "a chain": the embedded in-process chain here, an RPC
//! cluster in the same shape. Keeper, audit and simulate are written
//! against it.

use crate::chain::{EmbeddedChain, TxError, TxOk};
use anchor_lang::prelude::Pubkey;
use solana_instruction::Instruction;
use solana_keypair::Keypair;

#[allow(async_fn_in_trait)]
pub trait Chain {
    async fn send(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> Result<TxOk, TxError>;
    async fn account_data(&mut self, key: &Pubkey) -> Vec<u8>;
    async fn token_balance(&mut self, key: &Pubkey) -> u64;
    /// The cluster's unix time (the clock sysvar).
    async fn unix_time(&mut self) -> i64;
}

impl Chain for EmbeddedChain {
    async fn send(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> Result<TxOk, TxError> {
        EmbeddedChain::send(self, ixs, signers).await
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
}
