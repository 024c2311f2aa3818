//! The `Chain` trait on the embedded chain: account discovery (the
//! embedded stand-in for `getProgramAccounts`), simulation and the compute
//! budget sized from it, and market lookup by name.

use anchor_lang::Discriminator;
use bulwark::state::Market;
use bulwark_app::bootstrap::bootstrap;
use bulwark_app::chain_trait::Chain;
use bulwark_app::config::BootstrapConfig;
use bulwark_app::rpc::{with_sized_budget, COMPUTE_BUDGET_ID};
use bulwark_app::{client, ix, EmbeddedChain};

fn config() -> BootstrapConfig {
    BootstrapConfig::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../migrations/localnet.toml"
    )))
    .expect("config")
}

#[tokio::test]
async fn embedded_chain_discovers_markets_and_sizes_compute_by_simulation() {
    let mut chain = EmbeddedChain::start(vec![]).await;
    let dep = bootstrap(&mut chain, &config()).await.expect("bootstrap");
    let market = dep.markets[0].key;

    let found = Chain::program_accounts(&mut chain, Market::DISCRIMINATOR).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, market);
    let by_name = client::find_market(&mut chain, "BTC-PERP").await.unwrap();
    assert_eq!(by_name.key, market);
    assert_eq!(by_name.feeds(), dep.markets[0].feeds);
    let by_key = client::find_market(&mut chain, &market.to_string())
        .await
        .unwrap();
    assert_eq!(by_key.name(), "BTC-PERP");
    assert!(client::find_market(&mut chain, "ETH-PERP").await.is_err());
    let ex = client::exchange(&mut chain).await.expect("exchange");
    assert_eq!(ex.collateral_mint, dep.collateral_mint);

    // Simulation does not execute, and the same transaction can still be
    // sent afterwards.
    let refresh = ix::refresh_prices(&market, &dep.markets[0].feeds);
    let units = Chain::simulate_units(&mut chain, std::slice::from_ref(&refresh), &[])
        .await
        .expect("simulates");
    let sized = with_sized_budget(&mut chain, std::slice::from_ref(&refresh), &[])
        .await
        .expect("sized");
    if units == 0 {
        // Native build: nothing measured, nothing prepended.
        assert_eq!(sized.len(), 1);
    } else {
        assert_eq!(sized.len(), 2);
        assert_eq!(sized[0].program_id, COMPUTE_BUDGET_ID);
    }
    Chain::send(&mut chain, &sized, &[]).await.expect("sends");
    // A failing transaction fails in simulation with the program's code.
    let bad = ix::liquidate(
        &chain.payer_pubkey(),
        &market,
        &solana_pubkey::Pubkey::new_unique(),
        0,
        None,
    );
    let e = Chain::simulate_units(&mut chain, &[bad], &[])
        .await
        .unwrap_err();
    assert!(e.code().is_some(), "{e:?}");
    assert!(client::describe_error(&e).contains("WrongSeatIndex"), "{e}");
}
