//! Legacy Pyth v2 (Solana push) price accounts, parsed with pyth-sdk-solana.

use super::to_reading;
use crate::engine::oracle::FeedReading;
use crate::error::ErrorCode;
use pyth_sdk_solana::state::{load_price_account, PriceStatus, SolanaPriceAccount};

/// Parses a Pyth v2 (Solana) price account from its bytes.
pub fn parse_price_account(data: &[u8]) -> core::result::Result<FeedReading, ErrorCode> {
    let acct: &SolanaPriceAccount =
        load_price_account::<32, ()>(data).map_err(|_| ErrorCode::OracleInvalidAccount)?;
    to_reading(
        acct.agg.price,
        acct.agg.conf,
        acct.expo,
        acct.timestamp,
        acct.agg.status == PriceStatus::Trading,
    )
}
