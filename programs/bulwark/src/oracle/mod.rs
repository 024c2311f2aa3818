//! Reading Pyth accounts, in the format each feed's config names
//! (`state::FeedKind`):
//!
//! - `PythLegacy` (`legacy.rs`): the legacy v2 push price account, parsed
//!   with pyth-sdk-solana, owned by `Exchange::pyth_program`;
//! - `PythPull` (`pull.rs`): the pull oracle's `PriceUpdateV2`, parsed by
//!   bytes, owned by `Exchange::pyth_receiver`, for the feed id in the
//!   market config, fully verified.
//!
//! The key, owner and feed-id checks happen here (hard errors); the price
//! checks (status, verification, staleness, confidence, deviation) in
//! `engine::oracle`.

pub mod legacy;
pub mod pull;

use crate::engine::oracle::FeedReading;
use crate::error::ErrorCode;
use crate::math::{Cast, SafeMath};
use crate::state::{Exchange, FeedKind};
use anchor_lang::prelude::*;

/// Program precision is 1e-6 (price units); Pyth gives `price * 10^expo`.
const TARGET_EXPO: i32 = -6;

/// The owners oracle accounts must have, from the exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OracleOwners {
    /// Owner of every legacy feed (`Exchange::pyth_program`).
    pub pyth_program: Pubkey,
    /// Owner of every pull feed (`Exchange::pyth_receiver`).
    pub pyth_receiver: Pubkey,
}

impl OracleOwners {
    pub fn of(ex: &Exchange) -> Self {
        Self {
            pyth_program: ex.pyth_program,
            pyth_receiver: ex.pyth_receiver,
        }
    }

    /// The owner a feed of `kind` must have.
    pub fn for_kind(&self, kind: FeedKind) -> &Pubkey {
        match kind {
            FeedKind::PythLegacy => &self.pyth_program,
            FeedKind::PythPull => &self.pyth_receiver,
        }
    }
}

/// Converts a Pyth value with exponent `expo` to 1e-6 precision. Extra digits
/// are truncated toward zero (an index has no trader side to favour; the
/// truncation is below 1e-6 USD).
pub fn to_price_units(value: i64, expo: i32) -> Result<i64> {
    let shift = expo - TARGET_EXPO;
    if shift >= 0 {
        let m = 10i64
            .checked_pow(shift as u32)
            .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
        value.safe_mul(m)
    } else {
        let d = 10i64
            .checked_pow((-shift) as u32)
            .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
        value.safe_div(d)
    }
}

/// A reading in program precision from a Pyth price, confidence and
/// exponent, the same for both formats. A value that does not convert
/// makes the account invalid.
pub fn to_reading(
    price: i64,
    conf: u64,
    expo: i32,
    publish_ts: i64,
    trading: bool,
) -> core::result::Result<FeedReading, ErrorCode> {
    let bad = |_| ErrorCode::OracleInvalidAccount;
    let price = to_price_units(price, expo).map_err(bad)?;
    let conf_raw: i64 = conf.cast().map_err(bad)?;
    let conf = to_price_units(conf_raw, expo).map_err(bad)?.unsigned_abs();
    Ok(FeedReading {
        price,
        // Round the confidence up by one unit when digits were cut, so a
        // truncated interval never looks tighter than it is.
        conf: if expo < TARGET_EXPO {
            conf.saturating_add(1)
        } else {
            conf
        },
        publish_ts,
        trading,
    })
}

/// Reads one feed of format `kind`. Wrong key, foreign owner (the owner
/// `kind` requires) or, for a pull feed, another feed id than `feed_id` is
/// a hard error (an attack or a client bug); anything about the price
/// itself — a partial verification included — is a reading error, left to
/// the engine.
pub fn read_feed(
    info: &AccountInfo,
    expected_key: &Pubkey,
    kind: FeedKind,
    feed_id: &[u8; 32],
    owners: &OracleOwners,
) -> Result<core::result::Result<FeedReading, ErrorCode>> {
    require_keys_eq!(*info.key, *expected_key, ErrorCode::WrongOracle);
    require_keys_eq!(
        *info.owner,
        *owners.for_kind(kind),
        ErrorCode::OracleWrongOwner
    );
    let data = info.try_borrow_data()?;
    match kind {
        FeedKind::PythLegacy => Ok(legacy::parse_price_account(&data)),
        FeedKind::PythPull => pull::read_price_update(&data, feed_id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_exponents() {
        assert_eq!(
            to_price_units(6_500_012_345_678, -8).unwrap(),
            65_000_123_456
        );
        assert_eq!(to_price_units(65_000, 0).unwrap(), 65_000_000_000);
        assert_eq!(to_price_units(123, -6).unwrap(), 123);
        assert!(to_price_units(i64::MAX, 5).is_err());
    }
}
