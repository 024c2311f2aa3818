use crate::engine::params::validate_market_config;
use crate::error::ErrorCode;
use crate::state::*;
use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

#[derive(AnchorSerialize, AnchorDeserialize, Clone)]
pub struct CreateMarketArgs {
    /// UTF-8, zero padded.
    pub name: [u8; 16],
    /// the most seats the table may grow to (it starts with none).
    pub max_seats: u32,
    /// orders per side.
    pub book_capacity: u32,
    pub config: MarketConfig,
}

#[derive(Accounts)]
pub struct CreateMarket<'info> {
    #[account(mut)]
    pub admin: Signer<'info>,
    #[account(
        mut,
        seeds = [EXCHANGE_SEED],
        bump = exchange.load()?.bump,
        has_one = admin @ ErrorCode::NotAdmin,
        has_one = collateral_mint @ ErrorCode::WrongMint,
    )]
    pub exchange: AccountLoader<'info, Exchange>,
    /// Created by the client (system `create_account` owned by this program,
    /// sized with `Market::account_size`) in the same transaction.
    #[account(zero)]
    pub market: AccountLoader<'info, Market>,
    #[account(
        init,
        payer = admin,
        seeds = [MARKET_VAULT_SEED, market.key().as_ref()],
        bump,
        token::mint = collateral_mint,
        token::authority = exchange,
    )]
    pub vault: Account<'info, TokenAccount>,
    /// The market's seat-rent escrow PDA, created here (one byte: its bump).
    /// CHECK: created by this instruction at the derived address.
    #[account(mut, seeds = [RENT_ESCROW_SEED, market.key().as_ref()], bump)]
    pub rent_escrow: UncheckedAccount<'info>,
    pub collateral_mint: Account<'info, Mint>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<CreateMarket>, args: CreateMarketArgs) -> Result<()> {
    let mut ex = ctx.accounts.exchange.load_mut()?;
    require!(!ex.is_paused(pause::NEW_MARKETS), ErrorCode::ExchangePaused);
    require!(
        args.max_seats >= 2
            && args.max_seats <= ex.bounds.max_seat_capacity
            && args.book_capacity >= 1
            && args.book_capacity <= ex.bounds.max_book_capacity,
        ErrorCode::CapacityOutOfBounds
    );
    validate_market_config(&args.config, &ex.bounds)?;
    crate::engine::params::require_mode_fits_table(&args.config, args.max_seats)?;
    let info = ctx.accounts.market.to_account_info();
    require!(
        info.data_len() == Market::account_size(0, args.book_capacity),
        ErrorCode::WrongMarketSize
    );

    // The seat-rent escrow (a pre-funded address is topped up, not refused).
    let bump = ctx.bumps.rent_escrow;
    let market_key = ctx.accounts.market.key();
    let seeds: &[&[&[u8]]] = &[&[RENT_ESCROW_SEED, market_key.as_ref(), &[bump]]];
    super::pda::create_pda(
        &ctx.accounts.admin.to_account_info(),
        &ctx.accounts.rent_escrow.to_account_info(),
        &ctx.accounts.system_program.to_account_info(),
        Rent::get()?.minimum_balance(1),
        1,
        &crate::ID,
        seeds,
    )?;
    ctx.accounts.rent_escrow.try_borrow_mut_data()?[0] = bump;

    let now = Clock::get()?.unix_timestamp;
    let mut m = ctx.accounts.market.load_init()?;
    m.version = MARKET_VERSION;
    m.status = MarketStatus::Active as u8;
    m.vault_bump = ctx.bumps.vault;
    m.exchange = ctx.accounts.exchange.key();
    m.vault = ctx.accounts.vault.key();
    m.name = args.name;
    m.seat_count = 0;
    m.max_seats = args.max_seats;
    m.book_capacity = args.book_capacity;
    m.market_index = ex.num_markets;
    m.config = args.config;
    m.state.last_funding_ts = now;
    m.state.mark_updated_ts = now;
    m.state.next_order_id = 1;
    ex.num_markets = ex
        .num_markets
        .checked_add(1)
        .ok_or(ErrorCode::MathOverflow)?;

    emit!(MarketCreated {
        market: ctx.accounts.market.key(),
        market_index: m.market_index,
        name: m.name,
        max_seats: m.max_seats,
        rent_lamports: info.lamports(),
        book_capacity: m.book_capacity,
    });
    Ok(())
}
