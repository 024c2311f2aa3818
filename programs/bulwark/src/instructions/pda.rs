//! Creating a program-owned PDA by hand, tolerating an address that
//! already holds lamports.
//!
//! A PDA's address is public before the account exists, and anyone may
//! send lamports to it. The system program's `create_account` refuses an
//! address with lamports (`AccountAlreadyInUse`), so a PDA created with it
//! can be blocked for ever by a 0.001 SOL transfer. This is the standard
//! pattern instead (the one Anchor's `init` generates): top up the rent
//! that is missing, then `allocate` and `assign` signed with the PDA's
//! seeds. It needs no feature gate (unlike the system program's newer
//! `CreateAccountAllowPrefund`, which Anchor 1.x's `init` uses).

use anchor_lang::prelude::*;
use anchor_lang::system_program::{allocate, assign, transfer, Allocate, Assign, Transfer};

/// Creates the PDA `account` owned by `owner` with `space` bytes and at
/// least `lamports` (the payer adds only what the address does not hold
/// already). An account that exists already (data or a non-system owner)
/// is refused by the system program's `allocate` with
/// `SystemError::AccountAlreadyInUse`, as `create_account` refuses it.
pub fn create_pda<'info>(
    payer: &AccountInfo<'info>,
    account: &AccountInfo<'info>,
    system_program: &AccountInfo<'info>,
    lamports: u64,
    space: usize,
    owner: &Pubkey,
    seeds: &[&[&[u8]]],
) -> Result<()> {
    let missing = lamports.saturating_sub(account.lamports());
    // Allocate and assign first: they fail on an account in use before any
    // lamports move.
    allocate(
        CpiContext::new_with_signer(
            system_program.key(),
            Allocate {
                account_to_allocate: account.clone(),
            },
            seeds,
        ),
        space as u64,
    )?;
    assign(
        CpiContext::new_with_signer(
            system_program.key(),
            Assign {
                account_to_assign: account.clone(),
            },
            seeds,
        ),
        owner,
    )?;
    if missing > 0 {
        transfer(
            CpiContext::new(
                system_program.key(),
                Transfer {
                    from: payer.clone(),
                    to: account.clone(),
                },
            ),
            missing,
        )?;
    }
    Ok(())
}
