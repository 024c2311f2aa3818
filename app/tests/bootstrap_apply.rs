//! `bulwark bootstrap` on the embedded chain: the config applied twice
//! changes nothing the second time; insurance parameters are set or queued
//! behind the timelock (and not queued twice); a configured collateral mint
//! is used; on a real cluster a missing mint is refused.

mod common;

use bulwark_app::apply::{apply_config, ApplyOptions};
use bulwark_app::config::{usd, BootstrapConfig};
use bulwark_app::{client, invariants, trader, EmbeddedChain};
use common::*;

fn status(r: &bulwark_app::apply::ApplyReport, what: &str) -> String {
    r.steps
        .iter()
        .find(|s| s.what == what)
        .map(|s| s.status.clone())
        .unwrap_or_else(|| panic!("no step {what}: {:?}", r.steps))
}

#[tokio::test]
async fn bootstrap_is_idempotent_and_applies_insurance_parameters() {
    let mut chain = EmbeddedChain::start(vec![]).await;
    let admin = chain.payer().insecure_clone();
    let mut cfg = localnet();
    let opts = ApplyOptions {
        allow_new_mint: true,
    };
    let first = apply_config(&mut chain, &admin, &cfg, opts).await.unwrap();
    assert_eq!(status(&first, "collateral mint"), "created");
    assert_eq!(status(&first, "exchange"), "created");
    assert_eq!(status(&first, "insurance ledger"), "created");
    assert!(first
        .steps
        .iter()
        .any(|s| s.what == "insurance ledger" && s.status == "grown"));
    assert_eq!(status(&first, "market BTC-PERP"), "created");
    assert_eq!(status(&first, "oracle pyth-btc-usd"), "created");
    assert_eq!(first.markets.len(), 1);

    let second = apply_config(&mut chain, &admin, &cfg, opts).await.unwrap();
    assert_eq!(second.changes(), 0, "{:?}", second.steps);
    assert_eq!(status(&second, "exchange"), "exists");
    assert_eq!(status(&second, "insurance ledger"), "exists");
    assert_eq!(status(&second, "market BTC-PERP"), "exists");
    assert_eq!(second.markets[0].market, first.markets[0].market);
    assert_eq!(second.collateral_mint, first.collateral_mint);
    assert_eq!(client::list_markets(&mut chain).await.len(), 1);

    // A second market in the config is added; the first is left alone.
    let mut eth = cfg.markets[0].clone();
    eth.name = "ETH-PERP".into();
    eth.oracle.feeds[0].name = "pyth-eth-usd".into();
    eth.oracle.feeds[0].initial_price_usd = 3_000.0;
    cfg.markets.push(eth);
    // Insurance parameters: a higher tightening threshold only raises
    // initial margin (set at once); a longer cooldown traps stakers who
    // asked to leave, so since issue 10 it waits behind the timelock.
    cfg.insurance = Some(
        toml::from_str("unstake_cooldown_secs = 1209600\ntighten_coverage_bps = 150").unwrap(),
    );
    let third = apply_config(&mut chain, &admin, &cfg, opts).await.unwrap();
    assert_eq!(status(&third, "market BTC-PERP"), "exists");
    assert_eq!(status(&third, "market ETH-PERP"), "created");
    assert_eq!(
        status(&third, "insurance InsuranceUnstakeCooldownSecs"),
        "queued"
    );
    assert_eq!(
        status(&third, "insurance InsuranceTightenCoverageBps"),
        "set"
    );
    let fund = client::insurance_fund(&mut chain).await.unwrap();
    assert_eq!(fund.tighten_coverage_bps, 150);
    let fourth = apply_config(&mut chain, &admin, &cfg, opts).await.unwrap();
    assert_eq!(fourth.changes(), 0, "{:?}", fourth.steps);
    assert_eq!(
        status(&fourth, "insurance InsuranceUnstakeCooldownSecs"),
        "already queued"
    );
    let markets = client::list_markets(&mut chain).await;
    assert_eq!(markets.len(), 2);

    // The bootstrapped exchange trades.
    let dep = bulwark_app::bootstrap::Deployment {
        collateral_mint: second.collateral_mint.parse().unwrap(),
        treasury: second.treasury.parse().unwrap(),
        pyth_program: cfg.pyth_program().unwrap(),
        pyth_receiver: cfg.pyth_receiver().unwrap(),
        markets: vec![],
    };
    let t = wallet(&mut chain, &dep, 1_000.0).await;
    trader::deposit(
        &mut chain,
        &t,
        "ETH-PERP",
        usd(1_000.0),
        None,
        bulwark_app::trader::SeatPick::First,
    )
    .await
    .unwrap();
    let keys: Vec<_> = markets.iter().map(|m| m.key).collect();
    let v = invariants::check_all(&mut chain, &keys).await;
    assert!(v.is_empty(), "{v:?}");
}

#[tokio::test]
async fn bootstrap_uses_the_configured_mint_and_refuses_to_invent_one_on_a_cluster() {
    let mut chain = EmbeddedChain::start(vec![]).await;
    let admin = chain.payer().insecure_clone();
    let mut cfg: BootstrapConfig = localnet();
    let refused = apply_config(&mut chain, &admin, &cfg, ApplyOptions::default())
        .await
        .unwrap_err();
    assert!(refused.contains("collateral_mint is required"), "{refused}");
    assert!(client::exchange(&mut chain).await.is_none());

    let mint = chain.create_mint(6).await.unwrap();
    cfg.exchange.collateral_mint = Some(mint.to_string());
    let r = apply_config(&mut chain, &admin, &cfg, ApplyOptions::default())
        .await
        .unwrap();
    assert_eq!(status(&r, "collateral mint"), "exists");
    assert_eq!(r.collateral_mint, mint.to_string());
    assert_eq!(
        client::exchange(&mut chain).await.unwrap().collateral_mint,
        mint
    );
    // The exchange exists now: a different mint in the config is an error.
    cfg.exchange.collateral_mint = Some(solana_pubkey::Pubkey::new_unique().to_string());
    let e = apply_config(&mut chain, &admin, &cfg, ApplyOptions::default())
        .await
        .unwrap_err();
    assert!(e.contains("collateral mint"), "{e}");
    // A feed address that does not exist is refused.
    cfg.exchange.collateral_mint = Some(mint.to_string());
    let mut spec = cfg.markets[0].clone();
    spec.name = "SOL-PERP".into();
    spec.oracle.feeds[0].address = Some(solana_pubkey::Pubkey::new_unique().to_string());
    cfg.markets.push(spec);
    let e = apply_config(&mut chain, &admin, &cfg, ApplyOptions::default())
        .await
        .unwrap_err();
    assert!(e.contains("does not exist"), "{e}");
}
