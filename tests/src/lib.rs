//! Integration-test harness for Bulwark (solana-program-test, through the
//! client library's embedded chain).
//!
//! Every test starts its own chain, bootstraps the exchange from [`CONFIG`]
//! and talks to it only through [`TestEnv::send`] and
//! [`TestEnv::send_tx_expect_error`], which both run the invariant checker
//! (`bulwark_app::invariants::check_all`) after every transaction, failed or
//! not, and panic on any violation.

use anchor_lang::prelude::Pubkey;
use anchor_lang::{Discriminator, InstructionData, ToAccountMetas};
use anchor_spl::token::spl_token;
use bulwark::engine::book::Side;
use bulwark::engine::trade::{OrderParams, OrderType};
use bulwark::state::{Exchange, InsuranceFund, Market, MarketRef, MarketStatus, Order, Seat};
use bulwark_app::bootstrap::{bootstrap, set_oracle, DeployedMarket, Deployment};
use bulwark_app::config::{usd, BootstrapConfig};
use bulwark_app::invariants;
use bulwark_app::ix;
use bulwark_app::pyth::PythPrice;
use bulwark_app::{EmbeddedChain, TxError, TxOk};
use pyth_sdk_solana::state::PriceStatus;
use solana_account::Account;
use solana_instruction::{AccountMeta, Instruction};
use solana_keypair::Keypair;
use solana_signer::Signer;

pub use bulwark::error::ErrorCode as BulwarkError;
pub use bulwark_app;

/// Name of the single-feed market.
pub const BTC: &str = "BTC-PERP";
/// Name of the three-feed market (median of feeds, at least two agreeing).
pub const ETH: &str = "ETH-PERP";
/// seconds; the exchange's timelock in [`CONFIG`].
pub const TIMELOCK_SECS: i64 = 3600;
/// seconds; `max_staleness_secs` of both markets in [`CONFIG`].
pub const MAX_STALENESS_SECS: i64 = 60;
/// bps; `max_conf_bps` of both markets in [`CONFIG`].
pub const MAX_CONF_BPS: u64 = 100;
/// USD; BTC-PERP's starting price in [`CONFIG`].
pub const BTC_PRICE_USD: f64 = 65_000.0;
/// USD; ETH-PERP's starting price (all three feeds) in [`CONFIG`].
pub const ETH_PRICE_USD: f64 = 3_000.0;
/// Lamports every test wallet gets for fees and rent.
pub const WALLET_LAMPORTS: u64 = 10_000_000_000;

/// The test exchange: small capacities for speed; BTC-PERP with one feed and
/// ETH-PERP with three feeds (min 2, 2 % deviation). Same units as
/// `migrations/localnet.toml`.
pub const CONFIG: &str = r#"
[exchange]
timelock_secs = 3600
pyth_program = "FsJ3A3u2vn5cTVofAjvy6y5kwABJAqYWpe4975bi2epH"

[[markets]]
name = "BTC-PERP"
max_seats = 16
book_capacity = 8
tick_size_usd = 0.1
base_lots_per_unit = 10000
min_order_lots = 1
max_order_lots = 500000
position_limit_lots = 2000000
open_interest_cap_lots = 50000000
taker_fee_ppm = 500
maker_fee_ppm = -100
insurance_fee_share_ppm = 500000
liquidation_fee_ppm = 10000
keeper_liquidation_share_ppm = 300000
price_band_bps = 500
funding_interval_secs = 3600
funding_cap_ppm = 1000
mark_ema_secs = 300
takeover_discount_ppm = 500000
insurance_cover_cap_usd = 5000000
insurance_cover_period_secs = 86400
partial_liquidation_tier = 1
waterfall_mode = "adl"

[markets.oracle]
min_feeds = 1
max_staleness_secs = 60
max_conf_bps = 100
max_deviation_bps = 200
feeds = [{ name = "test-btc-usd", initial_price_usd = 65000.0, conf_usd = 15.0 }]

[[markets.tiers]]
max_notional_usd = 100000
initial_margin_ppm = 20000
maint_margin_ppm = 10000
[[markets.tiers]]
max_notional_usd = 1000000
initial_margin_ppm = 50000
maint_margin_ppm = 25000

[[markets]]
name = "ETH-PERP"
max_seats = 16
book_capacity = 8
tick_size_usd = 0.01
base_lots_per_unit = 1000
min_order_lots = 1
max_order_lots = 500000
position_limit_lots = 2000000
open_interest_cap_lots = 50000000
taker_fee_ppm = 500
maker_fee_ppm = -100
insurance_fee_share_ppm = 500000
liquidation_fee_ppm = 10000
keeper_liquidation_share_ppm = 300000
price_band_bps = 500
funding_interval_secs = 3600
funding_cap_ppm = 1000
mark_ema_secs = 300
takeover_discount_ppm = 500000
insurance_cover_cap_usd = 5000000
insurance_cover_period_secs = 86400
partial_liquidation_tier = 1
waterfall_mode = "adl"

[markets.oracle]
min_feeds = 2
max_staleness_secs = 60
max_conf_bps = 100
max_deviation_bps = 200
feeds = [
  { name = "test-eth-a", initial_price_usd = 3000.0, conf_usd = 1.0 },
  { name = "test-eth-b", initial_price_usd = 3000.0, conf_usd = 1.0 },
  { name = "test-eth-c", initial_price_usd = 3000.0, conf_usd = 1.0 },
]

[[markets.tiers]]
max_notional_usd = 100000
initial_margin_ppm = 20000
maint_margin_ppm = 10000
[[markets.tiers]]
max_notional_usd = 1000000
initial_margin_ppm = 50000
maint_margin_ppm = 25000
"#;

/// True when a transaction failed only because the chain's cached
/// blockhash expired (it was not processed; see
/// [`TestEnv::refresh_blockhash`]).
pub fn blockhash_expired<T>(r: &Result<T, TxError>) -> bool {
    matches!(r, Err(TxError::Other(s)) if s.contains("BlockhashNotFound"))
}

/// Evaluates a chain call; if it failed on an expired blockhash, refreshes
/// the blockhash and evaluates it once more.
macro_rules! retry_expired {
    ($env:expr, $call:expr) => {{
        let r = $call;
        if blockhash_expired(&r) {
            $env.refresh_blockhash().await;
            $call
        } else {
            r
        }
    }};
}

/// Program error code as the runtime reports it (`6000 + variant`).
pub fn code(e: BulwarkError) -> u32 {
    u32::from(e)
}

/// Anchor framework error code (`2000..`, `3000..`).
pub fn anchor_code(e: anchor_lang::error::ErrorCode) -> u32 {
    e as u32
}

/// A readable name for an error code, for assertion messages.
/// A readable name for an error code, for assertion messages: the
/// program's and Anchor's errors by name and message (the app's
/// [`bulwark_app::client::error_label`]).
pub fn describe(code: u32) -> String {
    match bulwark_app::client::error_name(code) {
        Some(_) => bulwark_app::client::error_label(code),
        None if code < 100 => format!("error {code} (SPL token / system program range)"),
        None => format!("error {code}"),
    }
}

/// program-test logs every instruction at debug level unless `RUST_LOG`
/// says otherwise; keep test output readable (set `RUST_LOG` to see them).
fn quiet_logs() {
    // The embedded chain does this too; it runs once per process.
    bulwark_app::chain::quiet_logs_by_default();
}

/// A trader wallet with a collateral token account.
pub struct Trader {
    pub kp: Keypair,
    /// The wallet's collateral token account.
    pub token: Pubkey,
}

impl Trader {
    pub fn key(&self) -> Pubkey {
        self.kp.pubkey()
    }
}

pub struct TestEnv {
    pub chain: EmbeddedChain,
    pub dep: Deployment,
    pub cfg: BootstrapConfig,
}

impl TestEnv {
    /// A fresh chain bootstrapped from [`CONFIG`].
    pub async fn new() -> Self {
        Self::with_config(CONFIG).await
    }

    /// A fresh chain bootstrapped from a TOML config (see [`CONFIG`]).
    pub async fn with_config(toml: &str) -> Self {
        quiet_logs();
        let cfg = BootstrapConfig::from_toml(toml).expect("test config parses");
        let mut chain = EmbeddedChain::start(vec![]).await;
        let dep = bootstrap(&mut chain, &cfg)
            .await
            .expect("bootstrap the test exchange");
        let mut env = Self { chain, dep, cfg };
        env.check_invariants().await;
        env
    }

    // ---- keys ----

    /// The exchange admin (the chain's payer).
    pub fn admin(&self) -> Pubkey {
        self.chain.payer_pubkey()
    }

    pub fn mint(&self) -> Pubkey {
        self.dep.collateral_mint
    }

    pub fn pyth_program(&self) -> Pubkey {
        self.dep.pyth_program
    }

    /// The owner of pull feeds (the same key as the Pyth program unless the
    /// config names `pyth_receiver`).
    pub fn pyth_receiver(&self) -> Pubkey {
        self.dep.pyth_receiver
    }

    pub fn deployed(&self, name: &str) -> &DeployedMarket {
        self.dep.market(name)
    }

    /// The market account of `name`.
    pub fn market(&self, name: &str) -> Pubkey {
        self.dep.market(name).key
    }

    /// The market's oracle feeds, in config order.
    pub fn feeds(&self, name: &str) -> Vec<Pubkey> {
        self.dep.market(name).feeds.clone()
    }

    pub fn vault(&self, name: &str) -> Pubkey {
        ix::market_vault_pda(&self.market(name))
    }

    pub fn market_keys(&self) -> Vec<Pubkey> {
        self.dep.markets.iter().map(|m| m.key).collect()
    }

    // ---- sending ----

    /// Runs the invariant checker over every market and the insurance fund
    /// and panics on any violation.
    pub async fn check_invariants(&mut self) {
        let markets = self.market_keys();
        let v = invariants::check_all(&mut self.chain, &markets).await;
        assert!(v.is_empty(), "invariants violated: {v:#?}");
    }

    /// Sends a transaction (paid by the admin, also signed by `signers`),
    /// then checks the invariants. Returns the raw outcome.
    pub async fn try_send(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<TxOk, TxError> {
        let r = retry_expired!(self, self.chain.send(ixs, signers).await);
        self.check_invariants().await;
        r
    }

    /// Makes the embedded chain fetch a fresh blockhash. It caches one and
    /// fetches another only to avoid repeating a transaction, but
    /// program-test makes a slot every 6.4 ms and a blockhash expires after
    /// 150 slots: after about a second of wall time every transaction would
    /// fail with `BlockhashNotFound`.
    pub async fn refresh_blockhash(&mut self) {
        self.chain
            .refresh_blockhash()
            .await
            .expect("a fresh blockhash");
    }

    /// Sends a transaction that must succeed, then checks the invariants.
    #[track_caller]
    pub fn send<'a>(
        &'a mut self,
        ixs: &'a [Instruction],
        signers: &'a [&'a Keypair],
    ) -> impl std::future::Future<Output = TxOk> + 'a {
        let caller = std::panic::Location::caller();
        async move {
            match self.try_send(ixs, signers).await {
                Ok(ok) => ok,
                Err(e) => panic!(
                    "{caller}: transaction failed: {e}{}",
                    e.code()
                        .map(|c| format!(" = {}", describe(c)))
                        .unwrap_or_default()
                ),
            }
        }
    }

    /// Sends a transaction that must fail with exactly the custom error
    /// `expected` (a program, Anchor or SPL error code), then checks the
    /// invariants.
    #[track_caller]
    pub fn send_tx_expect_error<'a>(
        &'a mut self,
        ixs: &'a [Instruction],
        signers: &'a [&'a Keypair],
        expected: u32,
    ) -> impl std::future::Future<Output = ()> + 'a {
        let caller = std::panic::Location::caller();
        async move {
            match self.try_send(ixs, signers).await {
                Ok(_) => panic!(
                    "{caller}: transaction succeeded, expected {}",
                    describe(expected)
                ),
                Err(TxError::Custom { code, .. }) => assert_eq!(
                    code,
                    expected,
                    "{caller}: failed with {} instead of {}",
                    describe(code),
                    describe(expected)
                ),
                Err(e) => panic!(
                    "{caller}: failed with {e}, expected custom error {}",
                    describe(expected)
                ),
            }
        }
    }

    // ---- wallets and tokens ----

    /// A wallet with SOL and a collateral token account holding `usd_amount`.
    pub async fn new_trader(&mut self, usd_amount: f64) -> Trader {
        self.new_trader_atoms(usd(usd_amount)).await
    }

    /// A wallet with SOL and a collateral token account holding `atoms`.
    pub async fn new_trader_atoms(&mut self, atoms: u64) -> Trader {
        let kp = self.new_wallet().await;
        let mint = self.mint();
        let token = self.token_account(&mint, &kp.pubkey()).await;
        if atoms > 0 {
            self.mint_collateral(&token, atoms).await;
        }
        Trader { kp, token }
    }

    /// A funded wallet with no token account.
    pub async fn new_wallet(&mut self) -> Keypair {
        let kp = Keypair::new();
        retry_expired!(
            self,
            self.chain.airdrop(&kp.pubkey(), WALLET_LAMPORTS).await
        )
        .expect("airdrop");
        kp
    }

    /// A new token account of `mint` owned by `owner`.
    pub async fn token_account(&mut self, mint: &Pubkey, owner: &Pubkey) -> Pubkey {
        retry_expired!(self, self.chain.create_token_account(mint, owner).await)
            .expect("create token account")
    }

    /// Mints collateral (quote atoms) to a token account.
    pub async fn mint_collateral(&mut self, to: &Pubkey, atoms: u64) {
        let mint = self.mint();
        retry_expired!(self, self.chain.mint_to(&mint, to, atoms).await).expect("mint_to");
    }

    /// A second 6-decimal mint (not the exchange's collateral).
    pub async fn other_mint(&mut self) -> Pubkey {
        retry_expired!(
            self,
            self.chain.create_mint(bulwark::math::QUOTE_DECIMALS).await
        )
        .expect("create mint")
    }

    pub async fn token_balance(&mut self, key: &Pubkey) -> u64 {
        self.chain.token_balance(key).await
    }

    pub async fn vault_balance(&mut self, name: &str) -> u64 {
        let vault = self.vault(name);
        self.chain.token_balance(&vault).await
    }

    // ---- collateral ----

    /// `owner`'s seat index in the market at `market` (every seat
    /// instruction names its seat); panics if it has none.
    pub async fn seat_ix(&mut self, market: &Pubkey, owner: &Pubkey) -> u32 {
        bulwark_app::client::seat_on(&mut self.chain, market, owner)
            .await
            .unwrap_or_else(|| panic!("{owner} has no seat in {market}"))
    }

    /// [`TestEnv::seat_ix`] by market name.
    pub async fn seat_ix_in(&mut self, market: &str, owner: &Pubkey) -> u32 {
        let m = self.market(market);
        self.seat_ix(&m, owner).await
    }

    /// The seat a deposit by `owner` into `market` names: its own, else the
    /// first free one; panics when the table is full.
    pub async fn deposit_seat_ix(&mut self, market: &Pubkey, owner: &Pubkey) -> u32 {
        bulwark_app::client::deposit_seat_on(&mut self.chain, market, owner)
            .await
            .expect("a free seat")
    }

    /// Deposits `atoms` from the trader's token account into `market`.
    pub async fn deposit(&mut self, t: &Trader, market: &str, atoms: u64) -> TxOk {
        let m = self.market(market);
        let seat = self.deposit_seat_ix(&m, &t.key()).await;
        let ix = ix::deposit(&t.key(), &m, seat, &t.token, atoms);
        self.send(&[ix], &[&t.kp]).await
    }

    /// Withdraws `atoms` from `market` to the trader's token account.
    pub async fn withdraw(&mut self, t: &Trader, market: &str, atoms: u64) -> TxOk {
        let m = self.market(market);
        let seat = self.seat_ix(&m, &t.key()).await;
        let ix = ix::withdraw(&t.key(), &m, seat, &t.token, atoms);
        self.send(&[ix], &[&t.kp]).await
    }

    /// A trader with `usd_amount` deposited in `market` (and nothing left in
    /// its wallet's token account).
    pub async fn funded_trader(&mut self, market: &str, usd_amount: f64) -> Trader {
        let t = self.new_trader(usd_amount).await;
        self.deposit(&t, market, usd(usd_amount)).await;
        t
    }

    // ---- trading ----

    /// `place_order` by `t` in `market` (its seat).
    pub async fn place_ix(&mut self, t: &Trader, market: &str, p: OrderParams) -> Instruction {
        let m = self.market(market);
        let seat = self.seat_ix(&m, &t.key()).await;
        ix::place_order(&t.key(), &m, seat, p)
    }

    /// Places an order that must be accepted; returns the id of its resting
    /// remainder (0 if nothing rests).
    pub async fn place(&mut self, t: &Trader, market: &str, p: OrderParams) -> u64 {
        let next = self.market_header(market).await.state.next_order_id;
        let ix = self.place_ix(t, market, p).await;
        self.send(&[ix], &[&t.kp]).await;
        let (bids, asks) = self.book(market).await;
        if bids.iter().chain(&asks).any(|o| o.order_id == next) {
            next
        } else {
            0
        }
    }

    /// Places an order that must fail with program error `err`.
    pub async fn place_fails(&mut self, t: &Trader, market: &str, p: OrderParams, err: u32) {
        let ix = self.place_ix(t, market, p).await;
        self.send_tx_expect_error(&[ix], &[&t.kp], err).await;
    }

    /// `sweep_fees` of `market` to the exchange's treasury; must succeed.
    pub async fn sweep(&mut self, market: &str) -> TxOk {
        let ix = ix::sweep_fees(&self.market(market), &self.dep.treasury);
        self.send(&[ix], &[]).await
    }

    /// Operator: sets the market's status; must succeed.
    pub async fn set_market_status(&mut self, market: &str, status: MarketStatus) -> TxOk {
        let ix = ix::set_market_status(&self.admin(), &self.market(market), status);
        self.send(&[ix], &[]).await
    }

    /// Operator: sets the exchange's pause flags; must succeed.
    pub async fn set_exchange_pause(&mut self, flags: u8) -> TxOk {
        let ix = ix::set_exchange_pause(&self.admin(), flags);
        self.send(&[ix], &[]).await
    }

    // ---- oracles ----

    /// The chain clock's unix time.
    pub async fn now(&mut self) -> i64 {
        self.chain.clock().await.unix_timestamp
    }

    pub async fn advance_time(&mut self, secs: i64) {
        self.chain.advance_time(secs).await;
    }

    pub async fn advance_slots(&mut self, slots: u64) {
        self.chain.advance_slots(slots).await;
    }

    /// Writes `p` into `feed` in its market's format: a legacy price
    /// account owned by the Pyth program, or a `PriceUpdateV2` for the
    /// configured feed id owned by the Pyth receiver.
    pub fn set_feed(&mut self, feed: &Pubkey, p: &PythPrice) {
        set_oracle(&mut self.chain, &self.dep, feed, p);
    }

    /// A trading Pyth price in USD, published now (chain clock).
    pub async fn fresh_price(&mut self, price_usd: f64, conf_usd: f64) -> PythPrice {
        let now = self.now().await;
        PythPrice::usd(price_usd, conf_usd, now)
    }

    /// Sets one feed to a trading price published now.
    pub async fn set_oracle_price(&mut self, feed: &Pubkey, price_usd: f64, conf_usd: f64) {
        let p = self.fresh_price(price_usd, conf_usd).await;
        self.set_feed(feed, &p);
    }

    /// Sets every feed of `market` to the same fresh price (conf 1 bp).
    pub async fn set_market_price(&mut self, market: &str, price_usd: f64) {
        for f in self.feeds(market) {
            self.set_oracle_price(&f, price_usd, price_usd * 1e-4).await;
        }
    }

    /// `refresh_prices` for `market` with its configured feeds.
    pub fn refresh_ix(&self, market: &str) -> Instruction {
        ix::refresh_prices(&self.market(market), &self.feeds(market))
    }

    /// Refreshes `market`'s index; must succeed.
    pub async fn refresh(&mut self, market: &str) -> TxOk {
        let ix = self.refresh_ix(market);
        self.send(&[ix], &[]).await
    }

    // ---- reading state ----

    /// Runs `f` on a decoded view of a market account.
    pub async fn with_market<R>(&mut self, key: &Pubkey, f: impl FnOnce(&MarketRef) -> R) -> R {
        let data = self.chain.account_data(key).await;
        let m = MarketRef::from_bytes(&data).expect("market account decodes");
        f(&m)
    }

    /// The market header (config and live state), by name.
    pub async fn market_header(&mut self, name: &str) -> Market {
        let key = self.market(name);
        self.with_market(&key, |m| *m.header).await
    }

    /// The seat of `owner` in market `name`, if it has one.
    pub async fn seat(&mut self, name: &str, owner: &Pubkey) -> Option<Seat> {
        let key = self.market(name);
        self.with_market(&key, |m| {
            m.seats
                .iter()
                .find(|s| !s.is_free() && s.owner == *owner)
                .copied()
        })
        .await
    }

    /// quote atoms in `owner`'s seat (0 without a seat).
    pub async fn seat_collateral(&mut self, name: &str, owner: &Pubkey) -> i64 {
        self.seat(name, owner).await.map_or(0, |s| s.collateral)
    }

    /// The exchange account.
    pub async fn exchange(&mut self) -> Exchange {
        let data = self.chain.account_data(&ix::exchange_pda()).await;
        assert_eq!(
            &data[..8],
            Exchange::DISCRIMINATOR,
            "exchange discriminator"
        );
        bytemuck::pod_read_unaligned(&data[8..8 + core::mem::size_of::<Exchange>()])
    }

    /// The insurance fund account (after its 8-byte discriminator).
    pub async fn insurance_fund(&mut self) -> InsuranceFund {
        let data = self.chain.account_data(&ix::insurance_pda()).await;
        assert_eq!(
            &data[..8],
            InsuranceFund::DISCRIMINATOR,
            "insurance fund discriminator"
        );
        bytemuck::pod_read_unaligned(&data[8..8 + core::mem::size_of::<InsuranceFund>()])
    }

    /// Resting bids and asks of market `name`, each side best order last
    /// (bids ascending by price, asks descending; the oldest of equal
    /// prices nearest the end).
    pub async fn book(&mut self, name: &str) -> (Vec<Order>, Vec<Order>) {
        let key = self.market(name);
        self.with_market(&key, |m| {
            (
                m.bids[..m.header.num_bids as usize].to_vec(),
                m.asks[..m.header.num_asks as usize].to_vec(),
            )
        })
        .await
    }

    /// The seat of `owner` in `name`; panics if it has none.
    pub async fn seat_of(&mut self, name: &str, owner: &Pubkey) -> Seat {
        self.seat(name, owner).await.expect("trader has a seat")
    }

    /// A raw account (panics if it does not exist).
    pub async fn raw_account(&mut self, key: &Pubkey) -> Account {
        self.chain.account(key).await.expect("account exists")
    }

    /// Writes a copy of `src` at a fresh address, with its owner and data
    /// passed through `edit`; returns the new address.
    pub async fn clone_account(&mut self, src: &Pubkey, edit: impl FnOnce(&mut Account)) -> Pubkey {
        let mut a = self.raw_account(src).await;
        edit(&mut a);
        let key = Pubkey::new_unique();
        self.chain.set_account(&key, a);
        key
    }
}

// ---- instruction helpers ----

/// The accounts of deposit / withdraw as the client builds them, to be
/// edited by tests that substitute one account.
pub fn move_collateral_accounts(
    owner: &Pubkey,
    market: &Pubkey,
    owner_token: &Pubkey,
) -> bulwark::accounts::MoveCollateral {
    bulwark::accounts::MoveCollateral {
        owner: *owner,
        exchange: ix::exchange_pda(),
        market: *market,
        vault: ix::market_vault_pda(market),
        owner_token: *owner_token,
        rent_escrow: ix::rent_escrow_pda(market),
        token_program: spl_token::ID,
        system_program: anchor_lang::system_program::ID,
    }
}

/// A deposit instruction over arbitrary accounts, naming seat `seat`.
pub fn deposit_ix(
    accounts: bulwark::accounts::MoveCollateral,
    amount: u64,
    seat: u32,
) -> Instruction {
    Instruction {
        program_id: bulwark::ID,
        accounts: accounts.to_account_metas(None),
        data: bulwark::instruction::Deposit { amount, seat }.data(),
    }
}

/// A withdraw instruction over arbitrary accounts, naming seat `seat`.
pub fn withdraw_ix(
    accounts: bulwark::accounts::MoveCollateral,
    amount: u64,
    seat: u32,
) -> Instruction {
    Instruction {
        program_id: bulwark::ID,
        accounts: accounts.to_account_metas(None),
        data: bulwark::instruction::Withdraw { amount, seat }.data(),
    }
}

/// Replaces every occurrence of account `from` in `ix` by `to`.
pub fn replace_account(mut ix: Instruction, from: &Pubkey, to: &Pubkey) -> Instruction {
    let mut found = false;
    for m in ix.accounts.iter_mut().filter(|m| m.pubkey == *from) {
        m.pubkey = *to;
        found = true;
    }
    assert!(found, "account {from} not in the instruction");
    ix
}

/// Clears the signer flag of account `key` in `ix`.
pub fn unsign(mut ix: Instruction, key: &Pubkey) -> Instruction {
    let m = ix
        .accounts
        .iter_mut()
        .find(|m| m.pubkey == *key)
        .expect("account in the instruction");
    m.is_signer = false;
    ix
}

/// A Pyth price in USD with Pyth's usual exponent, published at `ts`,
/// with the given status.
pub fn pyth_price(price_usd: f64, conf_usd: f64, ts: i64, status: PriceStatus) -> PythPrice {
    PythPrice {
        status,
        ..PythPrice::usd(price_usd, conf_usd, ts)
    }
}

/// Price units (1e-6 USD) of a USD price.
pub fn price_units(price_usd: f64) -> u64 {
    usd(price_usd)
}

/// Order parameters: no client id, no expiry, not reduce-only. `price` in
/// price units (ignored for `Market`).
pub fn order(side: Side, order_type: OrderType, price: u64, lots: u64) -> OrderParams {
    OrderParams {
        side,
        order_type,
        price,
        lots,
        client_order_id: 0,
        expiry_ts: 0,
        reduce_only: false,
    }
}

/// A limit order at `price_usd`.
pub fn limit(side: Side, price_usd: f64, lots: u64) -> OrderParams {
    order(side, OrderType::Limit, price_units(price_usd), lots)
}

/// An immediate-or-cancel order at `price_usd`.
pub fn ioc(side: Side, price_usd: f64, lots: u64) -> OrderParams {
    order(
        side,
        OrderType::ImmediateOrCancel,
        price_units(price_usd),
        lots,
    )
}

/// The compute-budget program's `SetComputeUnitLimit`: harmless, and with a
/// varying `units` it makes otherwise identical transactions distinct (so
/// the chain need not wait for a new blockhash).
pub fn compute_unit_limit_ix(units: u32) -> Instruction {
    let program_id = Pubkey::from_str_const("ComputeBudget111111111111111111111111111111");
    let mut data = vec![2u8];
    data.extend_from_slice(&units.to_le_bytes());
    Instruction {
        program_id,
        accounts: Vec::<AccountMeta>::new(),
        data,
    }
}
