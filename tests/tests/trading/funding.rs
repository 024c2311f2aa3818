//! Funding through `update_funding`: an impact mid above the index raises
//! the mark, the long pays, the short receives, and the rounding goes to
//! fees. `update_funding` needs a fresh index (refresh in the same
//! transaction).
//!
//! The mark (engine/mark.rs) takes its basis sample from the impact mid:
//! BTC-PERP keeps the defaults `impact_notional_usd` = 1 000 and
//! `mark_max_move_bps` = 10, so a quote counts only with 1 000 USD of depth
//! on both sides, a sample weighs only the time it held (min(dt, 300) /
//! 300), and one update moves the basis average at most 10 bps of the index
//! (65 USD at 65 000).

use bulwark::engine::book::Side::{Ask, Bid};
use bulwark::engine::trade::OrderType;
use bulwark_app::config::usd;
use bulwark_app::ix;
use bulwark_tests::{code, ioc, limit, order, price_units, BulwarkError as E, TestEnv, BTC};

/// seconds; BTC-PERP's `funding_interval_secs` and `mark_ema_secs`.
const INTERVAL: i64 = 3_600;
const EMA_SECS: i64 = 300;
/// Price units; the most one mark update moves the basis average at index
/// 65 000: 65 000 USD × `mark_max_move_bps` (10) / 10 000 = 65 USD.
const MAX_MOVE: i64 = 65_000_000;

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
    // The market maker quotes 65 500 / 65 700 (impact mid 65 600 = index +
    // 600) with real depth: 1 000 USD (1e9 atoms) on each side. One lot at
    // 65 500 is 6 550 000 atoms, so 153 lots (1 002 150 000) reach it; at
    // 65 700, 152 lots are 998 640 000 — short of it — and 153 reach it.
    env.place(&mm, BTC, limit(Bid, 65_500.0, 153)).await;
    env.place(&mm, BTC, limit(Ask, 65_700.0, 152)).await;
    // One lot short of the depth on the ask side: no sample (0 = index).
    assert_eq!(env.market_header(BTC).await.state.basis_sample, 0);
    env.place(&mm, BTC, limit(Ask, 65_700.0, 1)).await;
    // Both sides deep enough: the stored sample is 600 USD, but it has held
    // for no time yet, so the basis average and the mark have not moved.
    let s = env.market_header(BTC).await.state;
    assert_eq!(s.basis_sample, price_units(600.0) as i64);
    assert_eq!((s.basis_ema, s.mark_price), (0, price_units(65_000.0)));
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

    // t0 + 300: a refresh folds in the 600 USD sample, which held a full
    // EMA period (weight min(300, 300) / 300 = 1) — but one update moves the
    // basis average at most 65 USD: mark = 65 065 (before this commit the
    // whole 600 moved at once, to 65 600). The TWAPs accrued 300 s at mark
    // = index = 65 000; the stored sample stays 600 USD.
    env.advance_time(EMA_SECS).await;
    env.set_market_price(BTC, 65_000.0).await;
    env.refresh(BTC).await;
    let s = env.market_header(BTC).await.state;
    assert_eq!(s.basis_ema, MAX_MOVE);
    assert_eq!(s.basis_sample, price_units(600.0) as i64);
    assert_eq!(s.mark_price, price_units(65_065.0));

    // t0 + 3 900: the index is 3 600 s old, so funding goes with a refresh
    // in the same transaction. The refresh first accrues the TWAPs at the
    // old mark 65 065 up to now, then moves the basis another 65 USD (dt
    // capped at 300 s, step 600 − 65 = 535 capped at 65): mark 65 130.
    // update_funding, in the same second, accrues nothing more, so the new
    // mark does not enter this interval. TWAPs over the 3 900 s window:
    //   mark_avg  = (65 000e6 × 300 + 65 065e6 × 3 600) / 3 900
    //             = 253 734 000 000 000 / 3 900 = 65 060 000 000 (exact)
    //   index_avg = 65 000 000 000
    //   rate      = 60 000 000 × 1e6 / 65e9 = 923 ppm (923.08 truncated;
    //               under the 1 000 cap — the old 600 USD basis gave
    //               8 520, capped at 1 000)
    //   Δcum      = 65e9 × 923 × 1e9 × 3 900 / (1e6 × 10 000 × 3 600)
    //             = 6 499 458 333 333 (FUNDING_PRECISION-scaled atoms per
    //               lot; 6 499 458 333 333.33 truncated; was 7 041 666 666 666
    //               at the capped rate)
    env.advance_time(INTERVAL).await;
    env.set_market_price(BTC, 65_000.0).await;
    let refresh_and_fund = [env.refresh_ix(BTC), fund.clone()];
    env.send(&refresh_and_fund, &[]).await;
    let s = env.market_header(BTC).await.state;
    assert_eq!(s.last_funding_rate_ppm, 923);
    assert_eq!(s.cum_funding_per_lot.get(), 6_499_458_333_333);
    assert_eq!(
        (s.last_funding_ts, s.twap_start_ts),
        (t0 + 3_900, t0 + 3_900)
    );
    assert_eq!(s.index_publish_ts, t0 + 3_900);
    assert_eq!(s.basis_ema, 2 * MAX_MOVE);
    assert_eq!(s.mark_price, price_units(65_130.0));
    // Nothing is settled yet: collateral has not moved.
    assert_eq!(env.seat_of(BTC, &long.key()).await.collateral, long_c0);
    assert_eq!(env.seat_of(BTC, &short.key()).await.collateral, short_c0);
    let fees0 = s.unswept_insurance_fees;

    // Once per interval, even with a fresh index.
    env.send_tx_expect_error(
        &[
            bulwark_tests::compute_unit_limit_ix(1_000_000),
            env.refresh_ix(BTC),
            fund,
        ],
        &[],
        code(E::FundingTooEarly),
    )
    .await;

    // Settle both seats: the long by placing an order, the short by a
    // withdrawal of one atom (the index refreshed with the funding, in
    // this same second, is fresh for both).
    //   long owes  ceil(1 000 × 6 499 458 333 333 / 1e9) = ceil(6 499 458.33) = 6 499 459
    //              (dust 6 499 459e9 − 6 499 458 333 333 000 = 666 667 000)
    //   short owes ceil(−6 499 458.33) = −6 499 458, i.e. receives 6 499 458
    //              (dust + 333 333 000)
    //   dust: 0.666 667 + 0.333 333 = exactly 1 atom, which goes to
    //   insurance fees (the split of the atom differs from before, where
    //   the long's dust was 0.333 334, because Δcum changed).
    let settle_long = [env
        .place_ix(
            &long,
            BTC,
            order(Bid, OrderType::PostOnly, price_units(62_000.0), 1),
        )
        .await];
    env.send(&settle_long, &[&long.kp]).await;
    let s = env.market_header(BTC).await.state;
    assert_eq!(s.unswept_insurance_fees, fees0);
    assert_eq!(s.funding_dust.get(), 666_667_000);
    env.withdraw(&short, BTC, 1).await;

    let long_c = env.seat_of(BTC, &long.key()).await.collateral;
    let short_c = env.seat_of(BTC, &short.key()).await.collateral;
    assert_eq!(long_c0 - long_c, 6_499_459, "the long paid");
    assert_eq!(short_c - (short_c0 - 1), 6_499_458, "the short received");
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
    let t0 = env.now().await;
    let long = env.funded_trader(BTC, 10_000.0).await;
    let short = env.funded_trader(BTC, 10_000.0).await;
    let mm = env.funded_trader(BTC, 10_000.0).await;
    env.place(&short, BTC, limit(Ask, 65_000.0, 1_000)).await;
    env.place(&long, BTC, ioc(Bid, 65_000.0, 1_000)).await;
    // Impact mid 64 400 = index − 600, with 1 000 USD of depth on each
    // side: one lot is 6 430 000 atoms at 64 300 and 6 450 000 at 64 500,
    // so 155 lots (996 650 000 / 999 750 000) fall short and 156 reach it.
    env.place(&mm, BTC, limit(Bid, 64_300.0, 156)).await;
    env.place(&mm, BTC, limit(Ask, 64_500.0, 156)).await;
    assert_eq!(
        env.market_header(BTC).await.state.basis_sample,
        -(price_units(600.0) as i64)
    );
    let long_c0 = env.seat_of(BTC, &long.key()).await.collateral;
    let short_c0 = env.seat_of(BTC, &short.key()).await.collateral;

    // t0 + 300: the −600 USD sample held a full period; capped at −65 USD:
    // mark 64 935 (was 64 400 before the cap).
    env.advance_time(EMA_SECS).await;
    env.set_market_price(BTC, 65_000.0).await;
    env.refresh(BTC).await;
    let s = env.market_header(BTC).await.state;
    assert_eq!(
        (s.basis_ema, s.mark_price),
        (-MAX_MOVE, price_units(64_935.0))
    );
    // t0 + 3 900: refresh and funding in one transaction. Symmetric to the
    // test above:
    //   mark_avg = (65 000e6 × 300 + 64 935e6 × 3 600) / 3 900 = 64 940e6
    //   rate     = −60e6 × 1e6 / 65e9 = −923 ppm (truncated toward zero;
    //              was −1 000, capped)
    //   Δcum     = −6 499 458 333 333 (truncated toward zero)
    // The short owes ceil(6 499 458.33) = 6 499 459, the long
    // ceil(−6 499 458.33) = −6 499 458.
    env.advance_time(INTERVAL).await;
    env.set_market_price(BTC, 65_000.0).await;
    let ixs = [env.refresh_ix(BTC), ix::update_funding(&env.market(BTC))];
    env.send(&ixs, &[]).await;
    let s = env.market_header(BTC).await.state;
    assert_eq!(s.last_funding_rate_ppm, -923);
    assert_eq!(s.cum_funding_per_lot.get(), -6_499_458_333_333);
    assert_eq!(s.last_funding_ts, t0 + 3_900);
    // A withdrawal with a position needs a fresh index (the one refreshed
    // with the funding, this same second); it settles funding.
    env.withdraw(&long, BTC, 1).await;
    env.withdraw(&short, BTC, 1).await;
    let long_c = env.seat_of(BTC, &long.key()).await.collateral;
    let short_c = env.seat_of(BTC, &short.key()).await.collateral;
    assert_eq!(long_c - (long_c0 - 1), 6_499_458, "the long received");
    assert_eq!((short_c0 - 1) - short_c, 6_499_459, "the short paid");
}

#[tokio::test]
async fn funding_needs_a_fresh_index_in_the_same_transaction() {
    let mut env = TestEnv::new().await;
    let market = env.market(BTC);
    let t0 = env.now().await;
    let fund = ix::update_funding(&market);
    // t0 + 3 600: the interval has passed, but the index (published at t0)
    // is 3 600 s old, beyond max_staleness (60 s).
    env.advance_time(INTERVAL).await;
    let before = env.raw_account(&market).await;
    env.send_tx_expect_error(std::slice::from_ref(&fund), &[], code(E::IndexStale))
        .await;
    // A fresh feed is not enough: the stored index is what must be fresh.
    env.set_market_price(BTC, 65_000.0).await;
    env.send_tx_expect_error(
        &[
            bulwark_tests::compute_unit_limit_ix(1_000_000),
            fund.clone(),
        ],
        &[],
        code(E::IndexStale),
    )
    .await;
    // Nothing changed: not the funding clock, the TWAPs, the index or the
    // cumulative index (the whole market account is as it was).
    let after = env.raw_account(&market).await;
    assert_eq!(
        (after.lamports, &after.data),
        (before.lamports, &before.data)
    );
    let s = env.market_header(BTC).await.state;
    assert_eq!((s.last_funding_ts, s.twap_start_ts), (t0, t0));
    assert_eq!(s.index_publish_ts, t0);

    // With refresh_prices in the same transaction it goes through: no
    // position and no book, so the mark is the index and the rate is 0.
    let ixs = [env.refresh_ix(BTC), fund];
    env.send(&ixs, &[]).await;
    let s = env.market_header(BTC).await.state;
    assert_eq!(s.index_publish_ts, t0 + INTERVAL);
    assert_eq!(
        (s.last_funding_ts, s.twap_start_ts),
        (t0 + INTERVAL, t0 + INTERVAL)
    );
    assert_eq!(
        (s.last_funding_rate_ppm, s.cum_funding_per_lot.get()),
        (0, 0)
    );
}
