//! The `bulwark` CLI.

use anchor_lang::prelude::Pubkey;
use bulwark_app::commands;
use bulwark_app::config::BootstrapConfig;
use bulwark_app::keeper_loop::{self, Health, KeeperOptions};
use bulwark_app::rpc::{self, RpcChain};
use bulwark_app::simulate::{self, Scenario};
use bulwark_app::trader;
use clap::{Args, Parser, Subcommand};
use solana_keypair::Keypair;
use solana_signer::Signer;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

#[derive(Parser)]
#[command(
    name = "bulwark",
    version,
    about = "Bulwark perpetual-futures exchange: simulate, keeper, audit, trade"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

/// Cluster and wallet, with the Solana CLI's conventions and defaults.
#[derive(Args, Clone)]
struct Conn {
    /// RPC URL or moniker: l/localhost, d/devnet, m/mainnet-beta, t/testnet
    /// [default: json_rpc_url of ~/.config/solana/cli/config.yml, else localhost]
    #[arg(long, short = 'u')]
    url: Option<String>,
    /// Keypair file (JSON array of 64 bytes)
    /// [default: keypair_path of the CLI config, else ~/.config/solana/id.json]
    #[arg(long, short = 'k')]
    keypair: Option<PathBuf>,
    /// The Solana CLI config file to take defaults from.
    #[arg(long, value_name = "FILE")]
    solana_config: Option<PathBuf>,
}

impl Conn {
    fn url(&self) -> String {
        rpc::resolve_url(self.url.as_deref(), self.solana_config.as_deref())
    }
    fn keypair(&self) -> Result<Keypair, String> {
        let p = rpc::resolve_keypair_path(self.keypair.as_deref(), self.solana_config.as_deref());
        rpc::read_keypair_file(&p)
    }
    /// A chain for reading only: the wallet if there is one, else a
    /// throwaway key (nothing is signed).
    fn reader(&self) -> RpcChain {
        RpcChain::new(
            &self.url(),
            self.keypair().unwrap_or_else(|_| Keypair::new()),
        )
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a scenario on an embedded in-process chain.
    Simulate {
        /// Scenario: calm, collateral, crash, gap-crash or crash-socialized.
        #[arg(long, default_value = "calm")]
        scenario: Scenario,
        /// Bootstrap config.
        #[arg(
            long,
            env = "BULWARK_CONFIG",
            default_value = "migrations/localnet.toml"
        )]
        config: PathBuf,
        /// Print one JSON object instead of the timeline.
        #[arg(long)]
        json: bool,
        /// A scenario file (TOML: market overrides, traders, price path;
        /// see app/scenarios/); replaces --scenario.
        #[arg(long, value_name = "FILE")]
        scenario_file: Option<PathBuf>,
        /// Write a self-contained HTML report with charts.
        #[arg(long, value_name = "FILE.html")]
        report: Option<PathBuf>,
        /// Write the exchange, insurance fund, ledger and market accounts
        /// (base64 JSON) and the values to expect from them into DIR.
        #[arg(long, value_name = "DIR")]
        dump_accounts: Option<PathBuf>,
        /// No progress lines on stderr.
        #[arg(long)]
        quiet: bool,
    },
    /// Run the keeper bot: liquidation, takeover, insurance cover, ADL,
    /// funding, fee sweeps, tightening and insurance audits.
    Keeper {
        #[command(flatten)]
        conn: Conn,
        /// Market name or address (repeatable); default: every market.
        #[arg(long)]
        market: Vec<String>,
        /// Milliseconds between rounds.
        #[arg(long, default_value_t = 2_000)]
        interval_ms: u64,
        /// Port of the /health endpoint on 127.0.0.1 (0 = any free port).
        #[arg(long, default_value_t = 8_787)]
        health_port: u16,
        /// Stop after this many rounds.
        #[arg(long)]
        max_rounds: Option<u64>,
        /// Do not send refresh_prices before each round.
        #[arg(long)]
        no_refresh: bool,
    },
    /// Audit the insurance fund and the markets from chain data; exits 1
    /// when anything does not add up.
    Audit {
        #[command(flatten)]
        conn: Conn,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Market name or address (repeatable); default: every market.
        #[arg(long, num_args = 1..)]
        market: Vec<String>,
        /// Also read the ledger entries the program emitted (from the
        /// transactions that wrote the ledger) and recompute the hash chain
        /// from them; needs the node to hold the whole history.
        #[arg(long)]
        events: bool,
        /// At most this many transactions are read for --events.
        #[arg(long, default_value_t = 5_000)]
        events_max: usize,
    },
    /// Deposit collateral (USD) into your seat of a market.
    Deposit {
        #[command(flatten)]
        conn: Conn,
        #[command(flatten)]
        common: TradeCommon,
        /// USD (collateral token units).
        #[arg(long)]
        amount: f64,
        /// Source token account [default: your associated token account].
        #[arg(long)]
        token: Option<Pubkey>,
    },
    /// Withdraw collateral (USD) from your seat, within margin.
    Withdraw {
        #[command(flatten)]
        conn: Conn,
        #[command(flatten)]
        common: TradeCommon,
        /// USD (collateral token units).
        #[arg(long)]
        amount: f64,
        /// Destination token account [default: your associated token account].
        #[arg(long)]
        token: Option<Pubkey>,
    },
    /// Place an order (refresh_prices is sent in the same transaction).
    Order {
        #[command(flatten)]
        conn: Conn,
        #[command(flatten)]
        common: TradeCommon,
        /// buy or sell.
        #[arg(long)]
        side: String,
        /// limit, post-only, ioc, market or fok.
        #[arg(long = "type", default_value = "limit")]
        order_type: String,
        /// USD per base unit (not needed for market orders).
        #[arg(long)]
        price: Option<f64>,
        /// Size in base lots.
        #[arg(long)]
        lots: u64,
        /// Never increase the position.
        #[arg(long)]
        reduce_only: bool,
        /// Your own id for the order.
        #[arg(long, default_value_t = 0)]
        client_id: u64,
        /// Unix seconds after which a resting order is void, or +SECS from now.
        #[arg(long)]
        expiry: Option<String>,
    },
    /// Cancel orders: one by id, by client id, or all.
    Cancel {
        #[command(flatten)]
        conn: Conn,
        #[command(flatten)]
        common: TradeCommon,
        #[arg(long, conflicts_with_all = ["client_id", "all"])]
        order_id: Option<u64>,
        #[arg(long, conflicts_with = "all")]
        client_id: Option<u64>,
        #[arg(long)]
        all: bool,
    },
    /// Your positions, with liquidation price and ADL rank.
    Positions {
        #[command(flatten)]
        conn: Conn,
        /// Whose positions [default: the keypair's].
        #[arg(long)]
        owner: Option<Pubkey>,
        /// Market name or address (repeatable); default: every market.
        #[arg(long)]
        market: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// The exchange's markets.
    Markets {
        #[command(flatten)]
        conn: Conn,
        #[arg(long)]
        json: bool,
    },
    /// Stake collateral (USD) into the insurance fund; without --amount,
    /// show your stake.
    Stake {
        #[command(flatten)]
        conn: Conn,
        /// USD to stake.
        #[arg(long)]
        amount: Option<f64>,
        /// Source token account [default: your associated token account].
        #[arg(long)]
        token: Option<Pubkey>,
        #[arg(long)]
        json: bool,
    },
    /// Apply a bootstrap config (exchange, insurance ledger and parameters,
    /// markets with oracles and tiers) idempotently: what exists is skipped.
    Bootstrap {
        #[command(flatten)]
        conn: Conn,
        /// The config (see migrations/localnet.toml).
        #[arg(long, default_value = "migrations/localnet.toml")]
        config: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Unstake from the insurance fund: `request` starts the cooldown,
    /// `withdraw` pays out after it.
    Unstake {
        #[command(flatten)]
        conn: Conn,
        #[command(subcommand)]
        step: UnstakeStep,
        /// Token account to pay to [default: your associated token account].
        #[arg(long, global = true)]
        token: Option<Pubkey>,
        #[arg(long, global = true)]
        json: bool,
    },
}

#[derive(Subcommand, Clone, Copy)]
enum UnstakeStep {
    /// Start the cooldown for some or all shares.
    Request {
        /// Shares to unstake [default: all].
        #[arg(long)]
        shares: Option<u64>,
    },
    /// Pay out a requested unstake whose cooldown is over.
    Withdraw,
}

/// Options shared by the trading commands.
#[derive(Args, Clone)]
struct TradeCommon {
    /// Market name or address [default: the only market, if there is one].
    #[arg(long)]
    market: Option<String>,
    /// Print the receipt as JSON.
    #[arg(long)]
    json: bool,
}

/// Points the process's stdout at stderr and returns a handle on the
/// original stdout. In native runs the Solana crates print the program's
/// `msg!` lines to stdout; they go to stderr, while the timeline, the
/// summary and `--json` go to the real stdout.
fn take_stdout() -> std::fs::File {
    use std::os::fd::FromRawFd;
    let _ = std::io::stdout().flush();
    // SAFETY: fd 1 is open; `dup` returns a new descriptor that we own.
    unsafe {
        let saved = libc::dup(1);
        assert!(saved >= 0, "dup(1) failed");
        libc::dup2(2, 1);
        std::fs::File::from_raw_fd(saved)
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn fail(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    if std::env::var_os("RUST_LOG").is_none() {
        // program-test logs every instruction at debug level by default.
        std::env::set_var("RUST_LOG", "error");
    }
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Simulate {
            scenario,
            config,
            json,
            scenario_file,
            report,
            dump_accounts,
            quiet,
        } => {
            let cfg = match BootstrapConfig::load(&config) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            let source = match &scenario_file {
                Some(f) => match simulate::file::ScenarioFile::load(f) {
                    Ok(f) => simulate::ScenarioSource::File(Box::new(f)),
                    Err(e) => {
                        eprintln!("error: {e}");
                        return ExitCode::from(2);
                    }
                },
                None => simulate::ScenarioSource::Builtin(scenario),
            };
            let opts = simulate::RunOptions {
                progress: !quiet,
                dump_accounts,
            };
            let rt = runtime();
            let mut out = take_stdout();
            let timeline: Option<Box<dyn Write>> = if json {
                None
            } else {
                Some(Box::new(out.try_clone().expect("stdout handle")))
            };
            match rt.block_on(simulate::run_with(&cfg, source, timeline, opts)) {
                Ok(s) => {
                    if let Some(path) = &report {
                        if let Err(e) = std::fs::write(path, simulate::report::html_report(&s)) {
                            return fail(format!("{}: {e}", path.display()));
                        }
                        eprintln!("simulate: report written to {}", path.display());
                    }
                    let written = if json {
                        let j = serde_json::to_string_pretty(&s).expect("summary serializes");
                        writeln!(out, "{j}")
                    } else {
                        simulate::print_summary(&mut out, &s)
                    };
                    if written.is_err() || !s.invariants_ok {
                        ExitCode::FAILURE
                    } else {
                        ExitCode::SUCCESS
                    }
                }
                Err(e) => fail(e),
            }
        }
        Cmd::Keeper {
            conn,
            market,
            interval_ms,
            health_port,
            max_rounds,
            no_refresh,
        } => {
            let kp = match conn.keypair() {
                Ok(k) => k,
                Err(e) => return fail(e),
            };
            let mut chain = RpcChain::new(&conn.url(), kp.insecure_clone());
            // The keeper predicts with the engine; it needs no logs back.
            chain.fetch_logs = false;
            let opts = KeeperOptions {
                markets: market,
                interval: std::time::Duration::from_millis(interval_ms),
                max_rounds,
                refresh_prices: !no_refresh,
            };
            let rt = runtime();
            let r: Result<(), String> = rt.block_on(async {
                chain.check_connection().await?;
                let health = Arc::new(Mutex::new(Health::default()));
                let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
                let listener = tokio::net::TcpListener::bind(("127.0.0.1", health_port))
                    .await
                    .map_err(|e| format!("health endpoint 127.0.0.1:{health_port}: {e}"))?;
                let addr = listener.local_addr().map_err(|e| e.to_string())?;
                eprintln!(
                    "keeper {} on {} — health at http://{addr}/health",
                    kp.pubkey(),
                    chain.url()
                );
                let server = tokio::spawn(keeper_loop::serve_health(
                    listener,
                    health.clone(),
                    stop_tx.subscribe(),
                ));
                let stop_for_signals = stop_tx.clone();
                tokio::spawn(keeper_loop::stop_on_signals(stop_for_signals));
                let mut stdout = std::io::stdout();
                let r = keeper_loop::run_keeper(
                    &mut chain,
                    &kp,
                    &opts,
                    &health,
                    &mut stdout,
                    &mut stop_rx,
                )
                .await;
                let _ = stop_tx.send(true);
                let _ = server.await;
                r.map(|_| ())
            });
            match r {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(e),
            }
        }
        Cmd::Audit {
            conn,
            json,
            market,
            events,
            events_max,
        } => {
            let mut chain = conn.reader();
            let rt = runtime();
            let mut stdout = std::io::stdout();
            match rt.block_on(async {
                chain.check_connection().await?;
                let ev = if events {
                    let ev = chain.ledger_events(events_max).await?;
                    eprintln!("audit: read {} ledger events from transactions", ev.len());
                    Some(ev)
                } else {
                    None
                };
                commands::audit_command(&mut chain, &market, ev.as_deref(), json, &mut stdout).await
            }) {
                Ok(r) if r.ok => ExitCode::SUCCESS,
                Ok(_) => ExitCode::FAILURE,
                Err(e) => fail(e),
            }
        }
        cmd => match runtime().block_on(trade_command(cmd)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(e),
        },
    }
}

/// The market a trading command acts on: `--market`, else the only one.
async fn market_arg(chain: &mut RpcChain, m: Option<String>) -> Result<String, String> {
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

fn amount(usd: f64) -> Result<u64, String> {
    trader::usd_to_atoms(usd)
}

/// `--expiry`: unix seconds, or `+SECS` from the cluster's time.
async fn expiry_arg(chain: &mut RpcChain, e: Option<String>) -> Result<i64, String> {
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

async fn trade_command(cmd: Cmd) -> Result<(), String> {
    let mut out = std::io::stdout();
    let out: &mut dyn Write = &mut out;
    match cmd {
        Cmd::Deposit {
            conn,
            common,
            amount: a,
            token,
        } => {
            let kp = conn.keypair()?;
            let mut chain = RpcChain::new(&conn.url(), kp.insecure_clone());
            chain.check_connection().await?;
            let m = market_arg(&mut chain, common.market).await?;
            let r = trader::deposit(&mut chain, &kp, &m, amount(a)?, token).await?;
            commands::emit(out, common.json, &r, |o, r| {
                writeln!(
                    o,
                    "deposited {:.6} USD into {} from {}; collateral now {:.6} USD",
                    r.amount, r.market, r.token_account, r.collateral_after
                )
            })
        }
        Cmd::Withdraw {
            conn,
            common,
            amount: a,
            token,
        } => {
            let kp = conn.keypair()?;
            let mut chain = RpcChain::new(&conn.url(), kp.insecure_clone());
            chain.check_connection().await?;
            let m = market_arg(&mut chain, common.market).await?;
            let r = trader::withdraw(&mut chain, &kp, &m, amount(a)?, token).await?;
            commands::emit(out, common.json, &r, |o, r| {
                writeln!(
                    o,
                    "withdrew {:.6} USD from {} to {}; collateral now {:.6} USD",
                    r.amount, r.market, r.token_account, r.collateral_after
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
            let kp = conn.keypair()?;
            let mut chain = RpcChain::new(&conn.url(), kp.insecure_clone());
            chain.check_connection().await?;
            let m = market_arg(&mut chain, common.market).await?;
            let req = trader::OrderRequest {
                side: trader::parse_side(&side)?,
                order_type: trader::parse_order_type(&order_type)?,
                price_usd: price,
                lots,
                reduce_only,
                client_order_id: client_id,
                expiry_ts: expiry_arg(&mut chain, expiry).await?,
            };
            let r = trader::place_order(&mut chain, &kp, &m, &req).await?;
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
            let kp = conn.keypair()?;
            let mut chain = RpcChain::new(&conn.url(), kp.insecure_clone());
            chain.check_connection().await?;
            let m = market_arg(&mut chain, common.market).await?;
            let left = trader::cancel(&mut chain, &kp, &m, which).await?;
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
            token,
            json,
        } => {
            let kp = conn.keypair()?;
            let mut chain = RpcChain::new(&conn.url(), kp.insecure_clone());
            chain.check_connection().await?;
            let v = match a {
                Some(a) => trader::stake(&mut chain, &kp, amount(a)?, token).await?,
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
            let kp = conn.keypair()?;
            let mut chain = RpcChain::new(&conn.url(), kp.insecure_clone());
            chain.check_connection().await?;
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
            let kp = conn.keypair()?;
            let mut chain = RpcChain::new(&conn.url(), kp.insecure_clone());
            chain.check_connection().await?;
            let opts = bulwark_app::apply::ApplyOptions {
                allow_new_mint: chain.is_local(),
            };
            let r = bulwark_app::apply::apply_config(&mut chain, &kp, &cfg, opts).await?;
            commands::emit(out, json, &r, |o, r| commands::print_apply(o, r))
        }
        Cmd::Simulate { .. } | Cmd::Keeper { .. } | Cmd::Audit { .. } => {
            unreachable!("handled in main")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn trading_flags_parse() {
        let c = Cli::try_parse_from([
            "bulwark",
            "order",
            "-u",
            "d",
            "--market",
            "BTC-PERP",
            "--side",
            "sell",
            "--type",
            "post-only",
            "--price",
            "65000.5",
            "--lots",
            "10",
            "--reduce-only",
            "--client-id",
            "9",
            "--expiry",
            "+60",
        ])
        .unwrap();
        match c.cmd {
            Cmd::Order {
                conn,
                common,
                order_type,
                expiry,
                reduce_only,
                ..
            } => {
                assert_eq!(conn.url(), "https://api.devnet.solana.com");
                assert_eq!(common.market.as_deref(), Some("BTC-PERP"));
                assert_eq!(order_type, "post-only");
                assert_eq!(expiry.as_deref(), Some("+60"));
                assert!(reduce_only);
            }
            _ => panic!("order"),
        }
        assert!(Cli::try_parse_from(["bulwark", "cancel", "--order-id", "1", "--all"]).is_err());
        assert!(Cli::try_parse_from(["bulwark", "unstake", "request", "--shares", "5"]).is_ok());
        assert!(Cli::try_parse_from(["bulwark", "unstake", "withdraw", "--json"]).is_ok());
        assert!(Cli::try_parse_from(["bulwark", "audit", "--market", "A", "B", "--json"]).is_ok());
    }
}
