//! Compute-unit benchmark: every Bulwark instruction in a scenario that
//! makes it do its real work, one program instruction per transaction, so
//! the transaction's compute units are that instruction's (including its
//! CPIs: token transfers and `emit_cpi!` self-invocations).
//!
//! Run by `scripts/bench-cu`, which builds `bulwark.so` with the shared SBF
//! tool and runs
//!
//! ```sh
//! SBF_OUT_DIR=<dir of bulwark.so> cargo test -p bulwark-tests --test cu_bench \
//!     -- --ignored --nocapture
//! ```
//!
//! Compute units are real only when the program runs as bytecode
//! (`SBF_OUT_DIR` set); without it the test says so and does nothing.
//!
//! It prints markdown tables (instruction | CU | budget; the hot paths at
//! both ends of markets of 1,024 / 16,384 / 65,536 seats; ADL at those
//! sizes; rent; orders per second), derived figures against the project's
//! goals, and fails if any instruction errors, uses more than its budget,
//! or costs more at the last seat than at seat 0 (by more than 64 CU).
//! Budgets are the measured figures with about 50 % headroom (rounded up):
//! they catch a regression, not noise. When a change legitimately moves a
//! figure, rerun `scripts/bench-cu --write` and adjust the budget in
//! `report::BUDGETS`.
//!
//! With `BULWARK_CU_TABLE=<file>` the tables are also written to that file
//! (the script puts them into BENCHMARKS.md).
//!
//! State is built through the program's own instructions (deposits and
//! trades), except the scaled markets (`cu_bench/scale.rs`), whose seat
//! tables are written into the account bytes; the wallets' SOL and
//! collateral token accounts are written directly into the chain (with the
//! mint's supply kept in step), which saves transactions when filling
//! 4,096 seats.

#[path = "cu_bench/bench.rs"]
mod bench;
#[path = "cu_bench/report.rs"]
mod report;
#[path = "cu_bench/scale.rs"]
mod scale;
#[path = "cu_bench/scenarios.rs"]
mod scenarios;

use bench::Report;
use std::time::Instant;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "CU benchmark: run by scripts/bench-cu against the bytecode"]
async fn cu_bench() {
    let sbf =
        std::env::var_os("SBF_OUT_DIR").is_some() || std::env::var_os("BPF_OUT_DIR").is_some();
    if !sbf {
        println!(
            "cu_bench: SBF_OUT_DIR is not set, so the program would run natively and \
             compute units would not be real (they are only measured on the bytecode): skipped. \
             Run scripts/bench-cu."
        );
        return;
    }
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error");
    }
    let t0 = Instant::now();
    let mut report = Report::default();
    scenarios::main_scenarios(&mut report).await;
    scenarios::waterfall_scenarios(&mut report).await;
    let (runs, rent) = scale::scale_scenarios(&mut report).await;
    let mut failures = report::budget_failures(&report);
    failures.extend(scale::index_checks(&report, &runs));
    let out = format!(
        "{}\n### At scale: seat 0 and the last seat of 1,024 / 16,384 / 65,536 seats\n\n{}\
         ### Rent\n\n{}\n### Orders per second per market\n\n{}\n### Goals\n\n{}",
        report::render(&report),
        scale::render(&report, &runs),
        rent,
        scale::throughput(&report, &runs),
        report::goals(&report, &runs),
    );
    println!("\n{out}");
    if let Some(path) = std::env::var_os("BULWARK_CU_TABLE") {
        std::fs::write(&path, &out).expect("write the CU table");
    }
    println!("cu_bench: {:.1} s", t0.elapsed().as_secs_f64());
    assert!(
        failures.is_empty(),
        "compute-unit budgets exceeded or missing, or CU depending on the seat's index:\n  {}",
        failures.join("\n  ")
    );
}
