//! `bulwark-localnet`: a real Solana validator (agave's `solana-test-validator`
//! 4.2.2, in-process) with the Bulwark SBF program deployed as an upgradeable
//! program at `bulwark::ID`. Prints `rpc_url=...` on stdout and runs until
//! SIGINT/SIGTERM.

use std::{
    net::{Ipv4Addr, SocketAddr},
    path::{Path, PathBuf},
    process::ExitCode,
    str::FromStr,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use solana_account::AccountSharedData;
use solana_faucet::faucet::{run_faucet, Faucet};
use solana_keypair::Keypair;
use solana_pubkey::Pubkey;
use solana_signer::Signer;
use solana_test_validator::{TestValidatorGenesis, UpgradeableProgramInfo};

/// `declare_id!` of programs/bulwark/src/lib.rs (read by build.rs).
const PROGRAM_ID: &str = env!("BULWARK_PROGRAM_ID");
/// SOL given at genesis to the upgrade-authority keypair (it pays fees too).
const AUTHORITY_SOL: u64 = 1_000_000;
const LAMPORTS_PER_SOL: u64 = 1_000_000_000;

const USAGE: &str = "\
usage: bulwark-localnet [--rpc-port PORT] [--faucet-port PORT] [--program PATH]
                        [--program-id ID] [--keypair PATH] [--ledger DIR]
                        [--bpf-program ID PATH]... [--port-range START-END]

  --rpc-port PORT   JSON-RPC port on 127.0.0.1 (default 8899; websocket = PORT+1)
  --faucet-port PORT  faucet for `requestAirdrop` / `solana airdrop` (default 9900;
                    0 = no faucet)
  --program PATH    SBF bytecode to deploy (default target/deploy/bulwark.so)
  --program-id ID   deploy address (default bulwark::ID, from declare_id!)
  --keypair PATH    upgrade authority and funded payer; created if missing
                    (default target/localnet/upgrade-authority.json)
  --ledger DIR      ledger directory (default: a fresh temporary one)
  --port-range START-END  gossip, TPU and TVU ports (default RPC+2 to
                    RPC+40, so validators on different RPC ports do not collide)
  --bpf-program ID PATH  also deploy PATH (SBF) at ID, with no upgrade authority, as the
                    Solana CLI's `solana-test-validator --bpf-program` does
                    (scripts/localnet adds the localnet mock oracle this way)
";

struct Args {
    rpc_port: u16,
    faucet_port: u16,
    program: PathBuf,
    program_id: Pubkey,
    keypair: PathBuf,
    ledger: Option<PathBuf>,
    /// gossip/TPU/TVU ports; None = derived from the RPC port.
    port_range: Option<(u16, u16)>,
    /// (program id, SBF path) deployed with no upgrade authority.
    extra: Vec<(Pubkey, PathBuf)>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        rpc_port: 8899,
        faucet_port: 9900,
        program: PathBuf::from("target/deploy/bulwark.so"),
        program_id: Pubkey::from_str(PROGRAM_ID).map_err(|e| format!("program id: {e}"))?,
        keypair: PathBuf::from("target/localnet/upgrade-authority.json"),
        ledger: None,
        extra: Vec::new(),
        port_range: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            print!("{USAGE}");
            std::process::exit(0);
        }
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--rpc-port" => {
                a.rpc_port = value()?.parse().map_err(|e| format!("--rpc-port: {e}"))?
            }
            "--faucet-port" => {
                a.faucet_port = value()?
                    .parse()
                    .map_err(|e| format!("--faucet-port: {e}"))?
            }
            "--program" => a.program = value()?.into(),
            "--program-id" => {
                a.program_id =
                    Pubkey::from_str(&value()?).map_err(|e| format!("--program-id: {e}"))?
            }
            "--keypair" => a.keypair = value()?.into(),
            "--ledger" => a.ledger = Some(value()?.into()),
            "--port-range" => {
                let v = value()?;
                let (a0, b0) = v
                    .split_once('-')
                    .ok_or_else(|| format!("--port-range {v}: START-END"))?;
                let p = |x: &str| x.parse::<u16>().map_err(|e| format!("--port-range {v}: {e}"));
                a.port_range = Some((p(a0)?, p(b0)?));
            }
            "--bpf-program" => {
                let id = Pubkey::from_str(&value()?).map_err(|e| format!("--bpf-program: {e}"))?;
                let path = PathBuf::from(value()?);
                if !path.is_file() {
                    return Err(format!("--bpf-program {id}: {}: no such file", path.display()));
                }
                a.extra.push((id, path));
            }
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(a)
}

/// Loads a Solana CLI keypair file (JSON array of 64 bytes), or creates one.
fn load_or_create_keypair(path: &Path) -> Result<(Keypair, bool), String> {
    if path.exists() {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let bytes: Vec<u8> = text
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .split(',')
            .map(|b| b.trim().parse::<u8>())
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{}: not a keypair file: {e}", path.display()))?;
        let kp = Keypair::try_from(bytes.as_slice())
            .map_err(|e| format!("{}: not a keypair file: {e}", path.display()))?;
        return Ok((kp, false));
    }
    let kp = Keypair::new();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let json = format!(
        "[{}]",
        kp.to_bytes()
            .iter()
            .map(u8::to_string)
            .collect::<Vec<_>>()
            .join(",")
    );
    std::fs::write(path, json).map_err(|e| format!("{}: {e}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    Ok((kp, true))
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    if !args.program.is_file() {
        return Err(format!(
            "{}: no such file (build it with ../shared/sbf/build programs/bulwark)",
            args.program.display()
        ));
    }
    let (authority, created) = load_or_create_keypair(&args.keypair)?;

    let mut genesis = TestValidatorGenesis::default();
    genesis
        .rpc_port(args.rpc_port)
        .add_upgradeable_programs_with_path(&[UpgradeableProgramInfo {
            program_id: args.program_id,
            loader: solana_sdk_ids::bpf_loader_upgradeable::id(),
            upgrade_authority: authority.pubkey(),
            program_path: args.program.clone(),
        }])
        .add_account(
            authority.pubkey(),
            AccountSharedData::new(
                AUTHORITY_SOL * LAMPORTS_PER_SOL,
                0,
                &solana_sdk_ids::system_program::id(),
            ),
        );
    // Extra programs: upgradeable-loader accounts whose upgrade authority is
    // the default key (nobody), as `TestValidatorGenesis::add_program` does.
    for (id, path) in &args.extra {
        genesis.add_upgradeable_programs_with_path(&[UpgradeableProgramInfo {
            program_id: *id,
            loader: solana_sdk_ids::bpf_loader_upgradeable::id(),
            upgrade_authority: Pubkey::default(),
            program_path: path.clone(),
        }]);
    }
    // The library's default port range is the same in every process: two
    // validators on one machine would both bind its first gossip port.
    let (lo, hi) = args.port_range.unwrap_or((
        args.rpc_port.saturating_add(2),
        args.rpc_port.saturating_add(40),
    ));
    genesis.port_range((lo, hi)).gossip_port(lo);
    // Transaction history on (getSignaturesForAddress, getTransaction), as
    // the Solana CLI's solana-test-validator has it: `bulwark audit
    // --events` recomputes the insurance ledger's hash chain from it.
    genesis.rpc_config(solana_rpc::rpc::JsonRpcConfig {
        enable_rpc_transaction_history: true,
        enable_extended_tx_metadata_storage: true,
        ..solana_rpc::rpc::JsonRpcConfig::default_for_test()
    });
    let faucet_addr =
        (args.faucet_port != 0).then(|| SocketAddr::from((Ipv4Addr::LOCALHOST, args.faucet_port)));
    // The RPC forwards `requestAirdrop` to this address; the faucet itself is
    // started below, with the genesis mint keypair (which holds the rest of
    // the genesis SOL).
    genesis.faucet_addr(faucet_addr);
    if let Some(ledger) = &args.ledger {
        genesis.ledger_path(ledger);
    }

    eprintln!(
        "bulwark-localnet: starting solana-test-validator 4.2.2, program {} at {}",
        args.program.display(),
        args.program_id
    );
    // Panics (with the validator's message) on failure; waits for the program
    // to be deployed.
    // The library prints progress ("Waiting for first slot ...") with
    // println!: send it to stderr, so that stdout carries only our key=value
    // lines.
    let (validator, mint) = {
        use std::io::Write;
        let _ = std::io::stdout().flush();
        // SAFETY: plain fd duplication on this process's own stdout/stderr.
        let saved = unsafe { libc::dup(1) };
        if saved >= 0 {
            unsafe { libc::dup2(2, 1) };
        }
        let started = genesis.start();
        let _ = std::io::stdout().flush();
        if saved >= 0 {
            unsafe {
                libc::dup2(saved, 1);
                libc::close(saved);
            }
        }
        started
    };

    if let Some(addr) = faucet_addr {
        let (tx, rx) = crossbeam_channel::bounded(1);
        let faucet = Arc::new(Mutex::new(Faucet::new(mint, None, None, None)));
        std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("faucet runtime")
                .block_on(run_faucet(faucet, addr, Some(tx)))
        });
        match rx.recv() {
            Ok(Ok(addr)) => eprintln!("bulwark-localnet: faucet on {addr} (requestAirdrop works)"),
            Ok(Err(e)) => eprintln!("bulwark-localnet: warning: no faucet: {e}"),
            Err(e) => eprintln!("bulwark-localnet: warning: no faucet: {e}"),
        }
    }

    println!("rpc_url={}", validator.rpc_url());
    println!("websocket_url={}", validator.rpc_pubsub_url());
    println!("program_id={}", args.program_id);
    println!("upgrade_authority={}", authority.pubkey());
    println!("upgrade_authority_keypair={}", args.keypair.display());
    for (id, path) in &args.extra {
        println!("extra_program={id} {}", path.display());
    }
    eprintln!(
        "bulwark-localnet: upgrade authority {} ({} keypair {}), funded with {AUTHORITY_SOL} SOL at genesis; \
         use it as -k for `bulwark bootstrap` and as the fee payer. Ctrl-C (SIGINT) or SIGTERM stops.",
        authority.pubkey(),
        if created { "new" } else { "existing" },
        args.keypair.display()
    );

    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop)).map_err(|e| format!("signal: {e}"))?;
    }
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(200));
    }
    eprintln!("bulwark-localnet: stopping");
    drop(validator);
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bulwark-localnet: {e}");
            ExitCode::FAILURE
        }
    }
}
