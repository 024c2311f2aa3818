//! Socialized loss: in a market whose waterfall mode is "socialized", the
//! bankrupt position's deficit is spread over every position on the
//! opposite side through the side's loss index (each seat pays when it
//! settles), and the position is closed at the mark against the ranked
//! opposite positions, which settle their share as they close.

use crate::common::*;
use bulwark::state::{AdlEvent, AdlFillEvent, SocializedLossEvent};
use bulwark_app::config::usd;
use bulwark_app::ix;

/// Engine scenario `socialized_loss_spreads_the_deficit_over_the_side`,
/// with the remaining short side split over two seats (D and E) so the
/// spread is pro rata.
#[tokio::test]
async fn socialized_deficit_is_paid_by_the_opposite_side_pro_rata() {
    let mut env = MarketToml::socialized().env().await;
    let market = env.market(MKT);
    let a = env.funded_trader(MKT, 1_000.0).await;
    let b1 = env.funded_trader(MKT, 10_000.0).await;
    let b2 = env.funded_trader(MKT, 1_000.0).await;
    let c = env.funded_trader(MKT, 20_000.0).await;
    let d = env.funded_trader(MKT, 20_000.0).await;
    let e = env.funded_trader(MKT, 20_000.0).await;
    // A long 15 000 against B1 (10 000) and B2 (5 000); C long 15 000
    // against D (10 000) and E (5 000). All at 100, no fees.
    trade(&mut env, &a, &b1, 100.0, 10_000).await;
    trade(&mut env, &a, &b2, 100.0, 5_000).await;
    trade(&mut env, &c, &d, 100.0, 10_000).await;
    trade(&mut env, &c, &e, 100.0, 5_000).await;
    // Gap to 90: A's equity = 1 000 − 1 500 = −500. The fund is empty, so
    // nothing can be covered and the ADL may run at once.
    move_price(&mut env, 90.0).await;
    assert_eq!(env.insurance_fund().await.balance, 0);

    let ev = send_events(&mut env, &[ix::auto_deleverage(&market, &a.key())], &[]).await;
    // The close: ranks at 90 are B2 (10 % × 4 500/1 500 = 300 000 000 000),
    // B1 (10 % × 9 000/11 000 → 100 000 × 818 181), D (10 % × 9 000/21 000 →
    // 100 000 × 428 571), E (10 % × 4 500/20 500 → 100 000 × 219 512): A's
    // 15 000 go to B2 and B1 at the mark (they settle their share of the
    // socialized loss before closing, not an ADL share).
    let fills: Vec<AdlFillEvent> = decode(&ev);
    let got: Vec<_> = fills
        .iter()
        .map(|f| {
            (
                f.counterparty,
                f.lots,
                f.deficit_share,
                i128::from_le_bytes(f.score),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (b2.key(), 5_000, 0, 300_000_000_000),
            (b1.key(), 10_000, 0, 81_818_100_000)
        ]
    );
    let adl: AdlEvent = one(&ev);
    assert_eq!(
        (adl.lots, adl.price, adl.deficit, adl.socialized),
        (15_000, usd(90.0), usd(500.0), true)
    );
    // The 500 go to all 30 000 short lots (B1, B2, D, E), before the close:
    // per lot ceil(500e6 × 1e9 / 30 000) = 16 666 666 666 667 scaled atoms;
    // 10 000 scaled atoms of rounding become dust. B2 then settles
    // ceil(5 000 × 16 666 666 666 667 / 1e9) = 83 333 334 (dust += 666 665 000)
    // and B1 166 666 667 (dust += 333 330 000): dust 1 000 005 000 → one
    // atom to the insurance fees, 5 000 left.
    let s: SocializedLossEvent = one(&ev);
    assert_eq!(
        (s.side, s.deficit, s.open_interest_lots),
        (1, usd(500.0), 30_000)
    );
    assert_eq!(i128::from_le_bytes(s.loss_index), 16_666_666_666_667);
    let h = env.market_header(MKT).await;
    assert_eq!(h.state.funding_dust.get(), 5_000);
    assert_eq!(
        (h.waterfall.total_socialized, h.waterfall.socialized_events),
        (usd(500.0), 1)
    );
    assert_eq!(h.state.unswept_insurance_fees, 1);
    // A is made whole (collateral 0, flat); B1 and B2 realized their gains
    // less their share of the loss.
    assert_eq!(position(&mut env, &a).await, (0, 0, 0));
    assert_eq!(
        position(&mut env, &b2).await,
        (0, 0, atoms(1_500.0) - 83_333_334)
    );
    assert_eq!(
        position(&mut env, &b1).await,
        (0, 0, atoms(11_000.0) - 166_666_667)
    );

    // Nothing is charged until a seat settles. Settle everyone still open
    // with a withdrawal of one atom (it settles funding and loss first).
    let mut paid = Vec::new();
    for t in [&c, &d, &e] {
        let c0 = seat(&mut env, t).await.collateral;
        env.withdraw(t, MKT, 1).await;
        paid.push(c0 - 1 - seat(&mut env, t).await.collateral);
    }
    // C is on the winning side of A's loss: pays nothing.
    // D: ceil(10 000 × 16 666 666 666 667 / 1e9) = 166 666 667
    //    (dust += 333 330 000)
    // E: ceil(5 000 × 16 666 666 666 667 / 1e9) = 83 333 334
    //    (dust += 666 665 000)
    assert_eq!(paid, vec![0, 166_666_667, 83_333_334]);
    // Σ paid by the whole side = 2 × (83 333 334 + 166 666 667) =
    // 500 000 002 = the deficit + 2 atoms of rounding; the dust
    // 10 000 + 2 × (666 665 000 + 333 330 000) = 2e9 is those two atoms,
    // now in the insurance fund's unswept fees.
    assert_eq!(
        paid.iter().sum::<i64>() + 83_333_334 + 166_666_667,
        usd(500.0) as i64 + 2
    );
    let h = env.market_header(MKT).await;
    assert_eq!(h.state.funding_dust.get(), 0);
    assert_eq!(h.state.unswept_insurance_fees, 2);
    // Settled seats owe nothing more: a second settlement charges nothing.
    let c0 = seat(&mut env, &d).await.collateral;
    env.withdraw(&d, MKT, 1).await;
    assert_eq!(seat(&mut env, &d).await.collateral, c0 - 1);
}
