//! Liquidation through transactions: a book close at or above the
//! bankruptcy price, the keeper's takeover of the rest, the fee split (the
//! keeper's share into its seat, the insurance share swept later with a
//! LIQUIDATION_FEE ledger entry), cancel-first, and OKX's step-down.

use crate::common::*;
use bulwark::engine::book::Side::{Ask, Bid};
use bulwark::engine::insurance::verify_chain;
use bulwark::state::{inflow, FeesSwept, InsuranceLedgerEntry, LiquidationEvent, TakeoverEvent};
use bulwark_app::config::usd;
use bulwark_app::ix;
use bulwark_tests::{code, ioc, limit, BulwarkError as E};

/// Engine scenario `book_liquidation_then_keeper_takeover_exact_numbers`
/// through transactions. A = long (liquidated), B = short, C = market
/// maker, K = keeper.
#[tokio::test]
async fn book_liquidation_then_takeover_then_fee_sweep() {
    let mut env = MarketToml::base().env().await;
    let market = env.market(MKT);
    let a = env.funded_trader(MKT, 1_000.0).await;
    let b = env.funded_trader(MKT, 20_000.0).await;
    let c = env.funded_trader(MKT, 100_000.0).await;
    let k = env.funded_trader(MKT, 1_000.0).await;
    let (a_seat, k_seat) = (
        seat_ix(&mut env, &a.key()).await,
        seat_ix(&mut env, &k.key()).await,
    );
    // A buys 150 units (15 000 lots) from B at 100: notional 15 000 USD,
    // IM 5 % = 750 <= 1 000.
    trade(&mut env, &a, &b, 100.0, 15_000).await;
    // 94: A's equity = 1 000 − 150 × 6 = 100 < MM 2.5 % × 14 100 = 352.5.
    move_price(&mut env, 94.0).await;
    // C bids 50 units at 93.9 and 200 units at 93.0.
    env.place(&c, MKT, limit(Bid, 93.9, 5_000)).await;
    env.place(&c, MKT, limit(Bid, 93.0, 20_000)).await;
    let vault0 = env.vault_balance(MKT).await;

    let liq = ix::liquidate(&k.key(), &market, &a.key(), a_seat, Some(k_seat));
    let ev = send_events(&mut env, &[liq], &[&k.kp]).await;
    let e: LiquidationEvent = one(&ev);
    // Bankruptcy price = (15 000 − 1 000) / 150 = 93.3333… rounded up
    // (a long must sell at or above it). Only the 93.9 bid is at or above
    // it: 5 000 lots close there; the whole position was targeted.
    assert_eq!((e.market, e.trader, e.keeper), (market, a.key(), k.key()));
    assert_eq!(e.bankruptcy_price, 93_333_334);
    assert_eq!(e.mark_price, usd(94.0));
    assert_eq!(
        (e.target_lots, e.closed_lots, e.partial),
        (15_000, 5_000, false)
    );
    assert_eq!(
        (e.cancelled_orders, e.restored_by_cancel, e.bankrupt_after),
        (0, false, false)
    );
    // A realizes 50 × 93.9 − 5 000 = −305 → collateral 695. Equity at 94
    // = 695 + 100 × 94 − 10 000 = 95; fee = min(1 % × 50 × 94 = 47, 95) = 47:
    // 23.5 to the keeper's seat, 23.5 to the insurance fund (unswept).
    assert_eq!(
        (e.fee, e.keeper_fee, e.insurance_fee),
        (usd(47.0), 23_500_000, 23_500_000)
    );
    assert_eq!(
        position(&mut env, &a).await,
        (10_000, atoms(10_000.0), atoms(648.0))
    );
    assert_eq!(
        position(&mut env, &c).await,
        (5_000, atoms(4_695.0), atoms(100_000.0))
    );
    assert_eq!(position(&mut env, &k).await, (0, 0, 1_023_500_000));
    let h = env.market_header(MKT).await;
    assert_eq!(h.waterfall.unswept_liquidation_fees, 23_500_000);
    assert_eq!(h.waterfall.liquidations, 1);
    // The 93.0 bid is untouched (below the bankruptcy price); no token moved.
    let (bids, _) = env.book(MKT).await;
    assert_eq!(bids.len(), 1);
    assert_eq!((bids[0].price, bids[0].lots), (usd(93.0), 20_000));
    assert_eq!(env.vault_balance(MKT).await, vault0);

    // The book is too thin: K takes the rest over. Bankruptcy price now
    // (10 000 − 648) / 100 = 93.52; half-way from the mark 94 → 93.76.
    let take = ix::takeover(&k.key(), &market, &a.key(), a_seat, k_seat);
    let ev = send_events(&mut env, &[take], &[&k.kp]).await;
    let t: TakeoverEvent = one(&ev);
    assert_eq!((t.trader, t.keeper, t.lots), (a.key(), k.key(), 10_000));
    assert_eq!(
        (t.price, t.mark_price, t.bankruptcy_price),
        (93_760_000, usd(94.0), 93_520_000)
    );
    // A realizes 9 376 − 10 000 = −624 → 24; fee = min(1 % × 9 400 = 94, 24)
    // = 24: 12 to K, 12 to insurance. K: 1 023.5 + 12 = 1 035.5, long 100
    // units at 93.76 (its IM at 94: 5 % × 9 400 = 470 <= equity 1 059.5).
    assert_eq!((t.fee, t.keeper_fee), (usd(24.0), usd(12.0)));
    assert_eq!(position(&mut env, &a).await, (0, 0, 0));
    assert_eq!(
        position(&mut env, &k).await,
        (10_000, atoms(9_376.0), 1_035_500_000)
    );
    let h = env.market_header(MKT).await;
    assert_eq!(h.waterfall.unswept_liquidation_fees, 35_500_000);
    assert_eq!(h.waterfall.liquidations, 2);
    assert_eq!(
        (
            h.state.unswept_insurance_fees,
            h.state.unswept_treasury_fees
        ),
        (0, 0)
    );
    assert_eq!(env.vault_balance(MKT).await, vault0);

    // Nothing left: A is flat with zero equity and zero requirement.
    let again = ix::liquidate(&k.key(), &market, &a.key(), a_seat, Some(k_seat));
    env.send_tx_expect_error(&[again], &[&k.kp], code(E::NotLiquidatable))
        .await;

    // The sweep moves the insurance share (23.5 + 12 = 35.5) from the market
    // vault into the insurance vault: one LIQUIDATION_FEE ledger entry, the
    // first the fund ever wrote (seq 0), its hash the fund's chain head.
    let ins0 = insurance_vault_balance(&mut env).await;
    let sweep = ix::sweep_fees(&market, &env.dep.treasury);
    let ev = send_events(&mut env, &[sweep], &[]).await;
    let swept: FeesSwept = one(&ev);
    assert_eq!((swept.to_insurance, swept.to_treasury), (35_500_000, 0));
    let entry: InsuranceLedgerEntry = one(&ev);
    assert_eq!(entry.kind, inflow::LIQUIDATION_FEE as u8);
    assert_eq!(
        (entry.seq, entry.amount, entry.balance_after),
        (0, 35_500_000, 35_500_000)
    );
    assert_eq!(entry.market, market);
    assert_eq!(env.vault_balance(MKT).await, vault0 - 35_500_000);
    assert_eq!(insurance_vault_balance(&mut env).await, ins0 + 35_500_000);
    let fund = env.insurance_fund().await;
    assert_eq!(fund.balance, 35_500_000);
    assert_eq!(fund.inflows[inflow::LIQUIDATION_FEE], 35_500_000);
    assert_eq!(fund.ledger_seq, 1);
    assert_eq!(verify_chain(&[entry]), Some(fund.hash_chain));
    assert_eq!(ledger_entry(&mut env, 0).await, entry);
    assert_eq!(
        env.market_header(MKT)
            .await
            .waterfall
            .unswept_liquidation_fees,
        0
    );
}

/// The mirror image for a short: the bankruptcy price rounds down (a short
/// must buy back at or below it) and the takeover price moves from the mark
/// up toward it.
#[tokio::test]
async fn short_book_liquidation_then_takeover() {
    let mut env = MarketToml::base().env().await;
    let market = env.market(MKT);
    let a = env.funded_trader(MKT, 1_000.0).await;
    let b = env.funded_trader(MKT, 20_000.0).await;
    let c = env.funded_trader(MKT, 100_000.0).await;
    let k = env.funded_trader(MKT, 1_000.0).await;
    let (a_seat, k_seat) = (
        seat_ix(&mut env, &a.key()).await,
        seat_ix(&mut env, &k.key()).await,
    );
    // A sells 150 units to B at 100.
    trade(&mut env, &b, &a, 100.0, 15_000).await;
    // 106: equity 1 000 − 900 = 100 < MM 2.5 % × 15 900 = 397.5.
    move_price(&mut env, 106.0).await;
    env.place(&c, MKT, limit(Ask, 106.1, 5_000)).await;
    env.place(&c, MKT, limit(Ask, 107.0, 20_000)).await;
    let liq = ix::liquidate(&k.key(), &market, &a.key(), a_seat, Some(k_seat));
    let ev = send_events(&mut env, &[liq], &[&k.kp]).await;
    let e: LiquidationEvent = one(&ev);
    // Bankruptcy price (15 000 + 1 000) / 150 = 106.666666 (down); the
    // 106.1 ask is below it, the 107.0 ask above. A buys back 50 units for
    // 5 305: realized −305 → 695; equity at 106 = 695 − 600 = 95; fee =
    // min(1 % × 5 300 = 53, 95) = 53, 26.5 to K.
    assert_eq!(e.bankruptcy_price, 106_666_666);
    assert_eq!((e.target_lots, e.closed_lots), (15_000, 5_000));
    assert_eq!(
        (e.fee, e.keeper_fee, e.insurance_fee),
        (usd(53.0), 26_500_000, 26_500_000)
    );
    assert_eq!(
        position(&mut env, &a).await,
        (-10_000, -atoms(10_000.0), atoms(642.0))
    );
    // Takeover: bankruptcy price (10 000 + 642) / 100 = 106.42; half-way
    // from 106 → 106.21. A realizes 10 000 − 10 621 = −621 → 21; fee =
    // min(106, 21) = 21, 10.5 to K. K: short 100 units at 106.21,
    // 1 000 + 26.5 + 10.5 = 1 037.
    let take = ix::takeover(&k.key(), &market, &a.key(), a_seat, k_seat);
    let ev = send_events(&mut env, &[take], &[&k.kp]).await;
    let t: TakeoverEvent = one(&ev);
    assert_eq!(
        (t.lots, t.price, t.bankruptcy_price),
        (10_000, 106_210_000, 106_420_000)
    );
    assert_eq!((t.fee, t.keeper_fee), (usd(21.0), 10_500_000));
    assert_eq!(position(&mut env, &a).await, (0, 0, 0));
    assert_eq!(
        position(&mut env, &k).await,
        (-10_000, -atoms(10_621.0), atoms(1_037.0))
    );
    assert_eq!(
        env.market_header(MKT)
            .await
            .waterfall
            .unswept_liquidation_fees,
        37_000_000
    );
}

/// Engine scenario `cancelling_orders_can_restore_health`: the seat's own
/// resting bid is what breaks maintenance; cancelling it is enough.
#[tokio::test]
async fn cancelling_the_orders_restores_health_and_closes_nothing() {
    let mut env = MarketToml::base().env().await;
    let market = env.market(MKT);
    let a = env.funded_trader(MKT, 1_000.0).await;
    let b = env.funded_trader(MKT, 20_000.0).await;
    let k = env.funded_trader(MKT, 1_000.0).await;
    let (a_seat, k_seat) = (
        seat_ix(&mut env, &a.key()).await,
        seat_ix(&mut env, &k.key()).await,
    );
    trade(&mut env, &a, &b, 100.0, 10_000).await;
    // A also bids 80 units at 99: worst case long 180 units.
    env.place(&a, MKT, limit(Bid, 99.0, 8_000)).await;
    // 96.3: equity 1 000 − 370 = 630; worst-case MM = 2.5 % × 180 × 96.3
    // + 80 × (99 − 96.3) = 433.35 + 216 = 649.35 → liquidatable; the
    // position alone needs 2.5 % × 9 630 = 240.75.
    move_price(&mut env, 96.3).await;
    let liq = ix::liquidate(&k.key(), &market, &a.key(), a_seat, Some(k_seat));
    let ev = send_events(&mut env, &[liq], &[&k.kp]).await;
    let e: LiquidationEvent = one(&ev);
    assert!(e.restored_by_cancel);
    assert_eq!(
        (e.cancelled_orders, e.target_lots, e.closed_lots),
        (1, 0, 0)
    );
    assert_eq!((e.fee, e.keeper_fee, e.insurance_fee), (0, 0, 0));
    assert!(!e.bankrupt_after);
    assert_eq!(
        position(&mut env, &a).await,
        (10_000, atoms(10_000.0), atoms(1_000.0))
    );
    assert_eq!(seat(&mut env, &a).await.num_orders, 0);
    assert_eq!(env.book(MKT).await.0.len(), 0);
    assert_eq!(position(&mut env, &k).await, (0, 0, atoms(1_000.0)));
    // Healthy now: a second call is refused.
    let again = ix::liquidate(&k.key(), &market, &a.key(), a_seat, Some(k_seat));
    env.send_tx_expect_error(&[again], &[&k.kp], code(E::NotLiquidatable))
        .await;
}

/// OKX's example: 50 000 contracts in tier 4 breach maintenance; the
/// position is stepped down two tiers, to tier 2's largest size: 40 001
/// close, 9 999 stay. One lot = one contract = 1 USD at price 1.
#[tokio::test]
async fn okx_partial_liquidation_closes_40001_keeps_9999() {
    let cfg = MarketToml {
        price_usd: 1.02,
        lots_per_unit: 1,
        tick_usd: 0.000001,
        tiers: vec![
            (4_999, 10_000, 5_000),
            (7_999, 15_000, 7_500),
            (9_999, 20_000, 10_000),
            (29_999, 25_000, 12_500),
            (60_000, 30_000, 20_000),
        ],
        partial_tier: 3,
        max_order_lots: 100_000,
        ..MarketToml::base()
    };
    let mut env = cfg.env().await;
    let market = env.market(MKT);
    let a = env.funded_trader(MKT, 1_600.0).await;
    let b = env.funded_trader(MKT, 1_000_000.0).await;
    let c = env.funded_trader(MKT, 1_000_000.0).await;
    let k = env.funded_trader(MKT, 1_000.0).await;
    let (a_seat, k_seat) = (
        seat_ix(&mut env, &a.key()).await,
        seat_ix(&mut env, &k.key()).await,
    );
    // A buys 50 000 contracts at 1.02 from B: notional 51 000 (tier 4),
    // IM 3 % = 1 530 <= 1 600.
    trade(&mut env, &a, &b, 1.02, 50_000).await;
    // 1.00: equity 1 600 − 1 000 = 600 < tier 4's MM 2 % × 50 000 = 1 000.
    move_price(&mut env, 1.0).await;
    let h = env.market_header(MKT).await;
    let (tier, _) = bulwark::engine::margin::tier_for(&h.config, usd(50_000.0));
    assert_eq!(tier, 4);
    // C bids 60 000 at 0.999, above the bankruptcy price
    // (51 000 − 1 600) / 50 000 = 0.988.
    env.place(&c, MKT, limit(Bid, 0.999, 60_000)).await;

    let liq = ix::liquidate(&k.key(), &market, &a.key(), a_seat, Some(k_seat));
    let ev = send_events(&mut env, &[liq], &[&k.kp]).await;
    let e: LiquidationEvent = one(&ev);
    // Step down two tiers: keep tier 2's largest, 9 999 USD / 1.00 = 9 999
    // contracts; after the fee 1 % × 40 001 = 400.01 the equity
    // 600 − 400.01 = 199.99 >= tier 2's MM 1 % × 9 999 = 99.99 → stop.
    assert_eq!(
        (e.target_lots, e.closed_lots, e.partial),
        (40_001, 40_001, true)
    );
    assert_eq!(e.bankruptcy_price, 988_000);
    assert_eq!(e.mark_price, 1_000_000);
    // 40 001 sell at 0.999 for 39 960.999; the cost removed is
    // 51 000 × 40 001 / 50 000 = 40 801.02 → realized −840.021; collateral
    // 759.979, entry 10 198.98. Equity at 1.00 = 759.979 + 9 999 − 10 198.98
    // = 559.999; fee = min(400.01, 559.999) = 400.01, half to K.
    assert_eq!(
        (e.fee, e.keeper_fee, e.insurance_fee),
        (400_010_000, 200_005_000, 200_005_000)
    );
    assert!(!e.bankrupt_after);
    assert_eq!(
        position(&mut env, &a).await,
        (9_999, 10_198_980_000, 359_969_000)
    );
    assert_eq!(
        position(&mut env, &c).await,
        (40_001, 39_960_999_000, atoms(1_000_000.0))
    );
    assert_eq!(
        position(&mut env, &k).await,
        (0, 0, atoms(1_000.0) + 200_005_000)
    );
    // What stays sits in tier 2, and is healthy: equity 159.989 >= 99.99.
    let h = env.market_header(MKT).await;
    let (tier, _) = bulwark::engine::margin::tier_for(&h.config, usd(9_999.0));
    assert_eq!(tier, 2);
    let again = ix::liquidate(&k.key(), &market, &a.key(), a_seat, Some(k_seat));
    env.send_tx_expect_error(&[again], &[&k.kp], code(E::NotLiquidatable))
        .await;
    // The rest of C's bid still rests.
    let (bids, asks) = env.book(MKT).await;
    assert!(asks.is_empty());
    assert_eq!((bids.len(), bids[0].lots), (1, 60_000 - 40_001));
    // And the remaining 9 999 can still be closed normally by A itself.
    env.place(&a, MKT, ioc(Ask, 0.999, 9_999)).await;
    assert_eq!(seat(&mut env, &a).await.base_lots, 0);
}
