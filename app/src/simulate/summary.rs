//! What simulate reports: the summary object (`--json`) and its
//! human-readable form.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct FillRecord {
    pub step: u32,
    pub maker: String,
    pub taker: String,
    pub side: &'static str,
    /// USD per base unit.
    pub price: f64,
    /// base lots.
    pub lots: u64,
    /// USD.
    pub taker_fee: f64,
    /// USD (negative = rebate).
    pub maker_fee: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PositionRecord {
    pub trader: String,
    /// base lots (+ long, − short).
    pub base_lots: i64,
    /// USD.
    pub collateral: f64,
    /// USD at the mark.
    pub unrealized_pnl: f64,
    pub open_orders: u16,
}

#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub scenario: String,
    pub market: String,
    pub steps: u32,
    pub traders: u32,
    pub fills: Vec<FillRecord>,
    pub positions: Vec<PositionRecord>,
    /// USD.
    pub volume_usd: f64,
    /// USD; fee revenue net of rebates.
    pub fees_usd: f64,
    /// USD swept into the insurance vault.
    pub insurance_fees_swept_usd: f64,
    /// USD swept to the treasury.
    pub treasury_fees_swept_usd: f64,
    /// ppm per interval, each funding update.
    pub funding_rates_ppm: Vec<i64>,
    /// USD.
    pub deposits_usd: f64,
    /// USD.
    pub withdrawals_usd: f64,
    /// USD, the market vault at the end.
    pub vault_usd: f64,
    /// open interest at the end, base lots.
    pub open_interest_lots: u64,
    /// rejected actions with the program's error code, as expected.
    pub rejections: Vec<Rejection>,
    /// USD, index after each refresh.
    pub index_path_usd: Vec<f64>,
    /// USD, mark after each refresh.
    pub mark_path_usd: Vec<f64>,
    /// Liquidations on the book (any size) and how many were partial.
    pub liquidations: u32,
    pub partial_liquidations: u32,
    /// Keeper takeovers.
    pub takeovers: u32,
    /// Insurance covers of a bankrupt seat.
    pub bankruptcies: u32,
    pub adl_events: u32,
    pub socialized_loss_events: u32,
    pub insurance: InsuranceSummary,
    pub keeper_actions: Vec<crate::keeper::Action>,
    pub invariant_checks: u32,
    pub invariants_ok: bool,
    pub violations: Vec<String>,
    /// Base lots per base unit of the market (to chart open interest).
    pub base_lots_per_unit: u64,
    /// One point per step: index, mark, insurance balance, open interest.
    pub series: Vec<SeriesPoint>,
    /// Liquidations, takeovers, bankruptcies, ADL and socialized losses.
    pub markers: Vec<Marker>,
    /// `adversarial`: each attack and whether it was blocked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attacks: Vec<AttackRecord>,
}

/// One attack of the `adversarial` scenario.
#[derive(Debug, Clone, Serialize)]
pub struct AttackRecord {
    pub id: String,
    /// The attack's goal failed, judged from chain state after the attempt.
    pub blocked: bool,
    /// The program error that stopped it (its `ErrorCode` name), or what
    /// stopped it when no instruction failed; null when nothing did.
    pub error: Option<String>,
    /// What the attackers did.
    pub tried: String,
    /// What the chain showed afterwards.
    pub outcome: String,
}

#[derive(Debug, Default, Serialize)]
pub struct InsuranceSummary {
    /// USD.
    pub start: f64,
    pub end: f64,
    /// USD by source / cause.
    pub inflows: std::collections::BTreeMap<String, f64>,
    pub outflows: std::collections::BTreeMap<String, f64>,
    pub ledger_entries: u64,
    /// The on-chain ring buffer recomputes to the fund's hash chain.
    pub hash_chain_ok: bool,
}

/// The state at the end of one step (for charts).
#[derive(Debug, Clone, Default, Serialize)]
pub struct SeriesPoint {
    pub step: u32,
    /// USD per base unit.
    pub index: f64,
    pub mark: f64,
    /// USD in the insurance fund (ledger balance).
    pub insurance: f64,
    /// base lots.
    pub open_interest_lots: u64,
}

/// A waterfall event at a step (for charts).
#[derive(Debug, Clone, Serialize)]
pub struct Marker {
    pub step: u32,
    /// "liquidation", "takeover", "bankruptcy", "adl" or "socialized".
    pub kind: &'static str,
    pub trader: String,
    pub detail: String,
}

#[derive(Debug, Serialize)]
pub struct Rejection {
    pub action: String,
    pub error_code: Option<u32>,
    /// The error in words (`6049 FillOrKillNotFilled: …`).
    pub error: String,
}

/// Human-readable summary.
pub fn print_summary(out: &mut dyn std::io::Write, s: &Summary) -> std::io::Result<()> {
    writeln!(out, "--- summary ({} on {}) ---", s.scenario, s.market)?;
    writeln!(
        out,
        "steps: {}  traders: {}  fills: {}  volume: {:.2} USD",
        s.steps,
        s.traders,
        s.fills.len(),
        s.volume_usd
    )?;
    writeln!(
        out,
        "fees: {:.4} USD (swept: {:.4} to insurance, {:.4} to treasury)  funding rates (ppm): {:?}",
        s.fees_usd, s.insurance_fees_swept_usd, s.treasury_fees_swept_usd, s.funding_rates_ppm
    )?;
    writeln!(
        out,
        "deposits: {:.2} USD  withdrawals: {:.2} USD  vault: {:.2} USD  open interest: {} lots",
        s.deposits_usd, s.withdrawals_usd, s.vault_usd, s.open_interest_lots
    )?;
    for p in &s.positions {
        writeln!(
            out,
            "  {:<8} position {:>8} lots  collateral {:>12.2} USD  uPnL {:>10.2} USD  orders {}",
            p.trader, p.base_lots, p.collateral, p.unrealized_pnl, p.open_orders
        )?;
    }
    for r in &s.rejections {
        writeln!(
            out,
            "rejected as expected: {} (error {})",
            r.action, r.error
        )?;
    }
    for a in &s.attacks {
        writeln!(
            out,
            "attack {:<24} {}{}",
            a.id,
            if a.blocked { "blocked" } else { "NOT BLOCKED" },
            a.error
                .as_ref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        )?;
        writeln!(out, "    tried:   {}", a.tried)?;
        writeln!(out, "    outcome: {}", a.outcome)?;
    }
    writeln!(
        out,
        "invariants: {} after {} checks",
        if s.invariants_ok { "OK" } else { "VIOLATED" },
        s.invariant_checks
    )?;
    for v in &s.violations {
        writeln!(out, "  violation: {v}")?;
    }
    Ok(())
}
