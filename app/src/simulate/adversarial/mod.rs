//! `simulate --scenario adversarial`: attacks by colluding wallets, each
//! made of ordinary instructions, each on its own freshly bootstrapped
//! chain (the config's first market, with the overrides an attack needs).
//! Whether an attack was blocked is decided from chain state after the
//! attempt (balances, seat equity through the engine's margin functions,
//! the mark), not from whether an instruction failed; the program error
//! that stopped it, if any, is reported by name. Every invariant is checked
//! after every step, as in the other scenarios.

mod adl_round;
mod griefing;
mod insurance;
mod operator;
mod pause;
mod prefund;
mod trading;
mod waterfall;

use super::{err, AttackRecord, Sim};
use crate::bootstrap::{bootstrap, set_oracle};
use crate::chain::{EmbeddedChain, TxError};
use crate::config::{usd, BootstrapConfig};
use crate::ix;
use crate::pyth::PythPrice;
use anchor_lang::prelude::Pubkey;
use bulwark::engine::book::Side;
use bulwark::engine::margin;
use bulwark::engine::trade::{OrderParams, OrderType, PlaceOutcome};
use bulwark::state::{InsuranceFund, InsuranceStake, MarketRef, Seat};
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_signer::Signer;

/// The attacks, in the order they run.
pub const ATTACK_IDS: &[&str] = &[
    "self-trade-deficit",
    "cover-open-position",
    "mark-push",
    "partial-liq-zero-equity",
    "adl-creates-bankruptcy",
    "socialized-hits-losers",
    "stake-after-wipeout",
    "cover-cap-window",
    "stale-unstake-exit",
    "ledger-prefund",
    "seat-squat",
    "keeper-locked-out",
    "book-squat",
    "liquidation-compute-wall",
    "admin-margin-rug",
    "oracle-freeze",
    "init-frontrun",
    "pause-then-liquidate",
    "adl-round-dodge",
    "adl-round-freeze",
];

/// Index price every attack starts from (USD).
const START_USD: f64 = 65_000.0;
/// Seconds that make the last trade stale and let the mark's EMA take a
/// fresh sample whole (longer than the config's `mark_ema_secs`).
const SETTLE_SECS: i64 = 400;

/// What an attack reports.
pub(super) struct Verdict {
    blocked: bool,
    error: Option<String>,
    tried: String,
    outcome: String,
}

pub(super) async fn run(sim: &mut Sim, cfg: &BootstrapConfig) -> Result<(), String> {
    for id in ATTACK_IDS {
        sim.log(format!("=== attack {id} ==="));
        let r = match *id {
            "self-trade-deficit" => trading::self_trade_deficit(sim, cfg).await,
            "cover-open-position" => waterfall::cover_open_position(sim, cfg).await,
            "mark-push" => trading::mark_push(sim, cfg).await,
            "partial-liq-zero-equity" => trading::partial_liq_zero_equity(sim, cfg).await,
            "adl-creates-bankruptcy" => waterfall::adl_creates_bankruptcy(sim, cfg).await,
            "socialized-hits-losers" => waterfall::socialized_hits_losers(sim, cfg).await,
            "stake-after-wipeout" => insurance::stake_after_wipeout(sim, cfg).await,
            "cover-cap-window" => insurance::cover_cap_window(sim, cfg).await,
            "stale-unstake-exit" => insurance::stale_unstake_exit(sim, cfg).await,
            "ledger-prefund" => prefund::ledger_prefund(sim, cfg).await,
            "seat-squat" => griefing::seat_squat(sim, cfg).await,
            "keeper-locked-out" => griefing::keeper_locked_out(sim, cfg).await,
            "book-squat" => griefing::book_squat(sim, cfg).await,
            "liquidation-compute-wall" => griefing::liquidation_compute_wall(sim, cfg).await,
            "admin-margin-rug" => operator::admin_margin_rug(sim, cfg).await,
            "oracle-freeze" => operator::oracle_freeze(sim, cfg).await,
            "init-frontrun" => operator::init_frontrun(sim, cfg).await,
            "pause-then-liquidate" => pause::pause_then_liquidate(sim, cfg).await,
            "adl-round-dodge" => adl_round::adl_round_dodge(sim, cfg).await,
            "adl-round-freeze" => adl_round::adl_round_freeze(sim, cfg).await,
            other => Err(format!("unknown attack {other}")),
        };
        // A setup that no longer works is reported, not taken for a block.
        let v = r.unwrap_or_else(|e| Verdict {
            blocked: false,
            error: Some(format!("setup failed: {e}")),
            tried: "(setup did not complete)".into(),
            outcome: format!("setup failed: {e}"),
        });
        sim.log(format!("tried: {}", v.tried));
        sim.log(format!(
            "{}: {}{}",
            if v.blocked { "BLOCKED" } else { "SUCCEEDED" },
            v.outcome,
            v.error
                .as_ref()
                .map(|e| format!(" [{e}]"))
                .unwrap_or_default()
        ));
        sim.summary.attacks.push(AttackRecord {
            id: id.to_string(),
            blocked: v.blocked,
            error: v.error,
            tried: v.tried,
            outcome: v.outcome,
        });
    }
    Ok(())
}

/// The name of a program error code (from the committed IDL, as every
/// CLI command names it), else the number.
pub fn program_error_name(code: u32) -> String {
    crate::client::error_name(code)
        .map(|(name, _)| name)
        .unwrap_or_else(|| format!("custom error {code}"))
}

/// A failed transaction in a few words: the program error's name, or the
/// start of the runtime's message.
pub fn tx_error_name(e: &TxError) -> String {
    match e {
        TxError::Custom { code, .. } => program_error_name(*code),
        TxError::Other(s) => s.chars().take(120).collect(),
    }
}

fn code_name(code: Option<u32>) -> String {
    code.map(program_error_name)
        .unwrap_or_else(|| "rejected (no program error code)".into())
}

// --- chain setup ---------------------------------------------------------

/// A fresh embedded chain bootstrapped from `cfg` (the first market changed
/// by `tweak`), replacing the previous attack's; the index set to 65,000.
async fn fresh(
    sim: &mut Sim,
    cfg: &BootstrapConfig,
    tweak: impl FnOnce(&mut crate::config::MarketSpec),
) -> Result<(), String> {
    let mut cfg = cfg.clone();
    tweak(
        cfg.markets
            .first_mut()
            .ok_or("the config lists no market")?,
    );
    let mut chain = EmbeddedChain::start(vec![]).await;
    let dep = bootstrap(&mut chain, &cfg).await?;
    sim.chain = chain;
    sim.dep = dep;
    sim.traders.clear();
    sim.step += 1;
    sim.check().await;
    sim.set_price(START_USD, 10).await
}

/// Sets every feed of the market to `price_usd` at the chain's clock,
/// without refreshing the market.
async fn set_feeds(sim: &mut Sim, price_usd: f64) {
    let now = sim.chain.clock().await.unix_timestamp;
    let feeds = sim.dep.markets[0].feeds.clone();
    for f in &feeds {
        set_oracle(
            &mut sim.chain,
            &sim.dep,
            f,
            &PythPrice::usd(price_usd, price_usd * 2e-4, now),
        );
    }
}

/// A new step: the clock moves `secs` and the index is set to `price_usd`.
async fn price_step(sim: &mut Sim, price_usd: f64, secs: i64) -> Result<(), String> {
    sim.step += 1;
    sim.set_price(price_usd, secs).await?;
    sim.log(format!("index -> {price_usd:.2} USD (+{secs} s)"));
    Ok(())
}

/// A wallet with SOL and a token account holding `usd_amount` (no seat).
async fn wallet(sim: &mut Sim, usd_amount: f64) -> Result<(Keypair, Pubkey), String> {
    let kp = Keypair::new();
    let mint = sim.dep.collateral_mint;
    sim.chain
        .airdrop(&kp.pubkey(), 1_000_000_000)
        .await
        .map_err(err)?;
    let token = sim
        .chain
        .create_token_account(&mint, &kp.pubkey())
        .await
        .map_err(err)?;
    if usd_amount > 0.0 {
        sim.chain
            .mint_to(&mint, &token, usd(usd_amount))
            .await
            .map_err(err)?;
    }
    Ok((kp, token))
}

/// Sends a transaction signed by trader `signer` (or only by the payer),
/// checks the invariants, and names the error if it failed.
async fn send(sim: &mut Sim, ixs: &[Instruction], signer: Option<usize>) -> Result<(), String> {
    let kp = signer.map(|t| sim.traders[t].kp.insecure_clone());
    send_as(sim, ixs, kp.as_ref()).await
}

/// Like `send`, signed by any wallet.
async fn send_as(sim: &mut Sim, ixs: &[Instruction], kp: Option<&Keypair>) -> Result<(), String> {
    let signers: Vec<&Keypair> = kp.into_iter().collect();
    let r = sim.chain.send(ixs, &signers).await;
    sim.check().await;
    r.map(|_| ()).map_err(|e| tx_error_name(&e))
}

/// `refresh_prices` for the market (no signer).
fn refresh(sim: &Sim) -> Instruction {
    ix::refresh_prices(&sim.market(), &sim.dep.markets[0].feeds)
}

// --- reading the market -------------------------------------------------

/// Tick, lots per base unit, band and index of the market.
struct Mkt {
    tick: u64,
    lpu: u64,
    index: u64,
    mark: u64,
    band: (u64, u64),
}

async fn mkt(sim: &mut Sim) -> Result<Mkt, String> {
    let d = sim.market_data().await;
    let m = MarketRef::from_bytes(&d).map_err(err)?;
    let cfg = &m.header.config;
    let st = &m.header.state;
    Ok(Mkt {
        tick: cfg.tick_size,
        lpu: cfg.base_lots_per_unit,
        index: st.index_price,
        mark: st.mark_price,
        band: bulwark::engine::mark::band(cfg, st.index_price).map_err(err)?,
    })
}

/// Trader `t`'s seat.
async fn seat(sim: &mut Sim, t: usize) -> Result<Seat, String> {
    let owner = sim.traders[t].kp.pubkey();
    let d = sim.market_data().await;
    let m = MarketRef::from_bytes(&d).map_err(err)?;
    let i = bulwark::engine::collateral::seat_of(m.seats, &owner).map_err(err)?;
    Ok(m.seats[i])
}

/// Trader `t`'s equity (gains counted, charges owed included) and
/// maintenance health at the mark, in quote atoms, from the engine.
async fn equity_health(sim: &mut Sim, t: usize) -> Result<(i128, i128), String> {
    let owner = sim.traders[t].kp.pubkey();
    let d = sim.market_data().await;
    let m = MarketRef::from_bytes(&d).map_err(err)?;
    let i = bulwark::engine::collateral::seat_of(m.seats, &owner).map_err(err)?;
    let (cfg, st, s) = (&m.header.config, &m.header.state, &m.seats[i]);
    let price = margin::risk_price(st);
    let e = margin::equity(s, st, cfg.base_lots_per_unit, price, true).map_err(err)?;
    let h = margin::maint_health(cfg, st, s, price).map_err(err)?;
    Ok((e, h))
}

async fn equity(sim: &mut Sim, t: usize) -> Result<i128, String> {
    Ok(equity_health(sim, t).await?.0)
}

/// Equity of every trader, by trader index.
async fn all_equities(sim: &mut Sim) -> Result<Vec<i128>, String> {
    let mut v = Vec::new();
    for t in 0..sim.traders.len() {
        v.push(equity(sim, t).await?);
    }
    Ok(v)
}

async fn fund(sim: &mut Sim) -> Result<InsuranceFund, String> {
    sim.fund().await.ok_or_else(|| "no insurance fund".into())
}

async fn stake_record(sim: &mut Sim, owner: &Pubkey) -> Option<InsuranceStake> {
    let d = sim.chain.account_data(&ix::stake_pda(owner)).await;
    let n = core::mem::size_of::<InsuranceStake>();
    (d.len() >= 8 + n).then(|| bytemuck::pod_read_unaligned(&d[8..8 + n]))
}

// --- orders ---------------------------------------------------------------

/// USD per base unit to price units, on the tick (down, or up).
fn px(m: &Mkt, price_usd: f64, up: bool) -> u64 {
    let p = usd(price_usd);
    if up {
        p.div_ceil(m.tick) * m.tick
    } else {
        p / m.tick * m.tick
    }
}

fn lots(m: &Mkt, btc: f64) -> u64 {
    (btc * m.lpu as f64).round() as u64
}

/// Places an order through the engine-checked path; the error's name if
/// the program refused it.
async fn order(
    sim: &mut Sim,
    t: usize,
    side: Side,
    order_type: OrderType,
    price: u64,
    lots: u64,
    reduce_only: bool,
) -> Result<Result<PlaceOutcome, String>, String> {
    let params = OrderParams {
        side,
        order_type,
        price,
        lots,
        client_order_id: 0,
        expiry_ts: 0,
        reduce_only,
    };
    let r = sim.place(t, params).await?;
    let label = sim.traders[t].label.clone();
    let what = format!(
        "{label} {:?} {:?} {lots} lots @ {:.2}",
        order_type,
        side,
        price as f64 / 1e6
    );
    Ok(match r {
        Ok(o) => {
            sim.log(format!(
                "{what}: filled {} rested {}",
                o.filled_lots, o.rested_lots
            ));
            Ok(o)
        }
        Err(code) => {
            let name = code_name(code);
            sim.log(format!("{what}: rejected ({name})"));
            Err(name)
        }
    })
}

/// A post-only order that must rest (setup).
async fn post(sim: &mut Sim, t: usize, side: Side, price: u64, lots: u64) -> Result<(), String> {
    order(sim, t, side, OrderType::PostOnly, price, lots, false)
        .await?
        .map(|_| ())
        .map_err(|e| format!("{} post-only {lots} lots: {e}", sim.traders[t].label))
}

/// A maker rests `lots` at `price` and the taker crosses them at once
/// (setup): the taker's position opens at exactly `price`.
async fn cross(
    sim: &mut Sim,
    maker: usize,
    taker: usize,
    taker_side: Side,
    price: u64,
    lots: u64,
) -> Result<(), String> {
    let maker_side = match taker_side {
        Side::Bid => Side::Ask,
        Side::Ask => Side::Bid,
    };
    post(sim, maker, maker_side, price, lots).await?;
    let o = order(
        sim,
        taker,
        taker_side,
        OrderType::ImmediateOrCancel,
        price,
        lots,
        false,
    )
    .await?
    .map_err(|e| format!("{} opening: {e}", sim.traders[taker].label))?;
    if o.filled_lots != lots {
        return Err(format!(
            "{} filled {} of {lots} lots",
            sim.traders[taker].label, o.filled_lots
        ));
    }
    Ok(())
}

/// A market maker's two-sided quote around the index, `half_spread_usd`
/// from it, `lots` each side (setup).
async fn quote_around_index(
    sim: &mut Sim,
    mm: usize,
    half_spread_usd: f64,
    lots: u64,
) -> Result<(), String> {
    let m = mkt(sim).await?;
    let mid = m.index as f64 / 1e6;
    post(
        sim,
        mm,
        Side::Bid,
        px(&m, mid - half_spread_usd, false),
        lots,
    )
    .await?;
    post(
        sim,
        mm,
        Side::Ask,
        px(&m, mid + half_spread_usd, true),
        lots,
    )
    .await
}

async fn cancel_all(sim: &mut Sim, t: usize) -> Result<(), String> {
    let (owner, market) = (sim.traders[t].kp.pubkey(), sim.market());
    let seat = sim.seat(t).await?;
    send(
        sim,
        &[ix::cancel_all_orders(&owner, &market, seat)],
        Some(t),
    )
    .await
}

fn usd_of(atoms: i128) -> f64 {
    atoms as f64 / 1e6
}
