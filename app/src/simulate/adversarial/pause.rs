//! A stolen admin key pauses the market and raises the maintenance margin
//! in one transaction, so that the trader cannot close while the admin's
//! keeper seat takes its position over at the discount (issue 10). The
//! margin raise waits behind the timelock, and a paused market still takes
//! orders that only reduce: the trader closes.

use super::*;
use bulwark::state::MarketStatus;

pub(super) async fn pause_then_liquidate(
    sim: &mut Sim,
    cfg: &BootstrapConfig,
) -> Result<Verdict, String> {
    fresh(sim, cfg, |_| {}).await?;
    let mm = sim.add_trader("mm", 200_000.0).await?;
    let long = sim.add_trader("long", 10_000.0).await?;
    let keeper = sim.add_trader("admin-keeper", 200_000.0).await?;
    let m = mkt(sim).await?;
    // 2x: 20,000 USD of notional on 10,000 USD of collateral; the maker
    // keeps a bid resting just below the index.
    let size = lots(&m, 20_000.0 / START_USD);
    cross(sim, mm, long, Side::Bid, px(&m, START_USD, true), size).await?;
    post(sim, mm, Side::Bid, px(&m, START_USD - 5.0, false), size).await?;
    let before = seat(sim, long).await?;

    sim.step += 1;
    let admin = sim.chain.payer_pubkey();
    let market = sim.market();
    let n = {
        let d = sim.market_data().await;
        MarketRef::from_bytes(&d)
            .map_err(err)?
            .header
            .config
            .num_tiers
    };
    let mut rug = vec![ix::set_market_status(&admin, &market, MarketStatus::Paused)];
    rug.extend(super::operator::margin_rug(&admin, &market, n));
    let raised = send_as(sim, &rug, None).await;
    let paused = send_as(
        sim,
        &[ix::set_market_status(&admin, &market, MarketStatus::Paused)],
        None,
    )
    .await;
    sim.log(format!(
        "admin pauses and raises maintenance to 99 %: {raised:?}; pauses alone: {paused:?}"
    ));
    let trader = sim.traders[keeper].kp.pubkey();
    let victim = sim.traders[long].kp.pubkey();
    let (vs, ks) = (sim.seat(long).await?, sim.seat(keeper).await?);
    let take = send(
        sim,
        &[
            refresh(sim),
            ix::takeover(&trader, &market, &victim, vs, ks),
        ],
        Some(keeper),
    )
    .await;
    // The trader's way out while paused: a plain sell of its whole long.
    let m = mkt(sim).await?;
    let exit = order(
        sim,
        long,
        Side::Ask,
        OrderType::ImmediateOrCancel,
        px(&m, START_USD - 5.0, false),
        size,
        false,
    )
    .await?;
    let after = seat(sim, long).await?;
    let blocked = raised.is_err()
        && paused.is_ok()
        && take.is_err()
        && exit.is_ok()
        && after.base_lots == 0
        && after.collateral > 0;
    Ok(Verdict {
        blocked,
        error: raised.as_ref().err().cloned(),
        tried: format!(
            "a 2x long ({size} lots at {START_USD:.0} USD on 10,000 USD); the admin key pauses \
             the market and raises maintenance margin to 99 % in one transaction, its keeper \
             seat takes the long over, and the trader tries to close while paused"
        ),
        outcome: format!(
            "pause + raise {}; pause alone {}; takeover {}; the trader's close {} — it holds {} \
             lots (was {}), collateral {:.2} USD (was {:.2})",
            match &raised {
                Ok(()) => "applied".to_string(),
                Err(e) => format!("refused ({e}: the raise waits behind the timelock)"),
            },
            if paused.is_ok() { "applied" } else { "refused" },
            match &take {
                Ok(()) => "succeeded".to_string(),
                Err(e) => format!("refused ({e})"),
            },
            match &exit {
                Ok(o) => format!(
                    "filled {} lots (a paused market takes reducing orders)",
                    o.filled_lots
                ),
                Err(e) => format!("was refused ({e})"),
            },
            after.base_lots,
            before.base_lots,
            usd_of(after.collateral as i128),
            usd_of(before.collateral as i128),
        ),
    })
}
