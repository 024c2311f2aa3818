//! The keeper's side of the ADL ranking round (`bulwark::engine::adl_round`),
//! for markets whose seat table is too large for `auto_deleverage` in one
//! transaction: `adl_begin`, as many `adl_scan` transactions as the table
//! needs, then `adl_execute`. The keeper predicts the outcome with the
//! program's own engine on a copy of the fetched market before it sends
//! anything, and it finishes (or, once expired, aborts) a round another
//! keeper left open. It chooses only when; the program ranks.

use crate::chain_trait::Chain;
use crate::ix;
use crate::rpc::{set_compute_unit_limit, MAX_COMPUTE_UNITS};
use anchor_lang::prelude::Pubkey;
use bulwark::engine::adl_round::{self, RoundEnd};
use bulwark::engine::deleverage::ADL_ONE_TX_SEATS;
use bulwark::engine::sandbox::MarketBuf;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_signer::Signer;

/// Seats one `adl_scan` transaction ranks: at the worst case measured
/// (~300 CU a seat, every seat owing funding; `BENCHMARKS.md`) 4,096 seats
/// stay within the 1.4M CU of a transaction.
pub const SCAN_SEATS_PER_TX: u32 = 4_096;

/// True when the market's table is too large for one-transaction ADL.
pub fn needs_round(seat_count: usize) -> bool {
    seat_count > ADL_ONE_TX_SEATS
}

/// The transactions that run a round from its current state to its end:
/// `begin` (when `target` names a seat and no round is open), the scans,
/// then `adl_execute`, each under the full compute budget.
pub fn round_transactions(
    caller: &Pubkey,
    market: &Pubkey,
    target: Option<(Pubkey, u32)>,
    cursor: u32,
    seat_count: u32,
) -> Vec<Vec<Instruction>> {
    let budget = |i: Instruction| vec![set_compute_unit_limit(MAX_COMPUTE_UNITS), i];
    let mut txs = Vec::new();
    if let Some((owner, seat)) = target {
        txs.push(budget(ix::adl_begin(caller, market, &owner, seat)));
    }
    let mut at = cursor;
    while at < seat_count {
        txs.push(budget(ix::adl_scan(caller, market, SCAN_SEATS_PER_TX)));
        at = at.saturating_add(SCAN_SEATS_PER_TX);
    }
    txs.push(budget(ix::adl_execute(market)));
    txs
}

/// Predicts a whole round on a copy of `market` (begun for `target`, or
/// the open one continued) with the program's engine: what `adl_execute`
/// will do, or the error that would stop it.
pub fn predict(
    market: &[u8],
    target: Option<usize>,
    fund: u64,
    now: i64,
) -> Result<RoundEnd, String> {
    let mut buf = MarketBuf::from_account_data(market);
    let mut v = buf.view_in_round();
    if let Some(t) = target {
        // (Slot u64::MAX: past any cooldown; the chain enforces its own.)
        adl_round::begin(&mut v, t, fund, now, u64::MAX).map_err(|e| e.to_string())?;
    }
    while v.header.adl_round.cursor < v.header.adl_round.seat_count {
        adl_round::scan(&mut v, SCAN_SEATS_PER_TX).map_err(|e| e.to_string())?;
    }
    adl_round::execute(&mut v, fund, now, 0, &mut |_| {}).map_err(|e| e.to_string())
}

/// Runs a round on the chain: begins one for `target` (owner, seat) if
/// given, else continues the open one; predicts it first and sends
/// nothing if the prediction fails. Returns the predicted end.
pub async fn run_round<C: Chain>(
    chain: &mut C,
    kp: &Keypair,
    market: &Pubkey,
    target: Option<(Pubkey, u32)>,
    fund: u64,
    now: i64,
) -> Result<RoundEnd, String> {
    let data = chain.account_data(market).await;
    let buf = MarketBuf::from_account_data(&data);
    let r = buf.view_ref().header.adl_round;
    let (cursor, count, target) = match (r.active, target) {
        (0, Some(t)) => (0, buf.view_ref().header.seat_count, Some(t)),
        (1, _) => (r.cursor, r.seat_count, None),
        _ => return Err("no round open and no seat named".into()),
    };
    let end = predict(&data, target.map(|(_, s)| s as usize), fund, now)?;
    for tx in round_transactions(&kp.pubkey(), market, target, cursor, count) {
        chain
            .send(&tx, &[kp])
            .await
            .map_err(|e| format!("ADL round: {e}"))?;
    }
    Ok(end)
}

/// Ends a round another keeper left open: finishes it if it can, else
/// aborts it (which the program allows once `ADL_ROUND_MAX_SLOTS` passed).
pub async fn finish_open_round<C: Chain>(
    chain: &mut C,
    kp: &Keypair,
    market: &Pubkey,
    fund: u64,
    now: i64,
) -> Result<RoundEnd, String> {
    match run_round(chain, kp, market, None, fund, now).await {
        Ok(end) => Ok(end),
        Err(e) => {
            let _ = chain
                .send(&[ix::adl_abort(&kp.pubkey(), market)], &[kp])
                .await;
            Err(e)
        }
    }
}
