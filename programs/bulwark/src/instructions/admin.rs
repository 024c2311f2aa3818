//! Operator instructions that change no funds: market status and the
//! exchange's pause flags. (Withdrawals can never be paused.)

use crate::error::ErrorCode;
use crate::state::*;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct AdminMarket<'info> {
    pub admin: Signer<'info>,
    #[account(address = EXCHANGE_ADDRESS @ ErrorCode::WrongExchange, has_one = admin @ ErrorCode::NotAdmin)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(
        mut,
        constraint = market.load()?.exchange == exchange.key() @ ErrorCode::WrongExchange,
    )]
    pub market: AccountLoader<'info, Market>,
}

pub fn set_market_status(ctx: Context<AdminMarket>, status: u8) -> Result<()> {
    let new = MarketStatus::try_from(status)?;
    let mut m = ctx.accounts.market.load_mut()?;
    m.require_not_frozen()?;
    let old = m.status;
    m.status = new as u8;
    emit!(MarketStatusChanged {
        market: ctx.accounts.market.key(),
        old_status: old,
        new_status: status,
    });
    Ok(())
}

#[derive(Accounts)]
pub struct AdminExchange<'info> {
    pub admin: Signer<'info>,
    #[account(mut, address = EXCHANGE_ADDRESS @ ErrorCode::WrongExchange, has_one = admin @ ErrorCode::NotAdmin)]
    pub exchange: AccountLoader<'info, Exchange>,
}

pub fn set_exchange_pause(ctx: Context<AdminExchange>, flags: u8) -> Result<()> {
    require!(flags & !pause::ALL == 0, ErrorCode::InvalidPauseFlags);
    let mut ex = ctx.accounts.exchange.load_mut()?;
    let old = ex.pause_flags;
    ex.pause_flags = flags;
    emit!(ExchangePauseChanged {
        old_flags: old,
        new_flags: flags
    });
    Ok(())
}
