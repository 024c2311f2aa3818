use crate::engine::{collateral, seat_table};
use crate::error::ErrorCode;
use crate::state::*;
use anchor_lang::prelude::*;
use anchor_spl::token::{self, Token, TokenAccount, Transfer};

/// Accounts shared by deposit and withdraw.
#[derive(Accounts)]
pub struct MoveCollateral<'info> {
    /// Pays the rent of a seat its deposit adds to the table.
    #[account(mut)]
    pub owner: Signer<'info>,
    #[account(address = EXCHANGE_ADDRESS @ ErrorCode::WrongExchange)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(
        mut,
        constraint = market.load()?.exchange == exchange.key() @ ErrorCode::WrongExchange,
    )]
    pub market: AccountLoader<'info, Market>,
    #[account(mut, address = market.load()?.vault @ ErrorCode::WrongVault)]
    pub vault: Account<'info, TokenAccount>,
    /// The trader's token account (source of a deposit, destination of a withdrawal).
    #[account(
        mut,
        constraint = owner_token.mint == exchange.load()?.collateral_mint @ ErrorCode::WrongMint,
        // Vaults owned by the exchange are never a trader's account (Anchor
        // itself rejects owner_token == vault as a duplicate mutable account).
        constraint = owner_token.owner != exchange.key() @ ErrorCode::WrongVault,
    )]
    pub owner_token: Account<'info, TokenAccount>,
    /// The market's seat-rent escrow (`["rent_escrow", market]`): a claim
    /// of a new seat pays its rent through it.
    /// CHECK: checked (owner, PDA of this market) when a claim uses it.
    #[account(mut)]
    pub rent_escrow: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

impl MoveCollateral<'_> {
    /// On-chain solvency check after every collateral movement: the vault
    /// holds at least Σ collateral + unswept fees. (Tokens sent to the vault
    /// directly make it hold more, never less.)
    pub fn check_vault(&mut self) -> Result<()> {
        Self::check_vault_of(&mut self.vault, &self.market)
    }

    /// Pays `amount` out of a market `vault` to `to`, signed by the
    /// exchange PDA (the vault's authority): withdrawals, evictions and
    /// keeper fees paid to a token account.
    pub fn pay_out<'info>(
        exchange: &AccountLoader<'info, Exchange>,
        vault: &Account<'info, TokenAccount>,
        to: AccountInfo<'info>,
        token_program: &Program<'info, Token>,
        amount: u64,
    ) -> Result<()> {
        let bump = exchange.load()?.bump;
        let seeds: &[&[&[u8]]] = &[&[EXCHANGE_SEED, &[bump]]];
        token::transfer(
            CpiContext::new_with_signer(
                token_program.key(),
                Transfer {
                    from: vault.to_account_info(),
                    to,
                    authority: exchange.to_account_info(),
                },
                seeds,
            ),
            amount,
        )
    }

    /// The same check for any instruction that moves collateral out of
    /// `vault` (evictions, keeper fees paid to a token account).
    pub fn check_vault_of(
        vault: &mut Account<'_, TokenAccount>,
        market: &AccountLoader<'_, Market>,
    ) -> Result<()> {
        vault.reload()?;
        let info = market.to_account_info();
        let data = info.try_borrow_data()?;
        let m = MarketRef::from_bytes(&data)?;
        require!(
            vault.amount as i128 >= collateral::required_vault_balance(&m)?,
            ErrorCode::InsufficientVaultBalance
        );
        Ok(())
    }
}

pub fn handler(ctx: Context<MoveCollateral>, amount: u64, seat: u32) -> Result<()> {
    require!(amount > 0, ErrorCode::ZeroAmount);
    require!(
        !ctx.accounts.exchange.load()?.is_paused(pause::DEPOSITS),
        ErrorCode::ExchangePaused
    );
    let owner = ctx.accounts.owner.key();
    let rent_paid = grow_if_claimed_at_end(&ctx, seat)?;
    let (seat, collateral_after) = {
        let info = ctx.accounts.market.to_account_info();
        let mut data = info.try_borrow_mut_data()?;
        let mut m = MarketMut::from_bytes(&mut data)?;
        let (seat, _) = collateral::claim_seat_at(&mut m, seat, &owner, amount)?;
        collateral::deposit(&mut m, seat, amount)?;
        (seat, m.seats[seat].collateral)
    };
    token::transfer(
        CpiContext::new(
            ctx.accounts.token_program.key(),
            Transfer {
                from: ctx.accounts.owner_token.to_account_info(),
                to: ctx.accounts.vault.to_account_info(),
                authority: ctx.accounts.owner.to_account_info(),
            },
        ),
        amount,
    )?;
    ctx.accounts.check_vault()?;
    if let Some((rent_paid, seat_count)) = rent_paid {
        emit!(SeatTableGrew {
            market: ctx.accounts.market.key(),
            owner,
            seat: seat as u32,
            rent_paid,
            seat_count,
        });
    }
    emit!(CollateralDeposited {
        market: ctx.accounts.market.key(),
        owner,
        seat: seat as u32,
        amount,
        collateral: collateral_after,
    });
    Ok(())
}

/// A deposit naming index `seat_count` claims a new seat at the end of the
/// table: the account grows by one seat, whose rent the owner pays
/// (returned when the seat is released or evicted). Returns (lamports
/// paid, seat count after) when it grew.
fn grow_if_claimed_at_end(ctx: &Context<MoveCollateral>, seat: u32) -> Result<Option<(u64, u32)>> {
    let info = ctx.accounts.market.to_account_info();
    let new_len = {
        let data = info.try_borrow_data()?;
        let m = MarketRef::from_bytes(&data)?;
        m.header.require_not_frozen()?;
        if !seat_table::claim_grows(m.header, seat)? {
            return Ok(None);
        }
        require!(
            data.len() == m.header.current_size(),
            ErrorCode::WrongMarketSize
        );
        seat_table::grown_len(m.header)
    };
    info.resize(new_len)?;
    let due = seat_table::rent_due(&Rent::get()?, new_len, info.lamports());
    if due > 0 {
        // Through the market's escrow: a CPI is charged per byte of every
        // account it passes, and the market may be megabytes (0.5 CU per
        // seat of the table); the escrow is one byte, and the program moves
        // the lamports from it to the market directly.
        let escrow = ctx.accounts.rent_escrow.to_account_info();
        check_rent_escrow(&escrow, &ctx.accounts.market.key())?;
        anchor_lang::system_program::transfer(
            CpiContext::new(
                ctx.accounts.system_program.key(),
                anchor_lang::system_program::Transfer {
                    from: ctx.accounts.owner.to_account_info(),
                    to: escrow.clone(),
                },
            ),
            due,
        )?;
        escrow.sub_lamports(due)?;
        info.add_lamports(due)?;
    }
    let mut data = info.try_borrow_mut_data()?;
    let index = seat_table::push_seat_slot(&mut data)?;
    Ok(Some((due, index + 1)))
}

/// `escrow` must be `market`'s seat-rent escrow: owned by this program,
/// one byte (its bump), at the PDA `["rent_escrow", market]` for that bump.
fn check_rent_escrow(escrow: &AccountInfo, market: &Pubkey) -> Result<()> {
    let bump = {
        let data = escrow.try_borrow_data()?;
        require!(
            escrow.owner == &crate::ID && data.len() == 1,
            ErrorCode::WrongRentAccount
        );
        data[0]
    };
    let pda =
        Pubkey::create_program_address(&[RENT_ESCROW_SEED, market.as_ref(), &[bump]], &crate::ID)
            .map_err(|_| error!(ErrorCode::WrongRentAccount))?;
    require_keys_eq!(pda, escrow.key(), ErrorCode::WrongRentAccount);
    Ok(())
}

/// Swap-removes the freed seat `seat` from the table (`seat_table`),
/// shrinks the account by one seat and refunds its rent to `payee` (the
/// seat's owner). Returns (lamports refunded, the index the moved seat
/// came from, if one moved).
pub fn shrink_after_free<'info>(
    market: &AccountInfo<'info>,
    payee: &AccountInfo<'info>,
    seat: usize,
) -> Result<(u64, Option<(Pubkey, u32)>)> {
    let (new_len, moved) = {
        let mut data = market.try_borrow_mut_data()?;
        let mut m = MarketMut::from_bytes(&mut data)?;
        let from = seat_table::remove_seat(&mut m, seat)?;
        let moved = from.map(|f| (m.seats[seat].owner, f));
        (m.header.current_size(), moved)
    };
    market.resize(new_len)?;
    let refund = seat_table::rent_refund(&Rent::get()?, new_len, market.lamports());
    if refund > 0 {
        market.sub_lamports(refund)?;
        payee.add_lamports(refund)?;
    }
    Ok((refund, moved))
}
