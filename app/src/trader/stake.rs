//! Insurance staking: stake, request to unstake, withdraw.

use super::{collateral_token, send, usd};
use crate::chain_trait::Chain;
use crate::client::{self};
use crate::ix;
use anchor_lang::prelude::Pubkey;
use bulwark::engine::staking;
use bulwark::state::InsuranceFund;
use serde::Serialize;
use solana_keypair::Keypair;
use solana_signer::Signer;

#[derive(Debug, Serialize)]
pub struct StakeView {
    pub owner: String,
    /// shares held in the fund's current share epoch (a stake of an older
    /// epoch, before a wipe-out, holds none).
    pub shares: u64,
    /// USD the shares are worth now.
    pub value: f64,
    pub unstake_shares: u64,
    /// USD: the value at the request (the most a withdrawal pays).
    pub unstake_value_at_request: f64,
    pub unstake_requested_ts: i64,
    /// unix seconds from which `unstake withdraw` succeeds (0 = nothing requested).
    pub withdrawable_from_ts: i64,
    /// unix seconds from which the request has lapsed: `unstake withdraw`
    /// fails and `unstake request` replaces it (0 = nothing requested).
    pub withdrawable_until_ts: i64,
    /// USD in the fund; total shares.
    pub fund_balance: f64,
    pub fund_shares: u64,
}

pub async fn stake_view<C: Chain>(chain: &mut C, owner: &Pubkey) -> Result<StakeView, String> {
    let f = client::insurance_fund(chain)
        .await
        .ok_or("the insurance fund is not initialized")?;
    let s = client::stake_account(chain, owner)
        .await
        .unwrap_or_else(bytemuck::Zeroable::zeroed);
    let (shares, unstake_shares) = staking::live_shares(&s, &f);
    let value = staking::value_of_shares(shares, f.total_shares, f.balance).unwrap_or(0);
    let requested = unstake_shares > 0;
    Ok(StakeView {
        owner: owner.to_string(),
        shares,
        value: usd(value as i128),
        unstake_shares,
        unstake_value_at_request: if requested {
            usd(s.unstake_value_at_request as i128)
        } else {
            0.0
        },
        unstake_requested_ts: if requested { s.unstake_requested_ts } else { 0 },
        withdrawable_from_ts: if requested {
            s.unstake_requested_ts + f.unstake_cooldown_secs
        } else {
            0
        },
        withdrawable_until_ts: if requested {
            staking::unstake_lapses_at(s.unstake_requested_ts, f.unstake_cooldown_secs)
                .unwrap_or(i64::MAX)
        } else {
            0
        },
        fund_balance: usd(f.balance as i128),
        fund_shares: f.total_shares,
    })
}

/// bps below the expected shares that `stake` accepts by default: an inflow
/// landing first (a fee sweep) raises the price a little and must not fail
/// the stake; anything moving the price more does.
pub const DEFAULT_MIN_SHARES_SLIPPAGE_BPS: u64 = 100;

/// The default `min_shares` for a stake of `amount` into the fund as
/// fetched: the shares `staking::quote_stake` (the program's own rule,
/// wipe-out epochs included) expects, less `DEFAULT_MIN_SHARES_SLIPPAGE_BPS`
/// (at least 1 share).
pub fn default_min_shares(amount: u64, fund: &InsuranceFund) -> Result<u64, String> {
    let q = staking::quote_stake(amount, fund.total_shares, fund.balance)
        .map_err(|e| format!("the fund cannot issue shares for this stake: {e}"))?;
    if q.shares == 0 {
        return Err("the stake is too small to buy a share".into());
    }
    let min = (q.shares as u128) * (10_000 - DEFAULT_MIN_SHARES_SLIPPAGE_BPS) as u128 / 10_000;
    Ok((min as u64).max(1))
}

/// Stakes `amount` quote atoms into the insurance fund; the program refuses
/// it if it buys fewer than `min_shares` shares [default:
/// [`default_min_shares`] at the fund as fetched now].
pub async fn stake<C: Chain>(
    chain: &mut C,
    wallet: &Keypair,
    amount: u64,
    min_shares: Option<u64>,
    token: Option<Pubkey>,
) -> Result<StakeView, String> {
    let owner = wallet.pubkey();
    let min_shares = match min_shares {
        Some(m) => m,
        None => {
            let f = client::insurance_fund(chain)
                .await
                .ok_or("the insurance fund is not initialized")?;
            default_min_shares(amount, &f)?
        }
    };
    let token = collateral_token(chain, &owner, token).await?;
    send(
        chain,
        &[ix::stake(&owner, &owner, &token, amount, min_shares)],
        wallet,
    )
    .await?;
    stake_view(chain, &owner).await
}

/// Starts the cooldown for `shares` (all of them when None).
pub async fn request_unstake<C: Chain>(
    chain: &mut C,
    wallet: &Keypair,
    shares: Option<u64>,
    token: Option<Pubkey>,
) -> Result<StakeView, String> {
    let owner = wallet.pubkey();
    let shares = match shares {
        Some(s) => s,
        None => {
            let st = client::stake_account(chain, &owner)
                .await
                .ok_or("no stake")?;
            let f = client::insurance_fund(chain)
                .await
                .ok_or("the insurance fund is not initialized")?;
            staking::live_shares(&st, &f).0
        }
    };
    let token = collateral_token(chain, &owner, token).await?;
    send(
        chain,
        &[ix::request_unstake(&owner, &owner, &token, shares)],
        wallet,
    )
    .await?;
    stake_view(chain, &owner).await
}

/// Pays out a requested unstake after its cooldown (the smaller of its
/// value at the request and now).
pub async fn withdraw_unstake<C: Chain>(
    chain: &mut C,
    wallet: &Keypair,
    token: Option<Pubkey>,
) -> Result<StakeView, String> {
    let owner = wallet.pubkey();
    let mut ixs = Vec::new();
    if token.is_none() {
        let ex = client::exchange(chain)
            .await
            .ok_or("the exchange is not initialized on this cluster")?;
        ixs.push(client::create_associated_token_account_idempotent(
            &chain.payer_key(),
            &owner,
            &ex.collateral_mint,
        ));
    }
    let token = collateral_token(chain, &owner, token).await?;
    ixs.push(ix::withdraw_unstake(&owner, &owner, &token));
    send(chain, &ixs, wallet).await?;
    stake_view(chain, &owner).await
}
