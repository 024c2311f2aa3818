//! A calm market: two market makers quote post-only ladders around the
//! index, four takers send immediate-or-cancel and market orders, the index
//! walks, funding is paid each interval, fees are swept.

use super::Sim;
use crate::ix;
use bulwark::engine::book::Side;
use bulwark::engine::trade::{OrderParams, OrderType};
use bulwark::state::MarketRef;
use solana_signer::Signer;

/// Deterministic xorshift so runs repeat exactly.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn unit(&mut self) -> f64 {
        (self.next() % 1_000_000) as f64 / 1_000_000.0
    }
}

pub(super) const STEPS: u32 = 90;
const STEP_SECS: i64 = 60;

pub(super) async fn run(sim: &mut Sim) -> Result<(), String> {
    let mut rng = Rng(0x5EED_CA11);
    let mms = [
        sim.add_trader("mm0", 400_000.0).await?,
        sim.add_trader("mm1", 400_000.0).await?,
    ];
    let mut takers = Vec::new();
    for i in 0..4 {
        takers.push(sim.add_trader(&format!("taker{i}"), 30_000.0).await?);
    }
    let market = sim.market();
    let tick = {
        let d = sim.market_data().await;
        MarketRef::from_bytes(&d)
            .map_err(super::err)?
            .header
            .config
            .tick_size
    };
    let mut price = 65_000.0f64;
    let mut last_funding_step = 0;
    for step in 1..=STEPS {
        sim.step = step;
        price *= 1.0 + (rng.unit() - 0.5) * 0.004;
        sim.set_price(price, STEP_SECS).await?;
        let fair = {
            let d = sim.market_data().await;
            MarketRef::from_bytes(&d)
                .map_err(super::err)?
                .header
                .state
                .index_price as f64
                / 1e6
        };
        // Makers requote: cancel everything, then a 3-level post-only ladder.
        for (k, &mm) in mms.iter().enumerate() {
            let owner = sim.traders[mm].kp.pubkey();
            let seat = sim.seat(mm).await?;
            sim.send_trader(mm, &[ix::cancel_all_orders(&owner, &market, seat)])
                .await?;
            let skew = (k as f64 - 0.5) * 2.0;
            for level in 0..3u64 {
                let spread = fair * (0.0004 + 0.0003 * level as f64 + 0.0001 * skew.abs());
                for (side, px) in [(Side::Bid, fair - spread), (Side::Ask, fair + spread)] {
                    let units = (px * 1e6) as u64 / tick * tick;
                    let params = OrderParams {
                        side,
                        order_type: OrderType::PostOnly,
                        price: units,
                        lots: 2_000 + 1_000 * level + rng.next() % 1_000,
                        client_order_id: level + 1,
                        expiry_ts: 0,
                        reduce_only: false,
                    };
                    let _ = sim.place(mm, params).await?;
                }
            }
        }
        // Takers trade now and then; sometimes they close with reduce-only.
        for &t in &takers {
            if rng.unit() < 0.35 {
                let side = if rng.unit() < 0.5 {
                    Side::Bid
                } else {
                    Side::Ask
                };
                let reduce_only = rng.unit() < 0.2;
                let order_type = if rng.unit() < 0.5 {
                    OrderType::Market
                } else {
                    OrderType::ImmediateOrCancel
                };
                let limit = match side {
                    Side::Bid => fair * 1.001,
                    Side::Ask => fair * 0.999,
                };
                let params = OrderParams {
                    side,
                    order_type,
                    price: (limit * 1e6) as u64 / tick * tick,
                    lots: 300 + rng.next() % 3_000,
                    client_order_id: 0,
                    expiry_ts: 0,
                    reduce_only,
                };
                if let Err(code) = sim.place(t, params).await? {
                    sim.log(format!(
                        "{} order rejected (error {})",
                        sim.traders[t].label,
                        crate::client::error_label_opt(code)
                    ));
                }
            }
        }
        // Funding once per interval (3600 s = 60 steps).
        if (step - last_funding_step) as i64 * STEP_SECS >= 3_600 {
            sim.chain
                .send(&[ix::update_funding(&market)], &[])
                .await
                .map_err(super::err)?;
            let d = sim.market_data().await;
            let rate = MarketRef::from_bytes(&d)
                .map_err(super::err)?
                .header
                .state
                .last_funding_rate_ppm;
            sim.summary.funding_rates_ppm.push(rate);
            sim.log(format!("update_funding: rate {rate} ppm per interval"));
            sim.check().await;
            last_funding_step = step;
        }
        if step % 30 == 0 {
            sim.sweep().await?;
        }
    }
    sim.sweep().await?;
    Ok(())
}
