//! The growing seat table: a seat claimed at the end of the table adds one
//! `Seat` (128 bytes) to the account, whose rent the claimer pays; a seat
//! released or evicted is swap-removed (the last seat moves into its index)
//! and the account shrinks by one seat, its rent refunded. The table never
//! holds a free seat, and the account is always exactly
//! `Market::account_size(seat_count, book_capacity)` bytes.
//!
//! These are plain functions on the account bytes and the market view; the
//! instruction resizes the account and moves the lamports between them.

use crate::error::ErrorCode;
use crate::math::SafeMath;
use crate::state::{Market, MarketMut, Seat, MARKET_HEADER_OFFSET};
use anchor_lang::prelude::*;

/// Bytes one seat adds to the market account.
pub const SEAT_BYTES: usize = core::mem::size_of::<Seat>();

/// Whether a deposit naming seat `index` claims a new seat at the end of
/// the table (`index == seat_count`), which then grows by one. An index
/// past the end is `WrongSeatIndex`; growing past `max_seats` is
/// `SeatTableAtMax`.
pub fn claim_grows(h: &Market, index: u32) -> Result<bool> {
    if index < h.seat_count {
        return Ok(false);
    }
    require!(index == h.seat_count, ErrorCode::WrongSeatIndex);
    require!(h.seat_count < h.max_seats, ErrorCode::SeatTableAtMax);
    Ok(true)
}

/// The account length once the table holds `seat_count + 1` seats.
pub fn grown_len(h: &Market) -> usize {
    Market::account_size(h.seat_count + 1, h.book_capacity)
}

/// Adds the (zeroed, free) seat slot at index `seat_count` to the header's
/// table. `data` is the whole account, already resized to [`grown_len`].
pub fn push_seat_slot(data: &mut [u8]) -> Result<u32> {
    let size = core::mem::size_of::<Market>();
    require!(
        data.len() >= MARKET_HEADER_OFFSET + size,
        ErrorCode::WrongMarketSize
    );
    let (head, _) = data[MARKET_HEADER_OFFSET..].split_at_mut(size);
    let h: &mut Market =
        bytemuck::try_from_bytes_mut(head).map_err(|_| error!(ErrorCode::MalformedMarket))?;
    let index = h.seat_count;
    let (len, book) = (grown_len(h), h.book_capacity);
    require!(data.len() == len, ErrorCode::WrongMarketSize);
    let h: &mut Market = bytemuck::from_bytes_mut(&mut data[MARKET_HEADER_OFFSET..][..size]);
    h.seat_count = h.seat_count.safe_add(1)?;
    let start = Market::account_size(index, book);
    data[start..start + SEAT_BYTES].fill(0);
    Ok(index)
}

/// Removes the freed seat `seat` (already released or evicted, so it has
/// no orders): the last seat moves into `seat`, its resting orders are
/// re-pointed to it, and the table shrinks by one. Returns the index the
/// moved seat came from, if one moved. O(book), never O(seats). The caller
/// then resizes the account to `header.current_size()` and refunds the
/// seat's rent.
pub fn remove_seat(m: &mut MarketMut, seat: usize) -> Result<Option<u32>> {
    let n = m.header.seat_count as usize;
    require!(seat < n && n <= m.seats.len(), ErrorCode::WrongSeatIndex);
    require!(m.seats[seat].is_free(), ErrorCode::SeatNotEmpty);
    let last = n - 1;
    let moved = if seat != last {
        m.seats[seat] = m.seats[last];
        m.seats[last] = Seat::default();
        if m.seats[seat].num_orders > 0 {
            let (nb, na) = (m.header.num_bids as usize, m.header.num_asks as usize);
            for o in m.bids[..nb].iter_mut().chain(m.asks[..na].iter_mut()) {
                if o.seat as usize == last {
                    o.seat = seat as u32;
                }
            }
        }
        Some(last as u32)
    } else {
        None
    };
    m.header.seat_count = m.header.seat_count.safe_sub(1)?;
    Ok(moved)
}

/// Lamports the claimer pays so that an account of `new_len` bytes holding
/// `lamports` stays rent-exempt (0 if it already is).
pub fn rent_due(rent: &Rent, new_len: usize, lamports: u64) -> u64 {
    rent.minimum_balance(new_len).saturating_sub(lamports)
}

/// Lamports above the rent-exempt minimum of an account of `new_len` bytes
/// (what a shrink by one seat frees, returned to the seat's owner).
pub fn rent_refund(rent: &Rent, new_len: usize, lamports: u64) -> u64 {
    lamports.saturating_sub(rent.minimum_balance(new_len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::sandbox::MarketBuf;
    use crate::state::Order;

    fn market(seats: u32) -> MarketBuf {
        let mut b = MarketBuf::new(crate::engine::trade_tests::config(), seats, 4);
        b.view().header.max_seats = 8;
        b
    }

    #[test]
    fn claims_grow_only_at_the_end_and_up_to_max() {
        let mut b = market(2);
        let h = *b.view().header;
        assert!(!claim_grows(&h, 1).unwrap());
        assert!(claim_grows(&h, 2).unwrap());
        assert_eq!(
            claim_grows(&h, 3).unwrap_err(),
            error!(ErrorCode::WrongSeatIndex)
        );
        let mut full = market(8);
        let h = *full.view().header;
        assert_eq!(
            claim_grows(&h, 8).unwrap_err(),
            error!(ErrorCode::SeatTableAtMax)
        );
        // The slot is added only to an account of exactly the grown size.
        let len = grown_len(&h);
        assert_eq!(len, Market::account_size(9, 4));
        let mut b2 = market(2);
        assert_eq!(
            push_seat_slot(b2.bytes_mut()).unwrap_err(),
            error!(ErrorCode::WrongMarketSize)
        );
        b2.resize(Market::account_size(3, 4));
        assert_eq!(push_seat_slot(b2.bytes_mut()).unwrap(), 2);
        let v = b2.view();
        assert_eq!(v.header.seat_count, 3);
        assert!(v.seats[2].is_free());
    }

    #[test]
    fn swap_remove_moves_the_last_seat_and_its_orders() {
        let mut b = market(3);
        let (a, c) = (Pubkey::new_unique(), Pubkey::new_unique());
        {
            let mut v = b.view();
            v.seats[0].owner = a;
            v.seats[2].owner = c;
            v.seats[2].collateral = 7;
            v.seats[2].num_orders = 2;
            v.bids[0] = Order {
                seat: 2,
                lots: 1,
                ..Default::default()
            };
            v.asks[0] = Order {
                seat: 2,
                lots: 1,
                ..Default::default()
            };
            v.bids[1] = Order {
                seat: 0,
                lots: 1,
                ..Default::default()
            };
            v.header.num_bids = 2;
            v.header.num_asks = 1;
            // A seat still held cannot be removed.
            assert_eq!(
                remove_seat(&mut v, 0).unwrap_err(),
                error!(ErrorCode::SeatNotEmpty)
            );
            assert_eq!(remove_seat(&mut v, 1).unwrap(), Some(2));
            assert_eq!(v.header.seat_count, 2);
            assert_eq!(v.seats[1].owner, c);
            assert_eq!(v.seats[1].collateral, 7);
            assert!(v.seats[2].is_free());
            assert_eq!((v.bids[0].seat, v.asks[0].seat, v.bids[1].seat), (1, 1, 0));
        }
        b.resize(Market::account_size(2, 4));
        let mut v = b.view();
        v.seats[1] = Seat::default();
        // The last seat goes without moving anyone.
        assert_eq!(remove_seat(&mut v, 1).unwrap(), None);
        assert_eq!(v.header.seat_count, 1);
    }

    #[test]
    fn rent_is_charged_and_refunded_by_the_seat_bytes() {
        let rent = Rent::default();
        let base = Market::account_size(0, 4);
        let have = rent.minimum_balance(base);
        let due = rent_due(&rent, base + SEAT_BYTES, have);
        assert_eq!(due, SEAT_BYTES as u64 * 6_960);
        assert_eq!(rent_refund(&rent, base, have + due), due);
        // Donations are neither charged twice nor kept by the account.
        assert_eq!(rent_due(&rent, base + SEAT_BYTES, have + due + 5), 0);
        assert_eq!(rent_refund(&rent, base, have + 5), 5);
    }
}
