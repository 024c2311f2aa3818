//! Attacks 19–20, on the multi-transaction ADL ranking round (issue 12): a
//! counterparty that tries to slip out of the ranking while it runs, and a
//! wallet that opens a round to freeze the market and walks away.

use super::*;
use crate::keeper_adl;
use bulwark::engine::adl_round::RoundEnd;

/// The ADL setup of `adl-creates-bankruptcy` with a profitable short: a
/// 20x long bankrupt after a gap to 59,000, the fund empty, `short` (1 BTC
/// sold at 65,000, 20,000 USD) the top-ranked counterparty. Returns
/// (long, short).
async fn bankrupt_long_and_short(
    sim: &mut Sim,
    cfg: &BootstrapConfig,
) -> Result<(usize, usize), String> {
    fresh(sim, cfg, |_| {}).await?;
    let mm = sim.add_trader("mm", 1_000_000.0).await?;
    let l = sim.add_trader("bankrupt-long", 3_300.0).await?;
    let s = sim.add_trader("ranked-short", 20_000.0).await?;
    super::waterfall::gap_long(sim, mm, l).await?;
    let m = mkt(sim).await?;
    cross(
        sim,
        mm,
        s,
        Side::Ask,
        px(&m, START_USD, false),
        lots(&m, 1.0),
    )
    .await?;
    // The market maker is flat again (it sold to the long and bought from
    // the short); its quotes go, so the book cannot take the long.
    cancel_all(sim, mm).await?;
    price_step(sim, 59_000.0, SETTLE_SECS).await?;
    Ok((l, s))
}

/// What the round will do, predicted on a copy with the program's engine
/// (the keeper's own prediction).
async fn predicted(sim: &mut Sim, l: usize) -> Result<RoundEnd, String> {
    let d = sim.market_data().await;
    let lseat = sim.seat(l).await? as usize;
    let fund = fund(sim).await?.balance;
    let now = sim.chain.clock().await.unix_timestamp;
    keeper_adl::predict(&d, Some(lseat), fund, now)
}

/// 19. While a ranking round is open, the top-ranked short tries to leave
///     the ranking: it deposits 50,000 USD (its leverage, and so its score,
///     would fall below everyone else's), then buys its short back. Both
///     must fail, and the round must close the long against it exactly as
///     predicted before the round began.
pub(super) async fn adl_round_dodge(
    sim: &mut Sim,
    cfg: &BootstrapConfig,
) -> Result<Verdict, String> {
    let (l, s) = bankrupt_long_and_short(sim, cfg).await?;
    let want = predicted(sim, l).await?;
    let market = sim.market();
    let (owner, lseat) = (sim.traders[l].kp.pubkey(), sim.seat(l).await?);
    let (skey, sseat) = (sim.traders[s].kp.pubkey(), sim.seat(s).await?);
    sim.step += 1;
    send(
        sim,
        &[ix::adl_begin(&skey, &market, &owner, lseat)],
        Some(s),
    )
    .await?;
    let token = sim.traders[s].token;
    let mint = sim.dep.collateral_mint;
    sim.chain
        .mint_to(&mint, &token, usd(50_000.0))
        .await
        .map_err(err)?;
    let dep = send(
        sim,
        &[ix::deposit(&skey, &market, sseat, &token, usd(50_000.0))],
        Some(s),
    )
    .await;
    let m = mkt(sim).await?;
    let buy = order(
        sim,
        s,
        Side::Bid,
        OrderType::Market,
        px(&m, 59_000.0, true),
        lots(&m, 1.0),
        false,
    )
    .await?
    .map(|_| ());
    // The scan, split in one-seat steps by the short itself, then executed.
    let n = MarketRef::from_bytes(&sim.market_data().await)
        .map_err(err)?
        .header
        .seat_count;
    for _ in 0..n {
        send(sim, &[ix::adl_scan(&skey, &market, 1)], Some(s)).await?;
    }
    send(sim, &[ix::adl_execute(&market)], None).await?;
    let short_after = seat(sim, s).await?;
    let closed_against_short = short_after.base_lots == 0;
    let long_after = seat(sim, l).await?;
    let same = want.outcome.map(|o| o.lots) == Some(lots(&m, 1.0)) && long_after.base_lots == 0;
    let refused = |r: &Result<(), String>| r.as_ref().err().is_some_and(|e| e == "AdlRoundActive");
    let tried = "a bankrupt 20x long, the fund empty; the top-ranked short opens the ranking \
                 round itself, then deposits 50,000 USD and sends a market buy of its 1 BTC \
                 while the round is open, and scans the table one seat per transaction"
        .to_string();
    let outcome = format!(
        "deposit {}; buy-back {}; the round closed the long against the short: {} (short \
         {} lots after, as predicted before the round: {})",
        dep.as_ref()
            .err()
            .cloned()
            .unwrap_or_else(|| "succeeded".into()),
        buy.as_ref()
            .err()
            .cloned()
            .unwrap_or_else(|| "succeeded".into()),
        closed_against_short,
        short_after.base_lots,
        same
    );
    Ok(Verdict {
        blocked: refused(&dep) && refused(&buy) && closed_against_short && same,
        error: dep.err(),
        tried,
        outcome,
    })
}

/// 20. A wallet opens a ranking round (ADL is due) and walks away, leaving
///     the market frozen. A keeper must end it — finish it, or abort it
///     once it expired — and trading must resume; a new round cannot be
///     opened once ADL is no longer due.
pub(super) async fn adl_round_freeze(
    sim: &mut Sim,
    cfg: &BootstrapConfig,
) -> Result<Verdict, String> {
    let (l, s) = bankrupt_long_and_short(sim, cfg).await?;
    let market = sim.market();
    let (owner, lseat) = (sim.traders[l].kp.pubkey(), sim.seat(l).await?);
    let (attacker, _) = wallet(sim, 0.0).await?;
    sim.step += 1;
    send_as(
        sim,
        &[ix::adl_begin(&attacker.pubkey(), &market, &owner, lseat)],
        Some(&attacker),
    )
    .await?;
    let m = mkt(sim).await?;
    let ask = |m: &Mkt| (px(m, 60_000.0, true), lots(m, 0.1));
    let (p, q) = ask(&m);
    let frozen = order(sim, s, Side::Ask, OrderType::Limit, p, q, false)
        .await?
        .map(|_| ());
    // The keeper's own round handling: it finds the open round first.
    let fund_balance = fund(sim).await?.balance;
    let now = sim.chain.clock().await.unix_timestamp;
    let kp = Keypair::new();
    sim.chain
        .airdrop(&kp.pubkey(), 1_000_000_000)
        .await
        .map_err(err)?;
    let end = keeper_adl::finish_open_round(&mut sim.chain, &kp, &market, fund_balance, now).await;
    sim.check().await;
    let active = MarketRef::from_bytes(&sim.market_data().await)
        .map_err(err)?
        .header
        .adl_round
        .active;
    let m = mkt(sim).await?;
    let (p, q) = ask(&m);
    let after = order(sim, s, Side::Ask, OrderType::Limit, p, q, false)
        .await?
        .map(|_| ());
    let again = send_as(
        sim,
        &[ix::adl_begin(&attacker.pubkey(), &market, &owner, lseat)],
        Some(&attacker),
    )
    .await;
    let tried = "a wallet opens an ADL ranking round on a bankrupt long and sends nothing more; \
                 a trader's order during the round; then the keeper's turn; then the wallet \
                 tries to open another round"
        .to_string();
    let outcome = format!(
        "order while open: {}; keeper: {}; market frozen after the keeper: {}; order after: \
         {}; second round: {}",
        frozen
            .as_ref()
            .err()
            .cloned()
            .unwrap_or_else(|| "succeeded".into()),
        match &end {
            Ok(e) => format!("finished the round (closed: {})", e.outcome.is_some()),
            Err(e) => format!("failed ({e})"),
        },
        active == 1,
        after
            .as_ref()
            .err()
            .cloned()
            .unwrap_or_else(|| "succeeded".into()),
        again
            .as_ref()
            .err()
            .cloned()
            .unwrap_or_else(|| "succeeded".into()),
    );
    Ok(Verdict {
        blocked: frozen.as_ref().err().is_some_and(|e| e == "AdlRoundActive")
            && end.is_ok()
            && active == 0
            && after.is_ok()
            && again.is_err(),
        error: again.err(),
        tried,
        outcome,
    })
}
