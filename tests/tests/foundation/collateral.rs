//! Deposits, withdrawals, seats, amounts and the pause gates.

use bulwark::state::{pause, MarketStatus};
use bulwark_app::config::usd;
use bulwark_app::ix;
use bulwark_tests::{code, BulwarkError as E, TestEnv, BTC, ETH};
use solana_instruction::Instruction;

#[tokio::test]
async fn deposit_and_withdraw_move_real_tokens() {
    let mut env = TestEnv::new().await;
    let t = env.new_trader(10_000.0).await;
    assert_eq!(env.token_balance(&t.token).await, usd(10_000.0));
    assert_eq!(env.vault_balance(BTC).await, 0);
    assert!(env.seat(BTC, &t.key()).await.is_none());

    env.deposit(&t, BTC, usd(4_000.0)).await;
    assert_eq!(env.token_balance(&t.token).await, usd(6_000.0));
    assert_eq!(env.vault_balance(BTC).await, usd(4_000.0));
    assert_eq!(
        env.seat_collateral(BTC, &t.key()).await,
        usd(4_000.0) as i64
    );
    let h = env.market_header(BTC).await;
    assert_eq!(h.seats_used, 1);
    assert_eq!(h.state.total_collateral, usd(4_000.0) as i64);
    assert_eq!(h.state.total_deposits, usd(4_000.0));

    // A second deposit lands in the same seat.
    env.deposit(&t, BTC, usd(1_000.0)).await;
    assert_eq!(env.token_balance(&t.token).await, usd(5_000.0));
    assert_eq!(env.vault_balance(BTC).await, usd(5_000.0));
    assert_eq!(
        env.seat_collateral(BTC, &t.key()).await,
        usd(5_000.0) as i64
    );
    assert_eq!(env.market_header(BTC).await.seats_used, 1);

    // A second trader gets its own seat; the vault holds both.
    let u = env.new_trader(2_000.0).await;
    env.deposit(&u, BTC, usd(2_000.0)).await;
    assert_eq!(env.token_balance(&u.token).await, 0);
    assert_eq!(env.vault_balance(BTC).await, usd(7_000.0));
    assert_eq!(
        env.seat_collateral(BTC, &u.key()).await,
        usd(2_000.0) as i64
    );
    assert_eq!(env.market_header(BTC).await.seats_used, 2);

    env.withdraw(&t, BTC, usd(1_500.0)).await;
    assert_eq!(env.token_balance(&t.token).await, usd(6_500.0));
    assert_eq!(env.vault_balance(BTC).await, usd(5_500.0));
    assert_eq!(
        env.seat_collateral(BTC, &t.key()).await,
        usd(3_500.0) as i64
    );

    // Everything out: the seat stays, empty.
    env.withdraw(&t, BTC, usd(3_500.0)).await;
    assert_eq!(env.token_balance(&t.token).await, usd(10_000.0));
    assert_eq!(env.vault_balance(BTC).await, usd(2_000.0));
    assert_eq!(env.seat_collateral(BTC, &t.key()).await, 0);
    assert!(env.seat(BTC, &t.key()).await.is_some());
    let h = env.market_header(BTC).await;
    assert_eq!(h.state.total_withdrawals, usd(5_000.0));
    assert_eq!(h.state.total_collateral, usd(2_000.0) as i64);
    // The other market's vault was never touched.
    assert_eq!(env.vault_balance(ETH).await, 0);
}

#[tokio::test]
async fn seats_are_per_market() {
    let mut env = TestEnv::new().await;
    let t = env.new_trader(3_000.0).await;
    env.deposit(&t, BTC, usd(1_000.0)).await;
    env.deposit(&t, ETH, usd(2_000.0)).await;
    assert_eq!(
        env.seat_collateral(BTC, &t.key()).await,
        usd(1_000.0) as i64
    );
    assert_eq!(
        env.seat_collateral(ETH, &t.key()).await,
        usd(2_000.0) as i64
    );
    assert_eq!(env.vault_balance(BTC).await, usd(1_000.0));
    assert_eq!(env.vault_balance(ETH).await, usd(2_000.0));
    // Collateral isolated in BTC cannot leave through ETH.
    let w = ix::withdraw(&t.key(), &env.market(ETH), &t.token, usd(2_500.0));
    env.send_tx_expect_error(&[w], &[&t.kp], code(E::InsufficientFreeCollateral))
        .await;
}

#[tokio::test]
async fn withdraw_above_free_collateral_fails() {
    let mut env = TestEnv::new().await;
    let t = env.new_trader(1_000.0).await;
    env.deposit(&t, BTC, usd(1_000.0)).await;
    let w = ix::withdraw(&t.key(), &env.market(BTC), &t.token, usd(1_000.0) + 1);
    env.send_tx_expect_error(&[w], &[&t.kp], code(E::InsufficientFreeCollateral))
        .await;
    assert_eq!(env.token_balance(&t.token).await, 0);
    assert_eq!(env.vault_balance(BTC).await, usd(1_000.0));
    // Exactly the collateral is fine.
    env.withdraw(&t, BTC, usd(1_000.0)).await;
    assert_eq!(env.token_balance(&t.token).await, usd(1_000.0));
}

#[tokio::test]
async fn zero_amounts_are_rejected() {
    let mut env = TestEnv::new().await;
    let t = env.new_trader(100.0).await;
    let market = env.market(BTC);
    let d = ix::deposit(&t.key(), &market, &t.token, 0);
    env.send_tx_expect_error(&[d], &[&t.kp], code(E::ZeroAmount))
        .await;
    env.deposit(&t, BTC, usd(100.0)).await;
    let w = ix::withdraw(&t.key(), &market, &t.token, 0);
    env.send_tx_expect_error(&[w], &[&t.kp], code(E::ZeroAmount))
        .await;
    assert_eq!(env.seat_collateral(BTC, &t.key()).await, usd(100.0) as i64);
}

#[tokio::test]
async fn deposit_overflow_is_rejected() {
    let mut env = TestEnv::new().await;
    let market = env.market(BTC);
    // u64::MAX does not fit the i64 collateral: rejected before any transfer.
    // (t's deposits claim a new seat, so they bring the 10 USD seat minimum.)
    let t = env.new_trader(10.0).await;
    let d = ix::deposit(&t.key(), &market, &t.token, u64::MAX);
    env.send_tx_expect_error(&[d], &[&t.kp], code(E::MathOverflow))
        .await;
    assert!(env.seat(BTC, &t.key()).await.is_none());
    assert_eq!(env.token_balance(&t.token).await, usd(10.0));

    // A seat at i64::MAX cannot take one more atom, and neither can the
    // market's total through another seat.
    let max = i64::MAX as u64;
    let whale = env.new_trader_atoms(max).await;
    env.deposit(&whale, BTC, max).await;
    assert_eq!(env.seat_collateral(BTC, &whale.key()).await, i64::MAX);
    env.mint_collateral(&whale.token, 1).await;
    let d = ix::deposit(&whale.key(), &market, &whale.token, 1);
    env.send_tx_expect_error(&[d], &[&whale.kp], code(E::MathOverflow))
        .await;
    let d = ix::deposit(&t.key(), &market, &t.token, usd(10.0));
    env.send_tx_expect_error(&[d], &[&t.kp], code(E::MathOverflow))
        .await;
    assert_eq!(env.vault_balance(BTC).await, max);
}

#[tokio::test]
async fn release_seat_only_when_empty() {
    let mut env = TestEnv::new().await;
    let market = env.market(BTC);
    let t = env.new_trader(500.0).await;

    // No seat yet.
    let r = ix::release_seat(&t.key(), &market);
    env.send_tx_expect_error(std::slice::from_ref(&r), &[&t.kp], code(E::SeatNotFound))
        .await;

    env.deposit(&t, BTC, usd(500.0)).await;
    assert_eq!(env.market_header(BTC).await.seats_used, 1);
    env.send_tx_expect_error(std::slice::from_ref(&r), &[&t.kp], code(E::SeatNotEmpty))
        .await;
    assert!(env.seat(BTC, &t.key()).await.is_some());

    // Someone else cannot release it either (it is not theirs).
    let other = env.new_trader(0.0).await;
    let r_other = ix::release_seat(&other.key(), &market);
    env.send_tx_expect_error(&[r_other], &[&other.kp], code(E::SeatNotFound))
        .await;

    env.withdraw(&t, BTC, usd(500.0)).await;
    env.send(std::slice::from_ref(&r), &[&t.kp]).await;
    assert!(env.seat(BTC, &t.key()).await.is_none());
    assert_eq!(env.market_header(BTC).await.seats_used, 0);
    assert_eq!(env.token_balance(&t.token).await, usd(500.0));

    // The trader can come back and claim a seat again.
    env.deposit(&t, BTC, usd(200.0)).await;
    assert_eq!(env.seat_collateral(BTC, &t.key()).await, usd(200.0) as i64);
    assert_eq!(env.market_header(BTC).await.seats_used, 1);
}

#[tokio::test]
async fn seat_table_full() {
    let mut env = TestEnv::new().await;
    let cap = env.market_header(BTC).await.seat_capacity;
    // Each seat brings the 10 USD seat minimum (1 USD, the old figure, no
    // longer claims a seat).
    for _ in 0..cap {
        let t = env.new_trader(10.0).await;
        env.deposit(&t, BTC, usd(10.0)).await;
    }
    assert_eq!(env.market_header(BTC).await.seats_used, cap);
    let late = env.new_trader(10.0).await;
    let d = ix::deposit(&late.key(), &env.market(BTC), &late.token, usd(10.0));
    env.send_tx_expect_error(&[d], &[&late.kp], code(E::SeatTableFull))
        .await;
    assert_eq!(env.token_balance(&late.token).await, usd(10.0));
}

#[tokio::test]
async fn pausing_deposits_never_blocks_withdrawals() {
    let mut env = TestEnv::new().await;
    let admin = env.admin();
    let market = env.market(BTC);
    let t = env.new_trader(1_000.0).await;
    env.deposit(&t, BTC, usd(600.0)).await;

    env.send(&[ix::set_exchange_pause(&admin, pause::DEPOSITS)], &[])
        .await;
    assert_eq!(env.exchange().await.pause_flags, pause::DEPOSITS);
    let d = ix::deposit(&t.key(), &market, &t.token, usd(100.0));
    env.send_tx_expect_error(std::slice::from_ref(&d), &[&t.kp], code(E::ExchangePaused))
        .await;
    // A new trader cannot claim a seat while deposits are paused either.
    let u = env.new_trader(10.0).await;
    let du = ix::deposit(&u.key(), &market, &u.token, usd(10.0));
    env.send_tx_expect_error(&[du], &[&u.kp], code(E::ExchangePaused))
        .await;
    assert!(env.seat(BTC, &u.key()).await.is_none());

    // Withdrawals still work.
    env.withdraw(&t, BTC, usd(250.0)).await;
    assert_eq!(env.token_balance(&t.token).await, usd(650.0));
    assert_eq!(env.seat_collateral(BTC, &t.key()).await, usd(350.0) as i64);

    // Every flag at once still leaves withdrawals open.
    env.send(&[ix::set_exchange_pause(&admin, pause::ALL)], &[])
        .await;
    env.withdraw(&t, BTC, usd(50.0)).await;

    env.send(&[ix::set_exchange_pause(&admin, 0)], &[]).await;
    assert_eq!(env.exchange().await.pause_flags, 0);
    env.send(&[d], &[&t.kp]).await;
    assert_eq!(env.seat_collateral(BTC, &t.key()).await, usd(400.0) as i64);
}

#[tokio::test]
async fn unknown_pause_flags_are_rejected() {
    let mut env = TestEnv::new().await;
    let admin = env.admin();
    let p = ix::set_exchange_pause(&admin, 0x80);
    env.send_tx_expect_error(&[p], &[], code(E::InvalidPauseFlags))
        .await;
    assert_eq!(env.exchange().await.pause_flags, 0);
}

#[tokio::test]
async fn admin_sets_market_status() {
    let mut env = TestEnv::new().await;
    let admin = env.admin();
    let market = env.market(BTC);
    assert_eq!(
        env.market_header(BTC).await.status,
        MarketStatus::Active as u8
    );
    for s in [
        MarketStatus::Paused,
        MarketStatus::ReduceOnly,
        MarketStatus::Active,
    ] {
        env.send(&[ix::set_market_status(&admin, &market, s)], &[])
            .await;
        assert_eq!(env.market_header(BTC).await.status, s as u8);
    }
    // The other market is untouched.
    env.send(
        &[ix::set_market_status(&admin, &market, MarketStatus::Paused)],
        &[],
    )
    .await;
    assert_eq!(
        env.market_header(ETH).await.status,
        MarketStatus::Active as u8
    );

    // Deposits and withdrawals stay open in a paused market.
    let t = env.new_trader(100.0).await;
    env.deposit(&t, BTC, usd(100.0)).await;
    env.withdraw(&t, BTC, usd(100.0)).await;
    assert_eq!(env.token_balance(&t.token).await, usd(100.0));

    // A status value that does not exist.
    let bad = with_last_data_byte(
        ix::set_market_status(&admin, &market, MarketStatus::Active),
        7,
    );
    env.send_tx_expect_error(&[bad], &[], code(E::InvalidMarketStatus))
        .await;
    assert_eq!(
        env.market_header(BTC).await.status,
        MarketStatus::Paused as u8
    );
}

/// `set_market_status` takes one u8 argument: the last data byte.
fn with_last_data_byte(mut ix: Instruction, b: u8) -> Instruction {
    *ix.data.last_mut().expect("instruction data") = b;
    ix
}
