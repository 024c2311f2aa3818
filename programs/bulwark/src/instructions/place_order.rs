use crate::engine::collateral;
use crate::engine::trade::{self, Fill, OrderParams};
use crate::error::ErrorCode;
use crate::math::PPM;
use crate::state::*;
use anchor_lang::prelude::*;

/// Accounts for the trader's own order instructions.
#[derive(Accounts)]
pub struct TraderMarket<'info> {
    pub owner: Signer<'info>,
    #[account(address = EXCHANGE_ADDRESS @ ErrorCode::WrongExchange)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(
        mut,
        constraint = market.load()?.exchange == exchange.key() @ ErrorCode::WrongExchange,
    )]
    pub market: AccountLoader<'info, Market>,
}

pub fn handler(ctx: Context<TraderMarket>, params: OrderParams, seat: u32) -> Result<()> {
    let trading_paused = ctx.accounts.exchange.load()?.is_paused(pause::TRADING);
    let now = Clock::get()?.unix_timestamp;
    let owner = ctx.accounts.owner.key();
    let market_key = ctx.accounts.market.key();
    let info = ctx.accounts.market.to_account_info();
    let mut data = info.try_borrow_mut_data()?;
    let mut m = MarketMut::from_bytes(&mut data)?;
    let seat = collateral::seat_at(m.seats, seat, &owner)?;
    // With trading paused exchange-wide, an order may still reduce (the
    // waterfall keeps running, so a trader keeps its way out).
    let mut params = params;
    if trading_paused {
        require!(
            params.lots <= trade::reducible(&m.seats[seat], params.side),
            ErrorCode::ExchangePaused
        );
        params.reduce_only = true;
    }
    let mut emit_fill = |f: &Fill| {
        emit!(OrderFilled {
            market: market_key,
            maker_seat: f.maker_seat,
            taker_seat: f.taker_seat,
            maker_order_id: f.maker_order_id,
            price: f.price,
            lots: f.lots,
            taker_is_buy: f.taker_is_buy,
            taker_fee: f.taker_fee,
            maker_fee: f.maker_fee,
            taker_realized_pnl: f.taker_realized,
            maker_realized_pnl: f.maker_realized,
        });
    };
    // Coverage-driven tightening raises the initial margin of position-
    // increasing orders (level 2, reduce-only, is enforced by the engine).
    let multiplier = if m.header.waterfall.tightening_level >= 1 {
        (m.header.waterfall.tightened_im_multiplier_ppm as u64).max(PPM)
    } else {
        PPM
    };
    let out = trade::place_order(&mut m, seat, &params, now, multiplier, &mut emit_fill)?;
    emit!(OrderPlaced {
        market: market_key,
        owner,
        seat: seat as u32,
        order_id: out.order_id,
        client_order_id: params.client_order_id,
        filled_lots: out.filled_lots,
        rested_lots: out.rested_lots,
    });
    if let Some(e) = out.evicted {
        let lpu = m.header.config.base_lots_per_unit;
        emit!(OrderEvicted {
            market: market_key,
            owner: m.seats[e.seat as usize].owner,
            seat: e.seat,
            order_id: e.order_id,
            price: e.price,
            lots: e.lots,
            side: params.side as u8,
            released_quote: crate::engine::book::reserved_quote(e.price, e.lots, lpu)?,
        });
    }
    Ok(())
}
