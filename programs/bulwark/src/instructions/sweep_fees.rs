//! Permissionless: moves the market's unswept fees out of its vault — the
//! insurance share into the insurance vault (with a ledger entry), the
//! treasury share to the exchange's treasury token account.

use crate::engine::{collateral, insurance};
use crate::error::ErrorCode;
use crate::state::*;
use anchor_lang::prelude::*;
use anchor_spl::token::{self, Token, TokenAccount, Transfer};

#[event_cpi]
#[derive(Accounts)]
pub struct SweepFees<'info> {
    #[account(address = EXCHANGE_ADDRESS @ ErrorCode::WrongExchange)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(
        mut,
        constraint = market.load()?.exchange == exchange.key() @ ErrorCode::WrongExchange,
    )]
    pub market: AccountLoader<'info, Market>,
    #[account(mut, address = market.load()?.vault @ ErrorCode::WrongVault)]
    pub vault: Account<'info, TokenAccount>,
    #[account(mut, address = INSURANCE_ADDRESS @ ErrorCode::WrongInsuranceAccount)]
    pub insurance: AccountLoader<'info, InsuranceFund>,
    #[account(mut, address = insurance.load()?.vault @ ErrorCode::WrongVault)]
    pub insurance_vault: Account<'info, TokenAccount>,
    #[account(mut, address = INSURANCE_LEDGER_ADDRESS @ ErrorCode::WrongInsuranceAccount)]
    pub ledger: AccountLoader<'info, InsuranceLedger>,
    #[account(mut, address = exchange.load()?.treasury @ ErrorCode::WrongTreasury)]
    pub treasury: Account<'info, TokenAccount>,
    pub token_program: Program<'info, Token>,
}

pub fn handler(ctx: Context<SweepFees>) -> Result<()> {
    let clock = Clock::get()?;
    let market_key = ctx.accounts.market.key();
    let (fee_share, liquidation_fees, to_treasury) = {
        let mut m = ctx.accounts.market.load_mut()?;
        m.require_not_frozen()?;
        let out = (
            m.state.unswept_insurance_fees,
            m.waterfall.unswept_liquidation_fees,
            m.state.unswept_treasury_fees,
        );
        m.state.unswept_insurance_fees = 0;
        m.waterfall.unswept_liquidation_fees = 0;
        m.state.unswept_treasury_fees = 0;
        out
    };
    let to_insurance = fee_share
        .checked_add(liquidation_fees)
        .ok_or(ErrorCode::MathOverflow)?;
    require!(
        to_insurance > 0 || to_treasury > 0,
        ErrorCode::NothingToSweep
    );
    let bump = ctx.accounts.exchange.load()?.bump;
    let seeds: &[&[&[u8]]] = &[&[EXCHANGE_SEED, &[bump]]];
    for (amount, to) in [
        (to_insurance, ctx.accounts.insurance_vault.to_account_info()),
        (to_treasury, ctx.accounts.treasury.to_account_info()),
    ] {
        if amount == 0 {
            continue;
        }
        token::transfer(
            CpiContext::new_with_signer(
                ctx.accounts.token_program.key(),
                Transfer {
                    from: ctx.accounts.vault.to_account_info(),
                    to,
                    authority: ctx.accounts.exchange.to_account_info(),
                },
                seeds,
            ),
            amount,
        )?;
    }
    // One ledger entry per source, so inflows stay attributed.
    for (source, amount) in [
        (inflow::FEE_SHARE, fee_share),
        (inflow::LIQUIDATION_FEE, liquidation_fees),
    ] {
        if amount == 0 {
            continue;
        }
        let entry = {
            let mut fund = ctx.accounts.insurance.load_mut()?;
            insurance::record_inflow(
                &mut fund,
                source,
                amount,
                market_key,
                market_key,
                clock.slot,
                clock.unix_timestamp,
            )?
        };
        ctx.accounts.ledger.load_mut()?.push(&entry);
        emit_cpi!(entry);
    }
    // Both vaults still cover their books.
    ctx.accounts.vault.reload()?;
    ctx.accounts.insurance_vault.reload()?;
    {
        let info = ctx.accounts.market.to_account_info();
        let data = info.try_borrow_data()?;
        let m = MarketRef::from_bytes(&data)?;
        require!(
            ctx.accounts.vault.amount as i128 >= collateral::required_vault_balance(&m)?,
            ErrorCode::InsufficientVaultBalance
        );
    }
    require!(
        ctx.accounts.insurance_vault.amount >= ctx.accounts.insurance.load()?.balance,
        ErrorCode::InsufficientVaultBalance
    );
    emit_cpi!(FeesSwept {
        market: market_key,
        to_insurance,
        to_treasury,
    });
    Ok(())
}
