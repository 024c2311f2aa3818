//! Crash scenarios: leveraged longs, market makers, a keeper and a seeded
//! insurance fund; the price walks, then falls (`crash`: a slide of ~18 %
//! over 15 steps) or gaps (`gap-crash`: −22 % at once). The keeper — the
//! same code as `bulwark keeper` — runs every step: liquidations on the
//! book, takeovers, insurance cover, ADL or socialized loss.

use super::{err, Sim};
use crate::config::usd;
use crate::ix;
use crate::keeper::{Action, Keeper};
use bulwark::engine::book::Side;
use bulwark::engine::trade::{OrderParams, OrderType};
use bulwark::state::MarketRef;
use solana_signer::Signer;
use std::collections::HashMap;

/// Steps of the crash scenarios.
pub(super) const STEPS: u32 = 40;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Slide,
    Gap,
}

pub(super) struct Rng(pub(super) u64);
impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub(super) fn unit(&mut self) -> f64 {
        (self.next() % 1_000_000) as f64 / 1_000_000.0
    }
}

pub(super) async fn run(
    sim: &mut Sim,
    shape: Shape,
    insurance_seed_usd: f64,
) -> Result<(), String> {
    let mut rng = Rng(0xC4A5_11ED);
    let market = sim.market();
    // The protocol seeds the insurance fund as its own stake.
    seed_insurance(sim, insurance_seed_usd).await?;
    sim.summary.insurance.start = sim
        .fund()
        .await
        .map(|f| f.balance as f64 / 1e6)
        .unwrap_or(0.0);
    let mms = [
        sim.add_trader("mm0", 600_000.0).await?,
        sim.add_trader("mm1", 600_000.0).await?,
    ];
    let keeper_idx = sim.add_trader("keeper", 300_000.0).await?;
    let mut longs = Vec::new();
    for (i, (dep, btc)) in [
        (6_000.0, 1.6),
        (9_000.0, 2.2),
        (12_000.0, 2.5),
        (5_000.0, 1.0),
        (15_000.0, 2.0),
        (8_000.0, 1.5),
    ]
    .iter()
    .enumerate()
    {
        longs.push((sim.add_trader(&format!("long{i}"), *dep).await?, *btc));
    }
    // A whale in tier 2 (5 % initial margin): partial liquidation steps it
    // down two tiers, to tier 0's largest position.
    let whale = sim.add_trader("whale", 45_000.0).await?;
    let mut shorts = Vec::new();
    for (i, (dep, btc)) in [(30_000.0, 2.0), (20_000.0, 3.0), (60_000.0, 4.0)]
        .iter()
        .enumerate()
    {
        shorts.push((sim.add_trader(&format!("short{i}"), *dep).await?, *btc));
    }
    let mut labels = HashMap::new();
    for t in &sim.traders {
        labels.insert(t.kp.pubkey(), t.label.clone());
    }
    let keeper_kp = sim.traders[keeper_idx].kp.insecure_clone();
    let mut keeper = Keeper::new(keeper_kp, market, sim.dep.treasury);
    let tick = {
        let d = sim.market_data().await;
        MarketRef::from_bytes(&d)
            .map_err(err)?
            .header
            .config
            .tick_size
    };
    let mut price = 65_000.0f64;
    sim.step = 1;
    sim.set_price(price, 10).await?;
    quote(sim, &mms, tick, &mut rng).await?;
    // Positions: longs and the whale buy, shorts sell, at market.
    for &(t, btc) in longs
        .iter()
        .chain([(whale, 4.0), (whale, 4.0), (whale, 3.0)].iter())
    {
        market_order(sim, t, Side::Bid, btc, tick).await?;
        quote(sim, &mms, tick, &mut rng).await?;
    }
    for &(t, btc) in &shorts {
        market_order(sim, t, Side::Ask, btc, tick).await?;
        quote(sim, &mms, tick, &mut rng).await?;
    }
    for step in 2..=STEPS {
        sim.step = step;
        price *= match (shape, step) {
            (Shape::Slide, 12..=26) => 1.0 - 0.013,
            (Shape::Gap, 12) => 1.0 - 0.22,
            _ => 1.0 + (rng.unit() - 0.5) * 0.003,
        };
        sim.set_price(price, 60).await?;
        let actions = keeper.round(&mut sim.chain, &labels).await;
        record(sim, &actions);
        sim.check().await;
        quote(sim, &mms, tick, &mut rng).await?;
        // A second keeper pass after the makers requote (fresh liquidity).
        let actions = keeper.round(&mut sim.chain, &labels).await;
        record(sim, &actions);
        sim.check().await;
    }
    sim.sweep().await?;
    sim.chain
        .send(&[ix::audit_insurance()], &[])
        .await
        .map_err(err)?;
    sim.check().await;
    Ok(())
}

pub(super) async fn seed_insurance(sim: &mut Sim, usd_amount: f64) -> Result<(), String> {
    if usd_amount <= 0.0 {
        return Ok(());
    }
    let admin = sim.chain.payer_pubkey();
    let mint = sim.dep.collateral_mint;
    let token = sim
        .chain
        .create_token_account(&mint, &admin)
        .await
        .map_err(err)?;
    sim.chain
        .mint_to(&mint, &token, usd(usd_amount))
        .await
        .map_err(err)?;
    sim.chain
        .send(
            &[ix::stake(
                &admin,
                &ix::exchange_pda(),
                &token,
                usd(usd_amount),
                0,
            )],
            &[],
        )
        .await
        .map_err(err)?;
    sim.log(format!(
        "protocol stakes {usd_amount:.2} USD into the insurance fund"
    ));
    sim.check().await;
    Ok(())
}

pub(super) async fn market_order(
    sim: &mut Sim,
    trader: usize,
    side: Side,
    btc: f64,
    tick: u64,
) -> Result<(), String> {
    let lots = (btc * 10_000.0) as u64;
    let params = OrderParams {
        side,
        order_type: OrderType::Market,
        price: tick,
        lots,
        client_order_id: 0,
        expiry_ts: 0,
        reduce_only: false,
    };
    if let Err(code) = sim.place(trader, params).await? {
        sim.log(format!(
            "{} market order rejected (error {})",
            sim.traders[trader].label,
            crate::client::error_label_opt(code)
        ));
    }
    Ok(())
}

/// Makers cancel and requote a 4-level post-only ladder around the index
/// (the oracle's fair price; quoting around the mark would feed the
/// mark's own basis back into it).
async fn quote(sim: &mut Sim, mms: &[usize], tick: u64, rng: &mut Rng) -> Result<(), String> {
    let market = sim.market();
    let fair = {
        let d = sim.market_data().await;
        MarketRef::from_bytes(&d)
            .map_err(err)?
            .header
            .state
            .index_price as f64
            / 1e6
    };
    for &mm in mms {
        let owner = sim.traders[mm].kp.pubkey();
        let seat = sim.seat(mm).await?;
        sim.send_trader(mm, &[ix::cancel_all_orders(&owner, &market, seat)])
            .await?;
        for level in 0..4u64 {
            let spread = fair * (0.0005 + 0.0012 * level as f64);
            for (side, px) in [(Side::Bid, fair - spread), (Side::Ask, fair + spread)] {
                let params = OrderParams {
                    side,
                    order_type: OrderType::PostOnly,
                    price: (px * 1e6) as u64 / tick * tick,
                    lots: 4_000 + 4_000 * level + rng.next() % 2_000,
                    client_order_id: level + 1,
                    expiry_ts: 0,
                    reduce_only: false,
                };
                let _ = sim.place(mm, params).await?;
            }
        }
    }
    Ok(())
}

pub(super) fn record(sim: &mut Sim, actions: &[Action]) {
    for a in actions {
        match a {
            Action::Liquidated {
                trader,
                closed_lots,
                partial,
                fee,
            } => {
                sim.summary.liquidations += 1;
                if *partial {
                    sim.summary.partial_liquidations += 1;
                }
                sim.marker(
                    "liquidation",
                    trader,
                    format!(
                        "{}closed {closed_lots} lots, fee {:.2} USD",
                        if *partial { "partial: " } else { "" },
                        *fee as f64 / 1e6
                    ),
                );
            }
            Action::TookOver {
                trader,
                lots,
                price,
            } => {
                sim.summary.takeovers += 1;
                sim.marker(
                    "takeover",
                    trader,
                    format!("{lots} lots at {:.2}", *price as f64 / 1e6),
                );
            }
            Action::CoveredBankruptcy { trader, amount } => {
                sim.summary.bankruptcies += 1;
                sim.marker(
                    "bankruptcy",
                    trader,
                    format!("insurance paid {:.2} USD", *amount as f64 / 1e6),
                );
            }
            Action::Deleveraged {
                trader,
                lots,
                deficit,
                counterparties,
                socialized,
                fund_paid,
            } => {
                if *fund_paid > 0 {
                    // The fund paid first for the lots ADL closed.
                    sim.summary.bankruptcies += 1;
                    sim.marker(
                        "bankruptcy",
                        trader,
                        format!("insurance paid {:.2} USD", *fund_paid as f64 / 1e6),
                    );
                }
                sim.summary.adl_events += 1;
                if *socialized {
                    sim.summary.socialized_loss_events += 1;
                }
                sim.marker(
                    if *socialized { "socialized" } else { "adl" },
                    trader,
                    format!(
                        "{lots} lots against {counterparties} counterparties, deficit {:.2} USD",
                        *deficit as f64 / 1e6
                    ),
                );
            }
            _ => {}
        }
        sim.log(format!("keeper: {a:?}"));
        sim.summary.keeper_actions.push(a.clone());
    }
}
