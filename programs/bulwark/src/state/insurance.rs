//! The public insurance fund: a PDA with its own SPL token vault. Its ledger
//! balance must always equal the vault's token balance.

use anchor_lang::prelude::*;
use static_assertions::const_assert_eq;

pub const INSURANCE_VERSION: u8 = 1;

/// Sources of inflows (index into `InsuranceFund::inflows`).
pub mod inflow {
    pub const FEE_SHARE: usize = 0;
    pub const LIQUIDATION_FEE: usize = 1;
    pub const PROTOCOL_DEPOSIT: usize = 2;
    pub const STAKER_DEPOSIT: usize = 3;
    pub const DONATION: usize = 4;
}

/// Causes of outflows (index into `InsuranceFund::outflows`).
pub mod outflow {
    pub const BANKRUPTCY_COVER: usize = 0;
    pub const UNSTAKE: usize = 1;
}

#[account(zero_copy)]
#[derive(Debug)]
pub struct InsuranceFund {
    pub version: u8,
    pub bump: u8,
    pub vault_bump: u8,
    pub padding0: [u8; 5],
    pub exchange: Pubkey,
    pub vault: Pubkey,
    /// quote atoms; what the ledger says the vault holds.
    pub balance: u64,
    /// insurance shares outstanding (stakers and the protocol).
    pub total_shares: u64,
    /// quote atoms; cumulative inflows by source (`inflow::*`).
    pub inflows: [u64; 8],
    /// quote atoms; cumulative outflows by cause (`outflow::*`).
    pub outflows: [u64; 8],
    /// ledger entries ever written.
    pub ledger_seq: u64,
    /// sha256 chain over every ledger entry ever written.
    pub hash_chain: [u8; 32],
    pub reserved: [u8; 248],
}
const_assert_eq!(
    core::mem::size_of::<InsuranceFund>(),
    8 + 64 + 16 + 128 + 8 + 32 + 248
);
const_assert_eq!(core::mem::size_of::<InsuranceFund>() % 8, 0);

impl InsuranceFund {
    pub const SPACE: usize = 8 + core::mem::size_of::<InsuranceFund>();
}

/// One entry of the insurance ledger (emitted as an event; chained by hash).
#[event]
#[derive(Default, Debug, Clone, Copy, PartialEq, Eq)]
pub struct InsuranceLedgerEntry {
    /// 0-based sequence number over all entries ever written.
    pub seq: u64,
    pub slot: u64,
    pub unix_ts: i64,
    /// `inflow::*` source, or 16 + `outflow::*` cause.
    pub kind: u8,
    pub market: Pubkey,
    /// who paid or was paid (trader, staker, market).
    pub counterparty: Pubkey,
    /// quote atoms.
    pub amount: u64,
    /// quote atoms in the fund after the entry.
    pub balance_after: u64,
    /// shares outstanding after the entry.
    pub shares_after: u64,
    /// quote atoms; Σ inflows ever, after the entry.
    pub total_inflows_after: u64,
    /// the hash chain after this entry.
    pub hash_after: [u8; 32],
}
