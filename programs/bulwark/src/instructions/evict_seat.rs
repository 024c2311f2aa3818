//! Permissionless: frees a dust seat. Anyone may evict a seat that is flat,
//! holds no orders and has less collateral than the market's
//! `min_seat_collateral` (`engine::collateral::evictable`); every atom of
//! its collateral goes back to its owner, so eviction costs the owner
//! nothing but the seat.
//!
//! The destination is a token account of the collateral mint owned by the
//! seat's owner — its associated token account or any other. An owner
//! whose token account was closed can still be evicted: the caller creates
//! the owner's associated token account first (anyone may, in the same
//! transaction; the ATA program's `create_idempotent`). The seat's rent
//! goes back to the owner's wallet, and the last seat of the table moves
//! into the freed index (`SeatMoved`).

use super::deposit::MoveCollateral;
use crate::engine::collateral;
use crate::error::ErrorCode;
use crate::state::*;
use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

#[derive(Accounts)]
#[instruction(owner: Pubkey)]
pub struct EvictSeat<'info> {
    /// Anyone; pays the transaction fee only.
    pub caller: Signer<'info>,
    #[account(address = EXCHANGE_ADDRESS @ ErrorCode::WrongExchange)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(
        mut,
        constraint = market.load()?.exchange == exchange.key() @ ErrorCode::WrongExchange,
    )]
    pub market: AccountLoader<'info, Market>,
    #[account(mut, address = market.load()?.vault @ ErrorCode::WrongVault)]
    pub vault: Account<'info, TokenAccount>,
    /// The seat owner's collateral token account (receives the collateral).
    #[account(
        mut,
        constraint = owner_token.mint == exchange.load()?.collateral_mint @ ErrorCode::WrongMint,
        constraint = owner_token.owner == owner
            @ anchor_lang::error::ErrorCode::ConstraintTokenOwner,
    )]
    pub owner_token: Account<'info, TokenAccount>,
    /// The seat owner's wallet: receives the seat's rent back.
    /// CHECK: only lamports are added; its key must be `owner`.
    #[account(mut, address = owner @ ErrorCode::WrongRentAccount)]
    pub owner_wallet: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
}

pub fn handler(ctx: Context<EvictSeat>, owner: Pubkey, seat: u32) -> Result<()> {
    let market_key = ctx.accounts.market.key();
    let (seat, amount) = {
        let info = ctx.accounts.market.to_account_info();
        let mut data = info.try_borrow_mut_data()?;
        let mut m = MarketMut::from_bytes(&mut data)?;
        let seat = collateral::seat_at(m.seats, seat, &owner)?;
        let amount = collateral::evict_seat(&mut m, seat)?;
        (seat, amount)
    };
    if amount > 0 {
        let a = &ctx.accounts;
        MoveCollateral::pay_out(
            &a.exchange,
            &a.vault,
            a.owner_token.to_account_info(),
            &a.token_program,
            amount,
        )?;
    }
    MoveCollateral::check_vault_of(&mut ctx.accounts.vault, &ctx.accounts.market)?;
    let (rent_refund, moved) = super::deposit::shrink_after_free(
        &ctx.accounts.market.to_account_info(),
        &ctx.accounts.owner_wallet.to_account_info(),
        seat,
    )?;
    if let Some((moved_owner, from)) = moved {
        emit!(SeatMoved {
            market: market_key,
            owner: moved_owner,
            from,
            to: seat as u32,
        });
    }
    emit!(SeatEvicted {
        market: market_key,
        owner,
        seat: seat as u32,
        caller: ctx.accounts.caller.key(),
        returned: amount,
        rent_refund,
    });
    Ok(())
}
