//! simulate with a scenario file, the HTML report and the account dump:
//! the example file in app/scenarios/ runs with every invariant holding
//! and the waterfall it is written to cause; `simulate --scenario crash
//! --report r.html` writes a self-contained report with charts.

mod common;

use bulwark_app::simulate::file::ScenarioFile;
use bulwark_app::simulate::{report, run_with, RunOptions, ScenarioSource};
use common::*;

fn tmp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("bulwark-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[tokio::test]
async fn example_scenario_file_runs_with_report_and_account_dump() {
    let f = ScenarioFile::load(&repo_path("app/scenarios/gap-adl.toml")).unwrap();
    let steps = f.total_steps().unwrap();
    let dir = tmp_dir("dump");
    let s = run_with(
        &localnet(),
        ScenarioSource::File(Box::new(f)),
        None,
        RunOptions {
            progress: false,
            dump_accounts: Some(dir.clone()),
        },
    )
    .await
    .unwrap();
    assert!(s.invariants_ok, "{:?}", s.violations);
    assert_eq!(s.scenario, "gap-adl");
    assert_eq!(s.steps, steps);
    assert_eq!(s.series.len() as u32, steps);
    assert!(
        s.bankruptcies >= 1 && s.adl_events >= 1,
        "{:?}",
        s.keeper_actions
    );
    assert!(s.markers.iter().any(|m| m.kind == "adl"));
    assert!(s.markers.iter().any(|m| m.kind == "bankruptcy"));
    assert_eq!(s.insurance.start, 2_500.0);
    assert!(s.insurance.hash_chain_ok);
    // alice's explicit orders: the IOC filled, the FOK was refused.
    assert!(s
        .fills
        .iter()
        .any(|x| x.taker == "alice" && x.side == "buy"));
    assert!(s
        .rejections
        .iter()
        .any(|r| r.action.contains("alice step 7") && r.error_code.is_some()));
    // The gap shows in the series.
    let gap = &s.series[9];
    assert!(
        gap.index < s.series[8].index * 0.85,
        "{:?}",
        &s.series[8..10]
    );

    let html = report::html_report(&s);
    assert_eq!(html.matches("<svg").count(), 3);
    assert!(html.contains(r#"class="marker adl""#));
    assert!(html.contains(r#"class="marker bankruptcy""#));

    // The dump: the accounts as base64 and the values to expect.
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("index.json")).unwrap()).unwrap();
    let exp = &index["expected"];
    assert_eq!(
        exp["insurance_fund"]["balance"].as_u64().unwrap(),
        (s.insurance.end * 1e6).round() as u64
    );
    assert_eq!(
        exp["insurance_fund"]["ledger_seq"].as_u64().unwrap(),
        s.insurance.ledger_entries
    );
    for name in ["exchange", "insurance_fund", "insurance_ledger", "market"] {
        let a: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(a["owner"], bulwark::ID.to_string());
        assert!(a["data_base64"].as_str().unwrap().len() > 100);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn scenario_files_are_validated() {
    let ok = r#"
        [prices]
        path_usd = [100.0, 90.0]
    "#;
    let f = ScenarioFile::from_toml(ok).unwrap();
    assert_eq!(f.price_path().unwrap(), vec![100.0, 90.0]);
    assert!(f.scenario.keeper);
    let seg = r#"
        [prices]
        start_usd = 100.0
        segments = [{ steps = 2, drift_pct = -10.0 }]
    "#;
    let p = ScenarioFile::from_toml(seg).unwrap().price_path().unwrap();
    assert_eq!(p.len(), 3);
    assert!((p[2] - 81.0).abs() < 1e-9);
    for bad in [
        "[prices]\npath_usd = [1.0]\nstart_usd = 1.0\nsegments = [{ steps = 1 }]",
        "[prices]\n",
        "[prices]\npath_usd = [1.0, -2.0]",
        "[prices]\npath_usd = [1.0]\n[market]\nbogus = 1",
        "[prices]\npath_usd = [1.0]\n[[traders]]\nname = \"a\"\ncollateral_usd = 1.0\nbehaviour = \"long\"",
        "[prices]\npath_usd = [1.0]\n[[traders]]\nname = \"a\"\ncollateral_usd = 1.0\norders = [{ step = 1, side = \"up\", lots = 1 }]",
    ] {
        assert!(ScenarioFile::from_toml(bad).is_err(), "accepted: {bad}");
    }
    // Overrides land in the market's config.
    let f = ScenarioFile::from_toml(
        "[market]\nwaterfall_mode = \"socialized\"\ntaker_fee_ppm = 700\n[prices]\npath_usd = [3000.0]",
    )
    .unwrap();
    let mut cfg = localnet();
    f.apply_overrides(&mut cfg).unwrap();
    assert_eq!(cfg.markets[0].waterfall_mode, "socialized");
    assert_eq!(cfg.markets[0].taker_fee_ppm, 700);
    assert_eq!(cfg.markets[0].oracle.feeds[0].initial_price_usd, 3000.0);
}

#[test]
fn simulate_crash_writes_an_html_report() {
    let dir = tmp_dir("report");
    let path = dir.join("r.html");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bulwark"))
        .args(["simulate", "--scenario", "crash", "--json", "--report"])
        .arg(&path)
        .current_dir(repo_path(""))
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["invariants_ok"], true);
    assert_eq!(s["series"].as_array().unwrap().len(), 40);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("report written to"), "{err}");
    let html = std::fs::read_to_string(&path).unwrap();
    assert_eq!(html.matches("<svg").count(), 3);
    for title in ["Index and mark", "Insurance fund balance", "Open interest"] {
        assert!(html.contains(title), "{title}");
    }
    assert!(html.contains(r#"class="marker liquidation""#));
    assert!(!html.contains("<script") && !html.contains(" src="));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A market priced at 20 USD: `[market]` sets its tick and lot size (and
/// limits), so market makers quote a few cents apart and orders fill.
#[tokio::test]
async fn scenario_file_sets_tick_and_lot_size_for_a_cheap_market() {
    let f = ScenarioFile::from_toml(
        r#"
        [scenario]
        name = "cheap"
        seed = 3

        [market]
        name = "CHEAP-PERP"
        tick_size_usd = 0.001
        base_lots_per_unit = 100
        min_order_lots = 1
        max_order_lots = 1000000
        position_limit_lots = 10000000
        open_interest_cap_lots = 100000000
        min_order_notional_usd = 0.5
        insurance_seed_usd = 20000

        [prices]
        start_usd = 20
        segments = [{ steps = 6, drift_pct = 0.0, noise_pct = 0.3 }]

        [[traders]]
        name = "mm0"
        collateral_usd = 200000
        behaviour = "market-maker"
        levels = 3
        level_lots = 20000
        spread_bps = 10
        level_step_bps = 10

        [[traders]]
        name = "long0"
        collateral_usd = 5000
        behaviour = "long"
        leverage = 5

        [[traders]]
        name = "alice"
        collateral_usd = 5000
        orders = [{ step = 2, side = "buy", type = "market", lots = 5000 }]
        "#,
    )
    .unwrap();
    let mut cfg = localnet();
    f.apply_overrides(&mut cfg).unwrap();
    let m = &cfg.markets[0];
    assert_eq!(m.name, "CHEAP-PERP");
    assert_eq!((m.tick_size_usd, m.base_lots_per_unit), (0.001, 100));
    assert_eq!(m.position_limit_lots, 10_000_000);
    assert_eq!(m.min_order_notional_usd, 0.5);
    let s = run_with(
        &localnet(),
        ScenarioSource::File(Box::new(f)),
        None,
        RunOptions {
            progress: false,
            dump_accounts: None,
        },
    )
    .await
    .unwrap();
    assert!(s.invariants_ok, "{:?}", s.violations);
    assert_eq!(s.market, "CHEAP-PERP");
    assert!(s.fills.iter().any(|x| x.taker == "long0"), "{:?}", s.fills);
    assert!(s.fills.iter().any(|x| x.taker == "alice"), "{:?}", s.fills);
    // Quotes on the 0.001 USD tick, a few cents from the mark.
    assert!(
        s.fills
            .iter()
            .all(|x| (x.price - 20.0).abs() < 0.5 && x.price != 20.0),
        "{:?}",
        s.fills
    );
    assert!(s.rejections.is_empty(), "{:?}", s.rejections);
}

/// What a newcomer sees: `simulate` prints no program logs unless asked
/// (`--verbose`), and names rejected orders' errors.
#[test]
fn simulate_hides_program_logs_unless_verbose_and_names_errors() {
    let run = |extra: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_bulwark"))
            .arg("simulate")
            .args(extra)
            .env_remove("RUST_LOG")
            .current_dir(repo_path(""))
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (out, err) = run(&[]);
    assert!(!err.contains("Instruction:") && !out.contains("Instruction:"));
    assert!(
        !err.contains("AnchorError") && !err.contains("DEBUG"),
        "{err}"
    );
    assert!(err.contains("simulate: step"), "{err}");
    assert!(!out.contains("Some("), "{out}");
    assert!(
        out.contains("rejected (error 6049 ReduceOnlyWouldIncrease: "),
        "{out}"
    );
    let (_, err) = run(&["--verbose", "--quiet"]);
    assert!(err.contains("Instruction: PlaceOrder"), "{err}");
}

#[test]
fn errors_are_named_by_their_idl_name_and_message() {
    use bulwark_app::client::{error_label, error_name};
    assert_eq!(
        error_name(6049).unwrap().0,
        bulwark::error::ErrorCode::ReduceOnlyWouldIncrease.name()
    );
    assert_eq!(
        error_label(u32::from(bulwark::error::ErrorCode::MathOverflow)),
        "6000 MathOverflow: Arithmetic overflow or division by zero"
    );
    assert_eq!(
        error_label(2000),
        "2000 ConstraintMut: A mut constraint was violated"
    );
    assert!(error_label(3012).starts_with("3012 AccountNotInitialized: "));
    assert_eq!(error_label(99_999), "99999");
    let e = bulwark_app::TxError::Custom {
        index: 0,
        code: 6049,
    };
    assert!(
        e.to_string().contains("6049 ReduceOnlyWouldIncrease: "),
        "{e}"
    );
}
