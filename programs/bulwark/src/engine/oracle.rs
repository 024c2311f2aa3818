//! Index price from up to three oracle readings: each reading is checked
//! (status, age, confidence), the median of the valid ones is taken, feeds
//! too far from it are dropped, and the index is the median of the rest.

use crate::error::ErrorCode;
use crate::math::{SafeMath, BPS, MAX_ORACLE_FEEDS};
use crate::state::OracleConfig;
use anchor_lang::prelude::*;

/// One oracle reading, already converted to program precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeedReading {
    /// price units (1e-6 quote per base unit); may be <= 0 if the feed says so.
    pub price: i64,
    /// price units; the feed's confidence interval.
    pub conf: u64,
    /// unix seconds of publication.
    pub publish_ts: i64,
    /// the feed's aggregate status is Trading (legacy feeds; a pull update
    /// has no status and is always trading).
    pub trading: bool,
}

/// The index and how it was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexPrice {
    /// price units.
    pub price: u64,
    /// oldest publish time among the feeds used.
    pub publish_ts: i64,
    /// feeds that made the index.
    pub feeds_used: u8,
}

/// Checks one reading against the market's oracle limits.
pub fn check_reading(
    r: &FeedReading,
    cfg: &OracleConfig,
    now: i64,
) -> core::result::Result<u64, ErrorCode> {
    if !r.trading {
        return Err(ErrorCode::OracleNotTrading);
    }
    if r.price <= 0 {
        return Err(ErrorCode::OracleNonPositive);
    }
    if now.saturating_sub(r.publish_ts) > cfg.max_staleness_secs as i64 {
        return Err(ErrorCode::OracleStale);
    }
    let price = r.price as u64;
    // conf / price <= max_conf_bps / 1e4, without division (u64 × u16 fits u128).
    if (r.conf as u128) * (BPS as u128) > (price as u128) * (cfg.max_conf_bps as u128) {
        return Err(ErrorCode::OracleConfidenceTooWide);
    }
    Ok(price)
}

/// Median of 1–3 values; for two values the lower one (the conservative
/// choice needs no rounding and is always one of the feeds' own prices).
fn median(v: &mut [u64]) -> u64 {
    v.sort_unstable();
    match v.len() {
        3 => v[1],
        _ => v[0],
    }
}

/// Combines readings (in the market's feed order). A reading that fails its
/// checks is dropped; if too few remain, the error of the first failing
/// feed is returned, so a single-feed market reports exactly why it failed.
pub fn aggregate(
    readings: &[core::result::Result<FeedReading, ErrorCode>],
    cfg: &OracleConfig,
    now: i64,
) -> Result<IndexPrice> {
    require!(
        readings.len() == cfg.num_feeds as usize && readings.len() <= MAX_ORACLE_FEEDS,
        ErrorCode::OracleAccountsMismatch
    );
    let mut prices = [0u64; MAX_ORACLE_FEEDS];
    let mut times = [0i64; MAX_ORACLE_FEEDS];
    let mut n = 0usize;
    let mut first_err: Option<ErrorCode> = None;
    for r in readings {
        let checked = match r {
            Ok(r) => check_reading(r, cfg, now).map(|p| (p, r.publish_ts)),
            Err(e) => Err(*e),
        };
        match checked {
            Ok((p, ts)) => {
                prices[n] = p;
                times[n] = ts;
                n += 1;
            }
            Err(e) => {
                if first_err.is_none() {
                    first_err = Some(e);
                }
            }
        }
    }
    if n < cfg.min_feeds as usize || n == 0 {
        let code = first_err.unwrap_or(ErrorCode::OracleTooFewFeeds);
        msg!("oracle: {} of {} feeds usable", n, readings.len());
        return Err(error!(code));
    }
    let mut sorted = prices;
    let mid = median(&mut sorted[..n]);
    // Keep feeds within the deviation bound of the median.
    let mut kept = [0u64; MAX_ORACLE_FEEDS];
    let mut k = 0usize;
    let mut oldest = i64::MAX;
    for i in 0..n {
        let diff = prices[i].abs_diff(mid) as u128;
        let bound = (mid as u128).safe_mul(cfg.max_deviation_bps as u128)?;
        if diff.safe_mul(BPS as u128)? <= bound {
            kept[k] = prices[i];
            k += 1;
            oldest = oldest.min(times[i]);
        }
    }
    require!(k >= cfg.min_feeds as usize, ErrorCode::OracleTooFewFeeds);
    Ok(IndexPrice {
        price: median(&mut kept[..k]),
        publish_ts: oldest,
        feeds_used: k as u8,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(num: u8, min: u8) -> OracleConfig {
        OracleConfig {
            feeds: [Pubkey::default(); 3],
            max_staleness_secs: 30,
            max_conf_bps: 100,
            max_deviation_bps: 100,
            num_feeds: num,
            min_feeds: min,
            feed_kinds: [0; 3],
            padding: [0; 3],
            feed_ids: [[0; 32]; 3],
        }
    }

    fn r(price: i64) -> core::result::Result<FeedReading, ErrorCode> {
        Ok(FeedReading {
            price,
            conf: 1,
            publish_ts: 1_000,
            trading: true,
        })
    }

    fn code(e: Error) -> u32 {
        match e {
            Error::AnchorError(a) => a.error_code_number,
            _ => 0,
        }
    }

    #[test]
    fn median_of_three_and_outlier_dropped() {
        let c = cfg(3, 2);
        let idx = aggregate(&[r(100_000), r(100_500), r(99_900)], &c, 1_000).unwrap();
        assert_eq!(idx.price, 100_000);
        assert_eq!(idx.feeds_used, 3);
        // 150_000 is 50 % off: dropped; remaining two agree -> lower of the two.
        let idx = aggregate(&[r(100_000), r(150_000), r(100_400)], &c, 1_000).unwrap();
        assert_eq!(idx.feeds_used, 2);
        assert_eq!(idx.price, 100_000);
    }

    #[test]
    fn too_few_agreeing_feeds() {
        let c = cfg(3, 3);
        let e = aggregate(&[r(100_000), r(150_000), r(100_400)], &c, 1_000).unwrap_err();
        assert_eq!(code(e), u32::from(ErrorCode::OracleTooFewFeeds));
    }

    #[test]
    fn single_feed_reports_the_exact_reason() {
        let c = cfg(1, 1);
        let stale = Ok(FeedReading {
            price: 100,
            conf: 0,
            publish_ts: 900,
            trading: true,
        });
        assert_eq!(
            code(aggregate(&[stale], &c, 1_000).unwrap_err()),
            u32::from(ErrorCode::OracleStale)
        );
        let wide = Ok(FeedReading {
            price: 100_000,
            conf: 2_000,
            publish_ts: 1_000,
            trading: true,
        });
        assert_eq!(
            code(aggregate(&[wide], &c, 1_000).unwrap_err()),
            u32::from(ErrorCode::OracleConfidenceTooWide)
        );
        let halted = Ok(FeedReading {
            price: 100_000,
            conf: 0,
            publish_ts: 1_000,
            trading: false,
        });
        assert_eq!(
            code(aggregate(&[halted], &c, 1_000).unwrap_err()),
            u32::from(ErrorCode::OracleNotTrading)
        );
    }

    #[test]
    fn wrong_count_is_rejected() {
        assert!(aggregate(&[r(1), r(1)], &cfg(1, 1), 1_000).is_err());
    }
}
