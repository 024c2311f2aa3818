//! Parameter changes. Tightening applies at once (`set_param`); loosening
//! must be queued (`queue_param_change`), waits `exchange.timelock_secs`,
//! and is then applied (`apply_param_change`) or withdrawn
//! (`cancel_param_change`). Every step emits an event and the queue lives in
//! the exchange account, so every pending change is visible on-chain.

use crate::engine::params::{
    exchange_change, insurance_change, market_change, read_exchange_param, read_insurance_param,
    read_market_param, write_exchange_param, write_insurance_param,
};
use crate::error::ErrorCode;
use crate::math::{SafeMath, MAX_PENDING_CHANGES};
use crate::state::*;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct ChangeParam<'info> {
    pub admin: Signer<'info>,
    #[account(mut, address = EXCHANGE_ADDRESS @ ErrorCode::WrongExchange, has_one = admin @ ErrorCode::NotAdmin)]
    pub exchange: AccountLoader<'info, Exchange>,
    /// Required for market parameters.
    #[account(
        mut,
        constraint = market.load()?.exchange == exchange.key() @ ErrorCode::WrongExchange,
    )]
    pub market: Option<AccountLoader<'info, Market>>,
    /// Required for insurance-fund parameters.
    #[account(mut, address = INSURANCE_ADDRESS @ ErrorCode::WrongInsuranceAccount)]
    pub insurance: Option<AccountLoader<'info, InsuranceFund>>,
}

/// Where a validated change goes.
enum Next {
    Market(Box<MarketConfig>),
    Exchange,
    Insurance,
}

/// Validates a change against the current bounds and says whether it loosens.
fn prepare(
    ex: &Exchange,
    market: Option<&Market>,
    fund: Option<&InsuranceFund>,
    key: ParamKey,
    index: u8,
    value: i64,
) -> Result<(i64, bool, Next)> {
    if key.is_market_key() {
        let m = market.ok_or_else(|| error!(ErrorCode::MarketRequired))?;
        let old = read_market_param(&m.config, key, index)?;
        let (next, loosens) = market_change(&m.config, &ex.bounds, key, index, value)?;
        crate::engine::params::require_mode_fits_table(&next, m.max_seats)?;
        Ok((old, loosens, Next::Market(Box::new(next))))
    } else if key.is_insurance_key() {
        let f = fund.ok_or_else(|| error!(ErrorCode::InsuranceRequired))?;
        let old = read_insurance_param(f, key)?;
        Ok((old, insurance_change(f, key, value)?, Next::Insurance))
    } else {
        let old = read_exchange_param(ex, key)?;
        Ok((old, exchange_change(ex, key, value)?, Next::Exchange))
    }
}

/// Writes a validated change.
fn commit(
    ex: &mut Exchange,
    market: Option<&mut Market>,
    fund: Option<&mut InsuranceFund>,
    key: ParamKey,
    value: i64,
    next: Next,
) -> Result<()> {
    match (next, market, fund) {
        (Next::Market(cfg), Some(m), _) => m.config = *cfg,
        (Next::Insurance, _, Some(f)) => write_insurance_param(f, key, value)?,
        (Next::Exchange, _, _) => write_exchange_param(ex, key, value)?,
        _ => return err!(ErrorCode::UnknownParam),
    }
    Ok(())
}

fn target_of(ctx: &Context<ChangeParam>, key: ParamKey) -> Pubkey {
    match (&ctx.accounts.market, &ctx.accounts.insurance) {
        (Some(m), _) if key.is_market_key() => m.key(),
        (_, Some(f)) if key.is_insurance_key() => f.key(),
        _ => Pubkey::default(),
    }
}

pub fn set_param(ctx: Context<ChangeParam>, key: u16, index: u8, value: i64) -> Result<()> {
    let key = ParamKey::from_u16(key)?;
    let target = target_of(&ctx, key);
    let mut ex = ctx.accounts.exchange.load_mut()?;
    let mut market = match &ctx.accounts.market {
        Some(m) => Some(m.load_mut()?),
        None => None,
    };
    if let Some(m) = &market {
        m.require_not_frozen()?;
    }
    let mut fund = match &ctx.accounts.insurance {
        Some(f) => Some(f.load_mut()?),
        None => None,
    };
    let (old, loosens, next) = prepare(&ex, market.as_deref(), fund.as_deref(), key, index, value)?;
    require!(!loosens, ErrorCode::TimelockRequired);
    commit(
        &mut ex,
        market.as_deref_mut(),
        fund.as_deref_mut(),
        key,
        value,
        next,
    )?;
    emit!(ParamChanged {
        target,
        key: key as u16,
        index,
        old_value: old,
        new_value: value,
        from_queue: false
    });
    Ok(())
}

pub fn queue_param_change(
    ctx: Context<ChangeParam>,
    key: u16,
    index: u8,
    value: i64,
) -> Result<()> {
    let key = ParamKey::from_u16(key)?;
    let target = target_of(&ctx, key);
    let mut ex = ctx.accounts.exchange.load_mut()?;
    {
        let market = match &ctx.accounts.market {
            Some(m) => Some(m.load()?),
            None => None,
        };
        let fund = match &ctx.accounts.insurance {
            Some(f) => Some(f.load()?),
            None => None,
        };
        prepare(&ex, market.as_deref(), fund.as_deref(), key, index, value)?;
    }
    let now = Clock::get()?.unix_timestamp;
    let slot = ex
        .pending
        .iter()
        .position(|p| p.active == 0)
        .ok_or_else(|| error!(ErrorCode::PendingChangesFull))?;
    let eta = now.safe_add(ex.timelock_secs)?;
    ex.pending[slot] = PendingChange {
        target,
        queued_at: now,
        eta,
        value,
        key: key as u16,
        index,
        active: 1,
        padding: [0; 4],
    };
    ex.change_seq = ex.change_seq.safe_add(1)?;
    emit!(ParamChangeQueued {
        slot: slot as u8,
        target,
        key: key as u16,
        index,
        value,
        eta
    });
    Ok(())
}

fn pending_at(ex: &Exchange, slot: u8) -> Result<PendingChange> {
    require!(
        (slot as usize) < MAX_PENDING_CHANGES,
        ErrorCode::NoPendingChange
    );
    let p = ex.pending[slot as usize];
    require!(p.active == 1, ErrorCode::NoPendingChange);
    Ok(p)
}

pub fn apply_param_change(ctx: Context<ChangeParam>, slot: u8) -> Result<()> {
    let mut ex = ctx.accounts.exchange.load_mut()?;
    let p = pending_at(&ex, slot)?;
    let now = Clock::get()?.unix_timestamp;
    require!(now >= p.eta, ErrorCode::TimelockNotExpired);
    let key = ParamKey::from_u16(p.key)?;
    if key.is_market_key() {
        let loader = ctx
            .accounts
            .market
            .as_ref()
            .ok_or_else(|| error!(ErrorCode::MarketRequired))?;
        require_keys_eq!(loader.key(), p.target, ErrorCode::WrongMarket);
    }
    let mut market = match &ctx.accounts.market {
        Some(m) if key.is_market_key() => Some(m.load_mut()?),
        _ => None,
    };
    if let Some(m) = &market {
        m.require_not_frozen()?;
    }
    let mut fund = match &ctx.accounts.insurance {
        Some(f) if key.is_insurance_key() => Some(f.load_mut()?),
        _ => None,
    };
    // Re-validated against today's bounds: they may have tightened meanwhile.
    let (old, _, next) = prepare(
        &ex,
        market.as_deref(),
        fund.as_deref(),
        key,
        p.index,
        p.value,
    )?;
    commit(
        &mut ex,
        market.as_deref_mut(),
        fund.as_deref_mut(),
        key,
        p.value,
        next,
    )?;
    ex.pending[slot as usize] = PendingChange::default();
    emit!(ParamChanged {
        target: p.target,
        key: p.key,
        index: p.index,
        old_value: old,
        new_value: p.value,
        from_queue: true,
    });
    Ok(())
}

pub fn cancel_param_change(ctx: Context<ChangeParam>, slot: u8) -> Result<()> {
    let mut ex = ctx.accounts.exchange.load_mut()?;
    let p = pending_at(&ex, slot)?;
    ex.pending[slot as usize] = PendingChange::default();
    emit!(ParamChangeCancelled {
        slot,
        target: p.target,
        key: p.key,
        index: p.index,
        value: p.value
    });
    Ok(())
}
