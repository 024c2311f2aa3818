//! ADL work is bounded to 16 counterparties per instruction; a keeper calls
//! again for the rest. Equal ranks go to the lower seat index.
//!
//! Setup: A (seat 0) long 17 000 lots at 100 with 900 USD; seventeen shorts
//! S0..S16 (seats 1..17) of 1 000 lots each, 1 000 USD each. Gap to 90:
//! A's equity = 900 − 1 700 = −800; the fund is empty. Every short ranks
//! the same: pnl 100 / 1 000 = 100 000 ppm, leverage 900 / 1 100 = 818 181
//! ppm, score 81 818 100 000, notional 900.

use crate::common::*;
use bulwark::engine::book::Side::{Ask, Bid};
use bulwark::state::{AdlEvent, AdlFillEvent};
use bulwark_app::config::usd;
use bulwark_app::ix;
use bulwark_tests::{ioc, limit, TestEnv, Trader};

/// The setup above (also the ranking round's, `adl_round.rs`).
pub(crate) async fn seventeen_shorts() -> (TestEnv, Trader, Vec<Trader>) {
    let cfg = MarketToml {
        max_seats: 24,
        book_capacity: 32,
        ..MarketToml::base()
    };
    let mut env = cfg.env().await;
    // A's IM: 5 % × 17 000 = 850 <= 900.
    let a = env.funded_trader(MKT, 900.0).await;
    let mut shorts = Vec::new();
    for _ in 0..17 {
        let s = env.funded_trader(MKT, 1_000.0).await;
        env.place(&s, MKT, limit(Ask, 100.0, 1_000)).await;
        shorts.push(s);
    }
    env.place(&a, MKT, ioc(Bid, 100.0, 17_000)).await;
    move_price(&mut env, 90.0).await;
    (env, a, shorts)
}

/// Runs the two ADL calls; returns each short's loss against its
/// profit at the mark (1 100 USD of equity = 1 000 + 100 before the ADL).
async fn deleverage_all(env: &mut TestEnv, a: &Trader, shorts: &[Trader]) -> Vec<i64> {
    let market = env.market(MKT);
    let a_seat = seat_ix(env, &a.key()).await;
    assert_eq!(a_seat, 0);
    let adl = ix::auto_deleverage(&market, &a.key(), a_seat);
    let ev = send_events(env, std::slice::from_ref(&adl), &[]).await;
    let fills: Vec<AdlFillEvent> = decode(&ev);
    // Ties on score and notional: seats 1..16 in index order, 1 000 lots each.
    let seats: Vec<(u32, u64)> = fills.iter().map(|f| (f.seat, f.lots)).collect();
    assert_eq!(seats, (1..=16).map(|s| (s, 1_000)).collect::<Vec<_>>());
    for (f, s) in fills.iter().zip(shorts) {
        assert_eq!(f.counterparty, s.key());
        assert_eq!(i128::from_le_bytes(f.score), 81_818_100_000);
        assert_eq!(f.notional, usd(900.0));
    }
    let e: AdlEvent = one(&ev);
    assert_eq!((e.lots, e.counterparties), (16_000, 16));
    assert_eq!(seat(env, a).await.base_lots, 1_000);
    // The second call takes the last 1 000 lots from S16 (seat 17).
    let ev = send_events(env, &[adl], &[]).await;
    let fills: Vec<AdlFillEvent> = decode(&ev);
    assert_eq!(fills.len(), 1);
    assert_eq!(
        (fills[0].seat, fills[0].lots, fills[0].counterparty),
        (17, 1_000, shorts[16].key())
    );
    assert_eq!(position(env, a).await, (0, 0, 0));
    let mut losses = Vec::new();
    for s in shorts {
        let (base, entry, collateral) = position(env, s).await;
        assert_eq!((base, entry), (0, 0));
        losses.push(atoms(1_100.0) - collateral);
    }
    losses
}

#[tokio::test]
async fn adl_takes_16_counterparties_per_call_ties_by_seat_index() {
    let (mut env, a, shorts) = seventeen_shorts().await;
    let losses = deleverage_all(&mut env, &a, &shorts).await;
    // Together the shorts pay A's 800 USD deficit (plus at most one atom of
    // rounding each, which goes to the insurance fund).
    let total: i64 = losses.iter().sum();
    assert!(
        (usd(800.0) as i64..=usd(800.0) as i64 + 17).contains(&total),
        "the shorts paid {total}"
    );
}

/// The issue: "closed … at the bankruptcy price": every counterparty pays
/// the deficit pro rata to the lots taken from it, 800 × 1 000 / 17 000 =
/// 47.058824 each (rounded up). The program charges the deficit only in
/// the call that closes the position, and only to that call's
/// counterparties (programs/bulwark/src/engine/adl.rs, the
/// `deficit > 0 && m.seats[target].base_lots == 0` branch): S0..S15 pay
/// nothing and S16 pays all 800 — 800 USD on a 1 000-lot position whose
/// profit was 100.
#[tokio::test]
async fn adl_over_two_calls_charges_every_counterparty_pro_rata() {
    let (mut env, a, shorts) = seventeen_shorts().await;
    let losses = deleverage_all(&mut env, &a, &shorts).await;
    let min = *losses.iter().min().unwrap();
    let max = *losses.iter().max().unwrap();
    assert!(
        max - min <= 1 && (47_058_823..=47_058_824).contains(&max),
        "each short should pay 47.058824 USD; they paid {losses:?}"
    );
}
