//! Tools for a local cluster only (`bulwark oracle`, `bulwark fund`): price
//! accounts of the mock oracle (`programs/mock-oracle`) and test money.
//! Nothing here works on a public cluster: the mock oracle is deployed only
//! by `scripts/localnet`, and `fund` mints collateral, which only the mint's
//! authority (the admin of a localnet bootstrap) can.

use crate::chain_trait::Chain;
use crate::client::{self, describe_error};
use crate::pyth::{feed_id_hex, FeedFormat, PythPrice};
use anchor_lang::prelude::Pubkey;
use anchor_spl::token::spl_token;
use bulwark::state::FeedKind;
use mock_oracle::layout::{LegacyPrice, PriceUpdate};
use mock_oracle::Write as OracleWrite;
use pyth_sdk_solana::state::PriceStatus;
use serde::Serialize;
use solana_keypair::Keypair;
use solana_signer::Signer;

/// The mock-oracle write of `p` for a feed of `format`. A `publish_time`
/// of 0 means the validator's clock when the write lands.
pub fn oracle_write(format: &FeedFormat, p: &PythPrice) -> OracleWrite {
    match format.kind {
        FeedKind::PythLegacy => OracleWrite::Legacy(LegacyPrice {
            price: p.price,
            conf: p.conf,
            expo: p.expo,
            publish_time: p.publish_time,
            trading: p.status == PriceStatus::Trading,
        }),
        FeedKind::PythPull => OracleWrite::UpdateV2(PriceUpdate {
            write_authority: [0; 32],
            verification: p.verification,
            feed_id: format.feed_id,
            price: p.price,
            conf: p.conf,
            exponent: p.expo,
            publish_time: p.publish_time,
            prev_publish_time: p.publish_time,
            ema_price: p.price,
            ema_conf: p.conf,
            posted_slot: 0,
        }),
    }
}

/// What a feed account holds now, read back from its bytes.
#[derive(Clone, Debug, Serialize)]
pub struct FeedView {
    pub address: String,
    /// "legacy" or "pull".
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feed_id: Option<String>,
    pub owner: String,
}

/// The format of an existing mock feed, from its bytes: a legacy account by
/// its length, a pull update (and its feed id) by the program's own parser.
pub fn feed_format(data: &[u8]) -> Result<FeedFormat, String> {
    if data.len() == mock_oracle::layout::LEGACY_PRICE_LEN {
        return Ok(FeedFormat::LEGACY);
    }
    bulwark::oracle::pull::parse_price_update(data)
        .map(|u| FeedFormat::pull(u.feed_id))
        .map_err(|_| format!("not a mock-oracle price account ({} bytes)", data.len()))
}

/// Creates a mock feed account (a fresh keypair: the only key that can
/// move it) owned by the mock oracle, and writes its first price.
pub async fn create_feed<C: Chain>(
    chain: &mut C,
    format: &FeedFormat,
    p: &PythPrice,
) -> Result<Keypair, String> {
    let feed = Keypair::new();
    let w = oracle_write(format, p);
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
    p: &PythPrice,
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
        let format = feed_format(&acct.data)?;
        ixs.push(mock_oracle::write_ix(
            &feed.pubkey(),
            &oracle_write(&format, p),
        ));
        views.push(view(&feed.pubkey(), &format));
    }
    let signers: Vec<&Keypair> = feeds.iter().collect();
    chain
        .send(&ixs, &signers)
        .await
        .map_err(|e| format!("write the mock feeds: {}", describe_error(&e)))?;
    Ok(views)
}

pub fn view(address: &Pubkey, format: &FeedFormat) -> FeedView {
    FeedView {
        address: address.to_string(),
        kind: format.name(),
        feed_id: (format.kind == FeedKind::PythPull).then(|| feed_id_hex(&format.feed_id)),
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
    use mock_oracle::layout::Verification;

    #[test]
    fn writes_read_back_in_their_format() {
        let p = PythPrice::usd(65_000.0, 15.0, 9);
        for (format, verification) in [
            (FeedFormat::LEGACY, Verification::Full),
            (FeedFormat::pull([0xab; 32]), Verification::Full),
            (
                FeedFormat::pull([0xab; 32]),
                Verification::Partial { num_signatures: 5 },
            ),
        ] {
            let bytes = match oracle_write(&format, &PythPrice { verification, ..p }) {
                OracleWrite::Legacy(l) => mock_oracle::layout::legacy_price_account(&l),
                OracleWrite::UpdateV2(u) => mock_oracle::layout::price_update_v2_account(&u),
            };
            assert_eq!(feed_format(&bytes).unwrap(), format);
        }
        assert!(feed_format(&[0; 10]).is_err());
    }
}
