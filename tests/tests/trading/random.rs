//! A randomized run of real transactions: orders of every type, cancels,
//! deposits, withdrawals, oracle moves with `refresh_prices`, funding, fee
//! sweeps and status changes, by five traders in both markets. The harness
//! checks every invariant after every transaction (failed ones included);
//! this test adds exact sweep amounts and token conservation.
//!
//! `BULWARK_FUZZ_SEED` and `BULWARK_FUZZ_OPS` override the seed and the
//! number of operations.

use anchor_lang::prelude::Pubkey;
use bulwark::engine::book::{reserved_quote, Side};
use bulwark::engine::trade::{OrderParams, OrderType};
use bulwark::state::{pause, MarketStatus};
use bulwark_app::config::usd;
use bulwark_app::ix;
use bulwark_tests::{
    compute_unit_limit_ix, describe, TestEnv, Trader, BTC, BTC_PRICE_USD, CONFIG, ETH,
    ETH_PRICE_USD,
};
use solana_instruction::Instruction;
use std::collections::BTreeMap;

const DEFAULT_SEED: u64 = 0xB01A_4C20;
const DEFAULT_OPS: usize = 2_000;
const TRADERS: usize = 5;
/// USD each trader's wallet starts with.
const WALLET_USD: f64 = 60_000.0;

/// splitmix64: small, seedable, good enough to pick operations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in 0..n.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// Uniform in lo..=hi.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Per-operation tallies: successes and failures by error code.
#[derive(Default)]
struct Stats {
    ok: BTreeMap<&'static str, u32>,
    failed: BTreeMap<(&'static str, String), u32>,
}

impl Stats {
    fn ok(&self, op: &str) -> u32 {
        self.ok.get(op).copied().unwrap_or(0)
    }
}

struct Run {
    env: TestEnv,
    rng: Rng,
    traders: Vec<Trader>,
    /// USD; each market's current oracle price.
    price: BTreeMap<&'static str, f64>,
    stats: Stats,
    /// Makes every transaction distinct (no wait for a new blockhash).
    nonce: u32,
    minted: u64,
    /// Operation at which the operator restores normal trading.
    restore_at: Option<usize>,
}

impl Run {
    /// Sends `ixs` signed by `signers`; the harness checks the invariants.
    async fn send(&mut self, op: &'static str, ixs: &[Instruction], signers: &[usize]) -> bool {
        self.nonce += 1;
        let mut all = vec![compute_unit_limit_ix(1_400_000 - self.nonce % 1_000_000)];
        all.extend_from_slice(ixs);
        let kps: Vec<_> = signers.iter().map(|i| &self.traders[*i].kp).collect();
        let r = self.env.try_send(&all, &kps).await;
        self.check_reserved_quotes().await;
        match r {
            Ok(_) => {
                *self.stats.ok.entry(op).or_default() += 1;
                true
            }
            Err(e) => {
                let why = e.code().map(describe).unwrap_or_else(|| e.to_string());
                if std::env::var_os("BULWARK_FUZZ_VERBOSE").is_some() {
                    println!("#{} {op} failed: {why}", self.nonce);
                }
                *self.stats.failed.entry((op, why)).or_default() += 1;
                false
            }
        }
    }

    /// Publishes every market's current price (fresh, conf 1 bp; sometimes
    /// one of ETH's feeds strays) and refreshes both markets in one
    /// transaction.
    async fn publish_and_refresh(&mut self) {
        for m in [BTC, ETH] {
            let px = self.price[m];
            let feeds = self.env.feeds(m);
            for (i, f) in feeds.iter().enumerate() {
                let stray = m == ETH && i == 0 && self.rng.chance(10);
                let p = if stray { px * 1.05 } else { px };
                self.env.set_oracle_price(f, p, px * 1e-4).await;
            }
        }
        let ixs = [self.env.refresh_ix(BTC), self.env.refresh_ix(ETH)];
        self.send("refresh", &ixs, &[]).await;
    }

    /// The seat `owner`'s instructions in `m` name: its own, else the first
    /// free one (not its own: the program refuses with `WrongSeatIndex`,
    /// as it refused a seatless owner before seats were named by index).
    async fn seat_ix(&mut self, m: &str, owner: &Pubkey) -> u32 {
        let key = self.env.market(m);
        self.env.deposit_seat_ix(&key, owner).await
    }

    fn market_name(&mut self) -> &'static str {
        if self.rng.chance(70) {
            BTC
        } else {
            ETH
        }
    }

    async fn place(&mut self) {
        let m = self.market_name();
        let t = self.rng.below(TRADERS as u64) as usize;
        let h = self.env.market_header(m).await;
        let (index, tick) = (h.state.index_price, h.config.tick_size);
        let r = &mut self.rng;
        let side = if r.chance(50) { Side::Bid } else { Side::Ask };
        let order_type = *r.pick(&[
            OrderType::Limit,
            OrderType::Limit,
            OrderType::Limit,
            OrderType::PostOnly,
            OrderType::ImmediateOrCancel,
            OrderType::ImmediateOrCancel,
            OrderType::Market,
            OrderType::FillOrKill,
        ]);
        // Mostly within ±0.3 % of the index, on the tick; sometimes out of
        // the ±5 % band or off the tick.
        let width = if r.chance(5) { 700 } else { 30 }; // in 1e-4 of the index
        let span = (index as u128 * width / 10_000) as i64 / tick as i64;
        let ticks = index as i64 / tick as i64 + r.range(-span, span);
        let mut price = (ticks.max(1) as u64) * tick;
        if r.chance(2) {
            price += 1;
        }
        let lots = match r.below(100) {
            0..=1 => 0,
            2 => 500_001,
            3..=40 => r.range(1, 20) as u64,
            41..=80 => r.range(20, 500) as u64,
            _ => r.range(500, 4_000) as u64,
        };
        let now = self.env.now().await;
        let r = &mut self.rng;
        let expiry_ts = match r.below(100) {
            0..=9 => now + r.range(1, 60),
            10 => now,
            _ => 0,
        };
        let p = OrderParams {
            side,
            order_type,
            price,
            lots,
            client_order_id: r.below(6),
            expiry_ts,
            reduce_only: r.chance(10),
        };
        let (owner, key) = (self.traders[t].key(), self.env.market(m));
        let seat = self.seat_ix(m, &owner).await;
        let ix = ix::place_order(&owner, &key, seat, p);
        self.send("place", &[ix], &[t]).await;
    }

    async fn cancel(&mut self) {
        let m = self.market_name();
        let key = self.env.market(m);
        let t = self.rng.below(TRADERS as u64) as usize;
        let owner = self.traders[t].key();
        let seat = self.seat_ix(m, &owner).await;
        // Every resting order: (id, client id, owner).
        let orders = self
            .env
            .with_market(&key, |mk| {
                let n = (mk.header.num_bids as usize, mk.header.num_asks as usize);
                mk.bids[..n.0]
                    .iter()
                    .chain(&mk.asks[..n.1])
                    .map(|o| {
                        let owner = mk.seats[o.seat as usize].owner;
                        (o.order_id, o.client_order_id, owner)
                    })
                    .collect::<Vec<_>>()
            })
            .await;
        let own: Vec<(u64, u64)> = orders
            .iter()
            .filter(|o| o.2 == owner)
            .map(|o| (o.0, o.1))
            .collect();
        let ix = match self.rng.below(10) {
            // Mostly one of the trader's own orders, else anyone's.
            0..=5 => {
                let id = if !own.is_empty() && self.rng.chance(80) {
                    self.rng.pick(&own).0
                } else if !orders.is_empty() {
                    self.rng.pick(&orders).0
                } else {
                    self.rng.range(1, 50) as u64
                };
                ix::cancel_order(&owner, &key, seat, id)
            }
            6..=8 => {
                let client = if !own.is_empty() && self.rng.chance(70) {
                    self.rng.pick(&own).1
                } else {
                    self.rng.below(6)
                };
                ix::cancel_order_by_client_id(&owner, &key, seat, client)
            }
            _ => ix::cancel_all_orders(&owner, &key, seat),
        };
        self.send("cancel", &[ix], &[t]).await;
    }

    async fn move_collateral(&mut self) {
        let m = self.market_name();
        let t = self.rng.below(TRADERS as u64) as usize;
        let tr = &self.traders[t];
        let (owner, token, market) = (tr.key(), tr.token, self.env.market(m));
        let seat = self.seat_ix(m, &owner).await;
        if self.rng.chance(45) {
            let amount = usd(self.rng.range(1, 5_000) as f64);
            let d = ix::deposit(&owner, &market, seat, &token, amount);
            self.send("deposit", &[d], &[t]).await;
        } else {
            // Up to 120 % of the collateral: many are above free collateral.
            let c = self.env.seat_collateral(m, &owner).await.max(1_000_000);
            let amount = self.rng.range(1, c + c / 5) as u64;
            let w = ix::withdraw(&owner, &market, seat, &token, amount);
            self.send("withdraw", &[w], &[t]).await;
        }
    }

    async fn move_price(&mut self) {
        let m = self.market_name();
        let initial = if m == BTC {
            BTC_PRICE_USD
        } else {
            ETH_PRICE_USD
        };
        let step = self.rng.range(-60, 60) as f64 / 10_000.0;
        let p = (self.price[m] * (1.0 + step)).clamp(initial * 0.92, initial * 1.08);
        // Whole cents, as a feed would publish.
        self.price.insert(m, (p * 100.0).round() / 100.0);
        let secs = self.rng.range(0, 20);
        self.env.advance_time(secs).await;
        self.publish_and_refresh().await;
    }

    async fn funding(&mut self) {
        let m = self.market_name();
        let secs = *self.rng.pick(&[0, 900, 1_800, 3_600, 3_600]);
        self.env.advance_time(secs).await;
        // Every index is stale after a long jump: refresh first.
        self.publish_and_refresh().await;
        let f = ix::update_funding(&self.env.market(m));
        self.send("update_funding", &[f], &[]).await;
    }

    /// A sweep moves exactly the unswept amounts, or fails with nothing.
    async fn sweep(&mut self) {
        let m = self.market_name();
        let s0 = self.env.market_header(m).await.state;
        let (ins_vault, treasury) = (ix::insurance_vault_pda(), self.env.dep.treasury);
        let ins0 = self.env.token_balance(&ins_vault).await;
        let tre0 = self.env.token_balance(&treasury).await;
        let fund0 = self.env.insurance_fund().await;
        let s = ix::sweep_fees(&self.env.market(m), &treasury);
        let swept = self.send("sweep", &[s], &[]).await;
        assert_eq!(
            swept,
            s0.unswept_insurance_fees + s0.unswept_treasury_fees > 0,
            "a sweep succeeds exactly when there is something to sweep ({m}: {s0:?}; {:?})",
            self.stats
                .failed
                .keys()
                .filter(|k| k.0 == "sweep")
                .collect::<Vec<_>>()
        );
        if swept {
            let (i, t) = (s0.unswept_insurance_fees, s0.unswept_treasury_fees);
            assert_eq!(self.env.token_balance(&ins_vault).await, ins0 + i);
            assert_eq!(self.env.token_balance(&treasury).await, tre0 + t);
            let fund = self.env.insurance_fund().await;
            assert_eq!(fund.inflows[0], fund0.inflows[0] + i);
            assert_eq!(fund.ledger_seq, fund0.ledger_seq + u64::from(i > 0));
        }
    }

    /// The operator pauses trading, or sets a market reduce-only or paused,
    /// for a few operations, then restores normal trading.
    async fn operator(&mut self, op: usize) {
        let admin = self.env.admin();
        let ix = if self.rng.chance(70) {
            let m = self.market_name();
            let status = if self.rng.chance(60) {
                MarketStatus::ReduceOnly
            } else {
                MarketStatus::Paused
            };
            ix::set_market_status(&admin, &self.env.market(m), status)
        } else {
            ix::set_exchange_pause(&admin, pause::TRADING)
        };
        if self.send("operator", &[ix], &[]).await {
            self.restore_at = Some(op + self.rng.range(2, 20) as usize);
        }
    }

    async fn restore(&mut self) {
        let admin = self.env.admin();
        let mut ixs = vec![ix::set_exchange_pause(&admin, 0)];
        for m in [BTC, ETH] {
            let key = self.env.market(m);
            ixs.push(ix::set_market_status(&admin, &key, MarketStatus::Active));
        }
        assert!(self.send("operator", &ixs, &[]).await);
        self.restore_at = None;
    }

    /// Each seat's reserved quote equals Σ of its resting orders' rounded-up
    /// reservations (the harness's checker compares lots and counts only).
    async fn check_reserved_quotes(&mut self) {
        for m in [BTC, ETH] {
            let key = self.env.market(m);
            let bad = self
                .env
                .with_market(&key, |mk| {
                    let lpu = mk.header.config.base_lots_per_unit;
                    let n = (mk.header.num_bids as usize, mk.header.num_asks as usize);
                    let mut q = vec![(0u64, 0u64); mk.seats.len()];
                    for o in &mk.bids[..n.0] {
                        q[o.seat as usize].0 += reserved_quote(o.price, o.lots, lpu).unwrap();
                    }
                    for o in &mk.asks[..n.1] {
                        q[o.seat as usize].1 += reserved_quote(o.price, o.lots, lpu).unwrap();
                    }
                    mk.seats
                        .iter()
                        .zip(q)
                        .enumerate()
                        .filter(|(_, (s, q))| (s.open_bid_quote, s.open_ask_quote) != *q)
                        .map(|(i, (s, q))| {
                            format!(
                                "seat {i}: reserved ({}, {}) != book {q:?}",
                                s.open_bid_quote, s.open_ask_quote
                            )
                        })
                        .collect::<Vec<_>>()
                })
                .await;
            assert!(bad.is_empty(), "{m}: {bad:?}");
        }
    }

    /// Tokens are neither created nor destroyed by the program: wallets,
    /// vaults, the insurance vault and the treasury hold what was minted.
    async fn check_conservation(&mut self) {
        let mut held = 0u64;
        for i in 0..TRADERS {
            let token = self.traders[i].token;
            held += self.env.token_balance(&token).await;
        }
        for m in [BTC, ETH] {
            held += self.env.vault_balance(m).await;
        }
        held += self.env.token_balance(&ix::insurance_vault_pda()).await;
        let treasury = self.env.dep.treasury;
        held += self.env.token_balance(&treasury).await;
        assert_eq!(held, self.minted, "tokens conserved");
    }
}

#[tokio::test]
async fn random_operations_keep_every_invariant() {
    let seed: u64 = env_or("BULWARK_FUZZ_SEED", DEFAULT_SEED);
    let ops: usize = env_or("BULWARK_FUZZ_OPS", DEFAULT_OPS);
    println!("seed {seed:#x}, {ops} operations");
    // BTC-PERP with a 0.001 USD tick: 1 lot at a price is then often a
    // fraction of an atom, so buyer and seller values differ by rounding.
    let cfg = CONFIG.replacen("tick_size_usd = 0.1", "tick_size_usd = 0.001", 1);
    let mut env = TestEnv::with_config(&cfg).await;
    let mut traders = Vec::new();
    for _ in 0..TRADERS {
        let t = env.new_trader(WALLET_USD).await;
        env.deposit(&t, BTC, usd(20_000.0)).await;
        env.deposit(&t, ETH, usd(10_000.0)).await;
        traders.push(t);
    }
    let mut run = Run {
        env,
        rng: Rng(seed),
        traders,
        price: [(BTC, BTC_PRICE_USD), (ETH, ETH_PRICE_USD)].into(),
        stats: Stats::default(),
        nonce: 0,
        minted: usd(WALLET_USD) * TRADERS as u64,
        restore_at: None,
    };
    let started = std::time::Instant::now();
    for i in 0..ops {
        if run.restore_at == Some(i) {
            run.restore().await;
        }
        match run.rng.below(100) {
            0..=51 => run.place().await,
            52..=63 => run.cancel().await,
            64..=74 => run.move_collateral().await,
            75..=87 => run.move_price().await,
            88..=90 => run.funding().await,
            91..=98 => run.sweep().await,
            _ if run.restore_at.is_none() => run.operator(i).await,
            _ => run.place().await,
        }
        if i % 100 == 99 {
            run.check_conservation().await;
        }
    }
    run.check_conservation().await;

    let mut fills = 0;
    for m in [BTC, ETH] {
        let h = run.env.market_header(m).await;
        println!(
            "{m}: {} fills, OI {} lots, fees {} atoms",
            h.state.fill_count, h.state.open_interest_lots, h.state.total_fees
        );
        fills += h.state.fill_count;
    }
    println!("ok: {:?}", run.stats.ok);
    for ((op, why), n) in &run.stats.failed {
        println!("failed {op}: {why} ×{n}");
    }
    println!("{:?} for {ops} operations", started.elapsed());
    // Not vacuous: the run traded, settled funding and moved fees.
    assert!(fills >= 100, "only {fills} fills");
    for op in ["place", "cancel", "deposit", "withdraw", "refresh", "sweep"] {
        assert!(run.stats.ok(op) >= 10, "too few successful {op}");
    }
    assert!(run.stats.ok("update_funding") >= 1);
}
