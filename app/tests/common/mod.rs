//! Shared setup for the app's end-to-end tests on the embedded chain.
#![allow(dead_code)]

use anchor_lang::prelude::Pubkey;
use bulwark::engine::book::Side;
use bulwark::engine::trade::OrderType;
use bulwark_app::bootstrap::{bootstrap, set_oracle, Deployment};
use bulwark_app::client;
use bulwark_app::config::{usd, BootstrapConfig};
use bulwark_app::pyth::PythPrice;
use bulwark_app::{ix, trader, EmbeddedChain};
use solana_keypair::Keypair;
use solana_signer::Signer;

pub fn repo_path(rel: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(rel)
}

pub fn localnet() -> BootstrapConfig {
    BootstrapConfig::load(&repo_path("migrations/localnet.toml")).expect("config")
}

pub async fn setup() -> (EmbeddedChain, Deployment) {
    let mut chain = EmbeddedChain::start(vec![]).await;
    let dep = bootstrap(&mut chain, &localnet()).await.expect("bootstrap");
    (chain, dep)
}

/// A wallet with SOL and `usd_amount` of collateral in its associated
/// token account.
pub async fn wallet(chain: &mut EmbeddedChain, dep: &Deployment, usd_amount: f64) -> Keypair {
    let kp = Keypair::new();
    chain.airdrop(&kp.pubkey(), 1_000_000_000).await.unwrap();
    let payer = chain.payer_pubkey();
    chain
        .send(
            &[client::create_associated_token_account_idempotent(
                &payer,
                &kp.pubkey(),
                &dep.collateral_mint,
            )],
            &[],
        )
        .await
        .unwrap();
    let ata = client::associated_token_address(&kp.pubkey(), &dep.collateral_mint);
    chain
        .mint_to(&dep.collateral_mint, &ata, usd(usd_amount))
        .await
        .unwrap();
    kp
}

/// Sets every feed of the first market to `price` at the chain's time.
pub async fn set_price(chain: &mut EmbeddedChain, dep: &Deployment, price: f64) {
    let now = chain.clock().await.unix_timestamp;
    for f in &dep.markets[0].feeds {
        set_oracle(chain, dep, f, &PythPrice::usd(price, price * 1e-4, now));
    }
    chain
        .send(
            &[ix::refresh_prices(
                &dep.markets[0].key,
                &dep.markets[0].feeds,
            )],
            &[],
        )
        .await
        .unwrap();
}

/// The maker cancels everything and quotes `levels` post-only levels each
/// side around `mid`, `lots` each, 0.05 % apart.
pub async fn quote(chain: &mut EmbeddedChain, maker: &Keypair, mid: f64, levels: u32, lots: u64) {
    let _ = trader::cancel(
        chain,
        maker,
        "BTC-PERP",
        trader::CancelWhich::All,
        bulwark_app::trader::SeatPick::First,
    )
    .await;
    for l in 0..levels {
        let off = mid * 0.0005 * (l + 1) as f64;
        for (side, px) in [(Side::Bid, mid - off), (Side::Ask, mid + off)] {
            let px = (px * 10.0).round() / 10.0;
            trader::place_order(
                chain,
                maker,
                "BTC-PERP",
                &trader::OrderRequest {
                    side,
                    order_type: OrderType::PostOnly,
                    price_usd: Some(px),
                    lots,
                    reduce_only: false,
                    client_order_id: 0,
                    expiry_ts: 0,
                },
                bulwark_app::trader::SeatPick::First,
            )
            .await
            .expect("maker quote");
        }
    }
}

pub async fn market_buy(
    chain: &mut EmbeddedChain,
    kp: &Keypair,
    lots: u64,
) -> trader::OrderReceipt {
    trader::place_order(
        chain,
        kp,
        "BTC-PERP",
        &trader::OrderRequest {
            side: Side::Bid,
            order_type: OrderType::Market,
            price_usd: None,
            lots,
            reduce_only: false,
            client_order_id: 0,
            expiry_ts: 0,
        },
        bulwark_app::trader::SeatPick::First,
    )
    .await
    .expect("market buy")
}

pub async fn protocol_stake(chain: &mut EmbeddedChain, dep: &Deployment, usd_amount: f64) {
    let admin = chain.payer_pubkey();
    let token = chain
        .create_token_account(&dep.collateral_mint, &admin)
        .await
        .unwrap();
    chain
        .mint_to(&dep.collateral_mint, &token, usd(usd_amount))
        .await
        .unwrap();
    chain
        .send(
            &[ix::stake(
                &admin,
                &ix::exchange_pda(),
                &token,
                usd(usd_amount),
                0,
            )],
            &[],
        )
        .await
        .unwrap();
}

pub fn key_of(dep: &Deployment) -> Pubkey {
    dep.markets[0].key
}
