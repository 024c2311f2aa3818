//! The insurance-fund and market audit, from chain data alone: balances,
//! inflows by source and outflows by cause, recent ledger entries, the hash
//! chain (ring buffer, and optionally events), the vault reconciliation and
//! every market invariant. `ok` is false when anything does not add up.

use crate::chain_trait::Chain;
use crate::ix;
use anchor_lang::prelude::Pubkey;
use anchor_lang::Discriminator;
use bulwark::engine::{audit as market_audit, insurance};
use bulwark::state::{
    inflow, outflow, InsuranceFund, InsuranceLedger, InsuranceLedgerEntry, MarketRef,
    LEDGER_CAPACITY,
};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Serialize)]
pub struct LedgerLine {
    pub seq: u64,
    pub slot: u64,
    pub unix_ts: i64,
    pub kind: String,
    pub market: String,
    pub counterparty: String,
    /// USD.
    pub amount: f64,
    /// USD.
    pub balance_after: f64,
}

#[derive(Debug, Serialize)]
pub struct MarketAudit {
    pub market: String,
    pub name: String,
    /// USD.
    pub vault: f64,
    pub violations: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct AuditReport {
    /// USD in the insurance vault / on the fund's ledger.
    pub vault_balance: f64,
    pub ledger_balance: f64,
    pub inflows: BTreeMap<String, f64>,
    pub outflows: BTreeMap<String, f64>,
    pub total_shares: u64,
    pub ledger_entries: u64,
    pub recent_entries: Vec<LedgerLine>,
    /// The ring buffer recomputes to the fund's hash chain head.
    pub ring_chain_ok: bool,
    /// Events given to the audit recompute to the head (None: none given).
    pub events_chain_ok: Option<bool>,
    /// Vault == ledger balance == inflows − outflows.
    pub vault_reconciled: bool,
    pub markets: Vec<MarketAudit>,
    pub ok: bool,
    pub problems: Vec<String>,
}

pub fn kind_name(kind: u8) -> String {
    match kind as usize {
        k if k == inflow::FEE_SHARE => "fee_share".into(),
        k if k == inflow::LIQUIDATION_FEE => "liquidation_fee".into(),
        k if k == inflow::PROTOCOL_DEPOSIT => "protocol_deposit".into(),
        k if k == inflow::STAKER_DEPOSIT => "staker_deposit".into(),
        k if k == inflow::DONATION => "donation".into(),
        k if k == insurance::OUTFLOW_KIND_BASE as usize + outflow::BANKRUPTCY_COVER => {
            "bankruptcy_cover".into()
        }
        k if k == insurance::OUTFLOW_KIND_BASE as usize + outflow::UNSTAKE => "unstake".into(),
        k => format!("kind{k}"),
    }
}

fn usd(atoms: u64) -> f64 {
    atoms as f64 / 1e6
}

/// Audits the fund and the given markets. `events` are ledger entries the
/// auditor holds (decoded `InsuranceLedgerEntry` events, in order from the
/// first), if any.
pub async fn audit<C: Chain>(
    chain: &mut C,
    markets: &[Pubkey],
    events: Option<&[InsuranceLedgerEntry]>,
) -> AuditReport {
    let mut problems = Vec::new();
    let fund_data = chain.account_data(&ix::insurance_pda()).await;
    let fsz = core::mem::size_of::<InsuranceFund>();
    let fund: Option<InsuranceFund> = (fund_data.len() >= 8 + fsz
        && &fund_data[..8] == InsuranceFund::DISCRIMINATOR)
        .then(|| bytemuck::pod_read_unaligned(&fund_data[8..8 + fsz]));
    let vault = chain.token_balance(&ix::insurance_vault_pda()).await;
    let mut report = AuditReport {
        vault_balance: usd(vault),
        ledger_balance: 0.0,
        inflows: BTreeMap::new(),
        outflows: BTreeMap::new(),
        total_shares: 0,
        ledger_entries: 0,
        recent_entries: Vec::new(),
        ring_chain_ok: false,
        events_chain_ok: None,
        vault_reconciled: false,
        markets: Vec::new(),
        ok: false,
        problems: Vec::new(),
    };
    let Some(f) = fund else {
        report
            .problems
            .push("the insurance fund account is missing or malformed".into());
        return report;
    };
    report.ledger_balance = usd(f.balance);
    report.total_shares = f.total_shares;
    report.ledger_entries = f.ledger_seq;
    for k in 0..5u8 {
        report
            .inflows
            .insert(kind_name(k), usd(f.inflows[k as usize]));
    }
    for c in 0..2usize {
        report.outflows.insert(
            kind_name(insurance::OUTFLOW_KIND_BASE + c as u8),
            usd(f.outflows[c]),
        );
    }
    let net = f.inflows.iter().map(|x| *x as u128).sum::<u128>() as i128
        - f.outflows.iter().map(|x| *x as u128).sum::<u128>() as i128;
    report.vault_reconciled = vault == f.balance && net == f.balance as i128;
    if vault != f.balance {
        problems.push(format!(
            "vault holds {} but the ledger says {} (run audit_insurance to record donations)",
            usd(vault),
            usd(f.balance)
        ));
    }
    if net != f.balance as i128 {
        problems.push(format!(
            "inflows − outflows = {} but the balance is {}",
            net as f64 / 1e6,
            usd(f.balance)
        ));
    }
    // Ring buffer.
    let ledger = chain.account_data(&ix::insurance_ledger_pda()).await;
    let lsz = core::mem::size_of::<InsuranceLedger>();
    if ledger.len() >= 8 + lsz && &ledger[..8] == InsuranceLedger::DISCRIMINATOR {
        let l: Box<InsuranceLedger> = Box::new(bytemuck::pod_read_unaligned(&ledger[8..8 + lsz]));
        report.ring_chain_ok = insurance::verify_ring(&l, &f);
        let first = l.count.saturating_sub(LEDGER_CAPACITY as u64);
        for seq in first.max(l.count.saturating_sub(20))..l.count {
            let r = &l.entries[(seq as usize) % LEDGER_CAPACITY];
            report.recent_entries.push(LedgerLine {
                seq: r.seq,
                slot: r.slot,
                unix_ts: r.unix_ts,
                kind: kind_name(r.kind),
                market: r.market.to_string(),
                counterparty: r.counterparty.to_string(),
                amount: usd(r.amount),
                balance_after: usd(r.balance_after),
            });
        }
    }
    if !report.ring_chain_ok {
        problems.push("the ledger ring buffer does not recompute to the fund's hash chain".into());
    }
    if let Some(ev) = events {
        let ok =
            insurance::verify_chain(ev) == Some(f.hash_chain) && ev.len() as u64 == f.ledger_seq;
        report.events_chain_ok = Some(ok);
        if !ok {
            problems.push("the events given do not recompute to the fund's hash chain".into());
        }
    }
    for mk in markets {
        let data = chain.account_data(mk).await;
        let vault = chain.token_balance(&ix::market_vault_pda(mk)).await;
        let (name, violations) = match MarketRef::from_bytes(&data) {
            Ok(m) => (
                m.header.name_str().to_string(),
                market_audit::check_market(&m, vault),
            ),
            Err(e) => (String::new(), vec![format!("market does not decode: {e}")]),
        };
        problems.extend(violations.iter().cloned());
        report.markets.push(MarketAudit {
            market: mk.to_string(),
            name,
            vault: usd(vault),
            violations,
        });
    }
    report.ok = problems.is_empty();
    report.problems = problems;
    report
}
