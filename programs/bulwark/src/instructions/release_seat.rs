use crate::engine::collateral;
use crate::state::*;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct ReleaseSeat<'info> {
    pub owner: Signer<'info>,
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
}

pub fn handler(ctx: Context<ReleaseSeat>, seat: u32) -> Result<()> {
    let owner = ctx.accounts.owner.key();
    let info = ctx.accounts.market.to_account_info();
    let mut data = info.try_borrow_mut_data()?;
    let mut m = MarketMut::from_bytes(&mut data)?;
    let seat = collateral::seat_at(m.seats, seat, &owner)?;
    collateral::release_seat(&mut m, seat)?;
    emit!(SeatReleased {
        market: ctx.accounts.market.key(),
        owner,
        seat: seat as u32,
    });
    Ok(())
}
