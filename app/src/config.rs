//! The declarative bootstrap config (`migrations/*.toml`): the exchange, its
//! bounds, and markets with their oracles and risk tiers. Units are named in
//! every field: `_usd` fields are converted to price units or quote atoms.

use crate::pyth::FeedFormat;
use anchor_lang::prelude::Pubkey;
use bulwark::math::{MAX_ORACLE_FEEDS, MAX_RISK_TIERS, PRICE_PRECISION};
use bulwark::state::{
    default_bounds, MarketConfig, OracleConfig, ParamBounds, RiskTier, WaterfallMode,
};
use serde::Deserialize;
use std::str::FromStr;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapConfig {
    pub exchange: ExchangeConfig,
    /// Insurance-fund parameters; unset fields keep the program's defaults.
    #[serde(default)]
    pub insurance: Option<InsuranceSpec>,
    #[serde(default)]
    pub markets: Vec<MarketSpec>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct InsuranceSpec {
    pub unstake_cooldown_secs: Option<i64>,
    /// bps of open-interest notional below which initial margin is raised.
    pub tighten_coverage_bps: Option<u32>,
    /// bps below which the market turns reduce-only.
    pub reduce_only_coverage_bps: Option<u32>,
    pub coverage_hysteresis_bps: Option<u32>,
    /// ppm (1e6 = 1x) applied to initial margin while tightened.
    pub tightened_im_multiplier_ppm: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExchangeConfig {
    /// seconds a loosening change waits.
    pub timelock_secs: i64,
    /// Pyth program id, the owner of every legacy feed; on the embedded
    /// chain any key (the oracle accounts are created owned by it).
    pub pyth_program: String,
    /// The Pyth Solana receiver, the owner of every pull feed
    /// (`rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ` on mainnet); default:
    /// the same key as `pyth_program` (the embedded chain's one fake owner).
    #[serde(default)]
    pub pyth_receiver: Option<String>,
    /// Overrides of the default bounds, by field name.
    #[serde(default)]
    pub bounds: Option<BoundsSpec>,
    /// The collateral mint (6 decimals). Required on a real cluster; when
    /// absent, `bulwark bootstrap` on the embedded chain or a localhost
    /// validator creates one with the admin as mint authority.
    #[serde(default)]
    pub collateral_mint: Option<String>,
    /// Token account (collateral mint) receiving the treasury's fee share;
    /// default: the admin's associated token account.
    #[serde(default)]
    pub treasury: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct BoundsSpec {
    pub max_taker_fee_ppm: Option<i32>,
    pub min_maker_fee_ppm: Option<i32>,
    pub max_maker_fee_ppm: Option<i32>,
    pub min_initial_margin_ppm: Option<u32>,
    pub min_maint_margin_ppm: Option<u32>,
    pub max_oracle_staleness_secs: Option<u32>,
    pub max_oracle_conf_bps: Option<u32>,
    pub max_oracle_deviation_bps: Option<u32>,
    pub max_price_band_bps: Option<u32>,
    pub min_price_band_bps: Option<u32>,
    pub max_liquidation_fee_ppm: Option<u32>,
    pub max_funding_cap_ppm: Option<u32>,
    pub min_insurance_fee_share_ppm: Option<u32>,
    pub min_funding_interval_secs: Option<u32>,
    pub max_seat_capacity: Option<u32>,
    pub max_book_capacity: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedSpec {
    /// A deterministic address is derived from this name on the embedded chain.
    pub name: String,
    /// An existing Pyth price account (real clusters); overrides `name`.
    #[serde(default)]
    pub address: Option<String>,
    /// USD; the embedded chain's starting price.
    #[serde(default)]
    pub initial_price_usd: f64,
    /// USD; the embedded chain's starting confidence.
    #[serde(default)]
    pub conf_usd: f64,
    /// The account's format: "legacy" (a Pyth v2 price account, the
    /// default) or "pull" (a Pyth receiver `PriceUpdateV2`).
    #[serde(default = "default_feed_kind")]
    pub kind: String,
    /// The Pyth feed id of a pull feed, 64 hex digits with or without `0x`;
    /// required for "pull", not allowed for "legacy".
    #[serde(default)]
    pub feed_id: Option<String>,
}

fn default_feed_kind() -> String {
    "legacy".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OracleSpec {
    pub feeds: Vec<FeedSpec>,
    pub min_feeds: u8,
    pub max_staleness_secs: u32,
    pub max_conf_bps: u16,
    pub max_deviation_bps: u16,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierSpec {
    /// USD; positions with notional up to this fall in the tier.
    pub max_notional_usd: u64,
    pub initial_margin_ppm: u32,
    pub maint_margin_ppm: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketSpec {
    pub name: String,
    /// the most seats the table may grow to; a new market has none and grows
    /// one seat per claim, whose rent the claimer pays.
    pub max_seats: u32,
    /// orders per side.
    pub book_capacity: u32,
    /// USD per base unit.
    pub tick_size_usd: f64,
    pub base_lots_per_unit: u64,
    pub min_order_lots: u64,
    pub max_order_lots: u64,
    pub position_limit_lots: u64,
    pub open_interest_cap_lots: u64,
    pub taker_fee_ppm: i32,
    pub maker_fee_ppm: i32,
    pub insurance_fee_share_ppm: u32,
    pub liquidation_fee_ppm: u32,
    pub keeper_liquidation_share_ppm: u32,
    pub price_band_bps: u32,
    pub funding_interval_secs: u32,
    pub funding_cap_ppm: u32,
    pub mark_ema_secs: u32,
    pub takeover_discount_ppm: u32,
    /// USD the insurance fund may pay this market per period.
    pub insurance_cover_cap_usd: u64,
    pub insurance_cover_period_secs: u32,
    pub partial_liquidation_tier: u8,
    /// "adl" or "socialized".
    pub waterfall_mode: String,
    /// USD of depth an impact bid/ask must reach to give the mark a sample.
    #[serde(default = "default_impact_notional_usd")]
    pub impact_notional_usd: f64,
    /// bps of the index; the most one update moves the mark's basis average.
    #[serde(default = "default_mark_max_move_bps")]
    pub mark_max_move_bps: u32,
    /// USD a deposit that claims a new seat must bring; a flat seat with
    /// no orders below it may be evicted by anyone.
    #[serde(default = "default_min_seat_collateral_usd")]
    pub min_seat_collateral_usd: f64,
    /// USD; the least notional of an order at its price.
    #[serde(default = "default_min_order_notional_usd")]
    pub min_order_notional_usd: f64,
    pub oracle: OracleSpec,
    pub tiers: Vec<TierSpec>,
}

fn default_impact_notional_usd() -> f64 {
    1_000.0
}

fn default_mark_max_move_bps() -> u32 {
    10
}

/// 10 USD: far above the rent of a seat's 128 bytes, so a table of seats
/// costs a squatter real capital, and small for any real trader.
fn default_min_seat_collateral_usd() -> f64 {
    10.0
}

/// 1 USD: one lot of the test and localnet markets clears it, a wall of
/// dust orders costs margin on every one.
fn default_min_order_notional_usd() -> f64 {
    1.0
}

impl BootstrapConfig {
    pub fn from_toml(s: &str) -> Result<Self, String> {
        toml::from_str(s).map_err(|e| e.to_string())
    }

    pub fn load(path: &std::path::Path) -> Result<Self, String> {
        let s = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::from_toml(&s).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn pyth_program(&self) -> Result<Pubkey, String> {
        Pubkey::from_str(&self.exchange.pyth_program).map_err(|e| format!("pyth_program: {e}"))
    }

    /// The owner of pull feeds: `[exchange] pyth_receiver`, else the
    /// `pyth_program` key.
    pub fn pyth_receiver(&self) -> Result<Pubkey, String> {
        match &self.exchange.pyth_receiver {
            Some(k) => Pubkey::from_str(k).map_err(|e| format!("pyth_receiver: {e}")),
            None => self.pyth_program(),
        }
    }

    pub fn collateral_mint(&self) -> Result<Option<Pubkey>, String> {
        self.exchange
            .collateral_mint
            .as_deref()
            .map(|s| Pubkey::from_str(s).map_err(|e| format!("collateral_mint: {e}")))
            .transpose()
    }

    pub fn treasury(&self) -> Result<Option<Pubkey>, String> {
        self.exchange
            .treasury
            .as_deref()
            .map(|s| Pubkey::from_str(s).map_err(|e| format!("treasury: {e}")))
            .transpose()
    }

    pub fn bounds(&self) -> ParamBounds {
        let mut b = default_bounds();
        if let Some(o) = &self.exchange.bounds {
            macro_rules! set {
                ($($f:ident),*) => {$( if let Some(v) = o.$f { b.$f = v; } )*};
            }
            set!(
                max_taker_fee_ppm,
                min_maker_fee_ppm,
                max_maker_fee_ppm,
                min_initial_margin_ppm,
                min_maint_margin_ppm,
                max_oracle_staleness_secs,
                max_oracle_conf_bps,
                max_oracle_deviation_bps,
                max_price_band_bps,
                min_price_band_bps,
                max_liquidation_fee_ppm,
                max_funding_cap_ppm,
                min_insurance_fee_share_ppm,
                min_funding_interval_secs,
                max_seat_capacity,
                max_book_capacity
            );
        }
        b
    }
}

/// USD to price units / quote atoms (1e-6), rounded to the nearest unit.
pub fn usd(v: f64) -> u64 {
    (v * PRICE_PRECISION as f64).round() as u64
}

impl FeedSpec {
    /// The feed's account: its configured address, or one derived from its
    /// name (embedded chain).
    pub fn key(&self) -> Result<Pubkey, String> {
        match &self.address {
            Some(a) => Pubkey::from_str(a).map_err(|e| format!("feed {}: {e}", self.name)),
            None => Ok(Pubkey::find_program_address(
                &[b"bulwark-sim-feed", self.name.as_bytes()],
                &bulwark::ID,
            )
            .0),
        }
    }

    /// The feed's format: its kind and, for a pull feed, its feed id.
    pub fn format(&self) -> Result<FeedFormat, String> {
        FeedFormat::parse(&self.kind, self.feed_id.as_deref())
            .map_err(|e| format!("feed {}: {e}", self.name))
    }
}

impl MarketSpec {
    pub fn name_bytes(&self) -> [u8; 16] {
        let mut n = [0u8; 16];
        let b = self.name.as_bytes();
        n[..b.len().min(16)].copy_from_slice(&b[..b.len().min(16)]);
        n
    }

    pub fn market_config(&self) -> Result<MarketConfig, String> {
        if self.oracle.feeds.is_empty() || self.oracle.feeds.len() > MAX_ORACLE_FEEDS {
            return Err(format!(
                "{}: 1 to {MAX_ORACLE_FEEDS} oracle feeds",
                self.name
            ));
        }
        if self.tiers.is_empty() || self.tiers.len() > MAX_RISK_TIERS {
            return Err(format!("{}: 1 to {MAX_RISK_TIERS} risk tiers", self.name));
        }
        let mut feeds = [Pubkey::default(); MAX_ORACLE_FEEDS];
        let mut feed_kinds = [0u8; MAX_ORACLE_FEEDS];
        let mut feed_ids = [[0u8; 32]; MAX_ORACLE_FEEDS];
        for (i, f) in self.oracle.feeds.iter().enumerate() {
            feeds[i] = f.key()?;
            let format = f.format().map_err(|e| format!("{}: {e}", self.name))?;
            feed_kinds[i] = format.kind as u8;
            feed_ids[i] = format.feed_id;
        }
        let mut tiers = [RiskTier::default(); MAX_RISK_TIERS];
        for (i, t) in self.tiers.iter().enumerate() {
            tiers[i] = RiskTier {
                max_notional: t.max_notional_usd.saturating_mul(PRICE_PRECISION),
                initial_margin_ppm: t.initial_margin_ppm,
                maint_margin_ppm: t.maint_margin_ppm,
            };
        }
        let mode = match self.waterfall_mode.as_str() {
            "adl" => WaterfallMode::Adl,
            "socialized" => WaterfallMode::Socialized,
            m => return Err(format!("{}: unknown waterfall_mode {m:?}", self.name)),
        };
        Ok(MarketConfig {
            oracle: OracleConfig {
                feeds,
                max_staleness_secs: self.oracle.max_staleness_secs,
                max_conf_bps: self.oracle.max_conf_bps,
                max_deviation_bps: self.oracle.max_deviation_bps,
                num_feeds: self.oracle.feeds.len() as u8,
                min_feeds: self.oracle.min_feeds,
                feed_kinds,
                padding: [0; 3],
                feed_ids,
            },
            tiers,
            tick_size: usd(self.tick_size_usd),
            base_lots_per_unit: self.base_lots_per_unit,
            min_order_lots: self.min_order_lots,
            max_order_lots: self.max_order_lots,
            open_interest_cap_lots: self.open_interest_cap_lots,
            position_limit_lots: self.position_limit_lots,
            insurance_cover_cap: self.insurance_cover_cap_usd.saturating_mul(PRICE_PRECISION),
            taker_fee_ppm: self.taker_fee_ppm,
            maker_fee_ppm: self.maker_fee_ppm,
            insurance_fee_share_ppm: self.insurance_fee_share_ppm,
            liquidation_fee_ppm: self.liquidation_fee_ppm,
            keeper_liquidation_share_ppm: self.keeper_liquidation_share_ppm,
            price_band_bps: self.price_band_bps,
            funding_interval_secs: self.funding_interval_secs,
            funding_cap_ppm: self.funding_cap_ppm,
            mark_ema_secs: self.mark_ema_secs,
            takeover_discount_ppm: self.takeover_discount_ppm,
            insurance_cover_period_secs: self.insurance_cover_period_secs,
            partial_liquidation_tier: self.partial_liquidation_tier,
            num_tiers: self.tiers.len() as u8,
            waterfall_mode: mode as u8,
            padding: [0; 1],
            impact_notional: usd(self.impact_notional_usd),
            mark_max_move_bps: self.mark_max_move_bps,
            padding2: [0; 4],
            min_seat_collateral: usd(self.min_seat_collateral_usd),
            min_order_notional: usd(self.min_order_notional_usd),
            reserved: [0; 32],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BTC_ID: &str = "e62df6c8b4a85fe1a67db44dc12de5db330f7ac66b72dc658afedf0f4a415b43";

    fn feed(extra: &str) -> Result<FeedFormat, String> {
        let f: FeedSpec =
            toml::from_str(&format!("name = \"f\"\n{extra}")).map_err(|e| e.to_string())?;
        f.format()
    }

    #[test]
    fn feed_kinds_and_ids_parse() {
        assert_eq!(feed("").unwrap(), FeedFormat::LEGACY);
        assert_eq!(feed("kind = \"legacy\"").unwrap(), FeedFormat::LEGACY);
        let id = crate::pyth::parse_feed_id(BTC_ID).unwrap();
        let pull = format!("kind = \"pull\"\nfeed_id = \"0x{BTC_ID}\"");
        assert_eq!(feed(&pull).unwrap(), FeedFormat::pull(id));
        let bare = format!("kind = \"pull\"\nfeed_id = \"{BTC_ID}\"");
        assert_eq!(feed(&bare).unwrap(), FeedFormat::pull(id));
        for (bad, why) in [
            ("kind = \"pull\"".to_string(), "needs its feed_id"),
            (format!("feed_id = \"{BTC_ID}\""), "has no feed_id"),
            (
                "kind = \"pull\"\nfeed_id = \"0x12\"".to_string(),
                "64 hex digits",
            ),
            (
                format!("kind = \"pull\"\nfeed_id = \"{}\"", "0".repeat(64)),
                "not be zero",
            ),
            ("kind = \"push\"".to_string(), "unknown kind"),
        ] {
            let e = feed(&bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn pyth_receiver_defaults_to_pyth_program() {
        let mut c: BootstrapConfig =
            toml::from_str("[exchange]\ntimelock_secs = 60\npyth_program = \"FsJ3A3u2vn5cTVofAjvy6y5kwABJAqYWpe4975bi2epH\"\n")
                .unwrap();
        assert_eq!(c.pyth_receiver().unwrap(), c.pyth_program().unwrap());
        c.exchange.pyth_receiver = Some("rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ".into());
        assert_eq!(
            c.pyth_receiver().unwrap().to_string(),
            "rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ"
        );
    }
}
