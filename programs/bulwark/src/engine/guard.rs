//! The solvency guard on trades a trader chooses.
//!
//! Rule (Mango v4's "health may not fall while negative", made strict):
//! a fill that a trader's order causes — on the taker's side and on the
//! resting maker's side alike — may not
//!  1. leave the seat with equity below zero, unless it was already below
//!     zero and the fill does not lower it further (so a seat under water
//!     can only close at prices that do not deepen its deficit), nor
//!  2. leave the seat below its maintenance requirement unless its
//!     maintenance health rose (strictly, when the seat was filled).
//!
//! Equity and health are both measured at one price for "before" and
//! "after" (the mark at the moment of the check), with the seat's funding
//! settled, so the comparison sees only what the fill changed. A taker that
//! breaks the rule fails the whole order (`FillWouldBankrupt`,
//! `HealthWouldFall`); a resting order that would break it for its maker is
//! cancelled instead of filled.
//!
//! Liquidation, takeover and ADL are not trader-chosen and have their own
//! bounds (bankruptcy-price limits, equity caps); the makers they meet on
//! the book are still guarded.

use super::margin;
use crate::error::ErrorCode;
use crate::state::{MarketConfig, MarketState, Seat};
use anchor_lang::prelude::*;

/// Why a seat's change breaks the rule, if it does.
pub fn violation(
    cfg: &MarketConfig,
    state: &MarketState,
    before: &Seat,
    after: &Seat,
    price: u64,
    filled: bool,
) -> Result<Option<ErrorCode>> {
    // Fast path: healthy after (maintenance health ≥ 0 implies equity ≥ 0).
    let h1 = margin::maint_health(cfg, state, after, price)?;
    if h1 >= 0 {
        return Ok(None);
    }
    let lpu = cfg.base_lots_per_unit;
    let e1 = margin::equity(after, state, lpu, price, true)?;
    let e0 = margin::equity(before, state, lpu, price, true)?;
    if e1 < 0 && e1 < e0 {
        return Ok(Some(ErrorCode::FillWouldBankrupt));
    }
    let h0 = margin::maint_health(cfg, state, before, price)?;
    if h1 < h0 || (filled && h1 == h0) {
        return Ok(Some(ErrorCode::HealthWouldFall));
    }
    Ok(None)
}

/// `violation` as an error.
pub fn require_guarded(
    cfg: &MarketConfig,
    state: &MarketState,
    before: &Seat,
    after: &Seat,
    price: u64,
    filled: bool,
) -> Result<()> {
    match violation(cfg, state, before, after, price, filled)? {
        None => Ok(()),
        Some(e) => Err(error!(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::RiskTier;

    fn cfg() -> MarketConfig {
        let mut c = MarketConfig {
            base_lots_per_unit: 1,
            num_tiers: 1,
            ..Default::default()
        };
        c.tiers[0] = RiskTier {
            max_notional: u64::MAX,
            initial_margin_ppm: 100_000,
            maint_margin_ppm: 50_000,
        };
        c
    }

    fn viol(
        c: &MarketConfig,
        st: &MarketState,
        before: &Seat,
        after: &Seat,
        price: u64,
        filled: bool,
    ) -> Option<u32> {
        violation(c, st, before, after, price, filled)
            .unwrap()
            .map(|e| e as u32)
    }

    fn seat(collateral: i64, base: i64, entry: i64) -> Seat {
        Seat {
            collateral,
            base_lots: base,
            entry_cost: entry,
            ..Default::default()
        }
    }

    #[test]
    fn healthy_after_passes() {
        let c = cfg();
        let st = MarketState::default();
        // Long 10 at 100 with 100 collateral; at 100: equity 100, MM 50.
        let s = seat(100, 10, 1_000);
        assert_eq!(viol(&c, &st, &s, &s, 100, true), None);
    }

    #[test]
    fn sale_into_a_deficit_is_refused() {
        let c = cfg();
        let st = MarketState::default();
        let before = seat(100, 10, 1_000);
        // Sold all 10 at 80: realized −200, flat with −100.
        let after = seat(-100, 0, 0);
        assert_eq!(
            viol(&c, &st, &before, &after, 100, true),
            Some(ErrorCode::FillWouldBankrupt as u32)
        );
        // Sold all 10 at 95: flat with 50: fine.
        let ok = seat(50, 0, 0);
        assert_eq!(viol(&c, &st, &before, &ok, 100, true), None);
    }

    #[test]
    fn under_water_may_close_at_the_mark_not_below() {
        let c = cfg();
        let st = MarketState::default();
        // Long 10 bought at 120 with 100 collateral; at 100: equity −100.
        let before = seat(100, 10, 1_200);
        // Sells 5 at the mark (100): realized −100, equity still −100.
        let at_mark = seat(0, 5, 600);
        // MM of 5 at 100 = 25: health −125 > −150 before.
        assert_eq!(viol(&c, &st, &before, &at_mark, 100, true), None);
        // Sells 5 at 99: equity −105 < −100.
        let below = seat(-5, 5, 600);
        assert_eq!(
            viol(&c, &st, &before, &below, 100, true),
            Some(ErrorCode::FillWouldBankrupt as u32)
        );
    }

    #[test]
    fn health_below_maintenance_must_rise() {
        let c = cfg();
        let st = MarketState::default();
        // Long 10 at 100 with 40 collateral: equity 40 < MM 50 (health −10).
        let before = seat(40, 10, 1_000);
        // Buying 2 more at 100: equity 40, MM 60: health −20.
        let more = seat(40, 12, 1_200);
        assert_eq!(
            viol(&c, &st, &before, &more, 100, true),
            Some(ErrorCode::HealthWouldFall as u32)
        );
        // Selling 2 at 100: equity 40, MM 40: healthy.
        let less = seat(40, 8, 800);
        assert_eq!(viol(&c, &st, &before, &less, 100, true), None);
        // Unchanged but filled (e.g. bought and sold back): must rise.
        assert_eq!(
            viol(&c, &st, &before, &before, 100, true),
            Some(ErrorCode::HealthWouldFall as u32)
        );
        assert_eq!(viol(&c, &st, &before, &before, 100, false), None);
    }
}
