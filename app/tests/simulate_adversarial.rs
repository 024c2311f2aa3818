//! `simulate --scenario adversarial`: every attack runs, the summary's JSON
//! carries `attacks` ({"id", "blocked", "error", ...}) next to
//! `invariants_ok`, every invariant holds after every step, every attack
//! is blocked, and every id the issues name is among them.

mod common;

use bulwark_app::simulate::adversarial::ATTACK_IDS;
use bulwark_app::simulate::{run, Scenario};
use common::*;

/// The attack ids the issues ask for (the scenario may run more; every
/// attack it runs must be blocked).
const REQUIRED_IDS: &[&str] = &[
    "self-trade-deficit",
    "cover-open-position",
    "mark-push",
    "partial-liq-zero-equity",
    "adl-creates-bankruptcy",
    "socialized-hits-losers",
    "stake-after-wipeout",
    "cover-cap-window",
    "stale-unstake-exit",
    "ledger-prefund",
    "seat-squat",
    "keeper-locked-out",
    "book-squat",
    "liquidation-compute-wall",
    "admin-margin-rug",
    "oracle-freeze",
    "pause-then-liquidate",
    "init-frontrun",
    "adl-round-dodge",
    "adl-round-freeze",
];

#[tokio::test]
async fn adversarial_scenario_reports_every_attack() {
    let s = run(&localnet(), Scenario::Adversarial, None).await.unwrap();
    assert!(s.invariants_ok, "{:?}", s.violations);
    let j = serde_json::to_value(&s).unwrap();
    assert_eq!(j["scenario"], "adversarial");
    assert_eq!(j["invariants_ok"], true);
    let attacks = j["attacks"].as_array().expect("attacks is a list");
    assert_eq!(attacks.len(), ATTACK_IDS.len(), "{attacks:#?}");
    for id in ATTACK_IDS {
        let a = attacks
            .iter()
            .find(|a| a["id"] == *id)
            .unwrap_or_else(|| panic!("attack {id} missing: {attacks:#?}"));
        assert!(a["blocked"].is_boolean(), "{a}");
        assert!(
            a["error"].is_null() || a["error"].is_string(),
            "error is a name or null: {a}"
        );
        assert!(a["tried"].is_string() && a["outcome"].is_string(), "{a}");
        // A setup that failed proves nothing either way.
        assert!(
            !a["error"]
                .as_str()
                .is_some_and(|e| e.starts_with("setup failed")),
            "{a}"
        );
    }
    for a in attacks {
        assert_eq!(
            a["blocked"], true,
            "attack {} was not blocked: {a:#}",
            a["id"]
        );
    }
    for id in REQUIRED_IDS {
        assert!(ATTACK_IDS.contains(id), "the scenario does not run {id}");
    }
}
