//! Events. Units as in the state they describe. Names are versioned when a
//! schema changes.

use anchor_lang::prelude::*;

/// V2: adds `pyth_receiver`, the owner of pull-oracle feeds.
#[event]
pub struct ExchangeInitializedV2 {
    pub admin: Pubkey,
    pub collateral_mint: Pubkey,
    /// Owner of legacy Pyth feeds.
    pub pyth_program: Pubkey,
    /// Owner of pull-oracle (`PriceUpdateV2`) feeds.
    pub pyth_receiver: Pubkey,
    /// seconds.
    pub timelock_secs: i64,
}

#[event]
pub struct MarketCreated {
    pub market: Pubkey,
    pub market_index: u32,
    pub name: [u8; 16],
    /// the most seats the table may grow to.
    pub max_seats: u32,
    pub book_capacity: u32,
    /// lamports; the account's rent at creation (no seats yet).
    pub rent_lamports: u64,
}

#[event]
pub struct CollateralDeposited {
    pub market: Pubkey,
    pub owner: Pubkey,
    pub seat: u32,
    /// quote atoms.
    pub amount: u64,
    /// quote atoms, after the deposit.
    pub collateral: i64,
}

#[event]
pub struct CollateralWithdrawn {
    pub market: Pubkey,
    pub owner: Pubkey,
    pub seat: u32,
    /// quote atoms.
    pub amount: u64,
    /// quote atoms, after the withdrawal.
    pub collateral: i64,
}

#[event]
pub struct SeatReleased {
    pub market: Pubkey,
    pub owner: Pubkey,
    pub seat: u32,
    /// lamports of the seat's rent returned to the owner.
    pub rent_refund: u64,
}

/// The last seat of the table moved into a freed index (swap-remove on
/// release or eviction); its resting orders now point at `to`. A client
/// holding the old index gets `WrongSeatIndex` and re-reads the market.
#[event]
pub struct SeatMoved {
    pub market: Pubkey,
    pub owner: Pubkey,
    pub from: u32,
    pub to: u32,
}

/// A seat claimed at the end of the table: the account grew by one seat,
/// whose rent the claimer paid.
#[event]
pub struct SeatTableGrew {
    pub market: Pubkey,
    pub owner: Pubkey,
    pub seat: u32,
    /// lamports paid for the seat's bytes (refunded on release).
    pub rent_paid: u64,
    pub seat_count: u32,
}

/// A dust seat freed by anyone (`evict_seat`); its collateral went back to
/// its owner's token account.
#[event]
pub struct SeatEvicted {
    pub market: Pubkey,
    pub owner: Pubkey,
    pub seat: u32,
    /// who called `evict_seat`.
    pub caller: Pubkey,
    /// quote atoms returned to the owner.
    pub returned: u64,
    /// lamports of the seat's rent returned to the owner.
    pub rent_refund: u64,
}

/// A resting order evicted from a full book side by a better one.
#[event]
pub struct OrderEvicted {
    pub market: Pubkey,
    /// owner of the evicted order's seat.
    pub owner: Pubkey,
    pub seat: u32,
    pub order_id: u64,
    /// price units.
    pub price: u64,
    /// base lots that were open.
    pub lots: u64,
    /// 0 = bid, 1 = ask.
    pub side: u8,
    /// quote atoms of reservation released on the evicted seat.
    pub released_quote: u64,
}

#[event]
pub struct MarketStatusChanged {
    pub market: Pubkey,
    pub old_status: u8,
    pub new_status: u8,
}

#[event]
pub struct ExchangePauseChanged {
    pub old_flags: u8,
    pub new_flags: u8,
}

/// A parameter changed at once (tightening) or after its timelock.
#[event]
pub struct ParamChanged {
    /// market, or the default key for the exchange.
    pub target: Pubkey,
    pub key: u16,
    pub index: u8,
    pub old_value: i64,
    pub new_value: i64,
    /// true when applied from the timelock queue.
    pub from_queue: bool,
}

#[event]
pub struct ParamChangeQueued {
    pub slot: u8,
    pub target: Pubkey,
    pub key: u16,
    pub index: u8,
    pub value: i64,
    /// unix seconds from which it may be applied.
    pub eta: i64,
}

#[event]
pub struct ParamChangeCancelled {
    pub slot: u8,
    pub target: Pubkey,
    pub key: u16,
    pub index: u8,
    pub value: i64,
}

#[event]
pub struct IndexUpdated {
    pub market: Pubkey,
    /// price units.
    pub index_price: u64,
    pub publish_ts: i64,
    pub feeds_used: u8,
}

#[event]
pub struct OrderPlaced {
    pub market: Pubkey,
    pub owner: Pubkey,
    pub seat: u32,
    /// 0 when nothing rests.
    pub order_id: u64,
    pub client_order_id: u64,
    /// base lots.
    pub filled_lots: u64,
    /// base lots.
    pub rested_lots: u64,
}

#[event]
pub struct OrderFilled {
    pub market: Pubkey,
    pub maker_seat: u32,
    pub taker_seat: u32,
    pub maker_order_id: u64,
    /// price units.
    pub price: u64,
    /// base lots.
    pub lots: u64,
    pub taker_is_buy: bool,
    /// quote atoms.
    pub taker_fee: i64,
    /// quote atoms; negative = rebate.
    pub maker_fee: i64,
    /// quote atoms.
    pub taker_realized_pnl: i64,
    /// quote atoms.
    pub maker_realized_pnl: i64,
}

#[event]
pub struct OrdersCancelled {
    pub market: Pubkey,
    pub owner: Pubkey,
    pub seat: u32,
    pub count: u32,
}

#[event]
pub struct FundingUpdated {
    pub market: Pubkey,
    /// ppm per interval; positive = longs pay shorts.
    pub rate_ppm: i64,
    /// i128 little-endian: quote atoms per lot × 1e9.
    pub cum_funding_per_lot: [u8; 16],
    pub mark_price: u64,
    pub index_price: u64,
}

#[event]
pub struct FeesSwept {
    pub market: Pubkey,
    /// quote atoms.
    pub to_insurance: u64,
    /// quote atoms.
    pub to_treasury: u64,
}

#[event]
pub struct LiquidationEvent {
    pub market: Pubkey,
    pub trader: Pubkey,
    pub keeper: Pubkey,
    pub cancelled_orders: u32,
    pub restored_by_cancel: bool,
    /// base lots the rule targeted / actually closed.
    pub target_lots: u64,
    pub closed_lots: u64,
    pub partial: bool,
    /// price units.
    pub bankruptcy_price: u64,
    /// price units.
    pub mark_price: u64,
    /// quote atoms.
    pub fee: u64,
    pub keeper_fee: u64,
    pub insurance_fee: u64,
    pub bankrupt_after: bool,
}

/// Where a liquidation paid the keeper's fee share when the keeper has no
/// seat (`LiquidationEvent` itself is unchanged: its schema is ABI).
#[event]
pub struct KeeperFeePaid {
    pub market: Pubkey,
    pub keeper: Pubkey,
    /// the keeper's collateral token account, or the default key when the
    /// keeper named none and the share went to the insurance fund.
    pub to: Pubkey,
    /// quote atoms.
    pub amount: u64,
}

/// A liquidation's close stopped at `MAX_LIQUIDATION_MAKERS` resting
/// orders with lots left to close: the seat stays liquidatable if still
/// unhealthy, and the next call continues down the book.
#[event]
pub struct LiquidationWalkBounded {
    pub market: Pubkey,
    pub trader: Pubkey,
    /// resting orders the close visited (filled or cleaned up).
    pub makers: u32,
    /// base lots of the target still open after the close.
    pub lots_left: u64,
}

#[event]
pub struct TakeoverEvent {
    pub market: Pubkey,
    pub trader: Pubkey,
    pub keeper: Pubkey,
    /// base lots.
    pub lots: u64,
    /// price units.
    pub price: u64,
    pub mark_price: u64,
    pub bankruptcy_price: u64,
    /// quote atoms.
    pub fee: u64,
    pub keeper_fee: u64,
}

#[event]
pub struct BankruptcyCovered {
    pub market: Pubkey,
    pub trader: Pubkey,
    /// quote atoms paid by the insurance fund.
    pub amount: u64,
    /// quote atoms in the fund after.
    pub fund_balance_after: u64,
    pub ledger_seq: u64,
}

/// One counterparty of an ADL event, with the ranking inputs anyone can
/// recompute the choice from.
#[event]
pub struct AdlFillEvent {
    pub market: Pubkey,
    pub bankrupt_trader: Pubkey,
    pub counterparty: Pubkey,
    pub seat: u32,
    /// base lots taken.
    pub lots: u64,
    /// price units (the mark).
    pub price: u64,
    /// quote atoms of the deficit this counterparty paid.
    pub deficit_share: u64,
    /// ranking inputs at the mark: quote atoms, and the score in ppm²
    /// (i128 little-endian).
    pub upnl: i64,
    pub entry_cost: i64,
    pub notional: u64,
    pub equity: i64,
    pub score: [u8; 16],
}

#[event]
pub struct AdlEvent {
    pub market: Pubkey,
    pub bankrupt_trader: Pubkey,
    /// base lots closed.
    pub lots: u64,
    /// price units.
    pub price: u64,
    /// quote atoms left after closing at the mark.
    pub deficit: u64,
    pub counterparties: u32,
    /// true: the deficit went through the side's loss index.
    pub socialized: bool,
}

#[event]
pub struct SocializedLossEvent {
    pub market: Pubkey,
    pub bankrupt_trader: Pubkey,
    /// 0 = longs, 1 = shorts.
    pub side: u8,
    /// quote atoms.
    pub deficit: u64,
    /// base lots sharing it.
    pub open_interest_lots: u64,
    /// i128 little-endian: the side's index after (quote atoms per lot × 1e9).
    pub loss_index: [u8; 16],
}

/// Socialized loss as a haircut of the opposite side's unrealized profit
/// (replaces `SocializedLossEvent`, whose loss index is no longer used).
#[event]
pub struct SocializedLossV2 {
    pub market: Pubkey,
    pub bankrupt_trader: Pubkey,
    /// side that paid: 0 = longs, 1 = shorts.
    pub side: u8,
    /// quote atoms to place.
    pub deficit: u64,
    /// quote atoms taken from profits (≤ deficit, ≤ profit_pool).
    pub charged: u64,
    /// quote atoms of unrealized profit (each seat's up to its equity) on the side.
    pub profit_pool: u64,
    pub seats_charged: u32,
}

/// A deficit nobody could pay: left on the bankrupt seat.
#[event]
pub struct DeficitUnpaid {
    pub market: Pubkey,
    pub trader: Pubkey,
    /// quote atoms left unpaid by this call.
    pub unpaid: u64,
    /// quote atoms unpaid in this market ever.
    pub total_unpaid: u64,
}

/// The close `cover_bankruptcy` made in the same step as its payment.
#[event]
pub struct CoverClose {
    pub market: Pubkey,
    pub trader: Pubkey,
    /// base lots closed against the book.
    pub closed_lots: u64,
    /// price units; the worst price the close could fill at.
    pub limit: u64,
    pub fills: u32,
    pub flat_after: bool,
}

#[event]
pub struct StakeEvent {
    pub owner: Pubkey,
    /// quote atoms.
    pub amount: u64,
    pub shares: u64,
    pub total_shares_after: u64,
    pub fund_balance_after: u64,
}

#[event]
pub struct UnstakeRequested {
    pub owner: Pubkey,
    pub shares: u64,
    /// quote atoms the shares were worth at the request.
    pub value_at_request: u64,
    /// unix seconds from which it can be withdrawn.
    pub available_ts: i64,
}

#[event]
pub struct UnstakeWithdrawn {
    pub owner: Pubkey,
    pub shares: u64,
    /// quote atoms paid: min(value at request, value now).
    pub amount: u64,
    pub value_at_request: u64,
    pub value_now: u64,
}

#[event]
pub struct InsuranceAudited {
    /// quote atoms in the vault / in the ledger (after recording donations).
    pub vault_balance: u64,
    pub ledger_balance: u64,
    /// quote atoms found in the vault beyond the ledger and recorded as donations.
    pub donation: u64,
    pub ok: bool,
    pub ledger_seq: u64,
}

#[event]
pub struct TighteningChanged {
    pub market: Pubkey,
    pub old_level: u8,
    pub new_level: u8,
    /// bps of open-interest notional.
    pub coverage_bps: u64,
}

/// A key change queued behind the timelock (`propose_admin`,
/// `queue_key_change`).
#[event]
pub struct KeyChangeQueued {
    /// `KeyKind` as u8.
    pub kind: u8,
    /// the market for a feed change, else the default key.
    pub target: Pubkey,
    /// feed index for a feed change, else 0.
    pub index: u8,
    pub old_key: Pubkey,
    pub new_key: Pubkey,
    /// unix seconds from which it may be applied (or accepted).
    pub eta: i64,
}

/// A key change applied (`apply_key_change`, `accept_admin`).
#[event]
pub struct KeyChanged {
    /// `KeyKind` as u8.
    pub kind: u8,
    pub target: Pubkey,
    pub index: u8,
    pub old_key: Pubkey,
    pub new_key: Pubkey,
}

/// A pending key change withdrawn by the admin (`cancel_key_change`).
#[event]
pub struct KeyChangeCancelled {
    /// `KeyKind` as u8.
    pub kind: u8,
    pub target: Pubkey,
    pub index: u8,
    pub new_key: Pubkey,
}

/// An ADL ranking round opened (`adl_begin`): the market is frozen until
/// it is executed or aborted.
#[event]
pub struct AdlRoundBegun {
    pub market: Pubkey,
    pub trader: Pubkey,
    pub seat: u32,
    /// 0 = long, 1 = short (the bankrupt side).
    pub side: u8,
    /// price units; the mark the round closes at.
    pub mark: u64,
    /// seats the round ranks.
    pub seat_count: u32,
    pub slot: u64,
    pub round: u64,
}

/// Seats `[from, to)` ranked by `adl_scan`.
#[event]
pub struct AdlRoundScanned {
    pub market: Pubkey,
    pub round: u64,
    pub from: u32,
    pub to: u32,
    /// counterparties kept so far.
    pub kept: u32,
    /// the most bankrupt seat of the side so far (u32::MAX: none).
    pub first_bankrupt: u32,
}

/// A ranking round ended: executed (`closed`: the close's `AdlEvent`
/// follows), not due any more (`closed` false), or aborted.
#[event]
pub struct AdlRoundEnded {
    pub market: Pubkey,
    pub round: u64,
    /// the side's most bankrupt seat, closed if `closed`.
    pub seat: u32,
    pub trader: Pubkey,
    /// the seat is not the one named at begin (a more bankrupt one).
    pub switched: bool,
    pub closed: bool,
    pub aborted: bool,
    /// the error code's number when ADL was no longer due, else 0.
    pub not_due_code: u32,
}
