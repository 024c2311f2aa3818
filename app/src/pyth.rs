//! Building Pyth accounts for the embedded chain and tests, in both formats
//! a feed may have (`bulwark::state::FeedKind`): the legacy v2 price account
//! and the pull oracle's `PriceUpdateV2`. The bytes come from the one
//! writer of each layout in the repository, `mock_oracle::layout` (the
//! program that moves prices on a local validator uses it too); Bulwark's
//! own parser reads them independently.

use bulwark::math::MAX_ORACLE_FEEDS;
use bulwark::state::{FeedKind, OracleConfig};
use mock_oracle::layout::{self, LegacyPrice, PriceUpdate};
use pyth_sdk_solana::state::PriceStatus;

pub use mock_oracle::layout::Verification;

/// A price as Pyth publishes it: `price * 10^expo`.
#[derive(Clone, Copy, Debug)]
pub struct PythPrice {
    pub price: i64,
    pub conf: u64,
    pub expo: i32,
    /// unix seconds.
    pub publish_time: i64,
    /// The aggregate status (legacy accounts only; a pull update has none).
    pub status: PriceStatus,
    /// The verification level (pull updates only).
    pub verification: Verification,
}

impl PythPrice {
    /// A trading, fully verified price in USD with Pyth's usual exponent -8.
    pub fn usd(usd: f64, conf_usd: f64, publish_time: i64) -> Self {
        Self {
            price: (usd * 1e8).round() as i64,
            conf: (conf_usd * 1e8).round() as u64,
            expo: -8,
            publish_time,
            status: PriceStatus::Trading,
            verification: Verification::Full,
        }
    }
}

/// The format one feed's account is written in: its kind and, for a pull
/// feed, the Pyth feed id the price message carries (zero for legacy).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeedFormat {
    pub kind: FeedKind,
    pub feed_id: [u8; 32],
}

impl FeedFormat {
    /// A legacy v2 price account.
    pub const LEGACY: Self = Self {
        kind: FeedKind::PythLegacy,
        feed_id: [0; 32],
    };

    /// A `PriceUpdateV2` for `feed_id`.
    pub fn pull(feed_id: [u8; 32]) -> Self {
        Self {
            kind: FeedKind::PythPull,
            feed_id,
        }
    }

    /// The format of feed `i` of a market's oracle config (legacy for an
    /// unknown kind, which `create_market` never accepts).
    pub fn of(cfg: &OracleConfig, i: usize) -> Self {
        match FeedKind::try_from(cfg.feed_kinds[i]) {
            Ok(FeedKind::PythPull) => Self::pull(cfg.feed_ids[i]),
            _ => Self::LEGACY,
        }
    }

    /// A format from the names a config or a command line uses: `kind`
    /// "legacy" (no feed id) or "pull" (a nonzero feed id: 64 hex digits).
    pub fn parse(kind: &str, feed_id: Option<&str>) -> Result<Self, String> {
        match (kind, feed_id) {
            ("legacy", None) => Ok(Self::LEGACY),
            ("legacy", Some(_)) => {
                Err("a legacy feed has no feed_id (kind = \"pull\" for a PriceUpdateV2)".into())
            }
            ("pull", Some(id)) => {
                let id = parse_feed_id(id)?;
                if id == [0; 32] {
                    return Err("a pull feed's feed_id must not be zero".into());
                }
                Ok(Self::pull(id))
            }
            ("pull", None) => Err("a pull feed needs its feed_id (0x and 64 hex digits)".into()),
            (k, _) => Err(format!("unknown kind {k:?} (\"legacy\" or \"pull\")")),
        }
    }

    /// "legacy" or "pull".
    pub fn name(&self) -> &'static str {
        match self.kind {
            FeedKind::PythLegacy => "legacy",
            FeedKind::PythPull => "pull",
        }
    }

    /// The formats of a market's feeds, in its feed order.
    pub fn all_of(cfg: &OracleConfig) -> Vec<Self> {
        (0..(cfg.num_feeds as usize).min(MAX_ORACLE_FEEDS))
            .map(|i| Self::of(cfg, i))
            .collect()
    }
}

/// The bytes of a valid Pyth v2 price account holding `p` (its status as
/// given).
pub fn price_account_bytes(p: &PythPrice) -> Vec<u8> {
    let mut out = vec![0u8; layout::LEGACY_PRICE_LEN];
    let legacy = LegacyPrice {
        price: p.price,
        conf: p.conf,
        expo: p.expo,
        publish_time: p.publish_time,
        trading: p.status == PriceStatus::Trading,
    };
    layout::write_legacy_price_with_status(&mut out, &legacy, p.status);
    out
}

/// The bytes of a `PriceUpdateV2` account for `feed_id` holding `p` (its
/// verification level as given; the EMA fields repeat the price).
pub fn price_update_bytes(p: &PythPrice, feed_id: &[u8; 32]) -> Vec<u8> {
    layout::price_update_v2_account(&PriceUpdate {
        write_authority: [0; 32],
        verification: p.verification,
        feed_id: *feed_id,
        price: p.price,
        conf: p.conf,
        exponent: p.expo,
        publish_time: p.publish_time,
        prev_publish_time: p.publish_time,
        ema_price: p.price,
        ema_conf: p.conf,
        posted_slot: 1,
    })
}

/// The bytes of a feed's account in its format.
pub fn feed_account_bytes(format: &FeedFormat, p: &PythPrice) -> Vec<u8> {
    match format.kind {
        FeedKind::PythLegacy => price_account_bytes(p),
        FeedKind::PythPull => price_update_bytes(p, &format.feed_id),
    }
}

/// A Pyth feed id from 64 hex digits, with or without `0x`.
pub fn parse_feed_id(s: &str) -> Result<[u8; 32], String> {
    let h = s.strip_prefix("0x").unwrap_or(s);
    if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "feed id {s:?}: expected 64 hex digits (32 bytes), with or without 0x"
        ));
    }
    let mut id = [0u8; 32];
    for (i, b) in id.iter_mut().enumerate() {
        *b = u8::from_str_radix(&h[2 * i..2 * i + 2], 16).expect("hex digits");
    }
    Ok(id)
}

/// `0x` and 64 lowercase hex digits.
pub fn feed_id_hex(id: &[u8; 32]) -> String {
    let mut s = String::with_capacity(66);
    s.push_str("0x");
    for b in id {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_ids_round_trip() {
        let hex = "e62df6c8b4a85fe1a67db44dc12de5db330f7ac66b72dc658afedf0f4a415b43";
        let id = parse_feed_id(hex).unwrap();
        assert_eq!(parse_feed_id(&format!("0x{hex}")).unwrap(), id);
        assert_eq!(parse_feed_id(&hex.to_uppercase()).unwrap(), id);
        assert_eq!(feed_id_hex(&id), format!("0x{hex}"));
        assert_eq!(id[0], 0xe6);
        let bad = [
            String::new(),
            "0x".into(),
            hex[2..].into(),
            format!("{hex}00"),
            format!("{}zz", &hex[2..]),
            format!("0x0x{}", &hex[4..]),
        ];
        for b in &bad {
            assert!(parse_feed_id(b).is_err(), "{b:?}");
        }
    }
}
