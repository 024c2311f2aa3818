//! Attacks on the waterfall after a price gap: insurance paid to a seat
//! whose position stays open, an ADL that charges a counterparty more than
//! its equity, a socialized loss that lands on losing positions.

use super::*;
use crate::simulate::crash::seed_insurance;

/// 2. A 32x long is bankrupt at the mark after a gap, its position open;
///    cover_bankruptcy is called on it. If the fund pays while the position
///    stays open, the price rebounds and the trader closes and withdraws.
pub(super) async fn cover_open_position(
    sim: &mut Sim,
    cfg: &BootstrapConfig,
) -> Result<Verdict, String> {
    fresh(sim, cfg, |_| {}).await?;
    seed_insurance(sim, 20_000.0).await?;
    let mm = sim.add_trader("mm", 1_000_000.0).await?;
    let l = sim.add_trader("attacker-long", 2_000.0).await?;
    let m = mkt(sim).await?;
    let one = lots(&m, 1.0);
    cross(sim, mm, l, Side::Bid, px(&m, START_USD, false), one).await?;
    price_step(sim, 62_000.0, SETTLE_SECS).await?;
    quote_around_index(sim, mm, 10.0, lots(&m, 5.0)).await?;
    let e0 = equity(sim, l).await?;
    let fund_before = fund(sim).await?.balance;
    let (market, owner) = (sim.market(), sim.traders[l].kp.pubkey());
    sim.step += 1;
    let ls = sim.seat(l).await?;
    let cover = send(sim, &[ix::cover_bankruptcy(&market, &owner, ls)], None).await;
    let paid = fund_before.saturating_sub(fund(sim).await?.balance);
    let s = seat(sim, l).await?;
    let open_after = s.base_lots != 0;
    let goal = paid > 0 && open_after;
    let mut rebound = String::new();
    if goal {
        // The rebound: the trader closes at the old price and withdraws
        // what it can.
        cancel_all(sim, mm).await?;
        price_step(sim, START_USD, SETTLE_SECS).await?;
        quote_around_index(sim, mm, 10.0, lots(&m, 5.0)).await?;
        let m2 = mkt(sim).await?;
        let bid = px(&m2, START_USD - 10.0, false);
        let _ = order(
            sim,
            l,
            Side::Ask,
            OrderType::ImmediateOrCancel,
            bid,
            one,
            true,
        )
        .await?;
        let free = {
            let d = sim.market_data().await;
            let mr = MarketRef::from_bytes(&d).map_err(err)?;
            let i = bulwark::engine::collateral::seat_of(mr.seats, &owner).map_err(err)?;
            let (c, st) = (&mr.header.config, &mr.header.state);
            margin::withdrawable(c, st, &mr.seats[i], margin::risk_price(st)).map_err(err)?
        };
        let token = sim.traders[l].token;
        let before = sim.chain.token_balance(&token).await;
        if free > 0 {
            let ls = sim.seat(l).await?;
            let _ = send(
                sim,
                &[ix::withdraw(&owner, &market, ls, &token, free)],
                Some(l),
            )
            .await;
        }
        let got = sim.chain.token_balance(&token).await.saturating_sub(before);
        rebound = format!(
            "; after the rebound to {START_USD:.0} the trader closed and withdrew {:.2} USD \
             (deposited 2,000)",
            got as f64 / 1e6
        );
    }
    let tried = format!(
        "attacker-long (2,000 USD) buys 1 BTC at {START_USD:.0}; the index gaps to 62,000 \
         (equity {:.2} USD at the mark, position open, book quoted at 61,990/62,010); \
         cover_bankruptcy on it",
        usd_of(e0)
    );
    let outcome = format!(
        "cover {}; fund paid {:.2} USD; position after: {} lots{rebound}",
        match &cover {
            Ok(()) => "succeeded".to_string(),
            Err(e) => format!("failed ({e})"),
        },
        paid as f64 / 1e6,
        s.base_lots
    );
    let error = match cover {
        Err(e) => Some(e),
        Ok(()) if !open_after => Some("position closed in the same step".into()),
        Ok(()) => None,
    };
    Ok(Verdict {
        blocked: !goal,
        error,
        tried,
        outcome,
    })
}

/// Opens the bankrupt long of attacks 5, 6, 19 and 20: 1 BTC at 65,000 with
/// 3,300 USD from `mm`'s ask.
pub(super) async fn gap_long(sim: &mut Sim, mm: usize, l: usize) -> Result<(), String> {
    let m = mkt(sim).await?;
    cross(
        sim,
        mm,
        l,
        Side::Bid,
        px(&m, START_USD, false),
        lots(&m, 1.0),
    )
    .await
}

/// 5. After a gap leaves a 20x long bankrupt (bankruptcy price ~61,732), a
///    50x short opens at 60,000, below that price; the index falls to
///    59,000 so the short is profitable and the top-ranked (only)
///    counterparty; the fund is empty and ADL closes the long against it.
pub(super) async fn adl_creates_bankruptcy(
    sim: &mut Sim,
    cfg: &BootstrapConfig,
) -> Result<Verdict, String> {
    fresh(sim, cfg, |_| {}).await?;
    let mm = sim.add_trader("mm", 1_000_000.0).await?;
    let l = sim.add_trader("bankrupt-long", 3_300.0).await?;
    let s = sim.add_trader("late-short", 1_300.0).await?;
    gap_long(sim, mm, l).await?;
    price_step(sim, 60_000.0, SETTLE_SECS).await?;
    let m = mkt(sim).await?;
    cross(
        sim,
        mm,
        s,
        Side::Ask,
        px(&m, 60_000.0, false),
        lots(&m, 1.0),
    )
    .await?;
    price_step(sim, 59_000.0, SETTLE_SECS).await?;
    let before = all_equities(sim).await?;
    let mut shorts = Vec::new();
    for t in 0..sim.traders.len() {
        if t != l && seat(sim, t).await?.base_lots < 0 {
            shorts.push(t);
        }
    }
    let (market, owner) = (sim.market(), sim.traders[l].kp.pubkey());
    sim.step += 1;
    let lseat = sim.seat(l).await?;
    let adl = send(sim, &[ix::auto_deleverage(&market, &owner, lseat)], None).await;
    let after = all_equities(sim).await?;
    let ls = seat(sim, l).await?;
    let worst = shorts.iter().map(|&t| after[t]).min().unwrap_or(0);
    let names: Vec<String> = shorts
        .iter()
        .map(|&t| {
            format!(
                "{} {:.2} -> {:.2} USD",
                sim.traders[t].label,
                usd_of(before[t]),
                usd_of(after[t])
            )
        })
        .collect();
    let tried = format!(
        "bankrupt-long (3,300 USD) buys 1 BTC at {START_USD:.0}; gap to 60,000; late-short \
         (1,300 USD) sells 1 BTC at 60,000; index 59,000 (long equity {:.2} USD, fund empty); \
         auto_deleverage on the long",
        usd_of(before[l])
    );
    let outcome = format!(
        "ADL {}; long then {} lots; counterparties' equity: {}",
        match &adl {
            Ok(()) => "succeeded".to_string(),
            Err(e) => format!("failed ({e})"),
        },
        ls.base_lots,
        names.join(", ")
    );
    Ok(Verdict {
        blocked: worst >= 0,
        error: adl.err(),
        tried,
        outcome,
    })
}

/// 6. On a socialized-loss market a bankrupt long is deleveraged while the
///    short side holds a profitable short (entry 65,000) and a losing,
///    leveraged one (entry 58,000, index back at 60,000).
pub(super) async fn socialized_hits_losers(
    sim: &mut Sim,
    cfg: &BootstrapConfig,
) -> Result<Verdict, String> {
    fresh(sim, cfg, |m| m.waterfall_mode = "socialized".into()).await?;
    let mm = sim.add_trader("mm", 1_000_000.0).await?;
    let l = sim.add_trader("bankrupt-long", 3_300.0).await?;
    let p = sim.add_trader("winning-short", 10_000.0).await?;
    let x = sim.add_trader("losing-short", 2_700.0).await?;
    gap_long(sim, mm, l).await?;
    let m = mkt(sim).await?;
    let one = lots(&m, 1.0);
    cross(sim, mm, p, Side::Ask, px(&m, START_USD, false), one).await?;
    price_step(sim, 58_000.0, SETTLE_SECS).await?;
    let m = mkt(sim).await?;
    cross(sim, mm, x, Side::Ask, px(&m, 58_000.0, false), one).await?;
    price_step(sim, 60_000.0, SETTLE_SECS).await?;
    let before = all_equities(sim).await?;
    let xs_before = seat(sim, x).await?;
    let (market, owner) = (sim.market(), sim.traders[l].kp.pubkey());
    sim.step += 1;
    let lseat = sim.seat(l).await?;
    let adl = send(sim, &[ix::auto_deleverage(&market, &owner, lseat)], None).await;
    let after = all_equities(sim).await?;
    let xs_after = seat(sim, x).await?;
    let newly_insolvent: Vec<String> = (0..sim.traders.len())
        .filter(|&t| t != l && before[t] >= 0 && after[t] < 0)
        .map(|t| sim.traders[t].label.clone())
        .collect();
    let loser_touched = after[x] < before[x] || xs_after.collateral < xs_before.collateral;
    let tried = format!(
        "socialized market: bankrupt-long (3,300 USD, 1 BTC at {START_USD:.0}), winning-short \
         (1 BTC at 65,000), losing-short (2,700 USD, 1 BTC at 58,000, equity {:.2} USD at 60,000); \
         auto_deleverage on the long (equity {:.2} USD)",
        usd_of(before[x]),
        usd_of(before[l])
    );
    let outcome = format!(
        "ADL {}; losing-short equity {:.2} -> {:.2} USD; winning-short {:.2} -> {:.2} USD; \
         newly insolvent: {}",
        match &adl {
            Ok(()) => "succeeded".to_string(),
            Err(e) => format!("failed ({e})"),
        },
        usd_of(before[x]),
        usd_of(after[x]),
        usd_of(before[p]),
        usd_of(after[p]),
        if newly_insolvent.is_empty() {
            "none".to_string()
        } else {
            newly_insolvent.join(", ")
        }
    );
    let error = match adl {
        Err(e) => Some(e),
        Ok(()) if !loser_touched => Some("losing positions are not charged".into()),
        Ok(()) => None,
    };
    Ok(Verdict {
        blocked: !loser_touched && newly_insolvent.is_empty(),
        error,
        tried,
        outcome,
    })
}
