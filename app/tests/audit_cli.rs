//! `bulwark audit` end-to-end on the embedded chain, through the same
//! function the CLI calls: a table or JSON, `ok` false (and the CLI's exit
//! code non-zero) when the vault does not reconcile.

mod common;

use bulwark_app::commands::audit_command;
use bulwark_app::config::usd;
use bulwark_app::{ix, trader};
use common::*;

#[tokio::test]
async fn audit_command_reports_fund_ledger_and_markets_and_flags_mismatches() {
    let (mut chain, dep) = setup().await;
    protocol_stake(&mut chain, &dep, 5_000.0).await;
    // Some trading so that fees reach the fund through a sweep.
    let maker = wallet(&mut chain, &dep, 200_000.0).await;
    trader::deposit(
        &mut chain,
        &maker,
        "BTC-PERP",
        usd(200_000.0),
        None,
        bulwark_app::trader::SeatPick::First,
    )
    .await
    .unwrap();
    quote(&mut chain, &maker, 65_000.0, 2, 5_000).await;
    let taker = wallet(&mut chain, &dep, 10_000.0).await;
    trader::deposit(
        &mut chain,
        &taker,
        "BTC-PERP",
        usd(10_000.0),
        None,
        bulwark_app::trader::SeatPick::First,
    )
    .await
    .unwrap();
    market_buy(&mut chain, &taker, 3_000).await;
    chain
        .send(&[ix::sweep_fees(&key_of(&dep), &dep.treasury)], &[])
        .await
        .unwrap();

    let mut out = Vec::new();
    let r = audit_command(&mut chain, &[], None, false, &mut out)
        .await
        .unwrap();
    let table = String::from_utf8(out).unwrap();
    assert!(r.ok, "{:?}\n{table}", r.problems);
    assert_eq!(r.markets.len(), 1);
    assert!(r.inflows["fee_share"] > 0.0);
    assert!(r.inflows["protocol_deposit"] == 5_000.0);
    assert_eq!(r.ledger_entries, 2);
    assert!(table.contains("Result: OK"), "{table}");
    assert!(table.contains("BTC-PERP"), "{table}");
    assert!(table.contains("protocol_deposit"), "{table}");
    assert!(table.contains("fee_share"), "{table}");

    let mut out = Vec::new();
    let r2 = audit_command(&mut chain, &["BTC-PERP".into()], None, true, &mut out)
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["ledger_entries"], 2);
    assert_eq!(v["recent_entries"].as_array().unwrap().len(), 2);
    assert_eq!(v["markets"][0]["name"], "BTC-PERP");
    assert_eq!(r2.vault_balance, r.vault_balance);
    assert!(audit_command(
        &mut chain,
        &["ETH-PERP".into()],
        None,
        true,
        &mut Vec::new()
    )
    .await
    .is_err());

    // Tokens sent straight to the vault: not on the ledger, so not ok.
    chain
        .mint_to(&dep.collateral_mint, &ix::insurance_vault_pda(), usd(1.0))
        .await
        .unwrap();
    let mut out = Vec::new();
    let r = audit_command(&mut chain, &[], None, false, &mut out)
        .await
        .unwrap();
    let table = String::from_utf8(out).unwrap();
    assert!(!r.ok && !r.vault_reconciled);
    assert!(table.contains("PROBLEM"), "{table}");
    // audit_insurance records the donation; everything adds up again.
    chain.send(&[ix::audit_insurance()], &[]).await.unwrap();
    let r = audit_command(&mut chain, &[], None, true, &mut Vec::new())
        .await
        .unwrap();
    assert!(r.ok, "{:?}", r.problems);
    assert_eq!(r.inflows["donation"], 1.0);
}

#[test]
fn audit_cli_exits_non_zero_when_the_cluster_cannot_be_read() {
    // Nothing listens on port 9.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bulwark"))
        .args(["audit", "--url", "http://127.0.0.1:9", "--json"])
        .env("HOME", std::env::temp_dir())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot reach the cluster at http://127.0.0.1:9"),
        "{err}"
    );
}

#[tokio::test]
async fn audit_command_recomputes_the_hash_chain_from_emitted_events() {
    let (mut chain, dep) = setup().await;
    let admin = chain.payer_pubkey();
    let token = chain
        .create_token_account(&dep.collateral_mint, &admin)
        .await
        .unwrap();
    chain
        .mint_to(&dep.collateral_mint, &token, usd(2_000.0))
        .await
        .unwrap();
    let mut payloads = Vec::new();
    let (_, ev) = chain
        .send_with_events(
            &[ix::stake(
                &admin,
                &ix::exchange_pda(),
                &token,
                usd(1_500.0),
                0,
            )],
            &[],
        )
        .await
        .unwrap();
    payloads.extend(ev);
    chain
        .mint_to(&dep.collateral_mint, &ix::insurance_vault_pda(), usd(3.0))
        .await
        .unwrap();
    let (_, ev) = chain
        .send_with_events(&[ix::audit_insurance()], &[])
        .await
        .unwrap();
    payloads.extend(ev);
    let entries = bulwark_app::client::ledger_entries_from_cpi(&payloads);
    assert_eq!(entries.len(), 2);

    let mut out = Vec::new();
    let r = audit_command(&mut chain, &[], Some(&entries), false, &mut out)
        .await
        .unwrap();
    let table = String::from_utf8(out).unwrap();
    assert!(r.ok, "{:?}", r.problems);
    assert_eq!(r.events_chain_ok, Some(true));
    assert!(
        table.contains("events → hash chain head        OK"),
        "{table}"
    );
    // One event missing: the chain does not recompute.
    let r = audit_command(&mut chain, &[], Some(&entries[1..]), true, &mut Vec::new())
        .await
        .unwrap();
    assert!(!r.ok);
    assert_eq!(r.events_chain_ok, Some(false));
}
