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

use super::position::side_index;
use crate::math::{Cast, SafeMath, PPM};
use crate::state::{MarketConfig, MarketMut, MarketState, Seat};
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

/// The `ADL_BATCH` best-ranked seats (seat, ranking inputs), best first,
/// and how many there are.
pub type Ranked = ([(usize, RankInputs); ADL_BATCH], usize);

/// The ranked counterparties of a bankrupt position on the side opposite
/// `side` (0 long, 1 short: the side that pays), and the most bankrupt seat
/// of the bankrupt side, in ONE pass over `range`. `kept` are the best
/// seats of earlier ranges (all below `range`), `best` the most bankrupt
/// seat of earlier ranges ((deficit, index), index `usize::MAX` = none):
/// splitting the table into ranges scanned in index order gives the
/// whole table's result (and [`super::deleverage::first_bankrupt`]'s).
/// Closing the bankrupt position changes no other seat's score, so the
/// ranking is the order of repeated "take the top-ranked" steps.
pub fn rank_range(
    m: &MarketMut,
    side: usize,
    range: core::ops::Range<usize>,
    mark: u64,
    kept: &[usize],
    best: (u128, usize),
) -> Result<(Ranked, (u128, usize))> {
    let cfg = &m.header.config;
    let st = &m.header.state;
    let mut top = Top::new();
    for &i in kept.iter().take(ADL_BATCH) {
        let r = rank_inputs(cfg, st, &m.seats[i], mark)?;
        top.insert(i, r);
    }
    // The bankrupt side is the other one: longs when shorts pay.
    let mut bankrupt = super::deleverage::BankruptScan::new(cfg, st, side == 1, mark, best);
    let mut other = |i: usize, s: &Seat| bankrupt.consider(cfg, st, i, s);
    let base = range.start;
    let seats = &m.seats[range];
    match side {
        0 => scan::<false, _>(&mut top, cfg, st, seats, base, mark, &mut other)?,
        1 => scan::<true, _>(&mut top, cfg, st, seats, base, mark, &mut other)?,
        _ => {}
    }
    Ok(((top.top, top.n), bankrupt.best))
}

/// The best seats so far, best first, and the key a seat must beat to enter.
struct Top {
    top: [(usize, RankInputs); ADL_BATCH],
    n: usize,
    /// (score, notional) of the last kept seat once the batch is full; below
    /// every possible key before (a score is never `i128::MIN`).
    thr_score: i128,
    thr_notional: u64,
}

impl Top {
    fn new() -> Self {
        Self {
            top: [(usize::MAX, RankInputs::default()); ADL_BATCH],
            n: 0,
            thr_score: i128::MIN,
            thr_notional: 0,
        }
    }

    /// True when a seat with key (score, notional) scanned after every kept
    /// seat (so with a larger index) enters the batch.
    #[inline(always)]
    fn admits(&self, score: i128, notional: u64) -> bool {
        (score, notional) > (self.thr_score, self.thr_notional)
    }

    /// The threshold in 64 bits, for keys whose score fits an `i64`: a
    /// 64-bit key (s, n) beats `thr64()` exactly when it beats the
    /// threshold.
    #[inline(always)]
    fn thr64(&self) -> (i64, u64) {
        if self.thr_score > i64::MAX as i128 {
            (i64::MAX, u64::MAX)
        } else if self.thr_score < i64::MIN as i128 {
            (i64::MIN, 0)
        } else {
            (self.thr_score as i64, self.thr_notional)
        }
    }

    /// Inserts seat `i` (larger than every kept index), which `admits`.
    #[inline(never)]
    fn insert(&mut self, i: usize, r: RankInputs) {
        let mut k = self.n.min(ADL_BATCH - 1);
        while k > 0 && ranks_before(&r, i, &self.top[k - 1].1, self.top[k - 1].0) {
            self.top[k] = self.top[k - 1];
            k -= 1;
        }
        self.top[k] = (i, r);
        self.n = (self.n + 1).min(ADL_BATCH);
        if self.n == ADL_BATCH {
            let last = &self.top[ADL_BATCH - 1].1;
            self.thr_score = last.score;
            self.thr_notional = last.notional;
        }
    }
}

/// Ranks seat `i` with [`rank_inputs`] (the general path) and keeps it if it
/// makes the batch.
#[inline(never)]
fn consider_general(
    top: &mut Top,
    cfg: &MarketConfig,
    st: &MarketState,
    seat: &Seat,
    i: usize,
    mark: u64,
) -> Result<()> {
    let r = rank_inputs(cfg, st, seat, mark)?;
    if top.admits(r.score, r.notional) {
        top.insert(i, r);
    }
    Ok(())
}

/// Largest `x` with `x × 1e6` within 64 bits.
const MAX_PPM_FACTOR: u64 = u64::MAX / PPM;

/// Bound of the fast path: |base| × mark, entry cost and collateral below
/// 2^61 in magnitude, so that upnl and equity cannot overflow an `i64`.
pub(crate) const FAST_BOUND: u64 = 1 << 61;

/// True when `x` is in [-2^61, 2^61).
#[inline(always)]
pub(crate) fn within_fast_bound(x: i64) -> bool {
    (x as u64).wrapping_add(FAST_BOUND) < 2 * FAST_BOUND
}

/// Index of `s` in `seats`.
#[inline(always)]
fn index_of(seats: &[Seat], s: &Seat) -> usize {
    (s as *const Seat as usize - seats.as_ptr() as usize) / core::mem::size_of::<Seat>()
}

/// What a seat owes (`position::pending_charges`) when both index deltas
/// fit 64 bits and the result is below 2^61 in magnitude; None otherwise
/// (the general path then computes it).
#[inline(always)]
pub(crate) fn owed_fast(s: &Seat, base: i64, abs: u64, funding: i128, loss: i128) -> Option<i64> {
    let df = i64::try_from(funding.checked_sub(s.funding_snapshot.get())?).ok()?;
    let dl = i64::try_from(loss.checked_sub(s.loss_snapshot.get())?).ok()?;
    let f = crate::math::FUNDING_PRECISION as u64;
    // In 64 bits when both products and their sum fit (the usual case; one
    // native division on SBF), the same roundings.
    if let Some(exact) = base
        .checked_mul(df)
        .and_then(|a| (abs as i64).checked_mul(dl).and_then(|b| a.checked_add(b)))
    {
        let mag = exact.unsigned_abs();
        return Some(if exact >= 0 {
            mag.div_ceil(f) as i64
        } else {
            -((mag / f) as i64)
        });
    }
    // abs < 2^61 here: both products are below 2^125, their sum below 2^126.
    let exact = base as i128 * df as i128 + abs as i128 * dl as i128;
    let f = f as u128;
    let mag = exact.unsigned_abs();
    let owed = if exact >= 0 {
        mag.div_ceil(f) as i128
    } else {
        -((mag / f) as i128)
    };
    if owed.unsigned_abs() < FAST_BOUND as u128 {
        Some(owed as i64)
    } else {
        None
    }
}

/// One pass over the seats of side `SHORT` (false: longs); `seats` starts
/// at table index `offset`. Seats holding a position on the other side go
/// to `other` (table index, seat).
///
/// Same result (and same errors) as ranking every seat with [`rank_inputs`]
/// and keeping the best `ADL_BATCH`, but a seat in the common case (settled,
/// every intermediate within 64 bits) is scored in 64-bit arithmetic inline,
/// and its `RankInputs` are built only if it makes the batch.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn scan<const SHORT: bool, F: FnMut(usize, &Seat) -> Result<()>>(
    top: &mut Top,
    cfg: &MarketConfig,
    st: &MarketState,
    seats: &[Seat],
    offset: usize,
    mark: u64,
    other: &mut F,
) -> Result<()> {
    let lpu = cfg.base_lots_per_unit;
    let side = SHORT as usize;
    let funding = st.cum_funding_per_lot;
    let loss = st.social_loss_per_lot[side];
    let (funding_i, loss_i) = (funding.get(), loss.get());
    // |base| × mark < 2^61 exactly when |base| ≤ max_base.
    let max_base = (FAST_BOUND - 1).checked_div(mark).unwrap_or(u64::MAX);
    let (mut thr, mut thr_n) = top.thr64();
    for s in seats {
        let base = s.base_lots;
        if (SHORT && base >= 0) || (!SHORT && base <= 0) {
            if base != 0 {
                other(offset + index_of(seats, s), s)?;
            }
            continue;
        }
        // The common case, exactly as `rank_inputs` computes it: settled
        // (nothing owed), every magnitude below 2^61 and no overflow below.
        // Anything else takes the general path, which also returns the
        // errors `rank_inputs` returns.
        let abs = base.unsigned_abs();
        let fast =
            abs <= max_base && within_fast_bound(s.entry_cost) && within_fast_bound(s.collateral);
        // Funding and socialized loss owed, exactly as `pending_charges`
        // (rounded up, in 64 bits when the index deltas fit; a settled seat
        // owes nothing).
        let settled = s.funding_snapshot.lo == funding.lo
            && s.funding_snapshot.hi == funding.hi
            && s.loss_snapshot.lo == loss.lo
            && s.loss_snapshot.hi == loss.hi;
        let owed = if !fast || settled {
            Some(0)
        } else {
            owed_fast(s, base, abs, funding_i, loss_i)
        };
        let Some(owed) = owed.filter(|_| fast) else {
            consider_general(top, cfg, st, s, offset + index_of(seats, s), mark)?;
            (thr, thr_n) = top.thr64();
            continue;
        };
        let p = abs.wrapping_mul(mark);
        let q = p / lpu;
        // q × lpu ≤ p, and notional ≤ p < 2^61.
        let notional = q.wrapping_add((q.wrapping_mul(lpu) != p) as u64);
        let value = if SHORT {
            (notional as i64).wrapping_neg()
        } else {
            q as i64
        };
        let entry_cost = s.entry_cost;
        // |upnl| < 2^62, |equity| < 3 × 2^61.
        let upnl = value.wrapping_sub(entry_cost);
        // |owed| < 2^61 (checked in `owed_fast`): |equity| < 2^63.
        let equity = s.collateral.wrapping_add(upnl).wrapping_sub(owed);
        // A full batch whose last score is positive admits no seat whose
        // score is ≤ 0.
        if thr > 0 && (upnl <= 0 || equity <= 0) {
            continue;
        }
        let entry = entry_cost.unsigned_abs();
        let pnl_num = upnl.unsigned_abs();
        let pnl = if entry == 0 {
            0
        } else if pnl_num <= MAX_PPM_FACTOR {
            pnl_num.wrapping_mul(PPM) / entry
        } else {
            consider_general(top, cfg, st, s, offset + index_of(seats, s), mark)?;
            (thr, thr_n) = top.thr64();
            continue;
        };
        let lev = if equity <= 0 {
            0
        } else if notional <= MAX_PPM_FACTOR {
            notional.wrapping_mul(PPM) / equity as u64
        } else {
            consider_general(top, cfg, st, s, offset + index_of(seats, s), mark)?;
            (thr, thr_n) = top.thr64();
            continue;
        };
        // |score| = pnl × lev, taken here when below 2^63.
        if (pnl | lev) >> 31 != 0 && pnl != 0 && lev > i64::MAX as u64 / pnl {
            consider_general(top, cfg, st, s, offset + index_of(seats, s), mark)?;
            (thr, thr_n) = top.thr64();
            continue;
        }
        let mag = pnl.wrapping_mul(lev) as i64;
        let score = if upnl < 0 { mag.wrapping_neg() } else { mag };
        if score > thr || (score == thr && notional > thr_n) {
            top.insert(
                offset + index_of(seats, s),
                RankInputs {
                    upnl,
                    entry_cost,
                    notional,
                    equity,
                    score: score as i128,
                },
            );
            (thr, thr_n) = top.thr64();
        }
    }
    Ok(())
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

pub use super::deleverage::{auto_deleverage, AdlOutcome};

/// ADL "lights": for every seat with a position, its quantile 1–5 within
/// its side's ranking (5 = first to be deleveraged), from chain data.
#[cfg(not(target_os = "solana"))]
pub fn adl_quantiles(m: &crate::state::MarketRef) -> Result<Vec<(usize, u8)>> {
    let mark = super::margin::risk_price(&m.header.state);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::property_tests::Rng;
    use crate::engine::sandbox::MarketBuf;
    use crate::math::PodI128;

    /// The ranking pass alone (`scan` with nothing done for the other
    /// side), over the whole table.
    fn top_ranked(
        m: &MarketMut,
        side: usize,
        mark: u64,
    ) -> Result<([(usize, RankInputs); ADL_BATCH], usize)> {
        let (cfg, st) = (&m.header.config, &m.header.state);
        let mut top = Top::new();
        let mut none = |_: usize, _: &Seat| Ok(());
        match side {
            0 => scan::<false, _>(&mut top, cfg, st, m.seats, 0, mark, &mut none)?,
            1 => scan::<true, _>(&mut top, cfg, st, m.seats, 0, mark, &mut none)?,
            _ => {}
        }
        Ok((top.top, top.n))
    }

    /// The ranking by definition: every seat of the side through
    /// `rank_inputs`, sorted, the first `ADL_BATCH` kept.
    fn reference(m: &MarketMut, side: usize, mark: u64) -> Result<Vec<(usize, RankInputs)>> {
        let mut v = Vec::new();
        for (i, s) in m.seats.iter().enumerate() {
            if side_index(s.base_lots) == Some(side) {
                v.push((i, rank_inputs(&m.header.config, &m.header.state, s, mark)?));
            }
        }
        v.sort_by(|(ia, a), (ib, b)| {
            (b.score, b.notional, core::cmp::Reverse(*ib)).cmp(&(
                a.score,
                a.notional,
                core::cmp::Reverse(*ia),
            ))
        });
        v.truncate(ADL_BATCH);
        Ok(v)
    }

    fn pick(rng: &mut Rng, xs: &[i64]) -> i64 {
        xs[rng.below(xs.len() as u64) as usize]
    }

    /// A value of one of several magnitudes (small ones often, so that
    /// scores tie), or an extreme.
    fn val(rng: &mut Rng, big: bool) -> i64 {
        match rng.below(if big { 10 } else { 8 }) {
            0 => 0,
            1 => pick(rng, &[1, -1, 2, 100, -100]),
            2 => rng.below(1_000) as i64 - 500,
            3 => rng.below(1_000_000) as i64 - 300_000,
            4 | 5 => rng.below(1 << 40) as i64 - (1 << 38),
            6 => rng.below(1 << 52) as i64 - (1 << 50),
            7 => rng.next() as i64,
            _ => pick(rng, &[i64::MAX, i64::MIN, i64::MAX - 1, i64::MIN + 1]),
        }
    }

    /// Compares `top_ranked` with the definition on both sides (and an
    /// invalid one); returns whether the ranking failed.
    fn check(m: &MarketMut, mark: u64, what: &str) -> bool {
        let mut failed = false;
        for side in 0..3 {
            let want = reference(m, side, mark);
            let got = top_ranked(m, side, mark);
            match (want, got) {
                (Ok(w), Ok((t, n))) => {
                    assert_eq!(&t[..n], &w[..], "{what} side {side}");
                    assert!(t[n..].iter().all(|x| x.0 == usize::MAX));
                }
                (Err(a), Err(b)) => {
                    assert_eq!(a, b, "{what} side {side}");
                    failed = true;
                }
                (w, g) => panic!("{what} side {side}: {w:?} against {g:?}"),
            }
            if side < 2 {
                check_fused(m, side, mark, what);
            }
        }
        failed
    }

    /// The most bankrupt seat holding a position on the long (`long`) or
    /// short side, by definition: equity from `margin::equity`, largest
    /// deficit first, ties to the lower index.
    fn reference_bankrupt(m: &MarketMut, long: bool, mark: u64) -> Result<(u128, usize)> {
        let lpu = m.header.config.base_lots_per_unit;
        let mut best = (0u128, usize::MAX);
        for (i, s) in m.seats.iter().enumerate() {
            if (long && s.base_lots > 0) || (!long && s.base_lots < 0) {
                let e = super::super::margin::equity(s, &m.header.state, lpu, mark, true)?;
                if e <= 0 && (best.1 == usize::MAX || e.unsigned_abs() > best.0) {
                    best = (e.unsigned_abs(), i);
                }
            }
        }
        Ok(best)
    }

    /// `rank_range` (one pass for both) over the whole table, and over it
    /// split in two ranges carried over, is the ranking of `side` and the
    /// most bankrupt seat of the other side by definition.
    fn check_fused(m: &MarketMut, side: usize, mark: u64, what: &str) {
        let n = m.seats.len();
        let want =
            reference(m, side, mark).and_then(|r| Ok((r, reference_bankrupt(m, side == 1, mark)?)));
        for cut in [n, n / 2, 1.min(n)] {
            let first = rank_range(m, side, 0..cut, mark, &[], (0, usize::MAX));
            let got = first.and_then(|((t, k), best)| {
                let kept: Vec<usize> = t[..k].iter().map(|x| x.0).collect();
                rank_range(m, side, cut..n, mark, &kept, best)
            });
            match (&want, got) {
                (Ok((w, b)), Ok(((t, k), best))) => {
                    assert_eq!(&t[..k], &w[..], "{what} fused side {side} cut {cut}");
                    assert_eq!(best, *b, "{what} bankrupt side {side} cut {cut}");
                }
                (Err(_), Err(_)) => {}
                (w, g) => panic!("{what} fused side {side} cut {cut}: {w:?} against {g:?}"),
            }
        }
    }

    /// Values at the edges of the fast path's bounds and of `i64`.
    const EDGES: [i64; 12] = [
        i64::MAX,
        i64::MIN,
        i64::MAX - 1,
        i64::MIN + 1,
        1 << 61,
        (1 << 61) - 1,
        -(1 << 61),
        -(1 << 61) - 1,
        1 << 62,
        -(1 << 62),
        (1 << 62) + (1 << 61),
        -(1 << 62) - (1 << 61),
    ];

    #[test]
    fn top_ranked_matches_the_definition() {
        let mut rng = Rng::new(7);
        let mut errors = 0;
        let mut clean = 0;
        let mut general = 0;
        for round in 0..20_000 {
            // Wild rounds draw extremes everywhere; the others are plausible
            // markets, half of them with one seat pushed to an edge.
            let wild = rng.below(4) == 0;
            let seats = 1 + rng.below(60) as u32;
            let mut cfg = super::super::trade_tests::config();
            cfg.base_lots_per_unit = pick(&mut rng, &[1, 2, 100, 10_000, 1_000_000]) as u64;
            let mut b = MarketBuf::new(cfg, seats, 4);
            let m = b.view();
            let mark = match rng.below(8) {
                0 => 1 + rng.below(100),
                1 => rng.next() >> 1,
                2 => 1 + (rng.next() >> 20),
                // |base| × mark around 2^61 and 2^63 for |base| < 1,000.
                3 => (1u64 << 61) / (1 + rng.below(1_000)) + rng.below(3),
                4 => (1u64 << 63) / (1 + rng.below(1_000)) + rng.below(3),
                _ => 60_000_000_000 + rng.below(10_000_000_000),
            };
            m.header.state.mark_price = mark;
            let f = if rng.below(3) == 0 {
                val(&mut rng, false)
            } else {
                0
            };
            m.header.state.cum_funding_per_lot = PodI128::new(f as i128);
            for side in 0..2 {
                let l = if rng.below(4) == 0 {
                    rng.below(1_000)
                } else {
                    0
                };
                m.header.state.social_loss_per_lot[side] = PodI128::new(l as i128);
            }
            // Some seats share the same inputs, so that keys tie.
            let mut proto = Seat::default();
            for s in m.seats.iter_mut() {
                if rng.below(3) > 0 || proto.base_lots == 0 {
                    proto.base_lots = match rng.below(5) {
                        0 if wild => val(&mut rng, true),
                        _ => rng.below(2_000) as i64 - 1_000,
                    };
                    let scale = if rng.below(2) == 0 {
                        1
                    } else {
                        mark as i64 / 100
                    };
                    let entry = proto.base_lots.saturating_mul(scale.max(1));
                    proto.entry_cost = match rng.below(6) {
                        0 if wild => val(&mut rng, true),
                        1 => 0,
                        _ => entry.saturating_add(rng.below(1_000_000) as i64 - 500_000),
                    };
                    proto.collateral = match rng.below(4) {
                        0 if wild => val(&mut rng, true),
                        _ => rng.below(100_000_000) as i64 - 10_000_000,
                    };
                    let side = side_index(proto.base_lots).unwrap_or(0);
                    // Snapshots behind the indices now and then, in either
                    // half of the 128 bits.
                    let mut behind = |x: PodI128| match rng.below(12) {
                        0 => PodI128::new(val(&mut rng, false) as i128),
                        1 => PodI128::new(x.get() ^ 1),
                        2 => PodI128::new(x.get() ^ (1 << 64)),
                        _ => x,
                    };
                    proto.funding_snapshot = behind(m.header.state.cum_funding_per_lot);
                    proto.loss_snapshot = behind(m.header.state.social_loss_per_lot[side]);
                }
                *s = proto;
            }
            if !wild && rng.below(2) == 0 {
                let s = &mut m.seats[rng.below(seats as u64) as usize];
                let x = EDGES[rng.below(EDGES.len() as u64) as usize];
                match rng.below(3) {
                    0 => s.entry_cost = x,
                    1 => s.collateral = x,
                    _ => s.base_lots = x,
                }
            }
            if check(&m, mark, &format!("round {round}")) {
                errors += 1;
            } else {
                clean += 1;
            }
            general += m
                .seats
                .iter()
                .filter(|s| s.base_lots.unsigned_abs().checked_mul(mark).is_none())
                .count();
        }
        // Both paths and the errors were exercised.
        assert!(
            errors > 500 && clean > 10_000,
            "{errors} errors, {clean} clean"
        );
        assert!(general > 1_000, "{general} seats on the general path");
    }

    /// Scores whose magnitude needs all 64 bits, or more.
    #[test]
    fn top_ranked_with_huge_scores() {
        let mut cfg = super::super::trade_tests::config();
        cfg.base_lots_per_unit = 1;
        let mut b = MarketBuf::new(cfg, 8, 4);
        let m = b.view();
        let mark = 3_501_000;
        m.header.state.mark_price = mark;
        // Long 1 lot: upnl = 3,500,000 on an entry of 1,000 (pnl 3.5e9
        // ppm), leverage about 3,500 (3.5e9 ppm): a score near 1.2e19,
        // above 2^63 and below 2^64.
        for (i, s) in m.seats.iter_mut().enumerate() {
            s.base_lots = if i % 2 == 0 { 1 } else { -1 };
            s.entry_cost = 1_000 * s.base_lots;
            s.collateral = 1_000 - 3_500_000 + i as i64 * 7;
        }
        m.seats[6].collateral = 1_000 - 3_500_000 - 500;
        check(&m, mark, "huge");
        for i in 0..8 {
            let r = rank_inputs(&m.header.config, &m.header.state, &m.seats[i], mark).unwrap();
            assert!(i % 2 == 1 || r.score > i64::MAX as i128, "{r:?}");
        }
    }

    #[test]
    fn threshold_in_64_bits() {
        let mut t = Top::new();
        assert_eq!(t.thr64(), (i64::MIN, 0));
        for (score, notional, want) in [
            (i64::MAX as i128 + 1, 5, (i64::MAX, u64::MAX)),
            (i64::MAX as i128, 5, (i64::MAX, 5)),
            (-7, 5, (-7, 5)),
            (i64::MIN as i128, 5, (i64::MIN, 5)),
            (i64::MIN as i128 - 1, 5, (i64::MIN, 0)),
        ] {
            t.thr_score = score;
            t.thr_notional = notional;
            assert_eq!(t.thr64(), want);
            // A 64-bit key beats the 64-bit threshold exactly when it beats
            // the threshold.
            for s in [i64::MIN + 1, -7, -6, 0, i64::MAX - 1, i64::MAX] {
                for n in [0, 4, 5, 6, u64::MAX] {
                    let (ts, tn) = t.thr64();
                    assert_eq!(
                        s > ts || (s == ts && n > tn),
                        t.admits(s as i128, n),
                        "{score} {notional} {s} {n}"
                    );
                }
            }
        }
    }
}
