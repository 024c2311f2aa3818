//! The exchange: one PDA holding the admin, the collateral mint, the bounds
//! every market parameter must respect, and the queue of timelocked changes.

use crate::math::{MAX_PENDING_CHANGES, PPM};
use anchor_lang::prelude::borsh::{BorshDeserialize, BorshSerialize};
use anchor_lang::prelude::*;
use static_assertions::const_assert_eq;

pub const EXCHANGE_VERSION: u8 = 1;

/// Exchange-wide pause flags. There is deliberately no flag for withdrawals:
/// the operator can never freeze trader funds.
pub mod pause {
    pub const DEPOSITS: u8 = 1 << 0;
    pub const TRADING: u8 = 1 << 1;
    pub const NEW_MARKETS: u8 = 1 << 2;
    pub const ALL: u8 = DEPOSITS | TRADING | NEW_MARKETS;
}

/// Bounds for market parameters. `create_market` and every parameter change
/// are checked against them; the bounds themselves are checked against the
/// hard limits in `math::constants::limits`.
#[zero_copy]
#[derive(Debug, Default, BorshSerialize, BorshDeserialize, PartialEq, Eq)]
#[borsh(crate = "anchor_lang::prelude::borsh")]
pub struct ParamBounds {
    /// ppm of notional; highest allowed taker fee.
    pub max_taker_fee_ppm: i32,
    /// ppm; lowest maker fee (negative = largest rebate).
    pub min_maker_fee_ppm: i32,
    /// ppm; highest maker fee.
    pub max_maker_fee_ppm: i32,
    /// ppm; lowest initial margin rate of any tier.
    pub min_initial_margin_ppm: u32,
    /// ppm; lowest maintenance margin rate of any tier.
    pub min_maint_margin_ppm: u32,
    /// seconds; largest oracle staleness a market may accept.
    pub max_oracle_staleness_secs: u32,
    /// bps of price; widest oracle confidence a market may accept.
    pub max_oracle_conf_bps: u32,
    /// bps; largest deviation from the median a feed may have.
    pub max_oracle_deviation_bps: u32,
    /// bps; widest price band.
    pub max_price_band_bps: u32,
    /// bps; narrowest price band.
    pub min_price_band_bps: u32,
    /// ppm of closed notional; highest liquidation fee.
    pub max_liquidation_fee_ppm: u32,
    /// ppm per funding interval; highest funding cap.
    pub max_funding_cap_ppm: u32,
    /// ppm; lowest share of fees that must go to the insurance fund.
    pub min_insurance_fee_share_ppm: u32,
    /// seconds; shortest funding interval.
    pub min_funding_interval_secs: u32,
    /// seats; largest seat table.
    pub max_seat_capacity: u32,
    /// orders per side; largest book.
    pub max_book_capacity: u32,
}
const_assert_eq!(core::mem::size_of::<ParamBounds>(), 64);

/// A queued parameter change. `target` is the market, or the default key for
/// an exchange-level change.
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PendingChange {
    pub target: Pubkey,
    /// unix seconds when it was queued.
    pub queued_at: i64,
    /// unix seconds from which `apply_param_change` may apply it.
    pub eta: i64,
    /// the new value, in the unit of `key` (see `state::params`).
    pub value: i64,
    /// `ParamKey` as u16.
    pub key: u16,
    /// tier index for per-tier keys, else 0.
    pub index: u8,
    /// 1 when the slot holds a change.
    pub active: u8,
    pub padding: [u8; 4],
}
const_assert_eq!(core::mem::size_of::<PendingChange>(), 64);

/// Which key a [`PendingKeyChange`] replaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum KeyKind {
    /// `Exchange::admin`: proposed by the admin (`propose_admin`), completed
    /// by the new key itself (`accept_admin`) after the timelock.
    Admin = 0,
    /// `Exchange::treasury`: must be a token account of the collateral mint
    /// when applied.
    Treasury = 1,
    /// `Exchange::pyth_program`: the owner every legacy feed must have.
    PythProgram = 2,
    /// `market.config.oracle.feeds[index]` of the market `target`: the new
    /// feed keeps the slot's kind and feed id and must pass every oracle
    /// check of `refresh_prices` for that kind when applied.
    Feed = 3,
    /// `Exchange::pyth_receiver`: the owner every pull feed must have.
    PythReceiver = 4,
}

impl TryFrom<u8> for KeyKind {
    type Error = anchor_lang::error::Error;
    fn try_from(v: u8) -> Result<Self> {
        Ok(match v {
            0 => KeyKind::Admin,
            1 => KeyKind::Treasury,
            2 => KeyKind::PythProgram,
            3 => KeyKind::Feed,
            4 => KeyKind::PythReceiver,
            _ => return err!(crate::error::ErrorCode::UnknownParam),
        })
    }
}

/// A key change waiting behind the timelock. One at a time: queuing
/// another while `active` fails with `KeyChangePending` (apply or cancel
/// it first). Key changes are rare and each must be watched by traders, so
/// one slot keeps the account size and the review simple.
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PendingKeyChange {
    /// The market for `KeyKind::Feed`, else the default key.
    pub target: Pubkey,
    /// The key that takes over.
    pub new_key: Pubkey,
    /// unix seconds when it was queued.
    pub queued_at: i64,
    /// unix seconds from which it may be applied / accepted.
    pub eta: i64,
    /// `KeyKind` as u8.
    pub kind: u8,
    /// feed index for `KeyKind::Feed`, else 0.
    pub index: u8,
    /// 1 when a change is pending.
    pub active: u8,
    pub padding: [u8; 5],
}
const_assert_eq!(core::mem::size_of::<PendingKeyChange>(), 88);

#[account(zero_copy)]
#[derive(Debug)]
pub struct Exchange {
    pub version: u8,
    pub bump: u8,
    pub insurance_bump: u8,
    pub insurance_vault_bump: u8,
    /// `pause::*` flags.
    pub pause_flags: u8,
    pub padding0: [u8; 3],
    /// The operator (a multisig in production).
    pub admin: Pubkey,
    /// The only collateral token (6 decimals).
    pub collateral_mint: Pubkey,
    /// Owner every legacy (v2 push) oracle account must have.
    pub pyth_program: Pubkey,
    /// Owner every pull-oracle (`PriceUpdateV2`) account must have: the
    /// Pyth Solana receiver (`rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ`
    /// on mainnet).
    pub pyth_receiver: Pubkey,
    /// seconds a loosening change waits before it can be applied.
    pub timelock_secs: i64,
    pub bounds: ParamBounds,
    /// markets created so far.
    pub num_markets: u32,
    pub padding1: [u8; 4],
    /// monotonically increasing count of queued changes.
    pub change_seq: u64,
    pub pending: [PendingChange; MAX_PENDING_CHANGES],
    /// Token account (collateral mint) receiving the treasury's fee share.
    pub treasury: Pubkey,
    /// The one pending key change (admin, treasury, Pyth program, Pyth
    /// receiver or a market's feed); carved out of what were reserved
    /// bytes, so the account keeps its size.
    pub pending_key: PendingKeyChange,
    pub reserved: [u8; 8],
}
const_assert_eq!(
    core::mem::size_of::<Exchange>(),
    8 + 32 * 4 + 8 + 64 + 8 + 8 + 64 * 8 + 128
);
const_assert_eq!(core::mem::size_of::<Exchange>() % 8, 0);

impl Exchange {
    pub const SPACE: usize = 8 + core::mem::size_of::<Exchange>();

    pub fn is_paused(&self, flag: u8) -> bool {
        self.pause_flags & flag != 0
    }
}

/// Sensible default bounds (used by the localnet bootstrap and tests).
pub fn default_bounds() -> ParamBounds {
    ParamBounds {
        max_taker_fee_ppm: 2_000,
        min_maker_fee_ppm: -200,
        max_maker_fee_ppm: 1_000,
        min_initial_margin_ppm: 10_000,
        min_maint_margin_ppm: 5_000,
        max_oracle_staleness_secs: 120,
        max_oracle_conf_bps: 200,
        max_oracle_deviation_bps: 500,
        max_price_band_bps: 2_000,
        min_price_band_bps: 50,
        max_liquidation_fee_ppm: 20_000,
        max_funding_cap_ppm: 5_000,
        min_insurance_fee_share_ppm: (PPM / 5) as u32,
        min_funding_interval_secs: 60,
        max_seat_capacity: 65_536,
        max_book_capacity: 1_024,
    }
}
