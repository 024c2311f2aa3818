//! Deposits, withdrawals, seats, amounts and the pause gates.

use anchor_lang::prelude::Pubkey;
use bulwark::engine::book::Side::{Ask, Bid};
use bulwark::state::{pause, MarketStatus, Seat};
use bulwark_app::config::usd;
use bulwark_app::ix;
use bulwark_tests::{code, ioc, limit, BulwarkError as E, TestEnv, Trader, BTC, ETH};
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
    let eth = env.market(ETH);
    let seat = env.seat_ix(&eth, &t.key()).await;
    let w = ix::withdraw(&t.key(), &eth, seat, &t.token, usd(2_500.0));
    env.send_tx_expect_error(&[w], &[&t.kp], code(E::InsufficientFreeCollateral))
        .await;
}

#[tokio::test]
async fn withdraw_above_free_collateral_fails() {
    let mut env = TestEnv::new().await;
    let t = env.new_trader(1_000.0).await;
    env.deposit(&t, BTC, usd(1_000.0)).await;
    let market = env.market(BTC);
    let seat = env.seat_ix(&market, &t.key()).await;
    let w = ix::withdraw(&t.key(), &market, seat, &t.token, usd(1_000.0) + 1);
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
    let free = env.deposit_seat_ix(&market, &t.key()).await;
    let d = ix::deposit(&t.key(), &market, free, &t.token, 0);
    env.send_tx_expect_error(&[d], &[&t.kp], code(E::ZeroAmount))
        .await;
    env.deposit(&t, BTC, usd(100.0)).await;
    let seat = env.seat_ix(&market, &t.key()).await;
    let w = ix::withdraw(&t.key(), &market, seat, &t.token, 0);
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
    let free = env.deposit_seat_ix(&market, &t.key()).await;
    let d = ix::deposit(&t.key(), &market, free, &t.token, u64::MAX);
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
    let whale_seat = env.seat_ix(&market, &whale.key()).await;
    let d = ix::deposit(&whale.key(), &market, whale_seat, &whale.token, 1);
    env.send_tx_expect_error(&[d], &[&whale.kp], code(E::MathOverflow))
        .await;
    let free = env.deposit_seat_ix(&market, &t.key()).await;
    let d = ix::deposit(&t.key(), &market, free, &t.token, usd(10.0));
    env.send_tx_expect_error(&[d], &[&t.kp], code(E::MathOverflow))
        .await;
    assert_eq!(env.vault_balance(BTC).await, max);
}

#[tokio::test]
async fn release_seat_only_when_empty() {
    let mut env = TestEnv::new().await;
    let market = env.market(BTC);
    let t = env.new_trader(500.0).await;

    // No seat yet: the free seat it will claim is not its own, nor is an
    // index past the table.
    let free = env.deposit_seat_ix(&market, &t.key()).await;
    for seat in [free, u32::MAX] {
        let r = ix::release_seat(&t.key(), &market, seat);
        env.send_tx_expect_error(&[r], &[&t.kp], code(E::WrongSeatIndex))
            .await;
    }

    env.deposit(&t, BTC, usd(500.0)).await;
    assert_eq!(env.market_header(BTC).await.seats_used, 1);
    let seat = env.seat_ix(&market, &t.key()).await;
    assert_eq!(seat, free);
    let r = ix::release_seat(&t.key(), &market, seat);
    env.send_tx_expect_error(std::slice::from_ref(&r), &[&t.kp], code(E::SeatNotEmpty))
        .await;
    assert!(env.seat(BTC, &t.key()).await.is_some());

    // Someone else cannot release it either (it is not theirs).
    let other = env.new_trader(0.0).await;
    let market_before = env.raw_account(&market).await.data;
    let r_other = ix::release_seat(&other.key(), &market, seat);
    env.send_tx_expect_error(&[r_other], &[&other.kp], code(E::WrongSeatIndex))
        .await;
    assert_eq!(env.raw_account(&market).await.data, market_before);

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
    let cap = env.market_header(BTC).await.max_seats;
    // Each seat brings the 10 USD seat minimum (1 USD, the old figure, no
    // longer claims a seat).
    for _ in 0..cap {
        let t = env.new_trader(10.0).await;
        env.deposit(&t, BTC, usd(10.0)).await;
    }
    assert_eq!(env.market_header(BTC).await.seats_used, cap);
    let late = env.new_trader(10.0).await;
    let market = env.market(BTC);
    // No free seat to name: the client finds none, every index is taken and
    // the table cannot grow past max_seats.
    let data = env.raw_account(&market).await.data;
    assert_eq!(bulwark_app::client::deposit_seat(&data, &late.key()), None);
    for seat in [0, cap - 1] {
        let d = ix::deposit(&late.key(), &market, seat, &late.token, usd(10.0));
        env.send_tx_expect_error(&[d], &[&late.kp], code(E::SeatTaken))
            .await;
    }
    assert_eq!(env.market_header(BTC).await.seat_count, cap);
    let d = ix::deposit(&late.key(), &market, cap, &late.token, usd(10.0));
    env.send_tx_expect_error(&[d], &[&late.kp], code(E::SeatTableAtMax))
        .await;
    let d = ix::deposit(&late.key(), &market, cap + 1, &late.token, usd(10.0));
    env.send_tx_expect_error(&[d], &[&late.kp], code(E::WrongSeatIndex))
        .await;
    assert_eq!(env.raw_account(&market).await.data, data);
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
    let seat = env.seat_ix(&market, &t.key()).await;
    let d = ix::deposit(&t.key(), &market, seat, &t.token, usd(100.0));
    env.send_tx_expect_error(std::slice::from_ref(&d), &[&t.kp], code(E::ExchangePaused))
        .await;
    // A new trader cannot claim a seat while deposits are paused either.
    let u = env.new_trader(10.0).await;
    let free = env.deposit_seat_ix(&market, &u.key()).await;
    let du = ix::deposit(&u.key(), &market, free, &u.token, usd(10.0));
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

// ---- seats named by index ----

/// The market account's bytes, its vault's balance and the traders' token
/// balances: what a refused seat instruction must leave alone.
async fn untouched(env: &mut TestEnv, who: &[&Trader]) -> (Vec<u8>, u64, Vec<u64>) {
    let market = env.market(BTC);
    let data = env.raw_account(&market).await.data;
    let vault = env.vault_balance(BTC).await;
    let mut tokens = Vec::new();
    for t in who {
        tokens.push(env.token_balance(&t.token).await);
    }
    (data, vault, tokens)
}

/// The seat at `index` in BTC-PERP.
async fn seat_at(env: &mut TestEnv, index: u32) -> Seat {
    let market = env.market(BTC);
    env.with_market(&market, |m| m.seats[index as usize]).await
}

/// Every seat instruction `t` can sign, naming seat `seat` (`order_id`
/// and client id 5 for the cancels).
fn seat_instructions(t: &Trader, market: &Pubkey, seat: u32, order_id: u64) -> Vec<Instruction> {
    let key = t.key();
    vec![
        ix::withdraw(&key, market, seat, &t.token, 1),
        ix::withdraw(&key, market, seat, &t.token, usd(1_000.0)),
        ix::place_order(&key, market, seat, limit(Bid, 64_000.0, 1)),
        ix::place_order(&key, market, seat, ioc(Ask, 64_000.0, 1)),
        ix::cancel_order(&key, market, seat, order_id),
        ix::cancel_order_by_client_id(&key, market, seat, 5),
        ix::cancel_all_orders(&key, market, seat),
        ix::release_seat(&key, market, seat),
    ]
}

#[tokio::test]
async fn naming_another_traders_seat_fails_wrong_seat_index_and_changes_nothing() {
    let mut env = TestEnv::new().await;
    let a = env.funded_trader(BTC, 1_000.0).await;
    let b = env.funded_trader(BTC, 1_000.0).await;
    let market = env.market(BTC);
    // b has a resting bid (client id 5) that a cancel would remove; a has
    // one of its own.
    let mut p = limit(Bid, 64_000.0, 2);
    p.client_order_id = 5;
    let b_order = env.place(&b, BTC, p).await;
    env.place(&a, BTC, limit(Bid, 63_000.0, 1)).await;
    let a_seat = env.seat_ix(&market, &a.key()).await;
    let b_seat = env.seat_ix(&market, &b.key()).await;
    assert_ne!(a_seat, b_seat);
    let before = untouched(&mut env, &[&a, &b]).await;

    // a signs each of its seat instructions naming b's seat: withdraw,
    // place_order, the cancels (b's order by id and client id),
    // cancel_all_orders and release_seat.
    for i in seat_instructions(&a, &market, b_seat, b_order) {
        env.send_tx_expect_error(&[i], &[&a.kp], code(E::WrongSeatIndex))
            .await;
    }
    assert_eq!(untouched(&mut env, &[&a, &b]).await, before);
    assert_eq!(seat_at(&mut env, b_seat).await.num_orders, 1);

    // The index was the only fault: named right, a's own go through and
    // leave b's seat alone.
    let b_before = seat_at(&mut env, b_seat).await;
    env.send(
        &[ix::cancel_all_orders(&a.key(), &market, a_seat)],
        &[&a.kp],
    )
    .await;
    env.send(
        &[ix::withdraw(&a.key(), &market, a_seat, &a.token, 1)],
        &[&a.kp],
    )
    .await;
    assert_eq!(env.token_balance(&a.token).await, 1);
    assert_eq!(seat_at(&mut env, b_seat).await, b_before);
}

#[tokio::test]
async fn seat_index_past_the_table_fails_wrong_seat_index() {
    let mut env = TestEnv::new().await;
    let t = env.funded_trader(BTC, 1_000.0).await;
    let id = env.place(&t, BTC, limit(Bid, 64_000.0, 1)).await;
    let newcomer = env.new_trader(100.0).await;
    env.mint_collateral(&t.token, usd(100.0)).await;
    let market = env.market(BTC);
    let count = env.market_header(BTC).await.seat_count;
    let before = untouched(&mut env, &[&t, &newcomer]).await;

    // Index `seat_count` is where a deposit claims a new seat: for every
    // other instruction it is past the table.
    for seat in [count, count + 1, u32::MAX - 1, u32::MAX] {
        let mut ixs = seat_instructions(&t, &market, seat, id);
        if seat > count {
            ixs.push(ix::deposit(&t.key(), &market, seat, &t.token, usd(100.0)));
        }
        for i in ixs {
            env.send_tx_expect_error(&[i], &[&t.kp], code(E::WrongSeatIndex))
                .await;
        }
        // Nor can a deposit claim a seat past the end of the table.
        if seat > count {
            let d = ix::deposit(&newcomer.key(), &market, seat, &newcomer.token, usd(100.0));
            env.send_tx_expect_error(&[d], &[&newcomer.kp], code(E::WrongSeatIndex))
                .await;
        }
    }
    assert_eq!(untouched(&mut env, &[&t, &newcomer]).await, before);
    assert!(env.seat(BTC, &newcomer.key()).await.is_none());
}

#[tokio::test]
async fn deposit_naming_a_taken_seat_fails_and_a_free_index_is_claimed_exactly() {
    let mut env = TestEnv::new().await;
    let a = env.funded_trader(BTC, 1_000.0).await;
    let n = env.new_trader(300.0).await;
    env.mint_collateral(&a.token, usd(100.0)).await;
    let market = env.market(BTC);
    let a_seat = env.seat_ix(&market, &a.key()).await;
    assert_eq!(a_seat, 0);
    let before = untouched(&mut env, &[&a, &n]).await;

    // A newcomer naming a's seat.
    let d = ix::deposit(&n.key(), &market, a_seat, &n.token, usd(100.0));
    env.send_tx_expect_error(&[d], &[&n.kp], code(E::SeatTaken))
        .await;
    assert_eq!(untouched(&mut env, &[&a, &n]).await, before);
    assert!(env.seat(BTC, &n.key()).await.is_none());

    // The table holds no free seat: a new seat is claimed exactly at its
    // end (index seat_count), and the account grows by one seat, whose
    // rent the claimer pays. An index further on is refused.
    let h = env.market_header(BTC).await;
    let end = h.seat_count;
    assert_eq!((h.seats_used, end), (1, 1));
    let d = ix::deposit(&n.key(), &market, end + 1, &n.token, usd(100.0));
    env.send_tx_expect_error(&[d], &[&n.kp], code(E::WrongSeatIndex))
        .await;
    assert_eq!(untouched(&mut env, &[&a, &n]).await, before);
    let len = env.raw_account(&market).await.data.len();
    let lamports_before = env.raw_account(&n.key()).await.lamports;
    let d = ix::deposit(&n.key(), &market, end, &n.token, usd(100.0));
    env.send(&[d], &[&n.kp]).await;
    assert_eq!(env.seat_ix(&market, &n.key()).await, end);
    let s = seat_at(&mut env, end).await;
    assert_eq!((s.owner, s.collateral), (n.key(), usd(100.0) as i64));
    let acct = env.raw_account(&market).await;
    assert_eq!(acct.data.len(), len + 128);
    assert_eq!(
        acct.lamports,
        env.chain.rent_exempt(acct.data.len()).await,
        "the account stays exactly rent-exempt"
    );
    let rent = env.chain.rent_exempt(len + 128).await - env.chain.rent_exempt(len).await;
    assert_eq!(rent, 128 * 6_960);
    assert_eq!(
        lamports_before - env.raw_account(&n.key()).await.lamports,
        rent,
        "the claimer paid the seat's rent (the chain's payer the fee)"
    );
    assert_eq!(env.market_header(BTC).await.seats_used, 2);

    // a, which has a seat, naming n's: taken as well.
    let before = untouched(&mut env, &[&a, &n]).await;
    let d = ix::deposit(&a.key(), &market, end, &a.token, usd(100.0));
    env.send_tx_expect_error(&[d], &[&a.kp], code(E::SeatTaken))
        .await;
    assert_eq!(untouched(&mut env, &[&a, &n]).await, before);
}

#[tokio::test]
async fn one_wallet_may_hold_two_isolated_seats() {
    let mut env = TestEnv::new().await;
    let t = env.new_trader(3_000.0).await;
    let market = env.market(BTC);
    let i = env.deposit_seat_ix(&market, &t.key()).await;
    env.send(
        &[ix::deposit(&t.key(), &market, i, &t.token, usd(1_000.0))],
        &[&t.kp],
    )
    .await;
    // A second seat: the next one at the end of the table.
    let j = env.market_header(BTC).await.seat_count;
    assert_ne!(i, j);
    env.send(
        &[ix::deposit(&t.key(), &market, j, &t.token, usd(2_000.0))],
        &[&t.kp],
    )
    .await;
    let h = env.market_header(BTC).await;
    assert_eq!(h.seats_used, 2);
    assert_eq!(h.state.total_collateral, usd(3_000.0) as i64);
    let (si, sj) = (seat_at(&mut env, i).await, seat_at(&mut env, j).await);
    assert_eq!((si.owner, si.collateral), (t.key(), usd(1_000.0) as i64));
    assert_eq!((sj.owner, sj.collateral), (t.key(), usd(2_000.0) as i64));

    // A withdrawal from j leaves i alone.
    env.send(
        &[ix::withdraw(&t.key(), &market, j, &t.token, usd(500.0))],
        &[&t.kp],
    )
    .await;
    assert_eq!(seat_at(&mut env, i).await, si);
    assert_eq!(seat_at(&mut env, j).await.collateral, usd(1_500.0) as i64);
    assert_eq!(env.token_balance(&t.token).await, usd(500.0));
    // i cannot draw on j's collateral.
    let w = ix::withdraw(&t.key(), &market, i, &t.token, usd(1_000.0) + 1);
    env.send_tx_expect_error(&[w], &[&t.kp], code(E::InsufficientFreeCollateral))
        .await;

    // An order rests in j only; cancelling all of i's leaves it.
    let p = ix::place_order(&t.key(), &market, j, limit(Bid, 64_000.0, 3));
    env.send(&[p], &[&t.kp]).await;
    assert_eq!(seat_at(&mut env, j).await.num_orders, 1);
    assert_eq!(seat_at(&mut env, i).await, si);
    env.send(&[ix::cancel_all_orders(&t.key(), &market, i)], &[&t.kp])
        .await;
    assert_eq!(env.book(BTC).await.0.len(), 1);
    assert_eq!(env.book(BTC).await.0[0].seat, j);

    // i emptied and released; j keeps its collateral and order, and,
    // the last seat of the table, moves into i's index (swap-remove).
    let sj = seat_at(&mut env, j).await;
    env.send(
        &[ix::withdraw(&t.key(), &market, i, &t.token, usd(1_000.0))],
        &[&t.kp],
    )
    .await;
    env.send(&[ix::release_seat(&t.key(), &market, i)], &[&t.kp])
        .await;
    assert_eq!((i, j), (0, 1));
    assert_eq!(seat_at(&mut env, i).await, sj);
    let h = env.market_header(BTC).await;
    assert_eq!((h.seats_used, h.seat_count), (1, 1));
    assert_eq!(env.seat_ix(&market, &t.key()).await, i);
    assert_eq!(env.book(BTC).await.0[0].seat, i);
    assert_eq!(env.token_balance(&t.token).await, usd(1_500.0));
}

#[tokio::test]
async fn liquidate_naming_a_wrong_keeper_seat_fails_wrong_seat_index() {
    let mut env = TestEnv::new().await;
    // A long of 1 000 lots (6 500 USD) at 65 000 on 1 000 USD; the short
    // was the maker.
    let long = env.funded_trader(BTC, 1_000.0).await;
    let short = env.funded_trader(BTC, 1_000.0).await;
    env.place(&short, BTC, limit(Ask, 65_000.0, 1_000)).await;
    env.place(&long, BTC, ioc(Bid, 65_000.0, 1_000)).await;
    let keeper = env.funded_trader(BTC, 10_000.0).await;
    let market = env.market(BTC);
    // At 55 500 the long has lost 950 USD: about 46.75 USD of equity
    // against a 55.50 USD maintenance margin. The short rests a bid the
    // liquidation can close into.
    env.set_market_price(BTC, 55_500.0).await;
    env.refresh(BTC).await;
    env.place(&short, BTC, limit(Bid, 55_500.0, 1_000)).await;
    let long_seat = env.seat_ix(&market, &long.key()).await;
    let short_seat = env.seat_ix(&market, &short.key()).await;
    let keeper_seat = env.seat_ix(&market, &keeper.key()).await;
    let free_seat = env.deposit_seat_ix(&market, &Pubkey::new_unique()).await;
    let cap = env.market_header(BTC).await.seat_count;
    let before = untouched(&mut env, &[&long, &short, &keeper]).await;

    // The trader's own seat, another trader's, a free one, and indices past
    // the table (u32::MAX is "no seat", so not among them).
    for wrong in [long_seat, short_seat, free_seat, cap, u32::MAX - 1] {
        let liq = ix::liquidate(&keeper.key(), &market, &long.key(), long_seat, Some(wrong));
        env.send_tx_expect_error(&[liq], &[&keeper.kp], code(E::WrongSeatIndex))
            .await;
    }
    // Naming the keeper's seat as the trader's is refused the same way.
    let liq = ix::liquidate(
        &keeper.key(),
        &market,
        &long.key(),
        keeper_seat,
        Some(keeper_seat),
    );
    env.send_tx_expect_error(&[liq], &[&keeper.kp], code(E::WrongSeatIndex))
        .await;
    assert_eq!(untouched(&mut env, &[&long, &short, &keeper]).await, before);

    // With its own seat named the keeper liquidates and is paid there.
    let k0 = env.seat_of(BTC, &keeper.key()).await.collateral;
    let liq = ix::liquidate(
        &keeper.key(),
        &market,
        &long.key(),
        long_seat,
        Some(keeper_seat),
    );
    env.send(&[liq], &[&keeper.kp]).await;
    assert!(env.seat_of(BTC, &long.key()).await.base_lots < 1_000);
    assert!(env.seat_of(BTC, &keeper.key()).await.collateral > k0);
}
