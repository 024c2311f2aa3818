//! The index from Pyth feeds: key, owner, staleness, confidence, status,
//! account count and the median of several feeds.

use anchor_lang::prelude::Pubkey;
use bulwark::state::Market;
use bulwark_app::ix;
use bulwark_app::pyth::price_account_bytes;
use bulwark_tests::{
    code, price_units, pyth_price, BulwarkError as E, TestEnv, BTC, BTC_PRICE_USD, ETH,
    ETH_PRICE_USD, MAX_STALENESS_SECS,
};
use pyth_sdk_solana::state::PriceStatus;
use solana_account::Account;

/// Index fields that a failed refresh must leave alone.
fn index_of(m: &Market) -> (u64, i64, i64, u8) {
    let s = &m.state;
    (
        s.index_price,
        s.index_publish_ts,
        s.index_updated_ts,
        s.index_feeds_used,
    )
}

/// Sends `refresh_prices` for `market` and expects `err`; the index must
/// not move.
async fn refresh_fails(env: &mut TestEnv, market: &str, feeds: &[Pubkey], err: E) {
    let before = index_of(&env.market_header(market).await);
    let r = ix::refresh_prices(&env.market(market), feeds);
    env.send_tx_expect_error(&[r], &[], code(err)).await;
    assert_eq!(index_of(&env.market_header(market).await), before);
}

#[tokio::test]
async fn bootstrap_sets_the_index_and_refresh_follows_the_feed() {
    let mut env = TestEnv::new().await;
    let h = env.market_header(BTC).await;
    assert_eq!(h.state.index_price, price_units(BTC_PRICE_USD));
    assert_eq!(h.state.index_feeds_used, 1);
    let h = env.market_header(ETH).await;
    assert_eq!(h.state.index_price, price_units(ETH_PRICE_USD));
    assert_eq!(h.state.index_feeds_used, 3);

    env.advance_time(30).await;
    let feed = env.feeds(BTC)[0];
    env.set_oracle_price(&feed, 66_123.45, 10.0).await;
    let now = env.now().await;
    env.refresh(BTC).await;
    let h = env.market_header(BTC).await;
    assert_eq!(h.state.index_price, price_units(66_123.45));
    assert_eq!(h.state.index_publish_ts, now);
    assert_eq!(h.state.index_updated_ts, now);
    assert_eq!(h.state.index_feeds_used, 1);
}

#[tokio::test]
async fn wrong_oracle_key_is_rejected() {
    let mut env = TestEnv::new().await;
    // A valid, fresh Pyth account, but not this market's feed.
    let eth_feed = env.feeds(ETH)[0];
    refresh_fails(&mut env, BTC, &[eth_feed], E::WrongOracle).await;
    refresh_fails(&mut env, BTC, &[Pubkey::new_unique()], E::WrongOracle).await;
    // ETH's feeds in the wrong order.
    let f = env.feeds(ETH);
    refresh_fails(&mut env, ETH, &[f[1], f[0], f[2]], E::WrongOracle).await;
}

#[tokio::test]
async fn oracle_owned_by_another_program_is_rejected() {
    let mut env = TestEnv::new().await;
    let feed = env.feeds(BTC)[0];
    let p = env.fresh_price(70_000.0, 10.0).await;
    env.chain.set_account(
        &feed,
        Account {
            lamports: 10_000_000,
            data: price_account_bytes(&p),
            owner: Pubkey::new_unique(),
            executable: false,
            rent_epoch: 0,
        },
    );
    refresh_fails(&mut env, BTC, &[feed], E::OracleWrongOwner).await;
}

#[tokio::test]
async fn stale_price_is_rejected() {
    let mut env = TestEnv::new().await;
    let feeds = env.feeds(BTC);
    env.set_oracle_price(&feeds[0], 64_000.0, 10.0).await;
    // Exactly max_staleness old is still fresh.
    env.advance_time(MAX_STALENESS_SECS).await;
    env.refresh(BTC).await;
    assert_eq!(
        env.market_header(BTC).await.state.index_price,
        price_units(64_000.0)
    );
    env.advance_time(1).await;
    refresh_fails(&mut env, BTC, &feeds, E::OracleStale).await;
    // A fresh publication cures it.
    env.set_oracle_price(&feeds[0], 64_500.0, 10.0).await;
    env.refresh(BTC).await;
    assert_eq!(
        env.market_header(BTC).await.state.index_price,
        price_units(64_500.0)
    );
}

#[tokio::test]
async fn too_wide_confidence_is_rejected() {
    let mut env = TestEnv::new().await;
    let feeds = env.feeds(BTC);
    // max_conf_bps = 100: 1.5 % of the price is too wide, 0.5 % is fine.
    env.set_oracle_price(&feeds[0], 60_000.0, 900.0).await;
    refresh_fails(&mut env, BTC, &feeds, E::OracleConfidenceTooWide).await;
    env.set_oracle_price(&feeds[0], 60_000.0, 300.0).await;
    env.refresh(BTC).await;
    assert_eq!(
        env.market_header(BTC).await.state.index_price,
        price_units(60_000.0)
    );
}

#[tokio::test]
async fn non_trading_status_is_rejected() {
    let mut env = TestEnv::new().await;
    let feeds = env.feeds(BTC);
    for status in [
        PriceStatus::Halted,
        PriceStatus::Unknown,
        PriceStatus::Auction,
        PriceStatus::Ignored,
    ] {
        let now = env.now().await;
        env.set_feed(&feeds[0], &pyth_price(61_000.0, 5.0, now, status));
        refresh_fails(&mut env, BTC, &feeds, E::OracleNotTrading).await;
    }
}

#[tokio::test]
async fn non_positive_or_malformed_price_is_rejected() {
    let mut env = TestEnv::new().await;
    let feeds = env.feeds(BTC);
    let now = env.now().await;
    for price in [0.0, -5.0] {
        let mut p = pyth_price(1.0, 0.0, now, PriceStatus::Trading);
        p.price = (price * 1e8) as i64;
        env.set_feed(&feeds[0], &p);
        refresh_fails(&mut env, BTC, &feeds, E::OracleNonPositive).await;
    }
    // Owned by the Pyth program, but not a price account.
    let pyth = env.pyth_program();
    env.chain.set_account(
        &feeds[0],
        Account {
            lamports: 10_000_000,
            data: vec![7; 64],
            owner: pyth,
            executable: false,
            rent_epoch: 0,
        },
    );
    refresh_fails(&mut env, BTC, &feeds, E::OracleInvalidAccount).await;
}

#[tokio::test]
async fn wrong_number_of_oracle_accounts_is_rejected() {
    let mut env = TestEnv::new().await;
    let btc = env.feeds(BTC);
    let eth = env.feeds(ETH);
    refresh_fails(&mut env, BTC, &[], E::OracleAccountsMismatch).await;
    refresh_fails(&mut env, BTC, &[btc[0], btc[0]], E::OracleAccountsMismatch).await;
    refresh_fails(&mut env, ETH, &eth[..2], E::OracleAccountsMismatch).await;
    let four = [eth[0], eth[1], eth[2], btc[0]];
    refresh_fails(&mut env, ETH, &four, E::OracleAccountsMismatch).await;
}

#[tokio::test]
async fn median_needs_enough_agreeing_feeds() {
    let mut env = TestEnv::new().await;
    let f = env.feeds(ETH);
    // Median 150k; both others are a third away (max deviation 2 %): only
    // one feed agrees with the median, min_feeds is 2.
    for (feed, p) in f.iter().zip([100_000.0, 150_000.0, 200_000.0]) {
        env.set_oracle_price(feed, p, 1.0).await;
    }
    refresh_fails(&mut env, ETH, &f, E::OracleTooFewFeeds).await;
}

#[tokio::test]
async fn median_drops_the_outlier() {
    let mut env = TestEnv::new().await;
    let f = env.feeds(ETH);

    // All three agree: the index is the middle one.
    for (feed, p) in f.iter().zip([3_020.0, 2_990.0, 3_000.0]) {
        env.set_oracle_price(feed, p, 1.0).await;
    }
    env.refresh(ETH).await;
    let s = env.market_header(ETH).await.state;
    assert_eq!(
        (s.index_price, s.index_feeds_used),
        (price_units(3_000.0), 3)
    );

    // 3 600 is 19 % off the median 3 010 and is dropped; the index is the
    // median of the two that remain (for two, the lower one).
    env.advance_time(5).await;
    for (feed, p) in f.iter().zip([3_600.0, 3_010.0, 3_004.0]) {
        env.set_oracle_price(feed, p, 1.0).await;
    }
    env.refresh(ETH).await;
    let s = env.market_header(ETH).await.state;
    assert_eq!(
        (s.index_price, s.index_feeds_used),
        (price_units(3_004.0), 2)
    );
}

#[tokio::test]
async fn median_survives_one_bad_feed_but_not_two() {
    let mut env = TestEnv::new().await;
    let f = env.feeds(ETH);
    env.advance_time(10).await;
    let now = env.now().await;

    // Feed a stale, b and c fresh and agreeing: two feeds are enough.
    let stale = pyth_price(
        3_100.0,
        1.0,
        now - MAX_STALENESS_SECS - 1,
        PriceStatus::Trading,
    );
    env.set_feed(&f[0], &stale);
    env.set_oracle_price(&f[1], 3_050.0, 1.0).await;
    env.set_oracle_price(&f[2], 3_040.0, 1.0).await;
    env.refresh(ETH).await;
    let s = env.market_header(ETH).await.state;
    assert_eq!(
        (s.index_price, s.index_feeds_used),
        (price_units(3_040.0), 2)
    );
    assert_eq!(s.index_publish_ts, now);

    // b halted too: one usable feed, below min_feeds; the first failing
    // feed's reason is reported.
    env.set_feed(&f[1], &pyth_price(3_050.0, 1.0, now, PriceStatus::Halted));
    refresh_fails(&mut env, ETH, &f, E::OracleStale).await;

    // A foreign owner on any feed is a hard error, even with others valid.
    env.set_oracle_price(&f[0], 3_050.0, 1.0).await;
    env.set_oracle_price(&f[1], 3_050.0, 1.0).await;
    let p = env.fresh_price(3_050.0, 1.0).await;
    env.chain.set_account(
        &f[2],
        Account {
            lamports: 10_000_000,
            data: price_account_bytes(&p),
            owner: Pubkey::new_unique(),
            executable: false,
            rent_epoch: 0,
        },
    );
    refresh_fails(&mut env, ETH, &f, E::OracleWrongOwner).await;
}
