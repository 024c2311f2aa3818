//! Liquidation, keeper takeover and insurance cover.
//!
//! A seat is liquidatable when its equity at the mark is below the
//! maintenance requirement of its position and open orders (worst side).
//! `liquidate` first cancels the seat's orders and stops if that restores
//! health. Otherwise it closes part or all of the position against the book
//! as an immediate-or-cancel order whose limit is the bankruptcy price
//! (clamped to the band), so a book close never creates a deficit. A
//! position in a tier at or above `partial_liquidation_tier` is stepped down
//! two tiers at a time until the rest would be healthy (the OKX rule);
//! otherwise it is closed whole. The liquidation fee (rate × closed notional
//! at the mark, capped by the equity left) is split between the keeper and
//! the insurance fund; what is left stays with the trader.
//!
//! Keepers need no seat (`KeeperPayee`): the keeper's share goes to its
//! seat if it has one, else to a collateral token account it names (paid
//! out of the market vault by the instruction), else it stays with the
//! insurance fund's share. A takeover needs a seat by nature: the keeper
//! takes the position.
//!
//! The close walks at most `MAX_LIQUIDATION_MAKERS` resting orders per
//! call, so no wall of one-lot orders can push it past the compute limit;
//! what it could not reach stays open, the seat stays liquidatable while
//! unhealthy, and the next call continues down the book.

use super::book::Side;
use super::margin::{self, notional_ceil, tier_for};
use super::position::{add_collateral, pending_charges, settle_funding};
use super::trade::{self, match_taker_within, CancelWhich, FeeRates, Fill, PlaceOutcome, Taker};
use crate::error::ErrorCode;
use crate::math::{div_ceil_i128, div_floor_i128, Cast, SafeMath, PPM};
use crate::state::{MarketConfig, MarketMut, MarketState, Seat};
use anchor_lang::prelude::*;

pub use super::cover::{cover_available, cover_bankruptcy};

/// Resting orders one liquidation close (and one insurance cover close)
/// visits at most, fills and clean-ups alike. Each visit costs about what
/// one fill of a taker order costs (`place_order: taker, 20 fills` is
/// ~43k CU in BENCHMARKS.md, ~1.8k CU a fill), so 32 visits stay near 60k
/// CU on top of the instruction's own work — far inside the 200k default
/// and 1.4M maximum, with room for a keeper's other instructions in the
/// same transaction — while a healthy book's close (a few price levels)
/// still completes in one call.
pub const MAX_LIQUIDATION_MAKERS: u32 = 32;

/// Where a liquidation pays the keeper's fee share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeeperPayee {
    /// Credited to the keeper's seat (its index).
    Seat(usize),
    /// Paid to a collateral token account the keeper named: the engine
    /// debits it from the market's books (as a withdrawal) and the
    /// instruction moves exactly `keeper_fee` out of the vault.
    Account,
    /// No seat and no account: the share stays with the insurance fund's.
    Insurance,
}

/// Price (price units) at which closing the whole position leaves zero
/// equity, rounded against the trader: up for a long (it must sell at or
/// above it), down for a short (it must buy at or below it). None if flat.
pub fn bankruptcy_price(
    cfg: &MarketConfig,
    state: &MarketState,
    seat: &Seat,
) -> Result<Option<u64>> {
    if seat.base_lots == 0 {
        return Ok(None);
    }
    // Position value at which equity is zero: entry + owed − collateral.
    let v = (seat.entry_cost as i128)
        .safe_add(pending_charges(seat, state)? as i128)?
        .safe_sub(seat.collateral as i128)?;
    let num = v.safe_mul(cfg.base_lots_per_unit as i128)?;
    let base = seat.base_lots as i128;
    let p = if base > 0 {
        div_ceil_i128(num, base)?
    } else {
        div_floor_i128(num, base)?
    };
    Ok(Some(p.clamp(0, u64::MAX as i128) as u64))
}

/// Liquidation fee on `lots` closed, at the mark, before the equity cap.
pub fn liquidation_fee(cfg: &MarketConfig, lots: u64, price: u64) -> Result<u64> {
    margin::margin_at_rate(
        notional_ceil(lots, price, cfg.base_lots_per_unit)?,
        cfg.liquidation_fee_ppm,
    )
}

/// Rounding atoms kept aside when a partial close's limit is derived: the
/// seller's proceeds, the kept position's value and the fee each round by
/// at most one atom.
const PARTIAL_ROUNDING_ATOMS: i128 = 3;

/// What a liquidation closes and the worst price it may fill at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClosePlan {
    /// base lots to close.
    pub lots: u64,
    /// price units; the limit of the close: the bankruptcy price for a whole
    /// close, else the worst price at which the kept part is still healthy.
    pub limit: u64,
    pub partial: bool,
}

/// The close: the OKX step-down for positions in a tier at or above
/// `partial_liquidation_tier` (keep the largest position of the tier two
/// below; repeat two tiers further down), else the whole position.
///
/// A partial close is sized at its worst possible fill: it is taken only
/// if the equity at the mark, less the liquidation fee, covers the kept
/// part's maintenance margin with room to spare (`slack`), and its limit is
/// the price at which filling every closed lot would use exactly that
/// room (rounded against the fill, never worse than the bankruptcy price).
/// So whatever fills up to the limit, the kept part is healthy after the
/// fills and the fee; when no such step exists the position closes whole,
/// at the bankruptcy price.
pub fn close_plan(
    cfg: &MarketConfig,
    state: &MarketState,
    seat: &Seat,
    price: u64,
) -> Result<ClosePlan> {
    let abs = seat.base_lots.unsigned_abs();
    let lpu = cfg.base_lots_per_unit;
    let pb = bankruptcy_price(cfg, state, seat)?.unwrap_or(0);
    let whole = ClosePlan {
        lots: abs,
        limit: pb,
        partial: false,
    };
    let (tier, _) = tier_for(cfg, notional_ceil(abs, price, lpu)?);
    if tier < cfg.partial_liquidation_tier as usize {
        return Ok(whole);
    }
    let long = seat.base_lots > 0;
    let equity = margin::equity(seat, state, lpu, price, true)?;
    let mut t = tier;
    while t >= 2 {
        t -= 2;
        // Largest position whose notional fits tier t's bracket.
        let keep: u64 = (cfg.tiers[t].max_notional as u128)
            .safe_mul(lpu as u128)?
            .safe_div(price.max(1) as u128)?
            .min(abs as u128)
            .cast()?;
        if keep == 0 {
            break;
        }
        let close = abs.safe_sub(keep)?;
        if close == 0 {
            continue;
        }
        let slack = equity
            .safe_sub(liquidation_fee(cfg, close, price)? as i128)?
            .safe_sub(margin::maint_margin(cfg, keep, price)? as i128)?
            .safe_sub(PARTIAL_ROUNDING_ATOMS)?;
        if slack < 0 {
            continue;
        }
        // Price move per lot the close may lose: slack × lpu / close,
        // rounded down (toward the mark).
        let room: u64 = (slack as u128)
            .safe_mul(lpu as u128)?
            .safe_div(close as u128)?
            .min(u64::MAX as u128)
            .cast()?;
        let limit = if long {
            price.saturating_sub(room).max(pb)
        } else {
            price.saturating_add(room).min(pb.max(price))
        };
        return Ok(ClosePlan {
            lots: close,
            limit,
            partial: true,
        });
    }
    Ok(whole)
}

/// Lots `close_plan` closes.
pub fn close_size(cfg: &MarketConfig, state: &MarketState, seat: &Seat, price: u64) -> Result<u64> {
    Ok(close_plan(cfg, state, seat, price)?.lots)
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LiquidationOutcome {
    pub cancelled_orders: u32,
    /// Cancelling the orders restored health: nothing was closed.
    pub restored_by_cancel: bool,
    /// Lots the rule asked to close.
    pub target_lots: u64,
    /// Lots actually closed.
    pub closed_lots: u64,
    /// Fewer lots than the whole position were targeted.
    pub partial: bool,
    pub bankruptcy_price: u64,
    /// quote atoms charged to the trader, and their split.
    pub fee: u64,
    pub keeper_fee: u64,
    pub insurance_fee: u64,
    pub fills: u32,
    /// Equity at the mark is negative after the step.
    pub bankrupt: bool,
    /// Resting orders the close visited (≤ `MAX_LIQUIDATION_MAKERS`).
    pub makers_walked: u32,
    /// The close stopped at the bound with lots left: call again.
    pub walk_bounded: bool,
}

/// Checks the common preconditions and cancels the target's orders.
fn begin(
    m: &mut MarketMut,
    target: usize,
    keeper: Option<usize>,
    now: i64,
    out: &mut LiquidationOutcome,
) -> Result<u64> {
    // Not a seat of the target's own wallet (its own seat included: an
    // owner may hold several); a keeper with no seat is checked by key in
    // the instruction.
    require!(
        keeper.is_none_or(|k| m.seats[k].owner != m.seats[target].owner),
        ErrorCode::SelfLiquidation
    );
    trade::require_fresh_index(&m.header.config, &m.header.state, now)?;
    settle_funding(&mut m.seats[target], &mut m.header.state)?;
    if let Some(k) = keeper {
        settle_funding(&mut m.seats[k], &mut m.header.state)?;
    }
    let price = margin::risk_price(&m.header.state);
    let cfg = m.header.config;
    require!(
        margin::maint_health(&cfg, &m.header.state, &m.seats[target], price)? < 0,
        ErrorCode::NotLiquidatable
    );
    if m.seats[target].num_orders > 0 {
        out.cancelled_orders = trade::cancel(m, target, CancelWhich::All)?;
        if margin::maint_health(&cfg, &m.header.state, &m.seats[target], price)? >= 0 {
            out.restored_by_cancel = true;
        }
    }
    Ok(price)
}

/// Charges the liquidation fee on `closed` lots, capped by the equity left,
/// and splits it between the keeper (`KeeperPayee`) and the insurance fund.
fn charge_fee(
    m: &mut MarketMut,
    target: usize,
    payee: KeeperPayee,
    closed: u64,
    price: u64,
    out: &mut LiquidationOutcome,
) -> Result<()> {
    let cfg = m.header.config;
    let equity = margin::equity(
        &m.seats[target],
        &m.header.state,
        cfg.base_lots_per_unit,
        price,
        true,
    )?;
    let fee = (liquidation_fee(&cfg, closed, price)? as i128).min(equity.max(0)) as u64;
    let share: u64 = (fee as u128)
        .safe_mul(cfg.keeper_liquidation_share_ppm as u128)?
        .safe_div(PPM as u128)?
        .cast()?;
    let keeper_fee = if payee == KeeperPayee::Insurance {
        0
    } else {
        share
    };
    let insurance = fee.safe_sub(keeper_fee)?;
    let st = &mut m.header.state;
    add_collateral(&mut m.seats[target], st, -(fee.cast::<i64>()?))?;
    match payee {
        KeeperPayee::Seat(k) => add_collateral(&mut m.seats[k], st, keeper_fee.cast()?)?,
        // Leaves the vault now, like a withdrawal of the trader's money.
        KeeperPayee::Account => st.total_withdrawals = st.total_withdrawals.safe_add(keeper_fee)?,
        KeeperPayee::Insurance => {}
    }
    let w = &mut m.header.waterfall;
    w.unswept_liquidation_fees = w.unswept_liquidation_fees.safe_add(insurance)?;
    out.fee = fee;
    out.keeper_fee = keeper_fee;
    out.insurance_fee = insurance;
    Ok(())
}

/// Liquidates seat `target` against the book; `keeper` is the calling
/// keeper's seat (paid its share of the fee).
pub fn liquidate(
    m: &mut MarketMut,
    target: usize,
    keeper: usize,
    now: i64,
    on_fill: &mut dyn FnMut(&Fill),
) -> Result<LiquidationOutcome> {
    liquidate_for(m, target, KeeperPayee::Seat(keeper), now, on_fill)
}

/// Liquidates seat `target` against the book, paying the keeper's share
/// of the fee to `payee`; the close visits at most
/// `MAX_LIQUIDATION_MAKERS` resting orders.
pub fn liquidate_for(
    m: &mut MarketMut,
    target: usize,
    payee: KeeperPayee,
    now: i64,
    on_fill: &mut dyn FnMut(&Fill),
) -> Result<LiquidationOutcome> {
    let mut out = LiquidationOutcome::default();
    let keeper = match payee {
        KeeperPayee::Seat(k) => Some(k),
        _ => None,
    };
    let price = begin(m, target, keeper, now, &mut out)?;
    if out.restored_by_cancel {
        return Ok(out);
    }
    let cfg = m.header.config;
    let seat = m.seats[target];
    if seat.base_lots != 0 {
        let plan = close_plan(&cfg, &m.header.state, &seat, price)?;
        let lots = plan.lots;
        let pb = bankruptcy_price(&cfg, &m.header.state, &seat)?.unwrap_or(0);
        let side = if seat.base_lots > 0 {
            Side::Ask
        } else {
            Side::Bid
        };
        let taker = Taker {
            seat: target,
            side,
            limit: plan.limit,
            lots,
            // The trader pays the liquidation fee instead of a taker fee;
            // makers get their usual fee or rebate.
            fees: FeeRates {
                taker_ppm: 0,
                maker_ppm: cfg.maker_fee_ppm.max(0),
            },
        };
        let mut po = PlaceOutcome::default();
        let remaining =
            match_taker_within(m, &taker, now, MAX_LIQUIDATION_MAKERS, &mut po, on_fill)?;
        out.target_lots = lots;
        out.closed_lots = lots.safe_sub(remaining)?;
        out.partial = lots < seat.base_lots.unsigned_abs();
        out.bankruptcy_price = pb;
        out.fills = po.fills;
        out.makers_walked = po.makers_walked;
        out.walk_bounded = remaining > 0 && po.makers_walked >= MAX_LIQUIDATION_MAKERS;
        charge_fee(m, target, payee, out.closed_lots, price, &mut out)?;
    }
    let e = margin::equity(
        &m.seats[target],
        &m.header.state,
        cfg.base_lots_per_unit,
        price,
        true,
    )?;
    out.bankrupt = e < 0;
    m.header.waterfall.liquidations = m.header.waterfall.liquidations.safe_add(1)?;
    Ok(out)
}

/// A keeper with its own seat takes over the close size of a liquidatable,
/// not bankrupt seat at a price between the mark and the bankruptcy price
/// (`takeover_discount_ppm` of the way), subject to its own initial margin.
pub fn takeover(
    m: &mut MarketMut,
    target: usize,
    keeper: usize,
    now: i64,
) -> Result<(LiquidationOutcome, u64)> {
    let mut out = LiquidationOutcome::default();
    let mark = begin(m, target, Some(keeper), now, &mut out)?;
    if out.restored_by_cancel {
        return Ok((out, 0));
    }
    let cfg = m.header.config;
    let seat = m.seats[target];
    require!(seat.base_lots != 0, ErrorCode::NothingToLiquidate);
    require!(
        margin::equity(&seat, &m.header.state, cfg.base_lots_per_unit, mark, true)? >= 0,
        ErrorCode::SeatBankrupt
    );
    let plan = close_plan(&cfg, &m.header.state, &seat, mark)?;
    let lots = plan.lots;
    let pb = bankruptcy_price(&cfg, &m.header.state, &seat)?.unwrap_or(0) as i128;
    // Between mark and bankruptcy price; rounded toward the mark (against
    // the keeper, for the trader); never worse than the plan's limit, so a
    // partial takeover also leaves the kept part healthy.
    let dist = pb.safe_sub(mark as i128)?;
    let moved = dist.safe_mul(cfg.takeover_discount_ppm as i128)? / PPM as i128;
    let discounted: u64 = (mark as i128).safe_add(moved)?.max(1).cast()?;
    let price = if seat.base_lots > 0 {
        discounted.max(plan.limit)
    } else {
        discounted.min(plan.limit.max(1))
    };
    let keeper_worst = trade::worst_lots(&m.seats[keeper])?;
    let keeper_is_buy = seat.base_lots > 0;
    {
        let (k, t) = trade::two_mut(m.seats, keeper, target);
        trade::settle_fill(
            &cfg,
            &mut m.header.state,
            k,
            t,
            keeper_is_buy,
            price,
            lots,
            FeeRates::NONE,
        )?;
    }
    out.target_lots = lots;
    out.closed_lots = lots;
    out.partial = lots < seat.base_lots.unsigned_abs();
    out.bankruptcy_price = pb as u64;
    charge_fee(m, target, KeeperPayee::Seat(keeper), lots, mark, &mut out)?;
    let k = &m.seats[keeper];
    if trade::worst_lots(k)? > keeper_worst {
        require!(
            trade::worst_lots(k)? <= cfg.position_limit_lots,
            ErrorCode::PositionLimitExceeded
        );
        let h = margin::initial_health(&cfg, &m.header.state, k, mark, PPM)?;
        require!(h >= 0, ErrorCode::InsufficientInitialMargin);
    }
    require!(
        m.header.state.open_interest_lots <= cfg.open_interest_cap_lots,
        ErrorCode::OpenInterestCapExceeded
    );
    m.header.waterfall.liquidations = m.header.waterfall.liquidations.safe_add(1)?;
    Ok((out, price))
}
