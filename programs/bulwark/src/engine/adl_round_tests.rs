//! Tests of the ADL ranking round (engine::adl_round): the round gives
//! exactly what the one-transaction `auto_deleverage` gives (however the
//! scan is split and whichever bankrupt seat of the side is named), it
//! freezes the market while open, every misuse is refused with its own
//! error, and it serves tables too large for one transaction.

use super::adl::{self, AdlFill};
use super::adl_round::{self, RoundEnd, ADL_ROUND_COOLDOWN_SLOTS, ADL_ROUND_MAX_SLOTS};
use super::audit;
use super::book::Side;
use super::collateral;
use super::deleverage::{self, ADL_ONE_TX_SEATS};
use super::margin;
use super::position;
use super::property_tests::Rng;
use super::sandbox::MarketBuf;
use super::trade::OrderType::{ImmediateOrCancel as Ioc, Limit};
use super::trade::{self, CancelWhich};
use super::trade_tests::{order, place, usd, NOW};
use crate::error::ErrorCode;
use crate::math::{PodI128, PPM};
use crate::state::{AdlRound, MarketConfig, MarketMut, WaterfallMode};
use anchor_lang::prelude::*;
use core::ops::Range;

/// 100 USD in price units.
const PX: u64 = 100_000_000;
/// The slot of every `begin`.
const SLOT: u64 = 1_000;

fn cfg(socialized: bool) -> MarketConfig {
    let mut c = super::trade_tests::config();
    c.liquidation_fee_ppm = 10_000; // 1 %: the cover limit is 1 % off the mark
    c.price_band_bps = 1_000;
    c.insurance_cover_cap = usd(5_000);
    c.insurance_cover_period_secs = 3_600;
    let mode = [WaterfallMode::Adl, WaterfallMode::Socialized][socialized as usize];
    c.waterfall_mode = mode as u8;
    c
}

fn copy(b: &MarketBuf) -> MarketBuf {
    MarketBuf::from_account_data(b.bytes())
}

/// The account bytes with the round's header field zeroed: what must not
/// differ between the round and the one-transaction path.
fn without_round(b: &MarketBuf) -> Vec<u8> {
    let mut c = copy(b);
    c.view_in_round().header.adl_round = AdlRound::default();
    c.bytes().to_vec()
}

fn round(b: &MarketBuf) -> AdlRound {
    b.view_ref().header.adl_round
}

/// Every market invariant, against the vault's balance.
fn check(b: &MarketBuf, vault: u64, what: &str) {
    let v = audit::check_market(&b.view_ref(), vault);
    assert!(v.is_empty(), "{what}: {v:?}");
}

fn owner(i: usize) -> Pubkey {
    let mut k = [7u8; 32];
    k[..8].copy_from_slice(&(i as u64).to_le_bytes());
    Pubkey::new_from_array(k)
}

fn set_price(b: &mut MarketBuf, price: u64, now: i64) {
    let st = &mut b.view().header.state;
    st.index_price = price;
    st.mark_price = price;
    st.index_publish_ts = now;
}

/// An empty table of `seats` free seats at 100 USD.
fn market(seats: u32, socialized: bool) -> MarketBuf {
    let mut b = MarketBuf::new(cfg(socialized), seats, 32);
    set_price(&mut b, PX, NOW);
    b
}

/// Claims seat `i` and deposits `amount` quote atoms into it.
fn open_seat(b: &mut MarketBuf, i: usize, amount: u64, vault: &mut u64) {
    let mut m = b.view();
    collateral::claim_seat_at(&mut m, i as u32, &owner(i), amount).unwrap();
    collateral::deposit(&mut m, i, amount).unwrap();
    *vault += amount;
}

fn base(b: &MarketBuf, i: usize) -> i64 {
    b.view_ref().seats[i].base_lots
}

fn equity(b: &MarketBuf, i: usize) -> i128 {
    let m = b.view_ref();
    let (st, lpu) = (&m.header.state, m.header.config.base_lots_per_unit);
    margin::equity(&m.seats[i], st, lpu, margin::risk_price(st), true).unwrap()
}

/// Runs `f` on the account (round or not) as an instruction would, expects
/// it to fail with `code`, and restores the bytes. Asserts the call wrote
/// nothing before failing: every refusal here is checked up front.
fn refused<T>(b: &mut MarketBuf, code: ErrorCode, f: impl FnOnce(&mut MarketMut) -> Result<T>) {
    let before = b.bytes().to_vec();
    let r = MarketMut::from_bytes_in_round(b.bytes_mut()).and_then(|mut m| f(&mut m));
    let wrote = b.bytes() != before.as_slice();
    b.bytes_mut().copy_from_slice(&before);
    match r {
        Err(e) => assert_eq!(e, error!(code)),
        Ok(_) => panic!("expected {code:?}, the call succeeded"),
    }
    assert!(!wrote, "{code:?}: the refused call wrote first");
}

/// Runs `f` through `MarketMut::from_bytes`, as every instruction that
/// writes the market does (but cancels and the round's own): refused with
/// `AdlRoundActive` during a round, before anything is written.
fn blocked<T>(b: &mut MarketBuf, f: impl FnOnce(&mut MarketMut) -> Result<T>) {
    let before = b.bytes().to_vec();
    let r = MarketMut::from_bytes(b.bytes_mut()).and_then(|mut m| f(&mut m));
    assert_eq!(r.err(), Some(error!(ErrorCode::AdlRoundActive)));
    assert!(b.bytes() == before.as_slice());
}

/// What `begin` does to the seat it names besides opening the round:
/// settles its funding and cancels its orders (`bankrupt_equity`,
/// `not_due`). Applied to the one-transaction copy so that the two
/// accounts can be compared byte for byte.
fn as_begin_leaves(b: &mut MarketBuf, seat: usize) {
    let mut m = b.view();
    position::settle_funding(&mut m.seats[seat], &mut m.header.state).unwrap();
    if m.seats[seat].num_orders > 0 {
        trade::cancel(&mut m, seat, CancelWhich::All).unwrap();
    }
}

/// `execute` with no cover, at `NOW`.
fn execute(m: &mut MarketMut) -> Result<RoundEnd> {
    adl_round::execute(m, 0, NOW, SLOT, &mut |_| {})
}

/// The one-transaction ADL of `seat` with no cover, at `NOW`.
fn one_tx(m: &mut MarketMut, seat: usize) -> Result<deleverage::AdlOutcome> {
    adl::auto_deleverage(m, seat, 0, NOW, &mut |_| {})
}

/// A whole round on `b`: `begin` naming `target`, `scan`s of `chunk(n)`
/// seats until done, `execute`. Asserts on the way that every scan
/// continues where the last ended (so each seat is ranked exactly once),
/// that a scan writes nothing but the round, and that `execute` is refused
/// until the last scan. `after(step, b)` runs after begin and each scan.
fn run_round(
    b: &mut MarketBuf,
    target: usize,
    cover: u64,
    now: i64,
    chunk: &mut dyn FnMut(u32) -> u32,
    after: &mut dyn FnMut(&str, &MarketBuf),
) -> Result<(RoundEnd, Vec<AdlFill>, Vec<Range<usize>>)> {
    run_round_at(b, SLOT, target, cover, now, chunk, after)
}

/// [`run_round`] begun at `slot`.
fn run_round_at(
    b: &mut MarketBuf,
    slot: u64,
    target: usize,
    cover: u64,
    now: i64,
    chunk: &mut dyn FnMut(u32) -> u32,
    after: &mut dyn FnMut(&str, &MarketBuf),
) -> Result<(RoundEnd, Vec<AdlFill>, Vec<Range<usize>>)> {
    adl_round::begin(&mut b.view(), target, cover, now, slot)?;
    let n = b.view_ref().seats.len();
    after("begin", b);
    let mut ranges: Vec<Range<usize>> = Vec::new();
    while round(b).cursor as usize != n {
        let (from, k) = (round(b).cursor as usize, chunk(n as u32));
        let frozen = without_round(b);
        let r = adl_round::scan(&mut b.view_in_round(), k)?;
        assert_eq!(r, from..n.min(from + k as usize), "scan of {k} from {from}");
        assert_eq!(round(b).cursor as usize, r.end);
        assert!(without_round(b) == frozen, "a scan wrote outside the round");
        if r.end < n && ranges.is_empty() {
            let exec = |m: &mut MarketMut| adl_round::execute(m, cover, now, SLOT, &mut |_| {});
            refused(b, ErrorCode::AdlRoundScanIncomplete, exec);
        }
        ranges.push(r);
        after("scan", b);
    }
    let mut fills = Vec::new();
    let end = adl_round::execute(&mut b.view_in_round(), cover, now, SLOT, &mut |f| {
        fills.push(*f)
    })?;
    Ok((end, fills, ranges))
}

/// A scan size in 1..=n: often a handful of seats, often most of the table.
fn chunk(rng: &mut Rng, n: u32) -> u32 {
    match rng.below(3) {
        0 => 1 + rng.below(4) as u32,
        _ => 1 + rng.below(n as u64) as u32,
    }
}

/// A random market after a gap: its account, vault balance, the time, and
/// the seats with a position and negative equity (at least one).
type Drawn = (MarketBuf, u64, i64, Vec<usize>);

/// 20–300 seats, each with 50–5,300 USD, trading random sizes (up to ~15×
/// leverage) near 100, some orders left resting; then funding accrues
/// (nobody settled) and the price gaps until some seat is bankrupt.
fn random_market(rng: &mut Rng) -> Option<Drawn> {
    let n = 20 + rng.below(281) as usize;
    let mut b = market(n as u32, rng.below(2) == 0);
    let mut vault = 0;
    let mut cash = vec![0u64; n];
    for (i, c) in cash.iter_mut().enumerate() {
        let thin = rng.below(4) == 0;
        *c = 50 + rng.below(if thin { 250 } else { 5_250 });
        open_seat(&mut b, i, usd(*c), &mut vault);
    }
    // A quarter of the markets hold a whale (seat 0): the taker of every
    // other trade, always buying (or always selling), so that its close
    // may need more lots than a batch of counterparties holds.
    let whale = match rng.below(8) {
        0 => Some(Side::Bid),
        1 => Some(Side::Ask),
        _ => None,
    };
    if whale.is_some() {
        open_seat(&mut b, 0, usd(20_000), &mut vault);
        cash[0] += 20_000;
    }
    for k in 0..n {
        let (maker, mut taker) = (rng.below(n as u64) as usize, rng.below(n as u64) as usize);
        let mut side = [Side::Bid, Side::Ask][rng.below(2) as usize];
        if let Some(w) = whale.filter(|_| k % 2 == 0) {
            (taker, side) = (0, w.opposite());
        }
        if maker == taker {
            continue;
        }
        let price = (98_000 + rng.below(4_000)) * 1_000;
        let lots = 1 + rng.below(cash[maker].min(cash[taker]) * 15);
        if place(&mut b, maker, order(side, Limit, price, lots)).is_err() {
            continue;
        }
        let take = order(side.opposite(), Ioc, price, 1 + rng.below(lots));
        let _ = place(&mut b, taker, take);
        if rng.below(4) != 0 {
            trade::cancel(&mut b.view(), maker, CancelWhich::All).unwrap();
        }
    }
    let now = NOW + 30;
    if rng.below(2) == 0 {
        // Up to ±1,000 quote atoms per lot, with odd digits for rounding.
        let st = &mut b.view().header.state;
        let f = rng.below(2_000_000_000_000) as i128 - 1_000_000_000_000;
        st.cum_funding_per_lot = PodI128::new(st.cum_funding_per_lot.get() + f);
    }
    check(&b, vault, "drawn market");
    // Against the whale, if any.
    let up = whale.map_or(rng.below(2) == 0, |w| w == Side::Ask);
    let mut pct = 3 + rng.below(10);
    while pct <= 45 {
        let off = rng.below(1_000_000);
        let moved = PX * pct / 100 + off;
        set_price(&mut b, if up { PX + moved } else { PX - moved }, now);
        let is_bankrupt = |&i: &usize| base(&b, i) != 0 && equity(&b, i) < 0;
        let bankrupt: Vec<usize> = (0..n).filter(is_bankrupt).collect();
        if !bankrupt.is_empty() {
            return Some((b, vault, now, bankrupt));
        }
        pct += 4;
    }
    None
}

#[derive(Debug, Default)]
struct Tally {
    cases: u32,
    closed: u32,
    switched: u32,
    socialized: u32,
    fund_paid: u32,
    partial: u32,
}

/// One random case of the main property (see the test).
fn one_case(seed: u64, t: &mut Tally) {
    let mut rng = Rng::new(seed);
    let Some((b, mut vault, now, bankrupt)) = random_market(&mut rng) else {
        return;
    };
    t.cases += 1;
    let s0 = bankrupt[rng.below(bankrupt.len() as u64) as usize];
    let long = base(&b, s0) > 0;
    let mark = margin::risk_price(&b.view_ref().header.state);
    let first = deleverage::first_bankrupt(&copy(&b).view(), s0, mark).unwrap();
    let same_side = |&i: &usize| (base(&b, i) > 0) == long;
    let side: Vec<usize> = bankrupt.into_iter().filter(same_side).collect();
    let other = side[rng.below(side.len() as u64) as usize];
    let mut named = [first, other][rng.below(2) as usize];
    let cover = [0, 0, rng.below(usd(300))][rng.below(3) as usize];
    // A seat the fund could still cover cannot open a round: name the first.
    if named != first && adl_round::begin(&mut copy(&b).view(), named, cover, now, SLOT).is_err() {
        named = first;
    }
    // Copy A: the one-transaction path, for the side's most bankrupt seat.
    let mut a = copy(&b);
    as_begin_leaves(&mut a, named);
    let after_begin = a.bytes().to_vec();
    let mut fa = Vec::new();
    let ra = adl::auto_deleverage(&mut a.view(), first, cover, now, &mut |f| fa.push(*f));
    // Copy B: the round, naming `named`, scanned in random pieces.
    let mut bb = copy(&b);
    let (v, what) = (vault, format!("seed {seed}"));
    let mut after = |step: &str, x: &MarketBuf| {
        check(x, v, &format!("{what} after {step}"));
        if step == "begin" {
            assert!(without_round(x) == after_begin, "{what}: begin wrote more");
            let r = round(x);
            let got = (r.active, r.cursor, r.mark, r.target as usize);
            assert_eq!(got, (1, 0, mark, named), "{what}");
        }
    };
    let mut chunks = |n| chunk(&mut rng, n);
    let rb = run_round(&mut bb, named, cover, now, &mut chunks, &mut after);
    let (oa, (end, fb, ranges)) = match (ra, rb) {
        (Ok(oa), Ok(rb)) => (oa, rb),
        (Err(ea), Err(eb)) => {
            assert_eq!(ea, eb, "{what}: both paths refuse, alike");
            return;
        }
        (ra, rb) => panic!("{what}: one tx {ra:?}, round {:?}", rb.map(|r| r.0)),
    };
    let n = bb.view_ref().seats.len();
    assert_eq!((ranges[0].start, ranges.last().unwrap().end), (0, n));
    assert_eq!(end.target, first, "{what}");
    assert_eq!(end.switched, named != first, "{what}");
    assert_eq!(end.outcome, Some(oa), "{what}");
    assert!(end.not_due.is_none(), "{what}");
    assert_eq!(fa, fb, "{what}: the fills differ");
    let same = without_round(&a) == without_round(&bb);
    assert!(same, "{what}: the accounts differ");
    let r = round(&bb);
    assert_eq!((r.active, r.rounds, r.cursor as usize), (0, 1, n));
    vault += oa.fund_paid;
    check(&bb, vault, &format!("{what} after execute"));
    let open = MarketMut::from_bytes(bb.bytes_mut()).is_ok();
    assert!(open, "{what}: still frozen");
    t.closed += 1;
    t.switched += end.switched as u32;
    t.socialized += oa.socialized as u32;
    t.fund_paid += (oa.fund_paid > 0) as u32;
    t.partial += (base(&bb, first) != 0) as u32;
}

/// The main property: on random markets (20–300 seats, both waterfall
/// modes, funding unsettled, cover 0 or too small), a round naming the
/// side's most bankrupt seat or another bankrupt seat of that side, scanned
/// in random pieces, ends exactly as `auto_deleverage` of the most
/// bankrupt seat: the same outcome, the same fills (seat, lots, share,
/// rank), and the same account bytes but for the round's header field;
/// `switched` says whether the named seat was passed over. Every market
/// invariant holds after begin, each scan and execute, and no scan writes
/// anything but the round.
#[test]
fn round_matches_the_one_transaction_adl() {
    let mut t = Tally::default();
    for s in 0..2_000u64 {
        one_case(s * 2_654_435_761 + 11, &mut t);
    }
    println!("{t:?}");
    assert!(t.cases >= 1_900 && t.closed >= t.cases * 9 / 10, "{t:?}");
    assert!(t.switched >= 300 && t.socialized >= 300, "{t:?}");
    assert!(t.fund_paid >= 200 && t.partial >= 3, "{t:?}");
}

/// 16 seats at 100 USD: 0 = A long 15,000 lots (1,000 USD), 1 = B1 short
/// 10,000 (10,000 USD) with an ask of 1,000 lots resting at 105, 2 = B2
/// short 5,000 (1,000 USD), 3 = C flat (100,000 USD), 4 = K flat (1,000
/// USD). Then a gap to 90: A's equity is about −507 USD. With `bid`, C bids
/// 15,000 lots at 90, so that the fund could close A on the book.
fn gap_market(bid: bool) -> (MarketBuf, u64) {
    let mut b = market(16, false);
    let mut vault = 0;
    let deposits = [1_000, 10_000, 1_000, 100_000, 1_000];
    for (i, d) in deposits.into_iter().enumerate() {
        open_seat(&mut b, i, usd(d), &mut vault);
    }
    place(&mut b, 1, order(Side::Ask, Limit, PX, 10_000)).unwrap();
    place(&mut b, 2, order(Side::Ask, Limit, PX, 5_000)).unwrap();
    place(&mut b, 0, order(Side::Bid, Ioc, PX, 15_000)).unwrap();
    place(&mut b, 1, order(Side::Ask, Limit, 105_000_000, 1_000)).unwrap();
    set_price(&mut b, 90_000_000, NOW);
    if bid {
        place(&mut b, 3, order(Side::Bid, Limit, 90_000_000, 15_000)).unwrap();
    }
    assert!(equity(&b, 0) < 0 && base(&b, 0) == 15_000);
    check(&b, vault, "gap market");
    (b, vault)
}

/// Scans of `k` seats at a time.
fn every(k: u32) -> impl FnMut(u32) -> u32 {
    move |_| k
}

/// While a round is open the market is frozen: `MarketMut::from_bytes`
/// (every writing instruction but cancels and the round's own) fails with
/// `AdlRoundActive`, so orders, withdrawals, deposits and a one-transaction
/// ADL are refused, and nothing changes; the round's view still opens.
/// A cancel mid-round works and changes nothing of the round's result: the
/// same outcome and counterparties, and the same account as a cancel made
/// after a round without it.
#[test]
fn an_open_round_freezes_the_market_but_cancels() {
    let (mut b, vault) = gap_market(false);
    adl_round::begin(&mut b.view(), 0, 0, NOW, SLOT).unwrap();
    let p = order(Side::Bid, Limit, 90_000_000, 10);
    blocked(&mut b, |_| Ok(()));
    blocked(&mut b, |m| {
        trade::place_order(m, 3, &p, NOW, PPM, &mut |_| {})
    });
    blocked(&mut b, |m| collateral::withdraw(m, 3, 1, PX));
    blocked(&mut b, |m| collateral::deposit(m, 3, 1));
    blocked(&mut b, |m| one_tx(m, 0));
    assert!(MarketMut::from_bytes_in_round(b.bytes_mut()).is_ok());
    check(&b, vault, "frozen");
    // Two rounds from here, one with B1's ask cancelled after the first scan.
    let mut plain = copy(&b);
    let mut fills = Vec::new();
    let scan = |m: &mut MarketBuf, k: u32| adl_round::scan(&mut m.view_in_round(), k).unwrap();
    for (m, cancel) in [(&mut b, true), (&mut plain, false)] {
        scan(m, 2);
        if cancel {
            let cancelled = trade::cancel(&mut m.view_in_round(), 1, CancelWhich::All);
            assert_eq!(cancelled.unwrap(), 1);
            assert_eq!(m.view_ref().seats[1].num_orders, 0);
        }
        scan(m, 16);
        let mut f = Vec::new();
        let end =
            adl_round::execute(&mut m.view_in_round(), 0, NOW, SLOT, &mut |x| f.push(*x)).unwrap();
        fills.push((end.outcome.unwrap(), f));
    }
    assert_eq!(fills[0], fills[1]);
    let seats: Vec<(u32, u64)> = fills[0].1.iter().map(|f| (f.seat, f.lots)).collect();
    assert_eq!(seats, vec![(2, 5_000), (1, 10_000)]);
    trade::cancel(&mut plain.view(), 1, CancelWhich::All).unwrap();
    assert!(without_round(&plain) == without_round(&b));
    check(&b, vault, "closed");
}

/// Each misuse of a round is refused with its own error, before it writes
/// anything; the round then goes on as if the call had not been made. An
/// unexecuted round can be aborted from `started_slot + ADL_ROUND_MAX_SLOTS`
/// on (not a slot earlier), which unfreezes the market, changes nothing
/// else, and lets a new round begin and close the seat.
#[test]
fn misuse_is_refused_with_its_error() {
    let (mut b, vault) = gap_market(false);
    let clean = b.bytes().to_vec();
    let not_active = ErrorCode::AdlRoundNotActive;
    refused(&mut b, not_active, |m| adl_round::scan(m, 4));
    refused(&mut b, not_active, execute);
    refused(&mut b, not_active, |m| adl_round::abort(m, SLOT + 1_000));
    // B1 is a profitable short, K is flat.
    let begin = |seat| move |m: &mut MarketMut| adl_round::begin(m, seat, 0, NOW, SLOT);
    refused(&mut b, ErrorCode::NotBankrupt, begin(1));
    refused(&mut b, ErrorCode::NothingToLiquidate, begin(4));
    // The book could take A within the cover limit, and the fund pay.
    let (mut liquid, _) = gap_market(true);
    refused(&mut liquid, ErrorCode::InsuranceMustCoverFirst, |m| {
        adl_round::begin(m, 0, usd(1_000_000), NOW, SLOT)
    });
    adl_round::begin(&mut b.view(), 0, 0, NOW, SLOT).unwrap();
    let active = ErrorCode::AdlRoundActive;
    refused(&mut b, active, begin(0));
    refused(&mut b, active, begin(2));
    refused(&mut b, ErrorCode::ZeroAmount, |m| adl_round::scan(m, 0));
    let incomplete = ErrorCode::AdlRoundScanIncomplete;
    refused(&mut b, incomplete, execute);
    assert_eq!(adl_round::scan(&mut b.view_in_round(), 15).unwrap(), 0..15);
    refused(&mut b, incomplete, execute);
    assert_eq!(adl_round::scan(&mut b.view_in_round(), 15).unwrap(), 15..16);
    let done = ErrorCode::AdlRoundScanDone;
    refused(&mut b, done, |m| adl_round::scan(m, 1));
    // Nobody executes it: the round expires.
    assert_eq!((round(&b).started_slot, ADL_ROUND_MAX_SLOTS), (SLOT, 150));
    let expiry = SLOT + ADL_ROUND_MAX_SLOTS;
    let not_expired = ErrorCode::AdlRoundNotExpired;
    refused(&mut b, not_expired, |m| adl_round::abort(m, expiry - 1));
    adl_round::abort(&mut b.view_in_round(), expiry).unwrap();
    assert!(MarketMut::from_bytes(b.bytes_mut()).is_ok());
    assert!(without_round(&b) == without_round(&MarketBuf::from_account_data(&clean)));
    refused(&mut b, not_active, |m| adl_round::abort(m, expiry));
    refused(&mut b, not_active, |m| adl_round::scan(m, 1));
    check(&b, vault, "aborted");
    // A new round closes A, once the cooldown after the abort passed; then
    // nothing of it is left to call.
    let next = expiry + ADL_ROUND_COOLDOWN_SLOTS;
    let cooling = ErrorCode::AdlRoundCoolingDown;
    refused(&mut b, cooling, |m| {
        adl_round::begin(m, 0, 0, NOW, next - 1)
    });
    let (end, _, _) = run_round_at(&mut b, next, 0, 0, NOW, &mut every(5), &mut |_, _| {}).unwrap();
    assert_eq!(round(&b).rounds, 2);
    assert_eq!((end.target, end.outcome.map(|o| o.lots)), (0, Some(15_000)));
    assert_eq!(base(&b, 0), 0);
    refused(&mut b, not_active, execute);
    refused(&mut b, not_active, |m| adl_round::abort(m, expiry + 1_000));
    check(&b, vault, "closed");
}

/// ADL due at begin (cover 0) but not at execute (the fund can pay and the
/// book take A): the round ends with no close, `not_due` saying why, the
/// market unfrozen and every byte but the round's as before begin.
#[test]
fn a_round_no_longer_due_ends_without_a_close() {
    let (mut b, vault) = gap_market(true);
    let before = without_round(&b);
    let cover = usd(1_000_000);
    adl_round::begin(&mut b.view(), 0, 0, NOW, SLOT).unwrap();
    adl_round::scan(&mut b.view_in_round(), 16).unwrap();
    let mut fills = 0;
    let end = adl_round::execute(&mut b.view_in_round(), cover, NOW, SLOT, &mut |_| {
        fills += 1
    })
    .unwrap();
    assert!(end.outcome.is_none() && !end.switched && fills == 0);
    let why = end.not_due.map(|e| e as u32);
    assert_eq!(why, Some(ErrorCode::InsuranceMustCoverFirst as u32));
    assert_eq!((end.target, round(&b).active), (0, 0));
    assert!(without_round(&b) == before, "a round with no close wrote");
    assert!(MarketMut::from_bytes(b.bytes_mut()).is_ok());
    check(&b, vault, "not due");
    // The fund now covers A on the book, as before any round.
    let paid = super::cover::cover_bankruptcy(&mut b.view(), 0, cover, NOW).unwrap();
    assert!(paid > 0 && base(&b, 0) == 0);
}

/// `n` seats, most free: A (seat 2,000) long 15,000 lots against S1 (seat
/// 0) short 10,000 and S2 (the last seat) short 5,000, a flat seat, then
/// a gap to 90. Returns the account, A and S2.
fn big_market(n: usize) -> (MarketBuf, u64, usize, usize) {
    let mut b = MarketBuf::new(cfg(false), n as u32, 8);
    set_price(&mut b, PX, NOW);
    let (a, s1, s2) = (2_000, 0, n - 1);
    let mut vault = 0;
    let deposits = [(a, 1_000), (s1, 10_000), (s2, 1_000), (1, 500)];
    for (i, d) in deposits {
        open_seat(&mut b, i, usd(d), &mut vault);
    }
    place(&mut b, s1, order(Side::Ask, Limit, PX, 10_000)).unwrap();
    place(&mut b, s2, order(Side::Ask, Limit, PX, 5_000)).unwrap();
    place(&mut b, a, order(Side::Bid, Ioc, PX, 15_000)).unwrap();
    set_price(&mut b, 90_000_000, NOW);
    assert!(equity(&b, a) < 0);
    (b, vault, a, s2)
}

/// A table of `ADL_ONE_TX_SEATS` seats is deleveraged in one transaction;
/// one seat more is refused (`AdlRoundRequired`), and the round closes the
/// same position against the same counterparties with the same numbers,
/// its scans ranking every seat once, the last one (the best-ranked
/// counterparty) included.
#[test]
fn a_table_over_the_one_transaction_limit_needs_a_round() {
    let (mut small, _, a, last) = big_market(ADL_ONE_TX_SEATS);
    let mut want = Vec::new();
    let out = adl::auto_deleverage(&mut small.view(), a, 0, NOW, &mut |f| want.push(*f)).unwrap();
    let (mut b, vault, a, s2) = big_market(ADL_ONE_TX_SEATS + 1);
    refused(&mut b, ErrorCode::AdlRoundRequired, |m| one_tx(m, a));
    let mut after = |_: &str, x: &MarketBuf| check(x, vault, "big round");
    let (end, mut fills, ranges) =
        run_round(&mut b, a, 0, NOW, &mut every(1_000), &mut after).unwrap();
    let starts: Vec<usize> = ranges.iter().map(|r| r.start).collect();
    assert_eq!(starts, vec![0, 1_000, 2_000, 3_000, 4_000]);
    assert_eq!(ranges.last().unwrap().end, 4_097);
    let r = round(&b);
    assert_eq!((r.cursor, r.seat_count), (4_097, 4_097));
    assert_eq!((end.target, end.switched), (a, false));
    assert_eq!(end.outcome, Some(out));
    assert_eq!((out.lots, base(&b, a), base(&b, s2)), (15_000, 0, 0));
    // S2 (3× leverage) ranks first; the smaller table has it at `last`.
    assert_eq!(fills[0].seat as usize, s2);
    fills[0].seat = last as u32;
    assert_eq!(fills, want);
    check(&b, vault, "big round closed");
}

/// Ties on both sides, split across scans: two identical bankrupt longs
/// (seats 0 and 41, 20,000 lots each) against 40 identical shorts of
/// 1,000 lots. The one-transaction ADL refuses seat 41 (seat 0 comes
/// first); a round naming 41 switches to 0 and takes the shorts 1–16 (the
/// lower seats), a partial close, whatever the scan size, exactly as
/// `auto_deleverage` of seat 0.
#[test]
fn ties_go_to_the_lower_seat_whatever_the_split() {
    let mut b = market(42, false);
    let mut vault = 0;
    for i in 0..42 {
        let d = if i % 41 == 0 { 2_000 } else { 1_000 };
        open_seat(&mut b, i, usd(d), &mut vault);
    }
    for (whale, shorts) in [(0, 1..21), (41, 21..41)] {
        for i in shorts {
            place(&mut b, i, order(Side::Ask, Limit, PX, 1_000)).unwrap();
        }
        place(&mut b, whale, order(Side::Bid, Ioc, PX, 20_000)).unwrap();
    }
    set_price(&mut b, 85_000_000, NOW);
    assert!(equity(&b, 0) == equity(&b, 41) && equity(&b, 0) < 0);
    refused(&mut b, ErrorCode::AdlNotFirstBankrupt, |m| one_tx(m, 41));
    let mut a = copy(&b);
    as_begin_leaves(&mut a, 41);
    let mut want = Vec::new();
    let out = adl::auto_deleverage(&mut a.view(), 0, 0, NOW, &mut |f| want.push(*f)).unwrap();
    let seats: Vec<u32> = want.iter().map(|f| f.seat).collect();
    assert_eq!(seats, (1..17).collect::<Vec<u32>>());
    assert_eq!((out.lots, base(&a, 0)), (16_000, 4_000));
    for k in [1, 3, 7, 16, 17, 42] {
        let mut r = copy(&b);
        let mut after = |_: &str, x: &MarketBuf| check(x, vault, "ties");
        let (end, fills, _) = run_round(&mut r, 41, 0, NOW, &mut every(k), &mut after).unwrap();
        let got = (end.target, end.switched, end.outcome);
        assert_eq!(got, (0, true, Some(out)), "scans of {k}");
        assert_eq!(fills, want, "scans of {k}");
        assert!(without_round(&r) == without_round(&a), "scans of {k}");
    }
}

/// Attack: a round that ends with no close (ADL no longer due for the
/// side's most bankrupt seat, or aborted) must not be re-opened at once —
/// otherwise a wallet sending `adl_execute` and `adl_begin` in one
/// transaction keeps the market frozen for good, and the cover that would
/// make the next ADL legitimate can never land. Re-opening waits
/// `ADL_ROUND_COOLDOWN_SLOTS`, during which the cover goes through; a round
/// that closed a seat may be followed at once.
#[test]
fn a_round_without_a_close_cannot_be_reopened_at_once() {
    let (mut b, _) = gap_market(true);
    let cover = usd(1_000_000);
    adl_round::begin(&mut b.view(), 0, 0, NOW, SLOT).unwrap();
    adl_round::scan(&mut b.view_in_round(), 16).unwrap();
    let at = SLOT + 3;
    let end = adl_round::execute(&mut b.view_in_round(), cover, NOW, at, &mut |_| {}).unwrap();
    assert!(end.outcome.is_none());
    let cooling = ErrorCode::AdlRoundCoolingDown;
    let again = |slot| move |m: &mut MarketMut| adl_round::begin(m, 0, 0, NOW, slot);
    refused(&mut b, cooling, again(at));
    refused(&mut b, cooling, again(at + ADL_ROUND_COOLDOWN_SLOTS - 1));
    // Meanwhile the market is open: the fund covers A on the book.
    let paid = super::cover::cover_bankruptcy(&mut b.view(), 0, cover, NOW).unwrap();
    assert!(paid > 0 && base(&b, 0) == 0);

    // The same after an abort.
    let (mut b, _) = gap_market(false);
    adl_round::begin(&mut b.view(), 0, 0, NOW, SLOT).unwrap();
    let expiry = SLOT + ADL_ROUND_MAX_SLOTS;
    adl_round::abort(&mut b.view_in_round(), expiry).unwrap();
    refused(
        &mut b,
        cooling,
        again(expiry + ADL_ROUND_COOLDOWN_SLOTS - 1),
    );
    adl_round::begin(&mut b.view(), 0, 0, NOW, expiry + ADL_ROUND_COOLDOWN_SLOTS).unwrap();

    // A round that closed a seat does not hold the next one back.
    let (mut b, _) = gap_market(false);
    let (end, _, _) = run_round(&mut b, 0, 0, NOW, &mut every(16), &mut |_, _| {}).unwrap();
    assert!(end.outcome.is_some());
    assert_eq!(round(&b).next_begin_slot, 0);
}
