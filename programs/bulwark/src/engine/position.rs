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

/// Funding the seat owes since its snapshot, in FUNDING_PRECISION-scaled
/// quote atoms (positive = the seat pays).
pub fn pending_funding_scaled(seat: &Seat, state: &MarketState) -> Result<i128> {
    let delta = state
        .cum_funding_per_lot
        .get()
        .safe_sub(seat.funding_snapshot.get())?;
    (seat.base_lots as i128).safe_mul(delta)
}

/// Funding owed in quote atoms, rounded against the trader (up).
pub fn pending_funding(seat: &Seat, state: &MarketState) -> Result<i64> {
    div_ceil_i128(pending_funding_scaled(seat, state)?, FUNDING_PRECISION)?.cast()
}

/// Moves the seat's owed funding into its collateral and its snapshot to the
/// current index. The rounding remainder goes to `funding_dust`, which is
/// swept into the insurance fees whole atoms at a time.
pub fn settle_funding(seat: &mut Seat, state: &mut MarketState) -> Result<i64> {
    let exact = pending_funding_scaled(seat, state)?;
    let cum = state.cum_funding_per_lot.get();
    let mut paid64 = 0i64;
    if exact != 0 {
        let paid = div_ceil_i128(exact, FUNDING_PRECISION)?;
        paid64 = paid.cast()?;
        seat.collateral = seat.collateral.safe_sub(paid64)?;
        state.total_collateral = state.total_collateral.safe_sub(paid64)?;
        let dust = paid.safe_mul(FUNDING_PRECISION)?.safe_sub(exact)?;
        let total = state.funding_dust.get().safe_add(dust)?;
        // Whole atoms of dust become insurance fees.
        let whole = total / FUNDING_PRECISION;
        state
            .funding_dust
            .set(total.safe_sub(whole.safe_mul(FUNDING_PRECISION)?)?);
        if whole > 0 {
            let w: u64 = whole.cast()?;
            state.unswept_insurance_fees = state.unswept_insurance_fees.safe_add(w)?;
            state.total_fees = state.total_fees.safe_add(w)?;
        }
    }
    set_snapshot(seat, state, cum)?;
    Ok(paid64)
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

/// Changes the seat's base position by `delta` lots, keeping Σ base ×
/// snapshot in step. The seat's funding must be settled first.
fn set_base(seat: &mut Seat, state: &mut MarketState, new_base: i64) -> Result<()> {
    let snap = seat.funding_snapshot.get();
    let s = state.sum_base_snapshot.get().safe_add(
        (new_base as i128)
            .safe_sub(seat.base_lots as i128)?
            .safe_mul(snap)?,
    )?;
    state.sum_base_snapshot.set(s);
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
        let removed: i64 = div_ceil_i128(
            (seat.entry_cost as i128).safe_mul(closed as i128)?,
            base.abs() as i128,
        )?
        .cast()?;
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
