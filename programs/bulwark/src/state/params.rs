//! Keys for parameter changes. Each key names one field and its unit;
//! [`ParamKey::instant`] says in which direction (if any) a change applies
//! at once — every other change waits behind the timelock.

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
    /// seconds; every change is queued.
    OracleMaxStalenessSecs = 2,
    /// bps; every change is queued.
    OracleMaxConfBps = 3,
    /// bps; every change is queued.
    OracleMaxDeviationBps = 4,
    /// feeds; every change is queued.
    OracleMinFeeds = 5,
    /// bps; every change is queued.
    PriceBandBps = 6,
    /// ppm, tier `index`; lowering it is queued.
    TierInitialMarginPpm = 7,
    /// ppm, tier `index`; every change is queued.
    TierMaintMarginPpm = 8,
    /// quote atoms, tier `index`; every change is queued.
    TierMaxNotional = 9,
    /// base lots; raising it is queued.
    OpenInterestCapLots = 10,
    /// base lots; raising it is queued.
    PositionLimitLots = 11,
    /// ppm; every change is queued.
    LiquidationFeePpm = 12,
    /// ppm; every change is queued.
    FundingCapPpm = 13,
    /// ppm; lowering it is queued.
    InsuranceFeeSharePpm = 14,
    /// quote atoms per period; every change is queued.
    InsuranceCoverCap = 15,
    /// `WaterfallMode`; every change is queued.
    WaterfallMode = 16,
    /// quote atoms; raising it is queued (it can make seats evictable).
    MinSeatCollateral = 17,
    /// quote atoms; raising it is queued (it can refuse orders).
    MinOrderNotional = 18,
    /// quote atoms of book depth a mark sample needs; every change is queued.
    ImpactNotional = 19,
    /// bps of the index one update may move the mark; every change is queued.
    MarkMaxMoveBps = 20,
    // ---- exchange parameters (target = default key); a `BoundMax*` may
    // fall at once, a `BoundMin*` rise at once (see `ParamKey::instant`) ----
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
    /// seconds; every change is queued.
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

/// Which change of a value may apply at once (`set_param`); every other
/// change waits behind the timelock (`queue_param_change`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Instant {
    /// Raising it applies at once; lowering it waits.
    Up,
    /// Lowering it applies at once; raising it waits.
    Down,
    /// Every change waits.
    Never,
}

impl ParamKey {
    /// Every key, in code order.
    pub const ALL: [ParamKey; 40] = [
        ParamKey::TakerFeePpm,
        ParamKey::MakerFeePpm,
        ParamKey::OracleMaxStalenessSecs,
        ParamKey::OracleMaxConfBps,
        ParamKey::OracleMaxDeviationBps,
        ParamKey::OracleMinFeeds,
        ParamKey::PriceBandBps,
        ParamKey::TierInitialMarginPpm,
        ParamKey::TierMaintMarginPpm,
        ParamKey::TierMaxNotional,
        ParamKey::OpenInterestCapLots,
        ParamKey::PositionLimitLots,
        ParamKey::LiquidationFeePpm,
        ParamKey::FundingCapPpm,
        ParamKey::InsuranceFeeSharePpm,
        ParamKey::InsuranceCoverCap,
        ParamKey::WaterfallMode,
        ParamKey::MinSeatCollateral,
        ParamKey::MinOrderNotional,
        ParamKey::ImpactNotional,
        ParamKey::MarkMaxMoveBps,
        ParamKey::TimelockSecs,
        ParamKey::BoundMaxTakerFeePpm,
        ParamKey::BoundMinMakerFeePpm,
        ParamKey::BoundMaxMakerFeePpm,
        ParamKey::BoundMinInitialMarginPpm,
        ParamKey::BoundMinMaintMarginPpm,
        ParamKey::BoundMaxOracleStalenessSecs,
        ParamKey::BoundMaxOracleConfBps,
        ParamKey::BoundMaxOracleDeviationBps,
        ParamKey::BoundMaxPriceBandBps,
        ParamKey::BoundMinPriceBandBps,
        ParamKey::BoundMaxLiquidationFeePpm,
        ParamKey::BoundMaxFundingCapPpm,
        ParamKey::BoundMinInsuranceFeeSharePpm,
        ParamKey::InsuranceUnstakeCooldownSecs,
        ParamKey::InsuranceTightenCoverageBps,
        ParamKey::InsuranceReduceOnlyCoverageBps,
        ParamKey::InsuranceCoverageHysteresisBps,
        ParamKey::InsuranceTightenedImMultiplierPpm,
    ];

    pub fn from_u16(v: u16) -> Result<Self> {
        Self::ALL
            .iter()
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

    /// The classification: which direction of a change applies at once.
    /// A change applies at once only when it cannot make an open position
    /// liquidatable, cost it money, freeze it (no withdrawal, no
    /// liquidation) or weaken the guards that protect it; everything else
    /// waits `timelock_secs`, in public, so a trader can leave first.
    ///
    /// | key | instant | waits | why |
    /// | --- | --- | --- | --- |
    /// | `TakerFeePpm` | down | up | a higher fee costs traders |
    /// | `MakerFeePpm` | down | up | a higher fee (smaller rebate) costs makers |
    /// | `OracleMaxStalenessSecs` | — | both | up accepts stale prices; down can reject every feed |
    /// | `OracleMaxConfBps` | — | both | up accepts wide prices; down can reject every feed |
    /// | `OracleMaxDeviationBps` | — | both | up keeps outliers; down drops good feeds |
    /// | `OracleMinFeeds` | — | both | down trusts fewer feeds; up can leave too few |
    /// | `PriceBandBps` | — | both | down cancels resting orders and narrows exits; up lets the mark and fills stray further from the index |
    /// | `TierInitialMarginPpm` | up | down | gates only new risk; lower loosens risk |
    /// | `TierMaintMarginPpm` | — | both | up makes open positions liquidatable; down loosens risk |
    /// | `TierMaxNotional` | — | both | down moves positions into dearer tiers; up loosens risk |
    /// | `OpenInterestCapLots` | down | up | a lower cap only blocks new risk |
    /// | `PositionLimitLots` | down | up | a lower limit only blocks new risk |
    /// | `LiquidationFeePpm` | — | both | up costs liquidated traders; down starves keepers, so losses reach ADL |
    /// | `FundingCapPpm` | — | both | either way one side pays more |
    /// | `InsuranceFeeSharePpm` | up | down | taken from the treasury, not traders; down starves the fund |
    /// | `InsuranceCoverCap` | — | both | down sends deficits to ADL sooner; up drains stakers faster |
    /// | `WaterfallMode` | — | both | changes who pays a deficit |
    /// | `MinSeatCollateral` | down | up | up can make small seats evictable |
    /// | `MinOrderNotional` | down | up | up can refuse a trader's orders |
    /// | `ImpactNotional` | — | both | moves the mark (down: thin quotes move it) |
    /// | `MarkMaxMoveBps` | — | both | moves the mark (up: faster pushes) |
    /// | `TimelockSecs` | up | down | a longer delay only slows the operator |
    /// | `Bound{Max}*` | down | up | narrows what markets may use (floors keep guards usable) |
    /// | `Bound{Min}*` | up | down | narrows what markets may use |
    /// | `InsuranceUnstakeCooldownSecs` | — | both | down lets stakers run before a loss; up traps them |
    /// | `InsuranceTightenCoverageBps` | up | down | tightening raises initial margin only |
    /// | `InsuranceReduceOnlyCoverageBps` | up | down | reduce-only blocks only new risk |
    /// | `InsuranceCoverageHysteresisBps` | up | down | keeps tightening on longer |
    /// | `InsuranceTightenedImMultiplierPpm` | up | down | raises initial margin only |
    pub fn instant(self) -> Instant {
        use ParamKey::*;
        match self {
            TakerFeePpm | MakerFeePpm | OpenInterestCapLots | PositionLimitLots
            | MinSeatCollateral | MinOrderNotional => Instant::Down,
            OracleMaxStalenessSecs
            | OracleMaxConfBps
            | OracleMaxDeviationBps
            | OracleMinFeeds
            | PriceBandBps
            | TierMaintMarginPpm
            | TierMaxNotional
            | LiquidationFeePpm
            | FundingCapPpm
            | InsuranceCoverCap
            | WaterfallMode
            | ImpactNotional
            | MarkMaxMoveBps
            | InsuranceUnstakeCooldownSecs => Instant::Never,
            TierInitialMarginPpm
            | InsuranceFeeSharePpm
            | TimelockSecs
            | BoundMinMakerFeePpm
            | BoundMinInitialMarginPpm
            | BoundMinMaintMarginPpm
            | BoundMinPriceBandBps
            | BoundMinInsuranceFeeSharePpm
            | InsuranceTightenCoverageBps
            | InsuranceReduceOnlyCoverageBps
            | InsuranceCoverageHysteresisBps
            | InsuranceTightenedImMultiplierPpm => Instant::Up,
            BoundMaxTakerFeePpm
            | BoundMaxMakerFeePpm
            | BoundMaxOracleStalenessSecs
            | BoundMaxOracleConfBps
            | BoundMaxOracleDeviationBps
            | BoundMaxPriceBandBps
            | BoundMaxLiquidationFeePpm
            | BoundMaxFundingCapPpm => Instant::Down,
        }
    }

    /// True when changing `old` to `new` must wait for the timelock.
    pub fn needs_timelock(self, old: i64, new: i64) -> bool {
        match self.instant() {
            Instant::Up => new < old,
            Instant::Down => new > old,
            Instant::Never => new != old,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Walks every key: its code round-trips, and exactly the documented
    /// direction applies at once.
    #[test]
    fn every_key_is_classified() {
        use ParamKey::*;
        let mut codes: Vec<u16> = ParamKey::ALL.iter().map(|k| *k as u16).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ParamKey::ALL.len(), "codes are unique");
        // What must wait in both directions: anything that can make an open
        // position liquidatable, cost it money or freeze it.
        let never = [
            OracleMaxStalenessSecs,
            OracleMaxConfBps,
            OracleMaxDeviationBps,
            OracleMinFeeds,
            PriceBandBps,
            TierMaintMarginPpm,
            TierMaxNotional,
            LiquidationFeePpm,
            FundingCapPpm,
            InsuranceCoverCap,
            WaterfallMode,
            ImpactNotional,
            MarkMaxMoveBps,
            InsuranceUnstakeCooldownSecs,
        ];
        let up = [
            TierInitialMarginPpm,
            InsuranceFeeSharePpm,
            TimelockSecs,
            BoundMinMakerFeePpm,
            BoundMinInitialMarginPpm,
            BoundMinMaintMarginPpm,
            BoundMinPriceBandBps,
            BoundMinInsuranceFeeSharePpm,
            InsuranceTightenCoverageBps,
            InsuranceReduceOnlyCoverageBps,
            InsuranceCoverageHysteresisBps,
            InsuranceTightenedImMultiplierPpm,
        ];
        for k in ParamKey::ALL {
            assert_eq!(ParamKey::from_u16(k as u16).unwrap(), k);
            let expected = if never.contains(&k) {
                Instant::Never
            } else if up.contains(&k) {
                Instant::Up
            } else {
                Instant::Down
            };
            assert_eq!(k.instant(), expected, "{k:?}");
            // No change never waits; a change waits unless it goes the
            // instant way.
            assert!(!k.needs_timelock(100, 100), "{k:?}");
            let (up_waits, down_waits) = (k.needs_timelock(100, 101), k.needs_timelock(100, 99));
            match expected {
                Instant::Never => assert!(up_waits && down_waits, "{k:?}"),
                Instant::Up => assert!(!up_waits && down_waits, "{k:?}"),
                Instant::Down => assert!(up_waits && !down_waits, "{k:?}"),
            }
        }
        // The attacks of issue 10: a higher maintenance margin and a lower
        // oracle confidence bound both wait.
        assert!(TierMaintMarginPpm.needs_timelock(10_000, 990_000));
        assert!(OracleMaxConfBps.needs_timelock(100, 0));
        assert!(ParamKey::from_u16(99).is_err());
    }
}
