//! The trader commands' library functions end-to-end on the embedded
//! chain: deposit, withdraw, every order type, cancel (by id, client id,
//! all), positions with the liquidation price and ADL rank, markets,
//! stake and unstake.

mod common;

use bulwark::engine::book::Side;
use bulwark::engine::margin;
use bulwark::engine::trade::OrderType;
use bulwark_app::config::usd;
use bulwark_app::trader::{self, CancelWhich, OrderRequest, SeatPick};
use bulwark_app::{client, invariants};
use common::*;
use solana_signer::Signer;

fn req(side: Side, order_type: OrderType, price: Option<f64>, lots: u64) -> OrderRequest {
    OrderRequest {
        side,
        order_type,
        price_usd: price,
        lots,
        reduce_only: false,
        client_order_id: 0,
        expiry_ts: 0,
    }
}

#[tokio::test]
async fn deposit_withdraw_orders_cancel_and_markets() {
    let (mut chain, dep) = setup().await;
    let m = "BTC-PERP";
    let alice = wallet(&mut chain, &dep, 50_000.0).await;
    let bob = wallet(&mut chain, &dep, 50_000.0).await;
    let ata = client::associated_token_address(&alice.pubkey(), &dep.collateral_mint);

    let r = trader::deposit(&mut chain, &alice, m, usd(20_000.0), None, SeatPick::First)
        .await
        .unwrap();
    assert_eq!(r.collateral_after, 20_000.0);
    assert_eq!(r.token_account, ata.to_string());
    assert_eq!(chain.token_balance(&ata).await, usd(30_000.0));
    let r = trader::withdraw(&mut chain, &alice, m, usd(5_000.0), None, SeatPick::First)
        .await
        .unwrap();
    assert_eq!(r.collateral_after, 15_000.0);
    assert_eq!(chain.token_balance(&ata).await, usd(35_000.0));
    let e = trader::withdraw(&mut chain, &alice, m, usd(15_001.0), None, SeatPick::First)
        .await
        .unwrap_err();
    assert!(e.contains("InsufficientFreeCollateral"), "{e}");
    trader::deposit(
        &mut chain,
        &bob,
        &key_of(&dep).to_string(),
        usd(40_000.0),
        None,
        SeatPick::First,
    )
    .await
    .unwrap();

    // Limit orders rest; the receipt names the order.
    let mut bid = req(Side::Bid, OrderType::Limit, Some(64_900.0), 1_000);
    bid.client_order_id = 7;
    let r = trader::place_order(&mut chain, &alice, m, &bid, SeatPick::First)
        .await
        .unwrap();
    assert_eq!((r.filled_lots, r.rested_lots), (0, 1_000));
    assert!(r.order_id > 0);
    let bid_id = r.order_id;
    let r = trader::place_order(
        &mut chain,
        &alice,
        m,
        &req(Side::Ask, OrderType::PostOnly, Some(65_100.0), 2_000),
        SeatPick::First,
    )
    .await
    .unwrap();
    assert_eq!(r.rested_lots, 2_000);
    // Post-only that would cross is rejected.
    let e = trader::place_order(
        &mut chain,
        &bob,
        m,
        &req(Side::Bid, OrderType::PostOnly, Some(65_100.0), 100),
        SeatPick::First,
    )
    .await
    .unwrap_err();
    assert!(e.contains("PostOnlyWouldCross"), "{e}");
    // A price off the tick is refused before sending.
    assert!(trader::place_order(
        &mut chain,
        &bob,
        m,
        &req(Side::Bid, OrderType::Limit, Some(65_000.05), 100),
        SeatPick::First
    )
    .await
    .unwrap_err()
    .contains("tick"));
    // Fill-or-kill larger than the book fails and changes nothing.
    let e = trader::place_order(
        &mut chain,
        &bob,
        m,
        &req(Side::Bid, OrderType::FillOrKill, Some(65_200.0), 3_000),
        SeatPick::First,
    )
    .await
    .unwrap_err();
    assert!(e.contains("FillOrKillNotFilled"), "{e}");
    // IOC takes what crosses and cancels the rest.
    let r = trader::place_order(
        &mut chain,
        &bob,
        m,
        &req(Side::Bid, OrderType::ImmediateOrCancel, Some(65_100.0), 500),
        SeatPick::First,
    )
    .await
    .unwrap();
    assert_eq!(
        (r.filled_lots, r.rested_lots, r.position_after),
        (500, 0, 500)
    );
    assert_eq!(r.fills.len(), 1);
    assert_eq!(r.fills[0].price, 65_100.0);
    // Fill-or-kill that fits fills.
    let r = trader::place_order(
        &mut chain,
        &bob,
        m,
        &req(Side::Bid, OrderType::FillOrKill, Some(65_100.0), 500),
        SeatPick::First,
    )
    .await
    .unwrap();
    assert_eq!(r.filled_lots, 500);
    // Market sell into alice's bid; reduce-only is clipped to the position.
    let mut sell = req(Side::Ask, OrderType::Market, None, 5_000);
    sell.reduce_only = true;
    let r = trader::place_order(&mut chain, &bob, m, &sell, SeatPick::First)
        .await
        .unwrap();
    assert_eq!((r.filled_lots, r.position_after), (1_000, 0));
    assert_eq!(r.fills[0].price, 64_900.0);

    // Cancel by client id, by order id, all.
    let mut b2 = req(Side::Bid, OrderType::Limit, Some(64_000.0), 300);
    b2.client_order_id = 42;
    trader::place_order(&mut chain, &alice, m, &b2, SeatPick::First)
        .await
        .unwrap();
    let r = trader::place_order(
        &mut chain,
        &alice,
        m,
        &req(Side::Bid, OrderType::Limit, Some(63_900.0), 300),
        SeatPick::First,
    )
    .await
    .unwrap();
    let pos = trader::positions(&mut chain, &alice.pubkey(), &[])
        .await
        .unwrap();
    assert_eq!(pos[0].open_orders.len(), 3);
    let left = trader::cancel(
        &mut chain,
        &alice,
        m,
        CancelWhich::ClientId(42),
        SeatPick::First,
    )
    .await
    .unwrap();
    assert_eq!(left, 2);
    let left = trader::cancel(
        &mut chain,
        &alice,
        m,
        CancelWhich::OrderId(r.order_id),
        SeatPick::First,
    )
    .await
    .unwrap();
    assert_eq!(left, 1);
    assert!(trader::cancel(
        &mut chain,
        &alice,
        m,
        CancelWhich::OrderId(bid_id),
        SeatPick::First
    )
    .await
    .unwrap_err()
    .contains("OrderNotFound"));
    let left = trader::cancel(&mut chain, &alice, m, CancelWhich::All, SeatPick::First)
        .await
        .unwrap();
    assert_eq!(left, 0);

    // An order with an expiry rests until then; after it, it does not fill.
    let now = chain.clock().await.unix_timestamp;
    let mut exp = req(Side::Bid, OrderType::Limit, Some(64_950.0), 400);
    exp.expiry_ts = now + 30;
    let r = trader::place_order(&mut chain, &alice, m, &exp, SeatPick::First)
        .await
        .unwrap();
    assert_eq!(r.rested_lots, 400);
    let pos = trader::positions(&mut chain, &alice.pubkey(), &[])
        .await
        .unwrap();
    assert_eq!(pos[0].open_orders[0].expiry_ts, now + 30);
    chain.advance_time(60).await;
    set_price(&mut chain, &dep, 65_000.0).await;
    let r = trader::place_order(
        &mut chain,
        &bob,
        m,
        &req(Side::Ask, OrderType::ImmediateOrCancel, Some(64_950.0), 400),
        SeatPick::First,
    )
    .await
    .unwrap();
    assert_eq!(r.filled_lots, 0);
    let pos = trader::positions(&mut chain, &alice.pubkey(), &[])
        .await
        .unwrap();
    assert!(pos[0].open_orders.is_empty());

    let ms = trader::markets(&mut chain).await;
    assert_eq!(ms.len(), 1);
    assert_eq!(ms[0].name, "BTC-PERP");
    assert_eq!(ms[0].index, 65_000.0);
    assert_eq!(ms[0].seats_used, 2);
    assert_eq!(ms[0].tiers.len(), 5);
    // bob bought 1,000 lots from alice and sold them back to her.
    assert_eq!(ms[0].open_interest_lots, 0);
    let v = invariants::check_all(&mut chain, &[key_of(&dep)]).await;
    assert!(v.is_empty(), "{v:?}");
}

#[tokio::test]
async fn positions_show_the_engine_liquidation_price_and_adl_rank() {
    let (mut chain, dep) = setup().await;
    let maker = wallet(&mut chain, &dep, 1_000_000.0).await;
    trader::deposit(
        &mut chain,
        &maker,
        "BTC-PERP",
        usd(900_000.0),
        None,
        SeatPick::First,
    )
    .await
    .unwrap();
    quote(&mut chain, &maker, 65_000.0, 4, 20_000).await;
    let mut longs = Vec::new();
    for (dep_usd, lots) in [(3_000.0, 10_000u64), (10_000.0, 10_000), (2_000.0, 5_000)] {
        let kp = wallet(&mut chain, &dep, dep_usd).await;
        trader::deposit(
            &mut chain,
            &kp,
            "BTC-PERP",
            usd(dep_usd),
            None,
            SeatPick::First,
        )
        .await
        .unwrap();
        market_buy(&mut chain, &kp, lots).await;
        longs.push(kp);
    }
    let mkt = client::find_market(&mut chain, "BTC-PERP").await.unwrap();
    let v = mkt.view();
    for kp in &longs {
        let p = trader::position_in(&mkt, &kp.pubkey()).expect("a seat");
        assert!(p.base_lots > 0);
        let liq = p.liquidation_price.expect("a long has a liquidation price");
        assert!(liq < p.mark);
        // The engine agrees: unhealthy at the price, healthy one unit above.
        let seat = &v.seats[bulwark::engine::collateral::seat_of(v.seats, &kp.pubkey()).unwrap()];
        let units = (liq * 1e6).round() as u64;
        let h = |p: u64| margin::maint_health(&v.header.config, &v.header.state, seat, p).unwrap();
        assert!(h(units) < 0 && h(units + 1) >= 0, "{liq}");
        assert!(p.adl_quantile.is_some());
        assert!(p.leverage.unwrap() > 1.0);
    }
    // More leverage, higher liquidation price.
    let p0 = trader::position_in(&mkt, &longs[0].pubkey()).unwrap();
    let p1 = trader::position_in(&mkt, &longs[1].pubkey()).unwrap();
    assert!(p0.liquidation_price.unwrap() > p1.liquidation_price.unwrap());
    // The maker is the only short: rank 5 of its side, liquidation above.
    let pm = trader::position_in(&mkt, &maker.pubkey()).unwrap();
    assert!(pm.base_lots < 0);
    assert_eq!(pm.adl_quantile, Some(5));
    assert!(pm.liquidation_price.unwrap() > pm.mark);
    // Flat wallets have no liquidation price; strangers have no seat.
    let nobody = solana_keypair::Keypair::new();
    assert!(trader::position_in(&mkt, &nobody.pubkey()).is_none());
    assert!(trader::positions(&mut chain, &nobody.pubkey(), &[])
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn stake_request_and_withdraw_after_the_cooldown() {
    let (mut chain, dep) = setup().await;
    let s = wallet(&mut chain, &dep, 10_000.0).await;
    let v = trader::stake(&mut chain, &s, usd(4_000.0), None, None)
        .await
        .unwrap();
    assert_eq!(v.value, 4_000.0);
    assert!(v.shares > 0);
    let v = trader::request_unstake(&mut chain, &s, None, None)
        .await
        .unwrap();
    assert_eq!(v.unstake_shares, v.shares);
    assert_eq!(v.unstake_value_at_request, 4_000.0);
    assert!(v.withdrawable_from_ts > v.unstake_requested_ts);
    let e = trader::withdraw_unstake(&mut chain, &s, None)
        .await
        .unwrap_err();
    assert!(e.contains("CooldownNotOver"), "{e}");
    let now = chain.clock().await.unix_timestamp;
    chain.advance_time(v.withdrawable_from_ts - now).await;
    let v = trader::withdraw_unstake(&mut chain, &s, None)
        .await
        .unwrap();
    assert_eq!(v.shares, 0);
    assert_eq!(v.fund_balance, 0.0);
    let ata = client::associated_token_address(&s.pubkey(), &dep.collateral_mint);
    assert_eq!(chain.token_balance(&ata).await, usd(10_000.0));
}

/// One wallet, two isolated seats: `SeatPick::New` opens the second at the
/// end of the table, `SeatPick::Index` trades and withdraws in it alone,
/// and `positions` lists both by index. A seat that is not the wallet's,
/// an index past the table, or `New` outside a deposit fail before
/// anything is sent.
#[tokio::test]
async fn one_wallet_trades_in_two_seats_by_index() {
    let (mut chain, dep) = setup().await;
    let m = "BTC-PERP";
    let alice = wallet(&mut chain, &dep, 50_000.0).await;
    let bob = wallet(&mut chain, &dep, 50_000.0).await;
    let r = trader::deposit(&mut chain, &bob, m, usd(1_000.0), None, SeatPick::First)
        .await
        .unwrap();
    let bob_seat = r.seat;
    let first = trader::deposit(&mut chain, &alice, m, usd(10_000.0), None, SeatPick::First)
        .await
        .unwrap()
        .seat;
    let second = trader::deposit(&mut chain, &alice, m, usd(3_000.0), None, SeatPick::New)
        .await
        .unwrap();
    assert_ne!(second.seat, first);
    assert_eq!(second.collateral_after, 3_000.0);
    // A bid rests in the second seat only.
    let bid = req(Side::Bid, OrderType::Limit, Some(64_000.0), 100);
    trader::place_order(&mut chain, &alice, m, &bid, SeatPick::Index(second.seat))
        .await
        .unwrap();
    let pos = trader::positions(&mut chain, &alice.pubkey(), &[])
        .await
        .unwrap();
    let seats: Vec<(u32, f64, usize)> = pos
        .iter()
        .map(|p| (p.seat, p.collateral, p.open_orders.len()))
        .collect();
    assert_eq!(seats, vec![(first, 10_000.0, 0), (second.seat, 3_000.0, 1)]);
    let left = trader::cancel(
        &mut chain,
        &alice,
        m,
        CancelWhich::All,
        SeatPick::Index(second.seat),
    )
    .await
    .unwrap();
    assert_eq!(left, 0);
    let w = trader::withdraw(
        &mut chain,
        &alice,
        m,
        usd(500.0),
        None,
        SeatPick::Index(second.seat),
    )
    .await
    .unwrap();
    assert_eq!((w.seat, w.collateral_after), (second.seat, 2_500.0));
    // Refused off-chain, with a message: bob's seat, past the table, New.
    let key = client::find_market(&mut chain, m).await.unwrap().key;
    let before = chain.account_data(&key).await;
    for pick in [SeatPick::Index(bob_seat), SeatPick::Index(99)] {
        let e = trader::withdraw(&mut chain, &alice, m, usd(1.0), None, pick)
            .await
            .unwrap_err();
        assert!(e.contains("seat"), "{e}");
    }
    let e = trader::cancel(&mut chain, &alice, m, CancelWhich::All, SeatPick::New)
        .await
        .unwrap_err();
    assert!(e.contains("deposits"), "{e}");
    assert_eq!(chain.account_data(&key).await, before);
}
