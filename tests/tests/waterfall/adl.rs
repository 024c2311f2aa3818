//! Gap → liquidation closes nothing → the fund cannot pay for a book
//! close, so ADL closes at the mark against the program-ranked shorts, the
//! fund paying first and the shorts exactly the shortfall; and the same ADL
//! is reproduced whoever calls it, however the accounts are ordered.

use crate::common::*;
use anchor_lang::prelude::Pubkey;
use bulwark::engine::adl::rank_inputs;
use bulwark::state::{
    outflow, AdlEvent, AdlFillEvent, BankruptcyCovered, InsuranceLedgerEntry, LiquidationEvent,
};
use bulwark_app::config::usd;
use bulwark_app::ix;
use bulwark_tests::{code, compute_unit_limit_ix, BulwarkError as E, Trader};
use solana_instruction::AccountMeta;
use solana_signer::Signer;

/// The ranking score recomputed from an event's published inputs, with the
/// documented formula (engine/adl.rs):
///   pnl_ppm = floor(upnl × 1e6 / |entry_cost|), lev_ppm = floor(notional ×
///   1e6 / equity) (0 if equity <= 0), score = pnl_ppm × lev_ppm.
fn score_from_inputs(f: &AdlFillEvent) -> i128 {
    let entry = f.entry_cost.unsigned_abs() as i128;
    let pnl = if entry == 0 {
        0
    } else {
        f.upnl as i128 * 1_000_000 / entry
    };
    let lev = if f.equity <= 0 {
        0
    } else {
        f.notional as i128 * 1_000_000 / f.equity as i128
    };
    pnl * lev
}

/// Phase 1 of the gap scenario: the book cannot absorb A at its
/// bankruptcy price, takeover is refused, and the fund — holding 300 of
/// the 500 deficit — cannot pay for closing A on the book at the cover
/// limit, so cover is refused and ADL (the fund paying first) is next.
async fn liquidate_then_refusals(g: &mut Gap) {
    let market = g.env.market(MKT);
    let (a, k) = (g.a.key(), g.k.key());
    let (a_seat, k_seat) = (seat_ix(&mut g.env, &a).await, seat_ix(&mut g.env, &k).await);
    // A's bankruptcy price (15 000 − 1 000) / 150 = 93.333334 (up); K's bid
    // at 92 is below it, so the close finds nothing: no fill, no fee.
    let liq = ix::liquidate(&k, &market, &a, a_seat, Some(k_seat));
    let ev = send_events(&mut g.env, &[liq], &[&g.k.kp]).await;
    let e: LiquidationEvent = one(&ev);
    assert_eq!((e.target_lots, e.closed_lots, e.fee), (15_000, 0, 0));
    assert_eq!(e.bankruptcy_price, 93_333_334);
    assert!(e.bankrupt_after);
    assert_eq!(
        position(&mut g.env, &g.a).await,
        (15_000, atoms(15_000.0), atoms(1_000.0))
    );
    assert_eq!(env_bids(g).await, vec![(usd(92.0), 15_000)]);
    // A bankrupt seat is not taken over.
    let take = ix::takeover(&k, &market, &a, a_seat, k_seat);
    g.env
        .send_tx_expect_error(&[take], &[&g.k.kp], code(E::SeatBankrupt))
        .await;
    // The fund pays only a position closed in the same step, and closes on
    // the book only what it can pay for whole: the 500 deficit plus the
    // slippage to the cover limit (90 − 1 % = 89.1: 15 000 lots × 0.9 /
    // 100 = 135) is more than its 300, so the cover is refused and nothing
    // moves (K's bid at 92 would have taken it).
    assert_eq!(insurance_vault_balance(&mut g.env).await, usd(300.0));
    let cover = ix::cover_bankruptcy(&market, &a, a_seat);
    g.env
        .send_tx_expect_error(&[cover], &[], code(E::CoverTooSmall))
        .await;
    assert_eq!(insurance_vault_balance(&mut g.env).await, usd(300.0));
}

/// The fund's part of the ADL: it pays its 300 for the lots ADL closes,
/// from the insurance vault to the market vault (PDA-signed), with a
/// ledger entry.
async fn check_fund_paid_first(g: &mut Gap, events: &[Vec<u8>], vault0: u64) {
    let (market, a) = (g.env.market(MKT), g.a.key());
    assert_eq!(insurance_vault_balance(&mut g.env).await, 0);
    // The vault gained the fund's 300 (the counterparties' 200 moved
    // between seats).
    assert_eq!(g.env.vault_balance(MKT).await, vault0 + usd(300.0));
    let c: BankruptcyCovered = one(events);
    assert_eq!(
        (c.market, c.trader, c.amount, c.fund_balance_after),
        (market, a, usd(300.0), 0)
    );
    let entry: InsuranceLedgerEntry = one(events);
    // seq 0 was the staker's deposit.
    assert_eq!(
        (entry.seq, entry.kind),
        (1, 16 + outflow::BANKRUPTCY_COVER as u8)
    );
    assert_eq!((entry.market, entry.counterparty), (market, a));
    assert_eq!((entry.amount, entry.balance_after), (usd(300.0), 0));
    assert_eq!(c.ledger_seq, 1);
    assert_eq!(ledger_entry(&mut g.env, 1).await, entry);
    let fund = g.env.insurance_fund().await;
    assert_eq!(
        (fund.balance, fund.outflows[outflow::BANKRUPTCY_COVER]),
        (0, usd(300.0))
    );
    let w = g.env.market_header(MKT).await.waterfall;
    assert_eq!(
        (w.total_cover, w.cover_used_in_period, w.bankruptcies),
        (usd(300.0), usd(300.0), 1)
    );
    assert_eq!(w.total_unpaid_deficit, 0);
}

async fn env_bids(g: &mut Gap) -> Vec<(u64, u64)> {
    g.env
        .book(MKT)
        .await
        .0
        .iter()
        .map(|o| (o.price, o.lots))
        .collect()
}

/// Ranks every short seat the way the program documents it, from the seat
/// table read before the ADL: (score, notional, −seat index), best first.
async fn expected_short_ranking(g: &mut Gap) -> Vec<(Pubkey, i128)> {
    let key = g.env.market(MKT);
    g.env
        .with_market(&key, |m| {
            let h = &m.header;
            let mut v: Vec<(usize, Pubkey, bulwark::engine::adl::RankInputs)> = m
                .seats
                .iter()
                .enumerate()
                .filter(|(_, s)| !s.is_free() && s.base_lots < 0)
                .map(|(i, s)| {
                    let r = rank_inputs(&h.config, &h.state, s, h.state.mark_price).unwrap();
                    (i, s.owner, r)
                })
                .collect();
            v.sort_by(|x, y| {
                (y.2.score, y.2.notional, core::cmp::Reverse(y.0)).cmp(&(
                    x.2.score,
                    x.2.notional,
                    core::cmp::Reverse(x.0),
                ))
            });
            v.into_iter().map(|(_, o, r)| (o, r.score)).collect()
        })
        .await
}

/// Checks the ADL of the gap scenario and returns, per fill, the role
/// name, lots and deficit share (for comparing environments).
async fn check_adl(g: &mut Gap, events: &[Vec<u8>]) -> Vec<(&'static str, u64, u64)> {
    let market = g.env.market(MKT);
    let role = |k: &Pubkey, g: &Gap| -> &'static str {
        let all: [(&Trader, &'static str); 6] = [
            (&g.a, "A"),
            (&g.b1, "B1"),
            (&g.b2, "B2"),
            (&g.b3, "B3"),
            (&g.c, "C"),
            (&g.k, "K"),
        ];
        all.iter()
            .find(|(t, _)| t.key() == *k)
            .map_or("?", |(_, n)| n)
    };
    let fills: Vec<AdlFillEvent> = decode(events);
    let adl: AdlEvent = one(events);
    // A's 15 000 lots close at the mark 90 (no more, no less); the deficit
    // after the close is 1 000 + 13 500 − 15 000 = −500, of which the fund
    // pays 300 (`check_fund_paid_first`) and the counterparties 200.
    assert_eq!((adl.market, adl.bankrupt_trader), (market, g.a.key()));
    assert_eq!(
        (adl.lots, adl.price, adl.deficit),
        (15_000, usd(90.0), usd(500.0))
    );
    assert_eq!((adl.counterparties, adl.socialized), (2, false));
    // Ranking at 90 (upnl, entry, notional, equity → pnl %, leverage):
    //   B2: 500 / 5 000 = 100 000 ppm; 4 500 / 1 500 = 3 000 000 ppm
    //       → score 300 000 000 000
    //   B1: 1 200 / 12 000 = 100 000; 10 800 / 11 200 = 964 285
    //       → 96 428 500 000
    //   B3: 1 000 / 10 000 = 100 000; 9 000 / 51 000 = 176 470
    //       → 17 647 000 000
    // B2's 5 000, then 10 000 of B1's 12 000 — exactly A's 15 000; B3 is
    // not touched. Shares of the 200 pro rata to lots, each rounded up:
    // B2 200 × 5/15 = 66.666667, B1 200 × 10/15 = 133.333334.
    let got: Vec<(&'static str, u64, u64)> = fills
        .iter()
        .map(|f| (role(&f.counterparty, g), f.lots, f.deficit_share))
        .collect();
    assert_eq!(
        got,
        vec![("B2", 5_000, 66_666_667), ("B1", 10_000, 133_333_334)]
    );
    let published = [
        (
            500_000_000i64,
            -5_000_000_000i64,
            4_500_000_000u64,
            1_500_000_000i64,
            300_000_000_000i128,
        ),
        (
            1_200_000_000,
            -12_000_000_000,
            10_800_000_000,
            11_200_000_000,
            96_428_500_000,
        ),
    ];
    for (f, (upnl, entry, notional, equity, score)) in fills.iter().zip(published) {
        assert_eq!(
            (f.market, f.bankrupt_trader, f.price),
            (market, g.a.key(), usd(90.0))
        );
        assert_eq!(
            (f.upnl, f.entry_cost, f.notional, f.equity),
            (upnl, entry, notional, equity)
        );
        assert_eq!(i128::from_le_bytes(f.score), score);
        // Anyone recomputes the score from the published inputs …
        assert_eq!(score_from_inputs(f), score);
        assert_eq!(
            f.seat as usize,
            seat_index(&mut g.env, &f.counterparty).await
        );
    }
    // … and the shares sum to what the fund left (200) plus one atom of
    // rounding, which went to the insurance fund's unswept fees.
    let charged: u64 = fills.iter().map(|f| f.deficit_share).sum();
    assert_eq!(charged, adl.deficit - usd(300.0) + 1);
    assert_eq!(fills.iter().map(|f| f.lots).sum::<u64>(), adl.lots);
    got
}

/// State after the ADL, by role (same in every environment).
async fn check_after_adl(g: &mut Gap, fees_before: u64) {
    // A: closed, its −500 made whole by the fund (300) and the
    // counterparties (200).
    assert_eq!(position(&mut g.env, &g.a).await, (0, 0, 0));
    // B2: 1 000 + 500 − 66.666667; B1: 10 000 + 1 000 − 133.333334 and
    // still short 2 000 at 100; B3 and C untouched.
    assert_eq!(position(&mut g.env, &g.b2).await, (0, 0, 1_433_333_333));
    assert_eq!(
        position(&mut g.env, &g.b1).await,
        (-2_000, -atoms(2_000.0), 10_866_666_666)
    );
    assert_eq!(
        position(&mut g.env, &g.b3).await,
        (-10_000, -atoms(10_000.0), atoms(50_000.0))
    );
    assert_eq!(
        position(&mut g.env, &g.c).await,
        (12_000, atoms(12_000.0), atoms(20_000.0))
    );
    // K's resting bid is not the ADL's business.
    assert_eq!(env_bids(g).await, vec![(usd(92.0), 15_000)]);
    let h = g.env.market_header(MKT).await;
    assert_eq!(h.state.unswept_insurance_fees, fees_before + 1);
    assert_eq!(h.state.funding_dust.get(), 0);
    assert_eq!(h.state.open_interest_lots, 12_000);
    assert_eq!(h.waterfall.adl_events, 1);
}

#[tokio::test]
async fn gap_fund_pays_first_then_adl_takes_the_top_ranked_shorts_and_only_the_shortfall() {
    let mut g = gap_env(&MarketToml::base(), IN_ORDER, 300.0).await;
    liquidate_then_refusals(&mut g).await;
    let ranking = expected_short_ranking(&mut g).await;
    assert_eq!(
        ranking.iter().map(|(o, _)| *o).collect::<Vec<_>>(),
        vec![g.b2.key(), g.b1.key(), g.b3.key()]
    );
    assert_eq!(ranking[2].1, 17_647_000_000);
    let fees0 = g.env.market_header(MKT).await.state.unswept_insurance_fees;
    let market = g.env.market(MKT);
    let vault0 = g.env.vault_balance(MKT).await;
    let a_seat = seat_ix(&mut g.env, &g.a.key()).await;
    let adl = ix::auto_deleverage(&market, &g.a.key(), a_seat);
    let ev = send_events(&mut g.env, std::slice::from_ref(&adl), &[]).await;
    check_fund_paid_first(&mut g, &ev, vault0).await;
    check_adl(&mut g, &ev).await;
    // The fills are the head of the program's own ranking, in order.
    let fills: Vec<AdlFillEvent> = decode(&ev);
    for (f, (owner, score)) in fills.iter().zip(&ranking) {
        assert_eq!(
            (f.counterparty, i128::from_le_bytes(f.score)),
            (*owner, *score)
        );
    }
    check_after_adl(&mut g, fees0).await;
    // A is flat: nothing more to deleverage.
    assert_eq!(seat_ix(&mut g.env, &g.a.key()).await, a_seat);
    g.env
        .send_tx_expect_error(&[adl], &[], code(E::NothingToLiquidate))
        .await;
}

/// The keeper names only the bankrupt seat. Two fresh environments reach
/// the same state with the seat table in opposite orders; the ADL is sent
/// once by the admin as is, once paid and signed by another wallet, after a
/// compute-budget instruction and with the shorts appended as extra
/// accounts in the order a keeper might prefer (B3 first). The victims and
/// amounts are identical.
#[tokio::test]
async fn adl_victims_do_not_depend_on_the_caller_or_account_order() {
    let mut g1 = gap_env(&MarketToml::base(), IN_ORDER, 300.0).await;
    let mut g2 = gap_env(&MarketToml::base(), [5, 4, 3, 2, 1, 0], 300.0).await;
    // The seat tables really differ.
    assert_eq!(seat_index(&mut g1.env, &g1.b2.key()).await, 2);
    assert_eq!(seat_index(&mut g2.env, &g2.b2.key()).await, 3);
    assert_ne!(
        seat_index(&mut g1.env, &g1.b1.key()).await,
        seat_index(&mut g2.env, &g2.b1.key()).await
    );
    liquidate_then_refusals(&mut g1).await;
    liquidate_then_refusals(&mut g2).await;

    let fees1 = g1.env.market_header(MKT).await.state.unswept_insurance_fees;
    let m1 = g1.env.market(MKT);
    let v1 = g1.env.vault_balance(MKT).await;
    let a1 = seat_ix(&mut g1.env, &g1.a.key()).await;
    let ev1 = send_events(
        &mut g1.env,
        &[ix::auto_deleverage(&m1, &g1.a.key(), a1)],
        &[],
    )
    .await;
    check_fund_paid_first(&mut g1, &ev1, v1).await;

    let fees2 = g2.env.market_header(MKT).await.state.unswept_insurance_fees;
    let v2 = g2.env.vault_balance(MKT).await;
    let m2 = g2.env.market(MKT);
    let caller = g2.env.new_wallet().await;
    let a2 = seat_ix(&mut g2.env, &g2.a.key()).await;
    let mut adl = ix::auto_deleverage(&m2, &g2.a.key(), a2);
    for t in [&g2.b3, &g2.c, &g2.b1] {
        adl.accounts.push(AccountMeta::new(t.key(), false));
    }
    adl.accounts
        .push(AccountMeta::new_readonly(caller.pubkey(), true));
    // The caller pays the fee: it becomes the chain's payer for this one
    // transaction.
    let admin = std::mem::replace(&mut g2.env.chain.ctx.payer, caller.insecure_clone());
    let ixs = [compute_unit_limit_ix(1_300_000), adl];
    let ev2 = send_events(&mut g2.env, &ixs, &[&caller]).await;
    g2.env.chain.ctx.payer = admin;
    check_fund_paid_first(&mut g2, &ev2, v2).await;

    let r1 = check_adl(&mut g1, &ev1).await;
    let r2 = check_adl(&mut g2, &ev2).await;
    assert_eq!(r1, r2);
    check_after_adl(&mut g1, fees1).await;
    check_after_adl(&mut g2, fees2).await;
}
