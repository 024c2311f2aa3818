//! One error enum for the whole program. Codes are ABI: append only.

use anchor_lang::prelude::*;

#[error_code]
pub enum ErrorCode {
    #[msg("Arithmetic overflow or division by zero")]
    MathOverflow, // 6000
    #[msg("The signer is not the exchange admin")]
    NotAdmin,
    #[msg("The collateral mint must have 6 decimals")]
    InvalidCollateralMint,
    #[msg("The token account's mint is not the exchange's collateral mint")]
    WrongMint,
    #[msg("The vault is not this market's or this fund's vault")]
    WrongVault,
    #[msg("The market does not belong to this exchange")]
    WrongExchange,
    #[msg("A parameter is outside the exchange's bounds")]
    ParamOutOfBounds,
    #[msg("This change loosens risk: queue it behind the timelock")]
    TimelockRequired,
    #[msg("The timelock of this queued change has not expired yet")]
    TimelockNotExpired,
    #[msg("No pending change in this slot")]
    NoPendingChange,
    #[msg("All pending-change slots are in use")]
    PendingChangesFull, // 6010
    #[msg("Unknown parameter key")]
    UnknownParam,
    #[msg("The market account has the wrong size for its capacities")]
    WrongMarketSize,
    #[msg("The market account data is malformed")]
    MalformedMarket,
    #[msg("The seat table is full")]
    SeatTableFull,
    #[msg("The signer has no seat in this market")]
    SeatNotFound,
    #[msg("The seat is not empty: collateral, position or orders remain")]
    SeatNotEmpty,
    #[msg("Amount must be greater than zero")]
    ZeroAmount,
    #[msg("Withdrawal exceeds free collateral")]
    InsufficientFreeCollateral,
    #[msg("The vault holds less than the requested amount")]
    InsufficientVaultBalance,
    #[msg("Oracle account count does not match the market's feeds")]
    OracleAccountsMismatch, // 6020
    #[msg("Oracle account is not the market's configured feed")]
    WrongOracle,
    #[msg("Oracle account is not owned by the configured Pyth program (legacy feed) or Pyth receiver (pull feed)")]
    OracleWrongOwner,
    #[msg("Oracle account is not a valid Pyth price account (legacy) or price update (pull)")]
    OracleInvalidAccount,
    #[msg("Oracle price is stale")]
    OracleStale,
    #[msg("Oracle confidence interval is too wide")]
    OracleConfidenceTooWide,
    #[msg("Oracle price status is not Trading")]
    OracleNotTrading,
    #[msg("Oracle price is not positive")]
    OracleNonPositive,
    #[msg("Too few oracle feeds agree within the deviation bound")]
    OracleTooFewFeeds,
    #[msg("The market is paused")]
    MarketPaused,
    #[msg("The market is in reduce-only mode")]
    MarketReduceOnly, // 6030
    #[msg("Invalid market status value")]
    InvalidMarketStatus,
    #[msg("The exchange has paused this action")]
    ExchangePaused,
    #[msg("The market's index price has never been set")]
    IndexNotSet,
    #[msg("Risk tiers must have increasing notional brackets and rates")]
    InvalidRiskTiers,
    #[msg("Invalid market configuration")]
    InvalidMarketConfig,
    #[msg("The timelock value is outside the protocol's hard limits")]
    InvalidTimelock,
    #[msg("Invalid account layout version")]
    WrongVersion,
    #[msg("The same account was passed twice where two distinct accounts are required")]
    DuplicateAccount, // 6040
    #[msg("The capacities exceed the exchange's bounds")]
    CapacityOutOfBounds,
    #[msg("This parameter belongs to a market: pass the market account")]
    MarketRequired,
    #[msg("The market passed is not the target of this change")]
    WrongMarket,
    #[msg("The book side is full")]
    BookFull,
    #[msg("No such order for this seat")]
    OrderNotFound,
    #[msg("Order price is not a positive multiple of the tick size")]
    InvalidPrice,
    #[msg("Order size is outside the market's minimum and maximum")]
    InvalidOrderSize,
    #[msg("Order price is outside the price band around the index")]
    PriceOutsideBand,
    #[msg("A post-only order would cross the book")]
    PostOnlyWouldCross,
    #[msg("A fill-or-kill order could not be filled completely")]
    FillOrKillNotFilled,
    #[msg("A reduce-only order would not reduce the position")]
    ReduceOnlyWouldIncrease,
    #[msg("The order's expiry is in the past")]
    OrderExpired,
    #[msg("The seat has too many resting orders")]
    TooManyOrders,
    #[msg("The order breaks the seat's initial margin")]
    InsufficientInitialMargin,
    #[msg("The position would exceed the per-seat position limit")]
    PositionLimitExceeded,
    #[msg("The market's open interest would exceed its cap")]
    OpenInterestCapExceeded,
    #[msg("Funding was updated less than one interval ago")]
    FundingTooEarly,
    #[msg("The treasury account is not the exchange's treasury")]
    WrongTreasury,
    #[msg("Nothing to sweep")]
    NothingToSweep,
    #[msg("The index price is stale: refresh prices in the same transaction")]
    IndexStale,
    #[msg("Unknown exchange pause flags")]
    InvalidPauseFlags,
    #[msg("The seat is not below its maintenance margin")]
    NotLiquidatable,
    #[msg("A keeper cannot liquidate its own seat")]
    SelfLiquidation,
    #[msg("The seat has no position to liquidate")]
    NothingToLiquidate,
    #[msg("The seat is bankrupt: cover it from the insurance fund or deleverage it")]
    SeatBankrupt,
    #[msg("The seat's equity is not negative")]
    NotBankrupt,
    #[msg("The insurance fund cannot cover anything now (empty or period cap reached)")]
    InsuranceCannotCover,
    #[msg("The insurance fund can still cover this deficit: cover it first")]
    InsuranceMustCoverFirst,
    #[msg("No position on the opposite side to deleverage against")]
    NoAdlCounterparty,
    #[msg("This market uses ADL, not socialized loss (or the reverse)")]
    WrongWaterfallMode,
    #[msg("The unstake cooldown has not passed yet")]
    CooldownNotOver,
    #[msg("An unstake request is already pending")]
    UnstakePending,
    #[msg("No unstake request is pending")]
    NoUnstakePending,
    #[msg("Not enough shares")]
    InsufficientShares,
    #[msg("The insurance ledger is already at full size")]
    LedgerFull,
    #[msg("The insurance ledger account has the wrong size")]
    LedgerNotReady,
    #[msg("A deposit this small buys no shares")]
    DepositTooSmall,
    #[msg("This parameter belongs to the insurance fund: pass the insurance account")]
    InsuranceRequired,
    #[msg("Only the stake's owner (or the admin, for the protocol's stake) may act on it")]
    NotStakeOwner,
    #[msg("The fill would leave a seat below zero equity, or sink a seat already below zero")]
    FillWouldBankrupt,
    #[msg("The fill would lower the maintenance health of a seat that stays below maintenance")]
    HealthWouldFall,
    #[msg("The insurance fund cannot pay for closing the whole position on the book: auto-deleverage it (the fund pays first)")]
    CoverTooSmall,
    #[msg("The book cannot take the bankrupt position within the cover limit")]
    CoverNoLiquidity,
    #[msg("The stake would buy fewer shares than the minimum asked for")]
    SharesBelowMinimum,
    #[msg("The unstake request lapsed: it was not withdrawn within the window after the cooldown")]
    UnstakeRequestLapsed,
    #[msg("Another bankrupt seat on the same side ranks first: deleverage that one")]
    AdlNotFirstBankrupt,
    #[msg("The signer is not the proposed new admin")]
    NotPendingAdmin,
    #[msg("A key change is already pending: apply or cancel it first")]
    KeyChangePending,
    #[msg("Only the program's upgrade authority may initialize the exchange")]
    NotUpgradeAuthority,
    #[msg("The program data account is not this program's")]
    WrongProgramData,
    #[msg("A new seat needs at least the market's minimum seat collateral")]
    SeatCollateralTooSmall,
    #[msg("The seat holds a position, orders or at least the minimum collateral: it cannot be evicted")]
    SeatNotEvictable,
    #[msg("The order's notional is below the market's minimum")]
    OrderNotionalTooSmall,
    #[msg("The keeper's fee account is not a collateral token account")]
    WrongKeeperAccount,
    #[msg("The change is larger than one step may make")]
    ParamStepTooLarge,
    #[msg("The value would make a guard reject every real feed")]
    ParamWouldFreeze,
    #[msg("The Pyth price update is for another feed id than the market's")]
    OracleWrongFeedId,
    #[msg("The Pyth price update is only partially verified (not every guardian signature was checked)")]
    OracleNotFullyVerified,
    #[msg("Unknown oracle feed kind: 0 = Pyth legacy, 1 = Pyth pull")]
    InvalidFeedKind,
    #[msg("A Pyth pull feed needs its nonzero feed id")]
    OracleFeedIdMissing,
    #[msg("A Pyth legacy feed, or an unused feed slot, must have a zero feed id")]
    OracleFeedIdUnexpected,
    #[msg("Two pull feeds of a market carry the same Pyth feed id: one source cannot count twice")]
    OracleFeedIdDuplicate,
    #[msg("The seat at this index is not the expected owner's (re-read the market: seats are addressed by index)")]
    WrongSeatIndex,
    #[msg("The seat at this index is taken: claim a free one")]
    SeatTaken,
    #[msg(
        "An ADL ranking round freezes this market: only cancels and the round's instructions run"
    )]
    AdlRoundActive,
    #[msg("No ADL ranking round is open on this market")]
    AdlRoundNotActive,
    #[msg("The ADL ranking round has not ranked every seat yet: send adl_scan")]
    AdlRoundScanIncomplete,
    #[msg("The ADL ranking round has ranked every seat: send adl_execute")]
    AdlRoundScanDone,
    #[msg("The ADL ranking round may be aborted only after ADL_ROUND_MAX_SLOTS slots")]
    AdlRoundNotExpired,
    #[msg(
        "The seat table is too large for ADL in one transaction: use the ranking round (adl_begin)"
    )]
    AdlRoundRequired,
    #[msg("The seat table is at the market's max_seats")]
    SeatTableAtMax,
    #[msg("A ranking round just ended with no close: a new one may begin after ADL_ROUND_COOLDOWN_SLOTS")]
    AdlRoundCoolingDown,
    #[msg("Not the insurance fund or its ledger (the program's PDAs)")]
    WrongInsuranceAccount,
    #[msg("The account paying a seat's rent, or receiving its refund, is not the seat's owner")]
    WrongRentAccount,
}
