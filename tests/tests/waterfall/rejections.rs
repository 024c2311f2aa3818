//! Every refusal of the waterfall instructions, each with its exact code:
//! health and identity checks of liquidate / takeover, the index freshness,
//! cover / ADL preconditions, the cover cap, and the accounts of
//! `cover_bankruptcy`.

use crate::common::*;
use anchor_lang::error::ErrorCode as Anchor;
use bulwark::state::{AdlFillEvent, LiquidationEvent};
use bulwark_app::config::usd;
use bulwark_app::ix;
use bulwark_tests::{
    anchor_code, code, replace_account, unsign, BulwarkError as E, MAX_STALENESS_SECS,
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

    // At 100 A is healthy: equity 1 000 >= MM 2.5 % × 15 000 = 375.
    let liq = ix::liquidate(&kk, &market, &ak);
    env.send_tx_expect_error(
        std::slice::from_ref(&liq),
        &[&k.kp],
        code(E::NotLiquidatable),
    )
    .await;
    let take = ix::takeover(&kk, &market, &ak);
    env.send_tx_expect_error(
        std::slice::from_ref(&take),
        &[&k.kp],
        code(E::NotLiquidatable),
    )
    .await;
    // A keeper cannot name itself (checked before health).
    for self_ix in [
        ix::liquidate(&kk, &market, &kk),
        ix::takeover(&kk, &market, &kk),
    ] {
        env.send_tx_expect_error(&[self_ix], &[&k.kp], code(E::SelfLiquidation))
            .await;
    }
    // A keeper needs a seat of its own (its fee share goes there); the
    // target must have one too.
    let no_seat = ix::liquidate(&nobody.pubkey(), &market, &ak);
    env.send_tx_expect_error(&[no_seat], &[&nobody], code(E::SeatNotFound))
        .await;
    let no_target = ix::liquidate(&kk, &market, &nobody.pubkey());
    env.send_tx_expect_error(&[no_target], &[&k.kp], code(E::SeatNotFound))
        .await;
    // Healthy, with a position: neither covered nor deleveraged. A flat
    // seat has nothing to deleverage.
    let cover = ix::cover_bankruptcy(&market, &ak);
    env.send_tx_expect_error(&[cover], &[], code(E::NotBankrupt))
        .await;
    let adl = ix::auto_deleverage(&market, &ak);
    env.send_tx_expect_error(&[adl], &[], code(E::NotBankrupt))
        .await;
    let adl = ix::auto_deleverage(&market, &kk);
    env.send_tx_expect_error(&[adl], &[], code(E::NothingToLiquidate))
        .await;

    // 94: liquidatable (equity 100 < 352.5) but not bankrupt.
    move_price(&mut env, 94.0).await;
    // The keeper's signature is required.
    let unsigned = unsign(liq.clone(), &kk);
    env.send_tx_expect_error(&[unsigned], &[], anchor_code(Anchor::AccountNotSigner))
        .await;
    let cover = ix::cover_bankruptcy(&market, &ak);
    env.send_tx_expect_error(&[cover], &[], code(E::NotBankrupt))
        .await;
    // A takeover is subject to the keeper's own initial margin: POOR (100
    // USD) would take 15 000 lots at 93.666667 (half-way from 94 to the
    // bankruptcy price 93.333334), needing 5 % × 14 100 = 705.
    let take_poor = ix::takeover(&poor.key(), &market, &ak);
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
        &[ix::cover_bankruptcy(&market, &ak)],
        &[],
        code(E::IndexStale),
    )
    .await;
    env.send_tx_expect_error(
        &[ix::auto_deleverage(&market, &ak)],
        &[],
        code(E::IndexStale),
    )
    .await;
    // … until a refresh in the same transaction. With an empty book the
    // refresh samples the last trade (100): 61 s of the 300 s average move
    // the basis from 0 by 61/300 of 6 = 1.22, so the mark is 95.22. A is
    // still liquidatable there (equity 1 000 − 717 = 283 < 2.5 % × 14 283
    // = 357.075); with no bid the close finds nothing and no fee is due.
    env.set_market_price(MKT, 94.0).await;
    let refresh = env.refresh_ix(MKT);
    let ev = send_events(&mut env, &[refresh, liq], &[&k.kp]).await;
    let e: LiquidationEvent = one(&ev);
    assert_eq!(e.mark_price, 95_220_000);
    assert_eq!((e.target_lots, e.closed_lots, e.fee), (15_000, 0, 0));
    assert!(!e.bankrupt_after);
}

/// `cover_bankruptcy` checks every account it moves tokens or writes
/// entries through.
#[tokio::test]
async fn cover_bankruptcy_rejects_wrong_vaults_and_ledgers() {
    let mut g = gap_env(&MarketToml::base(), IN_ORDER, 300.0).await;
    let market = g.env.market(MKT);
    let good = ix::cover_bankruptcy(&market, &g.a.key());
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
        .send_tx_expect_error(&[l], &[], anchor_code(Anchor::ConstraintSeeds))
        .await;
    // Another of the program's accounts in the ledger's slot.
    let l = replace_account(good.clone(), &ledger, &ix::exchange_pda());
    g.env
        .send_tx_expect_error(&[l], &[], anchor_code(Anchor::AccountDiscriminatorMismatch))
        .await;
    // Nothing moved; the genuine call pays the 300 the fund holds.
    assert_eq!(insurance_vault_balance(&mut g.env).await, usd(300.0));
    g.env.send(&[good], &[]).await;
    assert_eq!(insurance_vault_balance(&mut g.env).await, 0);
    assert_eq!(seat(&mut g.env, &g.a).await.collateral, atoms(1_300.0));
}

/// The fund pays at most `insurance_cover_cap` per market per period;
/// once the cap is used, ADL may run although the fund still holds money.
#[tokio::test]
async fn cover_cap_per_period_then_adl_charges_the_rest() {
    let cfg = MarketToml {
        cover_cap_usd: 100,
        ..MarketToml::base()
    };
    let mut g = gap_env(&cfg, IN_ORDER, 300.0).await;
    let market = g.env.market(MKT);
    let a = g.a.key();
    // Deficit 500, fund 300, cap 100: pays 100.
    let adl = ix::auto_deleverage(&market, &a);
    g.env
        .send_tx_expect_error(
            std::slice::from_ref(&adl),
            &[],
            code(E::InsuranceMustCoverFirst),
        )
        .await;
    let cover = ix::cover_bankruptcy(&market, &a);
    g.env.send(std::slice::from_ref(&cover), &[]).await;
    assert_eq!(g.env.insurance_fund().await.balance, usd(200.0));
    assert_eq!(seat(&mut g.env, &g.a).await.collateral, atoms(1_100.0));
    // The period's cap is used up: the fund may not pay more today.
    g.env
        .send_tx_expect_error(&[cover], &[], code(E::InsuranceCannotCover))
        .await;
    // So ADL runs: deficit 1 100 + 13 500 − 15 000 = −400, charged
    // B2 400 × 5/15 = 133.333334 and B1 400 × 10/15 = 266.666667 (rounded up).
    let ev = send_events(&mut g.env, &[adl], &[]).await;
    let fills: Vec<AdlFillEvent> = decode(&ev);
    let got: Vec<_> = fills
        .iter()
        .map(|f| (f.counterparty, f.lots, f.deficit_share))
        .collect();
    assert_eq!(
        got,
        vec![
            (g.b2.key(), 5_000, 133_333_334),
            (g.b1.key(), 10_000, 266_666_667)
        ]
    );
    assert_eq!(position(&mut g.env, &g.a).await, (0, 0, 0));
    assert_eq!(g.env.insurance_fund().await.balance, usd(200.0));
}
