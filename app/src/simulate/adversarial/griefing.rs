//! Griefing by dust (issue 10): seats squatted with one-atom deposits, a
//! keeper locked out for want of a seat, a book side filled with small
//! orders, and a wall of one-lot orders in front of a liquidation.

use super::*;
use bulwark::engine::liquidation::MAX_LIQUIDATION_MAKERS;

/// Seats in the squatted table.
const SQUAT_SEATS: u32 = 4;
/// Orders per side of the squatted book.
const SQUAT_BOOK: u32 = 8;
/// One-lot orders in the wall (more than one liquidation call walks).
const WALL_ORDERS: usize = 40;

/// A long of 1 BTC at the start price with 2,000 USD, made liquidatable by
/// a drop to 63,500 (equity 500 < maintenance 635). Returns its trader.
async fn liquidatable_long(sim: &mut Sim, mm: usize) -> Result<usize, String> {
    let v = sim.add_trader("victim-long", 2_000.0).await?;
    let m = mkt(sim).await?;
    cross(
        sim,
        mm,
        v,
        Side::Bid,
        px(&m, START_USD, false),
        lots(&m, 1.0),
    )
    .await?;
    price_step(sim, 63_500.0, 1).await?;
    let (_, h) = equity_health(sim, v).await?;
    if h >= 0 {
        return Err(format!("victim not liquidatable (health {h})"));
    }
    Ok(v)
}

/// seat-squat: one-atom deposits try to claim every seat of a 4-seat table;
/// then an old dust seat (withdrawn to one atom) is evicted by a stranger
/// and a newcomer takes its place.
pub(super) async fn seat_squat(sim: &mut Sim, cfg: &BootstrapConfig) -> Result<Verdict, String> {
    fresh(sim, cfg, |m| m.max_seats = SQUAT_SEATS).await?;
    let market = sim.market();
    let mut refused = Vec::new();
    for _ in 0..SQUAT_SEATS {
        let (kp, token) = wallet(sim, 0.000_001).await?;
        let seat = sim.deposit_seat(&kp.pubkey()).await;
        let r = send_as(
            sim,
            &[ix::deposit(&kp.pubkey(), &market, seat, &token, 1)],
            Some(&kp),
        )
        .await;
        refused.push(r.err());
    }
    let all_refused = refused.iter().all(|e| e.is_some());
    // Seats that paid the minimum and withdrew to one atom fill the table.
    let min = {
        let d = sim.market_data().await;
        MarketRef::from_bytes(&d)
            .map_err(err)?
            .header
            .config
            .min_seat_collateral
    };
    let mut dust = Vec::new();
    for _ in 0..SQUAT_SEATS {
        let (kp, token) = wallet(sim, min as f64 / 1e6).await?;
        let seat = sim.deposit_seat(&kp.pubkey()).await;
        send_as(
            sim,
            &[ix::deposit(&kp.pubkey(), &market, seat, &token, min)],
            Some(&kp),
        )
        .await?;
        send_as(
            sim,
            &[ix::withdraw(&kp.pubkey(), &market, seat, &token, min - 1)],
            Some(&kp),
        )
        .await?;
        dust.push((kp, token));
    }
    let (stranger, _) = wallet(sim, 0.0).await?;
    let (owner, token) = (dust[0].0.pubkey(), dust[0].1);
    let before = sim.chain.token_balance(&token).await;
    let dust_seat = sim
        .seat_of_key(&owner)
        .await
        .ok_or("the dust seat is gone")?;
    let evicted = send_as(
        sim,
        &[ix::evict_seat(
            &stranger.pubkey(),
            &market,
            &owner,
            dust_seat,
            &token,
        )],
        Some(&stranger),
    )
    .await;
    let returned = sim.chain.token_balance(&token).await.saturating_sub(before);
    let newcomer = sim.add_trader("newcomer", 1_000.0).await;
    let blocked = all_refused && evicted.is_ok() && returned == 1 && newcomer.is_ok();
    Ok(Verdict {
        blocked,
        error: refused.into_iter().flatten().next(),
        tried: format!(
            "{SQUAT_SEATS} wallets deposit 1 atom each to claim every seat of a \
             {SQUAT_SEATS}-seat table; then {SQUAT_SEATS} seats pay the minimum and withdraw \
             to 1 atom, a stranger calls evict_seat on one, a newcomer deposits"
        ),
        outcome: format!(
            "1-atom deposits {}; evict_seat {} ({} atom back to the owner); newcomer {}",
            if all_refused {
                "all refused"
            } else {
                "accepted"
            },
            if evicted.is_ok() {
                "freed the seat"
            } else {
                "failed"
            },
            returned,
            match &newcomer {
                Ok(_) => "got a seat".to_string(),
                Err(e) => format!("locked out ({e})"),
            }
        ),
    })
}

/// keeper-locked-out: a keeper with no seat (and a table it could not
/// join) liquidates, naming its token account for the fee.
pub(super) async fn keeper_locked_out(
    sim: &mut Sim,
    cfg: &BootstrapConfig,
) -> Result<Verdict, String> {
    fresh(sim, cfg, |_| {}).await?;
    let mm = sim.add_trader("mm", 1_000_000.0).await?;
    let v = liquidatable_long(sim, mm).await?;
    let m = mkt(sim).await?;
    post(sim, mm, Side::Bid, px(&m, 63_400.0, false), lots(&m, 1.0)).await?;
    let (kp, token) = wallet(sim, 0.0).await?;
    let (market, owner) = (sim.market(), sim.traders[v].kp.pubkey());
    let vseat = sim.seat(v).await?;
    let liq = ix::liquidate_to(&kp.pubkey(), &market, &owner, vseat, None, Some(token));
    let r = send_as(sim, &[refresh(sim), liq], Some(&kp)).await;
    let paid = sim.chain.token_balance(&token).await;
    let left = seat(sim, v).await?.base_lots;
    Ok(Verdict {
        blocked: r.is_ok() && paid > 0 && left == 0,
        error: r.as_ref().err().cloned(),
        tried: "a liquidatable 1 BTC long; a keeper wallet with no seat calls liquidate, \
                naming its collateral token account"
            .into(),
        outcome: match r {
            Ok(()) => format!(
                "liquidated without a seat: victim position {left} lots, keeper paid {:.6} USD \
                 in its token account",
                paid as f64 / 1e6
            ),
            Err(e) => format!("the seatless keeper was refused ({e})"),
        },
    })
}

/// book-squat: one attacker fills a book side with one-lot bids at the
/// lower band edge; an honest bid above them must still rest.
pub(super) async fn book_squat(sim: &mut Sim, cfg: &BootstrapConfig) -> Result<Verdict, String> {
    fresh(sim, cfg, |m| m.book_capacity = SQUAT_BOOK).await?;
    let a = sim.add_trader("attacker-squatter", 10_000.0).await?;
    let h = sim.add_trader("honest-bidder", 10_000.0).await?;
    let m = mkt(sim).await?;
    let lo = m.band.0.div_ceil(m.tick) * m.tick;
    for i in 0..SQUAT_BOOK as u64 {
        post(sim, a, Side::Bid, lo + i * m.tick, 1).await?;
    }
    let before = seat(sim, a).await?;
    let price = px(&m, START_USD - 100.0, false);
    let r = order(
        sim,
        h,
        Side::Bid,
        OrderType::PostOnly,
        price,
        lots(&m, 0.01),
        false,
    )
    .await?;
    let after = seat(sim, a).await?;
    let rested = r.as_ref().map(|o| o.rested_lots > 0).unwrap_or(false);
    Ok(Verdict {
        blocked: rested && after.num_orders + 1 == before.num_orders,
        error: r.as_ref().err().cloned(),
        tried: format!(
            "the attacker rests {SQUAT_BOOK} one-lot bids from the lower band edge up, filling \
             the bid side; an honest trader bids 0.01 BTC at {:.2}",
            price as f64 / 1e6
        ),
        outcome: match &r {
            Ok(_) => format!(
                "the honest bid rests; the attacker's worst bid was evicted (its orders {} -> {}, \
                 reserved quote {} -> {} atoms)",
                before.num_orders, after.num_orders, before.open_bid_quote, after.open_bid_quote
            ),
            Err(e) => format!("the honest bid was refused ({e})"),
        },
    })
}

/// liquidation-compute-wall: 40 one-lot bids in front of the real depth;
/// the keeper's liquidation must proceed in calls of at most 32 makers.
pub(super) async fn liquidation_compute_wall(
    sim: &mut Sim,
    cfg: &BootstrapConfig,
) -> Result<Verdict, String> {
    fresh(sim, cfg, |m| m.book_capacity = 64).await?;
    let mm = sim.add_trader("mm", 1_000_000.0).await?;
    let w = sim.add_trader("attacker-wall", 10_000.0).await?;
    let k = sim.add_trader("keeper", 10_000.0).await?;
    let v = liquidatable_long(sim, mm).await?;
    let m = mkt(sim).await?;
    for _ in 0..WALL_ORDERS {
        post(sim, w, Side::Bid, px(&m, 63_450.0, false), 1).await?;
    }
    post(sim, mm, Side::Bid, px(&m, 63_400.0, false), lots(&m, 1.0)).await?;
    let (market, owner, keeper) = (
        sim.market(),
        sim.traders[v].kp.pubkey(),
        sim.traders[k].kp.pubkey(),
    );
    let full = lots(&m, 1.0) as i64;
    let mut closed_per_call = Vec::new();
    let mut last_err = None;
    for _ in 0..4 {
        let before = seat(sim, v).await?.base_lots;
        if before == 0 {
            break;
        }
        let (vs, ks) = (sim.seat(v).await?, sim.seat(k).await?);
        let r = send(
            sim,
            &[
                refresh(sim),
                ix::liquidate(&keeper, &market, &owner, vs, Some(ks)),
            ],
            Some(k),
        )
        .await;
        if let Err(e) = r {
            last_err = Some(e);
            break;
        }
        closed_per_call.push(before - seat(sim, v).await?.base_lots);
    }
    let left = seat(sim, v).await?.base_lots;
    let bounded = closed_per_call.first() == Some(&(MAX_LIQUIDATION_MAKERS as i64));
    Ok(Verdict {
        blocked: bounded && left == 0 && closed_per_call.len() >= 2,
        error: last_err,
        tried: format!(
            "the attacker rests {WALL_ORDERS} one-lot bids above the market maker's 1 BTC bid, \
             in front of a liquidatable 1 BTC long; the keeper liquidates"
        ),
        outcome: format!(
            "lots closed per call {closed_per_call:?} (bound {MAX_LIQUIDATION_MAKERS} makers a \
             call), position left {left} of {full} lots"
        ),
    })
}
