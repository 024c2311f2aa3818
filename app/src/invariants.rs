//! The invariant checker, run after every step of every integration test and
//! of simulate. It reads only chain data, so an auditor can run it too.

use crate::chain::EmbeddedChain;
use crate::ix;
use anchor_lang::prelude::Pubkey;
use anchor_lang::Discriminator;
use bulwark::engine::audit;
use bulwark::state::{InsuranceFund, InsuranceLedger, MarketRef};

/// One violated invariant, in words.
pub type Violation = String;

/// Checks a market's account against its vault (the engine's checker).
pub fn check_market_data(data: &[u8], vault_balance: u64) -> Vec<Violation> {
    match MarketRef::from_bytes(data) {
        Ok(m) => audit::check_market(&m, vault_balance),
        Err(e) => vec![format!("market account does not decode: {e}")],
    }
}

/// Checks the insurance fund's ledger balance against its vault.
pub fn check_insurance_data(data: &[u8], vault_balance: u64) -> Vec<Violation> {
    if data.len() < 8 + core::mem::size_of::<InsuranceFund>()
        || &data[..8] != InsuranceFund::DISCRIMINATOR
    {
        return vec!["insurance fund account does not decode".into()];
    }
    let f: &InsuranceFund =
        bytemuck::from_bytes(&data[8..8 + core::mem::size_of::<InsuranceFund>()]);
    let mut v = Vec::new();
    if f.balance != vault_balance {
        v.push(format!(
            "insurance: ledger balance {} != vault {}",
            f.balance, vault_balance
        ));
    }
    let inflows: u128 = f.inflows.iter().map(|x| *x as u128).sum();
    let outflows: u128 = f.outflows.iter().map(|x| *x as u128).sum();
    if inflows.checked_sub(outflows) != Some(f.balance as u128) {
        v.push(format!(
            "insurance: inflows {inflows} - outflows {outflows} != balance {}",
            f.balance
        ));
    }
    v
}

/// All invariants of the exchange for the given markets.
pub async fn check_all(chain: &mut EmbeddedChain, markets: &[Pubkey]) -> Vec<Violation> {
    let mut v = Vec::new();
    for mk in markets {
        let data = chain.account_data(mk).await;
        let vault = chain.token_balance(&ix::market_vault_pda(mk)).await;
        v.extend(check_market_data(&data, vault));
    }
    let fund = chain.account_data(&ix::insurance_pda()).await;
    if !fund.is_empty() {
        let vault = chain.token_balance(&ix::insurance_vault_pda()).await;
        v.extend(check_insurance_data(&fund, vault));
        let ledger = chain.account_data(&ix::insurance_ledger_pda()).await;
        if let Some(false) = ledger_ok(&fund, &ledger) {
            v.push("insurance: the ledger ring buffer does not match the fund's hash chain".into());
        }
    }
    v
}

/// Verifies the ring buffer against the fund (None if the ledger is not
/// at full size yet).
pub fn ledger_ok(fund: &[u8], ledger: &[u8]) -> Option<bool> {
    let fsz = core::mem::size_of::<InsuranceFund>();
    let lsz = core::mem::size_of::<InsuranceLedger>();
    if fund.len() < 8 + fsz
        || ledger.len() < 8 + lsz
        || &ledger[..8] != InsuranceLedger::DISCRIMINATOR
    {
        return None;
    }
    let f: InsuranceFund = bytemuck::pod_read_unaligned(&fund[8..8 + fsz]);
    let l: Box<InsuranceLedger> = Box::new(bytemuck::pod_read_unaligned(&ledger[8..8 + lsz]));
    Some(bulwark::engine::insurance::verify_ring(&l, &f))
}
