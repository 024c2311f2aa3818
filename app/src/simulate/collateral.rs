//! Deposits, index moves, withdrawals within margin, a rejected
//! over-withdrawal and a released seat.

use super::{err, Rejection, Sim};
use crate::config::usd;
use crate::ix;
use solana_signer::Signer;

pub(super) async fn run(sim: &mut Sim) -> Result<(), String> {
    for (i, a) in [10_000.0, 25_000.0, 50_000.0].iter().enumerate() {
        sim.add_trader(&format!("trader{i}"), *a).await?;
    }
    for p in [65_300.0, 64_100.0, 66_000.0] {
        sim.step += 1;
        sim.set_price(p, 10).await?;
        sim.log(format!("index -> {p:.2} USD"));
    }
    let market = sim.market();
    sim.step += 1;
    let (owner, token) = (sim.traders[0].kp.pubkey(), sim.traders[0].token);
    let seat = sim.seat(0).await?;
    sim.send_trader(
        0,
        &[ix::withdraw(&owner, &market, seat, &token, usd(4_000.0))],
    )
    .await?;
    sim.summary.withdrawals_usd += 4_000.0;
    sim.log("trader0 withdraws 4000.00 USD".into());
    sim.step += 1;
    let r = sim
        .send_trader(
            0,
            &[ix::withdraw(&owner, &market, seat, &token, usd(7_000.0))],
        )
        .await;
    let code = match r {
        Err(_) => sim
            .chain
            .send(
                &[ix::withdraw(&owner, &market, seat, &token, usd(7_000.0))],
                &[&sim.traders[0].kp],
            )
            .await
            .err()
            .and_then(|e| e.code()),
        Ok(()) => return Err("over-withdrawal was accepted".into()),
    };
    sim.log(format!(
        "trader0 tries to withdraw 7000.00 USD: rejected (error {})",
        crate::client::error_label_opt(code)
    ));
    sim.summary.rejections.push(Rejection {
        action: "withdraw above free collateral".into(),
        error_code: code,
        error: crate::client::error_label_opt(code),
    });
    sim.step += 1;
    let (owner, token) = (sim.traders[2].kp.pubkey(), sim.traders[2].token);
    let seat = sim.seat(2).await?;
    sim.send_trader(
        2,
        &[
            ix::withdraw(&owner, &market, seat, &token, usd(50_000.0)),
            ix::release_seat(&owner, &market, seat),
        ],
    )
    .await
    .map_err(err)?;
    sim.summary.withdrawals_usd += 50_000.0;
    sim.log("trader2 withdraws everything and releases its seat".into());
    Ok(())
}
