use super::place_order::TraderMarket;
use crate::engine::collateral;
use crate::engine::trade::{self, CancelWhich};
use crate::state::*;
use anchor_lang::prelude::*;

/// Cancels by exchange order id, by client order id, or all of the seat's
/// orders. Allowed in every market status, and during an ADL ranking
/// round (a cancel changes nothing the ranking reads).
pub fn handler(ctx: Context<TraderMarket>, which: CancelWhich, seat: u32) -> Result<()> {
    let owner = ctx.accounts.owner.key();
    let market_key = ctx.accounts.market.key();
    let info = ctx.accounts.market.to_account_info();
    let mut data = info.try_borrow_mut_data()?;
    let mut m = MarketMut::from_bytes_in_round(&mut data)?;
    let seat = collateral::seat_at(m.seats, seat, &owner)?;
    let count = trade::cancel(&mut m, seat, which)?;
    emit!(OrdersCancelled {
        market: market_key,
        owner,
        seat: seat as u32,
        count,
    });
    Ok(())
}
