//! A resting order. Each book side is an array sorted so that the best
//! order is last (bids ascending by price, asks descending); among equal
//! prices the oldest order is nearest the end, which gives price-time
//! priority with O(1) removal of the best order.

use anchor_lang::prelude::*;
use static_assertions::const_assert_eq;

pub mod order_flags {
    pub const POST_ONLY: u8 = 1 << 0;
    pub const REDUCE_ONLY: u8 = 1 << 1;
}

#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Order {
    /// price units (1e-6 quote per base unit), a multiple of the tick size.
    pub price: u64,
    /// base lots still open.
    pub lots: u64,
    /// exchange-assigned id, increasing per market.
    pub order_id: u64,
    /// the trader's own id.
    pub client_order_id: u64,
    /// unix seconds after which the order is void; 0 = no expiry.
    pub expiry_ts: i64,
    /// index of the owning seat.
    pub seat: u32,
    pub flags: u8,
    pub padding: [u8; 3],
}
const_assert_eq!(core::mem::size_of::<Order>(), 48);
