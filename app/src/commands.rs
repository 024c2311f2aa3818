//! The bodies of the CLI commands that read the chain, as library
//! functions over any [`Chain`] writing to any `Write`: `main.rs` calls
//! them with an `RpcChain` and stdout, the tests with the embedded chain
//! and a buffer.

use crate::audit::{audit, AuditReport};
use crate::chain_trait::Chain;
use crate::client;
use crate::trader::{MarketView, PositionView, StakeView};
use std::io::Write;

fn io(e: std::io::Error) -> String {
    e.to_string()
}

fn yes(ok: bool) -> &'static str {
    if ok {
        "OK"
    } else {
        "MISMATCH"
    }
}

/// Prints an audit report as a table.
pub fn print_audit(out: &mut dyn Write, r: &AuditReport) -> std::io::Result<()> {
    writeln!(out, "Insurance fund")?;
    writeln!(out, "  vault balance        {:>20.6} USD", r.vault_balance)?;
    writeln!(out, "  ledger balance       {:>20.6} USD", r.ledger_balance)?;
    writeln!(out, "  total shares         {:>20}", r.total_shares)?;
    writeln!(out, "  ledger entries       {:>20}", r.ledger_entries)?;
    writeln!(out, "  inflows")?;
    for (k, v) in &r.inflows {
        writeln!(out, "    {k:<18} {v:>20.6} USD")?;
    }
    writeln!(out, "  outflows")?;
    for (k, v) in &r.outflows {
        writeln!(out, "    {k:<18} {v:>20.6} USD")?;
    }
    writeln!(
        out,
        "  ring buffer → hash chain head   {}",
        yes(r.ring_chain_ok)
    )?;
    writeln!(
        out,
        "  events → hash chain head        {}",
        match r.events_chain_ok {
            None => "not checked (--events reads them)",
            Some(ok) => yes(ok),
        }
    )?;
    writeln!(
        out,
        "  vault = ledger = in − out       {}",
        yes(r.vault_reconciled)
    )?;
    if !r.recent_entries.is_empty() {
        writeln!(out, "Recent ledger entries")?;
        writeln!(
            out,
            "  {:>6} {:>10} {:>12} {:<18} {:>16} {:>16}  {:<12} counterparty",
            "seq", "slot", "unix_ts", "kind", "amount USD", "balance USD", "market"
        )?;
        for e in &r.recent_entries {
            let short = |s: &str| s.chars().take(10).collect::<String>();
            writeln!(
                out,
                "  {:>6} {:>10} {:>12} {:<18} {:>16.6} {:>16.6}  {:<12} {}",
                e.seq,
                e.slot,
                e.unix_ts,
                e.kind,
                e.amount,
                e.balance_after,
                short(&e.market),
                short(&e.counterparty)
            )?;
        }
    }
    writeln!(out, "Markets")?;
    if r.markets.is_empty() {
        writeln!(out, "  (none)")?;
    }
    for m in &r.markets {
        writeln!(
            out,
            "  {:<16} {}  vault {:>18.6} USD  invariants {}",
            m.name,
            m.market,
            m.vault,
            if m.violations.is_empty() {
                "OK".to_string()
            } else {
                format!("{} VIOLATED", m.violations.len())
            }
        )?;
    }
    if r.ok {
        writeln!(out, "Result: OK")?;
    } else {
        writeln!(out, "Result: {} PROBLEM(S)", r.problems.len())?;
        for p in &r.problems {
            writeln!(out, "  - {p}")?;
        }
    }
    Ok(())
}

/// `bulwark audit`: audits the insurance fund and the markets named (every
/// market when none) and prints the report as a table or JSON. Returns the
/// report; the CLI exits non-zero when `report.ok` is false.
///
/// `events`: the fund's ledger entries as the program emitted them, from
/// the first (`RpcChain::ledger_events`), to recompute the hash chain from.
pub async fn audit_command<C: Chain>(
    chain: &mut C,
    markets: &[String],
    events: Option<&[bulwark::state::InsuranceLedgerEntry]>,
    json: bool,
    out: &mut dyn Write,
) -> Result<AuditReport, String> {
    let keys: Vec<_> = client::select_markets(chain, markets)
        .await?
        .iter()
        .map(|m| m.key)
        .collect();
    let report = audit(chain, &keys, events).await;
    if json {
        let s = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        writeln!(out, "{s}").map_err(io)?;
    } else {
        print_audit(out, &report).map_err(io)?;
    }
    Ok(report)
}

/// Prints positions as a table.
pub fn print_positions(out: &mut dyn Write, ps: &[PositionView]) -> std::io::Result<()> {
    if ps.is_empty() {
        return writeln!(out, "no seat in any market");
    }
    for p in ps {
        let opt = |v: Option<f64>| v.map(|x| format!("{x:.2}")).unwrap_or_else(|| "-".into());
        writeln!(out, "{} ({}) seat {}", p.name, p.market, p.seat)?;
        writeln!(
            out,
            "  position {:>12} lots ({:+.4})  entry {}  mark {:.2}  index {:.2}",
            p.base_lots,
            p.size,
            opt(p.entry_price),
            p.mark,
            p.index
        )?;
        writeln!(
            out,
            "  collateral {:.2}  uPnL {:.2}  equity {:.2}  maint health {:.2}  withdrawable {:.2} (USD)",
            p.collateral, p.unrealized_pnl, p.equity, p.maint_health, p.withdrawable
        )?;
        writeln!(
            out,
            "  leverage {}  liquidation price {}  ADL rank {}",
            p.leverage
                .map(|l| format!("{l:.2}x"))
                .unwrap_or_else(|| "-".into()),
            opt(p.liquidation_price),
            p.adl_quantile
                .map(|q| format!("{q}/5"))
                .unwrap_or_else(|| "-".into())
        )?;
        for o in &p.open_orders {
            writeln!(
                out,
                "  order {:>6} (client {}) {:<4} {:>10} lots @ {:.2}{}{}",
                o.order_id,
                o.client_order_id,
                o.side,
                o.lots,
                o.price,
                if o.post_only { " post-only" } else { "" },
                if o.reduce_only { " reduce-only" } else { "" }
            )?;
        }
    }
    Ok(())
}

/// Prints markets as a table.
pub fn print_markets(out: &mut dyn Write, ms: &[MarketView]) -> std::io::Result<()> {
    if ms.is_empty() {
        return writeln!(out, "no markets");
    }
    for m in ms {
        let opt = |v: Option<f64>| v.map(|x| format!("{x:.2}")).unwrap_or_else(|| "-".into());
        writeln!(
            out,
            "{} ({}) {} / {}",
            m.name, m.market, m.status, m.waterfall_mode
        )?;
        writeln!(
            out,
            "  index {:.2}  mark {:.2}  bid {}  ask {}  tick {}  lots/unit {}",
            m.index,
            m.mark,
            opt(m.best_bid),
            opt(m.best_ask),
            m.tick_size,
            m.base_lots_per_unit
        )?;
        writeln!(
            out,
            "  open interest {} lots  funding {} ppm  fees taker {} / maker {} ppm  band {} bps  seats {} (table {}, max {})  tightening {}",
            m.open_interest_lots,
            m.last_funding_rate_ppm,
            m.taker_fee_ppm,
            m.maker_fee_ppm,
            m.price_band_bps,
            m.seats_used,
            m.seat_count,
            m.max_seats,
            m.tightening_level
        )?;
        for (i, t) in m.tiers.iter().enumerate() {
            writeln!(
                out,
                "  tier {i}: notional ≤ {:.0} USD  initial {} ppm  maintenance {} ppm",
                t.max_notional, t.initial_margin_ppm, t.maint_margin_ppm
            )?;
        }
    }
    Ok(())
}

pub fn print_stake(out: &mut dyn Write, s: &StakeView) -> std::io::Result<()> {
    writeln!(
        out,
        "stake of {}: {} shares worth {:.6} USD (fund {:.6} USD, {} shares)",
        s.owner, s.shares, s.value, s.fund_balance, s.fund_shares
    )?;
    if s.unstake_shares > 0 {
        writeln!(
            out,
            "unstake requested: {} shares at {} (value then {:.6} USD); withdrawable from unix {}",
            s.unstake_shares,
            s.unstake_requested_ts,
            s.unstake_value_at_request,
            s.withdrawable_from_ts
        )?;
    }
    Ok(())
}

/// Prints `v` as pretty JSON, or with `table` otherwise.
pub fn emit<T: serde::Serialize>(
    out: &mut dyn Write,
    json: bool,
    v: &T,
    table: impl FnOnce(&mut dyn Write, &T) -> std::io::Result<()>,
) -> Result<(), String> {
    if json {
        let s = serde_json::to_string_pretty(v).map_err(|e| e.to_string())?;
        writeln!(out, "{s}").map_err(io)
    } else {
        table(out, v).map_err(io)
    }
}

pub fn print_apply(out: &mut dyn Write, r: &crate::apply::ApplyReport) -> std::io::Result<()> {
    for s in &r.steps {
        writeln!(out, "{:<40} {:<15} {}", s.what, s.status, s.detail)?;
    }
    writeln!(
        out,
        "exchange {}  collateral mint {}  treasury {}",
        r.exchange, r.collateral_mint, r.treasury
    )?;
    for m in &r.markets {
        writeln!(
            out,
            "market {:<16} {}  feeds {}",
            m.name,
            m.market,
            m.feeds.join(", ")
        )?;
    }
    writeln!(out, "{} change(s)", r.changes())
}
