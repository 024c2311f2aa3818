//! Attacks through the order book: a self-trade that leaves a hole for the
//! insurance fund, a mark pushed by one-lot quotes, a partial liquidation
//! filled so badly that what is kept is liquidatable again at once.

use super::*;
use crate::simulate::crash::seed_insurance;
use bulwark::engine::liquidation::{bankruptcy_price, close_plan};

/// The most the mark may move (bps) for `mark-push` to count as blocked.
pub(super) const MARK_PUSH_BOUND_BPS: f64 = 100.0;

/// 1. A 32x long sells its whole position into a friend's bid at the
///    lower band edge: the seller ends flat below zero, the friend holds
///    the gain, and the insurance fund is asked to pay the hole.
pub(super) async fn self_trade_deficit(
    sim: &mut Sim,
    cfg: &BootstrapConfig,
) -> Result<Verdict, String> {
    fresh(sim, cfg, |_| {}).await?;
    seed_insurance(sim, 20_000.0).await?;
    let mm = sim.add_trader("mm", 1_000_000.0).await?;
    let a = sim.add_trader("attacker-long", 2_000.0).await?;
    let f = sim.add_trader("attacker-friend", 20_000.0).await?;
    let m = mkt(sim).await?;
    let one = lots(&m, 1.0);
    cross(sim, mm, a, Side::Bid, px(&m, START_USD, false), one).await?;
    let lo = m.band.0.div_ceil(m.tick) * m.tick;
    post(sim, f, Side::Bid, lo, one).await?;
    let fund_before = fund(sim).await?.balance;
    sim.step += 1;
    let sell = order(
        sim,
        a,
        Side::Ask,
        OrderType::ImmediateOrCancel,
        lo,
        one,
        false,
    )
    .await?;
    let s = seat(sim, a).await?;
    let e = equity(sim, a).await?;
    let fs = seat(sim, f).await?;
    let friend_gain = margin::unrealized_pnl(&fs, m.index, m.lpu).map_err(err)?;
    let mut cover_err = None;
    if e < 0 {
        let (market, owner) = (sim.market(), sim.traders[a].kp.pubkey());
        let s = sim.seat(a).await?;
        cover_err = send(sim, &[ix::cover_bankruptcy(&market, &owner, s)], None)
            .await
            .err();
    }
    let paid = fund_before.saturating_sub(fund(sim).await?.balance);
    let hole = e < 0 || paid > 0;
    let tried = format!(
        "attacker-long (2,000 USD) buys 1 BTC at {START_USD:.0} (~32x), its friend bids 1 BTC at \
         the lower band edge {:.2}, the long sells its whole position into that bid (IOC), \
         then cover_bankruptcy on the seller",
        lo as f64 / 1e6
    );
    let outcome = match &sell {
        Err(name) => format!(
            "the sale was refused ({name}); seller keeps 1 BTC, equity {:.2} USD, fund paid {:.2}",
            usd_of(e),
            paid as f64 / 1e6
        ),
        Ok(o) => format!(
            "sold {} lots; seller position {} lots, collateral {:.2} USD, equity {:.2} USD; friend \
             gain {:.2} USD at the index; insurance paid {:.2} USD{}",
            o.filled_lots,
            s.base_lots,
            s.collateral as f64 / 1e6,
            usd_of(e),
            friend_gain as f64 / 1e6,
            paid as f64 / 1e6,
            cover_err
                .as_ref()
                .map(|c| format!(" (cover: {c})"))
                .unwrap_or_default()
        ),
    };
    Ok(Verdict {
        blocked: !hole,
        error: sell.err(),
        tried,
        outcome,
    })
}

/// 3. One actor rests a one-lot bid and ask at the lower band edge of a
///    quiet book, waits one EMA period, and calls refresh_prices three
///    times in one transaction; its keeper seat then tries to take over a
///    long that is healthy at the index.
pub(super) async fn mark_push(sim: &mut Sim, cfg: &BootstrapConfig) -> Result<Verdict, String> {
    fresh(sim, cfg, |_| {}).await?;
    let mm = sim.add_trader("mm", 1_000_000.0).await?;
    let v = sim.add_trader("victim-long", 3_600.0).await?;
    let p = sim.add_trader("attacker-quoter", 1_000.0).await?;
    let k = sim.add_trader("attacker-keeper", 50_000.0).await?;
    let m = mkt(sim).await?;
    let one = lots(&m, 1.0);
    cross(sim, mm, v, Side::Bid, px(&m, START_USD, false), one).await?;
    price_step(sim, START_USD, SETTLE_SECS).await?;
    let m = mkt(sim).await?;
    let mark_before = m.mark;
    let (_, health_before) = equity_health(sim, v).await?;
    let lo = m.band.0.div_ceil(m.tick) * m.tick;
    post(sim, p, Side::Bid, lo, 1).await?;
    post(sim, p, Side::Ask, lo + m.tick, 1).await?;
    // The book stays quiet for one EMA period, then the pusher cranks.
    let ema_secs = {
        let d = sim.market_data().await;
        MarketRef::from_bytes(&d)
            .map_err(err)?
            .header
            .config
            .mark_ema_secs as i64
    };
    sim.step += 1;
    sim.chain.advance_time(ema_secs).await;
    set_feeds(sim, START_USD).await;
    let r = refresh(sim);
    let push = send(sim, &[r.clone(), r.clone(), r], Some(p)).await;
    let m = mkt(sim).await?;
    let mark_after = m.mark;
    let move_bps = (mark_after as f64 - mark_before as f64) / mark_before as f64 * 1e4;
    let (_, health_after) = equity_health(sim, v).await?;
    let before = seat(sim, v).await?;
    let (market, keeper, target) = (
        sim.market(),
        sim.traders[k].kp.pubkey(),
        sim.traders[v].kp.pubkey(),
    );
    let (vs, kss) = (sim.seat(v).await?, sim.seat(k).await?);
    let take = send(
        sim,
        &[ix::takeover(&keeper, &market, &target, vs, kss)],
        Some(k),
    )
    .await;
    let after = seat(sim, v).await?;
    let ks = seat(sim, k).await?;
    let taken = after.base_lots != before.base_lots;
    let tried = format!(
        "attacker-quoter rests a 1-lot bid at {:.2} and a 1-lot ask at {:.2} (lower band edge, \
         empty book), waits {ema_secs} s, sends refresh_prices x3 in one transaction; \
         attacker-keeper then calls takeover on victim-long (1 BTC at {START_USD:.0}, 3,600 USD)",
        lo as f64 / 1e6,
        (lo + m.tick) as f64 / 1e6
    );
    let outcome = format!(
        "mark {:.2} -> {:.2} ({move_bps:+.1} bps; index {:.2}){}; victim maint health {:.2} -> \
         {:.2} USD; takeover {}; victim {} -> {} lots, keeper holds {} lots",
        mark_before as f64 / 1e6,
        mark_after as f64 / 1e6,
        m.index as f64 / 1e6,
        push.as_ref()
            .err()
            .map(|e| format!(" (refresh: {e})"))
            .unwrap_or_default(),
        usd_of(health_before),
        usd_of(health_after),
        match &take {
            Ok(()) => "succeeded".to_string(),
            Err(e) => format!("failed ({e})"),
        },
        before.base_lots,
        after.base_lots,
        ks.base_lots
    );
    Ok(Verdict {
        blocked: move_bps.abs() <= MARK_PUSH_BOUND_BPS && !taken,
        error: take.err().or(push.err()),
        tried,
        outcome,
    })
}

/// 4. A 15 BTC long in tier 2 falls to liquidation; the griefer's only bid
///    sits at the worst price the liquidation accepts (the close plan's
///    limit, never below the bankruptcy price), so the partial close fills
///    as badly as the rule allows, and the griefer's keeper liquidates
///    again.
pub(super) async fn partial_liq_zero_equity(
    sim: &mut Sim,
    cfg: &BootstrapConfig,
) -> Result<Verdict, String> {
    fresh(sim, cfg, |_| {}).await?;
    let mm = sim.add_trader("mm", 2_000_000.0).await?;
    let w = sim.add_trader("whale", 50_000.0).await?;
    let g = sim.add_trader("griefer-bidder", 200_000.0).await?;
    let k = sim.add_trader("griefer-keeper", 20_000.0).await?;
    let m = mkt(sim).await?;
    let size = lots(&m, 15.0);
    cross(sim, mm, w, Side::Bid, px(&m, START_USD, false), size).await?;
    price_step(sim, 63_000.0, SETTLE_SECS).await?;
    let (pb, limit, plan_lots, tier) = {
        let d = sim.market_data().await;
        let mr = MarketRef::from_bytes(&d).map_err(err)?;
        let owner = sim.traders[w].kp.pubkey();
        let i = bulwark::engine::collateral::seat_of(mr.seats, &owner).map_err(err)?;
        let (c, st, s) = (&mr.header.config, &mr.header.state, &mr.seats[i]);
        let price = margin::risk_price(st);
        let n = margin::notional_ceil(s.base_lots.unsigned_abs(), price, c.base_lots_per_unit)
            .map_err(err)?;
        let plan = close_plan(c, st, s, price).map_err(err)?;
        let pb = bankruptcy_price(c, st, s).map_err(err)?.unwrap_or(0);
        (pb, plan.limit.max(pb), plan.lots, margin::tier_for(c, n).0)
    };
    let m = mkt(sim).await?;
    let bid = limit.div_ceil(m.tick) * m.tick;
    post(sim, g, Side::Bid, bid, size).await?;
    let (_, h0) = equity_health(sim, w).await?;
    let (market, keeper, target) = (
        sim.market(),
        sim.traders[k].kp.pubkey(),
        sim.traders[w].kp.pubkey(),
    );
    let before_liq = seat(sim, w).await?;
    sim.step += 1;
    let (ws, kss) = (sim.seat(w).await?, sim.seat(k).await?);
    let first = send(
        sim,
        &[ix::liquidate(&keeper, &market, &target, ws, Some(kss))],
        Some(k),
    )
    .await;
    let kept = seat(sim, w).await?;
    let (e1, h1) = equity_health(sim, w).await?;
    sim.step += 1;
    let second = send(
        sim,
        &[ix::liquidate(&keeper, &market, &target, ws, Some(kss))],
        Some(k),
    )
    .await;
    let after2 = seat(sim, w).await?;
    let tried = format!(
        "whale (50,000 USD) buys 15 BTC at {START_USD:.0} (tier {tier} at 63,000); the index falls \
         to 63,000; griefer-bidder's only bid is 15 BTC at {:.2}, the worst price the close of \
         {plan_lots} lots accepts (bankruptcy price {:.2}); griefer-keeper liquidates, then \
         liquidates again",
        bid as f64 / 1e6,
        pb as f64 / 1e6
    );
    let outcome = format!(
        "maint health before {:.2} USD; first liquidation {}: whale keeps {} lots, equity {:.2} \
         USD, maint health {:.2} USD; second liquidation {} (whale then {} lots)",
        usd_of(h0),
        match &first {
            Ok(()) => "ok".to_string(),
            Err(e) => format!("failed ({e})"),
        },
        kept.base_lots,
        usd_of(e1),
        usd_of(h1),
        match &second {
            Ok(()) => "succeeded".to_string(),
            Err(e) => format!("failed ({e})"),
        },
        after2.base_lots
    );
    let closed = kept.base_lots != before_liq.base_lots;
    let relisted = first.is_ok() && closed && h1 < 0 && second.is_ok();
    let error = match (&first, &second) {
        (Err(e), _) => Some(e.clone()),
        (Ok(()), Err(e)) => Some(e.clone()),
        (Ok(()), Ok(())) if !closed => Some("the close did not fill at the griefer's price".into()),
        _ => None,
    };
    // A first liquidation that fails says nothing about the rule: not blocked.
    Ok(Verdict {
        blocked: first.is_ok() && !relisted,
        error,
        tried,
        outcome,
    })
}
