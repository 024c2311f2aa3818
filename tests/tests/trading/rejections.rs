//! Every order rejection, each with its exact error code; a rejected order
//! changes nothing.

use anchor_lang::error::ErrorCode as Anchor;
use bulwark::engine::book::Side::{Ask, Bid};
use bulwark::engine::trade::{OrderParams, OrderType};
use bulwark::math::MAX_ORDERS_PER_SEAT;
use bulwark::state::{Order, Seat};
use bulwark_app::config::usd;
use bulwark_app::ix;
use bulwark_tests::{
    anchor_code, code, ioc, limit, order, price_units, unsign, BulwarkError as E, TestEnv, Trader,
    BTC, CONFIG,
};

/// What a rejected order must leave alone: both book sides and every seat
/// involved.
async fn snapshot(env: &mut TestEnv, who: &[&Trader]) -> (Vec<Order>, Vec<Order>, Vec<Seat>) {
    let (bids, asks) = env.book(BTC).await;
    let mut seats = Vec::new();
    for t in who {
        if let Some(s) = env.seat(BTC, &t.key()).await {
            seats.push(s);
        }
    }
    (bids, asks, seats)
}

/// Places `p` for `t`, expects `err`, and checks that nothing changed.
async fn rejected(env: &mut TestEnv, t: &Trader, others: &[&Trader], p: OrderParams, err: E) {
    let mut who = vec![t];
    who.extend_from_slice(others);
    let before = snapshot(env, &who).await;
    let header0 = env.market_header(BTC).await.state;
    env.place_fails(t, BTC, p, code(err)).await;
    assert_eq!(
        snapshot(env, &who).await,
        before,
        "{err:?} changed the book"
    );
    let header = env.market_header(BTC).await.state;
    assert_eq!(header.next_order_id, header0.next_order_id);
    assert_eq!(header.fill_count, header0.fill_count);
}

/// A config with BTC-PERP's line `from` replaced by `to`.
fn btc_config(from: &str, to: &str) -> String {
    assert!(CONFIG.contains(from), "{from} not in CONFIG");
    CONFIG.replacen(from, to, 1)
}

#[tokio::test]
async fn unsigned_orders_and_cancels_are_rejected() {
    let mut env = TestEnv::new().await;
    let t = env.funded_trader(BTC, 1_000.0).await;
    let id = env.place(&t, BTC, limit(Bid, 64_000.0, 1)).await;
    let market = env.market(BTC);
    let not_signer = anchor_code(Anchor::AccountNotSigner);
    let seat = env.seat_ix(&market, &t.key()).await;
    let ixs = [
        env.place_ix(&t, BTC, limit(Bid, 64_000.0, 1)).await,
        ix::cancel_order(&t.key(), &market, seat, id),
        ix::cancel_order_by_client_id(&t.key(), &market, seat, 0),
        ix::cancel_all_orders(&t.key(), &market, seat),
    ];
    for i in ixs {
        let i = unsign(i, &t.key());
        env.send_tx_expect_error(&[i], &[], not_signer).await;
    }
    assert_eq!(env.book(BTC).await.0.len(), 1);
}

#[tokio::test]
async fn traders_without_a_seat_are_rejected() {
    let mut env = TestEnv::new().await;
    let maker = env.funded_trader(BTC, 1_000.0).await;
    let id = env.place(&maker, BTC, limit(Ask, 65_000.0, 1)).await;
    let stranger = env.new_trader(1_000.0).await;
    let market = env.market(BTC);
    let market_before = env.raw_account(&market).await.data;
    // Naming the maker's seat (its order included), a free seat or an
    // index past the table: none is the stranger's.
    let maker_seat = env.seat_ix(&market, &maker.key()).await;
    let free_seat = env.deposit_seat_ix(&market, &stranger.key()).await;
    for seat in [maker_seat, free_seat, u32::MAX] {
        for i in [
            ix::place_order(&stranger.key(), &market, seat, ioc(Bid, 65_000.0, 1)),
            ix::cancel_order(&stranger.key(), &market, seat, id),
            ix::cancel_order_by_client_id(&stranger.key(), &market, seat, 0),
            ix::cancel_all_orders(&stranger.key(), &market, seat),
        ] {
            env.send_tx_expect_error(&[i], &[&stranger.kp], code(E::WrongSeatIndex))
                .await;
        }
    }
    assert_eq!(env.raw_account(&market).await.data, market_before);
    assert!(env.seat(BTC, &stranger.key()).await.is_none());
    assert_eq!(env.book(BTC).await.1.len(), 1);
}

#[tokio::test]
async fn price_size_band_and_expiry_are_validated() {
    let mut env = TestEnv::new().await;
    // Enough collateral for a maximal order (500 000 lots = 3.25 M USD,
    // IM 5 % = 162 500 USD).
    let t = env.funded_trader(BTC, 200_000.0).await;
    // Ticks are 0.1 USD = 100 000 price units.
    rejected(&mut env, &t, &[], limit(Bid, 65_000.05, 1), E::InvalidPrice).await;
    rejected(
        &mut env,
        &t,
        &[],
        order(Bid, OrderType::Limit, 0, 1),
        E::InvalidPrice,
    )
    .await;
    let off_tick = order(Ask, OrderType::PostOnly, price_units(65_000.0) + 1, 1);
    rejected(&mut env, &t, &[], off_tick, E::InvalidPrice).await;
    // Sizes: 1 ..= 500 000 lots.
    rejected(
        &mut env,
        &t,
        &[],
        limit(Bid, 64_000.0, 0),
        E::InvalidOrderSize,
    )
    .await;
    rejected(
        &mut env,
        &t,
        &[],
        limit(Bid, 64_000.0, 500_001),
        E::InvalidOrderSize,
    )
    .await;
    let mkt0 = order(Bid, OrderType::Market, 0, 0);
    rejected(&mut env, &t, &[], mkt0, E::InvalidOrderSize).await;
    // Band ±5 % of 65 000: 61 750 ..= 68 250.
    rejected(
        &mut env,
        &t,
        &[],
        limit(Ask, 68_250.1, 1),
        E::PriceOutsideBand,
    )
    .await;
    rejected(
        &mut env,
        &t,
        &[],
        limit(Bid, 61_749.9, 1),
        E::PriceOutsideBand,
    )
    .await;
    rejected(
        &mut env,
        &t,
        &[],
        ioc(Bid, 68_300.0, 1),
        E::PriceOutsideBand,
    )
    .await;
    // Expiry must be in the future.
    let now = env.now().await;
    for expiry_ts in [now, now - 1] {
        let mut p = limit(Bid, 64_000.0, 1);
        p.expiry_ts = expiry_ts;
        rejected(&mut env, &t, &[], p, E::OrderExpired).await;
    }
    // The edges themselves are accepted.
    env.place(&t, BTC, limit(Ask, 68_250.0, 1)).await;
    env.place(&t, BTC, limit(Bid, 61_750.0, 500_000)).await;
    let mut p = limit(Bid, 61_750.0, 1);
    p.expiry_ts = now + 1;
    env.place(&t, BTC, p).await;
    assert_eq!(env.seat_of(BTC, &t.key()).await.num_orders, 3);
}

#[tokio::test]
async fn post_only_that_would_cross_is_rejected() {
    let mut env = TestEnv::new().await;
    let maker = env.funded_trader(BTC, 10_000.0).await;
    let t = env.funded_trader(BTC, 10_000.0).await;
    env.place(&maker, BTC, limit(Ask, 65_000.0, 5)).await;
    env.place(&maker, BTC, limit(Bid, 64_000.0, 5)).await;
    let po = |side, px| order(side, OrderType::PostOnly, price_units(px), 1);
    rejected(
        &mut env,
        &t,
        &[&maker],
        po(Bid, 65_000.0),
        E::PostOnlyWouldCross,
    )
    .await;
    rejected(
        &mut env,
        &t,
        &[&maker],
        po(Bid, 65_100.0),
        E::PostOnlyWouldCross,
    )
    .await;
    rejected(
        &mut env,
        &t,
        &[&maker],
        po(Ask, 64_000.0),
        E::PostOnlyWouldCross,
    )
    .await;
    // One tick inside the spread rests.
    env.place(&t, BTC, po(Bid, 64_999.9)).await;
    env.place(&t, BTC, po(Ask, 65_000.0)).await;
    assert_eq!(env.seat_of(BTC, &t.key()).await.num_orders, 2);
}

#[tokio::test]
async fn fill_or_kill_that_cannot_fill_changes_nothing() {
    let mut env = TestEnv::new().await;
    let maker = env.funded_trader(BTC, 10_000.0).await;
    let t = env.funded_trader(BTC, 10_000.0).await;
    let id = env.place(&maker, BTC, limit(Ask, 65_000.0, 5)).await;
    env.place(&maker, BTC, limit(Ask, 65_100.0, 5)).await;
    // 6 lots are there, but only 5 up to 65 000.
    let fok = |lots| order(Bid, OrderType::FillOrKill, price_units(65_000.0), lots);
    rejected(&mut env, &t, &[&maker], fok(6), E::FillOrKillNotFilled).await;
    // The maker's order still rests, whole; nobody has a position.
    let (_, asks) = env.book(BTC).await;
    assert_eq!((asks[1].order_id, asks[1].lots), (id, 5));
    assert_eq!(env.seat_of(BTC, &maker.key()).await.base_lots, 0);
    assert_eq!(env.seat_of(BTC, &t.key()).await.base_lots, 0);
    assert_eq!(env.market_header(BTC).await.state.open_interest_lots, 0);
    env.place(&t, BTC, fok(5)).await;
    assert_eq!(env.seat_of(BTC, &t.key()).await.base_lots, 5);
}

#[tokio::test]
async fn reduce_only_that_would_increase_is_rejected() {
    let mut env = TestEnv::new().await;
    let maker = env.funded_trader(BTC, 10_000.0).await;
    let t = env.funded_trader(BTC, 10_000.0).await;
    let reduce = |mut p: OrderParams| {
        p.reduce_only = true;
        p
    };
    // Flat: nothing to reduce on either side.
    rejected(
        &mut env,
        &t,
        &[],
        reduce(limit(Ask, 65_000.0, 1)),
        E::ReduceOnlyWouldIncrease,
    )
    .await;
    rejected(
        &mut env,
        &t,
        &[],
        reduce(limit(Bid, 64_000.0, 1)),
        E::ReduceOnlyWouldIncrease,
    )
    .await;
    // Long 3: a reduce-only buy would increase it.
    env.place(&maker, BTC, limit(Ask, 65_000.0, 3)).await;
    env.place(&t, BTC, ioc(Bid, 65_000.0, 3)).await;
    let more = reduce(ioc(Bid, 65_000.0, 1));
    rejected(&mut env, &t, &[&maker], more, E::ReduceOnlyWouldIncrease).await;
    let mkt = reduce(order(Bid, OrderType::Market, 0, 1));
    rejected(&mut env, &t, &[&maker], mkt, E::ReduceOnlyWouldIncrease).await;
}

#[tokio::test]
async fn sixty_fifth_order_is_too_many() {
    // A book deep enough for one seat's 64 orders (32 a side).
    let cfg = btc_config("book_capacity = 8", "book_capacity = 40");
    let mut env = TestEnv::with_config(&cfg).await;
    let t = env.funded_trader(BTC, 10_000.0).await;
    let per_side = MAX_ORDERS_PER_SEAT as u64 / 2;
    for i in 0..per_side {
        let step = 0.1 * i as f64;
        env.place(&t, BTC, limit(Bid, 64_000.0 - step, 1)).await;
        env.place(&t, BTC, limit(Ask, 66_000.0 + step, 1)).await;
    }
    assert_eq!(env.seat_of(BTC, &t.key()).await.num_orders, 64);
    rejected(&mut env, &t, &[], limit(Bid, 63_000.0, 1), E::TooManyOrders).await;
    rejected(&mut env, &t, &[], limit(Ask, 67_000.0, 1), E::TooManyOrders).await;
    // Orders that do not rest are not counted.
    let maker = env.funded_trader(BTC, 10_000.0).await;
    env.place(&maker, BTC, limit(Ask, 65_000.0, 1)).await;
    env.place(&t, BTC, ioc(Bid, 65_000.0, 1)).await;
    assert_eq!(env.seat_of(BTC, &t.key()).await.base_lots, 1);
    // One cancel makes room for one more.
    let market = env.market(BTC);
    let id = env.book(BTC).await.0[0].order_id;
    let seat = env.seat_ix(&market, &t.key()).await;
    env.send(&[ix::cancel_order(&t.key(), &market, seat, id)], &[&t.kp])
        .await;
    env.place(&t, BTC, limit(Bid, 63_000.0, 1)).await;
    assert_eq!(env.seat_of(BTC, &t.key()).await.num_orders, 64);
}

#[tokio::test]
async fn full_book_side_is_rejected() {
    let cfg = btc_config("book_capacity = 8", "book_capacity = 2");
    let mut env = TestEnv::with_config(&cfg).await;
    let a = env.funded_trader(BTC, 10_000.0).await;
    let b = env.funded_trader(BTC, 10_000.0).await;
    env.place(&a, BTC, limit(Bid, 64_000.0, 1)).await;
    env.place(&a, BTC, limit(Bid, 64_100.0, 1)).await;
    // Issue 10: a full side refuses only an order no better than its worst
    // (64 000); the 64 500 bid used to fail here and now evicts it.
    rejected(&mut env, &b, &[&a], limit(Bid, 64_000.0, 1), E::BookFull).await;
    rejected(&mut env, &b, &[&a], limit(Bid, 63_900.0, 1), E::BookFull).await;
    env.place(&b, BTC, limit(Bid, 64_500.0, 1)).await;
    let (bids, _) = env.book(BTC).await;
    let prices: Vec<u64> = bids.iter().map(|o| o.price).collect();
    assert_eq!(prices, vec![price_units(64_100.0), price_units(64_500.0)]);
    assert_eq!(env.seat_of(BTC, &a.key()).await.num_orders, 1);
    // A limit that fills part rests the rest (65 000) by evicting the
    // worst bid (a's 64 100): it used to fail whole with BookFull.
    env.place(&a, BTC, limit(Ask, 65_000.0, 1)).await;
    env.place(&b, BTC, limit(Bid, 65_000.0, 2)).await;
    let (bids, _) = env.book(BTC).await;
    let prices: Vec<u64> = bids.iter().map(|o| o.price).collect();
    assert_eq!(prices, vec![price_units(64_500.0), price_units(65_000.0)]);
    assert_eq!(env.seat_of(BTC, &a.key()).await.num_orders, 0);
    // The other side has room; IOC never rests.
    env.place(&b, BTC, ioc(Bid, 65_000.0, 2)).await;
    env.place(&b, BTC, limit(Ask, 66_000.0, 1)).await;
    assert_eq!(env.seat_of(BTC, &b.key()).await.base_lots, 1);
}

#[tokio::test]
async fn initial_margin_is_enforced_resting_and_taking() {
    let mut env = TestEnv::new().await;
    let t = env.funded_trader(BTC, 100.0).await;
    let maker = env.funded_trader(BTC, 10_000.0).await;
    let market = env.market(BTC);
    // At mark 65 000 one lot is 6 500 000 atoms, IM 2 % = 130 000 atoms:
    // 769 lots need 99 970 000 ≤ 100 USD; 770 lots need 100 100 000.
    rejected(
        &mut env,
        &t,
        &[],
        limit(Bid, 65_000.0, 770),
        E::InsufficientInitialMargin,
    )
    .await;
    let id = env.place(&t, BTC, limit(Bid, 65_000.0, 769)).await;
    let seat = env.seat_ix(&market, &t.key()).await;
    env.send(&[ix::cancel_order(&t.key(), &market, seat, id)], &[&t.kp])
        .await;
    // A bid below the mark adds no worst-case loss; the ask side is the
    // worse one for a short: 770 lots short is too much too.
    rejected(
        &mut env,
        &t,
        &[],
        limit(Ask, 65_000.0, 770),
        E::InsufficientInitialMargin,
    )
    .await;
    // As a taker: 770 lots would fill against the maker, fees on top.
    env.place(&maker, BTC, limit(Ask, 65_000.0, 1_000)).await;
    rejected(
        &mut env,
        &t,
        &[&maker],
        ioc(Bid, 65_000.0, 770),
        E::InsufficientInitialMargin,
    )
    .await;
    // 700 lots: notional 4 550 USD, IM 91 USD, fee 2.275 USD: fine.
    env.place(&t, BTC, ioc(Bid, 65_000.0, 700)).await;
    let s = env.seat_of(BTC, &t.key()).await;
    assert_eq!(s.base_lots, 700);
    assert_eq!(s.collateral, (usd(100.0) - 2_275_000) as i64);
    // Reducing is always allowed, even into a worse price.
    env.place(&maker, BTC, limit(Bid, 64_000.0, 1_000)).await;
    env.place(&t, BTC, ioc(Ask, 64_000.0, 700)).await;
    assert_eq!(env.seat_of(BTC, &t.key()).await.base_lots, 0);
}

#[tokio::test]
async fn position_limit_counts_resting_orders() {
    let mut env = TestEnv::new().await;
    // 2 000 000 lots = 200 BTC = 13 M USD at the mark: IM 5 % = 650 000 USD.
    let t = env.funded_trader(BTC, 1_000_000.0).await;
    for _ in 0..4 {
        env.place(&t, BTC, limit(Bid, 64_000.0, 500_000)).await;
    }
    assert_eq!(env.seat_of(BTC, &t.key()).await.open_bid_lots, 2_000_000);
    rejected(
        &mut env,
        &t,
        &[],
        limit(Bid, 64_000.0, 1),
        E::PositionLimitExceeded,
    )
    .await;
    // An ask does not grow the worst case (the bids dominate it).
    env.place(&t, BTC, limit(Ask, 66_000.0, 500_000)).await;
}

#[tokio::test]
async fn open_interest_cap_is_enforced() {
    let cfg = btc_config(
        "open_interest_cap_lots = 50000000",
        "open_interest_cap_lots = 1500",
    )
    .replacen(
        "position_limit_lots = 2000000",
        "position_limit_lots = 1000",
        1,
    );
    let mut env = TestEnv::with_config(&cfg).await;
    let s1 = env.funded_trader(BTC, 10_000.0).await;
    let s2 = env.funded_trader(BTC, 10_000.0).await;
    let l1 = env.funded_trader(BTC, 10_000.0).await;
    let l2 = env.funded_trader(BTC, 10_000.0).await;
    env.place(&s1, BTC, limit(Ask, 65_000.0, 1_000)).await;
    env.place(&l1, BTC, ioc(Bid, 65_000.0, 1_000)).await;
    env.place(&s2, BTC, limit(Ask, 65_000.0, 1_000)).await;
    assert_eq!(env.market_header(BTC).await.state.open_interest_lots, 1_000);
    // 1 000 + 600 > 1 500.
    rejected(
        &mut env,
        &l2,
        &[&s2],
        ioc(Bid, 65_000.0, 600),
        E::OpenInterestCapExceeded,
    )
    .await;
    env.place(&l2, BTC, ioc(Bid, 65_000.0, 500)).await;
    assert_eq!(env.market_header(BTC).await.state.open_interest_lots, 1_500);
    // Trades that do not raise open interest still go through: l1 sells
    // 100 to l2's bid… which would raise l2's long but lower l1's.
    env.place(&l2, BTC, limit(Bid, 64_900.0, 100)).await;
    env.place(&l1, BTC, ioc(Ask, 64_900.0, 100)).await;
    assert_eq!(env.market_header(BTC).await.state.open_interest_lots, 1_500);
}
