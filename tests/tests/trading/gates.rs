//! Gates around trading: index freshness, market status, the exchange's
//! trading pause, withdrawals with an open position, and the sweep's and
//! funding crank's own rejections.

use bulwark::engine::book::Side::{Ask, Bid};
use bulwark::state::{pause, MarketStatus};
use bulwark_app::config::usd;
use bulwark_app::ix;
use bulwark_tests::{
    code, ioc, limit, BulwarkError as E, TestEnv, Trader, BTC, ETH, MAX_STALENESS_SECS,
};

/// A long and a short of 1 000 lots (6 500 USD) at 65 000, each with 1 000
/// USD deposited; the short was the maker.
async fn long_and_short(env: &mut TestEnv) -> (Trader, Trader) {
    let long = env.funded_trader(BTC, 1_000.0).await;
    let short = env.funded_trader(BTC, 1_000.0).await;
    env.place(&short, BTC, limit(Ask, 65_000.0, 1_000)).await;
    env.place(&long, BTC, ioc(Bid, 65_000.0, 1_000)).await;
    (long, short)
}

#[tokio::test]
async fn stale_index_blocks_orders_until_refreshed() {
    let mut env = TestEnv::new().await;
    let t = env.funded_trader(BTC, 10_000.0).await;
    let market = env.market(BTC);
    // The index was published at bootstrap; exactly max_staleness later it
    // is still fresh.
    env.advance_time(MAX_STALENESS_SECS).await;
    let id = env.place(&t, BTC, limit(Bid, 64_000.0, 1)).await;
    env.advance_time(1).await;
    env.place_fails(&t, BTC, limit(Bid, 64_000.0, 2), code(E::IndexStale))
        .await;
    env.place_fails(&t, BTC, ioc(Ask, 64_000.0, 1), code(E::IndexStale))
        .await;
    // Cancels and withdrawals do not need the index.
    let seat = env.seat_ix(&market, &t.key()).await;
    env.send(&[ix::cancel_order(&t.key(), &market, seat, id)], &[&t.kp])
        .await;
    env.withdraw(&t, BTC, usd(1.0)).await;
    // A refresh in the same transaction makes the order go through.
    env.set_market_price(BTC, 65_000.0).await;
    let ixs = [
        env.refresh_ix(BTC),
        env.place_ix(&t, BTC, limit(Bid, 64_000.0, 2)).await,
    ];
    env.send(&ixs, &[&t.kp]).await;
    assert_eq!(env.seat_of(BTC, &t.key()).await.num_orders, 1);
    // ETH-PERP's index went stale too and is unaffected by BTC's refresh.
    let u = env.funded_trader(ETH, 1_000.0).await;
    let p = limit(Bid, 2_900.0, 1);
    env.place_fails(&u, ETH, p, code(E::IndexStale)).await;
}

#[tokio::test]
async fn paused_market_rejects_orders_but_not_cancels_or_collateral() {
    let mut env = TestEnv::new().await;
    let t = env.funded_trader(BTC, 10_000.0).await;
    let market = env.market(BTC);
    let id = env.place(&t, BTC, limit(Bid, 64_000.0, 1)).await;
    env.set_market_status(BTC, MarketStatus::Paused).await;
    env.place_fails(&t, BTC, limit(Bid, 64_000.0, 1), code(E::MarketPaused))
        .await;
    env.place_fails(&t, BTC, ioc(Ask, 64_000.0, 1), code(E::MarketPaused))
        .await;
    // Even a reduce-only order.
    let mut p = ioc(Ask, 64_000.0, 1);
    p.reduce_only = true;
    env.place_fails(&t, BTC, p, code(E::MarketPaused)).await;
    let seat = env.seat_ix(&market, &t.key()).await;
    env.send(&[ix::cancel_order(&t.key(), &market, seat, id)], &[&t.kp])
        .await;
    env.mint_collateral(&t.token, usd(5.0)).await;
    env.deposit(&t, BTC, usd(5.0)).await;
    env.withdraw(&t, BTC, usd(10.0)).await;
    assert_eq!(
        env.seat_of(BTC, &t.key()).await.collateral,
        usd(9_995.0) as i64
    );
    // The other market trades on.
    let u = env.funded_trader(ETH, 1_000.0).await;
    env.place(&u, ETH, limit(Bid, 2_990.0, 1)).await;
    env.set_market_status(BTC, MarketStatus::Active).await;
    env.place(&t, BTC, limit(Bid, 64_000.0, 1)).await;
}

#[tokio::test]
async fn reduce_only_market_accepts_only_reducing_orders() {
    let mut env = TestEnv::new().await;
    let (long, short) = long_and_short(&mut env).await;
    let flat = env.funded_trader(BTC, 10_000.0).await;
    env.set_market_status(BTC, MarketStatus::ReduceOnly).await;
    // Increasing (or opening) is rejected, as is selling more than held.
    env.place_fails(
        &long,
        BTC,
        limit(Bid, 64_000.0, 1),
        code(E::MarketReduceOnly),
    )
    .await;
    env.place_fails(
        &flat,
        BTC,
        limit(Ask, 66_000.0, 1),
        code(E::MarketReduceOnly),
    )
    .await;
    env.place_fails(
        &long,
        BTC,
        limit(Ask, 66_000.0, 1_001),
        code(E::MarketReduceOnly),
    )
    .await;
    env.place_fails(
        &short,
        BTC,
        limit(Ask, 66_000.0, 1),
        code(E::MarketReduceOnly),
    )
    .await;
    // Reducing rests as a reduce-only order, and fills against the short's
    // reducing bid.
    let id = env.place(&long, BTC, limit(Ask, 65_100.0, 400)).await;
    let (_, asks) = env.book(BTC).await;
    assert_eq!((asks[0].order_id, asks[0].lots), (id, 400));
    assert_eq!(asks[0].flags, bulwark::state::order_flags::REDUCE_ONLY);
    env.place(&short, BTC, ioc(Bid, 65_100.0, 400)).await;
    assert_eq!(env.seat_of(BTC, &long.key()).await.base_lots, 600);
    assert_eq!(env.seat_of(BTC, &short.key()).await.base_lots, -600);
    assert_eq!(env.market_header(BTC).await.state.open_interest_lots, 600);
}

#[tokio::test]
async fn exchange_trading_pause_rejects_orders() {
    let mut env = TestEnv::new().await;
    let t = env.funded_trader(BTC, 10_000.0).await;
    let market = env.market(BTC);
    let id = env.place(&t, BTC, limit(Bid, 64_000.0, 1)).await;
    env.set_exchange_pause(pause::TRADING).await;
    env.place_fails(&t, BTC, limit(Bid, 64_000.0, 1), code(E::ExchangePaused))
        .await;
    let u = env.funded_trader(ETH, 1_000.0).await;
    env.place_fails(&u, ETH, limit(Bid, 2_990.0, 1), code(E::ExchangePaused))
        .await;
    // Cancels, deposits and withdrawals go on.
    let seat = env.seat_ix(&market, &t.key()).await;
    env.send(&[ix::cancel_order(&t.key(), &market, seat, id)], &[&t.kp])
        .await;
    env.withdraw(&t, BTC, usd(1.0)).await;
    env.deposit(&t, BTC, usd(1.0)).await;
    env.set_exchange_pause(0).await;
    env.place(&t, BTC, limit(Bid, 64_000.0, 1)).await;
}

#[tokio::test]
async fn withdrawal_counts_losses_but_not_gains() {
    let mut env = TestEnv::new().await;
    let (long, short) = long_and_short(&mut env).await;
    let market = env.market(BTC);
    let long_seat = env.seat_ix(&market, &long.key()).await;
    let short_seat = env.seat_ix(&market, &short.key()).await;
    // Long: 1 000 USD − taker fee 3.25 = 996 750 000 atoms; short: 1 000 +
    // rebate 0.65 = 1 000 650 000; entry ±6 500 000 000.
    // At mark 65 000 (IM 2 % of 6 500 USD = 130 USD):
    //   long free = 996 750 000 − 130 000 000 = 866 750 000
    let w = ix::withdraw(&long.key(), &market, long_seat, &long.token, 866_750_001);
    env.send_tx_expect_error(&[w], &[&long.kp], code(E::InsufficientFreeCollateral))
        .await;

    // The index (and, with no time passing, the mark) drops to 64 000:
    // the long loses 100 USD, the short gains 100 USD; IM 128 USD.
    env.set_market_price(BTC, 64_000.0).await;
    env.refresh(BTC).await;
    let h = env.market_header(BTC).await;
    assert_eq!(h.state.mark_price, usd(64_000.0));
    //   long free  = 996 750 000 − 100 000 000 − 128 000 000 = 768 750 000
    //   short free = 1 000 650 000 − 128 000 000 = 872 650 000 (gain ignored)
    let w = ix::withdraw(&long.key(), &market, long_seat, &long.token, 768_750_001);
    env.send_tx_expect_error(&[w], &[&long.kp], code(E::InsufficientFreeCollateral))
        .await;
    let w = ix::withdraw(&short.key(), &market, short_seat, &short.token, 872_650_001);
    env.send_tx_expect_error(&[w], &[&short.kp], code(E::InsufficientFreeCollateral))
        .await;
    env.withdraw(&long, BTC, 768_750_000).await;
    env.withdraw(&short, BTC, 872_650_000).await;
    assert_eq!(env.token_balance(&long.token).await, 768_750_000);
    assert_eq!(env.token_balance(&short.token).await, 872_650_000);
    // Nothing more: one atom is over.
    for (t, seat) in [(&long, long_seat), (&short, short_seat)] {
        let w = ix::withdraw(&t.key(), &market, seat, &t.token, 1);
        env.send_tx_expect_error(&[w], &[&t.kp], code(E::InsufficientFreeCollateral))
            .await;
    }
}

#[tokio::test]
async fn sweep_rejects_nothing_and_a_wrong_treasury() {
    let mut env = TestEnv::new().await;
    let market = env.market(BTC);
    let treasury = env.dep.treasury;
    let s = ix::sweep_fees(&market, &treasury);
    env.send_tx_expect_error(&[s], &[], code(E::NothingToSweep))
        .await;
    let (long, _short) = long_and_short(&mut env).await;
    // Another token account of the collateral mint (the long's own, and one
    // the admin owns): WrongTreasury, whatever its owner.
    let admin = env.admin();
    let mint = env.mint();
    let admins_other = env.token_account(&mint, &admin).await;
    for wrong in [long.token, admins_other] {
        let s = ix::sweep_fees(&market, &wrong);
        env.send_tx_expect_error(&[s], &[], code(E::WrongTreasury))
            .await;
    }
    assert_eq!(env.token_balance(&long.token).await, 0);
    let h = env.market_header(BTC).await;
    // 6 500 USD: taker 3.25, rebate 0.65: revenue 2.6 USD, half each.
    assert_eq!(
        (
            h.state.unswept_insurance_fees,
            h.state.unswept_treasury_fees
        ),
        (1_300_000, 1_300_000)
    );
    env.sweep(BTC).await;
    assert_eq!(env.token_balance(&treasury).await, 1_300_000);
    // ETH-PERP had no trades.
    let s = ix::sweep_fees(&env.market(ETH), &treasury);
    env.send_tx_expect_error(&[s], &[], code(E::NothingToSweep))
        .await;
}

#[tokio::test]
async fn funding_is_at_most_once_per_interval() {
    let mut env = TestEnv::new().await;
    let market = env.market(BTC);
    let refresh = env.refresh_ix(BTC);
    // update_funding needs a fresh index, so every attempt refreshes it in
    // the same transaction (from a feed set fresh just before): an attempt
    // can then fail only for being too early.
    let f = |units| {
        [
            bulwark_tests::compute_unit_limit_ix(units),
            refresh.clone(),
            ix::update_funding(&market),
        ]
    };
    env.send_tx_expect_error(&f(1_000_000), &[], code(E::FundingTooEarly))
        .await;
    env.advance_time(3_599).await;
    env.set_market_price(BTC, 65_000.0).await;
    env.send_tx_expect_error(&f(1_000_001), &[], code(E::FundingTooEarly))
        .await;
    env.advance_time(1).await;
    env.set_market_price(BTC, 65_000.0).await;
    env.send(&f(1_000_002), &[]).await;
    // No position, no book (so no impact mid and the mark is the index):
    // rate 0.
    let s = env.market_header(BTC).await.state;
    assert_eq!(
        (s.last_funding_rate_ppm, s.cum_funding_per_lot.get()),
        (0, 0)
    );
    env.send_tx_expect_error(&f(1_000_003), &[], code(E::FundingTooEarly))
        .await;
    env.advance_time(3_599).await;
    env.set_market_price(BTC, 65_000.0).await;
    env.send_tx_expect_error(&f(1_000_004), &[], code(E::FundingTooEarly))
        .await;
    env.advance_time(1).await;
    env.set_market_price(BTC, 65_000.0).await;
    env.send(&f(1_000_005), &[]).await;
}

/// A paused market (and an exchange-wide trading pause) still lets a
/// position reduce — liquidation does not stop while paused, so neither
/// does the trader's own way out — and the waterfall runs on. Orders that
/// would add risk are refused. (On main before the operator bounds, every
/// order failed with MarketPaused while `liquidate` went ahead.)
#[tokio::test]
async fn paused_market_lets_positions_reduce_and_the_waterfall_run() {
    let mut env = TestEnv::new().await;
    let (long, short) = long_and_short(&mut env).await;
    let maker = env.funded_trader(BTC, 50_000.0).await;
    let keeper = env.funded_trader(BTC, 50_000.0).await;
    let market = env.market(BTC);
    env.place(&maker, BTC, limit(Bid, 64_900.0, 500)).await;
    env.set_market_status(BTC, MarketStatus::Paused).await;
    // Adding risk is refused: the long buying more, the maker bidding more.
    env.place_fails(&long, BTC, ioc(Bid, 65_000.0, 1), code(E::MarketPaused))
        .await;
    env.place_fails(&maker, BTC, limit(Bid, 64_800.0, 1), code(E::MarketPaused))
        .await;
    // Reducing is not: the long sells 300 of its 1 000 lots into the
    // maker's resting bid (no reduce-only flag needed).
    env.place(&long, BTC, ioc(Ask, 64_900.0, 300)).await;
    assert_eq!(env.seat_of(BTC, &long.key()).await.base_lots, 700);
    // More than the position is refused rather than flipping it.
    env.place_fails(&long, BTC, ioc(Ask, 64_900.0, 701), code(E::MarketPaused))
        .await;
    // The exchange-wide trading pause as well.
    env.set_exchange_pause(pause::TRADING).await;
    env.place_fails(&long, BTC, ioc(Bid, 65_000.0, 1), code(E::ExchangePaused))
        .await;
    env.place(&long, BTC, ioc(Ask, 64_900.0, 100)).await;
    assert_eq!(env.seat_of(BTC, &long.key()).await.base_lots, 600);
    // A gap makes the long liquidatable: about 991 USD of collateral
    // against 600 lots bought at 65 000; at 48 500 the loss is 990 USD,
    // below the 29.10 maintenance margin (bankruptcy price about 48 483).
    env.set_market_price(BTC, 48_500.0).await;
    env.refresh(BTC).await;
    // The short, reducing, rests a bid the liquidation can close into; the
    // keeper liquidates while market and exchange are paused.
    env.place(&short, BTC, limit(Bid, 48_500.0, 600)).await;
    let long_seat = env.seat_ix(&market, &long.key()).await;
    let keeper_seat = env.seat_ix(&market, &keeper.key()).await;
    let liq = ix::liquidate(
        &keeper.key(),
        &market,
        &long.key(),
        long_seat,
        Some(keeper_seat),
    );
    env.send(&[env.refresh_ix(BTC), liq], &[&keeper.kp]).await;
    let s = env.seat_of(BTC, &long.key()).await;
    assert_eq!(s.base_lots, 0, "the waterfall ran while paused");
    // Its remaining equity (under 1 USD) went to the liquidation fee.
    assert_eq!((s.collateral, s.entry_cost), (0, 0));
    // A flat trader withdraws everything, whatever the admin paused.
    let flat = env.funded_trader(BTC, 700.0).await;
    env.withdraw(&flat, BTC, usd(700.0)).await;
    assert_eq!(env.seat_of(BTC, &flat.key()).await.collateral, 0);
    env.set_exchange_pause(0).await;
}
