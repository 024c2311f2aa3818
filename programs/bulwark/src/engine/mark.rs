//! Mark price and funding.
//!
//! mark = index + EMA(basis), clamped to the price band. The mark resists
//! one actor:
//!  - **Depth.** A basis sample is (impact mid − index), where the impact
//!    bid (ask) is the price at which selling (buying) `impact_notional`
//!    quote atoms into the live book would complete — expired and
//!    out-of-band orders ignored. Without that depth on both sides the
//!    sample is 0 (the index). No last-trade fallback: a one-lot trade
//!    says nothing about depth.
//!  - **Duration.** A sample is weighted by the time it actually held: an
//!    update first folds the *previous* sample in with weight
//!    `min(dt, T) / T` (T = `mark_ema_secs`, dt = seconds since the last
//!    update), then stores the new sample for the next update. A quote
//!    placed and used in the same second has no weight at all.
//!  - **Cap.** One update moves the basis average by at most
//!    `mark_max_move_bps` of the index.
//!
//! The bound: within one transaction (one clock second) the basis average
//! cannot move after the first update, and that first update only weighs
//! samples that held before the transaction — so one transaction of one
//! actor's quotes moves the mark by 0 beyond what the index does. Over
//! `t` seconds (t ≤ T), n updates move the basis average by at most
//! `min(n × mark_max_move_bps × index, t / T × 2 × band)`; with the
//! defaults (T = 300 s, band 5 %, cap 10 bps, one update per second) one
//! minute of one actor's quotes moves the mark at most 2 % of the index,
//! and only if that actor kept `impact_notional` of depth on both sides
//! of the book (each order reserving its initial margin) for that minute.
//!
//! Funding: mark and index are averaged over time (TWAPs accumulated on
//! every update); once per interval, rate = (mark_avg − index_avg) /
//! index_avg, capped at ±`funding_cap_ppm`, scaled by the time elapsed over
//! the interval. Longs pay shorts when the rate is positive; the cumulative
//! index is quote atoms per base lot (× FUNDING_PRECISION), the same for both
//! sides, so funding paid equals funding received (Σ long = Σ short).

use crate::error::ErrorCode;
use crate::math::{Cast, SafeMath, BPS, FUNDING_PRECISION, PPM};
use crate::state::{MarketConfig, MarketMut, MarketState, Order};
use anchor_lang::prelude::*;

/// [lower, upper] of the band around `index`, in price units.
pub fn band(cfg: &MarketConfig, index: u64) -> Result<(u64, u64)> {
    let width: u64 = (index as u128)
        .safe_mul(cfg.price_band_bps as u128)?
        .safe_div(BPS as u128)?
        .cast()?;
    Ok((index.saturating_sub(width), index.safe_add(width)?))
}

pub fn within_band(cfg: &MarketConfig, index: u64, price: u64) -> Result<bool> {
    let (lo, hi) = band(cfg, index)?;
    Ok(price >= lo && price <= hi)
}

/// Adds `mark × dt` and `index × dt` to the funding TWAP accumulators.
pub fn accrue_twap(state: &mut MarketState, now: i64) -> Result<()> {
    if state.twap_last_ts == 0 {
        state.twap_last_ts = now;
        state.twap_start_ts = now;
        return Ok(());
    }
    let dt = now.safe_sub(state.twap_last_ts)?.max(0) as i128;
    if dt > 0 && state.index_price > 0 {
        let mark = if state.mark_price > 0 {
            state.mark_price
        } else {
            state.index_price
        };
        state.mark_twap_acc.set(
            state
                .mark_twap_acc
                .get()
                .safe_add((mark as i128).safe_mul(dt)?)?,
        );
        state.index_twap_acc.set(
            state
                .index_twap_acc
                .get()
                .safe_add((state.index_price as i128).safe_mul(dt)?)?,
        );
    }
    state.twap_last_ts = now;
    Ok(())
}

/// The impact price of one side of the book: the price of the order at
/// which selling into the bids (or buying from the asks) `notional` quote
/// atoms over live orders (not expired, inside [lo, hi]) would complete.
/// None when the side lacks that depth. `orders` is sorted best last.
pub fn impact_price(
    orders: &[Order],
    n: u32,
    lo: u64,
    hi: u64,
    now: i64,
    notional: u64,
    lpu: u64,
) -> Result<Option<u64>> {
    let mut acc: u64 = 0;
    for o in orders[..n as usize].iter().rev() {
        if (o.expiry_ts != 0 && o.expiry_ts <= now) || o.price < lo || o.price > hi {
            continue;
        }
        acc = acc.saturating_add(super::margin::notional_floor(o.lots, o.price, lpu)?);
        if acc >= notional {
            return Ok(Some(o.price));
        }
    }
    Ok(None)
}

/// The impact mid (rounded down), when both sides have `impact_notional`
/// of live depth inside the band around the index.
pub fn impact_mid(
    cfg: &MarketConfig,
    index: u64,
    bids: &[Order],
    nb: u32,
    asks: &[Order],
    na: u32,
    now: i64,
) -> Result<Option<u64>> {
    if index == 0 {
        return Ok(None);
    }
    let (lo, hi) = band(cfg, index)?;
    let (n, lpu) = (cfg.impact_notional.max(1), cfg.base_lots_per_unit);
    let Some(b) = impact_price(bids, nb, lo, hi, now, n, lpu)? else {
        return Ok(None);
    };
    let Some(a) = impact_price(asks, na, lo, hi, now, n, lpu)? else {
        return Ok(None);
    };
    Ok(Some(((b as u128 + a as u128) / 2).cast()?))
}

/// The mark update every path makes (orders, `refresh_prices`): the
/// market's own impact mid as the sample.
pub fn mark_from_book(m: &mut MarketMut, now: i64) -> Result<()> {
    let cfg = m.header.config;
    let mid = impact_mid(
        &cfg,
        m.header.state.index_price,
        m.bids,
        m.header.num_bids,
        m.asks,
        m.header.num_asks,
        now,
    )?;
    update_mark(&cfg, &mut m.header.state, mid, now)
}

/// Folds the last basis sample into the EMA for the time it held, stores
/// `reference` (the impact mid, if any) as the next sample, and recomputes
/// the mark (see the module doc).
pub fn update_mark(
    cfg: &MarketConfig,
    state: &mut MarketState,
    reference: Option<u64>,
    now: i64,
) -> Result<()> {
    let index = state.index_price;
    if index == 0 {
        return Ok(());
    }
    accrue_twap(state, now)?;
    let sample: i64 = match reference {
        Some(p) => (p as i128).safe_sub(index as i128)?.cast()?,
        None => 0,
    };
    let t = cfg.mark_ema_secs.max(1) as i128;
    let ema = if state.mark_price == 0 {
        0
    } else {
        let dt = (now.safe_sub(state.mark_updated_ts)?.max(0) as i128).min(t);
        let old = state.basis_ema as i128;
        let step = (state.basis_sample as i128).safe_sub(old)?.safe_mul(dt)? / t;
        let cap = (index as i128).safe_mul(cfg.mark_max_move_bps as i128)? / BPS as i128;
        old.safe_add(step.clamp(-cap, cap))?
    };
    let (lo, hi) = band(cfg, index)?;
    // Keep the average itself inside the band, so a gap in the index does
    // not leave a stale basis pinned beyond it.
    let ema = ema.clamp(
        (lo as i128).safe_sub(index as i128)?,
        (hi as i128).safe_sub(index as i128)?,
    );
    state.basis_ema = ema.cast()?;
    state.basis_sample = sample;
    let raw = (index as i128).safe_add(ema)?;
    state.mark_price = raw.clamp(lo as i128, hi as i128).cast()?;
    state.mark_updated_ts = now;
    Ok(())
}

/// Applies funding for the time since the last update. Permissionless; at
/// most once per interval. Returns the rate applied (ppm per interval).
pub fn update_funding(cfg: &MarketConfig, state: &mut MarketState, now: i64) -> Result<i64> {
    let elapsed = now.safe_sub(state.last_funding_ts)?;
    require!(
        elapsed >= cfg.funding_interval_secs as i64,
        ErrorCode::FundingTooEarly
    );
    // The rate rests on the index: it must be fresh (refresh in the same
    // transaction), or a stale index would set everyone's funding.
    super::trade::require_fresh_index(cfg, state, now)?;
    accrue_twap(state, now)?;
    let window = now.safe_sub(state.twap_start_ts)?.max(0) as i128;
    let (mark_avg, index_avg) = if window > 0 && state.index_twap_acc.get() > 0 {
        (
            state.mark_twap_acc.get() / window,
            state.index_twap_acc.get() / window,
        )
    } else {
        let mark = if state.mark_price > 0 {
            state.mark_price
        } else {
            state.index_price
        };
        (mark as i128, state.index_price as i128)
    };
    let cap = cfg.funding_cap_ppm as i128;
    let rate_ppm = mark_avg
        .safe_sub(index_avg)?
        .safe_mul(PPM as i128)?
        .safe_div(index_avg.max(1))?
        .clamp(-cap, cap);
    // quote atoms per lot per interval = index_avg × rate / (1e6 × lots_per_unit);
    // scaled by FUNDING_PRECISION and by elapsed / interval.
    let delta = index_avg
        .safe_mul(rate_ppm)?
        .safe_mul(FUNDING_PRECISION)?
        .safe_mul(elapsed as i128)?
        .safe_div(
            (PPM as i128)
                .safe_mul(cfg.base_lots_per_unit as i128)?
                .safe_mul(cfg.funding_interval_secs as i128)?,
        )?;
    state
        .cum_funding_per_lot
        .set(state.cum_funding_per_lot.get().safe_add(delta)?);
    state.last_funding_ts = now;
    state.last_funding_rate_ppm = rate_ppm.cast()?;
    state.mark_twap_acc.set(0);
    state.index_twap_acc.set(0);
    state.twap_start_ts = now;
    Ok(state.last_funding_rate_ppm)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> MarketConfig {
        MarketConfig {
            price_band_bps: 500,
            mark_ema_secs: 100,
            funding_interval_secs: 3_600,
            funding_cap_ppm: 1_000,
            base_lots_per_unit: 10_000,
            mark_max_move_bps: 10,
            ..Default::default()
        }
    }

    #[test]
    fn a_sample_weighs_the_time_it_held() {
        let mut c = cfg();
        c.mark_max_move_bps = 500;
        let mut st = MarketState {
            index_price: 100_000_000,
            ..Default::default()
        };
        // First update: the mark starts at the index; the sample is stored.
        update_mark(&c, &mut st, Some(100_500_000), 1_000).unwrap();
        assert_eq!((st.mark_price, st.basis_sample), (100_000_000, 500_000));
        // Again in the same second: no weight, whatever is quoted.
        update_mark(&c, &mut st, Some(105_000_000), 1_000).unwrap();
        assert_eq!(st.basis_ema, 0);
        // 50 s later: the 5 % sample held 0 s, so it still has no weight
        // (the last stored one is what held) — this is the 5 % one.
        update_mark(&c, &mut st, Some(100_000_000), 1_050).unwrap();
        assert_eq!(st.basis_ema, 5_000_000 * 50 / 100);
        // A wild reference is clamped to the band.
        update_mark(&c, &mut st, Some(200_000_000), 2_000).unwrap();
        update_mark(&c, &mut st, Some(200_000_000), 3_000).unwrap();
        assert_eq!(st.mark_price, 105_000_000);
    }

    #[test]
    fn one_update_moves_at_most_the_cap() {
        let c = cfg(); // cap 10 bps
        let mut st = MarketState {
            index_price: 100_000_000,
            ..Default::default()
        };
        update_mark(&c, &mut st, Some(105_000_000), 1_000).unwrap();
        update_mark(&c, &mut st, Some(105_000_000), 1_100).unwrap();
        // A full period of a 5 % sample: capped at 0.1 % of the index.
        assert_eq!(st.mark_price, 100_100_000);
    }

    #[test]
    fn impact_prices_need_depth_and_skip_dead_orders() {
        let c = MarketConfig {
            impact_notional: 1_000_000,
            ..cfg()
        };
        let o = |price: u64, lots: u64, expiry_ts: i64| Order {
            price,
            lots,
            expiry_ts,
            ..Default::default()
        };
        // Impact notional 1 USD; one lot at 99 is 9,900 atoms (lpu 10,000).
        let index = 100_000_000;
        let bids = [
            o(97_000_000, 1_000_000, 0),
            o(99_000_000, 1, 0),
            o(99_500_000, 5_000_000, 5),
        ];
        let asks = [o(103_000_000, 1_000_000, 0), o(101_000_000, 1, 0)];
        // The 99.5 bid expired at 5; one lot at 99 is not depth: 97 is.
        let mid = impact_mid(&c, index, &bids, 3, &asks, 2, 10).unwrap();
        assert_eq!(mid, Some(100_000_000));
        // Out-of-band orders do not count either (band 5 %: 95..105).
        let asks = [o(106_000_000, 1_000_000, 0), o(101_000_000, 1, 0)];
        assert_eq!(impact_mid(&c, index, &bids, 3, &asks, 2, 10).unwrap(), None);
    }

    #[test]
    fn funding_is_capped_and_signed() {
        let c = cfg();
        let mut c = c;
        c.oracle.max_staleness_secs = 60;
        let mut st = MarketState {
            index_price: 100_000_000,
            mark_price: 101_000_000,
            index_publish_ts: 3_600,
            ..Default::default()
        };
        st.last_funding_ts = 0;
        accrue_twap(&mut st, 1).unwrap();
        assert!(update_funding(&c, &mut st, 1_000).is_err());
        let rate = update_funding(&c, &mut st, 3_601).unwrap();
        // 1 % premium, capped at 0.1 %.
        assert_eq!(rate, 1_000);
        // 100 USD × 0.1 % = 0.1 USD per unit = 10 atoms per lot, × 3601/3600.
        let per_lot = st.cum_funding_per_lot.get();
        assert_eq!(
            per_lot,
            100_000_000i128 * 1_000 * FUNDING_PRECISION * 3_601 / (1_000_000 * 10_000 * 3_600)
        );
    }
}
