//! The benchmark's chain helpers, shared by `cu_bench` and
//! `scale_waterfall` (both include this file with `#[path]`): a program-test
//! chain bootstrapped from a TOML config, deterministic wallets, oracle
//! publishing, and a measured send that records an instruction's compute
//! units.

use anchor_lang::prelude::Pubkey;
use anchor_spl::token::spl_token;
use bulwark::engine::book::Side;
use bulwark::engine::trade::{OrderParams, OrderType};
use bulwark::state::{InsuranceFund, Market, MarketRef, Seat};
use bulwark_app::bootstrap::{bootstrap, set_oracle, Deployment};
use bulwark_app::config::{usd, BootstrapConfig};
use bulwark_app::pyth::PythPrice;
use bulwark_app::{invariants, ix, EmbeddedChain, TxError, TxOk};
use solana_account::Account;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_signer::Signer;
use std::collections::HashMap;

/// Solana's compute-unit limit per transaction.
pub const TX_CU_LIMIT: u64 = 1_400_000;

/// Base lots per BTC in [`market_toml`].
pub const LOTS_PER_BTC: u64 = 10_000;
pub const START_PRICE: f64 = 65_000.0;

/// Lamports every benchmark wallet holds: a claimed seat costs its owner
/// 890,880 lamports of rent, so a wallet with 256 seats pays 0.23 SOL.
pub const WALLET_LAMPORTS: u64 = 100_000_000_000;

// ------------------------------------------------------------------ config

/// One market in the localnet shape (`migrations/localnet.toml`: five risk
/// tiers, partial liquidation from tier 2, 5 bps taker fee, 1 bp rebate).
pub fn market_toml(name: &str, seats: u32, book: u32, feed: &str, mode: &str) -> String {
    format!(
        r#"
[[markets]]
name = "{name}"
max_seats = {seats}
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

pub fn exchange_toml(markets: &[String]) -> String {
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

// ------------------------------------------------------------------ report

pub struct Row {
    /// Unique per measurement.
    pub key: String,
    /// The entry of the budget table this row is checked against.
    pub budget: &'static str,
    pub label: String,
    pub cu: u64,
    /// Compute units of the programs it invoked (its CPIs), from the
    /// transaction logs: (program id, CU), in order.
    pub inner: Vec<(String, u64)>,
}

#[derive(Default)]
pub struct Report {
    pub rows: Vec<Row>,
}

impl Report {
    pub fn cu(&self, key: &str) -> u64 {
        self.rows
            .iter()
            .find(|r| r.key == key)
            .unwrap_or_else(|| panic!("no row {key}"))
            .cu
    }
}

pub fn thousands(n: u64) -> String {
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

// ------------------------------------------------------------------ orders

pub fn op(side: Side, order_type: OrderType, price_usd: f64, lots: u64) -> OrderParams {
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

pub fn limit(side: Side, price_usd: f64, lots: u64) -> OrderParams {
    op(side, OrderType::Limit, price_usd, lots)
}

pub fn ioc(side: Side, price_usd: f64, lots: u64) -> OrderParams {
    op(side, OrderType::ImmediateOrCancel, price_usd, lots)
}

/// The compute units the program's top-level invocation logged (the last
/// "consumed" line of the program: nested self-CPIs log theirs first).
/// The compute units of every program invoked by another (depth ≥ 2), from
/// the runtime's `Program <id> invoke [n]` / `consumed N of M` / `success`
/// log lines: (program id, CU), in order. Builtins (System) log no
/// `consumed` line and do not appear.
pub fn inner_units(logs: &[String]) -> Vec<(String, u64)> {
    let mut stack: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for l in logs {
        let Some(rest) = l.strip_prefix("Program ") else {
            continue;
        };
        let mut words = rest.split(' ');
        let id = words.next().unwrap_or_default();
        match words.next() {
            Some("invoke") => stack.push(id.to_string()),
            Some("consumed") if stack.len() >= 2 => {
                if let Some(n) = words.next().and_then(|n| n.parse().ok()) {
                    out.push((id.to_string(), n));
                }
            }
            Some("success") | Some("failed:") => {
                stack.pop();
            }
            _ => {}
        }
    }
    out
}

pub fn logged_units(logs: &[String]) -> Option<u64> {
    let prefix = format!("Program {} consumed ", bulwark::ID);
    logs.iter()
        .rev()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
}

// ------------------------------------------------------------------ chain

pub struct Trader {
    pub kp: Keypair,
    pub token: Pubkey,
}

impl Trader {
    pub fn key(&self) -> Pubkey {
        self.kp.pubkey()
    }
}

pub struct Bench {
    pub chain: EmbeddedChain,
    pub dep: Deployment,
    /// USD price each market's feed is set to.
    pub price: HashMap<Pubkey, f64>,
    pub token_rent: u64,
    /// Collateral written into token accounts and not yet added to the
    /// mint's supply.
    pub unminted: u64,
    /// Deterministic keypairs: fixed keys make PDA bump searches, and so
    /// the compute units, repeat exactly from run to run.
    pub next_key: u64,
    pub txs: u64,
}

impl Bench {
    pub async fn start(toml: &str, cu_limit: u64, key_base: u64) -> Self {
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

    pub fn market(&self, name: &str) -> Pubkey {
        self.dep.market(name).key
    }

    /// Sends a transaction, renewing an expired blockhash.
    pub async fn send(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<TxOk, TxError> {
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
    pub fn must<'a>(
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

    /// Sends a transaction that must fail with program error `code`.
    #[track_caller]
    pub fn must_fail<'a>(
        &'a mut self,
        what: &'a str,
        ixs: &'a [Instruction],
        signers: &'a [&'a Keypair],
        code: bulwark::error::ErrorCode,
    ) -> impl std::future::Future<Output = ()> + 'a {
        let caller = std::panic::Location::caller();
        async move {
            let want = u32::from(code);
            match self.send(ixs, signers).await {
                Err(TxError::Custom { code, .. }) if code == want => {}
                other => panic!("{caller}: '{what}' should fail with {code:?}: {other:?}"),
            }
        }
    }

    /// Sends `ix` alone and records its compute units under `key`, checked
    /// against the budget `budget` (`key` itself for a row measured once);
    /// fails loudly if it errors.
    pub async fn measure_as(
        &mut self,
        report: &mut Report,
        (key, budget): (String, &'static str),
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
            budget,
            label: label.to_string(),
            cu: ok.compute_units,
            inner: inner_units(&ok.logs),
        });
        ok
    }

    /// [`Bench::measure_as`] for a row measured once (its key is its budget's).
    pub async fn measure(
        &mut self,
        report: &mut Report,
        key: &'static str,
        label: &str,
        ix: Instruction,
        signers: &[&Keypair],
    ) -> TxOk {
        self.measure_as(report, (key.to_string(), key), label, ix, signers)
            .await
    }

    pub fn keypair(&mut self) -> Keypair {
        self.next_key += 1;
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&self.next_key.to_le_bytes());
        seed[8..16].copy_from_slice(b"cu-bench");
        Keypair::new_from_array(seed)
    }

    /// A wallet holding [`WALLET_LAMPORTS`] (the chain's payer pays every
    /// fee; the wallet pays the rent of the seats it claims) and a
    /// collateral token account holding `wallet_usd`, both written directly
    /// into the chain.
    pub fn trader(&mut self, wallet_usd: f64) -> Trader {
        self.trader_atoms(usd(wallet_usd))
    }

    /// [`Bench::trader`] with `amount` quote atoms.
    pub fn trader_atoms(&mut self, amount: u64) -> Trader {
        let kp = self.keypair();
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
        self.chain.set_account(
            &kp.pubkey(),
            Account {
                lamports: WALLET_LAMPORTS,
                data: vec![],
                owner: Pubkey::default(),
                executable: false,
                rent_epoch: 0,
            },
        );
        self.unminted += amount;
        Trader { kp, token }
    }

    /// Adds the collateral written into token accounts to the mint's supply.
    pub async fn sync_supply(&mut self) {
        if self.unminted == 0 {
            return;
        }
        self.add_supply(self.unminted as i128).await;
        self.unminted = 0;
    }

    /// Adds `delta` quote atoms to the mint's supply.
    pub async fn add_supply(&mut self, delta: i128) {
        let mint = self.dep.collateral_mint;
        let mut a = self.chain.account(&mint).await.expect("mint");
        let supply = u64::from_le_bytes(a.data[36..44].try_into().unwrap());
        let supply = u64::try_from(supply as i128 + delta).expect("mint supply");
        a.data[36..44].copy_from_slice(&supply.to_le_bytes());
        self.chain.set_account(&mint, a);
    }

    /// A deposit by `t` naming its seat, else the next one at the end of
    /// the table (which the deposit adds).
    pub async fn deposit_ix(&mut self, m: &Pubkey, t: &Trader, usd_amount: f64) -> Instruction {
        let seat = bulwark_app::client::deposit_seat_on(&mut self.chain, m, &t.key())
            .await
            .expect("room for a seat");
        ix::deposit(&t.key(), m, seat, &t.token, usd(usd_amount))
    }

    /// The next `n` seat indices a claim takes: the table holds no free
    /// seat (a freed seat is swap-removed), so claims grow it at its end,
    /// and several claims in one transaction name consecutive indices.
    pub async fn next_seats(&mut self, m: &Pubkey, n: usize) -> Vec<u32> {
        let count = self.header(m).await.seat_count;
        (count..count + n as u32).collect()
    }

    /// `owner`'s seat index (every seat instruction names it).
    pub async fn ix_of(&mut self, m: &Pubkey, owner: &Pubkey) -> u32 {
        self.seat(m, owner).await.0 as u32
    }

    /// A trader with `usd_amount` deposited in market `m`.
    pub async fn funded(&mut self, m: &Pubkey, usd_amount: f64) -> Trader {
        let t = self.trader(usd_amount);
        let d = self.deposit_ix(m, &t, usd_amount).await;
        self.must("deposit", &[d], &[&t.kp]).await;
        t
    }

    pub async fn place(&mut self, m: &Pubkey, t: &Trader, p: OrderParams) {
        let seat = self.ix_of(m, &t.key()).await;
        let i = ix::place_order(&t.key(), m, seat, p);
        self.must("place_order", &[i], &[&t.kp]).await;
    }

    pub async fn cancel_all(&mut self, m: &Pubkey, t: &Trader) {
        let seat = self.ix_of(m, &t.key()).await;
        let i = ix::cancel_all_orders(&t.key(), m, seat);
        self.must("cancel_all_orders", &[i], &[&t.kp]).await;
    }

    pub fn feeds(&self, m: &Pubkey) -> Vec<Pubkey> {
        self.dep
            .markets
            .iter()
            .find(|d| d.key == *m)
            .expect("market")
            .feeds
            .clone()
    }

    /// Publishes the market's price (conf 1 bp) at the chain's time.
    pub async fn publish(&mut self, m: &Pubkey) {
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

    pub fn refresh_ix(&self, m: &Pubkey) -> Instruction {
        ix::refresh_prices(m, &self.feeds(m))
    }

    /// Fresh oracle price and index (orders and the waterfall need one).
    pub async fn fresh(&mut self, m: &Pubkey) {
        self.publish(m).await;
        let r = self.refresh_ix(m);
        self.must("refresh_prices", &[r], &[]).await;
    }

    /// Moves the oracle to `price_usd` and refreshes the index.
    pub async fn set_index(&mut self, m: &Pubkey, price_usd: f64) {
        self.price.insert(*m, price_usd);
        self.fresh(m).await;
    }

    /// Lets the mark converge: with the book's impact mid at the index (or
    /// no depth: a zero basis sample), a refresh one EMA period later moves
    /// the basis average the whole way, up to the per-update cap
    /// (`mark_max_move_bps`): a few refreshes set the mark to the index.
    pub async fn settle_mark(&mut self, m: &Pubkey) {
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

    pub async fn header(&mut self, m: &Pubkey) -> Market {
        let data = self.chain.account_data(m).await;
        let r = MarketRef::from_bytes(&data).expect("market decodes");
        *r.header
    }

    pub async fn seats(&mut self, m: &Pubkey) -> Vec<Seat> {
        let data = self.chain.account_data(m).await;
        let r = MarketRef::from_bytes(&data).expect("market decodes");
        r.seats.to_vec()
    }

    /// The seat at `index` (no scan: large tables).
    pub async fn seat_at(&mut self, m: &Pubkey, index: u32) -> Seat {
        let data = self.chain.account_data(m).await;
        let r = MarketRef::from_bytes(&data).expect("market decodes");
        r.seats[index as usize]
    }

    pub async fn seat(&mut self, m: &Pubkey, owner: &Pubkey) -> (usize, Seat) {
        self.seats(m)
            .await
            .into_iter()
            .enumerate()
            .find(|(_, s)| s.owner == *owner)
            .expect("trader has a seat")
    }

    pub async fn insurance(&mut self) -> InsuranceFund {
        let data = self.chain.account_data(&ix::insurance_pda()).await;
        bytemuck::pod_read_unaligned(&data[8..8 + core::mem::size_of::<InsuranceFund>()])
    }

    /// The harness's invariant checker (`bulwark_app::invariants`) over
    /// every market and the insurance fund; panics on a violation.
    pub async fn check_invariants(&mut self) {
        self.sync_supply().await;
        let markets: Vec<Pubkey> = self.dep.markets.iter().map(|m| m.key).collect();
        let v = invariants::check_all(&mut self.chain, &markets).await;
        assert!(v.is_empty(), "invariants violated: {v:#?}");
    }
}
