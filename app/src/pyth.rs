//! Building Pyth v2 (Solana) price accounts, for the embedded chain and tests.

use pyth_sdk_solana::state::{
    AccountType, PriceInfo, PriceStatus, PriceType, SolanaPriceAccount, MAGIC, VERSION_2,
};

/// A price as Pyth publishes it: `price * 10^expo`.
#[derive(Clone, Copy, Debug)]
pub struct PythPrice {
    pub price: i64,
    pub conf: u64,
    pub expo: i32,
    /// unix seconds.
    pub publish_time: i64,
    pub status: PriceStatus,
}

impl PythPrice {
    /// A trading price in USD with Pyth's usual exponent -8.
    pub fn usd(usd: f64, conf_usd: f64, publish_time: i64) -> Self {
        Self {
            price: (usd * 1e8).round() as i64,
            conf: (conf_usd * 1e8).round() as u64,
            expo: -8,
            publish_time,
            status: PriceStatus::Trading,
        }
    }
}

/// The bytes of a valid Pyth v2 price account holding `p`.
pub fn price_account_bytes(p: &PythPrice) -> Vec<u8> {
    let mut acct: SolanaPriceAccount = bytemuck::Zeroable::zeroed();
    acct.magic = MAGIC;
    acct.ver = VERSION_2;
    acct.atype = AccountType::Price as u32;
    acct.size = core::mem::size_of::<SolanaPriceAccount>() as u32;
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
        status: p.status,
        corp_act: Default::default(),
        pub_slot: 1,
    };
    bytemuck::bytes_of(&acct).to_vec()
}
