//! Keys for parameter changes. Each key names one field, its unit, and the
//! direction in which a change loosens risk (or works against traders) and
//! must therefore wait behind the timelock.

use crate::error::ErrorCode;
use anchor_lang::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
pub enum ParamKey {
    // ---- market parameters (target = the market) ----
    /// ppm; raising it is queued (it costs traders).
    TakerFeePpm = 0,
    /// ppm; raising it is queued.
    MakerFeePpm = 1,
    /// seconds; raising it is queued.
    OracleMaxStalenessSecs = 2,
    /// bps; raising it is queued.
    OracleMaxConfBps = 3,
    /// bps; raising it is queued.
    OracleMaxDeviationBps = 4,
    /// feeds; lowering it is queued.
    OracleMinFeeds = 5,
    /// bps; raising it is queued.
    PriceBandBps = 6,
    /// ppm, tier `index`; lowering it is queued.
    TierInitialMarginPpm = 7,
    /// ppm, tier `index`; lowering it is queued.
    TierMaintMarginPpm = 8,
    /// quote atoms, tier `index`; raising it is queued.
    TierMaxNotional = 9,
    /// base lots; raising it is queued.
    OpenInterestCapLots = 10,
    /// base lots; raising it is queued.
    PositionLimitLots = 11,
    /// ppm; raising it is queued (it costs traders).
    LiquidationFeePpm = 12,
    /// ppm; raising it is queued.
    FundingCapPpm = 13,
    /// ppm; lowering it is queued.
    InsuranceFeeSharePpm = 14,
    /// quote atoms per period; raising it is queued.
    InsuranceCoverCap = 15,
    /// `WaterfallMode`; every change is queued.
    WaterfallMode = 16,
    // ---- exchange parameters (target = default key) ----
    /// seconds; lowering it is queued.
    TimelockSecs = 100,
    BoundMaxTakerFeePpm = 101,
    BoundMinMakerFeePpm = 102,
    BoundMaxMakerFeePpm = 103,
    BoundMinInitialMarginPpm = 104,
    BoundMinMaintMarginPpm = 105,
    BoundMaxOracleStalenessSecs = 106,
    BoundMaxOracleConfBps = 107,
    BoundMaxOracleDeviationBps = 108,
    BoundMaxPriceBandBps = 109,
    BoundMinPriceBandBps = 110,
    BoundMaxLiquidationFeePpm = 111,
    BoundMaxFundingCapPpm = 112,
    BoundMinInsuranceFeeSharePpm = 113,
    // ---- insurance fund parameters (target = the insurance fund) ----
    /// seconds; lowering it is queued.
    InsuranceUnstakeCooldownSecs = 200,
    /// bps of open-interest notional; lowering it is queued.
    InsuranceTightenCoverageBps = 201,
    /// bps; lowering it is queued.
    InsuranceReduceOnlyCoverageBps = 202,
    /// bps; lowering it is queued.
    InsuranceCoverageHysteresisBps = 203,
    /// ppm; lowering it is queued.
    InsuranceTightenedImMultiplierPpm = 204,
}

/// Which change of a value loosens risk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loosens {
    /// A higher value loosens.
    Up,
    /// A lower value loosens.
    Down,
    /// Any change counts as loosening.
    Any,
}

impl ParamKey {
    pub fn from_u16(v: u16) -> Result<Self> {
        use ParamKey::*;
        const ALL: [ParamKey; 36] = [
            TakerFeePpm,
            MakerFeePpm,
            OracleMaxStalenessSecs,
            OracleMaxConfBps,
            OracleMaxDeviationBps,
            OracleMinFeeds,
            PriceBandBps,
            TierInitialMarginPpm,
            TierMaintMarginPpm,
            TierMaxNotional,
            OpenInterestCapLots,
            PositionLimitLots,
            LiquidationFeePpm,
            FundingCapPpm,
            InsuranceFeeSharePpm,
            InsuranceCoverCap,
            WaterfallMode,
            TimelockSecs,
            BoundMaxTakerFeePpm,
            BoundMinMakerFeePpm,
            BoundMaxMakerFeePpm,
            BoundMinInitialMarginPpm,
            BoundMinMaintMarginPpm,
            BoundMaxOracleStalenessSecs,
            BoundMaxOracleConfBps,
            BoundMaxOracleDeviationBps,
            BoundMaxPriceBandBps,
            BoundMinPriceBandBps,
            BoundMaxLiquidationFeePpm,
            BoundMaxFundingCapPpm,
            BoundMinInsuranceFeeSharePpm,
            InsuranceUnstakeCooldownSecs,
            InsuranceTightenCoverageBps,
            InsuranceReduceOnlyCoverageBps,
            InsuranceCoverageHysteresisBps,
            InsuranceTightenedImMultiplierPpm,
        ];
        ALL.iter()
            .copied()
            .find(|k| *k as u16 == v)
            .ok_or_else(|| error!(ErrorCode::UnknownParam))
    }

    /// Market keys are below 100, exchange keys 100–199, insurance keys from 200.
    pub fn is_market_key(self) -> bool {
        (self as u16) < 100
    }

    pub fn is_insurance_key(self) -> bool {
        (self as u16) >= 200
    }

    pub fn loosens(self) -> Loosens {
        use ParamKey::*;
        match self {
            OracleMinFeeds
            | TierInitialMarginPpm
            | TierMaintMarginPpm
            | InsuranceFeeSharePpm
            | TimelockSecs
            | BoundMinMakerFeePpm
            | BoundMinInitialMarginPpm
            | BoundMinMaintMarginPpm
            | BoundMinPriceBandBps
            | BoundMinInsuranceFeeSharePpm
            | InsuranceUnstakeCooldownSecs
            | InsuranceTightenCoverageBps
            | InsuranceReduceOnlyCoverageBps
            | InsuranceCoverageHysteresisBps
            | InsuranceTightenedImMultiplierPpm => Loosens::Down,
            WaterfallMode => Loosens::Any,
            _ => Loosens::Up,
        }
    }

    /// True when changing `old` to `new` must wait for the timelock.
    pub fn is_loosening(self, old: i64, new: i64) -> bool {
        match self.loosens() {
            Loosens::Up => new > old,
            Loosens::Down => new < old,
            Loosens::Any => new != old,
        }
    }
}
