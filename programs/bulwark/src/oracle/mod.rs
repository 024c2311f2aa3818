//! Reading Pyth price accounts. The bytes are parsed with pyth-sdk-solana;
//! the owner and key checks happen here, the price checks in
//! `engine::oracle`.

use crate::engine::oracle::FeedReading;
use crate::error::ErrorCode;
use crate::math::{Cast, SafeMath};
use anchor_lang::prelude::*;
use pyth_sdk_solana::state::{load_price_account, PriceStatus, SolanaPriceAccount};

/// Program precision is 1e-6 (price units); Pyth gives `price * 10^expo`.
const TARGET_EXPO: i32 = -6;

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

/// Reads one feed. Wrong key or foreign owner is a hard error (an attack or
/// a client bug); anything about the price itself is left to the engine.
pub fn read_feed(
    info: &AccountInfo,
    expected_key: &Pubkey,
    pyth_program: &Pubkey,
) -> Result<core::result::Result<FeedReading, ErrorCode>> {
    require_keys_eq!(*info.key, *expected_key, ErrorCode::WrongOracle);
    require_keys_eq!(*info.owner, *pyth_program, ErrorCode::OracleWrongOwner);
    let data = info.try_borrow_data()?;
    Ok(parse_price_account(&data))
}

/// Parses a Pyth v2 (Solana) price account from its bytes.
pub fn parse_price_account(data: &[u8]) -> core::result::Result<FeedReading, ErrorCode> {
    let acct: &SolanaPriceAccount =
        load_price_account::<32, ()>(data).map_err(|_| ErrorCode::OracleInvalidAccount)?;
    let bad = |_| ErrorCode::OracleInvalidAccount;
    let price = to_price_units(acct.agg.price, acct.expo).map_err(bad)?;
    let conf_raw: i64 = acct.agg.conf.cast().map_err(bad)?;
    let conf = to_price_units(conf_raw, acct.expo)
        .map_err(bad)?
        .unsigned_abs();
    Ok(FeedReading {
        price,
        // Round the confidence up by one unit when digits were cut, so a
        // truncated interval never looks tighter than it is.
        conf: if acct.expo < TARGET_EXPO {
            conf.saturating_add(1)
        } else {
            conf
        },
        publish_ts: acct.timestamp,
        trading: acct.agg.status == PriceStatus::Trading,
    })
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
