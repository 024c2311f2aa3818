//! The ADL ranking round through real transactions: the counterparties and
//! the deficit shares it gives over scans split across callers are the
//! one-transaction `auto_deleverage`'s, and while it is open the market is
//! frozen for everything but cancels and the round's own steps.
//!
//! Setup (`adl_bounded::seventeen_shorts`): A (seat 0) long 17 000 lots at 100 with 900
//! USD; seventeen shorts (seats 1..17) of 1 000 lots, 1 000 USD each, each
//! resting nothing; a gap to 90 makes A's equity −800 with an empty fund.

use super::adl_bounded::seventeen_shorts;
use crate::common::*;
use anchor_lang::error::ErrorCode as Anchor;
use bulwark::engine::book::Side::Ask;
use bulwark::state::{AdlEvent, AdlFillEvent, AdlRoundBegun, AdlRoundEnded, ParamKey};
use bulwark_app::config::usd;
use bulwark_app::ix;
use bulwark_tests::{anchor_code, code, limit, replace_account, unsign, BulwarkError as E};
use solana_signer::Signer;

/// (seat, lots, deficit share, score) of each fill: what must not depend
/// on how the ranking was run.
fn fills_of(ev: &[Vec<u8>]) -> Vec<(u32, u64, u64, [u8; 16])> {
    decode::<AdlFillEvent>(ev)
        .iter()
        .map(|f| (f.seat, f.lots, f.deficit_share, f.score))
        .collect()
}

#[tokio::test]
async fn a_round_split_over_callers_closes_exactly_what_one_transaction_does() {
    // The one-transaction ADL on one copy of the scenario...
    let (mut one, a1, _) = seventeen_shorts().await;
    let market = one.market(MKT);
    let adl = ix::auto_deleverage(&market, &a1.key(), 0);
    let ev = send_events(&mut one, &[adl], &[]).await;
    let want = fills_of(&ev);
    let want_close: AdlEvent = super::common::one(&ev);
    assert_eq!(want.len(), 16);

    // ...and a round on another, its scan split 5 + 7 + 6 over three
    // strangers.
    let (mut env, a, _) = seventeen_shorts().await;
    let market = env.market(MKT);
    let callers = [
        env.new_wallet().await,
        env.new_wallet().await,
        env.new_wallet().await,
    ];
    let begin = ix::adl_begin(&callers[0].pubkey(), &market, &a.key(), 0);
    env.send(&[begin], &[&callers[0]]).await;
    let h = env.market_header(MKT).await;
    assert_eq!(h.adl_round.active, 1);
    assert_eq!((h.adl_round.seat_count, h.adl_round.mark), (18, usd(90.0)));
    for (k, n) in [5u32, 7, 6].into_iter().enumerate() {
        let c = &callers[k];
        let scan = ix::adl_scan(&c.pubkey(), &market, n);
        env.send(&[scan], &[c]).await;
    }
    assert_eq!(env.market_header(MKT).await.adl_round.cursor, 18);
    // Scanning further is refused: every seat is ranked exactly once.
    let c = &callers[1];
    let scan = ix::adl_scan(&c.pubkey(), &market, 1);
    env.send_tx_expect_error(&[scan], &[c], code(E::AdlRoundScanDone))
        .await;
    let ev = send_events(&mut env, &[ix::adl_execute(&market)], &[]).await;
    assert_eq!(fills_of(&ev), want);
    let close: AdlEvent = super::common::one(&ev);
    assert_eq!(
        (close.lots, close.deficit, close.counterparties, close.price),
        (
            want_close.lots,
            want_close.deficit,
            want_close.counterparties,
            want_close.price
        )
    );
    let end: AdlRoundEnded = super::common::one(&ev);
    assert!(end.closed && !end.switched && !end.aborted);
    assert_eq!(end.trader, a.key());
    assert_eq!(env.market_header(MKT).await.adl_round.active, 0);
    assert_eq!(
        position(&mut env, &a).await.0,
        position(&mut one, &a1).await.0
    );
}

#[tokio::test]
async fn an_open_round_freezes_the_market_and_ends_by_execute_or_abort() {
    let (mut env, a, shorts) = seventeen_shorts().await;
    let market = env.market(MKT);
    let s = &shorts[0];
    let s_seat = seat_ix(&mut env, &s.key()).await;
    env.mint_collateral(&s.token, usd(10.0)).await;
    let begin = ix::adl_begin(&s.key(), &market, &a.key(), 0);
    let ev = send_events(&mut env, std::slice::from_ref(&begin), &[&s.kp]).await;
    let b: AdlRoundBegun = super::common::one(&ev);
    assert_eq!(
        (b.trader, b.seat, b.side, b.seat_count),
        (a.key(), 0, 0, 18)
    );

    // Everything that reads or writes what the ranking reads is refused,
    // and changes nothing.
    let before = env.raw_account(&market).await.data;
    let frozen = vec![
        ix::deposit(&s.key(), &market, s_seat, &s.token, usd(10.0)),
        ix::withdraw(&s.key(), &market, s_seat, &s.token, usd(1.0)),
        env.place_ix(s, MKT, limit(Ask, 95.0, 1)).await,
        ix::auto_deleverage(&market, &a.key(), 0),
        ix::cover_bankruptcy(&market, &a.key(), 0),
        ix::liquidate(&s.key(), &market, &a.key(), 0, Some(s_seat)),
        ix::release_seat(&s.key(), &market, s_seat),
        begin,
    ];
    for i in frozen {
        env.send_tx_expect_error(&[i], &[&s.kp], code(E::AdlRoundActive))
            .await;
    }
    let refresh = env.refresh_ix(MKT);
    env.send_tx_expect_error(&[refresh], &[], code(E::AdlRoundActive))
        .await;
    let funding = ix::update_funding(&market);
    env.send_tx_expect_error(&[funding], &[], code(E::AdlRoundActive))
        .await;
    // Nor can the admin (or whoever holds its key) change the market's
    // parameters under the round, even one that needs no timelock (a lower
    // open-interest cap applies at once).
    let cap = env.market_header(MKT).await.config.open_interest_cap_lots as i64;
    let admin = env.admin();
    let key = ParamKey::OpenInterestCapLots;
    let lower = ix::set_param(&admin, Some(&market), key, 0, cap - 1);
    env.send_tx_expect_error(&[lower], &[], code(E::AdlRoundActive))
        .await;
    assert_eq!(env.raw_account(&market).await.data, before);

    // The round's steps refuse the usual account attacks, changing
    // nothing: an unsigned caller, a market the program does not own (the
    // caller's wallet), a forged exchange (a copy at another address).
    let scan = ix::adl_scan(&s.key(), &market, 5);
    let unsigned = unsign(scan.clone(), &s.key());
    env.send_tx_expect_error(&[unsigned], &[], anchor_code(Anchor::AccountNotSigner))
        .await;
    let foreign = replace_account(scan.clone(), &market, &s.key());
    env.send_tx_expect_error(
        &[foreign],
        &[&s.kp],
        anchor_code(Anchor::AccountOwnedByWrongProgram),
    )
    .await;
    let exchange = ix::exchange_pda();
    let forged = env.clone_account(&exchange, |_| {}).await;
    let forged_scan = replace_account(scan, &exchange, &forged);
    env.send_tx_expect_error(&[forged_scan], &[&s.kp], code(E::WrongExchange))
        .await;
    assert_eq!(env.raw_account(&market).await.data, before);

    // Cancels still run (they change nothing the ranking reads).
    let cancel = ix::cancel_all_orders(&s.key(), &market, s_seat);
    env.send(&[cancel], &[&s.kp]).await;
    // Execute waits for the whole scan; abort for 150 slots.
    env.send_tx_expect_error(
        &[ix::adl_execute(&market)],
        &[],
        code(E::AdlRoundScanIncomplete),
    )
    .await;
    let abort = ix::adl_abort(&s.key(), &market);
    env.send_tx_expect_error(
        std::slice::from_ref(&abort),
        &[&s.kp],
        code(E::AdlRoundNotExpired),
    )
    .await;
    env.advance_slots(149).await;
    env.send_tx_expect_error(
        std::slice::from_ref(&abort),
        &[&s.kp],
        code(E::AdlRoundNotExpired),
    )
    .await;
    env.advance_slots(1).await;
    let ev = send_events(&mut env, &[abort], &[&s.kp]).await;
    let end: AdlRoundEnded = super::common::one(&ev);
    assert!(end.aborted && !end.closed);
    // Not re-opened at once (else begin right after each abort would keep
    // the market frozen): the cooldown first.
    let again = ix::adl_begin(&s.key(), &market, &a.key(), 0);
    env.send_tx_expect_error(
        std::slice::from_ref(&again),
        &[&s.kp],
        code(E::AdlRoundCoolingDown),
    )
    .await;
    // Unfrozen: nothing closed, and the market takes deposits again.
    assert_eq!(position(&mut env, &a).await.0, 17_000);
    let d = ix::deposit(&s.key(), &market, s_seat, &s.token, usd(10.0));
    env.send(&[d], &[&s.kp]).await;
    // A step with no round open is refused.
    let scan = ix::adl_scan(&s.key(), &market, 10);
    env.send_tx_expect_error(&[scan], &[&s.kp], code(E::AdlRoundNotActive))
        .await;
}

#[tokio::test]
async fn a_round_is_refused_unless_adl_is_due() {
    let (mut env, a, shorts) = seventeen_shorts().await;
    let market = env.market(MKT);
    let s = &shorts[0];
    let s_seat = seat_ix(&mut env, &s.key()).await;
    // A solvent seat (a short in profit) cannot open a round.
    let begin = ix::adl_begin(&s.key(), &market, &s.key(), s_seat);
    env.send_tx_expect_error(&[begin], &[&s.kp], code(E::NotBankrupt))
        .await;
    // Another trader's seat index for A: WrongSeatIndex.
    let begin = ix::adl_begin(&s.key(), &market, &a.key(), s_seat);
    env.send_tx_expect_error(&[begin], &[&s.kp], code(E::WrongSeatIndex))
        .await;
    assert_eq!(env.market_header(MKT).await.adl_round.active, 0);
}
