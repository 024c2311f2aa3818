//! Named precisions. Every quantity in the program is an integer in one of
//! these units; the comment on each constant gives its exponent.

/// Collateral (quote) token decimals. The exchange only accepts a 6-decimal
/// stablecoin mint, so one quote atom = 1e-6 quote units (USD).
pub const QUOTE_DECIMALS: u8 = 6;

/// Prices are quote atoms per whole base unit: 1e-6 USD per base unit.
/// With a 6-decimal quote mint, `price * base_units` is directly quote atoms.
pub const PRICE_PRECISION: u64 = 1_000_000; // 1e-6

/// Rates (fees, margin ratios, shares) are parts per million: 1e-6.
pub const PPM: u64 = 1_000_000; // 1e-6

/// Basis points: 1e-4. Used for oracle confidence, deviation and price band.
pub const BPS: u64 = 10_000; // 1e-4

/// Funding indices are quote atoms per base lot scaled by 1e9.
pub const FUNDING_PRECISION: i128 = 1_000_000_000; // 1e-9

/// Resting orders one seat may hold in one market (keeps one trader from
/// filling the book).
pub const MAX_ORDERS_PER_SEAT: u16 = 64;
/// The seat index that names no seat (a keeper without one).
pub const NO_SEAT: u32 = u32::MAX;

/// Maximum number of oracle feeds a market may combine by median.
pub const MAX_ORACLE_FEEDS: usize = 3;

/// Maximum number of risk tiers per market.
pub const MAX_RISK_TIERS: usize = 8;

/// Number of pending timelocked parameter changes the exchange can hold.
pub const MAX_PENDING_CHANGES: usize = 8;

/// Hard limits that even the exchange's bounds cannot cross (set in code, so
/// no operator can configure a market outside them).
pub mod limits {
    /// Lowest initial margin any market may use: 0.5 % (200x leverage).
    pub const MIN_INITIAL_MARGIN_PPM: u32 = 5_000;
    /// Lowest maintenance margin any market may use: 0.25 %.
    pub const MIN_MAINT_MARGIN_PPM: u32 = 2_500;
    /// Highest taker fee: 1 %.
    pub const MAX_TAKER_FEE_PPM: i32 = 10_000;
    /// Largest maker rebate: 0.05 % (a rebate is a negative maker fee).
    pub const MIN_MAKER_FEE_PPM: i32 = -500;
    /// Oracle prices older than this are never accepted: 5 minutes.
    pub const MAX_ORACLE_STALENESS_SECS: u32 = 300;
    /// Freeze floors: no guard may be set so tight that it rejects every
    /// real feed (a market whose index cannot refresh can neither be
    /// liquidated nor let an exposed seat withdraw). A value below a floor
    /// fails with `ParamWouldFreeze`, in markets and in the exchange's
    /// bounds alike, when set, queued and applied.
    /// Staleness: a feed may be at least 10 s old (Pyth publishes every
    /// 0.4 s; a 10 s window survives a congested slot or two).
    pub const MIN_ORACLE_STALENESS_SECS: u32 = 10;
    /// Confidence: an interval of 0.1 % of price is always accepted.
    pub const MIN_ORACLE_CONF_BPS: u32 = 10;
    /// Deviation from the median: feeds within 0.25 % are never dropped.
    pub const MIN_ORACLE_DEVIATION_BPS: u32 = 25;
    /// Price band: orders and fills may always be within 0.25 % of the index.
    pub const MIN_PRICE_BAND_BPS: u32 = 25;
    /// Oracle confidence wider than 5 % of price is never accepted.
    pub const MAX_ORACLE_CONF_BPS: u32 = 500;
    /// Feeds further than 10 % from the median are always dropped.
    pub const MAX_ORACLE_DEVIATION_BPS: u32 = 1_000;
    /// The price band can never be wider than 50 % around the index.
    pub const MAX_PRICE_BAND_BPS: u32 = 5_000;
    /// Liquidation fee at most 5 % of closed notional.
    pub const MAX_LIQUIDATION_FEE_PPM: u32 = 50_000;
    /// Funding per interval capped at 1 % at most.
    pub const MAX_FUNDING_CAP_PPM: u32 = 10_000;
    /// Shortest and longest timelock for loosening changes.
    pub const MIN_TIMELOCK_SECS: i64 = 60;
    pub const MAX_TIMELOCK_SECS: i64 = 30 * 24 * 3600;
    /// Largest seat table (8.4 MB of seats, under the 10 MiB account limit
    /// with the largest book) and book side a market account may hold.
    pub const MAX_SEAT_CAPACITY: u32 = 65_536;
    pub const MAX_BOOK_CAPACITY: u32 = 1_024;
    /// Unstake cooldown: between one hour and 30 days.
    pub const MIN_UNSTAKE_COOLDOWN_SECS: i64 = 3_600;
    pub const MAX_UNSTAKE_COOLDOWN_SECS: i64 = 30 * 24 * 3600;
    /// Coverage thresholds at most 100 % of open interest; hysteresis at most 10 %.
    pub const MAX_COVERAGE_BPS: u32 = 10_000;
    pub const MAX_COVERAGE_HYSTERESIS_BPS: u32 = 1_000;
    /// Tightened initial margin: between 1x and 5x.
    pub const MIN_TIGHTENED_IM_MULTIPLIER_PPM: u32 = 1_000_000;
    pub const MAX_TIGHTENED_IM_MULTIPLIER_PPM: u32 = 5_000_000;
    /// Seat minimum at most 10,000 USD (quote atoms) and order minimum at
    /// most 1,000 USD: a stolen admin key cannot price traders out.
    pub const MAX_MIN_SEAT_COLLATERAL: u64 = 10_000_000_000;
    pub const MAX_MIN_ORDER_NOTIONAL: u64 = 1_000_000_000;
}
