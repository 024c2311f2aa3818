//! Adversarial property test: random sequences of operations by a group of
//! colluding wallets — self-trades between their seats at the band edges,
//! one-lot quotes at the edges, every waterfall call (liquidate, takeover,
//! cover, ADL) at any moment with any seat as target and any seat as
//! keeper, stakes and unstakes around covers — over price paths with gaps
//! of up to 40 %. After every step, besides the market invariants
//! (`audit::check_market`) and conservation (market vault + insurance fund
//! = everything deposited, less everything withdrawn):
//!  1. no trader-chosen operation (order, cancel, withdraw) left a seat
//!     below zero equity that was not below zero before (both measured at
//!     the mark after the operation, so a price move is not counted);
//!  2. the insurance fund paid only a seat closed in the same step (its
//!     position shrank) or already flat, and never more than its deficit
//!     (its equity is still ≤ 0 afterwards);
//!  3. no waterfall operation made a solvent seat other than its target
//!     insolvent (ADL, socialized loss, liquidation and takeover alike);
//!  4. one operation moved the mark's basis average by at most
//!     `mark_max_move_bps` of the index (the stated per-update bound), and
//!     not at all within the clock second of the previous update.

use super::adl;
use super::audit;
use super::book::Side;
use super::collateral;
use super::cover;
use super::liquidation;
use super::margin;
use super::mark;
use super::property_tests::Rng;
use super::sandbox::MarketBuf;
use super::staking;
use super::trade::{self, CancelWhich, OrderParams, OrderType};
use super::trade_tests::NOW;
use crate::math::{BPS, PPM};
use crate::state::{MarketConfig, MarketMut, MarketRef, RiskTier, WaterfallMode};
use anchor_lang::prelude::*;

const SEATS: usize = 8;
const P100: u64 = 100_000_000;

fn cfg(socialized: bool) -> MarketConfig {
    let mut c = super::trade_tests::config();
    c.liquidation_fee_ppm = 10_000;
    c.keeper_liquidation_share_ppm = 300_000;
    c.takeover_discount_ppm = 500_000;
    c.partial_liquidation_tier = 1;
    c.price_band_bps = 500;
    c.impact_notional = 500_000_000;
    c.mark_max_move_bps = 10;
    c.num_tiers = 3;
    c.tiers[0] = RiskTier {
        max_notional: 10_000_000_000,
        initial_margin_ppm: 50_000,
        maint_margin_ppm: 25_000,
    };
    c.tiers[1] = RiskTier {
        max_notional: 40_000_000_000,
        initial_margin_ppm: 80_000,
        maint_margin_ppm: 40_000,
    };
    c.tiers[2] = RiskTier {
        max_notional: u64::MAX / 4,
        initial_margin_ppm: 150_000,
        maint_margin_ppm: 75_000,
    };
    c.insurance_cover_cap = 3_000_000_000;
    c.insurance_cover_period_secs = 3_600;
    c.waterfall_mode = if socialized {
        WaterfallMode::Socialized as u8
    } else {
        WaterfallMode::Adl as u8
    };
    c
}

fn atomically<T>(b: &mut MarketBuf, f: impl FnOnce(&mut MarketMut) -> Result<T>) -> Result<T> {
    let before = b.bytes().to_vec();
    let r = f(&mut b.view());
    if r.is_err() {
        b.bytes_mut().copy_from_slice(&before);
    }
    r
}

/// Equity of every seat of `m` at `price`.
fn equities(m: &MarketRef, price: u64) -> Vec<i128> {
    m.seats
        .iter()
        .map(|s| {
            margin::equity(
                s,
                &m.header.state,
                m.header.config.base_lots_per_unit,
                price,
                true,
            )
            .unwrap()
        })
        .collect()
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Trader,
    Waterfall(usize),
    Cover(usize),
    Price,
    Insurance,
}

/// The insurance fund as the test sees it: balance and shares (the
/// staking engine's share math), with at most one unstake request.
struct Fund {
    balance: u64,
    shares: u64,
    staker_shares: u64,
    request: Option<(u64, u64, i64)>,
}

#[derive(Default, Debug)]
struct Counts {
    fills: usize,
    refused_fills: usize,
    covers: usize,
    adls: usize,
    liquidations: usize,
    stakes: usize,
}

fn run(seed: u64, steps: usize, socialized: bool) -> Counts {
    let mut rng = Rng::new(seed);
    let mut b = MarketBuf::new(cfg(socialized), 16, 64);
    let mut vault = 0u64;
    let mut fund = Fund {
        balance: 0,
        shares: 0,
        staker_shares: 0,
        request: None,
    };
    let mut now = NOW;
    let mut counts = Counts::default();
    {
        let mut m = b.view();
        m.header.state.index_price = P100;
        m.header.state.index_publish_ts = now;
        m.header.state.last_funding_ts = now;
        for i in 0..SEATS {
            let owner = Pubkey::new_from_array([i as u8 + 1; 32]);
            let s = collateral::find_or_claim_seat(&mut m, &owner).unwrap();
            let amt = 200_000_000 + rng.below(5_000_000_000);
            collateral::deposit(&mut m, s, amt).unwrap();
            vault += amt;
        }
    }
    let seed_fund = 500_000_000 + rng.below(2_000_000_000);
    fund.shares = staking::shares_for_deposit(seed_fund, 0, 0).unwrap();
    fund.balance = seed_fund;
    let mut total_in = vault + seed_fund;
    let mut total_out = 0u64;
    for step in 0..steps {
        let before_bytes = b.bytes().to_vec();
        let ema_before = b.view_ref().header.state.basis_ema;
        let mark_ts_before = b.view_ref().header.state.mark_updated_ts;
        let mut a = rng.below(SEATS as u64) as usize;
        let c0 = rng.below(SEATS as u64 - 1) as usize;
        // Half the time the waterfall goes after a seat it can act on.
        if rng.below(2) == 0 {
            let m = b.view_ref();
            let price = margin::risk_price(&m.header.state);
            if let Some(i) = (0..SEATS).find(|&i| {
                margin::maint_health(&m.header.config, &m.header.state, &m.seats[i], price).unwrap()
                    < 0
            }) {
                a = i;
            }
        }
        let c = (a + 1 + c0) % SEATS;
        let mut kind = Kind::Trader;
        let mut paid = 0u64;
        let index = b.view_ref().header.state.index_price;
        let (lo, hi) = mark::band(&b.view_ref().header.config, index).unwrap();
        let tick = 1_000;
        let edge = |p: u64| p / tick * tick;
        match rng.below(100) {
            // Self-trade pair at a band edge: one colluder rests, the other
            // takes, with sizes up to far beyond their margin.
            0..=24 => {
                // At a band edge, or (a leveraged position) near the index.
                let price = match rng.below(3) {
                    0 => edge(lo + tick - 1),
                    1 => edge(hi),
                    _ => edge(index - index / 500 + rng.below(index / 250)),
                };
                // Leverage 1x to 40x on the resting colluder's collateral.
                let lev = [1u64, 3, 8, 15, 40][rng.below(5) as usize];
                let coll = b.view_ref().seats[a].collateral.max(0) as u64;
                let per_lot = (index / b.view_ref().header.config.base_lots_per_unit).max(1);
                let lots = 1 + rng.below((coll / per_lot).saturating_mul(lev).max(1));
                let side = if rng.below(2) == 0 {
                    Side::Bid
                } else {
                    Side::Ask
                };
                let rest = OrderParams {
                    side,
                    order_type: OrderType::Limit,
                    price,
                    lots,
                    client_order_id: 0,
                    expiry_ts: 0,
                    reduce_only: false,
                };
                let _ = atomically(&mut b, |m| {
                    trade::place_order(m, a, &rest, now, PPM, &mut |_| {})
                });
                let take = OrderParams {
                    side: side.opposite(),
                    order_type: if rng.below(2) == 0 {
                        OrderType::ImmediateOrCancel
                    } else {
                        OrderType::Market
                    },
                    ..rest
                };
                match atomically(&mut b, |m| {
                    trade::place_order(m, c, &take, now, PPM, &mut |_| {})
                }) {
                    Ok(o) => counts.fills += o.fills as usize,
                    Err(_) => counts.refused_fills += 1,
                }
            }
            // Quotes: one-lot or deep, at the edges or near the index.
            25..=39 => {
                let side = if rng.below(2) == 0 {
                    Side::Bid
                } else {
                    Side::Ask
                };
                let price = match rng.below(3) {
                    0 => edge(lo + tick - 1),
                    1 => edge(hi),
                    _ => edge(index - index / 200 + rng.below(index / 100)),
                };
                let lots = if rng.below(3) == 0 {
                    1
                } else {
                    1 + rng.below(20_000)
                };
                let order_type = match rng.below(6) {
                    0 => OrderType::PostOnly,
                    1 => OrderType::ImmediateOrCancel,
                    2 => OrderType::FillOrKill,
                    _ => OrderType::Limit,
                };
                let p = OrderParams {
                    side,
                    order_type,
                    price: price.max(tick),
                    lots,
                    client_order_id: 0,
                    expiry_ts: if rng.below(4) == 0 { now + 30 } else { 0 },
                    reduce_only: rng.below(5) == 0,
                };
                if let Ok(o) = atomically(&mut b, |m| {
                    trade::place_order(m, a, &p, now, PPM, &mut |_| {})
                }) {
                    counts.fills += o.fills as usize;
                }
            }
            40..=43 => {
                let _ = atomically(&mut b, |m| trade::cancel(m, a, CancelWhich::All));
            }
            44 | 45 => {
                let amt = 1 + rng.below(3_000_000_000);
                if atomically(&mut b, |m| collateral::deposit(m, a, amt)).is_ok() {
                    vault += amt;
                    total_in += amt;
                }
            }
            46 | 47 => {
                // (The token transfer fails where the vault holds less.)
                let amt = rng.below(2_000_000_000).min(vault);
                let price = margin::risk_price(&b.view_ref().header.state);
                if atomically(&mut b, |m| collateral::withdraw(m, a, amt, price)).is_ok() {
                    vault -= amt;
                    total_out += amt;
                }
            }
            // Price: small moves, sometimes gaps up to 40 %; the mark is
            // refreshed as `refresh_prices` does.
            48..=59 => {
                kind = Kind::Price;
                now += rng.below(90) as i64;
                let bps = match rng.below(10) {
                    0 => rng.below(8_001) as i64 - 4_000,
                    1 | 2 => rng.below(1_001) as i64 - 500,
                    _ => rng.below(101) as i64 - 50,
                };
                let mut m = b.view();
                let p = m.header.state.index_price as i64;
                mark::accrue_twap(&mut m.header.state, now).unwrap();
                m.header.state.index_price = (p + p * bps / 10_000).max(1_000_000) as u64;
                m.header.state.index_publish_ts = now;
                mark::mark_from_book(&mut m, now).unwrap();
            }
            // The waterfall, called by anyone on anyone.
            60..=69 => {
                kind = Kind::Waterfall(a);
                if let Ok(o) = atomically(&mut b, |m| {
                    liquidation::liquidate(m, a, c, now, &mut |_| {})
                }) {
                    counts.liquidations += (o.closed_lots > 0) as usize;
                }
            }
            70..=74 => {
                kind = Kind::Waterfall(a);
                if atomically(&mut b, |m| liquidation::takeover(m, a, c, now)).is_ok() {
                    counts.liquidations += 1;
                }
            }
            75..=82 => {
                kind = Kind::Cover(a);
                if let Ok(o) = atomically(&mut b, |m| {
                    cover::cover(m, a, fund.balance, now, &mut |_| {})
                }) {
                    paid = o.amount;
                    counts.covers += 1;
                }
            }
            83..=90 => {
                kind = Kind::Cover(a);
                if let Ok(o) = atomically(&mut b, |m| {
                    adl::auto_deleverage(m, a, fund.balance, now, &mut |_| {})
                }) {
                    paid = o.fund_paid;
                    counts.adls += 1;
                }
            }
            // Staking around covers: stake, request, withdraw.
            _ => {
                kind = Kind::Insurance;
                match rng.below(3) {
                    0 => {
                        let amt = 1 + rng.below(3_000_000_000);
                        if let Ok(s) = staking::shares_for_deposit(amt, fund.shares, fund.balance) {
                            if s > 0 {
                                fund.shares += s;
                                fund.staker_shares += s;
                                fund.balance += amt;
                                total_in += amt;
                                counts.stakes += 1;
                            }
                        }
                    }
                    1 if fund.request.is_none() && fund.staker_shares > 0 => {
                        let sh = 1 + rng.below(fund.staker_shares);
                        let v = staking::value_of_shares(sh, fund.shares, fund.balance).unwrap();
                        fund.request = Some((sh, v, now));
                    }
                    _ => {
                        if let Some((sh, v, _)) = fund.request.take() {
                            let pay =
                                staking::unstake_payout(v, sh, fund.shares, fund.balance).unwrap();
                            fund.shares -= sh;
                            fund.staker_shares -= sh;
                            fund.balance -= pay;
                            total_out += pay;
                        }
                    }
                }
            }
        }
        fund.balance -= paid;
        vault += paid;

        let before = MarketBuf::from_account_data(&before_bytes);
        let m = b.view_ref();
        let v = audit::check_market(&m, vault);
        assert!(v.is_empty(), "seed {seed} step {step}: {v:?}");
        assert_eq!(
            vault + fund.balance + total_out,
            total_in,
            "seed {seed} step {step}: value created or destroyed"
        );
        let price = margin::risk_price(&m.header.state);
        let e1 = equities(&m, price);
        let e0 = equities(&before.view_ref(), price);
        match kind {
            Kind::Trader => {
                for i in 0..SEATS {
                    assert!(
                        e1[i] >= 0 || e0[i] < 0,
                        "seed {seed} step {step}: a trader's operation sank seat {i}: {} -> {}",
                        e0[i],
                        e1[i]
                    );
                }
            }
            Kind::Waterfall(t) | Kind::Cover(t) => {
                for i in (0..SEATS).filter(|&i| i != t) {
                    assert!(
                        e1[i] >= 0 || e0[i] < 0,
                        "seed {seed} step {step}: {kind:?} sank solvent seat {i}: {} -> {}",
                        e0[i],
                        e1[i]
                    );
                }
                if paid > 0 {
                    let b0 = before.view_ref().seats[t].base_lots.unsigned_abs();
                    let b1 = m.seats[t].base_lots.unsigned_abs();
                    assert!(
                        b0 == 0 || b1 < b0,
                        "seed {seed} step {step}: the fund paid {paid} to open seat {t}"
                    );
                    assert!(
                        e1[t] <= 0,
                        "seed {seed} step {step}: the fund overpaid seat {t}: {}",
                        e1[t]
                    );
                }
            }
            Kind::Price | Kind::Insurance => {}
        }
        if kind != Kind::Price {
            let cap = index as i128 * m.header.config.mark_max_move_bps as i128 / BPS as i128;
            let moved = (m.header.state.basis_ema as i128 - ema_before as i128).abs();
            assert!(
                moved <= cap,
                "seed {seed} step {step}: the basis moved {moved} > {cap}"
            );
            if mark_ts_before == now {
                assert_eq!(moved, 0, "seed {seed} step {step}: moved within a second");
            }
        }
        // Time passes between operations now and then.
        if rng.below(4) == 0 {
            now += 1 + rng.below(20) as i64;
            let m = b.view();
            m.header.state.index_publish_ts = now;
        }
    }
    counts
}

#[test]
fn colluding_wallets_cannot_break_the_rules() {
    let mut total = Counts::default();
    for (k, seed) in [11u64, 2_027, 90_001, 7_777_777, 31_337].iter().enumerate() {
        let c = run(*seed, 5_000, k % 2 == 1);
        total.fills += c.fills;
        total.refused_fills += c.refused_fills;
        total.covers += c.covers;
        total.adls += c.adls;
        total.liquidations += c.liquidations;
        total.stakes += c.stakes;
    }
    // The sequences exercise what they attack.
    assert!(total.fills > 2_000, "{total:?}");
    assert!(total.refused_fills > 100, "{total:?}");
    assert!(total.liquidations > 20, "{total:?}");
    assert!(total.covers > 5 && total.adls > 5, "{total:?}");
    assert!(total.stakes > 100, "{total:?}");
}
