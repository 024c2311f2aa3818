//! The `bulwark` CLI.

use bulwark_app::commands;
use bulwark_app::config::BootstrapConfig;
use bulwark_app::keeper_loop::{self, Health, KeeperOptions};
use bulwark_app::rpc::RpcChain;
use bulwark_app::simulate::{self};
use clap::Parser;
use solana_signer::Signer;
use std::io::Write;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

mod cli;
mod localnet_cmd;
mod trade_cmd;

use cli::*;
use trade_cmd::*;

/// Points the process's stdout away and returns a handle on the original
/// stdout. In native runs the program's `msg!` lines (`Instruction: …`,
/// `AnchorError thrown in …`) are printed to stdout by the Solana crates:
/// they go to stderr when `program_logs` (`--verbose`, or RUST_LOG asks for
/// debug), else nowhere, while the timeline, the summary and `--json` go to
/// the real stdout.
fn take_stdout(program_logs: bool) -> std::fs::File {
    use std::os::fd::{AsRawFd, FromRawFd};
    let _ = std::io::stdout().flush();
    let null = (!program_logs)
        .then(|| {
            std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/null")
                .ok()
        })
        .flatten();
    // SAFETY: fd 1 is open; `dup` returns a new descriptor that we own, and
    // `dup2` onto fd 1 only replaces where it points.
    unsafe {
        let saved = libc::dup(1);
        assert!(saved >= 0, "dup(1) failed");
        match &null {
            Some(f) => libc::dup2(f.as_raw_fd(), 1),
            None => libc::dup2(2, 1),
        };
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
    let cli = Cli::parse();
    if let Cmd::Simulate { verbose: true, .. } = &cli.cmd {
        if std::env::var_os("RUST_LOG").is_none() {
            std::env::set_var("RUST_LOG", bulwark_app::chain::VERBOSE_RUST_LOG);
        }
    }
    // program-test logs every instruction at debug level by default.
    bulwark_app::chain::quiet_logs_by_default();
    match cli.cmd {
        Cmd::Simulate {
            scenario,
            config,
            json,
            scenario_file,
            report,
            dump_accounts,
            quiet,
            verbose,
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
            let mut out = take_stdout(verbose || bulwark_app::chain::rust_log_wants_program_logs());
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
        cmd @ (Cmd::Oracle { .. } | Cmd::Fund { .. } | Cmd::Keygen { .. }) => {
            let mut out = std::io::stdout();
            match runtime().block_on(localnet_cmd::localnet_command(cmd, &mut out)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(e),
            }
        }
        cmd => match runtime().block_on(trade_command(cmd)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(e),
        },
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
