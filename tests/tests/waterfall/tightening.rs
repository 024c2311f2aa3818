//! Coverage-driven tightening through `update_tightening` (anyone may call).
//!
//! coverage (bps) = floor(fund balance × 10 000 / the market's open-interest
//! notional at the mark). Defaults: below 100 bps position-increasing
//! orders need 1.5 × the initial margin (level 1); below 25 bps the market
//! is reduce-only (level 2); each level lifts only 25 bps above its
//! threshold (level 2 at 50, level 1 at 125).

use crate::common::*;
use bulwark::engine::book::Side::{Ask, Bid};
use bulwark::state::TighteningChanged;
use bulwark_app::config::usd;
use bulwark_app::ix;
use bulwark_tests::{code, ioc, limit, BulwarkError as E, TestEnv, Trader};

/// Calls `update_tightening`; returns (level after, the change event if any).
async fn update(env: &mut TestEnv) -> (u8, Option<(u8, u8, u64)>) {
    let market = env.market(MKT);
    let ev = send_events(env, &[ix::update_tightening(&market)], &[]).await;
    let changes: Vec<TighteningChanged> = decode(&ev);
    assert!(changes.len() <= 1);
    let change = changes.first().map(|c| {
        assert_eq!(c.market, market);
        (c.old_level, c.new_level, c.coverage_bps)
    });
    (
        env.market_header(MKT).await.waterfall.tightening_level,
        change,
    )
}

#[tokio::test]
async fn tightening_raises_margin_then_turns_reduce_only_and_lifts_with_hysteresis() {
    let mut env = MarketToml::base().env().await;
    let market = env.market(MKT);
    let staker = env.new_trader(5_000.0).await;
    stake(&mut env, &staker, usd(400.0)).await;
    let a = env.funded_trader(MKT, 5_000.0).await;
    let b = env.funded_trader(MKT, 5_000.0).await;
    // Open interest 50 000 lots = 500 units × 100 = 50 000 USD.
    trade(&mut env, &a, &b, 100.0, 50_000).await;
    assert_eq!(env.market_header(MKT).await.waterfall.tightening_level, 0);

    // 400 × 10 000 / 50 000 = 80 bps < 100 → level 1, 1.5 × IM.
    assert_eq!(update(&mut env).await, (1, Some((0, 1, 80))));
    let w = env.market_header(MKT).await.waterfall;
    assert_eq!(w.tightened_im_multiplier_ppm, 1_500_000);

    // T has 100 USD. Buying 1 500 lots (15 units, 1 500 USD) needs IM 5 % =
    // 75 <= 100 at 1x, but 112.5 > 100 at 1.5x: refused. 1 000 lots need
    // 1.5 × 50 = 75: accepted.
    let m = env.funded_trader(MKT, 10_000.0).await;
    let t = env.funded_trader(MKT, 100.0).await;
    env.place(&m, MKT, limit(Ask, 100.0, 1_500)).await;
    env.place_fails(
        &t,
        MKT,
        ioc(Bid, 100.0, 1_500),
        code(E::InsufficientInitialMargin),
    )
    .await;
    env.place(&t, MKT, ioc(Bid, 100.0, 1_000)).await;
    assert_eq!(seat(&mut env, &t).await.base_lots, 1_000);
    let m_seat = seat_ix(&mut env, &m.key()).await;
    env.send(
        &[ix::cancel_all_orders(&m.key(), &market, m_seat)],
        &[&m.kp],
    )
    .await;

    // More open interest: 150 000 lots more (X and Y), 201 000 USD in all:
    // 400 × 10 000 / 201 000 = 19 bps < 25 → level 2, reduce-only.
    let x = env.funded_trader(MKT, 30_000.0).await;
    let y = env.funded_trader(MKT, 30_000.0).await;
    trade(&mut env, &y, &x, 100.0, 150_000).await;
    assert_eq!(update(&mut env).await, (2, Some((1, 2, 19))));
    // Increasing: refused whatever the margin.
    env.place_fails(&t, MKT, ioc(Bid, 100.0, 1), code(E::MarketReduceOnly))
        .await;
    env.place_fails(&x, MKT, limit(Ask, 100.0, 1), code(E::MarketReduceOnly))
        .await;
    // Reducing: accepted (M buys back its 1 000, T sells its 1 000).
    env.place(&m, MKT, limit(Bid, 100.0, 1_000)).await;
    env.place(&t, MKT, ioc(Ask, 100.0, 1_000)).await;
    assert_eq!(seat(&mut env, &t).await.base_lots, 0);
    assert_eq!(seat(&mut env, &m).await.base_lots, 0);
    assert_eq!(
        env.market_header(MKT).await.state.open_interest_lots,
        200_000
    );

    // Recovery against 200 000 USD of open interest: coverage = fund / 20.
    // 900 → 45 bps: above 25 but not 25 + 25: still level 2, no event.
    stake(&mut env, &staker, usd(500.0)).await;
    assert_eq!(update(&mut env).await, (2, None));
    // 1 100 → 55 bps: level 2 lifts, but 55 < 100: level 1.
    stake(&mut env, &staker, usd(200.0)).await;
    assert_eq!(update(&mut env).await, (1, Some((2, 1, 55))));
    // 2 300 → 115 bps: above 100 but not 125: still level 1.
    stake(&mut env, &staker, usd(1_200.0)).await;
    assert_eq!(update(&mut env).await, (1, None));
    let m2: Trader = env.funded_trader(MKT, 10_000.0).await;
    env.place(&m2, MKT, limit(Ask, 100.0, 1_500)).await;
    env.place_fails(
        &t,
        MKT,
        ioc(Bid, 100.0, 1_500),
        code(E::InsufficientInitialMargin),
    )
    .await;
    // 2 600 → 130 bps: back to normal.
    stake(&mut env, &staker, usd(300.0)).await;
    assert_eq!(update(&mut env).await, (0, Some((1, 0, 130))));
    assert_eq!(env.insurance_fund().await.balance, usd(2_600.0));
    // The order refused at level 1 passes at 1x IM (75 <= 100).
    env.place(&t, MKT, ioc(Bid, 100.0, 1_500)).await;
    assert_eq!(seat(&mut env, &t).await.base_lots, 1_500);
}

/// Coverage is measured at the mark, so `update_tightening` needs a fresh
/// index like trading does: with a stale one it fails and changes nothing;
/// with `refresh_prices` in the same transaction it runs. (On main before
/// the solvency rules it ran on whatever index was stored.)
#[tokio::test]
async fn tightening_needs_a_fresh_index() {
    let mut env = MarketToml::base().env().await;
    let market = env.market(MKT);
    let stale_after = bulwark_tests::MAX_STALENESS_SECS;
    env.advance_time(stale_after + 1).await;
    let before = env.market_header(MKT).await;
    env.send_tx_expect_error(&[ix::update_tightening(&market)], &[], code(E::IndexStale))
        .await;
    let after = env.market_header(MKT).await;
    assert_eq!(after.waterfall, before.waterfall);
    env.set_market_price(MKT, 100.0).await;
    let ixs = [env.refresh_ix(MKT), ix::update_tightening(&market)];
    send_events(&mut env, &ixs, &[]).await;
    assert_eq!(env.market_header(MKT).await.waterfall.tightening_level, 0);
}
