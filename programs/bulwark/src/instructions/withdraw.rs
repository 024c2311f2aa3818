use super::deposit::MoveCollateral;
use crate::engine::{collateral, margin};
use crate::error::ErrorCode;
use crate::state::*;
use anchor_lang::prelude::*;

pub fn handler(ctx: Context<MoveCollateral>, amount: u64, seat: u32) -> Result<()> {
    require!(amount > 0, ErrorCode::ZeroAmount);
    let owner = ctx.accounts.owner.key();
    let (seat, collateral_after) = {
        let info = ctx.accounts.market.to_account_info();
        let mut data = info.try_borrow_mut_data()?;
        let mut m = MarketMut::from_bytes(&mut data)?;
        let seat = collateral::seat_at(m.seats, seat, &owner)?;
        let price = margin::risk_price(&m.header.state);
        // With a position or orders, the margin check needs a fresh price.
        let seat_ref = &m.seats[seat];
        if seat_ref.base_lots != 0 || seat_ref.num_orders > 0 {
            let now = Clock::get()?.unix_timestamp;
            crate::engine::trade::require_fresh_index(&m.header.config, &m.header.state, now)?;
        }
        collateral::withdraw(&mut m, seat, amount, price)?;
        (seat, m.seats[seat].collateral)
    };
    let a = &ctx.accounts;
    MoveCollateral::pay_out(
        &a.exchange,
        &a.vault,
        a.owner_token.to_account_info(),
        &a.token_program,
        amount,
    )?;
    ctx.accounts.check_vault()?;
    emit!(CollateralWithdrawn {
        market: ctx.accounts.market.key(),
        owner,
        seat: seat as u32,
        amount,
        collateral: collateral_after,
    });
    Ok(())
}
