//! Socialized loss: in a market whose waterfall mode is "socialized", the
//! bankrupt position is closed at the mark against the program-ranked
//! opposite positions, and the deficit the insurance fund does not pay is
//! taken at once from the opposite side's unrealized profit, pro rata to it
//! (each seat's profit counted up to its equity, shares by cumulative
//! floors so they sum to the charge exactly). Losing positions on that side
//! pay nothing, and nothing is left to collect when seats settle later.

use crate::common::*;
use bulwark::state::{
    AdlEvent, AdlFillEvent, BankruptcyCovered, DeficitUnpaid, SocializedLossEvent, SocializedLossV2,
};
use bulwark_app::config::usd;
use bulwark_app::ix;

/// Engine scenario `socialized_loss_spreads_the_deficit_over_the_side`,
/// with the remaining short side split over two seats (D and E) so the
/// spread is pro rata, and a losing short (F) on the paying side.
#[tokio::test]
async fn socialized_deficit_is_paid_by_the_opposite_side_pro_rata() {
    let mut env = MarketToml::socialized().env().await;
    let market = env.market(MKT);
    // Seat order: A 0, B1 1, B2 2, C 3, D 4, E 5, F 6, G 7 (the haircut's
    // cumulative floors run in seat order).
    let a = env.funded_trader(MKT, 1_000.0).await;
    let b1 = env.funded_trader(MKT, 10_000.0).await;
    let b2 = env.funded_trader(MKT, 1_000.0).await;
    let c = env.funded_trader(MKT, 20_000.0).await;
    let d = env.funded_trader(MKT, 20_000.0).await;
    let e = env.funded_trader(MKT, 20_000.0).await;
    let f = env.funded_trader(MKT, 1_000.0).await;
    let g = env.funded_trader(MKT, 1_000.0).await;
    // A long 15 000 against B1 (10 000) and B2 (5 000); C long 15 000
    // against D (10 000) and E (5 000). All at 100, no fees.
    trade(&mut env, &a, &b1, 100.0, 10_000).await;
    trade(&mut env, &a, &b2, 100.0, 5_000).await;
    trade(&mut env, &c, &d, 100.0, 10_000).await;
    trade(&mut env, &c, &e, 100.0, 5_000).await;
    // At 88 F sells G 1 000 lots: a short that loses once the price is 90.
    move_price(&mut env, 88.0).await;
    trade(&mut env, &g, &f, 88.0, 1_000).await;
    // At 90: A's equity = 1 000 − 1 500 = −500; F's upnl = 880 − 900 = −20.
    // The fund is empty, so nothing can be covered and the ADL may run at
    // once.
    move_price(&mut env, 90.0).await;
    assert_eq!(env.insurance_fund().await.balance, 0);
    let f0 = position(&mut env, &f).await;
    assert_eq!(f0, (-1_000, -atoms(880.0), atoms(1_000.0)));
    let g0 = position(&mut env, &g).await;
    assert_eq!(g0, (1_000, atoms(880.0), atoms(1_000.0)));

    let a_seat = seat_ix(&mut env, &a.key()).await;
    assert_eq!(a_seat, 0);
    let ev = send_events(
        &mut env,
        &[ix::auto_deleverage(&market, &a.key(), a_seat)],
        &[],
    )
    .await;
    // The close: ranks at 90 (before the haircut) are B2 (10 % × 4 500 /
    // 1 500 = 300 000 000 000), B1 (10 % × 9 000 / 11 000 → 100 000 ×
    // 818 181), D (100 000 × 428 571), E (100 000 × 219 512) and last F
    // (losing: a negative score). A's 15 000 go to B2 and B1 at the mark;
    // in socialized mode nobody pays an ADL share.
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
    // The 500 are taken from the short side's unrealized profit at 90, each
    // seat's counted up to its equity: B1 1 000, B2 500, D 1 000, E 500,
    // F 0 (it loses) — pool 3 000. Cumulative floors in seat order:
    //   B1 floor(500e6 × 1 000 / 3 000) = 166 666 666
    //   B2 floor(500e6 × 1 500 / 3 000) − 166 666 666 = 83 333 334
    //   D  floor(500e6 × 2 500 / 3 000) − 250 000 000 = 166 666 666
    //   E  500 000 000 − 416 666 666 = 83 333 334
    // Σ = 500 000 000 exactly: no rounding atom, no dust.
    let s: SocializedLossV2 = one(&ev);
    assert_eq!(
        (s.bankrupt_trader, s.side, s.deficit, s.charged),
        (a.key(), 1, usd(500.0), usd(500.0))
    );
    assert_eq!((s.profit_pool, s.seats_charged), (usd(3_000.0), 4));
    // The loss index is no longer used: no SocializedLossEvent, no index.
    assert!(decode::<SocializedLossEvent>(&ev).is_empty());
    assert!(decode::<DeficitUnpaid>(&ev).is_empty());
    assert!(decode::<BankruptcyCovered>(&ev).is_empty());
    let h = env.market_header(MKT).await;
    assert_eq!(h.state.social_loss_per_lot[1].get(), 0);
    assert_eq!(h.state.funding_dust.get(), 0);
    assert_eq!(h.state.unswept_insurance_fees, 0);
    assert_eq!(
        (h.waterfall.total_socialized, h.waterfall.socialized_events),
        (usd(500.0), 1)
    );
    assert_eq!(
        (h.waterfall.total_unpaid_deficit, h.waterfall.total_cover),
        (0, 0)
    );
    // A is made whole (collateral 0, flat); B1 and B2 realized their gains
    // less their haircut.
    assert_eq!(position(&mut env, &a).await, (0, 0, 0));
    assert_eq!(
        position(&mut env, &b2).await,
        (0, 0, atoms(1_500.0) - 83_333_334)
    );
    assert_eq!(
        position(&mut env, &b1).await,
        (0, 0, atoms(11_000.0) - 166_666_666)
    );
    // D and E paid their haircut at once, out of collateral; their
    // positions stay open.
    assert_eq!(
        position(&mut env, &d).await,
        (-10_000, -atoms(10_000.0), atoms(20_000.0) - 166_666_666)
    );
    assert_eq!(
        position(&mut env, &e).await,
        (-5_000, -atoms(5_000.0), atoms(20_000.0) - 83_333_334)
    );
    // F's losing short on the paying side is untouched, as are the longs
    // (C, G): the winning side of A's loss pays nothing.
    assert_eq!(position(&mut env, &f).await, f0);
    assert_eq!(position(&mut env, &g).await, g0);
    assert_eq!(
        position(&mut env, &c).await,
        (15_000, atoms(15_000.0), atoms(20_000.0))
    );

    // Σ haircuts (B1 and B2 against their collateral after realizing their
    // gains) = the deficit, to the atom.
    let mut haircuts = 0;
    for (t, before) in [
        (&b1, 11_000.0),
        (&b2, 1_500.0),
        (&d, 20_000.0),
        (&e, 20_000.0),
    ] {
        haircuts += atoms(before) - seat(&mut env, t).await.collateral;
    }
    assert_eq!(haircuts, usd(500.0) as i64);

    // Nothing is left to collect when a seat settles: a withdrawal of one
    // atom (it settles funding and loss first) takes just the atom from
    // every seat still open, D and E included.
    let mut paid = Vec::new();
    for t in [&c, &d, &e, &f, &g] {
        let c0 = seat(&mut env, t).await.collateral;
        env.withdraw(t, MKT, 1).await;
        paid.push(c0 - 1 - seat(&mut env, t).await.collateral);
    }
    assert_eq!(paid, vec![0, 0, 0, 0, 0]);
    let h = env.market_header(MKT).await;
    assert_eq!(h.state.funding_dust.get(), 0);
    assert_eq!(h.state.unswept_insurance_fees, 0);
}
