//! The trader, stake and market commands over RPC.

use bulwark_app::commands;
use bulwark_app::config::BootstrapConfig;
use bulwark_app::rpc::RpcChain;
use bulwark_app::trader;
use solana_signer::Signer;
use std::io::Write;

use crate::cli::*;

/// The signer's keypair and a checked connection to the cluster.
async fn connect(conn: &Conn) -> Result<(solana_keypair::Keypair, RpcChain), String> {
    let kp = conn.keypair()?;
    let chain = RpcChain::new(&conn.url(), kp.insecure_clone());
    chain.check_connection().await?;
    Ok((kp, chain))
}

/// The market a trading command acts on: `--market`, else the only one.
pub(crate) async fn market_arg(chain: &mut RpcChain, m: Option<String>) -> Result<String, String> {
    if let Some(m) = m {
        return Ok(m);
    }
    let all = bulwark_app::client::list_markets(chain).await;
    match all.as_slice() {
        [one] => Ok(one.key.to_string()),
        [] => Err("no market found on this cluster".into()),
        _ => Err(format!(
            "several markets: choose one with --market ({})",
            all.iter().map(|m| m.name()).collect::<Vec<_>>().join(", ")
        )),
    }
}

pub(crate) fn amount(usd: f64) -> Result<u64, String> {
    trader::usd_to_atoms(usd)
}

/// `--expiry`: unix seconds, or `+SECS` from the cluster's time.
pub(crate) async fn expiry_arg(chain: &mut RpcChain, e: Option<String>) -> Result<i64, String> {
    use bulwark_app::chain_trait::Chain;
    match e {
        None => Ok(0),
        Some(s) => match s.strip_prefix('+') {
            Some(rel) => {
                let secs: i64 = rel.parse().map_err(|_| format!("bad --expiry {s:?}"))?;
                Ok(chain.unix_time().await + secs)
            }
            None => s.parse().map_err(|_| format!("bad --expiry {s:?}")),
        },
    }
}

pub(crate) async fn trade_command(cmd: Cmd) -> Result<(), String> {
    let mut out = std::io::stdout();
    let out: &mut dyn Write = &mut out;
    match cmd {
        Cmd::Deposit {
            conn,
            common,
            amount: a,
            token,
        } => {
            let (kp, mut chain) = connect(&conn).await?;
            let m = market_arg(&mut chain, common.market.clone()).await?;
            let pick = common.pick();
            let r = trader::deposit(&mut chain, &kp, &m, amount(a)?, token, pick).await?;
            commands::emit(out, common.json, &r, |o, r| {
                writeln!(
                    o,
                    "deposited {:.6} USD into {} seat {} from {}; collateral now {:.6} USD",
                    r.amount, r.market, r.seat, r.token_account, r.collateral_after
                )
            })
        }
        Cmd::Withdraw {
            conn,
            common,
            amount: a,
            token,
        } => {
            let (kp, mut chain) = connect(&conn).await?;
            let m = market_arg(&mut chain, common.market.clone()).await?;
            let pick = common.pick();
            let r = trader::withdraw(&mut chain, &kp, &m, amount(a)?, token, pick).await?;
            commands::emit(out, common.json, &r, |o, r| {
                writeln!(
                    o,
                    "withdrew {:.6} USD from {} seat {} to {}; collateral now {:.6} USD",
                    r.amount, r.market, r.seat, r.token_account, r.collateral_after
                )
            })
        }
        Cmd::Order {
            conn,
            common,
            side,
            order_type,
            price,
            lots,
            reduce_only,
            client_id,
            expiry,
        } => {
            let (kp, mut chain) = connect(&conn).await?;
            let m = market_arg(&mut chain, common.market.clone()).await?;
            let req = trader::OrderRequest {
                side: trader::parse_side(&side)?,
                order_type: trader::parse_order_type(&order_type)?,
                price_usd: price,
                lots,
                reduce_only,
                client_order_id: client_id,
                expiry_ts: expiry_arg(&mut chain, expiry).await?,
            };
            let r = trader::place_order(&mut chain, &kp, &m, &req, common.pick()).await?;
            commands::emit(out, common.json, &r, |o, r| {
                writeln!(
                    o,
                    "{} {} {} lots on {}: filled {}, resting {} (order id {}); position {} -> {} lots",
                    r.order_type,
                    r.side,
                    r.lots,
                    r.market,
                    r.filled_lots,
                    r.rested_lots,
                    r.order_id,
                    r.position_before,
                    r.position_after
                )?;
                for f in &r.fills {
                    writeln!(
                        o,
                        "  fill {} lots @ {:.2} (fee {:.6} USD)",
                        f.lots, f.price, f.fee
                    )?;
                }
                Ok(())
            })
        }
        Cmd::Cancel {
            conn,
            common,
            order_id,
            client_id,
            all,
        } => {
            let which = match (order_id, client_id, all) {
                (Some(id), None, false) => trader::CancelWhich::OrderId(id),
                (None, Some(id), false) => trader::CancelWhich::ClientId(id),
                (None, None, true) => trader::CancelWhich::All,
                _ => return Err("give one of --order-id, --client-id or --all".into()),
            };
            let (kp, mut chain) = connect(&conn).await?;
            let m = market_arg(&mut chain, common.market.clone()).await?;
            let left = trader::cancel(&mut chain, &kp, &m, which, common.pick()).await?;
            commands::emit(
                out,
                common.json,
                &serde_json::json!({ "open_orders_left": left }),
                |o, _| writeln!(o, "cancelled; {left} order(s) of yours still rest"),
            )
        }
        Cmd::Positions {
            conn,
            owner,
            market,
            json,
        } => {
            let mut chain = conn.reader();
            chain.check_connection().await?;
            let owner = match owner {
                Some(o) => o,
                None => conn.keypair()?.pubkey(),
            };
            let ps = trader::positions(&mut chain, &owner, &market).await?;
            commands::emit(out, json, &ps, |o, ps| commands::print_positions(o, ps))
        }
        Cmd::Markets { conn, json } => {
            let mut chain = conn.reader();
            chain.check_connection().await?;
            let ms = trader::markets(&mut chain).await;
            commands::emit(out, json, &ms, |o, ms| commands::print_markets(o, ms))
        }
        Cmd::Stake {
            conn,
            amount: a,
            min_shares,
            token,
            json,
        } => {
            let (kp, mut chain) = connect(&conn).await?;
            let v = match a {
                Some(a) => trader::stake(&mut chain, &kp, amount(a)?, min_shares, token).await?,
                None => trader::stake_view(&mut chain, &kp.pubkey()).await?,
            };
            commands::emit(out, json, &v, |o, v| commands::print_stake(o, v))
        }
        Cmd::Unstake {
            conn,
            step,
            token,
            json,
        } => {
            let (kp, mut chain) = connect(&conn).await?;
            let v = match step {
                UnstakeStep::Request { shares } => {
                    trader::request_unstake(&mut chain, &kp, shares, token).await?
                }
                UnstakeStep::Withdraw => trader::withdraw_unstake(&mut chain, &kp, token).await?,
            };
            commands::emit(out, json, &v, |o, v| commands::print_stake(o, v))
        }
        Cmd::Bootstrap { conn, config, json } => {
            let cfg = BootstrapConfig::load(&config)?;
            let (kp, mut chain) = connect(&conn).await?;
            let opts = bulwark_app::apply::ApplyOptions {
                allow_new_mint: chain.is_local(),
            };
            let r = bulwark_app::apply::apply_config(&mut chain, &kp, &cfg, opts).await?;
            commands::emit(out, json, &r, |o, r| commands::print_apply(o, r))
        }
        Cmd::Simulate { .. }
        | Cmd::Keeper { .. }
        | Cmd::Audit { .. }
        | Cmd::Oracle { .. }
        | Cmd::Fund { .. }
        | Cmd::Keygen { .. } => {
            unreachable!("handled in main")
        }
    }
}
