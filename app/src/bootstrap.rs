//! Applying a bootstrap config to the embedded chain: the collateral mint,
//! the exchange, the markets and (simulated) Pyth accounts.

use crate::apply::{apply_config, ApplyOptions};
use crate::chain::EmbeddedChain;
use crate::config::BootstrapConfig;
use crate::pyth::{feed_account_bytes, FeedFormat, PythPrice};
use anchor_lang::prelude::Pubkey;
use bulwark::oracle::OracleOwners;
use bulwark::state::{FeedKind, MarketRef};
use solana_account::Account;
use std::str::FromStr;

pub struct DeployedMarket {
    pub name: String,
    pub key: Pubkey,
    pub feeds: Vec<Pubkey>,
    /// Each feed's format (kind and feed id), as the market's config on
    /// chain says, in the order of `feeds`.
    pub formats: Vec<FeedFormat>,
}

pub struct Deployment {
    pub collateral_mint: Pubkey,
    /// Token account receiving the treasury's fee share (owned by the admin).
    pub treasury: Pubkey,
    /// Owner of the legacy feeds.
    pub pyth_program: Pubkey,
    /// Owner of the pull feeds.
    pub pyth_receiver: Pubkey,
    pub markets: Vec<DeployedMarket>,
}

impl Deployment {
    pub fn market(&self, name: &str) -> &DeployedMarket {
        self.markets
            .iter()
            .find(|m| m.name == name)
            .expect("market in deployment")
    }

    /// The format of `feed` in the first market that reads it (legacy for
    /// an account no market reads).
    pub fn feed_format(&self, feed: &Pubkey) -> FeedFormat {
        self.markets
            .iter()
            .find_map(|m| {
                let i = m.feeds.iter().position(|f| f == feed)?;
                m.formats.get(i).copied()
            })
            .unwrap_or(FeedFormat::LEGACY)
    }

    /// The owner a feed of `kind` must have (the program's own rule).
    pub fn feed_owner(&self, kind: FeedKind) -> Pubkey {
        *OracleOwners {
            pyth_program: self.pyth_program,
            pyth_receiver: self.pyth_receiver,
        }
        .for_kind(kind)
    }
}

/// Writes a Pyth account in `format` holding `p`, owned by `owner`.
pub fn write_feed(
    chain: &mut EmbeddedChain,
    feed: &Pubkey,
    owner: &Pubkey,
    format: &FeedFormat,
    p: &PythPrice,
) {
    let account = Account {
        lamports: 10_000_000,
        data: feed_account_bytes(format, p),
        owner: *owner,
        executable: false,
        rent_epoch: 0,
    };
    chain.set_account(feed, account);
}

/// Writes `p` into `feed` in the format its market configures: a legacy
/// price account owned by the Pyth program, or a `PriceUpdateV2` for the
/// configured feed id owned by the Pyth receiver.
pub fn set_oracle(chain: &mut EmbeddedChain, dep: &Deployment, feed: &Pubkey, p: &PythPrice) {
    let format = dep.feed_format(feed);
    write_feed(chain, feed, &dep.feed_owner(format.kind), &format, p);
}

/// Mint, exchange, insurance ledger and markets on the embedded chain; the
/// chain's payer is the admin. The same idempotent code as `bulwark
/// bootstrap` (`apply::apply_config`), on a fresh chain.
pub async fn bootstrap(
    chain: &mut EmbeddedChain,
    cfg: &BootstrapConfig,
) -> Result<Deployment, String> {
    let admin = chain.payer().insecure_clone();
    let opts = ApplyOptions {
        allow_new_mint: true,
    };
    let report = apply_config(chain, &admin, cfg, opts).await?;
    let key = |s: &str| Pubkey::from_str(s).map_err(|e| format!("{s}: {e}"));
    let mut markets = Vec::new();
    for m in &report.markets {
        let market = key(&m.market)?;
        let data = chain.account_data(&market).await;
        let view = MarketRef::from_bytes(&data).map_err(|e| format!("{}: {e}", m.name))?;
        markets.push(DeployedMarket {
            name: m.name.clone(),
            key: market,
            feeds: m.feeds.iter().map(|f| key(f)).collect::<Result<_, _>>()?,
            formats: FeedFormat::all_of(&view.header.config.oracle),
        });
    }
    Ok(Deployment {
        collateral_mint: key(&report.collateral_mint)?,
        treasury: key(&report.treasury)?,
        pyth_program: cfg.pyth_program()?,
        pyth_receiver: cfg.pyth_receiver()?,
        markets,
    })
}
