//! Pyth pull-oracle feeds (`PriceUpdateV2`, `FeedKind::PythPull`) next to
//! legacy ones: owner (the Pyth receiver), feed id, Full verification,
//! staleness, confidence, malformed accounts, markets that mix both kinds,
//! a pull feed's key change, the receiver's key change, and `create_market`'s
//! checks of kinds and feed ids. Also that the program's parser reads what
//! the one writer of each layout (`mock_oracle::layout`) writes.

use anchor_lang::prelude::Pubkey;
use bulwark::engine::oracle::FeedReading;
use bulwark::instructions::CreateMarketArgs;
use bulwark::state::{FeedKind, KeyKind, Market, OracleConfig, PendingKeyChange};
use bulwark_app::bootstrap::write_feed;
use bulwark_app::ix;
use bulwark_app::pyth::{parse_feed_id, price_account_bytes, FeedFormat, PythPrice, Verification};
use bulwark_tests::{
    code, price_units, BulwarkError as E, TestEnv, BTC, MAX_STALENESS_SECS, TIMELOCK_SECS,
};
use mock_oracle::layout;
use solana_account::Account;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_signer::Signer;

/// The Pyth Solana receiver on mainnet: the pull feeds' owner in [`config`],
/// distinct from the legacy feeds' `pyth_program`.
const RECEIVER: &str = "rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ";
/// Pyth's BTC/USD feed id.
const BTC_ID: &str = "0xe62df6c8b4a85fe1a67db44dc12de5db330f7ac66b72dc658afedf0f4a415b43";
/// Pyth's ETH/USD feed id (used as "another feed").
const ETH_ID: &str = "ff61491a931112ddf1bd8147cd1b641375f79f5825126d665480874634fd0ace";
/// Pyth's SOL/USD feed id (the third feed of TRIO-PERP).
const SOL_ID: &str = "0xef0d8b6fda2ceba41da15d4095d1da392a0d2f8ed0c6c7bc0f4cfac8c280b56d";

/// One pull feed, min 1.
const PULL: &str = "PULL-PERP";
/// A legacy feed then a pull feed, min 1.
const MIX: &str = "MIX-PERP";
/// Pull, legacy, pull; min 2 (2 % deviation).
const TRIO: &str = "TRIO-PERP";
/// USD; every feed's starting price.
const PRICE_USD: f64 = 65_000.0;

/// A market of the test exchange's BTC shape with the given oracle feeds.
fn market(name: &str, min_feeds: u8, feeds: &str) -> String {
    format!(
        r#"
[[markets]]
name = "{name}"
max_seats = 16
book_capacity = 8
tick_size_usd = 0.1
base_lots_per_unit = 10000
min_order_lots = 1
max_order_lots = 500000
position_limit_lots = 2000000
open_interest_cap_lots = 50000000
taker_fee_ppm = 500
maker_fee_ppm = -100
insurance_fee_share_ppm = 500000
liquidation_fee_ppm = 10000
keeper_liquidation_share_ppm = 300000
price_band_bps = 500
funding_interval_secs = 3600
funding_cap_ppm = 1000
mark_ema_secs = 300
takeover_discount_ppm = 500000
insurance_cover_cap_usd = 5000000
insurance_cover_period_secs = 86400
partial_liquidation_tier = 1
waterfall_mode = "adl"

[markets.oracle]
min_feeds = {min_feeds}
max_staleness_secs = 60
max_conf_bps = 100
max_deviation_bps = 200
feeds = [{feeds}]

[[markets.tiers]]
max_notional_usd = 100000
initial_margin_ppm = 20000
maint_margin_ppm = 10000
[[markets.tiers]]
max_notional_usd = 1000000
initial_margin_ppm = 50000
maint_margin_ppm = 25000
"#
    )
}

/// An exchange whose pull feeds are owned by [`RECEIVER`] and legacy feeds
/// by the usual test Pyth program, with the three markets above and a
/// legacy-only BTC-PERP.
fn config() -> String {
    let p = PRICE_USD;
    let mut s = format!(
        r#"
[exchange]
timelock_secs = {TIMELOCK_SECS}
pyth_program = "FsJ3A3u2vn5cTVofAjvy6y5kwABJAqYWpe4975bi2epH"
pyth_receiver = "{RECEIVER}"
"#
    );
    s += &market(
        BTC,
        1,
        &format!(r#"{{ name = "legacy-btc", initial_price_usd = {p}, conf_usd = 15.0 }}"#),
    );
    s += &market(
        PULL,
        1,
        &format!(
            r#"{{ name = "pull-btc", kind = "pull", feed_id = "{BTC_ID}", initial_price_usd = {p}, conf_usd = 15.0 }}"#
        ),
    );
    s += &market(
        MIX,
        1,
        &format!(
            r#"{{ name = "mix-legacy", initial_price_usd = {p}, conf_usd = 15.0 }},
               {{ name = "mix-pull", kind = "pull", feed_id = "{BTC_ID}", initial_price_usd = {p}, conf_usd = 15.0 }}"#
        ),
    );
    s += &market(
        TRIO,
        2,
        &format!(
            r#"{{ name = "trio-pull-a", kind = "pull", feed_id = "{BTC_ID}", initial_price_usd = {p}, conf_usd = 15.0 }},
               {{ name = "trio-legacy", kind = "legacy", initial_price_usd = {p}, conf_usd = 15.0 }},
               {{ name = "trio-pull-b", kind = "pull", feed_id = "{SOL_ID}", initial_price_usd = {p}, conf_usd = 15.0 }}"#
        ),
    );
    s
}

async fn env() -> TestEnv {
    TestEnv::with_config(&config()).await
}

fn id(hex: &str) -> [u8; 32] {
    parse_feed_id(hex).expect("feed id")
}

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

/// `refresh_prices` of `market` with its configured feeds must fail with
/// `err` and leave the index alone.
async fn refresh_fails(env: &mut TestEnv, market: &str, err: E) {
    let before = index_of(&env.market_header(market).await);
    let r = env.refresh_ix(market);
    env.send_tx_expect_error(&[r], &[], code(err)).await;
    assert_eq!(index_of(&env.market_header(market).await), before);
}

/// (index price, feeds used) after a successful refresh.
async fn refreshed(env: &mut TestEnv, market: &str) -> (u64, u8) {
    env.refresh(market).await;
    let s = env.market_header(market).await.state;
    (s.index_price, s.index_feeds_used)
}

/// Writes `p` into `feed` as a `PriceUpdateV2` for `feed_id`, owned by `owner`.
fn write_pull(env: &mut TestEnv, feed: &Pubkey, owner: &Pubkey, feed_id: [u8; 32], p: &PythPrice) {
    write_feed(&mut env.chain, feed, owner, &FeedFormat::pull(feed_id), p);
}

/// Writes raw bytes into `feed`, owned by `owner`.
fn write_raw(env: &mut TestEnv, feed: &Pubkey, owner: &Pubkey, data: Vec<u8>) {
    env.chain.set_account(
        feed,
        Account {
            lamports: 10_000_000,
            data,
            owner: *owner,
            executable: false,
            rent_epoch: 0,
        },
    );
}

/// `apply_key_change` must fail with `err`.
async fn apply_fails(env: &mut TestEnv, apply: &Instruction, err: E) {
    env.send_tx_expect_error(std::slice::from_ref(apply), &[], code(err))
        .await;
}

#[tokio::test]
async fn pull_feed_sets_the_index_at_any_exponent() {
    let mut env = env().await;
    // The config made each feed in its own format and owner.
    let o = env.market_header(PULL).await.config.oracle;
    assert_eq!(o.feed_kinds[0], FeedKind::PythPull as u8);
    assert_eq!(o.feed_ids[0], id(BTC_ID));
    let feed = env.feeds(PULL)[0];
    assert_eq!(env.raw_account(&feed).await.owner, env.pyth_receiver());
    assert_eq!(env.raw_account(&feed).await.data.len(), 134);
    let h = env.market_header(PULL).await;
    assert_eq!(h.state.index_price, price_units(PRICE_USD));

    // Exponent -8 (Pyth's usual one).
    env.advance_time(30).await;
    env.set_oracle_price(&feed, 66_123.45, 10.0).await;
    let now = env.now().await;
    assert_eq!(refreshed(&mut env, PULL).await, (price_units(66_123.45), 1));
    assert_eq!(env.market_header(PULL).await.state.index_publish_ts, now);

    // Exponent -5: 64,999.12345 USD.
    let mut p = env.fresh_price(0.0, 0.0).await;
    (p.price, p.conf, p.expo) = (6_499_912_345, 1_000_000, -5);
    env.set_feed(&feed, &p);
    assert_eq!(refreshed(&mut env, PULL).await, (64_999_123_450, 1));
    // Exponent -10: digits below 1e-6 are cut.
    (p.price, p.conf, p.expo) = (650_001_234_567_891, 10_000_000_000, -10);
    env.set_feed(&feed, &p);
    assert_eq!(refreshed(&mut env, PULL).await, (65_000_123_456, 1));
    // Exponent 0: whole dollars.
    (p.price, p.conf, p.expo) = (65_432, 2, 0);
    env.set_feed(&feed, &p);
    assert_eq!(refreshed(&mut env, PULL).await, (65_432_000_000, 1));
}

#[tokio::test]
async fn pull_feed_with_another_owner_is_rejected() {
    let mut env = env().await;
    let feed = env.feeds(PULL)[0];
    let p = env.fresh_price(66_000.0, 10.0).await;
    // The legacy feeds' owner is not the receiver, nor is any other key.
    for owner in [env.pyth_program(), Pubkey::new_unique()] {
        write_pull(&mut env, &feed, &owner, id(BTC_ID), &p);
        refresh_fails(&mut env, PULL, E::OracleWrongOwner).await;
    }
    // In a mixed market each kind needs its own owner: a legacy account
    // owned by the receiver fails too, though the pull feed is valid.
    let mix = env.feeds(MIX);
    let receiver = env.pyth_receiver();
    write_raw(&mut env, &mix[0], &receiver, price_account_bytes(&p));
    refresh_fails(&mut env, MIX, E::OracleWrongOwner).await;
}

#[tokio::test]
async fn pull_feed_for_another_feed_id_is_rejected() {
    let mut env = env().await;
    let feed = env.feeds(PULL)[0];
    let receiver = env.pyth_receiver();
    let p = env.fresh_price(66_000.0, 10.0).await;
    write_pull(&mut env, &feed, &receiver, id(ETH_ID), &p);
    refresh_fails(&mut env, PULL, E::OracleWrongFeedId).await;
    // A hard error even when the other feeds would make an index, and even
    // for a partial update.
    let trio = env.feeds(TRIO);
    env.set_market_price(TRIO, 66_000.0).await;
    let partial = PythPrice {
        verification: Verification::Partial { num_signatures: 3 },
        ..p
    };
    write_pull(&mut env, &trio[2], &receiver, id(BTC_ID), &partial);
    refresh_fails(&mut env, TRIO, E::OracleWrongFeedId).await;
    // The right id cures it.
    write_pull(&mut env, &feed, &receiver, id(BTC_ID), &p);
    assert_eq!(refreshed(&mut env, PULL).await, (price_units(66_000.0), 1));
}

#[tokio::test]
async fn partially_verified_update_is_rejected_or_dropped() {
    let mut env = env().await;
    let partial = |p: PythPrice| PythPrice {
        verification: Verification::Partial { num_signatures: 5 },
        ..p
    };
    // Alone: exactly its reason.
    let feed = env.feeds(PULL)[0];
    let p = env.fresh_price(66_000.0, 10.0).await;
    env.set_feed(&feed, &partial(p));
    refresh_fails(&mut env, PULL, E::OracleNotFullyVerified).await;

    // In TRIO-PERP (min 2) the two others agree: it is dropped.
    let trio = env.feeds(TRIO);
    env.set_market_price(TRIO, 66_000.0).await;
    let p = env.fresh_price(66_100.0, 10.0).await;
    env.set_feed(&trio[0], &partial(p));
    assert_eq!(refreshed(&mut env, TRIO).await, (price_units(66_000.0), 2));
    // A second bad feed (stale) leaves one: the first failing feed's
    // reason is reported.
    let now = env.now().await;
    let stale = PythPrice::usd(66_000.0, 10.0, now - MAX_STALENESS_SECS - 1);
    env.set_feed(&trio[1], &stale);
    refresh_fails(&mut env, TRIO, E::OracleNotFullyVerified).await;

    // In MIX-PERP (min 1) the legacy feed alone makes the index.
    let mix = env.feeds(MIX);
    env.set_market_price(MIX, 65_500.0).await;
    env.set_feed(&mix[1], &partial(p));
    assert_eq!(refreshed(&mut env, MIX).await, (price_units(65_500.0), 1));
}

#[tokio::test]
async fn stale_pull_feed_is_rejected() {
    let mut env = env().await;
    let feed = env.feeds(PULL)[0];
    env.set_oracle_price(&feed, 64_000.0, 10.0).await;
    // Exactly max_staleness old is still fresh.
    env.advance_time(MAX_STALENESS_SECS).await;
    assert_eq!(refreshed(&mut env, PULL).await, (price_units(64_000.0), 1));
    env.advance_time(1).await;
    refresh_fails(&mut env, PULL, E::OracleStale).await;
    env.set_oracle_price(&feed, 64_500.0, 10.0).await;
    assert_eq!(refreshed(&mut env, PULL).await, (price_units(64_500.0), 1));
}

#[tokio::test]
async fn wide_confidence_pull_feed_is_rejected() {
    let mut env = env().await;
    let feed = env.feeds(PULL)[0];
    // max_conf_bps = 100: 1.5 % of the price is too wide, 0.5 % is fine.
    env.set_oracle_price(&feed, 60_000.0, 900.0).await;
    refresh_fails(&mut env, PULL, E::OracleConfidenceTooWide).await;
    env.set_oracle_price(&feed, 60_000.0, 300.0).await;
    assert_eq!(refreshed(&mut env, PULL).await, (price_units(60_000.0), 1));
}

#[tokio::test]
async fn malformed_pull_account_is_rejected() {
    let mut env = env().await;
    let feed = env.feeds(PULL)[0];
    let receiver = env.pyth_receiver();
    let p = env.fresh_price(66_000.0, 10.0).await;
    let good = bulwark_app::pyth::price_update_bytes(&p, &id(BTC_ID));
    let mut wrong_disc = good.clone();
    wrong_disc[..8].copy_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
    let mut bad_level = good.clone();
    bad_level[40] = 9;
    for data in [
        wrong_disc,
        bad_level,
        good[..100].to_vec(),
        good[..8].to_vec(),
        vec![],
        // A legacy price account owned by the receiver.
        price_account_bytes(&p),
    ] {
        write_raw(&mut env, &feed, &receiver, data);
        refresh_fails(&mut env, PULL, E::OracleInvalidAccount).await;
    }
    // And a price update in a legacy slot, owned by the Pyth program.
    let mix = env.feeds(MIX);
    let pyth = env.pyth_program();
    write_raw(&mut env, &mix[0], &pyth, good.clone());
    env.set_oracle_price(&mix[1], 66_000.0, 10.0).await;
    // MIX-PERP needs one feed: the pull feed alone makes the index ...
    assert_eq!(refreshed(&mut env, MIX).await, (price_units(66_000.0), 1));
    // ... and with it broken too, the first failing feed's reason.
    write_raw(&mut env, &mix[1], &receiver, good[..40].to_vec());
    refresh_fails(&mut env, MIX, E::OracleInvalidAccount).await;
}

#[tokio::test]
async fn mixed_markets_aggregate_legacy_and_pull_feeds() {
    let mut env = env().await;
    // The bootstrap index of both mixed markets used every feed.
    assert_eq!(env.market_header(MIX).await.state.index_feeds_used, 2);
    assert_eq!(env.market_header(TRIO).await.state.index_feeds_used, 3);
    env.advance_time(5).await;

    // One legacy + one pull: the median of two is the lower.
    let mix = env.feeds(MIX);
    env.set_oracle_price(&mix[0], 65_100.0, 10.0).await;
    env.set_oracle_price(&mix[1], 65_050.0, 10.0).await;
    assert_eq!(refreshed(&mut env, MIX).await, (price_units(65_050.0), 2));
    env.set_oracle_price(&mix[0], 65_010.0, 10.0).await;
    assert_eq!(refreshed(&mut env, MIX).await, (price_units(65_010.0), 2));

    // Pull, legacy, pull: the middle one, whatever its kind.
    let trio = env.feeds(TRIO);
    for (f, p) in trio.iter().zip([65_300.0, 65_200.0, 65_100.0]) {
        env.set_oracle_price(f, p, 10.0).await;
    }
    assert_eq!(refreshed(&mut env, TRIO).await, (price_units(65_200.0), 3));
    // A pull outlier (10 % off) is dropped by the deviation rule.
    for (f, p) in trio.iter().zip([71_000.0, 65_200.0, 65_100.0]) {
        env.set_oracle_price(f, p, 10.0).await;
    }
    assert_eq!(refreshed(&mut env, TRIO).await, (price_units(65_100.0), 2));
}

#[tokio::test]
async fn pull_feed_key_change_keeps_its_kind_and_feed_id() {
    let mut env = env().await;
    let admin = env.admin();
    let market = env.market(TRIO);
    let receiver = env.pyth_receiver();
    let old = env.feeds(TRIO)[2];
    let new_feed = Pubkey::new_unique();
    let q = ix::queue_key_change(&admin, Some(&market), KeyKind::Feed, 2, &new_feed);
    env.send(&[q], &[]).await;
    env.advance_time(TIMELOCK_SECS).await;
    let apply = ix::apply_key_change(&admin, Some(&market), Some(&new_feed));
    let now = env.now().await;
    let p = PythPrice::usd(PRICE_USD, 10.0, now);

    // The slot is a pull feed for SOL_ID: another id, a partial update, a
    // legacy account (under either owner) are all refused when applied.
    write_pull(&mut env, &new_feed, &receiver, id(BTC_ID), &p);
    apply_fails(&mut env, &apply, E::OracleWrongFeedId).await;
    let partial = PythPrice {
        verification: Verification::Partial { num_signatures: 1 },
        ..p
    };
    write_pull(&mut env, &new_feed, &receiver, id(SOL_ID), &partial);
    apply_fails(&mut env, &apply, E::OracleNotFullyVerified).await;
    let pyth = env.pyth_program();
    write_feed(&mut env.chain, &new_feed, &pyth, &FeedFormat::LEGACY, &p);
    apply_fails(&mut env, &apply, E::OracleWrongOwner).await;
    write_feed(
        &mut env.chain,
        &new_feed,
        &receiver,
        &FeedFormat::LEGACY,
        &p,
    );
    apply_fails(&mut env, &apply, E::OracleInvalidAccount).await;
    let stale = PythPrice::usd(PRICE_USD, 10.0, now - MAX_STALENESS_SECS - 1);
    write_pull(&mut env, &new_feed, &receiver, id(SOL_ID), &stale);
    apply_fails(&mut env, &apply, E::OracleStale).await;
    assert_eq!(env.market_header(TRIO).await.config.oracle.feeds[2], old);

    // A fresh, fully verified update for the slot's id is accepted.
    write_pull(&mut env, &new_feed, &receiver, id(SOL_ID), &p);
    env.send(std::slice::from_ref(&apply), &[]).await;
    let o = env.market_header(TRIO).await.config.oracle;
    assert_eq!(o.feeds[2], new_feed);
    assert_eq!(o.feed_kinds[2], FeedKind::PythPull as u8);
    assert_eq!(o.feed_ids[2], id(SOL_ID));
    // The other two feeds are an hour old by now.
    env.set_market_price(TRIO, PRICE_USD).await;
    let mut feeds = env.feeds(TRIO);
    feeds[2] = new_feed;
    env.send(&[ix::refresh_prices(&market, &feeds)], &[]).await;
    assert_eq!(env.market_header(TRIO).await.state.index_feeds_used, 3);
    let r = ix::refresh_prices(&market, &env.feeds(TRIO));
    env.send_tx_expect_error(&[r], &[], code(E::WrongOracle))
        .await;
}

#[tokio::test]
async fn pyth_receiver_changes_through_the_timelock() {
    let mut env = env().await;
    let admin = env.admin();
    let old = env.pyth_receiver();
    let new = Pubkey::new_unique();
    assert_eq!(env.exchange().await.pyth_receiver, old);

    // Only the admin queues it.
    let intruder = Keypair::new();
    let q = ix::queue_key_change(&intruder.pubkey(), None, KeyKind::PythReceiver, 0, &new);
    env.send_tx_expect_error(&[q], &[&intruder], code(E::NotAdmin))
        .await;
    // The current key again is no change.
    let q = ix::queue_key_change(&admin, None, KeyKind::PythReceiver, 0, &old);
    env.send_tx_expect_error(&[q], &[], code(E::ParamOutOfBounds))
        .await;

    let q = ix::queue_key_change(&admin, None, KeyKind::PythReceiver, 0, &new);
    env.send(&[q], &[]).await;
    let pending = env.exchange().await.pending_key;
    assert_eq!(
        (pending.kind, pending.new_key, pending.active),
        (KeyKind::PythReceiver as u8, new, 1)
    );
    // One pending key change at a time.
    let q = ix::queue_key_change(&admin, None, KeyKind::PythProgram, 0, &new);
    env.send_tx_expect_error(&[q], &[], code(E::KeyChangePending))
        .await;
    let apply = ix::apply_key_change(&admin, None, None);
    env.send_tx_expect_error(
        std::slice::from_ref(&apply),
        &[],
        code(E::TimelockNotExpired),
    )
    .await;
    // Cancelled, then queued again.
    env.send(&[ix::cancel_key_change(&admin)], &[]).await;
    assert_eq!(
        env.exchange().await.pending_key,
        PendingKeyChange::default()
    );
    let q = ix::queue_key_change(&admin, None, KeyKind::PythReceiver, 0, &new);
    env.send(&[q], &[]).await;
    env.advance_time(TIMELOCK_SECS).await;
    env.send(&[apply], &[]).await;
    let ex = env.exchange().await;
    assert_eq!(ex.pyth_receiver, new);
    assert_eq!(ex.pending_key, PendingKeyChange::default());
    assert_ne!(ex.pyth_program, new);

    // Pull feeds owned by the old receiver stop; legacy feeds go on.
    env.set_market_price(PULL, 65_500.0).await;
    refresh_fails(&mut env, PULL, E::OracleWrongOwner).await;
    env.set_market_price(MIX, 65_500.0).await;
    refresh_fails(&mut env, MIX, E::OracleWrongOwner).await;
    env.set_market_price(BTC, 65_500.0).await;
    env.refresh(BTC).await;
    // Under the new owner they read again.
    env.dep.pyth_receiver = new;
    env.set_market_price(PULL, 65_600.0).await;
    assert_eq!(refreshed(&mut env, PULL).await, (price_units(65_600.0), 1));
}

/// A change to a valid oracle config.
type Edit = fn(&mut OracleConfig);

#[tokio::test]
async fn create_market_checks_feed_kinds_and_ids() {
    let mut env = env().await;
    let num_markets = env.exchange().await.num_markets;
    let spec = env
        .cfg
        .markets
        .iter()
        .find(|m| m.name == PULL)
        .expect("PULL-PERP")
        .clone();
    let base = spec.market_config().expect("market config");
    assert_eq!(base.oracle.feed_kinds[0], FeedKind::PythPull as u8);
    let cases: [(Edit, E); 5] = [
        // A pull feed without its feed id.
        (|o| o.feed_ids[0] = [0; 32], E::OracleFeedIdMissing),
        // A legacy feed with one.
        (
            |o| o.feed_kinds[0] = FeedKind::PythLegacy as u8,
            E::OracleFeedIdUnexpected,
        ),
        // An unknown kind.
        (|o| o.feed_kinds[0] = 2, E::InvalidFeedKind),
        // Unused slots stay zero.
        (|o| o.feed_kinds[1] = 1, E::InvalidFeedKind),
        (|o| o.feed_ids[2] = [7; 32], E::OracleFeedIdUnexpected),
    ];
    for (edit, err) in cases {
        let mut config = base;
        edit(&mut config.oracle);
        let market = Keypair::new();
        let size = Market::account_size(0, spec.book_capacity);
        let lamports = env.chain.rent_exempt(size).await;
        let create =
            ix::create_market_account(&env.admin(), &market.pubkey(), lamports, spec.book_capacity);
        let args = CreateMarketArgs {
            name: *b"BAD-FEED-PERP\0\0\0",
            max_seats: spec.max_seats,
            book_capacity: spec.book_capacity,
            config,
        };
        let init = ix::create_market(&env.admin(), &market.pubkey(), &env.mint(), args);
        env.send_tx_expect_error(&[create, init], &[&market], code(err))
            .await;
    }
    assert_eq!(env.exchange().await.num_markets, num_markets);
    // The client refuses the same configs before sending.
    let no_id = config().replace(&format!(r#", feed_id = "{BTC_ID}""#), "");
    let cfg = bulwark_app::config::BootstrapConfig::from_toml(&no_id).unwrap();
    let pull = cfg.markets.iter().find(|m| m.name == PULL).unwrap();
    let e = pull.market_config().unwrap_err();
    assert!(e.contains("needs its feed_id"), "{e}");
}

/// The reading the program makes of `data` for a feed of `kind`.
fn program_reads(data: &[u8], kind: FeedKind, feed_id: &[u8; 32]) -> FeedReading {
    match kind {
        FeedKind::PythLegacy => bulwark::oracle::legacy::parse_price_account(data),
        FeedKind::PythPull => {
            bulwark::oracle::pull::read_price_update(data, feed_id).expect("the feed id")
        }
    }
    .unwrap_or_else(|e| panic!("{kind:?}: {e:?}"))
}

#[test]
fn program_parser_reads_what_the_mock_oracle_writes() {
    // One set of constants: the program's own and the writer's agree.
    assert_eq!(
        bulwark::oracle::pull::DISCRIMINATOR,
        layout::PRICE_UPDATE_V2_DISCRIMINATOR
    );
    assert_eq!(bulwark::oracle::pull::LEN, layout::PRICE_UPDATE_V2_LEN);

    let legacy = layout::legacy_price_account(&layout::LegacyPrice {
        price: 6_500_012_345_678,
        conf: 1_500_000_000,
        expo: -8,
        publish_time: 1_234,
        trading: true,
    });
    let r = program_reads(&legacy, FeedKind::PythLegacy, &[0; 32]);
    assert_eq!(
        r,
        FeedReading {
            price: 65_000_123_456,
            conf: 15_000_001,
            publish_ts: 1_234,
            trading: true,
        }
    );
    let halted = layout::legacy_price_account(&layout::LegacyPrice {
        price: 1,
        conf: 0,
        expo: -6,
        publish_time: 1,
        trading: false,
    });
    assert!(!program_reads(&halted, FeedKind::PythLegacy, &[0; 32]).trading);

    let feed_id = id(BTC_ID);
    let update = layout::PriceUpdate {
        write_authority: [4; 32],
        verification: layout::Verification::Full,
        feed_id,
        price: 6_500_012_345_678,
        conf: 1_500_000_000,
        exponent: -8,
        publish_time: 1_234,
        prev_publish_time: 1_233,
        ema_price: 6_400_000_000_000,
        ema_conf: 1,
        posted_slot: 99,
    };
    let full = layout::price_update_v2_account(&update);
    assert_eq!(program_reads(&full, FeedKind::PythPull, &feed_id), r);
    let parsed = bulwark::oracle::pull::parse_price_update(&full).unwrap();
    assert!(parsed.fully_verified);
    assert_eq!((parsed.feed_id, parsed.exponent), (feed_id, -8));

    // Partial: one byte more before the message; the same fields, refused.
    let partial = layout::price_update_v2_account(&layout::PriceUpdate {
        verification: layout::Verification::Partial { num_signatures: 13 },
        exponent: -5,
        price: 6_500_012_345,
        ..update
    });
    let parsed = bulwark::oracle::pull::parse_price_update(&partial).unwrap();
    assert!(!parsed.fully_verified);
    assert_eq!(
        (
            parsed.feed_id,
            parsed.price,
            parsed.exponent,
            parsed.publish_time
        ),
        (feed_id, 6_500_012_345, -5, 1_234)
    );
    assert_eq!(
        bulwark::oracle::pull::read_price_update(&partial, &feed_id)
            .unwrap()
            .err()
            .map(u32::from),
        Some(code(E::OracleNotFullyVerified))
    );
    // The app's own builders go through the same writers.
    let p = PythPrice::usd(65_000.0, 15.0, 1_234);
    assert_eq!(
        program_reads(&price_account_bytes(&p), FeedKind::PythLegacy, &[0; 32]).price,
        65_000_000_000
    );
    let b = bulwark_app::pyth::price_update_bytes(&p, &feed_id);
    assert_eq!(b.len(), layout::PRICE_UPDATE_V2_LEN);
    assert_eq!(
        program_reads(&b, FeedKind::PythPull, &feed_id).price,
        65_000_000_000
    );
}

#[test]
fn the_client_names_the_new_errors() {
    for (e, name, n) in [
        (E::OracleWrongFeedId, "OracleWrongFeedId", 6095),
        (E::OracleNotFullyVerified, "OracleNotFullyVerified", 6096),
        (E::InvalidFeedKind, "InvalidFeedKind", 6097),
        (E::OracleFeedIdMissing, "OracleFeedIdMissing", 6098),
        (E::OracleFeedIdUnexpected, "OracleFeedIdUnexpected", 6099),
    ] {
        // Appended: the codes before them keep their numbers.
        assert_eq!(code(e), n);
        let label = bulwark_app::client::error_label(n);
        assert!(label.starts_with(&format!("{n} {name}: ")), "{label}");
    }
    assert_eq!(code(E::ParamWouldFreeze), 6094);
}
