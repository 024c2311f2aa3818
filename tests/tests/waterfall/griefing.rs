//! Issue 10, "a dust spammer cannot stop the waterfall", through real
//! transactions: seat squatting (a seat costs `min_seat_collateral`; dust
//! seats are evicted by anyone, their collateral back to the owner),
//! keepers locked out (a keeper with no seat liquidates and is paid in its
//! token account), book squatting (`min_order_notional`; a better order
//! evicts the worst of a full side) and the liquidation compute wall (at
//! most `MAX_LIQUIDATION_MAKERS` resting orders per call; the next call
//! continues). Each attack was first run against the old program and seen
//! to succeed.

use crate::common::*;
use bulwark::engine::book::{reserved_quote, Side::Bid};
use bulwark::engine::liquidation::MAX_LIQUIDATION_MAKERS;
use bulwark::state::{KeeperFeePaid, LiquidationEvent, LiquidationWalkBounded};
use bulwark_app::config::usd;
use bulwark_app::ix;
use bulwark_tests::{anchor_code, code, limit, BulwarkError as E, TestEnv};

/// The base waterfall market with its seat table, book side and the two
/// minimums (USD) written out.
async fn env_with(seats: u32, book: u32, min_seat_usd: f64, min_order_usd: f64) -> TestEnv {
    let toml = MarketToml {
        max_seats: seats,
        book_capacity: book,
        ..MarketToml::base()
    }
    .toml()
    .replace(
        "waterfall_mode = \"adl\"\n",
        &format!(
            "waterfall_mode = \"adl\"\nmin_seat_collateral_usd = {min_seat_usd}\n\
             min_order_notional_usd = {min_order_usd}\n"
        ),
    );
    TestEnv::with_config(&toml).await
}

/// Seat squat: dust seats cannot be claimed; old dust seats (withdrawn
/// below the minimum) fill the table, and anyone evicts one — exactly its
/// collateral back to its owner — so the new trader gets in.
#[tokio::test]
async fn seat_squat_is_refused_and_dust_seats_are_evicted() {
    let mut env = env_with(4, 16, 10.0, 1.0).await;
    let market = env.market(MKT);
    let h = env.market_header(MKT).await;
    assert_eq!(h.config.min_seat_collateral, usd(10.0));
    // A 1-atom deposit no longer claims a seat (on the old program it did).
    let dust = env.new_trader_atoms(1).await;
    let free = env.deposit_seat_ix(&market, &dust.key()).await;
    assert_eq!(free, 0);
    let dep = ix::deposit(&dust.key(), &market, free, &dust.token, 1);
    env.send_tx_expect_error(&[dep], &[&dust.kp], code(E::SeatCollateralTooSmall))
        .await;
    let dep = ix::deposit(&dust.key(), &market, free, &dust.token, usd(10.0) - 1);
    env.send_tx_expect_error(&[dep], &[&dust.kp], code(E::SeatCollateralTooSmall))
        .await;
    assert_eq!(env.market_header(MKT).await.seats_used, 0);
    // Four squatters pay the minimum, then withdraw all but one atom.
    let mut squatters = Vec::new();
    for _ in 0..4 {
        let s = env.funded_trader(MKT, 10.0).await;
        env.withdraw(&s, MKT, usd(10.0) - 1).await;
        assert_eq!(env.token_balance(&s.token).await, usd(10.0) - 1);
        squatters.push(s);
    }
    assert_eq!(env.market_header(MKT).await.seats_used, 4);
    // The table is full: the deposit names a seat index, and every one of
    // the four is taken (the newcomer can claim none of them).
    let newcomer = env.new_trader(10.0).await;
    for i in 0..4u32 {
        let dep = ix::deposit(&newcomer.key(), &market, i, &newcomer.token, usd(10.0));
        env.send_tx_expect_error(&[dep], &[&newcomer.kp], code(E::SeatTaken))
            .await;
    }
    // Nor can the table grow past its max_seats (4), nor an index skip
    // its end.
    let past = ix::deposit(&newcomer.key(), &market, 4, &newcomer.token, usd(10.0));
    env.send_tx_expect_error(&[past], &[&newcomer.kp], code(E::SeatTableAtMax))
        .await;
    let past = ix::deposit(&newcomer.key(), &market, 5, &newcomer.token, usd(10.0));
    env.send_tx_expect_error(&[past], &[&newcomer.kp], code(E::WrongSeatIndex))
        .await;
    assert_eq!(env.market_header(MKT).await.seats_used, 4);
    // Anyone evicts squatter 0 (seat 0); the owner's token account must be
    // its own and of the collateral mint.
    let by = env.new_trader(0.0).await;
    let s0 = &squatters[0];
    let s0_seat = env.seat_ix(&market, &s0.key()).await;
    assert_eq!(s0_seat, 0);
    let wrong_owner = ix::evict_seat(&by.key(), &market, &s0.key(), s0_seat, &by.token);
    env.send_tx_expect_error(
        &[wrong_owner],
        &[&by.kp],
        anchor_code(anchor_lang::error::ErrorCode::ConstraintTokenOwner),
    )
    .await;
    let other = env.other_mint().await;
    let other_token = env.token_account(&other, &s0.key()).await;
    let wrong_mint = ix::evict_seat(&by.key(), &market, &s0.key(), s0_seat, &other_token);
    env.send_tx_expect_error(&[wrong_mint], &[&by.kp], code(E::WrongMint))
        .await;
    let vault0 = env.vault_balance(MKT).await;
    let sol0 = env.raw_account(&s0.key()).await.lamports;
    let evict = ix::evict_seat(&by.key(), &market, &s0.key(), s0_seat, &s0.token);
    env.send(&[evict], &[&by.kp]).await;
    // Exactly the 1 atom back: the squatter ends with all 10 USD, and the
    // seat's rent (128 bytes) goes back to its wallet.
    assert_eq!(env.token_balance(&s0.token).await, usd(10.0));
    assert_eq!(env.vault_balance(MKT).await, vault0 - 1);
    assert_eq!(
        env.raw_account(&s0.key()).await.lamports - sol0,
        128 * 6_960
    );
    assert!(env.seat(MKT, &s0.key()).await.is_none());
    let h = env.market_header(MKT).await;
    assert_eq!((h.seats_used, h.seat_count), (3, 3));
    // The last squatter moved into the freed index (swap-remove).
    assert_eq!(env.seat_ix(&market, &squatters[3].key()).await, s0_seat);
    // The newcomer gets a seat: the one the table grows by again.
    let free = env.deposit_seat_ix(&market, &newcomer.key()).await;
    assert_eq!(free, 3);
    let dep = ix::deposit(&newcomer.key(), &market, free, &newcomer.token, usd(10.0));
    env.send(&[dep], &[&newcomer.kp]).await;
    assert_eq!(
        env.seat_collateral(MKT, &newcomer.key()).await,
        usd(10.0) as i64
    );
    assert_eq!(env.seat_ix(&market, &newcomer.key()).await, free);
    // A seat at the minimum is not evictable; nor is a seat named for an
    // owner that no longer holds it (s0's old index, now squatter 3's):
    // refused, and nothing changes.
    let at_min = ix::evict_seat(&by.key(), &market, &newcomer.key(), free, &newcomer.token);
    env.send_tx_expect_error(&[at_min], &[&by.kp], code(E::SeatNotEvictable))
        .await;
    let before = env.chain.account_data(&market).await;
    let gone = ix::evict_seat(&by.key(), &market, &s0.key(), s0_seat, &s0.token);
    env.send_tx_expect_error(&[gone], &[&by.kp], code(E::WrongSeatIndex))
        .await;
    assert_eq!(env.chain.account_data(&market).await, before);
    assert_eq!(env.token_balance(&s0.token).await, usd(10.0));
}

/// Keeper locked out: a keeper with no seat liquidates (on the old program:
/// SeatNotFound; it now names no seat) and is paid its fee share in its token account — exactly
/// 23.5 USD, moved out of the market vault.
#[tokio::test]
async fn keeper_without_a_seat_liquidates_and_is_paid_in_its_account() {
    let mut env = MarketToml::base().env().await;
    let market = env.market(MKT);
    let a = env.funded_trader(MKT, 1_000.0).await;
    let b = env.funded_trader(MKT, 20_000.0).await;
    let c = env.funded_trader(MKT, 100_000.0).await;
    let k = env.new_trader(0.0).await;
    let stranger = env.new_trader(0.0).await;
    trade(&mut env, &a, &b, 100.0, 15_000).await;
    move_price(&mut env, 94.0).await;
    env.place(&c, MKT, limit(Bid, 93.9, 5_000)).await;
    let a_seat = env.seat_ix(&market, &a.key()).await;
    let c_seat = env.seat_ix(&market, &c.key()).await;
    // Someone else's token account is refused; a takeover needs a seat of
    // the keeper's own: naming another's (C's, with room for the position)
    // is refused and changes nothing.
    let bad = ix::liquidate_to(
        &k.key(),
        &market,
        &a.key(),
        a_seat,
        None,
        Some(stranger.token),
    );
    env.send_tx_expect_error(&[bad], &[&k.kp], code(E::WrongKeeperAccount))
        .await;
    let before = env.chain.account_data(&market).await;
    let take = ix::takeover(&k.key(), &market, &a.key(), a_seat, c_seat);
    env.send_tx_expect_error(&[take], &[&k.kp], code(E::WrongSeatIndex))
        .await;
    // Nor may a keeper have its fee share paid into another's seat.
    let into_c = ix::liquidate_to(
        &k.key(),
        &market,
        &a.key(),
        a_seat,
        Some(c_seat),
        Some(k.token),
    );
    env.send_tx_expect_error(&[into_c], &[&k.kp], code(E::WrongSeatIndex))
        .await;
    assert_eq!(env.chain.account_data(&market).await, before);
    let vault0 = env.vault_balance(MKT).await;
    let liq = ix::liquidate_to(&k.key(), &market, &a.key(), a_seat, None, Some(k.token));
    let ev = send_events(&mut env, &[liq], &[&k.kp]).await;
    let e: LiquidationEvent = one(&ev);
    // As `book_liquidation_then_takeover_then_fee_sweep`: 5 000 lots close
    // at 93.9, fee 47 USD, 23.5 to the keeper, 23.5 to the fund.
    assert_eq!(e.closed_lots, 5_000);
    assert_eq!(
        (e.fee, e.keeper_fee, e.insurance_fee),
        (usd(47.0), 23_500_000, 23_500_000)
    );
    let p: KeeperFeePaid = one(&ev);
    assert_eq!((p.keeper, p.to, p.amount), (k.key(), k.token, 23_500_000));
    assert_eq!(env.token_balance(&k.token).await, 23_500_000);
    assert_eq!(env.vault_balance(MKT).await, vault0 - 23_500_000);
    assert!(env.seat(MKT, &k.key()).await.is_none());
    let h = env.market_header(MKT).await;
    assert_eq!(h.waterfall.unswept_liquidation_fees, 23_500_000);

    // No seat and no account: the keeper's share stays with the fund's.
    // The rest of A (10 000 lots) closes against a new bid at 93.6 (above
    // the bankruptcy price 93.52): fee = 1 % × 100 × 94 = 94 USD, capped by
    // what A has left, 648 + 100 × 93.6 − 10 000 = 8 USD.
    env.place(&c, MKT, limit(Bid, 93.6, 10_000)).await;
    let liq = ix::liquidate(&k.key(), &market, &a.key(), a_seat, None);
    let ev = send_events(&mut env, &[liq], &[&k.kp]).await;
    let e: LiquidationEvent = one(&ev);
    assert_eq!(e.closed_lots, 10_000);
    assert_eq!(
        (e.fee, e.keeper_fee, e.insurance_fee),
        (usd(8.0), 0, usd(8.0))
    );
    let p: KeeperFeePaid = one(&ev);
    assert_eq!(
        (p.to, p.amount),
        (anchor_lang::prelude::Pubkey::default(), 0)
    );
    assert_eq!(env.token_balance(&k.token).await, 23_500_000);
    let h = env.market_header(MKT).await;
    assert_eq!(h.waterfall.unswept_liquidation_fees, 23_500_000 + e.fee);
}

/// Book squat: dust orders are refused; a side full of small orders takes
/// a better order by evicting the worst (on the old program: BookFull),
/// releasing exactly that order's reservation.
#[tokio::test]
async fn book_squat_better_order_evicts_the_worst() {
    let mut env = env_with(16, 8, 10.0, 1.0).await;
    let s1 = env.funded_trader(MKT, 1_000.0).await;
    let s2 = env.funded_trader(MKT, 1_000.0).await;
    let h = env.funded_trader(MKT, 1_000.0).await;
    // 1 lot at 96 = 0.96 USD < 1 USD.
    env.place_fails(
        &s1,
        MKT,
        limit(Bid, 96.0, 1),
        code(E::OrderNotionalTooSmall),
    )
    .await;
    // Two squatters fill the bid side with 2-lot bids (1.90–1.92 USD).
    for i in 0..8 {
        let s = if i % 2 == 0 { &s1 } else { &s2 };
        env.place(s, MKT, limit(Bid, 95.1 + 0.01 * i as f64, 2))
            .await;
    }
    // Equal to the worst: still refused.
    env.place_fails(&h, MKT, limit(Bid, 95.1, 20), code(E::BookFull))
        .await;
    let before = env.seat_of(MKT, &s1.key()).await;
    let id = env.place(&h, MKT, limit(Bid, 96.0, 20)).await;
    assert!(id > 0, "the better bid rests");
    let after = env.seat_of(MKT, &s1.key()).await;
    // The 95.10 bid (s1's, 2 lots) was evicted: 2 × 95.1 / 100 = 1.902 USD.
    assert_eq!(reserved_quote(usd(95.1), 2, 100).unwrap(), 1_902_000);
    assert_eq!(before.open_bid_quote - after.open_bid_quote, 1_902_000);
    assert_eq!(before.open_bid_lots - after.open_bid_lots, 2);
    assert_eq!((before.num_orders, after.num_orders), (4, 3));
    let (bids, _) = env.book(MKT).await;
    assert_eq!(bids.len(), 8);
    assert_eq!(bids[0].price, usd(95.11));
    assert_eq!(bids[7].price, usd(96.0));
}

/// Liquidation compute wall: 40 one-lot bids above the real depth. Each
/// call walks at most 32 of them; the seat stays liquidatable and the next
/// call continues (on the old program one call walked all 40).
#[tokio::test]
async fn liquidation_walks_a_wall_in_bounded_steps() {
    let mut env = env_with(16, 64, 10.0, 0.5).await;
    let market = env.market(MKT);
    let a = env.funded_trader(MKT, 1_000.0).await;
    let b = env.funded_trader(MKT, 20_000.0).await;
    let w = env.funded_trader(MKT, 10_000.0).await;
    let c = env.funded_trader(MKT, 100_000.0).await;
    let k = env.funded_trader(MKT, 1_000.0).await;
    trade(&mut env, &a, &b, 100.0, 15_000).await;
    move_price(&mut env, 94.0).await;
    for _ in 0..40 {
        env.place(&w, MKT, limit(Bid, 93.9, 1)).await;
    }
    env.place(&c, MKT, limit(Bid, 93.5, 20_000)).await;
    let a_seat = env.seat_ix(&market, &a.key()).await;
    let k_seat = env.seat_ix(&market, &k.key()).await;
    let liq = ix::liquidate(&k.key(), &market, &a.key(), a_seat, Some(k_seat));
    let ev = send_events(&mut env, std::slice::from_ref(&liq), &[&k.kp]).await;
    let e: LiquidationEvent = one(&ev);
    assert_eq!(MAX_LIQUIDATION_MAKERS, 32);
    assert_eq!((e.target_lots, e.closed_lots), (15_000, 32));
    // Fee 1 % × 0.32 × 94 = 0.3008 USD, half to the keeper's seat.
    assert_eq!((e.fee, e.keeper_fee), (300_800, 150_400));
    let wb: LiquidationWalkBounded = one(&ev);
    assert_eq!((wb.makers, wb.lots_left), (32, 15_000 - 32));
    assert_eq!(env.book(MKT).await.0.len(), 40 - 32 + 1);
    // The next call continues: 8 one-lot bids, then 14 960 at 93.5.
    let ev = send_events(&mut env, &[liq], &[&k.kp]).await;
    let e: LiquidationEvent = one(&ev);
    assert_eq!(e.closed_lots, 15_000 - 32);
    assert!(super::common::decode::<LiquidationWalkBounded>(&ev).is_empty());
    assert_eq!(position(&mut env, &a).await.0, 0);
    assert_eq!(env.market_header(MKT).await.waterfall.liquidations, 2);
}
