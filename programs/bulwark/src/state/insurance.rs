//! The public insurance fund: a PDA with its own SPL token vault. Its ledger
//! balance must always equal the vault's token balance.

use anchor_lang::prelude::*;
use static_assertions::const_assert_eq;

pub const INSURANCE_VERSION: u8 = 1;

/// Defaults set at `initialize_exchange`; changed through the timelocked
/// parameter keys (`ParamKey::Insurance*`).
pub const DEFAULT_UNSTAKE_COOLDOWN_SECS: i64 = 7 * 24 * 3600;
/// seconds after the cooldown during which a matured unstake request may be
/// withdrawn; after it the request has lapsed (`withdraw_unstake` refuses
/// it, `request_unstake` replaces it), so no staker holds an instant exit
/// ready ahead of a cover.
pub const UNSTAKE_WITHDRAW_WINDOW_SECS: i64 = 2 * 24 * 3600;
/// Tighten below 1 % coverage of open-interest notional.
pub const DEFAULT_TIGHTEN_COVERAGE_BPS: u32 = 100;
/// Reduce-only below 0.25 %.
pub const DEFAULT_REDUCE_ONLY_COVERAGE_BPS: u32 = 25;
/// Lift 0.25 % above a threshold.
pub const DEFAULT_COVERAGE_HYSTERESIS_BPS: u32 = 25;
/// 1.5x initial margin while tightened.
pub const DEFAULT_TIGHTENED_IM_MULTIPLIER_PPM: u32 = 1_500_000;

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
    /// seconds between an unstake request and its withdrawal.
    pub unstake_cooldown_secs: i64,
    /// bps of open-interest notional: below, position-increasing orders
    /// need `tightened_im_multiplier_ppm` × initial margin.
    pub tighten_coverage_bps: u32,
    /// bps: below, the market turns reduce-only.
    pub reduce_only_coverage_bps: u32,
    /// bps a coverage must recover above a threshold to lift it.
    pub coverage_hysteresis_bps: u32,
    /// ppm; initial-margin multiplier while tightened (1e6 = 1x).
    pub tightened_im_multiplier_ppm: u32,
    /// shares in unstake cooldown (still exposed to losses).
    pub pending_unstake_shares: u64,
    /// unix seconds, vault balance and result of the last `audit_insurance`.
    pub last_audit_ts: i64,
    pub last_audit_vault_balance: u64,
    /// 1 = the vault matched the ledger (after recording donations).
    pub last_audit_ok: u8,
    pub padding1: [u8; 7],
    /// share epoch: starts at 0, +1 each time a stake recapitalizes a
    /// wiped-out fund (`engine::staking::is_wiped_out`). A stake of an
    /// older epoch holds no shares.
    pub share_epoch: u64,
    pub reserved: [u8; 184],
}
const_assert_eq!(
    core::mem::size_of::<InsuranceFund>(),
    8 + 64 + 16 + 128 + 8 + 32 + 8 + 16 + 8 + 8 + 8 + 8 + 192
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

/// A staker's shares in the insurance fund (PDA `["stake", owner]`; the
/// protocol's own capital is the stake of the exchange PDA).
#[account(zero_copy)]
#[derive(Debug)]
pub struct InsuranceStake {
    pub version: u8,
    pub bump: u8,
    pub padding0: [u8; 6],
    pub owner: Pubkey,
    /// shares held, including those in an unstake request.
    pub shares: u64,
    /// shares in the pending unstake request (0 = none).
    pub unstake_shares: u64,
    /// quote atoms those shares were worth at the request.
    pub unstake_value_at_request: u64,
    /// unix seconds of the request.
    pub unstake_requested_ts: i64,
    /// quote atoms staked ever / withdrawn ever.
    pub total_staked: u64,
    pub total_withdrawn: u64,
    /// the fund's `share_epoch` the shares and request belong to; when it
    /// differs from the fund's, the stake holds nothing (brought up to date
    /// by `engine::staking::sync_stake` on every stake instruction).
    pub epoch: u64,
    pub reserved: [u8; 56],
}
const_assert_eq!(core::mem::size_of::<InsuranceStake>(), 8 + 32 + 48 + 64);

impl InsuranceStake {
    pub const SPACE: usize = 8 + core::mem::size_of::<InsuranceStake>();
}

/// Entries the on-chain ring buffer keeps (the hash chain covers all).
pub const LEDGER_CAPACITY: usize = 256;

/// One ledger entry as stored in the ring buffer.
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct LedgerRecord {
    pub seq: u64,
    pub slot: u64,
    pub unix_ts: i64,
    pub amount: u64,
    pub balance_after: u64,
    pub shares_after: u64,
    pub total_inflows_after: u64,
    pub kind: u8,
    pub padding: [u8; 7],
    pub market: Pubkey,
    pub counterparty: Pubkey,
    pub hash_after: [u8; 32],
}
const_assert_eq!(core::mem::size_of::<LedgerRecord>(), 64 + 96);

impl LedgerRecord {
    pub fn entry(&self) -> InsuranceLedgerEntry {
        InsuranceLedgerEntry {
            seq: self.seq,
            slot: self.slot,
            unix_ts: self.unix_ts,
            kind: self.kind,
            market: self.market,
            counterparty: self.counterparty,
            amount: self.amount,
            balance_after: self.balance_after,
            shares_after: self.shares_after,
            total_inflows_after: self.total_inflows_after,
            hash_after: self.hash_after,
        }
    }
}

/// The insurance ledger's ring buffer (PDA `["insurance_ledger"]`): the
/// last `LEDGER_CAPACITY` entries; `entries[seq % capacity]`.
#[account(zero_copy)]
#[derive(Debug)]
pub struct InsuranceLedger {
    pub fund: Pubkey,
    /// entries ever written (= the fund's `ledger_seq`).
    pub count: u64,
    pub bump: u8,
    pub padding: [u8; 7],
    pub entries: [LedgerRecord; LEDGER_CAPACITY],
}
const_assert_eq!(
    core::mem::size_of::<InsuranceLedger>(),
    48 + 160 * LEDGER_CAPACITY
);

impl InsuranceLedger {
    pub const SPACE: usize = 8 + core::mem::size_of::<InsuranceLedger>();

    pub fn push(&mut self, e: &InsuranceLedgerEntry) {
        let i = (e.seq as usize) % LEDGER_CAPACITY;
        self.entries[i] = LedgerRecord {
            seq: e.seq,
            slot: e.slot,
            unix_ts: e.unix_ts,
            amount: e.amount,
            balance_after: e.balance_after,
            shares_after: e.shares_after,
            total_inflows_after: e.total_inflows_after,
            kind: e.kind,
            padding: [0; 7],
            market: e.market,
            counterparty: e.counterparty,
            hash_after: e.hash_after,
        };
        self.count = e.seq + 1;
    }
}
