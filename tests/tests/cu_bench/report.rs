//! Budgets, the rendered tables and the goals.

use crate::bench::{thousands, Report, TX_CU_LIMIT};
use crate::scale::{self, ScaleRun, SIZES};
use bulwark::state::Seat;
use std::fmt::Write as _;

/// CU budget per row: the measured figure × 1.5, rounded up (to 1,000 CU
/// below 100k, 10,000 below 1M, 100,000 above), and never above the 1.4M
/// a transaction may use for a row that fits one today: a regression must
/// not push an instruction out of a transaction unnoticed. A row without a
/// budget fails the bench (so every new row gets one); the failure message
/// suggests one.
#[rustfmt::skip]
pub const BUDGETS: &[(&str, u64)] = &[
    ("deposit_new", 18_000),
    ("deposit", 14_000),
    ("withdraw_flat", 15_000),
    ("place_resting", 10_000),
    ("cancel", 6_000),
    ("cancel_all_10", 11_000),
    ("taker_1", 13_000),
    ("taker_5", 43_000),
    ("taker_20", 140_000),
    ("withdraw_pos", 17_000),
    ("update_funding", 7_000),
    ("refresh_prices", 7_000),
    ("refresh_prices_pull", 7_300),
    ("sweep_fees", 32_000),
    ("stake_new", 34_000),
    ("stake", 31_000),
    ("unstake_request", 23_000),
    ("unstake_withdraw", 31_000),
    ("audit", 11_000),
    ("audit_donation", 16_000),
    ("liquidate_partial", 22_000),
    ("liquidate_full", 19_000),
    ("takeover", 21_000),
    ("cover_bankruptcy", 47_000),
    ("adl_256", 50_000),
    ("adl_1024", 130_000),
    ("adl_4096", 650_000),
    ("adl_4096_owing", 1_400_000),
    ("adl_256_2cp", 57_000),
    ("socialized_256", 160_000),
    ("lookup_seat_2", 6_000),
    ("lookup_seat_4095", 6_000),
    // Markets of 1,024 / 16,384 / 65,536 seats (`scale.rs`): one budget
    // per instruction for both ends of every size.
    ("scale_deposit_new", 18_000),
    ("scale_deposit", 12_000),
    ("scale_resting", 8_000),
    ("scale_cancel", 4_000),
    ("scale_taker_1", 15_000),
    ("scale_taker_5", 39_000),
    ("scale_withdraw_pos", 14_000),
    ("scale_liquidate", 24_000),
    ("scale_adl_one_tx_1024", 240_000),
    ("scale_adl_begin", 9_000),
    ("scale_adl_scan_1024", 200_000),
    ("scale_adl_scan_4096", 690_000),
    ("scale_adl_execute", 59_000),
];

/// The 64 CU by which an instruction at the last seat may differ from the
/// same instruction at seat 0 (issue 12: no instruction's CU grows with the
/// seat's index; the small differences come from the state the first
/// measurement left, e.g. another order id).
pub const INDEX_TOLERANCE: u64 = 64;

/// The goals of issue 12 (stand-in SBF toolchain), at the last seat of a
/// 65,536-seat market.
pub const GOAL_RESTING: u64 = 4_000;
pub const GOAL_CANCEL: u64 = 2_500;
pub const GOAL_TAKER_1: u64 = 5_500;
pub const GOAL_PER_FILL: u64 = 1_200;
pub const GOAL_DEPOSIT: u64 = 6_000;
pub const GOAL_LIQUIDATION: u64 = 12_000;
pub const GOAL_ADL_PER_SEAT: u64 = 40;

/// The budget rule of [`BUDGETS`] applied to a measured figure.
pub fn suggested_budget(cu: u64) -> u64 {
    let x = cu * 3 / 2;
    let step = match x {
        0..100_000 => 1_000,
        100_000..1_000_000 => 10_000,
        _ => 100_000,
    };
    let b = x.div_ceil(step) * step;
    if cu <= TX_CU_LIMIT {
        b.min(TX_CU_LIMIT)
    } else {
        b
    }
}

pub fn budget(key: &str) -> Option<u64> {
    BUDGETS.iter().find(|(k, _)| *k == key).map(|(_, b)| *b)
}

/// Every row against its budget: the failures.
pub fn budget_failures(report: &Report) -> Vec<String> {
    let mut failures = Vec::new();
    for r in &report.rows {
        match budget(r.budget) {
            None => failures.push(format!(
                "{} ({}): no budget (measured {}; suggested {})",
                r.key,
                r.budget,
                r.cu,
                suggested_budget(r.cu)
            )),
            Some(b) if r.cu > b => failures.push(format!(
                "{} ({}): {} CU > budget {} (if intended, suggested budget {})",
                r.key,
                r.budget,
                r.cu,
                b,
                suggested_budget(r.cu)
            )),
            _ => {}
        }
    }
    failures
}

/// The per-instruction table of the default-capacity scenarios (the rows
/// of the scaled markets have their own tables).
pub fn render(report: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "| instruction | CU | budget |");
    let _ = writeln!(s, "| --- | ---: | ---: |");
    for r in report.rows.iter().filter(|r| !r.key.starts_with("scale_")) {
        let bs = budget(r.budget)
            .map(thousands)
            .unwrap_or_else(|| "none".into());
        let mut label = r.label.clone();
        if r.cu > TX_CU_LIMIT {
            label.push_str(" **(over the 1.4M transaction limit)**");
        }
        let _ = writeln!(s, "| {label} | {} | {bs} |", thousands(r.cu));
    }
    s
}

/// What stands in the way of a missed goal: the part of the figure that
/// the benchmark itself measures (the fixed cost of a trader instruction on
/// the market is an empty `cancel_all_orders`; a fill's cost is the 5-fill
/// order minus the 1-fill order), and what the earlier profiles found
/// (BENCHMARKS.md "What the solvency rules cost", docs/scale.md section 3);
/// "not profiled" where neither says more.
fn obstacle(goal: &str, fixed: u64, per_fill: u64, inner: &[(String, u64)], total: u64) -> String {
    let f = thousands(fixed);
    let p = thousands(per_fill);
    let cpis = inner_summary(inner);
    // What is left to the program's own code: the total less the fixed
    // part, the callees and the runtime's 946 CU per CPI (the System
    // transfer of a claim logs nothing and is not among them).
    let own =
        total.saturating_sub(fixed + inner.iter().map(|(_, cu)| cu + INVOKE_UNITS).sum::<u64>());
    let o = thousands(own);
    match goal {
        "resting" => format!(
            "{f} of it is what any trader instruction on the market costs (an empty \
             `cancel_all_orders`); the rest is the order: margin check, book insert and the \
             mark sample — `mark::impact_mid` walks the book's live depth (+950 CU when it \
             came with the solvency rules); docs/scale.md §3 plans an incremental depth"
        ),
        "cancel" => format!(
            "{f} of it is what any trader instruction on the market costs (an empty \
             `cancel_all_orders`); the rest is the book removal and the seat's reservation"
        ),
        "taker_1" => format!(
            "{f} fixed (as above), the order's own checks and the mark sample, and one fill \
             of about {p} CU (next row)"
        ),
        "per_fill" => format!(
            "each fill is computed on copies of the state and both seats and the maker's \
             maintenance health is evaluated after it (`trade::trial_fill`, \
             `guard::violation`): 1,820 CU per extra fill before the solvency rules, {p} now; \
             docs/scale.md §3 describes the sign test and the reserved-margin comparison \
             that would replace it"
        ),
        "deposit" => format!(
            "{f} fixed (as above); measured inside it: {cpis}, each CPI also charged 946 CU \
             before the callee runs (agave's `invoke_units`); the other {o} CU are the \
             program's own (the token accounts' checks and re-read, the seat's update, the \
             128-bit solvency check, the event; not split further)"
        ),
        "liquidation" => format!(
            "the close is a fill against the book with the maker's guard (about {p} CU, as a \
             taker's), plus {f} fixed, the health checks and the fee split; measured inside \
             it: {cpis}, each CPI also charged 946 CU before the callee runs; the program's \
             own code is {o} CU of it"
        ),
        "adl" => "the ranking loop itself: loads, the settled test, one multiplication and \
             three divisions per ranked seat, and the bankrupt-first pass over the target's \
             side (BENCHMARKS.md \"What is left in the ADL scan\")"
            .to_string(),
        "index" => format!(
            "not profiled; a CPI that passes the market account costs 1 CU per {} bytes of \
             it (0.512 CU per seat of the table): how a new seat's claim grew while its rent \
             went to the market by a System transfer",
            scale::CPI_BYTES_PER_UNIT
        ),
        _ => String::new(),
    }
}

/// The runtime's charge for any CPI before the callee runs (agave 4.2.2
/// `invoke_units`).
const INVOKE_UNITS: u64 = 946;

/// The CPIs a row made, named, with their CU (from the logs).
fn inner_summary(inner: &[(String, u64)]) -> String {
    if inner.is_empty() {
        return "no CPI".into();
    }
    inner
        .iter()
        .map(|(id, cu)| {
            let name = if *id == spl_token_id() {
                "the token program's transfer".to_string()
            } else if *id == bulwark::ID.to_string() {
                "the program's event self-invocation (`emit_cpi!`)".to_string()
            } else {
                format!("program {id}")
            };
            format!("{name} {} CU", thousands(*cu))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn spl_token_id() -> String {
    anchor_spl::token::spl_token::ID.to_string()
}

/// The goals of issue 12, from the 65,536-seat rows.
pub fn goals(report: &Report, runs: &[ScaleRun]) -> String {
    let mut s = String::new();
    let big = runs
        .iter()
        .find(|r| r.seats == *SIZES.last().unwrap())
        .expect("the 65,536-seat run");
    let cu = |family: &str, end: &str| report.cu(&scale::row_key(family, big.seats, end));
    let both = |family: &str| (cu(family, "first"), cu(family, "last"));
    let verdict = |ok: bool| if ok { "met" } else { "**missed**" };
    let fixed = report.cu("lookup_seat_2");
    let per_fill = (cu("scale_taker_5", "last") - cu("scale_taker_1", "last")).div_ceil(4);
    let _ = writeln!(
        s,
        "| goal (issue 12) | target | seat 0 | seat 65,535 | | what stands in the way |"
    );
    let _ = writeln!(s, "| --- | ---: | ---: | ---: | --- | --- |");
    let inner_of = |family: &str| {
        let k = scale::row_key(family, big.seats, "last");
        report
            .rows
            .iter()
            .find(|r| r.key == k)
            .map(|r| r.inner.clone())
            .unwrap_or_default()
    };
    let inner = [
        ("deposit", inner_of("scale_deposit")),
        ("liquidation", inner_of("scale_liquidate")),
    ];
    let mut line = |what: &str, target: u64, (a, z): (u64, u64), key: &str| {
        let ok = a <= target && z <= target;
        let cpis = inner
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_slice())
            .unwrap_or_default();
        let why = if ok {
            String::new()
        } else {
            obstacle(key, fixed, per_fill, cpis, z)
        };
        let _ = writeln!(
            s,
            "| {what} | ≤ {} | {} | {} | {} | {why} |",
            thousands(target),
            thousands(a),
            thousands(z),
            verdict(ok)
        );
    };
    line(
        "resting order",
        GOAL_RESTING,
        both("scale_resting"),
        "resting",
    );
    line("cancel", GOAL_CANCEL, both("scale_cancel"), "cancel");
    line(
        "taker, 1 fill",
        GOAL_TAKER_1,
        both("scale_taker_1"),
        "taker_1",
    );
    let per = |end: &str| (cu("scale_taker_5", end) - cu("scale_taker_1", end)).div_ceil(4);
    line(
        "taker: CU per extra fill (1 → 5 fills)",
        GOAL_PER_FILL,
        (per("first"), per("last")),
        "per_fill",
    );
    line(
        "deposit (existing seat)",
        GOAL_DEPOSIT,
        both("scale_deposit"),
        "deposit",
    );
    line(
        "liquidation (full, 1 fill)",
        GOAL_LIQUIDATION,
        both("scale_liquidate"),
        "liquidation",
    );
    let per_seat = big.adl.scan_cu.div_ceil(big.seats as u64);
    line(
        "ADL: CU per seat scanned (ranking round)",
        GOAL_ADL_PER_SEAT,
        (per_seat, per_seat),
        "adl",
    );
    let _ = writeln!(s);
    let (worst, worst_row) = scale::worst_index_difference(report, runs);
    let _ = writeln!(
        s,
        "| goal | target | measured | | what stands in the way |\n| --- | ---: | ---: | --- | --- |"
    );
    let why = if worst <= INDEX_TOLERANCE {
        String::new()
    } else {
        obstacle("index", fixed, per_fill, &[], 0)
    };
    let _ = writeln!(
        s,
        "| no instruction's CU grows with the seat's index (the largest last seat − seat 0 \
         of every row above, at 1,024 / 16,384 / 65,536 seats) | ≤ {INDEX_TOLERANCE} | \
         {} ({worst_row}) | {} | {why} |",
        thousands(worst),
        verdict(worst <= INDEX_TOLERANCE)
    );
    let adl4096 = report.cu("adl_4096");
    let _ = writeln!(
        s,
        "| ADL at 4,096 seats fits one transaction | ≤ 1,400,000 | {} | {} | |",
        thousands(adl4096),
        verdict(adl4096 <= TX_CU_LIMIT)
    );
    let seat_bytes = core::mem::size_of::<Seat>() as u64;
    let _ = writeln!(
        s,
        "| bytes per seat | ≤ 128 | {seat_bytes} | {} | |",
        verdict(seat_bytes <= 128)
    );
    let _ = writeln!(s);
    let per_fill_20 = (report.cu("taker_20") - report.cu("taker_1")) as f64 / 19.0;
    let _ = writeln!(
        s,
        "Default market (1,024 seats): {} CU per extra fill from 1 to 20 fills; \
         liquidation partial {}, full {}, takeover {}, cover {}.",
        thousands(per_fill_20.round() as u64),
        thousands(report.cu("liquidate_partial")),
        thousands(report.cu("liquidate_full")),
        thousands(report.cu("takeover")),
        thousands(report.cu("cover_bankruptcy")),
    );
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "Seat access by index (checked against the owner, no scan): cancel_all_orders \
         of an empty seat costs {} CU in seat 2 and {} CU in seat 4,095 of 4,096.",
        thousands(report.cu("lookup_seat_2")),
        thousands(report.cu("lookup_seat_4095"))
    );
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "ADL with two counterparties at 256 seats: {} CU, {:.2}× one counterparty's \
         (one scan ranks every seat; each counterparty adds its settlement only).",
        thousands(report.cu("adl_256_2cp")),
        report.cu("adl_256_2cp") as f64 / report.cu("adl_256") as f64
    );
    let _ = writeln!(s);
    let slope = |a: &str, b: &str, n: f64| (report.cu(b) - report.cu(a)) as f64 / n;
    let _ = writeln!(
        s,
        "auto_deleverage growth: {} CU per seat from 256 to 1,024 seats, {} from 1,024 to \
         4,096 (half the seats hold shorts the ranking scores, one counterparty).",
        thousands(slope("adl_256", "adl_1024", 768.0).round() as u64),
        thousands(slope("adl_1024", "adl_4096", 3072.0).round() as u64),
    );
    s
}
