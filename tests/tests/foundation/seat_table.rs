//! The growing seat table on the chain: a new market holds no seats, each
//! claim at the end adds one seat whose rent the claimer pays, and a
//! release or an eviction swap-removes the seat (the last seat moves into
//! its index, orders and all), shrinks the account and refunds the rent to
//! the seat's owner. The account is exactly rent-exempt throughout.

use bulwark::engine::book::Side::{Ask, Bid};
use bulwark::state::Market;
use bulwark_app::config::usd;
use bulwark_app::ix;
use bulwark_tests::{code, limit, BulwarkError as E, TestEnv, BTC};

/// Lamports of one 128-byte seat at the default rent (6,960 per byte,
/// the 128-byte account overhead already paid by the market).
const SEAT_RENT: u64 = 128 * 6_960;

/// (account length, lamports, rent-exempt minimum of that length).
async fn market_size(env: &mut TestEnv) -> (usize, u64, u64) {
    let m = env.market(BTC);
    let a = env.raw_account(&m).await;
    let min = env.chain.rent_exempt(a.data.len()).await;
    (a.data.len(), a.lamports, min)
}

#[tokio::test]
async fn a_new_market_has_no_seats_and_grows_one_seat_per_claim() {
    let mut env = TestEnv::new().await;
    let h = env.market_header(BTC).await;
    assert_eq!((h.seat_count, h.seats_used), (0, 0));
    let (len, lamports, min) = market_size(&mut env).await;
    assert_eq!(len, Market::account_size(0, h.book_capacity));
    assert_eq!(lamports, min);
    for k in 1..=3u32 {
        let t = env.new_trader(100.0).await;
        let sol = env.raw_account(&t.key()).await.lamports;
        env.deposit(&t, BTC, usd(100.0)).await;
        assert_eq!(env.seat_ix_in(BTC, &t.key()).await, k - 1);
        let (l, lamports, min) = market_size(&mut env).await;
        assert_eq!(l, len + k as usize * 128);
        assert_eq!(lamports, min, "exactly rent-exempt");
        assert_eq!(sol - env.raw_account(&t.key()).await.lamports, SEAT_RENT);
        // A second deposit into the seat costs no rent.
        env.mint_collateral(&t.token, usd(1.0)).await;
        env.deposit(&t, BTC, usd(1.0)).await;
        assert_eq!(sol - env.raw_account(&t.key()).await.lamports, SEAT_RENT);
    }
    assert_eq!(env.market_header(BTC).await.seat_count, 3);
}

#[tokio::test]
async fn release_swap_removes_the_seat_moves_the_last_one_and_refunds_rent() {
    let mut env = TestEnv::new().await;
    let a = env.funded_trader(BTC, 100.0).await;
    let b = env.funded_trader(BTC, 1_000.0).await;
    let c = env.funded_trader(BTC, 1_000.0).await;
    let market = env.market(BTC);
    assert_eq!(env.seat_ix(&market, &c.key()).await, 2);
    // c, the last seat, rests two orders.
    let bid = env.place(&c, BTC, limit(Bid, 64_000.0, 1)).await;
    let ask = env.place(&c, BTC, limit(Ask, 65_000.0, 1)).await;
    let c_before = env.seat_of(BTC, &c.key()).await;

    env.withdraw(&a, BTC, usd(100.0)).await;
    let (len, _, _) = market_size(&mut env).await;
    let sol = env.raw_account(&a.key()).await.lamports;
    env.send(&[ix::release_seat(&a.key(), &market, 0)], &[&a.kp])
        .await;
    // The account shrank by one seat and a got its rent back.
    let (l, lamports, min) = market_size(&mut env).await;
    assert_eq!((l, lamports), (len - 128, min));
    assert_eq!(env.raw_account(&a.key()).await.lamports - sol, SEAT_RENT);
    let h = env.market_header(BTC).await;
    assert_eq!((h.seat_count, h.seats_used), (2, 2));
    // c moved into index 0 whole, and its orders point there.
    assert_eq!(env.seat_ix(&market, &c.key()).await, 0);
    assert_eq!(env.seat_ix(&market, &b.key()).await, 1);
    assert_eq!(env.seat_of(BTC, &c.key()).await, c_before);
    let seats = env
        .with_market(&market, |m| {
            m.bids[..m.header.num_bids as usize]
                .iter()
                .chain(&m.asks[..m.header.num_asks as usize])
                .map(|o| (o.order_id, o.seat))
                .collect::<Vec<_>>()
        })
        .await;
    assert_eq!(seats, vec![(bid, 0), (ask, 0)]);
    // c's old index is past the table now: refused, nothing changes.
    let before = env.raw_account(&market).await.data;
    let stale = ix::cancel_order(&c.key(), &market, 2, bid);
    env.send_tx_expect_error(&[stale], &[&c.kp], code(E::WrongSeatIndex))
        .await;
    assert_eq!(env.raw_account(&market).await.data, before);
    // At its new index c trades on as before.
    env.send(&[ix::cancel_order(&c.key(), &market, 0, bid)], &[&c.kp])
        .await;
    assert_eq!(env.seat_of(BTC, &c.key()).await.num_orders, 1);
    // Releasing the last seat moves nobody.
    env.send(&[ix::cancel_all_orders(&c.key(), &market, 0)], &[&c.kp])
        .await;
    env.withdraw(&b, BTC, usd(1_000.0)).await;
    env.send(&[ix::release_seat(&b.key(), &market, 1)], &[&b.kp])
        .await;
    assert_eq!(env.seat_ix(&market, &c.key()).await, 0);
    assert_eq!(env.market_header(BTC).await.seat_count, 1);
    // A claim after the shrink appends at the new end.
    let d = env.funded_trader(BTC, 100.0).await;
    assert_eq!(env.seat_ix(&market, &d.key()).await, 1);
}

#[tokio::test]
async fn eviction_refunds_the_rent_to_the_owner_wallet_only() {
    let mut env = TestEnv::new().await;
    let market = env.market(BTC);
    let min = env.market_header(BTC).await.config.min_seat_collateral;
    let dust = env.new_trader(0.0).await;
    env.mint_collateral(&dust.token, min).await;
    env.deposit(&dust, BTC, min).await;
    let other = env.funded_trader(BTC, 1_000.0).await;
    env.withdraw(&dust, BTC, min / 2).await;
    let by = env.new_trader(0.0).await;
    let seat = env.seat_ix(&market, &dust.key()).await;
    assert_eq!(seat, 0);

    // The rent must go to the owner's wallet: any other is refused.
    let mut wrong = ix::evict_seat(&by.key(), &market, &dust.key(), seat, &dust.token);
    wrong.accounts[5].pubkey = by.key();
    env.send_tx_expect_error(&[wrong], &[&by.kp], code(E::WrongRentAccount))
        .await;
    let sol = env.raw_account(&dust.key()).await.lamports;
    let by_sol = env.raw_account(&by.key()).await.lamports;
    let evict = ix::evict_seat(&by.key(), &market, &dust.key(), seat, &dust.token);
    env.send(&[evict], &[&by.kp]).await;
    assert_eq!(env.raw_account(&dust.key()).await.lamports - sol, SEAT_RENT);
    assert_eq!(env.raw_account(&by.key()).await.lamports, by_sol);
    assert_eq!(env.token_balance(&dust.token).await, min);
    // `other` moved into index 0; the table holds one seat.
    assert_eq!(env.seat_ix(&market, &other.key()).await, 0);
    let (len, lamports, rent) = market_size(&mut env).await;
    assert_eq!(lamports, rent);
    assert_eq!(
        len,
        Market::account_size(1, env.market_header(BTC).await.book_capacity)
    );
}

/// A claim pays the seat's rent through the market's own rent escrow
/// (`["rent_escrow", market]`, so the megabytes of the market account are
/// never passed to a CPI): another market's escrow, a wallet or a token
/// account in its place is refused, and nothing moves. The escrow keeps
/// exactly its own rent.
#[tokio::test]
async fn a_claim_pays_through_this_markets_escrow_only() {
    let mut env = TestEnv::new().await;
    let market = env.market(BTC);
    let other = env.market(bulwark_tests::ETH);
    let t = env.new_trader(100.0).await;
    let seat = env.deposit_seat_ix(&market, &t.key()).await;
    let escrow = ix::rent_escrow_pda(&market);
    let escrow_before = env.raw_account(&escrow).await;
    assert_eq!(escrow_before.data.len(), 1);
    assert_eq!(escrow_before.owner, bulwark::ID);
    let before = env.raw_account(&market).await;
    let sol = env.raw_account(&t.key()).await.lamports;
    // The rent_escrow account is the 6th of the deposit's accounts.
    let spoofs = [ix::rent_escrow_pda(&other), t.key(), t.token];
    for spoof in spoofs {
        let mut d = ix::deposit(&t.key(), &market, seat, &t.token, usd(100.0));
        assert_eq!(d.accounts[5].pubkey, escrow);
        d.accounts[5].pubkey = spoof;
        env.send_tx_expect_error(&[d], &[&t.kp], code(E::WrongRentAccount))
            .await;
    }
    assert_eq!(env.raw_account(&market).await, before);
    assert_eq!(env.raw_account(&t.key()).await.lamports, sol);
    env.send(
        &[ix::deposit(&t.key(), &market, seat, &t.token, usd(100.0))],
        &[&t.kp],
    )
    .await;
    assert_eq!(sol - env.raw_account(&t.key()).await.lamports, SEAT_RENT);
    assert_eq!(env.raw_account(&escrow).await, escrow_before);
}
