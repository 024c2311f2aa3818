//! The harness itself: the invariant checker it runs after every
//! transaction must see a broken books-vs-vault balance.

use bulwark_app::config::usd;
use bulwark_app::invariants;
use bulwark_tests::{TestEnv, BTC};

#[tokio::test]
async fn invariant_checker_is_not_vacuous() {
    let mut env = TestEnv::new().await;
    let t = env.new_trader(100.0).await;
    env.deposit(&t, BTC, usd(100.0)).await;
    let markets = env.market_keys();
    assert!(invariants::check_all(&mut env.chain, &markets)
        .await
        .is_empty());

    // Tokens that reach the vault outside the program are not in the books.
    let vault = env.vault(BTC);
    env.mint_collateral(&vault, 1).await;
    let v = invariants::check_all(&mut env.chain, &markets).await;
    assert!(
        v.iter()
            .any(|s| s.contains("BTC-PERP") && s.contains("vault")),
        "expected a vault violation, got {v:?}"
    );
}
