//! Book sides as sorted arrays, best order last: bids ascending by price,
//! asks descending; among equal prices the oldest is nearest the end. Best
//! order removal is O(1); insertion and cancellation shift the tail.

use crate::error::ErrorCode;
use crate::math::{Cast, SafeMath};
use crate::state::{Order, Seat};
use anchor_lang::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, AnchorSerialize, AnchorDeserialize)]
#[repr(u8)]
pub enum Side {
    /// Buy.
    Bid,
    /// Sell.
    Ask,
}

impl Side {
    pub fn opposite(self) -> Side {
        match self {
            Side::Bid => Side::Ask,
            Side::Ask => Side::Bid,
        }
    }

    /// True when `a` is a strictly better resting price than `b` on this side.
    pub fn better(self, a: u64, b: u64) -> bool {
        match self {
            Side::Bid => a > b,
            Side::Ask => a < b,
        }
    }

    /// True when a taker on this side with `limit` may trade at `resting`.
    pub fn crosses(self, limit: u64, resting: u64) -> bool {
        match self {
            Side::Bid => resting <= limit,
            Side::Ask => resting >= limit,
        }
    }
}

/// Inserts behind every order at least as good (price-time priority).
pub fn insert(orders: &mut [Order], n: &mut u32, side: Side, order: Order) -> Result<usize> {
    let len = *n as usize;
    require!(len < orders.len(), ErrorCode::BookFull);
    let pos = orders[..len].partition_point(|o| side.better(order.price, o.price));
    orders.copy_within(pos..len, pos + 1);
    orders[pos] = order;
    *n = n.safe_add(1)?;
    Ok(pos)
}

/// Inserts like `insert`; when the side is full, an order strictly better
/// than the worst resting one (index 0) evicts it and takes a place, a
/// worse or equal one fails `BookFull`. Returns the position and the
/// evicted order, whose reservation the caller releases on its seat. So a
/// wall of dust orders never closes a side: the book always takes the
/// better price.
pub fn insert_evicting(
    orders: &mut [Order],
    n: &mut u32,
    side: Side,
    order: Order,
) -> Result<(usize, Option<Order>)> {
    let len = *n as usize;
    let mut evicted = None;
    if len >= orders.len() {
        require!(
            len > 0 && side.better(order.price, orders[0].price),
            ErrorCode::BookFull
        );
        evicted = Some(remove(orders, n, 0)?);
    }
    Ok((insert(orders, n, side, order)?, evicted))
}

/// Removes the order at `idx`, keeping the order of the rest.
pub fn remove(orders: &mut [Order], n: &mut u32, idx: usize) -> Result<Order> {
    let len = *n as usize;
    require!(idx < len, ErrorCode::OrderNotFound);
    let o = orders[idx];
    orders.copy_within(idx + 1..len, idx);
    orders[len - 1] = Order::default();
    *n = n.safe_sub(1)?;
    Ok(o)
}

/// Quote atoms reserved by `lots` resting at `price` (rounded up).
pub fn reserved_quote(price: u64, lots: u64, lots_per_unit: u64) -> Result<u64> {
    super::margin::notional_ceil(lots, price, lots_per_unit)
}

/// Adds a resting order's lots and quote to its seat's open totals.
pub fn reserve(seat: &mut Seat, side: Side, price: u64, lots: u64, lpu: u64) -> Result<()> {
    let q = reserved_quote(price, lots, lpu)?;
    match side {
        Side::Bid => {
            seat.open_bid_lots = seat.open_bid_lots.safe_add(lots)?;
            seat.open_bid_quote = seat.open_bid_quote.safe_add(q)?;
        }
        Side::Ask => {
            seat.open_ask_lots = seat.open_ask_lots.safe_add(lots)?;
            seat.open_ask_quote = seat.open_ask_quote.safe_add(q)?;
        }
    }
    Ok(())
}

/// Releases `lots` of a resting order that had `before` lots open. The
/// quote released is the difference of the rounded-up reservations, so the
/// seat's totals always equal Σ of its orders' reservations.
pub fn release(
    seat: &mut Seat,
    side: Side,
    price: u64,
    before: u64,
    lots: u64,
    lpu: u64,
) -> Result<()> {
    let after = before.safe_sub(lots)?;
    let q = reserved_quote(price, before, lpu)?.safe_sub(reserved_quote(price, after, lpu)?)?;
    match side {
        Side::Bid => {
            seat.open_bid_lots = seat.open_bid_lots.safe_sub(lots)?;
            seat.open_bid_quote = seat.open_bid_quote.safe_sub(q)?;
        }
        Side::Ask => {
            seat.open_ask_lots = seat.open_ask_lots.safe_sub(lots)?;
            seat.open_ask_quote = seat.open_ask_quote.safe_sub(q)?;
        }
    }
    Ok(())
}

/// Best price of a side, if any order rests there.
pub fn best_price(orders: &[Order], n: u32) -> Option<u64> {
    if n == 0 {
        None
    } else {
        Some(orders[n as usize - 1].price)
    }
}

/// Book mid in price units (rounded down), when both sides have orders.
pub fn mid_price(bids: &[Order], nb: u32, asks: &[Order], na: u32) -> Result<Option<u64>> {
    match (best_price(bids, nb), best_price(asks, na)) {
        (Some(b), Some(a)) => Ok(Some(((b as u128).safe_add(a as u128)? / 2).cast()?)),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(price: u64, id: u64) -> Order {
        Order {
            price,
            lots: 1,
            order_id: id,
            ..Default::default()
        }
    }

    #[test]
    fn price_time_priority_best_last() {
        let mut bids = [Order::default(); 5];
        let mut n = 0;
        for (p, id) in [(100, 1), (102, 2), (101, 3), (102, 4), (99, 5)] {
            insert(&mut bids, &mut n, Side::Bid, o(p, id)).unwrap();
        }
        let ids: Vec<u64> = bids[..n as usize].iter().map(|o| o.order_id).collect();
        // Best (102) last, and the older 102 (id 2) behind the newer (id 4).
        assert_eq!(ids, vec![5, 1, 3, 4, 2]);
        assert!(insert(&mut bids, &mut n, Side::Bid, o(1, 9)).is_err());
        let removed = remove(&mut bids, &mut n, 4).unwrap();
        assert_eq!(removed.order_id, 2);
        assert_eq!(best_price(&bids, n), Some(102));
    }

    #[test]
    fn asks_sorted_descending() {
        let mut asks = [Order::default(); 4];
        let mut n = 0;
        for (p, id) in [(105, 1), (103, 2), (104, 3), (103, 4)] {
            insert(&mut asks, &mut n, Side::Ask, o(p, id)).unwrap();
        }
        let ids: Vec<u64> = asks[..n as usize].iter().map(|o| o.order_id).collect();
        assert_eq!(ids, vec![1, 3, 4, 2]);
    }

    #[test]
    fn full_side_evicts_the_worst_only_for_a_better_price() {
        let mut bids = [Order::default(); 3];
        let mut n = 0;
        for (p, id) in [(100, 1), (101, 2), (102, 3)] {
            insert_evicting(&mut bids, &mut n, Side::Bid, o(p, id)).unwrap();
        }
        // Equal to the worst (100) or worse: refused, nothing moves.
        for p in [100, 99] {
            let e = insert_evicting(&mut bids, &mut n, Side::Bid, o(p, 9)).unwrap_err();
            assert_eq!(e, ErrorCode::BookFull.into());
        }
        assert_eq!(n, 3);
        // Better than the worst: the 100 bid (id 1) goes, 100.5 rests.
        let (_, ev) = insert_evicting(&mut bids, &mut n, Side::Bid, o(101, 4)).unwrap();
        assert_eq!(ev.map(|e| e.order_id), Some(1));
        let ids: Vec<u64> = bids.iter().map(|o| o.order_id).collect();
        assert_eq!(ids, vec![4, 2, 3]);
        // Asks: the worst is the highest price.
        let mut asks = [Order::default(); 2];
        let mut na = 0;
        for (p, id) in [(105, 1), (104, 2)] {
            insert_evicting(&mut asks, &mut na, Side::Ask, o(p, id)).unwrap();
        }
        let (_, ev) = insert_evicting(&mut asks, &mut na, Side::Ask, o(103, 3)).unwrap();
        assert_eq!(ev.map(|e| e.price), Some(105));
        assert!(insert_evicting(&mut asks, &mut na, Side::Ask, o(104, 4)).is_err());
    }

    #[test]
    fn reservations_release_exactly() {
        let mut s = Seat::default();
        reserve(&mut s, Side::Bid, 3, 7, 10_000).unwrap();
        release(&mut s, Side::Bid, 3, 7, 4, 10_000).unwrap();
        release(&mut s, Side::Bid, 3, 3, 3, 10_000).unwrap();
        assert_eq!((s.open_bid_lots, s.open_bid_quote), (0, 0));
    }
}
