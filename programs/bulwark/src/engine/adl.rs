//! Auto-deleveraging and socialized loss.
//!
//! A bankrupt position (equity ≤ 0 at the mark) that the insurance fund can
//! no longer make whole is closed against the opposite side's positions in
//! the order of a ranking the program computes over the whole seat table.
//! The keeper names only the bankrupt seat; it cannot choose or skip anyone.
//!
//! Ranking (BitMEX's rule, PnL% × effective leverage), in integers:
//!   pnl_ppm  = floor(upnl × 1e6 / |entry_cost|)          (0 if entry is 0)
//!   lev_ppm  = floor(notional × 1e6 / equity)             (0 if equity ≤ 0)
//!   score    = pnl_ppm × lev_ppm                          (i128, ppm²)
//! with upnl and notional at the mark (notional rounded up), equity =
//! collateral + upnl − owed funding/loss. Higher score first; ties go to the
//! larger notional, then to the lower seat index. Profitable positions
//! therefore come first; losing ones rank below every profitable one.
//!
//! The close is done at the mark, taking exactly the bankrupt position's
//! lots (no more). The deficit left (its negative collateral) is then
//!  - ADL mode: charged to the counterparties pro rata to the lots each took
//!    (each share rounded up, the surplus to the insurance fund), which is
//!    the same as closing them at the bankruptcy price;
//!  - socialized mode: spread over every position still open on the
//!    counterparties' side, pro rata to size, through the side's loss index
//!    (O(1)); if no position is left there, it falls back to the ADL charge.

use super::margin;
use super::position::{add_collateral, add_dust, settle_funding, side_index, socialize};
use super::trade::{self, FeeRates};
use crate::error::ErrorCode;
use crate::math::{Cast, SafeDivCeil, SafeMath, PPM};
use crate::state::{MarketConfig, MarketMut, MarketState, Seat, WaterfallMode};
use anchor_lang::prelude::*;

/// The inputs and result of one seat's ranking, as published in events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RankInputs {
    /// quote atoms at the mark.
    pub upnl: i64,
    pub entry_cost: i64,
    /// quote atoms, rounded up.
    pub notional: u64,
    /// quote atoms.
    pub equity: i64,
    /// ppm².
    pub score: i128,
}

pub fn rank_inputs(
    cfg: &MarketConfig,
    state: &MarketState,
    seat: &Seat,
    mark: u64,
) -> Result<RankInputs> {
    // Position value rounded down (as `margin::unrealized_pnl`) and notional
    // rounded up (as `margin::notional_ceil`) from one division; in 64 bits
    // when the product fits (native division on SBF), else in 128.
    let lpu = cfg.base_lots_per_unit;
    let abs = seat.base_lots.unsigned_abs();
    let (q, inexact): (u128, u128) = match abs.checked_mul(mark) {
        Some(p) => {
            let q = p / lpu;
            (q as u128, (p - q * lpu != 0) as u128)
        }
        None => {
            let p = abs as u128 * mark as u128;
            let q = p / lpu as u128;
            (q, (p - q * lpu as u128 != 0) as u128)
        }
    };
    let notional: u64 = (q + inexact).cast()?;
    let value: i128 = if seat.base_lots >= 0 {
        q as i128
    } else {
        -((q + inexact) as i128)
    };
    let upnl: i64 = (value - seat.entry_cost as i128).cast()?;
    // Most seats are settled: skip the 128-bit owed-charges math then.
    let settled = seat.funding_snapshot == state.cum_funding_per_lot
        && match side_index(seat.base_lots) {
            Some(side) => seat.loss_snapshot == state.social_loss_per_lot[side],
            None => true,
        };
    let owed = if settled {
        0
    } else {
        super::position::pending_charges(seat, state)?
    };
    let equity: i64 = seat.collateral.safe_add(upnl)?.safe_sub(owed)?;
    let entry = seat.entry_cost.unsigned_abs();
    // Signed divisions done on magnitudes (truncating toward zero), in 64
    // bits when they fit.
    let ratio_ppm = |num: u64, den: u64| -> u128 {
        if den == 0 {
            return 0;
        }
        match num.checked_mul(PPM) {
            Some(n) => (n / den) as u128,
            None => num as u128 * PPM as u128 / den as u128,
        }
    };
    let pnl_mag = ratio_ppm(upnl.unsigned_abs(), entry);
    let lev = if equity <= 0 {
        0
    } else {
        ratio_ppm(notional, equity as u64)
    };
    // |score| = |pnl_ppm| × lev_ppm, in 64 bits when it fits, saturating at
    // i128's bound (only for absurd leverage).
    let mag: i128 = match (u64::try_from(pnl_mag), u64::try_from(lev)) {
        (Ok(a), Ok(b)) => match a.checked_mul(b) {
            Some(p) => p as i128,
            None => (a as u128 * b as u128).min(i128::MAX as u128) as i128,
        },
        _ => pnl_mag.saturating_mul(lev).min(i128::MAX as u128) as i128,
    };
    let score = if upnl < 0 { -mag } else { mag };
    Ok(RankInputs {
        upnl,
        entry_cost: seat.entry_cost,
        notional,
        equity,
        score,
    })
}

/// True when (a, ia) ranks before (b, ib).
fn ranks_before(a: &RankInputs, ia: usize, b: &RankInputs, ib: usize) -> bool {
    (a.score, a.notional, core::cmp::Reverse(ia)) > (b.score, b.notional, core::cmp::Reverse(ib))
}

/// Counterparties one `auto_deleverage` call takes at most.
pub const ADL_BATCH: usize = 16;

/// The `ADL_BATCH` top-ranked seats holding a position on `side` (0 long,
/// 1 short), other than `exclude`, best first, in one pass over the seat
/// table. Closing the bankrupt position changes no other seat's score, so
/// this is the order of repeated "take the top-ranked" steps.
pub fn top_ranked(
    m: &MarketMut,
    side: usize,
    exclude: usize,
    mark: u64,
) -> Result<([(usize, RankInputs); ADL_BATCH], usize)> {
    let cfg = &m.header.config;
    let st = &m.header.state;
    let mut top = [(usize::MAX, RankInputs::default()); ADL_BATCH];
    let mut n = 0usize;
    for (i, s) in m.seats.iter().enumerate() {
        if i == exclude || side_index(s.base_lots) != Some(side) {
            continue;
        }
        let r = rank_inputs(cfg, st, s, mark)?;
        if n == ADL_BATCH && !ranks_before(&r, i, &top[n - 1].1, top[n - 1].0) {
            continue;
        }
        // Insertion into the (short) sorted list.
        let mut k = n.min(ADL_BATCH - 1);
        while k > 0 && ranks_before(&r, i, &top[k - 1].1, top[k - 1].0) {
            top[k] = top[k - 1];
            k -= 1;
        }
        top[k] = (i, r);
        n = (n + 1).min(ADL_BATCH);
    }
    Ok((top, n))
}

/// One counterparty of an ADL event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AdlFill {
    pub seat: u32,
    /// base lots taken from it.
    pub lots: u64,
    /// quote atoms of the deficit it paid (ADL mode).
    pub deficit_share: u64,
    pub rank: RankInputs,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AdlOutcome {
    /// price units; the close price (the mark).
    pub price: u64,
    /// base lots closed (= the bankrupt position).
    pub lots: u64,
    /// quote atoms of deficit after the close at the mark.
    pub deficit: u64,
    pub counterparties: u32,
    /// the deficit went through the side's loss index.
    pub socialized: bool,
}

/// Closes bankrupt seat `target`. `cover_available` is what the insurance
/// fund could still pay this market: while it could pay part of a deficit,
/// `cover_bankruptcy` must come first.
pub fn auto_deleverage(
    m: &mut MarketMut,
    target: usize,
    cover_available: u64,
    now: i64,
    on_fill: &mut dyn FnMut(&AdlFill),
) -> Result<AdlOutcome> {
    let cfg = m.header.config;
    trade::require_fresh_index(&cfg, &m.header.state, now)?;
    settle_funding(&mut m.seats[target], &mut m.header.state)?;
    let mark = margin::risk_price(&m.header.state);
    let seat = m.seats[target];
    require!(seat.base_lots != 0, ErrorCode::NothingToLiquidate);
    let equity = margin::equity(&seat, &m.header.state, cfg.base_lots_per_unit, mark, true)?;
    require!(equity <= 0, ErrorCode::NotBankrupt);
    require!(
        equity == 0 || cover_available == 0,
        ErrorCode::InsuranceMustCoverFirst
    );
    if seat.num_orders > 0 {
        trade::cancel(m, target, trade::CancelWhich::All)?;
    }
    let target_long = seat.base_lots > 0;
    let opposite = if target_long { 1 } else { 0 };
    let socialized_mode = WaterfallMode::try_from(cfg.waterfall_mode)? == WaterfallMode::Socialized;
    let base_before = seat.base_lots.unsigned_abs();
    // The deficit at the mark before this call (equity <= 0).
    let deficit_before: u64 = (-equity).cast()?;
    let mut remaining = seat.base_lots.unsigned_abs();
    let mut out = AdlOutcome {
        price: mark,
        lots: remaining,
        ..Default::default()
    };
    // Counterparties in rank order, from one pass over the seat table.
    let (ranked, found) = top_ranked(m, opposite, target, mark)?;
    require!(found > 0, ErrorCode::NoAdlCounterparty);
    let mut out_socialized = false;
    if socialized_mode && deficit_before > 0 {
        // Socialized: once the ranking is fixed, the whole deficit is spread
        // over every position on the opposite side — the counterparties
        // closed below included, since they settle before their close — and
        // the bankrupt seat is made whole at the mark; the close then costs
        // nobody anything more.
        if socialize(&mut m.header.state, opposite, deficit_before)? {
            add_collateral(
                &mut m.seats[target],
                &mut m.header.state,
                deficit_before.cast()?,
            )?;
            out_socialized = true;
            let w = &mut m.header.waterfall;
            w.total_socialized = w.total_socialized.safe_add(deficit_before)?;
            w.socialized_events = w.socialized_events.safe_add(1)?;
        }
    }
    let mut taken: [(u32, u64, RankInputs); ADL_BATCH] = [(0, 0, RankInputs::default()); ADL_BATCH];
    let mut n = 0usize;
    for &(cp, rank) in ranked.iter().take(found) {
        if remaining == 0 {
            break;
        }
        settle_funding(&mut m.seats[cp], &mut m.header.state)?;
        let q = remaining.min(m.seats[cp].base_lots.unsigned_abs());
        {
            let (t, c) = trade::two_mut(m.seats, target, cp);
            // The bankrupt seat sells (if long) to the counterparty at the mark.
            trade::settle_fill(
                &cfg,
                &mut m.header.state,
                t,
                c,
                !target_long,
                mark,
                q,
                FeeRates::NONE,
            )?;
        }
        remaining = remaining.safe_sub(q)?;
        taken[n] = (cp as u32, q, rank);
        n += 1;
    }
    // Fewer than a full batch found and lots left: nobody else holds the side.
    require!(
        remaining == 0 || found == ADL_BATCH,
        ErrorCode::NoAdlCounterparty
    );
    out.counterparties = n as u32;
    out.lots = out.lots.safe_sub(remaining)?;
    // The deficit this call's counterparties pay: what is left once the
    // position is flat, else the share of the deficit at the mark
    // proportional to the lots closed (the same per lot in every call).
    let deficit: u64 = if m.seats[target].base_lots == 0 {
        (-(m.seats[target].collateral.min(0))).cast()?
    } else {
        let d = if out_socialized { 0 } else { deficit_before };
        (d as u128)
            .safe_mul(out.lots as u128)?
            .safe_div_ceil(base_before as u128)?
            .min(d as u128)
            .cast()?
    };
    out.deficit = if out_socialized {
        deficit_before
    } else {
        deficit
    };
    out.socialized = out_socialized;
    let mut shares = [0u64; ADL_BATCH];
    if deficit > 0 {
        // Pro rata to the lots taken, each share rounded up (the same as
        // closing them at the bankruptcy price); the rounding surplus goes
        // to the insurance fund. Also the fallback of a socialized market
        // whose opposite side held no other position.
        add_collateral(&mut m.seats[target], &mut m.header.state, deficit.cast()?)?;
        let total = out.lots as u128;
        let mut charged = 0u64;
        for (k, (cp, q, _)) in taken.iter().take(n).enumerate() {
            let share: u64 = (deficit as u128)
                .safe_mul(*q as u128)?
                .safe_div_ceil(total)?
                .cast()?;
            add_collateral(
                &mut m.seats[*cp as usize],
                &mut m.header.state,
                -(share.cast::<i64>()?),
            )?;
            shares[k] = share;
            charged = charged.safe_add(share)?;
        }
        let surplus = charged.safe_sub(deficit)?;
        add_dust(
            &mut m.header.state,
            (surplus as i128).safe_mul(crate::math::FUNDING_PRECISION)?,
        )?;
    }
    for (k, (cp, q, rank)) in taken.iter().take(n).enumerate() {
        on_fill(&AdlFill {
            seat: *cp,
            lots: *q,
            deficit_share: shares[k],
            rank: *rank,
        });
    }
    let w = &mut m.header.waterfall;
    w.adl_events = w.adl_events.safe_add(1)?;
    Ok(out)
}

/// ADL "lights": for every seat with a position, its quantile 1–5 within
/// its side's ranking (5 = first to be deleveraged), from chain data.
#[cfg(not(target_os = "solana"))]
pub fn adl_quantiles(m: &crate::state::MarketRef) -> Result<Vec<(usize, u8)>> {
    let mark = margin::risk_price(&m.header.state);
    let mut out = Vec::new();
    for side in 0..2 {
        let mut ranked: Vec<(usize, RankInputs)> = Vec::new();
        for (i, s) in m.seats.iter().enumerate() {
            if side_index(s.base_lots) == Some(side) {
                ranked.push((i, rank_inputs(&m.header.config, &m.header.state, s, mark)?));
            }
        }
        ranked.sort_by(|(ia, a), (ib, b)| {
            if ranks_before(a, *ia, b, *ib) {
                core::cmp::Ordering::Less
            } else {
                core::cmp::Ordering::Greater
            }
        });
        let n = ranked.len();
        for (pos, (i, _)) in ranked.iter().enumerate() {
            // Top 20 % -> 5, next 20 % -> 4, …
            let q = 5 - (pos * 5 / n.max(1)) as u8;
            out.push((*i, q));
        }
    }
    out.sort();
    Ok(out)
}
