//! Shared setup for the waterfall tests: a one-market config written as
//! TOML (so every waterfall parameter is explicit), event decoding, staking
//! helpers and the "gap" scenario used by several tests.

use anchor_lang::prelude::Pubkey;
use anchor_lang::{AnchorDeserialize, Discriminator};
use bulwark::engine::book::Side::{Ask, Bid};
use bulwark::state::{InsuranceLedger, InsuranceLedgerEntry, InsuranceStake, Seat};
use bulwark_app::config::usd;
use bulwark_app::ix;
use bulwark_app::TxError;
use bulwark_tests::{describe, ioc, limit, TestEnv, Trader};
use solana_instruction::Instruction;
use solana_keypair::Keypair;

/// The market every waterfall test trades in.
pub const MKT: &str = "WF-PERP";

/// seconds; the insurance fund's default unstake cooldown (7 days).
pub const COOLDOWN_SECS: i64 = bulwark::state::DEFAULT_UNSTAKE_COOLDOWN_SECS;

/// USD as signed quote atoms.
pub fn atoms(usd_amount: f64) -> i64 {
    usd(usd_amount) as i64
}

/// One market's parameters, written out as the bootstrap TOML.
#[derive(Clone, Debug)]
pub struct MarketToml {
    pub price_usd: f64,
    pub lots_per_unit: u64,
    pub tick_usd: f64,
    /// (max notional USD, initial margin ppm, maintenance margin ppm).
    pub tiers: Vec<(u64, u32, u32)>,
    pub taker_fee_ppm: i32,
    pub maker_fee_ppm: i32,
    pub liquidation_fee_ppm: u32,
    pub keeper_share_ppm: u32,
    pub takeover_discount_ppm: u32,
    pub cover_cap_usd: u64,
    pub partial_tier: u8,
    pub mode: &'static str,
    pub max_order_lots: u64,
    pub max_seats: u32,
    pub book_capacity: u32,
}

impl MarketToml {
    /// The engine scenario tests' market (`engine/waterfall_tests.rs`):
    /// price 100 USD, 100 lots per unit, no trading fees, IM 5 % / MM 2.5 %
    /// up to 100 000 USD notional (10 % / 5 % above), liquidation fee 1 %
    /// split half to the keeper, takeover half-way from mark to bankruptcy
    /// price, insurance cover up to 1 000 000 USD a day, whole closes only
    /// (partial tier 2 is above the last tier index), ADL.
    pub fn base() -> Self {
        Self {
            price_usd: 100.0,
            lots_per_unit: 100,
            tick_usd: 0.001,
            tiers: vec![(100_000, 50_000, 25_000), (1_000_000_000, 100_000, 50_000)],
            taker_fee_ppm: 0,
            maker_fee_ppm: 0,
            liquidation_fee_ppm: 10_000,
            keeper_share_ppm: 500_000,
            takeover_discount_ppm: 500_000,
            cover_cap_usd: 1_000_000,
            partial_tier: 2,
            mode: "adl",
            max_order_lots: 1_000_000,
            max_seats: 16,
            book_capacity: 16,
        }
    }

    pub fn socialized() -> Self {
        Self {
            mode: "socialized",
            ..Self::base()
        }
    }

    pub fn toml(&self) -> String {
        let mut s = format!(
            r#"
[exchange]
timelock_secs = 3600
pyth_program = "FsJ3A3u2vn5cTVofAjvy6y5kwABJAqYWpe4975bi2epH"

[[markets]]
name = "{MKT}"
max_seats = {seats}
book_capacity = {book}
tick_size_usd = {tick}
base_lots_per_unit = {lpu}
min_order_lots = 1
max_order_lots = {max_order}
position_limit_lots = 10000000
open_interest_cap_lots = 100000000
taker_fee_ppm = {taker}
maker_fee_ppm = {maker}
insurance_fee_share_ppm = 500000
liquidation_fee_ppm = {liq}
keeper_liquidation_share_ppm = {keeper}
price_band_bps = 500
funding_interval_secs = 3600
funding_cap_ppm = 1000
mark_ema_secs = 300
takeover_discount_ppm = {takeover}
insurance_cover_cap_usd = {cap}
insurance_cover_period_secs = 86400
partial_liquidation_tier = {partial}
waterfall_mode = "{mode}"

[markets.oracle]
min_feeds = 1
max_staleness_secs = 60
max_conf_bps = 100
max_deviation_bps = 200
feeds = [{{ name = "wf-feed", initial_price_usd = {price}, conf_usd = {conf} }}]
"#,
            seats = self.max_seats,
            book = self.book_capacity,
            tick = self.tick_usd,
            lpu = self.lots_per_unit,
            max_order = self.max_order_lots,
            taker = self.taker_fee_ppm,
            maker = self.maker_fee_ppm,
            liq = self.liquidation_fee_ppm,
            keeper = self.keeper_share_ppm,
            takeover = self.takeover_discount_ppm,
            cap = self.cover_cap_usd,
            partial = self.partial_tier,
            mode = self.mode,
            price = self.price_usd,
            conf = self.price_usd * 1e-4,
        );
        for (max, im, mm) in &self.tiers {
            s.push_str(&format!(
                "\n[[markets.tiers]]\nmax_notional_usd = {max}\ninitial_margin_ppm = {im}\nmaint_margin_ppm = {mm}\n"
            ));
        }
        s
    }

    pub async fn env(&self) -> TestEnv {
        TestEnv::with_config(&self.toml()).await
    }
}

// ---- sending ----

/// Sends a transaction that must succeed and returns its `emit_cpi!`
/// events (discriminator + Borsh); the invariants are checked after it.
pub async fn send_events(
    env: &mut TestEnv,
    ixs: &[Instruction],
    signers: &[&Keypair],
) -> Vec<Vec<u8>> {
    // program-test's blockhash expires after about a second of wall time:
    // a transaction refused for that was not processed, so send it again
    // under a fresh one.
    let mut r = env.chain.send_with_events(ixs, signers).await;
    if matches!(&r, Err(TxError::Other(s)) if s.contains("BlockhashNotFound")) {
        env.chain
            .refresh_blockhash()
            .await
            .expect("a fresh blockhash");
        r = env.chain.send_with_events(ixs, signers).await;
    }
    env.check_invariants().await;
    match r {
        Ok((_, events)) => events,
        Err(e) => panic!(
            "transaction failed: {e}{}",
            e.code()
                .map(|c| format!(" = {}", describe(c)))
                .unwrap_or_default()
        ),
    }
}

/// Every event of type `T` in `events`, in emission order.
pub fn decode<T: AnchorDeserialize + Discriminator>(events: &[Vec<u8>]) -> Vec<T> {
    events
        .iter()
        .filter(|e| e.len() >= 8 && &e[..8] == T::DISCRIMINATOR)
        .map(|e| T::deserialize(&mut &e[8..]).expect("event decodes"))
        .collect()
}

/// The single event of type `T` in `events`.
pub fn one<T: AnchorDeserialize + Discriminator>(events: &[Vec<u8>]) -> T {
    let mut v = decode::<T>(events);
    assert_eq!(
        v.len(),
        1,
        "exactly one {} event",
        std::any::type_name::<T>()
    );
    v.remove(0)
}

// ---- trading and prices ----

/// Sets the feed to a fresh `price_usd` and refreshes the index. The chain
/// clock does not move on its own, so the basis average keeps its value (0)
/// and the mark equals the new index.
pub async fn move_price(env: &mut TestEnv, price_usd: f64) {
    env.set_market_price(MKT, price_usd).await;
    env.refresh(MKT).await;
    let s = env.market_header(MKT).await.state;
    assert_eq!(s.index_price, usd(price_usd));
    assert_eq!(s.mark_price, usd(price_usd), "mark follows the index");
}

/// `maker` rests an ask, `taker` lifts it with an IOC bid: `taker` goes
/// long `lots`, `maker` short.
pub async fn trade(env: &mut TestEnv, taker: &Trader, maker: &Trader, price_usd: f64, lots: u64) {
    env.place(maker, MKT, limit(Ask, price_usd, lots)).await;
    env.place(taker, MKT, ioc(Bid, price_usd, lots)).await;
}

pub async fn seat(env: &mut TestEnv, t: &Trader) -> Seat {
    env.seat_of(MKT, &t.key()).await
}

/// (base lots, entry cost, collateral) of `t`'s seat.
pub async fn position(env: &mut TestEnv, t: &Trader) -> (i64, i64, i64) {
    let s = seat(env, t).await;
    (s.base_lots, s.entry_cost, s.collateral)
}

/// `owner`'s seat index in the waterfall market, as the harness finds it
/// (every seat instruction names its seat); panics if it has none.
pub async fn seat_ix(env: &mut TestEnv, owner: &Pubkey) -> u32 {
    env.seat_ix_in(MKT, owner).await
}

/// Index of `owner`'s seat in the seat table (scanned here, independently
/// of the harness).
pub async fn seat_index(env: &mut TestEnv, owner: &Pubkey) -> usize {
    let key = env.market(MKT);
    env.with_market(&key, |m| m.seats.iter().position(|s| s.owner == *owner))
        .await
        .expect("trader has a seat")
}

// ---- insurance ----

/// `t` stakes `amount` quote atoms for itself; returns the events.
pub async fn stake(env: &mut TestEnv, t: &Trader, amount: u64) -> Vec<Vec<u8>> {
    let i = ix::stake(&t.key(), &t.key(), &t.token, amount, 0);
    send_events(env, &[i], &[&t.kp]).await
}

/// The stake record of `owner` (None before its first stake).
pub async fn stake_record(env: &mut TestEnv, owner: &Pubkey) -> Option<InsuranceStake> {
    let data = env.chain.account_data(&ix::stake_pda(owner)).await;
    if data.len() < InsuranceStake::SPACE {
        return None;
    }
    assert_eq!(&data[..8], InsuranceStake::DISCRIMINATOR);
    Some(bytemuck::pod_read_unaligned(
        &data[8..8 + core::mem::size_of::<InsuranceStake>()],
    ))
}

/// The ring buffer's entry of sequence number `seq`.
pub async fn ledger_entry(env: &mut TestEnv, seq: u64) -> InsuranceLedgerEntry {
    let data = env.chain.account_data(&ix::insurance_ledger_pda()).await;
    assert_eq!(&data[..8], InsuranceLedger::DISCRIMINATOR);
    let l: Box<InsuranceLedger> = Box::new(bytemuck::pod_read_unaligned(
        &data[8..8 + core::mem::size_of::<InsuranceLedger>()],
    ));
    let r = l.entries[(seq as usize) % bulwark::state::LEDGER_CAPACITY];
    assert_eq!(r.seq, seq, "ring slot holds the entry");
    r.entry()
}

pub async fn insurance_vault_balance(env: &mut TestEnv) -> u64 {
    env.token_balance(&ix::insurance_vault_pda()).await
}

// ---- the gap scenario ----

/// The participants of [`gap_env`].
pub struct Gap {
    pub env: TestEnv,
    /// long 15 000 lots at 100, 1 000 USD: bankrupt at 90.
    pub a: Trader,
    /// short 12 000 lots at 100, 10 000 USD.
    pub b1: Trader,
    /// short 5 000 lots at 100, 1 000 USD (the highest ADL rank).
    pub b2: Trader,
    /// short 10 000 lots at 100, 50 000 USD (the lowest rank).
    pub b3: Trader,
    /// long 12 000 lots at 100, 20 000 USD.
    pub c: Trader,
    /// keeper with 5 000 USD and a resting bid of 15 000 lots at 92.
    pub k: Trader,
}

/// Deposits of [`gap_env`]'s traders, in the seat order of `order`
/// (indices into [a, b1, b2, b3, c, k]).
const GAP_DEPOSITS_USD: [f64; 6] = [1_000.0, 10_000.0, 1_000.0, 50_000.0, 20_000.0, 5_000.0];

/// Base market; the traders claim their seats in `order`. Positions are
/// opened at 100, `fund_usd` is staked into the insurance fund, the price
/// gaps to 90 and the keeper bids 15 000 lots at 92 (below A's bankruptcy
/// price, so the book cannot absorb A).
///
/// At 90: A's equity = 1 000 − 15 000 lots × 10 USD / 100 = −500 USD.
pub async fn gap_env(cfg: &MarketToml, order: [usize; 6], fund_usd: f64) -> Gap {
    let mut env = cfg.env().await;
    let mut slots: Vec<Option<Trader>> = Vec::new();
    for _ in 0..6 {
        slots.push(None);
    }
    for &i in &order {
        slots[i] = Some(env.funded_trader(MKT, GAP_DEPOSITS_USD[i]).await);
    }
    let mut it = slots.into_iter().map(|t| t.expect("every role deposits"));
    let (a, b1, b2, b3, c, k) = (
        it.next().unwrap(),
        it.next().unwrap(),
        it.next().unwrap(),
        it.next().unwrap(),
        it.next().unwrap(),
        it.next().unwrap(),
    );
    env.place(&b1, MKT, limit(Ask, 100.0, 12_000)).await;
    env.place(&b2, MKT, limit(Ask, 100.0, 5_000)).await;
    env.place(&b3, MKT, limit(Ask, 100.0, 10_000)).await;
    // A takes 12 000 from B1 and 3 000 from B2; C takes 2 000 from B2 and
    // 10 000 from B3. Every entry is at 100.
    env.place(&a, MKT, ioc(Bid, 100.0, 15_000)).await;
    env.place(&c, MKT, ioc(Bid, 100.0, 12_000)).await;
    if fund_usd > 0.0 {
        let s = env.new_trader(fund_usd).await;
        stake(&mut env, &s, usd(fund_usd)).await;
    }
    move_price(&mut env, 90.0).await;
    env.place(&k, MKT, limit(Bid, 92.0, 15_000)).await;
    assert_eq!(
        position(&mut env, &a).await,
        (15_000, atoms(15_000.0), atoms(1_000.0))
    );
    assert_eq!(
        position(&mut env, &b1).await,
        (-12_000, -atoms(12_000.0), atoms(10_000.0))
    );
    assert_eq!(
        position(&mut env, &b2).await,
        (-5_000, -atoms(5_000.0), atoms(1_000.0))
    );
    assert_eq!(
        position(&mut env, &b3).await,
        (-10_000, -atoms(10_000.0), atoms(50_000.0))
    );
    assert_eq!(
        position(&mut env, &c).await,
        (12_000, atoms(12_000.0), atoms(20_000.0))
    );
    Gap {
        env,
        a,
        b1,
        b2,
        b3,
        c,
        k,
    }
}

/// Seat order a, b1, b2, b3, c, k.
pub const IN_ORDER: [usize; 6] = [0, 1, 2, 3, 4, 5];
