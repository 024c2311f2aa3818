//! Auto-deleveraging and socialized loss: who pays a deficit the insurance
//! fund could not.
//!
//! `auto_deleverage` closes a bankrupt position (equity ≤ 0 at the mark)
//! once the fund can pay nothing for it — empty, at its rolling cap, or the
//! book cannot take the position within the cover limit (`cover`) — at the
//! mark, against the opposite side's positions in the order of the ranking
//! the program computes (`adl::rank_range`), taking exactly the bankrupt
//! position's lots. The deficit left is then paid:
//!  - ADL mode: by the counterparties closed, pro rata to the lots each
//!    took (each share rounded up, the surplus to the insurance fund), but
//!    never more than a counterparty's equity after its close: what one
//!    cannot pay moves to the next in rank order;
//!  - socialized mode: by the opposite side's unrealized profit, pro rata
//!    to it (each seat's profit counted up to its equity), never more than
//!    it: losing positions pay nothing. The haircut is computed over the
//!    whole seat table in the same call (two passes: O(seats), like the
//!    ranking), and charged to the profitable seats' collateral.
//!
//! Σ charged = deficit to the atom (rounding goes to the fund). No solvent
//! seat is made insolvent. What the opposite side cannot pay stays on the
//! bankrupt seat as negative collateral — bad debt, visible on-chain in the
//! seat, in `WaterfallState::total_unpaid_deficit` and in the outcome
//! (`unpaid`, emitted as `DeficitUnpaid`) — until the fund, recapitalized,
//! covers the flat seat.

use super::adl::{AdlFill, RankInputs, ADL_BATCH};
use super::margin;
use super::position::{add_collateral, add_dust, pending_charges, settle_funding, side_index};
use super::trade::{self, FeeRates};
use crate::error::ErrorCode;
use crate::math::{Cast, SafeDivCeil, SafeMath, FUNDING_PRECISION};
use crate::state::{MarketConfig, MarketMut, MarketState, Seat, WaterfallMode};
use anchor_lang::prelude::*;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AdlOutcome {
    /// price units; the close price (the mark).
    pub price: u64,
    /// base lots closed (= the bankrupt position).
    pub lots: u64,
    /// quote atoms of deficit this call had to place.
    pub deficit: u64,
    pub counterparties: u32,
    /// the deficit was paid from the opposite side's profit.
    pub socialized: bool,
    /// quote atoms charged to the opposite side (ADL shares or haircut).
    pub charged: u64,
    /// quote atoms nobody could pay: left on the bankrupt seat.
    pub unpaid: u64,
    /// socialized mode: seats haircut, and the profit pool they held.
    pub seats_charged: u32,
    pub profit_pool: u64,
    /// quote atoms the insurance fund pays for this close (the caller moves
    /// them from the insurance vault to the market vault).
    pub fund_paid: u64,
}

/// The side's indices and bounds a scan over its seats needs.
#[derive(Clone, Copy)]
struct SideScan {
    funding: crate::math::PodI128,
    loss: crate::math::PodI128,
    mark: u64,
    lpu: u64,
    /// |base| × mark < 2^61 exactly when |base| ≤ max_base.
    max_base: u64,
}

impl SideScan {
    fn new(cfg: &MarketConfig, state: &MarketState, side: usize, mark: u64) -> Self {
        Self {
            funding: state.cum_funding_per_lot,
            loss: state.social_loss_per_lot[side],
            mark,
            lpu: cfg.base_lots_per_unit,
            max_base: (super::adl::FAST_BOUND - 1)
                .checked_div(mark)
                .unwrap_or(u64::MAX),
        }
    }

    /// (upnl, equity) in 64 bits for a seat whose magnitudes are below 2^61
    /// and whose owed funding and loss fit (then nothing below overflows),
    /// exactly as `margin::unrealized_pnl` and `margin::equity`; None
    /// otherwise.
    #[inline(always)]
    fn fast(&self, s: &Seat) -> Option<(i64, i64)> {
        let abs = s.base_lots.unsigned_abs();
        let ok = abs <= self.max_base
            && super::adl::within_fast_bound(s.entry_cost)
            && super::adl::within_fast_bound(s.collateral);
        if !ok {
            return None;
        }
        let settled = s.funding_snapshot.lo == self.funding.lo
            && s.funding_snapshot.hi == self.funding.hi
            && s.loss_snapshot.lo == self.loss.lo
            && s.loss_snapshot.hi == self.loss.hi;
        // What it owes, as `pending_charges` rounds it, when that fits.
        let owed = if settled {
            0
        } else {
            super::adl::owed_fast(s, s.base_lots, abs, self.funding.get(), self.loss.get())?
        };
        let p = abs.wrapping_mul(self.mark);
        let q = p / self.lpu;
        // Value rounded down: toward the loss for a long and a short.
        let value = if s.base_lots > 0 {
            q as i64
        } else {
            -((q + (q.wrapping_mul(self.lpu) != p) as u64) as i64)
        };
        // |upnl| < 2^62 and |owed| < 2^61: |equity| < 2^63.
        let upnl = value.wrapping_sub(s.entry_cost);
        Some((upnl, s.collateral.wrapping_add(upnl).wrapping_sub(owed)))
    }
}

/// (unrealized PnL, equity) of a seat with a position at `mark`, exactly
/// as `margin::unrealized_pnl` and `margin::equity` compute them: the
/// 64-bit path when it applies, else the general functions.
#[inline(always)]
fn upnl_equity(
    scan: &SideScan,
    cfg: &MarketConfig,
    state: &MarketState,
    seat: &Seat,
) -> Result<(i128, i128)> {
    if let Some((u, e)) = scan.fast(seat) {
        return Ok((u as i128, e as i128));
    }
    let upnl = margin::unrealized_pnl(seat, scan.mark, cfg.base_lots_per_unit)? as i128;
    let equity = (seat.collateral as i128)
        .safe_add(upnl)?
        .safe_sub(pending_charges(seat, state)? as i128)?;
    Ok((upnl, equity))
}

/// A seat's unrealized profit at `mark` counted up to its equity (what a
/// haircut may take without making it insolvent); 0 for a losing or
/// insolvent seat.
pub fn haircut_capacity(
    cfg: &MarketConfig,
    state: &MarketState,
    seat: &Seat,
    mark: u64,
) -> Result<u64> {
    let side = match side_index(seat.base_lots) {
        Some(side) => side,
        None => return Ok(0),
    };
    capacity(&SideScan::new(cfg, state, side, mark), cfg, state, seat)
}

#[inline(always)]
fn capacity(scan: &SideScan, cfg: &MarketConfig, state: &MarketState, seat: &Seat) -> Result<u64> {
    if let Some((u, e)) = scan.fast(seat) {
        return Ok(u.min(e).max(0) as u64);
    }
    let (upnl, equity) = upnl_equity(scan, cfg, state, seat)?;
    if upnl <= 0 {
        return Ok(0);
    }
    upnl.min(equity).max(0).cast()
}

/// Haircuts the unrealized profit of every seat on `side` (0 long, 1
/// short) but `exclude`, pro rata to `haircut_capacity`, for `deficit`
/// quote atoms at most. Shares follow the cumulative floor
/// (`floor(charge × Σ_{j≤i} cap_j / pool) − floor(charge × Σ_{j<i} cap_j / pool)`),
/// so Σ = the charge exactly and no seat pays more than its capacity.
/// Returns (charged, seats charged, profit pool).
pub fn haircut_profits(
    m: &mut MarketMut,
    side: usize,
    exclude: usize,
    deficit: u64,
    mark: u64,
) -> Result<(u64, u32, u64)> {
    let cfg = m.header.config;
    let on_side = |i: usize, s: &Seat| i != exclude && side_index(s.base_lots) == Some(side);
    let scan = SideScan::new(&cfg, &m.header.state, side, mark);
    let mut pool: u128 = 0;
    for (i, s) in m.seats.iter().enumerate() {
        if on_side(i, s) {
            pool = pool.safe_add(capacity(&scan, &cfg, &m.header.state, s)? as u128)?;
        }
    }
    let pool64 = pool.min(u64::MAX as u128) as u64;
    let charge: u64 = (deficit as u128).min(pool).cast()?;
    if charge == 0 {
        return Ok((0, 0, pool64));
    }
    let mut cum: u128 = 0;
    let mut charged = 0u64;
    let mut count = 0u32;
    for i in 0..m.seats.len() {
        if charged == charge {
            break;
        }
        if !on_side(i, &m.seats[i]) {
            continue;
        }
        let cap = capacity(&scan, &cfg, &m.header.state, &m.seats[i])?;
        if cap == 0 {
            continue;
        }
        cum = cum.safe_add(cap as u128)?;
        let upto: u64 = (charge as u128).safe_mul(cum)?.safe_div(pool)?.cast()?;
        let pay = upto.safe_sub(charged)?;
        if pay > 0 {
            add_collateral(&mut m.seats[i], &mut m.header.state, -(pay.cast::<i64>()?))?;
            charged = upto;
            count += 1;
        }
    }
    require!(charged == charge, ErrorCode::MathOverflow);
    Ok((charged, count, pool64))
}

/// Seats up to which `auto_deleverage` ranks the whole table in one
/// transaction; a larger table uses the ranking round (`adl_round`).
pub const ADL_ONE_TX_SEATS: usize = 4_096;

/// Closes bankrupt seat `target` in one transaction (a table of at most
/// `ADL_ONE_TX_SEATS` seats). `cover_available` is the insurance fund's
/// balance (its rolling cap is applied here).
pub fn auto_deleverage(
    m: &mut MarketMut,
    target: usize,
    cover_available: u64,
    now: i64,
    on_fill: &mut dyn FnMut(&AdlFill),
) -> Result<AdlOutcome> {
    require!(
        m.seats.len() <= ADL_ONE_TX_SEATS,
        ErrorCode::AdlRoundRequired
    );
    let cfg = m.header.config;
    trade::require_fresh_index(&cfg, &m.header.state, now)?;
    let (mark, equity) = bankrupt_equity(m, target)?;
    let opposite = if m.seats[target].base_lots > 0 { 1 } else { 0 };
    // One pass over the seat table: the counterparties in rank order, and
    // the bankrupt side's most bankrupt seat.
    let n = m.seats.len();
    let ((ranked, found), (_, first)) =
        super::adl::rank_range(m, opposite, 0..n, mark, &[], (0, usize::MAX))?;
    // The program, not the keeper, orders the bankrupt seats of a side.
    require!(
        first == usize::MAX || first == target,
        ErrorCode::AdlNotFirstBankrupt
    );
    // (Cancelling the target's orders below changes no ranking input.)
    if let Some(e) = not_due(m, target, equity, cover_available, now)? {
        return Err(error!(e));
    }
    close_ranked(
        m,
        target,
        equity,
        mark,
        &ranked[..found],
        found == ADL_BATCH,
        cover_available,
        now,
        on_fill,
    )
}

/// Settles the target's funding and returns (mark, equity at the mark):
/// it must hold a position and be bankrupt (equity ≤ 0).
pub fn bankrupt_equity(m: &mut MarketMut, target: usize) -> Result<(u64, i128)> {
    settle_funding(&mut m.seats[target], &mut m.header.state)?;
    let mark = margin::risk_price(&m.header.state);
    let seat = &m.seats[target];
    require!(seat.base_lots != 0, ErrorCode::NothingToLiquidate);
    let equity = margin::equity(
        seat,
        &m.header.state,
        m.header.config.base_lots_per_unit,
        mark,
        true,
    )?;
    require!(equity <= 0, ErrorCode::NotBankrupt);
    Ok((mark, equity))
}

/// Why ADL may not close bankrupt seat `target` (equity `equity` ≤ 0) now,
/// or None when it may: the insurance fund must be unable to pay for it
/// (`cover::cover_exhausted`), and a seat with nothing to pay only where
/// the book cannot take it at its bankruptcy price. Cancels the seat's
/// resting orders first (a bankrupt seat's orders go, as in a liquidation).
pub fn not_due(
    m: &mut MarketMut,
    target: usize,
    equity: i128,
    cover_available: u64,
    now: i64,
) -> Result<Option<ErrorCode>> {
    let cfg = m.header.config;
    let mark = margin::risk_price(&m.header.state);
    if m.seats[target].num_orders > 0 {
        trade::cancel(m, target, trade::CancelWhich::All)?;
    }
    let seat = m.seats[target];
    if equity == 0 {
        // Nothing to pay: ADL only where the book cannot take the position
        // at its bankruptcy price (the mark) — otherwise `liquidate` closes
        // it there, and no profitable trader is deleveraged for nothing.
        let pb =
            super::liquidation::bankruptcy_price(&cfg, &m.header.state, &seat)?.unwrap_or(mark);
        let close = trade::Taker {
            seat: target,
            side: if seat.base_lots > 0 {
                super::book::Side::Ask
            } else {
                super::book::Side::Bid
            },
            limit: pb,
            lots: seat.base_lots.unsigned_abs(),
            fees: FeeRates::NONE,
        };
        // (The same bounded walk a liquidation makes.)
        let max = super::liquidation::MAX_LIQUIDATION_MAKERS;
        if trade::would_fill_within(m, &close, now, max)? {
            return Ok(Some(ErrorCode::NotBankrupt));
        }
    } else if !super::cover::cover_exhausted(m, target, cover_available, now)? {
        return Ok(Some(ErrorCode::InsuranceMustCoverFirst));
    }
    Ok(None)
}

/// Closes bankrupt seat `target` (equity `equity` ≤ 0 at `mark`) against
/// `ranked`, the opposite side's best-ranked seats, best first (`more`:
/// the side may hold further seats beyond them), and places the deficit.
#[allow(clippy::too_many_arguments)]
pub fn close_ranked(
    m: &mut MarketMut,
    target: usize,
    equity: i128,
    mark: u64,
    ranked: &[(usize, RankInputs)],
    more: bool,
    cover_available: u64,
    now: i64,
    on_fill: &mut dyn FnMut(&AdlFill),
) -> Result<AdlOutcome> {
    let cfg = m.header.config;
    let seat = m.seats[target];
    let target_long = seat.base_lots > 0;
    let opposite = if target_long { 1 } else { 0 };
    let socialized_mode = WaterfallMode::try_from(cfg.waterfall_mode)? == WaterfallMode::Socialized;
    let base_before = seat.base_lots.unsigned_abs();
    // The deficit at the mark before this call (equity <= 0).
    let deficit_before: u64 = (-equity).cast()?;
    let mut remaining = base_before;
    let mut out = AdlOutcome {
        price: mark,
        lots: remaining,
        ..Default::default()
    };
    require!(!ranked.is_empty(), ErrorCode::NoAdlCounterparty);
    if socialized_mode && deficit_before > 0 {
        // The fund pays what it can of the position it sees closed here;
        // once the ranking is fixed, the rest is taken from the opposite
        // side's profit (the counterparties closed below included), and the
        // bankrupt seat is credited what was taken.
        let fund = fund_pays(m, target, deficit_before, cover_available, now)?;
        out.fund_paid = fund;
        let (charged, seats, pool) =
            haircut_profits(m, opposite, target, deficit_before - fund, mark)?;
        add_collateral(&mut m.seats[target], &mut m.header.state, charged.cast()?)?;
        out.socialized = true;
        out.charged = charged;
        out.seats_charged = seats;
        out.profit_pool = pool;
        out.deficit = deficit_before;
        let w = &mut m.header.waterfall;
        w.total_socialized = w.total_socialized.safe_add(charged)?;
        w.socialized_events = w.socialized_events.safe_add(1)?;
    }
    let mut taken: [(u32, u64, RankInputs); ADL_BATCH] = [(0, 0, RankInputs::default()); ADL_BATCH];
    let mut n = 0usize;
    for &(cp, rank) in ranked.iter() {
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
    require!(remaining == 0 || more, ErrorCode::NoAdlCounterparty);
    out.counterparties = n as u32;
    out.lots = out.lots.safe_sub(remaining)?;
    let mut shares = [0u64; ADL_BATCH];
    if out.socialized {
        // Whatever the fund and the profit could not pay stays on the seat.
        out.unpaid = deficit_before
            .safe_sub(out.fund_paid)?
            .safe_sub(out.charged)?;
    } else {
        // The deficit this call's counterparties pay: what is left once the
        // position is flat, else the share of the deficit at the mark
        // proportional to the lots closed (the same per lot in every call).
        let deficit: u64 = if m.seats[target].base_lots == 0 {
            (-(m.seats[target].collateral.min(0))).cast()?
        } else {
            (deficit_before as u128)
                .safe_mul(out.lots as u128)?
                .safe_div_ceil(base_before as u128)?
                .min(deficit_before as u128)
                .cast()?
        };
        out.deficit = deficit;
        // The fund pays first, for the lots closed here.
        let fund = fund_pays(m, target, deficit, cover_available, now)?;
        out.fund_paid = fund;
        let deficit = deficit - fund;
        if deficit > 0 {
            charge_counterparties(m, &taken[..n], out.lots, deficit, mark, &mut shares)?;
            let charged = shares
                .iter()
                .take(n)
                .try_fold(0u64, |a, s| a.safe_add(*s))?;
            // Pay the bankrupt seat what was charged, up to its deficit;
            // the rounding surplus goes to the insurance fund.
            let paid = charged.min(deficit);
            add_collateral(&mut m.seats[target], &mut m.header.state, paid.cast()?)?;
            add_dust(
                &mut m.header.state,
                ((charged - paid) as i128).safe_mul(FUNDING_PRECISION)?,
            )?;
            out.charged = charged;
            out.unpaid = deficit.safe_sub(paid)?;
        }
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
    w.total_unpaid_deficit = w.total_unpaid_deficit.safe_add(out.unpaid)?;
    Ok(out)
}

/// The bankrupt seat ADL must take first on `target`'s side: the position
/// with the largest deficit at `mark` (equity ≤ 0; ties to the lower seat
/// index). Deficits differ in who they reach once counterparties' equity
/// caps bind, so the order is the program's, not the keeper's.
pub fn first_bankrupt(m: &MarketMut, target: usize, mark: u64) -> Result<usize> {
    let long = m.seats[target].base_lots > 0;
    let n = m.seats.len();
    let (_, best) = first_bankrupt_in(m, long, 0..n, mark, (0, usize::MAX))?;
    Ok(if best == usize::MAX { target } else { best })
}

/// [`first_bankrupt`] over the seats `range` of the long (`long`) or short
/// side, continuing from `best` = (deficit, index; `usize::MAX`: none) of
/// the seats before `range`: the ranking round splits the table into
/// ranges scanned in index order, and gets the same seat.
pub fn first_bankrupt_in(
    m: &MarketMut,
    long: bool,
    range: core::ops::Range<usize>,
    mark: u64,
    best: (u128, usize),
) -> Result<(u128, usize)> {
    let cfg = &m.header.config;
    let st = &m.header.state;
    let mut b = BankruptScan::new(cfg, st, long, mark, best);
    let start = range.start;
    for (k, s) in m.seats[range].iter().enumerate() {
        let base = s.base_lots;
        if (long && base > 0) || (!long && base < 0) {
            b.consider(cfg, st, start + k, s)?;
        }
    }
    Ok(b.best)
}

/// The running "most bankrupt seat of a side" of [`first_bankrupt_in`],
/// fed seat by seat (the ADL ranking pass feeds it the seats of the other
/// side as it meets them: one pass over the table for both).
pub(crate) struct BankruptScan {
    scan: SideScan,
    /// (deficit, index); index `usize::MAX` = none yet.
    pub best: (u128, usize),
}

impl BankruptScan {
    pub fn new(
        cfg: &MarketConfig,
        st: &MarketState,
        long: bool,
        mark: u64,
        best: (u128, usize),
    ) -> Self {
        Self {
            scan: SideScan::new(cfg, st, if long { 0 } else { 1 }, mark),
            best,
        }
    }

    /// Seat `i` (`s`), which holds a position on the scanned side; seats
    /// must come in increasing index order (ties go to the lower index).
    #[inline(always)]
    pub fn consider(
        &mut self,
        cfg: &MarketConfig,
        st: &MarketState,
        i: usize,
        s: &Seat,
    ) -> Result<()> {
        let e = match self.scan.fast(s) {
            // Most seats are solvent: one comparison and on.
            Some((_, e)) if e > 0 => return Ok(()),
            Some((_, e)) => e as i128,
            None => upnl_equity(&self.scan, cfg, st, s)?.1,
        };
        if e > 0 {
            return Ok(());
        }
        let d = e.unsigned_abs();
        if self.best.1 == usize::MAX || d > self.best.0 {
            self.best = (d, i);
        }
        Ok(())
    }
}

/// The insurance fund's part of a deficit of a position closed in this
/// step: what it can pay (`cover_available`), credited to the bankrupt
/// seat and counted in the rolling cover bucket.
fn fund_pays(
    m: &mut MarketMut,
    target: usize,
    deficit: u64,
    available: u64,
    now: i64,
) -> Result<u64> {
    let cfg = m.header.config;
    let amount = deficit.min(super::cover::cover_available(
        &cfg,
        &m.header.waterfall,
        available,
        now,
    ));
    if amount == 0 {
        return Ok(0);
    }
    let w = &mut m.header.waterfall;
    w.cover_used_in_period = super::cover::bucket_level(&cfg, w, now).safe_add(amount)?;
    w.cover_period_start = now;
    w.total_cover = w.total_cover.safe_add(amount)?;
    w.bankruptcies = w.bankruptcies.safe_add(1)?;
    add_collateral(&mut m.seats[target], &mut m.header.state, amount.cast()?)?;
    Ok(amount)
}

/// ADL mode: charges `deficit` to the counterparties `taken` (seat, lots,
/// rank), pro rata to lots (rounded up), each at most its equity after its
/// close; what one cannot pay goes to the next in rank order. Writes each
/// share into `shares`.
fn charge_counterparties(
    m: &mut MarketMut,
    taken: &[(u32, u64, RankInputs)],
    total_lots: u64,
    deficit: u64,
    mark: u64,
    shares: &mut [u64; ADL_BATCH],
) -> Result<()> {
    let lpu = m.header.config.base_lots_per_unit;
    let mut caps = [0u64; ADL_BATCH];
    let mut sum = 0u64;
    for (k, (cp, q, _)) in taken.iter().enumerate() {
        let e = margin::equity(&m.seats[*cp as usize], &m.header.state, lpu, mark, true)?;
        caps[k] = e.max(0).min(u64::MAX as i128) as u64;
        let share: u64 = (deficit as u128)
            .safe_mul(*q as u128)?
            .safe_div_ceil(total_lots.max(1) as u128)?
            .cast()?;
        shares[k] = share.min(caps[k]);
        sum = sum.safe_add(shares[k])?;
    }
    // What the capped shares left, in rank order.
    let mut left = deficit.saturating_sub(sum);
    for k in 0..taken.len() {
        if left == 0 {
            break;
        }
        let more = caps[k].safe_sub(shares[k])?.min(left);
        shares[k] = shares[k].safe_add(more)?;
        left = left.safe_sub(more)?;
    }
    for (k, (cp, _, _)) in taken.iter().enumerate() {
        if shares[k] > 0 {
            add_collateral(
                &mut m.seats[*cp as usize],
                &mut m.header.state,
                -(shares[k].cast::<i64>()?),
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::property_tests::Rng;
    use crate::math::PodI128;

    /// The 64-bit path gives exactly what the general functions give.
    #[test]
    fn upnl_equity_matches_the_margin_functions() {
        let mut rng = Rng::new(5);
        let mut cfg = crate::engine::trade_tests::config();
        for _ in 0..20_000 {
            cfg.base_lots_per_unit = [1, 3, 100, 10_000][rng.below(4) as usize];
            let mut st = MarketState::default();
            if rng.below(4) == 0 {
                st.cum_funding_per_lot = PodI128::new(rng.below(1 << 40) as i128 - (1 << 39));
            }
            if rng.below(4) == 0 {
                st.social_loss_per_lot[rng.below(2) as usize] =
                    PodI128::new(rng.below(1 << 40) as i128);
            }
            let base = rng.below(2_000_001) as i64 - 1_000_000;
            let mut seat = Seat {
                base_lots: if base == 0 { 1 } else { base },
                entry_cost: rng.below(1 << 50) as i64 - (1 << 49),
                collateral: rng.below(1 << 45) as i64 - (1 << 40),
                ..Default::default()
            };
            if rng.below(2) == 0 {
                seat.funding_snapshot = st.cum_funding_per_lot;
            }
            let mark = if rng.below(8) == 0 {
                u64::MAX / 3
            } else {
                1 + rng.below(1 << 40)
            };
            let lpu = cfg.base_lots_per_unit;
            let want = margin::unrealized_pnl(&seat, mark, lpu)
                .and_then(|u| Ok((u as i128, margin::equity(&seat, &st, lpu, mark, true)?)));
            let side = if seat.base_lots > 0 { 0 } else { 1 };
            let got = upnl_equity(&SideScan::new(&cfg, &st, side, mark), &cfg, &st, &seat);
            match (got, want) {
                (Ok(g), Ok(w)) => assert_eq!(g, w, "{seat:?} at {mark}"),
                (Err(_), Err(_)) => {}
                (g, w) => panic!("{seat:?} at {mark}: {g:?} against {w:?}"),
            }
        }
    }
}
