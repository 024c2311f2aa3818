//! Every refusal of the waterfall instructions, each with its exact code:
//! health and identity checks of liquidate / takeover, the index freshness,
//! cover / ADL preconditions (a cover on an open position closes it on the
//! book within the cover limit, or is refused — CoverTooSmall,
//! CoverNoLiquidity — and exactly then ADL may run: never both), the
//! rolling cover cap, and the accounts of `cover_bankruptcy`.

use crate::common::*;
use anchor_lang::error::ErrorCode as Anchor;
use bulwark::engine::book::Side::{Ask, Bid};
use bulwark::state::{
    AdlEvent, AdlFillEvent, BankruptcyCovered, CoverClose, DeficitUnpaid, LiquidationEvent,
};
use bulwark_app::config::usd;
use bulwark_app::ix;
use bulwark_tests::{
    anchor_code, code, limit, replace_account, unsign, BulwarkError as E, TestEnv,
    MAX_STALENESS_SECS,
};
use solana_signer::Signer;

#[tokio::test]
async fn liquidate_and_takeover_refusals() {
    let mut env = MarketToml::base().env().await;
    let market = env.market(MKT);
    let a = env.funded_trader(MKT, 1_000.0).await;
    let b = env.funded_trader(MKT, 20_000.0).await;
    let k = env.funded_trader(MKT, 1_000.0).await;
    let poor = env.funded_trader(MKT, 100.0).await;
    let nobody = env.new_wallet().await;
    trade(&mut env, &a, &b, 100.0, 15_000).await;
    let (ak, kk) = (a.key(), k.key());
    let a_seat = seat_ix(&mut env, &ak).await;
    let b_seat = seat_ix(&mut env, &b.key()).await;
    let k_seat = seat_ix(&mut env, &kk).await;
    let poor_seat = seat_ix(&mut env, &poor.key()).await;

    // At 100 A is healthy: equity 1 000 >= MM 2.5 % × 15 000 = 375.
    let liq = ix::liquidate(&kk, &market, &ak, a_seat, Some(k_seat));
    env.send_tx_expect_error(
        std::slice::from_ref(&liq),
        &[&k.kp],
        code(E::NotLiquidatable),
    )
    .await;
    let take = ix::takeover(&kk, &market, &ak, a_seat, k_seat);
    env.send_tx_expect_error(
        std::slice::from_ref(&take),
        &[&k.kp],
        code(E::NotLiquidatable),
    )
    .await;
    // A keeper cannot name itself (checked before health), whether it
    // names its own seat for the fee, no seat at all, or a second seat of
    // its own wallet.
    // (A second seat is claimed at the end of the table.)
    let k_second = env.market_header(MKT).await.seat_count;
    env.mint_collateral(&k.token, usd(50.0)).await;
    env.send(
        &[ix::deposit(&kk, &market, k_second, &k.token, usd(50.0))],
        &[&k.kp],
    )
    .await;
    for self_ix in [
        ix::liquidate(&kk, &market, &kk, k_seat, Some(k_seat)),
        ix::liquidate(&kk, &market, &kk, k_seat, None),
        ix::liquidate(&kk, &market, &kk, k_seat, Some(k_second)),
        ix::takeover(&kk, &market, &kk, k_seat, k_seat),
        ix::takeover(&kk, &market, &kk, k_seat, k_second),
    ] {
        env.send_tx_expect_error(&[self_ix], &[&k.kp], code(E::SelfLiquidation))
            .await;
    }
    // A keeper needs no seat to liquidate (its fee share goes to its seat,
    // to a token account it names, or stays with the fund), so a seatless
    // keeper gets as far as the health check; a takeover needs the
    // keeper's seat (the keeper takes the position). The target must have
    // a seat either way. Seats are named by index and the program checks
    // each one's owner: a seatless keeper naming another's seat (K's, or
    // the target's own) as its own, a target named at a seat that is not
    // its own, or an index past the table — WrongSeatIndex, and nothing
    // changes.
    let no_seat = ix::liquidate(&nobody.pubkey(), &market, &ak, a_seat, None);
    env.send_tx_expect_error(&[no_seat], &[&nobody], code(E::NotLiquidatable))
        .await;
    let before = env.chain.account_data(&market).await;
    let capacity = env.market_header(MKT).await.seat_count;
    for keeper_seat in [k_seat, a_seat, b_seat] {
        let no_seat = ix::takeover(&nobody.pubkey(), &market, &ak, a_seat, keeper_seat);
        env.send_tx_expect_error(&[no_seat], &[&nobody], code(E::WrongSeatIndex))
            .await;
    }
    let not_mine = ix::liquidate(&nobody.pubkey(), &market, &ak, a_seat, Some(k_seat));
    env.send_tx_expect_error(&[not_mine], &[&nobody], code(E::WrongSeatIndex))
        .await;
    for seat in [a_seat, k_seat] {
        let no_target = ix::liquidate(&kk, &market, &nobody.pubkey(), seat, Some(k_seat));
        env.send_tx_expect_error(&[no_target], &[&k.kp], code(E::WrongSeatIndex))
            .await;
    }
    for seat in [b_seat, capacity] {
        for w in [
            ix::liquidate(&kk, &market, &ak, seat, Some(k_seat)),
            ix::takeover(&kk, &market, &ak, seat, k_seat),
        ] {
            env.send_tx_expect_error(&[w], &[&k.kp], code(E::WrongSeatIndex))
                .await;
        }
        for w in [
            ix::cover_bankruptcy(&market, &ak, seat),
            ix::auto_deleverage(&market, &ak, seat),
        ] {
            env.send_tx_expect_error(&[w], &[], code(E::WrongSeatIndex))
                .await;
        }
    }
    let past = ix::takeover(&kk, &market, &ak, a_seat, capacity);
    env.send_tx_expect_error(&[past], &[&k.kp], code(E::WrongSeatIndex))
        .await;
    assert_eq!(env.chain.account_data(&market).await, before);
    // Healthy, with a position: neither covered nor deleveraged. A flat
    // seat has nothing to deleverage.
    let cover = ix::cover_bankruptcy(&market, &ak, a_seat);
    env.send_tx_expect_error(&[cover], &[], code(E::NotBankrupt))
        .await;
    let adl = ix::auto_deleverage(&market, &ak, a_seat);
    env.send_tx_expect_error(&[adl], &[], code(E::NotBankrupt))
        .await;
    let adl = ix::auto_deleverage(&market, &kk, k_seat);
    env.send_tx_expect_error(&[adl], &[], code(E::NothingToLiquidate))
        .await;

    // 94: liquidatable (equity 100 < 352.5) but not bankrupt.
    move_price(&mut env, 94.0).await;
    // The keeper's signature is required.
    let unsigned = unsign(liq.clone(), &kk);
    env.send_tx_expect_error(&[unsigned], &[], anchor_code(Anchor::AccountNotSigner))
        .await;
    let cover = ix::cover_bankruptcy(&market, &ak, a_seat);
    env.send_tx_expect_error(&[cover], &[], code(E::NotBankrupt))
        .await;
    // A takeover is subject to the keeper's own initial margin: POOR (100
    // USD) would take 15 000 lots at 93.666667 (half-way from 94 to the
    // bankruptcy price 93.333334), needing 5 % × 14 100 = 705.
    let take_poor = ix::takeover(&poor.key(), &market, &ak, a_seat, poor_seat);
    env.send_tx_expect_error(
        &[take_poor],
        &[&poor.kp],
        code(E::InsufficientInitialMargin),
    )
    .await;
    assert_eq!(
        position(&mut env, &a).await,
        (15_000, atoms(15_000.0), atoms(1_000.0))
    );

    // A minute and a second later the index is stale: no liquidation, no
    // takeover, no cover, no ADL on it …
    env.advance_time(MAX_STALENESS_SECS + 1).await;
    for stale in [liq.clone(), take.clone()] {
        env.send_tx_expect_error(&[stale], &[&k.kp], code(E::IndexStale))
            .await;
    }
    env.send_tx_expect_error(
        &[ix::cover_bankruptcy(&market, &ak, a_seat)],
        &[],
        code(E::IndexStale),
    )
    .await;
    env.send_tx_expect_error(
        &[ix::auto_deleverage(&market, &ak, a_seat)],
        &[],
        code(E::IndexStale),
    )
    .await;
    // … until a refresh in the same transaction. The book is empty, so the
    // refresh has no impact mid (no depth on either side, and no last-trade
    // fallback): the basis sample is 0 and the mark is the index, 94. A is
    // still liquidatable there (equity 1 000 − 900 = 100 < 2.5 % × 14 100 =
    // 352.5); with no bid the close finds nothing and no fee is due.
    env.set_market_price(MKT, 94.0).await;
    let refresh = env.refresh_ix(MKT);
    let ev = send_events(&mut env, &[refresh, liq], &[&k.kp]).await;
    let e: LiquidationEvent = one(&ev);
    assert_eq!(e.mark_price, usd(94.0));
    assert_eq!((e.target_lots, e.closed_lots, e.fee), (15_000, 0, 0));
    // 14 100 USD is in tier 0, below the partial tier: a whole close,
    // limited at the bankruptcy price (15 000 − 1 000) / 150, rounded up.
    assert_eq!((e.bankruptcy_price, e.partial), (93_333_334, false));
    assert!(!e.bankrupt_after);
}

/// Everything a refused cover or ADL must leave as it was: the market
/// account (seats, book, waterfall state), the fund and its ledger, and
/// both vaults.
async fn snapshot(env: &mut TestEnv) -> (Vec<u8>, Vec<u8>, Vec<u8>, u64, u64) {
    let market = env.market(MKT);
    (
        env.chain.account_data(&market).await,
        env.chain.account_data(&ix::insurance_pda()).await,
        env.chain.account_data(&ix::insurance_ledger_pda()).await,
        env.vault_balance(MKT).await,
        insurance_vault_balance(env).await,
    )
}

/// (price, lots) of each side of the book, best order last.
async fn book(env: &mut TestEnv) -> (Vec<(u64, u64)>, Vec<(u64, u64)>) {
    let (bids, asks) = env.book(MKT).await;
    let f = |v: Vec<bulwark::state::Order>| v.iter().map(|o| (o.price, o.lots)).collect();
    (f(bids), f(asks))
}

/// `cover_bankruptcy` checks every account it moves tokens or writes
/// entries through.
#[tokio::test]
async fn cover_bankruptcy_rejects_wrong_vaults_and_ledgers() {
    // The fund (1 000) can pay for closing A whole on the book: A's deficit
    // 500 plus the slippage to the cover limit (90 − 1 % = 89.1; 15 000
    // lots × 0.9 / 100 = 135) is 635 <= 1 000, and K's bid at 92 is within
    // the limit.
    let mut g = gap_env(&MarketToml::base(), IN_ORDER, 1_000.0).await;
    let market = g.env.market(MKT);
    let a_seat = seat_ix(&mut g.env, &g.a.key()).await;
    let good = ix::cover_bankruptcy(&market, &g.a.key(), a_seat);
    let before = snapshot(&mut g.env).await;
    let wrong_vault = code(E::WrongVault);
    // A trader's token account of the right mint instead of the market vault …
    let v = replace_account(good.clone(), &ix::market_vault_pda(&market), &g.k.token);
    g.env.send_tx_expect_error(&[v], &[], wrong_vault).await;
    // … or instead of the insurance vault.
    let iv = replace_account(good.clone(), &ix::insurance_vault_pda(), &g.k.token);
    g.env.send_tx_expect_error(&[iv], &[], wrong_vault).await;
    // A byte-for-byte copy of the ledger at another address: not the PDA.
    let ledger = ix::insurance_ledger_pda();
    let forged = g.env.clone_account(&ledger, |_| {}).await;
    let l = replace_account(good.clone(), &ledger, &forged);
    g.env
        .send_tx_expect_error(&[l], &[], code(E::WrongInsuranceAccount))
        .await;
    // Another of the program's accounts in the ledger's slot.
    let l = replace_account(good.clone(), &ledger, &ix::exchange_pda());
    g.env
        .send_tx_expect_error(&[l], &[], anchor_code(Anchor::AccountDiscriminatorMismatch))
        .await;
    // Nothing moved (market, fund, ledger, vaults). The genuine call closes A's 15 000 lots on K's bid at
    // 92 (A realizes 15 000 × (92 − 100) / 100 = −1 200: collateral −200)
    // and pays exactly the deficit of the lots that closed, 200.
    assert_eq!(snapshot(&mut g.env).await, before);
    assert_eq!(insurance_vault_balance(&mut g.env).await, usd(1_000.0));
    let vault0 = g.env.vault_balance(MKT).await;
    let ev = send_events(&mut g.env, &[good], &[]).await;
    let c: CoverClose = one(&ev);
    assert_eq!(
        (c.trader, c.closed_lots, c.limit, c.fills, c.flat_after),
        (g.a.key(), 15_000, 89_100_000, 1, true)
    );
    let b: BankruptcyCovered = one(&ev);
    assert_eq!((b.amount, b.fund_balance_after), (usd(200.0), usd(800.0)));
    assert_eq!(insurance_vault_balance(&mut g.env).await, usd(800.0));
    assert_eq!(g.env.vault_balance(MKT).await, vault0 + usd(200.0));
    assert_eq!(position(&mut g.env, &g.a).await, (0, 0, 0));
    assert_eq!(
        position(&mut g.env, &g.k).await,
        (15_000, atoms(13_800.0), atoms(5_000.0))
    );
}

/// The fund pays one market at most `insurance_cover_cap` in a burst: with
/// the cap at 100 it cannot pay for closing the bankrupt position on the
/// book although it holds 1 000, so ADL runs — the fund paying its 100
/// first, the counterparty the rest up to its equity, the remainder left on
/// the flat seat. The cap is a rolling window (a leaky bucket draining at
/// the cap per period): in the same second a cover gets nothing, a day less
/// a second later it gets what drained, and a second cover two seconds
/// after that — across the end of the period — gets only the two seconds'
/// drain.
#[tokio::test]
async fn cover_cap_per_period_then_adl_charges_the_rest() {
    const PERIOD: i64 = 86_400;
    let cfg = MarketToml {
        cover_cap_usd: 100,
        ..MarketToml::base()
    };
    let mut env = cfg.env().await;
    let market = env.market(MKT);
    let a = env.funded_trader(MKT, 1_000.0).await;
    let x = env.funded_trader(MKT, 20_000.0).await;
    let y = env.funded_trader(MKT, 1_000.0).await;
    let k = env.funded_trader(MKT, 5_000.0).await;
    let s = env.new_trader(1_000.0).await;
    stake(&mut env, &s, usd(1_000.0)).await;
    // A buys 15 000 lots from X at 100. At 85 X buys them back from Y: X is
    // flat (+2 250), Y short 15 000 at 85 (IM 5 % × 12 750 = 637.5 <= 1 000).
    trade(&mut env, &a, &x, 100.0, 15_000).await;
    move_price(&mut env, 85.0).await;
    trade(&mut env, &x, &y, 85.0, 15_000).await;
    assert_eq!(position(&mut env, &x).await, (0, 0, atoms(22_250.0)));
    // Back at 90: A's equity = 1 000 − 15 000 × 10 / 100 = −500; Y's =
    // 1 000 − 15 000 × 5 / 100 = 250. K bids for all of A at 89.5, within
    // the cover limit 90 − 1 % = 89.1.
    move_price(&mut env, 90.0).await;
    env.place(&k, MKT, limit(Bid, 89.5, 15_000)).await;
    let t0 = env.now().await;
    let a_seat = seat_ix(&mut env, &a.key()).await;

    // Closing A whole at the limit costs the fund at most 500 + 15 000 ×
    // 0.9 / 100 = 635 <= 1 000, but the cap lets it pay 100: that buys
    // floor(100 × 15 000 / 635) = 2 362 lots, not all of A. Refused; the
    // fund and the book are as they were.
    let cover = ix::cover_bankruptcy(&market, &a.key(), a_seat);
    env.send_tx_expect_error(std::slice::from_ref(&cover), &[], code(E::CoverTooSmall))
        .await;
    assert_eq!(insurance_vault_balance(&mut env).await, usd(1_000.0));
    assert_eq!(book(&mut env).await, (vec![(usd(89.5), 15_000)], vec![]));

    // So ADL runs: A's 15 000 close at the mark 90 against the only short,
    // Y (ranked at 90: upnl −750 on entry 12 750 → −58 823 ppm; leverage
    // 13 500 / 250 → 54 000 000 ppm; score −3 176 442 000 000). The deficit
    // after the close is 500; the fund pays its capped 100 first, then Y is
    // charged the rest, 400, but never more than its equity after its close
    // (1 000 − 750 = 250); the 150 nobody can pay stay on A's flat seat.
    let vault0 = env.vault_balance(MKT).await;
    let ev = send_events(
        &mut env,
        &[ix::auto_deleverage(&market, &a.key(), a_seat)],
        &[],
    )
    .await;
    let adl: AdlEvent = one(&ev);
    assert_eq!(
        (
            adl.lots,
            adl.price,
            adl.deficit,
            adl.counterparties,
            adl.socialized
        ),
        (15_000, usd(90.0), usd(500.0), 1, false)
    );
    let f: AdlFillEvent = one(&ev);
    assert_eq!(
        (f.counterparty, f.lots, f.price, f.deficit_share),
        (y.key(), 15_000, usd(90.0), usd(250.0))
    );
    assert_eq!(
        (f.upnl, f.entry_cost, f.notional, f.equity),
        (-atoms(750.0), -atoms(12_750.0), usd(13_500.0), atoms(250.0))
    );
    assert_eq!(i128::from_le_bytes(f.score), -3_176_442_000_000);
    let paid: BankruptcyCovered = one(&ev);
    assert_eq!(
        (
            paid.trader,
            paid.amount,
            paid.fund_balance_after,
            paid.ledger_seq
        ),
        (a.key(), usd(100.0), usd(900.0), 1)
    );
    let u: DeficitUnpaid = one(&ev);
    assert_eq!(
        (u.trader, u.unpaid, u.total_unpaid),
        (a.key(), usd(150.0), usd(150.0))
    );
    assert_eq!(position(&mut env, &a).await, (0, 0, -atoms(150.0)));
    assert_eq!(position(&mut env, &y).await, (0, 0, 0));
    assert_eq!(env.vault_balance(MKT).await, vault0 + usd(100.0));
    assert_eq!(env.insurance_fund().await.balance, usd(900.0));
    let w = env.market_header(MKT).await.waterfall;
    assert_eq!(
        (w.cover_used_in_period, w.cover_period_start, w.total_cover),
        (usd(100.0), t0, usd(100.0))
    );
    assert_eq!(
        (w.bankruptcies, w.adl_events, w.total_unpaid_deficit),
        (1, 1, usd(150.0))
    );
    // The bucket is full: in the same second the fund may not pay more,
    // although it holds 900 and A's flat seat owes 150.
    env.send_tx_expect_error(
        std::slice::from_ref(&cover),
        &[],
        code(E::InsuranceCannotCover),
    )
    .await;

    // One second before a day has passed since the ADL's payment, the
    // bucket has drained floor(100e6 × 86 399 / 86 400) = 99 998 842 of its
    // 100e6: the cover pays that much of A's 150 and fills the bucket to the
    // cap again. (The index is refreshed: 86 399 s made it stale.)
    env.advance_time(PERIOD - 1).await;
    move_price(&mut env, 90.0).await;
    assert_eq!(env.now().await, t0 + PERIOD - 1);
    let ev = send_events(&mut env, std::slice::from_ref(&cover), &[]).await;
    assert!(
        decode::<CoverClose>(&ev).is_empty(),
        "a flat seat closes nothing"
    );
    let paid: BankruptcyCovered = one(&ev);
    assert_eq!(
        (paid.amount, paid.fund_balance_after, paid.ledger_seq),
        (99_998_842, 800_001_158, 2)
    );
    assert_eq!(seat(&mut env, &a).await.collateral, -50_001_158);
    // Two seconds later, across the end of that day (t0 + 86 400), no
    // window resets: the bucket drained only floor(100e6 × 2 / 86 400) =
    // 2 314 atoms, and that is all the cover gets of the 50.001158 A still
    // owes. Within those two seconds the fund paid this market 99 998 842 +
    // 2 314 = 100 001 156 <= 100e6 × (1 + 2 / 86 400): never twice the cap.
    env.advance_time(2).await;
    let ev = send_events(&mut env, std::slice::from_ref(&cover), &[]).await;
    let paid: BankruptcyCovered = one(&ev);
    assert_eq!(
        (paid.amount, paid.fund_balance_after, paid.ledger_seq),
        (2_314, 799_998_844, 3)
    );
    assert_eq!(seat(&mut env, &a).await.collateral, -49_998_844);
    env.send_tx_expect_error(&[cover], &[], code(E::InsuranceCannotCover))
        .await;
    let w = env.market_header(MKT).await.waterfall;
    assert_eq!(
        (w.cover_used_in_period, w.cover_period_start, w.total_cover),
        (usd(100.0), t0 + PERIOD + 1, 200_001_156)
    );
    // `total_unpaid_deficit` counts what ADL could not place, ever.
    assert_eq!((w.bankruptcies, w.total_unpaid_deficit), (3, usd(150.0)));
    assert_eq!(env.insurance_fund().await.balance, 799_998_844);
    assert_eq!(insurance_vault_balance(&mut env).await, 799_998_844);
    assert_eq!(env.vault_balance(MKT).await, vault0 + 200_001_156);
}

/// The fund can pay for closing the whole bankrupt position, but no resting
/// order within the cover limit can take a lot: `cover_bankruptcy` fails
/// with CoverNoLiquidity and nothing changes — not even the cancel of the
/// seat's own orders the cover makes first. That is a case for ADL, which
/// then runs, the fund paying first.
#[tokio::test]
async fn cover_without_an_order_within_the_limit_changes_nothing() {
    let mut env = MarketToml::base().env().await;
    let market = env.market(MKT);
    let a = env.funded_trader(MKT, 1_000.0).await;
    let b = env.funded_trader(MKT, 20_000.0).await;
    let k = env.funded_trader(MKT, 5_000.0).await;
    let s = env.new_trader(5_000.0).await;
    stake(&mut env, &s, usd(5_000.0)).await;
    trade(&mut env, &a, &b, 100.0, 15_000).await;
    // A also offers 5 000 of its lots at 104.
    env.place(&a, MKT, limit(Ask, 104.0, 5_000)).await;
    // Gap to 90: A's equity = 1 000 − 1 500 = −500. K bids for all of A at
    // 89, below the cover limit 90 − 1 % = 89.1.
    move_price(&mut env, 90.0).await;
    env.place(&k, MKT, limit(Bid, 89.0, 15_000)).await;
    assert_eq!(
        book(&mut env).await,
        (vec![(usd(89.0), 15_000)], vec![(usd(104.0), 5_000)])
    );
    // The fund's 5 000 pay for closing all of A at the limit (500 + 15 000
    // × 0.9 / 100 = 635), but the close finds nothing within it.
    let a_seat = seat_ix(&mut env, &a.key()).await;
    let before = snapshot(&mut env).await;
    env.send_tx_expect_error(
        &[ix::cover_bankruptcy(&market, &a.key(), a_seat)],
        &[],
        code(E::CoverNoLiquidity),
    )
    .await;
    assert_eq!(snapshot(&mut env).await, before);
    let sa = seat(&mut env, &a).await;
    assert_eq!(
        (sa.base_lots, sa.entry_cost, sa.collateral, sa.num_orders),
        (15_000, atoms(15_000.0), atoms(1_000.0), 1)
    );
    assert_eq!(
        book(&mut env).await,
        (vec![(usd(89.0), 15_000)], vec![(usd(104.0), 5_000)])
    );
    assert_eq!(insurance_vault_balance(&mut env).await, usd(5_000.0));
    assert_eq!(env.market_header(MKT).await.waterfall.total_cover, 0);

    // ADL may: it cancels A's ask and closes A at the mark against B (the
    // only short). The deficit after the close, 500, is paid by the fund
    // first, in full: B is charged nothing.
    let ev = send_events(
        &mut env,
        &[ix::auto_deleverage(&market, &a.key(), a_seat)],
        &[],
    )
    .await;
    let f: AdlFillEvent = one(&ev);
    assert_eq!(
        (f.counterparty, f.lots, f.deficit_share),
        (b.key(), 15_000, 0)
    );
    let adl: AdlEvent = one(&ev);
    assert_eq!(
        (adl.lots, adl.price, adl.deficit, adl.counterparties),
        (15_000, usd(90.0), usd(500.0), 1)
    );
    let paid: BankruptcyCovered = one(&ev);
    assert_eq!(
        (paid.amount, paid.fund_balance_after),
        (usd(500.0), usd(4_500.0))
    );
    assert!(decode::<DeficitUnpaid>(&ev).is_empty());
    let sa = seat(&mut env, &a).await;
    assert_eq!(
        (sa.base_lots, sa.entry_cost, sa.collateral, sa.num_orders),
        (0, 0, 0, 0)
    );
    // B bought back at 90: 20 000 + 1 500.
    assert_eq!(position(&mut env, &b).await, (0, 0, atoms(21_500.0)));
    assert_eq!(book(&mut env).await, (vec![(usd(89.0), 15_000)], vec![]));
}

/// ADL is refused (InsuranceMustCoverFirst) while a cover could close the
/// position: the fund can pay for closing all of it at the cover limit and
/// the book takes a lot within it. One atom less in the fund and it is the
/// other way round: the cover is CoverTooSmall and ADL runs, the fund
/// paying first. Never both.
#[tokio::test]
async fn adl_refused_while_a_cover_could_close_the_position() {
    // 635 = A's deficit 500 + the slippage to the cover limit 89.1
    // (15 000 lots × 0.9 / 100 = 135); K's bid at 92 is within the limit.
    let mut g = gap_env(&MarketToml::base(), IN_ORDER, 635.0).await;
    let market = g.env.market(MKT);
    let a = g.a.key();
    let a_seat = seat_ix(&mut g.env, &a).await;
    let adl = ix::auto_deleverage(&market, &a, a_seat);
    let before = snapshot(&mut g.env).await;
    g.env
        .send_tx_expect_error(
            std::slice::from_ref(&adl),
            &[],
            code(E::InsuranceMustCoverFirst),
        )
        .await;
    assert_eq!(snapshot(&mut g.env).await, before);
    assert_eq!(
        position(&mut g.env, &g.a).await,
        (15_000, atoms(15_000.0), atoms(1_000.0))
    );
    // The cover closes A on K's bid at 92 and pays the 200 left (1 000 −
    // 15 000 × 8 / 100).
    let ev = send_events(
        &mut g.env,
        &[ix::cover_bankruptcy(&market, &a, a_seat)],
        &[],
    )
    .await;
    let c: CoverClose = one(&ev);
    assert_eq!(
        (c.closed_lots, c.limit, c.fills, c.flat_after),
        (15_000, 89_100_000, 1, true)
    );
    let paid: BankruptcyCovered = one(&ev);
    assert_eq!(
        (paid.amount, paid.fund_balance_after),
        (usd(200.0), usd(435.0))
    );
    assert_eq!(position(&mut g.env, &g.a).await, (0, 0, 0));
    g.env
        .send_tx_expect_error(&[adl], &[], code(E::NothingToLiquidate))
        .await;

    // One atom less: the fund buys floor(634 999 999 × 15 000 / 635e6) =
    // 14 999 lots' worst cost, not all of A.
    let mut g = gap_env(&MarketToml::base(), IN_ORDER, 634.999999).await;
    let market = g.env.market(MKT);
    let a = g.a.key();
    let a_seat = seat_ix(&mut g.env, &a).await;
    let before = snapshot(&mut g.env).await;
    g.env
        .send_tx_expect_error(
            &[ix::cover_bankruptcy(&market, &a, a_seat)],
            &[],
            code(E::CoverTooSmall),
        )
        .await;
    assert_eq!(snapshot(&mut g.env).await, before);
    // ADL: B2 (score 300 000 000 000) then 10 000 of B1's 12 000 (96 428
    // 500 000) at the mark 90; the fund pays the whole 500 first, so no
    // counterparty is charged.
    let ev = send_events(&mut g.env, &[ix::auto_deleverage(&market, &a, a_seat)], &[]).await;
    let fills: Vec<AdlFillEvent> = decode(&ev);
    let got: Vec<_> = fills
        .iter()
        .map(|f| (f.counterparty, f.lots, f.deficit_share))
        .collect();
    assert_eq!(got, vec![(g.b2.key(), 5_000, 0), (g.b1.key(), 10_000, 0)]);
    let paid: BankruptcyCovered = one(&ev);
    assert_eq!(
        (paid.amount, paid.fund_balance_after),
        (usd(500.0), 134_999_999)
    );
    assert_eq!(position(&mut g.env, &g.a).await, (0, 0, 0));
    assert_eq!(position(&mut g.env, &g.b2).await, (0, 0, atoms(1_500.0)));
    assert_eq!(
        position(&mut g.env, &g.b1).await,
        (-2_000, -atoms(2_000.0), atoms(11_000.0))
    );
    // K's bid is not the ADL's business.
    assert_eq!(book(&mut g.env).await, (vec![(usd(92.0), 15_000)], vec![]));
}
