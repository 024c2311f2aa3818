//! Events. Units as in the state they describe. Names are versioned when a
//! schema changes.

use anchor_lang::prelude::*;

#[event]
pub struct ExchangeInitialized {
    pub admin: Pubkey,
    pub collateral_mint: Pubkey,
    pub pyth_program: Pubkey,
    pub timelock_secs: i64,
}

#[event]
pub struct MarketCreated {
    pub market: Pubkey,
    pub market_index: u32,
    pub name: [u8; 16],
    pub seat_capacity: u32,
    pub book_capacity: u32,
}

#[event]
pub struct CollateralDeposited {
    pub market: Pubkey,
    pub owner: Pubkey,
    pub seat: u32,
    /// quote atoms.
    pub amount: u64,
    /// quote atoms, after the deposit.
    pub collateral: i64,
}

#[event]
pub struct CollateralWithdrawn {
    pub market: Pubkey,
    pub owner: Pubkey,
    pub seat: u32,
    /// quote atoms.
    pub amount: u64,
    /// quote atoms, after the withdrawal.
    pub collateral: i64,
}

#[event]
pub struct SeatReleased {
    pub market: Pubkey,
    pub owner: Pubkey,
    pub seat: u32,
}

#[event]
pub struct MarketStatusChanged {
    pub market: Pubkey,
    pub old_status: u8,
    pub new_status: u8,
}

#[event]
pub struct ExchangePauseChanged {
    pub old_flags: u8,
    pub new_flags: u8,
}

/// A parameter changed at once (tightening) or after its timelock.
#[event]
pub struct ParamChanged {
    /// market, or the default key for the exchange.
    pub target: Pubkey,
    pub key: u16,
    pub index: u8,
    pub old_value: i64,
    pub new_value: i64,
    /// true when applied from the timelock queue.
    pub from_queue: bool,
}

#[event]
pub struct ParamChangeQueued {
    pub slot: u8,
    pub target: Pubkey,
    pub key: u16,
    pub index: u8,
    pub value: i64,
    /// unix seconds from which it may be applied.
    pub eta: i64,
}

#[event]
pub struct ParamChangeCancelled {
    pub slot: u8,
    pub target: Pubkey,
    pub key: u16,
    pub index: u8,
    pub value: i64,
}

#[event]
pub struct IndexUpdated {
    pub market: Pubkey,
    /// price units.
    pub index_price: u64,
    pub publish_ts: i64,
    pub feeds_used: u8,
}
