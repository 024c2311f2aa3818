use crate::engine::collateral;
use crate::error::ErrorCode;
use crate::state::*;
use anchor_lang::prelude::*;
use anchor_spl::token::{self, Token, TokenAccount, Transfer};

/// Accounts shared by deposit and withdraw.
#[derive(Accounts)]
pub struct MoveCollateral<'info> {
    pub owner: Signer<'info>,
    #[account(seeds = [EXCHANGE_SEED], bump = exchange.load()?.bump)]
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
    pub token_program: Program<'info, Token>,
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
    emit!(CollateralDeposited {
        market: ctx.accounts.market.key(),
        owner,
        seat: seat as u32,
        amount,
        collateral: collateral_after,
    });
    Ok(())
}
