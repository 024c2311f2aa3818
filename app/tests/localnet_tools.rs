//! The local-cluster tools on the embedded chain: feeds of the mock oracle
//! (programs/mock-oracle, loaded natively or as SBF beside bulwark.so), in
//! both Pyth layouts, created and moved by the same code `bulwark oracle`
//! runs against a validator, and read by the program's `refresh_prices`.

use bulwark::error::ErrorCode;
use bulwark::state::MarketRef;
use bulwark_app::bootstrap::bootstrap;
use bulwark_app::config::BootstrapConfig;
use bulwark_app::localnet::{create_feed, set_feeds};
use bulwark_app::pyth::{FeedFormat, PythPrice, Verification};
use bulwark_app::{ix, EmbeddedChain};
use solana_keypair::Keypair;
use solana_signer::Signer;

mod common;

const FEED_ID: [u8; 32] = [0x5a; 32];

/// `usd` at the validator's clock (publish time 0).
fn price(usd: f64) -> PythPrice {
    PythPrice::usd(usd, usd * 1e-4, 0)
}

/// localnet.toml with the mock oracle as Pyth program and receiver and the
/// two feeds (legacy first, pull second) at the given addresses, both
/// required.
fn config(legacy: &Keypair, pull: &Keypair) -> BootstrapConfig {
    let text = std::fs::read_to_string(common::repo_path("migrations/localnet.toml")).unwrap();
    let hex = bulwark_app::pyth::feed_id_hex(&FEED_ID);
    let mut out = String::new();
    for line in text.lines() {
        let line = if line.starts_with("pyth_program =") {
            format!(
                "pyth_program = \"{0}\"\npyth_receiver = \"{0}\"",
                mock_oracle::ID
            )
        } else if line.starts_with("pyth_receiver =") {
            continue;
        } else if line.starts_with("min_feeds =") {
            "min_feeds = 2".to_string()
        } else if line.starts_with("feeds =") {
            format!(
                "feeds = [{{ name = \"legacy\", address = \"{}\" }}, \
                 {{ name = \"pull\", address = \"{}\", kind = \"pull\", feed_id = \"{hex}\" }}]",
                legacy.pubkey(),
                pull.pubkey()
            )
        } else {
            line.to_string()
        };
        out.push_str(&line);
        out.push('\n');
    }
    BootstrapConfig::from_toml(&out).unwrap()
}

fn index_price(data: &[u8]) -> u64 {
    MarketRef::from_bytes(data)
        .unwrap()
        .header
        .state
        .index_price
}

#[tokio::test]
async fn mock_oracle_feeds_in_both_layouts_move_the_index() {
    let mut chain = EmbeddedChain::start(vec![]).await;
    let legacy = create_feed(&mut chain, &FeedFormat::LEGACY, &price(65_000.0))
        .await
        .unwrap();
    let pull = create_feed(&mut chain, &FeedFormat::pull(FEED_ID), &price(65_000.0))
        .await
        .unwrap();
    let dep = bootstrap(&mut chain, &config(&legacy, &pull))
        .await
        .expect("bootstrap with mock feeds");
    let market = dep.markets[0].key;
    let feeds = [legacy.pubkey(), pull.pubkey()];
    // The feeds are the mock oracle's accounts, not rewritten by bootstrap.
    for f in &feeds {
        assert_eq!(chain.account(f).await.unwrap().owner, mock_oracle::ID);
    }

    // Both feeds move in one transaction; the index follows.
    set_feeds(
        &mut chain,
        &[legacy.insecure_clone(), pull.insecure_clone()],
        &price(61_234.5),
    )
    .await
    .unwrap();
    chain
        .send(&[ix::refresh_prices(&market, &feeds)], &[])
        .await
        .unwrap();
    assert_eq!(
        index_price(&chain.account_data(&market).await),
        61_234_500_000
    );

    // A partially verified pull update is dropped; with two feeds required
    // the index fails with that feed's reason.
    set_feeds(
        &mut chain,
        &[pull.insecure_clone()],
        &PythPrice {
            verification: Verification::Partial { num_signatures: 5 },
            ..price(61_234.5)
        },
    )
    .await
    .unwrap();
    let e = chain
        .send(&[ix::refresh_prices(&market, &feeds)], &[])
        .await
        .unwrap_err();
    assert_eq!(
        e.code(),
        Some(ErrorCode::OracleNotFullyVerified as u32 + 6000)
    );

    // Only the feed's own keypair can move it; every refusal is exact and
    // changes nothing.
    let attacker = Keypair::new();
    chain
        .airdrop(&attacker.pubkey(), 1_000_000_000)
        .await
        .unwrap();
    let w = bulwark_app::localnet::oracle_write(&FeedFormat::LEGACY, &price(1.0));
    let before = chain.account_data(&legacy.pubkey()).await;
    let refused = |e: bulwark_app::TxError, why: &str| {
        assert!(e.to_string().contains(why), "expected {why}, got {e}");
    };
    // Unsigned by the feed.
    let mut forged = mock_oracle::write_ix(&legacy.pubkey(), &w);
    forged.accounts[0].is_signer = false;
    refused(
        chain.send(&[forged], &[]).await.unwrap_err(),
        "MissingRequiredSignature",
    );
    // An account the mock oracle does not own (the attacker's own key).
    refused(
        chain
            .send(
                &[mock_oracle::write_ix(&attacker.pubkey(), &w)],
                &[&attacker],
            )
            .await
            .unwrap_err(),
        "IncorrectProgramId",
    );
    // A pull write into a legacy-sized account: the layouts never mix.
    let pw = bulwark_app::localnet::oracle_write(&FeedFormat::pull(FEED_ID), &price(1.0));
    refused(
        chain
            .send(&[mock_oracle::write_ix(&legacy.pubkey(), &pw)], &[&legacy])
            .await
            .unwrap_err(),
        "InvalidAccountData",
    );
    // Data that is no write.
    let mut junk = mock_oracle::write_ix(&legacy.pubkey(), &w);
    junk.data = vec![7];
    refused(
        chain.send(&[junk], &[&legacy]).await.unwrap_err(),
        "InvalidInstructionData",
    );
    assert_eq!(chain.account_data(&legacy.pubkey()).await, before);
}
