//! Insurance staking: stake, request to unstake, withdraw.

use super::{collateral_token, send, usd};
use crate::chain_trait::Chain;
use crate::client::{self};
use crate::ix;
use anchor_lang::prelude::Pubkey;
use bulwark::engine::staking;
use serde::Serialize;
use solana_keypair::Keypair;
use solana_signer::Signer;

#[derive(Debug, Serialize)]
pub struct StakeView {
    pub owner: String,
    pub shares: u64,
    /// USD the shares are worth now.
    pub value: f64,
    pub unstake_shares: u64,
    /// USD: the value at the request (the most a withdrawal pays).
    pub unstake_value_at_request: f64,
    pub unstake_requested_ts: i64,
    /// unix seconds from which `unstake withdraw` succeeds (0 = nothing requested).
    pub withdrawable_from_ts: i64,
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
    let value = staking::value_of_shares(s.shares, f.total_shares, f.balance).unwrap_or(0);
    Ok(StakeView {
        owner: owner.to_string(),
        shares: s.shares,
        value: usd(value as i128),
        unstake_shares: s.unstake_shares,
        unstake_value_at_request: usd(s.unstake_value_at_request as i128),
        unstake_requested_ts: s.unstake_requested_ts,
        withdrawable_from_ts: if s.unstake_shares > 0 {
            s.unstake_requested_ts + f.unstake_cooldown_secs
        } else {
            0
        },
        fund_balance: usd(f.balance as i128),
        fund_shares: f.total_shares,
    })
}

/// Stakes `amount` quote atoms into the insurance fund.
pub async fn stake<C: Chain>(
    chain: &mut C,
    wallet: &Keypair,
    amount: u64,
    token: Option<Pubkey>,
) -> Result<StakeView, String> {
    let owner = wallet.pubkey();
    let token = collateral_token(chain, &owner, token).await?;
    send(chain, &[ix::stake(&owner, &owner, &token, amount)], wallet).await?;
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
            client::stake_account(chain, &owner)
                .await
                .ok_or("no stake")?
                .shares
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
