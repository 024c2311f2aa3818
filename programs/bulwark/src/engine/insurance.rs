//! The insurance fund's ledger: every movement of value in or out of the
//! insurance vault is an entry with a sequence number, folded into a running
//! sha256 hash chain, so an auditor holding the entries (from events) can
//! recompute the chain and prove none is missing.

use crate::error::ErrorCode;
use crate::math::{Cast, SafeMath, BPS};
use crate::state::{InsuranceFund, InsuranceLedgerEntry};
use anchor_lang::prelude::*;

/// Entry kinds: inflow sources are 0..16, outflow causes 16 + cause.
pub const OUTFLOW_KIND_BASE: u8 = 16;

/// The bytes an entry contributes to the hash chain (little-endian fields in
/// declaration order).
pub fn entry_bytes(e: &InsuranceLedgerEntry) -> [u8; 121] {
    let mut b = [0u8; 121];
    b[0..8].copy_from_slice(&e.seq.to_le_bytes());
    b[8..16].copy_from_slice(&e.slot.to_le_bytes());
    b[16..24].copy_from_slice(&e.unix_ts.to_le_bytes());
    b[24] = e.kind;
    b[25..57].copy_from_slice(e.market.as_ref());
    b[57..89].copy_from_slice(e.counterparty.as_ref());
    b[89..97].copy_from_slice(&e.amount.to_le_bytes());
    b[97..105].copy_from_slice(&e.balance_after.to_le_bytes());
    b[105..113].copy_from_slice(&e.shares_after.to_le_bytes());
    b[113..121].copy_from_slice(&e.total_inflows_after.to_le_bytes());
    b
}

/// next = sha256(prev || entry bytes).
pub fn chain_hash(prev: &[u8; 32], e: &InsuranceLedgerEntry) -> [u8; 32] {
    solana_sha256_hasher::hashv(&[prev, &entry_bytes(e)]).to_bytes()
}

fn total_inflows(f: &InsuranceFund) -> Result<u64> {
    f.inflows.iter().try_fold(0u64, |a, x| a.safe_add(*x))
}

fn write(fund: &mut InsuranceFund, mut e: InsuranceLedgerEntry) -> Result<InsuranceLedgerEntry> {
    e.seq = fund.ledger_seq;
    e.balance_after = fund.balance;
    e.shares_after = fund.total_shares;
    e.total_inflows_after = total_inflows(fund)?;
    fund.hash_chain = chain_hash(&fund.hash_chain, &e);
    e.hash_after = fund.hash_chain;
    fund.ledger_seq = fund.ledger_seq.safe_add(1)?;
    Ok(e)
}

/// Records an inflow of `amount` quote atoms from `source` (`inflow::*`).
/// The token transfer into the vault happens in the same instruction.
pub fn record_inflow(
    fund: &mut InsuranceFund,
    source: usize,
    amount: u64,
    market: Pubkey,
    counterparty: Pubkey,
    slot: u64,
    unix_ts: i64,
) -> Result<InsuranceLedgerEntry> {
    require!(source < fund.inflows.len(), ErrorCode::MathOverflow);
    fund.balance = fund.balance.safe_add(amount)?;
    fund.inflows[source] = fund.inflows[source].safe_add(amount)?;
    write(
        fund,
        InsuranceLedgerEntry {
            slot,
            unix_ts,
            kind: source as u8,
            market,
            counterparty,
            amount,
            ..Default::default()
        },
    )
}

/// Records an outflow of `amount` for `cause` (`outflow::*`).
pub fn record_outflow(
    fund: &mut InsuranceFund,
    cause: usize,
    amount: u64,
    market: Pubkey,
    counterparty: Pubkey,
    slot: u64,
    unix_ts: i64,
) -> Result<InsuranceLedgerEntry> {
    require!(cause < fund.outflows.len(), ErrorCode::MathOverflow);
    fund.balance = fund.balance.safe_sub(amount)?;
    fund.outflows[cause] = fund.outflows[cause].safe_add(amount)?;
    write(
        fund,
        InsuranceLedgerEntry {
            slot,
            unix_ts,
            kind: OUTFLOW_KIND_BASE + cause as u8,
            market,
            counterparty,
            amount,
            ..Default::default()
        },
    )
}

/// Recomputes a hash chain from entries in order, starting from zero.
pub fn verify_chain(entries: &[InsuranceLedgerEntry]) -> Option<[u8; 32]> {
    let mut h = [0u8; 32];
    for (i, e) in entries.iter().enumerate() {
        if e.seq != i as u64 {
            return None;
        }
        h = chain_hash(&h, e);
        if h != e.hash_after {
            return None;
        }
    }
    Some(h)
}

/// Checks the ring buffer against the fund: the entries it holds are
/// consecutive, each one's hash is the hash of the previous one and itself,
/// and the newest one's hash is the fund's chain head. While no entry has
/// been evicted (count <= capacity) this recomputes the whole chain from
/// zero.
pub fn verify_ring(ledger: &crate::state::InsuranceLedger, fund: &InsuranceFund) -> bool {
    use crate::state::LEDGER_CAPACITY;
    let count = ledger.count;
    if count != fund.ledger_seq {
        return false;
    }
    if count == 0 {
        return fund.hash_chain == [0u8; 32];
    }
    let first = count.saturating_sub(LEDGER_CAPACITY as u64);
    let mut prev: Option<[u8; 32]> = if first == 0 { Some([0u8; 32]) } else { None };
    for seq in first..count {
        let r = &ledger.entries[(seq as usize) % LEDGER_CAPACITY];
        if r.seq != seq {
            return false;
        }
        if let Some(p) = prev {
            if chain_hash(&p, &r.entry()) != r.hash_after {
                return false;
            }
        }
        prev = Some(r.hash_after);
    }
    prev == Some(fund.hash_chain)
}

/// Coverage of a market = insurance fund balance / the market's open-interest
/// notional at the mark (the exchange-wide fund against each market's own
/// exposure), in bps.
pub fn coverage_bps(fund_balance: u64, oi_notional: u64) -> Result<u64> {
    if oi_notional == 0 {
        return Ok(u64::MAX);
    }
    (fund_balance as u128)
        .safe_mul(BPS as u128)?
        .safe_div(oi_notional as u128)?
        .min(u64::MAX as u128)
        .cast()
}

/// The tightening level for a coverage, given the current level: below the
/// first threshold margin rises (1), below the second the market turns
/// reduce-only (2); each lifts only once coverage is a hysteresis band
/// above its threshold.
pub fn next_level(level: u8, cov: u64, fund: &InsuranceFund) -> u8 {
    let t1 = fund.tighten_coverage_bps as u64;
    let t2 = fund.reduce_only_coverage_bps as u64;
    let h = fund.coverage_hysteresis_bps as u64;
    if cov < t2 {
        return 2;
    }
    if level == 2 && cov < t2 + h {
        return 2;
    }
    if cov < t1 {
        return 1;
    }
    if level >= 1 && cov < t1 + h {
        return 1;
    }
    0
}

/// The market's tightening level now and the level its coverage calls for
/// (with the coverage in bps): what `update_tightening` applies.
pub fn tightening(m: &crate::state::Market, fund: &InsuranceFund) -> Result<(u8, u8, u64)> {
    let price = super::margin::risk_price(&m.state);
    let oi = super::margin::notional_ceil(
        m.state.open_interest_lots,
        price,
        m.config.base_lots_per_unit,
    )?;
    let cov = coverage_bps(fund.balance, oi)?;
    let old = m.waterfall.tightening_level;
    Ok((old, next_level(old, cov, fund), cov))
}
