//! Permissionless: apply funding once per interval.

use super::refresh_prices::RefreshPrices;
use crate::engine::mark;
use crate::state::*;
use anchor_lang::prelude::*;

pub fn handler(ctx: Context<RefreshPrices>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let mut m = ctx.accounts.market.load_mut()?;
    m.require_not_frozen()?;
    let cfg = m.config;
    let rate = mark::update_funding(&cfg, &mut m.state, now)?;
    emit!(FundingUpdated {
        market: ctx.accounts.market.key(),
        rate_ppm: rate,
        cum_funding_per_lot: m.state.cum_funding_per_lot.get().to_le_bytes(),
        mark_price: m.state.mark_price,
        index_price: m.state.index_price,
    });
    Ok(())
}
