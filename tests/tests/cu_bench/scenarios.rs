//! The scenarios in markets of the default capacities: every instruction
//! doing its real work (`main_scenarios`), and ADL at 256 / 1,024 / 4,096
//! seats and socialized loss (`waterfall_scenarios`), built with ordinary
//! deposit and order transactions.

use crate::bench::{
    exchange_toml, ioc, limit, market_toml, Bench, Report, Trader, LOTS_PER_BTC, START_PRICE,
    TX_CU_LIMIT,
};
use anchor_spl::token::spl_token;
use bulwark::engine::book::Side;
use bulwark::state::InsuranceStake;
use bulwark_app::config::usd;
use bulwark_app::ix;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use std::time::Instant;

/// Deposits, orders, fills, cancels, funding, prices, fees, the insurance
/// fund, and the liquidation waterfall's first steps, in the default market
/// (1,024 seats, 256 orders per side).
pub async fn main_scenarios(report: &mut Report) {
    let t0 = Instant::now();
    // A second, small market whose one feed is a Pyth pull account
    // (PriceUpdateV2, owner = the receiver, here the same fake key).
    let pull = market_toml("PULL-PERP", 64, 16, "bench-pull", "adl").replace(
        r#"name = "bench-pull","#,
        r#"name = "bench-pull", kind = "pull", feed_id = "0x5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a","#,
    );
    let toml = exchange_toml(&[market_toml("BTC-PERP", 1024, 256, "bench-btc", "adl"), pull]);
    let mut b = Bench::start(&toml, TX_CU_LIMIT, 1_000_000).await;
    let m = b.market("BTC-PERP");
    println!("main market: 1,024 seats, 256 orders per side");

    // Cast: a quote maker, a keeper, a liquidity maker, 20 makers, a taker.
    let q = b.funded(&m, 10_000_000.0).await;
    let k = b.funded(&m, 1_000_000.0).await;
    let lm = b.funded(&m, 5_000_000.0).await;
    let mut makers = Vec::new();
    for _ in 0..20 {
        makers.push(b.funded(&m, 1_000_000.0).await);
    }
    let t = b.funded(&m, 1_000_000.0).await;
    b.fresh(&m).await;
    // The quote maker's orders, 3 % either side: a book with two sides.
    b.place(&m, &q, limit(Side::Bid, 63_050.0, LOTS_PER_BTC))
        .await;
    b.place(&m, &q, limit(Side::Ask, 66_950.0, LOTS_PER_BTC))
        .await;

    // ---- collateral
    let x = b.trader(1_000.0);
    let i = b.deposit_ix(&m, &x, 500.0).await;
    b.measure(
        report,
        "deposit_new",
        "deposit (claims a new seat)",
        i,
        &[&x.kp],
    )
    .await;
    let i = b.deposit_ix(&m, &x, 100.0).await;
    b.measure(report, "deposit", "deposit (existing seat)", i, &[&x.kp])
        .await;
    let xs = b.ix_of(&m, &x.key()).await;
    let i = ix::withdraw(&x.key(), &m, xs, &x.token, usd(50.0));
    b.measure(
        report,
        "withdraw_flat",
        "withdraw (no position)",
        i,
        &[&x.kp],
    )
    .await;

    // ---- resting order, cancel, cancel all
    b.fresh(&m).await;
    let id = b.header(&m).await.state.next_order_id;
    let mut mseat = Vec::new();
    for mk in &makers {
        mseat.push(b.ix_of(&m, &mk.key()).await);
    }
    let i = ix::place_order(
        &makers[0].key(),
        &m,
        mseat[0],
        limit(Side::Bid, 64_900.0, 10),
    );
    b.measure(
        report,
        "place_resting",
        "place_order: limit, rests (no fill)",
        i,
        &[&makers[0].kp],
    )
    .await;
    assert_eq!(b.seat(&m, &makers[0].key()).await.1.num_orders, 1);
    let i = ix::cancel_order(&makers[0].key(), &m, mseat[0], id);
    b.measure(
        report,
        "cancel",
        "cancel_order (by id)",
        i,
        &[&makers[0].kp],
    )
    .await;
    assert_eq!(b.seat(&m, &makers[0].key()).await.1.num_orders, 0);

    let ixs: Vec<Instruction> = (0..10)
        .map(|j| {
            ix::place_order(
                &makers[1].key(),
                &m,
                mseat[1],
                limit(Side::Bid, 64_800.0 - j as f64, 10),
            )
        })
        .collect();
    b.must("10 resting bids", &ixs, &[&makers[1].kp]).await;
    assert_eq!(b.seat(&m, &makers[1].key()).await.1.num_orders, 10);
    let i = ix::cancel_all_orders(&makers[1].key(), &m, mseat[1]);
    b.measure(
        report,
        "cancel_all_10",
        "cancel_all_orders (10 orders)",
        i,
        &[&makers[1].kp],
    )
    .await;
    assert_eq!(b.seat(&m, &makers[1].key()).await.1.num_orders, 0);

    // ---- taker orders with 1 / 5 / 20 fills, each against a different maker
    for (n, key, label) in [
        (1usize, "taker_1", "place_order: taker, 1 fill"),
        (5, "taker_5", "place_order: taker, 5 fills"),
        (20, "taker_20", "place_order: taker, 20 fills"),
    ] {
        b.fresh(&m).await;
        for first in (0..n).step_by(5) {
            let idx: Vec<usize> = (first..n.min(first + 5)).collect();
            let ixs: Vec<Instruction> = idx
                .iter()
                .map(|&j| {
                    let p = limit(Side::Ask, 65_000.1 + 0.1 * j as f64, 10);
                    ix::place_order(&makers[j].key(), &m, mseat[j], p)
                })
                .collect();
            let signers: Vec<&Keypair> = idx.iter().map(|&j| &makers[j].kp).collect();
            b.must("maker asks", &ixs, &signers).await;
        }
        let fills_before = b.header(&m).await.state.fill_count;
        let top = 65_000.1 + 0.1 * (n - 1) as f64;
        let ts = b.ix_of(&m, &t.key()).await;
        let i = ix::place_order(&t.key(), &m, ts, ioc(Side::Bid, top, 10 * n as u64));
        b.measure(report, key, label, i, &[&t.kp]).await;
        let fills = b.header(&m).await.state.fill_count - fills_before;
        assert_eq!(fills, n as u64, "{label}: expected {n} fills");
    }
    let ts = b.ix_of(&m, &t.key()).await;
    let i = ix::withdraw(&t.key(), &m, ts, &t.token, usd(1_000.0));
    b.measure(
        report,
        "withdraw_pos",
        "withdraw (open position)",
        i,
        &[&t.kp],
    )
    .await;

    // ---- funding, prices, fees
    b.chain.advance_time(3_601).await;
    b.fresh(&m).await;
    let i = ix::update_funding(&m);
    b.measure(report, "update_funding", "update_funding", i, &[])
        .await;
    b.publish(&m).await;
    let i = b.refresh_ix(&m);
    b.measure(
        report,
        "refresh_prices",
        "refresh_prices (1 Pyth feed)",
        i,
        &[],
    )
    .await;
    let pm = b.market("PULL-PERP");
    b.publish(&pm).await;
    let i = b.refresh_ix(&pm);
    b.measure(
        report,
        "refresh_prices_pull",
        "refresh_prices (1 Pyth pull feed, PriceUpdateV2)",
        i,
        &[],
    )
    .await;
    let i = ix::sweep_fees(&m, &b.dep.treasury);
    b.measure(
        report,
        "sweep_fees",
        "sweep_fees (2 token transfers, 1 ledger entry)",
        i,
        &[],
    )
    .await;
    assert_eq!(b.header(&m).await.state.unswept_treasury_fees, 0);

    // ---- insurance fund: stake, unstake, audit
    let s = b.trader(100_000.0);
    // The staker pays the stake account's rent.
    b.chain
        .airdrop(&s.key(), 1_000_000_000)
        .await
        .expect("airdrop");
    let i = ix::stake(&s.key(), &s.key(), &s.token, usd(50_000.0), 0);
    b.measure(
        report,
        "stake_new",
        "stake (creates the stake account)",
        i,
        &[&s.kp],
    )
    .await;
    let i = ix::stake(&s.key(), &s.key(), &s.token, usd(10_000.0), 0);
    b.measure(report, "stake", "stake (existing stake)", i, &[&s.kp])
        .await;
    let shares = {
        let data = b.chain.account_data(&ix::stake_pda(&s.key())).await;
        let st: InsuranceStake =
            bytemuck::pod_read_unaligned(&data[8..8 + core::mem::size_of::<InsuranceStake>()]);
        st.shares
    };
    let i = ix::request_unstake(&s.key(), &s.key(), &s.token, shares / 2);
    b.measure(report, "unstake_request", "request_unstake", i, &[&s.kp])
        .await;
    let cooldown = b.insurance().await.unstake_cooldown_secs;
    b.chain.advance_time(cooldown + 1).await;
    let i = ix::withdraw_unstake(&s.key(), &s.key(), &s.token);
    b.measure(
        report,
        "unstake_withdraw",
        "withdraw_unstake (after the cooldown)",
        i,
        &[&s.kp],
    )
    .await;
    let i = ix::audit_insurance();
    b.measure(report, "audit", "audit_insurance (vault matches)", i, &[])
        .await;
    // A direct transfer into the vault: the audit records it as a donation.
    let donor = b.trader(10.0);
    b.sync_supply().await;
    let tr = spl_token::instruction::transfer(
        &spl_token::ID,
        &donor.token,
        &ix::insurance_vault_pda(),
        &donor.key(),
        &[],
        usd(10.0),
    )
    .unwrap();
    b.must("donation", &[tr], &[&donor.kp]).await;
    let i = ix::audit_insurance();
    b.measure(
        report,
        "audit_donation",
        "audit_insurance (records a donation)",
        i,
        &[],
    )
    .await;

    // ---- liquidation waterfall
    // Four longs at 65,000 bought from the liquidity maker:
    //  L1 10 BTC, 40,000 USD: tier 2 (650k notional) -> partial liquidation;
    //  L2  1 BTC,  3,400 USD: tier 0 -> full liquidation against the book;
    //  L3  1 BTC,  3,400 USD: keeper takeover;
    //  L4  1 BTC,  2,000 USD: bankrupt at 62,000 -> insurance cover.
    b.fresh(&m).await;
    let l1 = b.funded(&m, 40_000.0).await;
    let l2 = b.funded(&m, 3_400.0).await;
    let l3 = b.funded(&m, 3_400.0).await;
    let l4 = b.funded(&m, 2_000.0).await;
    b.place(&m, &lm, limit(Side::Ask, 65_000.0, 13 * LOTS_PER_BTC))
        .await;
    for (l, btc) in [(&l1, 10), (&l2, 1), (&l3, 1), (&l4, 1)] {
        b.place(&m, l, ioc(Side::Bid, 65_000.0, btc * LOTS_PER_BTC))
            .await;
    }
    // Price 62,000: L1 equity 10,000 < MM 2.5 % × 620,000; L2, L3 equity
    // 400 < MM 620; L4 equity −1,000. The liquidity maker quotes
    // 61,950 / 62,050 (mid = index) and the mark converges to 62,000.
    b.cancel_all(&m, &q).await;
    b.set_index(&m, 62_000.0).await;
    b.place(&m, &lm, limit(Side::Bid, 61_950.0, 10 * LOTS_PER_BTC))
        .await;
    b.place(&m, &lm, limit(Side::Ask, 62_050.0, LOTS_PER_BTC))
        .await;
    b.settle_mark(&m).await;

    let ks = b.ix_of(&m, &k.key()).await;
    let s1 = b.ix_of(&m, &l1.key()).await;
    let i = ix::liquidate(&k.key(), &m, &l1.key(), s1, Some(ks));
    b.measure(
        report,
        "liquidate_partial",
        "liquidate: partial (tier 2 -> 0 step-down, 1 fill)",
        i,
        &[&k.kp],
    )
    .await;
    let base = b.seat(&m, &l1.key()).await.1.base_lots;
    assert!(
        base > 0 && base < 10 * LOTS_PER_BTC as i64,
        "partial liquidation left {base} lots"
    );
    let s2 = b.ix_of(&m, &l2.key()).await;
    let i = ix::liquidate(&k.key(), &m, &l2.key(), s2, Some(ks));
    b.measure(
        report,
        "liquidate_full",
        "liquidate: full (1 fill)",
        i,
        &[&k.kp],
    )
    .await;
    assert_eq!(b.seat(&m, &l2.key()).await.1.base_lots, 0);
    let s3 = b.ix_of(&m, &l3.key()).await;
    let i = ix::takeover(&k.key(), &m, &l3.key(), s3, ks);
    b.measure(
        report,
        "takeover",
        "takeover (keeper takes the position)",
        i,
        &[&k.kp],
    )
    .await;
    assert_eq!(b.seat(&m, &l3.key()).await.1.base_lots, 0);
    // The fund pays only a position closed in the same step: the cover
    // closes L4 against a bid within the cover limit (62,000 − 1 %).
    b.place(&m, &lm, limit(Side::Bid, 61_900.0, LOTS_PER_BTC))
        .await;
    let before = b.seat(&m, &l4.key()).await.1.collateral;
    let s4 = b.ix_of(&m, &l4.key()).await;
    let i = ix::cover_bankruptcy(&m, &l4.key(), s4);
    b.measure(
        report,
        "cover_bankruptcy",
        "cover_bankruptcy (closes on the book, 1 fill; insurance pays the deficit)",
        i,
        &[],
    )
    .await;
    // L4 (1,967.50 after its taker fee) sold its 1 BTC at 61,900: flat, and
    // the fund paid exactly the deficit, to zero.
    let after = b.seat(&m, &l4.key()).await.1;
    assert_eq!(
        (before, after.base_lots, after.collateral),
        (1_967_500_000, 0, 0)
    );

    b.check_invariants().await;
    println!(
        "main scenarios: {} transactions in {:.1} s",
        b.txs,
        t0.elapsed().as_secs_f64()
    );
}

/// Fills every seat of market `name` with a position and runs ADL on a
/// bankrupt long: seat 0 = B (long 1 BTC, 1,500 USD), then the
/// `counterparties` shorts S1.. that sold it (3,000 USD per BTC: the
/// top-ranked shorts), then pairs of 1-lot positions (short, long), so half
/// the seats are shorts the ranking must score. A gap to 63,000 leaves B at
/// about −530 USD equity; the insurance fund is empty, so ADL closes B
/// against S1.. (one ranking scan of the whole seat table per counterparty).
/// Returns the traders in seat 2 and in the last seat.
#[allow(clippy::too_many_arguments)]
async fn adl_scenario(
    b: &mut Bench,
    report: &mut Report,
    name: &str,
    seats: u32,
    counterparties: usize,
    key: &'static str,
    label: &str,
    owe_funding: bool,
) -> (Trader, Trader) {
    let t0 = Instant::now();
    let txs0 = b.txs;
    let m = b.market(name);
    b.fresh(&m).await;
    let bk = b.funded(&m, 1_500.0).await;
    let mut shorts = Vec::new();
    let lots = LOTS_PER_BTC / counterparties as u64;
    for _ in 0..counterparties {
        let s = b.funded(&m, 3_000.0 / counterparties as f64).await;
        b.place(&m, &s, limit(Side::Ask, START_PRICE, lots)).await;
        shorts.push(s);
    }
    b.place(
        &m,
        &bk,
        ioc(Side::Bid, START_PRICE, lots * counterparties as u64),
    )
    .await;
    let mut used = 1 + counterparties;
    if (seats as usize - used) % 2 == 1 {
        // An odd seat left: one more long buys a lot from the last short.
        let l = b.funded(&m, 20.0).await;
        let s = shorts.last().expect("a short");
        b.place(&m, s, limit(Side::Ask, START_PRICE, 1)).await;
        b.place(&m, &l, ioc(Side::Bid, START_PRICE, 1)).await;
        used += 1;
    }
    let s = &shorts[0];
    // Two pairs per transaction (eight instructions, five signatures:
    // about 1,100 of a transaction's 1,232 bytes).
    let pairs = (seats as usize - used) / 2;
    let mut done = 0;
    let mut first: Option<Trader> = None;
    let mut last: Option<Trader> = None;
    while done < pairs {
        let n = (pairs - done).min(2);
        let ts: Vec<(Trader, Trader)> = (0..n).map(|_| (b.trader(20.0), b.trader(20.0))).collect();
        let mut ixs = Vec::new();
        let free = b.next_seats(&m, 2 * ts.len()).await;
        for (j, (short, long)) in ts.iter().enumerate() {
            let (ss, ls) = (free[2 * j], free[2 * j + 1]);
            ixs.push(ix::deposit(&short.key(), &m, ss, &short.token, usd(20.0)));
            ixs.push(ix::deposit(&long.key(), &m, ls, &long.token, usd(20.0)));
            ixs.push(ix::place_order(
                &short.key(),
                &m,
                ss,
                limit(Side::Ask, START_PRICE, 1),
            ));
            ixs.push(ix::place_order(
                &long.key(),
                &m,
                ls,
                ioc(Side::Bid, START_PRICE, 1),
            ));
        }
        let signers: Vec<&Keypair> = ts.iter().flat_map(|(a, c)| [&a.kp, &c.kp]).collect();
        b.must("pair trades", &ixs, &signers).await;
        done += n;
        for (short, long) in ts {
            if first.is_none() {
                first = Some(short);
            }
            last = Some(long);
        }
    }
    let all = b.seats(&m).await;
    assert_eq!(all.len(), seats as usize);
    assert!(
        all.iter().all(|x| !x.is_free() && x.base_lots != 0),
        "every seat must hold a position"
    );
    let fill_secs = t0.elapsed().as_secs_f64();
    if owe_funding {
        // An impact mid 400 USD above the index for an interval (200 lots a
        // side: the default 1,000 USD of depth), then funding: every seat
        // holding a position now owes (or is owed) funding, so the ranking
        // cannot take the settled-seat fast path.
        b.place(&m, s, limit(Side::Bid, START_PRICE + 300.0, 200))
            .await;
        b.place(&m, s, limit(Side::Ask, START_PRICE + 500.0, 200))
            .await;
        b.chain.advance_time(301).await;
        b.fresh(&m).await; // the mark moves to the mid
        b.chain.advance_time(3_600).await;
        b.fresh(&m).await; // an interval's TWAP at that mark
        b.must("update_funding", &[ix::update_funding(&m)], &[])
            .await;
        b.cancel_all(&m, s).await;
        assert_ne!(b.header(&m).await.state.cum_funding_per_lot.get(), 0);
    }
    // The gap.
    b.set_index(&m, 63_000.0).await;
    b.place(&m, s, limit(Side::Bid, 62_990.0, 1)).await;
    b.place(&m, s, limit(Side::Ask, 63_010.0, 1)).await;
    b.settle_mark(&m).await;
    assert_eq!(b.insurance().await.balance, 0, "ADL needs an empty fund");
    let bs = b.ix_of(&m, &bk.key()).await;
    let i = ix::auto_deleverage(&m, &bk.key(), bs);
    b.measure(report, key, label, i, &[]).await;
    assert_eq!(b.seat(&m, &bk.key()).await.1.base_lots, 0);
    for s in &shorts {
        assert!(
            b.seat(&m, &s.key()).await.1.base_lots.unsigned_abs() <= 1,
            "every counterparty was deleveraged"
        );
    }
    println!(
        "  ({seats} seats filled with {} transactions in {fill_secs:.1} s)",
        b.txs - txs0
    );
    (first.expect("pairs"), last.expect("pairs"))
}

/// ADL at 256 / 1,024 / 4,096 seats and socialized loss (256 seats), on a
/// chain whose insurance fund stays empty. The compute limit is raised far
/// above 1.4M so a figure beyond a transaction's limit is measured (and
/// reported as such) instead of failing.
pub async fn waterfall_scenarios(report: &mut Report) {
    let t0 = Instant::now();
    let toml = exchange_toml(&[
        market_toml("ADL-256", 256, 64, "bench-adl-256", "adl"),
        market_toml("ADL-1024", 1024, 64, "bench-adl-1024", "adl"),
        market_toml("ADL-4096", 4096, 64, "bench-adl-4096", "adl"),
        market_toml("ADLF-4096", 4096, 64, "bench-adlf-4096", "adl"),
        market_toml("ADL2-256", 256, 64, "bench-adl2-256", "adl"),
        market_toml("SOC-256", 256, 64, "bench-soc-256", "socialized"),
    ]);
    let mut b = Bench::start(&toml, 100_000_000, 2_000_000).await;
    let mut ends = None;
    for (name, seats, cps, key, label) in [
        ("ADL-256", 256, 1, "adl_256", "auto_deleverage, 256 seats"),
        (
            "ADL-1024",
            1024,
            1,
            "adl_1024",
            "auto_deleverage, 1,024 seats",
        ),
        (
            "ADL-4096",
            4096,
            1,
            "adl_4096",
            "auto_deleverage, 4,096 seats",
        ),
        (
            "ADLF-4096",
            4096,
            1,
            "adl_4096_owing",
            "auto_deleverage, 4,096 seats, every seat owing funding",
        ),
        (
            "ADL2-256",
            256,
            2,
            "adl_256_2cp",
            "auto_deleverage, 256 seats, 2 counterparties",
        ),
        (
            "SOC-256",
            256,
            1,
            "socialized_256",
            "auto_deleverage, socialized loss, 256 seats",
        ),
    ] {
        let owing = key == "adl_4096_owing";
        let e = adl_scenario(&mut b, report, name, seats, cps, key, label, owing).await;
        if key == "adl_4096" {
            ends = Some(e);
        }
    }
    let soc = b.market("SOC-256");
    assert_eq!(b.header(&soc).await.waterfall.socialized_events, 1);

    // Seats are addressed by index: the same instruction (cancel_all_orders
    // of a seat without orders) for the trader in seat 2 and in seat 4,095
    // must cost the same (it was a scan: 7 CU per seat passed over).
    let m = b.market("ADL-4096");
    let (first, last) = ends.expect("4,096-seat scenario ran");
    assert_eq!(b.seat(&m, &first.key()).await.0, 2);
    assert_eq!(b.seat(&m, &last.key()).await.0, 4095);
    let i = ix::cancel_all_orders(&first.key(), &m, 2);
    b.measure(
        report,
        "lookup_seat_2",
        "cancel_all_orders, no orders, seat 2 of 4,096",
        i,
        &[&first.kp],
    )
    .await;
    let i = ix::cancel_all_orders(&last.key(), &m, 4095);
    b.measure(
        report,
        "lookup_seat_4095",
        "cancel_all_orders, no orders, seat 4,095 of 4,096",
        i,
        &[&last.kp],
    )
    .await;
    let (a, z) = (report.cu("lookup_seat_2"), report.cu("lookup_seat_4095"));
    assert!(
        z.abs_diff(a) <= 64,
        "a seat instruction's CU depends on the seat's index: {a} in seat 2, {z} in seat 4,095"
    );
    b.check_invariants().await;
    println!(
        "waterfall scenarios: {} transactions in {:.1} s",
        b.txs,
        t0.elapsed().as_secs_f64()
    );
}
