//! Permissionless crank: reads the market's Pyth feeds (passed as remaining
//! accounts, in the market's feed order; each in its configured format,
//! legacy or pull), stores the index and updates the mark (the mark crank).

use crate::engine::mark;
use crate::engine::oracle::{aggregate, FeedReading};
use crate::error::ErrorCode;
use crate::math::MAX_ORACLE_FEEDS;
use crate::oracle::{read_feed, OracleOwners};
use crate::state::*;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct RefreshPrices<'info> {
    #[account(address = EXCHANGE_ADDRESS @ ErrorCode::WrongExchange)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(
        mut,
        constraint = market.load()?.exchange == exchange.key() @ ErrorCode::WrongExchange,
    )]
    pub market: AccountLoader<'info, Market>,
}

pub fn handler<'info>(ctx: Context<'info, RefreshPrices<'info>>) -> Result<()> {
    let owners = OracleOwners::of(&*ctx.accounts.exchange.load()?);
    let now = Clock::get()?.unix_timestamp;
    let info = ctx.accounts.market.to_account_info();
    let mut data = info.try_borrow_mut_data()?;
    let m = MarketMut::from_bytes(&mut data)?;
    let index = read_index(
        &m.header.config.oracle,
        &owners,
        ctx.remaining_accounts,
        now,
    )?;
    // The TWAPs accrue at the old prices up to now, then the new index and
    // a fresh mark sample (the impact mid) take over.
    mark::accrue_twap(&mut m.header.state, now)?;
    m.header.state.index_price = index.price;
    m.header.state.index_publish_ts = index.publish_ts;
    m.header.state.index_updated_ts = now;
    m.header.state.index_feeds_used = index.feeds_used;
    let mut m = m;
    mark::mark_from_book(&mut m, now)?;
    emit!(IndexUpdated {
        market: ctx.accounts.market.key(),
        index_price: index.price,
        publish_ts: index.publish_ts,
        feeds_used: index.feeds_used,
    });
    Ok(())
}

/// Reads and aggregates the feeds, each in the format (`feed_kinds`), for
/// the feed id (`feed_ids`) and with the owner (`owners`) its kind needs;
/// shared by every instruction that needs a fresh index.
pub fn read_index(
    cfg: &OracleConfig,
    owners: &OracleOwners,
    accounts: &[AccountInfo],
    now: i64,
) -> Result<crate::engine::oracle::IndexPrice> {
    let n = cfg.num_feeds as usize;
    require!(
        accounts.len() == n && n <= MAX_ORACLE_FEEDS,
        ErrorCode::OracleAccountsMismatch
    );
    let mut readings: [core::result::Result<FeedReading, ErrorCode>; MAX_ORACLE_FEEDS] =
        [Err(ErrorCode::OracleTooFewFeeds); MAX_ORACLE_FEEDS];
    for i in 0..n {
        readings[i] = read_feed(
            &accounts[i],
            &cfg.feeds[i],
            cfg.feed_kind(i)?,
            &cfg.feed_ids[i],
            owners,
        )?;
    }
    aggregate(&readings[..n], cfg, now)
}
