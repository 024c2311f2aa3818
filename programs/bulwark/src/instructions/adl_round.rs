//! The ADL ranking round's instructions (`engine::adl_round`): anyone may
//! send each of them. Keepers choose only when; the program ranks every
//! seat and picks the seats closed.

use super::waterfall::{emit_adl, CoverBankruptcy};
use crate::engine::{adl, adl_round, collateral};
use crate::error::ErrorCode;
use crate::state::*;
use anchor_lang::prelude::*;

/// `adl_scan` and `adl_abort`: the market only.
#[event_cpi]
#[derive(Accounts)]
pub struct AdlRoundStep<'info> {
    /// Anyone; pays the transaction fee only.
    pub caller: Signer<'info>,
    #[account(address = EXCHANGE_ADDRESS @ ErrorCode::WrongExchange)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(
        mut,
        constraint = market.load()?.exchange == exchange.key() @ ErrorCode::WrongExchange,
    )]
    pub market: AccountLoader<'info, Market>,
}

/// `adl_begin`: the market, and the fund whose balance decides that ADL
/// is due.
#[event_cpi]
#[derive(Accounts)]
pub struct AdlRoundBegin<'info> {
    pub caller: Signer<'info>,
    #[account(address = EXCHANGE_ADDRESS @ ErrorCode::WrongExchange)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(
        mut,
        constraint = market.load()?.exchange == exchange.key() @ ErrorCode::WrongExchange,
    )]
    pub market: AccountLoader<'info, Market>,
    #[account(address = INSURANCE_ADDRESS @ ErrorCode::WrongInsuranceAccount)]
    pub insurance: AccountLoader<'info, InsuranceFund>,
}

pub fn begin(ctx: Context<AdlRoundBegin>, trader: Pubkey, seat: u32) -> Result<()> {
    let clock = Clock::get()?;
    let available = ctx.accounts.insurance.load()?.balance;
    let r = {
        let info = ctx.accounts.market.to_account_info();
        let mut data = info.try_borrow_mut_data()?;
        let mut m = MarketMut::from_bytes(&mut data)?;
        let target = collateral::seat_at(m.seats, seat, &trader)?;
        adl_round::begin(&mut m, target, available, clock.unix_timestamp, clock.slot)?
    };
    emit_cpi!(AdlRoundBegun {
        market: ctx.accounts.market.key(),
        trader,
        seat,
        side: r.target_side,
        mark: r.mark,
        seat_count: r.seat_count,
        slot: r.started_slot,
        round: r.rounds,
    });
    Ok(())
}

pub fn scan(ctx: Context<AdlRoundStep>, max_seats: u32) -> Result<()> {
    let (range, r) = {
        let info = ctx.accounts.market.to_account_info();
        let mut data = info.try_borrow_mut_data()?;
        let mut m = MarketMut::from_bytes_in_round(&mut data)?;
        let range = adl_round::scan(&mut m, max_seats)?;
        (range, m.header.adl_round)
    };
    emit_cpi!(AdlRoundScanned {
        market: ctx.accounts.market.key(),
        round: r.rounds,
        from: range.start as u32,
        to: range.end as u32,
        kept: r.top_len,
        first_bankrupt: r.first_bankrupt,
    });
    Ok(())
}

/// Takes the accounts of `auto_deleverage`: the fund pays first.
pub fn execute(ctx: Context<CoverBankruptcy>) -> Result<()> {
    let clock = Clock::get()?;
    let (now, slot) = (clock.unix_timestamp, clock.slot);
    let market_key = ctx.accounts.market.key();
    let fund_balance = ctx.accounts.insurance.load()?.balance;
    let info = ctx.accounts.market.to_account_info();
    let mut fills: Vec<(Pubkey, adl::AdlFill)> = Vec::new();
    let (end, trader, round, side, total_unpaid) = {
        let mut data = info.try_borrow_mut_data()?;
        let mut m = MarketMut::from_bytes_in_round(&mut data)?;
        let round = m.header.adl_round.rounds;
        // The side that pays: the opposite of the bankrupt position.
        let side = 1 - m.header.adl_round.target_side as usize;
        let mut raw: Vec<adl::AdlFill> = Vec::new();
        let end = adl_round::execute(&mut m, fund_balance, now, slot, &mut |f| raw.push(*f))?;
        for f in raw {
            fills.push((m.seats[f.seat as usize].owner, f));
        }
        let trader = m.seats[end.target].owner;
        (
            end,
            trader,
            round,
            side,
            m.header.waterfall.total_unpaid_deficit,
        )
    };
    emit_cpi!(AdlRoundEnded {
        market: market_key,
        round,
        seat: end.target as u32,
        trader,
        switched: end.switched,
        closed: end.outcome.is_some(),
        aborted: false,
        not_due_code: end
            .not_due
            .map_or(0, |e| e as u32 + anchor_lang::error::ERROR_CODE_OFFSET),
    });
    match end.outcome {
        Some(out) => emit_adl(&ctx, trader, &out, side, &fills, total_unpaid),
        None => Ok(()),
    }
}

pub fn abort(ctx: Context<AdlRoundStep>) -> Result<()> {
    let slot = Clock::get()?.slot;
    let r = {
        let info = ctx.accounts.market.to_account_info();
        let mut data = info.try_borrow_mut_data()?;
        let mut m = MarketMut::from_bytes_in_round(&mut data)?;
        let r = m.header.adl_round;
        adl_round::abort(&mut m, slot)?;
        r
    };
    emit_cpi!(AdlRoundEnded {
        market: ctx.accounts.market.key(),
        round: r.rounds,
        seat: r.target,
        trader: r.target_owner,
        switched: false,
        closed: false,
        aborted: true,
        not_due_code: 0,
    });
    Ok(())
}
