//! Validation of market configurations against the exchange's bounds, of the
//! bounds against the protocol's hard limits, and reading / writing single
//! parameters by key (for timelocked changes).

use crate::error::ErrorCode;
use crate::math::{limits, Cast, BPS, MAX_ORACLE_FEEDS, MAX_RISK_TIERS, PPM};
use crate::state::{
    Exchange, FeedKind, InsuranceFund, MarketConfig, ParamBounds, ParamKey, WaterfallMode,
};
use anchor_lang::prelude::*;

macro_rules! check {
    ($cond:expr, $err:expr) => {
        if !($cond) {
            msg!("check failed: {}", stringify!($cond));
            return Err(Error::from($err));
        }
    };
}

/// The bounds themselves must sit inside the protocol's hard limits.
pub fn validate_bounds(b: &ParamBounds) -> Result<()> {
    use ErrorCode::ParamOutOfBounds as E;
    check!(b.max_taker_fee_ppm <= limits::MAX_TAKER_FEE_PPM, E);
    check!(b.min_maker_fee_ppm >= limits::MIN_MAKER_FEE_PPM, E);
    check!(b.min_maker_fee_ppm <= b.max_maker_fee_ppm, E);
    check!(b.max_maker_fee_ppm <= b.max_taker_fee_ppm, E);
    check!(
        b.min_initial_margin_ppm >= limits::MIN_INITIAL_MARGIN_PPM,
        E
    );
    check!(b.min_maint_margin_ppm >= limits::MIN_MAINT_MARGIN_PPM, E);
    check!(b.min_maint_margin_ppm <= b.min_initial_margin_ppm, E);
    check!((b.min_initial_margin_ppm as u64) < PPM, E);
    // Freeze floors: bounds that would leave no usable oracle guard or band.
    use ErrorCode::ParamWouldFreeze as F;
    check!(
        b.max_oracle_staleness_secs >= limits::MIN_ORACLE_STALENESS_SECS,
        F
    );
    check!(b.max_oracle_conf_bps >= limits::MIN_ORACLE_CONF_BPS, F);
    check!(
        b.max_oracle_deviation_bps >= limits::MIN_ORACLE_DEVIATION_BPS,
        F
    );
    check!(b.max_price_band_bps >= limits::MIN_PRICE_BAND_BPS, F);
    check!(
        b.max_oracle_staleness_secs <= limits::MAX_ORACLE_STALENESS_SECS,
        E
    );
    check!(b.max_oracle_conf_bps <= limits::MAX_ORACLE_CONF_BPS, E);
    check!(
        b.max_oracle_deviation_bps <= limits::MAX_ORACLE_DEVIATION_BPS,
        E
    );
    check!(b.min_price_band_bps >= limits::MIN_PRICE_BAND_BPS, E);
    check!(b.min_price_band_bps <= b.max_price_band_bps, E);
    check!(b.max_price_band_bps <= limits::MAX_PRICE_BAND_BPS, E);
    check!(
        b.max_liquidation_fee_ppm <= limits::MAX_LIQUIDATION_FEE_PPM,
        E
    );
    check!(b.max_funding_cap_ppm <= limits::MAX_FUNDING_CAP_PPM, E);
    check!((b.min_insurance_fee_share_ppm as u64) <= PPM, E);
    check!(b.min_funding_interval_secs >= 1, E);
    check!(b.max_seat_capacity <= limits::MAX_SEAT_CAPACITY, E);
    check!(b.max_book_capacity <= limits::MAX_BOOK_CAPACITY, E);
    Ok(())
}

pub fn validate_timelock(secs: i64) -> Result<()> {
    check!(
        (limits::MIN_TIMELOCK_SECS..=limits::MAX_TIMELOCK_SECS).contains(&secs),
        ErrorCode::InvalidTimelock
    );
    Ok(())
}

/// Every parameter of a market inside the exchange's bounds, and internally
/// consistent (tiers increasing, maintenance below initial, …).
pub fn validate_market_config(c: &MarketConfig, b: &ParamBounds) -> Result<()> {
    use ErrorCode::{InvalidMarketConfig as C, InvalidRiskTiers as T, ParamOutOfBounds as E};
    // Oracles.
    let o = &c.oracle;
    check!(
        o.num_feeds >= 1 && o.num_feeds as usize <= MAX_ORACLE_FEEDS,
        C
    );
    check!(o.min_feeds >= 1, E);
    for (i, f) in o.feeds.iter().enumerate() {
        let id_is_zero = o.feed_ids[i] == [0u8; 32];
        if i < o.num_feeds as usize {
            check!(*f != Pubkey::default(), C);
            check!(!o.feeds[..i].contains(f), C);
            // Each feed's format: a pull feed is read for its feed id, a
            // legacy account has none.
            match FeedKind::try_from(o.feed_kinds[i])? {
                FeedKind::PythPull => {
                    check!(!id_is_zero, ErrorCode::OracleFeedIdMissing);
                    // One Pyth feed behind two accounts is one source: it
                    // must not count twice towards `min_feeds`.
                    check!(
                        !o.feed_ids[..i].contains(&o.feed_ids[i]),
                        ErrorCode::OracleFeedIdDuplicate
                    );
                }
                FeedKind::PythLegacy => check!(id_is_zero, ErrorCode::OracleFeedIdUnexpected),
            }
        } else {
            check!(*f == Pubkey::default(), C);
            check!(o.feed_kinds[i] == 0, ErrorCode::InvalidFeedKind);
            check!(id_is_zero, ErrorCode::OracleFeedIdUnexpected);
        }
    }
    // Freeze floors first: a guard no real feed can pass (or more feeds
    // required than the market has) would stop refresh_prices for good.
    use ErrorCode::ParamWouldFreeze as F;
    check!(o.min_feeds <= o.num_feeds, F);
    check!(o.max_staleness_secs >= limits::MIN_ORACLE_STALENESS_SECS, F);
    check!(o.max_conf_bps as u32 >= limits::MIN_ORACLE_CONF_BPS, F);
    check!(
        o.max_deviation_bps as u32 >= limits::MIN_ORACLE_DEVIATION_BPS,
        F
    );
    check!(c.price_band_bps >= limits::MIN_PRICE_BAND_BPS, F);
    check!(c.mark_max_move_bps >= 1, F);
    check!(o.max_staleness_secs <= b.max_oracle_staleness_secs, E);
    check!(o.max_conf_bps as u32 <= b.max_oracle_conf_bps, E);
    check!(o.max_deviation_bps as u32 <= b.max_oracle_deviation_bps, E);
    check!((o.max_deviation_bps as u64) < BPS, E);
    // Lots and ticks.
    check!(c.tick_size >= 1, C);
    check!(c.base_lots_per_unit >= 1, C);
    check!(is_power_of_ten(c.base_lots_per_unit), C);
    check!(
        c.min_order_lots >= 1 && c.min_order_lots <= c.max_order_lots,
        C
    );
    check!(c.max_order_lots <= i64::MAX as u64 / 4, C);
    check!(c.position_limit_lots >= c.min_order_lots, C);
    check!(c.open_interest_cap_lots >= c.position_limit_lots, C);
    check!(c.open_interest_cap_lots <= i64::MAX as u64 / 4, C);
    // Fees.
    check!(c.taker_fee_ppm <= b.max_taker_fee_ppm, E);
    check!(c.maker_fee_ppm >= b.min_maker_fee_ppm, E);
    check!(c.maker_fee_ppm <= b.max_maker_fee_ppm, E);
    // A maker rebate must be paid for by the taker fee of the same fill.
    check!(c.taker_fee_ppm >= 0, E);
    check!(c.taker_fee_ppm.saturating_add(c.maker_fee_ppm) >= 0, E);
    check!(
        c.insurance_fee_share_ppm >= b.min_insurance_fee_share_ppm,
        E
    );
    check!(c.insurance_fee_share_ppm as u64 <= PPM, E);
    check!(c.liquidation_fee_ppm <= b.max_liquidation_fee_ppm, E);
    check!(c.keeper_liquidation_share_ppm as u64 <= PPM, E);
    check!(c.takeover_discount_ppm as u64 <= PPM, E);
    // Band, funding, mark.
    check!(c.price_band_bps >= b.min_price_band_bps, E);
    check!(c.price_band_bps <= b.max_price_band_bps, E);
    check!(c.funding_interval_secs >= b.min_funding_interval_secs, E);
    check!(c.funding_cap_ppm <= b.max_funding_cap_ppm, E);
    check!(c.mark_ema_secs >= 1, C);
    // The mark's depth and per-update move: a sample needs real depth, and
    // no update may move it further than the band.
    check!(c.impact_notional >= 1, E);
    check!(c.mark_max_move_bps <= c.price_band_bps, E);
    check!(c.insurance_cover_period_secs >= 1, C);
    // Griefing minimums: bounded so no operator can price traders out.
    check!(c.min_seat_collateral <= limits::MAX_MIN_SEAT_COLLATERAL, E);
    check!(c.min_order_notional <= limits::MAX_MIN_ORDER_NOTIONAL, E);
    WaterfallMode::try_from(c.waterfall_mode)?;
    // Risk tiers: notional brackets strictly increasing, rates non-decreasing,
    // maintenance strictly below initial, all above the exchange's floors.
    let n = c.num_tiers as usize;
    check!((1..=MAX_RISK_TIERS).contains(&n), T);
    check!((c.partial_liquidation_tier as usize) <= n, T);
    for i in 0..MAX_RISK_TIERS {
        let t = &c.tiers[i];
        if i >= n {
            check!(t.max_notional == 0 && t.initial_margin_ppm == 0, T);
            check!(t.maint_margin_ppm == 0, T);
            continue;
        }
        check!(t.max_notional > 0, T);
        check!(t.initial_margin_ppm >= b.min_initial_margin_ppm, E);
        check!(t.maint_margin_ppm >= b.min_maint_margin_ppm, E);
        check!(t.maint_margin_ppm < t.initial_margin_ppm, T);
        check!((t.initial_margin_ppm as u64) <= PPM, T);
        if i > 0 {
            let p = &c.tiers[i - 1];
            check!(t.max_notional > p.max_notional, T);
            check!(t.initial_margin_ppm >= p.initial_margin_ppm, T);
            check!(t.maint_margin_ppm >= p.maint_margin_ppm, T);
        }
    }
    Ok(())
}

fn is_power_of_ten(mut v: u64) -> bool {
    while v >= 10 && v.is_multiple_of(10) {
        v /= 10;
    }
    v == 1
}

fn tier_index(c: &MarketConfig, index: u8) -> Result<usize> {
    let i = index as usize;
    require!(i < c.num_tiers as usize, ErrorCode::InvalidRiskTiers);
    Ok(i)
}

/// Current value of a market parameter, as i64 in the key's unit.
pub fn read_market_param(c: &MarketConfig, key: ParamKey, index: u8) -> Result<i64> {
    use ParamKey::*;
    Ok(match key {
        TakerFeePpm => c.taker_fee_ppm as i64,
        MakerFeePpm => c.maker_fee_ppm as i64,
        OracleMaxStalenessSecs => c.oracle.max_staleness_secs as i64,
        OracleMaxConfBps => c.oracle.max_conf_bps as i64,
        OracleMaxDeviationBps => c.oracle.max_deviation_bps as i64,
        OracleMinFeeds => c.oracle.min_feeds as i64,
        PriceBandBps => c.price_band_bps as i64,
        TierInitialMarginPpm => c.tiers[tier_index(c, index)?].initial_margin_ppm as i64,
        TierMaintMarginPpm => c.tiers[tier_index(c, index)?].maint_margin_ppm as i64,
        TierMaxNotional => c.tiers[tier_index(c, index)?].max_notional.cast()?,
        OpenInterestCapLots => c.open_interest_cap_lots.cast()?,
        PositionLimitLots => c.position_limit_lots.cast()?,
        LiquidationFeePpm => c.liquidation_fee_ppm as i64,
        FundingCapPpm => c.funding_cap_ppm as i64,
        InsuranceFeeSharePpm => c.insurance_fee_share_ppm as i64,
        InsuranceCoverCap => c.insurance_cover_cap.cast()?,
        WaterfallMode => c.waterfall_mode as i64,
        MinSeatCollateral => c.min_seat_collateral.cast()?,
        MinOrderNotional => c.min_order_notional.cast()?,
        ImpactNotional => c.impact_notional.cast()?,
        MarkMaxMoveBps => c.mark_max_move_bps as i64,
        _ => return err!(ErrorCode::UnknownParam),
    })
}

/// Set a market parameter (the caller validates the whole config after).
pub fn write_market_param(c: &mut MarketConfig, key: ParamKey, index: u8, v: i64) -> Result<()> {
    use ParamKey::*;
    match key {
        TakerFeePpm => c.taker_fee_ppm = v.cast()?,
        MakerFeePpm => c.maker_fee_ppm = v.cast()?,
        OracleMaxStalenessSecs => c.oracle.max_staleness_secs = v.cast()?,
        OracleMaxConfBps => c.oracle.max_conf_bps = v.cast()?,
        OracleMaxDeviationBps => c.oracle.max_deviation_bps = v.cast()?,
        OracleMinFeeds => c.oracle.min_feeds = v.cast()?,
        PriceBandBps => c.price_band_bps = v.cast()?,
        TierInitialMarginPpm => c.tiers[tier_index(c, index)?].initial_margin_ppm = v.cast()?,
        TierMaintMarginPpm => c.tiers[tier_index(c, index)?].maint_margin_ppm = v.cast()?,
        TierMaxNotional => c.tiers[tier_index(c, index)?].max_notional = v.cast()?,
        OpenInterestCapLots => c.open_interest_cap_lots = v.cast()?,
        PositionLimitLots => c.position_limit_lots = v.cast()?,
        LiquidationFeePpm => c.liquidation_fee_ppm = v.cast()?,
        FundingCapPpm => c.funding_cap_ppm = v.cast()?,
        InsuranceFeeSharePpm => c.insurance_fee_share_ppm = v.cast()?,
        InsuranceCoverCap => c.insurance_cover_cap = v.cast()?,
        WaterfallMode => c.waterfall_mode = v.cast()?,
        MinSeatCollateral => c.min_seat_collateral = v.cast()?,
        MinOrderNotional => c.min_order_notional = v.cast()?,
        ImpactNotional => c.impact_notional = v.cast()?,
        MarkMaxMoveBps => c.mark_max_move_bps = v.cast()?,
        _ => return err!(ErrorCode::UnknownParam),
    }
    Ok(())
}

/// Current value of an exchange parameter.
pub fn read_exchange_param(e: &Exchange, key: ParamKey) -> Result<i64> {
    use ParamKey::*;
    let b = &e.bounds;
    Ok(match key {
        TimelockSecs => e.timelock_secs,
        BoundMaxTakerFeePpm => b.max_taker_fee_ppm as i64,
        BoundMinMakerFeePpm => b.min_maker_fee_ppm as i64,
        BoundMaxMakerFeePpm => b.max_maker_fee_ppm as i64,
        BoundMinInitialMarginPpm => b.min_initial_margin_ppm as i64,
        BoundMinMaintMarginPpm => b.min_maint_margin_ppm as i64,
        BoundMaxOracleStalenessSecs => b.max_oracle_staleness_secs as i64,
        BoundMaxOracleConfBps => b.max_oracle_conf_bps as i64,
        BoundMaxOracleDeviationBps => b.max_oracle_deviation_bps as i64,
        BoundMaxPriceBandBps => b.max_price_band_bps as i64,
        BoundMinPriceBandBps => b.min_price_band_bps as i64,
        BoundMaxLiquidationFeePpm => b.max_liquidation_fee_ppm as i64,
        BoundMaxFundingCapPpm => b.max_funding_cap_ppm as i64,
        BoundMinInsuranceFeeSharePpm => b.min_insurance_fee_share_ppm as i64,
        _ => return err!(ErrorCode::UnknownParam),
    })
}

/// Set an exchange parameter and validate the result.
pub fn write_exchange_param(e: &mut Exchange, key: ParamKey, v: i64) -> Result<()> {
    use ParamKey::*;
    let mut b = e.bounds;
    let mut timelock = e.timelock_secs;
    match key {
        TimelockSecs => timelock = v,
        BoundMaxTakerFeePpm => b.max_taker_fee_ppm = v.cast()?,
        BoundMinMakerFeePpm => b.min_maker_fee_ppm = v.cast()?,
        BoundMaxMakerFeePpm => b.max_maker_fee_ppm = v.cast()?,
        BoundMinInitialMarginPpm => b.min_initial_margin_ppm = v.cast()?,
        BoundMinMaintMarginPpm => b.min_maint_margin_ppm = v.cast()?,
        BoundMaxOracleStalenessSecs => b.max_oracle_staleness_secs = v.cast()?,
        BoundMaxOracleConfBps => b.max_oracle_conf_bps = v.cast()?,
        BoundMaxOracleDeviationBps => b.max_oracle_deviation_bps = v.cast()?,
        BoundMaxPriceBandBps => b.max_price_band_bps = v.cast()?,
        BoundMinPriceBandBps => b.min_price_band_bps = v.cast()?,
        BoundMaxLiquidationFeePpm => b.max_liquidation_fee_ppm = v.cast()?,
        BoundMaxFundingCapPpm => b.max_funding_cap_ppm = v.cast()?,
        BoundMinInsuranceFeeSharePpm => b.min_insurance_fee_share_ppm = v.cast()?,
        _ => return err!(ErrorCode::UnknownParam),
    }
    validate_bounds(&b)?;
    validate_timelock(timelock)?;
    e.bounds = b;
    e.timelock_secs = timelock;
    Ok(())
}

/// Current value of an insurance-fund parameter.
pub fn read_insurance_param(f: &InsuranceFund, key: ParamKey) -> Result<i64> {
    use ParamKey::*;
    Ok(match key {
        InsuranceUnstakeCooldownSecs => f.unstake_cooldown_secs,
        InsuranceTightenCoverageBps => f.tighten_coverage_bps as i64,
        InsuranceReduceOnlyCoverageBps => f.reduce_only_coverage_bps as i64,
        InsuranceCoverageHysteresisBps => f.coverage_hysteresis_bps as i64,
        InsuranceTightenedImMultiplierPpm => f.tightened_im_multiplier_ppm as i64,
        _ => return err!(ErrorCode::UnknownParam),
    })
}

/// Sets an insurance-fund parameter within the protocol's hard limits
/// (reduce-only threshold below the tightening threshold).
pub fn write_insurance_param(f: &mut InsuranceFund, key: ParamKey, v: i64) -> Result<()> {
    use ParamKey::*;
    let mut n = *f;
    match key {
        InsuranceUnstakeCooldownSecs => n.unstake_cooldown_secs = v,
        InsuranceTightenCoverageBps => n.tighten_coverage_bps = v.cast()?,
        InsuranceReduceOnlyCoverageBps => n.reduce_only_coverage_bps = v.cast()?,
        InsuranceCoverageHysteresisBps => n.coverage_hysteresis_bps = v.cast()?,
        InsuranceTightenedImMultiplierPpm => n.tightened_im_multiplier_ppm = v.cast()?,
        _ => return err!(ErrorCode::UnknownParam),
    }
    use ErrorCode::ParamOutOfBounds as E;
    check!(
        (limits::MIN_UNSTAKE_COOLDOWN_SECS..=limits::MAX_UNSTAKE_COOLDOWN_SECS)
            .contains(&n.unstake_cooldown_secs),
        E
    );
    check!(n.tighten_coverage_bps <= limits::MAX_COVERAGE_BPS, E);
    check!(n.reduce_only_coverage_bps <= n.tighten_coverage_bps, E);
    check!(
        n.coverage_hysteresis_bps <= limits::MAX_COVERAGE_HYSTERESIS_BPS,
        E
    );
    check!(
        (limits::MIN_TIGHTENED_IM_MULTIPLIER_PPM..=limits::MAX_TIGHTENED_IM_MULTIPLIER_PPM)
            .contains(&n.tightened_im_multiplier_ppm),
        E
    );
    *f = n;
    Ok(())
}

/// Validates an insurance change on a copy and reports whether it must wait
/// for the timelock (`ParamKey::needs_timelock`).
pub fn insurance_change(f: &InsuranceFund, key: ParamKey, value: i64) -> Result<bool> {
    let old = read_insurance_param(f, key)?;
    let mut copy = *f;
    write_insurance_param(&mut copy, key, value)?;
    Ok(key.needs_timelock(old, value))
}

/// Socialized mode haircuts the opposite side's profit in one pass over the
/// seat table at close time (`deleverage::haircut_profits`), so it is only
/// for markets whose table fits one transaction: at most
/// `ADL_ONE_TX_SEATS` seats. Larger markets use ADL, whose ranking spans
/// transactions (`adl_round`).
pub fn require_mode_fits_table(c: &MarketConfig, max_seats: u32) -> Result<()> {
    if WaterfallMode::try_from(c.waterfall_mode)? == WaterfallMode::Socialized {
        require!(
            max_seats as usize <= super::deleverage::ADL_ONE_TX_SEATS,
            ErrorCode::CapacityOutOfBounds
        );
    }
    Ok(())
}

/// The market config after setting `key` to `value`, validated against the
/// bounds, and whether the change must wait for the timelock.
pub fn market_change(
    c: &MarketConfig,
    b: &ParamBounds,
    key: ParamKey,
    index: u8,
    value: i64,
) -> Result<(MarketConfig, bool)> {
    require!(key.is_market_key(), ErrorCode::UnknownParam);
    let old = read_market_param(c, key, index)?;
    let mut next = *c;
    write_market_param(&mut next, key, index, value)?;
    validate_market_config(&next, b)?;
    Ok((next, key.needs_timelock(old, value)))
}

/// Apply an exchange-level change to a copy and report whether it must wait.
pub fn exchange_change(e: &Exchange, key: ParamKey, value: i64) -> Result<bool> {
    require!(
        !key.is_market_key() && !key.is_insurance_key(),
        ErrorCode::UnknownParam
    );
    let old = read_exchange_param(e, key)?;
    let mut copy = *e;
    write_exchange_param(&mut copy, key, value)?;
    Ok(key.needs_timelock(old, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{default_bounds, OracleConfig, RiskTier};

    pub fn sample_config() -> MarketConfig {
        let mut tiers = [RiskTier::default(); MAX_RISK_TIERS];
        tiers[0] = RiskTier {
            max_notional: 1_000_000_000,
            initial_margin_ppm: 20_000,
            maint_margin_ppm: 10_000,
        };
        tiers[1] = RiskTier {
            max_notional: 10_000_000_000,
            initial_margin_ppm: 50_000,
            maint_margin_ppm: 25_000,
        };
        let mut feeds = [Pubkey::default(); MAX_ORACLE_FEEDS];
        feeds[0] = Pubkey::new_from_array([7; 32]);
        MarketConfig {
            oracle: OracleConfig {
                feeds,
                max_staleness_secs: 60,
                max_conf_bps: 100,
                max_deviation_bps: 200,
                num_feeds: 1,
                min_feeds: 1,
                feed_kinds: [0; MAX_ORACLE_FEEDS],
                padding: [0; 3],
                feed_ids: [[0; 32]; MAX_ORACLE_FEEDS],
            },
            tiers,
            tick_size: 1_000,
            base_lots_per_unit: 10_000,
            min_order_lots: 1,
            max_order_lots: 1_000_000,
            open_interest_cap_lots: 10_000_000,
            position_limit_lots: 1_000_000,
            insurance_cover_cap: 1_000_000_000,
            taker_fee_ppm: 500,
            maker_fee_ppm: -100,
            insurance_fee_share_ppm: 500_000,
            liquidation_fee_ppm: 10_000,
            keeper_liquidation_share_ppm: 500_000,
            price_band_bps: 500,
            funding_interval_secs: 3_600,
            funding_cap_ppm: 1_000,
            mark_ema_secs: 300,
            takeover_discount_ppm: 500_000,
            insurance_cover_period_secs: 86_400,
            partial_liquidation_tier: 1,
            num_tiers: 2,
            waterfall_mode: 0,
            padding: [0; 1],
            impact_notional: 1_000_000_000,
            mark_max_move_bps: 10,
            padding2: [0; 4],
            min_seat_collateral: 10_000_000,
            min_order_notional: 1_000_000,
            reserved: [0; 32],
        }
    }

    #[test]
    fn sample_config_is_valid() {
        validate_bounds(&default_bounds()).unwrap();
        validate_market_config(&sample_config(), &default_bounds()).unwrap();
    }

    #[test]
    fn out_of_bounds_and_inconsistent_configs_fail() {
        let b = default_bounds();
        let mut c = sample_config();
        c.taker_fee_ppm = b.max_taker_fee_ppm + 1;
        assert!(validate_market_config(&c, &b).is_err());
        let mut c = sample_config();
        c.tiers[1].initial_margin_ppm = 10_000; // below tier 0
        assert!(validate_market_config(&c, &b).is_err());
        let mut c = sample_config();
        c.tiers[0].maint_margin_ppm = c.tiers[0].initial_margin_ppm;
        assert!(validate_market_config(&c, &b).is_err());
        let mut c = sample_config();
        c.oracle.min_feeds = 2;
        assert!(validate_market_config(&c, &b).is_err());
        let mut c = sample_config();
        c.base_lots_per_unit = 300;
        assert!(validate_market_config(&c, &b).is_err());
    }

    /// The error code a validation fails with.
    fn code_of(r: Result<()>) -> u32 {
        match r {
            Err(anchor_lang::error::Error::AnchorError(e)) => e.error_code_number,
            other => panic!("expected a program error, got {other:?}"),
        }
    }

    #[test]
    fn one_pyth_feed_counts_once() {
        // Two pull accounts carrying the same Pyth feed id are one source:
        // with min_feeds = 2 they would fake the agreement of two.
        let b = default_bounds();
        let mut c = sample_config();
        c.oracle.num_feeds = 2;
        c.oracle.min_feeds = 2;
        for i in 0..2 {
            c.oracle.feeds[i] = Pubkey::new_from_array([8 + i as u8; 32]);
            c.oracle.feed_kinds[i] = FeedKind::PythPull as u8;
            c.oracle.feed_ids[i] = [0xab; 32];
        }
        assert_eq!(
            code_of(validate_market_config(&c, &b)),
            u32::from(ErrorCode::OracleFeedIdDuplicate)
        );
        c.oracle.feed_ids[1] = [0xac; 32];
        validate_market_config(&c, &b).unwrap();
    }

    #[test]
    fn feed_kinds_and_ids() {
        let b = default_bounds();
        let pull_id = [0xab; 32];
        // A pull feed with its id, next to a legacy one: valid.
        let mut c = sample_config();
        c.oracle.feeds[1] = Pubkey::new_from_array([8; 32]);
        c.oracle.num_feeds = 2;
        c.oracle.feed_kinds[1] = FeedKind::PythPull as u8;
        c.oracle.feed_ids[1] = pull_id;
        validate_market_config(&c, &b).unwrap();
        // A pull feed without an id.
        let mut d = c;
        d.oracle.feed_ids[1] = [0; 32];
        assert_eq!(
            code_of(validate_market_config(&d, &b)),
            u32::from(ErrorCode::OracleFeedIdMissing)
        );
        // A legacy feed with an id.
        let mut d = c;
        d.oracle.feed_ids[0] = pull_id;
        assert_eq!(
            code_of(validate_market_config(&d, &b)),
            u32::from(ErrorCode::OracleFeedIdUnexpected)
        );
        // An unknown kind, used or not.
        let mut d = c;
        d.oracle.feed_kinds[0] = 2;
        assert_eq!(
            code_of(validate_market_config(&d, &b)),
            u32::from(ErrorCode::InvalidFeedKind)
        );
        let mut d = c;
        d.oracle.feed_kinds[2] = 1;
        assert_eq!(
            code_of(validate_market_config(&d, &b)),
            u32::from(ErrorCode::InvalidFeedKind)
        );
        // An id in an unused slot.
        let mut d = c;
        d.oracle.feed_ids[2] = pull_id;
        assert_eq!(
            code_of(validate_market_config(&d, &b)),
            u32::from(ErrorCode::OracleFeedIdUnexpected)
        );
    }

    #[test]
    fn loosening_directions() {
        let b = default_bounds();
        let c = sample_config();
        let (_, loose) = market_change(&c, &b, ParamKey::TierInitialMarginPpm, 0, 15_000).unwrap();
        assert!(loose);
        let (n, loose) = market_change(&c, &b, ParamKey::TierInitialMarginPpm, 0, 30_000).unwrap();
        assert!(!loose);
        assert_eq!(n.tiers[0].initial_margin_ppm, 30_000);
        // A narrower band cancels resting orders: it waits too.
        let (_, loose) = market_change(&c, &b, ParamKey::PriceBandBps, 0, 100).unwrap();
        assert!(loose);
        // Maintenance margin waits both ways (up liquidates open positions).
        let (_, loose) = market_change(&c, &b, ParamKey::TierMaintMarginPpm, 0, 15_000).unwrap();
        assert!(loose);
        let (_, loose) = market_change(&c, &b, ParamKey::TakerFeePpm, 0, 400).unwrap();
        assert!(!loose);
        let (_, loose) = market_change(&c, &b, ParamKey::TakerFeePpm, 0, 600).unwrap();
        assert!(loose);
        assert!(market_change(&c, &b, ParamKey::PriceBandBps, 0, 1_000_000).is_err());
        assert!(market_change(&c, &b, ParamKey::TimelockSecs, 0, 100).is_err());
    }

    /// The error a change fails with, as its code.
    fn fails_with(r: Result<(MarketConfig, bool)>) -> ErrorCode {
        match r {
            Err(anchor_lang::error::Error::AnchorError(e)) => {
                let n = e.error_code_number - anchor_lang::error::ERROR_CODE_OFFSET;
                let all = [ErrorCode::ParamWouldFreeze, ErrorCode::ParamOutOfBounds];
                *all.iter()
                    .find(|c| **c as u32 == n)
                    .expect("a bounds error")
            }
            other => panic!("expected an error, got {:?}", other.map(|(_, l)| l)),
        }
    }

    #[test]
    fn guards_cannot_be_set_to_freeze() {
        use ErrorCode::{ParamOutOfBounds as Oob, ParamWouldFreeze as Freeze};
        let b = default_bounds();
        let c = sample_config();
        let cases = [
            (ParamKey::OracleMaxConfBps, 0, Freeze),
            (
                ParamKey::OracleMaxConfBps,
                limits::MIN_ORACLE_CONF_BPS as i64 - 1,
                Freeze,
            ),
            (
                ParamKey::OracleMaxConfBps,
                b.max_oracle_conf_bps as i64 + 1,
                Oob,
            ),
            (ParamKey::OracleMaxStalenessSecs, 0, Freeze),
            (ParamKey::OracleMaxStalenessSecs, 9, Freeze),
            (
                ParamKey::OracleMaxStalenessSecs,
                b.max_oracle_staleness_secs as i64 + 1,
                Oob,
            ),
            (ParamKey::OracleMaxDeviationBps, 24, Freeze),
            (ParamKey::OracleMinFeeds, 2, Freeze),
            (ParamKey::OracleMinFeeds, 0, Oob),
            (ParamKey::PriceBandBps, 24, Freeze),
            (ParamKey::PriceBandBps, 49, Oob),
            (ParamKey::MarkMaxMoveBps, 0, Freeze),
            (ParamKey::MarkMaxMoveBps, 501, Oob),
            (ParamKey::ImpactNotional, 0, Oob),
        ];
        for (key, v, want) in cases {
            let got = fails_with(market_change(&c, &b, key, 0, v));
            assert_eq!(got as u32, want as u32, "{key:?} = {v}");
        }
        // At the floors the guards still work, and the change waits.
        let (n, wait) = market_change(&c, &b, ParamKey::OracleMaxStalenessSecs, 0, 10).unwrap();
        assert!(wait);
        assert_eq!(n.oracle.max_staleness_secs, 10);
        let (_, wait) = market_change(&c, &b, ParamKey::MarkMaxMoveBps, 0, 1).unwrap();
        assert!(wait);
        // The bounds have the same floors.
        for f in [
            |b: &mut ParamBounds| b.max_oracle_conf_bps = 9,
            |b: &mut ParamBounds| b.max_oracle_staleness_secs = 9,
            |b: &mut ParamBounds| b.max_oracle_deviation_bps = 0,
            |b: &mut ParamBounds| b.max_price_band_bps = 24,
        ] {
            let mut nb = default_bounds();
            f(&mut nb);
            let e = validate_bounds(&nb).unwrap_err();
            assert_eq!(e, ErrorCode::ParamWouldFreeze.into());
        }
        let mut nb = default_bounds();
        nb.min_price_band_bps = 24;
        assert_eq!(
            validate_bounds(&nb).unwrap_err(),
            ErrorCode::ParamOutOfBounds.into()
        );
    }

    #[test]
    fn insurance_params_are_bounded_and_directed() {
        let mut f: InsuranceFund = bytemuck::Zeroable::zeroed();
        f.unstake_cooldown_secs = 7 * 24 * 3600;
        f.tighten_coverage_bps = 100;
        f.reduce_only_coverage_bps = 25;
        f.coverage_hysteresis_bps = 25;
        f.tightened_im_multiplier_ppm = 1_500_000;
        // A shorter cooldown loosens; a longer one traps stakers: both wait.
        assert!(insurance_change(&f, ParamKey::InsuranceUnstakeCooldownSecs, 3_600).unwrap());
        assert!(
            insurance_change(&f, ParamKey::InsuranceUnstakeCooldownSecs, 8 * 24 * 3600).unwrap()
        );
        // Outside the hard limits.
        assert!(insurance_change(&f, ParamKey::InsuranceUnstakeCooldownSecs, 60).is_err());
        assert!(
            insurance_change(&f, ParamKey::InsuranceTightenedImMultiplierPpm, 900_000).is_err()
        );
        // The reduce-only threshold cannot exceed the tightening threshold.
        assert!(insurance_change(&f, ParamKey::InsuranceReduceOnlyCoverageBps, 200).is_err());
        assert!(!insurance_change(&f, ParamKey::InsuranceTightenCoverageBps, 300).unwrap());
    }
}
