//! Scenario tests of the waterfall on an in-memory market, with the exact
//! numbers worked out in comments. Prices in USD per unit; 100 lots = 1 unit.

use super::adl;
use super::audit;
use super::book::Side;
use super::collateral;
use super::liquidation;
use super::margin;
use super::sandbox::MarketBuf;
use super::trade::{self, OrderParams, OrderType};
use super::trade_tests::{config, usd, NOW};
use crate::error::ErrorCode;
use crate::math::{PPM, PRICE_PRECISION};
use crate::state::{MarketConfig, RiskTier, WaterfallMode};
use anchor_lang::prelude::*;

fn px(usd_price: f64) -> u64 {
    (usd_price * PRICE_PRECISION as f64).round() as u64
}

fn cfg() -> MarketConfig {
    let mut c = config();
    c.taker_fee_ppm = 0;
    c.maker_fee_ppm = 0;
    c.liquidation_fee_ppm = 10_000; // 1 %
    c.keeper_liquidation_share_ppm = 500_000; // half to the keeper
    c.takeover_discount_ppm = 500_000; // half-way from mark to bankruptcy
    c.partial_liquidation_tier = 3;
    c.price_band_bps = 500;
    c.insurance_cover_cap = usd(1_000_000);
    c.insurance_cover_period_secs = 86_400;
    c
}

struct Env {
    b: MarketBuf,
    /// Tokens in the vault (deposits − withdrawals + insurance cover).
    vault: u64,
}

impl Env {
    fn new(c: MarketConfig, deposits: &[u64]) -> Self {
        let mut b = MarketBuf::new(c, 16, 16);
        let mut vault = 0;
        {
            let mut m = b.view();
            m.header.state.index_price = px(100.0);
            m.header.state.mark_price = px(100.0);
            m.header.state.index_publish_ts = NOW;
            for (i, d) in deposits.iter().enumerate() {
                let s = collateral::find_or_claim_seat(
                    &mut m,
                    &Pubkey::new_from_array([i as u8 + 1; 32]),
                )
                .unwrap();
                collateral::deposit(&mut m, s, *d).unwrap();
                vault += d;
            }
        }
        Env { b, vault }
    }

    fn check(&self) {
        let v = audit::check_market(&self.b.view_ref(), self.vault);
        assert!(v.is_empty(), "{v:?}");
    }

    fn price(&mut self, p: f64) {
        let m = self.b.view();
        m.header.state.index_price = px(p);
        m.header.state.mark_price = px(p);
        m.header.state.index_publish_ts = NOW;
    }

    fn order(&mut self, seat: usize, side: Side, t: OrderType, price: f64, lots: u64) {
        let p = OrderParams {
            side,
            order_type: t,
            price: px(price),
            lots,
            client_order_id: 0,
            expiry_ts: 0,
            reduce_only: false,
        };
        trade::place_order(&mut self.b.view(), seat, &p, NOW, PPM, &mut |_| {})
            .unwrap_or_else(|e| panic!("seat {seat} {p:?}: {e:?}"));
        self.check();
    }

    fn coll(&self, seat: usize) -> i64 {
        self.b.view_ref().seats[seat].collateral
    }

    fn base(&self, seat: usize) -> i64 {
        self.b.view_ref().seats[seat].base_lots
    }
}

fn code<T: core::fmt::Debug>(r: Result<T>) -> u32 {
    match r {
        Err(Error::AnchorError(a)) => a.error_code_number,
        other => panic!("expected an Anchor error, got {other:?}"),
    }
}

/// Seats: 0 = A (long, liquidated), 1 = B (short), 2 = C (market maker), 3 = K (keeper).
#[test]
fn book_liquidation_then_keeper_takeover_exact_numbers() {
    let mut e = Env::new(cfg(), &[usd(1_000), usd(20_000), usd(100_000), usd(1_000)]);
    // A buys 150 units (15,000 lots) from B at 100: notional 15,000 USD,
    // IM 5 % = 750 <= 1,000 collateral.
    e.order(1, Side::Ask, OrderType::Limit, 100.0, 15_000);
    e.order(0, Side::Bid, OrderType::ImmediateOrCancel, 100.0, 15_000);
    // Price 94: A's equity = 1,000 − 900 = 100 < MM 2.5 % × 14,100 = 352.5.
    e.price(94.0);
    // C bids 50 units at 93.9 and 200 units at 93.0.
    e.order(2, Side::Bid, OrderType::Limit, 93.9, 5_000);
    e.order(2, Side::Bid, OrderType::Limit, 93.0, 20_000);
    let out = liquidation::liquidate(&mut e.b.view(), 0, 3, NOW, &mut |_| {}).unwrap();
    // Bankruptcy price = (15,000 − 1,000) / 150 = 93.3333… rounded up.
    assert_eq!(out.bankruptcy_price, 93_333_334);
    // Only the 93.9 bid is at or above it: 5,000 lots close there.
    assert_eq!(
        (out.target_lots, out.closed_lots, out.partial),
        (15_000, 5_000, false)
    );
    // Realized: 4,695 − 5,000 = −305 → collateral 695. Equity at 94 = 695 −
    // 600 = 95; fee = min(1 % × 4,700, 95) = 47: 23.5 keeper, 23.5 insurance.
    assert_eq!(
        (out.fee, out.keeper_fee, out.insurance_fee),
        (usd(47), 23_500_000, 23_500_000)
    );
    assert_eq!(e.coll(0), usd(648) as i64);
    assert_eq!(e.base(0), 10_000);
    assert_eq!(e.coll(3), 1_023_500_000);
    e.check();
    // The 93.0 bid is below the bankruptcy price: the book is too thin.
    // Keeper K takes over: bankruptcy price now (10,000 − 648) / 100 =
    // 93.52; half-way from 94 → 93.76.
    let (t, price) = liquidation::takeover(&mut e.b.view(), 0, 3, NOW).unwrap();
    assert_eq!(price, 93_760_000);
    assert_eq!(t.bankruptcy_price, 93_520_000);
    // A realizes 9,376 − 10,000 = −624 → 24; fee = min(94, 24) = 24.
    assert_eq!(
        (t.fee, t.keeper_fee, t.insurance_fee),
        (usd(24), usd(12), usd(12))
    );
    assert_eq!((e.coll(0), e.base(0)), (0, 0));
    assert_eq!(e.base(3), 10_000);
    assert_eq!(e.coll(3), 1_035_500_000);
    assert_eq!(
        e.b.view_ref().header.waterfall.unswept_liquidation_fees,
        35_500_000
    );
    e.check();
    // Nothing left to liquidate.
    assert_eq!(
        code(liquidation::liquidate(
            &mut e.b.view(),
            0,
            3,
            NOW,
            &mut |_| {}
        )),
        u32::from(ErrorCode::NotLiquidatable)
    );
}

#[test]
fn cancelling_orders_can_restore_health() {
    let mut e = Env::new(cfg(), &[usd(1_000), usd(20_000), usd(1_000)]);
    e.order(1, Side::Ask, OrderType::Limit, 100.0, 10_000);
    e.order(0, Side::Bid, OrderType::ImmediateOrCancel, 100.0, 10_000);
    // A also bids 80 units at 99: worst case long 180 units.
    e.order(0, Side::Bid, OrderType::Limit, 99.0, 8_000);
    // At 97: equity 700; worst-case MM = 2.5 % × 17,460 + order loss 8,000 lots
    // × (99 − 97) = 436.5 + 160 = 596.5 … still healthy; at 96.5: equity 650,
    // worst case 2.5 % × 17,370 + 200 = 634.25 → healthy; at 96.3: equity 630,
    // 433.35 + 216 = 649.35 → liquidatable, position alone needs 240.75.
    e.price(96.3);
    let out = liquidation::liquidate(&mut e.b.view(), 0, 2, NOW, &mut |_| {}).unwrap();
    assert!(out.restored_by_cancel);
    assert_eq!((out.cancelled_orders, out.closed_lots, out.fee), (1, 0, 0));
    assert_eq!(e.base(0), 10_000);
    e.check();
}

/// OKX's example: 50,000 contracts in tier 4 breach maintenance; the
/// position is stepped down two tiers, to tier 2's largest size, 9,999:
/// 40,001 close, 9,999 stay.
#[test]
fn okx_partial_liquidation_example() {
    let mut c = cfg();
    // 1 lot = 1 contract = 1 USD at price 1 (lpu 1).
    c.base_lots_per_unit = 1;
    c.tick_size = 1;
    c.num_tiers = 5;
    c.partial_liquidation_tier = 3;
    c.position_limit_lots = 1_000_000;
    let t = |max: u64, im: u32, mm: u32| RiskTier {
        max_notional: max * 1_000_000,
        initial_margin_ppm: im,
        maint_margin_ppm: mm,
    };
    c.tiers[0] = t(4_999, 10_000, 5_000);
    c.tiers[1] = t(7_999, 15_000, 7_500);
    c.tiers[2] = t(9_999, 20_000, 10_000);
    c.tiers[3] = t(29_999, 25_000, 12_500);
    c.tiers[4] = t(60_000, 30_000, 20_000);
    let mut e = Env::new(c, &[usd(1_600), usd(1_000_000), usd(1_000_000), usd(1_000)]);
    e.price(1.02);
    // A (seat 0) buys 50,000 contracts at 1.02 from B: IM 3 % × 51,000 =
    // 1,530 <= 1,600.
    e.order(1, Side::Ask, OrderType::Limit, 1.02, 50_000);
    e.order(0, Side::Bid, OrderType::ImmediateOrCancel, 1.02, 50_000);
    // At 1.00 (brackets in contracts = USD): equity 1,600 − 1,000 = 600 <
    // tier 4's MM 2 % × 50,000 = 1,000 → liquidatable in tier 4.
    // Step down two tiers: keep tier 2's largest, 9,999; after the fee
    // (1 % × 40,001 = 400.01) equity 199.99 >= 1 % × 9,999 → healthy.
    // C bids 60,000 at 0.999 (above the bankruptcy price 0.988).
    e.price(1.0);
    e.order(2, Side::Bid, OrderType::Limit, 0.999, 60_000);
    let (tier, _) = margin::tier_for(&e.b.view_ref().header.config, 50_000_000_000);
    assert_eq!(tier, 4);
    let out = liquidation::liquidate(&mut e.b.view(), 0, 3, NOW, &mut |_| {}).unwrap();
    assert_eq!(
        (out.target_lots, out.closed_lots, out.partial),
        (40_001, 40_001, true)
    );
    assert_eq!(e.base(0), 9_999);
    e.check();
}

/// Gap: A's equity is negative; the fund covers what it can, then ADL
/// closes A against the top-ranked shorts and charges them exactly the
/// shortfall.
#[test]
fn gap_bankruptcy_cover_then_adl_takes_only_the_shortfall() {
    // Seats: 0 = A long, 1 = B1 short 10,000 lots (collateral 10,000),
    // 2 = B2 short 5,000 lots (collateral 1,000), 3 = keeper.
    let mut e = Env::new(cfg(), &[usd(1_000), usd(10_000), usd(1_000), usd(1_000)]);
    e.order(1, Side::Ask, OrderType::Limit, 100.0, 10_000);
    e.order(2, Side::Ask, OrderType::Limit, 100.0, 5_000);
    e.order(0, Side::Bid, OrderType::ImmediateOrCancel, 100.0, 15_000);
    // Gap to 90: A's equity = 1,000 − 1,500 = −500.
    e.price(90.0);
    let out = liquidation::liquidate(&mut e.b.view(), 0, 3, NOW, &mut |_| {}).unwrap();
    assert_eq!((out.closed_lots, out.fee), (0, 0));
    assert!(out.bankrupt);
    // Takeover is refused for a bankrupt seat.
    assert_eq!(
        code(liquidation::takeover(&mut e.b.view(), 0, 3, NOW)),
        u32::from(ErrorCode::SeatBankrupt)
    );
    // The fund pays only a position closed in the same step, and closes on
    // the book only what it can pay for whole: 300 cannot pay the 500
    // deficit plus the slippage to the cover limit (90 − 1 % = 89.1).
    assert_eq!(
        code(liquidation::cover_bankruptcy(
            &mut e.b.view(),
            0,
            usd(300),
            NOW
        )),
        u32::from(ErrorCode::CoverTooSmall)
    );
    // With enough money but no bid within the limit, nothing closes.
    assert_eq!(
        code(liquidation::cover_bankruptcy(
            &mut e.b.view(),
            0,
            usd(5_000),
            NOW
        )),
        u32::from(ErrorCode::CoverNoLiquidity)
    );
    // ADL: ranks at 90. B1: PnL 1,000/10,000 = 10 %, leverage 9,000/11,000;
    // B2: 10 %, leverage 4,500/1,500 = 3 → B2 first, then B1. The fund,
    // holding 300, pays first for the lots ADL closes.
    let mut fills = Vec::new();
    let out =
        adl::auto_deleverage(&mut e.b.view(), 0, usd(300), NOW, &mut |f| fills.push(*f)).unwrap();
    assert_eq!(out.fund_paid, usd(300));
    e.vault += out.fund_paid;
    assert_eq!(out.lots, 15_000);
    assert_eq!(out.price, px(90.0));
    let order: Vec<(u32, u64)> = fills.iter().map(|f| (f.seat, f.lots)).collect();
    assert_eq!(order, vec![(2, 5_000), (1, 10_000)]);
    assert_eq!(fills[0].rank.score, 100_000 * 3_000_000);
    // Deficit after closing at 90: 1,000 − 1,500 = −500; the fund pays 300
    // and 200 is charged pro rata: B2 200 × 5/15 = 66.666667 (rounded up),
    // B1 133.333334; 1 atom surplus.
    assert_eq!((out.deficit, out.unpaid), (usd(500), 0));
    assert_eq!(
        (fills[0].deficit_share, fills[1].deficit_share),
        (66_666_667, 133_333_334)
    );
    assert_eq!((e.coll(0), e.base(0)), (0, 0));
    assert_eq!((e.base(1), e.base(2)), (0, 0));
    // B2: 1,000 + 500 − 66.666667; B1: 10,000 + 1,000 − 133.333334.
    assert_eq!(e.coll(2), 1_433_333_333);
    assert_eq!(e.coll(1), 10_866_666_666);
    e.check();
}

#[test]
fn socialized_loss_spreads_the_deficit_over_the_side() {
    let mut c = cfg();
    c.waterfall_mode = WaterfallMode::Socialized as u8;
    // 0 = A long 15,000; 1 = B1 short 10,000; 2 = B2 short 5,000; 3 = C long
    // 15,000 bought from a fourth short, 4 = D short 15,000.
    let mut e = Env::new(
        c,
        &[
            usd(1_000),
            usd(10_000),
            usd(1_000),
            usd(20_000),
            usd(20_000),
        ],
    );
    e.order(1, Side::Ask, OrderType::Limit, 100.0, 10_000);
    e.order(2, Side::Ask, OrderType::Limit, 100.0, 5_000);
    e.order(0, Side::Bid, OrderType::ImmediateOrCancel, 100.0, 15_000);
    e.order(4, Side::Ask, OrderType::Limit, 100.0, 15_000);
    e.order(3, Side::Bid, OrderType::ImmediateOrCancel, 100.0, 15_000);
    e.price(90.0);
    let mut fills = Vec::new();
    let out = adl::auto_deleverage(&mut e.b.view(), 0, 0, NOW, &mut |f| fills.push(*f)).unwrap();
    // The 500 deficit is taken from the short side's unrealized profit at
    // 90, pro rata to it — B1 1,000, B2 500, D 1,500 (pool 3,000) — by
    // cumulative floors in seat order: B1 166.666666, B2 83.333334, D 250;
    // A is made whole at the mark, then closes at the mark against B2 and
    // B1. The long side (C) is untouched.
    assert!(out.socialized);
    assert_eq!(
        (out.deficit, out.charged, out.unpaid, out.profit_pool),
        (usd(500), usd(500), 0, usd(3_000))
    );
    assert_eq!(fills.iter().map(|f| f.deficit_share).sum::<u64>(), 0);
    // B2: 1,000 + 500 profit − 83.333334; B1: 10,000 + 1,000 − 166.666666.
    assert_eq!(e.coll(2), 1_416_666_666);
    assert_eq!(e.coll(1), 10_833_333_334);
    assert_eq!(e.coll(4), usd(20_000) as i64 - usd(250) as i64);
    assert_eq!(e.coll(3), usd(20_000) as i64);
    e.check();
}

/// A seat at exactly zero equity owes nothing: ADL may close it only where
/// the book cannot take it at its bankruptcy price (the mark); otherwise it
/// is liquidated there and no profitable trader is deleveraged for nothing.
#[test]
fn adl_at_zero_equity_only_without_a_book() {
    // 0 = A long 15,000 lots at 100 with 1,500 (equity 0 at 90),
    // 1 = B short, 2 = C bidder, 3 = keeper.
    let mut e = Env::new(cfg(), &[usd(1_500), usd(10_000), usd(100_000), usd(1_000)]);
    e.order(1, Side::Ask, OrderType::Limit, 100.0, 15_000);
    e.order(0, Side::Bid, OrderType::ImmediateOrCancel, 100.0, 15_000);
    e.price(90.0);
    // Bankruptcy price (15,000 − 1,500) / 150 = 90: the mark.
    let seat = e.b.view_ref().seats[0];
    let pb = liquidation::bankruptcy_price(
        &e.b.view_ref().header.config,
        &e.b.view_ref().header.state,
        &seat,
    )
    .unwrap();
    assert_eq!(pb, Some(px(90.0)));
    // C bids at 90: the book takes A, so ADL is refused.
    e.order(2, Side::Bid, OrderType::Limit, 90.0, 15_000);
    assert_eq!(
        code(adl::auto_deleverage(
            &mut e.b.view(),
            0,
            0,
            NOW,
            &mut |_| {}
        )),
        u32::from(ErrorCode::NotBankrupt)
    );
    trade::cancel(&mut e.b.view(), 2, trade::CancelWhich::All).unwrap();
    // Without it, ADL closes A at the mark against B, charging nothing.
    let out = adl::auto_deleverage(&mut e.b.view(), 0, 0, NOW, &mut |_| {}).unwrap();
    assert_eq!((out.lots, out.deficit, out.charged), (15_000, 0, 0));
    assert_eq!((e.base(0), e.coll(0), e.base(1)), (0, 0, 0));
    e.check();
}
