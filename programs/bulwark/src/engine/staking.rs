//! Insurance shares. A share is a claim on the fund's balance; every inflow
//! (fees, liquidation fees, donations) raises the value of all shares, every
//! cover lowers it. Prices use one virtual share and one virtual atom, so
//! an empty or wiped-out fund still prices shares, and every rounding is in
//! the fund's favour.
//!
//!   shares for a deposit A = floor(A × (total_shares + 1) / (balance + 1))
//!   value of s shares      = floor(s × (balance + 1) / (total_shares + 1))
//!
//! Unstaking is a request (the shares stay in the fund and keep bearing its
//! losses), a cooldown, and a withdrawal paying min(value at request,
//! value at withdrawal): a staker who sees a loss coming cannot run ahead
//! of it, and gains during the cooldown stay with the fund.

use crate::error::ErrorCode;
use crate::math::{Cast, SafeMath};
use anchor_lang::prelude::*;

pub fn shares_for_deposit(amount: u64, total_shares: u64, balance: u64) -> Result<u64> {
    (amount as u128)
        .safe_mul(total_shares as u128 + 1)?
        .safe_div(balance as u128 + 1)?
        .cast()
}

pub fn value_of_shares(shares: u64, total_shares: u64, balance: u64) -> Result<u64> {
    let v: u64 = (shares as u128)
        .safe_mul(balance as u128 + 1)?
        .safe_div(total_shares as u128 + 1)?
        .cast()?;
    Ok(v.min(balance))
}

/// What a matured request pays.
pub fn unstake_payout(
    value_at_request: u64,
    shares: u64,
    total_shares: u64,
    balance: u64,
) -> Result<u64> {
    Ok(value_at_request.min(value_of_shares(shares, total_shares, balance)?))
}

pub fn require_cooldown_over(requested_ts: i64, cooldown: i64, now: i64) -> Result<()> {
    require!(
        now >= requested_ts.safe_add(cooldown)?,
        ErrorCode::CooldownNotOver
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_staker_and_growth() {
        // Empty fund: 1,000 atoms buy 1,000 shares.
        assert_eq!(shares_for_deposit(1_000, 0, 0).unwrap(), 1_000);
        // Fees double the balance: the same shares are worth ~2,000.
        assert_eq!(value_of_shares(1_000, 1_000, 2_000).unwrap(), 1_999);
        // A second staker pays the new price.
        assert_eq!(shares_for_deposit(2_000, 1_000, 2_000).unwrap(), 1_000);
    }

    #[test]
    fn min_rule() {
        // Requested at 1,000; the fund then lost half: pays 500.
        assert_eq!(unstake_payout(1_000, 1_000, 1_000, 500).unwrap(), 500);
        // Requested at 1,000; the fund then grew: pays 1,000.
        assert_eq!(unstake_payout(1_000, 1_000, 1_000, 3_000).unwrap(), 1_000);
    }

    #[test]
    fn wiped_out_fund_still_prices_shares() {
        // 100 old shares worth nothing; a new deposit buys nearly all of it.
        let s = shares_for_deposit(1_000, 100, 0).unwrap();
        assert_eq!(s, 101_000);
        assert!(value_of_shares(s, 100 + s, 1_000).unwrap() >= 999);
    }
}
