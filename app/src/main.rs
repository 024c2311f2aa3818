//! The `bulwark` CLI.

use bulwark_app::config::BootstrapConfig;
use bulwark_app::simulate::{self, Scenario};
use clap::{Parser, Subcommand};
use std::io::Write;
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
        /// Scenario: calm (trading) or collateral.
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
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
