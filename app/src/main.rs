//! The `bulwark` CLI.

use bulwark_app::commands;
use bulwark_app::config::BootstrapConfig;
use bulwark_app::keeper_loop::{self, Health, KeeperOptions};
use bulwark_app::rpc::{self, RpcChain};
use bulwark_app::simulate::{self, Scenario};
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
    },
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
        } => {
            let cfg = match BootstrapConfig::load(&config) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            let rt = runtime();
            let mut out = take_stdout();
            let timeline: Option<Box<dyn Write>> = if json {
                None
            } else {
                Some(Box::new(out.try_clone().expect("stdout handle")))
            };
            match rt.block_on(simulate::run(&cfg, scenario, timeline)) {
                Ok(s) => {
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
        Cmd::Audit { conn, json, market } => {
            let mut chain = conn.reader();
            let rt = runtime();
            let mut stdout = std::io::stdout();
            match rt.block_on(async {
                chain.check_connection().await?;
                commands::audit_command(&mut chain, &market, json, &mut stdout).await
            }) {
                Ok(r) if r.ok => ExitCode::SUCCESS,
                Ok(_) => ExitCode::FAILURE,
                Err(e) => fail(e),
            }
        }
    }
}
