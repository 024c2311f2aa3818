//! Negative tests of the insurance fund's housekeeping instructions: the
//! ledger ring buffer's creation and growth, the timelocked insurance
//! parameters, and the audit's account checks. Every transaction goes
//! through the harness, which checks all invariants after it.

use anchor_lang::error::ErrorCode as AnchorError;
use anchor_lang::{InstructionData, ToAccountMetas};
use bulwark::error::ErrorCode as E;
use bulwark::state::ParamKey;
use bulwark_app::ix;
use bulwark_tests::*;
use solana_instruction::Instruction;
use solana_signer::Signer;

/// `set_param` / `queue_param_change` without the insurance account.
fn param_ix_without_fund(
    admin: &anchor_lang::prelude::Pubkey,
    key: ParamKey,
    value: i64,
    queue: bool,
) -> Instruction {
    let accounts = bulwark::accounts::ChangeParam {
        admin: *admin,
        exchange: ix::exchange_pda(),
        market: None,
        insurance: None,
    };
    let data = if queue {
        bulwark::instruction::QueueParamChange {
            key: key as u16,
            index: 0,
            value,
        }
        .data()
    } else {
        bulwark::instruction::SetParam {
            key: key as u16,
            index: 0,
            value,
        }
        .data()
    };
    Instruction {
        program_id: bulwark::ID,
        accounts: accounts.to_account_metas(None),
        data,
    }
}

#[tokio::test]
async fn the_ledger_is_created_once_and_grows_only_to_its_size() {
    let mut env = TestEnv::new().await;
    let admin = env.admin();
    // The bootstrap created and grew it: growing further is refused…
    env.send_tx_expect_error(&[ix::grow_insurance_ledger()], &[], code(E::LedgerFull))
        .await;
    // …and creating it again fails in the system program (account in use).
    env.send_tx_expect_error(&[ix::init_insurance_ledger(&admin)], &[], 0)
        .await;
    // The ring holds the bootstrap's entries so far, linked to the fund.
    let fund = env.insurance_fund().await;
    let ledger = env.raw_account(&ix::insurance_ledger_pda()).await;
    let fund_raw = env.raw_account(&ix::insurance_pda()).await;
    assert_eq!(
        bulwark_app::invariants::ledger_ok(&fund_raw.data, &ledger.data),
        Some(true)
    );
    assert_eq!(
        ledger.data.len(),
        8 + core::mem::size_of::<bulwark::state::InsuranceLedger>()
    );
    assert_eq!(fund.ledger_seq, 0);
}

#[tokio::test]
async fn insurance_parameters_are_bounded_and_timelocked() {
    let mut env = TestEnv::new().await;
    let admin = env.admin();
    let before = env.insurance_fund().await;
    // Loosening (a shorter cooldown, a lower threshold, a smaller multiplier)
    // needs the timelock.
    for (key, value) in [
        (
            ParamKey::InsuranceUnstakeCooldownSecs,
            before.unstake_cooldown_secs - 1,
        ),
        (
            ParamKey::InsuranceTightenCoverageBps,
            before.tighten_coverage_bps as i64 - 1,
        ),
        (
            ParamKey::InsuranceTightenedImMultiplierPpm,
            before.tightened_im_multiplier_ppm as i64 - 1,
        ),
    ] {
        let i = ix::set_param(&admin, None, key, 0, value);
        env.send_tx_expect_error(&[i], &[], code(E::TimelockRequired))
            .await;
    }
    // Outside the hard limits, even when queued.
    let i = ix::queue_param_change(&admin, None, ParamKey::InsuranceUnstakeCooldownSecs, 0, 60);
    env.send_tx_expect_error(&[i], &[], code(E::ParamOutOfBounds))
        .await;
    let i = ix::set_param(
        &admin,
        None,
        ParamKey::InsuranceTightenedImMultiplierPpm,
        0,
        6_000_000,
    );
    env.send_tx_expect_error(&[i], &[], code(E::ParamOutOfBounds))
        .await;
    // The reduce-only threshold may not exceed the tightening threshold.
    let i = ix::set_param(
        &admin,
        None,
        ParamKey::InsuranceReduceOnlyCoverageBps,
        0,
        before.tighten_coverage_bps as i64 + 1,
    );
    env.send_tx_expect_error(&[i], &[], code(E::ParamOutOfBounds))
        .await;
    // Without the insurance account the program cannot read the value.
    let i = param_ix_without_fund(
        &admin,
        ParamKey::InsuranceUnstakeCooldownSecs,
        8 * 24 * 3600,
        false,
    );
    env.send_tx_expect_error(&[i], &[], code(E::InsuranceRequired))
        .await;
    // A non-admin changes nothing.
    let mallory = env.new_wallet().await;
    let i = ix::set_param(
        &mallory.pubkey(),
        None,
        ParamKey::InsuranceUnstakeCooldownSecs,
        0,
        8 * 24 * 3600,
    );
    env.send_tx_expect_error(&[i], &[&mallory], code(E::NotAdmin))
        .await;
    // A longer cooldown traps stakers who already asked to leave: since
    // issue 10 it waits like a shorter one (it used to apply at once).
    let longer = before.unstake_cooldown_secs + 3_600;
    let i = ix::set_param(
        &admin,
        None,
        ParamKey::InsuranceUnstakeCooldownSecs,
        0,
        longer,
    );
    env.send_tx_expect_error(&[i], &[], code(E::TimelockRequired))
        .await;
    env.send(
        &[ix::queue_param_change(
            &admin,
            None,
            ParamKey::InsuranceUnstakeCooldownSecs,
            0,
            longer,
        )],
        &[],
    )
    .await;
    env.advance_time(TIMELOCK_SECS).await;
    env.send(&[ix::apply_param_change(&admin, None, 0)], &[])
        .await;
    // A higher tightening threshold (it raises initial margin only) applies
    // at once.
    env.send(
        &[ix::set_param(
            &admin,
            None,
            ParamKey::InsuranceTightenCoverageBps,
            0,
            before.tighten_coverage_bps as i64 + 50,
        )],
        &[],
    )
    .await;
    let after = env.insurance_fund().await;
    assert_eq!(after.unstake_cooldown_secs, longer);
    assert_eq!(after.tighten_coverage_bps, before.tighten_coverage_bps + 50);
    // Loosening through the queue: not before the delay, then applied.
    let shorter = longer - 7_200;
    env.send(
        &[ix::queue_param_change(
            &admin,
            None,
            ParamKey::InsuranceUnstakeCooldownSecs,
            0,
            shorter,
        )],
        &[],
    )
    .await;
    let apply = ix::apply_param_change(&admin, None, 0);
    env.send_tx_expect_error(
        std::slice::from_ref(&apply),
        &[],
        code(E::TimelockNotExpired),
    )
    .await;
    env.advance_time(TIMELOCK_SECS).await;
    env.send(&[apply], &[]).await;
    assert_eq!(env.insurance_fund().await.unstake_cooldown_secs, shorter);
}

#[tokio::test]
async fn audit_and_tightening_check_their_accounts() {
    let mut env = TestEnv::new().await;
    // The audit must read the fund's own vault.
    let mut i = ix::audit_insurance();
    let stray = env.token_account(&env.mint(), &env.admin()).await;
    i.accounts[1].pubkey = stray;
    env.send_tx_expect_error(&[i], &[], code(E::WrongVault))
        .await;
    // The ledger passed must be the ledger PDA.
    let mut i = ix::audit_insurance();
    i.accounts[2].pubkey = ix::insurance_pda();
    env.send_tx_expect_error(
        &[i],
        &[],
        anchor_code(AnchorError::AccountDiscriminatorMismatch),
    )
    .await;
    // update_tightening with another program's account as the market.
    let mut i = ix::update_tightening(&env.market(BTC));
    i.accounts[1].pubkey = ix::insurance_vault_pda();
    env.send_tx_expect_error(
        &[i],
        &[],
        anchor_code(AnchorError::AccountOwnedByWrongProgram),
    )
    .await;
    // The real thing works and records the audit.
    env.send(&[ix::audit_insurance()], &[]).await;
    let fund = env.insurance_fund().await;
    assert_eq!(fund.last_audit_ok, 1);
}
