//! Insurance shares. A share is a claim on the fund's balance; every inflow
//! (fees, liquidation fees, donations) raises the value of all shares, every
//! cover lowers it. Prices use one virtual share and one virtual atom, and
//! every rounding is in the fund's favour:
//!
//!   shares for a deposit A = floor(A × (total_shares + 1) / (balance + 1))
//!   value of s shares      = min(floor(s × (balance + 1) / (total_shares + 1)), balance)
//!
//! Both are computed in u128 (each product of two u64 + 1 fits).
//!
//! **Share epochs.** A fund whose balance a cover took to 0 while shares
//! are outstanding is wiped out: its shares are worth exactly nothing, and
//! pricing a deposit against them would hand the depositor
//! A × (total_shares + 1) shares — past u64 for any real fund, so the fund
//! could never be recapitalized. The next `stake` into a wiped-out fund
//! ([`is_wiped_out`]) starts a new epoch instead ([`begin_epoch`]): no
//! shares, no pending requests, `share_epoch + 1`, and the deposit is priced
//! as into a fresh fund. A stake record of an older epoch holds no shares
//! and no request ([`sync_stake`]); every stake instruction brings the
//! record up to date first.
//!
//! **A tiny balance under huge shares** prices the same trap: with 1 atom
//! left under 5e9 shares, one deposit buys ~1e19 shares and fills the u64
//! share count, after which the fund takes (almost) nothing more. Such a
//! fund is treated as wiped out too, but only when the old stakers' whole
//! balance is dust — at most [`WIPEOUT_DUST_ATOMS`] (1 USD, all of which
//! the old stakers lose to the new epoch, less than 1 USD in total) — and
//! the price is broken: an atom buys more than [`WIPEOUT_SHARES_PER_ATOM`]
//! shares (the shares lost more than 99.9999 % of their par value) or the
//! deposit's shares do not fit in u64. A balance above dust is never taken:
//! a deposit whose shares do not fit then fails with `InsufficientShares`
//! (the fund has not that many shares left to issue) rather than
//! `MathOverflow`. We chose this over capping the shares issued (which
//! would silently hand part of the deposit to the old stakers) and over a
//! pure price rule (which could confiscate a recapitalizer's deposit after
//! a small further loss).
//!
//! Unstaking is a request (the shares stay in the fund and keep bearing its
//! losses), a cooldown, and a withdrawal paying min(value at request,
//! value at withdrawal) within `UNSTAKE_WITHDRAW_WINDOW_SECS` after the
//! cooldown: a staker who sees a loss coming cannot run ahead of it, gains
//! during the cooldown stay with the fund, and a matured request left
//! standing lapses (it cannot be held as an instant exit).

use crate::error::ErrorCode;
use crate::math::SafeMath;
use crate::state::{InsuranceFund, InsuranceStake, UNSTAKE_WITHDRAW_WINDOW_SECS};
use anchor_lang::prelude::*;

/// quote atoms (1 USD at 6 decimals): the most a fund with outstanding
/// shares may hold and still be treated as wiped out (see the module doc).
pub const WIPEOUT_DUST_ATOMS: u64 = 1_000_000;

/// Shares per atom above which a fund holding only dust is wiped out.
pub const WIPEOUT_SHARES_PER_ATOM: u128 = 1_000_000;

/// floor(A × (S + 1) / (B + 1)) in u128; not checked against u64.
fn raw_shares(amount: u64, total_shares: u64, balance: u64) -> u128 {
    // < 2^64 × (2^64 + 1) < 2^128; the divisor is ≥ 1.
    (amount as u128) * (total_shares as u128 + 1) / (balance as u128 + 1)
}

/// True when the deposit's shares, added to the outstanding ones, fit in u64.
fn shares_fit(amount: u64, total_shares: u64, balance: u64) -> bool {
    raw_shares(amount, total_shares, balance) <= (u64::MAX - total_shares) as u128
}

/// Shares `amount` buys at the fund's current price (within the current
/// epoch; see [`quote_stake`] for what `stake` does). `InsufficientShares`
/// when they would not fit in u64 next to the outstanding ones.
pub fn shares_for_deposit(amount: u64, total_shares: u64, balance: u64) -> Result<u64> {
    require!(
        shares_fit(amount, total_shares, balance),
        ErrorCode::InsufficientShares
    );
    Ok(raw_shares(amount, total_shares, balance) as u64)
}

/// What `s` shares are worth now; never more than the balance, never fails.
pub fn value_of_shares(shares: u64, total_shares: u64, balance: u64) -> Result<u64> {
    let v = (shares as u128) * (balance as u128 + 1) / (total_shares as u128 + 1);
    Ok(v.min(balance as u128) as u64)
}

/// Whether a deposit of `amount` must start a new share epoch: shares are
/// outstanding and the balance is 0, or dust under a broken price (see the
/// module doc).
pub fn is_wiped_out(amount: u64, total_shares: u64, balance: u64) -> bool {
    if total_shares == 0 {
        return false;
    }
    if balance == 0 {
        return true;
    }
    balance <= WIPEOUT_DUST_ATOMS
        && ((total_shares as u128 + 1) > WIPEOUT_SHARES_PER_ATOM * (balance as u128 + 1)
            || !shares_fit(amount, total_shares, balance))
}

/// What a stake of `amount` does: whether it starts a new epoch, and the
/// shares it buys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StakeQuote {
    pub new_epoch: bool,
    pub shares: u64,
}

/// The shares a stake of `amount` buys in a fund of `total_shares` over
/// `balance`, with the epoch rule (the same on-chain and in the client).
pub fn quote_stake(amount: u64, total_shares: u64, balance: u64) -> Result<StakeQuote> {
    if is_wiped_out(amount, total_shares, balance) {
        Ok(StakeQuote {
            new_epoch: true,
            shares: shares_for_deposit(amount, 0, balance)?,
        })
    } else {
        Ok(StakeQuote {
            new_epoch: false,
            shares: shares_for_deposit(amount, total_shares, balance)?,
        })
    }
}

/// Starts a new share epoch: every outstanding share and request is void
/// (their records catch up in [`sync_stake`]); the balance stays.
pub fn begin_epoch(fund: &mut InsuranceFund) -> Result<()> {
    fund.total_shares = 0;
    fund.pending_unstake_shares = 0;
    fund.share_epoch = fund.share_epoch.safe_add(1)?;
    Ok(())
}

/// Brings a stake record to the fund's epoch: a record of an older epoch
/// holds no shares and its request is void (the fund's counts of both
/// were cleared when that epoch ended). Returns whether it changed.
pub fn sync_stake(st: &mut InsuranceStake, share_epoch: u64) -> bool {
    if st.epoch == share_epoch {
        return false;
    }
    st.epoch = share_epoch;
    st.shares = 0;
    st.unstake_shares = 0;
    st.unstake_value_at_request = 0;
    st.unstake_requested_ts = 0;
    true
}

/// (shares, shares in the request) a record holds in the fund's epoch.
pub fn live_shares(st: &InsuranceStake, fund: &InsuranceFund) -> (u64, u64) {
    if st.epoch == fund.share_epoch {
        (st.shares, st.unstake_shares)
    } else {
        (0, 0)
    }
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

/// The first second at which a request made at `requested_ts` has lapsed
/// (cooldown + `UNSTAKE_WITHDRAW_WINDOW_SECS` after it); it is withdrawable
/// in [requested_ts + cooldown, this).
pub fn unstake_lapses_at(requested_ts: i64, cooldown: i64) -> Result<i64> {
    requested_ts
        .safe_add(cooldown)?
        .safe_add(UNSTAKE_WITHDRAW_WINDOW_SECS)
}

pub fn is_lapsed(requested_ts: i64, cooldown: i64, now: i64) -> Result<bool> {
    Ok(now >= unstake_lapses_at(requested_ts, cooldown)?)
}

/// A request is withdrawable now: its cooldown is over and it has not
/// lapsed.
pub fn require_withdrawable(requested_ts: i64, cooldown: i64, now: i64) -> Result<()> {
    require_cooldown_over(requested_ts, cooldown, now)?;
    require!(
        !is_lapsed(requested_ts, cooldown, now)?,
        ErrorCode::UnstakeRequestLapsed
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytemuck::Zeroable;

    fn err_is(r: Result<impl core::fmt::Debug>, e: ErrorCode) -> bool {
        matches!(r, Err(Error::AnchorError(a)) if a.error_code_number == u32::from(e))
    }

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

    /// The tracker's case: 5,000 USD of shares over a balance of 0; a
    /// 5,000 USD stake overflowed (5e9 × (5e9 + 1) > u64::MAX). Now it
    /// starts a new epoch and buys 1:1.
    #[test]
    fn wiped_out_fund_starts_a_new_epoch() {
        let usd = 1_000_000u64;
        let (a, s) = (5_000 * usd, 5_000 * usd);
        assert!(raw_shares(a, s, 0) > u64::MAX as u128);
        assert!(err_is(
            shares_for_deposit(a, s, 0),
            ErrorCode::InsufficientShares
        ));
        assert!(is_wiped_out(a, s, 0));
        assert_eq!(
            quote_stake(a, s, 0).unwrap(),
            StakeQuote {
                new_epoch: true,
                shares: a
            }
        );
        // Even one share over 0 is wiped out; no shares is a fresh fund.
        assert!(is_wiped_out(1, 1, 0));
        assert!(!is_wiped_out(1, 0, 0));
        assert_eq!(
            quote_stake(1_000, 0, 0).unwrap(),
            StakeQuote {
                new_epoch: false,
                shares: 1_000
            }
        );
        // A donation-only fund (balance, no shares) is not wiped out.
        assert!(!is_wiped_out(u64::MAX, 0, 1));
    }

    #[test]
    fn epoch_voids_old_records() {
        let mut f = InsuranceFund::zeroed();
        f.balance = 0;
        f.total_shares = 5_000;
        f.pending_unstake_shares = 2_000;
        let mut old = InsuranceStake::zeroed();
        old.shares = 5_000;
        old.unstake_shares = 2_000;
        old.unstake_value_at_request = 2_000;
        old.unstake_requested_ts = 77;
        assert_eq!(live_shares(&old, &f), (5_000, 2_000));
        begin_epoch(&mut f).unwrap();
        assert_eq!(
            (f.total_shares, f.pending_unstake_shares, f.share_epoch),
            (0, 0, 1)
        );
        // Not yet synced: the view already counts nothing.
        assert_eq!(live_shares(&old, &f), (0, 0));
        assert!(sync_stake(&mut old, f.share_epoch));
        assert_eq!(
            (
                old.epoch,
                old.shares,
                old.unstake_shares,
                old.unstake_value_at_request,
                old.unstake_requested_ts
            ),
            (1, 0, 0, 0, 0)
        );
        // Already current: untouched.
        old.shares = 9;
        assert!(!sync_stake(&mut old, 1));
        assert_eq!(old.shares, 9);
    }

    /// A tiny nonzero balance under huge shares: dust under a broken price
    /// is wiped out; a balance above dust never is, and an unfittable
    /// deposit then gets a typed error, never MathOverflow or a panic.
    #[test]
    fn tiny_balance_and_overflow() {
        let usd = 1_000_000u64;
        // 1 atom under 5e9 shares: 5e9 shares per atom > 1e6: wiped out.
        assert!(is_wiped_out(1, 5_000 * usd, 1));
        let q = quote_stake(5_000 * usd, 5_000 * usd, 1).unwrap();
        // Fresh pricing over the 1 atom left: floor(5e9 / 2).
        assert_eq!(
            q,
            StakeQuote {
                new_epoch: true,
                shares: 2_500 * usd
            }
        );
        // Dust under a sane price (1 share per atom): not wiped out.
        assert!(!is_wiped_out(usd, usd, usd));
        // Dust whose price is sane but the deposit does not fit: wiped out.
        let (s, b) = (1_000_000 * usd, usd); // 1e6 + 1 shares per atom − ε
        assert!((s as u128 + 1) <= WIPEOUT_SHARES_PER_ATOM * (b as u128 + 1));
        assert!(!is_wiped_out(1_000 * usd, s, b));
        assert!(is_wiped_out(u64::MAX / 2, s, b));
        // Above dust, never: the deposit that does not fit is refused.
        let (s, b) = (u64::MAX / 2, 2 * usd);
        assert!(!is_wiped_out(u64::MAX, s, b));
        assert!(err_is(
            quote_stake(u64::MAX, s, b),
            ErrorCode::InsufficientShares
        ));
        // The extremes never panic or report MathOverflow.
        for &(a, s, b) in &[
            (u64::MAX, u64::MAX, 0),
            (u64::MAX, u64::MAX, 1),
            (u64::MAX, u64::MAX, u64::MAX),
            (u64::MAX, u64::MAX - 1, WIPEOUT_DUST_ATOMS + 1),
            (1, u64::MAX, WIPEOUT_DUST_ATOMS + 1),
        ] {
            match quote_stake(a, s, b) {
                Ok(q) => assert!(q.new_epoch || q.shares <= u64::MAX - s),
                Err(e) => assert!(err_is(Err::<(), _>(e), ErrorCode::InsufficientShares)),
            }
        }
        // Shares that just fit are issued.
        assert_eq!(
            shares_for_deposit(u64::MAX - 1, 1, 1).unwrap(),
            u64::MAX - 1
        );
        assert!(err_is(
            shares_for_deposit(u64::MAX, 1, 1),
            ErrorCode::InsufficientShares
        ));
        // Values never exceed the balance and never fail.
        assert_eq!(
            value_of_shares(u64::MAX, u64::MAX, u64::MAX).unwrap(),
            u64::MAX
        );
        assert_eq!(value_of_shares(u64::MAX, 0, 5).unwrap(), 5);
        assert_eq!(value_of_shares(5_000 * usd, 5_000 * usd, 0).unwrap(), 0);
    }

    #[test]
    fn request_window() {
        let cd = 7 * 24 * 3600;
        let w = UNSTAKE_WITHDRAW_WINDOW_SECS;
        assert_eq!(w, 2 * 24 * 3600);
        assert_eq!(unstake_lapses_at(100, cd).unwrap(), 100 + cd + w);
        assert!(err_is(
            require_withdrawable(100, cd, 100 + cd - 1),
            ErrorCode::CooldownNotOver
        ));
        assert!(require_withdrawable(100, cd, 100 + cd).is_ok());
        assert!(require_withdrawable(100, cd, 100 + cd + w - 1).is_ok());
        assert!(err_is(
            require_withdrawable(100, cd, 100 + cd + w),
            ErrorCode::UnstakeRequestLapsed
        ));
        assert!(!is_lapsed(100, cd, 100 + cd + w - 1).unwrap());
        assert!(is_lapsed(100, cd, 100 + cd + w).unwrap());
    }
}
