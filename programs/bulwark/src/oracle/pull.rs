//! Pyth pull-oracle accounts: the Pyth Solana receiver's `PriceUpdateV2`,
//! parsed by bytes (no receiver SDK). The layout is borsh, as the receiver
//! writes it:
//!
//! | bytes | field |
//! | --- | --- |
//! | 8 | discriminator, sha256("account:PriceUpdateV2")[..8] |
//! | 32 | write_authority |
//! | 1 or 2 | verification_level: tag 0 = `Partial` + `num_signatures` u8, tag 1 = `Full` |
//! | 84 | price message: feed_id [u8; 32], price i64, conf u64, exponent i32, publish_time i64, prev_publish_time i64, ema_price i64, ema_conf u64 |
//! | 8 | posted_slot u64 |
//!
//! so the price message starts at [`MESSAGE_OFFSET_FULL`] (41) or
//! [`MESSAGE_OFFSET_PARTIAL`] (42); the account is [`LEN`] (134) bytes,
//! the last one unused after a `Full` level.

use super::to_reading;
use crate::engine::oracle::FeedReading;
use crate::error::ErrorCode;
use anchor_lang::prelude::*;

/// Anchor discriminator of `PriceUpdateV2`: sha256("account:PriceUpdateV2")[..8].
pub const DISCRIMINATOR: [u8; 8] = [34, 241, 35, 99, 157, 126, 244, 205];
/// `PriceUpdateV2::LEN` of the receiver SDK (room for a `Partial` level).
pub const LEN: usize = 8 + 32 + 2 + MESSAGE_LEN + 8;
/// Offset of the verification level's borsh tag.
pub const VERIFICATION_OFFSET: usize = 8 + 32;
/// Borsh tag of `VerificationLevel::Partial { num_signatures: u8 }`.
pub const VERIFICATION_PARTIAL: u8 = 0;
/// Borsh tag of `VerificationLevel::Full`.
pub const VERIFICATION_FULL: u8 = 1;
/// Offset of the price message after a `Full` level.
pub const MESSAGE_OFFSET_FULL: usize = VERIFICATION_OFFSET + 1;
/// Offset of the price message after a `Partial` level.
pub const MESSAGE_OFFSET_PARTIAL: usize = VERIFICATION_OFFSET + 2;
/// Bytes of the price message.
pub const MESSAGE_LEN: usize = 32 + 8 + 8 + 4 + 8 + 8 + 8 + 8;

/// The fields of a `PriceUpdateV2` that Bulwark reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PriceUpdate {
    /// The level is `Full`: every guardian signature was checked.
    pub fully_verified: bool,
    pub feed_id: [u8; 32],
    /// `price * 10^exponent`.
    pub price: i64,
    /// `conf * 10^exponent`.
    pub conf: u64,
    pub exponent: i32,
    /// unix seconds.
    pub publish_time: i64,
}

/// Little-endian fixed-size field at `at` (the caller checked the length).
fn field<const N: usize>(data: &[u8], at: usize) -> [u8; N] {
    let mut b = [0u8; N];
    b.copy_from_slice(&data[at..at + N]);
    b
}

/// Parses a `PriceUpdateV2` account's bytes. A wrong discriminator, an
/// unknown verification tag or data too short for its level (borsh reads
/// up to the posted slot) is `OracleInvalidAccount`.
pub fn parse_price_update(data: &[u8]) -> core::result::Result<PriceUpdate, ErrorCode> {
    use ErrorCode::OracleInvalidAccount as Bad;
    if data.len() <= VERIFICATION_OFFSET || data[..8] != DISCRIMINATOR {
        return Err(Bad);
    }
    let (fully_verified, m) = match data[VERIFICATION_OFFSET] {
        VERIFICATION_FULL => (true, MESSAGE_OFFSET_FULL),
        VERIFICATION_PARTIAL => (false, MESSAGE_OFFSET_PARTIAL),
        _ => return Err(Bad),
    };
    // The message and the posted slot must be there.
    if data.len() < m + MESSAGE_LEN + 8 {
        return Err(Bad);
    }
    Ok(PriceUpdate {
        fully_verified,
        feed_id: field(data, m),
        price: i64::from_le_bytes(field(data, m + 32)),
        conf: u64::from_le_bytes(field(data, m + 40)),
        exponent: i32::from_le_bytes(field(data, m + 48)),
        publish_time: i64::from_le_bytes(field(data, m + 52)),
    })
}

/// Reads a pull feed configured for `feed_id`. Another feed id is a hard
/// error (`OracleWrongFeedId`: the account's write authority can repost
/// any feed into it); a `Partial` verification is a reading error
/// (`OracleNotFullyVerified`), dropped from the median like a halted
/// feed. Price and confidence convert as for legacy feeds; a pull update
/// has no status, so it counts as trading.
pub fn read_price_update(
    data: &[u8],
    feed_id: &[u8; 32],
) -> Result<core::result::Result<FeedReading, ErrorCode>> {
    let u = match parse_price_update(data) {
        Ok(u) => u,
        Err(e) => return Ok(Err(e)),
    };
    require!(u.feed_id == *feed_id, ErrorCode::OracleWrongFeedId);
    if !u.fully_verified {
        return Ok(Err(ErrorCode::OracleNotFullyVerified));
    }
    Ok(to_reading(
        u.price,
        u.conf,
        u.exponent,
        u.publish_time,
        true,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reading error of a result, as its code (`None` if it is Ok).
    fn err<T>(r: core::result::Result<T, ErrorCode>) -> Option<u32> {
        r.err().map(u32::from)
    }

    const INVALID: Option<u32> =
        Some(anchor_lang::error::ERROR_CODE_OFFSET + ErrorCode::OracleInvalidAccount as u32);

    /// A `PriceUpdateV2` written by hand, field by field (the tests crate
    /// checks the mock oracle's writer against this parser too).
    fn bytes(level: &[u8], feed_id: [u8; 32], price: i64, conf: u64, expo: i32, t: i64) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&DISCRIMINATOR);
        v.extend_from_slice(&[5; 32]);
        v.extend_from_slice(level);
        v.extend_from_slice(&feed_id);
        v.extend_from_slice(&price.to_le_bytes());
        v.extend_from_slice(&conf.to_le_bytes());
        v.extend_from_slice(&expo.to_le_bytes());
        v.extend_from_slice(&t.to_le_bytes());
        v.extend_from_slice(&(t - 1).to_le_bytes());
        v.extend_from_slice(&(price + 1).to_le_bytes());
        v.extend_from_slice(&(conf + 1).to_le_bytes());
        v.extend_from_slice(&77u64.to_le_bytes());
        v.resize(LEN, 0);
        v
    }

    #[test]
    fn layout_constants() {
        assert_eq!(LEN, 134);
        assert_eq!(MESSAGE_LEN, 84);
        assert_eq!(MESSAGE_OFFSET_FULL, 41);
        assert_eq!(MESSAGE_OFFSET_PARTIAL, 42);
    }

    #[test]
    fn full_offsets() {
        let b = bytes(&[1], [9; 32], 6_500_012_345_678, 1_500_000_000, -8, 1_000);
        assert_eq!(b[40], VERIFICATION_FULL);
        assert_eq!(&b[41..73], &[9; 32]);
        assert_eq!(b[133], 0);
        let u = parse_price_update(&b).unwrap();
        assert_eq!(
            u,
            PriceUpdate {
                fully_verified: true,
                feed_id: [9; 32],
                price: 6_500_012_345_678,
                conf: 1_500_000_000,
                exponent: -8,
                publish_time: 1_000,
            }
        );
        let r = read_price_update(&b, &[9; 32]).unwrap().unwrap();
        assert_eq!(r.price, 65_000_123_456);
        // 15.00000000 USD; digits were cut, so one unit up.
        assert_eq!(r.conf, 15_000_001);
        assert_eq!(r.publish_ts, 1_000);
        assert!(r.trading);
        // Full uses 133 bytes: borsh accepts an account cut after the slot.
        assert!(parse_price_update(&b[..133]).is_ok());
        assert_eq!(err(parse_price_update(&b[..132])), INVALID);
    }

    #[test]
    fn partial_offsets() {
        let b = bytes(&[0, 7], [3; 32], 2_500, 4, -3, 50);
        assert_eq!(&b[40..42], &[VERIFICATION_PARTIAL, 7]);
        assert_eq!(&b[42..74], &[3; 32]);
        assert_eq!(u64::from_le_bytes(b[126..134].try_into().unwrap()), 77);
        let u = parse_price_update(&b).unwrap();
        assert!(!u.fully_verified);
        assert_eq!(
            (u.feed_id, u.price, u.conf, u.exponent, u.publish_time),
            ([3; 32], 2_500, 4, -3, 50)
        );
        assert_eq!(
            err(read_price_update(&b, &[3; 32]).unwrap()),
            Some(u32::from(ErrorCode::OracleNotFullyVerified))
        );
        assert_eq!(err(parse_price_update(&b[..133])), INVALID);
    }

    #[test]
    fn other_exponents_convert() {
        // 2.5 USD at exponent -3; 65,000 USD at exponent 0.
        let b = bytes(&[1], [1; 32], 2_500, 4, -3, 9);
        let r = read_price_update(&b, &[1; 32]).unwrap().unwrap();
        assert_eq!((r.price, r.conf), (2_500_000, 4_000));
        let b = bytes(&[1], [1; 32], 65_000, 2, 0, 9);
        let r = read_price_update(&b, &[1; 32]).unwrap().unwrap();
        assert_eq!((r.price, r.conf), (65_000_000_000, 2_000_000));
    }

    #[test]
    fn wrong_feed_id_is_a_hard_error() {
        let b = bytes(&[1], [3; 32], 1, 0, -8, 1);
        match read_price_update(&b, &[4; 32]) {
            Err(Error::AnchorError(e)) => {
                assert_eq!(e.error_code_number, u32::from(ErrorCode::OracleWrongFeedId))
            }
            other => panic!("expected OracleWrongFeedId, got {other:?}"),
        }
        // Even when the update is partial too.
        let b = bytes(&[0, 1], [3; 32], 1, 0, -8, 1);
        assert!(read_price_update(&b, &[4; 32]).is_err());
    }

    #[test]
    fn malformed_accounts_are_invalid() {
        let good = bytes(&[1], [3; 32], 1, 0, -8, 1);
        let mut wrong_disc = good.clone();
        wrong_disc[0] ^= 1;
        let mut bad_tag = good.clone();
        bad_tag[VERIFICATION_OFFSET] = 2;
        for b in [
            wrong_disc,
            bad_tag,
            good[..40].to_vec(),
            good[..8].to_vec(),
            vec![],
        ] {
            assert_eq!(err(read_price_update(&b, &[3; 32]).unwrap()), INVALID);
        }
        // A legacy account is not a price update.
        assert_eq!(
            err(parse_price_update(&[
                0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 0, 0, 3, 0, 0, 0
            ])),
            INVALID
        );
    }
}
