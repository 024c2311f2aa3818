//! Mark price and funding.
//!
//! mark = index + EMA(basis), clamped to the price band, where a basis
//! sample is (book mid, else last trade, else index) − index. The EMA is
//! time-weighted: a sample `dt` seconds after the last moves the average by
//! `min(dt, T) / T` of the gap (T = `mark_ema_secs`).
//!
//! Funding: mark and index are averaged over time (TWAPs accumulated on
//! every update); once per interval, rate = (mark_avg − index_avg) /
//! index_avg, capped at ±`funding_cap_ppm`, scaled by the time elapsed over
//! the interval. Longs pay shorts when the rate is positive; the cumulative
//! index is quote atoms per base lot (× FUNDING_PRECISION), the same for both
//! sides, so funding paid equals funding received (Σ long = Σ short).

use crate::error::ErrorCode;
use crate::math::{Cast, SafeMath, BPS, FUNDING_PRECISION, PPM};
use crate::state::{MarketConfig, MarketState};
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

/// Folds a basis sample into the EMA and recomputes the mark.
/// `reference` is the book mid or last trade price, if any.
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
    // Without a two-sided book, a trade within the EMA period stands in
    // for the mid; an older trade says nothing about now (basis 0).
    let recent_trade = state.last_trade_price > 0
        && now.saturating_sub(state.last_trade_ts) <= cfg.mark_ema_secs as i64;
    let sample_price = reference.or(if recent_trade {
        Some(state.last_trade_price)
    } else {
        None
    });
    let basis = match sample_price {
        Some(p) => (p as i128).safe_sub(index as i128)?,
        None => 0,
    };
    let t = cfg.mark_ema_secs.max(1) as i128;
    let ema = if state.mark_price == 0 {
        basis
    } else {
        let dt = (now.safe_sub(state.mark_updated_ts)?.max(0) as i128).min(t);
        let old = state.basis_ema as i128;
        old.safe_add(basis.safe_sub(old)?.safe_mul(dt)? / t)?
    };
    state.basis_ema = ema.cast()?;
    let (lo, hi) = band(cfg, index)?;
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
    require!(state.index_price > 0, ErrorCode::IndexNotSet);
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
            ..Default::default()
        }
    }

    #[test]
    fn mark_follows_basis_and_is_clamped() {
        let c = cfg();
        let mut st = MarketState {
            index_price: 100_000_000,
            ..Default::default()
        };
        update_mark(&c, &mut st, Some(100_500_000), 1_000).unwrap();
        assert_eq!(st.mark_price, 100_500_000);
        // Half the EMA period later, a sample at the index halves the basis.
        update_mark(&c, &mut st, Some(100_000_000), 1_050).unwrap();
        assert_eq!(st.basis_ema, 250_000);
        // A wild reference is clamped to the 5 % band.
        update_mark(&c, &mut st, Some(200_000_000), 2_000).unwrap();
        assert_eq!(st.mark_price, 105_000_000);
    }

    #[test]
    fn funding_is_capped_and_signed() {
        let c = cfg();
        let mut st = MarketState {
            index_price: 100_000_000,
            mark_price: 101_000_000,
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
