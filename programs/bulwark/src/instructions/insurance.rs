//! The insurance fund: its ledger ring buffer, staking (the only way in for
//! capital, and with bankruptcy cover the only way out of the vault),
//! reconciliation, and coverage-driven tightening.

use crate::engine::{insurance, staking};
use crate::error::ErrorCode;
use crate::math::SafeMath;
use crate::state::*;
use anchor_lang::prelude::*;
use anchor_lang::Discriminator;
use anchor_spl::token::{self, Token, TokenAccount, Transfer};

/// Bytes an account may grow by in one instruction.
const MAX_GROWTH: usize = 10_240;

#[derive(Accounts)]
pub struct InitInsuranceLedger<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    #[account(address = INSURANCE_ADDRESS @ ErrorCode::WrongInsuranceAccount)]
    pub insurance: AccountLoader<'info, InsuranceFund>,
    /// CHECK: the ledger PDA, created here at 10 KiB and grown by
    /// `grow_insurance_ledger` to its full size.
    #[account(mut, seeds = [INSURANCE_LEDGER_SEED], bump)]
    pub ledger: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

/// Anyone may create the ledger PDA (paying the full rent up front, less
/// whatever lamports the address already holds: anyone can send lamports
/// to it first, which must not block its creation).
pub fn init_insurance_ledger(ctx: Context<InitInsuranceLedger>) -> Result<()> {
    let rent = Rent::get()?.minimum_balance(InsuranceLedger::SPACE);
    let bump = ctx.bumps.ledger;
    let seeds: &[&[&[u8]]] = &[&[INSURANCE_LEDGER_SEED, &[bump]]];
    super::pda::create_pda(
        &ctx.accounts.payer.to_account_info(),
        &ctx.accounts.ledger.to_account_info(),
        &ctx.accounts.system_program.to_account_info(),
        rent,
        MAX_GROWTH.min(InsuranceLedger::SPACE),
        &crate::ID,
        seeds,
    )
}

#[derive(Accounts)]
pub struct GrowInsuranceLedger<'info> {
    #[account(address = INSURANCE_ADDRESS @ ErrorCode::WrongInsuranceAccount)]
    pub insurance: AccountLoader<'info, InsuranceFund>,
    /// CHECK: the ledger PDA, owned by this program.
    #[account(mut, seeds = [INSURANCE_LEDGER_SEED], bump, owner = crate::ID)]
    pub ledger: UncheckedAccount<'info>,
}

/// Anyone: grows the ledger by 10 KiB; at full size it is initialized.
pub fn grow_insurance_ledger(ctx: Context<GrowInsuranceLedger>) -> Result<()> {
    let info = ctx.accounts.ledger.to_account_info();
    let len = info.data_len();
    require!(len < InsuranceLedger::SPACE, ErrorCode::LedgerFull);
    let new_len = (len + MAX_GROWTH).min(InsuranceLedger::SPACE);
    info.resize(new_len)?;
    if new_len == InsuranceLedger::SPACE {
        let mut data = info.try_borrow_mut_data()?;
        data[..8].copy_from_slice(InsuranceLedger::DISCRIMINATOR);
        let l: &mut InsuranceLedger =
            bytemuck::from_bytes_mut(&mut data[8..InsuranceLedger::SPACE]);
        l.fund = ctx.accounts.insurance.key();
        l.bump = ctx.bumps.ledger;
        l.count = ctx.accounts.insurance.load()?.ledger_seq;
    }
    Ok(())
}

/// Accounts shared by stake, unstake and withdraw.
#[event_cpi]
#[derive(Accounts)]
pub struct StakeAccounts<'info> {
    #[account(mut)]
    pub staker: Signer<'info>,
    /// CHECK: whose stake this is: the staker itself, or the exchange PDA for
    /// the protocol's own capital (then the staker must be the admin).
    pub stake_owner: UncheckedAccount<'info>,
    #[account(address = EXCHANGE_ADDRESS @ ErrorCode::WrongExchange)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, address = INSURANCE_ADDRESS @ ErrorCode::WrongInsuranceAccount)]
    pub insurance: AccountLoader<'info, InsuranceFund>,
    #[account(mut, address = insurance.load()?.vault @ ErrorCode::WrongVault)]
    pub insurance_vault: Account<'info, TokenAccount>,
    #[account(mut, address = INSURANCE_LEDGER_ADDRESS @ ErrorCode::WrongInsuranceAccount)]
    pub ledger: AccountLoader<'info, InsuranceLedger>,
    #[account(
        init_if_needed,
        payer = staker,
        space = InsuranceStake::SPACE,
        seeds = [STAKE_SEED, stake_owner.key().as_ref()],
        bump,
    )]
    pub stake: AccountLoader<'info, InsuranceStake>,
    /// The staker's token account (source of a stake, destination of a withdrawal).
    #[account(
        mut,
        constraint = staker_token.mint == exchange.load()?.collateral_mint @ ErrorCode::WrongMint,
    )]
    pub staker_token: Account<'info, TokenAccount>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

impl StakeAccounts<'_> {
    /// Checks who may act for the stake and initializes a new stake record.
    fn authorize(&self, bump: u8) -> Result<()> {
        let owner = self.stake_owner.key();
        if owner == self.exchange.key() {
            require_keys_eq!(
                self.staker.key(),
                self.exchange.load()?.admin,
                ErrorCode::NotAdmin
            );
        } else {
            require_keys_eq!(owner, self.staker.key(), ErrorCode::NotStakeOwner);
        }
        let share_epoch = self.insurance.load()?.share_epoch;
        let mut st = self.stake_mut()?;
        if st.owner == Pubkey::default() {
            st.version = 1;
            st.bump = bump;
            st.owner = owner;
            // A new record starts in the fund's current epoch.
            st.epoch = share_epoch;
        }
        Ok(())
    }

    /// The stake record; a record created by this very instruction has no
    /// discriminator until Anchor writes it on exit, so it loads as new.
    fn stake_mut(&self) -> Result<core::cell::RefMut<'_, InsuranceStake>> {
        let is_new = {
            let info = self.stake.to_account_info();
            let data = info.try_borrow_data()?;
            data[..8].iter().all(|b| *b == 0)
        };
        if is_new {
            self.stake.load_init()
        } else {
            self.stake.load_mut()
        }
    }

    fn record(&self, entry: InsuranceLedgerEntry) -> Result<()> {
        self.ledger.load_mut()?.push(&entry);
        Ok(())
    }
}

/// Buys shares for `amount` quote atoms; fails with `SharesBelowMinimum`
/// when they are fewer than `min_shares` (slippage guard). A stake into a
/// wiped-out fund (`staking::is_wiped_out`) first starts a new share
/// epoch: the old shares and requests are void and the deposit is priced
/// as into a fresh fund.
pub fn stake(ctx: Context<StakeAccounts>, amount: u64, min_shares: u64) -> Result<()> {
    require!(amount > 0, ErrorCode::ZeroAmount);
    ctx.accounts.authorize(ctx.bumps.stake)?;
    let clock = Clock::get()?;
    let protocol = ctx.accounts.stake_owner.key() == ctx.accounts.exchange.key();
    token::transfer(
        CpiContext::new(
            ctx.accounts.token_program.key(),
            Transfer {
                from: ctx.accounts.staker_token.to_account_info(),
                to: ctx.accounts.insurance_vault.to_account_info(),
                authority: ctx.accounts.staker.to_account_info(),
            },
        ),
        amount,
    )?;
    let (shares, entry, total, balance) = {
        let mut fund = ctx.accounts.insurance.load_mut()?;
        let mut st = ctx.accounts.stake_mut()?;
        let quote = staking::quote_stake(amount, fund.total_shares, fund.balance)?;
        if quote.new_epoch {
            msg!(
                "insurance fund wiped out ({} atoms under {} shares): share epoch {} begins",
                fund.balance,
                fund.total_shares,
                fund.share_epoch.safe_add(1)?
            );
            staking::begin_epoch(&mut fund)?;
        }
        staking::sync_stake(&mut st, fund.share_epoch);
        let shares = quote.shares;
        require!(shares > 0, ErrorCode::DepositTooSmall);
        require!(shares >= min_shares, ErrorCode::SharesBelowMinimum);
        st.shares = st.shares.safe_add(shares)?;
        st.total_staked = st.total_staked.safe_add(amount)?;
        fund.total_shares = fund.total_shares.safe_add(shares)?;
        let source = if protocol {
            inflow::PROTOCOL_DEPOSIT
        } else {
            inflow::STAKER_DEPOSIT
        };
        let entry = insurance::record_inflow(
            &mut fund,
            source,
            amount,
            Pubkey::default(),
            st.owner,
            clock.slot,
            clock.unix_timestamp,
        )?;
        (shares, entry, fund.total_shares, fund.balance)
    };
    ctx.accounts.record(entry)?;
    emit_cpi!(entry);
    emit_cpi!(StakeEvent {
        owner: ctx.accounts.stake_owner.key(),
        amount,
        shares,
        total_shares_after: total,
        fund_balance_after: balance,
    });
    Ok(())
}

/// Starts the cooldown for `shares`. One request at a time, except that a
/// request which lapsed (not withdrawn within `UNSTAKE_WITHDRAW_WINDOW_SECS`
/// after its cooldown) is replaced: new shares, value at today's price,
/// new timestamp, a full cooldown again.
pub fn request_unstake(ctx: Context<StakeAccounts>, shares: u64) -> Result<()> {
    require!(shares > 0, ErrorCode::ZeroAmount);
    ctx.accounts.authorize(ctx.bumps.stake)?;
    let now = Clock::get()?.unix_timestamp;
    let mut fund = ctx.accounts.insurance.load_mut()?;
    let mut st = ctx.accounts.stake_mut()?;
    staking::sync_stake(&mut st, fund.share_epoch);
    if st.unstake_shares > 0 {
        require!(
            staking::is_lapsed(st.unstake_requested_ts, fund.unstake_cooldown_secs, now)?,
            ErrorCode::UnstakePending
        );
        // The lapsed request is withdrawn from the fund's count; the new
        // one is added below.
        fund.pending_unstake_shares = fund.pending_unstake_shares.safe_sub(st.unstake_shares)?;
        st.unstake_shares = 0;
        st.unstake_value_at_request = 0;
    }
    require!(shares <= st.shares, ErrorCode::InsufficientShares);
    let value = staking::value_of_shares(shares, fund.total_shares, fund.balance)?;
    st.unstake_shares = shares;
    st.unstake_value_at_request = value;
    st.unstake_requested_ts = now;
    fund.pending_unstake_shares = fund.pending_unstake_shares.safe_add(shares)?;
    emit_cpi!(UnstakeRequested {
        owner: st.owner,
        shares,
        value_at_request: value,
        available_ts: now.safe_add(fund.unstake_cooldown_secs)?,
    });
    Ok(())
}

/// Pays a matured request min(value at request, value now), within
/// `UNSTAKE_WITHDRAW_WINDOW_SECS` after its cooldown; a lapsed request fails
/// with `UnstakeRequestLapsed` and stays as it is (request again).
pub fn withdraw_unstake(ctx: Context<StakeAccounts>) -> Result<()> {
    ctx.accounts.authorize(ctx.bumps.stake)?;
    let clock = Clock::get()?;
    let (amount, entry, event) = {
        let mut fund = ctx.accounts.insurance.load_mut()?;
        let mut st = ctx.accounts.stake_mut()?;
        staking::sync_stake(&mut st, fund.share_epoch);
        require!(st.unstake_shares > 0, ErrorCode::NoUnstakePending);
        staking::require_withdrawable(
            st.unstake_requested_ts,
            fund.unstake_cooldown_secs,
            clock.unix_timestamp,
        )?;
        let shares = st.unstake_shares;
        let now_value = staking::value_of_shares(shares, fund.total_shares, fund.balance)?;
        let pay = st.unstake_value_at_request.min(now_value);
        st.shares = st.shares.safe_sub(shares)?;
        st.unstake_shares = 0;
        st.total_withdrawn = st.total_withdrawn.safe_add(pay)?;
        fund.total_shares = fund.total_shares.safe_sub(shares)?;
        fund.pending_unstake_shares = fund.pending_unstake_shares.safe_sub(shares)?;
        let entry = insurance::record_outflow(
            &mut fund,
            outflow::UNSTAKE,
            pay,
            Pubkey::default(),
            st.owner,
            clock.slot,
            clock.unix_timestamp,
        )?;
        let ev = UnstakeWithdrawn {
            owner: st.owner,
            shares,
            amount: pay,
            value_at_request: st.unstake_value_at_request,
            value_now: now_value,
        };
        (pay, entry, ev)
    };
    if amount > 0 {
        let bump = ctx.accounts.insurance.load()?.bump;
        let seeds: &[&[&[u8]]] = &[&[INSURANCE_SEED, &[bump]]];
        token::transfer(
            CpiContext::new_with_signer(
                ctx.accounts.token_program.key(),
                Transfer {
                    from: ctx.accounts.insurance_vault.to_account_info(),
                    to: ctx.accounts.staker_token.to_account_info(),
                    authority: ctx.accounts.insurance.to_account_info(),
                },
                seeds,
            ),
            amount,
        )?;
    }
    ctx.accounts.record(entry)?;
    emit_cpi!(entry);
    emit_cpi!(event);
    Ok(())
}

#[event_cpi]
#[derive(Accounts)]
pub struct AuditInsurance<'info> {
    #[account(mut, address = INSURANCE_ADDRESS @ ErrorCode::WrongInsuranceAccount)]
    pub insurance: AccountLoader<'info, InsuranceFund>,
    #[account(address = insurance.load()?.vault @ ErrorCode::WrongVault)]
    pub insurance_vault: Account<'info, TokenAccount>,
    #[account(mut, address = INSURANCE_LEDGER_ADDRESS @ ErrorCode::WrongInsuranceAccount)]
    pub ledger: AccountLoader<'info, InsuranceLedger>,
}

/// Anyone: reconciles the vault's token balance with the ledger. Tokens
/// found beyond the ledger (sent to the vault directly) are recorded as
/// donations; a vault holding less than the ledger is recorded as a failed
/// audit (which no instruction can cause).
pub fn audit_insurance(ctx: Context<AuditInsurance>) -> Result<()> {
    let clock = Clock::get()?;
    let vault = ctx.accounts.insurance_vault.amount;
    let mut fund = ctx.accounts.insurance.load_mut()?;
    let donation = vault.saturating_sub(fund.balance);
    if donation > 0 {
        let entry = insurance::record_inflow(
            &mut fund,
            inflow::DONATION,
            donation,
            Pubkey::default(),
            Pubkey::default(),
            clock.slot,
            clock.unix_timestamp,
        )?;
        ctx.accounts.ledger.load_mut()?.push(&entry);
        emit_cpi!(entry);
    }
    let ok = vault == fund.balance;
    fund.last_audit_ts = clock.unix_timestamp;
    fund.last_audit_vault_balance = vault;
    fund.last_audit_ok = ok as u8;
    emit_cpi!(InsuranceAudited {
        vault_balance: vault,
        ledger_balance: fund.balance,
        donation,
        ok,
        ledger_seq: fund.ledger_seq,
    });
    Ok(())
}

#[event_cpi]
#[derive(Accounts)]
pub struct UpdateTightening<'info> {
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

/// Anyone: recomputes the market's tightening level from on-chain numbers.
pub fn update_tightening(ctx: Context<UpdateTightening>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let fund = ctx.accounts.insurance.load()?;
    let mut m = ctx.accounts.market.load_mut()?;
    m.require_not_frozen()?;
    // Coverage is measured at the mark: it must rest on a fresh index.
    crate::engine::trade::require_fresh_index(&m.config, &m.state, now)?;
    let (old, new, cov) = insurance::tightening(&m, &fund)?;
    m.waterfall.tightening_level = new;
    m.waterfall.tightened_im_multiplier_ppm = fund.tightened_im_multiplier_ppm;
    if new != old {
        emit_cpi!(TighteningChanged {
            market: ctx.accounts.market.key(),
            old_level: old,
            new_level: new,
            coverage_bps: cov,
        });
    }
    Ok(())
}
