//! A seat's position: lazy funding settlement and applying a fill with a
//! cost basis. Every function keeps the market's running totals
//! (`total_collateral`, `total_entry_cost`, `sum_base_snapshot`,
//! `funding_dust`) in step, which is what lets the vault invariant
//! `vault = Σ (collateral − entry_cost) + fees + dust − pending funding`
//! hold exactly after every instruction.

use crate::error::ErrorCode;
use crate::math::{div_ceil_i128, Cast, PodI128, SafeMath, FUNDING_PRECISION};
use crate::state::{MarketState, Seat};
use anchor_lang::prelude::*;

/// `a × b` where `b` usually fits 64 bits: then a widening multiply that
/// cannot overflow (a checked 128-bit multiply is several times dearer on
/// SBF), else the checked one.
#[inline(always)]
fn mul_i64(a: i64, b: i128) -> Result<i128> {
    match i64::try_from(b) {
        Ok(b) => Ok(a as i128 * b as i128),
        Err(_) => (a as i128).safe_mul(b),
    }
}

/// Funding the seat owes since its snapshot, in FUNDING_PRECISION-scaled
/// quote atoms (positive = the seat pays).
pub fn pending_funding_scaled(seat: &Seat, state: &MarketState) -> Result<i128> {
    let delta = state
        .cum_funding_per_lot
        .get()
        .safe_sub(seat.funding_snapshot.get())?;
    if delta == 0 || seat.base_lots == 0 {
        return Ok(0);
    }
    mul_i64(seat.base_lots, delta)
}

/// Funding owed in quote atoms, rounded against the trader (up).
pub fn pending_funding(seat: &Seat, state: &MarketState) -> Result<i64> {
    div_ceil_i128(pending_funding_scaled(seat, state)?, FUNDING_PRECISION)?.cast()
}

/// 0 for a long position, 1 for a short one.
pub fn side_index(base: i64) -> Option<usize> {
    match base {
        b if b > 0 => Some(0),
        b if b < 0 => Some(1),
        _ => None,
    }
}

/// Socialized loss the seat owes since its snapshot (scaled, ≥ 0).
pub fn pending_loss_scaled(seat: &Seat, state: &MarketState) -> Result<i128> {
    match side_index(seat.base_lots) {
        Some(s) => {
            let delta = state.social_loss_per_lot[s]
                .get()
                .safe_sub(seat.loss_snapshot.get())?;
            if delta == 0 {
                return Ok(0);
            }
            match seat.base_lots.checked_abs() {
                Some(abs) => mul_i64(abs, delta),
                None => (seat.base_lots.unsigned_abs() as i128).safe_mul(delta),
            }
        }
        None => Ok(0),
    }
}

/// Everything the seat owes lazily (funding + socialized loss), in quote
/// atoms rounded against the trader.
pub fn pending_charges(seat: &Seat, state: &MarketState) -> Result<i64> {
    let exact = pending_funding_scaled(seat, state)?.safe_add(pending_loss_scaled(seat, state)?)?;
    if exact == 0 {
        return Ok(0);
    }
    div_ceil_i128(exact, FUNDING_PRECISION)?.cast()
}

/// Adds scaled rounding dust; whole atoms become insurance fees.
pub fn add_dust(state: &mut MarketState, dust: i128) -> Result<()> {
    let total = state.funding_dust.get().safe_add(dust)?;
    let whole = total.div_euclid(FUNDING_PRECISION);
    state
        .funding_dust
        .set(total.safe_sub(whole.safe_mul(FUNDING_PRECISION)?)?);
    if whole > 0 {
        let w: u64 = whole.cast()?;
        state.unswept_insurance_fees = state.unswept_insurance_fees.safe_add(w)?;
        state.total_fees = state.total_fees.safe_add(w)?;
    }
    Ok(())
}

/// Charges `exact` scaled atoms to the seat, rounded up; the remainder is dust.
fn charge(seat: &mut Seat, state: &mut MarketState, exact: i128) -> Result<i64> {
    if exact == 0 {
        return Ok(0);
    }
    let paid = div_ceil_i128(exact, FUNDING_PRECISION)?;
    let paid64: i64 = paid.cast()?;
    seat.collateral = seat.collateral.safe_sub(paid64)?;
    state.total_collateral = state.total_collateral.safe_sub(paid64)?;
    add_dust(state, paid.safe_mul(FUNDING_PRECISION)?.safe_sub(exact)?)?;
    Ok(paid64)
}

/// Settles the seat's owed funding and socialized loss into its collateral
/// and moves its snapshots to the current indices. Every position change is
/// preceded by this. Returns the quote atoms charged (negative = credited).
pub fn settle_funding(seat: &mut Seat, state: &mut MarketState) -> Result<i64> {
    // Fast path: snapshots already current (nothing owed, nothing to move).
    let loss_current = match side_index(seat.base_lots) {
        Some(s) => seat.loss_snapshot == state.social_loss_per_lot[s],
        None => true,
    };
    if loss_current && seat.funding_snapshot == state.cum_funding_per_lot {
        return Ok(0);
    }
    let funding = pending_funding_scaled(seat, state)?;
    let paid = charge(seat, state, funding)?;
    set_snapshot(seat, state, state.cum_funding_per_lot.get())?;
    let loss = pending_loss_scaled(seat, state)?;
    let lost = charge(seat, state, loss)?;
    if let Some(s) = side_index(seat.base_lots) {
        let abs = seat.base_lots.unsigned_abs() as i128;
        let idx = state.social_loss_per_lot[s].get();
        let sum = state.sum_loss_snapshot[s]
            .get()
            .safe_add(abs.safe_mul(idx.safe_sub(seat.loss_snapshot.get())?)?)?;
        state.sum_loss_snapshot[s].set(sum);
        seat.loss_snapshot = PodI128::new(idx);
    }
    paid.safe_add(lost)
}

/// Spreads `deficit` quote atoms over every position on side `side`
/// (0 = longs, 1 = shorts), pro rata to position size, through the side's
/// loss index: O(1). The rounding (always up) goes to the dust. Returns
/// false when the side holds no position.
pub fn socialize(state: &mut MarketState, side: usize, deficit: u64) -> Result<bool> {
    let lots = state.open_interest_lots as i128;
    if lots == 0 || deficit == 0 {
        return Ok(deficit == 0);
    }
    let total = (deficit as i128).safe_mul(FUNDING_PRECISION)?;
    let per_lot = div_ceil_i128(total, lots)?;
    state.social_loss_per_lot[side].set(state.social_loss_per_lot[side].get().safe_add(per_lot)?);
    add_dust(state, per_lot.safe_mul(lots)?.safe_sub(total)?)?;
    Ok(true)
}

/// Socialized loss owed by all seats, scaled: Σ_side (index × OI − Σ |base| × snapshot).
pub fn pending_loss_total_scaled(state: &MarketState) -> Result<i128> {
    let oi = state.open_interest_lots as i128;
    let mut t = 0i128;
    for s in 0..2 {
        t = t.safe_add(
            state.social_loss_per_lot[s]
                .get()
                .safe_mul(oi)?
                .safe_sub(state.sum_loss_snapshot[s].get())?,
        )?;
    }
    Ok(t)
}

/// Changes the seat's funding snapshot, keeping Σ base × snapshot in step.
fn set_snapshot(seat: &mut Seat, state: &mut MarketState, snap: i128) -> Result<()> {
    let base = seat.base_lots as i128;
    let s = state
        .sum_base_snapshot
        .get()
        .safe_sub(base.safe_mul(seat.funding_snapshot.get())?)?
        .safe_add(base.safe_mul(snap)?)?;
    state.sum_base_snapshot.set(s);
    seat.funding_snapshot = PodI128::new(snap);
    Ok(())
}

/// Changes the seat's base position, keeping Σ base × funding snapshot and
/// the per-side Σ |base| × loss snapshot in step. The seat must be settled
/// (`settle_funding`) first; a seat entering a side takes that side's
/// current loss index as its snapshot.
fn set_base(seat: &mut Seat, state: &mut MarketState, new_base: i64) -> Result<()> {
    // (The 128-bit products are skipped when an index is still zero, the
    // common case, since they add nothing.)
    let snap = seat.funding_snapshot.get();
    if snap != 0 {
        let s = state.sum_base_snapshot.get().safe_add(
            (new_base as i128)
                .safe_sub(seat.base_lots as i128)?
                .safe_mul(snap)?,
        )?;
        state.sum_base_snapshot.set(s);
    }
    if let Some(side) = side_index(seat.base_lots) {
        let old_snap = seat.loss_snapshot.get();
        if old_snap != 0 {
            let old = (seat.base_lots.unsigned_abs() as i128).safe_mul(old_snap)?;
            state.sum_loss_snapshot[side].set(state.sum_loss_snapshot[side].get().safe_sub(old)?);
        }
    }
    let loss_snap = match side_index(new_base) {
        Some(side) => {
            let idx = state.social_loss_per_lot[side].get();
            if idx != 0 {
                let new = (new_base.unsigned_abs() as i128).safe_mul(idx)?;
                state.sum_loss_snapshot[side]
                    .set(state.sum_loss_snapshot[side].get().safe_add(new)?);
            }
            idx
        }
        None => 0,
    };
    seat.loss_snapshot = PodI128::new(loss_snap);
    seat.base_lots = new_base;
    Ok(())
}

fn add_entry(seat: &mut Seat, state: &mut MarketState, delta: i64) -> Result<()> {
    seat.entry_cost = seat.entry_cost.safe_add(delta)?;
    state.total_entry_cost = state.total_entry_cost.safe_add(delta)?;
    Ok(())
}

pub fn add_collateral(seat: &mut Seat, state: &mut MarketState, delta: i64) -> Result<()> {
    seat.collateral = seat.collateral.safe_add(delta)?;
    state.total_collateral = state.total_collateral.safe_add(delta)?;
    Ok(())
}

/// Result of applying a fill to one seat.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FillEffect {
    /// quote atoms realized into collateral (PnL of the closed part).
    pub realized_pnl: i64,
    /// base lots that closed existing position.
    pub closed_lots: u64,
}

/// Applies `lots` bought (`is_buy`) or sold at a fill whose quote value is
/// `quote` atoms. The caller rounds `quote` against this seat (a buyer pays
/// the rounded-up value, a seller receives the rounded-down value).
/// Funding must have been settled.
///
/// The closed part realizes `value − removed cost`, where the removed cost
/// is rounded up (toward +∞), which lowers the realized PnL of both longs
/// and shorts. The seat's `collateral − entry_cost` changes by exactly
/// −quote for a buy and +quote for a sell, whatever the rounding inside.
pub fn apply_fill(
    seat: &mut Seat,
    state: &mut MarketState,
    is_buy: bool,
    lots: u64,
    quote: u64,
) -> Result<FillEffect> {
    require!(lots > 0, ErrorCode::ZeroAmount);
    let lots_i: i64 = lots.cast()?;
    let quote_i: i64 = quote.cast()?;
    let base = seat.base_lots;
    let reducing = (is_buy && base < 0) || (!is_buy && base > 0);
    let closed: i64 = if reducing { lots_i.min(base.abs()) } else { 0 };
    let mut effect = FillEffect {
        closed_lots: closed as u64,
        ..Default::default()
    };
    // Signed quote of this fill from the seat's view: a buy costs quote.
    let signed_quote = if is_buy { quote_i } else { -quote_i };
    if closed > 0 {
        // Quote attributable to the closed lots (the rest opens the flip).
        let closed_quote: i64 = if closed == lots_i {
            signed_quote
        } else {
            // Split proportionally; rounding is internal to this seat.
            ((signed_quote as i128).safe_mul(closed as i128)? / lots_i as i128).cast()?
        };
        // Cost removed = entry × closed / |base|, rounded up (toward +∞),
        // on magnitudes: up for a long's positive cost, down in magnitude
        // for a short's negative one.
        let num = seat.entry_cost.unsigned_abs() as u128 * closed as u128;
        let den = base.unsigned_abs() as u128;
        let (q, r) = (num / den, num % den);
        let removed: i64 = if seat.entry_cost >= 0 {
            (q + (r != 0) as u128).cast()?
        } else {
            -(q.cast::<i64>()?)
        };
        // Closing a long sells: pnl = proceeds − cost; closing a short buys
        // back: pnl = −payment − (negative) cost.
        let realized = (-closed_quote).safe_sub(removed)?;
        add_entry(seat, state, -removed)?;
        add_collateral(seat, state, realized)?;
        let new_base = if is_buy {
            base.safe_add(closed)?
        } else {
            base.safe_sub(closed)?
        };
        set_base(seat, state, new_base)?;
        effect.realized_pnl = realized;
        let rest = lots_i.safe_sub(closed)?;
        if rest > 0 {
            let rest_quote = signed_quote.safe_sub(closed_quote)?;
            add_entry(seat, state, rest_quote)?;
            let nb = if is_buy {
                new_base.safe_add(rest)?
            } else {
                new_base.safe_sub(rest)?
            };
            set_base(seat, state, nb)?;
        }
    } else {
        add_entry(seat, state, signed_quote)?;
        let nb = if is_buy {
            base.safe_add(lots_i)?
        } else {
            base.safe_sub(lots_i)?
        };
        set_base(seat, state, nb)?;
    }
    // A flat seat carries no cost basis: any remainder is realized.
    if seat.base_lots == 0 && seat.entry_cost != 0 {
        let rem = seat.entry_cost;
        add_entry(seat, state, -rem)?;
        add_collateral(seat, state, -rem)?;
        effect.realized_pnl = effect.realized_pnl.safe_sub(rem)?;
    }
    Ok(effect)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn equity_quote(s: &Seat) -> i64 {
        s.collateral - s.entry_cost
    }

    #[test]
    fn open_close_realizes_pnl() {
        let mut st = MarketState::default();
        let mut s = Seat {
            collateral: 1_000,
            ..Default::default()
        };
        // Buy 10 lots for 1_000 atoms, sell 10 lots for 1_100 atoms.
        apply_fill(&mut s, &mut st, true, 10, 1_000).unwrap();
        assert_eq!((s.base_lots, s.entry_cost), (10, 1_000));
        let e = apply_fill(&mut s, &mut st, false, 10, 1_100).unwrap();
        assert_eq!(e.realized_pnl, 100);
        assert_eq!((s.base_lots, s.entry_cost, s.collateral), (0, 0, 1_100));
        assert_eq!(st.total_entry_cost, 0);
        assert_eq!(st.total_collateral, 100);
    }

    #[test]
    fn partial_close_and_flip_keep_quote_balance() {
        let mut st = MarketState::default();
        let mut s = Seat {
            collateral: 10_000,
            ..Default::default()
        };
        apply_fill(&mut s, &mut st, false, 3, 301).unwrap(); // short 3 for 301
        let before = equity_quote(&s);
        // Buy 5 for 480: closes 3, opens long 2.
        apply_fill(&mut s, &mut st, true, 5, 480).unwrap();
        assert_eq!(s.base_lots, 2);
        assert_eq!(equity_quote(&s), before - 480);
        // Partial close of a long with odd cost: removed cost rounds up.
        let mut l = Seat::default();
        apply_fill(&mut l, &mut st, true, 3, 100).unwrap();
        let e = apply_fill(&mut l, &mut st, false, 1, 33).unwrap();
        assert_eq!(e.realized_pnl, 33 - 34);
        assert_eq!(l.entry_cost, 66);
    }

    #[test]
    fn funding_settles_against_trader_and_tracks_dust() {
        let mut st = MarketState::default();
        let mut long = Seat {
            collateral: 1_000,
            ..Default::default()
        };
        let mut short = Seat {
            collateral: 1_000,
            ..Default::default()
        };
        apply_fill(&mut long, &mut st, true, 3, 300).unwrap();
        apply_fill(&mut short, &mut st, false, 3, 300).unwrap();
        // Index moves by 1/3 atom per lot: long owes 1 atom exactly, short is owed 1.
        st.cum_funding_per_lot.set(FUNDING_PRECISION / 3);
        assert_eq!(settle_funding(&mut long, &mut st).unwrap(), 1);
        assert_eq!(settle_funding(&mut short, &mut st).unwrap(), 0);
        assert_eq!(long.collateral, 999);
        assert_eq!(short.collateral, 1_000);
        assert_eq!(st.sum_base_snapshot.get(), 0);
        // 3 × (1e9/3) = 999_999_999 exactly; long paid 1e9, short got 0:
        // dust = 1 + 999_999_999 = 1e9 -> one atom to insurance fees.
        assert_eq!(st.unswept_insurance_fees, 1);
        assert_eq!(st.funding_dust.get(), 0);
    }
}
