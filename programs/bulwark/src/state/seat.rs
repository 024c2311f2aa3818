//! A trader's seat in one market: isolated collateral and position.

use crate::math::PodI128;
use anchor_lang::prelude::*;
use static_assertions::const_assert_eq;

#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Seat {
    /// Wallet that owns the seat; default = free seat.
    pub owner: Pubkey,
    /// quote atoms; isolated collateral including realized PnL and fees.
    /// Negative only while a bankrupt seat waits for the waterfall.
    pub collateral: i64,
    /// base lots; positive = long, negative = short.
    pub base_lots: i64,
    /// quote atoms; signed cost basis of the position (long > 0).
    pub entry_cost: i64,
    /// `MarketState::cum_funding_per_lot` when funding was last settled.
    pub funding_snapshot: PodI128,
    /// Socialized-loss index of the seat's side when last settled.
    pub loss_snapshot: PodI128,
    /// base lots resting on the bid side.
    pub open_bid_lots: u64,
    /// base lots resting on the ask side.
    pub open_ask_lots: u64,
    /// quote atoms; Σ price × lots of the resting bids (for worst-case margin).
    pub open_bid_quote: u64,
    /// quote atoms; Σ price × lots of the resting asks.
    pub open_ask_quote: u64,
    /// resting orders (at most `MAX_ORDERS_PER_SEAT`).
    pub num_orders: u16,
    pub flags: u8,
    pub padding: [u8; 5],
}
const_assert_eq!(core::mem::size_of::<Seat>(), 128);

impl Seat {
    pub fn is_free(&self) -> bool {
        self.owner == Pubkey::default()
    }

    /// No collateral, position or orders: the seat may be released.
    pub fn is_empty(&self) -> bool {
        self.collateral == 0 && self.base_lots == 0 && self.num_orders == 0 && self.entry_cost == 0
    }
}
