//! Attacks on the insurance fund: a stake into a wiped-out fund, two covers
//! straddling the cap period's boundary, and a matured unstake request
//! kept for months as a free option to leave just before a cover.

use super::*;
use crate::simulate::crash::seed_insurance;
use bulwark::engine::staking::value_of_shares;

/// A long of `btc` at 65,000 with `deposit_usd` from `mm`'s ask.
async fn open_long(sim: &mut Sim, mm: usize, t: usize, btc: f64) -> Result<(), String> {
    let m = mkt(sim).await?;
    cross(
        sim,
        mm,
        t,
        Side::Bid,
        px(&m, START_USD, false),
        lots(&m, btc),
    )
    .await
}

/// cover_bankruptcy on trader `t`: the error's name, and what the fund paid.
async fn cover(sim: &mut Sim, t: usize) -> Result<(Result<(), String>, u64), String> {
    let before = fund(sim).await?.balance;
    let (market, owner) = (sim.market(), sim.traders[t].kp.pubkey());
    let s = sim.seat(t).await?;
    let r = send(sim, &[ix::cover_bankruptcy(&market, &owner, s)], None).await;
    let paid = before.saturating_sub(fund(sim).await?.balance);
    sim.log(format!(
        "cover_bankruptcy {}: {} (paid {:.2} USD)",
        sim.traders[t].label,
        r.as_ref().err().map(String::as_str).unwrap_or("ok"),
        paid as f64 / 1e6
    ));
    Ok((r, paid))
}

/// The fund's payout for bankrupt seat `t` by whichever waterfall step
/// the program allows: `cover_bankruptcy`, else `auto_deleverage` (which
/// pays from the fund first). Returns the last refusal, if both refused.
async fn fund_payout(sim: &mut Sim, t: usize) -> Result<(Result<(), String>, u64), String> {
    let (r, paid) = cover(sim, t).await?;
    if r.is_ok() {
        return Ok((r, paid));
    }
    let before = fund(sim).await?.balance;
    let (market, owner) = (sim.market(), sim.traders[t].kp.pubkey());
    let s = sim.seat(t).await?;
    let r = send(sim, &[ix::auto_deleverage(&market, &owner, s)], None).await;
    let paid = before.saturating_sub(fund(sim).await?.balance);
    sim.log(format!(
        "auto_deleverage {}: {} (the fund paid {:.2} USD first)",
        sim.traders[t].label,
        r.as_ref().err().map(String::as_str).unwrap_or("ok"),
        paid as f64 / 1e6
    ));
    Ok((r, paid))
}

/// 7. The protocol's 10,000 USD stake is the whole fund; a gap leaves a
///    2 BTC long 15,000+ USD short, the cover drains the fund to zero with
///    the protocol's shares still outstanding; a newcomer stakes 5,000 USD.
pub(super) async fn stake_after_wipeout(
    sim: &mut Sim,
    cfg: &BootstrapConfig,
) -> Result<Verdict, String> {
    fresh(sim, cfg, |_| {}).await?;
    seed_insurance(sim, 10_000.0).await?;
    let mm = sim.add_trader("mm", 2_000_000.0).await?;
    let l = sim.add_trader("bankrupt-long", 4_500.0).await?;
    open_long(sim, mm, l, 2.0).await?;
    price_step(sim, 55_000.0, SETTLE_SECS).await?;
    let m = mkt(sim).await?;
    quote_around_index(sim, mm, 10.0, lots(&m, 5.0)).await?;
    let deficit = -equity(sim, l).await?;
    // Covers until the fund is empty or can pay nothing more for the open
    // position; ADL then closes it, the fund paying first what it has left.
    let mut paid = 0;
    let mut steps = Vec::new();
    for _ in 0..8 {
        if fund(sim).await?.balance == 0 || seat(sim, l).await?.base_lots == 0 {
            break;
        }
        sim.step += 1;
        let (r, p) = cover(sim, l).await?;
        paid += p;
        steps.push(format!(
            "cover {} ({:.2})",
            r.as_ref().err().map(String::as_str).unwrap_or("ok"),
            p as f64 / 1e6
        ));
        if r.is_err() {
            break;
        }
    }
    let left = fund(sim).await?.balance;
    if left > 0 && seat(sim, l).await?.base_lots != 0 {
        let (market, owner) = (sim.market(), sim.traders[l].kp.pubkey());
        let s = sim.seat(l).await?;
        let r = send(sim, &[ix::auto_deleverage(&market, &owner, s)], None).await;
        let p = left.saturating_sub(fund(sim).await?.balance);
        paid += p;
        steps.push(format!(
            "auto_deleverage {} ({:.2})",
            r.as_ref().err().map(String::as_str).unwrap_or("ok"),
            p as f64 / 1e6
        ));
    }
    let f = fund(sim).await?;
    let wiped = f.balance == 0 && f.total_shares > 0;
    let (z, token) = wallet(sim, 5_000.0).await?;
    sim.step += 1;
    let amount = usd(5_000.0);
    let stake = send_as(
        sim,
        &[ix::stake(&z.pubkey(), &z.pubkey(), &token, amount, 0)],
        Some(&z),
    )
    .await;
    let f2 = fund(sim).await?;
    let value = match stake_record(sim, &z.pubkey()).await {
        Some(r) => value_of_shares(r.shares, f2.total_shares, f2.balance).map_err(err)?,
        None => 0,
    };
    let survived = stake.is_ok() && value >= amount / 100 * 99;
    let tried = format!(
        "protocol stakes 10,000 USD; bankrupt-long (4,500 USD, 2 BTC at {START_USD:.0}) is left \
         {:.2} USD short by a gap to 55,000; cover_bankruptcy (then auto_deleverage, which pays \
         what the fund has left) drains the fund; a new staker stakes 5,000 USD",
        usd_of(deficit)
    );
    let outcome = format!(
        "{}: the fund paid {:.2} USD, balance {:.6} USD with {} shares outstanding{}; stake {}; \
         the new staker's shares are worth {:.2} USD",
        steps.join(", "),
        paid as f64 / 1e6,
        f.balance as f64 / 1e6,
        f.total_shares,
        if wiped { "" } else { " (not wiped)" },
        match &stake {
            Ok(()) => "succeeded".to_string(),
            Err(e) => format!("failed ({e})"),
        },
        value as f64 / 1e6
    );
    Ok(Verdict {
        blocked: survived,
        error: stake.err(),
        tried,
        outcome,
    })
}

/// 8. With a cover cap of 2,000 USD per day: a tiny cover opens the period,
///    then two covers of ~1,830 USD each land 2 s before and 1 s after its
///    end.
pub(super) async fn cover_cap_window(
    sim: &mut Sim,
    cfg: &BootstrapConfig,
) -> Result<Verdict, String> {
    const CAP_USD: u64 = 2_000;
    let mut period = 0i64;
    fresh(sim, cfg, |m| {
        m.insurance_cover_cap_usd = CAP_USD;
        period = m.insurance_cover_period_secs as i64;
    })
    .await?;
    seed_insurance(sim, 20_000.0).await?;
    let mm = sim.add_trader("mm", 1_000_000.0).await?;
    let b0 = sim.add_trader("bankrupt-small", 3_520.0).await?;
    let b1 = sim.add_trader("bankrupt-1", 1_700.0).await?;
    let b2 = sim.add_trader("bankrupt-2", 1_700.0).await?;
    for t in [b0, b1, b2] {
        open_long(sim, mm, t, 1.0).await?;
    }
    price_step(sim, 61_500.0, SETTLE_SECS).await?;
    let m = mkt(sim).await?;
    quote_around_index(sim, mm, 10.0, lots(&m, 10.0)).await?;
    sim.step += 1;
    let (c0, paid0) = fund_payout(sim, b0).await?;
    let t0 = sim.chain.clock().await.unix_timestamp;
    price_step(sim, 61_500.0, period - 2).await?;
    let (c1, paid1) = fund_payout(sim, b1).await?;
    let t1 = sim.chain.clock().await.unix_timestamp;
    price_step(sim, 61_500.0, 3).await?;
    let (c2, paid2) = fund_payout(sim, b2).await?;
    let t2 = sim.chain.clock().await.unix_timestamp;
    // The rolling cap's bound: within t seconds at most cap × (1 + t /
    // period) (a full bucket plus what drains meanwhile), against twice
    // the cap across a fixed window's boundary.
    let cap = usd(CAP_USD as f64)
        + (usd(CAP_USD as f64) as u128 * (t2 - t1).max(0) as u128).div_ceil(period as u128) as u64;
    let burst = paid1 + paid2;
    let tried = format!(
        "cover cap {CAP_USD} USD per {period} s; three 1 BTC longs bankrupt after a gap to \
         61,500; the fund pays (cover, else ADL fund-first) bankrupt-small at t, \
         bankrupt-1 at t+{} s, bankrupt-2 at t+{} s",
        t1 - t0,
        t2 - t0
    );
    let outcome = format!(
        "the fund paid {:.2}{} / {:.2}{} / {:.2}{} USD: {:.2} USD within {} s (cap {CAP_USD}, \
         bound {:.2})",
        paid0 as f64 / 1e6,
        c0.as_ref()
            .err()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default(),
        paid1 as f64 / 1e6,
        c1.as_ref()
            .err()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default(),
        paid2 as f64 / 1e6,
        c2.as_ref()
            .err()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default(),
        burst as f64 / 1e6,
        t2 - t1,
        cap as f64 / 1e6
    );
    let error = match (&c1, &c2) {
        (_, Err(e)) => Some(e.clone()),
        (Err(e), Ok(())) => Some(e.clone()),
        _ if burst <= cap => {
            Some("the rolling cap (a leaky bucket) held the payouts to what it had drained".into())
        }
        _ => None,
    };
    Ok(Verdict {
        blocked: burst <= cap,
        error,
        tried,
        outcome,
    })
}

/// 9. A staker requests unstake, lets the request mature and keeps it for
///    30 more days; when a bankruptcy appears it withdraws just before the
///    cover.
pub(super) async fn stale_unstake_exit(
    sim: &mut Sim,
    cfg: &BootstrapConfig,
) -> Result<Verdict, String> {
    fresh(sim, cfg, |_| {}).await?;
    seed_insurance(sim, 10_000.0).await?;
    let mm = sim.add_trader("mm", 1_000_000.0).await?;
    let l = sim.add_trader("bankrupt-long", 2_000.0).await?;
    open_long(sim, mm, l, 1.0).await?;
    let (q, token) = wallet(sim, 10_000.0).await?;
    let owner = q.pubkey();
    sim.step += 1;
    send_as(
        sim,
        &[ix::stake(&owner, &owner, &token, usd(10_000.0), 0)],
        Some(&q),
    )
    .await
    .map_err(|e| format!("stake: {e}"))?;
    let shares = stake_record(sim, &owner)
        .await
        .ok_or("no stake record")?
        .shares;
    send_as(
        sim,
        &[ix::request_unstake(&owner, &owner, &token, shares)],
        Some(&q),
    )
    .await
    .map_err(|e| format!("request_unstake: {e}"))?;
    let cooldown = fund(sim).await?.unstake_cooldown_secs;
    const KEPT_SECS: i64 = 30 * 86_400;
    price_step(sim, START_USD, cooldown + KEPT_SECS).await?;
    // A bankruptcy appears: the cover is one instruction away.
    price_step(sim, 62_000.0, SETTLE_SECS).await?;
    let m = mkt(sim).await?;
    quote_around_index(sim, mm, 10.0, lots(&m, 5.0)).await?;
    let before = sim.chain.token_balance(&token).await;
    sim.step += 1;
    let exit = send_as(
        sim,
        &[ix::withdraw_unstake(&owner, &owner, &token)],
        Some(&q),
    )
    .await;
    let got = sim.chain.token_balance(&token).await.saturating_sub(before);
    let (_, paid) = cover(sim, l).await?;
    let tried = format!(
        "a staker stakes 10,000 USD next to the protocol's 10,000, requests unstake of all its \
         {shares} shares, waits the {cooldown} s cooldown plus {KEPT_SECS} s, and withdraws \
         when a gap to 62,000 leaves a long bankrupt, just before cover_bankruptcy"
    );
    let outcome = format!(
        "withdraw_unstake {}: the staker received {:.2} USD; the cover then paid {:.2} USD",
        match &exit {
            Ok(()) => "succeeded".to_string(),
            Err(e) => format!("failed ({e})"),
        },
        got as f64 / 1e6,
        paid as f64 / 1e6
    );
    Ok(Verdict {
        blocked: got == 0,
        error: exit.err(),
        tried,
        outcome,
    })
}
