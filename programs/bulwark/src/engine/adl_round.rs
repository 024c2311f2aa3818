//! ADL over a seat table too large for one transaction: a ranking round.
//!
//! 1. `begin` (anyone): allowed exactly when ADL is due for the named
//!    bankrupt seat (as `auto_deleverage` checks it, except the
//!    bankrupt-first check, which needs the whole table). It records the
//!    target, the mark and the table length, and freezes the market: every
//!    instruction that writes the market fails with `AdlRoundActive`
//!    (`MarketMut::from_bytes`), except the cancels and the round's own
//!    steps. Nothing a ranking reads (positions, collateral, entry costs,
//!    funding and loss indices, the mark) can change while it is open.
//! 2. `scan` (anyone, repeated): ranks the next seats in index order,
//!    keeping the `ADL_BATCH` best counterparties of the opposite side and
//!    the most bankrupt seat of the target's side. The ranking is a total
//!    order, and every seat is ranked exactly once, so the result is the
//!    one-transaction ranking's, whatever the split and whoever sends it.
//! 3. `execute` (anyone, once every seat is ranked): closes the side's most
//!    bankrupt seat (the named one, or a more bankrupt one the scan found)
//!    against the kept counterparties at the round's mark, exactly as
//!    `auto_deleverage` does, if ADL is still due for it (the fund may
//!    have been recapitalized meanwhile); else the round ends with no
//!    close. The market unfreezes either way.
//! 4. `abort` (anyone): a round not executed within `ADL_ROUND_MAX_SLOTS`
//!    of its begin ends with no close, so a round cannot freeze a market.

use super::adl::{rank_inputs, rank_range, AdlFill, RankInputs, ADL_BATCH};
use super::deleverage::{self, bankrupt_equity, close_ranked, AdlOutcome};
use super::trade;
use crate::error::ErrorCode;
use crate::math::{PodI128, SafeMath};
use crate::state::{AdlRound, MarketMut, ADL_ROUND_TOP};
use anchor_lang::prelude::*;

/// Slots after `begin` from which anyone may abort a round (~1 minute).
pub const ADL_ROUND_MAX_SLOTS: u64 = 150;

/// Slots after a round that ended with no close (not due any more, or
/// aborted) before another may begin (~10 s): the market is open for the
/// cover or the liquidation that makes the next ADL legitimate. Without it
/// `adl_execute` + `adl_begin` in one transaction would keep a market
/// frozen for good.
pub const ADL_ROUND_COOLDOWN_SLOTS: u64 = 25;

const _: () = assert!(ADL_ROUND_TOP == ADL_BATCH);

/// Opens a ranking round for bankrupt seat `target`. `slot` is the
/// current slot, `cover_available` the insurance fund's balance.
pub fn begin(
    m: &mut MarketMut,
    target: usize,
    cover_available: u64,
    now: i64,
    slot: u64,
) -> Result<AdlRound> {
    m.header.require_not_frozen()?;
    require!(
        slot >= m.header.adl_round.next_begin_slot,
        ErrorCode::AdlRoundCoolingDown
    );
    let cfg = m.header.config;
    trade::require_fresh_index(&cfg, &m.header.state, now)?;
    let (mark, equity) = bankrupt_equity(m, target)?;
    if let Some(e) = deleverage::not_due(m, target, equity, cover_available, now)? {
        return Err(error!(e));
    }
    let seat = &m.seats[target];
    let rounds = m.header.adl_round.rounds.safe_add(1)?;
    let r = AdlRound {
        active: 1,
        next_begin_slot: 0,
        target_side: if seat.base_lots > 0 { 0 } else { 1 },
        target: target as u32,
        first_bankrupt: u32::MAX,
        seat_count: m.seats.len() as u32,
        target_owner: seat.owner,
        mark,
        started_slot: slot,
        rounds,
        ..Default::default()
    };
    m.header.adl_round = r;
    Ok(r)
}

/// Ranks up to `max_seats` more seats. Returns the range ranked.
pub fn scan(m: &mut MarketMut, max_seats: u32) -> Result<core::ops::Range<usize>> {
    let r = m.header.adl_round;
    require!(r.active == 1, ErrorCode::AdlRoundNotActive);
    let n = r.seat_count as usize;
    require!(m.seats.len() == n, ErrorCode::MalformedMarket);
    let from = r.cursor as usize;
    require!(from < n, ErrorCode::AdlRoundScanDone);
    require!(max_seats > 0, ErrorCode::ZeroAmount);
    let to = n.min(from.saturating_add(max_seats as usize));
    let kept: [usize; ADL_ROUND_TOP] = r.top.map(|i| i as usize);
    let opposite = 1 - r.target_side as usize;
    let best = (
        r.first_deficit.get() as u128,
        if r.first_bankrupt == u32::MAX {
            usize::MAX
        } else {
            r.first_bankrupt as usize
        },
    );
    // One pass: the opposite side ranked, the target's side searched for
    // its most bankrupt seat.
    let ((top, found), (d, i)) = rank_range(
        m,
        opposite,
        from..to,
        r.mark,
        &kept[..r.top_len as usize],
        best,
    )?;
    let w = &mut m.header.adl_round;
    for (k, (seat, _)) in top.iter().take(found).enumerate() {
        w.top[k] = *seat as u32;
    }
    w.top_len = found as u32;
    w.first_bankrupt = if i == usize::MAX { u32::MAX } else { i as u32 };
    w.first_deficit = PodI128::new(d as i128);
    w.cursor = to as u32;
    Ok(from..to)
}

/// How a round ended.
#[derive(Clone, Copy, Debug)]
pub struct RoundEnd {
    /// the seat closed (or that would have been): the side's most bankrupt.
    pub target: usize,
    /// `target` is not the seat named at begin.
    pub switched: bool,
    /// the close, if ADL was still due for `target`.
    pub outcome: Option<AdlOutcome>,
    /// why not, otherwise.
    pub not_due: Option<ErrorCode>,
}

/// Closes the side's most bankrupt seat against the ranked counterparties
/// once every seat is ranked, and ends the round (`slot`: the current one).
pub fn execute(
    m: &mut MarketMut,
    cover_available: u64,
    now: i64,
    slot: u64,
    on_fill: &mut dyn FnMut(&AdlFill),
) -> Result<RoundEnd> {
    let r = m.header.adl_round;
    require!(r.active == 1, ErrorCode::AdlRoundNotActive);
    require!(r.cursor == r.seat_count, ErrorCode::AdlRoundScanIncomplete);
    // Frozen since begin: the state's mark is still the round's.
    require!(
        super::margin::risk_price(&m.header.state) == r.mark,
        ErrorCode::MalformedMarket
    );
    m.header.adl_round.active = 0;
    // The scan saw the target itself (bankrupt at begin, and frozen since).
    let target = if r.first_bankrupt == u32::MAX {
        r.target as usize
    } else {
        r.first_bankrupt as usize
    };
    let (mark, equity) = bankrupt_equity(m, target)?;
    let mut end = RoundEnd {
        target,
        switched: target != r.target as usize,
        outcome: None,
        not_due: None,
    };
    if let Some(e) = deleverage::not_due(m, target, equity, cover_available, now)? {
        end.not_due = Some(e);
        m.header.adl_round.next_begin_slot = slot.saturating_add(ADL_ROUND_COOLDOWN_SLOTS);
        return Ok(end);
    }
    let cfg = m.header.config;
    let mut ranked = [(usize::MAX, RankInputs::default()); ADL_BATCH];
    let n = r.top_len as usize;
    for (k, &i) in r.top.iter().take(n).enumerate() {
        ranked[k] = (
            i as usize,
            rank_inputs(&cfg, &m.header.state, &m.seats[i as usize], mark)?,
        );
    }
    end.outcome = Some(close_ranked(
        m,
        target,
        equity,
        mark,
        &ranked[..n],
        n == ADL_BATCH,
        cover_available,
        now,
        on_fill,
    )?);
    Ok(end)
}

/// Ends a round not executed within `ADL_ROUND_MAX_SLOTS` slots.
pub fn abort(m: &mut MarketMut, slot: u64) -> Result<()> {
    let r = &mut m.header.adl_round;
    require!(r.active == 1, ErrorCode::AdlRoundNotActive);
    require!(
        slot >= r.started_slot.saturating_add(ADL_ROUND_MAX_SLOTS),
        ErrorCode::AdlRoundNotExpired
    );
    r.active = 0;
    r.next_begin_slot = slot.saturating_add(ADL_ROUND_COOLDOWN_SLOTS);
    Ok(())
}
