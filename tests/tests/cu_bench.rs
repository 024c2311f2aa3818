//! Compute-unit benchmark: every Bulwark instruction in a scenario that
//! makes it do its real work, one program instruction per transaction, so
//! the transaction's compute units are that instruction's (including its
//! CPIs: token transfers and `emit_cpi!` self-invocations).
//!
//! Run by `scripts/bench-cu`, which builds `bulwark.so` with the shared SBF
//! tool and runs
//!
//! ```sh
//! SBF_OUT_DIR=<dir of bulwark.so> cargo test -p bulwark-tests --test cu_bench \
//!     -- --ignored --nocapture
//! ```
//!
//! Compute units are real only when the program runs as bytecode
//! (`SBF_OUT_DIR` set); without it the test says so and does nothing.
//!
//! It prints a markdown table (instruction | CU | budget), derived figures
//! (CU per fill, ADL CU per seat) against the project's goals, and fails if
//! any instruction errors or uses more than its budget. Budgets are the
//! measured figures with about 50 % headroom (rounded up): they catch a
//! regression, not noise. When a change legitimately moves a figure, rerun
//! `scripts/bench-cu --write` and adjust the budget in [`BUDGETS`].
//!
//! With `BULWARK_CU_TABLE=<file>` the tables are also written to that file
//! (the script puts them into BENCHMARKS.md).
//!
//! State is built through the program's own instructions (deposits and
//! trades); only the wallets' collateral token accounts are written directly
//! into the chain (with the mint's supply kept in step), which saves one
//! transaction per trader when filling 4,096 seats.

use anchor_lang::prelude::Pubkey;
use anchor_spl::token::spl_token;
use bulwark::engine::book::Side;
use bulwark::engine::sandbox::MarketBuf;
use bulwark::engine::trade::{OrderParams, OrderType};
use bulwark::state::{InsuranceFund, InsuranceStake, Market, MarketRef, Seat};
use bulwark_app::bootstrap::{bootstrap, set_oracle, Deployment};
use bulwark_app::config::{usd, BootstrapConfig};
use bulwark_app::pyth::PythPrice;
use bulwark_app::{client, invariants, ix, EmbeddedChain, TxError, TxOk};
use solana_account::Account;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_signer::Signer;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Instant;

// ------------------------------------------------------------------ budgets

/// CU budget per row: the measured figure × 1.5, rounded up (to 1,000 CU
/// below 100k, 10,000 below 1M, 100,000 above), and never above the 1.4M
/// a transaction may use for a row that fits one today: a regression must
/// not push an instruction out of a transaction unnoticed. A row without a
/// budget fails the bench (so every new row gets one); the failure message
/// suggests one.
#[rustfmt::skip]
const BUDGETS: &[(&str, u64)] = &[
    ("deposit_new", 25_000),
    ("deposit", 14_000),
    ("withdraw_flat", 15_000),
    ("place_resting", 10_000),
    ("cancel", 6_000),
    ("cancel_all_10", 11_000),
    ("taker_1", 13_000),
    ("taker_5", 43_000),
    ("taker_20", 140_000),
    ("withdraw_pos", 17_000),
    ("update_funding", 7_000),
    ("refresh_prices", 7_000),
    ("refresh_prices_pull", 7_300),
    ("sweep_fees", 32_000),
    ("stake_new", 34_000),
    ("stake", 31_000),
    ("unstake_request", 23_000),
    ("unstake_withdraw", 31_000),
    ("audit", 11_000),
    ("audit_donation", 16_000),
    ("liquidate_partial", 22_000),
    ("liquidate_full", 19_000),
    ("takeover", 21_000),
    ("cover_bankruptcy", 47_000),
    ("adl_256", 50_000),
    ("adl_1024", 130_000),
    ("adl_4096", 650_000),
    ("adl_4096_owing", 1_400_000),
    ("adl_256_2cp", 57_000),
    ("socialized_256", 160_000),
    ("lookup_seat_2", 6_000),
    ("lookup_seat_4095", 6_000),
    // The ends of a 65,536-seat market: the same budgets as the default
    // market's rows (seat access does not depend on the index).
    ("big_deposit_new_first", 25_000),
    ("big_deposit_new_last", 25_000),
    ("big_deposit_first", 14_000),
    ("big_deposit_last", 14_000),
    ("big_place_resting_first", 10_000),
    ("big_place_resting_last", 10_000),
    ("big_cancel_first", 6_000),
    ("big_cancel_last", 6_000),
    ("big_taker_1_first", 13_000),
    ("big_taker_1_last", 13_000),
    ("big_withdraw_pos_first", 17_000),
    ("big_withdraw_pos_last", 17_000),
];

/// Solana's compute-unit limit per transaction.
const TX_CU_LIMIT: u64 = 1_400_000;

/// The project's goals (issue 6).
const GOAL_RESTING: u64 = 8_000;
const GOAL_TAKER_BASE: u64 = 8_000;
const GOAL_TAKER_PER_FILL: u64 = 2_000;
const GOAL_CANCEL: u64 = 4_000;
const GOAL_LIQUIDATION: u64 = 40_000;
const GOAL_ADL_PER_SEAT: u64 = 80;
const GOAL_FUNDING: u64 = 8_000;

// ------------------------------------------------------------------ config

/// One market in the localnet shape (`migrations/localnet.toml`: five risk
/// tiers, partial liquidation from tier 2, 5 bps taker fee, 1 bp rebate).
fn market_toml(name: &str, seats: u32, book: u32, feed: &str, mode: &str) -> String {
    format!(
        r#"
[[markets]]
name = "{name}"
seat_capacity = {seats}
book_capacity = {book}
tick_size_usd = 0.1
base_lots_per_unit = 10000
min_order_lots = 1
max_order_lots = 500000
position_limit_lots = 2000000
open_interest_cap_lots = 50000000
taker_fee_ppm = 500
maker_fee_ppm = -100
insurance_fee_share_ppm = 500000
liquidation_fee_ppm = 10000
keeper_liquidation_share_ppm = 300000
price_band_bps = 500
funding_interval_secs = 3600
funding_cap_ppm = 1000
mark_ema_secs = 300
takeover_discount_ppm = 500000
insurance_cover_cap_usd = 5000000
insurance_cover_period_secs = 86400
partial_liquidation_tier = 2
waterfall_mode = "{mode}"

[markets.oracle]
min_feeds = 1
max_staleness_secs = 60
max_conf_bps = 100
max_deviation_bps = 200
feeds = [{{ name = "{feed}", initial_price_usd = 65000.0, conf_usd = 6.5 }}]

[[markets.tiers]]
max_notional_usd = 100000
initial_margin_ppm = 20000
maint_margin_ppm = 10000
[[markets.tiers]]
max_notional_usd = 500000
initial_margin_ppm = 33334
maint_margin_ppm = 16667
[[markets.tiers]]
max_notional_usd = 2000000
initial_margin_ppm = 50000
maint_margin_ppm = 25000
[[markets.tiers]]
max_notional_usd = 10000000
initial_margin_ppm = 100000
maint_margin_ppm = 50000
[[markets.tiers]]
max_notional_usd = 50000000
initial_margin_ppm = 200000
maint_margin_ppm = 100000
"#
    )
}

fn exchange_toml(markets: &[String]) -> String {
    let mut s = String::from(
        r#"
[exchange]
timelock_secs = 3600
pyth_program = "FsJ3A3u2vn5cTVofAjvy6y5kwABJAqYWpe4975bi2epH"
"#,
    );
    for m in markets {
        s.push_str(m);
    }
    s
}

/// Base lots per BTC in [`market_toml`].
const LOTS_PER_BTC: u64 = 10_000;
const START_PRICE: f64 = 65_000.0;

// ------------------------------------------------------------------ report

struct Row {
    key: &'static str,
    label: String,
    cu: u64,
}

#[derive(Default)]
struct Report {
    rows: Vec<Row>,
    /// Rows for instructions that do not exist yet.
    missing: Vec<&'static str>,
}

impl Report {
    fn cu(&self, key: &str) -> u64 {
        self.rows
            .iter()
            .find(|r| r.key == key)
            .unwrap_or_else(|| panic!("no row {key}"))
            .cu
    }
}

/// The budget rule of [`BUDGETS`] applied to a measured figure.
fn suggested_budget(cu: u64) -> u64 {
    let x = cu * 3 / 2;
    let step = match x {
        0..100_000 => 1_000,
        100_000..1_000_000 => 10_000,
        _ => 100_000,
    };
    let b = x.div_ceil(step) * step;
    if cu <= TX_CU_LIMIT {
        b.min(TX_CU_LIMIT)
    } else {
        b
    }
}

fn budget(key: &str) -> Option<u64> {
    BUDGETS.iter().find(|(k, _)| *k == key).map(|(_, b)| *b)
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

// ------------------------------------------------------------------ chain helpers

struct Trader {
    kp: Keypair,
    token: Pubkey,
}

impl Trader {
    fn key(&self) -> Pubkey {
        self.kp.pubkey()
    }
}

struct Bench {
    chain: EmbeddedChain,
    dep: Deployment,
    /// USD price each market's feed is set to.
    price: HashMap<Pubkey, f64>,
    token_rent: u64,
    /// Collateral written into token accounts and not yet added to the
    /// mint's supply.
    unminted: u64,
    /// Deterministic keypairs: fixed keys make PDA bump searches, and so
    /// the compute units, repeat exactly from run to run.
    next_key: u64,
    txs: u64,
}

fn op(side: Side, order_type: OrderType, price_usd: f64, lots: u64) -> OrderParams {
    OrderParams {
        side,
        order_type,
        price: usd(price_usd),
        lots,
        client_order_id: 0,
        expiry_ts: 0,
        reduce_only: false,
    }
}

fn limit(side: Side, price_usd: f64, lots: u64) -> OrderParams {
    op(side, OrderType::Limit, price_usd, lots)
}

fn ioc(side: Side, price_usd: f64, lots: u64) -> OrderParams {
    op(side, OrderType::ImmediateOrCancel, price_usd, lots)
}

/// The compute units the program's top-level invocation logged (the last
/// "consumed" line of the program: nested self-CPIs log theirs first).
fn logged_units(logs: &[String]) -> Option<u64> {
    let prefix = format!("Program {} consumed ", bulwark::ID);
    logs.iter()
        .rev()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
}

impl Bench {
    async fn start(toml: &str, cu_limit: u64, key_base: u64) -> Self {
        let cfg = BootstrapConfig::from_toml(toml).expect("bench config parses");
        let mut chain = EmbeddedChain::start_with_cu_limit(vec![], cu_limit).await;
        let dep = bootstrap(&mut chain, &cfg).await.expect("bootstrap");
        let token_rent = chain.rent_exempt(165).await;
        let mut price = HashMap::new();
        for m in &dep.markets {
            price.insert(m.key, START_PRICE);
        }
        Self {
            chain,
            dep,
            price,
            token_rent,
            unminted: 0,
            next_key: key_base,
            txs: 0,
        }
    }

    fn market(&self, name: &str) -> Pubkey {
        self.dep.market(name).key
    }

    /// Sends a transaction, renewing an expired blockhash.
    async fn send(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> Result<TxOk, TxError> {
        self.txs += 1;
        let mut tries = 0;
        loop {
            let r = self.chain.send(ixs, signers).await;
            match &r {
                Err(TxError::Other(s)) if s.contains("BlockhashNotFound") && tries < 3 => {
                    tries += 1;
                    self.chain.refresh_blockhash().await.expect("new blockhash");
                }
                _ => return r,
            }
        }
    }

    /// Sends a setup transaction that must succeed.
    #[track_caller]
    fn must<'a>(
        &'a mut self,
        what: &'a str,
        ixs: &'a [Instruction],
        signers: &'a [&'a Keypair],
    ) -> impl std::future::Future<Output = TxOk> + 'a {
        let caller = std::panic::Location::caller();
        async move {
            match self.send(ixs, signers).await {
                Ok(ok) => ok,
                Err(e) => panic!("{caller}: setup step '{what}' failed: {e}"),
            }
        }
    }

    /// Sends `ix` alone and records its compute units; fails loudly if it
    /// errors.
    async fn measure(
        &mut self,
        report: &mut Report,
        key: &'static str,
        label: &str,
        ix: Instruction,
        signers: &[&Keypair],
    ) -> TxOk {
        let ok = match self.send(std::slice::from_ref(&ix), signers).await {
            Ok(ok) => ok,
            Err(e) => {
                panic!("benchmarked instruction '{label}' ({key}) FAILED on the bytecode: {e}")
            }
        };
        if let Some(logged) = logged_units(&ok.logs) {
            if logged != ok.compute_units {
                println!(
                    "note: {key}: transaction reports {} CU, the program logged {logged}",
                    ok.compute_units
                );
            }
        }
        println!("  {label}: {} CU", thousands(ok.compute_units));
        report.rows.push(Row {
            key,
            label: label.to_string(),
            cu: ok.compute_units,
        });
        ok
    }

    fn keypair(&mut self) -> Keypair {
        self.next_key += 1;
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&self.next_key.to_le_bytes());
        seed[8..16].copy_from_slice(b"cu-bench");
        Keypair::new_from_array(seed)
    }

    /// A wallet (no SOL needed: the chain's payer pays every fee) with a
    /// collateral token account holding `wallet_usd`.
    fn trader(&mut self, wallet_usd: f64) -> Trader {
        let kp = self.keypair();
        let amount = usd(wallet_usd);
        let token = self.keypair().pubkey();
        let mut data = vec![0u8; 165];
        data[0..32].copy_from_slice(self.dep.collateral_mint.as_ref());
        data[32..64].copy_from_slice(kp.pubkey().as_ref());
        data[64..72].copy_from_slice(&amount.to_le_bytes());
        data[108] = 1; // AccountState::Initialized
        self.chain.set_account(
            &token,
            Account {
                lamports: self.token_rent,
                data,
                owner: spl_token::ID,
                executable: false,
                rent_epoch: 0,
            },
        );
        self.unminted += amount;
        Trader { kp, token }
    }

    /// Adds the collateral written into token accounts to the mint's supply.
    async fn sync_supply(&mut self) {
        if self.unminted == 0 {
            return;
        }
        let mint = self.dep.collateral_mint;
        let mut a = self.chain.account(&mint).await.expect("mint");
        let supply = u64::from_le_bytes(a.data[36..44].try_into().unwrap());
        a.data[36..44].copy_from_slice(&(supply + self.unminted).to_le_bytes());
        self.chain.set_account(&mint, a);
        self.unminted = 0;
    }

    /// A deposit by `t` naming its seat, else the first free one.
    async fn deposit_ix(&mut self, m: &Pubkey, t: &Trader, usd_amount: f64) -> Instruction {
        let seat = client::deposit_seat_on(&mut self.chain, m, &t.key())
            .await
            .expect("a free seat");
        ix::deposit(&t.key(), m, seat, &t.token, usd(usd_amount))
    }

    /// The first `n` free seat indices (several claims in one transaction
    /// must name different seats).
    async fn free_seats(&mut self, m: &Pubkey, n: usize) -> Vec<u32> {
        self.seats(m)
            .await
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_free())
            .map(|(i, _)| i as u32)
            .take(n)
            .collect()
    }

    /// `owner`'s seat index (every seat instruction names it).
    async fn ix_of(&mut self, m: &Pubkey, owner: &Pubkey) -> u32 {
        self.seat(m, owner).await.0 as u32
    }

    /// A trader with `usd_amount` deposited in market `m`.
    async fn funded(&mut self, m: &Pubkey, usd_amount: f64) -> Trader {
        let t = self.trader(usd_amount);
        let d = self.deposit_ix(m, &t, usd_amount).await;
        self.must("deposit", &[d], &[&t.kp]).await;
        t
    }

    async fn place(&mut self, m: &Pubkey, t: &Trader, p: OrderParams) {
        let seat = self.ix_of(m, &t.key()).await;
        let i = ix::place_order(&t.key(), m, seat, p);
        self.must("place_order", &[i], &[&t.kp]).await;
    }

    async fn cancel_all(&mut self, m: &Pubkey, t: &Trader) {
        let seat = self.ix_of(m, &t.key()).await;
        let i = ix::cancel_all_orders(&t.key(), m, seat);
        self.must("cancel_all_orders", &[i], &[&t.kp]).await;
    }

    fn feeds(&self, m: &Pubkey) -> Vec<Pubkey> {
        self.dep
            .markets
            .iter()
            .find(|d| d.key == *m)
            .expect("market")
            .feeds
            .clone()
    }

    /// Publishes the market's price (conf 1 bp) at the chain's time.
    async fn publish(&mut self, m: &Pubkey) {
        let now = self.chain.clock().await.unix_timestamp;
        let p = self.price[m];
        for f in self.feeds(m) {
            set_oracle(
                &mut self.chain,
                &self.dep,
                &f,
                &PythPrice::usd(p, p * 1e-4, now),
            );
        }
    }

    fn refresh_ix(&self, m: &Pubkey) -> Instruction {
        ix::refresh_prices(m, &self.feeds(m))
    }

    /// Fresh oracle price and index (orders and the waterfall need one).
    async fn fresh(&mut self, m: &Pubkey) {
        self.publish(m).await;
        let r = self.refresh_ix(m);
        self.must("refresh_prices", &[r], &[]).await;
    }

    /// Moves the oracle to `price_usd` and refreshes the index.
    async fn set_index(&mut self, m: &Pubkey, price_usd: f64) {
        self.price.insert(*m, price_usd);
        self.fresh(m).await;
    }

    /// Lets the mark converge: with the book's impact mid at the index (or
    /// no depth: a zero basis sample), a refresh one EMA period later moves
    /// the basis average the whole way, up to the per-update cap
    /// (`mark_max_move_bps`): a few refreshes set the mark to the index.
    async fn settle_mark(&mut self, m: &Pubkey) {
        for _ in 0..10 {
            self.chain.advance_time(301).await;
            self.fresh(m).await;
            if self.header(m).await.state.basis_ema == 0 {
                break;
            }
        }
        let h = self.header(m).await;
        assert_eq!(
            h.state.mark_price,
            usd(self.price[m]),
            "mark did not converge to the index"
        );
    }

    async fn header(&mut self, m: &Pubkey) -> Market {
        let data = self.chain.account_data(m).await;
        let r = MarketRef::from_bytes(&data).expect("market decodes");
        *r.header
    }

    async fn seats(&mut self, m: &Pubkey) -> Vec<Seat> {
        let data = self.chain.account_data(m).await;
        let r = MarketRef::from_bytes(&data).expect("market decodes");
        r.seats.to_vec()
    }

    async fn seat(&mut self, m: &Pubkey, owner: &Pubkey) -> (usize, Seat) {
        self.seats(m)
            .await
            .into_iter()
            .enumerate()
            .find(|(_, s)| s.owner == *owner)
            .expect("trader has a seat")
    }

    async fn insurance(&mut self) -> InsuranceFund {
        let data = self.chain.account_data(&ix::insurance_pda()).await;
        bytemuck::pod_read_unaligned(&data[8..8 + core::mem::size_of::<InsuranceFund>()])
    }

    async fn check_invariants(&mut self) {
        self.sync_supply().await;
        let markets: Vec<Pubkey> = self.dep.markets.iter().map(|m| m.key).collect();
        let v = invariants::check_all(&mut self.chain, &markets).await;
        assert!(v.is_empty(), "invariants violated after the bench: {v:#?}");
    }
}

// ------------------------------------------------------------------ scenarios

/// Seat access at both ends of a 65,536-seat market: seat 0 and seat
/// 65,535 run the same instructions and must cost the same. The program
/// still caps a market at `MAX_SEAT_CAPACITY` (8,192) seats until the ADL
/// ranking spans transactions (docs/scale.md), so this market is a
/// bootstrapped one whose account is rewritten with 65,536 seats (the same
/// header, an empty book, 8.4 MB); the instructions then run on it as on
/// any market.
async fn large_market_scenarios(report: &mut Report) {
    const BIG: u32 = 65_536;
    let t0 = Instant::now();
    let toml = exchange_toml(&[market_toml("BIG-PERP", 64, 64, "bench-big", "adl")]);
    let mut b = Bench::start(&toml, TX_CU_LIMIT, 3_000_000).await;
    let m = b.market("BIG-PERP");
    let old = b.chain.account(&m).await.expect("market account");
    let header: Market = *MarketBuf::from_account_data(&old.data).view_ref().header;
    assert_eq!(header.num_bids + header.num_asks + header.seats_used, 0);
    let mut big = MarketBuf::new(header.config, BIG, header.book_capacity);
    {
        let v = big.view();
        *v.header = header;
        v.header.seat_capacity = BIG;
    }
    let data = big.bytes().to_vec();
    println!(
        "large market: {BIG} seats, {} orders per side, {} bytes",
        header.book_capacity,
        data.len()
    );
    let lamports = b.chain.rent_exempt(data.len()).await;
    b.chain.set_account(
        &m,
        Account {
            lamports,
            data,
            owner: bulwark::ID,
            executable: false,
            rent_epoch: 0,
        },
    );
    b.fresh(&m).await;
    let mm = b.trader(10_000_000.0);
    let mm_seat = BIG / 2;
    let d = ix::deposit(&mm.key(), &m, mm_seat, &mm.token, usd(10_000_000.0));
    b.must("maker deposit", &[d], &[&mm.kp]).await;
    // Row keys: [first end, last end] of each measured instruction.
    const KEYS: [[&str; 2]; 6] = [
        ["big_deposit_new_first", "big_deposit_new_last"],
        ["big_deposit_first", "big_deposit_last"],
        ["big_place_resting_first", "big_place_resting_last"],
        ["big_cancel_first", "big_cancel_last"],
        ["big_taker_1_first", "big_taker_1_last"],
        ["big_withdraw_pos_first", "big_withdraw_pos_last"],
    ];
    let ends = [
        (b.trader(100_000.0), 0u32, "seat 0"),
        (b.trader(100_000.0), BIG - 1, "seat 65,535"),
    ];
    for (e, (t, seat, at)) in ends.iter().enumerate() {
        let l = |what: &str| format!("{what}, {at} of 65,536");
        let i = ix::deposit(&t.key(), &m, *seat, &t.token, usd(50_000.0));
        let label = l("deposit (claims a new seat)");
        b.measure(report, KEYS[0][e], &label, i, &[&t.kp]).await;
        let i = ix::deposit(&t.key(), &m, *seat, &t.token, usd(10_000.0));
        let label = l("deposit (existing seat)");
        b.measure(report, KEYS[1][e], &label, i, &[&t.kp]).await;
        b.fresh(&m).await;
        let id = b.header(&m).await.state.next_order_id;
        let i = ix::place_order(&t.key(), &m, *seat, limit(Side::Bid, 64_900.0, 10));
        let label = l("place_order: limit, rests");
        b.measure(report, KEYS[2][e], &label, i, &[&t.kp]).await;
        let i = ix::cancel_order(&t.key(), &m, *seat, id);
        let label = l("cancel_order (by id)");
        b.measure(report, KEYS[3][e], &label, i, &[&t.kp]).await;
        b.fresh(&m).await;
        let ask = ix::place_order(&mm.key(), &m, mm_seat, limit(Side::Ask, 65_000.1, 10));
        b.must("maker ask", &[ask], &[&mm.kp]).await;
        let i = ix::place_order(&t.key(), &m, *seat, ioc(Side::Bid, 65_000.1, 10));
        let label = l("place_order: taker, 1 fill");
        b.measure(report, KEYS[4][e], &label, i, &[&t.kp]).await;
        let i = ix::withdraw(&t.key(), &m, *seat, &t.token, usd(1_000.0));
        let label = l("withdraw (open position)");
        b.measure(report, KEYS[5][e], &label, i, &[&t.kp]).await;
    }
    for [a, z] in KEYS {
        let (ca, cz) = (report.cu(a), report.cu(z));
        assert!(
            ca.abs_diff(cz) <= 64,
            "{a} = {ca} CU but {z} = {cz} CU: a seat instruction's CU depends on the seat's index"
        );
    }
    b.check_invariants().await;
    println!(
        "large market: {} transactions in {:.1} s",
        b.txs,
        t0.elapsed().as_secs_f64()
    );
}

/// Deposits, orders, fills, cancels, funding, prices, fees, the insurance
/// fund, and the liquidation waterfall's first steps, in the default market
/// (1,024 seats, 256 orders per side).
async fn main_scenarios(report: &mut Report) {
    let t0 = Instant::now();
    // A second, small market whose one feed is a Pyth pull account
    // (PriceUpdateV2, owner = the receiver, here the same fake key).
    let pull = market_toml("PULL-PERP", 64, 16, "bench-pull", "adl").replace(
        r#"name = "bench-pull","#,
        r#"name = "bench-pull", kind = "pull", feed_id = "0x5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a","#,
    );
    let toml = exchange_toml(&[market_toml("BTC-PERP", 1024, 256, "bench-btc", "adl"), pull]);
    let mut b = Bench::start(&toml, TX_CU_LIMIT, 1_000_000).await;
    let m = b.market("BTC-PERP");
    println!("main market: 1,024 seats, 256 orders per side");

    // Cast: a quote maker, a keeper, a liquidity maker, 20 makers, a taker.
    let q = b.funded(&m, 10_000_000.0).await;
    let k = b.funded(&m, 1_000_000.0).await;
    let lm = b.funded(&m, 5_000_000.0).await;
    let mut makers = Vec::new();
    for _ in 0..20 {
        makers.push(b.funded(&m, 1_000_000.0).await);
    }
    let t = b.funded(&m, 1_000_000.0).await;
    b.fresh(&m).await;
    // The quote maker's orders, 3 % either side: a book with two sides.
    b.place(&m, &q, limit(Side::Bid, 63_050.0, LOTS_PER_BTC))
        .await;
    b.place(&m, &q, limit(Side::Ask, 66_950.0, LOTS_PER_BTC))
        .await;

    // ---- collateral
    let x = b.trader(1_000.0);
    let i = b.deposit_ix(&m, &x, 500.0).await;
    b.measure(
        report,
        "deposit_new",
        "deposit (claims a new seat)",
        i,
        &[&x.kp],
    )
    .await;
    let i = b.deposit_ix(&m, &x, 100.0).await;
    b.measure(report, "deposit", "deposit (existing seat)", i, &[&x.kp])
        .await;
    let xs = b.ix_of(&m, &x.key()).await;
    let i = ix::withdraw(&x.key(), &m, xs, &x.token, usd(50.0));
    b.measure(
        report,
        "withdraw_flat",
        "withdraw (no position)",
        i,
        &[&x.kp],
    )
    .await;

    // ---- resting order, cancel, cancel all
    b.fresh(&m).await;
    let id = b.header(&m).await.state.next_order_id;
    let mut mseat = Vec::new();
    for mk in &makers {
        mseat.push(b.ix_of(&m, &mk.key()).await);
    }
    let i = ix::place_order(
        &makers[0].key(),
        &m,
        mseat[0],
        limit(Side::Bid, 64_900.0, 10),
    );
    b.measure(
        report,
        "place_resting",
        "place_order: limit, rests (no fill)",
        i,
        &[&makers[0].kp],
    )
    .await;
    assert_eq!(b.seat(&m, &makers[0].key()).await.1.num_orders, 1);
    let i = ix::cancel_order(&makers[0].key(), &m, mseat[0], id);
    b.measure(
        report,
        "cancel",
        "cancel_order (by id)",
        i,
        &[&makers[0].kp],
    )
    .await;
    assert_eq!(b.seat(&m, &makers[0].key()).await.1.num_orders, 0);

    let ixs: Vec<Instruction> = (0..10)
        .map(|j| {
            ix::place_order(
                &makers[1].key(),
                &m,
                mseat[1],
                limit(Side::Bid, 64_800.0 - j as f64, 10),
            )
        })
        .collect();
    b.must("10 resting bids", &ixs, &[&makers[1].kp]).await;
    assert_eq!(b.seat(&m, &makers[1].key()).await.1.num_orders, 10);
    let i = ix::cancel_all_orders(&makers[1].key(), &m, mseat[1]);
    b.measure(
        report,
        "cancel_all_10",
        "cancel_all_orders (10 orders)",
        i,
        &[&makers[1].kp],
    )
    .await;
    assert_eq!(b.seat(&m, &makers[1].key()).await.1.num_orders, 0);

    // ---- taker orders with 1 / 5 / 20 fills, each against a different maker
    for (n, key, label) in [
        (1usize, "taker_1", "place_order: taker, 1 fill"),
        (5, "taker_5", "place_order: taker, 5 fills"),
        (20, "taker_20", "place_order: taker, 20 fills"),
    ] {
        b.fresh(&m).await;
        for first in (0..n).step_by(5) {
            let idx: Vec<usize> = (first..n.min(first + 5)).collect();
            let ixs: Vec<Instruction> = idx
                .iter()
                .map(|&j| {
                    let p = limit(Side::Ask, 65_000.1 + 0.1 * j as f64, 10);
                    ix::place_order(&makers[j].key(), &m, mseat[j], p)
                })
                .collect();
            let signers: Vec<&Keypair> = idx.iter().map(|&j| &makers[j].kp).collect();
            b.must("maker asks", &ixs, &signers).await;
        }
        let fills_before = b.header(&m).await.state.fill_count;
        let top = 65_000.1 + 0.1 * (n - 1) as f64;
        let ts = b.ix_of(&m, &t.key()).await;
        let i = ix::place_order(&t.key(), &m, ts, ioc(Side::Bid, top, 10 * n as u64));
        b.measure(report, key, label, i, &[&t.kp]).await;
        let fills = b.header(&m).await.state.fill_count - fills_before;
        assert_eq!(fills, n as u64, "{label}: expected {n} fills");
    }
    let ts = b.ix_of(&m, &t.key()).await;
    let i = ix::withdraw(&t.key(), &m, ts, &t.token, usd(1_000.0));
    b.measure(
        report,
        "withdraw_pos",
        "withdraw (open position)",
        i,
        &[&t.kp],
    )
    .await;

    // ---- funding, prices, fees
    b.chain.advance_time(3_601).await;
    b.fresh(&m).await;
    let i = ix::update_funding(&m);
    b.measure(report, "update_funding", "update_funding", i, &[])
        .await;
    b.publish(&m).await;
    let i = b.refresh_ix(&m);
    b.measure(
        report,
        "refresh_prices",
        "refresh_prices (1 Pyth feed)",
        i,
        &[],
    )
    .await;
    let pm = b.market("PULL-PERP");
    b.publish(&pm).await;
    let i = b.refresh_ix(&pm);
    b.measure(
        report,
        "refresh_prices_pull",
        "refresh_prices (1 Pyth pull feed, PriceUpdateV2)",
        i,
        &[],
    )
    .await;
    let i = ix::sweep_fees(&m, &b.dep.treasury);
    b.measure(
        report,
        "sweep_fees",
        "sweep_fees (2 token transfers, 1 ledger entry)",
        i,
        &[],
    )
    .await;
    assert_eq!(b.header(&m).await.state.unswept_treasury_fees, 0);

    // ---- insurance fund: stake, unstake, audit
    let s = b.trader(100_000.0);
    // The staker pays the stake account's rent.
    b.chain
        .airdrop(&s.key(), 1_000_000_000)
        .await
        .expect("airdrop");
    let i = ix::stake(&s.key(), &s.key(), &s.token, usd(50_000.0), 0);
    b.measure(
        report,
        "stake_new",
        "stake (creates the stake account)",
        i,
        &[&s.kp],
    )
    .await;
    let i = ix::stake(&s.key(), &s.key(), &s.token, usd(10_000.0), 0);
    b.measure(report, "stake", "stake (existing stake)", i, &[&s.kp])
        .await;
    let shares = {
        let data = b.chain.account_data(&ix::stake_pda(&s.key())).await;
        let st: InsuranceStake =
            bytemuck::pod_read_unaligned(&data[8..8 + core::mem::size_of::<InsuranceStake>()]);
        st.shares
    };
    let i = ix::request_unstake(&s.key(), &s.key(), &s.token, shares / 2);
    b.measure(report, "unstake_request", "request_unstake", i, &[&s.kp])
        .await;
    let cooldown = b.insurance().await.unstake_cooldown_secs;
    b.chain.advance_time(cooldown + 1).await;
    let i = ix::withdraw_unstake(&s.key(), &s.key(), &s.token);
    b.measure(
        report,
        "unstake_withdraw",
        "withdraw_unstake (after the cooldown)",
        i,
        &[&s.kp],
    )
    .await;
    let i = ix::audit_insurance();
    b.measure(report, "audit", "audit_insurance (vault matches)", i, &[])
        .await;
    // A direct transfer into the vault: the audit records it as a donation.
    let donor = b.trader(10.0);
    b.sync_supply().await;
    let tr = spl_token::instruction::transfer(
        &spl_token::ID,
        &donor.token,
        &ix::insurance_vault_pda(),
        &donor.key(),
        &[],
        usd(10.0),
    )
    .unwrap();
    b.must("donation", &[tr], &[&donor.kp]).await;
    let i = ix::audit_insurance();
    b.measure(
        report,
        "audit_donation",
        "audit_insurance (records a donation)",
        i,
        &[],
    )
    .await;

    // ---- liquidation waterfall
    // Four longs at 65,000 bought from the liquidity maker:
    //  L1 10 BTC, 40,000 USD: tier 2 (650k notional) -> partial liquidation;
    //  L2  1 BTC,  3,400 USD: tier 0 -> full liquidation against the book;
    //  L3  1 BTC,  3,400 USD: keeper takeover;
    //  L4  1 BTC,  2,000 USD: bankrupt at 62,000 -> insurance cover.
    b.fresh(&m).await;
    let l1 = b.funded(&m, 40_000.0).await;
    let l2 = b.funded(&m, 3_400.0).await;
    let l3 = b.funded(&m, 3_400.0).await;
    let l4 = b.funded(&m, 2_000.0).await;
    b.place(&m, &lm, limit(Side::Ask, 65_000.0, 13 * LOTS_PER_BTC))
        .await;
    for (l, btc) in [(&l1, 10), (&l2, 1), (&l3, 1), (&l4, 1)] {
        b.place(&m, l, ioc(Side::Bid, 65_000.0, btc * LOTS_PER_BTC))
            .await;
    }
    // Price 62,000: L1 equity 10,000 < MM 2.5 % × 620,000; L2, L3 equity
    // 400 < MM 620; L4 equity −1,000. The liquidity maker quotes
    // 61,950 / 62,050 (mid = index) and the mark converges to 62,000.
    b.cancel_all(&m, &q).await;
    b.set_index(&m, 62_000.0).await;
    b.place(&m, &lm, limit(Side::Bid, 61_950.0, 10 * LOTS_PER_BTC))
        .await;
    b.place(&m, &lm, limit(Side::Ask, 62_050.0, LOTS_PER_BTC))
        .await;
    b.settle_mark(&m).await;

    let ks = b.ix_of(&m, &k.key()).await;
    let s1 = b.ix_of(&m, &l1.key()).await;
    let i = ix::liquidate(&k.key(), &m, &l1.key(), s1, Some(ks));
    b.measure(
        report,
        "liquidate_partial",
        "liquidate: partial (tier 2 -> 0 step-down, 1 fill)",
        i,
        &[&k.kp],
    )
    .await;
    let base = b.seat(&m, &l1.key()).await.1.base_lots;
    assert!(
        base > 0 && base < 10 * LOTS_PER_BTC as i64,
        "partial liquidation left {base} lots"
    );
    let s2 = b.ix_of(&m, &l2.key()).await;
    let i = ix::liquidate(&k.key(), &m, &l2.key(), s2, Some(ks));
    b.measure(
        report,
        "liquidate_full",
        "liquidate: full (1 fill)",
        i,
        &[&k.kp],
    )
    .await;
    assert_eq!(b.seat(&m, &l2.key()).await.1.base_lots, 0);
    let s3 = b.ix_of(&m, &l3.key()).await;
    let i = ix::takeover(&k.key(), &m, &l3.key(), s3, ks);
    b.measure(
        report,
        "takeover",
        "takeover (keeper takes the position)",
        i,
        &[&k.kp],
    )
    .await;
    assert_eq!(b.seat(&m, &l3.key()).await.1.base_lots, 0);
    // The fund pays only a position closed in the same step: the cover
    // closes L4 against a bid within the cover limit (62,000 − 1 %).
    b.place(&m, &lm, limit(Side::Bid, 61_900.0, LOTS_PER_BTC))
        .await;
    let before = b.seat(&m, &l4.key()).await.1.collateral;
    let s4 = b.ix_of(&m, &l4.key()).await;
    let i = ix::cover_bankruptcy(&m, &l4.key(), s4);
    b.measure(
        report,
        "cover_bankruptcy",
        "cover_bankruptcy (closes on the book, 1 fill; insurance pays the deficit)",
        i,
        &[],
    )
    .await;
    // L4 (1,967.50 after its taker fee) sold its 1 BTC at 61,900: flat, and
    // the fund paid exactly the deficit, to zero.
    let after = b.seat(&m, &l4.key()).await.1;
    assert_eq!(
        (before, after.base_lots, after.collateral),
        (1_967_500_000, 0, 0)
    );

    b.check_invariants().await;
    println!(
        "main scenarios: {} transactions in {:.1} s",
        b.txs,
        t0.elapsed().as_secs_f64()
    );
}

/// Fills every seat of market `name` with a position and runs ADL on a
/// bankrupt long: seat 0 = B (long 1 BTC, 1,500 USD), then the
/// `counterparties` shorts S1.. that sold it (3,000 USD per BTC: the
/// top-ranked shorts), then pairs of 1-lot positions (short, long), so half
/// the seats are shorts the ranking must score. A gap to 63,000 leaves B at
/// about −530 USD equity; the insurance fund is empty, so ADL closes B
/// against S1.. (one ranking scan of the whole seat table per counterparty).
/// Returns the traders in seat 2 and in the last seat.
#[allow(clippy::too_many_arguments)]
async fn adl_scenario(
    b: &mut Bench,
    report: &mut Report,
    name: &str,
    seats: u32,
    counterparties: usize,
    key: &'static str,
    label: &str,
    owe_funding: bool,
) -> (Trader, Trader) {
    let t0 = Instant::now();
    let txs0 = b.txs;
    let m = b.market(name);
    b.fresh(&m).await;
    let bk = b.funded(&m, 1_500.0).await;
    let mut shorts = Vec::new();
    let lots = LOTS_PER_BTC / counterparties as u64;
    for _ in 0..counterparties {
        let s = b.funded(&m, 3_000.0 / counterparties as f64).await;
        b.place(&m, &s, limit(Side::Ask, START_PRICE, lots)).await;
        shorts.push(s);
    }
    b.place(
        &m,
        &bk,
        ioc(Side::Bid, START_PRICE, lots * counterparties as u64),
    )
    .await;
    let mut used = 1 + counterparties;
    if (seats as usize - used) % 2 == 1 {
        // An odd seat left: one more long buys a lot from the last short.
        let l = b.funded(&m, 20.0).await;
        let s = shorts.last().expect("a short");
        b.place(&m, s, limit(Side::Ask, START_PRICE, 1)).await;
        b.place(&m, &l, ioc(Side::Bid, START_PRICE, 1)).await;
        used += 1;
    }
    let s = &shorts[0];
    // Two pairs per transaction (eight instructions, five signatures:
    // about 1,100 of a transaction's 1,232 bytes).
    let pairs = (seats as usize - used) / 2;
    let mut done = 0;
    let mut first: Option<Trader> = None;
    let mut last: Option<Trader> = None;
    while done < pairs {
        let n = (pairs - done).min(2);
        let ts: Vec<(Trader, Trader)> = (0..n).map(|_| (b.trader(20.0), b.trader(20.0))).collect();
        let mut ixs = Vec::new();
        let free = b.free_seats(&m, 2 * ts.len()).await;
        for (j, (short, long)) in ts.iter().enumerate() {
            let (ss, ls) = (free[2 * j], free[2 * j + 1]);
            ixs.push(ix::deposit(&short.key(), &m, ss, &short.token, usd(20.0)));
            ixs.push(ix::deposit(&long.key(), &m, ls, &long.token, usd(20.0)));
            ixs.push(ix::place_order(
                &short.key(),
                &m,
                ss,
                limit(Side::Ask, START_PRICE, 1),
            ));
            ixs.push(ix::place_order(
                &long.key(),
                &m,
                ls,
                ioc(Side::Bid, START_PRICE, 1),
            ));
        }
        let signers: Vec<&Keypair> = ts.iter().flat_map(|(a, c)| [&a.kp, &c.kp]).collect();
        b.must("pair trades", &ixs, &signers).await;
        done += n;
        for (short, long) in ts {
            if first.is_none() {
                first = Some(short);
            }
            last = Some(long);
        }
    }
    let all = b.seats(&m).await;
    assert_eq!(all.len(), seats as usize);
    assert!(
        all.iter().all(|x| !x.is_free() && x.base_lots != 0),
        "every seat must hold a position"
    );
    let fill_secs = t0.elapsed().as_secs_f64();
    if owe_funding {
        // An impact mid 400 USD above the index for an interval (200 lots a
        // side: the default 1,000 USD of depth), then funding: every seat
        // holding a position now owes (or is owed) funding, so the ranking
        // cannot take the settled-seat fast path.
        b.place(&m, s, limit(Side::Bid, START_PRICE + 300.0, 200))
            .await;
        b.place(&m, s, limit(Side::Ask, START_PRICE + 500.0, 200))
            .await;
        b.chain.advance_time(301).await;
        b.fresh(&m).await; // the mark moves to the mid
        b.chain.advance_time(3_600).await;
        b.fresh(&m).await; // an interval's TWAP at that mark
        b.must("update_funding", &[ix::update_funding(&m)], &[])
            .await;
        b.cancel_all(&m, s).await;
        assert_ne!(b.header(&m).await.state.cum_funding_per_lot.get(), 0);
    }
    // The gap.
    b.set_index(&m, 63_000.0).await;
    b.place(&m, s, limit(Side::Bid, 62_990.0, 1)).await;
    b.place(&m, s, limit(Side::Ask, 63_010.0, 1)).await;
    b.settle_mark(&m).await;
    assert_eq!(b.insurance().await.balance, 0, "ADL needs an empty fund");
    let bs = b.ix_of(&m, &bk.key()).await;
    let i = ix::auto_deleverage(&m, &bk.key(), bs);
    b.measure(report, key, label, i, &[]).await;
    assert_eq!(b.seat(&m, &bk.key()).await.1.base_lots, 0);
    for s in &shorts {
        assert!(
            b.seat(&m, &s.key()).await.1.base_lots.unsigned_abs() <= 1,
            "every counterparty was deleveraged"
        );
    }
    println!(
        "  ({seats} seats filled with {} transactions in {fill_secs:.1} s)",
        b.txs - txs0
    );
    (first.expect("pairs"), last.expect("pairs"))
}

/// ADL at 256 / 1,024 / 4,096 seats and socialized loss (256 seats), on a
/// chain whose insurance fund stays empty. The compute limit is raised far
/// above 1.4M so a figure beyond a transaction's limit is measured (and
/// reported as such) instead of failing.
async fn waterfall_scenarios(report: &mut Report) {
    let t0 = Instant::now();
    let toml = exchange_toml(&[
        market_toml("ADL-256", 256, 64, "bench-adl-256", "adl"),
        market_toml("ADL-1024", 1024, 64, "bench-adl-1024", "adl"),
        market_toml("ADL-4096", 4096, 64, "bench-adl-4096", "adl"),
        market_toml("ADLF-4096", 4096, 64, "bench-adlf-4096", "adl"),
        market_toml("ADL2-256", 256, 64, "bench-adl2-256", "adl"),
        market_toml("SOC-256", 256, 64, "bench-soc-256", "socialized"),
    ]);
    let mut b = Bench::start(&toml, 100_000_000, 2_000_000).await;
    let mut ends = None;
    for (name, seats, cps, key, label) in [
        ("ADL-256", 256, 1, "adl_256", "auto_deleverage, 256 seats"),
        (
            "ADL-1024",
            1024,
            1,
            "adl_1024",
            "auto_deleverage, 1,024 seats",
        ),
        (
            "ADL-4096",
            4096,
            1,
            "adl_4096",
            "auto_deleverage, 4,096 seats",
        ),
        (
            "ADLF-4096",
            4096,
            1,
            "adl_4096_owing",
            "auto_deleverage, 4,096 seats, every seat owing funding",
        ),
        (
            "ADL2-256",
            256,
            2,
            "adl_256_2cp",
            "auto_deleverage, 256 seats, 2 counterparties",
        ),
        (
            "SOC-256",
            256,
            1,
            "socialized_256",
            "auto_deleverage, socialized loss, 256 seats",
        ),
    ] {
        let owing = key == "adl_4096_owing";
        let e = adl_scenario(&mut b, report, name, seats, cps, key, label, owing).await;
        if key == "adl_4096" {
            ends = Some(e);
        }
    }
    let soc = b.market("SOC-256");
    assert_eq!(b.header(&soc).await.waterfall.socialized_events, 1);

    // Seats are addressed by index: the same instruction (cancel_all_orders
    // of a seat without orders) for the trader in seat 2 and in seat 4,095
    // must cost the same (it was a scan: 7 CU per seat passed over).
    let m = b.market("ADL-4096");
    let (first, last) = ends.expect("4,096-seat scenario ran");
    assert_eq!(b.seat(&m, &first.key()).await.0, 2);
    assert_eq!(b.seat(&m, &last.key()).await.0, 4095);
    let i = ix::cancel_all_orders(&first.key(), &m, 2);
    b.measure(
        report,
        "lookup_seat_2",
        "cancel_all_orders, no orders, seat 2 of 4,096",
        i,
        &[&first.kp],
    )
    .await;
    let i = ix::cancel_all_orders(&last.key(), &m, 4095);
    b.measure(
        report,
        "lookup_seat_4095",
        "cancel_all_orders, no orders, seat 4,095 of 4,096",
        i,
        &[&last.kp],
    )
    .await;
    let (a, z) = (report.cu("lookup_seat_2"), report.cu("lookup_seat_4095"));
    assert!(
        z.abs_diff(a) <= 64,
        "a seat instruction's CU depends on the seat's index: {a} in seat 2, {z} in seat 4,095"
    );
    b.check_invariants().await;
    println!(
        "waterfall scenarios: {} transactions in {:.1} s",
        b.txs,
        t0.elapsed().as_secs_f64()
    );
}

// ------------------------------------------------------------------ output

fn render(report: &Report) -> (String, Vec<String>) {
    let mut failures = Vec::new();
    let mut s = String::new();
    let _ = writeln!(s, "| instruction | CU | budget |");
    let _ = writeln!(s, "| --- | ---: | ---: |");
    for r in &report.rows {
        let b = budget(r.key);
        let bs = b.map(thousands).unwrap_or_else(|| "none".into());
        let mut label = r.label.clone();
        if r.cu > TX_CU_LIMIT {
            label.push_str(" **(over the 1.4M transaction limit)**");
        }
        let _ = writeln!(s, "| {label} | {} | {bs} |", thousands(r.cu));
        match b {
            None => failures.push(format!(
                "{}: no budget (measured {}; suggested {})",
                r.key,
                r.cu,
                suggested_budget(r.cu)
            )),
            Some(b) if r.cu > b => failures.push(format!(
                "{}: {} CU > budget {} (if intended, suggested budget {})",
                r.key,
                r.cu,
                b,
                suggested_budget(r.cu)
            )),
            _ => {}
        }
    }
    for m in &report.missing {
        let _ = writeln!(s, "| {m} | not implemented yet | — |");
    }
    (s, failures)
}

fn goals(report: &Report) -> String {
    let mut s = String::new();
    let cu = |k| report.cu(k);
    let per_fill = (cu("taker_20") - cu("taker_1")) as f64 / 19.0;
    let taker_base = cu("taker_1") as f64 - per_fill;
    let adl_slope_1 = (cu("adl_1024") - cu("adl_256")) as f64 / 768.0;
    let adl_slope_2 = (cu("adl_4096") - cu("adl_1024")) as f64 / 3072.0;
    let adl_per_seat = (cu("adl_4096") - cu("adl_256")) as f64 / 3840.0;
    let verdict = |ok: bool| if ok { "met" } else { "**missed**" };
    let _ = writeln!(s, "| goal | target | measured | |");
    let _ = writeln!(s, "| --- | ---: | ---: | --- |");
    let _ = writeln!(
        s,
        "| resting order | ≤ {} | {} | {} |",
        thousands(GOAL_RESTING),
        thousands(cu("place_resting")),
        verdict(cu("place_resting") <= GOAL_RESTING)
    );
    for (k, n) in [("taker_1", 1u64), ("taker_5", 5), ("taker_20", 20)] {
        let target = GOAL_TAKER_BASE + GOAL_TAKER_PER_FILL * n;
        let _ = writeln!(
            s,
            "| taker, {n} fill{} | ≤ {} | {} | {} |",
            if n == 1 { "" } else { "s" },
            thousands(target),
            thousands(cu(k)),
            verdict(cu(k) <= target)
        );
    }
    let _ = writeln!(
        s,
        "| taker: CU per extra fill (1 → 20 fills) | ≤ {} | {} | {} |",
        thousands(GOAL_TAKER_PER_FILL),
        thousands(per_fill.round() as u64),
        verdict(per_fill <= GOAL_TAKER_PER_FILL as f64)
    );
    let _ = writeln!(
        s,
        "| taker: fixed part (1 fill minus one fill's share) | ≤ {} | {} | {} |",
        thousands(GOAL_TAKER_BASE),
        thousands(taker_base.round() as u64),
        verdict(taker_base <= GOAL_TAKER_BASE as f64)
    );
    let _ = writeln!(
        s,
        "| cancel | ≤ {} | {} | {} |",
        thousands(GOAL_CANCEL),
        thousands(cu("cancel")),
        verdict(cu("cancel") <= GOAL_CANCEL)
    );
    for (k, what) in [
        ("liquidate_partial", "liquidation, partial"),
        ("liquidate_full", "liquidation, full"),
        ("takeover", "takeover"),
        ("cover_bankruptcy", "bankruptcy cover"),
    ] {
        let _ = writeln!(
            s,
            "| {what} | ≤ {} | {} | {} |",
            thousands(GOAL_LIQUIDATION),
            thousands(cu(k)),
            verdict(cu(k) <= GOAL_LIQUIDATION)
        );
    }
    let _ = writeln!(
        s,
        "| ADL: CU per seat (256 → 4,096 seats) | ≤ {} | {} | {} |",
        GOAL_ADL_PER_SEAT,
        thousands(adl_per_seat.round() as u64),
        verdict(adl_per_seat <= GOAL_ADL_PER_SEAT as f64)
    );
    let _ = writeln!(
        s,
        "| ADL at 4,096 seats fits one transaction (goal ≈ {}) | ≤ 1,400,000 | {} | {} |",
        thousands(GOAL_ADL_PER_SEAT * 4096),
        thousands(cu("adl_4096")),
        verdict(cu("adl_4096") <= TX_CU_LIMIT)
    );
    let _ = writeln!(
        s,
        "| update_funding | ≤ {} | {} | {} |",
        thousands(GOAL_FUNDING),
        thousands(cu("update_funding")),
        verdict(cu("update_funding") <= GOAL_FUNDING)
    );
    let seat_bytes = core::mem::size_of::<Seat>() as u64;
    let _ = writeln!(
        s,
        "| bytes per seat | ≤ 128 | {seat_bytes} | {} |",
        verdict(seat_bytes <= 128)
    );
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "Seat access by index (checked against the owner, no scan): cancel_all_orders \
         of an empty seat costs {} CU in seat 2 and {} CU in seat 4,095 of 4,096.",
        thousands(cu("lookup_seat_2")),
        thousands(cu("lookup_seat_4095"))
    );
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "ADL with two counterparties at 256 seats: {} CU, {:.2}× one counterparty's \
         (one scan ranks every seat; each counterparty adds its settlement only).",
        thousands(cu("adl_256_2cp")),
        cu("adl_256_2cp") as f64 / cu("adl_256") as f64
    );
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "ADL growth: {} CU per seat from 256 to 1,024 seats, {} from 1,024 to 4,096 \
         ({} over the whole range; half the seats hold shorts the ranking scores, \
         one counterparty).",
        thousands(adl_slope_1.round() as u64),
        thousands(adl_slope_2.round() as u64),
        thousands(adl_per_seat.round() as u64)
    );
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "CU benchmark: run by scripts/bench-cu against the bytecode"]
async fn cu_bench() {
    let sbf =
        std::env::var_os("SBF_OUT_DIR").is_some() || std::env::var_os("BPF_OUT_DIR").is_some();
    if !sbf {
        println!(
            "cu_bench: SBF_OUT_DIR is not set, so the program would run natively and \
             compute units would not be real (they are only measured on the bytecode): skipped. \
             Run scripts/bench-cu."
        );
        return;
    }
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error");
    }
    let t0 = Instant::now();
    let mut report = Report::default();
    main_scenarios(&mut report).await;
    waterfall_scenarios(&mut report).await;
    large_market_scenarios(&mut report).await;
    let (table, failures) = render(&report);
    let goals = goals(&report);
    println!("\n{table}\n{goals}");
    if let Some(path) = std::env::var_os("BULWARK_CU_TABLE") {
        std::fs::write(&path, format!("{table}\n{goals}")).expect("write the CU table");
    }
    println!("cu_bench: {:.1} s", t0.elapsed().as_secs_f64());
    assert!(
        failures.is_empty(),
        "compute-unit budgets exceeded or missing:\n  {}",
        failures.join("\n  ")
    );
}
