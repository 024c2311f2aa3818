//! `bulwark oracle` and `bulwark fund`: local-cluster tools over RPC.

use bulwark_app::chain_trait::Chain;
use bulwark_app::commands;
use bulwark_app::localnet;
use bulwark_app::pyth::{FeedFormat, PythPrice, Verification};
use bulwark_app::rpc::{self, RpcChain};
use pyth_sdk_solana::state::PriceStatus;
use solana_signer::Signer;
use std::io::Write;

use crate::cli::*;

/// The price a `bulwark oracle` command writes (exponent -8; publish time 0
/// = the validator's clock when the write lands).
async fn mock_price(chain: &mut RpcChain, a: &MockPriceArgs) -> Result<PythPrice, String> {
    for v in [a.price, a.conf] {
        if !v.is_finite() || v.abs() >= 9.2e10 {
            return Err(format!("{v}: not a price in USD"));
        }
    }
    let publish_time = match a.age {
        Some(age) => chain.unix_time().await - age,
        None => 0,
    };
    let mut p = PythPrice::usd(a.price, a.conf, publish_time);
    if a.halted {
        p.status = PriceStatus::Unknown;
    }
    if let Some(n) = a.partial {
        p.verification = Verification::Partial { num_signatures: n };
    }
    Ok(p)
}

fn print_feed(o: &mut dyn Write, v: &localnet::FeedView) -> std::io::Result<()> {
    writeln!(
        o,
        "{} feed {}{} (owner: the mock oracle {})",
        v.kind,
        v.address,
        v.feed_id
            .as_deref()
            .map(|f| format!(", feed id {f}"))
            .unwrap_or_default(),
        v.owner
    )
}

pub(crate) async fn localnet_command(cmd: Cmd, out: &mut dyn Write) -> Result<(), String> {
    match cmd {
        Cmd::Oracle { conn, step, json } => {
            let kp = conn.keypair()?;
            let mut chain = RpcChain::new(&conn.url(), kp.insecure_clone());
            chain.check_connection().await?;
            let views = match step {
                OracleStep::Create {
                    kind,
                    feed_id,
                    out: path,
                    price,
                } => {
                    let format = FeedFormat::parse(&kind, feed_id.as_deref())?;
                    let p = mock_price(&mut chain, &price).await?;
                    let feed = localnet::create_feed(&mut chain, &format, &p).await?;
                    rpc::write_keypair_file(&feed, &path)?;
                    return commands::emit(
                        out,
                        json,
                        &localnet::view(&feed.pubkey(), &format),
                        print_feed,
                    );
                }
                OracleStep::Set { feed, price } => {
                    let feeds = feed
                        .iter()
                        .map(|f| rpc::read_keypair_file(f))
                        .collect::<Result<Vec<_>, _>>()?;
                    let p = mock_price(&mut chain, &price).await?;
                    localnet::set_feeds(&mut chain, &feeds, &p).await?
                }
            };
            commands::emit(out, json, &views, |o, vs| {
                vs.iter().try_for_each(|v| print_feed(o, v))
            })
        }
        Cmd::Fund {
            conn,
            to,
            sol,
            usd,
            json,
        } => {
            let kp = conn.keypair()?;
            let mut chain = RpcChain::new(&conn.url(), kp.insecure_clone());
            chain.check_connection().await?;
            let r = localnet::fund(&mut chain, &kp, &to, sol, usd).await?;
            commands::emit(out, json, &r, |o, r| {
                writeln!(
                    o,
                    "sent {} SOL to {}, minted {:.6} USD to {}",
                    r.sol, r.to, r.usd, r.token_account
                )
            })
        }
        Cmd::Keygen { out: path, json } => {
            if path.exists() {
                return Err(format!("{}: exists (not overwritten)", path.display()));
            }
            let kp = solana_keypair::Keypair::new();
            rpc::write_keypair_file(&kp, &path)?;
            let v = serde_json::json!({
                "address": kp.pubkey().to_string(),
                "keypair": path.display().to_string(),
            });
            commands::emit(out, json, &v, |o, _| {
                writeln!(o, "{} written to {}", kp.pubkey(), path.display())
            })
        }
        _ => unreachable!("not a localnet command"),
    }
}
