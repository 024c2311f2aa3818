//! Funding through `update_funding`: a book mid above the index raises the
//! mark, the long pays, the short receives, and the rounding goes to fees.

use bulwark::engine::book::Side::{Ask, Bid};
use bulwark::engine::trade::OrderType;
use bulwark_app::config::usd;
use bulwark_app::ix;
use bulwark_tests::{code, ioc, limit, order, price_units, BulwarkError as E, TestEnv, BTC};

/// seconds; BTC-PERP's `funding_interval_secs` and `mark_ema_secs`.
const INTERVAL: i64 = 3_600;
const EMA_SECS: i64 = 300;

#[tokio::test]
async fn long_pays_short_when_mark_is_above_index() {
    let mut env = TestEnv::new().await;
    let market = env.market(BTC);
    let t0 = env.now().await;
    // The market was created and its index first set at t0: the funding
    // clock and the TWAP window start there, and the mark equals the index.
    let s = env.market_header(BTC).await.state;
    assert_eq!((s.last_funding_ts, s.twap_start_ts), (t0, t0));
    assert_eq!(s.mark_price, price_units(65_000.0));

    let long = env.funded_trader(BTC, 10_000.0).await;
    let short = env.funded_trader(BTC, 10_000.0).await;
    let mm = env.funded_trader(BTC, 10_000.0).await;
    // At t0: long buys 1 000 lots (0.1 BTC) from short at the index.
    env.place(&short, BTC, limit(Ask, 65_000.0, 1_000)).await;
    env.place(&long, BTC, ioc(Bid, 65_000.0, 1_000)).await;
    // The market maker quotes 65 500 / 65 700: book mid 65 600 = index + 600.
    env.place(&mm, BTC, limit(Bid, 65_500.0, 10)).await;
    env.place(&mm, BTC, limit(Ask, 65_700.0, 10)).await;
    // No time has passed, so the basis average has not moved yet.
    assert_eq!(
        env.market_header(BTC).await.state.mark_price,
        price_units(65_000.0)
    );
    // Collateral after the trade: 6 500 USD notional, taker fee 3.25 USD,
    // maker rebate 0.65 USD.
    let long_c0 = env.seat_of(BTC, &long.key()).await.collateral;
    let short_c0 = env.seat_of(BTC, &short.key()).await.collateral;
    assert_eq!(long_c0, (usd(10_000.0) - usd(3.25)) as i64);
    assert_eq!(short_c0, (usd(10_000.0) + usd(0.65)) as i64);

    // Too early: the interval has not passed since creation.
    let fund = ix::update_funding(&market);
    env.send_tx_expect_error(std::slice::from_ref(&fund), &[], code(E::FundingTooEarly))
        .await;

    // t0 + 300: a refresh samples the mid; one full EMA period moves the
    // basis all the way: mark = 65 000 + 600 = 65 600. The TWAPs accrued
    // 300 s at mark = index = 65 000.
    env.advance_time(EMA_SECS).await;
    env.set_market_price(BTC, 65_000.0).await;
    env.refresh(BTC).await;
    let s = env.market_header(BTC).await.state;
    assert_eq!(s.basis_ema, price_units(600.0) as i64);
    assert_eq!(s.mark_price, price_units(65_600.0));

    // t0 + 3 900: funding. TWAPs over the 3 900 s window:
    //   mark_avg  = (65 000e6 × 300 + 65 600e6 × 3 600) / 3 900
    //             = 255 660 000 000 000 / 3 900 = 65 553 846 153 (floor)
    //   index_avg = 65 000 000 000
    //   rate      = 553 846 153 × 1e6 / 65e9 = 8 520 ppm, capped at 1 000
    //   Δcum      = 65e9 × 1 000 × 1e9 × 3 900 / (1e6 × 10 000 × 3 600)
    //             = 7 041 666 666 666 (FUNDING_PRECISION-scaled atoms per lot)
    env.advance_time(INTERVAL).await;
    env.send(std::slice::from_ref(&fund), &[]).await;
    let s = env.market_header(BTC).await.state;
    assert_eq!(s.last_funding_rate_ppm, 1_000);
    assert_eq!(s.cum_funding_per_lot.get(), 7_041_666_666_666);
    assert_eq!(
        (s.last_funding_ts, s.twap_start_ts),
        (t0 + 3_900, t0 + 3_900)
    );
    // Nothing is settled yet: collateral has not moved.
    assert_eq!(env.seat_of(BTC, &long.key()).await.collateral, long_c0);
    assert_eq!(env.seat_of(BTC, &short.key()).await.collateral, short_c0);
    let fees0 = s.unswept_insurance_fees;

    // Once per interval.
    env.send_tx_expect_error(
        &[bulwark_tests::compute_unit_limit_ix(1_000_000), fund],
        &[],
        code(E::FundingTooEarly),
    )
    .await;

    // Settle both seats: the long by placing an order (after a refresh in
    // the same transaction, the index being 3 600 s old), the short by a
    // withdrawal of one atom.
    //   long owes  ceil(1 000 × 7 041 666 666 666 / 1e9) = ceil(7 041 666.67) = 7 041 667
    //   short owes ceil(−7 041 666.67) = −7 041 666, i.e. receives 7 041 666
    //   dust: 0.333… + 0.666… = exactly 1 atom, which goes to insurance fees.
    env.set_market_price(BTC, 65_000.0).await;
    let settle_long = [
        env.refresh_ix(BTC),
        env.place_ix(
            &long,
            BTC,
            order(Bid, OrderType::PostOnly, price_units(62_000.0), 1),
        ),
    ];
    env.send(&settle_long, &[&long.kp]).await;
    let s = env.market_header(BTC).await.state;
    assert_eq!(s.unswept_insurance_fees, fees0);
    assert_eq!(s.funding_dust.get(), 333_334_000);
    env.withdraw(&short, BTC, 1).await;

    let long_c = env.seat_of(BTC, &long.key()).await.collateral;
    let short_c = env.seat_of(BTC, &short.key()).await.collateral;
    assert_eq!(long_c0 - long_c, 7_041_667, "the long paid");
    assert_eq!(short_c - (short_c0 - 1), 7_041_666, "the short received");
    let s = env.market_header(BTC).await.state;
    assert_eq!(s.unswept_insurance_fees, fees0 + 1);
    assert_eq!(s.funding_dust.get(), 0);
    // Zero-sum: paid = received + the atom of rounding now in fees.
    assert_eq!(
        (long_c0 - long_c) - (short_c - (short_c0 - 1)),
        (s.unswept_insurance_fees - fees0) as i64
    );
    // The market maker holds no position and pays nothing.
    assert_eq!(
        env.seat_of(BTC, &mm.key()).await.collateral,
        usd(10_000.0) as i64
    );
}

#[tokio::test]
async fn short_pays_long_when_mark_is_below_index() {
    let mut env = TestEnv::new().await;
    let long = env.funded_trader(BTC, 10_000.0).await;
    let short = env.funded_trader(BTC, 10_000.0).await;
    let mm = env.funded_trader(BTC, 10_000.0).await;
    env.place(&short, BTC, limit(Ask, 65_000.0, 1_000)).await;
    env.place(&long, BTC, ioc(Bid, 65_000.0, 1_000)).await;
    // Mid 64 400 = index − 600.
    env.place(&mm, BTC, limit(Bid, 64_300.0, 10)).await;
    env.place(&mm, BTC, limit(Ask, 64_500.0, 10)).await;
    let long_c0 = env.seat_of(BTC, &long.key()).await.collateral;
    let short_c0 = env.seat_of(BTC, &short.key()).await.collateral;

    env.advance_time(EMA_SECS).await;
    env.set_market_price(BTC, 65_000.0).await;
    env.refresh(BTC).await;
    env.advance_time(INTERVAL).await;
    env.send(&[ix::update_funding(&env.market(BTC))], &[]).await;
    // Symmetric to the test above: rate −1 000 ppm (capped), Δcum =
    // −7 041 666 666 666; the short owes ceil(7 041 666.67) = 7 041 667,
    // the long ceil(−7 041 666.67) = −7 041 666.
    let s = env.market_header(BTC).await.state;
    assert_eq!(s.last_funding_rate_ppm, -1_000);
    assert_eq!(s.cum_funding_per_lot.get(), -7_041_666_666_666);
    // A withdrawal with a position needs a fresh index; it settles funding.
    env.set_market_price(BTC, 65_000.0).await;
    env.refresh(BTC).await;
    env.withdraw(&long, BTC, 1).await;
    env.withdraw(&short, BTC, 1).await;
    let long_c = env.seat_of(BTC, &long.key()).await.collateral;
    let short_c = env.seat_of(BTC, &short.key()).await.collateral;
    assert_eq!(long_c - (long_c0 - 1), 7_041_666, "the long received");
    assert_eq!((short_c0 - 1) - short_c, 7_041_667, "the short paid");
}
