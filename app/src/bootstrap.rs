//! Applying a bootstrap config to the embedded chain: the collateral mint,
//! the exchange, the markets and (simulated) Pyth accounts.

use crate::chain::{EmbeddedChain, TxError};
use crate::config::BootstrapConfig;
use crate::ix;
use crate::pyth::{price_account_bytes, PythPrice};
use anchor_lang::prelude::Pubkey;
use bulwark::instructions::{CreateMarketArgs, InitializeExchangeArgs};
use solana_account::Account;
use solana_keypair::Keypair;
use solana_signer::Signer;

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

/// Mint, exchange and markets on the embedded chain; the chain's payer is
/// the admin.
pub async fn bootstrap(
    chain: &mut EmbeddedChain,
    cfg: &BootstrapConfig,
) -> Result<Deployment, String> {
    let err = |e: TxError| e.to_string();
    let mint = chain
        .create_mint(bulwark::math::QUOTE_DECIMALS)
        .await
        .map_err(err)?;
    let pyth_program = cfg.pyth_program()?;
    let admin = chain.payer_pubkey();
    let treasury = chain
        .create_token_account(&mint, &admin)
        .await
        .map_err(err)?;
    let args = InitializeExchangeArgs {
        treasury,
        pyth_program,
        timelock_secs: cfg.exchange.timelock_secs,
        bounds: cfg.bounds(),
    };
    chain
        .send(&[ix::initialize_exchange(&admin, &mint, args)], &[])
        .await
        .map_err(err)?;
    // The insurance ledger's ring buffer: created at 10 KiB, grown to size.
    chain
        .send(&[ix::init_insurance_ledger(&admin)], &[])
        .await
        .map_err(err)?;
    let full = 8 + core::mem::size_of::<bulwark::state::InsuranceLedger>();
    while chain.account_data(&ix::insurance_ledger_pda()).await.len() < full {
        chain
            .send(&[ix::grow_insurance_ledger()], &[])
            .await
            .map_err(err)?;
    }
    let now = chain.clock().await.unix_timestamp;
    let mut markets = Vec::new();
    for spec in &cfg.markets {
        let config = spec.market_config()?;
        let mut feeds = Vec::new();
        for f in &spec.oracle.feeds {
            let key = f.key()?;
            if f.address.is_none() {
                let p = PythPrice::usd(f.initial_price_usd, f.conf_usd, now);
                set_oracle(chain, &key, &pyth_program, &p);
            }
            feeds.push(key);
        }
        let market = Keypair::new();
        let size = bulwark::state::Market::account_size(spec.seat_capacity, spec.book_capacity);
        let lamports = chain.rent_exempt(size).await;
        let create = ix::create_market_account(
            &admin,
            &market.pubkey(),
            lamports,
            spec.seat_capacity,
            spec.book_capacity,
        );
        let args = CreateMarketArgs {
            name: spec.name_bytes(),
            seat_capacity: spec.seat_capacity,
            book_capacity: spec.book_capacity,
            config,
        };
        let init = ix::create_market(&admin, &market.pubkey(), &mint, args);
        chain.send(&[create, init], &[&market]).await.map_err(err)?;
        chain
            .send(&[ix::refresh_prices(&market.pubkey(), &feeds)], &[])
            .await
            .map_err(err)?;
        markets.push(DeployedMarket {
            name: spec.name.clone(),
            key: market.pubkey(),
            feeds,
        });
    }
    Ok(Deployment {
        collateral_mint: mint,
        treasury,
        pyth_program,
        markets,
    })
}
