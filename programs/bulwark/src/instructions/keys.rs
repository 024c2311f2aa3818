//! Keys that change slowly: the admin, the treasury, the Pyth program, the
//! Pyth receiver and a market's oracle feeds are replaced only through the
//! timelock, so a stolen admin key cannot swap them under traders, and a
//! lost or dead one can still be replaced.
//!
//! - Admin: `propose_admin(new)` (the admin) queues it; `accept_admin`,
//!   signed by the new key once the eta has passed, completes it (the new
//!   key proves it can sign before it holds any power). From then on the
//!   old key is refused everywhere (`has_one = admin`).
//! - Treasury, Pyth program (owner of legacy feeds), Pyth receiver (owner
//!   of pull feeds), feed `index` of a market:
//!   `queue_key_change(kind, index, new_key)`, then `apply_key_change` after
//!   the eta, which checks the new account: a treasury must be a token
//!   account of the collateral mint; a feed must pass every check of
//!   `refresh_prices` (owner, parsing, feed id, verification, status,
//!   staleness, confidence). A feed change replaces only the account: the
//!   slot keeps its kind (`feed_kinds[index]`) and, for a pull feed, its
//!   feed id (`feed_ids[index]`), and the new account must pass the checks
//!   of that kind — a pull feed's new account must carry the same feed id.
//! - `cancel_key_change` (the admin) withdraws whatever is pending.
//!
//! One key change is pending at a time (`Exchange::pending_key`); queuing
//! another fails with `KeyChangePending`. Every step emits an event.

use crate::engine::oracle::check_reading;
use crate::error::ErrorCode;
use crate::math::SafeMath;
use crate::oracle::{read_feed, OracleOwners};
use crate::state::*;
use anchor_lang::prelude::*;
use anchor_spl::token::{spl_token, TokenAccount};

#[derive(Accounts)]
pub struct ChangeKey<'info> {
    pub admin: Signer<'info>,
    #[account(mut, address = EXCHANGE_ADDRESS @ ErrorCode::WrongExchange, has_one = admin @ ErrorCode::NotAdmin)]
    pub exchange: AccountLoader<'info, Exchange>,
    /// Required for a feed change: the market whose feed is replaced.
    #[account(
        mut,
        constraint = market.load()?.exchange == exchange.key() @ ErrorCode::WrongExchange,
    )]
    pub market: Option<AccountLoader<'info, Market>>,
    /// `apply_key_change` only: the new treasury token account or the new
    /// feed, checked against the pending change.
    /// CHECK: compared with `pending_key.new_key` and parsed in the handler.
    pub new_account: Option<UncheckedAccount<'info>>,
}

#[derive(Accounts)]
pub struct AcceptAdmin<'info> {
    /// The proposed admin.
    pub new_admin: Signer<'info>,
    #[account(mut, address = EXCHANGE_ADDRESS @ ErrorCode::WrongExchange)]
    pub exchange: AccountLoader<'info, Exchange>,
}

/// The key a change replaces, as it is now.
fn current_key(ex: &Exchange, market: Option<&Market>, kind: KeyKind, index: u8) -> Result<Pubkey> {
    Ok(match kind {
        KeyKind::Admin => ex.admin,
        KeyKind::Treasury => ex.treasury,
        KeyKind::PythProgram => ex.pyth_program,
        KeyKind::PythReceiver => ex.pyth_receiver,
        KeyKind::Feed => {
            let m = market.ok_or_else(|| error!(ErrorCode::MarketRequired))?;
            let o = &m.config.oracle;
            require!(index < o.num_feeds, ErrorCode::InvalidMarketConfig);
            o.feeds[index as usize]
        }
    })
}

/// Queues a key change (shared by `propose_admin` and `queue_key_change`).
pub fn queue_key_change(
    ctx: Context<ChangeKey>,
    kind: u8,
    index: u8,
    new_key: Pubkey,
) -> Result<()> {
    let kind = KeyKind::try_from(kind)?;
    let mut ex = ctx.accounts.exchange.load_mut()?;
    require!(ex.pending_key.active == 0, ErrorCode::KeyChangePending);
    require!(new_key != Pubkey::default(), ErrorCode::ParamOutOfBounds);
    let (target, index) = match kind {
        KeyKind::Feed => {
            let loader = ctx
                .accounts
                .market
                .as_ref()
                .ok_or_else(|| error!(ErrorCode::MarketRequired))?;
            (loader.key(), index)
        }
        _ => (Pubkey::default(), 0),
    };
    let old_key = {
        let market = match (&ctx.accounts.market, kind) {
            (Some(m), KeyKind::Feed) => Some(m.load()?),
            _ => None,
        };
        let old = current_key(&ex, market.as_deref(), kind, index)?;
        if let Some(m) = market.as_deref() {
            // A feed the market already reads would be a duplicate.
            let o = &m.config.oracle;
            require!(
                !o.feeds[..o.num_feeds as usize].contains(&new_key),
                ErrorCode::InvalidMarketConfig
            );
        }
        old
    };
    require!(new_key != old_key, ErrorCode::ParamOutOfBounds);
    let now = Clock::get()?.unix_timestamp;
    let eta = now.safe_add(ex.timelock_secs)?;
    ex.pending_key = PendingKeyChange {
        target,
        new_key,
        queued_at: now,
        eta,
        kind: kind as u8,
        index,
        active: 1,
        padding: [0; 5],
    };
    emit!(KeyChangeQueued {
        kind: kind as u8,
        target,
        index,
        old_key,
        new_key,
        eta,
    });
    Ok(())
}

/// The admin proposes its successor; see `accept_admin`.
pub fn propose_admin(ctx: Context<ChangeKey>, new_admin: Pubkey) -> Result<()> {
    queue_key_change(ctx, KeyKind::Admin as u8, 0, new_admin)
}

/// The proposed admin takes over once the timelock has passed.
pub fn accept_admin(ctx: Context<AcceptAdmin>) -> Result<()> {
    let mut ex = ctx.accounts.exchange.load_mut()?;
    let p = ex.pending_key;
    require!(
        p.active == 1 && p.kind == KeyKind::Admin as u8,
        ErrorCode::NotPendingAdmin
    );
    require_keys_eq!(
        ctx.accounts.new_admin.key(),
        p.new_key,
        ErrorCode::NotPendingAdmin
    );
    require!(
        Clock::get()?.unix_timestamp >= p.eta,
        ErrorCode::TimelockNotExpired
    );
    let old_key = ex.admin;
    ex.admin = p.new_key;
    ex.pending_key = PendingKeyChange::default();
    emit!(KeyChanged {
        kind: p.kind,
        target: p.target,
        index: p.index,
        old_key,
        new_key: p.new_key,
    });
    Ok(())
}

/// Applies the pending treasury, Pyth-program, Pyth-receiver or feed change
/// after its eta.
pub fn apply_key_change(ctx: Context<ChangeKey>) -> Result<()> {
    let mut ex = ctx.accounts.exchange.load_mut()?;
    let p = ex.pending_key;
    require!(p.active == 1, ErrorCode::NoPendingChange);
    let kind = KeyKind::try_from(p.kind)?;
    // The admin key changes only when the new key signs for it.
    require!(kind != KeyKind::Admin, ErrorCode::NotPendingAdmin);
    let now = Clock::get()?.unix_timestamp;
    require!(now >= p.eta, ErrorCode::TimelockNotExpired);
    let new_account = || {
        ctx.accounts
            .new_account
            .as_ref()
            .ok_or_else(|| error!(ErrorCode::OracleAccountsMismatch))
    };
    let old_key = match kind {
        KeyKind::Admin => return err!(ErrorCode::NotPendingAdmin),
        KeyKind::Treasury => {
            let info = new_account()?;
            require_keys_eq!(info.key(), p.new_key, ErrorCode::WrongTreasury);
            require_keys_eq!(*info.owner, spl_token::ID, ErrorCode::WrongTreasury);
            let data = info.try_borrow_data()?;
            let token = TokenAccount::try_deserialize(&mut &data[..])
                .map_err(|_| error!(ErrorCode::WrongTreasury))?;
            require_keys_eq!(token.mint, ex.collateral_mint, ErrorCode::WrongTreasury);
            let old = ex.treasury;
            ex.treasury = p.new_key;
            old
        }
        KeyKind::PythProgram => {
            let old = ex.pyth_program;
            ex.pyth_program = p.new_key;
            old
        }
        KeyKind::PythReceiver => {
            let old = ex.pyth_receiver;
            ex.pyth_receiver = p.new_key;
            old
        }
        KeyKind::Feed => {
            let loader = ctx
                .accounts
                .market
                .as_ref()
                .ok_or_else(|| error!(ErrorCode::MarketRequired))?;
            require_keys_eq!(loader.key(), p.target, ErrorCode::WrongMarket);
            let mut m = loader.load_mut()?;
            m.require_not_frozen()?;
            let info = new_account()?;
            let (i, n) = (p.index as usize, m.config.oracle.num_feeds as usize);
            require!(i < n, ErrorCode::InvalidMarketConfig);
            // The same checks as refresh_prices, for the slot's kind and
            // feed id (both unchanged): key, owner, parsing, feed id, then
            // verification, status, price, staleness and confidence.
            let o = &m.config.oracle;
            let reading = read_feed(
                info,
                &p.new_key,
                o.feed_kind(i)?,
                &o.feed_ids[i],
                &OracleOwners::of(&ex),
            )?
            .map_err(Error::from)?;
            check_reading(&reading, o, now).map_err(Error::from)?;
            let o = &mut m.config.oracle;
            // Still no duplicate (nothing else changes the feeds, but the
            // check is cheap). The rest of the config is not re-validated:
            // a dead feed must stay replaceable even if today's bounds
            // have moved past another of the market's parameters.
            require!(
                !o.feeds[..n].contains(&p.new_key),
                ErrorCode::InvalidMarketConfig
            );
            let old = o.feeds[i];
            o.feeds[i] = p.new_key;
            old
        }
    };
    ex.pending_key = PendingKeyChange::default();
    emit!(KeyChanged {
        kind: p.kind,
        target: p.target,
        index: p.index,
        old_key,
        new_key: p.new_key,
    });
    Ok(())
}

/// The admin withdraws the pending key change (an admin proposal too).
pub fn cancel_key_change(ctx: Context<ChangeKey>) -> Result<()> {
    let mut ex = ctx.accounts.exchange.load_mut()?;
    let p = ex.pending_key;
    require!(p.active == 1, ErrorCode::NoPendingChange);
    ex.pending_key = PendingKeyChange::default();
    emit!(KeyChangeCancelled {
        kind: p.kind,
        target: p.target,
        index: p.index,
        new_key: p.new_key,
    });
    Ok(())
}
