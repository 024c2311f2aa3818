//! A stolen admin key (issue 10): liquidating a trader by raising the
//! maintenance margin at once, freezing a market by setting the oracle
//! confidence bound to zero, and front-running `initialize_exchange` right
//! after deployment. The operator's changes that can hurt an open position
//! wait behind the timelock, guards have floors, and only the program's
//! upgrade authority initializes the exchange.

use super::*;
use bulwark::state::ParamKey;

/// ppm; the maintenance margin the thief sets on every tier (99 %).
const RUG_MAINT_PPM: i64 = 990_000;

/// The market's config as it is on chain.
async fn config(sim: &mut Sim) -> Result<bulwark::state::MarketConfig, String> {
    let d = sim.market_data().await;
    Ok(MarketRef::from_bytes(&d).map_err(err)?.header.config)
}

/// The thief's instructions: every tier's initial margin to 100 %, then
/// maintenance margin to 99 % (highest tier first, so every step keeps the
/// tiers non-decreasing and the config valid).
pub(super) fn margin_rug(admin: &Pubkey, market: &Pubkey, tiers: u8) -> Vec<Instruction> {
    let mut rug = Vec::new();
    for (key, value) in [
        (ParamKey::TierInitialMarginPpm, 1_000_000),
        (ParamKey::TierMaintMarginPpm, RUG_MAINT_PPM),
    ] {
        for i in (0..tiers).rev() {
            rug.push(ix::set_param(admin, Some(market), key, i, value));
        }
    }
    rug
}

/// The admin (the chain's payer) raises every tier's initial margin to
/// 100 % and maintenance margin to 99 % in one transaction, then its
/// accomplice's keeper seat tries to take over a 2x long at the discount.
pub(super) async fn admin_margin_rug(
    sim: &mut Sim,
    cfg: &BootstrapConfig,
) -> Result<Verdict, String> {
    fresh(sim, cfg, |_| {}).await?;
    let mm = sim.add_trader("mm", 200_000.0).await?;
    let long = sim.add_trader("long", 10_000.0).await?;
    let keeper = sim.add_trader("admin-keeper", 200_000.0).await?;
    let m = mkt(sim).await?;
    // 2x: 20,000 USD of notional on 10,000 USD of collateral.
    let at = px(&m, START_USD, true);
    let size = lots(&m, 20_000.0 / START_USD);
    cross(sim, mm, long, Side::Bid, at, size).await?;
    let before = seat(sim, long).await?;
    let c0 = config(sim).await?;

    sim.step += 1;
    let admin = sim.chain.payer_pubkey();
    let market = sim.market();
    let n = c0.num_tiers;
    let rug = margin_rug(&admin, &market, n);
    let raised = send_as(sim, &rug, None).await;
    sim.log(format!(
        "admin raises maintenance margin to 99 %: {raised:?}"
    ));
    let trader = sim.traders[long].kp.pubkey();
    let k = sim.traders[keeper].kp.pubkey();
    let (ts, ks) = (sim.seat(long).await?, sim.seat(keeper).await?);
    let take = send(
        sim,
        &[refresh(sim), ix::takeover(&k, &market, &trader, ts, ks)],
        Some(keeper),
    )
    .await;
    sim.log(format!("admin's keeper takes the long over: {take:?}"));

    let after = seat(sim, long).await?;
    let c1 = config(sim).await?;
    let intact = (after.base_lots, after.entry_cost, after.collateral)
        == (before.base_lots, before.entry_cost, before.collateral);
    let mm_unchanged =
        (0..n as usize).all(|i| c1.tiers[i].maint_margin_ppm == c0.tiers[i].maint_margin_ppm);
    let blocked = raised.is_err() && take.is_err() && intact && mm_unchanged;
    Ok(Verdict {
        blocked,
        error: raised.as_ref().err().cloned(),
        tried: format!(
            "a 2x long ({size} lots at {START_USD:.0} USD on 10,000 USD); the admin key sets \
             initial margin to 100 % and maintenance margin to 99 % on all {n} tiers in one \
             transaction, then the admin's keeper seat takes the long over at the discount"
        ),
        outcome: format!(
            "the margin raise {}; the takeover {}; the long holds {} lots (was {}), \
             collateral {:.2} USD (was {:.2}); tier 0 maintenance {} ppm",
            match &raised {
                Ok(()) => "applied at once".to_string(),
                Err(e) =>
                    format!("was refused ({e}: maintenance margin up waits behind the timelock)"),
            },
            match &take {
                Ok(()) => "succeeded".to_string(),
                Err(e) => format!("was refused ({e})"),
            },
            after.base_lots,
            before.base_lots,
            usd_of(after.collateral as i128),
            usd_of(before.collateral as i128),
            c1.tiers[0].maint_margin_ppm,
        ),
    })
}

/// The admin sets the oracle confidence bound to 0 (set at once, and
/// queued), which would reject every real feed: no refresh, so exposed
/// seats could neither withdraw nor be liquidated.
pub(super) async fn oracle_freeze(sim: &mut Sim, cfg: &BootstrapConfig) -> Result<Verdict, String> {
    fresh(sim, cfg, |_| {}).await?;
    let c0 = config(sim).await?;
    sim.step += 1;
    let admin = sim.chain.payer_pubkey();
    let market = sim.market();
    let key = ParamKey::OracleMaxConfBps;
    let set = send_as(
        sim,
        &[ix::set_param(&admin, Some(&market), key, 0, 0)],
        None,
    )
    .await;
    let queued = send_as(
        sim,
        &[ix::queue_param_change(&admin, Some(&market), key, 0, 0)],
        None,
    )
    .await;
    sim.log(format!(
        "admin sets max_conf_bps = 0: {set:?}; queues it: {queued:?}"
    ));
    // Time passes and prices move: the market must still refresh.
    sim.step += 1;
    let refreshed = sim.set_price(START_USD * 0.99, 30).await;
    let c1 = config(sim).await?;
    let blocked = set.is_err()
        && queued.is_err()
        && refreshed.is_ok()
        && c1.oracle.max_conf_bps == c0.oracle.max_conf_bps;
    Ok(Verdict {
        blocked,
        error: set.as_ref().err().cloned(),
        tried: "the admin key sets the market's oracle confidence bound to 0 bps (at once, and \
                through the timelock queue), which would reject every real feed and stop \
                refresh_prices for good"
            .into(),
        outcome: format!(
            "set {}; queued {}; max_conf_bps stays {} (floor {} bps); refresh_prices {}",
            match &set {
                Ok(()) => "applied".to_string(),
                Err(e) => format!("refused ({e})"),
            },
            match &queued {
                Ok(()) => "accepted".to_string(),
                Err(e) => format!("refused ({e})"),
            },
            c1.oracle.max_conf_bps,
            bulwark::math::limits::MIN_ORACLE_CONF_BPS,
            if refreshed.is_ok() {
                "still works"
            } else {
                "fails"
            },
        ),
    })
}

/// Right after deployment an attacker calls `initialize_exchange` first,
/// naming itself admin with its own Pyth program and treasury; the
/// operator then bootstraps as usual.
pub(super) async fn init_frontrun(sim: &mut Sim, cfg: &BootstrapConfig) -> Result<Verdict, String> {
    let mut chain = EmbeddedChain::start(vec![]).await;
    let attacker = Keypair::new();
    chain
        .airdrop(&attacker.pubkey(), 1_000_000_000)
        .await
        .map_err(err)?;
    let mint = chain
        .create_mint(bulwark::math::QUOTE_DECIMALS)
        .await
        .map_err(err)?;
    let args = bulwark::instructions::InitializeExchangeArgs {
        pyth_program: attacker.pubkey(),
        pyth_receiver: attacker.pubkey(),
        timelock_secs: bulwark::math::limits::MIN_TIMELOCK_SECS,
        bounds: bulwark::state::default_bounds(),
        treasury: attacker.pubkey(),
    };
    let init = ix::initialize_exchange(&attacker.pubkey(), &mint, args);
    let front = chain
        .send(&[init], &[&attacker])
        .await
        .map(|_| ())
        .map_err(|e| tx_error_name(&e));
    let tried = "right after deployment an attacker sends initialize_exchange first, naming \
                 itself admin, its own key as Pyth program, Pyth receiver and treasury; the \
                 operator (the program's upgrade authority) then bootstraps as usual"
        .to_string();
    let dep = match bootstrap(&mut chain, cfg).await {
        Ok(dep) => dep,
        Err(e) => {
            return Ok(Verdict {
                blocked: false,
                error: front.err(),
                tried,
                outcome: format!("the operator's bootstrap failed: {e}"),
            });
        }
    };
    sim.chain = chain;
    sim.dep = dep;
    sim.traders.clear();
    sim.step += 1;
    sim.check().await;
    sim.set_price(START_USD, 10).await?;
    let ex = crate::client::exchange(&mut sim.chain)
        .await
        .ok_or("no exchange")?;
    let operator = sim.chain.payer_pubkey();
    let blocked = front.is_err()
        && ex.admin == operator
        && ex.pyth_program != attacker.pubkey()
        && ex.pyth_receiver != attacker.pubkey();
    Ok(Verdict {
        blocked,
        error: front.as_ref().err().cloned(),
        tried,
        outcome: format!(
            "the attacker's initialize_exchange {}; the exchange's admin is {} ({}), Pyth \
             program {}",
            match &front {
                Ok(()) => "succeeded".to_string(),
                Err(e) => format!(
                    "was refused ({e}: the signer is not the upgrade authority in the \
                     program's ProgramData account)"
                ),
            },
            ex.admin,
            if ex.admin == operator {
                "the operator"
            } else {
                "the attacker"
            },
            ex.pyth_program,
        ),
    })
}
