//! The `bulwark` CLI.

use bulwark_app::config::BootstrapConfig;
use bulwark_app::simulate::{self, Scenario};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

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

#[derive(Subcommand)]
enum Cmd {
    /// Run a scenario on an embedded in-process chain.
    Simulate {
        /// Scenario name.
        #[arg(long, default_value = "collateral")]
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
}

/// Runs `f` with the process's stdout pointed at stderr. In native runs the
/// program's `msg!` lines are printed to stdout; `--json` must print only
/// its JSON object there.
fn with_stdout_on_stderr<T>(f: impl FnOnce() -> T) -> T {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    // SAFETY: plain fd duplication; the saved fd is restored before return.
    let saved = unsafe { libc::dup(1) };
    unsafe { libc::dup2(2, 1) };
    let out = f();
    let _ = std::io::stdout().flush();
    unsafe {
        libc::dup2(saved, 1);
        libc::close(saved);
    }
    out
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
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            let result = if json {
                with_stdout_on_stderr(|| rt.block_on(simulate::run(&cfg, scenario, true)))
            } else {
                rt.block_on(simulate::run(&cfg, scenario, false))
            };
            match result {
                Ok(s) => {
                    if json {
                        println!(
                            "{}",
                            serde_json::to_string_pretty(&s).expect("summary serializes")
                        );
                    } else {
                        simulate::print_summary(&s);
                    }
                    if s.invariants_ok {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    }
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
