//! Issue 10: a stolen admin key cannot hurt traders. Each attack is what a
//! thief holding the admin key would try, through ordinary instructions:
//! liquidating a position by raising its maintenance margin, freezing a
//! market by making the oracle guard reject every feed, front-running
//! `initialize_exchange`, and — with the key rotated away — using the old
//! key. Keys (admin, treasury, Pyth program, feeds) change only through the
//! timelock.

use anchor_lang::prelude::Pubkey;
use bulwark::engine::book::Side::{Ask, Bid};
use bulwark::state::{KeyKind, MarketStatus, ParamKey, PendingKeyChange};
use bulwark_app::bootstrap::{bootstrap, write_feed};
use bulwark_app::config::{usd, BootstrapConfig};
use bulwark_app::ix;
use bulwark_app::pyth::{FeedFormat, PythPrice};
use bulwark_app::EmbeddedChain;
use bulwark_tests::{
    anchor_code, code, ioc, limit, replace_account, unsign, BulwarkError as E, TestEnv, BTC,
    BTC_PRICE_USD, CONFIG, ETH, MAX_STALENESS_SECS, TIMELOCK_SECS,
};
use solana_keypair::Keypair;
use solana_signer::Signer;

/// A 2x long on BTC-PERP (10 000 USD collateral, 0.3 BTC at 65 000) against
/// a maker, and the admin's accomplice with a keeper seat.
async fn two_x_long(env: &mut TestEnv) -> (bulwark_tests::Trader, bulwark_tests::Trader) {
    let maker = env.funded_trader(BTC, 100_000.0).await;
    let trader = env.funded_trader(BTC, 10_000.0).await;
    env.place(&maker, BTC, limit(Ask, 65_000.0, 3_000)).await;
    env.place(&trader, BTC, ioc(Bid, 65_000.0, 3_000)).await;
    assert_eq!(env.seat_of(BTC, &trader.key()).await.base_lots, 3_000);
    let keeper = env.funded_trader(BTC, 100_000.0).await;
    (trader, keeper)
}

#[tokio::test]
async fn admin_margin_rug_needs_the_timelock() {
    let mut env = TestEnv::new().await;
    let admin = env.admin();
    let market = env.market(BTC);
    let (trader, keeper) = two_x_long(&mut env).await;
    let before = env.seat_of(BTC, &trader.key()).await;

    // Initial margin only gates new risk: raising it applies at once.
    let im = [
        ix::set_param(
            &admin,
            Some(&market),
            ParamKey::TierInitialMarginPpm,
            1,
            1_000_000,
        ),
        ix::set_param(
            &admin,
            Some(&market),
            ParamKey::TierInitialMarginPpm,
            0,
            995_000,
        ),
    ];
    env.send(&im, &[]).await;
    // Maintenance margin to 99 % in one transaction would make the 2x long
    // liquidatable at once: it must wait behind the timelock.
    let rug = [
        ix::set_param(
            &admin,
            Some(&market),
            ParamKey::TierMaintMarginPpm,
            1,
            990_000,
        ),
        ix::set_param(
            &admin,
            Some(&market),
            ParamKey::TierMaintMarginPpm,
            0,
            990_000,
        ),
    ];
    env.send_tx_expect_error(&rug, &[], code(E::TimelockRequired))
        .await;
    let c = env.market_header(BTC).await.config;
    assert_eq!(
        (c.tiers[0].maint_margin_ppm, c.tiers[1].maint_margin_ppm),
        (10_000, 25_000)
    );
    // The accomplice's keeper seat cannot take the position over.
    let seat = env.seat_ix(&market, &trader.key()).await;
    let keeper_seat = env.seat_ix(&market, &keeper.key()).await;
    let take = ix::takeover(&keeper.key(), &market, &trader.key(), seat, keeper_seat);
    env.send_tx_expect_error(&[take], &[&keeper.kp], code(E::NotLiquidatable))
        .await;
    let after = env.seat_of(BTC, &trader.key()).await;
    assert_eq!(
        (after.base_lots, after.entry_cost, after.collateral),
        (before.base_lots, before.entry_cost, before.collateral)
    );
    // Queued, the raise is public for the whole timelock: the trader can
    // close or add collateral before it applies.
    let q = ix::queue_param_change(
        &admin,
        Some(&market),
        ParamKey::TierMaintMarginPpm,
        1,
        990_000,
    );
    env.send(&[q], &[]).await;
    assert_eq!(
        env.exchange().await.pending[0].eta,
        env.now().await + TIMELOCK_SECS
    );
}

#[tokio::test]
async fn oracle_freeze_by_parameter_is_refused() {
    let mut env = TestEnv::new().await;
    let admin = env.admin();
    let btc = env.market(BTC);
    let eth = env.market(ETH);
    let freeze = code(E::ParamWouldFreeze);
    let before = env.market_header(BTC).await.config;

    // Confidence bound 0 rejects every real feed.
    let s = ix::set_param(&admin, Some(&btc), ParamKey::OracleMaxConfBps, 0, 0);
    env.send_tx_expect_error(&[s], &[], freeze).await;
    // Queuing it does not help: it is refused when queued.
    let q = ix::queue_param_change(&admin, Some(&btc), ParamKey::OracleMaxConfBps, 0, 0);
    env.send_tx_expect_error(&[q], &[], freeze).await;
    // Nor any other guard set so tight that no feed passes.
    let attempts = [
        (btc, ParamKey::OracleMaxConfBps, 9),
        (btc, ParamKey::OracleMaxStalenessSecs, 0),
        (btc, ParamKey::OracleMaxStalenessSecs, 9),
        (eth, ParamKey::OracleMaxDeviationBps, 0),
        (eth, ParamKey::OracleMinFeeds, 4),
        (btc, ParamKey::PriceBandBps, 1),
    ];
    for (m, key, v) in attempts {
        let q = ix::queue_param_change(&admin, Some(&m), key, 0, v);
        env.send_tx_expect_error(&[q], &[], freeze).await;
    }
    // The exchange's bounds cannot be squeezed below the floors either.
    for (key, v) in [
        (ParamKey::BoundMaxOracleConfBps, 0),
        (ParamKey::BoundMaxOracleStalenessSecs, 1),
        (ParamKey::BoundMaxOracleDeviationBps, 0),
    ] {
        let s = ix::set_param(&admin, None, key, 0, v);
        env.send_tx_expect_error(&[s], &[], freeze).await;
    }
    assert_eq!(env.market_header(BTC).await.config, before);
    // The market still prices: refresh works.
    env.refresh(BTC).await;
}

#[tokio::test]
async fn initialize_exchange_front_run_is_refused() {
    let mut chain = EmbeddedChain::start(vec![]).await;
    let attacker = Keypair::new();
    chain
        .airdrop(&attacker.pubkey(), 10_000_000_000)
        .await
        .expect("airdrop");
    let mint = chain
        .create_mint(bulwark::math::QUOTE_DECIMALS)
        .await
        .expect("mint");
    let args = bulwark::instructions::InitializeExchangeArgs {
        pyth_program: Pubkey::new_unique(),
        pyth_receiver: Pubkey::new_unique(),
        timelock_secs: 60,
        bounds: bulwark::state::default_bounds(),
        treasury: Pubkey::new_unique(),
    };
    let i = ix::initialize_exchange(&attacker.pubkey(), &mint, args);
    let r = chain.send(&[i], &[&attacker]).await;
    assert_eq!(
        r.err().and_then(|e| e.code()),
        Some(code(E::NotUpgradeAuthority)),
        "anyone but the upgrade authority is refused"
    );
    assert!(chain.account(&ix::exchange_pda()).await.is_none());
    // The upgrade authority (the chain's payer) then bootstraps as usual.
    let cfg = BootstrapConfig::from_toml(CONFIG).expect("config");
    bootstrap(&mut chain, &cfg).await.expect("bootstrap");
    let ex = bulwark_app::client::exchange(&mut chain)
        .await
        .expect("exchange");
    assert_eq!(ex.admin, chain.payer_pubkey());
}

#[tokio::test]
async fn initialize_exchange_checks_the_program_data_account() {
    let mut chain = EmbeddedChain::start(vec![]).await;
    let admin = chain.payer_pubkey();
    let mint = chain
        .create_mint(bulwark::math::QUOTE_DECIMALS)
        .await
        .expect("mint");
    let args = || bulwark::instructions::InitializeExchangeArgs {
        pyth_program: Pubkey::new_unique(),
        pyth_receiver: Pubkey::new_unique(),
        timelock_secs: 60,
        bounds: bulwark::state::default_bounds(),
        treasury: Pubkey::new_unique(),
    };
    let real = ix::program_data_address();
    let wrong = code(E::WrongProgramData);
    // A look-alike ProgramData naming the signer, at another address.
    let fake = Pubkey::new_unique();
    let mut a = chain.account(&real).await.expect("program data");
    chain.set_account(&fake, a.clone());
    let i = replace_account(ix::initialize_exchange(&admin, &mint, args()), &real, &fake);
    let r = chain.send(&[i], &[]).await;
    assert_eq!(r.err().and_then(|e| e.code()), Some(wrong));
    // The right address, not owned by the upgradeable loader.
    let loader = a.owner;
    a.owner = Pubkey::new_unique();
    chain.set_account(&real, a.clone());
    let r = chain
        .send(&[ix::initialize_exchange(&admin, &mint, args())], &[])
        .await;
    assert_eq!(r.err().and_then(|e| e.code()), Some(wrong));
    // A program made immutable (no upgrade authority) cannot be initialized
    // by anyone.
    a.owner = loader;
    a.data[12] = 0;
    chain.set_account(&real, a.clone());
    let r = chain
        .send(&[ix::initialize_exchange(&admin, &mint, args())], &[])
        .await;
    assert_eq!(
        r.err().and_then(|e| e.code()),
        Some(code(E::NotUpgradeAuthority))
    );
    assert!(chain.account(&ix::exchange_pda()).await.is_none());
    // The real one, naming the signer: accepted.
    chain.set_program_data(&admin);
    chain
        .send(&[ix::initialize_exchange(&admin, &mint, args())], &[])
        .await
        .expect("the upgrade authority initializes");
}

/// The pending key change.
async fn pending_key(env: &mut TestEnv) -> PendingKeyChange {
    env.exchange().await.pending_key
}

#[tokio::test]
async fn admin_rotates_only_through_the_timelock() {
    let mut env = TestEnv::new().await;
    let old = env.admin();
    let market = env.market(BTC);
    let next = env.new_wallet().await;
    let mallory = env.new_wallet().await;

    // Nobody but the admin proposes.
    let p = ix::propose_admin(&mallory.pubkey(), &mallory.pubkey());
    env.send_tx_expect_error(&[p], &[&mallory], code(E::NotAdmin))
        .await;
    let now = env.now().await;
    env.send(&[ix::propose_admin(&old, &next.pubkey())], &[])
        .await;
    let p = pending_key(&mut env).await;
    assert_eq!(
        (p.active, p.kind, p.new_key, p.eta),
        (1, KeyKind::Admin as u8, next.pubkey(), now + TIMELOCK_SECS)
    );
    // One key change at a time.
    let again = ix::propose_admin(&old, &mallory.pubkey());
    env.send_tx_expect_error(&[again], &[], code(E::KeyChangePending))
        .await;
    let t = ix::queue_key_change(&old, None, KeyKind::Treasury, 0, &Pubkey::new_unique());
    env.send_tx_expect_error(&[t], &[], code(E::KeyChangePending))
        .await;
    // Only the proposed key accepts, and only after the eta; the admin
    // cannot apply it for the new key.
    let steal = ix::accept_admin(&mallory.pubkey());
    env.send_tx_expect_error(&[steal], &[&mallory], code(E::NotPendingAdmin))
        .await;
    let early = ix::accept_admin(&next.pubkey());
    env.send_tx_expect_error(
        std::slice::from_ref(&early),
        &[&next],
        code(E::TimelockNotExpired),
    )
    .await;
    let apply = ix::apply_key_change(&old, None, None);
    env.send_tx_expect_error(&[apply], &[], code(E::NotPendingAdmin))
        .await;
    assert_eq!(env.exchange().await.admin, old);

    env.advance_time(TIMELOCK_SECS).await;
    // The new key must sign its acceptance itself.
    let unsigned = unsign(early.clone(), &next.pubkey());
    env.send_tx_expect_error(
        &[unsigned],
        &[],
        anchor_code(anchor_lang::error::ErrorCode::AccountNotSigner),
    )
    .await;
    assert_eq!(env.exchange().await.admin, old);
    env.send(&[early], &[&next]).await;
    let ex = env.exchange().await;
    assert_eq!(ex.admin, next.pubkey());
    assert_eq!(ex.pending_key, PendingKeyChange::default());

    // The leaked old key is refused everywhere.
    for i in [
        ix::set_param(&old, Some(&market), ParamKey::TakerFeePpm, 0, 400),
        ix::propose_admin(&old, &old),
        ix::set_exchange_pause(&old, bulwark::state::pause::TRADING),
        ix::set_market_status(&old, &market, MarketStatus::Paused),
        ix::cancel_key_change(&old),
    ] {
        env.send_tx_expect_error(&[i], &[], code(E::NotAdmin)).await;
    }
    // The new one works.
    let n = next.pubkey();
    let s = ix::set_param(&n, Some(&market), ParamKey::TakerFeePpm, 0, 400);
    env.send(&[s], &[&next]).await;
    assert_eq!(env.market_header(BTC).await.config.taker_fee_ppm, 400);
}

#[tokio::test]
async fn admin_proposal_can_be_cancelled() {
    let mut env = TestEnv::new().await;
    let admin = env.admin();
    let next = env.new_wallet().await;
    env.send(&[ix::propose_admin(&admin, &next.pubkey())], &[])
        .await;
    let c = ix::cancel_key_change(&next.pubkey());
    env.send_tx_expect_error(&[c], &[&next], code(E::NotAdmin))
        .await;
    env.send(&[ix::cancel_key_change(&admin)], &[]).await;
    assert_eq!(pending_key(&mut env).await, PendingKeyChange::default());
    env.advance_time(TIMELOCK_SECS).await;
    let accept = ix::accept_admin(&next.pubkey());
    env.send_tx_expect_error(&[accept], &[&next], code(E::NotPendingAdmin))
        .await;
    let again = ix::cancel_key_change(&admin);
    env.send_tx_expect_error(&[again], &[], code(E::NoPendingChange))
        .await;
    assert_eq!(env.exchange().await.admin, admin);
}

#[tokio::test]
async fn treasury_and_pyth_program_change_through_the_timelock() {
    let mut env = TestEnv::new().await;
    let admin = env.admin();
    let old_treasury = env.dep.treasury;
    let owner = env.new_wallet().await;
    let new_treasury = env.token_account(&env.mint(), &owner.pubkey()).await;
    let other_mint = env.other_mint().await;
    let foreign = env.token_account(&other_mint, &owner.pubkey()).await;

    let q = ix::queue_key_change(&admin, None, KeyKind::Treasury, 0, &new_treasury);
    env.send(&[q], &[]).await;
    let apply = ix::apply_key_change(&admin, None, Some(&new_treasury));
    env.send_tx_expect_error(
        std::slice::from_ref(&apply),
        &[],
        code(E::TimelockNotExpired),
    )
    .await;
    env.advance_time(TIMELOCK_SECS).await;
    // The account passed must be the queued one, a collateral token account.
    let other = ix::apply_key_change(&admin, None, Some(&foreign));
    env.send_tx_expect_error(&[other], &[], code(E::WrongTreasury))
        .await;
    env.send(&[apply], &[]).await;
    assert_eq!(env.exchange().await.treasury, new_treasury);
    // Fees now go to the new treasury only.
    let sweep = ix::sweep_fees(&env.market(BTC), &old_treasury);
    env.send_tx_expect_error(&[sweep], &[], code(E::WrongTreasury))
        .await;

    // A treasury that is not a collateral token account never applies.
    let q = ix::queue_key_change(&admin, None, KeyKind::Treasury, 0, &foreign);
    env.send(&[q], &[]).await;
    env.advance_time(TIMELOCK_SECS).await;
    let bad = ix::apply_key_change(&admin, None, Some(&foreign));
    env.send_tx_expect_error(&[bad], &[], code(E::WrongTreasury))
        .await;
    env.send(&[ix::cancel_key_change(&admin)], &[]).await;

    // The Pyth program: queued, public for the timelock, then applied.
    let pyth = Pubkey::new_unique();
    let q = ix::queue_key_change(&admin, None, KeyKind::PythProgram, 0, &pyth);
    env.send(&[q], &[]).await;
    let apply = ix::apply_key_change(&admin, None, None);
    env.send_tx_expect_error(
        std::slice::from_ref(&apply),
        &[],
        code(E::TimelockNotExpired),
    )
    .await;
    assert_ne!(env.exchange().await.pyth_program, pyth);
    env.advance_time(TIMELOCK_SECS).await;
    env.send(&[apply], &[]).await;
    assert_eq!(env.exchange().await.pyth_program, pyth);
}

#[tokio::test]
async fn dead_feed_is_replaced_through_the_timelock() {
    let mut env = TestEnv::new().await;
    let admin = env.admin();
    let market = env.market(BTC);
    let old_feed = env.feeds(BTC)[0];
    let pyth = env.pyth_program();

    // The feed dies: the market cannot refresh.
    env.advance_time(MAX_STALENESS_SECS + 1).await;
    let r = env.refresh_ix(BTC);
    env.send_tx_expect_error(&[r], &[], code(E::OracleStale))
        .await;

    let new_feed = Pubkey::new_unique();
    // A feed change names its market, an existing index, and a feed the
    // market does not already read.
    let none = ix::queue_key_change(&admin, None, KeyKind::Feed, 0, &new_feed);
    env.send_tx_expect_error(&[none], &[], code(E::MarketRequired))
        .await;
    let oob = ix::queue_key_change(&admin, Some(&market), KeyKind::Feed, 1, &new_feed);
    env.send_tx_expect_error(&[oob], &[], code(E::InvalidMarketConfig))
        .await;
    let eth = env.market(ETH);
    let eth_feeds = env.feeds(ETH);
    let dup = ix::queue_key_change(&admin, Some(&eth), KeyKind::Feed, 0, &eth_feeds[1]);
    env.send_tx_expect_error(&[dup], &[], code(E::InvalidMarketConfig))
        .await;
    let q = ix::queue_key_change(&admin, Some(&market), KeyKind::Feed, 0, &new_feed);
    env.send(&[q], &[]).await;
    env.advance_time(TIMELOCK_SECS).await;

    let apply = ix::apply_key_change(&admin, Some(&market), Some(&new_feed));
    // The new feed must pass refresh_prices' checks when applied.
    let now = env.now().await;
    let stale = PythPrice::usd(BTC_PRICE_USD, 10.0, now - MAX_STALENESS_SECS - 1);
    env.set_feed(&new_feed, &stale);
    env.send_tx_expect_error(std::slice::from_ref(&apply), &[], code(E::OracleStale))
        .await;
    let wide = PythPrice::usd(BTC_PRICE_USD, BTC_PRICE_USD * 0.02, now);
    env.set_feed(&new_feed, &wide);
    env.send_tx_expect_error(
        std::slice::from_ref(&apply),
        &[],
        code(E::OracleConfidenceTooWide),
    )
    .await;
    let good = PythPrice::usd(BTC_PRICE_USD, 10.0, now);
    let foreign = Pubkey::new_unique();
    write_feed(
        &mut env.chain,
        &new_feed,
        &foreign,
        &FeedFormat::LEGACY,
        &good,
    );
    env.send_tx_expect_error(std::slice::from_ref(&apply), &[], code(E::OracleWrongOwner))
        .await;
    write_feed(&mut env.chain, &new_feed, &pyth, &FeedFormat::LEGACY, &good);
    // Another account than the queued feed, or another market.
    let wrong = ix::apply_key_change(&admin, Some(&market), Some(&old_feed));
    env.send_tx_expect_error(&[wrong], &[], code(E::WrongOracle))
        .await;
    let wrong = ix::apply_key_change(&admin, Some(&eth), Some(&new_feed));
    env.send_tx_expect_error(&[wrong], &[], code(E::WrongMarket))
        .await;
    assert_eq!(
        env.market_header(BTC).await.config.oracle.feeds[0],
        old_feed
    );

    env.send(&[apply], &[]).await;
    assert_eq!(
        env.market_header(BTC).await.config.oracle.feeds[0],
        new_feed
    );
    assert_eq!(pending_key(&mut env).await, PendingKeyChange::default());
    // The market prices again, from the new feed.
    let r = ix::refresh_prices(&market, &[new_feed]);
    env.send(&[r], &[]).await;
    let h = env.market_header(BTC).await;
    assert_eq!(h.state.index_price, usd(BTC_PRICE_USD));
}
