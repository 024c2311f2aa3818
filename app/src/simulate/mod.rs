//! `bulwark simulate`: runs a scenario on the embedded chain, bootstrapped
//! from `migrations/`, checking every invariant after every step. Every
//! order is first run through the engine off-chain (the program's own
//! code): the predicted fills are what simulate reports, and the market
//! account the chain ends up with must equal the prediction byte for byte.

pub mod adversarial;
mod calm;
mod collateral;
mod crash;
pub mod file;
pub mod report;
mod summary;

pub use summary::*;

use crate::bootstrap::{bootstrap, set_oracle, Deployment};
use crate::chain::EmbeddedChain;
use crate::config::{usd, BootstrapConfig};
use crate::invariants;
use crate::ix;
use crate::pyth::PythPrice;
use anchor_lang::prelude::Pubkey;
use bulwark::engine::sandbox::MarketBuf;
use bulwark::engine::trade::{self, Fill, OrderParams, PlaceOutcome};
use bulwark::engine::{collateral as seats, margin};
use bulwark::math::PPM;
use bulwark::state::MarketRef;
use solana_keypair::Keypair;
use solana_signer::Signer;
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Market makers quote, takers trade, the price walks, funding is paid.
    Calm,
    /// Traders deposit, the index moves, traders withdraw.
    Collateral,
    /// An 18 % slide: liquidations, takeovers, insurance cover.
    Crash,
    /// A 22 % gap with a small insurance fund: bankruptcy and ADL.
    GapCrash,
    /// The same gap on a socialized-loss market.
    CrashSocialized,
    /// Colluding wallets attack the waterfall, each attack on a fresh chain.
    Adversarial,
}

impl std::str::FromStr for Scenario {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "calm" => Ok(Scenario::Calm),
            "collateral" => Ok(Scenario::Collateral),
            "crash" => Ok(Scenario::Crash),
            "gap-crash" => Ok(Scenario::GapCrash),
            "crash-socialized" => Ok(Scenario::CrashSocialized),
            "adversarial" => Ok(Scenario::Adversarial),
            other => Err(format!(
                "unknown scenario {other:?} (available: calm, collateral, crash, gap-crash, crash-socialized, adversarial)"
            )),
        }
    }
}

pub struct Trader {
    pub label: String,
    pub kp: Keypair,
    pub token: Pubkey,
}

pub(crate) struct Sim {
    chain: EmbeddedChain,
    dep: Deployment,
    summary: Summary,
    /// Where the timeline goes (None = quiet).
    out: Option<Box<dyn std::io::Write>>,
    traders: Vec<Trader>,
    step: u32,
    /// Steps the scenario will run (for progress), 0 = unknown.
    total_steps: u32,
    progress: Option<Progress>,
}

/// Progress lines on stderr for long runs.
pub(crate) struct Progress {
    started: std::time::Instant,
    last: std::time::Instant,
    last_step: u32,
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

impl Sim {
    fn log(&mut self, line: String) {
        let step = self.step;
        if let Some(out) = self.out.as_mut() {
            let _ = writeln!(out, "[{step:>4}] {line}");
        }
    }

    fn market(&self) -> Pubkey {
        self.dep.markets[0].key
    }

    async fn market_data(&mut self) -> Vec<u8> {
        let k = self.market();
        self.chain.account_data(&k).await
    }

    /// The seat index of `owner` in the market, if it has one.
    pub(super) async fn seat_of_key(&mut self, owner: &Pubkey) -> Option<u32> {
        crate::client::seat_index(&self.market_data().await, owner)
    }

    /// The seat a deposit by `owner` names (its own, else a free one; the
    /// last seat's index when the table is full, which the program refuses).
    pub(super) async fn deposit_seat(&mut self, owner: &Pubkey) -> u32 {
        let d = self.market_data().await;
        crate::client::deposit_seat(&d, owner)
            .unwrap_or_else(|| MarketBuf::from_account_data(&d).view_ref().seats.len() as u32 - 1)
    }

    /// The seat index of trader `trader` (its own seat in the market).
    pub(super) async fn seat(&mut self, trader: usize) -> Result<u32, String> {
        let owner = self.traders[trader].kp.pubkey();
        crate::client::seat_index(&self.market_data().await, &owner)
            .ok_or_else(|| format!("{} has no seat", self.traders[trader].label))
    }

    async fn check(&mut self) {
        let markets: Vec<Pubkey> = self.dep.markets.iter().map(|m| m.key).collect();
        let v = invariants::check_all(&mut self.chain, &markets).await;
        self.summary.invariant_checks += 1;
        self.summary.violations.extend(v);
        self.sample().await;
    }

    /// Updates the current step's point of the series (so each point is
    /// the state at the end of its step) and reports progress.
    async fn sample(&mut self) {
        if self.step == 0 {
            return;
        }
        let data = self.market_data().await;
        let Ok(m) = MarketRef::from_bytes(&data) else {
            return;
        };
        let st = &m.header.state;
        let point = SeriesPoint {
            step: self.step,
            index: st.index_price as f64 / 1e6,
            mark: st.mark_price as f64 / 1e6,
            insurance: self
                .fund()
                .await
                .map(|f| f.balance as f64 / 1e6)
                .unwrap_or(0.0),
            open_interest_lots: st.open_interest_lots,
        };
        match self.summary.series.last_mut() {
            Some(last) if last.step == self.step => *last = point,
            _ => self.summary.series.push(point),
        }
        self.report_progress();
    }

    fn report_progress(&mut self) {
        let (step, total) = (self.step, self.total_steps);
        let Some(p) = self.progress.as_mut() else {
            return;
        };
        let now = std::time::Instant::now();
        if step != p.last_step
            && (now.duration_since(p.last).as_secs_f64() >= 2.0 || (total > 0 && step == total))
        {
            p.last = now;
            p.last_step = step;
            let elapsed = now.duration_since(p.started).as_secs_f64();
            if total > 0 {
                eprintln!("simulate: step {step}/{total} ({elapsed:.1} s)");
            } else {
                eprintln!("simulate: step {step} ({elapsed:.1} s)");
            }
        }
    }

    fn marker(&mut self, kind: &'static str, trader: &str, detail: String) {
        self.summary.markers.push(Marker {
            step: self.step,
            kind,
            trader: trader.to_string(),
            detail,
        });
    }

    /// A funded trader with a deposit in the market.
    async fn add_trader(&mut self, label: &str, deposit_usd: f64) -> Result<usize, String> {
        let kp = Keypair::new();
        let mint = self.dep.collateral_mint;
        let market = self.market();
        self.chain
            .airdrop(&kp.pubkey(), 1_000_000_000)
            .await
            .map_err(err)?;
        let token = self
            .chain
            .create_token_account(&mint, &kp.pubkey())
            .await
            .map_err(err)?;
        self.chain
            .mint_to(&mint, &token, usd(deposit_usd))
            .await
            .map_err(err)?;
        let seat =
            crate::client::deposit_seat(&self.chain.account_data(&market).await, &kp.pubkey())
                .ok_or("the seat table is full")?;
        self.chain
            .send(
                &[ix::deposit(
                    &kp.pubkey(),
                    &market,
                    seat,
                    &token,
                    usd(deposit_usd),
                )],
                &[&kp],
            )
            .await
            .map_err(err)?;
        self.summary.deposits_usd += deposit_usd;
        self.log(format!("{label} deposits {deposit_usd:.2} USD"));
        self.traders.push(Trader {
            label: label.into(),
            kp,
            token,
        });
        self.summary.traders = self.traders.len() as u32;
        self.check().await;
        Ok(self.traders.len() - 1)
    }

    /// Moves the clock and sets every feed to `price_usd`, then cranks the index and mark.
    async fn set_price(&mut self, price_usd: f64, advance_secs: i64) -> Result<(), String> {
        if advance_secs > 0 {
            self.chain.advance_time(advance_secs).await;
        }
        let now = self.chain.clock().await.unix_timestamp;
        let (key, feeds) = (self.market(), self.dep.markets[0].feeds.clone());
        for f in &feeds {
            set_oracle(
                &mut self.chain,
                &self.dep,
                f,
                &PythPrice::usd(price_usd, price_usd * 2e-4, now),
            );
        }
        self.chain
            .send(&[ix::refresh_prices(&key, &feeds)], &[])
            .await
            .map_err(err)?;
        let data = self.market_data().await;
        let st = MarketRef::from_bytes(&data).map_err(err)?.header.state;
        self.summary
            .index_path_usd
            .push(st.index_price as f64 / 1e6);
        self.summary.mark_path_usd.push(st.mark_price as f64 / 1e6);
        self.check().await;
        Ok(())
    }

    fn label_of_seat(&self, m: &MarketRef, seat: u32) -> String {
        let owner = m.seats[seat as usize].owner;
        self.traders
            .iter()
            .find(|t| t.kp.pubkey() == owner)
            .map(|t| t.label.clone())
            .unwrap_or_else(|| format!("seat{seat}"))
    }

    /// Places an order: predicted with the engine, sent, and compared.
    /// Returns the outcome, or the program's error code.
    async fn place(
        &mut self,
        trader: usize,
        params: OrderParams,
    ) -> Result<Result<PlaceOutcome, Option<u32>>, String> {
        let before = self.market_data().await;
        let now = self.chain.clock().await.unix_timestamp;
        let owner = self.traders[trader].kp.pubkey();
        let mut predicted = MarketBuf::from_account_data(&before);
        let mut fills: Vec<Fill> = Vec::new();
        let seat = seats::seat_of(predicted.view_ref().seats, &owner).map_err(err)?;
        // Opened as the program opens it: refused while an ADL ranking
        // round freezes the market.
        let prediction =
            bulwark::state::MarketMut::from_bytes(predicted.bytes_mut()).and_then(|mut m| {
                trade::place_order(&mut m, seat, &params, now, PPM, &mut |f| fills.push(*f))
            });
        let seat_ix = seat as u32;
        let market = self.market();
        let sent = self
            .chain
            .send(
                &[ix::place_order(&owner, &market, seat_ix, params)],
                &[&self.traders[trader].kp],
            )
            .await;
        let after = self.market_data().await;
        let result = match (prediction, sent) {
            (Ok(out), Ok(_)) => {
                if after != predicted.bytes() {
                    self.summary.violations.push(format!(
                        "step {}: the program's market differs from the engine's prediction",
                        self.step
                    ));
                }
                let m = MarketRef::from_bytes(&after).map_err(err)?;
                for f in &fills {
                    let rec = FillRecord {
                        step: self.step,
                        maker: self.label_of_seat(&m, f.maker_seat),
                        taker: self.label_of_seat(&m, f.taker_seat),
                        side: if f.taker_is_buy { "buy" } else { "sell" },
                        price: f.price as f64 / 1e6,
                        lots: f.lots,
                        taker_fee: f.taker_fee as f64 / 1e6,
                        maker_fee: f.maker_fee as f64 / 1e6,
                    };
                    let notional =
                        margin::notional_floor(f.lots, f.price, m.header.config.base_lots_per_unit)
                            .unwrap_or(0);
                    self.summary.volume_usd += notional as f64 / 1e6;
                    self.log(format!(
                        "fill: {} {} {} lots @ {:.2} from {} (fees {:.4} / {:.4})",
                        rec.taker,
                        rec.side,
                        rec.lots,
                        rec.price,
                        rec.maker,
                        rec.taker_fee,
                        rec.maker_fee
                    ));
                    self.summary.fills.push(rec);
                }
                Ok(out)
            }
            (Err(_), Err(e)) => Err(e.code()),
            (p, s) => {
                self.summary.violations.push(format!(
                    "step {}: engine predicted {:?} but the program returned {:?}",
                    self.step,
                    p.map(|o| o.filled_lots),
                    s.map(|_| ())
                ));
                Err(None)
            }
        };
        self.check().await;
        Ok(result)
    }

    async fn send_trader(
        &mut self,
        trader: usize,
        ixs: &[solana_instruction::Instruction],
    ) -> Result<(), String> {
        let kp = &self.traders[trader].kp;
        self.chain.send(ixs, &[kp]).await.map_err(err)?;
        self.check().await;
        Ok(())
    }

    async fn sweep(&mut self) -> Result<(), String> {
        let (market, treasury) = (self.market(), self.dep.treasury);
        let data = self.market_data().await;
        let st = MarketRef::from_bytes(&data).map_err(err)?.header.state;
        let liq = MarketRef::from_bytes(&data)
            .map_err(err)?
            .header
            .waterfall
            .unswept_liquidation_fees;
        if st.unswept_insurance_fees + st.unswept_treasury_fees + liq == 0 {
            return Ok(());
        }
        self.chain
            .send(&[ix::sweep_fees(&market, &treasury)], &[])
            .await
            .map_err(err)?;
        self.log(format!(
            "sweep_fees: {:.4} USD to insurance, {:.4} USD to treasury",
            st.unswept_insurance_fees as f64 / 1e6,
            st.unswept_treasury_fees as f64 / 1e6
        ));
        self.check().await;
        Ok(())
    }

    async fn finish(&mut self) -> Result<(), String> {
        let data = self.market_data().await;
        let m = MarketRef::from_bytes(&data).map_err(err)?;
        let st = &m.header.state;
        let price = margin::risk_price(st);
        let lpu = m.header.config.base_lots_per_unit;
        for t in &self.traders {
            if let Ok(i) = seats::seat_of(m.seats, &t.kp.pubkey()) {
                let s = &m.seats[i];
                let upnl = if price > 0 {
                    margin::unrealized_pnl(s, price, lpu).unwrap_or(0)
                } else {
                    0
                };
                self.summary.positions.push(PositionRecord {
                    trader: t.label.clone(),
                    base_lots: s.base_lots,
                    collateral: s.collateral as f64 / 1e6,
                    unrealized_pnl: upnl as f64 / 1e6,
                    open_orders: s.num_orders,
                });
            }
        }
        self.summary.fees_usd = st.total_fees as f64 / 1e6;
        self.summary.base_lots_per_unit = lpu;
        let treasury = self.dep.treasury;
        self.summary.treasury_fees_swept_usd =
            self.chain.token_balance(&treasury).await as f64 / 1e6;
        self.summary.open_interest_lots = st.open_interest_lots;
        let vault = self
            .chain
            .token_balance(&ix::market_vault_pda(&self.market()))
            .await;
        self.summary.vault_usd = vault as f64 / 1e6;
        self.summary.steps = self.step;
        self.insurance_summary().await;
        self.summary.invariants_ok = self.summary.violations.is_empty();
        Ok(())
    }

    async fn fund(&mut self) -> Option<bulwark::state::InsuranceFund> {
        let d = self.chain.account_data(&ix::insurance_pda()).await;
        let n = core::mem::size_of::<bulwark::state::InsuranceFund>();
        (d.len() >= 8 + n).then(|| bytemuck::pod_read_unaligned(&d[8..8 + n]))
    }

    async fn insurance_summary(&mut self) {
        use bulwark::state::{inflow, outflow};
        let Some(f) = self.fund().await else { return };
        let ins = &mut self.summary.insurance;
        ins.end = f.balance as f64 / 1e6;
        for (name, i) in [
            ("fee_share", inflow::FEE_SHARE),
            ("liquidation_fee", inflow::LIQUIDATION_FEE),
            ("protocol_deposit", inflow::PROTOCOL_DEPOSIT),
            ("staker_deposit", inflow::STAKER_DEPOSIT),
            ("donation", inflow::DONATION),
        ] {
            ins.inflows.insert(name.into(), f.inflows[i] as f64 / 1e6);
        }
        for (name, i) in [
            ("bankruptcy_cover", outflow::BANKRUPTCY_COVER),
            ("unstake", outflow::UNSTAKE),
        ] {
            ins.outflows.insert(name.into(), f.outflows[i] as f64 / 1e6);
        }
        ins.ledger_entries = f.ledger_seq;
        self.summary.insurance_fees_swept_usd =
            (f.inflows[inflow::FEE_SHARE] + f.inflows[inflow::LIQUIDATION_FEE]) as f64 / 1e6;
        let fund = self.chain.account_data(&ix::insurance_pda()).await;
        let ledger = self.chain.account_data(&ix::insurance_ledger_pda()).await;
        self.summary.insurance.hash_chain_ok =
            invariants::ledger_ok(&fund, &ledger).unwrap_or(false);
    }
}

/// What to run: a built-in scenario or a scenario file.
pub enum ScenarioSource {
    Builtin(Scenario),
    File(Box<file::ScenarioFile>),
}

/// Options beyond the scenario.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Print progress lines on stderr (every 2 s of a run).
    pub progress: bool,
    /// Write the exchange, insurance fund, ledger and market accounts at
    /// the end, as JSON with base64 data, into this directory.
    pub dump_accounts: Option<std::path::PathBuf>,
}

/// Runs a scenario; the timeline is written to `out` as it happens.
pub async fn run(
    cfg: &BootstrapConfig,
    scenario: Scenario,
    out: Option<Box<dyn std::io::Write>>,
) -> Result<Summary, String> {
    run_with(
        cfg,
        ScenarioSource::Builtin(scenario),
        out,
        RunOptions::default(),
    )
    .await
}

/// Runs a built-in scenario or a scenario file, with options.
pub async fn run_with(
    cfg: &BootstrapConfig,
    source: ScenarioSource,
    out: Option<Box<dyn std::io::Write>>,
    opts: RunOptions,
) -> Result<Summary, String> {
    let mut cfg = cfg.clone();
    let (name, total_steps) = match &source {
        ScenarioSource::Builtin(s) => {
            if *s == Scenario::CrashSocialized {
                for m in &mut cfg.markets {
                    m.waterfall_mode = "socialized".into();
                }
            }
            let steps = match s {
                Scenario::Calm => calm::STEPS,
                Scenario::Collateral | Scenario::Adversarial => 0,
                _ => crash::STEPS,
            };
            (format!("{s:?}").to_lowercase(), steps)
        }
        ScenarioSource::File(f) => {
            f.apply_overrides(&mut cfg)?;
            (f.name(), f.total_steps()?)
        }
    };
    let cfg = &cfg;
    let mut chain = EmbeddedChain::start(vec![]).await;
    let dep = bootstrap(&mut chain, cfg).await?;
    let market = dep.markets.first().ok_or("the config lists no market")?;
    let summary = Summary {
        scenario: name,
        market: market.name.clone(),
        ..Default::default()
    };
    let now = std::time::Instant::now();
    let mut sim = Sim {
        chain,
        dep,
        summary,
        out,
        traders: Vec::new(),
        step: 0,
        total_steps,
        progress: opts.progress.then_some(Progress {
            started: now,
            last: now,
            last_step: 0,
        }),
    };
    sim.log(format!(
        "bootstrapped exchange with {} on the embedded chain",
        sim.summary.market
    ));
    sim.check().await;
    match source {
        ScenarioSource::Builtin(Scenario::Calm) => calm::run(&mut sim).await?,
        ScenarioSource::Builtin(Scenario::Collateral) => collateral::run(&mut sim).await?,
        ScenarioSource::Builtin(Scenario::Crash) => {
            crash::run(&mut sim, crash::Shape::Slide, 40_000.0).await?
        }
        ScenarioSource::Builtin(Scenario::GapCrash | Scenario::CrashSocialized) => {
            crash::run(&mut sim, crash::Shape::Gap, 3_000.0).await?
        }
        ScenarioSource::Builtin(Scenario::Adversarial) => adversarial::run(&mut sim, cfg).await?,
        ScenarioSource::File(f) => file::run(&mut sim, &f).await?,
    }
    sim.finish().await?;
    if let Some(dir) = &opts.dump_accounts {
        sim.dump_accounts(dir).await?;
    }
    Ok(sim.summary)
}

impl Sim {
    /// Writes `<name>.json` files: `{"name", "address", "owner",
    /// "lamports", "data_base64"}` for the exchange, the insurance fund,
    /// its ledger and the first market, plus `index.json` listing them
    /// with a few decoded fields to compare against.
    async fn dump_accounts(&mut self, dir: &std::path::Path) -> Result<(), String> {
        use base64::Engine;
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let accounts = [
            ("exchange", ix::exchange_pda()),
            ("insurance_fund", ix::insurance_pda()),
            ("insurance_ledger", ix::insurance_ledger_pda()),
            ("market", self.market()),
        ];
        let mut index = Vec::new();
        for (name, key) in accounts {
            let a = self
                .chain
                .account(&key)
                .await
                .ok_or_else(|| format!("{name} account {key} is missing"))?;
            let j = serde_json::json!({
                "name": name,
                "address": key.to_string(),
                "owner": a.owner.to_string(),
                "lamports": a.lamports,
                "data_base64": base64::engine::general_purpose::STANDARD.encode(&a.data),
            });
            let path = dir.join(format!("{name}.json"));
            std::fs::write(&path, serde_json::to_string_pretty(&j).map_err(err)?)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            index.push(serde_json::json!({"name": name, "address": key.to_string(), "file": format!("{name}.json")}));
        }
        let fund = self.fund().await.ok_or("the insurance fund is missing")?;
        let ex = crate::client::exchange(&mut self.chain)
            .await
            .ok_or("the exchange is missing")?;
        let expected = serde_json::json!({
            "accounts": index,
            "expected": {
                "exchange": {
                    "admin": ex.admin.to_string(),
                    "collateral_mint": ex.collateral_mint.to_string(),
                    "timelock_secs": ex.timelock_secs,
                    "num_markets": ex.num_markets,
                },
                "insurance_fund": {
                    "balance": fund.balance,
                    "total_shares": fund.total_shares,
                    "ledger_seq": fund.ledger_seq,
                    "inflows": fund.inflows.to_vec(),
                    "outflows": fund.outflows.to_vec(),
                },
                "summary": {
                    "insurance_end_usd": self.summary.insurance.end,
                    "ledger_entries": self.summary.insurance.ledger_entries,
                    "market": self.summary.market,
                    "open_interest_lots": self.summary.open_interest_lots,
                },
            },
        });
        let path = dir.join("index.json");
        std::fs::write(&path, serde_json::to_string_pretty(&expected).map_err(err)?)
            .map_err(|e| format!("{}: {e}", path.display()))
    }
}
