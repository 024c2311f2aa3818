//! Griefing by pre-funding: the insurance ledger lives at a fixed PDA whose
//! address anyone can compute from the program id. A system transfer of
//! 0.001 SOL to it before `init_insurance_ledger` used to make the
//! system program's `create_account` refuse the address for ever — and
//! with no ledger there are no sweeps, covers, stakes or audits.

use super::*;
use bulwark::state::InsuranceLedger;

/// lamports the attacker sends: just above an empty account's rent-exempt
/// minimum (890,880), far below the ledger's rent.
const DUST_LAMPORTS: u64 = 1_000_000;

/// An attacker sends 0.001 SOL to the ledger PDA on a fresh chain,
/// before anything exists; the operator then bootstraps as usual
/// (`initialize_exchange`, `init_insurance_ledger`, `grow_insurance_ledger`,
/// the markets), a staker stakes 1,000 USD, which writes a ledger entry,
/// and anyone audits.
pub(super) async fn ledger_prefund(
    sim: &mut Sim,
    cfg: &BootstrapConfig,
) -> Result<Verdict, String> {
    let ledger = ix::insurance_ledger_pda();
    let mut chain = EmbeddedChain::start(vec![]).await;
    let attacker = Keypair::new();
    chain
        .airdrop(&attacker.pubkey(), 1_000_000_000)
        .await
        .map_err(err)?;
    let transfer =
        solana_system_interface::instruction::transfer(&attacker.pubkey(), &ledger, DUST_LAMPORTS);
    chain.send(&[transfer], &[&attacker]).await.map_err(err)?;
    let tried = format!(
        "an attacker sends {:.3} SOL to the insurance ledger PDA {ledger} before \
         init_insurance_ledger; the operator then bootstraps the exchange as usual, a staker \
         stakes 1,000 USD and anyone audits the fund",
        DUST_LAMPORTS as f64 / 1e9
    );
    let dep = match bootstrap(&mut chain, cfg).await {
        Ok(dep) => dep,
        // The attack worked: the exchange cannot get its ledger.
        Err(e) => {
            return Ok(Verdict {
                blocked: false,
                error: None,
                tried,
                outcome: format!("the bootstrap failed for good: {e}"),
            });
        }
    };
    sim.chain = chain;
    sim.dep = dep;
    sim.traders.clear();
    sim.step += 1;
    sim.check().await;
    sim.set_price(START_USD, 10).await?;

    // The ledger: the program's, full size, linked to the fund.
    let a = sim
        .chain
        .account(&ledger)
        .await
        .ok_or("no ledger account")?;
    let rent = sim.chain.rent_exempt(InsuranceLedger::SPACE).await;
    let created = a.owner == bulwark::ID
        && a.data.len() == InsuranceLedger::SPACE
        && a.lamports == rent.max(DUST_LAMPORTS);
    // A second init is still refused; the ledger records a stake and an audit.
    sim.step += 1;
    let payer = sim.chain.payer_pubkey();
    let again = send_as(sim, &[ix::init_insurance_ledger(&payer)], None).await;
    let (z, token) = wallet(sim, 1_000.0).await?;
    let seq0 = fund(sim).await?.ledger_seq;
    let stake = send_as(
        sim,
        &[ix::stake(&z.pubkey(), &z.pubkey(), &token, usd(1_000.0), 1)],
        Some(&z),
    )
    .await;
    let audit = send_as(sim, &[ix::audit_insurance()], None).await;
    let f = fund(sim).await?;
    let fund_raw = sim.chain.account_data(&ix::insurance_pda()).await;
    let ledger_raw = sim.chain.account_data(&ledger).await;
    let chain_ok = crate::invariants::ledger_ok(&fund_raw, &ledger_raw) == Some(true);
    let recorded =
        stake.is_ok() && audit.is_ok() && f.ledger_seq == seq0 + 1 && f.last_audit_ok == 1;
    let blocked = created && again.is_err() && recorded && chain_ok;
    let outcome = format!(
        "bootstrap succeeded; ledger owned by {}, {} bytes, {} lamports (rent {rent}, the \
         attacker's {DUST_LAMPORTS} kept and topped up); a second init_insurance_ledger {}; \
         stake {}, audit {}; ledger entries {} -> {}, hash chain {}",
        a.owner,
        a.data.len(),
        a.lamports,
        match &again {
            Ok(()) => "succeeded".to_string(),
            Err(e) => format!("was refused ({e})"),
        },
        if stake.is_ok() { "recorded" } else { "failed" },
        if audit.is_ok() { "ok" } else { "failed" },
        seq0,
        f.ledger_seq,
        if chain_ok { "ok" } else { "broken" },
    );
    Ok(Verdict {
        blocked,
        error: blocked.then(|| {
            "init_insurance_ledger tops up a pre-funded address and allocates/assigns the PDA \
             (instructions::pda::create_pda) instead of create_account"
                .to_string()
        }),
        tried,
        outcome,
    })
}
