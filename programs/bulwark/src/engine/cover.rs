//! Insurance cover: the fund pays a deficit only for a position that is
//! closed in the same step, or for a flat seat whose deficit a close left.
//!
//! Rule: `cover_bankruptcy` on a seat with negative equity at the mark
//!  - flat: pays what it can of the deficit;
//!  - with a position: cancels the seat's orders and closes the position
//!    against the book in the same instruction, no worse than the **cover
//!    limit** (the mark moved against the position by the market's
//!    liquidation-fee rate, inside the band), and pays exactly the deficit
//!    of the lots that closed — the rest of the position keeps its pro-rata
//!    share of the deficit (rounded up, for the fund). The cover is allowed
//!    only when what the fund can pay covers closing the *whole* position
//!    at the cover limit (else `CoverTooSmall`); if nothing closes, nothing
//!    is paid (`CoverNoLiquidity`).
//!  - Exactly when a cover cannot close the position — the fund cannot pay
//!    for all of it, or the book cannot take a lot of it — ADL may
//!    (`cover_exhausted`), and ADL pays from the fund first. The two never
//!    both apply, so the keeper's choice never changes who pays. "The
//!    book" is the first `MAX_LIQUIDATION_MAKERS` resting orders the close
//!    would visit, for both (a bounded walk, as in liquidation).
//!
//! The fund never leaves money in an open position: a trader cannot keep
//! the fund's money and wait for the price to come back.
//!
//! Cover cap: a rolling window, as a leaky bucket: every cover fills the
//! bucket; it drains at `insurance_cover_cap` per `insurance_cover_period_secs`
//! (rounded down, for the fund); a cover may only fill it up to the cap. So
//! within any `t` seconds the fund pays one market at most
//! `cap × (1 + t / period)`: at most the cap in a burst, never twice the cap
//! across a window boundary.

use super::book::Side;
use super::liquidation::MAX_LIQUIDATION_MAKERS;
use super::margin;
use super::position::{add_collateral, settle_funding};
use super::trade::{self, match_taker_within, FeeRates, Fill, PlaceOutcome, Taker};
use crate::error::ErrorCode;
use crate::math::{Cast, SafeMath, PPM};
use crate::state::{MarketConfig, MarketMut, WaterfallState};
use anchor_lang::prelude::*;

/// The bucket's level now: the stored level drained for the time since.
pub fn bucket_level(cfg: &MarketConfig, w: &WaterfallState, now: i64) -> u64 {
    let elapsed = now.saturating_sub(w.cover_period_start).max(0) as u128;
    let period = (cfg.insurance_cover_period_secs as u128).max(1);
    let drained = (cfg.insurance_cover_cap as u128)
        .saturating_mul(elapsed)
        .checked_div(period)
        .unwrap_or(u128::MAX)
        .min(u64::MAX as u128) as u64;
    w.cover_used_in_period.saturating_sub(drained)
}

/// What the insurance fund could still pay this market now.
pub fn cover_available(cfg: &MarketConfig, w: &WaterfallState, fund_balance: u64, now: i64) -> u64 {
    fund_balance.min(
        cfg.insurance_cover_cap
            .saturating_sub(bucket_level(cfg, w, now)),
    )
}

/// The worst price a cover close may fill at (price units): the mark moved
/// against the position by `liquidation_fee_ppm` (rounded toward the mark),
/// inside the band.
pub fn cover_limit(cfg: &MarketConfig, index: u64, mark: u64, long: bool) -> Result<u64> {
    let slip: u64 = (mark as u128)
        .safe_mul(cfg.liquidation_fee_ppm as u128)?
        .safe_div(PPM as u128)?
        .cast()?;
    let (lo, hi) = super::mark::band(cfg, index)?;
    Ok(if long {
        mark.saturating_sub(slip).max(lo)
    } else {
        mark.safe_add(slip)?.min(hi)
    })
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CoverOutcome {
    /// quote atoms the fund pays into the market vault.
    pub amount: u64,
    /// base lots closed against the book in the same step.
    pub closed_lots: u64,
    pub fills: u32,
    /// price units; the worst price the close could fill at (0 if flat).
    pub limit: u64,
    /// The seat is flat after the step.
    pub flat_after: bool,
}

/// The close a cover makes of seat `target`'s open position (funding
/// settled): the taker order (limit and size) and what it may pay.
/// None when the fund can pay nothing or not even one lot's worst cost.
pub fn cover_close(
    m: &MarketMut,
    target: usize,
    available: u64,
    now: i64,
) -> Result<Option<(Taker, u64)>> {
    let cfg = &m.header.config;
    let st = &m.header.state;
    let budget = cover_available(cfg, &m.header.waterfall, available, now);
    let seat = &m.seats[target];
    let base = seat.base_lots;
    if budget == 0 || base == 0 {
        return Ok(None);
    }
    let price = margin::risk_price(st);
    let lpu = cfg.base_lots_per_unit;
    let equity = margin::equity(seat, st, lpu, price, true)?;
    let deficit: u64 = (-equity).max(0).cast()?;
    let long = base > 0;
    let abs = base.unsigned_abs();
    let limit = cover_limit(cfg, st.index_price, price, long)?;
    // Worst cost of closing q lots: the pro-rata deficit plus the slippage
    // to the limit; sized so the budget pays it.
    let slip_all = if long {
        margin::notional_ceil(abs, price, lpu)?
            .safe_sub(margin::notional_floor(abs, limit, lpu)?)?
    } else {
        margin::notional_ceil(abs, limit, lpu)?
            .safe_sub(margin::notional_floor(abs, price, lpu)?)?
    };
    let per_all = (deficit as u128).safe_add(slip_all as u128)?;
    let q: u64 = (budget as u128)
        .safe_mul(abs as u128)?
        .safe_div(per_all.max(1))?
        .min(abs as u128)
        .cast()?;
    if q == 0 {
        return Ok(None);
    }
    Ok(Some((
        Taker {
            seat: target,
            side: if long { Side::Ask } else { Side::Bid },
            limit,
            lots: q,
            fees: FeeRates {
                taker_ppm: 0,
                maker_ppm: cfg.maker_fee_ppm.max(0),
            },
        },
        budget,
    )))
}

/// Covers bankrupt seat `target` (see the module doc). `available` is the
/// fund's balance; the caller moves `amount` from the insurance vault to
/// the market vault.
pub fn cover(
    m: &mut MarketMut,
    target: usize,
    available: u64,
    now: i64,
    on_fill: &mut dyn FnMut(&Fill),
) -> Result<CoverOutcome> {
    let cfg = m.header.config;
    trade::require_fresh_index(&cfg, &m.header.state, now)?;
    settle_funding(&mut m.seats[target], &mut m.header.state)?;
    let price = margin::risk_price(&m.header.state);
    let lpu = cfg.base_lots_per_unit;
    let equity = margin::equity(&m.seats[target], &m.header.state, lpu, price, true)?;
    require!(equity < 0, ErrorCode::NotBankrupt);
    let budget = cover_available(&cfg, &m.header.waterfall, available, now);
    require!(budget > 0, ErrorCode::InsuranceCannotCover);
    let mut out = CoverOutcome::default();
    let deficit_before: u64 = (-equity).cast()?;
    let abs = m.seats[target].base_lots.unsigned_abs();
    let needed: u64 = if abs == 0 {
        deficit_before
    } else {
        if m.seats[target].num_orders > 0 {
            trade::cancel(m, target, trade::CancelWhich::All)?;
        }
        let Some((taker, _)) = cover_close(m, target, available, now)? else {
            return err!(ErrorCode::InsuranceCannotCover);
        };
        // Cover and ADL never both apply: the fund closes on the book only
        // what it can pay for whole; otherwise ADL closes at the mark.
        require!(taker.lots == abs, ErrorCode::CoverTooSmall);
        out.limit = taker.limit;
        let mut po = PlaceOutcome::default();
        // Bounded like a liquidation's close: a wall of orders cannot push
        // a cover past the compute limit; what is left stays open with its
        // share of the deficit, and the next cover continues.
        let remaining =
            match_taker_within(m, &taker, now, MAX_LIQUIDATION_MAKERS, &mut po, on_fill)?;
        out.closed_lots = taker.lots.safe_sub(remaining)?;
        out.fills = po.fills;
        require!(out.closed_lots > 0, ErrorCode::CoverNoLiquidity);
        // What the open rest keeps of the deficit, rounded up (for the fund).
        let rest = abs.safe_sub(out.closed_lots)?;
        let kept: u64 = (deficit_before as u128)
            .safe_mul(rest as u128)?
            .div_ceil(abs as u128)
            .cast()?;
        let e_after = margin::equity(&m.seats[target], &m.header.state, lpu, price, true)?;
        // Pay what brings equity up to −kept (nothing if the fills did).
        (-(kept as i128)).safe_sub(e_after)?.max(0).cast()?
    };
    let amount = needed.min(budget);
    let w = &mut m.header.waterfall;
    w.cover_used_in_period = bucket_level(&cfg, w, now).safe_add(amount)?;
    w.cover_period_start = now;
    w.total_cover = w.total_cover.safe_add(amount)?;
    w.bankruptcies = w.bankruptcies.safe_add(1)?;
    add_collateral(&mut m.seats[target], &mut m.header.state, amount.cast()?)?;
    out.amount = amount;
    out.flat_after = m.seats[target].base_lots == 0;
    Ok(out)
}

/// `cover` without fill callbacks: the quote atoms the fund pays.
pub fn cover_bankruptcy(m: &mut MarketMut, target: usize, available: u64, now: i64) -> Result<u64> {
    Ok(cover(m, target, available, now, &mut |_| {})?.amount)
}

/// True when ADL may close bankrupt seat `target` now (its funding
/// settled and its orders cancelled, as ADL does first): `cover` cannot
/// close the whole position — what the fund can pay does not cover the
/// worst cost of closing all of it, or the book cannot take one lot within
/// the cover limit (the same skips and guard as the cover's own close, so
/// the two never both refuse). ADL then pays from the fund first.
pub fn cover_exhausted(m: &MarketMut, target: usize, available: u64, now: i64) -> Result<bool> {
    match cover_close(m, target, available, now)? {
        None => Ok(true),
        Some((taker, _)) if taker.lots < m.seats[target].base_lots.unsigned_abs() => Ok(true),
        Some((taker, _)) => Ok(!trade::would_fill_within(
            m,
            &taker,
            now,
            MAX_LIQUIDATION_MAKERS,
        )?),
    }
}
