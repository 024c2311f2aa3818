use crate::engine::collateral;
use crate::state::*;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct ReleaseSeat<'info> {
    /// Receives the seat's rent back.
    #[account(mut)]
    pub owner: Signer<'info>,
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
}

pub fn handler(ctx: Context<ReleaseSeat>, seat: u32) -> Result<()> {
    let owner = ctx.accounts.owner.key();
    let market = ctx.accounts.market.key();
    let info = ctx.accounts.market.to_account_info();
    let seat = {
        let mut data = info.try_borrow_mut_data()?;
        let mut m = MarketMut::from_bytes(&mut data)?;
        let seat = collateral::seat_at(m.seats, seat, &owner)?;
        collateral::release_seat(&mut m, seat)?;
        seat
    };
    let (rent_refund, moved) =
        super::deposit::shrink_after_free(&info, &ctx.accounts.owner.to_account_info(), seat)?;
    if let Some((moved_owner, from)) = moved {
        emit!(SeatMoved {
            market,
            owner: moved_owner,
            from,
            to: seat as u32,
        });
    }
    emit!(SeatReleased {
        market,
        owner,
        seat: seat as u32,
        rent_refund,
    });
    Ok(())
}
