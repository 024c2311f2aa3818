//! Happy paths: resting, matching with price-time priority, partial fills,
//! exact fees on both seats, the fee sweep, cancels, self-trade prevention,
//! expired / out-of-band resting orders and reduce-only clipping.

use bulwark::engine::book::Side::{Ask, Bid};
use bulwark::engine::trade::OrderType;
use bulwark::state::order_flags;
use bulwark_app::config::usd;
use bulwark_app::ix;
use bulwark_tests::{
    code, ioc, limit, order, price_units, BulwarkError as E, TestEnv, Trader, BTC, CONFIG,
};

/// USD as signed quote atoms.
fn atoms(usd_amount: f64) -> i64 {
    usd(usd_amount) as i64
}

/// (base lots, entry cost, collateral) of `t`'s BTC seat.
async fn position(env: &mut TestEnv, t: &Trader) -> (i64, i64, i64) {
    let s = env.seat_of(BTC, &t.key()).await;
    (s.base_lots, s.entry_cost, s.collateral)
}

/// (open bid lots, open bid quote, open ask lots, open ask quote, orders).
async fn reservations(env: &mut TestEnv, t: &Trader) -> (u64, u64, u64, u64, u16) {
    let s = env.seat_of(BTC, &t.key()).await;
    (
        s.open_bid_lots,
        s.open_bid_quote,
        s.open_ask_lots,
        s.open_ask_quote,
        s.num_orders,
    )
}

/// Sweeps BTC-PERP and checks that exactly `to_insurance` reached the
/// insurance vault (with one ledger entry) and `to_treasury` the treasury.
async fn sweep_exactly(env: &mut TestEnv, to_insurance: u64, to_treasury: u64) {
    let h = env.market_header(BTC).await;
    assert_eq!(
        (
            h.state.unswept_insurance_fees,
            h.state.unswept_treasury_fees
        ),
        (to_insurance, to_treasury)
    );
    let ins_vault = ix::insurance_vault_pda();
    let treasury = env.dep.treasury;
    let vault0 = env.vault_balance(BTC).await;
    let ins0 = env.token_balance(&ins_vault).await;
    let tre0 = env.token_balance(&treasury).await;
    let fund0 = env.insurance_fund().await;

    env.sweep(BTC).await;

    assert_eq!(
        env.vault_balance(BTC).await,
        vault0 - to_insurance - to_treasury
    );
    assert_eq!(env.token_balance(&ins_vault).await, ins0 + to_insurance);
    assert_eq!(env.token_balance(&treasury).await, tre0 + to_treasury);
    let fund = env.insurance_fund().await;
    assert_eq!(fund.balance, fund0.balance + to_insurance);
    assert_eq!(fund.inflows[0], fund0.inflows[0] + to_insurance);
    assert_eq!(fund.ledger_seq, fund0.ledger_seq + 1);
    assert_ne!(fund.hash_chain, fund0.hash_chain);
    let h = env.market_header(BTC).await;
    assert_eq!(
        (
            h.state.unswept_insurance_fees,
            h.state.unswept_treasury_fees
        ),
        (0, 0)
    );
}

#[tokio::test]
async fn maker_rests_taker_fills_partially_and_fees_are_swept() {
    let mut env = TestEnv::new().await;
    let maker = env.funded_trader(BTC, 10_000.0).await;
    let taker = env.funded_trader(BTC, 10_000.0).await;
    let px = price_units(65_000.1);

    let mut ask = limit(Ask, 65_000.1, 10);
    ask.client_order_id = 7;
    let id = env.place(&maker, BTC, ask).await;
    assert_eq!(id, 1, "the first order id of a market is 1");
    let (bids, asks) = env.book(BTC).await;
    assert!(bids.is_empty());
    assert_eq!(asks.len(), 1);
    assert_eq!((asks[0].order_id, asks[0].price, asks[0].lots), (1, px, 10));
    assert_eq!((asks[0].client_order_id, asks[0].flags), (7, 0));
    // 10 lots × 6 500 010 atoms per lot.
    assert_eq!(
        reservations(&mut env, &maker).await,
        (0, 0, 10, 65_000_100, 1)
    );
    // Nothing happens to collateral until a fill.
    assert_eq!(position(&mut env, &maker).await, (0, 0, atoms(10_000.0)));

    // Fill 1: 3 lots = 19 500 030 atoms.
    //   taker fee  = ceil(19 500 030 × 500 / 1e6) = ceil(9 750.015) = 9 751
    //   maker fee  = −floor(19 500 030 × 100 / 1e6) = −floor(1 950.003) = −1 950
    //   revenue    = 7 801; insurance = ceil(7 801 / 2) = 3 901; treasury 3 900
    env.place(&taker, BTC, ioc(Bid, 65_000.1, 3)).await;
    assert_eq!(
        position(&mut env, &taker).await,
        (3, 19_500_030, atoms(10_000.0) - 9_751)
    );
    assert_eq!(
        position(&mut env, &maker).await,
        (-3, -19_500_030, atoms(10_000.0) + 1_950)
    );
    assert_eq!(reservations(&mut env, &taker).await, (0, 0, 0, 0, 0));
    // 7 lots still rest: ceil(7 × 6 500 010) = 45 500 070.
    assert_eq!(
        reservations(&mut env, &maker).await,
        (0, 0, 7, 45_500_070, 1)
    );
    let (_, asks) = env.book(BTC).await;
    assert_eq!((asks.len(), asks[0].order_id, asks[0].lots), (1, 1, 7));
    let h = env.market_header(BTC).await;
    assert_eq!(h.state.open_interest_lots, 3);
    assert_eq!(
        (
            h.state.unswept_insurance_fees,
            h.state.unswept_treasury_fees
        ),
        (3_901, 3_900)
    );
    assert_eq!((h.state.fill_count, h.state.last_trade_price), (1, px));
    // Fees stay in the vault until swept; no tokens moved.
    assert_eq!(env.vault_balance(BTC).await, usd(20_000.0));

    // Fill 2: a limit bid for 10 takes the remaining 7 and rests 3.
    //   7 lots = 45 500 070 atoms
    //   taker fee = ceil(22 750.035) = 22 751; maker fee = −floor(4 550.007) = −4 550
    //   revenue 18 201; insurance ceil(9 100.5) = 9 101; treasury 9 100
    let rest = env.place(&taker, BTC, limit(Bid, 65_000.1, 10)).await;
    assert_eq!(rest, 2);
    assert_eq!(
        position(&mut env, &taker).await,
        (10, 65_000_100, atoms(10_000.0) - 9_751 - 22_751)
    );
    assert_eq!(
        position(&mut env, &maker).await,
        (-10, -65_000_100, atoms(10_000.0) + 1_950 + 4_550)
    );
    assert_eq!(reservations(&mut env, &maker).await, (0, 0, 0, 0, 0));
    assert_eq!(
        reservations(&mut env, &taker).await,
        (3, 19_500_030, 0, 0, 1)
    );
    let (bids, asks) = env.book(BTC).await;
    assert!(asks.is_empty());
    assert_eq!((bids.len(), bids[0].order_id, bids[0].lots), (1, 2, 3));
    let h = env.market_header(BTC).await;
    assert_eq!(h.state.open_interest_lots, 10);
    assert_eq!(h.state.total_fees, 7_801 + 18_201);
    assert_eq!(h.state.fill_count, 2);

    // Sweep: 3 901 + 9 101 to insurance, 3 900 + 9 100 to the treasury.
    sweep_exactly(&mut env, 13_002, 13_000).await;
    assert_eq!(env.vault_balance(BTC).await, usd(20_000.0) - 26_002);
    let again = ix::sweep_fees(&env.market(BTC), &env.dep.treasury);
    env.send_tx_expect_error(&[again], &[], code(E::NothingToSweep))
        .await;
}

#[tokio::test]
async fn several_makers_fill_in_price_then_time_priority() {
    let mut env = TestEnv::new().await;
    let m1 = env.funded_trader(BTC, 10_000.0).await;
    let m2 = env.funded_trader(BTC, 10_000.0).await;
    let m3 = env.funded_trader(BTC, 10_000.0).await;
    let taker = env.funded_trader(BTC, 10_000.0).await;

    let id1 = env.place(&m1, BTC, limit(Ask, 65_010.0, 5)).await;
    let id2 = env.place(&m2, BTC, limit(Ask, 65_000.1, 5)).await;
    let id3 = env.place(&m3, BTC, limit(Ask, 65_000.1, 5)).await;
    // Best last; of the two at 65 000.1 the older (m2) is nearest the end.
    let (_, asks) = env.book(BTC).await;
    let ids: Vec<u64> = asks.iter().map(|o| o.order_id).collect();
    assert_eq!(ids, vec![id1, id3, id2]);

    let rest = env.place(&taker, BTC, limit(Bid, 65_010.0, 12)).await;
    assert_eq!(rest, 0, "fully filled: nothing rests");
    // Fills: m2 5 @ 65 000.1, m3 5 @ 65 000.1, m1 2 @ 65 010.0.
    //   5 @ 65 000.1 = 32 500 050: taker ceil(16 250.025) = 16 251,
    //     maker −floor(3 250.005) = −3 250, revenue 13 001,
    //     insurance ceil(6 500.5) = 6 501, treasury 6 500 (twice)
    //   2 @ 65 010.0 = 13 002 000: taker 6 501 exactly,
    //     maker −floor(1 300.2) = −1 300, revenue 5 201,
    //     insurance ceil(2 600.5) = 2 601, treasury 2 600
    let taker_fees = 16_251 + 16_251 + 6_501;
    assert_eq!(
        position(&mut env, &taker).await,
        (
            12,
            32_500_050 * 2 + 13_002_000,
            atoms(10_000.0) - taker_fees
        )
    );
    assert_eq!(
        position(&mut env, &m2).await,
        (-5, -32_500_050, atoms(10_000.0) + 3_250)
    );
    assert_eq!(
        position(&mut env, &m3).await,
        (-5, -32_500_050, atoms(10_000.0) + 3_250)
    );
    assert_eq!(
        position(&mut env, &m1).await,
        (-2, -13_002_000, atoms(10_000.0) + 1_300)
    );
    // m1's remaining 3 lots rest at 65 010.0 (6 501 000 per lot).
    assert_eq!(reservations(&mut env, &m1).await, (0, 0, 3, 19_503_000, 1));
    assert_eq!(reservations(&mut env, &m2).await, (0, 0, 0, 0, 0));
    let (bids, asks) = env.book(BTC).await;
    assert!(bids.is_empty());
    assert_eq!(asks.len(), 1);
    assert_eq!((asks[0].order_id, asks[0].lots), (id1, 3));
    let h = env.market_header(BTC).await;
    assert_eq!(h.state.open_interest_lots, 12);
    assert_eq!(h.state.fill_count, 3);
    assert_eq!(h.state.last_trade_price, price_units(65_010.0));
    // Revenue 13 001 × 2 + 5 201 = 31 203 = 15 603 + 15 600.
    assert_eq!(h.state.total_fees, 31_203);
    sweep_exactly(&mut env, 15_603, 15_600).await;
}

#[tokio::test]
async fn cancel_by_id_by_client_id_and_all() {
    let mut env = TestEnv::new().await;
    let t = env.funded_trader(BTC, 10_000.0).await;
    let other = env.funded_trader(BTC, 10_000.0).await;
    let market = env.market(BTC);
    let seat = env.seat_ix(&market, &t.key()).await;
    let other_seat = env.seat_ix(&market, &other.key()).await;

    let a = env.place(&t, BTC, limit(Bid, 64_000.0, 1)).await;
    let mut p = limit(Bid, 63_999.9, 2);
    p.client_order_id = 77;
    let b = env.place(&t, BTC, p).await;
    let mut p = limit(Ask, 66_000.0, 3);
    p.client_order_id = 88;
    let c = env.place(&t, BTC, p).await;
    let d = env.place(&t, BTC, limit(Ask, 66_100.0, 4)).await;
    assert_eq!((a, b, c, d), (1, 2, 3, 4));
    // 1 × 6 400 000 + 2 × 6 399 990; 3 × 6 600 000 + 4 × 6 610 000.
    assert_eq!(
        reservations(&mut env, &t).await,
        (3, 19_199_980, 7, 46_240_000, 4)
    );

    env.send(&[ix::cancel_order(&t.key(), &market, seat, a)], &[&t.kp])
        .await;
    let (bids, _) = env.book(BTC).await;
    assert_eq!(bids.iter().map(|o| o.order_id).collect::<Vec<_>>(), [b]);
    assert_eq!(
        reservations(&mut env, &t).await,
        (2, 12_799_980, 7, 46_240_000, 3)
    );

    let by_client = ix::cancel_order_by_client_id(&t.key(), &market, seat, 77);
    env.send(std::slice::from_ref(&by_client), &[&t.kp]).await;
    let (bids, asks) = env.book(BTC).await;
    assert!(bids.is_empty());
    assert_eq!(asks.len(), 2);
    assert_eq!(reservations(&mut env, &t).await, (0, 0, 7, 46_240_000, 2));

    // Gone already, or never there: OrderNotFound.
    env.send_tx_expect_error(&[by_client], &[&t.kp], code(E::OrderNotFound))
        .await;
    let again = ix::cancel_order(&t.key(), &market, seat, a);
    env.send_tx_expect_error(&[again], &[&t.kp], code(E::OrderNotFound))
        .await;
    let unknown = ix::cancel_order(&t.key(), &market, seat, 999);
    env.send_tx_expect_error(&[unknown], &[&t.kp], code(E::OrderNotFound))
        .await;
    // Another trader cannot cancel t's order by its id or client id.
    let theirs = ix::cancel_order(&other.key(), &market, other_seat, c);
    env.send_tx_expect_error(&[theirs], &[&other.kp], code(E::OrderNotFound))
        .await;
    let theirs = ix::cancel_order_by_client_id(&other.key(), &market, other_seat, 88);
    env.send_tx_expect_error(&[theirs], &[&other.kp], code(E::OrderNotFound))
        .await;
    // Nor by naming t's seat: it is not theirs.
    let theirs = ix::cancel_order(&other.key(), &market, seat, c);
    env.send_tx_expect_error(&[theirs], &[&other.kp], code(E::WrongSeatIndex))
        .await;
    let theirs = ix::cancel_order_by_client_id(&other.key(), &market, seat, 88);
    env.send_tx_expect_error(&[theirs], &[&other.kp], code(E::WrongSeatIndex))
        .await;
    let theirs = ix::cancel_all_orders(&other.key(), &market, seat);
    env.send_tx_expect_error(&[theirs], &[&other.kp], code(E::WrongSeatIndex))
        .await;
    assert_eq!(env.book(BTC).await.1.len(), 2);
    // …and cancelling all of its own (none) leaves t's alone.
    env.send(
        &[ix::cancel_all_orders(&other.key(), &market, other_seat)],
        &[&other.kp],
    )
    .await;
    assert_eq!(env.book(BTC).await.1.len(), 2);

    env.send(&[ix::cancel_all_orders(&t.key(), &market, seat)], &[&t.kp])
        .await;
    let (bids, asks) = env.book(BTC).await;
    assert!(bids.is_empty() && asks.is_empty());
    assert_eq!(reservations(&mut env, &t).await, (0, 0, 0, 0, 0));
    // Cancels never touch collateral.
    assert_eq!(position(&mut env, &t).await, (0, 0, atoms(10_000.0)));
    assert_eq!(env.market_header(BTC).await.state.fill_count, 0);
}

#[tokio::test]
async fn self_trade_prevention_cancels_the_resting_order() {
    let mut env = TestEnv::new().await;
    let t = env.funded_trader(BTC, 10_000.0).await;
    let ask = env.place(&t, BTC, limit(Ask, 65_000.0, 5)).await;
    let bid = env.place(&t, BTC, limit(Bid, 65_000.0, 5)).await;
    assert!(ask > 0 && bid > ask);
    let (bids, asks) = env.book(BTC).await;
    assert!(asks.is_empty(), "the resting ask was cancelled");
    assert_eq!((bids.len(), bids[0].order_id, bids[0].lots), (1, bid, 5));
    assert_eq!(position(&mut env, &t).await, (0, 0, atoms(10_000.0)));
    assert_eq!(reservations(&mut env, &t).await, (5, 32_500_000, 0, 0, 1));
    let h = env.market_header(BTC).await;
    assert_eq!((h.state.fill_count, h.state.open_interest_lots), (0, 0));
}

#[tokio::test]
async fn expired_and_out_of_band_resting_orders_are_removed_when_met() {
    let mut env = TestEnv::new().await;
    let maker = env.funded_trader(BTC, 10_000.0).await;
    let taker = env.funded_trader(BTC, 10_000.0).await;
    let now = env.now().await;

    let mut p = limit(Ask, 65_000.0, 5);
    p.expiry_ts = now + 10;
    env.place(&maker, BTC, p).await;
    env.advance_time(10).await;
    // Expired at now + 10: a crossing taker removes it and fills nothing.
    env.place(&taker, BTC, ioc(Bid, 65_000.0, 5)).await;
    assert_eq!(env.book(BTC).await.1.len(), 0);
    assert_eq!(reservations(&mut env, &maker).await, (0, 0, 0, 0, 0));
    assert_eq!(position(&mut env, &taker).await, (0, 0, atoms(10_000.0)));

    // An ask at 67 000 rests inside the band; the index then jumps to
    // 71 000 (band 67 450 – 74 550) and a market buy meets it out of band.
    env.place(&maker, BTC, limit(Ask, 67_000.0, 5)).await;
    env.set_market_price(BTC, 71_000.0).await;
    env.refresh(BTC).await;
    let market_buy = order(Bid, OrderType::Market, 0, 5);
    env.place(&taker, BTC, market_buy).await;
    assert_eq!(env.book(BTC).await.1.len(), 0);
    assert_eq!(reservations(&mut env, &maker).await, (0, 0, 0, 0, 0));
    assert_eq!(position(&mut env, &taker).await, (0, 0, atoms(10_000.0)));
    assert_eq!(env.market_header(BTC).await.state.fill_count, 0);
}

#[tokio::test]
async fn reduce_only_clips_to_the_position() {
    let mut env = TestEnv::new().await;
    let maker = env.funded_trader(BTC, 10_000.0).await;
    let t = env.funded_trader(BTC, 10_000.0).await;
    env.place(&maker, BTC, limit(Ask, 65_000.0, 3)).await;
    env.place(&t, BTC, ioc(Bid, 65_000.0, 3)).await;
    assert_eq!(position(&mut env, &t).await.0, 3);

    // A resting reduce-only ask for 10 is clipped to the 3 lots held.
    let mut p = limit(Ask, 65_100.0, 10);
    p.reduce_only = true;
    let id = env.place(&t, BTC, p).await;
    let (_, asks) = env.book(BTC).await;
    assert_eq!((asks[0].order_id, asks[0].lots), (id, 3));
    assert_eq!(asks[0].flags, order_flags::REDUCE_ONLY);

    // The maker buys 10 there: only 3 fill, t is flat and nothing of t's
    // order is left; the maker's remaining 7 rest as its bid.
    let rest = env.place(&maker, BTC, limit(Bid, 65_100.0, 10)).await;
    assert!(rest > 0);
    assert_eq!(position(&mut env, &t).await.0, 0);
    assert_eq!(position(&mut env, &t).await.1, 0);
    assert_eq!(reservations(&mut env, &t).await, (0, 0, 0, 0, 0));
    let (bids, asks) = env.book(BTC).await;
    assert!(asks.is_empty());
    assert_eq!((bids[0].order_id, bids[0].lots), (rest, 7));
    // t bought 3 lots (0.0003 BTC) @ 65 000 and sold them @ 65 100:
    // 19 530 000 − 19 500 000 = 30 000 atoms realized;
    // fees: taker ceil(19 500 000 × 5e-4) = 9 750, maker rebate on
    // 19 530 000 = floor(1 953) = 1 953.
    assert_eq!(
        position(&mut env, &t).await.2,
        atoms(10_000.0) + 30_000 - 9_750 + 1_953
    );
}

#[tokio::test]
async fn market_fill_or_kill_and_post_only_orders() {
    let mut env = TestEnv::new().await;
    let maker = env.funded_trader(BTC, 10_000.0).await;
    let t = env.funded_trader(BTC, 10_000.0).await;
    env.place(&maker, BTC, limit(Ask, 65_000.0, 4)).await;
    env.place(&maker, BTC, limit(Ask, 66_000.0, 4)).await;

    // Fill-or-kill for exactly what is there up to 65 000.
    let fok = order(Bid, OrderType::FillOrKill, price_units(65_000.0), 4);
    assert_eq!(env.place(&t, BTC, fok).await, 0);
    assert_eq!(position(&mut env, &t).await.0, 4);
    // A market buy sweeps up to the band edge and never rests.
    let mkt = order(Bid, OrderType::Market, 0, 10);
    assert_eq!(env.place(&t, BTC, mkt).await, 0);
    assert_eq!(position(&mut env, &t).await.0, 8);
    assert_eq!(env.book(BTC).await, (vec![], vec![]));
    // Post-only rests when it does not cross.
    let po = order(Ask, OrderType::PostOnly, price_units(65_500.0), 2);
    let id = env.place(&t, BTC, po).await;
    let (_, asks) = env.book(BTC).await;
    assert_eq!(
        (asks[0].order_id, asks[0].lots, asks[0].flags),
        (id, 2, order_flags::POST_ONLY)
    );
    assert_eq!(env.market_header(BTC).await.state.open_interest_lots, 8);
}

#[tokio::test]
async fn fractional_notional_rounds_against_both_sides_into_insurance() {
    // A 1e-6 USD tick: 3 lots at 65 000.000001 USD are worth
    // 3 × 65 000 000 001 / 10 000 = 19 500 000.0003 atoms.
    let cfg = CONFIG.replacen("tick_size_usd = 0.1", "tick_size_usd = 0.000001", 1);
    let mut env = TestEnv::with_config(&cfg).await;
    let maker = env.funded_trader(BTC, 10_000.0).await;
    let taker = env.funded_trader(BTC, 10_000.0).await;
    let px = price_units(65_000.0) + 1;
    env.place(&maker, BTC, order(Ask, OrderType::Limit, px, 3))
        .await;
    env.place(&taker, BTC, order(Bid, OrderType::ImmediateOrCancel, px, 3))
        .await;
    // The buyer pays the rounded-up value, the seller gets the rounded-down
    // one; the atom between them goes to the insurance fund.
    //   taker fee = ceil(19 500 001 × 5e-4) = ceil(9 750.0005) = 9 751
    //   rebate    = floor(19 500 000 × 1e-4) = 1 950
    //   revenue 7 801: insurance ceil(3 900.5) = 3 901 (+1 surplus), treasury 3 900
    assert_eq!(
        position(&mut env, &taker).await,
        (3, 19_500_001, atoms(10_000.0) - 9_751)
    );
    assert_eq!(
        position(&mut env, &maker).await,
        (-3, -19_500_000, atoms(10_000.0) + 1_950)
    );
    let h = env.market_header(BTC).await;
    assert_eq!(
        (
            h.state.unswept_insurance_fees,
            h.state.unswept_treasury_fees
        ),
        (3_902, 3_900)
    );
    assert_eq!(h.state.total_fees, 7_802);

    // Back at the same price, roles swapped: each side loses the atom
    // again (seller gets 19 500 000 for a cost of 19 500 001, buyer pays
    // 19 500 001 to close a short opened for 19 500 000).
    env.place(&taker, BTC, order(Ask, OrderType::Limit, px, 3))
        .await;
    env.place(&maker, BTC, order(Bid, OrderType::ImmediateOrCancel, px, 3))
        .await;
    //   maker (taker now) fee ceil(9 750.0005) = 9 751; taker (maker now)
    //   rebate floor(1 950) = 1 950.
    assert_eq!(
        position(&mut env, &taker).await,
        (0, 0, atoms(10_000.0) - 9_751 - 1 + 1_950)
    );
    assert_eq!(
        position(&mut env, &maker).await,
        (0, 0, atoms(10_000.0) + 1_950 - 1 - 9_751)
    );
    let h = env.market_header(BTC).await;
    assert_eq!(h.state.open_interest_lots, 0);
    assert_eq!(h.state.unswept_insurance_fees, 3_902 * 2);
    sweep_exactly(&mut env, 7_804, 7_800).await;
}

/// `client_order_id` 0 means "none" (`OrderParams`), so cancelling by
/// client id 0 must not pick one of the orders placed without a client id.
#[tokio::test]
async fn cancel_by_client_id_zero_matches_no_order() {
    let mut env = TestEnv::new().await;
    let t = env.funded_trader(BTC, 10_000.0).await;
    let id = env.place(&t, BTC, limit(Bid, 64_000.0, 1)).await;
    let market = env.market(BTC);
    let seat = env.seat_ix(&market, &t.key()).await;
    let by_zero = ix::cancel_order_by_client_id(&t.key(), &market, seat, 0);
    env.send_tx_expect_error(&[by_zero], &[&t.kp], code(E::OrderNotFound))
        .await;
    assert_eq!(env.book(BTC).await.0[0].order_id, id);
}
