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
