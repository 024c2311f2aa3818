//! Applying a bootstrap config to the embedded chain: the collateral mint,
//! the exchange, the markets and (simulated) Pyth accounts.

use crate::apply::{apply_config, ApplyOptions};
use crate::chain::EmbeddedChain;
use crate::config::BootstrapConfig;
use crate::pyth::{price_account_bytes, PythPrice};
use anchor_lang::prelude::Pubkey;
use solana_account::Account;
use std::str::FromStr;

pub struct DeployedMarket {
    pub name: String,
    pub key: Pubkey,
    pub feeds: Vec<Pubkey>,
}

pub struct Deployment {
    pub collateral_mint: Pubkey,
    /// Token account receiving the treasury's fee share (owned by the admin).
    pub treasury: Pubkey,
    pub pyth_program: Pubkey,
    pub markets: Vec<DeployedMarket>,
}

impl Deployment {
    pub fn market(&self, name: &str) -> &DeployedMarket {
        self.markets
            .iter()
            .find(|m| m.name == name)
            .expect("market in deployment")
    }
}

/// Writes a Pyth price account owned by `pyth_program`.
pub fn set_oracle(chain: &mut EmbeddedChain, feed: &Pubkey, pyth_program: &Pubkey, p: &PythPrice) {
    let data = price_account_bytes(p);
    let account = Account {
        lamports: 10_000_000,
        data,
        owner: *pyth_program,
        executable: false,
        rent_epoch: 0,
    };
    chain.set_account(feed, account);
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
        markets.push(DeployedMarket {
            name: m.name.clone(),
            key: key(&m.market)?,
            feeds: m.feeds.iter().map(|f| key(f)).collect::<Result<_, _>>()?,
        });
    }
    Ok(Deployment {
        collateral_mint: key(&report.collateral_mint)?,
        treasury: key(&report.treasury)?,
        pyth_program: cfg.pyth_program()?,
        markets,
    })
}
