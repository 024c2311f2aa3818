//! Benchmarks at scale (issue 12 item 5): every hot-path instruction at
//! seat 0 and at the last seat of markets of 1,024 / 16,384 / 65,536 seats,
//! the ADL ranking round at those sizes, rent, and orders per second.
//!
//! Each market is bootstrapped empty (`max_seats` = its size), its first
//! seat is claimed by a deposit (measured: the claim of seat 0 of an empty
//! table), and then its account is rewritten with the full table in the
//! bytes — every seat occupied, with positions where ADL needs them, the
//! market's totals (`total_collateral`, `total_deposits`, open interest,
//! `total_entry_cost`, the funding and loss snapshot sums, `seats_used`)
//! recomputed from the seats and the vault holding exactly what the books
//! say (`collateral::required_vault_balance`) — minus its last seat, which
//! the last trader claims by a deposit (measured: the claim of the last
//! seat, which grows the account to the full size). Building the same
//! tables through instructions is `scale_waterfall.rs`'s job.
//!
//! Seats of a market of N seats:
//!
//! | seat | who |
//! | --- | --- |
//! | 0 | T0, the first trader (measured) |
//! | 1 | MM, a market maker (10M USD) |
//! | 2 | K, the keeper (1M USD), which liquidates and runs the ADL round |
//! | 3 | B, long 1 BTC at 65,000 with 1,500 USD: bankrupt after the gap |
//! | 4..9 | M1..M5, makers of the 5-fill taker orders (1M USD each) |
//! | 9..N−5 | pairs of small positions (1 to 4 lots, short then long, 20 USD each; one flat seat if the count is odd) |
//! | N−5..N−1 | S1..S4, shorts of 0.25 BTC at 65,000 with 750 USD each: B's counterparties, the top of the ranking, at the end of the table |
//! | N−1 | TN, the last trader (measured) |
//!
//! T0 and TN run the same instructions: deposit (claim), deposit (existing
//! seat), a resting bid and its cancel, a 1-fill and a 5-fill taker order,
//! a withdrawal with a position; then each buys up to 1 BTC and withdraws
//! to about 400 USD of equity at 62,000. The gap (index 62,000, the mark
//! follows) makes both liquidatable (measured: full liquidation by K) and B
//! bankrupt with an empty insurance fund: ADL. At 1,024 seats
//! `auto_deleverage` closes B in one transaction (measured), the market is
//! put back as it was before, and the ranking round runs on the same state;
//! above 4,096 seats `auto_deleverage` is refused (`AdlRoundRequired`) and
//! the round is the way: `adl_begin`, `adl_scan` of
//! `keeper_adl::SCAN_SEATS_PER_TX` seats until every seat is ranked,
//! `adl_execute`. The invariant checker runs after each phase.

use crate::bench::{
    exchange_toml, ioc, limit, market_toml, thousands, Bench, Report, Trader, LOTS_PER_BTC,
    START_PRICE, TX_CU_LIMIT,
};
use crate::report::INDEX_TOLERANCE;
use anchor_lang::prelude::Pubkey;
use bulwark::engine::book::Side;
use bulwark::engine::collateral::required_vault_balance;
use bulwark::engine::position::side_index;
use bulwark::engine::sandbox::MarketBuf;
use bulwark::error::ErrorCode;
use bulwark::state::{Market, Seat};
use bulwark_app::config::usd;
use bulwark_app::ix;
use bulwark_app::keeper_adl::SCAN_SEATS_PER_TX;
use solana_account::Account;
use solana_keypair::Keypair;
use std::fmt::Write as _;
use std::time::Instant;

/// The market sizes benchmarked.
pub const SIZES: [u32; 3] = [1_024, 16_384, 65_536];

/// Orders per side of the scaled markets (`migrations/localnet.toml`).
pub const BOOK: u32 = 256;

/// The instruction families measured at both ends of every size: (key,
/// label).
pub const ENDS: [(&str, &str); 8] = [
    (
        "scale_deposit_new",
        "deposit (claims a new seat: seat 0 of an empty table / the last seat)",
    ),
    ("scale_deposit", "deposit (existing seat)"),
    ("scale_resting", "place_order: limit, rests (no fill)"),
    ("scale_cancel", "cancel_order (by id)"),
    ("scale_taker_1", "place_order: taker, 1 fill"),
    ("scale_taker_5", "place_order: taker, 5 fills (5 makers)"),
    ("scale_withdraw_pos", "withdraw (open position)"),
    ("scale_liquidate", "liquidate: full (1 fill)"),
];

/// Solana's limit of compute units per writable account per block, and the
/// slot time: what one market account can take.
pub const ACCOUNT_CU_PER_BLOCK: u64 = 12_000_000;
pub const SLOT_MS: u64 = 400;

/// Compute units a CPI charges per byte of every account it passes
/// (agave's `cpi_bytes_per_unit`).
pub const CPI_BYTES_PER_UNIT: u64 = 250;

pub fn row_key(family: &str, seats: u32, end: &str) -> String {
    format!("{family}@{seats}:{end}")
}

/// The ADL of one size.
#[derive(Default, Clone)]
pub struct AdlRun {
    /// `auto_deleverage` in one transaction (tables of ≤ 4,096 seats).
    pub one_tx: Option<u64>,
    pub begin: u64,
    /// `adl_scan` transactions, their total and their largest.
    pub scans: u64,
    pub scan_cu: u64,
    pub scan_max: u64,
    pub execute: u64,
    pub counterparties: u32,
}

impl AdlRun {
    pub fn txs(&self) -> u64 {
        self.scans + 2
    }
    pub fn total(&self) -> u64 {
        self.begin + self.scan_cu + self.execute
    }
}

/// What one size measured besides its rows.
#[derive(Clone)]
pub struct ScaleRun {
    pub seats: u32,
    /// Account length after the first claim (1 seat) and after the last.
    pub len_first: usize,
    pub len_last: usize,
    pub adl: AdlRun,
}

/// A seat written into the bytes: owner, collateral (USD), base lots, at
/// the entry price `price_usd`.
fn seat(owner: Pubkey, collateral_usd: f64, base_lots: i64, price_usd: f64) -> Seat {
    let notional =
        (base_lots.unsigned_abs() as u128 * usd(price_usd) as u128 / LOTS_PER_BTC as u128) as i64;
    Seat {
        owner,
        collateral: usd(collateral_usd) as i64,
        base_lots,
        entry_cost: if base_lots >= 0 { notional } else { -notional },
        ..Default::default()
    }
}

/// A key for a seat nobody signs for (positions built in the bytes).
fn filler_owner(market: u32, i: u32) -> Pubkey {
    let mut b = [0u8; 32];
    b[..4].copy_from_slice(&market.to_le_bytes());
    b[4..8].copy_from_slice(&i.to_le_bytes());
    b[8..16].copy_from_slice(b"scale-fi");
    Pubkey::new_from_array(b)
}

/// The cast of one market.
struct Cast {
    t0: Trader,
    mm: Trader,
    k: Trader,
    makers: Vec<Trader>,
    b: Pubkey,
    /// S1..S4: their seats.
    shorts: Vec<u32>,
}

/// Rewrites market `m` (holding T0 in seat 0 and nothing else) with
/// `n − 1` seats as described in the module docs, and its vault with what
/// the books then require. The seats' collateral is new money: it is added
/// to the market's deposits, the vault and the mint's supply.
async fn fill_table(b: &mut Bench, m: &Pubkey, n: u32, cast: &Cast) {
    let old = b.chain.account(m).await.expect("market account");
    let old = MarketBuf::from_account_data(&old.data);
    let h0: Market = *old.view_ref().header;
    assert_eq!((h0.seat_count, h0.num_bids + h0.num_asks), (1, 0));
    let t0 = old.view_ref().seats[0];
    let count = n - 1;
    let mut buf = MarketBuf::new(h0.config, count, h0.book_capacity);
    let vault = ix::market_vault_pda(m);
    let vault_before = b.chain.token_balance(&vault).await;
    let vault_after;
    {
        let v = buf.view();
        *v.header = h0;
        v.header.seat_count = count;
        v.header.max_seats = n;
        let p = START_PRICE;
        v.seats[0] = t0;
        v.seats[1] = seat(cast.mm.key(), 10_000_000.0, 0, p);
        v.seats[2] = seat(cast.k.key(), 1_000_000.0, 0, p);
        v.seats[3] = seat(cast.b, 1_500.0, LOTS_PER_BTC as i64, p);
        for (j, mk) in cast.makers.iter().enumerate() {
            v.seats[4 + j] = seat(mk.key(), 1_000_000.0, 0, p);
        }
        let first_pair = 4 + cast.makers.len() as u32;
        let end_pairs = count - cast.shorts.len() as u32;
        let mut i = first_pair;
        if (end_pairs - i) % 2 == 1 {
            v.seats[i as usize] = seat(filler_owner(n, i), 20.0, 0, p);
            i += 1;
        }
        let mut pair = 0i64;
        while i < end_pairs {
            let lots = 1 + pair % 4;
            v.seats[i as usize] = seat(filler_owner(n, i), 20.0, -lots, p);
            v.seats[i as usize + 1] = seat(filler_owner(n, i + 1), 20.0, lots, p);
            i += 2;
            pair += 1;
        }
        let per_short = LOTS_PER_BTC as i64 / cast.shorts.len() as i64;
        for &s in &cast.shorts {
            v.seats[s as usize] = seat(filler_owner(n, s), 750.0, -per_short, p);
        }
        // The totals, from the seats.
        let st = &mut v.header.state;
        let (mut coll, mut entry, mut long, mut short) = (0i128, 0i128, 0i128, 0i128);
        let (mut base_snap, mut loss_snap) = (0i128, [0i128; 2]);
        for s in v.seats.iter_mut() {
            assert!(!s.is_free(), "every seat of the rewritten table is taken");
            s.funding_snapshot = st.cum_funding_per_lot;
            if let Some(side) = side_index(s.base_lots) {
                s.loss_snapshot = st.social_loss_per_lot[side];
                loss_snap[side] += s.base_lots.unsigned_abs() as i128 * s.loss_snapshot.get();
            }
            coll += s.collateral as i128;
            entry += s.entry_cost as i128;
            base_snap += s.base_lots as i128 * s.funding_snapshot.get();
            if s.base_lots > 0 {
                long += s.base_lots as i128;
            } else {
                short -= s.base_lots as i128;
            }
        }
        assert_eq!(long, short, "the rewritten table's positions balance");
        let added = coll - st.total_collateral as i128;
        st.total_collateral = coll as i64;
        st.total_deposits += added as u64;
        st.total_entry_cost = entry as i64;
        st.open_interest_lots = long as u64;
        st.sum_base_snapshot = bulwark::math::PodI128::new(base_snap);
        for (side, sum) in loss_snap.iter().enumerate() {
            st.sum_loss_snapshot[side] = bulwark::math::PodI128::new(*sum);
        }
        v.header.seats_used = count;
        vault_after = required_vault_balance(&v.as_ref()).expect("vault balance") as u64;
    }
    let data = buf.bytes().to_vec();
    assert_eq!(data.len(), Market::account_size(count, h0.book_capacity));
    let lamports = b.chain.rent_exempt(data.len()).await;
    b.chain.set_account(
        m,
        Account {
            lamports,
            data,
            owner: bulwark::ID,
            executable: false,
            rent_epoch: 0,
        },
    );
    let mut va = b.chain.account(&vault).await.expect("vault");
    va.data[64..72].copy_from_slice(&vault_after.to_le_bytes());
    b.chain.set_account(&vault, va);
    b.add_supply(vault_after as i128 - vault_before as i128)
        .await;
}

/// Rows at both ends, liquidation and ADL of one market of `n` seats.
async fn one_size(b: &mut Bench, report: &mut Report, n: u32) -> ScaleRun {
    let t0_clock = Instant::now();
    let name = format!("S-{n}");
    let m = b.market(&name);
    println!("scaled market: {n} seats, {BOOK} orders per side");
    b.fresh(&m).await;
    let cast = Cast {
        t0: b.trader(100_000.0),
        mm: b.trader(0.0),
        k: b.trader(0.0),
        makers: (0..5).map(|_| b.trader(0.0)).collect(),
        b: filler_owner(n, 3),
        shorts: (n - 5..n - 1).collect(),
    };
    let tn = b.trader(100_000.0);
    let ends: [(&Trader, u32, &str); 2] = [(&cast.t0, 0, "first"), (&tn, n - 1, "last")];
    let at = |seat: u32| format!("seat {} of {}", thousands(seat as u64), thousands(n as u64));
    let key = |family: &'static str, end: &str| (row_key(family, n, end), family);

    // The claim of seat 0 of the empty table, then the rest of the table
    // but its last seat in the bytes, then the claim of the last seat.
    let i = ix::deposit(&cast.t0.key(), &m, 0, &cast.t0.token, usd(50_000.0));
    let label = "deposit (claims a new seat), seat 0 of an empty table";
    b.measure_as(
        report,
        key("scale_deposit_new", "first"),
        label,
        i,
        &[&cast.t0.kp],
    )
    .await;
    let len_first = b.chain.account_data(&m).await.len();
    fill_table(b, &m, n, &cast).await;
    b.check_invariants().await;
    let i = ix::deposit(&tn.key(), &m, n - 1, &tn.token, usd(50_000.0));
    let label = format!("deposit (claims a new seat), {}", at(n - 1));
    b.measure_as(
        report,
        key("scale_deposit_new", "last"),
        &label,
        i,
        &[&tn.kp],
    )
    .await;
    let len_last = b.chain.account_data(&m).await.len();
    assert_eq!(len_last, Market::account_size(n, BOOK));
    assert_eq!(b.header(&m).await.seat_count, n);

    // The same sequence for T0 and for TN, each from the same state (the
    // accounts it changes are put back in between): the two runs differ
    // only by the seat's index (and the chain's clock).
    let mut keep = vec![
        m,
        ix::market_vault_pda(&m),
        ix::insurance_pda(),
        ix::insurance_ledger_pda(),
        cast.t0.token,
        tn.token,
    ];
    keep.extend(b.feeds(&m));
    let saved = snapshot(b, &keep).await;
    for (t, s, end) in ends {
        if end == "last" {
            restore(b, &saved);
            b.price.insert(m, START_PRICE);
            b.check_invariants().await;
        }
        ends_sequence(b, report, &m, &cast, (t, s, end), n).await;
        b.check_invariants().await;
    }

    // ADL of B (seat 3) with an empty fund.
    assert_eq!(b.insurance().await.balance, 0, "ADL needs an empty fund");
    let mut adl = AdlRun::default();
    let one = ix::auto_deleverage(&m, &cast.b, 3);
    if n as usize <= bulwark::engine::deleverage::ADL_ONE_TX_SEATS {
        let saved = snapshot(b, &[m, ix::insurance_pda(), ix::insurance_ledger_pda()]).await;
        let label = format!(
            "auto_deleverage (one transaction), {} seats",
            thousands(n as u64)
        );
        let ok = b
            .measure_as(
                report,
                (row_key("scale_adl_one_tx", n, "1"), one_tx_budget(n)),
                &label,
                one,
                &[],
            )
            .await;
        adl.one_tx = Some(ok.compute_units);
        assert_eq!(b.seat_at(&m, 3).await.base_lots, 0);
        b.check_invariants().await;
        // The same state again for the round.
        restore(b, &saved);
        b.check_invariants().await;
    } else {
        b.must_fail("auto_deleverage", &[one], &[], ErrorCode::AdlRoundRequired)
            .await;
    }
    let begin = ix::adl_begin(&cast.k.key(), &m, &cast.b, 3);
    let label = format!("adl_begin, {} seats", thousands(n as u64));
    let ok = b
        .measure_as(
            report,
            (row_key("scale_adl_begin", n, "1"), "scale_adl_begin"),
            &label,
            begin,
            &[&cast.k.kp],
        )
        .await;
    adl.begin = ok.compute_units;
    let mut cursor = 0;
    while cursor < n {
        let seats = SCAN_SEATS_PER_TX.min(n - cursor);
        let scan = ix::adl_scan(&cast.k.key(), &m, SCAN_SEATS_PER_TX);
        let label = format!(
            "adl_scan, seats {}..{} of {}",
            thousands(cursor as u64),
            thousands((cursor + seats) as u64),
            thousands(n as u64)
        );
        let budget = if seats > 1_024 {
            "scale_adl_scan_4096"
        } else {
            "scale_adl_scan_1024"
        };
        let k = (row_key("scale_adl_scan", n, &cursor.to_string()), budget);
        let ok = b.measure_as(report, k, &label, scan, &[&cast.k.kp]).await;
        adl.scans += 1;
        adl.scan_cu += ok.compute_units;
        adl.scan_max = adl.scan_max.max(ok.compute_units);
        cursor = b.header(&m).await.adl_round.cursor;
    }
    let execute = ix::adl_execute(&m);
    let label = format!("adl_execute, {} seats", thousands(n as u64));
    let ok = b
        .measure_as(
            report,
            (row_key("scale_adl_execute", n, "1"), "scale_adl_execute"),
            &label,
            execute,
            &[],
        )
        .await;
    adl.execute = ok.compute_units;
    let h = b.header(&m).await;
    assert_eq!(h.adl_round.active, 0, "the round ended");
    assert_eq!(b.seat_at(&m, 3).await.base_lots, 0, "B closed by the round");
    for &s in &cast.shorts {
        let st = b.seat_at(&m, s).await;
        assert_eq!(
            st.base_lots, 0,
            "the top-ranked shorts at the end of the table took B's lots"
        );
    }
    adl.counterparties = cast.shorts.len() as u32;
    b.check_invariants().await;
    println!(
        "scaled market {n}: {:.1} s",
        t0_clock.elapsed().as_secs_f64()
    );
    ScaleRun {
        seats: n,
        len_first,
        len_last,
        adl,
    }
}

/// One trader's sequence at seat `s` (`end`: "first" or "last"): deposit,
/// a resting bid and its cancel, 1-fill and 5-fill taker orders, a
/// withdrawal with the position; then up to 1 BTC long and down to about
/// 400 USD of equity at 62,000, the gap, and its full liquidation by K.
async fn ends_sequence(
    b: &mut Bench,
    report: &mut Report,
    m: &Pubkey,
    cast: &Cast,
    (t, s, end): (&Trader, u32, &str),
    n: u32,
) {
    let m = *m;
    let at = |seat: u32| format!("seat {} of {}", thousands(seat as u64), thousands(n as u64));
    let key = |family: &'static str| (row_key(family, n, end), family);
    let i = ix::deposit(&t.key(), &m, s, &t.token, usd(10_000.0));
    let label = format!("deposit (existing seat), {}", at(s));
    b.measure_as(report, key("scale_deposit"), &label, i, &[&t.kp])
        .await;
    b.fresh(&m).await;
    let id = b.header(&m).await.state.next_order_id;
    let i = ix::place_order(&t.key(), &m, s, limit(Side::Bid, 64_900.0, 10));
    let label = format!("place_order: limit, rests, {}", at(s));
    b.measure_as(report, key("scale_resting"), &label, i, &[&t.kp])
        .await;
    let i = ix::cancel_order(&t.key(), &m, s, id);
    let label = format!("cancel_order (by id), {}", at(s));
    b.measure_as(report, key("scale_cancel"), &label, i, &[&t.kp])
        .await;
    // 1 fill against MM's ask.
    b.fresh(&m).await;
    let ask = ix::place_order(&cast.mm.key(), &m, 1, limit(Side::Ask, 65_000.1, 10));
    b.must("maker ask", &[ask], &[&cast.mm.kp]).await;
    let i = ix::place_order(&t.key(), &m, s, ioc(Side::Bid, 65_000.1, 10));
    let label = format!("place_order: taker, 1 fill, {}", at(s));
    b.measure_as(report, key("scale_taker_1"), &label, i, &[&t.kp])
        .await;
    // 5 fills against M1..M5's asks.
    let asks: Vec<_> = cast
        .makers
        .iter()
        .enumerate()
        .map(|(j, mk)| {
            let p = limit(Side::Ask, 65_000.1 + 0.1 * j as f64, 10);
            ix::place_order(&mk.key(), &m, 4 + j as u32, p)
        })
        .collect();
    let signers: Vec<&Keypair> = cast.makers.iter().map(|t| &t.kp).collect();
    b.must("5 maker asks", &asks, &signers).await;
    let fills = b.header(&m).await.state.fill_count;
    let i = ix::place_order(&t.key(), &m, s, ioc(Side::Bid, 65_000.5, 50));
    let label = format!("place_order: taker, 5 fills, {}", at(s));
    b.measure_as(report, key("scale_taker_5"), &label, i, &[&t.kp])
        .await;
    assert_eq!(b.header(&m).await.state.fill_count - fills, 5);
    let i = ix::withdraw(&t.key(), &m, s, &t.token, usd(1_000.0));
    let label = format!("withdraw (open position), {}", at(s));
    b.measure_as(report, key("scale_withdraw_pos"), &label, i, &[&t.kp])
        .await;
    // Up to 1 BTC long, and down to 400 USD of equity at 62,000 (below
    // its maintenance margin of 620 there, not bankrupt).
    let held = b.seat_at(&m, s).await.base_lots as u64;
    let rest = LOTS_PER_BTC - held;
    let ask = ix::place_order(&cast.mm.key(), &m, 1, limit(Side::Ask, 65_000.1, rest));
    b.must("maker ask", &[ask], &[&cast.mm.kp]).await;
    let buy = ix::place_order(&t.key(), &m, s, ioc(Side::Bid, 65_000.1, rest));
    b.must("up to 1 BTC", &[buy], &[&t.kp]).await;
    let st = b.seat_at(&m, s).await;
    assert_eq!(st.base_lots, LOTS_PER_BTC as i64);
    let keep = st.entry_cost - usd(62_000.0) as i64 + usd(400.0) as i64;
    let out = ix::withdraw(&t.key(), &m, s, &t.token, (st.collateral - keep) as u64);
    b.must("withdraw to 400 USD at 62,000", &[out], &[&t.kp])
        .await;
    b.check_invariants().await;

    // The gap: MM quotes around 62,000 and the mark follows the index.
    let c = ix::cancel_all_orders(&cast.mm.key(), &m, 1);
    b.must("MM cancels", &[c], &[&cast.mm.kp]).await;
    b.set_index(&m, 62_000.0).await;
    let q = [
        ix::place_order(
            &cast.mm.key(),
            &m,
            1,
            limit(Side::Bid, 61_950.0, LOTS_PER_BTC),
        ),
        ix::place_order(
            &cast.mm.key(),
            &m,
            1,
            limit(Side::Ask, 62_050.0, LOTS_PER_BTC),
        ),
    ];
    b.must("quotes at 62,000", &q, &[&cast.mm.kp]).await;
    b.settle_mark(&m).await;
    let i = ix::liquidate(&cast.k.key(), &m, &t.key(), s, Some(2));
    let label = format!("liquidate: full (1 fill), {}", at(s));
    b.measure_as(report, key("scale_liquidate"), &label, i, &[&cast.k.kp])
        .await;
    assert_eq!(b.seat_at(&m, s).await.base_lots, 0, "{label}: flat");
}

/// Copies of the accounts `keys`.
async fn snapshot(b: &mut Bench, keys: &[Pubkey]) -> Vec<(Pubkey, Account)> {
    let mut out = Vec::new();
    for k in keys {
        out.push((*k, b.chain.account(k).await.expect("account to save")));
    }
    out
}

/// Writes the saved accounts back.
fn restore(b: &mut Bench, saved: &[(Pubkey, Account)]) {
    for (k, a) in saved {
        b.chain.set_account(k, a.clone());
    }
}

fn one_tx_budget(n: u32) -> &'static str {
    match n {
        1_024 => "scale_adl_one_tx_1024",
        _ => panic!("no one-transaction ADL budget for {n} seats"),
    }
}

/// Every size on one chain (an empty insurance fund: ADL, not cover), and
/// the rent table.
pub async fn scale_scenarios(report: &mut Report) -> (Vec<ScaleRun>, String) {
    let t0 = Instant::now();
    let markets: Vec<String> = SIZES
        .iter()
        .map(|n| market_toml(&format!("S-{n}"), *n, BOOK, &format!("bench-s-{n}"), "adl"))
        .collect();
    let mut b = Bench::start(&exchange_toml(&markets), TX_CU_LIMIT, 4_000_000).await;
    let rent = rent_table(&mut b).await;
    let mut runs = Vec::new();
    for n in SIZES {
        runs.push(one_size(&mut b, report, n).await);
    }
    println!(
        "scaled markets: {} transactions in {:.1} s",
        b.txs,
        t0.elapsed().as_secs_f64()
    );
    (runs, rent)
}

/// The largest |last − first| over every family and size, and the row it
/// came from.
pub fn worst_index_difference(report: &Report, runs: &[ScaleRun]) -> (u64, String) {
    let mut worst = (0, String::new());
    for r in runs {
        for (family, label) in ENDS {
            let a = report.cu(&row_key(family, r.seats, "first"));
            let z = report.cu(&row_key(family, r.seats, "last"));
            if a.abs_diff(z) >= worst.0 && (a.abs_diff(z) > 0 || worst.1.is_empty()) {
                worst = (
                    a.abs_diff(z),
                    format!("{label}, {} seats", thousands(r.seats as u64)),
                );
            }
        }
    }
    worst
}

/// The check of issue 12's "no instruction's CU grows with the seat's
/// index": every family within [`INDEX_TOLERANCE`] at every size.
pub fn index_checks(report: &Report, runs: &[ScaleRun]) -> Vec<String> {
    let mut failures = Vec::new();
    for r in runs {
        for (family, _) in ENDS {
            let a = report.cu(&row_key(family, r.seats, "first"));
            let z = report.cu(&row_key(family, r.seats, "last"));
            if a.abs_diff(z) > INDEX_TOLERANCE {
                let hint = if family == "scale_deposit_new" {
                    format!(
                        " (a CPI that passes the market account would add {} here: 1 CU per \
                         {CPI_BYTES_PER_UNIT} bytes of it)",
                        claim_cpi_charge(r)
                    )
                } else {
                    String::new()
                };
                failures.push(format!(
                    "{family} at {} seats: {a} CU at seat 0, {z} at the last seat: an \
                     instruction's CU depends on the seat's index{hint}",
                    r.seats
                ));
            }
        }
    }
    failures
}

/// What a CPI passing the market account would charge more at the last
/// seat's claim than at seat 0's: the accounts' lengths after the two
/// claims, at 1 CU per [`CPI_BYTES_PER_UNIT`] bytes (how the claim grew
/// while the seat's rent was paid to the market by a System transfer).
pub fn claim_cpi_charge(r: &ScaleRun) -> i64 {
    (r.len_last as u64 / CPI_BYTES_PER_UNIT) as i64
        - (r.len_first as u64 / CPI_BYTES_PER_UNIT) as i64
}

/// The tables of the scaled markets: the ends, ADL, rent, orders per second.
pub fn render(report: &Report, runs: &[ScaleRun]) -> String {
    let mut s = String::new();
    let _ = write!(s, "| instruction |");
    for r in runs {
        let n = thousands(r.seats as u64);
        let _ = write!(s, " {n}: seat 0 | {n}: last seat |");
    }
    let _ = writeln!(s, " budget |");
    let _ = write!(s, "| --- |");
    for _ in runs {
        let _ = write!(s, " ---: | ---: |");
    }
    let _ = writeln!(s, " ---: |");
    for (family, label) in ENDS {
        let _ = write!(s, "| {label} |");
        for r in runs {
            for end in ["first", "last"] {
                let cu = report.cu(&row_key(family, r.seats, end));
                let _ = write!(s, " {} |", thousands(cu));
            }
        }
        let b = crate::report::budget(family).map_or("none".into(), thousands);
        let _ = writeln!(s, " {b} |");
    }
    let _ = writeln!(s);
    let per_fill = |r: &ScaleRun, end: &str| {
        let one = report.cu(&row_key("scale_taker_1", r.seats, end));
        let five = report.cu(&row_key("scale_taker_5", r.seats, end));
        (five - one).div_ceil(4)
    };
    let _ = write!(s, "CU per extra fill (5 fills − 1 fill, / 4):");
    for r in runs {
        let _ = write!(
            s,
            " {} seats {} / {};",
            thousands(r.seats as u64),
            thousands(per_fill(r, "first")),
            thousands(per_fill(r, "last"))
        );
    }
    s.pop();
    let _ = writeln!(s, ".");
    let _ = writeln!(s);

    // ADL.
    let _ = writeln!(
        s,
        "| ADL of one bankrupt 1 BTC long (4 counterparties at the end of the table) | seats | transactions | total CU | CU per seat scanned | largest transaction |"
    );
    let _ = writeln!(s, "| --- | ---: | ---: | ---: | ---: | ---: |");
    for r in runs {
        let n = thousands(r.seats as u64);
        if let Some(one) = r.adl.one_tx {
            let _ = writeln!(
                s,
                "| auto_deleverage, one transaction | {n} | 1 | {} | {} | {} |",
                thousands(one),
                thousands(one.div_ceil(r.seats as u64)),
                thousands(one)
            );
        }
        let a = &r.adl;
        let _ = writeln!(
            s,
            "| ranking round: adl_begin {}, {} × adl_scan ({} seats each, largest {}), adl_execute {} | {n} | {} | {} | {} | {} |",
            thousands(a.begin),
            a.scans,
            thousands(SCAN_SEATS_PER_TX.min(r.seats) as u64),
            thousands(a.scan_max),
            thousands(a.execute),
            a.txs(),
            thousands(a.total()),
            thousands(a.scan_cu.div_ceil(r.seats as u64)),
            thousands(a.begin.max(a.scan_max).max(a.execute)),
        );
    }
    let _ = writeln!(s);
    s
}

/// Rent of a new market and of a seat, from the chain's rent (mainnet's).
async fn rent_table(b: &mut Bench) -> String {
    let sol = |l: u64| format!("{:.6}", l as f64 / 1e9);
    let mut s = String::new();
    let _ = writeln!(s, "| account | bytes | rent (lamports) | SOL |");
    let _ = writeln!(s, "| --- | ---: | ---: | ---: |");
    let _ = writeln!(
        s,
        "| (market header: config, live state, waterfall state, ADL round; the book follows at byte {}) | {} | | |",
        thousands(bulwark::state::BOOK_OFFSET as u64),
        thousands(core::mem::size_of::<Market>() as u64)
    );
    // What `create_market` also creates: the vault (an SPL token account)
    // and the one-byte seat-rent escrow PDA.
    let vault = b.chain.rent_exempt(165).await;
    let escrow = b.chain.rent_exempt(1).await;
    for book in [64u32, 256] {
        let len = Market::account_size(0, book);
        let l = b.chain.rent_exempt(len).await;
        let _ = writeln!(
            s,
            "| new market account, {book} orders per side, no seats | {} | {} | {} |",
            thousands(len as u64),
            thousands(l),
            sol(l)
        );
        let all = l + vault + escrow;
        let _ = writeln!(
            s,
            "| **a new market in all** ({book} orders per side: the market account, its vault \
             (165), its seat-rent escrow (1)) | {} | {} | {} |",
            thousands(len as u64 + 166),
            thousands(all),
            sol(all)
        );
    }
    let len = Market::account_size(0, BOOK);
    let seat = b.chain.rent_exempt(len + 128).await - b.chain.rent_exempt(len).await;
    let _ = writeln!(
        s,
        "| one seat (paid by its claimer, refunded on release or eviction) | 128 | {} | {} |",
        thousands(seat),
        sol(seat)
    );
    for n in SIZES {
        let len = Market::account_size(n, BOOK);
        let l = b.chain.rent_exempt(len).await;
        let _ = writeln!(
            s,
            "| market with {} seats, {BOOK} orders per side | {} | {} | {} |",
            thousands(n as u64),
            thousands(len as u64),
            thousands(l),
            sol(l)
        );
    }
    s
}

/// Orders per second one market account takes at the per-account limit.
pub fn throughput(report: &Report, runs: &[ScaleRun]) -> String {
    let big = runs.last().expect("a run");
    let mut s = String::new();
    let _ = writeln!(
        s,
        "| order (last seat of {} seats) | CU | per block (12M CU per writable account) | per second (400 ms slots) |",
        thousands(big.seats as u64)
    );
    let _ = writeln!(s, "| --- | ---: | ---: | ---: |");
    for (family, what) in [
        ("scale_resting", "limit order that rests"),
        ("scale_taker_1", "taker order, 1 fill"),
        ("scale_taker_5", "taker order, 5 fills"),
        ("scale_cancel", "cancel"),
    ] {
        let cu = report.cu(&row_key(family, big.seats, "last"));
        let per_block = ACCOUNT_CU_PER_BLOCK / cu;
        let _ = writeln!(
            s,
            "| {what} | {} | {} | {} |",
            thousands(cu),
            thousands(per_block),
            thousands(per_block * 1_000 / SLOT_MS)
        );
    }
    s
}
