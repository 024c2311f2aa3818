//! Margin math: notional, risk tiers, unrealized PnL, requirements and free
//! collateral. Every rounding here goes against the trader.

use crate::error::ErrorCode;
use crate::math::{div_floor_i128, Cast, SafeDivCeil, SafeMath, PPM};
use crate::state::{MarketConfig, MarketState, RiskTier, Seat};
use anchor_lang::prelude::*;

/// The price margin is measured at: the mark once it exists, else the index.
pub fn risk_price(state: &MarketState) -> u64 {
    if state.mark_price > 0 {
        state.mark_price
    } else {
        state.index_price
    }
}

/// quote atoms of `lots` at `price`, rounded down and up, from one
/// division (64-bit when the product fits: native division on SBF).
pub fn notional_bounds(lots: u64, price: u64, lots_per_unit: u64) -> Result<(u64, u64)> {
    require!(lots_per_unit > 0, ErrorCode::MathOverflow);
    match lots.checked_mul(price) {
        Some(p) => {
            let q = p / lots_per_unit;
            Ok((q, q + (p - q * lots_per_unit != 0) as u64))
        }
        None => {
            let p = lots as u128 * price as u128;
            let q = p / lots_per_unit as u128;
            let inexact = (p - q * lots_per_unit as u128 != 0) as u128;
            Ok((q.cast()?, (q + inexact).cast()?))
        }
    }
}

/// quote atoms of `lots` at `price`, rounded up (for requirements and costs).
pub fn notional_ceil(lots: u64, price: u64, lots_per_unit: u64) -> Result<u64> {
    Ok(notional_bounds(lots, price, lots_per_unit)?.1)
}

/// quote atoms of `lots` at `price`, rounded down (for what a trader receives).
pub fn notional_floor(lots: u64, price: u64, lots_per_unit: u64) -> Result<u64> {
    Ok(notional_bounds(lots, price, lots_per_unit)?.0)
}

/// The tier a position of `notional` falls in: the first whose bracket holds
/// it; beyond the last bracket the last tier applies (position limits keep
/// positions from getting there in the first place).
pub fn tier_for(cfg: &MarketConfig, notional: u64) -> (usize, &RiskTier) {
    let n = (cfg.num_tiers as usize).max(1);
    for i in 0..n {
        if notional <= cfg.tiers[i].max_notional {
            return (i, &cfg.tiers[i]);
        }
    }
    (n - 1, &cfg.tiers[n - 1])
}

/// ceil(notional × rate / 1e6): margin in quote atoms.
pub fn margin_at_rate(notional: u64, rate_ppm: u32) -> Result<u64> {
    match notional.checked_mul(rate_ppm as u64) {
        Some(p) => Ok(p.div_ceil(PPM)),
        None => (notional as u128)
            .safe_mul(rate_ppm as u128)?
            .safe_div_ceil(PPM as u128)?
            .cast(),
    }
}

/// Initial margin of an absolute position of `lots` at `price`.
pub fn initial_margin(cfg: &MarketConfig, lots: u64, price: u64) -> Result<u64> {
    let notional = notional_ceil(lots, price, cfg.base_lots_per_unit)?;
    margin_at_rate(notional, tier_for(cfg, notional).1.initial_margin_ppm)
}

/// Maintenance margin of an absolute position of `lots` at `price`.
pub fn maint_margin(cfg: &MarketConfig, lots: u64, price: u64) -> Result<u64> {
    let notional = notional_ceil(lots, price, cfg.base_lots_per_unit)?;
    margin_at_rate(notional, tier_for(cfg, notional).1.maint_margin_ppm)
}

/// Unrealized PnL in quote atoms at `price`: position value (rounded down,
/// i.e. toward the trader's loss for both longs and shorts) minus cost basis.
pub fn unrealized_pnl(seat: &Seat, price: u64, lots_per_unit: u64) -> Result<i64> {
    if seat.base_lots == 0 {
        return Ok(-seat.entry_cost);
    }
    let value = div_floor_i128(
        (seat.base_lots as i128).safe_mul(price as i128)?,
        lots_per_unit as i128,
    )?;
    value.safe_sub(seat.entry_cost as i128)?.cast()
}

/// Worst-case absolute position if every resting order filled on its side.
pub fn worst_case_lots(seat: &Seat) -> Result<u64> {
    let pos = seat.base_lots as i128;
    let long = pos.safe_add(seat.open_bid_lots as i128)?.unsigned_abs();
    let short = pos.safe_sub(seat.open_ask_lots as i128)?.unsigned_abs();
    long.max(short).cast()
}

/// Equity in quote atoms at `price`: collateral + unrealized PnL − funding
/// and socialized loss owed. With `count_gains = false` unrealized gains count as zero (used for
/// withdrawals: gains must be realized before they leave).
pub fn equity(
    seat: &Seat,
    state: &MarketState,
    lots_per_unit: u64,
    price: u64,
    count_gains: bool,
) -> Result<i128> {
    let upnl = if seat.base_lots != 0 || seat.entry_cost != 0 {
        require!(price > 0, ErrorCode::IndexNotSet);
        unrealized_pnl(seat, price, lots_per_unit)?
    } else {
        0
    };
    let upnl = if count_gains { upnl } else { upnl.min(0) };
    (seat.collateral as i128)
        .safe_add(upnl as i128)?
        .safe_sub(super::position::pending_charges(seat, state)? as i128)
}

/// Which margin a requirement is measured in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarginKind {
    /// Initial margin scaled by a multiplier (ppm; 1e6 = 1x; tightening).
    Initial {
        multiplier_ppm: u64,
    },
    Maintenance,
}

/// Margin plus the immediate loss if every resting order on one side filled
/// at its own price and was valued at `price`; the worse of the two sides.
pub fn requirement(cfg: &MarketConfig, seat: &Seat, price: u64, kind: MarginKind) -> Result<i128> {
    let lpu = cfg.base_lots_per_unit;
    let scaled = |lots: u64| -> Result<i128> {
        if lots == 0 {
            return Ok(0);
        }
        require!(price > 0, ErrorCode::IndexNotSet);
        Ok(match kind {
            MarginKind::Initial { multiplier_ppm } => (initial_margin(cfg, lots, price)? as u128)
                .safe_mul(multiplier_ppm as u128)?
                .div_ceil(PPM as u128)
                as i128,
            MarginKind::Maintenance => maint_margin(cfg, lots, price)? as i128,
        })
    };
    let base = seat.base_lots as i128;
    let long_lots: u64 = base
        .safe_add(seat.open_bid_lots as i128)?
        .unsigned_abs()
        .cast()?;
    let short_lots: u64 = base
        .safe_sub(seat.open_ask_lots as i128)?
        .unsigned_abs()
        .cast()?;
    let bid_loss = (seat.open_bid_quote as i128)
        .safe_sub(notional_floor(seat.open_bid_lots, price, lpu)? as i128)?
        .max(0);
    let ask_loss = (notional_ceil(seat.open_ask_lots, price, lpu)? as i128)
        .safe_sub(seat.open_ask_quote as i128)?
        .max(0);
    let long = scaled(long_lots)?.safe_add(bid_loss)?;
    let short = scaled(short_lots)?.safe_add(ask_loss)?;
    Ok(long.max(short))
}

/// Initial requirement of position and orders (see `requirement`).
pub fn worst_case_requirement(
    cfg: &MarketConfig,
    seat: &Seat,
    price: u64,
    im_multiplier_ppm: u64,
) -> Result<i128> {
    requirement(
        cfg,
        seat,
        price,
        MarginKind::Initial {
            multiplier_ppm: im_multiplier_ppm,
        },
    )
}

/// Equity (gains counted) minus the worst-case initial requirement.
pub fn initial_health(
    cfg: &MarketConfig,
    state: &MarketState,
    seat: &Seat,
    price: u64,
    im_multiplier_ppm: u64,
) -> Result<i128> {
    equity(seat, state, cfg.base_lots_per_unit, price, true)?.safe_sub(worst_case_requirement(
        cfg,
        seat,
        price,
        im_multiplier_ppm,
    )?)
}

/// Equity (gains counted) minus the maintenance requirement of position
/// and open orders (worst side): below zero, the seat may be liquidated.
/// Cancelling the orders can restore it.
pub fn maint_health(
    cfg: &MarketConfig,
    state: &MarketState,
    seat: &Seat,
    price: u64,
) -> Result<i128> {
    equity(seat, state, cfg.base_lots_per_unit, price, true)?.safe_sub(requirement(
        cfg,
        seat,
        price,
        MarginKind::Maintenance,
    )?)
}

/// Collateral that may leave the seat at `price` (the mark): equity with
/// unrealized losses and owed funding in full but unrealized gains not
/// counted, minus the worst-case initial requirement of position and orders.
pub fn withdrawable(
    cfg: &MarketConfig,
    state: &MarketState,
    seat: &Seat,
    price: u64,
) -> Result<u64> {
    let free = equity(seat, state, cfg.base_lots_per_unit, price, false)?
        .safe_sub(worst_case_requirement(cfg, seat, price, PPM)?)?
        .min(seat.collateral as i128);
    free.max(0).cast()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::RiskTier;

    fn cfg() -> MarketConfig {
        let mut c = MarketConfig {
            base_lots_per_unit: 10_000,
            num_tiers: 2,
            ..Default::default()
        };
        c.tiers[0] = RiskTier {
            max_notional: 100_000_000_000,
            initial_margin_ppm: 20_000,
            maint_margin_ppm: 10_000,
        };
        c.tiers[1] = RiskTier {
            max_notional: 1_000_000_000_000,
            initial_margin_ppm: 50_000,
            maint_margin_ppm: 25_000,
        };
        c
    }

    #[test]
    fn notional_and_tiers() {
        // 1 BTC (10_000 lots) at 60_000 USD = 60_000e6 quote atoms.
        let c = cfg();
        assert_eq!(
            notional_ceil(10_000, 60_000_000_000, 10_000).unwrap(),
            60_000_000_000
        );
        assert_eq!(
            initial_margin(&c, 10_000, 60_000_000_000).unwrap(),
            1_200_000_000
        );
        // 2 BTC = 120k USD falls in tier 1 (5 %).
        assert_eq!(
            initial_margin(&c, 20_000, 60_000_000_000).unwrap(),
            6_000_000_000
        );
        // 1 lot at 3 atoms per unit: 0.0003 atoms, rounds up to 1.
        assert_eq!(notional_ceil(1, 3, 10_000).unwrap(), 1);
        assert_eq!(notional_floor(1, 3, 10_000).unwrap(), 0);
    }

    #[test]
    fn pnl_rounds_against_trader() {
        let mut s = Seat {
            base_lots: 1,
            entry_cost: 0,
            ..Default::default()
        };
        assert_eq!(unrealized_pnl(&s, 3, 10_000).unwrap(), 0);
        s.base_lots = -1;
        assert_eq!(unrealized_pnl(&s, 3, 10_000).unwrap(), -1);
    }

    #[test]
    fn withdrawable_counts_losses_not_gains() {
        let c = cfg();
        // Long 1 BTC bought at 60k, collateral 5k USD.
        let s = Seat {
            collateral: 5_000_000_000,
            base_lots: 10_000,
            entry_cost: 60_000_000_000,
            ..Default::default()
        };
        // At 61k: gain ignored; IM at 61k = 1_220e6.
        assert_eq!(
            withdrawable(&c, &MarketState::default(), &s, 61_000_000_000).unwrap(),
            5_000_000_000 - 1_220_000_000
        );
        // At 59k: loss 1_000e6, IM 1_180e6.
        assert_eq!(
            withdrawable(&c, &MarketState::default(), &s, 59_000_000_000).unwrap(),
            5_000_000_000 - 1_000_000_000 - 1_180_000_000
        );
        // No exposure: everything.
        let flat = Seat {
            collateral: 7,
            ..Default::default()
        };
        assert_eq!(
            withdrawable(&c, &MarketState::default(), &flat, 0).unwrap(),
            7
        );
    }
}
