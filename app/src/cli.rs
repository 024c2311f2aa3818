//! The `bulwark` command line: its arguments.

use anchor_lang::prelude::Pubkey;
use bulwark_app::rpc::{self, RpcChain};
use bulwark_app::simulate::Scenario;
use clap::{Args, Parser, Subcommand};
use solana_keypair::Keypair;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "bulwark",
    version,
    about = "Bulwark perpetual-futures exchange: simulate, keeper, audit, trade"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) cmd: Cmd,
}

/// Cluster and wallet, with the Solana CLI's conventions and defaults.
#[derive(Args, Clone)]
pub(crate) struct Conn {
    /// RPC URL or moniker: l/localhost, d/devnet, m/mainnet-beta, t/testnet
    /// [default: json_rpc_url of ~/.config/solana/cli/config.yml, else localhost]
    #[arg(long, short = 'u')]
    pub(crate) url: Option<String>,
    /// Keypair file (JSON array of 64 bytes)
    /// [default: keypair_path of the CLI config, else ~/.config/solana/id.json]
    #[arg(long, short = 'k')]
    pub(crate) keypair: Option<PathBuf>,
    /// The Solana CLI config file to take defaults from.
    #[arg(long, value_name = "FILE")]
    pub(crate) solana_config: Option<PathBuf>,
}

impl Conn {
    pub(crate) fn url(&self) -> String {
        rpc::resolve_url(self.url.as_deref(), self.solana_config.as_deref())
    }
    pub(crate) fn keypair(&self) -> Result<Keypair, String> {
        let p = rpc::resolve_keypair_path(self.keypair.as_deref(), self.solana_config.as_deref());
        rpc::read_keypair_file(&p)
    }
    /// A chain for reading only: the wallet if there is one, else a
    /// throwaway key (nothing is signed).
    pub(crate) fn reader(&self) -> RpcChain {
        RpcChain::new(
            &self.url(),
            self.keypair().unwrap_or_else(|_| Keypair::new()),
        )
    }
}

#[derive(Subcommand)]
pub(crate) enum Cmd {
    /// Run a scenario on an embedded in-process chain.
    Simulate {
        /// Scenario: calm, collateral, crash, gap-crash, crash-socialized or
        /// adversarial (attacks by colluding wallets, each reported blocked or not).
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
        /// Also print the program's logs (`Instruction: …`, `AnchorError
        /// …`) on stderr; they are also shown when RUST_LOG enables debug.
        #[arg(long, short = 'v')]
        verbose: bool,
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
        /// Fail unless the stake buys at least this many shares [default:
        /// the shares expected at the fund's current price, less 1 %].
        #[arg(long, requires = "amount")]
        min_shares: Option<u64>,
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
    /// Local cluster only: price accounts of the mock oracle
    /// (programs/mock-oracle, deployed by scripts/localnet), in Pyth's
    /// legacy or pull (PriceUpdateV2) layout. The payer is -k.
    Oracle {
        #[command(flatten)]
        conn: Conn,
        #[command(subcommand)]
        step: OracleStep,
        #[arg(long, global = true)]
        json: bool,
    },
    /// Write a new keypair file (JSON array of 64 bytes, as the Solana CLI's)
    /// and print its address; refuses to overwrite a file.
    Keygen {
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Local cluster only: send SOL from -k to an address and mint it
    /// collateral (-k must be the collateral mint's authority, as the admin
    /// of a localhost bootstrap is).
    Fund {
        #[command(flatten)]
        conn: Conn,
        /// Who receives.
        #[arg(long)]
        to: Pubkey,
        /// SOL to send.
        #[arg(long, default_value_t = 0.0)]
        sol: f64,
        /// Collateral (USD) to mint to its associated token account.
        #[arg(long, default_value_t = 0.0)]
        usd: f64,
        #[arg(long)]
        json: bool,
    },
}

/// A mock price: USD, confidence, status.
#[derive(Args, Clone, Copy)]
pub(crate) struct MockPriceArgs {
    /// USD per base unit (written with exponent -8).
    #[arg(long)]
    pub(crate) price: f64,
    /// Confidence interval, USD.
    #[arg(long, default_value_t = 1.0)]
    pub(crate) conf: f64,
    /// Publish time this many seconds before the validator's clock
    /// [default: the clock].
    #[arg(long)]
    pub(crate) age: Option<i64>,
    /// Legacy: aggregate status not Trading.
    #[arg(long)]
    pub(crate) halted: bool,
    /// Pull: a partially verified update with this many signatures.
    #[arg(long)]
    pub(crate) partial: Option<u8>,
}

#[derive(Subcommand, Clone)]
pub(crate) enum OracleStep {
    /// Create a feed account (its new keypair, written to --out, is the
    /// only key that can move it) holding a first price.
    Create {
        /// legacy or pull.
        #[arg(long, default_value = "legacy")]
        kind: String,
        /// Pull feeds: the Pyth feed id (64 hex digits, 0x optional).
        #[arg(long)]
        feed_id: Option<String>,
        /// Where to write the feed's keypair.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        price: MockPriceArgs,
    },
    /// Write a new price into feeds (each keeps its layout and feed id), in
    /// one transaction.
    Set {
        /// A feed's keypair file (from `create --out`); repeatable.
        #[arg(long, required = true)]
        feed: Vec<PathBuf>,
        #[command(flatten)]
        price: MockPriceArgs,
    },
}

#[derive(Subcommand, Clone, Copy)]
pub(crate) enum UnstakeStep {
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
pub(crate) struct TradeCommon {
    /// Market name or address [default: the only market, if there is one].
    #[arg(long)]
    pub(crate) market: Option<String>,
    /// Print the receipt as JSON.
    #[arg(long)]
    pub(crate) json: bool,
    /// The seat (index in the market's seat table, as `positions` lists
    /// them) to act on, for a wallet with several [default: its first].
    #[arg(long, conflicts_with = "new_seat")]
    pub(crate) seat: Option<u32>,
    /// Deposit only: open another seat (an isolated account) at the end of
    /// the table, even if the wallet has one; it pays the seat's rent.
    #[arg(long)]
    pub(crate) new_seat: bool,
}

impl TradeCommon {
    pub(crate) fn pick(&self) -> bulwark_app::trader::SeatPick {
        use bulwark_app::trader::SeatPick;
        match (self.seat, self.new_seat) {
            (Some(i), _) => SeatPick::Index(i),
            (None, true) => SeatPick::New,
            (None, false) => SeatPick::First,
        }
    }
}
