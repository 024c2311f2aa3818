//! Parameter bounds, the timelock on loosening changes, and what a
//! non-admin can do (nothing).

use anchor_lang::prelude::Pubkey;
use bulwark::instructions::CreateMarketArgs;
use bulwark::state::{pause, MarketConfig, MarketStatus, ParamKey, PendingChange, WaterfallMode};
use bulwark_app::ix;
use bulwark_tests::{code, BulwarkError as E, TestEnv, BTC, ETH, TIMELOCK_SECS};
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_signer::Signer;

/// BTC-PERP's config as bootstrapped.
fn btc_config(env: &TestEnv) -> MarketConfig {
    env.cfg.markets[0].market_config().expect("BTC-PERP config")
}

/// Instructions creating a fresh market (account + `create_market`) paid
/// and signed by `admin`.
async fn create_market_ixs(
    env: &mut TestEnv,
    admin: &Pubkey,
    market: &Keypair,
    max_seats: u32,
    config: MarketConfig,
) -> Vec<Instruction> {
    let book_capacity = 4;
    let size = bulwark::state::Market::account_size(0, book_capacity);
    let lamports = env.chain.rent_exempt(size).await;
    let mut name = [0u8; 16];
    name[..8].copy_from_slice(b"SOL-PERP");
    vec![
        ix::create_market_account(admin, &market.pubkey(), lamports, book_capacity),
        ix::create_market(
            admin,
            &market.pubkey(),
            &env.mint(),
            CreateMarketArgs {
                name,
                max_seats,
                book_capacity,
                config,
            },
        ),
    ]
}

/// The active pending changes, with their slots.
async fn pending(env: &mut TestEnv) -> Vec<(u8, PendingChange)> {
    env.exchange()
        .await
        .pending
        .iter()
        .enumerate()
        .filter(|(_, p)| p.active == 1)
        .map(|(i, p)| (i as u8, *p))
        .collect()
}

#[tokio::test]
async fn parameters_outside_bounds_are_rejected() {
    let mut env = TestEnv::new().await;
    let admin = env.admin();
    let market = env.market(BTC);
    let bounds = env.exchange().await.bounds;
    let oob = code(E::ParamOutOfBounds);

    let too_wide = bounds.max_price_band_bps as i64 + 1;
    let too_narrow = bounds.min_price_band_bps as i64 - 1;
    for v in [too_wide, too_narrow] {
        let s = ix::set_param(&admin, Some(&market), ParamKey::PriceBandBps, 0, v);
        env.send_tx_expect_error(&[s], &[], oob).await;
        // Queuing does not get around the bounds either.
        let q = ix::queue_param_change(&admin, Some(&market), ParamKey::PriceBandBps, 0, v);
        env.send_tx_expect_error(&[q], &[], oob).await;
    }
    let fee = bounds.max_taker_fee_ppm as i64 + 1;
    let q = ix::queue_param_change(&admin, Some(&market), ParamKey::TakerFeePpm, 0, fee);
    env.send_tx_expect_error(&[q], &[], oob).await;
    let im = bounds.min_initial_margin_ppm as i64 - 1;
    let q = ix::queue_param_change(&admin, Some(&market), ParamKey::TierInitialMarginPpm, 0, im);
    env.send_tx_expect_error(&[q], &[], oob).await;
    let s = ix::set_param(&admin, None, ParamKey::BoundMaxPriceBandBps, 0, 5_001);
    env.send_tx_expect_error(&[s], &[], oob).await;

    assert!(pending(&mut env).await.is_empty());
    let c = env.market_header(BTC).await.config;
    assert_eq!(c, btc_config(&env));
}

#[tokio::test]
async fn create_market_outside_bounds_is_rejected() {
    let mut env = TestEnv::new().await;
    let admin = env.admin();
    let bounds = env.exchange().await.bounds;
    let before = env.exchange().await.num_markets;

    let mut cfg = btc_config(&env);
    cfg.taker_fee_ppm = bounds.max_taker_fee_ppm + 1;
    let kp = Keypair::new();
    let ixs = create_market_ixs(&mut env, &admin, &kp, 8, cfg).await;
    env.send_tx_expect_error(&ixs, &[&kp], code(E::ParamOutOfBounds))
        .await;

    let mut cfg = btc_config(&env);
    cfg.tiers[0].initial_margin_ppm = bounds.min_initial_margin_ppm - 1;
    cfg.tiers[0].maint_margin_ppm = bounds.min_maint_margin_ppm;
    let kp2 = Keypair::new();
    let ixs = create_market_ixs(&mut env, &admin, &kp2, 8, cfg).await;
    env.send_tx_expect_error(&ixs, &[&kp2], code(E::ParamOutOfBounds))
        .await;

    let kp3 = Keypair::new();
    let cap = bounds.max_seat_capacity + 1;
    let cfg = btc_config(&env);
    let ixs = create_market_ixs(&mut env, &admin, &kp3, cap, cfg).await;
    env.send_tx_expect_error(&ixs, &[&kp3], code(E::CapacityOutOfBounds))
        .await;

    // Socialized mode haircuts the whole table in one transaction: a
    // socialized market may not grow past ADL_ONE_TX_SEATS (4,096).
    let kp6 = Keypair::new();
    let mut cfg = btc_config(&env);
    cfg.waterfall_mode = WaterfallMode::Socialized as u8;
    let ixs = create_market_ixs(&mut env, &admin, &kp6, 4_097, cfg).await;
    env.send_tx_expect_error(&ixs, &[&kp6], code(E::CapacityOutOfBounds))
        .await;

    // An account sized for another book than the arguments say, or with
    // seats already (a new market has none).
    let kp5 = Keypair::new();
    let cfg = btc_config(&env);
    let mut ixs = create_market_ixs(&mut env, &admin, &kp5, 8, cfg).await;
    for size in [
        bulwark::state::Market::account_size(0, 8),
        bulwark::state::Market::account_size(1, 4),
    ] {
        let mut create =
            ix::create_market_account(&admin, &kp5.pubkey(), env.chain.rent_exempt(size).await, 4);
        // The system program's CreateAccount data: [u32 tag][u64 lamports][u64 space][owner].
        create.data[12..20].copy_from_slice(&(size as u64).to_le_bytes());
        ixs[0] = create;
        env.send_tx_expect_error(&ixs, &[&kp5], code(E::WrongMarketSize))
            .await;
    }

    for k in [&kp, &kp2, &kp3, &kp5, &kp6] {
        assert!(env.chain.account(&k.pubkey()).await.is_none());
    }
    assert_eq!(env.exchange().await.num_markets, before);

    // The same config inside the bounds is accepted.
    let kp4 = Keypair::new();
    let cfg = btc_config(&env);
    let ixs = create_market_ixs(&mut env, &admin, &kp4, 8, cfg).await;
    env.send(&ixs, &[&kp4]).await;
    assert_eq!(env.exchange().await.num_markets, before + 1);
}

/// A stolen admin key cannot turn a market too large for socialized loss
/// (its haircut is one pass over the table) into a socialized one: an ADL
/// market of 4,097 max_seats refuses the mode change, queued or set, and
/// nothing changes; one of 4,096 accepts it into the timelock.
#[tokio::test]
async fn a_large_market_cannot_be_switched_to_socialized_loss() {
    let mut env = TestEnv::new().await;
    let admin = env.admin();
    for (seats, ok) in [(4_097u32, false), (4_096, true)] {
        let kp = Keypair::new();
        let cfg = btc_config(&env);
        let ixs = create_market_ixs(&mut env, &admin, &kp, seats, cfg).await;
        env.send(&ixs, &[&kp]).await;
        let market = kp.pubkey();
        let before = env.raw_account(&market).await.data;
        let mode = ParamKey::WaterfallMode;
        let socialized = WaterfallMode::Socialized as i64;
        let queue = ix::queue_param_change(&admin, Some(&market), mode, 0, socialized);
        if ok {
            env.send(&[queue], &[]).await;
        } else {
            env.send_tx_expect_error(&[queue], &[], code(E::CapacityOutOfBounds))
                .await;
            let set = ix::set_param(&admin, Some(&market), mode, 0, socialized);
            env.send_tx_expect_error(&[set], &[], code(E::CapacityOutOfBounds))
                .await;
            assert_eq!(env.raw_account(&market).await.data, before);
        }
    }
}

#[tokio::test]
async fn loosening_needs_the_timelock_and_tightening_applies_at_once() {
    let mut env = TestEnv::new().await;
    let admin = env.admin();
    let market = env.market(BTC);
    let original = env.market_header(BTC).await.config;
    let tl = code(E::TimelockRequired);

    let loosen = [
        (ParamKey::TierInitialMarginPpm, 0, 15_000),
        (ParamKey::TakerFeePpm, 0, 600),
        (ParamKey::PriceBandBps, 0, 600),
        (ParamKey::OracleMaxStalenessSecs, 0, 90),
        (ParamKey::WaterfallMode, 0, 1),
        // Issue 10: these used to count as tightening and applied at once.
        // Each can hurt an open position, so each now waits: a narrower
        // band cancels resting orders and narrows exits, a higher
        // maintenance margin or a lower tier bracket can make a position
        // liquidatable, a tighter oracle guard can reject every feed, and
        // a funding cap moved either way costs one side.
        (ParamKey::PriceBandBps, 0, 300),
        (ParamKey::TierMaintMarginPpm, 0, 15_000),
        (ParamKey::TierMaxNotional, 0, 50_000_000_000),
        (ParamKey::OracleMaxConfBps, 0, 50),
        (ParamKey::OracleMaxStalenessSecs, 0, 30),
        (ParamKey::FundingCapPpm, 0, 500),
        (ParamKey::LiquidationFeePpm, 0, 5_000),
        (ParamKey::InsuranceCoverCap, 0, 1_000_000),
        (ParamKey::ImpactNotional, 0, 2_000_000_000),
        (ParamKey::MarkMaxMoveBps, 0, 5),
    ];
    for (key, index, value) in loosen {
        let s = ix::set_param(&admin, Some(&market), key, index, value);
        env.send_tx_expect_error(&[s], &[], tl).await;
    }
    assert_eq!(env.market_header(BTC).await.config, original);
    // Exchange level: a shorter timelock loosens.
    let s = ix::set_param(&admin, None, ParamKey::TimelockSecs, 0, TIMELOCK_SECS - 1);
    env.send_tx_expect_error(&[s], &[], tl).await;
    assert_eq!(env.exchange().await.timelock_secs, TIMELOCK_SECS);
    // ... and so do wider bounds.
    let bounds = env.exchange().await.bounds;
    let s = ix::set_param(&admin, None, ParamKey::BoundMaxPriceBandBps, 0, 3_000);
    env.send_tx_expect_error(&[s], &[], tl).await;
    let s = ix::set_param(&admin, None, ParamKey::BoundMinInitialMarginPpm, 0, 9_000);
    env.send_tx_expect_error(&[s], &[], tl).await;
    assert_eq!(env.exchange().await.bounds, bounds);

    // What cannot hurt an open position applies at once: a higher initial
    // margin (new risk only), a lower fee, a lower position limit.
    let tighten = [
        (ParamKey::TierInitialMarginPpm, 0, 30_000),
        (ParamKey::TakerFeePpm, 0, 400),
        (ParamKey::PositionLimitLots, 0, 1_000_000),
    ];
    for (key, index, value) in tighten {
        let s = ix::set_param(&admin, Some(&market), key, index, value);
        env.send(&[s], &[]).await;
    }
    let c = env.market_header(BTC).await.config;
    assert_eq!(c.tiers[0].initial_margin_ppm, 30_000);
    assert_eq!(c.taker_fee_ppm, 400);
    assert_eq!(c.position_limit_lots, 1_000_000);
    // Nothing else moved, and the other market is untouched.
    let mut expected = original;
    expected.tiers[0].initial_margin_ppm = 30_000;
    expected.taker_fee_ppm = 400;
    expected.position_limit_lots = 1_000_000;
    assert_eq!(c, expected);
    assert_eq!(env.market_header(ETH).await.config.price_band_bps, 500);

    let s = ix::set_param(&admin, None, ParamKey::TimelockSecs, 0, TIMELOCK_SECS * 2);
    env.send(&[s], &[]).await;
    assert_eq!(env.exchange().await.timelock_secs, TIMELOCK_SECS * 2);
    assert!(pending(&mut env).await.is_empty());
}

#[tokio::test]
async fn queued_change_waits_for_the_timelock() {
    let mut env = TestEnv::new().await;
    let admin = env.admin();
    let market = env.market(BTC);

    let now = env.now().await;
    let q = ix::queue_param_change(&admin, Some(&market), ParamKey::TakerFeePpm, 0, 600);
    env.send(&[q], &[]).await;
    let p = pending(&mut env).await;
    assert_eq!(p.len(), 1);
    let (slot, change) = p[0];
    assert_eq!(change.target, market);
    assert_eq!(change.key, ParamKey::TakerFeePpm as u16);
    assert_eq!(change.value, 600);
    assert_eq!(change.eta, now + TIMELOCK_SECS);
    assert_eq!(env.market_header(BTC).await.config.taker_fee_ppm, 500);

    let apply = ix::apply_param_change(&admin, Some(&market), slot);
    env.send_tx_expect_error(
        std::slice::from_ref(&apply),
        &[],
        code(E::TimelockNotExpired),
    )
    .await;
    env.advance_time(TIMELOCK_SECS - 1).await;
    env.send_tx_expect_error(
        std::slice::from_ref(&apply),
        &[],
        code(E::TimelockNotExpired),
    )
    .await;
    assert_eq!(env.market_header(BTC).await.config.taker_fee_ppm, 500);

    env.advance_time(1).await;
    // The change targets BTC-PERP: not another market, not none.
    let wrong = ix::apply_param_change(&admin, Some(&env.market(ETH)), slot);
    env.send_tx_expect_error(&[wrong], &[], code(E::WrongMarket))
        .await;
    let none = ix::apply_param_change(&admin, None, slot);
    env.send_tx_expect_error(&[none], &[], code(E::MarketRequired))
        .await;

    env.send(std::slice::from_ref(&apply), &[]).await;
    assert_eq!(env.market_header(BTC).await.config.taker_fee_ppm, 600);
    assert_eq!(env.market_header(ETH).await.config.taker_fee_ppm, 500);
    assert!(pending(&mut env).await.is_empty());
    // Applied once only.
    env.send_tx_expect_error(&[apply], &[], code(E::NoPendingChange))
        .await;
}

#[tokio::test]
async fn cancel_clears_the_slot() {
    let mut env = TestEnv::new().await;
    let admin = env.admin();
    let market = env.market(BTC);
    let q = ix::queue_param_change(
        &admin,
        Some(&market),
        ParamKey::TierInitialMarginPpm,
        0,
        15_000,
    );
    env.send(&[q], &[]).await;
    let (slot, _) = pending(&mut env).await[0];

    env.send(&[ix::cancel_param_change(&admin, slot)], &[])
        .await;
    assert!(pending(&mut env).await.is_empty());
    assert_eq!(
        env.exchange().await.pending[slot as usize],
        PendingChange::default()
    );

    env.advance_time(TIMELOCK_SECS).await;
    let apply = ix::apply_param_change(&admin, Some(&market), slot);
    env.send_tx_expect_error(&[apply], &[], code(E::NoPendingChange))
        .await;
    let again = ix::cancel_param_change(&admin, slot);
    env.send_tx_expect_error(&[again], &[], code(E::NoPendingChange))
        .await;
    let out_of_range = ix::cancel_param_change(&admin, 200);
    env.send_tx_expect_error(&[out_of_range], &[], code(E::NoPendingChange))
        .await;
    assert_eq!(
        env.market_header(BTC).await.config.tiers[0].initial_margin_ppm,
        20_000
    );
}

#[tokio::test]
async fn queued_change_is_revalidated_when_applied() {
    let mut env = TestEnv::new().await;
    let admin = env.admin();
    let market = env.market(BTC);
    let q = ix::queue_param_change(&admin, Some(&market), ParamKey::PriceBandBps, 0, 1_500);
    env.send(&[q], &[]).await;
    let (slot, _) = pending(&mut env).await[0];
    // Meanwhile the bound tightens below the queued value.
    let s = ix::set_param(&admin, None, ParamKey::BoundMaxPriceBandBps, 0, 1_000);
    env.send(&[s], &[]).await;
    assert_eq!(env.exchange().await.bounds.max_price_band_bps, 1_000);

    env.advance_time(TIMELOCK_SECS).await;
    let apply = ix::apply_param_change(&admin, Some(&market), slot);
    env.send_tx_expect_error(&[apply], &[], code(E::ParamOutOfBounds))
        .await;
    assert_eq!(env.market_header(BTC).await.config.price_band_bps, 500);
}

#[tokio::test]
async fn non_admin_can_change_nothing() {
    let mut env = TestEnv::new().await;
    let admin = env.admin();
    let market = env.market(BTC);
    let attacker = env.new_wallet().await;
    let a = attacker.pubkey();
    let not_admin = code(E::NotAdmin);

    // A queued change whose timelock has passed: only the admin may apply
    // or cancel it.
    let q = ix::queue_param_change(&admin, Some(&market), ParamKey::TakerFeePpm, 0, 600);
    env.send(&[q], &[]).await;
    let (slot, _) = pending(&mut env).await[0];
    env.advance_time(TIMELOCK_SECS).await;
    let exchange_before = env.exchange().await;
    let config_before = env.market_header(BTC).await.config;

    let attempts = [
        ix::set_param(&a, Some(&market), ParamKey::PriceBandBps, 0, 300),
        ix::set_param(&a, None, ParamKey::TimelockSecs, 0, TIMELOCK_SECS * 2),
        ix::queue_param_change(&a, Some(&market), ParamKey::TakerFeePpm, 0, 2_000),
        ix::apply_param_change(&a, Some(&market), slot),
        ix::cancel_param_change(&a, slot),
        ix::set_market_status(&a, &market, MarketStatus::Paused),
        ix::set_exchange_pause(&a, pause::DEPOSITS),
    ];
    for i in attempts {
        env.send_tx_expect_error(&[i], &[&attacker], not_admin)
            .await;
    }
    let kp = Keypair::new();
    let cfg = btc_config(&env);
    let ixs = create_market_ixs(&mut env, &a, &kp, 8, cfg).await;
    env.send_tx_expect_error(&ixs, &[&attacker, &kp], not_admin)
        .await;
    assert!(env.chain.account(&kp.pubkey()).await.is_none());

    let ex = env.exchange().await;
    assert_eq!(ex.pending, exchange_before.pending);
    assert_eq!(ex.pause_flags, 0);
    assert_eq!(ex.timelock_secs, TIMELOCK_SECS);
    assert_eq!(ex.num_markets, exchange_before.num_markets);
    let h = env.market_header(BTC).await;
    assert_eq!(h.config, config_before);
    assert_eq!(h.status, MarketStatus::Active as u8);

    // The admin still can.
    env.send(&[ix::apply_param_change(&admin, Some(&market), slot)], &[])
        .await;
    assert_eq!(env.market_header(BTC).await.config.taker_fee_ppm, 600);
}

#[tokio::test]
async fn paused_new_markets_blocks_create_market() {
    let mut env = TestEnv::new().await;
    let admin = env.admin();
    env.send(&[ix::set_exchange_pause(&admin, pause::NEW_MARKETS)], &[])
        .await;
    let kp = Keypair::new();
    let cfg = btc_config(&env);
    let ixs = create_market_ixs(&mut env, &admin, &kp, 8, cfg).await;
    env.send_tx_expect_error(&ixs, &[&kp], code(E::ExchangePaused))
        .await;
    env.send(&[ix::set_exchange_pause(&admin, 0)], &[]).await;
    env.send(&ixs, &[&kp]).await;
}

#[tokio::test]
async fn pending_queue_is_bounded() {
    let mut env = TestEnv::new().await;
    let admin = env.admin();
    let market = env.market(BTC);
    let slots = env.exchange().await.pending.len();
    for i in 0..slots {
        let q = ix::queue_param_change(
            &admin,
            Some(&market),
            ParamKey::TakerFeePpm,
            0,
            600 + i as i64,
        );
        env.send(&[q], &[]).await;
    }
    assert_eq!(pending(&mut env).await.len(), slots);
    assert_eq!(env.exchange().await.change_seq, slots as u64);
    let q = ix::queue_param_change(&admin, Some(&market), ParamKey::TakerFeePpm, 0, 700);
    env.send_tx_expect_error(std::slice::from_ref(&q), &[], code(E::PendingChangesFull))
        .await;
    // Cancelling one frees its slot for the next change.
    env.send(&[ix::cancel_param_change(&admin, 3)], &[]).await;
    env.send(&[q], &[]).await;
    let p = pending(&mut env).await;
    assert_eq!(p.len(), slots);
    assert_eq!(p[3].1.value, 700);
}

#[tokio::test]
async fn exchange_cannot_be_initialized_twice() {
    let mut env = TestEnv::new().await;
    let before = env.exchange().await;
    let attacker = env.new_wallet().await;
    let mint = env.other_mint().await;
    let args = bulwark::instructions::InitializeExchangeArgs {
        pyth_program: Pubkey::new_unique(),
        pyth_receiver: Pubkey::new_unique(),
        timelock_secs: 60,
        bounds: before.bounds,
        treasury: Pubkey::new_unique(),
    };
    let i = ix::initialize_exchange(&attacker.pubkey(), &mint, args);
    // Anchor's `init` on the existing exchange PDA: the system program
    // refuses to allocate an account already in use (SystemError 0).
    env.send_tx_expect_error(&[i], &[&attacker], 0).await;
    let after = env.exchange().await;
    assert_eq!(after.admin, before.admin);
    assert_eq!(after.collateral_mint, before.collateral_mint);
    assert_eq!(after.pyth_program, before.pyth_program);
    assert_eq!(after.pyth_receiver, before.pyth_receiver);
    assert_eq!(after.timelock_secs, before.timelock_secs);
}
