//! Issue 10 on an in-memory market: seats cost what they take (minimum,
//! eviction), the book stays open (minimum notional, eviction of the
//! worst order), keepers need no seat, and the waterfall's closes walk a
//! bounded number of resting orders per call.

use super::book::{self, Side};
use super::collateral;
use super::cover;
use super::liquidation::{self, KeeperPayee, MAX_LIQUIDATION_MAKERS};
use super::margin;
use super::sandbox::MarketBuf;
use super::trade::{place_order, Fill, OrderParams, OrderType, PlaceOutcome};
use super::trade_tests::{config, order, usd, NOW, P100};
use crate::error::ErrorCode;
use crate::math::PPM;
use crate::state::MarketConfig;
use anchor_lang::prelude::*;

fn code<T: core::fmt::Debug>(r: Result<T>) -> u32 {
    match r {
        Err(Error::AnchorError(a)) => a.error_code_number,
        other => panic!("expected an Anchor error, got {other:?}"),
    }
}

fn owner(i: usize) -> Pubkey {
    Pubkey::new_from_array([i as u8 + 1; 32])
}

fn px(usd_price: f64) -> u64 {
    (usd_price * 1e6).round() as u64
}

/// `deposits` seats claimed without the minimum (setup), index at 100.
fn market(c: MarketConfig, book: u32, deposits: &[u64]) -> MarketBuf {
    let mut b = MarketBuf::new(c, 16, book);
    let mut m = b.view();
    m.header.state.index_price = P100;
    m.header.state.mark_price = P100;
    m.header.state.index_publish_ts = NOW;
    for (i, d) in deposits.iter().enumerate() {
        let s = collateral::find_or_claim_seat(&mut m, &owner(i)).unwrap();
        collateral::deposit(&mut m, s, *d).unwrap();
    }
    b
}

fn place(b: &mut MarketBuf, seat: usize, p: OrderParams) -> Result<PlaceOutcome> {
    let before = b.bytes().to_vec();
    let r = place_order(&mut b.view(), seat, &p, NOW, PPM, &mut |_: &Fill| {});
    if r.is_err() {
        b.bytes_mut().copy_from_slice(&before);
    }
    r
}

#[test]
fn a_new_seat_needs_the_minimum_and_a_dust_seat_can_be_evicted() {
    let mut c = config();
    c.min_seat_collateral = usd(10);
    let mut b = market(c, 8, &[]);
    let mut m = b.view();
    // 1 atom short of the minimum: refused, nothing claimed.
    assert_eq!(
        code(collateral::find_or_claim_seat_for(
            &mut m,
            &owner(0),
            usd(10) - 1
        )),
        u32::from(ErrorCode::SeatCollateralTooSmall)
    );
    assert_eq!(m.header.seats_used, 0);
    let (s, claimed) = collateral::find_or_claim_seat_for(&mut m, &owner(0), usd(10)).unwrap();
    assert!(claimed);
    collateral::deposit(&mut m, s, usd(10)).unwrap();
    // A top-up of an existing seat may be any size.
    assert_eq!(
        collateral::find_or_claim_seat_for(&mut m, &owner(0), 1).unwrap(),
        (s, false)
    );
    // At the minimum: not evictable.
    assert_eq!(
        code(collateral::evict_seat(&mut m, s)),
        u32::from(ErrorCode::SeatNotEvictable)
    );
    // The owner withdraws down to 1 atom: a dust seat, evictable by anyone;
    // the 1 atom is owed back to the owner, the seat is free.
    collateral::withdraw(&mut m, s, usd(10) - 1, P100).unwrap();
    let (tc, tw) = (
        m.header.state.total_collateral,
        m.header.state.total_withdrawals,
    );
    assert_eq!(collateral::evict_seat(&mut m, s).unwrap(), 1);
    assert!(m.seats[s].is_free());
    assert_eq!(m.header.seats_used, 0);
    assert_eq!(m.header.state.total_collateral, tc - 1);
    assert_eq!(m.header.state.total_withdrawals, tw + 1);
}

#[test]
fn seats_with_orders_positions_or_debt_are_never_evicted() {
    let mut c = config();
    c.taker_fee_ppm = 0;
    c.maker_fee_ppm = 0;
    let mut b = market(c, 8, &[usd(1_000), usd(1_000), usd(1_000)]);
    place(&mut b, 0, order(Side::Ask, OrderType::Limit, P100, 10)).unwrap();
    place(
        &mut b,
        1,
        order(Side::Bid, OrderType::ImmediateOrCancel, P100, 10),
    )
    .unwrap();
    place(
        &mut b,
        2,
        order(Side::Bid, OrderType::Limit, P100 - 1_000_000, 10),
    )
    .unwrap();
    let mut m = b.view();
    // The minimum is raised above every seat's collateral.
    m.header.config.min_seat_collateral = usd(5_000);
    for s in [0, 1, 2] {
        assert_eq!(
            code(collateral::evict_seat(&mut m, s)),
            u32::from(ErrorCode::SeatNotEvictable),
            "seat {s}"
        );
    }
    // A flat seat with a deficit left on it (negative collateral) stays.
    let (s3, _) = collateral::find_or_claim_seat_for(&mut m, &owner(3), usd(5_000)).unwrap();
    m.seats[s3].collateral = -5;
    assert_eq!(
        code(collateral::evict_seat(&mut m, s3)),
        u32::from(ErrorCode::SeatNotEvictable)
    );
    // With no minimum nothing is evictable, not even an empty seat.
    m.seats[s3].collateral = 0;
    m.header.config.min_seat_collateral = 0;
    assert!(!collateral::evictable(&m.as_ref(), s3));
}

#[test]
fn orders_below_the_minimum_notional_are_refused_but_a_trader_can_always_close() {
    let mut c = config();
    c.taker_fee_ppm = 0;
    c.maker_fee_ppm = 0;
    let mut b = market(c, 8, &[usd(10_000), usd(10_000)]);
    // Seat 1 goes long 3 lots (1 lot = 1 USD at 100) before the minimum.
    place(&mut b, 0, order(Side::Ask, OrderType::Limit, P100, 3)).unwrap();
    place(
        &mut b,
        1,
        order(Side::Bid, OrderType::ImmediateOrCancel, P100, 3),
    )
    .unwrap();
    b.view().header.config.min_order_notional = usd(5);
    let small = u32::from(ErrorCode::OrderNotionalTooSmall);
    // Limit: 4 lots at 100 = 4 USD < 5; 5 lots = 5 USD is enough.
    assert_eq!(
        code(place(
            &mut b,
            0,
            order(Side::Bid, OrderType::Limit, px(99.0), 4)
        )),
        small
    );
    assert_eq!(
        code(place(
            &mut b,
            0,
            order(Side::Bid, OrderType::Limit, px(99.0), 5)
        )),
        small,
        "4.95 USD at its price"
    );
    place(
        &mut b,
        0,
        order(Side::Bid, OrderType::Limit, px(100.0) - 1_000, 6),
    )
    .unwrap();
    // Market sell: priced at the lower band edge (95): 5 lots = 4.75 USD.
    assert_eq!(
        code(place(&mut b, 0, order(Side::Ask, OrderType::Market, 0, 5))),
        small
    );
    // Seat 1 (long 3 = 3 USD) may close all of it, even below the minimum,
    // with an order clipped to the position; reducing only part is refused.
    let mut part = order(Side::Ask, OrderType::Limit, px(101.0), 2);
    part.reduce_only = true;
    assert_eq!(code(place(&mut b, 1, part)), small);
    let mut all = order(Side::Ask, OrderType::Market, 0, 50);
    all.reduce_only = true;
    let out = place(&mut b, 1, all).unwrap();
    assert_eq!(out.filled_lots, 3);
    assert_eq!(b.view_ref().seats[1].base_lots, 0);
}

#[test]
fn a_full_side_evicts_its_worst_order_for_a_better_one() {
    let mut b = market(config(), 4, &[usd(10_000), usd(10_000)]);
    for (i, p) in [96.0, 97.0, 98.0, 99.0].iter().enumerate() {
        place(
            &mut b,
            0,
            order(Side::Bid, OrderType::Limit, px(*p), 2 + i as u64),
        )
        .unwrap();
    }
    let full = u32::from(ErrorCode::BookFull);
    // Worse than the worst (96) or equal to it: refused.
    for p in [95.5, 96.0] {
        assert_eq!(
            code(place(
                &mut b,
                1,
                order(Side::Bid, OrderType::Limit, px(p), 10)
            )),
            full
        );
    }
    let s0 = b.view_ref().seats[0];
    let out = place(&mut b, 1, order(Side::Bid, OrderType::Limit, px(96.5), 10)).unwrap();
    let e = out.evicted.expect("the 96 bid is evicted");
    assert_eq!((e.price, e.lots, e.seat), (px(96.0), 2, 0));
    // Seat 0's reservation shrinks by exactly the evicted order's.
    let s0b = b.view_ref().seats[0];
    assert_eq!(s0.open_bid_lots - s0b.open_bid_lots, 2);
    assert_eq!(
        s0.open_bid_quote - s0b.open_bid_quote,
        book::reserved_quote(px(96.0), 2, 100).unwrap()
    );
    // 2 lots × 96 USD / 100 lots per unit = 1.92 USD.
    assert_eq!(s0.open_bid_quote - s0b.open_bid_quote, 1_920_000);
    assert_eq!((s0.num_orders, s0b.num_orders), (4, 3));
    let v = b.view_ref();
    let prices: Vec<u64> = v.bids[..v.header.num_bids as usize]
        .iter()
        .map(|o| o.price)
        .collect();
    assert_eq!(prices, vec![px(96.5), px(97.0), px(98.0), px(99.0)]);
}

/// Waterfall market: no trading fees, liquidation fee 1 % half to the
/// keeper, whole closes. Seats: 0 = A (long 15 000 lots at 100, 1 000 USD),
/// 1 = B (short), 2 = W (the wall), 3 = K (keeper).
fn wall_market(wall: usize, wall_price: f64, rest_price: f64) -> MarketBuf {
    let mut c = config();
    c.taker_fee_ppm = 0;
    c.maker_fee_ppm = 0;
    c.liquidation_fee_ppm = 10_000;
    c.keeper_liquidation_share_ppm = 500_000;
    c.partial_liquidation_tier = 3;
    c.insurance_cover_cap = usd(1_000_000);
    c.insurance_cover_period_secs = 86_400;
    let mut b = market(c, 64, &[usd(1_000), usd(20_000), usd(100_000), usd(1_000)]);
    place(&mut b, 1, order(Side::Ask, OrderType::Limit, P100, 15_000)).unwrap();
    place(
        &mut b,
        0,
        order(Side::Bid, OrderType::ImmediateOrCancel, P100, 15_000),
    )
    .unwrap();
    let price = if rest_price > 93.0 { 94.0 } else { 92.0 };
    let m = b.view();
    m.header.state.index_price = px(price);
    m.header.state.mark_price = px(price);
    for _ in 0..wall {
        place(
            &mut b,
            2,
            order(Side::Bid, OrderType::Limit, px(wall_price), 1),
        )
        .unwrap();
    }
    place(
        &mut b,
        2,
        order(Side::Bid, OrderType::Limit, px(rest_price), 20_000),
    )
    .unwrap();
    b
}

fn liquidatable(b: &MarketBuf, seat: usize) -> bool {
    let m = b.view_ref();
    let st = &m.header.state;
    margin::maint_health(&m.header.config, st, &m.seats[seat], margin::risk_price(st)).unwrap() < 0
}

#[test]
fn a_wall_of_one_lot_orders_is_walked_a_bounded_step_per_call() {
    // 40 one-lot bids at 93.9 above a 20 000-lot bid at 93.5; mark 94; A's
    // bankruptcy price is 93.33.
    let mut b = wall_market(40, 93.9, 93.5);
    let o1 = liquidation::liquidate(&mut b.view(), 0, 3, NOW, &mut |_| {}).unwrap();
    assert_eq!(MAX_LIQUIDATION_MAKERS, 32);
    assert_eq!((o1.makers_walked, o1.fills, o1.closed_lots), (32, 32, 32));
    assert!(o1.walk_bounded && !o1.bankrupt);
    // Fee: 1 % of 32 lots at 94 = 30.08 USD × 1 % = 0.3008; half each.
    assert_eq!(
        (o1.fee, o1.keeper_fee, o1.insurance_fee),
        (300_800, 150_400, 150_400)
    );
    assert!(
        liquidatable(&b, 0),
        "still liquidatable: the next call continues"
    );
    let o2 = liquidation::liquidate(&mut b.view(), 0, 3, NOW, &mut |_| {}).unwrap();
    // The last 8 one-lot bids and the big bid close the rest.
    assert_eq!((o2.makers_walked, o2.closed_lots), (9, 15_000 - 32));
    assert!(!o2.walk_bounded);
    assert_eq!(b.view_ref().seats[0].base_lots, 0);
}

#[test]
fn a_keeper_without_a_seat_is_paid_in_its_account_or_not_at_all() {
    let mut b = wall_market(0, 93.9, 93.9);
    let before = collateral::required_vault_balance(&b.view_ref()).unwrap();
    let w0 = b.view_ref().header.state.total_withdrawals;
    let k0 = b.view_ref().seats[3].collateral;
    let o = liquidation::liquidate_for(&mut b.view(), 0, KeeperPayee::Account, NOW, &mut |_| {})
        .unwrap();
    // 15 000 lots close at 93.9: equity left 1 000 − 150 × 6.1 = 85 USD,
    // which caps the fee (1 % × 150 × 94 = 141 USD): 85, half each.
    assert_eq!(o.closed_lots, 15_000);
    assert_eq!(
        (o.fee, o.keeper_fee, o.insurance_fee),
        (usd(85), 42_500_000, 42_500_000)
    );
    let v = b.view_ref();
    // The keeper's share leaves the books (the instruction pays it out of
    // the vault); no seat was credited.
    assert_eq!(v.header.state.total_withdrawals, w0 + 42_500_000);
    assert_eq!(
        collateral::required_vault_balance(&v).unwrap(),
        before - 42_500_000
    );
    assert_eq!(v.seats[3].collateral, k0);

    // No seat, no account: the whole fee goes to the insurance fund.
    let mut b = wall_market(0, 93.9, 93.9);
    let o = liquidation::liquidate_for(&mut b.view(), 0, KeeperPayee::Insurance, NOW, &mut |_| {})
        .unwrap();
    assert_eq!(
        (o.fee, o.keeper_fee, o.insurance_fee),
        (usd(85), 0, usd(85))
    );
    assert_eq!(
        b.view_ref().header.waterfall.unswept_liquidation_fees,
        usd(85)
    );
}

#[test]
fn a_cover_close_is_bounded_too() {
    // Mark 92: A's equity = 1 000 − 15 000 lots × 8 / 100 = −200 USD. Cover
    // limit 92 × 0.99 = 91.08; 40 one-lot bids at 91.5 above 20 000 at 91.2.
    let mut b = wall_market(40, 91.5, 91.2);
    let fund = usd(100_000);
    let c1 = cover::cover(&mut b.view(), 0, fund, NOW, &mut |_| {}).unwrap();
    assert_eq!((c1.fills, c1.closed_lots), (32, 32));
    assert!(!c1.flat_after);
    assert_eq!(b.view_ref().seats[0].base_lots, 15_000 - 32);
    // The ADL test sees the same bounded book: the cover can still close.
    assert!(!cover::cover_exhausted(&b.view(), 0, fund, NOW).unwrap());
    let c2 = cover::cover(&mut b.view(), 0, fund, NOW, &mut |_| {}).unwrap();
    assert_eq!(c2.closed_lots, 15_000 - 32);
    assert!(c2.flat_after);
}
