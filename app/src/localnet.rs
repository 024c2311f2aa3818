//! Tools for a local cluster only (`bulwark oracle`, `bulwark fund`): price
//! accounts of the mock oracle (`programs/mock-oracle`) and test money.
//! Nothing here works on a public cluster: the mock oracle is deployed only
//! by `scripts/localnet`, and `fund` mints collateral, which only the mint's
//! authority (the admin of a localnet bootstrap) can.

use crate::chain_trait::Chain;
use crate::client::{self, describe_error};
use anchor_lang::prelude::Pubkey;
use anchor_spl::token::spl_token;
use mock_oracle::layout::{LegacyPrice, PriceUpdate, Verification};
use mock_oracle::Write as OracleWrite;
use serde::Serialize;
use solana_keypair::Keypair;
use solana_signer::Signer;

/// Which Pyth layout a mock feed holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedFormat {
    /// Pyth's legacy v2 push price account.
    Legacy,
    /// The Pyth receiver's `PriceUpdateV2` (pull oracle).
    Pull,
}

impl std::str::FromStr for FeedFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "legacy" => Ok(FeedFormat::Legacy),
            "pull" => Ok(FeedFormat::Pull),
            _ => Err(format!("feed kind {s:?}: legacy or pull")),
        }
    }
}

/// A price to write, in USD (written with exponent -8, Pyth's usual one).
#[derive(Clone, Copy, Debug)]
pub struct MockPrice {
    pub usd: f64,
    pub conf_usd: f64,
    /// unix seconds; `None` = the validator's clock when the write lands.
    pub publish_time: Option<i64>,
    /// legacy: aggregate status Trading; pull: ignored.
    pub trading: bool,
    /// pull: `Some(n)` writes a `Partial { num_signatures: n }` update.
    pub partial: Option<u8>,
}

const EXPO: i32 = -8;

fn scaled(usd: f64) -> Result<i64, String> {
    let v = (usd * 1e8).round();
    if !v.is_finite() || v.abs() >= i64::MAX as f64 {
        return Err(format!("price {usd} out of range"));
    }
    Ok(v as i64)
}

/// The mock-oracle write of `p` for a feed of `format` (`feed_id` for pull).
pub fn oracle_write(
    format: FeedFormat,
    feed_id: [u8; 32],
    p: &MockPrice,
) -> Result<OracleWrite, String> {
    let price = scaled(p.usd)?;
    let conf = scaled(p.conf_usd)?.unsigned_abs();
    let publish_time = p.publish_time.unwrap_or(0);
    Ok(match format {
        FeedFormat::Legacy => OracleWrite::Legacy(LegacyPrice {
            price,
            conf,
            expo: EXPO,
            publish_time,
            trading: p.trading,
        }),
        FeedFormat::Pull => OracleWrite::UpdateV2(PriceUpdate {
            write_authority: [0; 32],
            verification: match p.partial {
                Some(n) => Verification::Partial { num_signatures: n },
                None => Verification::Full,
            },
            feed_id,
            price,
            conf,
            exponent: EXPO,
            publish_time,
            prev_publish_time: publish_time,
            ema_price: price,
            ema_conf: conf,
            posted_slot: 0,
        }),
    })
}

/// Parses a Pyth feed id: 64 hex digits, with or without `0x`.
pub fn parse_feed_id(s: &str) -> Result<[u8; 32], String> {
    let h = s.strip_prefix("0x").unwrap_or(s);
    if h.len() != 64 {
        return Err(format!("feed id {s:?}: 64 hex digits"));
    }
    let mut id = [0u8; 32];
    for (i, b) in id.iter_mut().enumerate() {
        *b = u8::from_str_radix(&h[2 * i..2 * i + 2], 16)
            .map_err(|_| format!("feed id {s:?}: not hex"))?;
    }
    Ok(id)
}

/// What a feed account holds now, read back from its bytes.
#[derive(Clone, Debug, Serialize)]
pub struct FeedView {
    pub address: String,
    pub kind: FeedFormat,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feed_id: Option<String>,
    pub owner: String,
}

/// The format (and feed id) of an existing mock feed, from its length and
/// bytes.
pub fn feed_format(data: &[u8]) -> Result<(FeedFormat, [u8; 32]), String> {
    use mock_oracle::layout::*;
    match data.len() {
        LEGACY_PRICE_LEN => Ok((FeedFormat::Legacy, [0; 32])),
        PRICE_UPDATE_V2_LEN if data[..8] == PRICE_UPDATE_V2_DISCRIMINATOR => {
            // Full: the message starts after the one-byte level; Partial:
            // after the level and its signature count.
            let at = if data[40] == 1 { 41 } else { 42 };
            Ok((
                FeedFormat::Pull,
                data[at..at + 32].try_into().expect("32 bytes"),
            ))
        }
        n => Err(format!("not a mock-oracle price account ({n} bytes)")),
    }
}

/// Creates a mock feed account (a fresh keypair: the only key that can
/// move it) owned by the mock oracle, and writes its first price.
pub async fn create_feed<C: Chain>(
    chain: &mut C,
    format: FeedFormat,
    feed_id: [u8; 32],
    p: &MockPrice,
) -> Result<Keypair, String> {
    let feed = Keypair::new();
    let w = oracle_write(format, feed_id, p)?;
    let len = w.account_len();
    let lamports = chain.minimum_balance(len).await;
    let ixs = [
        solana_system_interface::instruction::create_account(
            &chain.payer_key(),
            &feed.pubkey(),
            lamports,
            len as u64,
            &mock_oracle::ID,
        ),
        mock_oracle::write_ix(&feed.pubkey(), &w),
    ];
    chain
        .send(&ixs, &[&feed])
        .await
        .map_err(|e| format!("create the mock feed: {}", describe_error(&e)))?;
    Ok(feed)
}

/// Writes `p` into existing mock feeds (their keypairs sign), each keeping
/// its format and feed id, in one transaction: a market's feeds move
/// together, as the same price published by several sources would.
pub async fn set_feeds<C: Chain>(
    chain: &mut C,
    feeds: &[Keypair],
    p: &MockPrice,
) -> Result<Vec<FeedView>, String> {
    let mut ixs = Vec::new();
    let mut views = Vec::new();
    for feed in feeds {
        let acct = chain
            .account(&feed.pubkey())
            .await
            .ok_or_else(|| format!("feed {}: no such account", feed.pubkey()))?;
        if acct.owner != mock_oracle::ID {
            return Err(format!(
                "feed {} is owned by {}, not the mock oracle {}",
                feed.pubkey(),
                acct.owner,
                mock_oracle::ID
            ));
        }
        let (format, feed_id) = feed_format(&acct.data)?;
        let w = oracle_write(format, feed_id, p)?;
        ixs.push(mock_oracle::write_ix(&feed.pubkey(), &w));
        views.push(view(&feed.pubkey(), format, feed_id));
    }
    let signers: Vec<&Keypair> = feeds.iter().collect();
    chain
        .send(&ixs, &signers)
        .await
        .map_err(|e| format!("write the mock feeds: {}", describe_error(&e)))?;
    Ok(views)
}

pub fn view(address: &Pubkey, format: FeedFormat, feed_id: [u8; 32]) -> FeedView {
    FeedView {
        address: address.to_string(),
        kind: format,
        feed_id: (format == FeedFormat::Pull).then(|| {
            let hex: String = feed_id.iter().map(|b| format!("{b:02x}")).collect();
            format!("0x{hex}")
        }),
        owner: mock_oracle::ID.to_string(),
    }
}

/// What `fund` did.
#[derive(Clone, Debug, Serialize)]
pub struct FundReport {
    pub to: String,
    pub sol: f64,
    pub usd: f64,
    pub token_account: String,
}

/// Sends `sol` SOL from the payer to `to` and mints `usd` of collateral to
/// its associated token account (created if missing); `mint_authority`
/// must be the collateral mint's authority (a localnet bootstrap's admin).
pub async fn fund<C: Chain>(
    chain: &mut C,
    mint_authority: &Keypair,
    to: &Pubkey,
    sol: f64,
    usd: f64,
) -> Result<FundReport, String> {
    let ex = client::exchange(chain)
        .await
        .ok_or("no exchange on this cluster (run bulwark bootstrap first)")?;
    let mint = ex.collateral_mint;
    let ata = client::associated_token_address(to, &mint);
    let mut ixs = Vec::new();
    if sol > 0.0 {
        ixs.push(solana_system_interface::instruction::transfer(
            &chain.payer_key(),
            to,
            (sol * 1e9).round() as u64,
        ));
    }
    ixs.push(client::create_associated_token_account_idempotent(
        &chain.payer_key(),
        to,
        &mint,
    ));
    if usd > 0.0 {
        ixs.push(
            spl_token::instruction::mint_to(
                &spl_token::ID,
                &mint,
                &ata,
                &mint_authority.pubkey(),
                &[],
                crate::trader::usd_to_atoms(usd)?,
            )
            .map_err(|e| e.to_string())?,
        );
    }
    chain
        .send(&ixs, &[mint_authority])
        .await
        .map_err(|e| format!("fund {to}: {}", describe_error(&e)))?;
    Ok(FundReport {
        to: to.to_string(),
        sol,
        usd,
        token_account: ata.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_ids_and_formats() {
        let id = parse_feed_id(&format!("0x{}", "ab".repeat(32))).unwrap();
        assert_eq!(id, [0xab; 32]);
        assert!(parse_feed_id("0x12").is_err());
        assert!(parse_feed_id(&"zz".repeat(32)).is_err());
        let p = MockPrice {
            usd: 65_000.0,
            conf_usd: 15.0,
            publish_time: Some(9),
            trading: true,
            partial: None,
        };
        for (format, partial) in [
            (FeedFormat::Legacy, None),
            (FeedFormat::Pull, None),
            (FeedFormat::Pull, Some(5)),
        ] {
            let w = oracle_write(format, id, &MockPrice { partial, ..p }).unwrap();
            let bytes = match w {
                OracleWrite::Legacy(l) => mock_oracle::layout::legacy_price_account(&l),
                OracleWrite::UpdateV2(u) => mock_oracle::layout::price_update_v2_account(&u),
            };
            let (f, fid) = feed_format(&bytes).unwrap();
            assert_eq!(f, format);
            if format == FeedFormat::Pull {
                assert_eq!(fid, id);
            }
        }
    }
}
