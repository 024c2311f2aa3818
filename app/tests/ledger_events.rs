//! The insurance ledger's hash chain, recomputed from the events the
//! program emits (`emit_cpi!`), matches the chain head stored on-chain and
//! the ring buffer; staking follows the cooldown and the min rule.

use anchor_lang::{AnchorDeserialize, Discriminator};
use bulwark::engine::insurance::verify_chain;
use bulwark::state::{InsuranceFund, InsuranceLedgerEntry, InsuranceStake};
use bulwark_app::bootstrap::bootstrap;
use bulwark_app::config::{usd, BootstrapConfig};
use bulwark_app::invariants;
use bulwark_app::{ix, EmbeddedChain};
use solana_keypair::Keypair;
use solana_signer::Signer;

fn ledger_entries(events: &[Vec<u8>]) -> Vec<InsuranceLedgerEntry> {
    events
        .iter()
        .filter(|e| &e[..8] == InsuranceLedgerEntry::DISCRIMINATOR)
        .map(|e| InsuranceLedgerEntry::deserialize(&mut &e[8..]).expect("ledger entry decodes"))
        .collect()
}

fn fund(data: &[u8]) -> InsuranceFund {
    bytemuck::pod_read_unaligned(&data[8..8 + core::mem::size_of::<InsuranceFund>()])
}

async fn setup() -> (EmbeddedChain, bulwark_app::bootstrap::Deployment) {
    let cfg = BootstrapConfig::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../migrations/localnet.toml"
    )))
    .expect("config");
    let mut chain = EmbeddedChain::start(vec![]).await;
    let dep = bootstrap(&mut chain, &cfg).await.expect("bootstrap");
    (chain, dep)
}

async fn funded(
    chain: &mut EmbeddedChain,
    mint: &anchor_lang::prelude::Pubkey,
    amount: u64,
) -> (Keypair, anchor_lang::prelude::Pubkey) {
    let kp = Keypair::new();
    chain.airdrop(&kp.pubkey(), 1_000_000_000).await.unwrap();
    let token = chain
        .create_token_account(mint, &kp.pubkey())
        .await
        .unwrap();
    chain.mint_to(mint, &token, amount).await.unwrap();
    (kp, token)
}

#[tokio::test]
async fn hash_chain_recomputes_from_emitted_events_and_staking_rules_hold() {
    let (mut chain, dep) = setup().await;
    let mint = dep.collateral_mint;
    let mut all_entries = Vec::new();
    // Two stakers and a donation.
    let (alice, alice_token) = funded(&mut chain, &mint, usd(10_000.0)).await;
    let (bob, bob_token) = funded(&mut chain, &mint, usd(5_000.0)).await;
    let (_, ev) = chain
        .send_with_events(
            &[ix::stake(
                &alice.pubkey(),
                &alice.pubkey(),
                &alice_token,
                usd(10_000.0),
                0,
            )],
            &[&alice],
        )
        .await
        .unwrap();
    all_entries.extend(ledger_entries(&ev));
    let (_, ev) = chain
        .send_with_events(
            &[ix::stake(
                &bob.pubkey(),
                &bob.pubkey(),
                &bob_token,
                usd(5_000.0),
                0,
            )],
            &[&bob],
        )
        .await
        .unwrap();
    all_entries.extend(ledger_entries(&ev));
    // Someone sends 300 straight to the vault; the audit records it.
    let (_, donor_token) = funded(&mut chain, &mint, usd(300.0)).await;
    let _ = donor_token;
    chain
        .mint_to(&mint, &ix::insurance_vault_pda(), usd(300.0))
        .await
        .unwrap();
    let (_, ev) = chain
        .send_with_events(&[ix::audit_insurance()], &[])
        .await
        .unwrap();
    all_entries.extend(ledger_entries(&ev));
    assert_eq!(all_entries.len(), 3);
    assert_eq!(all_entries[2].amount, usd(300.0));

    // Alice asks to unstake all; before the cooldown it cannot be withdrawn.
    let stake: InsuranceStake = {
        let d = chain.account_data(&ix::stake_pda(&alice.pubkey())).await;
        bytemuck::pod_read_unaligned(&d[8..8 + core::mem::size_of::<InsuranceStake>()])
    };
    chain
        .send(
            &[ix::request_unstake(
                &alice.pubkey(),
                &alice.pubkey(),
                &alice_token,
                stake.shares,
            )],
            &[&alice],
        )
        .await
        .unwrap();
    let early = chain
        .send(
            &[ix::withdraw_unstake(
                &alice.pubkey(),
                &alice.pubkey(),
                &alice_token,
            )],
            &[&alice],
        )
        .await
        .unwrap_err();
    assert_eq!(
        early.code(),
        Some(u32::from(bulwark::error::ErrorCode::CooldownNotOver))
    );
    // The fund grows meanwhile (another donation): the min rule pays the
    // value at the request, not more.
    let f = fund(&chain.account_data(&ix::insurance_pda()).await);
    let value_at_request =
        bulwark::engine::staking::value_of_shares(stake.shares, f.total_shares, f.balance).unwrap();
    chain
        .mint_to(&mint, &ix::insurance_vault_pda(), usd(1_000.0))
        .await
        .unwrap();
    let (_, ev) = chain
        .send_with_events(&[ix::audit_insurance()], &[])
        .await
        .unwrap();
    all_entries.extend(ledger_entries(&ev));
    chain.advance_time(f.unstake_cooldown_secs).await;
    let before = chain.token_balance(&alice_token).await;
    let (_, ev) = chain
        .send_with_events(
            &[ix::withdraw_unstake(
                &alice.pubkey(),
                &alice.pubkey(),
                &alice_token,
            )],
            &[&alice],
        )
        .await
        .unwrap();
    all_entries.extend(ledger_entries(&ev));
    assert_eq!(
        chain.token_balance(&alice_token).await - before,
        value_at_request
    );

    // The chain recomputed from the events equals the stored head and the ring.
    let head = verify_chain(&all_entries).expect("events chain without gaps");
    let fund_data = chain.account_data(&ix::insurance_pda()).await;
    let f = fund(&fund_data);
    assert_eq!(head, f.hash_chain);
    assert_eq!(f.ledger_seq, all_entries.len() as u64);
    let ledger = chain.account_data(&ix::insurance_ledger_pda()).await;
    assert_eq!(invariants::ledger_ok(&fund_data, &ledger), Some(true));
    // A tampered entry breaks the chain.
    let mut tampered = all_entries.clone();
    tampered[1].amount += 1;
    assert!(verify_chain(&tampered).is_none());
    let markets: Vec<_> = dep.markets.iter().map(|m| m.key).collect();
    assert!(invariants::check_all(&mut chain, &markets).await.is_empty());

    // The auditor's report adds up, events included.
    let report = bulwark_app::audit::audit(&mut chain, &markets, Some(&all_entries)).await;
    assert!(report.ok, "{:?}", report.problems);
    assert_eq!(report.events_chain_ok, Some(true));
    assert_eq!(report.ledger_entries, all_entries.len() as u64);
    // Missing one event is detected.
    let report = bulwark_app::audit::audit(&mut chain, &markets, Some(&all_entries[1..])).await;
    assert!(!report.ok);
    // Tokens sent to the vault without a ledger entry are flagged until
    // audit_insurance records them as a donation.
    chain
        .mint_to(&mint, &ix::insurance_vault_pda(), 7)
        .await
        .unwrap();
    let report = bulwark_app::audit::audit(&mut chain, &markets, None).await;
    assert!(!report.ok && !report.vault_reconciled);
    chain.send(&[ix::audit_insurance()], &[]).await.unwrap();
    let report = bulwark_app::audit::audit(&mut chain, &markets, None).await;
    assert!(report.ok, "{:?}", report.problems);
}
