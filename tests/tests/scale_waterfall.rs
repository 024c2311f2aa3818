//! The risk waterfall in a market of 65,536 seats built through ordinary
//! instructions (issue 12 item 6): deposits claim every seat of the table,
//! 21 to a transaction (the most that fit the runtime's 64-entry
//! instruction trace: a claim is the deposit, its token transfer and the
//! System transfer of the seat's rent), one wallet holding many seats;
//! orders give almost every seat a position; then a gap from 65,000 to
//! 62,000 runs through a liquidation, an insurance cover and an ADL ranking
//! round (begin, 16 scans, execute: the table is far above
//! `ADL_ONE_TX_SEATS`). The harness's invariant checker
//! (`bulwark_app::invariants::check_all`, as `TestEnv::check_invariants`
//! runs it) runs after every transaction, build and waterfall alike (about
//! 12 ms each on the 8.4 MB account).
//!
//! Seats:
//!
//! | seat | who |
//! | --- | --- |
//! | 0 | LM, liquidity maker (10M USD), sells 2 BTC to L and C, quotes after the gap |
//! | 1 | K, keeper (1M USD): liquidates, runs the ADL round |
//! | 2 | L, long 1 BTC at 65,000 with 3,400 USD: liquidated at 62,000 |
//! | 3 | C, long 1 BTC with 2,000 USD: bankrupt at 62,000, covered by the fund |
//! | 4 | B, long 1 BTC with 1,500 USD: bankrupt, the fund left cannot pay: ADL |
//! | 5 .. 65,532 | 256 wallets of 256 seats (the last one fewer), 20 USD per seat; seat 5 flat, then pairs short / long of 1 to 4 lots at 65,000 |
//! | 65,532 .. 65,536 | S1..S4, 750 USD each, sold B 0.25 BTC each: the top of the ranking, at the end of the table |
//!
//! A staker puts 2,500 USD into the insurance fund; the cover of C takes
//! about 1,083 of it, which leaves too little to cover B
//! (`CoverTooSmall`), so ADL is due; `auto_deleverage` is refused
//! (`AdlRoundRequired`) and the keeper's round
//! (`keeper_adl::round_transactions`, predicted first with
//! `keeper_adl::predict`) closes B against S1..S4, the fund paying first.
//!
//! `#[ignore]`d in the default suite; `scripts/bench-cu` runs it on the SBF
//! build (faster here than the native build, and its compute units are
//! real):
//!
//! ```sh
//! SBF_OUT_DIR=<dir of bulwark.so> cargo test -p bulwark-tests --test scale_waterfall \
//!     -- --ignored --nocapture
//! ```
//!
//! It prints its timings and the ADL round's transactions and compute units;
//! with `BULWARK_SCALE_TABLE=<file>` it also writes them as a markdown
//! table there.

#[path = "cu_bench/bench.rs"]
#[allow(dead_code)]
mod bench;

use anchor_lang::prelude::Pubkey;
use bench::{exchange_toml, ioc, limit, market_toml, thousands, Bench, Trader, TX_CU_LIMIT};
use bulwark::engine::book::Side;
use bulwark::error::ErrorCode;
use bulwark_app::config::usd;
use bulwark_app::keeper_adl;
use bulwark_app::{invariants, ix};
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

const SEATS: u32 = 65_536;
const BOOK: u32 = 256;
const NAME: &str = "SCALE-PERP";
/// Seats per bulk wallet.
const SEATS_PER_WALLET: u32 = 256;
/// Deposits per transaction: 3 trace entries each (the deposit, its token
/// transfer, the System transfer of a new seat's rent) within the
/// runtime's 64.
const DEPOSITS_PER_TX: usize = 21;
/// Pairs (a resting ask and the bid that takes it) per transaction: 14
/// orders of one wallet, about 1,100 of a transaction's 1,232 bytes.
const PAIRS_PER_TX: usize = 7;
/// The index is refreshed after every this many build transactions
/// (`max_staleness_secs` is 60).
const REFRESH_EVERY: u64 = 256;
const SEAT_USD: f64 = 20.0;
const LOTS_PER_BTC: u64 = 10_000;

/// Time spent, by phase.
#[derive(Default)]
struct Clock {
    phases: Vec<(String, Duration, u64)>,
    checks: Duration,
    check_count: u64,
}

struct Run {
    b: Bench,
    m: Pubkey,
    clock: Clock,
    /// Build transactions since the last index refresh.
    since_refresh: u64,
}

impl Run {
    async fn check(&mut self) {
        let t = Instant::now();
        self.b.sync_supply().await;
        let v = invariants::check_all(&mut self.b.chain, &[self.m]).await;
        assert!(v.is_empty(), "invariants violated: {v:#?}");
        self.clock.checks += t.elapsed();
        self.clock.check_count += 1;
    }

    /// A build transaction, then the invariants; the index refreshed every
    /// `REFRESH_EVERY`.
    async fn build_tx(&mut self, what: &str, ixs: &[Instruction], signers: &[&Keypair]) {
        self.b.must(what, ixs, signers).await;
        self.check().await;
        self.since_refresh += 1;
        if self.since_refresh >= REFRESH_EVERY {
            self.b.fresh(&self.m).await;
            self.since_refresh = 0;
        }
    }

    /// A waterfall transaction: the invariants after it.
    async fn step(&mut self, what: &str, ixs: &[Instruction], signers: &[&Keypair]) -> u64 {
        let ok = self.b.must(what, ixs, signers).await;
        self.check().await;
        ok.compute_units
    }

    async fn step_fails(
        &mut self,
        what: &str,
        ixs: &[Instruction],
        signers: &[&Keypair],
        code: ErrorCode,
    ) {
        self.b.must_fail(what, ixs, signers, code).await;
        self.check().await;
    }

    fn phase(&mut self, what: &str, since: Instant, txs_before: u64) {
        let txs = self.b.txs - txs_before;
        let d = since.elapsed();
        println!(
            "scale_waterfall: {what}: {txs} transactions in {:.1} s",
            d.as_secs_f64()
        );
        self.clock.phases.push((what.to_string(), d, txs));
    }
}

/// Who holds each seat, and what it deposits.
struct Table {
    /// wallet index per seat.
    owner: Vec<usize>,
    /// USD per seat.
    amount: Vec<f64>,
    wallets: Vec<Trader>,
}

const LM: u32 = 0;
const K: u32 = 1;
const L: u32 = 2;
const C: u32 = 3;
const B: u32 = 4;
const FIRST_BULK: u32 = 5;
const SHORTS: u32 = 4;
const FIRST_SHORT: u32 = SEATS - SHORTS;

fn table(b: &mut Bench) -> Table {
    let mut owner = Vec::with_capacity(SEATS as usize);
    let mut amount = Vec::with_capacity(SEATS as usize);
    let mut wallets = Vec::new();
    let mut single =
        |b: &mut Bench, usd_amount: f64, owner: &mut Vec<usize>, amount: &mut Vec<f64>| {
            wallets.push(b.trader(usd_amount));
            owner.push(wallets.len() - 1);
            amount.push(usd_amount);
        };
    for usd_amount in [10_000_000.0, 1_000_000.0, 3_400.0, 2_000.0, 1_500.0] {
        single(b, usd_amount, &mut owner, &mut amount);
    }
    let bulk = FIRST_SHORT - FIRST_BULK;
    let mut seat = 0;
    while seat < bulk {
        let n = SEATS_PER_WALLET.min(bulk - seat);
        wallets.push(b.trader(SEAT_USD * n as f64));
        for _ in 0..n {
            owner.push(wallets.len() - 1);
            amount.push(SEAT_USD);
        }
        seat += n;
    }
    for _ in 0..SHORTS {
        wallets.push(b.trader(750.0));
        owner.push(wallets.len() - 1);
        amount.push(750.0);
    }
    assert_eq!(owner.len(), SEATS as usize);
    Table {
        owner,
        amount,
        wallets,
    }
}

/// Every seat claimed by deposits, in index order, one wallet per
/// transaction.
async fn deposits(run: &mut Run, t: &Table) {
    let m = run.m;
    let mut seat = 0u32;
    while seat < SEATS {
        let w = t.owner[seat as usize];
        let mut ixs = Vec::new();
        while seat < SEATS && t.owner[seat as usize] == w && ixs.len() < DEPOSITS_PER_TX {
            let tr = &t.wallets[w];
            ixs.push(ix::deposit(
                &tr.key(),
                &m,
                seat,
                &tr.token,
                usd(t.amount[seat as usize]),
            ));
            seat += 1;
        }
        run.build_tx("deposits", &ixs, &[&t.wallets[w].kp]).await;
    }
    let h = run.b.header(&m).await;
    assert_eq!((h.seat_count, h.seats_used), (SEATS, SEATS));
    assert_eq!(
        run.b.chain.account_data(&m).await.len(),
        bulwark::state::Market::account_size(SEATS, BOOK)
    );
}

/// The positions: B from S1..S4, L and C from LM, then the pairs.
async fn trades(run: &mut Run, t: &Table) {
    let m = run.m;
    let w = |s: u32| &t.wallets[t.owner[s as usize]];
    let per_short = LOTS_PER_BTC / SHORTS as u64;
    let asks: Vec<Instruction> = (FIRST_SHORT..SEATS)
        .map(|s| ix::place_order(&w(s).key(), &m, s, limit(Side::Ask, 65_000.0, per_short)))
        .collect();
    let signers: Vec<&Keypair> = (FIRST_SHORT..SEATS).map(|s| &w(s).kp).collect();
    run.build_tx("S1..S4 asks", &asks, &signers).await;
    let buy = ix::place_order(&w(B).key(), &m, B, ioc(Side::Bid, 65_000.0, LOTS_PER_BTC));
    run.build_tx("B buys 1 BTC", &[buy], &[&w(B).kp]).await;
    let ask = ix::place_order(
        &w(LM).key(),
        &m,
        LM,
        limit(Side::Ask, 65_000.0, 2 * LOTS_PER_BTC),
    );
    run.build_tx("LM ask", &[ask], &[&w(LM).kp]).await;
    for s in [L, C] {
        let buy = ix::place_order(&w(s).key(), &m, s, ioc(Side::Bid, 65_000.0, LOTS_PER_BTC));
        run.build_tx("L/C buy 1 BTC", &[buy], &[&w(s).kp]).await;
    }
    // Seat FIRST_BULK stays flat when the bulk count is odd.
    let bulk = FIRST_SHORT - FIRST_BULK;
    let mut s = FIRST_BULK + bulk % 2;
    let mut pair = 0u64;
    while s < FIRST_SHORT {
        let mut ixs = Vec::new();
        let mut signers: Vec<&Keypair> = Vec::new();
        while s < FIRST_SHORT && ixs.len() < 2 * PAIRS_PER_TX {
            let lots = 1 + pair % 4;
            let (short, long) = (w(s), w(s + 1));
            ixs.push(ix::place_order(
                &short.key(),
                &m,
                s,
                limit(Side::Ask, 65_000.0, lots),
            ));
            ixs.push(ix::place_order(
                &long.key(),
                &m,
                s + 1,
                ioc(Side::Bid, 65_000.0, lots),
            ));
            for kp in [&short.kp, &long.kp] {
                if !signers.iter().any(|k| std::ptr::eq(*k, kp)) {
                    signers.push(kp);
                }
            }
            s += 2;
            pair += 1;
        }
        run.build_tx("pairs", &ixs, &signers).await;
    }
    let h = run.b.header(&m).await;
    assert_eq!(h.num_bids + h.num_asks, 0, "every ask was taken");
    println!(
        "scale_waterfall: {} pairs; open interest {} lots",
        thousands(pair),
        thousands(h.state.open_interest_lots)
    );
}

/// Quote atoms as USD with cents ("1,082.50").
fn usd_text(atoms: u64) -> String {
    let cents = (atoms + 5_000) / 10_000;
    format!("{}.{:02}", thousands(cents / 100), cents % 100)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "65,536 seats: run by scripts/bench-cu"]
async fn waterfall_at_65536_seats() {
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error");
    }
    let sbf =
        std::env::var_os("SBF_OUT_DIR").is_some() || std::env::var_os("BPF_OUT_DIR").is_some();
    let t_all = Instant::now();
    let toml = exchange_toml(&[market_toml(NAME, SEATS, BOOK, "scale-btc", "adl")]);
    let b = Bench::start(&toml, TX_CU_LIMIT, 6_000_000).await;
    let m = b.market(NAME);
    let mut run = Run {
        b,
        m,
        clock: Clock::default(),
        since_refresh: 0,
    };
    let t = table(&mut run.b);
    let staker = run.b.trader(2_500.0);
    run.b.fresh(&m).await;
    run.check().await;

    let (t0, x0) = (Instant::now(), run.b.txs);
    deposits(&mut run, &t).await;
    run.check().await;
    run.phase("65,536 seats claimed by deposits", t0, x0);

    let (t0, x0) = (Instant::now(), run.b.txs);
    run.b.fresh(&m).await;
    trades(&mut run, &t).await;
    run.check().await;
    run.phase("positions (orders)", t0, x0);

    // ---- the waterfall
    let (t0, x0) = (Instant::now(), run.b.txs);
    let w = |s: u32| &t.wallets[t.owner[s as usize]];
    let stake = ix::stake(&staker.key(), &staker.key(), &staker.token, usd(2_500.0), 0);
    run.step("stake 2,500 USD", &[stake], &[&staker.kp]).await;
    assert_eq!(run.b.insurance().await.balance, usd(2_500.0));
    // The gap: LM quotes around 62,000 and the mark follows the index.
    run.b.set_index(&m, 62_000.0).await;
    let q = [
        ix::place_order(
            &w(LM).key(),
            &m,
            LM,
            limit(Side::Bid, 61_950.0, 3 * LOTS_PER_BTC),
        ),
        ix::place_order(
            &w(LM).key(),
            &m,
            LM,
            limit(Side::Ask, 62_050.0, LOTS_PER_BTC),
        ),
    ];
    run.step("LM quotes at 62,000", &q, &[&w(LM).kp]).await;
    run.b.settle_mark(&m).await;
    run.check().await;
    let liq = ix::liquidate(&w(K).key(), &m, &w(L).key(), L, Some(K));
    let liq_cu = run.step("liquidate L", &[liq], &[&w(K).kp]).await;
    assert_eq!(run.b.seat_at(&m, L).await.base_lots, 0, "L liquidated");
    let before = run.b.insurance().await.balance;
    let cover = ix::cover_bankruptcy(&m, &w(C).key(), C);
    let cover_cu = run.step("cover C", &[cover], &[]).await;
    let c = run.b.seat_at(&m, C).await;
    assert_eq!(
        (c.base_lots, c.collateral),
        (0, 0),
        "C closed, its deficit paid"
    );
    let fund = run.b.insurance().await.balance;
    println!(
        "scale_waterfall: the fund paid {} USD for C; {} USD left",
        usd_text(before - fund),
        usd_text(fund)
    );
    // What is left cannot cover B; one-transaction ADL does not fit the table.
    let cover = ix::cover_bankruptcy(&m, &w(B).key(), B);
    run.step_fails("cover B", &[cover], &[], ErrorCode::CoverTooSmall)
        .await;
    let adl = ix::auto_deleverage(&m, &w(B).key(), B);
    run.step_fails(
        "auto_deleverage B",
        &[adl],
        &[],
        ErrorCode::AdlRoundRequired,
    )
    .await;

    // The ranking round, as the keeper runs it.
    let now = run.b.chain.clock().await.unix_timestamp;
    let data = run.b.chain.account_data(&m).await;
    let predicted = keeper_adl::predict(&data, Some(B as usize), fund, now).expect("prediction");
    let txs = keeper_adl::round_transactions(&w(K).key(), &m, Some((w(B).key(), B)), 0, SEATS);
    let mut round_cu = Vec::new();
    let t_round = Instant::now();
    for (i, tx) in txs.iter().enumerate() {
        let what = format!("ADL round transaction {i}");
        round_cu.push(run.step(&what, tx, &[&w(K).kp]).await);
    }
    let round_secs = t_round.elapsed().as_secs_f64();
    let h = run.b.header(&m).await;
    assert_eq!(h.adl_round.active, 0, "the round ended");
    assert_eq!(h.waterfall.adl_events, 1);
    assert_eq!(run.b.seat_at(&m, B).await.base_lots, 0, "B closed");
    for s in FIRST_SHORT..SEATS {
        assert_eq!(
            run.b.seat_at(&m, s).await.base_lots,
            0,
            "S{} took B's lots",
            s - FIRST_SHORT + 1
        );
    }
    let out = predicted.outcome.expect("the prediction closes B");
    assert_eq!(
        (predicted.target, out.lots, out.counterparties),
        (B as usize, LOTS_PER_BTC, SHORTS)
    );
    assert_eq!(run.b.insurance().await.balance, fund - out.fund_paid);
    run.check().await;
    run.phase("the waterfall (gap, liquidation, cover, ADL round)", t0, x0);
    let total = t_all.elapsed();

    // ---- report
    let mut s = String::new();
    let mode = if sbf {
        "SBF bytecode"
    } else {
        "native (compute units not real)"
    };
    let _ = writeln!(s, "| phase ({mode}) | transactions | wall time |");
    let _ = writeln!(s, "| --- | ---: | ---: |");
    for (what, d, txs) in &run.clock.phases {
        let _ = writeln!(
            s,
            "| {what} | {} | {:.1} s |",
            thousands(*txs),
            d.as_secs_f64()
        );
    }
    let _ = writeln!(
        s,
        "| of which the invariant checker ({} runs) | | {:.1} s |",
        thousands(run.clock.check_count),
        run.clock.checks.as_secs_f64()
    );
    let _ = writeln!(
        s,
        "| whole test | {} | {:.1} s |",
        thousands(run.b.txs),
        total.as_secs_f64()
    );
    let _ = writeln!(s);
    let scans = round_cu.len() - 2;
    let scan_total: u64 = round_cu[1..=scans].iter().sum();
    let total_cu: u64 = round_cu.iter().sum();
    let _ = writeln!(
        s,
        "| ADL round at {} seats | transactions | CU |",
        thousands(SEATS as u64)
    );
    let _ = writeln!(s, "| --- | ---: | ---: |");
    let _ = writeln!(s, "| adl_begin | 1 | {} |", thousands(round_cu[0]));
    let _ = writeln!(
        s,
        "| adl_scan ({} seats each; largest {}) | {scans} | {} |",
        thousands(keeper_adl::SCAN_SEATS_PER_TX as u64),
        thousands(*round_cu[1..=scans].iter().max().unwrap()),
        thousands(scan_total)
    );
    let _ = writeln!(
        s,
        "| adl_execute | 1 | {} |",
        thousands(round_cu[scans + 1])
    );
    let _ = writeln!(
        s,
        "| whole round ({:.2} s of wall time) | {} | {} ({} per seat scanned) |",
        round_secs,
        round_cu.len(),
        thousands(total_cu),
        thousands(scan_total.div_ceil(SEATS as u64))
    );
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "Liquidation of L {} CU, cover of C {} CU; the fund paid {} USD for C and {} USD \
         of B's close, S1..S4 the rest of B's deficit ({} USD). Each transaction of the round \
         includes its `SetComputeUnitLimit` instruction.",
        thousands(liq_cu),
        thousands(cover_cu),
        usd_text(before - fund),
        usd_text(out.fund_paid),
        usd_text(out.charged),
    );
    println!("\n{s}");
    if let Some(path) = std::env::var_os("BULWARK_SCALE_TABLE") {
        std::fs::write(&path, &s).expect("write the scale table");
    }
}
