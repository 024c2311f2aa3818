//! Table tests of matching on an in-memory market.

use super::book::Side;
use super::collateral;
use super::margin;
use super::sandbox::MarketBuf;
use super::trade::{cancel, place_order, CancelWhich, Fill, OrderParams, OrderType, PlaceOutcome};
use crate::error::ErrorCode;
use crate::math::PPM;
use crate::state::{MarketConfig, MarketStatus, RiskTier};
use anchor_lang::prelude::*;

pub const NOW: i64 = 1_000_000;
/// 100 USD in price units.
pub const P100: u64 = 100_000_000;

pub fn config() -> MarketConfig {
    let mut c = MarketConfig {
        tick_size: 1_000,
        base_lots_per_unit: 100,
        min_order_lots: 1,
        max_order_lots: 1_000_000,
        open_interest_cap_lots: 10_000_000,
        position_limit_lots: 1_000_000,
        taker_fee_ppm: 500,
        maker_fee_ppm: -100,
        insurance_fee_share_ppm: 500_000,
        price_band_bps: 500,
        funding_interval_secs: 3_600,
        funding_cap_ppm: 1_000,
        mark_ema_secs: 300,
        num_tiers: 2,
        ..Default::default()
    };
    c.oracle.max_staleness_secs = 60;
    c.tiers[0] = RiskTier {
        max_notional: 100_000_000_000,
        initial_margin_ppm: 50_000,
        maint_margin_ppm: 25_000,
    };
    c.tiers[1] = RiskTier {
        max_notional: u64::MAX / 2,
        initial_margin_ppm: 100_000,
        maint_margin_ppm: 50_000,
    };
    c
}

pub fn market(seats: usize, book: u32, collateral_each: u64) -> MarketBuf {
    let mut b = MarketBuf::new(config(), 16, book);
    let mut m = b.view();
    m.header.state.index_price = P100;
    m.header.state.index_publish_ts = NOW;
    for i in 0..seats {
        let owner = Pubkey::new_from_array([i as u8 + 1; 32]);
        let s = collateral::find_or_claim_seat(&mut m, &owner).unwrap();
        collateral::deposit(&mut m, s, collateral_each).unwrap();
    }
    b
}

pub fn usd(x: u64) -> u64 {
    x * 1_000_000
}

pub fn order(side: Side, order_type: OrderType, price: u64, lots: u64) -> OrderParams {
    OrderParams {
        side,
        order_type,
        price,
        lots,
        client_order_id: 0,
        expiry_ts: 0,
        reduce_only: false,
    }
}

/// Places an order; like a failed instruction, a failed call changes nothing.
pub fn place(b: &mut MarketBuf, seat: usize, p: OrderParams) -> Result<(PlaceOutcome, Vec<Fill>)> {
    let before = b.bytes().to_vec();
    let mut fills = Vec::new();
    let r = place_order(&mut b.view(), seat, &p, NOW, PPM, &mut |f| fills.push(*f));
    match r {
        Ok(out) => Ok((out, fills)),
        Err(e) => {
            b.bytes_mut().copy_from_slice(&before);
            Err(e)
        }
    }
}

fn code(r: Result<(PlaceOutcome, Vec<Fill>)>) -> u32 {
    match r {
        Err(Error::AnchorError(a)) => a.error_code_number,
        Err(e) => panic!("unexpected error {e:?}"),
        Ok(_) => panic!("expected an error"),
    }
}

fn pos(b: &MarketBuf, seat: usize) -> i64 {
    b.view_ref().seats[seat].base_lots
}

#[test]
fn partial_fill_leaves_the_rest_resting() {
    let mut b = market(2, 8, usd(10_000));
    place(&mut b, 0, order(Side::Ask, OrderType::Limit, P100, 10)).unwrap();
    let (out, fills) = place(&mut b, 1, order(Side::Bid, OrderType::Limit, P100, 4)).unwrap();
    assert_eq!((out.filled_lots, out.rested_lots, fills.len()), (4, 0, 1));
    assert_eq!((pos(&b, 0), pos(&b, 1)), (-4, 4));
    let m = b.view_ref();
    assert_eq!((m.header.num_asks, m.asks[0].lots), (1, 6));
    assert_eq!(m.seats[0].open_ask_lots, 6);
    assert_eq!(m.header.state.open_interest_lots, 4);
}

#[test]
fn several_makers_price_then_time_priority() {
    let mut b = market(4, 8, usd(10_000));
    place(
        &mut b,
        0,
        order(Side::Ask, OrderType::Limit, P100 + 1_000_000, 5),
    )
    .unwrap();
    place(&mut b, 1, order(Side::Ask, OrderType::Limit, P100, 5)).unwrap();
    place(&mut b, 2, order(Side::Ask, OrderType::Limit, P100, 5)).unwrap();
    let (out, fills) = place(
        &mut b,
        3,
        order(Side::Bid, OrderType::Limit, P100 + 1_000_000, 12),
    )
    .unwrap();
    let got: Vec<(u32, u64, u64)> = fills
        .iter()
        .map(|f| (f.maker_seat, f.price, f.lots))
        .collect();
    // Best price first; at equal price the older order (seat 1) first.
    assert_eq!(
        got,
        vec![(1, P100, 5), (2, P100, 5), (0, P100 + 1_000_000, 2)]
    );
    assert_eq!(out.filled_lots, 12);
    assert_eq!(
        (pos(&b, 0), pos(&b, 1), pos(&b, 2), pos(&b, 3)),
        (-2, -5, -5, 12)
    );
}

#[test]
fn limit_price_stops_matching_and_rests_remainder() {
    let mut b = market(2, 8, usd(10_000));
    place(
        &mut b,
        0,
        order(Side::Ask, OrderType::Limit, P100 + 2_000_000, 5),
    )
    .unwrap();
    let (out, _) = place(&mut b, 1, order(Side::Bid, OrderType::Limit, P100, 5)).unwrap();
    assert_eq!((out.filled_lots, out.rested_lots), (0, 5));
    assert_eq!(b.view_ref().header.num_bids, 1);
}

#[test]
fn self_trade_cancels_the_resting_order() {
    let mut b = market(1, 8, usd(10_000));
    place(&mut b, 0, order(Side::Ask, OrderType::Limit, P100, 5)).unwrap();
    let (out, fills) = place(&mut b, 0, order(Side::Bid, OrderType::Limit, P100, 5)).unwrap();
    assert!(fills.is_empty());
    assert_eq!((out.cancelled_resting, out.rested_lots), (1, 5));
    let m = b.view_ref();
    assert_eq!((m.header.num_asks, m.header.num_bids), (0, 1));
    assert_eq!(
        (
            m.seats[0].open_ask_lots,
            m.seats[0].open_bid_lots,
            m.seats[0].num_orders
        ),
        (0, 5, 1)
    );
}

#[test]
fn reduce_only_clips_to_the_position() {
    let mut b = market(3, 8, usd(10_000));
    place(&mut b, 0, order(Side::Ask, OrderType::Limit, P100, 3)).unwrap();
    place(
        &mut b,
        1,
        order(Side::Bid, OrderType::ImmediateOrCancel, P100, 3),
    )
    .unwrap();
    place(&mut b, 2, order(Side::Bid, OrderType::Limit, P100, 10)).unwrap();
    let mut sell = order(Side::Ask, OrderType::ImmediateOrCancel, P100, 10);
    sell.reduce_only = true;
    let (out, _) = place(&mut b, 1, sell).unwrap();
    assert_eq!(out.filled_lots, 3);
    assert_eq!(pos(&b, 1), 0);
    // Flat now: a reduce-only order has nothing to reduce.
    assert_eq!(
        code(place(&mut b, 1, sell)),
        u32::from(ErrorCode::ReduceOnlyWouldIncrease)
    );
}

#[test]
fn band_rejects_prices_and_bounds_market_orders() {
    let mut b = market(2, 8, usd(100_000));
    // 5 % band around 100: 106 is outside.
    assert_eq!(
        code(place(
            &mut b,
            0,
            order(Side::Ask, OrderType::Limit, P100 + 6_000_000, 1)
        )),
        u32::from(ErrorCode::PriceOutsideBand)
    );
    place(
        &mut b,
        0,
        order(Side::Ask, OrderType::Limit, P100 + 4_000_000, 5),
    )
    .unwrap();
    // The index jumps to 110: the resting ask at 104 is below the band and
    // a market buy may not fill there; the ask is cancelled instead.
    b.view().header.state.index_price = 110_000_000;
    let (out, fills) = place(&mut b, 1, order(Side::Bid, OrderType::Market, 0, 5)).unwrap();
    assert!(fills.is_empty());
    assert_eq!(out.cancelled_resting, 1);
}

#[test]
fn full_book_rejects_cleanly() {
    let mut b = market(1, 2, usd(100_000));
    place(&mut b, 0, order(Side::Bid, OrderType::Limit, P100, 1)).unwrap();
    place(
        &mut b,
        0,
        order(Side::Bid, OrderType::Limit, P100 - 1_000, 1),
    )
    .unwrap();
    assert_eq!(
        code(place(
            &mut b,
            0,
            order(Side::Bid, OrderType::Limit, P100 - 2_000, 1)
        )),
        u32::from(ErrorCode::BookFull)
    );
}

#[test]
fn post_only_rejects_when_crossing_and_fok_needs_full_size() {
    let mut b = market(2, 8, usd(100_000));
    place(&mut b, 0, order(Side::Ask, OrderType::Limit, P100, 5)).unwrap();
    assert_eq!(
        code(place(
            &mut b,
            1,
            order(Side::Bid, OrderType::PostOnly, P100, 1)
        )),
        u32::from(ErrorCode::PostOnlyWouldCross)
    );
    assert_eq!(
        code(place(
            &mut b,
            1,
            order(Side::Bid, OrderType::FillOrKill, P100, 6)
        )),
        u32::from(ErrorCode::FillOrKillNotFilled)
    );
}

#[test]
fn size_tick_and_expiry_validation() {
    let mut b = market(1, 8, usd(100_000));
    assert_eq!(
        code(place(
            &mut b,
            0,
            order(Side::Bid, OrderType::Limit, P100 + 1, 1)
        )),
        u32::from(ErrorCode::InvalidPrice)
    );
    assert_eq!(
        code(place(
            &mut b,
            0,
            order(Side::Bid, OrderType::Limit, P100, 0)
        )),
        u32::from(ErrorCode::InvalidOrderSize)
    );
    let mut o = order(Side::Bid, OrderType::Limit, P100, 1);
    o.expiry_ts = NOW;
    assert_eq!(
        code(place(&mut b, 0, o)),
        u32::from(ErrorCode::OrderExpired)
    );
}

#[test]
fn initial_margin_is_enforced_on_worst_case() {
    // 100 USD collateral; 5 % IM: at most ~20 units = 2_000 lots... minus fees.
    let mut b = market(2, 8, usd(100));
    assert_eq!(
        code(place(
            &mut b,
            0,
            order(Side::Bid, OrderType::Limit, P100, 2_100)
        )),
        u32::from(ErrorCode::InsufficientInitialMargin)
    );
    place(&mut b, 0, order(Side::Bid, OrderType::Limit, P100, 1_900)).unwrap();
    let m = b.view_ref();
    let h =
        margin::initial_health(&m.header.config, &m.header.state, &m.seats[0], P100, PPM).unwrap();
    assert!(h >= 0);
}

#[test]
fn fees_and_rebates_are_exact() {
    let mut b = market(2, 8, usd(10_000));
    place(&mut b, 0, order(Side::Ask, OrderType::Limit, P100, 100)).unwrap();
    let (_, fills) = place(
        &mut b,
        1,
        order(Side::Bid, OrderType::ImmediateOrCancel, P100, 100),
    )
    .unwrap();
    // 100 lots = 1 unit at 100 USD = 100e6 atoms; 5 bps taker, 1 bp rebate.
    assert_eq!((fills[0].taker_fee, fills[0].maker_fee), (50_000, -10_000));
    let m = b.view_ref();
    assert_eq!(m.seats[1].collateral, (usd(10_000) - 50_000) as i64);
    assert_eq!(m.seats[0].collateral, (usd(10_000) + 10_000) as i64);
    // Net revenue 40_000 split 50/50.
    assert_eq!(
        (
            m.header.state.unswept_insurance_fees,
            m.header.state.unswept_treasury_fees
        ),
        (20_000, 20_000)
    );
}

#[test]
fn cancels_by_id_client_id_and_all() {
    let mut b = market(1, 8, usd(100_000));
    let mut o = order(Side::Bid, OrderType::Limit, P100, 1);
    let (a, _) = place(&mut b, 0, o).unwrap();
    o.client_order_id = 77;
    place(&mut b, 0, o).unwrap();
    place(
        &mut b,
        0,
        order(Side::Ask, OrderType::Limit, P100 + 1_000_000, 1),
    )
    .unwrap();
    assert_eq!(
        cancel(&mut b.view(), 0, CancelWhich::OrderId(a.order_id)).unwrap(),
        1
    );
    assert_eq!(
        cancel(&mut b.view(), 0, CancelWhich::ClientId(77)).unwrap(),
        1
    );
    assert!(cancel(&mut b.view(), 0, CancelWhich::ClientId(77)).is_err());
    assert_eq!(cancel(&mut b.view(), 0, CancelWhich::All).unwrap(), 1);
    let m = b.view_ref();
    assert_eq!(
        (m.header.num_bids, m.header.num_asks, m.seats[0].num_orders),
        (0, 0, 0)
    );
    assert_eq!(
        (m.seats[0].open_bid_quote, m.seats[0].open_ask_quote),
        (0, 0)
    );
}

#[test]
fn expired_orders_do_not_fill() {
    let mut b = market(2, 8, usd(10_000));
    let mut o = order(Side::Ask, OrderType::Limit, P100, 5);
    o.expiry_ts = NOW + 10;
    place(&mut b, 0, o).unwrap();
    let mut m = b.view();
    let mut fills = Vec::new();
    let out = place_order(
        &mut m,
        1,
        &order(Side::Bid, OrderType::ImmediateOrCancel, P100, 5),
        NOW + 10,
        PPM,
        &mut |f| fills.push(*f),
    )
    .unwrap();
    assert_eq!((out.filled_lots, out.cancelled_resting), (0, 1));
    assert!(fills.is_empty());
}

#[test]
fn status_gates() {
    let mut b = market(2, 8, usd(10_000));
    place(&mut b, 0, order(Side::Ask, OrderType::Limit, P100, 5)).unwrap();
    place(
        &mut b,
        1,
        order(Side::Bid, OrderType::ImmediateOrCancel, P100, 5),
    )
    .unwrap();
    b.view().header.status = MarketStatus::Paused as u8;
    assert_eq!(
        code(place(
            &mut b,
            0,
            order(Side::Ask, OrderType::Limit, P100, 1)
        )),
        u32::from(ErrorCode::MarketPaused)
    );
    // While paused, a trader can still reduce: seat 0 (short 5) bids to
    // buy 2 back; nothing crosses, so it rests as a reduce-only bid.
    let (out, _) = place(
        &mut b,
        0,
        order(Side::Bid, OrderType::Limit, P100 - 1_000_000, 2),
    )
    .unwrap();
    assert_eq!(out.rested_lots, 2);
    cancel(&mut b.view(), 0, CancelWhich::All).unwrap();
    b.view().header.status = MarketStatus::ReduceOnly as u8;
    // Seat 1 is long 5: buying more is rejected, selling 5 is fine.
    assert_eq!(
        code(place(
            &mut b,
            1,
            order(Side::Bid, OrderType::Limit, P100, 1)
        )),
        u32::from(ErrorCode::MarketReduceOnly)
    );
    let (out, _) = place(
        &mut b,
        1,
        order(Side::Ask, OrderType::Limit, P100 + 1_000_000, 5),
    )
    .unwrap();
    assert_eq!(out.rested_lots, 5);
}
