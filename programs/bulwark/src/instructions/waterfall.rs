//! The risk waterfall's permissionless instructions. Keepers name the seat;
//! the program decides everything else.

use crate::engine::cover;
use crate::engine::liquidation;
use crate::engine::trade::Fill;
use crate::engine::{adl, collateral, insurance};
use crate::error::ErrorCode;
use crate::math::NO_SEAT;
use crate::state::*;
use anchor_lang::prelude::*;
use anchor_spl::token::{self, Token, TokenAccount, Transfer};

/// Liquidation and takeover. The keeper signs; it needs no seat to
/// liquidate: its fee share goes to its seat if it has one, else to
/// `keeper_token` if named (a collateral token account the keeper owns,
/// paid from the market vault by the exchange PDA), else it stays with the
/// insurance fund's share. A takeover needs the keeper's seat (the keeper
/// takes the position): without one it fails `SeatNotFound`.
#[event_cpi]
#[derive(Accounts)]
pub struct Liquidate<'info> {
    pub keeper: Signer<'info>,
    #[account(address = EXCHANGE_ADDRESS @ ErrorCode::WrongExchange)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(
        mut,
        constraint = market.load()?.exchange == exchange.key() @ ErrorCode::WrongExchange,
    )]
    pub market: AccountLoader<'info, Market>,
    #[account(mut, address = market.load()?.vault @ ErrorCode::WrongVault)]
    pub vault: Account<'info, TokenAccount>,
    /// The seatless keeper's collateral token account for its fee share.
    #[account(mut)]
    pub keeper_token: Option<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
}

pub fn liquidate(
    ctx: Context<Liquidate>,
    trader: Pubkey,
    seat: u32,
    keeper_seat: u32,
) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let keeper = ctx.accounts.keeper.key();
    let market_key = ctx.accounts.market.key();
    if let Some(t) = &ctx.accounts.keeper_token {
        require!(
            t.mint == ctx.accounts.exchange.load()?.collateral_mint && t.owner == keeper,
            ErrorCode::WrongKeeperAccount
        );
    }
    let (out, mark, payee, lots_left) = {
        let info = ctx.accounts.market.to_account_info();
        let mut data = info.try_borrow_mut_data()?;
        let mut m = MarketMut::from_bytes(&mut data)?;
        // A wallet cannot liquidate itself, whichever seat it names for
        // the fee (or none): it would keep the keeper's share of its own
        // penalty.
        require!(trader != keeper, ErrorCode::SelfLiquidation);
        let target = collateral::seat_at(m.seats, seat, &trader)?;
        // The keeper's fee goes to its seat (`keeper_seat`, checked), else
        // to its token account, else to the insurance fund.
        let payee = if keeper_seat != NO_SEAT {
            liquidation::KeeperPayee::Seat(collateral::seat_at(m.seats, keeper_seat, &keeper)?)
        } else if ctx.accounts.keeper_token.is_some() {
            liquidation::KeeperPayee::Account
        } else {
            liquidation::KeeperPayee::Insurance
        };
        let mut fills: u32 = 0;
        let out =
            liquidation::liquidate_for(&mut m, target, payee, now, &mut |_: &Fill| fills += 1)?;
        let lots_left = m.seats[target].base_lots.unsigned_abs();
        (out, m.header.state.mark_price, payee, lots_left)
    };
    if !matches!(payee, liquidation::KeeperPayee::Seat(_)) {
        let to = match (payee, &ctx.accounts.keeper_token) {
            (liquidation::KeeperPayee::Account, Some(t)) => {
                if out.keeper_fee > 0 {
                    crate::instructions::deposit::MoveCollateral::pay_out(
                        &ctx.accounts.exchange,
                        &ctx.accounts.vault,
                        t.to_account_info(),
                        &ctx.accounts.token_program,
                        out.keeper_fee,
                    )?;
                }
                t.key()
            }
            _ => Pubkey::default(),
        };
        crate::instructions::deposit::MoveCollateral::check_vault_of(
            &mut ctx.accounts.vault,
            &ctx.accounts.market,
        )?;
        emit_cpi!(KeeperFeePaid {
            market: market_key,
            keeper,
            to,
            amount: out.keeper_fee,
        });
    }
    if out.walk_bounded {
        emit_cpi!(LiquidationWalkBounded {
            market: market_key,
            trader,
            makers: out.makers_walked,
            lots_left,
        });
    }
    emit_cpi!(LiquidationEvent {
        market: market_key,
        trader,
        keeper,
        cancelled_orders: out.cancelled_orders,
        restored_by_cancel: out.restored_by_cancel,
        target_lots: out.target_lots,
        closed_lots: out.closed_lots,
        partial: out.partial,
        bankruptcy_price: out.bankruptcy_price,
        mark_price: mark,
        fee: out.fee,
        keeper_fee: out.keeper_fee,
        insurance_fee: out.insurance_fee,
        bankrupt_after: out.bankrupt,
    });
    Ok(())
}

pub fn takeover(
    ctx: Context<Liquidate>,
    trader: Pubkey,
    seat: u32,
    keeper_seat: u32,
) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let keeper = ctx.accounts.keeper.key();
    let market_key = ctx.accounts.market.key();
    let (out, price, mark) = {
        let info = ctx.accounts.market.to_account_info();
        let mut data = info.try_borrow_mut_data()?;
        let mut m = MarketMut::from_bytes(&mut data)?;
        require!(trader != keeper, ErrorCode::SelfLiquidation);
        let target = collateral::seat_at(m.seats, seat, &trader)?;
        let k = collateral::seat_at(m.seats, keeper_seat, &keeper)?;
        let (out, price) = liquidation::takeover(&mut m, target, k, now)?;
        (out, price, m.header.state.mark_price)
    };
    emit_cpi!(TakeoverEvent {
        market: market_key,
        trader,
        keeper,
        lots: out.closed_lots,
        price,
        mark_price: mark,
        bankruptcy_price: out.bankruptcy_price,
        fee: out.fee,
        keeper_fee: out.keeper_fee,
    });
    Ok(())
}

/// Insurance cover of a bankrupt seat: anyone may call.
#[event_cpi]
#[derive(Accounts)]
pub struct CoverBankruptcy<'info> {
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
    pub token_program: Program<'info, Token>,
}

pub fn cover_bankruptcy(ctx: Context<CoverBankruptcy>, trader: Pubkey, seat: u32) -> Result<()> {
    let clock = Clock::get()?;
    let market_key = ctx.accounts.market.key();
    let available = ctx.accounts.insurance.load()?.balance;
    let out = {
        let info = ctx.accounts.market.to_account_info();
        let mut data = info.try_borrow_mut_data()?;
        let mut m = MarketMut::from_bytes(&mut data)?;
        let target = collateral::seat_at(m.seats, seat, &trader)?;
        cover::cover(&mut m, target, available, clock.unix_timestamp, &mut |_| {})?
    };
    if out.closed_lots > 0 {
        emit_cpi!(CoverClose {
            market: market_key,
            trader,
            closed_lots: out.closed_lots,
            limit: out.limit,
            fills: out.fills,
            flat_after: out.flat_after,
        });
    }
    let amount = out.amount;
    if amount == 0 {
        // The close's fills paid for themselves: nothing leaves the fund.
        return Ok(());
    }
    pay_from_fund(&ctx, amount, trader)
}

/// Moves `amount` from the insurance vault to the market vault (PDA-signed)
/// for a position closed in this step, with its ledger entry and events.
pub(super) fn pay_from_fund(
    ctx: &Context<CoverBankruptcy>,
    amount: u64,
    trader: Pubkey,
) -> Result<()> {
    let clock = Clock::get()?;
    let market_key = ctx.accounts.market.key();
    let bump = ctx.accounts.insurance.load()?.bump;
    let seeds: &[&[&[u8]]] = &[&[INSURANCE_SEED, &[bump]]];
    token::transfer(
        CpiContext::new_with_signer(
            ctx.accounts.token_program.key(),
            Transfer {
                from: ctx.accounts.insurance_vault.to_account_info(),
                to: ctx.accounts.vault.to_account_info(),
                authority: ctx.accounts.insurance.to_account_info(),
            },
            seeds,
        ),
        amount,
    )?;
    let entry = {
        let mut fund = ctx.accounts.insurance.load_mut()?;
        insurance::record_outflow(
            &mut fund,
            outflow::BANKRUPTCY_COVER,
            amount,
            market_key,
            trader,
            clock.slot,
            clock.unix_timestamp,
        )?
    };
    ctx.accounts.ledger.load_mut()?.push(&entry);
    emit_cpi!(entry);
    emit_cpi!(BankruptcyCovered {
        market: market_key,
        trader,
        amount,
        fund_balance_after: entry.balance_after,
        ledger_seq: entry.seq,
    });
    Ok(())
}

/// ADL / socialized loss: anyone may call; the program ranks. It takes the
/// accounts of `cover_bankruptcy`: the fund pays first for the lots closed.
pub fn auto_deleverage(ctx: Context<CoverBankruptcy>, trader: Pubkey, seat: u32) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let fund_balance = ctx.accounts.insurance.load()?.balance;
    let info = ctx.accounts.market.to_account_info();
    let mut fills: Vec<(Pubkey, adl::AdlFill)> = Vec::new();
    let (out, side, total_unpaid) = {
        let mut data = info.try_borrow_mut_data()?;
        let mut m = MarketMut::from_bytes(&mut data)?;
        let target = collateral::seat_at(m.seats, seat, &trader)?;
        // The side that pays: the opposite of the bankrupt position.
        let side = if m.seats[target].base_lots > 0 {
            1usize
        } else {
            0
        };
        let mut raw: Vec<adl::AdlFill> = Vec::new();
        let out = adl::auto_deleverage(&mut m, target, fund_balance, now, &mut |f| raw.push(*f))?;
        for f in raw {
            fills.push((m.seats[f.seat as usize].owner, f));
        }
        (out, side, m.header.waterfall.total_unpaid_deficit)
    };
    emit_adl(&ctx, trader, &out, side, &fills, total_unpaid)
}

/// The events of an ADL close (one per counterparty, then the close, the
/// socialized haircut and the unpaid deficit), and the fund's payment.
pub(super) fn emit_adl(
    ctx: &Context<CoverBankruptcy>,
    trader: Pubkey,
    out: &adl::AdlOutcome,
    side: usize,
    fills: &[(Pubkey, adl::AdlFill)],
    total_unpaid: u64,
) -> Result<()> {
    let market_key = ctx.accounts.market.key();
    for (owner, f) in fills {
        emit_cpi!(AdlFillEvent {
            market: market_key,
            bankrupt_trader: trader,
            counterparty: *owner,
            seat: f.seat,
            lots: f.lots,
            price: out.price,
            deficit_share: f.deficit_share,
            upnl: f.rank.upnl,
            entry_cost: f.rank.entry_cost,
            notional: f.rank.notional,
            equity: f.rank.equity,
            score: f.rank.score.to_le_bytes(),
        });
    }
    emit_cpi!(AdlEvent {
        market: market_key,
        bankrupt_trader: trader,
        lots: out.lots,
        price: out.price,
        deficit: out.deficit,
        counterparties: out.counterparties,
        socialized: out.socialized,
    });
    if out.socialized {
        emit_cpi!(SocializedLossV2 {
            market: market_key,
            bankrupt_trader: trader,
            side: side as u8,
            deficit: out.deficit,
            charged: out.charged,
            profit_pool: out.profit_pool,
            seats_charged: out.seats_charged,
        });
    }
    if out.unpaid > 0 {
        emit_cpi!(DeficitUnpaid {
            market: market_key,
            trader,
            unpaid: out.unpaid,
            total_unpaid,
        });
    }
    if out.fund_paid > 0 {
        pay_from_fund(ctx, out.fund_paid, trader)?;
    }
    Ok(())
}
