//! Scenario files (`bulwark simulate --scenario-file FILE`): a TOML file
//! that sets the market (overrides of the bootstrap config's first
//! market), the traders and the price path.
//!
//! `[market]` may set every field of a bootstrap config's `[[markets]]`
//! entry (app/src/config.rs `MarketSpec`) except its feeds; an unset field
//! keeps the config's value (migrations/localnet.toml: BTC-PERP, tick 0.1
//! USD, 10,000 lots per BTC). A market priced far from BTC's needs its tick
//! and lot size set to match, or market makers quote on a coarse tick and
//! orders miss the size limits (see the 20 USD market in
//! app/tests/simulate_file.rs). The format, with every field:
//!
//! ```toml
//! [scenario]
//! name = "my-crash"            # default: the file name
//! step_secs = 60               # chain time between steps
//! seed = 7                     # for noise and random traders
//! keeper = true                # run the keeper (two rounds a step)
//! keeper_collateral_usd = 300000
//!
//! [market]                     # every field optional
//! name = "BTC-PERP"            # the market's name
//! max_seats = 1024             # the seat table grows to this
//! book_capacity = 256          # orders per side
//! tick_size_usd = 0.1          # USD per base unit (0.001 for a 20 USD market)
//! base_lots_per_unit = 10000   # 1 lot = 0.0001 BTC (100 for a 20 USD market)
//! min_order_lots = 1
//! max_order_lots = 500000
//! position_limit_lots = 2000000
//! open_interest_cap_lots = 50000000
//! min_order_notional_usd = 1.0 # least notional of an order at its price
//! min_seat_collateral_usd = 10.0  # least deposit that claims a seat
//! impact_notional_usd = 1000.0 # depth that gives the mark a sample
//! mark_max_move_bps = 10       # most one update moves the mark's basis
//! mark_ema_secs = 300
//! funding_cap_ppm = 1000       # per interval
//! takeover_discount_ppm = 500000
//! insurance_cover_period_secs = 86400
//! oracle_max_staleness_secs = 60
//! oracle_max_conf_bps = 100
//! oracle_max_deviation_bps = 200
//! waterfall_mode = "adl"       # or "socialized"
//! taker_fee_ppm = 500
//! maker_fee_ppm = -100
//! price_band_bps = 500
//! liquidation_fee_ppm = 10000
//! keeper_liquidation_share_ppm = 300000
//! insurance_fee_share_ppm = 500000
//! partial_liquidation_tier = 2
//! insurance_cover_cap_usd = 5000000
//! funding_interval_secs = 3600
//! insurance_seed_usd = 3000    # the protocol's stake at the start
//! tiers = [{ max_notional_usd = 100000, initial_margin_ppm = 20000, maint_margin_ppm = 10000 }]
//!
//! [prices]                     # either path_usd, or start_usd with segments
//! path_usd = [65000, 64000, 60000]
//! start_usd = 65000
//! segments = [
//!   { steps = 10, drift_pct = 0.0, noise_pct = 0.15 },   # per step
//!   { steps = 1, drift_pct = -22.0 },                    # a gap
//! ]
//!
//! [[traders]]
//! name = "mm0"
//! collateral_usd = 600000
//! behaviour = "market-maker"   # market-maker | long | short | random | none
//! levels = 4                   # market maker: levels per side
//! level_lots = 4000            # market maker: lots at level 0, + as much per level
//! spread_bps = 5               # market maker: level 0's distance from the mark
//! level_step_bps = 12          # market maker: distance between levels
//!
//! [[traders]]
//! name = "long0"
//! collateral_usd = 6000
//! behaviour = "long"           # opens at step 1 with a market order
//! leverage = 15                # notional = collateral × leverage
//!
//! [[traders]]
//! name = "noise"
//! collateral_usd = 20000
//! behaviour = "random"         # trades now and then
//! trade_probability = 0.3
//! max_lots = 3000
//!
//! [[traders]]
//! name = "alice"
//! collateral_usd = 10000
//! orders = [                   # explicit orders (any behaviour)
//!   { step = 3, side = "buy", type = "market", lots = 5000 },
//!   { step = 20, side = "sell", type = "limit", price_usd = 64000, lots = 5000, reduce_only = true },
//! ]
//! ```
//!
//! Every step: the price is set and cranked, the keeper runs, market
//! makers requote, explicit and random orders are sent, the keeper runs
//! again. Invariants are checked after every action, as in every scenario.

use super::crash::{record, seed_insurance, Rng};
use super::{err, Sim};
use crate::config::{BootstrapConfig, TierSpec};
use crate::keeper::Keeper;
use crate::{ix, trader as tr};
use bulwark::engine::book::Side;
use bulwark::engine::trade::{OrderParams, OrderType};
use bulwark::state::MarketRef;
use serde::Deserialize;
use solana_signer::Signer;
use std::collections::HashMap;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    #[serde(default)]
    pub scenario: ScenarioSection,
    #[serde(default)]
    pub market: MarketOverrides,
    pub prices: PriceSpec,
    #[serde(default)]
    pub traders: Vec<TraderSpec>,
    /// Set from the file name when `scenario.name` is absent.
    #[serde(skip)]
    pub file_stem: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScenarioSection {
    pub name: Option<String>,
    pub step_secs: i64,
    pub seed: u64,
    pub keeper: bool,
    pub keeper_collateral_usd: f64,
}

impl Default for ScenarioSection {
    fn default() -> Self {
        Self {
            name: None,
            step_secs: 60,
            seed: 0x5EED,
            keeper: true,
            keeper_collateral_usd: 300_000.0,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketOverrides {
    pub name: Option<String>,
    pub max_seats: Option<u32>,
    pub book_capacity: Option<u32>,
    pub tick_size_usd: Option<f64>,
    pub base_lots_per_unit: Option<u64>,
    pub min_order_lots: Option<u64>,
    pub max_order_lots: Option<u64>,
    pub position_limit_lots: Option<u64>,
    pub open_interest_cap_lots: Option<u64>,
    pub waterfall_mode: Option<String>,
    pub taker_fee_ppm: Option<i32>,
    pub maker_fee_ppm: Option<i32>,
    pub price_band_bps: Option<u32>,
    pub liquidation_fee_ppm: Option<u32>,
    pub keeper_liquidation_share_ppm: Option<u32>,
    pub insurance_fee_share_ppm: Option<u32>,
    pub partial_liquidation_tier: Option<u8>,
    pub insurance_cover_cap_usd: Option<u64>,
    pub insurance_cover_period_secs: Option<u32>,
    pub funding_interval_secs: Option<u32>,
    pub funding_cap_ppm: Option<u32>,
    pub mark_ema_secs: Option<u32>,
    pub takeover_discount_ppm: Option<u32>,
    pub impact_notional_usd: Option<f64>,
    pub mark_max_move_bps: Option<u32>,
    pub min_seat_collateral_usd: Option<f64>,
    pub min_order_notional_usd: Option<f64>,
    /// The oracle's `max_staleness_secs`, `max_conf_bps` and
    /// `max_deviation_bps` (`[markets.oracle]` in the bootstrap config).
    pub oracle_max_staleness_secs: Option<u32>,
    pub oracle_max_conf_bps: Option<u16>,
    pub oracle_max_deviation_bps: Option<u16>,
    pub tiers: Option<Vec<TierSpec>>,
    /// USD the protocol stakes into the insurance fund at the start.
    #[serde(default)]
    pub insurance_seed_usd: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    pub steps: u32,
    /// percent change per step.
    #[serde(default)]
    pub drift_pct: f64,
    /// percent, uniform noise per step (±half).
    #[serde(default)]
    pub noise_pct: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceSpec {
    pub path_usd: Option<Vec<f64>>,
    pub start_usd: Option<f64>,
    #[serde(default)]
    pub segments: Vec<Segment>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Behaviour {
    MarketMaker,
    Long,
    Short,
    Random,
    #[default]
    None,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderSpec {
    pub step: u32,
    pub side: String,
    #[serde(rename = "type", default = "default_type")]
    pub order_type: String,
    pub price_usd: Option<f64>,
    pub lots: u64,
    #[serde(default)]
    pub reduce_only: bool,
    #[serde(default)]
    pub client_id: u64,
}

fn default_type() -> String {
    "limit".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraderSpec {
    pub name: String,
    pub collateral_usd: f64,
    #[serde(default)]
    pub behaviour: Behaviour,
    /// long/short: notional at the first price = collateral × leverage.
    pub leverage: Option<f64>,
    pub levels: Option<u32>,
    pub level_lots: Option<u64>,
    pub spread_bps: Option<f64>,
    pub level_step_bps: Option<f64>,
    pub trade_probability: Option<f64>,
    pub max_lots: Option<u64>,
    #[serde(default)]
    pub orders: Vec<OrderSpec>,
}

impl ScenarioFile {
    pub fn from_toml(s: &str) -> Result<Self, String> {
        let f: Self = toml::from_str(s).map_err(|e| e.to_string())?;
        f.price_path()?;
        for t in &f.traders {
            for o in &t.orders {
                tr::parse_side(&o.side).map_err(|e| format!("trader {}: {e}", t.name))?;
                tr::parse_order_type(&o.order_type)
                    .map_err(|e| format!("trader {}: {e}", t.name))?;
            }
            if matches!(t.behaviour, Behaviour::Long | Behaviour::Short) && t.leverage.is_none() {
                return Err(format!("trader {}: long/short needs `leverage`", t.name));
            }
        }
        Ok(f)
    }

    pub fn load(path: &std::path::Path) -> Result<Self, String> {
        let s = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut f = Self::from_toml(&s).map_err(|e| format!("{}: {e}", path.display()))?;
        f.file_stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        Ok(f)
    }

    pub fn name(&self) -> String {
        self.scenario
            .name
            .clone()
            .unwrap_or_else(|| format!("file:{}", self.file_stem))
    }

    pub fn total_steps(&self) -> Result<u32, String> {
        Ok(self.price_path()?.len() as u32)
    }

    /// One price per step (USD).
    pub fn price_path(&self) -> Result<Vec<f64>, String> {
        let p = &self.prices;
        let path = match (&p.path_usd, p.start_usd) {
            (Some(path), _) => {
                if !p.segments.is_empty() {
                    return Err("[prices]: give path_usd or segments, not both".into());
                }
                path.clone()
            }
            (None, Some(start)) => {
                let mut rng = Rng(self.scenario.seed.max(1));
                let mut price = start;
                let mut v = vec![start];
                for s in &p.segments {
                    for _ in 0..s.steps {
                        let noise = (rng.unit() - 0.5) * s.noise_pct;
                        price *= 1.0 + (s.drift_pct + noise) / 100.0;
                        v.push(price);
                    }
                }
                v
            }
            (None, None) => return Err("[prices]: path_usd or start_usd is required".into()),
        };
        if path.is_empty() || path.iter().any(|x| !(x.is_finite() && *x > 0.0)) {
            return Err("[prices]: prices must be positive".into());
        }
        Ok(path)
    }

    /// Applies the `[market]` overrides to the config's first market.
    pub fn apply_overrides(&self, cfg: &mut BootstrapConfig) -> Result<(), String> {
        let m = cfg
            .markets
            .first_mut()
            .ok_or("the bootstrap config lists no market")?;
        let o = &self.market;
        macro_rules! set {
            ($($f:ident),*) => {$( if let Some(v) = &o.$f { m.$f = v.clone(); } )*};
        }
        set!(
            name,
            max_seats,
            book_capacity,
            tick_size_usd,
            base_lots_per_unit,
            min_order_lots,
            max_order_lots,
            position_limit_lots,
            open_interest_cap_lots,
            waterfall_mode,
            taker_fee_ppm,
            maker_fee_ppm,
            price_band_bps,
            liquidation_fee_ppm,
            keeper_liquidation_share_ppm,
            insurance_fee_share_ppm,
            partial_liquidation_tier,
            insurance_cover_cap_usd,
            insurance_cover_period_secs,
            funding_interval_secs,
            funding_cap_ppm,
            mark_ema_secs,
            takeover_discount_ppm,
            impact_notional_usd,
            mark_max_move_bps,
            min_seat_collateral_usd,
            min_order_notional_usd,
            tiers
        );
        if let Some(v) = o.oracle_max_staleness_secs {
            m.oracle.max_staleness_secs = v;
        }
        if let Some(v) = o.oracle_max_conf_bps {
            m.oracle.max_conf_bps = v;
        }
        if let Some(v) = o.oracle_max_deviation_bps {
            m.oracle.max_deviation_bps = v;
        }
        // The simulated feed starts at the path's first price.
        let first = self.price_path()?[0];
        for f in &mut m.oracle.feeds {
            f.initial_price_usd = first;
            f.conf_usd = first * 1e-4;
        }
        m.market_config().map(|_| ())
    }
}

struct MarketMaker {
    idx: usize,
    levels: u32,
    level_lots: u64,
    spread_bps: f64,
    step_bps: f64,
}

async fn requote(sim: &mut Sim, mm: &MarketMaker, tick: u64, rng: &mut Rng) -> Result<(), String> {
    let market = sim.market();
    let mark = {
        let d = sim.market_data().await;
        let st = MarketRef::from_bytes(&d).map_err(err)?.header.state;
        bulwark::engine::margin::risk_price(&st) as f64 / 1e6
    };
    let owner = sim.traders[mm.idx].kp.pubkey();
    let seat = sim.seat(mm.idx).await?;
    sim.send_trader(mm.idx, &[ix::cancel_all_orders(&owner, &market, seat)])
        .await?;
    for level in 0..mm.levels as u64 {
        let off = mark * (mm.spread_bps + mm.step_bps * level as f64) / 1e4;
        for (side, px) in [(Side::Bid, mark - off), (Side::Ask, mark + off)] {
            let price = ((px * 1e6) as u64 / tick * tick).max(tick);
            let params = OrderParams {
                side,
                order_type: OrderType::PostOnly,
                price,
                lots: mm.level_lots * (level + 1) + rng.next() % (mm.level_lots / 2 + 1),
                client_order_id: level + 1,
                expiry_ts: 0,
                reduce_only: false,
            };
            let _ = sim.place(mm.idx, params).await?;
        }
    }
    Ok(())
}

/// Runs a scenario file on the bootstrapped chain.
pub(super) async fn run(sim: &mut Sim, f: &ScenarioFile) -> Result<(), String> {
    let path = f.price_path()?;
    let mut rng = Rng(f.scenario.seed.max(1) ^ 0x9E37_79B9);
    let market = sim.market();
    seed_insurance(sim, f.market.insurance_seed_usd).await?;
    sim.summary.insurance.start = sim
        .fund()
        .await
        .map(|x| x.balance as f64 / 1e6)
        .unwrap_or(0.0);
    let (tick, lpu, max_order) = {
        let d = sim.market_data().await;
        let c = MarketRef::from_bytes(&d).map_err(err)?.header.config;
        (c.tick_size, c.base_lots_per_unit, c.max_order_lots)
    };
    let mut idx = HashMap::new();
    let mut mms = Vec::new();
    for t in &f.traders {
        if idx.contains_key(&t.name) {
            return Err(format!("two traders named {:?}", t.name));
        }
        let i = sim.add_trader(&t.name, t.collateral_usd).await?;
        idx.insert(t.name.clone(), i);
        if t.behaviour == Behaviour::MarketMaker {
            mms.push(MarketMaker {
                idx: i,
                levels: t.levels.unwrap_or(4),
                level_lots: t.level_lots.unwrap_or(4_000).max(1),
                spread_bps: t.spread_bps.unwrap_or(5.0),
                step_bps: t.level_step_bps.unwrap_or(12.0),
            });
        }
    }
    let mut keeper = if f.scenario.keeper {
        let k = sim
            .add_trader("keeper", f.scenario.keeper_collateral_usd)
            .await?;
        Some(Keeper::new(
            sim.traders[k].kp.insecure_clone(),
            market,
            sim.dep.treasury,
        ))
    } else {
        None
    };
    let labels: HashMap<_, _> = sim
        .traders
        .iter()
        .map(|t| (t.kp.pubkey(), t.label.clone()))
        .collect();
    for (n, price) in path.iter().enumerate() {
        let step = n as u32 + 1;
        sim.step = step;
        sim.set_price(*price, if n == 0 { 10 } else { f.scenario.step_secs })
            .await?;
        if let Some(k) = keeper.as_mut() {
            let actions = k.round(&mut sim.chain, &labels).await;
            record(sim, &actions);
            sim.check().await;
        }
        for mm in &mms {
            requote(sim, mm, tick, &mut rng).await?;
        }
        for t in &f.traders {
            let i = idx[&t.name];
            // Opening positions at the first step.
            if step == 1 && matches!(t.behaviour, Behaviour::Long | Behaviour::Short) {
                let notional = t.collateral_usd * t.leverage.unwrap_or(1.0);
                let mut lots = (notional / price * lpu as f64) as u64;
                let side = if t.behaviour == Behaviour::Long {
                    Side::Bid
                } else {
                    Side::Ask
                };
                while lots > 0 {
                    let chunk = lots.min(max_order);
                    let params = OrderParams {
                        side,
                        order_type: OrderType::Market,
                        price: tick,
                        lots: chunk,
                        client_order_id: 0,
                        expiry_ts: 0,
                        reduce_only: false,
                    };
                    if let Err(code) = sim.place(i, params).await? {
                        sim.log(format!(
                            "{} market order rejected (error {})",
                            t.name,
                            crate::client::error_label_opt(code)
                        ));
                        break;
                    }
                    lots -= chunk;
                    for mm in &mms {
                        requote(sim, mm, tick, &mut rng).await?;
                    }
                }
            }
            if t.behaviour == Behaviour::Random && rng.unit() < t.trade_probability.unwrap_or(0.3) {
                let side = if rng.unit() < 0.5 {
                    Side::Bid
                } else {
                    Side::Ask
                };
                let lots = 1 + rng.next() % t.max_lots.unwrap_or(3_000).max(1);
                let params = OrderParams {
                    side,
                    order_type: OrderType::Market,
                    price: tick,
                    lots,
                    client_order_id: 0,
                    expiry_ts: 0,
                    reduce_only: rng.unit() < 0.2,
                };
                if let Err(code) = sim.place(i, params).await? {
                    sim.log(format!(
                        "{} order rejected (error {})",
                        t.name,
                        crate::client::error_label_opt(code)
                    ));
                }
            }
            for o in t.orders.iter().filter(|o| o.step == step) {
                let order_type = tr::parse_order_type(&o.order_type)?;
                let price = match o.price_usd {
                    Some(p) => ((p * 1e6).round() as u64 / tick) * tick,
                    None if order_type == OrderType::Market => tick,
                    None => {
                        return Err(format!(
                            "trader {}: step {step}: price_usd required",
                            t.name
                        ))
                    }
                };
                let params = OrderParams {
                    side: tr::parse_side(&o.side)?,
                    order_type,
                    price,
                    lots: o.lots,
                    client_order_id: o.client_id,
                    expiry_ts: 0,
                    reduce_only: o.reduce_only,
                };
                match sim.place(i, params).await? {
                    Ok(out) => sim.log(format!(
                        "{} {} {} {} lots: filled {}, resting {}",
                        t.name, o.order_type, o.side, o.lots, out.filled_lots, out.rested_lots
                    )),
                    Err(code) => {
                        sim.log(format!(
                            "{} {} {} rejected (error {})",
                            t.name,
                            o.order_type,
                            o.side,
                            crate::client::error_label_opt(code)
                        ));
                        sim.summary.rejections.push(super::Rejection {
                            action: format!("{} step {step}: {} {}", t.name, o.order_type, o.side),
                            error_code: code,
                            error: crate::client::error_label_opt(code),
                        });
                    }
                }
            }
        }
        if let Some(k) = keeper.as_mut() {
            let actions = k.round(&mut sim.chain, &labels).await;
            record(sim, &actions);
            sim.check().await;
        }
    }
    sim.sweep().await?;
    sim.chain
        .send(&[ix::audit_insurance()], &[])
        .await
        .map_err(err)?;
    sim.check().await;
    Ok(())
}
