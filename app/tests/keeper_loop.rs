//! `bulwark keeper` end-to-end on the embedded chain: the loop runs a few
//! rounds over the discovered markets, liquidates an underwater long on
//! the book, has the insurance fund cover a bankrupt one, writes one JSON
//! line per action, answers `/health`, and stops on request.

mod common;

use bulwark_app::keeper::Action;
use bulwark_app::keeper_loop::{http_get, run_keeper, serve_health, Health, KeeperOptions};
use bulwark_app::{config::usd, invariants, trader};
use common::*;
use solana_signer::Signer;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[tokio::test]
async fn keeper_loop_liquidates_covers_logs_and_serves_health() {
    let (mut chain, dep) = setup().await;
    let market = key_of(&dep);
    protocol_stake(&mut chain, &dep, 20_000.0).await;
    let maker = wallet(&mut chain, &dep, 1_000_000.0).await;
    trader::deposit(
        &mut chain,
        &maker,
        "BTC-PERP",
        usd(900_000.0),
        None,
        bulwark_app::trader::SeatPick::First,
    )
    .await
    .unwrap();
    let keeper = wallet(&mut chain, &dep, 100_000.0).await;
    trader::deposit(
        &mut chain,
        &keeper,
        "BTC-PERP",
        usd(100_000.0),
        None,
        bulwark_app::trader::SeatPick::First,
    )
    .await
    .unwrap();
    quote(&mut chain, &maker, 65_000.0, 6, 20_000).await;
    // alice: 1.4 BTC on 3,000 USD; bob: 0.7 BTC on 1,000 USD.
    let alice = wallet(&mut chain, &dep, 3_000.0).await;
    trader::deposit(
        &mut chain,
        &alice,
        "BTC-PERP",
        usd(3_000.0),
        None,
        bulwark_app::trader::SeatPick::First,
    )
    .await
    .unwrap();
    assert_eq!(
        market_buy(&mut chain, &alice, 14_000).await.filled_lots,
        14_000
    );
    let bob = wallet(&mut chain, &dep, 1_000.0).await;
    trader::deposit(
        &mut chain,
        &bob,
        "BTC-PERP",
        usd(1_000.0),
        None,
        bulwark_app::trader::SeatPick::First,
    )
    .await
    .unwrap();
    assert_eq!(market_buy(&mut chain, &bob, 7_000).await.filled_lots, 7_000);

    // −3 %: alice is below maintenance but solvent, bob is bankrupt.
    set_price(&mut chain, &dep, 63_050.0).await;
    quote(&mut chain, &maker, 63_050.0, 6, 20_000).await;
    let pa = trader::positions(&mut chain, &alice.pubkey(), &[])
        .await
        .unwrap();
    let pb = trader::positions(&mut chain, &bob.pubkey(), &[])
        .await
        .unwrap();
    assert!(pa[0].maint_health < 0.0 && pa[0].equity > 0.0, "{pa:?}");
    assert!(pb[0].equity < 0.0, "{pb:?}");

    let health = Arc::new(Mutex::new(Health::default()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let server = tokio::spawn(serve_health(listener, health.clone(), stop_tx.subscribe()));
    let opts = KeeperOptions {
        markets: vec![],
        interval: Duration::from_millis(100),
        max_rounds: Some(4),
        refresh_prices: true,
    };
    let mut log = Vec::new();
    let (totals, seen) = tokio::join!(
        run_keeper(&mut chain, &keeper, &opts, &health, &mut log, &mut stop_rx),
        async {
            // Poll /health until a round is reported.
            for _ in 0..200 {
                if let Ok((200, body)) = http_get(port, "/health").await {
                    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
                    if v["rounds"].as_u64().unwrap_or(0) >= 1 {
                        return Some(v);
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            None
        }
    );
    let totals = totals.expect("keeper ran");
    assert_eq!(totals.rounds, 4);
    let seen = seen.expect("/health reported a round while the keeper ran");
    assert_eq!(seen["keeper"], keeper.pubkey().to_string());
    assert_eq!(seen["markets"][0], "BTC-PERP");

    // alice was liquidated on the book; bob's deficit was covered by the fund.
    let alice_label = &alice.pubkey().to_string()[..8];
    let bob_label = &bob.pubkey().to_string()[..8];
    assert!(
        totals
            .actions
            .iter()
            .any(|a| matches!(a, Action::Liquidated { trader, .. } if trader == alice_label)),
        "{:?}",
        totals.actions
    );
    assert!(
        totals
            .actions
            .iter()
            .any(|a| matches!(a, Action::CoveredBankruptcy { trader, .. } if trader == bob_label)),
        "{:?}",
        totals.actions
    );
    let pa = trader::positions(&mut chain, &alice.pubkey(), &[])
        .await
        .unwrap();
    assert!(pa[0].maint_health >= 0.0 || pa[0].base_lots == 0, "{pa:?}");

    // One JSON object per line; every action is logged.
    let text = String::from_utf8(log).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.first().unwrap()["event"], "start");
    assert_eq!(lines.last().unwrap()["event"], "stop");
    let logged = lines.iter().filter(|l| l["event"] == "action").count();
    assert_eq!(logged, totals.actions.len());
    assert!(lines.iter().any(|l| l["event"] == "action"
        && l["action"]["Liquidated"].is_object()
        && l["name"] == "BTC-PERP"
        && l["market"] == market.to_string()));

    // /health after the run: the counts, and 404 elsewhere.
    let (code, body) = http_get(port, "/health").await.unwrap();
    assert_eq!(code, 200);
    let h: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(h["status"], "stopped");
    assert_eq!(h["rounds"], 4);
    assert!(h["actions"]["Liquidated"].as_u64().unwrap() >= 1);
    assert!(h["actions"]["CoveredBankruptcy"].as_u64().unwrap() >= 1);
    assert!(h["last_round_at"].as_i64().is_some());
    assert_eq!(http_get(port, "/nope").await.unwrap().0, 404);
    stop_tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the health server stops")
        .unwrap();

    let v = invariants::check_all(&mut chain, &[market]).await;
    assert!(v.is_empty(), "{v:?}");
}

#[tokio::test]
async fn keeper_loop_stops_on_the_stop_signal() {
    let (mut chain, _dep) = setup().await;
    let keeper = solana_keypair::Keypair::new();
    let health = Arc::new(Mutex::new(Health::default()));
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let opts = KeeperOptions {
        interval: Duration::from_secs(3600),
        ..Default::default()
    };
    let mut log = Vec::new();
    let (r, _) = tokio::join!(
        run_keeper(&mut chain, &keeper, &opts, &health, &mut log, &mut stop_rx),
        async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            stop_tx.send(true).unwrap();
        }
    );
    // One round, then the hour-long wait is cut short by the signal.
    assert_eq!(r.unwrap().rounds, 1);
    assert_eq!(health.lock().unwrap().status, "stopped");
}
