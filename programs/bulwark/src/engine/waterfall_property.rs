//! Property test of the waterfall: 1,000 random price paths (gaps included)
//! over a book of leveraged traders; after every step the keeper loop runs
//! (liquidate, take over, cover, deleverage) until nothing is left to do,
//! and then: no value was created or destroyed (market vault + insurance
//! fund = deposits + insurance seed), Σ long = Σ short, every market
//! invariant holds, and no seat is left with negative equity unless it is
//! flat bad debt that neither the fund nor the opposite side could pay.

use super::adl;
use super::audit;
use super::book::Side;
use super::collateral;
use super::liquidation::{self, cover_available};
use super::margin;
use super::property_tests::Rng;
use super::sandbox::MarketBuf;
use super::trade::{self, OrderParams, OrderType};
use super::trade_tests::NOW;
use crate::math::PPM;
use crate::state::{MarketConfig, MarketMut, RiskTier, WaterfallMode};
use anchor_lang::prelude::*;

fn cfg(socialized: bool) -> MarketConfig {
    let mut c = super::trade_tests::config();
    c.liquidation_fee_ppm = 10_000;
    c.keeper_liquidation_share_ppm = 300_000;
    c.takeover_discount_ppm = 500_000;
    c.partial_liquidation_tier = 2;
    c.price_band_bps = 1_000;
    c.num_tiers = 4;
    c.tiers[0] = RiskTier {
        max_notional: 20_000_000_000,
        initial_margin_ppm: 50_000,
        maint_margin_ppm: 25_000,
    };
    c.tiers[1] = RiskTier {
        max_notional: 50_000_000_000,
        initial_margin_ppm: 80_000,
        maint_margin_ppm: 40_000,
    };
    c.tiers[2] = RiskTier {
        max_notional: 100_000_000_000,
        initial_margin_ppm: 100_000,
        maint_margin_ppm: 50_000,
    };
    c.tiers[3] = RiskTier {
        max_notional: u64::MAX / 4,
        initial_margin_ppm: 200_000,
        maint_margin_ppm: 100_000,
    };
    c.insurance_cover_cap = 5_000_000_000;
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

const SEATS: usize = 8;
const KEEPER: usize = SEATS - 1;

/// Runs the keeper loop until no action applies. Returns actions taken.
fn keeper_loop(b: &mut MarketBuf, fund: &mut u64, vault: &mut u64, now: i64) -> usize {
    let mut actions = 0;
    for _round in 0..50 {
        let mut acted = false;
        for s in 0..SEATS {
            // Any other seat can act as keeper for the keeper's own seat.
            let keeper = if s == KEEPER { 0 } else { KEEPER };
            let (unhealthy, equity, base) = {
                let m = b.view_ref();
                let price = margin::risk_price(&m.header.state);
                let seat = &m.seats[s];
                let h =
                    margin::maint_health(&m.header.config, &m.header.state, seat, price).unwrap();
                let e = margin::equity(
                    seat,
                    &m.header.state,
                    m.header.config.base_lots_per_unit,
                    price,
                    true,
                )
                .unwrap();
                (h < 0, e, seat.base_lots)
            };
            if !unhealthy && equity >= 0 {
                continue;
            }
            if base != 0 && equity >= 0 {
                if atomically(b, |m| {
                    liquidation::liquidate(m, s, keeper, now, &mut |_| {})
                })
                .map(|o| o.closed_lots > 0)
                .unwrap_or(false)
                {
                    acted = true;
                    actions += 1;
                    continue;
                }
                if atomically(b, |m| liquidation::takeover(m, s, keeper, now)).is_ok() {
                    acted = true;
                    actions += 1;
                    continue;
                }
            }
            if equity < 0 {
                let avail = {
                    let m = b.view_ref();
                    cover_available(&m.header.config, &m.header.waterfall, *fund, now)
                };
                if let Ok(c) = atomically(b, |m| liquidation::cover_bankruptcy(m, s, avail, now)) {
                    *fund -= c;
                    *vault += c;
                    acted = true;
                    actions += 1;
                    continue;
                }
            }
            if base != 0 && equity <= 0 {
                if let Ok(o) =
                    atomically(b, |m| adl::auto_deleverage(m, s, *fund, now, &mut |_| {}))
                {
                    *fund -= o.fund_paid;
                    *vault += o.fund_paid;
                    acted = true;
                    actions += 1;
                }
            }
        }
        if !acted {
            break;
        }
    }
    actions
}

fn run_path(seed: u64, socialized: bool) -> usize {
    let mut rng = Rng::new(seed);
    let mut b = MarketBuf::new(cfg(socialized), 16, 32);
    let mut vault = 0u64;
    let mut fund = rng.below(3_000_000_000);
    let start_total = {
        let mut m = b.view();
        m.header.state.index_price = 100_000_000;
        m.header.state.mark_price = 100_000_000;
        m.header.state.index_publish_ts = NOW;
        for i in 0..SEATS {
            let s =
                collateral::find_or_claim_seat(&mut m, &Pubkey::new_from_array([i as u8 + 1; 32]))
                    .unwrap();
            let amt = 500_000_000 + rng.below(5_000_000_000);
            collateral::deposit(&mut m, s, amt).unwrap();
            vault += amt;
        }
        vault + fund
    };
    // Leveraged positions: makers rest, takers hit; the keeper stays flat.
    for _ in 0..12 {
        let maker = rng.below(KEEPER as u64) as usize;
        let taker = rng.below(KEEPER as u64) as usize;
        let side = if rng.below(2) == 0 {
            Side::Bid
        } else {
            Side::Ask
        };
        let price = (99_000 + rng.below(2_000)) * 1_000;
        let lots = 1_000 + rng.below(40_000);
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
            trade::place_order(m, maker, &rest, NOW, PPM, &mut |_| {})
        });
        let take = OrderParams {
            side: side.opposite(),
            order_type: OrderType::ImmediateOrCancel,
            ..rest
        };
        let _ = atomically(&mut b, |m| {
            trade::place_order(m, taker, &take, NOW, PPM, &mut |_| {})
        });
    }
    let mut actions = 0;
    let mut now = NOW;
    for _step in 0..12 {
        now += 60;
        let gap = rng.below(10) == 0;
        let bps = if gap {
            rng.below(3_000) as i64 - 1_500
        } else {
            rng.below(400) as i64 - 200
        };
        {
            let m = b.view();
            let p = m.header.state.index_price as i64;
            let np = (p + p * bps / 10_000).max(1_000_000) as u64;
            m.header.state.index_price = np;
            m.header.state.mark_price = np;
            m.header.state.index_publish_ts = now;
        }
        actions += keeper_loop(&mut b, &mut fund, &mut vault, now);
        let m = b.view_ref();
        let v = audit::check_market(&m, vault);
        assert!(v.is_empty(), "seed {seed}: {v:?}");
        // Conservation: tokens only moved between the fund and the vault.
        assert_eq!(
            vault + fund,
            start_total,
            "seed {seed}: value created or destroyed"
        );
        // No seat left with negative equity once the waterfall has run.
        let price = margin::risk_price(&m.header.state);
        for (i, s) in m.seats.iter().enumerate().filter(|(_, s)| !s.is_free()) {
            let e = margin::equity(
                s,
                &m.header.state,
                m.header.config.base_lots_per_unit,
                price,
                true,
            )
            .unwrap();
            // Only bad debt nobody can pay may remain: a flat seat, with
            // the fund unable to pay anything more now.
            let avail = cover_available(&m.header.config, &m.header.waterfall, fund, now);
            assert!(
                e >= 0 || (s.base_lots == 0 && avail == 0),
                "seed {seed}: seat {i} left with equity {e} (base {}, fund can pay {avail})",
                s.base_lots
            );
        }
    }
    actions
}

#[test]
fn thousand_random_price_paths_adl() {
    let actions: usize = (0..1_000u64).map(|s| run_path(s * 7_919 + 1, false)).sum();
    assert!(
        actions > 100,
        "the paths should exercise the waterfall: {actions} actions"
    );
}

#[test]
fn random_price_paths_socialized() {
    let actions: usize = (0..300u64).map(|s| run_path(s * 104_729 + 3, true)).sum();
    assert!(actions > 30, "{actions} actions");
}
