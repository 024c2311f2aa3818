//! The two Pyth account layouts, written byte for byte. Used by the mock
//! oracle program on a local validator and by the embedded chain and tests
//! (`bulwark-app`'s `pyth` module), so every test account has exactly the
//! bytes Pyth's own programs write. Bulwark's parser
//! (`bulwark::oracle`) reads them independently.

use pyth_sdk_solana::state::{
    AccountType, PriceInfo, PriceStatus, PriceType, SolanaPriceAccount, MAGIC, VERSION_2,
};

/// Size of a legacy Pyth v2 (Solana push) price account.
pub const LEGACY_PRICE_LEN: usize = core::mem::size_of::<SolanaPriceAccount>();

/// Anchor discriminator of the Pyth receiver's `PriceUpdateV2` account:
/// the first 8 bytes of sha256("account:PriceUpdateV2").
pub const PRICE_UPDATE_V2_DISCRIMINATOR: [u8; 8] = [34, 241, 35, 99, 157, 126, 244, 205];

/// `PriceUpdateV2::LEN` of the receiver SDK: discriminator 8, write
/// authority 32, verification level 2 (borsh: tag, then `num_signatures`
/// only for `Partial`), price message 84, posted slot 8.
pub const PRICE_UPDATE_V2_LEN: usize = 8 + 32 + 2 + 32 + 8 + 8 + 4 + 8 + 8 + 8 + 8 + 8;

/// A legacy (v2 push) aggregate price: `price * 10^expo`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LegacyPrice {
    pub price: i64,
    pub conf: u64,
    pub expo: i32,
    /// unix seconds.
    pub publish_time: i64,
    /// the aggregate status is Trading (else Unknown).
    pub trading: bool,
}

/// The bytes of a valid Pyth v2 price account holding `p`.
pub fn legacy_price_account(p: &LegacyPrice) -> Vec<u8> {
    let mut out = vec![0u8; LEGACY_PRICE_LEN];
    write_legacy_price(&mut out, p);
    out
}

/// Writes `p` into `dst` (exactly [`LEGACY_PRICE_LEN`] bytes).
pub fn write_legacy_price(dst: &mut [u8], p: &LegacyPrice) {
    let status = if p.trading {
        PriceStatus::Trading
    } else {
        PriceStatus::Unknown
    };
    write_legacy_price_with_status(dst, p, status);
}

/// Writes `p` into `dst` with the aggregate status `status`, which
/// overrides `p.trading` (tests write every status Pyth has).
pub fn write_legacy_price_with_status(dst: &mut [u8], p: &LegacyPrice, status: PriceStatus) {
    let mut acct: SolanaPriceAccount = bytemuck::Zeroable::zeroed();
    acct.magic = MAGIC;
    acct.ver = VERSION_2;
    acct.atype = AccountType::Price as u32;
    acct.size = LEGACY_PRICE_LEN as u32;
    acct.ptype = PriceType::Price;
    acct.expo = p.expo;
    acct.num = 1;
    acct.num_qt = 1;
    acct.timestamp = p.publish_time;
    acct.prev_timestamp = p.publish_time;
    acct.prev_price = p.price;
    acct.prev_conf = p.conf;
    acct.agg = PriceInfo {
        price: p.price,
        conf: p.conf,
        status,
        corp_act: Default::default(),
        pub_slot: 1,
    };
    dst.copy_from_slice(bytemuck::bytes_of(&acct));
}

/// How many Wormhole guardian signatures the receiver checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verification {
    Partial { num_signatures: u8 },
    Full,
}

/// A `PriceUpdateV2` account's fields (the receiver SDK's names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PriceUpdate {
    pub write_authority: [u8; 32],
    pub verification: Verification,
    pub feed_id: [u8; 32],
    pub price: i64,
    pub conf: u64,
    pub exponent: i32,
    /// unix seconds.
    pub publish_time: i64,
    pub prev_publish_time: i64,
    pub ema_price: i64,
    pub ema_conf: u64,
    pub posted_slot: u64,
}

/// The bytes of a `PriceUpdateV2` account holding `u` ([`PRICE_UPDATE_V2_LEN`]).
pub fn price_update_v2_account(u: &PriceUpdate) -> Vec<u8> {
    let mut out = vec![0u8; PRICE_UPDATE_V2_LEN];
    write_price_update_v2(&mut out, u);
    out
}

/// Writes `u` into `dst` (exactly [`PRICE_UPDATE_V2_LEN`] bytes), borsh
/// order, as the receiver does; a `Full` level leaves the last byte zero.
pub fn write_price_update_v2(dst: &mut [u8], u: &PriceUpdate) {
    dst.fill(0);
    let mut w = Writer { dst, at: 0 };
    w.put(&PRICE_UPDATE_V2_DISCRIMINATOR);
    w.put(&u.write_authority);
    match u.verification {
        Verification::Partial { num_signatures } => w.put(&[0, num_signatures]),
        Verification::Full => w.put(&[1]),
    }
    w.put(&u.feed_id);
    w.put(&u.price.to_le_bytes());
    w.put(&u.conf.to_le_bytes());
    w.put(&u.exponent.to_le_bytes());
    w.put(&u.publish_time.to_le_bytes());
    w.put(&u.prev_publish_time.to_le_bytes());
    w.put(&u.ema_price.to_le_bytes());
    w.put(&u.ema_conf.to_le_bytes());
    w.put(&u.posted_slot.to_le_bytes());
}

struct Writer<'a> {
    dst: &'a mut [u8],
    at: usize,
}

impl Writer<'_> {
    fn put(&mut self, b: &[u8]) {
        self.dst[self.at..self.at + b.len()].copy_from_slice(b);
        self.at += b.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn price_update_v2_offsets() {
        let u = PriceUpdate {
            write_authority: [7; 32],
            verification: Verification::Full,
            feed_id: [9; 32],
            price: -5,
            conf: 3,
            exponent: -8,
            publish_time: 100,
            prev_publish_time: 99,
            ema_price: 1,
            ema_conf: 2,
            posted_slot: 42,
        };
        let b = price_update_v2_account(&u);
        assert_eq!(b.len(), 134);
        assert_eq!(&b[..8], &PRICE_UPDATE_V2_DISCRIMINATOR);
        assert_eq!(b[40], 1);
        assert_eq!(&b[41..73], &[9; 32]);
        assert_eq!(i64::from_le_bytes(b[73..81].try_into().unwrap()), -5);
        assert_eq!(i32::from_le_bytes(b[89..93].try_into().unwrap()), -8);
        assert_eq!(u64::from_le_bytes(b[125..133].try_into().unwrap()), 42);
        assert_eq!(b[133], 0);
        let p = price_update_v2_account(&PriceUpdate {
            verification: Verification::Partial { num_signatures: 5 },
            ..u
        });
        assert_eq!(&p[40..42], &[0, 5]);
        assert_eq!(&p[42..74], &[9; 32]);
        assert_eq!(u64::from_le_bytes(p[126..134].try_into().unwrap()), 42);
    }

    #[test]
    fn legacy_parses_with_pyth_sdk() {
        let b = legacy_price_account(&LegacyPrice {
            price: 6_500_000_000_000,
            conf: 1_500_000_000,
            expo: -8,
            publish_time: 77,
            trading: true,
        });
        let acct = pyth_sdk_solana::state::load_price_account::<32, ()>(&b).unwrap();
        assert_eq!(acct.agg.price, 6_500_000_000_000);
        assert_eq!(acct.timestamp, 77);
        assert_eq!(acct.agg.status, PriceStatus::Trading);
    }
}

#[cfg(test)]
mod discriminator {
    #[test]
    fn is_sha256_of_the_account_name() {
        let h = solana_sha256_hasher::hash(b"account:PriceUpdateV2");
        assert_eq!(&h.to_bytes()[..8], &super::PRICE_UPDATE_V2_DISCRIMINATOR);
    }
}
