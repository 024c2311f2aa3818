//! Placing and cancelling orders: validation, matching with price-time
//! priority and self-trade prevention, settlement of both sides of every
//! fill in the same call (no event queue), fees, and the taker's margin,
//! position-limit and open-interest checks.

use super::book::{self, Side};
use super::guard;
use super::margin;
use super::mark::{band, within_band};
use super::position::{add_collateral, apply_fill, settle_funding};
use crate::error::ErrorCode;
use crate::math::{Cast, SafeDivCeil, SafeMath, MAX_ORDERS_PER_SEAT, PPM};
use crate::state::{order_flags, MarketConfig, MarketMut, MarketState, MarketStatus, Order, Seat};
use anchor_lang::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, AnchorSerialize, AnchorDeserialize)]
#[repr(u8)]
pub enum OrderType {
    /// Matches what crosses, rests the remainder.
    Limit,
    /// Rests only; an order that would cross is rejected (it does not slide).
    PostOnly,
    /// Matches what crosses up to its price, cancels the remainder.
    ImmediateOrCancel,
    /// Immediate-or-cancel with the band edge as its limit price.
    Market,
    /// Fills completely at once or fails (and changes nothing).
    FillOrKill,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, AnchorSerialize, AnchorDeserialize)]
pub struct OrderParams {
    pub side: Side,
    pub order_type: OrderType,
    /// price units; a multiple of the tick size within the band. Ignored
    /// for `Market`.
    pub price: u64,
    /// base lots.
    pub lots: u64,
    /// the trader's own id (0 = none).
    pub client_order_id: u64,
    /// unix seconds after which a resting order is void; 0 = never.
    pub expiry_ts: i64,
    /// Never increase the position: the size is clipped to the position,
    /// and a resting reduce-only order is clipped again when it fills.
    pub reduce_only: bool,
}

/// One fill, with everything an event or a test needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fill {
    pub maker_seat: u32,
    pub taker_seat: u32,
    pub maker_order_id: u64,
    /// price units.
    pub price: u64,
    /// base lots.
    pub lots: u64,
    pub taker_is_buy: bool,
    /// quote atoms (negative maker fee = rebate).
    pub taker_fee: i64,
    pub maker_fee: i64,
    /// quote atoms realized by the fill.
    pub taker_realized: i64,
    pub maker_realized: i64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlaceOutcome {
    /// id of the resting remainder (0 if nothing rests).
    pub order_id: u64,
    pub filled_lots: u64,
    pub rested_lots: u64,
    pub fills: u32,
    /// resting orders removed on the way (expired, out of band, own).
    pub cancelled_resting: u32,
    /// resting orders the taker visited (filled or removed).
    pub makers_walked: u32,
    /// The worst order of a full side, evicted by this better one
    /// (`book::insert_evicting`); its reservation is already released.
    pub evicted: Option<Order>,
}

/// Lots a seat can trade on `side` without increasing its position.
pub fn reducible(seat: &Seat, side: Side) -> u64 {
    match side {
        Side::Bid if seat.base_lots < 0 => seat.base_lots.unsigned_abs(),
        Side::Ask if seat.base_lots > 0 => seat.base_lots as u64,
        _ => 0,
    }
}

/// Largest absolute position the seat reaches if all of one side's orders fill.
pub fn worst_lots(seat: &Seat) -> Result<u64> {
    let base = seat.base_lots as i128;
    let l = base.safe_add(seat.open_bid_lots as i128)?.unsigned_abs();
    let s = base.safe_sub(seat.open_ask_lots as i128)?.unsigned_abs();
    l.max(s).cast()
}

/// Two distinct seats borrowed mutably at once.
pub fn two_mut(seats: &mut [Seat], a: usize, b: usize) -> (&mut Seat, &mut Seat) {
    assert!(a != b);
    if a < b {
        let (x, y) = seats.split_at_mut(b);
        (&mut x[a], &mut y[0])
    } else {
        let (x, y) = seats.split_at_mut(a);
        (&mut y[0], &mut x[b])
    }
}

fn long_part(base: i64) -> u64 {
    base.max(0) as u64
}

/// Fee in quote atoms on `notional` at `rate_ppm`: a charge rounds up, a
/// rebate rounds down.
pub fn fee(notional: u64, rate_ppm: i32) -> Result<i64> {
    let abs = notional as u128 * rate_ppm.unsigned_abs() as u128;
    let (q, inexact) = match u64::try_from(abs) {
        Ok(a) => (a / PPM, a % PPM != 0),
        Err(_) => (
            (abs / PPM as u128).cast::<u64>()?,
            !abs.is_multiple_of(PPM as u128),
        ),
    };
    if rate_ppm >= 0 {
        (q + inexact as u64).cast()
    } else {
        Ok(-(q.cast::<i64>()?))
    }
}

/// Fee rates applied to one fill (ppm; negative = rebate).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeeRates {
    pub taker_ppm: i32,
    pub maker_ppm: i32,
}

impl FeeRates {
    pub fn of(cfg: &MarketConfig) -> Self {
        Self {
            taker_ppm: cfg.taker_fee_ppm,
            maker_ppm: cfg.maker_fee_ppm,
        }
    }
    /// Position transfers (takeover, ADL) carry no trading fees.
    pub const NONE: FeeRates = FeeRates {
        taker_ppm: 0,
        maker_ppm: 0,
    };
}

/// Settles one fill on both seats: positions, realized PnL, fees, fee
/// split and open interest. Both seats must have settled funding.
#[allow(clippy::too_many_arguments)]
pub fn settle_fill(
    cfg: &MarketConfig,
    state: &mut MarketState,
    taker: &mut Seat,
    maker: &mut Seat,
    taker_is_buy: bool,
    price: u64,
    lots: u64,
    fees: FeeRates,
) -> Result<Fill> {
    let lpu = cfg.base_lots_per_unit;
    let (lo, hi) = margin::notional_bounds(lots, price, lpu)?;
    let oi_before = long_part(taker.base_lots).safe_add(long_part(maker.base_lots))?;
    // The buyer pays the rounded-up value, the seller gets the rounded-down one.
    let (tq, mq) = if taker_is_buy { (hi, lo) } else { (lo, hi) };
    let t = apply_fill(taker, state, taker_is_buy, lots, tq)?;
    let m = apply_fill(maker, state, !taker_is_buy, lots, mq)?;
    let taker_fee = fee(hi, fees.taker_ppm)?;
    let maker_fee = if fees.maker_ppm >= 0 {
        fee(hi, fees.maker_ppm)?
    } else {
        fee(lo, fees.maker_ppm)?
    };
    add_collateral(taker, state, -taker_fee)?;
    add_collateral(maker, state, -maker_fee)?;
    // Net fee revenue is never negative (taker fee ≥ maker rebate); the
    // insurance fund's share rounds up, and the rounding surplus of the
    // fill's value (hi − lo) goes to it too.
    let revenue: u64 = taker_fee.safe_add(maker_fee)?.cast()?;
    let insurance = (revenue as u128)
        .safe_mul(cfg.insurance_fee_share_ppm as u128)?
        .safe_div_ceil(PPM as u128)?
        .cast::<u64>()?
        .min(revenue);
    let surplus = hi.safe_sub(lo)?;
    state.unswept_insurance_fees = state
        .unswept_insurance_fees
        .safe_add(insurance)?
        .safe_add(surplus)?;
    state.unswept_treasury_fees = state
        .unswept_treasury_fees
        .safe_add(revenue.safe_sub(insurance)?)?;
    state.total_fees = state.total_fees.safe_add(revenue)?.safe_add(surplus)?;
    let oi_after = long_part(taker.base_lots).safe_add(long_part(maker.base_lots))?;
    state.open_interest_lots = state
        .open_interest_lots
        .safe_add(oi_after)?
        .safe_sub(oi_before)?;
    state.fill_count = state.fill_count.safe_add(1)?;
    Ok(Fill {
        price,
        lots,
        taker_is_buy,
        taker_fee,
        maker_fee,
        taker_realized: t.realized_pnl,
        maker_realized: m.realized_pnl,
        ..Default::default()
    })
}

/// Removes the order at `idx` and releases its reservation on its seat.
fn cancel_at(
    orders: &mut [Order],
    n: &mut u32,
    idx: usize,
    side: Side,
    seats: &mut [Seat],
    lpu: u64,
) -> Result<Order> {
    let o = book::remove(orders, n, idx)?;
    let seat = &mut seats[o.seat as usize];
    book::release(seat, side, o.price, o.lots, o.lots, lpu)?;
    seat.num_orders = seat.num_orders.safe_sub(1)?;
    Ok(o)
}

/// One fill of `q` lots against resting order `maker`, computed on copies
/// of the state and both seats (the maker's funding settled, its
/// reservation released): the results if the maker's side passes the
/// solvency guard (`guard`), None if the resting order must be cancelled.
#[allow(clippy::too_many_arguments)]
pub fn trial_fill(
    cfg: &MarketConfig,
    state: &MarketState,
    taker: &Seat,
    maker_seat: &Seat,
    maker: &Order,
    q: u64,
    taker_is_buy: bool,
    fees: FeeRates,
) -> Result<Option<(MarketState, Seat, Seat, Fill)>> {
    let mut st = *state;
    let (mut t2, mut m2) = (*taker, *maker_seat);
    let fill = settle_fill(
        cfg,
        &mut st,
        &mut t2,
        &mut m2,
        taker_is_buy,
        maker.price,
        q,
        fees,
    )?;
    let maker_side = if taker_is_buy { Side::Ask } else { Side::Bid };
    book::release(
        &mut m2,
        maker_side,
        maker.price,
        maker.lots,
        q,
        cfg.base_lots_per_unit,
    )?;
    let price = margin::risk_price(&st);
    if guard::violation(cfg, &st, maker_seat, &m2, price, true)?.is_some() {
        return Ok(None);
    }
    Ok(Some((st, t2, m2, fill)))
}

/// How a taker seat `taker` wanting `lots` meets resting order `maker`
/// (on `maker_side`, its seat `maker_seat`) inside the band `(lo, hi)`:
/// None when the order is dead to it — expired, outside the band, the
/// taker's own (self-trade prevention), or reduce-only with nothing left to
/// reduce — else the lots a fill takes (a reduce-only order clipped to what
/// reduces). `match_taker_within` and `would_fill_within` share it, so the
/// prediction is the match.
#[inline(always)]
fn meet(
    maker: &Order,
    maker_seat: &Seat,
    maker_side: Side,
    taker: usize,
    lots: u64,
    (lo, hi): (u64, u64),
    now: i64,
) -> Option<u64> {
    let expired = maker.expiry_ts != 0 && maker.expiry_ts <= now;
    let own = maker.seat as usize == taker;
    let out_of_band = maker.price < lo || maker.price > hi;
    let q = lots.min(maker.lots);
    if maker.flags & order_flags::REDUCE_ONLY == 0 {
        return (!(expired || own || out_of_band)).then_some(q);
    }
    let r = reducible(maker_seat, maker_side);
    (!(expired || own || out_of_band || r == 0)).then_some(q.min(r))
}

/// Whether `match_taker` with this taker would fill at least one lot,
/// computed without changing anything (the same skips, clipping and guard).
pub fn would_fill(m: &MarketMut, t: &Taker, now: i64) -> Result<bool> {
    would_fill_within(m, t, now, u32::MAX)
}

/// `would_fill` looking at no more than `max_makers` resting orders, as
/// `match_taker_within` with the same bound would.
pub fn would_fill_within(m: &MarketMut, t: &Taker, now: i64, max_makers: u32) -> Result<bool> {
    if t.lots == 0 {
        return Ok(false);
    }
    let header = &*m.header;
    let cfg = header.config;
    let (lo, hi) = band(&cfg, header.state.index_price)?;
    let (opp, opp_n): (&[Order], u32) = match t.side {
        Side::Bid => (m.asks, header.num_asks),
        Side::Ask => (m.bids, header.num_bids),
    };
    let maker_side = t.side.opposite();
    for maker in opp[..opp_n as usize].iter().rev().take(max_makers as usize) {
        if !t.side.crosses(t.limit, maker.price) {
            return Ok(false);
        }
        let mseat = &m.seats[maker.seat as usize];
        let Some(q) = meet(maker, mseat, maker_side, t.seat, t.lots, (lo, hi), now) else {
            continue;
        };
        let mut st = header.state;
        let mut ms = *mseat;
        settle_funding(&mut ms, &mut st)?;
        let taker = m.seats[t.seat];
        let buy = t.side == Side::Bid;
        if trial_fill(&cfg, &st, &taker, &ms, maker, q, buy, t.fees)?.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// A taker order as it meets the book.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Taker {
    pub seat: usize,
    pub side: Side,
    /// price units; worst acceptable price.
    pub limit: u64,
    /// base lots.
    pub lots: u64,
    pub fees: FeeRates,
}

/// Matches a taker against the opposite side with price-time priority and
/// self-trade prevention, settling both seats of every fill. Resting orders
/// that are expired, outside the band around the index, the taker's own, or
/// reduce-only with nothing left to reduce are cancelled on the way; a
/// reduce-only maker fills only what reduces its position. Returns the lots
/// left unfilled. The taker's funding must be settled.
pub fn match_taker(
    m: &mut MarketMut,
    t: &Taker,
    now: i64,
    out: &mut PlaceOutcome,
    on_fill: &mut dyn FnMut(&Fill),
) -> Result<u64> {
    match_taker_within(m, t, now, u32::MAX, out, on_fill)
}

/// `match_taker` that visits at most `max_makers` resting orders (each
/// fill or clean-up counts one), so its compute is bounded whatever the
/// book holds; it returns the lots left, like a thin book would. The
/// waterfall's closes use it (`engine::liquidation::MAX_LIQUIDATION_MAKERS`).
pub fn match_taker_within(
    m: &mut MarketMut,
    t: &Taker,
    now: i64,
    max_makers: u32,
    out: &mut PlaceOutcome,
    on_fill: &mut dyn FnMut(&Fill),
) -> Result<u64> {
    let header = &mut *m.header;
    let seats = &mut *m.seats;
    let cfg = header.config;
    let lpu = cfg.base_lots_per_unit;
    let (lo, hi) = band(&cfg, header.state.index_price)?;
    let (opp, opp_n) = match t.side {
        Side::Bid => (&mut *m.asks, &mut header.num_asks),
        Side::Ask => (&mut *m.bids, &mut header.num_bids),
    };
    let taker_idx = t.seat;
    let limit = t.limit;
    let mut remaining = t.lots;
    let taker_is_buy = t.side == Side::Bid;
    let maker_side = t.side.opposite();
    let mut walked: u32 = 0;
    while remaining > 0 && *opp_n > 0 && walked < max_makers {
        walked += 1;
        out.makers_walked = out.makers_walked.safe_add(1)?;
        let idx = *opp_n as usize - 1;
        let maker = opp[idx];
        if !t.side.crosses(limit, maker.price) {
            break;
        }
        let mseat = &seats[maker.seat as usize];
        let Some(q) = meet(
            &maker,
            mseat,
            maker_side,
            taker_idx,
            remaining,
            (lo, hi),
            now,
        ) else {
            // Self-trade prevention cancels the resting order; expired,
            // out-of-band and void reduce-only orders are cleaned up.
            cancel_at(opp, opp_n, idx, maker_side, seats, lpu)?;
            out.cancelled_resting += 1;
            continue;
        };
        let clipped = q < remaining.min(maker.lots);
        let (taker, mseat) = two_mut(seats, taker_idx, maker.seat as usize);
        settle_funding(mseat, &mut header.state)?;
        // The fill is computed on copies and kept only if the maker's side
        // passes the solvency guard; otherwise the resting order is
        // cancelled, not filled (see `guard`).
        let Some((st, t2, m2, mut fill)) = trial_fill(
            &cfg,
            &header.state,
            taker,
            mseat,
            &maker,
            q,
            taker_is_buy,
            t.fees,
        )?
        else {
            cancel_at(opp, opp_n, idx, maker_side, seats, lpu)?;
            out.cancelled_resting += 1;
            continue;
        };
        header.state = st;
        *taker = t2;
        *mseat = m2;
        // Only trades on the book feed the mark (not takeovers or ADL).
        header.state.last_trade_price = maker.price;
        header.state.last_trade_ts = now;
        fill.maker_seat = maker.seat;
        fill.taker_seat = taker_idx as u32;
        fill.maker_order_id = maker.order_id;
        opp[idx].lots = maker.lots.safe_sub(q)?;
        if opp[idx].lots == 0 {
            book::remove(opp, opp_n, idx)?;
            mseat.num_orders = mseat.num_orders.safe_sub(1)?;
        } else if clipped {
            cancel_at(opp, opp_n, idx, maker_side, seats, lpu)?;
        }
        remaining = remaining.safe_sub(q)?;
        out.filled_lots = out.filled_lots.safe_add(q)?;
        out.fills += 1;
        on_fill(&fill);
    }

    Ok(remaining)
}

/// The index must exist and be fresh enough for trading.
pub fn require_fresh_index(cfg: &MarketConfig, state: &MarketState, now: i64) -> Result<u64> {
    require!(state.index_price > 0, ErrorCode::IndexNotSet);
    require!(
        now.safe_sub(state.index_publish_ts)? <= cfg.oracle.max_staleness_secs as i64,
        ErrorCode::IndexStale
    );
    Ok(state.index_price)
}

/// Places an order for seat `taker_idx`. `im_multiplier_ppm` scales the
/// initial margin of position-increasing orders (1e6 = 1x). `on_fill` sees
/// every fill (events). Any error leaves the caller to abort the whole
/// instruction, so nothing partial survives.
pub fn place_order(
    m: &mut MarketMut,
    taker_idx: usize,
    p: &OrderParams,
    now: i64,
    im_multiplier_ppm: u64,
    on_fill: &mut dyn FnMut(&Fill),
) -> Result<PlaceOutcome> {
    let header = &mut *m.header;
    let seats = &mut *m.seats;
    let cfg = header.config;
    let status = MarketStatus::try_from(header.status)?;
    let index = require_fresh_index(&cfg, &header.state, now)?;
    let lpu = cfg.base_lots_per_unit;

    // Size, price, expiry.
    require!(
        p.lots >= cfg.min_order_lots && p.lots <= cfg.max_order_lots,
        ErrorCode::InvalidOrderSize
    );
    let (lo, hi) = band(&cfg, index)?;
    let limit = match p.order_type {
        OrderType::Market => match p.side {
            Side::Bid => hi,
            Side::Ask => lo,
        },
        _ => {
            require!(
                p.price > 0 && p.price.is_multiple_of(cfg.tick_size),
                ErrorCode::InvalidPrice
            );
            require!(
                within_band(&cfg, index, p.price)?,
                ErrorCode::PriceOutsideBand
            );
            p.price
        }
    };
    require!(
        p.expiry_ts == 0 || p.expiry_ts > now,
        ErrorCode::OrderExpired
    );

    // Reduce-only: by request, or forced by the market's status or by
    // coverage-driven tightening (level 2). A paused market still takes
    // orders that only reduce: liquidation does not stop while a market is
    // paused, so neither may a trader's own way out.
    let mut reduce_only = p.reduce_only;
    let mut lots = p.lots;
    let forced = status != MarketStatus::Active || header.waterfall.tightening_level >= 2;
    if forced {
        let r = reducible(&seats[taker_idx], p.side);
        if status == MarketStatus::Paused {
            require!(r > 0 && (reduce_only || lots <= r), ErrorCode::MarketPaused);
        } else if !reduce_only {
            require!(lots <= r, ErrorCode::MarketReduceOnly);
        }
        reduce_only = true;
    }
    if reduce_only {
        lots = lots.min(reducible(&seats[taker_idx], p.side));
        require!(lots > 0, ErrorCode::ReduceOnlyWouldIncrease);
    }
    // Minimum notional at the order's limit (market orders: the band
    // edge), rounded down, against the trader. A reduce-only order that
    // closes the whole position is always accepted: a trader can always
    // reduce, however small the position.
    let closes_all = reduce_only && lots == seats[taker_idx].base_lots.unsigned_abs() && lots > 0;
    require!(
        closes_all || margin::notional_floor(lots, limit, lpu)? >= cfg.min_order_notional,
        ErrorCode::OrderNotionalTooSmall
    );

    settle_funding(&mut seats[taker_idx], &mut header.state)?;
    let taker_before = seats[taker_idx];
    let worst_before = worst_lots(&seats[taker_idx])?;
    let oi_before = header.state.open_interest_lots;

    let (opp, opp_n): (&[Order], u32) = match p.side {
        Side::Bid => (m.asks, header.num_asks),
        Side::Ask => (m.bids, header.num_bids),
    };
    if p.order_type == OrderType::PostOnly {
        if let Some(best) = book::best_price(opp, opp_n) {
            require!(!p.side.crosses(limit, best), ErrorCode::PostOnlyWouldCross);
        }
    }

    let mut out = PlaceOutcome::default();
    let taker = Taker {
        seat: taker_idx,
        side: p.side,
        limit,
        lots,
        fees: FeeRates::of(&cfg),
    };
    let remaining = match_taker(m, &taker, now, &mut out, on_fill)?;
    let header = &mut *m.header;
    let seats = &mut *m.seats;

    if p.order_type == OrderType::FillOrKill {
        require!(remaining == 0, ErrorCode::FillOrKillNotFilled);
    }
    let rests = matches!(p.order_type, OrderType::Limit | OrderType::PostOnly);
    if remaining > 0 && rests {
        require!(
            seats[taker_idx].num_orders < MAX_ORDERS_PER_SEAT,
            ErrorCode::TooManyOrders
        );
        let id = header.state.next_order_id;
        header.state.next_order_id = id.safe_add(1)?;
        let order = Order {
            price: limit,
            lots: remaining,
            order_id: id,
            client_order_id: p.client_order_id,
            expiry_ts: p.expiry_ts,
            seat: taker_idx.cast()?,
            flags: if reduce_only {
                order_flags::REDUCE_ONLY
            } else {
                0
            } | if p.order_type == OrderType::PostOnly {
                order_flags::POST_ONLY
            } else {
                0
            },
            padding: [0; 3],
        };
        let (own_side, own_n) = match p.side {
            Side::Bid => (&mut *m.bids, &mut header.num_bids),
            Side::Ask => (&mut *m.asks, &mut header.num_asks),
        };
        // A full side takes a better order by evicting its worst one.
        let (_, evicted) = book::insert_evicting(own_side, own_n, p.side, order)?;
        if let Some(e) = evicted {
            let es = &mut seats[e.seat as usize];
            book::release(es, p.side, e.price, e.lots, e.lots, lpu)?;
            es.num_orders = es.num_orders.safe_sub(1)?;
            out.evicted = Some(e);
        }
        let seat = &mut seats[taker_idx];
        book::reserve(seat, p.side, limit, remaining, lpu)?;
        seat.num_orders = seat.num_orders.safe_add(1)?;
        out.order_id = id;
        out.rested_lots = remaining;
    }

    // Mark follows the book.
    super::mark::mark_from_book(m, now)?;
    let header = &mut *m.header;
    let seats = &mut *m.seats;

    // Risk checks on the taker: only where its risk grew.
    let seat = &seats[taker_idx];
    let worst_after = worst_lots(seat)?;
    let mut initial_ok = false;
    if worst_after > worst_before {
        require!(
            worst_after <= cfg.position_limit_lots,
            ErrorCode::PositionLimitExceeded
        );
        let price = margin::risk_price(&header.state);
        let health = margin::initial_health(&cfg, &header.state, seat, price, im_multiplier_ppm)?;
        require!(health >= 0, ErrorCode::InsufficientInitialMargin);
        initial_ok = true;
    }
    // The solvency guard on the taker, at the mark after the order (a seat
    // above its initial requirement is above maintenance: nothing to check).
    if !initial_ok && (out.fills > 0 || out.rested_lots > 0) {
        guard::require_guarded(
            &cfg,
            &header.state,
            &taker_before,
            seat,
            margin::risk_price(&header.state),
            out.fills > 0,
        )?;
    }
    let oi_after = header.state.open_interest_lots;
    if oi_after > oi_before {
        require!(
            oi_after <= cfg.open_interest_cap_lots,
            ErrorCode::OpenInterestCapExceeded
        );
    }
    Ok(out)
}

/// Which resting orders of a seat to cancel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CancelWhich {
    OrderId(u64),
    ClientId(u64),
    All,
}

/// Cancels the seat's matching orders on both sides; returns how many.
/// `OrderId`/`ClientId` that match nothing fail with `OrderNotFound`.
pub fn cancel(m: &mut MarketMut, seat_idx: usize, which: CancelWhich) -> Result<u32> {
    // A seat with no resting order has nothing on the book: no pass over it.
    if m.seats[seat_idx].num_orders == 0 {
        require!(which == CancelWhich::All, ErrorCode::OrderNotFound);
        return Ok(0);
    }
    let header = &mut *m.header;
    let lpu = header.config.base_lots_per_unit;
    let seat_u32: u32 = seat_idx.cast()?;
    let matches = |o: &Order| {
        o.seat == seat_u32
            && match which {
                CancelWhich::OrderId(id) => o.order_id == id,
                // Client id 0 means "none": it never matches.
                CancelWhich::ClientId(id) => id != 0 && o.client_order_id == id,
                CancelWhich::All => true,
            }
    };
    let mut count = 0u32;
    for (orders, n, side) in [
        (&mut *m.bids, &mut header.num_bids, Side::Bid),
        (&mut *m.asks, &mut header.num_asks, Side::Ask),
    ] {
        // One compacting pass keeps the order of the rest.
        let len = *n as usize;
        let mut keep = 0usize;
        for i in 0..len {
            let o = orders[i];
            let hit = matches(&o) && (which == CancelWhich::All || count == 0);
            if hit {
                let seat = &mut m.seats[seat_idx];
                book::release(seat, side, o.price, o.lots, o.lots, lpu)?;
                seat.num_orders = seat.num_orders.safe_sub(1)?;
                count += 1;
            } else {
                orders[keep] = o;
                keep += 1;
            }
        }
        for o in orders.iter_mut().take(len).skip(keep) {
            *o = Order::default();
        }
        *n = keep.cast()?;
    }
    if which != CancelWhich::All {
        require!(count > 0, ErrorCode::OrderNotFound);
    }
    Ok(count)
}
